//! The value types of options that are not plain numbers or switches:
//! enumerations, the module version stamp, Cranelift flag requests and the
//! module-cache setting.

use super::CacheConfig;

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
