//! `Val`: a wasm value as the host sees it, and its conversion to and
//! from the raw slots compiled code uses.

use super::exn::ExnRef;
use super::extern_ref::ExternRef;
use super::func::Func;
use super::gc::{AnyKind, AnyRef};
use super::store::Store;
use super::vm::VMFuncRef;
use crate::environ::val_raw::ValRaw;
use crate::environ::{HeapType, RefType, ValType};

/// A WebAssembly value. Floats are kept as their bit patterns so NaN
/// payloads survive the round trip.
#[derive(Clone, Debug)]
pub enum Val {
    /// A 32-bit integer.
    I32(i32),
    /// A 64-bit integer.
    I64(i64),
    /// A 32-bit float, as its raw bits.
    F32(u32),
    /// A 64-bit float, as its raw bits.
    F64(u64),
    /// A 128-bit vector, lane 0 in the low bits.
    V128(u128),
    /// A function reference; `None` is `ref.null func`.
    FuncRef(Option<Func>),
    /// A host reference; `None` is `ref.null extern`.
    ExternRef(Option<ExternRef>),
    /// An exception reference; `None` is `ref.null exn`.
    ExnRef(Option<ExnRef>),
    /// A reference of the GC hierarchy (an i31, struct or array, or a
    /// host value converted in); `None` is `ref.null any`.
    AnyRef(Option<AnyRef>),
}

impl Val {
    /// The value's type.
    pub fn ty(&self) -> ValType {
        match self {
            Val::I32(_) => ValType::I32,
            Val::I64(_) => ValType::I64,
            Val::F32(_) => ValType::F32,
            Val::F64(_) => ValType::F64,
            Val::V128(_) => ValType::V128,
            Val::FuncRef(_) => ValType::FUNCREF,
            Val::ExternRef(_) => ValType::EXTERNREF,
            Val::ExnRef(_) => ValType::Ref(RefType::EXNREF),
            Val::AnyRef(_) => ValType::ANYREF,
        }
    }

    /// Whether the value is one of `ty`, a type in canonical form: numbers of
    /// their own type, null of nullable references of its hierarchy, a
    /// function of `func`, of its own type and of `(ref $t)` when its type
    /// id is `$t`'s, a host reference of `extern`.
    pub fn matches(&self, ty: ValType) -> bool {
        let ValType::Ref(r) = ty else {
            return self.ty() == ty;
        };
        match self {
            Val::FuncRef(None) => r.nullable && r.heap.is_func(),
            Val::ExternRef(None) => r.nullable && r.heap.is_extern(),
            Val::ExnRef(None) => r.nullable && r.heap.is_exn(),
            Val::AnyRef(None) => r.nullable && r.heap.is_any(),
            Val::AnyRef(Some(a)) => any_matches(a, r.heap),
            Val::ExnRef(Some(_)) => r.heap == HeapType::Exn,
            Val::FuncRef(Some(f)) => match r.heap {
                HeapType::Func => true,
                HeapType::Canonical(id, _) => super::type_registry::is_subtype(f.type_id(), id),
                _ => false,
            },
            Val::ExternRef(Some(_)) => r.heap == HeapType::Extern,
            _ => false,
        }
    }

    /// The zero value of `ty` (null for references).
    pub fn default_for(ty: ValType) -> Val {
        match ty {
            ValType::I32 => Val::I32(0),
            ValType::I64 => Val::I64(0),
            ValType::F32 => Val::F32(0),
            ValType::F64 => Val::F64(0),
            ValType::V128 => Val::V128(0),
            ValType::Ref(r) if r.heap.is_func() => Val::FuncRef(None),
            ValType::Ref(r) if r.heap.is_exn() => Val::ExnRef(None),
            ValType::Ref(r) if r.heap.is_any() => Val::AnyRef(None),
            ValType::Ref(_) => Val::ExternRef(None),
        }
    }

    /// Whether a reference inside belongs to `store` (always true for
    /// numbers and nulls).
    pub(crate) fn belongs_to(&self, store: &Store) -> bool {
        match self {
            Val::FuncRef(Some(f)) => f.store().same(store),
            Val::ExternRef(Some(e)) => e.store().same(store),
            Val::ExnRef(Some(e)) => e.store().same(store),
            Val::AnyRef(Some(a)) => a.store().same(store),
            _ => true,
        }
    }

    /// The raw slot for this value. Function references must be usable by
    /// wasm (checked by the caller with `Func::check_usable`).
    pub(crate) fn to_raw(&self) -> ValRaw {
        match self {
            Val::I32(v) => ValRaw::from_i32(*v),
            Val::I64(v) => ValRaw::from_i64(*v),
            Val::F32(v) => ValRaw::from_f32_bits(*v),
            Val::F64(v) => ValRaw::from_f64_bits(*v),
            Val::V128(v) => ValRaw::from_v128(*v),
            Val::FuncRef(f) => ValRaw::from_ptr(Val::func_ref_raw(f.as_ref()).cast()),
            Val::ExternRef(e) => {
                ValRaw::from_ptr(e.as_ref().map_or(std::ptr::null_mut(), |e| e.as_raw()))
            }
            Val::ExnRef(e) => {
                ValRaw::from_ptr(e.as_ref().map_or(std::ptr::null_mut(), |e| e.as_raw()))
            }
            Val::AnyRef(a) => {
                ValRaw::from_ptr(a.as_ref().map_or(std::ptr::null_mut(), |a| a.as_raw()))
            }
        }
    }

    /// The pointer-sized element for a funcref value (NULL for null).
    pub(crate) fn func_ref_raw(f: Option<&Func>) -> *mut VMFuncRef {
        f.map_or(std::ptr::null_mut(), |f| f.func_ref_ptr().cast_mut())
    }

    /// The pointer-sized table element / raw reference for a reference
    /// value; `None` for non-reference values.
    pub(crate) fn ref_to_raw(&self) -> Option<*mut u8> {
        match self {
            Val::FuncRef(f) => Some(Val::func_ref_raw(f.as_ref()).cast()),
            Val::ExternRef(e) => Some(e.as_ref().map_or(std::ptr::null_mut(), |e| e.as_raw())),
            Val::ExnRef(e) => Some(e.as_ref().map_or(std::ptr::null_mut(), |e| e.as_raw())),
            Val::AnyRef(a) => Some(a.as_ref().map_or(std::ptr::null_mut(), |a| a.as_raw())),
            _ => None,
        }
    }

    /// The value of type `ty` in `raw`, with references resolved in `store`.
    ///
    /// # Safety
    /// Reference slots must hold values of `store` (as compiled code of
    /// `store` produces them).
    pub(crate) unsafe fn from_raw(store: &Store, raw: &ValRaw, ty: ValType) -> Val {
        match ty {
            ValType::I32 => Val::I32(raw.get_i32()),
            ValType::I64 => Val::I64(raw.get_i64()),
            ValType::F32 => Val::F32(raw.get_f32_bits()),
            ValType::F64 => Val::F64(raw.get_f64_bits()),
            ValType::V128 => Val::V128(raw.get_v128()),
            // SAFETY: forwarded from the caller.
            ValType::Ref(_) => unsafe { Val::from_ref_raw(store, raw.get_ptr(), ty) },
        }
    }

    /// The reference value of type `ty` for the pointer-sized `raw`.
    ///
    /// # Safety
    /// As for `from_raw`.
    pub(crate) unsafe fn from_ref_raw(store: &Store, raw: *mut u8, ty: ValType) -> Val {
        if ty.as_ref().is_some_and(|r| r.heap.is_exn()) {
            // SAFETY: forwarded from the caller.
            Val::ExnRef(unsafe { ExnRef::from_raw(store, raw) })
        } else if ty.is_extern_ref() {
            // SAFETY: forwarded from the caller.
            Val::ExternRef(unsafe { ExternRef::from_raw(store, raw) })
        } else if ty.is_any_ref() {
            // SAFETY: forwarded from the caller.
            Val::AnyRef(unsafe { AnyRef::from_raw(store, raw) })
        } else {
            Val::FuncRef(store.func_from_raw(raw.cast()))
        }
    }
}

/// Whether the non-null `any` reference `a` is a value of `heap` (a heap
/// type of the canonical space).
fn any_matches(a: &AnyRef, heap: HeapType) -> bool {
    let kind = a.kind();
    match heap {
        HeapType::Any => true,
        HeapType::Eq => kind != AnyKind::Extern,
        HeapType::I31 => kind == AnyKind::I31,
        HeapType::Struct => kind == AnyKind::Struct,
        HeapType::Array => kind == AnyKind::Array,
        HeapType::Canonical(id, _) => a
            .type_id()
            .is_some_and(|t| super::type_registry::is_subtype(t, id)),
        _ => false,
    }
}

impl From<i32> for Val {
    fn from(v: i32) -> Val {
        Val::I32(v)
    }
}

impl From<i64> for Val {
    fn from(v: i64) -> Val {
        Val::I64(v)
    }
}

impl From<f32> for Val {
    fn from(v: f32) -> Val {
        Val::F32(v.to_bits())
    }
}

impl From<f64> for Val {
    fn from(v: f64) -> Val {
        Val::F64(v.to_bits())
    }
}

impl From<Func> for Val {
    fn from(f: Func) -> Val {
        Val::FuncRef(Some(f))
    }
}

impl From<ExnRef> for Val {
    fn from(e: ExnRef) -> Val {
        Val::ExnRef(Some(e))
    }
}

impl From<AnyRef> for Val {
    fn from(a: AnyRef) -> Val {
        Val::AnyRef(Some(a))
    }
}

impl From<ExternRef> for Val {
    fn from(e: ExternRef) -> Val {
        Val::ExternRef(Some(e))
    }
}

impl Val {
    /// The `i32` inside, if this is one.
    pub fn i32(&self) -> Option<i32> {
        match self {
            Val::I32(v) => Some(*v),
            _ => None,
        }
    }

    /// The `i64` inside, if this is one.
    pub fn i64(&self) -> Option<i64> {
        match self {
            Val::I64(v) => Some(*v),
            _ => None,
        }
    }

    /// The `f32` inside, if this is one.
    pub fn f32(&self) -> Option<f32> {
        match self {
            Val::F32(v) => Some(f32::from_bits(*v)),
            _ => None,
        }
    }

    /// The `f64` inside, if this is one.
    pub fn f64(&self) -> Option<f64> {
        match self {
            Val::F64(v) => Some(f64::from_bits(*v)),
            _ => None,
        }
    }
}
