//! The limits of the pooling allocation strategy (`allocation_strategy`).
//!
//! Memories, tables and instances are still mapped on demand (fresh zero
//! pages cost the same as reused slots on Linux); what the pooling
//! strategy promises embedders is its bounds, and those are enforced here:
//! engine-wide counts of live instances, memories and tables, per-module
//! counts, the VMContext size, and the size each memory and table may
//! reach. A slot is held by the object it was taken for and given back when
//! that object's store is dropped.
//!
//! Only instances and the memories and tables they define are pooled. As
//! in the reference (Wasmtime), memories and tables the host creates on its
//! own (`wasm_memory_new`, `wasm_table_new`) are allocated on demand even
//! by a pooling engine: they take no slots and obey none of the pool's
//! limits, and the embedder's memory creator (`with_host_memory`) serves
//! them, while it never serves a pooled instance memory.

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

/// Who asks for a memory or table, which decides the allocator serving it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Origin {
    /// Defined by a module, made while instantiating it.
    Instance,
    /// Made by the host on its own (`Memory::new`, `Table::new`).
    Host,
}

/// The allocator serving one instance, memory or table.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Allocator<'a> {
    /// Mapped when asked for, bounded by the runtime's own limits only;
    /// memories come from the embedder's creator when there is one.
    OnDemand,
    /// Bounded by the engine's pooling limits, and taking a slot.
    Pooling(&'a PoolingAllocationConfig),
}

impl<'a> Allocator<'a> {
    /// The allocator `engine` uses for what `origin` asks for: the pool
    /// for instance objects of a pooling engine, on demand for the rest.
    pub(crate) fn of(engine: &'a Engine, origin: Origin) -> Allocator<'a> {
        match (origin, engine.config().allocation_strategy()) {
            (Origin::Instance, InstanceAllocationStrategy::Pooling(p)) => Allocator::Pooling(p),
            (Origin::Instance, InstanceAllocationStrategy::OnDemand) | (Origin::Host, _) => {
                Allocator::OnDemand
            }
        }
    }

    /// Takes a slot of `kind` from `engine`'s pool, failing when the
    /// engine-wide limit is reached; `None` when allocating on demand.
    pub(crate) fn take_slot(&self, engine: &Engine, kind: PoolKind) -> Result<Option<PoolSlot>> {
        match self {
            Allocator::OnDemand => Ok(None),
            Allocator::Pooling(config) => PoolSlot::acquire(engine, config, kind).map(Some),
        }
    }

    /// The most bytes a memory may hold.
    pub(crate) fn memory_byte_limit(&self) -> u64 {
        match self {
            Allocator::OnDemand => u64::MAX,
            Allocator::Pooling(p) => p.max_memory_size as u64,
        }
    }

    /// The most elements a table may hold.
    pub(crate) fn table_element_limit(&self) -> u64 {
        let runtime_limit = super::table::MAX_TABLE_ELEMENTS;
        match self {
            Allocator::OnDemand => runtime_limit,
            Allocator::Pooling(p) => (p.table_elements as u64).min(runtime_limit),
        }
    }
}

/// One taken slot; gives it back on drop.
pub(crate) struct PoolSlot {
    engine: Engine,
    kind: PoolKind,
}

impl PoolSlot {
    /// Takes a slot of `kind` from `engine`'s pool (limits `config`),
    /// failing when the engine-wide limit is reached.
    fn acquire(
        engine: &Engine,
        config: &PoolingAllocationConfig,
        kind: PoolKind,
    ) -> Result<PoolSlot> {
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
        Ok(PoolSlot {
            engine: engine.clone(),
            kind,
        })
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
