//! Deleting a store releases everything it owns (instances, memories,
//! tables, pooling slots) whatever modules live on: a `wasm_module_t`
//! belongs to the engine, not to the store it was compiled in, so holding
//! one must not keep that store alive.
//!
//! The C functions are called through the rlib exactly as C calls them;
//! every pointer passed is live or NULL as the C contract requires.

use std::ptr;

use wasm_runtime::capi::engine::*;
use wasm_runtime::capi::ext::config::*;
use wasm_runtime::capi::ext::wat::wasm_wat2wasm;
use wasm_runtime::capi::func::*;
use wasm_runtime::capi::instance::*;
use wasm_runtime::capi::memory::*;
use wasm_runtime::capi::module::*;
use wasm_runtime::capi::r#extern::*;
use wasm_runtime::capi::store::*;
use wasm_runtime::capi::trap::*;
use wasm_runtime::capi::vec::*;

/// The module every test instantiates: a memory of `pages` pages, a table,
/// and `touch`, which writes every byte of the memory.
fn wat(pages: u32) -> String {
    format!(
        r#"(module
          (memory (export "m") {pages})
          (table 1 funcref)
          (func (export "touch")
            (memory.fill (i32.const 0) (i32.const 1)
              (i32.mul (memory.size) (i32.const 65536)))))"#
    )
}

fn binary(wat: &str) -> wasm_byte_vec_t {
    let mut binary = wasm_byte_vec_t::empty();
    let error = wasm_wat2wasm(wat.as_ptr().cast(), wat.len(), Some(&mut binary));
    assert!(error.is_none(), "the test module is valid");
    binary
}

fn compile(store: &mut wasm_store_t, wat: &str) -> Box<wasm_module_t> {
    let mut bytes = binary(wat);
    // SAFETY: a live store and byte vector.
    let module = unsafe { wasm_module_new(store, Some(&bytes)) }.expect("wasm_module_new");
    // SAFETY: made by wasm_wat2wasm, freed once.
    drop(unsafe { bytes.take() });
    module
}

/// An instance of `module` in `store` and its exports, or the message of
/// the trap that refused it.
fn instantiate(
    store: &mut wasm_store_t,
    module: &wasm_module_t,
) -> Result<(Box<wasm_instance_t>, wasm_extern_vec_t), String> {
    let mut trap = ptr::null_mut();
    let empty = wasm_extern_vec_t::empty();
    // SAFETY: live store, module and import vector; `trap` is an out-param.
    let instance = unsafe { wasm_instance_new(store, Some(module), Some(&empty), Some(&mut trap)) };
    match instance {
        Some(instance) => {
            let mut exports = wasm_extern_vec_t::empty();
            wasm_instance_exports(Some(&instance), Some(&mut exports));
            Ok((instance, exports))
        }
        None => {
            assert!(!trap.is_null(), "a refused instantiation says why");
            // SAFETY: the trap is ours to read and delete.
            let trap = unsafe { Box::from_raw(trap) };
            let mut message = wasm_byte_vec_t::empty();
            wasm_trap_message(Some(&trap), Some(&mut message));
            wasm_trap_delete(Some(trap));
            // SAFETY: filled by wasm_trap_message.
            let mut bytes = unsafe { message.take() };
            bytes.pop(); // the terminating NUL
            Err(String::from_utf8_lossy(&bytes).into_owned())
        }
    }
}

/// Calls the exported function `touch` (export 1).
fn touch(exports: &wasm_extern_vec_t) {
    // SAFETY: the exports of `wat`'s module: memory, then `touch`.
    let touch = unsafe { exports.as_slice() }[1]
        .as_deref()
        .and_then(|e| wasm_extern_as_func_const(Some(e)))
        .expect("touch is a function");
    let mut results = wasm_val_vec_t::empty();
    // SAFETY: a live function of no parameters and no results.
    let trap = unsafe { wasm_func_call(Some(touch), Some(&wasm_val_vec_t::empty()), &mut results) };
    assert!(trap.is_none(), "touch runs");
}

fn delete_instance(instance: Box<wasm_instance_t>, mut exports: wasm_extern_vec_t) {
    // SAFETY: the vector was filled by wasm_instance_exports, freed once.
    unsafe { wasm_extern_vec_delete(Some(&mut exports)) };
    wasm_instance_delete(Some(instance));
}

fn new_store(engine: &mut wasm_engine_t) -> Box<wasm_store_t> {
    // SAFETY: a live engine.
    unsafe { wasm_store_new(engine) }.expect("wasm_store_new")
}

/// With pooling, compiling and instantiating once in a setup store and then
/// using one store per request: once the setup store is deleted its slots
/// are free for the requests, though the module lives on.
#[test]
fn a_deleted_store_gives_its_pooling_slots_back_while_its_module_lives() {
    let mut pooling = wasm_pooling_allocation_config_new();
    wasm_pooling_allocation_config_total_core_instances_set(Some(&mut pooling), 1);
    wasm_pooling_allocation_config_total_memories_set(Some(&mut pooling), 1);
    wasm_pooling_allocation_config_total_tables_set(Some(&mut pooling), 1);
    let mut config = wasm_config_new();
    wasm_config_allocation_strategy_set(Some(&mut config), Some(&pooling));
    wasm_pooling_allocation_config_delete(Some(pooling));
    let mut engine = wasm_engine_new_with_config(Some(config)).expect("a pooling engine");

    let mut setup = new_store(&mut engine);
    let module = compile(&mut setup, &wat(1));
    let (instance, exports) = instantiate(&mut setup, &module).expect("the setup instance");
    touch(&exports);
    delete_instance(instance, exports);
    wasm_store_delete(Some(setup));

    let mut served = 0;
    let mut refusals = Vec::new();
    for _ in 0..5 {
        let mut store = new_store(&mut engine);
        match instantiate(&mut store, &module) {
            Ok((instance, exports)) => {
                touch(&exports);
                delete_instance(instance, exports);
                served += 1;
            }
            Err(message) => refusals.push(message),
        }
        wasm_store_delete(Some(store));
    }
    assert_eq!(served, 5, "one store per request; refused: {refusals:?}");

    wasm_module_delete(Some(module));
    wasm_engine_delete(Some(engine));
}

/// How many of the host pages in `[start, start + len)` are resident,
/// as `mincore` reports them; pages that are no longer mapped count as
/// not resident (asked per chunk, so one unmapped chunk does not hide
/// the others).
fn resident_pages(start: *mut u8, len: usize) -> usize {
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as usize;
    let chunk = 256 * page;
    let mut resident = 0;
    let mut status = vec![0u8; chunk / page];
    let mut offset = 0;
    while offset < len {
        let n = chunk.min(len - offset);
        // SAFETY: mincore only reads the page tables of the range (any
        // address range is allowed; unmapped ones give ENOMEM) and writes
        // one byte per page into `status`, which has room for `chunk`.
        let rc = unsafe { libc::mincore(start.add(offset).cast(), n, status.as_mut_ptr()) };
        if rc == 0 {
            resident += status[..n.div_ceil(page)]
                .iter()
                .filter(|s| **s & 1 != 0)
                .count();
        } else {
            let error = std::io::Error::last_os_error();
            assert_eq!(error.raw_os_error(), Some(libc::ENOMEM), "mincore: {error}");
        }
        offset += n;
    }
    resident
}

/// On-demand allocation: a memory that wasm filled is resident until its
/// store is deleted, and released then, although the module made in that
/// store is still alive.
#[test]
fn a_deleted_stores_memory_is_released_while_its_module_lives() {
    const MIB_100: usize = 100 << 20;
    let mut engine = wasm_engine_new().expect("an engine");
    let mut store = new_store(&mut engine);
    let module = compile(&mut store, &wat((MIB_100 >> 16) as u32));
    let (instance, exports) = instantiate(&mut store, &module).expect("the instance");
    touch(&exports);
    // SAFETY: export 0 is the memory.
    let memory = unsafe { exports.as_slice() }[0]
        .as_deref()
        .and_then(|e| wasm_extern_as_memory_const(Some(e)))
        .expect("m is a memory");
    assert_eq!(wasm_memory_data_size(Some(memory)), MIB_100);
    let base = memory as *const wasm_memory_t as *mut wasm_memory_t;
    // SAFETY: a live memory handle.
    let base = unsafe { wasm_memory_data(base) }.cast::<u8>();
    // SAFETY: sysconf has no preconditions.
    let pages = MIB_100 / unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as usize;
    let before = resident_pages(base, MIB_100);
    assert!(
        before >= pages * 9 / 10,
        "the filled memory is resident: {before} of {pages} pages"
    );

    delete_instance(instance, exports);
    wasm_store_delete(Some(store));
    let after = resident_pages(base, MIB_100);
    assert!(
        after <= pages / 100,
        "the deleted store's memory is released: {after} of {pages} pages still resident"
    );

    wasm_module_delete(Some(module));
    wasm_engine_delete(Some(engine));
}
