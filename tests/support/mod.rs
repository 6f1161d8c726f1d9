//! Helpers shared by the integration tests that drive outside tools
//! (valgrind, CMake, compilers). Each test crate uses its own subset.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use wasm_runtime::capi::ext::error::{wasm_error_delete, wasm_error_message, wasm_error_t};
use wasm_runtime::capi::vec::wasm_byte_vec_t;

/// valgrind's exit status when it found errors (`--error-exitcode`).
pub const VALGRIND_ERROR_EXIT: i32 = 99;

/// A fresh scratch directory, removed again when the test passes (kept for
/// inspection when it fails).
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("wasm-runtime-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// Fails the test with the install command when `program` is missing: CI
/// installs every tool (`.ci/run`), so a missing one is never skipped.
pub fn require_tool(program: &str, package: &str) {
    let found = Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "`{program}` is required by this test but was not found; install it \
         (Debian/Ubuntu: apt-get install -y {package}; .ci/run does this)"
    );
}

/// `valgrind` set up as every memcheck run of ours is: errors make it exit
/// with `VALGRIND_ERROR_EXIT`, definite leaks count as errors, and
/// `tests/valgrind.supp` lets through only what that file explains.
pub fn memcheck() -> Command {
    require_tool("valgrind", "valgrind");
    let supp = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/valgrind.supp");
    let mut command = Command::new("valgrind");
    command
        .arg(format!("--error-exitcode={VALGRIND_ERROR_EXIT}"))
        .args([
            "--leak-check=full",
            "--errors-for-leak-kinds=definite",
            "--show-leak-kinds=definite",
            // Wasm code is generated at run time into anonymous mappings:
            // have valgrind notice new code there (its x86 default, spelled
            // out for other hosts).
            "--smc-check=all-non-file",
        ])
        .arg(format!("--suppressions={}", supp.display()));
    command
}

/// Runs the calling test binary's other tests again under memcheck and
/// asserts they all pass clean. `marker` is an environment variable the
/// inner run sees (the caller returns early when it is set), `this_test`
/// the name of the calling test, skipped in the inner run, and `tests` how
/// many tests the inner run must pass.
pub fn rerun_tests_under_memcheck(marker: &str, this_test: &str, tests: usize) {
    let output = memcheck()
        .arg(std::env::current_exe().unwrap())
        .args(["--test-threads=1", "--skip", this_test])
        .env(marker, "1")
        .output()
        .expect("running valgrind");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains(&format!("test result: ok. {tests} passed")),
        "the tests under valgrind failed ({}):\n--- stdout\n{stdout}\n--- stderr\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The message of a C API error (consumed), or `None` for NULL (success).
pub fn error_text(err: Option<Box<wasm_error_t>>) -> Option<String> {
    let err = err?;
    let mut msg = wasm_byte_vec_t::from_vec(Vec::new());
    wasm_error_message(Some(&err), Some(&mut msg));
    wasm_error_delete(Some(err));
    // SAFETY: made by wasm_error_message.
    Some(String::from_utf8(unsafe { msg.take() }).unwrap())
}

/// The Debian package with the wasm32 runtime library (`libclang_rt.builtins`)
/// for the installed clang's major version.
fn clang_rt_wasm_package() -> String {
    let major = Command::new("clang")
        .arg("-dumpversion")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|v| v.trim().split('.').next().map(str::to_string))
        .unwrap_or_else(|| "<major>".to_string());
    format!("libclang-rt-{major}-dev-wasm32")
}

/// Compiles the C sources `sources` into the WASI command `out`
/// (`clang --target=wasm32-wasi` with wasi-libc), passing `flags` before
/// the sources. Fails the test with the install command when clang,
/// wasi-libc or the wasm32 clang runtime are missing (CI installs them).
pub fn compile_wasi(sources: &[&Path], flags: &[&str], out: &Path) {
    require_tool("clang", "clang");
    require_tool("wasm-ld", "lld");
    let output = Command::new("clang")
        .args(["--target=wasm32-wasi", "-O2"])
        .args(flags)
        .args(sources)
        .arg("-o")
        .arg(out)
        .output()
        .expect("running clang");
    assert!(
        output.status.success(),
        "clang --target=wasm32-wasi failed (wasi-libc and the wasm32 clang \
         runtime are needed: apt-get install -y wasi-libc {}):\n{}",
        clang_rt_wasm_package(),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The `wasm-runtime` command (`cli/*.c`), compiled once per test run with
/// the system C compiler (`$CC`, else `cc`) against `include/` and this
/// test run's shared library, into `<target>/<profile>/cli/wasm-runtime`.
///
/// The library is the `libwasm_runtime.so` cargo built for this run
/// (`<profile>/deps`: cargo builds every crate type of the library for
/// the tests), copied into `<profile>/cli/lib` under its SONAME by
/// `shared_library_copy`, which the program finds through its rpath;
/// running no cargo keeps the shared target directory's builds as they
/// are. Both files are written under temporary names and renamed into
/// place, so test binaries running at the same time never see half a file
/// (and a running copy is not overwritten).
pub fn cli_binary() -> PathBuf {
    use std::sync::OnceLock;
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let root = Path::new(env!("CARGO_MANIFEST_DIR"));
            let (lib, lib_dir) = shared_library_copy("cli");
            let out_dir = profile_dir().join("cli");
            let mut sources: Vec<PathBuf> = std::fs::read_dir(root.join("cli"))
                .expect("cli/")
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "c"))
                .collect();
            sources.sort();
            let sources: Vec<&Path> = sources.iter().map(PathBuf::as_path).collect();
            // Built under a temporary name and renamed into place, so test
            // binaries running at the same time never run half a program.
            let partial = out_dir.join(format!(".wasm-runtime.partial-{}", std::process::id()));
            compile_c_host(&sources, &partial, &lib, &lib_dir, &["-O2"]);
            let program = out_dir.join("wasm-runtime");
            std::fs::rename(&partial, &program).unwrap();
            program
        })
        .clone()
}

/// `<target>/<profile>`: every test binary lives in `<target>/<profile>/deps`.
pub fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    exe.parent()
        .and_then(Path::parent)
        .expect("<target>/<profile>/deps/<test>")
        .to_path_buf()
}

/// This run's shared library (cargo builds the cdylib with the tests),
/// copied under its SONAME into `<profile>/<subdir>/lib`, for C programs to
/// link against and find at run time through their rpath (their
/// `DT_NEEDED` is `libwasm-runtime.so.0`); returns the copy and its
/// directory. A copy renamed into place, not a link, so a concurrent run,
/// or a CMake build running cargo in the same target directory, never
/// shows a program half a library.
pub fn shared_library_copy(subdir: &str) -> (PathBuf, PathBuf) {
    let lib = profile_dir().join("deps").join("libwasm_runtime.so");
    assert!(
        lib.is_file(),
        "{} is missing: cargo builds it with the tests (crate-type cdylib)",
        lib.display()
    );
    let dir = profile_dir().join(subdir).join("lib");
    std::fs::create_dir_all(&dir).unwrap();
    let soname = dir.join(format!(
        "libwasm-runtime.so.{}",
        env!("CARGO_PKG_VERSION_MAJOR")
    ));
    let partial = dir.join(format!(".partial-{}", std::process::id()));
    std::fs::copy(&lib, &partial)
        .unwrap_or_else(|e| panic!("copying {} to {}: {e}", lib.display(), partial.display()));
    std::fs::rename(&partial, &soname).unwrap();
    (soname, dir)
}

/// A process's exit status and output, for a failing test's message.
pub fn describe(output: &Output) -> String {
    format!(
        "({})\n--- stdout\n{}\n--- stderr\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Checks a run of the C test program `tests/c/<name>.c`: its exit status
/// (and, `under_valgrind`, that valgrind found nothing) and its stdout
/// against `tests/c/<name>.expected`.
pub fn check_expected_output(name: &str, output: &Output, under_valgrind: bool) {
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        !(under_valgrind && output.status.code() == Some(VALGRIND_ERROR_EXIT)),
        "{name}: valgrind reported errors {}",
        describe(output)
    );
    assert!(
        output.status.success(),
        "{name}: failed {}",
        describe(output)
    );
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/c")
        .join(format!("{name}.expected"));
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("tests/c/{name}.expected is missing"));
    assert!(
        stdout == expected,
        "{name}: output differs from its .expected file\n--- expected\n{expected}{}",
        describe(output)
    );
}

/// Compiles the C host program `sources` into `exe` as every C program of
/// the tests is built: the system C compiler (`$CC`, else `cc`), C11 with
/// every warning an error, `include/`, `extra` flags, linked with the
/// shared library `lib`, which it finds at run time in `lib_dir` (rpath).
/// Fails the test with the compiler's messages.
pub fn compile_c_host(sources: &[&Path], exe: &Path, lib: &Path, lib_dir: &Path, extra: &[&str]) {
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_string());
    let output = Command::new(&cc)
        .args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic", "-g"])
        .args(extra)
        .arg("-I")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("include"))
        .args(sources)
        .arg("-o")
        .arg(exe)
        .arg(lib)
        .arg(format!("-Wl,-rpath,{}", lib_dir.display()))
        .output()
        .unwrap_or_else(|e| panic!("running {cc}: {e}"));
    assert!(
        output.status.success(),
        "compiling {sources:?}:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A WASI guest's output collected through an `OutputSink::Custom`
/// callback (the WASI tests' stdout and stderr).
#[derive(Clone, Default)]
pub struct Capture(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl Capture {
    /// A sink appending to this capture.
    pub fn sink(&self) -> wasm_runtime::wasi::OutputSink {
        let buf = self.0.clone();
        wasm_runtime::wasi::OutputSink::Custom(Box::new(move |bytes: &[u8]| {
            buf.lock().unwrap().extend_from_slice(bytes);
            bytes.len() as isize
        }))
    }

    /// What was written so far, as UTF-8.
    pub fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

/// The cargo target directory and profile (`release` or `dev`) this test
/// binary was built in: the binary is `<target>/<profile dir>/deps/<test>`.
/// For CMake builds of the library that must reuse this run's build (the
/// same settings tests/package.rs passes).
pub fn cargo_target_and_profile() -> (PathBuf, &'static str) {
    let profile_dir = profile_dir();
    let target_dir = profile_dir.parent().expect("<target>").to_path_buf();
    let profile = match profile_dir.file_name().and_then(|n| n.to_str()) {
        Some("release") => "release",
        Some("debug") => "dev",
        other => panic!(
            "unexpected cargo profile directory {other:?} in {}",
            profile_dir.display()
        ),
    };
    (target_dir, profile)
}

/// Runs a command, failing the test with its full output if it cannot be
/// started or fails.
pub fn run_ok(command: &mut Command) -> Output {
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

/// `cmake -S source -B build` with the cargo settings of this test run, as
/// tests/package.rs configures: CMake's cargo step builds in this run's
/// target directory and profile, with `--tests` so its dependency graph
/// (dev-dependencies unify features) is the one `cargo test` built, and
/// it only finds the library already built.
pub fn cmake_configure(source: &Path, build: &Path, extra: &[String]) {
    let (target_dir, profile) = cargo_target_and_profile();
    run_ok(
        Command::new("cmake")
            .arg("-S")
            .arg(source)
            .arg("-B")
            .arg(build)
            .arg(format!("-DCARGO_TARGET_DIR={}", target_dir.display()))
            .arg(format!("-DWASM_RUNTIME_CARGO_PROFILE={profile}"))
            .arg("-DWASM_RUNTIME_CARGO_FLAGS=--tests")
            .args(extra),
    );
}

/// `cmake --build build` on two jobs.
pub fn cmake_build(build: &Path) {
    run_ok(
        Command::new("cmake")
            .arg("--build")
            .arg(build)
            .args(["--parallel", "2"]),
    );
}
