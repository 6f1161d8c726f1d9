//! Async calls from C (`async_support`), with the reference's shape:
//! `wasm_func_call_async` and `wasm_linker_instantiate_async` return a
//! `wasm_call_future_t` that the host polls (`wasm_call_future_poll`)
//! until it reports done, then deletes; deleting it earlier cancels the
//! call. `wasm_linker_define_async_func` defines host functions that
//! start work and hand back a continuation the runtime polls; the fuel
//! and epoch yields are configured per store.
//!
//! The arguments of a call that returns a future (the function, the
//! argument vector, the out-parameters) must stay valid and untouched
//! until the future is deleted: the results and the trap or error are
//! written when the poll that finishes the call returns.

use std::ffi::{c_char, c_void};
use std::sync::Arc;
use std::task::Poll;

use anyhow::anyhow;

use crate::capi::ext::error::{null_argument, wasm_error_t};
use crate::capi::ext::func::wasm_caller_t;
use crate::capi::ext::linker::{self, wasm_linker_t};
use crate::capi::func::{wasm_func_t, HostEnv};
use crate::capi::functype::wasm_functype_t;
use crate::capi::instance::wasm_instance_t;
use crate::capi::module::wasm_module_t;
use crate::capi::panic_guard;
use crate::capi::r#ref::{wasm_ref_t, RefKind};
use crate::capi::store::{ctx_of, wasm_store_t, StoreContext};
use crate::capi::trap::wasm_trap_t;
use crate::capi::val::wasm_val_t;
use crate::capi::valtype::value_kind_of;
use crate::capi::values::{c_to_val, val_to_c};
use crate::capi::vec::{wasm_val_vec_t, CVec};
use crate::environ::error::Error;
use crate::module::ValType;
use crate::runtime::scratch::Scratch;
use crate::runtime::{
    AsyncHostCallback, CallFuture, Caller, HostContinuation, Instance, Trap, Val,
};

/// Where a finished call puts what it produced: the C out-parameters.
enum Outcome {
    /// `wasm_func_call_async`.
    Call {
        future: CallFuture<Result<Vec<Val>, Trap>>,
        results: *mut wasm_val_vec_t,
    },
    /// `wasm_linker_instantiate_async`.
    Instantiate {
        future: CallFuture<Result<Instance, Error>>,
        instance_out: *mut *mut wasm_instance_t,
    },
    /// Finished (or failed before it started): polls answer true.
    Done,
}

/// An async call or instantiation in progress. Owned by the caller:
/// polled with `wasm_call_future_poll` until it returns true, freed with
/// `wasm_call_future_delete` (which cancels it if it has not finished).
pub struct wasm_call_future_t {
    outcome: Outcome,
    trap_out: *mut *mut wasm_trap_t,
    error_out: *mut *mut wasm_error_t,
    ctx: Arc<StoreContext>,
}

impl wasm_call_future_t {
    /// A future that has already finished with `error` (written now).
    fn failed(
        ctx: Arc<StoreContext>,
        trap_out: *mut *mut wasm_trap_t,
        error_out: *mut *mut wasm_error_t,
        error: anyhow::Error,
    ) -> Box<wasm_call_future_t> {
        // SAFETY: the out-parameters are valid (checked non-NULL by the
        // entry points, valid by their contract).
        unsafe { *error_out = Box::into_raw(wasm_error_t::boxed(error)) };
        Box::new(wasm_call_future_t {
            outcome: Outcome::Done,
            trap_out,
            error_out,
            ctx,
        })
    }

    /// Polls once; true when finished (its outputs are written).
    fn poll(&mut self) -> bool {
        let finished = match &mut self.outcome {
            Outcome::Done => return true,
            Outcome::Call { future, results } => match future.poll() {
                Poll::Pending => return false,
                Poll::Ready(Ok(values)) => {
                    // SAFETY: the results vector was checked at the call to
                    // have one slot per result and stays valid until the
                    // future is deleted (the entry's contract).
                    let slots = unsafe { (**results).as_mut_slice() };
                    for (slot, val) in slots.iter_mut().zip(values.iter()) {
                        // The slot may hold uninitialised C memory; `write`
                        // neither reads nor drops it.
                        // SAFETY: `slot` is a valid, exclusive element.
                        unsafe { std::ptr::write(slot, val_to_c(val, Some(&self.ctx))) };
                    }
                    Ok(())
                }
                Poll::Ready(Err(trap)) => Err(Ok(trap)),
            },
            Outcome::Instantiate {
                future,
                instance_out,
            } => match future.poll() {
                Poll::Pending => return false,
                Poll::Ready(Ok(instance)) => {
                    let instance = Box::new(wasm_instance_t {
                        r: wasm_ref_t {
                            kind: RefKind::Instance(instance),
                            ctx: Some(self.ctx.clone()),
                        },
                    });
                    // SAFETY: a valid out-parameter (the entry's contract).
                    unsafe { **instance_out = Box::into_raw(instance) };
                    Ok(())
                }
                Poll::Ready(Err(e)) => match e.as_trap() {
                    Some(trap) => Err(Ok(trap.clone())),
                    None => Err(Err(e)),
                },
            },
        };
        self.outcome = Outcome::Done;
        // SAFETY: valid out-parameters (the entry's contract).
        unsafe {
            match finished {
                Ok(()) => {}
                Err(Ok(trap)) => {
                    *self.trap_out = Box::into_raw(wasm_trap_t::boxed(trap, Some(&self.ctx)))
                }
                Err(Err(error)) => *self.error_out = Box::into_raw(wasm_error_t::boxed(error)),
            }
        }
        true
    }
}

/// Starts calling `func` with `args` asynchronously (its engine needs
/// `async_support`) and returns the future (owned by the caller; NULL
/// only when `func`, `trap_out` or `error_out` is NULL). `*trap_out` and
/// `*error_out` are set to NULL now. When a poll returns true: on success
/// `results` (of exactly the function's result count) holds the results
/// (owned by the caller); a trap of the call is in `*trap_out`; an error
/// that kept it from running (wrong arguments, no async support, no stack
/// left) in `*error_out` (both owned by the caller; argument errors are
/// reported at once, the future then being done). `func`, `args`,
/// `results` and the out-parameters must stay valid until the future is
/// deleted.
///
/// # Safety
/// Pointer arguments must be NULL or valid, as above.
#[no_mangle]
pub unsafe extern "C" fn wasm_func_call_async(
    func: Option<&wasm_func_t>,
    args: Option<&wasm_val_vec_t>,
    results: *mut wasm_val_vec_t,
    trap_out: *mut *mut wasm_trap_t,
    error_out: *mut *mut wasm_error_t,
) -> Option<Box<wasm_call_future_t>> {
    const F: &str = "wasm_func_call_async";
    if trap_out.is_null() || error_out.is_null() {
        return None;
    }
    // SAFETY: valid out-parameters (the caller's contract).
    unsafe {
        *trap_out = std::ptr::null_mut();
        *error_out = std::ptr::null_mut();
    }
    let func = func?;
    let ctx = func.r.ctx.clone()?;
    let result = panic_guard::catch_panic(|| {
        // SAFETY: a valid vector or NULL (the caller's contract).
        let args = args.map_or(&[][..], |a| unsafe { a.as_slice() });
        // SAFETY: as above.
        let result_count = match unsafe { results.as_ref() } {
            Some(r) => r.raw_parts().0,
            None => 0,
        };
        if results.is_null() && func.func().result_arity() != 0 {
            return Err(anyhow!("{F}: the results vector is NULL"));
        }
        let mut params = Vec::with_capacity(args.len());
        for (i, a) in args.iter().enumerate() {
            params.push(
                c_to_val(a, None, Some(&ctx)).map_err(|e| anyhow!("{F}: argument {i}: {e}"))?,
            );
        }
        func.func()
            .call_async(&params, result_count)
            .map_err(|trap| anyhow!("{F}: {trap}"))
    })
    .unwrap_or_else(|m| Err(panic_guard::panic_error(F, &m)));
    Some(match result {
        Ok(future) => Box::new(wasm_call_future_t {
            outcome: Outcome::Call { future, results },
            trap_out,
            error_out,
            ctx,
        }),
        Err(error) => wasm_call_future_t::failed(ctx, trap_out, error_out, error),
    })
}

/// Instantiates `module` in `store` asynchronously (its engine needs
/// `async_support`) with its imports looked up in `linker`, running the
/// start function on the call's fiber. Returns the future (owned by the
/// caller; NULL only when an out-parameter or `store` is NULL); the three
/// out-parameters are set to NULL now. When a poll returns true:
/// `*instance_out` holds the instance (owned by the caller), or the start
/// function's trap is in `*trap_out`, or an error (a missing or
/// mismatched import, a store limit, no async support) in `*error_out`.
/// Every argument must stay valid until the future is deleted.
///
/// # Safety
/// Pointer arguments must be NULL or valid, as above.
#[no_mangle]
pub unsafe extern "C" fn wasm_linker_instantiate_async(
    linker: Option<&wasm_linker_t>,
    store: *mut wasm_store_t,
    module: Option<&wasm_module_t>,
    instance_out: *mut *mut wasm_instance_t,
    trap_out: *mut *mut wasm_trap_t,
    error_out: *mut *mut wasm_error_t,
) -> Option<Box<wasm_call_future_t>> {
    const F: &str = "wasm_linker_instantiate_async";
    if instance_out.is_null() || trap_out.is_null() || error_out.is_null() {
        return None;
    }
    // SAFETY: valid out-parameters (the caller's contract).
    unsafe {
        *instance_out = std::ptr::null_mut();
        *trap_out = std::ptr::null_mut();
        *error_out = std::ptr::null_mut();
    }
    // SAFETY: NULL or a live store (the caller's contract), borrowed shared.
    let store = unsafe { store.as_ref() }?;
    let ctx = store.ctx.clone();
    let (Some(linker), Some(module)) = (linker, module) else {
        let error = anyhow!("{F}: the linker or module is NULL");
        return Some(wasm_call_future_t::failed(ctx, trap_out, error_out, error));
    };
    let result = panic_guard::catch_panic(|| {
        linker
            .linker
            .instantiate_async(&store.ctx.store, module.module())
    })
    .unwrap_or_else(|m| Err(Error::from(panic_guard::panic_error(F, &m))));
    Some(match result {
        Ok(future) => Box::new(wasm_call_future_t {
            outcome: Outcome::Instantiate {
                future,
                instance_out,
            },
            trap_out,
            error_out,
            ctx,
        }),
        Err(error) => wasm_call_future_t::failed(ctx, trap_out, error_out, error.into()),
    })
}

/// Runs the call until it finishes (true: its outputs are written) or
/// suspends (false: in an async host function whose continuation is not
/// done, or at a fuel or epoch yield). Polling a finished future (or NULL)
/// returns true again and does nothing. Any thread may poll, one at a
/// time.
#[no_mangle]
pub extern "C" fn wasm_call_future_poll(future: Option<&mut wasm_call_future_t>) -> bool {
    let Some(future) = future else { return true };
    match panic_guard::catch_panic(|| future.poll()) {
        Ok(done) => done,
        Err(message) => {
            // A runtime bug: report it as the call's error and finish.
            future.outcome = Outcome::Done;
            let error = panic_guard::panic_error("wasm_call_future_poll", &message);
            // SAFETY: valid out-parameters (the entry's contract).
            unsafe { *future.error_out = Box::into_raw(wasm_error_t::boxed(error)) };
            true
        }
    }
}

/// Frees a future. One that has not finished is cancelled first: its wasm
/// is resumed only to trap at the point where it waits and unwind, so no
/// host frame is skipped; pending continuations are dropped (their
/// finalizers run) and nothing is written to the out-parameters. NULL is
/// ignored.
#[no_mangle]
pub extern "C" fn wasm_call_future_delete(future: Option<Box<wasm_call_future_t>>) {
    if let Some(future) = future {
        let _ = panic_guard::catch_panic(move || drop(future));
    }
}

// ---------------------------------------------------------------------------
// Async host functions

/// Reports whether an async host function's work is done: true when it
/// is (its results and any trap are written), false to be polled again at
/// the next poll of the call.
pub type wasm_func_async_continuation_callback_t =
    Option<unsafe extern "C" fn(env: *mut c_void) -> bool>;

/// An async host function's work in progress, filled in by its callback.
#[repr(C)]
pub struct wasm_async_continuation_t {
    /// Polled until it returns true; NULL means the work is done already.
    pub callback: wasm_func_async_continuation_callback_t,
    /// Passed to `callback`.
    pub env: *mut c_void,
    /// Called once with `env` when the continuation is finished or dropped
    /// (may be NULL).
    pub finalizer: Option<unsafe extern "C" fn(env: *mut c_void)>,
}

/// The callback of `wasm_linker_define_async_func`: starts the host
/// function's work for one call. It may write `results` and `*trap_ret`
/// (a trap, owned by the runtime from then on, fails the call) at once or
/// later from its continuation, which it stores in `*continuation_ret`.
/// `args`, `results` and `trap_ret` stay valid and untouched by the
/// runtime until the continuation reports done; `caller` only during this
/// callback.
pub type wasm_func_async_callback_t = Option<
    unsafe extern "C" fn(
        env: *mut c_void,
        caller: *mut wasm_caller_t,
        args: *const wasm_val_vec_t,
        results: *mut wasm_val_vec_t,
        trap_ret: *mut *mut wasm_trap_t,
        continuation_ret: *mut wasm_async_continuation_t,
    ),
>;

type AsyncCallbackFn = unsafe extern "C" fn(
    *mut c_void,
    *mut wasm_caller_t,
    *const wasm_val_vec_t,
    *mut wasm_val_vec_t,
    *mut *mut wasm_trap_t,
    *mut wasm_async_continuation_t,
);

/// Up to this many arguments (and as many results) live in the call's
/// state itself, without an allocation of their own.
const INLINE_VALUES: usize = 4;

/// One call's C-side state: the argument and result vectors and the trap
/// slot the callback and its continuation write, boxed (and filled in
/// place) so their addresses hold until the work is done.
struct AsyncCallState {
    args: Scratch<wasm_val_t, INLINE_VALUES>,
    outs: Scratch<wasm_val_t, INLINE_VALUES>,
    args_vec: wasm_val_vec_t,
    outs_vec: wasm_val_vec_t,
    outs_data: *mut wasm_val_t,
    trap: *mut wasm_trap_t,
    ctx: Arc<StoreContext>,
    results: Arc<[ValType]>,
}

impl AsyncCallState {
    fn new(
        params: &[Val],
        results: &Arc<[ValType]>,
        ctx: Arc<StoreContext>,
    ) -> Box<AsyncCallState> {
        let mut state = Box::new(AsyncCallState {
            args: Scratch::new(),
            outs: Scratch::new(),
            args_vec: wasm_val_vec_t::from_raw_parts(0, std::ptr::null_mut()),
            outs_vec: wasm_val_vec_t::from_raw_parts(0, std::ptr::null_mut()),
            outs_data: std::ptr::null_mut(),
            trap: std::ptr::null_mut(),
            ctx,
            results: results.clone(),
        });
        let st = &mut *state;
        st.args.extend(
            params.len(),
            params.iter().map(|v| val_to_c(v, Some(&st.ctx))),
        );
        st.outs.extend(
            results.len(),
            results
                .iter()
                .map(|t| wasm_val_t::zeroed(value_kind_of(*t))),
        );
        // The vectors point into the box, which never moves its contents.
        let args = st.args.as_mut_slice();
        st.args_vec = wasm_val_vec_t::from_raw_parts(args.len(), args.as_mut_ptr());
        let outs = st.outs.as_mut_slice();
        st.outs_data = outs.as_mut_ptr();
        st.outs_vec = wasm_val_vec_t::from_raw_parts(outs.len(), st.outs_data);
        state
    }

    /// The call's outcome once the work is done: the trap, or the results.
    fn finish(&mut self, results: &mut [Val]) -> Result<(), Trap> {
        if !self.trap.is_null() {
            // SAFETY: a non-NULL trap is owned and handed over (the
            // callback's contract); taken once.
            let trap =
                unsafe { Box::from_raw(std::mem::replace(&mut self.trap, std::ptr::null_mut())) };
            return Err(trap.trap().clone());
        }
        if self.outs_vec.raw_parts() != (self.results.len(), self.outs_data) {
            return Err(Trap::new(
                "async host function replaced its results vector instead of writing into it",
            ));
        }
        for (i, ((out, slot), ty)) in self
            .outs
            .as_slice()
            .iter()
            .zip(results.iter_mut())
            .zip(self.results.iter())
            .enumerate()
        {
            *slot = c_to_val(out, Some(*ty), Some(&self.ctx))
                .map_err(|e| Trap::new(format!("async host function result {i}: {e}")))?;
        }
        Ok(())
    }
}

impl Drop for AsyncCallState {
    fn drop(&mut self) {
        for v in self
            .args
            .as_mut_slice()
            .iter_mut()
            .chain(self.outs.as_mut_slice().iter_mut())
        {
            drop(v.take_ref());
        }
        if !self.trap.is_null() {
            // SAFETY: an owned trap nobody took.
            drop(unsafe { Box::from_raw(self.trap) });
        }
    }
}

/// A C continuation, finalized once when dropped.
struct CContinuation {
    callback: unsafe extern "C" fn(*mut c_void) -> bool,
    env: HostEnv,
}

/// The runtime's async host callback for a C one.
fn async_host_callback(
    callback: AsyncCallbackFn,
    env: Arc<HostEnv>,
    result_types: Arc<[ValType]>,
) -> AsyncHostCallback {
    Box::new(
        move |caller: &Caller<'_>,
              params: &[Val],
              results: &mut [Val]|
              -> Result<Option<HostContinuation>, Trap> {
            let Some(ctx) = ctx_of(caller.store()) else {
                return Err(Trap::new(
                    "async host function called in a store whose C state is gone",
                ));
            };
            let mut state = AsyncCallState::new(params, &result_types, ctx.clone());
            let mut continuation = wasm_async_continuation_t {
                callback: None,
                env: std::ptr::null_mut(),
                finalizer: None,
            };
            let mut c_caller = wasm_caller_t::new(caller, &ctx);
            let st = &mut *state;
            panic_guard::catch_panic(|| {
                // SAFETY: the embedder's callback, called as its type says;
                // the vectors and the trap slot live in `state`, kept until
                // the continuation is done.
                unsafe {
                    callback(
                        env.data(),
                        &mut c_caller,
                        &st.args_vec,
                        &mut st.outs_vec,
                        &mut st.trap,
                        &mut continuation,
                    )
                }
            })
            .map_err(|m| Trap::new(format!("async host function panicked: {m}")))?;
            let pending = continuation.callback.map(|cb| CContinuation {
                callback: cb,
                env: HostEnv::new(continuation.env, continuation.finalizer),
            });
            let Some(pending) = pending else {
                // Finalize an env given without a callback.
                drop(HostEnv::new(continuation.env, continuation.finalizer));
                return state.finish(results).map(|()| None);
            };
            if !state.trap.is_null() {
                drop(pending);
                return state.finish(results).map(|()| None);
            }
            Ok(Some(Box::new(
                move |_: &Caller<'_>, results: &mut [Val]| {
                    // SAFETY: the embedder's continuation with its own env.
                    let done = panic_guard::catch_panic(|| unsafe {
                        (pending.callback)(pending.env.data())
                    });
                    match done {
                        Ok(false) => Poll::Pending,
                        Ok(true) => Poll::Ready(state.finish(results)),
                        Err(m) => Poll::Ready(Err(Trap::new(format!(
                            "async host function continuation panicked: {m}"
                        )))),
                    }
                },
            )))
        },
    )
}

/// Defines `module.name` as an async host function of type `ty` (not
/// consumed) for every store: each call runs `callback(env, caller, args,
/// results, trap_ret, continuation_ret)` on the async call's fiber, then
/// polls the continuation it stored, suspending the call (its poll
/// returns false) until the continuation reports done. Called outside an
/// async call, the function traps. `finalizer(env)` (if not NULL) runs
/// once, when the linker and every function made from the definition are
/// gone (at once on failure). Returns NULL on success, else an error
/// (owned by the caller).
///
/// # Safety
/// Pointer arguments must be NULL or valid; names must point at their
/// length of readable bytes.
#[no_mangle]
pub unsafe extern "C" fn wasm_linker_define_async_func(
    linker: Option<&mut wasm_linker_t>,
    module: *const c_char,
    module_len: usize,
    name: *const c_char,
    name_len: usize,
    ty: Option<&wasm_functype_t>,
    callback: wasm_func_async_callback_t,
    env: *mut c_void,
    finalizer: Option<unsafe extern "C" fn(*mut c_void)>,
) -> Option<Box<wasm_error_t>> {
    const F: &str = "wasm_linker_define_async_func";
    let env = HostEnv::new(env, finalizer);
    let Some(ty) = ty.and_then(wasm_functype_t::func_type) else {
        return null_argument(F, "the function type");
    };
    let (Some(linker), Some(callback)) = (linker, callback) else {
        return null_argument(F, "the linker or callback");
    };
    linker::run(F, || {
        // SAFETY: forwarded from the caller.
        let module = unsafe { linker::name(F, "module", module, module_len) }?;
        // SAFETY: forwarded from the caller.
        let name = unsafe { linker::name(F, "name", name, name_len) }?;
        let callback = async_host_callback(
            callback,
            Arc::new(env),
            ty.results.iter().copied().collect(),
        );
        linker
            .linker
            .func_new_async(module, name, ty.clone(), callback)
            .map_err(wasm_error_t::boxed)
    })
}

// ---------------------------------------------------------------------------
// Yields

/// Makes async calls in `store` yield (their poll returns false) each
/// time they have consumed `interval` units of fuel, then go on; 0 stops
/// yielding. The fuel left is unchanged, and running out of it still
/// traps. Returns NULL on success, else an error (owned by the caller):
/// the engine lacks `consume_fuel` or `async_support`, or `store` is NULL.
///
/// # Safety
/// `store` must be NULL or a live store.
#[no_mangle]
pub unsafe extern "C" fn wasm_store_fuel_async_yield_interval(
    store: *mut wasm_store_t,
    interval: u64,
) -> Option<Box<wasm_error_t>> {
    // SAFETY: NULL or a live store (the caller's contract), borrowed shared.
    let Some(store) = (unsafe { store.as_ref() }) else {
        return null_argument("wasm_store_fuel_async_yield_interval", "store");
    };
    store
        .ctx
        .store
        .fuel_async_yield_interval(Some(interval))
        .err()
        .map(wasm_error_t::boxed)
}

/// Makes an async call in `store` yield each time its epoch deadline
/// passes, then go on with the deadline `delta` ticks later (replacing
/// any epoch deadline callback). Returns NULL on success, else an error
/// (owned by the caller): the engine lacks `async_support`, or `store` is
/// NULL.
///
/// # Safety
/// `store` must be NULL or a live store.
#[no_mangle]
pub unsafe extern "C" fn wasm_store_epoch_deadline_async_yield_and_update(
    store: *mut wasm_store_t,
    delta: u64,
) -> Option<Box<wasm_error_t>> {
    // SAFETY: NULL or a live store (the caller's contract), borrowed shared.
    let Some(store) = (unsafe { store.as_ref() }) else {
        return null_argument("wasm_store_epoch_deadline_async_yield_and_update", "store");
    };
    store
        .ctx
        .store
        .epoch_deadline_async_yield_and_update(delta)
        .err()
        .map(wasm_error_t::boxed)
}
