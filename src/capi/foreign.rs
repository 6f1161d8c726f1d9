//! `wasm_foreign_t`: a host object wasm can hold as an `externref`.

use std::ffi::c_void;
use std::sync::Arc;

use crate::capi::r#ref::{
    self as refs, ref_wrapper, wasm_ref_t, ForeignObject, RefKind, RefWrapper,
};
use crate::capi::store::wasm_store_t;

/// A host object with no behaviour of its own: identity and host info.
/// Passed to wasm as an `externref`, it comes back as the same object.
#[cfg_attr(all(), repr(transparent))]
#[derive(Clone)]
pub struct wasm_foreign_t {
    pub(crate) r: wasm_ref_t,
}

ref_wrapper!(wasm_foreign_t, RefKind::Foreign(_));

/// Returns a new foreign object of `store`, owned by the caller; NULL if
/// `store` is NULL.
///
/// # Safety
/// Pointer arguments must be NULL or valid, as wasm.h requires.
#[no_mangle]
pub unsafe extern "C" fn wasm_foreign_new(store: *mut wasm_store_t) -> Option<Box<wasm_foreign_t>> {
    // SAFETY: the C caller passes NULL or a live store (wasm.h contract);
    // it is only borrowed shared, as objects of it may be used meanwhile.
    let store = unsafe { store.as_ref() };
    let store = store?;
    Some(Box::new(wasm_foreign_t {
        r: wasm_ref_t {
            kind: RefKind::Foreign(Arc::new(ForeignObject::default())),
            ctx: Some(store.ctx.clone()),
        },
    }))
}

/// Frees a handle of a foreign object; the object itself lives on while other handles
/// (or its store) need it. NULL is ignored.
#[no_mangle]
pub extern "C" fn wasm_foreign_delete(foreign: Option<Box<wasm_foreign_t>>) {
    drop(foreign);
}

/// Returns a new handle of the same foreign object, owned by the caller; NULL for NULL.
#[no_mangle]
pub extern "C" fn wasm_foreign_copy(
    foreign: Option<&wasm_foreign_t>,
) -> Option<Box<wasm_foreign_t>> {
    refs::copy(foreign)
}

/// Whether `a` and `b` are handles of the same object (false if either is
/// NULL).
#[no_mangle]
pub extern "C" fn wasm_foreign_same(
    a: Option<&wasm_foreign_t>,
    b: Option<&wasm_foreign_t>,
) -> bool {
    refs::same(a, b)
}

/// The host info attached to the object through any of its handles, or
/// NULL (also for a NULL handle).
#[no_mangle]
pub extern "C" fn wasm_foreign_get_host_info(foreign: Option<&wasm_foreign_t>) -> *mut c_void {
    refs::host_info(foreign)
}

/// Attaches `info` to the object (seen through every handle of it),
/// finalizing any earlier host info; NULL handles are ignored.
///
/// # Safety
/// Pointer arguments must be NULL or valid, as wasm.h requires.
#[no_mangle]
pub unsafe extern "C" fn wasm_foreign_set_host_info(
    foreign: *mut wasm_foreign_t,
    info: *mut c_void,
) {
    // SAFETY: forwarded from the caller.
    unsafe { refs::set_host_info(foreign, info, None) };
}

/// Attaches `info` to the object like `wasm_foreign_set_host_info`;
/// `finalizer(info)` runs exactly once, when the object goes away or the
/// info is replaced.
///
/// # Safety
/// Pointer arguments must be NULL or valid, as wasm.h requires.
#[no_mangle]
pub unsafe extern "C" fn wasm_foreign_set_host_info_with_finalizer(
    foreign: *mut wasm_foreign_t,
    info: *mut c_void,
    finalizer: Option<unsafe extern "C" fn(*mut c_void)>,
) {
    // SAFETY: forwarded from the caller.
    unsafe { refs::set_host_info(foreign, info, finalizer) };
}

/// The same object seen as a reference (borrowed, not a new handle); NULL
/// for NULL.
#[no_mangle]
pub extern "C" fn wasm_foreign_as_ref(foreign: *mut wasm_foreign_t) -> *mut wasm_ref_t {
    refs::as_ref(foreign)
}

/// The reference seen as a foreign object (borrowed), or NULL if it refers to
/// something else.
///
/// # Safety
/// Pointer arguments must be NULL or valid, as wasm.h requires.
#[no_mangle]
pub unsafe extern "C" fn wasm_ref_as_foreign(r: *mut wasm_ref_t) -> *mut wasm_foreign_t {
    // SAFETY: forwarded from the caller.
    unsafe { refs::ref_as(r) }
}

/// Like `wasm_foreign_as_ref`, for a const handle.
#[no_mangle]
pub extern "C" fn wasm_foreign_as_ref_const(
    foreign: Option<&wasm_foreign_t>,
) -> Option<&wasm_ref_t> {
    foreign.map(RefWrapper::as_wasm_ref)
}

/// Like `wasm_ref_as_foreign`, for a const reference.
#[no_mangle]
pub extern "C" fn wasm_ref_as_foreign_const(r: Option<&wasm_ref_t>) -> Option<&wasm_foreign_t> {
    r.and_then(refs::downcast)
}
