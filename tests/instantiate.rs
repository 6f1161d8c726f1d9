//! Instantiation fast paths: memories initialised from copy-on-write
//! images (`memory_init_cow`), element segments written straight into
//! tables, and fresh memories that read as zero whatever earlier instances
//! did. Every behaviour is checked with `memory_init_cow` on and off: the
//! fast path must be indistinguishable from applying segments one by one.

use wasm_runtime::config::Config;
use wasm_runtime::engine::Engine;
use wasm_runtime::module::{MemoryType, Module, TableType, ValType};
use wasm_runtime::runtime::{Extern, Func, Instance, Memory, Store, Table, TrapKind, Val};

fn engines() -> Vec<(bool, Engine)> {
    [true, false]
        .into_iter()
        .map(|cow| {
            let mut config = Config::default();
            config.set_memory_init_cow(cow);
            (cow, Engine::new(&config).unwrap())
        })
        .collect()
}

fn module(engine: &Engine, wat: &str) -> Module {
    Module::new(engine, &wat::parse_str(wat).expect("valid wat")).expect("module compiles")
}

fn func(instance: &Instance, name: &str) -> Func {
    instance
        .get_export(name)
        .and_then(Extern::into_func)
        .unwrap_or_else(|| panic!("no function export {name}"))
}

fn memory(instance: &Instance) -> Memory {
    instance
        .get_export("memory")
        .and_then(Extern::into_memory)
        .expect("memory export")
}

fn call(f: &Func, params: &[Val]) -> i32 {
    let mut results = [Val::I32(0)];
    f.call(params, &mut results).expect("call succeeds");
    match results[0] {
        Val::I32(v) => v,
        ref other => panic!("expected an i32 result, got {other:?}"),
    }
}

fn bytes(mem: &Memory, offset: usize, len: usize) -> Vec<u8> {
    assert!(offset + len <= mem.data_size());
    // SAFETY: the range is inside the memory (checked above) and nothing
    // runs wasm while the slice is read.
    unsafe { std::slice::from_raw_parts(mem.data_ptr().add(offset), len).to_vec() }
}

/// Two pages (up to four), data on both, helpers to poke and grow it, and
/// `nonzero_from` counting nonzero bytes from an address to the end.
const DATA_MODULE: &str = r#"
(module
  (memory (export "memory") 2 4)
  (data (i32.const 0) "hello")
  (data (i32.const 3) "LP")
  (data (i32.add (i32.const 70000) (i32.const 1)) "world")
  (func (export "store") (param i32 i32) (i32.store8 (local.get 0) (local.get 1)))
  (func (export "load") (param i32) (result i32) (i32.load8_u (local.get 0)))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "fill") (param i32 i32)
    (memory.fill (local.get 0) (i32.const 0xAB) (local.get 1)))
  (func (export "nonzero_from") (param $a i32) (result i32)
    (local $n i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $a) (i32.mul (memory.size) (i32.const 65536))))
        (if (i32.load8_u (local.get $a))
          (then (local.set $n (i32.add (local.get $n) (i32.const 1)))))
        (local.set $a (i32.add (local.get $a) (i32.const 1)))
        (br $next)))
    (local.get $n)))
"#;

fn check_initial_contents(instance: &Instance) {
    let mem = memory(instance);
    assert_eq!(mem.size(), 2);
    assert_eq!(bytes(&mem, 0, 5), b"helLP");
    assert_eq!(bytes(&mem, 70001, 5), b"world");
    // Only the ten data bytes are nonzero, on both pages.
    assert_eq!(call(&func(instance, "nonzero_from"), &[Val::I32(0)]), 10);
}

#[test]
fn image_writes_stay_private_to_their_instance() {
    for (cow, engine) in engines() {
        let m = module(&engine, DATA_MODULE);
        let store = Store::new(&engine);
        let a = Instance::new(&store, &m, &[]).unwrap();
        let b = Instance::new(&store, &m, &[]).unwrap();
        check_initial_contents(&a);
        // Dirty every byte of `a`, image pages included, and grow it.
        func(&a, "fill")
            .call(&[Val::I32(0), Val::I32(2 * 65536)], &mut [])
            .unwrap();
        assert_eq!(call(&func(&a, "grow"), &[Val::I32(2)]), 2, "cow={cow}");
        func(&a, "fill")
            .call(&[Val::I32(0), Val::I32(4 * 65536)], &mut [])
            .unwrap();
        assert_eq!(call(&func(&a, "load"), &[Val::I32(1)]), 0xAB);
        // `b`, a later instance in the same store and one in a new store
        // all still see exactly the module's data.
        check_initial_contents(&b);
        let c = Instance::new(&Store::new(&engine), &m, &[]).unwrap();
        check_initial_contents(&c);
        drop((a, b, c));
        drop(store);
        let d = Instance::new(&Store::new(&engine), &m, &[]).unwrap();
        check_initial_contents(&d);
    }
}

#[test]
fn fresh_memories_read_zero_after_earlier_instances_dirtied_theirs() {
    for (cow, engine) in engines() {
        let m = module(&engine, DATA_MODULE);
        for round in 0..20 {
            let store = Store::new(&engine);
            let i = Instance::new(&store, &m, &[]).unwrap();
            check_initial_contents(&i);
            let grow = func(&i, "grow");
            assert_eq!(call(&grow, &[Val::I32(2)]), 2);
            // The grown pages read as zero, then get dirtied for the next
            // round's instance, as does everything else.
            assert_eq!(
                call(&func(&i, "nonzero_from"), &[Val::I32(2 * 65536)]),
                0,
                "round {round}, cow={cow}"
            );
            func(&i, "fill")
                .call(&[Val::I32(0), Val::I32(4 * 65536)], &mut [])
                .unwrap();
            assert_eq!(call(&grow, &[Val::I32(1)]), -1, "past the maximum");
        }
    }
}

#[test]
fn grow_keeps_image_contents_and_adds_zero_pages() {
    for (cow, engine) in engines() {
        let m = module(&engine, DATA_MODULE);
        let i = Instance::new(&Store::new(&engine), &m, &[]).unwrap();
        let store8 = func(&i, "store");
        store8
            .call(&[Val::I32(1), Val::I32(b'E' as i32)], &mut [])
            .unwrap();
        let mem = memory(&i);
        assert_eq!(mem.grow(1).unwrap(), 2);
        assert_eq!(call(&func(&i, "grow"), &[Val::I32(1)]), 3);
        assert_eq!(mem.size(), 4);
        assert_eq!(bytes(&mem, 0, 5), b"hElLP", "cow={cow}");
        assert_eq!(bytes(&mem, 70001, 5), b"world");
        assert_eq!(call(&func(&i, "nonzero_from"), &[Val::I32(2 * 65536)]), 0);
        store8
            .call(&[Val::I32(4 * 65536 - 1), Val::I32(7)], &mut [])
            .unwrap();
        assert_eq!(call(&func(&i, "load"), &[Val::I32(4 * 65536 - 1)]), 7);
        assert_eq!(call(&func(&i, "nonzero_from"), &[Val::I32(0)]), 11);
    }
}

#[test]
fn out_of_bounds_data_traps_after_earlier_segments_were_applied() {
    for (cow, engine) in engines() {
        let store = Store::new(&engine);
        let imported = Memory::new(&store, MemoryType::new(1, None)).unwrap();
        // The defined memory's segments are all in bounds (an image could
        // hold them); the imported memory's second segment is not.
        let m = module(
            &engine,
            r#"(module
                 (import "env" "memory" (memory 1))
                 (memory $own 1)
                 (data (memory $own) (i32.const 0) "mine")
                 (data (memory 0) (i32.const 10) "first")
                 (data (memory 0) (i32.const 65534) "past the end")
                 (data (memory 0) (i32.const 20) "never"))"#,
        );
        match Instance::new(&store, &m, &[Extern::Memory(imported.clone())]) {
            Err(e) => match e.as_trap() {
                Some(t) => assert_eq!(t.kind(), Some(TrapKind::MemoryOutOfBounds), "cow={cow}"),
                None => panic!("expected a trap, got {e}"),
            },
            Ok(_) => panic!("expected a trap, cow={cow}"),
        }
        assert_eq!(bytes(&imported, 10, 5), b"first");
        assert_eq!(bytes(&imported, 20, 5), [0; 5]);
        assert_eq!(bytes(&imported, 65530, 6), [0; 6]);

        // A defined memory whose own segment is out of bounds traps too,
        // also for an empty segment past the end.
        for seg in [r#"(i32.const 65534) "xyz""#, r#"(i32.const 65537) """#] {
            let wat = format!(r#"(module (memory 1) (data (i32.const 0) "ok") (data {seg}))"#);
            match Instance::new(&store, &module(&engine, &wat), &[]) {
                Err(e) if e.as_trap().is_some() => {
                    assert_eq!(
                        e.as_trap().unwrap().kind(),
                        Some(TrapKind::MemoryOutOfBounds)
                    )
                }
                _ => panic!("{seg}: expected a memory out-of-bounds trap, cow={cow}"),
            }
        }
    }
}

#[test]
fn data_offsets_from_globals_and_passive_segments_still_work() {
    for (cow, engine) in engines() {
        let store = Store::new(&engine);
        let g = wasm_runtime::runtime::Global::new(
            &store,
            wasm_runtime::module::GlobalType {
                content: ValType::I32,
                mutable: false,
            },
            Val::I32(100),
        )
        .unwrap();
        let m = module(
            &engine,
            r#"(module
                 (import "env" "base" (global i32))
                 (memory (export "memory") 1)
                 (data (i32.const 0) "static")
                 (data (global.get 0) "dynamic")
                 (data $p "passive")
                 (func (export "init") (memory.init $p (i32.const 200) (i32.const 0) (i32.const 7))))"#,
        );
        let i = Instance::new(&store, &m, &[Extern::Global(g)]).unwrap();
        let mem = memory(&i);
        assert_eq!(bytes(&mem, 0, 6), b"static", "cow={cow}");
        assert_eq!(bytes(&mem, 100, 7), b"dynamic");
        assert_eq!(bytes(&mem, 200, 7), [0; 7]);
        func(&i, "init").call(&[], &mut []).unwrap();
        assert_eq!(bytes(&mem, 200, 7), b"passive");
    }
}

#[test]
fn element_segments_fill_tables_and_trap_after_earlier_ones() {
    // With a data segment the module's init plan (cached per module) fills
    // the table from precomputed function indices; without one, items are
    // evaluated one by one. Both must agree.
    for (data, (_, engine)) in ["", r#"(memory 1) (data (i32.const 0) "x")"#]
        .into_iter()
        .flat_map(|d| engines().into_iter().map(move |e| (d, e)))
    {
        let store = Store::new(&engine);
        let table = Table::new(
            &store,
            TableType {
                element: ValType::FUNCREF,
                minimum: 4,
                maximum: None,
                table64: false,
            },
            Val::FuncRef(None),
        )
        .unwrap();
        let wat = format!(
            r#"(module
                 (import "env" "table" (table 4 funcref))
                 {data}
                 (func $seven (result i32) (i32.const 7))
                 (elem (i32.const 0) func $seven)
                 (elem (i32.const 2) funcref (ref.null func) (ref.func $seven))
                 (elem (i32.const 3) func $seven $seven))"#
        );
        let m = module(&engine, &wat);
        // Twice: the second instantiation takes the cached plan.
        for _ in 0..2 {
            for index in [0, 3] {
                table.set(index, Val::FuncRef(None)).unwrap();
            }
            match Instance::new(&store, &m, &[Extern::Table(table.clone())]) {
                Err(e) if e.as_trap().is_some() => {
                    assert_eq!(
                        e.as_trap().unwrap().kind(),
                        Some(TrapKind::TableOutOfBounds)
                    )
                }
                _ => panic!("expected a table out-of-bounds trap"),
            }
            let Some(Val::FuncRef(Some(f))) = table.get(0) else {
                panic!("element 0 was set by the first segment")
            };
            assert_eq!(call(&f, &[]), 7);
            assert!(matches!(table.get(1), Some(Val::FuncRef(None))));
            assert!(matches!(table.get(2), Some(Val::FuncRef(None))));
            assert!(matches!(table.get(3), Some(Val::FuncRef(Some(_)))));
        }
    }
}

#[test]
fn instances_from_a_cached_plan_call_their_own_functions() {
    for (cow, engine) in engines() {
        let m = module(
            &engine,
            r#"(module
                 (memory 1)
                 (data (i32.const 0) "\2a")
                 (global $g (mut i32) (i32.const 0))
                 (table 3 funcref)
                 (func $get (result i32) (global.get $g))
                 (func (export "set") (param i32) (global.set $g (local.get 0)))
                 (elem (i32.const 1) funcref (ref.func $get) (ref.null func))
                 (func (export "call") (param i32) (result i32)
                   (call_indirect (result i32) (local.get 0))))"#,
        );
        let store = Store::new(&engine);
        let a = Instance::new(&store, &m, &[]).unwrap();
        let b = Instance::new(&store, &m, &[]).unwrap();
        func(&a, "set").call(&[Val::I32(1)], &mut []).unwrap();
        func(&b, "set").call(&[Val::I32(2)], &mut []).unwrap();
        assert_eq!(call(&func(&a, "call"), &[Val::I32(1)]), 1, "cow={cow}");
        assert_eq!(call(&func(&b, "call"), &[Val::I32(1)]), 2);
        for i in [&a, &b] {
            for index in [0, 2] {
                let r = func(i, "call").call(&[Val::I32(index)], &mut [Val::I32(0)]);
                let t = r.expect_err("null element traps");
                assert_eq!(t.kind(), Some(TrapKind::IndirectCallToNull));
            }
        }
    }
}

/// The function index a `call_indirect` through `table[index]` reaches
/// (each function returns its own number), or the trap it raises.
fn target(instance: &Instance, index: i32) -> Result<i32, TrapKind> {
    let mut results = [Val::I32(0)];
    match func(instance, "call").call(&[Val::I32(index)], &mut results) {
        Ok(()) => match results[0] {
            Val::I32(v) => Ok(v),
            ref other => panic!("expected an i32 result, got {other:?}"),
        },
        Err(t) => Err(t.kind().expect("a wasm trap")),
    }
}

#[test]
fn defined_tables_hold_overlapping_segments_in_order() {
    // Static, in-bounds segments of a defined table may be folded into one
    // template at module level: later segments overwrite earlier ones,
    // nulls stay null and uncovered elements are null, as when applied
    // one by one. A dynamic offset or a segment past the table's minimum
    // rules the template out; both must still behave.
    let wat = |offset: &str, table_min: u32| {
        format!(
            r#"(module
                 (import "env" "at" (global $at i32))
                 (memory 1)
                 (data (i32.const 0) "\01")
                 (table {table_min} funcref)
                 (func $f0 (result i32) (i32.const 0))
                 (func $f1 (result i32) (i32.const 1))
                 (func $f2 (result i32) (i32.const 2))
                 (elem (i32.const 0) funcref (ref.func $f0) (ref.func $f0) (ref.func $f0) (ref.func $f0))
                 (elem ({offset}) funcref (ref.func $f1) (ref.null func) (ref.func $f2))
                 (func (export "call") (param i32) (result i32)
                   (call_indirect (result i32) (local.get 0))))"#
        )
    };
    for (cow, engine) in engines() {
        let store = Store::new(&engine);
        let at = wasm_runtime::runtime::Global::new(
            &store,
            wasm_runtime::module::GlobalType {
                content: ValType::I32,
                mutable: false,
            },
            Val::I32(3),
        )
        .unwrap();
        let imports = [Extern::Global(at)];
        for offset in ["i32.const 3", "global.get $at"] {
            let m = module(&engine, &wat(offset, 7));
            for _ in 0..2 {
                let instance = Instance::new(&store, &m, &imports).unwrap();
                let found: Vec<_> = (0..7).map(|i| target(&instance, i)).collect();
                let null = Err(TrapKind::IndirectCallToNull);
                let expected = [Ok(0), Ok(0), Ok(0), Ok(1), null, Ok(2), null];
                assert_eq!(found, expected, "cow={cow} offset={offset}");
            }
        }
        // The second segment ends past the minimum of 5: the first one was
        // applied (invisible: the table is the failed instance's own) and
        // instantiation traps.
        let m = module(&engine, &wat("i32.const 3", 5));
        let Err(e) = Instance::new(&store, &m, &imports) else {
            panic!("expected a table out-of-bounds trap (cow={cow})");
        };
        assert_eq!(
            e.as_trap().and_then(|t| t.kind()),
            Some(TrapKind::TableOutOfBounds)
        );
    }
}

/// Whether the memory at `base` is mapped from a copy-on-write image (an
/// in-memory file named `wasm-memory-image`), from `/proc/self/maps`.
fn mapped_from_image(base: *mut u8) -> bool {
    let at = base as usize;
    std::fs::read_to_string("/proc/self/maps")
        .expect("Linux /proc")
        .lines()
        .any(|line| {
            let range = line.split_whitespace().next().unwrap_or("");
            let (lo, hi) = range.split_once('-').unwrap_or(("0", "0"));
            let lo = usize::from_str_radix(lo, 16).unwrap_or(0);
            let hi = usize::from_str_radix(hi, 16).unwrap_or(0);
            (lo..hi).contains(&at) && line.contains("wasm-memory-image")
        })
}

/// `memory_guaranteed_dense_image_size` (issue 16): a sparse memory (two
/// bytes 8 MiB apart: 2 of about 129 pages hold data) gets a copy-on-write
/// image only when its initialised range fits the guaranteed dense size;
/// otherwise its segments are copied at instantiation. Both give the same
/// contents; a dense memory always gets its image.
#[test]
fn sparse_images_follow_the_guaranteed_dense_size() {
    let sparse = r#"(module (memory (export "m") 256)
        (data (i32.const 0) "\01") (data (i32.const 0x800000) "\02"))"#;
    let dense = r#"(module (memory (export "m") 1) (data (i32.const 0) "dense data"))"#;
    for (limit, sparse_image) in [(1 << 20, false), (16 << 20, true)] {
        let mut config = Config::new();
        config.set_memory_guaranteed_dense_image_size(limit);
        let engine = Engine::new(&config).unwrap();
        let store = Store::new(&engine);
        for (wat, want_image) in [(sparse, sparse_image), (dense, true)] {
            let module = Module::new(&engine, &wat::parse_str(wat).unwrap()).unwrap();
            let instance = Instance::new(&store, &module, &[]).unwrap();
            let m = instance
                .get_export("m")
                .and_then(Extern::into_memory)
                .unwrap();
            assert_eq!(
                mapped_from_image(m.data_ptr()),
                want_image,
                "limit {limit}: {wat}"
            );
            // SAFETY: both offsets are inside the memory's minimum.
            unsafe {
                assert_eq!(m.data_ptr().read(), if wat == sparse { 1 } else { b'd' });
                if wat == sparse {
                    assert_eq!(m.data_ptr().add(0x800000).read(), 2);
                }
            }
        }
    }
}

/// The lines of this process's memory map that name `needle`.
fn maps_lines(needle: &str) -> Vec<String> {
    std::fs::read_to_string("/proc/self/maps")
        .unwrap()
        .lines()
        .filter(|l| l.contains(needle))
        .map(str::to_string)
        .collect()
}

/// A module loaded with `deserialize_file` maps its memory images from that
/// file (copy-on-write: the instance's writes never reach the file) instead
/// of building in-memory copies; `force_memory_init_memfd` asks for the
/// in-memory files anyway. Observed in `/proc/self/maps`.
#[test]
fn deserialized_files_are_their_own_memory_images_unless_memfd_is_forced() {
    let dir = std::env::temp_dir().join(format!("wasm-runtime-file-images-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let wat = r#"(module
        (memory (export "memory") 2)
        (data (i32.const 0) "from the file")
        (data (i32.const 70000) "second page"))"#;
    for force_memfd in [false, true] {
        let mut config = Config::default();
        config.set_force_memory_init_memfd(force_memfd);
        let engine = Engine::new(&config).unwrap();
        let path = dir.join(format!("images-{force_memfd}.cwasm"));
        std::fs::write(&path, module(&engine, wat).serialize().unwrap()).unwrap();
        let on_disk = std::fs::read(&path).unwrap();
        let loaded = Module::deserialize_file(&engine, &path).unwrap();
        let store = Store::new(&engine);
        let instance = Instance::new(&store, &loaded, &[]).unwrap();
        let Some(Extern::Memory(memory)) = instance.get_export("memory") else {
            panic!("no memory");
        };
        // SAFETY: the memory is live and 2 pages long; nothing else uses it.
        let bytes =
            unsafe { std::slice::from_raw_parts_mut(memory.data_ptr(), memory.data_size()) };
        assert_eq!(&bytes[..13], b"from the file");
        assert_eq!(&bytes[70000..70011], b"second page");
        assert!(bytes[13..70000].iter().all(|&b| b == 0));

        let name = path.to_str().unwrap();
        // The code is mapped executable from the file either way; the image
        // is its writable (private) mapping.
        let writable_from_file = maps_lines(name).iter().any(|l| l.contains(" rw-p "));
        assert_eq!(
            writable_from_file,
            !force_memfd,
            "force_memory_init_memfd={force_memfd}: {:?}",
            maps_lines(name)
        );
        if force_memfd {
            assert!(!maps_lines("wasm-memory-image").is_empty());
        }
        bytes[0] = b'F';
        assert_eq!(
            std::fs::read(&path).unwrap(),
            on_disk,
            "writes stay private"
        );
        drop(instance);
        drop(store);
    }
    let _ = std::fs::remove_dir_all(&dir);
}
