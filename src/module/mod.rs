//! Parsing and validation of modules, and the compiled artifact.

pub mod info;
pub mod types;

pub use info::ModuleInfo;
pub use types::{
    EntityType, ExternKind, ExternType, FuncType, GlobalType, MemoryType, TableType, ValType,
};
