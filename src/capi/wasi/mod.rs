//! WASI preview 1 for C hosts, declared in `include/wasi.h`.
//!
//! The `wasi_config_*` functions have the names, parameter types and
//! results of the reference runtime's `wasi.h`, so a host written against
//! that header compiles unmodified; they only fill in a
//! [`crate::wasi::WasiConfig`]. Attaching it to a store and defining the
//! WASI functions in a linker are ours, with the `wasm_` prefix of every
//! other extension: `wasm_store_set_wasi` and `wasm_linker_define_wasi`.
//!
//! A configuration checks what it can when a function is called (a file
//! that cannot be opened, a directory that is not one, a socket address
//! that cannot be bound), as the reference does, so the host learns of a
//! mistake where it made it; the store's WASI context opens everything
//! again when it is built.
//!
//! The header lists the functions in the order of the modules' names
//! (rustfmt sorts the declarations and cbindgen follows them), which is
//! the order they are used in: the configuration and the program's
//! arguments and environment (`config`), its standard streams (`io`), what
//! it may reach beyond them (`preopen`), and giving it all to a store
//! (`store`).

pub mod config;
pub mod io;
pub mod preopen;
pub mod store;

use std::ffi::{c_char, CStr, OsStr};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

/// A NUL-terminated C string argument as bytes; `None` for NULL.
///
/// # Safety
/// `s` must be NULL or point at a NUL-terminated string that outlives `'a`.
pub(crate) unsafe fn c_bytes<'a>(s: *const c_char) -> Option<&'a [u8]> {
    if s.is_null() {
        return None;
    }
    // SAFETY: non-NULL and NUL-terminated (the caller's contract).
    Some(unsafe { CStr::from_ptr(s) }.to_bytes())
}

/// A host path argument. Host paths are bytes on Unix, so any string but
/// NULL or an empty one names a path.
///
/// # Safety
/// As [`c_bytes`].
pub(crate) unsafe fn c_path(s: *const c_char) -> Option<PathBuf> {
    // SAFETY: forwarded from the caller.
    let bytes = unsafe { c_bytes(s) }?;
    (!bytes.is_empty()).then(|| PathBuf::from(OsStr::from_bytes(bytes)))
}

/// `count` C strings from an array, copied; `None` when the array is NULL
/// (with a non-zero count) or holds a NULL.
///
/// # Safety
/// `array` must be NULL or point at `count` pointers, each NULL or
/// NUL-terminated.
pub(crate) unsafe fn c_string_array(
    count: usize,
    array: *const *const c_char,
) -> Option<Vec<Vec<u8>>> {
    if count == 0 {
        return Some(Vec::new());
    }
    if array.is_null() {
        return None;
    }
    // SAFETY: `count` readable pointers (the caller's contract).
    let pointers = unsafe { std::slice::from_raw_parts(array, count) };
    pointers
        .iter()
        // SAFETY: each NULL or NUL-terminated (the caller's contract).
        .map(|&p| unsafe { c_bytes(p) }.map(<[u8]>::to_vec))
        .collect()
}
