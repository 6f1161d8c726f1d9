//! `wasm_externtype_t`: the type of any extern, and the conversions between
//! it and the four specific type objects (five with the extension's
//! `wasm_tagtype_t`, whose conversions live in `ext/tag.rs`).
//!
//! Representation. One struct, `wasm_externtype_t`, holds the type of any
//! extern kind: the Rust [`ExternType`] plus the C objects that the getters
//! lend out (`wasm_functype_params` returns a `const wasm_valtype_vec_t*`
//! that lives inside the type object, so those vectors must exist
//! somewhere). `wasm_functype_t`, `wasm_globaltype_t`, `wasm_tabletype_t`
//! and `wasm_memorytype_t` are `#[repr(transparent)]` wrappers of it, so
//! `wasm_functype_as_externtype` is a pointer cast and
//! `wasm_externtype_as_functype` is a kind check plus a pointer cast (NULL on
//! a kind mismatch). A type object made as one kind can therefore be freed
//! through either name, as the standard allows.
//!
//! The wrappers get their `repr(transparent)` through `cfg_attr`: cbindgen
//! does not read that form, so it declares them as distinct opaque structs
//! like the standard header does, instead of `typedef`s of
//! `wasm_externtype_t` (which C++ overloads and templates would tell apart
//! from the standard's types).
//!
//! The Rust-side conversions (`from_extern_type`, `extern_type`,
//! `wasm_functype_t::from_func_type`, …) are what the object functions
//! (`wasm_func_type`, `wasm_module_imports`, …) build on.

use std::fmt;

use crate::capi::ext::tag::{wasm_tagtype_t, WASM_EXTERN_TAG};
use crate::capi::functype::wasm_functype_t;
use crate::capi::globaltype::wasm_globaltype_t;
use crate::capi::limits::wasm_limits_t;
use crate::capi::memorytype::wasm_memorytype_t;
use crate::capi::tabletype::wasm_tabletype_t;
use crate::capi::valtype::{wasm_valtype_t, NO_KIND};
use crate::capi::vec::{wasm_valtype_vec_t, OwnedVec};
use crate::module::{ExternType, FuncType};

/// The kind of an extern: one of the `WASM_EXTERN_*` constants.
pub type wasm_externkind_t = u8;

/// A function.
pub const WASM_EXTERN_FUNC: wasm_externkind_t = 0;
/// A global.
pub const WASM_EXTERN_GLOBAL: wasm_externkind_t = 1;
/// A table.
pub const WASM_EXTERN_TABLE: wasm_externkind_t = 2;
/// A linear memory.
pub const WASM_EXTERN_MEMORY: wasm_externkind_t = 3;

/// The type of an extern of any kind; owned by whoever made or copied it.
pub struct wasm_externtype_t {
    ty: ExternType,
    views: Views,
}

/// The C objects a type lends out, built once from the Rust type.
enum Views {
    Func {
        params: OwnedVec<wasm_valtype_vec_t>,
        results: OwnedVec<wasm_valtype_vec_t>,
    },
    Global {
        content: wasm_valtype_t,
    },
    Table {
        element: wasm_valtype_t,
        limits: wasm_limits_t,
    },
    Memory {
        limits: wasm_limits_t,
    },
    /// A tag type (extension, `wasm_tagtype_t`): its payload types.
    Tag {
        params: OwnedVec<wasm_valtype_vec_t>,
    },
}

impl wasm_externtype_t {
    /// The C object for `ty`.
    pub(crate) fn new(ty: ExternType) -> wasm_externtype_t {
        let valtypes = |tys: &[crate::module::ValType]| {
            OwnedVec::new(
                tys.iter()
                    .map(|&t| Some(wasm_valtype_t::boxed(t)))
                    .collect(),
            )
        };
        let views = match &ty {
            ExternType::Func(f) => Views::Func {
                params: valtypes(&f.params),
                results: valtypes(&f.results),
            },
            ExternType::Global(g) => Views::Global {
                content: wasm_valtype_t::new(g.content),
            },
            ExternType::Table(t) => Views::Table {
                element: wasm_valtype_t::new(t.element),
                limits: wasm_limits_t::from_bounds(t.minimum, t.maximum),
            },
            ExternType::Memory(m) => Views::Memory {
                limits: wasm_limits_t::from_bounds(m.minimum, m.maximum),
            },
            ExternType::Tag(t) => Views::Tag {
                params: valtypes(t.params()),
            },
        };
        wasm_externtype_t { ty, views }
    }

    /// A boxed C object for `ty`, ready to hand to C.
    pub fn from_extern_type(ty: &ExternType) -> Box<wasm_externtype_t> {
        Box::new(wasm_externtype_t::new(ty.clone()))
    }

    /// The extern type this object describes.
    pub fn extern_type(&self) -> &ExternType {
        &self.ty
    }

    /// The C kind of this type.
    pub fn kind(&self) -> wasm_externkind_t {
        match self.ty {
            ExternType::Func(_) => WASM_EXTERN_FUNC,
            ExternType::Global(_) => WASM_EXTERN_GLOBAL,
            ExternType::Table(_) => WASM_EXTERN_TABLE,
            ExternType::Memory(_) => WASM_EXTERN_MEMORY,
            ExternType::Tag(_) => WASM_EXTERN_TAG,
        }
    }

    /// This type as a function type, if it is one.
    pub fn as_functype(&self) -> Option<&wasm_functype_t> {
        // SAFETY: `wasm_functype_t` is a `repr(transparent)` wrapper.
        self.cast_to(WASM_EXTERN_FUNC).map(|p| unsafe { &*p })
    }

    /// This type as a global type, if it is one.
    pub fn as_globaltype(&self) -> Option<&wasm_globaltype_t> {
        // SAFETY: `wasm_globaltype_t` is a `repr(transparent)` wrapper.
        self.cast_to(WASM_EXTERN_GLOBAL).map(|p| unsafe { &*p })
    }

    /// This type as a table type, if it is one.
    pub fn as_tabletype(&self) -> Option<&wasm_tabletype_t> {
        // SAFETY: `wasm_tabletype_t` is a `repr(transparent)` wrapper.
        self.cast_to(WASM_EXTERN_TABLE).map(|p| unsafe { &*p })
    }

    /// This type as a memory type, if it is one.
    pub fn as_memorytype(&self) -> Option<&wasm_memorytype_t> {
        // SAFETY: `wasm_memorytype_t` is a `repr(transparent)` wrapper.
        self.cast_to(WASM_EXTERN_MEMORY).map(|p| unsafe { &*p })
    }

    /// This type as a tag type, if it is one.
    pub fn as_tagtype(&self) -> Option<&wasm_tagtype_t> {
        // SAFETY: `wasm_tagtype_t` is a `repr(transparent)` wrapper.
        self.cast_to(WASM_EXTERN_TAG).map(|p| unsafe { &*p })
    }

    /// `self` as a pointer to the wrapper type `T` when its kind is `kind`.
    /// Turning the pointer into a reference is sound exactly when `T` is a
    /// `repr(transparent)` wrapper of `wasm_externtype_t`; the borrow of
    /// `self` then covers the wrapper.
    fn cast_to<T>(&self, kind: wasm_externkind_t) -> Option<*const T> {
        (self.kind() == kind).then_some(self as *const wasm_externtype_t as *const T)
    }

    /// `cast_to` for a mutable pointer.
    pub(crate) fn cast_to_mut<T>(&mut self, kind: wasm_externkind_t) -> Option<*mut T> {
        (self.kind() == kind).then_some(self as *mut wasm_externtype_t as *mut T)
    }

    /// A function type's parameter and result vectors, lent out by
    /// `wasm_functype_params` and `wasm_functype_results`.
    pub(crate) fn func_views(&self) -> Option<(&wasm_valtype_vec_t, &wasm_valtype_vec_t)> {
        match &self.views {
            Views::Func { params, results } => Some((params, results)),
            _ => None,
        }
    }

    /// A function type's signature.
    pub(crate) fn func_type(&self) -> Option<&FuncType> {
        match &self.ty {
            ExternType::Func(f) => Some(f),
            _ => None,
        }
    }

    /// A global type's content, lent out by `wasm_globaltype_content`.
    pub(crate) fn global_content(&self) -> Option<&wasm_valtype_t> {
        match &self.views {
            Views::Global { content } => Some(content),
            _ => None,
        }
    }

    /// A table type's element type and limits, lent out by
    /// `wasm_tabletype_element` and `wasm_tabletype_limits`.
    pub(crate) fn table_views(&self) -> Option<(&wasm_valtype_t, &wasm_limits_t)> {
        match &self.views {
            Views::Table { element, limits } => Some((element, limits)),
            _ => None,
        }
    }

    /// A tag type's payload types, lent out by `wasm_tagtype_params`.
    pub(crate) fn tag_params(&self) -> Option<&wasm_valtype_vec_t> {
        match &self.views {
            Views::Tag { params } => Some(params),
            _ => None,
        }
    }

    /// A memory type's limits, lent out by `wasm_memorytype_limits`.
    pub(crate) fn memory_limits(&self) -> Option<&wasm_limits_t> {
        match &self.views {
            Views::Memory { limits } => Some(limits),
            _ => None,
        }
    }
}

impl Clone for wasm_externtype_t {
    fn clone(&self) -> Self {
        wasm_externtype_t::new(self.ty.clone())
    }
}

impl fmt::Debug for wasm_externtype_t {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("wasm_externtype_t").field(&self.ty).finish()
    }
}

impl PartialEq for wasm_externtype_t {
    fn eq(&self, other: &Self) -> bool {
        self.ty == other.ty
    }
}

/// Returns a copy of `ty`, owned by the caller; NULL for NULL.
#[no_mangle]
pub extern "C" fn wasm_externtype_copy(
    ty: Option<&wasm_externtype_t>,
) -> Option<Box<wasm_externtype_t>> {
    ty.map(|ty| Box::new(ty.clone()))
}

/// Frees an extern type (of any kind); NULL is ignored.
#[no_mangle]
pub extern "C" fn wasm_externtype_delete(ty: Option<Box<wasm_externtype_t>>) {
    drop(ty);
}

/// Returns the kind of `ty`, a `WASM_EXTERN_*` constant (0xff for NULL).
#[no_mangle]
pub extern "C" fn wasm_externtype_kind(ty: Option<&wasm_externtype_t>) -> wasm_externkind_t {
    ty.map_or(NO_KIND, wasm_externtype_t::kind)
}

/// Returns `ty` viewed as an extern type (the same object, not a copy);
/// NULL for NULL.
#[no_mangle]
pub extern "C" fn wasm_functype_as_externtype(
    ty: Option<&mut wasm_functype_t>,
) -> Option<&mut wasm_externtype_t> {
    ty.map(|ty| &mut ty.ext)
}

/// Returns `ty` viewed as an extern type (the same object, not a copy);
/// NULL for NULL.
#[no_mangle]
pub extern "C" fn wasm_globaltype_as_externtype(
    ty: Option<&mut wasm_globaltype_t>,
) -> Option<&mut wasm_externtype_t> {
    ty.map(|ty| &mut ty.ext)
}

/// Returns `ty` viewed as an extern type (the same object, not a copy);
/// NULL for NULL.
#[no_mangle]
pub extern "C" fn wasm_tabletype_as_externtype(
    ty: Option<&mut wasm_tabletype_t>,
) -> Option<&mut wasm_externtype_t> {
    ty.map(|ty| &mut ty.ext)
}

/// Returns `ty` viewed as an extern type (the same object, not a copy);
/// NULL for NULL.
#[no_mangle]
pub extern "C" fn wasm_memorytype_as_externtype(
    ty: Option<&mut wasm_memorytype_t>,
) -> Option<&mut wasm_externtype_t> {
    ty.map(|ty| &mut ty.ext)
}

/// Returns `ty` viewed as a function type (the same object), or NULL if it
/// is NULL or of another kind.
#[no_mangle]
pub extern "C" fn wasm_externtype_as_functype(
    ty: Option<&mut wasm_externtype_t>,
) -> Option<&mut wasm_functype_t> {
    let ptr = ty?.cast_to_mut::<wasm_functype_t>(WASM_EXTERN_FUNC)?;
    // SAFETY: `wasm_functype_t` is a `repr(transparent)` wrapper and the
    // pointer comes from the exclusive borrow handed in.
    Some(unsafe { &mut *ptr })
}

/// Returns `ty` viewed as a global type (the same object), or NULL if it is
/// NULL or of another kind.
#[no_mangle]
pub extern "C" fn wasm_externtype_as_globaltype(
    ty: Option<&mut wasm_externtype_t>,
) -> Option<&mut wasm_globaltype_t> {
    let ptr = ty?.cast_to_mut::<wasm_globaltype_t>(WASM_EXTERN_GLOBAL)?;
    // SAFETY: `wasm_globaltype_t` is a `repr(transparent)` wrapper and the
    // pointer comes from the exclusive borrow handed in.
    Some(unsafe { &mut *ptr })
}

/// Returns `ty` viewed as a table type (the same object), or NULL if it is
/// NULL or of another kind.
#[no_mangle]
pub extern "C" fn wasm_externtype_as_tabletype(
    ty: Option<&mut wasm_externtype_t>,
) -> Option<&mut wasm_tabletype_t> {
    let ptr = ty?.cast_to_mut::<wasm_tabletype_t>(WASM_EXTERN_TABLE)?;
    // SAFETY: `wasm_tabletype_t` is a `repr(transparent)` wrapper and the
    // pointer comes from the exclusive borrow handed in.
    Some(unsafe { &mut *ptr })
}

/// Returns `ty` viewed as a memory type (the same object), or NULL if it is
/// NULL or of another kind.
#[no_mangle]
pub extern "C" fn wasm_externtype_as_memorytype(
    ty: Option<&mut wasm_externtype_t>,
) -> Option<&mut wasm_memorytype_t> {
    let ptr = ty?.cast_to_mut::<wasm_memorytype_t>(WASM_EXTERN_MEMORY)?;
    // SAFETY: `wasm_memorytype_t` is a `repr(transparent)` wrapper and the
    // pointer comes from the exclusive borrow handed in.
    Some(unsafe { &mut *ptr })
}

/// Returns `ty` viewed as an extern type (the same object, not a copy);
/// NULL for NULL.
#[no_mangle]
pub extern "C" fn wasm_functype_as_externtype_const(
    ty: Option<&wasm_functype_t>,
) -> Option<&wasm_externtype_t> {
    ty.map(|ty| &ty.ext)
}

/// Returns `ty` viewed as an extern type (the same object, not a copy);
/// NULL for NULL.
#[no_mangle]
pub extern "C" fn wasm_globaltype_as_externtype_const(
    ty: Option<&wasm_globaltype_t>,
) -> Option<&wasm_externtype_t> {
    ty.map(|ty| &ty.ext)
}

/// Returns `ty` viewed as an extern type (the same object, not a copy);
/// NULL for NULL.
#[no_mangle]
pub extern "C" fn wasm_tabletype_as_externtype_const(
    ty: Option<&wasm_tabletype_t>,
) -> Option<&wasm_externtype_t> {
    ty.map(|ty| &ty.ext)
}

/// Returns `ty` viewed as an extern type (the same object, not a copy);
/// NULL for NULL.
#[no_mangle]
pub extern "C" fn wasm_memorytype_as_externtype_const(
    ty: Option<&wasm_memorytype_t>,
) -> Option<&wasm_externtype_t> {
    ty.map(|ty| &ty.ext)
}

/// Returns `ty` viewed as a function type (the same object), or NULL if it
/// is NULL or of another kind.
#[no_mangle]
pub extern "C" fn wasm_externtype_as_functype_const(
    ty: Option<&wasm_externtype_t>,
) -> Option<&wasm_functype_t> {
    ty?.as_functype()
}

/// Returns `ty` viewed as a global type (the same object), or NULL if it is
/// NULL or of another kind.
#[no_mangle]
pub extern "C" fn wasm_externtype_as_globaltype_const(
    ty: Option<&wasm_externtype_t>,
) -> Option<&wasm_globaltype_t> {
    ty?.as_globaltype()
}

/// Returns `ty` viewed as a table type (the same object), or NULL if it is
/// NULL or of another kind.
#[no_mangle]
pub extern "C" fn wasm_externtype_as_tabletype_const(
    ty: Option<&wasm_externtype_t>,
) -> Option<&wasm_tabletype_t> {
    ty?.as_tabletype()
}

/// Returns `ty` viewed as a memory type (the same object), or NULL if it is
/// NULL or of another kind.
#[no_mangle]
pub extern "C" fn wasm_externtype_as_memorytype_const(
    ty: Option<&wasm_externtype_t>,
) -> Option<&wasm_memorytype_t> {
    ty?.as_memorytype()
}
