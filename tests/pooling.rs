//! What the pooling allocator serves: instances and the memories and
//! tables they define, nothing the host creates on its own. As in the
//! reference (Wasmtime), `wasm_memory_new` and `wasm_table_new` allocate on
//! demand whatever the strategy (no slots, no pool limits), and the
//! embedder's memory creator (`with_host_memory`) serves the memories
//! allocated on demand (host-created ones, and instance memories of an
//! on-demand engine) but never a pooled instance memory.
//!
//! The C functions are called through the rlib exactly as C calls them;
//! every pointer passed is live or NULL as the C contract requires.

use std::ffi::c_void;
use std::ptr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use wasm_runtime::capi::engine::*;
use wasm_runtime::capi::ext::config::*;
use wasm_runtime::capi::ext::engine::wasm_engine_try_new;
use wasm_runtime::capi::ext::error::{wasm_error_delete, wasm_error_message, wasm_error_t};
use wasm_runtime::capi::ext::objects::{wasm_memory_new_checked, wasm_table_new_checked};
use wasm_runtime::capi::ext::wat::wasm_wat2wasm;
use wasm_runtime::capi::func::*;
use wasm_runtime::capi::instance::*;
use wasm_runtime::capi::limits::wasm_limits_t;
use wasm_runtime::capi::memory::*;
use wasm_runtime::capi::memorytype::*;
use wasm_runtime::capi::module::*;
use wasm_runtime::capi::r#extern::*;
use wasm_runtime::capi::store::*;
use wasm_runtime::capi::table::*;
use wasm_runtime::capi::tabletype::*;
use wasm_runtime::capi::trap::*;
use wasm_runtime::capi::val::wasm_val_t;
use wasm_runtime::capi::valtype::*;
use wasm_runtime::capi::vec::*;

const PAGE: usize = 65536;

/// `wasm_limits_t`'s "no maximum".
const NO_MAXIMUM: u32 = u32::MAX;

fn error_message(error: Box<wasm_error_t>) -> String {
    let mut out = wasm_byte_vec_t::empty();
    wasm_error_message(Some(&error), Some(&mut out));
    wasm_error_delete(Some(error));
    // SAFETY: filled by wasm_error_message.
    String::from_utf8_lossy(&unsafe { out.take() }).into_owned()
}

/// Pooling limits for the tests: few slots, small memories and tables.
struct Limits {
    instances: u32,
    memories: u32,
    tables: u32,
}

/// A config whose memories without a maximum are dynamic (the static
/// reservation is 1 MiB), so a memory creator backed by plain heap memory
/// can serve them.
fn config() -> Box<wasm_config_t> {
    let mut config = wasm_config_new();
    wasm_config_static_memory_maximum_size_set(Some(&mut config), 1 << 20);
    config
}

/// `config` with the pooling allocator and `limits`; memories may hold one
/// page and tables ten elements.
fn pooling_config(limits: Limits) -> Box<wasm_config_t> {
    let mut pooling = wasm_pooling_allocation_config_new();
    wasm_pooling_allocation_config_total_core_instances_set(Some(&mut pooling), limits.instances);
    wasm_pooling_allocation_config_total_memories_set(Some(&mut pooling), limits.memories);
    wasm_pooling_allocation_config_total_tables_set(Some(&mut pooling), limits.tables);
    wasm_pooling_allocation_config_max_memory_size_set(Some(&mut pooling), PAGE);
    wasm_pooling_allocation_config_table_elements_set(Some(&mut pooling), 10);
    let mut config = config();
    wasm_config_allocation_strategy_set(Some(&mut config), Some(&pooling));
    wasm_pooling_allocation_config_delete(Some(pooling));
    config
}

fn engine(config: Box<wasm_config_t>) -> Box<wasm_engine_t> {
    let mut engine = ptr::null_mut();
    if let Some(error) = wasm_engine_try_new(Some(config), Some(&mut engine)) {
        panic!("the engine is refused: {}", error_message(error));
    }
    // SAFETY: made by wasm_engine_try_new for us to own.
    unsafe { Box::from_raw(engine) }
}

fn new_store(engine: &mut wasm_engine_t) -> Box<wasm_store_t> {
    // SAFETY: a live engine.
    unsafe { wasm_store_new(engine) }.expect("wasm_store_new")
}

/// A host memory of `pages` pages (no maximum), or why it was refused.
fn host_memory(store: &mut wasm_store_t, pages: u32) -> Result<Box<wasm_memory_t>, String> {
    let limits = wasm_limits_t {
        min: pages,
        max: NO_MAXIMUM,
    };
    let ty = wasm_memorytype_new(Some(&limits)).expect("a memory type");
    let mut memory = ptr::null_mut();
    // SAFETY: live store and type; `memory` is an out-param.
    let error = unsafe { wasm_memory_new_checked(store, Some(&ty), Some(&mut memory)) };
    wasm_memorytype_delete(Some(ty));
    match error {
        // SAFETY: made by wasm_memory_new_checked for us to own.
        None => Ok(unsafe { Box::from_raw(memory) }),
        Some(error) => Err(error_message(error)),
    }
}

/// A host funcref table of `elements` null elements (no maximum), or why
/// it was refused.
fn host_table(store: &mut wasm_store_t, elements: u32) -> Result<Box<wasm_table_t>, String> {
    let limits = wasm_limits_t {
        min: elements,
        max: NO_MAXIMUM,
    };
    let ty = wasm_tabletype_new(wasm_valtype_new(WASM_FUNCREF), Some(&limits)).expect("a type");
    let mut table = ptr::null_mut();
    // SAFETY: live store and type; a NULL init; `table` is an out-param.
    let error =
        unsafe { wasm_table_new_checked(store, Some(&ty), ptr::null_mut(), Some(&mut table)) };
    wasm_tabletype_delete(Some(ty));
    match error {
        // SAFETY: made by wasm_table_new_checked for us to own.
        None => Ok(unsafe { Box::from_raw(table) }),
        Some(error) => Err(error_message(error)),
    }
}

fn compile(store: &mut wasm_store_t, wat: &str) -> Box<wasm_module_t> {
    let mut binary = wasm_byte_vec_t::empty();
    assert!(wasm_wat2wasm(wat.as_ptr().cast(), wat.len(), Some(&mut binary)).is_none());
    // SAFETY: a live store and byte vector.
    let module = unsafe { wasm_module_new(store, Some(&binary)) }.expect("wasm_module_new");
    // SAFETY: made by wasm_wat2wasm, freed once.
    drop(unsafe { binary.take() });
    module
}

/// An instance of `module` (no imports), or the message of the trap that
/// refused it.
fn instantiate(
    store: &mut wasm_store_t,
    module: &wasm_module_t,
) -> Result<Box<wasm_instance_t>, String> {
    let mut trap = ptr::null_mut();
    let empty = wasm_extern_vec_t::empty();
    // SAFETY: live store, module and import vector; `trap` is an out-param.
    let instance = unsafe { wasm_instance_new(store, Some(module), Some(&empty), Some(&mut trap)) };
    instance.ok_or_else(|| {
        assert!(!trap.is_null(), "a refused instantiation says why");
        // SAFETY: the trap is ours to read and delete.
        let trap = unsafe { Box::from_raw(trap) };
        let mut message = wasm_byte_vec_t::empty();
        wasm_trap_message(Some(&trap), Some(&mut message));
        wasm_trap_delete(Some(trap));
        // SAFETY: filled by wasm_trap_message.
        let mut bytes = unsafe { message.take() };
        bytes.pop(); // the terminating NUL
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// With `total_memories` 2, host memories take none of the pool's slots
/// (nor its `max_memory_size`), while instance memories still do.
#[test]
fn host_memories_take_no_pooling_slots() {
    let mut engine = engine(pooling_config(Limits {
        instances: 10,
        memories: 2,
        tables: 10,
    }));
    let mut store = new_store(&mut engine);
    let mut host = Vec::new();
    for i in 0..3 {
        let memory = host_memory(&mut store, 1)
            .unwrap_or_else(|e| panic!("host memory {i} with total_memories 2: {e}"));
        host.push(memory);
    }
    let big = host_memory(&mut store, 2).expect("a host memory past max_memory_size");
    assert_eq!(wasm_memory_data_size(Some(&big)), 2 * PAGE);
    host.push(big);
    for memory in &mut host {
        // SAFETY: a live memory of at least one page.
        unsafe { *wasm_memory_data(&mut **memory).add(PAGE - 1) = 7 };
    }

    let module = compile(&mut store, "(module (memory 1))");
    let first = instantiate(&mut store, &module).expect("the first instance memory");
    let second = instantiate(&mut store, &module).expect("the second instance memory");
    let third = instantiate(&mut store, &module);
    let refusal = third
        .err()
        .expect("a third instance memory exceeds total_memories");
    assert!(refusal.contains("total_memories"), "{refusal}");
    let big = compile(&mut store, "(module (memory 2))");
    assert!(
        instantiate(&mut store, &big).is_err(),
        "past max_memory_size"
    );

    for memory in host {
        wasm_memory_delete(Some(memory));
    }
    wasm_instance_delete(Some(first));
    wasm_instance_delete(Some(second));
    wasm_module_delete(Some(module));
    wasm_module_delete(Some(big));
    wasm_store_delete(Some(store));
    wasm_engine_delete(Some(engine));
}

/// With `total_tables` 2, host tables take none of the pool's slots (nor
/// its `table_elements`), while instance tables still do.
#[test]
fn host_tables_take_no_pooling_slots() {
    let mut engine = engine(pooling_config(Limits {
        instances: 10,
        memories: 10,
        tables: 2,
    }));
    let mut store = new_store(&mut engine);
    let mut host = Vec::new();
    for i in 0..3 {
        let table = host_table(&mut store, 1)
            .unwrap_or_else(|e| panic!("host table {i} with total_tables 2: {e}"));
        host.push(table);
    }
    let big = host_table(&mut store, 20).expect("a host table past table_elements");
    assert_eq!(wasm_table_size(Some(&big)), 20);
    host.push(big);

    let module = compile(&mut store, "(module (table 1 funcref))");
    let first = instantiate(&mut store, &module).expect("the first instance table");
    let second = instantiate(&mut store, &module).expect("the second instance table");
    let third = instantiate(&mut store, &module);
    let refusal = third
        .err()
        .expect("a third instance table exceeds total_tables");
    assert!(refusal.contains("total_tables"), "{refusal}");

    for table in host {
        wasm_table_delete(Some(table));
    }
    wasm_instance_delete(Some(first));
    wasm_instance_delete(Some(second));
    wasm_module_delete(Some(module));
    wasm_store_delete(Some(store));
    wasm_engine_delete(Some(engine));
}

/// A memory a `CountingCreator` made: heap bytes of fixed capacity.
struct HeapMemory {
    bytes: Vec<u8>,
    size: usize,
}

/// The env of the counting memory creator: how many memories it made.
type CreatorCalls = Arc<AtomicUsize>;

unsafe extern "C" fn heap_new_memory(
    env: *mut c_void,
    minimum: usize,
    maximum: usize,
    reserved: usize,
    _guard: usize,
    out: *mut wasm_linear_memory_t,
) -> Option<Box<wasm_error_t>> {
    // SAFETY: `env` is the boxed `CreatorCalls` given with the creator.
    let calls = unsafe { &*(env as *const CreatorCalls) };
    calls.fetch_add(1, Ordering::SeqCst);
    if reserved != 0 {
        return Some(wasm_error_t::boxed(anyhow::anyhow!(
            "heap memories cannot be static"
        )));
    }
    let capacity = maximum.min(16 * PAGE).max(minimum);
    let memory = Box::new(HeapMemory {
        bytes: vec![0; capacity],
        size: minimum,
    });
    // SAFETY: `out` is the library's valid out-param.
    unsafe {
        *out = wasm_linear_memory_t {
            env: Box::into_raw(memory).cast(),
            get_memory: Some(heap_get_memory),
            grow_memory: Some(heap_grow_memory),
            finalizer: Some(heap_finalize),
        };
    }
    None
}

unsafe extern "C" fn heap_get_memory(
    env: *mut c_void,
    size: *mut usize,
    capacity: *mut usize,
) -> *mut u8 {
    // SAFETY: `env` is the `HeapMemory` made by `heap_new_memory`.
    let memory = unsafe { &mut *(env as *mut HeapMemory) };
    // SAFETY: the library passes valid out-params.
    unsafe {
        *size = memory.size;
        *capacity = memory.bytes.len();
    }
    memory.bytes.as_mut_ptr()
}

unsafe extern "C" fn heap_grow_memory(
    env: *mut c_void,
    new_size: usize,
) -> Option<Box<wasm_error_t>> {
    // SAFETY: `env` is the `HeapMemory` made by `heap_new_memory`.
    let memory = unsafe { &mut *(env as *mut HeapMemory) };
    if new_size > memory.bytes.len() {
        return Some(wasm_error_t::boxed(anyhow::anyhow!(
            "cannot grow to {new_size}"
        )));
    }
    memory.size = new_size;
    None
}

unsafe extern "C" fn heap_finalize(env: *mut c_void) {
    // SAFETY: `env` is the `HeapMemory` made by `heap_new_memory`, freed once.
    drop(unsafe { Box::from_raw(env as *mut HeapMemory) });
}

unsafe extern "C" fn free_creator_calls(env: *mut c_void) {
    // SAFETY: `env` is the boxed `CreatorCalls`, finalized once.
    drop(unsafe { Box::from_raw(env as *mut CreatorCalls) });
}

/// `config` with a memory creator that counts its calls in `calls`.
fn with_counting_creator(
    mut config: Box<wasm_config_t>,
    calls: &CreatorCalls,
) -> Box<wasm_config_t> {
    let creator = wasm_memory_creator_t {
        env: Box::into_raw(Box::new(calls.clone())).cast(),
        new_memory: Some(heap_new_memory),
        finalizer: Some(free_creator_calls),
    };
    wasm_config_with_host_memory_set(Some(&mut config), Some(&creator));
    config
}

/// Instantiates `(memory 1)` and creates a host memory, counting the
/// creator's calls after each; both memories work.
fn creator_calls_for_instance_then_host_memory(config: Box<wasm_config_t>) -> (usize, usize) {
    let calls = CreatorCalls::default();
    let mut engine = engine(with_counting_creator(config, &calls));
    let mut store = new_store(&mut engine);
    let module = compile(
        &mut store,
        r#"(module (memory (export "m") 1)
             (func (export "f") (result i32)
               (i32.store8 (i32.const 100) (i32.const 5))
               (i32.load8_u (i32.const 100))))"#,
    );
    let instance = instantiate(&mut store, &module).expect("the instance");
    let after_instance = calls.load(Ordering::SeqCst);
    let mut exports = wasm_extern_vec_t::empty();
    wasm_instance_exports(Some(&instance), Some(&mut exports));
    // SAFETY: the module's exports: the memory, then `f`.
    let f = unsafe { exports.as_slice() }[1]
        .as_deref()
        .and_then(|e| wasm_extern_as_func_const(Some(e)))
        .expect("f is a function");
    let mut result = [wasm_val_t::zeroed(WASM_I32)];
    let mut results = wasm_val_vec_t {
        size: 1,
        data: result.as_mut_ptr(),
    };
    // SAFETY: a live function of no parameters and one i32 result.
    let trap = unsafe { wasm_func_call(Some(f), Some(&wasm_val_vec_t::empty()), &mut results) };
    assert!(trap.is_none(), "the instance memory works");
    // SAFETY: an i32 result.
    assert_eq!(unsafe { result[0].of.i32 }, 5);
    // SAFETY: filled by wasm_instance_exports, freed once.
    unsafe { wasm_extern_vec_delete(Some(&mut exports)) };
    let mut memory = host_memory(&mut store, 1).expect("the host memory");
    let after_host = calls.load(Ordering::SeqCst);
    assert_eq!(wasm_memory_data_size(Some(&memory)), PAGE);
    // SAFETY: a live memory of one page.
    unsafe { *wasm_memory_data(&mut *memory).add(PAGE - 1) = 9 };

    wasm_memory_delete(Some(memory));
    wasm_instance_delete(Some(instance));
    wasm_module_delete(Some(module));
    wasm_store_delete(Some(store));
    wasm_engine_delete(Some(engine));
    assert_eq!(Arc::strong_count(&calls), 1, "the creator is finalized");
    (after_instance, after_host - after_instance)
}

/// Pooling: the instance memory is the pool's, the host memory the
/// creator's.
#[test]
fn a_pooling_engines_creator_serves_host_memories_only() {
    let config = pooling_config(Limits {
        instances: 10,
        memories: 10,
        tables: 10,
    });
    let (instance, host) = creator_calls_for_instance_then_host_memory(config);
    assert_eq!(
        instance, 0,
        "a pooled instance memory never comes from the creator"
    );
    assert_eq!(host, 1, "a host memory comes from the creator");
}

/// On demand: both memories come from the creator.
#[test]
fn an_on_demand_engines_creator_serves_every_memory() {
    let (instance, host) = creator_calls_for_instance_then_host_memory(config());
    assert_eq!(
        instance, 1,
        "an on-demand instance memory comes from the creator"
    );
    assert_eq!(host, 1, "a host memory comes from the creator");
}
