//! How deep wasm recursion and wasm→host→wasm recursion go within the
//! default `max_wasm_stack` (issue 18): the depths are pinned so that a
//! change that makes frames bigger shows up here. Each runs on a thread
//! with a large host stack, so that the wasm stack limit, not the thread's
//! stack, is what stops it.

use std::cell::Cell;
use std::rc::Rc;
use wasm_runtime::engine::Engine;
use wasm_runtime::module::{FuncType, Module, ValType};
use wasm_runtime::runtime::{Caller, Extern, Func, Instance, Store, TrapKind, Val};

fn on_big_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap()
}

/// Recursion through a function returning `(f64 i32)`, counting levels in
/// a global until the stack limit traps.
fn wasm_depth(results: &str) -> i32 {
    let wat = format!(
        r#"(module
            (global $depth (mut i32) (i32.const 0))
            (func $f (export "f") (param $n i32) (result {results})
                (global.set $depth (i32.add (global.get $depth) (i32.const 1)))
                (call $f (i32.add (local.get $n) (i32.const 1))))
            (func (export "depth") (result i32) (global.get $depth)))"#
    );
    let store = Store::new(&Engine::default());
    let module = Module::new(store.engine(), &wat::parse_str(&wat).unwrap()).unwrap();
    let i = Instance::new(&store, &module, &[]).unwrap();
    let f = i.get_export("f").and_then(Extern::into_func).unwrap();
    let mut out = vec![Val::I32(0); f.ty().results.len()];
    let trap = f.call(&[Val::I32(0)], &mut out).unwrap_err();
    assert_eq!(trap.kind(), Some(TrapKind::StackOverflow));
    let depth = i.get_export("depth").and_then(Extern::into_func).unwrap();
    let mut d = [Val::I32(0)];
    depth.call(&[], &mut d).unwrap();
    d[0].i32().unwrap()
}

#[test]
fn wasm_recursion_reaches_at_least_the_reference_depth() {
    // The reference reaches 16 381 levels for `(f64 i32)` (32 bytes a
    // frame); these frames take 16.
    for results in ["f64 i32", "i32", "i64 i64 i64"] {
        let depth = on_big_stack(move || wasm_depth(results));
        assert!(depth >= 16_381, "({results}): depth {depth}");
    }
}

#[test]
fn wasm_host_wasm_recursion_depth_is_pinned() {
    let depth = on_big_stack(|| {
        let store = Store::new(&Engine::default());
        let levels = Rc::new(Cell::new(0));
        let counter = levels.clone();
        let host = Func::new_with_caller(
            &store,
            FuncType::new([ValType::I32], [ValType::I32]),
            Box::new(
                move |caller: &Caller<'_>, params: &[Val], results: &mut [Val]| {
                    counter.set(counter.get() + 1);
                    let f = caller.get_export("f").and_then(Extern::into_func).unwrap();
                    f.call(params, results)
                },
            ),
        );
        let module = Module::new(
            store.engine(),
            &wat::parse_str(
                r#"(module (import "" "h" (func $h (param i32) (result i32)))
                    (func (export "f") (param i32) (result i32) (call $h (local.get 0))))"#,
            )
            .unwrap(),
        )
        .unwrap();
        let i = Instance::new(&store, &module, &[host.into()]).unwrap();
        let f = i.get_export("f").and_then(Extern::into_func).unwrap();
        let trap = f.call(&[Val::I32(1)], &mut [Val::I32(0)]).unwrap_err();
        assert_eq!(
            trap.kind(),
            Some(TrapKind::StackOverflow),
            "{}",
            trap.message()
        );
        levels.get()
    });
    // 386 levels at this writing (about 1.35 KiB a level, the callback's
    // own frame included); the reference reaches 369. Was 145 before the
    // trap trace left the activation's frame and the call checks and
    // failure paths left the frames that stay live during nested calls,
    // 338 before `Func::call`'s inline value buffer shrank from 8 slots
    // to 4 (and 307 while building a trap's result was inlined into
    // `enter_wasm`'s frame).
    assert!(
        depth >= 369,
        "wasm->host->wasm depth {depth}, below the reference's 369"
    );
}
