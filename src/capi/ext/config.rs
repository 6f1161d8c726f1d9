//! `wasm_config_<option>_set`: one setter per option of the configuration
//! reference, with the option's own name, plus the C types some of them
//! take (enumerations, embedder callbacks, the pooling allocator's limits).
//!
//! Conventions. A NULL `config` is ignored (fallible setters return an
//! error instead). Setters that can fail on their own return an
//! `own wasm_error_t*`, NULL on success; everything else is checked when
//! the engine is built (`wasm_engine_try_new` says what is wrong), so a bad
//! value passed to an infallible setter (an out-of-range enumeration
//! value, a NULL or non-UTF-8 string) is remembered and reported there.
//! Enumerations are integer typedefs with `#define`d values, as wasm.h's
//! `wasm_valkind_t`, so C may pass any integer without undefined behaviour.
//!
//! Callback structs hand the library an `env` pointer together with an
//! optional `finalizer`: from the setter call on, the library owns `env`
//! and calls `finalizer(env)` exactly once when the last engine or config
//! using it is gone (at once if the setter refuses it). Callbacks may be
//! called from any thread, concurrently: they must be thread-safe.

use crate::capi::engine::wasm_config_t;
use crate::capi::ext::error::wasm_error_t;
use crate::capi::panic_guard;
use crate::capi::vec::wasm_byte_vec_t;
use crate::config::{
    CacheStore, Collector, HostFeatureDetector, InstanceAllocationStrategy, LinearMemory,
    MemoryCreator, ModuleVersionStrategy, OptLevel, PoolingAllocationConfig, ProfilingStrategy,
    StackCreator, StackMemory, Strategy, WasmBacktraceDetails,
};
use anyhow::{anyhow, Result};
use std::ffi::{c_char, c_void, CStr};
use std::path::Path;
use std::sync::Arc;

// ---------------------------------------------------------------------------
// Enumerations

/// Compiler choice for `wasm_config_strategy_set`.
pub type wasm_strategy_t = u8;
/// Pick the best available compiler (Cranelift in this build); the default.
pub const WASM_STRATEGY_AUTO: wasm_strategy_t = 0;
/// The optimizing Cranelift compiler.
pub const WASM_STRATEGY_CRANELIFT: wasm_strategy_t = 1;
/// The baseline Winch compiler (not in this build: refused at engine creation).
pub const WASM_STRATEGY_WINCH: wasm_strategy_t = 2;

/// Garbage collector choice for `wasm_config_collector_set`.
pub type wasm_collector_t = u8;
/// Pick the best available collector; the default.
pub const WASM_COLLECTOR_AUTO: wasm_collector_t = 0;
/// Deferred reference counting (not in this build: refused at engine creation).
pub const WASM_COLLECTOR_DEFERRED_REFERENCE_COUNTING: wasm_collector_t = 1;
/// Allocate only, never collect (not in this build: refused at engine creation).
pub const WASM_COLLECTOR_NULL: wasm_collector_t = 2;

/// Profiler integration for `wasm_config_profiler_set`.
pub type wasm_profiling_strategy_t = u8;
/// No profiler; the default.
pub const WASM_PROFILING_STRATEGY_NONE: wasm_profiling_strategy_t = 0;
/// perf jitdump files (not in this build: refused at engine creation).
pub const WASM_PROFILING_STRATEGY_JITDUMP: wasm_profiling_strategy_t = 1;
/// perf map files (not in this build: refused at engine creation).
pub const WASM_PROFILING_STRATEGY_PERFMAP: wasm_profiling_strategy_t = 2;
/// Intel VTune (not in this build: refused at engine creation).
pub const WASM_PROFILING_STRATEGY_VTUNE: wasm_profiling_strategy_t = 3;

/// Cranelift optimization level for `wasm_config_cranelift_opt_level_set`.
pub type wasm_opt_level_t = u8;
/// Minimise compile time.
pub const WASM_OPT_LEVEL_NONE: wasm_opt_level_t = 0;
/// Fastest code; the default.
pub const WASM_OPT_LEVEL_SPEED: wasm_opt_level_t = 1;
/// Fast and small code.
pub const WASM_OPT_LEVEL_SPEED_AND_SIZE: wasm_opt_level_t = 2;

/// Backtrace symbolication for `wasm_config_wasm_backtrace_details_set`.
pub type wasm_backtrace_details_t = u8;
/// Always symbolicate backtraces from the module's debug info.
pub const WASM_BACKTRACE_DETAILS_ENABLE: wasm_backtrace_details_t = 0;
/// Never.
pub const WASM_BACKTRACE_DETAILS_DISABLE: wasm_backtrace_details_t = 1;
/// Decide by `WASMTIME_BACKTRACE_DETAILS=1` when the engine is built; the default.
pub const WASM_BACKTRACE_DETAILS_ENVIRONMENT: wasm_backtrace_details_t = 2;

/// Serialized-module version stamp for `wasm_config_module_version_set`.
pub type wasm_module_version_strategy_t = u8;
/// This library's version; the default.
pub const WASM_MODULE_VERSION_STRATEGY_CRATE_VERSION: wasm_module_version_strategy_t = 0;
/// A string given by the embedder (at most 255 bytes).
pub const WASM_MODULE_VERSION_STRATEGY_CUSTOM: wasm_module_version_strategy_t = 1;
/// No version check.
pub const WASM_MODULE_VERSION_STRATEGY_NONE: wasm_module_version_strategy_t = 2;

/// Reports an enumeration value no constant names.
fn bad_enum(config: &mut wasm_config_t, option: &'static str, value: u8, valid: &str) {
    config
        .config
        .record_invalid_value(option, format!("invalid value {value} (expected {valid})"));
}

/// Borrows a C string as UTF-8.
///
/// # Safety
/// `ptr` must be NULL or point at a NUL-terminated string that outlives the
/// returned borrow.
unsafe fn c_str<'a>(ptr: *const c_char, what: &str) -> Result<&'a str> {
    if ptr.is_null() {
        return Err(anyhow!("{what} is NULL"));
    }
    // SAFETY: non-NULL, and the caller guarantees a NUL-terminated string.
    let text = unsafe { CStr::from_ptr(ptr) };
    text.to_str()
        .map_err(|e| anyhow!("{what} is not valid UTF-8: {e}"))
}

/// An error for a fallible setter called with a NULL config.
fn null_config(function: &str) -> Option<Box<wasm_error_t>> {
    Some(wasm_error_t::boxed(anyhow!("{function}: config is NULL")))
}

// ---------------------------------------------------------------------------
// Embedder environments

/// An embedder's `env` pointer and finalizer; runs the finalizer once when
/// dropped. Shared through the `Arc` of whichever hook owns it.
struct ForeignEnv {
    env: *mut c_void,
    finalizer: Option<unsafe extern "C" fn(env: *mut c_void)>,
}

// SAFETY: the C contract of every callback struct (module docs, setter
// docs) requires `env` and its callbacks to be usable from any thread,
// concurrently; the library never dereferences `env` itself.
unsafe impl Send for ForeignEnv {}
// SAFETY: as for `Send`.
unsafe impl Sync for ForeignEnv {}

impl Drop for ForeignEnv {
    fn drop(&mut self) {
        if let Some(finalizer) = self.finalizer {
            // SAFETY: the embedder supplied `finalizer` for this `env`, and
            // `Drop` runs once, after the last use of `env`.
            unsafe { finalizer(self.env) }
        }
    }
}

/// Turns a callback's `wasm_error_t*` into a Rust error.
fn callback_error(error: wasm_error_t, what: &str) -> anyhow::Error {
    error.error.context(what.to_string())
}

// ---------------------------------------------------------------------------
// Host memory (with_host_memory)

/// A linear memory made by a `wasm_memory_creator_t`.
#[repr(C)]
pub struct wasm_linear_memory_t {
    /// Embedder data passed to the callbacks; owned by the library from now on.
    pub env: *mut c_void,
    /// Returns the memory's base and stores its accessible size and its
    /// capacity (bytes it can grow to without moving) in the out-params.
    pub get_memory: Option<
        unsafe extern "C" fn(
            env: *mut c_void,
            byte_size: *mut usize,
            byte_capacity: *mut usize,
        ) -> *mut u8,
    >,
    /// Grows the accessible size to `new_size` bytes; returns NULL on success
    /// or an error the library takes ownership of.
    pub grow_memory: Option<
        unsafe extern "C" fn(env: *mut c_void, new_size: usize) -> Option<Box<wasm_error_t>>,
    >,
    /// Called once with `env` when the memory is freed (may be NULL).
    pub finalizer: Option<unsafe extern "C" fn(env: *mut c_void)>,
}

/// Callbacks that allocate linear memories (`wasm_config_with_host_memory_set`).
#[repr(C)]
pub struct wasm_memory_creator_t {
    /// Embedder data passed to `new_memory`; owned by the library from the setter call on.
    pub env: *mut c_void,
    /// Makes a memory of `minimum` bytes that may grow to `maximum` bytes
    /// (SIZE_MAX: unbounded), reserving `reserved_size_in_bytes` of address
    /// space up front when non-zero (the memory must then never move)
    /// followed by `guard_size_in_bytes` of inaccessible memory. Fills
    /// `*memory_ret` and returns NULL, or returns an error (owned by the library).
    pub new_memory: Option<
        unsafe extern "C" fn(
            env: *mut c_void,
            minimum: usize,
            maximum: usize,
            reserved_size_in_bytes: usize,
            guard_size_in_bytes: usize,
            memory_ret: *mut wasm_linear_memory_t,
        ) -> Option<Box<wasm_error_t>>,
    >,
    /// Called once with `env` when no config or engine uses the creator (may be NULL).
    pub finalizer: Option<unsafe extern "C" fn(env: *mut c_void)>,
}

type NewMemoryFn = unsafe extern "C" fn(
    *mut c_void,
    usize,
    usize,
    usize,
    usize,
    *mut wasm_linear_memory_t,
) -> Option<Box<wasm_error_t>>;

struct CMemoryCreator {
    new_memory: NewMemoryFn,
    env: ForeignEnv,
}

impl MemoryCreator for CMemoryCreator {
    fn new_memory(
        &self,
        minimum: usize,
        maximum: Option<usize>,
        reserved_size_in_bytes: Option<usize>,
        guard_size_in_bytes: usize,
    ) -> Result<Box<dyn LinearMemory>> {
        let mut out = wasm_linear_memory_t {
            env: std::ptr::null_mut(),
            get_memory: None,
            grow_memory: None,
            finalizer: None,
        };
        // SAFETY: the embedder's callback with its own `env`; `out` is a
        // valid, initialized struct for it to fill.
        let error = unsafe {
            (self.new_memory)(
                self.env.env,
                minimum,
                maximum.unwrap_or(usize::MAX),
                reserved_size_in_bytes.unwrap_or(0),
                guard_size_in_bytes,
                &mut out,
            )
        };
        // Own the memory's env first so it is finalized on every path.
        let env = ForeignEnv {
            env: out.env,
            finalizer: out.finalizer,
        };
        if let Some(error) = error {
            return Err(callback_error(
                *error,
                "with_host_memory: new_memory failed",
            ));
        }
        let (Some(get_memory), Some(grow_memory)) = (out.get_memory, out.grow_memory) else {
            return Err(anyhow!(
                "with_host_memory: new_memory returned a memory without get_memory or grow_memory"
            ));
        };
        Ok(Box::new(CLinearMemory {
            get_memory,
            grow_memory,
            env,
        }))
    }
}

type GetMemoryFn = unsafe extern "C" fn(*mut c_void, *mut usize, *mut usize) -> *mut u8;
type GrowMemoryFn = unsafe extern "C" fn(*mut c_void, usize) -> Option<Box<wasm_error_t>>;

struct CLinearMemory {
    get_memory: GetMemoryFn,
    grow_memory: GrowMemoryFn,
    env: ForeignEnv,
}

impl CLinearMemory {
    fn query(&self) -> (*mut u8, usize, usize) {
        let (mut size, mut capacity) = (0usize, 0usize);
        // SAFETY: the embedder's callback with its own `env` and two valid
        // out-params.
        let base = unsafe { (self.get_memory)(self.env.env, &mut size, &mut capacity) };
        (base, size, capacity)
    }
}

impl LinearMemory for CLinearMemory {
    fn byte_size(&self) -> usize {
        self.query().1
    }

    fn byte_capacity(&self) -> usize {
        self.query().2
    }

    fn grow_to(&mut self, new_size: usize) -> Result<()> {
        // SAFETY: the embedder's callback with its own `env`.
        match unsafe { (self.grow_memory)(self.env.env, new_size) } {
            None => Ok(()),
            Some(error) => Err(callback_error(
                *error,
                "with_host_memory: grow_memory failed",
            )),
        }
    }

    fn as_ptr(&self) -> *mut u8 {
        self.query().0
    }
}

/// Uses `creator` (copied; its `env` is owned by the library from now on)
/// to allocate linear memories; NULL restores the built-in allocator.
/// Default: none. Callbacks must be thread-safe.
#[no_mangle]
pub extern "C" fn wasm_config_with_host_memory_set(
    config: Option<&mut wasm_config_t>,
    creator: Option<&wasm_memory_creator_t>,
) {
    let env = creator.map(|c| ForeignEnv {
        env: c.env,
        finalizer: c.finalizer,
    });
    let Some(config) = config else { return };
    let (Some(creator), Some(env)) = (creator, env) else {
        config.config.clear_invalid_value("with_host_memory");
        config.config.set_with_host_memory(None);
        return;
    };
    match creator.new_memory {
        Some(new_memory) => {
            config.config.clear_invalid_value("with_host_memory");
            config
                .config
                .set_with_host_memory(Some(Arc::new(CMemoryCreator { new_memory, env })));
        }
        None => {
            drop(env);
            config.config.record_invalid_value(
                "with_host_memory",
                "the creator's new_memory is NULL".into(),
            );
        }
    }
}

// ---------------------------------------------------------------------------
// Host stacks (with_host_stack)

/// A stack made by a `wasm_stack_creator_t`.
#[repr(C)]
pub struct wasm_stack_memory_t {
    /// Embedder data passed to the callbacks; owned by the library from now on.
    pub env: *mut c_void,
    /// Returns the stack's top (highest address) and stores its usable
    /// length in `*len`.
    pub get_stack_memory:
        Option<unsafe extern "C" fn(env: *mut c_void, len: *mut usize) -> *mut u8>,
    /// Called once with `env` when the stack is freed (may be NULL).
    pub finalizer: Option<unsafe extern "C" fn(env: *mut c_void)>,
}

/// Callbacks that allocate async stacks (`wasm_config_with_host_stack_set`).
#[repr(C)]
pub struct wasm_stack_creator_t {
    /// Embedder data passed to `new_stack`; owned by the library from the setter call on.
    pub env: *mut c_void,
    /// Makes a stack of at least `size` bytes (zeroed if `zeroed`), fills
    /// `*stack_ret` and returns NULL, or returns an error (owned by the library).
    pub new_stack: Option<
        unsafe extern "C" fn(
            env: *mut c_void,
            size: usize,
            zeroed: bool,
            stack_ret: *mut wasm_stack_memory_t,
        ) -> Option<Box<wasm_error_t>>,
    >,
    /// Called once with `env` when no config or engine uses the creator (may be NULL).
    pub finalizer: Option<unsafe extern "C" fn(env: *mut c_void)>,
}

type NewStackFn = unsafe extern "C" fn(
    *mut c_void,
    usize,
    bool,
    *mut wasm_stack_memory_t,
) -> Option<Box<wasm_error_t>>;
type GetStackFn = unsafe extern "C" fn(*mut c_void, *mut usize) -> *mut u8;

struct CStackCreator {
    new_stack: NewStackFn,
    env: ForeignEnv,
}

impl StackCreator for CStackCreator {
    fn new_stack(&self, size: usize, zeroed: bool) -> Result<Box<dyn StackMemory>> {
        let mut out = wasm_stack_memory_t {
            env: std::ptr::null_mut(),
            get_stack_memory: None,
            finalizer: None,
        };
        // SAFETY: the embedder's callback with its own `env` and a valid
        // struct to fill.
        let error = unsafe { (self.new_stack)(self.env.env, size, zeroed, &mut out) };
        let env = ForeignEnv {
            env: out.env,
            finalizer: out.finalizer,
        };
        if let Some(error) = error {
            return Err(callback_error(*error, "with_host_stack: new_stack failed"));
        }
        let Some(get_stack_memory) = out.get_stack_memory else {
            return Err(anyhow!(
                "with_host_stack: new_stack returned a stack without get_stack_memory"
            ));
        };
        Ok(Box::new(CStackMemory {
            get_stack_memory,
            env,
        }))
    }
}

struct CStackMemory {
    get_stack_memory: GetStackFn,
    env: ForeignEnv,
}

impl CStackMemory {
    fn query(&self) -> (*mut u8, usize) {
        let mut len = 0usize;
        // SAFETY: the embedder's callback with its own `env` and a valid out-param.
        let top = unsafe { (self.get_stack_memory)(self.env.env, &mut len) };
        (top, len)
    }
}

impl StackMemory for CStackMemory {
    fn top(&self) -> *mut u8 {
        self.query().0
    }

    fn range(&self) -> std::ops::Range<usize> {
        let (top, len) = self.query();
        let top = top as usize;
        top.saturating_sub(len)..top
    }
}

/// Uses `creator` (copied; its `env` is owned by the library from now on)
/// to allocate async stacks; NULL restores the default. Default: none. This
/// build has no async support, so a creator is refused at engine creation.
#[no_mangle]
pub extern "C" fn wasm_config_with_host_stack_set(
    config: Option<&mut wasm_config_t>,
    creator: Option<&wasm_stack_creator_t>,
) {
    let env = creator.map(|c| ForeignEnv {
        env: c.env,
        finalizer: c.finalizer,
    });
    let Some(config) = config else { return };
    let (Some(creator), Some(env)) = (creator, env) else {
        config.config.clear_invalid_value("with_host_stack");
        config.config.set_with_host_stack(None);
        return;
    };
    match creator.new_stack {
        Some(new_stack) => {
            config.config.clear_invalid_value("with_host_stack");
            config
                .config
                .set_with_host_stack(Some(Arc::new(CStackCreator { new_stack, env })));
        }
        None => {
            drop(env);
            config
                .config
                .record_invalid_value("with_host_stack", "the creator's new_stack is NULL".into());
        }
    }
}

// ---------------------------------------------------------------------------
// Incremental compilation cache (enable_incremental_compilation)

/// Storage for Cranelift's incremental compilation cache
/// (`wasm_config_enable_incremental_compilation_set`).
#[repr(C)]
pub struct wasm_cache_store_t {
    /// Embedder data passed to the callbacks; owned by the library from the setter call on.
    pub env: *mut c_void,
    /// Looks `key` up; on a hit fills `*value_out` (a vector the library
    /// takes over, made with `wasm_byte_vec_new*`) and returns true.
    pub get: Option<
        unsafe extern "C" fn(
            env: *mut c_void,
            key: *const u8,
            key_size: usize,
            value_out: *mut wasm_byte_vec_t,
        ) -> bool,
    >,
    /// Stores `value` under `key` (both borrowed for the call); returns
    /// whether it was stored.
    pub insert: Option<
        unsafe extern "C" fn(
            env: *mut c_void,
            key: *const u8,
            key_size: usize,
            value: *const u8,
            value_size: usize,
        ) -> bool,
    >,
    /// Called once with `env` when the store is no longer used (may be NULL).
    pub finalizer: Option<unsafe extern "C" fn(env: *mut c_void)>,
}

type CacheGetFn = unsafe extern "C" fn(*mut c_void, *const u8, usize, *mut wasm_byte_vec_t) -> bool;
type CacheInsertFn = unsafe extern "C" fn(*mut c_void, *const u8, usize, *const u8, usize) -> bool;

struct CCacheStore {
    get: CacheGetFn,
    insert: CacheInsertFn,
    env: ForeignEnv,
}

impl CacheStore for CCacheStore {
    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        let mut value = wasm_byte_vec_t {
            size: 0,
            data: std::ptr::null_mut(),
        };
        // SAFETY: the embedder's callback with its own `env`, a key it
        // borrows for the call and a valid out-param.
        let hit = unsafe { (self.get)(self.env.env, key.as_ptr(), key.len(), &mut value) };
        // SAFETY: by the callback's contract the vector, when filled, was
        // made by the `wasm_byte_vec_new*` family, which `take` frees.
        let bytes = unsafe { value.take() };
        hit.then_some(bytes)
    }

    fn insert(&self, key: &[u8], value: Vec<u8>) -> bool {
        // SAFETY: the embedder's callback with its own `env`; key and value
        // are borrowed for the call.
        unsafe {
            (self.insert)(
                self.env.env,
                key.as_ptr(),
                key.len(),
                value.as_ptr(),
                value.len(),
            )
        }
    }
}

/// Enables Cranelift's incremental compilation cache backed by `store`
/// (copied; its `env` is owned by the library from now on). Returns NULL on
/// success or an error. This build lacks the incremental cache, so it always
/// fails and finalizes `store` at once. Default: off.
#[no_mangle]
pub extern "C" fn wasm_config_enable_incremental_compilation_set(
    config: Option<&mut wasm_config_t>,
    store: Option<&wasm_cache_store_t>,
) -> Option<Box<wasm_error_t>> {
    let holder = store.map(|s| {
        let env = ForeignEnv {
            env: s.env,
            finalizer: s.finalizer,
        };
        (s.get, s.insert, env)
    });
    let Some(config) = config else {
        return null_config("wasm_config_enable_incremental_compilation_set");
    };
    let Some((get, insert, env)) = holder else {
        return Some(wasm_error_t::boxed(anyhow!(
            "enable_incremental_compilation: the cache store is NULL"
        )));
    };
    let (Some(get), Some(insert)) = (get, insert) else {
        return Some(wasm_error_t::boxed(anyhow!(
            "enable_incremental_compilation: the cache store's get or insert is NULL"
        )));
    };
    let store = Arc::new(CCacheStore { get, insert, env });
    config
        .config
        .enable_incremental_compilation(store)
        .err()
        .map(wasm_error_t::boxed)
}

// ---------------------------------------------------------------------------
// Host feature detection (detect_host_feature)

/// Answers which CPU features the host has (`wasm_config_detect_host_feature_set`).
#[repr(C)]
pub struct wasm_host_feature_detector_t {
    /// Embedder data passed to `detect`; owned by the library from the setter call on.
    pub env: *mut c_void,
    /// For a feature name as Rust's feature detection spells it ("sse4.2",
    /// "avx2", "lse", …) returns 1 if the host has it, 0 if it does not,
    /// and a negative value if the name is unknown.
    pub detect: Option<unsafe extern "C" fn(env: *mut c_void, feature: *const c_char) -> i8>,
    /// Called once with `env` when no config or engine uses the detector (may be NULL).
    pub finalizer: Option<unsafe extern "C" fn(env: *mut c_void)>,
}

type DetectFn = unsafe extern "C" fn(*mut c_void, *const c_char) -> i8;

struct CHostFeatureDetector {
    detect: DetectFn,
    env: ForeignEnv,
}

impl HostFeatureDetector for CHostFeatureDetector {
    fn detect(&self, feature: &str) -> Option<bool> {
        let name = std::ffi::CString::new(feature).ok()?;
        // SAFETY: the embedder's callback with its own `env` and a
        // NUL-terminated name borrowed for the call.
        match unsafe { (self.detect)(self.env.env, name.as_ptr()) } {
            0 => Some(false),
            n if n > 0 => Some(true),
            _ => None,
        }
    }
}

/// Uses `detector` (copied; its `env` is owned by the library from now on)
/// to learn the host's CPU features when building the host ISA; NULL
/// restores the built-in detection (the default). Code is generated for the
/// features it reports, so wrong answers make code the CPU cannot run.
/// Callbacks must be thread-safe.
#[no_mangle]
pub extern "C" fn wasm_config_detect_host_feature_set(
    config: Option<&mut wasm_config_t>,
    detector: Option<&wasm_host_feature_detector_t>,
) {
    let env = detector.map(|d| ForeignEnv {
        env: d.env,
        finalizer: d.finalizer,
    });
    let Some(config) = config else { return };
    let (Some(detector), Some(env)) = (detector, env) else {
        config.config.clear_invalid_value("detect_host_feature");
        // SAFETY: `None` restores the standard library's detection.
        unsafe { config.config.set_detect_host_feature(None) };
        return;
    };
    match detector.detect {
        Some(detect) => {
            config.config.clear_invalid_value("detect_host_feature");
            let detector = Arc::new(CHostFeatureDetector { detect, env });
            // SAFETY: the C contract (see the doc comment) makes the
            // embedder responsible for correct answers, as the Rust API's
            // safety contract does.
            unsafe { config.config.set_detect_host_feature(Some(detector)) };
        }
        None => {
            drop(env);
            config.config.record_invalid_value(
                "detect_host_feature",
                "the detector's detect is NULL".into(),
            );
        }
    }
}

// ---------------------------------------------------------------------------
// Pooling allocation (allocation_strategy)

/// Limits of the pooling instance allocator, for
/// `wasm_config_allocation_strategy_set`; made by
/// `wasm_pooling_allocation_config_new` with Wasmtime's defaults.
pub struct wasm_pooling_allocation_config_t {
    pub(crate) config: PoolingAllocationConfig,
}

/// Returns new pooling limits at their defaults; the caller owns them.
#[no_mangle]
pub extern "C" fn wasm_pooling_allocation_config_new() -> Box<wasm_pooling_allocation_config_t> {
    Box::new(wasm_pooling_allocation_config_t {
        config: PoolingAllocationConfig::default(),
    })
}

/// Frees pooling limits; NULL is ignored.
#[no_mangle]
pub extern "C" fn wasm_pooling_allocation_config_delete(
    config: Option<Box<wasm_pooling_allocation_config_t>>,
) {
    drop(config);
}

/// Uses the pooling allocator with a copy of `pooling` (borrowed) for
/// instances, memories and tables; NULL selects on-demand allocation, the
/// default. Limits are checked at engine creation.
#[no_mangle]
pub extern "C" fn wasm_config_allocation_strategy_set(
    config: Option<&mut wasm_config_t>,
    pooling: Option<&wasm_pooling_allocation_config_t>,
) {
    if let Some(c) = config {
        let strategy = match pooling {
            Some(p) => InstanceAllocationStrategy::Pooling(p.config.clone()),
            None => InstanceAllocationStrategy::OnDemand,
        };
        c.config.set_allocation_strategy(strategy);
    }
}

// ---------------------------------------------------------------------------
// Options taking enumerations

/// Selects the compiler (`WASM_STRATEGY_*`); default auto. Winch is refused
/// at engine creation, as is a value no constant names.
#[no_mangle]
pub extern "C" fn wasm_config_strategy_set(
    config: Option<&mut wasm_config_t>,
    strategy: wasm_strategy_t,
) {
    let Some(c) = config else { return };
    let value = match strategy {
        WASM_STRATEGY_AUTO => Strategy::Auto,
        WASM_STRATEGY_CRANELIFT => Strategy::Cranelift,
        WASM_STRATEGY_WINCH => Strategy::Winch,
        other => return bad_enum(c, "strategy", other, "0 auto, 1 cranelift or 2 winch"),
    };
    c.config.clear_invalid_value("strategy");
    c.config.set_strategy(value);
}

/// Selects the garbage collector (`WASM_COLLECTOR_*`); default auto. Others
/// are refused at engine creation (this build has no collector).
#[no_mangle]
pub extern "C" fn wasm_config_collector_set(
    config: Option<&mut wasm_config_t>,
    collector: wasm_collector_t,
) {
    let Some(c) = config else { return };
    let value = match collector {
        WASM_COLLECTOR_AUTO => Collector::Auto,
        WASM_COLLECTOR_DEFERRED_REFERENCE_COUNTING => Collector::DeferredReferenceCounting,
        WASM_COLLECTOR_NULL => Collector::Null,
        other => {
            return bad_enum(
                c,
                "collector",
                other,
                "0 auto, 1 deferred_reference_counting or 2 null",
            )
        }
    };
    c.config.clear_invalid_value("collector");
    c.config.set_collector(value);
}

/// Selects the profiler integration (`WASM_PROFILING_STRATEGY_*`); default
/// none. Others are refused at engine creation (not in this build).
#[no_mangle]
pub extern "C" fn wasm_config_profiler_set(
    config: Option<&mut wasm_config_t>,
    profiler: wasm_profiling_strategy_t,
) {
    let Some(c) = config else { return };
    let value = match profiler {
        WASM_PROFILING_STRATEGY_NONE => ProfilingStrategy::None,
        WASM_PROFILING_STRATEGY_JITDUMP => ProfilingStrategy::JitDump,
        WASM_PROFILING_STRATEGY_PERFMAP => ProfilingStrategy::PerfMap,
        WASM_PROFILING_STRATEGY_VTUNE => ProfilingStrategy::VTune,
        other => {
            return bad_enum(
                c,
                "profiler",
                other,
                "0 none, 1 jitdump, 2 perfmap or 3 vtune",
            )
        }
    };
    c.config.clear_invalid_value("profiler");
    c.config.set_profiler(value);
}

/// Selects Cranelift's optimization level (`WASM_OPT_LEVEL_*`); default speed.
#[no_mangle]
pub extern "C" fn wasm_config_cranelift_opt_level_set(
    config: Option<&mut wasm_config_t>,
    level: wasm_opt_level_t,
) {
    let Some(c) = config else { return };
    let value = match level {
        WASM_OPT_LEVEL_NONE => OptLevel::None,
        WASM_OPT_LEVEL_SPEED => OptLevel::Speed,
        WASM_OPT_LEVEL_SPEED_AND_SIZE => OptLevel::SpeedAndSize,
        other => {
            return bad_enum(
                c,
                "cranelift_opt_level",
                other,
                "0 none, 1 speed or 2 speed_and_size",
            )
        }
    };
    c.config.clear_invalid_value("cranelift_opt_level");
    c.config.set_cranelift_opt_level(value);
}

/// Selects whether backtraces are symbolicated from debug info
/// (`WASM_BACKTRACE_DETAILS_*`); default environment (`WASMTIME_BACKTRACE_DETAILS=1`).
#[no_mangle]
pub extern "C" fn wasm_config_wasm_backtrace_details_set(
    config: Option<&mut wasm_config_t>,
    details: wasm_backtrace_details_t,
) {
    let Some(c) = config else { return };
    let value = match details {
        WASM_BACKTRACE_DETAILS_ENABLE => WasmBacktraceDetails::Enable,
        WASM_BACKTRACE_DETAILS_DISABLE => WasmBacktraceDetails::Disable,
        WASM_BACKTRACE_DETAILS_ENVIRONMENT => WasmBacktraceDetails::Environment,
        other => {
            return bad_enum(
                c,
                "wasm_backtrace_details",
                other,
                "0 enable, 1 disable or 2 environment",
            )
        }
    };
    c.config.clear_invalid_value("wasm_backtrace_details");
    c.config.set_wasm_backtrace_details(value);
}

/// Sets the version stamp of serialized modules
/// (`WASM_MODULE_VERSION_STRATEGY_*`; `custom` is read only for CUSTOM,
/// copied, at most 255 bytes of UTF-8). Returns NULL on success or an
/// error. Default: this library's version.
///
/// # Safety
/// `custom` must be NULL or point at a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn wasm_config_module_version_set(
    config: Option<&mut wasm_config_t>,
    strategy: wasm_module_version_strategy_t,
    custom: *const c_char,
) -> Option<Box<wasm_error_t>> {
    let Some(c) = config else {
        return null_config("wasm_config_module_version_set");
    };
    let result = (|| {
        let strategy = match strategy {
            WASM_MODULE_VERSION_STRATEGY_CRATE_VERSION => ModuleVersionStrategy::CrateVersion,
            WASM_MODULE_VERSION_STRATEGY_NONE => ModuleVersionStrategy::None,
            WASM_MODULE_VERSION_STRATEGY_CUSTOM => {
                // SAFETY: the caller passes NULL or a NUL-terminated string.
                let text = unsafe { c_str(custom, "module_version: the custom version string") }?;
                ModuleVersionStrategy::Custom(text.to_string())
            }
            other => {
                return Err(anyhow!(
                    "module_version: invalid strategy {other} (expected 0 crate_version, 1 custom or 2 none)"
                ))
            }
        };
        c.config.set_module_version(strategy).map(drop)
    })();
    result.err().map(wasm_error_t::boxed)
}

// ---------------------------------------------------------------------------
// Options taking strings

/// Compiles for the target triple `target` (e.g. "x86_64-unknown-linux-gnu")
/// instead of the host. Returns NULL on success or an error for a malformed
/// triple or an architecture this build cannot compile for. Default: the host.
///
/// # Safety
/// `target` must be NULL or point at a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn wasm_config_target_set(
    config: Option<&mut wasm_config_t>,
    target: *const c_char,
) -> Option<Box<wasm_error_t>> {
    let Some(c) = config else {
        return null_config("wasm_config_target_set");
    };
    panic_guard::or_error("wasm_config_target_set", || {
        // SAFETY: the caller passes NULL or a NUL-terminated string.
        let result = unsafe { c_str(target, "target: the triple") }
            .and_then(|triple| c.config.set_target(triple).map(drop));
        result.err().map(wasm_error_t::boxed)
    })
}

/// Enables the boolean Cranelift setting or preset named `flag` (copied).
/// Unknown names are refused at engine creation. Unsafe in spirit: wrong
/// settings can break generated code. Default: none.
///
/// # Safety
/// `flag` must be NULL or point at a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn wasm_config_cranelift_flag_enable_set(
    config: Option<&mut wasm_config_t>,
    flag: *const c_char,
) {
    let Some(c) = config else { return };
    // SAFETY: the caller passes NULL or a NUL-terminated string.
    match unsafe { c_str(flag, "the flag name") } {
        // SAFETY: the flag is checked by name and value when the engine is
        // built; its soundness is the caller's responsibility, as documented.
        Ok(flag) => unsafe {
            c.config.cranelift_flag_enable(flag);
        },
        Err(e) => c
            .config
            .record_invalid_value("cranelift_flag_enable", e.to_string()),
    }
}

/// Sets the Cranelift setting `name` to `value` (both copied). Unknown
/// names and bad values are refused at engine creation. Unsafe in spirit:
/// wrong settings can break generated code. Default: none.
///
/// # Safety
/// `name` and `value` must be NULL or point at a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn wasm_config_cranelift_flag_set_set(
    config: Option<&mut wasm_config_t>,
    name: *const c_char,
    value: *const c_char,
) {
    let Some(c) = config else { return };
    // SAFETY: the caller passes NULL or NUL-terminated strings.
    let strings = unsafe {
        c_str(name, "the setting name").and_then(|n| Ok((n, c_str(value, "the value")?)))
    };
    match strings {
        // SAFETY: as for `wasm_config_cranelift_flag_enable_set`.
        Ok((name, value)) => unsafe {
            c.config.cranelift_flag_set(name, value);
        },
        Err(e) => c
            .config
            .record_invalid_value("cranelift_flag_set", e.to_string()),
    }
}

/// Loads the module cache settings from the TOML file at `path` (a
/// `[cache]` table with `enabled`, `directory`, …) and enables the cache
/// accordingly. Returns NULL on success or an error naming the file, line
/// and key (or a cache folder that cannot be made). Default: no cache.
/// The folder is created when the first compiled module is stored, not
/// here; entries are written by a background thread and are complete once
/// the engine is deleted, or at process exit.
///
/// # Safety
/// `path` must be NULL or point at a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn wasm_config_cache_config_load_set(
    config: Option<&mut wasm_config_t>,
    path: *const c_char,
) -> Option<Box<wasm_error_t>> {
    let Some(c) = config else {
        return null_config("wasm_config_cache_config_load_set");
    };
    panic_guard::or_error("wasm_config_cache_config_load_set", || {
        // SAFETY: the caller passes NULL or a NUL-terminated string.
        let result = unsafe { c_str(path, "cache_config_load: the path") }
            .and_then(|path| c.config.cache_config_load(path).map(drop));
        result.err().map(wasm_error_t::boxed)
    })
}

/// Disables the module cache (the default).
#[no_mangle]
pub extern "C" fn wasm_config_disable_cache_set(config: Option<&mut wasm_config_t>) {
    if let Some(c) = config {
        c.config.disable_cache();
    }
}

/// Loads the default cache settings ($XDG_CONFIG_HOME/wasm-runtime/config.toml,
/// else ~/.config/wasm-runtime/config.toml; a missing file means an enabled
/// cache under $XDG_CACHE_HOME/wasm-runtime or ~/.cache/wasm-runtime).
/// Returns NULL on success or an error. Default: no cache. Creates no
/// folder: as with `wasm_config_cache_config_load_set`, the cache folder is
/// made by the first stored module, so a later `wasm_config_disable_cache_set`
/// leaves nothing behind.
#[no_mangle]
pub extern "C" fn wasm_config_cache_config_load_default_set(
    config: Option<&mut wasm_config_t>,
) -> Option<Box<wasm_error_t>> {
    let Some(c) = config else {
        return null_config("wasm_config_cache_config_load_default_set");
    };
    panic_guard::or_error("wasm_config_cache_config_load_default_set", || {
        c.config
            .cache_config_load_default()
            .err()
            .map(wasm_error_t::boxed)
    })
}

/// Writes each compiled function's Cranelift IR into the existing folder
/// `path` (copied); NULL turns it off, the default. The folder is checked at
/// engine creation.
///
/// # Safety
/// `path` must be NULL or point at a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn wasm_config_emit_clif_set(
    config: Option<&mut wasm_config_t>,
    path: *const c_char,
) {
    let Some(c) = config else { return };
    if path.is_null() {
        c.config.clear_invalid_value("emit_clif");
        c.config.set_emit_clif(None);
        return;
    }
    // SAFETY: non-NULL, and the caller passes a NUL-terminated string.
    match unsafe { c_str(path, "the path") } {
        Ok(path) => {
            c.config.clear_invalid_value("emit_clif");
            c.config.set_emit_clif(Some(Path::new(path)));
        }
        Err(e) => c.config.record_invalid_value("emit_clif", e.to_string()),
    }
}

// ---------------------------------------------------------------------------
// Options taking booleans and sizes

/// Run async host functions on separate stacks; default false. This build refuses true at engine creation.
#[no_mangle]
pub extern "C" fn wasm_config_async_support_set(config: Option<&mut wasm_config_t>, enable: bool) {
    if let Some(c) = config {
        c.config.set_async_support(enable);
    }
}

/// Emit DWARF debug info for native debuggers; default false. This build refuses true at engine creation.
#[no_mangle]
pub extern "C" fn wasm_config_debug_info_set(config: Option<&mut wasm_config_t>, enable: bool) {
    if let Some(c) = config {
        c.config.set_debug_info(enable);
    }
}

/// Capture wasm backtraces for traps and host errors; default true.
#[no_mangle]
pub extern "C" fn wasm_config_wasm_backtrace_set(config: Option<&mut wasm_config_t>, enable: bool) {
    if let Some(c) = config {
        c.config.set_wasm_backtrace(enable);
    }
}

/// Emit native unwind info (.eh_frame) for external unwinders; default true.
#[no_mangle]
pub extern "C" fn wasm_config_native_unwind_info_set(
    config: Option<&mut wasm_config_t>,
    enable: bool,
) {
    if let Some(c) = config {
        c.config.set_native_unwind_info(enable);
    }
}

/// Instrument code to consume fuel (stores start with none; running out traps); default false.
#[no_mangle]
pub extern "C" fn wasm_config_consume_fuel_set(config: Option<&mut wasm_config_t>, enable: bool) {
    if let Some(c) = config {
        c.config.set_consume_fuel(enable);
    }
}

/// Instrument code with epoch-deadline checks; default false.
#[no_mangle]
pub extern "C" fn wasm_config_epoch_interruption_set(
    config: Option<&mut wasm_config_t>,
    enable: bool,
) {
    if let Some(c) = config {
        c.config.set_epoch_interruption(enable);
    }
}

/// Enable the wasm tail-call proposal; default true.
#[no_mangle]
pub extern "C" fn wasm_config_wasm_tail_call_set(config: Option<&mut wasm_config_t>, enable: bool) {
    if let Some(c) = config {
        c.config.set_wasm_tail_call(enable);
    }
}

/// Enable the wasm custom-page-sizes proposal; default false.
#[no_mangle]
pub extern "C" fn wasm_config_wasm_custom_page_sizes_set(
    config: Option<&mut wasm_config_t>,
    enable: bool,
) {
    if let Some(c) = config {
        c.config.set_wasm_custom_page_sizes(enable);
    }
}

/// Enable the wasm threads proposal (shared memories, atomics); default true.
#[no_mangle]
pub extern "C" fn wasm_config_wasm_threads_set(config: Option<&mut wasm_config_t>, enable: bool) {
    if let Some(c) = config {
        c.config.set_wasm_threads(enable);
    }
}

/// Enable wasm reference types (needs bulk memory, checked at engine creation); default true.
#[no_mangle]
pub extern "C" fn wasm_config_wasm_reference_types_set(
    config: Option<&mut wasm_config_t>,
    enable: bool,
) {
    if let Some(c) = config {
        c.config.set_wasm_reference_types(enable);
    }
}

/// Enable wasm typed function references (needs reference types); default false.
#[no_mangle]
pub extern "C" fn wasm_config_wasm_function_references_set(
    config: Option<&mut wasm_config_t>,
    enable: bool,
) {
    if let Some(c) = config {
        c.config.set_wasm_function_references(enable);
    }
}

/// Enable the wasm wide-arithmetic proposal; default false.
#[no_mangle]
pub extern "C" fn wasm_config_wasm_wide_arithmetic_set(
    config: Option<&mut wasm_config_t>,
    enable: bool,
) {
    if let Some(c) = config {
        c.config.set_wasm_wide_arithmetic(enable);
    }
}

/// Enable wasm GC (needs function references); default false. This build refuses true at engine creation.
#[no_mangle]
pub extern "C" fn wasm_config_wasm_gc_set(config: Option<&mut wasm_config_t>, enable: bool) {
    if let Some(c) = config {
        c.config.set_wasm_gc(enable);
    }
}

/// Enable wasm SIMD; default true.
#[no_mangle]
pub extern "C" fn wasm_config_wasm_simd_set(config: Option<&mut wasm_config_t>, enable: bool) {
    if let Some(c) = config {
        c.config.set_wasm_simd(enable);
    }
}

/// Enable wasm relaxed SIMD (needs SIMD); default true.
#[no_mangle]
pub extern "C" fn wasm_config_wasm_relaxed_simd_set(
    config: Option<&mut wasm_config_t>,
    enable: bool,
) {
    if let Some(c) = config {
        c.config.set_wasm_relaxed_simd(enable);
    }
}

/// Lower relaxed-SIMD instructions to the same results on every host; default false.
#[no_mangle]
pub extern "C" fn wasm_config_relaxed_simd_deterministic_set(
    config: Option<&mut wasm_config_t>,
    enable: bool,
) {
    if let Some(c) = config {
        c.config.set_relaxed_simd_deterministic(enable);
    }
}

/// Enable wasm bulk memory operations; default true.
#[no_mangle]
pub extern "C" fn wasm_config_wasm_bulk_memory_set(
    config: Option<&mut wasm_config_t>,
    enable: bool,
) {
    if let Some(c) = config {
        c.config.set_wasm_bulk_memory(enable);
    }
}

/// Enable wasm multi-value; default true.
#[no_mangle]
pub extern "C" fn wasm_config_wasm_multi_value_set(
    config: Option<&mut wasm_config_t>,
    enable: bool,
) {
    if let Some(c) = config {
        c.config.set_wasm_multi_value(enable);
    }
}

/// Enable wasm multi-memory; default true.
#[no_mangle]
pub extern "C" fn wasm_config_wasm_multi_memory_set(
    config: Option<&mut wasm_config_t>,
    enable: bool,
) {
    if let Some(c) = config {
        c.config.set_wasm_multi_memory(enable);
    }
}

/// Enable wasm 64-bit memories; default false.
#[no_mangle]
pub extern "C" fn wasm_config_wasm_memory64_set(config: Option<&mut wasm_config_t>, enable: bool) {
    if let Some(c) = config {
        c.config.set_wasm_memory64(enable);
    }
}

/// Enable wasm extended constant expressions; default true.
#[no_mangle]
pub extern "C" fn wasm_config_wasm_extended_const_set(
    config: Option<&mut wasm_config_t>,
    enable: bool,
) {
    if let Some(c) = config {
        c.config.set_wasm_extended_const(enable);
    }
}

/// Enable the component model; default false. This build refuses true at engine creation.
#[no_mangle]
pub extern "C" fn wasm_config_wasm_component_model_set(
    config: Option<&mut wasm_config_t>,
    enable: bool,
) {
    if let Some(c) = config {
        c.config.set_wasm_component_model(enable);
    }
}

/// Allow more than 32 flags per component flags type; default false. This build refuses true at engine creation.
#[no_mangle]
pub extern "C" fn wasm_config_wasm_component_model_more_flags_set(
    config: Option<&mut wasm_config_t>,
    enable: bool,
) {
    if let Some(c) = config {
        c.config.set_wasm_component_model_more_flags(enable);
    }
}

/// Allow several component function results; default false. This build refuses true at engine creation.
#[no_mangle]
pub extern "C" fn wasm_config_wasm_component_model_multiple_returns_set(
    config: Option<&mut wasm_config_t>,
    enable: bool,
) {
    if let Some(c) = config {
        c.config.set_wasm_component_model_multiple_returns(enable);
    }
}

/// Run Cranelift's IR verifier on every function; default false.
#[no_mangle]
pub extern "C" fn wasm_config_cranelift_debug_verifier_set(
    config: Option<&mut wasm_config_t>,
    enable: bool,
) {
    if let Some(c) = config {
        c.config.set_cranelift_debug_verifier(enable);
    }
}

/// Canonicalize NaNs produced by float operations; default false.
#[no_mangle]
pub extern "C" fn wasm_config_cranelift_nan_canonicalization_set(
    config: Option<&mut wasm_config_t>,
    enable: bool,
) {
    if let Some(c) = config {
        c.config.set_cranelift_nan_canonicalization(enable);
    }
}

/// Check sandbox lowering with proof-carrying code; default false. This build's Cranelift has none, so true is refused at engine creation.
#[no_mangle]
pub extern "C" fn wasm_config_cranelift_pcc_set(config: Option<&mut wasm_config_t>, enable: bool) {
    if let Some(c) = config {
        c.config.set_cranelift_pcc(enable);
    }
}

/// Make every memory static (reserved up front, limited to static_memory_maximum_size); default false.
#[no_mangle]
pub extern "C" fn wasm_config_static_memory_forced_set(
    config: Option<&mut wasm_config_t>,
    enable: bool,
) {
    if let Some(c) = config {
        c.config.set_static_memory_forced(enable);
    }
}

/// Also place a guard region before each linear memory; default true.
#[no_mangle]
pub extern "C" fn wasm_config_guard_before_linear_memory_set(
    config: Option<&mut wasm_config_t>,
    enable: bool,
) {
    if let Some(c) = config {
        c.config.set_guard_before_linear_memory(enable);
    }
}

/// Initialize table elements lazily on first use; default true.
#[no_mangle]
pub extern "C" fn wasm_config_table_lazy_init_set(
    config: Option<&mut wasm_config_t>,
    enable: bool,
) {
    if let Some(c) = config {
        c.config.set_table_lazy_init(enable);
    }
}

/// Compile a module's functions on several threads; default true.
#[no_mangle]
pub extern "C" fn wasm_config_parallel_compilation_set(
    config: Option<&mut wasm_config_t>,
    enable: bool,
) {
    if let Some(c) = config {
        c.config.set_parallel_compilation(enable);
    }
}

/// Keep native-address to wasm-offset maps for backtraces; default true.
#[no_mangle]
pub extern "C" fn wasm_config_generate_address_map_set(
    config: Option<&mut wasm_config_t>,
    enable: bool,
) {
    if let Some(c) = config {
        c.config.set_generate_address_map(enable);
    }
}

/// Initialize memories from copy-on-write images when possible; default true.
#[no_mangle]
pub extern "C" fn wasm_config_memory_init_cow_set(
    config: Option<&mut wasm_config_t>,
    enable: bool,
) {
    if let Some(c) = config {
        c.config.set_memory_init_cow(enable);
    }
}

/// Always back memory images with memfd_create on Linux; default false.
#[no_mangle]
pub extern "C" fn wasm_config_force_memory_init_memfd_set(
    config: Option<&mut wasm_config_t>,
    enable: bool,
) {
    if let Some(c) = config {
        c.config.set_force_memory_init_memfd(enable);
    }
}

/// Attach a core dump to trap errors; default false. This build refuses true at engine creation.
#[no_mangle]
pub extern "C" fn wasm_config_coredump_on_trap_set(
    config: Option<&mut wasm_config_t>,
    enable: bool,
) {
    if let Some(c) = config {
        c.config.set_coredump_on_trap(enable);
    }
}

/// Check wasm heap use with wmemcheck; default false. This build refuses true at engine creation.
#[no_mangle]
pub extern "C" fn wasm_config_wmemcheck_set(config: Option<&mut wasm_config_t>, enable: bool) {
    if let Some(c) = config {
        c.config.set_wmemcheck(enable);
    }
}

/// Extra checks in component adapter modules; default false. This build refuses true at engine creation.
#[no_mangle]
pub extern "C" fn wasm_config_debug_adapter_modules_set(
    config: Option<&mut wasm_config_t>,
    enable: bool,
) {
    if let Some(c) = config {
        c.config.set_debug_adapter_modules(enable);
    }
}

/// Use Mach ports instead of signals for traps on macOS; default true. This build always uses signals: an explicit true is refused at engine creation.
#[no_mangle]
pub extern "C" fn wasm_config_macos_use_mach_ports_set(
    config: Option<&mut wasm_config_t>,
    enable: bool,
) {
    if let Some(c) = config {
        c.config.set_macos_use_mach_ports(enable);
    }
}

/// Rely on signal handlers for out-of-bounds and divide traps (false: explicit checks); default true.
#[no_mangle]
pub extern "C" fn wasm_config_signals_based_traps_set(
    config: Option<&mut wasm_config_t>,
    enable: bool,
) {
    if let Some(c) = config {
        c.config.set_signals_based_traps(enable);
    }
}

/// Stack bytes wasm may use before a stack-overflow trap; must be above 0 (checked at engine creation); default 512 KiB.
#[no_mangle]
pub extern "C" fn wasm_config_max_wasm_stack_set(config: Option<&mut wasm_config_t>, size: usize) {
    if let Some(c) = config {
        c.config.set_max_wasm_stack(size);
    }
}

/// Size of async execution stacks, at least max_wasm_stack when async is on; default 2 MiB.
#[no_mangle]
pub extern "C" fn wasm_config_async_stack_size_set(
    config: Option<&mut wasm_config_t>,
    size: usize,
) {
    if let Some(c) = config {
        c.config.set_async_stack_size(size);
    }
}

/// Largest memory reservation treated as static (memories whose maximum fits never move); default 4 GiB (1 GiB on 32-bit hosts).
#[no_mangle]
pub extern "C" fn wasm_config_static_memory_maximum_size_set(
    config: Option<&mut wasm_config_t>,
    size: u64,
) {
    if let Some(c) = config {
        c.config.set_static_memory_maximum_size(size);
    }
}

/// Guard bytes after each memory reservation, letting code skip bounds checks that would hit it; default 2 GiB (64 KiB on 32-bit hosts). Rounded up to whole host pages (1 or 4097 bytes mean 1 or 2 pages of 4 KiB), as guards are made of pages.
#[no_mangle]
pub extern "C" fn wasm_config_memory_guard_size_set(config: Option<&mut wasm_config_t>, size: u64) {
    if let Some(c) = config {
        c.config.set_memory_guard_size(size);
    }
}

/// Extra bytes reserved after a dynamic memory to grow into without moving; default 2 GiB (1 MiB on 32-bit hosts).
#[no_mangle]
pub extern "C" fn wasm_config_dynamic_memory_reserved_for_growth_set(
    config: Option<&mut wasm_config_t>,
    size: u64,
) {
    if let Some(c) = config {
        c.config.set_dynamic_memory_reserved_for_growth(size);
    }
}

/// Initialized-data size up to which a dense copy-on-write image is always made; default 16 MiB.
#[no_mangle]
pub extern "C" fn wasm_config_memory_guaranteed_dense_image_size_set(
    config: Option<&mut wasm_config_t>,
    size: u64,
) {
    if let Some(c) = config {
        c.config.set_memory_guaranteed_dense_image_size(size);
    }
}

// ---------------------------------------------------------------------------
// Pooling allocation limits

/// Instances alive at once across the engine; default 1000.
#[no_mangle]
pub extern "C" fn wasm_pooling_allocation_config_total_core_instances_set(
    pooling: Option<&mut wasm_pooling_allocation_config_t>,
    value: u32,
) {
    if let Some(p) = pooling {
        p.config.total_core_instances = value;
    }
}

/// Linear memories alive at once across the engine; default 1000.
#[no_mangle]
pub extern "C" fn wasm_pooling_allocation_config_total_memories_set(
    pooling: Option<&mut wasm_pooling_allocation_config_t>,
    value: u32,
) {
    if let Some(p) = pooling {
        p.config.total_memories = value;
    }
}

/// Tables alive at once across the engine; default 1000.
#[no_mangle]
pub extern "C" fn wasm_pooling_allocation_config_total_tables_set(
    pooling: Option<&mut wasm_pooling_allocation_config_t>,
    value: u32,
) {
    if let Some(p) = pooling {
        p.config.total_tables = value;
    }
}

/// Async stacks alive at once across the engine; default 1000.
#[no_mangle]
pub extern "C" fn wasm_pooling_allocation_config_total_stacks_set(
    pooling: Option<&mut wasm_pooling_allocation_config_t>,
    value: u32,
) {
    if let Some(p) = pooling {
        p.config.total_stacks = value;
    }
}

/// Memories one module may define; default 1.
#[no_mangle]
pub extern "C" fn wasm_pooling_allocation_config_max_memories_per_module_set(
    pooling: Option<&mut wasm_pooling_allocation_config_t>,
    value: u32,
) {
    if let Some(p) = pooling {
        p.config.max_memories_per_module = value;
    }
}

/// Tables one module may define; default 1.
#[no_mangle]
pub extern "C" fn wasm_pooling_allocation_config_max_tables_per_module_set(
    pooling: Option<&mut wasm_pooling_allocation_config_t>,
    value: u32,
) {
    if let Some(p) = pooling {
        p.config.max_tables_per_module = value;
    }
}

/// Elements each pooled table can hold; default 20000.
#[no_mangle]
pub extern "C" fn wasm_pooling_allocation_config_table_elements_set(
    pooling: Option<&mut wasm_pooling_allocation_config_t>,
    value: usize,
) {
    if let Some(p) = pooling {
        p.config.table_elements = value;
    }
}

/// Bytes each pooled memory can grow to (at most static_memory_maximum_size); default 4 GiB (10 MiB on 32-bit hosts).
#[no_mangle]
pub extern "C" fn wasm_pooling_allocation_config_max_memory_size_set(
    pooling: Option<&mut wasm_pooling_allocation_config_t>,
    value: usize,
) {
    if let Some(p) = pooling {
        p.config.max_memory_size = value;
    }
}

/// Bytes of instance state each slot holds; default 1 MiB.
#[no_mangle]
pub extern "C" fn wasm_pooling_allocation_config_max_core_instance_size_set(
    pooling: Option<&mut wasm_pooling_allocation_config_t>,
    value: usize,
) {
    if let Some(p) = pooling {
        p.config.max_core_instance_size = value;
    }
}

/// Freed slots kept warm for reuse; default 100.
#[no_mangle]
pub extern "C" fn wasm_pooling_allocation_config_max_unused_warm_slots_set(
    pooling: Option<&mut wasm_pooling_allocation_config_t>,
    value: u32,
) {
    if let Some(p) = pooling {
        p.config.max_unused_warm_slots = value;
    }
}

/// Bytes of a freed memory kept resident instead of decommitted; default 0.
#[no_mangle]
pub extern "C" fn wasm_pooling_allocation_config_linear_memory_keep_resident_set(
    pooling: Option<&mut wasm_pooling_allocation_config_t>,
    value: usize,
) {
    if let Some(p) = pooling {
        p.config.linear_memory_keep_resident = value;
    }
}

/// Bytes of a freed table kept resident instead of decommitted; default 0.
#[no_mangle]
pub extern "C" fn wasm_pooling_allocation_config_table_keep_resident_set(
    pooling: Option<&mut wasm_pooling_allocation_config_t>,
    value: usize,
) {
    if let Some(p) = pooling {
        p.config.table_keep_resident = value;
    }
}

/// Bytes of a freed async stack kept resident; default 0.
#[no_mangle]
pub extern "C" fn wasm_pooling_allocation_config_async_stack_keep_resident_set(
    pooling: Option<&mut wasm_pooling_allocation_config_t>,
    value: usize,
) {
    if let Some(p) = pooling {
        p.config.async_stack_keep_resident = value;
    }
}

/// Freed regions collected before one batched decommit (at least 1); default 1.
#[no_mangle]
pub extern "C" fn wasm_pooling_allocation_config_decommit_batch_size_set(
    pooling: Option<&mut wasm_pooling_allocation_config_t>,
    value: usize,
) {
    if let Some(p) = pooling {
        p.config.decommit_batch_size = value;
    }
}

/// Zero async stacks before reuse; default false.
#[no_mangle]
pub extern "C" fn wasm_pooling_allocation_config_async_stack_zeroing_set(
    pooling: Option<&mut wasm_pooling_allocation_config_t>,
    value: bool,
) {
    if let Some(p) = pooling {
        p.config.async_stack_zeroing = value;
    }
}
