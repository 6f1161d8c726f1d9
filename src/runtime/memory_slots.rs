//! Reuse of static memory reservations between instances.
//!
//! A static memory reserves its whole capacity plus guard regions (by
//! default 2 GiB + 4 GiB + 2 GiB of address space). Creating and
//! destroying that mapping for every instance costs the kernel far more
//! than the memory's few used pages do, so when a static memory is dropped
//! its reservation is reset and kept here for the next memory of the same
//! shape: the used range is replaced by fresh inaccessible anonymous
//! memory (one `mmap(MAP_FIXED)`, which also discards the dirtied pages and
//! any copy-on-write image mapping), so a reused slot is indistinguishable
//! from a fresh reservation: PROT_NONE everywhere, reading zero once
//! committed.

use super::mmap::Mmap;
use std::sync::Mutex;

/// The most reservations kept per engine. Each is only address space, but
/// several gigabytes of it; a handful covers instantiate/drop loops.
const MAX_FREE_SLOTS: usize = 16;

/// The size of a reservation's parts: (pre-guard, capacity, offset guard).
pub(crate) type SlotShape = (usize, usize, usize);

/// An engine's free static memory reservations.
#[derive(Default)]
pub(crate) struct SlotCache {
    free: Mutex<Vec<(SlotShape, Mmap)>>,
}

impl SlotCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(SlotShape, Mmap)>> {
        // A panic while holding the lock leaves the list valid.
        self.free.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A reset reservation of `shape`, if one is free.
    pub(crate) fn take(&self, shape: SlotShape) -> Option<Mmap> {
        let mut free = self.lock();
        let i = free.iter().rposition(|(s, _)| *s == shape)?;
        Some(free.swap_remove(i).1)
    }

    /// Keeps `mapping` (of `shape`) for reuse after making its first
    /// `used` bytes past the pre-guard inaccessible zero memory again;
    /// unmaps it instead when the cache is full or the reset fails.
    pub(crate) fn give(&self, shape: SlotShape, mapping: Mmap, used: usize) {
        if self.lock().len() >= MAX_FREE_SLOTS || !mapping.reset(shape.0, used) {
            return;
        }
        let mut free = self.lock();
        if free.len() < MAX_FREE_SLOTS {
            free.push((shape, mapping));
        }
    }
}
