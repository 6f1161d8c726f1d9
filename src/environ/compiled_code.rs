//! Compiled code as the compiler hands it to the runtime: each function's
//! machine code with its relocations, trap sites and address map, before
//! it is laid out in executable memory (`runtime::CodeMemory`), and the
//! trait through which the runtime gets the trampolines of a signature.
//!
//! Relocation kinds and libcalls are named here in the runtime's own terms
//! (the compiler translates Cranelift's), so the runtime, which patches and
//! resolves them, does not depend on Cranelift.

use super::trap_kind::TrapKind;
use super::types::FuncType;
use std::fmt;

/// How a relocation is patched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RelocKind {
    /// The absolute 8-byte address of the target.
    Abs8,
    /// x86-64: the 4-byte pc-relative offset of the target.
    X86PCRel4,
    /// x86-64: the 4-byte pc-relative offset of a call target.
    X86CallPCRel4,
    /// x86-64: the 4-byte pc-relative offset of a call through the PLT
    /// (the target itself here: there is no PLT).
    X86CallPLTRel4,
    /// aarch64: the 26-bit word offset of a `bl` target.
    Arm64Call,
}

impl RelocKind {
    /// Every kind, in a fixed order (serialized modules store the index).
    pub const ALL: [RelocKind; 5] = [
        RelocKind::Abs8,
        RelocKind::X86PCRel4,
        RelocKind::X86CallPCRel4,
        RelocKind::X86CallPLTRel4,
        RelocKind::Arm64Call,
    ];

    /// The number of bytes the relocation patches.
    pub fn size(self) -> usize {
        match self {
            RelocKind::Abs8 => 8,
            RelocKind::X86PCRel4
            | RelocKind::X86CallPCRel4
            | RelocKind::X86CallPLTRel4
            | RelocKind::Arm64Call => 4,
        }
    }
}

/// A helper routine compiled code may call when the ISA lacks an
/// instruction (float rounding without SSE4.1, fused multiply-add) or for
/// large memory operations; the runtime provides each one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LibCall {
    /// `f32.ceil`: round up to an integer.
    CeilF32,
    /// `f64.ceil`: round up to an integer.
    CeilF64,
    /// `f32.floor`: round down to an integer.
    FloorF32,
    /// `f64.floor`: round down to an integer.
    FloorF64,
    /// `f32.trunc`: round toward zero.
    TruncF32,
    /// `f64.trunc`: round toward zero.
    TruncF64,
    /// `f32.nearest`: round to the nearest integer, ties to even.
    NearestF32,
    /// `f64.nearest`: round to the nearest integer, ties to even.
    NearestF64,
    /// `f32` fused multiply-add with a single rounding (relaxed SIMD / FMA).
    FmaF32,
    /// `f64` fused multiply-add with a single rounding (relaxed SIMD / FMA).
    FmaF64,
    /// Copy between non-overlapping byte ranges.
    Memcpy,
    /// Fill a byte range with one value.
    Memset,
    /// Copy between byte ranges that may overlap.
    Memmove,
    /// Compare two byte ranges.
    Memcmp,
}

impl LibCall {
    /// Every libcall.
    pub const ALL: [LibCall; 14] = [
        LibCall::CeilF32,
        LibCall::CeilF64,
        LibCall::FloorF32,
        LibCall::FloorF64,
        LibCall::TruncF32,
        LibCall::TruncF64,
        LibCall::NearestF32,
        LibCall::NearestF64,
        LibCall::FmaF32,
        LibCall::FmaF64,
        LibCall::Memcpy,
        LibCall::Memset,
        LibCall::Memmove,
        LibCall::Memcmp,
    ];

    /// The libcall's name (as Cranelift spells it; serialized modules
    /// store it).
    pub fn name(self) -> &'static str {
        match self {
            LibCall::CeilF32 => "CeilF32",
            LibCall::CeilF64 => "CeilF64",
            LibCall::FloorF32 => "FloorF32",
            LibCall::FloorF64 => "FloorF64",
            LibCall::TruncF32 => "TruncF32",
            LibCall::TruncF64 => "TruncF64",
            LibCall::NearestF32 => "NearestF32",
            LibCall::NearestF64 => "NearestF64",
            LibCall::FmaF32 => "FmaF32",
            LibCall::FmaF64 => "FmaF64",
            LibCall::Memcpy => "Memcpy",
            LibCall::Memset => "Memset",
            LibCall::Memmove => "Memmove",
            LibCall::Memcmp => "Memcmp",
        }
    }

    /// The libcall called `name`, if there is one.
    pub fn from_name(name: &str) -> Option<LibCall> {
        LibCall::ALL.into_iter().find(|call| call.name() == name)
    }
}

impl fmt::Display for LibCall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a relocation points at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RelocTarget {
    /// The function at this position in the compilation's function list.
    Func(u32),
    /// A runtime library call.
    LibCall(LibCall),
}

/// One relocation of a compiled function.
#[derive(Clone, Debug)]
pub struct Relocation {
    /// Offset in the function's code.
    pub offset: u32,
    /// How the value at `offset` is computed and patched.
    pub kind: RelocKind,
    /// What the relocation points at.
    pub target: RelocTarget,
    /// Constant added to the target's address.
    pub addend: i64,
}

/// One entry of a call site's exception table, in the order the unwinder
/// reads them (see `CallSite`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExceptionHandler {
    /// The tags of the entries that follow are indices into the module
    /// of the `VMContext` stored at this offset from the frame's stack
    /// pointer at the call.
    Context {
        /// Offset of the `VMContext` slot from the call's stack pointer.
        sp_offset: u32,
    },
    /// An exception whose tag is the context module's tag `tag` (a
    /// module-wide index) is caught by the code at `target`.
    Tag {
        /// The module-wide tag index.
        tag: u32,
        /// The handler's offset (in the function, or in the region once
        /// laid out).
        target: u32,
    },
    /// Every exception is caught by the code at `target`.
    Default {
        /// The handler's offset, as for `Tag`.
        target: u32,
    },
}

/// A call in a `try_table`: where an exception thrown below it is caught.
///
/// The unwinder finds it by the return address of the frame's call and
/// tries `handlers` in order: the first that matches receives control
/// with the frame's stack pointer (frame pointer minus `frame_offset`)
/// and frame pointer restored and the exception object in the first
/// payload register. Calls that catch nothing have no entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallSite {
    /// Offset of the call's return address (in the function, or in the
    /// region once laid out).
    pub ret_addr: u32,
    /// Frame pointer minus stack pointer at the call.
    pub frame_offset: u32,
    /// The exception table, in order.
    pub handlers: Vec<ExceptionHandler>,
}

impl CallSite {
    /// The same site `delta` bytes further into the code (a function's
    /// sites placed at its offset in the region, or back).
    pub fn shifted(&self, delta: i64) -> CallSite {
        let shift = |o: u32| (i64::from(o) + delta) as u32;
        CallSite {
            ret_addr: shift(self.ret_addr),
            frame_offset: self.frame_offset,
            handlers: self
                .handlers
                .iter()
                .map(|h| match *h {
                    ExceptionHandler::Tag { tag, target } => ExceptionHandler::Tag {
                        tag,
                        target: shift(target),
                    },
                    ExceptionHandler::Default { target } => ExceptionHandler::Default {
                        target: shift(target),
                    },
                    context => context,
                })
                .collect(),
        }
    }
}

/// Where the GC references live across one call are: each is a
/// pointer-sized slot at an offset from the stack pointer the caller had
/// at the call (which, under frame pointers, is the callee's frame
/// pointer plus two words).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StackMap {
    /// Offset of the call's return address (in the function, or in the
    /// region once laid out).
    pub ret_addr: u32,
    /// Offsets of the slots from the caller's stack pointer at the call.
    pub sp_offsets: Box<[u32]>,
}

impl StackMap {
    /// The same map with its return address moved by `delta`.
    pub fn shifted(&self, delta: i64) -> StackMap {
        StackMap {
            ret_addr: (i64::from(self.ret_addr) + delta) as u32,
            sp_offsets: self.sp_offsets.clone(),
        }
    }
}

/// The value label of a function's `VMContext` (every other label is the
/// index of the wasm local it tags).
pub const VMCTX_LABEL: u32 = u32::MAX - 1;

/// Where a labeled value (a wasm local, or the function's `VMContext`)
/// lives while the code of `start..end` runs: what Cranelift reports for
/// the values the translator tags with value labels (`debug_info`,
/// `coredump_on_trap`), in target-neutral terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ValueLabelRange {
    /// The wasm local's index in the function (parameters first), or
    /// `VMCTX_LABEL`.
    pub label: u32,
    /// First code offset (in the function) of the range.
    pub start: u32,
    /// Code offset one past the range.
    pub end: u32,
    /// Where the value is.
    pub loc: ValueLoc,
}

/// A place a value lives in while a range of code runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueLoc {
    /// The register with this DWARF number (x86-64: 0-16 general
    /// purpose in DWARF order, 17-32 `xmm0-15`; AArch64: 0-30 `x0-x30`,
    /// 64-95 `v0-v31`).
    Reg(u16),
    /// The spill slot at this offset from the frame pointer (`rbp`,
    /// `x29`): compiled code keeps frame pointers, the frame pointer is
    /// the canonical frame address minus 16, and a slot holds the value
    /// in its low bytes.
    Frame(i32),
}

impl ValueLabelRange {
    /// Where `label` is at code offset `offset` of a function whose
    /// ranges are `ranges` (sorted by label, then start), if it is known.
    pub fn find(ranges: &[ValueLabelRange], label: u32, offset: u32) -> Option<ValueLoc> {
        let from = ranges.partition_point(|r| (r.label, r.start) <= (label, offset));
        ranges[..from]
            .iter()
            .rev()
            .take_while(|r| r.label == label)
            .find(|r| r.start <= offset && offset < r.end)
            .map(|r| r.loc)
    }
}

/// One function's machine code and metadata, before layout.
#[derive(Clone, Debug)]
pub struct CompiledFunction {
    /// The function's machine code, relocations not yet applied.
    pub code: Vec<u8>,
    /// Required alignment in bytes of the code's start.
    pub alignment: u32,
    /// Places in `code` to patch once every function's address is known.
    pub relocs: Vec<Relocation>,
    /// (offset in the function, trap kind), sorted.
    pub traps: Vec<(u32, TrapKind)>,
    /// (offset in the function, wasm byte offset), sorted.
    pub srclocs: Vec<(u32, u32)>,
    /// The calls with exception handlers, sorted by return address.
    pub call_sites: Vec<CallSite>,
    /// The stack maps of the calls that have GC references live across
    /// them, sorted by return address.
    pub stack_maps: Vec<StackMap>,
    /// The function's `.eh_frame` FDE (`native_unwind_info`), empty
    /// without one: a 32-bit-length DWARF FDE whose CIE pointer and
    /// `pc_begin` (8 bytes, absolute, 0 here) are filled in when it is
    /// placed after the ISA's CIE, once the function's address is known
    /// (see `runtime::unwind`). Independent of where the code lands, so
    /// serialized modules store it as it is.
    pub unwind: Vec<u8>,
    /// Where the function's wasm locals and its `VMContext` live, by code
    /// range, sorted by label then start: only with
    /// `Tunables::value_labels`, else empty.
    pub value_labels: Vec<ValueLabelRange>,
    /// Index in the module's function space, `u32::MAX` for trampolines.
    pub func_index: u32,
    /// Offset of the body in the module's binary (0 for trampolines).
    pub body_offset: u32,
}

/// Compiles the per-signature trampolines between the host and wasm.
///
/// The engine hands one (backed by the compiler) to the runtime, which
/// asks for a signature's trampolines on its first use and publishes and
/// keeps the code itself; so the runtime never names the compiler.
pub trait TrampolineCompiler: Send + Sync {
    /// For each type of `types`, in order: its host→wasm trampoline (an
    /// `ArrayToWasmTrampoline`), then its wasm→host trampoline (a
    /// `wasm_call` that calls the callee's `VMHostFuncContext::array_call`
    /// and traps with `HostTrap` when it returns 0). `2 * types.len()`
    /// functions, none with relocations against other functions.
    fn compile_trampolines(&self, types: &[FuncType]) -> anyhow::Result<Vec<CompiledFunction>>;
}
