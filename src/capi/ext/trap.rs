//! Trap codes: why wasm trapped, as a number a host can switch on.

use crate::capi::trap::wasm_trap_t;
use crate::runtime::TrapKind;

/// Why wasm trapped: one of the `WASM_TRAP_CODE_*` constants.
pub type wasm_trap_code_t = u8;

/// The wasm stack limit (`max_wasm_stack`) was reached.
pub const WASM_TRAP_CODE_STACK_OVERFLOW: wasm_trap_code_t = 0;
/// A memory access or bulk memory operation went out of bounds.
pub const WASM_TRAP_CODE_MEMORY_OUT_OF_BOUNDS: wasm_trap_code_t = 1;
/// A table access went out of bounds.
pub const WASM_TRAP_CODE_TABLE_OUT_OF_BOUNDS: wasm_trap_code_t = 2;
/// `call_indirect` with an index past the end of the table.
pub const WASM_TRAP_CODE_UNDEFINED_ELEMENT: wasm_trap_code_t = 3;
/// `call_indirect` through a null table entry.
pub const WASM_TRAP_CODE_INDIRECT_CALL_TO_NULL: wasm_trap_code_t = 4;
/// `call_indirect` through an entry of another signature.
pub const WASM_TRAP_CODE_BAD_SIGNATURE: wasm_trap_code_t = 5;
/// Integer overflow (`i32.div_s` of the minimum by -1, …).
pub const WASM_TRAP_CODE_INTEGER_OVERFLOW: wasm_trap_code_t = 6;
/// Integer division or remainder by zero.
pub const WASM_TRAP_CODE_INTEGER_DIVISION_BY_ZERO: wasm_trap_code_t = 7;
/// A float-to-integer conversion of NaN or an out-of-range value.
pub const WASM_TRAP_CODE_BAD_CONVERSION_TO_INTEGER: wasm_trap_code_t = 8;
/// An `unreachable` instruction was executed.
pub const WASM_TRAP_CODE_UNREACHABLE: wasm_trap_code_t = 9;
/// A null reference was dereferenced.
pub const WASM_TRAP_CODE_NULL_REFERENCE: wasm_trap_code_t = 10;
/// The store's epoch deadline passed (`epoch_interruption`).
pub const WASM_TRAP_CODE_INTERRUPT: wasm_trap_code_t = 11;
/// The store ran out of fuel (`consume_fuel`).
pub const WASM_TRAP_CODE_OUT_OF_FUEL: wasm_trap_code_t = 12;

/// The stable C number of a trap kind; `None` for host traps, which have
/// no code (their message is the host's).
fn code_of(kind: TrapKind) -> Option<wasm_trap_code_t> {
    Some(match kind {
        TrapKind::StackOverflow => WASM_TRAP_CODE_STACK_OVERFLOW,
        TrapKind::MemoryOutOfBounds => WASM_TRAP_CODE_MEMORY_OUT_OF_BOUNDS,
        TrapKind::TableOutOfBounds => WASM_TRAP_CODE_TABLE_OUT_OF_BOUNDS,
        TrapKind::UndefinedElement => WASM_TRAP_CODE_UNDEFINED_ELEMENT,
        TrapKind::IndirectCallToNull => WASM_TRAP_CODE_INDIRECT_CALL_TO_NULL,
        TrapKind::BadSignature => WASM_TRAP_CODE_BAD_SIGNATURE,
        TrapKind::IntegerOverflow => WASM_TRAP_CODE_INTEGER_OVERFLOW,
        TrapKind::IntegerDivisionByZero => WASM_TRAP_CODE_INTEGER_DIVISION_BY_ZERO,
        TrapKind::BadConversionToInteger => WASM_TRAP_CODE_BAD_CONVERSION_TO_INTEGER,
        TrapKind::UnreachableCodeReached => WASM_TRAP_CODE_UNREACHABLE,
        TrapKind::NullReference => WASM_TRAP_CODE_NULL_REFERENCE,
        TrapKind::Interrupt => WASM_TRAP_CODE_INTERRUPT,
        TrapKind::OutOfFuel => WASM_TRAP_CODE_OUT_OF_FUEL,
        TrapKind::HostTrap => return None,
    })
}

/// If `trap` was raised by wasm execution, stores its `WASM_TRAP_CODE_*`
/// in `*code` and returns true; returns false (leaving `*code` untouched)
/// for traps made by the host or the runtime (`wasm_trap_new`, malformed
/// calls, link errors) and for NULL arguments.
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
