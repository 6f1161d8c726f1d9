//! The WASI C API (`include/wasi.h`) from C, under valgrind's memcheck.
//!
//! Each `tests/c/wasi*.c` is a host compiled with the system C compiler
//! against `include/` and this test run's shared library, and run as
//! `<program> GUEST.wasm DIR` under memcheck: GUEST is the WASI command
//! `tests/cli/guest.c` (built with clang for wasm32-wasi) and DIR a fresh
//! directory holding `in.txt`. The program must exit 0, print exactly its
//! `.expected` file, and valgrind must find no invalid access, no use of
//! uninitialised memory and no definite leak: configurations and byte
//! vectors the API consumes, also on refusal, must be freed, and every
//! custom stream's finalizer must run once.
//!
//! (tests/c_api.rs runs the other `tests/c/*.c`, each named in a test of
//! its own and without valgrind; these need a guest, a directory and
//! memcheck, so they have this file.)

mod support;

use std::path::PathBuf;

use support::{compile_wasi, memcheck, profile_dir, Scratch, VALGRIND_ERROR_EXIT};

fn source_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The shared library for the programs (see `support::shared_library_copy`).
fn shared_library() -> (PathBuf, PathBuf) {
    support::shared_library_copy("c-api-wasi")
}

#[test]
fn wasi_c_api_runs_clean_under_valgrind() {
    let mut sources: Vec<PathBuf> = std::fs::read_dir(source_dir().join("tests/c"))
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension().is_some_and(|e| e == "c")
                && p.file_name().unwrap().to_string_lossy().starts_with("wasi")
        })
        .collect();
    sources.sort();
    assert!(!sources.is_empty(), "tests/c has no wasi*.c");

    let out_dir = profile_dir().join("c-api-wasi").join("bin");
    std::fs::create_dir_all(&out_dir).unwrap();
    let guest = out_dir.join("guest.wasm");
    compile_wasi(&[&source_dir().join("tests/cli/guest.c")], &[], &guest);
    let (lib, lib_dir) = shared_library();

    let mut failures = Vec::new();
    for source in &sources {
        let name = source.file_stem().unwrap().to_string_lossy().into_owned();
        let expected = std::fs::read_to_string(source.with_extension("expected"))
            .unwrap_or_else(|_| panic!("tests/c/{name}.expected is missing"));
        let program = out_dir.join(source.file_stem().unwrap());
        support::compile_c_host(&[source], &program, &lib, &lib_dir, &[]);
        let scratch = Scratch::new(&format!("c-api-{name}"));
        std::fs::write(scratch.0.join("in.txt"), "hello, preopen\n").unwrap();
        let output = memcheck()
            .arg(&program)
            .arg(&guest)
            .arg(&scratch.0)
            .output()
            .expect("running valgrind");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let describe = || {
            format!(
                "({})\n--- stdout\n{stdout}\n--- stderr\n{}",
                output.status,
                String::from_utf8_lossy(&output.stderr)
            )
        };
        if output.status.code() == Some(VALGRIND_ERROR_EXIT) {
            failures.push(format!("{name}: valgrind reported errors {}", describe()));
        } else if !output.status.success() {
            failures.push(format!("{name}: failed {}", describe()));
        } else if stdout != expected {
            failures.push(format!(
                "{name}: output differs from its .expected file\n--- expected\n{expected}{}",
                describe()
            ));
        } else {
            eprintln!("tests/c/{name}: ok (valgrind clean)");
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
