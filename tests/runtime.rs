//! The runtime running real modules: calls, memories, tables, globals,
//! imports and exports, host functions, traps, stack overflow, threads.

use std::cell::Cell;
use std::rc::Rc;
use wasm_runtime::config::Config;
use wasm_runtime::engine::Engine;
use wasm_runtime::environ::error::{ErrorKind, ImportName};
use wasm_runtime::module::{FuncType, GlobalType, MemoryType, Module, TableType, ValType};
use wasm_runtime::runtime::{
    Extern, ExternRef, Func, Global, Instance, Memory, Store, Table, Trap, TrapKind, Val,
};

fn impl_limit(limit: &str) -> ErrorKind {
    ErrorKind::ImplLimit {
        limit: limit.to_string(),
    }
}

fn module(engine: &Engine, wat: &str) -> Module {
    let wasm = wat::parse_str(wat).expect("valid wat");
    Module::new(engine, &wasm).expect("module compiles")
}

fn instantiate(store: &Store, wat: &str, imports: &[Extern]) -> Instance {
    let m = module(store.engine(), wat);
    match Instance::new(store, &m, imports) {
        Ok(i) => i,
        Err(e) => panic!("instantiation failed: {e}"),
    }
}

fn func(instance: &Instance, name: &str) -> Func {
    instance
        .get_export(name)
        .and_then(Extern::into_func)
        .unwrap_or_else(|| panic!("no function export {name}"))
}

fn call1(f: &Func, params: &[Val]) -> Result<Val, Trap> {
    let mut results = [Val::I32(0)];
    f.call(params, &mut results)?;
    Ok(results[0].clone())
}

fn trap_of(r: Result<Val, Trap>) -> Trap {
    match r {
        Ok(v) => panic!("expected a trap, got {v:?}"),
        Err(t) => t,
    }
}

#[test]
fn arithmetic_and_multi_value() {
    let store = Store::new(&Engine::default());
    let i = instantiate(
        &store,
        r#"(module
            (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
            (func (export "swap") (param i64 f64) (result f64 i64) local.get 1 local.get 0)
            (func (export "div") (param i32 i32) (result i32) local.get 0 local.get 1 i32.div_s))"#,
        &[],
    );
    assert_eq!(
        call1(&func(&i, "add"), &[Val::I32(2), Val::I32(40)])
            .unwrap()
            .i32(),
        Some(42)
    );
    let mut out = [Val::I32(0), Val::I32(0)];
    func(&i, "swap")
        .call(&[Val::I64(-7), Val::from(1.5f64)], &mut out)
        .unwrap();
    assert_eq!(out[0].f64(), Some(1.5));
    assert_eq!(out[1].i64(), Some(-7));

    let div = func(&i, "div");
    let t = trap_of(call1(&div, &[Val::I32(1), Val::I32(0)]));
    assert_eq!(t.kind(), Some(TrapKind::IntegerDivisionByZero));
    assert_eq!(t.message(), "integer divide by zero");
    let t = trap_of(call1(&div, &[Val::I32(i32::MIN), Val::I32(-1)]));
    assert_eq!(t.message(), "integer overflow");
    assert_eq!(
        call1(&div, &[Val::I32(9), Val::I32(3)]).unwrap().i32(),
        Some(3)
    );
}

#[test]
fn bad_calls_are_errors_not_crashes() {
    let store = Store::new(&Engine::default());
    let i = instantiate(
        &store,
        r#"(module (func (export "id") (param funcref) (result funcref) local.get 0))"#,
        &[],
    );
    let f = func(&i, "id");
    let mut r = [Val::FuncRef(None)];
    assert!(f
        .call(&[], &mut r)
        .unwrap_err()
        .message()
        .contains("arguments"));
    assert!(f
        .call(&[Val::I32(1)], &mut r)
        .unwrap_err()
        .message()
        .contains("argument 0"));
    assert!(f
        .call(&[Val::FuncRef(None)], &mut [])
        .unwrap_err()
        .message()
        .contains("results"));

    let other = Store::new(store.engine());
    let foreign = Func::new(&other, FuncType::new([], []), Box::new(|_, _| Ok(())));
    let err = f.call(&[Val::FuncRef(Some(foreign))], &mut r).unwrap_err();
    assert!(err.message().contains("another store"), "{}", err.message());

    // A funcref round-trips through wasm as the same function.
    f.call(&[Val::FuncRef(Some(f.clone()))], &mut r).unwrap();
    match &r[0] {
        Val::FuncRef(Some(g)) => assert!(g.same(&f)),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn memory_access_bounds_and_growth() {
    let store = Store::new(&Engine::default());
    let i = instantiate(
        &store,
        r#"(module
            (memory (export "mem") 1 3)
            (data (i32.const 8) "\2a")
            (func (export "load") (param i32) (result i32) local.get 0 i32.load8_u)
            (func (export "store") (param i32 i32) local.get 0 local.get 1 i32.store)
            (func (export "grow") (param i32) (result i32) local.get 0 memory.grow)
            (func (export "size") (result i32) memory.size))"#,
        &[],
    );
    let load = func(&i, "load");
    assert_eq!(call1(&load, &[Val::I32(8)]).unwrap().i32(), Some(42));
    let t = trap_of(call1(&load, &[Val::I32(65536)]));
    assert_eq!(t.kind(), Some(TrapKind::MemoryOutOfBounds));
    assert_eq!(t.message(), "out of bounds memory access");
    let t = trap_of(call1(&load, &[Val::I32(-1)]));
    assert_eq!(t.message(), "out of bounds memory access");

    let store_fn = func(&i, "store");
    let t = store_fn
        .call(&[Val::I32(65534), Val::I32(1)], &mut [])
        .unwrap_err();
    assert_eq!(t.message(), "out of bounds memory access");

    let grow = func(&i, "grow");
    assert_eq!(call1(&grow, &[Val::I32(1)]).unwrap().i32(), Some(1));
    assert_eq!(call1(&func(&i, "size"), &[]).unwrap().i32(), Some(2));
    assert_eq!(call1(&load, &[Val::I32(65536)]).unwrap().i32(), Some(0));
    assert_eq!(call1(&grow, &[Val::I32(2)]).unwrap().i32(), Some(-1));

    let mem = i.get_export("mem").and_then(Extern::into_memory).unwrap();
    assert_eq!(mem.size(), 2);
    assert_eq!(mem.data_size(), 2 * 65536);
    assert_eq!(mem.grow(1).unwrap(), 2);
    assert!(mem.grow(1).is_err());
    // SAFETY: the memory has 3 committed pages.
    unsafe { *mem.data_ptr().add(3 * 65536 - 1) = 7 };
    assert_eq!(
        call1(&load, &[Val::I32(3 * 65536 - 1)]).unwrap().i32(),
        Some(7)
    );
    let again = i.get_export("mem").and_then(Extern::into_memory).unwrap();
    assert!(again.same(&mem));
}

#[test]
fn dynamic_memories_bounds_check_and_move() {
    let mut config = Config::new();
    config.set_static_memory_maximum_size(0);
    config.set_dynamic_memory_reserved_for_growth(0);
    let store = Store::new(&Engine::new(&config).unwrap());
    let i = instantiate(
        &store,
        r#"(module
            (memory 1)
            (func (export "rw") (param i32) (result i32)
                local.get 0 i32.const 5 i32.store8
                local.get 0 i32.load8_u)
            (func (export "grow") (param i32) (result i32) local.get 0 memory.grow))"#,
        &[],
    );
    let rw = func(&i, "rw");
    assert_eq!(call1(&rw, &[Val::I32(100)]).unwrap().i32(), Some(5));
    assert_eq!(
        trap_of(call1(&rw, &[Val::I32(65536)])).message(),
        "out of bounds memory access"
    );
    assert_eq!(
        call1(&func(&i, "grow"), &[Val::I32(3)]).unwrap().i32(),
        Some(1)
    );
    assert_eq!(
        call1(&rw, &[Val::I32(4 * 65536 - 1)]).unwrap().i32(),
        Some(5)
    );
    assert_eq!(call1(&rw, &[Val::I32(100)]).unwrap().i32(), Some(5));
}

#[test]
fn tables_and_call_indirect_traps() {
    let store = Store::new(&Engine::default());
    let i = instantiate(
        &store,
        r#"(module
            (type $ii (func (param i32) (result i32)))
            (table (export "t") 4 funcref)
            (elem (i32.const 0) $double $nullary)
            (func $double (param i32) (result i32) local.get 0 i32.const 2 i32.mul)
            (func $nullary (result i32) i32.const 1)
            (func (export "call") (param i32 i32) (result i32)
                local.get 1 local.get 0 call_indirect (type $ii)))"#,
        &[],
    );
    let call = func(&i, "call");
    assert_eq!(
        call1(&call, &[Val::I32(0), Val::I32(21)]).unwrap().i32(),
        Some(42)
    );
    let t = trap_of(call1(&call, &[Val::I32(1), Val::I32(0)]));
    assert_eq!(t.message(), "indirect call type mismatch");
    let t = trap_of(call1(&call, &[Val::I32(2), Val::I32(0)]));
    assert_eq!(t.message(), "uninitialized element");
    // Past the table's end: the reference's table-out-of-bounds trap (the
    // spec's "undefined element").
    let t = trap_of(call1(&call, &[Val::I32(4), Val::I32(0)]));
    assert_eq!(t.message(), "out of bounds table access");

    // A host function placed in the table is called through call_indirect.
    let table = i.get_export("t").and_then(Extern::into_table).unwrap();
    assert_eq!(table.size(), 4);
    let host = Func::new(
        &store,
        FuncType::new([ValType::I32], [ValType::I32]),
        Box::new(|p, r| {
            r[0] = Val::I32(p[0].i32().unwrap() + 1000);
            Ok(())
        }),
    );
    table.set(2, Val::FuncRef(Some(host.clone()))).unwrap();
    assert_eq!(
        call1(&call, &[Val::I32(2), Val::I32(1)]).unwrap().i32(),
        Some(1001)
    );
    match table.get(2) {
        Some(Val::FuncRef(Some(f))) => assert!(f.same(&host)),
        other => panic!("unexpected {other:?}"),
    }
    assert!(table.get(4).is_none());
    assert!(table.set(4, Val::FuncRef(None)).is_err());
    assert!(table.set(0, Val::I32(0)).is_err());
    assert_eq!(table.grow(2, Val::FuncRef(None)).unwrap(), 4);
    let t = trap_of(call1(&call, &[Val::I32(5), Val::I32(0)]));
    assert_eq!(t.message(), "uninitialized element");
}

#[test]
fn globals_imported_exported_and_mutated() {
    let store = Store::new(&Engine::default());
    let g = Global::new(
        &store,
        GlobalType {
            content: ValType::I64,
            mutable: true,
        },
        Val::I64(5),
    )
    .unwrap();
    let i = instantiate(
        &store,
        r#"(module
            (import "env" "g" (global $g (mut i64)))
            (global $h (export "h") (mut i32) (i32.const 7))
            (global (export "c") f32 (f32.const 1.5))
            (export "g2" (global $g))
            (func (export "bump")
                global.get $g i64.const 1 i64.add global.set $g
                global.get $h i32.const 1 i32.add global.set $h))"#,
        &[Extern::Global(g.clone())],
    );
    func(&i, "bump").call(&[], &mut []).unwrap();
    assert_eq!(g.get().i64(), Some(6));
    let h = i.get_export("h").and_then(Extern::into_global).unwrap();
    assert_eq!(h.get().i32(), Some(8));
    h.set(Val::I32(100)).unwrap();
    func(&i, "bump").call(&[], &mut []).unwrap();
    assert_eq!(h.get().i32(), Some(101));
    assert!(h.set(Val::I64(1)).is_err());
    let c = i.get_export("c").and_then(Extern::into_global).unwrap();
    assert_eq!(c.get().f32(), Some(1.5));
    assert!(c.set(Val::from(2.0f32)).is_err());
    let g2 = i.get_export("g2").and_then(Extern::into_global).unwrap();
    assert!(g2.same(&g));
}

#[test]
fn imports_of_every_kind_and_link_errors() {
    let engine = Engine::default();
    let store = Store::new(&engine);
    let memory = Memory::new(&store, MemoryType::new(1, Some(2))).unwrap();
    let table = Table::new(
        &store,
        TableType {
            element: ValType::FUNCREF,
            minimum: 2,
            maximum: None,
            table64: false,
        },
        Val::FuncRef(None),
    )
    .unwrap();
    let global = Global::new(
        &store,
        GlobalType {
            content: ValType::I32,
            mutable: false,
        },
        Val::I32(3),
    )
    .unwrap();
    let hits = Rc::new(Cell::new(0));
    let hits2 = hits.clone();
    let host = Func::new(
        &store,
        FuncType::new([ValType::I32], []),
        Box::new(move |p, _| {
            hits2.set(hits2.get() + p[0].i32().unwrap());
            Ok(())
        }),
    );
    let wat = r#"(module
        (import "env" "f" (func $f (param i32)))
        (import "env" "m" (memory 1))
        (import "env" "t" (table 1 funcref))
        (import "env" "g" (global $g i32))
        (export "f" (func $f))
        (export "t" (table 0))
        (elem (i32.const 1) $f)
        (data (i32.const 0) "hi")
        (func (export "run") global.get $g call $f))"#;
    let i = instantiate(
        &store,
        wat,
        &[
            host.clone().into(),
            memory.clone().into(),
            table.clone().into(),
            global.clone().into(),
        ],
    );
    func(&i, "run").call(&[], &mut []).unwrap();
    assert_eq!(hits.get(), 3);
    assert!(func(&i, "f").same(&host));
    // SAFETY: the memory has a committed page.
    assert_eq!(
        unsafe { std::slice::from_raw_parts(memory.data_ptr(), 2) },
        b"hi"
    );
    match table.get(1) {
        Some(Val::FuncRef(Some(f))) => assert!(f.same(&host)),
        other => panic!("unexpected {other:?}"),
    }

    let m = module(&engine, wat);
    // The import at fault and why, from the `Link` error.
    let err = |imports: &[Extern]| match Instance::new(&store, &m, imports) {
        Err(e) => match e.kind() {
            ErrorKind::Link { import, reason } => (import.clone(), reason.clone()),
            other => panic!("expected a link error, got {other:?}: {e}"),
        },
        Ok(_) => panic!("linking should fail"),
    };
    let env = |name: &str| Some(ImportName::new("env", name));
    assert_eq!(
        err(&[host.clone().into()]),
        (None, "the module needs 4 imports, 1 were provided".into())
    );
    assert_eq!(
        err(&[
            memory.clone().into(),
            memory.clone().into(),
            table.clone().into(),
            global.clone().into(),
        ]),
        (
            env("f"),
            "incompatible import type: expected a function, found a memory".into()
        )
    );
    let wrong = Func::new(&store, FuncType::new([], []), Box::new(|_, _| Ok(())));
    let (import, reason) = err(&[
        wrong.into(),
        memory.clone().into(),
        table.clone().into(),
        global.clone().into(),
    ]);
    assert_eq!(import, env("f"));
    assert!(reason.contains("(param i32)"), "{reason}");
    let other = Store::new(&engine);
    let foreign = Global::new(
        &other,
        GlobalType {
            content: ValType::I32,
            mutable: false,
        },
        Val::I32(0),
    )
    .unwrap();
    // Mismatched types are named in the text format.
    let mutable = Global::new(
        &store,
        GlobalType {
            content: ValType::I32,
            mutable: true,
        },
        Val::I32(0),
    )
    .unwrap();
    let shared = Memory::new(
        &store,
        MemoryType {
            shared: true,
            ..MemoryType::new(1, Some(2))
        },
    )
    .unwrap();
    let externs = Table::new(
        &store,
        TableType {
            element: ValType::EXTERNREF,
            minimum: 1,
            maximum: None,
            table64: false,
        },
        Val::ExternRef(None),
    )
    .unwrap();
    for (imports, at, reason) in [
        (
            [
                host.clone().into(),
                memory.clone().into(),
                table.clone().into(),
                mutable.into(),
            ],
            "g",
            "expected (global i32), found (global (mut i32))",
        ),
        (
            [
                host.clone().into(),
                shared.into(),
                table.clone().into(),
                global.clone().into(),
            ],
            "m",
            "expected (memory 1), found (memory 1 2 shared)",
        ),
        (
            [
                host.clone().into(),
                memory.clone().into(),
                externs.into(),
                global.clone().into(),
            ],
            "t",
            "expected (table 1 funcref), found (table 1 externref)",
        ),
    ] {
        let (import, text) = err(&imports);
        assert_eq!(import, env(at));
        assert_eq!(text, format!("incompatible import type: {reason}"));
    }
    assert_eq!(
        err(&[host.into(), memory.into(), table.into(), foreign.into()]),
        (env("g"), "the global belongs to a different store".into())
    );
}

#[test]
fn host_functions_results_traps_and_reentry() {
    let store = Store::new(&Engine::default());
    let pair = Func::new(
        &store,
        FuncType::new([ValType::I32], [ValType::I32, ValType::I64, ValType::F64]),
        Box::new(|p, r| {
            let x = p[0].i32().unwrap();
            r[0] = Val::I32(x + 1);
            r[1] = Val::I64(i64::from(x) * 1_000_000_000_000);
            r[2] = Val::from(f64::from(x) / 2.0);
            Ok(())
        }),
    );
    let host_trap = Trap::new("host says no");
    let expected = host_trap.clone();
    let fail = Func::new(
        &store,
        FuncType::new([], []),
        Box::new(move |_, _| Err(host_trap.clone())),
    );
    let i = instantiate(
        &store,
        r#"(module
            (import "" "pair" (func $pair (param i32) (result i32 i64 f64)))
            (import "" "fail" (func $fail))
            (func (export "sum") (param i32) (result f64)
                (local i32 i64 f64)
                local.get 0 call $pair
                local.set 3 local.set 2 local.set 1
                local.get 1 f64.convert_i32_s
                local.get 2 f64.convert_i64_s f64.add
                local.get 3 f64.add)
            (func (export "fail") call $fail unreachable))"#,
        &[pair.into(), fail.into()],
    );
    let r = call1(&func(&i, "sum"), &[Val::I32(4)]).unwrap();
    assert_eq!(r.f64(), Some(5.0 + 4e12 + 2.0));
    let t = func(&i, "fail").call(&[], &mut []).unwrap_err();
    assert!(
        t.same(&expected),
        "the host's trap object arrives unchanged"
    );
    assert_eq!(t.message(), "host says no");
    assert_eq!(t.kind(), None);

    // A host function calling back into wasm, several levels deep.
    let callback_store = store.clone();
    let slot: Rc<std::cell::RefCell<Option<Func>>> = Rc::default();
    let slot2 = slot.clone();
    let reenter = Func::new(
        &callback_store,
        FuncType::new([ValType::I32], [ValType::I32]),
        Box::new(move |p, r| {
            let n = p[0].i32().unwrap();
            if n == 0 {
                r[0] = Val::I32(0);
                return Ok(());
            }
            let f = slot2.borrow().clone().unwrap();
            let mut out = [Val::I32(0)];
            f.call(&[Val::I32(n - 1)], &mut out)?;
            r[0] = Val::I32(out[0].i32().unwrap() + 1);
            Ok(())
        }),
    );
    let j = instantiate(
        &store,
        r#"(module
            (import "" "h" (func $h (param i32) (result i32)))
            (func (export "w") (param i32) (result i32)
                local.get 0 i32.const 1000 i32.eq
                if unreachable end
                local.get 0 call $h))"#,
        &[reenter.into()],
    );
    *slot.borrow_mut() = Some(func(&j, "w"));
    assert_eq!(
        call1(&func(&j, "w"), &[Val::I32(50)]).unwrap().i32(),
        Some(50)
    );
    // A trap deep inside nested activations surfaces at the outermost call.
    let t = trap_of(call1(&func(&j, "w"), &[Val::I32(1010)]));
    assert_eq!(t.message(), "unreachable");
    // Unbounded recursion through host functions is a trap, not a crash.
    let t = trap_of(call1(&func(&j, "w"), &[Val::I32(-1)]));
    assert_eq!(t.message(), "call stack exhausted");
    assert_eq!(
        call1(&func(&j, "w"), &[Val::I32(3)]).unwrap().i32(),
        Some(3)
    );
}

#[test]
fn host_function_returning_wrong_type_traps() {
    let store = Store::new(&Engine::default());
    let bad = Func::new(
        &store,
        FuncType::new([], [ValType::I32]),
        Box::new(|_, r| {
            r[0] = Val::I64(1);
            Ok(())
        }),
    );
    let i = instantiate(
        &store,
        r#"(module (import "" "f" (func $f (result i32))) (func (export "g") (result i32) call $f))"#,
        &[bad.into()],
    );
    let t = trap_of(call1(&func(&i, "g"), &[]));
    assert!(t.message().contains("result 0"), "{}", t.message());
}

#[test]
fn start_function_and_segment_traps_at_instantiation() {
    let store = Store::new(&Engine::default());
    let m = module(
        store.engine(),
        r#"(module (func $s unreachable) (start $s))"#,
    );
    match Instance::new(&store, &m, &[]) {
        Err(e) => {
            assert_eq!(e.kind(), &ErrorKind::Trap);
            assert_eq!(e.as_trap().unwrap().message(), "unreachable")
        }
        Ok(_) => panic!("start should trap"),
    }

    let memory = Memory::new(&store, MemoryType::new(1, None)).unwrap();
    let m = module(
        store.engine(),
        r#"(module
            (import "" "m" (memory 1))
            (data (i32.const 0) "ok")
            (data (i32.const 65535) "xx"))"#,
    );
    match Instance::new(&store, &m, &[memory.clone().into()]) {
        Err(e) => assert_eq!(
            e.as_trap().map(Trap::kind),
            Some(Some(TrapKind::MemoryOutOfBounds)),
            "{e}"
        ),
        Ok(_) => panic!("segment should trap"),
    }
    // SAFETY: the memory has a committed page.
    assert_eq!(
        unsafe { std::slice::from_raw_parts(memory.data_ptr(), 2) },
        b"ok"
    );

    let m = module(
        store.engine(),
        r#"(module (table 1 funcref) (func $f) (elem (i32.const 1) $f $f))"#,
    );
    match Instance::new(&store, &m, &[]) {
        Err(e) => assert_eq!(
            e.as_trap().map(Trap::kind),
            Some(Some(TrapKind::TableOutOfBounds)),
            "{e}"
        ),
        Ok(_) => panic!("segment should trap"),
    }
}

const RECURSE: &str = r#"(module
    (func $r (export "recurse") (param i32) (result i32)
        local.get 0 i32.const 1 i32.add call $r)
    (func (export "tail") (param i64) (result i64)
        local.get 0 i64.eqz
        if (result i64) i64.const 7
        else local.get 0 i64.const 1 i64.sub return_call 1 end))"#;

#[test]
fn infinite_recursion_traps_and_the_store_stays_usable() {
    let store = Store::new(&Engine::default());
    let i = instantiate(&store, RECURSE, &[]);
    let r = func(&i, "recurse");
    for _ in 0..3 {
        let t = trap_of(call1(&r, &[Val::I32(0)]));
        assert_eq!(t.kind(), Some(TrapKind::StackOverflow));
        assert_eq!(t.message(), "call stack exhausted");
    }
    let mut out = [Val::I64(0)];
    func(&i, "tail").call(&[Val::I64(3)], &mut out).unwrap();
    assert_eq!(out[0].i64(), Some(7));
}

#[test]
fn a_million_tail_calls() {
    let store = Store::new(&Engine::default());
    let i = instantiate(&store, RECURSE, &[]);
    let mut out = [Val::I64(0)];
    func(&i, "tail")
        .call(&[Val::I64(1_000_000)], &mut out)
        .unwrap();
    assert_eq!(out[0].i64(), Some(7));
}

#[test]
fn traps_on_several_threads_at_once() {
    let engine = Engine::default();
    let m = module(
        &engine,
        r#"(module
            (memory 1)
            (func $r (param i32) (result i32) local.get 0 call $r)
            (func (export "oob") (param i32) (result i32) local.get 0 i32.load)
            (func (export "rec") (result i32) i32.const 0 call $r)
            (func (export "ok") (param i32) (result i32) local.get 0 i32.const 1 i32.add))"#,
    );
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let (engine, m) = (engine.clone(), m.clone());
            std::thread::spawn(move || {
                let store = Store::new(&engine);
                let i = Instance::new(&store, &m, &[]).unwrap();
                for n in 0..50 {
                    let t1 = trap_of(call1(&func(&i, "oob"), &[Val::I32(-4)]));
                    assert_eq!(t1.message(), "out of bounds memory access");
                    if n % 10 == 0 {
                        let t2 = trap_of(call1(&func(&i, "rec"), &[]));
                        assert_eq!(t2.message(), "call stack exhausted");
                    }
                    let v = call1(&func(&i, "ok"), &[Val::I32(t * 100 + n)]).unwrap();
                    assert_eq!(v.i32(), Some(t * 100 + n + 1));
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

#[test]
fn externrefs_round_trip_through_wasm() {
    let store = Store::new(&Engine::default());
    let i = instantiate(
        &store,
        r#"(module
            (table $t (export "t") 2 externref)
            (func (export "put") (param externref) i32.const 1 local.get 0 table.set $t)
            (func (export "get") (result externref) i32.const 1 table.get $t))"#,
        &[],
    );
    let r = ExternRef::new(&store, Box::new(String::from("payload")));
    func(&i, "put")
        .call(&[Val::ExternRef(Some(r.clone()))], &mut [])
        .unwrap();
    let mut out = [Val::ExternRef(None)];
    func(&i, "get").call(&[], &mut out).unwrap();
    match &out[0] {
        Val::ExternRef(Some(e)) => {
            assert!(e.same(&r));
            assert_eq!(e.data().downcast_ref::<String>().unwrap(), "payload");
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn bulk_memory_and_table_builtins() {
    let store = Store::new(&Engine::default());
    let i = instantiate(
        &store,
        r#"(module
            (memory 1)
            (table 4 funcref)
            (data $d "abcd")
            (elem $e func $f $f)
            (func $f)
            (func (export "init") (param i32 i32 i32) local.get 0 local.get 1 local.get 2 memory.init $d)
            (func (export "drop") data.drop $d)
            (func (export "fill") (param i32 i32 i32) local.get 0 local.get 1 local.get 2 memory.fill)
            (func (export "copy") (param i32 i32 i32) local.get 0 local.get 1 local.get 2 memory.copy)
            (func (export "load") (param i32) (result i32) local.get 0 i32.load8_u)
            (func (export "tinit") (param i32 i32 i32) local.get 0 local.get 1 local.get 2 table.init $e)
            (func (export "tgrow") (param i32) (result i32) ref.null func local.get 0 table.grow 0))"#,
        &[],
    );
    let call3 = |name: &str, a: i32, b: i32, c: i32| {
        func(&i, name).call(&[Val::I32(a), Val::I32(b), Val::I32(c)], &mut [])
    };
    call3("init", 10, 1, 3).unwrap();
    assert_eq!(
        call1(&func(&i, "load"), &[Val::I32(11)]).unwrap().i32(),
        Some(b'c' as i32)
    );
    assert_eq!(
        call3("init", 10, 2, 3).unwrap_err().message(),
        "out of bounds memory access"
    );
    func(&i, "drop").call(&[], &mut []).unwrap();
    assert_eq!(
        call3("init", 0, 0, 1).unwrap_err().message(),
        "out of bounds memory access"
    );
    call3("init", 0, 0, 0).unwrap();
    call3("fill", 100, 9, 5).unwrap();
    assert_eq!(
        call1(&func(&i, "load"), &[Val::I32(104)]).unwrap().i32(),
        Some(9)
    );
    assert_eq!(
        call3("fill", 65535, 9, 2).unwrap_err().message(),
        "out of bounds memory access"
    );
    call3("copy", 101, 100, 5).unwrap();
    assert_eq!(
        call1(&func(&i, "load"), &[Val::I32(105)]).unwrap().i32(),
        Some(9)
    );
    assert_eq!(
        call3("copy", 0, 65535, 2).unwrap_err().message(),
        "out of bounds memory access"
    );
    call3("tinit", 2, 0, 2).unwrap();
    assert_eq!(
        call3("tinit", 3, 0, 2).unwrap_err().message(),
        "out of bounds table access"
    );
    assert_eq!(
        call1(&func(&i, "tgrow"), &[Val::I32(3)]).unwrap().i32(),
        Some(4)
    );
    assert_eq!(
        call1(&func(&i, "tgrow"), &[Val::I32(-1)]).unwrap().i32(),
        Some(-1)
    );
}

/// A named way to configure an engine.
type Layout = (&'static str, fn(&mut Config));

#[test]
fn out_of_bounds_traps_under_every_memory_layout() {
    let layouts: [Layout; 5] = [
        ("no signals", |c| {
            c.set_signals_based_traps(false);
        }),
        ("small guard", |c| {
            c.set_memory_guard_size(65536);
        }),
        ("no guards", |c| {
            c.set_memory_guard_size(0);
            c.set_guard_before_linear_memory(false);
        }),
        ("small static", |c| {
            c.set_static_memory_maximum_size(1 << 20);
            c.set_static_memory_forced(true);
        }),
        ("dynamic with reserve", |c| {
            c.set_static_memory_maximum_size(0);
            c.set_dynamic_memory_reserved_for_growth(1 << 20);
        }),
    ];
    for (name, configure) in layouts {
        let mut config = Config::new();
        configure(&mut config);
        let store = Store::new(&Engine::new(&config).unwrap());
        let i = instantiate(
            &store,
            r#"(module
                (memory 1 4)
                (func (export "load") (param i32) (result i64) local.get 0 i64.load offset=8)
                (func (export "grow") (param i32) (result i32) local.get 0 memory.grow)
                (func (export "div") (param i32) (result i32) i32.const 1 local.get 0 i32.div_u))"#,
            &[],
        );
        let load = func(&i, "load");
        assert_eq!(
            call1(&load, &[Val::I32(65536 - 16)]).unwrap().i64(),
            Some(0),
            "{name}"
        );
        for addr in [65536 - 15, 65536, -8, i32::MAX] {
            let t = trap_of(call1(&load, &[Val::I32(addr)]));
            assert_eq!(
                t.message(),
                "out of bounds memory access",
                "{name} at {addr}"
            );
        }
        assert_eq!(
            call1(&func(&i, "grow"), &[Val::I32(3)]).unwrap().i32(),
            Some(1),
            "{name}"
        );
        assert_eq!(
            call1(&load, &[Val::I32(4 * 65536 - 16)]).unwrap().i64(),
            Some(0),
            "{name}"
        );
        let t = trap_of(call1(&load, &[Val::I32(4 * 65536 - 15)]));
        assert_eq!(t.message(), "out of bounds memory access", "{name}");
        let t = trap_of(call1(&func(&i, "div"), &[Val::I32(0)]));
        assert_eq!(t.message(), "integer divide by zero", "{name}");
    }
}

#[test]
fn small_max_wasm_stack_still_traps_cleanly() {
    let mut config = Config::new();
    config.set_max_wasm_stack(16 * 1024);
    let store = Store::new(&Engine::new(&config).unwrap());
    let i = instantiate(&store, RECURSE, &[]);
    let t = trap_of(call1(&func(&i, "recurse"), &[Val::I32(0)]));
    assert_eq!(t.message(), "call stack exhausted");
    let mut out = [Val::I64(0)];
    func(&i, "tail").call(&[Val::I64(100)], &mut out).unwrap();
    assert_eq!(out[0].i64(), Some(7));
}

#[test]
fn traps_carry_a_backtrace_of_wasm_frames() {
    let store = Store::new(&Engine::default());
    let i = instantiate(
        &store,
        r#"(module
            (func $inner (param i32) (result i32) local.get 0 i32.const 0 i32.div_s)
            (func $middle (param i32) (result i32) local.get 0 call $inner i32.const 1 i32.add)
            (func (export "outer") (param i32) (result i32) local.get 0 call $middle i32.const 2 i32.add))"#,
        &[],
    );
    let t = trap_of(call1(&func(&i, "outer"), &[Val::I32(1)]));
    assert_eq!(t.message(), "integer divide by zero");
    let frames: Vec<u32> = t.trace().iter().map(|f| f.func_index).collect();
    assert_eq!(frames, [0, 1, 2], "innermost first");
    for frame in t.trace() {
        assert!(frame.instance.as_ref().is_some_and(|x| x.same(&i)));
        assert!(frame.module_offset > 0);
    }
}

#[test]
fn wasm_backtrace_off_leaves_traps_without_frames() {
    let mut config = Config::new();
    config.set_wasm_backtrace(false);
    let store = Store::new(&Engine::new(&config).unwrap());
    let i = instantiate(
        &store,
        r#"(module (func (export "boom") (result i32) unreachable))"#,
        &[],
    );
    let t = trap_of(call1(&func(&i, "boom"), &[]));
    assert_eq!(t.message(), "unreachable");
    assert!(t.trace().is_empty(), "{:?}", t.trace());
}

#[test]
fn objects_outlive_the_store_handle() {
    let engine = Engine::default();
    let (f, mem) = {
        let store = Store::new(&engine);
        let i = instantiate(
            &store,
            r#"(module (memory (export "m") 1) (func (export "f") (result i32) i32.const 9 i32.const 0 i32.load drop))"#,
            &[],
        );
        (
            func(&i, "f"),
            i.get_export("m").and_then(Extern::into_memory).unwrap(),
        )
    };
    assert_eq!(call1(&f, &[]).unwrap().i32(), Some(9));
    assert_eq!(mem.size(), 1);
}

#[test]
fn host_function_panics_become_traps() {
    let store = Store::new(&Engine::default());
    let boom = Func::new(
        &store,
        FuncType::new([], []),
        Box::new(|_, _| panic!("boom")),
    );
    let i = instantiate(
        &store,
        r#"(module (import "" "f" (func $f)) (func (export "g") call $f))"#,
        &[boom.into()],
    );
    let t = func(&i, "g").call(&[], &mut []).unwrap_err();
    assert!(t.message().contains("boom"), "{}", t.message());
    // The store still works afterwards.
    let t = func(&i, "g").call(&[], &mut []).unwrap_err();
    assert!(t.message().contains("panicked"));
}

/// A memory creator backed by a heap buffer, counting its memories.
struct VecMemories(std::sync::atomic::AtomicUsize);

struct VecMemory(Vec<u8>);

impl wasm_runtime::config::LinearMemory for VecMemory {
    fn byte_size(&self) -> usize {
        self.0.len()
    }
    fn byte_capacity(&self) -> usize {
        self.0.capacity()
    }
    fn grow_to(&mut self, new_size: usize) -> anyhow::Result<()> {
        self.0.resize(new_size, 0);
        Ok(())
    }
    fn as_ptr(&self) -> *mut u8 {
        self.0.as_ptr().cast_mut()
    }
}

impl wasm_runtime::config::MemoryCreator for VecMemories {
    fn new_memory(
        &self,
        minimum: usize,
        _maximum: Option<usize>,
        reserved: Option<usize>,
        _guard: usize,
    ) -> anyhow::Result<Box<dyn wasm_runtime::config::LinearMemory>> {
        anyhow::ensure!(reserved.is_none(), "only dynamic memories");
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Ok(Box::new(VecMemory(vec![0; minimum])))
    }
}

#[test]
fn memories_come_from_the_embedders_creator() {
    let creator = std::sync::Arc::new(VecMemories(Default::default()));
    let mut config = Config::new();
    config.set_static_memory_maximum_size(0);
    config.set_with_host_memory(Some(creator.clone()));
    let store = Store::new(&Engine::new(&config).unwrap());
    let i = instantiate(
        &store,
        r#"(module
            (memory (export "m") 1)
            (func (export "rw") (param i32 i32) (result i32)
                local.get 0 local.get 1 i32.store8
                local.get 0 i32.load8_u)
            (func (export "grow") (param i32) (result i32) local.get 0 memory.grow))"#,
        &[],
    );
    assert_eq!(creator.0.load(std::sync::atomic::Ordering::SeqCst), 1);
    let rw = func(&i, "rw");
    assert_eq!(
        call1(&rw, &[Val::I32(10), Val::I32(3)]).unwrap().i32(),
        Some(3)
    );
    let t = trap_of(call1(&rw, &[Val::I32(65536), Val::I32(3)]));
    assert_eq!(t.message(), "out of bounds memory access");
    assert_eq!(
        call1(&func(&i, "grow"), &[Val::I32(2)]).unwrap().i32(),
        Some(1)
    );
    assert_eq!(
        call1(&rw, &[Val::I32(3 * 65536 - 1), Val::I32(4)])
            .unwrap()
            .i32(),
        Some(4)
    );
    assert_eq!(
        call1(&rw, &[Val::I32(10), Val::I32(3)]).unwrap().i32(),
        Some(3)
    );
    let m = i.get_export("m").and_then(Extern::into_memory).unwrap();
    assert_eq!(m.data_size(), 3 * 65536);

    // A creator that refuses is a link error naming the option.
    let mut static_config = Config::new();
    static_config.set_with_host_memory(Some(creator));
    let store = Store::new(&Engine::new(&static_config).unwrap());
    let m = module(store.engine(), "(module (memory 1))");
    match Instance::new(&store, &m, &[]) {
        // The creator's failure has no kind of its own; the text names the
        // option whose callback failed.
        Err(e) => {
            assert_eq!(e.kind(), &ErrorKind::Other, "{e:#}");
            assert!(format!("{e:#}").contains("with_host_memory"), "{e:#}")
        }
        _ => panic!("the creator refuses static memories"),
    }
}

const SPIN: &str = r#"(module
    (func (export "spin") (loop br 0))
    (func (export "count") (param i32) (result i32)
        (loop
            local.get 0 i32.const 1 i32.sub local.tee 0
            br_if 0)
        local.get 0))"#;

#[test]
fn fuel_runs_out_and_can_be_refilled() {
    let mut config = Config::new();
    config.set_consume_fuel(true);
    let store = Store::new(&Engine::new(&config).unwrap());
    let i = instantiate(&store, SPIN, &[]);
    assert_eq!(store.get_fuel().unwrap(), 0);
    let t = trap_of(call1(&func(&i, "count"), &[Val::I32(10)]));
    assert_eq!(t.kind(), Some(TrapKind::OutOfFuel));
    store.set_fuel(1_000_000).unwrap();
    assert_eq!(
        call1(&func(&i, "count"), &[Val::I32(100)]).unwrap().i32(),
        Some(0)
    );
    let left = store.get_fuel().unwrap();
    assert!(left < 1_000_000 - 100 && left > 0, "{left}");
    let t = func(&i, "spin").call(&[], &mut []).unwrap_err();
    assert_eq!(t.message(), "all fuel consumed by WebAssembly");
    assert_eq!(store.get_fuel().unwrap(), 0);

    let plain = Store::new(&Engine::default());
    assert!(plain.set_fuel(1).is_err());
}

#[test]
fn epoch_deadlines_interrupt_running_wasm() {
    let mut config = Config::new();
    config.set_epoch_interruption(true);
    let engine = Engine::new(&config).unwrap();
    let store = Store::new(&engine);
    let i = instantiate(&store, SPIN, &[]);
    store.set_epoch_deadline(1);
    let ticker = {
        let engine = engine.clone();
        std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(50));
            engine.increment_epoch();
        })
    };
    let t = func(&i, "spin").call(&[], &mut []).unwrap_err();
    assert_eq!(t.kind(), Some(TrapKind::Interrupt));
    ticker.join().unwrap();
    store.set_epoch_deadline(10);
    assert_eq!(
        call1(&func(&i, "count"), &[Val::I32(5)]).unwrap().i32(),
        Some(0)
    );
}

#[test]
fn host_created_objects_check_their_inputs() {
    let store = Store::new(&Engine::default());
    let other = Store::new(store.engine());

    // Memories.
    assert!(Memory::new(&store, MemoryType::new(2, Some(1))).is_err());
    let m = Memory::new(&store, MemoryType::new(0, Some(2))).unwrap();
    assert_eq!((m.size(), m.data_size()), (0, 0));
    assert_eq!(m.grow(2).unwrap(), 0);
    assert!(m.grow(1).is_err());
    assert_eq!(m.ty().minimum, 2);
    assert_eq!(m.ty().maximum, Some(2));

    // Tables.
    let ty = TableType {
        element: ValType::EXTERNREF,
        minimum: 1,
        maximum: Some(3),
        table64: false,
    };
    let payload = ExternRef::new(&store, Box::new(5u32));
    let t = Table::new(&store, ty, Val::ExternRef(Some(payload.clone()))).unwrap();
    match t.get(0) {
        Some(Val::ExternRef(Some(e))) => assert!(e.same(&payload)),
        other => panic!("unexpected {other:?}"),
    }
    assert!(Table::new(&store, ty, Val::FuncRef(None)).is_err());
    let foreign = ExternRef::new(&other, Box::new(()));
    assert!(Table::new(&store, ty, Val::ExternRef(Some(foreign.clone()))).is_err());
    assert!(t.set(0, Val::ExternRef(Some(foreign.clone()))).is_err());
    assert!(t.grow(1, Val::ExternRef(Some(foreign))).is_err());
    assert_eq!(t.grow(2, Val::ExternRef(None)).unwrap(), 1);
    assert!(t.grow(1, Val::ExternRef(None)).is_err());
    assert!(matches!(t.get(2), Some(Val::ExternRef(None))));
    assert_eq!(t.ty().minimum, 3);
    let ty_i32 = TableType {
        element: ValType::I32,
        ..ty
    };
    assert!(Table::new(&store, ty_i32, Val::I32(0)).is_err());

    // Globals.
    let gty = GlobalType {
        content: ValType::FUNCREF,
        mutable: true,
    };
    assert!(Global::new(&store, gty, Val::I32(0)).is_err());
    let f = Func::new(&other, FuncType::new([], []), Box::new(|_, _| Ok(())));
    assert!(Global::new(&store, gty, Val::FuncRef(Some(f))).is_err());
    let own = Func::new(&store, FuncType::new([], []), Box::new(|_, _| Ok(())));
    let g = Global::new(&store, gty, Val::FuncRef(Some(own.clone()))).unwrap();
    match g.get() {
        Val::FuncRef(Some(h)) => assert!(h.same(&own)),
        other => panic!("unexpected {other:?}"),
    }
    g.set(Val::FuncRef(None)).unwrap();
    assert!(matches!(g.get(), Val::FuncRef(None)));

    // Host functions called directly from the host.
    let r = own.call(&[], &mut []);
    assert!(r.is_ok());
    let mut one = [Val::I32(0)];
    assert!(own.call(&[], &mut one).is_err());
}

#[test]
fn many_stores_and_instances_release_their_memory() {
    let engine = Engine::default();
    let m = module(
        &engine,
        "(module (memory 1) (table 10 funcref) (func (export \"f\")))",
    );
    // Each instance reserves about 8 GiB of address space; 20 000 live ones
    // would exhaust it, so this only passes if dropped stores unmap.
    for _ in 0..20_000 {
        let store = Store::new(&engine);
        let i = Instance::new(&store, &m, &[]).unwrap();
        func(&i, "f").call(&[], &mut []).unwrap();
    }
}

#[test]
fn backtraces_name_the_instance_that_trapped() {
    let store = Store::new(&Engine::default());
    let m = module(
        store.engine(),
        r#"(module (func (export "f") unreachable))"#,
    );
    let a = Instance::new(&store, &m, &[]).unwrap();
    let b = Instance::new(&store, &m, &[]).unwrap();
    for i in [&a, &b] {
        let t = func(i, "f").call(&[], &mut []).unwrap_err();
        let frame = &t.trace()[0];
        assert!(frame.instance.as_ref().is_some_and(|x| x.same(i)));
    }
}

#[test]
fn a_host_function_growing_a_dynamic_memory_moves_it_under_running_wasm() {
    let mut config = Config::new();
    config.set_static_memory_maximum_size(0);
    config.set_dynamic_memory_reserved_for_growth(0);
    let store = Store::new(&Engine::new(&config).unwrap());
    let memory = Memory::new(&store, MemoryType::new(1, None)).unwrap();
    let grower = {
        let memory = memory.clone();
        Func::new(
            &store,
            FuncType::new([], []),
            Box::new(move |_, _| {
                memory.grow(15).map_err(|e| Trap::new(e.to_string()))?;
                Ok(())
            }),
        )
    };
    let i = instantiate(
        &store,
        r#"(module
            (import "" "m" (memory 1))
            (import "" "grow" (func $grow))
            (func (export "run") (result i32)
                i32.const 100 i32.const 7 i32.store8
                call $grow
                ;; the base moved: both accesses must use the new one
                i32.const 1048000 i32.const 9 i32.store8
                i32.const 100 i32.load8_u
                i32.const 1048000 i32.load8_u
                i32.add))"#,
        &[memory.clone().into(), grower.into()],
    );
    let before = memory.data_ptr();
    assert_eq!(call1(&func(&i, "run"), &[]).unwrap().i32(), Some(16));
    assert_eq!(memory.size(), 16);
    assert_ne!(
        memory.data_ptr(),
        before,
        "a dynamic memory without reserve moves"
    );
}

#[test]
fn table_growth_is_seen_on_both_sides() {
    let store = Store::new(&Engine::default());
    let ty = TableType {
        element: ValType::FUNCREF,
        minimum: 1,
        maximum: None,
        table64: false,
    };
    let table = Table::new(&store, ty, Val::FuncRef(None)).unwrap();
    let i = instantiate(
        &store,
        r#"(module
            (import "" "t" (table 1 funcref))
            (func $f (result i32) i32.const 5)
            (elem declare func $f)
            (func (export "size") (result i32) table.size 0)
            (func (export "grow") (result i32) ref.func $f i32.const 100 table.grow 0)
            (func (export "call") (param i32) (result i32) local.get 0 call_indirect (result i32)))"#,
        &[table.clone().into()],
    );
    assert_eq!(table.grow(9, Val::FuncRef(None)).unwrap(), 1);
    assert_eq!(call1(&func(&i, "size"), &[]).unwrap().i32(), Some(10));
    assert_eq!(call1(&func(&i, "grow"), &[]).unwrap().i32(), Some(10));
    assert_eq!(table.size(), 110);
    assert_eq!(
        call1(&func(&i, "call"), &[Val::I32(109)]).unwrap().i32(),
        Some(5)
    );
    let t = trap_of(call1(&func(&i, "call"), &[Val::I32(110)]));
    assert_eq!(t.message(), "out of bounds table access");
}

#[test]
fn pooling_strategy_limits_are_enforced() {
    use wasm_runtime::config::PoolingAllocationConfig;
    let pooling = PoolingAllocationConfig {
        total_core_instances: 2,
        total_memories: 2,
        total_tables: 2,
        table_elements: 10,
        max_memory_size: 2 << 16,
        ..PoolingAllocationConfig::default()
    };
    let mut config = Config::new();
    config.set_allocation_strategy(pooling);
    let engine = Engine::new(&config).unwrap();
    let m = module(
        &engine,
        r#"(module (memory 1) (table 1 funcref)
            (func (export "grow") (param i32) (result i32) local.get 0 memory.grow)
            (func (export "tgrow") (param i32) (result i32) ref.null func local.get 0 table.grow 0))"#,
    );
    let store = Store::new(&engine);
    let a = Instance::new(&store, &m, &[]).unwrap();
    let _b = Instance::new(&store, &m, &[]).unwrap();
    match Instance::new(&Store::new(&engine), &m, &[]) {
        Err(e) => assert_eq!(e.kind(), &impl_limit("total_core_instances"), "{e}"),
        _ => panic!("a third instance exceeds the pool"),
    }
    assert_eq!(
        call1(&func(&a, "grow"), &[Val::I32(1)]).unwrap().i32(),
        Some(1)
    );
    assert_eq!(
        call1(&func(&a, "grow"), &[Val::I32(1)]).unwrap().i32(),
        Some(-1)
    );
    assert_eq!(
        call1(&func(&a, "tgrow"), &[Val::I32(9)]).unwrap().i32(),
        Some(1)
    );
    assert_eq!(
        call1(&func(&a, "tgrow"), &[Val::I32(1)]).unwrap().i32(),
        Some(-1)
    );
    drop((a, _b, store));
    // Dropping the store gives the slots back.
    let store = Store::new(&engine);
    Instance::new(&store, &m, &[]).unwrap();

    let two_memories = module(&engine, "(module (memory 1) (memory 1))");
    match Instance::new(&store, &two_memories, &[]) {
        Err(e) => assert_eq!(e.kind(), &impl_limit("max_memories_per_module"), "{e}"),
        _ => panic!("two memories exceed max_memories_per_module"),
    }
    let big_table = module(&engine, "(module (table 11 funcref))");
    assert!(Instance::new(&store, &big_table, &[]).is_err());
}

#[test]
fn host_state_is_dropped_with_the_last_handle_to_the_store() {
    struct Finalizer(Rc<Cell<bool>>);
    impl Drop for Finalizer {
        fn drop(&mut self) {
            self.0.set(true);
        }
    }
    let finalized = Rc::new(Cell::new(false));
    let store = Store::new(&Engine::default());
    let env = Finalizer(finalized.clone());
    let f = Func::new(
        &store,
        FuncType::new([], []),
        Box::new(move |_, _| {
            let _ = &env;
            Ok(())
        }),
    );
    let r = ExternRef::new(&store, Box::new(Finalizer(finalized.clone())));
    drop(store);
    f.call(&[], &mut []).unwrap();
    assert!(!finalized.get(), "the function's handle keeps the store");
    drop(f);
    assert!(!finalized.get(), "the externref's handle keeps the store");
    drop(r);
    assert!(finalized.get());
}

#[test]
fn a_store_reentered_from_another_thread_gets_that_threads_stack_limit() {
    let store = Store::new(&Engine::default());
    let recurse: Rc<std::cell::RefCell<Option<Func>>> = Rc::default();
    // The host function hands the function to a helper thread and waits
    // for it, so the store is still used by one thread at a time.
    let slot = recurse.clone();
    let hop = Func::new(
        &store,
        FuncType::new([], [ValType::I32]),
        Box::new(move |_, r| {
            let f = slot.borrow().clone().unwrap();
            let msg = std::thread::spawn(move || {
                let t = f.call(&[Val::I32(0)], &mut [Val::I32(0)]).unwrap_err();
                t.message().to_string()
            })
            .join()
            .unwrap();
            assert_eq!(msg, "call stack exhausted");
            r[0] = Val::I32(1);
            Ok(())
        }),
    );
    let i = instantiate(
        &store,
        r#"(module
            (import "" "hop" (func $hop (result i32)))
            (func $r (export "recurse") (param i32) (result i32) local.get 0 call $r)
            (func (export "start") (result i32) call $hop))"#,
        &[hop.into()],
    );
    *recurse.borrow_mut() = Some(func(&i, "recurse"));
    assert_eq!(call1(&func(&i, "start"), &[]).unwrap().i32(), Some(1));
}

#[test]
fn custom_page_sizes_trap_at_the_byte() {
    let mut config = Config::new();
    config.set_wasm_custom_page_sizes(true);
    let store = Store::new(&Engine::new(&config).unwrap());
    let i = instantiate(
        &store,
        r#"(module
            (memory 3 (pagesize 1))
            (func (export "load") (param i32) (result i32) local.get 0 i32.load8_u)
            (func (export "grow") (param i32) (result i32) local.get 0 memory.grow))"#,
        &[],
    );
    let load = func(&i, "load");
    assert_eq!(call1(&load, &[Val::I32(2)]).unwrap().i32(), Some(0));
    let t = trap_of(call1(&load, &[Val::I32(3)]));
    assert_eq!(t.message(), "out of bounds memory access");
    assert_eq!(
        call1(&func(&i, "grow"), &[Val::I32(1)]).unwrap().i32(),
        Some(3)
    );
    assert_eq!(call1(&load, &[Val::I32(3)]).unwrap().i32(), Some(0));
    let t = trap_of(call1(&load, &[Val::I32(4)]));
    assert_eq!(t.message(), "out of bounds memory access");
}

/// `id()` is the hashable form of `same()`: handles of one object (an
/// export fetched twice, a function read back from a table, an externref
/// through wasm) share it, distinct objects do not.
#[test]
fn ids_agree_with_same() {
    let engine = Engine::new(&Config::new()).unwrap();
    let store = Store::new(&engine);
    let i = instantiate(
        &store,
        r#"(module
            (func $f (export "f"))
            (func (export "g"))
            (table (export "t") 2 funcref)
            (elem (i32.const 0) $f)
            (memory (export "m") 1)
            (global (export "x") (mut i32) (i32.const 0))
            (func (export "id") (param externref) (result externref) local.get 0))"#,
        &[],
    );
    let export = |name: &str| i.get_export(name).unwrap();
    let (f, g) = (func(&i, "f"), func(&i, "g"));
    assert_eq!(f.id(), func(&i, "f").id());
    assert_ne!(f.id(), g.id());
    let table = export("t").into_table().unwrap();
    match table.get(0) {
        Some(Val::FuncRef(Some(from_table))) => assert_eq!(from_table.id(), f.id()),
        other => panic!("expected a funcref, got {other:?}"),
    }
    assert_eq!(table.id(), export("t").into_table().unwrap().id());
    let memory = export("m").into_memory().unwrap();
    assert_eq!(memory.id(), export("m").into_memory().unwrap().id());
    let global = export("x").into_global().unwrap();
    assert_eq!(global.id(), export("x").into_global().unwrap().id());
    let other = Global::new(&store, global.ty(), Val::I32(1)).unwrap();
    assert_ne!(other.id(), global.id());
    assert_eq!(i.id(), i.clone().id());
    let second = instantiate(&store, "(module)", &[]);
    assert_ne!(second.id(), i.id());

    let payload = ExternRef::new(&store, Box::new(7u32));
    let back = call1(&func(&i, "id"), &[Val::ExternRef(Some(payload.clone()))]).unwrap();
    match back {
        Val::ExternRef(Some(e)) => assert_eq!(e.id(), payload.id()),
        other => panic!("expected an externref, got {other:?}"),
    }
    assert_ne!(ExternRef::new(&store, Box::new(7u32)).id(), payload.id());

    let trap = Trap::new("boom");
    assert_eq!(trap.clone().id(), trap.id());
    assert_ne!(Trap::new("boom").id(), trap.id());
}

/// The resident set of this process in bytes, from `/proc/self/statm`.
fn resident_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("Linux /proc");
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|f| f.parse().ok())
        .expect("statm's resident field");
    // SAFETY: sysconf has no preconditions.
    pages * unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as u64
}

/// Issue 18: a table grows to a billion null elements at the cost of the
/// elements it sets (null ones are zero pages, never touched), reads and
/// writes anywhere in it, and growth past the runtime's limit returns -1.
#[test]
fn a_billion_element_table_costs_only_what_is_touched() {
    let store = Store::new(&Engine::default());
    let i = instantiate(
        &store,
        r#"(module
            (table $t 0 externref)
            (func (export "grow") (param i32) (result i32) (table.grow $t (ref.null extern) (local.get 0)))
            (func (export "set") (param i32 externref) (table.set $t (local.get 0) (local.get 1)))
            (func (export "is_null") (param i32) (result i32) (ref.is_null (table.get $t (local.get 0))))
            (func (export "size") (result i32) (table.size $t)))"#,
        &[],
    );
    let before = resident_bytes();
    let billion = 1_000_000_000;
    assert_eq!(
        call1(&func(&i, "grow"), &[Val::I32(billion)])
            .unwrap()
            .i32(),
        Some(0)
    );
    let set = func(&i, "set");
    let value = ExternRef::new(&store, Box::new(5u32));
    for at in [0, 123_456_789, billion - 1] {
        set.call(
            &[Val::I32(at), Val::ExternRef(Some(value.clone()))],
            &mut [],
        )
        .unwrap();
        assert_eq!(
            call1(&func(&i, "is_null"), &[Val::I32(at)]).unwrap().i32(),
            Some(0)
        );
    }
    assert_eq!(
        call1(&func(&i, "is_null"), &[Val::I32(500_000_000)])
            .unwrap()
            .i32(),
        Some(1)
    );
    let grown = resident_bytes().saturating_sub(before);
    assert!(
        grown < 64 << 20,
        "a billion null elements made the process {grown} bytes bigger"
    );
    // Up to the runtime's limit (2^30), and no further.
    let rest = (wasm_runtime::runtime::MAX_TABLE_ELEMENTS - billion as u64) as i32;
    assert_eq!(
        call1(&func(&i, "grow"), &[Val::I32(rest + 1)])
            .unwrap()
            .i32(),
        Some(-1)
    );
    assert_eq!(call1(&func(&i, "size"), &[]).unwrap().i32(), Some(billion));
}
