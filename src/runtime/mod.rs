//! Stores, instances, memories, tables, globals, host functions and traps;
//! executable memory for compiled code and the registry of it that the
//! signal handler reads.
//!
//! The runtime never names the compiler: compiled code arrives as
//! `environ::CompiledFunction`s, which it lays out and publishes
//! (`CodeMemory`), and the trampolines of a signature come from the
//! engine's `environ::TrampolineCompiler`.

mod async_call;
mod code_memory;
mod const_eval;
mod coredump;
pub(crate) mod debug;
mod engine_state;
pub(crate) mod profiling;
mod registry;
pub(crate) mod type_registry;

#[cfg(target_arch = "aarch64")]
mod entry_aarch64;
#[cfg(target_arch = "x86_64")]
mod entry_x86_64;
mod exn;
mod extern_ref;
mod externals;
pub mod fiber;
mod func;
pub(crate) mod gc;
mod global;
mod init_plan;
mod instance;
mod libcalls;
mod memory;
mod memory_image;
mod memory_slots;
mod mmap;
mod parking;
mod pool;
pub(crate) mod scratch;
mod shared_memory;
mod store;
mod table;
mod tag;
mod trap;
mod traphandlers;
mod unwind;
mod val;
mod vm;
mod wmemcheck;

pub(crate) use async_call::{call_async_host, AsyncStacks};
pub use async_call::{AsyncHostCallback, CallFuture, HostContinuation};
pub(crate) use code_memory::{is_image_relative, resolve_image_relative, CodeMemory};
pub(crate) use debug::ModuleDebug;
pub(crate) use engine_state::{CodeObservers, EngineRuntime};
pub(crate) use init_plan::image_segments;
pub(crate) use memory_image::MemoryImage;
// Not API: the signal handler's view of the published code, reachable
// because tests/compile.rs checks the trap sites and frame positions of
// compiled code through it.
#[doc(hidden)]
pub use registry::{is_wasm_code, lookup_frame, lookup_trap, FrameLocation};

pub use crate::environ::TrapKind;
pub use exn::ExnRef;
pub use extern_ref::{ConvertedAnyRef, ExternRef};
pub use externals::Extern;
pub use func::{Caller, Func, HostCallback, HostCallbackWithCaller};
pub use gc::{AnyKind, AnyRef};
pub use global::Global;
pub use instance::Instance;
pub use memory::Memory;
pub use shared_memory::SharedMemory;
pub use store::{EpochDeadlineCallback, Store, StoreLimits, UpdateDeadline};
pub use table::{Table, MAX_TABLE_ELEMENTS};
pub use tag::Tag;
pub use trap::{FrameInfo, Trap};
pub use val::Val;

#[doc(hidden)]
pub use mmap::mmap_calls_on_this_thread;
pub(crate) use mmap::{host_page_size, round_up_to_page_u64};
pub(crate) use pool::InstancePool;
