//! Wasm GC through the Rust API: objects survive collections exactly as
//! long as something reaches them (wasm locals and operands across calls,
//! globals, tables, element segments, host handles), unreachable ones are
//! reclaimed (cycles too), externrefs are collected with their host
//! values, and long runs stay within a bounded heap.

use std::cell::Cell;
use std::rc::Rc;
use wasm_runtime::config::Config;
use wasm_runtime::engine::Engine;
use wasm_runtime::module::{FuncType, Module, ValType};
use wasm_runtime::runtime::{AnyKind, Extern, ExternRef, Func, Instance, Store, Val};

fn engine() -> Engine {
    let mut config = Config::new();
    config.set_wasm_function_references(true).set_wasm_gc(true);
    Engine::new(&config).expect("GC is supported")
}

fn instantiate(store: &Store, wat: &str, imports: &[Extern]) -> Instance {
    let module = Module::new(store.engine(), &wat::parse_str(wat).expect("valid wat"))
        .expect("module compiles");
    Instance::new(store, &module, imports).unwrap_or_else(|e| panic!("instantiation failed: {e}"))
}

fn func(instance: &Instance, name: &str) -> Func {
    instance
        .get_export(name)
        .and_then(Extern::into_func)
        .unwrap_or_else(|| panic!("no function export {name}"))
}

fn call(f: &Func, params: &[Val]) -> Vec<Val> {
    let ty = f.ty();
    let mut results: Vec<Val> = ty.results.iter().map(|t| Val::default_for(*t)).collect();
    f.call(params, &mut results)
        .unwrap_or_else(|t| panic!("call trapped: {}", t.message()));
    results
}

fn i64_of(v: &Val) -> i64 {
    v.i64()
        .unwrap_or_else(|| panic!("expected an i64, got {v:?}"))
}

/// A linked list kept in a global, a table and a local across calls that
/// allocate enough garbage to collect many times: every node survives
/// with its value, and the garbage is reclaimed.
const SURVIVORS: &str = r#"(module
  (type $node (struct (field $v i64) (field $next (ref null $node))))
  (type $bytes (array (mut i8)))
  (global $list (mut (ref null $node)) (ref.null $node))
  (table $t 1 (ref null $node))
  (func $build (param $n i32) (result (ref null $node))
    (local $l (ref null $node))
    (loop $more
      (local.set $l (struct.new $node (i64.extend_i32_u (local.get $n)) (local.get $l)))
      (local.tee $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $more))
    (local.get $l))
  (func $sum (param $l (ref null $node)) (result i64)
    (local $s i64)
    (block $done
      (loop $more
        (br_if $done (ref.is_null (local.get $l)))
        (local.set $s (i64.add (local.get $s) (struct.get $node $v (local.get $l))))
        (local.set $l (struct.get $node $next (local.get $l)))
        (br $more)))
    (local.get $s))
  ;; Allocates n garbage arrays of 1 KiB.
  (func $churn (param $n i32)
    (loop $more
      (drop (array.new_default $bytes (i32.const 1024)))
      (local.tee $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $more)))
  (func (export "run") (result i64 i64 i64)
    (local $held (ref null $node))
    (global.set $list (call $build (i32.const 1000)))
    (table.set $t (i32.const 0) (call $build (i32.const 2000)))
    (local.set $held (call $build (i32.const 3000)))
    ;; 40 MiB of garbage: at least several collections.
    (call $churn (i32.const 40000))
    ;; An operand live across the call, too.
    (call $sum (global.get $list))
    (call $churn (i32.const 40000))
    (call $sum (table.get $t (i32.const 0)))
    (call $sum (local.get $held))))
"#;

#[test]
fn reachable_objects_survive_collections_and_garbage_does_not() {
    let store = Store::new(&engine());
    let instance = instantiate(&store, SURVIVORS, &[]);
    let results = call(&func(&instance, "run"), &[]);
    let sums: Vec<i64> = results.iter().map(i64_of).collect();
    let triangle = |n: i64| n * (n + 1) / 2;
    assert_eq!(sums, [triangle(1000), triangle(2000), triangle(3000)]);
    assert!(store.gc_count() >= 4, "{} collections", store.gc_count());
    // 80 MiB of garbage went through a heap that holds well under that.
    assert!(
        store.gc_heap_bytes() < 32 << 20,
        "the heap holds {} bytes",
        store.gc_heap_bytes()
    );
    store.gc();
    let again = call(&func(&instance, "run"), &[]);
    assert_eq!(again.iter().map(i64_of).collect::<Vec<_>>(), sums);
}

/// A host handle keeps its object alive across collections; dropping it
/// lets the object go.
#[test]
fn host_handles_are_roots() {
    let store = Store::new(&engine());
    let instance = instantiate(
        &store,
        r#"(module
          (type $box (struct (field i64)))
          (func (export "make") (param i64) (result anyref) (struct.new $box (local.get 0)))
          (func (export "read") (param anyref) (result i64)
            (struct.get $box 0 (ref.cast (ref $box) (local.get 0))))
          (func (export "garbage") (param $n i32)
            (loop $more
              (drop (struct.new $box (i64.const 0)))
              (local.tee $n (i32.sub (local.get $n) (i32.const 1)))
              (br_if $more))))"#,
        &[],
    );
    let made = call(&func(&instance, "make"), &[Val::I64(42)]);
    let Val::AnyRef(Some(object)) = &made[0] else {
        panic!("expected an anyref, got {:?}", made[0]);
    };
    assert_eq!(object.kind(), AnyKind::Struct);
    call(&func(&instance, "garbage"), &[Val::I32(1_000_000)]);
    store.gc();
    assert!(store.gc_count() >= 2);
    assert_eq!(object.struct_get(0).unwrap().i64(), Some(42));
    let read = call(&func(&instance, "read"), &[made[0].clone()]);
    assert_eq!(i64_of(&read[0]), 42);
    let live_with = store.gc_heap_bytes();
    drop(made);
    store.gc();
    assert!(store.gc_heap_bytes() <= live_with);
}

/// Ten million externrefs through wasm and back: host values are dropped
/// once nothing reaches them, each exactly once, so the live ones stay
/// bounded; one kept in a global is not dropped.
#[test]
fn externrefs_are_collected_with_their_host_values() {
    struct Payload {
        drops: Rc<Cell<usize>>,
    }
    impl Drop for Payload {
        fn drop(&mut self) {
            self.drops.set(self.drops.get() + 1);
        }
    }
    let store = Store::new(&engine());
    let instance = instantiate(
        &store,
        r#"(module
          (global $kept (export "kept") (mut externref) (ref.null extern))
          (func (export "echo") (param externref) (result externref) (local.get 0))
          (func (export "keep") (param externref) (global.set $kept (local.get 0))))"#,
        &[],
    );
    let echo = func(&instance, "echo");
    let drops = Rc::new(Cell::new(0));
    let n = 10_000_000;
    for i in 0..n {
        let e = ExternRef::new(
            &store,
            Box::new(Payload {
                drops: drops.clone(),
            }),
        );
        let back = call(&echo, &[Val::ExternRef(Some(e.clone()))]);
        let Val::ExternRef(Some(back)) = &back[0] else {
            panic!("expected the externref back");
        };
        assert!(back.same(&e));
        if i == 7 {
            call(&func(&instance, "keep"), &[Val::ExternRef(Some(e))]);
        }
        if i % 1_000_000 == 999_999 {
            // Collections keep the live host values (made minus dropped)
            // bounded however many went through.
            let live = i + 1 - drops.get();
            assert!(live <= 50_000, "{live} host values alive after {}", i + 1);
        }
    }
    // Collections ran on the way: far fewer than `n` values are alive.
    assert!(drops.get() > n / 2, "{} of {n} dropped", drops.get());
    store.gc();
    assert_eq!(drops.get(), n - 1, "all but the kept one are dropped once");
    let kept = instance
        .get_export("kept")
        .and_then(Extern::into_global)
        .unwrap();
    let Val::ExternRef(Some(kept)) = kept.get() else {
        panic!("the global lost its value");
    };
    assert!(kept.data().downcast_ref::<Payload>().is_some());
}

/// Values live across a host call (wasm → host → wasm) stay roots while
/// the host collects.
#[test]
fn frames_below_a_host_call_are_roots() {
    let store = Store::new(&engine());
    let collect = {
        let store = store.clone();
        Func::new(
            &store.clone(),
            FuncType::new([], []),
            Box::new(move |_, _| {
                store.gc();
                Ok(())
            }),
        )
    };
    let instance = instantiate(
        &store,
        r#"(module
          (type $pair (struct (field i64) (field (ref null $pair))))
          (import "host" "gc" (func $gc))
          (func (export "run") (result i64)
            (local $p (ref null $pair))
            (local.set $p (struct.new $pair (i64.const 5)
                            (struct.new $pair (i64.const 7) (ref.null $pair))))
            (call $gc)
            (i64.add (struct.get $pair 0 (local.get $p))
              (struct.get $pair 0 (ref.as_non_null (struct.get $pair 1 (local.get $p)))))))"#,
        &[Extern::Func(collect)],
    );
    for _ in 0..3 {
        let r = call(&func(&instance, "run"), &[]);
        assert_eq!(i64_of(&r[0]), 12);
    }
    assert!(store.gc_count() >= 3);
    let _ = ValType::I32;
}

/// The stress figures of the issue: 50 million short-lived structs and a
/// million two-node cycles in one store keep the process's resident
/// memory within 64 MiB of where it started.
#[test]
fn long_runs_of_garbage_and_cycles_stay_bounded() {
    let store = Store::new(&engine());
    let instance = instantiate(
        &store,
        r#"(module
          (type $p (struct (field (mut i64)) (field (mut i64))))
          (type $node (struct (field (mut (ref null $node)))))
          (func (export "churn") (param $n i32) (result i64)
            (local $s (ref null $p)) (local $sum i64)
            (loop $l
              (local.set $s (struct.new $p (i64.extend_i32_u (local.get $n)) (i64.const 1)))
              (local.set $sum (i64.add (local.get $sum) (struct.get $p 1 (local.get $s))))
              (local.tee $n (i32.sub (local.get $n) (i32.const 1)))
              (br_if $l))
            (local.get $sum))
          (func (export "cycles") (param $n i32)
            (local $a (ref null $node)) (local $b (ref null $node))
            (loop $l
              (local.set $a (struct.new $node (ref.null $node)))
              (local.set $b (struct.new $node (local.get $a)))
              (struct.set $node 0 (local.get $a) (local.get $b))
              (local.tee $n (i32.sub (local.get $n) (i32.const 1)))
              (br_if $l))))"#,
        &[],
    );
    let rss_before = rss_kib();
    let sum = call(&func(&instance, "churn"), &[Val::I32(50_000_000)]);
    assert_eq!(i64_of(&sum[0]), 50_000_000);
    call(&func(&instance, "cycles"), &[Val::I32(1_000_000)]);
    let grown = rss_kib().saturating_sub(rss_before);
    assert!(grown < 64 * 1024, "resident memory grew by {grown} KiB");
    assert!(
        store.gc_heap_bytes() < 64 << 20,
        "{}",
        store.gc_heap_bytes()
    );
    eprintln!(
        "50M structs + 1M cycles: {} collections, heap {} KiB, RSS +{grown} KiB",
        store.gc_count(),
        store.gc_heap_bytes() >> 10
    );
}

/// This process's resident memory in KiB.
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("procfs");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/self/status")
}

/// A serialized module keeps its stack maps: the deserialized code's
/// frames are roots as the compiled code's are.
#[test]
fn deserialized_modules_keep_their_stack_maps() {
    let engine = engine();
    let compiled = Module::new(&engine, &wat::parse_str(SURVIVORS).unwrap()).unwrap();
    let bytes = compiled.serialize().expect("serializes");
    let module = Module::deserialize(&engine, &bytes).expect("deserializes");
    let store = Store::new(&engine);
    let instance = Instance::new(&store, &module, &[]).expect("instantiates");
    let results = call(&func(&instance, "run"), &[]);
    let sums: Vec<i64> = results.iter().map(i64_of).collect();
    assert_eq!(sums, [500_500, 2_001_000, 4_501_500]);
    assert!(store.gc_count() >= 4);
}

const CHURN: &str = r#"(module
  (type $p (struct (field i64) (field i64)))
  (func (export "churn") (param $n i32) (result i32)
    (loop $l
      (drop (struct.new $p (i64.const 1) (i64.const 2)))
      (local.tee $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $l))
    (i32.const 7))
  (func (export "idle") (result i32) (i32.const 9)))"#;

/// The `null` collector only allocates: past the store's GC heap limit an
/// allocation traps with `AllocationTooLarge`, and the store goes on
/// running code that does not allocate. The same limit is no problem for
/// the collecting default.
#[test]
fn the_null_collector_traps_at_the_heap_limit() {
    use wasm_runtime::config::Collector;
    use wasm_runtime::runtime::{StoreLimits, TrapKind};
    let limits = StoreLimits {
        gc_heap_size: Some(4 << 20),
        ..StoreLimits::default()
    };
    let mut config = Config::new();
    config
        .set_wasm_function_references(true)
        .set_wasm_gc(true)
        .set_collector(Collector::Null);
    let null = Engine::new(&config).expect("the null collector is supported");
    let store = Store::new(&null);
    store.set_limits(limits);
    let instance = instantiate(&store, CHURN, &[]);
    let mut results = [Val::I32(0)];
    let trap = func(&instance, "churn")
        .call(&[Val::I32(10_000_000)], &mut results)
        .expect_err("the heap runs out");
    assert_eq!(
        trap.kind(),
        Some(TrapKind::AllocationTooLarge),
        "{}",
        trap.message()
    );
    assert_eq!(store.gc_count(), 0, "the null collector never collects");
    assert!(store.gc_heap_bytes() <= 4 << 20);
    assert_eq!(call(&func(&instance, "idle"), &[])[0].i32(), Some(9));

    let store = Store::new(&engine());
    store.set_limits(limits);
    let instance = instantiate(&store, CHURN, &[]);
    assert_eq!(
        call(&func(&instance, "churn"), &[Val::I32(10_000_000)])[0].i32(),
        Some(7)
    );
    assert!(store.gc_count() > 0);
}

/// References live across a call inside a `try_table` (a Cranelift
/// `try_call`) are roots there too, on the normal return and on the path
/// where the callee throws after collecting.
#[test]
fn references_across_calls_in_try_tables_survive() {
    let mut config = Config::new();
    config
        .set_wasm_function_references(true)
        .set_wasm_gc(true)
        .set_wasm_exceptions(true);
    let store = Store::new(&Engine::new(&config).unwrap());
    store.set_gc_zeal(true);
    let instance = instantiate(
        &store,
        r#"(module
          (type $box (struct (field i64)))
          (tag $oops)
          (func $alloc_then (param $throw i32)
            (drop (struct.new $box (i64.const 0)))
            (drop (struct.new $box (i64.const 1)))
            (if (local.get $throw) (then (throw $oops))))
          (func (export "run") (param $throw i32) (result i64)
            (local $b (ref null $box))
            (local.set $b (struct.new $box (i64.const 41)))
            (block $caught
              (try_table (catch $oops $caught)
                (call $alloc_then (local.get $throw)))
              (return (struct.get $box 0 (local.get $b))))
            (i64.add (struct.get $box 0 (local.get $b)) (i64.const 1))))"#,
        &[],
    );
    let run = func(&instance, "run");
    for _ in 0..3 {
        assert_eq!(i64_of(&call(&run, &[Val::I32(0)])[0]), 41);
        assert_eq!(i64_of(&call(&run, &[Val::I32(1)])[0]), 42);
    }
    assert!(store.gc_count() >= 12, "{}", store.gc_count());
}

/// With `wasm_gc` off, a module that uses GC is refused with an error that
/// names the option.
#[test]
fn gc_modules_are_refused_naming_the_option_when_gc_is_off() {
    let engine = Engine::default();
    for wat in [
        "(module (type (struct (field i32))))",
        "(module (func (result i31ref) (ref.i31 (i32.const 1))))",
    ] {
        let err = Module::new(&engine, &wat::parse_str(wat).unwrap())
            .err()
            .unwrap_or_else(|| panic!("{wat} compiled with GC off"));
        assert!(err.to_string().contains("wasm_gc"), "{wat}: {err}");
    }
}
