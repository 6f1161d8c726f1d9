//! What the pooling allocator serves: instances and the memories and
//! tables they define, nothing the host creates on its own; and (module
//! `slots`) its slots: reuse with clean contents, exhaustion, kept-resident
//! bytes, threads, and no `mmap` in a warm instantiate/drop cycle. As in the
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

// ---------------------------------------------------------------------------
// The pool's slots, through the Rust API: reuse, exhaustion, resets, threads
// and the promise that a warm instantiate/drop cycle maps nothing.

mod slots {
    use wasm_runtime::config::{Config, InstanceAllocationStrategy, PoolingAllocationConfig};
    use wasm_runtime::engine::Engine;
    use wasm_runtime::module::Module;
    use wasm_runtime::runtime::{
        mmap_calls_on_this_thread, Extern, Func, Instance, Memory, Store, Table, TrapKind, Val,
    };

    const PAGE: usize = 65536;

    /// A small pool: `n` slots of each kind, memories up to 4 pages,
    /// tables of 64 elements; `tweak` adjusts the rest.
    fn pool(n: u32, tweak: impl FnOnce(&mut PoolingAllocationConfig)) -> PoolingAllocationConfig {
        let mut p = PoolingAllocationConfig {
            total_core_instances: n,
            total_memories: n,
            total_tables: n,
            max_memory_size: 4 * PAGE,
            table_elements: 64,
            ..PoolingAllocationConfig::default()
        };
        tweak(&mut p);
        p
    }

    fn engine_with(p: PoolingAllocationConfig, tweak: impl FnOnce(&mut Config)) -> Engine {
        let mut config = Config::default();
        config.set_static_memory_maximum_size(1 << 20);
        config.set_memory_guard_size(1 << 16);
        config.set_allocation_strategy(InstanceAllocationStrategy::Pooling(p));
        tweak(&mut config);
        Engine::new(&config).expect("the pooling engine")
    }

    fn module(engine: &Engine, wat: &str) -> Module {
        Module::new(engine, &wat::parse_str(wat).expect("valid wat")).expect("module compiles")
    }

    fn export(instance: &Instance, name: &str) -> Extern {
        instance
            .get_export(name)
            .unwrap_or_else(|| panic!("no export {name}"))
    }

    fn func(instance: &Instance, name: &str) -> Func {
        export(instance, name).into_func().expect("a function")
    }

    fn memory(instance: &Instance) -> Memory {
        export(instance, "memory").into_memory().expect("a memory")
    }

    fn table(instance: &Instance) -> Table {
        export(instance, "table").into_table().expect("a table")
    }

    fn call(instance: &Instance, name: &str, params: &[Val]) -> Result<i64, TrapKind> {
        let f = func(instance, name);
        let mut results = [Val::I64(0)];
        let n = f.ty().results.len();
        f.call(params, &mut results[..n])
            .map_err(|t| t.kind().expect("a wasm trap"))?;
        Ok(match results[0] {
            Val::I32(v) => v as i64,
            Val::I64(v) => v,
            ref other => panic!("unexpected result {other:?}"),
        })
    }

    fn bytes(mem: &Memory) -> Vec<u8> {
        // SAFETY: the whole memory, read while no wasm runs.
        unsafe { std::slice::from_raw_parts(mem.data_ptr(), mem.data_size()).to_vec() }
    }

    /// One page (up to four) holding "pool" at 100, a table of 8 funcref
    /// with one element, two mutable globals, and helpers to dirty it all.
    fn tenant_wat(index: &str) -> String {
        format!(
            r#"(module
              (memory (export "memory") {index} 1 4)
              (data (i32.const 100) "pool")
              (table (export "table") 8 16 funcref)
              (elem (i32.const 1) $f)
              (global $g (export "g") (mut i64) (i64.const 7))
              (global $h (export "h") (mut i32) (i32.const 0))
              (func $f (export "f") (result i32) (i32.const 42))
              (func (export "dirty")
                (memory.fill (i32.const 0) (i32.const 0xEE) (i32.const 65536))
                (drop (memory.grow (i32.const 3)))
                (memory.fill (i32.const 65536) (i32.const 0xDD) (i32.const 196608))
                (drop (table.grow (ref.func $f) (i32.const 8)))
                (table.fill (i32.const 0) (ref.func $f) (i32.const 16))
                (global.set $g (i64.const -1))
                (global.set $h (i32.const -1)))
              (func (export "via_table") (result i32)
                (call_indirect (result i32) (i32.const 1)))
              (func (export "load") (param i32) (result i32)
                (i32.load8_u (local.get 0))))"#
        )
    }

    /// Checks a fresh tenant: its memory is the module's image and zero
    /// byte by byte elsewhere, one page long; the table has its one
    /// element; the globals their initial values.
    fn check_clean(instance: &Instance) {
        let mem = memory(instance);
        assert_eq!(mem.size(), 1, "the memory starts at its minimum");
        let data = bytes(&mem);
        assert_eq!(&data[100..104], b"pool");
        let stray = data
            .iter()
            .enumerate()
            .filter(|&(i, b)| !(100..104).contains(&i) && *b != 0)
            .count();
        assert_eq!(stray, 0, "no byte of the previous tenant is visible");
        let t = table(instance);
        assert_eq!(t.size(), 8, "the table starts at its minimum");
        for i in 0..8 {
            let set = !matches!(t.get(i), Some(Val::FuncRef(None)));
            assert_eq!(set, i == 1, "table element {i}");
        }
        assert!(matches!(
            export(instance, "g").into_global().unwrap().get(),
            Val::I64(7)
        ));
        assert!(matches!(
            export(instance, "h").into_global().unwrap().get(),
            Val::I32(0)
        ));
    }

    /// Instantiates, dirties every page, memory past its minimum, every
    /// table element and every global, drops the store; returns the
    /// addresses of the memory, the table's first element and the
    /// `VMContext`.
    fn dirty_tenant(engine: &Engine, m: &Module) -> (usize, usize) {
        let store = Store::new(engine);
        let instance = Instance::new(&store, m, &[]).expect("instantiation");
        check_clean(&instance);
        call(&instance, "dirty", &[]).unwrap();
        assert_eq!(memory(&instance).size(), 4);
        assert_eq!(call(&instance, "load", &[Val::I32(65536 * 3)]), Ok(0xDD));
        let addresses = (
            memory(&instance).data_ptr() as usize,
            instance.vmctx_ptr() as usize,
        );
        drop(instance);
        drop(store);
        addresses
    }

    /// `rounds` tenants dirty their slots one after the other (with
    /// `decommit_batch_size` N, the Nth release resets the batch); the
    /// next instance gets the last one's slots back, clean.
    fn check_reuse(engine: &Engine, what: &str, rounds: usize) {
        let m = module(engine, &tenant_wat(""));
        let mut first = dirty_tenant(engine, &m);
        for _ in 1..rounds {
            first = dirty_tenant(engine, &m);
        }
        let store = Store::new(engine);
        let instance = Instance::new(&store, &m, &[]).expect("instantiation");
        assert_eq!(
            (
                memory(&instance).data_ptr() as usize,
                instance.vmctx_ptr() as usize
            ),
            first,
            "{what}: the module gets its memory and instance slots back"
        );
        check_clean(&instance);
        // The previous tenant's grown pages are inaccessible again.
        assert_eq!(
            call(&instance, "load", &[Val::I32(PAGE as i32)]),
            Err(TrapKind::MemoryOutOfBounds),
            "{what}"
        );
        assert_eq!(call(&instance, "f", &[]), Ok(42));
        assert_eq!(call(&instance, "via_table", &[]), Ok(42));
    }

    #[test]
    fn a_released_slot_comes_back_clean() {
        check_reuse(&engine_with(pool(4, |_| {}), |_| {}), "defaults", 1);
        check_reuse(
            &engine_with(pool(4, |_| {}), |c| {
                c.set_memory_init_cow(false);
            }),
            "without copy-on-write",
            1,
        );
        check_reuse(
            &engine_with(pool(4, |_| {}), |c| {
                c.set_signals_based_traps(false);
            }),
            "explicit bounds checks",
            1,
        );
        check_reuse(
            &engine_with(pool(4, |_| {}), |c| {
                c.set_guard_before_linear_memory(false);
            }),
            "no pre-guard",
            1,
        );
        check_reuse(
            &engine_with(pool(4, |p| p.decommit_batch_size = 3), |_| {}),
            "batched resets",
            3,
        );
        check_reuse(
            &engine_with(pool(4, |p| p.max_unused_warm_slots = 0), |_| {}),
            "no warm slots",
            1,
        );
    }

    #[test]
    fn memory64_lives_in_a_slot_and_traps_past_its_end() {
        let engine = engine_with(pool(4, |_| {}), |c| {
            c.set_wasm_memory64(true);
        });
        let m = module(
            &engine,
            r#"(module
                 (memory (export "memory") i64 1 4)
                 (data (i64.const 100) "pool")
                 (func (export "dirty")
                   (memory.fill (i64.const 0) (i32.const 0xEE) (i64.const 65536))
                   (drop (memory.grow (i64.const 3)))
                   (memory.fill (i64.const 65536) (i32.const 0xDD) (i64.const 196608)))
                 (func (export "load") (param i64) (result i32)
                   (i32.load8_u (local.get 0))))"#,
        );
        let mut base = None;
        for round in 0..3 {
            let store = Store::new(&engine);
            let instance = Instance::new(&store, &m, &[]).unwrap();
            let mem = memory(&instance);
            let at = mem.data_ptr() as usize;
            assert_eq!(*base.get_or_insert(at), at, "round {round}: the same slot");
            let data = bytes(&mem);
            assert_eq!(data.len(), PAGE);
            assert_eq!(&data[100..104], b"pool");
            assert!(
                data.iter()
                    .enumerate()
                    .all(|(i, b)| (100..104).contains(&i) || *b == 0),
                "round {round}: clean"
            );
            assert_eq!(
                call(&instance, "load", &[Val::I64(PAGE as i64)]),
                Err(TrapKind::MemoryOutOfBounds)
            );
            call(&instance, "dirty", &[]).unwrap();
            assert_eq!(
                call(&instance, "load", &[Val::I64(3 * PAGE as i64)]),
                Ok(0xDD)
            );
            assert!(mem.grow(1).is_err(), "past max_memory_size (4 pages)");
        }
    }

    #[test]
    fn kept_resident_bytes_are_zeroed() {
        let engine = engine_with(
            pool(2, |p| {
                p.linear_memory_keep_resident = 2 * PAGE;
                p.table_keep_resident = 4096;
            }),
            |_| {},
        );
        check_reuse(&engine, "keep_resident", 1);
        // Without an image too (no data segment): the kept pages were
        // dirtied and must read zero.
        let m = module(
            &engine,
            r#"(module (memory (export "memory") 2 4) (table (export "table") 64 funcref)
                 (func $f)
                 (elem declare func $f)
                 (func (export "dirty")
                   (memory.fill (i32.const 0) (i32.const 0x5A) (i32.const 131072))
                   (table.fill (i32.const 0) (ref.func $f) (i32.const 64))))"#,
        );
        for round in 0..3 {
            let store = Store::new(&engine);
            let instance = Instance::new(&store, &m, &[]).unwrap();
            let mem = memory(&instance);
            assert!(bytes(&mem).iter().all(|b| *b == 0), "round {round}: memory");
            let t = table(&instance);
            assert!(
                (0..64).all(|i| matches!(t.get(i), Some(Val::FuncRef(None)))),
                "round {round}: table"
            );
            func(&instance, "dirty").call(&[], &mut []).unwrap();
        }
    }

    /// A table of 40 (up to 64) funcref elements starting with `$one` in
    /// elements 0 to 23 (`dense`: the table is made from the segment) or
    /// in element 1 only (written at instantiation), and every way wasm
    /// writes a table; `table.set` only `with_set` (compiled code's stores,
    /// which the runtime does not see: without them, a release resets only
    /// what the runtime saw written, once the module's info says so).
    fn table_writers(dense: bool, with_set: bool) -> String {
        let segment = if dense {
            format!("(elem (i32.const 0) func {})", "$one ".repeat(24))
        } else {
            "(elem (i32.const 1) func $one)".to_string()
        };
        let sets = if with_set {
            "(table.set (i32.const 39) (ref.func $two)) (table.set (i32.const 2) (ref.null func))"
        } else {
            ""
        };
        format!(
            r#"(module
              (type $t (func (result i32)))
              (table (export "table") 40 64 funcref)
              {segment}
              (elem $seg func $one $two)
              (func $one (export "one") (result i32) (i32.const 1))
              (func $two (result i32) (i32.const 2))
              (func (export "write_all")
                (drop (call_indirect (type $t) (i32.const 1)))
                {sets}
                (table.fill (i32.const 30) (ref.func $two) (i32.const 3))
                (table.copy (i32.const 20) (i32.const 0) (i32.const 3))
                (table.init $seg (i32.const 10) (i32.const 0) (i32.const 2))
                (drop (table.grow (ref.func $two) (i32.const 24)))))"#
        )
    }

    /// Each tenant finds its table as a fresh one, then writes it every
    /// way wasm and the host can (elements past its initial length too) and
    /// drops its store: the next tenant, in the same slot or another,
    /// reads the initial elements, and stores exactly what a fresh table
    /// stores, past its length too (nothing when lazily initialised from
    /// the segment, else the segment's elements).
    #[test]
    fn a_written_table_comes_back_fresh() {
        let shapes = [(true, true), (true, false), (false, true), (false, false)];
        for ((lazy, dense), with_set) in shapes.into_iter().flat_map(|s| [(s, true), (s, false)]) {
            for (keep, batch) in [(0, 1), (4096, 1), (0, 3)] {
                let engine = engine_with(
                    pool(4, |p| {
                        p.table_keep_resident = keep;
                        p.decommit_batch_size = batch;
                    }),
                    |c| {
                        c.set_table_lazy_init(lazy);
                    },
                );
                let m = module(&engine, &table_writers(dense, with_set));
                let initial = |i: u64| if dense { i < 24 } else { i == 1 };
                let stored = match (lazy, dense) {
                    (true, true) => 0,
                    (_, true) => 24,
                    (_, false) => 1,
                };
                let what = format!(
                    "lazy {lazy}, dense {dense}, table.set {with_set}, \
                     keep_resident {keep}, batch {batch}"
                );
                for round in 0..6 {
                    let store = Store::new(&engine);
                    let instance = Instance::new(&store, &m, &[]).unwrap();
                    let t = table(&instance);
                    assert_eq!(t.size(), 40, "{what}, round {round}");
                    assert_eq!(t.initialised_elements(), stored, "{what}, round {round}");
                    let one = func(&instance, "one");
                    for i in 0..40 {
                        match t.get(i) {
                            Some(Val::FuncRef(Some(f))) if initial(i) => assert!(f.same(&one)),
                            Some(Val::FuncRef(None)) if !initial(i) => {}
                            other => panic!("{what}, round {round}: element {i} is {other:?}"),
                        }
                    }
                    // Past the length: grown by nulls, still nothing stored.
                    assert_eq!(t.grow(24, Val::FuncRef(None)).unwrap(), 40);
                    assert_eq!(t.initialised_elements(), stored, "{what}, round {round}");
                    drop((t, one, instance, store));

                    let store = Store::new(&engine);
                    let instance = Instance::new(&store, &m, &[]).unwrap();
                    let t = table(&instance);
                    func(&instance, "write_all").call(&[], &mut []).unwrap();
                    let one = Val::FuncRef(Some(func(&instance, "one")));
                    t.set(5, one.clone()).unwrap();
                    t.set(63, one).unwrap();
                    t.set(38, Val::FuncRef(None)).unwrap();
                    assert_eq!(t.size(), 64);
                    assert!(t.initialised_elements() > 30, "{what}: written");
                }
            }
        }
    }

    fn refusal(engine: &Engine, store: &Store, wat: &str) -> String {
        match Instance::new(store, &module(engine, wat), &[]) {
            Ok(_) => panic!("instantiation is refused"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn exhaustion_names_the_resource_and_its_total() {
        let engine = engine_with(
            pool(2, |p| {
                p.total_core_instances = 3;
                p.total_tables = 1;
            }),
            |_| {},
        );
        let store = Store::new(&engine);
        let both = module(&engine, "(module (memory 1) (table 1 funcref))");
        let _first = Instance::new(&store, &both, &[]).unwrap();
        let tables = refusal(&engine, &store, "(module (memory 1) (table 1 funcref))");
        assert!(
            tables.contains("all 1 table slots") && tables.contains("total_tables"),
            "{tables}"
        );
        // The refused instance gave back its instance and memory slots.
        let memory_only = module(&engine, "(module (memory 1))");
        let _second = Instance::new(&store, &memory_only, &[]).expect("a memory slot is free");
        let memories = refusal(&engine, &store, "(module (memory 1))");
        assert!(
            memories.contains("all 2 memory slots") && memories.contains("total_memories"),
            "{memories}"
        );
        let _third = Instance::new(&store, &module(&engine, "(module)"), &[])
            .expect("an instance slot is free");
        let instances = refusal(&engine, &store, "(module)");
        assert!(
            instances.contains("all 3 instance slots")
                && instances.contains("total_core_instances"),
            "{instances}"
        );
        // Dropping the store gives everything back.
        drop((_first, _second, _third, store));
        let store = Store::new(&engine);
        let again = [
            Instance::new(&store, &both, &[]),
            Instance::new(&store, &memory_only, &[]),
            Instance::new(&store, &module(&engine, "(module)"), &[]),
        ];
        assert!(again.iter().all(Result::is_ok), "every slot came back");
    }

    #[test]
    fn an_unreservable_pool_fails_at_engine_creation_with_its_size() {
        let mut config = Config::default();
        config.set_allocation_strategy(InstanceAllocationStrategy::Pooling(
            PoolingAllocationConfig {
                total_memories: 1 << 20,
                ..PoolingAllocationConfig::default()
            },
        ));
        // 2^20 slots of 4 GiB plus a 2 GiB guard: 6 PiB, past any host.
        let error = match Engine::new(&config) {
            Ok(_) => panic!("the pool cannot be reserved"),
            Err(e) => e.to_string(),
        };
        let asked = (1u64 << 20) * (6 << 30) + (2 << 30);
        assert!(
            error.contains("allocation_strategy")
                && error.contains(&format!("{asked} bytes"))
                && error.contains("total_memories"),
            "{error}"
        );
    }

    #[test]
    fn a_warm_instantiate_drop_cycle_maps_nothing() {
        let engine = engine_with(pool(4, |_| {}), |_| {});
        let a = module(&engine, &tenant_wat(""));
        let b = module(
            &engine,
            r#"(module (memory (export "memory") 1) (data (i32.const 9) "other")
                 (table 4 funcref))"#,
        );
        let cycle = |m: &Module| {
            let store = Store::new(&engine);
            let instance = Instance::new(&store, m, &[]).unwrap();
            if instance.get_export("via_table").is_some() {
                // The table element kept by the warm slot calls this
                // instance's function.
                assert_eq!(call(&instance, "via_table", &[]), Ok(42));
            }
            // SAFETY: a write inside the first page, no wasm running.
            unsafe { *memory(&instance).data_ptr().add(5000) = 1 };
            drop(instance);
            drop(store);
        };
        // Warm-up: both modules' slots, images and trampolines.
        for _ in 0..3 {
            cycle(&a);
            cycle(&b);
        }
        let before = mmap_calls_on_this_thread();
        for _ in 0..50 {
            cycle(&a);
            cycle(&b);
        }
        assert_eq!(
            mmap_calls_on_this_thread() - before,
            0,
            "mmap/munmap calls in 100 warm instantiate/drop cycles"
        );
    }

    /// A slot keeps its last memory's initial size accessible for the
    /// next tenant; a smaller next tenant must still fault past its own
    /// size (compiled code elides the bounds check there), with signals
    /// and with explicit checks, and a larger one sees zeros.
    #[test]
    fn a_smaller_tenant_faults_past_its_own_size() {
        for signals in [true, false] {
            // Slots that cover every 32-bit index: with signals, the
            // compiled code checks no bounds and the slot's protection is
            // all that stops an access.
            let engine = engine_with(pool(1, |_| {}), |c| {
                c.set_static_memory_maximum_size(4 << 30);
                c.set_memory_guard_size(2 << 30);
                c.set_signals_based_traps(signals);
            });
            let wat = |pages: u32| {
                format!(
                    r#"(module
                      (memory {pages} 4)
                      (func (export "load") (param i32) (result i32)
                        (i32.load8_u (local.get 0)))
                      (func (export "store") (param i32)
                        (i32.store8 (local.get 0) (i32.const 0xAB))))"#
                )
            };
            let big = module(&engine, &wat(3));
            let small = module(&engine, &wat(1));
            for _ in 0..3 {
                let store = Store::new(&engine);
                let i = Instance::new(&store, &big, &[]).expect("a free slot");
                for page in 0..3 {
                    call(&i, "store", &[Val::I32(page * PAGE as i32 + 5)]).unwrap();
                }
                drop(i);
                drop(store);
                let store = Store::new(&engine);
                let i = Instance::new(&store, &small, &[]).expect("the same slot");
                assert_eq!(call(&i, "load", &[Val::I32(5)]), Ok(0), "signals {signals}");
                for past in [PAGE as i32, PAGE as i32 + 5, 2 * PAGE as i32 + 5] {
                    assert_eq!(
                        call(&i, "load", &[Val::I32(past)]),
                        Err(TrapKind::MemoryOutOfBounds),
                        "signals {signals}: byte {past} of a one-page memory"
                    );
                }
                drop(i);
                drop(store);
                let store = Store::new(&engine);
                let i = Instance::new(&store, &big, &[]).expect("the same slot");
                for page in 0..3 {
                    let at = Val::I32(page * PAGE as i32 + 5);
                    assert_eq!(call(&i, "load", &[at]), Ok(0), "signals {signals}");
                }
            }
        }
    }

    #[test]
    fn eight_threads_share_the_pool() {
        let engine = engine_with(pool(8, |_| {}), |_| {});
        let m = module(&engine, &tenant_wat(""));
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| {
                    for _ in 0..40 {
                        let store = Store::new(&engine);
                        let instance = Instance::new(&store, &m, &[]).expect("a free slot");
                        check_clean(&instance);
                        call(&instance, "dirty", &[]).unwrap();
                    }
                });
            }
        });
        // Every slot came back: eight live instances fit again.
        let stores: Vec<Store> = (0..8).map(|_| Store::new(&engine)).collect();
        let live: Vec<Instance> = stores
            .iter()
            .map(|s| Instance::new(s, &m, &[]).expect("every slot is free"))
            .collect();
        live.iter().for_each(check_clean);
    }
}
