//! `wasm_global_t`: a global variable.

use std::ffi::c_void;

use anyhow::{anyhow, Result};

use crate::capi::globaltype::wasm_globaltype_t;
use crate::capi::panic_guard;
use crate::capi::r#ref::{self as refs, ref_wrapper, wasm_ref_t, RefKind, RefWrapper};
use crate::capi::store::wasm_store_t;
use crate::capi::val::wasm_val_t;
use crate::capi::values::{c_to_val, val_to_c};
use crate::runtime::Global;

/// A global variable. Owned handles are freed with `wasm_global_delete`.
#[cfg_attr(all(), repr(transparent))]
#[derive(Clone)]
pub struct wasm_global_t {
    pub(crate) r: wasm_ref_t,
}

ref_wrapper!(wasm_global_t, RefKind::Global(_));

impl wasm_global_t {
    fn global(&self) -> &Global {
        match &self.r.kind {
            RefKind::Global(g) => g,
            _ => unreachable!("a wasm_global_t always holds a global"),
        }
    }

    /// A new global of `store`; the error says why it cannot be made.
    pub(crate) fn create(
        store: &wasm_store_t,
        ty: &wasm_globaltype_t,
        val: &wasm_val_t,
    ) -> Result<Box<wasm_global_t>> {
        let ty = ty
            .global_type()
            .ok_or_else(|| anyhow!("the global type is not a global type"))?;
        let init = c_to_val(val, Some(ty.content), Some(&store.ctx))
            .map_err(|e| anyhow!("initial value: {e}"))?;
        let global = Global::new(&store.ctx.store, ty, init)?;
        Ok(Box::new(wasm_global_t {
            r: wasm_ref_t {
                kind: RefKind::Global(global),
                ctx: Some(store.ctx.clone()),
            },
        }))
    }

    /// Sets the global; the error says why the value was refused.
    pub(crate) fn set(&self, val: &wasm_val_t) -> Result<()> {
        let g = self.global();
        let val = c_to_val(val, Some(g.ty().content), self.r.ctx.as_ref())
            .map_err(|e| anyhow!("new value: {e}"))?;
        g.set(val)
    }
}

/// Returns a new global of `store` with type `ty` and initial value `val`
/// (not consumed), owned by the caller; NULL if an argument is NULL or the
/// value's kind is not the global's type (`wasm_global_new_checked` says
/// why).
///
/// # Safety
/// Pointer arguments must be NULL or valid, as wasm.h requires.
#[no_mangle]
pub unsafe extern "C" fn wasm_global_new(
    store: *mut wasm_store_t,
    ty: Option<&wasm_globaltype_t>,
    val: Option<&wasm_val_t>,
) -> Option<Box<wasm_global_t>> {
    // SAFETY: the C caller passes NULL or a live store (wasm.h contract);
    // it is only borrowed shared, as objects of it may be used meanwhile.
    let store = unsafe { store.as_ref() };
    let (store, ty, val) = (store?, ty?, val?);
    panic_guard::or_failure(None, || wasm_global_t::create(store, ty, val).ok())
}

/// Returns the global's type, owned by the caller; NULL for NULL.
#[no_mangle]
pub extern "C" fn wasm_global_type(
    global: Option<&wasm_global_t>,
) -> Option<Box<wasm_globaltype_t>> {
    Some(wasm_globaltype_t::from_global_type(&global?.global().ty()))
}

/// Writes the global's value into `out` (owned by the caller: a reference
/// value holds a new handle). A NULL global gives a null `WASM_EXTERNREF`.
#[no_mangle]
pub extern "C" fn wasm_global_get(global: Option<&wasm_global_t>, out: Option<&mut wasm_val_t>) {
    let Some(out) = out else { return };
    let null = || wasm_val_t::zeroed(crate::capi::valtype::WASM_EXTERNREF);
    let val = match global {
        Some(g) => {
            panic_guard::or_failure(null(), || val_to_c(&g.global().get(), g.r.ctx.as_ref()))
        }
        None => null(),
    };
    // `*out` may be uninitialised C memory: `write` neither reads nor drops
    // it.
    // SAFETY: `out` is a valid, exclusive reference.
    unsafe { std::ptr::write(out, val) }
}

/// Sets the global to `val` (not consumed). Ignored if the global is
/// immutable, the value's kind is not the global's type, or an argument is
/// NULL; `wasm_global_set_checked` says why.
///
/// # Safety
/// Pointer arguments must be NULL or valid, as wasm.h requires.
#[no_mangle]
pub unsafe extern "C" fn wasm_global_set(global: *mut wasm_global_t, val: Option<&wasm_val_t>) {
    // SAFETY: the C caller passes NULL or a live handle; the value is set
    // through the runtime, so a shared borrow suffices.
    let (Some(global), Some(val)) = (unsafe { global.as_ref() }, val) else {
        return;
    };
    // The standard signature has no error channel; a rejected value
    // (immutable global, wrong kind, another store's reference) leaves the
    // global as it is.
    panic_guard::or_failure((), || {
        let _ = global.set(val);
    });
}

/// Frees a handle of a global; the object itself lives on while other handles
/// (or its store) need it. NULL is ignored.
#[no_mangle]
pub extern "C" fn wasm_global_delete(global: Option<Box<wasm_global_t>>) {
    drop(global);
}

/// Returns a new handle of the same global, owned by the caller; NULL for NULL.
#[no_mangle]
pub extern "C" fn wasm_global_copy(global: Option<&wasm_global_t>) -> Option<Box<wasm_global_t>> {
    refs::copy(global)
}

/// Whether `a` and `b` are handles of the same object (false if either is
/// NULL).
#[no_mangle]
pub extern "C" fn wasm_global_same(a: Option<&wasm_global_t>, b: Option<&wasm_global_t>) -> bool {
    refs::same(a, b)
}

/// The host info attached to the object through any of its handles, or
/// NULL (also for a NULL handle).
#[no_mangle]
pub extern "C" fn wasm_global_get_host_info(global: Option<&wasm_global_t>) -> *mut c_void {
    refs::host_info(global)
}

/// Attaches `info` to the object (seen through every handle of it),
/// finalizing any earlier host info; NULL handles are ignored.
///
/// # Safety
/// Pointer arguments must be NULL or valid, as wasm.h requires.
#[no_mangle]
pub unsafe extern "C" fn wasm_global_set_host_info(global: *mut wasm_global_t, info: *mut c_void) {
    // SAFETY: forwarded from the caller.
    unsafe { refs::set_host_info(global, info, None) };
}

/// Attaches `info` to the object like `wasm_global_set_host_info`;
/// `finalizer(info)` runs exactly once, when the object goes away or the
/// info is replaced.
///
/// # Safety
/// Pointer arguments must be NULL or valid, as wasm.h requires.
#[no_mangle]
pub unsafe extern "C" fn wasm_global_set_host_info_with_finalizer(
    global: *mut wasm_global_t,
    info: *mut c_void,
    finalizer: Option<unsafe extern "C" fn(*mut c_void)>,
) {
    // SAFETY: forwarded from the caller.
    unsafe { refs::set_host_info(global, info, finalizer) };
}

/// The same object seen as a reference (borrowed, not a new handle); NULL
/// for NULL.
#[no_mangle]
pub extern "C" fn wasm_global_as_ref(global: *mut wasm_global_t) -> *mut wasm_ref_t {
    refs::as_ref(global)
}

/// The reference seen as a global (borrowed), or NULL if it refers to
/// something else.
///
/// # Safety
/// Pointer arguments must be NULL or valid, as wasm.h requires.
#[no_mangle]
pub unsafe extern "C" fn wasm_ref_as_global(r: *mut wasm_ref_t) -> *mut wasm_global_t {
    // SAFETY: forwarded from the caller.
    unsafe { refs::ref_as(r) }
}

/// Like `wasm_global_as_ref`, for a const handle.
#[no_mangle]
pub extern "C" fn wasm_global_as_ref_const(global: Option<&wasm_global_t>) -> Option<&wasm_ref_t> {
    global.map(RefWrapper::as_wasm_ref)
}

/// Like `wasm_ref_as_global`, for a const reference.
#[no_mangle]
pub extern "C" fn wasm_ref_as_global_const(r: Option<&wasm_ref_t>) -> Option<&wasm_global_t> {
    r.and_then(refs::downcast)
}
