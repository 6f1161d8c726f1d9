//! Embedder-provided hooks a `Config` can carry: custom linear-memory and
//! stack allocation, the incremental-compilation cache store, and host CPU
//! feature detection.
//!
//! They are traits so the engine and runtime never see how a hook is
//! implemented; the C API supplies implementations backed by C function
//! pointers (`capi::ext::config`), Rust embedders can pass closures or
//! their own types.

use anyhow::Result;
use std::fmt;

/// Creates the backing storage of linear memories (`with_host_memory`).
///
/// Implementations are shared between threads: every engine and store built
/// from the config may call them concurrently.
pub trait MemoryCreator: Send + Sync {
    /// Allocates a memory of `minimum` bytes that may grow to `maximum`
    /// bytes (`None`: no limit). `reserved_size_in_bytes`, when given, is
    /// the address-space reservation the compiled code relies on (a static
    /// memory never moves); `guard_size_in_bytes` of inaccessible memory
    /// must follow the reservation.
    fn new_memory(
        &self,
        minimum: usize,
        maximum: Option<usize>,
        reserved_size_in_bytes: Option<usize>,
        guard_size_in_bytes: usize,
    ) -> Result<Box<dyn LinearMemory>>;
}

/// One linear memory made by a [`MemoryCreator`].
pub trait LinearMemory: Send + Sync {
    /// The accessible size in bytes.
    fn byte_size(&self) -> usize;
    /// Bytes the memory can grow to without moving.
    fn byte_capacity(&self) -> usize;
    /// Grows the accessible size to `new_size` bytes (never shrinks).
    fn grow_to(&mut self, new_size: usize) -> Result<()>;
    /// The base address of the memory.
    fn as_ptr(&self) -> *mut u8;
}

/// Creates the native stacks async calls run on (`with_host_stack`).
pub trait StackCreator: Send + Sync {
    /// Allocates a stack of at least `size` usable bytes, zeroed if `zeroed`.
    fn new_stack(&self, size: usize, zeroed: bool) -> Result<Box<dyn StackMemory>>;
}

/// One stack made by a [`StackCreator`].
pub trait StackMemory: Send + Sync {
    /// The highest address of the stack (stacks grow down).
    fn top(&self) -> *mut u8;
    /// The usable address range, lowest first.
    fn range(&self) -> std::ops::Range<usize>;
}

/// Backing storage for Cranelift's incremental compilation cache
/// (`enable_incremental_compilation`).
pub trait CacheStore: Send + Sync {
    /// The value stored under `key`, if any.
    fn get(&self, key: &[u8]) -> Option<Vec<u8>>;
    /// Stores `value` under `key`; false if it could not be stored.
    fn insert(&self, key: &[u8], value: Vec<u8>) -> bool;
}

/// Answers whether the host CPU has an ISA feature (`detect_host_feature`).
///
/// Names are those of Rust's `is_x86_feature_detected!` /
/// `is_aarch64_feature_detected!` (`"sse4.2"`, `"avx2"`, `"lse"`, …).
/// `Some(true)`: present; `Some(false)`: known but absent; `None`: unknown.
pub trait HostFeatureDetector: Send + Sync {
    /// Whether the host has `feature`.
    fn detect(&self, feature: &str) -> Option<bool>;
}

impl<F> HostFeatureDetector for F
where
    F: Fn(&str) -> Option<bool> + Send + Sync,
{
    fn detect(&self, feature: &str) -> Option<bool> {
        self(feature)
    }
}

macro_rules! opaque_debug {
    ($($trait_:ident),*) => {$(
        impl fmt::Debug for dyn $trait_ {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!("<embedder ", stringify!($trait_), ">"))
            }
        }
    )*};
}

opaque_debug!(MemoryCreator, StackCreator, CacheStore, HostFeatureDetector);
