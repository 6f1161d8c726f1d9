//! GC references from C (issue 12: `WASM_ANYREF` … `WASM_NULLREF`, the
//! `wasm_ref_*` i31, struct and array accessors, `wasm_store_gc`).
//!
//! `tests/c/gc.c` is a host compiled with the system C compiler against
//! `include/` and this test run's shared library; it must exit 0 and print
//! exactly `tests/c/gc.expected`. The program checks every value it reads
//! itself (a failed check prints `FAILED` and the line, and exits 1) and
//! prints each refusal's error or trap message, so a changed message shows
//! as a changed line. It runs natively and under memcheck
//! (`support::memcheck`): no invalid access, no use of uninitialised
//! memory, no definite leak; the host info finalizer it sets must run once,
//! when the store goes.
//!
//! (tests/c_api.rs names its programs one by one and tests/c_api_async.rs
//! and tests/c_api_wasi.rs take the `async*` and `wasi*` ones, so the
//! `gc*` programs run only here.)

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use support::{check_expected_output, memcheck, profile_dir};

fn source_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The shared library for the programs (see `support::shared_library_copy`),
/// copied once per test run.
fn shared_library() -> &'static (PathBuf, PathBuf) {
    static LIB: OnceLock<(PathBuf, PathBuf)> = OnceLock::new();
    LIB.get_or_init(|| support::shared_library_copy("c-api-gc"))
}

/// `tests/c/gc.c` compiled into `<profile>/c-api-gc/bin/gc`, once per
/// test run (the tests of this file run in parallel and share it).
fn gc_program() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let (lib, lib_dir) = shared_library();
            let out_dir = profile_dir().join("c-api-gc").join("bin");
            std::fs::create_dir_all(&out_dir).unwrap();
            let program = out_dir.join("gc");
            let source = source_dir().join("tests/c/gc.c");
            support::compile_c_host(&[&source], &program, lib, lib_dir, &["-O2"]);
            program
        })
        .clone()
}

#[test]
fn gc_references_from_c() {
    let program = gc_program();
    let output = Command::new(&program).output().expect("running gc");
    check_expected_output("gc", &output, false);
}

#[test]
fn gc_references_from_c_run_clean_under_valgrind() {
    let program = gc_program();
    let output = memcheck().arg(&program).output().expect("running valgrind");
    check_expected_output("gc", &output, true);
}

/// Every `tests/c/gc*.c` has a test here (a new one must be added above,
/// with its `.expected` file).
#[test]
fn every_gc_program_is_run() {
    let tested = ["gc"];
    let mut found: Vec<String> = std::fs::read_dir(source_dir().join("tests/c"))
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "c"))
        .filter_map(|p| {
            let stem = p.file_stem()?.to_string_lossy().into_owned();
            stem.starts_with("gc").then_some(stem)
        })
        .collect();
    found.sort();
    assert_eq!(
        found, tested,
        "tests/c/gc*.c and the tests of c_api_gc.rs differ"
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
