//! Variants of the standard object operations that say why they failed.
//!
//! The standard `wasm_global_new`, `wasm_global_set`, `wasm_table_new`,
//! `wasm_table_set`, `wasm_table_grow`, `wasm_memory_new` and
//! `wasm_memory_grow` can only answer NULL, false or nothing; each variant
//! here returns an error (owned by the caller, NULL on success) naming the
//! problem, and otherwise behaves the same.

use crate::capi::ext::error::{null_argument, report, wasm_error_t};
use crate::capi::global::wasm_global_t;
use crate::capi::globaltype::wasm_globaltype_t;
use crate::capi::memory::{wasm_memory_pages_t, wasm_memory_t};
use crate::capi::memorytype::wasm_memorytype_t;
use crate::capi::panic_guard;
use crate::capi::r#ref::wasm_ref_t;
use crate::capi::store::wasm_store_t;
use crate::capi::table::{wasm_table_size_t, wasm_table_t};
use crate::capi::tabletype::wasm_tabletype_t;
use crate::capi::val::wasm_val_t;

/// Like `wasm_global_new`, storing the global (owned by the caller) in
/// `*out`; on failure returns why and leaves `*out` untouched.
///
/// # Safety
/// Pointer arguments must be NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn wasm_global_new_checked(
    store: *mut wasm_store_t,
    ty: Option<&wasm_globaltype_t>,
    val: Option<&wasm_val_t>,
    out: Option<&mut *mut wasm_global_t>,
) -> Option<Box<wasm_error_t>> {
    const F: &str = "wasm_global_new_checked";
    // SAFETY: NULL or a live store (the caller's contract), borrowed shared.
    let Some(store) = (unsafe { store.as_ref() }) else {
        return null_argument(F, "store");
    };
    let Some(ty) = ty else {
        return null_argument(F, "type");
    };
    let Some(val) = val else {
        return null_argument(F, "value");
    };
    let Some(out) = out else {
        return null_argument(F, "out");
    };
    panic_guard::or_error(F, || {
        report(F, wasm_global_t::create(store, ty, val), |g| {
            *out = Box::into_raw(g)
        })
    })
}

/// Like `wasm_global_set`; returns why the value was refused (an immutable
/// global, a value of another type or store), NULL on success.
///
/// # Safety
/// Pointer arguments must be NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn wasm_global_set_checked(
    global: *mut wasm_global_t,
    val: Option<&wasm_val_t>,
) -> Option<Box<wasm_error_t>> {
    const F: &str = "wasm_global_set_checked";
    // SAFETY: NULL or a live handle (the caller's contract), borrowed
    // shared: the value is set through the runtime.
    let Some(global) = (unsafe { global.as_ref() }) else {
        return null_argument(F, "global");
    };
    let Some(val) = val else {
        return null_argument(F, "value");
    };
    panic_guard::or_error(F, || report(F, global.set(val), |()| ()))
}

/// Like `wasm_table_new`, storing the table (owned by the caller) in
/// `*out`; on failure returns why and leaves `*out` untouched.
///
/// # Safety
/// Pointer arguments must be NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn wasm_table_new_checked(
    store: *mut wasm_store_t,
    ty: Option<&wasm_tabletype_t>,
    init: *mut wasm_ref_t,
    out: Option<&mut *mut wasm_table_t>,
) -> Option<Box<wasm_error_t>> {
    const F: &str = "wasm_table_new_checked";
    // SAFETY: NULL or a live store (the caller's contract), borrowed shared.
    let Some(store) = (unsafe { store.as_ref() }) else {
        return null_argument(F, "store");
    };
    let Some(ty) = ty else {
        return null_argument(F, "type");
    };
    let Some(out) = out else {
        return null_argument(F, "out");
    };
    // SAFETY: NULL or a live reference (the caller's contract).
    let init = unsafe { init.as_ref() };
    panic_guard::or_error(F, || {
        report(F, wasm_table_t::create(store, ty, init), |t| {
            *out = Box::into_raw(t)
        })
    })
}

/// Like `wasm_table_set`; returns why the element was refused (index out
/// of bounds, a reference of the wrong kind or store), NULL on success.
///
/// # Safety
/// Pointer arguments must be NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn wasm_table_set_checked(
    table: *mut wasm_table_t,
    index: wasm_table_size_t,
    r: *mut wasm_ref_t,
) -> Option<Box<wasm_error_t>> {
    const F: &str = "wasm_table_set_checked";
    // SAFETY: NULL or a live handle (the caller's contract), borrowed
    // shared: the table is changed through the runtime.
    let Some(table) = (unsafe { table.as_ref() }) else {
        return null_argument(F, "table");
    };
    // SAFETY: NULL or a live reference (the caller's contract).
    let r = unsafe { r.as_ref() };
    panic_guard::or_error(F, || report(F, table.set(index, r), |()| ()))
}

/// Like `wasm_table_grow`, also storing the previous size in
/// `*previous_size` (if not NULL); returns why the table cannot grow, NULL
/// on success.
///
/// # Safety
/// Pointer arguments must be NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn wasm_table_grow_checked(
    table: *mut wasm_table_t,
    delta: wasm_table_size_t,
    init: *mut wasm_ref_t,
    previous_size: Option<&mut wasm_table_size_t>,
) -> Option<Box<wasm_error_t>> {
    const F: &str = "wasm_table_grow_checked";
    // SAFETY: as in `wasm_table_set_checked`.
    let Some(table) = (unsafe { table.as_ref() }) else {
        return null_argument(F, "table");
    };
    // SAFETY: NULL or a live reference (the caller's contract).
    let init = unsafe { init.as_ref() };
    panic_guard::or_error(F, || {
        report(F, table.grow(delta, init), |previous| {
            if let Some(out) = previous_size {
                *out = u32::try_from(previous).unwrap_or(u32::MAX);
            }
        })
    })
}

/// Like `wasm_memory_new`, storing the memory (owned by the caller) in
/// `*out`; on failure returns why and leaves `*out` untouched.
///
/// # Safety
/// Pointer arguments must be NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn wasm_memory_new_checked(
    store: *mut wasm_store_t,
    ty: Option<&wasm_memorytype_t>,
    out: Option<&mut *mut wasm_memory_t>,
) -> Option<Box<wasm_error_t>> {
    const F: &str = "wasm_memory_new_checked";
    // SAFETY: NULL or a live store (the caller's contract), borrowed shared.
    let Some(store) = (unsafe { store.as_ref() }) else {
        return null_argument(F, "store");
    };
    let Some(ty) = ty else {
        return null_argument(F, "type");
    };
    let Some(out) = out else {
        return null_argument(F, "out");
    };
    panic_guard::or_error(F, || {
        report(F, wasm_memory_t::create(store, ty), |m| {
            *out = Box::into_raw(m)
        })
    })
}

/// Like `wasm_memory_grow`, also storing the previous size in pages in
/// `*previous_pages` (if not NULL); returns why the memory cannot grow
/// (past its maximum, a resource limit, or a size past what
/// `wasm_memory_pages_t` holds: use `wasm_memory_grow64` then), NULL on
/// success.
///
/// # Safety
/// Pointer arguments must be NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn wasm_memory_grow_checked(
    memory: *mut wasm_memory_t,
    delta: wasm_memory_pages_t,
    previous_pages: Option<&mut wasm_memory_pages_t>,
) -> Option<Box<wasm_error_t>> {
    const F: &str = "wasm_memory_grow_checked";
    // SAFETY: NULL or a live handle (the caller's contract), borrowed
    // shared: growth goes through the runtime.
    let Some(memory) = (unsafe { memory.as_ref() }) else {
        return null_argument(F, "memory");
    };
    panic_guard::or_error(F, || {
        let current = memory.memory().size();
        if u32::try_from(current).is_err() {
            return report(
                F,
                Err(anyhow::anyhow!(
                    "the memory has {current} pages, more than wasm_memory_pages_t holds: use wasm_memory_grow64"
                )),
                |()| (),
            );
        }
        report(F, memory.memory().grow(u64::from(delta)), |previous| {
            if let Some(out) = previous_pages {
                *out = u32::try_from(previous).unwrap_or(u32::MAX);
            }
        })
    })
}
