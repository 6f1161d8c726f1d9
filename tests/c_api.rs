//! C programs against the installed headers and the shared library.
//!
//! Each `tests/c/<name>.c` (and each C example) is compiled with the
//! system C compiler against `include/` and linked with the
//! `libwasm_runtime.so` of this test's target directory and profile; it must
//! exit 0 and print every line of its `.expected` file, in order.
//!
//! `cargo test` builds the library only as an rlib for the tests, so the
//! shared library is brought up to date with `cargo build --lib` first.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use support::profile_dir;

/// The shared library, built (once per test run) from the current sources.
fn shared_library() -> PathBuf {
    static BUILT: OnceLock<()> = OnceLock::new();
    BUILT.get_or_init(|| {
        let profile_dir = profile_dir();
        let target_dir = profile_dir.parent().expect("<target>/<profile>");
        let profile = match profile_dir.file_name().and_then(|n| n.to_str()) {
            Some("release") => "release",
            _ => "dev",
        };
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
        let output = Command::new(cargo)
            .args(["build", "--lib", "--profile", profile])
            .arg("--manifest-path")
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"))
            .env("CARGO_TARGET_DIR", target_dir)
            .output()
            .expect("running cargo build");
        assert!(
            output.status.success(),
            "cargo build --lib failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    });
    let lib = profile_dir().join("libwasm_runtime.so");
    assert!(
        lib.exists(),
        "{} is missing after cargo build --lib",
        lib.display()
    );
    lib
}

/// Compiles `<dir>/<name>.c` into a program in a fresh directory.
fn compile(dir: &str, name: &str) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let source = root.join(dir).join(format!("{name}.c"));
    let lib = shared_library();
    let lib_dir = lib.parent().unwrap();
    let out_dir = profile_dir()
        .join("c-api-tests")
        .join(dir.replace('/', "-"));
    std::fs::create_dir_all(&out_dir).unwrap();
    let exe = out_dir.join(name);
    support::compile_c_host(&[&source], &exe, &lib, lib_dir, &[]);
    exe
}

/// Runs `<dir>/<name>.c` and checks its exit status and its output against
/// `<dir>/<name>.expected`.
fn run_and_check(dir: &str, name: &str) {
    let exe = compile(dir, name);
    let output = Command::new(&exe).output().expect("running the C program");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{name} failed ({}):\nstdout:\n{stdout}\nstderr:\n{stderr}",
        output.status
    );
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let expected = std::fs::read_to_string(root.join(dir).join(format!("{name}.expected")))
        .expect("the .expected file");
    let mut lines = stdout.lines();
    for want in expected.lines().filter(|l| !l.is_empty()) {
        assert!(
            lines.any(|got| got == want),
            "{name}: expected the line {want:?} (in order) in:\n{stdout}"
        );
    }
}

#[test]
fn traps_are_values_and_the_process_keeps_running() {
    run_and_check("tests/c", "traps");
}

#[test]
fn objects_from_c() {
    run_and_check("tests/c", "objects");
}

#[test]
fn error_kinds_and_offsets_from_c() {
    run_and_check("tests/c", "errors");
}

/// The examples also build straight against `include/` (the CMake package
/// test covers the installed layout).
#[test]
fn hello_example() {
    run_and_check("examples-c", "hello");
}

#[test]
fn trap_example() {
    run_and_check("examples-c", "trap");
}

#[test]
fn exceptions_from_c() {
    run_and_check("tests/c", "exceptions");
}
