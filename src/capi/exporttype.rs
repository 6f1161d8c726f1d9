//! `wasm_exporttype_t`: one export of a module, as `wasm_module_exports`
//! reflects it.

use crate::capi::externtype::wasm_externtype_t;
use crate::capi::importtype::{name_bytes, name_of};
use crate::capi::vec::{wasm_name_t, OwnedVec};
use crate::module::ExternType;

/// An export's name and type; owns both.
#[derive(Clone)]
pub struct wasm_exporttype_t {
    name: OwnedVec<wasm_name_t>,
    ty: Box<wasm_externtype_t>,
}

impl wasm_exporttype_t {
    /// A boxed C object for the export `name` of type `ty`.
    pub fn from_parts(name: &str, ty: &ExternType) -> Box<wasm_exporttype_t> {
        Box::new(wasm_exporttype_t {
            name: name_of(name.as_bytes()),
            ty: wasm_externtype_t::from_extern_type(ty),
        })
    }

    /// The name's bytes (C may have made it, so not always UTF-8).
    pub fn name(&self) -> &[u8] {
        name_bytes(&self.name)
    }

    /// The export's type.
    pub fn extern_type(&self) -> &ExternType {
        self.ty.extern_type()
    }
}

impl std::fmt::Debug for wasm_exporttype_t {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("wasm_exporttype_t")
            .field("name", &String::from_utf8_lossy(self.name()))
            .field("ty", self.extern_type())
            .finish()
    }
}

/// Returns a new export type, owned by the caller; consumes both arguments
/// (the name is left empty). NULL if either argument is NULL.
///
/// # Safety
/// `name` must be NULL or an owned byte vector made by this library.
#[no_mangle]
pub unsafe extern "C" fn wasm_exporttype_new(
    name: Option<&mut wasm_name_t>,
    ty: Option<Box<wasm_externtype_t>>,
) -> Option<Box<wasm_exporttype_t>> {
    // SAFETY: the caller hands over an owned vector made by this library.
    let name = name.map(|v| unsafe { OwnedVec::take_from(v) });
    Some(Box::new(wasm_exporttype_t {
        name: name?,
        ty: ty?,
    }))
}

/// Returns a copy of `ty`, owned by the caller; NULL for NULL.
#[no_mangle]
pub extern "C" fn wasm_exporttype_copy(
    ty: Option<&wasm_exporttype_t>,
) -> Option<Box<wasm_exporttype_t>> {
    ty.map(|ty| Box::new(ty.clone()))
}

/// Frees an export type with its name and type; NULL is ignored.
#[no_mangle]
pub extern "C" fn wasm_exporttype_delete(ty: Option<Box<wasm_exporttype_t>>) {
    drop(ty);
}

/// Returns the export's name, borrowed from `ty`; NULL for NULL.
#[no_mangle]
pub extern "C" fn wasm_exporttype_name(ty: Option<&wasm_exporttype_t>) -> Option<&wasm_name_t> {
    ty.map(|ty| &*ty.name)
}

/// Returns the export's type, borrowed from `ty`; NULL for NULL.
#[no_mangle]
pub extern "C" fn wasm_exporttype_type(
    ty: Option<&wasm_exporttype_t>,
) -> Option<&wasm_externtype_t> {
    ty.map(|ty| &*ty.ty)
}
