//! `AnyRef`: the host's handle to a reference of the `any` hierarchy: an
//! `i31`, a struct, an array, or a host value brought in with
//! `any.convert_extern`.

use super::{array_elem, array_len, read_val, write_raw};
use crate::environ::gc_layout::{
    i31_word, struct_layout, EXTERN_TYPE_ID, KIND_ARRAY, KIND_OFFSET, KIND_STRUCT, TYPE_ID_OFFSET,
};
use crate::environ::{CompositeType, FieldType, SubType};
use crate::runtime::extern_ref::ExternRef;
use crate::runtime::store::Store;
use crate::runtime::type_registry;
use crate::runtime::val::Val;
use anyhow::{bail, Result};
use std::ptr::NonNull;

/// A non-null `any` reference. Cheap to clone; identity is the word (the
/// object's address, or the `i31` value). While a handle exists, what it
/// refers to is not collected.
pub struct AnyRef {
    store: Store,
    word: NonNull<u8>,
}

impl Clone for AnyRef {
    fn clone(&self) -> AnyRef {
        self.store.root_gc_ref(self.word.as_ptr() as usize);
        AnyRef {
            store: self.store.clone(),
            word: self.word,
        }
    }
}

impl Drop for AnyRef {
    fn drop(&mut self) {
        self.store.unroot_gc_ref(self.word.as_ptr() as usize);
    }
}

// SAFETY: the handle keeps the store alive; the store and its objects move
// between threads but are used by one thread at a time.
unsafe impl Send for AnyRef {}

/// What a non-null word of the `any` hierarchy is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnyKind {
    /// An unboxed 31-bit integer.
    I31,
    /// A struct object.
    Struct,
    /// An array object.
    Array,
    /// A host value (`any.convert_extern` of an externref).
    Extern,
}

impl AnyRef {
    /// The `i31ref` of the low 31 bits of `value`.
    pub fn from_i31(store: &Store, value: u32) -> AnyRef {
        let word = i31_word(value) as usize as *mut u8;
        AnyRef {
            store: store.clone(),
            // SAFETY: an i31 word has bit 0 set, so it is never null.
            word: unsafe { NonNull::new_unchecked(word) },
        }
    }

    /// The handle of the non-null word `raw` of `store`, if it is not null.
    ///
    /// # Safety
    /// `raw` must be an `any` value produced for `store` (by its compiled
    /// code, its heap or `as_raw`).
    pub(crate) unsafe fn from_raw(store: &Store, raw: *mut u8) -> Option<AnyRef> {
        NonNull::new(raw).map(|word| {
            store.root_gc_ref(word.as_ptr() as usize);
            AnyRef {
                store: store.clone(),
                word,
            }
        })
    }

    /// The word wasm sees.
    pub(crate) fn as_raw(&self) -> *mut u8 {
        self.word.as_ptr()
    }

    /// The store the reference belongs to.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Whether both handles are the same reference (`ref.eq`).
    pub fn same(&self, other: &AnyRef) -> bool {
        self.word == other.word
    }

    /// What the reference is.
    pub fn kind(&self) -> AnyKind {
        if self.word.as_ptr() as usize & 1 == 1 {
            return AnyKind::I31;
        }
        // SAFETY: a non-i31 word is a live object of the store (which the
        // handle keeps alive), whose header holds its kind.
        match unsafe { self.header_word(KIND_OFFSET) } {
            KIND_STRUCT => AnyKind::Struct,
            KIND_ARRAY => AnyKind::Array,
            _ => AnyKind::Extern,
        }
    }

    /// Reads a header word of the object.
    ///
    /// # Safety
    /// The reference must be an object (not an i31).
    unsafe fn header_word(&self, offset: i32) -> u32 {
        // SAFETY: forwarded: objects start with the 8-byte header.
        unsafe {
            self.word
                .as_ptr()
                .offset(offset as isize)
                .cast::<u32>()
                .read()
        }
    }

    /// The `i31` value zero-extended, if the reference is one.
    pub fn i31_u(&self) -> Option<u32> {
        (self.kind() == AnyKind::I31).then_some((self.word.as_ptr() as usize as u32) >> 1)
    }

    /// The `i31` value sign-extended, if the reference is one.
    pub fn i31_s(&self) -> Option<i32> {
        (self.kind() == AnyKind::I31).then_some((self.word.as_ptr() as usize as u32 as i32) >> 1)
    }

    /// The canonical type id of a struct or array.
    pub fn type_id(&self) -> Option<u32> {
        match self.kind() {
            // SAFETY: structs and arrays are objects.
            AnyKind::Struct | AnyKind::Array => Some(unsafe { self.header_word(TYPE_ID_OFFSET) }),
            _ => None,
        }
    }

    /// The definition of a struct's or array's type (in id form).
    pub fn sub_type(&self) -> Option<SubType> {
        self.type_id().and_then(type_registry::sub_type)
    }

    /// The host value, for a reference made by `any.convert_extern`.
    pub fn as_extern(&self) -> Option<ExternRef> {
        debug_assert_ne!(EXTERN_TYPE_ID, 0);
        // SAFETY: the word is a value of the store, as every externref is.
        (self.kind() == AnyKind::Extern)
            .then(|| unsafe { ExternRef::from_raw(&self.store, self.as_raw()) })
            .flatten()
    }

    /// The same reference as an externref (`extern.convert_any`).
    pub fn to_extern(&self) -> ExternRef {
        // SAFETY: an externref word may be any `any` word of the store.
        unsafe { ExternRef::from_raw(&self.store, self.as_raw()) }.expect("non-null")
    }

    fn struct_fields(&self) -> Result<Box<[FieldType]>> {
        match self.sub_type().map(|t| t.composite) {
            Some(CompositeType::Struct(fields)) => Ok(fields),
            _ => bail!("the reference is not a struct"),
        }
    }

    fn array_element(&self) -> Result<FieldType> {
        match self.sub_type().map(|t| t.composite) {
            Some(CompositeType::Array(element)) => Ok(element),
            _ => bail!("the reference is not an array"),
        }
    }

    /// The number of fields of a struct.
    pub fn struct_field_count(&self) -> Result<usize> {
        Ok(self.struct_fields()?.len())
    }

    /// Field `index` of a struct (packed fields zero-extended).
    pub fn struct_get(&self, index: usize) -> Result<Val> {
        let fields = self.struct_fields()?;
        let Some(field) = fields.get(index) else {
            bail!("field {index} of a struct of {} fields", fields.len());
        };
        let offset = struct_layout(&fields).offsets[index] as usize;
        // SAFETY: the offset is the field's, inside the live struct.
        Ok(unsafe { read_val(&self.store, self.word.as_ptr().add(offset), field.storage) })
    }

    /// Sets mutable field `index` of a struct to `value`, which must be of
    /// the field's type and belong to the store.
    pub fn struct_set(&self, index: usize, value: &Val) -> Result<()> {
        let fields = self.struct_fields()?;
        let Some(field) = fields.get(index) else {
            bail!("field {index} of a struct of {} fields", fields.len());
        };
        check_store_value(&self.store, *field, value)?;
        let offset = struct_layout(&fields).offsets[index] as usize;
        // SAFETY: the offset is the field's, inside the live struct, and
        // the value was checked to be of its type.
        unsafe {
            write_raw(
                self.word.as_ptr().add(offset),
                field.storage,
                &value.to_raw(),
            )
        };
        Ok(())
    }

    /// The length of an array.
    pub fn array_len(&self) -> Result<u32> {
        self.array_element()?;
        // SAFETY: the reference is a live array.
        Ok(unsafe { array_len(self.word) })
    }

    /// Element `index` of an array (packed elements zero-extended).
    pub fn array_get(&self, index: u32) -> Result<Val> {
        let element = self.array_element()?;
        let len = self.array_len()?;
        if index >= len {
            bail!("element {index} of an array of {len}");
        }
        // SAFETY: the index is in bounds of the live array.
        Ok(unsafe {
            read_val(
                &self.store,
                array_elem(self.word, element, index),
                element.storage,
            )
        })
    }

    /// Sets element `index` of a mutable array to `value`.
    pub fn array_set(&self, index: u32, value: &Val) -> Result<()> {
        let element = self.array_element()?;
        let len = self.array_len()?;
        if index >= len {
            bail!("element {index} of an array of {len}");
        }
        check_store_value(&self.store, element, value)?;
        // SAFETY: the index is in bounds and the value of the element type.
        unsafe {
            write_raw(
                array_elem(self.word, element, index),
                element.storage,
                &value.to_raw(),
            )
        };
        Ok(())
    }
}

/// Why `value` may not be stored in a field of type `field`, if it may not.
fn check_store_value(store: &Store, field: FieldType, value: &Val) -> Result<()> {
    if !field.mutable {
        bail!("the field is immutable");
    }
    if !value.belongs_to(store) {
        bail!("the value belongs to a different store");
    }
    let ty = field.storage.unpacked();
    if !value.matches(ty) {
        bail!(
            "a value of type {} does not fit a field of type {}",
            value.ty(),
            field.storage
        );
    }
    if let Val::FuncRef(Some(f)) = value {
        f.check_usable_by_wasm()?;
    }
    Ok(())
}

impl std::fmt::Debug for AnyRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnyRef")
            .field("kind", &self.kind())
            .field("word", &self.word)
            .finish()
    }
}
