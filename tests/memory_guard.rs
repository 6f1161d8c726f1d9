//! `memory_guard_size` values that are not a multiple of the host page size
//! (issue 20, item 2): they are rounded up to whole host pages, so memories
//! are made and grown, modules instantiate, and accesses that land in the
//! guard still trap. Driven through the C API, as the issue was found.
//!
//! Calls of the `unsafe` C functions pass valid or NULL pointers, as the C
//! contract requires.

mod support;
use std::ptr;
use support::error_text;

use wasm_runtime::capi::engine::{wasm_config_new, wasm_config_t, wasm_engine_delete};
use wasm_runtime::capi::ext::config::{
    wasm_config_guard_before_linear_memory_set, wasm_config_memory_guard_size_set,
    wasm_config_static_memory_maximum_size_set,
};
use wasm_runtime::capi::ext::engine::wasm_engine_try_new;
use wasm_runtime::capi::ext::instance::wasm_instance_new_checked;
use wasm_runtime::capi::ext::module::wasm_module_new_checked;
use wasm_runtime::capi::ext::objects::{wasm_memory_grow_checked, wasm_memory_new_checked};
use wasm_runtime::capi::ext::trap::{wasm_trap_code, WASM_TRAP_CODE_MEMORY_OUT_OF_BOUNDS};
use wasm_runtime::capi::ext::wat::wasm_wat2wasm;
use wasm_runtime::capi::func::wasm_func_call;
use wasm_runtime::capi::instance::{wasm_instance_delete, wasm_instance_exports};
use wasm_runtime::capi::limits::wasm_limits_t;
use wasm_runtime::capi::memory::{wasm_memory_delete, wasm_memory_size};
use wasm_runtime::capi::memorytype::{wasm_memorytype_delete, wasm_memorytype_new};
use wasm_runtime::capi::module::wasm_module_t;
use wasm_runtime::capi::r#extern::{wasm_extern_as_func_const, wasm_extern_t};
use wasm_runtime::capi::store::{wasm_store_new, wasm_store_t};
use wasm_runtime::capi::trap::{wasm_trap_delete, wasm_trap_t};
use wasm_runtime::capi::val::wasm_val_t;
use wasm_runtime::capi::valtype::WASM_I32;
use wasm_runtime::capi::vec::{wasm_byte_vec_t, wasm_extern_vec_t, wasm_val_vec_t, CVec};

fn page_size() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    assert!(size > 0, "the host page size");
    size as u64
}

/// The guard sizes of the issue: below, just above and between pages.
fn odd_guard_sizes() -> Vec<u64> {
    let page = page_size();
    vec![1, 7, page - 1, page + 1, 4097, 3 * page + 5, 65537]
}

/// The module every case instantiates: `load`/`store` with a constant
/// offset of 100 (which fits the rounded guard, so its bounds check is
/// left to the guard on the static layout), and `grow`.
const MODULE: &str = r#"(module
  (memory (export "mem") 1 3)
  (func (export "load") (param i32) (result i32) (i32.load offset=100 (local.get 0)))
  (func (export "store") (param i32) (i32.store offset=100 (local.get 0) (i32.const 7)))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))"#;

struct Case {
    store: Box<wasm_store_t>,
    module: Box<wasm_module_t>,
}

impl Case {
    /// An engine (consuming `config`), a store and the compiled module.
    fn new(config: Box<wasm_config_t>) -> Case {
        let mut engine = ptr::null_mut();
        let err = wasm_engine_try_new(Some(config), Some(&mut engine));
        assert_eq!(error_text(err), None, "engine creation");
        // SAFETY: the engine was just made; the store keeps it alive.
        let store = unsafe { wasm_store_new(engine) }.expect("store");
        // SAFETY: made by wasm_engine_try_new for us to own.
        wasm_engine_delete(Some(unsafe { Box::from_raw(engine) }));
        let mut bin = wasm_byte_vec_t::from_vec(Vec::new());
        let err = wasm_wat2wasm(MODULE.as_ptr().cast(), MODULE.len(), Some(&mut bin));
        assert_eq!(error_text(err), None, "wat2wasm");
        let mut module = ptr::null_mut();
        // SAFETY: valid store and byte vector.
        let err = unsafe { wasm_module_new_checked(sp(&store), Some(&bin), Some(&mut module)) };
        // SAFETY: made by wasm_wat2wasm.
        drop(unsafe { bin.take() });
        assert_eq!(error_text(err), None, "compilation");
        // SAFETY: made by wasm_module_new_checked for us to own.
        let module = unsafe { Box::from_raw(module) };
        Case { store, module }
    }

    /// A host memory of 1..=2 pages, grown once.
    fn check_host_memory(&self, what: &str) {
        let limits = wasm_limits_t { min: 1, max: 2 };
        let ty = wasm_memorytype_new(Some(&limits)).unwrap();
        let mut memory = ptr::null_mut();
        // SAFETY: valid store and type.
        let err = unsafe { wasm_memory_new_checked(sp(&self.store), Some(&ty), Some(&mut memory)) };
        wasm_memorytype_delete(Some(ty));
        assert_eq!(error_text(err), None, "{what}: wasm_memory_new_checked");
        // SAFETY: valid memory and out-param.
        let err = unsafe { wasm_memory_grow_checked(memory, 1, None) };
        assert_eq!(error_text(err), None, "{what}: wasm_memory_grow_checked");
        // SAFETY: made by wasm_memory_new_checked for us to own.
        let memory = unsafe { Box::from_raw(memory) };
        assert_eq!(wasm_memory_size(Some(&memory)), 2, "{what}");
        wasm_memory_delete(Some(memory));
    }

    /// Instantiates the module and checks in-bounds accesses, accesses in
    /// the guard and past the memory, and growth.
    fn check_instance(&self, what: &str) {
        let mut instance = ptr::null_mut();
        let mut trap = ptr::null_mut();
        // SAFETY: valid store and module, no imports.
        let err = unsafe {
            wasm_instance_new_checked(
                sp(&self.store),
                Some(&self.module),
                None,
                Some(&mut instance),
                Some(&mut trap),
            )
        };
        assert_eq!(error_text(err), None, "{what}: instantiation");
        assert!(
            trap.is_null() && !instance.is_null(),
            "{what}: instantiation"
        );
        // SAFETY: made by wasm_instance_new_checked for us to own.
        let instance = unsafe { Box::from_raw(instance) };
        let mut out = wasm_extern_vec_t::empty();
        wasm_instance_exports(Some(&instance), Some(&mut out));
        // SAFETY: made by wasm_instance_exports.
        let exports: Vec<Box<wasm_extern_t>> = unsafe { out.take() }
            .into_iter()
            .map(Option::unwrap)
            .collect();
        let (load, store, grow) = (&exports[1], &exports[2], &exports[3]);

        // In bounds: the last word of the first page.
        assert_eq!(call(store, 65532 - 100), Ok(None), "{what}: store");
        assert_eq!(call(load, 65532 - 100), Ok(Some(7)), "{what}: load");
        // Past the memory's end, inside its reservation.
        assert_oob(call(load, 65536 - 100), what, "load past the end");
        assert_oob(call(store, 65536 - 99), what, "store past the end");
        // An index at the top of the 32-bit range plus the offset lands
        // past the 4 GiB reservation, in the (rounded) guard.
        assert_oob(call(load, -16), what, "load in the guard");
        assert_oob(call(store, -1), what, "store in the guard");
        // Growth commits more pages; the new end traps again.
        assert_eq!(call(grow, 1), Ok(Some(1)), "{what}: grow");
        assert_eq!(
            call(store, 2 * 65536 - 104),
            Ok(None),
            "{what}: store after grow"
        );
        assert_eq!(
            call(load, 2 * 65536 - 104),
            Ok(Some(7)),
            "{what}: load after grow"
        );
        assert_oob(call(load, 2 * 65536 - 100), what, "load past the grown end");
        drop(exports);
        wasm_instance_delete(Some(instance));
    }
}

fn sp(store: &wasm_store_t) -> *mut wasm_store_t {
    store as *const wasm_store_t as *mut wasm_store_t
}

/// Calls `f(arg)`: its i32 result if any, or the trap's code.
fn call(f: &wasm_extern_t, arg: i32) -> Result<Option<i32>, Option<u8>> {
    let f = wasm_extern_as_func_const(Some(f)).expect("a function");
    let mut args = [wasm_val_t::zeroed(WASM_I32)];
    args[0].of.i32 = arg;
    let args = wasm_val_vec_t::from_raw_parts(1, args.as_mut_ptr());
    let mut results = [wasm_val_t::zeroed(WASM_I32)];
    let nresults = wasm_runtime::capi::func::wasm_func_result_arity(Some(f));
    let mut results_vec = wasm_val_vec_t::from_raw_parts(nresults, results.as_mut_ptr());
    // SAFETY: valid function and vectors of the right sizes.
    let trap: Option<Box<wasm_trap_t>> =
        unsafe { wasm_func_call(Some(f), Some(&args), &mut results_vec) };
    match trap {
        None if nresults == 0 => Ok(None),
        // SAFETY: an i32 result was written.
        None => Ok(Some(unsafe { results[0].of.i32 })),
        Some(trap) => {
            let mut code = 0;
            let known = wasm_trap_code(Some(&trap), Some(&mut code));
            wasm_trap_delete(Some(trap));
            Err(known.then_some(code))
        }
    }
}

fn assert_oob(result: Result<Option<i32>, Option<u8>>, what: &str, access: &str) {
    assert_eq!(
        result,
        Err(Some(WASM_TRAP_CODE_MEMORY_OUT_OF_BOUNDS)),
        "{what}: {access} must trap as out of bounds"
    );
}

fn config(guard: u64, guard_before: bool, static_max: Option<u64>) -> Box<wasm_config_t> {
    let mut config = wasm_config_new();
    wasm_config_memory_guard_size_set(Some(&mut config), guard);
    wasm_config_guard_before_linear_memory_set(Some(&mut config), guard_before);
    if let Some(max) = static_max {
        wasm_config_static_memory_maximum_size_set(Some(&mut config), max);
    }
    config
}

#[test]
fn odd_guard_sizes_work_for_static_memories() {
    for guard in odd_guard_sizes() {
        for before in [true, false] {
            let what = format!("guard {guard}, guard before {before}");
            let case = Case::new(config(guard, before, None));
            case.check_host_memory(&what);
            case.check_instance(&what);
        }
    }
}

#[test]
fn odd_guard_sizes_work_for_dynamic_memories() {
    // A zero static maximum makes every memory dynamic: it moves when it
    // grows past its reservation, re-committing behind the pre-guard.
    for guard in odd_guard_sizes() {
        let what = format!("guard {guard}, dynamic");
        let case = Case::new(config(guard, true, Some(0)));
        case.check_host_memory(&what);
        case.check_instance(&what);
    }
}

#[test]
fn the_guard_is_rounded_up_to_whole_pages() {
    use wasm_runtime::config::Config;
    use wasm_runtime::engine::Engine;
    use wasm_runtime::module::Module;

    let page = page_size();
    let wasm = wat::parse_str("(module (memory 1))").unwrap();
    for (asked, expected) in [
        (0, 0),
        (1, page),
        (page - 1, page),
        (page, page),
        (page + 1, 2 * page),
        (3 * page + 5, 4 * page),
    ] {
        let mut config = Config::new();
        config.set_memory_guard_size(asked);
        let engine = Engine::new(&config).unwrap();
        let module = Module::new(&engine, &wasm).unwrap();
        let plan = module.memory_plans()[0];
        assert_eq!(plan.offset_guard_size, expected, "guard {asked}");
        assert_eq!(plan.pre_guard_size, expected, "guard {asked} (before)");
    }
}
