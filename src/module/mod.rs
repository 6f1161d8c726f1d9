//! Parsing and validation of modules, and the compiled artifact.

mod cache_writer;
mod compiled;
pub mod info;
pub mod parse;
mod serialize;
pub mod types;

pub(crate) use cache_writer::PendingWrites;
pub use compiled::Module;
pub use info::ModuleInfo;
pub use types::{
    EntityType, ExternKind, ExternType, FuncType, GlobalType, MemoryType, TableType, ValType,
};
