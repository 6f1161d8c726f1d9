//! The `extern "C"` skin: one file per wasm.h area, conversion only.
//!
//! Files directly in this folder implement the standard wasm.h API and end
//! up in `include/wasm.h`; everything under `ext/` is our extension API and
//! ends up in `include/wasm-runtime.h`. The header generator (build.rs)
//! relies on that split, so keep it.

#![allow(non_camel_case_types)]

pub mod engine;
pub mod ext;
pub mod vec;
pub mod r#extern;
pub mod frame;
pub mod r#ref;
pub mod exporttype;
pub mod externtype;
pub mod functype;
pub mod globaltype;
pub mod importtype;
pub mod limits;
pub mod memorytype;
pub mod tabletype;
pub mod valtype;
pub mod val;
pub mod foreign;
pub mod func;
pub mod global;
pub mod instance;
pub mod memory;
pub mod module;
pub mod store;
pub mod table;
pub mod trap;
pub mod values;
mod scratch;
