//! Typed function references through the Rust API: `call_ref` with
//! arguments the host passes, canonical type ids across modules, import
//! matching with subtyping, non-nullable tables with initialisers, and the
//! checks the runtime makes on values of typed reference types.

use wasm_runtime::config::Config;
use wasm_runtime::engine::Engine;
use wasm_runtime::environ::error::ErrorKind;
use wasm_runtime::environ::TypeKind;
use wasm_runtime::module::{
    ExternType, FuncType, GlobalType, HeapType, Module, RefType, TableType, ValType,
};
use wasm_runtime::runtime::{Extern, Func, Global, Instance, Store, Table, TrapKind, Val};

fn engine() -> Engine {
    let mut config = Config::new();
    config.set_wasm_function_references(true);
    Engine::new(&config).expect("function references are supported")
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

fn call_i32(f: &Func, params: &[Val]) -> Result<i32, String> {
    let mut results = [Val::I32(0)];
    f.call(params, &mut results)
        .map_err(|t| t.message().to_string())?;
    match results[0] {
        Val::I32(v) => Ok(v),
        ref other => panic!("expected an i32, got {other:?}"),
    }
}

/// The concrete heap type of a reference type, in canonical form.
fn canonical_id(ty: ValType) -> u32 {
    match ty {
        ValType::Ref(RefType {
            heap: HeapType::Canonical(id, TypeKind::Func),
            ..
        }) => id,
        other => panic!("expected a concrete reference type, got {other}"),
    }
}

const APPLY: &str = r#"(module
    (type $unary (func (param i32) (result i32)))
    (func $double (export "double") (type $unary) local.get 0 i32.const 2 i32.mul)
    (func $negate (export "negate") (type $unary) i32.const 0 local.get 0 i32.sub)
    (func (export "pair") (param i32 i32) (result i32) local.get 0)
    (func (export "apply") (param $f (ref $unary)) (param $x i32) (result i32)
        local.get $x local.get $f call_ref $unary)
    (func (export "apply_or") (param $f (ref null $unary)) (param $x i32) (result i32)
        (block $null (result i32)
            local.get $x
            local.get $f
            br_on_null $null
            call_ref $unary
            return)
        drop
        i32.const -1)
    (func (export "must") (param $f (ref null $unary)) (result (ref $unary))
        local.get $f ref.as_non_null))"#;

#[test]
fn call_ref_runs_the_function_the_host_passes() {
    let store = Store::new(&engine());
    let i = instantiate(&store, APPLY, &[]);
    let (apply, double, negate) = (func(&i, "apply"), func(&i, "double"), func(&i, "negate"));
    let with = |f: &Func, x: i32| call_i32(&apply, &[Val::FuncRef(Some(f.clone())), Val::I32(x)]);
    assert_eq!(with(&double, 21), Ok(42));
    assert_eq!(with(&negate, 5), Ok(-5));

    // A host function of the same type is as good as a wasm one.
    let triple = Func::new(
        &store,
        double.ty(),
        Box::new(|params, results| {
            let Val::I32(x) = params[0] else {
                panic!("typed")
            };
            results[0] = Val::I32(3 * x);
            Ok(())
        }),
    );
    assert_eq!(triple.type_id(), double.type_id());
    assert_eq!(with(&triple, 7), Ok(21));

    let apply_or = func(&i, "apply_or");
    assert_eq!(
        call_i32(&apply_or, &[Val::FuncRef(Some(double)), Val::I32(4)]),
        Ok(8)
    );
    assert_eq!(
        call_i32(&apply_or, &[Val::FuncRef(None), Val::I32(4)]),
        Ok(-1)
    );
}

#[test]
fn typed_arguments_are_checked_before_the_call() {
    let store = Store::new(&engine());
    let i = instantiate(&store, APPLY, &[]);
    let apply = func(&i, "apply");
    // Null where the type says non-null.
    let err = call_i32(&apply, &[Val::FuncRef(None), Val::I32(1)]).unwrap_err();
    assert!(
        err.contains("argument 0") && err.contains("(ref $type"),
        "{err}"
    );
    // A function of another type.
    let pair = func(&i, "pair");
    let err = call_i32(&apply, &[Val::FuncRef(Some(pair)), Val::I32(1)]).unwrap_err();
    assert!(err.contains("argument 0"), "{err}");
}

#[test]
fn ref_as_non_null_traps_on_null() {
    let store = Store::new(&engine());
    let i = instantiate(&store, APPLY, &[]);
    let must = func(&i, "must");
    let mut out = [Val::FuncRef(None)];
    let trap = must.call(&[Val::FuncRef(None)], &mut out).unwrap_err();
    assert_eq!(trap.kind(), Some(TrapKind::NullReference));
    let double = func(&i, "double");
    must.call(&[Val::FuncRef(Some(double.clone()))], &mut out)
        .expect("a function passes");
    match &out[0] {
        Val::FuncRef(Some(f)) => assert_eq!(f.type_id(), double.type_id()),
        other => panic!("expected the function back, got {other:?}"),
    }
}

#[test]
fn equivalent_types_are_one_type_across_modules() {
    let store = Store::new(&engine());
    // The provider's type sits at index 1, behind an unrelated type.
    let provider = instantiate(
        &store,
        r#"(module
            (type (func (param f64)))
            (type $t (func (param i32) (result i32)))
            (table $tab (export "table") 1 funcref)
            (func $inc (export "inc") (type $t) local.get 0 i32.const 1 i32.add)
            (elem (table $tab) (i32.const 0) func $inc))"#,
        &[],
    );
    let inc = func(&provider, "inc");
    let table = provider
        .get_export("table")
        .and_then(Extern::into_table)
        .unwrap();
    // The user declares the same type at index 0 and calls through its
    // own type index, both directly (an import) and by call_indirect on
    // the provider's table: one canonical id serves both.
    let user = instantiate(
        &store,
        r#"(module
            (type $u (func (param i32) (result i32)))
            (import "p" "inc" (func $inc (type $u)))
            (import "p" "table" (table 1 funcref))
            (func (export "direct") (param i32) (result i32) local.get 0 call $inc)
            (func (export "indirect") (param i32) (result i32)
                local.get 0 i32.const 0 call_indirect (type $u))
            (func (export "by_ref") (param i32) (result i32)
                local.get 0 ref.func $inc call_ref $u)
            (elem declare func $inc))"#,
        &[Extern::Func(inc.clone()), Extern::Table(table)],
    );
    assert_eq!(call_i32(&func(&user, "direct"), &[Val::I32(1)]), Ok(2));
    assert_eq!(call_i32(&func(&user, "indirect"), &[Val::I32(2)]), Ok(3));
    assert_eq!(call_i32(&func(&user, "by_ref"), &[Val::I32(3)]), Ok(4));

    // A type that mentions another concrete type is canonical too: the
    // reflected parameter names the same id as the function's own type.
    let m = module(
        store.engine(),
        r#"(module
            (type (func))
            (type $t (func (param i32) (result i32)))
            (type $h (func (param (ref $t)) (result i32)))
            (import "x" "h" (func (type $h))))"#,
    );
    let (_, _, ExternType::Func(h)) = &m.imports()[0] else {
        panic!("a function import");
    };
    assert_eq!(canonical_id(h.params[0]), inc.type_id());
}

#[test]
fn imports_match_by_canonical_type_and_subtyping() {
    let store = Store::new(&engine());
    let provider = instantiate(
        &store,
        r#"(module
            (type $t (func (result i32)))
            (func $seven (export "seven") (type $t) i32.const 7)
            (func (export "takes_nullable") (param (ref null $t)))
            (global (export "g") (ref $t) (ref.func $seven))
            (global (export "mut_g") (mut (ref null $t)) (ref.null $t)))"#,
        &[],
    );
    let export = |name: &str| provider.get_export(name).unwrap();
    let user = |import: &str, ext: Extern| {
        let wat = format!(r#"(module (type $t (func (result i32))) (import "p" "x" {import}))"#);
        Instance::new(&store, &module(store.engine(), &wat), &[ext])
    };
    // An immutable global may be imported at a supertype.
    for ty in ["(ref $t)", "(ref null $t)", "(ref func)", "funcref"] {
        user(&format!("(global {ty})"), export("g"))
            .unwrap_or_else(|e| panic!("(global {ty}) from (ref $t): {e}"));
    }
    // A mutable one only at its own type.
    user("(global (mut (ref null $t)))", export("mut_g")).expect("exact type links");
    let err = user("(global (mut funcref))", export("mut_g")).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Link { .. }), "{err}");
    assert!(
        err.to_string().contains("(global (mut (ref null $type"),
        "{err}"
    );
    // Function types are final: a function taking (ref null $t) is not one
    // taking (ref $t).
    let err = user("(func (param (ref $t)))", export("takes_nullable")).unwrap_err();
    assert!(
        err.to_string().contains("incompatible import type"),
        "{err}"
    );
}

#[test]
fn non_nullable_tables_start_with_their_initialiser() {
    let store = Store::new(&engine());
    let i = instantiate(
        &store,
        r#"(module
            (type $t (func (result i32)))
            (func $five (type $t) i32.const 5)
            (func $six (type $t) i32.const 6)
            (table $tab (export "table") 4 8 (ref $t) (ref.func $five))
            (elem (table $tab) (i32.const 2) (ref $t) (ref.func $six))
            (func (export "at") (param i32) (result i32)
                local.get 0 table.get $tab call_ref $t))"#,
        &[],
    );
    let at = func(&i, "at");
    let got: Vec<i32> = (0..4)
        .map(|n| call_i32(&at, &[Val::I32(n)]).unwrap())
        .collect();
    assert_eq!(got, [5, 5, 6, 5]);

    let table = i.get_export("table").and_then(Extern::into_table).unwrap();
    let TableType { element, .. } = table.ty();
    assert!(!element.as_ref().unwrap().nullable);
    // The host cannot put null into it, nor a function of another type.
    let err = table.set(0, Val::FuncRef(None)).unwrap_err();
    assert!(
        err.to_string()
            .contains("expected a value of type (ref $type"),
        "{err}"
    );
    let err = table.grow(1, Val::FuncRef(None)).unwrap_err();
    assert!(err.to_string().contains("table.grow"), "{err}");
    let other = Func::new(
        &store,
        FuncType::new([ValType::I32], []),
        Box::new(|_, _| Ok(())),
    );
    assert!(table.set(1, Val::FuncRef(Some(other))).is_err());
    // A function of the element type is accepted and called.
    let Some(Val::FuncRef(Some(six))) = table.get(2) else {
        panic!("element 2 holds $six");
    };
    table
        .grow(2, Val::FuncRef(Some(six)))
        .expect("grows with a function");
    assert_eq!(call_i32(&at, &[Val::I32(5)]), Ok(6));
}

#[test]
fn host_made_typed_globals_and_tables_check_their_values() {
    let store = Store::new(&engine());
    let i = instantiate(&store, APPLY, &[]);
    let double = func(&i, "double");
    let typed = ValType::Ref(RefType {
        nullable: false,
        heap: HeapType::Canonical(double.type_id(), TypeKind::Func),
    });
    let ty = GlobalType {
        content: typed,
        mutable: false,
    };
    Global::new(&store, ty, Val::FuncRef(Some(double.clone()))).expect("a matching function");
    assert!(Global::new(&store, ty, Val::FuncRef(None)).is_err());
    assert!(Global::new(&store, ty, Val::FuncRef(Some(func(&i, "pair")))).is_err());
    let table = TableType {
        element: typed,
        minimum: 2,
        maximum: None,
        table64: false,
    };
    assert!(Table::new(&store, table, Val::FuncRef(None)).is_err());
    let t = Table::new(&store, table, Val::FuncRef(Some(double))).expect("filled with a function");
    assert_eq!(t.size(), 2);
}

#[test]
fn the_option_gates_typed_references() {
    let mut config = Config::new();
    config.set_wasm_function_references(false);
    let engine = Engine::new(&config).unwrap();
    let err = Module::new(&engine, &wat::parse_str(APPLY).unwrap()).unwrap_err();
    let ErrorKind::Unsupported { option, .. } = err.kind() else {
        panic!("expected the disabled proposal to be named, got {err}");
    };
    assert_eq!(option.as_deref(), Some("wasm_function_references"), "{err}");
}
