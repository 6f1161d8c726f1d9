//! Compiler tests: real modules are validated, compiled and executed
//! through the host→wasm trampolines directly (not through the runtime's
//! call entry), against the `VMContext` the runtime's own instantiation
//! built, plus trap-site registration and error messages.
//!
//! The instances use dynamic memories (explicit bounds checks) and never
//! trap: trap delivery needs the runtime's call entry, which these calls
//! bypass.

use wasm_runtime::config::Config;
use wasm_runtime::engine::Engine;
use wasm_runtime::environ::error::ErrorKind;
use wasm_runtime::environ::vmoffsets::runtime_limits;
use wasm_runtime::environ::{FuncType, TrapKind, VMOffsets, ValRaw, ValType};
use wasm_runtime::module::{ExternKind, Module};
use wasm_runtime::runtime::{is_wasm_code, lookup_frame, lookup_trap};
use wasm_runtime::runtime::{Extern, Func, Instance, Store, Val};

/// An instance made by the runtime's own instantiation, whose functions
/// the tests call through the raw trampolines.
struct Harness {
    module: Module,
    instance: Instance,
}

fn engine_with(f: impl FnOnce(&mut Config)) -> Engine {
    let mut config = Config::new();
    // Dynamic memories: every access is checked explicitly, so the plain
    // `Vec` memory below is enough.
    config.set_static_memory_maximum_size(0);
    f(&mut config);
    Engine::new(&config).unwrap()
}

fn compile(engine: &Engine, wat: &str) -> Module {
    Module::new(engine, &wat::parse_str(wat).unwrap()).unwrap()
}

impl Harness {
    fn new(module: Module, imports: impl FnOnce(&Store) -> Vec<Extern>) -> Harness {
        let store = Store::new(module.engine());
        let imports = imports(&store);
        let instance = Instance::new(&store, &module, &imports).unwrap();
        Harness { module, instance }
    }

    fn call(&mut self, name: &str, args: &[ValRaw]) -> Vec<ValRaw> {
        let info = self.module.info();
        let export = info
            .exports
            .iter()
            .find(|e| e.name == name && e.kind == ExternKind::Func)
            .unwrap_or_else(|| panic!("no function export {name}"));
        let ty_index = info.functions[export.index as usize];
        let ty = info.sig(ty_index);
        assert_eq!(ty.params.len(), args.len());
        let mut values = vec![ValRaw::default(); ty.params.len().max(ty.results.len())];
        values[..args.len()].copy_from_slice(args);
        let trampoline = self.module.array_to_wasm_trampoline(ty_index);
        let vmctx = self.instance.vmctx_ptr();
        // SAFETY: the VMContext is the instance's, of this module, the
        // function is defined, and the values array is large enough.
        unsafe {
            trampoline(
                self.module.func_ptr(export.index),
                vmctx,
                vmctx,
                values.as_mut_ptr(),
            )
        };
        values.truncate(ty.results.len());
        values
    }

    fn call_i32(&mut self, name: &str, args: &[i32]) -> i32 {
        let args: Vec<_> = args.iter().map(|a| ValRaw::from_i32(*a)).collect();
        self.call(name, &args)[0].get_i32()
    }

    fn call_i64(&mut self, name: &str, args: &[i64]) -> i64 {
        let args: Vec<_> = args.iter().map(|a| ValRaw::from_i64(*a)).collect();
        self.call(name, &args)[0].get_i64()
    }
}

impl Harness {
    /// The store's runtime limits, which the instance's `VMContext` points
    /// at and compiled code reads.
    fn limits(&mut self) -> &mut [u64; 4] {
        let vmctx = self.instance.vmctx_ptr();
        // SAFETY: the `VMContext` holds the address of its store's limits,
        // four 8-byte fields (`runtime_limits::SIZE`), live while the store
        // is; nothing else touches them while the test holds this borrow.
        unsafe {
            let at = vmctx.add(VMOffsets::RUNTIME_LIMITS as usize);
            &mut *(*(at as *const *mut u8) as *mut [u64; 4])
        }
    }
}

fn run(wat: &str) -> Harness {
    let engine = engine_with(|_| {});
    Harness::new(compile(&engine, wat), |_| Vec::new())
}

#[test]
fn recursive_fib_and_loops() {
    let mut h = run(r#"(module
        (func $fib (export "fib") (param i64) (result i64)
          (if (result i64) (i64.lt_u (local.get 0) (i64.const 2))
            (then (local.get 0))
            (else (i64.add (call $fib (i64.sub (local.get 0) (i64.const 1)))
                           (call $fib (i64.sub (local.get 0) (i64.const 2)))))))
        (func (export "sum") (param i32) (result i32) (local i32)
          (block $done
            (loop $top
              (br_if $done (i32.eqz (local.get 0)))
              (local.set 1 (i32.add (local.get 1) (local.get 0)))
              (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
              (br $top)))
          (local.get 1))
        (func (export "fact") (param i64) (result i64) (local i64)
          (local.set 1 (i64.const 1))
          (loop $l
            (local.set 1 (i64.mul (local.get 1) (local.get 0)))
            (br_if $l (i64.gt_u (local.tee 0 (i64.sub (local.get 0) (i64.const 1))) (i64.const 0))))
          (local.get 1)))"#);
    assert_eq!(h.call_i64("fib", &[20]), 6765);
    assert_eq!(h.call_i32("sum", &[100]), 5050);
    assert_eq!(h.call_i64("fact", &[20]), 2_432_902_008_176_640_000);
}

#[test]
fn multi_value_blocks_and_functions() {
    let mut h = run(r#"(module
        (func $pair (param i32) (result i32 i64)
          (local.get 0) (i64.extend_i32_s (i32.mul (local.get 0) (i32.const 2))))
        (func $add_pair (param i32 i64) (result i64)
          (i64.add (i64.extend_i32_s (local.get 0)) (local.get 1)))
        (func (export "f") (param i32) (result i64)
          (call $pair (local.get 0))
          (block (param i32 i64) (result i64) (call $add_pair)))
        (func (export "swap") (param i32 i32) (result i32 i32)
          (local.get 1) (local.get 0))
        (func (export "loop_sum") (param i32) (result i32)
          (i32.const 0) (local.get 0)
          (loop $l (param i32 i32) (result i32)
            (local.set 0)
            (local.get 0) (i32.add)
            (i32.eqz (local.get 0)) (br_if 1)
            (i32.sub (local.get 0) (i32.const 1))
            (br $l))))"#);
    assert_eq!(h.call_i64("f", &[21]), 63);
    assert_eq!(h.call_i32("loop_sum", &[10]), 55);
    let r = h.call("swap", &[ValRaw::from_i32(1), ValRaw::from_i32(2)]);
    assert_eq!((r[0].get_i32(), r[1].get_i32()), (2, 1));
}

#[test]
fn integer_edge_cases_follow_the_spec() {
    let mut h = run(r#"(module
        (func (export "rem_s") (param i32 i32) (result i32) (i32.rem_s (local.get 0) (local.get 1)))
        (func (export "rem_s64") (param i64 i64) (result i64) (i64.rem_s (local.get 0) (local.get 1)))
        (func (export "div_s") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
        (func (export "div_u") (param i32 i32) (result i32) (i32.div_u (local.get 0) (local.get 1)))
        (func (export "shl") (param i32 i32) (result i32) (i32.shl (local.get 0) (local.get 1)))
        (func (export "rotr") (param i64 i64) (result i64) (i64.rotr (local.get 0) (local.get 1)))
        (func (export "clz") (param i64) (result i64) (i64.clz (local.get 0)))
        (func (export "ext8") (param i32) (result i32) (i32.extend8_s (local.get 0)))
        (func (export "ext32") (param i64) (result i64) (i64.extend32_s (local.get 0)))
        (func (export "lt_u") (param i32 i32) (result i32) (i32.lt_u (local.get 0) (local.get 1))))"#);
    assert_eq!(h.call_i32("rem_s", &[i32::MIN, -1]), 0);
    assert_eq!(h.call_i64("rem_s64", &[i64::MIN, -1]), 0);
    assert_eq!(h.call_i32("rem_s", &[-7, 2]), -1);
    assert_eq!(h.call_i32("div_s", &[-7, 2]), -3);
    assert_eq!(h.call_i32("div_u", &[-1, 2]), i32::MAX);
    assert_eq!(h.call_i32("shl", &[1, 33]), 2);
    assert_eq!(h.call_i64("rotr", &[1, 65]), i64::MIN);
    assert_eq!(h.call_i64("clz", &[0]), 64);
    assert_eq!(h.call_i32("ext8", &[0x80]), -128);
    assert_eq!(h.call_i64("ext32", &[0xffff_ffff]), -1);
    assert_eq!(h.call_i32("lt_u", &[-1, 1]), 0);
}

#[test]
fn float_semantics_follow_the_spec() {
    let mut h = run(r#"(module
        (func (export "min") (param f64 f64) (result f64) (f64.min (local.get 0) (local.get 1)))
        (func (export "max32") (param f32 f32) (result f32) (f32.max (local.get 0) (local.get 1)))
        (func (export "nearest") (param f64) (result f64) (f64.nearest (local.get 0)))
        (func (export "copysign") (param f32 f32) (result f32) (f32.copysign (local.get 0) (local.get 1)))
        (func (export "sat") (param f64) (result i32) (i32.trunc_sat_f64_s (local.get 0)))
        (func (export "sat_u") (param f32) (result i64) (i64.trunc_sat_f32_u (local.get 0)))
        (func (export "trunc") (param f64) (result i32) (i32.trunc_f64_u (local.get 0)))
        (func (export "convert") (param i64) (result f32) (f32.convert_i64_u (local.get 0)))
        (func (export "ne") (param f64 f64) (result i32) (f64.ne (local.get 0) (local.get 1))))"#);
    let f64s = |v: &[f64]| {
        v.iter()
            .map(|x| ValRaw::from_f64_bits(x.to_bits()))
            .collect::<Vec<_>>()
    };
    let f32s = |v: &[f32]| {
        v.iter()
            .map(|x| ValRaw::from_f32_bits(x.to_bits()))
            .collect::<Vec<_>>()
    };
    let min = h.call("min", &f64s(&[0.0, -0.0]))[0].get_f64_bits();
    assert_eq!(min, (-0.0f64).to_bits());
    let min_nan = f64::from_bits(h.call("min", &f64s(&[f64::NAN, 1.0]))[0].get_f64_bits());
    assert!(min_nan.is_nan());
    let max = f32::from_bits(h.call("max32", &f32s(&[-1.0, 3.5]))[0].get_f32_bits());
    assert_eq!(max, 3.5);
    for (x, want) in [(2.5, 2.0), (3.5, 4.0), (-0.5, -0.0), (1e300, 1e300)] {
        let got = f64::from_bits(h.call("nearest", &f64s(&[x]))[0].get_f64_bits());
        assert_eq!(got.to_bits(), f64::to_bits(want), "nearest({x})");
    }
    let cs = f32::from_bits(h.call("copysign", &f32s(&[1.5, -0.0]))[0].get_f32_bits());
    assert_eq!(cs, -1.5);
    assert_eq!(h.call("sat", &f64s(&[1e20]))[0].get_i32(), i32::MAX);
    assert_eq!(h.call("sat", &f64s(&[f64::NAN]))[0].get_i32(), 0);
    assert_eq!(h.call("sat_u", &f32s(&[-5.0]))[0].get_i64(), 0);
    assert_eq!(
        h.call("trunc", &f64s(&[4_000_000_000.9]))[0].get_i32() as u32,
        4_000_000_000
    );
    let c = f32::from_bits(h.call("convert", &[ValRaw::from_i64(-1)])[0].get_f32_bits());
    assert_eq!(c, 18446744073709551615.0f32);
    assert_eq!(h.call("ne", &f64s(&[f64::NAN, f64::NAN]))[0].get_i32(), 1);
}

#[test]
fn memory_globals_select_and_br_table() {
    let mut h = run(r#"(module
        (memory 1)
        (global $g (mut i64) (i64.const 40))
        (data (i32.const 0) "")
        (func (export "mem") (param i32 i32) (result i32)
          (i32.store offset=4 (local.get 0) (local.get 1))
          (i32.add (i32.load8_u offset=7 (local.get 0))
                   (i32.load16_s offset=4 (local.get 0))))
        (func (export "glob") (result i64)
          (global.set $g (i64.add (global.get $g) (i64.const 2)))
          (global.get $g))
        (func (export "sel") (param i32) (result i32)
          (select (i32.const 10) (i32.const 20) (local.get 0)))
        (func (export "size") (result i32) (memory.size))
        (func (export "table") (param i32) (result i32)
          (block $a (result i32)
            (block $b (result i32)
              (block $c (result i32)
                (i32.const 100) (local.get 0)
                (br_table $a $b $c))
              (i32.add (i32.const 1)))
            (i32.add (i32.const 10)))))"#);
    assert_eq!(
        h.call_i32("mem", &[8, 0x1234_8001]),
        0x12 + (0x8001u16 as i16 as i32)
    );
    assert_eq!(h.call_i64("glob", &[]), 42);
    assert_eq!(h.call_i64("glob", &[]), 44);
    assert_eq!(h.call_i32("sel", &[1]), 10);
    assert_eq!(h.call_i32("sel", &[0]), 20);
    assert_eq!(h.call_i32("size", &[]), 1);
    assert_eq!(h.call_i32("table", &[0]), 100);
    assert_eq!(h.call_i32("table", &[1]), 110);
    assert_eq!(h.call_i32("table", &[2]), 111);
    assert_eq!(h.call_i32("table", &[9]), 111);
}

#[test]
fn call_indirect_and_ref_func() {
    let mut h = run(r#"(module
        (type $unary (func (param i32) (result i32)))
        (table 4 funcref)
        (elem (i32.const 1) $double $square)
        (func $double (type $unary) (i32.mul (local.get 0) (i32.const 2)))
        (func $square (type $unary) (i32.mul (local.get 0) (local.get 0)))
        (func (export "apply") (param i32 i32) (result i32)
          (call_indirect (type $unary) (local.get 1) (local.get 0)))
        (func (export "is_null") (param i32) (result i32)
          (ref.is_null (table.get (local.get 0))))
        (func (export "size") (result i32) (table.size))
        (func (export "set_get") (result i32)
          (table.set (i32.const 3) (ref.func $double))
          (call_indirect (type $unary) (i32.const 21) (i32.const 3))))"#);
    assert_eq!(h.call_i32("apply", &[1, 7]), 14);
    assert_eq!(h.call_i32("apply", &[2, 7]), 49);
    assert_eq!(h.call_i32("is_null", &[0]), 1);
    assert_eq!(h.call_i32("is_null", &[2]), 0);
    assert_eq!(h.call_i32("size", &[]), 4);
    assert_eq!(h.call_i32("set_get", &[]), 42);
}

#[test]
fn a_million_tail_calls_run_in_constant_stack() {
    let mut h = run(r#"(module
        (type $t (func (param i64 i64) (result i64)))
        (table 1 funcref)
        (elem (i32.const 0) $even_odd)
        (func $count (export "count") (param i64 i64) (result i64)
          (if (result i64) (i64.eqz (local.get 0))
            (then (local.get 1))
            (else (return_call $count (i64.sub (local.get 0) (i64.const 1))
                                      (i64.add (local.get 1) (i64.const 1))))))
        (func $even_odd (export "indirect") (param i64 i64) (result i64)
          (if (result i64) (i64.eqz (local.get 0))
            (then (local.get 1))
            (else (return_call_indirect (type $t)
                    (i64.sub (local.get 0) (i64.const 1))
                    (i64.add (local.get 1) (i64.const 2))
                    (i32.const 0))))))"#);
    assert_eq!(h.call_i64("count", &[1_000_000, 0]), 1_000_000);
    assert_eq!(h.call_i64("indirect", &[1_000_000, 0]), 2_000_000);
}

/// The host function `add`: `(i32, i64) -> i64`, the sum.
fn host_add(store: &Store) -> Extern {
    let ty = FuncType::new([ValType::I32, ValType::I64], [ValType::I64]);
    let add = Func::new(
        store,
        ty,
        Box::new(|params: &[Val], results: &mut [Val]| {
            assert!(params.len() >= 2);
            let (Val::I32(a), Val::I64(b)) = (&params[0], &params[1]) else {
                panic!("arguments of the wrong types: {params:?}");
            };
            results[0] = Val::I64(*a as i64 + *b);
            Ok(())
        }),
    );
    Extern::Func(add)
}

#[test]
fn imported_host_function_through_wasm_to_host_trampoline() {
    let engine = engine_with(|_| {});
    let module = compile(
        &engine,
        r#"(module
            (import "env" "add" (func $add (param i32 i64) (result i64)))
            (func (export "f") (param i32) (result i64)
              (call $add (local.get 0) (i64.const 1000))))"#,
    );
    let mut h = Harness::new(module, |store| vec![host_add(store)]);
    assert_eq!(h.call_i64("f", &[-1]), 999);
}

#[test]
fn sequential_and_parallel_compilation_agree() {
    let mut wat = String::from("(module");
    for i in 0..40 {
        wat.push_str(&format!(
            "(func (export \"f{i}\") (param i32) (result i32) (i32.add (local.get 0) (i32.const {i})))"
        ));
    }
    wat.push(')');
    for parallel in [false, true] {
        let engine = engine_with(|c| {
            c.set_parallel_compilation(parallel);
        });
        let mut h = Harness::new(compile(&engine, &wat), |_| Vec::new());
        for i in [0, 17, 39] {
            assert_eq!(h.call_i32(&format!("f{i}"), &[1]), 1 + i);
        }
    }
}

/// Every trap kind registered inside the code of function `func_index`.
fn trap_kinds_in(module: &Module, func_index: u32) -> Vec<TrapKind> {
    let start = module.func_ptr(func_index) as usize;
    let mut kinds = Vec::new();
    let mut pc = start;
    while lookup_frame(pc).is_some_and(|f| f.func_index == func_index) {
        if let Some(kind) = lookup_trap(pc) {
            kinds.push(kind);
        }
        pc += 1;
    }
    kinds
}

#[test]
fn trap_sites_are_registered() {
    // Default engine: static memories with guard pages, so loads are
    // faulting trap sites rather than explicit checks.
    let engine = Engine::new(&Config::new()).unwrap();
    let module = compile(
        &engine,
        r#"(module
            (memory 1)
            (table 1 funcref)
            (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
            (func (export "unreachable") unreachable)
            (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
            (func (export "indirect") (param i32) (call_indirect (local.get 0)))
            (func (export "trunc") (param f64) (result i32) (i32.trunc_f64_s (local.get 0)))
            (func $rec (export "rec") (call $rec)))"#,
    );
    // Leaf functions without a frame need no stack check; callers do.
    assert!(trap_kinds_in(&module, 5).contains(&TrapKind::StackOverflow));
    let div = trap_kinds_in(&module, 0);
    assert!(div.contains(&TrapKind::IntegerDivisionByZero), "{div:?}");
    assert!(div.contains(&TrapKind::IntegerOverflow), "{div:?}");
    assert!(trap_kinds_in(&module, 1).contains(&TrapKind::UnreachableCodeReached));
    assert!(trap_kinds_in(&module, 2).contains(&TrapKind::MemoryOutOfBounds));
    let indirect = trap_kinds_in(&module, 3);
    for kind in [
        TrapKind::TableOutOfBounds,
        TrapKind::IndirectCallToNull,
        TrapKind::BadSignature,
    ] {
        assert!(
            indirect.contains(&kind),
            "{kind:?} missing from {indirect:?}"
        );
    }
    let trunc = trap_kinds_in(&module, 4);
    assert!(
        trunc.contains(&TrapKind::BadConversionToInteger),
        "{trunc:?}"
    );
    assert!(trunc.contains(&TrapKind::IntegerOverflow), "{trunc:?}");

    let pc = module.func_ptr(2) as usize;
    assert!(is_wasm_code(pc));
    let frame = lookup_frame(pc).unwrap();
    assert_eq!(frame.code_id, module.code_id());
    let code_start = module.func_ptr(0) as usize;
    drop(module);
    assert!(
        !is_wasm_code(code_start),
        "code unregisters when the module drops"
    );
}

#[test]
fn address_map_gives_wasm_offsets() {
    let engine = engine_with(|_| {});
    let wasm = wat::parse_str(
        r#"(module (func (export "f") (param i32) (result i32)
            (i32.add (local.get 0) (i32.const 1))))"#,
    )
    .unwrap();
    let module = Module::new(&engine, &wasm).unwrap();
    let body = module.info().func_bodies[0].clone();
    let start = module.func_ptr(0) as usize;
    let mut found = false;
    let mut pc = start;
    while let Some(frame) = lookup_frame(pc) {
        if let Some(offset) = frame.module_offset {
            assert!(body.contains(&offset), "{offset} outside {body:?}");
            found = true;
        }
        pc += 1;
    }
    assert!(found, "no instruction mapped to a wasm offset");

    let engine = engine_with(|c| {
        c.set_generate_address_map(false);
    });
    let module = Module::new(&engine, &wasm).unwrap();
    let frame = lookup_frame(module.func_ptr(0) as usize).unwrap();
    assert_eq!(frame.module_offset, None);
}

#[test]
fn disabled_features_are_named_with_offsets() {
    // (module, configuration, the proposal and the option that enables it)
    type Case = (
        &'static str,
        fn(&mut Config),
        Option<(&'static str, &'static str)>,
    );
    let cases: [Case; 11] = [
        (
            "(module (func (result i32 i32) (i32.const 1) (i32.const 2)))",
            |c| {
                c.set_wasm_multi_value(false);
            },
            Some(("multi-value", "wasm_multi_value")),
        ),
        (
            "(module (func (param i32) (result i32) (i32.extend8_s (local.get 0))))",
            |_| {},
            None,
        ),
        (
            "(module (func $f (return_call $f)))",
            |c| {
                c.set_wasm_tail_call(false);
            },
            Some(("tail call", "wasm_tail_call")),
        ),
        (
            "(module (memory 1) (func (memory.fill (i32.const 0) (i32.const 0) (i32.const 0))))",
            |c| {
                c.set_wasm_reference_types(false);
                c.set_wasm_threads(false);
                c.set_wasm_bulk_memory(false);
            },
            Some(("bulk memory", "wasm_bulk_memory")),
        ),
        (
            "(module (memory 1) (memory 1))",
            |c| {
                c.set_wasm_multi_memory(false);
            },
            Some(("multi-memory", "wasm_multi_memory")),
        ),
        (
            "(module (func (result externref) (ref.null extern)))",
            |c| {
                c.set_wasm_reference_types(false);
            },
            Some(("reference types", "wasm_reference_types")),
        ),
        (
            "(module (global i32 (i32.add (i32.const 1) (i32.const 2))))",
            |c| {
                c.set_wasm_extended_const(false);
            },
            Some(("extended-const", "wasm_extended_const")),
        ),
        (
            "(module (func (param v128)))",
            |c| {
                c.set_wasm_relaxed_simd(false);
                c.set_wasm_simd(false);
            },
            Some(("SIMD", "wasm_simd")),
        ),
        (
            "(module (func (result i32) (i32x4.extract_lane 0 (v128.const i64x2 1 2))))",
            |c| {
                c.set_wasm_relaxed_simd(false);
                c.set_wasm_simd(false);
            },
            Some(("SIMD", "wasm_simd")),
        ),
        (
            "(module (func (param v128) (result v128) (i8x16.relaxed_swizzle (local.get 0) (local.get 0))))",
            |c| {
                c.set_wasm_relaxed_simd(false);
            },
            Some(("relaxed SIMD", "wasm_relaxed_simd")),
        ),
        (
            "(module (func (param v128) (result v128) (i8x16.swizzle (local.get 0) (local.get 0))))",
            |c| {
                c.set_wasm_relaxed_simd(false);
            },
            None,
        ),
    ];
    for (wat, configure, expected) in cases {
        let engine = engine_with(configure);
        let wasm = wat::parse_str(wat).unwrap();
        let result = Module::new(&engine, &wasm);
        let Some((feature, option)) = expected else {
            result.unwrap();
            continue;
        };
        let err = result.unwrap_err();
        let ErrorKind::Unsupported {
            feature: named,
            option: enabling,
            offset,
        } = err.kind()
        else {
            panic!("{wat}: expected an unsupported proposal, got {err:?}");
        };
        assert_eq!(
            (named.as_str(), enabling.as_deref()),
            (feature, Some(option)),
            "{wat}"
        );
        let offset = offset.unwrap_or_else(|| panic!("{wat}: no offset in {err}"));
        assert!(offset > 8 && offset < wasm.len(), "{wat}: offset {offset}");
        // The message says it too, for people (the C API's text).
        assert!(
            err.to_string()
                .contains(&format!("wasm_config_{option}_set")),
            "{err}"
        );
        let validate = Module::validate(&engine, &wasm).unwrap_err();
        assert_eq!(validate.kind(), err.kind(), "{wat}");
    }
}

/// Typed function references, once their option is on, validate and
/// compile: nothing is refused or blamed on another proposal.
#[test]
fn typed_references_compile_with_their_option() {
    let engine = engine_with(|c| {
        c.set_wasm_function_references(true);
    });
    let wasm = wat::parse_str(
        "(module (type $t (func)) (func (param (ref func)) (param (ref null $t)) \
         local.get 1 br_on_null 0 call_ref $t))",
    )
    .unwrap();
    Module::validate(&engine, &wasm).expect("valid");
    Module::new(&engine, &wasm).expect("compiles");
}

#[test]
fn verifier_accepts_the_translation() {
    let engine = engine_with(|c| {
        c.set_cranelift_debug_verifier(true);
    });
    let mut h = Harness::new(
        compile(
            &engine,
            r#"(module (memory 1)
              (func (export "f") (param i32) (result i32)
                (block (result i32)
                  (br_if 0 (i32.const 7) (local.get 0))
                  (drop)
                  (if (result i32) (local.get 0) (then (i32.const 1)) (else (unreachable))))))"#,
        ),
        |_| Vec::new(),
    );
    assert_eq!(h.call_i32("f", &[1]), 7);
}

#[test]
fn imports_and_exports_are_reflected() {
    let engine = engine_with(|_| {});
    let module = compile(
        &engine,
        r#"(module
            (import "a" "f" (func (param i32)))
            (import "a" "m" (memory 1))
            (global (export "g") i32 (i32.const 1))
            (func (export "h") (result i64) (i64.const 0)))"#,
    );
    let imports = module.imports();
    assert_eq!(imports.len(), 2);
    assert_eq!((imports[0].0.as_str(), imports[0].1.as_str()), ("a", "f"));
    let exports = module.exports();
    assert_eq!(exports[0].0, "g");
    assert_eq!(exports[1].0, "h");
    assert!(module.same(&module.clone()));
    assert_eq!(module.memory_plans().len(), 1);
    assert!(!module.memory_plans()[0].is_static());
}

#[test]
fn fuel_is_counted_per_operator_and_checked() {
    let engine = engine_with(|c| {
        c.set_consume_fuel(true);
    });
    let module = compile(
        &engine,
        r#"(module
            (func (export "spin") (param i32) (result i32)
              (loop $l
                (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
                (br_if $l (local.get 0)))
              (local.get 0))
            (func (export "noop")))"#,
    );
    let kinds = trap_kinds_in(&module, 0);
    assert!(kinds.contains(&TrapKind::OutOfFuel), "{kinds:?}");
    let mut h = Harness::new(module, |_| Vec::new());
    let fuel = (runtime_limits::FUEL_CONSUMED / 8) as usize;
    h.limits()[fuel] = (-1000i64) as u64;
    assert_eq!(h.call_i32("spin", &[10]), 0);
    // Per iteration: local.get, i32.const, i32.sub, local.set, local.get,
    // br_if = 6; then the final local.get = 1.
    assert_eq!(h.limits()[fuel] as i64, -1000 + 10 * 6 + 1);
    h.limits()[fuel] = (-5i64) as u64;
    h.call("noop", &[]);
    assert_eq!(
        h.limits()[fuel] as i64,
        -5,
        "an empty function costs nothing"
    );
}

#[test]
fn epoch_deadline_is_checked_at_entries_and_loop_headers() {
    let engine = engine_with(|c| {
        c.set_epoch_interruption(true);
    });
    let module = compile(
        &engine,
        r#"(module
            (func (export "spin") (param i32) (result i32)
              (loop $l
                (br_if $l (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))
              (local.get 0)))"#,
    );
    let kinds = trap_kinds_in(&module, 0);
    assert_eq!(
        kinds.iter().filter(|k| **k == TrapKind::Interrupt).count(),
        2,
        "{kinds:?}"
    );
    let mut h = Harness::new(module, |_| Vec::new());
    let epoch = Box::new(std::sync::atomic::AtomicU64::new(5));
    h.limits()[(runtime_limits::EPOCH_DEADLINE / 8) as usize] = 6;
    h.limits()[(runtime_limits::EPOCH_COUNTER_PTR / 8) as usize] = &*epoch as *const _ as u64;
    assert_eq!(h.call_i32("spin", &[100]), 0);
}

#[test]
fn emit_clif_writes_one_file_per_function() {
    let dir = std::env::temp_dir().join(format!("wasm-runtime-clif-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let engine = engine_with(|c| {
        c.set_emit_clif(Some(&dir));
    });
    compile(
        &engine,
        r#"(module (import "a" "b" (func)) (func (call 0)) (func))"#,
    );
    let clif = std::fs::read_to_string(dir.join("wasm-func1.clif")).unwrap();
    assert!(clif.contains("function u0:1"), "{clif}");
    assert!(dir.join("wasm-func2.clif").exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Traps raised by compiled code reach the host through the runtime with
/// the kind the spec names (needs the runtime's signal handling).
#[test]
fn compiled_traps_have_the_spec_kinds_end_to_end() {
    use wasm_runtime::runtime::{Extern, Instance, Store, Val};
    let mut config = Config::new();
    config.set_consume_fuel(true);
    let engine = Engine::new(&config).unwrap();
    let module = compile(
        &engine,
        r#"(module
            (memory 1)
            (table 2 funcref)
            (elem (i32.const 0) $div)
            (func $div (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
            (func (export "rem") (param i32 i32) (result i32) (i32.rem_s (local.get 0) (local.get 1)))
            (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
            (func (export "trunc") (param f32) (result i32) (i32.trunc_f32_s (local.get 0)))
            (func (export "unreachable") unreachable)
            (func (export "indirect") (param i32) (result i32)
              (call_indirect (param i32 i32) (result i32) (i32.const 1) (i32.const 1) (local.get 0)))
            (func (export "bad_sig") (call_indirect (i32.const 0)))
            (func $rec (export "rec") (param i32) (result i32) (i32.add (call $rec (local.get 0)) (i32.const 1)))
            (func (export "spin") (loop $l (br $l)))
            (func (export "fill") (param i32) (memory.fill (local.get 0) (i32.const 0) (i32.const 16))))"#,
    );
    let store = Store::new(&engine);
    store.set_fuel(1_000_000).unwrap();
    let instance = Instance::new(&store, &module, &[]).unwrap();
    let call = |name: &str, params: &[Val], results: usize| {
        let Some(Extern::Func(f)) = instance.get_export(name) else {
            panic!("no export {name}")
        };
        let mut out = vec![Val::I32(0); results];
        f.call(params, &mut out).map(|()| out)
    };
    let kind = |r: Result<Vec<Val>, wasm_runtime::runtime::Trap>| r.unwrap_err().kind();
    let i32s = |v: &[i32]| v.iter().map(|x| Val::I32(*x)).collect::<Vec<_>>();
    assert_eq!(
        kind(call("div", &i32s(&[1, 0]), 1)),
        Some(TrapKind::IntegerDivisionByZero)
    );
    assert_eq!(
        kind(call("div", &i32s(&[i32::MIN, -1]), 1)),
        Some(TrapKind::IntegerOverflow)
    );
    assert!(matches!(
        call("rem", &i32s(&[i32::MIN, -1]), 1).unwrap()[..],
        [Val::I32(0)]
    ));
    assert_eq!(
        kind(call("load", &i32s(&[65534]), 1)),
        Some(TrapKind::MemoryOutOfBounds)
    );
    assert_eq!(
        kind(call("load", &i32s(&[-1]), 1)),
        Some(TrapKind::MemoryOutOfBounds)
    );
    let nan = [Val::F32(f32::NAN.to_bits())];
    assert_eq!(
        kind(call("trunc", &nan, 1)),
        Some(TrapKind::BadConversionToInteger)
    );
    let big = [Val::F32(3e9f32.to_bits())];
    assert_eq!(
        kind(call("trunc", &big, 1)),
        Some(TrapKind::IntegerOverflow)
    );
    assert_eq!(
        kind(call("unreachable", &[], 0)),
        Some(TrapKind::UnreachableCodeReached)
    );
    assert!(matches!(
        call("indirect", &i32s(&[0]), 1).unwrap()[..],
        [Val::I32(1)]
    ));
    assert_eq!(
        kind(call("indirect", &i32s(&[1]), 1)),
        Some(TrapKind::IndirectCallToNull)
    );
    assert_eq!(
        kind(call("indirect", &i32s(&[2]), 1)),
        Some(TrapKind::TableOutOfBounds)
    );
    assert_eq!(kind(call("bad_sig", &[], 0)), Some(TrapKind::BadSignature));
    assert_eq!(
        kind(call("rec", &i32s(&[0]), 1)),
        Some(TrapKind::StackOverflow)
    );
    assert_eq!(
        kind(call("fill", &i32s(&[65530]), 0)),
        Some(TrapKind::MemoryOutOfBounds)
    );
    assert_eq!(kind(call("spin", &[], 0)), Some(TrapKind::OutOfFuel));
    // Execution goes on normally after every trap.
    store.set_fuel(1_000_000).unwrap();
    assert!(matches!(
        call("div", &i32s(&[7, 2]), 1).unwrap()[..],
        [Val::I32(3)]
    ));
}

/// A deserialized module runs and traps like the freshly compiled one.
#[test]
fn deserialized_modules_run_without_recompiling() {
    use wasm_runtime::runtime::{Extern, Instance, Store, Val};
    let engine = Engine::new(&Config::new()).unwrap();
    let original = compile(
        &engine,
        r#"(module
            (func $fib (export "fib") (param i64) (result i64)
              (if (result i64) (i64.lt_u (local.get 0) (i64.const 2))
                (then (local.get 0))
                (else (i64.add (call $fib (i64.sub (local.get 0) (i64.const 1)))
                               (call $fib (i64.sub (local.get 0) (i64.const 2)))))))
            (func (export "div") (param i32) (result i32) (i32.div_u (i32.const 1) (local.get 0))))"#,
    );
    let bytes = original.serialize().unwrap();
    drop(original);
    // Serialized again after loading (its calls between functions were
    // resolved in the stored image), it still loads and runs.
    let reloaded = Module::deserialize(&engine, &bytes).unwrap();
    let module = Module::deserialize(&engine, &reloaded.serialize().unwrap()).unwrap();
    drop(reloaded);
    let store = Store::new(&engine);
    let instance = Instance::new(&store, &module, &[]).unwrap();
    let func = |name: &str| match instance.get_export(name) {
        Some(Extern::Func(f)) => f,
        _ => panic!("no export {name}"),
    };
    let mut out = [Val::I64(0)];
    func("fib").call(&[Val::I64(20)], &mut out).unwrap();
    assert!(matches!(out, [Val::I64(6765)]));
    let mut out = [Val::I32(0)];
    let trap = func("div").call(&[Val::I32(0)], &mut out).unwrap_err();
    assert_eq!(trap.kind(), Some(TrapKind::IntegerDivisionByZero));
}

/// A deserialized module knows which functions escape (here one reached
/// only through `ref.func` in a body, which loading no longer decodes) from
/// the artifact, and its funcref works.
#[test]
fn deserialized_modules_keep_which_functions_escape() {
    use wasm_runtime::runtime::{Extern, Instance, Store, Val};
    let engine = Engine::new(&Config::new()).unwrap();
    let original = compile(
        &engine,
        r#"(module
            (type $t (func (result i32)))
            (elem declare func $seven)
            (func $seven (type $t) (i32.const 7))
            (func $plain (result i32) (i32.const 1))
            (func (export "get") (result funcref) (ref.func $seven))
            (func (export "call") (param funcref) (result i32)
              (table.set $tab (i32.const 0) (local.get 0))
              (call_indirect $tab (type $t) (i32.const 0)))
            (table $tab 1 funcref))"#,
    );
    assert_eq!(original.info().escaped_funcs, vec![true, false, true, true]);
    let module = Module::deserialize(&engine, &original.serialize().unwrap()).unwrap();
    assert_eq!(module.info().escaped_funcs, original.info().escaped_funcs);
    let store = Store::new(&engine);
    let instance = Instance::new(&store, &module, &[]).unwrap();
    let func = |name: &str| match instance.get_export(name) {
        Some(Extern::Func(f)) => f,
        _ => panic!("no export {name}"),
    };
    let mut out = [Val::FuncRef(None)];
    func("get").call(&[], &mut out).unwrap();
    assert!(matches!(&out, [Val::FuncRef(Some(_))]));
    let mut result = [Val::I32(0)];
    func("call").call(&out, &mut result).unwrap();
    assert!(matches!(result, [Val::I32(7)]));
}

/// A serialized module carries its signatures' trampolines: a fresh engine
/// (which has compiled none) loads it and calls through them both ways,
/// host to wasm and wasm to a host function of a signature only the
/// artifact's trampolines provide.
#[test]
fn deserialized_modules_bring_their_trampolines_to_a_fresh_engine() {
    use wasm_runtime::environ::{FuncType, ValType};
    use wasm_runtime::runtime::{Extern, Func, Instance, Store, Val};
    let wat = r#"(module
        (import "host" "mix" (func $mix (param i64 f64 i32) (result f64 i64)))
        (func (export "run") (param i64) (result f64 i64)
          (call $mix (local.get 0) (f64.const 0.5) (i32.const 3))))"#;
    let bytes = compile(&Engine::new(&Config::new()).unwrap(), wat)
        .serialize()
        .unwrap();
    let engine = Engine::new(&Config::new()).unwrap();
    let module = Module::deserialize(&engine, &bytes).unwrap();
    let store = Store::new(&engine);
    let ty = FuncType::new(
        [ValType::I64, ValType::F64, ValType::I32],
        [ValType::F64, ValType::I64],
    );
    let mix = Func::new(
        &store,
        ty,
        Box::new(|args, results| {
            let (Val::I64(a), Val::F64(b), Val::I32(c)) = (&args[0], &args[1], &args[2]) else {
                panic!("argument types");
            };
            results[0] = Val::F64((f64::from_bits(*b) * f64::from(*c)).to_bits());
            results[1] = Val::I64(a * 10);
            Ok(())
        }),
    );
    let instance = Instance::new(&store, &module, &[Extern::Func(mix)]).unwrap();
    let Some(Extern::Func(run)) = instance.get_export("run") else {
        panic!("no export run");
    };
    let mut out = [Val::F64(0), Val::I64(0)];
    run.call(&[Val::I64(4)], &mut out).unwrap();
    assert!(matches!(out, [Val::F64(bits), Val::I64(40)] if f64::from_bits(bits) == 1.5));
}

/// Deserializing trusts that the binary's function bodies were validated
/// when it was serialized (it does not validate them again), so an engine
/// whose enabled proposals differ refuses the module, naming the reason,
/// rather than run a body its own validator would have refused.
#[test]
fn deserializing_needs_the_proposals_the_module_was_validated_under() {
    let simd_body = r#"(module (func (export "f") (result i32)
        (i32x4.extract_lane 0 (i32x4.splat (i32.const 7)))))"#;
    let with_simd = Engine::new(&Config::new()).unwrap();
    let bytes = compile(&with_simd, simd_body).serialize().unwrap();
    assert!(Module::deserialize(&with_simd, &bytes).is_ok());

    let mut config = Config::new();
    config.set_wasm_relaxed_simd(false).set_wasm_simd(false);
    let without_simd = Engine::new(&config).unwrap();
    let Err(err) = Module::deserialize(&without_simd, &bytes) else {
        panic!("an engine without SIMD must refuse the SIMD module");
    };
    let message = err.to_string();
    assert!(
        message.contains("the enabled WebAssembly proposals"),
        "unexpected message: {message}"
    );
}

#[test]
fn many_params_and_results_cross_calls_and_trampolines() {
    let params: String = (0..20).map(|_| " i64").collect();
    let gets: String = (0..20).map(|i| format!(" (local.get {i})")).collect();
    let wat = format!(
        r#"(module
            (type $t (func (param{params}) (result{params})))
            (table 1 funcref)
            (elem (i32.const 0) $id)
            (func $id (type $t){gets})
            (func (export "direct") (type $t) (call $id{gets}))
            (func (export "indirect") (type $t) (call_indirect (type $t){gets} (i32.const 0)))
            (func (export "tail") (type $t) (return_call $id{gets})))"#
    );
    // The engine turns on Cranelift's implicit return area, so signatures
    // with more results than return registers compile by default.
    let engine = Engine::new(&Config::new()).unwrap();
    let mut h = Harness::new(compile(&engine, &wat), |_| Vec::new());
    let args: Vec<ValRaw> = (0..20).map(|i| ValRaw::from_i64(i * 1000 + 7)).collect();
    for name in ["direct", "indirect", "tail"] {
        let out = h.call(name, &args);
        let got: Vec<i64> = out.iter().map(|v| v.get_i64()).collect();
        let want: Vec<i64> = (0..20).map(|i| i * 1000 + 7).collect();
        assert_eq!(got, want, "{name}");
    }
}
