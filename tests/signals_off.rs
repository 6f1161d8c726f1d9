//! With `signals_based_traps(false)` the runtime uses no signals at all:
//! the embedder owns SIGILL, SIGSEGV, SIGFPE and SIGBUS, and every trap
//! still comes back as a trap of the right kind.
//!
//! Its own binary, one test: signal dispositions are process-wide. The
//! test installs handlers that abort the process, so any trap raised
//! through a signal (or any handler the runtime installs over ours and
//! then uses) ends the run; at the end it checks that ours are still the
//! installed ones.

use std::cell::Cell;
use std::rc::Rc;
use wasm_runtime::config::Config;
use wasm_runtime::engine::Engine;
use wasm_runtime::module::{FuncType, Module, ValType};
use wasm_runtime::runtime::{Extern, Func, Instance, Store, Trap, TrapKind, Val};

const SIGNALS: [(libc::c_int, &str); 4] = [
    (libc::SIGILL, "SIGILL"),
    (libc::SIGSEGV, "SIGSEGV"),
    (libc::SIGFPE, "SIGFPE"),
    (libc::SIGBUS, "SIGBUS"),
];

/// The embedder's handler: says which signal arrived and aborts.
extern "C" fn embedder_handler(sig: libc::c_int) {
    let msg: &[u8] = match sig {
        libc::SIGILL => b"signals_off: SIGILL reached the embedder's handler\n",
        libc::SIGSEGV => b"signals_off: SIGSEGV reached the embedder's handler\n",
        libc::SIGFPE => b"signals_off: SIGFPE reached the embedder's handler\n",
        _ => b"signals_off: SIGBUS reached the embedder's handler\n",
    };
    // SAFETY: write(2) and abort(3) are async-signal-safe.
    unsafe {
        libc::write(2, msg.as_ptr().cast(), msg.len());
        libc::abort();
    }
}

fn install_embedder_handlers() {
    for (sig, name) in SIGNALS {
        // SAFETY: a plain handler (no SA_SIGINFO) with an empty mask.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = embedder_handler as *const () as usize;
            libc::sigemptyset(&mut action.sa_mask);
            assert_eq!(
                libc::sigaction(sig, &action, std::ptr::null_mut()),
                0,
                "installing the embedder's {name} handler"
            );
        }
    }
}

fn assert_embedder_handlers_installed() {
    for (sig, name) in SIGNALS {
        // SAFETY: querying the current action only.
        let current = unsafe {
            let mut current: libc::sigaction = std::mem::zeroed();
            assert_eq!(libc::sigaction(sig, std::ptr::null(), &mut current), 0);
            current
        };
        assert_eq!(
            current.sa_sigaction, embedder_handler as *const () as usize,
            "the runtime replaced the embedder's {name} handler"
        );
    }
}

fn engine(configure: impl FnOnce(&mut Config)) -> Engine {
    let mut config = Config::new();
    config.set_signals_based_traps(false);
    configure(&mut config);
    Engine::new(&config).expect("a signals-off engine")
}

fn instantiate(store: &Store, wat: &str, imports: &[Extern]) -> Instance {
    let wasm = wat::parse_str(wat).expect("valid wat");
    let module = Module::new(store.engine(), &wasm).expect("module compiles");
    Instance::new(store, &module, imports).unwrap_or_else(|e| panic!("instantiation: {e}"))
}

fn func(instance: &Instance, name: &str) -> Func {
    instance
        .get_export(name)
        .and_then(Extern::into_func)
        .unwrap_or_else(|| panic!("no function export {name}"))
}

/// Calls `name` with `params`, expecting results of the function's type.
fn call(instance: &Instance, name: &str, params: &[Val]) -> Result<Vec<Val>, Trap> {
    let f = func(instance, name);
    let mut results: Vec<Val> = f.ty().results.iter().map(|_| Val::I32(0)).collect();
    f.call(params, &mut results)?;
    Ok(results)
}

/// Calls `name` and checks that it traps with `kind` and its message.
fn expect_trap(instance: &Instance, name: &str, params: &[Val], kind: TrapKind) -> Trap {
    match call(instance, name, params) {
        Ok(results) => panic!("{name}{params:?}: expected {kind:?}, returned {results:?}"),
        Err(trap) => {
            assert_eq!(trap.kind(), Some(kind), "{name}{params:?}: {trap:?}");
            assert_eq!(trap.message(), kind.message(), "{name}{params:?}");
            trap
        }
    }
}

const TRAPS: &str = r#"(module
    (type $v (func))
    (type $i (func (result i32)))
    (memory 1 2)
    (table $t 4 funcref)
    (table $u 2 externref)
    (data $d "abcd")
    (elem $e func $ok $ok)
    (elem (table $t) (i32.const 0) func $ok $other)
    (func $ok)
    (func $other (result i32) i32.const 1)

    (func (export "unreachable") unreachable)
    (func $deep (param i32)
        local.get 0 i32.eqz if unreachable end
        local.get 0 i32.const 1 i32.sub call $deep)
    (func (export "deep") (param i32) local.get 0 call $deep)

    (func (export "load") (param i32) (result i32) local.get 0 i32.load)
    (func (export "load_offset") (param i32) (result i64) local.get 0 i64.load offset=65530)
    (func (export "store") (param i32) local.get 0 i32.const 7 i32.store16)
    (func (export "memory.fill") (param i32 i32) local.get 0 i32.const 0 local.get 1 memory.fill)
    (func (export "memory.copy") (param i32 i32 i32) local.get 0 local.get 1 local.get 2 memory.copy)
    (func (export "memory.init") (param i32 i32 i32)
        local.get 0 local.get 1 local.get 2 memory.init $d)
    (func (export "memory.grow") (param i32) (result i32) local.get 0 memory.grow)

    (func (export "i32.div_s") (param i32 i32) (result i32) local.get 0 local.get 1 i32.div_s)
    (func (export "i32.div_u") (param i32 i32) (result i32) local.get 0 local.get 1 i32.div_u)
    (func (export "i32.rem_s") (param i32 i32) (result i32) local.get 0 local.get 1 i32.rem_s)
    (func (export "i32.rem_u") (param i32 i32) (result i32) local.get 0 local.get 1 i32.rem_u)
    (func (export "i64.div_s") (param i64 i64) (result i64) local.get 0 local.get 1 i64.div_s)
    (func (export "i64.div_u") (param i64 i64) (result i64) local.get 0 local.get 1 i64.div_u)
    (func (export "i64.rem_s") (param i64 i64) (result i64) local.get 0 local.get 1 i64.rem_s)
    (func (export "i64.rem_u") (param i64 i64) (result i64) local.get 0 local.get 1 i64.rem_u)

    (func (export "i32.trunc_f32_s") (param f32) (result i32) local.get 0 i32.trunc_f32_s)
    (func (export "i32.trunc_f32_u") (param f32) (result i32) local.get 0 i32.trunc_f32_u)
    (func (export "i32.trunc_f64_s") (param f64) (result i32) local.get 0 i32.trunc_f64_s)
    (func (export "i32.trunc_f64_u") (param f64) (result i32) local.get 0 i32.trunc_f64_u)
    (func (export "i64.trunc_f32_s") (param f32) (result i64) local.get 0 i64.trunc_f32_s)
    (func (export "i64.trunc_f32_u") (param f32) (result i64) local.get 0 i64.trunc_f32_u)
    (func (export "i64.trunc_f64_s") (param f64) (result i64) local.get 0 i64.trunc_f64_s)
    (func (export "i64.trunc_f64_u") (param f64) (result i64) local.get 0 i64.trunc_f64_u)

    (func (export "call_indirect") (param i32) (result i32)
        local.get 0 call_indirect $t (type $i))
    (func (export "return_call_indirect") (param i32) (result i32)
        local.get 0 return_call_indirect $t (type $i))
    (func (export "table.get") (param i32) (result funcref) local.get 0 table.get $t)
    (func (export "table.set") (param i32) local.get 0 ref.null extern table.set $u)
    (func (export "table.fill") (param i32 i32) local.get 0 ref.null func local.get 1 table.fill $t)
    (func (export "table.copy") (param i32 i32 i32)
        local.get 0 local.get 1 local.get 2 table.copy $t $t)
    (func (export "table.init") (param i32 i32 i32)
        local.get 0 local.get 1 local.get 2 table.init $t $e)
    (func (export "table.grow") (param i32) (result i32)
        ref.null func local.get 0 table.grow $t)

    (func $recurse (export "recurse") (param i64) (result i64)
        local.get 0 i64.const 1 i64.add call $recurse)
    (func $wide (export "recurse_wide")
        (param f64 f64 f64 f64 f64 f64 f64 f64 f64 f64 f64 f64 f64 f64 f64 f64) (result f64)
        local.get 0 local.get 1 local.get 2 local.get 3 local.get 4 local.get 5 local.get 6
        local.get 7 local.get 8 local.get 9 local.get 10 local.get 11 local.get 12 local.get 13
        local.get 14 local.get 15 call $wide
        local.get 0 f64.add))"#;

fn f32v(x: f32) -> Val {
    Val::F32(x.to_bits())
}

fn f64v(x: f64) -> Val {
    Val::F64(x.to_bits())
}

fn memory_and_integer_traps(i: &Instance) {
    use TrapKind::*;
    let oob = MemoryOutOfBounds;
    expect_trap(i, "load", &[Val::I32(65533)], oob);
    expect_trap(i, "load", &[Val::I32(-1)], oob);
    expect_trap(i, "load_offset", &[Val::I32(0)], oob);
    expect_trap(i, "store", &[Val::I32(65535)], oob);
    assert_eq!(
        call(i, "load", &[Val::I32(65532)]).unwrap()[0].i32(),
        Some(0)
    );
    expect_trap(i, "memory.fill", &[Val::I32(65000), Val::I32(1000)], oob);
    expect_trap(
        i,
        "memory.copy",
        &[Val::I32(0), Val::I32(65535), Val::I32(2)],
        oob,
    );
    expect_trap(
        i,
        "memory.init",
        &[Val::I32(0), Val::I32(2), Val::I32(3)],
        oob,
    );
    // Failing to grow is a result, not a trap.
    assert_eq!(
        call(i, "memory.grow", &[Val::I32(5)]).unwrap()[0].i32(),
        Some(-1)
    );
    assert_eq!(
        call(i, "memory.grow", &[Val::I32(1)]).unwrap()[0].i32(),
        Some(1)
    );
    expect_trap(i, "load", &[Val::I32(2 * 65536 - 3)], oob);

    for name in ["i32.div_s", "i32.div_u", "i32.rem_s", "i32.rem_u"] {
        expect_trap(i, name, &[Val::I32(7), Val::I32(0)], IntegerDivisionByZero);
    }
    for name in ["i64.div_s", "i64.div_u", "i64.rem_s", "i64.rem_u"] {
        expect_trap(i, name, &[Val::I64(7), Val::I64(0)], IntegerDivisionByZero);
    }
    let min32 = [Val::I32(i32::MIN), Val::I32(-1)];
    expect_trap(i, "i32.div_s", &min32, IntegerOverflow);
    assert_eq!(call(i, "i32.rem_s", &min32).unwrap()[0].i32(), Some(0));
    let min64 = [Val::I64(i64::MIN), Val::I64(-1)];
    expect_trap(i, "i64.div_s", &min64, IntegerOverflow);
    assert_eq!(call(i, "i64.rem_s", &min64).unwrap()[0].i64(), Some(0));
    assert_eq!(
        call(i, "i32.div_u", &[Val::I32(-1), Val::I32(2)]).unwrap()[0].i32(),
        Some(i32::MAX)
    );
}

fn conversion_traps(i: &Instance) {
    use TrapKind::{BadConversionToInteger as Nan, IntegerOverflow as Range};
    // (function, argument, expected result or trap)
    let f32_cases: &[(&str, f32, Result<i64, TrapKind>)] = &[
        ("i32.trunc_f32_s", f32::NAN, Err(Nan)),
        ("i32.trunc_f32_s", 2147483648.0, Err(Range)),
        ("i32.trunc_f32_s", -2147483904.0, Err(Range)),
        ("i32.trunc_f32_s", -2147483648.0, Ok(i64::from(i32::MIN))),
        ("i32.trunc_f32_s", f32::INFINITY, Err(Range)),
        ("i32.trunc_f32_u", f32::NAN, Err(Nan)),
        ("i32.trunc_f32_u", 4294967296.0, Err(Range)),
        ("i32.trunc_f32_u", -1.0, Err(Range)),
        ("i32.trunc_f32_u", -0.99, Ok(0)),
        ("i64.trunc_f32_s", f32::NAN, Err(Nan)),
        ("i64.trunc_f32_s", 9223372036854775808.0, Err(Range)),
        ("i64.trunc_f32_s", -9223372036854775808.0, Ok(i64::MIN)),
        ("i64.trunc_f32_s", f32::NEG_INFINITY, Err(Range)),
        ("i64.trunc_f32_u", f32::NAN, Err(Nan)),
        ("i64.trunc_f32_u", 18446744073709551616.0, Err(Range)),
        ("i64.trunc_f32_u", -1.0, Err(Range)),
    ];
    for &(name, x, expected) in f32_cases {
        check_conversion(i, name, f32v(x), expected);
    }
    let f64_cases: &[(&str, f64, Result<i64, TrapKind>)] = &[
        ("i32.trunc_f64_s", f64::NAN, Err(Nan)),
        ("i32.trunc_f64_s", 2147483648.0, Err(Range)),
        ("i32.trunc_f64_s", -2147483649.0, Err(Range)),
        ("i32.trunc_f64_s", -2147483648.9, Ok(i64::from(i32::MIN))),
        ("i32.trunc_f64_s", 2147483647.9, Ok(i64::from(i32::MAX))),
        ("i32.trunc_f64_u", f64::NAN, Err(Nan)),
        ("i32.trunc_f64_u", 4294967296.0, Err(Range)),
        ("i32.trunc_f64_u", 4294967295.9, Ok(-1)),
        ("i32.trunc_f64_u", -1.0, Err(Range)),
        ("i64.trunc_f64_s", f64::NAN, Err(Nan)),
        ("i64.trunc_f64_s", 9223372036854775808.0, Err(Range)),
        ("i64.trunc_f64_s", -9223372036854777856.0, Err(Range)),
        ("i64.trunc_f64_s", -9223372036854775808.0, Ok(i64::MIN)),
        ("i64.trunc_f64_u", f64::NAN, Err(Nan)),
        ("i64.trunc_f64_u", 18446744073709551616.0, Err(Range)),
        ("i64.trunc_f64_u", -1.0, Err(Range)),
        ("i64.trunc_f64_u", -0.5, Ok(0)),
    ];
    for &(name, x, expected) in f64_cases {
        check_conversion(i, name, f64v(x), expected);
    }
}

fn check_conversion(i: &Instance, name: &str, x: Val, expected: Result<i64, TrapKind>) {
    match expected {
        Err(kind) => {
            expect_trap(i, name, &[x], kind);
        }
        Ok(v) => {
            let result = call(i, name, std::slice::from_ref(&x))
                .unwrap_or_else(|t| panic!("{name}({x:?}) trapped: {t:?}"));
            let got = match &result[0] {
                Val::I32(n) => i64::from(*n),
                Val::I64(n) => *n,
                other => panic!("{name}: result {other:?}"),
            };
            assert_eq!(got, v, "{name}({x:?})");
        }
    }
}

fn table_and_call_traps(i: &Instance) {
    use TrapKind::*;
    assert_eq!(
        call(i, "call_indirect", &[Val::I32(1)]).unwrap()[0].i32(),
        Some(1)
    );
    for name in ["call_indirect", "return_call_indirect"] {
        expect_trap(i, name, &[Val::I32(4)], TableOutOfBounds);
        expect_trap(i, name, &[Val::I32(-1)], TableOutOfBounds);
        expect_trap(i, name, &[Val::I32(2)], IndirectCallToNull);
        expect_trap(i, name, &[Val::I32(0)], BadSignature);
    }
    expect_trap(i, "table.get", &[Val::I32(4)], TableOutOfBounds);
    expect_trap(i, "table.set", &[Val::I32(2)], TableOutOfBounds);
    expect_trap(
        i,
        "table.fill",
        &[Val::I32(3), Val::I32(2)],
        TableOutOfBounds,
    );
    let copy = [Val::I32(0), Val::I32(3), Val::I32(2)];
    expect_trap(i, "table.copy", &copy, TableOutOfBounds);
    let init = [Val::I32(3), Val::I32(0), Val::I32(2)];
    expect_trap(i, "table.init", &init, TableOutOfBounds);
    // Failing to grow is a result, not a trap.
    let grow = [Val::I32(i32::MAX)];
    assert_eq!(call(i, "table.grow", &grow).unwrap()[0].i32(), Some(-1));
}

fn stack_overflow_traps(i: &Instance) {
    for _ in 0..3 {
        expect_trap(i, "recurse", &[Val::I64(0)], TrapKind::StackOverflow);
    }
    let wide: Vec<Val> = (0..16).map(|n| f64v(f64::from(n))).collect();
    expect_trap(i, "recurse_wide", &wide, TrapKind::StackOverflow);
}

/// A trap raised without signals keeps the wasm frames for backtraces.
fn backtraces_are_recorded(i: &Instance) {
    let trap = expect_trap(i, "deep", &[Val::I32(3)], TrapKind::UnreachableCodeReached);
    let funcs: Vec<u32> = trap.trace().iter().map(|f| f.func_index).collect();
    // $deep is function 3 and the export calling it function 4.
    assert_eq!(funcs, [3, 3, 3, 3, 4], "{:?}", trap.trace());
}

fn host_traps() {
    let engine = engine(|_| {});
    let store = Store::new(&engine);
    let raised = Trap::new("the host says no");
    let failing = {
        let raised = raised.clone();
        Func::new(
            &store,
            FuncType::new([ValType::I32], [ValType::I32]),
            Box::new(move |params, results| {
                if params[0].i32() == Some(0) {
                    return Err(raised.clone());
                }
                if params[0].i32() == Some(1) {
                    panic!("a panicking host function");
                }
                results[0] = Val::I32(40);
                Ok(())
            }),
        )
    };
    let i = instantiate(
        &store,
        r#"(module
            (import "" "h" (func $h (param i32) (result i32)))
            (func (export "call_host") (param i32) (result i32)
                local.get 0 call $h i32.const 2 i32.add))"#,
        &[failing.into()],
    );
    assert_eq!(
        call(&i, "call_host", &[Val::I32(5)]).unwrap()[0].i32(),
        Some(42)
    );
    let trap = call(&i, "call_host", &[Val::I32(0)]).unwrap_err();
    assert!(
        trap.same(&raised),
        "the host's own trap comes back: {trap:?}"
    );
    let trap = call(&i, "call_host", &[Val::I32(1)]).unwrap_err();
    assert!(
        trap.message().contains("a panicking host function"),
        "{trap:?}"
    );
    assert_eq!(
        call(&i, "call_host", &[Val::I32(5)]).unwrap()[0].i32(),
        Some(42)
    );
}

/// A trap in wasm called by a host function called by wasm comes back to
/// that host function; the outer call then goes on.
fn nested_activations() {
    let engine = engine(|_| {});
    let store = Store::new(&engine);
    let inner: Rc<Cell<Option<Func>>> = Rc::new(Cell::new(None));
    let reenter = {
        let inner = inner.clone();
        Func::new(
            &store,
            FuncType::new([], [ValType::I32]),
            Box::new(move |_, results| {
                let f = inner.take().expect("inner function set");
                let trap = f.call(&[], &mut []).unwrap_err();
                inner.set(Some(f));
                assert_eq!(trap.kind(), Some(TrapKind::UnreachableCodeReached));
                results[0] = Val::I32(9);
                Ok(())
            }),
        )
    };
    let i = instantiate(
        &store,
        r#"(module
            (import "" "h" (func $h (result i32)))
            (func (export "trap") unreachable)
            (func (export "outer") (result i32) call $h i32.const 1 i32.add))"#,
        &[reenter.into()],
    );
    inner.set(Some(func(&i, "trap")));
    assert_eq!(call(&i, "outer", &[]).unwrap()[0].i32(), Some(10));
}

const SPIN: &str = r#"(module
    (import "" "tick" (func $tick))
    (func (export "spin") (loop call $tick br 0)))"#;

fn fuel_and_epoch_traps() {
    let engine = engine(|c| {
        c.set_consume_fuel(true);
    });
    let store = Store::new(&engine);
    let tick = Func::new(&store, FuncType::new([], []), Box::new(|_, _| Ok(())));
    let i = instantiate(&store, SPIN, &[tick.into()]);
    store.set_fuel(10_000).unwrap();
    expect_trap(&i, "spin", &[], TrapKind::OutOfFuel);
    assert_eq!(store.get_fuel().unwrap(), 0);

    let engine = engine_with_epochs();
    let store = Store::new(&engine);
    let ticks = Rc::new(Cell::new(0));
    let tick = {
        let (engine, ticks) = (engine.clone(), ticks.clone());
        Func::new(
            &store,
            FuncType::new([], []),
            Box::new(move |_, _| {
                ticks.set(ticks.get() + 1);
                engine.increment_epoch();
                Ok(())
            }),
        )
    };
    let i = instantiate(&store, SPIN, &[tick.into()]);
    store.set_epoch_deadline(3);
    expect_trap(&i, "spin", &[], TrapKind::Interrupt);
    assert_eq!(ticks.get(), 3);
}

fn engine_with_epochs() -> Engine {
    engine(|c| {
        c.set_epoch_interruption(true);
    })
}

#[test]
fn every_trap_kind_comes_back_without_signals() {
    install_embedder_handlers();
    let engine = engine(|_| {});
    let store = Store::new(&engine);
    let i = instantiate(&store, TRAPS, &[]);

    expect_trap(&i, "unreachable", &[], TrapKind::UnreachableCodeReached);
    memory_and_integer_traps(&i);
    conversion_traps(&i);
    table_and_call_traps(&i);
    stack_overflow_traps(&i);
    backtraces_are_recorded(&i);
    host_traps();
    nested_activations();
    fuel_and_epoch_traps();

    // The store still works after all of that.
    assert_eq!(
        call(&i, "i32.div_s", &[Val::I32(42), Val::I32(2)]).unwrap()[0].i32(),
        Some(21)
    );
    assert_embedder_handlers_installed();
}
