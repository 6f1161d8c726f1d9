//! `table_lazy_init`: with it on, instantiating a module whose large
//! funcref table is initialised by an active element segment writes none
//! of its elements (`Table::initialised_elements` counts the ones stored),
//! and every way of reading or writing the table sees the initial values
//! as if they had been written; with it off, everything is written at
//! instantiation. Each behaviour is checked both ways, on demand and with
//! the pooling allocator.

use wasm_runtime::config::{Config, InstanceAllocationStrategy, PoolingAllocationConfig};
use wasm_runtime::engine::Engine;
use wasm_runtime::module::Module;
use wasm_runtime::runtime::{Extern, Func, Instance, Store, Table, TrapKind, Val};

/// Elements of the table the element segment fills.
const ELEMENTS: u32 = 100_000;

/// A module whose exported table `t` of `ELEMENTS` elements holds `$f(i % 3)`
/// at index `i` (`$f0` .. `$f2` return their number), plus wasm helpers for
/// every table operator. It has no data segment: the element segment
/// alone gets it an init plan, hence a table template.
fn wat() -> String {
    let items: String = (0..ELEMENTS).map(|i| format!(" $f{}", i % 3)).collect();
    format!(
        r#"(module
  (type $t (func (result i32)))
  (table $tab (export "t") {ELEMENTS} 200000 funcref)
  (func $f0 (result i32) (i32.const 0))
  (func $f1 (result i32) (i32.const 1))
  (func $f2 (result i32) (i32.const 2))
  (elem (table $tab) (i32.const 0) func{items})
  (func (export "call") (param i32) (result i32)
    (call_indirect (type $t) (local.get 0)))
  (func (export "is_null") (param i32) (result i32)
    (ref.is_null (table.get $tab (local.get 0))))
  (func (export "get_set") (param i32 i32)
    (table.set $tab (local.get 0) (table.get $tab (local.get 1))))
  (func (export "set_null") (param i32)
    (table.set $tab (local.get 0) (ref.null func)))
  (func (export "copy") (param i32 i32 i32)
    (table.copy (local.get 0) (local.get 1) (local.get 2)))
  (func (export "fill_f2") (param i32 i32)
    (table.fill $tab (local.get 0) (ref.func $f2) (local.get 1)))
  (func (export "grow_null") (param i32) (result i32)
    (table.grow $tab (ref.null func) (local.get 0)))
  (func (export "grow_f1") (param i32) (result i32)
    (table.grow $tab (ref.func $f1) (local.get 0))))"#
    )
}

fn config(lazy: bool) -> Config {
    let mut config = Config::default();
    config.set_table_lazy_init(lazy);
    config
}

fn engine(lazy: bool) -> Engine {
    Engine::new(&config(lazy)).expect("engine")
}

fn pooling_engine(lazy: bool) -> Engine {
    let mut config = config(lazy);
    config.set_static_memory_maximum_size(1 << 20);
    config.set_memory_guard_size(1 << 16);
    config.set_allocation_strategy(InstanceAllocationStrategy::Pooling(
        PoolingAllocationConfig {
            total_core_instances: 2,
            total_memories: 2,
            total_tables: 2,
            max_memory_size: 1 << 16,
            table_elements: 200_000,
            ..PoolingAllocationConfig::default()
        },
    ));
    Engine::new(&config).expect("pooling engine")
}

fn module(engine: &Engine) -> Module {
    Module::new(engine, &wat::parse_str(wat()).expect("valid wat")).expect("module compiles")
}

fn func(instance: &Instance, name: &str) -> Func {
    instance
        .get_export(name)
        .and_then(Extern::into_func)
        .unwrap_or_else(|| panic!("no function export {name}"))
}

fn table(instance: &Instance) -> Table {
    instance
        .get_export("t")
        .and_then(Extern::into_table)
        .expect("table export")
}

fn call(instance: &Instance, name: &str, params: &[Val]) -> Result<i32, TrapKind> {
    let f = func(instance, name);
    let mut results = [Val::I32(0)];
    let results = &mut results[..f.result_arity()];
    match f.call(params, results) {
        Ok(()) => Ok(results.first().and_then(Val::i32).unwrap_or(0)),
        Err(t) => Err(t.kind().expect("a wasm trap")),
    }
}

fn call_indirect(instance: &Instance, index: u32) -> Result<i32, TrapKind> {
    call(instance, "call", &[Val::I32(index as i32)])
}

fn run(instance: &Instance, name: &str, params: &[u32]) -> i32 {
    let params: Vec<Val> = params.iter().map(|&p| Val::I32(p as i32)).collect();
    let mut results = [Val::I32(0)];
    let f = func(instance, name);
    let results = &mut results[..f.result_arity()];
    f.call(&params, results).expect("call succeeds");
    results.first().and_then(Val::i32).unwrap_or(0)
}

/// What the function of a host `Table::get` returns, `None` for null.
fn host_get(t: &Table, index: u32) -> Option<i32> {
    match t.get(u64::from(index)).expect("in bounds") {
        Val::FuncRef(None) => None,
        Val::FuncRef(Some(f)) => {
            let mut results = [Val::I32(0)];
            f.call(&[], &mut results).expect("call succeeds");
            results[0].i32()
        }
        other => panic!("expected a funcref, got {other:?}"),
    }
}

fn instantiate(engine: &Engine, m: &Module) -> (Store, Instance) {
    let store = Store::new(engine);
    let instance = Instance::new(&store, m, &[]).expect("instantiates");
    (store, instance)
}

/// Elements stored right after instantiation: none when lazy, all of
/// them (none of the items is null) when eager.
fn expected_at_start(lazy: bool) -> usize {
    if lazy {
        0
    } else {
        ELEMENTS as usize
    }
}

#[test]
fn instantiation_writes_no_element_when_lazy() {
    for lazy in [true, false] {
        let engine = engine(lazy);
        let m = module(&engine);
        let (_store, i) = instantiate(&engine, &m);
        let t = table(&i);
        assert_eq!(
            t.initialised_elements(),
            expected_at_start(lazy),
            "lazy={lazy}"
        );
        assert_eq!(t.size(), u64::from(ELEMENTS));
        // Reads initialise only what they read.
        for index in [0, 1, 2, 77_777, ELEMENTS - 1] {
            assert_eq!(
                call_indirect(&i, index),
                Ok((index % 3) as i32),
                "lazy={lazy}"
            );
        }
        let touched = if lazy { 5 } else { ELEMENTS as usize };
        assert_eq!(t.initialised_elements(), touched, "lazy={lazy}");
        assert_eq!(call_indirect(&i, ELEMENTS), Err(TrapKind::TableOutOfBounds));
    }
}

#[test]
fn table_get_and_host_get_see_initial_values() {
    for lazy in [true, false] {
        let engine = engine(lazy);
        let m = module(&engine);
        let (_store, i) = instantiate(&engine, &m);
        let t = table(&i);
        assert_eq!(run(&i, "is_null", &[10]), 0, "lazy={lazy}");
        run(&i, "get_set", &[20, 11]);
        assert_eq!(call_indirect(&i, 20), Ok(2), "lazy={lazy}");
        assert_eq!(host_get(&t, 12), Some(0), "lazy={lazy}");
        assert_eq!(host_get(&t, 40_000), Some(1), "lazy={lazy}");
    }
}

#[test]
fn null_set_sticks() {
    for lazy in [true, false] {
        let engine = engine(lazy);
        let m = module(&engine);
        let (_store, i) = instantiate(&engine, &m);
        let t = table(&i);
        // Set before ever being read, and after.
        run(&i, "set_null", &[5]);
        assert_eq!(call_indirect(&i, 6), Ok(0));
        run(&i, "set_null", &[6]);
        for index in [5, 6] {
            assert_eq!(call_indirect(&i, index), Err(TrapKind::IndirectCallToNull));
            assert_eq!(run(&i, "is_null", &[index]), 1, "lazy={lazy}");
            assert_eq!(host_get(&t, index), None, "lazy={lazy}");
        }
        t.set(7, Val::FuncRef(None)).unwrap();
        assert_eq!(call_indirect(&i, 7), Err(TrapKind::IndirectCallToNull));
        assert_eq!(host_get(&t, 7), None);
    }
}

#[test]
fn host_set_is_seen_by_wasm() {
    for lazy in [true, false] {
        let engine = engine(lazy);
        let m = module(&engine);
        let (_store, i) = instantiate(&engine, &m);
        let t = table(&i);
        let f0 = t.get(0).unwrap();
        t.set(2, f0).unwrap();
        assert_eq!(call_indirect(&i, 2), Ok(0), "lazy={lazy}");
        assert_eq!(host_get(&t, 2), Some(0), "lazy={lazy}");
    }
}

#[test]
fn copy_carries_initial_values() {
    for lazy in [true, false] {
        let engine = engine(lazy);
        let m = module(&engine);
        let (_store, i) = instantiate(&engine, &m);
        let t = table(&i);
        // Uninitialised source to a destination of other initial values.
        run(&i, "copy", &[1000, 2001, 6]);
        for k in 0..6 {
            assert_eq!(call_indirect(&i, 1000 + k), Ok(((2001 + k) % 3) as i32));
        }
        // Overlapping, with a null set in the source.
        run(&i, "set_null", &[3001]);
        run(&i, "copy", &[3002, 3000, 4]);
        assert_eq!(call_indirect(&i, 3002), Ok(3000 % 3));
        assert_eq!(call_indirect(&i, 3003), Err(TrapKind::IndirectCallToNull));
        assert_eq!(call_indirect(&i, 3004), Ok(3002 % 3));
        assert_eq!(host_get(&t, 3005), Some(3003 % 3));
        assert_eq!(
            call(
                &i,
                "copy",
                &[Val::I32(0), Val::I32(ELEMENTS as i32), Val::I32(1)]
            ),
            Err(TrapKind::TableOutOfBounds)
        );
    }
}

#[test]
fn fill_and_grow() {
    for lazy in [true, false] {
        let engine = engine(lazy);
        let m = module(&engine);
        let (_store, i) = instantiate(&engine, &m);
        let t = table(&i);
        run(&i, "fill_f2", &[300, 3]);
        for index in 300..303 {
            assert_eq!(call_indirect(&i, index), Ok(2), "lazy={lazy}");
        }
        assert_eq!(call_indirect(&i, 303), Ok(0));
        assert_eq!(run(&i, "grow_null", &[10]), ELEMENTS as i32);
        assert_eq!(run(&i, "grow_f1", &[10]), ELEMENTS as i32 + 10);
        assert_eq!(
            call_indirect(&i, ELEMENTS + 3),
            Err(TrapKind::IndirectCallToNull)
        );
        assert_eq!(run(&i, "is_null", &[ELEMENTS + 4]), 1);
        assert_eq!(call_indirect(&i, ELEMENTS + 13), Ok(1), "lazy={lazy}");
        assert_eq!(host_get(&t, ELEMENTS + 14), Some(1));
        t.grow(2, Val::FuncRef(None)).unwrap();
        assert_eq!(host_get(&t, ELEMENTS + 21), None);
        assert_eq!(
            call_indirect(&i, ELEMENTS - 2),
            Ok(((ELEMENTS - 2) % 3) as i32)
        );
    }
}

#[test]
fn pooled_slots_come_back_clean() {
    for lazy in [true, false] {
        let engine = pooling_engine(lazy);
        let m = module(&engine);
        for round in 0..4 {
            let (store, i) = instantiate(&engine, &m);
            let t = table(&i);
            assert_eq!(
                t.initialised_elements(),
                expected_at_start(lazy),
                "lazy={lazy} round={round}"
            );
            for index in [0, 5, 99_998] {
                assert_eq!(call_indirect(&i, index), Ok((index % 3) as i32));
            }
            // Leave the table dirty for the next tenant.
            run(&i, "set_null", &[5]);
            run(&i, "fill_f2", &[10, 20]);
            run(&i, "grow_f1", &[50]);
            drop(i);
            drop(t);
            drop(store);
        }
    }
}

#[test]
fn serialized_modules_record_the_option() {
    let lazy = engine(true);
    let bytes = module(&lazy).serialize().expect("serializes");
    assert!(Module::deserialize(&lazy, &bytes).is_ok());
    // Compiled code decodes tagged elements or not: the other setting's
    // engine must refuse it.
    assert!(Module::deserialize(&engine(false), &bytes).is_err());
}
