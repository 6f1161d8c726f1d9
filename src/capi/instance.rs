//! `wasm_instance_t`: an instantiated module.

use std::ffi::c_void;
use std::sync::Arc;

use crate::capi::module::wasm_module_t;
use crate::capi::panic_guard;
use crate::capi::r#extern::wasm_extern_t;
use crate::capi::r#ref::{self as refs, ref_wrapper, wasm_ref_t, RefKind, RefWrapper};
use crate::capi::store::{wasm_store_t, StoreContext};
use crate::capi::trap::wasm_trap_t;
use crate::capi::vec::{wasm_extern_vec_t, CVec};
use crate::environ::error::{Error, ErrorKind};
use crate::runtime::{Instance, Trap};

/// An instance of a module. Owned handles are freed with
/// `wasm_instance_delete`.
#[cfg_attr(all(), repr(transparent))]
#[derive(Clone)]
pub struct wasm_instance_t {
    pub(crate) r: wasm_ref_t,
}

ref_wrapper!(wasm_instance_t, RefKind::Instance(_));

impl wasm_instance_t {
    pub(crate) fn instance(&self) -> &Instance {
        match &self.r.kind {
            RefKind::Instance(i) => i,
            _ => unreachable!("a wasm_instance_t always holds an instance"),
        }
    }
}

/// Instantiates `module` in `store` with `imports` (in the module's import
/// order; not consumed). The error is a `Trap` one when the start function
/// (or a segment) trapped; a NULL argument is an `Other` one; a panic while
/// instantiating is reported as an `Other` error saying so.
pub(crate) fn instantiate(
    store: Option<&wasm_store_t>,
    module: Option<&wasm_module_t>,
    imports: Option<&wasm_extern_vec_t>,
) -> Result<Box<wasm_instance_t>, Error> {
    let null = |what: String| Error::new(ErrorKind::Other, what);
    let store = store.ok_or_else(|| null("the store is NULL".into()))?;
    let module = module.ok_or_else(|| null("the module is NULL".into()))?;
    // SAFETY: the C caller passes NULL or a valid extern vector.
    let given = imports.map_or(&[][..], |v| unsafe { v.as_slice() });
    let mut externs = Vec::with_capacity(given.len());
    for (i, ext) in given.iter().enumerate() {
        match ext {
            Some(ext) => externs.push(ext.to_extern()),
            None => return Err(null(format!("import {i} is NULL"))),
        }
    }
    let made =
        panic_guard::catch_panic(|| Instance::new(&store.ctx.store, module.module(), &externs));
    let instance = match made {
        Ok(result) => result?,
        Err(message) => {
            return Err(Error::new(
                ErrorKind::Other,
                format!("internal error: the runtime panicked: {message}"),
            ))
        }
    };
    Ok(Box::new(wasm_instance_t {
        r: wasm_ref_t {
            kind: RefKind::Instance(instance),
            ctx: Some(store.ctx.clone()),
        },
    }))
}

/// Instantiates `module` in `store` with `imports` (in the module's import
/// order; not consumed) and returns the instance, owned by the caller. On
/// failure returns NULL and, if `trap` is not NULL, stores in `*trap` a
/// trap owned by the caller: the start function's trap, or one whose
/// message says why the imports did not fit (`wasm_instance_new_checked`
/// reports those as errors instead).
///
/// # Safety
/// Pointer arguments must be NULL or valid, as wasm.h requires.
#[no_mangle]
pub unsafe extern "C" fn wasm_instance_new(
    store: *mut wasm_store_t,
    module: Option<&wasm_module_t>,
    imports: Option<&wasm_extern_vec_t>,
    trap: Option<&mut *mut wasm_trap_t>,
) -> Option<Box<wasm_instance_t>> {
    // SAFETY: the C caller passes NULL or a live store (wasm.h contract);
    // it is only borrowed shared, as objects of it may be used meanwhile.
    let store = unsafe { store.as_ref() };
    let ctx: Option<&Arc<StoreContext>> = store.map(|s| &s.ctx);
    match instantiate(store, module, imports) {
        Ok(instance) => Some(instance),
        Err(failure) => {
            if let Some(out) = trap {
                let t = match failure.as_trap() {
                    Some(t) => t.clone(),
                    None => Trap::new(format!("wasm_instance_new: {failure:#}")),
                };
                *out = Box::into_raw(wasm_trap_t::boxed(t, ctx));
            }
            None
        }
    }
}

/// Writes the instance's exports, in export order, into `out` (owned by
/// the caller); empty for a NULL instance.
#[no_mangle]
pub extern "C" fn wasm_instance_exports(
    instance: Option<&wasm_instance_t>,
    out: Option<&mut wasm_extern_vec_t>,
) {
    let Some(out) = out else { return };
    let exports = panic_guard::or_failure(Vec::new(), || {
        instance.map_or_else(Vec::new, |i| {
            i.instance()
                .exports()
                .into_iter()
                .map(|e| Some(Box::new(wasm_extern_t::new(e, i.r.ctx.as_ref()))))
                .collect()
        })
    });
    *out = wasm_extern_vec_t::from_vec(exports);
}

/// Frees a handle of an instance; the object itself lives on while other handles
/// (or its store) need it. NULL is ignored.
#[no_mangle]
pub extern "C" fn wasm_instance_delete(instance: Option<Box<wasm_instance_t>>) {
    drop(instance);
}

/// Returns a new handle of the same instance, owned by the caller; NULL for NULL.
#[no_mangle]
pub extern "C" fn wasm_instance_copy(
    instance: Option<&wasm_instance_t>,
) -> Option<Box<wasm_instance_t>> {
    refs::copy(instance)
}

/// Whether `a` and `b` are handles of the same object (false if either is
/// NULL).
#[no_mangle]
pub extern "C" fn wasm_instance_same(
    a: Option<&wasm_instance_t>,
    b: Option<&wasm_instance_t>,
) -> bool {
    refs::same(a, b)
}

/// The host info attached to the object through any of its handles, or
/// NULL (also for a NULL handle).
#[no_mangle]
pub extern "C" fn wasm_instance_get_host_info(instance: Option<&wasm_instance_t>) -> *mut c_void {
    refs::host_info(instance)
}

/// Attaches `info` to the object (seen through every handle of it),
/// finalizing any earlier host info; NULL handles are ignored.
///
/// # Safety
/// Pointer arguments must be NULL or valid, as wasm.h requires.
#[no_mangle]
pub unsafe extern "C" fn wasm_instance_set_host_info(
    instance: *mut wasm_instance_t,
    info: *mut c_void,
) {
    // SAFETY: forwarded from the caller.
    unsafe { refs::set_host_info(instance, info, None) };
}

/// Attaches `info` to the object like `wasm_instance_set_host_info`;
/// `finalizer(info)` runs exactly once, when the object goes away or the
/// info is replaced.
///
/// # Safety
/// Pointer arguments must be NULL or valid, as wasm.h requires.
#[no_mangle]
pub unsafe extern "C" fn wasm_instance_set_host_info_with_finalizer(
    instance: *mut wasm_instance_t,
    info: *mut c_void,
    finalizer: Option<unsafe extern "C" fn(*mut c_void)>,
) {
    // SAFETY: forwarded from the caller.
    unsafe { refs::set_host_info(instance, info, finalizer) };
}

/// The same object seen as a reference (borrowed, not a new handle); NULL
/// for NULL.
#[no_mangle]
pub extern "C" fn wasm_instance_as_ref(instance: *mut wasm_instance_t) -> *mut wasm_ref_t {
    refs::as_ref(instance)
}

/// The reference seen as an instance (borrowed), or NULL if it refers to
/// something else.
///
/// # Safety
/// Pointer arguments must be NULL or valid, as wasm.h requires.
#[no_mangle]
pub unsafe extern "C" fn wasm_ref_as_instance(r: *mut wasm_ref_t) -> *mut wasm_instance_t {
    // SAFETY: forwarded from the caller.
    unsafe { refs::ref_as(r) }
}

/// Like `wasm_instance_as_ref`, for a const handle.
#[no_mangle]
pub extern "C" fn wasm_instance_as_ref_const(
    instance: Option<&wasm_instance_t>,
) -> Option<&wasm_ref_t> {
    instance.map(RefWrapper::as_wasm_ref)
}

/// Like `wasm_ref_as_instance`, for a const reference.
#[no_mangle]
pub extern "C" fn wasm_ref_as_instance_const(r: Option<&wasm_ref_t>) -> Option<&wasm_instance_t> {
    r.and_then(refs::downcast)
}
