//! Typed reference types (function references proposal) in the value
//! type objects: what `WASM_TYPEDREF` value types are, and how to make
//! them.
//!
//! A concrete reference type names its function type by canonical id
//! (`runtime::type_registry`), which is process-wide, so these type
//! objects belong to no engine, as every wasm.h type object.

use crate::capi::functype::wasm_functype_t;
use crate::capi::valtype::{wasm_valtype_t, NO_KIND};
use crate::environ::TypeKind;
use crate::module::{ExternType, HeapType, RefType, ValType};
use crate::runtime::type_registry;

/// Extension: what a reference type points at, one of the `WASM_HEAP_*`
/// constants.
pub type wasm_heapkind_t = u8;

/// Any function (`func`).
pub const WASM_HEAP_FUNC: wasm_heapkind_t = 0;
/// Any host value (`extern`).
pub const WASM_HEAP_EXTERN: wasm_heapkind_t = 1;
/// No function, only null (`nofunc`).
pub const WASM_HEAP_NOFUNC: wasm_heapkind_t = 2;
/// No host value, only null (`noextern`).
pub const WASM_HEAP_NOEXTERN: wasm_heapkind_t = 3;
/// A function of one function type (`(ref $t)`); `wasm_valtype_functype`
/// gives the type.
pub const WASM_HEAP_CONCRETE_FUNC: wasm_heapkind_t = 4;
/// Any exception (`exn`, exception handling).
pub const WASM_HEAP_EXN: wasm_heapkind_t = 5;
/// No exception, only null (`noexn`).
pub const WASM_HEAP_NOEXN: wasm_heapkind_t = 6;
/// `any`: the top of the GC hierarchy (`anyref`).
pub const WASM_HEAP_ANY: wasm_heapkind_t = 7;
/// `eq`: i31s, structs and arrays (`eqref`).
pub const WASM_HEAP_EQ: wasm_heapkind_t = 8;
/// `i31`: unboxed 31-bit integers (`i31ref`).
pub const WASM_HEAP_I31: wasm_heapkind_t = 9;
/// `struct`: any struct (`structref`).
pub const WASM_HEAP_STRUCT: wasm_heapkind_t = 10;
/// `array`: any array (`arrayref`).
pub const WASM_HEAP_ARRAY: wasm_heapkind_t = 11;
/// `none`: the bottom of the GC hierarchy (`nullref`).
pub const WASM_HEAP_NONE: wasm_heapkind_t = 12;
/// A concrete struct type.
pub const WASM_HEAP_CONCRETE_STRUCT: wasm_heapkind_t = 13;
/// A concrete array type.
pub const WASM_HEAP_CONCRETE_ARRAY: wasm_heapkind_t = 14;

/// Extension: whether null is a value of `ty`; false for NULL and for
/// number types.
#[no_mangle]
pub extern "C" fn wasm_valtype_is_nullable(ty: Option<&wasm_valtype_t>) -> bool {
    matches!(
        ty.map(|t| t.ty),
        Some(ValType::Ref(RefType { nullable: true, .. }))
    )
}

/// Extension: what the reference type `ty` points at (a `WASM_HEAP_*`
/// constant); 0xff for NULL and for number types.
#[no_mangle]
pub extern "C" fn wasm_valtype_heap_kind(ty: Option<&wasm_valtype_t>) -> wasm_heapkind_t {
    match ty.map(|t| t.ty) {
        Some(ValType::Ref(r)) => match r.heap {
            HeapType::Func => WASM_HEAP_FUNC,
            HeapType::Extern => WASM_HEAP_EXTERN,
            HeapType::NoFunc => WASM_HEAP_NOFUNC,
            HeapType::NoExtern => WASM_HEAP_NOEXTERN,
            HeapType::Exn => WASM_HEAP_EXN,
            HeapType::NoExn => WASM_HEAP_NOEXN,
            HeapType::Any => WASM_HEAP_ANY,
            HeapType::Eq => WASM_HEAP_EQ,
            HeapType::I31 => WASM_HEAP_I31,
            HeapType::Struct => WASM_HEAP_STRUCT,
            HeapType::Array => WASM_HEAP_ARRAY,
            HeapType::None => WASM_HEAP_NONE,
            HeapType::Module(_, kind) | HeapType::Canonical(_, kind) => match kind {
                TypeKind::Func => WASM_HEAP_CONCRETE_FUNC,
                TypeKind::Struct => WASM_HEAP_CONCRETE_STRUCT,
                TypeKind::Array => WASM_HEAP_CONCRETE_ARRAY,
            },
        },
        _ => NO_KIND,
    }
}

/// Extension: the function type a `WASM_HEAP_CONCRETE_FUNC` reference type
/// points at, owned by the caller; NULL for NULL and every other type.
#[no_mangle]
pub extern "C" fn wasm_valtype_functype(
    ty: Option<&wasm_valtype_t>,
) -> Option<Box<wasm_functype_t>> {
    let Some(ValType::Ref(RefType {
        heap: HeapType::Canonical(id, TypeKind::Func),
        ..
    })) = ty.map(|t| t.ty)
    else {
        return None;
    };
    type_registry::func_type(id).map(|f| wasm_functype_t::from_func_type(&f))
}

/// Extension: returns a new reference type to the abstract heap type
/// `heap` (`WASM_HEAP_FUNC` … `WASM_HEAP_NOEXTERN`, `WASM_HEAP_EXN`,
/// `WASM_HEAP_NOEXN`, `WASM_HEAP_ANY` … `WASM_HEAP_NONE`), nullable or not, owned
/// by the caller; NULL for any other `heap` (a concrete type is made by
/// `wasm_valtype_new_typed_funcref`).
#[no_mangle]
pub extern "C" fn wasm_valtype_new_ref(
    nullable: bool,
    heap: wasm_heapkind_t,
) -> Option<Box<wasm_valtype_t>> {
    let heap = match heap {
        WASM_HEAP_FUNC => HeapType::Func,
        WASM_HEAP_EXTERN => HeapType::Extern,
        WASM_HEAP_NOFUNC => HeapType::NoFunc,
        WASM_HEAP_NOEXTERN => HeapType::NoExtern,
        WASM_HEAP_EXN => HeapType::Exn,
        WASM_HEAP_NOEXN => HeapType::NoExn,
        WASM_HEAP_ANY => HeapType::Any,
        WASM_HEAP_EQ => HeapType::Eq,
        WASM_HEAP_I31 => HeapType::I31,
        WASM_HEAP_STRUCT => HeapType::Struct,
        WASM_HEAP_ARRAY => HeapType::Array,
        WASM_HEAP_NONE => HeapType::None,
        _ => return None,
    };
    Some(wasm_valtype_t::boxed(ValType::Ref(RefType {
        nullable,
        heap,
    })))
}

/// Extension: returns a new reference type to functions of type `func`
/// (`(ref $t)`, or `(ref null $t)` when `nullable`), owned by the caller;
/// NULL for NULL. Equivalent function types give equal reference types,
/// whichever module or engine they come from.
#[no_mangle]
pub extern "C" fn wasm_valtype_new_typed_funcref(
    nullable: bool,
    func: Option<&wasm_functype_t>,
) -> Option<Box<wasm_valtype_t>> {
    let ExternType::Func(f) = func?.ext.extern_type() else {
        return None;
    };
    let heap = HeapType::Canonical(type_registry::canonical_id(f), TypeKind::Func);
    Some(wasm_valtype_t::boxed(ValType::Ref(RefType {
        nullable,
        heap,
    })))
}
