//! Stores, instances, memories, tables, globals, host functions and traps.

pub mod builtins;
mod engine_state;
pub mod memory_plan;
pub mod trap_kind;
pub mod val_raw;
pub mod vmoffsets;

#[cfg(target_arch = "aarch64")]
mod entry_aarch64;
#[cfg(target_arch = "x86_64")]
mod entry_x86_64;
mod extern_ref;
mod externals;
mod func;
mod global;
mod init_plan;
mod instance;
mod libcalls;
mod memory;
mod memory_image;
mod memory_slots;
mod mmap;
mod pool;
mod store;
mod table;
mod trap;
mod traphandlers;
mod val;
mod vm;

pub use builtins::{BuiltinFunction, BuiltinType};
pub use engine_state::EngineRuntime;
pub use memory_plan::{MemoryPlan, MemorySettings, MemoryStyle};
pub use trap_kind::TrapKind;
pub use val_raw::{ArrayToWasmTrampoline, HostArrayCall, ValRaw};
pub use vmoffsets::VMOffsets;

pub use extern_ref::ExternRef;
pub use externals::Extern;
pub use func::{Func, HostCallback};
pub use global::Global;
pub use instance::Instance;
pub(crate) use memory::memory_settings;
pub use memory::Memory;
pub use store::Store;
pub use table::{Table, MAX_TABLE_ELEMENTS};
pub use trap::{FrameInfo, Trap};
pub use val::Val;
