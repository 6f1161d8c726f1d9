//! The options whose C setter takes a string: the target triple, raw
//! Cranelift settings and the Cranelift IR folder. A NULL or non-UTF-8
//! string given to an infallible setter is remembered and refused when the
//! engine is built.

use super::{c_str, null_config};
use crate::capi::engine::wasm_config_t;
use crate::capi::ext::error::wasm_error_t;
use crate::capi::panic_guard;
use std::ffi::c_char;
use std::path::Path;

// <option-doc target>
/// Compiles for this target triple instead of the host. Default: the host.
/// X86-64 and aarch64 from either host: a cross engine compiles and serializes
/// modules for its target (precompilation); instantiating them, or loading the
/// blob on another target, is refused naming both triples. Compiled code
/// depends on it: serialized modules record it.
///
// </option-doc>
/// `target` is a triple such as "x86_64-unknown-linux-gnu". Returns NULL on
/// success, or an error for a malformed triple, an architecture this build
/// cannot compile for, or a NULL `config`.
///
/// # Safety
/// `target` must be NULL or point at a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn wasm_config_target_set(
    config: Option<&mut wasm_config_t>,
    target: *const c_char,
) -> Option<Box<wasm_error_t>> {
    let Some(c) = config else {
        return null_config("wasm_config_target_set");
    };
    panic_guard::or_error("wasm_config_target_set", || {
        // SAFETY: the caller passes NULL or a NUL-terminated string.
        let result = unsafe { c_str(target, "target: the triple") }
            .and_then(|triple| c.config.set_target(triple).map(drop));
        result.err().map(wasm_error_t::boxed)
    })
}

// <option-doc cranelift_flag_enable>
/// Enables a boolean Cranelift setting or preset when the engine is built.
/// Default: none. Applied at engine creation; unknown flags refused. Compiled
/// code depends on it: serialized modules record it.
///
// </option-doc>
/// `flag` (copied) names the setting or preset; unknown names are refused at
/// engine creation. Unsafe in spirit: wrong settings can break generated code.
///
/// # Safety
/// `flag` must be NULL or point at a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn wasm_config_cranelift_flag_enable_set(
    config: Option<&mut wasm_config_t>,
    flag: *const c_char,
) {
    let Some(c) = config else { return };
    // SAFETY: the caller passes NULL or a NUL-terminated string.
    match unsafe { c_str(flag, "the flag name") } {
        // SAFETY: the flag is checked by name and value when the engine is
        // built; its soundness is the caller's responsibility, as documented.
        Ok(flag) => unsafe {
            c.config.cranelift_flag_enable(flag);
        },
        Err(e) => c.record_invalid_value("cranelift_flag_enable", e.to_string()),
    }
}

// <option-doc cranelift_flag_set>
/// Sets a Cranelift setting to a value when the engine is built. Default: none.
/// Applied at engine creation; unknown flags or values refused. Compiled code
/// depends on it: serialized modules record it.
///
// </option-doc>
/// `name` and `value` are copied; unknown names and bad values are refused at
/// engine creation. Unsafe in spirit: wrong settings can break generated code.
///
/// # Safety
/// `name` and `value` must be NULL or point at a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn wasm_config_cranelift_flag_set_set(
    config: Option<&mut wasm_config_t>,
    name: *const c_char,
    value: *const c_char,
) {
    let Some(c) = config else { return };
    // SAFETY: the caller passes NULL or NUL-terminated strings.
    let strings = unsafe {
        c_str(name, "the setting name").and_then(|n| Ok((n, c_str(value, "the value")?)))
    };
    match strings {
        // SAFETY: as for `wasm_config_cranelift_flag_enable_set`.
        Ok((name, value)) => unsafe {
            c.config.cranelift_flag_set(name, value);
        },
        Err(e) => c.record_invalid_value("cranelift_flag_set", e.to_string()),
    }
}

// <option-doc emit_clif>
/// Writes each compiled function's Cranelift IR into an existing folder.
/// Default: off. Directory must exist.
///
// </option-doc>
/// `path` (copied) names the folder, which is checked at engine creation; NULL
/// turns the output off.
///
/// # Safety
/// `path` must be NULL or point at a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn wasm_config_emit_clif_set(
    config: Option<&mut wasm_config_t>,
    path: *const c_char,
) {
    let Some(c) = config else { return };
    if path.is_null() {
        c.clear_invalid_value("emit_clif");
        c.config.set_emit_clif(None);
        return;
    }
    // SAFETY: non-NULL, and the caller passes a NUL-terminated string.
    match unsafe { c_str(path, "the path") } {
        Ok(path) => {
            c.clear_invalid_value("emit_clif");
            c.config.set_emit_clif(Some(Path::new(path)));
        }
        Err(e) => c.record_invalid_value("emit_clif", e.to_string()),
    }
}
