//! Why wasm code trapped: the kinds the spec names and their messages.
//! (How compiled code encodes them is the compiler's business:
//! `compiler::trap_codes`.)

use std::fmt;

/// A trap raised by WebAssembly execution.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TrapKind {
    /// The wasm stack limit (`max_wasm_stack`) was reached.
    StackOverflow,
    /// A load, store or bulk memory operation went out of bounds.
    MemoryOutOfBounds,
    /// A table access (get/set/fill/copy/init) went out of bounds, or
    /// `call_indirect` named an index past the end of the table (as in the
    /// reference, which has no separate kind for it; the spec testsuite
    /// calls that one "undefined element").
    TableOutOfBounds,
    /// `call_indirect` through a null table entry.
    IndirectCallToNull,
    /// `call_indirect` through an entry of the wrong signature.
    BadSignature,
    /// An integer operation overflowed (`i32.div_s` of `MIN` by -1, float-to-int of an out-of-range value).
    IntegerOverflow,
    /// Integer division or remainder by zero.
    IntegerDivisionByZero,
    /// Float-to-integer conversion of a NaN.
    BadConversionToInteger,
    /// The `unreachable` instruction was executed.
    UnreachableCodeReached,
    /// A null reference was dereferenced (`call_ref`, `ref.as_non_null`).
    NullReference,
    /// The epoch deadline passed.
    Interrupt,
    /// Fuel ran out.
    OutOfFuel,
    /// A host function returned a trap; the trap itself travels beside.
    HostTrap,
    /// An atomic access at an address that is not a multiple of its size.
    HeapMisaligned,
    /// `memory.atomic.wait32/64` on a memory that is not shared.
    AtomicWaitNonSharedMemory,
    /// A wasm exception was thrown and no `try_table` of the wasm frames
    /// between it and the host caught it.
    UncaughtException,
    /// `wmemcheck` found a heap error: an access to freed or unallocated
    /// heap bytes, a double free, or a free of a pointer the allocator
    /// never returned. The trap's message names the address and the kind
    /// of error (see `runtime::wmemcheck`).
    MemoryCheck,
    /// `struct.get`/`struct.set` of a null reference.
    NullStructReference,
    /// An `array.*` access of a null reference.
    NullArrayReference,
    /// `i31.get_s`/`i31.get_u` of a null reference.
    NullI31Reference,
    /// An array element index (or range) past the array's length.
    ArrayOutOfBounds,
    /// A struct or array larger than the GC heap allocates, or one the
    /// store's GC heap has no room left for.
    AllocationTooLarge,
    /// `ref.cast` of a value that is not of the target type.
    CastFailure,
}

impl TrapKind {
    /// Every trap kind.
    pub const ALL: [TrapKind; 23] = [
        TrapKind::StackOverflow,
        TrapKind::MemoryOutOfBounds,
        TrapKind::TableOutOfBounds,
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
        TrapKind::HeapMisaligned,
        TrapKind::AtomicWaitNonSharedMemory,
        TrapKind::UncaughtException,
        TrapKind::MemoryCheck,
        TrapKind::NullStructReference,
        TrapKind::NullArrayReference,
        TrapKind::NullI31Reference,
        TrapKind::ArrayOutOfBounds,
        TrapKind::AllocationTooLarge,
        TrapKind::CastFailure,
    ];

    /// The spec testsuite's message for this trap (this library's own for
    /// the kinds the spec does not have).
    pub fn message(self) -> &'static str {
        match self {
            TrapKind::StackOverflow => "call stack exhausted",
            TrapKind::MemoryOutOfBounds => "out of bounds memory access",
            TrapKind::TableOutOfBounds => "out of bounds table access",
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
            TrapKind::HeapMisaligned => "unaligned atomic",
            TrapKind::AtomicWaitNonSharedMemory => "atomic wait on non-shared memory",
            TrapKind::UncaughtException => "uncaught wasm exception",
            TrapKind::MemoryCheck => "wmemcheck: invalid heap use",
            TrapKind::NullStructReference => "null structure reference",
            TrapKind::NullArrayReference => "null array reference",
            TrapKind::NullI31Reference => "null i31 reference",
            TrapKind::ArrayOutOfBounds => "out of bounds array access",
            TrapKind::AllocationTooLarge => "allocation size too large",
            TrapKind::CastFailure => "cast failure",
        }
    }
}

impl fmt::Display for TrapKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}
