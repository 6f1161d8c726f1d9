//! A trap returned by a host function called from wasm carries the wasm
//! frames below the host call, like a wasm trap raised at the call site:
//! innermost first, the wasm function that called the import (at its call
//! instruction), then its callers, each with its instance. With
//! `wasm_backtrace` off it carries none, as wasm traps do. Frames are
//! checked by function index, exact module offset (from the binary) and
//! instance identity, for direct imported calls, `call_indirect` to an
//! import and to a host funcref put in a table, `return_call` to an import,
//! and host traps crossing several nested host→wasm→host levels.

use std::cell::RefCell;
use std::rc::Rc;
use wasm_runtime::config::Config;
use wasm_runtime::engine::Engine;
use wasm_runtime::module::{FuncType, Module, ValType};
use wasm_runtime::runtime::{Extern, Func, Instance, Store, Table, Trap, TrapKind, Val};
use wasmparser::{Operator, Parser, Payload, TypeRef};

/// A call-like or trapping instruction of a module's binary.
#[derive(Clone, Copy, Debug)]
struct Site {
    /// The function the instruction is in (whole function index space).
    func: u32,
    /// The instruction's offset in the module binary.
    offset: usize,
    /// The offset of the function's body in the module binary.
    body_start: usize,
}

/// Every `call`, `call_indirect`, `return_call`, `return_call_indirect`,
/// `unreachable` and `i32.div_u` of `wasm`, in binary order.
fn sites(wasm: &[u8]) -> Vec<Site> {
    let mut imported = 0u32;
    let mut defined = 0u32;
    let mut out = Vec::new();
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.expect("valid wasm") {
            Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    if matches!(
                        import.expect("valid import").ty,
                        TypeRef::Func(_) | TypeRef::FuncExact(_)
                    ) {
                        imported += 1;
                    }
                }
            }
            Payload::CodeSectionEntry(body) => {
                let func = imported + defined;
                defined += 1;
                let body_start = body.range().start;
                let mut ops = body.get_operators_reader().expect("operators");
                while !ops.eof() {
                    let (op, offset) = ops.read_with_offset().expect("operator");
                    if matches!(
                        op,
                        Operator::Call { .. }
                            | Operator::CallIndirect { .. }
                            | Operator::ReturnCall { .. }
                            | Operator::ReturnCallIndirect { .. }
                            | Operator::Unreachable
                            | Operator::I32DivU
                    ) {
                        out.push(Site {
                            func,
                            offset: offset as usize,
                            body_start: body_start as usize,
                        });
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// The `nth` site (0-based) in function `func`.
fn site(sites: &[Site], func: u32, nth: usize) -> Site {
    *sites
        .iter()
        .filter(|s| s.func == func)
        .nth(nth)
        .unwrap_or_else(|| panic!("function {func} has no site {nth}"))
}

/// A compiled module with the sites of its binary.
struct Compiled {
    module: Module,
    sites: Vec<Site>,
}

fn compile(engine: &Engine, wat: &str) -> Compiled {
    let wasm = wat::parse_str(wat).expect("valid wat");
    Compiled {
        module: Module::new(engine, &wasm).expect("module compiles"),
        sites: sites(&wasm),
    }
}

fn instantiate(store: &Store, compiled: &Compiled, imports: &[Extern]) -> Instance {
    Instance::new(store, &compiled.module, imports)
        .unwrap_or_else(|e| panic!("instantiation failed: {e}"))
}

fn func(instance: &Instance, name: &str) -> Func {
    instance
        .get_export(name)
        .and_then(Extern::into_func)
        .unwrap_or_else(|| panic!("no function export {name}"))
}

/// Calls `f` without arguments and results, expecting a trap.
fn trap_of(f: &Func) -> Trap {
    match f.call(&[], &mut []) {
        Ok(()) => panic!("expected a trap"),
        Err(t) => t,
    }
}

/// A host function `[] -> []` returning (a handle of) `trap`.
fn failing(store: &Store, trap: &Trap) -> Func {
    let trap = trap.clone();
    Func::new(
        store,
        FuncType::new([], []),
        Box::new(move |_, _| Err(trap.clone())),
    )
}

/// Asserts the trap's frames are exactly `expected`, innermost first:
/// (instance, site) with the site's function index and offsets.
fn assert_frames(trap: &Trap, expected: &[(&Instance, Site)]) {
    let trace = trap.trace();
    assert_eq!(
        trace.len(),
        expected.len(),
        "frames of {trap:?}, expected {expected:?}"
    );
    for (i, (frame, (instance, site))) in trace.iter().zip(expected).enumerate() {
        assert_eq!(frame.func_index, site.func, "frame {i} of {trap:?}");
        assert_eq!(frame.module_offset, site.offset, "frame {i} of {trap:?}");
        assert_eq!(
            frame.func_offset,
            site.offset - site.body_start,
            "frame {i} of {trap:?}"
        );
        assert!(
            frame.instance.as_ref().is_some_and(|x| x.same(instance)),
            "frame {i} of {trap:?} names the wrong instance"
        );
    }
}

const CALLS_HOST: &str = r#"(module
    (import "" "h" (func $h))
    (func $inner call $h)
    (func $middle call $inner)
    (func (export "outer") call $middle))"#;

#[test]
fn a_host_trap_carries_the_frames_of_its_call_site() {
    let store = Store::new(&Engine::default());
    let host_trap = Trap::new("host says no");
    let m = compile(store.engine(), CALLS_HOST);
    let i = instantiate(&store, &m, &[failing(&store, &host_trap).into()]);

    let t = trap_of(&func(&i, "outer"));
    assert!(
        t.same(&host_trap),
        "the host's trap object arrives unchanged"
    );
    assert_eq!(t.message(), "host says no");
    assert_eq!(t.kind(), None);
    assert_frames(
        &t,
        &[
            (&i, site(&m.sites, 1, 0)),
            (&i, site(&m.sites, 2, 0)),
            (&i, site(&m.sites, 3, 0)),
        ],
    );
}

#[test]
fn a_host_trap_has_the_frames_a_wasm_trap_at_the_call_site_has() {
    // `$inner` divides by its argument, then calls the host: with 0 it
    // traps in wasm, with 1 in the host. Both traps have the same frames
    // but the innermost one's instruction.
    let store = Store::new(&Engine::default());
    let m = compile(
        store.engine(),
        r#"(module
            (import "" "h" (func $h))
            (func $inner (param i32) i32.const 1 local.get 0 i32.div_u drop call $h)
            (func $middle (param i32) local.get 0 call $inner)
            (func (export "outer") (param i32) local.get 0 call $middle))"#,
    );
    let host_trap = Trap::new("no");
    let i = instantiate(&store, &m, &[failing(&store, &host_trap).into()]);
    let outer = func(&i, "outer");
    let wasm = outer.call(&[Val::I32(0)], &mut []).unwrap_err();
    assert_eq!(wasm.kind(), Some(TrapKind::IntegerDivisionByZero));
    let host = outer.call(&[Val::I32(1)], &mut []).unwrap_err();
    assert!(host.same(&host_trap));
    let callers = [(&i, site(&m.sites, 2, 0)), (&i, site(&m.sites, 3, 0))];
    let [div, call_h] = [0, 1].map(|n| site(&m.sites, 1, n));
    assert_frames(&wasm, &[&[(&i, div)][..], &callers].concat());
    assert_frames(&host, &[&[(&i, call_h)][..], &callers].concat());
}

#[test]
fn the_origin_names_the_instance_that_called_the_host() {
    // Two instances of one module import the same host function; a third
    // module calls the second instance's export. The innermost frame is
    // the second instance's, not the first one of its module.
    let store = Store::new(&Engine::default());
    // A new trap per call: a trap keeps the frames of its first call site.
    let host = Func::new(
        &store,
        FuncType::new([], []),
        Box::new(|_, _| Err(Trap::new("no"))),
    );
    let m = compile(
        store.engine(),
        r#"(module (import "" "h" (func $h)) (func (export "f") call $h))"#,
    );
    let first = instantiate(&store, &m, &[host.clone().into()]);
    let second = instantiate(&store, &m, &[host.into()]);
    let n = compile(
        store.engine(),
        r#"(module (import "" "f" (func $f)) (func $g call $f) (func (export "run") call $g))"#,
    );
    let caller = instantiate(&store, &n, &[func(&second, "f").into()]);

    let t = trap_of(&func(&caller, "run"));
    assert_frames(
        &t,
        &[
            (&second, site(&m.sites, 1, 0)),
            (&caller, site(&n.sites, 1, 0)),
            (&caller, site(&n.sites, 2, 0)),
        ],
    );
    let t = trap_of(&func(&first, "f"));
    assert_frames(&t, &[(&first, site(&m.sites, 1, 0))]);
}

#[test]
fn wasm_backtrace_off_leaves_host_traps_without_frames() {
    let mut config = Config::new();
    config.set_wasm_backtrace(false);
    let store = Store::new(&Engine::new(&config).unwrap());
    let host_trap = Trap::new("host says no");
    let m = compile(store.engine(), CALLS_HOST);
    let i = instantiate(&store, &m, &[failing(&store, &host_trap).into()]);
    let t = trap_of(&func(&i, "outer"));
    assert!(t.same(&host_trap));
    assert!(t.trace().is_empty(), "{:?}", t.trace());
}

#[test]
fn a_host_trap_called_from_the_host_has_no_frames() {
    let store = Store::new(&Engine::default());
    let host_trap = Trap::new("no");
    let t = trap_of(&failing(&store, &host_trap));
    assert!(t.same(&host_trap));
    assert!(t.trace().is_empty(), "{:?}", t.trace());
}

#[test]
fn host_panics_and_bad_results_carry_the_call_site_too() {
    let store = Store::new(&Engine::default());
    let panics = Func::new(
        &store,
        FuncType::new([], []),
        Box::new(|_, _| panic!("deliberate")),
    );
    let bad = Func::new(
        &store,
        FuncType::new([], [ValType::I32]),
        Box::new(|_, r| {
            r[0] = Val::I64(1);
            Ok(())
        }),
    );
    let m = compile(
        store.engine(),
        r#"(module
            (import "" "p" (func $p))
            (import "" "b" (func $b (result i32)))
            (func (export "p") call $p)
            (func (export "b") call $b drop))"#,
    );
    let i = instantiate(&store, &m, &[panics.into(), bad.into()]);
    let t = trap_of(&func(&i, "p"));
    assert!(t.message().contains("deliberate"), "{}", t.message());
    assert_frames(&t, &[(&i, site(&m.sites, 2, 0))]);
    let t = trap_of(&func(&i, "b"));
    assert!(t.message().contains("result 0"), "{}", t.message());
    assert_frames(&t, &[(&i, site(&m.sites, 3, 0))]);
}

#[test]
fn host_traps_through_call_indirect_and_table_funcrefs() {
    let store = Store::new(&Engine::default());
    let host_trap = Trap::new("no");
    let host = failing(&store, &host_trap);
    // Slot 0: the imported host function, put there by an element segment.
    // Slot 1: a host function the host stores into the exported table; it
    // is no import of the module at all.
    let m = compile(
        store.engine(),
        r#"(module
            (import "" "h" (func $h))
            (type $v (func))
            (table (export "t") 2 funcref)
            (elem (i32.const 0) $h)
            (func $dispatch (param i32) local.get 0 call_indirect (type $v))
            (func (export "via_import") i32.const 0 call $dispatch)
            (func (export "via_table") i32.const 1 call $dispatch)
            (func (export "tail_via_table") i32.const 1 return_call_indirect (type $v)))"#,
    );
    let i = instantiate(&store, &m, &[host.into()]);
    let table: Table = i
        .get_export("t")
        .and_then(Extern::into_table)
        .expect("table export");
    let other_trap = Trap::new("from the table");
    table
        .set(1, Val::FuncRef(Some(failing(&store, &other_trap))))
        .unwrap();

    let t = trap_of(&func(&i, "via_import"));
    assert!(t.same(&host_trap));
    assert_frames(
        &t,
        &[(&i, site(&m.sites, 1, 0)), (&i, site(&m.sites, 2, 0))],
    );
    let t = trap_of(&func(&i, "via_table"));
    assert!(t.same(&other_trap));
    assert_frames(
        &t,
        &[(&i, site(&m.sites, 1, 0)), (&i, site(&m.sites, 3, 0))],
    );
    // A tail call replaces the caller's frame: with it gone, and the
    // entered function the only wasm frame, nothing is left below the host.
    let tail_trap = Trap::new("tail");
    table
        .set(1, Val::FuncRef(Some(failing(&store, &tail_trap))))
        .unwrap();
    let t = trap_of(&func(&i, "tail_via_table"));
    assert!(t.same(&tail_trap));
    assert!(t.trace().is_empty(), "{:?}", t.trace());
}

#[test]
fn return_call_to_an_import_leaves_the_callers_frames() {
    let store = Store::new(&Engine::default());
    let host_trap = Trap::new("no");
    let m = compile(
        store.engine(),
        r#"(module
            (import "" "h" (func $h))
            (func $tail return_call $h)
            (func $caller call $tail)
            (func (export "run") call $caller))"#,
    );
    let i = instantiate(&store, &m, &[failing(&store, &host_trap).into()]);
    let t = trap_of(&func(&i, "run"));
    assert!(t.same(&host_trap));
    // `$tail` handed its frame to the host call: the innermost frame is
    // its caller's call of it.
    assert_frames(
        &t,
        &[(&i, site(&m.sites, 2, 0)), (&i, site(&m.sites, 3, 0))],
    );
}

/// A module calling the host twice over: `outer` calls `$h1`, whose host
/// code calls `mid`, which calls `$h2`; `mid_wasm_trap` traps in wasm.
const NESTED: &str = r#"(module
    (import "" "h1" (func $h1))
    (import "" "h2" (func $h2))
    (func (export "outer") call $h1)
    (func (export "mid") call $h2)
    (func (export "mid_wasm_trap") unreachable))"#;

/// An `[] -> []` host function calling the export named in `target` of the
/// instance in `slot`, passing its trap on (or replacing it when
/// `replace` is set).
fn reentering(
    store: &Store,
    slot: &Rc<RefCell<Option<Instance>>>,
    target: &Rc<RefCell<&'static str>>,
    replace: Option<Trap>,
) -> Func {
    let slot = slot.clone();
    let target = target.clone();
    Func::new(
        store,
        FuncType::new([], []),
        Box::new(move |_, _| {
            let instance = slot.borrow().clone().expect("instance set");
            let name = *target.borrow();
            match func(&instance, name).call(&[], &mut []) {
                Ok(()) => Ok(()),
                Err(t) => Err(replace.clone().unwrap_or(t)),
            }
        }),
    )
}

#[test]
fn nested_host_traps_carry_every_level_of_wasm_frames() {
    let store = Store::new(&Engine::default());
    let inner_trap = Trap::new("innermost host");
    let slot = Rc::new(RefCell::new(None));
    let target = Rc::new(RefCell::new("mid"));
    let h1 = reentering(&store, &slot, &target, None);
    let m = compile(store.engine(), NESTED);
    let i = instantiate(
        &store,
        &m,
        &[h1.into(), failing(&store, &inner_trap).into()],
    );
    *slot.borrow_mut() = Some(i.clone());

    // host → outer → h1 → mid → h2 (trap): passed back up unchanged, with
    // the frames of both activations, innermost first.
    let t = trap_of(&func(&i, "outer"));
    assert!(t.same(&inner_trap));
    assert_frames(
        &t,
        &[(&i, site(&m.sites, 3, 0)), (&i, site(&m.sites, 2, 0))],
    );

    // A wasm trap at the same depth has the same outer frames.
    *target.borrow_mut() = "mid_wasm_trap";
    let t = trap_of(&func(&i, "outer"));
    assert_eq!(t.kind(), Some(TrapKind::UnreachableCodeReached));
    assert_frames(
        &t,
        &[(&i, site(&m.sites, 4, 0)), (&i, site(&m.sites, 2, 0))],
    );
}

#[test]
fn three_levels_of_nesting_and_a_replaced_trap() {
    let store = Store::new(&Engine::default());
    let slot = Rc::new(RefCell::new(None));
    let to_mid = Rc::new(RefCell::new("mid"));
    let to_outer2 = Rc::new(RefCell::new("outer2"));
    let inner_trap = Trap::new("innermost");
    // host → run → h0 → outer2 → h1 → mid → h2 (trap).
    let m = compile(
        store.engine(),
        r#"(module
            (import "" "h0" (func $h0))
            (import "" "h1" (func $h1))
            (import "" "h2" (func $h2))
            (func (export "run") call $h0)
            (func (export "outer2") call $h1)
            (func (export "mid") call $h2))"#,
    );
    let h0 = reentering(&store, &slot, &to_outer2, None);
    let h1 = reentering(&store, &slot, &to_mid, None);
    let i = instantiate(
        &store,
        &m,
        &[h0.into(), h1.into(), failing(&store, &inner_trap).into()],
    );
    *slot.borrow_mut() = Some(i.clone());
    let t = trap_of(&func(&i, "run"));
    assert!(t.same(&inner_trap));
    assert_frames(
        &t,
        &[
            (&i, site(&m.sites, 5, 0)),
            (&i, site(&m.sites, 4, 0)),
            (&i, site(&m.sites, 3, 0)),
        ],
    );

    // A host function replacing the inner trap with its own: the new trap
    // starts at that host function's call site.
    let replaced = Trap::new("replaced by h0");
    let h0 = reentering(&store, &slot, &to_outer2, Some(replaced.clone()));
    let h1 = reentering(&store, &slot, &to_mid, None);
    let other = Trap::new("innermost again");
    let j = instantiate(
        &store,
        &m,
        &[h0.into(), h1.into(), failing(&store, &other).into()],
    );
    *slot.borrow_mut() = Some(j.clone());
    let t = trap_of(&func(&j, "run"));
    assert!(t.same(&replaced));
    assert_frames(&t, &[(&j, site(&m.sites, 3, 0))]);
    // The inner trap got its own frames on the way.
    assert_frames(
        &other,
        &[
            (&j, site(&m.sites, 5, 0)),
            (&j, site(&m.sites, 4, 0)),
            (&j, site(&m.sites, 3, 0)),
        ],
    );
}

#[test]
fn nested_calls_into_another_store_keep_each_stores_frames_apart() {
    // Store A's wasm calls a host function that runs store B's wasm, which
    // calls a failing host function of B. B's trap names B's frames only.
    let engine = Engine::default();
    let a = Store::new(&engine);
    let b = Store::new(&engine);
    let b_trap = Trap::new("from b");
    let mb = compile(
        &engine,
        r#"(module (import "" "h" (func $h)) (func (export "f") call $h))"#,
    );
    let ib = instantiate(&b, &mb, &[failing(&b, &b_trap).into()]);
    let fb = func(&ib, "f");
    let bridge = Func::new(
        &a,
        FuncType::new([], []),
        Box::new(move |_, _| fb.call(&[], &mut [])),
    );
    let ma = compile(
        &engine,
        r#"(module (import "" "h" (func $h)) (func (export "f") call $h))"#,
    );
    let ia = instantiate(&a, &ma, &[bridge.into()]);
    let t = trap_of(&func(&ia, "f"));
    assert!(t.same(&b_trap));
    assert_frames(&t, &[(&ib, site(&mb.sites, 1, 0))]);
}
