//! The object half of the C API (stores, modules, instances, functions,
//! globals, tables, memories, references, traps), called through the rlib
//! exactly as C calls it.
//!
//! Calls of the `unsafe` C functions pass valid or NULL pointers, as the
//! C contract requires; each is wrapped in its own `unsafe` block.

// Handles are boxes because that is how C owns them.
#![allow(clippy::vec_box)]

use std::ffi::c_void;
use std::ptr;
use std::sync::atomic::{AtomicUsize, Ordering};

use wasm_runtime::capi::engine::{wasm_engine_delete, wasm_engine_new, wasm_engine_t};
use wasm_runtime::capi::ext::error::*;
use wasm_runtime::capi::ext::instance::wasm_instance_new_checked;
use wasm_runtime::capi::ext::module::{wasm_module_deserialize_checked, wasm_module_new_checked};
use wasm_runtime::capi::ext::wat::wasm_wat2wasm;
use wasm_runtime::capi::externtype::{
    WASM_EXTERN_FUNC, WASM_EXTERN_GLOBAL, WASM_EXTERN_MEMORY, WASM_EXTERN_TABLE,
};
use wasm_runtime::capi::foreign::*;
use wasm_runtime::capi::frame::*;
use wasm_runtime::capi::func::*;
use wasm_runtime::capi::functype::{wasm_functype_delete, wasm_functype_new, wasm_functype_t};
use wasm_runtime::capi::global::*;
use wasm_runtime::capi::globaltype::{
    wasm_globaltype_delete, wasm_globaltype_new, WASM_CONST, WASM_VAR,
};
use wasm_runtime::capi::instance::*;
use wasm_runtime::capi::limits::wasm_limits_t;
use wasm_runtime::capi::memory::*;
use wasm_runtime::capi::memorytype::{wasm_memorytype_delete, wasm_memorytype_new};
use wasm_runtime::capi::module::*;
use wasm_runtime::capi::r#extern::*;
use wasm_runtime::capi::r#ref::*;
use wasm_runtime::capi::store::*;
use wasm_runtime::capi::table::*;
use wasm_runtime::capi::trap::*;
use wasm_runtime::capi::val::wasm_val_t;
use wasm_runtime::capi::valtype::*;
use wasm_runtime::capi::vec::*;

// ---------------------------------------------------------------------------
// Helpers: thin safe wrappers over the C functions, for readable tests.

/// A store as the `wasm_store_t*` the C functions take.
fn sp(store: &wasm_store_t) -> *mut wasm_store_t {
    store as *const wasm_store_t as *mut wasm_store_t
}

/// An engine as the `wasm_engine_t*` the C functions take.
fn ep(engine: &wasm_engine_t) -> *mut wasm_engine_t {
    engine as *const wasm_engine_t as *mut wasm_engine_t
}

fn engine() -> Box<wasm_engine_t> {
    wasm_engine_new().expect("engine")
}

fn wat(text: &str) -> wasm_byte_vec_t {
    let mut out = wasm_byte_vec_t::from_vec(Vec::new());
    let err = wasm_wat2wasm(text.as_ptr().cast(), text.len(), Some(&mut out));
    assert!(err.is_none(), "wat2wasm: {}", error_text(err));
    out
}

/// The kind and byte offset (`wasm_error_kind`, `wasm_error_offset`) of
/// an error, which stays the caller's.
fn kind_and_offset(err: &wasm_error_t) -> (wasm_error_kind_t, Option<usize>) {
    let mut offset = usize::MAX;
    let has = wasm_error_offset(Some(err), Some(&mut offset));
    assert_eq!(
        has,
        offset != usize::MAX,
        "offset written exactly when true is returned"
    );
    (wasm_error_kind(Some(err)), has.then_some(offset))
}

/// `error_text` after checking the error's kind and offset.
fn error_text_of_kind(
    err: Option<Box<wasm_error_t>>,
    kind: wasm_error_kind_t,
    offset: Option<usize>,
) -> String {
    let err = err.expect("an error");
    let seen = kind_and_offset(&err);
    let text = error_text(Some(err));
    assert_eq!(seen, (kind, offset), "{text}");
    text
}

fn error_text(err: Option<Box<wasm_error_t>>) -> String {
    let Some(err) = err else {
        return String::new();
    };
    let mut msg = wasm_byte_vec_t::from_vec(Vec::new());
    wasm_error_message(Some(&err), Some(&mut msg));
    wasm_error_delete(Some(err));
    // SAFETY: made by wasm_error_message.
    String::from_utf8(unsafe { msg.take() }).unwrap()
}

fn trap_text(trap: Option<Box<wasm_trap_t>>) -> String {
    let trap = trap.expect("expected a trap");
    let mut msg = wasm_byte_vec_t::from_vec(Vec::new());
    wasm_trap_message(Some(&trap), Some(&mut msg));
    wasm_trap_delete(Some(trap));
    // SAFETY: made by wasm_trap_message.
    let mut bytes = unsafe { msg.take() };
    assert_eq!(bytes.pop(), Some(0), "trap messages are NUL-terminated");
    String::from_utf8(bytes).unwrap()
}

fn module(store: &wasm_store_t, text: &str) -> Box<wasm_module_t> {
    let mut bin = wat(text);
    let m = unsafe { wasm_module_new(sp(store), Some(&bin)) }.expect("module");
    // SAFETY: made by wat().
    drop(unsafe { bin.take() });
    m
}

/// Instantiates and returns the instance and its exports.
fn instantiate(
    store: &wasm_store_t,
    text: &str,
    imports: &[&wasm_extern_t],
) -> (Box<wasm_instance_t>, Vec<Box<wasm_extern_t>>) {
    let m = module(store, text);
    let mut import_ptrs: Vec<Option<Box<wasm_extern_t>>> =
        imports.iter().map(|e| wasm_extern_copy(Some(e))).collect();
    let vec = wasm_extern_vec_t {
        size: import_ptrs.len(),
        data: import_ptrs.as_mut_ptr(),
    };
    let mut trap = ptr::null_mut();
    let instance = unsafe { wasm_instance_new(sp(store), Some(&m), Some(&vec), Some(&mut trap)) };
    assert!(trap.is_null(), "instantiation trapped");
    let instance = instance.expect("instance");
    drop(import_ptrs);
    wasm_module_delete(Some(m));
    let exports = exports_of(&instance);
    (instance, exports)
}

fn exports_of(instance: &wasm_instance_t) -> Vec<Box<wasm_extern_t>> {
    let mut out = wasm_extern_vec_t::empty();
    wasm_instance_exports(Some(instance), Some(&mut out));
    // SAFETY: made by wasm_instance_exports.
    unsafe { out.take() }
        .into_iter()
        .map(|e| e.expect("export"))
        .collect()
}

fn as_func(e: &wasm_extern_t) -> &wasm_func_t {
    wasm_extern_as_func_const(Some(e)).expect("a function export")
}

fn i32_val(i: i32) -> wasm_val_t {
    let mut v = wasm_val_t::zeroed(WASM_I32);
    v.of.i32 = i;
    v
}

fn f64_val(f: f64) -> wasm_val_t {
    let mut v = wasm_val_t::zeroed(WASM_F64);
    v.of.f64 = f;
    v
}

/// Calls `f` with `args` and room for `nresults` results; the results, or
/// the trap's message.
fn call(
    f: &wasm_func_t,
    args: &mut [wasm_val_t],
    nresults: usize,
) -> Result<Vec<wasm_val_t>, String> {
    call_for_trap(f, args, nresults).map_err(|trap| trap_text(Some(trap)))
}

/// Like `call`, handing back the trap object itself.
fn call_for_trap(
    f: &wasm_func_t,
    args: &mut [wasm_val_t],
    nresults: usize,
) -> Result<Vec<wasm_val_t>, Box<wasm_trap_t>> {
    let args_vec = wasm_val_vec_t {
        size: args.len(),
        data: args.as_mut_ptr(),
    };
    let mut results: Vec<wasm_val_t> = (0..nresults)
        .map(|_| wasm_val_t::zeroed(WASM_I32))
        .collect();
    let mut results_vec = wasm_val_vec_t {
        size: results.len(),
        data: results.as_mut_ptr(),
    };
    match unsafe { wasm_func_call(Some(f), Some(&args_vec), &mut results_vec) } {
        None => Ok(results),
        Some(trap) => Err(trap),
    }
}

fn functype(params: &[wasm_valkind_t], results: &[wasm_valkind_t]) -> Box<wasm_functype_t> {
    let make = |kinds: &[wasm_valkind_t]| {
        wasm_valtype_vec_t::from_vec(kinds.iter().map(|k| wasm_valtype_new(*k)).collect())
    };
    let mut p = make(params);
    let mut r = make(results);
    // SAFETY: both vectors were made by this library.
    unsafe { wasm_functype_new(Some(&mut p), Some(&mut r)) }.expect("functype")
}

// ---------------------------------------------------------------------------

const ADD: &str = r#"(module
  (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
  (func (export "div") (param i32 i32) (result i32) local.get 0 local.get 1 i32.div_s)
  (memory (export "mem") 1 4)
  (global (export "g") (mut i32) (i32.const 7))
  (table (export "t") 2 funcref)
  (elem (i32.const 0) 0))"#;

#[test]
fn instantiate_and_call_exports() {
    let engine = engine();
    let store = unsafe { wasm_store_new(ep(&engine)) }.unwrap();
    let (instance, exports) = instantiate(&store, ADD, &[]);
    assert_eq!(exports.len(), 5);
    let kinds: Vec<_> = exports.iter().map(|e| wasm_extern_kind(Some(e))).collect();
    assert_eq!(
        kinds,
        [
            WASM_EXTERN_FUNC,
            WASM_EXTERN_FUNC,
            WASM_EXTERN_MEMORY,
            WASM_EXTERN_GLOBAL,
            WASM_EXTERN_TABLE
        ]
    );
    let add = as_func(&exports[0]);
    assert_eq!(wasm_func_param_arity(Some(add)), 2);
    assert_eq!(wasm_func_result_arity(Some(add)), 1);
    let results = call(add, &mut [i32_val(2), i32_val(40)], 1).unwrap();
    assert_eq!(results[0].kind, WASM_I32);
    // SAFETY: kind checked above.
    assert_eq!(unsafe { results[0].of.i32 }, 42);

    // A wasm trap comes back with the spec's message.
    let err = call(as_func(&exports[1]), &mut [i32_val(1), i32_val(0)], 1).unwrap_err();
    assert!(err.contains("integer divide by zero"), "{err}");

    // Kind checks on the extern views.
    assert!(wasm_extern_as_global_const(Some(&exports[0])).is_none());
    assert!(wasm_extern_as_memory_const(Some(&exports[2])).is_some());
    wasm_instance_delete(Some(instance));
    drop(exports);
    wasm_store_delete(Some(store));
    wasm_engine_delete(Some(engine));
}

#[test]
fn wrong_arity_kinds_and_nulls_are_traps_not_crashes() {
    let engine = engine();
    let store = unsafe { wasm_store_new(ep(&engine)) }.unwrap();
    let (_instance, exports) = instantiate(&store, ADD, &[]);
    let add = as_func(&exports[0]);

    let err = call(add, &mut [i32_val(1)], 1).unwrap_err();
    assert!(err.contains("1 arguments, expected 2"), "{err}");
    let err = call(add, &mut [i32_val(1), i32_val(2), i32_val(3)], 1).unwrap_err();
    assert!(err.contains("3 arguments, expected 2"), "{err}");
    let err = call(add, &mut [f64_val(1.0), i32_val(2)], 1).unwrap_err();
    assert!(err.contains("argument 0") && err.contains("f64"), "{err}");
    let err = call(add, &mut [i32_val(1), i32_val(2)], 0).unwrap_err();
    assert!(err.contains("room for 0 results, expected 1"), "{err}");
    let mut bad_kind = i32_val(1);
    bad_kind.kind = 77;
    let err = call(add, &mut [bad_kind, i32_val(2)], 1).unwrap_err();
    assert!(err.contains("77"), "{err}");

    // NULL function, NULL vectors.
    let msg = trap_text(unsafe { wasm_func_call(None, None, ptr::null_mut()) });
    assert!(msg.contains("NULL"), "{msg}");
    let msg = trap_text(unsafe { wasm_func_call(Some(add), None, ptr::null_mut()) });
    assert!(msg.contains("0 arguments, expected 2"), "{msg}");

    // A funcref argument that is not a function.
    let foreign = unsafe { wasm_foreign_new(sp(&store)) }.unwrap();
    let mut v = wasm_val_t::zeroed(WASM_FUNCREF);
    v.of.r#ref = wasm_foreign_as_ref_const(Some(&foreign)).unwrap() as *const _ as *mut _;
    let (_i2, ex2) = instantiate(
        &store,
        r#"(module (func (export "f") (param funcref)))"#,
        &[],
    );
    let err = call(as_func(&ex2[0]), &mut [v], 0).unwrap_err();
    assert!(err.contains("funcref"), "{err}");
    wasm_foreign_delete(Some(foreign));

    // NULL everywhere else: no crash, neutral answers.
    assert!(unsafe { wasm_store_new(ptr::null_mut()) }.is_none());
    assert!(unsafe { wasm_module_new(sp(&store), None) }.is_none());
    assert!(!unsafe { wasm_module_validate(ptr::null_mut(), None) });
    assert!(unsafe { wasm_func_new(sp(&store), None, None) }.is_none());
    assert!(unsafe { wasm_global_new(ptr::null_mut(), None, None) }.is_none());
    assert!(unsafe { wasm_table_new(ptr::null_mut(), None, ptr::null_mut()) }.is_none());
    assert!(unsafe { wasm_memory_new(ptr::null_mut(), None) }.is_none());
    assert!(wasm_func_type(None).is_none());
    assert_eq!(wasm_func_param_arity(None), 0);
    assert_eq!(wasm_extern_kind(None), 0xff);
    assert!(unsafe { wasm_ref_as_func(ptr::null_mut()) }.is_null());
    assert!(unsafe { wasm_extern_as_func(ptr::null_mut()) }.is_null());
    assert!(unsafe { wasm_memory_data(ptr::null_mut()) }.is_null());
    assert_eq!(wasm_memory_data_size(None), 0);
    assert!(!unsafe { wasm_memory_grow(ptr::null_mut(), 1) });
    assert!(wasm_table_get(None, 0).is_none());
    assert!(!unsafe { wasm_table_set(ptr::null_mut(), 0, ptr::null_mut()) });
    assert!(!wasm_func_same(None, None));
    assert!(wasm_func_get_host_info(None).is_null());
    unsafe { wasm_func_set_host_info(ptr::null_mut(), ptr::null_mut()) };
    assert!(wasm_trap_origin(None).is_none());
    let mut trap = ptr::null_mut();
    assert!(unsafe { wasm_instance_new(ptr::null_mut(), None, None, Some(&mut trap)) }.is_none());
    assert!(trap_text(Some(unsafe { Box::from_raw(trap) })).contains("NULL"));
    let mut exports = wasm_extern_vec_t::empty();
    wasm_instance_exports(None, Some(&mut exports));
    assert_eq!(exports.size, 0);
}

static DOUBLE_CALLS: AtomicUsize = AtomicUsize::new(0);
static DOUBLE_FINALIZED: AtomicUsize = AtomicUsize::new(0);

unsafe extern "C" fn double_with_env(
    env: *mut c_void,
    args: *const wasm_val_vec_t,
    results: *mut wasm_val_vec_t,
) -> *mut wasm_trap_t {
    assert_eq!(env as usize, 0x1234);
    DOUBLE_CALLS.fetch_add(1, Ordering::SeqCst);
    // SAFETY: the runtime passes valid vectors of the declared arity.
    unsafe {
        let x = (*(*args).data).of.i32;
        (*(*results).data).of.i32 = x * 2;
    }
    ptr::null_mut()
}

unsafe extern "C" fn count_double_finalized(env: *mut c_void) {
    assert_eq!(env as usize, 0x1234);
    DOUBLE_FINALIZED.fetch_add(1, Ordering::SeqCst);
}

#[test]
fn host_function_with_env_and_finalizer() {
    let engine = engine();
    let store = unsafe { wasm_store_new(ep(&engine)) }.unwrap();
    let ty = functype(&[WASM_I32], &[WASM_I32]);
    let double = unsafe {
        wasm_func_new_with_env(
            sp(&store),
            Some(&ty),
            Some(double_with_env),
            0x1234 as *mut c_void,
            Some(count_double_finalized),
        )
    }
    .unwrap();
    wasm_functype_delete(Some(ty));
    let double_ext = wasm_func_as_extern_const(Some(&double)).unwrap();
    let (instance, exports) = instantiate(
        &store,
        r#"(module
          (import "env" "double" (func $d (param i32) (result i32)))
          (func (export "quad") (param i32) (result i32) local.get 0 call $d call $d))"#,
        &[double_ext],
    );
    let r = call(as_func(&exports[0]), &mut [i32_val(5)], 1).unwrap();
    // SAFETY: an i32 result.
    assert_eq!(unsafe { r[0].of.i32 }, 20);
    // The host function is callable directly too.
    let r = call(&double, &mut [i32_val(21)], 1).unwrap();
    // SAFETY: an i32 result.
    assert_eq!(unsafe { r[0].of.i32 }, 42);
    assert_eq!(DOUBLE_CALLS.load(Ordering::SeqCst), 3);

    // The finalizer runs once the function is gone with its store, no
    // earlier, whatever the order of deletion.
    wasm_func_delete(Some(double));
    wasm_store_delete(Some(store));
    assert_eq!(DOUBLE_FINALIZED.load(Ordering::SeqCst), 0);
    wasm_instance_delete(Some(instance));
    assert_eq!(DOUBLE_FINALIZED.load(Ordering::SeqCst), 0);
    drop(exports);
    assert_eq!(DOUBLE_FINALIZED.load(Ordering::SeqCst), 1);
    wasm_engine_delete(Some(engine));
    assert_eq!(DOUBLE_FINALIZED.load(Ordering::SeqCst), 1);
}

unsafe extern "C" fn failing_host(
    _args: *const wasm_val_vec_t,
    _results: *mut wasm_val_vec_t,
) -> *mut wasm_trap_t {
    HOST_TRAP.with(|t| {
        let t = t.get();
        assert!(!t.is_null());
        // Keep a handle to compare against what the caller gets.
        // SAFETY: set by the test below to a live trap.
        Box::into_raw(wasm_trap_copy(Some(unsafe { &*t })).unwrap())
    })
}

thread_local! {
    static HOST_TRAP: std::cell::Cell<*mut wasm_trap_t> = const { std::cell::Cell::new(ptr::null_mut()) };
}

#[test]
fn host_trap_reaches_the_caller_unchanged() {
    let engine = engine();
    let store = unsafe { wasm_store_new(ep(&engine)) }.unwrap();
    let message = b"host says no\0";
    let msg_vec = wasm_byte_vec_t::from_vec(message.to_vec());
    let original = Box::into_raw(unsafe { wasm_trap_new(sp(&store), Some(&msg_vec)) }.unwrap());
    unsafe { wasm_trap_set_host_info(original, 0x77 as *mut c_void) };
    HOST_TRAP.with(|t| t.set(original));

    let ty = functype(&[], &[]);
    let host = unsafe { wasm_func_new(sp(&store), Some(&ty), Some(failing_host)) }.unwrap();
    wasm_functype_delete(Some(ty));
    let (_instance, exports) = instantiate(
        &store,
        r#"(module (import "" "f" (func $f)) (func (export "run") call $f))"#,
        &[wasm_func_as_extern_const(Some(&host)).unwrap()],
    );
    let args = wasm_val_vec_t::empty();
    let mut results = wasm_val_vec_t::empty();
    let trap = unsafe { wasm_func_call(Some(as_func(&exports[0])), Some(&args), &mut results) }
        .expect("a trap");
    // SAFETY: `original` is live until deleted below.
    let original = unsafe { Box::from_raw(original) };
    assert!(wasm_trap_same(Some(&trap), Some(&original)));
    assert_eq!(wasm_trap_get_host_info(Some(&trap)), 0x77 as *mut c_void);
    // The host's message, then the wasm frames it passed through.
    let text = trap_text(Some(trap));
    assert_eq!(text.lines().next(), Some("host says no"), "{text}");
    assert!(text.contains("wasm backtrace:\n    0:"), "{text}");
    HOST_TRAP.with(|t| t.set(ptr::null_mut()));
    wasm_trap_delete(Some(original));
}

#[test]
fn start_function_trap_comes_back_through_the_out_parameter() {
    let engine = engine();
    let store = unsafe { wasm_store_new(ep(&engine)) }.unwrap();
    let m = module(&store, r#"(module (func $s unreachable) (start $s))"#);
    let mut trap = ptr::null_mut();
    let instance = unsafe { wasm_instance_new(sp(&store), Some(&m), None, Some(&mut trap)) };
    assert!(instance.is_none());
    // SAFETY: set by wasm_instance_new on failure.
    let msg = trap_text(Some(unsafe { Box::from_raw(trap) }));
    assert!(msg.contains("unreachable"), "{msg}");

    // The checked variant gives a trap too, not an error.
    let mut inst = ptr::null_mut();
    let mut trap = ptr::null_mut();
    let err = unsafe {
        wasm_instance_new_checked(sp(&store), Some(&m), None, Some(&mut inst), Some(&mut trap))
    };
    assert!(err.is_none());
    assert!(inst.is_null());
    // SAFETY: set on a start trap.
    assert!(trap_text(Some(unsafe { Box::from_raw(trap) })).contains("unreachable"));
    wasm_module_delete(Some(m));
}

/// Instantiates `m` with the single import `import` through
/// `wasm_instance_new_checked`, which must fail with a link error (neither
/// an instance nor a trap); returns the error's text.
fn link_error(
    store: &wasm_store_t,
    m: &wasm_module_t,
    import: Option<Box<wasm_extern_t>>,
) -> String {
    let mut imports = vec![import];
    let vec = wasm_extern_vec_t {
        size: 1,
        data: imports.as_mut_ptr(),
    };
    let (mut inst, mut trap) = (ptr::null_mut(), ptr::null_mut());
    let err = unsafe {
        wasm_instance_new_checked(
            sp(store),
            Some(m),
            Some(&vec),
            Some(&mut inst),
            Some(&mut trap),
        )
    };
    assert!(inst.is_null() && trap.is_null());
    error_text_of_kind(err, WASM_ERROR_KIND_LINK, None)
}

#[test]
fn link_errors_name_the_import() {
    let engine = engine();
    let store = unsafe { wasm_store_new(ep(&engine)) }.unwrap();
    let m = module(&store, r#"(module (import "env" "f" (func (param i32))))"#);
    let mut trap = ptr::null_mut();
    assert!(unsafe { wasm_instance_new(sp(&store), Some(&m), None, Some(&mut trap)) }.is_none());
    // SAFETY: set on failure.
    let msg = trap_text(Some(unsafe { Box::from_raw(trap) }));
    assert!(!msg.is_empty());

    // A global where a function is expected.
    let gt = wasm_globaltype_new(Some(wasm_valtype_new(WASM_I32).unwrap()), WASM_CONST).unwrap();
    let g = unsafe { wasm_global_new(sp(&store), Some(&gt), Some(&i32_val(1))) }.unwrap();
    wasm_globaltype_delete(Some(gt));
    let text = link_error(
        &store,
        &m,
        wasm_extern_copy(wasm_global_as_extern_const(Some(&g))),
    );
    assert!(text.contains("env") && text.contains('f'), "{text}");

    // A function of another store.
    let store2 = unsafe { wasm_store_new(ep(&engine)) }.unwrap();
    let ty = functype(&[WASM_I32], &[]);
    let foreign_func = unsafe { wasm_func_new(sp(&store2), Some(&ty), Some(ignore_args)) }.unwrap();
    wasm_functype_delete(Some(ty));
    let text = link_error(
        &store,
        &m,
        wasm_extern_copy(wasm_func_as_extern_const(Some(&foreign_func))),
    );
    assert!(text.contains("store"), "{text}");
    wasm_module_delete(Some(m));
}

unsafe extern "C" fn ignore_args(
    _: *const wasm_val_vec_t,
    _: *mut wasm_val_vec_t,
) -> *mut wasm_trap_t {
    ptr::null_mut()
}

#[test]
fn invalid_modules_say_why() {
    let engine = engine();
    let store = unsafe { wasm_store_new(ep(&engine)) }.unwrap();
    let bin = wasm_byte_vec_t::from_vec(b"\0asm\x01\0\0\0\x05".to_vec());
    assert!(unsafe { wasm_module_new(sp(&store), Some(&bin)) }.is_none());
    assert!(!unsafe { wasm_module_validate(sp(&store), Some(&bin)) });
    let mut out = ptr::null_mut();
    // The section id at offset 8 has no size byte: the binary ends at 9.
    let err = unsafe { wasm_module_new_checked(sp(&store), Some(&bin), Some(&mut out)) };
    let text = error_text_of_kind(err, WASM_ERROR_KIND_INVALID, Some(9));
    assert!(text.starts_with("invalid module: "), "{text}");
    assert!(out.is_null());

    let bad_wat = "(module (func (result i32) i32.const))";
    let mut out = wasm_byte_vec_t::empty();
    let text = error_text(wasm_wat2wasm(
        bad_wat.as_ptr().cast(),
        bad_wat.len(),
        Some(&mut out),
    ));
    assert!(text.contains("wat2wasm"), "{text}");
}

#[test]
fn error_kinds_and_offsets() {
    let engine = engine();
    let store = unsafe { wasm_store_new(ep(&engine)) }.unwrap();
    let compile = |bytes: Vec<u8>| {
        let bin = wasm_byte_vec_t::from_vec(bytes);
        let mut out = ptr::null_mut();
        let err = unsafe { wasm_module_new_checked(sp(&store), Some(&bin), Some(&mut out)) };
        assert!(out.is_null());
        err
    };

    // `(module (func (result i32) i64.const 1))`: the type mismatch is
    // reported at the body's `end`, byte 26.
    let mismatch = b"\0asm\x01\0\0\0\x01\x05\x01\x60\x00\x01\x7f\x03\x02\x01\x00\x0a\x06\x01\x04\x00\x42\x01\x0b";
    let text = error_text_of_kind(
        compile(mismatch.to_vec()),
        WASM_ERROR_KIND_INVALID,
        Some(26),
    );
    assert!(text.ends_with("(at offset 0x1a)"), "{text}");

    // A typed reference compiles once function references are on.
    let mut config = wasm_runtime::capi::engine::wasm_config_new();
    wasm_runtime::capi::ext::config::wasm_config_wasm_function_references_set(
        Some(&mut config),
        true,
    );
    let typed = wasm_runtime::capi::engine::wasm_engine_new_with_config(Some(config)).unwrap();
    let typed_store = unsafe { wasm_store_new(ep(&typed)) }.unwrap();
    let mut typed_ref = wat("(module (type (func (param (ref func)))))");
    let mut out = ptr::null_mut();
    let err =
        unsafe { wasm_module_new_checked(sp(&typed_store), Some(&typed_ref), Some(&mut out)) };
    assert!(err.is_none() && !out.is_null());
    // SAFETY: made by wasm_module_new_checked just above.
    wasm_module_delete(Some(unsafe { Box::from_raw(out) }));
    // SAFETY: made by wat().
    drop(unsafe { typed_ref.take() });
    drop(typed_store);
    wasm_engine_delete(Some(typed));

    // A proposal the configuration disables names its option; the offset
    // is the validator's.
    let mut config = wasm_runtime::capi::engine::wasm_config_new();
    wasm_runtime::capi::ext::config::wasm_config_wasm_multi_value_set(Some(&mut config), false);
    let strict = wasm_runtime::capi::engine::wasm_engine_new_with_config(Some(config)).unwrap();
    let strict_store = unsafe { wasm_store_new(ep(&strict)) }.unwrap();
    let mut two_results = wat("(module (func (result i32 i32) i32.const 1 i32.const 2))");
    let mut out = ptr::null_mut();
    let err =
        unsafe { wasm_module_new_checked(sp(&strict_store), Some(&two_results), Some(&mut out)) };
    let (kind, offset) = kind_and_offset(err.as_deref().unwrap());
    assert_eq!(kind, WASM_ERROR_KIND_UNSUPPORTED);
    // SAFETY: made by wat().
    assert!(offset.is_some_and(|o| o > 8 && o < unsafe { two_results.as_slice() }.len()));
    assert!(error_text(err).contains("wasm_config_wasm_multi_value_set"));
    // SAFETY: made by wat().
    drop(unsafe { two_results.take() });
    drop(strict_store);
    wasm_engine_delete(Some(strict));

    // A configuration error.
    let mut config = wasm_runtime::capi::engine::wasm_config_new();
    wasm_runtime::capi::ext::config::wasm_config_max_wasm_stack_set(Some(&mut config), 0);
    let mut engine_out = ptr::null_mut();
    let err =
        wasm_runtime::capi::ext::engine::wasm_engine_try_new(Some(config), Some(&mut engine_out));
    let text = error_text_of_kind(err, WASM_ERROR_KIND_CONFIG, None);
    assert!(text.starts_with("max_wasm_stack: "), "{text}");

    // A missing import is a link error, with no offset.
    let m = module(&store, r#"(module (import "env" "f" (func)))"#);
    let (mut inst, mut trap) = (ptr::null_mut(), ptr::null_mut());
    let err = unsafe {
        wasm_instance_new_checked(sp(&store), Some(&m), None, Some(&mut inst), Some(&mut trap))
    };
    error_text_of_kind(err, WASM_ERROR_KIND_LINK, None);
    wasm_module_delete(Some(m));

    // A host callback's error, and NULL arguments.
    let host = unsafe { wasm_error_new(c"refused".as_ptr()) };
    assert_eq!(kind_and_offset(&host), (WASM_ERROR_KIND_OTHER, None));
    let mut offset = 7;
    assert!(!wasm_error_offset(Some(&host), Some(&mut offset)));
    assert_eq!(offset, 7, "untouched without an offset");
    wasm_error_delete(Some(host));
    assert_eq!(wasm_error_kind(None), WASM_ERROR_KIND_OTHER);
    assert!(!wasm_error_offset(None, Some(&mut offset)));
    let invalid = compile(b"\0asm".to_vec()).unwrap();
    assert!(!wasm_error_offset(Some(&invalid), None));
    assert_eq!(wasm_error_kind(Some(&invalid)), WASM_ERROR_KIND_INVALID);
    wasm_error_delete(Some(invalid));
    assert_eq!(offset, 7);
}

#[test]
fn globals_from_the_host() {
    let engine = engine();
    let store = unsafe { wasm_store_new(ep(&engine)) }.unwrap();
    let gt = wasm_globaltype_new(Some(wasm_valtype_new(WASM_I64).unwrap()), WASM_VAR).unwrap();
    let mut init = wasm_val_t::zeroed(WASM_I64);
    init.of.i64 = 10;
    // Wrong kind: refused.
    assert!(unsafe { wasm_global_new(sp(&store), Some(&gt), Some(&i32_val(1))) }.is_none());
    let host_g = unsafe { wasm_global_new(sp(&store), Some(&gt), Some(&init)) }.unwrap();
    wasm_globaltype_delete(Some(gt));
    let (_instance, exports) = instantiate(
        &store,
        r#"(module
          (import "" "g" (global $g (mut i64)))
          (global (export "own") (mut i32) (i32.const 3))
          (global (export "c") i32 (i32.const 9))
          (func (export "bump") global.get $g i64.const 1 i64.add global.set $g))"#,
        &[wasm_global_as_extern_const(Some(&host_g)).unwrap()],
    );
    call(as_func(&exports[2]), &mut [], 0).unwrap();
    let mut v = wasm_val_t::zeroed(WASM_I32);
    wasm_global_get(Some(&host_g), Some(&mut v));
    assert_eq!(v.kind, WASM_I64);
    // SAFETY: kind checked.
    assert_eq!(unsafe { v.of.i64 }, 11);

    let own = unsafe { wasm_extern_as_global(&*exports[0] as *const _ as *mut _) };
    // SAFETY: a live global.
    let own_ref = unsafe { &*own };
    unsafe { wasm_global_set(own, Some(&i32_val(-5))) };
    wasm_global_get(Some(own_ref), Some(&mut v));
    // SAFETY: an i32 global.
    assert_eq!(unsafe { v.of.i32 }, -5);
    // Wrong kind and immutable globals are left alone.
    unsafe { wasm_global_set(own, Some(&f64_val(1.0))) };
    let konst = unsafe { wasm_extern_as_global(&*exports[1] as *const _ as *mut _) };
    unsafe { wasm_global_set(konst, Some(&i32_val(100))) };
    // SAFETY: a live global.
    wasm_global_get(Some(unsafe { &*konst }), Some(&mut v));
    // SAFETY: an i32 global.
    assert_eq!(unsafe { v.of.i32 }, 9);
    let ty = wasm_global_type(Some(own_ref)).unwrap();
    wasm_globaltype_delete(Some(ty));
}

#[test]
fn memories_from_the_host() {
    let engine = engine();
    let store = unsafe { wasm_store_new(ep(&engine)) }.unwrap();
    let limits = wasm_limits_t { min: 1, max: 3 };
    let mt = wasm_memorytype_new(Some(&limits)).unwrap();
    let mem = unsafe { wasm_memory_new(sp(&store), Some(&mt)) }.unwrap();
    wasm_memorytype_delete(Some(mt));
    assert_eq!(wasm_memory_size(Some(&mem)), 1);
    assert_eq!(wasm_memory_data_size(Some(&mem)), 65536);
    let mem_ptr = Box::into_raw(mem);
    let data = unsafe { wasm_memory_data(mem_ptr) };
    // SAFETY: one page is mapped.
    unsafe { *data.add(100) = 42 };
    let (_instance, exports) = instantiate(
        &store,
        r#"(module (import "" "m" (memory 1))
          (func (export "load") (param i32) (result i32) local.get 0 i32.load8_u)
          (func (export "store") (param i32 i32) local.get 0 local.get 1 i32.store8))"#,
        // SAFETY: live.
        &[wasm_memory_as_extern_const(Some(unsafe { &*mem_ptr })).unwrap()],
    );
    let r = call(as_func(&exports[0]), &mut [i32_val(100)], 1).unwrap();
    // SAFETY: an i32 result.
    assert_eq!(unsafe { r[0].of.i32 }, 42);
    call(as_func(&exports[1]), &mut [i32_val(7), i32_val(99)], 0).unwrap();
    // SAFETY: one page is mapped.
    assert_eq!(unsafe { *data.add(7) }, 99);

    assert!(unsafe { wasm_memory_grow(mem_ptr, 2) });
    assert!(!unsafe { wasm_memory_grow(mem_ptr, 1) }, "past the maximum");
    // SAFETY: live.
    assert_eq!(wasm_memory_size(Some(unsafe { &*mem_ptr })), 3);
    // Out-of-bounds access is a trap.
    let err = call(as_func(&exports[0]), &mut [i32_val(3 * 65536)], 1).unwrap_err();
    assert!(err.contains("out of bounds"), "{err}");
    // SAFETY: made by Box::into_raw above.
    wasm_memory_delete(Some(unsafe { Box::from_raw(mem_ptr) }));
}

#[test]
fn tables_hold_callable_functions_and_foreign_refs() {
    let engine = engine();
    let store = unsafe { wasm_store_new(ep(&engine)) }.unwrap();
    let (_instance, exports) = instantiate(&store, ADD, &[]);
    let table = unsafe { wasm_extern_as_table(&*exports[4] as *const _ as *mut _) };
    // SAFETY: a live table.
    let table_ref = unsafe { &*table };
    assert_eq!(wasm_table_size(Some(table_ref)), 2);
    let elem = wasm_table_get(Some(table_ref), 0).expect("element 0 is add");
    let f = wasm_ref_as_func_const(Some(&elem)).expect("a function");
    let r = call(f, &mut [i32_val(1), i32_val(2)], 1).unwrap();
    // SAFETY: an i32 result.
    assert_eq!(unsafe { r[0].of.i32 }, 3);
    assert!(wasm_func_same(Some(f), Some(as_func(&exports[0]))));
    assert!(wasm_table_get(Some(table_ref), 1).is_none(), "null element");
    assert!(
        wasm_table_get(Some(table_ref), 2).is_none(),
        "out of bounds"
    );
    assert!(unsafe { wasm_table_set(table, 1, &*elem as *const _ as *mut _) });
    assert!(wasm_table_get(Some(table_ref), 1).is_some());
    assert!(!unsafe { wasm_table_set(table, 5, ptr::null_mut()) });
    // A foreign object does not fit a funcref table.
    let foreign = unsafe { wasm_foreign_new(sp(&store)) }.unwrap();
    let foreign_ref = wasm_foreign_as_ref_const(Some(&foreign)).unwrap();
    assert!(!unsafe { wasm_table_set(table, 0, foreign_ref as *const _ as *mut _) });
    // A function of another store does not fit either.
    let other_store = unsafe { wasm_store_new(ep(&engine)) }.unwrap();
    let ty = functype(&[], &[]);
    let other_func =
        unsafe { wasm_func_new(sp(&other_store), Some(&ty), Some(ignore_args)) }.unwrap();
    wasm_functype_delete(Some(ty));
    let other_ref = wasm_func_as_ref_const(Some(&other_func)).unwrap();
    assert!(!unsafe { wasm_table_set(table, 0, other_ref as *const _ as *mut _) });
    let mut v = wasm_val_t::zeroed(WASM_FUNCREF);
    v.of.r#ref = other_ref as *const _ as *mut _;
    let (_i3, ex3) = instantiate(
        &store,
        r#"(module (func (export "f") (param funcref)))"#,
        &[],
    );
    let err = call(as_func(&ex3[0]), &mut [v], 0).unwrap_err();
    assert!(err.contains("another store"), "{err}");
    assert!(unsafe { wasm_table_grow(table, 3, ptr::null_mut()) });
    assert_eq!(wasm_table_size(Some(table_ref)), 5);

    // An externref table from the host keeps the foreign object's identity.
    let mut elem_ty = wasm_valtype_new(WASM_EXTERNREF);
    let limits = wasm_limits_t { min: 1, max: 10 };
    let tt = wasm_tabletype_new_for_test(elem_ty.take(), &limits);
    let host_table =
        unsafe { wasm_table_new(sp(&store), Some(&tt), foreign_ref as *const _ as *mut _) }
            .unwrap();
    unsafe { wasm_foreign_set_host_info(&*foreign as *const _ as *mut _, 0x99 as *mut c_void) };
    let back = wasm_table_get(Some(&host_table), 0).unwrap();
    assert!(wasm_ref_same(Some(&back), Some(foreign_ref)));
    assert_eq!(wasm_ref_get_host_info(Some(&back)), 0x99 as *mut c_void);
    assert!(wasm_ref_as_foreign_const(Some(&back)).is_some());
}

fn wasm_tabletype_new_for_test(
    elem: Option<Box<wasm_valtype_t>>,
    limits: &wasm_limits_t,
) -> Box<wasm_runtime::capi::tabletype::wasm_tabletype_t> {
    wasm_runtime::capi::tabletype::wasm_tabletype_new(elem, Some(limits)).unwrap()
}

#[test]
fn externref_round_trip_keeps_identity_and_host_info() {
    let engine = engine();
    let store = unsafe { wasm_store_new(ep(&engine)) }.unwrap();
    let (_instance, exports) = instantiate(
        &store,
        r#"(module
          (global $g (export "g") (mut externref) (ref.null extern))
          (func (export "id") (param externref) (result externref) local.get 0)
          (func (export "keep") (param externref) local.get 0 global.set $g))"#,
        &[],
    );
    let foreign = unsafe { wasm_foreign_new(sp(&store)) }.unwrap();
    unsafe { wasm_foreign_set_host_info(&*foreign as *const _ as *mut _, 0x42 as *mut c_void) };
    let fref = wasm_foreign_as_ref_const(Some(&foreign)).unwrap();
    let arg = || {
        let mut v = wasm_val_t::zeroed(WASM_EXTERNREF);
        v.of.r#ref = fref as *const _ as *mut _;
        v
    };
    let mut r = call(as_func(&exports[1]), &mut [arg()], 1).unwrap();
    assert_eq!(r[0].kind, WASM_EXTERNREF);
    let back = r[0].take_ref().expect("non-null");
    assert!(wasm_ref_same(Some(&back), Some(fref)));
    assert_eq!(wasm_ref_get_host_info(Some(&back)), 0x42 as *mut c_void);

    // Through a global, too; and a function passed as externref comes back
    // as that function.
    call(as_func(&exports[2]), &mut [arg()], 0).unwrap();
    let g = wasm_extern_as_global_const(Some(&exports[0])).unwrap();
    let mut v = wasm_val_t::zeroed(WASM_I32);
    wasm_global_get(Some(g), Some(&mut v));
    let back = v.take_ref().expect("non-null");
    assert!(wasm_ref_same(Some(&back), Some(fref)));

    let id_ref = wasm_func_as_ref_const(Some(as_func(&exports[1]))).unwrap();
    let mut v = wasm_val_t::zeroed(WASM_EXTERNREF);
    v.of.r#ref = id_ref as *const _ as *mut _;
    let mut r = call(as_func(&exports[1]), &mut [v], 1).unwrap();
    let back = r[0].take_ref().unwrap();
    let f = wasm_ref_as_func_const(Some(&back)).expect("still a function");
    assert!(wasm_func_same(Some(f), Some(as_func(&exports[1]))));

    // Many objects: each keeps its own identity, and passing one again
    // reuses its registration.
    let many: Vec<_> = (0..200)
        .map(|_| unsafe { wasm_foreign_new(sp(&store)) }.unwrap())
        .collect();
    for _ in 0..2 {
        for f in &many {
            let r = wasm_foreign_as_ref_const(Some(f)).unwrap();
            let mut v = wasm_val_t::zeroed(WASM_EXTERNREF);
            v.of.r#ref = r as *const _ as *mut _;
            let mut out = call(as_func(&exports[1]), &mut [v], 1).unwrap();
            let back = out[0].take_ref().unwrap();
            assert!(wasm_ref_same(Some(&back), Some(r)));
            assert!(!wasm_ref_same(Some(&back), Some(fref)));
        }
    }

    // Null stays null.
    let mut r = call(
        as_func(&exports[1]),
        &mut [wasm_val_t::zeroed(WASM_EXTERNREF)],
        1,
    )
    .unwrap();
    assert!(r[0].take_ref().is_none());
}

static INFO_FINALIZED: AtomicUsize = AtomicUsize::new(0);

unsafe extern "C" fn count_info_finalized(data: *mut c_void) {
    assert_eq!(data as usize, 0x55);
    INFO_FINALIZED.fetch_add(1, Ordering::SeqCst);
}

#[test]
fn host_info_is_per_object_and_finalized_once() {
    let engine = engine();
    let store = unsafe { wasm_store_new(ep(&engine)) }.unwrap();
    let (instance, exports) = instantiate(&store, ADD, &[]);
    let again = exports_of(&instance);
    let (a, b) = (as_func(&exports[0]), as_func(&again[0]));
    assert!(
        wasm_func_same(Some(a), Some(b)),
        "an export fetched twice is the same function"
    );
    assert!(!wasm_func_same(Some(a), Some(as_func(&again[1]))));
    assert!(wasm_extern_same(Some(&exports[0]), Some(&again[0])));
    unsafe {
        wasm_func_set_host_info_with_finalizer(
            a as *const _ as *mut _,
            0x55 as *mut c_void,
            Some(count_info_finalized),
        )
    };
    assert_eq!(wasm_func_get_host_info(Some(b)), 0x55 as *mut c_void);
    // Seen through the extern and ref views as well.
    assert_eq!(
        wasm_extern_get_host_info(Some(&again[0])),
        0x55 as *mut c_void
    );
    let copy = wasm_func_copy(Some(b)).unwrap();
    assert!(wasm_func_same(Some(&copy), Some(a)));
    assert_eq!(
        wasm_ref_get_host_info(wasm_func_as_ref_const(Some(&copy))),
        0x55 as *mut c_void
    );

    drop(again);
    wasm_func_delete(Some(copy));
    wasm_instance_delete(Some(instance));
    wasm_store_delete(Some(store));
    assert_eq!(INFO_FINALIZED.load(Ordering::SeqCst), 0, "handles remain");
    drop(exports);
    assert_eq!(INFO_FINALIZED.load(Ordering::SeqCst), 1);

    // Foreign objects: finalized when their last handle goes.
    let store = unsafe { wasm_store_new(ep(&engine)) }.unwrap();
    let f = unsafe { wasm_foreign_new(sp(&store)) }.unwrap();
    let f2 = wasm_foreign_copy(Some(&f)).unwrap();
    unsafe {
        wasm_foreign_set_host_info_with_finalizer(
            &*f as *const _ as *mut _,
            0x55 as *mut c_void,
            Some(count_info_finalized),
        )
    };
    wasm_foreign_delete(Some(f));
    assert_eq!(INFO_FINALIZED.load(Ordering::SeqCst), 1);
    assert_eq!(wasm_foreign_get_host_info(Some(&f2)), 0x55 as *mut c_void);
    wasm_foreign_delete(Some(f2));
    assert_eq!(INFO_FINALIZED.load(Ordering::SeqCst), 2);
    wasm_store_delete(Some(store));
}

#[test]
fn store_deleted_before_its_objects() {
    let engine = engine();
    let store = unsafe { wasm_store_new(ep(&engine)) }.unwrap();
    let (instance, exports) = instantiate(&store, ADD, &[]);
    // The engine and the store go first; their objects keep working.
    wasm_engine_delete(Some(engine));
    wasm_store_delete(Some(store));
    wasm_instance_delete(Some(instance));
    let r = call(as_func(&exports[0]), &mut [i32_val(20), i32_val(22)], 1).unwrap();
    // SAFETY: an i32 result.
    assert_eq!(unsafe { r[0].of.i32 }, 42);
    let err = call(as_func(&exports[1]), &mut [i32_val(1), i32_val(0)], 1).unwrap_err();
    assert!(err.contains("divide by zero"), "{err}");
    let mem = wasm_extern_as_memory_const(Some(&exports[2])).unwrap();
    assert_eq!(wasm_memory_size(Some(mem)), 1);
    drop(exports);
}

#[test]
fn modules_reflect_serialize_and_share() {
    let engine = engine();
    let store = unsafe { wasm_store_new(ep(&engine)) }.unwrap();
    let m = module(
        &store,
        r#"(module (import "a" "b" (func)) (func (export "f") (result i32) i32.const 5))"#,
    );
    let mut imports = wasm_importtype_vec_t::empty();
    wasm_module_imports(Some(&m), Some(&mut imports));
    assert_eq!(imports.size, 1);
    // SAFETY: made by wasm_module_imports.
    unsafe { wasm_importtype_vec_delete(Some(&mut imports)) };
    let mut exports = wasm_exporttype_vec_t::empty();
    wasm_module_exports(Some(&m), Some(&mut exports));
    assert_eq!(exports.size, 1);
    // SAFETY: made by wasm_module_exports.
    unsafe { wasm_exporttype_vec_delete(Some(&mut exports)) };

    let mut bytes = wasm_byte_vec_t::empty();
    wasm_module_serialize(Some(&m), Some(&mut bytes));
    let m2 = unsafe { wasm_module_deserialize(sp(&store), Some(&bytes)) }.expect("deserialized");
    let mut exports = wasm_exporttype_vec_t::empty();
    wasm_module_exports(Some(&m2), Some(&mut exports));
    assert_eq!(exports.size, 1);
    // SAFETY: made by wasm_module_exports.
    unsafe { wasm_exporttype_vec_delete(Some(&mut exports)) };
    // The loaded module runs.
    let ty = functype(&[], &[]);
    let nop = unsafe { wasm_func_new(sp(&store), Some(&ty), Some(ignore_args)) }.unwrap();
    wasm_functype_delete(Some(ty));
    let mut imports = vec![wasm_extern_copy(wasm_func_as_extern_const(Some(&nop)))];
    let import_vec = wasm_extern_vec_t {
        size: 1,
        data: imports.as_mut_ptr(),
    };
    let instance =
        unsafe { wasm_instance_new(sp(&store), Some(&m2), Some(&import_vec), None) }.unwrap();
    let exported = exports_of(&instance);
    let r = call(as_func(&exported[0]), &mut [], 1).unwrap();
    // SAFETY: an i32 result.
    assert_eq!(unsafe { r[0].of.i32 }, 5);

    let garbage = wasm_byte_vec_t::from_vec(b"\0asm\x01\0\0\0".to_vec());
    assert!(unsafe { wasm_module_deserialize(sp(&store), Some(&garbage)) }.is_none());
    let mut out = ptr::null_mut();
    let err =
        unsafe { wasm_module_deserialize_checked(sp(&store), Some(&garbage), Some(&mut out)) };
    // No kind of its own: the text is what says why.
    let text = error_text_of_kind(err, WASM_ERROR_KIND_OTHER, None);
    assert!(text.contains("not a serialized module"), "{text}");
    // An engine generating other code refuses the bytes, saying why.
    let config = wasm_runtime::capi::engine::wasm_config_new();
    let mut config = Some(config);
    wasm_runtime::capi::ext::config::wasm_config_consume_fuel_set(config.as_deref_mut(), true);
    let fuel_engine = wasm_runtime::capi::engine::wasm_engine_new_with_config(config).unwrap();
    let fuel_store = unsafe { wasm_store_new(ep(&fuel_engine)) }.unwrap();
    let err =
        unsafe { wasm_module_deserialize_checked(sp(&fuel_store), Some(&bytes), Some(&mut out)) };
    let text = error_text_of_kind(err, WASM_ERROR_KIND_OTHER, None);
    assert!(text.contains("code-generation settings"), "{text}");
    assert!(out.is_null());
    // SAFETY: made by wasm_module_serialize.
    drop(unsafe { bytes.take() });

    // Shared with another store of the same engine; not with another engine.
    let shared = wasm_module_share(Some(&m)).unwrap();
    let store2 = unsafe { wasm_store_new(ep(&engine)) }.unwrap();
    let m3 = unsafe { wasm_module_obtain(sp(&store2), Some(&shared)) }.expect("obtained");
    let other_engine = wasm_engine_new().unwrap();
    let store3 = unsafe { wasm_store_new(ep(&other_engine)) }.unwrap();
    assert!(unsafe { wasm_module_obtain(sp(&store3), Some(&shared)) }.is_none());
    wasm_shared_module_delete(Some(shared));
    for m in [m, m2, m3] {
        wasm_module_delete(Some(m));
    }
}

#[test]
fn wasm_traps_carry_a_backtrace() {
    let engine = engine();
    let store = unsafe { wasm_store_new(ep(&engine)) }.unwrap();
    let (instance, exports) = instantiate(
        &store,
        r#"(module
          (func $inner unreachable)
          (func (export "outer") nop call $inner))"#,
        &[],
    );
    let args = wasm_val_vec_t::empty();
    let mut results = wasm_val_vec_t::empty();
    let trap = unsafe { wasm_func_call(Some(as_func(&exports[0])), Some(&args), &mut results) }
        .expect("a trap");

    let origin = wasm_trap_origin(Some(&trap)).expect("an origin frame");
    assert_eq!(wasm_frame_func_index(Some(&origin)), 0, "innermost: $inner");
    let frame_instance = wasm_frame_instance(Some(&origin));
    assert!(!frame_instance.is_null());
    // SAFETY: borrowed from the frame, which is alive.
    assert!(wasm_instance_same(
        Some(unsafe { &*frame_instance }),
        Some(&instance)
    ));
    let copy = wasm_frame_copy(Some(&origin)).unwrap();
    assert_eq!(
        wasm_frame_module_offset(Some(&copy)),
        wasm_frame_module_offset(Some(&origin))
    );
    wasm_frame_delete(Some(copy));
    wasm_frame_delete(Some(origin));

    let mut trace = wasm_frame_vec_t::empty();
    wasm_trap_trace(Some(&trap), Some(&mut trace));
    // SAFETY: made by wasm_trap_trace.
    let frames: Vec<_> = unsafe { trace.take() }
        .into_iter()
        .map(Option::unwrap)
        .collect();
    let indices: Vec<u32> = frames
        .iter()
        .map(|f| wasm_frame_func_index(Some(f)))
        .collect();
    assert_eq!(indices, [0, 1], "innermost first");
    wasm_trap_delete(Some(trap));
    drop(frames);
    wasm_instance_delete(Some(instance));
}

/// Counts heap allocations made by the current thread while enabled, to
/// check that calls of ordinary signatures allocate nothing.
mod alloc_counter {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::cell::Cell;

    pub struct Counting;

    thread_local! {
        static COUNTING: Cell<bool> = const { Cell::new(false) };
        static COUNT: Cell<usize> = const { Cell::new(0) };
    }

    // SAFETY: forwards to the system allocator; the bookkeeping uses
    // const-initialised thread-locals, which never allocate.
    unsafe impl GlobalAlloc for Counting {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            if COUNTING.with(Cell::get) {
                COUNT.with(|c| c.set(c.get() + 1));
            }
            // SAFETY: forwarded.
            unsafe { System.alloc(layout) }
        }
        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            // SAFETY: forwarded.
            unsafe { System.dealloc(ptr, layout) }
        }
    }

    /// The number of allocations `f` makes on this thread.
    pub fn allocations_in(f: impl FnOnce()) -> usize {
        COUNT.with(|c| c.set(0));
        COUNTING.with(|c| c.set(true));
        f();
        COUNTING.with(|c| c.set(false));
        COUNT.with(Cell::get)
    }
}

#[global_allocator]
static ALLOCATOR: alloc_counter::Counting = alloc_counter::Counting;

unsafe extern "C" fn add_one(
    args: *const wasm_val_vec_t,
    results: *mut wasm_val_vec_t,
) -> *mut wasm_trap_t {
    // SAFETY: the runtime passes vectors of the declared arity.
    unsafe { (*(*results).data).of.i64 = (*(*args).data).of.i64 + 1 };
    ptr::null_mut()
}

/// Calls `f` with room for `results.len()` results, asserting no trap.
fn call_into(f: &wasm_func_t, args: &mut [wasm_val_t], results: &mut [wasm_val_t]) {
    let args_vec = wasm_val_vec_t {
        size: args.len(),
        data: args.as_mut_ptr(),
    };
    let mut results_vec = wasm_val_vec_t {
        size: results.len(),
        data: results.as_mut_ptr(),
    };
    let trap = unsafe { wasm_func_call(Some(f), Some(&args_vec), &mut results_vec) };
    assert!(trap.is_none());
}

/// `wasm_func_call` converts values in stack buffers: calling wasm,
/// calling a host function, and wasm calling a host function allocate
/// nothing for ordinary signatures.
#[test]
fn calls_of_ordinary_signatures_do_not_allocate() {
    let engine = engine();
    let store = unsafe { wasm_store_new(ep(&engine)) }.unwrap();
    let (_instance, exports) = instantiate(
        &store,
        r#"(module
          (func (export "mix") (param i32 i64 f32 f64) (result i64 f64)
            local.get 1 local.get 0 i64.extend_i32_s i64.add
            local.get 3 local.get 2 f64.promote_f32 f64.add))"#,
        &[],
    );
    let mix = as_func(&exports[0]);
    let mut args = [
        i32_val(1),
        wasm_val_t::zeroed(WASM_I64),
        wasm_val_t::zeroed(WASM_F32),
        f64_val(0.5),
    ];
    args[1].of.i64 = 41;
    args[2].of.f32 = 1.5;
    let mut results = [wasm_val_t::zeroed(WASM_I32), wasm_val_t::zeroed(WASM_I32)];
    call_into(mix, &mut args, &mut results); // warm-up: per-thread state
    let n = alloc_counter::allocations_in(|| call_into(mix, &mut args, &mut results));
    assert_eq!((results[0].kind, results[1].kind), (WASM_I64, WASM_F64));
    // SAFETY: kinds checked above.
    assert_eq!(unsafe { (results[0].of.i64, results[1].of.f64) }, (42, 2.0));
    assert_eq!(
        n, 0,
        "wasm_func_call of a wasm function allocated {n} times"
    );

    let ty = functype(&[WASM_I64], &[WASM_I64]);
    let host = unsafe { wasm_func_new(sp(&store), Some(&ty), Some(add_one)) }.unwrap();
    wasm_functype_delete(Some(ty));
    let mut arg = [wasm_val_t::zeroed(WASM_I64)];
    let mut result = [wasm_val_t::zeroed(WASM_I32)];
    call_into(&host, &mut arg, &mut result);
    let n = alloc_counter::allocations_in(|| call_into(&host, &mut arg, &mut result));
    // SAFETY: an i64 result.
    assert_eq!(unsafe { result[0].of.i64 }, 1);
    assert_eq!(
        n, 0,
        "wasm_func_call of a host function allocated {n} times"
    );

    // wasm -> host -> wasm.
    let (_instance2, exports2) = instantiate(
        &store,
        r#"(module (import "" "inc" (func $inc (param i64) (result i64)))
          (func (export "twice") (param i64) (result i64) local.get 0 call $inc call $inc))"#,
        &[wasm_func_as_extern_const(Some(&host)).unwrap()],
    );
    let twice = as_func(&exports2[0]);
    call_into(twice, &mut arg, &mut result);
    let n = alloc_counter::allocations_in(|| call_into(twice, &mut arg, &mut result));
    // SAFETY: an i64 result.
    assert_eq!(unsafe { result[0].of.i64 }, 2);
    assert_eq!(n, 0, "wasm calling a host function allocated {n} times");
}

#[test]
fn checked_variants_say_why() {
    use wasm_runtime::capi::ext::objects::*;
    let engine = engine();
    let store = unsafe { wasm_store_new(ep(&engine)) }.unwrap();

    // Globals: wrong initial kind, immutable, wrong new kind.
    let gt = wasm_globaltype_new(wasm_valtype_new(WASM_I32), WASM_CONST).unwrap();
    let mut out = ptr::null_mut();
    let err = unsafe {
        wasm_global_new_checked(sp(&store), Some(&gt), Some(&f64_val(1.0)), Some(&mut out))
    };
    let text = error_text(err);
    assert!(
        text.contains("expected a value of type i32, got f64"),
        "{text}"
    );
    assert!(out.is_null());
    let err = unsafe {
        wasm_global_new_checked(sp(&store), Some(&gt), Some(&i32_val(1)), Some(&mut out))
    };
    assert!(err.is_none());
    // SAFETY: set on success.
    let konst = unsafe { Box::from_raw(out) };
    let text = error_text(unsafe {
        wasm_global_set_checked(&*konst as *const _ as *mut _, Some(&i32_val(2)))
    });
    assert!(
        text.contains("wasm_global_set_checked") && text.contains("immutable"),
        "{text}"
    );
    wasm_globaltype_delete(Some(gt));
    let text = error_text(unsafe { wasm_global_set_checked(ptr::null_mut(), None) });
    assert!(text.contains("global is NULL"), "{text}");

    // Tables: a foreign object in a funcref table, out of bounds, past max.
    let limits = wasm_limits_t { min: 1, max: 2 };
    let tt = wasm_runtime::capi::tabletype::wasm_tabletype_new(
        wasm_valtype_new(WASM_FUNCREF),
        Some(&limits),
    )
    .unwrap();
    let foreign = unsafe { wasm_foreign_new(sp(&store)) }.unwrap();
    let fref = wasm_foreign_as_ref_const(Some(&foreign)).unwrap() as *const _ as *mut wasm_ref_t;
    let mut table = ptr::null_mut();
    let text = error_text(unsafe {
        wasm_table_new_checked(sp(&store), Some(&tt), fref, Some(&mut table))
    });
    assert!(text.contains("funcref"), "{text}");
    assert!(unsafe {
        wasm_table_new_checked(sp(&store), Some(&tt), ptr::null_mut(), Some(&mut table))
    }
    .is_none());
    let text = error_text(unsafe { wasm_table_set_checked(table, 5, ptr::null_mut()) });
    assert!(text.contains("wasm_table_set_checked"), "{text}");
    let mut previous = 99;
    assert!(
        unsafe { wasm_table_grow_checked(table, 1, ptr::null_mut(), Some(&mut previous)) }
            .is_none()
    );
    assert_eq!(previous, 1);
    let text = error_text(unsafe { wasm_table_grow_checked(table, 1, ptr::null_mut(), None) });
    assert!(text.contains("wasm_table_grow_checked"), "{text}");
    // SAFETY: made by wasm_table_new_checked.
    wasm_table_delete(Some(unsafe { Box::from_raw(table) }));

    // Memories: past the maximum.
    let limits = wasm_limits_t { min: 1, max: 2 };
    let mt = wasm_memorytype_new(Some(&limits)).unwrap();
    let mut memory = ptr::null_mut();
    assert!(unsafe { wasm_memory_new_checked(sp(&store), Some(&mt), Some(&mut memory)) }.is_none());
    let mut pages = 0;
    assert!(unsafe { wasm_memory_grow_checked(memory, 1, Some(&mut pages)) }.is_none());
    assert_eq!(pages, 1);
    let text = error_text(unsafe { wasm_memory_grow_checked(memory, 1, None) });
    assert!(text.contains("wasm_memory_grow_checked"), "{text}");
    // SAFETY: made by wasm_memory_new_checked.
    wasm_memory_delete(Some(unsafe { Box::from_raw(memory) }));
    wasm_memorytype_delete(Some(mt));
}

#[test]
fn a_store_moves_between_threads() {
    let engine = engine();
    let store = unsafe { wasm_store_new(ep(&engine)) }.unwrap();
    let ty = functype(&[WASM_I64], &[WASM_I64]);
    let host = unsafe { wasm_func_new(sp(&store), Some(&ty), Some(add_one)) }.unwrap();
    wasm_functype_delete(Some(ty));
    let (instance, exports) = instantiate(
        &store,
        r#"(module (import "" "inc" (func $inc (param i64) (result i64)))
          (func (export "twice") (param i64) (result i64) local.get 0 call $inc call $inc))"#,
        &[wasm_func_as_extern_const(Some(&host)).unwrap()],
    );
    // C hands the pointers to another thread; the store is used there only.
    let twice = Box::into_raw(wasm_func_copy(Some(as_func(&exports[0]))).unwrap()) as usize;
    let result = std::thread::spawn(move || {
        // SAFETY: a live handle made above, used by one thread at a time.
        let twice = unsafe { Box::from_raw(twice as *mut wasm_func_t) };
        let mut arg = wasm_val_t::zeroed(WASM_I64);
        arg.of.i64 = 40;
        let r = call(&twice, &mut [arg], 1).unwrap();
        let err = call(&twice, &mut [], 1).unwrap_err();
        assert!(err.contains("0 arguments"), "{err}");
        wasm_func_delete(Some(twice));
        // SAFETY: an i64 result.
        unsafe { r[0].of.i64 }
    })
    .join()
    .unwrap();
    assert_eq!(result, 42);
    // And back on this thread.
    let mut arg = wasm_val_t::zeroed(WASM_I64);
    arg.of.i64 = 1;
    let r = call(as_func(&exports[0]), &mut [arg], 1).unwrap();
    // SAFETY: an i64 result.
    assert_eq!(unsafe { r[0].of.i64 }, 3);
    drop(exports);
    wasm_instance_delete(Some(instance));
}

#[test]
fn fuel_and_epoch_deadlines_from_c() {
    use wasm_runtime::capi::engine::{wasm_config_new, wasm_engine_new_with_config};
    use wasm_runtime::capi::ext::config::{
        wasm_config_consume_fuel_set, wasm_config_epoch_interruption_set,
    };
    use wasm_runtime::capi::ext::engine::wasm_engine_increment_epoch;
    use wasm_runtime::capi::ext::store::*;
    const LOOP: &str = r#"(module (func (export "spin") (loop br 0)))"#;

    // Without fuel consumption the fuel calls say so.
    let plain = engine();
    let store = unsafe { wasm_store_new(ep(&plain)) }.unwrap();
    let text = error_text(unsafe { wasm_store_set_fuel(sp(&store), 10) });
    assert!(text.contains("consume_fuel"), "{text}");
    let mut fuel = 0;
    assert!(wasm_store_get_fuel(Some(&store), Some(&mut fuel)).is_some());
    assert!(wasm_store_get_fuel(None, None).is_some());

    // With it, an endless loop runs out of fuel.
    let mut config = Some(wasm_config_new());
    wasm_config_consume_fuel_set(config.as_deref_mut(), true);
    let engine = wasm_engine_new_with_config(config).unwrap();
    let store = unsafe { wasm_store_new(ep(&engine)) }.unwrap();
    assert!(unsafe { wasm_store_set_fuel(sp(&store), 10_000) }.is_none());
    assert!(wasm_store_get_fuel(Some(&store), Some(&mut fuel)).is_none());
    assert_eq!(fuel, 10_000);
    let (_instance, exports) = instantiate(&store, LOOP, &[]);
    let err = call(as_func(&exports[0]), &mut [], 0).unwrap_err();
    assert!(err.contains("fuel"), "{err}");
    assert!(wasm_store_get_fuel(Some(&store), Some(&mut fuel)).is_none());
    assert_eq!(fuel, 0);

    // Epochs: a deadline one tick ahead, passed by another thread.
    let mut config = Some(wasm_config_new());
    wasm_config_epoch_interruption_set(config.as_deref_mut(), true);
    let engine = wasm_engine_new_with_config(config).unwrap();
    let store = unsafe { wasm_store_new(ep(&engine)) }.unwrap();
    unsafe { wasm_store_set_epoch_deadline(sp(&store), 1) };
    let (_instance, exports) = instantiate(&store, LOOP, &[]);
    let engine_addr = ep(&engine) as usize;
    let ticker = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(50));
        // SAFETY: the engine outlives the thread (joined below); engines
        // may be used from any thread.
        wasm_engine_increment_epoch(Some(unsafe { &*(engine_addr as *const wasm_engine_t) }));
    });
    let err = call(as_func(&exports[0]), &mut [], 0).unwrap_err();
    ticker.join().unwrap();
    assert!(err.contains("interrupt"), "{err}");
}

#[test]
fn trap_codes_tell_wasm_traps_apart() {
    use wasm_runtime::capi::ext::trap::*;
    let engine = engine();
    let store = unsafe { wasm_store_new(ep(&engine)) }.unwrap();
    let (_instance, exports) = instantiate(
        &store,
        r#"(module
          (func (export "div") (param i32) (result i32) i32.const 1 local.get 0 i32.div_u)
          (func (export "oob") i32.const -1 i32.load drop)
          (func (export "unreachable") unreachable)
          (memory 1))"#,
        &[],
    );
    let code_of_call = |f: &wasm_func_t, args: &mut [wasm_val_t], nresults: usize| {
        let trap = call_for_trap(f, args, nresults).expect_err("a trap");
        let mut code = 0xff;
        let known = wasm_trap_code(Some(&trap), Some(&mut code));
        wasm_trap_delete(Some(trap));
        known.then_some(code)
    };
    assert_eq!(
        code_of_call(as_func(&exports[0]), &mut [i32_val(0)], 1),
        Some(WASM_TRAP_CODE_INTEGER_DIVISION_BY_ZERO)
    );
    assert_eq!(
        code_of_call(as_func(&exports[1]), &mut [], 0),
        Some(WASM_TRAP_CODE_MEMORY_OUT_OF_BOUNDS)
    );
    assert_eq!(
        code_of_call(as_func(&exports[2]), &mut [], 0),
        Some(WASM_TRAP_CODE_UNREACHABLE_CODE_REACHED)
    );
    // Malformed calls and host traps have no code.
    assert_eq!(
        code_of_call(as_func(&exports[2]), &mut [i32_val(1)], 0),
        None
    );
    let msg = wasm_byte_vec_t::from_vec(b"host\0".to_vec());
    let host_trap = unsafe { wasm_trap_new(sp(&store), Some(&msg)) }.unwrap();
    let mut code = 0xff;
    assert!(!wasm_trap_code(Some(&host_trap), Some(&mut code)));
    assert_eq!(code, 0xff);
    assert!(!wasm_trap_code(None, None));
}

unsafe extern "C" fn echo_env_foreign(
    env: *mut c_void,
    args: *const wasm_val_vec_t,
    results: *mut wasm_val_vec_t,
) -> *mut wasm_trap_t {
    // SAFETY: env is the test's foreign object; the vectors have the
    // declared arity (externref) -> (externref).
    unsafe {
        let foreign = &*(env as *const wasm_foreign_t);
        let arg = (*(*args).data).of.r#ref;
        assert!(wasm_ref_same(
            arg.as_ref(),
            wasm_foreign_as_ref_const(Some(foreign))
        ));
        let out = &mut *(*results).data;
        assert_eq!(out.kind, WASM_EXTERNREF);
        out.of.r#ref =
            wasm_foreign_as_ref(Box::into_raw(wasm_foreign_copy(Some(foreign)).unwrap()));
    }
    ptr::null_mut()
}

#[test]
fn host_functions_take_and_return_references() {
    let engine = engine();
    let store = unsafe { wasm_store_new(ep(&engine)) }.unwrap();
    let foreign = unsafe { wasm_foreign_new(sp(&store)) }.unwrap();
    let ty = functype(&[WASM_EXTERNREF], &[WASM_EXTERNREF]);
    let echo = unsafe {
        wasm_func_new_with_env(
            sp(&store),
            Some(&ty),
            Some(echo_env_foreign),
            &*foreign as *const wasm_foreign_t as *mut c_void,
            None,
        )
    }
    .unwrap();
    wasm_functype_delete(Some(ty));
    let (_instance, exports) = instantiate(
        &store,
        r#"(module (import "" "echo" (func $echo (param externref) (result externref)))
          (func (export "via_wasm") (param externref) (result externref) local.get 0 call $echo))"#,
        &[wasm_func_as_extern_const(Some(&echo)).unwrap()],
    );
    let fref = wasm_foreign_as_ref_const(Some(&foreign)).unwrap();
    for f in [as_func(&exports[0]), &*echo] {
        for _ in 0..3 {
            let mut v = wasm_val_t::zeroed(WASM_EXTERNREF);
            v.of.r#ref = fref as *const _ as *mut _;
            let mut r = call(f, &mut [v], 1).unwrap();
            let back = r[0].take_ref().expect("non-null");
            assert!(wasm_ref_same(Some(&back), Some(fref)));
        }
    }
}

/// Host info values finalized by `record_finalized`, for
/// `host_info_for_thousands_of_objects` only.
static MANY_FINALIZED: std::sync::Mutex<Vec<usize>> = std::sync::Mutex::new(Vec::new());

unsafe extern "C" fn record_finalized(data: *mut c_void) {
    MANY_FINALIZED.lock().unwrap().push(data as usize);
}

fn many_finalized() -> Vec<usize> {
    let mut v = MANY_FINALIZED.lock().unwrap().clone();
    v.sort_unstable();
    v
}

/// Thousands of store objects of every kind, each with its own host info:
/// every object keeps its own (seen through another handle and after a
/// round trip through wasm as an `externref`), and every finalizer runs
/// exactly once, when its info is replaced or when the store goes. The
/// store state finds objects by identity, so this runs in well under a
/// second however many objects there are.
#[test]
fn host_info_for_thousands_of_objects() {
    const N: usize = 2000;
    let engine = engine();
    let store = unsafe { wasm_store_new(ep(&engine)) }.unwrap();
    let (instance, exports) = instantiate(
        &store,
        r#"(module (func (export "id") (param externref) (result externref) local.get 0))"#,
        &[],
    );
    let ty = functype(&[], &[]);
    let gt = wasm_globaltype_new(Some(wasm_valtype_new(WASM_I32).unwrap()), WASM_VAR).unwrap();
    let limits = wasm_limits_t { min: 1, max: 1 };
    let tt = wasm_tabletype_new_for_test(wasm_valtype_new(WASM_FUNCREF), &limits);
    let mt = wasm_memorytype_new(Some(&limits)).unwrap();
    let mut msg = wasm_byte_vec_t::from_vec(b"boom\0".to_vec());
    let empty = module(&store, "(module)");
    let no_imports = wasm_extern_vec_t::empty();

    // Each object gets info `16 * (its number + 1)` through its own kind's
    // setter; only a reference handle of it is kept.
    let mut objects: Vec<Box<wasm_ref_t>> = Vec::new();
    let mut next_info = 0usize;
    let mut info = || {
        next_info += 16;
        next_info as *mut c_void
    };
    let fin = Some(record_finalized as unsafe extern "C" fn(*mut c_void));
    for i in 0..N {
        let f = unsafe { wasm_func_new(sp(&store), Some(&ty), Some(ignore_args)) }.unwrap();
        unsafe { wasm_func_set_host_info_with_finalizer(&*f as *const _ as *mut _, info(), fin) };
        objects.push(wasm_ref_copy(wasm_func_as_ref_const(Some(&f))).unwrap());

        let g =
            unsafe { wasm_global_new(sp(&store), Some(&gt), Some(&i32_val(i as i32))) }.unwrap();
        unsafe { wasm_global_set_host_info_with_finalizer(&*g as *const _ as *mut _, info(), fin) };
        objects.push(wasm_ref_copy(wasm_global_as_ref_const(Some(&g))).unwrap());

        let t = unsafe { wasm_table_new(sp(&store), Some(&tt), ptr::null_mut()) }.unwrap();
        unsafe { wasm_table_set_host_info_with_finalizer(&*t as *const _ as *mut _, info(), fin) };
        objects.push(wasm_ref_copy(wasm_table_as_ref_const(Some(&t))).unwrap());

        let trap = unsafe { wasm_trap_new(sp(&store), Some(&msg)) }.unwrap();
        unsafe {
            wasm_trap_set_host_info_with_finalizer(&*trap as *const _ as *mut _, info(), fin)
        };
        objects.push(wasm_ref_copy(wasm_trap_as_ref_const(Some(&trap))).unwrap());

        let foreign = unsafe { wasm_foreign_new(sp(&store)) }.unwrap();
        unsafe {
            wasm_foreign_set_host_info_with_finalizer(&*foreign as *const _ as *mut _, info(), fin)
        };
        objects.push(wasm_ref_copy(wasm_foreign_as_ref_const(Some(&foreign))).unwrap());

        if i % 4 == 0 {
            let mut trap = ptr::null_mut();
            let inst = unsafe {
                wasm_instance_new(sp(&store), Some(&empty), Some(&no_imports), Some(&mut trap))
            }
            .unwrap();
            unsafe {
                wasm_instance_set_host_info_with_finalizer(
                    &*inst as *const _ as *mut _,
                    info(),
                    fin,
                )
            };
            objects.push(wasm_ref_copy(wasm_instance_as_ref_const(Some(&inst))).unwrap());
        }
        if i % 40 == 0 {
            let m = unsafe { wasm_memory_new(sp(&store), Some(&mt)) }.unwrap();
            unsafe {
                wasm_memory_set_host_info_with_finalizer(&*m as *const _ as *mut _, info(), fin)
            };
            objects.push(wasm_ref_copy(wasm_memory_as_ref_const(Some(&m))).unwrap());
        }
    }
    let count = objects.len();
    assert_eq!(next_info, 16 * count);
    let expected = |k: usize| (16 * (k + 1)) as *mut c_void;

    // Each object has its own info, also after a trip through wasm.
    for (k, r) in objects.iter().enumerate() {
        assert_eq!(wasm_ref_get_host_info(Some(r)), expected(k), "object {k}");
        let mut v = wasm_val_t::zeroed(WASM_EXTERNREF);
        v.of.r#ref = &**r as *const _ as *mut _;
        let mut out = call(as_func(&exports[0]), &mut [v], 1).unwrap();
        let back = out[0].take_ref().expect("non-null");
        assert!(wasm_ref_same(Some(&back), Some(r)), "object {k}");
        assert_eq!(
            wasm_ref_get_host_info(Some(&back)),
            expected(k),
            "object {k}"
        );
    }
    assert!(many_finalized().is_empty(), "nothing is finalized yet");

    // Replacing every other object's info finalizes the old info at once.
    for (k, r) in objects.iter().enumerate().filter(|(k, _)| k % 2 == 1) {
        let replacement = (16 * (count + k + 1)) as *mut c_void;
        unsafe {
            wasm_ref_set_host_info_with_finalizer(&**r as *const _ as *mut _, replacement, fin)
        };
        assert_eq!(wasm_ref_get_host_info(Some(r)), replacement, "object {k}");
    }
    let replaced: Vec<usize> = (0..count)
        .filter(|k| k % 2 == 1)
        .map(|k| 16 * (k + 1))
        .collect();
    assert_eq!(many_finalized(), replaced);

    // Every remaining info is finalized exactly once, once the store and
    // every handle of its objects are gone.
    drop(objects);
    // SAFETY: made by from_vec above.
    drop(unsafe { msg.take() });
    wasm_module_delete(Some(empty));
    wasm_globaltype_delete(Some(gt));
    wasm_functype_delete(Some(ty));
    drop(exports);
    wasm_instance_delete(Some(instance));
    wasm_store_delete(Some(store));
    let mut all: Vec<usize> = (0..count).map(|k| 16 * (k + 1)).collect();
    all.extend(
        (0..count)
            .filter(|k| k % 2 == 1)
            .map(|k| 16 * (count + k + 1)),
    );
    all.sort_unstable();
    assert_eq!(many_finalized(), all);
}

/// Issue 10: the standard 32-bit memory functions on a memory they cannot
/// describe (more than `UINT32_MAX` pages: a memory64 of 1-byte pages
/// past 4 GiB) saturate, the checked growth says to use the 64-bit one,
/// and the 64-bit functions give the whole figures.
#[test]
fn the_32_bit_memory_functions_say_when_a_memory_is_beyond_them() {
    use wasm_runtime::capi::ext::config::{
        wasm_config_wasm_custom_page_sizes_set, wasm_config_wasm_memory64_set,
    };
    use wasm_runtime::capi::ext::memory::*;
    use wasm_runtime::capi::ext::objects::wasm_memory_grow_checked;
    use wasm_runtime::capi::memorytype::wasm_memorytype_limits;
    let mut config = wasm_runtime::capi::engine::wasm_config_new();
    wasm_config_wasm_memory64_set(Some(&mut config), true);
    wasm_config_wasm_custom_page_sizes_set(Some(&mut config), true);
    let engine = wasm_runtime::capi::engine::wasm_engine_new_with_config(Some(config)).unwrap();
    let store = unsafe { wasm_store_new(ep(&engine)) }.unwrap();
    let pages = (1u64 << 32) + 1;
    let ty = wasm_memorytype_new64(pages, false, 0, true, false, 0).expect("a valid type");
    let memory = unsafe { wasm_memory_new(sp(&store), Some(&ty)) }.expect("a 4 GiB reservation");
    assert_eq!(wasm_memory_size(Some(&memory)), u32::MAX);
    assert_eq!(wasm_memory_size64(Some(&memory)), pages);
    assert_eq!(wasm_memory_data_size(Some(&memory)) as u64, pages);
    let limits = wasm_memorytype_limits(Some(&ty)).unwrap();
    assert_eq!(limits.min, u32::MAX);
    assert_eq!(wasm_memorytype_min64(Some(&ty)), pages);
    let handle = Box::into_raw(memory);
    let mut previous32 = 7u32;
    let text = error_text(unsafe { wasm_memory_grow_checked(handle, 1, Some(&mut previous32)) });
    assert!(text.contains("wasm_memory_grow64"), "{text}");
    assert_eq!(previous32, 7, "left untouched");
    // SAFETY: made by Box::into_raw above, not freed.
    let memory = unsafe { Box::from_raw(handle) };
    assert_eq!(wasm_memory_size64(Some(&memory)), pages, "not grown");
    let mut previous = 0u64;
    assert!(wasm_memory_grow64(Some(&memory), 3, Some(&mut previous)).is_none());
    assert_eq!(previous, pages);
    assert_eq!(wasm_memory_size64(Some(&memory)), pages + 3);
    wasm_memory_delete(Some(memory));
    wasm_memorytype_delete(Some(ty));
    drop(store);
    wasm_engine_delete(Some(engine));
}
