//! Module creation that says why a binary was rejected.

use crate::capi::ext::error::{null_argument, report, wasm_error_t};
use crate::capi::module::wasm_module_t;
use crate::capi::panic_guard;
use crate::capi::store::wasm_store_t;
use crate::capi::vec::wasm_byte_vec_t;

/// Validates and compiles `binary` for the engine of `store` like
/// `wasm_module_new`, storing the module (owned by the caller) in `*out`.
/// Returns NULL on success, else an error (owned by the caller) saying what
/// is wrong and at which byte offset; `*out` is then left untouched.
///
/// # Safety
/// Pointer arguments must be NULL or valid, as wasm.h requires.
#[no_mangle]
pub unsafe extern "C" fn wasm_module_new_checked(
    store: *mut wasm_store_t,
    binary: Option<&wasm_byte_vec_t>,
    out: Option<&mut *mut wasm_module_t>,
) -> Option<Box<wasm_error_t>> {
    // SAFETY: the C caller passes NULL or a live store (wasm.h contract);
    // it is only borrowed shared, as objects of it may be used meanwhile.
    let store = unsafe { store.as_ref() };
    let fail = |what: &str| null_argument("wasm_module_new_checked", what);
    let Some(store) = store else {
        return fail("store");
    };
    let Some(binary) = binary else {
        return fail("binary");
    };
    let Some(out) = out else { return fail("out") };
    panic_guard::or_error("wasm_module_new_checked", || {
        // SAFETY: the C caller passes a valid byte vector.
        match wasm_module_t::compile(store, unsafe { binary.as_slice() }) {
            Ok(module) => {
                // A raw-pointer store: the caller's slot may be uninitialised,
                // so nothing is read or dropped from it.
                *out = Box::into_raw(module);
                None
            }
            Err(e) => Some(wasm_error_t::boxed(e)),
        }
    })
}

/// Loads a module serialized by `wasm_module_serialize` like
/// `wasm_module_deserialize`, storing it (owned by the caller) in `*out`.
/// Returns NULL on success, else an error (owned by the caller) saying why
/// the bytes were refused (not a serialized module, another version stamp,
/// other code-generation settings); `*out` is then left untouched.
///
/// # Safety
/// Pointer arguments must be NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn wasm_module_deserialize_checked(
    store: *mut wasm_store_t,
    bytes: Option<&wasm_byte_vec_t>,
    out: Option<&mut *mut wasm_module_t>,
) -> Option<Box<wasm_error_t>> {
    const F: &str = "wasm_module_deserialize_checked";
    let fail = |what: &str| null_argument(F, what);
    // SAFETY: NULL or a live store (the caller's contract), borrowed shared.
    let Some(store) = (unsafe { store.as_ref() }) else {
        return fail("store");
    };
    let Some(bytes) = bytes else {
        return fail("bytes");
    };
    let Some(out) = out else { return fail("out") };
    panic_guard::or_error(F, || {
        // SAFETY: the C caller passes a valid byte vector.
        let loaded = wasm_module_t::load(store, unsafe { bytes.as_slice() });
        // The caller's slot may be uninitialised: nothing is read from it.
        report(F, loaded, |module| *out = Box::into_raw(module))
    })
}
