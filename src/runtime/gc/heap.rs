//! `GcHeap`: the memory of one store's structs and arrays, and the mark
//! and sweep phases of its collector.
//!
//! Small objects live in 256 KiB chunks of one size class each (sizes
//! rounded up to 16 bytes up to 128, then four classes per power of two):
//! a class allocates from its free list, else from the untouched end of
//! its newest chunk, else from a new chunk. Fresh chunk memory is zero
//! (the system allocator's fresh pages), and a slot taken from a free list
//! is zeroed when it is handed out, so every new object starts zeroed.
//! Objects above 64 KiB get an allocation of their own. Every object is
//! 16-byte aligned (`v128` elements need it) and starts with the header
//! `environ::gc_layout` describes; the collector's mark bit is the top bit
//! of the kind word, set only while a collection runs (compiled code,
//! which compares kinds whole, never sees it).
//!
//! The heap decides when to collect (`wants_collection`): once the bytes
//! allocated since the last collection pass the live bytes that
//! collection left (at least 4 MiB), so its size stays within about twice
//! what is live.

use crate::environ::gc_layout::{
    ARRAY_LEN_OFFSET, HEADER_SIZE, KIND_ARRAY, KIND_OFFSET, MAX_OBJECT_SIZE, TYPE_ID_OFFSET,
};
use std::alloc::Layout;
use std::ptr::NonNull;

/// Bytes of one chunk of small objects.
const CHUNK_SIZE: usize = 256 << 10;
/// Objects above this size get an allocation of their own.
const LARGE_OBJECT: usize = 64 << 10;
/// Alignment of every object.
const OBJECT_ALIGN: usize = 16;
/// The kind word of a free slot.
const KIND_FREE: u32 = 0;
/// The mark bit in an object's kind word.
pub(crate) const MARK_BIT: u32 = 1 << 31;
/// The fewest bytes allocated between two automatic collections.
const MIN_COLLECTION_INTERVAL: u64 = 4 << 20;

/// The size classes of small objects, ascending.
fn size_classes() -> &'static [u32] {
    static CLASSES: std::sync::OnceLock<Vec<u32>> = std::sync::OnceLock::new();
    CLASSES.get_or_init(|| {
        let mut classes: Vec<u32> = (1..=8).map(|i| i * 16).collect();
        let mut base = 128u32;
        while (base as usize) < LARGE_OBJECT {
            for quarter in 1..=4 {
                classes.push(base + base / 4 * quarter);
            }
            base *= 2;
        }
        classes.retain(|&c| c as usize <= LARGE_OBJECT);
        classes
    })
}

/// The size class index for an object of `size` bytes (`size <= LARGE_OBJECT`).
fn class_of(size: usize) -> usize {
    size_classes().partition_point(|&c| (c as usize) < size)
}

/// One system allocation: a chunk of small objects or one large object.
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

    fn start(&self) -> usize {
        self.base.as_ptr() as usize
    }
}

/// A chunk of slots of one size class.
struct Chunk {
    region: Region,
    class: usize,
    /// End of the slots handed out so far (the rest is untouched zeroes).
    used_end: usize,
}

/// The GC heap of one store.
pub(crate) struct GcHeap {
    chunks: Vec<Chunk>,
    /// Per size class: the index in `chunks` of the chunk it bumps from.
    current: Vec<Option<usize>>,
    /// Per size class: the first free slot (each free slot's first word
    /// after the header points to the next, 0 ending the list).
    free: Vec<usize>,
    large: Vec<Region>,
    /// Bytes of live (or not yet collected) objects.
    live: u64,
    /// Bytes allocated since the last collection.
    since_collection: u64,
    /// Live bytes the last collection left.
    live_after_collection: u64,
    /// Bytes of system memory the heap holds (chunks and large objects).
    reserved: u64,
    /// Bytes of system memory the heap may hold.
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
    /// An empty heap that may grow to `limit` bytes of system memory.
    pub(crate) fn with_limit(limit: u64) -> GcHeap {
        let classes = size_classes().len();
        GcHeap {
            chunks: Vec::new(),
            current: vec![None; classes],
            free: vec![0; classes],
            large: Vec::new(),
            live: 0,
            since_collection: 0,
            live_after_collection: 0,
            reserved: 0,
            limit,
        }
    }

    /// Sets the bytes of system memory the heap may hold (what it holds
    /// already stays).
    pub(crate) fn set_limit(&mut self, limit: u64) {
        self.limit = limit;
    }

    /// Bytes of system memory the heap holds.
    pub(crate) fn bytes(&self) -> u64 {
        self.reserved
    }

    /// Bytes of the objects not yet found unreachable.
    #[cfg(test)]
    pub(crate) fn live_bytes(&self) -> u64 {
        self.live
    }

    /// Whether enough was allocated since the last collection for the
    /// next one to be worth it.
    pub(crate) fn wants_collection(&self) -> bool {
        self.since_collection >= self.live_after_collection.max(MIN_COLLECTION_INTERVAL)
    }

    /// `size` zeroed bytes, 16-byte aligned, or `None` past the limit or
    /// when the system has no memory left.
    fn alloc_bytes(&mut self, size: usize) -> Option<NonNull<u8>> {
        let size = size.next_multiple_of(OBJECT_ALIGN);
        if size > LARGE_OBJECT {
            if self.reserved + size as u64 > self.limit {
                return None;
            }
            let region = Region::new(size)?;
            let base = region.base;
            self.large.push(region);
            self.reserved += size as u64;
            self.live += size as u64;
            self.since_collection += size as u64;
            return Some(base);
        }
        let class = class_of(size);
        let slot_size = size_classes()[class] as usize;
        let slot = match self.free[class] {
            0 => self.bump(class, slot_size)?,
            slot => {
                // SAFETY: free slots are dead objects of this class in a
                // chunk the heap owns; their link word is after the header.
                unsafe {
                    let p = slot as *mut u8;
                    self.free[class] = p.add(HEADER_SIZE as usize).cast::<usize>().read();
                    std::ptr::write_bytes(p, 0, slot_size);
                }
                slot
            }
        };
        self.live += slot_size as u64;
        self.since_collection += slot_size as u64;
        NonNull::new(slot as *mut u8)
    }

    /// A never-used slot of `class` from its current chunk or a new one.
    fn bump(&mut self, class: usize, slot_size: usize) -> Option<usize> {
        if let Some(i) = self.current[class] {
            let chunk = &mut self.chunks[i];
            if chunk.region.start() + CHUNK_SIZE - chunk.used_end >= slot_size {
                let at = chunk.used_end;
                chunk.used_end += slot_size;
                return Some(at);
            }
        }
        if self.reserved + CHUNK_SIZE as u64 > self.limit {
            return None;
        }
        let region = Region::new(CHUNK_SIZE)?;
        let at = region.start();
        self.chunks.push(Chunk {
            region,
            class,
            used_end: at + slot_size,
        });
        self.current[class] = Some(self.chunks.len() - 1);
        self.reserved += CHUNK_SIZE as u64;
        Some(at)
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

    /// Frees every object whose mark bit is clear and clears the marks of
    /// the others: the sweep after a mark phase set the bit on everything
    /// reachable. Chunks left with no live object go back to the system.
    pub(crate) fn sweep(&mut self) {
        let classes = size_classes();
        let mut live = 0u64;
        for class in &mut self.free {
            *class = 0;
        }
        for current in &mut self.current {
            *current = None;
        }
        let mut kept = Vec::with_capacity(self.chunks.len());
        for chunk in self.chunks.drain(..) {
            let slot_size = classes[chunk.class] as usize;
            let mut chunk_live = 0u64;
            // The chunk's free slots, linked in front of the class's list
            // only if the chunk stays.
            let (mut first_free, mut last_free) = (0usize, 0usize);
            let mut at = chunk.region.start();
            while at + slot_size <= chunk.used_end {
                let p = at as *mut u8;
                // SAFETY: every slot below `used_end` holds an object's
                // header or a free slot's (kind word 0).
                unsafe {
                    let kind = p.offset(KIND_OFFSET as isize).cast::<u32>();
                    let k = kind.read();
                    if k & MARK_BIT != 0 {
                        kind.write(k & !MARK_BIT);
                        chunk_live += slot_size as u64;
                    } else {
                        kind.write(KIND_FREE);
                        p.add(HEADER_SIZE as usize)
                            .cast::<usize>()
                            .write(first_free);
                        if first_free == 0 {
                            last_free = at;
                        }
                        first_free = at;
                    }
                }
                at += slot_size;
            }
            if chunk_live == 0 {
                self.reserved -= CHUNK_SIZE as u64;
                continue;
            }
            live += chunk_live;
            if first_free != 0 {
                // SAFETY: `last_free` is a free slot of this chunk, its link
                // word after the header.
                unsafe {
                    (last_free as *mut u8)
                        .add(HEADER_SIZE as usize)
                        .cast::<usize>()
                        .write(self.free[chunk.class])
                };
                self.free[chunk.class] = first_free;
            }
            self.current[chunk.class] = Some(kept.len());
            kept.push(chunk);
        }
        self.chunks = kept;
        let mut freed = 0u64;
        self.large.retain(|region| {
            let kind = region
                .base
                .as_ptr()
                .wrapping_offset(KIND_OFFSET as isize)
                .cast::<u32>();
            // SAFETY: a large region holds one object, header first.
            let k = unsafe { kind.read() };
            if k & MARK_BIT != 0 {
                // SAFETY: as above.
                unsafe { kind.write(k & !MARK_BIT) };
                live += region.layout.size() as u64;
                true
            } else {
                freed += region.layout.size() as u64;
                false
            }
        });
        self.reserved -= freed;
        self.live = live;
        self.live_after_collection = live;
        self.since_collection = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::environ::gc_layout::KIND_STRUCT;

    fn mark(p: NonNull<u8>) {
        // SAFETY: `p` is a live object of the test's heap.
        unsafe {
            let kind = p.as_ptr().offset(KIND_OFFSET as isize).cast::<u32>();
            kind.write(kind.read() | MARK_BIT);
        }
    }

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
    fn sweeping_frees_the_unmarked_and_reuses_their_slots_zeroed() {
        let mut heap = GcHeap::default();
        let keep = heap.alloc_object(32, 1, KIND_STRUCT).unwrap();
        let dead = heap.alloc_object(32, 1, KIND_STRUCT).unwrap();
        // SAFETY: `dead` is a live 32-byte object: dirty its payload.
        unsafe { dead.as_ptr().add(16).write(0xAB) };
        let big_dead = heap.alloc_object(100_000, 1, KIND_STRUCT).unwrap();
        let lonely = heap.alloc_object(200, 1, KIND_STRUCT).unwrap();
        let before = heap.bytes();
        mark(keep);
        heap.sweep();
        assert_eq!(heap.live_bytes(), 32);
        assert_eq!(
            heap.bytes(),
            before - 100_000u64.next_multiple_of(16) - CHUNK_SIZE as u64,
            "the large object and the chunk left empty go back"
        );
        let _ = lonely;
        let _ = big_dead;
        let again = heap.alloc_object(32, 2, KIND_STRUCT).unwrap();
        assert_eq!(again, dead, "the freed slot is reused");
        // SAFETY: `again` is a live 32-byte object.
        let bytes = unsafe { std::slice::from_raw_parts(again.as_ptr(), 32) };
        assert!(bytes[8..].iter().all(|&b| b == 0), "{bytes:?}");
        // The survivor's mark was cleared.
        // SAFETY: `keep` is live.
        let kind = unsafe { keep.as_ptr().add(4).cast::<u32>().read() };
        assert_eq!(kind, KIND_STRUCT);
    }

    #[test]
    fn size_classes_cover_every_small_size() {
        for size in (16..=LARGE_OBJECT).step_by(16) {
            let class = size_classes()[class_of(size)] as usize;
            assert!(class >= size && class % 16 == 0, "{size} -> {class}");
            assert!(class <= size + size / 4 + 16, "{size} -> {class}");
        }
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
