//! The engine: a validated configuration, the Cranelift target ISA built
//! from it, the `Tunables` the compiler and runtime act on, the wasm
//! features modules are checked against, the epoch counter, and the
//! engine-wide runtime state shared by every store.
//!
//! An `Engine` is cheap to clone (one `Arc`) and is `Send + Sync`: modules
//! and stores of any thread may share it.

use crate::compiler::{unwind_cie, CraneliftTrampolines};
use crate::config::{
    Config, CraneliftFlag, HostFeatureDetector, InstanceAllocationStrategy, ProfilingStrategy,
};
use crate::environ::error::{Error, ErrorKind, Result};
use crate::environ::{MemorySettings, Tunables};
use crate::module::PendingWrites;
use crate::runtime::profiling::{JitDumpAgent, PerfMapAgent, ProfilingAgent, VTuneAgent};
use crate::runtime::round_up_to_page_u64;
use crate::runtime::AsyncStacks;
use crate::runtime::{CodeObservers, EngineRuntime, InstancePool};
use cranelift_codegen::isa::{self, OwnedTargetIsa, TargetIsa};
use cranelift_codegen::settings::{self, Configurable, SetError};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use target_lexicon::Triple;
use wasmparser::WasmFeatures;

/// A compilation and runtime environment for wasm modules.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<EngineInner>,
}

struct EngineInner {
    config: Config,
    isa: OwnedTargetIsa,
    tunables: Tunables,
    features: WasmFeatures,
    is_host_target: bool,
    backtrace_details: bool,
    epoch: AtomicU64,
    runtime: EngineRuntime,
    /// Module cache entries queued by this engine; dropping the engine
    /// waits until they are written.
    cache_writes: PendingWrites,
    /// The serialized-module fingerprint of this engine's code-generation
    /// settings, made at first use by `module::serialize` (it depends only
    /// on the ISA and the configuration, both fixed for the engine's life).
    fingerprint: OnceLock<String>,
}

impl Engine {
    /// Validates `config` and builds the target ISA from it; the error
    /// names the option (or Cranelift flag) at fault.
    pub fn new(config: &Config) -> Result<Engine> {
        config.validate()?;
        let tunables = tunables(config);
        let isa = build_isa(config, &tunables)?;
        let is_host_target = config.target().is_none_or(runs_on_host);
        // The runtime compiles trampolines through the compiler without
        // naming it: it gets them from this `TrampolineCompiler`.
        let observers = CodeObservers {
            profiler: profiling_agent(config.profiler())?,
            unwind_cie: unwind_cie(&*isa)
                .map_err(|e| internal(format!("native_unwind_info: {e:#}")))?,
            debug_info: config.debug_info(),
        };
        // The pooling allocator's reservations are made here, once, so a
        // config the host cannot serve fails now rather than at the first
        // instantiation.
        let pool = match config.allocation_strategy() {
            InstanceAllocationStrategy::Pooling(p) => Some(InstancePool::new(p, &tunables.memory)?),
            InstanceAllocationStrategy::OnDemand => None,
        };
        let runtime = EngineRuntime::new(
            Box::new(CraneliftTrampolines::new(isa.clone(), &tunables)),
            observers,
        )
        .with_pool(pool)
        .with_async_stacks(AsyncStacks::new(config));
        Ok(Engine {
            inner: Arc::new(EngineInner {
                config: config.clone(),
                features: config.wasm_features(),
                isa,
                tunables,
                is_host_target,
                backtrace_details: config.wasm_backtrace_details_enabled(),
                epoch: AtomicU64::new(0),
                runtime,
                cache_writes: PendingWrites::default(),
                fingerprint: OnceLock::new(),
            }),
        })
    }

    /// The configuration the engine was built from.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    // Not API (a Cranelift type): the compiler's target; reachable for tests/config.rs,
    // which checks the ISA flags the options set.
    #[doc(hidden)]
    /// The Cranelift target ISA code is compiled for.
    pub fn isa(&self) -> &dyn TargetIsa {
        &*self.inner.isa
    }

    /// The configuration values the compiler and runtime act on.
    pub(crate) fn tunables(&self) -> &Tunables {
        &self.inner.tunables
    }

    /// The wasm features modules are validated against.
    pub fn wasm_features(&self) -> WasmFeatures {
        self.inner.features
    }

    /// Engine-wide runtime state (signatures, trampolines).
    pub(crate) fn runtime(&self) -> &EngineRuntime {
        &self.inner.runtime
    }

    /// The module cache entries this engine queued for writing.
    pub(crate) fn cache_writes(&self) -> &PendingWrites {
        &self.inner.cache_writes
    }

    /// Where `module::serialize` keeps this engine's fingerprint once made.
    pub(crate) fn fingerprint_cell(&self) -> &OnceLock<String> {
        &self.inner.fingerprint
    }

    /// Whether `self` and `other` are handles to the same engine.
    pub fn same(&self, other: &Engine) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// Advances the epoch by one; code past its store's deadline traps at
    /// its next epoch check.
    pub fn increment_epoch(&self) {
        // Relaxed: the epoch is a standalone counter; compiled code only
        // needs to observe the increment eventually.
        self.inner.epoch.fetch_add(1, Ordering::Relaxed);
    }

    /// The current epoch.
    pub fn current_epoch(&self) -> u64 {
        self.inner.epoch.load(Ordering::Relaxed)
    }

    /// The epoch counter itself, for code that reads it by address.
    pub(crate) fn epoch_counter(&self) -> &AtomicU64 {
        &self.inner.epoch
    }

    /// Whether code compiled by this engine can run in this process (the
    /// target is the host).
    pub fn is_host_target(&self) -> bool {
        self.inner.is_host_target
    }

    /// Whether trap backtraces are symbolicated (`wasm_backtrace_details`,
    /// with `Environment` resolved when the engine was built).
    pub fn wasm_backtrace_details_enabled(&self) -> bool {
        self.inner.backtrace_details
    }
}

impl Default for Engine {
    /// An engine with the default configuration.
    ///
    /// # Panics
    /// If Cranelift cannot compile for the host architecture, which this
    /// crate does not build on in the first place.
    fn default() -> Engine {
        Engine::new(&Config::default()).expect("the default configuration builds an engine")
    }
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("target", self.isa().triple())
            .field("features", &self.inner.features)
            .finish_non_exhaustive()
    }
}

/// The values of `config` the compiler and runtime act on.
///
/// `memory_guard_size` is rounded up to whole host pages, as the reference
/// does: guards are made of pages (protection works page by page), so an
/// odd size such as 1 or 4097 bytes means the next page multiple. Compiler
/// (the bounds checks it leaves to the guard) and runtime (what it
/// reserves, what an embedder's memory creator is asked for) both read this
/// rounded value, so they agree.
fn tunables(config: &Config) -> Tunables {
    Tunables {
        memory: MemorySettings {
            static_memory_maximum_size: config.static_memory_maximum_size(),
            static_memory_forced: config.static_memory_forced(),
            memory_guard_size: round_up_to_page_u64(config.memory_guard_size()),
            dynamic_memory_reserved_for_growth: config.dynamic_memory_reserved_for_growth(),
            guard_before_linear_memory: config.guard_before_linear_memory(),
            signals_based_traps: config.signals_based_traps(),
            host_memory_creator: config.with_host_memory().is_some(),
        },
        consume_fuel: config.consume_fuel(),
        epoch_interruption: config.epoch_interruption(),
        nan_canonicalization: config.cranelift_nan_canonicalization(),
        // `debug_info` maps native code to source lines through the
        // address map, so it keeps the map whatever this option says.
        generate_address_map: config.generate_address_map() || config.debug_info(),
        max_wasm_stack: config.max_wasm_stack(),
        wasm_backtrace: config.wasm_backtrace(),
        relaxed_simd_deterministic: config.relaxed_simd_deterministic(),
        memory_init_cow: config.memory_init_cow(),
        table_lazy_init: config.table_lazy_init(),
        coredump_on_trap: config.coredump_on_trap(),
        debug_info: config.debug_info(),
        wmemcheck: config.wmemcheck(),
    }
}

/// Whether code for `target` can run in this process: same architecture,
/// operating system and calling convention as the host (the vendor and
/// environment parts of a triple, such as `unknown` or `gnu`, don't change
/// the generated code).
fn runs_on_host(target: &Triple) -> bool {
    let host = Triple::host();
    target.architecture == host.architecture
        && target.operating_system == host.operating_system
        && target.default_calling_convention() == host.default_calling_convention()
}

/// The host CPU features Cranelift can use, as (standard-library feature
/// name, Cranelift ISA flag) pairs for the host architecture.
fn host_feature_flags() -> &'static [(&'static str, &'static str)] {
    if cfg!(target_arch = "x86_64") {
        &[
            ("cmpxchg16b", "has_cmpxchg16b"),
            ("sse3", "has_sse3"),
            ("ssse3", "has_ssse3"),
            ("sse4.1", "has_sse41"),
            ("sse4.2", "has_sse42"),
            ("popcnt", "has_popcnt"),
            ("avx", "has_avx"),
            ("avx2", "has_avx2"),
            ("fma", "has_fma"),
            ("avxvnni", "has_avx_vnni"),
            ("avx512vnni", "has_avx512vnni"),
            ("bmi1", "has_bmi1"),
            ("bmi2", "has_bmi2"),
            ("avx512bitalg", "has_avx512bitalg"),
            ("avx512dq", "has_avx512dq"),
            ("avx512f", "has_avx512f"),
            ("avx512vl", "has_avx512vl"),
            ("avx512vbmi", "has_avx512vbmi"),
            ("lzcnt", "has_lzcnt"),
        ]
    } else if cfg!(target_arch = "aarch64") {
        &[
            ("lse", "has_lse"),
            ("paca", "has_pauth"),
            ("fp16", "has_fp16"),
            ("dotprod", "has_dotprod"),
            ("i8mm", "has_i8mm"),
        ]
    } else {
        &[]
    }
}

/// The standard library's answer for the features in `host_feature_flags`.
fn std_detect(feature: &str) -> Option<bool> {
    #[cfg(target_arch = "x86_64")]
    {
        use std::is_x86_feature_detected as has;
        let found = match feature {
            "cmpxchg16b" => has!("cmpxchg16b"),
            "sse3" => has!("sse3"),
            "ssse3" => has!("ssse3"),
            "sse4.1" => has!("sse4.1"),
            "sse4.2" => has!("sse4.2"),
            "popcnt" => has!("popcnt"),
            "avx" => has!("avx"),
            "avx2" => has!("avx2"),
            "fma" => has!("fma"),
            "avxvnni" => has!("avxvnni"),
            "avx512vnni" => has!("avx512vnni"),
            "bmi1" => has!("bmi1"),
            "bmi2" => has!("bmi2"),
            "avx512bitalg" => has!("avx512bitalg"),
            "avx512dq" => has!("avx512dq"),
            "avx512f" => has!("avx512f"),
            "avx512vl" => has!("avx512vl"),
            "avx512vbmi" => has!("avx512vbmi"),
            "lzcnt" => has!("lzcnt"),
            _ => return None,
        };
        Some(found)
    }
    #[cfg(target_arch = "aarch64")]
    {
        use std::arch::is_aarch64_feature_detected as has;
        let found = match feature {
            "lse" => has!("lse"),
            "paca" => has!("paca"),
            "fp16" => has!("fp16"),
            "dotprod" => has!("dotprod"),
            "i8mm" => has!("i8mm"),
            _ => return None,
        };
        Some(found)
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    {
        let _ = feature;
        None
    }
}

/// The agent the `profiler` option asks for; opening its output is the
/// only way it can fail, and that is an error of the option.
fn profiling_agent(strategy: ProfilingStrategy) -> Result<Option<Box<dyn ProfilingAgent>>> {
    let cannot_open = |path: std::path::PathBuf, e: std::io::Error| {
        Error::config("profiler", format!("cannot open {}: {e}", path.display()))
    };
    Ok(match strategy {
        ProfilingStrategy::None => None,
        ProfilingStrategy::PerfMap => Some(Box::new(
            PerfMapAgent::new().map_err(|e| cannot_open(PerfMapAgent::path(), e))?,
        )),
        ProfilingStrategy::JitDump => Some(Box::new(
            JitDumpAgent::new().map_err(|e| cannot_open(JitDumpAgent::path(), e))?,
        )),
        ProfilingStrategy::VTune => Some(Box::new(VTuneAgent::new())),
    })
}

/// Builds the Cranelift ISA the config describes (with the code-shaping
/// values of `tunables`, which come from the same config).
fn build_isa(config: &Config, tunables: &Tunables) -> Result<OwnedTargetIsa> {
    let detector = config.detect_host_feature().map(|d| &**d);
    let mut isa_builder = match config.target() {
        // A target this process can run is the host: its CPU features are
        // detected (or reported by `detect_host_feature`) as without one.
        Some(triple) if runs_on_host(triple) => host_isa_builder(detector)?,
        Some(triple) => isa::lookup(triple.clone()).map_err(|e| {
            Error::config(
                "target",
                format!("`{triple}` is not supported by this build: {e}"),
            )
        })?,
        None => host_isa_builder(detector)?,
    };

    let mut shared = settings::builder();
    let mut set = |name: &str, value: &str| {
        shared
            .set(name, value)
            .map_err(|e| internal(format!("Cranelift setting {name}={value}: {e}")))
    };
    set("opt_level", config.cranelift_opt_level().cranelift_name())?;
    set(
        "enable_verifier",
        bool_str(config.cranelift_debug_verifier()),
    )?;
    set(
        "enable_nan_canonicalization",
        bool_str(tunables.nan_canonicalization),
    )?;
    // Backtraces walk frame pointers.
    set("preserve_frame_pointers", "true")?;
    set("unwind_info", bool_str(config.native_unwind_info()))?;
    // Wasm stack overflow is caught by explicit stack-limit checks.
    set("enable_probestack", "false")?;
    // Wasm functions may return more values than fit in registers; let
    // Cranelift pass the rest through a hidden return area. Only our own
    // generated code calls wasm functions, so the convention stays internal.
    set("enable_multi_ret_implicit_sret", "true")?;
    if !tunables.signals_based_traps() {
        // Spectre mitigations turn out-of-bounds accesses into null-page
        // loads, which only a signal handler can turn into a trap.
        set("enable_heap_access_spectre_mitigation", "false")?;
        set("enable_table_access_spectre_mitigation", "false")?;
    }

    for flag in config.cranelift_flags() {
        apply_user_flag(&mut isa_builder, &mut shared, flag)?;
    }

    let flags = settings::Flags::new(shared);
    check_shared_flags(config, tunables, &flags)?;
    let isa = isa_builder
        .finish(flags)
        .map_err(|e| match config.target() {
            Some(triple) => Error::config(
                "target",
                format!("cannot build the ISA for `{triple}`: {e}"),
            ),
            None => Error::config(
                "cranelift_flag_set",
                format!("cannot build the host ISA with these flags: {e}"),
            ),
        })?;
    check_isa(config, &*isa, detector)?;
    Ok(isa)
}

/// An error that is the library's fault, not the configuration's.
fn internal(message: String) -> Error {
    Error::new(ErrorKind::Other, format!("internal: {message}"))
}

fn bool_str(b: bool) -> &'static str {
    if b {
        "true"
    } else {
        "false"
    }
}

/// The host ISA builder with the host's CPU features enabled, as reported
/// by the embedder's probe when there is one.
fn host_isa_builder(detector: Option<&dyn HostFeatureDetector>) -> Result<isa::Builder> {
    let unsupported = |e: &str| {
        Error::config(
            "target",
            format!("the host is not supported by this build: {e}"),
        )
    };
    let Some(detector) = detector else {
        return cranelift_native::builder().map_err(unsupported);
    };
    let mut builder = cranelift_native::builder_with_options(false).map_err(unsupported)?;
    for (feature, flag) in host_feature_flags() {
        if detector.detect(feature) == Some(true) {
            builder
                .enable(flag)
                .map_err(|e| internal(format!("Cranelift ISA flag {flag}: {e}")))?;
        }
    }
    Ok(builder)
}

/// Applies one `cranelift_flag_enable`/`cranelift_flag_set` request: to the
/// ISA settings when the name is an ISA setting, else to the shared ones.
fn apply_user_flag(
    isa_builder: &mut isa::Builder,
    shared: &mut settings::Builder,
    flag: &CraneliftFlag,
) -> Result<()> {
    let (option, result) = match flag {
        CraneliftFlag::Enable(name) => (
            "cranelift_flag_enable",
            match isa_builder.enable(name) {
                Err(SetError::BadName(_)) => shared.enable(name),
                other => other,
            },
        ),
        CraneliftFlag::Set(name, value) => (
            "cranelift_flag_set",
            match isa_builder.set(name, value) {
                Err(SetError::BadName(_)) => shared.set(name, value),
                other => other,
            },
        ),
    };
    result.map_err(|e| {
        let what = match flag {
            CraneliftFlag::Enable(name) => format!("`{name}`"),
            CraneliftFlag::Set(name, value) => format!("`{name}` = `{value}`"),
        };
        match e {
            SetError::BadName(_) => {
                Error::config(option, format!("unknown Cranelift setting {what}"))
            }
            SetError::BadType => Error::config(
                option,
                format!(
                    "Cranelift setting {what} has another type \
                     (enable takes boolean settings and presets; set takes a value)"
                ),
            ),
            SetError::BadValue(expected) => Error::config(
                option,
                format!("bad value for Cranelift setting {what}: expected {expected}"),
            ),
        }
    })
}

/// Refuses user flags that contradict options or runtime invariants.
fn check_shared_flags(config: &Config, tunables: &Tunables, flags: &settings::Flags) -> Result<()> {
    if !flags.preserve_frame_pointers() {
        return Err(Error::config(
            "cranelift_flag_set",
            "preserve_frame_pointers must stay true (backtraces walk frame pointers)",
        ));
    }
    if flags.enable_probestack() {
        return Err(Error::config(
            "cranelift_flag_set",
            "enable_probestack is not supported (the stack limit is checked explicitly)",
        ));
    }
    if flags.unwind_info() != config.native_unwind_info() {
        return Err(Error::config(
            "cranelift_flag_set",
            format!(
                "unwind_info={} contradicts native_unwind_info={}; use native_unwind_info",
                flags.unwind_info(),
                config.native_unwind_info()
            ),
        ));
    }
    if !tunables.signals_based_traps()
        && (flags.enable_heap_access_spectre_mitigation()
            || flags.enable_table_access_spectre_mitigation())
    {
        return Err(Error::config(
            "signals_based_traps",
            "disabled, which requires the Cranelift settings \
             enable_heap_access_spectre_mitigation and enable_table_access_spectre_mitigation \
             to stay false",
        ));
    }
    Ok(())
}

/// The x86-64 ISA flags wasm SIMD's lowering needs, with the CPU feature
/// each stands for: SSE4.2 and everything below it, as the configuration
/// reference says (without them several operators have no lowering).
const X86_SIMD_FLAGS: &[(&str, &str)] = &[
    ("has_sse3", "sse3"),
    ("has_ssse3", "ssse3"),
    ("has_sse41", "sse4.1"),
    ("has_sse42", "sse4.2"),
];

/// Refuses `wasm_simd` on an x86-64 target whose ISA lacks the features
/// its lowering needs (the host's, as detected or as `detect_host_feature`
/// reports them, or those a cross target was given).
fn check_simd_features(config: &Config, isa: &dyn TargetIsa) -> Result<()> {
    if !config.wasm_simd() || isa.triple().architecture != target_lexicon::Architecture::X86_64 {
        return Ok(());
    }
    let isa_flags = isa.isa_flags();
    let missing: Vec<&str> = X86_SIMD_FLAGS
        .iter()
        .filter(|(flag, _)| {
            !isa_flags
                .iter()
                .any(|v| v.name == *flag && v.as_bool() == Some(true))
        })
        .map(|(_, feature)| *feature)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let (whose, remedy) = if config.target().is_none_or(runs_on_host) {
        ("the host CPU", "")
    } else {
        // A cross target has only the features it is given.
        (
            "the target",
            "enable them (cranelift_flag_enable(\"sse42\") enables all four) or ",
        )
    };
    Err(Error::config(
        "wasm_simd",
        format!(
            "enabled, but {whose} lacks {} (x86-64 SIMD needs SSE4.2 and below); \
             {remedy}disable wasm_simd (and wasm_relaxed_simd) to run on it",
            missing.join(", ")
        ),
    ))
}

/// Checks the finished ISA: on the host, every enabled CPU feature must
/// really be there (running an instruction the CPU lacks is undefined),
/// and wasm SIMD must have the features its lowering needs.
fn check_isa(
    config: &Config,
    isa: &dyn TargetIsa,
    detector: Option<&dyn HostFeatureDetector>,
) -> Result<()> {
    let isa_flags = isa.isa_flags();
    let enabled = |name: &str| {
        isa_flags
            .iter()
            .any(|v| v.name == name && v.as_bool() == Some(true))
    };
    let on_host = config.target().is_none_or(runs_on_host);
    for (feature, flag) in host_feature_flags() {
        if !on_host || !enabled(flag) {
            continue;
        }
        let present = match detector {
            Some(d) => d.detect(feature),
            None => std_detect(feature),
        };
        if present == Some(false) {
            return Err(Error::config(
                config.cranelift_flag_origin(flag),
                format!("Cranelift ISA flag {flag} is enabled, but the host CPU lacks `{feature}`"),
            ));
        }
    }
    check_simd_features(config, isa)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn engine_is_send_and_sync() {
        assert_send_sync::<Engine>();
    }

    #[test]
    fn default_engine_targets_the_host() {
        let engine = Engine::default();
        assert!(engine.is_host_target());
        assert_eq!(*engine.isa().triple(), Triple::host());
        assert_eq!(engine.isa().flags().opt_level(), settings::OptLevel::Speed);
        assert!(engine.isa().flags().preserve_frame_pointers());
        assert!(engine.same(&engine.clone()));
        assert!(!engine.same(&Engine::default()));
    }

    #[test]
    fn default_tunables_are_the_default_configs() {
        assert_eq!(Engine::default().tunables(), &Tunables::default());
    }

    #[test]
    fn tunables_follow_the_config() {
        let mut config = Config::new();
        config
            .set_consume_fuel(true)
            .set_epoch_interruption(true)
            .set_max_wasm_stack(1 << 20)
            .set_signals_based_traps(false)
            .set_memory_guard_size(1 << 16);
        let engine = Engine::new(&config).unwrap();
        let tunables = engine.tunables();
        assert!(tunables.consume_fuel && tunables.epoch_interruption);
        assert_eq!(tunables.max_wasm_stack, 1 << 20);
        assert!(!tunables.signals_based_traps());
        assert_eq!(tunables.memory.memory_guard_size, 1 << 16);
    }

    #[test]
    fn host_target_ignores_vendor_and_environment() {
        let mut host = Triple::host();
        assert!(runs_on_host(&host));
        host.vendor = target_lexicon::Vendor::Unknown;
        assert!(runs_on_host(&host));
        let mut other_os = Triple::host();
        other_os.operating_system = target_lexicon::OperatingSystem::Wasi;
        assert!(!runs_on_host(&other_os));
    }

    /// A cross x86-64 target has only the ISA features it is given: SIMD
    /// needs SSE4.2 and below, enabled through a Cranelift preset.
    #[test]
    fn cross_x86_target_needs_sse42_for_simd() {
        let mut config = Config::new();
        config.set_target("x86_64-unknown-freebsd").unwrap();
        let Err(err) = Engine::new(&config) else {
            panic!("a cross x86-64 target without SSE4.2 built a SIMD engine");
        };
        match err.kind() {
            ErrorKind::Config { option, .. } => assert_eq!(option, "wasm_simd"),
            other => panic!("expected a config error, got {other:?}"),
        }
        let text = err.to_string();
        assert!(
            text.contains("sse3, ssse3, sse4.1, sse4.2") && text.contains("sse42"),
            "{text}"
        );
        // SAFETY: a preset of the x86 ISA, which the target can run.
        unsafe { config.cranelift_flag_enable("sse42") };
        let engine = Engine::new(&config).unwrap();
        assert!(!engine.is_host_target());
        let mut plain = Config::new();
        plain.set_target("x86_64-unknown-freebsd").unwrap();
        plain.set_wasm_relaxed_simd(false).set_wasm_simd(false);
        Engine::new(&plain).unwrap();
    }

    #[test]
    fn epochs_count_up() {
        let engine = Engine::default();
        assert_eq!(engine.current_epoch(), 0);
        engine.increment_epoch();
        engine.clone().increment_epoch();
        assert_eq!(engine.current_epoch(), 2);
    }
}
