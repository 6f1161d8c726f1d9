//! What the compiler and the runtime share, and nothing else: the module
//! types and `ModuleInfo`, parsing and validation, the `VMContext` layout,
//! the builtins compiled code calls, trap kinds, memory plans, the value
//! slots and trampoline signatures of host↔wasm calls, the `Tunables` both
//! read instead of the configuration, and compiled code as the compiler
//! hands it to the runtime (`CompiledFunction`, `TrampolineCompiler`).
//!
//! This layer sits below both: it imports neither the compiler nor the
//! runtime (nor the engine, `module` or `capi` above them), and not
//! Cranelift, so either side can change without the other.

pub mod error;
// Reached through `config` (`Proposal`, `Support`, `PROPOSALS`).
pub mod features;
pub mod trap_kind;
// Reached through `module` (`FuncType`, `ValType`, ...).
pub mod types;

// Internals below: the compiler and runtime share them inside the crate;
// they are reachable from outside only because `tests/compile.rs` checks
// the `VMContext` layout and the compiled code against them (it builds
// `VMOffsets`, reads `ModuleInfo`'s constant expressions, calls through
// `ValRaw` arrays). Not part of the API.
#[doc(hidden)]
pub mod builtins;
#[doc(hidden)]
pub mod compiled_code;
#[doc(hidden)]
pub mod gc_layout;
#[doc(hidden)]
pub mod info;
#[doc(hidden)]
pub mod memory_plan;
#[doc(hidden)]
pub mod parse;
#[doc(hidden)]
pub mod tunables;
#[doc(hidden)]
pub mod val_raw;
#[doc(hidden)]
pub mod vmoffsets;

pub use trap_kind::TrapKind;
pub use types::{
    CompositeType, EntityType, ExternKind, ExternType, FieldType, FuncType, GlobalType, HeapType,
    Hierarchy, MemoryType, RefType, StorageType, SubType, TableType, TagType, TypeKind, ValType,
};

#[doc(hidden)]
pub use builtins::{BuiltinFunction, BuiltinType};
#[doc(hidden)]
pub use compiled_code::{CompiledFunction, TrampolineCompiler};
#[doc(hidden)]
pub use info::ModuleInfo;
#[doc(hidden)]
pub use memory_plan::{MemoryPlan, MemorySettings, MemoryStyle};
#[doc(hidden)]
pub use tunables::Tunables;
#[doc(hidden)]
pub use val_raw::{ArrayToWasmTrampoline, HostArrayCall, ValRaw};
#[doc(hidden)]
pub use vmoffsets::VMOffsets;
