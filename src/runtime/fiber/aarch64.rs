//! The context switch for AArch64 (AAPCS64), and valgrind's client
//! request sequence for arm64.
//!
//! `wr_fiber_switch(save: *mut *mut u8, to: *mut u8)` stores what the
//! callee must preserve (x19–x28, the frame pointer x29, the link
//! register x30 and the low halves d8–d15 of v8–v15) in a 160-byte frame
//! below the stack pointer, stores the stack pointer in `*save`, loads
//! `to` as the stack pointer, loads the same registers from the frame
//! there, pops it and returns through x30: into whoever switched away
//! from `to`, or, the first time, into `wr_fiber_start`. The floating-point
//! control register (rounding mode) is not switched: nothing in the
//! runtime changes it.
//!
//! A switched-away stack, from its stack pointer up (8-byte words):
//!
//! ```text
//!   x29, x30, x19, x20, ..., x28, d8, d9, ..., d15
//! ```
//!
//! x29 and x30 come first, so the switch frame is also a frame record.
//! The initial frame `initial_frame` writes has that shape: x30 =
//! `wr_fiber_start_body` (inside `wr_fiber_start`), x29 = 0, x19 = the entry function, x20 and x21 its
//! two arguments, the rest 0. Popping it leaves the stack pointer at the
//! frame's top, 16-byte aligned as AAPCS64 requires at all times, and with
//! x29 = 0 the entry's frame record saves 0 as its caller's frame
//! pointer, which ends any frame-pointer walk there; `wr_fiber_start`'s
//! CFI marks the return address undefined, which ends DWARF backtraces.
//!
//! The CFI of `wr_fiber_switch` stays true across the switch: both stacks
//! hold the same frame at the same offsets.

use super::EntryFn;

/// Bytes `initial_frame` writes below the top it is given.
pub(super) const INITIAL_FRAME_SIZE: usize = 20 * 8;

std::arch::global_asm!(
    ".text",
    ".p2align 4",
    ".globl wr_fiber_switch",
    ".hidden wr_fiber_switch",
    ".type wr_fiber_switch,%function",
    "wr_fiber_switch:",
    ".cfi_startproc",
    "sub sp, sp, #160",
    ".cfi_def_cfa_offset 160",
    "stp x29, x30, [sp, #0]",
    ".cfi_offset x29, -160",
    ".cfi_offset x30, -152",
    "stp x19, x20, [sp, #16]",
    ".cfi_offset x19, -144",
    ".cfi_offset x20, -136",
    "stp x21, x22, [sp, #32]",
    ".cfi_offset x21, -128",
    ".cfi_offset x22, -120",
    "stp x23, x24, [sp, #48]",
    ".cfi_offset x23, -112",
    ".cfi_offset x24, -104",
    "stp x25, x26, [sp, #64]",
    ".cfi_offset x25, -96",
    ".cfi_offset x26, -88",
    "stp x27, x28, [sp, #80]",
    ".cfi_offset x27, -80",
    ".cfi_offset x28, -72",
    // d8-d15 are DWARF registers 72-79.
    "stp d8, d9, [sp, #96]",
    ".cfi_offset 72, -64",
    ".cfi_offset 73, -56",
    "stp d10, d11, [sp, #112]",
    ".cfi_offset 74, -48",
    ".cfi_offset 75, -40",
    "stp d12, d13, [sp, #128]",
    ".cfi_offset 76, -32",
    ".cfi_offset 77, -24",
    "stp d14, d15, [sp, #144]",
    ".cfi_offset 78, -16",
    ".cfi_offset 79, -8",
    "mov x9, sp",
    "str x9, [x0]",
    "mov sp, x1",
    "ldp d14, d15, [sp, #144]",
    "ldp d12, d13, [sp, #128]",
    "ldp d10, d11, [sp, #112]",
    "ldp d8, d9, [sp, #96]",
    "ldp x27, x28, [sp, #80]",
    "ldp x25, x26, [sp, #64]",
    "ldp x23, x24, [sp, #48]",
    "ldp x21, x22, [sp, #32]",
    "ldp x19, x20, [sp, #16]",
    "ldp x29, x30, [sp, #0]",
    "add sp, sp, #160",
    ".cfi_def_cfa_offset 0",
    ".cfi_restore x19",
    ".cfi_restore x20",
    ".cfi_restore x21",
    ".cfi_restore x22",
    ".cfi_restore x23",
    ".cfi_restore x24",
    ".cfi_restore x25",
    ".cfi_restore x26",
    ".cfi_restore x27",
    ".cfi_restore x28",
    ".cfi_restore x29",
    ".cfi_restore x30",
    ".cfi_restore 72",
    ".cfi_restore 73",
    ".cfi_restore 74",
    ".cfi_restore 75",
    ".cfi_restore 76",
    ".cfi_restore 77",
    ".cfi_restore 78",
    ".cfi_restore 79",
    "ret",
    ".cfi_endproc",
    ".size wr_fiber_switch, . - wr_fiber_switch",
    "",
    // The `nop` sits before the label, inside the CFI: unwinders look a
    // return address up at `address - 1`, which for the initial frame's
    // return address must still be this function.
    ".p2align 4",
    ".type wr_fiber_start,%function",
    "wr_fiber_start:",
    ".cfi_startproc",
    ".cfi_undefined x30",
    "nop",
    ".globl wr_fiber_start_body",
    ".hidden wr_fiber_start_body",
    "wr_fiber_start_body:",
    "mov x0, x20",
    "mov x1, x21",
    "blr x19",
    // The entry never returns: it switches away for the last time.
    "brk #0x1",
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
/// stack pointer.
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
    let mut words = [0usize; 20];
    words[0] = 0; // x29: ends the frame-pointer chain
    words[1] = wr_fiber_start_body as *const () as usize; // x30
    words[2] = entry as usize; // x19
    words[3] = arg0 as usize; // x20
    words[4] = arg1 as usize; // x21
                              // SAFETY: the caller guarantees the 20 words below `top` are ours and
                              // writable; `top` is 16-byte aligned, so they are 8-byte aligned.
    unsafe {
        let sp = top.sub(INITIAL_FRAME_SIZE).cast::<usize>();
        sp.cast::<[usize; 20]>().write(words);
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
pub(super) const RETURN_AND_FP_SLOTS: (usize, usize) = (1, 0);

/// A valgrind client request: `args[0]` is the request, the rest its
/// arguments. Returns `default` when not running under valgrind.
pub(super) fn client_request(default: usize, args: &[usize; 6]) -> usize {
    let result;
    // SAFETY: valgrind.h's arm64 sequence. The four rotations of x12 add
    // up to 128 bits, leaving it unchanged, and `orr x10, x10, x10`
    // changes nothing: on a real CPU x3 keeps the default. Under
    // valgrind, the request reads the six words at x4 (a live array) and
    // writes its answer to x3.
    unsafe {
        std::arch::asm!(
            "ror x12, x12, #3",
            "ror x12, x12, #13",
            "ror x12, x12, #51",
            "ror x12, x12, #61",
            "orr x10, x10, x10",
            in("x4") args.as_ptr(),
            inout("x3") default => result,
            options(nostack),
        );
    }
    result
}
