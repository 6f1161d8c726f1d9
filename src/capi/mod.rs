//! The `extern "C"` skin: one file per wasm.h area, conversion only.
//!
//! Files directly in this folder implement the standard wasm.h API and end
//! up in `include/wasm.h`; everything under `ext/` is our extension API and
//! ends up in `include/wasm-runtime.h`, and everything under `wasi/` (WASI,
//! with the reference's `wasi_config_*` names) in `include/wasi.h`. The
//! header generator (build.rs) relies on that split, so keep it.

#![allow(non_camel_case_types)]

pub mod engine;
pub mod exporttype;
pub mod ext;
pub mod r#extern;
pub mod externtype;
pub mod foreign;
pub mod frame;
pub mod func;
pub mod functype;
pub mod global;
pub mod globaltype;
pub mod importtype;
pub mod instance;
pub mod limits;
pub mod memory;
pub mod memorytype;
pub mod module;
mod panic_guard;
pub mod r#ref;
pub mod store;
pub mod table;
pub mod tabletype;
pub mod trap;
pub mod val;
pub mod valtype;
pub mod values;
pub mod vec;
pub mod wasi;
