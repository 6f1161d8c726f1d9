//! Exception handling through the Rust API: tags defined, imported and
//! exported; throws caught in the same frame, across frames and across
//! modules; exceptions that leave wasm as `UncaughtException` traps with
//! their tag and payload; host functions that throw into wasm; host
//! frames between wasm frames, which exceptions never cross; serialized
//! modules keeping their handlers; and the `wasm_exceptions` option.

use wasm_runtime::config::Config;
use wasm_runtime::engine::Engine;
use wasm_runtime::module::{FuncType, Module, TagType, ValType};
use wasm_runtime::runtime::{ExnRef, Extern, Func, Instance, Store, Tag, Trap, TrapKind, Val};

fn engine_with(signals: bool) -> Engine {
    let mut config = Config::new();
    config.set_signals_based_traps(signals);
    Engine::new(&config).expect("exceptions are on by default")
}

fn engine() -> Engine {
    engine_with(true)
}

fn module(engine: &Engine, wat: &str) -> Module {
    Module::new(engine, &wat::parse_str(wat).expect("valid wat")).expect("module compiles")
}

fn instantiate(store: &Store, wat: &str, imports: &[Extern]) -> Instance {
    let m = module(store.engine(), wat);
    Instance::new(store, &m, imports).unwrap_or_else(|e| panic!("instantiation failed: {e}"))
}

fn func(instance: &Instance, name: &str) -> Func {
    instance
        .get_export(name)
        .and_then(Extern::into_func)
        .unwrap_or_else(|| panic!("no function export {name}"))
}

fn call(f: &Func, params: &[Val], n: usize) -> Result<Vec<Val>, Trap> {
    let mut results = vec![Val::I32(0); n];
    f.call(params, &mut results)?;
    Ok(results)
}

fn i32_of(v: &Val) -> i32 {
    v.i32()
        .unwrap_or_else(|| panic!("expected an i32, got {v:?}"))
}

const THROWER: &str = r#"(module
    (tag $e (export "e") (param i32))
    (tag $other (export "other"))
    (func $throw (export "throw") (param i32)
        local.get 0
        throw $e)
    (func $deep (export "deep") (param i32 i32)
        ;; recurse $n times, then throw $v
        local.get 0
        if
            local.get 0 i32.const 1 i32.sub
            local.get 1
            call $deep
        else
            local.get 1
            call $throw
        end)
    (func (export "catch-deep") (param i32 i32) (result i32)
        (block $h (result i32)
            (try_table (catch $e $h)
                local.get 0 local.get 1 call $deep)
            i32.const -1))
    (func (export "catch-same-frame") (param i32) (result i32)
        (block $h (result i32)
            (try_table (catch $e $h)
                local.get 0 throw $e)
            i32.const -1))
    (func (export "catch-all") (result i32)
        (block $h
            (try_table (catch_all $h)
                throw $other))
        i32.const 7)
    (func (export "not-matching") (result i32)
        (block $h (result i32)
            (try_table (catch $e $h)
                throw $other)
            i32.const -1))
    (func (export "rethrow") (param i32) (result i32)
        (block $outer (result i32)
            (try_table (catch $e $outer)
                (block $h (result exnref)
                    (try_table (catch_all_ref $h)
                        local.get 0 throw $e)
                    unreachable)
                throw_ref)
            i32.const -1))
    (func (export "throw-null") (throw_ref (ref.null exn)))
    (func (export "locals-survive") (param i32) (result i32)
        (local $x i32)
        i32.const 100
        local.set $x
        (block $h (result i32)
            (try_table (catch $e $h)
                local.get $x local.get 0 i32.add local.set $x
                local.get 0 call $throw)
            i32.const -1)
        local.get $x
        i32.add))
"#;

#[test]
fn throws_are_caught_in_the_same_frame_and_across_frames() {
    for signals in [true, false] {
        let store = Store::new(&engine_with(signals));
        let i = instantiate(&store, THROWER, &[]);
        let v = call(&func(&i, "catch-same-frame"), &[Val::I32(5)], 1).unwrap();
        assert_eq!(i32_of(&v[0]), 5);
        for depth in [0, 1, 10, 1000] {
            let v = call(
                &func(&i, "catch-deep"),
                &[Val::I32(depth), Val::I32(depth + 3)],
                1,
            )
            .unwrap();
            assert_eq!(i32_of(&v[0]), depth + 3, "depth {depth}");
        }
        assert_eq!(i32_of(&call(&func(&i, "catch-all"), &[], 1).unwrap()[0]), 7);
        let v = call(&func(&i, "rethrow"), &[Val::I32(9)], 1).unwrap();
        assert_eq!(i32_of(&v[0]), 9);
        // Locals set before the throw keep their values in the handler.
        let v = call(&func(&i, "locals-survive"), &[Val::I32(4)], 1).unwrap();
        assert_eq!(i32_of(&v[0]), 4 + 104);
        // The store is fine after many throws.
        for n in 0..200 {
            let v = call(&func(&i, "catch-deep"), &[Val::I32(3), Val::I32(n)], 1).unwrap();
            assert_eq!(i32_of(&v[0]), n);
        }
    }
}

#[test]
fn uncaught_exceptions_reach_the_host_with_tag_and_payload() {
    for signals in [true, false] {
        let store = Store::new(&engine_with(signals));
        let i = instantiate(&store, THROWER, &[]);
        let e = i.get_export("e").and_then(Extern::into_tag).unwrap();
        let other = i.get_export("other").and_then(Extern::into_tag).unwrap();
        let trap = call(&func(&i, "deep"), &[Val::I32(5), Val::I32(77)], 0).unwrap_err();
        assert_eq!(trap.kind(), Some(TrapKind::UncaughtException));
        let exn = trap.exception().expect("the trap carries the exception");
        assert!(exn.tag().same(&e));
        assert!(!exn.tag().same(&other));
        assert_eq!(exn.payload().len(), 1);
        assert_eq!(i32_of(&exn.payload()[0]), 77);
        // A clause for another tag lets it through.
        let trap = call(&func(&i, "not-matching"), &[], 1).unwrap_err();
        assert_eq!(trap.kind(), Some(TrapKind::UncaughtException));
        assert!(trap.exception().unwrap().tag().same(&other));
        // throw_ref of null is a null-reference trap, not an exception.
        let trap = call(&func(&i, "throw-null"), &[], 0).unwrap_err();
        assert_eq!(trap.kind(), Some(TrapKind::NullReference));
        assert!(trap.exception().is_none());
        // Wasm still runs normally afterwards.
        let v = call(&func(&i, "catch-same-frame"), &[Val::I32(1)], 1).unwrap();
        assert_eq!(i32_of(&v[0]), 1);
    }
}

#[test]
fn imported_tags_match_their_exporter_and_distinct_definitions_do_not() {
    let store = Store::new(&engine());
    let a = instantiate(&store, THROWER, &[]);
    let e = a.get_export("e").unwrap();
    let importer = r#"(module
        (import "a" "e" (tag $e (param i32)))
        (import "a" "throw" (func $throw (param i32)))
        (tag $local (param i32))
        (func (export "catch-imported") (param i32) (result i32)
            (block $h (result i32)
                (try_table (catch $e $h)
                    local.get 0 call $throw)
                i32.const -1))
        (func (export "catch-local-only") (param i32) (result i32)
            (block $h (result i32)
                (try_table (catch $local $h)
                    local.get 0 call $throw)
                i32.const -1)))"#;
    let throw = a.get_export("throw").unwrap();
    let b = instantiate(&store, importer, &[e, throw]);
    let v = call(&func(&b, "catch-imported"), &[Val::I32(12)], 1).unwrap();
    assert_eq!(i32_of(&v[0]), 12);
    // Same type, different tag: not caught.
    let trap = call(&func(&b, "catch-local-only"), &[Val::I32(12)], 1).unwrap_err();
    assert_eq!(trap.kind(), Some(TrapKind::UncaughtException));
}

#[test]
fn tag_imports_are_checked() {
    let store = Store::new(&engine());
    let wat = r#"(module (import "m" "t" (tag (param i32))))"#;
    let m = module(store.engine(), wat);
    let wrong = Tag::new(&store, TagType::new([ValType::I64]));
    let err = Instance::new(&store, &m, &[wrong.into()]).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("incompatible import type") && text.contains("(tag (param i64))"),
        "{text}"
    );
    let g = Func::new(&store, FuncType::new([], []), Box::new(|_, _| Ok(())));
    let err = Instance::new(&store, &m, &[g.into()]).unwrap_err();
    assert!(err.to_string().contains("expected a tag"), "{err}");
    let right = Tag::new(&store, TagType::new([ValType::I32]));
    Instance::new(&store, &m, &[right.clone().into()]).expect("matching tag");
    assert_eq!(right.ty().to_string(), "(tag (param i32))");
    // Reflection: the module's imports and exports name tags.
    let exports = module(store.engine(), THROWER).exports();
    let tags: Vec<_> = exports
        .iter()
        .filter_map(|(name, ty)| match ty {
            wasm_runtime::module::ExternType::Tag(t) => Some((name.clone(), t.to_string())),
            _ => None,
        })
        .collect();
    assert_eq!(
        tags,
        vec![
            ("e".to_string(), "(tag (param i32))".to_string()),
            ("other".to_string(), "(tag)".to_string())
        ]
    );
}

const HOST_CALLER: &str = r#"(module
    (import "host" "t" (tag $t (param i32 f64)))
    (import "host" "f" (func $f (param i32)))
    (func (export "catch-host") (param i32) (result i32 f64)
        (block $h (result i32 f64)
            (try_table (catch $t $h)
                local.get 0 call $f)
            i32.const -1 f64.const -1))
    (func (export "no-catch") (param i32)
        local.get 0 call $f)
    (func (export "throw-t") (param i32)
        local.get 0 f64.const 2.5 throw $t))
"#;

#[test]
fn host_functions_throw_into_wasm() {
    for signals in [true, false] {
        let store = Store::new(&engine_with(signals));
        let tag = Tag::new(&store, TagType::new([ValType::I32, ValType::F64]));
        let t = tag.clone();
        let host = Func::new(
            &store,
            FuncType::new([ValType::I32], []),
            Box::new(move |params: &[Val], _: &mut [Val]| {
                let n = params[0].i32().unwrap();
                if n < 0 {
                    return Err(Trap::new("plain host failure"));
                }
                let exn = ExnRef::new(&t, &[Val::I32(n * 2), Val::F64(0.5f64.to_bits())])
                    .expect("payload matches");
                Err(Trap::throw(exn))
            }),
        );
        let i = instantiate(&store, HOST_CALLER, &[tag.clone().into(), host.into()]);
        let v = call(&func(&i, "catch-host"), &[Val::I32(21)], 2).unwrap();
        assert_eq!(i32_of(&v[0]), 42);
        assert_eq!(v[1].f64(), Some(0.5));
        // A plain host trap is not an exception: try_table does not see it.
        let trap = call(&func(&i, "catch-host"), &[Val::I32(-1)], 2).unwrap_err();
        assert_eq!(trap.message(), "plain host failure");
        assert!(trap.exception().is_none());
        // Not caught by wasm: the host's exception comes back to the host.
        let trap = call(&func(&i, "no-catch"), &[Val::I32(4)], 0).unwrap_err();
        assert_eq!(trap.kind(), Some(TrapKind::UncaughtException));
        let exn = trap.exception().unwrap();
        assert!(exn.tag().same(&tag));
        assert_eq!(i32_of(&exn.payload()[0]), 8);
    }
}

#[test]
fn exceptions_never_cross_host_frames_but_the_host_may_pass_them_on() {
    let store = Store::new(&engine());
    let thrower = instantiate(&store, THROWER, &[]);
    let e = thrower.get_export("e").unwrap();
    let throw = func(&thrower, "throw");
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    // host → wasm (throws) → back in the host, which sees a trap and
    // returns it: the outer wasm's try_table catches the rethrow.
    let middle = Func::new(
        &store,
        FuncType::new([ValType::I32], []),
        Box::new(move |params: &[Val], _: &mut [Val]| {
            let mut r = [];
            let err = throw.call(params, &mut r).expect_err("the callee throws");
            log.lock().unwrap().push(err.kind());
            Err(err)
        }),
    );
    let outer = r#"(module
        (import "a" "e" (tag $e (param i32)))
        (import "h" "middle" (func $middle (param i32)))
        (func (export "run") (param i32) (result i32)
            (block $h (result i32)
                (try_table (catch $e $h)
                    local.get 0 call $middle)
                i32.const -1)))"#;
    let o = instantiate(&store, outer, &[e, middle.into()]);
    let v = call(&func(&o, "run"), &[Val::I32(31)], 1).unwrap();
    assert_eq!(i32_of(&v[0]), 31);
    assert_eq!(
        *seen.lock().unwrap(),
        vec![Some(TrapKind::UncaughtException)]
    );
}

#[test]
fn exnref_values_pass_through_the_host() {
    let store = Store::new(&engine());
    let wat = r#"(module
        (tag $e (export "e") (param i64))
        (func (export "catch") (param i64) (result exnref)
            (local $x exnref)
            (block $h (result i64 exnref)
                (try_table (catch_ref $e $h)
                    local.get 0 throw $e)
                unreachable)
            local.set $x
            drop
            local.get $x)
        (func (export "rethrow") (param exnref) (throw_ref (local.get 0))))"#;
    let i = instantiate(&store, wat, &[]);
    let v = call(&func(&i, "catch"), &[Val::I64(5)], 1).unwrap();
    let Val::ExnRef(Some(exn)) = &v[0] else {
        panic!("expected an exnref, got {:?}", v[0]);
    };
    assert_eq!(exn.payload()[0].i64(), Some(5));
    let trap = call(&func(&i, "rethrow"), &[v[0].clone()], 0).unwrap_err();
    assert_eq!(trap.kind(), Some(TrapKind::UncaughtException));
    assert!(
        trap.exception().unwrap().same(exn),
        "the same object is rethrown"
    );
    let trap = call(&func(&i, "rethrow"), &[Val::ExnRef(None)], 0).unwrap_err();
    assert_eq!(trap.kind(), Some(TrapKind::NullReference));
}

#[test]
fn serialized_modules_keep_their_handlers() {
    let engine = engine();
    let bytes = module(&engine, THROWER).serialize().expect("serializes");
    let m = Module::deserialize(&engine, &bytes).expect("deserializes");
    let store = Store::new(&engine);
    let i = Instance::new(&store, &m, &[]).unwrap();
    let v = call(&func(&i, "catch-deep"), &[Val::I32(4), Val::I32(8)], 1).unwrap();
    assert_eq!(i32_of(&v[0]), 8);
}

#[test]
fn the_option_off_refuses_modules_naming_it() {
    let mut config = Config::new();
    config.set_wasm_exceptions(false);
    let engine = Engine::new(&config).unwrap();
    let err = Module::new(&engine, &wat::parse_str(THROWER).unwrap()).unwrap_err();
    assert!(err.to_string().contains("wasm_exceptions"), "{err}");
    // Payload checks of host-made exceptions.
    let store = Store::new(&self::engine());
    let tag = Tag::new(&store, TagType::new([ValType::I32]));
    let err = ExnRef::new(&tag, &[Val::I64(1)]).unwrap_err();
    assert!(
        err.to_string().contains("expected a value of type i32"),
        "{err}"
    );
    let err = ExnRef::new(&tag, &[]).unwrap_err();
    assert!(
        err.to_string()
            .contains("takes 1 payload values, 0 were given"),
        "{err}"
    );
}

#[test]
fn fuel_is_counted_through_throws_and_catches() {
    let mut config = Config::new();
    config.set_consume_fuel(true);
    let engine = Engine::new(&config).unwrap();
    let store = Store::new(&engine);
    // Throws and catches forever: only fuel ends it.
    let wat = r#"(module
        (tag $e)
        (func $thrower throw $e)
        (func (export "spin")
            (loop $again
                (block $h
                    (try_table (catch $e $h)
                        call $thrower))
                br $again)))"#;
    let i = instantiate(&store, wat, &[]);
    store.set_fuel(10_000).unwrap();
    let trap = call(&func(&i, "spin"), &[], 0).unwrap_err();
    assert_eq!(trap.kind(), Some(TrapKind::OutOfFuel));
    assert_eq!(store.get_fuel().unwrap(), 0);
}
