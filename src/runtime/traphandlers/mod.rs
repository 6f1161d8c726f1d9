//! Entering wasm and turning traps in wasm code into `Trap`s.
//!
//! Every call from the host into wasm goes through `enter_wasm`, which
//! pushes an `Activation` on a thread-local stack and calls the assembly
//! entry `wr_enter_wasm` (see `entry_*.rs`). Compiled code raises a trap in
//! one of two ways, chosen by the engine's `signals_based_traps`:
//!
//! - With signals (the default), it executes a faulting instruction
//!   (`ud2`/`udf`, a guard-page access, a division). The process-wide
//!   signal handler, installed at the first entry of such an engine and
//!   running on a per-thread alternate stack, asks the code registry
//!   whether the faulting pc is a known trap site; if so it records the
//!   trap kind and a frame-pointer backtrace in the innermost activation
//!   and rewrites the signal context so that the thread resumes in
//!   `wr_resume_trap`, which returns "trapped" from the entry.
//! - Without signals, it calls the `RaiseTrap` builtin (`wr_raise_trap`)
//!   with the trap's code; `raise_trap_at` records the kind and the
//!   backtrace the same way and jumps to `wr_resume_trap` itself. Such an
//!   engine never installs a signal handler or an alternate signal stack.
//!
//! Either way only wasm frames, trampolines and the raise path's own
//! frames (which own nothing) are skipped: builtins and host functions
//! never trap themselves, they return a flag and let compiled code trap
//! after they have returned.
//!
//! Backtraces are one frame-pointer walk (`walk_wasm_frames`), used for
//! both kinds of trap. A wasm trap starts it at the faulting frame; a trap
//! returned by a host function starts it at the wasm→host trampoline's
//! frame, which the trampoline hands to the host shim (`HostCall`), so its
//! frames do not depend on how the trampoline then unwinds. While a host
//! function called by wasm runs, its activation remembers that frame; a
//! walk continues through the enclosing activations of the same store from
//! there, so traps below nested host→wasm→host calls list every level.
//!
//! Faults that are not ours are passed to whatever handler was installed
//! before us, or to the default action.

use super::coredump;
#[cfg(target_arch = "aarch64")]
use super::entry_aarch64::JMPBUF_WORDS;
#[cfg(target_arch = "x86_64")]
use super::entry_x86_64::JMPBUF_WORDS;
use super::exn::{self, ExnRef};
use super::instance::{Instance, InstanceData};
use super::registry::{is_wasm_code, lookup_frame, lookup_trap, with_call_site};
use super::store::{Store, StoreInner};
use super::trap::{FrameInfo, Trap};
use crate::environ::builtins::trap_kind_of_raise_code;
use crate::environ::compiled_code::ExceptionHandler;
use crate::environ::trap_kind::TrapKind;
use crate::environ::val_raw::{ArrayToWasmTrampoline, ValRaw};
use std::cell::{Cell, UnsafeCell};
use std::mem::MaybeUninit;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Once;

mod signals;
use signals::{ensure_alt_stack, install_signal_handlers, AltStack};

#[cfg(not(all(
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64")
)))]
compile_error!(
    "wasm-runtime's trap handling supports Linux on x86-64 and AArch64 only: \
     the signal-context layout and the entry assembly are per platform"
);

extern "C" {
    fn wr_enter_wasm(
        jmpbuf: *mut usize,
        trampoline: ArrayToWasmTrampoline,
        wasm_call: *const u8,
        callee_vmctx: *mut u8,
        caller_vmctx: *mut u8,
        values: *mut ValRaw,
    ) -> u32;
    fn wr_resume_trap(jmpbuf: *mut usize) -> !;
    /// The `RaiseTrap` builtin: `(vmctx, code)`, never returns.
    pub(super) fn wr_raise_trap(vmctx: *mut u8, code: u32) -> !;
    /// The `ThrowRef` builtin: `(vmctx, exn)`, never returns (entered
    /// with the `tail` convention, whose first two arguments are C's).
    pub(super) fn wr_throw_ref(vmctx: *mut u8, exn: *mut u8) -> !;
    /// Resumes at handler `pc` with the given stack and frame pointers and
    /// the exception `exn` in the first payload register.
    fn wr_resume_exception(pc: usize, sp: usize, fp: usize, exn: *mut u8) -> !;
}

/// Frames recorded per trap, innermost first.
const MAX_TRACE: usize = 64;

/// Stack bytes kept free below the wasm stack limit for host functions
/// called from wasm, when the thread's stack is smaller than
/// `max_wasm_stack` allows for.
const HOST_STACK_RESERVE: usize = 128 * 1024;

/// Size of the alternate signal stack we install (plus a guard page).
const ALT_STACK_SIZE: usize = 64 * 1024;

/// One wasm frame found by a walk, not yet symbolicated.
#[derive(Clone, Copy)]
struct RawFrame {
    /// The frame's instruction: the faulting pc, or a return address minus
    /// one (inside the call instruction).
    pc: usize,
    /// The frame's frame pointer.
    fp: usize,
    /// `VMContext`s the frame's instance probably has, best first (null:
    /// none). The code does not say which instance runs it; the contexts
    /// known at the activation's edges are the candidates.
    vmctx_hints: [*mut u8; 2],
}

/// Up to `MAX_TRACE` raw frames, innermost first. Filled without
/// allocating, so the signal handler can use it.
struct RawTrace {
    frames: [MaybeUninit<RawFrame>; MAX_TRACE],
    /// The first `len` frames are initialised.
    len: usize,
}

impl RawTrace {
    const fn new() -> RawTrace {
        RawTrace {
            frames: [const { MaybeUninit::uninit() }; MAX_TRACE],
            len: 0,
        }
    }

    fn is_full(&self) -> bool {
        self.len == MAX_TRACE
    }

    /// Appends `frame`; false (and nothing recorded) when full.
    fn push(&mut self, frame: RawFrame) -> bool {
        let Some(slot) = self.frames.get_mut(self.len) else {
            return false;
        };
        slot.write(frame);
        self.len += 1;
        true
    }

    fn frames(&self) -> &[RawFrame] {
        // SAFETY: the first `len` slots were written by `push`.
        unsafe { std::slice::from_raw_parts(self.frames.as_ptr().cast(), self.len) }
    }
}

/// Where wasm of an activation called the host function now running.
#[derive(Clone, Copy)]
struct HostExit {
    /// Frame pointer of the wasm→host trampoline's frame (0: no host
    /// function called by this activation's wasm is running).
    fp: usize,
    /// `VMContext` of the wasm function that called the host function.
    caller_vmctx: *mut u8,
}

impl HostExit {
    const NONE: HostExit = HostExit {
        fp: 0,
        caller_vmctx: std::ptr::null_mut(),
    };
}

/// One host→wasm entry on this thread.
struct Activation {
    /// Saved registers of `wr_enter_wasm`; written and read by assembly.
    jmpbuf: UnsafeCell<[usize; JMPBUF_WORDS]>,
    /// The enclosing activation on this thread. A `Cell` because an async
    /// call's outermost activation is relinked onto whichever chain polls
    /// it next (`attach_activations`).
    prev: Cell<*const Activation>,
    /// The store whose wasm this entry runs: walks skip other stores'
    /// activations.
    store: *const StoreInner,
    /// The `VMContext` the entry was called with (the entered function's
    /// instance).
    entered_vmctx: *mut u8,
    /// Set by `HostCall` while a host function called by this entry's
    /// wasm runs.
    host_exit: Cell<HostExit>,
    /// Set by the signal handler or `raise_trap_at`.
    trap_kind: Cell<Option<TrapKind>>,
    /// Set by the host-function shim before it reports failure.
    host_trap: UnsafeCell<Option<Trap>>,
    /// The exception object of an `UncaughtException` trap: set by
    /// `throw_at` when no wasm frame of this entry catches it.
    uncaught: Cell<*mut u8>,
    /// The store's engine writes coredumps (`coredump_on_trap`): a trap
    /// keeps the stack and registers its frames' locals are in.
    coredump: bool,
}

impl Activation {
    /// The stack pointer `wr_enter_wasm` saved: every frame of this
    /// entry's wasm lies below it.
    fn entry_sp(&self) -> usize {
        // SAFETY: the jump buffer was filled by `wr_enter_wasm` before any
        // wasm of this entry ran; nothing writes it meanwhile.
        let jmpbuf = unsafe { &*self.jmpbuf.get() };
        #[cfg(target_arch = "x86_64")]
        let entry_sp = jmpbuf[6];
        #[cfg(target_arch = "aarch64")]
        let entry_sp = jmpbuf[12];
        entry_sp
    }
}

thread_local! {
    /// The innermost activation of this thread. Const-initialised and
    /// without a destructor, so the signal handler may read it.
    static CURRENT: Cell<*const Activation> = const { Cell::new(std::ptr::null()) };
    /// Lowest usable address of this thread's stack (0 = not known yet).
    static STACK_LOW: Cell<usize> = const { Cell::new(0) };
    /// The guard region (`start..end`, `0..0` for none) below the stack of
    /// the async call this thread is running, for the signal handler to
    /// tell a host function's overflow of that stack from other faults.
    static FIBER_GUARD: Cell<(usize, usize)> = const { Cell::new((0, 0)) };
    /// This thread's alternate signal stack, when we installed it.
    static ALT_STACK: UnsafeCell<Option<AltStack>> = const { UnsafeCell::new(None) };
    /// The frames of the trap being raised on this thread: written by the
    /// signal handler or `raise_trap_at` for the innermost activation (or
    /// by a failing host call), read by its entry right after it returns
    /// "trapped", so at most one trace is pending per thread. Kept here
    /// rather than in each `Activation` so that an entry's frame stays
    /// small: nested wasm→host→wasm calls each have one. Const-initialised
    /// and without a destructor, so the signal handler may use it.
    static TRAP_TRACE: UnsafeCell<RawTrace> = const { UnsafeCell::new(RawTrace::new()) };
}

/// Walks `act`'s frames from `start` into this thread's `TRAP_TRACE`,
/// replacing what it held; for an activation whose engine writes
/// coredumps, also keeps the stack the frames spill locals to (and the
/// trap's registers, `regs`, from a signal context) for the dump
/// (`coredump::snapshot`).
///
/// # Safety
/// As for [`walk_wasm_frames`]; no reference to the trace may be alive.
unsafe fn record_trap_trace(
    act: &Activation,
    start: WalkStart,
    regs: Option<&coredump::Registers>,
) {
    let low = start.low;
    let first = TRAP_TRACE.with(|trace| {
        // SAFETY: the caller guarantees no other reference to the trace
        // exists; the walk's own requirements are forwarded.
        unsafe {
            let trace = &mut *trace.get();
            trace.len = 0;
            walk_wasm_frames(act, start, trace);
            trace.frames().first().map(|f| (f.pc, f.fp))
        }
    });
    if let (true, Some(first)) = (act.coredump, first) {
        // SAFETY: `low` up to the entry's stack pointer is this thread's
        // live stack (forwarded from the caller).
        unsafe { coredump::snapshot(first, low, act.entry_sp(), regs) };
    }
}

/// A host function called by wasm, from the shim's entry to its return.
///
/// While it lives, the innermost activation (the one whose wasm made the
/// call) knows where its wasm left for the host, so walks from nested
/// entries can continue through its frames; a failure reported through
/// `fail` gets the frames below the call.
pub(crate) struct HostCall {
    /// The calling activation (null if none: not called from wasm).
    act: *const Activation,
    exit: HostExit,
    /// The activation's exit before this call, restored on drop.
    prev: HostExit,
}

impl HostCall {
    /// Starts a host call made by the wasm→host trampoline whose frame
    /// pointer is `exit_fp`, for the wasm function running with
    /// `caller_vmctx`.
    ///
    /// # Safety
    /// Must be called by the host shim on the thread running the wasm,
    /// with the trampoline's own frame pointer: the frame stays live, and
    /// the walk reads it, until the `HostCall` is dropped.
    pub(crate) unsafe fn begin(exit_fp: usize, caller_vmctx: *mut u8) -> HostCall {
        let act = CURRENT.with(|c| c.get());
        let exit = HostExit {
            fp: exit_fp,
            caller_vmctx,
        };
        let mut prev = HostExit::NONE;
        if !act.is_null() {
            // SAFETY: the innermost activation lives in `enter_wasm`'s
            // frame further up this thread's stack.
            let act = unsafe { &*act };
            prev = act.host_exit.replace(exit);
        }
        HostCall { act, exit, prev }
    }

    /// Records `trap` as the reason the host call failed, for the entry to
    /// return once the trampoline has unwound to it. With `wasm_backtrace`
    /// on, a trap without frames first gets the wasm frames below the
    /// call; with `coredump_on_trap` on, a trap without a coredump gets one
    /// (taken from those frames, walked for it even with `wasm_backtrace`
    /// off). Called by the shim just before it returns 0, outside its
    /// `catch_unwind`: nothing here panics (registry lookups never do, the
    /// store's locks recover from poisoning).
    pub(crate) fn fail(&self, store: &Store, trap: Trap) {
        if self.act.is_null() {
            return;
        }
        // SAFETY: as in `begin`; the activation outlives this call.
        let act = unsafe { &*self.act };
        let tunables = store.engine().tunables();
        let want_dump = tunables.coredump_on_trap && trap.coredump().is_none();
        let want_frames = tunables.wasm_backtrace || want_dump;
        let mut dump_frames = None;
        if want_frames && !trap.has_trace() && self.exit.fp != 0 {
            let start = WalkStart {
                pc: None,
                fp: self.exit.fp,
                low: self.exit.fp,
                vmctx: self.exit.caller_vmctx,
            };
            // SAFETY: `act` is this thread's innermost activation and the
            // trampoline's frame at `exit.fp` is live (see `begin`); no
            // trap is pending on the thread while a host function called
            // by wasm returns, so the trace is free.
            unsafe { record_trap_trace(act, start, None) };
            // SAFETY: written just above; read before anything else runs.
            let frames =
                TRAP_TRACE.with(|trace| symbolicate(store, unsafe { &*trace.get() }.frames()));
            if tunables.wasm_backtrace {
                trap.attach_trace(frames);
            } else {
                dump_frames = Some(frames);
            }
        }
        if want_dump {
            // The frames just attached, or those the trap already had.
            let frames = dump_frames.as_deref().unwrap_or(trap.trace());
            trap.attach_coredump(coredump::capture(frames));
        }
        // SAFETY: nothing else touches `host_trap` while the host runs.
        unsafe { *act.host_trap.get() = Some(trap) };
    }
}

impl Drop for HostCall {
    fn drop(&mut self) {
        if !self.act.is_null() {
            // SAFETY: as in `begin`.
            unsafe { (*self.act).host_exit.set(self.prev) };
        }
    }
}

/// Calls `trampoline(wasm_call, callee_vmctx, caller_vmctx, values)`,
/// catching traps.
///
/// # Safety
/// The trampoline must match the callee's signature, `values` must hold
/// `max(params, results)` slots with valid arguments, and the callee's code
/// and `VMContext` must belong to `store`.
pub(crate) unsafe fn enter_wasm(
    store: &Store,
    trampoline: ArrayToWasmTrampoline,
    wasm_call: *const u8,
    callee_vmctx: *mut u8,
    caller_vmctx: *mut u8,
    values: *mut ValRaw,
) -> Result<(), Trap> {
    prepare_thread(store)?;

    let limits = store.limits_ptr();
    // SAFETY: the limits live as long as the store; one thread at a time.
    let prev_limit = unsafe { (*limits).stack_limit };
    let thread = thread_token();
    let prev_owner = store.stack_limit_owner().replace(thread);
    if prev_limit == 0 || prev_owner != thread {
        // The outermost entry of this store on this thread sets the limit;
        // nested entries keep it, so wasm frames below host frames count.
        // (A store entered again from another thread while an outer call
        // waits gets that thread's own limit for the nested call.)
        let limit = stack_limit(store.engine().tunables().max_wasm_stack);
        // SAFETY: as above.
        unsafe { (*limits).stack_limit = limit };
    }

    let activation = Activation {
        jmpbuf: UnsafeCell::new([0; JMPBUF_WORDS]),
        prev: Cell::new(current_activation().cast()),
        store: store.as_raw(),
        entered_vmctx: callee_vmctx,
        host_exit: Cell::new(HostExit::NONE),
        trap_kind: Cell::new(None),
        host_trap: UnsafeCell::new(None),
        uncaught: Cell::new(std::ptr::null_mut()),
        coredump: store.engine().tunables().coredump_on_trap,
    };
    set_current_activation(&activation);
    // SAFETY: the caller guarantees the call is well-typed; the jump
    // buffer lives in this frame, which outlives the call, and on a trap
    // `wr_resume_trap` returns here having skipped only compiled frames.
    let trapped = unsafe {
        wr_enter_wasm(
            activation.jmpbuf.get().cast(),
            trampoline,
            wasm_call,
            callee_vmctx,
            caller_vmctx,
            values,
        )
    };
    // Through an out-of-line helper, like the push above: on a fiber the
    // call may have been suspended and resumed on another thread, and an
    // address of `CURRENT` computed before the call would be the old
    // thread's.
    set_current_activation(activation.prev.get());
    // SAFETY: as above.
    unsafe { (*limits).stack_limit = prev_limit };
    store.stack_limit_owner().set(prev_owner);

    if trapped == 0 {
        return Ok(());
    }
    Err(trap_of(store, &activation))
}

/// Makes this thread ready to run wasm of `store`: with signals-based
/// traps, the process's handlers and this thread's alternate signal stack.
/// Called by every entry, and by an async call before it resumes wasm that
/// may have been suspended on another thread.
pub(crate) fn prepare_thread(store: &Store) -> Result<(), Trap> {
    if store.engine().tunables().coredump_on_trap {
        coredump::prepare_thread();
    }
    if store.engine().config().signals_based_traps() {
        // Only engines whose code traps with signals need the handlers: an
        // embedder that turned the option off owns the signals.
        install_signal_handlers()?;
        ensure_alt_stack()?;
    }
    Ok(())
}

/// The activations an async call's fiber pushed, unlinked from the thread
/// while the fiber is suspended (see `detach_activations`).
#[derive(Clone, Copy)]
pub(crate) struct DetachedActivations {
    /// The fiber's innermost activation (null: it had none).
    innermost: *const Activation,
    /// Its outermost one, whose `prev` is the resumer's chain.
    outermost: *const Activation,
}

/// This thread's innermost activation, as an opaque token an async call
/// keeps to know where its own activations end. Out of line: code on a
/// fiber that may move threads must not cache a thread-local's address
/// across a suspension.
#[inline(never)]
pub(crate) fn current_activation() -> *const () {
    CURRENT.with(|c| c.get().cast())
}

/// Records `guard` (`start..end`, `0..0` for none) as the guard region of
/// the fiber stack this thread runs from now on; returns the previous one.
/// Out of line, as `current_activation`.
#[inline(never)]
pub(crate) fn swap_fiber_guard(guard: (usize, usize)) -> (usize, usize) {
    FIBER_GUARD.with(|g| g.replace(guard))
}

/// Makes `act` this thread's innermost activation. Out of line, as
/// `current_activation`.
#[inline(never)]
fn set_current_activation(act: *const Activation) {
    CURRENT.with(|c| c.set(act));
}

/// Unlinks from this thread the activations pushed since `base` (the
/// thread's innermost activation when the running fiber was resumed, from
/// `current_activation`), making `base` innermost again. Called on a fiber
/// right before it suspends, so that neither walks nor traps on the
/// resumer's side see frames of a stack that is not running.
///
/// # Safety
/// Must run on the fiber, whose activations were all pushed after `base`
/// became innermost; the result must be given to `attach_activations`
/// when the fiber is resumed, before any of its wasm runs.
#[inline(never)]
pub(crate) unsafe fn detach_activations(base: *const ()) -> DetachedActivations {
    let base: *const Activation = base.cast();
    let innermost = CURRENT.with(|c| c.get());
    let mut outermost = innermost;
    if innermost != base {
        // SAFETY: every activation from the innermost to `base` lives in an
        // `enter_wasm` frame on this fiber's stack, which is running.
        unsafe {
            while (*outermost).prev.get() != base {
                outermost = (*outermost).prev.get();
            }
        }
    } else {
        outermost = std::ptr::null();
    }
    CURRENT.with(|c| c.set(base));
    DetachedActivations {
        innermost: if outermost.is_null() {
            std::ptr::null()
        } else {
            innermost
        },
        outermost,
    }
}

/// Links a resumed fiber's activations onto this thread's chain, the
/// outermost of them inside the thread's innermost activation now.
///
/// # Safety
/// `detached` must come from `detach_activations` on this fiber, which is
/// running again (its activations live on its stack).
#[inline(never)]
pub(crate) unsafe fn attach_activations(detached: DetachedActivations) {
    if detached.outermost.is_null() {
        return;
    }
    let base = CURRENT.with(|c| c.get());
    // SAFETY: the outermost activation lives on the fiber's stack, which
    // is running (the caller's contract).
    unsafe { (*detached.outermost).prev.set(base) };
    CURRENT.with(|c| c.set(detached.innermost));
}

/// The stack limit for wasm running on a fiber whose usable stack is
/// `low..high`: `max_wasm_stack` below the top, but never closer to the
/// bottom than a reserve for host functions called by that wasm (a
/// quarter of the stack, at most `HOST_STACK_RESERVE`).
pub(crate) fn fiber_stack_limit(low: usize, high: usize, max_wasm_stack: usize) -> usize {
    let reserve = ((high - low) / 4).min(HOST_STACK_RESERVE);
    high.saturating_sub(max_wasm_stack).max(low + reserve)
}

/// The `Trap` an entry that returned "trapped" reports: the failed host
/// call's own trap, or one made from the kind, frames and exception the
/// trap path recorded in `activation` (with a coredump when the engine
/// asks for one). Out of line and cold so that `enter_wasm`'s frame, live
/// during every nested host→wasm call, holds none of this.
#[cold]
#[inline(never)]
fn trap_of(store: &Store, activation: &Activation) -> Trap {
    let kind = activation
        .trap_kind
        .get()
        .unwrap_or(TrapKind::UnreachableCodeReached);
    if kind == TrapKind::HostTrap {
        // The host call that failed recorded its trap, with its frames.
        // SAFETY: the activation is no longer reachable from the thread.
        if let Some(trap) = unsafe { (*activation.host_trap.get()).take() } {
            return trap;
        }
    }
    // SAFETY: `throw_at` stores only exception objects of this entry's
    // store (thrown by its wasm, or by a host function of it).
    let uncaught = unsafe { ExnRef::from_raw(store, activation.uncaught.get()) };
    // With `wasm_backtrace` off the trace is not symbolicated or kept: the
    // trap carries its kind and message only.
    // `coredump_on_trap` needs the frames for the dump even then.
    let tunables = store.engine().tunables();
    let mut frames = if tunables.wasm_backtrace || tunables.coredump_on_trap {
        // SAFETY: the handler is done with the trace: the entry returned.
        // and nothing else writes it before this entry's caller runs.
        TRAP_TRACE.with(|trace| symbolicate(store, unsafe { &*trace.get() }.frames()))
    } else {
        Vec::new()
    };
    // Nothing ran since the trap, so memories and globals are as it left
    // them.
    let dump = tunables
        .coredump_on_trap
        .then(|| coredump::capture(&frames));
    if !tunables.wasm_backtrace {
        frames.clear();
    }
    // An interrupt may come with the epoch deadline callback's reason, a
    // heap error with wmemcheck's description of it.
    let reason = match kind {
        TrapKind::Interrupt => store.take_interrupt_reason(),
        TrapKind::MemoryCheck => super::wmemcheck::take_error(),
        _ => None,
    };
    let trap = match (reason, uncaught) {
        (_, Some(exn)) if kind == TrapKind::UncaughtException => Trap::uncaught(exn, Some(frames)),
        (Some(reason), _) => {
            let trap = Trap::with_kind_and_message(kind, reason);
            trap.attach_trace(frames);
            trap
        }
        _ => Trap::from_kind(kind, frames),
    };
    if let Some(dump) = dump {
        trap.attach_coredump(dump);
    }
    trap
}

/// Raises the trap with `RaiseTrap` code `code` for wasm code running in
/// this thread's innermost activation, and resumes at its entry: the
/// signal handler's work, for code compiled without signals-based traps.
/// Entered from `wr_raise_trap` with the trapping wasm frame's return
/// address `pc`, frame pointer `fp` and stack pointer `sp`.
///
/// Owns nothing and runs no destructors, so jumping out of it to
/// `wr_resume_trap` (over its own frame, `wr_raise_trap`'s and the wasm
/// frames) skips nothing that needs to run. It may run a little below the
/// wasm stack limit (a stack overflow is raised from there), within the
/// reserve the limit leaves for the host.
///
/// # Safety
/// Only compiled wasm code may call it (through `wr_raise_trap`), so an
/// activation of this thread is live and `fp`..`sp` is its stack.
pub(super) unsafe extern "C" fn raise_trap_at(code: u32, pc: usize, fp: usize, sp: usize) -> ! {
    let act = CURRENT.with(|c| c.get());
    let Some(kind) = trap_kind_of_raise_code(code) else {
        fatal(b"wasm-runtime: compiled code raised an unknown trap code\n")
    };
    if act.is_null() {
        fatal(b"wasm-runtime: a trap was raised outside any wasm call\n")
    }
    // SAFETY: `act` is this thread's innermost activation, alive in
    // `enter_wasm`'s frame; wasm code of it is the only code running on
    // this thread, so nothing else touches it. `pc - 1` lies in the call
    // that raised the trap, the position backtraces report for it; `fp`
    // and `sp` are the raising wasm frame's, live until we jump.
    unsafe {
        let act = &*act;
        if kind == TrapKind::HostTrap {
            // A host function that failed by throwing (`Trap::throw`, or
            // an uncaught exception it passes on): the exception goes on
            // from the wasm→host trampoline's frame, the one raising.
            let thrown = (*act.host_trap.get())
                .as_ref()
                .and_then(|t| t.exception())
                .filter(|e| e.store().as_raw() == act.store)
                .map(|e| e.as_raw());
            if let Some(exn) = thrown {
                if let Some(handler) = find_handler(act, exn, pc, fp, sp) {
                    // Caught: the host's trap is done with.
                    drop((*act.host_trap.get()).take());
                    wr_resume_exception(handler.pc, handler.sp, handler.fp, exn)
                }
                // Not caught: the entry returns the host's trap, an
                // uncaught exception already, with its frames.
            }
        }
        trap_at_call(act, kind, pc, fp, sp)
    }
}

/// Records trap `kind` for the wasm frame whose call into the runtime
/// returns to `pc` (frame pointer `fp`, stack pointer `sp`), with its
/// frames unless a host trap's `HostCall` took them, and resumes at the
/// activation's entry.
///
/// # Safety
/// `act` must be the thread's innermost activation and `pc`, `fp`, `sp`
/// describe a live wasm frame of it; nothing may need to run between
/// here and the entry (see `raise_trap_at`).
unsafe fn trap_at_call(act: &Activation, kind: TrapKind, pc: usize, fp: usize, sp: usize) -> ! {
    act.trap_kind.set(Some(kind));
    if kind != TrapKind::HostTrap {
        // `pc - 1` lies in the call, the position backtraces report.
        let start = WalkStart {
            pc: Some(pc.wrapping_sub(1)),
            fp,
            low: sp,
            vmctx: act.entered_vmctx,
        };
        // SAFETY: forwarded from the caller.
        unsafe { record_trap_trace(act, start, None) };
    }
    // SAFETY: the jump buffer was filled by this activation's entry.
    unsafe { wr_resume_trap(act.jmpbuf.get().cast()) }
}

/// Throws the exception object `exn` for wasm code running in this
/// thread's innermost activation: resumes at the first matching handler
/// of its wasm frames, or, when none catches it, raises
/// `UncaughtException` at the activation's entry. Entered from
/// `wr_throw_ref` with the throwing wasm frame's return address `pc`,
/// frame pointer `fp` and stack pointer `sp`. Like `raise_trap_at` it owns
/// nothing and runs no destructors, so jumping out of it skips nothing
/// that needs to run: only wasm frames lie between it and the handler.
///
/// # Safety
/// Only compiled wasm code may call it (through `wr_throw_ref`), with a
/// non-null exception object of the running store.
pub(super) unsafe extern "C" fn throw_at(exn: *mut u8, pc: usize, fp: usize, sp: usize) -> ! {
    let act = CURRENT.with(|c| c.get());
    if act.is_null() {
        fatal(b"wasm-runtime: an exception was thrown outside any wasm call\n")
    }
    // SAFETY: as in `raise_trap_at`: `act` is the innermost activation,
    // and `pc`, `fp` and `sp` describe live wasm frames of it.
    unsafe {
        let act = &*act;
        if let Some(handler) = find_handler(act, exn, pc, fp, sp) {
            wr_resume_exception(handler.pc, handler.sp, handler.fp, exn)
        }
        act.uncaught.set(exn);
        trap_at_call(act, TrapKind::UncaughtException, pc, fp, sp)
    }
}

/// Where a caught exception resumes.
struct Resume {
    /// The handler's first instruction.
    pc: usize,
    /// The handler frame's stack pointer at its call.
    sp: usize,
    /// The handler frame's frame pointer.
    fp: usize,
}

/// The first handler for `exn` among the wasm frames of `act`, innermost
/// first, starting with the frame whose frame pointer is `fp` and whose
/// call returns to `pc`. Each frame's call is looked up in the code
/// registry; its exception table is read in order: a context entry names
/// the frame's `VMContext` (read from the frame), a tag entry matches when
/// that instance's tag of the entry's index is the exception's tag (the
/// same record: imported tags are their exporter's), a default entry
/// always matches. The walk ends at the first return address outside
/// compiled code or frame pointer outside the activation's stack: frames
/// of the host, and of enclosing activations, are never unwound.
///
/// # Safety
/// `act` must be the thread's innermost activation, `fp` a live frame of
/// it at or above `low`, and `exn` an exception object of its store.
unsafe fn find_handler(
    act: &Activation,
    exn: *mut u8,
    mut pc: usize,
    mut fp: usize,
    low: usize,
) -> Option<Resume> {
    // SAFETY: forwarded from the caller: `exn` is a live object.
    let tag = unsafe { exn::tag_of(NonNull::new(exn.cast())?) };
    let entry_sp = act.entry_sp();
    loop {
        if fp < low || fp >= entry_sp || fp % 8 != 0 || !is_wasm_code(pc) {
            return None;
        }
        let found = with_call_site(pc, |start, site| {
            let sp = fp.checked_sub(site.frame_offset as usize)?;
            let mut vmctx: *mut u8 = std::ptr::null_mut();
            for handler in &site.handlers {
                match *handler {
                    ExceptionHandler::Context { sp_offset } => {
                        // SAFETY: the compiler spilled the frame's
                        // `VMContext` to this slot of the live frame for
                        // the call.
                        vmctx = unsafe { *((sp + sp_offset as usize) as *const *mut u8) };
                    }
                    ExceptionHandler::Tag { tag: index, target } => {
                        // SAFETY: a non-null context is the frame's own
                        // live instance's `VMContext`.
                        let matches = !vmctx.is_null()
                            && unsafe { InstanceData::from_vmctx(vmctx) }.tag(index) == Some(tag);
                        if matches {
                            return Some(Resume {
                                pc: start + target as usize,
                                sp,
                                fp,
                            });
                        }
                    }
                    ExceptionHandler::Default { target } => {
                        return Some(Resume {
                            pc: start + target as usize,
                            sp,
                            fp,
                        })
                    }
                }
            }
            None
        });
        if found.is_some() {
            return found;
        }
        // SAFETY: `fp` is an aligned frame pointer of this activation's
        // live stack (checked above); its record holds the caller's frame
        // pointer and the return address into it.
        let (next_fp, ret) = unsafe { (*(fp as *const usize), *(fp as *const usize).add(1)) };
        if next_fp <= fp {
            return None;
        }
        pc = ret;
        fp = next_fp;
    }
}

/// Reports a broken invariant of the trap path and aborts: nothing can be
/// unwound or returned to from here.
fn fatal(message: &[u8]) -> ! {
    // SAFETY: writing a byte buffer to stderr.
    unsafe { libc::write(2, message.as_ptr().cast(), message.len()) };
    std::process::abort()
}

/// Frame information for the raw frames of a walk. A frame's instance is
/// the first of its hinted `VMContext`s whose module's code it is, else
/// the store's first instance of that module.
fn symbolicate(store: &Store, raw: &[RawFrame]) -> Vec<FrameInfo> {
    raw.iter()
        .filter_map(|frame| {
            let loc = lookup_frame(frame.pc)?;
            let instance = frame
                .vmctx_hints
                .iter()
                .filter(|vmctx| !vmctx.is_null())
                .filter_map(|&vmctx| store.instance_by_vmctx(vmctx))
                // SAFETY: instances live as long as their store.
                .find(|data| unsafe { data.as_ref() }.module().code_id() == loc.code_id)
                .or_else(|| store.instance_by_code_id(loc.code_id))
                .map(|data| Instance::from_data(store, data));
            Some(FrameInfo {
                instance,
                func_index: loc.func_index,
                func_offset: loc.func_offset.unwrap_or(0),
                module_offset: loc.module_offset.unwrap_or(0),
                native: (frame.pc, frame.fp),
            })
        })
        .collect()
}

/// A token unique to the calling thread while it lives: the address of one
/// of its thread-locals. Out of line, as `current_activation`.
#[inline(never)]
pub(crate) fn thread_token() -> usize {
    CURRENT.with(|c| c as *const Cell<*const Activation> as usize)
}

/// The address of a local: close enough to the stack pointer.
#[inline(never)]
fn approximate_sp() -> usize {
    let marker = 0u8;
    std::hint::black_box(&marker) as *const u8 as usize
}

/// The stack limit for an outermost entry from here: `max_wasm_stack`
/// below the current stack pointer, but never closer to the end of the
/// thread's stack than `HOST_STACK_RESERVE`.
fn stack_limit(max_wasm_stack: usize) -> usize {
    let sp = approximate_sp();
    let limit = sp.saturating_sub(max_wasm_stack).max(1);
    match thread_stack_low() {
        Some(low) => limit.max(low.saturating_add(HOST_STACK_RESERVE)),
        None => limit,
    }
}

/// The lowest address of this thread's stack, when the OS tells us.
fn thread_stack_low() -> Option<usize> {
    let cached = STACK_LOW.with(|c| c.get());
    if cached != 0 {
        return Some(cached);
    }
    let mut attr = MaybeUninit::<libc::pthread_attr_t>::uninit();
    // SAFETY: `pthread_getattr_np` initialises `attr` on success, which we
    // destroy after reading the stack bounds.
    let low = unsafe {
        if libc::pthread_getattr_np(libc::pthread_self(), attr.as_mut_ptr()) != 0 {
            return None;
        }
        let mut addr: *mut libc::c_void = std::ptr::null_mut();
        let mut size: libc::size_t = 0;
        let rc = libc::pthread_attr_getstack(attr.as_ptr(), &mut addr, &mut size);
        libc::pthread_attr_destroy(attr.as_mut_ptr());
        if rc != 0 || addr.is_null() {
            return None;
        }
        addr as usize
    };
    STACK_LOW.with(|c| c.set(low));
    Some(low)
}

/// Where a walk starts in the innermost activation.
struct WalkStart {
    /// The faulting pc of a wasm trap: the innermost frame.
    pc: Option<usize>,
    /// The first frame pointer to read: the faulting wasm function's, or
    /// the wasm→host trampoline's for a host call.
    fp: usize,
    /// The lowest stack address the walk may read (the trapping stack
    /// pointer, or `fp` itself).
    low: usize,
    /// The `VMContext` of the innermost frame when known (null if not).
    vmctx: *mut u8,
}

/// Records the wasm frames of this thread's stack, innermost first: those
/// of the innermost activation from `start`, then those of each enclosing
/// activation of the same store from where its wasm called the host
/// function that entered the next one. Stops at an enclosing activation of
/// the store that is not in such a call (its frames are not known), or
/// when `out` is full. Signal safe.
///
/// # Safety
/// `act` must be the thread's innermost activation, and `start` describe
/// live frames of it.
unsafe fn walk_wasm_frames(act: &Activation, start: WalkStart, out: &mut RawTrace) {
    if let Some(pc) = start.pc {
        out.push(RawFrame {
            pc,
            fp: start.fp,
            vmctx_hints: [act.entered_vmctx, std::ptr::null_mut()],
        });
    }
    // SAFETY: forwarded from the caller.
    unsafe { walk_activation(act, start.fp, start.low, start.vmctx, out) };
    let mut outer = act.prev.get();
    while !outer.is_null() && !out.is_full() {
        // SAFETY: enclosing activations live in `enter_wasm` frames further
        // up this thread's stack, each waiting for the one inside it.
        let a = unsafe { &*outer };
        outer = a.prev.get();
        if a.store != act.store {
            continue;
        }
        let exit = a.host_exit.get();
        if exit.fp == 0 {
            break;
        }
        // SAFETY: `exit` was set by the `HostCall` of a host function that
        // is still running (it entered the activations inside `a`), so the
        // trampoline frame at `exit.fp` and the wasm frames above it live.
        unsafe { walk_activation(a, exit.fp, exit.fp, exit.caller_vmctx, out) };
    }
}

/// Follows the frame-pointer chain of one activation from `fp`, recording
/// each return address that is in compiled code. Every frame pointer read
/// is checked to lie between `low` and the entry's stack pointer, so only
/// live stack memory is touched. `first_vmctx`, when known, is the
/// instance of the first frame found; the others are presumed to be the
/// entered instance's, then the first one's. Signal safe.
///
/// # Safety
/// `[low, entry sp)` must be live stack of this thread holding the
/// activation's frames, `fp` one of them (or out of that range).
unsafe fn walk_activation(
    act: &Activation,
    mut fp: usize,
    low: usize,
    first_vmctx: *mut u8,
    out: &mut RawTrace,
) {
    let entry_sp = act.entry_sp();
    let mut hints = [first_vmctx, act.entered_vmctx];
    while fp >= low && fp < entry_sp && fp % 8 == 0 {
        // SAFETY: `fp` is an aligned address of this thread's live stack
        // (between `low` and the entry's sp).
        let (next_fp, ret) = unsafe { (*(fp as *const usize), *(fp as *const usize).add(1)) };
        if !is_wasm_code(ret) {
            break;
        }
        // A return address points after the call; look up the call.
        if !out.push(RawFrame {
            pc: ret.wrapping_sub(1),
            fp: next_fp,
            vmctx_hints: hints,
        }) {
            break;
        }
        hints = [act.entered_vmctx, first_vmctx];
        if next_fp <= fp {
            break;
        }
        fp = next_fp;
    }
}

/// Where a GC stack walk starts: the wasm frame that called an
/// allocation builtin, as its shim saw it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SafepointFrame {
    /// The return address of the builtin call.
    pub(crate) pc: usize,
    /// The frame's stack pointer at the call.
    pub(crate) sp: usize,
    /// The frame's frame pointer.
    pub(crate) fp: usize,
}

/// Calls `slot` with the address of every stack slot that holds a GC
/// reference of `store` in the wasm frames of this thread: from `start`
/// (the allocating frame) when given, else from where the innermost
/// activation of the store called the host, then through each enclosing
/// activation of the store that is in a host call. Each frame's stack map
/// is the one of the call it is stopped at (its return address), with
/// offsets from its stack pointer at that call (the callee's frame
/// pointer plus two words).
///
/// # Safety
/// `start`, when given, must describe a live wasm frame of the thread's
/// innermost activation, stopped at a call.
pub(crate) unsafe fn walk_gc_stack(
    store: *const StoreInner,
    start: Option<SafepointFrame>,
    slot: &mut dyn FnMut(usize),
) {
    let mut act = CURRENT.with(|c| c.get());
    let mut first = start;
    while !act.is_null() {
        // SAFETY: activations live in `enter_wasm` frames up this thread's
        // stack, each waiting for the one inside it.
        let a = unsafe { &*act };
        act = a.prev.get();
        if a.store != store {
            continue;
        }
        let frame = match first.take() {
            Some(frame) => frame,
            None => {
                let exit = a.host_exit.get();
                if exit.fp == 0 {
                    // Not in a host call: its wasm frames (if any) are
                    // not reachable from here.
                    continue;
                }
                // SAFETY: the trampoline frame of a running host call.
                let (next_fp, ret) = unsafe {
                    (
                        *(exit.fp as *const usize),
                        *(exit.fp as *const usize).add(1),
                    )
                };
                SafepointFrame {
                    pc: ret,
                    sp: exit.fp + 16,
                    fp: next_fp,
                }
            }
        };
        // SAFETY: forwarded: `frame` is a live frame of activation `a`.
        unsafe { walk_gc_activation(a, frame, slot) };
    }
}

/// The frames of one activation from `frame` outwards (see
/// `walk_gc_stack`).
///
/// # Safety
/// `frame` must be a live wasm frame of `act`, stopped at a call.
unsafe fn walk_gc_activation(
    act: &Activation,
    mut frame: SafepointFrame,
    slot: &mut dyn FnMut(usize),
) {
    let entry_sp = act.entry_sp();
    loop {
        if !is_wasm_code(frame.pc) {
            return;
        }
        super::registry::with_stack_map(frame.pc, |map| {
            for &offset in map.sp_offsets.iter() {
                slot(frame.sp + offset as usize);
            }
        });
        let fp = frame.fp;
        if fp < frame.sp || fp >= entry_sp || fp % 8 != 0 {
            return;
        }
        // SAFETY: `fp` is an aligned address of this thread's live stack,
        // between the frame's stack pointer and the entry's.
        let (next_fp, ret) = unsafe { (*(fp as *const usize), *(fp as *const usize).add(1)) };
        frame = SafepointFrame {
            pc: ret,
            sp: fp + 16,
            fp: next_fp,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stand-in trampoline: ignores the callee and writes 42 into the
    /// first value slot, so the entry's normal return path is exercised.
    unsafe extern "C" fn fake_trampoline(
        _wasm_call: *const u8,
        callee_vmctx: *mut u8,
        caller_vmctx: *mut u8,
        values: *mut ValRaw,
    ) {
        assert_eq!(callee_vmctx as usize, 0x1000);
        assert_eq!(caller_vmctx as usize, 0x2000);
        // SAFETY: the test passes one slot.
        unsafe { *values = ValRaw::from_i32(42) };
    }

    #[test]
    fn entry_returns_normally_and_restores_limits() {
        let engine = crate::engine::Engine::default();
        let store = Store::new(&engine);
        let mut values = [ValRaw::default()];
        // SAFETY: the fake trampoline touches only `values`.
        let r = unsafe {
            enter_wasm(
                &store,
                fake_trampoline,
                std::ptr::null(),
                0x1000 as *mut u8,
                0x2000 as *mut u8,
                values.as_mut_ptr(),
            )
        };
        assert!(r.is_ok());
        assert_eq!(values[0].get_i32(), 42);
        // SAFETY: reading the store's limits on its own thread.
        assert_eq!(unsafe { (*store.limits_ptr()).stack_limit }, 0);
        assert!(CURRENT.with(|c| c.get()).is_null());
    }

    #[test]
    fn stack_limit_is_below_sp_by_at_most_max() {
        let sp = approximate_sp();
        let limit = stack_limit(512 * 1024);
        assert!(limit < sp);
        assert!(sp - limit <= 512 * 1024 + 4096);
    }
}
