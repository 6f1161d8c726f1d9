//! `wasi_config_t`: what a WASI program may see, made and filled by the
//! host before it hands the configuration to a store; and the program's
//! arguments and environment.

use std::ffi::c_char;

use crate::capi::wasi::c_string_array;
use crate::wasi::WasiConfig;

/// A WASI configuration: arguments, environment, standard streams,
/// preopened directories and sockets. Starts empty (no arguments, no
/// environment, empty stdin, discarded output, no files, no network).
/// Owned by the caller until `wasm_store_set_wasi` consumes it; freed with
/// `wasi_config_delete` otherwise.
pub struct wasi_config_t {
    pub(crate) config: WasiConfig,
}

/// Returns a new, empty configuration, owned by the caller.
#[no_mangle]
pub extern "C" fn wasi_config_new() -> Box<wasi_config_t> {
    Box::new(wasi_config_t {
        config: WasiConfig::new(),
    })
}

/// Frees a configuration that no store consumed (running the finalizers
/// of its custom output callbacks); NULL is ignored.
#[no_mangle]
pub extern "C" fn wasi_config_delete(config: Option<Box<wasi_config_t>>) {
    drop(config);
}

/// Sets the program's arguments (program name first) to copies of the
/// `argc` strings at `argv`, replacing earlier ones. Arguments are bytes in
/// WASI preview 1, so any string is accepted. Returns false, changing
/// nothing, when `config` is NULL or `argv` is NULL or holds a NULL.
///
/// # Safety
/// `argv` must be NULL or point at `argc` pointers, each NULL or
/// NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn wasi_config_set_argv(
    config: Option<&mut wasi_config_t>,
    argc: usize,
    argv: *mut *const c_char,
) -> bool {
    let Some(config) = config else { return false };
    // SAFETY: forwarded from the caller.
    let Some(args) = (unsafe { c_string_array(argc, argv) }) else {
        return false;
    };
    config.config.set_argv(args);
    true
}

/// Sets the program's arguments to this process's own (as the C runtime
/// received them), replacing earlier ones. NULL is ignored.
#[no_mangle]
pub extern "C" fn wasi_config_inherit_argv(config: Option<&mut wasi_config_t>) {
    if let Some(config) = config {
        config.config.inherit_argv();
    }
}

/// Sets the program's environment to copies of the `envc` pairs
/// `names[i]=values[i]`, replacing the earlier environment. Returns false,
/// changing nothing, when `config` is NULL, an array is NULL or holds a
/// NULL, or a name is empty or contains `=` (the program could not tell
/// name and value apart).
///
/// # Safety
/// `names` and `values` must each be NULL or point at `envc` pointers, each
/// NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn wasi_config_set_env(
    config: Option<&mut wasi_config_t>,
    envc: usize,
    names: *mut *const c_char,
    values: *mut *const c_char,
) -> bool {
    let Some(config) = config else { return false };
    // SAFETY: forwarded from the caller.
    let names = unsafe { c_string_array(envc, names) };
    // SAFETY: forwarded from the caller.
    let values = unsafe { c_string_array(envc, values) };
    let (Some(names), Some(values)) = (names, values) else {
        return false;
    };
    if names.iter().any(|n| n.is_empty() || n.contains(&b'=')) {
        return false;
    }
    config.config.set_env(names.into_iter().zip(values));
    true
}

/// Sets the program's environment to a copy of this process's, as it is
/// now, replacing the earlier environment. NULL is ignored.
#[no_mangle]
pub extern "C" fn wasi_config_inherit_env(config: Option<&mut wasi_config_t>) {
    if let Some(config) = config {
        config.config.inherit_env();
    }
}
