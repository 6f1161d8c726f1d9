//! Async calls from C (issue 17: `async_support`, `wasm_func_call_async`,
//! `wasm_linker_instantiate_async`, `wasm_linker_define_async_func`, fuel
//! and epoch yields, host and pooled stacks).
//!
//! Each `tests/c/async_*.c` is a host compiled with the system C compiler
//! against `include/` and this test run's shared library; it must exit 0
//! and print exactly its `.expected` file. The programs compute what they
//! expect themselves and print a verdict per check, so a wrong result
//! shows as a changed line:
//!
//! - `async_guests`: 10 000 guests suspended at once on one thread in a
//!   toy event loop, run natively (memcheck would take minutes); it prints
//!   the resident memory per suspended guest on stderr, which the test
//!   reports. A run with 200 guests is checked under memcheck as well.
//! - `async_cancel`: fuel and epoch yields and cancellation, under memcheck.
//! - `async_traps`: traps on fibers against the same traps on the main
//!   stack, and the refusals of sync calls and async-only functions, under
//!   memcheck.
//! - `async_stacks`: `with_host_stack` creators and pooled stacks
//!   (`total_stacks`), under memcheck.
//!
//! Under memcheck (`support::memcheck`), valgrind must find no invalid
//! access, no use of uninitialised memory and no definite leak: the
//! programs hand every env over in malloc'd memory freed only by its
//! finalizer, so a finalizer that never runs is a leak.
//!
//! (tests/c_api.rs names its programs one by one and tests/c_api_wasi.rs
//! takes the `wasi*` ones, so these run only here.)

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::time::Instant;

use support::{check_expected_output, describe, memcheck, profile_dir};

fn source_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The shared library for the programs (see `support::shared_library_copy`),
/// copied once per test run: the tests of this file run in parallel in
/// one process, and the copy's temporary name is per process.
fn shared_library() -> &'static (PathBuf, PathBuf) {
    static LIB: OnceLock<(PathBuf, PathBuf)> = OnceLock::new();
    LIB.get_or_init(|| support::shared_library_copy("c-api-async"))
}

/// Compiles `tests/c/<name>.c` into `<profile>/c-api-async/bin/<name>`.
fn compile(name: &str) -> PathBuf {
    let (lib, lib_dir) = shared_library();
    let out_dir = profile_dir().join("c-api-async").join("bin");
    std::fs::create_dir_all(&out_dir).unwrap();
    let program = out_dir.join(name);
    let source = source_dir().join("tests/c").join(format!("{name}.c"));
    support::compile_c_host(&[&source], &program, lib, lib_dir, &["-O2"]);
    program
}

/// Runs `tests/c/<name>.c` under memcheck with `args` and checks it.
fn run_under_memcheck(name: &str, args: &[&str]) -> Output {
    let program = compile(name);
    let started = Instant::now();
    let output = memcheck()
        .arg(&program)
        .args(args)
        .output()
        .expect("running valgrind");
    check_expected_output(name, &output, true);
    eprintln!(
        "tests/c/{name}: ok (valgrind clean, {:.1} s)",
        started.elapsed().as_secs_f64()
    );
    output
}

/// The value of the stderr line `<key>: <value>`.
fn figure<'a>(stderr: &'a str, key: &str) -> Option<&'a str> {
    stderr
        .lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
        .map(str::trim)
}

#[test]
fn ten_thousand_guests_sleep_concurrently_on_one_thread() {
    let program = compile("async_guests");
    let started = Instant::now();
    let output = Command::new(&program)
        .arg("10000")
        .output()
        .expect("running async_guests");
    let elapsed = started.elapsed();
    check_expected_output("async_guests", &output, false);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let per_guest: u64 = figure(&stderr, "rss-per-suspended-guest")
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| {
            panic!(
                "async_guests printed no rss-per-suspended-guest figure {}",
                describe(&output)
            )
        });
    eprintln!(
        "tests/c/async_guests: 10000 guests in {:.2} s; resident memory per suspended guest: \
         {per_guest} bytes ({:.1} KiB)",
        elapsed.as_secs_f64(),
        per_guest as f64 / 1024.0
    );
    for key in [
        "guests",
        "rss-before-calls-kib",
        "rss-all-suspended-kib",
        "seconds",
    ] {
        if let Some(v) = figure(&stderr, key) {
            eprintln!("  {key}: {v}");
        }
    }
}

#[test]
fn guests_run_clean_under_valgrind() {
    run_under_memcheck("async_guests", &["200"]);
}

#[test]
fn yields_and_cancellation_run_clean_under_valgrind() {
    run_under_memcheck("async_cancel", &[]);
}

#[test]
fn traps_on_fibers_are_the_main_stacks_traps_under_valgrind() {
    let output = run_under_memcheck("async_traps", &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    if let Some(depth) = figure(&stderr, "stack-overflow-depth") {
        eprintln!("  stack-overflow-depth: {depth}");
    }
}

#[test]
fn host_and_pooled_stacks_run_clean_under_valgrind() {
    run_under_memcheck("async_stacks", &[]);
}

/// Every `tests/c/async*.c` has a test here (a new one must be added
/// above, with its `.expected` file).
#[test]
fn every_async_program_is_run() {
    let tested = [
        "async_cancel",
        "async_guests",
        "async_stacks",
        "async_traps",
    ];
    let mut found: Vec<String> = std::fs::read_dir(source_dir().join("tests/c"))
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "c"))
        .filter_map(|p| {
            let stem = p.file_stem()?.to_string_lossy().into_owned();
            stem.starts_with("async").then_some(stem)
        })
        .collect();
    found.sort();
    assert_eq!(
        found, tested,
        "tests/c/async*.c and the tests of c_api_async.rs differ"
    );
    for name in tested {
        assert!(
            Path::new(
                &source_dir()
                    .join("tests/c")
                    .join(format!("{name}.expected"))
            )
            .is_file(),
            "tests/c/{name}.expected is missing"
        );
    }
}
