//! Fibers: a closure running on a separate native stack that can suspend
//! back to whoever resumed it and be resumed again later.
//!
//! This is the primitive under async calls (`runtime::async_call`): a wasm
//! call runs on a fiber, suspends when a host function waits or fuel or
//! epochs ask it to yield, and is resumed by polling; `docs/internals.md`
//! ("Fibers", "Async calls") describes the integration.
//!
//! ```text
//!   resumer                         fiber (own stack)
//!   fiber.resume(r0) ───switch───▶  func(r0, suspend) starts
//!                                   suspend.suspend(y1) ──┐
//!   Err(y1)  ◀────────switch──────────────────────────────┘
//!   fiber.resume(r1) ───switch───▶  ...returns r1 from suspend()
//!                                   func returns ret
//!   Ok(ret)  ◀────────switch──────  (the fiber is done)
//! ```
//!
//! # How it works
//!
//! `Fiber::new` writes, at the top of the stack, the `Suspend` record
//! (both sides' saved stack pointers and a one-message channel), the
//! closure, and an initial switch frame (`x86_64.rs`, `aarch64.rs`) whose
//! first resume calls `fiber_entry`. A switch saves the callee-saved
//! registers on the current stack and loads the other side's, so a
//! resume or a suspend costs one call and a few loads and stores; values
//! travel through the channel, by move, never through registers. Creating
//! a fiber allocates nothing beyond its stack.
//!
//! # Panics
//!
//! A panic never unwinds across a switch: `fiber_entry` catches it on the
//! fiber (the stack is then finished) and `resume` re-raises it on the
//! resumer's side with `resume_unwind`. `fiber_entry` is `extern "C"`, so
//! anything that escaped it anyway would abort, not unwind into assembly.
//!
//! # Dropping
//!
//! An unstarted fiber drops its closure; a finished one has nothing left
//! to drop. A *suspended* fiber is different: its stack holds live frames
//! (locals with destructors, borrows, locks, and later wasm activations
//! and host calls) that only running to completion can finish properly.
//! Freeing the stack under them is unsound (a pinned value or a scoped
//! thread's data on that stack may still be referenced), unwinding them
//! by force is not possible either (the integration suspends below wasm
//! frames, which must never be unwound across), and leaking them would
//! keep whatever they hold (a store borrow, a lock) held forever, a bug
//! that surfaces far from its cause. So **dropping a suspended fiber
//! aborts the process** with a message saying so. The rule the integration
//! follows: before dropping a fiber it started, resume it to completion;
//! to cancel, resume it with a "cancel" value that makes its wasm trap and
//! its closure return. `into_stack` refuses (returns the fiber) while it
//! is suspended.
//!
//! # Threads
//!
//! A fiber runs on whichever thread resumes it, and sees that thread's
//! thread-locals, `std::thread::current()` and alternate signal stack.
//! `Fiber` is not `Send`, so it is resumed only by the thread that made
//! it. `SendFiber` may move to another thread between resumes; making one
//! is `unsafe`, because the compiler cannot check what the closure's
//! frames hold across a suspension (unlike an `async fn`'s state): see
//! `SendFiber::new` for the requirements.

#![doc(hidden)]
// Not API: public only so that `tests/fiber.rs` (a separate crate) can
// reach it; the runtime uses it through `async_call`.

#[cfg(target_arch = "aarch64")]
mod aarch64;
mod stack;
mod valgrind;
#[cfg(target_arch = "x86_64")]
mod x86_64;

#[cfg(target_arch = "aarch64")]
use aarch64 as arch;
#[cfg(target_arch = "x86_64")]
use x86_64 as arch;

pub use stack::{FiberStack, GUARD_SIZE};
pub use valgrind::running_on_valgrind;

use std::any::Any;
use std::cell::Cell;
use std::marker::PhantomData;
use std::mem::{align_of, size_of, ManuallyDrop};
use std::panic::{self, AssertUnwindSafe};
use std::ptr::{self, NonNull};

/// What the initial frame calls: `(suspend record, closure)`.
type EntryFn = unsafe extern "C" fn(*mut u8, *mut u8) -> !;

extern "C" {
    /// Saves the current context on the current stack and its stack
    /// pointer in `*save`, then continues the context saved at `to`
    /// (`x86_64.rs`, `aarch64.rs`). Returns when something switches back
    /// to the saved stack pointer.
    fn wr_fiber_switch(save: *mut *mut u8, to: *mut u8);
}

/// A message from one side of a fiber to the other.
enum Message<Resume, Yield, Return> {
    /// Nothing in transit.
    Empty,
    /// Resumer → fiber.
    Resume(Resume),
    /// Fiber → resumer: suspended.
    Yield(Yield),
    /// Fiber → resumer: the closure returned.
    Return(Return),
    /// Fiber → resumer: the closure panicked.
    Panic(Box<dyn Any + Send>),
}

/// The fiber's side: handed to the closure, which suspends through it.
///
/// It lives at the top of the fiber's stack, so its address never changes
/// while the fiber lives. Not `Send` or `Sync`: it is only reachable from
/// code running on the fiber.
pub struct Suspend<Resume, Yield, Return> {
    /// The resumer's stack pointer, saved by `resume` while the fiber
    /// runs.
    parent_sp: Cell<*mut u8>,
    /// The fiber's stack pointer, saved while it is suspended (at first:
    /// the initial frame).
    fiber_sp: Cell<*mut u8>,
    /// The value in transit; `Empty` whenever neither side is switching.
    channel: Cell<Message<Resume, Yield, Return>>,
}

impl<Resume, Yield, Return> Suspend<Resume, Yield, Return> {
    /// Suspends the fiber: `resume` returns `Err(value)` to the resumer,
    /// and this returns the value of the next `resume`.
    pub fn suspend(&self, value: Yield) -> Resume {
        self.channel.set(Message::Yield(value));
        // SAFETY: a `&Suspend` is only reachable from code running on
        // this fiber (it is handed to the closure, and is neither `Send`
        // nor `Sync`), so the fiber is running and `parent_sp` holds the
        // context of the `resume` that runs it, which waits for exactly
        // this switch.
        unsafe { wr_fiber_switch(self.fiber_sp.as_ptr(), self.parent_sp.get()) };
        match self.channel.replace(Message::Empty) {
            Message::Resume(value) => value,
            _ => protocol_violation("a fiber was continued without a resume value"),
        }
    }
}

/// Where a fiber is in its life.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum State {
    /// Created; the closure is on the stack, not run yet.
    Unstarted,
    /// Switched away in `Suspend::suspend`.
    Suspended,
    /// The closure returned or panicked; only the stack is left.
    Done,
}

/// A closure on its own stack, run and continued by `resume`.
///
/// `Resume` values go in (the closure's first argument, then the result of
/// each `Suspend::suspend`), `Yield` values come out of each suspension,
/// and the closure's `Return` value ends it. The fiber borrows for `'a`
/// whatever its closure borrows.
///
/// Not `Send`: see `SendFiber`. Dropping a suspended fiber aborts (see the
/// module documentation for why).
pub struct Fiber<'a, Resume, Yield, Return> {
    /// The stack; taken out by `into_stack`, dropped by `drop` otherwise.
    stack: ManuallyDrop<FiberStack>,
    /// The `Suspend` record at the top of the stack.
    suspend: NonNull<Suspend<Resume, Yield, Return>>,
    /// The closure, on the stack below the record; owned by the fiber
    /// only while `Unstarted` (the first resume moves it out).
    func: *mut u8,
    /// Drops the closure at `func` in place (for an unstarted fiber).
    drop_func: unsafe fn(*mut u8),
    state: State,
    /// The closure's borrows; invariant in the message types, which flow
    /// both ways (and no `Send`/`Sync`: the raw pointers say so too).
    _marker: PhantomData<(&'a (), *mut (Resume, Yield, Return))>,
}

impl<'a, Resume, Yield, Return> Fiber<'a, Resume, Yield, Return> {
    /// A fiber that will run `func` on `stack` at the first `resume`.
    ///
    /// The `Suspend` record and the closure are stored at the top of the
    /// stack (a closure capturing large values by value uses that much of
    /// the stack while it runs anyway).
    ///
    /// # Panics
    /// When the record, the closure and the initial frame do not fit in
    /// the stack.
    pub fn new<F>(stack: FiberStack, func: F) -> Self
    where
        F: FnOnce(Resume, &Suspend<Resume, Yield, Return>) -> Return + 'a,
    {
        let top = stack.top();
        let bottom = stack.bottom() as usize;
        let record_at = place_below::<Suspend<Resume, Yield, Return>>(top as usize);
        let func_at = record_at.and_then(place_below::<F>);
        let frame_top = func_at.map(|a| a & !15);
        let Some(frame_top) = frame_top.filter(|&t| {
            t.checked_sub(arch::INITIAL_FRAME_SIZE)
                .is_some_and(|sp| sp >= bottom)
        }) else {
            panic!(
                "a fiber stack of {} bytes is too small for a closure of {} bytes",
                stack.len(),
                size_of::<F>()
            );
        };
        let (record_at, func_at) = (record_at.unwrap(), func_at.unwrap());
        let record = top
            .with_addr(record_at)
            .cast::<Suspend<Resume, Yield, Return>>();
        let func_ptr = top.with_addr(func_at);
        // SAFETY: the three regions lie inside the stack's usable bytes
        // (checked above: the lowest, the initial frame, ends at or above
        // the bottom), do not overlap (each is placed below the previous
        // one), and are aligned for what they hold. The stack owns that
        // memory and nothing else uses it yet.
        let sp = unsafe {
            record.write(Suspend {
                parent_sp: Cell::new(ptr::null_mut()),
                fiber_sp: Cell::new(ptr::null_mut()),
                channel: Cell::new(Message::Empty),
            });
            func_ptr.cast::<F>().write(func);
            arch::initial_frame(
                top.with_addr(frame_top),
                fiber_entry::<F, Resume, Yield, Return>,
                record.cast(),
                func_ptr,
            )
        };
        // SAFETY: `record` was just initialised, and stays valid (it is
        // never moved) until the stack is dropped.
        unsafe { (*record).fiber_sp.set(sp) };
        Fiber {
            stack: ManuallyDrop::new(stack),
            suspend: NonNull::new(record).expect("a stack address is never null"),
            func: func_ptr,
            drop_func: drop_in_place_as::<F>,
            state: State::Unstarted,
            _marker: PhantomData,
        }
    }

    /// Runs the fiber until it suspends (`Err` with the suspension's value)
    /// or its closure returns (`Ok`). The first resume passes `value` as
    /// the closure's first argument, later ones as the result of the
    /// `suspend` call the fiber is waiting in.
    ///
    /// # Panics
    /// Re-raises, here, a panic of the closure (the fiber is then done).
    /// Panics when the fiber is already done.
    pub fn resume(&mut self, value: Resume) -> Result<Return, Yield> {
        assert!(
            self.state != State::Done,
            "resumed a fiber that has already finished"
        );
        let record = self.suspend;
        // SAFETY: the record was initialised by `new` and lives at the top
        // of the stack, which `self` owns, so it outlives this call; only
        // shared references to it exist (its fields are cells). The
        // reference is not tied to `self`, so the state can change meanwhile.
        let suspend = unsafe { record.as_ref() };
        suspend.channel.set(Message::Resume(value));
        // From here on the closure is the fiber's (it moves it out first).
        self.state = State::Suspended;
        // SAFETY: the fiber is unstarted or suspended (not done, checked
        // above), so `fiber_sp` holds its initial frame or the context its
        // `suspend` saved, on a stack that lives as long as `self`; `&mut
        // self` means no other resume of it is running. The fiber comes
        // back by switching to the context saved in `parent_sp`.
        unsafe { wr_fiber_switch(suspend.parent_sp.as_ptr(), suspend.fiber_sp.get()) };
        match suspend.channel.replace(Message::Empty) {
            Message::Yield(value) => Err(value),
            Message::Return(value) => {
                self.state = State::Done;
                Ok(value)
            }
            Message::Panic(payload) => {
                self.state = State::Done;
                panic::resume_unwind(payload)
            }
            _ => protocol_violation("a fiber switched back without a message"),
        }
    }

    /// Whether the closure has returned (or panicked).
    pub fn done(&self) -> bool {
        self.state == State::Done
    }

    /// Whether the fiber is waiting in `Suspend::suspend` (it must be
    /// resumed to completion before it is dropped).
    pub fn is_suspended(&self) -> bool {
        self.state == State::Suspended
    }

    /// The stack the fiber runs on.
    pub fn stack(&self) -> &FiberStack {
        &self.stack
    }

    /// The stack back, for another fiber, once this one is done or if it
    /// never started (its closure is dropped). `Err(self)` while it is
    /// suspended.
    pub fn into_stack(self) -> Result<FiberStack, Self> {
        if self.state == State::Suspended {
            return Err(self);
        }
        let mut this = ManuallyDrop::new(self);
        // SAFETY: `this` is never used or dropped again, so the stack is
        // moved out exactly once.
        let stack = unsafe { ManuallyDrop::take(&mut this.stack) };
        this.drop_contents();
        Ok(stack)
    }

    /// Drops what an unstarted or finished fiber still owns on its stack
    /// (not the stack itself).
    fn drop_contents(&mut self) {
        debug_assert_ne!(self.state, State::Suspended);
        let unstarted = self.state == State::Unstarted;
        self.state = State::Done;
        // SAFETY: the record was initialised by `new` and is dropped only
        // here, once (the state is now `Done`, and this is only called when
        // the fiber goes away); its channel is `Empty` (nothing is in
        // transit outside a resume).
        unsafe { ptr::drop_in_place(self.suspend.as_ptr()) };
        if unstarted {
            // SAFETY: an unstarted fiber still owns its closure at `func`,
            // written by `new` with the type `drop_func` was made for.
            unsafe { (self.drop_func)(self.func) };
        }
    }
}

impl<Resume, Yield, Return> Drop for Fiber<'_, Resume, Yield, Return> {
    fn drop(&mut self) {
        if self.state == State::Suspended {
            abort_suspended_drop();
        }
        // Taken first, so that the stack is still freed if dropping the
        // closure panics.
        // SAFETY: `drop` runs once and nothing uses `self.stack` after.
        let _stack = unsafe { ManuallyDrop::take(&mut self.stack) };
        self.drop_contents();
    }
}

impl<Resume, Yield, Return> std::fmt::Debug for Fiber<'_, Resume, Yield, Return> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fiber")
            .field("state", &self.state)
            .field("stack", &*self.stack)
            .finish()
    }
}

/// A `Fiber` that may be resumed on another thread than the one that made
/// it or last resumed it.
#[derive(Debug)]
pub struct SendFiber<'a, Resume, Yield, Return>(Fiber<'a, Resume, Yield, Return>);

// SAFETY: `SendFiber::new` requires the closure to be `Send` and its
// caller to promise that nothing the fiber's frames keep across a
// suspension is tied to a thread; the values that cross between the sides
// are `Send` by these bounds. The stack and the record are plain memory.
unsafe impl<Resume: Send, Yield: Send, Return: Send> Send for SendFiber<'_, Resume, Yield, Return> {}

impl<'a, Resume, Yield, Return> SendFiber<'a, Resume, Yield, Return> {
    /// A fiber like `Fiber::new`'s that may move between threads while it
    /// is unstarted or suspended.
    ///
    /// # Safety
    /// Whatever the closure's frames hold across a call of
    /// `Suspend::suspend` must be valid on any thread, that is, `Send`
    /// (no `Rc` clone, `MutexGuard`, `RefCell` borrow of a thread-local
    /// or `LocalKey::with` borrow may be alive across a suspension), and
    /// nothing may cache a thread-local's address across one: the
    /// compiler assumes a function stays on one thread, so read
    /// thread-locals in functions that do not themselves suspend (an
    /// `#[inline(never)]` helper).
    pub unsafe fn new<F>(stack: FiberStack, func: F) -> Self
    where
        F: FnOnce(Resume, &Suspend<Resume, Yield, Return>) -> Return + Send + 'a,
    {
        SendFiber(Fiber::new(stack, func))
    }

    /// `Fiber::resume`.
    pub fn resume(&mut self, value: Resume) -> Result<Return, Yield> {
        self.0.resume(value)
    }

    /// `Fiber::done`.
    pub fn done(&self) -> bool {
        self.0.done()
    }

    /// `Fiber::is_suspended`.
    pub fn is_suspended(&self) -> bool {
        self.0.is_suspended()
    }

    /// `Fiber::stack`.
    pub fn stack(&self) -> &FiberStack {
        self.0.stack()
    }

    /// `Fiber::into_stack`.
    pub fn into_stack(self) -> Result<FiberStack, Self> {
        self.0.into_stack().map_err(SendFiber)
    }

    /// The fiber, no longer movable between threads.
    pub fn into_inner(self) -> Fiber<'a, Resume, Yield, Return> {
        self.0
    }
}

/// The address below `below` where a `T` fits, aligned for it (and for
/// the stack), or `None` when it would wrap.
fn place_below<T>(below: usize) -> Option<usize> {
    let align = align_of::<T>().max(16);
    below.checked_sub(size_of::<T>()).map(|a| a & !(align - 1))
}

/// Drops the `F` at `p` in place.
///
/// # Safety
/// `p` must point to an initialised `F` that nothing uses afterwards.
unsafe fn drop_in_place_as<F>(p: *mut u8) {
    // SAFETY: forwarded from the caller.
    unsafe { ptr::drop_in_place(p.cast::<F>()) }
}

/// The fiber's first frame: runs the closure and reports how it ended.
///
/// # Safety
/// Entered only through the initial frame `Fiber::new` writes, on the
/// first resume: `record` is the fiber's `Suspend` record holding the
/// resume value, `func` its closure, owned from here on.
unsafe extern "C" fn fiber_entry<F, Resume, Yield, Return>(record: *mut u8, func: *mut u8) -> !
where
    F: FnOnce(Resume, &Suspend<Resume, Yield, Return>) -> Return,
{
    // SAFETY: as the caller guarantees; the record outlives the fiber's
    // frames.
    let suspend = unsafe { &*record.cast::<Suspend<Resume, Yield, Return>>() };
    let outcome = {
        // SAFETY: the closure is initialised and ours (the fiber's state
        // says so since this resume); it is read exactly once.
        let func = unsafe { func.cast::<F>().read() };
        let value = match suspend.channel.replace(Message::Empty) {
            Message::Resume(value) => value,
            _ => protocol_violation("a fiber was started without a resume value"),
        };
        match panic::catch_unwind(AssertUnwindSafe(move || func(value, suspend))) {
            Ok(value) => Message::Return(value),
            Err(payload) => Message::Panic(payload),
        }
    };
    // Everything of the closure is dropped by now; only `outcome` moves
    // out of this frame, which is never continued.
    suspend.channel.set(outcome);
    // SAFETY: the fiber is running, so `parent_sp` holds the context of the
    // `resume` that runs it; that resume sees the outcome and marks the
    // fiber done, so the context saved here is never used.
    unsafe { wr_fiber_switch(suspend.fiber_sp.as_ptr(), suspend.parent_sp.get()) };
    protocol_violation("a finished fiber was continued")
}

/// A broken invariant of this module, where unwinding is not an option
/// (the other side of a switch cannot be trusted any more).
#[cold]
fn protocol_violation(what: &str) -> ! {
    eprintln!("wasm-runtime: internal error in the fiber switch: {what}; aborting");
    std::process::abort()
}

/// A suspended fiber dropped: see the module documentation.
#[cold]
fn abort_suspended_drop() -> ! {
    eprintln!(
        "wasm-runtime: a suspended fiber was dropped; its frames can neither \
         be unwound nor freed safely, so a fiber must be resumed to completion \
         (to cancel, resume it with a value that makes it return); aborting"
    );
    std::process::abort()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fiber_initial_frame_is_aligned_and_ends_the_frame_chain() {
        let stack = FiberStack::new(64 * 1024).unwrap();
        let top = stack.top();
        let fiber: Fiber<'_, (), (), ()> = Fiber::new(stack, |(), _| ());
        // SAFETY: the record of a live fiber.
        let sp = unsafe { fiber.suspend.as_ref() }.fiber_sp.get();
        let frame_top = sp as usize + arch::INITIAL_FRAME_SIZE;
        assert_eq!(frame_top % 16, 0, "the entry is called from an aligned top");
        assert!(frame_top <= fiber.func as usize);
        assert!((fiber.suspend.as_ptr() as usize) < top as usize);
        let (ret, fp) = arch::RETURN_AND_FP_SLOTS;
        // SAFETY: the initial frame's words, inside the stack.
        let words = unsafe { std::slice::from_raw_parts(sp.cast::<usize>(), ret + 1) };
        assert_eq!(words[ret], arch::start_address());
        assert_eq!(words[fp], 0, "the first frame pointer is 0");
    }

    #[test]
    fn fiber_ping_pong_and_done() {
        let stack = FiberStack::new(64 * 1024).unwrap();
        let mut fiber = Fiber::new(stack, |a: u32, s: &Suspend<u32, u32, u32>| {
            let b = s.suspend(a + 1);
            b * 2
        });
        assert!(!fiber.done() && !fiber.is_suspended());
        assert_eq!(fiber.resume(10), Err(11));
        assert!(fiber.is_suspended());
        assert_eq!(fiber.resume(5), Ok(10));
        assert!(fiber.done());
        let stack = fiber.into_stack().unwrap();
        // The stack can run another fiber.
        let mut again: Fiber<'_, (), (), u8> = Fiber::new(stack, |(), _| 7);
        assert_eq!(again.resume(()), Ok(7));
    }

    #[test]
    fn fiber_stack_too_small_for_the_closure_panics() {
        let stack = FiberStack::new(4096).unwrap();
        let big = [0u8; 8192];
        let made = panic::catch_unwind(AssertUnwindSafe(|| {
            let _fiber: Fiber<'_, (), (), usize> = Fiber::new(stack, move |(), _| big.len());
        }));
        assert!(made.is_err());
    }

    #[test]
    fn fiber_valgrind_requests_are_harmless_natively() {
        // Under valgrind `running_on_valgrind` is true and ids are real;
        // natively every request returns its default.
        if !running_on_valgrind() {
            assert_eq!(valgrind::stack_register(0x1000, 0x1fff), 0);
            valgrind::stack_deregister(0);
        }
    }
}
