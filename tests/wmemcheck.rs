//! `wmemcheck`: C programs built with wasi-libc's allocator
//! (`tests/wmemcheck/*.c`) run as WASI commands with the option on and
//! off; a text-format module with a toy allocator checks the model byte by
//! byte, through host calls; and the compiled code is inspected for the
//! checks (trap sites of kind `MemoryCheck`) that only the option adds.

mod support;

use support::Capture;

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Mutex, OnceLock};
use wasm_runtime::config::Config;
use wasm_runtime::engine::Engine;
use wasm_runtime::environ::TrapKind;
use wasm_runtime::linker::Linker;
use wasm_runtime::module::Module;
use wasm_runtime::runtime::{lookup_frame, lookup_trap};
use wasm_runtime::runtime::{Extern, Func, Instance, Store, Trap, Val};
use wasm_runtime::wasi::{self, WasiConfig};

/// `tests/wmemcheck/{name}.c` compiled with `flags`, once per test process.
fn guest(name: &str, flags: &[&str]) -> Vec<u8> {
    static BUILT: OnceLock<Mutex<HashMap<String, Vec<u8>>>> = OnceLock::new();
    let key = format!("{name} {}", flags.join(" "));
    let built = BUILT.get_or_init(Default::default);
    let mut built = built.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(wasm) = built.get(&key) {
        return wasm.clone();
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/wmemcheck");
    let out_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("wmemcheck-guests");
    std::fs::create_dir_all(&out_dir).unwrap();
    let out = out_dir.join(format!(
        "{name}-{}-{}.wasm",
        built.len(),
        std::process::id()
    ));
    let src = dir.join(format!("{name}.c"));
    let mut all = vec!["-Wall", "-Werror"];
    all.extend_from_slice(flags);
    support::compile_wasi(&[&src], &all, &out);
    let wasm = std::fs::read(&out).unwrap();
    let _ = std::fs::remove_file(&out);
    built.insert(key, wasm.clone());
    wasm
}

fn bugs() -> Vec<u8> {
    guest("bugs", &[])
}

fn engine(wmemcheck: bool, f: impl FnOnce(&mut Config)) -> Engine {
    let mut config = Config::new();
    config.set_wmemcheck(wmemcheck);
    f(&mut config);
    Engine::new(&config).expect("the engine builds")
}

/// What one run of a command left behind.
struct Run {
    result: Result<(), Trap>,
    stdout: String,
}

impl Run {
    /// Asserts the command ran to the end (exit status 0).
    fn assert_success(&self) {
        let status = match &self.result {
            Ok(()) => Some(0),
            Err(t) => t.exit_status(),
        };
        assert_eq!(
            status,
            Some(0),
            "the guest failed: {:?}\n--- stdout\n{}",
            self.result.as_ref().err(),
            self.stdout
        );
    }

    /// The `MemoryCheck` trap the run ended with.
    fn memory_check_trap(&self) -> &Trap {
        let trap = self
            .result
            .as_ref()
            .err()
            .unwrap_or_else(|| panic!("the guest ran to the end:\n{}", self.stdout));
        assert_eq!(
            trap.kind(),
            Some(TrapKind::MemoryCheck),
            "{trap:?}\n--- stdout\n{}",
            self.stdout
        );
        trap
    }

    /// The address printed as `key=0x...`.
    fn address(&self, key: &str) -> u64 {
        let prefix = format!("{key}=0x");
        let hex = self
            .stdout
            .lines()
            .find_map(|l| l.strip_prefix(&prefix))
            .unwrap_or_else(|| panic!("no `{key}=` line in the output:\n{}", self.stdout));
        u64::from_str_radix(hex, 16).unwrap()
    }
}

/// Runs the WASI command `wasm` with `args` (after the program name) on
/// `engine`.
fn run(engine: &Engine, wasm: &[u8], args: &[&str]) -> Run {
    let out = Capture::default();
    let mut config = WasiConfig::new();
    let mut argv = vec!["prog"];
    argv.extend_from_slice(args);
    config.set_argv(&argv);
    config.stdout = out.sink();
    let module = Module::new(engine, wasm).expect("the guest compiles");
    let store = Store::new(engine);
    let mut linker = Linker::new(engine);
    wasi::add_to_linker(&mut linker).expect("WASI defines");
    wasi::set_store_wasi(&store, config).expect("the WASI context builds");
    let instance = linker
        .instantiate(&store, &module)
        .expect("the guest links");
    let start = instance
        .get_export("_start")
        .and_then(Extern::into_func)
        .expect("a command exports _start");
    let result = start.call(&[], &mut []);
    drop(instance);
    drop(store);
    Run {
        result,
        stdout: out.text(),
    }
}

/// The number of `MemoryCheck` trap sites in the compiled code of every
/// defined function of `module`: the checks `wmemcheck` adds.
fn memory_check_sites(module: &Module) -> usize {
    let info = module.info();
    let mut sites = 0;
    for func_index in info.num_imported_funcs..info.functions.len() as u32 {
        let mut pc = module.func_ptr(func_index) as usize;
        while lookup_frame(pc).is_some_and(|f| f.func_index == func_index) {
            if lookup_trap(pc) == Some(TrapKind::MemoryCheck) {
                sites += 1;
            }
            pc += 1;
        }
    }
    sites
}

#[test]
fn a_use_after_free_traps_naming_the_address() {
    let run = run(&engine(true, |_| {}), &bugs(), &["use-after-free"]);
    let block = run.address("block");
    let trap = run.memory_check_trap();
    assert_eq!(
        trap.message(),
        format!(
            "wmemcheck: invalid read of 4 bytes at {:#x} \
             (freed: 4 bytes into the 16-byte block at {block:#x}, freed earlier)",
            block + 4
        )
    );
    assert!(!run.stdout.contains("survived"), "{}", run.stdout);
    // The trap points at the read, in the C function that made it.
    let origin = trap.trace().first().expect("a backtrace");
    assert_eq!(origin.func_name(), Some("read_int"), "{trap:?}");
}

#[test]
fn a_heap_overflow_one_past_a_block_traps() {
    let run = run(&engine(true, |_| {}), &bugs(), &["heap-overflow"]);
    let block = run.address("block");
    assert_eq!(
        run.memory_check_trap().message(),
        format!(
            "wmemcheck: invalid write of 1 byte at {:#x} \
             (unallocated heap: 0 bytes past the end of the 16-byte block at {block:#x})",
            block + 16
        )
    );
}

#[test]
fn a_double_free_traps_before_the_allocator_runs() {
    let run = run(&engine(true, |_| {}), &bugs(), &["double-free"]);
    let block = run.address("block");
    let trap = run.memory_check_trap();
    assert_eq!(
        trap.message(),
        format!(
            "wmemcheck: double free of {block:#x} \
             (the 32-byte block at {block:#x} was freed already)"
        )
    );
    // Raised at the entry of `free`, called from `release`.
    let names: Vec<_> = trap.trace().iter().map(|f| f.func_name()).collect();
    assert_eq!(names[..2], [Some("free"), Some("release")], "{trap:?}");
}

#[test]
fn frees_of_pointers_the_allocator_never_returned_trap() {
    let engine = engine(true, |_| {});
    let run_global = run(&engine, &bugs(), &["non-heap-free"]);
    let global = run_global.address("global");
    assert_eq!(
        run_global.memory_check_trap().message(),
        format!("wmemcheck: free of {global:#x}, which the allocator never returned")
    );
    let run_interior = run(&engine, &bugs(), &["interior-free"]);
    let block = run_interior.address("block");
    assert_eq!(
        run_interior.memory_check_trap().message(),
        format!(
            "wmemcheck: free of {:#x}, which the allocator never returned \
             (8 bytes into the 32-byte block at {block:#x})",
            block + 8
        )
    );
}

#[test]
fn a_clean_program_runs_as_it_does_without_wmemcheck() {
    let wasm = guest("clean", &[]);
    let checked = run(&engine(true, |_| {}), &wasm, &[]);
    checked.assert_success();
    let plain = run(&engine(false, |_| {}), &wasm, &[]);
    plain.assert_success();
    assert_eq!(checked.stdout, plain.stdout);
    assert!(
        checked.stdout.contains("churn checksum="),
        "{}",
        checked.stdout
    );
    assert!(checked.stdout.ends_with("done\n"), "{}", checked.stdout);
    // The bug program's own path without a bug is clean too.
    run(&engine(true, |_| {}), &bugs(), &["none"]).assert_success();
}

#[test]
fn with_wmemcheck_off_the_bugs_go_unnoticed() {
    let engine = engine(false, |_| {});
    for mode in [
        "use-after-free",
        "heap-overflow",
        "double-free",
        "interior-free",
    ] {
        let run = run(&engine, &bugs(), &[mode]);
        run.assert_success();
        assert!(run.stdout.ends_with("survived\n"), "{mode}: {}", run.stdout);
    }
}

#[test]
fn without_signals_the_checks_trap_the_same_way() {
    let engine = engine(true, |c| {
        c.set_signals_based_traps(false);
    });
    let run = run(&engine, &bugs(), &["use-after-free"]);
    let block = run.address("block");
    let message = run.memory_check_trap().message().to_string();
    assert!(
        message.starts_with(&format!(
            "wmemcheck: invalid read of 4 bytes at {:#x}",
            block + 4
        )),
        "{message}"
    );
}

#[test]
fn only_wmemcheck_puts_checks_in_the_compiled_code() {
    let wasm = bugs();
    let on = memory_check_sites(&Module::new(&engine(true, |_| {}), &wasm).unwrap());
    let off = memory_check_sites(&Module::new(&engine(false, |_| {}), &wasm).unwrap());
    assert_eq!(off, 0, "no instrumentation with wmemcheck off");
    // One per access of memory 0, plus the entries of free and realloc: a
    // C program with printf has thousands.
    assert!(on > 1000, "{on} checks");
    // A module without an allocator is left as it is.
    let plain = wat::parse_str(
        r#"(module (memory 1)
            (func (export "load") (param i32) (result i32) (i32.load (local.get 0))))"#,
    )
    .unwrap();
    let plain = Module::new(&engine(true, |_| {}), &plain).unwrap();
    assert_eq!(memory_check_sites(&plain), 0);
}

#[test]
fn allocators_are_found_by_export_name_without_a_name_section() {
    const EXPORTS: &str =
        "-Wl,--strip-all,--export=malloc,--export=free,--export=calloc,--export=realloc";
    let exported = guest("bugs", &[EXPORTS]);
    let run_exported = run(&engine(true, |_| {}), &exported, &["double-free"]);
    let block = run_exported.address("block");
    assert!(
        run_exported
            .memory_check_trap()
            .message()
            .starts_with(&format!("wmemcheck: double free of {block:#x}")),
        "{:?}",
        run_exported.result
    );
    // Stripped and not exported: no allocator is known, nothing is checked.
    let anonymous = guest("bugs", &["-Wl,--strip-all"]);
    let engine = engine(true, |_| {});
    assert_eq!(
        memory_check_sites(&Module::new(&engine, &anonymous).unwrap()),
        0
    );
    run(&engine, &anonymous, &["double-free"]).assert_success();
}

#[test]
fn serialized_modules_record_wmemcheck() {
    let wasm = bugs();
    let bytes = Module::new(&engine(true, |_| {}), &wasm)
        .unwrap()
        .serialize()
        .unwrap();
    let err = Module::deserialize(&engine(false, |_| {}), &bytes)
        .expect_err("an engine without wmemcheck refuses the module");
    let message = err.to_string();
    assert!(message.contains("wmemcheck=true"), "{message}");
    // The same setting loads it, checks included.
    let checking = engine(true, |_| {});
    let module = Module::deserialize(&checking, &bytes).unwrap();
    assert!(memory_check_sites(&module) > 0);
}

/// A module with a toy bump allocator (a header word before each block,
/// read back by `free`), a stack pointer in global 0 and accessors the
/// host calls.
const TOY: &str = r#"(module
    (memory (export "memory") 1)
    (global $sp (mut i32) (i32.const 1024))
    (global $next (mut i32) (i32.const 4096))
    (func $malloc (export "malloc") (param $n i32) (result i32)
        (local $p i32)
        (i32.store (global.get $next) (local.get $n))
        (local.set $p (i32.add (global.get $next) (i32.const 8)))
        (global.set $next
            (i32.and (i32.add (i32.add (local.get $p) (local.get $n)) (i32.const 7))
                     (i32.const -8)))
        (local.get $p))
    (func (export "calloc") (param i32 i32) (result i32)
        ;; Calls malloc: only the outermost call is recorded.
        (local $p i32)
        (local.set $p (call $malloc (i32.mul (local.get 0) (local.get 1))))
        (memory.fill (local.get $p) (i32.const 0) (i32.mul (local.get 0) (local.get 1)))
        (local.get $p))
    (func (export "free") (param i32)
        (if (local.get 0)
            (then (drop (i32.load (i32.sub (local.get 0) (i32.const 8)))))))
    (func (export "load8") (param i32) (result i32) (i32.load8_u (local.get 0)))
    (func (export "store32") (param i32 i32) (i32.store offset=4 (local.get 0) (local.get 1)))
    (func (export "copy") (param i32 i32 i32)
        (memory.copy (local.get 0) (local.get 1) (local.get 2)))
    (func (export "fill") (param i32 i32) (memory.fill (local.get 0) (i32.const 9) (local.get 1)))
    (func (export "push") (result i32)
        ;; A stack frame below the stack pointer, as C code makes one.
        (global.set $sp (i32.sub (global.get $sp) (i32.const 16)))
        (i32.store (global.get $sp) (i32.const 5))
        (i32.load (global.get $sp))
        (global.set $sp (i32.add (global.get $sp) (i32.const 16)))))"#;

struct Toy {
    instance: Instance,
}

impl Toy {
    fn new(engine: &Engine) -> Toy {
        let module = Module::new(engine, &wat::parse_str(TOY).unwrap()).unwrap();
        let store = Store::new(engine);
        let instance = Instance::new(&store, &module, &[]).unwrap();
        Toy { instance }
    }

    fn func(&self, name: &str) -> Func {
        self.instance
            .get_export(name)
            .and_then(Extern::into_func)
            .unwrap()
    }

    fn call(&self, name: &str, args: &[i32]) -> Result<Option<i32>, Trap> {
        let f = self.func(name);
        let args: Vec<Val> = args.iter().map(|a| Val::I32(*a)).collect();
        let mut results = vec![Val::I32(0); f.result_arity()];
        f.call(&args, &mut results)?;
        Ok(results.first().map(|v| match v {
            Val::I32(x) => *x,
            other => panic!("{other:?}"),
        }))
    }

    fn ok(&self, name: &str, args: &[i32]) -> Option<i32> {
        self.call(name, args)
            .unwrap_or_else(|t| panic!("{name}{args:?}: {t:?}"))
    }

    fn error(&self, name: &str, args: &[i32]) -> String {
        match self.call(name, args) {
            Ok(v) => panic!("{name}{args:?} returned {v:?}"),
            Err(t) => {
                assert_eq!(t.kind(), Some(TrapKind::MemoryCheck), "{t:?}");
                t.message().to_string()
            }
        }
    }
}

#[test]
fn the_toy_allocator_is_checked_byte_by_byte() {
    let toy = Toy::new(&engine(true, |_| {}));
    // Before any block, nothing is heap.
    assert_eq!(toy.ok("load8", &[5000]), Some(0));
    let a = toy.ok("malloc", &[16]).unwrap();
    assert_eq!(a, 4104);
    let b = toy.ok("calloc", &[4, 2]).unwrap();
    assert_eq!(b, 4128);
    toy.ok("store32", &[a, 7]); // bytes a+4..a+8
    assert_eq!(toy.ok("load8", &[a + 4]), Some(7));
    assert_eq!(toy.ok("load8", &[b + 7]), Some(0));
    // Static data and the stack lie below the heap.
    assert_eq!(toy.ok("load8", &[100]), Some(0));
    assert_eq!(toy.ok("push", &[]), Some(5));
    // The header between the blocks, the padding after one, the free
    // space past the last.
    assert_eq!(
        toy.error("load8", &[b - 8]),
        "wmemcheck: invalid read of 1 byte at 0x1018 \
         (unallocated heap: 0 bytes past the end of the 16-byte block at 0x1008)"
    );
    assert_eq!(
        toy.error("store32", &[a + 10, 1]),
        "wmemcheck: invalid write of 4 bytes at 0x1016 \
         (byte 0x1018 is unallocated heap: 0 bytes past the end of the 16-byte block at 0x1008)"
    );
    assert!(toy
        .error("load8", &[60000])
        .ends_with("(unallocated heap: 55864 bytes past the end of the 8-byte block at 0x1020)"));
    // Bulk operators check their whole ranges.
    toy.ok("copy", &[a, b, 8]);
    assert!(toy
        .error("copy", &[a, b, 9])
        .starts_with("wmemcheck: invalid read of 9 bytes at 0x1020 (byte 0x1028"));
    assert!(toy
        .error("fill", &[a + 8, 9])
        .starts_with("wmemcheck: invalid write of 9 bytes at 0x1010 (byte 0x1018"));
    // Out of bounds stays out of bounds.
    let oob = toy.call("load8", &[70000]).unwrap_err();
    assert_eq!(oob.kind(), Some(TrapKind::MemoryOutOfBounds));

    // Freeing: `free` reads its header unchecked; then the block is gone.
    toy.ok("free", &[a]);
    toy.ok("free", &[0]);
    assert_eq!(
        toy.error("load8", &[a + 15]),
        "wmemcheck: invalid read of 1 byte at 0x1017 \
         (freed: 15 bytes into the 16-byte block at 0x1008, freed earlier)"
    );
    assert_eq!(
        toy.error("free", &[a]),
        "wmemcheck: double free of 0x1008 (the 16-byte block at 0x1008 was freed already)"
    );
    assert_eq!(
        toy.error("free", &[b + 2]),
        "wmemcheck: free of 0x1022, which the allocator never returned \
         (2 bytes into the 8-byte block at 0x1020)"
    );
    assert_eq!(
        toy.error("free", &[100]),
        "wmemcheck: free of 0x64, which the allocator never returned"
    );
    // A trap leaves the checker working: the other block is still fine.
    assert_eq!(toy.ok("load8", &[b]), Some(0));
}

#[test]
fn the_toy_allocator_is_unchecked_without_wmemcheck() {
    let engine = engine(false, |_| {});
    let toy = Toy::new(&engine);
    assert_eq!(memory_check_sites(toy.instance.module()), 0);
    let a = toy.ok("malloc", &[16]).unwrap();
    toy.ok("free", &[a]);
    assert_eq!(toy.ok("load8", &[a - 8]), Some(16));
    toy.ok("free", &[a]);
    toy.ok("store32", &[a + 20, 1]);
}

/// Through the C API: `wasm_config_wmemcheck_set`, then a double free in
/// wasm reported as `WASM_TRAP_CODE_MEMORY_CHECK` with its message.
#[test]
fn the_c_api_reports_heap_errors_with_their_trap_code() {
    use wasm_runtime::capi::engine::{
        wasm_config_new, wasm_engine_delete, wasm_engine_new_with_config,
    };
    use wasm_runtime::capi::ext::config::wasm_config_wmemcheck_set;
    use wasm_runtime::capi::ext::trap::{wasm_trap_code, WASM_TRAP_CODE_MEMORY_CHECK};
    use wasm_runtime::capi::func::wasm_func_call;
    use wasm_runtime::capi::instance::{
        wasm_instance_delete, wasm_instance_exports, wasm_instance_new,
    };
    use wasm_runtime::capi::module::{wasm_module_delete, wasm_module_new};
    use wasm_runtime::capi::r#extern::wasm_extern_as_func_const;
    use wasm_runtime::capi::store::{wasm_store_delete, wasm_store_new};
    use wasm_runtime::capi::trap::{wasm_trap_delete, wasm_trap_message};
    use wasm_runtime::capi::vec::{
        wasm_byte_vec_delete, wasm_byte_vec_t, wasm_extern_vec_delete, wasm_extern_vec_t,
        wasm_val_vec_t, CVec,
    };

    let wasm = wat::parse_str(
        r#"(module
            (memory 1)
            (global $next (mut i32) (i32.const 4096))
            (func $malloc (export "malloc") (param i32) (result i32)
                (global.set $next (i32.add (global.get $next) (i32.const 64)))
                (i32.sub (global.get $next) (i32.const 64)))
            (func $free (export "free") (param i32))
            (func (export "run")
                (call $free (call $malloc (i32.const 16)))
                (call $free (i32.const 4096))))"#,
    )
    .unwrap();
    let mut config = wasm_config_new();
    wasm_config_wmemcheck_set(Some(&mut config), true);
    let engine = Box::into_raw(wasm_engine_new_with_config(Some(config)).unwrap());
    // SAFETY: every pointer passed is live or NULL, as the C API requires;
    // each object is freed once, after its last use.
    unsafe {
        let store = Box::into_raw(wasm_store_new(engine).unwrap());
        let mut binary = wasm_byte_vec_t::from_vec(wasm);
        let module = wasm_module_new(store, Some(&binary)).expect("module");
        let imports = wasm_extern_vec_t::empty();
        let instance =
            wasm_instance_new(store, Some(&module), Some(&imports), None).expect("instance");
        let mut exports = wasm_extern_vec_t::empty();
        wasm_instance_exports(Some(&instance), Some(&mut exports));
        let run = exports.as_slice()[2]
            .as_deref()
            .and_then(|e| wasm_extern_as_func_const(Some(e)))
            .expect("run");
        let args = wasm_val_vec_t::empty();
        let mut results = wasm_val_vec_t::empty();
        let trap = wasm_func_call(Some(run), Some(&args), &mut results).expect("a trap");
        let mut code = 0;
        assert!(wasm_trap_code(Some(&trap), Some(&mut code)));
        assert_eq!(code, WASM_TRAP_CODE_MEMORY_CHECK);
        let mut message = wasm_byte_vec_t::empty();
        wasm_trap_message(Some(&trap), Some(&mut message));
        let text = String::from_utf8(message.take()).unwrap();
        assert!(
            text.starts_with(
                "wmemcheck: double free of 0x1000 (the 16-byte block at 0x1000 was freed already)"
            ),
            "{text}"
        );
        wasm_trap_delete(Some(trap));
        wasm_extern_vec_delete(Some(&mut exports));
        wasm_instance_delete(Some(instance));
        wasm_module_delete(Some(module));
        wasm_byte_vec_delete(Some(&mut binary));
        wasm_store_delete(Some(Box::from_raw(store)));
        wasm_engine_delete(Some(Box::from_raw(engine)));
    }
}

/// A 64-bit memory: allocator results and addresses are `i64`, and every
/// access is decided by the checker (no inline test).
#[test]
fn memory64_allocators_are_checked_too() {
    let wasm = wat::parse_str(
        r#"(module
            (memory i64 1)
            (global $next (mut i64) (i64.const 4096))
            (func $malloc (export "malloc") (param i64) (result i64)
                (global.set $next (i64.add (global.get $next) (i64.const 64)))
                (i64.sub (global.get $next) (i64.const 64)))
            (func $free (export "free") (param i64))
            (func (export "run") (param $bug i32) (result i32)
                (local $p i64)
                (local.set $p (call $malloc (i64.const 16)))
                (i64.store offset=8 (local.get $p) (i64.const 5))
                (if (local.get $bug) (then (call $free (local.get $p))))
                (i32.load offset=8 (local.get $p))))"#,
    )
    .unwrap();
    let engine = engine(true, |c| {
        c.set_wasm_memory64(true);
    });
    let module = Module::new(&engine, &wasm).unwrap();
    assert!(memory_check_sites(&module) > 0);
    let run = |bug: i32| {
        let store = Store::new(&engine);
        let instance = Instance::new(&store, &module, &[]).unwrap();
        let f = instance
            .get_export("run")
            .and_then(Extern::into_func)
            .unwrap();
        let mut r = [Val::I32(0)];
        f.call(&[Val::I32(bug)], &mut r).map(|()| r[0].clone())
    };
    assert!(matches!(run(0), Ok(Val::I32(5))));
    let trap = run(1).unwrap_err();
    assert_eq!(
        trap.message(),
        "wmemcheck: invalid read of 4 bytes at 0x1008 \
         (freed: 8 bytes into the 16-byte block at 0x1000, freed earlier)"
    );
}
