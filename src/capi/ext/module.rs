//! Module creation and validation that say why a binary was rejected, and
//! loading serialized modules from files.

use std::ffi::{c_char, CStr, OsStr};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use crate::capi::engine::wasm_engine_t;
use crate::capi::ext::error::{null_argument, report, wasm_error_t};
use crate::capi::module::wasm_module_t;
use crate::capi::panic_guard;
use crate::capi::store::wasm_store_t;
use crate::capi::vec::wasm_byte_vec_t;
use crate::module::Module;

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

/// Validates `binary` for the engine of `store` like
/// `wasm_module_validate`. Returns NULL when it is a valid module, else an
/// error (owned by the caller) saying what is wrong and at which byte
/// offset (`wasm_error_offset`), or that an argument is NULL.
///
/// # Safety
/// Pointer arguments must be NULL or valid, as wasm.h requires.
#[no_mangle]
pub unsafe extern "C" fn wasm_module_validate_checked(
    store: *mut wasm_store_t,
    binary: Option<&wasm_byte_vec_t>,
) -> Option<Box<wasm_error_t>> {
    const F: &str = "wasm_module_validate_checked";
    // SAFETY: NULL or a live store (the caller's contract), borrowed shared.
    let Some(store) = (unsafe { store.as_ref() }) else {
        return null_argument(F, "store");
    };
    let Some(binary) = binary else {
        return null_argument(F, "binary");
    };
    panic_guard::or_error(F, || {
        // SAFETY: the C caller passes a valid byte vector.
        let wasm = unsafe { binary.as_slice() };
        Module::validate(store.ctx.store.engine(), wasm)
            .err()
            .map(wasm_error_t::boxed)
    })
}

/// Loads the module that `wasm_module_serialize` wrote into the file at
/// `path` (NUL-terminated), for `engine`, storing it (owned by the caller)
/// in `*out`. The file is mapped instead of copied into memory, and its
/// machine code runs from the file's pages (relocations patch private
/// copies of the pages they touch) when the file was written on a host of
/// the same page size and its file system allows executing; otherwise the
/// code is copied into executable memory. Returns NULL on success, else an
/// error (owned by the caller) naming the file when it cannot be opened or
/// mapped, or saying why its bytes were refused, as
/// `wasm_module_deserialize_checked` does; `*out` is then left untouched.
/// Only load files this library wrote (they hold machine code), and do not
/// truncate or rewrite the file while the module lives.
///
/// # Safety
/// Pointer arguments must be NULL or valid; `path` must be NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn wasm_module_deserialize_file(
    engine: *mut wasm_engine_t,
    path: *const c_char,
    out: Option<&mut *mut wasm_module_t>,
) -> Option<Box<wasm_error_t>> {
    const F: &str = "wasm_module_deserialize_file";
    // SAFETY: NULL or a live engine (the caller's contract); borrowed
    // shared, as other threads may use the engine at the same time.
    let Some(engine) = (unsafe { engine.as_ref() }) else {
        return null_argument(F, "engine");
    };
    if path.is_null() {
        return null_argument(F, "path");
    }
    let Some(out) = out else {
        return null_argument(F, "out");
    };
    // SAFETY: a non-NULL, NUL-terminated string (the caller's contract).
    let path = unsafe { CStr::from_ptr(path) };
    let path = Path::new(OsStr::from_bytes(path.to_bytes()));
    panic_guard::or_error(F, || {
        let loaded = Module::deserialize_file(&engine.engine, path);
        // The caller's slot may be uninitialised: nothing is read from it.
        report(F, loaded, |module| {
            *out = Box::into_raw(wasm_module_t::boxed(module))
        })
    })
}
