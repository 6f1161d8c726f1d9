//! The limits of the pooling allocation strategy (`allocation_strategy`).
//!
//! Memories, tables and instances are still mapped on demand (fresh zero
//! pages cost the same as reused slots on Linux); what the pooling
//! strategy promises embedders is its bounds, and those are enforced here:
//! engine-wide counts of live instances, memories and tables, per-module
//! counts, the VMContext size, and the size each memory and table may
//! reach. A slot is held by the object it was taken for and given back when
//! that object's store is dropped.

use crate::config::{InstanceAllocationStrategy, PoolingAllocationConfig};
use crate::engine::Engine;
use crate::environ::error::Error;
use anyhow::Result;
use std::sync::atomic::{AtomicU32, Ordering};

/// What a slot was taken for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PoolKind {
    Instance,
    Memory,
    Table,
}

/// Live slot counts of one engine.
#[derive(Default, Debug)]
pub(crate) struct PoolCounts {
    instances: AtomicU32,
    memories: AtomicU32,
    tables: AtomicU32,
}

impl PoolCounts {
    fn counter(&self, kind: PoolKind) -> &AtomicU32 {
        match kind {
            PoolKind::Instance => &self.instances,
            PoolKind::Memory => &self.memories,
            PoolKind::Table => &self.tables,
        }
    }
}

/// The engine's pooling configuration, when it uses that strategy.
pub(crate) fn pooling(engine: &Engine) -> Option<&PoolingAllocationConfig> {
    match engine.config().allocation_strategy() {
        InstanceAllocationStrategy::Pooling(p) => Some(p),
        InstanceAllocationStrategy::OnDemand => None,
    }
}

/// One taken slot; gives it back on drop.
pub(crate) struct PoolSlot {
    engine: Engine,
    kind: PoolKind,
}

impl PoolSlot {
    /// Takes a slot of `kind` when the engine pools, failing when the
    /// engine-wide limit is reached; `None` for on-demand engines.
    pub(crate) fn acquire(engine: &Engine, kind: PoolKind) -> Result<Option<PoolSlot>> {
        let Some(config) = pooling(engine) else {
            return Ok(None);
        };
        let (limit, option) = match kind {
            PoolKind::Instance => (config.total_core_instances, "total_core_instances"),
            PoolKind::Memory => (config.total_memories, "total_memories"),
            PoolKind::Table => (config.total_tables, "total_tables"),
        };
        let counter = engine.runtime().pool_counts().counter(kind);
        let taken = counter.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
            (n < limit).then_some(n + 1)
        });
        if taken.is_err() {
            let what = match kind {
                PoolKind::Instance => "instance",
                PoolKind::Memory => "memory",
                PoolKind::Table => "table",
            };
            let message =
                format!("pooling allocator: all {limit} {what} slots are in use ({option})");
            return Err(Error::impl_limit(option, message).into());
        }
        Ok(Some(PoolSlot {
            engine: engine.clone(),
            kind,
        }))
    }
}

impl Drop for PoolSlot {
    fn drop(&mut self) {
        self.engine
            .runtime()
            .pool_counts()
            .counter(self.kind)
            .fetch_sub(1, Ordering::AcqRel);
    }
}

/// The most bytes a memory may hold under the engine's strategy.
pub(crate) fn memory_byte_limit(engine: &Engine) -> u64 {
    pooling(engine).map_or(u64::MAX, |p| p.max_memory_size as u64)
}

/// The most elements a table may hold under the engine's strategy.
pub(crate) fn table_element_limit(engine: &Engine) -> u64 {
    let runtime_limit = super::table::MAX_TABLE_ELEMENTS;
    pooling(engine).map_or(runtime_limit, |p| {
        (p.table_elements as u64).min(runtime_limit)
    })
}
