//! Exception handling: tag types (`wasm_tagtype_t`), tags (`wasm_tag_t`,
//! the `WASM_EXTERN_TAG` kind of extern), and exceptions crossing the
//! boundary as traps.
//!
//! Tag types follow the other type objects: `wasm_tagtype_t` is a
//! `repr(transparent)` wrapper of `wasm_externtype_t` (see `externtype`),
//! so `wasm_tagtype_as_externtype` is a pointer cast. Tags follow the other
//! externs: `wasm_tag_t` wraps `wasm_ref_t`, so `wasm_tag_as_extern`,
//! `wasm_tag_as_ref` and host info work as for a global.
//!
//! Exceptions. An exception that wasm throws and nothing catches reaches
//! the host as a trap with code `WASM_TRAP_CODE_UNCAUGHT_EXCEPTION`;
//! `wasm_trap_exception` reads its tag and payload. A host function throws
//! by returning the trap `wasm_trap_new_exception` makes: wasm sees the
//! exception raised at the call, where a `try_table` may catch it (and if
//! nothing does, the caller of `wasm_func_call` gets the same trap back).
//! `exnref` values are `WASM_EXNREF` values whose `of.ref` is opaque to the
//! host; `wasm_ref_exception` reads one, `wasm_trap_new_exnref` rethrows it.

use std::ffi::c_void;
use std::sync::Arc;

use anyhow::{anyhow, Result};

use crate::capi::ext::error::{null_argument, report, wasm_error_t};
use crate::capi::externtype::{wasm_externkind_t, wasm_externtype_t};
use crate::capi::panic_guard;
use crate::capi::r#extern::wasm_extern_t;
use crate::capi::r#ref::{self as refs, ref_wrapper, wasm_ref_t, RefKind, RefWrapper};
use crate::capi::store::{wasm_store_t, StoreContext};
use crate::capi::trap::wasm_trap_t;
use crate::capi::val::wasm_val_t;
use crate::capi::values::{c_to_val, val_to_c};
use crate::capi::vec::{wasm_val_vec_t, wasm_valtype_vec_t, CVec};
use crate::module::{ExternType, TagType, ValType};
use crate::runtime::{ExnRef, Tag, Trap};

/// Extension: an exception tag (exception handling), the extern kind of
/// `wasm_tag_t`.
pub const WASM_EXTERN_TAG: wasm_externkind_t = 4;

/// The type of an exception tag: the types of its payload values; owned by
/// whoever made or copied it. An extern type underneath (see
/// `wasm_tagtype_as_externtype`).
#[cfg_attr(all(), repr(transparent))] // opaque to cbindgen, see `externtype`
#[derive(Clone, Debug)]
pub struct wasm_tagtype_t {
    pub(crate) ext: wasm_externtype_t,
}

impl wasm_tagtype_t {
    /// A boxed C object for `ty`, ready to hand to C.
    pub fn from_tag_type(ty: &TagType) -> Box<wasm_tagtype_t> {
        Box::new(wasm_tagtype_t {
            ext: wasm_externtype_t::new(ExternType::Tag(ty.clone())),
        })
    }

    /// The tag type this object describes. `None` only for an object that
    /// is not a tag type at all (a C caller's bad pointer cast).
    pub fn tag_type(&self) -> Option<&TagType> {
        match self.ext.extern_type() {
            ExternType::Tag(ty) => Some(ty),
            _ => None,
        }
    }
}

/// Returns a new tag type whose payload has the types `params`, owned by
/// the caller; consumes the vector (and its elements) and leaves it empty.
/// NULL if `params` is NULL or holds a NULL element.
///
/// # Safety
/// `params` must be NULL or an owned vector made by this library.
#[no_mangle]
pub unsafe extern "C" fn wasm_tagtype_new(
    params: Option<&mut wasm_valtype_vec_t>,
) -> Option<Box<wasm_tagtype_t>> {
    // SAFETY: the caller hands over an owned vector made by this library.
    let params = unsafe { params?.take() };
    let params: Option<Vec<ValType>> = params.into_iter().map(|t| t.map(|t| t.ty)).collect();
    Some(wasm_tagtype_t::from_tag_type(&TagType::new(params?)))
}

/// Returns a copy of `ty`, owned by the caller; NULL for NULL.
#[no_mangle]
pub extern "C" fn wasm_tagtype_copy(ty: Option<&wasm_tagtype_t>) -> Option<Box<wasm_tagtype_t>> {
    ty.map(|ty| Box::new(ty.clone()))
}

/// Frees a tag type; NULL is ignored.
#[no_mangle]
pub extern "C" fn wasm_tagtype_delete(ty: Option<Box<wasm_tagtype_t>>) {
    drop(ty);
}

/// Returns the payload types of `ty`, borrowed from `ty`; NULL for NULL.
#[no_mangle]
pub extern "C" fn wasm_tagtype_params(ty: Option<&wasm_tagtype_t>) -> Option<&wasm_valtype_vec_t> {
    ty?.ext.tag_params()
}

/// Returns `ty` viewed as an extern type (the same object, not a copy);
/// NULL for NULL.
#[no_mangle]
pub extern "C" fn wasm_tagtype_as_externtype(
    ty: Option<&mut wasm_tagtype_t>,
) -> Option<&mut wasm_externtype_t> {
    ty.map(|ty| &mut ty.ext)
}

/// Like `wasm_tagtype_as_externtype`, for a const type.
#[no_mangle]
pub extern "C" fn wasm_tagtype_as_externtype_const(
    ty: Option<&wasm_tagtype_t>,
) -> Option<&wasm_externtype_t> {
    ty.map(|ty| &ty.ext)
}

/// Returns `ty` viewed as a tag type (the same object), or NULL if it is
/// NULL or of another kind.
#[no_mangle]
pub extern "C" fn wasm_externtype_as_tagtype(
    ty: Option<&mut wasm_externtype_t>,
) -> Option<&mut wasm_tagtype_t> {
    let ptr = ty?.cast_to_mut::<wasm_tagtype_t>(WASM_EXTERN_TAG)?;
    // SAFETY: `wasm_tagtype_t` is a `repr(transparent)` wrapper and the
    // pointer comes from the exclusive borrow handed in.
    Some(unsafe { &mut *ptr })
}

/// Like `wasm_externtype_as_tagtype`, for a const type.
#[no_mangle]
pub extern "C" fn wasm_externtype_as_tagtype_const(
    ty: Option<&wasm_externtype_t>,
) -> Option<&wasm_tagtype_t> {
    ty?.as_tagtype()
}

/// An exception tag of a store (exception handling). Owned handles are
/// freed with `wasm_tag_delete`.
#[cfg_attr(all(), repr(transparent))]
#[derive(Clone)]
pub struct wasm_tag_t {
    pub(crate) r: wasm_ref_t,
}

ref_wrapper!(wasm_tag_t, RefKind::Tag(_));

impl wasm_tag_t {
    /// The runtime tag behind this handle.
    pub(crate) fn tag(&self) -> &Tag {
        match &self.r.kind {
            RefKind::Tag(t) => t,
            _ => unreachable!("a wasm_tag_t always holds a tag"),
        }
    }

    /// A new handle of `tag`, belonging to the store state `ctx`.
    fn boxed(tag: Tag, ctx: Option<&Arc<StoreContext>>) -> Box<wasm_tag_t> {
        Box::new(wasm_tag_t {
            r: wasm_ref_t {
                kind: RefKind::Tag(tag),
                ctx: ctx.cloned(),
            },
        })
    }
}

/// Returns a new tag of `store` with type `ty` (not consumed), owned by the
/// caller, distinct from every other tag (also of the same type); NULL if
/// an argument is NULL.
///
/// # Safety
/// Pointer arguments must be NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn wasm_tag_new(
    store: *mut wasm_store_t,
    ty: Option<&wasm_tagtype_t>,
) -> Option<Box<wasm_tag_t>> {
    // SAFETY: NULL or a live store (the caller's contract), borrowed shared.
    let store = unsafe { store.as_ref() }?;
    let ty = ty?.tag_type()?.clone();
    panic_guard::or_failure(None, || {
        let tag = Tag::new(&store.ctx.store, ty);
        Some(wasm_tag_t::boxed(tag, Some(&store.ctx)))
    })
}

/// Returns the tag's type, owned by the caller; NULL for NULL.
#[no_mangle]
pub extern "C" fn wasm_tag_type(tag: Option<&wasm_tag_t>) -> Option<Box<wasm_tagtype_t>> {
    Some(wasm_tagtype_t::from_tag_type(&tag?.tag().ty()))
}

/// Frees a handle of a tag; the tag itself lives on while other handles
/// (or its store) need it. NULL is ignored.
#[no_mangle]
pub extern "C" fn wasm_tag_delete(tag: Option<Box<wasm_tag_t>>) {
    drop(tag);
}

/// Returns a new handle of the same tag, owned by the caller; NULL for NULL.
#[no_mangle]
pub extern "C" fn wasm_tag_copy(tag: Option<&wasm_tag_t>) -> Option<Box<wasm_tag_t>> {
    refs::copy(tag)
}

/// Whether `a` and `b` are handles of the same tag (false if either is
/// NULL): an imported tag is the same as the one given to the import.
#[no_mangle]
pub extern "C" fn wasm_tag_same(a: Option<&wasm_tag_t>, b: Option<&wasm_tag_t>) -> bool {
    refs::same(a, b)
}

/// The host info attached to the tag through any of its handles, or NULL
/// (also for a NULL handle).
#[no_mangle]
pub extern "C" fn wasm_tag_get_host_info(tag: Option<&wasm_tag_t>) -> *mut c_void {
    refs::host_info(tag)
}

/// Attaches `info` to the tag (seen through every handle of it),
/// finalizing any earlier host info; NULL handles are ignored.
///
/// # Safety
/// Pointer arguments must be NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn wasm_tag_set_host_info(tag: *mut wasm_tag_t, info: *mut c_void) {
    // SAFETY: forwarded from the caller.
    unsafe { refs::set_host_info(tag, info, None) };
}

/// Attaches `info` to the tag like `wasm_tag_set_host_info`;
/// `finalizer(info)` runs exactly once, when the tag goes away or the info
/// is replaced.
///
/// # Safety
/// Pointer arguments must be NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn wasm_tag_set_host_info_with_finalizer(
    tag: *mut wasm_tag_t,
    info: *mut c_void,
    finalizer: Option<unsafe extern "C" fn(*mut c_void)>,
) {
    // SAFETY: forwarded from the caller.
    unsafe { refs::set_host_info(tag, info, finalizer) };
}

/// The tag seen as an extern (the same object, borrowed); NULL for NULL.
#[no_mangle]
pub extern "C" fn wasm_tag_as_extern(tag: *mut wasm_tag_t) -> *mut wasm_extern_t {
    tag.cast()
}

/// Like `wasm_tag_as_extern`, for a const handle.
#[no_mangle]
pub extern "C" fn wasm_tag_as_extern_const(tag: Option<&wasm_tag_t>) -> Option<&wasm_extern_t> {
    tag.and_then(|t| refs::downcast(t.as_wasm_ref()))
}

/// The extern seen as a tag (borrowed), or NULL if it is NULL or something
/// else.
///
/// # Safety
/// Pointer arguments must be NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn wasm_extern_as_tag(ext: *mut wasm_extern_t) -> *mut wasm_tag_t {
    // SAFETY: forwarded from the caller.
    unsafe { refs::ref_as(ext.cast()) }
}

/// Like `wasm_extern_as_tag`, for a const handle.
#[no_mangle]
pub extern "C" fn wasm_extern_as_tag_const(ext: Option<&wasm_extern_t>) -> Option<&wasm_tag_t> {
    ext.and_then(|e| refs::downcast(&e.r))
}

/// The tag seen as a reference (borrowed, not a new handle); NULL for NULL.
#[no_mangle]
pub extern "C" fn wasm_tag_as_ref(tag: *mut wasm_tag_t) -> *mut wasm_ref_t {
    refs::as_ref(tag)
}

/// Like `wasm_tag_as_ref`, for a const handle.
#[no_mangle]
pub extern "C" fn wasm_tag_as_ref_const(tag: Option<&wasm_tag_t>) -> Option<&wasm_ref_t> {
    tag.map(RefWrapper::as_wasm_ref)
}

/// The reference seen as a tag (borrowed), or NULL if it is NULL or refers
/// to something else.
///
/// # Safety
/// Pointer arguments must be NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn wasm_ref_as_tag(r: *mut wasm_ref_t) -> *mut wasm_tag_t {
    // SAFETY: forwarded from the caller.
    unsafe { refs::ref_as(r) }
}

/// Like `wasm_ref_as_tag`, for a const reference.
#[no_mangle]
pub extern "C" fn wasm_ref_as_tag_const(r: Option<&wasm_ref_t>) -> Option<&wasm_tag_t> {
    r.and_then(refs::downcast)
}

/// Stores a new handle of the exception's tag in `*tag_out` and its payload
/// in `*payload_out`, both owned by the caller (each only when not NULL).
fn read_exception(
    exn: &ExnRef,
    ctx: Option<&Arc<StoreContext>>,
    tag_out: Option<&mut *mut wasm_tag_t>,
    payload_out: Option<&mut wasm_val_vec_t>,
) {
    if let Some(out) = tag_out {
        *out = Box::into_raw(wasm_tag_t::boxed(exn.tag(), ctx));
    }
    if let Some(out) = payload_out {
        let vals: Vec<wasm_val_t> = exn.payload().iter().map(|v| val_to_c(v, ctx)).collect();
        *out = wasm_val_vec_t::from_vec(vals);
    }
}

/// If `trap` is an uncaught exception (code
/// `WASM_TRAP_CODE_UNCAUGHT_EXCEPTION`: thrown by wasm or a host function,
/// caught by no wasm frame), stores a new handle of its tag in `*tag_out`
/// and its payload values in `*payload_out` (both owned by the caller) and
/// returns true; returns false, writing nothing, for other traps and when
/// any argument is NULL.
#[no_mangle]
pub extern "C" fn wasm_trap_exception(
    trap: Option<&wasm_trap_t>,
    tag_out: Option<&mut *mut wasm_tag_t>,
    payload_out: Option<&mut wasm_val_vec_t>,
) -> bool {
    let (Some(trap), Some(tag_out), Some(payload_out)) = (trap, tag_out, payload_out) else {
        return false;
    };
    let Some(exn) = trap.trap().exception() else {
        return false;
    };
    panic_guard::or_failure(false, || {
        read_exception(exn, trap.r.ctx.as_ref(), Some(tag_out), Some(payload_out));
        true
    })
}

/// A new exception of `tag` with payload `payload`, checked against the
/// tag's type and store.
fn new_exception(tag: &wasm_tag_t, payload: &wasm_val_vec_t) -> Result<ExnRef> {
    let t = tag.tag();
    let ty = t.ty();
    // SAFETY: the caller passes a valid vector (the C contract); it is
    // only read.
    let vals = unsafe { payload.as_slice() };
    if vals.len() != ty.params().len() {
        let n = ty.params().len();
        let values = if n == 1 { "value" } else { "values" };
        return Err(anyhow!(
            "the tag {ty} takes {n} payload {values}, {} were given",
            vals.len()
        ));
    }
    let vals = vals
        .iter()
        .zip(ty.params())
        .enumerate()
        .map(|(i, (v, t))| {
            c_to_val(v, Some(*t), tag.r.ctx.as_ref())
                .map_err(|e| anyhow!("payload value {i} for the tag {ty}: {e}"))
        })
        .collect::<Result<Vec<_>>>()?;
    ExnRef::new(t, &vals)
}

/// Returns a new trap carrying a new exception of `tag` with the values of
/// `payload` (not consumed), owned by the caller. Returned by a host
/// function it throws the exception into the calling wasm, where a
/// `try_table` may catch it. NULL if an argument is NULL or the payload
/// does not fit the tag's type (`wasm_trap_new_exception_checked` says
/// why).
#[no_mangle]
pub extern "C" fn wasm_trap_new_exception(
    tag: Option<&wasm_tag_t>,
    payload: Option<&wasm_val_vec_t>,
) -> Option<Box<wasm_trap_t>> {
    let (tag, payload) = (tag?, payload?);
    panic_guard::or_failure(None, || {
        let exn = new_exception(tag, payload).ok()?;
        Some(wasm_trap_t::boxed(Trap::throw(exn), tag.r.ctx.as_ref()))
    })
}

/// Like `wasm_trap_new_exception`, storing the trap (owned by the caller)
/// in `*out`; on failure (a NULL argument; a payload of the wrong number
/// or types of values, or with a reference of another store) returns why
/// and leaves `*out` untouched.
#[no_mangle]
pub extern "C" fn wasm_trap_new_exception_checked(
    tag: Option<&wasm_tag_t>,
    payload: Option<&wasm_val_vec_t>,
    out: Option<&mut *mut wasm_trap_t>,
) -> Option<Box<wasm_error_t>> {
    const F: &str = "wasm_trap_new_exception_checked";
    let Some(tag) = tag else {
        return null_argument(F, "tag");
    };
    let Some(payload) = payload else {
        return null_argument(F, "payload");
    };
    let Some(out) = out else {
        return null_argument(F, "out");
    };
    panic_guard::or_error(F, || {
        report(F, new_exception(tag, payload), |exn| {
            *out = Box::into_raw(wasm_trap_t::boxed(Trap::throw(exn), tag.r.ctx.as_ref()))
        })
    })
}

/// If `exn` is the reference of an `exnref` value (`WASM_EXNREF`, not
/// null), stores a new handle of the exception's tag in `*tag_out` and its
/// payload in `*payload_out` (both owned by the caller) and returns true;
/// returns false, writing nothing, for other references and when any
/// argument is NULL.
#[no_mangle]
pub extern "C" fn wasm_ref_exception(
    exn: Option<&wasm_ref_t>,
    tag_out: Option<&mut *mut wasm_tag_t>,
    payload_out: Option<&mut wasm_val_vec_t>,
) -> bool {
    let (Some(r), Some(tag_out), Some(payload_out)) = (exn, tag_out, payload_out) else {
        return false;
    };
    let RefKind::Exn(e) = &r.kind else {
        return false;
    };
    panic_guard::or_failure(false, || {
        read_exception(e, r.ctx.as_ref(), Some(tag_out), Some(payload_out));
        true
    })
}

/// Returns a new trap carrying the exception `exn` refers to (the
/// reference of a non-null `WASM_EXNREF` value, not consumed), owned by the
/// caller: returned by a host function it rethrows that same exception
/// into wasm. NULL if `exn` is NULL or not an exception.
#[no_mangle]
pub extern "C" fn wasm_trap_new_exnref(exn: Option<&wasm_ref_t>) -> Option<Box<wasm_trap_t>> {
    let r = exn?;
    let RefKind::Exn(e) = &r.kind else {
        return None;
    };
    Some(wasm_trap_t::boxed(Trap::throw(e.clone()), r.ctx.as_ref()))
}

/// Returns a new `exnref` value's reference: a new exception of `tag` with
/// the values of `payload` (not consumed), owned by the caller, for
/// `WASM_EXNREF` values the host hands to wasm (`wasm_val_t.of.ref`). NULL
/// if an argument is NULL or the payload does not fit the tag's type.
#[no_mangle]
pub extern "C" fn wasm_exnref_new(
    tag: Option<&wasm_tag_t>,
    payload: Option<&wasm_val_vec_t>,
) -> Option<Box<wasm_ref_t>> {
    let (tag, payload) = (tag?, payload?);
    panic_guard::or_failure(None, || {
        let exn = new_exception(tag, payload).ok()?;
        Some(Box::new(wasm_ref_t {
            kind: RefKind::Exn(exn),
            ctx: tag.r.ctx.clone(),
        }))
    })
}
