//! `wasm_globaltype_t`: a global's content type and mutability.

use crate::capi::externtype::wasm_externtype_t;
use crate::capi::valtype::{wasm_valtype_t, NO_KIND};
use crate::module::{ExternType, GlobalType};

/// Whether a global can be written: `WASM_CONST` or `WASM_VAR`.
pub type wasm_mutability_t = u8;

/// An immutable global.
pub const WASM_CONST: wasm_mutability_t = 0;
/// A mutable global.
pub const WASM_VAR: wasm_mutability_t = 1;

/// The type of a global; owned by whoever made or copied it. An extern type
/// underneath (see `wasm_globaltype_as_externtype`).
#[cfg_attr(all(), repr(transparent))] // opaque to cbindgen, see `externtype`
#[derive(Clone, Debug)]
pub struct wasm_globaltype_t {
    pub(crate) ext: wasm_externtype_t,
}

impl wasm_globaltype_t {
    /// A boxed C object for `ty`, ready to hand to C.
    pub fn from_global_type(ty: &GlobalType) -> Box<wasm_globaltype_t> {
        Box::new(wasm_globaltype_t {
            ext: wasm_externtype_t::new(ExternType::Global(*ty)),
        })
    }

    /// The global type this object describes. `None` only for an object
    /// that is not a global type at all (a C caller's bad pointer cast).
    pub fn global_type(&self) -> Option<GlobalType> {
        match self.ext.extern_type() {
            ExternType::Global(ty) => Some(*ty),
            _ => None,
        }
    }
}

/// Returns a new global type, owned by the caller; consumes `content`.
/// NULL if `content` is NULL or `mutability` is neither `WASM_CONST` nor
/// `WASM_VAR`.
#[no_mangle]
pub extern "C" fn wasm_globaltype_new(
    content: Option<Box<wasm_valtype_t>>,
    mutability: wasm_mutability_t,
) -> Option<Box<wasm_globaltype_t>> {
    let content = content?.ty;
    let mutable = match mutability {
        WASM_CONST => false,
        WASM_VAR => true,
        _ => return None,
    };
    Some(wasm_globaltype_t::from_global_type(&GlobalType {
        content,
        mutable,
    }))
}

/// Returns a copy of `ty`, owned by the caller; NULL for NULL.
#[no_mangle]
pub extern "C" fn wasm_globaltype_copy(
    ty: Option<&wasm_globaltype_t>,
) -> Option<Box<wasm_globaltype_t>> {
    ty.map(|ty| Box::new(ty.clone()))
}

/// Frees a global type; NULL is ignored.
#[no_mangle]
pub extern "C" fn wasm_globaltype_delete(ty: Option<Box<wasm_globaltype_t>>) {
    drop(ty);
}

/// Returns the content type of `ty`, borrowed from `ty`; NULL for NULL.
#[no_mangle]
pub extern "C" fn wasm_globaltype_content(
    ty: Option<&wasm_globaltype_t>,
) -> Option<&wasm_valtype_t> {
    ty?.ext.global_content()
}

/// Returns `WASM_CONST` or `WASM_VAR` (0xff for NULL).
#[no_mangle]
pub extern "C" fn wasm_globaltype_mutability(ty: Option<&wasm_globaltype_t>) -> wasm_mutability_t {
    match ty
        .and_then(wasm_globaltype_t::global_type)
        .map(|ty| ty.mutable)
    {
        Some(false) => WASM_CONST,
        Some(true) => WASM_VAR,
        None => NO_KIND,
    }
}
