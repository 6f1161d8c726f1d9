//! The layout of an instance's `VMContext`, shared by the compiler (which
//! emits loads at these offsets) and the runtime (which fills them in).
//!
//! ```text
//! VMContext (16-byte aligned, one per instance):
//!   0   *mut VMRuntimeLimits      per-store: stack limit, fuel, epoch deadline
//!   8   *const BuiltinTable       `[*const u8; BuiltinFunction::COUNT]`, libcall entry points
//!   16  *mut Instance             the owning runtime instance (opaque to compiled code)
//!   24  *const u32                canonical type id of each module type index
//!   32  imported tables           *mut VMTableDefinition, one per imported table
//!       imported memories         *mut VMMemoryDefinition, one per imported memory
//!       imported globals          *mut VMGlobalDefinition, one per imported global
//!       defined memories          VMMemoryDefinition (16 bytes) each; a shared
//!                                 one holds `*mut VMMemoryDefinition` instead,
//!                                 the shared memory's own definition
//!       defined tables            VMTableDefinition (16 bytes) each
//!       defined globals           VMGlobalDefinition (16 bytes, 16-aligned) each
//!       func refs                 VMFuncRef (24 bytes) for EVERY function, imported too
//!       wmemcheck                 *const WmemcheckFast of the instance's heap
//!                                 checker (`wmemcheck` engines; null otherwise)
//! ```
//!
//! Calls to imported functions load `wasm_call` and `vmctx` from the
//! function's `VMFuncRef`; `ref.func` is the address of that `VMFuncRef`.

use crate::environ::ModuleInfo;

/// Size of a pointer on every target we support.
pub const PTR: u32 = 8;

/// `VMFuncRef`: what a funcref value points at.
///
/// `wasm_call` is entered with the Cranelift `tail` convention as
/// `(callee_vmctx, caller_vmctx, params...) -> results`, `vmctx` is passed
/// as `callee_vmctx`, and `type_id` is the canonical type id checked
/// by `call_indirect`.
pub mod func_ref {
    /// Offset of the code pointer entered with the `tail` convention.
    pub const WASM_CALL: u32 = 0;
    /// Offset of the `vmctx` passed to that code as `callee_vmctx`.
    pub const VMCTX: u32 = 8;
    /// Offset of the canonical type id (`u32`) `call_indirect` compares.
    pub const TYPE_ID: u32 = 16;
    /// Size in bytes of one `VMFuncRef`.
    pub const SIZE: u32 = 24;
}

/// An exception object, as an `exnref` points at it: `1 + n` 16-byte
/// slots, the first holding the address of the tag's runtime record (its
/// identity), then the payload values in the tag's parameter order, each
/// in the low bytes of its slot as a `ValRaw` holds it.
pub mod exn {
    /// Offset of payload value `i`.
    pub const fn payload(i: u32) -> u32 {
        16 * (i + 1)
    }
}

/// `VMMemoryDefinition`: a linear memory's base and byte length. A static
/// memory's base never changes; a dynamic one may move on growth.
pub mod memory_def {
    /// Offset of the pointer to the memory's first byte.
    pub const BASE: u32 = 0;
    /// Offset of the memory's current length in bytes (`usize`).
    pub const CURRENT_LENGTH: u32 = 8;
    /// Size in bytes of one `VMMemoryDefinition`.
    pub const SIZE: u32 = 16;
}

/// `VMTableDefinition`: a table's element array (pointer-sized elements:
/// `*const VMFuncRef` for funcref, an opaque host pointer for externref,
/// NULL for null) and its current element count.
pub mod table_def {
    /// Offset of the pointer to the first element.
    pub const BASE: u32 = 0;
    /// Offset of the current element count (`usize`).
    pub const CURRENT_ELEMENTS: u32 = 8;
    /// Size in bytes of one `VMTableDefinition`.
    pub const SIZE: u32 = 16;
}

/// `VMGlobalDefinition`: 16 bytes of storage, the value at offset 0 in the
/// same little-endian encoding as `ValRaw`.
pub mod global_def {
    /// Size in bytes of one global's storage (fits a `v128`).
    pub const SIZE: u32 = 16;
}

/// `VMRuntimeLimits`: per-store state read by compiled code.
pub mod runtime_limits {
    /// Lowest address the stack pointer may reach; checked in every prologue.
    pub const STACK_LIMIT: u32 = 0;
    /// Fuel consumed so far, as a negative count rising to 0 (fuel option).
    pub const FUEL_CONSUMED: u32 = 8;
    /// Epoch at which to interrupt (epoch_interruption option).
    pub const EPOCH_DEADLINE: u32 = 16;
    /// Address of the engine's epoch counter (`*const AtomicU64`).
    pub const EPOCH_COUNTER_PTR: u32 = 24;
    /// Size in bytes of the whole `VMRuntimeLimits`.
    pub const SIZE: u32 = 32;
}

/// `WmemcheckFast`: what compiled code of a `wmemcheck` engine reads to
/// let an access of memory 0 through without calling the heap checker
/// (`runtime::wmemcheck`), which keeps it up to date. An access of
/// `[addr, end)` may go on when `end <= FLOOR`, or when `end <=
/// SHADOW_LEN` and the shadow bytes `SHADOW[addr..end]` are all `LIVE`;
/// any other access asks the checker (`WmemcheckLoad`/`WmemcheckStore`).
pub mod wmemcheck_fast {
    /// `u64`: no access ending at or below it needs checking (the lowest
    /// block start; `u64::MAX` while nothing is tracked or checks are
    /// suspended).
    pub const FLOOR: u32 = 0;
    /// `*const u8`: the shadow bytes, one per byte of memory 0 from
    /// address 0.
    pub const SHADOW: u32 = 8;
    /// `u64`: how many shadow bytes there are.
    pub const SHADOW_LEN: u32 = 16;
    /// The shadow value of a byte inside a live block.
    pub const LIVE: u8 = 1;
}

/// `VMHostFuncContext`: the `vmctx` of a host function's `VMFuncRef`. The
/// engine's wasm-to-host trampoline for the signature spills the arguments
/// into a `ValRaw` array and calls `array_call` loaded from offset 0:
/// `extern "C" fn(callee_vmctx, caller_vmctx, values: *mut ValRaw, len: usize, exit_fp: usize) -> u32`,
/// returning 1 on success (results written into `values`) or 0 after
/// recording a trap, in which case the trampoline traps with
/// `TrapKind::HostTrap`.
pub mod host_func_ctx {
    /// Offset of the `array_call` entry point the trampoline calls.
    pub const ARRAY_CALL: u32 = 0;
}

/// Byte offsets of the fields of one module's `VMContext`.
#[derive(Clone, Debug)]
pub struct VMOffsets {
    /// Number of imported tables (pointer slots in the imported-tables array).
    pub num_imported_tables: u32,
    /// Number of imported memories (pointer slots in the imported-memories array).
    pub num_imported_memories: u32,
    /// Number of imported globals (pointer slots in the imported-globals array).
    pub num_imported_globals: u32,
    /// Number of inline `VMMemoryDefinition`s for the module's own memories.
    pub num_defined_memories: u32,
    /// Number of inline `VMTableDefinition`s for the module's own tables.
    pub num_defined_tables: u32,
    /// Number of inline `VMGlobalDefinition`s for the module's own globals.
    pub num_defined_globals: u32,
    /// Number of `VMFuncRef`s: every function, imported ones included.
    pub num_funcs: u32,
    imported_tables: u32,
    imported_memories: u32,
    imported_globals: u32,
    defined_memories: u32,
    defined_tables: u32,
    defined_globals: u32,
    func_refs: u32,
    wmemcheck: u32,
    size: u32,
}

fn align_to(offset: u32, align: u32) -> u32 {
    offset.div_ceil(align) * align
}

impl VMOffsets {
    /// Offset of the `*mut VMRuntimeLimits` shared by the store.
    pub const RUNTIME_LIMITS: u32 = 0;
    /// Offset of the `*const BuiltinTable` of libcall entry points.
    pub const BUILTINS: u32 = 8;
    /// Offset of the `*mut Instance` that owns this `VMContext`.
    pub const INSTANCE: u32 = 16;
    /// Offset of the `*const u32` array of canonical type ids, by type index.
    pub const TYPE_IDS: u32 = 24;
    const HEADER_SIZE: u32 = 32;

    /// The layout for `info`'s imports and definitions.
    pub fn new(info: &ModuleInfo) -> VMOffsets {
        let num_imported_tables = info.num_imported_tables;
        let num_imported_memories = info.num_imported_memories;
        let num_imported_globals = info.num_imported_globals;
        let num_defined_memories = info.num_defined_memories();
        let num_defined_tables = info.num_defined_tables();
        let num_defined_globals = info.num_defined_globals();
        let num_funcs = info.functions.len() as u32;

        let imported_tables = Self::HEADER_SIZE;
        let imported_memories = imported_tables + num_imported_tables * PTR;
        let imported_globals = imported_memories + num_imported_memories * PTR;
        let defined_memories = imported_globals + num_imported_globals * PTR;
        let defined_tables = defined_memories + num_defined_memories * memory_def::SIZE;
        let defined_globals = align_to(defined_tables + num_defined_tables * table_def::SIZE, 16);
        let func_refs = defined_globals + num_defined_globals * global_def::SIZE;
        // Last, so that the fields before it keep their offsets.
        let wmemcheck = func_refs + num_funcs * func_ref::SIZE;
        let size = align_to(wmemcheck + PTR, 16);
        VMOffsets {
            num_imported_tables,
            num_imported_memories,
            num_imported_globals,
            num_defined_memories,
            num_defined_tables,
            num_defined_globals,
            num_funcs,
            imported_tables,
            imported_memories,
            imported_globals,
            defined_memories,
            defined_tables,
            defined_globals,
            func_refs,
            wmemcheck,
            size,
        }
    }

    /// Offset of the `*mut VMTableDefinition` of imported table `index`.
    pub fn imported_table(&self, index: u32) -> u32 {
        debug_assert!(index < self.num_imported_tables);
        self.imported_tables + index * PTR
    }

    /// Offset of the `*mut VMMemoryDefinition` of imported memory `index`.
    pub fn imported_memory(&self, index: u32) -> u32 {
        debug_assert!(index < self.num_imported_memories);
        self.imported_memories + index * PTR
    }

    /// Offset of the `*mut VMGlobalDefinition` of imported global `index`.
    pub fn imported_global(&self, index: u32) -> u32 {
        debug_assert!(index < self.num_imported_globals);
        self.imported_globals + index * PTR
    }

    /// Offset of the `VMMemoryDefinition` of defined memory `index`
    /// (counted among defined memories only). For a shared memory the slot
    /// holds a pointer to the shared memory's definition instead: its
    /// length changes under every instance that uses it.
    pub fn defined_memory(&self, index: u32) -> u32 {
        debug_assert!(index < self.num_defined_memories);
        self.defined_memories + index * memory_def::SIZE
    }

    /// Offset of the `VMTableDefinition` of defined table `index`.
    pub fn defined_table(&self, index: u32) -> u32 {
        debug_assert!(index < self.num_defined_tables);
        self.defined_tables + index * table_def::SIZE
    }

    /// Offset of the `VMGlobalDefinition` of defined global `index`.
    pub fn defined_global(&self, index: u32) -> u32 {
        debug_assert!(index < self.num_defined_globals);
        self.defined_globals + index * global_def::SIZE
    }

    /// Offset of the `VMFuncRef` of function `index` (whole index space).
    pub fn func_ref(&self, index: u32) -> u32 {
        debug_assert!(index < self.num_funcs);
        self.func_refs + index * func_ref::SIZE
    }

    /// Offset of the `*const WmemcheckFast` (see [`wmemcheck_fast`]).
    pub fn wmemcheck(&self) -> u32 {
        self.wmemcheck
    }

    /// Total size of the `VMContext` in bytes.
    pub fn size(&self) -> u32 {
        self.size
    }
}
