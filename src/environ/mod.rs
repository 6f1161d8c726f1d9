//! What the compiler and the runtime share, and nothing else: the module
//! types and `ModuleInfo`, parsing and validation.
//!
//! This layer sits below both: it imports neither the compiler nor the
//! runtime (nor the engine, `module` or `capi` above them), so either can
//! change without the other.

pub mod info;
pub mod parse;
pub mod types;

pub use info::ModuleInfo;
pub use types::{
    EntityType, ExternKind, ExternType, FuncType, GlobalType, MemoryType, TableType, ValType,
};
