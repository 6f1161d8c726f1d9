//! `GcHeap`: the memory of one store's structs and arrays.
//!
//! Objects are bump-allocated from zeroed chunks (fresh pages from the
//! system allocator are already zero, so nothing is cleared by hand);
//! objects too large for a chunk get an allocation of their own. Every
//! object is 16-byte aligned (`v128` elements at `ARRAY_ELEMS_OFFSET`
//! need it) and starts with the header `environ::gc_layout` describes.
//!
//! The heap grows as needed up to its byte limit; an allocation past the
//! limit fails and compiled code traps with `AllocationTooLarge`. Objects
//! stay until the store is dropped: this heap has no collector yet.

use crate::environ::gc_layout::{
    ARRAY_LEN_OFFSET, HEADER_SIZE, KIND_ARRAY, KIND_OFFSET, MAX_OBJECT_SIZE, TYPE_ID_OFFSET,
};
use std::alloc::Layout;
use std::ptr::NonNull;

/// Bytes of one bump chunk.
const CHUNK_SIZE: usize = 1 << 20;
/// Objects above this size get an allocation of their own.
const LARGE_OBJECT: usize = CHUNK_SIZE / 4;
/// Alignment of every object.
const OBJECT_ALIGN: usize = 16;

/// One zeroed region objects are carved from, or one large object.
struct Region {
    base: NonNull<u8>,
    layout: Layout,
}

impl Drop for Region {
    fn drop(&mut self) {
        // SAFETY: `base` was allocated with `layout` by `Region::new` and
        // is freed once, here.
        unsafe { std::alloc::dealloc(self.base.as_ptr(), self.layout) }
    }
}

impl Region {
    fn new(size: usize) -> Option<Region> {
        let layout = Layout::from_size_align(size, OBJECT_ALIGN).ok()?;
        // SAFETY: `layout` has a non-zero size (callers ask for at least a
        // header).
        let base = NonNull::new(unsafe { std::alloc::alloc_zeroed(layout) })?;
        Some(Region { base, layout })
    }
}

/// The GC heap of one store.
pub(crate) struct GcHeap {
    /// Every region, freed with the heap.
    regions: Vec<Region>,
    /// Next free byte of the current chunk, and its end (both 0 before the
    /// first chunk).
    next: usize,
    end: usize,
    /// Bytes handed out or reserved in chunks so far.
    used: u64,
    /// Bytes the heap may take in all.
    limit: u64,
}

// SAFETY: the heap owns its regions; the store moves between threads but
// is used by one at a time.
unsafe impl Send for GcHeap {}

impl Default for GcHeap {
    fn default() -> GcHeap {
        GcHeap::with_limit(u64::MAX)
    }
}

impl GcHeap {
    /// An empty heap that may grow to `limit` bytes.
    pub(crate) fn with_limit(limit: u64) -> GcHeap {
        GcHeap {
            regions: Vec::new(),
            next: 0,
            end: 0,
            used: 0,
            limit,
        }
    }

    /// Bytes the heap holds (chunks and large objects).
    pub(crate) fn bytes(&self) -> u64 {
        self.used
    }

    /// `size` zeroed bytes, 16-byte aligned, or `None` past the limit or
    /// when the system has no memory left.
    fn alloc_bytes(&mut self, size: usize) -> Option<NonNull<u8>> {
        let size = size.next_multiple_of(OBJECT_ALIGN);
        if size > LARGE_OBJECT {
            if self.used + size as u64 > self.limit {
                return None;
            }
            let region = Region::new(size)?;
            let base = region.base;
            self.regions.push(region);
            self.used += size as u64;
            return Some(base);
        }
        if self.end - self.next < size {
            if self.used + CHUNK_SIZE as u64 > self.limit {
                return None;
            }
            let region = Region::new(CHUNK_SIZE)?;
            self.next = region.base.as_ptr() as usize;
            self.end = self.next + CHUNK_SIZE;
            self.regions.push(region);
            self.used += CHUNK_SIZE as u64;
        }
        let at = self.next;
        self.next += size;
        NonNull::new(at as *mut u8)
    }

    /// A new object of `size` bytes (header included) with its header
    /// written and the rest zeroed.
    pub(crate) fn alloc_object(
        &mut self,
        size: u32,
        type_id: u32,
        kind: u32,
    ) -> Option<NonNull<u8>> {
        debug_assert!(size >= HEADER_SIZE);
        if u64::from(size) > MAX_OBJECT_SIZE {
            return None;
        }
        let object = self.alloc_bytes(size as usize)?;
        // SAFETY: the object has at least the header's 8 bytes, 16-byte
        // aligned, and belongs to nobody else yet.
        unsafe {
            let p = object.as_ptr();
            p.offset(TYPE_ID_OFFSET as isize)
                .cast::<u32>()
                .write(type_id);
            p.offset(KIND_OFFSET as isize).cast::<u32>().write(kind);
        }
        Some(object)
    }

    /// A new array object of `size` bytes holding `len` zeroed elements.
    pub(crate) fn alloc_array(&mut self, size: u32, type_id: u32, len: u32) -> Option<NonNull<u8>> {
        let object = self.alloc_object(size, type_id, KIND_ARRAY)?;
        // SAFETY: arrays are at least `ARRAY_ELEMS_OFFSET` bytes, so the
        // length word is inside the new object.
        unsafe {
            object
                .as_ptr()
                .offset(ARRAY_LEN_OFFSET as isize)
                .cast::<u32>()
                .write(len)
        };
        Some(object)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::environ::gc_layout::KIND_STRUCT;

    #[test]
    fn objects_are_zeroed_aligned_and_distinct() {
        let mut heap = GcHeap::default();
        let a = heap.alloc_object(24, 7, KIND_STRUCT).unwrap();
        let b = heap.alloc_object(24, 7, KIND_STRUCT).unwrap();
        assert_ne!(a, b);
        for p in [a, b] {
            assert_eq!(p.as_ptr() as usize % OBJECT_ALIGN, 0);
            // SAFETY: both are live 24-byte objects of this heap.
            let bytes = unsafe { std::slice::from_raw_parts(p.as_ptr(), 24) };
            assert_eq!(&bytes[..8], &[7, 0, 0, 0, 1, 0, 0, 0]);
            assert!(bytes[8..].iter().all(|&b| b == 0));
        }
        let big = heap.alloc_array(1 << 20, 9, 100).unwrap();
        assert_eq!(big.as_ptr() as usize % OBJECT_ALIGN, 0);
    }

    #[test]
    fn the_limit_refuses_allocations_past_it() {
        let mut heap = GcHeap::with_limit(CHUNK_SIZE as u64);
        assert!(heap.alloc_object(64, 1, KIND_STRUCT).is_some());
        assert!(heap
            .alloc_object(LARGE_OBJECT as u32 + 16, 1, KIND_STRUCT)
            .is_none());
        assert!(heap
            .alloc_object((MAX_OBJECT_SIZE + 1) as u32, 1, KIND_STRUCT)
            .is_none());
    }
}
