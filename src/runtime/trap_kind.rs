//! Why wasm code trapped: the kinds the spec names, their messages, and
//! their encoding as Cranelift trap codes in compiled code.

use cranelift_codegen::ir::TrapCode;
use std::fmt;

/// A trap raised by WebAssembly execution.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TrapKind {
    /// The wasm stack limit (`max_wasm_stack`) was reached.
    StackOverflow,
    /// A load, store or bulk memory operation went out of bounds.
    MemoryOutOfBounds,
    /// A table access (get/set/fill/copy/init) went out of bounds.
    TableOutOfBounds,
    /// `call_indirect` with an index past the end of the table.
    UndefinedElement,
    /// `call_indirect` through a null table entry.
    IndirectCallToNull,
    /// `call_indirect` through an entry of the wrong signature.
    BadSignature,
    IntegerOverflow,
    IntegerDivisionByZero,
    BadConversionToInteger,
    UnreachableCodeReached,
    /// A null reference was dereferenced (`call_ref`, `ref.as_non_null`).
    NullReference,
    /// The epoch deadline passed.
    Interrupt,
    /// Fuel ran out.
    OutOfFuel,
    /// A host function returned a trap; the trap itself travels beside.
    HostTrap,
}

impl TrapKind {
    /// The spec testsuite's message for this trap.
    pub fn message(self) -> &'static str {
        match self {
            TrapKind::StackOverflow => "call stack exhausted",
            TrapKind::MemoryOutOfBounds => "out of bounds memory access",
            TrapKind::TableOutOfBounds => "out of bounds table access",
            TrapKind::UndefinedElement => "undefined element",
            TrapKind::IndirectCallToNull => "uninitialized element",
            TrapKind::BadSignature => "indirect call type mismatch",
            TrapKind::IntegerOverflow => "integer overflow",
            TrapKind::IntegerDivisionByZero => "integer divide by zero",
            TrapKind::BadConversionToInteger => "invalid conversion to integer",
            TrapKind::UnreachableCodeReached => "unreachable",
            TrapKind::NullReference => "null reference",
            TrapKind::Interrupt => "interrupt",
            TrapKind::OutOfFuel => "all fuel consumed by WebAssembly",
            TrapKind::HostTrap => "host function trapped",
        }
    }

    /// The Cranelift trap code compiled code uses for this trap.
    pub fn to_trap_code(self) -> TrapCode {
        match self {
            TrapKind::StackOverflow => TrapCode::STACK_OVERFLOW,
            TrapKind::MemoryOutOfBounds => TrapCode::HEAP_OUT_OF_BOUNDS,
            TrapKind::IntegerOverflow => TrapCode::INTEGER_OVERFLOW,
            TrapKind::IntegerDivisionByZero => TrapCode::INTEGER_DIVISION_BY_ZERO,
            TrapKind::BadConversionToInteger => TrapCode::BAD_CONVERSION_TO_INTEGER,
            TrapKind::TableOutOfBounds => TrapCode::unwrap_user(1),
            TrapKind::UndefinedElement => TrapCode::unwrap_user(2),
            TrapKind::IndirectCallToNull => TrapCode::unwrap_user(3),
            TrapKind::BadSignature => TrapCode::unwrap_user(4),
            TrapKind::UnreachableCodeReached => TrapCode::unwrap_user(5),
            TrapKind::NullReference => TrapCode::unwrap_user(6),
            TrapKind::Interrupt => TrapCode::unwrap_user(7),
            TrapKind::OutOfFuel => TrapCode::unwrap_user(8),
            TrapKind::HostTrap => TrapCode::unwrap_user(9),
        }
    }

    /// The inverse of `to_trap_code`; `None` for codes we never emit.
    pub fn from_trap_code(code: TrapCode) -> Option<TrapKind> {
        const ALL: [TrapKind; 14] = [
            TrapKind::StackOverflow,
            TrapKind::MemoryOutOfBounds,
            TrapKind::TableOutOfBounds,
            TrapKind::UndefinedElement,
            TrapKind::IndirectCallToNull,
            TrapKind::BadSignature,
            TrapKind::IntegerOverflow,
            TrapKind::IntegerDivisionByZero,
            TrapKind::BadConversionToInteger,
            TrapKind::UnreachableCodeReached,
            TrapKind::NullReference,
            TrapKind::Interrupt,
            TrapKind::OutOfFuel,
            TrapKind::HostTrap,
        ];
        ALL.into_iter().find(|kind| kind.to_trap_code() == code)
    }
}

impl fmt::Display for TrapKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}
