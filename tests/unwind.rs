//! `native_unwind_info`: with it on (the default), the system unwinder
//! walks through wasm frames, so `backtrace()` called by a host function
//! that wasm called sees the host frames below the wasm frames; with it
//! off nothing is registered and the walk stops at the first wasm frame.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_runtime::config::Config;
use wasm_runtime::engine::Engine;
use wasm_runtime::module::{FuncType, Module};
use wasm_runtime::runtime::{is_wasm_code, Extern, Func, Instance, Store, Val};

/// The return addresses `backtrace()` finds from here.
fn backtrace() -> Vec<usize> {
    let mut buf = [std::ptr::null_mut(); 256];
    // SAFETY: `buf` holds 256 writable pointers.
    let n = unsafe { libc::backtrace(buf.as_mut_ptr(), buf.len() as libc::c_int) };
    buf[..n.max(0) as usize]
        .iter()
        .map(|&p| p as usize)
        .collect()
}

const WAT: &str = r#"
    (module
      (import "host" "probe" (func $probe))
      (func $inner (result i32)
        call $probe
        i32.const 7)
      (func $outer (export "run") (result i32)
        call $inner
        i32.const 1
        i32.add))
"#;

/// What one run saw: the stack of this function's caller (taken here,
/// without its own first frame) and the stack inside the host function.
struct Seen {
    below: Vec<usize>,
    inside: Vec<usize>,
}

impl Seen {
    /// Whether the walk from inside the host function reached the frames
    /// below the wasm frames.
    fn reaches_host_frames(&self) -> bool {
        !self.below.is_empty() && self.inside.ends_with(&self.below)
    }

    fn wasm_frames(&self) -> usize {
        self.inside.iter().filter(|&&pc| is_wasm_code(pc)).count()
    }
}

#[inline(never)]
fn run_capturing(module: &Module) -> Seen {
    let below = backtrace()[1..].to_vec();
    let store = Store::new(module.engine());
    let inside = Rc::new(RefCell::new(Vec::new()));
    let seen = inside.clone();
    let probe = Func::new(
        &store,
        FuncType::new([], []),
        Box::new(move |_, _| {
            *seen.borrow_mut() = backtrace();
            Ok(())
        }),
    );
    let instance = Instance::new(&store, module, &[Extern::Func(probe)]).unwrap();
    let run = instance
        .get_export("run")
        .and_then(Extern::into_func)
        .unwrap();
    let mut results = [Val::I32(0)];
    run.call(&[], &mut results).unwrap();
    assert_eq!(results[0].i32(), Some(8));
    let inside = inside.borrow().clone();
    Seen { below, inside }
}

fn module(unwind_info: bool) -> Module {
    let mut config = Config::new();
    config.set_native_unwind_info(unwind_info);
    let engine = Engine::new(&config).unwrap();
    Module::new(&engine, &wat::parse_str(WAT).unwrap()).unwrap()
}

#[test]
fn backtrace_walks_through_wasm_frames_with_unwind_info() {
    let module = module(true);
    assert!(module.has_unwind_info());
    let seen = run_capturing(&module);
    assert!(
        seen.reaches_host_frames(),
        "inside: {:x?}\nbelow: {:x?}",
        seen.inside,
        seen.below
    );
    // The wasm→host trampoline, $inner, $outer and the host→wasm trampoline.
    assert!(seen.wasm_frames() >= 4, "{:x?}", seen.inside);
}

#[test]
fn deserialized_modules_register_their_unwind_info() {
    let compiled = module(true);
    let bytes = compiled.serialize().unwrap();
    let module = Module::deserialize(compiled.engine(), &bytes).unwrap();
    drop(compiled);
    assert!(module.has_unwind_info());
    let seen = run_capturing(&module);
    assert!(seen.reaches_host_frames(), "{:x?}", seen.inside);
    assert!(seen.wasm_frames() >= 4, "{:x?}", seen.inside);
}

#[test]
fn without_unwind_info_nothing_is_registered_and_the_walk_stops_in_wasm() {
    let with = run_capturing(&module(true));
    let module = module(false);
    assert!(!module.has_unwind_info());
    let seen = run_capturing(&module);
    assert!(!seen.reaches_host_frames(), "{:x?}", seen.inside);
    assert!(seen.wasm_frames() <= 1, "{:x?}", seen.inside);
    assert!(seen.inside.len() < with.inside.len());
    println!(
        "backtrace() from the host function: {} frames ({} wasm) with unwind info, {} ({} wasm) without",
        with.inside.len(),
        with.wasm_frames(),
        seen.inside.len(),
        seen.wasm_frames()
    );
}

#[test]
fn unloading_modules_deregisters_their_unwind_info() {
    // Registering and deregistering many regions leaves the unwinder
    // working (a stale registration would crash the next walk through
    // freed unwind info, or find the wrong function).
    for _ in 0..20 {
        let module = module(true);
        let seen = run_capturing(&module);
        assert!(seen.reaches_host_frames());
    }
    let module = module(true);
    assert!(run_capturing(&module).reaches_host_frames());
}
