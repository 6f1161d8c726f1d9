//! How instances, memories and tables are allocated (`allocation_strategy`).

use anyhow::{bail, Result};

/// Where an instance's memories, tables and state come from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum InstanceAllocationStrategy {
    /// Allocate each instance's resources when it is created (the default).
    #[default]
    OnDemand,
    /// Carve instances out of pools reserved once per engine, bounded by the
    /// given limits; instantiation fails when a pool is exhausted.
    Pooling(PoolingAllocationConfig),
}

impl From<PoolingAllocationConfig> for InstanceAllocationStrategy {
    fn from(config: PoolingAllocationConfig) -> Self {
        InstanceAllocationStrategy::Pooling(config)
    }
}

/// Limits and tuning of the pooling instance allocator, mirroring
/// Wasmtime's `PoolingAllocationConfig`. Every field is public; the
/// defaults are Wasmtime's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PoolingAllocationConfig {
    /// Instances alive at once across the engine (default 1000): the
    /// number of instance-state (`VMContext`) slots reserved at engine
    /// creation.
    pub total_core_instances: u32,
    /// Linear memories alive at once across the engine (default 1000): the
    /// number of memory slots reserved at engine creation, each of
    /// `static_memory_maximum_size` bytes plus its guard.
    pub total_memories: u32,
    /// Tables alive at once across the engine (default 1000): the number of
    /// table slots of `table_elements` elements reserved at engine creation.
    pub total_tables: u32,
    /// Async calls in progress at once across the engine (default 1000):
    /// each holds one fiber stack; a call past that fails naming it.
    pub total_stacks: u32,
    /// Memories one module may define (default 1).
    pub max_memories_per_module: u32,
    /// Tables one module may define (default 1).
    pub max_tables_per_module: u32,
    /// Elements each table slot can hold (default 20 000): a pooled table
    /// never grows past it.
    pub table_elements: usize,
    /// Bytes each pooled memory can grow to (default 4 GiB on 64-bit hosts,
    /// 10 MiB otherwise); at most `static_memory_maximum_size`, the slot's
    /// size.
    pub max_memory_size: usize,
    /// Bytes of instance state (VMContext) each slot holds (default 1 MiB);
    /// a module whose instances need more is refused at instantiation.
    pub max_core_instance_size: usize,
    /// Freed slots kept warm, per kind, for reuse by the module they last
    /// served (default 100): a warm memory slot keeps that module's
    /// copy-on-write image mapped. Past this many, the oldest warm slot is
    /// cooled (image unmapped, resident pages released).
    pub max_unused_warm_slots: u32,
    /// Bytes at the start of a freed memory slot kept resident and zeroed
    /// by hand instead of decommitted (default 0; rounded up to pages).
    pub linear_memory_keep_resident: usize,
    /// Bytes at the start of a freed table slot kept resident and zeroed by
    /// hand instead of decommitted (default 0; rounded up to pages).
    pub table_keep_resident: usize,
    /// Bytes at the top of a freed async stack zeroed by hand and kept
    /// resident, with `async_stack_zeroing` (default 0; the rest is
    /// decommitted).
    pub async_stack_keep_resident: usize,
    /// Freed slots collected, per kind, before they are reset together
    /// (default 1: each is reset as it is freed). A pending slot is not
    /// reused until its batch is reset; an instantiation that finds no
    /// free slot resets the pending ones first.
    pub decommit_batch_size: usize,
    /// Whether a freed async stack is zeroed before another call reuses it
    /// (default false).
    pub async_stack_zeroing: bool,
}

impl Default for PoolingAllocationConfig {
    fn default() -> Self {
        PoolingAllocationConfig {
            total_core_instances: 1000,
            total_memories: 1000,
            total_tables: 1000,
            total_stacks: 1000,
            max_memories_per_module: 1,
            max_tables_per_module: 1,
            table_elements: 20_000,
            max_memory_size: if cfg!(target_pointer_width = "64") {
                4 << 30
            } else {
                10 << 20
            },
            max_core_instance_size: 1 << 20,
            max_unused_warm_slots: 100,
            linear_memory_keep_resident: 0,
            table_keep_resident: 0,
            async_stack_keep_resident: 0,
            decommit_batch_size: 1,
            async_stack_zeroing: false,
        }
    }
}

impl PoolingAllocationConfig {
    /// Checks the limits against each other and against the memory
    /// reservation every pooled memory slot gets.
    pub fn validate(&self, static_memory_maximum_size: u64) -> Result<()> {
        if self.total_core_instances == 0 {
            bail!("total_core_instances must be at least 1");
        }
        if self.max_memories_per_module > self.total_memories {
            bail!(
                "max_memories_per_module ({}) exceeds total_memories ({})",
                self.max_memories_per_module,
                self.total_memories
            );
        }
        if self.max_tables_per_module > self.total_tables {
            bail!(
                "max_tables_per_module ({}) exceeds total_tables ({})",
                self.max_tables_per_module,
                self.total_tables
            );
        }
        if self.max_memory_size as u64 > static_memory_maximum_size {
            bail!(
                "max_memory_size ({} bytes) exceeds static_memory_maximum_size ({} bytes), \
                 the reservation of each pooled memory",
                self.max_memory_size,
                static_memory_maximum_size
            );
        }
        if self.decommit_batch_size == 0 {
            bail!("decommit_batch_size must be at least 1");
        }
        Ok(())
    }
}
