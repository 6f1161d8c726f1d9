//! `Module`: a validated, compiled module, and its serialized form.
//!
//! The types its API speaks in live in `environ` and are re-exported here
//! so Rust embedders find them beside `Module`.

pub(crate) mod artifact;
mod cache_writer;
mod code;
mod compiled;
mod file_map;
mod serialize;
mod source_map;

pub use crate::environ::types::{
    EntityType, ExternKind, ExternType, FuncType, GlobalType, HeapType, MemoryType, RefType,
    TableType, TagType, ValType,
};
// Returned by `Module::info`, an internal reached by the tests.
#[doc(hidden)]
pub use crate::environ::ModuleInfo;
pub(crate) use cache_writer::PendingWrites;
pub use compiled::Module;
pub use source_map::SourceLocation;
pub(crate) use source_map::SourceMap;
