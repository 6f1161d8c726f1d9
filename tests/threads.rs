//! The threads proposal through the Rust API: one shared memory used by
//! instances in several stores on several host threads, atomics,
//! `memory.atomic.wait32/64` and `notify` blocking across threads, the
//! traps of misaligned and out-of-bounds atomics and of waiting on an
//! unshared memory, and the options that gate it.

use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};
use wasm_runtime::config::Config;
use wasm_runtime::engine::Engine;
use wasm_runtime::module::{MemoryType, Module};
use wasm_runtime::runtime::{Extern, Func, Instance, SharedMemory, Store, Trap, TrapKind, Val};

/// Atomic kernels over an imported shared memory of 1..=4 pages.
const KERNELS: &str = r#"(module
    (import "env" "memory" (memory 1 4 shared))
    (func (export "add_loop") (param $addr i32) (param $n i32)
        (loop $l
            (drop (i32.atomic.rmw.add (local.get $addr) (i32.const 1)))
            (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1))))))
    (func (export "load") (param i32) (result i32) (i32.atomic.load (local.get 0)))
    (func (export "store") (param i32 i32) (i32.atomic.store (local.get 0) (local.get 1)))
    (func (export "load64") (param i32) (result i64) (i64.atomic.load (local.get 0)))
    (func (export "cmpxchg8") (param i32 i32 i32) (result i32)
        (i32.atomic.rmw8.cmpxchg_u (local.get 0) (local.get 1) (local.get 2)))
    (func (export "wait32") (param i32 i32 i64) (result i32)
        (memory.atomic.wait32 (local.get 0) (local.get 1) (local.get 2)))
    (func (export "wait64") (param i32 i64 i64) (result i32)
        (memory.atomic.wait64 (local.get 0) (local.get 1) (local.get 2)))
    (func (export "notify") (param i32 i32) (result i32)
        (memory.atomic.notify (local.get 0) (local.get 1)))
    (func (export "size") (result i32) (memory.size))
    (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))"#;

fn engine_with(configure: impl FnOnce(&mut Config)) -> Engine {
    let mut config = Config::new();
    configure(&mut config);
    Engine::new(&config).expect("valid configuration")
}

fn compile(engine: &Engine, wat: &str) -> Module {
    Module::new(engine, &wat::parse_str(wat).unwrap()).expect("module compiles")
}

fn shared_type(min: u64, max: u64) -> MemoryType {
    MemoryType {
        shared: true,
        ..MemoryType::new(min, Some(max))
    }
}

/// An instance of `module` in a fresh store of `engine`, importing `memory`.
fn instance_on(engine: &Engine, module: &Module, memory: &SharedMemory) -> (Store, Instance) {
    let store = Store::new(engine);
    let m = memory.to_memory(&store).expect("same engine");
    let instance = Instance::new(&store, module, &[Extern::Memory(m)]).expect("instantiates");
    (store, instance)
}

fn func(instance: &Instance, name: &str) -> Func {
    instance
        .get_export(name)
        .and_then(Extern::into_func)
        .unwrap_or_else(|| panic!("no export {name}"))
}

fn call(f: &Func, params: &[Val]) -> Result<Option<Val>, Trap> {
    let mut results = vec![Val::I32(0); f.ty().results.len()];
    f.call(params, &mut results)?;
    Ok(results.into_iter().next())
}

fn call_i32(instance: &Instance, name: &str, params: &[Val]) -> i32 {
    call(&func(instance, name), params)
        .unwrap_or_else(|t| panic!("{name} trapped: {t}"))
        .and_then(|v| v.i32())
        .expect("an i32 result")
}

fn trap_kind(result: Result<Option<Val>, Trap>) -> Option<TrapKind> {
    result.expect_err("expected a trap").kind()
}

#[test]
fn four_stores_on_four_threads_count_exactly() {
    const THREADS: usize = 4;
    const PER_THREAD: i32 = 1_000_000;
    let engine = engine_with(|_| {});
    let module = compile(&engine, KERNELS);
    let memory = SharedMemory::new(&engine, shared_type(1, 4)).unwrap();
    let start = Arc::new(Barrier::new(THREADS));
    let workers: Vec<_> = (0..THREADS)
        .map(|_| {
            let (engine, module, memory) = (engine.clone(), module.clone(), memory.clone());
            let start = Arc::clone(&start);
            std::thread::spawn(move || {
                let (_store, instance) = instance_on(&engine, &module, &memory);
                start.wait();
                call(
                    &func(&instance, "add_loop"),
                    &[Val::I32(64), Val::I32(PER_THREAD)],
                )
                .expect("no trap");
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    // SAFETY: the workers are done; offset 64 is inside the first page.
    let total = unsafe { memory.data_ptr().add(64).cast::<i32>().read() };
    assert_eq!(total, THREADS as i32 * PER_THREAD);
}

#[test]
fn producer_and_consumer_hand_over_through_wait_and_notify() {
    let engine = engine_with(|_| {});
    let module = compile(&engine, KERNELS);
    let memory = SharedMemory::new(&engine, shared_type(1, 1)).unwrap();
    const ROUNDS: i32 = 200;
    // Cell 0 is the mailbox: 0 empty, n > 0 holds item n. The consumer
    // waits while it is empty; the producer waits while it is full.
    let consumer = {
        let (engine, module, memory) = (engine.clone(), module.clone(), memory.clone());
        std::thread::spawn(move || {
            let (_store, i) = instance_on(&engine, &module, &memory);
            let mut sum = 0i64;
            for _ in 0..ROUNDS {
                loop {
                    let v = call_i32(&i, "load", &[Val::I32(0)]);
                    if v != 0 {
                        sum += i64::from(v);
                        call(&func(&i, "store"), &[Val::I32(0), Val::I32(0)]).unwrap();
                        call_i32(&i, "notify", &[Val::I32(0), Val::I32(1)]);
                        break;
                    }
                    call_i32(&i, "wait32", &[Val::I32(0), Val::I32(0), Val::I64(-1)]);
                }
            }
            sum
        })
    };
    let (_store, i) = instance_on(&engine, &module, &memory);
    for n in 1..=ROUNDS {
        loop {
            let v = call_i32(&i, "load", &[Val::I32(0)]);
            if v == 0 {
                call(&func(&i, "store"), &[Val::I32(0), Val::I32(n)]).unwrap();
                call_i32(&i, "notify", &[Val::I32(0), Val::I32(1)]);
                break;
            }
            call_i32(&i, "wait32", &[Val::I32(0), Val::I32(v), Val::I64(-1)]);
        }
    }
    let sum = consumer.join().unwrap();
    assert_eq!(sum, i64::from(ROUNDS) * i64::from(ROUNDS + 1) / 2);
}

#[test]
fn wait_results_and_timeouts() {
    let engine = engine_with(|_| {});
    let module = compile(&engine, KERNELS);
    let memory = SharedMemory::new(&engine, shared_type(1, 1)).unwrap();
    let (_store, i) = instance_on(&engine, &module, &memory);
    // Not equal: returns 1 at once.
    assert_eq!(
        call_i32(&i, "wait32", &[Val::I32(8), Val::I32(1), Val::I64(-1)]),
        1
    );
    assert_eq!(
        call_i32(&i, "wait64", &[Val::I32(8), Val::I64(1), Val::I64(-1)]),
        1
    );
    // Equal, nobody notifies: times out (2) after about the timeout.
    let started = Instant::now();
    assert_eq!(
        call_i32(
            &i,
            "wait32",
            &[Val::I32(8), Val::I32(0), Val::I64(50_000_000)]
        ),
        2
    );
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(50), "{waited:?}");
    assert!(waited < Duration::from_secs(5), "{waited:?}");
    assert_eq!(
        call_i32(&i, "wait64", &[Val::I32(8), Val::I64(0), Val::I64(0)]),
        2
    );
    // Nobody waits: notify wakes no one.
    assert_eq!(call_i32(&i, "notify", &[Val::I32(8), Val::I32(10)]), 0);
}

#[test]
fn notify_wakes_a_waiter_in_another_store() {
    let engine = engine_with(|_| {});
    let module = compile(&engine, KERNELS);
    let memory = SharedMemory::new(&engine, shared_type(1, 1)).unwrap();
    let waiter = {
        let (engine, module, memory) = (engine.clone(), module.clone(), memory.clone());
        std::thread::spawn(move || {
            let (_store, i) = instance_on(&engine, &module, &memory);
            call_i32(&i, "wait64", &[Val::I32(16), Val::I64(0), Val::I64(-1)])
        })
    };
    let (_store, i) = instance_on(&engine, &module, &memory);
    let mut woken = 0;
    while woken == 0 {
        woken = call_i32(&i, "notify", &[Val::I32(16), Val::I32(1)]);
        std::thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(woken, 1);
    assert_eq!(waiter.join().unwrap(), 0, "woken by notify");
}

#[test]
fn growth_by_one_store_is_seen_by_every_other() {
    let engine = engine_with(|_| {});
    let module = compile(&engine, KERNELS);
    let memory = SharedMemory::new(&engine, shared_type(1, 4)).unwrap();
    let base = memory.data_ptr();
    let (_a, a) = instance_on(&engine, &module, &memory);
    let grower = {
        let (engine, module, memory) = (engine.clone(), module.clone(), memory.clone());
        std::thread::spawn(move || {
            let (_b, b) = instance_on(&engine, &module, &memory);
            call_i32(&b, "grow", &[Val::I32(2)])
        })
    };
    assert_eq!(grower.join().unwrap(), 1);
    assert_eq!(call_i32(&a, "size", &[]), 3);
    assert_eq!(memory.size(), 3);
    assert_eq!(memory.data_ptr(), base, "a shared memory never moves");
    // The new pages are usable from the other store's instance.
    call(&func(&a, "store"), &[Val::I32(2 << 16), Val::I32(7)]).unwrap();
    assert_eq!(call_i32(&a, "load", &[Val::I32(2 << 16)]), 7);
    // Past the maximum: -1, and the size stays.
    assert_eq!(call_i32(&a, "grow", &[Val::I32(2)]), -1);
    assert_eq!(memory.grow(1).unwrap(), 3);
    assert!(memory.grow(1).is_err());
    assert_eq!(call_i32(&a, "size", &[]), 4);
}

#[test]
fn a_module_defined_shared_memory_is_handed_to_another_store() {
    let engine = engine_with(|_| {});
    let store_a = Store::new(&engine);
    let definer = compile(
        &engine,
        r#"(module (memory (export "m") 1 2 shared)
            (func (export "grow") (result i32) (memory.grow (i32.const 1)))
            (func (export "size") (result i32) (memory.size))
            (func (export "put") (param i32 i32) (i32.atomic.store (local.get 0) (local.get 1))))"#,
    );
    let a = Instance::new(&store_a, &definer, &[]).unwrap();
    let exported = a.get_export("m").and_then(Extern::into_memory).unwrap();
    let shared = exported.as_shared().expect("a shared memory");
    call(&func(&a, "put"), &[Val::I32(4), Val::I32(99)]).unwrap();
    let module = compile(&engine, KERNELS);
    let (_store_b, b) = instance_on(&engine, &module, &shared);
    assert_eq!(call_i32(&b, "load", &[Val::I32(4)]), 99);
    assert_eq!(call_i32(&b, "grow", &[Val::I32(1)]), 1);
    assert_eq!(call_i32(&a, "size", &[]), 2, "the definer sees the growth");
    assert_eq!(call_i32(&a, "grow", &[]), -1);
    assert!(exported.same(&shared.to_memory(&store_a).unwrap()));
    // An unshared memory has no shared handle.
    let plain = compile(&engine, r#"(module (memory (export "m") 1))"#);
    let p = Instance::new(&store_a, &plain, &[]).unwrap();
    let m = p.get_export("m").and_then(Extern::into_memory).unwrap();
    assert!(m.as_shared().is_none());
}

#[test]
fn atomics_trap_when_misaligned_or_out_of_bounds() {
    for signals in [true, false] {
        let engine = engine_with(|c| {
            c.set_signals_based_traps(signals);
        });
        let module = compile(&engine, KERNELS);
        let memory = SharedMemory::new(&engine, shared_type(1, 4)).unwrap();
        let (_store, i) = instance_on(&engine, &module, &memory);
        let load = func(&i, "load");
        assert_eq!(
            trap_kind(call(&load, &[Val::I32(2)])),
            Some(TrapKind::HeapMisaligned)
        );
        assert_eq!(
            trap_kind(call(&func(&i, "load64"), &[Val::I32(4)])),
            Some(TrapKind::HeapMisaligned)
        );
        assert_eq!(
            trap_kind(call(
                &func(&i, "wait32"),
                &[Val::I32(1), Val::I32(0), Val::I64(0)]
            )),
            Some(TrapKind::HeapMisaligned)
        );
        // A byte access is always aligned.
        assert_eq!(
            call_i32(&i, "cmpxchg8", &[Val::I32(3), Val::I32(0x100), Val::I32(5)]),
            0,
            "the expected value is wrapped to 8 bits, so 0x100 matches 0"
        );
        // Out of bounds: inside the guard region (reserved, not
        // accessible) and far past the reservation.
        for addr in [1 << 16, 1 << 20, -4] {
            assert_eq!(
                trap_kind(call(&load, &[Val::I32(addr)])),
                Some(TrapKind::MemoryOutOfBounds),
                "signals {signals}, address {addr:#x}"
            );
        }
        assert_eq!(
            trap_kind(call(
                &func(&i, "add_loop"),
                &[Val::I32(1 << 16), Val::I32(1)]
            )),
            Some(TrapKind::MemoryOutOfBounds)
        );
    }
}

#[test]
fn waiting_on_an_unshared_memory_traps_with_its_own_code() {
    let engine = engine_with(|_| {});
    let store = Store::new(&engine);
    let module = compile(
        &engine,
        r#"(module (memory 1)
            (func (export "wait") (result i32)
                (memory.atomic.wait32 (i32.const 0) (i32.const 0) (i64.const -1)))
            (func (export "notify") (result i32)
                (memory.atomic.notify (i32.const 0) (i32.const 1)))
            (func (export "rmw") (result i32)
                (drop (i32.atomic.rmw.add (i32.const 8) (i32.const 5)))
                (i32.atomic.rmw.sub (i32.const 8) (i32.const 2))))"#,
    );
    let i = Instance::new(&store, &module, &[]).unwrap();
    let trap = call(&func(&i, "wait"), &[]).unwrap_err();
    assert_eq!(trap.kind(), Some(TrapKind::AtomicWaitNonSharedMemory));
    assert_eq!(trap.message(), "atomic wait on non-shared memory");
    assert_eq!(call_i32(&i, "notify", &[]), 0);
    assert_eq!(
        call_i32(&i, "rmw", &[]),
        5,
        "atomics work on unshared memories"
    );
}

#[test]
fn the_options_gate_shared_memories_and_atomics() {
    let off = engine_with(|c| {
        c.set_wasm_threads(false);
    });
    for wat in [
        "(module (memory 1 1 shared))",
        "(module (memory 1) (func (drop (i32.atomic.load (i32.const 0)))))",
    ] {
        let err = Module::new(&off, &wat::parse_str(wat).unwrap()).unwrap_err();
        assert!(err.to_string().contains("wasm_threads"), "{err}");
    }
    assert!(SharedMemory::new(&off, shared_type(1, 1)).is_err());
    let mut config = Config::new();
    config
        .set_wasm_bulk_memory(false)
        .set_wasm_reference_types(false);
    let Err(err) = Engine::new(&config) else {
        panic!("threads needs bulk memory, yet the engine was made");
    };
    assert!(err.to_string().contains("wasm_bulk_memory"), "{err}");
    config.set_wasm_threads(false);
    Engine::new(&config).expect("without threads, bulk memory may be off");
    // A shared memory from another engine cannot be imported.
    let on = engine_with(|_| {});
    let other = engine_with(|_| {});
    let memory = SharedMemory::new(&on, shared_type(1, 1)).unwrap();
    assert!(memory.to_memory(&Store::new(&other)).is_err());
    // A shared type needs a maximum, an unshared one is refused.
    assert!(SharedMemory::new(&on, MemoryType::new(1, Some(1))).is_err());
    assert!(SharedMemory::new(
        &on,
        MemoryType {
            shared: true,
            ..MemoryType::new(1, None)
        }
    )
    .is_err());
}

#[test]
fn a_memory64_grows_past_4_gib_and_is_addressed_above_it() {
    let engine = engine_with(|c| {
        c.set_wasm_memory64(true);
    });
    let store = Store::new(&engine);
    let module = compile(
        &engine,
        r#"(module (memory (export "m") i64 1)
            (func (export "grow") (param i64) (result i64) (memory.grow (local.get 0)))
            (func (export "store") (param i64 i64) (i64.store (local.get 0) (local.get 1)))
            (func (export "load") (param i64) (result i64) (i64.load (local.get 0))))"#,
    );
    let i = Instance::new(&store, &module, &[]).unwrap();
    let pages_5g = 5u64 << 14; // 5 GiB in 64 KiB pages
    let grow = call(&func(&i, "grow"), &[Val::I64(pages_5g as i64)]).unwrap();
    assert_eq!(grow.and_then(|v| v.i64()), Some(1));
    let high = (4u64 << 30) + 12345 * 8;
    call(
        &func(&i, "store"),
        &[Val::I64(high as i64), Val::I64(0x1122_3344_5566_7788)],
    )
    .unwrap();
    let v = call(&func(&i, "load"), &[Val::I64(high as i64)]).unwrap();
    assert_eq!(v.and_then(|v| v.i64()), Some(0x1122_3344_5566_7788));
    let end = (pages_5g + 1) << 16;
    assert_eq!(
        trap_kind(call(&func(&i, "load"), &[Val::I64(end as i64 - 4)])),
        Some(TrapKind::MemoryOutOfBounds)
    );
    assert_eq!(
        trap_kind(call(&func(&i, "load"), &[Val::I64(-1)])),
        Some(TrapKind::MemoryOutOfBounds)
    );
}

/// Dynamic memories (here: every memory, with `static_memory_maximum_size`
/// 0) check only `index <= length` when the guard covers the access's
/// offset and size, and the whole access otherwise: both trap exactly
/// past the length, for 32- and 64-bit memories, before and after growth
/// (which may move the memory).
#[test]
fn guard_covered_checks_trap_exactly_past_the_length() {
    let engine = engine_with(|c| {
        c.set_wasm_memory64(true)
            .set_static_memory_maximum_size(0)
            .set_memory_guard_size(1 << 16)
            .set_dynamic_memory_reserved_for_growth(0);
    });
    for index in ["i32", "i64"] {
        let wat = format!(
            r#"(module (memory {index} 1)
                (func (export "near") (param {index}) (result i32) (i32.load offset=16 (local.get 0)))
                (func (export "far") (param {index}) (result i32) (i32.load offset=70000 (local.get 0)))
                (func (export "grow") (param {index}) (result {index}) (memory.grow (local.get 0))))"#
        );
        let store = Store::new(&engine);
        let i = Instance::new(&store, &compile(&engine, &wat), &[]).unwrap();
        let arg = |v: i64| {
            if index == "i32" {
                Val::I32(v as i32)
            } else {
                Val::I64(v)
            }
        };
        let (near, far) = (func(&i, "near"), func(&i, "far"));
        for pages in [1i64, 3] {
            let len = pages << 16;
            assert!(call(&near, &[arg(len - 20)]).is_ok(), "{index}: last word");
            for past in [len - 19, len - 16, len, len + 1000] {
                assert_eq!(
                    trap_kind(call(&near, &[arg(past)])),
                    Some(TrapKind::MemoryOutOfBounds),
                    "{index}, {pages} pages, index {past}"
                );
            }
            assert!(call(&far, &[arg(len - 70004)]).is_ok() || len < 70004);
            assert_eq!(
                trap_kind(call(&far, &[arg(len - 70003)])),
                Some(TrapKind::MemoryOutOfBounds),
                "{index}, {pages} pages: an offset past the guard"
            );
            if pages == 1 {
                assert!(call(&func(&i, "grow"), &[arg(2)]).is_ok());
            }
        }
    }
}

/// A memory64 larger than the host can reserve is refused at
/// instantiation with an error naming the memory; so is a shared memory
/// whose maximum cannot be reserved. The store goes on working.
#[test]
fn memories_beyond_the_address_space_are_refused_clearly() {
    let engine = engine_with(|c| {
        c.set_wasm_memory64(true);
    });
    let store = Store::new(&engine);
    for wat in [
        "(module (memory i64 0x10000000000))",
        "(module (memory i64 1 0x1000000000000 shared))",
    ] {
        let module = compile(&engine, wat);
        let Err(err) = Instance::new(&store, &module, &[]) else {
            panic!("{wat}: instantiated a memory the host cannot reserve");
        };
        let text = format!("{err:#}");
        assert!(text.contains("memory 0"), "{wat}: {text}");
        assert!(
            text.contains("reserv") || text.contains("address space"),
            "{wat}: {text}"
        );
    }
    let small = compile(&engine, "(module (memory i64 1))");
    Instance::new(&store, &small, &[]).expect("the store still works");
}

/// A module-defined shared memory with data segments (mapped from the
/// module's copy-on-write image) outlives the store that made it, while
/// another store uses it; a pooling engine makes it too (shared memories
/// never come from a pool slot, whose life is one instance's).
#[test]
fn a_defined_shared_memory_outlives_its_store_and_works_with_pooling() {
    let pooling = wasm_runtime::config::PoolingAllocationConfig::default();
    for strategy in [
        wasm_runtime::config::InstanceAllocationStrategy::OnDemand,
        pooling.into(),
    ] {
        let engine = engine_with(|c| {
            c.set_allocation_strategy(strategy.clone());
        });
        let definer = compile(
            &engine,
            r#"(module (memory (export "m") 1 4 shared) (data (i32.const 100) "\2a\00\00\00"))"#,
        );
        let shared = {
            let store = Store::new(&engine);
            let i = Instance::new(&store, &definer, &[]).unwrap();
            let m = i.get_export("m").and_then(Extern::into_memory).unwrap();
            m.as_shared().unwrap()
        };
        let module = compile(&engine, KERNELS);
        let (_store, user) = instance_on(&engine, &module, &shared);
        assert_eq!(
            call_i32(&user, "load", &[Val::I32(100)]),
            42,
            "{strategy:?}"
        );
        call(&func(&user, "store"), &[Val::I32(100), Val::I32(7)]).unwrap();
        // SAFETY: offset 100 is inside the first page.
        assert_eq!(unsafe { shared.data_ptr().add(100).read() }, 7);
        assert_eq!(call_i32(&user, "grow", &[Val::I32(3)]), 1);
        assert_eq!(shared.size(), 4);
    }
}

/// `Memory::new` makes shared and 64-bit memories only when their
/// proposals are on, and a shared one only with a maximum.
#[test]
fn host_made_memories_follow_the_proposal_options() {
    let off = engine_with(|c| {
        c.set_wasm_threads(false).set_wasm_memory64(false);
    });
    let store = Store::new(&off);
    let shared = shared_type(1, 2);
    let err = wasm_runtime::runtime::Memory::new(&store, shared).unwrap_err();
    assert!(err.to_string().contains("wasm_threads"), "{err}");
    let wide = MemoryType {
        memory64: true,
        ..MemoryType::new(1, None)
    };
    let err = wasm_runtime::runtime::Memory::new(&store, wide).unwrap_err();
    assert!(err.to_string().contains("wasm_memory64"), "{err}");
    let on = engine_with(|c| {
        c.set_wasm_memory64(true);
    });
    let store = Store::new(&on);
    assert!(wasm_runtime::runtime::Memory::new(&store, shared).is_ok());
    assert!(wasm_runtime::runtime::Memory::new(&store, wide).is_ok());
    let unbounded = MemoryType {
        shared: true,
        ..MemoryType::new(1, None)
    };
    assert!(wasm_runtime::runtime::Memory::new(&store, unbounded).is_err());
}
