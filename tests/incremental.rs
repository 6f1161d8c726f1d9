//! `enable_incremental_compilation` (issue 16): Cranelift's incremental
//! cache behind the embedder's store. Compiling a module again reuses the
//! code of every function; changing one function recompiles only that one;
//! the code from the cache runs correctly; a store that loses or corrupts
//! values costs only recompilation.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use wasm_runtime::config::{CacheStore, Config};
use wasm_runtime::engine::Engine;
use wasm_runtime::module::Module;
use wasm_runtime::runtime::{Extern, Instance, Store, Val};

/// A cache store in a map, counting lookups that hit and inserts.
#[derive(Default)]
struct CountingStore {
    map: Mutex<HashMap<Vec<u8>, Vec<u8>>>,
    hits: AtomicUsize,
    misses: AtomicUsize,
    inserts: AtomicUsize,
    /// When set, every value handed back is damaged (a flipped byte).
    corrupt: std::sync::atomic::AtomicBool,
}

impl CacheStore for CountingStore {
    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        let found = self.map.lock().unwrap().get(key).cloned();
        match found {
            Some(mut value) => {
                self.hits.fetch_add(1, Ordering::SeqCst);
                if self.corrupt.load(Ordering::SeqCst) {
                    let mid = value.len() / 2;
                    value[mid] ^= 0xff;
                    value.truncate(mid + 1);
                }
                Some(value)
            }
            None => {
                self.misses.fetch_add(1, Ordering::SeqCst);
                None
            }
        }
    }

    fn insert(&self, key: &[u8], value: Vec<u8>) -> bool {
        self.inserts.fetch_add(1, Ordering::SeqCst);
        self.map.lock().unwrap().insert(key.to_vec(), value);
        true
    }
}

impl CountingStore {
    /// (hits, misses, inserts) since the last call.
    fn take_counts(&self) -> (usize, usize, usize) {
        (
            self.hits.swap(0, Ordering::SeqCst),
            self.misses.swap(0, Ordering::SeqCst),
            self.inserts.swap(0, Ordering::SeqCst),
        )
    }
}

/// Three functions; `$k` is the constant the test changes.
fn module_text(k: i32) -> String {
    format!(
        r#"(module
            (func $square (export "square") (param i32) (result i32) (i32.mul (local.get 0) (local.get 0)))
            (func $plus_k (export "plus_k") (param i32) (result i32) (i32.add (local.get 0) (i32.const {k})))
            (func (export "both") (param i32) (result i32) (call $plus_k (call $square (local.get 0)))))"#
    )
}

fn engine_with(store: &Arc<CountingStore>) -> Engine {
    let mut config = Config::new();
    // One thread: the counts are then exact per compilation.
    config.set_parallel_compilation(false);
    config
        .enable_incremental_compilation(store.clone())
        .expect("the incremental cache is compiled in");
    Engine::new(&config).unwrap()
}

fn run(engine: &Engine, wat: &str, name: &str, arg: i32) -> i32 {
    let module = Module::new(engine, &wat::parse_str(wat).unwrap()).unwrap();
    let store = Store::new(engine);
    let instance = Instance::new(&store, &module, &[]).unwrap();
    let f = instance
        .get_export(name)
        .and_then(Extern::into_func)
        .unwrap();
    let mut out = [Val::I32(0)];
    f.call(&[Val::I32(arg)], &mut out).unwrap();
    out[0].i32().unwrap()
}

#[test]
fn unchanged_functions_come_from_the_cache() {
    let cache = Arc::new(CountingStore::default());
    let engine = engine_with(&cache);
    assert_eq!(run(&engine, &module_text(10), "both", 3), 19);
    assert_eq!(
        cache.take_counts(),
        (0, 3, 3),
        "cold: every function compiled"
    );

    // The same module again, in another engine sharing the store.
    let engine2 = engine_with(&cache);
    assert_eq!(run(&engine2, &module_text(10), "both", 4), 26);
    assert_eq!(
        cache.take_counts(),
        (3, 0, 0),
        "warm: every function reused"
    );

    // One function changed: only it is compiled; the others, whose code
    // calls or is called by it, are reused and still link to it.
    assert_eq!(run(&engine, &module_text(100), "both", 3), 109);
    assert_eq!(cache.take_counts(), (2, 1, 1));
    assert_eq!(run(&engine, &module_text(100), "plus_k", 1), 101);
    assert_eq!(cache.take_counts(), (3, 0, 0));
}

#[test]
fn a_damaged_cache_value_is_recompiled() {
    let cache = Arc::new(CountingStore::default());
    let engine = engine_with(&cache);
    assert_eq!(run(&engine, &module_text(7), "both", 2), 11);
    cache.take_counts();
    cache.corrupt.store(true, Ordering::SeqCst);
    assert_eq!(run(&engine, &module_text(7), "both", 5), 32);
    let (hits, misses, inserts) = cache.take_counts();
    assert_eq!((hits, misses), (3, 0));
    assert_eq!(
        inserts, 3,
        "each damaged value is recompiled and stored again"
    );
}
