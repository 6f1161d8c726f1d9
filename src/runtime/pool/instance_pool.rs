//! The pool's instance state: one read-write reservation carved into
//! slots of `max_core_instance_size` bytes, each holding one `VMContext`.
//!
//! Invariant of a free slot: every byte is zero, as a fresh `VMContext`
//! must be. A released slot is zeroed by hand up to what its instance
//! used (a `VMContext` is usually a few hundred bytes, far cheaper to
//! clear than to `madvise`); past `ZERO_BY_HAND` bytes the rest goes back
//! to the kernel instead.

use super::slots::{SlotKind, SlotPool};
use super::InstancePool;
use crate::runtime::mmap::{round_up_to_page, Mmap};
use anyhow::Result;

/// Bytes of a released `VMContext` cleared with a plain write; the rest is
/// discarded with `madvise`.
const ZERO_BY_HAND: usize = 64 << 10;

/// The reservation of every pooled `VMContext`.
pub(crate) struct InstanceRegion {
    mapping: Mmap,
    /// Bytes per slot (a page multiple, so slots are 16-byte aligned).
    slot_bytes: usize,
}

impl InstanceRegion {
    /// Bytes of one slot for `max_core_instance_size`, or `None` on overflow.
    pub(crate) fn slot_bytes(max_core_instance_size: usize) -> Option<usize> {
        round_up_to_page(max_core_instance_size.max(16))
    }

    /// Reserves `slots` slots for `VMContext`s of up to `max_size` bytes,
    /// read-write (pages are only backed once written).
    pub(crate) fn new(slots: u32, max_size: usize) -> Result<InstanceRegion> {
        let overflow = || anyhow::anyhow!("the size overflows the address space");
        let slot_bytes = Self::slot_bytes(max_size).ok_or_else(overflow)?;
        let total = slot_bytes
            .checked_mul(slots as usize)
            .ok_or_else(overflow)?;
        let mapping = Mmap::reserve(total)?;
        mapping.commit(0, total)?;
        Ok(InstanceRegion {
            mapping,
            slot_bytes,
        })
    }

    /// The start of slot `slot` (16-byte aligned, `slot_bytes` long).
    pub(crate) fn slot_ptr(&self, slot: u32) -> *mut u8 {
        // SAFETY: every slot index the pool hands out is below the count
        // the reservation was made for.
        unsafe { self.mapping.as_ptr().add(slot as usize * self.slot_bytes) }
    }

    /// Bytes per slot.
    pub(crate) fn capacity(&self) -> usize {
        self.slot_bytes
    }
}

impl SlotKind for InstanceRegion {
    type State = ();
    const WHAT: &'static str = "instance";
    const OPTION: &'static str = "total_core_instances";

    fn pool(pools: &InstancePool) -> &SlotPool<Self> {
        &pools.instances
    }

    fn reset(&self, slot: u32, _: &mut (), dirty: usize) -> bool {
        let dirty = dirty.min(self.slot_bytes);
        let by_hand = dirty.min(ZERO_BY_HAND);
        // SAFETY: the first `by_hand` bytes of this slot lie inside the
        // read-write reservation, and nobody uses the slot while it is reset.
        unsafe { std::ptr::write_bytes(self.slot_ptr(slot), 0, by_hand) };
        if dirty == by_hand {
            return true;
        }
        let end = round_up_to_page(dirty).unwrap_or(self.slot_bytes);
        let start = slot as usize * self.slot_bytes;
        self.mapping.decommit(start + by_hand, end - by_hand)
    }

    fn cool(&self, slot: u32, _: &mut ()) -> bool {
        let start = slot as usize * self.slot_bytes;
        self.mapping
            .decommit(start, ZERO_BY_HAND.min(self.slot_bytes))
    }
}
