//! Async calls through the Rust API (`async_support`): wasm on fibers that
//! suspends in async host functions and at fuel and epoch yields, is
//! polled to completion or cancelled by dropping its future, and traps,
//! overflows its stack and reports backtraces as on the main stack. (The
//! C API over it is tested by tests/c_api_async.rs.)

use std::cell::Cell;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::Poll;

use wasm_runtime::config::{
    Config, InstanceAllocationStrategy, PoolingAllocationConfig, StackCreator, StackMemory,
};
use wasm_runtime::engine::Engine;
use wasm_runtime::linker::Linker;
use wasm_runtime::module::{FuncType, Module, ValType};
use wasm_runtime::runtime::{
    AsyncHostCallback, CallFuture, Caller, Extern, Func, Instance, Store, Trap, TrapKind,
    UpdateDeadline, Val,
};

fn async_engine(configure: impl FnOnce(&mut Config)) -> Engine {
    let mut config = Config::new();
    config.set_async_support(true);
    configure(&mut config);
    Engine::new(&config).expect("engine")
}

fn module(engine: &Engine, wat: &str) -> Module {
    Module::new(engine, &wat::parse_str(wat).expect("valid wat")).expect("module compiles")
}

/// Polls `future` to completion; the number of pending polls and the
/// output.
fn run<T: Send + 'static>(mut future: CallFuture<T>, mut between: impl FnMut()) -> (usize, T) {
    let mut pending = 0;
    loop {
        match future.poll() {
            Poll::Ready(out) => return (pending, out),
            Poll::Pending => {
                pending += 1;
                assert!(pending < 1_000_000, "the call never finished");
                between();
            }
        }
    }
}

fn instantiate(linker: &Linker, store: &Store, module: &Module) -> Instance {
    let future = linker
        .instantiate_async(store, module)
        .expect("imports resolve");
    run(future, || {}).1.expect("instantiates")
}

fn export(instance: &Instance, name: &str) -> Func {
    instance
        .get_export(name)
        .and_then(Extern::into_func)
        .unwrap_or_else(|| panic!("export {name}"))
}

/// An async host function `host.sleep(n) -> n * 10` that is pending for
/// `n` polls of its continuation; `polls` counts them.
fn sleeper(polls: Arc<AtomicUsize>) -> AsyncHostCallback {
    Box::new(move |_: &Caller<'_>, args: &[Val], _: &mut [Val]| {
        let n = args[0].i32().unwrap();
        let mut left = n;
        let polls = polls.clone();
        Ok(Some(Box::new(
            move |_: &Caller<'_>, results: &mut [Val]| {
                polls.fetch_add(1, Ordering::SeqCst);
                if left > 0 {
                    left -= 1;
                    return Poll::Pending;
                }
                results[0] = Val::I32(n * 10);
                Poll::Ready(Ok(()))
            },
        )))
    })
}

const SLEEPER_GUEST: &str = r#"
    (module
      (import "host" "sleep" (func $sleep (param i32) (result i32)))
      (func (export "twice") (param i32) (result i32)
        (i32.add (call $sleep (local.get 0)) (call $sleep (i32.const 1)))))
"#;

fn sleeper_linker(engine: &Engine, polls: Arc<AtomicUsize>) -> Linker {
    let mut linker = Linker::new(engine);
    let ty = FuncType::new([ValType::I32], [ValType::I32]);
    linker
        .func_new_async("host", "sleep", ty, sleeper(polls))
        .unwrap();
    linker
}

#[test]
fn async_host_functions_suspend_the_call_until_their_continuation_is_done() {
    let engine = async_engine(|_| {});
    let polls = Arc::new(AtomicUsize::new(0));
    let linker = sleeper_linker(&engine, polls.clone());
    let store = Store::new(&engine);
    let instance = instantiate(&linker, &store, &module(&engine, SLEEPER_GUEST));
    let twice = export(&instance, "twice");
    let (pending, out) = run(twice.call_async(&[Val::I32(3)], 1).unwrap(), || {});
    let results = out.expect("the call finishes");
    assert_eq!(results[0].i32(), Some(30 + 10));
    // sleep(3) is pending 3 times, sleep(1) once.
    assert_eq!(pending, 4);
    assert_eq!(polls.load(Ordering::SeqCst), 4 + 2);
}

#[test]
fn many_calls_are_in_progress_at_once_on_one_thread() {
    let engine = async_engine(|_| {});
    let linker = sleeper_linker(&engine, Arc::new(AtomicUsize::new(0)));
    let module = module(&engine, SLEEPER_GUEST);
    type Call = CallFuture<Result<Vec<Val>, Trap>>;
    let mut calls: Vec<(i32, Call)> = (0..200)
        .map(|i| {
            let store = Store::new(&engine);
            let instance = instantiate(&linker, &store, &module);
            let n = i % 7;
            (
                n,
                export(&instance, "twice")
                    .call_async(&[Val::I32(n)], 1)
                    .unwrap(),
            )
        })
        .collect();
    let mut finished = 0;
    while !calls.is_empty() {
        calls.retain_mut(|(n, call)| match call.poll() {
            Poll::Pending => true,
            Poll::Ready(out) => {
                assert_eq!(out.unwrap()[0].i32(), Some(*n * 10 + 10));
                finished += 1;
                false
            }
        });
    }
    assert_eq!(finished, 200);
}

#[test]
fn sync_calls_and_instantiation_are_refused_with_async_on_but_work_inside_a_call() {
    let engine = async_engine(|_| {});
    let store = Store::new(&engine);
    let module = module(
        &engine,
        r#"(module
             (import "host" "back" (func $back (result i32)))
             (func (export "seven") (result i32) (i32.const 7))
             (func (export "via_host") (result i32) (call $back)))"#,
    );
    let err = Instance::new(&store, &module, &[]).unwrap_err();
    assert!(err.to_string().contains("async"), "{err}");

    // A host function called inside an async call may call wasm of its
    // store synchronously: it runs on the same fiber.
    let mut linker = Linker::new(&engine);
    let seven: Rc<Cell<Option<Func>>> = Rc::new(Cell::new(None));
    let slot = seven.clone();
    #[allow(clippy::arc_with_non_send_sync)]
    let back = Arc::new(move |_: &Caller<'_>, _: &[Val], results: &mut [Val]| {
        let f = slot.take().expect("set before the call");
        let mut r = [Val::I32(0)];
        f.call(&[], &mut r)?;
        slot.set(Some(f));
        results[0] = Val::I32(r[0].i32().unwrap() + 1);
        Ok(())
    });
    linker
        .func_new("host", "back", FuncType::new([], [ValType::I32]), back)
        .unwrap();
    let instance = instantiate(&linker, &store, &module);
    let f = export(&instance, "seven");
    let trap = f.call(&[], &mut [Val::I32(0)]).unwrap_err();
    assert!(trap.to_string().contains("asynchronously"), "{trap}");
    seven.set(Some(f));
    let (_, out) = run(
        export(&instance, "via_host").call_async(&[], 1).unwrap(),
        || {},
    );
    assert_eq!(out.unwrap()[0].i32(), Some(8));
}

const SPIN: &str = r#"(module (func (export "spin") (loop br 0)))"#;

#[test]
fn fuel_yields_return_to_the_poller_every_interval_and_running_out_still_traps() {
    let engine = async_engine(|c| {
        c.set_consume_fuel(true);
    });
    let store = Store::new(&engine);
    store.set_fuel(100_000).unwrap();
    store.fuel_async_yield_interval(Some(1_000)).unwrap();
    assert_eq!(store.get_fuel().unwrap(), 100_000);
    let instance = instantiate(&Linker::new(&engine), &store, &module(&engine, SPIN));
    let spin = export(&instance, "spin");
    let mut fuel_seen = Vec::new();
    let (pending, out) = run(spin.call_async(&[], 0).unwrap(), || {
        fuel_seen.push(store.get_fuel().unwrap());
    });
    let trap = out.unwrap_err();
    assert_eq!(trap.kind(), Some(TrapKind::OutOfFuel), "{trap}");
    // 100 000 units in intervals of 1 000: about a hundred yields, the
    // fuel left going down each time.
    assert!((90..=101).contains(&pending), "{pending} yields");
    assert!(fuel_seen.windows(2).all(|w| w[0] > w[1]), "{fuel_seen:?}");
    assert_eq!(store.get_fuel().unwrap(), 0);
}

#[test]
fn epoch_yields_return_to_the_poller_and_a_dropped_future_cancels_the_call() {
    let engine = async_engine(|c| {
        c.set_epoch_interruption(true);
    });
    let store = Store::new(&engine);
    store.epoch_deadline_async_yield_and_update(1).unwrap();
    store.set_epoch_deadline(1);
    let instance = instantiate(&Linker::new(&engine), &store, &module(&engine, SPIN));
    let mut future = export(&instance, "spin").call_async(&[], 0).unwrap();
    for _ in 0..50 {
        engine.increment_epoch();
        assert!(future.poll().is_pending());
    }
    // Dropping it resumes the call only to cancel it; the store is usable
    // afterwards, and a later call yields at its deadlines again.
    drop(future);
    let mut again = export(&instance, "spin").call_async(&[], 0).unwrap();
    engine.increment_epoch();
    assert!(again.poll().is_pending());
    store.epoch_deadline_trap();
    engine.increment_epoch();
    let Poll::Ready(out) = again.poll() else {
        panic!("with the deadline trapping again the call ends")
    };
    assert_eq!(out.unwrap_err().kind(), Some(TrapKind::Interrupt));
}

#[test]
fn the_epoch_callback_can_yield_with_a_new_deadline() {
    let engine = async_engine(|c| {
        c.set_epoch_interruption(true);
    });
    let store = Store::new(&engine);
    let calls = Rc::new(Cell::new(0));
    let seen = calls.clone();
    store.epoch_deadline_callback(Box::new(move |_: &Store| {
        seen.set(seen.get() + 1);
        if seen.get() < 5 {
            Ok(UpdateDeadline::Yield(1))
        } else {
            Err(anyhow::anyhow!("enough"))
        }
    }));
    // Due at the first check: the call starts by asking the callback.
    store.set_epoch_deadline(0);
    let instance = instantiate(&Linker::new(&engine), &store, &module(&engine, SPIN));
    let (pending, out) = run(
        export(&instance, "spin").call_async(&[], 0).unwrap(),
        || engine.increment_epoch(),
    );
    assert_eq!(pending, 4);
    let trap = out.unwrap_err();
    assert!(trap.to_string().contains("enough"), "{trap}");
    assert_eq!(calls.get(), 5);
}

#[test]
fn a_cancelled_call_drops_its_pending_continuation_and_unwinds() {
    let engine = async_engine(|_| {});
    let dropped = Arc::new(AtomicUsize::new(0));
    struct Flag(Arc<AtomicUsize>);
    impl Drop for Flag {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let d = dropped.clone();
    let forever: AsyncHostCallback = Box::new(move |_: &Caller<'_>, _: &[Val], _: &mut [Val]| {
        let flag = Flag(d.clone());
        Ok(Some(Box::new(move |_: &Caller<'_>, _: &mut [Val]| {
            let _ = &flag;
            Poll::Pending
        })))
    });
    let mut linker = Linker::new(&engine);
    linker
        .func_new_async("host", "wait", FuncType::new([], []), forever)
        .unwrap();
    let store = Store::new(&engine);
    let instance = instantiate(
        &linker,
        &store,
        &module(
            &engine,
            r#"(module (import "host" "wait" (func $w))
                 (func (export "go") (call $w) (call $w)))"#,
        ),
    );
    let mut future = export(&instance, "go").call_async(&[], 0).unwrap();
    for _ in 0..10 {
        assert!(future.poll().is_pending());
    }
    assert_eq!(dropped.load(Ordering::SeqCst), 0);
    drop(future);
    // The first wait's continuation was dropped, and the second wait never
    // started (the cancellation trap unwound the wasm).
    assert_eq!(dropped.load(Ordering::SeqCst), 1);
}

#[test]
fn traps_overflow_and_backtraces_on_a_fiber_are_as_on_the_main_stack() {
    let engine = async_engine(|c| {
        c.set_max_wasm_stack(128 << 10)
            .set_async_stack_size(1 << 20);
    });
    let store = Store::new(&engine);
    let instance = instantiate(
        &Linker::new(&engine),
        &store,
        &module(
            &engine,
            r#"(module
                 (func $inner (unreachable))
                 (func $outer (export "trap") (call $inner))
                 (func $deep (export "deep") (param i32) (result i32)
                   (i32.add (call $deep (i32.add (local.get 0) (i32.const 1))) (i32.const 1))))"#,
        ),
    );
    let (_, out) = run(export(&instance, "trap").call_async(&[], 0).unwrap(), || {});
    let trap = out.unwrap_err();
    assert_eq!(trap.kind(), Some(TrapKind::UnreachableCodeReached));
    let names: Vec<_> = trap
        .trace()
        .iter()
        .map(|f| f.func_name().unwrap_or_default().to_string())
        .collect();
    assert_eq!(names, ["inner", "outer"], "{trap:?}");
    for _ in 0..3 {
        let (_, out) = run(
            export(&instance, "deep")
                .call_async(&[Val::I32(0)], 1)
                .unwrap(),
            || {},
        );
        let trap = out.unwrap_err();
        assert_eq!(trap.kind(), Some(TrapKind::StackOverflow), "{trap}");
    }
}

#[test]
fn calls_may_move_between_threads_between_polls() {
    let engine = async_engine(|_| {});
    let linker = sleeper_linker(&engine, Arc::new(AtomicUsize::new(0)));
    let store = Store::new(&engine);
    let instance = instantiate(&linker, &store, &module(&engine, SLEEPER_GUEST));
    let mut future = export(&instance, "twice")
        .call_async(&[Val::I32(5)], 1)
        .unwrap();
    assert!(future.poll().is_pending());
    drop(instance);
    let out = std::thread::spawn(move || {
        let mut pending = 1;
        loop {
            if let Poll::Ready(out) = future.poll() {
                return (pending, out);
            }
            pending += 1;
            // Hop to yet another thread half-way.
            if pending == 3 {
                return std::thread::spawn(move || {
                    let mut pending = pending;
                    loop {
                        if let Poll::Ready(out) = future.poll() {
                            return (pending, out);
                        }
                        pending += 1;
                    }
                })
                .join()
                .unwrap();
            }
        }
    })
    .join()
    .unwrap();
    assert_eq!(out.0, 6);
    assert_eq!(out.1.unwrap()[0].i32(), Some(60));
    drop(store);
}

/// Counts the stacks it made and dropped.
struct CountingCreator {
    made: AtomicUsize,
    freed: Arc<AtomicUsize>,
    size_seen: AtomicUsize,
    short_by: usize,
}

struct HeapStack {
    memory: Vec<u128>,
    freed: Arc<AtomicUsize>,
}

impl StackMemory for HeapStack {
    fn top(&self) -> *mut u8 {
        self.memory.as_ptr().wrapping_add(self.memory.len()) as *mut u8
    }
    fn range(&self) -> std::ops::Range<usize> {
        let base = self.memory.as_ptr() as usize;
        base..base + self.memory.len() * 16
    }
}

impl Drop for HeapStack {
    fn drop(&mut self) {
        self.freed.fetch_add(1, Ordering::SeqCst);
    }
}

impl StackCreator for CountingCreator {
    fn new_stack(&self, size: usize, _zeroed: bool) -> anyhow::Result<Box<dyn StackMemory>> {
        self.made.fetch_add(1, Ordering::SeqCst);
        self.size_seen.store(size, Ordering::SeqCst);
        Ok(Box::new(HeapStack {
            memory: vec![0u128; (size - self.short_by) / 16],
            freed: self.freed.clone(),
        }))
    }
}

#[test]
fn the_embedders_stack_creator_provides_every_fiber_stack() {
    for short_by in [0, 4096] {
        let freed = Arc::new(AtomicUsize::new(0));
        let creator = Arc::new(CountingCreator {
            made: AtomicUsize::new(0),
            freed: freed.clone(),
            size_seen: AtomicUsize::new(0),
            short_by,
        });
        let engine = async_engine(|c| {
            c.set_async_stack_size(1 << 20)
                .set_with_host_stack(Some(creator.clone()));
        });
        let linker = sleeper_linker(&engine, Arc::new(AtomicUsize::new(0)));
        let store = Store::new(&engine);
        let future = linker.instantiate_async(&store, &module(&engine, SLEEPER_GUEST));
        let future = match (short_by, future) {
            (0, Ok(f)) => f,
            (_, Ok(_)) => panic!("a short stack was accepted"),
            (_, Err(e)) => {
                let msg = e.to_string();
                assert!(msg.contains("with_host_stack"), "{msg}");
                assert!(short_by > 0, "{msg}");
                assert_eq!(freed.load(Ordering::SeqCst), 1);
                continue;
            }
        };
        let instance = run(future, || {}).1.unwrap();
        let (_, out) = run(
            export(&instance, "twice")
                .call_async(&[Val::I32(2)], 1)
                .unwrap(),
            || {},
        );
        assert_eq!(out.unwrap()[0].i32(), Some(30));
        assert_eq!(creator.made.load(Ordering::SeqCst), 2);
        assert_eq!(freed.load(Ordering::SeqCst), 2);
        assert_eq!(creator.size_seen.load(Ordering::SeqCst), 1 << 20);
    }
    let mut config = Config::new();
    config.set_with_host_stack(Some(Arc::new(CountingCreator {
        made: AtomicUsize::new(0),
        freed: Arc::new(AtomicUsize::new(0)),
        size_seen: AtomicUsize::new(0),
        short_by: 0,
    })));
    let err = Engine::new(&config).unwrap_err().to_string();
    assert!(
        err.starts_with("with_host_stack: needs async_support"),
        "{err}"
    );
}

#[test]
fn the_pooling_allocator_bounds_calls_in_progress_by_total_stacks() {
    let pooling = PoolingAllocationConfig {
        total_stacks: 2,
        async_stack_zeroing: true,
        total_memories: 4,
        total_tables: 4,
        total_core_instances: 4,
        ..Default::default()
    };
    let engine = async_engine(|c| {
        c.set_allocation_strategy(InstanceAllocationStrategy::Pooling(pooling));
    });
    let linker = sleeper_linker(&engine, Arc::new(AtomicUsize::new(0)));
    let store = Store::new(&engine);
    let instance = instantiate(&linker, &store, &module(&engine, SLEEPER_GUEST));
    let twice = export(&instance, "twice");
    let mut a = twice.call_async(&[Val::I32(2)], 1).unwrap();
    let mut b = twice.call_async(&[Val::I32(2)], 1).unwrap();
    assert!(a.poll().is_pending() && b.poll().is_pending());
    let err = twice.call_async(&[Val::I32(2)], 1).unwrap_err();
    assert!(err.to_string().contains("total_stacks"), "{err}");
    let (_, out) = run(a, || {});
    assert_eq!(out.unwrap()[0].i32(), Some(30));
    // A stack is free again (zeroed, reused).
    let (_, out) = run(twice.call_async(&[Val::I32(1)], 1).unwrap(), || {});
    assert_eq!(out.unwrap()[0].i32(), Some(20));
    drop(b.poll());
    drop(b);
}

#[test]
fn async_apis_need_async_support() {
    let mut config = Config::new();
    config.set_consume_fuel(true);
    let engine = Engine::new(&config).unwrap();
    let store = Store::new(&engine);
    let err = store.fuel_async_yield_interval(Some(10)).unwrap_err();
    assert!(err.to_string().contains("async_support"), "{err}");
    let err = store.epoch_deadline_async_yield_and_update(1).unwrap_err();
    assert!(err.to_string().contains("async_support"), "{err}");
    let instance = Instance::new(&store, &module(&engine, SPIN), &[]).unwrap();
    let err = export(&instance, "spin").call_async(&[], 0).unwrap_err();
    assert!(err.to_string().contains("async_support"), "{err}");
    let err = Linker::new(&engine)
        .instantiate_async(&store, &module(&engine, SPIN))
        .unwrap_err();
    assert!(err.to_string().contains("async"), "{err}");
    // An async host function called outside an async call traps.
    let f = Func::new_async(
        &store,
        FuncType::new([], []),
        Box::new(|_: &Caller<'_>, _: &[Val], _: &mut [Val]| Ok(None)),
    );
    let trap = f.call(&[], &mut []).unwrap_err();
    assert!(trap.to_string().contains("outside an async call"), "{trap}");
}

/// Set in the child process of `host_overflow_of_a_fiber_stack_is_reported`.
const OVERFLOW_CHILD: &str = "WASM_RUNTIME_ASYNC_OVERFLOW_CHILD";

/// Recurses `depth` times with a 1 KiB frame each.
#[inline(never)]
fn recurse(depth: usize) -> usize {
    let frame = std::hint::black_box([depth as u8; 1024]);
    if depth == 0 {
        return frame[0] as usize;
    }
    recurse(depth - 1) + std::hint::black_box(frame[1]) as usize
}

#[test]
fn host_overflow_of_a_fiber_stack_is_reported() {
    if std::env::var_os(OVERFLOW_CHILD).is_some() {
        // A host function recursing far past the fiber's stack: the guard
        // faults and the process dies, saying why.
        let engine = async_engine(|c| {
            c.set_async_stack_size(256 << 10)
                .set_max_wasm_stack(64 << 10);
        });
        let store = Store::new(&engine);
        let f = Func::new(
            &store,
            FuncType::new([], [ValType::I32]),
            Box::new(|_: &[Val], results: &mut [Val]| {
                results[0] = Val::I32(recurse(100_000) as i32);
                Ok(())
            }),
        );
        let mut future = f.call_async(&[], 1).unwrap();
        let _ = future.poll();
        unreachable!("the host function returned from a stack too small for it");
    }
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "host_overflow_of_a_fiber_stack_is_reported",
            "--nocapture",
        ])
        .env(OVERFLOW_CHILD, "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(output.status.signal(), Some(libc::SIGSEGV), "{stderr}");
    assert!(
        stderr.contains("stack overflow in host code on an async call's fiber stack"),
        "{stderr}"
    );
}

/// GC objects held by an async call's frames survive collections that run
/// on its fiber, and collections that would run while it is suspended
/// (another call of the store allocating) are held off until it resumes.
#[test]
fn gc_references_of_suspended_and_running_calls_survive() {
    let engine = async_engine(|c| {
        c.set_wasm_function_references(true).set_wasm_gc(true);
    });
    let linker = sleeper_linker(&engine, Arc::new(AtomicUsize::new(0)));
    let store = Store::new(&engine);
    store.set_gc_zeal(true);
    let guest = module(
        &engine,
        r#"(module
          (type $box (struct (field i64)))
          (import "host" "sleep" (func $sleep (param i32) (result i32)))
          (func $garbage (param $n i32)
            (loop $more
              (drop (struct.new $box (i64.const -1)))
              (local.tee $n (i32.sub (local.get $n) (i32.const 1)))
              (br_if $more)))
          (func (export "hold") (param $v i64) (result i64)
            (local $b (ref null $box))
            (local.set $b (struct.new $box (local.get $v)))
            (drop (call $sleep (i32.const 3)))
            (call $garbage (i32.const 100))
            (struct.get $box 0 (local.get $b))))"#,
    );
    let instance = instantiate(&linker, &store, &guest);
    let hold = export(&instance, "hold");
    let mut first = hold.call_async(&[Val::I64(11)], 1).unwrap();
    assert!(first.poll().is_pending(), "suspended in sleep");
    // A second call of the store runs to completion while the first is
    // suspended: its allocations must not free the first call's box.
    let (_, second) = run(hold.call_async(&[Val::I64(22)], 1).unwrap(), || {});
    assert_eq!(second.unwrap()[0].i64(), Some(22));
    let (_, first) = run(first, || {});
    assert_eq!(first.unwrap()[0].i64(), Some(11));
    assert!(store.gc_count() > 0);
}
