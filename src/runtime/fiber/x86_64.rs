//! The context switch for x86-64 (System V), and valgrind's client
//! request sequence for amd64.
//!
//! `wr_fiber_switch(save: *mut *mut u8, to: *mut u8)` pushes what the
//! callee must preserve (rbp, rbx, r12–r15; its return address is already
//! on the stack), stores the stack pointer in `*save`, loads `to` as the
//! stack pointer, pops the same registers and the return address from
//! there and jumps to it: into whoever switched away from `to`, or, the
//! first time, into `wr_fiber_start`. It pops and jumps rather than `ret`:
//! a `ret` is predicted from the return stack buffer, which holds the call
//! site on the side that called the switch, so it would be mispredicted
//! at every switch; an indirect jump is predicted from the branch target
//! history, which learns the alternation (a resume + suspend round trip
//! took 24 ns with `ret` and 15 ns with the jump on the machine this was
//! written on). The other System V callee-saved state, the MXCSR and
//! x87 control words, is not switched: nothing in the runtime changes
//! rounding modes or exception masks, so both sides see the same values.
//!
//! A switched-away stack, from its stack pointer up (8-byte words):
//!
//! ```text
//!   r15, r14, r13, r12, rbx, rbp, return address
//! ```
//!
//! (the shape a `call` of the switch followed by its pushes leaves).
//!
//! The initial frame `initial_frame` writes has that shape: return address
//! `wr_fiber_start_body` (inside `wr_fiber_start`), rbp = 0, rbx = the
//! entry function, r12 and r13 its two arguments, r14 = r15 = 0. The
//! switch leaves the stack pointer at the frame's top,
//! which is 16-byte aligned, so `wr_fiber_start`'s `call` enters the entry
//! with the alignment the ABI requires (rsp + 8 a multiple of 16). With
//! rbp = 0 the entry's own frame saves 0 as its caller's frame pointer,
//! which ends any frame-pointer walk there; for DWARF unwinders and
//! debuggers, `wr_fiber_start`'s CFI marks the return address undefined,
//! which ends the backtrace the same way.
//!
//! The CFI of `wr_fiber_switch` stays true across the switch: both stacks
//! hold the same seven words at the same offsets, so an unwinder stopped
//! anywhere inside it finds the saved registers and return address of the
//! side it is about to return to.

use super::EntryFn;

/// Bytes `initial_frame` writes below the top it is given.
pub(super) const INITIAL_FRAME_SIZE: usize = 7 * 8;

std::arch::global_asm!(
    ".text",
    ".p2align 4",
    ".globl wr_fiber_switch",
    ".hidden wr_fiber_switch",
    ".type wr_fiber_switch,@function",
    "wr_fiber_switch:",
    ".cfi_startproc",
    "push rbp",
    ".cfi_adjust_cfa_offset 8",
    ".cfi_rel_offset rbp, 0",
    "push rbx",
    ".cfi_adjust_cfa_offset 8",
    ".cfi_rel_offset rbx, 0",
    "push r12",
    ".cfi_adjust_cfa_offset 8",
    ".cfi_rel_offset r12, 0",
    "push r13",
    ".cfi_adjust_cfa_offset 8",
    ".cfi_rel_offset r13, 0",
    "push r14",
    ".cfi_adjust_cfa_offset 8",
    ".cfi_rel_offset r14, 0",
    "push r15",
    ".cfi_adjust_cfa_offset 8",
    ".cfi_rel_offset r15, 0",
    "mov [rdi], rsp",
    "mov rsp, rsi",
    "pop r15",
    ".cfi_adjust_cfa_offset -8",
    ".cfi_restore r15",
    "pop r14",
    ".cfi_adjust_cfa_offset -8",
    ".cfi_restore r14",
    "pop r13",
    ".cfi_adjust_cfa_offset -8",
    ".cfi_restore r13",
    "pop r12",
    ".cfi_adjust_cfa_offset -8",
    ".cfi_restore r12",
    "pop rbx",
    ".cfi_adjust_cfa_offset -8",
    ".cfi_restore rbx",
    "pop rbp",
    ".cfi_adjust_cfa_offset -8",
    ".cfi_restore rbp",
    "pop rcx",
    ".cfi_adjust_cfa_offset -8",
    ".cfi_register rip, rcx",
    "jmp rcx",
    ".cfi_endproc",
    ".size wr_fiber_switch, . - wr_fiber_switch",
    "",
    // The `nop` sits before the label, inside the CFI: unwinders look a
    // return address up at `address - 1`, which for the initial frame's
    // return address must still be this function.
    ".p2align 4",
    ".type wr_fiber_start,@function",
    "wr_fiber_start:",
    ".cfi_startproc",
    ".cfi_undefined rip",
    "nop",
    ".globl wr_fiber_start_body",
    ".hidden wr_fiber_start_body",
    "wr_fiber_start_body:",
    "mov rdi, r12",
    "mov rsi, r13",
    "call rbx",
    // The entry never returns: it switches away for the last time.
    "ud2",
    ".cfi_endproc",
    ".size wr_fiber_start, . - wr_fiber_start",
);

extern "C" {
    /// Where a fiber's first resume lands: `wr_fiber_start` after its
    /// leading `nop` (never called from Rust).
    fn wr_fiber_start_body();
}

/// Writes the initial frame of a fiber below `top`, so that switching to
/// the returned stack pointer calls `entry(arg0, arg1)` with `top` as the
/// stack pointer before the call.
///
/// # Safety
/// `top` must be 16-byte aligned, and the `INITIAL_FRAME_SIZE` bytes below
/// it writable memory of the fiber's stack.
pub(super) unsafe fn initial_frame(
    top: *mut u8,
    entry: EntryFn,
    arg0: *mut u8,
    arg1: *mut u8,
) -> *mut u8 {
    debug_assert_eq!(top as usize % 16, 0);
    let words: [usize; 7] = [
        0,                                         // r15
        0,                                         // r14
        arg1 as usize,                             // r13
        arg0 as usize,                             // r12
        entry as usize,                            // rbx
        0,                                         // rbp: ends the frame-pointer chain
        wr_fiber_start_body as *const () as usize, // return address
    ];
    // SAFETY: the caller guarantees the 7 words below `top` are ours and
    // writable; `top` is 16-byte aligned, so they are 8-byte aligned.
    unsafe {
        let sp = top.sub(INITIAL_FRAME_SIZE).cast::<usize>();
        sp.cast::<[usize; 7]>().write(words);
        sp.cast()
    }
}

/// The address the initial frame returns to (for the initial-frame test).
#[cfg(test)]
pub(super) fn start_address() -> usize {
    wr_fiber_start_body as *const () as usize
}

/// Where `initial_frame` puts the return address and the frame pointer,
/// in words from the stack pointer (for the initial-frame test).
#[cfg(test)]
pub(super) const RETURN_AND_FP_SLOTS: (usize, usize) = (6, 5);

/// A valgrind client request: `args[0]` is the request, the rest its
/// arguments. Returns `default` when not running under valgrind.
pub(super) fn client_request(default: usize, args: &[usize; 6]) -> usize {
    let result;
    // SAFETY: valgrind.h's amd64 sequence. The four rotations of rdi add
    // up to 128 bits, leaving it unchanged, and `xchg rbx, rbx` changes
    // nothing: on a real CPU this only clobbers flags, and rdx keeps the
    // default. Under valgrind, the request reads the six words at rax (a
    // live array) and writes its answer to rdx.
    unsafe {
        std::arch::asm!(
            "rol rdi, 3",
            "rol rdi, 13",
            "rol rdi, 61",
            "rol rdi, 51",
            "xchg rbx, rbx",
            in("rax") args.as_ptr(),
            inout("rdx") default => result,
            options(nostack),
        );
    }
    result
}
