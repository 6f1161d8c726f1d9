//! Extensions beyond the standard wasm.h, declared in `wasm-runtime.h`.

pub mod error;
pub mod config;
pub mod engine;
pub mod instance;
pub mod module;
pub mod wat;
pub mod objects;
pub mod store;
pub mod trap;
