//! The module-cache options: load a cache config file (a given one or the
//! default) or switch the cache off.

use super::{c_str, null_config};
use crate::capi::engine::wasm_config_t;
use crate::capi::ext::error::wasm_error_t;
use crate::capi::panic_guard;
use std::ffi::c_char;

// <option-doc cache_config_load>
/// Enables the on-disk module cache as a cache config file says. Default: no
/// cache. File parsed and folder checked at once, but the folder is created by
/// the first stored module; entries are written by a background thread and are
/// complete when the engine is deleted or the process exits.
///
// </option-doc>
/// `path` names a TOML file with a `[cache]` table (`enabled`, `directory`,
/// ...). Returns NULL on success or an error naming the file, line and key.
///
/// # Safety
/// `path` must be NULL or point at a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn wasm_config_cache_config_load_set(
    config: Option<&mut wasm_config_t>,
    path: *const c_char,
) -> Option<Box<wasm_error_t>> {
    let Some(c) = config else {
        return null_config("wasm_config_cache_config_load_set");
    };
    panic_guard::or_error("wasm_config_cache_config_load_set", || {
        // SAFETY: the caller passes NULL or a NUL-terminated string.
        let result = unsafe { c_str(path, "cache_config_load: the path") }
            .and_then(|path| c.config.cache_config_load(path).map(drop));
        result.err().map(wasm_error_t::boxed)
    })
}

// <option-doc disable_cache>
/// Disables the on-disk module cache. Default: no cache. The cache is off.
///
// </option-doc>
/// Takes no value.
#[no_mangle]
pub extern "C" fn wasm_config_disable_cache_set(config: Option<&mut wasm_config_t>) {
    if let Some(c) = config {
        c.config.disable_cache();
    }
}

// <option-doc cache_config_load_default>
/// Enables the on-disk module cache as the default cache config file says.
/// Default: no cache. `$XDG_CONFIG_HOME/wasm-runtime/config.toml`, else
/// `~/.config/…`; a missing file means a cache in
/// `$XDG_CACHE_HOME/wasm-runtime`, else `~/.cache/…`; nothing is created
/// before the first stored module, so a following `disable_cache` leaves no
/// folder.
///
// </option-doc>
/// The file is $XDG_CONFIG_HOME/wasm-runtime/config.toml, else
/// ~/.config/wasm-runtime/config.toml; a missing file means an enabled cache
/// under $XDG_CACHE_HOME/wasm-runtime or ~/.cache/wasm-runtime. Returns NULL
/// on success or an error.
#[no_mangle]
pub extern "C" fn wasm_config_cache_config_load_default_set(
    config: Option<&mut wasm_config_t>,
) -> Option<Box<wasm_error_t>> {
    let Some(c) = config else {
        return null_config("wasm_config_cache_config_load_default_set");
    };
    panic_guard::or_error("wasm_config_cache_config_load_default_set", || {
        c.config
            .cache_config_load_default()
            .err()
            .map(wasm_error_t::boxed)
    })
}
