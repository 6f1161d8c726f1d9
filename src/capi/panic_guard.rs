//! Keeping panics on the Rust side of the C boundary.
//!
//! A panic unwinding out of an `extern "C"` function aborts the process,
//! and a C host has no way to catch it. Every entry point that reaches the
//! engine, the compiler or the runtime (compiling, instantiating, calling,
//! making or changing memories, tables and globals, serializing, parsing
//! text, creating or dropping engines and stores) runs its body through
//! one of the helpers here. They catch a panic — a bug in this library, or
//! one in an embedder's Rust callback such as a memory creator — and turn
//! it into the function's own failure value: NULL or false, a
//! `wasm_error_t`, or a trap, each carrying the panic's message.
//!
//! Entry points that only convert (type constructors and accessors,
//! vectors, casts, handle copies, host info, the configuration setters)
//! cannot panic and go without, to keep them as cheap as they look.
//!
//! What a caught panic leaves behind is memory-safe but may be incomplete:
//! a half-made object is dropped, objects made before stay valid, and the
//! process keeps running.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use crate::capi::ext::error::wasm_error_t;
use crate::capi::store::StoreContext;
use crate::capi::trap::wasm_trap_t;
use crate::environ::error::panic_message;
use crate::runtime::Trap;

/// Runs `body`; on a panic, the panic's message instead of its result.
pub(crate) fn catch_panic<R>(body: impl FnOnce() -> R) -> Result<R, String> {
    // Unwind safety: the state a panic can interrupt is the runtime's,
    // whose types keep their invariants at every point a panic can occur
    // (locks recover from poisoning, objects are adopted only once made).
    catch_unwind(AssertUnwindSafe(body)).map_err(|payload| panic_message(&*payload))
}

/// The error an entry point `function` reports for a panic with `message`.
pub(crate) fn panic_error(function: &str, message: &str) -> anyhow::Error {
    anyhow::anyhow!("{function}: internal error: the runtime panicked: {message}")
}

/// Runs `body`, answering `failure` (NULL, false, nothing) on a panic.
pub(crate) fn or_failure<R>(failure: R, body: impl FnOnce() -> R) -> R {
    catch_panic(body).unwrap_or(failure)
}

/// Runs the body of an entry point `function` that returns a
/// `wasm_error_t*`; a panic becomes an error saying so.
pub(crate) fn or_error(
    function: &str,
    body: impl FnOnce() -> Option<Box<wasm_error_t>>,
) -> Option<Box<wasm_error_t>> {
    catch_panic(body)
        .unwrap_or_else(|message| Some(wasm_error_t::boxed(panic_error(function, &message))))
}

/// Runs the body of an entry point `function` that returns a trap (NULL
/// for success); a panic becomes a trap of the store of `ctx` saying so.
pub(crate) fn or_trap(
    function: &str,
    ctx: Option<&Arc<StoreContext>>,
    body: impl FnOnce() -> Option<Box<wasm_trap_t>>,
) -> Option<Box<wasm_trap_t>> {
    catch_panic(body).unwrap_or_else(|message| {
        let error = panic_error(function, &message);
        Some(wasm_trap_t::boxed(Trap::new(format!("{error:#}")), ctx))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panics_become_the_failure_value_with_their_message() {
        assert!(!or_failure(false, || panic!("boom")));
        assert_eq!(or_failure(0, || 5), 5);
        let err = or_error("f", || panic!("at {}", 3)).unwrap();
        assert_eq!(
            format!("{:#}", err.error),
            "f: internal error: the runtime panicked: at 3"
        );
        assert!(or_error("f", || None).is_none());
        let trap = or_trap("g", None, || std::panic::panic_any(7u8)).unwrap();
        assert_eq!(
            trap.trap().message(),
            "g: internal error: the runtime panicked: a panic without a message"
        );
    }
}
