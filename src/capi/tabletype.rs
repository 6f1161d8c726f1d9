//! `wasm_tabletype_t`: a table's element type and size limits.

use crate::capi::externtype::wasm_externtype_t;
use crate::capi::limits::wasm_limits_t;
use crate::capi::valtype::wasm_valtype_t;
use crate::module::{ExternType, TableType};

/// The type of a table; owned by whoever made or copied it. An extern type
/// underneath (see `wasm_tabletype_as_externtype`).
#[cfg_attr(all(), repr(transparent))] // opaque to cbindgen, see `externtype`
#[derive(Clone, Debug)]
pub struct wasm_tabletype_t {
    pub(crate) ext: wasm_externtype_t,
}

impl wasm_tabletype_t {
    /// A boxed C object for `ty`, ready to hand to C.
    pub fn from_table_type(ty: &TableType) -> Box<wasm_tabletype_t> {
        Box::new(wasm_tabletype_t {
            ext: wasm_externtype_t::new(ExternType::Table(*ty)),
        })
    }

    /// The table type this object describes. `None` only for an object
    /// that is not a table type at all (a C caller's bad pointer cast).
    pub fn table_type(&self) -> Option<TableType> {
        match self.ext.extern_type() {
            ExternType::Table(ty) => Some(*ty),
            _ => None,
        }
    }
}

/// Returns a new 32-bit table type, owned by the caller; consumes
/// `element`. NULL if an argument is NULL, `element` is not a reference
/// type, or the maximum is below the minimum (no valid table has that
/// type). A `max` of `wasm_limits_max_default` means no maximum.
#[no_mangle]
pub extern "C" fn wasm_tabletype_new(
    element: Option<Box<wasm_valtype_t>>,
    limits: Option<&wasm_limits_t>,
) -> Option<Box<wasm_tabletype_t>> {
    let element = element?.ty;
    let (minimum, maximum) = limits?.bounds();
    if !element.is_ref() || maximum.is_some_and(|max| max < minimum) {
        return None;
    }
    Some(wasm_tabletype_t::from_table_type(&TableType {
        element,
        minimum,
        maximum,
        table64: false,
    }))
}

/// Returns a copy of `ty`, owned by the caller; NULL for NULL.
#[no_mangle]
pub extern "C" fn wasm_tabletype_copy(
    ty: Option<&wasm_tabletype_t>,
) -> Option<Box<wasm_tabletype_t>> {
    ty.map(|ty| Box::new(ty.clone()))
}

/// Frees a table type; NULL is ignored.
#[no_mangle]
pub extern "C" fn wasm_tabletype_delete(ty: Option<Box<wasm_tabletype_t>>) {
    drop(ty);
}

/// Returns the element type of `ty`, borrowed from `ty`; NULL for NULL.
#[no_mangle]
pub extern "C" fn wasm_tabletype_element(ty: Option<&wasm_tabletype_t>) -> Option<&wasm_valtype_t> {
    ty?.ext.table_views().map(|(element, _)| element)
}

/// Returns the limits of `ty`, borrowed from `ty` (bounds beyond 32 bits
/// saturate); NULL for NULL.
#[no_mangle]
pub extern "C" fn wasm_tabletype_limits(ty: Option<&wasm_tabletype_t>) -> Option<&wasm_limits_t> {
    ty?.ext.table_views().map(|(_, limits)| limits)
}
