//! No panic crosses an `extern "C"` boundary (issue 20, item 2): a panic in
//! Rust code behind a C entry point comes back as that entry point's
//! failure value (NULL, false, an error or a trap, saying it panicked), and
//! the process and the objects made so far keep working.
//!
//! The panics are real ones, raised by an embedder's callbacks written in
//! Rust (a memory creator, a host feature detector) and handed to the C
//! API through `wasm_config_t::from_config`, as a mixed Rust and C host
//! does; they fire at engine creation, memory creation, instantiation,
//! growth (from the host and from inside wasm) and store teardown.
//!
//! Calls of the `unsafe` C functions pass valid or NULL pointers, as the C
//! contract requires.

mod support;
use std::ptr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use support::error_text;

use wasm_runtime::capi::engine::{wasm_config_t, wasm_engine_new_with_config, wasm_engine_t};
use wasm_runtime::capi::ext::engine::wasm_engine_try_new;
use wasm_runtime::capi::ext::instance::wasm_instance_new_checked;
use wasm_runtime::capi::ext::objects::{wasm_memory_grow_checked, wasm_memory_new_checked};
use wasm_runtime::capi::ext::wat::wasm_wat2wasm;
use wasm_runtime::capi::func::{wasm_func_call, wasm_func_t};
use wasm_runtime::capi::instance::{wasm_instance_exports, wasm_instance_new, wasm_instance_t};
use wasm_runtime::capi::limits::wasm_limits_t;
use wasm_runtime::capi::memory::{
    wasm_memory_delete, wasm_memory_grow, wasm_memory_new, wasm_memory_size,
};
use wasm_runtime::capi::memorytype::{wasm_memorytype_new, wasm_memorytype_t};
use wasm_runtime::capi::module::{wasm_module_new, wasm_module_t};
use wasm_runtime::capi::r#extern::wasm_extern_as_func_const;
use wasm_runtime::capi::store::{wasm_store_delete, wasm_store_new, wasm_store_t};
use wasm_runtime::capi::trap::{wasm_trap_message, wasm_trap_t};
use wasm_runtime::capi::val::wasm_val_t;
use wasm_runtime::capi::valtype::WASM_I32;
use wasm_runtime::capi::vec::{wasm_byte_vec_t, wasm_extern_vec_t, wasm_val_vec_t, CVec};
use wasm_runtime::config::{Config, LinearMemory, MemoryCreator};

/// Where the embedder's memory callbacks panic.
#[derive(Clone, Copy, PartialEq)]
enum PanicIn {
    NewMemory,
    Grow,
    Drop,
}

/// A memory creator (for dynamic memories) whose memories live in a
/// `Vec`, panicking at one chosen point.
struct Creator {
    panic_in: PanicIn,
    made: AtomicUsize,
}

struct VecMemory {
    bytes: Vec<u8>,
    panic_in: PanicIn,
}

impl MemoryCreator for Creator {
    fn new_memory(
        &self,
        minimum: usize,
        _maximum: Option<usize>,
        reserved: Option<usize>,
        _guard: usize,
    ) -> anyhow::Result<Box<dyn LinearMemory>> {
        assert!(reserved.is_none(), "the tests use dynamic memories");
        if self.panic_in == PanicIn::NewMemory {
            panic!("boom in new_memory");
        }
        self.made.fetch_add(1, Ordering::SeqCst);
        Ok(Box::new(VecMemory {
            bytes: vec![0; minimum],
            panic_in: self.panic_in,
        }))
    }
}

impl LinearMemory for VecMemory {
    fn byte_size(&self) -> usize {
        self.bytes.len()
    }
    fn byte_capacity(&self) -> usize {
        self.bytes.capacity()
    }
    fn grow_to(&mut self, new_size: usize) -> anyhow::Result<()> {
        if self.panic_in == PanicIn::Grow {
            panic!("boom in grow_to");
        }
        self.bytes.resize(new_size, 0);
        Ok(())
    }
    fn as_ptr(&self) -> *mut u8 {
        self.bytes.as_ptr().cast_mut()
    }
}

impl Drop for VecMemory {
    fn drop(&mut self) {
        if self.panic_in == PanicIn::Drop {
            panic!("boom in drop");
        }
    }
}

fn trap_text(trap: *mut wasm_trap_t) -> String {
    assert!(!trap.is_null(), "expected a trap");
    // SAFETY: a trap owned by the caller.
    let trap = unsafe { Box::from_raw(trap) };
    let mut msg = wasm_byte_vec_t::from_vec(Vec::new());
    wasm_trap_message(Some(&trap), Some(&mut msg));
    // SAFETY: made by wasm_trap_message.
    let mut bytes = unsafe { msg.take() };
    bytes.pop();
    String::from_utf8(bytes).unwrap()
}

/// A C engine whose memories come from a `Creator` panicking at
/// `panic_in`, and one store of it.
fn setup(panic_in: PanicIn) -> (Arc<Creator>, Box<wasm_store_t>) {
    let creator = Arc::new(Creator {
        panic_in,
        made: AtomicUsize::new(0),
    });
    let mut config = Config::new();
    // Dynamic memories, so a `Vec` can hold them.
    config.set_static_memory_maximum_size(0);
    config.set_with_host_memory(Some(creator.clone()));
    let mut engine: *mut wasm_engine_t = ptr::null_mut();
    let err = wasm_engine_try_new(Some(wasm_config_t::from_config(config)), Some(&mut engine));
    assert_eq!(error_text(err), None);
    // SAFETY: made by wasm_engine_try_new; the store keeps the engine alive.
    let store = unsafe { wasm_store_new(engine) }.expect("store");
    // SAFETY: made by wasm_engine_try_new for us to own.
    drop(unsafe { Box::from_raw(engine) });
    (creator, store)
}

fn sp(store: &wasm_store_t) -> *mut wasm_store_t {
    store as *const wasm_store_t as *mut wasm_store_t
}

fn one_page() -> Box<wasm_memorytype_t> {
    wasm_memorytype_new(Some(&wasm_limits_t { min: 1, max: 4 })).unwrap()
}

fn module(store: &wasm_store_t, text: &str) -> Box<wasm_module_t> {
    let mut bin = wasm_byte_vec_t::from_vec(Vec::new());
    assert_eq!(
        error_text(wasm_wat2wasm(
            text.as_ptr().cast(),
            text.len(),
            Some(&mut bin)
        )),
        None
    );
    // SAFETY: valid store and byte vector.
    let m = unsafe { wasm_module_new(sp(store), Some(&bin)) }.expect("module");
    // SAFETY: made by wasm_wat2wasm.
    drop(unsafe { bin.take() });
    m
}

const WITH_MEMORY: &str = r#"(module
  (memory 1 4)
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "answer") (result i32) (i32.const 42)))"#;

/// Instantiates `m`; the instance, or the message of the trap or error.
fn instantiate(store: &wasm_store_t, m: &wasm_module_t) -> Result<Box<wasm_instance_t>, String> {
    let mut instance = ptr::null_mut();
    let mut trap = ptr::null_mut();
    // SAFETY: valid store and module, no imports.
    let err = unsafe {
        wasm_instance_new_checked(
            sp(store),
            Some(m),
            None,
            Some(&mut instance),
            Some(&mut trap),
        )
    };
    if let Some(text) = error_text(err) {
        return Err(text);
    }
    if !trap.is_null() {
        return Err(trap_text(trap));
    }
    // SAFETY: made by wasm_instance_new_checked for us to own.
    Ok(unsafe { Box::from_raw(instance) })
}

/// Calls the export `index` of `instance` with i32 `args`; its i32 result.
fn call(instance: &wasm_instance_t, index: usize, args: &[i32]) -> Result<i32, String> {
    let mut out = wasm_extern_vec_t::empty();
    wasm_instance_exports(Some(instance), Some(&mut out));
    // SAFETY: made by wasm_instance_exports.
    let exports = unsafe { out.take() };
    let f: &wasm_func_t = wasm_extern_as_func_const(exports[index].as_deref()).unwrap();
    let mut vals: Vec<wasm_val_t> = args
        .iter()
        .map(|a| {
            let mut v = wasm_val_t::zeroed(WASM_I32);
            v.of.i32 = *a;
            v
        })
        .collect();
    let args = wasm_val_vec_t::from_raw_parts(vals.len(), vals.as_mut_ptr());
    let mut result = [wasm_val_t::zeroed(WASM_I32)];
    let mut results = wasm_val_vec_t::from_raw_parts(1, result.as_mut_ptr());
    // SAFETY: valid function and vectors of the right sizes.
    match unsafe { wasm_func_call(Some(f), Some(&args), &mut results) } {
        // SAFETY: an i32 result was written.
        None => Ok(unsafe { result[0].of.i32 }),
        Some(trap) => Err(trap_text(Box::into_raw(trap))),
    }
}

#[test]
fn a_panic_making_a_memory_is_an_error() {
    let (_creator, store) = setup(PanicIn::NewMemory);
    let ty = one_page();
    let mut memory = ptr::null_mut();
    // SAFETY: valid store and type.
    let err = unsafe { wasm_memory_new_checked(sp(&store), Some(&ty), Some(&mut memory)) };
    assert_eq!(
        error_text(err).as_deref(),
        Some("wasm_memory_new_checked: internal error: the runtime panicked: boom in new_memory")
    );
    assert!(memory.is_null(), "out is left untouched");
    // SAFETY: valid store and type.
    assert!(unsafe { wasm_memory_new(sp(&store), Some(&ty)) }.is_none());

    // Instantiating a module with a memory panics the same way: an error
    // from the checked variant, NULL and a trap from the standard one.
    let m = module(&store, WITH_MEMORY);
    let err = instantiate(&store, &m).err().expect("instantiation fails");
    assert!(
        err.starts_with("wasm_instance_new_checked: cannot instantiate the module")
            && err.contains("internal error: the runtime panicked: boom in new_memory"),
        "{err}"
    );
    let mut trap = ptr::null_mut();
    // SAFETY: valid store and module, no imports.
    let instance = unsafe { wasm_instance_new(sp(&store), Some(&m), None, Some(&mut trap)) };
    assert!(instance.is_none());
    let text = trap_text(trap);
    assert!(
        text.contains("the runtime panicked: boom in new_memory"),
        "{text}"
    );

    // The store still works for everything that needs no memory.
    let plain = module(
        &store,
        r#"(module (func (export "answer") (result i32) i32.const 42))"#,
    );
    let instance = instantiate(&store, &plain).unwrap();
    assert_eq!(call(&instance, 0, &[]), Ok(42));
}

#[test]
fn a_panic_growing_a_memory_is_a_failed_growth() {
    let (creator, store) = setup(PanicIn::Grow);
    // From the host.
    let ty = one_page();
    // SAFETY: valid store and type.
    let memory = unsafe { wasm_memory_new(sp(&store), Some(&ty)) }.expect("memory");
    let mp = &*memory as *const _ as *mut _;
    // SAFETY: a live memory.
    assert!(!unsafe { wasm_memory_grow(mp, 1) });
    // SAFETY: a live memory.
    let err = unsafe { wasm_memory_grow_checked(mp, 1, None) };
    assert_eq!(
        error_text(err).as_deref(),
        Some("wasm_memory_grow_checked: internal error: the runtime panicked: boom in grow_to")
    );
    assert_eq!(wasm_memory_size(Some(&memory)), 1);

    // From inside wasm: the embedder's callback panics below wasm frames;
    // the panic stops at the runtime's builtin, which reports a failed
    // growth (-1) instead of unwinding through the wasm code.
    let m = module(&store, WITH_MEMORY);
    let instance = instantiate(&store, &m).unwrap();
    assert_eq!(creator.made.load(Ordering::SeqCst), 2);
    assert_eq!(call(&instance, 0, &[1]), Ok(-1));
    assert_eq!(call(&instance, 1, &[]), Ok(42));
}

#[test]
fn a_panic_tearing_a_store_down_stays_inside() {
    let (creator, store) = setup(PanicIn::Drop);
    let ty = one_page();
    // SAFETY: valid store and type.
    let memory = unsafe { wasm_memory_new(sp(&store), Some(&ty)) }.expect("memory");
    assert_eq!(creator.made.load(Ordering::SeqCst), 1);
    // The memory goes with the store's last handle: deleting the store,
    // then the memory's handle, runs the panicking drop behind a C call.
    wasm_store_delete(Some(store));
    wasm_memory_delete(Some(memory));
    // The process goes on, and so does the engine.
    let (_creator, store) = setup(PanicIn::Grow);
    let m = module(&store, WITH_MEMORY);
    let instance = instantiate(&store, &m).unwrap();
    assert_eq!(call(&instance, 1, &[]), Ok(42));
}

#[test]
fn a_panic_building_an_engine_is_an_error() {
    let config = || {
        let mut config = Config::new();
        let detect = |feature: &str| -> Option<bool> { panic!("boom detecting {feature}") };
        // SAFETY: the detector never reports a feature (it panics).
        unsafe { config.set_detect_host_feature(Some(Arc::new(detect))) };
        wasm_config_t::from_config(config)
    };
    let mut engine = ptr::null_mut();
    let err = error_text(wasm_engine_try_new(Some(config()), Some(&mut engine))).unwrap();
    assert!(
        err.starts_with(
            "wasm_engine_try_new: internal error: the runtime panicked: boom detecting"
        ),
        "{err}"
    );
    assert!(engine.is_null());
    assert!(wasm_engine_new_with_config(Some(config())).is_none());
}
