//! Async calls: wasm that runs on a fiber of its own and suspends back to
//! whoever polls it.
//!
//! With `async_support` on, every call into wasm from the host is a
//! [`CallFuture`]: its first `poll` starts the call on a fresh fiber
//! (`super::fiber`), on a stack of `async_stack_size` bytes taken from the
//! engine's [`AsyncStacks`]. Three things suspend it, each through
//! [`suspend_current`]:
//!
//! - an async host function (`Func::new_async`) whose continuation is not
//!   done yet: the fiber suspends and each later poll asks it again;
//! - fuel, with `Store::fuel_async_yield_interval`: every `interval` units
//!   the out-of-fuel path refuels from the store's reserve and suspends;
//! - epochs: an epoch deadline callback answering
//!   `UpdateDeadline::Yield(delta)` (or
//!   `Store::epoch_deadline_async_yield_and_update`) suspends, and the
//!   call goes on with the deadline `delta` ticks later.
//!
//! While wasm runs on the fiber, the thread's activation chain
//! (`traphandlers`) holds the fiber's activations above the poller's; a
//! suspension unlinks them (`detach_activations`) and the next poll links
//! them onto the polling thread's chain, so traps, backtraces and nested
//! host→wasm calls work on a fiber exactly as on the main stack. The
//! store's stack limit is the fiber's while it runs
//! (`traphandlers::fiber_stack_limit`) and the poller's again when it
//! suspends.
//!
//! # Cancelling
//!
//! Dropping a suspended `CallFuture` cancels the call: it is resumed with
//! [`Resume::Cancel`], the suspension point it waits in fails (an async
//! host function's call traps with "the async call was cancelled", a fuel
//! or epoch yield traps as running out would), wasm unwinds to its entry
//! the usual way, and the fiber's closure returns; every later suspension
//! attempt of that call fails at once without switching. Only then is the
//! stack given back. Nothing on the fiber is ever freed under live frames
//! and no frame is unwound by force (see `fiber`'s "Dropping").
//!
//! # Threads
//!
//! A future may be polled from any thread, one at a time (the store's
//! rule): the fiber is a `SendFiber`, every thread-local the suspension
//! path touches is read in an out-of-line helper, and each poll makes the
//! polling thread ready for wasm (`traphandlers::prepare_thread`).

mod stacks;

pub(crate) use stacks::AsyncStacks;

use super::fiber::{SendFiber, Suspend};
use super::func::Caller;
use super::store::{Store, StoreInner};
use super::trap::Trap;
use super::traphandlers;
use super::val::Val;
use std::cell::Cell;
use std::task::Poll;

/// What a poll sends into the fiber.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Resume {
    /// Go on running.
    Run,
    /// The future was dropped: fail the suspension point and finish.
    Cancel,
}

/// The fiber's side of its `Suspend` record: nothing travels out on a
/// suspension, the result comes out as the closure's return value.
type CallSuspend<T> = Suspend<Resume, (), T>;

/// The state one async call shares between its future and the code on
/// its fiber. Boxed by the future, so its address is fixed while the fiber
/// can reach it (through `CURRENT_CALL`).
pub(crate) struct AsyncCx {
    /// Suspends the fiber (type-erased `*const CallSuspend<T>`); set by the
    /// closure when it starts.
    suspend: Cell<*const ()>,
    /// `suspend` with its `T` put back.
    suspend_fn: unsafe fn(*const ()) -> Resume,
    /// The store whose wasm the call runs.
    store: *const StoreInner,
    /// The thread's innermost activation when the fiber was last resumed:
    /// where the fiber's own activations end.
    resumer_activation: Cell<*const ()>,
    /// The future was dropped: every suspension fails from now on.
    cancelled: Cell<bool>,
}

thread_local! {
    /// The async call running on this thread (null: none).
    static CURRENT_CALL: Cell<*const AsyncCx> = const { Cell::new(std::ptr::null()) };
}

/// This thread's running async call. Out of line: read on fibers that may
/// move threads (see `fiber::SendFiber::new`).
#[inline(never)]
fn current_call() -> *const AsyncCx {
    CURRENT_CALL.with(|c| c.get())
}

/// Makes `cx` this thread's running async call. Out of line, as
/// `current_call`.
#[inline(never)]
fn set_current_call(cx: *const AsyncCx) {
    CURRENT_CALL.with(|c| c.set(cx));
}

/// Whether this thread is running an async call of `store` now, so that
/// wasm of `store` entered from here runs on its fiber and may suspend
/// (a host function of such a call may call wasm of its store
/// synchronously).
pub(crate) fn on_fiber_of(store: &Store) -> bool {
    let cx = current_call();
    // SAFETY: a non-null current call is the `AsyncCx` of a future whose
    // poll is running on this thread, further up the stack (see `resume`).
    !cx.is_null() && unsafe { (*cx).store } == store.as_raw()
}

/// Why a suspension did not happen or ended without the call going on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SuspendError {
    /// The thread runs no async call of the store (the store is not
    /// async, or the host called in outside a future).
    NotOnFiber,
    /// The call's future was dropped: fail, and let wasm unwind.
    Cancelled,
}

impl SuspendError {
    /// The trap a suspension point reports for this.
    pub(crate) fn into_trap(self) -> Trap {
        match self {
            SuspendError::NotOnFiber => Trap::new(
                "an async host function was called outside an async call \
                 (call wasm with wasm_func_call_async when async support is on)",
            ),
            SuspendError::Cancelled => Trap::new("the async call was cancelled"),
        }
    }
}

/// Suspends the async call of `store` running on this thread until its
/// future is polled again: `Ok` when it goes on, `Err(Cancelled)` when the
/// future was dropped (the caller must then fail, so wasm unwinds and the
/// fiber finishes).
pub(crate) fn suspend_current(store: &Store) -> Result<(), SuspendError> {
    let cx = current_call();
    // SAFETY: as in `on_fiber_of`.
    if cx.is_null() || unsafe { (*cx).store } != store.as_raw() {
        return Err(SuspendError::NotOnFiber);
    }
    // SAFETY: as in `on_fiber_of`; the record lives until the future is
    // dropped, which waits for the fiber to finish.
    let cx = unsafe { &*cx };
    if cx.cancelled.get() {
        return Err(SuspendError::Cancelled);
    }
    // SAFETY: the fiber is running (this code runs on it: `CURRENT_CALL`
    // is only set while it is resumed), and every activation pushed since
    // `resumer_activation` is the fiber's.
    let detached = unsafe { traphandlers::detach_activations(cx.resumer_activation.get()) };
    // While the fiber waits, its wasm frames are off every thread's
    // activation chain: the collector must not run.
    store.note_suspended(true);
    // SAFETY: `suspend` was set when the closure started, from the record
    // at the top of the running fiber's stack; `suspend_fn` matches its
    // type.
    let resumed = unsafe { (cx.suspend_fn)(cx.suspend.get()) };
    store.note_suspended(false);
    // SAFETY: the fiber runs again; the next poll set `resumer_activation`
    // and `CURRENT_CALL` before resuming it.
    unsafe { traphandlers::attach_activations(detached) };
    match resumed {
        Resume::Run => Ok(()),
        Resume::Cancel => {
            cx.cancelled.set(true);
            Err(SuspendError::Cancelled)
        }
    }
}

/// Calls `suspend` on a type-erased `CallSuspend<T>`.
///
/// # Safety
/// `record` must be a live `CallSuspend<T>` of the running fiber.
unsafe fn suspend_erased<T>(record: *const ()) -> Resume {
    // SAFETY: the caller's contract.
    let record = unsafe { &*record.cast::<CallSuspend<T>>() };
    record.suspend(())
}

/// An async call (or instantiation) in progress: polled until it gives
/// its output. Dropping it before then cancels the call (see the module
/// documentation).
pub struct CallFuture<T: Send + 'static> {
    /// Taken when the call finishes (its stack goes back to the engine).
    fiber: Option<SendFiber<'static, Resume, (), T>>,
    cx: Box<AsyncCx>,
    store: Store,
    /// `STACK_LIMIT` for wasm on this fiber.
    stack_limit: usize,
    /// The fiber stack's guard region (`0..0` for a custom stack).
    guard: (usize, usize),
    /// Made from a trap that stops the call before it ran (the polling
    /// thread could not be made ready for wasm).
    on_error: fn(Trap) -> T,
}

// SAFETY: the fiber is a `SendFiber` (see the module documentation,
// "Threads"); the record holds plain pointers read only by the thread
// polling the future; the store moves between threads by contract.
unsafe impl<T: Send + 'static> Send for CallFuture<T> {}

impl<T: Send + 'static> CallFuture<T> {
    /// A future that runs `body` on a fiber of `store`'s engine when first
    /// polled. `on_error` makes the output of a call that failed before
    /// running.
    pub(crate) fn new(
        store: &Store,
        body: impl FnOnce() -> T + Send + 'static,
        on_error: fn(Trap) -> T,
    ) -> Result<CallFuture<T>, Trap> {
        let engine = store.engine();
        let stack = engine
            .runtime()
            .async_stacks()
            .take()
            .map_err(|e| Trap::new(format!("{e:#}")))?;
        let range = stack.range();
        let guard = stack.guard_range().map_or((0, 0), |g| (g.start, g.end));
        let stack_limit = traphandlers::fiber_stack_limit(
            range.start,
            range.end,
            engine.tunables().max_wasm_stack,
        );
        let cx = Box::new(AsyncCx {
            suspend: Cell::new(std::ptr::null()),
            suspend_fn: suspend_erased::<T>,
            store: store.as_raw(),
            resumer_activation: Cell::new(std::ptr::null()),
            cancelled: Cell::new(false),
        });
        let cx_addr = &*cx as *const AsyncCx as usize;
        let run = move |first: Resume, suspend: &CallSuspend<T>| {
            debug_assert_eq!(first, Resume::Run, "a fiber's first resume is a run");
            let cx = cx_addr as *const AsyncCx;
            // SAFETY: the future owns the record and outlives the fiber
            // (its drop finishes the fiber first).
            unsafe {
                (*cx)
                    .suspend
                    .set(suspend as *const CallSuspend<T> as *const ())
            };
            body()
        };
        // SAFETY: the closure is `Send` (its captures are), and its frames
        // keep nothing thread-bound across a suspension: wasm frames, the
        // runtime's entry and host-call frames (which read thread-locals
        // only through out-of-line helpers), and host callbacks, which the
        // embedder runs knowing the call may move between polls (as the
        // reference's futures may).
        let fiber = unsafe { SendFiber::new(stack, run) };
        Ok(CallFuture {
            fiber: Some(fiber),
            cx,
            store: store.clone(),
            stack_limit,
            guard,
            on_error,
        })
    }

    /// Runs the call until it finishes (`Ready` with its output) or
    /// suspends (`Pending`: poll again later).
    ///
    /// # Panics
    /// When polled after it finished; re-raises a panic of the runtime on
    /// the fiber (host callbacks' panics are traps already).
    pub fn poll(&mut self) -> Poll<T> {
        assert!(
            self.fiber.is_some(),
            "polled an async call after it finished"
        );
        if let Err(trap) = traphandlers::prepare_thread(&self.store) {
            if !self.fiber.as_ref().is_some_and(|f| f.is_suspended()) {
                self.finish();
                return Poll::Ready((self.on_error)(trap));
            }
            // A suspended call cannot be failed from here; it is retried
            // at the next poll (or cancelled when dropped).
            return Poll::Pending;
        }
        match self.resume(Resume::Run) {
            Some(output) => Poll::Ready(output),
            None => Poll::Pending,
        }
    }

    /// Whether the call has finished (its output was given by `poll`).
    pub fn is_done(&self) -> bool {
        self.fiber.is_none()
    }

    /// Resumes the fiber with `value`, with the store's stack limit and
    /// this thread's current call set to the fiber's for the time it runs.
    /// The output when the call finished.
    fn resume(&mut self, value: Resume) -> Option<T> {
        let fiber = self.fiber.as_mut()?;
        /// Restores the poller's state, also when a panic comes out of the
        /// fiber.
        struct Restore {
            limits: *mut super::vm::VMRuntimeLimits,
            limit: usize,
            owner: usize,
            owner_cell: *const Cell<usize>,
            call: *const AsyncCx,
            guard: (usize, usize),
        }
        impl Drop for Restore {
            fn drop(&mut self) {
                // SAFETY: the store (which owns both) outlives the poll.
                unsafe {
                    (*self.limits).stack_limit = self.limit;
                    (*self.owner_cell).set(self.owner);
                }
                set_current_call(self.call);
                traphandlers::swap_fiber_guard(self.guard);
            }
        }
        let limits = self.store.limits_ptr();
        let owner_cell = self.store.stack_limit_owner();
        let restore = Restore {
            limits,
            // SAFETY: the limits live as long as the store; one thread at
            // a time uses it.
            limit: unsafe { (*limits).stack_limit },
            owner: owner_cell.replace(traphandlers::thread_token()),
            owner_cell,
            call: current_call(),
            guard: traphandlers::swap_fiber_guard(self.guard),
        };
        // SAFETY: as above.
        unsafe { (*limits).stack_limit = self.stack_limit };
        self.cx
            .resumer_activation
            .set(traphandlers::current_activation());
        set_current_call(&*self.cx);
        let outcome = fiber.resume(value);
        drop(restore);
        match outcome {
            Ok(output) => {
                self.finish();
                Some(output)
            }
            Err(()) => None,
        }
    }

    /// Gives the finished (or never started) fiber's stack back.
    fn finish(&mut self) {
        if let Some(fiber) = self.fiber.take() {
            match fiber.into_stack() {
                Ok(stack) => self
                    .store
                    .engine()
                    .runtime()
                    .async_stacks()
                    .give_back(stack),
                Err(_) => unreachable!("finish is called only for a fiber that is not suspended"),
            }
        }
    }
}

impl<T: Send + 'static> Drop for CallFuture<T> {
    fn drop(&mut self) {
        self.cx.cancelled.set(true);
        while self.fiber.as_ref().is_some_and(|f| f.is_suspended()) {
            if traphandlers::prepare_thread(&self.store).is_err() {
                // Resuming wasm here could not report its traps; the frames
                // on the stack cannot be freed either (see `fiber`).
                eprintln!(
                    "wasm-runtime: a cancelled async call could not be resumed to \
                     finish (the thread's signal stack could not be made); aborting"
                );
                std::process::abort();
            }
            // Its output, a cancellation trap, is dropped.
            drop(self.resume(Resume::Cancel));
        }
        self.finish();
    }
}

impl<T: Send + 'static> std::fmt::Debug for CallFuture<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallFuture")
            .field("done", &self.is_done())
            .finish_non_exhaustive()
    }
}

/// An async host function's start: reads the arguments, may write the
/// results at once, and returns the continuation to poll until the work
/// is done (`None`: done already). A trap fails the call.
pub type AsyncHostCallback =
    Box<dyn Fn(&Caller<'_>, &[Val], &mut [Val]) -> Result<Option<HostContinuation>, Trap>>;

/// An async host function's work in progress: polled (with the results to
/// fill) first right after the start and then at each poll of the async
/// call, until it is `Ready`. Dropped unfinished when the call is
/// cancelled.
pub type HostContinuation = Box<dyn FnMut(&Caller<'_>, &mut [Val]) -> Poll<Result<(), Trap>>>;

/// Runs an async host function for a call from wasm (or the host) on an
/// async call's fiber: starts it, then polls its continuation, suspending
/// the call each time it is pending.
pub(crate) fn call_async_host(
    callback: &AsyncHostCallback,
    caller: &Caller<'_>,
    params: &[Val],
    results: &mut [Val],
) -> Result<(), Trap> {
    let store = caller.store();
    if !on_fiber_of(store) {
        return Err(SuspendError::NotOnFiber.into_trap());
    }
    let Some(mut continuation) = callback(caller, params, results)? else {
        return Ok(());
    };
    loop {
        if let Poll::Ready(outcome) = continuation(caller, results) {
            return outcome;
        }
        suspend_current(store).map_err(SuspendError::into_trap)?;
    }
}
