//! The pooling allocation strategy (`allocation_strategy`): everything an
//! instance needs is carved out of reservations made once, at engine
//! creation.
//!
//! One reservation per resource kind, each cut into fixed slots:
//! `total_memories` linear-memory slots with guard regions between them
//! (`memory_pool`), `total_tables` table slots of `table_elements`
//! elements (`table_pool`), and `total_core_instances` `VMContext` slots of
//! `max_core_instance_size` bytes (`instance_pool`). Async stacks
//! (`total_stacks`) do not exist in this runtime, so they get no pool. A
//! config whose reservations the host cannot make fails at engine creation,
//! naming the size asked for.
//!
//! Instantiation takes every slot it needs at once (`InstancePool::reserve`)
//! before building anything, so exhaustion is an `ImplLimit` error naming
//! the resource and its configured total, and the slots already taken go
//! back when it fails. Each slot is then owned by the memory, table or
//! instance made in it and given back when that object's store drops it:
//! reset with `madvise`/`mprotect` (never `munmap`), its kept-resident
//! bytes zeroed by hand, `decommit_batch_size` at a time, and kept warm
//! (`max_unused_warm_slots`) for the module it last served, whose
//! copy-on-write image then stays mapped (`slots`, `index`). A warm
//! instantiate/drop cycle makes no `mmap` or `munmap` call.
//!
//! Only instances and the memories and tables they define are pooled. As
//! in the reference (Wasmtime), memories and tables the host creates on its
//! own (`wasm_memory_new`, `wasm_table_new`) are allocated on demand even
//! by a pooling engine: they take no slots and obey none of the pool's
//! limits, and the embedder's memory creator (`with_host_memory`) serves
//! them, while it never serves a pooled instance memory. Shared memories
//! (threads) are allocated on demand too: a slot is held for one
//! instance's life, a shared memory may outlive its instance in other
//! stores.

mod index;
mod instance_pool;
mod memory_pool;
mod slots;
mod table_pool;

pub(crate) use instance_pool::InstanceRegion;
pub(crate) use memory_pool::{MemoryRegion, PooledMemory};
pub(crate) use slots::Slot;
#[cfg(test)]
pub(crate) use table_pool::kernel_clears_on_this_thread;
pub(crate) use table_pool::{PooledElements, TableRegion};

use crate::config::{InstanceAllocationStrategy, PoolingAllocationConfig};
use crate::engine::Engine;
use crate::environ::error::Error;
use crate::environ::MemorySettings;
use crate::runtime::mmap::{round_up_to_page, round_up_to_page_u64};
use memory_pool::MemoryGeometry;
use slots::SlotPool;
use std::sync::Arc;

/// A taken memory slot.
pub(crate) type MemorySlot = Slot<MemoryRegion>;
/// A taken table slot.
pub(crate) type TableSlot = Slot<TableRegion>;
/// A taken `VMContext` slot.
pub(crate) type InstanceSlot = Slot<InstanceRegion>;

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
    /// Bounded by the engine's pooling limits, and living in a slot.
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

/// An engine's pools: made once in `Engine::new`, shared by its stores.
pub(crate) struct InstancePool {
    instances: SlotPool<InstanceRegion>,
    memories: SlotPool<MemoryRegion>,
    tables: SlotPool<TableRegion>,
}

/// Every slot one instantiation needs, taken together.
pub(crate) struct Reservation {
    pub(crate) instance: InstanceSlot,
    pub(crate) memories: Vec<MemorySlot>,
    pub(crate) tables: Vec<TableSlot>,
}

impl InstancePool {
    /// Makes the reservations of `config`, with memory slots shaped by the
    /// engine's memory `settings` (its guards and static reservation).
    /// The `Config` error names `allocation_strategy` and gives the size
    /// asked for when the host refuses.
    pub(crate) fn new(
        config: &PoolingAllocationConfig,
        settings: &MemorySettings,
    ) -> Result<Arc<InstancePool>, Error> {
        let refused = |what: String, size: Option<usize>, cause: String| {
            let size = size.map_or_else(
                || "more bytes than the address space has".to_string(),
                |s| format!("{s} bytes"),
            );
            Error::config(
                "allocation_strategy",
                format!(
                    "the pooling allocator cannot reserve {size} of address space for {what}: {cause}"
                ),
            )
        };
        let memories = memory_geometry(config, settings);
        let memory_region = MemoryRegion::new(memories, config.total_memories).map_err(|e| {
            refused(
                format!(
                    "{} memories (total_memories) of {} bytes plus {}-byte guards",
                    config.total_memories, memories.capacity, memories.gap
                ),
                memories.total(config.total_memories),
                format!("{e:#}"),
            )
        })?;
        let table_region = TableRegion::new(
            config.total_tables,
            config.table_elements,
            config.table_keep_resident,
        )
        .map_err(|e| {
            refused(
                format!(
                    "{} tables (total_tables) of {} elements (table_elements)",
                    config.total_tables, config.table_elements
                ),
                TableRegion::slot_bytes(config.table_elements)
                    .and_then(|b| b.checked_mul(config.total_tables as usize)),
                format!("{e:#}"),
            )
        })?;
        let instance_region =
            InstanceRegion::new(config.total_core_instances, config.max_core_instance_size)
                .map_err(|e| {
                    refused(
                        format!(
                    "{} instances (total_core_instances) of {} bytes (max_core_instance_size)",
                    config.total_core_instances, config.max_core_instance_size
                ),
                        InstanceRegion::slot_bytes(config.max_core_instance_size)
                            .and_then(|b| b.checked_mul(config.total_core_instances as usize)),
                        format!("{e:#}"),
                    )
                })?;
        let warm = config.max_unused_warm_slots;
        let batch = config.decommit_batch_size;
        Ok(Arc::new(InstancePool {
            instances: SlotPool::new(instance_region, config.total_core_instances, warm, batch),
            memories: SlotPool::new(memory_region, config.total_memories, warm, batch),
            tables: SlotPool::new(table_region, config.total_tables, warm, batch),
        }))
    }

    /// Takes an instance slot, `memories` memory slots and `tables` table
    /// slots for an instance of the module with code id `affinity`; on
    /// exhaustion, gives back what it took and names the resource.
    pub(crate) fn reserve(
        self: &Arc<Self>,
        affinity: usize,
        memories: u32,
        tables: u32,
    ) -> Result<Reservation, Error> {
        let instance = Slot::take(self, affinity)?;
        let memories = (0..memories)
            .map(|_| Slot::take(self, affinity))
            .collect::<Result<Vec<_>, _>>()?;
        let tables = (0..tables)
            .map(|_| Slot::take(self, affinity))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Reservation {
            instance,
            memories,
            tables,
        })
    }
}

/// The shape of every memory slot: the capacity every static plan of the
/// engine reserves (`static_memory_maximum_size`, at least
/// `max_memory_size`), and the guards its plans ask for (none without
/// signals-based traps, where compiled code checks every access).
fn memory_geometry(config: &PoolingAllocationConfig, settings: &MemorySettings) -> MemoryGeometry {
    let guard = if settings.signals_based_traps {
        settings.memory_guard_size
    } else {
        0
    };
    let pre_guard = if settings.guard_before_linear_memory {
        guard
    } else {
        0
    };
    let to_usize = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
    let capacity = round_up_to_page_u64(
        settings
            .static_memory_maximum_size
            .max(config.max_memory_size as u64),
    );
    MemoryGeometry {
        pre_guard: to_usize(pre_guard),
        capacity: to_usize(capacity),
        gap: to_usize(guard.max(pre_guard)),
        keep_resident: round_up_to_page(config.linear_memory_keep_resident).unwrap_or(usize::MAX),
    }
}
