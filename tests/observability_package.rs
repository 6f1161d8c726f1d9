//! The observability options from C, through the installed CMake package:
//! the library is configured, built and installed into a scratch prefix as
//! tests/package.rs does, `tests/consumers/observability` is built against
//! it with `find_package(WasmRuntime)`, and each of its checks runs as its
//! own process (the profilers' files are per process) with the option on
//! and off:
//!
//! - `profiler`: the perf map, the jitdump file (and `perf inject --jit`
//!   on it) and the events a VTune collector stand-in receives list every
//!   function and trampoline, disjoint, at the code the program ran (each
//!   wasm return address `backtrace()` saw lies in its function's entry);
//!   `none` writes nothing;
//! - `debug_info`: gdb stops at a line of the C guest and its backtrace
//!   names the guest's C functions and lines, then the host's; off, the
//!   breakpoint stays pending and nothing is registered;
//! - `native_unwind_info`: `backtrace()` from a host function called by
//!   wasm reaches the host frames below the wasm frames, only when on;
//! - `wasm_backtrace_details`: the trap's frames carry the C source lines;
//! - `coredump_on_trap`: the trap's coredump validates (wasmparser) and
//!   holds the trap's frames, each listing its function's locals (values
//!   where known must be the arguments); off, there is none;
//! - `wmemcheck`: a C guest on wasi-libc's malloc traps at a use after
//!   free, a heap overflow and a double free, and a clean one passes; off,
//!   every bug goes unnoticed.
//!
//! Needs cmake, a C compiler, clang with wasm-ld and wasi-libc, and gdb
//! (missing ones fail the test with their install command; `.ci/run`
//! installs them). perf is optional as in tests/profiling.rs: the
//! `perf inject` step says it skipped when perf cannot record here.
//!
//! Every check runs even when an earlier one fails; the test fails listing
//! them all (the scratch directory is kept then).

mod support;

use std::ffi::OsStr;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Instant;

use support::{
    cmake_build, cmake_configure, compile_wasi, describe, require_tool, run_ok, Scratch,
};

/// The lines of `tests/consumers/observability/guest.c`: the division that
/// traps in `divide`, and the call in `run`.
const TRAP_LINE: u32 = 2;
const CALL_LINE: u32 = 6;

/// The names the profilers give the functions of the consumer's probe
/// module (`PROBE_WAT`) and the trampolines of its three function types.
const PROBE_FUNCS: [&str; 3] = ["inner", "outer", "wasm-function[3]"];
const PROBE_TYPES: [&str; 3] = [
    "(func)",
    "(func (result i32))",
    "(func (param i64) (result i64))",
];
/// The wasm frames of the probe's stack, innermost first, by profiler
/// entry.
const PROBE_CHAIN: &str = "trampoline[wasm-to-host] (func) < inner < outer \
                           < trampoline[host-to-wasm] (func (result i32))";

fn source_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn consumer_source() -> PathBuf {
    source_dir().join("tests/consumers/observability")
}

/// What every check works with.
struct Setup {
    scratch: PathBuf,
    /// The consumer, built against the installed package.
    program: PathBuf,
    /// guest.c with `-g`, and without.
    guest: PathBuf,
    plain_guest: PathBuf,
    /// heap.c, a WASI command.
    heap: PathBuf,
}

/// One run of the consumer.
struct Run {
    pid: u32,
    stdout: String,
    output: Output,
}

impl Run {
    fn context(&self) -> String {
        describe(&self.output)
    }

    /// Asserts the output has exactly this line.
    fn has_line(&self, line: &str) {
        assert!(
            self.stdout.lines().any(|l| l == line),
            "expected the line {line:?} {}",
            self.context()
        );
    }

    /// The rest of the first line starting with `prefix`.
    fn after(&self, prefix: &str) -> &str {
        self.stdout
            .lines()
            .find_map(|l| l.strip_prefix(prefix))
            .unwrap_or_else(|| panic!("no line starting {prefix:?} {}", self.context()))
    }
}

impl Setup {
    /// Runs `observability args...` in `dir` with `env` added (and the
    /// variables that change the options' defaults removed); fails unless
    /// it exits successfully.
    fn observe(&self, dir: &Path, args: &[&str], env: &[(&str, &OsStr)]) -> Run {
        let mut command = Command::new(&self.program);
        command
            .args(args)
            .current_dir(dir)
            .env_remove("WASM_RUNTIME_BACKTRACE_DETAILS")
            .env_remove("WASMTIME_BACKTRACE_DETAILS")
            .env_remove("INTEL_JIT_PROFILER64")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (name, value) in env {
            command.env(name, value);
        }
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", self.program.display()));
        let pid = child.id();
        let output = child.wait_with_output().unwrap();
        let run = Run {
            pid,
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            output,
        };
        assert!(
            run.output.status.success(),
            "observability {args:?} failed {}",
            run.context()
        );
        run
    }

    /// A new empty directory for one check.
    fn dir(&self, name: &str) -> PathBuf {
        let dir = self.scratch.join(name);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn guest(&self) -> &str {
        self.guest.to_str().unwrap()
    }
}

/// `guest.c` compiled for wasm32 without a libc (as tests/backtrace_details.rs
/// compiles its guest), with `flags`.
fn compile_guest(out: &Path, flags: &[&str]) {
    require_tool("clang", "clang");
    require_tool("wasm-ld", "lld");
    let output = Command::new("clang")
        .args(["--target=wasm32", "-O1", "-nostdlib", "-Wl,--no-entry"])
        .args(flags)
        .arg("-o")
        .arg(out)
        .arg(consumer_source().join("guest.c"))
        .output()
        .expect("running clang");
    assert!(
        output.status.success(),
        "clang --target=wasm32 failed (needs clang and lld) {}",
        describe(&output)
    );
}

/// Installs the package into `<scratch>/prefix`, builds the consumer
/// against it and compiles the guests.
fn set_up(scratch: &Path) -> Setup {
    let build = scratch.join("build");
    let prefix = scratch.join("prefix");
    cmake_configure(
        &source_dir(),
        &build,
        &[
            format!("-DCMAKE_INSTALL_PREFIX={}", prefix.display()),
            "-DCMAKE_INSTALL_LIBDIR=lib".to_string(),
            "-DWASM_RUNTIME_BUILD_EXAMPLES=OFF".to_string(),
            "-DWASM_RUNTIME_BUILD_CLI=OFF".to_string(),
        ],
    );
    cmake_build(&build);
    run_ok(Command::new("cmake").arg("--install").arg(&build));
    assert!(
        prefix
            .join("lib/cmake/WasmRuntime/WasmRuntimeConfig.cmake")
            .is_file(),
        "the install tree has no CMake package"
    );

    let consumer_build = scratch.join("consumer");
    cmake_configure(
        &consumer_source(),
        &consumer_build,
        &[format!("-DCMAKE_PREFIX_PATH={}", prefix.display())],
    );
    cmake_build(&consumer_build);
    let program = consumer_build.join("observability");
    // The program runs on the installed library.
    let dynamic =
        String::from_utf8(run_ok(Command::new("readelf").arg("-d").arg(&program)).stdout).unwrap();
    let major = env!("CARGO_PKG_VERSION_MAJOR");
    assert!(
        dynamic.contains(&format!("Shared library: [libwasm-runtime.so.{major}]"))
            && dynamic.contains(&prefix.join("lib").display().to_string()),
        "the consumer should load the installed libwasm-runtime.so.{major}:\n{dynamic}"
    );

    let guest = scratch.join("guest.wasm");
    compile_guest(&guest, &["-g"]);
    let plain_guest = scratch.join("guest-plain.wasm");
    compile_guest(&plain_guest, &[]);
    let heap = scratch.join("heap.wasm");
    compile_wasi(
        &[&consumer_source().join("heap.c")],
        &["-Wall", "-Werror"],
        &heap,
    );
    Setup {
        scratch: scratch.to_path_buf(),
        program,
        guest,
        plain_guest,
        heap,
    }
}

// ---- profiler ----

/// A (start, size, name) entry of a profiler.
type Entry = (u64, u64, String);

fn perf_map_path(pid: u32) -> PathBuf {
    PathBuf::from(format!("/tmp/perf-{pid}.map"))
}

/// Removes a process's perf map when the check ends, passing or not.
struct RemovePerfMap(u32);

impl Drop for RemovePerfMap {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(perf_map_path(self.0));
    }
}

fn expected_entry_names() -> Vec<String> {
    let mut names = Vec::new();
    for name in PROBE_FUNCS {
        // The compiled module and the deserialized copy.
        names.push(name.to_string());
        names.push(name.to_string());
    }
    for ty in PROBE_TYPES {
        names.push(format!("trampoline[host-to-wasm] {ty}"));
        names.push(format!("trampoline[wasm-to-host] {ty}"));
    }
    names.sort();
    names
}

/// What every profiler's run must show: every function of both copies
/// of the module and every trampoline, disjoint, in executable memory, and
/// each probe stack's wasm frames inside their functions' entries. Returns
/// the entries.
fn check_profile_entries(run: &Run) -> Vec<Entry> {
    let entries: Vec<Entry> = run
        .stdout
        .lines()
        .filter_map(|l| l.strip_prefix("entry: "))
        .map(|l| {
            let mut parts = l.splitn(3, ' ');
            let start = u64::from_str_radix(parts.next().unwrap().trim_start_matches("0x"), 16);
            let size = parts.next().unwrap().parse();
            (
                start.unwrap(),
                size.unwrap(),
                parts.next().unwrap().to_string(),
            )
        })
        .collect();
    let mut names: Vec<String> = entries.iter().map(|e| e.2.clone()).collect();
    names.sort();
    assert_eq!(names, expected_entry_names(), "{}", run.context());
    let n = entries.len();
    run.has_line(&format!(
        "entries: {n}, trampolines: {}, overlapping: 0, in executable memory: {n}",
        2 * PROBE_TYPES.len()
    ));
    for name in PROBE_FUNCS {
        run.has_line(&format!("function {name}: 2 entries"));
    }
    for stack in 0..2 {
        run.has_line(&format!(
            "probe stack {stack}: 4 wasm frames, 0 outside every entry: {PROBE_CHAIN}"
        ));
    }
    let mut sorted = entries.clone();
    sorted.sort();
    for pair in sorted.windows(2) {
        assert!(pair[0].0 + pair[0].1 <= pair[1].0, "overlap: {pair:?}");
    }
    entries
}

fn dir_entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// `perfmap`: `/tmp/perf-<pid>.map` lists what the program saw, and
/// nothing else is written.
fn check_perfmap(setup: &Setup) {
    let dir = setup.dir("perfmap");
    let run = setup.observe(&dir, &["profile", "perfmap"], &[]);
    let _cleanup = RemovePerfMap(run.pid);
    run.has_line(&format!("profiler: perfmap (3), pid {}", run.pid));
    run.has_line("perf map written: yes");
    run.has_line("jitdump written: no");
    let map = perf_map_path(run.pid);
    run.has_line(&format!("perf map: {}, 12 lines", map.display()));
    let mut seen = check_profile_entries(&run);
    // The file itself, read here.
    let text = std::fs::read_to_string(&map).expect("the perf map stays after the run");
    let mut listed: Vec<Entry> = text
        .lines()
        .map(|line| {
            let mut parts = line.splitn(3, ' ');
            let start = u64::from_str_radix(parts.next().unwrap(), 16).unwrap();
            let size = u64::from_str_radix(parts.next().unwrap(), 16).unwrap();
            (start, size, parts.next().unwrap().to_string())
        })
        .collect();
    listed.sort();
    seen.sort();
    assert_eq!(listed, seen, "the perf map:\n{text}");
    assert!(
        dir_entries(&dir).is_empty(),
        "perfmap wrote files in its directory"
    );
}

/// `none`: no perf map, no jitdump, no file at all.
fn check_profiler_none(setup: &Setup) {
    let dir = setup.dir("noprofiler");
    let run = setup.observe(&dir, &["profile", "none"], &[]);
    let _cleanup = RemovePerfMap(run.pid);
    run.has_line("perf map written: no");
    run.has_line("jitdump written: no");
    assert!(!run.stdout.contains("entry: "), "{}", run.context());
    assert!(
        !perf_map_path(run.pid).exists(),
        "profiler none wrote a perf map"
    );
    assert!(dir_entries(&dir).is_empty(), "profiler none wrote files");
}

/// `jitdump`: `./jit-<pid>.dump` with a code-load record, carrying the
/// running code's bytes, per function and trampoline; no perf map.
fn check_jitdump(setup: &Setup) {
    let dir = setup.dir("jitdump");
    let run = setup.observe(&dir, &["profile", "jitdump"], &[]);
    let _cleanup = RemovePerfMap(run.pid);
    let machine = if cfg!(target_arch = "x86_64") {
        62
    } else if cfg!(target_arch = "aarch64") {
        183
    } else {
        panic!("no ELF machine known for this architecture")
    };
    run.has_line(&format!(
        "jitdump header: magic 0x4a695444 version 1 size 40 machine {machine} \
         pid-matches yes flags 0"
    ));
    run.has_line("jitdump: 12 code-load records, 12 with the running code's bytes");
    run.has_line("jitdump mapped r-x: yes");
    run.has_line("perf map written: no");
    check_profile_entries(&run);
    let dump = dir.join(format!("jit-{}.dump", run.pid));
    let bytes = std::fs::read(&dump).expect("the jitdump file stays after the run");
    assert_eq!(&bytes[..4], b"DTiJ", "jitdump magic, little-endian");
    assert_eq!(dir_entries(&dir), [format!("jit-{}.dump", run.pid)]);
    assert!(!perf_map_path(run.pid).exists(), "jitdump wrote a perf map");
}

/// `perf inject --jit` on a recording of the jitdump run turns every
/// code-load record into an ELF object. Skipped (with a note) where perf
/// cannot record, as in tests/profiling.rs.
fn check_perf_inject(setup: &Setup) {
    let dir = setup.dir("perf-inject");
    let perf = |args: &[&OsStr]| {
        Command::new("perf")
            .args(args)
            .current_dir(&dir)
            .env_remove("INTEL_JIT_PROFILER64")
            .output()
    };
    let recorded = perf(&[
        "record".as_ref(),
        "-k".as_ref(),
        "mono".as_ref(),
        "-N".as_ref(),
        "-o".as_ref(),
        "perf.data".as_ref(),
        "--".as_ref(),
        setup.program.as_os_str(),
        "profile".as_ref(),
        "jitdump".as_ref(),
    ]);
    match &recorded {
        Ok(out) if out.status.success() => {}
        other => {
            println!(
                "perf inject: skipped: perf record is not available here \
                 (.ci/run installs linux-perf): {other:?}"
            );
            return;
        }
    }
    let dump = dir_entries(&dir)
        .into_iter()
        .find(|n| n.starts_with("jit-") && n.ends_with(".dump"))
        .expect("the recorded run wrote its jitdump");
    let injected = perf(&[
        "inject".as_ref(),
        "--jit".as_ref(),
        "-i".as_ref(),
        "perf.data".as_ref(),
        "-o".as_ref(),
        "perf.jit.data".as_ref(),
    ])
    .expect("running perf inject");
    assert!(
        injected.status.success(),
        "perf inject --jit {}",
        describe(&injected)
    );
    let objects: Vec<PathBuf> = dir_entries(&dir)
        .into_iter()
        .filter(|n| n.starts_with("jitted-") && n.ends_with(".so"))
        .map(|n| dir.join(n))
        .collect();
    assert_eq!(
        objects.len(),
        expected_entry_names().len(),
        "one object per code-load record of {dump}: {objects:?}"
    );
    let inner = objects.iter().any(|p| {
        let bytes = std::fs::read(p).unwrap();
        bytes.windows(6).any(|w| w == b"inner\0")
    });
    assert!(inner, "an object names `inner`");
    println!("perf inject: {} objects from {dump}", objects.len());
}

/// `vtune`: the collector named by `INTEL_JIT_PROFILER64` (the stand-in
/// tests/profiling.rs builds) hears of every function, the wasm ones with
/// a line table; without a collector nothing happens.
fn check_vtune(setup: &Setup) {
    let dir = setup.dir("vtune");
    let collector = dir.join("libvtune_collector.so");
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_string());
    run_ok(
        Command::new(&cc)
            .args(["-shared", "-fPIC", "-O1", "-Wall", "-Wextra", "-Werror"])
            .arg(source_dir().join("tests/profiling/vtune_collector.c"))
            .arg("-o")
            .arg(&collector),
    );
    let log = dir.join("events.log");
    let run = setup.observe(
        &dir,
        &["profile", "vtune"],
        &[
            ("INTEL_JIT_PROFILER64", collector.as_os_str()),
            ("WASM_RUNTIME_VTUNE_LOG", log.as_os_str()),
        ],
    );
    let _cleanup = RemovePerfMap(run.pid);
    run.has_line("vtune: 12 method-load events, 6 with a line table");
    run.has_line("perf map written: no");
    run.has_line("jitdump written: no");
    check_profile_entries(&run);

    let unheard = dir.join("no-collector.log");
    let run = setup.observe(
        &dir,
        &["profile", "vtune"],
        &[("WASM_RUNTIME_VTUNE_LOG", unheard.as_os_str())],
    );
    let _cleanup = RemovePerfMap(run.pid);
    run.has_line("vtune: no collector log");
    run.has_line("perf map written: no");
    run.has_line("jitdump written: no");
    assert!(!unheard.exists());
}

// ---- debug_info ----

/// `gdb -batch` running the consumer with `args` after `commands`.
fn gdb(setup: &Setup, args: &[&str], commands: &[&str]) -> Output {
    require_tool("gdb", "gdb");
    let mut gdb = Command::new("gdb");
    gdb.args(["-batch", "-nx", "-ex", "set breakpoint pending on"]);
    // No "[New Thread ...]" notes (the library's compile threads) in the
    // middle of the program's lines.
    gdb.args(["-ex", "set print thread-events off"]);
    for command in commands {
        gdb.args(["-ex", command]);
    }
    gdb.arg("--args")
        .arg(&setup.program)
        .args(args)
        .current_dir(&setup.scratch)
        // No network lookups of debug info for the host's libraries.
        .env_remove("DEBUGINFOD_URLS")
        .output()
        .expect("running gdb")
}

/// The backtrace line of frame `n` (`#n  ...`).
fn frame(text: &str, n: usize) -> &str {
    let prefix = format!("#{n} ");
    text.lines()
        .find(|l| l.starts_with(&prefix))
        .unwrap_or_else(|| panic!("no frame #{n} in the backtrace:\n{text}"))
}

fn check_debug_info(setup: &Setup) {
    // The registration, without a debugger.
    let dir = setup.dir("debug");
    let run = setup.observe(&dir, &["debug", "on", setup.guest()], &[]);
    run.has_line("registered objects before: 0");
    let registered = run.after("debug info on: registered objects: ");
    assert!(
        registered.ends_with(", symbol divide: yes") && !registered.starts_with("0,"),
        "{}",
        run.context()
    );
    run.has_line("run(5) = 21");
    run.has_line("registered objects after release: 0");

    // gdb: a breakpoint on the division's line, set before the code exists.
    let breakpoint = format!("break guest.c:{TRAP_LINE}");
    let output = gdb(
        setup,
        &["debug", "on", setup.guest()],
        &[&breakpoint, "run", "bt"],
    );
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    let context = describe(&output);
    assert!(
        text.contains("hit Breakpoint 1, ") && text.contains(" in divide ("),
        "gdb did not stop in divide {context}"
    );
    let at = |line: u32| format!("guest.c:{line}");
    let top = frame(&text, 0);
    assert!(
        top.contains(" divide (") && top.ends_with(&at(TRAP_LINE)),
        "{top} {context}"
    );
    let caller = frame(&text, 1);
    assert!(
        caller.contains(" run (") && caller.ends_with(&at(CALL_LINE)),
        "{caller} {context}"
    );
    // Below the wasm frames, gdb unwinds (through the registered
    // .eh_frame) to the host's C frames, with their lines.
    let frames: Vec<&str> = text.lines().filter(|l| l.starts_with('#')).collect();
    let host = |name: &str| {
        frames
            .iter()
            .position(|f| f.contains(&format!(" {name} (")) && f.contains("observability.c:"))
            .unwrap_or_else(|| panic!("no {name} frame in the backtrace {context}"))
    };
    let (call, main) = (host("call_guest_run"), host("main"));
    assert!(1 < call && call < main, "{context}");

    // Off: the breakpoint never resolves, the program runs to its end.
    let output = gdb(
        setup,
        &["debug", "off", setup.guest()],
        &[&breakpoint, "run", "info breakpoints"],
    );
    let text = String::from_utf8_lossy(&output.stdout);
    let context = describe(&output);
    for expected in [
        "debug info off: registered objects: 0, symbol divide: no",
        "run(5) = 21",
        "registered objects after release: 0",
    ] {
        assert!(
            text.lines().any(|l| l == expected),
            "{expected:?} {context}"
        );
    }
    assert!(
        text.contains(&format!("Breakpoint 1 (guest.c:{TRAP_LINE}) pending.")),
        "{context}"
    );
    assert!(!text.contains("hit Breakpoint"), "{context}");
    assert!(text.contains("exited normally"), "{context}");
    assert!(
        text.contains("<PENDING>"),
        "still pending at the end {context}"
    );
}

// ---- native_unwind_info ----

fn check_native_unwind_info(setup: &Setup) {
    let dir = setup.dir("unwind");
    let run = setup.observe(&dir, &["unwind", "on"], &[]);
    let summary = run.after("unwind info on: ");
    assert!(summary.ends_with(": yes"), "{}", run.context());
    // The host frames below the four wasm frames (two trampolines, inner,
    // outer), in order.
    let frames: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.starts_with("frame "))
        .map(|l| l.split_once(": ").unwrap().1)
        .collect();
    let wasm: Vec<usize> = (0..frames.len())
        .filter(|&i| frames[i] == "[wasm]")
        .collect();
    assert_eq!(wasm.len(), 4, "{}", run.context());
    assert_eq!(
        wasm[3] - wasm[0],
        3,
        "contiguous wasm frames {}",
        run.context()
    );
    let below: Vec<&str> = frames[wasm[3] + 1..]
        .iter()
        .filter_map(|f| f.split(' ').next())
        .filter(|name| ["wasm_func_call", "unwind_check", "main"].contains(name))
        .collect();
    assert_eq!(
        below,
        ["wasm_func_call", "unwind_check", "main"],
        "{}",
        run.context()
    );

    let run = setup.observe(&dir, &["unwind", "off"], &[]);
    let summary = run.after("unwind info off: ");
    assert!(summary.ends_with(": no"), "{}", run.context());
    let wasm = run
        .stdout
        .lines()
        .filter(|l| l.ends_with(": [wasm]"))
        .count();
    assert!(
        wasm <= 1,
        "the walk stops at the first wasm frame {}",
        run.context()
    );
    for name in ["wasm_func_call", "unwind_check", "main"] {
        assert!(
            !run.stdout.contains(&format!(": {name} (")),
            "{name} reached without unwind info {}",
            run.context()
        );
    }
}

// ---- wasm_backtrace_details ----

/// The source part of trap frame `n` ("FILE:LINE:COLUMN" or "none").
fn frame_source(run: &Run, n: usize) -> String {
    let line = run.after(&format!("frame {n}: "));
    line.split_once(" source ")
        .unwrap_or_else(|| panic!("frame {n} has no source field {}", run.context()))
        .1
        .to_string()
}

/// Asserts `source` is guest.c at `line` with a column.
fn assert_guest_line(source: &str, line: u32, run: &Run) {
    let mut parts = source.rsplitn(3, ':');
    let column: u32 = parts.next().unwrap_or_default().parse().unwrap_or(0);
    let at: u32 = parts.next().unwrap_or_default().parse().unwrap_or(0);
    let file = parts.next().unwrap_or_default();
    assert!(
        file.ends_with("/guest.c") && at == line && column > 0,
        "expected guest.c:{line}:<column>, not {source} {}",
        run.context()
    );
}

fn check_backtrace_details(setup: &Setup) {
    let dir = setup.dir("details");
    let run = setup.observe(&dir, &["details", "on", setup.guest()], &[]);
    run.has_line("trap: code 7: integer divide by zero");
    assert!(
        run.after("frame 0: ").contains(" divide "),
        "{}",
        run.context()
    );
    assert!(
        run.after("frame 1: ").contains(" run "),
        "{}",
        run.context()
    );
    assert_guest_line(&frame_source(&run, 0), TRAP_LINE, &run);
    assert_guest_line(&frame_source(&run, 1), CALL_LINE, &run);
    assert_guest_line(run.after("origin: "), TRAP_LINE, &run);

    // Off, and on without DWARF: the same frames, no sources.
    let plain = setup.plain_guest.to_str().unwrap();
    for args in [["details", "off", setup.guest()], ["details", "on", plain]] {
        let run = setup.observe(&dir, &args, &[]);
        run.has_line("trap: code 7: integer divide by zero");
        assert!(
            run.after("frame 0: ").contains(" divide "),
            "{}",
            run.context()
        );
        assert_eq!(frame_source(&run, 0), "none", "{}", run.context());
        assert_eq!(frame_source(&run, 1), "none", "{}", run.context());
        run.has_line("origin: none");
    }
}

// ---- coredump_on_trap ----

/// The (function index, offset) of each trap frame the consumer printed
/// (`frame N: func F NAME offset O`), with the name.
fn trap_frames(run: &Run) -> Vec<(u32, u32, String)> {
    run.stdout
        .lines()
        .filter(|l| l.starts_with("frame "))
        .map(|l| {
            let fields: Vec<&str> = l.split(' ').collect();
            // frame N: func F NAME offset O
            assert_eq!((fields[2], fields[5]), ("func", "offset"), "{l}");
            (
                fields[3].parse().unwrap(),
                fields[6].parse().unwrap(),
                fields[4].to_string(),
            )
        })
        .collect()
}

/// The function index the name section gives `name` in `wasm`.
fn function_index(wasm: &[u8], name: &str) -> u32 {
    use wasmparser::{KnownCustom, Name, Parser, Payload};
    for payload in Parser::new(0).parse_all(wasm) {
        if let Payload::CustomSection(reader) = payload.unwrap() {
            if let KnownCustom::Name(names) = reader.as_known() {
                for subsection in names {
                    if let Name::Function(map) = subsection.unwrap() {
                        for naming in map {
                            let naming = naming.unwrap();
                            if naming.name == name {
                                return naming.index;
                            }
                        }
                    }
                }
            }
        }
    }
    panic!("the guest names no function {name}")
}

/// The number of locals (parameters included) of each function of a
/// module that imports no functions.
fn local_counts(wasm: &[u8]) -> Vec<u32> {
    use wasmparser::{Parser, Payload, TypeRef};
    let (mut params, mut types, mut counts) = (Vec::new(), Vec::new(), Vec::new());
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.unwrap() {
            Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    let import = import.unwrap();
                    assert!(!matches!(import.ty, TypeRef::Func(_)), "a function import");
                }
            }
            Payload::TypeSection(reader) => {
                for ty in reader.into_iter_err_on_gc_types() {
                    params.push(ty.unwrap().params().len() as u32);
                }
            }
            Payload::FunctionSection(reader) => {
                types = reader.into_iter().map(|t| t.unwrap()).collect();
            }
            Payload::CodeSectionEntry(body) => {
                let declared: u32 = body
                    .get_locals_reader()
                    .unwrap()
                    .into_iter()
                    .map(|l| l.unwrap().0)
                    .sum();
                counts.push(params[types[counts.len()] as usize] + declared);
            }
            _ => {}
        }
    }
    counts
}

/// The memory minimums of a module's memory section.
fn memory_minimums(wasm: &[u8]) -> Vec<u64> {
    let mut pages = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        if let wasmparser::Payload::MemorySection(reader) = payload.unwrap() {
            for memory in reader {
                pages.push(memory.unwrap().initial);
            }
        }
    }
    pages
}

fn check_coredump(setup: &Setup) {
    use wasmparser::{KnownCustom, Parser, Payload};
    let dir = setup.dir("coredump");
    let out = dir.join("trap.coredump");
    let out_arg = out.to_str().unwrap();
    let run = setup.observe(&dir, &["coredump", "on", setup.guest(), out_arg], &[]);
    run.has_line("trap: code 7: integer divide by zero");
    let frames = trap_frames(&run);
    let names: Vec<&str> = frames.iter().map(|f| f.2.as_str()).collect();
    assert_eq!(names, ["divide", "run"], "{}", run.context());
    for section in ["core", "coremodules", "coreinstances", "corestack"] {
        run.has_line(&format!("section: custom {section}"));
    }
    run.has_line("corestack thread: main");
    // Each frame lists its function's locals (parameters first), each
    // missing or with its value at the trap (divide(100, 0) from run(0));
    // the operand stack is not known.
    let guest = std::fs::read(&setup.guest).unwrap();
    let local_counts = local_counts(&guest);
    let arguments: [&[i64]; 2] = [&[100, 0], &[0]];
    for (i, (func, offset, _)) in frames.iter().enumerate() {
        let count = local_counts[*func as usize];
        let listed = run.after(&format!(
            "corestack frame {i}: instance 0 func {func} offset {offset} locals {count} ["
        ));
        let values = listed
            .strip_suffix(" ] stack 0 [ ]")
            .unwrap_or_else(|| panic!("frame {i}: {listed} {}", run.context()));
        let values: Vec<&str> = values.split_whitespace().collect();
        assert_eq!(values.len(), count as usize, "{}", run.context());
        for (value, argument) in values.iter().zip(arguments[i]) {
            assert!(
                *value == "?" || *value == format!("i32:{argument}"),
                "frame {i}: a parameter of {argument} dumped as {value} {}",
                run.context()
            );
        }
    }

    // The dump, read here with wasmparser.
    let dump = std::fs::read(&out).expect("the coredump was written");
    let size = run.after("coredump: ");
    assert!(size.starts_with(&format!("{} bytes", dump.len())), "{size}");
    wasmparser::Validator::new()
        .validate_all(&dump)
        .expect("the coredump is a valid wasm module");
    let (mut stack, mut modules, mut instances, mut core) = (None, None, None, false);
    for payload in Parser::new(0).parse_all(&dump) {
        if let Payload::CustomSection(reader) = payload.unwrap() {
            match reader.as_known() {
                KnownCustom::CoreDump(_) => core = true,
                KnownCustom::CoreDumpModules(s) => modules = Some(s.modules.len()),
                KnownCustom::CoreDumpInstances(s) => {
                    instances = Some(
                        s.instances
                            .iter()
                            .map(|i| i.module_index)
                            .collect::<Vec<_>>(),
                    )
                }
                KnownCustom::CoreDumpStack(s) => {
                    assert_eq!(s.name, "main");
                    assert!(s.frames.iter().all(|f| f.stack.is_empty()));
                    stack = Some(
                        s.frames
                            .iter()
                            .map(|f| (f.instanceidx, f.funcidx, f.codeoffset, f.locals.len()))
                            .collect::<Vec<_>>(),
                    );
                }
                _ => panic!("unexpected custom section {}", reader.name()),
            }
        }
    }
    assert!(core, "no core section");
    assert_eq!(modules, Some(1), "one module");
    assert_eq!(instances, Some(vec![0]), "one instance of it");
    let expected: Vec<(u32, u32, u32, usize)> = frames
        .iter()
        .map(|f| (0, f.0, f.1, local_counts[f.0 as usize] as usize))
        .collect();
    assert_eq!(stack, Some(expected), "corestack against the trap's frames");
    assert_eq!(frames[0].0, function_index(&guest, "divide"));
    assert_eq!(frames[1].0, function_index(&guest, "run"));
    assert_eq!(
        memory_minimums(&dump),
        memory_minimums(&guest),
        "the dump holds the guest's memory at its size"
    );

    let out = dir.join("off.coredump");
    let run = setup.observe(
        &dir,
        &["coredump", "off", setup.guest(), out.to_str().unwrap()],
        &[],
    );
    run.has_line("trap: code 7: integer divide by zero");
    run.has_line("coredump: none (0 bytes)");
    assert_eq!(trap_frames(&run).len(), 2, "{}", run.context());
    assert!(!out.exists(), "no dump to write");
}

// ---- wmemcheck ----

fn check_wmemcheck(setup: &Setup) {
    let dir = setup.dir("wmemcheck");
    let heap = setup.heap.to_str().unwrap();
    let guest =
        |check: &str, mode: &str| setup.observe(&dir, &["wmemcheck", check, heap, mode], &[]);
    let block = |run: &Run| u64::from_str_radix(run.after("guest: block=0x"), 16).unwrap();

    let clean = guest("on", "clean");
    clean.has_line("guest: clean sum=20190");
    clean.has_line("guest: survived");
    clean.has_line("result: exit 0");

    let run = guest("on", "use-after-free");
    let b = block(&run);
    run.has_line(&format!(
        "result: trap code 128: wmemcheck: invalid read of 4 bytes at {:#x} \
         (freed: 4 bytes into the 16-byte block at {b:#x}, freed earlier)",
        b + 4
    ));
    assert!(!run.stdout.contains("survived"), "{}", run.context());

    let run = guest("on", "heap-overflow");
    let b = block(&run);
    run.has_line(&format!(
        "result: trap code 128: wmemcheck: invalid write of 1 byte at {:#x} \
         (unallocated heap: 0 bytes past the end of the 16-byte block at {b:#x})",
        b + 16
    ));
    assert!(!run.stdout.contains("survived"), "{}", run.context());

    let run = guest("on", "double-free");
    let b = block(&run);
    run.has_line(&format!(
        "result: trap code 128: wmemcheck: double free of {b:#x} \
         (the 32-byte block at {b:#x} was freed already)"
    ));
    assert!(!run.stdout.contains("survived"), "{}", run.context());

    // Off: the same programs run to their end.
    for mode in ["clean", "use-after-free", "heap-overflow", "double-free"] {
        let run = guest("off", mode);
        run.has_line("guest: survived");
        run.has_line("result: exit 0");
    }
    guest("off", "use-after-free").has_line("guest: read 1");
}

// ---- the test ----

/// One check of the consumer; panics when it fails.
type Check = fn(&Setup);

#[test]
fn observability_options_from_c_through_the_installed_package() {
    require_tool("cmake", "cmake");
    require_tool("cc", "gcc");
    require_tool("readelf", "binutils");
    require_tool("clang", "clang");
    require_tool("wasm-ld", "lld");
    require_tool("gdb", "gdb");
    let scratch = Scratch::new("observability-package");
    let started = Instant::now();
    let setup = set_up(&scratch.0);
    println!("install, consumer and guests: {:.1?}", started.elapsed());

    let checks: [(&str, Check); 10] = [
        ("profiler perfmap", check_perfmap),
        ("profiler none", check_profiler_none),
        ("profiler jitdump", check_jitdump),
        ("perf inject --jit", check_perf_inject),
        ("profiler vtune", check_vtune),
        ("debug_info", check_debug_info),
        ("native_unwind_info", check_native_unwind_info),
        ("wasm_backtrace_details", check_backtrace_details),
        ("coredump_on_trap", check_coredump),
        ("wmemcheck", check_wmemcheck),
    ];
    let mut failed = Vec::new();
    for (name, check) in checks {
        let started = Instant::now();
        match catch_unwind(AssertUnwindSafe(|| check(&setup))) {
            Ok(()) => println!("{name}: ok ({:.1?})", started.elapsed()),
            Err(panic) => {
                let message = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                failed.push(format!("{name}: {message}"));
            }
        }
    }
    assert!(
        failed.is_empty(),
        "{} of {} checks failed (scratch kept in {}):\n\n{}",
        failed.len(),
        checks.len(),
        scratch.0.display(),
        failed.join("\n\n")
    );
}
