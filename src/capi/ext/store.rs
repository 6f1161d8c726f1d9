//! Store controls: fuel, epoch deadlines and their callback, the host's
//! store data, and the store limiter.
//!
//! With `consume_fuel` a store starts with no fuel, so a host must give it
//! some (`wasm_store_set_fuel`) before running wasm; with
//! `epoch_interruption` wasm traps once the engine's epoch passes the
//! store's deadline (`wasm_store_set_epoch_deadline`,
//! `wasm_engine_increment_epoch`).

use std::ffi::c_void;
use std::sync::Arc;

use anyhow::anyhow;

use crate::capi::ext::error::{null_argument, wasm_error_t};
use crate::capi::panic_guard;
use crate::capi::r#ref::HostInfo;
use crate::capi::store::wasm_store_t;
use crate::runtime::{Store, StoreLimits, UpdateDeadline};

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

/// Attaches `data` to `store`, for host functions to find through
/// `wasm_caller_store` and `wasm_store_get_data`. `finalizer(data)` (if not
/// NULL) runs exactly once: when the store is gone (the store deleted and
/// the last handle of its objects too), or when the data is replaced by
/// another call. NULL stores are ignored (the finalizer then runs at once).
///
/// # Safety
/// `store` must be NULL or a live store.
#[no_mangle]
pub unsafe extern "C" fn wasm_store_set_data(
    store: *mut wasm_store_t,
    data: *mut c_void,
    finalizer: Option<unsafe extern "C" fn(*mut c_void)>,
) {
    let info = HostInfo::new(data, finalizer);
    // SAFETY: NULL or a live store (the caller's contract), borrowed shared.
    let Some(store) = (unsafe { store.as_ref() }) else {
        return;
    };
    // The old data is finalized after the store's lock is released: its
    // finalizer may call back into the API.
    let old = store.ctx.with_slot(|slot| slot.data.replace(info));
    drop(old);
}

/// The data attached with `wasm_store_set_data`; NULL when there is none
/// or for NULL.
#[no_mangle]
pub extern "C" fn wasm_store_get_data(store: Option<&wasm_store_t>) -> *mut c_void {
    store
        .and_then(|s| {
            s.ctx
                .with_slot(|slot| slot.data.as_ref().map(HostInfo::data))
        })
        .flatten()
        .unwrap_or(std::ptr::null_mut())
}

/// Limits what `store` may hold, with the reference's meaning; a negative
/// value leaves that resource unlimited:
/// - `memory_size`: bytes any one linear memory may have; `memory.grow`
///   past it returns -1 (no trap), `wasm_memory_grow` fails, and a module
///   whose memory starts larger fails to instantiate;
/// - `table_elements`: elements any one table may have, likewise;
/// - `instances`, `tables`, `memories`: how many of each the store may
///   hold; creating or instantiating beyond fails with an error naming
///   the limit.
///
/// Objects already in the store are kept. NULL is ignored.
///
/// # Safety
/// `store` must be NULL or a live store.
#[no_mangle]
pub unsafe extern "C" fn wasm_store_limiter(
    store: *mut wasm_store_t,
    memory_size: i64,
    table_elements: i64,
    instances: i64,
    tables: i64,
    memories: i64,
) {
    // SAFETY: NULL or a live store (the caller's contract), borrowed shared.
    let Some(store) = (unsafe { store.as_ref() }) else {
        return;
    };
    let size = |v: i64| u64::try_from(v).ok();
    let count = |v: i64| usize::try_from(v).ok();
    let gc_heap_size = store.ctx.store.limits().gc_heap_size;
    store.ctx.store.set_limits(StoreLimits {
        memory_size: size(memory_size),
        table_elements: size(table_elements),
        instances: count(instances),
        tables: count(tables),
        memories: count(memories),
        gc_heap_size,
    });
}

/// Extension: limits the bytes of system memory `store`'s GC heap may
/// hold to `bytes` (negative: no limit, the default); an allocation that
/// does not fit even after a collection traps with
/// `WASM_TRAP_CODE_ALLOCATION_TOO_LARGE`. NULL is ignored.
///
/// # Safety
/// `store` must be NULL or a live store.
#[no_mangle]
pub unsafe extern "C" fn wasm_store_gc_heap_limit(store: *mut wasm_store_t, bytes: i64) {
    // SAFETY: NULL or a live store (the caller's contract), borrowed shared.
    let Some(store) = (unsafe { store.as_ref() }) else {
        return;
    };
    let limits = store.ctx.store.limits();
    store.ctx.store.set_limits(StoreLimits {
        gc_heap_size: u64::try_from(bytes).ok(),
        ..limits
    });
}

/// What an epoch deadline callback asks for: one of the
/// `WASM_UPDATE_DEADLINE_*` constants.
pub type wasm_update_deadline_kind_t = u8;
/// Go on running wasm, with the deadline `*epoch_deadline_delta` ticks past
/// the current epoch.
pub const WASM_UPDATE_DEADLINE_CONTINUE: wasm_update_deadline_kind_t = 0;
/// Suspend the async call (its `wasm_call_future_poll` returns false),
/// then go on with the deadline `*epoch_deadline_delta` ticks past the
/// epoch. Only an async call can yield: outside one, wasm stops with an
/// `INTERRUPT` trap whose message says so.
pub const WASM_UPDATE_DEADLINE_YIELD: wasm_update_deadline_kind_t = 1;

/// Called when the store's epoch deadline passes (with
/// `epoch_interruption`): return NULL after setting
/// `*epoch_deadline_delta` and `*update_kind` to go on, or an error (owned
/// by the runtime from then on) to stop wasm with a trap of code
/// `WASM_TRAP_CODE_INTERRUPT` carrying the error's message. `*update_kind`
/// starts as `WASM_UPDATE_DEADLINE_CONTINUE` and the delta as 0.
pub type wasm_epoch_deadline_callback_t = Option<
    unsafe extern "C" fn(
        store: *mut wasm_store_t,
        env: *mut c_void,
        epoch_deadline_delta: *mut u64,
        update_kind: *mut wasm_update_deadline_kind_t,
    ) -> *mut wasm_error_t,
>;

/// Makes `store` call `callback(store, env, &delta, &kind)` each time its
/// epoch deadline passes, instead of trapping (see
/// `wasm_epoch_deadline_callback_t`). `finalizer(env)` (if not NULL) runs
/// once, when the callback is replaced (by this function or
/// `wasm_store_epoch_deadline_trap`) or the store is gone. A NULL store or
/// callback is ignored (the finalizer then runs at once).
///
/// # Safety
/// `store` must be NULL or a live store.
#[no_mangle]
pub unsafe extern "C" fn wasm_store_epoch_deadline_callback(
    store: *mut wasm_store_t,
    callback: wasm_epoch_deadline_callback_t,
    env: *mut c_void,
    finalizer: Option<unsafe extern "C" fn(*mut c_void)>,
) {
    let env = HostInfo::new(env, finalizer);
    // SAFETY: NULL or a live store (the caller's contract), borrowed shared.
    let (Some(store), Some(callback)) = (unsafe { store.as_ref() }, callback) else {
        return;
    };
    let weak = Arc::downgrade(&store.ctx);
    store
        .ctx
        .store
        .epoch_deadline_callback(Box::new(move |_: &Store| {
            let ctx = weak
                .upgrade()
                .ok_or_else(|| anyhow!("the store's C state is gone"))?;
            let mut c_store = wasm_store_t { ctx };
            let mut delta = 0u64;
            let mut kind = WASM_UPDATE_DEADLINE_CONTINUE;
            let data = env.data();
            let error = panic_guard::catch_panic(|| {
                // SAFETY: the host's callback, called as its type says, with
                // a store handle lent for the call and two writable slots.
                unsafe { callback(&mut c_store, data, &mut delta, &mut kind) }
            })
            .map_err(|m| anyhow!("the epoch deadline callback panicked: {m}"))?;
            if !error.is_null() {
                // SAFETY: a non-NULL result is an owned error (the callback's
                // contract).
                let error = unsafe { Box::from_raw(error) };
                return Err(error.error);
            }
            match kind {
                WASM_UPDATE_DEADLINE_CONTINUE => Ok(UpdateDeadline::Continue(delta)),
                WASM_UPDATE_DEADLINE_YIELD => Ok(UpdateDeadline::Yield(delta)),
                other => Err(anyhow!(
                    "the epoch deadline callback set update kind {other}, which is neither \
                     WASM_UPDATE_DEADLINE_CONTINUE nor WASM_UPDATE_DEADLINE_YIELD"
                )),
            }
        }));
}

/// Goes back to the default: wasm running in `store` traps with
/// `WASM_TRAP_CODE_INTERRUPT` once its epoch deadline passes (the
/// callback's finalizer runs). NULL is ignored.
///
/// # Safety
/// `store` must be NULL or a live store.
#[no_mangle]
pub unsafe extern "C" fn wasm_store_epoch_deadline_trap(store: *mut wasm_store_t) {
    // SAFETY: NULL or a live store (the caller's contract), borrowed shared.
    if let Some(store) = unsafe { store.as_ref() } {
        store.ctx.store.epoch_deadline_trap();
    }
}
