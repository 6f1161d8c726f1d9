//! `wasm_*_vec_t`: the C API's owned arrays.

use std::os::raw::c_char;

/// One byte of a `wasm_byte_vec_t` (`char` in wasm.h).
pub type wasm_byte_t = c_char;

/// An owned array of bytes: `size` elements at `data` (NULL when empty).
#[repr(C)]
pub struct wasm_byte_vec_t {
    pub size: usize,
    pub data: *mut wasm_byte_t,
}

/// A name: a byte vector, not necessarily NUL-terminated.
pub type wasm_name_t = wasm_byte_vec_t;

/// A message: a byte vector that includes its terminating NUL.
pub type wasm_message_t = wasm_name_t;

impl wasm_byte_vec_t {
    /// Hands `bytes` to C; freed later by `wasm_byte_vec_delete`.
    pub fn from_vec(bytes: Vec<u8>) -> Self {
        let mut boxed = bytes.into_boxed_slice();
        let size = boxed.len();
        let data = if size == 0 {
            std::ptr::null_mut()
        } else {
            boxed.as_mut_ptr() as *mut wasm_byte_t
        };
        std::mem::forget(boxed);
        wasm_byte_vec_t { size, data }
    }

    /// The bytes as a slice; empty for a NULL `data`.
    ///
    /// # Safety
    /// `data` must point at `size` readable bytes or be NULL.
    pub unsafe fn as_slice(&self) -> &[u8] {
        if self.data.is_null() || self.size == 0 {
            &[]
        } else {
            // SAFETY: the caller guarantees `data` points at `size` bytes.
            unsafe { std::slice::from_raw_parts(self.data as *const u8, self.size) }
        }
    }

    /// Takes the bytes back from C, leaving the vector empty.
    ///
    /// # Safety
    /// The vector must have been made by `from_vec` (or the equivalent C
    /// API constructors) and not freed since.
    pub unsafe fn take(&mut self) -> Vec<u8> {
        if self.data.is_null() {
            self.size = 0;
            return Vec::new();
        }
        // SAFETY: made by `from_vec` from a boxed slice of exactly `size`.
        let boxed = unsafe {
            Box::from_raw(std::ptr::slice_from_raw_parts_mut(self.data as *mut u8, self.size))
        };
        self.data = std::ptr::null_mut();
        self.size = 0;
        boxed.into_vec()
    }
}
