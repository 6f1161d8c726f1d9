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

pub mod builtins;
pub mod compiled_code;
pub mod error;
pub mod features;
pub mod info;
pub mod memory_plan;
pub mod parse;
pub mod trap_kind;
pub mod tunables;
pub mod types;
pub mod val_raw;
pub mod vmoffsets;

pub use builtins::{BuiltinFunction, BuiltinType};
pub use compiled_code::{CompiledFunction, TrampolineCompiler};
pub use info::ModuleInfo;
pub use memory_plan::{MemoryPlan, MemorySettings, MemoryStyle};
pub use trap_kind::TrapKind;
pub use tunables::Tunables;
pub use types::{
    EntityType, ExternKind, ExternType, FuncType, GlobalType, MemoryType, TableType, ValType,
};
pub use val_raw::{ArrayToWasmTrampoline, HostArrayCall, ValRaw};
pub use vmoffsets::VMOffsets;
