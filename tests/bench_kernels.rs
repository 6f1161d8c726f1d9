//! The benchmark kernels (`benches/kernels/*.c`) compiled to wasm32 and run
//! once each in our runtime: 13 real C programs (sorting, hashing, an
//! interpreter, compression, floating point, bulk memory, indirect calls),
//! each of which checks its own result, so a miscompilation shows up here as
//! a wrong checksum instead of as a suspiciously fast benchmark.
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

/// Starts clang on one kernel; the compilations run side by side.
fn start_compile(source: &Path, out_dir: &Path) -> (PathBuf, std::io::Result<Child>) {
    let stem = source.file_stem().expect("file name").to_string_lossy();
    let wasm = out_dir.join(format!("{stem}.wasm"));
    let child = Command::new("clang")
        .args(WASM_CFLAGS)
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

#[test]
fn every_kernel_computes_its_known_answer() {
    support::require_tool("clang", "clang");
    support::require_tool("wasm-ld", "lld");
    let out_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("bench_kernels");
    std::fs::create_dir_all(&out_dir).expect("create output folder");
    let engine = Engine::default();
    let sources = kernel_sources();
    assert!(
        sources.len() >= 10,
        "expected the benchmark kernels in benches/kernels"
    );
    let compiles: Vec<_> = sources
        .iter()
        .map(|source| start_compile(source, &out_dir))
        .collect();
    let failures: Vec<String> = sources
        .iter()
        .zip(compiles)
        .filter_map(|(source, (wasm, child))| {
            let name = source.file_name().expect("file name").to_string_lossy();
            finish_compile(&wasm, child)
                .and_then(|wasm| run_kernel(&engine, &wasm))
                .err()
                .map(|e| format!("{name}: {e}"))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "kernels failed:\n{}",
        failures.join("\n")
    );
}
