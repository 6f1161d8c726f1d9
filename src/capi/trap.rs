//! `wasm_trap_t`: why a call did not return normally.

use std::ffi::c_void;
use std::sync::Arc;

use crate::capi::frame::wasm_frame_t;
use crate::capi::r#ref::{self as refs, ref_wrapper, wasm_ref_t, RefKind, RefWrapper};
use crate::capi::store::{wasm_store_t, StoreContext};
use crate::capi::vec::{wasm_byte_vec_t, wasm_frame_vec_t, wasm_message_t, CVec};
use crate::runtime::Trap;

/// A trap: a wasm trap (with the spec's message) or one raised by a host
/// function. Owned handles are freed with `wasm_trap_delete`.
#[cfg_attr(all(), repr(transparent))]
#[derive(Clone)]
pub struct wasm_trap_t {
    pub(crate) r: wasm_ref_t,
}

ref_wrapper!(wasm_trap_t, RefKind::Trap(_));

impl wasm_trap_t {
    /// A new trap handle for `trap`, belonging to the store of `ctx` (none
    /// when no store is known).
    pub(crate) fn boxed(trap: Trap, ctx: Option<&Arc<StoreContext>>) -> Box<wasm_trap_t> {
        Box::new(wasm_trap_t {
            r: wasm_ref_t {
                kind: RefKind::Trap(trap),
                ctx: ctx.cloned(),
            },
        })
    }

    /// The runtime trap behind this handle.
    pub(crate) fn trap(&self) -> &Trap {
        match &self.r.kind {
            RefKind::Trap(t) => t,
            _ => unreachable!("a wasm_trap_t always holds a trap"),
        }
    }
}

/// Returns a new trap of `store` with `message` (a `wasm_message_t`, whose
/// terminating NUL, if present, is not part of the text), owned by the
/// caller; NULL if `store` is NULL. A NULL message gives an empty one.
///
/// # Safety
/// Pointer arguments must be NULL or valid, as wasm.h requires.
#[no_mangle]
pub unsafe extern "C" fn wasm_trap_new(
    store: *mut wasm_store_t,
    message: Option<&wasm_message_t>,
) -> Option<Box<wasm_trap_t>> {
    // SAFETY: the C caller passes NULL or a live store (wasm.h contract);
    // it is only borrowed shared, as objects of it may be used meanwhile.
    let store = unsafe { store.as_ref() };
    let store = store?;
    // SAFETY: the C caller passes NULL or a valid byte vector.
    let bytes = message.map_or(&[][..], |m| unsafe { m.as_slice() });
    let bytes = bytes.strip_suffix(&[0]).unwrap_or(bytes);
    let text = String::from_utf8_lossy(bytes).into_owned();
    Some(wasm_trap_t::boxed(Trap::new(text), Some(&store.ctx)))
}

/// Writes the trap's message, NUL-terminated, into `out` (owned by the
/// caller, freed with `wasm_byte_vec_delete`); an empty vector for a NULL
/// trap. A trap with wasm frames (one raised by wasm, or a host trap that
/// passed through wasm) has its backtrace appended, after a newline, as
/// the reference prints it: `wasm backtrace:` then one line per frame,
/// innermost first, `    0:   0x2a - module!function`.
#[no_mangle]
pub extern "C" fn wasm_trap_message(trap: Option<&wasm_trap_t>, out: Option<&mut wasm_message_t>) {
    let Some(out) = out else { return };
    let mut bytes = match trap {
        Some(t) => {
            let trap = t.trap();
            let backtrace = trap.backtrace_text();
            let mut text = trap.message().to_string();
            if !backtrace.is_empty() {
                text.push('\n');
                text.push_str(backtrace.trim_end());
            }
            text.into_bytes()
        }
        None => Vec::new(),
    };
    bytes.push(0);
    *out = wasm_byte_vec_t::from_vec(bytes);
}

/// Returns the innermost frame of the trap's backtrace (owned by the
/// caller), or NULL if there is none.
#[no_mangle]
pub extern "C" fn wasm_trap_origin(trap: Option<&wasm_trap_t>) -> Option<Box<wasm_frame_t>> {
    let trap = trap?;
    let info = trap.trap().trace().first()?;
    Some(Box::new(wasm_frame_t::new(info, trap.r.ctx.as_ref())))
}

/// Writes the trap's backtrace, innermost frame first, into `out` (owned by
/// the caller, freed with `wasm_frame_vec_delete`); empty when the trap has
/// no backtrace or is NULL.
#[no_mangle]
pub extern "C" fn wasm_trap_trace(trap: Option<&wasm_trap_t>, out: Option<&mut wasm_frame_vec_t>) {
    let Some(out) = out else { return };
    let frames = match trap {
        Some(t) => t
            .trap()
            .trace()
            .iter()
            .map(|info| Some(Box::new(wasm_frame_t::new(info, t.r.ctx.as_ref()))))
            .collect(),
        None => Vec::new(),
    };
    *out = wasm_frame_vec_t::from_vec(frames);
}

/// Frees a handle of a trap; the object itself lives on while other handles
/// (or its store) need it. NULL is ignored.
#[no_mangle]
pub extern "C" fn wasm_trap_delete(trap: Option<Box<wasm_trap_t>>) {
    drop(trap);
}

/// Returns a new handle of the same trap, owned by the caller; NULL for NULL.
#[no_mangle]
pub extern "C" fn wasm_trap_copy(trap: Option<&wasm_trap_t>) -> Option<Box<wasm_trap_t>> {
    refs::copy(trap)
}

/// Whether `a` and `b` are handles of the same object (false if either is
/// NULL).
#[no_mangle]
pub extern "C" fn wasm_trap_same(a: Option<&wasm_trap_t>, b: Option<&wasm_trap_t>) -> bool {
    refs::same(a, b)
}

/// The host info attached to the object through any of its handles, or
/// NULL (also for a NULL handle).
#[no_mangle]
pub extern "C" fn wasm_trap_get_host_info(trap: Option<&wasm_trap_t>) -> *mut c_void {
    refs::host_info(trap)
}

/// Attaches `info` to the object (seen through every handle of it),
/// finalizing any earlier host info; NULL handles are ignored.
///
/// # Safety
/// Pointer arguments must be NULL or valid, as wasm.h requires.
#[no_mangle]
pub unsafe extern "C" fn wasm_trap_set_host_info(trap: *mut wasm_trap_t, info: *mut c_void) {
    // SAFETY: forwarded from the caller.
    unsafe { refs::set_host_info(trap, info, None) };
}

/// Attaches `info` to the object like `wasm_trap_set_host_info`;
/// `finalizer(info)` runs exactly once, when the object goes away or the
/// info is replaced.
///
/// # Safety
/// Pointer arguments must be NULL or valid, as wasm.h requires.
#[no_mangle]
pub unsafe extern "C" fn wasm_trap_set_host_info_with_finalizer(
    trap: *mut wasm_trap_t,
    info: *mut c_void,
    finalizer: Option<unsafe extern "C" fn(*mut c_void)>,
) {
    // SAFETY: forwarded from the caller.
    unsafe { refs::set_host_info(trap, info, finalizer) };
}

/// The same object seen as a reference (borrowed, not a new handle); NULL
/// for NULL.
#[no_mangle]
pub extern "C" fn wasm_trap_as_ref(trap: *mut wasm_trap_t) -> *mut wasm_ref_t {
    refs::as_ref(trap)
}

/// The reference seen as a trap (borrowed), or NULL if it refers to
/// something else.
///
/// # Safety
/// Pointer arguments must be NULL or valid, as wasm.h requires.
#[no_mangle]
pub unsafe extern "C" fn wasm_ref_as_trap(r: *mut wasm_ref_t) -> *mut wasm_trap_t {
    // SAFETY: forwarded from the caller.
    unsafe { refs::ref_as(r) }
}

/// Like `wasm_trap_as_ref`, for a const handle.
#[no_mangle]
pub extern "C" fn wasm_trap_as_ref_const(trap: Option<&wasm_trap_t>) -> Option<&wasm_ref_t> {
    trap.map(RefWrapper::as_wasm_ref)
}

/// Like `wasm_ref_as_trap`, for a const reference.
#[no_mangle]
pub extern "C" fn wasm_ref_as_trap_const(r: Option<&wasm_ref_t>) -> Option<&wasm_trap_t> {
    r.and_then(refs::downcast)
}
