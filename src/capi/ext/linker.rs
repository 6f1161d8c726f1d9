//! `wasm_linker_t`: instantiating modules with imports looked up by name
//! (`crate::linker::Linker`), with the reference's C API shape.
//!
//! Names are `(const char*, size_t)` pairs, not NUL-terminated, and must
//! be UTF-8. Every function that can fail returns an `own wasm_error_t*`
//! (NULL on success).

use std::ffi::{c_char, c_void};
use std::sync::Arc;

use anyhow::anyhow;

use crate::capi::engine::wasm_engine_t;
use crate::capi::ext::error::{null_argument, wasm_error_t};
use crate::capi::ext::func::wasm_func_callback_with_caller_t;
use crate::capi::ext::name_arg;
use crate::capi::func::{wasm_func_t, HostCallback, HostEnv, HostFunc};
use crate::capi::functype::wasm_functype_t;
use crate::capi::instance::wasm_instance_t;
use crate::capi::module::wasm_module_t;
use crate::capi::panic_guard;
use crate::capi::r#extern::wasm_extern_t;
use crate::capi::r#ref::{wasm_ref_t, RefKind};
use crate::capi::store::wasm_store_t;
use crate::capi::trap::wasm_trap_t;
use crate::linker::{Linker, LinkerFunc};
use crate::runtime::{Caller, Extern, Val};

/// A linker: definitions by module and name, for instantiating modules of
/// one engine. Host functions defined with `wasm_linker_define_func` belong
/// to no store and serve every store; other definitions are objects of one
/// store. Owned by the caller, freed with `wasm_linker_delete`.
pub struct wasm_linker_t {
    pub(crate) linker: Linker,
}

/// A name argument, or the error naming it.
///
/// # Safety
/// `ptr` must be NULL or point at `len` readable bytes.
pub(crate) unsafe fn name<'a>(
    function: &str,
    what: &str,
    ptr: *const c_char,
    len: usize,
) -> Result<&'a str, Box<wasm_error_t>> {
    // SAFETY: forwarded from the caller.
    unsafe { name_arg(ptr, len) }
        .ok_or_else(|| wasm_error_t::boxed(anyhow!("{function}: {what} is NULL or not UTF-8")))
}

/// Turns the body's result into the C convention, catching panics.
pub(crate) fn run(
    function: &str,
    body: impl FnOnce() -> Result<(), Box<wasm_error_t>>,
) -> Option<Box<wasm_error_t>> {
    panic_guard::or_error(function, || body().err())
}

/// Returns a new, empty linker for `engine` (not consumed), owned by the
/// caller; NULL if `engine` is NULL.
///
/// # Safety
/// `engine` must be NULL or a live engine.
#[no_mangle]
pub unsafe extern "C" fn wasm_linker_new(engine: *mut wasm_engine_t) -> Option<Box<wasm_linker_t>> {
    // SAFETY: NULL or a live engine (the caller's contract); borrowed
    // shared, as other threads may use the engine at the same time.
    let engine = unsafe { engine.as_ref() }?;
    Some(Box::new(wasm_linker_t {
        linker: Linker::new(&engine.engine),
    }))
}

/// Frees a linker. Functions and instances made through it live on. NULL
/// is ignored.
#[no_mangle]
pub extern "C" fn wasm_linker_delete(linker: Option<Box<wasm_linker_t>>) {
    drop(linker);
}

/// Whether later definitions may replace earlier ones of the same name
/// (off by default: redefining is then an error). NULL is ignored.
#[no_mangle]
pub extern "C" fn wasm_linker_allow_shadowing(linker: Option<&mut wasm_linker_t>, allow: bool) {
    if let Some(l) = linker {
        l.linker.allow_shadowing(allow);
    }
}

/// Defines `module.name` as `item` (not consumed), an object of `store`.
/// Returns NULL on success, else an error (owned by the caller): a NULL
/// argument, a name defined already (without shadowing), an object of
/// another store or engine.
///
/// # Safety
/// Pointer arguments must be NULL or valid; names must point at their
/// length of readable bytes.
#[no_mangle]
pub unsafe extern "C" fn wasm_linker_define(
    linker: Option<&mut wasm_linker_t>,
    store: *mut wasm_store_t,
    module: *const c_char,
    module_len: usize,
    name: *const c_char,
    name_len: usize,
    item: Option<&wasm_extern_t>,
) -> Option<Box<wasm_error_t>> {
    const F: &str = "wasm_linker_define";
    // SAFETY: NULL or a live store (the caller's contract), borrowed shared.
    let store = unsafe { store.as_ref() };
    let (Some(linker), Some(store), Some(item)) = (linker, store, item) else {
        return null_argument(F, "the linker, store or item");
    };
    run(F, || {
        // SAFETY: forwarded from the caller.
        let module = unsafe { self::name(F, "module", module, module_len) }?;
        // SAFETY: forwarded from the caller.
        let name = unsafe { self::name(F, "name", name, name_len) }?;
        linker
            .linker
            .define(&store.ctx.store, module, name, item.to_extern())
            .map_err(wasm_error_t::boxed)
    })
}

/// Defines `module.name` as a host function of type `ty` (not consumed)
/// for every store: each instantiation that imports it gets a function of
/// its own store, whose calls run `callback(env, caller, args, results)`.
/// `finalizer(env)` (if not NULL) runs once, when the linker and every
/// function made from the definition are gone (at once on failure).
/// Returns NULL on success, else an error (owned by the caller).
///
/// # Safety
/// Pointer arguments must be NULL or valid; names must point at their
/// length of readable bytes.
#[no_mangle]
pub unsafe extern "C" fn wasm_linker_define_func(
    linker: Option<&mut wasm_linker_t>,
    module: *const c_char,
    module_len: usize,
    name: *const c_char,
    name_len: usize,
    ty: Option<&wasm_functype_t>,
    callback: wasm_func_callback_with_caller_t,
    env: *mut c_void,
    finalizer: Option<unsafe extern "C" fn(*mut c_void)>,
) -> Option<Box<wasm_error_t>> {
    const F: &str = "wasm_linker_define_func";
    let env = HostEnv::new(env, finalizer);
    let Some(ty) = ty.and_then(wasm_functype_t::func_type) else {
        return null_argument(F, "the function type");
    };
    let (Some(linker), Some(callback)) = (linker, callback) else {
        return null_argument(F, "the linker or callback");
    };
    run(F, || {
        // SAFETY: forwarded from the caller.
        let module = unsafe { self::name(F, "module", module, module_len) }?;
        // SAFETY: forwarded from the caller.
        let name = unsafe { self::name(F, "name", name, name_len) }?;
        let host = HostFunc::new(ty, HostCallback::WithCaller(callback, env), None);
        // Atomic counts although the closure is not `Sync`: the functions
        // made from the definition live in stores that C hosts move
        // between threads (one at a time), apart from the linker.
        #[allow(clippy::arc_with_non_send_sync)]
        let func: LinkerFunc = Arc::new(
            move |caller: &Caller<'_>, params: &[Val], results: &mut [Val]| {
                host.call(caller, params, results)
            },
        );
        linker
            .linker
            .func_new(module, name, ty.clone(), func)
            .map_err(wasm_error_t::boxed)
    })
}

/// Defines every export of `instance` (of `store`) as `name.export`.
/// Returns NULL on success, else an error (owned by the caller).
///
/// # Safety
/// Pointer arguments must be NULL or valid; `name` must point at
/// `name_len` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn wasm_linker_define_instance(
    linker: Option<&mut wasm_linker_t>,
    store: *mut wasm_store_t,
    name: *const c_char,
    name_len: usize,
    instance: Option<&wasm_instance_t>,
) -> Option<Box<wasm_error_t>> {
    const F: &str = "wasm_linker_define_instance";
    // SAFETY: NULL or a live store (the caller's contract), borrowed shared.
    let store = unsafe { store.as_ref() };
    let (Some(linker), Some(store), Some(instance)) = (linker, store, instance) else {
        return null_argument(F, "the linker, store or instance");
    };
    run(F, || {
        // SAFETY: forwarded from the caller.
        let name = unsafe { self::name(F, "name", name, name_len) }?;
        linker
            .linker
            .instance(&store.ctx.store, name, instance.instance())
            .map_err(wasm_error_t::boxed)
    })
}

/// Defines every function import of `module` that has no definition yet as
/// a function that traps saying the import is unknown, so the module
/// instantiates and fails only if it calls one. Returns NULL on success,
/// else an error (owned by the caller).
#[no_mangle]
pub extern "C" fn wasm_linker_define_unknown_imports_as_traps(
    linker: Option<&mut wasm_linker_t>,
    module: Option<&wasm_module_t>,
) -> Option<Box<wasm_error_t>> {
    const F: &str = "wasm_linker_define_unknown_imports_as_traps";
    let (Some(linker), Some(module)) = (linker, module) else {
        return null_argument(F, "the linker or module");
    };
    run(F, || {
        linker
            .linker
            .define_unknown_imports_as_traps(module.module())
            .map_err(wasm_error_t::boxed)
    })
}

/// Instantiates `module` in `store` with its imports looked up by name:
/// - success: returns NULL and stores the instance (owned by the caller) in
///   `*instance_out`;
/// - the start function trapped: returns NULL, stores the trap (owned by
///   the caller) in `*trap_out` and NULL in `*instance_out`;
/// - anything else (an import missing or of the wrong type, which the
///   error names as `module::name` with the expected and the given type; a
///   store limit; a NULL argument): returns an error (owned by the caller)
///   and writes neither out-parameter.
///
/// # Safety
/// Pointer arguments must be NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn wasm_linker_instantiate(
    linker: Option<&wasm_linker_t>,
    store: *mut wasm_store_t,
    module: Option<&wasm_module_t>,
    instance_out: Option<&mut *mut wasm_instance_t>,
    trap_out: Option<&mut *mut wasm_trap_t>,
) -> Option<Box<wasm_error_t>> {
    const F: &str = "wasm_linker_instantiate";
    // SAFETY: NULL or a live store (the caller's contract), borrowed shared.
    let store = unsafe { store.as_ref() };
    let (Some(linker), Some(store), Some(module), Some(instance_out), Some(trap_out)) =
        (linker, store, module, instance_out, trap_out)
    else {
        return null_argument(F, "the linker, store, module, instance_out or trap_out");
    };
    run(F, || {
        match linker.linker.instantiate(&store.ctx.store, module.module()) {
            Ok(instance) => {
                *instance_out = Box::into_raw(Box::new(wasm_instance_t {
                    r: wasm_ref_t {
                        kind: RefKind::Instance(instance),
                        ctx: Some(store.ctx.clone()),
                    },
                }));
                Ok(())
            }
            Err(e) => match e.as_trap() {
                Some(trap) => {
                    *instance_out = std::ptr::null_mut();
                    *trap_out = Box::into_raw(wasm_trap_t::boxed(trap.clone(), Some(&store.ctx)));
                    Ok(())
                }
                None => Err(wasm_error_t::boxed(e)),
            },
        }
    })
}

/// Defines the exports of `module` under `name`, by the WASI conventions:
/// a command (exporting `_start`) is instantiated afresh for every call of
/// its exported functions; a reactor is instantiated once, now, in
/// `store`, its `_initialize` export (if any) is run, and its exports are
/// defined. Returns NULL on success, else an error (owned by the caller;
/// a trapping `_initialize` or start function is an error of kind
/// `WASM_ERROR_KIND_TRAP`).
///
/// # Safety
/// Pointer arguments must be NULL or valid; `name` must point at
/// `name_len` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn wasm_linker_module(
    linker: Option<&mut wasm_linker_t>,
    store: *mut wasm_store_t,
    name: *const c_char,
    name_len: usize,
    module: Option<&wasm_module_t>,
) -> Option<Box<wasm_error_t>> {
    const F: &str = "wasm_linker_module";
    // SAFETY: NULL or a live store (the caller's contract), borrowed shared.
    let store = unsafe { store.as_ref() };
    let (Some(linker), Some(store), Some(module)) = (linker, store, module) else {
        return null_argument(F, "the linker, store or module");
    };
    run(F, || {
        // SAFETY: forwarded from the caller.
        let name = unsafe { self::name(F, "name", name, name_len) }?;
        linker
            .linker
            .module(&store.ctx.store, name, module.module())
            .map_err(wasm_error_t::boxed)
    })
}

/// Stores in `*func_out` (owned by the caller) the default function of the
/// module defined as `name`: its export `""`, else `_start`, else a
/// function that does nothing. Returns NULL on success, else an error
/// (owned by the caller; `*func_out` untouched).
///
/// # Safety
/// Pointer arguments must be NULL or valid; `name` must point at
/// `name_len` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn wasm_linker_get_default(
    linker: Option<&wasm_linker_t>,
    store: *mut wasm_store_t,
    name: *const c_char,
    name_len: usize,
    func_out: Option<&mut *mut wasm_func_t>,
) -> Option<Box<wasm_error_t>> {
    const F: &str = "wasm_linker_get_default";
    // SAFETY: NULL or a live store (the caller's contract), borrowed shared.
    let store = unsafe { store.as_ref() };
    let (Some(linker), Some(store), Some(func_out)) = (linker, store, func_out) else {
        return null_argument(F, "the linker, store or func_out");
    };
    run(F, || {
        // SAFETY: forwarded from the caller.
        let name = unsafe { self::name(F, "name", name, name_len) }?;
        let func = linker
            .linker
            .get_default(&store.ctx.store, name)
            .map_err(wasm_error_t::boxed)?;
        *func_out = Box::into_raw(Box::new(wasm_func_t {
            r: wasm_ref_t {
                kind: RefKind::Func(func),
                ctx: Some(store.ctx.clone()),
            },
        }));
        Ok(())
    })
}

/// Returns the definition of `module.name` as an object of `store`, owned
/// by the caller; NULL when there is none, when it is an object of another
/// store, or for NULL or non-UTF-8 arguments.
///
/// # Safety
/// Pointer arguments must be NULL or valid; names must point at their
/// length of readable bytes.
#[no_mangle]
pub unsafe extern "C" fn wasm_linker_get(
    linker: Option<&wasm_linker_t>,
    store: *mut wasm_store_t,
    module: *const c_char,
    module_len: usize,
    name: *const c_char,
    name_len: usize,
) -> Option<Box<wasm_extern_t>> {
    // SAFETY: NULL or a live store (the caller's contract), borrowed shared.
    let store = unsafe { store.as_ref() }?;
    let linker = linker?;
    // SAFETY: forwarded from the caller.
    let module = unsafe { name_arg(module, module_len) }?;
    // SAFETY: forwarded from the caller.
    let name = unsafe { name_arg(name, name_len) }?;
    panic_guard::or_failure(None, || {
        let ext: Extern = linker.linker.get(&store.ctx.store, module, name)?;
        Some(Box::new(wasm_extern_t::new(ext, Some(&store.ctx))))
    })
}
