//! Valgrind client requests for stacks we switch to by hand.
//!
//! Memcheck follows the stack pointer: a move that is larger than
//! `--max-stackframe` and does not land in a stack it knows makes it warn
//! "client switching stacks?" and then mistake the new stack's memory for
//! a giant frame (marking it undefined). Registering every fiber stack
//! (`VALGRIND_STACK_REGISTER`) tells it a switch is a switch.
//!
//! A client request is a magic instruction sequence (`client_request` in
//! the architecture's file) that valgrind's translator recognises and that
//! does nothing on a real CPU, where the request "returns" its default
//! value: the calls cost a few instructions and need no run-time check of
//! whether valgrind is there. Request numbers are those of valgrind.h.

#[cfg(target_arch = "aarch64")]
use super::aarch64::client_request;
#[cfg(target_arch = "x86_64")]
use super::x86_64::client_request;

/// `VG_USERREQ__RUNNING_ON_VALGRIND`.
const RUNNING_ON_VALGRIND: usize = 0x1001;
/// `VG_USERREQ__STACK_REGISTER`.
const STACK_REGISTER: usize = 0x1501;
/// `VG_USERREQ__STACK_DEREGISTER`.
const STACK_DEREGISTER: usize = 0x1502;

/// Registers `[low, high]` (both inclusive) as a stack; returns its id,
/// or 0 when not running under valgrind.
pub(super) fn stack_register(low: usize, high: usize) -> usize {
    client_request(0, &[STACK_REGISTER, low, high, 0, 0, 0])
}

/// Forgets the stack `id` (`stack_register`'s result). Always issued:
/// natively it does nothing, and under valgrind every id is a real one.
pub(super) fn stack_deregister(id: usize) {
    client_request(0, &[STACK_DEREGISTER, id, 0, 0, 0, 0]);
}

/// Whether the process runs under valgrind (the magic sequence was
/// recognised).
pub fn running_on_valgrind() -> bool {
    client_request(0, &[RUNNING_ON_VALGRIND, 0, 0, 0, 0, 0]) != 0
}
