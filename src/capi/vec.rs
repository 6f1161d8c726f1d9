//! `wasm_*_vec_t`: the C API's owned arrays.
//!
//! Every vector is `{ size_t size; T* data; }` (`data` NULL when empty). An
//! owned vector owns its elements: `wasm_*_vec_delete` releases them, and
//! `wasm_*_vec_copy` deep-copies them. Vectors of objects hold nullable
//! owning pointers (`Option<Box<T>>`, `T*` in C); a vector of values owns
//! the references inside its `wasm_val_t`s.
//!
//! The storage of a vector made here is a boxed slice of exactly `size`
//! elements, which is what the delete functions give back to the allocator.
//! The C structs have no `Drop` (C writes them through `out` pointers into
//! uninitialised memory, which a `Drop` would read); Rust code that keeps a
//! vector inside an object holds it in an [`OwnedVec`], which frees it.
//!
//! Every exported function is written out (cbindgen does not see items made
//! by macros) and forwards to the generic helpers at the end of this file.
//! NULL vector pointers and NULL elements never crash: a NULL `out` drops
//! what would have been written there, a NULL source reads as empty.

use std::ops::Deref;
use std::os::raw::c_char;
use std::ptr;

use crate::capi::exporttype::wasm_exporttype_t;
use crate::capi::externtype::wasm_externtype_t;
use crate::capi::frame::wasm_frame_t;
use crate::capi::functype::wasm_functype_t;
use crate::capi::globaltype::wasm_globaltype_t;
use crate::capi::importtype::wasm_importtype_t;
use crate::capi::memorytype::wasm_memorytype_t;
use crate::capi::r#extern::wasm_extern_t;
use crate::capi::tabletype::wasm_tabletype_t;
use crate::capi::val::wasm_val_t;
use crate::capi::valtype::wasm_valtype_t;

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
        // `c_char` and `u8` have the same size and alignment; reusing the
        // allocation avoids a copy.
        let mut bytes = std::mem::ManuallyDrop::new(bytes);
        let (data, len, capacity) = (bytes.as_mut_ptr(), bytes.len(), bytes.capacity());
        // SAFETY: the parts come from a live `Vec<u8>` that is never dropped;
        // `wasm_byte_t` is `c_char`, the same size and alignment as `u8`.
        let chars = unsafe { Vec::from_raw_parts(data as *mut wasm_byte_t, len, capacity) };
        <Self as CVec>::from_vec(chars)
    }

    /// The bytes as a slice; empty for a NULL `data`.
    ///
    /// # Safety
    /// `data` must point at `size` readable bytes or be NULL.
    pub unsafe fn as_slice(&self) -> &[u8] {
        // SAFETY: the caller guarantees the vector's memory; `c_char` and
        // `u8` have the same layout.
        unsafe {
            let chars = <Self as CVec>::as_slice(self);
            std::slice::from_raw_parts(chars.as_ptr() as *const u8, chars.len())
        }
    }

    /// Takes the bytes back from C, leaving the vector empty.
    ///
    /// # Safety
    /// The vector must have been made by `from_vec` (or the equivalent C
    /// API constructors) and not freed since.
    pub unsafe fn take(&mut self) -> Vec<u8> {
        // SAFETY: forwarded from the caller.
        let chars = unsafe { <Self as CVec>::take(self) };
        let mut chars = std::mem::ManuallyDrop::new(chars);
        let (data, len, capacity) = (chars.as_mut_ptr(), chars.len(), chars.capacity());
        // SAFETY: the parts come from a live `Vec<c_char>` that is never
        // dropped; `u8` and `c_char` have the same size and alignment.
        unsafe { Vec::from_raw_parts(data as *mut u8, len, capacity) }
    }
}

/// An owned array of owned value types (`wasm_valtype_t*` elements, which
/// may be NULL).
#[repr(C)]
pub struct wasm_valtype_vec_t {
    pub size: usize,
    pub data: *mut Option<Box<wasm_valtype_t>>,
}

/// An owned array of owned function types.
#[repr(C)]
pub struct wasm_functype_vec_t {
    pub size: usize,
    pub data: *mut Option<Box<wasm_functype_t>>,
}

/// An owned array of owned global types.
#[repr(C)]
pub struct wasm_globaltype_vec_t {
    pub size: usize,
    pub data: *mut Option<Box<wasm_globaltype_t>>,
}

/// An owned array of owned table types.
#[repr(C)]
pub struct wasm_tabletype_vec_t {
    pub size: usize,
    pub data: *mut Option<Box<wasm_tabletype_t>>,
}

/// An owned array of owned memory types.
#[repr(C)]
pub struct wasm_memorytype_vec_t {
    pub size: usize,
    pub data: *mut Option<Box<wasm_memorytype_t>>,
}

/// An owned array of owned extern types.
#[repr(C)]
pub struct wasm_externtype_vec_t {
    pub size: usize,
    pub data: *mut Option<Box<wasm_externtype_t>>,
}

/// An owned array of owned import types (what `wasm_module_imports` fills).
#[repr(C)]
pub struct wasm_importtype_vec_t {
    pub size: usize,
    pub data: *mut Option<Box<wasm_importtype_t>>,
}

/// An owned array of owned export types (what `wasm_module_exports` fills).
#[repr(C)]
pub struct wasm_exporttype_vec_t {
    pub size: usize,
    pub data: *mut Option<Box<wasm_exporttype_t>>,
}

/// An owned array of values; each element owns its reference (if any).
#[repr(C)]
pub struct wasm_val_vec_t {
    pub size: usize,
    pub data: *mut wasm_val_t,
}

/// An owned array of owned frames (a trap's backtrace, innermost first).
#[repr(C)]
pub struct wasm_frame_vec_t {
    pub size: usize,
    pub data: *mut Option<Box<wasm_frame_t>>,
}

/// An owned array of owned externs (an instance's imports or exports).
#[repr(C)]
pub struct wasm_extern_vec_t {
    pub size: usize,
    pub data: *mut Option<Box<wasm_extern_t>>,
}

// ---------------------------------------------------------------------------
// Byte vectors

/// Sets `out` to an empty byte vector.
#[no_mangle]
pub extern "C" fn wasm_byte_vec_new_empty(out: Option<&mut wasm_byte_vec_t>) {
    vec_new_empty(out)
}

/// Sets `out` to a new vector of `size` zero bytes, owned by the caller
/// (empty if the memory cannot be allocated).
#[no_mangle]
pub extern "C" fn wasm_byte_vec_new_uninitialized(out: Option<&mut wasm_byte_vec_t>, size: usize) {
    vec_new_uninitialized(out, size)
}

/// Sets `out` to a new vector holding a copy of the `size` bytes at `data`,
/// owned by the caller (empty if `data` is NULL).
///
/// # Safety
/// `data` must point at `size` readable bytes or be NULL.
#[no_mangle]
pub unsafe extern "C" fn wasm_byte_vec_new(
    out: Option<&mut wasm_byte_vec_t>,
    size: usize,
    data: *const wasm_byte_t,
) {
    // SAFETY: forwarded from the caller.
    unsafe { vec_new(out, size, data) }
}

/// Sets `out` to a copy of the bytes of `src`, owned by the caller (empty
/// if `src` is NULL).
///
/// # Safety
/// `src` must be NULL or a valid vector.
#[no_mangle]
pub unsafe extern "C" fn wasm_byte_vec_copy(
    out: Option<&mut wasm_byte_vec_t>,
    src: Option<&wasm_byte_vec_t>,
) {
    // SAFETY: forwarded from the caller.
    unsafe { vec_copy(out, src) }
}

/// Frees the bytes of an owned vector and leaves it empty; NULL is ignored.
///
/// # Safety
/// `vec` must be NULL or a vector made by this library and not freed since.
#[no_mangle]
pub unsafe extern "C" fn wasm_byte_vec_delete(vec: Option<&mut wasm_byte_vec_t>) {
    // SAFETY: forwarded from the caller.
    unsafe { vec_delete(vec) }
}

// ---------------------------------------------------------------------------
// Value type vectors

/// Sets `out` to an empty value type vector.
#[no_mangle]
pub extern "C" fn wasm_valtype_vec_new_empty(out: Option<&mut wasm_valtype_vec_t>) {
    vec_new_empty(out)
}

/// Sets `out` to a new vector of `size` NULL elements, owned by the caller
/// (empty if the memory cannot be allocated).
#[no_mangle]
pub extern "C" fn wasm_valtype_vec_new_uninitialized(
    out: Option<&mut wasm_valtype_vec_t>,
    size: usize,
) {
    vec_new_uninitialized(out, size)
}

/// Sets `out` to a new vector of the `size` value types at `data`, taking
/// ownership of each of them (empty if `data` is NULL).
///
/// # Safety
/// `data` must point at `size` owned value type pointers (each may be NULL)
/// or be NULL.
#[no_mangle]
pub unsafe extern "C" fn wasm_valtype_vec_new(
    out: Option<&mut wasm_valtype_vec_t>,
    size: usize,
    data: *const Option<Box<wasm_valtype_t>>,
) {
    // SAFETY: forwarded from the caller.
    unsafe { vec_new(out, size, data) }
}

/// Sets `out` to a deep copy of `src`, owned by the caller (empty if `src`
/// is NULL; NULL elements stay NULL).
///
/// # Safety
/// `src` must be NULL or a valid vector.
#[no_mangle]
pub unsafe extern "C" fn wasm_valtype_vec_copy(
    out: Option<&mut wasm_valtype_vec_t>,
    src: Option<&wasm_valtype_vec_t>,
) {
    // SAFETY: forwarded from the caller.
    unsafe { vec_copy(out, src) }
}

/// Frees an owned vector and every value type in it, leaving it empty; NULL
/// is ignored.
///
/// # Safety
/// `vec` must be NULL or a vector made by this library and not freed since.
#[no_mangle]
pub unsafe extern "C" fn wasm_valtype_vec_delete(vec: Option<&mut wasm_valtype_vec_t>) {
    // SAFETY: forwarded from the caller.
    unsafe { vec_delete(vec) }
}

// ---------------------------------------------------------------------------
// Function type vectors

/// Sets `out` to an empty function type vector.
#[no_mangle]
pub extern "C" fn wasm_functype_vec_new_empty(out: Option<&mut wasm_functype_vec_t>) {
    vec_new_empty(out)
}

/// Sets `out` to a new vector of `size` NULL elements, owned by the caller
/// (empty if the memory cannot be allocated).
#[no_mangle]
pub extern "C" fn wasm_functype_vec_new_uninitialized(
    out: Option<&mut wasm_functype_vec_t>,
    size: usize,
) {
    vec_new_uninitialized(out, size)
}

/// Sets `out` to a new vector of the `size` function types at `data`,
/// taking ownership of each of them (empty if `data` is NULL).
///
/// # Safety
/// `data` must point at `size` owned function type pointers (each may be
/// NULL) or be NULL.
#[no_mangle]
pub unsafe extern "C" fn wasm_functype_vec_new(
    out: Option<&mut wasm_functype_vec_t>,
    size: usize,
    data: *const Option<Box<wasm_functype_t>>,
) {
    // SAFETY: forwarded from the caller.
    unsafe { vec_new(out, size, data) }
}

/// Sets `out` to a deep copy of `src`, owned by the caller (empty if `src`
/// is NULL; NULL elements stay NULL).
///
/// # Safety
/// `src` must be NULL or a valid vector.
#[no_mangle]
pub unsafe extern "C" fn wasm_functype_vec_copy(
    out: Option<&mut wasm_functype_vec_t>,
    src: Option<&wasm_functype_vec_t>,
) {
    // SAFETY: forwarded from the caller.
    unsafe { vec_copy(out, src) }
}

/// Frees an owned vector and every function type in it, leaving it empty;
/// NULL is ignored.
///
/// # Safety
/// `vec` must be NULL or a vector made by this library and not freed since.
#[no_mangle]
pub unsafe extern "C" fn wasm_functype_vec_delete(vec: Option<&mut wasm_functype_vec_t>) {
    // SAFETY: forwarded from the caller.
    unsafe { vec_delete(vec) }
}

// ---------------------------------------------------------------------------
// Global type vectors

/// Sets `out` to an empty global type vector.
#[no_mangle]
pub extern "C" fn wasm_globaltype_vec_new_empty(out: Option<&mut wasm_globaltype_vec_t>) {
    vec_new_empty(out)
}

/// Sets `out` to a new vector of `size` NULL elements, owned by the caller
/// (empty if the memory cannot be allocated).
#[no_mangle]
pub extern "C" fn wasm_globaltype_vec_new_uninitialized(
    out: Option<&mut wasm_globaltype_vec_t>,
    size: usize,
) {
    vec_new_uninitialized(out, size)
}

/// Sets `out` to a new vector of the `size` global types at `data`, taking
/// ownership of each of them (empty if `data` is NULL).
///
/// # Safety
/// `data` must point at `size` owned global type pointers (each may be
/// NULL) or be NULL.
#[no_mangle]
pub unsafe extern "C" fn wasm_globaltype_vec_new(
    out: Option<&mut wasm_globaltype_vec_t>,
    size: usize,
    data: *const Option<Box<wasm_globaltype_t>>,
) {
    // SAFETY: forwarded from the caller.
    unsafe { vec_new(out, size, data) }
}

/// Sets `out` to a deep copy of `src`, owned by the caller (empty if `src`
/// is NULL; NULL elements stay NULL).
///
/// # Safety
/// `src` must be NULL or a valid vector.
#[no_mangle]
pub unsafe extern "C" fn wasm_globaltype_vec_copy(
    out: Option<&mut wasm_globaltype_vec_t>,
    src: Option<&wasm_globaltype_vec_t>,
) {
    // SAFETY: forwarded from the caller.
    unsafe { vec_copy(out, src) }
}

/// Frees an owned vector and every global type in it, leaving it empty;
/// NULL is ignored.
///
/// # Safety
/// `vec` must be NULL or a vector made by this library and not freed since.
#[no_mangle]
pub unsafe extern "C" fn wasm_globaltype_vec_delete(vec: Option<&mut wasm_globaltype_vec_t>) {
    // SAFETY: forwarded from the caller.
    unsafe { vec_delete(vec) }
}

// ---------------------------------------------------------------------------
// Table type vectors

/// Sets `out` to an empty table type vector.
#[no_mangle]
pub extern "C" fn wasm_tabletype_vec_new_empty(out: Option<&mut wasm_tabletype_vec_t>) {
    vec_new_empty(out)
}

/// Sets `out` to a new vector of `size` NULL elements, owned by the caller
/// (empty if the memory cannot be allocated).
#[no_mangle]
pub extern "C" fn wasm_tabletype_vec_new_uninitialized(
    out: Option<&mut wasm_tabletype_vec_t>,
    size: usize,
) {
    vec_new_uninitialized(out, size)
}

/// Sets `out` to a new vector of the `size` table types at `data`, taking
/// ownership of each of them (empty if `data` is NULL).
///
/// # Safety
/// `data` must point at `size` owned table type pointers (each may be NULL)
/// or be NULL.
#[no_mangle]
pub unsafe extern "C" fn wasm_tabletype_vec_new(
    out: Option<&mut wasm_tabletype_vec_t>,
    size: usize,
    data: *const Option<Box<wasm_tabletype_t>>,
) {
    // SAFETY: forwarded from the caller.
    unsafe { vec_new(out, size, data) }
}

/// Sets `out` to a deep copy of `src`, owned by the caller (empty if `src`
/// is NULL; NULL elements stay NULL).
///
/// # Safety
/// `src` must be NULL or a valid vector.
#[no_mangle]
pub unsafe extern "C" fn wasm_tabletype_vec_copy(
    out: Option<&mut wasm_tabletype_vec_t>,
    src: Option<&wasm_tabletype_vec_t>,
) {
    // SAFETY: forwarded from the caller.
    unsafe { vec_copy(out, src) }
}

/// Frees an owned vector and every table type in it, leaving it empty;
/// NULL is ignored.
///
/// # Safety
/// `vec` must be NULL or a vector made by this library and not freed since.
#[no_mangle]
pub unsafe extern "C" fn wasm_tabletype_vec_delete(vec: Option<&mut wasm_tabletype_vec_t>) {
    // SAFETY: forwarded from the caller.
    unsafe { vec_delete(vec) }
}

// ---------------------------------------------------------------------------
// Memory type vectors

/// Sets `out` to an empty memory type vector.
#[no_mangle]
pub extern "C" fn wasm_memorytype_vec_new_empty(out: Option<&mut wasm_memorytype_vec_t>) {
    vec_new_empty(out)
}

/// Sets `out` to a new vector of `size` NULL elements, owned by the caller
/// (empty if the memory cannot be allocated).
#[no_mangle]
pub extern "C" fn wasm_memorytype_vec_new_uninitialized(
    out: Option<&mut wasm_memorytype_vec_t>,
    size: usize,
) {
    vec_new_uninitialized(out, size)
}

/// Sets `out` to a new vector of the `size` memory types at `data`, taking
/// ownership of each of them (empty if `data` is NULL).
///
/// # Safety
/// `data` must point at `size` owned memory type pointers (each may be
/// NULL) or be NULL.
#[no_mangle]
pub unsafe extern "C" fn wasm_memorytype_vec_new(
    out: Option<&mut wasm_memorytype_vec_t>,
    size: usize,
    data: *const Option<Box<wasm_memorytype_t>>,
) {
    // SAFETY: forwarded from the caller.
    unsafe { vec_new(out, size, data) }
}

/// Sets `out` to a deep copy of `src`, owned by the caller (empty if `src`
/// is NULL; NULL elements stay NULL).
///
/// # Safety
/// `src` must be NULL or a valid vector.
#[no_mangle]
pub unsafe extern "C" fn wasm_memorytype_vec_copy(
    out: Option<&mut wasm_memorytype_vec_t>,
    src: Option<&wasm_memorytype_vec_t>,
) {
    // SAFETY: forwarded from the caller.
    unsafe { vec_copy(out, src) }
}

/// Frees an owned vector and every memory type in it, leaving it empty;
/// NULL is ignored.
///
/// # Safety
/// `vec` must be NULL or a vector made by this library and not freed since.
#[no_mangle]
pub unsafe extern "C" fn wasm_memorytype_vec_delete(vec: Option<&mut wasm_memorytype_vec_t>) {
    // SAFETY: forwarded from the caller.
    unsafe { vec_delete(vec) }
}

// ---------------------------------------------------------------------------
// Extern type vectors

/// Sets `out` to an empty extern type vector.
#[no_mangle]
pub extern "C" fn wasm_externtype_vec_new_empty(out: Option<&mut wasm_externtype_vec_t>) {
    vec_new_empty(out)
}

/// Sets `out` to a new vector of `size` NULL elements, owned by the caller
/// (empty if the memory cannot be allocated).
#[no_mangle]
pub extern "C" fn wasm_externtype_vec_new_uninitialized(
    out: Option<&mut wasm_externtype_vec_t>,
    size: usize,
) {
    vec_new_uninitialized(out, size)
}

/// Sets `out` to a new vector of the `size` extern types at `data`, taking
/// ownership of each of them (empty if `data` is NULL).
///
/// # Safety
/// `data` must point at `size` owned extern type pointers (each may be
/// NULL) or be NULL.
#[no_mangle]
pub unsafe extern "C" fn wasm_externtype_vec_new(
    out: Option<&mut wasm_externtype_vec_t>,
    size: usize,
    data: *const Option<Box<wasm_externtype_t>>,
) {
    // SAFETY: forwarded from the caller.
    unsafe { vec_new(out, size, data) }
}

/// Sets `out` to a deep copy of `src`, owned by the caller (empty if `src`
/// is NULL; NULL elements stay NULL).
///
/// # Safety
/// `src` must be NULL or a valid vector.
#[no_mangle]
pub unsafe extern "C" fn wasm_externtype_vec_copy(
    out: Option<&mut wasm_externtype_vec_t>,
    src: Option<&wasm_externtype_vec_t>,
) {
    // SAFETY: forwarded from the caller.
    unsafe { vec_copy(out, src) }
}

/// Frees an owned vector and every extern type in it, leaving it empty;
/// NULL is ignored.
///
/// # Safety
/// `vec` must be NULL or a vector made by this library and not freed since.
#[no_mangle]
pub unsafe extern "C" fn wasm_externtype_vec_delete(vec: Option<&mut wasm_externtype_vec_t>) {
    // SAFETY: forwarded from the caller.
    unsafe { vec_delete(vec) }
}

// ---------------------------------------------------------------------------
// Import type vectors

/// Sets `out` to an empty import type vector.
#[no_mangle]
pub extern "C" fn wasm_importtype_vec_new_empty(out: Option<&mut wasm_importtype_vec_t>) {
    vec_new_empty(out)
}

/// Sets `out` to a new vector of `size` NULL elements, owned by the caller
/// (empty if the memory cannot be allocated).
#[no_mangle]
pub extern "C" fn wasm_importtype_vec_new_uninitialized(
    out: Option<&mut wasm_importtype_vec_t>,
    size: usize,
) {
    vec_new_uninitialized(out, size)
}

/// Sets `out` to a new vector of the `size` import types at `data`, taking
/// ownership of each of them (empty if `data` is NULL).
///
/// # Safety
/// `data` must point at `size` owned import type pointers (each may be
/// NULL) or be NULL.
#[no_mangle]
pub unsafe extern "C" fn wasm_importtype_vec_new(
    out: Option<&mut wasm_importtype_vec_t>,
    size: usize,
    data: *const Option<Box<wasm_importtype_t>>,
) {
    // SAFETY: forwarded from the caller.
    unsafe { vec_new(out, size, data) }
}

/// Sets `out` to a deep copy of `src`, owned by the caller (empty if `src`
/// is NULL; NULL elements stay NULL).
///
/// # Safety
/// `src` must be NULL or a valid vector.
#[no_mangle]
pub unsafe extern "C" fn wasm_importtype_vec_copy(
    out: Option<&mut wasm_importtype_vec_t>,
    src: Option<&wasm_importtype_vec_t>,
) {
    // SAFETY: forwarded from the caller.
    unsafe { vec_copy(out, src) }
}

/// Frees an owned vector and every import type in it, leaving it empty;
/// NULL is ignored.
///
/// # Safety
/// `vec` must be NULL or a vector made by this library and not freed since.
#[no_mangle]
pub unsafe extern "C" fn wasm_importtype_vec_delete(vec: Option<&mut wasm_importtype_vec_t>) {
    // SAFETY: forwarded from the caller.
    unsafe { vec_delete(vec) }
}

// ---------------------------------------------------------------------------
// Export type vectors

/// Sets `out` to an empty export type vector.
#[no_mangle]
pub extern "C" fn wasm_exporttype_vec_new_empty(out: Option<&mut wasm_exporttype_vec_t>) {
    vec_new_empty(out)
}

/// Sets `out` to a new vector of `size` NULL elements, owned by the caller
/// (empty if the memory cannot be allocated).
#[no_mangle]
pub extern "C" fn wasm_exporttype_vec_new_uninitialized(
    out: Option<&mut wasm_exporttype_vec_t>,
    size: usize,
) {
    vec_new_uninitialized(out, size)
}

/// Sets `out` to a new vector of the `size` export types at `data`, taking
/// ownership of each of them (empty if `data` is NULL).
///
/// # Safety
/// `data` must point at `size` owned export type pointers (each may be
/// NULL) or be NULL.
#[no_mangle]
pub unsafe extern "C" fn wasm_exporttype_vec_new(
    out: Option<&mut wasm_exporttype_vec_t>,
    size: usize,
    data: *const Option<Box<wasm_exporttype_t>>,
) {
    // SAFETY: forwarded from the caller.
    unsafe { vec_new(out, size, data) }
}

/// Sets `out` to a deep copy of `src`, owned by the caller (empty if `src`
/// is NULL; NULL elements stay NULL).
///
/// # Safety
/// `src` must be NULL or a valid vector.
#[no_mangle]
pub unsafe extern "C" fn wasm_exporttype_vec_copy(
    out: Option<&mut wasm_exporttype_vec_t>,
    src: Option<&wasm_exporttype_vec_t>,
) {
    // SAFETY: forwarded from the caller.
    unsafe { vec_copy(out, src) }
}

/// Frees an owned vector and every export type in it, leaving it empty;
/// NULL is ignored.
///
/// # Safety
/// `vec` must be NULL or a vector made by this library and not freed since.
#[no_mangle]
pub unsafe extern "C" fn wasm_exporttype_vec_delete(vec: Option<&mut wasm_exporttype_vec_t>) {
    // SAFETY: forwarded from the caller.
    unsafe { vec_delete(vec) }
}

// ---------------------------------------------------------------------------
// Value vectors

/// Sets `out` to an empty value vector.
#[no_mangle]
pub extern "C" fn wasm_val_vec_new_empty(out: Option<&mut wasm_val_vec_t>) {
    vec_new_empty(out)
}

/// Sets `out` to a new vector of `size` values, each `i32` zero, owned by
/// the caller (empty if the memory cannot be allocated).
#[no_mangle]
pub extern "C" fn wasm_val_vec_new_uninitialized(out: Option<&mut wasm_val_vec_t>, size: usize) {
    vec_new_uninitialized(out, size)
}

/// Sets `out` to a new vector of the `size` values at `data`, taking
/// ownership of them and their references (empty if `data` is NULL).
///
/// # Safety
/// `data` must point at `size` owned, initialised values or be NULL.
#[no_mangle]
pub unsafe extern "C" fn wasm_val_vec_new(
    out: Option<&mut wasm_val_vec_t>,
    size: usize,
    data: *const wasm_val_t,
) {
    // SAFETY: forwarded from the caller.
    unsafe { vec_new(out, size, data) }
}

/// Sets `out` to a copy of `src` owned by the caller, with new handles for
/// the references (empty if `src` is NULL).
///
/// # Safety
/// `src` must be NULL or a valid vector of initialised values.
#[no_mangle]
pub unsafe extern "C" fn wasm_val_vec_copy(
    out: Option<&mut wasm_val_vec_t>,
    src: Option<&wasm_val_vec_t>,
) {
    // SAFETY: forwarded from the caller.
    unsafe { vec_copy(out, src) }
}

/// Frees an owned vector and the references its values hold, leaving it
/// empty; NULL is ignored.
///
/// # Safety
/// `vec` must be NULL or a vector made by this library and not freed since.
#[no_mangle]
pub unsafe extern "C" fn wasm_val_vec_delete(vec: Option<&mut wasm_val_vec_t>) {
    // SAFETY: forwarded from the caller.
    unsafe { vec_delete(vec) }
}

// ---------------------------------------------------------------------------
// Frame vectors

/// Sets `out` to an empty frame vector.
#[no_mangle]
pub extern "C" fn wasm_frame_vec_new_empty(out: Option<&mut wasm_frame_vec_t>) {
    vec_new_empty(out)
}

/// Sets `out` to a new vector of `size` NULL elements, owned by the caller
/// (empty if the memory cannot be allocated).
#[no_mangle]
pub extern "C" fn wasm_frame_vec_new_uninitialized(
    out: Option<&mut wasm_frame_vec_t>,
    size: usize,
) {
    vec_new_uninitialized(out, size)
}

/// Sets `out` to a new vector of the `size` frames at `data`, taking
/// ownership of each of them (empty if `data` is NULL).
///
/// # Safety
/// `data` must point at `size` owned frame pointers (each may be NULL) or
/// be NULL.
#[no_mangle]
pub unsafe extern "C" fn wasm_frame_vec_new(
    out: Option<&mut wasm_frame_vec_t>,
    size: usize,
    data: *const Option<Box<wasm_frame_t>>,
) {
    // SAFETY: forwarded from the caller.
    unsafe { vec_new(out, size, data) }
}

/// Sets `out` to a copy of `src` holding new handles of the same frames,
/// owned by the caller (empty if `src` is NULL; NULL elements stay NULL).
///
/// # Safety
/// `src` must be NULL or a valid vector.
#[no_mangle]
pub unsafe extern "C" fn wasm_frame_vec_copy(
    out: Option<&mut wasm_frame_vec_t>,
    src: Option<&wasm_frame_vec_t>,
) {
    // SAFETY: forwarded from the caller.
    unsafe { vec_copy(out, src) }
}

/// Frees an owned vector and every frame handle in it, leaving it empty;
/// NULL is ignored.
///
/// # Safety
/// `vec` must be NULL or a vector made by this library and not freed since.
#[no_mangle]
pub unsafe extern "C" fn wasm_frame_vec_delete(vec: Option<&mut wasm_frame_vec_t>) {
    // SAFETY: forwarded from the caller.
    unsafe { vec_delete(vec) }
}

// ---------------------------------------------------------------------------
// Extern vectors

/// Sets `out` to an empty extern vector.
#[no_mangle]
pub extern "C" fn wasm_extern_vec_new_empty(out: Option<&mut wasm_extern_vec_t>) {
    vec_new_empty(out)
}

/// Sets `out` to a new vector of `size` NULL elements, owned by the caller
/// (empty if the memory cannot be allocated).
#[no_mangle]
pub extern "C" fn wasm_extern_vec_new_uninitialized(
    out: Option<&mut wasm_extern_vec_t>,
    size: usize,
) {
    vec_new_uninitialized(out, size)
}

/// Sets `out` to a new vector of the `size` externs at `data`, taking
/// ownership of each of them (empty if `data` is NULL).
///
/// # Safety
/// `data` must point at `size` owned extern pointers (each may be NULL) or
/// be NULL.
#[no_mangle]
pub unsafe extern "C" fn wasm_extern_vec_new(
    out: Option<&mut wasm_extern_vec_t>,
    size: usize,
    data: *const Option<Box<wasm_extern_t>>,
) {
    // SAFETY: forwarded from the caller.
    unsafe { vec_new(out, size, data) }
}

/// Sets `out` to a copy of `src` holding new handles of the same externs,
/// owned by the caller (empty if `src` is NULL; NULL elements stay NULL).
///
/// # Safety
/// `src` must be NULL or a valid vector.
#[no_mangle]
pub unsafe extern "C" fn wasm_extern_vec_copy(
    out: Option<&mut wasm_extern_vec_t>,
    src: Option<&wasm_extern_vec_t>,
) {
    // SAFETY: forwarded from the caller.
    unsafe { vec_copy(out, src) }
}

/// Frees an owned vector and every extern handle in it, leaving it empty;
/// NULL is ignored.
///
/// # Safety
/// `vec` must be NULL or a vector made by this library and not freed since.
#[no_mangle]
pub unsafe extern "C" fn wasm_extern_vec_delete(vec: Option<&mut wasm_extern_vec_t>) {
    // SAFETY: forwarded from the caller.
    unsafe { vec_delete(vec) }
}

// ---------------------------------------------------------------------------
// The shared machinery

/// How the elements of one kind of vector are made, copied and released.
pub trait VecElem: Sized {
    /// What `wasm_*_vec_new_uninitialized` fills a new vector with: zero
    /// bytes, NULL pointers, `i32` zeros. Deleting it releases nothing.
    fn blank() -> Self;

    /// The deep copy `wasm_*_vec_copy` stores.
    fn copy_elem(&self) -> Self;

    /// Releases what the element owns (by default, its Rust drop).
    fn release(self) {
        drop(self)
    }
}

impl VecElem for wasm_byte_t {
    fn blank() -> Self {
        0
    }
    fn copy_elem(&self) -> Self {
        *self
    }
}

/// Owned, nullable object pointers: NULL copies as NULL.
impl<T: Clone> VecElem for Option<Box<T>> {
    fn blank() -> Self {
        None
    }
    fn copy_elem(&self) -> Self {
        self.clone()
    }
}

/// The layout every `wasm_*_vec_t` shares, and the Rust-side conversions.
///
/// # Safety
/// An implementor is a `#[repr(C)]` struct `{ size: usize, data: *mut
/// Self::Elem }` whose `raw_parts`/`from_raw_parts` read and write exactly
/// those fields.
pub unsafe trait CVec: Sized {
    /// What the vector holds.
    type Elem: VecElem;

    /// `(size, data)`.
    fn raw_parts(&self) -> (usize, *mut Self::Elem);

    /// A vector struct from its fields, taking no ownership by itself.
    fn from_raw_parts(size: usize, data: *mut Self::Elem) -> Self;

    /// The empty vector `{0, NULL}`.
    fn empty() -> Self {
        Self::from_raw_parts(0, ptr::null_mut())
    }

    /// Hands `items` to C; freed later by the vector's delete function.
    fn from_vec(items: Vec<Self::Elem>) -> Self {
        if items.is_empty() {
            return Self::empty();
        }
        let boxed = Box::into_raw(items.into_boxed_slice());
        let size = boxed.len();
        Self::from_raw_parts(size, boxed as *mut Self::Elem)
    }

    /// The elements; empty for a NULL `data`.
    ///
    /// # Safety
    /// `data` must point at `size` initialised elements or be NULL, and
    /// they must not be changed while the slice is in use.
    unsafe fn as_slice(&self) -> &[Self::Elem] {
        let (size, data) = self.raw_parts();
        if data.is_null() || size == 0 {
            return &[];
        }
        // SAFETY: the caller guarantees `data` points at `size` elements.
        unsafe { std::slice::from_raw_parts(data, size) }
    }

    /// The elements, for writing; empty for a NULL `data`.
    ///
    /// # Safety
    /// As for [`CVec::as_slice`], and nothing else may access the elements
    /// while the slice is in use.
    unsafe fn as_mut_slice(&mut self) -> &mut [Self::Elem] {
        let (size, data) = self.raw_parts();
        if data.is_null() || size == 0 {
            return &mut [];
        }
        // SAFETY: the caller guarantees `data` points at `size` elements
        // that nothing else accesses.
        unsafe { std::slice::from_raw_parts_mut(data, size) }
    }

    /// Takes the elements back from C, leaving the vector empty.
    ///
    /// # Safety
    /// The vector must be empty or have been made by this library (its
    /// storage is a boxed slice of exactly `size` elements) and not been
    /// freed since.
    unsafe fn take(&mut self) -> Vec<Self::Elem> {
        let (size, data) = self.raw_parts();
        *self = Self::empty();
        if data.is_null() || size == 0 {
            return Vec::new();
        }
        // SAFETY: made by `from_vec` from a boxed slice of exactly `size`
        // elements, as the caller guarantees; the vector no longer refers
        // to it.
        let boxed = unsafe { Box::from_raw(ptr::slice_from_raw_parts_mut(data, size)) };
        boxed.into_vec()
    }
}

// SAFETY (all impls below): each struct is `#[repr(C)] { size: usize, data:
// *mut Elem }` and the methods read and write exactly those fields.
macro_rules! impl_c_vec {
    ($($vec:ty => $elem:ty),* $(,)?) => {$(
        unsafe impl CVec for $vec {
            type Elem = $elem;
            fn raw_parts(&self) -> (usize, *mut $elem) {
                (self.size, self.data)
            }
            fn from_raw_parts(size: usize, data: *mut $elem) -> Self {
                Self { size, data }
            }
        }
    )*};
}

impl_c_vec! {
    wasm_byte_vec_t => wasm_byte_t,
    wasm_valtype_vec_t => Option<Box<wasm_valtype_t>>,
    wasm_functype_vec_t => Option<Box<wasm_functype_t>>,
    wasm_globaltype_vec_t => Option<Box<wasm_globaltype_t>>,
    wasm_tabletype_vec_t => Option<Box<wasm_tabletype_t>>,
    wasm_memorytype_vec_t => Option<Box<wasm_memorytype_t>>,
    wasm_externtype_vec_t => Option<Box<wasm_externtype_t>>,
    wasm_importtype_vec_t => Option<Box<wasm_importtype_t>>,
    wasm_exporttype_vec_t => Option<Box<wasm_exporttype_t>>,
    wasm_val_vec_t => wasm_val_t,
    wasm_frame_vec_t => Option<Box<wasm_frame_t>>,
    wasm_extern_vec_t => Option<Box<wasm_extern_t>>,
}

/// A vector that Rust code owns, for objects that hand out borrowed
/// `const wasm_*_vec_t*` views (a function type's parameters, an import's
/// names). Freed, elements included, when dropped.
pub struct OwnedVec<V: CVec>(V);

impl<V: CVec> OwnedVec<V> {
    /// Takes ownership of `items`.
    pub fn new(items: Vec<V::Elem>) -> Self {
        OwnedVec(V::from_vec(items))
    }

    /// Takes ownership of a vector C handed over, leaving `vec` empty.
    ///
    /// # Safety
    /// As for [`CVec::take`].
    pub unsafe fn take_from(vec: &mut V) -> Self {
        // SAFETY: forwarded from the caller.
        OwnedVec::new(unsafe { vec.take() })
    }

    /// The elements.
    pub fn as_slice(&self) -> &[V::Elem] {
        // SAFETY: the vector was made by `from_vec` and is only reachable
        // through `&self`.
        unsafe { self.0.as_slice() }
    }
}

impl<V: CVec> Deref for OwnedVec<V> {
    type Target = V;
    fn deref(&self) -> &V {
        &self.0
    }
}

impl<V: CVec> Clone for OwnedVec<V> {
    fn clone(&self) -> Self {
        OwnedVec::new(self.as_slice().iter().map(VecElem::copy_elem).collect())
    }
}

impl<V: CVec> Drop for OwnedVec<V> {
    fn drop(&mut self) {
        // SAFETY: the vector was made by `from_vec` and is freed only here.
        release_all(unsafe { self.0.take() });
    }
}

// SAFETY: an `OwnedVec` uniquely owns its storage and elements, exactly like
// a `Vec<V::Elem>`, so it may move between or be shared by threads whenever
// the elements may.
unsafe impl<V: CVec> Send for OwnedVec<V> where V::Elem: Send {}
// SAFETY: as above; `&OwnedVec` only gives shared access to the elements.
unsafe impl<V: CVec> Sync for OwnedVec<V> where V::Elem: Sync {}

fn release_all<E: VecElem>(items: Vec<E>) {
    for item in items {
        item.release();
    }
}

/// Allocates room for `size` elements, or `None` if that is impossible.
fn try_vec<E>(size: usize) -> Option<Vec<E>> {
    let mut items = Vec::new();
    items.try_reserve_exact(size).ok()?;
    Some(items)
}

/// Stores `vec` in `out`, or releases it when `out` is NULL.
fn store<V: CVec>(out: Option<&mut V>, vec: V) {
    match out {
        // `*out` may be uninitialised C memory; `V` has no drop glue, so the
        // assignment does not read it.
        Some(out) => *out = vec,
        None => {
            let mut vec = vec;
            // SAFETY: just made by `from_vec`.
            release_all(unsafe { vec.take() });
        }
    }
}

/// `wasm_*_vec_new_empty`.
pub(crate) fn vec_new_empty<V: CVec>(out: Option<&mut V>) {
    store(out, V::empty())
}

/// `wasm_*_vec_new_uninitialized`: `size` blank elements.
pub(crate) fn vec_new_uninitialized<V: CVec>(out: Option<&mut V>, size: usize) {
    let items = match try_vec(size) {
        Some(mut items) => {
            items.resize_with(size, V::Elem::blank);
            items
        }
        None => Vec::new(),
    };
    store(out, V::from_vec(items))
}

/// `wasm_*_vec_new`: moves the `size` elements at `data` into a new vector.
///
/// # Safety
/// `data` must be NULL or point at `size` initialised elements whose
/// ownership passes to the vector (for `Copy` elements: readable ones).
pub(crate) unsafe fn vec_new<V: CVec>(out: Option<&mut V>, size: usize, data: *const V::Elem) {
    if data.is_null() || size == 0 {
        return store(out, V::empty());
    }
    let read = |i: usize| {
        // SAFETY: `i < size` and the caller guarantees `size` elements at
        // `data`, each read (moved) exactly once.
        unsafe { ptr::read(data.add(i)) }
    };
    match try_vec(size) {
        Some(mut items) => {
            items.extend((0..size).map(read));
            store(out, V::from_vec(items))
        }
        None => {
            // Ownership of the elements was passed in: release them rather
            // than leak them.
            (0..size).map(read).for_each(VecElem::release);
            store(out, V::empty())
        }
    }
}

/// `wasm_*_vec_copy`: a deep copy of `src`.
///
/// # Safety
/// `src` must be NULL or a valid vector.
pub(crate) unsafe fn vec_copy<V: CVec>(out: Option<&mut V>, src: Option<&V>) {
    // SAFETY: the caller guarantees `src` is a valid vector.
    let items = src.map(|src| unsafe { src.as_slice() }).unwrap_or(&[]);
    let copy = match try_vec(items.len()) {
        Some(mut copy) => {
            copy.extend(items.iter().map(VecElem::copy_elem));
            copy
        }
        None => Vec::new(),
    };
    store(out, V::from_vec(copy))
}

/// `wasm_*_vec_delete`: releases the elements and the storage.
///
/// # Safety
/// `vec` must be NULL or a vector made by this library and not freed since.
pub(crate) unsafe fn vec_delete<V: CVec>(vec: Option<&mut V>) {
    if let Some(vec) = vec {
        // SAFETY: forwarded from the caller.
        release_all(unsafe { vec.take() });
    }
}
