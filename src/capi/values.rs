//! Conversions between C values (`wasm_val_t`) and runtime values (`Val`)
//! for the object API, where references need their store's C-side state.

use std::sync::Arc;

use crate::capi::r#ref::{ref_to_val, val_to_ref};
use crate::capi::store::StoreContext;
use crate::capi::val::{wasm_val_t, wasm_val_union};
use crate::capi::valtype::{is_any_kind, valkind_of, valtype_of_kind, value_kind_of, WASM_ANYREF};
use crate::module::ValType;
use crate::runtime::{AnyKind, Val};

/// The runtime value of a C value (whose references are borrowed, not
/// consumed). With `expected`, the value's kind must be that type's (for
/// the `any` hierarchy: any of its kinds). A value of one of the narrower
/// GC kinds (`WASM_EQREF` … `WASM_NULLREF`) must be of that kind's type.
/// References become values for the store of `target`.
pub(crate) fn c_to_val(
    v: &wasm_val_t,
    expected: Option<ValType>,
    target: Option<&Arc<StoreContext>>,
) -> Result<Val, String> {
    let Some(ty) = valtype_of_kind(v.kind) else {
        return Err(format!("{} is not a value kind", v.kind));
    };
    if let Some(expected) = expected {
        // A reference value's kind names only its hierarchy: whether it
        // is of a typed reference type is checked on the value itself.
        let kind = value_kind_of(expected);
        let fits = kind == v.kind || (kind == WASM_ANYREF && is_any_kind(v.kind));
        if !fits {
            return Err(format!("expected a value of type {expected}, got {ty}"));
        }
    }
    // SAFETY: each arm reads the union member the kind selects; C writes
    // whole members, and every member is plain bits.
    let val = unsafe {
        match ty {
            ValType::I32 => Val::I32(v.of.i32),
            ValType::I64 => Val::I64(v.of.i64),
            ValType::F32 => Val::F32(v.of.f32.to_bits()),
            ValType::F64 => Val::F64(v.of.f64.to_bits()),
            ValType::V128 => Val::V128(u128::from_le_bytes(v.of.v128)),
            ValType::Ref(_) => return ref_value(v, ty, target),
        }
    };
    Ok(val)
}

/// The runtime value of a C reference value of type `ty` (its kind's):
/// a value of a narrower GC kind must be of that type.
fn ref_value(
    v: &wasm_val_t,
    ty: ValType,
    target: Option<&Arc<StoreContext>>,
) -> Result<Val, String> {
    let val = ref_to_val(v.as_ref(), ty, target).map_err(|e| e.to_string())?;
    if is_any_kind(v.kind) && v.kind != WASM_ANYREF && !val.matches(ty) {
        return Err(format!(
            "a value of kind {ty} must be of that type, got {}",
            describe_any(&val)
        ));
    }
    Ok(val)
}

/// What a value of the `any` hierarchy is, for messages.
fn describe_any(val: &Val) -> &'static str {
    match val {
        Val::AnyRef(None) => "null",
        Val::AnyRef(Some(a)) => match a.kind() {
            AnyKind::I31 => "an i31",
            AnyKind::Struct => "a struct",
            AnyKind::Array => "an array",
            AnyKind::Extern => "a host object",
        },
        _ => "a value of another hierarchy",
    }
}

/// The C value of a runtime value; a reference value gets a new handle
/// (owned by the value) belonging to the store state `ctx`.
pub(crate) fn val_to_c(val: &Val, ctx: Option<&Arc<StoreContext>>) -> wasm_val_t {
    let kind = valkind_of(val.ty());
    let of = match val {
        Val::I32(i) => wasm_val_union { i32: *i },
        Val::I64(i) => wasm_val_union { i64: *i },
        Val::F32(bits) => wasm_val_union {
            f32: f32::from_bits(*bits),
        },
        Val::F64(bits) => wasm_val_union {
            f64: f64::from_bits(*bits),
        },
        Val::V128(v) => wasm_val_union {
            v128: v.to_le_bytes(),
        },
        Val::FuncRef(_) | Val::ExternRef(_) | Val::ExnRef(_) | Val::AnyRef(_) => {
            return wasm_val_t::from_ref(kind, val_to_ref(val, ctx))
        }
    };
    wasm_val_t { kind, of }
}
