//! Wasm GC objects at run time: the store's heap (`heap`), the host's
//! handle to `any` references (`any_ref`), and the object operations that
//! compiled code leaves to the runtime (allocation, segment reads, copies)
//! and that the host's accessors share.
//!
//! The layout of objects and of `i31` words is `environ::gc_layout`'s.
//! The collector (`collect`) is a precise mark-sweep: `Store::gc` and the
//! allocation builtins run it (see `Store::collect_garbage`).

mod any_ref;
mod collect;
mod heap;

pub use any_ref::{AnyKind, AnyRef};
pub(crate) use collect::{Marker, Traces};
pub(crate) use heap::{GcHeap, MARK_BIT};

use super::store::Store;
use super::val::Val;
use crate::environ::gc_layout::{
    array_size, struct_layout, ARRAY_ELEMS_OFFSET, ARRAY_LEN_OFFSET, KIND_STRUCT,
};
use crate::environ::val_raw::ValRaw;
use crate::environ::{CompositeType, FieldType, StorageType, SubType, ValType};
use std::ptr::NonNull;

/// Whether values of `ty` are references the collector follows (the
/// `any` and `extern` hierarchies).
pub(crate) fn is_gc_managed(ty: ValType) -> bool {
    ty.is_any_ref() || ty.is_extern_ref()
}

/// A new struct of the type with canonical id `type_id` (`ty`), zeroed.
pub(crate) fn alloc_struct(store: &Store, type_id: u32, ty: &SubType) -> Option<NonNull<u8>> {
    let CompositeType::Struct(fields) = &ty.composite else {
        return None;
    };
    let size = struct_layout(fields).size;
    store.with_gc_heap(|heap| heap.alloc_object(size, type_id, KIND_STRUCT))
}

/// A new array of `len` zeroed elements of the type with canonical id
/// `type_id` (`ty`); `None` when it would be too large.
pub(crate) fn alloc_array(
    store: &Store,
    type_id: u32,
    ty: &SubType,
    len: u32,
) -> Option<NonNull<u8>> {
    let CompositeType::Array(element) = &ty.composite else {
        return None;
    };
    let size = array_size(*element, len)?;
    store.with_gc_heap(|heap| heap.alloc_array(size, type_id, len))
}

/// The length of the array at `array`.
///
/// # Safety
/// `array` must be a live array object.
pub(crate) unsafe fn array_len(array: NonNull<u8>) -> u32 {
    // SAFETY: an array's length word is at `ARRAY_LEN_OFFSET`.
    unsafe {
        array
            .as_ptr()
            .offset(ARRAY_LEN_OFFSET as isize)
            .cast::<u32>()
            .read()
    }
}

/// The address of element `index` of an array whose elements are of
/// `element`.
///
/// # Safety
/// `array` must be a live array object of such elements and `index` at
/// most its length.
pub(crate) unsafe fn array_elem(array: NonNull<u8>, element: FieldType, index: u32) -> *mut u8 {
    let offset = ARRAY_ELEMS_OFFSET as usize + element.storage.size() as usize * index as usize;
    // SAFETY: forwarded from the caller: the element is inside the object.
    unsafe { array.as_ptr().add(offset) }
}

/// Reads a stored value of `storage` at `at` as a raw slot (packed
/// integers zero-extended; `get_s` callers sign-extend themselves).
///
/// # Safety
/// `at` must point at a stored value of `storage` inside a live object.
pub(crate) unsafe fn read_raw(at: *const u8, storage: StorageType) -> ValRaw {
    // SAFETY: forwarded from the caller; objects align each value to its
    // size.
    unsafe {
        match storage {
            StorageType::I8 => ValRaw::from_i32(i32::from(at.read())),
            StorageType::I16 => ValRaw::from_i32(i32::from(at.cast::<u16>().read())),
            StorageType::Val(ValType::I32 | ValType::F32) => {
                ValRaw::from_i32(at.cast::<i32>().read())
            }
            StorageType::Val(ValType::V128) => ValRaw::from_v128(at.cast::<u128>().read()),
            StorageType::Val(ValType::I64 | ValType::F64) => {
                ValRaw::from_i64(at.cast::<i64>().read())
            }
            StorageType::Val(ValType::Ref(_)) => ValRaw::from_ptr(at.cast::<*mut u8>().read()),
        }
    }
}

/// Writes the raw slot `value` as a stored value of `storage` at `at`
/// (packed integers truncated).
///
/// # Safety
/// As for [`read_raw`], for writing.
pub(crate) unsafe fn write_raw(at: *mut u8, storage: StorageType, value: &ValRaw) {
    // SAFETY: forwarded from the caller.
    unsafe {
        match storage {
            StorageType::I8 => at.write(value.get_i32() as u8),
            StorageType::I16 => at.cast::<u16>().write(value.get_i32() as u16),
            StorageType::Val(ValType::I32 | ValType::F32) => {
                at.cast::<i32>().write(value.get_i32())
            }
            StorageType::Val(ValType::V128) => at.cast::<u128>().write(value.get_v128()),
            StorageType::Val(ValType::I64 | ValType::F64) => {
                at.cast::<i64>().write(value.get_i64())
            }
            StorageType::Val(ValType::Ref(_)) => at.cast::<*mut u8>().write(value.get_ptr()),
        }
    }
}

/// Reads a stored value as the host sees it.
///
/// # Safety
/// As for [`read_raw`]; references inside belong to `store`.
pub(crate) unsafe fn read_val(store: &Store, at: *const u8, storage: StorageType) -> Val {
    // SAFETY: forwarded from the caller.
    let raw = unsafe { read_raw(at, storage) };
    // SAFETY: as above: a reference field holds a value of `store`.
    unsafe { Val::from_raw(store, &raw, storage.unpacked()) }
}

/// Fills `len` elements of `element` from `at` with the bytes of a data
/// segment, little-endian as memory is.
///
/// # Safety
/// `at` must be the address of `len` elements inside a live array, and
/// `bytes` exactly `len` elements' worth.
pub(crate) unsafe fn copy_data_into(at: *mut u8, bytes: &[u8]) {
    // SAFETY: forwarded from the caller: the destination has room.
    unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), at, bytes.len()) }
}
