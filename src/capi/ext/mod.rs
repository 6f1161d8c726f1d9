//! Extensions beyond the standard wasm.h, declared in `wasm-runtime.h`.

pub mod async_call;
pub mod config;
pub mod engine;
pub mod error;
pub mod func;
pub mod gc;
pub mod instance;
pub mod linker;
pub mod memory;
pub mod module;
pub mod objects;
pub mod store;
pub mod tag;
pub mod trap;
pub mod valtype;
pub mod wat;

/// A name argument given as `(const char* name, size_t len)`: `None` when
/// it is NULL (with a non-zero length) or not UTF-8.
///
/// # Safety
/// `name` must be NULL or point at `len` readable bytes.
pub(crate) unsafe fn name_arg<'a>(name: *const std::ffi::c_char, len: usize) -> Option<&'a str> {
    if len == 0 {
        return Some("");
    }
    if name.is_null() {
        return None;
    }
    // SAFETY: forwarded from the caller.
    let bytes = unsafe { std::slice::from_raw_parts(name.cast::<u8>(), len) };
    std::str::from_utf8(bytes).ok()
}
