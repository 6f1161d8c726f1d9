//! Giving a store its WASI context and a linker the WASI functions: our
//! names, with the shape of the reference's `wasmtime_context_set_wasi`
//! and `wasmtime_linker_define_wasi`.

use crate::capi::ext::error::{null_argument, report, wasm_error_t};
use crate::capi::ext::linker::wasm_linker_t;
use crate::capi::panic_guard;
use crate::capi::store::wasm_store_t;
use crate::capi::wasi::config::wasi_config_t;
use crate::wasi;

/// Builds the WASI context `config` describes (consumed, also on failure)
/// and makes it `store`'s, replacing any earlier one: files, directories
/// and sockets are opened now, so a missing one is reported here. Returns
/// NULL on success, else an error (owned by the caller) saying what could
/// not be opened, or which argument is NULL.
///
/// # Safety
/// `store` must be NULL or a live store.
#[no_mangle]
pub unsafe extern "C" fn wasm_store_set_wasi(
    store: *mut wasm_store_t,
    config: Option<Box<wasi_config_t>>,
) -> Option<Box<wasm_error_t>> {
    const F: &str = "wasm_store_set_wasi";
    // SAFETY: NULL or a live store (the caller's contract), borrowed shared.
    let store = unsafe { store.as_ref() };
    let (Some(store), Some(config)) = (store, config) else {
        return null_argument(F, "the store or config");
    };
    panic_guard::or_error(F, || {
        report(
            F,
            wasi::set_store_wasi(&store.ctx.store, config.config),
            |()| (),
        )
    })
}

/// Defines every `wasi_snapshot_preview1` function in `linker`, for every
/// store of its engine; a store must have a WASI context
/// (`wasm_store_set_wasi`) before its wasm calls them (they trap saying so
/// otherwise). `proc_exit(n)` ends the call with a trap whose status
/// `wasm_trap_exit_status` reads. Returns NULL on success, else an error
/// (owned by the caller): a NULL linker, or a WASI name defined already
/// (without shadowing).
#[no_mangle]
pub extern "C" fn wasm_linker_define_wasi(
    linker: Option<&mut wasm_linker_t>,
) -> Option<Box<wasm_error_t>> {
    const F: &str = "wasm_linker_define_wasi";
    let Some(linker) = linker else {
        return null_argument(F, "the linker");
    };
    panic_guard::or_error(F, || {
        report(F, wasi::add_to_linker(&mut linker.linker), |()| ())
    })
}
