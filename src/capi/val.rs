//! `wasm_val_t`: a value crossing the C boundary.
//!
//! The standard layout, `{ wasm_valkind_t kind; union {...} of; }`, extended
//! with a `uint8_t v128[16]` union member (lanes in little-endian memory
//! order) for `WASM_V128` values. The union's 8-byte members keep it 8-byte
//! aligned, so on 64-bit hosts `wasm_val_t` is 24 bytes with `of` at offset
//! 8, and C code built against the standard header sees the members where
//! it expects them.
//!
//! A value of kind `WASM_EXTERNREF`, `WASM_FUNCREF` or (extensions)
//! `WASM_EXNREF` and `WASM_ANYREF` … `WASM_NULLREF` owns the reference in
//! `of.ref` (NULL is the null reference): `wasm_val_delete` frees it and
//! `wasm_val_copy` makes a new handle. Values of any other kind own nothing,
//! so a C caller's garbage kind byte never makes us free a pointer.

use crate::capi::r#ref::wasm_ref_t;
use crate::capi::valtype::{
    is_ref_kind, wasm_valkind_t, WASM_EXTERNREF, WASM_F32, WASM_F64, WASM_I32, WASM_I64, WASM_V128,
};
use crate::capi::vec::VecElem;

/// `float` in the standard header (which defines the name itself).
pub type float32_t = f32;
/// `double` in the standard header (which defines the name itself).
pub type float64_t = f64;

/// A value: its kind, and the union member that kind selects. Owned values
/// own their reference (see `wasm_val_delete`).
#[repr(C)]
pub struct wasm_val_t {
    /// Which member of `of` holds the value (a `wasm_valkind_enum` value).
    pub kind: wasm_valkind_t,
    /// The value itself, read through the member `kind` selects.
    pub of: wasm_val_union,
}

/// The payload of a `wasm_val_t`, selected by its `kind`.
#[repr(C)]
#[derive(Clone, Copy)]
pub union wasm_val_union {
    /// `WASM_I32`: the integer.
    pub i32: i32,
    /// `WASM_I64`: the integer.
    pub i64: i64,
    /// `WASM_F32`: the float.
    pub f32: float32_t,
    /// `WASM_F64`: the float.
    pub f64: float64_t,
    /// `WASM_EXTERNREF`/`WASM_FUNCREF` (and `WASM_EXNREF`, `WASM_ANYREF`
    /// … `WASM_NULLREF`): an owned reference, NULL for null.
    pub r#ref: *mut wasm_ref_t,
    /// Extension, `WASM_V128`: the vector's 16 bytes in little-endian lane
    /// order (the bytes of `v128.const` as written in memory).
    pub v128: [u8; 16],
}

impl wasm_val_t {
    /// A value with every payload byte zero; `kind` picks the meaning (for
    /// a reference kind: the null reference).
    pub fn zeroed(kind: wasm_valkind_t) -> wasm_val_t {
        wasm_val_t {
            kind,
            of: wasm_val_union { v128: [0; 16] },
        }
    }

    /// Whether the value owns a reference (its kind is a reference kind).
    pub fn is_ref(&self) -> bool {
        is_ref_kind(self.kind)
    }

    /// The reference a reference value holds, borrowed; `None` for the null
    /// reference and for values of other kinds.
    pub fn as_ref(&self) -> Option<&wasm_ref_t> {
        if !self.is_ref() {
            return None;
        }
        // SAFETY: a value of a reference kind holds NULL or a live owned
        // reference in `of.ref` (the wasm.h contract for owned values), and
        // the borrow is tied to `self`, which owns it.
        unsafe { self.of.r#ref.as_ref() }
    }

    /// Takes the reference out of a reference value, leaving the null
    /// reference; `None` for null and for values of other kinds.
    pub fn take_ref(&mut self) -> Option<Box<wasm_ref_t>> {
        if !self.is_ref() {
            return None;
        }
        // SAFETY: reading the pointer member is reading plain bits; for a
        // reference kind it holds NULL or a reference this value owns, made
        // by `Box` (every reference handed to C is), and NULL is stored back
        // so ownership moves exactly once.
        unsafe {
            let r = std::mem::replace(&mut self.of.r#ref, std::ptr::null_mut());
            (!r.is_null()).then(|| Box::from_raw(r))
        }
    }

    /// A reference value of kind `kind` owning `r` (NULL for `None`).
    pub fn from_ref(kind: wasm_valkind_t, r: Option<Box<wasm_ref_t>>) -> wasm_val_t {
        wasm_val_t {
            kind,
            of: wasm_val_union {
                r#ref: r.map_or(std::ptr::null_mut(), Box::into_raw),
            },
        }
    }
}

/// A deep copy: a reference value gets a new handle of the same object.
impl Clone for wasm_val_t {
    fn clone(&self) -> wasm_val_t {
        if self.is_ref() {
            let r = self.as_ref().map(|r| Box::new(r.clone()));
            wasm_val_t::from_ref(self.kind, r)
        } else {
            wasm_val_t {
                kind: self.kind,
                of: self.of,
            }
        }
    }
}

impl std::fmt::Debug for wasm_val_t {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("wasm_val_t");
        d.field("kind", &self.kind);
        // SAFETY: each arm reads the member the kind selects, which the
        // value's maker initialised; other kinds show no payload.
        unsafe {
            match self.kind {
                WASM_I32 => d.field("i32", &self.of.i32),
                WASM_I64 => d.field("i64", &self.of.i64),
                WASM_F32 => d.field("f32", &self.of.f32),
                WASM_F64 => d.field("f64", &self.of.f64),
                WASM_V128 => d.field("v128", &self.of.v128),
                k if is_ref_kind(k) => d.field("ref", &self.of.r#ref),
                _ => &mut d,
            };
        }
        d.finish()
    }
}

/// Elements of `wasm_val_vec_t` own their references.
impl VecElem for wasm_val_t {
    fn blank() -> Self {
        wasm_val_t::zeroed(WASM_I32)
    }
    fn copy_elem(&self) -> Self {
        self.clone()
    }
    fn release(mut self) {
        drop(self.take_ref());
    }
}

/// Frees the reference an owned value holds (if it is of a reference kind)
/// and leaves the null reference in its place; NULL is ignored.
#[no_mangle]
pub extern "C" fn wasm_val_delete(val: Option<&mut wasm_val_t>) {
    if let Some(val) = val {
        drop(val.take_ref());
    }
}

/// Sets `out` to a copy of `src` owned by the caller: a reference value
/// gets a new handle of the same object. A NULL `src` gives a null
/// `WASM_EXTERNREF`; a NULL `out` is ignored.
#[no_mangle]
pub extern "C" fn wasm_val_copy(out: Option<&mut wasm_val_t>, src: Option<&wasm_val_t>) {
    let Some(out) = out else { return };
    let copy = match src {
        Some(src) => src.clone(),
        None => wasm_val_t::zeroed(WASM_EXTERNREF),
    };
    // `*out` may be uninitialised C memory: `ptr::write` does not read or
    // drop it (`wasm_val_t` has no drop glue, but this keeps it obvious).
    // SAFETY: `out` is a valid, exclusive reference.
    unsafe { std::ptr::write(out, copy) }
}
