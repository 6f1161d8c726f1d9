//! The accessors of the options whose table rows say `access: custom`:
//! setters that check their value at once, take another type than they
//! store, or share storage with other options. Plain options get theirs
//! generated from `src/config/table.rs`.

use super::validate::{option_cause, option_error};
use super::{
    CacheConfig, CacheSetting, CacheStore, Config, CraneliftFlag, HostFeatureDetector,
    InstanceAllocationStrategy, MemoryCreator, ModuleVersionStrategy, StackCreator,
    WasmBacktraceDetails, MAX_MODULE_VERSION_LEN,
};
use anyhow::Result;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use target_lexicon::Triple;

impl Config {
    /// Compiles for `target` (a triple such as `x86_64-unknown-linux-gnu`)
    /// instead of the host; host CPU features are then not inferred. Fails
    /// at once for a malformed triple or an architecture this build cannot
    /// compile for.
    pub fn set_target(&mut self, target: &str) -> Result<&mut Self> {
        let triple = Triple::from_str(target).map_err(|e| {
            option_error(
                "target",
                format_args!("`{target}` is not a valid target triple: {e}"),
            )
        })?;
        cranelift_codegen::isa::lookup(triple.clone()).map_err(|e| {
            option_error(
                "target",
                format_args!("`{target}` is not supported by this build: {e}"),
            )
        })?;
        self.target = Some(triple);
        Ok(self)
    }

    /// The target triple; `None` means the host.
    pub fn target(&self) -> Option<&Triple> {
        self.target.as_ref()
    }

    /// Enables Cranelift's incremental compilation cache backed by `store`:
    /// every function compiled by engines of this configuration is looked
    /// up there first and stored there after. Never fails (the `Result` is
    /// the reference's signature).
    pub fn enable_incremental_compilation(
        &mut self,
        store: Arc<dyn CacheStore>,
    ) -> Result<&mut Self> {
        self.enable_incremental_compilation = Some(store);
        Ok(self)
    }

    /// The incremental compilation cache store, when one is set.
    pub fn incremental_compilation_store(&self) -> Option<&Arc<dyn CacheStore>> {
        self.enable_incremental_compilation.as_ref()
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

    /// The option that last requested the Cranelift setting `name`:
    /// `cranelift_flag_set` or `cranelift_flag_enable`. A setting no request
    /// names was switched on by a preset, which only `cranelift_flag_enable`
    /// can request. Errors about a setting name this option.
    pub fn cranelift_flag_origin(&self, name: &str) -> &'static str {
        match self.cranelift_flags.iter().rev().find(|f| f.name() == name) {
            Some(CraneliftFlag::Set(..)) => "cranelift_flag_set",
            Some(CraneliftFlag::Enable(_)) | None => "cranelift_flag_enable",
        }
    }

    /// Loads the cache config file at `path` (TOML with a `[cache]` table)
    /// and enables the module cache accordingly; fails at once on I/O,
    /// syntax or setting errors (which name the line).
    pub fn cache_config_load(&mut self, path: impl AsRef<Path>) -> Result<&mut Self> {
        let config =
            CacheConfig::load(path.as_ref()).map_err(|e| option_cause("cache_config_load", e))?;
        self.cache = CacheSetting::Enabled(config);
        Ok(self)
    }

    /// Disables the module cache (the default).
    pub fn disable_cache(&mut self) -> &mut Self {
        self.cache = CacheSetting::Disabled;
        self
    }

    /// Loads the system default cache config (see
    /// [`default_config_file`](super::default_config_file)); a missing file enables the cache with
    /// default settings in [`default_cache_directory`](super::default_cache_directory).
    pub fn cache_config_load_default(&mut self) -> Result<&mut Self> {
        let config = CacheConfig::load_default()
            .map_err(|e| option_cause("cache_config_load_default", e))?;
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
        self.with_host_memory = creator;
        self
    }

    /// The custom linear-memory allocator, if any.
    pub fn with_host_memory(&self) -> Option<&Arc<dyn MemoryCreator>> {
        self.with_host_memory.as_ref()
    }

    /// Uses `creator` for async stacks (`with_host_stack`); refused at
    /// engine creation since this build has no async support.
    pub fn set_with_host_stack(&mut self, creator: Option<Arc<dyn StackCreator>>) -> &mut Self {
        self.with_host_stack = creator;
        self
    }

    /// The custom async-stack allocator, if any.
    pub fn with_host_stack(&self) -> Option<&Arc<dyn StackCreator>> {
        self.with_host_stack.as_ref()
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
                return Err(option_error(
                    "module_version",
                    format_args!(
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
        self.macos_use_mach_ports = Some(enable);
        self
    }

    /// The `macos_use_mach_ports` setting (default true).
    pub fn macos_use_mach_ports(&self) -> bool {
        self.macos_use_mach_ports.unwrap_or(true)
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

    /// Whether backtrace details are on, resolving `Environment` now from
    /// `WASM_RUNTIME_BACKTRACE_DETAILS`, or the reference's
    /// `WASMTIME_BACKTRACE_DETAILS` for hosts ported from it (`1` enables).
    pub fn wasm_backtrace_details_enabled(&self) -> bool {
        match self.wasm_backtrace_details {
            WasmBacktraceDetails::Enable => true,
            WasmBacktraceDetails::Disable => false,
            WasmBacktraceDetails::Environment => [
                "WASM_RUNTIME_BACKTRACE_DETAILS",
                "WASMTIME_BACKTRACE_DETAILS",
            ]
            .iter()
            .any(|name| std::env::var(name).is_ok_and(|v| v == "1")),
        }
    }
}
