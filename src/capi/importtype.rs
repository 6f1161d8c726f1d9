//! `wasm_importtype_t`: one import of a module, as `wasm_module_imports`
//! reflects it.

use crate::capi::externtype::wasm_externtype_t;
use crate::capi::vec::{wasm_name_t, OwnedVec};
use crate::module::ExternType;

/// An import's module name, field name and type; owns all three.
#[derive(Clone)]
pub struct wasm_importtype_t {
    module: OwnedVec<wasm_name_t>,
    name: OwnedVec<wasm_name_t>,
    ty: Box<wasm_externtype_t>,
}

impl wasm_importtype_t {
    /// A boxed C object for the import `module`.`name` of type `ty`.
    pub fn from_parts(module: &str, name: &str, ty: &ExternType) -> Box<wasm_importtype_t> {
        Box::new(wasm_importtype_t {
            module: name_of(module.as_bytes()),
            name: name_of(name.as_bytes()),
            ty: wasm_externtype_t::from_extern_type(ty),
        })
    }

    /// The module name's bytes (C may have made it, so not always UTF-8).
    pub fn module(&self) -> &[u8] {
        name_bytes(&self.module)
    }

    /// The field name's bytes (C may have made it, so not always UTF-8).
    pub fn name(&self) -> &[u8] {
        name_bytes(&self.name)
    }

    /// The import's type.
    pub fn extern_type(&self) -> &ExternType {
        self.ty.extern_type()
    }
}

/// An owned name holding a copy of `bytes`.
pub(crate) fn name_of(bytes: &[u8]) -> OwnedVec<wasm_name_t> {
    OwnedVec::new(bytes.iter().map(|&b| b as std::os::raw::c_char).collect())
}

/// The bytes of an owned name.
pub(crate) fn name_bytes(name: &OwnedVec<wasm_name_t>) -> &[u8] {
    let chars = name.as_slice();
    // SAFETY: `c_char` and `u8` have the same size and alignment, and the
    // slice borrows `name`.
    unsafe { std::slice::from_raw_parts(chars.as_ptr() as *const u8, chars.len()) }
}

impl std::fmt::Debug for wasm_importtype_t {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("wasm_importtype_t")
            .field("module", &String::from_utf8_lossy(self.module()))
            .field("name", &String::from_utf8_lossy(self.name()))
            .field("ty", self.extern_type())
            .finish()
    }
}

/// Returns a new import type, owned by the caller; consumes all three
/// arguments (the names are left empty). NULL if any argument is NULL.
///
/// # Safety
/// `module` and `name` must be NULL or owned byte vectors made by this
/// library.
#[no_mangle]
pub unsafe extern "C" fn wasm_importtype_new(
    module: Option<&mut wasm_name_t>,
    name: Option<&mut wasm_name_t>,
    ty: Option<Box<wasm_externtype_t>>,
) -> Option<Box<wasm_importtype_t>> {
    // SAFETY: the caller hands over owned vectors made by this library.
    let module = module.map(|v| unsafe { OwnedVec::take_from(v) });
    // SAFETY: as above.
    let name = name.map(|v| unsafe { OwnedVec::take_from(v) });
    Some(Box::new(wasm_importtype_t {
        module: module?,
        name: name?,
        ty: ty?,
    }))
}

/// Returns a copy of `ty`, owned by the caller; NULL for NULL.
#[no_mangle]
pub extern "C" fn wasm_importtype_copy(
    ty: Option<&wasm_importtype_t>,
) -> Option<Box<wasm_importtype_t>> {
    ty.map(|ty| Box::new(ty.clone()))
}

/// Frees an import type with its names and type; NULL is ignored.
#[no_mangle]
pub extern "C" fn wasm_importtype_delete(ty: Option<Box<wasm_importtype_t>>) {
    drop(ty);
}

/// Returns the name of the module imported from, borrowed from `ty`; NULL
/// for NULL.
#[no_mangle]
pub extern "C" fn wasm_importtype_module(ty: Option<&wasm_importtype_t>) -> Option<&wasm_name_t> {
    ty.map(|ty| &*ty.module)
}

/// Returns the name of the imported item, borrowed from `ty`; NULL for NULL.
#[no_mangle]
pub extern "C" fn wasm_importtype_name(ty: Option<&wasm_importtype_t>) -> Option<&wasm_name_t> {
    ty.map(|ty| &*ty.name)
}

/// Returns the type of the imported item, borrowed from `ty`; NULL for NULL.
#[no_mangle]
pub extern "C" fn wasm_importtype_type(
    ty: Option<&wasm_importtype_t>,
) -> Option<&wasm_externtype_t> {
    ty.map(|ty| &*ty.ty)
}
