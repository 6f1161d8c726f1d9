//! How compiled code encodes a `TrapKind`: as a Cranelift trap code on the
//! trapping instruction. The compiler reads the codes back out of each
//! function's trap table (`trap_kind`) before the code reaches the
//! runtime, which only ever sees `TrapKind`s.
//!
//! The kinds Cranelift raises by itself (stack limit, integer division,
//! float-to-int conversion) use its reserved codes; the others are user
//! codes 1..=19.

use crate::environ::TrapKind;
use cranelift_codegen::ir::TrapCode;

/// The Cranelift trap code of a trap kind.
pub(crate) trait ToTrapCode {
    /// The code compiled code uses for this trap.
    fn to_trap_code(self) -> TrapCode;
}

impl ToTrapCode for TrapKind {
    fn to_trap_code(self) -> TrapCode {
        match self {
            TrapKind::StackOverflow => TrapCode::STACK_OVERFLOW,
            TrapKind::MemoryOutOfBounds => TrapCode::HEAP_OUT_OF_BOUNDS,
            TrapKind::IntegerOverflow => TrapCode::INTEGER_OVERFLOW,
            TrapKind::IntegerDivisionByZero => TrapCode::INTEGER_DIVISION_BY_ZERO,
            TrapKind::BadConversionToInteger => TrapCode::BAD_CONVERSION_TO_INTEGER,
            TrapKind::TableOutOfBounds => TrapCode::unwrap_user(1),
            TrapKind::IndirectCallToNull => TrapCode::unwrap_user(3),
            TrapKind::BadSignature => TrapCode::unwrap_user(4),
            TrapKind::UnreachableCodeReached => TrapCode::unwrap_user(5),
            TrapKind::NullReference => TrapCode::unwrap_user(6),
            TrapKind::Interrupt => TrapCode::unwrap_user(7),
            TrapKind::OutOfFuel => TrapCode::unwrap_user(8),
            TrapKind::HostTrap => TrapCode::unwrap_user(9),
            TrapKind::HeapMisaligned => TrapCode::unwrap_user(10),
            TrapKind::AtomicWaitNonSharedMemory => TrapCode::unwrap_user(11),
            // Never a trap instruction: the throw path raises it (a code
            // still, so serialized trap tables stay one byte per kind).
            TrapKind::UncaughtException => TrapCode::unwrap_user(12),
            // The trap after a `wmemcheck` builtin reported an error.
            TrapKind::MemoryCheck => TrapCode::unwrap_user(13),
            TrapKind::NullStructReference => TrapCode::unwrap_user(14),
            TrapKind::NullArrayReference => TrapCode::unwrap_user(15),
            TrapKind::NullI31Reference => TrapCode::unwrap_user(16),
            TrapKind::ArrayOutOfBounds => TrapCode::unwrap_user(17),
            TrapKind::AllocationTooLarge => TrapCode::unwrap_user(18),
            TrapKind::CastFailure => TrapCode::unwrap_user(19),
        }
    }
}

/// The inverse of `to_trap_code`; `None` for codes we never emit.
pub(crate) fn trap_kind(code: TrapCode) -> Option<TrapKind> {
    TrapKind::ALL
        .into_iter()
        .find(|kind| kind.to_trap_code() == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_its_own_code() {
        for kind in TrapKind::ALL {
            assert_eq!(trap_kind(kind.to_trap_code()), Some(kind), "{kind:?}");
        }
        assert_eq!(trap_kind(TrapCode::unwrap_user(20)), None);
    }
}
