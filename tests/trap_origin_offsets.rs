//! A trap's origin frame names the wasm instruction that trapped
//! (`wasm_frame_module_offset`), also when the instruction is the only one
//! of a conditional branch: `(if (local.get 0) (then unreachable))`.
//!
//! Checked without optimisation: with Cranelift optimising (`speed`, the
//! default), the branch and the trap are folded into one conditional trap
//! that carries the source location of the `if`, so the origin names the
//! `if` two bytes before the `unreachable` (a known limitation, noted on
//! the compile-and-run issue).
//!
//! The C functions are called through the rlib exactly as C calls them;
//! every pointer passed is live or NULL as the C contract requires.

use wasm_runtime::capi::engine::*;
use wasm_runtime::capi::ext::config::*;
use wasm_runtime::capi::ext::wat::wasm_wat2wasm;
use wasm_runtime::capi::frame::*;
use wasm_runtime::capi::func::*;
use wasm_runtime::capi::instance::*;
use wasm_runtime::capi::module::*;
use wasm_runtime::capi::r#extern::*;
use wasm_runtime::capi::store::*;
use wasm_runtime::capi::trap::*;
use wasm_runtime::capi::val::wasm_val_t;
use wasm_runtime::capi::valtype::WASM_I32;
use wasm_runtime::capi::vec::*;

const WAT: &str = r#"(module
  (func (export "f") (param i32)
    (if (local.get 0) (then unreachable))))"#;

/// Runs `f(1)` on an engine with the given optimisation level; returns the
/// trap origin's module offset and the offset of the `unreachable` opcode.
fn origin_and_unreachable_offsets(opt_level: wasm_opt_level_t) -> (usize, usize) {
    let mut config = wasm_config_new();
    wasm_config_cranelift_opt_level_set(Some(&mut config), opt_level);
    let engine = wasm_engine_new_with_config(Some(config)).expect("engine");
    let engine_ptr = &*engine as *const wasm_engine_t as *mut wasm_engine_t;
    // SAFETY: a live engine.
    let store = unsafe { wasm_store_new(engine_ptr) }.expect("store");
    let store_ptr = &*store as *const wasm_store_t as *mut wasm_store_t;

    let mut binary = wasm_byte_vec_t::from_vec(Vec::new());
    assert!(wasm_wat2wasm(WAT.as_ptr().cast(), WAT.len(), Some(&mut binary)).is_none());
    // SAFETY: made by wasm_wat2wasm.
    let bytes = unsafe { binary.as_slice() }.to_vec();
    // The body's code: local.get 0 (20 00), if (04 40), unreachable (00).
    let unreachable = bytes
        .windows(5)
        .position(|w| w == [0x20, 0x00, 0x04, 0x40, 0x00])
        .expect("the function body")
        + 4;

    // SAFETY: live store, valid vector.
    let module = unsafe { wasm_module_new(store_ptr, Some(&binary)) }.expect("module");
    // SAFETY: made by wasm_wat2wasm.
    drop(unsafe { binary.take() });
    let no_imports = wasm_extern_vec_t::empty();
    // SAFETY: live store and module.
    let instance = unsafe { wasm_instance_new(store_ptr, Some(&module), Some(&no_imports), None) }
        .expect("instance");
    let mut exports = wasm_extern_vec_t::empty();
    wasm_instance_exports(Some(&instance), Some(&mut exports));
    // SAFETY: made by wasm_instance_exports.
    let exports = unsafe { exports.take() };
    let f = wasm_extern_as_func_const(exports[0].as_deref()).expect("f");

    let mut arg = wasm_val_t::zeroed(WASM_I32);
    arg.of.i32 = 1;
    let mut args = [arg];
    let arg_vec = wasm_val_vec_t {
        size: 1,
        data: args.as_mut_ptr(),
    };
    let mut no_results = wasm_val_vec_t::empty();
    // SAFETY: a live function; the vectors outlive the call.
    let trap =
        unsafe { wasm_func_call(Some(f), Some(&arg_vec), &mut no_results) }.expect("f(1) traps");
    let origin = wasm_trap_origin(Some(&trap)).expect("an origin frame");
    let offset = wasm_frame_module_offset(Some(&origin));
    wasm_frame_delete(Some(origin));
    wasm_trap_delete(Some(trap));
    (offset, unreachable)
}

#[test]
fn origin_names_the_unreachable_without_optimisation() {
    let (origin, unreachable) = origin_and_unreachable_offsets(WASM_OPT_LEVEL_NONE);
    assert_eq!(
        origin, unreachable,
        "the origin should be the `unreachable` at {unreachable:#x}"
    );
}
