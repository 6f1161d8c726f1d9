//! `wasm_wat2wasm`: the text format, for hosts that embed modules as text.

use anyhow::anyhow;

use crate::capi::ext::error::{null_argument, wasm_error_t};
use crate::capi::panic_guard;
use crate::capi::vec::wasm_byte_vec_t;

/// Translates the WebAssembly text `text` (`len` bytes of UTF-8, not
/// necessarily NUL-terminated) into a binary module written into `out`
/// (owned by the caller, freed with `wasm_byte_vec_delete`). Returns NULL on
/// success, else an error (owned by the caller) giving the line and column
/// of the problem; `out` is then left untouched.
#[no_mangle]
pub extern "C" fn wasm_wat2wasm(
    text: *const std::os::raw::c_char,
    len: usize,
    out: Option<&mut wasm_byte_vec_t>,
) -> Option<Box<wasm_error_t>> {
    let Some(out) = out else {
        return null_argument("wasm_wat2wasm", "out");
    };
    let bytes = if len == 0 {
        &[][..]
    } else if text.is_null() {
        return Some(wasm_error_t::boxed(anyhow!(
            "wasm_wat2wasm: text is NULL but len is {len}"
        )));
    } else {
        // SAFETY: the C caller passes `len` readable bytes at `text`.
        unsafe { std::slice::from_raw_parts(text.cast::<u8>(), len) }
    };
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            return Some(wasm_error_t::boxed(anyhow!(
                "wasm_wat2wasm: the text is not UTF-8 (at byte {})",
                e.valid_up_to()
            )))
        }
    };
    panic_guard::or_error("wasm_wat2wasm", || match wat::parse_str(text) {
        Ok(wasm) => {
            *out = wasm_byte_vec_t::from_vec(wasm);
            None
        }
        Err(e) => Some(wasm_error_t::boxed(anyhow!("wasm_wat2wasm: {e}"))),
    })
}
