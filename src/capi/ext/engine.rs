//! Engine extensions: fallible creation that says why, and epochs.

use crate::capi::engine::{wasm_config_t, wasm_engine_t};
use crate::capi::ext::error::{null_argument, wasm_error_t};
use crate::capi::panic_guard;

/// Consumes `config` and stores a new engine (owned by the caller) in
/// `*engine_out`; returns NULL on success, else an error naming the option
/// at fault (and `*engine_out` is left untouched).
#[no_mangle]
pub extern "C" fn wasm_engine_try_new(
    config: Option<Box<wasm_config_t>>,
    engine_out: Option<&mut *mut wasm_engine_t>,
) -> Option<Box<wasm_error_t>> {
    let Some(config) = config else {
        return null_argument("wasm_engine_try_new", "config");
    };
    let Some(engine_out) = engine_out else {
        return null_argument("wasm_engine_try_new", "engine_out");
    };
    // `move`: the consumed config is dropped inside the guard too (it may
    // hold an embedder's Rust callbacks).
    panic_guard::or_error("wasm_engine_try_new", move || {
        match config.build_engine() {
            Ok(engine) => {
                // A raw-pointer store: the caller's slot may be uninitialized, so
                // nothing is read or dropped from it.
                *engine_out = Box::into_raw(Box::new(wasm_engine_t { engine }));
                None
            }
            Err(error) => Some(wasm_error_t::boxed(error)),
        }
    })
}

/// Advances the engine's epoch by one; wasm running past its store's epoch
/// deadline traps at its next check (with `epoch_interruption` on). Safe to
/// call from any thread or a signal handler's helper thread; NULL is ignored.
#[no_mangle]
pub extern "C" fn wasm_engine_increment_epoch(engine: Option<&wasm_engine_t>) {
    if let Some(engine) = engine {
        engine.engine.increment_epoch();
    }
}
