//! The layout of GC objects (structs, arrays) and of `i31ref` values: what
//! compiled code reads and writes inline and what the runtime's GC heap
//! allocates.
//!
//! Every reference of the `any` and `extern` hierarchies is one
//! pointer-sized word: 0 is null; a word with bit 0 set is an `i31`
//! (`(value << 1) | 1`, in the low 32 bits, zero-extended); any other
//! word is the address of an object, 8-byte aligned, that starts with an
//! 8-byte header:
//!
//! ```text
//!   +0  u32  canonical type id (struct and array objects; EXTERN_TYPE_ID for host values)
//!   +4  u32  kind: KIND_STRUCT, KIND_ARRAY or KIND_EXTERN
//! ```
//!
//! A struct's fields follow the header in declaration order, each at an
//! offset aligned to its size. An array keeps its length (u32) at
//! [`ARRAY_LEN_OFFSET`] and its elements from [`ARRAY_ELEMS_OFFSET`]
//! on, packed at their size. Host values (`externref`) carry the same
//! header, so converting between `extern` and `any` never changes a word.

use super::types::{FieldType, StorageType};

/// Bytes of the header at the start of every object.
pub const HEADER_SIZE: u32 = 8;
/// Offset of the canonical type id in the header.
pub const TYPE_ID_OFFSET: i32 = 0;
/// Offset of the kind in the header.
pub const KIND_OFFSET: i32 = 4;
/// The kind of a struct object.
pub const KIND_STRUCT: u32 = 1;
/// The kind of an array object.
pub const KIND_ARRAY: u32 = 2;
/// The kind of a host value (an `externref`'s payload).
pub const KIND_EXTERN: u32 = 3;
/// The type id in the header of a host value: no canonical id is this.
pub const EXTERN_TYPE_ID: u32 = u32::MAX;
/// Offset of an array's length.
pub const ARRAY_LEN_OFFSET: i32 = 8;
/// Offset of an array's first element (16-byte aligned, for `v128`).
pub const ARRAY_ELEMS_OFFSET: u32 = 16;
/// The largest object the heap allocates, in bytes; `struct.new` and
/// `array.new*` asking for more trap with `AllocationTooLarge`.
pub const MAX_OBJECT_SIZE: u64 = 1 << 30;

/// Where a struct's fields are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StructLayout {
    /// The object's size in bytes, header included (a multiple of 8).
    pub size: u32,
    /// Each field's offset from the object's start, in declaration order.
    pub offsets: Box<[u32]>,
}

/// Alignment of a stored value: its size (`v128` at 16).
fn align_of(storage: StorageType) -> u32 {
    storage.size()
}

/// The layout of a struct with `fields`.
pub fn struct_layout(fields: &[FieldType]) -> StructLayout {
    let mut at = HEADER_SIZE;
    let offsets = fields
        .iter()
        .map(|f| {
            let align = align_of(f.storage);
            at = at.next_multiple_of(align);
            let offset = at;
            at += f.storage.size();
            offset
        })
        .collect();
    StructLayout {
        size: at.next_multiple_of(8),
        offsets,
    }
}

/// The size in bytes of an array of `len` elements of `element`, or
/// `None` past [`MAX_OBJECT_SIZE`].
pub fn array_size(element: FieldType, len: u32) -> Option<u32> {
    let bytes = u64::from(ARRAY_ELEMS_OFFSET) + u64::from(element.storage.size()) * u64::from(len);
    (bytes <= MAX_OBJECT_SIZE).then(|| (bytes as u32).next_multiple_of(8))
}

/// The word of the `i31ref` of `value` (its low 31 bits).
pub fn i31_word(value: u32) -> u64 {
    u64::from((value << 1) | 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::environ::ValType;

    fn field(storage: StorageType) -> FieldType {
        FieldType {
            storage,
            mutable: true,
        }
    }

    #[test]
    fn fields_are_aligned_to_their_size_in_order() {
        let layout = struct_layout(&[
            field(StorageType::I8),
            field(StorageType::Val(ValType::I64)),
            field(StorageType::I16),
            field(StorageType::Val(ValType::V128)),
            field(StorageType::Val(ValType::F32)),
        ]);
        assert_eq!(&*layout.offsets, &[8, 16, 24, 32, 48]);
        assert_eq!(layout.size, 56);
        assert_eq!(struct_layout(&[]).size, HEADER_SIZE);
    }

    #[test]
    fn arrays_past_the_limit_have_no_size() {
        let byte = field(StorageType::I8);
        assert_eq!(array_size(byte, 3), Some(24));
        assert_eq!(
            array_size(field(StorageType::Val(ValType::I64)), u32::MAX),
            None
        );
        assert_eq!(i31_word(0x7fff_ffff), 0xffff_ffff);
        assert_eq!(i31_word(0xffff_ffff), 0xffff_ffff);
    }
}
