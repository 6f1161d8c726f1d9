//! Which slots of one pool are free, and which free slots are warm.
//!
//! A free slot is either *cold* (never used, or cooled: it holds nothing
//! of a previous tenant, not even resident pages) or *warm* (recently
//! released: it may keep resident pages and, for memories, the
//! copy-on-write image of the module it last served, so the next instance
//! of that module needs no `mmap`). At most `max_warm` slots are warm; the
//! oldest warm slot is cooled when one more is released.
//!
//! Taking a slot for a module prefers, in order: the most recently released
//! warm slot that last served the same module (its image is in place), a
//! cold slot (no image to replace), then the oldest warm slot of another
//! module (whose leftovers the taker must replace). Pure bookkeeping: the
//! memory work of cooling and replacing is the caller's.

use std::collections::VecDeque;

/// What a module is known by for slot affinity (its code id).
pub(crate) type Affinity = usize;

/// A free warm slot: its index, the module it last served, and what it
/// kept of that tenant (`S`).
struct Warm<S> {
    slot: u32,
    affinity: Affinity,
    state: S,
}

/// A slot handed out by `SlotIndex::take`.
pub(crate) struct Taken<S> {
    pub(crate) slot: u32,
    /// What the slot kept from its last tenant (`S::default()` for a cold
    /// slot); whether that tenant was the same module shows in it (a
    /// memory's image is the module's own or not).
    pub(crate) state: S,
}

/// The free slots of one pool of `total` slots.
///
/// Invariant: every slot index below `total` is in exactly one of `cold`,
/// `warm`, or the hands of a taker; `warm.len() <= max_warm`.
pub(crate) struct SlotIndex<S> {
    /// Cold free slots; popped from the end, so low indices go first.
    cold: Vec<u32>,
    /// Warm free slots, oldest release first.
    warm: VecDeque<Warm<S>>,
    max_warm: usize,
}

impl<S: Default> SlotIndex<S> {
    /// `total` cold slots, of which at most `max_warm` may be warm later.
    pub(crate) fn new(total: u32, max_warm: u32) -> SlotIndex<S> {
        SlotIndex {
            cold: (0..total).rev().collect(),
            warm: VecDeque::new(),
            max_warm: max_warm as usize,
        }
    }

    /// A free slot for a tenant of `affinity`, or `None` when every slot is
    /// taken.
    pub(crate) fn take(&mut self, affinity: Affinity) -> Option<Taken<S>> {
        if let Some(i) = self.warm.iter().rposition(|w| w.affinity == affinity) {
            let w = self.warm.remove(i)?;
            return Some(Taken {
                slot: w.slot,
                state: w.state,
            });
        }
        if let Some(slot) = self.cold.pop() {
            return Some(Taken {
                slot,
                state: S::default(),
            });
        }
        let w = self.warm.pop_front()?;
        Some(Taken {
            slot: w.slot,
            state: w.state,
        })
    }

    /// Gives back `slot`, last used by `affinity` and keeping `state`, as
    /// the newest warm slot. Returns the slot that must be cooled to keep
    /// at most `max_warm` warm (possibly `slot` itself); the caller cools
    /// it and hands it to `cooled`.
    pub(crate) fn give(&mut self, slot: u32, affinity: Affinity, state: S) -> Option<(u32, S)> {
        self.warm.push_back(Warm {
            slot,
            affinity,
            state,
        });
        if self.warm.len() > self.max_warm {
            let oldest = self.warm.pop_front()?;
            return Some((oldest.slot, oldest.state));
        }
        None
    }

    /// Records `slot`, cooled by the caller, as cold.
    pub(crate) fn cooled(&mut self, slot: u32) {
        self.cold.push(slot);
    }

    /// How many slots are free (warm or cold).
    #[cfg(test)]
    pub(crate) fn free(&self) -> usize {
        self.cold.len() + self.warm.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cold_slots_go_in_index_order_and_run_out() {
        let mut index = SlotIndex::<()>::new(3, 10);
        let slots: Vec<u32> = (0..3).map(|_| index.take(7).unwrap().slot).collect();
        assert_eq!(slots, [0, 1, 2]);
        assert!(index.take(7).is_none());
    }

    #[test]
    fn a_module_gets_back_the_slot_it_last_used() {
        let mut index = SlotIndex::<u8>::new(4, 10);
        let a = index.take(1).unwrap().slot;
        let b = index.take(2).unwrap().slot;
        assert!(index.give(a, 1, 11).is_none());
        assert!(index.give(b, 2, 22).is_none());
        let again = index.take(1).unwrap();
        assert_eq!((again.slot, again.state), (a, 11));
        // Another module takes a cold slot before stealing b.
        let other = index.take(3).unwrap();
        assert_eq!(other.state, 0, "a cold slot");
        assert_ne!(other.slot, b);
        assert_eq!(index.free(), 2);
    }

    #[test]
    fn the_oldest_warm_slot_is_stolen_last_and_cooled_first() {
        let mut index = SlotIndex::<u8>::new(2, 1);
        let a = index.take(1).unwrap().slot;
        let b = index.take(2).unwrap().slot;
        assert!(index.give(a, 1, 1).is_none());
        // One warm slot at most: giving b cools a.
        assert_eq!(index.give(b, 2, 2), Some((a, 1)));
        index.cooled(a);
        let next = index.take(3).unwrap();
        assert_eq!((next.slot, next.state), (a, 0), "the cold slot first");
        let stolen = index.take(3).unwrap();
        assert_eq!((stolen.slot, stolen.state), (b, 2), "b with what it kept");
    }

    #[test]
    fn no_warm_slots_means_every_release_cools() {
        let mut index = SlotIndex::<u8>::new(1, 0);
        let a = index.take(1).unwrap().slot;
        assert_eq!(index.give(a, 1, 5), Some((a, 5)));
        index.cooled(a);
        assert_eq!(index.take(1).unwrap().state, 0, "cooled: nothing kept");
    }
}
