//! Engine configuration: every option of the Config reference
//! (`config-reference.txt`, Wasmtime's `Config`), its default, and the
//! validation that runs when an engine is built.
//!
//! Setters only record values (a few that can be checked on their own,
//! such as `target`, fail at once); `Config::validate` checks the
//! combination when `Engine::new` runs, as the reference specifies. Options
//! whose behaviour this build does not provide are refused there by name
//! rather than silently ignored. Everything else is a knob the compiler and
//! runtime read through the getters.

mod cache;
mod host;
mod pooling;

pub use cache::{default_cache_directory, default_config_file, CacheConfig};
pub use host::{
    CacheStore, HostFeatureDetector, LinearMemory, MemoryCreator, StackCreator, StackMemory,
};
pub use pooling::{InstanceAllocationStrategy, PoolingAllocationConfig};

use crate::environ::error::{Error, ErrorKind};
use anyhow::Result;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use target_lexicon::Triple;
use wasmparser::WasmFeatures;

/// Which code generator compiles wasm (`strategy`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Strategy {
    /// Pick the best available compiler: Cranelift in this build.
    #[default]
    Auto,
    /// The optimizing Cranelift compiler.
    Cranelift,
    /// The baseline Winch compiler (not part of this build).
    Winch,
}

/// Which garbage collector backs wasm GC objects (`collector`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Collector {
    /// Pick the best available collector.
    #[default]
    Auto,
    /// Deferred reference counting with a cycle collector.
    DeferredReferenceCounting,
    /// Allocate only, never collect.
    Null,
}

/// Which profiler compiled code is reported to (`profiler`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ProfilingStrategy {
    /// No profiler integration.
    #[default]
    None,
    /// `perf`'s jitdump files.
    JitDump,
    /// `perf`'s `/tmp/perf-<pid>.map` symbol maps.
    PerfMap,
    /// Intel VTune's JIT API.
    VTune,
}

/// Cranelift optimization level (`cranelift_opt_level`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum OptLevel {
    /// Minimise compile time.
    None,
    /// Fastest code (the default, as in current Wasmtime).
    #[default]
    Speed,
    /// Fast code that is also small.
    SpeedAndSize,
}

impl OptLevel {
    /// The value of Cranelift's `opt_level` setting.
    pub fn cranelift_name(self) -> &'static str {
        match self {
            OptLevel::None => "none",
            OptLevel::Speed => "speed",
            OptLevel::SpeedAndSize => "speed_and_size",
        }
    }
}

/// Whether trap backtraces are symbolicated from the module's debug info
/// (`wasm_backtrace_details`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum WasmBacktraceDetails {
    /// Always keep and use debug info.
    Enable,
    /// Never.
    Disable,
    /// Decide by the `WASMTIME_BACKTRACE_DETAILS` environment variable
    /// (`1` enables), read when the engine is built.
    #[default]
    Environment,
}

/// Version stamp written into, and checked in, serialized modules
/// (`module_version`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub enum ModuleVersionStrategy {
    /// This crate's package version.
    #[default]
    CrateVersion,
    /// A string chosen by the embedder (at most 255 bytes).
    Custom(String),
    /// No version check.
    None,
}

/// Longest custom module version string (it is stored with a one-byte length).
pub const MAX_MODULE_VERSION_LEN: usize = 255;

/// A Cranelift setting requested through `cranelift_flag_enable` or
/// `cranelift_flag_set`, applied in request order when the engine is built.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CraneliftFlag {
    /// Enable a boolean setting or a preset.
    Enable(String),
    /// Set a setting to a value.
    Set(String, String),
}

impl CraneliftFlag {
    /// The setting's name.
    pub fn name(&self) -> &str {
        match self {
            CraneliftFlag::Enable(name) | CraneliftFlag::Set(name, _) => name,
        }
    }
}

/// Where compiled modules are cached on disk, if anywhere.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum CacheSetting {
    /// No module cache (the default; what `disable_cache` restores).
    #[default]
    Disabled,
    /// Cache as configured by `cache_config_load(_default)`.
    Enabled(CacheConfig),
}

const KIB: u64 = 1 << 10;
const MIB: u64 = 1 << 20;
const GIB: u64 = 1 << 30;
const IS_64_BIT: bool = cfg!(target_pointer_width = "64");

/// Global configuration used to build an `Engine`; see the module docs.
#[derive(Clone, Debug)]
pub struct Config {
    /// Target triple to compile for; `None`: the host, with its CPU features detected.
    target: Option<Triple>,
    /// Run async host functions on separate stacks; default false (refused: not in this build).
    async_support: bool,
    /// Emit DWARF debug info for native debuggers; default false (refused: not in this build).
    debug_info: bool,
    /// Capture wasm backtraces on traps and host errors; default true.
    wasm_backtrace: bool,
    /// Symbolicate backtraces from debug info; default `Environment`.
    wasm_backtrace_details: WasmBacktraceDetails,
    /// Emit native unwind info (`.eh_frame`) for external unwinders; default true.
    native_unwind_info: bool,
    /// Instrument code to consume fuel; default false.
    consume_fuel: bool,
    /// Instrument code with epoch-deadline checks; default false.
    epoch_interruption: bool,
    /// Stack bytes wasm may use before a stack-overflow trap; default 512 KiB.
    max_wasm_stack: usize,
    /// Size of async execution stacks; default 2 MiB.
    async_stack_size: usize,
    /// Wasm feature `tail-call`; default true.
    wasm_tail_call: bool,
    /// Wasm feature `custom-page-sizes`; default false.
    wasm_custom_page_sizes: bool,
    /// Wasm feature `threads` (shared memories, atomics); default true.
    wasm_threads: bool,
    /// Wasm feature `reference-types`; default true (needs bulk memory).
    wasm_reference_types: bool,
    /// Wasm feature `function-references`; default false (needs reference types).
    wasm_function_references: bool,
    /// Wasm feature `wide-arithmetic`; default false.
    wasm_wide_arithmetic: bool,
    /// Wasm feature `gc`; default false (refused: no collector in this build).
    wasm_gc: bool,
    /// Wasm feature `simd`; default true.
    wasm_simd: bool,
    /// Wasm feature `relaxed-simd`; default true (needs SIMD).
    wasm_relaxed_simd: bool,
    /// Lower relaxed-SIMD instructions deterministically; default false.
    relaxed_simd_deterministic: bool,
    /// Wasm feature `bulk-memory`; default true.
    wasm_bulk_memory: bool,
    /// Wasm feature `multi-value`; default true.
    wasm_multi_value: bool,
    /// Wasm feature `multi-memory`; default true.
    wasm_multi_memory: bool,
    /// Wasm feature `memory64`; default false.
    wasm_memory64: bool,
    /// Wasm feature `extended-const`; default true.
    wasm_extended_const: bool,
    /// Component model; default false (refused: not in this build).
    wasm_component_model: bool,
    /// Component model: more than 32 flags per `flags` type; default false (refused).
    wasm_component_model_more_flags: bool,
    /// Component model: several return values; default false (refused).
    wasm_component_model_multiple_returns: bool,
    /// Compiler choice; default `Auto` (Cranelift). `Winch` is refused.
    strategy: Strategy,
    /// Garbage collector choice; default `Auto`. Others are refused.
    collector: Collector,
    /// Profiler integration; default `None`. Others are refused.
    profiler: ProfilingStrategy,
    /// Cranelift's IR verifier; default false.
    cranelift_debug_verifier: bool,
    /// Cranelift optimization level; default `Speed`.
    cranelift_opt_level: OptLevel,
    /// Canonicalize NaNs produced by float operations; default false.
    cranelift_nan_canonicalization: bool,
    /// Proof-carrying-code checks of sandbox lowering; default false (refused: not in this Cranelift).
    cranelift_pcc: bool,
    /// Raw Cranelift settings in request order; default none.
    cranelift_flags: Vec<CraneliftFlag>,
    /// On-disk module cache; default disabled.
    cache: CacheSetting,
    /// Custom linear-memory allocator; default none (the runtime's own).
    host_memory: Option<Arc<dyn MemoryCreator>>,
    /// Custom async-stack allocator; default none (refused: no async in this build).
    host_stack: Option<Arc<dyn StackCreator>>,
    /// Instance allocation; default on-demand.
    allocation_strategy: InstanceAllocationStrategy,
    /// Largest memory reservation treated as static; default 4 GiB (1 GiB on 32-bit).
    static_memory_maximum_size: u64,
    /// Make every memory static; default false.
    static_memory_forced: bool,
    /// Guard bytes after each memory reservation; default 2 GiB (64 KiB on 32-bit).
    memory_guard_size: u64,
    /// Extra bytes reserved after a dynamic memory; default 2 GiB (1 MiB on 32-bit).
    dynamic_memory_reserved_for_growth: u64,
    /// Also place a guard region before each memory; default true.
    guard_before_linear_memory: bool,
    /// Initialize tables lazily on first use; default true.
    table_lazy_init: bool,
    /// Version stamp of serialized modules; default the crate version.
    module_version: ModuleVersionStrategy,
    /// Compile functions on several threads; default true.
    parallel_compilation: bool,
    /// Keep native-address → wasm-offset maps; default true.
    generate_address_map: bool,
    /// Initialize memories from copy-on-write images; default true.
    memory_init_cow: bool,
    /// Always back memory images with memfd on Linux; default false.
    force_memory_init_memfd: bool,
    /// Attach a core dump to trap errors; default false (refused: not in this build).
    coredump_on_trap: bool,
    /// Check wasm heap use with wmemcheck; default false (refused: not in this build).
    wmemcheck: bool,
    /// Initialized-data size up to which a dense memory image is always made; default 16 MiB.
    memory_guaranteed_dense_image_size: u64,
    /// Extra checks in component adapter modules; default false (refused: no component model).
    debug_adapter_modules: bool,
    /// Folder to write each function's Cranelift IR to; default none.
    emit_clif: Option<PathBuf>,
    /// Use Mach ports for traps on macOS; default true. This build always
    /// uses signal handlers, so an explicit request for Mach ports is refused.
    macos_use_mach_ports: bool,
    /// Whether `macos_use_mach_ports` was set explicitly (not the default).
    macos_use_mach_ports_explicit: bool,
    /// Host CPU feature probe; default none (the standard library's detection).
    detect_host_feature: Option<Arc<dyn HostFeatureDetector>>,
    /// Whether compiled code traps by faulting, caught by signal handlers
    /// (default true). When false, calls into the engine never install a
    /// signal handler or an alternate signal stack, memories get no guard
    /// regions (every access is bounds-checked), and every trap is an
    /// explicit check in compiled code that calls into the runtime;
    /// Cranelift's Spectre heap and table mitigations must stay off.
    signals_based_traps: bool,
    /// Values that reached a setter through the C API but name no valid
    /// setting (an out-of-range enum, …), by option; reported by `validate`
    /// so those setters can keep the reference's infallible signatures.
    invalid_values: Vec<(&'static str, String)>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            target: None,
            async_support: false,
            debug_info: false,
            wasm_backtrace: true,
            wasm_backtrace_details: WasmBacktraceDetails::Environment,
            native_unwind_info: true,
            consume_fuel: false,
            epoch_interruption: false,
            max_wasm_stack: 512 * KIB as usize,
            async_stack_size: 2 * MIB as usize,
            wasm_tail_call: true,
            wasm_custom_page_sizes: false,
            wasm_threads: true,
            wasm_reference_types: true,
            wasm_function_references: false,
            wasm_wide_arithmetic: false,
            wasm_gc: false,
            wasm_simd: true,
            wasm_relaxed_simd: true,
            relaxed_simd_deterministic: false,
            wasm_bulk_memory: true,
            wasm_multi_value: true,
            wasm_multi_memory: true,
            wasm_memory64: false,
            wasm_extended_const: true,
            wasm_component_model: false,
            wasm_component_model_more_flags: false,
            wasm_component_model_multiple_returns: false,
            strategy: Strategy::Auto,
            collector: Collector::Auto,
            profiler: ProfilingStrategy::None,
            cranelift_debug_verifier: false,
            cranelift_opt_level: OptLevel::Speed,
            cranelift_nan_canonicalization: false,
            cranelift_pcc: false,
            cranelift_flags: Vec::new(),
            cache: CacheSetting::Disabled,
            host_memory: None,
            host_stack: None,
            allocation_strategy: InstanceAllocationStrategy::OnDemand,
            static_memory_maximum_size: if IS_64_BIT { 4 * GIB } else { GIB },
            static_memory_forced: false,
            memory_guard_size: if IS_64_BIT { 2 * GIB } else { 64 * KIB },
            dynamic_memory_reserved_for_growth: if IS_64_BIT { 2 * GIB } else { MIB },
            guard_before_linear_memory: true,
            table_lazy_init: true,
            module_version: ModuleVersionStrategy::CrateVersion,
            parallel_compilation: true,
            generate_address_map: true,
            memory_init_cow: true,
            force_memory_init_memfd: false,
            coredump_on_trap: false,
            wmemcheck: false,
            memory_guaranteed_dense_image_size: 16 * MIB,
            debug_adapter_modules: false,
            emit_clif: None,
            macos_use_mach_ports: true,
            macos_use_mach_ports_explicit: false,
            detect_host_feature: None,
            signals_based_traps: true,
            invalid_values: Vec::new(),
        }
    }
}

/// Generates `set_<option>` (returning `&mut Self`) and `<option>` getters
/// for options stored as plain `Copy` values.
macro_rules! plain_options {
    ($($(#[$doc:meta])* $name:ident / $setter:ident : $ty:ty;)*) => {
        impl Config {$(
            $(#[$doc])*
            pub fn $setter(&mut self, value: $ty) -> &mut Self {
                self.$name = value;
                self
            }

            $(#[$doc])*
            pub fn $name(&self) -> $ty {
                self.$name
            }
        )*}
    };
}

plain_options! {
    /// Async support: run async host functions on separate stacks (default false; refused by this build).
    async_support / set_async_support: bool;
    /// DWARF debug info for native debuggers (default false; refused by this build).
    debug_info / set_debug_info: bool;
    /// Capture wasm backtraces for traps and host errors (default true).
    wasm_backtrace / set_wasm_backtrace: bool;
    /// Symbolicate backtraces from the module's debug info (default `Environment`).
    wasm_backtrace_details / set_wasm_backtrace_details: WasmBacktraceDetails;
    /// Native unwind info (`.eh_frame`) for external unwinders (default true).
    native_unwind_info / set_native_unwind_info: bool;
    /// Fuel instrumentation: stores start empty, running out traps (default false).
    consume_fuel / set_consume_fuel: bool;
    /// Epoch-deadline instrumentation (default false).
    epoch_interruption / set_epoch_interruption: bool;
    /// Stack bytes wasm may use before a stack-overflow trap; must be > 0 (default 512 KiB).
    max_wasm_stack / set_max_wasm_stack: usize;
    /// Async stack size; not below `max_wasm_stack` when async is on (default 2 MiB).
    async_stack_size / set_async_stack_size: usize;
    /// Wasm tail calls (default true).
    wasm_tail_call / set_wasm_tail_call: bool;
    /// Wasm custom page sizes (default false).
    wasm_custom_page_sizes / set_wasm_custom_page_sizes: bool;
    /// Wasm threads: shared memories and atomics (default true).
    wasm_threads / set_wasm_threads: bool;
    /// Wasm reference types; needs bulk memory (default true).
    wasm_reference_types / set_wasm_reference_types: bool;
    /// Wasm typed function references; needs reference types (default false).
    wasm_function_references / set_wasm_function_references: bool;
    /// Wasm wide arithmetic (default false).
    wasm_wide_arithmetic / set_wasm_wide_arithmetic: bool;
    /// Wasm GC; needs function references (default false; refused by this build).
    wasm_gc / set_wasm_gc: bool;
    /// Wasm SIMD (default true).
    wasm_simd / set_wasm_simd: bool;
    /// Wasm relaxed SIMD; needs SIMD (default true).
    wasm_relaxed_simd / set_wasm_relaxed_simd: bool;
    /// Deterministic lowering of relaxed-SIMD instructions (default false).
    relaxed_simd_deterministic / set_relaxed_simd_deterministic: bool;
    /// Wasm bulk memory (default true).
    wasm_bulk_memory / set_wasm_bulk_memory: bool;
    /// Wasm multi-value (default true).
    wasm_multi_value / set_wasm_multi_value: bool;
    /// Wasm multi-memory (default true).
    wasm_multi_memory / set_wasm_multi_memory: bool;
    /// Wasm 64-bit memories (default false).
    wasm_memory64 / set_wasm_memory64: bool;
    /// Wasm extended constant expressions (default true).
    wasm_extended_const / set_wasm_extended_const: bool;
    /// Component model (default false; refused by this build).
    wasm_component_model / set_wasm_component_model: bool;
    /// Component model: more than 32 flags per `flags` type (default false; refused by this build).
    wasm_component_model_more_flags / set_wasm_component_model_more_flags: bool;
    /// Component model: several return values (default false; refused by this build).
    wasm_component_model_multiple_returns / set_wasm_component_model_multiple_returns: bool;
    /// Compiler choice (default `Auto`, i.e. Cranelift; `Winch` is refused by this build).
    strategy / set_strategy: Strategy;
    /// Garbage collector (default `Auto`; the others are refused by this build).
    collector / set_collector: Collector;
    /// Profiler integration (default `None`; the others are refused by this build).
    profiler / set_profiler: ProfilingStrategy;
    /// Cranelift's IR verifier (default false).
    cranelift_debug_verifier / set_cranelift_debug_verifier: bool;
    /// Cranelift optimization level (default `Speed`).
    cranelift_opt_level / set_cranelift_opt_level: OptLevel;
    /// NaN canonicalization after float operations (default false).
    cranelift_nan_canonicalization / set_cranelift_nan_canonicalization: bool;
    /// Proof-carrying-code checks of sandbox lowering (default false; refused: this Cranelift has no PCC).
    cranelift_pcc / set_cranelift_pcc: bool;
    /// Largest memory reservation that is static: memories whose maximum fits never move (default 4 GiB; 1 GiB on 32-bit).
    static_memory_maximum_size / set_static_memory_maximum_size: u64;
    /// Make every memory static, limited to `static_memory_maximum_size` (default false).
    static_memory_forced / set_static_memory_forced: bool;
    /// Guard bytes after each memory reservation; accesses proven to land in it need no bounds check (default 2 GiB; 64 KiB on 32-bit).
    memory_guard_size / set_memory_guard_size: u64;
    /// Extra bytes reserved after a dynamic memory to grow into without moving (default 2 GiB; 1 MiB on 32-bit).
    dynamic_memory_reserved_for_growth / set_dynamic_memory_reserved_for_growth: u64;
    /// A guard region of `memory_guard_size` bytes before each memory too (default true).
    guard_before_linear_memory / set_guard_before_linear_memory: bool;
    /// Initialize table elements lazily on first use (default true).
    table_lazy_init / set_table_lazy_init: bool;
    /// Compile a module's functions on several threads (default true).
    parallel_compilation / set_parallel_compilation: bool;
    /// Keep native-address → wasm-offset maps for backtraces (default true).
    generate_address_map / set_generate_address_map: bool;
    /// Initialize memories from copy-on-write images when possible (default true).
    memory_init_cow / set_memory_init_cow: bool;
    /// Always back memory images with `memfd_create` on Linux (default false).
    force_memory_init_memfd / set_force_memory_init_memfd: bool;
    /// Attach a core dump to trap errors (default false; refused by this build).
    coredump_on_trap / set_coredump_on_trap: bool;
    /// wmemcheck heap checking (default false; refused by this build).
    wmemcheck / set_wmemcheck: bool;
    /// Initialized-data size up to which a dense copy-on-write image is always made (default 16 MiB).
    memory_guaranteed_dense_image_size / set_memory_guaranteed_dense_image_size: u64;
    /// Extra checks in component adapter modules (default false; refused by this build).
    debug_adapter_modules / set_debug_adapter_modules: bool;
    /// Trap by faulting, caught by signal handlers (default true); when false no signal handler is installed and every trap is an explicit check that calls into the runtime.
    signals_based_traps / set_signals_based_traps: bool;
}

impl Config {
    /// A configuration with every option at its default.
    pub fn new() -> Config {
        Config::default()
    }

    /// Compiles for `target` (a triple such as `x86_64-unknown-linux-gnu`)
    /// instead of the host; host CPU features are then not inferred. Fails
    /// at once for a malformed triple or an architecture this build cannot
    /// compile for.
    pub fn set_target(&mut self, target: &str) -> Result<&mut Self> {
        let triple = Triple::from_str(target).map_err(|e| {
            config_error(
                "target",
                format!("`{target}` is not a valid target triple: {e}"),
            )
        })?;
        cranelift_codegen::isa::lookup(triple.clone()).map_err(|e| {
            config_error(
                "target",
                format!("`{target}` is not supported by this build: {e}"),
            )
        })?;
        self.target = Some(triple);
        Ok(self)
    }

    /// The target triple; `None` means the host.
    pub fn target(&self) -> Option<&Triple> {
        self.target.as_ref()
    }

    /// Enables Cranelift's incremental compilation cache backed by `store`.
    /// Always fails: this build's Cranelift lacks the incremental cache.
    pub fn enable_incremental_compilation(
        &mut self,
        store: Arc<dyn CacheStore>,
    ) -> Result<&mut Self> {
        drop(store);
        Err(config_error(
            "enable_incremental_compilation",
            "not supported by this build \
             (Cranelift's incremental compilation cache is not compiled in)",
        ))
    }

    /// Appends `cranelift_flag_enable(flag)`: enables a boolean Cranelift
    /// setting or preset when the engine is built (unknown names fail then).
    ///
    /// # Safety
    /// A wrong setting can make generated code unsound (for example
    /// enabling CPU features the host lacks beyond what the engine checks).
    pub unsafe fn cranelift_flag_enable(&mut self, flag: &str) -> &mut Self {
        self.cranelift_flags
            .push(CraneliftFlag::Enable(flag.to_string()));
        self
    }

    /// Appends `cranelift_flag_set(name, value)`: sets a Cranelift setting
    /// when the engine is built (unknown names or bad values fail then).
    /// Raw flags are applied after the settings derived from options, so
    /// they win (the engine's ISA flags are authoritative), except where
    /// they would contradict an option or a runtime invariant, which the
    /// engine refuses.
    ///
    /// # Safety
    /// As for [`Config::cranelift_flag_enable`].
    pub unsafe fn cranelift_flag_set(&mut self, name: &str, value: &str) -> &mut Self {
        self.cranelift_flags
            .push(CraneliftFlag::Set(name.to_string(), value.to_string()));
        self
    }

    /// The raw Cranelift settings requested, in order.
    pub fn cranelift_flags(&self) -> &[CraneliftFlag] {
        &self.cranelift_flags
    }

    /// Loads the cache config file at `path` (TOML with a `[cache]` table)
    /// and enables the module cache accordingly; fails at once on I/O,
    /// syntax or setting errors (which name the line).
    pub fn cache_config_load(&mut self, path: impl AsRef<Path>) -> Result<&mut Self> {
        let config =
            CacheConfig::load(path.as_ref()).map_err(|e| config_cause("cache_config_load", e))?;
        self.cache = CacheSetting::Enabled(config);
        Ok(self)
    }

    /// Disables the module cache (the default).
    pub fn disable_cache(&mut self) -> &mut Self {
        self.cache = CacheSetting::Disabled;
        self
    }

    /// Loads the system default cache config (see
    /// [`default_config_file`]); a missing file enables the cache with
    /// default settings in [`default_cache_directory`].
    pub fn cache_config_load_default(&mut self) -> Result<&mut Self> {
        let config = CacheConfig::load_default()
            .map_err(|e| config_cause("cache_config_load_default", e))?;
        self.cache = CacheSetting::Enabled(config);
        Ok(self)
    }

    /// The module cache settings; `None` when caching is disabled.
    pub fn cache_config(&self) -> Option<&CacheConfig> {
        match &self.cache {
            CacheSetting::Enabled(config) if config.enabled => Some(config),
            _ => None,
        }
    }

    /// The module cache setting as loaded (an `Enabled` setting may still
    /// hold a config whose `enabled` key is false).
    pub fn cache(&self) -> &CacheSetting {
        &self.cache
    }

    /// Uses `creator` for linear memories (`with_host_memory`); `None`
    /// restores the runtime's own allocator.
    pub fn set_with_host_memory(&mut self, creator: Option<Arc<dyn MemoryCreator>>) -> &mut Self {
        self.host_memory = creator;
        self
    }

    /// The custom linear-memory allocator, if any.
    pub fn with_host_memory(&self) -> Option<&Arc<dyn MemoryCreator>> {
        self.host_memory.as_ref()
    }

    /// Uses `creator` for async stacks (`with_host_stack`); refused at
    /// engine creation since this build has no async support.
    pub fn set_with_host_stack(&mut self, creator: Option<Arc<dyn StackCreator>>) -> &mut Self {
        self.host_stack = creator;
        self
    }

    /// The custom async-stack allocator, if any.
    pub fn with_host_stack(&self) -> Option<&Arc<dyn StackCreator>> {
        self.host_stack.as_ref()
    }

    /// Sets the instance allocation strategy (default on-demand).
    pub fn set_allocation_strategy(
        &mut self,
        strategy: impl Into<InstanceAllocationStrategy>,
    ) -> &mut Self {
        self.allocation_strategy = strategy.into();
        self
    }

    /// The instance allocation strategy.
    pub fn allocation_strategy(&self) -> &InstanceAllocationStrategy {
        &self.allocation_strategy
    }

    /// Sets the serialized-module version stamp; a custom string longer
    /// than [`MAX_MODULE_VERSION_LEN`] bytes fails at once.
    pub fn set_module_version(&mut self, strategy: ModuleVersionStrategy) -> Result<&mut Self> {
        if let ModuleVersionStrategy::Custom(version) = &strategy {
            if version.len() > MAX_MODULE_VERSION_LEN {
                return Err(config_error(
                    "module_version",
                    format!(
                        "the custom version string is {} bytes long, \
                         at most {MAX_MODULE_VERSION_LEN} are allowed",
                        version.len()
                    ),
                ));
            }
        }
        self.module_version = strategy;
        Ok(self)
    }

    /// The serialized-module version strategy.
    pub fn module_version(&self) -> &ModuleVersionStrategy {
        &self.module_version
    }

    /// The version string serialized modules carry; `None`: no check.
    pub fn module_version_string(&self) -> Option<&str> {
        match &self.module_version {
            ModuleVersionStrategy::CrateVersion => Some(env!("CARGO_PKG_VERSION")),
            ModuleVersionStrategy::Custom(version) => Some(version),
            ModuleVersionStrategy::None => None,
        }
    }

    /// Writes each compiled function's Cranelift IR into the folder `path`
    /// (`None` turns it off); the folder must exist when the engine is built.
    pub fn set_emit_clif(&mut self, path: Option<&Path>) -> &mut Self {
        self.emit_clif = path.map(Path::to_path_buf);
        self
    }

    /// The folder Cranelift IR is written to, if any.
    pub fn emit_clif(&self) -> Option<&Path> {
        self.emit_clif.as_deref()
    }

    /// Requests Mach-port trap handling on macOS (default true). This build
    /// always uses signal handlers: an explicit `true` is refused at engine
    /// creation, `false` matches what it does anyway.
    pub fn set_macos_use_mach_ports(&mut self, enable: bool) -> &mut Self {
        self.macos_use_mach_ports = enable;
        self.macos_use_mach_ports_explicit = true;
        self
    }

    /// The `macos_use_mach_ports` setting (default true).
    pub fn macos_use_mach_ports(&self) -> bool {
        self.macos_use_mach_ports
    }

    /// Uses `detect` to learn the host's CPU features when building the
    /// host ISA and checking requested ISA flags (`None`: the standard
    /// library's detection).
    ///
    /// # Safety
    /// Code is generated for the features `detect` reports; a wrong
    /// `Some(true)` makes the engine emit instructions the CPU cannot run.
    pub unsafe fn set_detect_host_feature(
        &mut self,
        detect: Option<Arc<dyn HostFeatureDetector>>,
    ) -> &mut Self {
        self.detect_host_feature = detect;
        self
    }

    /// The embedder's host feature probe, if any.
    pub fn detect_host_feature(&self) -> Option<&Arc<dyn HostFeatureDetector>> {
        self.detect_host_feature.as_ref()
    }

    /// Whether backtrace details are on, resolving `Environment` from
    /// `WASMTIME_BACKTRACE_DETAILS` (`1` enables) now.
    pub fn wasm_backtrace_details_enabled(&self) -> bool {
        match self.wasm_backtrace_details {
            WasmBacktraceDetails::Enable => true,
            WasmBacktraceDetails::Disable => false,
            WasmBacktraceDetails::Environment => {
                std::env::var("WASMTIME_BACKTRACE_DETAILS").is_ok_and(|v| v == "1")
            }
        }
    }

    /// The wasm features modules are validated against, from the `wasm_*`
    /// options. Always on: the MVP, mutable globals, sign extension and
    /// saturating float-to-int conversions.
    pub fn wasm_features(&self) -> WasmFeatures {
        let mut features = WasmFeatures::WASM1
            | WasmFeatures::SIGN_EXTENSION
            | WasmFeatures::SATURATING_FLOAT_TO_INT;
        let options = [
            (WasmFeatures::TAIL_CALL, self.wasm_tail_call),
            (WasmFeatures::CUSTOM_PAGE_SIZES, self.wasm_custom_page_sizes),
            (WasmFeatures::THREADS, self.wasm_threads),
            (WasmFeatures::REFERENCE_TYPES, self.wasm_reference_types),
            // `externref` needs GC types even without a collector.
            (WasmFeatures::GC_TYPES, self.wasm_reference_types),
            (
                WasmFeatures::FUNCTION_REFERENCES,
                self.wasm_function_references,
            ),
            (WasmFeatures::WIDE_ARITHMETIC, self.wasm_wide_arithmetic),
            (WasmFeatures::GC, self.wasm_gc),
            (WasmFeatures::SIMD, self.wasm_simd),
            (WasmFeatures::RELAXED_SIMD, self.wasm_relaxed_simd),
            (WasmFeatures::BULK_MEMORY, self.wasm_bulk_memory),
            (WasmFeatures::MULTI_VALUE, self.wasm_multi_value),
            (WasmFeatures::MULTI_MEMORY, self.wasm_multi_memory),
            (WasmFeatures::MEMORY64, self.wasm_memory64),
            (WasmFeatures::EXTENDED_CONST, self.wasm_extended_const),
            (WasmFeatures::COMPONENT_MODEL, self.wasm_component_model),
        ];
        for (feature, enabled) in options {
            if enabled {
                features |= feature;
            }
        }
        features
    }

    /// Records that the C API received `message` as a value for `option`
    /// which no setting can hold; `validate` reports it. A later valid
    /// value for the same option replaces it (see `clear_invalid_value`).
    pub(crate) fn record_invalid_value(&mut self, option: &'static str, message: String) {
        self.clear_invalid_value(option);
        self.invalid_values.push((option, message));
    }

    /// Forgets an invalid value recorded for `option`.
    pub(crate) fn clear_invalid_value(&mut self, option: &'static str) {
        self.invalid_values.retain(|(name, _)| *name != option);
    }

    /// Checks the options against each other and against what this build
    /// provides; run by `Engine::new`. The error names the offending option.
    pub fn validate(&self) -> Result<()> {
        if let Some((option, message)) = self.invalid_values.first() {
            return Err(config_error(option, message.as_str()));
        }
        self.validate_stack()?;
        self.validate_features()?;
        self.validate_memory()?;
        if let Some(dir) = &self.emit_clif {
            if !dir.is_dir() {
                return Err(config_error(
                    "emit_clif",
                    format!("`{}` is not an existing directory", dir.display()),
                ));
            }
        }
        self.validate_build_support()
    }

    fn validate_stack(&self) -> Result<()> {
        if self.max_wasm_stack == 0 {
            return Err(config_error("max_wasm_stack", "must be greater than 0"));
        }
        if self.async_support && self.max_wasm_stack > self.async_stack_size {
            return Err(config_error(
                "max_wasm_stack",
                format!(
                    "{} bytes exceeds async_stack_size ({} bytes); \
                     with async_support the wasm stack must fit in the async stack",
                    self.max_wasm_stack, self.async_stack_size
                ),
            ));
        }
        Ok(())
    }

    fn validate_features(&self) -> Result<()> {
        let requirements = [
            (
                self.wasm_reference_types,
                "wasm_reference_types",
                self.wasm_bulk_memory,
                "wasm_bulk_memory",
            ),
            (
                self.wasm_function_references,
                "wasm_function_references",
                self.wasm_reference_types,
                "wasm_reference_types",
            ),
            (
                self.wasm_gc,
                "wasm_gc",
                self.wasm_function_references,
                "wasm_function_references",
            ),
            (
                self.wasm_relaxed_simd,
                "wasm_relaxed_simd",
                self.wasm_simd,
                "wasm_simd",
            ),
            (
                self.wasm_component_model_more_flags,
                "wasm_component_model_more_flags",
                self.wasm_component_model,
                "wasm_component_model",
            ),
            (
                self.wasm_component_model_multiple_returns,
                "wasm_component_model_multiple_returns",
                self.wasm_component_model,
                "wasm_component_model",
            ),
        ];
        for (enabled, option, required, required_option) in requirements {
            if enabled && !required {
                return Err(config_error(
                    option,
                    format!("requires {required_option}, which is disabled"),
                ));
            }
        }
        Ok(())
    }

    fn validate_memory(&self) -> Result<()> {
        let guards = if self.guard_before_linear_memory {
            2
        } else {
            1
        };
        let reservation = self
            .memory_guard_size
            .checked_mul(guards)
            .and_then(|g| g.checked_add(self.static_memory_maximum_size))
            .filter(|&total| total <= usize::MAX as u64);
        if reservation.is_none() {
            return Err(config_error(
                "static_memory_maximum_size",
                format!(
                    "{} bytes plus memory_guard_size ({} bytes){} \
                     does not fit in the address space",
                    self.static_memory_maximum_size,
                    self.memory_guard_size,
                    if guards == 2 { " before and after" } else { "" }
                ),
            ));
        }
        if self.dynamic_memory_reserved_for_growth > usize::MAX as u64 {
            return Err(config_error(
                "dynamic_memory_reserved_for_growth",
                format!(
                    "{} bytes does not fit in the address space",
                    self.dynamic_memory_reserved_for_growth
                ),
            ));
        }
        if let InstanceAllocationStrategy::Pooling(pooling) = &self.allocation_strategy {
            pooling
                .validate(self.static_memory_maximum_size)
                .map_err(|e| {
                    anyhow::Error::from(
                        Error::config("allocation_strategy", "invalid pooling configuration")
                            .with_source(e),
                    )
                })?;
        }
        Ok(())
    }

    /// Refuses options whose behaviour this build does not provide.
    fn validate_build_support(&self) -> Result<()> {
        let unsupported = |option: &str, why: &str| -> Result<()> {
            Err(config_error(
                option,
                format!("not supported by this build ({why})"),
            ))
        };
        if self.async_support {
            unsupported("async_support", "async execution is not implemented")?;
        }
        if self.host_stack.is_some() {
            unsupported("with_host_stack", "async stacks are not implemented")?;
        }
        if self.strategy == Strategy::Winch {
            unsupported(
                "strategy",
                "the Winch compiler is not included; use auto or cranelift",
            )?;
        }
        if self.wasm_component_model {
            unsupported(
                "wasm_component_model",
                "the component model is not implemented",
            )?;
        }
        if self.wasm_component_model_more_flags {
            unsupported(
                "wasm_component_model_more_flags",
                "the component model is not implemented",
            )?;
        }
        if self.wasm_component_model_multiple_returns {
            unsupported(
                "wasm_component_model_multiple_returns",
                "the component model is not implemented",
            )?;
        }
        if self.debug_adapter_modules {
            unsupported(
                "debug_adapter_modules",
                "the component model is not implemented",
            )?;
        }
        if self.wasm_gc {
            unsupported("wasm_gc", "there is no garbage collector")?;
        }
        if self.collector != Collector::Auto {
            unsupported("collector", "there is no garbage collector; use auto")?;
        }
        match self.profiler {
            ProfilingStrategy::None => {}
            ProfilingStrategy::JitDump => {
                unsupported("profiler", "jitdump output is not implemented")?
            }
            ProfilingStrategy::PerfMap => {
                unsupported("profiler", "perf map output is not implemented")?
            }
            ProfilingStrategy::VTune => {
                unsupported("profiler", "the VTune JIT API is not included")?
            }
        }
        if self.cranelift_pcc {
            unsupported(
                "cranelift_pcc",
                "this Cranelift version has no proof-carrying code",
            )?;
        }
        if self.debug_info {
            unsupported("debug_info", "DWARF for native debuggers is not generated")?;
        }
        if self.coredump_on_trap {
            unsupported("coredump_on_trap", "core dumps are not implemented")?;
        }
        if self.wmemcheck {
            unsupported("wmemcheck", "wmemcheck is not implemented")?;
        }
        if self.macos_use_mach_ports && self.macos_use_mach_ports_explicit {
            if cfg!(target_os = "macos") {
                unsupported(
                    "macos_use_mach_ports",
                    "traps are handled with signals; pass false",
                )?;
            } else {
                unsupported(
                    "macos_use_mach_ports",
                    "Mach ports exist only on macOS; pass false",
                )?;
            }
        }
        Ok(())
    }
}

/// The error for a refused value of `option`: typed (`ErrorKind::Config`),
/// carried in this module's `anyhow` results.
fn config_error(option: &str, reason: impl Into<String>) -> anyhow::Error {
    Error::config(option, reason).into()
}

/// The error of `option` that failed because of `cause`, shown as the
/// option's name followed (with `{:#}`) by the cause.
fn config_cause(option: &str, cause: anyhow::Error) -> anyhow::Error {
    let kind = ErrorKind::Config {
        option: option.to_string(),
        reason: format!("{cause:#}"),
    };
    Error::new(kind, option).with_source(cause).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_validate() {
        Config::new().validate().unwrap();
    }

    #[test]
    fn default_features_match_the_options() {
        let f = Config::new().wasm_features();
        assert!(f.contains(
            WasmFeatures::SIMD | WasmFeatures::REFERENCE_TYPES | WasmFeatures::BULK_MEMORY
        ));
        assert!(f.contains(
            WasmFeatures::TAIL_CALL | WasmFeatures::THREADS | WasmFeatures::RELAXED_SIMD
        ));
        assert!(!f.contains(WasmFeatures::GC));
        assert!(!f.contains(WasmFeatures::MEMORY64));
        assert!(!f.contains(WasmFeatures::FUNCTION_REFERENCES));
        assert!(!f.contains(WasmFeatures::EXCEPTIONS));
        let mut c = Config::new();
        c.set_wasm_reference_types(false)
            .set_wasm_bulk_memory(false);
        let f = c.wasm_features();
        assert!(!f.contains(WasmFeatures::REFERENCE_TYPES));
        assert!(!f.bulk_memory());
    }

    #[test]
    fn invalid_value_is_reported_until_replaced() {
        let mut c = Config::new();
        c.record_invalid_value("strategy", "invalid value 9".into());
        let err = c.validate().unwrap_err();
        assert_eq!(
            err.downcast_ref::<Error>().map(Error::kind),
            Some(&ErrorKind::Config {
                option: "strategy".into(),
                reason: "invalid value 9".into()
            })
        );
        assert_eq!(err.to_string(), "strategy: invalid value 9");
        c.clear_invalid_value("strategy");
        c.validate().unwrap();
    }

    #[test]
    fn mach_ports_default_is_accepted_but_explicit_true_is_not() {
        let mut c = Config::new();
        assert!(c.macos_use_mach_ports());
        c.validate().unwrap();
        c.set_macos_use_mach_ports(false);
        c.validate().unwrap();
        c.set_macos_use_mach_ports(true);
        let err = c.validate().unwrap_err();
        assert!(
            matches!(
                err.downcast_ref::<Error>().map(Error::kind),
                Some(ErrorKind::Config { option, .. }) if option == "macos_use_mach_ports"
            ),
            "{err:#}"
        );
    }
}
