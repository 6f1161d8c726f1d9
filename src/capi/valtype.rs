//! `wasm_valtype_t` and the value kinds.
//!
//! Kinds are plain bytes in C (`typedef uint8_t wasm_valkind_t`), so they
//! are a `u8` alias and constants here: a Rust enum would make any other
//! byte a C caller passes undefined behaviour instead of an error.

use crate::module::{HeapType, RefType, ValType};

/// `exnref`, `(ref null exn)`.
const EXNREF: ValType = ValType::Ref(RefType::EXNREF);

/// The nullable reference type to the abstract heap type `heap`.
const fn nullable(heap: HeapType) -> ValType {
    ValType::Ref(RefType {
        nullable: true,
        heap,
    })
}

/// `eqref`, `(ref null eq)`.
const EQREF: ValType = nullable(HeapType::Eq);
/// `i31ref`, `(ref null i31)`.
const I31REF: ValType = nullable(HeapType::I31);
/// `structref`, `(ref null struct)`.
const STRUCTREF: ValType = nullable(HeapType::Struct);
/// `arrayref`, `(ref null array)`.
const ARRAYREF: ValType = nullable(HeapType::Array);
/// `nullref`, `(ref null none)`.
const NULLREF: ValType = nullable(HeapType::None);

/// The kind of a value: one of the `WASM_I32` … `WASM_NULLREF` constants.
pub type wasm_valkind_t = u8;

/// A 32-bit integer.
pub const WASM_I32: wasm_valkind_t = 0;
/// A 64-bit integer.
pub const WASM_I64: wasm_valkind_t = 1;
/// A 32-bit IEEE float.
pub const WASM_F32: wasm_valkind_t = 2;
/// A 64-bit IEEE float.
pub const WASM_F64: wasm_valkind_t = 3;
/// Extension: a 128-bit SIMD vector (a value's `of.v128` bytes).
pub const WASM_V128: wasm_valkind_t = 4;
/// A nullable reference to a host object.
pub const WASM_EXTERNREF: wasm_valkind_t = 128;
/// A nullable reference to a function.
pub const WASM_FUNCREF: wasm_valkind_t = 129;
/// Extension: a reference type with no kind of its own (not nullable, or
/// to `nofunc`, `noextern`, `noexn`, a function, struct or array type);
/// `wasm_valtype_is_nullable`, `wasm_valtype_heap_kind` and
/// `wasm_valtype_functype` describe it. Values of it are `WASM_FUNCREF`,
/// `WASM_EXTERNREF`, `WASM_EXNREF` or `WASM_ANYREF` values, by hierarchy.
pub const WASM_TYPEDREF: wasm_valkind_t = 130;
/// Extension: a nullable reference to an exception (`exnref`, exception
/// handling). A value of it owns a `wasm_ref_t` of the exception object in
/// `of.ref` (NULL is the null reference), opaque to the host, which can pass
/// it back to wasm.
pub const WASM_EXNREF: wasm_valkind_t = 131;
/// Extension (GC): a nullable reference of the `any` hierarchy (`anyref`):
/// an i31, a struct, an array, or a host object converted in. Every value
/// of that hierarchy, whatever its type's kind, is a `WASM_ANYREF` value
/// owning a `wasm_ref_t` in `of.ref` (NULL is the null reference).
pub const WASM_ANYREF: wasm_valkind_t = 132;
/// Extension (GC): `eqref`, a nullable i31, struct or array. Values given
/// with this kind must be of the type; values handed out are `WASM_ANYREF`.
pub const WASM_EQREF: wasm_valkind_t = 133;
/// Extension (GC): `i31ref`, a nullable unboxed 31-bit integer. Values given
/// with this kind must be of the type; values handed out are `WASM_ANYREF`.
pub const WASM_I31REF: wasm_valkind_t = 134;
/// Extension (GC): `structref`, a nullable struct of any struct type. Values
/// given with this kind must be of the type; values handed out are
/// `WASM_ANYREF`.
pub const WASM_STRUCTREF: wasm_valkind_t = 135;
/// Extension (GC): `arrayref`, a nullable array of any array type. Values
/// given with this kind must be of the type; values handed out are
/// `WASM_ANYREF`.
pub const WASM_ARRAYREF: wasm_valkind_t = 136;
/// Extension (GC): `nullref`, `(ref null none)`, whose only value is null.
/// Values given with this kind must be null; values handed out are
/// `WASM_ANYREF`.
pub const WASM_NULLREF: wasm_valkind_t = 137;

/// What the kind getters return for a NULL object: no kind at all.
pub(crate) const NO_KIND: u8 = 0xff;

/// The type of a value; owned by whoever made or copied it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct wasm_valtype_t {
    pub(crate) ty: ValType,
}

impl wasm_valtype_t {
    /// The C object for `ty`.
    pub fn new(ty: ValType) -> wasm_valtype_t {
        wasm_valtype_t { ty }
    }

    /// A boxed C object for `ty`, ready to hand to C.
    pub fn boxed(ty: ValType) -> Box<wasm_valtype_t> {
        Box::new(wasm_valtype_t::new(ty))
    }

    /// The value type this object describes.
    pub fn ty(&self) -> ValType {
        self.ty
    }
}

/// Whether `kind` is one of the kinds of the `any` hierarchy
/// (`WASM_ANYREF` … `WASM_NULLREF`).
pub fn is_any_kind(kind: wasm_valkind_t) -> bool {
    (WASM_ANYREF..=WASM_NULLREF).contains(&kind)
}

/// Whether a value of kind `kind` owns a reference in `of.ref`.
pub fn is_ref_kind(kind: wasm_valkind_t) -> bool {
    matches!(kind, WASM_EXTERNREF | WASM_FUNCREF | WASM_EXNREF) || is_any_kind(kind)
}

/// The C kind of a value type: `WASM_TYPEDREF` for references other than
/// the nullable abstract ones wasm.h or our extensions name.
pub fn valkind_of(ty: ValType) -> wasm_valkind_t {
    match ty {
        ValType::I32 => WASM_I32,
        ValType::I64 => WASM_I64,
        ValType::F32 => WASM_F32,
        ValType::F64 => WASM_F64,
        ValType::V128 => WASM_V128,
        ValType::EXTERNREF => WASM_EXTERNREF,
        ValType::FUNCREF => WASM_FUNCREF,
        EXNREF => WASM_EXNREF,
        ValType::ANYREF => WASM_ANYREF,
        EQREF => WASM_EQREF,
        I31REF => WASM_I31REF,
        STRUCTREF => WASM_STRUCTREF,
        ARRAYREF => WASM_ARRAYREF,
        NULLREF => WASM_NULLREF,
        ValType::Ref(_) => WASM_TYPEDREF,
    }
}

/// The C kind of the values of a value type: a reference type's values
/// are `WASM_FUNCREF`, `WASM_EXNREF`, `WASM_ANYREF` or `WASM_EXTERNREF`
/// values, by hierarchy.
pub fn value_kind_of(ty: ValType) -> wasm_valkind_t {
    match ty {
        ValType::Ref(r) if r.heap.is_func() => WASM_FUNCREF,
        ValType::Ref(r) if r.heap.is_exn() => WASM_EXNREF,
        ValType::Ref(r) if r.heap.is_any() => WASM_ANYREF,
        ValType::Ref(_) => WASM_EXTERNREF,
        other => valkind_of(other),
    }
}

/// The value type of a C kind, or `None` for a byte that names no kind.
pub fn valtype_of_kind(kind: wasm_valkind_t) -> Option<ValType> {
    Some(match kind {
        WASM_I32 => ValType::I32,
        WASM_I64 => ValType::I64,
        WASM_F32 => ValType::F32,
        WASM_F64 => ValType::F64,
        WASM_V128 => ValType::V128,
        WASM_EXTERNREF => ValType::EXTERNREF,
        WASM_FUNCREF => ValType::FUNCREF,
        WASM_EXNREF => EXNREF,
        WASM_ANYREF => ValType::ANYREF,
        WASM_EQREF => EQREF,
        WASM_I31REF => I31REF,
        WASM_STRUCTREF => STRUCTREF,
        WASM_ARRAYREF => ARRAYREF,
        WASM_NULLREF => NULLREF,
        _ => return None,
    })
}

/// Returns a new value type of kind `kind`, owned by the caller, or NULL if
/// `kind` is not one of the `WASM_*` value kinds.
#[no_mangle]
pub extern "C" fn wasm_valtype_new(kind: wasm_valkind_t) -> Option<Box<wasm_valtype_t>> {
    valtype_of_kind(kind).map(wasm_valtype_t::boxed)
}

/// Returns a copy of `ty`, owned by the caller; NULL for NULL.
#[no_mangle]
pub extern "C" fn wasm_valtype_copy(ty: Option<&wasm_valtype_t>) -> Option<Box<wasm_valtype_t>> {
    ty.map(|ty| Box::new(ty.clone()))
}

/// Frees a value type; NULL is ignored.
#[no_mangle]
pub extern "C" fn wasm_valtype_delete(ty: Option<Box<wasm_valtype_t>>) {
    drop(ty);
}

/// Returns the kind of `ty` (0xff, no kind, for NULL).
#[no_mangle]
pub extern "C" fn wasm_valtype_kind(ty: Option<&wasm_valtype_t>) -> wasm_valkind_t {
    ty.map_or(NO_KIND, |ty| valkind_of(ty.ty))
}
