//! `ExternRef`: an opaque host value that wasm can hold and pass around.
//!
//! Wasm sees an externref as one word. A host value is the address of its
//! `ExternData`, which starts with a GC object header of kind
//! `KIND_EXTERN` (`environ::gc_layout`), so that `any.convert_extern` and
//! `extern.convert_any` never change a word; any other non-null word is an
//! `any` reference (an i31 or a GC object) that wasm converted out with
//! `extern.convert_any`. The store owns the payloads; the collector drops
//! one (running its destructor) once no handle, wasm frame, global, table
//! or GC object reaches it.

use super::gc::AnyRef;
use super::gc::MARK_BIT;
use super::store::Store;
use crate::environ::gc_layout::{EXTERN_TYPE_ID, KIND_EXTERN, KIND_OFFSET};
use std::any::Any;
use std::ptr::NonNull;

/// The payload of one host externref, owned by its store.
#[repr(C)]
pub(crate) struct ExternData {
    /// The GC object header: `EXTERN_TYPE_ID`, `KIND_EXTERN`.
    header: [u32; 2],
    data: Box<dyn Any>,
}

impl ExternData {
    /// Whether the collector marked this value, clearing the mark.
    pub(crate) fn take_mark(&mut self) -> bool {
        let marked = self.header[1] & MARK_BIT != 0;
        self.header[1] &= !MARK_BIT;
        marked
    }
}

/// What `ExternRef::data` gives for an externref that wraps an `any`
/// reference (`extern.convert_any` of an i31, struct or array) rather
/// than a host value: downcasts to host types fail on it.
#[derive(Debug)]
pub struct ConvertedAnyRef;

/// A reference to a host value, or to an `any` reference converted out.
/// Cheap to clone; identity is the word. While a handle exists, what it
/// refers to is not collected.
pub struct ExternRef {
    store: Store,
    word: NonNull<u8>,
}

impl Clone for ExternRef {
    fn clone(&self) -> ExternRef {
        self.store.root_gc_ref(self.word.as_ptr() as usize);
        ExternRef {
            store: self.store.clone(),
            word: self.word,
        }
    }
}

impl Drop for ExternRef {
    fn drop(&mut self) {
        self.store.unroot_gc_ref(self.word.as_ptr() as usize);
    }
}

// SAFETY: the handle keeps the store alive; the store and its objects move
// between threads but are used by one thread at a time.
unsafe impl Send for ExternRef {}

impl ExternRef {
    /// Wraps `data`; the store keeps it alive for its own lifetime.
    pub fn new(store: &Store, data: Box<dyn Any>) -> ExternRef {
        store.before_new_extern();
        let data = store.adopt_extern(ExternData {
            header: [EXTERN_TYPE_ID, KIND_EXTERN],
            data,
        });
        store.root_gc_ref(data.as_ptr() as usize);
        ExternRef {
            store: store.clone(),
            word: data.cast(),
        }
    }

    /// The host value record, when the word is one.
    fn host_data(&self) -> Option<&ExternData> {
        if self.word.as_ptr() as usize & 1 == 1 {
            return None;
        }
        // SAFETY: a non-i31 word is an object of the store (which the
        // handle keeps alive); every object starts with the header.
        let kind = unsafe {
            self.word
                .as_ptr()
                .offset(KIND_OFFSET as isize)
                .cast::<u32>()
                .read()
        };
        // SAFETY: objects of kind KIND_EXTERN are `ExternData` records.
        (kind == KIND_EXTERN).then(|| unsafe { self.word.cast::<ExternData>().as_ref() })
    }

    /// The host value this reference wraps ([`ConvertedAnyRef`] for an
    /// `any` reference converted out).
    pub fn data(&self) -> &dyn Any {
        match self.host_data() {
            Some(d) => &*d.data,
            None => &ConvertedAnyRef,
        }
    }

    /// The `any` reference this is (`any.convert_extern`): the same word.
    pub fn to_any(&self) -> AnyRef {
        // SAFETY: every externref word of the store is an `any` word too.
        unsafe { AnyRef::from_raw(&self.store, self.as_raw()) }.expect("non-null")
    }

    /// Whether both references are the same value.
    pub fn same(&self, other: &ExternRef) -> bool {
        self.word == other.word
    }

    /// A hashable identity of the value: equal for two handles exactly
    /// when `same` is true, and stable while any handle of it exists.
    pub fn id(&self) -> usize {
        self.word.as_ptr() as usize
    }

    /// The store that owns the payload.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The value wasm sees for this reference.
    pub(crate) fn as_raw(&self) -> *mut u8 {
        self.word.as_ptr()
    }

    /// The reference a non-null externref value of `store` stands for.
    ///
    /// # Safety
    /// `raw` must be an externref (or `any`) value of `store`.
    pub(crate) unsafe fn from_raw(store: &Store, raw: *mut u8) -> Option<ExternRef> {
        NonNull::new(raw).map(|word| {
            store.root_gc_ref(word.as_ptr() as usize);
            ExternRef {
                store: store.clone(),
                word,
            }
        })
    }
}

impl std::fmt::Debug for ExternRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExternRef")
            .field("word", &self.word)
            .finish()
    }
}
