//! Instantiation that reports link errors as errors.

use crate::capi::ext::error::wasm_error_t;
use crate::capi::instance::{instantiate, wasm_instance_t};
use crate::capi::module::wasm_module_t;
use crate::capi::r#extern::wasm_extern_t;
use crate::capi::store::wasm_store_t;
use crate::capi::trap::wasm_trap_t;
use crate::capi::vec::wasm_extern_vec_t;

/// Instantiates `module` in `store` with `imports` (in the module's import
/// order; not consumed), telling the two ways it can fail apart:
/// - success: returns NULL and stores the instance (owned by the caller) in
///   `*instance_out`;
/// - the start function trapped: returns NULL and stores the trap (owned by
///   the caller) in `*trap_out` (`*instance_out` is set to NULL);
/// - anything else (an import missing or of the wrong type, a NULL
///   argument): returns an error, owned by the caller, naming the import
///   and why; neither out-parameter is written.
///
/// # Safety
/// Pointer arguments must be NULL or valid, as wasm.h requires.
#[no_mangle]
pub unsafe extern "C" fn wasm_instance_new_checked(
    store: *mut wasm_store_t,
    module: Option<&wasm_module_t>,
    imports: Option<&wasm_extern_vec_t>,
    instance_out: Option<&mut *mut wasm_instance_t>,
    trap_out: Option<&mut *mut wasm_trap_t>,
) -> Option<Box<wasm_error_t>> {
    // SAFETY: the C caller passes NULL or a live store (wasm.h contract);
    // it is only borrowed shared, as objects of it may be used meanwhile.
    let store = unsafe { store.as_ref() };
    let (Some(instance_out), Some(trap_out)) = (instance_out, trap_out) else {
        return Some(wasm_error_t::boxed(anyhow::anyhow!(
            "wasm_instance_new_checked: instance_out and trap_out must not be NULL"
        )));
    };
    // `instantiate` reports a panic as a link failure, so every outcome
    // below is a value.
    match instantiate(store, module, imports) {
        Ok(instance) => {
            *instance_out = Box::into_raw(instance);
            None
        }
        Err(e) => match e.as_trap() {
            Some(trap) => {
                *instance_out = std::ptr::null_mut();
                *trap_out = Box::into_raw(wasm_trap_t::boxed(trap.clone(), store.map(|s| &s.ctx)));
                None
            }
            None => Some(wasm_error_t::boxed(
                anyhow::Error::from(e)
                    .context("wasm_instance_new_checked: cannot instantiate the module"),
            )),
        },
    }
}

/// Returns the instance's export called `name` (`name_len` bytes, not
/// NUL-terminated), owned by the caller; NULL when there is no such export
/// or for NULL arguments.
///
/// # Safety
/// `instance` must be NULL or valid; `name` must point at `name_len`
/// readable bytes.
#[no_mangle]
pub unsafe extern "C" fn wasm_instance_export_get(
    instance: Option<&wasm_instance_t>,
    name: *const std::ffi::c_char,
    name_len: usize,
) -> Option<Box<wasm_extern_t>> {
    let instance = instance?;
    // SAFETY: forwarded from the caller.
    let name = unsafe { crate::capi::ext::name_arg(name, name_len) }?;
    crate::capi::panic_guard::or_failure(None, || {
        let ext = instance.instance().get_export(name)?;
        Some(Box::new(wasm_extern_t::new(ext, instance.r.ctx.as_ref())))
    })
}
