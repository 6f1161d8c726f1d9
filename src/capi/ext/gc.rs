//! GC references (the GC proposal) from C: i31s, structs and arrays.
//!
//! Values of the `any` hierarchy cross as `WASM_ANYREF` values whose
//! `of.ref` is a `wasm_ref_t` of the reference (`RefKind::Any`), NULL for
//! null; the functions here make i31 references and read and write the
//! references a host holds, in the shape of the reference runtime's
//! `wasmtime_anyref_*`, `wasmtime_structref_*` and `wasmtime_arrayref_*`
//! functions, on `wasm_ref_t` handles.
//!
//! No conversion functions between `anyref` and `externref`: the boundary
//! converts by itself. A GC reference given where an `externref` is
//! expected crosses as `extern.convert_any` of it, a host object given
//! where an `anyref` is expected as `any.convert_extern` of the `externref`
//! standing for it, and what comes back out is the handle's object in
//! either case.
//!
//! Lifetime: a handle holds an `AnyRef`, which the runtime counts as a
//! root of the store's collector while it exists, so an object the host
//! holds (in a handle or in a value it owns) stays valid, with everything
//! it references, until `wasm_ref_delete`; the handle also keeps the store
//! alive. `wasm_store_gc` runs the collector at once.

use std::sync::Arc;

use anyhow::anyhow;

use crate::capi::ext::error::{null_argument, report, wasm_error_t};
use crate::capi::panic_guard;
use crate::capi::r#ref::{wasm_ref_t, RefKind};
use crate::capi::store::{ctx_of, wasm_store_t, StoreContext};
use crate::capi::val::wasm_val_t;
use crate::capi::values::{c_to_val, val_to_c};
use crate::runtime::{AnyKind, AnyRef, Val};

/// The GC reference `r` is, if it is one.
fn any_of(r: Option<&wasm_ref_t>) -> Option<&AnyRef> {
    match &r?.kind {
        RefKind::Any(a) => Some(a),
        _ => None,
    }
}

/// Whether `r` is a GC reference of kind `kind`.
fn is_kind(r: Option<&wasm_ref_t>, kind: AnyKind) -> bool {
    any_of(r).is_some_and(|a| a.kind() == kind)
}

/// The store state values read from `a` (through the handle `r`) belong to.
fn ctx_for(r: &wasm_ref_t, a: &AnyRef) -> Option<Arc<StoreContext>> {
    r.ctx.clone().or_else(|| ctx_of(a.store()))
}

/// The handle `r` and the GC reference behind it, for the accessor
/// `function`, which needs a `what` ("struct" or "array"); else the error
/// it returns.
fn object_arg<'a>(
    function: &str,
    r: Option<&'a wasm_ref_t>,
    what: &str,
) -> Result<(&'a wasm_ref_t, &'a AnyRef), Box<wasm_error_t>> {
    let Some(r) = r else {
        return Err(wasm_error_t::boxed(anyhow!("{function}: ref is NULL")));
    };
    match any_of(Some(r)) {
        Some(a) => Ok((r, a)),
        None => Err(wasm_error_t::boxed(anyhow!(
            "{function}: the reference is not a {what}"
        ))),
    }
}

/// Writes `val` into the caller's `out` as a value it owns.
fn write_out(out: &mut wasm_val_t, r: &wasm_ref_t, a: &AnyRef, val: &Val) {
    let value = val_to_c(val, ctx_for(r, a).as_ref());
    // `*out` may be uninitialised C memory: `write` neither reads nor
    // drops it.
    // SAFETY: `out` is a valid, exclusive reference.
    unsafe { std::ptr::write(out, value) }
}

/// Returns a new i31 reference (owned by the caller) of `store` holding the low 31 bits of `value`; NULL for a NULL store.
///
/// # Safety
/// `store` must be NULL or a live store.
#[no_mangle]
pub unsafe extern "C" fn wasm_ref_new_i31(
    store: *mut wasm_store_t,
    value: u32,
) -> Option<Box<wasm_ref_t>> {
    // SAFETY: NULL or a live store (the caller's contract), borrowed shared.
    let store = unsafe { store.as_ref() }?;
    Some(Box::new(wasm_ref_t {
        kind: RefKind::Any(AnyRef::from_i31(&store.ctx.store, value)),
        ctx: Some(store.ctx.clone()),
    }))
}

/// Whether `r` is an i31 reference (false for NULL and every other reference).
#[no_mangle]
pub extern "C" fn wasm_ref_is_i31(r: Option<&wasm_ref_t>) -> bool {
    is_kind(r, AnyKind::I31)
}

/// If `r` is an i31, stores its value zero-extended in `*out` and returns true; false (nothing written) otherwise or for NULL.
#[no_mangle]
pub extern "C" fn wasm_ref_i31_get_u(r: Option<&wasm_ref_t>, out: Option<&mut u32>) -> bool {
    let (Some(value), Some(out)) = (any_of(r).and_then(AnyRef::i31_u), out) else {
        return false;
    };
    *out = value;
    true
}

/// If `r` is an i31, stores its value sign-extended in `*out` and returns true; false (nothing written) otherwise or for NULL.
#[no_mangle]
pub extern "C" fn wasm_ref_i31_get_s(r: Option<&wasm_ref_t>, out: Option<&mut i32>) -> bool {
    let (Some(value), Some(out)) = (any_of(r).and_then(AnyRef::i31_s), out) else {
        return false;
    };
    *out = value;
    true
}

/// Whether `r` is a struct (false for NULL and every other reference).
#[no_mangle]
pub extern "C" fn wasm_ref_is_struct(r: Option<&wasm_ref_t>) -> bool {
    is_kind(r, AnyKind::Struct)
}

/// Whether `r` is an array (false for NULL and every other reference).
#[no_mangle]
pub extern "C" fn wasm_ref_is_array(r: Option<&wasm_ref_t>) -> bool {
    is_kind(r, AnyKind::Array)
}

/// If `r` is a struct, stores its number of fields in `*out` and returns true; false (nothing written) otherwise or for NULL.
#[no_mangle]
pub extern "C" fn wasm_ref_struct_field_count(
    r: Option<&wasm_ref_t>,
    out: Option<&mut usize>,
) -> bool {
    let (Some(a), Some(out)) = (any_of(r), out) else {
        return false;
    };
    panic_guard::or_failure(false, || match a.struct_field_count() {
        Ok(count) => {
            *out = count;
            true
        }
        Err(_) => false,
    })
}

/// Stores field `index` of the struct `r` in `*out`, a value owned by the caller (packed fields zero-extended, references as `WASM_ANYREF`/`WASM_FUNCREF`/... values); NULL on success, else an owned error (NULL argument, not a struct, index out of range) and `*out` untouched.
#[no_mangle]
pub extern "C" fn wasm_ref_struct_get(
    r: Option<&wasm_ref_t>,
    index: usize,
    out: Option<&mut wasm_val_t>,
) -> Option<Box<wasm_error_t>> {
    const F: &str = "wasm_ref_struct_get";
    let Some(out) = out else {
        return null_argument(F, "out");
    };
    let (r, a) = match object_arg(F, r, "struct") {
        Ok(found) => found,
        Err(e) => return Some(e),
    };
    panic_guard::or_error(F, || {
        report(F, a.struct_get(index), |val| write_out(out, r, a, &val))
    })
}

/// Sets mutable field `index` of the struct `r` to `*value` (not consumed; a value of the field's type and the struct's store); NULL on success, else an owned error (NULL argument, not a struct, index out of range, immutable field, type or store mismatch).
///
/// # Safety
/// `r` must be NULL or a live reference, `value` NULL or a valid value.
#[no_mangle]
pub unsafe extern "C" fn wasm_ref_struct_set(
    r: *mut wasm_ref_t,
    index: usize,
    value: Option<&wasm_val_t>,
) -> Option<Box<wasm_error_t>> {
    const F: &str = "wasm_ref_struct_set";
    // SAFETY: NULL or a live reference (the caller's contract); the struct
    // changes through the runtime, so a shared borrow suffices.
    let r = unsafe { r.as_ref() };
    let Some(value) = value else {
        return null_argument(F, "value");
    };
    let (r, a) = match object_arg(F, r, "struct") {
        Ok(found) => found,
        Err(e) => return Some(e),
    };
    panic_guard::or_error(F, || {
        let set = c_to_val(value, None, ctx_for(r, a).as_ref())
            .map_err(|e| anyhow!("value for field {index}: {e}"))
            .and_then(|val| a.struct_set(index, &val));
        report(F, set, |()| ())
    })
}

/// If `r` is an array, stores its length in `*out` and returns true; false (nothing written) otherwise or for NULL.
#[no_mangle]
pub extern "C" fn wasm_ref_array_len(r: Option<&wasm_ref_t>, out: Option<&mut u32>) -> bool {
    let (Some(a), Some(out)) = (any_of(r), out) else {
        return false;
    };
    panic_guard::or_failure(false, || match a.array_len() {
        Ok(len) => {
            *out = len;
            true
        }
        Err(_) => false,
    })
}

/// Stores element `index` of the array `r` in `*out`, a value owned by the caller (packed elements zero-extended); NULL on success, else an owned error (NULL argument, not an array, index out of range) and `*out` untouched.
#[no_mangle]
pub extern "C" fn wasm_ref_array_get(
    r: Option<&wasm_ref_t>,
    index: u32,
    out: Option<&mut wasm_val_t>,
) -> Option<Box<wasm_error_t>> {
    const F: &str = "wasm_ref_array_get";
    let Some(out) = out else {
        return null_argument(F, "out");
    };
    let (r, a) = match object_arg(F, r, "array") {
        Ok(found) => found,
        Err(e) => return Some(e),
    };
    panic_guard::or_error(F, || {
        report(F, a.array_get(index), |val| write_out(out, r, a, &val))
    })
}

/// Sets element `index` of the mutable array `r` to `*value` (not consumed; a value of the element type and the array's store); NULL on success, else an owned error (NULL argument, not an array, index out of range, immutable array, type or store mismatch).
///
/// # Safety
/// `r` must be NULL or a live reference, `value` NULL or a valid value.
#[no_mangle]
pub unsafe extern "C" fn wasm_ref_array_set(
    r: *mut wasm_ref_t,
    index: u32,
    value: Option<&wasm_val_t>,
) -> Option<Box<wasm_error_t>> {
    const F: &str = "wasm_ref_array_set";
    // SAFETY: NULL or a live reference (the caller's contract); the array
    // changes through the runtime, so a shared borrow suffices.
    let r = unsafe { r.as_ref() };
    let Some(value) = value else {
        return null_argument(F, "value");
    };
    let (r, a) = match object_arg(F, r, "array") {
        Ok(found) => found,
        Err(e) => return Some(e),
    };
    panic_guard::or_error(F, || {
        let set = c_to_val(value, None, ctx_for(r, a).as_ref())
            .map_err(|e| anyhow!("value for element {index}: {e}"))
            .and_then(|val| a.array_set(index, &val));
        report(F, set, |()| ())
    })
}

/// Collects the store's GC objects that nothing reaches now (the host's handles, globals, tables and the wasm frames of a host call in progress are roots; nothing under the `null` collector); NULL is ignored.
///
/// # Safety
/// `store` must be NULL or a live store.
#[no_mangle]
pub unsafe extern "C" fn wasm_store_gc(store: *mut wasm_store_t) {
    // SAFETY: NULL or a live store (the caller's contract), borrowed shared.
    if let Some(store) = unsafe { store.as_ref() } {
        panic_guard::or_failure((), || store.ctx.store.gc());
    }
}
