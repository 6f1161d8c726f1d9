//! Stores, instances, memories, tables, globals, host functions and traps.

pub mod builtins;
pub mod memory_plan;
mod engine_state;
pub mod trap_kind;
pub mod val_raw;
pub mod vmoffsets;

pub use builtins::{BuiltinFunction, BuiltinType};
pub use engine_state::EngineRuntime;
pub use memory_plan::{MemoryPlan, MemorySettings, MemoryStyle};
pub use trap_kind::TrapKind;
pub use val_raw::{ArrayToWasmTrampoline, HostArrayCall, ValRaw};
pub use vmoffsets::VMOffsets;
