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
//! still exactly its initial ones is left as it is, and the next instance
//! of the same module in the same `VMContext` slot, the usual case of a
//! warm slot, writes nothing.
//!
//! A release resets only what its tenant may have changed. The table
//! records, as one range of element indices, every element a runtime path
//! wrote (`PooledElements::writing`: `table.set` from the host, the lazy
//! initialisation of a funcref element, `table.fill`, `table.copy`,
//! `table.grow` with a non-null value; and, whole, anything that takes
//! the elements as a mutable slice: `table.init`, element segments at
//! instantiation). Compiled code stores `table.set` straight into the
//! elements, which no runtime path sees, so a table compiled code may store
//! into counts as written everywhere below its length (`code_stores`):
//! unless its table is known to be stored into by no compiled code, the
//! whole table is reset as before. The range (and the template's elements
//! when the slot does not keep them) is zeroed by hand where it lies in the
//! first `table_keep_resident` bytes, which stay resident, and goes back to
//! the kernel with `madvise(MADV_DONTNEED)` past them (which makes it read
//! zero); a table nobody wrote needs neither, so its release makes no
//! system call.
//!
//! With `table_lazy_init` a funcref table gets no template here: its
//! elements start zero ("not initialised yet", see `table::Encoding`), so
//! a fresh slot is already right, and a released one still is when
//! nothing initialised or wrote any of its elements.

use super::slots::{Slot, SlotKind, SlotPool};
use super::InstancePool;
use crate::runtime::init_plan::TableTemplate;
use crate::runtime::mmap::{host_page_size, round_up_to_page, Mmap};
use anyhow::Result;
use std::ops::Range;
use std::ptr::NonNull;

/// Bytes per element.
const ELEMENT: usize = std::mem::size_of::<usize>();

#[cfg(test)]
thread_local! {
    static KERNEL_CLEARS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// How many table slot clears on this thread went to the kernel
/// (`madvise`): a test hook.
#[cfg(test)]
pub(crate) fn kernel_clears_on_this_thread() -> u64 {
    KERNEL_CLEARS.with(std::cell::Cell::get)
}

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
    /// Set by the last tenant's elements when they were dropped: the bytes
    /// of the slot that may differ from what a free slot holds (see the
    /// module documentation). `None` (no elements were made, or they were
    /// never dropped) resets everything the slot handle counts as dirty.
    changed: Option<Range<usize>>,
}

impl TableRegion {
    /// Zeroes the first `dirty` bytes of `slot` (see `clear_range`).
    fn clear(&self, slot: u32, dirty: usize) -> bool {
        self.clear_range(slot, 0..dirty)
    }

    /// Zeroes bytes `range` of `slot`, whose other bytes are zero already:
    /// by hand where they lie below the kept-resident size, with `madvise`
    /// past it (whole pages, the ends rounded outwards).
    fn clear_range(&self, slot: u32, range: Range<usize>) -> bool {
        let end = range.end.min(self.slot_bytes);
        let start = range.start.min(end);
        if start == end {
            return true;
        }
        let base = self.offset(slot);
        let by_hand = start..end.min(self.keep_resident);
        if !by_hand.is_empty() {
            // SAFETY: `by_hand` lies inside this slot of the read-write
            // reservation, which nobody else uses while it is cleared (it
            // is being reset, or its taker has not used it yet). Never
            // called for no bytes: a zero-length AVX-512 masked store
            // into a page that is not mapped in costs a microcode assist.
            unsafe {
                std::ptr::write_bytes(
                    self.mapping.as_ptr().add(base + by_hand.start),
                    0,
                    by_hand.len(),
                )
            };
        }
        let page = host_page_size();
        // The slot is a page multiple, so rounding up stays inside it.
        let from = (start.max(self.keep_resident) / page) * page;
        let to = round_up_to_page(end).unwrap_or(self.slot_bytes);
        if from >= to {
            return true;
        }
        #[cfg(test)]
        KERNEL_CLEARS.with(|c| c.set(c.get() + 1));
        self.mapping.decommit(base + from, to - from)
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
        let changed = state.changed.take();
        // A kept template is what the slot should hold: nothing to reset
        // (its elements checked that nothing else changed).
        if state.kept.is_some() {
            return true;
        }
        // What the elements say changed lies within what the slot handle
        // counts as dirty; without their word, all of that.
        let range = changed.map_or(0..dirty, |r| r.start.min(dirty)..r.end.min(dirty));
        self.clear_range(slot, range)
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
    /// The elements that may differ from what they were made with (the
    /// template's items, else null), as a range of indices (empty: none),
    /// by every runtime path; compiled code's stores are `code_stores`.
    written: Range<usize>,
    /// Whether compiled code may store into the elements (`table.set`),
    /// which `written` cannot see: then every element counts as written.
    code_stores: bool,
}

// SAFETY: the elements are plain memory of the pool's reservation, which
// the slot handle keeps alive; nothing is tied to a thread.
unsafe impl Send for PooledElements {}

impl PooledElements {
    /// `len` elements in `slot`: `template`'s items (exactly `len`), else
    /// null; `None` when they do not fit or the slot cannot be cleared.
    /// Compiled code is assumed to store into them (`code_stores`) until
    /// told otherwise.
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
        let kept = slot.state.kept.take();
        let in_place = match (&kept, &template) {
            (Some(kept), Some(wanted)) => kept.same(wanted),
            _ => false,
        };
        if let (false, Some(kept)) = (in_place, &kept) {
            // Another template's elements: back to null first. They count
            // as dirty from here, so a slot the kernel refuses to clear is
            // reset again (and retired if refused again) when it goes back.
            let bytes = kept.items().len() * ELEMENT;
            slot.dirtied(bytes);
            if !region.clear(slot.index(), bytes) {
                return None;
            }
        }
        let mut elements = PooledElements {
            slot,
            base,
            len: 0,
            template: None,
            written: 0..0,
            code_stores: true,
        };
        elements.set_len(len);
        if let Some(t) = &template {
            if !in_place {
                // SAFETY: the first `len` elements lie in the slot, which
                // is ours; the template's initial items are not a change
                // (`written`), but are reset with the rest unless kept.
                let all = unsafe { elements.slice_mut() };
                t.items().write_to(t.vmctx, all);
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
        self.slot.dirtied(len * ELEMENT);
    }

    /// Records whether compiled code may store into the elements directly
    /// (see `code_stores`).
    pub(crate) fn set_code_stores(&mut self, stores: bool) {
        self.code_stores = stores;
    }

    /// The first element, for compiled code (which may store through it
    /// only when `code_stores` says so).
    pub(crate) fn base(&self) -> *mut usize {
        self.base.as_ptr()
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn as_slice(&self) -> &[usize] {
        // SAFETY: the first `len` elements lie in the slot, which is
        // read-write and ours; zero bytes are valid `usize`s.
        unsafe { std::slice::from_raw_parts(self.base.as_ptr(), self.len) }
    }

    /// The elements, for writes anywhere in them: every one counts as
    /// written.
    pub(crate) fn as_mut_slice(&mut self) -> &mut [usize] {
        self.writing(0..self.len)
    }

    /// The elements, for writes to those of `range` only (which then count
    /// as written): the caller writes nothing else. A write outside it
    /// would survive into the next tenant of the slot.
    pub(crate) fn writing(&mut self, range: Range<usize>) -> &mut [usize] {
        let range = range.start.min(self.len)..range.end.min(self.len);
        if !range.is_empty() {
            self.written = if self.written.is_empty() {
                range
            } else {
                self.written.start.min(range.start)..self.written.end.max(range.end)
            };
        }
        // SAFETY: `&mut self` makes the borrow unique.
        unsafe { self.slice_mut() }
    }

    /// # Safety
    /// The caller records what it writes (or writes what the slot resets
    /// anyway); the borrow is unique while it lives (`&mut self`).
    unsafe fn slice_mut(&mut self) -> &mut [usize] {
        // SAFETY: as in `as_slice`; `&mut self` makes the borrow unique.
        unsafe { std::slice::from_raw_parts_mut(self.base.as_ptr(), self.len) }
    }

    /// Every element the slot holds, as stored (past the length too): a
    /// test hook.
    #[cfg(test)]
    pub(crate) fn whole_slot(&self) -> Vec<usize> {
        // SAFETY: the slot's `capacity` elements lie in the read-write
        // reservation and are ours; read while nothing writes them.
        unsafe { std::slice::from_raw_parts(self.base.as_ptr(), self.capacity()) }.to_vec()
    }

    /// Grows to `len` elements, the new ones `init`; `None` past the slot.
    pub(crate) fn grow(&mut self, len: usize, init: usize) -> Option<()> {
        if len > self.capacity() {
            return None;
        }
        let old = self.len;
        self.set_len(len.max(old));
        if init != 0 {
            let new = old..self.len;
            self.writing(new.clone())[new].fill(init);
        }
        Some(())
    }

    /// The elements that may differ from a free slot's contents: every one
    /// when compiled code may have stored into them, else those written
    /// plus the template's items (which the slot keeps or resets).
    fn changed(&self) -> Range<usize> {
        if self.code_stores {
            return 0..self.len;
        }
        match &self.template {
            Some(t) if !self.written.is_empty() => 0..self.written.end.max(t.items().len()),
            Some(t) => 0..t.items().len(),
            None => self.written.clone(),
        }
    }
}

impl Drop for PooledElements {
    fn drop(&mut self) {
        let changed = self.changed();
        // Still exactly the initial elements (nothing wrote them, or they
        // compare equal): the slot keeps them for the next instance of the
        // module (see the module documentation).
        if let Some(t) = self.template.take() {
            let untouched = !self.code_stores && self.written.is_empty();
            if untouched || t.holds(self.as_slice()) {
                self.slot.state.kept = Some(t);
                self.slot.state.changed = Some(0..0);
                return;
            }
        }
        self.slot.state.changed = Some(changed.start * ELEMENT..changed.end * ELEMENT);
    }
}
