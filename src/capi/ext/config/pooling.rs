//! `allocation_strategy` and the pooling allocator's limits: made by
//! `wasm_pooling_allocation_config_new` with the reference's defaults and
//! set one by one.

use crate::capi::engine::wasm_config_t;
use crate::config::{InstanceAllocationStrategy, PoolingAllocationConfig};

/// Limits of the pooling instance allocator, for
/// `wasm_config_allocation_strategy_set`; made by
/// `wasm_pooling_allocation_config_new` with Wasmtime's defaults.
pub struct wasm_pooling_allocation_config_t {
    pub(crate) config: PoolingAllocationConfig,
}

/// Returns new pooling limits at their defaults; the caller owns them.
#[no_mangle]
pub extern "C" fn wasm_pooling_allocation_config_new() -> Box<wasm_pooling_allocation_config_t> {
    Box::new(wasm_pooling_allocation_config_t {
        config: PoolingAllocationConfig::default(),
    })
}

/// Frees pooling limits; NULL is ignored.
#[no_mangle]
pub extern "C" fn wasm_pooling_allocation_config_delete(
    config: Option<Box<wasm_pooling_allocation_config_t>>,
) {
    drop(config);
}

// <option-doc allocation_strategy>
/// Selects how instances and the memories and tables they define are allocated
/// (host-created memories and tables are always allocated on demand). Default:
/// on-demand. On-demand, or pooling: at engine creation one reservation per
/// kind cut into slots: `total_memories` memory slots of
/// `static_memory_maximum_size` bytes with `memory_guard_size` guards between
/// them (none without signals-based traps), `total_tables` slots of
/// `table_elements` elements, `total_core_instances` instance-state slots of
/// `max_core_instance_size` bytes; a reservation the host refuses fails engine
/// creation, giving its size. Instantiation takes its slots up front:
/// exhaustion is an error naming the `total_*` option, and a failed
/// instantiation gives its slots back; `max_memories_per_module` and
/// `max_tables_per_module` bound one module, `max_memory_size` how far a memory
/// grows. Dropping a store resets its slots without unmapping (`madvise`), the
/// first `linear_memory_keep_resident` / `table_keep_resident` bytes zeroed by
/// hand and kept resident, `decommit_batch_size` slots at a time;
/// `max_unused_warm_slots` freed slots stay warm for the module they served,
/// whose copy-on-write image stays mapped, so a warm instantiate/drop makes no
/// `mmap`. At most `total_stacks` async calls are in progress at once (a call
/// past that fails naming the option); a finished call's stack is reused,
/// zeroed first with `async_stack_zeroing` (its top `async_stack_keep_resident`
/// bytes by hand, the rest decommitted). Memory plans are the same as on demand
/// (a slot fits static and dynamic ones); shared memories and host-created
/// memories and tables (`wasm_memory_new`, `wasm_table_new`) are allocated on
/// demand, take no slots and obey no pool limit (as in the reference).
///
// </option-doc>
/// With `pooling`, uses the pooling allocator with a copy of those limits
/// (borrowed) for instances and the memories and tables they define;
/// host-created memories and tables (`wasm_memory_new`, `wasm_table_new`)
/// are still allocated on demand, taking no slots. NULL selects on-demand
/// allocation. The limits are checked at engine creation.
#[no_mangle]
pub extern "C" fn wasm_config_allocation_strategy_set(
    config: Option<&mut wasm_config_t>,
    pooling: Option<&wasm_pooling_allocation_config_t>,
) {
    if let Some(c) = config {
        let strategy = match pooling {
            Some(p) => InstanceAllocationStrategy::Pooling(p.config.clone()),
            None => InstanceAllocationStrategy::OnDemand,
        };
        c.config.set_allocation_strategy(strategy);
    }
}

// ---------------------------------------------------------------------------
// Pooling allocation limits

/// Instances alive at once across the engine; default 1000.
#[no_mangle]
pub extern "C" fn wasm_pooling_allocation_config_total_core_instances_set(
    pooling: Option<&mut wasm_pooling_allocation_config_t>,
    value: u32,
) {
    if let Some(p) = pooling {
        p.config.total_core_instances = value;
    }
}

/// Linear memories alive at once across the engine; default 1000.
#[no_mangle]
pub extern "C" fn wasm_pooling_allocation_config_total_memories_set(
    pooling: Option<&mut wasm_pooling_allocation_config_t>,
    value: u32,
) {
    if let Some(p) = pooling {
        p.config.total_memories = value;
    }
}

/// Tables alive at once across the engine; default 1000.
#[no_mangle]
pub extern "C" fn wasm_pooling_allocation_config_total_tables_set(
    pooling: Option<&mut wasm_pooling_allocation_config_t>,
    value: u32,
) {
    if let Some(p) = pooling {
        p.config.total_tables = value;
    }
}

/// Async calls in progress at once across the engine (each holds a stack); default 1000.
#[no_mangle]
pub extern "C" fn wasm_pooling_allocation_config_total_stacks_set(
    pooling: Option<&mut wasm_pooling_allocation_config_t>,
    value: u32,
) {
    if let Some(p) = pooling {
        p.config.total_stacks = value;
    }
}

/// Memories one module may define; default 1.
#[no_mangle]
pub extern "C" fn wasm_pooling_allocation_config_max_memories_per_module_set(
    pooling: Option<&mut wasm_pooling_allocation_config_t>,
    value: u32,
) {
    if let Some(p) = pooling {
        p.config.max_memories_per_module = value;
    }
}

/// Tables one module may define; default 1.
#[no_mangle]
pub extern "C" fn wasm_pooling_allocation_config_max_tables_per_module_set(
    pooling: Option<&mut wasm_pooling_allocation_config_t>,
    value: u32,
) {
    if let Some(p) = pooling {
        p.config.max_tables_per_module = value;
    }
}

/// Elements each pooled table can hold; default 20000.
#[no_mangle]
pub extern "C" fn wasm_pooling_allocation_config_table_elements_set(
    pooling: Option<&mut wasm_pooling_allocation_config_t>,
    value: usize,
) {
    if let Some(p) = pooling {
        p.config.table_elements = value;
    }
}

/// Bytes each pooled memory can grow to (at most static_memory_maximum_size); default 4 GiB (10 MiB on 32-bit hosts).
#[no_mangle]
pub extern "C" fn wasm_pooling_allocation_config_max_memory_size_set(
    pooling: Option<&mut wasm_pooling_allocation_config_t>,
    value: usize,
) {
    if let Some(p) = pooling {
        p.config.max_memory_size = value;
    }
}

/// Bytes of instance state each slot holds; default 1 MiB.
#[no_mangle]
pub extern "C" fn wasm_pooling_allocation_config_max_core_instance_size_set(
    pooling: Option<&mut wasm_pooling_allocation_config_t>,
    value: usize,
) {
    if let Some(p) = pooling {
        p.config.max_core_instance_size = value;
    }
}

/// Freed slots kept warm for reuse; default 100.
#[no_mangle]
pub extern "C" fn wasm_pooling_allocation_config_max_unused_warm_slots_set(
    pooling: Option<&mut wasm_pooling_allocation_config_t>,
    value: u32,
) {
    if let Some(p) = pooling {
        p.config.max_unused_warm_slots = value;
    }
}

/// Bytes of a freed memory kept resident instead of decommitted; default 0.
#[no_mangle]
pub extern "C" fn wasm_pooling_allocation_config_linear_memory_keep_resident_set(
    pooling: Option<&mut wasm_pooling_allocation_config_t>,
    value: usize,
) {
    if let Some(p) = pooling {
        p.config.linear_memory_keep_resident = value;
    }
}

/// Bytes of a freed table kept resident instead of decommitted; default 0.
#[no_mangle]
pub extern "C" fn wasm_pooling_allocation_config_table_keep_resident_set(
    pooling: Option<&mut wasm_pooling_allocation_config_t>,
    value: usize,
) {
    if let Some(p) = pooling {
        p.config.table_keep_resident = value;
    }
}

/// Bytes at the top of a freed async stack zeroed by hand and kept resident (with zeroing); default 0.
#[no_mangle]
pub extern "C" fn wasm_pooling_allocation_config_async_stack_keep_resident_set(
    pooling: Option<&mut wasm_pooling_allocation_config_t>,
    value: usize,
) {
    if let Some(p) = pooling {
        p.config.async_stack_keep_resident = value;
    }
}

/// Freed regions collected before one batched decommit (at least 1); default 1.
#[no_mangle]
pub extern "C" fn wasm_pooling_allocation_config_decommit_batch_size_set(
    pooling: Option<&mut wasm_pooling_allocation_config_t>,
    value: usize,
) {
    if let Some(p) = pooling {
        p.config.decommit_batch_size = value;
    }
}

/// Zero a finished async call's stack before another call reuses it; default false.
#[no_mangle]
pub extern "C" fn wasm_pooling_allocation_config_async_stack_zeroing_set(
    pooling: Option<&mut wasm_pooling_allocation_config_t>,
    value: bool,
) {
    if let Some(p) = pooling {
        p.config.async_stack_zeroing = value;
    }
}
