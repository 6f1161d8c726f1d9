//! `ExternRef`: an opaque host value that wasm can hold and pass around.
//!
//! Wasm sees an externref as the address of its `ExternData`; the store
//! owns the payload, so it stays alive as long as any wasm value, table or
//! global could still hold it (until the store itself goes).

use super::store::Store;
use std::any::Any;
use std::ptr::NonNull;

/// The payload of one externref, owned by its store.
pub(crate) struct ExternData {
    data: Box<dyn Any>,
}

/// A reference to a host value. Cheap to clone; identity is the payload.
#[derive(Clone)]
pub struct ExternRef {
    store: Store,
    data: NonNull<ExternData>,
}

// SAFETY: the handle keeps the store alive; the store and its objects move
// between threads but are used by one thread at a time.
unsafe impl Send for ExternRef {}

impl ExternRef {
    /// Wraps `data`; the store keeps it alive for its own lifetime.
    pub fn new(store: &Store, data: Box<dyn Any>) -> ExternRef {
        let data = store.adopt_extern(ExternData { data });
        ExternRef {
            store: store.clone(),
            data,
        }
    }

    /// The host value this reference wraps.
    pub fn data(&self) -> &dyn Any {
        // SAFETY: the store owns the payload and `self.store` keeps it
        // alive; payloads are never mutated after creation.
        unsafe { &*self.data.as_ref().data }
    }

    /// Whether both references wrap the same host value.
    pub fn same(&self, other: &ExternRef) -> bool {
        self.data == other.data
    }

    /// A hashable identity of the host value: equal for two handles exactly
    /// when `same` is true, and stable while any handle of it exists (the
    /// address of its record, which the store owns and never moves).
    pub fn id(&self) -> usize {
        self.data.as_ptr() as usize
    }

    /// The store that owns the payload.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The value wasm sees for this reference.
    pub(crate) fn as_raw(&self) -> *mut u8 {
        self.data.as_ptr().cast()
    }

    /// The reference a non-null externref value of `store` stands for.
    ///
    /// # Safety
    /// `raw` must be an externref value produced by `as_raw` for `store`.
    pub(crate) unsafe fn from_raw(store: &Store, raw: *mut u8) -> Option<ExternRef> {
        NonNull::new(raw.cast::<ExternData>()).map(|data| ExternRef {
            store: store.clone(),
            data,
        })
    }
}

impl std::fmt::Debug for ExternRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExternRef")
            .field("data", &self.data)
            .finish()
    }
}
