//! The pool's tables: one read-write reservation carved into slots of
//! `table_elements` pointer-sized elements, and the element storage of a
//! table living in one.
//!
//! Invariant of a free slot: every byte is zero (every element null),
//! except in a warm slot that keeps a template (`TableSlotState::kept`):
//! its first `len` elements are then exactly that template's items (the
//! initial elements of the module's table for one `VMContext` address) and
//! the rest is zero. That is the table's counterpart of a memory slot
//! keeping its copy-on-write image: a released table whose elements are
//! still exactly its initial ones (checked element by element) is left as
//! it is, and the next instance of the same module in the same `VMContext`
//! slot, the usual case of a warm slot, writes nothing. Any other release
//! is reset: the first `table_keep_resident` bytes are zeroed by hand (they
//! stay resident) and the rest of what the tenant used goes back to the
//! kernel with `madvise(MADV_DONTNEED)`, which makes it read zero.
//!
//! With `table_lazy_init` a funcref table gets no template here: its
//! elements start zero ("not initialised yet", see `table::Encoding`), so
//! a fresh slot is already right and a released one is always reset.

use super::slots::{Slot, SlotKind, SlotPool};
use super::InstancePool;
use crate::runtime::init_plan::TableTemplate;
use crate::runtime::mmap::{round_up_to_page, Mmap};
use anyhow::Result;
use std::ptr::NonNull;

/// The reservation of every pooled table.
pub(crate) struct TableRegion {
    mapping: Mmap,
    /// Bytes per slot (a page multiple).
    slot_bytes: usize,
    /// Elements each slot holds.
    elements: usize,
    /// Bytes of a released table kept resident (a page multiple).
    keep_resident: usize,
}

/// What a free table slot keeps between tenants: the template its
/// elements hold, if they hold one (see the module documentation).
#[derive(Default)]
pub(crate) struct TableSlotState {
    kept: Option<TableTemplate>,
}

impl TableRegion {
    /// Zeroes the first `dirty` bytes of `slot`: by hand up to the
    /// kept-resident size, with `madvise` past it.
    fn clear(&self, slot: u32, dirty: usize) -> bool {
        let dirty = round_up_to_page(dirty)
            .unwrap_or(self.slot_bytes)
            .min(self.slot_bytes);
        let keep = self.keep_resident.min(dirty);
        let base = self.offset(slot);
        // SAFETY: `[base, base + keep)` lies inside this slot of the
        // read-write reservation, which nobody else uses while it is
        // cleared (it is being reset, or its taker has not used it yet).
        unsafe { std::ptr::write_bytes(self.mapping.as_ptr().add(base), 0, keep) };
        self.mapping.decommit(base + keep, dirty - keep)
    }

    /// Bytes of one slot of `elements` elements, or `None` on overflow.
    pub(crate) fn slot_bytes(elements: usize) -> Option<usize> {
        round_up_to_page(elements.checked_mul(std::mem::size_of::<usize>())?)
    }

    /// Reserves `slots` slots of `elements` elements, read-write (pages are
    /// only backed once written).
    pub(crate) fn new(slots: u32, elements: usize, keep_resident: usize) -> Result<TableRegion> {
        let slot_bytes = Self::slot_bytes(elements)
            .ok_or_else(|| anyhow::anyhow!("the size overflows the address space"))?;
        let total = slot_bytes
            .checked_mul(slots as usize)
            .ok_or_else(|| anyhow::anyhow!("the size overflows the address space"))?;
        let mapping = if total == 0 {
            Mmap::empty()
        } else {
            let mapping = Mmap::reserve(total)?;
            mapping.commit(0, total)?;
            mapping
        };
        Ok(TableRegion {
            mapping,
            slot_bytes,
            elements,
            keep_resident: round_up_to_page(keep_resident).unwrap_or(usize::MAX),
        })
    }

    fn offset(&self, slot: u32) -> usize {
        slot as usize * self.slot_bytes
    }
}

impl SlotKind for TableRegion {
    type State = TableSlotState;
    const WHAT: &'static str = "table";
    const OPTION: &'static str = "total_tables";

    fn pool(pools: &InstancePool) -> &SlotPool<Self> {
        &pools.tables
    }

    fn reset(&self, slot: u32, state: &mut TableSlotState, dirty: usize) -> bool {
        // A kept template is what the slot should hold: nothing to reset.
        state.kept.is_some() || self.clear(slot, dirty)
    }

    fn cool(&self, slot: u32, state: &mut TableSlotState) -> bool {
        if let Some(kept) = &state.kept {
            if !self.clear(slot, kept.items().len() * std::mem::size_of::<usize>()) {
                return false;
            }
            state.kept = None;
        }
        let keep = self.keep_resident.min(self.slot_bytes);
        self.mapping.decommit(self.offset(slot), keep)
    }
}

/// The elements of a table living in a pool slot: fixed capacity, never
/// reallocated. Elements past the length are zero (the free-slot
/// invariant, kept because writes only happen below the length and the
/// length never shrinks).
pub(crate) struct PooledElements {
    slot: Slot<TableRegion>,
    base: NonNull<usize>,
    len: usize,
    /// The template the elements started as, kept by the slot on release
    /// when they still are exactly it.
    template: Option<TableTemplate>,
}

// SAFETY: the elements are plain memory of the pool's reservation, which
// the slot handle keeps alive; nothing is tied to a thread.
unsafe impl Send for PooledElements {}

impl PooledElements {
    /// `len` elements in `slot`: `template`'s items (exactly `len`), else
    /// null; `None` when they do not fit or the slot cannot be cleared.
    pub(crate) fn new(
        mut slot: Slot<TableRegion>,
        len: usize,
        template: Option<TableTemplate>,
    ) -> Option<PooledElements> {
        let pools = slot.pools();
        let region = &TableRegion::pool(&pools).kind;
        if len > region.elements || template.as_ref().is_some_and(|t| t.items().len() != len) {
            return None;
        }
        // SAFETY: the slot's offset lies inside the reservation.
        let ptr = unsafe { region.mapping.as_ptr().add(region.offset(slot.index())) };
        let base = NonNull::new(ptr.cast::<usize>())?;
        let in_place = match (&slot.state.kept, &template) {
            (Some(kept), Some(wanted)) => kept.same(wanted),
            _ => false,
        };
        if let (false, Some(kept)) = (in_place, &slot.state.kept) {
            // Another template's elements: back to null first.
            if !region.clear(
                slot.index(),
                kept.items().len() * std::mem::size_of::<usize>(),
            ) {
                return None;
            }
        }
        slot.state.kept = None;
        let mut elements = PooledElements {
            slot,
            base,
            len: 0,
            template: None,
        };
        elements.set_len(len);
        if let Some(t) = &template {
            if !in_place {
                t.items().write_to(t.vmctx, elements.as_mut_slice());
            }
        }
        elements.template = template;
        Some(elements)
    }

    /// The most elements the slot holds.
    pub(crate) fn capacity(&self) -> usize {
        self.slot.kind().elements
    }

    fn set_len(&mut self, len: usize) {
        self.len = len;
        self.slot.dirtied(len * std::mem::size_of::<usize>());
    }

    pub(crate) fn as_slice(&self) -> &[usize] {
        // SAFETY: the first `len` elements lie in the slot, which is
        // read-write and ours; zero bytes are valid `usize`s.
        unsafe { std::slice::from_raw_parts(self.base.as_ptr(), self.len) }
    }

    pub(crate) fn as_mut_slice(&mut self) -> &mut [usize] {
        // SAFETY: as in `as_slice`; `&mut self` makes the borrow unique.
        unsafe { std::slice::from_raw_parts_mut(self.base.as_ptr(), self.len) }
    }

    /// Grows to `len` elements, the new ones `init`; `None` past the slot.
    pub(crate) fn grow(&mut self, len: usize, init: usize) -> Option<()> {
        if len > self.capacity() {
            return None;
        }
        let old = self.len;
        self.set_len(len.max(old));
        if init != 0 {
            self.as_mut_slice()[old..].fill(init);
        }
        Some(())
    }
}

impl Drop for PooledElements {
    fn drop(&mut self) {
        // Still exactly the initial elements: the slot keeps them for the
        // next instance of the module (see the module documentation).
        if let Some(t) = self.template.take() {
            if t.holds(self.as_slice()) {
                self.slot.state.kept = Some(t);
            }
        }
    }
}
