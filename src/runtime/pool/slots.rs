//! One pool of fixed slots: taking and giving back slots, batched resets,
//! and the exhaustion error. What a slot is (memory, table, `VMContext`)
//! and how it is reset is the `SlotKind`'s.
//!
//! A slot's life: free (in the `SlotIndex`) → taken by an instantiation
//! (owned by one `Slot` handle, used by one memory, table or instance) →
//! released when that object's store drops it → reset (its contents made
//! what a free slot holds: zero, or the copy-on-write image it keeps) →
//! free again. With `decommit_batch_size` N > 1, released slots wait in
//! `pending` until N are there and are then reset together; a `take` that
//! finds no free slot resets the pending ones first, so batching never
//! causes an exhaustion error.

use super::index::{Affinity, SlotIndex};
use super::InstancePool;
use crate::environ::error::Error;
use std::sync::{Arc, Mutex, MutexGuard};

/// What one pool's slots are, and how they are reset between tenants.
pub(crate) trait SlotKind: Sized + Send + Sync + 'static {
    /// What a free slot keeps between tenants (a memory's mapped image).
    type State: Default + Send;
    /// The resource, as the exhaustion error names it ("memory").
    const WHAT: &'static str;
    /// The option that sets how many slots there are ("total_memories").
    const OPTION: &'static str;

    /// This kind's pool among the engine's pools.
    fn pool(pools: &InstancePool) -> &SlotPool<Self>;

    /// Makes the first `dirty` bytes of `slot` what a free slot holds
    /// (zero, or the image in `state`), keeping the configured
    /// kept-resident bytes resident. False when the kernel refused: the
    /// slot is then retired (never handed out again).
    fn reset(&self, slot: u32, state: &mut Self::State, dirty: usize) -> bool;

    /// Drops what a warm slot kept (an image, resident pages), so that it
    /// holds nothing of its last tenant; false when the kernel refused.
    fn cool(&self, slot: u32, state: &mut Self::State) -> bool;
}

/// A released slot waiting for its reset.
struct Released<S> {
    slot: u32,
    affinity: Affinity,
    state: S,
    dirty: usize,
}

struct Inner<S> {
    index: SlotIndex<S>,
    pending: Vec<Released<S>>,
}

/// The slots of one kind, and the work of handing them out.
pub(crate) struct SlotPool<K: SlotKind> {
    pub(crate) kind: K,
    total: u32,
    batch: usize,
    inner: Mutex<Inner<K::State>>,
}

impl<K: SlotKind> SlotPool<K> {
    /// `total` cold slots of `kind`, at most `max_warm` of them warm once
    /// free, reset `batch` at a time.
    pub(crate) fn new(kind: K, total: u32, max_warm: u32, batch: usize) -> SlotPool<K> {
        SlotPool {
            kind,
            total,
            batch: batch.max(1),
            inner: Mutex::new(Inner {
                index: SlotIndex::new(total, max_warm),
                pending: Vec::new(),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner<K::State>> {
        // Every update leaves the index consistent (a slot is moved in one
        // step), so a panic under the lock leaves nothing half done.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes a free slot for a tenant of `affinity`; the `ImplLimit` error
    /// names the resource and its configured total when none is free.
    fn take(&self, affinity: Affinity) -> Result<(u32, K::State), Error> {
        let mut inner = self.lock();
        if let Some(t) = inner.index.take(affinity) {
            return Ok((t.slot, t.state));
        }
        if !inner.pending.is_empty() {
            self.flush(&mut inner);
            if let Some(t) = inner.index.take(affinity) {
                return Ok((t.slot, t.state));
            }
        }
        let message = format!(
            "pooling allocator: all {} {} slots are in use ({})",
            self.total,
            K::WHAT,
            K::OPTION
        );
        Err(Error::impl_limit(K::OPTION, message))
    }

    /// Gives back `slot` after its tenant (of `affinity`) dirtied its first
    /// `dirty` bytes.
    fn give(&self, slot: u32, affinity: Affinity, mut state: K::State, dirty: usize) {
        if self.batch == 1 {
            // The slot is still ours alone: reset it without the lock.
            if !self.kind.reset(slot, &mut state, dirty) {
                return;
            }
            let mut inner = self.lock();
            self.make_free(&mut inner, slot, affinity, state);
            return;
        }
        let mut inner = self.lock();
        inner.pending.push(Released {
            slot,
            affinity,
            state,
            dirty,
        });
        if inner.pending.len() >= self.batch {
            self.flush(&mut inner);
        }
    }

    /// Resets every pending slot and makes it free.
    fn flush(&self, inner: &mut Inner<K::State>) {
        for mut r in std::mem::take(&mut inner.pending) {
            if self.kind.reset(r.slot, &mut r.state, r.dirty) {
                self.make_free(inner, r.slot, r.affinity, r.state);
            }
        }
    }

    /// Puts a reset slot among the warm ones, cooling the slot that falls
    /// out of the warm set.
    fn make_free(
        &self,
        inner: &mut Inner<K::State>,
        slot: u32,
        affinity: Affinity,
        state: K::State,
    ) {
        if let Some((victim, mut state)) = inner.index.give(slot, affinity, state) {
            if self.kind.cool(victim, &mut state) {
                inner.index.cooled(victim);
            }
        }
    }
}

/// One taken slot of kind `K`; gives it back (to be reset) on drop.
pub(crate) struct Slot<K: SlotKind> {
    pools: Arc<InstancePool>,
    index: u32,
    affinity: Affinity,
    /// What the slot kept from its last tenant, updated by the owner.
    pub(crate) state: K::State,
    /// Bytes from the slot's start its tenant may have written.
    dirty: usize,
}

impl<K: SlotKind> Slot<K> {
    /// Takes a slot of kind `K` from `pools` for an instance of `affinity`.
    pub(crate) fn take(pools: &Arc<InstancePool>, affinity: Affinity) -> Result<Slot<K>, Error> {
        let (index, state) = K::pool(pools).take(affinity)?;
        Ok(Slot {
            pools: pools.clone(),
            index,
            affinity,
            state,
            dirty: 0,
        })
    }

    pub(crate) fn index(&self) -> u32 {
        self.index
    }

    /// The slot's kind, for its geometry.
    pub(crate) fn kind(&self) -> &K {
        &K::pool(&self.pools).kind
    }

    /// The pools the slot belongs to (for borrowing its kind while the
    /// slot itself is changed).
    pub(crate) fn pools(&self) -> Arc<InstancePool> {
        self.pools.clone()
    }

    /// Records that the tenant may have written the first `bytes` bytes
    /// (the most recorded wins).
    pub(crate) fn dirtied(&mut self, bytes: usize) {
        self.dirty = self.dirty.max(bytes);
    }
}

impl<K: SlotKind> Drop for Slot<K> {
    fn drop(&mut self) {
        let state = std::mem::take(&mut self.state);
        K::pool(&self.pools).give(self.index, self.affinity, state, self.dirty);
    }
}
