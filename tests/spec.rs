//! Runs the official WebAssembly spec testsuite through the Rust API.
//!
//! The testsuite is read from `$WASM_SPEC_TESTSUITE`, or by default from
//! `../shared/spec-testsuite` beside the checkout. Every top-level `.wast`
//! file runs in a child process of this binary (so a crash or a hang in one
//! file is reported against that file instead of taking the run down), two
//! at a time. Each command ends up passed, failed, or out of scope: a
//! command is out of scope when its module needs a proposal this engine
//! does not implement yet (decided by validating it with and without that
//! proposal), or when its whole file belongs to such a proposal.
//!
//! Known failures are listed in `KNOWN_FAILURES` with a reason each; an
//! unexpected failure, or a known failure that now passes, fails the run.
//!
//! `cargo test --release --test spec -- FILTER` runs only the files whose
//! name contains FILTER and prints every failure's details;
//! `WASM_SPEC_VERIFIER=1` adds Cranelift's IR verifier, and
//! `WASM_SPEC_NO_SIGNALS=1` runs everything with `signals_based_traps`
//! off (every trap an explicit check, no signal handler),
//! `WASM_SPEC_TABLE_EAGER=1` with `table_lazy_init` off and
//! `WASM_SPEC_NO_COW=1` with `memory_init_cow` off; `WASM_SPEC_GC_ZEAL=1`
//! collects garbage at every GC allocation and `WASM_SPEC_COLLECTOR=null`
//! uses the collector that never does. The relaxed-SIMD
//! files run a second time with `relaxed_simd_deterministic` on, and on
//! x86-64 the SIMD files run again compiled for a CPU with nothing above
//! SSE4.2 (`WASM_SPEC_SSE42_ONLY=1` runs everything that way).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use wasm_runtime::config::Config;
use wasm_runtime::engine::Engine;
use wasm_runtime::environ::error::ErrorKind;
use wasm_runtime::module::{FuncType, GlobalType, MemoryType, Module, TableType, ValType};
use wasm_runtime::runtime::{
    AnyKind, Extern, ExternRef, Func, Global, Instance, Memory, Store, Table, Trap, TrapKind, Val,
};
use wasmparser::WasmFeatures;
use wast::core::{AbstractHeapType, HeapType, NanPattern, V128Pattern, WastArgCore, WastRetCore};
use wast::parser::{self, ParseBuffer};
use wast::token::{F32, F64};
use wast::{QuoteWat, Wast, WastArg, WastDirective, WastExecute, WastInvoke, WastRet, Wat};

/// Commands that fail for a known reason: (file, line, reason).
const KNOWN_FAILURES: &[(&str, usize, &str)] = &[];

/// Whether a file tests relaxed SIMD, whose results depend on
/// `relaxed_simd_deterministic`: these run a second time with it on.
fn is_relaxed_simd_file(name: &str) -> bool {
    let stem = name.trim_end_matches(".wast");
    stem.starts_with("relaxed_")
        || stem == "i16x8_relaxed_q15mulr_s"
        || stem == "i32x4_relaxed_trunc"
        || stem == "i8x16_relaxed_swizzle"
}

/// The proposal directories under `proposals/` whose files run, beside
/// the top-level files (named `<dir>/<file>` in the report).
const PROPOSAL_DIRS: &[&str] = &["threads", "custom-page-sizes", "wide-arithmetic"];

/// The proposals this engine implements: WebAssembly 2.0 (SIMD included),
/// plus relaxed SIMD, tail calls, extended constant expressions,
/// multi-memory, memory64, threads, custom page sizes, wide arithmetic,
/// typed function references and exception handling.
///
/// The threads proposal's own files predate multi-memory and reference
/// types (they assert that a second memory or table is invalid), so they
/// run without those, as their base specification has it.
fn in_scope_features() -> WasmFeatures {
    let all = WasmFeatures::WASM2
        | WasmFeatures::RELAXED_SIMD
        | WasmFeatures::TAIL_CALL
        | WasmFeatures::EXTENDED_CONST
        | WasmFeatures::MULTI_MEMORY
        | WasmFeatures::MEMORY64
        | WasmFeatures::THREADS
        | WasmFeatures::CUSTOM_PAGE_SIZES
        | WasmFeatures::WIDE_ARITHMETIC
        | WasmFeatures::FUNCTION_REFERENCES
        | WasmFeatures::GC
        | WasmFeatures::EXCEPTIONS;
    all - excluded_by_file()
}

/// The proposals the running file's base specification does not have:
/// its modules are checked without them both in scope and out of it, so
/// that what the file asserts invalid counts as passed.
fn excluded_by_file() -> WasmFeatures {
    if worker_file_name().starts_with("threads/") {
        // Typed function references build on reference types.
        WasmFeatures::MULTI_MEMORY
            | WasmFeatures::REFERENCE_TYPES
            | WasmFeatures::FUNCTION_REFERENCES
            | WasmFeatures::GC
            | WasmFeatures::EXCEPTIONS
    } else {
        WasmFeatures::empty()
    }
}

/// The name of the file this worker runs (`address.wast`, `threads/atomic.wast`).
fn worker_file_name() -> &'static str {
    static NAME: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    NAME.get_or_init(|| {
        std::env::var_os(WORKER_ENV)
            .map(|f| display_name(Path::new(&f)))
            .unwrap_or_default()
    })
}

/// A file's name in the report: its file name, with its proposal
/// directory in front for the files under `proposals/`.
fn display_name(file: &Path) -> String {
    let name = file.file_name().unwrap().to_string_lossy().into_owned();
    let parent = file.parent().and_then(|p| p.file_name());
    match parent.map(|p| p.to_string_lossy().into_owned()) {
        Some(dir) if PROPOSAL_DIRS.contains(&dir.as_str()) => format!("{dir}/{name}"),
        _ => name,
    }
}

/// Set in a worker's environment (to any value) to run its file with
/// `relaxed_simd_deterministic` on.
const DETERMINISTIC_ENV: &str = "WASM_SPEC_RELAXED_DETERMINISTIC";

/// Set in a worker's environment (to any value) to compile for an x86-64
/// CPU with nothing above SSE4.2 (see `spec_engine`).
const SSE42_ENV: &str = "WASM_SPEC_SSE42_ONLY";

/// Whether a file tests SIMD or relaxed SIMD.
fn is_simd_file(name: &str) -> bool {
    name.starts_with("simd_") || is_relaxed_simd_file(name)
}

/// The passes over the testsuite: every file runs in the default mode; the
/// relaxed-SIMD files again with `relaxed_simd_deterministic`; on x86-64
/// the SIMD files again for a CPU without AVX (the baseline lowerings).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Default,
    Deterministic,
    Sse42Only,
}

impl Mode {
    /// What follows the file's name in the report.
    fn label(self) -> &'static str {
        match self {
            Mode::Default => "",
            Mode::Deterministic => " (relaxed_simd_deterministic)",
            Mode::Sse42Only => " (SSE4.2 only)",
        }
    }

    /// The environment variable that selects the mode in a worker.
    fn env(self) -> Option<&'static str> {
        match self {
            Mode::Default => None,
            Mode::Deterministic => Some(DETERMINISTIC_ENV),
            Mode::Sse42Only => Some(SSE42_ENV),
        }
    }
}

fn spec_engine() -> Engine {
    let mut config = Config::new();
    // WASM_SPEC_VERIFIER=1 also runs Cranelift's IR verifier on every
    // function (slower; for checking the translator).
    config.set_cranelift_debug_verifier(std::env::var_os("WASM_SPEC_VERIFIER").is_some());
    // WASM_SPEC_NO_SIGNALS=1 compiles every trap as an explicit check.
    config.set_signals_based_traps(std::env::var_os("WASM_SPEC_NO_SIGNALS").is_none());
    // WASM_SPEC_TABLE_EAGER=1 writes every table element at instantiation
    // (`table_lazy_init` off); WASM_SPEC_NO_COW=1 copies data segments
    // instead of mapping memory images (`memory_init_cow` off).
    config.set_table_lazy_init(std::env::var_os("WASM_SPEC_TABLE_EAGER").is_none());
    config.set_memory_init_cow(std::env::var_os("WASM_SPEC_NO_COW").is_none());
    // WASM_SPEC_COLLECTOR=null runs GC code under the null collector.
    if std::env::var("WASM_SPEC_COLLECTOR").as_deref() == Ok("null") {
        config.set_collector(wasm_runtime::config::Collector::Null);
    }
    config.set_relaxed_simd_deterministic(std::env::var_os(DETERMINISTIC_ENV).is_some());
    // WASM_SPEC_SSE42_ONLY=1 (`SSE42_ENV`) compiles for the oldest x86-64 CPU SIMD runs
    // on: the host's features up to SSE4.2 (and POPCNT), nothing newer
    // (no AVX, AVX2, AVX-512, FMA, BMI), to exercise the baseline lowerings.
    #[cfg(target_arch = "x86_64")]
    if std::env::var_os(SSE42_ENV).is_some() {
        use std::is_x86_feature_detected as has;
        let detect = |feature: &str| -> Option<bool> {
            Some(match feature {
                "sse3" => has!("sse3"),
                "ssse3" => has!("ssse3"),
                "sse4.1" => has!("sse4.1"),
                "sse4.2" => has!("sse4.2"),
                "popcnt" => has!("popcnt"),
                "cmpxchg16b" => has!("cmpxchg16b"),
                _ => false,
            })
        };
        // SAFETY: a feature is reported present only when the host has it.
        unsafe { config.set_detect_host_feature(Some(std::sync::Arc::new(detect))) };
    }
    let features = in_scope_features();
    config
        .set_wasm_threads(true)
        .set_wasm_memory64(true)
        .set_wasm_custom_page_sizes(true)
        .set_wasm_wide_arithmetic(true)
        .set_wasm_multi_memory(features.contains(WasmFeatures::MULTI_MEMORY))
        .set_wasm_reference_types(features.contains(WasmFeatures::REFERENCE_TYPES))
        .set_wasm_gc(features.contains(WasmFeatures::GC))
        .set_wasm_function_references(features.contains(WasmFeatures::FUNCTION_REFERENCES))
        .set_wasm_exceptions(features.contains(WasmFeatures::EXCEPTIONS));
    Engine::new(&config).expect("the spec engine's configuration is valid")
}

fn testsuite_dir() -> PathBuf {
    match std::env::var_os("WASM_SPEC_TESTSUITE") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/spec-testsuite"),
    }
}

/// What happened to one command.
#[derive(Debug)]
enum Outcome {
    Pass,
    Fail(String),
    OutOfScope(String),
}

/// The result of one file, as the child process reports it on stdout.
#[derive(Default)]
struct FileReport {
    passed: usize,
    /// (line, message)
    failed: Vec<(usize, String)>,
    /// (line, reason)
    out_of_scope: Vec<(usize, String)>,
}

const WORKER_ENV: &str = "WASM_SPEC_WORKER_FILE";
const FILE_TIMEOUT: Duration = Duration::from_secs(180);

fn main() {
    if let Some(file) = std::env::var_os(WORKER_ENV) {
        run_worker(Path::new(&file));
        return;
    }
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    if std::env::args().any(|a| a == "--list") {
        // `cargo test -- --list` asks harnesses for their tests.
        println!("spec: test");
        return;
    }
    std::process::exit(run_parent(filter.as_deref()));
}

/// Runs every file in child processes and checks the totals against the
/// known failures. Returns the process exit code.
fn run_parent(filter: Option<&str>) -> i32 {
    let dir = testsuite_dir();
    let wast_files = |dir: &Path| -> Vec<PathBuf> {
        std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("cannot read the spec testsuite at {}: {e}", dir.display()))
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|ext| ext == "wast"))
            .collect()
    };
    let mut files = wast_files(&dir);
    for proposal in PROPOSAL_DIRS {
        files.extend(wast_files(&dir.join("proposals").join(proposal)));
    }
    files.retain(|p| filter.is_none_or(|f| display_name(p).contains(f)));
    files.sort();
    assert!(
        !files.is_empty(),
        "no .wast files found in {}",
        dir.display()
    );

    let name_of = |p: &PathBuf| display_name(p);
    let mut jobs: Vec<(PathBuf, Mode)> = files.iter().map(|p| (p.clone(), Mode::Default)).collect();
    jobs.extend(
        files
            .iter()
            .filter(|p| is_relaxed_simd_file(&name_of(p)))
            .map(|p| (p.clone(), Mode::Deterministic)),
    );
    if cfg!(target_arch = "x86_64") {
        jobs.extend(
            files
                .iter()
                .filter(|p| is_simd_file(&name_of(p)))
                .map(|p| (p.clone(), Mode::Sse42Only)),
        );
    }
    let queue = Mutex::new(jobs.into_iter());
    let reports: Mutex<BTreeMap<String, FileReport>> = Mutex::new(BTreeMap::new());
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(4);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                let Some((file, mode)) = queue.lock().unwrap().next() else {
                    break;
                };
                let name = format!("{}{}", name_of(&file), mode.label());
                let report = run_child(&file, mode);
                reports.lock().unwrap().insert(name, report);
            });
        }
    });

    let reports = reports.into_inner().unwrap();
    let verbose = filter.is_some();
    let (mut passed, mut failed, mut out_of_scope) = (0, 0, 0);
    let mut unexpected = Vec::new();
    let mut known_seen = Vec::new();
    for (name, report) in &reports {
        passed += report.passed;
        failed += report.failed.len();
        out_of_scope += report.out_of_scope.len();
        let mut line = format!(
            "{name}: {} passed, {} failed, {} out of scope",
            report.passed,
            report.failed.len(),
            report.out_of_scope.len()
        );
        if let Some((_, reason)) = report.out_of_scope.first() {
            line.push_str(&format!(" ({reason})"));
        }
        println!("{line}");
        for (at, message) in &report.failed {
            let known = KNOWN_FAILURES
                .iter()
                .find(|(file, l, _)| file == name && *l == *at);
            match known {
                Some(k) => known_seen.push(*k),
                None => unexpected.push(format!("{name}:{at}: {message}")),
            }
            if verbose {
                println!("    line {at}: {message}");
            }
        }
    }
    let stale: Vec<_> = KNOWN_FAILURES
        .iter()
        .filter(|k| reports.contains_key(k.0) && !known_seen.contains(k))
        .collect();
    println!();
    println!(
        "spec testsuite: {passed} passed, {failed} failed ({} known), {out_of_scope} out of scope, in {} files",
        known_seen.len(),
        reports.len()
    );
    for u in &unexpected {
        println!("UNEXPECTED FAILURE {u}");
    }
    for (file, line, reason) in &stale {
        println!(
            "KNOWN FAILURE NOW PASSES {file}:{line} ({reason}): remove it from KNOWN_FAILURES"
        );
    }
    let ok = unexpected.is_empty() && stale.is_empty();
    // The plain closing line CI reads: one "test", the whole suite.
    println!(
        "spec: {} passed, {} failed",
        usize::from(ok),
        usize::from(!ok)
    );
    if ok {
        0
    } else {
        1
    }
}

/// Runs one file in a child process, in `mode`, with a time limit and
/// parses its report.
fn run_child(file: &Path, mode: Mode) -> FileReport {
    let mut command = Command::new(std::env::current_exe().unwrap());
    // The run's own environment passes through, so that setting one of
    // the mode variables for the whole run applies it to every file.
    command.env(WORKER_ENV, file);
    if let Some(var) = mode.env() {
        command.env(var, "1");
    }
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn spec worker");
    let stdout = child.stdout.take().unwrap();
    let stderr = child.stderr.take().unwrap();
    let out_reader =
        std::thread::spawn(move || std::io::read_to_string(stdout).unwrap_or_default());
    let err_reader =
        std::thread::spawn(move || std::io::read_to_string(stderr).unwrap_or_default());
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for spec worker") {
            break Some(status);
        }
        if started.elapsed() > FILE_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let out = out_reader.join().unwrap();
    let err = err_reader.join().unwrap();
    let mut report = parse_report(&out);
    match status {
        None => report
            .failed
            .push((0, format!("timed out after {FILE_TIMEOUT:?}"))),
        Some(s) if !s.success() => {
            let tail: String = err.lines().rev().take(5).collect::<Vec<_>>().join(" | ");
            report
                .failed
                .push((0, format!("worker exited with {s}: {tail}")));
        }
        Some(_) => {}
    }
    report
}

fn parse_report(out: &str) -> FileReport {
    let mut report = FileReport::default();
    for line in out.lines() {
        let mut parts = line.splitn(3, '\t');
        let (Some(kind), Some(at), rest) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        let at: usize = at.parse().unwrap_or(0);
        let rest = rest.unwrap_or("").to_string();
        match kind {
            "PASS" => report.passed += 1,
            "FAIL" => report.failed.push((at, rest)),
            "SKIP" => report.out_of_scope.push((at, rest)),
            _ => {}
        }
    }
    report
}

/// The child: runs one file and prints one line per command.
fn run_worker(path: &Path) {
    let text = std::fs::read_to_string(path).expect("read .wast file");
    // Run deep recursion tests on a thread with a generous host stack: the
    // wasm stack limit is what must stop them, not the host's stack size.
    std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(move || run_directives(&text))
        .unwrap()
        .join()
        .expect("spec worker thread panicked");
}

fn run_directives(text: &str) {
    // names.wast exercises bidirectional-override characters on purpose.
    let mut lexer = wast::lexer::Lexer::new(text);
    lexer.allow_confusing_unicode(true);
    let buf = match ParseBuffer::new_with_lexer(lexer) {
        Ok(buf) => buf,
        Err(e) => {
            println!("FAIL\t0\tlexing failed: {e}");
            return;
        }
    };
    let wast: Wast = match parser::parse(&buf) {
        Ok(w) => w,
        Err(e) => {
            println!("FAIL\t0\tparsing failed: {e}");
            return;
        }
    };
    let mut ctx = Context::new();
    for directive in wast.directives {
        let line = directive.span().linecol_in(text).0 + 1;
        match ctx.run(directive) {
            Outcome::Pass => println!("PASS\t{line}"),
            Outcome::Fail(m) => println!("FAIL\t{line}\t{}", one_line(&m)),
            Outcome::OutOfScope(r) => println!("SKIP\t{line}\t{}", one_line(&r)),
        }
    }
}

fn one_line(s: &str) -> String {
    s.replace(['\n', '\t'], " ")
}

/// The state of one file's run: its store, instances and registrations.
struct Context {
    engine: Engine,
    store: Store,
    spectest: HashMap<&'static str, Extern>,
    registered: HashMap<String, Instance>,
    named: HashMap<String, Instance>,
    current: Option<Instance>,
    /// Set when the most recent module was out of scope: commands that use
    /// it are out of scope too.
    current_out_of_scope: Option<String>,
    named_out_of_scope: HashMap<String, String>,
    /// Registrations of out-of-scope modules: importing from them is out
    /// of scope too.
    registered_out_of_scope: HashMap<String, String>,
    /// `(module definition $name ...)`s, instantiated by `module instance`.
    definitions: HashMap<String, Module>,
    /// Externref payloads by the number the script gives them.
    externs: HashMap<u32, ExternRef>,
}

impl Context {
    fn new() -> Context {
        let engine = spec_engine();
        let store = Store::new(&engine);
        // WASM_SPEC_GC_ZEAL=1 collects at every GC allocation, so that
        // every stack map of the GC files' code is walked.
        store.set_gc_zeal(std::env::var_os("WASM_SPEC_GC_ZEAL").is_some());
        let spectest = spectest_exports(&store);
        Context {
            engine,
            store,
            spectest,
            registered: HashMap::new(),
            named: HashMap::new(),
            current: None,
            current_out_of_scope: None,
            named_out_of_scope: HashMap::new(),
            registered_out_of_scope: HashMap::new(),
            definitions: HashMap::new(),
            externs: HashMap::new(),
        }
    }

    fn run(&mut self, directive: WastDirective<'_>) -> Outcome {
        match directive {
            WastDirective::Module(mut module) => {
                let name = module.name().map(|id| id.name().to_string());
                let bytes = match module.encode() {
                    Ok(b) => b,
                    Err(e) => return Outcome::Fail(format!("encoding the module failed: {e}")),
                };
                match self.instantiate(&bytes) {
                    Ok(instance) => {
                        self.current_out_of_scope = None;
                        if let Some(name) = name {
                            self.named_out_of_scope.remove(&name);
                            self.named.insert(name, instance.clone());
                        }
                        self.current = Some(instance);
                        Outcome::Pass
                    }
                    Err(Failure::OutOfScope(reason)) => {
                        self.current = None;
                        self.current_out_of_scope = Some(reason.clone());
                        if let Some(name) = name {
                            self.named_out_of_scope.insert(name, reason.clone());
                        }
                        Outcome::OutOfScope(reason)
                    }
                    Err(Failure::Error(e)) => {
                        self.current = None;
                        Outcome::Fail(format!("module failed: {e}"))
                    }
                }
            }
            WastDirective::Register { name, module, .. } => {
                if let Some(reason) = self.out_of_scope_ref(module.map(|id| id.name())) {
                    self.registered_out_of_scope
                        .insert(name.to_string(), reason.clone());
                    return Outcome::OutOfScope(reason);
                }
                match self.instance(module.map(|id| id.name())) {
                    Ok(instance) => {
                        self.registered_out_of_scope.remove(name);
                        self.registered.insert(name.to_string(), instance);
                        Outcome::Pass
                    }
                    Err(e) => Outcome::Fail(e),
                }
            }
            WastDirective::Invoke(invoke) => {
                if let Some(reason) = self.out_of_scope_ref(invoke.module.map(|id| id.name())) {
                    return Outcome::OutOfScope(reason);
                }
                match self.invoke(&invoke) {
                    Ok(Ok(_)) => Outcome::Pass,
                    Ok(Err(trap)) => Outcome::Fail(format!("unexpected trap: {}", trap.message())),
                    Err(Failure::OutOfScope(r)) => Outcome::OutOfScope(r),
                    Err(Failure::Error(e)) => Outcome::Fail(e),
                }
            }
            WastDirective::AssertReturn { exec, results, .. } => self.assert_return(exec, &results),
            WastDirective::AssertTrap { exec, message, .. } => self.assert_trap(exec, message),
            WastDirective::AssertExhaustion { call, message, .. } => {
                self.assert_trap(WastExecute::Invoke(call), message)
            }
            WastDirective::AssertInvalid {
                module, message, ..
            } => self.assert_rejected(module, message, "invalid"),
            WastDirective::AssertMalformed {
                module, message, ..
            } => {
                if let QuoteWat::QuoteModule(..) = module {
                    // Text that must not parse: the text format is the
                    // `wast` crate's business, not the engine's.
                    return self.assert_malformed_text(module);
                }
                self.assert_rejected(module, message, "malformed")
            }
            WastDirective::AssertUnlinkable {
                module, message, ..
            } => self.assert_unlinkable(module, message),
            WastDirective::ModuleDefinition(mut module) => {
                let name = module.name().map(|id| id.name().to_string());
                let bytes = match module.encode() {
                    Ok(bytes) => bytes,
                    Err(e) => return Outcome::Fail(format!("encoding the module failed: {e}")),
                };
                match self.compile(&bytes) {
                    Ok(compiled) => {
                        if let Some(name) = name {
                            self.named_out_of_scope.remove(&name);
                            self.definitions.insert(name, compiled);
                        }
                        Outcome::Pass
                    }
                    Err(Failure::OutOfScope(r)) => {
                        if let Some(name) = name {
                            self.named_out_of_scope.insert(name, r.clone());
                        }
                        Outcome::OutOfScope(r)
                    }
                    Err(Failure::Error(e)) => Outcome::Fail(e),
                }
            }
            WastDirective::ModuleInstance {
                instance, module, ..
            } => self.module_instance(instance.map(|id| id.name()), module.map(|id| id.name())),
            WastDirective::AssertException { exec, .. } => self.assert_exception(exec),
            WastDirective::AssertSuspension { .. } => {
                Outcome::OutOfScope("stack switching proposal".into())
            }
            WastDirective::Thread(_) | WastDirective::Wait { .. } => {
                Outcome::OutOfScope("threads proposal".into())
            }
            WastDirective::AssertInvalidCustom { .. }
            | WastDirective::AssertMalformedCustom { .. } => {
                Outcome::OutOfScope("custom-section annotations".into())
            }
        }
    }

    /// `(module instance $instance $definition)`: a fresh instance of a
    /// module definition (instantiation is generative).
    fn module_instance(&mut self, instance: Option<&str>, definition: Option<&str>) -> Outcome {
        let Some(definition) = definition else {
            return Outcome::Fail("module instance without a definition".into());
        };
        if let Some(reason) = self.named_out_of_scope.get(definition).cloned() {
            if let Some(name) = instance {
                self.named_out_of_scope
                    .insert(name.to_string(), reason.clone());
            }
            return Outcome::OutOfScope(reason);
        }
        let Some(module) = self.definitions.get(definition).cloned() else {
            return Outcome::Fail(format!("no module definition ${definition}"));
        };
        match self.instantiate_module(&module) {
            Ok(new_instance) => {
                if let Some(name) = instance {
                    self.named_out_of_scope.remove(name);
                    self.named.insert(name.to_string(), new_instance.clone());
                }
                self.current_out_of_scope = None;
                self.current = Some(new_instance);
                Outcome::Pass
            }
            Err(Failure::OutOfScope(r)) => Outcome::OutOfScope(r),
            Err(Failure::Error(e)) => Outcome::Fail(e),
        }
    }

    /// The out-of-scope reason of the module a command refers to, if any.
    fn out_of_scope_ref(&self, name: Option<&str>) -> Option<String> {
        match name {
            Some(name) => self.named_out_of_scope.get(name).cloned(),
            None => self.current_out_of_scope.clone(),
        }
    }

    fn instance(&self, name: Option<&str>) -> Result<Instance, String> {
        match name {
            Some(name) => self
                .named
                .get(name)
                .cloned()
                .ok_or_else(|| format!("no module named ${name}")),
            None => self
                .current
                .clone()
                .ok_or_else(|| "no current module".to_string()),
        }
    }

    /// Compiles a module, telling an out-of-scope module from a failure.
    fn compile(&self, bytes: &[u8]) -> Result<Module, Failure> {
        if let Some(reason) = needs_other_proposal(bytes) {
            return Err(Failure::OutOfScope(reason));
        }
        Module::new(&self.engine, bytes).map_err(|e| Failure::Error(format!("{e:#}")))
    }

    fn imports_for(&self, module: &Module) -> Result<Vec<Extern>, Failure> {
        module
            .imports()
            .into_iter()
            .map(|(module_name, name, _ty)| {
                if let Some(reason) = self.registered_out_of_scope.get(&module_name) {
                    return Err(Failure::OutOfScope(reason.clone()));
                }
                let found = if module_name == "spectest" {
                    self.spectest.get(name.as_str()).cloned()
                } else {
                    self.registered
                        .get(&module_name)
                        .and_then(|instance| instance.get_export(&name))
                };
                found.ok_or_else(|| Failure::Error(format!("unknown import {module_name}::{name}")))
            })
            .collect()
    }

    fn instantiate(&self, bytes: &[u8]) -> Result<Instance, Failure> {
        let module = self.compile(bytes)?;
        self.instantiate_module(&module)
    }

    fn instantiate_module(&self, module: &Module) -> Result<Instance, Failure> {
        let imports = self.imports_for(module)?;
        Instance::new(&self.store, module, &imports).map_err(|e| Failure::Error(e.to_string()))
    }

    /// The externref of host value `n`, the same one every time.
    fn host_value(&mut self, n: u32) -> ExternRef {
        let store = &self.store;
        self.externs
            .entry(n)
            .or_insert_with(|| ExternRef::new(store, Box::new(n)))
            .clone()
    }

    fn arg_value(&mut self, arg: &WastArg<'_>) -> Result<Val, Failure> {
        let WastArg::Core(arg) = arg else {
            return Err(Failure::OutOfScope("component model values".into()));
        };
        Ok(match arg {
            WastArgCore::I32(v) => Val::I32(*v),
            WastArgCore::I64(v) => Val::I64(*v),
            WastArgCore::F32(v) => Val::F32(v.bits),
            WastArgCore::F64(v) => Val::F64(v.bits),
            WastArgCore::V128(v) => Val::V128(u128::from_le_bytes(v.to_le_bytes())),
            WastArgCore::RefNull(HeapType::Abstract { ty, .. }) => match ty {
                AbstractHeapType::Func | AbstractHeapType::NoFunc => Val::FuncRef(None),
                AbstractHeapType::Extern | AbstractHeapType::NoExtern => Val::ExternRef(None),
                AbstractHeapType::Exn | AbstractHeapType::NoExn => Val::ExnRef(None),
                AbstractHeapType::Any
                | AbstractHeapType::Eq
                | AbstractHeapType::I31
                | AbstractHeapType::Struct
                | AbstractHeapType::Array
                | AbstractHeapType::None => Val::AnyRef(None),
                other => {
                    return Err(Failure::OutOfScope(format!("{other:?} references")));
                }
            },
            WastArgCore::RefNull(_) => {
                return Err(Failure::OutOfScope(
                    "typed references (function references)".into(),
                ))
            }
            WastArgCore::RefExtern(n) => Val::ExternRef(Some(self.host_value(*n))),
            // A host value seen from the GC hierarchy: `any.convert_extern`
            // of the externref of the same number.
            WastArgCore::RefHost(n) => Val::AnyRef(Some(self.host_value(*n).to_any())),
        })
    }

    fn invoke(&mut self, invoke: &WastInvoke<'_>) -> Result<Result<Vec<Val>, Trap>, Failure> {
        let instance = self
            .instance(invoke.module.map(|id| id.name()))
            .map_err(Failure::Error)?;
        let func = match instance.get_export(invoke.name) {
            Some(Extern::Func(f)) => f,
            _ => {
                return Err(Failure::Error(format!(
                    "no exported function {:?}",
                    invoke.name
                )))
            }
        };
        let params = invoke
            .args
            .iter()
            .map(|a| self.arg_value(a))
            .collect::<Result<Vec<_>, _>>()?;
        let ty = func.ty();
        let mut results: Vec<Val> = ty.results.iter().map(|t| Val::default_for(*t)).collect();
        Ok(func.call(&params, &mut results).map(|()| results))
    }

    fn get(&self, module: Option<&str>, global: &str) -> Result<Vec<Val>, Failure> {
        let instance = self.instance(module).map_err(Failure::Error)?;
        match instance.get_export(global) {
            Some(Extern::Global(g)) => Ok(vec![g.get()]),
            _ => Err(Failure::Error(format!("no exported global {global:?}"))),
        }
    }

    fn execute(&mut self, exec: WastExecute<'_>) -> Result<Result<Vec<Val>, Trap>, Failure> {
        match exec {
            WastExecute::Invoke(invoke) => {
                if let Some(reason) = self.out_of_scope_ref(invoke.module.map(|id| id.name())) {
                    return Err(Failure::OutOfScope(reason));
                }
                self.invoke(&invoke)
            }
            WastExecute::Get { module, global, .. } => {
                if let Some(reason) = self.out_of_scope_ref(module.map(|id| id.name())) {
                    return Err(Failure::OutOfScope(reason));
                }
                Ok(Ok(self.get(module.map(|id| id.name()), global)?))
            }
            WastExecute::Wat(mut wat) => {
                let bytes = encode_wat(&mut wat).map_err(Failure::Error)?;
                let module = self.compile(&bytes)?;
                let imports = self.imports_for(&module)?;
                match Instance::new(&self.store, &module, &imports) {
                    Ok(_) => Ok(Ok(Vec::new())),
                    Err(e) => match e.as_trap() {
                        Some(trap) => Ok(Err(trap.clone())),
                        None => Err(Failure::Error(format!("instantiation failed: {e}"))),
                    },
                }
            }
        }
    }

    fn assert_return(&mut self, exec: WastExecute<'_>, expected: &[WastRet<'_>]) -> Outcome {
        let actual = match self.execute(exec) {
            Ok(Ok(values)) => values,
            Ok(Err(trap)) => return Outcome::Fail(format!("unexpected trap: {}", trap.message())),
            Err(Failure::OutOfScope(r)) => return Outcome::OutOfScope(r),
            Err(Failure::Error(e)) => return Outcome::Fail(e),
        };
        if actual.len() != expected.len() {
            return Outcome::Fail(format!(
                "expected {} results, got {}",
                expected.len(),
                actual.len()
            ));
        }
        for (i, (value, want)) in actual.iter().zip(expected).enumerate() {
            let WastRet::Core(want) = want else {
                return Outcome::OutOfScope("component model values".into());
            };
            match self.matches(value, want) {
                Ok(true) => {}
                Ok(false) => {
                    return Outcome::Fail(format!("result {i}: expected {want:?}, got {value:?}"))
                }
                Err(reason) => return Outcome::OutOfScope(reason),
            }
        }
        Outcome::Pass
    }

    /// Whether `value` matches the expected result; `Err` when the
    /// expectation is out of scope.
    fn matches(&self, value: &Val, want: &WastRetCore<'_>) -> Result<bool, String> {
        Ok(match (value, want) {
            (Val::I32(a), WastRetCore::I32(b)) => a == b,
            (Val::I64(a), WastRetCore::I64(b)) => a == b,
            (Val::F32(bits), WastRetCore::F32(pattern)) => f32_matches(*bits, pattern),
            (Val::F64(bits), WastRetCore::F64(pattern)) => f64_matches(*bits, pattern),
            (Val::V128(bits), WastRetCore::V128(pattern)) => v128_matches(*bits, pattern),
            (Val::FuncRef(r), WastRetCore::RefNull(ty)) => {
                r.is_none() && ty_is(ty, &[AbstractHeapType::Func, AbstractHeapType::NoFunc])
            }
            (Val::ExternRef(r), WastRetCore::RefNull(ty)) => {
                r.is_none() && ty_is(ty, &[AbstractHeapType::Extern, AbstractHeapType::NoExtern])
            }
            (Val::ExnRef(r), WastRetCore::RefNull(ty)) => {
                r.is_none() && ty_is(ty, &[AbstractHeapType::Exn, AbstractHeapType::NoExn])
            }
            (Val::ExternRef(r), WastRetCore::RefExtern(n)) => match (r, n) {
                (None, _) => false,
                (Some(_), None) => true,
                (Some(r), Some(n)) => r.data().downcast_ref::<u32>() == Some(n),
            },
            (Val::AnyRef(r), WastRetCore::RefNull(ty)) => {
                use AbstractHeapType as A;
                r.is_none() && ty_is(ty, &[A::Any, A::Eq, A::I31, A::Struct, A::Array, A::None])
            }
            (Val::AnyRef(r), want) if is_any_expectation(want) => {
                let Some(r) = r else {
                    return Ok(false);
                };
                match want {
                    WastRetCore::RefAny => true,
                    WastRetCore::RefEq => r.kind() != AnyKind::Extern,
                    WastRetCore::RefI31 => r.kind() == AnyKind::I31,
                    WastRetCore::RefStruct => r.kind() == AnyKind::Struct,
                    WastRetCore::RefArray => r.kind() == AnyKind::Array,
                    WastRetCore::RefHost(n) => r
                        .as_extern()
                        .is_some_and(|e| e.data().downcast_ref::<u32>() == Some(n)),
                    _ => false,
                }
            }
            (Val::FuncRef(r), WastRetCore::RefFunc(_)) => r.is_some(),
            (value, WastRetCore::Either(options)) => {
                for option in options {
                    if self.matches(value, option)? {
                        return Ok(true);
                    }
                }
                false
            }
            (_, WastRetCore::RefI31Shared) => {
                return Err("shared i31 references (shared-everything threads)".into())
            }
            _ => false,
        })
    }

    /// `assert_exception`: the call must end with an exception that no
    /// wasm frame caught, which the host sees as an `UncaughtException`
    /// trap carrying it.
    fn assert_exception(&mut self, exec: WastExecute<'_>) -> Outcome {
        match self.execute(exec) {
            Ok(Ok(values)) => Outcome::Fail(format!("expected an exception, got {values:?}")),
            Ok(Err(trap)) => {
                if trap.kind() == Some(TrapKind::UncaughtException) && trap.exception().is_some() {
                    Outcome::Pass
                } else {
                    Outcome::Fail(format!(
                        "expected an uncaught exception, got trap {:?}",
                        trap.message()
                    ))
                }
            }
            Err(Failure::OutOfScope(r)) => Outcome::OutOfScope(r),
            Err(Failure::Error(e)) => Outcome::Fail(e),
        }
    }

    fn assert_trap(&mut self, exec: WastExecute<'_>, message: &str) -> Outcome {
        match self.execute(exec) {
            Ok(Ok(values)) => Outcome::Fail(format!("expected trap {message:?}, got {values:?}")),
            Ok(Err(trap)) => {
                // The reference interpreter adds detail to some messages
                // ("uninitialized element 2"); the kind's text must match.
                // A `call_indirect` past the table's end is the reference's
                // (Wasmtime's) table-out-of-bounds trap; the spec calls it
                // "undefined element".
                let undefined_element = message.starts_with("undefined element")
                    && trap.kind() == Some(TrapKind::TableOutOfBounds);
                // `call_ref` on null is the reference's null-reference
                // trap, which the spec words "null function reference".
                let null_function = message == "null function reference"
                    && trap.kind() == Some(TrapKind::NullReference);
                if trap.message().contains(message)
                    || undefined_element
                    || null_function
                    || (trap.kind().is_some() && message.starts_with(trap.message()))
                {
                    Outcome::Pass
                } else {
                    Outcome::Fail(format!(
                        "expected trap {message:?}, got {:?}",
                        trap.message()
                    ))
                }
            }
            Err(Failure::OutOfScope(r)) => Outcome::OutOfScope(r),
            Err(Failure::Error(e)) => Outcome::Fail(e),
        }
    }

    /// `assert_invalid` and binary `assert_malformed`: the engine must
    /// refuse the module.
    fn assert_rejected(&mut self, mut module: QuoteWat<'_>, message: &str, what: &str) -> Outcome {
        let bytes = match module.encode() {
            Ok(b) => b,
            // A module the text parser already refuses is malformed/invalid
            // before it reaches us.
            Err(_) => return Outcome::Pass,
        };
        if let Some(reason) = needs_other_proposal(&bytes) {
            return Outcome::OutOfScope(reason);
        }
        match Module::new(&self.engine, &bytes) {
            Ok(_) => Outcome::Fail(format!(
                "expected {what} module ({message:?}) to be refused"
            )),
            Err(e) if matches!(e.kind(), ErrorKind::Invalid { .. }) => Outcome::Pass,
            // Invalid in the file's base specification because it uses a
            // proposal that specification lacks: the engine, configured
            // without it, refuses the module naming the option.
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::Unsupported {
                        option: Some(_),
                        ..
                    }
                ) && !excluded_by_file().is_empty() =>
            {
                Outcome::Pass
            }
            Err(e) => Outcome::Fail(format!(
                "expected {what} module ({message:?}) to be refused as invalid, got {:?}: {e}",
                e.kind()
            )),
        }
    }

    fn assert_malformed_text(&mut self, mut module: QuoteWat<'_>) -> Outcome {
        match module.encode() {
            Err(_) => Outcome::Pass,
            Ok(bytes) => match Module::new(&self.engine, &bytes) {
                Err(_) => Outcome::Pass,
                Ok(_) => Outcome::Fail("expected malformed text module to be refused".into()),
            },
        }
    }

    fn assert_unlinkable(&mut self, mut module: Wat<'_>, message: &str) -> Outcome {
        let bytes = match encode_wat(&mut module) {
            Ok(b) => b,
            Err(e) => return Outcome::Fail(e),
        };
        let module = match self.compile(&bytes) {
            Ok(m) => m,
            Err(Failure::OutOfScope(r)) => return Outcome::OutOfScope(r),
            Err(Failure::Error(e)) => return Outcome::Fail(format!("module failed: {e}")),
        };
        let imports = match self.imports_for(&module) {
            Ok(imports) => imports,
            Err(Failure::OutOfScope(r)) => return Outcome::OutOfScope(r),
            // An import that does not exist at all is unlinkable too.
            Err(Failure::Error(_)) => return Outcome::Pass,
        };
        match Instance::new(&self.store, &module, &imports) {
            Ok(_) => Outcome::Fail(format!("expected unlinkable ({message:?}), but it linked")),
            Err(e) if matches!(e.kind(), ErrorKind::Link { .. }) => Outcome::Pass,
            Err(e) => Outcome::Fail(format!(
                "expected a link error ({message:?}), got {:?}: {e}",
                e.kind()
            )),
        }
    }
}

/// Whether the lanes of `bits` (little-endian) match the expected lanes;
/// float lanes may expect canonical or arithmetic NaNs.
fn v128_matches(bits: u128, pattern: &V128Pattern) -> bool {
    let bytes = bits.to_le_bytes();
    let lane = |i: usize, width: usize| -> u64 {
        let mut b = [0u8; 8];
        b[..width].copy_from_slice(&bytes[i * width..(i + 1) * width]);
        u64::from_le_bytes(b)
    };
    match pattern {
        V128Pattern::I8x16(want) => (0..16).all(|i| lane(i, 1) as u8 == want[i] as u8),
        V128Pattern::I16x8(want) => (0..8).all(|i| lane(i, 2) as u16 == want[i] as u16),
        V128Pattern::I32x4(want) => (0..4).all(|i| lane(i, 4) as u32 == want[i] as u32),
        V128Pattern::I64x2(want) => (0..2).all(|i| lane(i, 8) == want[i] as u64),
        V128Pattern::F32x4(want) => (0..4).all(|i| f32_matches(lane(i, 4) as u32, &want[i])),
        V128Pattern::F64x2(want) => (0..2).all(|i| f64_matches(lane(i, 8), &want[i])),
    }
}

fn f32_matches(bits: u32, pattern: &NanPattern<F32>) -> bool {
    match pattern {
        NanPattern::CanonicalNan => bits & 0x7fff_ffff == 0x7fc0_0000,
        NanPattern::ArithmeticNan => f32::from_bits(bits).is_nan() && bits & 0x0040_0000 != 0,
        NanPattern::Value(v) => bits == v.bits,
    }
}

fn f64_matches(bits: u64, pattern: &NanPattern<F64>) -> bool {
    match pattern {
        NanPattern::CanonicalNan => bits & 0x7fff_ffff_ffff_ffff == 0x7ff8_0000_0000_0000,
        NanPattern::ArithmeticNan => {
            f64::from_bits(bits).is_nan() && bits & 0x0008_0000_0000_0000 != 0
        }
        NanPattern::Value(v) => bits == v.bits,
    }
}

/// Whether `want` is an expectation about a non-null `any` reference.
fn is_any_expectation(want: &WastRetCore<'_>) -> bool {
    matches!(
        want,
        WastRetCore::RefAny
            | WastRetCore::RefEq
            | WastRetCore::RefI31
            | WastRetCore::RefStruct
            | WastRetCore::RefArray
            | WastRetCore::RefHost(_)
    )
}

fn ty_is(ty: &Option<HeapType<'_>>, allowed: &[AbstractHeapType]) -> bool {
    match ty {
        None => true,
        Some(HeapType::Abstract { ty, .. }) => allowed.contains(ty),
        Some(_) => false,
    }
}

fn encode_wat(wat: &mut Wat<'_>) -> Result<Vec<u8>, String> {
    wat.encode()
        .map_err(|e| format!("encoding the module failed: {e}"))
}

enum Failure {
    OutOfScope(String),
    Error(String),
}

/// `Some(reason)` when the module is invalid with this engine's proposals
/// but valid once the others are on: it needs a proposal we don't run.
fn needs_other_proposal(bytes: &[u8]) -> Option<String> {
    let in_scope =
        wasmparser::Validator::new_with_features(in_scope_features()).validate_all(bytes);
    let Err(e) = in_scope else { return None };
    // Stack switching is left out: it lets tags have results, which the
    // exception files rightly assert invalid. Custom descriptors too: it
    // relaxes `br_on_cast`'s typing, which the GC files assert invalid.
    let everything = WasmFeatures::all()
        - WasmFeatures::LEGACY_EXCEPTIONS
        - WasmFeatures::STACK_SWITCHING
        - WasmFeatures::CUSTOM_DESCRIPTORS
        - excluded_by_file();
    match wasmparser::Validator::new_with_features(everything).validate_all(bytes) {
        Ok(_) => Some(format!("needs another proposal: {}", e.message())),
        Err(_) => None,
    }
}

/// The `spectest` module every testsuite file may import from.
fn spectest_exports(store: &Store) -> HashMap<&'static str, Extern> {
    let mut exports = HashMap::new();
    let print = |params: Vec<ValType>| -> Extern {
        Extern::Func(Func::new(
            store,
            FuncType::new(params, []),
            Box::new(|_params: &[Val], _results: &mut [Val]| Ok(())),
        ))
    };
    exports.insert("print", print(vec![]));
    exports.insert("print_i32", print(vec![ValType::I32]));
    exports.insert("print_i64", print(vec![ValType::I64]));
    exports.insert("print_f32", print(vec![ValType::F32]));
    exports.insert("print_f64", print(vec![ValType::F64]));
    exports.insert("print_i32_f32", print(vec![ValType::I32, ValType::F32]));
    exports.insert("print_f64_f64", print(vec![ValType::F64, ValType::F64]));
    let global = |content: ValType, value: Val| -> Extern {
        let ty = GlobalType {
            content,
            mutable: false,
        };
        Extern::Global(Global::new(store, ty, value).expect("spectest global"))
    };
    exports.insert("global_i32", global(ValType::I32, Val::I32(666)));
    exports.insert("global_i64", global(ValType::I64, Val::I64(666)));
    exports.insert(
        "global_f32",
        global(ValType::F32, Val::F32(666.6f32.to_bits())),
    );
    exports.insert(
        "global_f64",
        global(ValType::F64, Val::F64(666.6f64.to_bits())),
    );
    let table = TableType {
        element: ValType::FUNCREF,
        minimum: 10,
        maximum: Some(20),
        table64: false,
    };
    exports.insert(
        "table",
        Extern::Table(Table::new(store, table, Val::FuncRef(None)).expect("spectest table")),
    );
    let table64 = TableType {
        table64: true,
        ..table
    };
    exports.insert(
        "table64",
        Extern::Table(Table::new(store, table64, Val::FuncRef(None)).expect("spectest table64")),
    );
    let memory = MemoryType::new(1, Some(2));
    exports.insert(
        "memory",
        Extern::Memory(Memory::new(store, memory).expect("spectest memory")),
    );
    let shared = MemoryType {
        shared: true,
        ..memory
    };
    exports.insert(
        "shared_memory",
        Extern::Memory(Memory::new(store, shared).expect("spectest shared memory")),
    );
    exports
}
