//! The `profiler` option, observed from outside: the perf map, the
//! jitdump file and a stand-in for VTune's JIT collector list every
//! published function (compiled, deserialized and trampolines) at the
//! addresses the code runs from, and `none` writes nothing.
//!
//! Both files are per process (`/tmp/perf-<pid>.map`, `./jit-<pid>.dump`),
//! so each scenario runs in a child process of this test binary (the test
//! re-runs itself with `WASM_RUNTIME_PROFILING_CHILD` set), which checks
//! its own files; the parent removes them afterwards.
//!
//! The jitdump's debug-info records need Debian's `clang` and `lld`
//! (wasm-ld) for a guest with DWARF, as tests/backtrace_details.rs.

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use wasm_runtime::config::{Config, ProfilingStrategy};
use wasm_runtime::engine::Engine;
use wasm_runtime::module::{FuncType, Module, ValType};
use wasm_runtime::runtime::{is_wasm_code, Extern, Func, Instance, Store, Val};

const CHILD: &str = "WASM_RUNTIME_PROFILING_CHILD";

/// Runs the test `name` of this binary in a child process whose current
/// directory is `cwd`; fails if the child fails. Returns the child's pid.
fn run_in_child(name: &str, cwd: &Path) -> u32 {
    let child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .current_dir(cwd)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the test binary runs");
    let pid = child.id();
    let out = child.wait_with_output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "child {name} failed:\n{text}");
    assert!(
        text.contains("1 passed"),
        "child {name} did not run its test:\n{text}"
    );
    pid
}

fn in_child() -> bool {
    std::env::var_os(CHILD).is_some()
}

fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wasm-runtime-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// An import, two named functions and an unnamed one.
const WAT: &str = r#"
    (module
      (import "host" "tick" (func $tick))
      (func $fib (export "fib") (param i32) (result i32)
        local.get 0
        i32.const 2
        i32.lt_u
        if (result i32)
          local.get 0
        else
          local.get 0
          i32.const 1
          i32.sub
          call $fib
          local.get 0
          i32.const 2
          i32.sub
          call $fib
          i32.add
        end)
      (func $run (export "run") (result i32)
        call $tick
        i32.const 10
        call $fib)
      (func (export "anon") (param i64) (result i64)
        local.get 0
        i64.const 3
        i64.mul))
"#;

/// The names the profiler must show for the module's defined functions
/// (indices 1, 2, 3: the import is function 0).
const NAMES: [(u32, &str); 3] = [(1, "fib"), (2, "run"), (3, "wasm-function[3]")];

/// Compiles the module, runs it, and loads it again from its serialized
/// form: the two copies whose code the profiler must have heard of.
fn load_and_run(engine: &Engine) -> Vec<Module> {
    let compiled = Module::new(engine, &wat::parse_str(WAT).unwrap()).unwrap();
    let bytes = compiled.serialize().unwrap();
    let deserialized = Module::deserialize(engine, &bytes).unwrap();
    for module in [&compiled, &deserialized] {
        let store = Store::new(engine);
        let tick = Func::new(&store, FuncType::new([], []), Box::new(|_, _| Ok(())));
        let instance = Instance::new(&store, module, &[Extern::Func(tick)]).unwrap();
        let run = instance
            .get_export("run")
            .and_then(Extern::into_func)
            .unwrap();
        let mut results = [Val::I32(0)];
        run.call(&[], &mut results).unwrap();
        assert_eq!(results[0].i32(), Some(55));
    }
    vec![compiled, deserialized]
}

fn engine(profiler: ProfilingStrategy) -> Engine {
    let mut config = Config::new();
    config.set_profiler(profiler);
    Engine::new(&config).unwrap()
}

/// The trampoline names the runtime gives the module's three types
/// (`() -> ()` comes from the import, `(i32) -> i32`, `() -> i32` and
/// `(i64) -> i64` from the definitions).
fn expected_trampolines() -> BTreeSet<String> {
    let types = [
        FuncType::new([], []),
        FuncType::new([ValType::I32], [ValType::I32]),
        FuncType::new([], [ValType::I32]),
        FuncType::new([ValType::I64], [ValType::I64]),
    ];
    let mut names = BTreeSet::new();
    for ty in types {
        names.insert(format!("trampoline[host-to-wasm] {ty}"));
        names.insert(format!("trampoline[wasm-to-host] {ty}"));
    }
    names
}

/// Checks (start, size, name) entries against the modules: every defined
/// function of each module at its entry under its name, every trampoline,
/// ranges inside published code and pairwise disjoint.
fn check_entries(entries: &[(usize, usize, String)], modules: &[Module]) {
    for module in modules {
        for (index, name) in NAMES {
            let start = module.func_ptr(index) as usize;
            let found: Vec<_> = entries.iter().filter(|e| e.0 == start).collect();
            assert_eq!(
                found.len(),
                1,
                "function {index} at {start:#x}: {entries:?}"
            );
            assert_eq!(found[0].2, name);
            assert!(found[0].1 > 0);
        }
    }
    let trampolines: BTreeSet<String> = entries
        .iter()
        .filter(|e| e.2.starts_with("trampoline["))
        .map(|e| e.2.clone())
        .collect();
    assert_eq!(trampolines, expected_trampolines());
    assert_eq!(
        entries.len(),
        modules.len() * NAMES.len() + expected_trampolines().len(),
        "one entry per function and trampoline: {entries:?}"
    );
    let mut sorted = entries.to_vec();
    sorted.sort();
    for pair in sorted.windows(2) {
        assert!(pair[0].0 + pair[0].1 <= pair[1].0, "overlap: {pair:?}");
    }
    for (start, size, name) in &sorted {
        assert!(
            is_wasm_code(*start) && is_wasm_code(start + size - 1),
            "{name} at {start:#x}+{size:#x} is not inside published code"
        );
    }
}

fn perf_map_path(pid: u32) -> PathBuf {
    PathBuf::from(format!("/tmp/perf-{pid}.map"))
}

#[test]
fn perfmap_lists_every_function_and_trampoline() {
    if !in_child() {
        let dir = scratch_dir("perfmap");
        let pid = run_in_child("perfmap_lists_every_function_and_trampoline", &dir);
        let _ = std::fs::remove_file(perf_map_path(pid));
        let _ = std::fs::remove_dir_all(&dir);
        return;
    }
    let engine = engine(ProfilingStrategy::PerfMap);
    let modules = load_and_run(&engine);
    let text = std::fs::read_to_string(perf_map_path(std::process::id())).unwrap();
    let entries: Vec<(usize, usize, String)> = text
        .lines()
        .map(|line| {
            let mut parts = line.splitn(3, ' ');
            let start = usize::from_str_radix(parts.next().unwrap(), 16).unwrap();
            let size = usize::from_str_radix(parts.next().unwrap(), 16).unwrap();
            (start, size, parts.next().unwrap().to_string())
        })
        .collect();
    check_entries(&entries, &modules);
    assert!(
        !Path::new(&format!("jit-{}.dump", std::process::id())).exists(),
        "perfmap writes no jitdump file"
    );
}

/// Little-endian fields of a byte slice, failing the test on truncation.
struct Fields<'a>(&'a [u8]);

impl Fields<'_> {
    fn take(&mut self, n: usize) -> &[u8] {
        assert!(self.0.len() >= n, "truncated jitdump file");
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        head
    }
    fn u32(&mut self) -> u32 {
        u32::from_le_bytes(self.take(4).try_into().unwrap())
    }
    fn u64(&mut self) -> u64 {
        u64::from_le_bytes(self.take(8).try_into().unwrap())
    }
}

fn monotonic_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

#[test]
fn jitdump_has_a_code_load_record_per_function() {
    if !in_child() {
        let dir = scratch_dir("jitdump");
        run_in_child("jitdump_has_a_code_load_record_per_function", &dir);
        let _ = std::fs::remove_dir_all(&dir);
        return;
    }
    let before = monotonic_ns();
    let engine = engine(ProfilingStrategy::JitDump);
    let modules = load_and_run(&engine);
    let pid = std::process::id();
    let name = format!("jit-{pid}.dump");
    let bytes = std::fs::read(&name).unwrap();
    let mut r = Fields(&bytes);
    assert_eq!(r.u32(), 0x4A69_5444, "magic");
    assert_eq!(r.u32(), 1, "version");
    assert_eq!(r.u32(), 40, "header size");
    let machine = r.u32();
    if cfg!(target_arch = "x86_64") {
        assert_eq!(machine, 62);
    } else if cfg!(target_arch = "aarch64") {
        assert_eq!(machine, 183);
    }
    assert_eq!(r.u32(), 0, "pad");
    assert_eq!(r.u32(), pid);
    let created = r.u64();
    assert!(
        before <= created && created <= monotonic_ns(),
        "monotonic timestamp"
    );
    assert_eq!(r.u64(), 0, "flags");

    let mut entries = Vec::new();
    let mut last_time = created;
    while !r.0.is_empty() {
        let record_start = r.0.len();
        assert_eq!(r.u32(), 0, "JIT_CODE_LOAD");
        let total = r.u32() as usize;
        let time = r.u64();
        assert!(time >= last_time);
        last_time = time;
        assert_eq!(r.u32(), pid);
        let _tid = r.u32();
        let vma = r.u64();
        let addr = r.u64();
        assert_eq!(vma, addr);
        let size = r.u64() as usize;
        assert_eq!(r.u64(), entries.len() as u64, "code_index");
        let nul =
            r.0.iter()
                .position(|&b| b == 0)
                .expect("a NUL-terminated name");
        let name = String::from_utf8(r.take(nul).to_vec()).unwrap();
        r.take(1);
        let code = r.take(size);
        assert!(is_wasm_code(addr as usize));
        // SAFETY: `addr` is the start of `size` bytes of published code
        // (the registry knows it as wasm code, checked above), readable
        // while `modules` and `engine` are alive.
        let published = unsafe { std::slice::from_raw_parts(addr as *const u8, size) };
        assert_eq!(code, published, "{name}: code bytes equal the running code");
        assert_eq!(record_start - r.0.len(), total, "record size");
        entries.push((addr as usize, size, name));
    }
    check_entries(&entries, &modules);

    // perf finds the file through an executable mapping of it.
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
    let mapping = maps
        .lines()
        .find(|l| l.ends_with(&format!("/{name}")))
        .unwrap_or_else(|| panic!("{name} is not mapped:\n{maps}"));
    assert!(
        mapping
            .split_whitespace()
            .nth(1)
            .unwrap()
            .starts_with("r-x"),
        "{mapping}"
    );
    assert!(!perf_map_path(pid).exists(), "jitdump writes no perf map");
}

/// The C guest of the debug-info records; `work` spans lines 1 to 7.
const C_SOURCE: &str = r#"__attribute__((noinline, export_name("work"))) int work(int n) {
  int acc = 0;
  for (int i = 0; i < n; i++) {
    acc += i * i ^ (acc >> 3);
  }
  return acc;
}
"#;
/// The name of `C_SOURCE`'s file, and the lines of `work`.
const C_FILE: &str = "jitdump_guest.c";
const WORK_LINES: std::ops::RangeInclusive<u32> = 1..=7;

/// `C_SOURCE` compiled to wasm with `-g`.
fn compile_c_guest() -> Vec<u8> {
    support::require_tool("clang", "clang");
    support::require_tool("wasm-ld", "lld");
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("profiling");
    std::fs::create_dir_all(&dir).unwrap();
    let source = dir.join(C_FILE);
    std::fs::write(&source, C_SOURCE).unwrap();
    let wasm = dir.join("jitdump_guest.wasm");
    let out = std::process::Command::new("clang")
        .args([
            "--target=wasm32",
            "-g",
            "-O1",
            "-nostdlib",
            "-Wl,--no-entry",
        ])
        .arg("-o")
        .arg(&wasm)
        .arg(&source)
        .output()
        .expect("run clang");
    assert!(
        out.status.success(),
        "clang failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read(&wasm).unwrap()
}

/// A record of a jitdump file.
enum Record {
    /// `JIT_CODE_LOAD`: address, size, name.
    CodeLoad(u64, usize, String),
    /// `JIT_CODE_DEBUG_INFO`: code address, entries (address, line,
    /// file).
    DebugInfo(u64, Vec<(u64, u32, String)>),
}

/// The records of the process's jitdump file (after its header).
fn jitdump_records() -> Vec<Record> {
    let bytes = std::fs::read(format!("jit-{}.dump", std::process::id())).unwrap();
    let mut r = Fields(&bytes);
    r.take(40);
    let c_string = |r: &mut Fields<'_>| {
        let nul =
            r.0.iter()
                .position(|&b| b == 0)
                .expect("a NUL-terminated string");
        let text = String::from_utf8(r.take(nul).to_vec()).unwrap();
        r.take(1);
        text
    };
    let mut records = Vec::new();
    while !r.0.is_empty() {
        let record_start = r.0.len();
        let id = r.u32();
        let total = r.u32() as usize;
        let _time = r.u64();
        match id {
            0 => {
                let _pid = r.u32();
                let _tid = r.u32();
                let _vma = r.u64();
                let addr = r.u64();
                let size = r.u64() as usize;
                let _index = r.u64();
                let name = c_string(&mut r);
                r.take(size);
                records.push(Record::CodeLoad(addr, size, name));
            }
            2 => {
                let addr = r.u64();
                let count = r.u64();
                let entries = (0..count)
                    .map(|_| {
                        let entry_addr = r.u64();
                        let line = r.u32();
                        assert_eq!(r.u32(), 0, "discrim");
                        (entry_addr, line, c_string(&mut r))
                    })
                    .collect();
                records.push(Record::DebugInfo(addr, entries));
            }
            other => panic!("unexpected record id {other}"),
        }
        assert_eq!(record_start - r.0.len(), total, "record size");
    }
    records
}

/// Compiles the C guest (and loads it again from its serialized form)
/// with `debug_info` as given, runs `work`, and returns the dump's
/// records.
fn c_guest_records(debug_info: bool) -> Vec<Record> {
    let mut config = Config::new();
    config.set_profiler(ProfilingStrategy::JitDump);
    config.set_debug_info(debug_info);
    let engine = Engine::new(&config).unwrap();
    let compiled = Module::new(&engine, &compile_c_guest()).unwrap();
    let deserialized = Module::deserialize(&engine, &compiled.serialize().unwrap()).unwrap();
    for module in [&compiled, &deserialized] {
        let store = Store::new(&engine);
        let instance = Instance::new(&store, module, &[]).unwrap();
        let work = instance
            .get_export("work")
            .and_then(Extern::into_func)
            .unwrap();
        let mut results = [Val::I32(0)];
        work.call(&[Val::I32(10)], &mut results).unwrap();
    }
    jitdump_records()
}

/// With `debug_info` on, the code load of `work` (in both copies of the
/// module) is right after a debug-info record for its address whose
/// entries are inside its code, ascending, and name the C file and lines
/// of `work`; no other record has one (trampolines have no lines).
#[test]
fn jitdump_has_debug_info_records_with_debug_info_on() {
    const TEST: &str = "jitdump_has_debug_info_records_with_debug_info_on";
    if !in_child() {
        let dir = scratch_dir("jitdump-debug");
        run_in_child(TEST, &dir);
        let _ = std::fs::remove_dir_all(&dir);
        return;
    }
    let records = c_guest_records(true);
    let mut with_lines = 0;
    for (i, record) in records.iter().enumerate() {
        match record {
            Record::CodeLoad(addr, size, name) if name == "work" => {
                let Some(Record::DebugInfo(info_addr, entries)) =
                    i.checked_sub(1).map(|p| &records[p])
                else {
                    panic!("no debug-info record right before the code load of work");
                };
                assert_eq!(info_addr, addr, "the debug info is for work's code");
                assert!(!entries.is_empty());
                assert!(
                    entries[0].0 - *addr < 64,
                    "the first entry is within the prologue's reach of the entry point"
                );
                assert!(entries.windows(2).all(|w| w[0].0 < w[1].0), "{entries:?}");
                for (entry_addr, line, file) in entries {
                    assert!(
                        (*addr..*addr + *size as u64).contains(entry_addr),
                        "{entry_addr:#x} outside work's code at {addr:#x}+{size}"
                    );
                    assert!(WORK_LINES.contains(line), "line {line} outside work");
                    assert!(file.ends_with(&format!("/{C_FILE}")), "{file}");
                }
                // The loop's lines, not only the opening one.
                assert!(entries.iter().any(|e| e.1 >= 3), "{entries:?}");
                with_lines += 1;
            }
            Record::CodeLoad(_, _, name) => {
                assert!(
                    !matches!(
                        i.checked_sub(1).map(|p| &records[p]),
                        Some(Record::DebugInfo(..))
                    ),
                    "{name} has a debug-info record"
                );
            }
            Record::DebugInfo(..) => {
                assert!(
                    matches!(records.get(i + 1), Some(Record::CodeLoad(..))),
                    "a debug-info record is followed by its code load"
                );
            }
        }
    }
    assert_eq!(with_lines, 2, "the compiled and the deserialized work");
}

/// With `debug_info` off, the same guest's dump has code loads only.
#[test]
fn jitdump_has_no_debug_info_records_with_debug_info_off() {
    const TEST: &str = "jitdump_has_no_debug_info_records_with_debug_info_off";
    if !in_child() {
        let dir = scratch_dir("jitdump-nodebug");
        run_in_child(TEST, &dir);
        let _ = std::fs::remove_dir_all(&dir);
        return;
    }
    let records = c_guest_records(false);
    assert!(records
        .iter()
        .any(|r| matches!(r, Record::CodeLoad(_, _, name) if name == "work")));
    assert!(
        records.iter().all(|r| matches!(r, Record::CodeLoad(..))),
        "no debug-info records"
    );
}

#[test]
fn profiler_none_writes_nothing() {
    if !in_child() {
        let dir = scratch_dir("noprofiler");
        let pid = run_in_child("profiler_none_writes_nothing", &dir);
        assert!(std::fs::read_dir(&dir).unwrap().next().is_none());
        assert!(!perf_map_path(pid).exists());
        let _ = std::fs::remove_dir_all(&dir);
        return;
    }
    let engine = engine(ProfilingStrategy::None);
    load_and_run(&engine);
    assert!(!perf_map_path(std::process::id()).exists());
    assert!(!Path::new(&format!("jit-{}.dump", std::process::id())).exists());
}

/// The collector stand-in (`tests/profiling/vtune_collector.c`) built as
/// a shared library in `dir`.
fn build_vtune_collector(dir: &Path) -> PathBuf {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/profiling/vtune_collector.c");
    let lib = dir.join("libvtune_collector.so");
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_string());
    let out = std::process::Command::new(&cc)
        .args(["-shared", "-fPIC", "-O1", "-Wall", "-Wextra", "-Werror"])
        .arg(&source)
        .arg("-o")
        .arg(&lib)
        .output()
        .unwrap_or_else(|e| panic!("running {cc}: {e}"));
    assert!(
        out.status.success(),
        "building the collector:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    lib
}

/// `vtune`: the collector VTune names in `INTEL_JIT_PROFILER64` hears of
/// every function and trampoline, at the address it runs from, with its
/// name and, for wasm functions, a line table of wasm byte offsets inside
/// the function's body.
#[test]
fn vtune_tells_the_jit_collector_every_function_with_a_line_table() {
    const TEST: &str = "vtune_tells_the_jit_collector_every_function_with_a_line_table";
    if !in_child() {
        let dir = scratch_dir("vtune");
        let lib = build_vtune_collector(&dir);
        let log = dir.join("events.log");
        let child = std::process::Command::new(std::env::current_exe().unwrap())
            .args([TEST, "--exact", "--nocapture", "--test-threads=1"])
            .env(CHILD, "1")
            .env("INTEL_JIT_PROFILER64", &lib)
            .env("WASM_RUNTIME_VTUNE_LOG", &log)
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&child.stdout),
            String::from_utf8_lossy(&child.stderr)
        );
        assert!(
            child.status.success() && text.contains("1 passed"),
            "{text}"
        );
        let _ = std::fs::remove_dir_all(&dir);
        return;
    }
    let engine = engine(ProfilingStrategy::VTune);
    let modules = load_and_run(&engine);
    let log = std::env::var("WASM_RUNTIME_VTUNE_LOG").unwrap();
    let text = std::fs::read_to_string(&log).expect("the collector was called");
    let mut entries = Vec::new();
    for line in text.lines() {
        let (head, name) = line.split_once('|').expect("a name");
        let mut fields = head.split(' ');
        let start =
            usize::from_str_radix(fields.next().unwrap().trim_start_matches("0x"), 16).unwrap();
        let size: usize = fields.next().unwrap().parse().unwrap();
        let lines: usize = fields.next().unwrap().parse().unwrap();
        let table: Vec<(u32, u32)> = fields
            .by_ref()
            .take(lines)
            .map(|pair| {
                let (o, l) = pair.split_once(':').unwrap();
                (o.parse().unwrap(), l.parse().unwrap())
            })
            .collect();
        assert_eq!(table.len(), lines, "{line}");
        assert_eq!(fields.next(), Some("<wasm>"), "source file: {line}");
        if name.starts_with("trampoline[") {
            assert!(table.is_empty(), "trampolines have no wasm offsets: {line}");
        } else {
            // Offsets inside the function, ascending; wasm offsets inside
            // the module's binary.
            assert!(!table.is_empty(), "{name} has a line table: {line}");
            assert!(table.windows(2).all(|w| w[0].0 <= w[1].0), "{line}");
            assert!(table.iter().all(|&(o, _)| (o as usize) < size), "{line}");
            let wasm_len = wat::parse_str(WAT).unwrap().len() as u32;
            assert!(table.iter().all(|&(_, l)| l < wasm_len), "{line}");
        }
        entries.push((start, size, name.to_string()));
    }
    check_entries(&entries, &modules);
}

/// `perf inject --jit` turns the dump into one ELF object per function,
/// found through the dump's executable mapping in a `perf record -k mono`
/// recording. Skipped (with a note) where perf is missing or may not
/// record.
#[test]
fn perf_inject_accepts_the_jitdump() {
    if in_child() {
        return;
    }
    let dir = scratch_dir("perfinject");
    let perf = |args: &[&std::ffi::OsStr]| {
        std::process::Command::new("perf")
            .args(args)
            .current_dir(&dir)
            .env(CHILD, "1")
            .output()
    };
    let exe = std::env::current_exe().unwrap();
    let recorded = perf(&[
        "record".as_ref(),
        "-k".as_ref(),
        "mono".as_ref(),
        "-o".as_ref(),
        "perf.data".as_ref(),
        "--".as_ref(),
        exe.as_os_str(),
        "jitdump_has_a_code_load_record_per_function".as_ref(),
        "--exact".as_ref(),
        "--test-threads=1".as_ref(),
    ]);
    match recorded {
        Ok(out) if out.status.success() => {}
        other => {
            eprintln!("skipped: perf record is not available here: {other:?}");
            let _ = std::fs::remove_dir_all(&dir);
            return;
        }
    }
    let injected = perf(&[
        "inject".as_ref(),
        "--jit".as_ref(),
        "-i".as_ref(),
        "perf.data".as_ref(),
        "-o".as_ref(),
        "perf.jit.data".as_ref(),
    ])
    .unwrap();
    assert!(injected.status.success(), "{injected:?}");
    let objects: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.starts_with("jitted-") && name.ends_with(".so")
        })
        .collect();
    // The compiled and the deserialized module's three functions, and
    // eight trampolines.
    assert_eq!(
        objects.len(),
        2 * NAMES.len() + expected_trampolines().len(),
        "{objects:?}"
    );
    let fib = objects.iter().any(|p| {
        let bytes = std::fs::read(p).unwrap();
        bytes.windows(4).any(|w| w == b"fib\0")
    });
    assert!(fib, "an object names `fib`");
    let _ = std::fs::remove_dir_all(&dir);
}
