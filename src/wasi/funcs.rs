//! Every `wasi_snapshot_preview1` function: its core-wasm signature and
//! its body, and the one dispatcher that connects a linker's host function
//! to the store's [`WasiCtx`] and the caller's memory.
//!
//! Per call the dispatcher takes the store's extension lock (a `try_lock`)
//! to reach the context; the memory is looked up only by functions that
//! take pointers. Nothing is allocated on the way.

use super::ctx::WasiCtx;
use super::errno::{Fail, WasiResult};
use super::memory::GuestMemory;
use super::{fd, path, poll, proc, readdir, sock, MODULE_NAME};
use crate::environ::error::Error;
use crate::environ::{FuncType, ValType};
use crate::linker::{Linker, LinkerFunc};
use crate::runtime::{Caller, Extern, Trap, Val};
use std::sync::Arc;

/// The caller's memory, looked up on demand.
pub(crate) struct Mem<'a, 'c> {
    caller: &'a Caller<'c>,
    func: &'static str,
}

impl Mem<'_, '_> {
    /// The calling instance's exported `memory`, or a trap saying why
    /// there is none.
    pub(crate) fn get(&self) -> Result<GuestMemory, Trap> {
        match self.caller.get_export("memory") {
            Some(Extern::Memory(m)) => Ok(GuestMemory::new(&m)),
            Some(other) => Err(Trap::new(format!(
                "WASI function `{MODULE_NAME}::{}` needs the calling module's linear memory, \
                 but its export `memory` is a {}, not a memory",
                self.func,
                other.kind_name()
            ))),
            None if self.caller.instance().is_none() => Err(Trap::new(format!(
                "WASI function `{MODULE_NAME}::{}` takes pointers into the caller's memory \
                 and was called from the host, not from a wasm module exporting `memory`",
                self.func
            ))),
            None => Err(Trap::new(format!(
                "WASI function `{MODULE_NAME}::{}` needs the calling module's linear memory, \
                 exported as `memory`, and the module exports no `memory`",
                self.func
            ))),
        }
    }
}

/// A function body: the context, the caller's memory, the arguments.
type Body = fn(&mut WasiCtx, &Mem<'_, '_>, &[Val]) -> WasiResult;

/// One function: name, core-wasm signature, body.
struct Def {
    name: &'static str,
    params: &'static [ValType],
    /// Empty only for `proc_exit`; otherwise the `errno` result.
    returns_errno: bool,
    body: Body,
}

/// Argument `i` as the `u32` preview 1 means (wasm passes it as `i32`).
#[inline]
pub(crate) fn a32(args: &[Val], i: usize) -> u32 {
    match args[i] {
        Val::I32(v) => v as u32,
        _ => 0,
    }
}

/// Argument `i` as the `u64` preview 1 means.
#[inline]
pub(crate) fn a64(args: &[Val], i: usize) -> u64 {
    match args[i] {
        Val::I64(v) => v as u64,
        _ => 0,
    }
}

const I: ValType = ValType::I32;
const L: ValType = ValType::I64;

macro_rules! defs {
    ($( $name:ident ( $($p:ident),* ) $(-> $r:ident)? => $body:path ;)*) => {
        &[$(Def {
            name: stringify!($name),
            params: &[$($p),*],
            returns_errno: defs!(@ret $($r)?),
            body: $body,
        }),*]
    };
    (@ret) => { false };
    (@ret $r:ident) => { true };
}

/// Every function of the module, in the witx's order.
static DEFS: &[Def] = defs! {
    args_get(I, I) -> I => proc::args_get;
    args_sizes_get(I, I) -> I => proc::args_sizes_get;
    environ_get(I, I) -> I => proc::environ_get;
    environ_sizes_get(I, I) -> I => proc::environ_sizes_get;
    clock_res_get(I, I) -> I => proc::clock_res_get;
    clock_time_get(I, L, I) -> I => proc::clock_time_get;
    fd_advise(I, L, L, I) -> I => fd::fd_advise;
    fd_allocate(I, L, L) -> I => fd::fd_allocate;
    fd_close(I) -> I => fd::fd_close;
    fd_datasync(I) -> I => fd::fd_datasync;
    fd_fdstat_get(I, I) -> I => fd::fd_fdstat_get;
    fd_fdstat_set_flags(I, I) -> I => fd::fd_fdstat_set_flags;
    fd_fdstat_set_rights(I, L, L) -> I => fd::fd_fdstat_set_rights;
    fd_filestat_get(I, I) -> I => fd::fd_filestat_get;
    fd_filestat_set_size(I, L) -> I => fd::fd_filestat_set_size;
    fd_filestat_set_times(I, L, L, I) -> I => fd::fd_filestat_set_times;
    fd_pread(I, I, I, L, I) -> I => fd::fd_pread;
    fd_prestat_get(I, I) -> I => fd::fd_prestat_get;
    fd_prestat_dir_name(I, I, I) -> I => fd::fd_prestat_dir_name;
    fd_pwrite(I, I, I, L, I) -> I => fd::fd_pwrite;
    fd_read(I, I, I, I) -> I => fd::fd_read;
    fd_readdir(I, I, I, L, I) -> I => readdir::fd_readdir;
    fd_renumber(I, I) -> I => fd::fd_renumber;
    fd_seek(I, L, I, I) -> I => fd::fd_seek;
    fd_sync(I) -> I => fd::fd_sync;
    fd_tell(I, I) -> I => fd::fd_tell;
    fd_write(I, I, I, I) -> I => fd::fd_write;
    path_create_directory(I, I, I) -> I => path::path_create_directory;
    path_filestat_get(I, I, I, I, I) -> I => path::path_filestat_get;
    path_filestat_set_times(I, I, I, I, L, L, I) -> I => path::path_filestat_set_times;
    path_link(I, I, I, I, I, I, I) -> I => path::path_link;
    path_open(I, I, I, I, I, L, L, I, I) -> I => path::path_open;
    path_readlink(I, I, I, I, I, I) -> I => path::path_readlink;
    path_remove_directory(I, I, I) -> I => path::path_remove_directory;
    path_rename(I, I, I, I, I, I) -> I => path::path_rename;
    path_symlink(I, I, I, I, I) -> I => path::path_symlink;
    path_unlink_file(I, I, I) -> I => path::path_unlink_file;
    poll_oneoff(I, I, I, I) -> I => poll::poll_oneoff;
    proc_exit(I) => proc::proc_exit;
    proc_raise(I) -> I => proc::proc_raise;
    sched_yield() -> I => proc::sched_yield;
    random_get(I, I) -> I => proc::random_get;
    sock_accept(I, I, I) -> I => sock::sock_accept;
    sock_recv(I, I, I, I, I, I) -> I => sock::sock_recv;
    sock_send(I, I, I, I, I) -> I => sock::sock_send;
    sock_shutdown(I, I) -> I => sock::sock_shutdown;
};

/// Defines every function in `linker`.
pub(crate) fn define_all(linker: &mut Linker) -> Result<(), Error> {
    for def in DEFS {
        let results: &[ValType] = if def.returns_errno { &[I] } else { &[] };
        let ty = FuncType::new(def.params.iter().copied(), results.iter().copied());
        let func: LinkerFunc = Arc::new(
            move |caller: &Caller<'_>, args: &[Val], results: &mut [Val]| {
                dispatch(def, caller, args, results)
            },
        );
        linker.func_new(MODULE_NAME, def.name, ty, func)?;
    }
    Ok(())
}

#[inline]
fn dispatch(def: &Def, caller: &Caller<'_>, args: &[Val], results: &mut [Val]) -> Result<(), Trap> {
    let mem = Mem {
        caller,
        func: def.name,
    };
    let outcome = caller
        .store()
        .with_extension::<WasiCtx, _>(|ctx| (def.body)(ctx, &mem, args));
    let errno = match outcome {
        None => return Err(no_context(def.name)),
        Some(Ok(())) => 0,
        Some(Err(Fail::Errno(e))) => e.0,
        Some(Err(Fail::Trap(t))) => return Err(t),
    };
    if let Some(r) = results.first_mut() {
        *r = Val::I32(i32::from(errno));
    }
    Ok(())
}

#[cold]
fn no_context(name: &str) -> Trap {
    Trap::new(format!(
        "WASI function `{MODULE_NAME}::{name}` was called in a store without a WASI context: \
         give the store one first (`wasm_store_set_wasi` in the C API, `wasi::set_store_wasi` \
         in Rust), and do not call WASI again from inside a WASI call (an output callback)"
    ))
}

#[cfg(test)]
mod tests {
    use super::DEFS;

    #[test]
    fn every_function_of_the_witx_once() {
        let mut names: Vec<_> = DEFS.iter().map(|d| d.name).collect();
        assert_eq!(names.len(), 46, "preview 1 has 46 functions");
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), 46, "a function is defined twice");
        let no_errno: Vec<_> = DEFS
            .iter()
            .filter(|d| !d.returns_errno)
            .map(|d| d.name)
            .collect();
        assert_eq!(no_errno, ["proc_exit"]);
    }
}
