//! The options whose C setter takes embedder callbacks: linear-memory and
//! stack creators, the incremental-compilation cache store and the host
//! feature detector, each adapted to the core's hook trait.
//!
//! Callback structs hand the library an `env` pointer together with an
//! optional `finalizer`: from the setter call on, the library owns `env`
//! and calls `finalizer(env)` exactly once when the last engine or config
//! using it is gone (at once if the setter refuses it). Callbacks may be
//! called from any thread, concurrently: they must be thread-safe.

use super::null_config;
use crate::capi::engine::wasm_config_t;
use crate::capi::ext::error::wasm_error_t;
use crate::capi::vec::wasm_byte_vec_t;
use crate::config::{
    CacheStore, HostFeatureDetector, LinearMemory, MemoryCreator, StackCreator, StackMemory,
};
use anyhow::{anyhow, Result};
use std::ffi::{c_char, c_void};
use std::sync::Arc;

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

// <option-doc with_host_memory>
/// Allocates the linear memories made on demand (host-created ones, and
/// instance memories without pooling) with the embedder's memory creator.
/// Default: the runtime's own allocator. Memories allocated on demand come from
/// the embedder's creator: host-created ones (`wasm_memory_new`) and, with
/// on-demand allocation, instance memories; pooled instance memories never do
/// (as in the reference); a dynamic memory of the creator is asked for no guard
/// and checked explicitly. Compiled code depends on it: serialized modules
/// record it.
///
// </option-doc>
/// `creator` is copied, and its `env` is owned by the library from now on; NULL
/// restores the built-in allocator. Callbacks must be thread-safe.
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
        config.clear_invalid_value("with_host_memory");
        config.config.set_with_host_memory(None);
        return;
    };
    match creator.new_memory {
        Some(new_memory) => {
            config.clear_invalid_value("with_host_memory");
            config
                .config
                .set_with_host_memory(Some(Arc::new(CMemoryCreator { new_memory, env })));
        }
        None => {
            drop(env);
            config.record_invalid_value(
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

// <option-doc with_host_stack>
/// Allocates async stacks with the embedder's stack creator. Default: the
/// runtime's own allocator. Every async call's stack comes from the creator
/// (`wasm_config_host_stack_creator_set`), asked for `async_stack_size` bytes,
/// and is released when the call ends; a stack smaller than that, or a failing
/// creator, fails the call with an error naming the option; needs async support
/// (refused at engine creation otherwise).
///
// </option-doc>
/// `creator` is copied, and its `env` is owned by the library from now on; NULL
/// restores the default. Engine creation refuses a creator without
/// `async_support`.
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
        config.clear_invalid_value("with_host_stack");
        config.config.set_with_host_stack(None);
        return;
    };
    match creator.new_stack {
        Some(new_stack) => {
            config.clear_invalid_value("with_host_stack");
            config
                .config
                .set_with_host_stack(Some(Arc::new(CStackCreator { new_stack, env })));
        }
        None => {
            drop(env);
            config
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

// <option-doc enable_incremental_compilation>
/// Enables Cranelift's incremental compilation cache, backed by the embedder's
/// store. Default: off. Cranelift's incremental cache: each function's compiled
/// code is stored under a hash of its IR and the target, so recompiling an
/// unchanged function is a lookup.
///
// </option-doc>
/// `store` is copied, and its `env` is owned by the library from now on: the
/// finalizer runs once no configuration or engine uses it. `get` and
/// `insert` may be called from several compiling threads at once. Returns
/// NULL on success, or an error for a NULL `config`, `store`, `get` or
/// `insert` (the store's `env` is then finalized at once).
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

// <option-doc detect_host_feature>
/// Learns the host's CPU features from the embedder's probe when building the
/// host ISA. Default: the standard library's detection. Consulted when the
/// engine builds the host ISA. Compiled code depends on it: serialized modules
/// record it.
///
// </option-doc>
/// `detector` is copied, and its `env` is owned by the library from now on;
/// NULL restores the built-in detection. Code is generated for the features it
/// reports, so wrong answers make code the CPU cannot run. Callbacks must be
/// thread-safe.
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
        config.clear_invalid_value("detect_host_feature");
        // SAFETY: `None` restores the standard library's detection.
        unsafe { config.config.set_detect_host_feature(None) };
        return;
    };
    match detector.detect {
        Some(detect) => {
            config.clear_invalid_value("detect_host_feature");
            let detector = Arc::new(CHostFeatureDetector { detect, env });
            // SAFETY: the C contract (see the doc comment) makes the
            // embedder responsible for correct answers, as the Rust API's
            // safety contract does.
            unsafe { config.config.set_detect_host_feature(Some(detector)) };
        }
        None => {
            drop(env);
            config.record_invalid_value(
                "detect_host_feature",
                "the detector's detect is NULL".into(),
            );
        }
    }
}

/// The reference's name for `wasm_config_with_host_stack_set` (its
/// `wasmtime_config_host_stack_creator_set`), so code ports by renaming.
#[no_mangle]
pub extern "C" fn wasm_config_host_stack_creator_set(
    config: Option<&mut wasm_config_t>,
    creator: Option<&wasm_stack_creator_t>,
) {
    wasm_config_with_host_stack_set(config, creator)
}
