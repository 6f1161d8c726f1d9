//! wasm-runtime: a WebAssembly runtime that compiles modules to native code
//! with Cranelift and exposes the standard wasm.h C API plus extensions.
//!
//! The Rust API (`Engine`, `Store`, `Module`, `Instance`, …) is the heart;
//! `capi` is a thin `extern "C"` skin over it.

#![deny(
    unsafe_op_in_unsafe_fn,
    clippy::undocumented_unsafe_blocks,
    missing_docs
)]

//! The public Rust API is `engine`, `module`, `linker`, `runtime` (stores, instances
//! and their objects), `config`, `environ::error` and `capi`. Everything
//! else is internal; the few internals the integration tests in `tests/`
//! reach into (they are separate crates, so they see only `pub` items) are
//! `#[doc(hidden)]`, each with the reason it is reachable: they are not
//! part of the API and may change without notice.

pub mod capi;
mod compiler;
pub mod config;
pub mod engine;
pub mod environ;
pub mod linker;
pub mod module;
pub mod runtime;
pub mod wasi;
