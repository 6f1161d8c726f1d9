//! The libcalls compiled code makes into the runtime, and their ABI.
//!
//! Compiled code finds them in the table at `VMContext + VMOffsets::BUILTINS`
//! (index = `BuiltinFunction as usize`) and calls them with the platform's
//! C convention (`extern "C"`). Every one takes the caller's `vmctx` first.
//! Index arguments (memory, table, data, elem) are module-wide indices
//! (imported entities first). A builtin never traps or unwinds by itself:
//! the fallible ones return 1 on success and 0 when the operation is out of
//! bounds, and the compiled code then traps with the code that
//! `BuiltinFunction::trap_on_failure` names. That keeps Rust frames off the
//! stack whenever a trap unwinds to the host.
//!
//! The one exception is `RaiseTrap`, which *is* the trap: without
//! `signals_based_traps`, compiled code calls it instead of executing a
//! trapping instruction, and it never returns (see `traphandlers`).

use super::trap_kind::TrapKind;

/// An argument or result of a builtin, as compiled code sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BuiltinType {
    /// The caller's `*mut VMContext`.
    VMCtx,
    /// A 32-bit integer.
    I32,
    /// A 64-bit integer.
    I64,
    /// A pointer-sized reference (`*const VMFuncRef` or externref pointer).
    Pointer,
}

/// A runtime function called by compiled code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum BuiltinFunction {
    /// `(vmctx, memory: i32, delta_pages: i64) -> i64`: old size in pages,
    /// or -1 when the memory cannot grow that far.
    MemoryGrow,
    /// `(vmctx, memory: i32, dst: i64, value: i32, len: i64) -> i32`
    MemoryFill,
    /// `(vmctx, dst_memory: i32, dst: i64, src_memory: i32, src: i64, len: i64) -> i32`
    MemoryCopy,
    /// `(vmctx, memory: i32, data: i32, dst: i64, src: i32, len: i32) -> i32`
    MemoryInit,
    /// `(vmctx, data: i32)`
    DataDrop,
    /// `(vmctx, table: i32, delta: i64, init: ptr) -> i64`: old size, or -1.
    TableGrow,
    /// `(vmctx, table: i32, dst: i64, value: ptr, len: i64) -> i32`
    TableFill,
    /// `(vmctx, dst_table: i32, src_table: i32, dst: i64, src: i64, len: i64) -> i32`
    TableCopy,
    /// `(vmctx, table: i32, elem: i32, dst: i64, src: i32, len: i32) -> i32`
    TableInit,
    /// `(vmctx, elem: i32)`
    ElemDrop,
    /// `(vmctx, code: i32)`, never returns: raises the trap whose
    /// [`raise_trap_code`] is `code` in the innermost activation of the
    /// thread and resumes at that activation's entry, as the signal handler
    /// does after a fault. Called by code compiled without
    /// `signals_based_traps`, the only kind that calls it.
    RaiseTrap,
    /// `(vmctx) -> i32`: the epoch deadline has passed; 1 when the store's
    /// epoch deadline callback set a new deadline and wasm goes on, 0 to
    /// trap with `Interrupt`. Called only from the cold path of the epoch
    /// check.
    EpochDeadline,
    /// `(vmctx, memory: i32, addr: i64, expected: i32, timeout_ns: i64) -> i32`:
    /// `memory.atomic.wait32` on a shared memory, at a wasm address the
    /// compiled code has checked (in bounds, aligned): 0 woken, 1 the
    /// value was not `expected`, 2 timed out (a negative timeout waits
    /// forever).
    MemoryAtomicWait32,
    /// `(vmctx, memory: i32, addr: i64, expected: i64, timeout_ns: i64) -> i32`:
    /// as `MemoryAtomicWait32`, for a 64-bit value.
    MemoryAtomicWait64,
    /// `(vmctx, memory: i32, addr: i64, count: i32) -> i32`: wakes up to
    /// `count` waiters of a shared memory's checked address; the number woken.
    MemoryAtomicNotify,
    /// `(vmctx, tag: i32) -> ptr`: a new exception object of tag `tag`
    /// with a zeroed payload, which compiled code then fills in
    /// (`vmoffsets::exn`) before throwing it.
    ExnAlloc,
    /// `(vmctx, exn: ptr)`, never returns normally: throws the non-null
    /// exception `exn` from the calling wasm frame. The runtime walks the
    /// wasm frames from the caller outwards and resumes at the first
    /// handler of a `try_call` whose exception table matches (with the
    /// exception in the first payload register), or raises
    /// `UncaughtException` at the activation's entry. Compiled code calls
    /// it with the `tail` convention, under which a `try_call`'s
    /// exceptional edge assumes every register clobbered (the runtime
    /// restores only the stack and frame pointers).
    ThrowRef,
    /// `(vmctx, table: i32, index: i64) -> ptr`: element `index` (in
    /// bounds: the compiled code checked) of a funcref table of an engine
    /// with `table_lazy_init`, found not initialised yet (a 0 element). The
    /// runtime works out its initial value, stores it initialised and
    /// returns it untagged (null or a `*const VMFuncRef`). Called only from
    /// the cold path of a table read.
    TableGetLazyInit,
    /// `(vmctx) -> i32`: the fuel compiled code sees has run out; 1 when
    /// the store refuelled it from its reserve (a fuel yield interval; an
    /// async call suspends here first) and wasm goes on, 0 to trap with
    /// `OutOfFuel`. Called only from the cold path of the fuel check.
    OutOfFuel,
    /// `(vmctx, index: i64, offset: i64, len: i64) -> i32`: `wmemcheck`,
    /// before compiled code reads the `len` bytes of memory 0 at wasm
    /// address `index + offset` (a load, or the source of `memory.copy`):
    /// 1 when they may be read, 0 when some of them are freed or
    /// unallocated heap bytes (the runtime keeps the message for the
    /// `MemoryCheck` trap). Ranges outside the memory are 1: the access
    /// itself traps out of bounds.
    WmemcheckLoad,
    /// `(vmctx, index: i64, offset: i64, len: i64) -> i32`: as
    /// `WmemcheckLoad`, before a write (a store, an atomic read-modify-write,
    /// the destination of `memory.copy`, `memory.fill` or `memory.init`).
    WmemcheckStore,
    /// `(vmctx, role: i32, a0: i64, a1: i64, a2: i64) -> i32`: `wmemcheck`,
    /// at the entry of the module's allocator function of
    /// [`WmemcheckRole`] code `role`, with its parameters zero-extended (0
    /// for those it does not have). Heap checks are suspended until the
    /// matching `WmemcheckExit`. 0 when the call is a heap error (a double
    /// free, a free or realloc of a pointer the allocator never returned),
    /// before the allocator touches anything.
    WmemcheckEnter,
    /// `(vmctx, role: i32, result: i64)`: `wmemcheck`, at every return of
    /// that function, with its result zero-extended (0 for `free`): the
    /// runtime records what the call allocated or freed.
    WmemcheckExit,
    /// `(vmctx, type: i32) -> ptr`: a new struct of the module's type
    /// `type`, fields zeroed (null references), header written; 0 when
    /// the store's GC heap has no room (`AllocationTooLarge`).
    GcAllocStruct,
    /// `(vmctx, type: i32, len: i32) -> ptr`: a new array of the module's
    /// type `type` with `len` zeroed elements; 0 when it is too large.
    GcAllocArray,
    /// `(vmctx, type: i32, data: i32, offset: i32, len: i32) -> ptr`:
    /// `array.new_data`: a new array of `len` elements read from data
    /// segment `data` at byte `offset`; 0 when too large, 1 when the bytes
    /// are outside the (possibly dropped) segment.
    ArrayNewData,
    /// `(vmctx, type: i32, elem: i32, offset: i32, len: i32) -> ptr`:
    /// `array.new_elem`, from element segment `elem`; 0 when too large, 1
    /// when the range is outside the segment.
    ArrayNewElem,
    /// `(vmctx, type: i32, array: ptr, dst: i32, data: i32, src: i32,
    /// len: i32) -> i32`: `array.init_data` into the non-null `array`: 0
    /// done, 1 the array range is out of bounds, 2 the segment's.
    ArrayInitData,
    /// `(vmctx, type: i32, array: ptr, dst: i32, elem: i32, src: i32,
    /// len: i32) -> i32`: `array.init_elem`, as `ArrayInitData`.
    ArrayInitElem,
    /// `(vmctx, type: i32, dst: ptr, dst_index: i32, src: ptr,
    /// src_index: i32, len: i32) -> i32`: `array.copy` between non-null
    /// arrays whose elements are of `type`'s size (overlap allowed): 1
    /// done, 0 out of bounds (`ArrayOutOfBounds`).
    ArrayCopy,
    /// `(vmctx, actual: i32, expected: i32) -> i32`: 1 when the type of
    /// canonical id `actual` is `expected` or declares it among its
    /// supertypes, else 0. The slow path of casts and `call_indirect`.
    IsSubtype,
}

impl BuiltinFunction {
    /// Every builtin, in table order.
    pub const ALL: [BuiltinFunction; 31] = [
        BuiltinFunction::MemoryGrow,
        BuiltinFunction::MemoryFill,
        BuiltinFunction::MemoryCopy,
        BuiltinFunction::MemoryInit,
        BuiltinFunction::DataDrop,
        BuiltinFunction::TableGrow,
        BuiltinFunction::TableFill,
        BuiltinFunction::TableCopy,
        BuiltinFunction::TableInit,
        BuiltinFunction::ElemDrop,
        BuiltinFunction::RaiseTrap,
        BuiltinFunction::EpochDeadline,
        BuiltinFunction::MemoryAtomicWait32,
        BuiltinFunction::MemoryAtomicWait64,
        BuiltinFunction::MemoryAtomicNotify,
        BuiltinFunction::ExnAlloc,
        BuiltinFunction::ThrowRef,
        BuiltinFunction::TableGetLazyInit,
        BuiltinFunction::OutOfFuel,
        BuiltinFunction::WmemcheckLoad,
        BuiltinFunction::WmemcheckStore,
        BuiltinFunction::WmemcheckEnter,
        BuiltinFunction::WmemcheckExit,
        BuiltinFunction::GcAllocStruct,
        BuiltinFunction::GcAllocArray,
        BuiltinFunction::ArrayNewData,
        BuiltinFunction::ArrayNewElem,
        BuiltinFunction::ArrayInitData,
        BuiltinFunction::ArrayInitElem,
        BuiltinFunction::ArrayCopy,
        BuiltinFunction::IsSubtype,
    ];
    /// Number of builtins, the length of the builtin table.
    pub const COUNT: usize = Self::ALL.len();

    /// Byte offset of this builtin's entry in the builtin table.
    pub fn table_offset(self) -> u32 {
        self as u32 * super::vmoffsets::PTR
    }

    /// Parameter and result types, in order.
    pub fn signature(self) -> (&'static [BuiltinType], Option<BuiltinType>) {
        use BuiltinType::*;
        match self {
            BuiltinFunction::MemoryGrow => (&[VMCtx, I32, I64], Some(I64)),
            BuiltinFunction::MemoryFill => (&[VMCtx, I32, I64, I32, I64], Some(I32)),
            BuiltinFunction::MemoryCopy => (&[VMCtx, I32, I64, I32, I64, I64], Some(I32)),
            BuiltinFunction::MemoryInit => (&[VMCtx, I32, I32, I64, I32, I32], Some(I32)),
            BuiltinFunction::DataDrop => (&[VMCtx, I32], None),
            BuiltinFunction::TableGrow => (&[VMCtx, I32, I64, Pointer], Some(I64)),
            BuiltinFunction::TableFill => (&[VMCtx, I32, I64, Pointer, I64], Some(I32)),
            BuiltinFunction::TableCopy => (&[VMCtx, I32, I32, I64, I64, I64], Some(I32)),
            BuiltinFunction::TableInit => (&[VMCtx, I32, I32, I64, I32, I32], Some(I32)),
            BuiltinFunction::ElemDrop => (&[VMCtx, I32], None),
            BuiltinFunction::RaiseTrap => (&[VMCtx, I32], None),
            BuiltinFunction::EpochDeadline | BuiltinFunction::OutOfFuel => (&[VMCtx], Some(I32)),
            BuiltinFunction::MemoryAtomicWait32 => (&[VMCtx, I32, I64, I32, I64], Some(I32)),
            BuiltinFunction::MemoryAtomicWait64 => (&[VMCtx, I32, I64, I64, I64], Some(I32)),
            BuiltinFunction::MemoryAtomicNotify => (&[VMCtx, I32, I64, I32], Some(I32)),
            BuiltinFunction::ExnAlloc => (&[VMCtx, I32], Some(Pointer)),
            BuiltinFunction::ThrowRef => (&[VMCtx, Pointer], None),
            BuiltinFunction::TableGetLazyInit => (&[VMCtx, I32, I64], Some(Pointer)),
            BuiltinFunction::WmemcheckLoad | BuiltinFunction::WmemcheckStore => {
                (&[VMCtx, I64, I64, I64], Some(I32))
            }
            BuiltinFunction::WmemcheckEnter => (&[VMCtx, I32, I64, I64, I64], Some(I32)),
            BuiltinFunction::WmemcheckExit => (&[VMCtx, I32, I64], None),
            BuiltinFunction::GcAllocStruct => (&[VMCtx, I32], Some(Pointer)),
            BuiltinFunction::GcAllocArray => (&[VMCtx, I32, I32], Some(Pointer)),
            BuiltinFunction::ArrayNewData | BuiltinFunction::ArrayNewElem => {
                (&[VMCtx, I32, I32, I32, I32], Some(Pointer))
            }
            BuiltinFunction::ArrayInitData | BuiltinFunction::ArrayInitElem => {
                (&[VMCtx, I32, Pointer, I32, I32, I32, I32], Some(I32))
            }
            BuiltinFunction::ArrayCopy => {
                (&[VMCtx, I32, Pointer, I32, Pointer, I32, I32], Some(I32))
            }
            BuiltinFunction::IsSubtype => (&[VMCtx, I32, I32], Some(I32)),
        }
    }

    /// For builtins returning a success flag: the trap to raise on 0.
    pub fn trap_on_failure(self) -> Option<TrapKind> {
        match self {
            BuiltinFunction::MemoryFill
            | BuiltinFunction::MemoryCopy
            | BuiltinFunction::MemoryInit => Some(TrapKind::MemoryOutOfBounds),
            BuiltinFunction::TableFill
            | BuiltinFunction::TableCopy
            | BuiltinFunction::TableInit => Some(TrapKind::TableOutOfBounds),
            BuiltinFunction::EpochDeadline => Some(TrapKind::Interrupt),
            BuiltinFunction::OutOfFuel => Some(TrapKind::OutOfFuel),
            BuiltinFunction::GcAllocStruct | BuiltinFunction::GcAllocArray => {
                Some(TrapKind::AllocationTooLarge)
            }
            BuiltinFunction::ArrayCopy => Some(TrapKind::ArrayOutOfBounds),
            BuiltinFunction::WmemcheckLoad
            | BuiltinFunction::WmemcheckStore
            | BuiltinFunction::WmemcheckEnter => Some(TrapKind::MemoryCheck),
            BuiltinFunction::MemoryGrow
            | BuiltinFunction::DataDrop
            | BuiltinFunction::TableGrow
            | BuiltinFunction::ElemDrop
            | BuiltinFunction::RaiseTrap
            | BuiltinFunction::MemoryAtomicWait32
            | BuiltinFunction::MemoryAtomicWait64
            | BuiltinFunction::MemoryAtomicNotify
            | BuiltinFunction::ExnAlloc
            | BuiltinFunction::ThrowRef
            | BuiltinFunction::TableGetLazyInit
            | BuiltinFunction::WmemcheckExit
            | BuiltinFunction::ArrayNewData
            | BuiltinFunction::ArrayNewElem
            | BuiltinFunction::ArrayInitData
            | BuiltinFunction::ArrayInitElem
            | BuiltinFunction::IsSubtype => None,
        }
    }
}

/// What `wmemcheck` knows an allocator function of the module to be: the
/// `role` argument of `WmemcheckEnter`/`WmemcheckExit` is its code
/// (`as u32`). The compiler finds the functions by name (see
/// `compiler::translate::wmemcheck`); the runtime interprets their
/// parameters and results as the C library functions of those names do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum WmemcheckRole {
    /// `void *malloc(size_t size)`
    Malloc = 1,
    /// `void *calloc(size_t count, size_t size)`
    Calloc,
    /// `void *realloc(void *ptr, size_t size)`
    Realloc,
    /// `void free(void *ptr)`
    Free,
    /// `void *aligned_alloc(size_t alignment, size_t size)`
    AlignedAlloc,
    /// `int posix_memalign(void **ptr, size_t alignment, size_t size)`
    PosixMemalign,
    /// `size_t malloc_usable_size(void *ptr)`
    MallocUsableSize,
}

/// A parameter or result of an allocator function, as wasm sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WmemcheckSlot {
    /// A pointer or `size_t`: the index type of memory 0.
    Address,
    /// An `int`.
    I32,
}

impl WmemcheckRole {
    /// Every role.
    pub const ALL: [WmemcheckRole; 7] = [
        WmemcheckRole::Malloc,
        WmemcheckRole::Calloc,
        WmemcheckRole::Realloc,
        WmemcheckRole::Free,
        WmemcheckRole::AlignedAlloc,
        WmemcheckRole::PosixMemalign,
        WmemcheckRole::MallocUsableSize,
    ];

    /// The C name of the function.
    pub fn name(self) -> &'static str {
        match self {
            WmemcheckRole::Malloc => "malloc",
            WmemcheckRole::Calloc => "calloc",
            WmemcheckRole::Realloc => "realloc",
            WmemcheckRole::Free => "free",
            WmemcheckRole::AlignedAlloc => "aligned_alloc",
            WmemcheckRole::PosixMemalign => "posix_memalign",
            WmemcheckRole::MallocUsableSize => "malloc_usable_size",
        }
    }

    /// The role of `code` (`None` for a number no role has).
    pub fn from_code(code: u32) -> Option<WmemcheckRole> {
        WmemcheckRole::ALL.into_iter().find(|r| *r as u32 == code)
    }

    /// The C signature: parameters, then the result (if any).
    pub fn signature(self) -> (&'static [WmemcheckSlot], Option<WmemcheckSlot>) {
        use WmemcheckSlot::{Address as A, I32};
        match self {
            WmemcheckRole::Malloc => (&[A], Some(A)),
            WmemcheckRole::Calloc | WmemcheckRole::Realloc | WmemcheckRole::AlignedAlloc => {
                (&[A, A], Some(A))
            }
            WmemcheckRole::Free => (&[A], None),
            WmemcheckRole::PosixMemalign => (&[A, A, A], Some(I32)),
            WmemcheckRole::MallocUsableSize => (&[A], Some(A)),
        }
    }
}

/// The `code` argument of `BuiltinFunction::RaiseTrap` for `kind`: one
/// more than its position in `TrapKind::ALL`, so that 0 (what a zeroed or
/// forgotten argument would be) names no kind. Compiler and runtime agree
/// on it through this layer, without Cranelift's trap codes.
pub fn raise_trap_code(kind: TrapKind) -> u32 {
    let position = TrapKind::ALL
        .iter()
        .position(|k| *k == kind)
        .expect("TrapKind::ALL lists every kind");
    position as u32 + 1
}

/// The trap kind a `RaiseTrap` `code` stands for (`None` for a number no
/// kind has).
pub fn trap_kind_of_raise_code(code: u32) -> Option<TrapKind> {
    let position = usize::try_from(code.checked_sub(1)?).ok()?;
    TrapKind::ALL.get(position).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wmemcheck_roles_round_trip() {
        for role in WmemcheckRole::ALL {
            assert_eq!(WmemcheckRole::from_code(role as u32), Some(role));
            assert!(role.signature().0.len() <= 3, "WmemcheckEnter passes three");
        }
        assert_eq!(WmemcheckRole::from_code(0), None);
        assert_eq!(WmemcheckRole::from_code(8), None);
    }

    #[test]
    fn raise_codes_round_trip() {
        for code in 0..=300 {
            if let Some(kind) = trap_kind_of_raise_code(code) {
                assert_eq!(raise_trap_code(kind), code);
            }
        }
        for kind in TrapKind::ALL {
            assert_eq!(trap_kind_of_raise_code(raise_trap_code(kind)), Some(kind));
        }
        assert_eq!(trap_kind_of_raise_code(0), None);
        assert_eq!(trap_kind_of_raise_code(1 << 20), None);
    }
}
