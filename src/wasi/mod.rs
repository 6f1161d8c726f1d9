//! WASI preview 1 (`wasi_snapshot_preview1`): the system interface that
//! wasi-libc, Rust's `wasm32-wasip1`, TinyGo, Go, Zig and AssemblyScript
//! programs import, sandboxed through capabilities.
//!
//! The embedder describes what a program may see in a [`WasiConfig`]
//! (arguments, environment, standard streams, preopened directories and
//! sockets), attaches it to a store with [`set_store_wasi`], and defines the
//! host functions in a linker with [`add_to_linker`]. Each function finds
//! the store's context through `Caller::store` and the caller's exported
//! `memory`. `proc_exit(n)` ends the call with [`Trap::exit`]`(n)`.
//!
//! Behaviour follows the witx specification and, where it leaves room, the
//! reference runtime (Wasmtime: its preview 1 adapter and the older
//! wasi-common): the same error codes, the same rights and permission
//! checks, the same sandbox (paths resolved by cap-std beneath preopened
//! directory handles). The module map:
//!
//! - `config`: what the embedder describes; `ctx`: the context built from
//!   it; `table`: descriptors and their rights; `stdio`: standard streams.
//! - `funcs`: every function's signature and the dispatcher; `fd`,
//!   `path`, `readdir`, `poll`, `sock`, `proc`: the function bodies.
//! - `memory`: checked guest-memory access; `errno`, `types`: the ABI's
//!   numbers and layouts; `sys`: the host system calls used directly.
//!
//! [`Trap::exit`]: crate::runtime::Trap::exit

mod config;
mod ctx;
mod errno;
mod fd;
mod funcs;
mod memory;
mod path;
mod poll;
mod proc;
mod readdir;
mod sock;
mod stdio;
mod sys;
mod table;
mod types;

pub use config::{
    DirPerms, FilePerms, InputSource, OutputCallback, OutputSink, PreopenDir, PreopenSocket,
    WasiConfig,
};

use crate::environ::error::Error;
use crate::linker::Linker;
use crate::runtime::{Store, Trap};

/// The import module name every preview 1 function is defined under.
pub const MODULE_NAME: &str = "wasi_snapshot_preview1";

/// Defines every `wasi_snapshot_preview1` function in `linker`, as host
/// functions usable in every store of the linker's engine. A store needs a
/// context ([`set_store_wasi`]) before its wasm calls them; without one
/// they trap with a message saying so.
pub fn add_to_linker(linker: &mut Linker) -> Result<(), Error> {
    funcs::define_all(linker)
}

/// Builds the context `config` describes (opening its files, directories
/// and sockets now, so a missing one is an error here and not a failed
/// call later) and makes it `store`'s WASI context, replacing any earlier
/// one.
pub fn set_store_wasi(store: &Store, config: WasiConfig) -> Result<(), Error> {
    let ctx = ctx::WasiCtx::build(config)?;
    // The replaced context (if any) closes its descriptors here, before
    // this returns; the store's own lock is released by then.
    drop(store.set_extension(ctx));
    Ok(())
}

/// The exit status of a trap raised by `proc_exit`; `None` for others.
pub fn exit_status(trap: &Trap) -> Option<i32> {
    trap.exit_status()
}
