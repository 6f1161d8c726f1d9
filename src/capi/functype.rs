//! `wasm_functype_t`: a function signature.

use crate::capi::externtype::wasm_externtype_t;
use crate::capi::valtype::wasm_valtype_t;
use crate::capi::vec::{wasm_valtype_vec_t, CVec};
use crate::module::{ExternType, FuncType, ValType};

/// The type of a function; owned by whoever made or copied it. An extern
/// type underneath (see `wasm_functype_as_externtype`).
#[cfg_attr(all(), repr(transparent))] // opaque to cbindgen, see `externtype`
#[derive(Clone, Debug)]
pub struct wasm_functype_t {
    pub(crate) ext: wasm_externtype_t,
}

impl wasm_functype_t {
    /// A boxed C object for `ty`, ready to hand to C.
    pub fn from_func_type(ty: &FuncType) -> Box<wasm_functype_t> {
        Box::new(wasm_functype_t {
            ext: wasm_externtype_t::new(ExternType::Func(ty.clone())),
        })
    }

    /// The signature this object describes. `None` only for an object that
    /// is not a function type at all (a C caller's bad pointer cast).
    pub fn func_type(&self) -> Option<&FuncType> {
        self.ext.func_type()
    }
}

/// Returns a new function type, owned by the caller; consumes both vectors
/// (and their elements) and leaves them empty. NULL if either vector is
/// NULL or holds a NULL element.
///
/// # Safety
/// Each vector must be NULL or an owned vector made by this library.
#[no_mangle]
pub unsafe extern "C" fn wasm_functype_new(
    params: Option<&mut wasm_valtype_vec_t>,
    results: Option<&mut wasm_valtype_vec_t>,
) -> Option<Box<wasm_functype_t>> {
    // SAFETY: the caller hands over owned vectors made by this library.
    let params = params.map(|v| unsafe { v.take() });
    // SAFETY: as above.
    let results = results.map(|v| unsafe { v.take() });
    let types = |v: Vec<Option<Box<wasm_valtype_t>>>| -> Option<Vec<ValType>> {
        v.into_iter().map(|t| t.map(|t| t.ty)).collect()
    };
    let ty = FuncType::new(types(params?)?, types(results?)?);
    Some(wasm_functype_t::from_func_type(&ty))
}

/// Returns a copy of `ty`, owned by the caller; NULL for NULL.
#[no_mangle]
pub extern "C" fn wasm_functype_copy(ty: Option<&wasm_functype_t>) -> Option<Box<wasm_functype_t>> {
    ty.map(|ty| Box::new(ty.clone()))
}

/// Frees a function type; NULL is ignored.
#[no_mangle]
pub extern "C" fn wasm_functype_delete(ty: Option<Box<wasm_functype_t>>) {
    drop(ty);
}

/// Returns the parameter types of `ty`, borrowed from `ty`; NULL for NULL.
#[no_mangle]
pub extern "C" fn wasm_functype_params(
    ty: Option<&wasm_functype_t>,
) -> Option<&wasm_valtype_vec_t> {
    ty?.ext.func_views().map(|(params, _)| params)
}

/// Returns the result types of `ty`, borrowed from `ty`; NULL for NULL.
#[no_mangle]
pub extern "C" fn wasm_functype_results(
    ty: Option<&wasm_functype_t>,
) -> Option<&wasm_valtype_vec_t> {
    ty?.ext.func_views().map(|(_, results)| results)
}
