//! `wasm_table_t`: a table of references.

use std::ffi::c_void;

use anyhow::{anyhow, Result};

use crate::capi::panic_guard;
use crate::capi::r#ref::{
    self as refs, ref_to_val, ref_wrapper, val_to_ref, wasm_ref_t, RefKind, RefWrapper,
};
use crate::capi::store::wasm_store_t;
use crate::capi::tabletype::wasm_tabletype_t;
use crate::runtime::{Table, Val};

/// A table of `funcref`s or `externref`s. Owned handles are freed with
/// `wasm_table_delete`.
#[cfg_attr(all(), repr(transparent))]
#[derive(Clone)]
pub struct wasm_table_t {
    pub(crate) r: wasm_ref_t,
}

ref_wrapper!(wasm_table_t, RefKind::Table(_));

/// A table size or index.
pub type wasm_table_size_t = u32;

impl wasm_table_t {
    fn table(&self) -> &Table {
        match &self.r.kind {
            RefKind::Table(t) => t,
            _ => unreachable!("a wasm_table_t always holds a table"),
        }
    }

    /// `r` as an element of this table: NULL is the null reference, a
    /// `funcref` table takes only functions.
    fn element(&self, r: Option<&wasm_ref_t>) -> Result<Val> {
        let ty = self.table().ty().element;
        ref_to_val(r, ty, self.r.ctx.as_ref()).map_err(|e| anyhow!("element for a {ty} table: {e}"))
    }

    /// A new table of `store`; the error says why it cannot be made.
    pub(crate) fn create(
        store: &wasm_store_t,
        ty: &wasm_tabletype_t,
        init: Option<&wasm_ref_t>,
    ) -> Result<Box<wasm_table_t>> {
        let ty = ty
            .table_type()
            .ok_or_else(|| anyhow!("the table type is not a table type"))?;
        let init = ref_to_val(init, ty.element, Some(&store.ctx))
            .map_err(|e| anyhow!("initial element for a {} table: {e}", ty.element))?;
        let table = Table::new(&store.ctx.store, ty, init)?;
        Ok(Box::new(wasm_table_t {
            r: wasm_ref_t {
                kind: RefKind::Table(table),
                ctx: Some(store.ctx.clone()),
            },
        }))
    }

    /// Sets element `index`; the error says why it was refused.
    pub(crate) fn set(&self, index: wasm_table_size_t, r: Option<&wasm_ref_t>) -> Result<()> {
        self.table().set(u64::from(index), self.element(r)?)
    }

    /// Grows the table; returns its previous size, or why it cannot grow.
    pub(crate) fn grow(&self, delta: wasm_table_size_t, init: Option<&wasm_ref_t>) -> Result<u64> {
        self.table().grow(u64::from(delta), self.element(init)?)
    }
}

/// Returns a new table of `store` with type `ty`, every element set to
/// `init` (NULL for null; a function for a `funcref` table), owned by the
/// caller; NULL on a NULL argument, a wrong `init` or invalid limits
/// (`wasm_table_new_checked` says why).
///
/// # Safety
/// Pointer arguments must be NULL or valid, as wasm.h requires.
#[no_mangle]
pub unsafe extern "C" fn wasm_table_new(
    store: *mut wasm_store_t,
    ty: Option<&wasm_tabletype_t>,
    init: *mut wasm_ref_t,
) -> Option<Box<wasm_table_t>> {
    // SAFETY: the C caller passes NULL or a live store (wasm.h contract);
    // it is only borrowed shared, as objects of it may be used meanwhile.
    let store = unsafe { store.as_ref() };
    // SAFETY: the C caller passes NULL or a live reference.
    let init = unsafe { init.as_ref() };
    let (store, ty) = (store?, ty?);
    panic_guard::or_failure(None, || wasm_table_t::create(store, ty, init).ok())
}

/// Returns the table's type, owned by the caller; NULL for NULL.
#[no_mangle]
pub extern "C" fn wasm_table_type(table: Option<&wasm_table_t>) -> Option<Box<wasm_tabletype_t>> {
    Some(wasm_tabletype_t::from_table_type(&table?.table().ty()))
}

/// Returns the element at `index` as a new reference owned by the caller
/// (a function for a `funcref` table); NULL for a null element, an index
/// out of bounds or a NULL table.
#[no_mangle]
pub extern "C" fn wasm_table_get(
    table: Option<&wasm_table_t>,
    index: wasm_table_size_t,
) -> Option<Box<wasm_ref_t>> {
    let table = table?;
    panic_guard::or_failure(None, || {
        let val = table.table().get(u64::from(index))?;
        val_to_ref(&val, table.r.ctx.as_ref())
    })
}

/// Sets the element at `index` to `r` (not consumed; NULL for null);
/// false if the index is out of bounds, `r` does not fit the table's
/// element type, or the table is NULL (`wasm_table_set_checked` says why).
///
/// # Safety
/// Pointer arguments must be NULL or valid, as wasm.h requires.
#[no_mangle]
pub unsafe extern "C" fn wasm_table_set(
    table: *mut wasm_table_t,
    index: wasm_table_size_t,
    r: *mut wasm_ref_t,
) -> bool {
    // SAFETY: the C caller passes NULL or a live handle; the table is
    // changed through the runtime, so a shared borrow suffices.
    let Some(table) = (unsafe { table.as_ref() }) else {
        return false;
    };
    // SAFETY: the C caller passes NULL or a live reference.
    let r = unsafe { r.as_ref() };
    panic_guard::or_failure(false, || table.set(index, r).is_ok())
}

/// The table's current number of elements (saturated to `UINT32_MAX`); 0
/// for NULL.
#[no_mangle]
pub extern "C" fn wasm_table_size(table: Option<&wasm_table_t>) -> wasm_table_size_t {
    table.map_or(0, |t| u32::try_from(t.table().size()).unwrap_or(u32::MAX))
}

/// Grows the table by `delta` elements set to `init` (not consumed; NULL
/// for null); false if that would pass its maximum, `init` does not fit, or
/// the table is NULL (`wasm_table_grow_checked` says why).
///
/// # Safety
/// Pointer arguments must be NULL or valid, as wasm.h requires.
#[no_mangle]
pub unsafe extern "C" fn wasm_table_grow(
    table: *mut wasm_table_t,
    delta: wasm_table_size_t,
    init: *mut wasm_ref_t,
) -> bool {
    // SAFETY: as in `wasm_table_set`.
    let Some(table) = (unsafe { table.as_ref() }) else {
        return false;
    };
    // SAFETY: the C caller passes NULL or a live reference.
    let init = unsafe { init.as_ref() };
    panic_guard::or_failure(false, || table.grow(delta, init).is_ok())
}

/// Frees a handle of a table; the object itself lives on while other handles
/// (or its store) need it. NULL is ignored.
#[no_mangle]
pub extern "C" fn wasm_table_delete(table: Option<Box<wasm_table_t>>) {
    drop(table);
}

/// Returns a new handle of the same table, owned by the caller; NULL for NULL.
#[no_mangle]
pub extern "C" fn wasm_table_copy(table: Option<&wasm_table_t>) -> Option<Box<wasm_table_t>> {
    refs::copy(table)
}

/// Whether `a` and `b` are handles of the same object (false if either is
/// NULL).
#[no_mangle]
pub extern "C" fn wasm_table_same(a: Option<&wasm_table_t>, b: Option<&wasm_table_t>) -> bool {
    refs::same(a, b)
}

/// The host info attached to the object through any of its handles, or
/// NULL (also for a NULL handle).
#[no_mangle]
pub extern "C" fn wasm_table_get_host_info(table: Option<&wasm_table_t>) -> *mut c_void {
    refs::host_info(table)
}

/// Attaches `info` to the object (seen through every handle of it),
/// finalizing any earlier host info; NULL handles are ignored.
///
/// # Safety
/// Pointer arguments must be NULL or valid, as wasm.h requires.
#[no_mangle]
pub unsafe extern "C" fn wasm_table_set_host_info(table: *mut wasm_table_t, info: *mut c_void) {
    // SAFETY: forwarded from the caller.
    unsafe { refs::set_host_info(table, info, None) };
}

/// Attaches `info` to the object like `wasm_table_set_host_info`;
/// `finalizer(info)` runs exactly once, when the object goes away or the
/// info is replaced.
///
/// # Safety
/// Pointer arguments must be NULL or valid, as wasm.h requires.
#[no_mangle]
pub unsafe extern "C" fn wasm_table_set_host_info_with_finalizer(
    table: *mut wasm_table_t,
    info: *mut c_void,
    finalizer: Option<unsafe extern "C" fn(*mut c_void)>,
) {
    // SAFETY: forwarded from the caller.
    unsafe { refs::set_host_info(table, info, finalizer) };
}

/// The same object seen as a reference (borrowed, not a new handle); NULL
/// for NULL.
#[no_mangle]
pub extern "C" fn wasm_table_as_ref(table: *mut wasm_table_t) -> *mut wasm_ref_t {
    refs::as_ref(table)
}

/// The reference seen as a table (borrowed), or NULL if it refers to
/// something else.
///
/// # Safety
/// Pointer arguments must be NULL or valid, as wasm.h requires.
#[no_mangle]
pub unsafe extern "C" fn wasm_ref_as_table(r: *mut wasm_ref_t) -> *mut wasm_table_t {
    // SAFETY: forwarded from the caller.
    unsafe { refs::ref_as(r) }
}

/// Like `wasm_table_as_ref`, for a const handle.
#[no_mangle]
pub extern "C" fn wasm_table_as_ref_const(table: Option<&wasm_table_t>) -> Option<&wasm_ref_t> {
    table.map(RefWrapper::as_wasm_ref)
}

/// Like `wasm_ref_as_table`, for a const reference.
#[no_mangle]
pub extern "C" fn wasm_ref_as_table_const(r: Option<&wasm_ref_t>) -> Option<&wasm_table_t> {
    r.and_then(refs::downcast)
}
