//! Signal handling: the handlers for SIGSEGV, SIGBUS, SIGILL and SIGFPE,
//! installed once per process (chaining to the previous ones for faults
//! outside wasm), the per-thread alternate signal stack, and reading and
//! redirecting a faulting context. A fault at a wasm trap site records the
//! trap on the innermost activation and resumes at its entry.

use super::*;

const SIGNALS: [libc::c_int; 4] = [libc::SIGSEGV, libc::SIGBUS, libc::SIGILL, libc::SIGFPE];

/// The handlers installed before ours, one per entry of `SIGNALS`.
struct PreviousHandlers(UnsafeCell<[MaybeUninit<libc::sigaction>; 4]>);

// SAFETY: written once, inside `INSTALL`, before our handler is installed
// for the signal; read-only afterwards.
unsafe impl Sync for PreviousHandlers {}

static PREVIOUS: PreviousHandlers = PreviousHandlers(UnsafeCell::new([
    MaybeUninit::uninit(),
    MaybeUninit::uninit(),
    MaybeUninit::uninit(),
    MaybeUninit::uninit(),
]));
static INSTALL: Once = Once::new();
/// The signal whose handler could not be installed (0: none).
static INSTALL_ERROR: AtomicI32 = AtomicI32::new(0);

/// Installs the trap handlers once per process.
pub(super) fn install_signal_handlers() -> Result<(), Trap> {
    INSTALL.call_once(|| {
        for (i, &signum) in SIGNALS.iter().enumerate() {
            // SAFETY: plain sigaction calls; `PREVIOUS[i]` is filled before
            // our handler for `signum` can run.
            unsafe {
                let prev = (*PREVIOUS.0.get())[i].as_mut_ptr();
                if libc::sigaction(signum, std::ptr::null(), prev) != 0 {
                    INSTALL_ERROR.store(signum, Ordering::Relaxed);
                    return;
                }
                let mut action: libc::sigaction = std::mem::zeroed();
                action.sa_sigaction = trap_handler as *const () as usize;
                action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK | libc::SA_NODEFER;
                libc::sigemptyset(&mut action.sa_mask);
                if libc::sigaction(signum, &action, std::ptr::null_mut()) != 0 {
                    INSTALL_ERROR.store(signum, Ordering::Relaxed);
                    return;
                }
            }
        }
    });
    // `call_once` has completed, so the store is visible.
    match INSTALL_ERROR.load(Ordering::Relaxed) {
        0 => Ok(()),
        signum => Err(Trap::new(format!(
            "cannot install the trap handler for signal {signum}: wasm cannot run"
        ))),
    }
}

/// The pc, frame pointer and stack pointer of a signal context.
///
/// # Safety
/// `ucontext` must be the context the kernel passed to the handler.
unsafe fn context_registers(ucontext: *mut libc::c_void) -> (usize, usize, usize) {
    let uc = ucontext.cast::<libc::ucontext_t>();
    // SAFETY: forwarded from the caller.
    unsafe {
        #[cfg(target_arch = "x86_64")]
        {
            let gregs = &(*uc).uc_mcontext.gregs;
            (
                gregs[libc::REG_RIP as usize] as usize,
                gregs[libc::REG_RBP as usize] as usize,
                gregs[libc::REG_RSP as usize] as usize,
            )
        }
        #[cfg(target_arch = "aarch64")]
        {
            let mc = &(*uc).uc_mcontext;
            (mc.pc as usize, mc.regs[29] as usize, mc.sp as usize)
        }
    }
}

/// Makes the interrupted thread continue in `wr_resume_trap(jmpbuf)`.
///
/// # Safety
/// As for `context_registers`; `jmpbuf` must be the innermost activation's.
unsafe fn redirect_to_resume(ucontext: *mut libc::c_void, jmpbuf: *mut usize) {
    let uc = ucontext.cast::<libc::ucontext_t>();
    let resume = wr_resume_trap as *const () as usize;
    // SAFETY: forwarded from the caller.
    unsafe {
        #[cfg(target_arch = "x86_64")]
        {
            let gregs = &mut (*uc).uc_mcontext.gregs;
            gregs[libc::REG_RIP as usize] = resume as i64;
            gregs[libc::REG_RDI as usize] = jmpbuf as i64;
        }
        #[cfg(target_arch = "aarch64")]
        {
            let mc = &mut (*uc).uc_mcontext;
            mc.pc = resume as u64;
            mc.regs[0] = jmpbuf as u64;
        }
    }
}

unsafe extern "C" fn trap_handler(
    signum: libc::c_int,
    info: *mut libc::siginfo_t,
    ucontext: *mut libc::c_void,
) {
    let act = CURRENT.with(|c| c.get());
    if !act.is_null() {
        // SAFETY: the kernel passed a valid context.
        let (pc, fp, sp) = unsafe { context_registers(ucontext) };
        if let Some(kind) = lookup_trap(pc) {
            // SAFETY: `act` is this thread's innermost activation, alive in
            // `enter_wasm`'s frame; we are the only code touching it.
            unsafe {
                let act = &*act;
                act.trap_kind.set(Some(kind));
                // A host trap's frames were taken by its `HostCall`.
                if kind != TrapKind::HostTrap {
                    let start = WalkStart {
                        pc: Some(pc),
                        fp,
                        low: sp,
                        vmctx: act.entered_vmctx,
                    };
                    // The registers of the trapping frame, for its
                    // coredump's locals (`ucontext` is the kernel's live
                    // context, as `Registers::of` requires).
                    let regs = act.coredump.then(|| coredump::Registers::of(ucontext));
                    record_trap_trace(act, start, regs.as_ref());
                }
                redirect_to_resume(ucontext, act.jmpbuf.get().cast());
            }
            return;
        }
    }
    if signum == libc::SIGSEGV || signum == libc::SIGBUS {
        // SAFETY: the kernel passed a valid `siginfo_t` for a fault.
        let addr = unsafe { (*info).si_addr() } as usize;
        let (start, end) = FIBER_GUARD.with(|g| g.get());
        if (start..end).contains(&addr) {
            // Host code (wasm stops at its stack limit) ran off the bottom
            // of an async call's stack: say so before the default action
            // ends the process, as an overflow of the thread's stack would.
            const MESSAGE: &[u8] = b"wasm-runtime: stack overflow in host code on an async \
                call's fiber stack (raise async_stack_size, or lower max_wasm_stack to leave \
                host functions more of it)\n";
            // SAFETY: `write` is async-signal-safe; the buffer is static.
            unsafe { libc::write(2, MESSAGE.as_ptr().cast(), MESSAGE.len()) };
        }
    }
    // SAFETY: chaining with the arguments we were given.
    unsafe { chain_to_previous(signum, info, ucontext) }
}

/// Hands a fault that is not a wasm trap to the previous handler.
///
/// # Safety
/// Must be called from the signal handler with its arguments.
unsafe fn chain_to_previous(
    signum: libc::c_int,
    info: *mut libc::siginfo_t,
    ucontext: *mut libc::c_void,
) {
    let Some(i) = SIGNALS.iter().position(|&s| s == signum) else {
        return;
    };
    // SAFETY: filled in before our handler was installed.
    let prev = unsafe { (*PREVIOUS.0.get())[i].assume_init_ref() };
    let handler = prev.sa_sigaction;
    if handler == libc::SIG_DFL || handler == libc::SIG_IGN {
        // Restore the default action and return: the faulting instruction
        // runs again and the kernel applies it (terminating the process).
        // SAFETY: plain sigaction call with a zeroed (SIG_DFL) action.
        unsafe {
            let mut dfl: libc::sigaction = std::mem::zeroed();
            dfl.sa_sigaction = libc::SIG_DFL;
            libc::sigemptyset(&mut dfl.sa_mask);
            libc::sigaction(signum, &dfl, std::ptr::null_mut());
        }
    } else if prev.sa_flags & libc::SA_SIGINFO != 0 {
        // SAFETY: with SA_SIGINFO the handler has this signature.
        unsafe {
            let f: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
                std::mem::transmute(handler);
            f(signum, info, ucontext);
        }
    } else {
        // SAFETY: without SA_SIGINFO the handler takes the signal number.
        unsafe {
            let f: extern "C" fn(libc::c_int) = std::mem::transmute(handler);
            f(signum);
        }
    }
}

/// An alternate signal stack we installed for this thread: the mapping's
/// lowest page stays inaccessible as a guard, the rest is the stack.
pub(super) struct AltStack {
    /// Owned only to be unmapped when the thread exits.
    _mapping: crate::runtime::mmap::Mmap,
    stack: libc::stack_t,
}

impl Drop for AltStack {
    fn drop(&mut self) {
        // SAFETY: we disable the alternate stack only if it is still ours;
        // no handler can be running on it now (the thread is exiting), so
        // `_mapping` may unmap it after this.
        unsafe {
            let mut current: libc::stack_t = std::mem::zeroed();
            if libc::sigaltstack(std::ptr::null(), &mut current) == 0
                && current.ss_sp == self.stack.ss_sp
            {
                let disable = libc::stack_t {
                    ss_sp: std::ptr::null_mut(),
                    ss_flags: libc::SS_DISABLE,
                    ss_size: 0,
                };
                libc::sigaltstack(&disable, std::ptr::null_mut());
            }
        }
    }
}

/// Makes sure this thread has an alternate signal stack big enough for the
/// trap handler (a stack overflow must not fault in the handler itself).
pub(super) fn ensure_alt_stack() -> Result<(), Trap> {
    ALT_STACK.with(|slot| {
        // SAFETY: only this thread touches its slot, and not re-entrantly.
        let slot = unsafe { &mut *slot.get() };
        if slot.is_some() {
            return Ok(());
        }
        // SAFETY: querying the current alternate stack.
        let mut current: libc::stack_t = unsafe { std::mem::zeroed() };
        // SAFETY: as above.
        if unsafe { libc::sigaltstack(std::ptr::null(), &mut current) } == 0
            && current.ss_flags & libc::SS_DISABLE == 0
            && current.ss_size >= ALT_STACK_SIZE
        {
            return Ok(());
        }
        let page = crate::runtime::mmap::host_page_size();
        let alloc_failed = |_| Trap::new("cannot allocate the alternate signal stack");
        let mapping =
            crate::runtime::mmap::Mmap::reserve(ALT_STACK_SIZE + page).map_err(alloc_failed)?;
        mapping.commit(page, ALT_STACK_SIZE).map_err(alloc_failed)?;
        let stack = libc::stack_t {
            // SAFETY: `page` bytes in, inside the mapping.
            ss_sp: unsafe { mapping.as_ptr().add(page) }.cast(),
            ss_flags: 0,
            ss_size: ALT_STACK_SIZE,
        };
        // SAFETY: the stack is committed memory we own, kept alive (in the
        // slot) until the alternate stack is disabled again.
        if unsafe { libc::sigaltstack(&stack, std::ptr::null_mut()) } != 0 {
            return Err(Trap::new("cannot install the alternate signal stack"));
        }
        *slot = Some(AltStack {
            _mapping: mapping,
            stack,
        });
        Ok(())
    })
}
