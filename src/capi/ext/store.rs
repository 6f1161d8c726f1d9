//! Store controls: fuel and epoch deadlines.
//!
//! With `consume_fuel` a store starts with no fuel, so a host must give it
//! some (`wasm_store_set_fuel`) before running wasm; with
//! `epoch_interruption` wasm traps once the engine's epoch passes the
//! store's deadline (`wasm_store_set_epoch_deadline`,
//! `wasm_engine_increment_epoch`).

use anyhow::anyhow;

use crate::capi::ext::error::{null_argument, wasm_error_t};
use crate::capi::store::wasm_store_t;

/// Sets the fuel left in `store` to `fuel`; wasm traps when it runs out.
/// Returns NULL on success, else an error (owned by the caller): the
/// engine was made without `consume_fuel`, or `store` is NULL.
///
/// # Safety
/// `store` must be NULL or a live store.
#[no_mangle]
pub unsafe extern "C" fn wasm_store_set_fuel(
    store: *mut wasm_store_t,
    fuel: u64,
) -> Option<Box<wasm_error_t>> {
    // SAFETY: NULL or a live store (the caller's contract), borrowed shared.
    let Some(store) = (unsafe { store.as_ref() }) else {
        return null_argument("wasm_store_set_fuel", "store");
    };
    store
        .ctx
        .store
        .set_fuel(fuel)
        .err()
        .map(wasm_error_t::boxed)
}

/// Stores the fuel left in `store` in `*fuel`. Returns NULL on success,
/// else an error (owned by the caller): the engine was made without
/// `consume_fuel`, or an argument is NULL (`*fuel` is then untouched).
#[no_mangle]
pub extern "C" fn wasm_store_get_fuel(
    store: Option<&wasm_store_t>,
    fuel: Option<&mut u64>,
) -> Option<Box<wasm_error_t>> {
    let (Some(store), Some(fuel)) = (store, fuel) else {
        return Some(wasm_error_t::boxed(anyhow!(
            "wasm_store_get_fuel: store and fuel must not be NULL"
        )));
    };
    match store.ctx.store.get_fuel() {
        Ok(left) => {
            *fuel = left;
            None
        }
        Err(e) => Some(wasm_error_t::boxed(e)),
    }
}

/// Sets the store's epoch deadline to `ticks` past the engine's current
/// epoch: with `epoch_interruption`, wasm running in the store traps once
/// `wasm_engine_increment_epoch` has moved the epoch past it. NULL is
/// ignored.
///
/// # Safety
/// `store` must be NULL or a live store.
#[no_mangle]
pub unsafe extern "C" fn wasm_store_set_epoch_deadline(store: *mut wasm_store_t, ticks: u64) {
    // SAFETY: NULL or a live store (the caller's contract), borrowed shared.
    if let Some(store) = unsafe { store.as_ref() } {
        store.ctx.store.set_epoch_deadline(ticks);
    }
}
