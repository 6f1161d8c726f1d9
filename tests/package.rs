//! The CMake package, end to end: configure, build and install into a
//! temporary prefix; check every installed file (and the SONAME); build and
//! run the examples and the README's `run-example`; run the installed
//! `wasm-runtime` command (also from a moved install tree); then build and
//! run consumers the four ways a host can use the library:
//! `find_package(WasmRuntime)` (shared and static targets),
//! `add_subdirectory`, `FetchContent`, and `pkg-config` from C.
//!
//! CMake's cargo step reuses the build of this test run: it is pointed at
//! the same target directory and profile, so it only links what `cargo
//! test` already compiled. Missing tools fail the test with the command
//! that installs them (`.ci/run` does that on a bare machine).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod support;
use support::{require_tool, Scratch};

fn source_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The cargo target directory and profile this test binary was built in:
/// the binary is `<target>/<profile dir>/deps/package-<hash>`.
fn cargo_build() -> (PathBuf, &'static str) {
    let exe = std::env::current_exe().expect("test binary path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("<target>/<profile>/deps");
    let target_dir = profile_dir.parent().expect("<target>").to_path_buf();
    let profile = match profile_dir.file_name().and_then(|n| n.to_str()) {
        Some("release") => "release",
        Some("debug") => "dev",
        other => panic!(
            "unexpected cargo profile directory {other:?} for {}",
            exe.display()
        ),
    };
    (target_dir, profile)
}

/// Runs a command, failing the test with its full output if it fails.
fn run(command: &mut Command) -> Output {
    let description = format!("{command:?}");
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {description}: {e}"));
    assert!(
        output.status.success(),
        "{description} failed ({}):\n--- stdout\n{}\n--- stderr\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn stdout_of(command: &mut Command) -> String {
    String::from_utf8(run(command).stdout).expect("UTF-8 output")
}

/// `cmake -S source -B build` with the cargo settings of this test run.
///
/// `--tests` makes CMake's `cargo build --lib` use the same dependency
/// graph as the `cargo test` that built this binary: dev-dependencies
/// unify features of the library's dependencies, so a plain `cargo build`
/// would see a different graph and rebuild the library (and the next
/// `cargo test` would rebuild it back). With it, the step only finds the
/// library this test run already built.
fn cmake_configure(source: &Path, build: &Path, extra: &[String]) {
    let (target_dir, profile) = cargo_build();
    run(Command::new("cmake")
        .arg("-S")
        .arg(source)
        .arg("-B")
        .arg(build)
        .arg(format!("-DCARGO_TARGET_DIR={}", target_dir.display()))
        .arg(format!("-DWASM_RUNTIME_CARGO_PROFILE={profile}"))
        .arg("-DWASM_RUNTIME_CARGO_FLAGS=--tests")
        .args(extra));
}

fn cmake_build(build: &Path) {
    run(Command::new("cmake")
        .arg("--build")
        .arg(build)
        .args(["--parallel", "2"]));
}

/// What every consumer prints when the library works.
fn check_consumer_output(what: &str, output: &str) {
    let version = env!("CARGO_PKG_VERSION");
    let expected = [
        format!("wasm-runtime {version}"),
        "engine: ok".to_string(),
        "error: wasm_engine_try_new: config is NULL".to_string(),
    ];
    for line in &expected {
        assert!(
            output.lines().any(|l| l == line),
            "{what}: expected the line {line:?} in its output:\n{output}"
        );
    }
}

fn readelf_soname(library: &Path) -> String {
    require_tool("readelf", "binutils");
    let dynamic = stdout_of(Command::new("readelf").arg("-d").arg(library));
    dynamic
        .lines()
        .find(|l| l.contains("(SONAME)"))
        .and_then(|l| l.split_once('[').and_then(|(_, r)| r.split_once(']')))
        .map(|(soname, _)| soname.to_string())
        .unwrap_or_else(|| panic!("{} has no SONAME:\n{dynamic}", library.display()))
}

/// Every function the installed headers declare is exported by the shared
/// library (a declaration without a symbol would only fail when a host
/// links).
fn check_exports(library: &Path) {
    require_tool("nm", "binutils");
    let symbols = stdout_of(
        Command::new("nm")
            .args(["-D", "--defined-only"])
            .arg(library),
    );
    let exported: std::collections::BTreeSet<&str> = symbols
        .lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace().rev();
            let name = fields.next()?;
            let kind = fields.next()?;
            matches!(kind, "T" | "W").then_some(name)
        })
        .collect();
    let mut missing = Vec::new();
    for header in ["wasm.h", "wasm-runtime.h", "wasi.h"] {
        let text = std::fs::read_to_string(source_dir().join("include").join(header)).unwrap();
        // cbindgen starts every declaration with WASM_API_EXTERN; the name
        // is the last identifier before the parameter list.
        for declaration in text.split("WASM_API_EXTERN").skip(1) {
            let Some((head, _)) = declaration.split_once('(') else {
                continue;
            };
            let name = head
                .rsplit(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .next()
                .unwrap_or_default();
            let c_name = name.starts_with("wasm_") || name.starts_with("wasi_");
            if c_name && !exported.contains(name) {
                missing.push(format!("{name} ({header})"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "declared in the headers but not exported by {}:\n  {}",
        library.display(),
        missing.join("\n  ")
    );
}

/// The installed `bin/wasm-runtime`: its version, the main example (the
/// checked-in build and, when CMake could build it, the fresh one) run
/// through it and through the README's `run-example` target, and a copy
/// of the install tree moved elsewhere, which must still find its library
/// (the command's run path is relative).
fn check_installed_cli(scratch: &Path, prefix: &Path, build: &Path) {
    let version = format!("wasm-runtime {}\n", env!("CARGO_PKG_VERSION"));
    let cli = prefix.join("bin/wasm-runtime");
    assert_eq!(stdout_of(Command::new(&cli).arg("--version")), version);

    let examples = source_dir().join("examples-wasi");
    let expected = std::fs::read_to_string(examples.join("hello.expected")).unwrap();
    let mut programs = vec![examples.join("hello.wasm")];
    let built = build.join("examples-wasi/hello.wasm");
    if built.is_file() {
        programs.push(built);
    }
    for program in &programs {
        let output = stdout_of(
            Command::new(&cli)
                .args(["run", "--env", "GREETING=Hello"])
                .arg(program)
                .arg("world"),
        );
        assert_eq!(
            output,
            expected,
            "{} through bin/wasm-runtime",
            program.display()
        );
    }

    let output = stdout_of(
        Command::new("cmake")
            .arg("--build")
            .arg(build)
            .args(["--target", "run-example"]),
    );
    for line in expected.lines() {
        assert!(
            output.lines().any(|l| l == line),
            "run-example: expected the line {line:?} in its output:\n{output}"
        );
    }

    let moved = scratch.join("moved-prefix");
    run(Command::new("cp").arg("-a").arg(prefix).arg(&moved));
    assert_eq!(
        stdout_of(Command::new(moved.join("bin/wasm-runtime")).arg("--version")),
        version,
        "the moved install tree's command"
    );
}

#[test]
fn installed_package_works_with_find_package_and_pkg_config() {
    require_tool("cmake", "cmake");
    require_tool("cc", "gcc");
    require_tool("c++", "g++");
    require_tool("pkg-config", "pkg-config");
    let scratch = Scratch::new("package");
    let build = scratch.0.join("build");
    let prefix = scratch.0.join("prefix");

    // Build (examples included) and install.
    cmake_configure(
        &source_dir(),
        &build,
        &[
            format!("-DCMAKE_INSTALL_PREFIX={}", prefix.display()),
            "-DCMAKE_INSTALL_LIBDIR=lib".to_string(),
            "-DWASM_RUNTIME_BUILD_EXAMPLES=ON".to_string(),
        ],
    );
    cmake_build(&build);
    run(Command::new("cmake").arg("--install").arg(&build));

    // Every file of the install tree, the shared library as a versioned
    // file with the usual symlink chain.
    let version = env!("CARGO_PKG_VERSION");
    let major = env!("CARGO_PKG_VERSION_MAJOR");
    let real = format!("libwasm-runtime.so.{version}");
    let soname = format!("libwasm-runtime.so.{major}");
    for file in [
        format!("lib/{real}"),
        format!("lib/{soname}"),
        "lib/libwasm-runtime.so".to_string(),
        "lib/libwasm-runtime.a".to_string(),
        "include/wasm.h".to_string(),
        "include/wasm-runtime.h".to_string(),
        "include/wasm-runtime.hh".to_string(),
        "include/wasi.h".to_string(),
        "bin/wasm-runtime".to_string(),
        "lib/cmake/WasmRuntime/WasmRuntimeConfig.cmake".to_string(),
        "lib/cmake/WasmRuntime/WasmRuntimeConfigVersion.cmake".to_string(),
        "lib/pkgconfig/wasm-runtime.pc".to_string(),
    ] {
        assert!(prefix.join(&file).is_file(), "install tree lacks {file}");
    }
    let link = |name: &str| std::fs::read_link(prefix.join("lib").join(name)).ok();
    assert_eq!(
        link(&soname),
        Some(PathBuf::from(&real)),
        "lib/{soname} must link to {real}"
    );
    assert_eq!(link("libwasm-runtime.so"), Some(PathBuf::from(&soname)));
    assert_eq!(readelf_soname(&prefix.join("lib").join(&real)), soname);
    check_exports(&prefix.join("lib").join(&real));
    for header in ["wasm.h", "wasm-runtime.h", "wasm-runtime.hh", "wasi.h"] {
        let installed = std::fs::read(prefix.join("include").join(header)).unwrap();
        let checked_in = std::fs::read(source_dir().join("include").join(header)).unwrap();
        assert!(
            installed == checked_in,
            "installed {header} differs from include/{header}"
        );
    }

    // The examples, built through the package's own targets. Each one must
    // exit successfully and print every line of its `<name>.expected` file
    // (lines may appear among others; the file is optional).
    let examples_dir = source_dir().join("examples-c");
    let examples: Vec<PathBuf> = std::fs::read_dir(&examples_dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "c" || e == "cc"))
        .collect();
    assert!(!examples.is_empty(), "examples-c/ has no examples");
    assert!(
        examples_dir.join("engine.expected").is_file(),
        "examples-c/engine.expected is missing"
    );
    for example in &examples {
        let name = example.file_stem().unwrap().to_str().unwrap();
        let binary = build.join("examples-c").join(name);
        let output = stdout_of(Command::new(&binary).current_dir(&examples_dir));
        let expected = examples_dir.join(format!("{name}.expected"));
        let Ok(expected) = std::fs::read_to_string(&expected) else {
            continue;
        };
        for line in expected.lines().filter(|l| !l.trim().is_empty()) {
            assert!(
                output.lines().any(|l| l == line),
                "examples-c/{name}: expected the line {line:?} in its output:\n{output}"
            );
        }
    }

    check_installed_cli(&scratch.0, &prefix, &build);

    // A C++ program using find_package, against both libraries.
    let consumer_build = scratch.0.join("find-package");
    cmake_configure(
        &source_dir().join("tests/consumers/find_package"),
        &consumer_build,
        &[format!("-DCMAKE_PREFIX_PATH={}", prefix.display())],
    );
    cmake_build(&consumer_build);
    let shared = consumer_build.join("consumer-shared");
    check_consumer_output(
        "find_package, shared",
        &stdout_of(&mut Command::new(&shared)),
    );
    let needed = stdout_of(Command::new("readelf").arg("-d").arg(&shared));
    assert!(
        needed.contains(&format!("Shared library: [{soname}]")),
        "consumer-shared should depend on {soname}:\n{needed}"
    );
    let static_consumer = consumer_build.join("consumer-static");
    check_consumer_output(
        "find_package, static",
        &stdout_of(&mut Command::new(&static_consumer)),
    );
    let needed = stdout_of(Command::new("readelf").arg("-d").arg(&static_consumer));
    assert!(
        !needed.contains("libwasm-runtime"),
        "consumer-static must not depend on the shared library:\n{needed}"
    );

    // A C program built with pkg-config's flags.
    let pc_path = prefix.join("lib/pkgconfig");
    let flags = stdout_of(
        Command::new("pkg-config")
            .args(["--cflags", "--libs", "wasm-runtime"])
            .env("PKG_CONFIG_PATH", &pc_path),
    );
    let libdir = stdout_of(
        Command::new("pkg-config")
            .args(["--variable=libdir", "wasm-runtime"])
            .env("PKG_CONFIG_PATH", &pc_path),
    );
    let c_consumer = scratch.0.join("consumer-c");
    run(Command::new("cc")
        .args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic"])
        .arg(source_dir().join("tests/consumers/consumer.c"))
        .arg("-o")
        .arg(&c_consumer)
        .args(flags.split_whitespace())
        .arg(format!("-Wl,-rpath,{}", libdir.trim())));
    check_consumer_output("pkg-config, C", &stdout_of(&mut Command::new(&c_consumer)));
}

#[test]
fn source_tree_works_as_a_cmake_subproject() {
    require_tool("cmake", "cmake");
    require_tool("c++", "g++");
    let scratch = Scratch::new("subproject");
    let source = format!("-DWASM_RUNTIME_SOURCE_DIR={}", source_dir().display());

    let build = scratch.0.join("add-subdirectory");
    cmake_configure(
        &source_dir().join("tests/consumers/subdirectory"),
        &build,
        std::slice::from_ref(&source),
    );
    cmake_build(&build);
    for consumer in ["consumer-shared", "consumer-static"] {
        let output = stdout_of(&mut Command::new(build.join(consumer)));
        check_consumer_output(&format!("add_subdirectory, {consumer}"), &output);
    }

    let build = scratch.0.join("fetchcontent");
    cmake_configure(
        &source_dir().join("tests/consumers/fetchcontent"),
        &build,
        std::slice::from_ref(&source),
    );
    cmake_build(&build);
    let output = stdout_of(&mut Command::new(build.join("consumer-shared")));
    check_consumer_output("FetchContent, consumer-shared", &output);
}
