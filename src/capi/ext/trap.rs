//! Trap codes (why wasm trapped, as a number a host can switch on, with
//! the reference's numbering), coded traps raised by the host, WASI exit
//! statuses, coredumps, and the names of backtrace frames.

use std::ffi::c_int;

use crate::capi::frame::wasm_frame_t;
use crate::capi::store::wasm_store_t;
use crate::capi::trap::wasm_trap_t;
use crate::capi::vec::{wasm_byte_vec_t, wasm_name_t};
use crate::runtime::{Trap, TrapKind};

/// Why wasm trapped: one of the `WASM_TRAP_CODE_*` constants, numbered as
/// the reference's C API numbers its trap codes.
pub type wasm_trap_code_t = u8;

/// The wasm stack limit (`max_wasm_stack`) was reached.
pub const WASM_TRAP_CODE_STACK_OVERFLOW: wasm_trap_code_t = 0;
/// A memory access or bulk memory operation went out of bounds.
pub const WASM_TRAP_CODE_MEMORY_OUT_OF_BOUNDS: wasm_trap_code_t = 1;
/// An atomic access to a misaligned address (threads proposal).
pub const WASM_TRAP_CODE_HEAP_MISALIGNED: wasm_trap_code_t = 2;
/// A table access went out of bounds, or `call_indirect` named an index
/// past the end of the table.
pub const WASM_TRAP_CODE_TABLE_OUT_OF_BOUNDS: wasm_trap_code_t = 3;
/// `call_indirect` through a null table entry.
pub const WASM_TRAP_CODE_INDIRECT_CALL_TO_NULL: wasm_trap_code_t = 4;
/// `call_indirect` through an entry of another signature.
pub const WASM_TRAP_CODE_BAD_SIGNATURE: wasm_trap_code_t = 5;
/// Integer overflow (`i32.div_s` of the minimum by -1, float-to-integer
/// conversion of an out-of-range value).
pub const WASM_TRAP_CODE_INTEGER_OVERFLOW: wasm_trap_code_t = 6;
/// Integer division or remainder by zero.
pub const WASM_TRAP_CODE_INTEGER_DIVISION_BY_ZERO: wasm_trap_code_t = 7;
/// A float-to-integer conversion of NaN.
pub const WASM_TRAP_CODE_BAD_CONVERSION_TO_INTEGER: wasm_trap_code_t = 8;
/// An `unreachable` instruction was executed.
pub const WASM_TRAP_CODE_UNREACHABLE_CODE_REACHED: wasm_trap_code_t = 9;
/// The store's epoch deadline passed (`epoch_interruption`), or its epoch
/// deadline callback stopped wasm.
pub const WASM_TRAP_CODE_INTERRUPT: wasm_trap_code_t = 10;
/// The store ran out of fuel (`consume_fuel`).
pub const WASM_TRAP_CODE_OUT_OF_FUEL: wasm_trap_code_t = 11;
/// `memory.atomic.wait` on a memory that is not shared (threads proposal).
pub const WASM_TRAP_CODE_ATOMIC_WAIT_NON_SHARED_MEMORY: wasm_trap_code_t = 12;
/// A null reference was dereferenced (`call_ref`, `ref.as_non_null`, …).
pub const WASM_TRAP_CODE_NULL_REFERENCE: wasm_trap_code_t = 13;
/// An array access went out of bounds (GC proposal).
pub const WASM_TRAP_CODE_ARRAY_OUT_OF_BOUNDS: wasm_trap_code_t = 14;
/// An allocation was too large (GC proposal).
pub const WASM_TRAP_CODE_ALLOCATION_TOO_LARGE: wasm_trap_code_t = 15;
/// A reference cast failed (GC proposal).
pub const WASM_TRAP_CODE_CAST_FAILURE: wasm_trap_code_t = 16;
/// An exception was thrown and not caught (exception-handling proposal).
pub const WASM_TRAP_CODE_UNCAUGHT_EXCEPTION: wasm_trap_code_t = 49;
/// `wmemcheck` found a heap error (an access to freed or unallocated heap
/// bytes, a double free, a free of a pointer the allocator never
/// returned); the trap's message names the address and the error. An
/// extension of this library, numbered apart from the reference's codes
/// (the reference reports these errors without a code).
pub const WASM_TRAP_CODE_MEMORY_CHECK: wasm_trap_code_t = 128;

/// The one mapping between the runtime's trap kinds and their C numbers.
/// Host traps (`TrapKind::HostTrap`) have no code.
const CODES: &[(TrapKind, wasm_trap_code_t)] = &[
    (TrapKind::StackOverflow, WASM_TRAP_CODE_STACK_OVERFLOW),
    (
        TrapKind::MemoryOutOfBounds,
        WASM_TRAP_CODE_MEMORY_OUT_OF_BOUNDS,
    ),
    (
        TrapKind::TableOutOfBounds,
        WASM_TRAP_CODE_TABLE_OUT_OF_BOUNDS,
    ),
    (
        TrapKind::IndirectCallToNull,
        WASM_TRAP_CODE_INDIRECT_CALL_TO_NULL,
    ),
    (TrapKind::BadSignature, WASM_TRAP_CODE_BAD_SIGNATURE),
    (TrapKind::IntegerOverflow, WASM_TRAP_CODE_INTEGER_OVERFLOW),
    (
        TrapKind::IntegerDivisionByZero,
        WASM_TRAP_CODE_INTEGER_DIVISION_BY_ZERO,
    ),
    (
        TrapKind::BadConversionToInteger,
        WASM_TRAP_CODE_BAD_CONVERSION_TO_INTEGER,
    ),
    (
        TrapKind::UnreachableCodeReached,
        WASM_TRAP_CODE_UNREACHABLE_CODE_REACHED,
    ),
    (TrapKind::Interrupt, WASM_TRAP_CODE_INTERRUPT),
    (TrapKind::OutOfFuel, WASM_TRAP_CODE_OUT_OF_FUEL),
    (TrapKind::NullReference, WASM_TRAP_CODE_NULL_REFERENCE),
    (TrapKind::HeapMisaligned, WASM_TRAP_CODE_HEAP_MISALIGNED),
    (
        TrapKind::AtomicWaitNonSharedMemory,
        WASM_TRAP_CODE_ATOMIC_WAIT_NON_SHARED_MEMORY,
    ),
    (
        TrapKind::UncaughtException,
        WASM_TRAP_CODE_UNCAUGHT_EXCEPTION,
    ),
    (TrapKind::MemoryCheck, WASM_TRAP_CODE_MEMORY_CHECK),
    // After `NullReference`, so that the code maps back to it.
    (TrapKind::NullStructReference, WASM_TRAP_CODE_NULL_REFERENCE),
    (TrapKind::NullArrayReference, WASM_TRAP_CODE_NULL_REFERENCE),
    (TrapKind::NullI31Reference, WASM_TRAP_CODE_NULL_REFERENCE),
    (
        TrapKind::ArrayOutOfBounds,
        WASM_TRAP_CODE_ARRAY_OUT_OF_BOUNDS,
    ),
    (
        TrapKind::AllocationTooLarge,
        WASM_TRAP_CODE_ALLOCATION_TOO_LARGE,
    ),
    (TrapKind::CastFailure, WASM_TRAP_CODE_CAST_FAILURE),
];

/// The C number of a trap kind; `None` for host traps.
fn code_of(kind: TrapKind) -> Option<wasm_trap_code_t> {
    CODES.iter().find(|(k, _)| *k == kind).map(|(_, c)| *c)
}

/// The trap kind a C number stands for, if this build raises it.
fn kind_of(code: wasm_trap_code_t) -> Option<TrapKind> {
    CODES.iter().find(|(_, c)| *c == code).map(|(k, _)| *k)
}

/// If `trap` has a code (raised by wasm execution, or made by
/// `wasm_trap_new_code`), stores its `WASM_TRAP_CODE_*` in `*code` and
/// returns true; returns false (leaving `*code` untouched) for traps made
/// by the host with a message (`wasm_trap_new`), by the runtime for
/// malformed calls and link errors, and for NULL arguments.
#[no_mangle]
pub extern "C" fn wasm_trap_code(
    trap: Option<&wasm_trap_t>,
    code: Option<&mut wasm_trap_code_t>,
) -> bool {
    let (Some(trap), Some(code)) = (trap, code) else {
        return false;
    };
    match trap.trap().kind().and_then(code_of) {
        Some(c) => {
            *code = c;
            true
        }
        None => false,
    }
}

/// If `trap` ended a WASI program through `proc_exit(n)`, stores `n` in
/// `*status` and returns true; returns false (leaving `*status` untouched)
/// for every other trap and for NULL arguments. A host tells a program's
/// exit from its failure with this: exit status 0 is success.
#[no_mangle]
pub extern "C" fn wasm_trap_exit_status(
    trap: Option<&wasm_trap_t>,
    status: Option<&mut c_int>,
) -> bool {
    let (Some(trap), Some(status)) = (trap, status) else {
        return false;
    };
    match crate::wasi::exit_status(trap.trap()) {
        Some(n) => {
            *status = n;
            true
        }
        None => false,
    }
}

/// Returns a new trap of `store` with code `code` and that code's standard
/// message, owned by the caller: what a host function returns to stop wasm
/// as if wasm itself had trapped that way (`wasm_trap_code` reports the
/// code). NULL if `store` is NULL or `code` names no trap this build
/// raises (see the `WASM_TRAP_CODE_*` constants), and for
/// `WASM_TRAP_CODE_UNCAUGHT_EXCEPTION`, which needs an exception:
/// `wasm_trap_new_exception` makes that trap.
///
/// # Safety
/// `store` must be NULL or a live store.
#[no_mangle]
pub unsafe extern "C" fn wasm_trap_new_code(
    store: *mut wasm_store_t,
    code: wasm_trap_code_t,
) -> Option<Box<wasm_trap_t>> {
    // SAFETY: NULL or a live store (the caller's contract), borrowed shared.
    let store = unsafe { store.as_ref() }?;
    let kind = kind_of(code).filter(|k| *k != TrapKind::UncaughtException)?;
    Some(wasm_trap_t::boxed(Trap::with_kind(kind), Some(&store.ctx)))
}

/// If `trap` carries a wasm coredump (the engine has `coredump_on_trap` on
/// and the trap left wasm code), writes it into `out` and returns true;
/// otherwise writes an empty vector and returns false (also for a NULL
/// trap). `out` is owned by the caller, freed with `wasm_byte_vec_delete`;
/// a NULL `out` is ignored (false).
///
/// The dump is a wasm module in the tool-conventions coredump format: the
/// custom sections `core`, `coremodules`, `coreinstances` and `corestack`
/// (one frame per backtrace frame, innermost first, with its instance,
/// function index and code offset from the function's start; locals and
/// operand stack are not known and written as 0 values), a memory and a
/// data section with the memories' contents and a global section with the
/// globals' values at trap time.
#[no_mangle]
pub extern "C" fn wasm_trap_coredump(
    trap: Option<&wasm_trap_t>,
    out: Option<&mut wasm_byte_vec_t>,
) -> bool {
    let Some(out) = out else { return false };
    let dump = trap.and_then(|t| t.trap().coredump());
    *out = wasm_byte_vec_t::from_vec(dump.map(<[u8]>::to_vec).unwrap_or_default());
    dump.is_some()
}

/// The name of the frame's function from its module's name section,
/// borrowed from the frame (valid while the frame is); NULL when the
/// module names no such function, or for NULL.
#[no_mangle]
pub extern "C" fn wasm_frame_func_name(frame: Option<&wasm_frame_t>) -> Option<&wasm_name_t> {
    frame?.func_name.as_deref()
}

/// The name of the frame's module from its name section, borrowed from
/// the frame (valid while the frame is); NULL when the module has none, or
/// for NULL.
#[no_mangle]
pub extern "C" fn wasm_frame_module_name(frame: Option<&wasm_frame_t>) -> Option<&wasm_name_t> {
    frame?.module_name.as_deref()
}

/// When the frame's source position is known (`wasm_backtrace_details` on
/// and the module's DWARF line tables cover the frame), stores its file in
/// `*file_out` (a new vector owned by the caller), its line in `*line_out`
/// and its column (0: the whole line) in `*column_out`, each when not
/// NULL, and returns true; returns false, writing nothing, otherwise or
/// for a NULL frame.
#[no_mangle]
pub extern "C" fn wasm_frame_source(
    frame: Option<&wasm_frame_t>,
    file_out: Option<&mut wasm_name_t>,
    line_out: Option<&mut u32>,
    column_out: Option<&mut u32>,
) -> bool {
    let Some(source) = frame.and_then(|f| f.source.as_ref()) else {
        return false;
    };
    if let Some(out) = file_out {
        *out = wasm_byte_vec_t::from_vec(source.file.clone().into_bytes());
    }
    if let Some(out) = line_out {
        *out = source.line;
    }
    if let Some(out) = column_out {
        *out = source.column;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_wasm_trap_kind_has_one_code_and_back() {
        for kind in TrapKind::ALL {
            match kind {
                TrapKind::HostTrap => assert_eq!(code_of(kind), None),
                TrapKind::NullStructReference
                | TrapKind::NullArrayReference
                | TrapKind::NullI31Reference => {
                    assert_eq!(code_of(kind), Some(WASM_TRAP_CODE_NULL_REFERENCE))
                }
                _ => {
                    let code = code_of(kind).unwrap_or_else(|| panic!("{kind:?} has no code"));
                    assert_eq!(kind_of(code), Some(kind));
                }
            }
        }
        assert_eq!(
            kind_of(WASM_TRAP_CODE_CAST_FAILURE),
            Some(TrapKind::CastFailure)
        );
    }
}
