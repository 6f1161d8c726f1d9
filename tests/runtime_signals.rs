//! Faults outside wasm code reach the handler that was installed before
//! the runtime's. Its own binary: signal dispositions are process-wide, so
//! this must run before anything else installs the runtime's handlers.

use std::sync::atomic::{AtomicUsize, Ordering};
use wasm_runtime::engine::Engine;
use wasm_runtime::module::{FuncType, Module};
use wasm_runtime::runtime::{Func, Instance, Store};

static EARLIER_HANDLER_RUNS: AtomicUsize = AtomicUsize::new(0);

/// The embedder's own SIGILL handler: counts and skips the faulting
/// instruction.
extern "C" fn earlier_handler(
    _sig: libc::c_int,
    _info: *mut libc::siginfo_t,
    ctx: *mut libc::c_void,
) {
    EARLIER_HANDLER_RUNS.fetch_add(1, Ordering::SeqCst);
    let uc = ctx.cast::<libc::ucontext_t>();
    // SAFETY: the kernel passed a valid context; we step over the 2-byte
    // `ud2` (4-byte `udf` on AArch64) that raised the signal.
    unsafe {
        #[cfg(target_arch = "x86_64")]
        {
            (*uc).uc_mcontext.gregs[libc::REG_RIP as usize] += 2;
        }
        #[cfg(target_arch = "aarch64")]
        {
            (*uc).uc_mcontext.pc += 4;
        }
    }
}

fn illegal_instruction() {
    // SAFETY: raises SIGILL, which `earlier_handler` steps over.
    unsafe {
        #[cfg(target_arch = "x86_64")]
        std::arch::asm!("ud2");
        #[cfg(target_arch = "aarch64")]
        std::arch::asm!("udf #0");
    }
}

#[test]
fn faults_outside_wasm_chain_to_the_earlier_handler() {
    // SAFETY: installing a handler for SIGILL with a zeroed mask.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = earlier_handler as *const () as usize;
        action.sa_flags = libc::SA_SIGINFO;
        libc::sigemptyset(&mut action.sa_mask);
        assert_eq!(
            libc::sigaction(libc::SIGILL, &action, std::ptr::null_mut()),
            0
        );
    }
    illegal_instruction();
    assert_eq!(EARLIER_HANDLER_RUNS.load(Ordering::SeqCst), 1);

    let engine = Engine::default();
    let store = Store::new(&engine);
    let host = Func::new(
        &store,
        FuncType::new([], []),
        Box::new(|_, _| {
            // A fault in host code called from wasm is not a wasm trap.
            illegal_instruction();
            Ok(())
        }),
    );
    let wasm = wat::parse_str(
        r#"(module
            (import "" "h" (func $h))
            (func (export "host") call $h)
            (func (export "trap") unreachable))"#,
    )
    .unwrap();
    let module = Module::new(&engine, &wasm).unwrap();
    let instance = Instance::new(&store, &module, &[host.into()]).unwrap();
    let get = |name: &str| instance.get_export(name).unwrap().into_func().unwrap();

    // The runtime's handler is now installed in front of ours; a wasm trap
    // is the runtime's alone.
    let trap = get("trap").call(&[], &mut []).unwrap_err();
    assert_eq!(trap.message(), "unreachable");
    assert_eq!(EARLIER_HANDLER_RUNS.load(Ordering::SeqCst), 1);

    // Faults outside wasm code are passed on, with and without wasm on the
    // stack.
    illegal_instruction();
    assert_eq!(EARLIER_HANDLER_RUNS.load(Ordering::SeqCst), 2);
    get("host").call(&[], &mut []).unwrap();
    assert_eq!(EARLIER_HANDLER_RUNS.load(Ordering::SeqCst), 3);
}
