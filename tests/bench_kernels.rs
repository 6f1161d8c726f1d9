//! The benchmark kernels (`benches/kernels/*.c`) compiled to wasm32 and run
//! once each in our runtime: real C programs (sorting, hashing, an
//! interpreter, compression, floating point, bulk memory, indirect calls,
//! and the SIMD kernels), each of which checks its own result, so a
//! miscompilation shows up here as a wrong checksum instead of as a
//! suspiciously fast benchmark. Every kernel runs twice: built without
//! SIMD, and built with `-O3 -msimd128` (SIMD intrinsics, autovectorised
//! loops).
//!
//! Needs Debian's `clang` and `lld` (wasm-ld); without them the test fails
//! with the install command (`.ci/run` installs both), as every test that
//! drives an outside tool does. The timed comparison lives in
//! `benches/run.py`.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use wasm_runtime::engine::Engine;
use wasm_runtime::module::Module;
use wasm_runtime::runtime::{Extern, Func, Instance, Store, Val};

/// The flags `benches/run.py` uses for the wasm build of a kernel.
const WASM_CFLAGS: &[&str] = &[
    "--target=wasm32",
    "-O2",
    "-mbulk-memory",
    "-fno-math-errno",
    "-ffp-contract=off",
    "-nostdlib",
    "-Wl,--no-entry",
];

fn kernel_sources() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/kernels");
    let mut sources: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "c"))
        .filter(|p| p.file_name().is_some_and(|n| n != "native_main.c"))
        .collect();
    sources.sort();
    sources
}

/// What `benches/run.py` adds for the SIMD builds (in place of `-O2`):
/// the SIMD kernels' intrinsics and clang's autovectoriser.
const WASM_SIMD_CFLAGS: &[&str] = &["-O3", "-msimd128"];

/// The kernels written with `wasm_simd128.h` intrinsics.
const SIMD_KERNELS: &[&str] = &["mat4", "bytesum", "blend", "dot16"];

/// One way of building the kernels: flags after the common ones (a later
/// `--target` wins), and the suffix of the output's file name.
struct Build {
    flags: &'static [&'static str],
    suffix: &'static str,
}

const PLAIN: Build = Build {
    flags: &[],
    suffix: "",
};

const SIMD: Build = Build {
    flags: WASM_SIMD_CFLAGS,
    suffix: "-simd128",
};

/// The kernels for wasm64: pointers are 64-bit and the memory is a
/// memory64 one (issue 10).
const WASM64: Build = Build {
    flags: &["--target=wasm64"],
    suffix: "-wasm64",
};

/// Starts clang on one kernel (built as `build` says); the compilations
/// run side by side.
fn start_compile(
    source: &Path,
    out_dir: &Path,
    build: &Build,
) -> (PathBuf, std::io::Result<Child>) {
    let stem = source.file_stem().expect("file name").to_string_lossy();
    let (suffix, extra) = (build.suffix, build.flags);
    let wasm = out_dir.join(format!("{stem}{suffix}.wasm"));
    let child = Command::new("clang")
        .args(WASM_CFLAGS)
        .args(extra)
        .arg("-o")
        .arg(&wasm)
        .arg(source)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn();
    (wasm, child)
}

fn finish_compile(wasm: &Path, child: std::io::Result<Child>) -> Result<Vec<u8>, String> {
    let out = child
        .and_then(Child::wait_with_output)
        .map_err(|e| format!("cannot run clang: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "clang failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    std::fs::read(wasm).map_err(|e| format!("cannot read {}: {e}", wasm.display()))
}

fn export(instance: &Instance, name: &str) -> Result<Func, String> {
    instance
        .get_export(name)
        .and_then(Extern::into_func)
        .ok_or_else(|| format!("no exported function `{name}`"))
}

fn call(func: &Func, name: &str, params: &[Val]) -> Result<Val, String> {
    let mut results = [Val::I32(0)];
    func.call(params, &mut results)
        .map_err(|trap| format!("`{name}` trapped: {}", trap.message()))?;
    Ok(results[0].clone())
}

/// Runs one kernel: `run(bench_size())` must return 0 (its own check).
fn run_kernel(engine: &Engine, wasm: &[u8]) -> Result<(), String> {
    let module = Module::new(engine, wasm).map_err(|e| format!("does not compile: {e}"))?;
    let store = Store::new(engine);
    let instance =
        Instance::new(&store, &module, &[]).map_err(|e| format!("does not instantiate: {e}"))?;
    let size = call(&export(&instance, "bench_size")?, "bench_size", &[])?;
    let status = call(&export(&instance, "run")?, "run", &[size])?;
    if status.i32() == Some(0) {
        return Ok(());
    }
    let checksum = call(&export(&instance, "last_checksum")?, "last_checksum", &[])?;
    Err(format!(
        "wrong result: run returned {status:?}, checksum {checksum:?}"
    ))
}

/// Compiles every kernel as `build` says and runs it in `engine`; returns
/// the failures and the binaries by kernel name.
fn compile_and_run_all(engine: &Engine, build: &Build) -> (Vec<String>, Vec<(String, Vec<u8>)>) {
    support::require_tool("clang", "clang");
    support::require_tool("wasm-ld", "lld");
    let out_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("bench_kernels");
    std::fs::create_dir_all(&out_dir).expect("create output folder");
    let sources = kernel_sources();
    assert!(
        sources.len() >= 10,
        "expected the benchmark kernels in benches/kernels"
    );
    let compiles: Vec<_> = sources
        .iter()
        .map(|source| start_compile(source, &out_dir, build))
        .collect();
    let mut failures = Vec::new();
    let mut binaries = Vec::new();
    for (source, (wasm, child)) in sources.iter().zip(compiles) {
        let name = source.file_stem().expect("file name").to_string_lossy();
        match finish_compile(&wasm, child) {
            Ok(wasm) => {
                if let Err(e) = run_kernel(engine, &wasm) {
                    failures.push(format!("{name}: {e}"));
                }
                binaries.push((name.into_owned(), wasm));
            }
            Err(e) => failures.push(format!("{name}: {e}")),
        }
    }
    (failures, binaries)
}

#[test]
fn every_kernel_computes_its_known_answer() {
    let (failures, _) = compile_and_run_all(&Engine::default(), &PLAIN);
    assert!(
        failures.is_empty(),
        "kernels failed:\n{}",
        failures.join("\n")
    );
}

/// Issue 9: the same kernels built with SIMD (the intrinsics of the SIMD
/// kernels, clang's autovectoriser for the others) compute the same
/// answers, in both relaxed-SIMD modes; the SIMD kernels really use SIMD
/// (they do not validate without it).
#[test]
fn every_kernel_built_with_simd_computes_its_known_answer() {
    for deterministic in [false, true] {
        let mut config = wasm_runtime::config::Config::new();
        config.set_relaxed_simd_deterministic(deterministic);
        let engine = Engine::new(&config).unwrap();
        let (failures, binaries) = compile_and_run_all(&engine, &SIMD);
        assert!(
            failures.is_empty(),
            "SIMD kernels failed (relaxed_simd_deterministic {deterministic}):\n{}",
            failures.join("\n")
        );
        let scalar_only = wasmparser::WasmFeatures::WASM2 - wasmparser::WasmFeatures::SIMD;
        for name in SIMD_KERNELS {
            let (_, wasm) = binaries
                .iter()
                .find(|(n, _)| n == name)
                .unwrap_or_else(|| panic!("no SIMD kernel {name} in benches/kernels"));
            assert!(
                wasmparser::Validator::new_with_features(scalar_only)
                    .validate_all(wasm)
                    .is_err(),
                "{name} built with -msimd128 uses no SIMD"
            );
        }
    }
}

/// Issue 10: the kernels built for wasm64 (64-bit pointers in a memory64
/// memory, so every access is bounds-checked explicitly) compute the same
/// answers, with and without signal-based traps.
#[test]
fn every_kernel_built_for_wasm64_computes_its_known_answer() {
    for signals in [true, false] {
        let mut config = wasm_runtime::config::Config::new();
        config
            .set_wasm_memory64(true)
            .set_signals_based_traps(signals);
        let engine = Engine::new(&config).unwrap();
        let (failures, binaries) = compile_and_run_all(&engine, &WASM64);
        assert!(
            failures.is_empty(),
            "wasm64 kernels failed (signals_based_traps {signals}):\n{}",
            failures.join("\n")
        );
        let without_memory64 = wasmparser::WasmFeatures::WASM2;
        for (name, wasm) in &binaries {
            assert!(
                wasmparser::Validator::new_with_features(without_memory64)
                    .validate_all(wasm)
                    .is_err(),
                "{name} built for wasm64 has no 64-bit memory"
            );
        }
    }
}

/// Issue 10: the histogram kernel built with atomics on a shared memory
/// (every update an atomic read-modify-write) computes the answer of the
/// plain build, and really uses shared memory and atomics.
#[test]
fn the_atomic_histogram_computes_the_plain_answer() {
    const ATOMIC: Build = Build {
        flags: &[
            "-matomics",
            "-DBENCH_ATOMIC",
            "-Wl,--shared-memory",
            "-Wl,--max-memory=16777216",
        ],
        suffix: "-atomic",
    };
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/kernels/histogram.c");
    let out_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("bench_kernels");
    std::fs::create_dir_all(&out_dir).expect("create output folder");
    support::require_tool("clang", "clang");
    support::require_tool("wasm-ld", "lld");
    let (wasm, child) = start_compile(&source, &out_dir, &ATOMIC);
    let wasm = finish_compile(&wasm, child).unwrap_or_else(|e| panic!("histogram: {e}"));
    run_kernel(&Engine::default(), &wasm).unwrap_or_else(|e| panic!("atomic histogram: {e}"));
    let without_threads = wasmparser::WasmFeatures::WASM2;
    assert!(
        wasmparser::Validator::new_with_features(without_threads)
            .validate_all(&wasm)
            .is_err(),
        "the atomic histogram uses no shared memory or atomics"
    );
}
