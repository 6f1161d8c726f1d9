//! Exception objects: what `throw` creates, `catch_ref` hands to wasm as
//! an `exnref`, and an uncaught exception carries to the host.
//!
//! An object is one allocation of `1 + n` `ValRaw` slots owned by its
//! store: slot 0 holds the address of its tag's `TagData`, slots `1..`
//! the payload (`environ::vmoffsets::exn`). An `exnref` value is the
//! address of slot 0; compiled code reads the payload at fixed offsets
//! from it. Objects live until their store is dropped (the GC issue will
//! collect them).

use super::store::Store;
use super::tag::{Tag, TagData};
use super::val::Val;
use crate::environ::val_raw::ValRaw;
use anyhow::{bail, Result};
use std::ptr::NonNull;

/// The storage of one exception object.
pub(crate) type ExnObject = Box<[ValRaw]>;

/// A new object for `tag` with a zeroed payload, owned by `store`; the
/// address of its slot 0.
pub(crate) fn alloc(store: &Store, tag: NonNull<TagData>) -> NonNull<ValRaw> {
    // SAFETY: tags live as long as their store, which owns the new object.
    let n = unsafe { tag.as_ref() }.ty.params().len();
    let mut object: ExnObject = vec![ValRaw::from_i64(0); n + 1].into_boxed_slice();
    object[0] = ValRaw::from_ptr(tag.as_ptr().cast());
    store.adopt_exn(object)
}

/// The tag of the object at `raw`.
///
/// # Safety
/// `raw` must be a live exception object's slot 0.
pub(crate) unsafe fn tag_of(raw: NonNull<ValRaw>) -> NonNull<TagData> {
    // SAFETY: slot 0 of a live object holds its tag's address (non-null).
    unsafe { NonNull::new_unchecked(raw.as_ref().get_ptr().cast()) }
}

/// A reference to an exception object. Cheap to clone; identity is the
/// object.
#[derive(Clone)]
pub struct ExnRef {
    store: Store,
    raw: NonNull<ValRaw>,
}

// SAFETY: the handle keeps the store alive; the store and its objects move
// between threads but are used by one thread at a time.
unsafe impl Send for ExnRef {}

impl ExnRef {
    /// A new exception of `tag` carrying `payload`, which must match the
    /// tag's parameter types and belong to the tag's store.
    pub fn new(tag: &Tag, payload: &[Val]) -> Result<ExnRef> {
        let store = tag.store();
        let ty = tag.ty();
        if payload.len() != ty.params().len() {
            bail!(
                "the tag {ty} takes {} payload values, {} were given",
                ty.params().len(),
                payload.len()
            );
        }
        for (i, (v, t)) in payload.iter().zip(ty.params()).enumerate() {
            super::global::check_val(store, v, *t, &format!("payload value {i}"))?;
        }
        let raw = alloc(store, tag.data_ptr());
        // SAFETY: `alloc` made `1 + payload.len()` slots at `raw`.
        let slots = unsafe { std::slice::from_raw_parts_mut(raw.as_ptr(), payload.len() + 1) };
        for (slot, v) in slots[1..].iter_mut().zip(payload) {
            *slot = v.to_raw();
        }
        Ok(ExnRef {
            store: store.clone(),
            raw,
        })
    }

    /// The tag the exception was thrown with.
    pub fn tag(&self) -> Tag {
        // SAFETY: `raw` is a live object of `self.store`.
        Tag::from_data(&self.store, unsafe { tag_of(self.raw) })
    }

    /// The payload values, in the tag's parameter order.
    pub fn payload(&self) -> Vec<Val> {
        let ty = self.tag().ty();
        let n = ty.params().len();
        // SAFETY: a live object of the tag has `1 + n` slots; reference
        // slots hold values of the store (checked where they were set).
        unsafe {
            let slots = std::slice::from_raw_parts(self.raw.as_ptr(), n + 1);
            slots[1..]
                .iter()
                .zip(ty.params())
                .map(|(raw, t)| Val::from_raw(&self.store, raw, *t))
                .collect()
        }
    }

    /// The store that owns the object.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Whether both handles refer to the same exception object.
    pub fn same(&self, other: &ExnRef) -> bool {
        self.raw == other.raw
    }

    /// A hashable identity of the object: equal for two handles exactly
    /// when `same` is true, and stable while the store lives.
    pub fn id(&self) -> usize {
        self.raw.as_ptr() as usize
    }

    /// The value wasm sees for this reference.
    pub(crate) fn as_raw(&self) -> *mut u8 {
        self.raw.as_ptr().cast()
    }

    /// The reference a non-null exnref value of `store` stands for.
    ///
    /// # Safety
    /// `raw` must be an exnref value of `store` (an object's slot 0) or
    /// null.
    pub(crate) unsafe fn from_raw(store: &Store, raw: *mut u8) -> Option<ExnRef> {
        NonNull::new(raw.cast::<ValRaw>()).map(|raw| ExnRef {
            store: store.clone(),
            raw,
        })
    }
}

impl std::fmt::Debug for ExnRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExnRef").field("raw", &self.raw).finish()
    }
}

/// Calls `root` with every GC reference in the payload of `object`
/// (exception objects live as long as their store, so these are roots).
pub(crate) fn for_each_gc_root(object: &ExnObject, root: &mut dyn FnMut(usize)) {
    // SAFETY: slot 0 of a live object holds its tag, which lives as long
    // as the store.
    let tag = unsafe { tag_of(NonNull::from(&object[0])).as_ref() };
    for (i, &ty) in tag.ty.params().iter().enumerate() {
        if super::gc::is_gc_managed(ty) {
            root(object[i + 1].get_ptr() as usize);
        }
    }
}
