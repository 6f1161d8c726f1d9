//! `wasm_error_t`: why an extension call failed.

use crate::capi::vec::{wasm_byte_vec_t, wasm_name_t};

/// An error returned by an extension function; owned by the caller, who
/// frees it with `wasm_error_delete`.
pub struct wasm_error_t {
    pub(crate) error: anyhow::Error,
}

impl wasm_error_t {
    /// Boxes an error for handing to C.
    pub fn boxed(error: anyhow::Error) -> Box<wasm_error_t> {
        Box::new(wasm_error_t { error })
    }
}

/// The error an extension `function` returns for its NULL argument `what`.
pub(crate) fn null_argument(function: &str, what: &str) -> Option<Box<wasm_error_t>> {
    Some(wasm_error_t::boxed(anyhow::anyhow!(
        "{function}: {what} is NULL"
    )))
}

/// Converts a result into the C convention: on success hands the value to
/// `ok` and returns NULL, else returns the error prefixed with `function`.
pub(crate) fn report<T>(
    function: &str,
    result: anyhow::Result<T>,
    ok: impl FnOnce(T),
) -> Option<Box<wasm_error_t>> {
    match result {
        Ok(value) => {
            ok(value);
            None
        }
        Err(e) => Some(wasm_error_t::boxed(e.context(function.to_string()))),
    }
}

/// Converts a Rust result into the C convention: NULL on success.
pub fn into_c_error(result: anyhow::Result<()>) -> Option<Box<wasm_error_t>> {
    result.err().map(wasm_error_t::boxed)
}

/// Creates an error carrying `message` (copied; NULL gives a generic text),
/// for host callbacks that must report failure; owned by the caller.
///
/// # Safety
/// `message` must be NULL or point at a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn wasm_error_new(message: *const std::os::raw::c_char) -> Box<wasm_error_t> {
    let text = if message.is_null() {
        "unknown error (wasm_error_new was given NULL)".to_string()
    } else {
        // SAFETY: the caller passes a NUL-terminated string.
        unsafe { std::ffi::CStr::from_ptr(message) }
            .to_string_lossy()
            .into_owned()
    };
    wasm_error_t::boxed(anyhow::Error::msg(text))
}

/// Writes the error's full message (with its causes) into `out`, which the
/// caller owns and frees with `wasm_byte_vec_delete`. Not NUL-terminated.
#[no_mangle]
pub extern "C" fn wasm_error_message(error: Option<&wasm_error_t>, out: Option<&mut wasm_name_t>) {
    let Some(out) = out else { return };
    let text = match error {
        Some(e) => format!("{:#}", e.error),
        None => "(null wasm_error_t)".to_string(),
    };
    *out = wasm_byte_vec_t::from_vec(text.into_bytes());
}

/// Frees an error returned by an extension function; NULL is ignored.
#[no_mangle]
pub extern "C" fn wasm_error_delete(error: Option<Box<wasm_error_t>>) {
    drop(error);
}
