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

pub mod capi;
pub mod compiler;
pub mod config;
pub mod engine;
pub mod environ;
pub mod module;
pub mod runtime;
