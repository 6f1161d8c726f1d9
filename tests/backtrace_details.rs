//! `wasm_backtrace_details` (issue 15): a trap's frames carry the source
//! file, line and column from the module's DWARF, through the Rust API and
//! `wasm_frame_source`. A C program compiled to wasm with `-g` traps in a
//! known line; with details off, or without DWARF, frames have no source.
//!
//! Needs Debian's `clang` and `lld` (wasm-ld), as tests/bench_kernels.rs.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use wasm_runtime::config::{Config, WasmBacktraceDetails};
use wasm_runtime::engine::Engine;
use wasm_runtime::module::Module;
use wasm_runtime::runtime::{Extern, Instance, Store, TrapKind, Val};

/// The C source; the lines the test expects are marked.
const SOURCE: &str = r#"__attribute__((noinline)) int divide(int a, int b) {
  return a / b; /* line 2: the trap */
}

__attribute__((export_name("run"))) int run(int b) {
  int q = divide(100, b); /* line 6: the call */
  return q + 1;
}
"#;

/// Compiles `SOURCE` to wasm with `flags`; returns the binary.
fn compile_c(name: &str, flags: &[&str]) -> Vec<u8> {
    support::require_tool("clang", "clang");
    support::require_tool("wasm-ld", "lld");
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("backtrace_details");
    std::fs::create_dir_all(&dir).unwrap();
    let source: PathBuf = dir.join("details.c");
    std::fs::write(&source, SOURCE).unwrap();
    let wasm = dir.join(format!("{name}.wasm"));
    let out = Command::new("clang")
        .args(["--target=wasm32", "-O1", "-nostdlib", "-Wl,--no-entry"])
        .args(flags)
        .arg("-o")
        .arg(&wasm)
        .arg(&source)
        .output()
        .expect("run clang");
    assert!(
        out.status.success(),
        "clang failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read(&wasm).unwrap()
}

fn engine(details: WasmBacktraceDetails) -> Engine {
    let mut config = Config::new();
    config.set_wasm_backtrace_details(details);
    Engine::new(&config).unwrap()
}

/// The trap of `run(0)` (a division by zero in `divide`).
fn trap_of(engine: &Engine, wasm: &[u8]) -> wasm_runtime::runtime::Trap {
    let module = Module::new(engine, wasm).unwrap();
    let store = Store::new(engine);
    let instance = Instance::new(&store, &module, &[]).unwrap();
    let run = instance
        .get_export("run")
        .and_then(Extern::into_func)
        .unwrap();
    let trap = run.call(&[Val::I32(0)], &mut [Val::I32(0)]).unwrap_err();
    assert_eq!(trap.kind(), Some(TrapKind::IntegerDivisionByZero));
    trap
}

#[test]
fn frames_name_the_c_source_line() {
    let wasm = compile_c("debug", &["-g"]);
    let trap = trap_of(&engine(WasmBacktraceDetails::Enable), &wasm);
    let frames = trap.trace();
    assert!(frames.len() >= 2, "{frames:?}");
    let inner = frames[0]
        .source()
        .expect("the trapping frame has a source position");
    assert!(inner.file.ends_with("details.c"), "{inner:?}");
    assert_eq!(inner.line, 2, "{inner:?}");
    assert!(inner.column > 0, "{inner:?}");
    let caller = frames[1]
        .source()
        .expect("the calling frame has a source position");
    assert!(caller.file.ends_with("details.c"), "{caller:?}");
    assert_eq!(caller.line, 6, "{caller:?}");

    // Details off: the same frames, without source positions.
    let trap = trap_of(&engine(WasmBacktraceDetails::Disable), &wasm);
    assert!(trap.trace().iter().all(|f| f.source().is_none()));
    // No DWARF: nothing to say.
    let plain = compile_c("plain", &[]);
    let trap = trap_of(&engine(WasmBacktraceDetails::Enable), &plain);
    assert!(!trap.trace().is_empty());
    assert!(trap.trace().iter().all(|f| f.source().is_none()));
}

/// The same through the C API: `wasm_trap_origin` and `wasm_frame_source`.
#[test]
fn wasm_frame_source_reports_file_line_and_column() {
    use wasm_runtime::capi::engine::{
        wasm_config_new, wasm_engine_delete, wasm_engine_new_with_config,
    };
    use wasm_runtime::capi::ext::config::{
        wasm_config_wasm_backtrace_details_set, WASM_BACKTRACE_DETAILS_ENABLE,
    };
    use wasm_runtime::capi::ext::trap::wasm_frame_source;
    use wasm_runtime::capi::frame::wasm_frame_delete;
    use wasm_runtime::capi::func::wasm_func_call;
    use wasm_runtime::capi::instance::{
        wasm_instance_delete, wasm_instance_exports, wasm_instance_new,
    };
    use wasm_runtime::capi::module::{wasm_module_delete, wasm_module_new};
    use wasm_runtime::capi::r#extern::wasm_extern_as_func_const;
    use wasm_runtime::capi::store::{wasm_store_delete, wasm_store_new};
    use wasm_runtime::capi::trap::{wasm_trap_delete, wasm_trap_origin};
    use wasm_runtime::capi::val::wasm_val_t;
    use wasm_runtime::capi::valtype::WASM_I32;
    use wasm_runtime::capi::vec::{
        wasm_byte_vec_delete, wasm_byte_vec_t, wasm_extern_vec_delete, wasm_extern_vec_t,
        wasm_val_vec_t, CVec,
    };

    let wasm = compile_c("debug-c", &["-g"]);
    let mut config = wasm_config_new();
    wasm_config_wasm_backtrace_details_set(Some(&mut config), WASM_BACKTRACE_DETAILS_ENABLE);
    let engine = Box::into_raw(wasm_engine_new_with_config(Some(config)).unwrap());
    // SAFETY: every pointer passed is live or NULL, as the C API requires;
    // each object is freed once, after its last use.
    unsafe {
        let store = Box::into_raw(wasm_store_new(engine).unwrap());
        let mut binary = wasm_byte_vec_t::from_vec(wasm);
        let module = wasm_module_new(store, Some(&binary)).expect("module");
        let imports = wasm_extern_vec_t::empty();
        let instance =
            wasm_instance_new(store, Some(&module), Some(&imports), None).expect("instance");
        let mut exports = wasm_extern_vec_t::empty();
        wasm_instance_exports(Some(&instance), Some(&mut exports));
        let run = exports
            .as_slice()
            .iter()
            .flatten()
            .find_map(|e| wasm_extern_as_func_const(Some(e)))
            .expect("an exported function");
        let mut args = [wasm_val_t::zeroed(WASM_I32)];
        let mut results = [wasm_val_t::zeroed(WASM_I32)];
        let args_vec = wasm_val_vec_t {
            size: 1,
            data: args.as_mut_ptr(),
        };
        let mut results_vec = wasm_val_vec_t {
            size: 1,
            data: results.as_mut_ptr(),
        };
        let trap = wasm_func_call(Some(run), Some(&args_vec), &mut results_vec).expect("a trap");
        let frame = wasm_trap_origin(Some(&trap)).expect("an origin frame");
        let mut file = wasm_byte_vec_t::empty();
        let (mut line, mut column) = (0u32, 0u32);
        assert!(wasm_frame_source(
            Some(&frame),
            Some(&mut file),
            Some(&mut line),
            Some(&mut column)
        ));
        let file = String::from_utf8(file.take()).unwrap();
        assert!(file.ends_with("details.c"), "{file}");
        assert_eq!((line, column > 0), (2, true));
        assert!(!wasm_frame_source(None, None, None, None));
        wasm_frame_delete(Some(frame));
        wasm_trap_delete(Some(trap));
        wasm_extern_vec_delete(Some(&mut exports));
        wasm_instance_delete(Some(instance));
        wasm_module_delete(Some(module));
        wasm_byte_vec_delete(Some(&mut binary));
        wasm_store_delete(Some(Box::from_raw(store)));
        wasm_engine_delete(Some(Box::from_raw(engine)));
    }
}
