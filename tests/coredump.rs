//! `coredump_on_trap`: a trap that leaves wasm carries a wasm coredump in
//! the tool-conventions format. The dump of a trap three calls deep (and
//! of a host trap returned through two wasm frames) must validate as a
//! wasm module, name the frames' function indices innermost first with the
//! trap's own code offsets, list each frame's locals, and hold the memory
//! bytes and global values the module wrote before trapping. The locals
//! have their values (typed) where the compiler recorded where they are:
//! in the trapping frame, registers and spill slots; in outer frames,
//! spill slots (with or without signals-based traps). With the option off
//! there is none.

use wasm_runtime::capi::engine::{wasm_config_new, wasm_engine_new_with_config, wasm_engine_t};
use wasm_runtime::capi::ext::config::wasm_config_coredump_on_trap_set;
use wasm_runtime::capi::ext::trap::wasm_trap_coredump;
use wasm_runtime::capi::ext::wat::wasm_wat2wasm;
use wasm_runtime::capi::func::wasm_func_call;
use wasm_runtime::capi::instance::{wasm_instance_exports, wasm_instance_new};
use wasm_runtime::capi::module::wasm_module_new;
use wasm_runtime::capi::r#extern::{wasm_extern_as_func_const, wasm_extern_t};
use wasm_runtime::capi::store::{wasm_store_new, wasm_store_t};
use wasm_runtime::capi::trap::{wasm_trap_delete, wasm_trap_new};
use wasm_runtime::capi::vec::{wasm_byte_vec_t, wasm_extern_vec_t, wasm_val_vec_t, CVec};
use wasm_runtime::config::Config;
use wasm_runtime::engine::Engine;
use wasm_runtime::module::{FuncType, Module};
use wasm_runtime::runtime::{Extern, Func, Instance, Store, Trap, Val};
use wasmparser::{
    BinaryReader, CoreDumpInstancesSection, CoreDumpModulesSection, CoreDumpSection,
    CoreDumpStackSection, CoreDumpValue, DataKind, Operator, Parser, Payload,
};

const WAT: &str = r#"
(module $dumped
  (import "host" "fail" (func $fail))                    ;; 0
  (memory (export "mem") 2)
  (global $g32 (mut i32) (i32.const 0))
  (global $g64 (mut i64) (i64.const 0))
  (global $gf64 (mut f64) (f64.const 0))
  (global $const i32 (i32.const 7))
  (func $inner (param i32)                               ;; 1
    (i32.store (i32.const 100) (i32.const 0xdeadbeef))
    (i32.store8 (i32.const 70000) (i32.const 0x5a))
    (global.set $g32 (local.get 0))
    (global.set $g64 (i64.const 0x1122334455667788))
    (global.set $gf64 (f64.const 2.5))
    unreachable)
  (func $middle (param i32)                              ;; 2
    (call $inner (i32.add (local.get 0) (i32.const 1))))
  (func (export "run")                                   ;; 3
    (call $middle (i32.const 41)))
  (func $calls_host                                      ;; 4
    (i32.store (i32.const 8) (i32.const 0x01020304))
    call $fail)
  (func (export "run_host")                              ;; 5
    call $calls_host)
)
"#;

struct Setup {
    instance: Instance,
}

fn setup(coredump: bool, backtrace: bool) -> Setup {
    let mut config = Config::new();
    config.set_coredump_on_trap(coredump);
    config.set_wasm_backtrace(backtrace);
    let engine = Engine::new(&config).expect("engine");
    let store = Store::new(&engine);
    let wasm = wat::parse_str(WAT).expect("wat");
    let module = Module::new(&engine, &wasm).expect("module");
    let fail = Func::new(
        &store,
        FuncType::new([], []),
        Box::new(|_, _| Err(Trap::new("host says no"))),
    );
    let instance = Instance::new(&store, &module, &[Extern::Func(fail)]).expect("instance");
    Setup { instance }
}

fn call_trap(setup: &Setup, name: &str) -> Trap {
    let Some(Extern::Func(f)) = setup.instance.get_export(name) else {
        panic!("no export {name}")
    };
    f.call(&[], &mut []).expect_err("traps")
}

/// What the test reads back from a dump.
#[derive(Debug, Default)]
struct Dump {
    core_name: String,
    modules: Vec<String>,
    instances: Vec<(u32, Vec<u32>, Vec<u32>)>,
    /// (instance, funcidx, codeoffset, locals, stack)
    frames: Vec<(u32, u32, u32, usize, usize)>,
    /// Each frame's locals, `None` where the dump says "missing".
    locals: Vec<Vec<Option<Val>>>,
    memory_pages: Vec<u64>,
    /// Memory contents rebuilt from the data segments.
    memory: Vec<Vec<u8>>,
    globals: Vec<Val>,
}

fn read_dump(bytes: &[u8]) -> Dump {
    wasmparser::Validator::new()
        .validate_all(bytes)
        .expect("the coredump is a valid wasm module");
    let mut dump = Dump::default();
    let mut seen = Vec::new();
    for payload in Parser::new(0).parse_all(bytes) {
        match payload.expect("payload") {
            Payload::CustomSection(reader) => {
                let data = BinaryReader::new(reader.data(), 0);
                seen.push(reader.name().to_string());
                match reader.name() {
                    "core" => {
                        dump.core_name = CoreDumpSection::new(data).expect("core").name.into()
                    }
                    "coremodules" => {
                        let s = CoreDumpModulesSection::new(data).expect("coremodules");
                        dump.modules = s.modules.iter().map(|m| m.to_string()).collect();
                    }
                    "coreinstances" => {
                        let s = CoreDumpInstancesSection::new(data).expect("coreinstances");
                        dump.instances = s
                            .instances
                            .into_iter()
                            .map(|i| (i.module_index, i.memories, i.globals))
                            .collect();
                    }
                    "corestack" => {
                        let s = CoreDumpStackSection::new(data).expect("corestack");
                        assert_eq!(s.name, "main");
                        dump.frames = s
                            .frames
                            .iter()
                            .map(|f| {
                                (
                                    f.instanceidx,
                                    f.funcidx,
                                    f.codeoffset,
                                    f.locals.len(),
                                    f.stack.len(),
                                )
                            })
                            .collect();
                        dump.locals = s
                            .frames
                            .iter()
                            .map(|f| f.locals.iter().map(value_of).collect())
                            .collect();
                    }
                    other => panic!("unexpected custom section {other}"),
                }
            }
            Payload::MemorySection(reader) => {
                for m in reader {
                    let m = m.expect("memory");
                    dump.memory_pages.push(m.initial);
                    dump.memory.push(vec![0; (m.initial as usize) << 16]);
                }
            }
            Payload::GlobalSection(reader) => {
                for g in reader {
                    let g = g.expect("global");
                    assert!(!g.ty.mutable, "dumped globals are constants");
                    let op = g.init_expr.get_operators_reader().read().expect("init");
                    dump.globals.push(match op {
                        Operator::I32Const { value } => Val::I32(value),
                        Operator::I64Const { value } => Val::I64(value),
                        Operator::F32Const { value } => Val::F32(value.bits()),
                        Operator::F64Const { value } => Val::F64(value.bits()),
                        other => panic!("unexpected initializer {other:?}"),
                    });
                }
            }
            Payload::DataSection(reader) => {
                for d in reader {
                    let d = d.expect("data");
                    let DataKind::Active {
                        memory_index,
                        offset_expr,
                    } = d.kind
                    else {
                        panic!("passive segment in a coredump")
                    };
                    let Operator::I32Const { value } =
                        offset_expr.get_operators_reader().read().expect("offset")
                    else {
                        panic!("offset is not i32.const")
                    };
                    let start = value as u32 as usize;
                    dump.memory[memory_index as usize][start..start + d.data.len()]
                        .copy_from_slice(d.data);
                }
            }
            _ => {}
        }
    }
    for name in ["core", "coremodules", "coreinstances", "corestack"] {
        assert!(seen.iter().any(|s| s == name), "no {name} section");
    }
    dump
}

fn value_of(v: &CoreDumpValue) -> Option<Val> {
    match *v {
        CoreDumpValue::Missing => None,
        CoreDumpValue::I32(x) => Some(Val::I32(x)),
        CoreDumpValue::I64(x) => Some(Val::I64(x)),
        CoreDumpValue::F32(x) => Some(Val::F32(x.bits())),
        CoreDumpValue::F64(x) => Some(Val::F64(x.bits())),
    }
}

fn i32_of(v: &Val) -> i32 {
    match v {
        Val::I32(x) => *x,
        other => panic!("not an i32: {other:?}"),
    }
}

#[test]
fn a_wasm_trap_carries_frames_memory_and_globals() {
    let setup = setup(true, true);
    let trap = call_trap(&setup, "run");
    let dump = read_dump(trap.coredump().expect("a coredump"));

    assert_eq!(dump.core_name, "dumped");
    assert_eq!(dump.modules, ["dumped"]);
    assert_eq!(dump.instances, [(0, vec![0], vec![0, 1, 2, 3])]);

    // Innermost first: $inner, $middle, run; offsets as the trap's frames
    // report them (from the function's start), every local listed (each
    // known or missing), the operand stack unknown.
    let funcs: Vec<u32> = dump.frames.iter().map(|f| f.1).collect();
    assert_eq!(funcs, [1, 2, 3]);
    let trace: Vec<(u32, u32)> = trap
        .trace()
        .iter()
        .map(|f| (f.func_index, f.func_offset as u32))
        .collect();
    let dumped: Vec<(u32, u32)> = dump.frames.iter().map(|f| (f.1, f.2)).collect();
    assert_eq!(dumped, trace);
    assert!(dump.frames.iter().all(|f| f.0 == 0 && f.2 > 0 && f.4 == 0));
    let locals: Vec<usize> = dump.frames.iter().map(|f| f.3).collect();
    assert_eq!(locals, [1, 1, 0]);

    assert_eq!(dump.memory_pages, [2]);
    let mem = &dump.memory[0];
    assert_eq!(&mem[100..104], &0xdeadbeef_u32.to_le_bytes());
    assert_eq!(mem[70000], 0x5a);
    assert_eq!(mem.iter().filter(|&&b| b != 0).count(), 5);

    assert_eq!(dump.globals.len(), 4);
    assert_eq!(i32_of(&dump.globals[0]), 42);
    assert!(matches!(dump.globals[1], Val::I64(0x1122334455667788)));
    assert!(matches!(dump.globals[2], Val::F64(b) if f64::from_bits(b) == 2.5));
    assert_eq!(i32_of(&dump.globals[3]), 7);

    // The memory the dump shows is the instance's memory at trap time.
    let Some(Extern::Memory(m)) = setup.instance.get_export("mem") else {
        panic!("no memory")
    };
    // SAFETY: the memory is live and nothing else uses it meanwhile.
    let live = unsafe { std::slice::from_raw_parts(m.data_ptr(), m.data_size()) };
    assert_eq!(live, &mem[..]);
}

#[test]
fn a_host_trap_through_wasm_carries_the_frames_below_the_host_call() {
    let setup = setup(true, true);
    let trap = call_trap(&setup, "run_host");
    assert_eq!(trap.message(), "host says no");
    let dump = read_dump(trap.coredump().expect("a coredump"));
    let funcs: Vec<u32> = dump.frames.iter().map(|f| f.1).collect();
    assert_eq!(funcs, [4, 5]);
    assert_eq!(&dump.memory[0][8..12], &0x01020304_u32.to_le_bytes());
    // Globals untouched on this path: their initial values.
    assert_eq!(i32_of(&dump.globals[0]), 0);
    assert_eq!(i32_of(&dump.globals[3]), 7);
}

#[test]
fn frames_are_dumped_even_without_wasm_backtrace() {
    let setup = setup(true, false);
    let trap = call_trap(&setup, "run");
    assert!(trap.trace().is_empty());
    let dump = read_dump(trap.coredump().expect("a coredump"));
    let funcs: Vec<u32> = dump.frames.iter().map(|f| f.1).collect();
    assert_eq!(funcs, [1, 2, 3]);
}

#[test]
fn no_coredump_with_the_option_off() {
    let setup = setup(false, true);
    for name in ["run", "run_host"] {
        let trap = call_trap(&setup, name);
        assert!(trap.coredump().is_none());
        assert!(!trap.trace().is_empty());
    }
    // A trap made by the host that never crossed wasm has none either.
    assert!(Trap::new("plain").coredump().is_none());
}

/// Through the C API: a trap of an engine configured with
/// `wasm_config_coredump_on_trap_set(config, true)` hands out its dump;
/// one with the option off, a host-made trap and NULL give false and an
/// empty vector.
#[test]
fn the_c_api_hands_out_the_dump() {
    let wat = r#"(module
      (memory 1)
      (func $b (i32.store (i32.const 16) (i32.const 99)) unreachable)
      (func (export "a") (call $b)))"#;
    for on in [true, false] {
        let mut config = wasm_config_new();
        wasm_config_coredump_on_trap_set(Some(&mut *config), on);
        let engine = wasm_engine_new_with_config(Some(config)).expect("engine");
        let engine_ptr = &*engine as *const wasm_engine_t as *mut wasm_engine_t;
        // SAFETY (the calls below): live objects and local vectors, as the
        // C contract requires.
        let store = unsafe { wasm_store_new(engine_ptr) }.expect("store");
        let store_ptr = &*store as *const wasm_store_t as *mut wasm_store_t;
        let mut binary = wasm_byte_vec_t::from_vec(Vec::new());
        assert!(wasm_wat2wasm(wat.as_ptr().cast(), wat.len(), Some(&mut binary)).is_none());
        // SAFETY: as above.
        let module = unsafe { wasm_module_new(store_ptr, Some(&binary)) }.expect("module");
        // SAFETY: made by wasm_wat2wasm.
        drop(unsafe { binary.take() });
        // SAFETY: as above.
        let instance = unsafe {
            wasm_instance_new(
                store_ptr,
                Some(&module),
                Some(&wasm_extern_vec_t::empty()),
                None,
            )
        }
        .expect("instance");
        let mut export_vec = wasm_extern_vec_t::empty();
        wasm_instance_exports(Some(&instance), Some(&mut export_vec));
        // SAFETY: made by wasm_instance_exports.
        let exports: Vec<Box<wasm_extern_t>> = unsafe { export_vec.take() }
            .into_iter()
            .map(Option::unwrap)
            .collect();
        let a = wasm_extern_as_func_const(Some(&exports[0])).expect("func");
        let mut no_results = wasm_val_vec_t::empty();
        // SAFETY: as above.
        let trap =
            unsafe { wasm_func_call(Some(a), Some(&wasm_val_vec_t::empty()), &mut no_results) }
                .expect("unreachable traps");

        let mut out = wasm_byte_vec_t::from_vec(vec![1]);
        // SAFETY: `out` is ours; the old contents are freed first.
        drop(unsafe { out.take() });
        assert_eq!(wasm_trap_coredump(Some(&trap), Some(&mut out)), on);
        // SAFETY: written by the call, owned by us.
        let bytes = unsafe { out.take() };
        if on {
            let dump = read_dump(&bytes);
            let funcs: Vec<u32> = dump.frames.iter().map(|f| f.1).collect();
            assert_eq!(funcs, [0, 1]);
            assert_eq!(&dump.memory[0][16..20], &99u32.to_le_bytes());
        } else {
            assert!(bytes.is_empty());
        }
        wasm_trap_delete(Some(trap));

        // SAFETY: as above.
        let host = unsafe { wasm_trap_new(store_ptr, None) }.expect("trap");
        assert!(!wasm_trap_coredump(Some(&host), Some(&mut out)));
        // SAFETY: written by the call.
        assert!(unsafe { out.take() }.is_empty());
        wasm_trap_delete(Some(host));
        drop((exports, instance, module, store, engine));
    }
    let mut out = wasm_byte_vec_t::from_vec(Vec::new());
    assert!(!wasm_trap_coredump(None, Some(&mut out)));
    // SAFETY: written by the call.
    assert!(unsafe { out.take() }.is_empty());
    assert!(!wasm_trap_coredump(None, None));
}

/// A wasm trap in a nested host→wasm call, passed on by the host function
/// in between, keeps the dump taken where it happened: the same frames as
/// its backtrace, innermost (the nested call's trapping function) first.
#[test]
fn a_nested_trap_keeps_the_innermost_dump() {
    use std::cell::RefCell;
    use std::rc::Rc;
    let wat = r#"(module $nested
      (import "host" "reenter" (func $reenter))          ;; 0
      (global $g (mut i32) (i32.const 0))
      (func $boom (global.set $g (i32.const 5)) unreachable) ;; 1
      (func (export "boom") (call $boom))                ;; 2
      (func $outer_inner (call $reenter))                ;; 3
      (func (export "outer") (call $outer_inner)))       ;; 4
    "#;
    let mut config = Config::new();
    config.set_coredump_on_trap(true);
    let engine = Engine::new(&config).expect("engine");
    let store = Store::new(&engine);
    let module = Module::new(&engine, &wat::parse_str(wat).expect("wat")).expect("module");
    let target: Rc<RefCell<Option<Func>>> = Rc::new(RefCell::new(None));
    let t = target.clone();
    let reenter = Func::new(
        &store,
        FuncType::new([], []),
        Box::new(move |_, _| {
            let f = t.borrow().clone().expect("boom is set");
            f.call(&[], &mut [])
        }),
    );
    let instance = Instance::new(&store, &module, &[Extern::Func(reenter)]).expect("instance");
    let Some(Extern::Func(boom)) = instance.get_export("boom") else {
        panic!("no boom")
    };
    *target.borrow_mut() = Some(boom);
    let Some(Extern::Func(outer)) = instance.get_export("outer") else {
        panic!("no outer")
    };
    let trap = outer.call(&[], &mut []).expect_err("traps");
    let dump = read_dump(trap.coredump().expect("a coredump"));
    let funcs: Vec<u32> = dump.frames.iter().map(|f| f.1).collect();
    assert_eq!(&funcs[..2], [1, 2]);
    let trace: Vec<u32> = trap.trace().iter().map(|f| f.func_index).collect();
    assert_eq!(funcs, trace);
    assert_eq!(i32_of(&dump.globals[0]), 5);
    *target.borrow_mut() = None;
}

/// The locals of a trap's frames, where the compiler's value labels know
/// them: the trapping function's from the signal context's registers and
/// its spill slots, an outer frame's from its spill slots only (a register
/// there holds what the callees left), each with its type; the rest, and
/// the locals a coredump cannot hold (`v128`), missing.
const LOCALS_WAT: &str = r#"
(module $locals
  (memory 1)
  (func $inner (param $n i32) (param $big i64) (result i64)     ;; 0
    (local $acc i64) (local $half f64) (local $quarter f32) (local $v v128)
    (local.set $acc (i64.mul (local.get $big) (i64.extend_i32_u (local.get $n))))
    (local.set $half (f64.mul (f64.convert_i32_s (local.get $n)) (f64.const 0.5)))
    (local.set $quarter (f32.mul (f32.convert_i32_s (local.get $n)) (f32.const 0.25)))
    (local.set $v (i32x4.splat (local.get $n)))
    ;; Stored, so computed before the trap (Cranelift computes a pure value
    ;; where it is first used).
    (f64.store (i32.const 0) (local.get $half))
    (f32.store (i32.const 8) (local.get $quarter))
    ;; Out of bounds: traps, with every local still needed after it.
    (i64.store (i32.add (local.get $n) (i32.const 0x7fff0000)) (local.get $acc))
    (i64.add
      (i64.add (i64.add (local.get $acc) (local.get $big))
               (i64.trunc_f64_s (local.get $half)))
      (i64.add (i64.trunc_f32_s (local.get $quarter))
               (i64.extend_i32_u (i32x4.extract_lane 0 (local.get $v))))))
  ;; More values live across the call than there are callee-saved
  ;; registers: some of them are spilled. (Each is stored before the call,
  ;; so it is computed there, and made so Cranelift cannot fold the chain.)
  (func $middle (param $x i32) (result i64)                     ;; 1
    (local $k0 i64) (local $k1 i64) (local $k2 i64) (local $k3 i64)
    (local $k4 i64) (local $k5 i64) (local $k6 i64) (local $k7 i64)
    (local.set $k0 (i64.extend_i32_u (i32.add (local.get $x) (i32.const 1))))
    (local.set $k1 (i64.add (i64.mul (local.get $k0) (local.get $k0)) (local.get $k0)))
    (local.set $k2 (i64.add (i64.mul (local.get $k1) (local.get $k1)) (local.get $k0)))
    (local.set $k3 (i64.add (i64.mul (local.get $k2) (local.get $k2)) (local.get $k0)))
    (local.set $k4 (i64.add (i64.mul (local.get $k3) (local.get $k3)) (local.get $k0)))
    (local.set $k5 (i64.add (i64.mul (local.get $k4) (local.get $k4)) (local.get $k0)))
    (local.set $k6 (i64.add (i64.mul (local.get $k5) (local.get $k5)) (local.get $k0)))
    (local.set $k7 (i64.add (i64.mul (local.get $k6) (local.get $k6)) (local.get $k0)))
    (i64.store (i32.const 16) (local.get $k0))
    (i64.store (i32.const 24) (local.get $k1))
    (i64.store (i32.const 32) (local.get $k2))
    (i64.store (i32.const 40) (local.get $k3))
    (i64.store (i32.const 48) (local.get $k4))
    (i64.store (i32.const 56) (local.get $k5))
    (i64.store (i32.const 64) (local.get $k6))
    (i64.store (i32.const 72) (local.get $k7))
    (i64.add (call $inner (local.get $x) (i64.const 1000))
      (i64.add (i64.add (i64.add (local.get $k0) (local.get $k1))
                        (i64.add (local.get $k2) (local.get $k3)))
               (i64.add (i64.add (local.get $k4) (local.get $k5))
                        (i64.add (local.get $k6) (local.get $k7))))))
  (func (export "run") (result i64)                              ;; 2
    (call $middle (i32.const 4)))
)
"#;

fn locals_dump(signals: bool) -> Dump {
    let mut config = Config::new();
    config.set_coredump_on_trap(true);
    config.set_signals_based_traps(signals);
    let engine = Engine::new(&config).expect("engine");
    let store = Store::new(&engine);
    let module = Module::new(&engine, &wat::parse_str(LOCALS_WAT).expect("wat")).expect("module");
    let instance = Instance::new(&store, &module, &[]).expect("instance");
    let Some(Extern::Func(run)) = instance.get_export("run") else {
        panic!("no run")
    };
    let trap = run.call(&[], &mut [Val::I64(0)]).expect_err("traps");
    read_dump(trap.coredump().expect("a coredump"))
}

/// The middle frame's locals: those the dump knows are right, and some
/// (the spilled ones) are known.
fn check_middle(locals: &[Option<Val>]) {
    assert_eq!(locals.len(), 9, "{locals:?}");
    let mut expected = vec![Val::I32(4), Val::I64(5)];
    let mut k = 5i64;
    for _ in 1..8 {
        k = k.wrapping_mul(k).wrapping_add(5);
        expected.push(Val::I64(k));
    }
    for (i, (got, want)) in locals.iter().zip(&expected).enumerate() {
        if let Some(got) = got {
            assert_eq!(
                format!("{got:?}"),
                format!("{want:?}"),
                "local {i}: {locals:?}"
            );
        }
    }
    let known = locals.iter().filter(|l| l.is_some()).count();
    assert!(known >= 3, "spilled locals of the middle frame: {locals:?}");
}

#[test]
fn frames_carry_their_locals_where_known() {
    let dump = locals_dump(true);
    let funcs: Vec<u32> = dump.frames.iter().map(|f| f.1).collect();
    assert_eq!(funcs, [0, 1, 2]);
    let inner = &dump.locals[0];
    // n, big, acc, half, quarter: all in use at the trap; v: a vector.
    let shown: Vec<String> = inner.iter().map(|l| format!("{l:?}")).collect();
    assert_eq!(
        shown,
        [
            "Some(I32(4))".to_string(),
            "Some(I64(1000))".into(),
            "Some(I64(4000))".into(),
            format!("Some(F64({}))", 2.0f64.to_bits()),
            format!("Some(F32({}))", 1.0f32.to_bits()),
            "None".into(),
        ]
    );
    check_middle(&dump.locals[1]);
    assert!(dump.locals[2].is_empty());
}

/// Without signals a trap is a call into the runtime: the trapping frame's
/// registers are not known then, its spilled locals and the outer frames'
/// are.
#[test]
fn without_signals_spilled_locals_are_still_known() {
    let dump = locals_dump(false);
    let funcs: Vec<u32> = dump.frames.iter().map(|f| f.1).collect();
    assert_eq!(funcs, [0, 1, 2]);
    assert_eq!(dump.locals[0].len(), 6);
    for (got, want) in dump.locals[0]
        .iter()
        .zip(["I32(4)", "I64(1000)", "I64(4000)"])
    {
        if let Some(got) = got {
            assert_eq!(format!("{got:?}"), want);
        }
    }
    check_middle(&dump.locals[1]);
}
