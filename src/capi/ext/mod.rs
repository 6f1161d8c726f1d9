//! Extensions beyond the standard wasm.h, declared in `wasm-runtime.h`.

pub mod config;
pub mod engine;
pub mod error;
pub mod instance;
pub mod module;
pub mod objects;
pub mod store;
pub mod trap;
pub mod wat;
