//! What the program may reach outside itself: preopened directories, with
//! the reference's permission bits, and the network (preopened listening
//! sockets).

use std::ffi::c_char;
use std::fs::File;
use std::net::TcpListener;

use crate::capi::wasi::config::wasi_config_t;
use crate::capi::wasi::{c_bytes, c_path};
use crate::wasi::{DirPerms, FilePerms, PreopenSocket};

/// What the program may do with a preopened directory itself: a bitmask of
/// `WASMTIME_WASI_DIR_PERMS_*` values (the reference's names).
pub type wasi_dir_perms = usize;

/// List, stat and open the directory's entries.
pub const WASMTIME_WASI_DIR_PERMS_READ: wasi_dir_perms = 1;
/// Create, rename and remove entries.
pub const WASMTIME_WASI_DIR_PERMS_WRITE: wasi_dir_perms = 2;

/// What the program may do with the files in a preopened directory: a
/// bitmask of `WASMTIME_WASI_FILE_PERMS_*` values (the reference's names).
pub type wasi_file_perms = usize;

/// Read files.
pub const WASMTIME_WASI_FILE_PERMS_READ: wasi_file_perms = 1;
/// Write, truncate and resize files and set their times.
pub const WASMTIME_WASI_FILE_PERMS_WRITE: wasi_file_perms = 2;

/// A permission mask as the runtime's type; `None` if it has a bit no
/// constant names (a typo must not grant or drop rights silently).
fn perms(mask: usize, all: usize) -> Option<u32> {
    (mask & !all == 0).then_some(mask as u32)
}

/// Lets the program see the host directory `host_path` as `guest_path`
/// (UTF-8), with `dir_perms` on the directory tree and `file_perms` on its
/// files; preopens get descriptors 3, 4, ... in the order they are made.
/// Returns false, changing nothing, when an argument is NULL, `guest_path`
/// is not UTF-8, a mask has unknown bits, or `host_path` cannot be opened
/// as a directory now.
///
/// # Safety
/// `host_path` and `guest_path` must be NULL or point at NUL-terminated
/// strings.
#[no_mangle]
pub unsafe extern "C" fn wasi_config_preopen_dir(
    config: Option<&mut wasi_config_t>,
    host_path: *const c_char,
    guest_path: *const c_char,
    dir_perms: wasi_dir_perms,
    file_perms: wasi_file_perms,
) -> bool {
    // SAFETY: forwarded from the caller.
    let host = unsafe { c_path(host_path) };
    // SAFETY: forwarded from the caller.
    let guest = unsafe { c_bytes(guest_path) }.and_then(|g| std::str::from_utf8(g).ok());
    let (Some(config), Some(host), Some(guest)) = (config, host, guest) else {
        return false;
    };
    let dir_all = WASMTIME_WASI_DIR_PERMS_READ | WASMTIME_WASI_DIR_PERMS_WRITE;
    let file_all = WASMTIME_WASI_FILE_PERMS_READ | WASMTIME_WASI_FILE_PERMS_WRITE;
    let (Some(dir_perms), Some(file_perms)) =
        (perms(dir_perms, dir_all), perms(file_perms, file_all))
    else {
        return false;
    };
    let is_dir = File::open(&host)
        .and_then(|dir| dir.metadata())
        .is_ok_and(|m| m.is_dir());
    if !is_dir {
        return false;
    }
    config
        .config
        .preopen_dir(host, guest, DirPerms(dir_perms), FilePerms(file_perms));
    true
}

/// Lets the program use the host network, which in WASI preview 1 means
/// its preopened sockets: without this, `sock_accept`, `sock_recv`,
/// `sock_send` and `sock_shutdown` answer `ENOTCAPABLE` (the sockets still
/// hold their descriptors). NULL is ignored.
#[no_mangle]
pub extern "C" fn wasi_config_inherit_network(config: Option<&mut wasi_config_t>) {
    if let Some(config) = config {
        config.config.inherit_network = true;
    }
}

/// Binds and listens on the TCP address `host_port` (`"127.0.0.1:8080"`)
/// now, and gives it to the program as descriptor `fd_num`, to accept
/// connections on once `wasi_config_inherit_network` allows the network.
/// Returns false, changing nothing, when an argument is NULL,
/// `fd_num` is a standard stream's (0-2) or another preopened socket's,
/// or the address cannot be bound.
///
/// # Safety
/// `host_port` must be NULL or point at a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn wasi_config_preopen_socket(
    config: Option<&mut wasi_config_t>,
    fd_num: u32,
    host_port: *const c_char,
) -> bool {
    // SAFETY: forwarded from the caller.
    let address = unsafe { c_bytes(host_port) }.and_then(|a| std::str::from_utf8(a).ok());
    let (Some(config), Some(address)) = (config, address) else {
        return false;
    };
    let taken = config.config.sockets.iter().any(|s| match s {
        PreopenSocket::Listen { fd, .. } | PreopenSocket::Listener { fd, .. } => *fd == fd_num,
    });
    if fd_num < 3 || taken {
        return false;
    }
    let Ok(listener) = TcpListener::bind(address) else {
        return false;
    };
    config.config.sockets.push(PreopenSocket::Listener {
        fd: fd_num,
        listener,
    });
    true
}
