//! Exception tags: the runtime's record and the `Tag` handle.
//!
//! A tag's identity is the address of its `TagData`, which its store owns
//! and never moves: an instance that imports a tag holds the exporter's
//! record, so a `catch` of the imported tag matches exceptions thrown with
//! the exporter's, and two definitions of one type never match each other.

use super::store::Store;
use crate::environ::TagType;
use std::ptr::NonNull;

/// The runtime's record of one tag, owned by its store.
pub(crate) struct TagData {
    /// The tag's type in canonical form (concrete references by canonical
    /// id).
    pub(crate) ty: TagType,
    /// The canonical id of `ty.ty`: tag imports match when ids are equal.
    pub(crate) type_id: u32,
}

impl TagData {
    /// A tag of `ty`, a type in canonical form, as a group of its own
    /// (a host-made tag).
    pub(crate) fn new(ty: TagType) -> TagData {
        let type_id = super::type_registry::canonical_id(&ty.ty);
        TagData { ty, type_id }
    }

    /// A tag a module defines, of its type with canonical id `type_id`
    /// (which may sit in a recursion group of several types).
    pub(crate) fn with_type_id(ty: TagType, type_id: u32) -> TagData {
        TagData { ty, type_id }
    }
}

/// An exception tag of a store.
#[derive(Clone)]
pub struct Tag {
    store: Store,
    data: NonNull<TagData>,
}

// SAFETY: the handle keeps the store alive; the store and its objects move
// between threads but are used by one thread at a time.
unsafe impl Send for Tag {}

impl Tag {
    /// A new tag of type `ty` (concrete references by canonical id),
    /// distinct from every other tag.
    pub fn new(store: &Store, ty: TagType) -> Tag {
        let data = store.adopt_tag(TagData::new(ty));
        Tag {
            store: store.clone(),
            data,
        }
    }

    pub(crate) fn from_data(store: &Store, data: NonNull<TagData>) -> Tag {
        Tag {
            store: store.clone(),
            data,
        }
    }

    pub(crate) fn data(&self) -> &TagData {
        // SAFETY: the store owns the record and `self.store` keeps it alive.
        unsafe { self.data.as_ref() }
    }

    pub(crate) fn data_ptr(&self) -> NonNull<TagData> {
        self.data
    }

    /// The tag's type.
    pub fn ty(&self) -> TagType {
        self.data().ty.clone()
    }

    /// The canonical id of the tag's type.
    pub fn type_id(&self) -> u32 {
        self.data().type_id
    }

    /// The store the tag belongs to.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Whether both handles name the same tag.
    pub fn same(&self, other: &Tag) -> bool {
        self.data == other.data
    }

    /// A hashable identity of the tag: equal for two handles exactly when
    /// `same` is true, and stable while the store lives (the address of
    /// its record, which the store owns and never moves).
    pub fn id(&self) -> usize {
        self.data.as_ptr() as usize
    }
}

impl std::fmt::Debug for Tag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tag").field("ty", &self.data().ty).finish()
    }
}
