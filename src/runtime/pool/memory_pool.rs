//! The pool's linear memories: one reservation carved into fixed slots,
//! and the storage of a memory living in one.
//!
//! Layout (offsets into the reservation; `G` is the guard: the rounded
//! `memory_guard_size`, or 0 without signals-based traps, when compiled
//! code checks every access explicitly):
//!
//! ```text
//! [ pre-guard | slot 0: capacity | G | slot 1: capacity | G | ... ]
//!             ^ base of memory 0  ^ its offset guard, and memory 1's pre-guard
//! ```
//!
//! The capacity is `static_memory_maximum_size` rounded to pages (the
//! reservation every static memory plan promises), so a slot satisfies any
//! plan the engine makes for a non-shared memory: a static plan's
//! reservation and guards fit, and a dynamic plan (a memory64 memory, or
//! one whose maximum exceeds the static size) only needs its guards, since
//! a pooled memory never moves and grows at most to
//! `min(max_memory_size, capacity)`. The compiler's bounds-check elision
//! reads the same plan, so what it left to the guard is a guard here.
//!
//! Invariant of a free slot: everything is PROT_NONE; anonymous pages read
//! zero once committed; the first `state.image.len()` bytes are the
//! copy-on-write mapping of that image with no private copies (so they
//! read the image). Resetting (on release) keeps that invariant with
//! `madvise(MADV_DONTNEED)` and `mprotect` only; only replacing one image
//! by another (or cooling a warm slot) maps anything.

use super::slots::{Slot, SlotKind, SlotPool};
use super::InstancePool;
use crate::environ::memory_plan::{MemoryPlan, MemoryStyle};
use crate::runtime::memory::grown_byte_len;
use crate::runtime::memory_image::MemoryImage;
use crate::runtime::mmap::{round_up_to_page, Mmap};
use anyhow::{anyhow, bail, Result};
use std::sync::Arc;

/// What a free memory slot keeps between tenants: the image mapped at its
/// start, if any (held, so the memory file outlives every mapping of it).
#[derive(Default)]
pub(crate) struct MemorySlotState {
    image: Option<Arc<MemoryImage>>,
    /// The bytes from the slot's base that are readable and writable now
    /// (a page multiple), all others inaccessible; kept exact whenever a
    /// protection changes. A released memory keeps its initial size
    /// accessible (zeroed, or the image's bytes), so the next memory of
    /// the same size (the next instance of the same module, which prefers
    /// this slot) changes no protection: no `mprotect`, no VMA split or
    /// merge, on a warm instantiate/drop.
    accessible: usize,
    /// What a reset keeps accessible: the memory's initial accessible
    /// bytes (set when it is made; until then, what was accessible).
    initial: usize,
}

/// The reservation of every pooled memory, and its geometry.
pub(crate) struct MemoryRegion {
    mapping: Mmap,
    /// Inaccessible bytes before slot 0 (the plans' pre-guard).
    pre_guard: usize,
    /// Bytes each slot's memory may reach (page multiple).
    capacity: usize,
    /// Inaccessible bytes after each slot's capacity: its offset guard and
    /// the next slot's pre-guard.
    gap: usize,
    /// Bytes of a released memory kept resident, zeroed by hand (page
    /// multiple).
    keep_resident: usize,
}

/// How a memory pool of `slots` slots is laid out, from the engine's
/// guard settings and the pooling limits.
#[derive(Clone, Copy, Debug)]
pub(crate) struct MemoryGeometry {
    pub(crate) pre_guard: usize,
    pub(crate) capacity: usize,
    pub(crate) gap: usize,
    pub(crate) keep_resident: usize,
}

impl MemoryGeometry {
    /// The bytes of address space `slots` slots take, or `None` past the
    /// address space.
    pub(crate) fn total(&self, slots: u32) -> Option<usize> {
        self.capacity
            .checked_add(self.gap)?
            .checked_mul(slots as usize)?
            .checked_add(self.pre_guard)
    }
}

impl MemoryRegion {
    /// Reserves `slots` slots shaped by `geometry` (address space only:
    /// PROT_NONE, MAP_NORESERVE).
    pub(crate) fn new(geometry: MemoryGeometry, slots: u32) -> Result<MemoryRegion> {
        let total = geometry
            .total(slots)
            .ok_or_else(|| anyhow!("the size overflows the address space"))?;
        let mapping = if slots == 0 {
            Mmap::empty()
        } else {
            Mmap::reserve(total)?
        };
        Ok(MemoryRegion {
            mapping,
            pre_guard: geometry.pre_guard,
            capacity: geometry.capacity,
            gap: geometry.gap,
            keep_resident: geometry.keep_resident,
        })
    }

    /// The offset of slot `slot`'s base in the reservation.
    fn offset(&self, slot: u32) -> usize {
        self.pre_guard + slot as usize * (self.capacity + self.gap)
    }

    /// Why a memory of `plan` cannot live in a slot, if it cannot.
    fn misfit(&self, plan: &MemoryPlan) -> Option<String> {
        let reservation = match plan.style {
            MemoryStyle::Static { reservation } => reservation,
            MemoryStyle::Dynamic { .. } => 0,
        };
        let fits = reservation <= self.capacity as u64
            && plan.pre_guard_size <= self.pre_guard.min(self.gap) as u64
            && plan.offset_guard_size <= self.gap as u64;
        (!fits).then(|| {
            format!(
                "its layout ({:?}, guards of {} and {} bytes) does not fit a pool slot \
                 ({} bytes with {}-byte guards)",
                plan.style, plan.pre_guard_size, plan.offset_guard_size, self.capacity, self.gap
            )
        })
    }
}

impl SlotKind for MemoryRegion {
    type State = MemorySlotState;
    const WHAT: &'static str = "memory";
    const OPTION: &'static str = "total_memories";

    fn pool(pools: &InstancePool) -> &SlotPool<Self> {
        &pools.memories
    }

    fn reset(&self, slot: u32, state: &mut MemorySlotState, dirty: usize) -> bool {
        let base = self.offset(slot);
        let image = state.image.as_ref().map_or(0, |i| i.len()).min(dirty);
        let keep = self.keep_resident.min(dirty);
        if keep > image {
            // SAFETY: `[image, keep)` lies below `dirty`, the bytes the
            // tenant had committed (read-write still), inside this slot,
            // which nobody else uses while it is being reset.
            unsafe {
                std::ptr::write_bytes(self.mapping.as_ptr().add(base + image), 0, keep - image)
            };
        }
        // The image's bytes go back to the file's; the rest past what is
        // kept resident goes back to zero pages.
        let discarded = if keep > image {
            self.mapping.decommit(base, image) && self.mapping.decommit(base + keep, dirty - keep)
        } else {
            self.mapping.decommit(base, dirty)
        };
        // Only what the tenant grew past its initial size becomes
        // inaccessible again; the initial bytes stay as they are.
        let kept = state.initial.min(state.accessible);
        let uncommitted = self
            .mapping
            .uncommit(base + kept, state.accessible - kept)
            .is_ok();
        state.accessible = kept;
        discarded && uncommitted
    }

    fn cool(&self, slot: u32, state: &mut MemorySlotState) -> bool {
        let base = self.offset(slot);
        if let Some(image) = &state.image {
            if !self.mapping.reset(base, image.len()) {
                return false;
            }
            state.image = None;
        }
        // A cooled slot is all inaccessible, as a fresh one is.
        if self.mapping.uncommit(base, state.accessible).is_err() {
            return false;
        }
        state.accessible = 0;
        self.mapping
            .decommit(base, self.keep_resident.min(self.capacity))
    }
}

/// A memory living in a pool slot: never moves, grows within the slot.
pub(crate) struct PooledMemory {
    slot: Slot<MemoryRegion>,
    /// Bytes from the base that are readable and writable (page multiple).
    committed: usize,
    /// The wasm-visible size in bytes.
    byte_len: usize,
    /// The most bytes the memory may hold.
    maximum: u64,
    page_size_log2: u8,
}

// SAFETY: the memory's bytes are plain memory of the pool's reservation,
// which the slot handle keeps alive; nothing is tied to a thread.
unsafe impl Send for PooledMemory {}

impl PooledMemory {
    /// A memory of `plan.ty.minimum` pages in `slot`, never holding more
    /// than `byte_limit` bytes, starting with `image` (mapped copy-on-write,
    /// or already in place when the slot last held it) when it fits the
    /// minimum; the flag says whether it does.
    pub(crate) fn new(
        mut slot: Slot<MemoryRegion>,
        plan: &MemoryPlan,
        byte_limit: u64,
        image: Option<&Arc<MemoryImage>>,
    ) -> Result<(PooledMemory, bool)> {
        let pools = slot.pools();
        let region = &MemoryRegion::pool(&pools).kind;
        if let Some(why) = region.misfit(plan) {
            bail!("pooling allocator: {why}");
        }
        let ty = &plan.ty;
        if ty.page_size_log2 > 16 {
            bail!("memory page size 2^{} is not supported", ty.page_size_log2);
        }
        let maximum = plan
            .maximum_bytes()
            .min(byte_limit)
            .min(region.capacity as u64);
        let min_bytes = ty
            .minimum
            .checked_mul(1u64 << ty.page_size_log2)
            .filter(|b| *b <= maximum)
            .ok_or_else(|| {
                anyhow!(
                    "memory minimum of {} pages exceeds the most this memory may hold ({maximum} bytes)",
                    ty.minimum
                )
            })? as usize;
        let base = region.offset(slot.index());
        let image = image.filter(|i| round_up_to_page(min_bytes) >= Some(i.len()));
        let in_place = match (&slot.state.image, image) {
            (Some(current), Some(wanted)) => Arc::ptr_eq(current, wanted),
            _ => false,
        };
        // What the last tenant left accessible (see `MemorySlotState`),
        // kept as it is should this fail half-way.
        slot.state.initial = slot.state.accessible;
        let mut committed = slot.state.accessible;
        // An image to replace or to map: start from an all-inaccessible
        // slot. Without images on either side the accessible bytes (zero
        // pages) are kept and only resized below.
        if !in_place && (slot.state.image.is_some() || image.is_some()) {
            if let Some(old) = &slot.state.image {
                if !region.mapping.reset(base, old.len()) {
                    bail!("cannot replace a pooled memory's image: the kernel refused");
                }
                slot.state.image = None;
            }
            // The old image's pages are inaccessible now; whatever lay past
            // them goes too.
            region.mapping.uncommit(base, committed)?;
            committed = 0;
            slot.state.accessible = 0;
            slot.state.initial = 0;
            if let Some(image) = image {
                if let Err(e) =
                    region
                        .mapping
                        .map_file_over(base, image.len(), image.fd(), image.file_offset())
                {
                    // Put inaccessible memory back where the mapping failed,
                    // so the slot keeps its invariant.
                    region.mapping.reset(base, image.len());
                    return Err(e);
                }
                slot.state.image = Some(image.clone());
                committed = image.len();
                slot.state.accessible = committed;
                slot.dirtied(committed);
            }
        }
        let mut memory = PooledMemory {
            slot,
            committed,
            byte_len: 0,
            maximum,
            page_size_log2: ty.page_size_log2,
        };
        // Accessible past this memory's minimum (a larger last tenant):
        // inaccessible again, since compiled code relies on the fault.
        let initial =
            round_up_to_page(min_bytes).ok_or_else(|| anyhow!("memory size overflows"))?;
        if memory.committed > initial {
            region
                .mapping
                .uncommit(base + initial, memory.committed - initial)?;
            memory.committed = initial;
            memory.slot.state.accessible = initial;
        }
        // The tenant may write everything accessible at the start.
        memory.slot.dirtied(memory.committed);
        memory.commit_to(min_bytes)?;
        memory.byte_len = min_bytes;
        memory.slot.state.initial = memory.committed;
        Ok((memory, image.is_some()))
    }

    fn region(&self) -> &MemoryRegion {
        self.slot.kind()
    }

    /// Makes the first `bytes` bytes (rounded to pages) readable and
    /// writable.
    fn commit_to(&mut self, bytes: usize) -> Result<()> {
        let target = round_up_to_page(bytes).ok_or_else(|| anyhow!("memory size overflows"))?;
        if target > self.committed {
            let base = self.region().offset(self.slot.index());
            self.region()
                .mapping
                .commit(base + self.committed, target - self.committed)?;
            self.committed = target;
            self.slot.state.accessible = target;
            self.slot.dirtied(target);
        }
        Ok(())
    }

    pub(crate) fn base(&self) -> *mut u8 {
        let offset = self.region().offset(self.slot.index());
        // SAFETY: the slot's base lies inside the reservation.
        unsafe { self.region().mapping.as_ptr().add(offset) }
    }

    pub(crate) fn byte_len(&self) -> usize {
        self.byte_len
    }

    pub(crate) fn pages(&self) -> u64 {
        (self.byte_len >> self.page_size_log2) as u64
    }

    /// Grows by `delta` pages within the slot; the old size in pages.
    pub(crate) fn grow(&mut self, delta: u64) -> Result<u64> {
        let old_pages = self.pages();
        // `maximum` is the slot's: the pool's `max_memory_size` at most.
        let new_bytes = grown_byte_len(old_pages, delta, self.page_size_log2, self.maximum)?;
        self.commit_to(new_bytes)?;
        self.byte_len = new_bytes;
        Ok(old_pages)
    }
}
