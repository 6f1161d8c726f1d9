//! Every example of `examples-c/`, built against `include/` and the shared
//! library of this test run, run under valgrind's memcheck: each must exit
//! successfully, print exactly its `<name>.expected`, and valgrind must
//! find no invalid reads or writes, no uses of uninitialised values and no
//! definite leaks (`tests/valgrind.supp` lets through only the faults of
//! wasm code in linear-memory guard regions, which are how out-of-bounds
//! accesses trap). The C++ example in `examples-c/cpp/` is built the way a
//! host project builds it, with `find_package(WasmRuntime)` against an
//! installed package, and checked the same way.
//!
//! The shared library is the one cargo built for this test run: cargo
//! compiles the library's crate types (rlib, cdylib, staticlib) in one go,
//! so `<target>/<profile>/deps/libwasm_runtime.so` is already up to date
//! and no second cargo build is needed (the C++ example's CMake build
//! runs cargo, which finds that build up to date).
//!
//! valgrind is required (`apt-get install -y valgrind`; `.ci/run` installs
//! it); without it the tests fail and say so.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Mutex;

mod support;
use support::{describe, memcheck, profile_dir, require_tool, Scratch, VALGRIND_ERROR_EXIT};

/// The examples the C API issue asks for; each must exist with its
/// `.expected` file (others in `examples-c/` are run too).
const REQUIRED: &[&str] = &[
    "hello",
    "callback",
    "global",
    "memory",
    "table",
    "trap",
    "multi",
    "reflect",
    "start",
    "finalize",
    "serialize",
    "threads",
    "hostref",
    "simd",
    // The embedder's API issue.
    "linker",
    "limits",
    "trapcodes",
    "modulefile",
    // Seeing inside running wasm (issue 15).
    "unwind",
    // Memory64 and threads (issue 10).
    "shared_memory",
    "memory64",
    // Exception handling: tags, uncaught exceptions, host throws.
    "exceptions",
];

fn source_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The shared library for the examples (see `support::shared_library_copy`).
fn shared_library() -> (PathBuf, PathBuf) {
    support::shared_library_copy("examples-tests")
}

/// Runs a command that must succeed.
fn run(command: &mut Command) -> Output {
    let description = format!("{command:?}");
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {description}: {e}"));
    assert!(
        output.status.success(),
        "{description} failed {}",
        describe(&output)
    );
    output
}

/// Runs `program` under memcheck in `dir`; returns a description of what
/// went wrong, if anything: a failed exit, valgrind errors, or output other
/// than `expected`.
fn check_under_valgrind(name: &str, program: &Path, dir: &Path, expected: &str) -> Option<String> {
    let output = memcheck()
        .arg(program)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("cannot run valgrind: {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    if output.status.code() == Some(VALGRIND_ERROR_EXIT) {
        return Some(format!(
            "{name}: valgrind reported errors {}",
            describe(&output)
        ));
    }
    if !output.status.success() {
        return Some(format!("{name}: failed {}", describe(&output)));
    }
    if stdout != expected {
        return Some(format!(
            "{name}: output differs from its .expected file\n--- expected\n{expected}\n--- got\n{stdout}"
        ));
    }
    None
}

/// Compiles one C example against `include/` and the shared library.
fn compile_c(source: &Path, out_dir: &Path, lib: &Path, lib_dir: &Path) -> PathBuf {
    let exe = out_dir.join(source.file_stem().unwrap());
    support::compile_c_host(&[source], &exe, lib, lib_dir, &["-pthread"]);
    exe
}

#[test]
fn c_examples_run_clean_under_valgrind() {
    require_tool("valgrind", "valgrind");
    let examples_dir = source_dir().join("examples-c");
    let mut sources: Vec<PathBuf> = std::fs::read_dir(&examples_dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "c"))
        .collect();
    sources.sort();
    for name in REQUIRED {
        for file in [format!("{name}.c"), format!("{name}.expected")] {
            assert!(
                examples_dir.join(&file).is_file(),
                "examples-c/{file} is missing"
            );
        }
    }

    let (lib, lib_dir) = shared_library();
    let out_dir = profile_dir().join("examples-tests").join("bin");
    std::fs::create_dir_all(&out_dir).unwrap();

    // Two workers: valgrind is slow and the machine has two cores.
    let queue = Mutex::new(sources.clone());
    let failures = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| loop {
                let Some(source) = queue.lock().unwrap().pop() else {
                    break;
                };
                let name = source.file_stem().unwrap().to_str().unwrap().to_string();
                let expected = std::fs::read_to_string(source.with_extension("expected"))
                    .unwrap_or_else(|_| panic!("examples-c/{name}.expected is missing"));
                let exe = compile_c(&source, &out_dir, &lib, &lib_dir);
                match check_under_valgrind(&name, &exe, &examples_dir, &expected) {
                    Some(failure) => failures.lock().unwrap().push(failure),
                    None => eprintln!("examples-c/{name}: ok (valgrind clean)"),
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    assert!(
        failures.is_empty(),
        "{} of {} examples failed:\n\n{}",
        failures.len(),
        sources.len(),
        failures.join("\n\n")
    );
}

/// The C++ example, built as a separate CMake project against the installed
/// package (`find_package(WasmRuntime)`), then run under valgrind.
#[test]
fn cpp_example_builds_with_find_package_and_runs_clean() {
    require_tool("valgrind", "valgrind");
    require_tool("cmake", "cmake");
    require_tool("c++", "g++");
    let scratch = Scratch::new("cpp-example");
    let build = scratch.0.join("build");
    let prefix = scratch.0.join("prefix");
    let profile = match profile_dir().file_name().and_then(|n| n.to_str()) {
        Some("release") => "release",
        _ => "dev",
    };
    let target_dir = profile_dir().parent().unwrap().to_path_buf();

    // Install the package. CMake's cargo step reuses this test run's build
    // (same target directory, profile and dependency graph: see
    // tests/package.rs for why --tests).
    run(Command::new("cmake")
        .arg("-S")
        .arg(source_dir())
        .arg("-B")
        .arg(&build)
        .arg(format!("-DCARGO_TARGET_DIR={}", target_dir.display()))
        .arg(format!("-DWASM_RUNTIME_CARGO_PROFILE={profile}"))
        .arg("-DWASM_RUNTIME_CARGO_FLAGS=--tests")
        .arg("-DWASM_RUNTIME_BUILD_EXAMPLES=OFF")
        .arg(format!("-DCMAKE_INSTALL_PREFIX={}", prefix.display()))
        .arg("-DCMAKE_INSTALL_LIBDIR=lib"));
    run(Command::new("cmake").arg("--build").arg(&build));
    run(Command::new("cmake").arg("--install").arg(&build));

    // The example's own project, as a host would build it.
    let example_dir = source_dir().join("examples-c").join("cpp");
    let example_build = scratch.0.join("example");
    run(Command::new("cmake")
        .arg("-S")
        .arg(&example_dir)
        .arg("-B")
        .arg(&example_build)
        .arg(format!("-DCMAKE_PREFIX_PATH={}", prefix.display())));
    run(Command::new("cmake").arg("--build").arg(&example_build));

    let expected = std::fs::read_to_string(example_dir.join("counter.expected"))
        .expect("examples-c/cpp/counter.expected");
    if let Some(failure) = check_under_valgrind(
        "cpp/counter",
        &example_build.join("counter"),
        &example_dir,
        &expected,
    ) {
        panic!("{failure}");
    }
}
