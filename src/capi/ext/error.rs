//! `wasm_error_t`: why an extension call failed, as text and as a kind.

use crate::capi::vec::{wasm_byte_vec_t, wasm_name_t};
use crate::environ::error::{Error, ErrorKind};

/// What kind of failure a `wasm_error_t` reports (`wasm_error_kind`).
pub type wasm_error_kind_t = u8;
/// Anything without a kind of its own: a NULL argument, resources, the
/// operating system, a corrupt serialized module, a host callback's error.
pub const WASM_ERROR_KIND_OTHER: wasm_error_kind_t = 0;
/// The module binary is malformed or invalid (`wasm_error_offset` says where).
pub const WASM_ERROR_KIND_INVALID: wasm_error_kind_t = 1;
/// The module uses a proposal this build or configuration does not support.
pub const WASM_ERROR_KIND_UNSUPPORTED: wasm_error_kind_t = 2;
/// An implementation or configured limit was exceeded.
pub const WASM_ERROR_KIND_IMPL_LIMIT: wasm_error_kind_t = 3;
/// Instantiation could not link an import.
pub const WASM_ERROR_KIND_LINK: wasm_error_kind_t = 4;
/// The configuration (an option's value) was refused.
pub const WASM_ERROR_KIND_CONFIG: wasm_error_kind_t = 5;
/// Instantiation trapped (`wasm_instance_new_checked` hands such a trap out
/// as a `wasm_trap_t` instead).
pub const WASM_ERROR_KIND_TRAP: wasm_error_kind_t = 6;

/// An error returned by an extension function; owned by the caller, who
/// frees it with `wasm_error_delete`.
pub struct wasm_error_t {
    pub(crate) error: anyhow::Error,
}

impl wasm_error_t {
    /// Boxes an error for handing to C.
    pub fn boxed(error: impl Into<anyhow::Error>) -> Box<wasm_error_t> {
        Box::new(wasm_error_t {
            error: error.into(),
        })
    }

    /// The library's typed error inside, under any context added on the
    /// way out; `None` for errors that never had a kind.
    fn typed(&self) -> Option<&Error> {
        self.error.downcast_ref::<Error>()
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
pub(crate) fn report<T, E: Into<anyhow::Error>>(
    function: &str,
    result: Result<T, E>,
    ok: impl FnOnce(T),
) -> Option<Box<wasm_error_t>> {
    match result {
        Ok(value) => {
            ok(value);
            None
        }
        Err(e) => Some(wasm_error_t::boxed(e.into().context(function.to_string()))),
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

/// What kind of failure `error` reports: one of the `WASM_ERROR_KIND_*`
/// values; `WASM_ERROR_KIND_OTHER` for NULL. The error stays owned by the
/// caller.
#[no_mangle]
pub extern "C" fn wasm_error_kind(error: Option<&wasm_error_t>) -> wasm_error_kind_t {
    match error.and_then(wasm_error_t::typed).map(Error::kind) {
        Some(ErrorKind::Invalid { .. }) => WASM_ERROR_KIND_INVALID,
        Some(ErrorKind::Unsupported { .. }) => WASM_ERROR_KIND_UNSUPPORTED,
        Some(ErrorKind::ImplLimit { .. }) => WASM_ERROR_KIND_IMPL_LIMIT,
        Some(ErrorKind::Link { .. }) => WASM_ERROR_KIND_LINK,
        Some(ErrorKind::Config { .. }) => WASM_ERROR_KIND_CONFIG,
        Some(ErrorKind::Trap) => WASM_ERROR_KIND_TRAP,
        Some(ErrorKind::Other) | None => WASM_ERROR_KIND_OTHER,
    }
}

/// The byte offset in the module binary that `error` points at: returns
/// true and stores it in `*out` for invalid or unsupported modules whose
/// offset is known; otherwise returns false and leaves `*out` untouched
/// (also when `error` or `out` is NULL). The error stays owned by the
/// caller.
#[no_mangle]
pub extern "C" fn wasm_error_offset(error: Option<&wasm_error_t>, out: Option<&mut usize>) -> bool {
    let (Some(offset), Some(out)) = (
        error.and_then(wasm_error_t::typed).and_then(Error::offset),
        out,
    ) else {
        return false;
    };
    *out = offset;
    true
}
