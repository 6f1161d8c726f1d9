//! The embedder's Rust API: the linker, host functions that see their
//! caller, store data, the store limiter and the epoch deadline callback.
//! (The C API over them is exercised by examples-c/linker.c, limits.c and
//! trapcodes.c, run under valgrind by tests/examples.rs.)

use std::cell::Cell;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use wasm_runtime::config::Config;
use wasm_runtime::engine::Engine;
use wasm_runtime::environ::error::{ErrorKind, ImportName};
use wasm_runtime::linker::{Linker, LinkerFunc};
use wasm_runtime::module::{FuncType, MemoryType, Module, ValType};
use wasm_runtime::runtime::{
    Caller, Extern, Func, Memory, Store, StoreLimits, Trap, TrapKind, UpdateDeadline, Val,
};

fn module(engine: &Engine, wat: &str) -> Module {
    Module::new(engine, &wat::parse_str(wat).expect("valid wat")).expect("module compiles")
}

fn call_i32(instance_export: Option<Extern>, args: &[Val]) -> Result<i32, Trap> {
    let f = instance_export
        .and_then(Extern::into_func)
        .expect("a function");
    let mut results = [Val::I32(0)];
    f.call(args, &mut results)?;
    Ok(results[0].i32().expect("an i32"))
}

/// A host function reading `(ptr, len)` from its caller's memory.
fn reader(seen: Arc<Mutex<Vec<String>>>) -> LinkerFunc {
    Arc::new(move |caller: &Caller<'_>, args: &[Val], _: &mut [Val]| {
        let Some(Extern::Memory(memory)) = caller.get_export("memory") else {
            return Err(Trap::new("the caller has no memory"));
        };
        let (ptr, len) = (
            args[0].i32().unwrap() as usize,
            args[1].i32().unwrap() as usize,
        );
        assert!(ptr + len <= memory.data_size());
        // SAFETY: in bounds (checked above); nothing else touches the
        // memory during the call.
        let bytes = unsafe { std::slice::from_raw_parts(memory.data_ptr().add(ptr), len) };
        seen.lock()
            .unwrap()
            .push(String::from_utf8_lossy(bytes).into_owned());
        Ok(())
    })
}

#[test]
fn linker_resolves_by_name_and_host_functions_see_their_caller() {
    let engine = Engine::default();
    let store = Store::new(&engine);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let mut linker = Linker::new(&engine);
    let log_ty = FuncType::new([ValType::I32, ValType::I32], []);
    linker
        .func_new("host", "log", log_ty.clone(), reader(seen.clone()))
        .unwrap();

    let math = module(
        &engine,
        r#"(module (func (export "add") (param i32 i32) (result i32)
             (i32.add (local.get 0) (local.get 1))))"#,
    );
    let math = linker.instantiate(&store, &math).unwrap();
    linker.instance(&store, "math", &math).unwrap();

    let plugin = module(
        &engine,
        r#"(module
             (import "host" "log" (func $log (param i32 i32)))
             (import "math" "add" (func $add (param i32 i32) (result i32)))
             (memory (export "memory") 1)
             (data (i32.const 3) "hi there")
             (func (export "run") (result i32)
               (call $log (i32.const 3) (i32.const 8))
               (call $add (i32.const 2) (i32.const 3))))"#,
    );
    let instance = linker.instantiate(&store, &plugin).unwrap();
    assert_eq!(call_i32(instance.get_export("run"), &[]).unwrap(), 5);
    assert_eq!(seen.lock().unwrap().as_slice(), ["hi there"]);

    // The same definition serves another store, with its own caller.
    let store2 = Store::new(&engine);
    let math2 = linker.get(&store2, "math", "add");
    assert!(math2.is_none(), "store objects resolve only in their store");
    let err = linker.instantiate(&store2, &plugin).unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::Link { import: Some(i), .. } if *i == ImportName::new("math", "add")),
        "{err}"
    );

    // Called by the host, a caller-aware function has no instance.
    let f = Func::new_with_caller(
        &store,
        FuncType::new([], [ValType::I32]),
        Box::new(|caller: &Caller<'_>, _: &[Val], results: &mut [Val]| {
            results[0] = Val::I32(caller.instance().is_some() as i32);
            Ok(())
        }),
    );
    let mut out = [Val::I32(7)];
    f.call(&[], &mut out).unwrap();
    assert_eq!(out[0].i32(), Some(0));
}

#[test]
fn link_errors_name_the_import_and_both_types() {
    let engine = Engine::default();
    let store = Store::new(&engine);
    let mut linker = Linker::new(&engine);
    let needs = module(&engine, r#"(module (import "env" "f" (func (param i64))))"#);
    let err = linker.instantiate(&store, &needs).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("`env::f`") && text.contains("(param i64)"),
        "{text}"
    );

    let f: LinkerFunc = Arc::new(|_: &Caller<'_>, _: &[Val], _: &mut [Val]| Ok(()));
    linker
        .func_new("env", "f", FuncType::new([ValType::I32], []), f.clone())
        .unwrap();
    let err = linker.instantiate(&store, &needs).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("env::f") && text.contains("i64") && text.contains("i32"),
        "{text}"
    );
    // Redefinition needs shadowing.
    let again = linker.func_new("env", "f", FuncType::new([ValType::I64], []), f.clone());
    assert!(again.is_err());
    linker.allow_shadowing(true);
    linker
        .func_new("env", "f", FuncType::new([ValType::I64], []), f)
        .unwrap();
    linker.instantiate(&store, &needs).unwrap();
}

#[test]
fn unknown_imports_trap_only_when_called() {
    let engine = Engine::default();
    let store = Store::new(&engine);
    let mut linker = Linker::new(&engine);
    let m = module(
        &engine,
        r#"(module (import "x" "y" (func $y))
             (func (export "ok") (result i32) (i32.const 1))
             (func (export "bad") (result i32) (call $y) (i32.const 2)))"#,
    );
    linker.define_unknown_imports_as_traps(&m).unwrap();
    let i = linker.instantiate(&store, &m).unwrap();
    assert_eq!(call_i32(i.get_export("ok"), &[]).unwrap(), 1);
    let trap = call_i32(i.get_export("bad"), &[]).unwrap_err();
    assert!(
        trap.message().contains("`x::y` has not been defined"),
        "{trap}"
    );
    assert_eq!(trap.trace().len(), 1, "the wasm frame below the host call");
}

#[test]
fn store_data_lives_as_long_as_the_store() {
    struct Flag(Arc<AtomicBool>);
    impl Drop for Flag {
        fn drop(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }
    let dropped = Arc::new(AtomicBool::new(false));
    let store = Store::new(&Engine::default());
    store.set_data(Some(Box::new(Flag(dropped.clone()))));
    assert!(store.with_data(|d| d.is_some_and(|d| d.is::<Flag>())));
    let handle = Memory::new(&store, MemoryType::new(1, None)).unwrap();
    drop(store);
    assert!(
        !dropped.load(Ordering::SeqCst),
        "a handle keeps the store and its data"
    );
    drop(handle);
    assert!(dropped.load(Ordering::SeqCst));
}

#[test]
fn limiter_caps_growth_counts_and_initial_sizes() {
    let engine = Engine::default();
    let store = Store::new(&engine);
    store.set_limits(StoreLimits {
        memory_size: Some(2 << 16),
        table_elements: Some(4),
        instances: Some(1),
        ..StoreLimits::default()
    });
    let m = module(
        &engine,
        r#"(module (memory (export "m") 1) (table 2 funcref)
             (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
             (func (export "tgrow") (param i32) (result i32)
               (table.grow (ref.null func) (local.get 0))))"#,
    );
    let i = wasm_runtime::runtime::Instance::new(&store, &m, &[]).unwrap();
    assert_eq!(call_i32(i.get_export("grow"), &[Val::I32(1)]).unwrap(), 1);
    assert_eq!(call_i32(i.get_export("grow"), &[Val::I32(1)]).unwrap(), -1);
    assert_eq!(call_i32(i.get_export("tgrow"), &[Val::I32(3)]).unwrap(), -1);
    assert_eq!(call_i32(i.get_export("tgrow"), &[Val::I32(2)]).unwrap(), 2);
    let Some(Extern::Memory(mem)) = i.get_export("m") else {
        panic!("memory export")
    };
    assert!(mem.grow(1).unwrap_err().to_string().contains("memory_size"));

    let err = wasm_runtime::runtime::Instance::new(&store, &m, &[]).unwrap_err();
    assert_eq!(
        err.kind(),
        &ErrorKind::ImplLimit {
            limit: "instances".into()
        }
    );
    store.set_limits(StoreLimits {
        memory_size: Some(1 << 16),
        ..StoreLimits::default()
    });
    let big = module(&engine, "(module (memory 2))");
    let err = wasm_runtime::runtime::Instance::new(&store, &big, &[]).unwrap_err();
    assert_eq!(
        err.kind(),
        &ErrorKind::ImplLimit {
            limit: "memory_size".into()
        }
    );
}

#[test]
fn epoch_callback_continues_then_stops_with_its_reason() {
    let mut config = Config::new();
    config.set_epoch_interruption(true);
    let engine = Engine::new(&config).unwrap();
    let store = Store::new(&engine);
    let m = module(
        &engine,
        r#"(module (func (export "spin") (loop $l (br $l))))"#,
    );
    let i = wasm_runtime::runtime::Instance::new(&store, &m, &[]).unwrap();
    let spin = i.get_export("spin").and_then(Extern::into_func).unwrap();
    let calls = Rc::new(Cell::new(0));
    let seen = calls.clone();
    store.epoch_deadline_callback(Box::new(move |_: &Store| {
        seen.set(seen.get() + 1);
        if seen.get() <= 3 {
            Ok(UpdateDeadline::Continue(0))
        } else {
            Err(anyhow::anyhow!("enough"))
        }
    }));
    store.set_epoch_deadline(0);
    let trap = spin.call(&[], &mut []).unwrap_err();
    assert_eq!(calls.get(), 4);
    assert_eq!(trap.kind(), Some(TrapKind::Interrupt));
    assert_eq!(trap.message(), "enough");
    assert_eq!(trap.trace().len(), 1);

    store.epoch_deadline_callback(Box::new(|_: &Store| Ok(UpdateDeadline::Yield(1))));
    store.set_epoch_deadline(0);
    let trap = spin.call(&[], &mut []).unwrap_err();
    assert_eq!(trap.kind(), Some(TrapKind::Interrupt));
    assert!(trap.message().contains("async"), "{trap}");

    store.epoch_deadline_trap();
    store.set_epoch_deadline(0);
    let trap = spin.call(&[], &mut []).unwrap_err();
    assert_eq!(trap.message(), "interrupt");
}

#[test]
fn a_host_trap_with_a_kind_keeps_it_through_wasm() {
    let engine = Engine::default();
    let store = Store::new(&engine);
    let host = Func::new(
        &store,
        FuncType::new([], []),
        Box::new(|_: &[Val], _: &mut [Val]| Err(Trap::with_kind(TrapKind::IntegerOverflow))),
    );
    let m = module(
        &engine,
        r#"(module $m (import "" "f" (func $f)) (func $g (export "g") (call $f)))"#,
    );
    let i = wasm_runtime::runtime::Instance::new(&store, &m, &[Extern::Func(host)]).unwrap();
    let g = i.get_export("g").and_then(Extern::into_func).unwrap();
    let trap = g.call(&[], &mut []).unwrap_err();
    assert_eq!(trap.kind(), Some(TrapKind::IntegerOverflow));
    assert_eq!(trap.trace()[0].func_name(), Some("g"));
    assert_eq!(trap.trace()[0].module_name(), Some("m"));
    let text = trap.backtrace_text();
    assert!(text.starts_with("wasm backtrace:\n    0:"), "{text}");
    assert!(text.contains(" - m!g"), "{text}");
}

#[test]
fn a_deserialized_file_runs_from_the_file_pages() {
    let engine = Engine::default();
    let m = module(
        &engine,
        r#"(module
             (func $sq (param i32) (result i32) (i32.mul (local.get 0) (local.get 0)))
             (func (export "f") (param i32) (result i32)
               (i32.add (call $sq (local.get 0)) (f32.const 2.5) (i32.trunc_f32_s (f32.nearest)))))"#,
    );
    let bytes = m.serialize().unwrap();
    // In the build directory, whose file system must allow executing (the
    // tests run from there).
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    let path = dir.join(format!("embedder-module-{}.bin", std::process::id()));
    std::fs::write(&path, &bytes).unwrap();

    let loaded = Module::deserialize_file(&engine, &path).unwrap();
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
    let path_text = path.to_str().unwrap();
    let executable_mapping = maps.lines().any(|l| {
        l.ends_with(path_text) && l.split_whitespace().nth(1).is_some_and(|p| p.contains('x'))
    });
    assert!(
        executable_mapping,
        "no executable mapping of {path_text} in:\n{maps}"
    );

    let store = Store::new(&engine);
    let i = wasm_runtime::runtime::Instance::new(&store, &loaded, &[]).unwrap();
    assert_eq!(call_i32(i.get_export("f"), &[Val::I32(7)]).unwrap(), 51);
    // From bytes in memory it loads too (copied), and both agree.
    let copied = Module::deserialize(&engine, &bytes).unwrap();
    let i2 = wasm_runtime::runtime::Instance::new(&store, &copied, &[]).unwrap();
    assert_eq!(call_i32(i2.get_export("f"), &[Val::I32(7)]).unwrap(), 51);
    // A truncated file is refused, not run.
    std::fs::write(&path, &bytes[..bytes.len() - 1]).unwrap();
    assert!(Module::deserialize_file(&engine, &path).is_err());
    drop((i, i2, loaded, copied, store));
    std::fs::remove_file(&path).unwrap();
}
