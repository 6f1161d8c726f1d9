//! `debug_info`: compiled code described to native debuggers.
//!
//! Every code region published while the option is on (a module's
//! functions, compiled or deserialized, and each batch of trampolines) is
//! registered through GDB's JIT interface (`gdb_jit`) as an in-memory ELF
//! object (`elf`): its code at the address it runs from, a symbol per
//! function (the name section's name, else `wasm-function[N]`, or the
//! trampoline's description), the region's `.eh_frame` when
//! `native_unwind_info` made one, and, for a module with DWARF, that DWARF
//! transformed to the native code (`dwarf`), so a debugger sets
//! breakpoints at source lines, shows source backtraces and, where the
//! compiler recorded where the wasm locals live (the functions' value
//! labels, `Tunables::value_labels`), the values of parameters and local
//! variables. Dropping the region unregisters it.

mod dwarf;
mod elf;
mod gdb_jit;
mod locations;

pub(crate) use elf::machine as host_elf_machine;

use super::registry::CodeInfo;
use crate::environ::compiled_code::ValueLabelRange;
use crate::environ::info::ModuleInfo;
use crate::environ::vmoffsets::memory_def;
use crate::environ::{VMOffsets, ValType};

/// What the DWARF transform knows about a module besides its code: its
/// binary, where each defined function keeps its wasm locals, and how the
/// code reaches instance state from its `VMContext`.
pub(crate) struct ModuleDebug<'a> {
    /// The module's binary, with its DWARF.
    pub wasm: &'a [u8],
    /// What the module declares (its functions' types and bodies, its
    /// `VMContext` layout).
    pub info: &'a ModuleInfo,
    /// Per defined function (in order), its value-label ranges; empty
    /// without `Tunables::value_labels`.
    pub value_labels: &'a [Vec<ValueLabelRange>],
}

/// How a module's code reaches a piece of instance state: starting from
/// the `VMContext`, add the first offset; then, for each further offset,
/// load the pointer at the address reached and add the offset. The end
/// is the address of the state (a global's value, memory 0's base
/// pointer).
pub(crate) type VmPath = Vec<u32>;

/// The `VmPath`s of a module's memory 0 base and globals.
pub(crate) struct VmPaths {
    /// Memory 0's base pointer, and whether it is a 64-bit memory; `None`
    /// without memories.
    pub memory0_base: Option<(VmPath, bool)>,
    /// Each global's value (imported ones first), and its size in bytes (0
    /// for values a debugger cannot take as a number: vectors, references).
    pub globals: Vec<(VmPath, u8)>,
}

impl VmPaths {
    /// The paths of `info`'s module, whose `VMContext` `VMOffsets::new`
    /// lays out (as `translate::func_env` reaches definitions).
    pub(crate) fn new(info: &ModuleInfo) -> VmPaths {
        let offsets = VMOffsets::new(info);
        let memory0_base = info.memories.first().map(|ty| {
            let path = if info.num_imported_memories > 0 {
                vec![offsets.imported_memory(0), memory_def::BASE]
            } else if ty.shared {
                vec![offsets.defined_memory(0), memory_def::BASE]
            } else {
                vec![offsets.defined_memory(0) + memory_def::BASE]
            };
            (path, ty.memory64)
        });
        let imported = info.num_imported_globals;
        let globals = info
            .globals
            .iter()
            .enumerate()
            .map(|(i, ty)| {
                let i = i as u32;
                let path = if i < imported {
                    vec![offsets.imported_global(i), 0]
                } else {
                    vec![offsets.defined_global(i - imported)]
                };
                let size = match LocalKind::of(ty.content) {
                    LocalKind::I32 | LocalKind::F32 => 4,
                    LocalKind::I64 | LocalKind::F64 => 8,
                    LocalKind::Other => 0,
                };
                (path, size)
            })
            .collect();
        VmPaths {
            memory0_base,
            globals,
        }
    }
}

/// What a debugger or a coredump can make of a wasm local's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LocalKind {
    I32,
    I64,
    F32,
    F64,
    /// A vector or a reference: no number (a location, at most).
    Other,
}

impl LocalKind {
    pub(crate) fn of(ty: ValType) -> LocalKind {
        match ty {
            ValType::I32 => LocalKind::I32,
            ValType::I64 => LocalKind::I64,
            ValType::F32 => LocalKind::F32,
            ValType::F64 => LocalKind::F64,
            _ => LocalKind::Other,
        }
    }

    fn of_wasm(ty: wasmparser::ValType) -> LocalKind {
        match ty {
            wasmparser::ValType::I32 => LocalKind::I32,
            wasmparser::ValType::I64 => LocalKind::I64,
            wasmparser::ValType::F32 => LocalKind::F32,
            wasmparser::ValType::F64 => LocalKind::F64,
            _ => LocalKind::Other,
        }
    }
}

/// The kinds of the locals of function `func_index` of `info`'s module
/// (binary `wasm`), parameters first; `None` for an imported function or
/// a body that cannot be read (the module was validated, so only a
/// mismatched binary).
pub(crate) fn local_kinds(
    info: &ModuleInfo,
    wasm: &[u8],
    func_index: u32,
) -> Option<Vec<LocalKind>> {
    let defined = func_index.checked_sub(info.num_imported_funcs)?;
    let range = info.func_bodies.get(defined as usize)?.clone();
    let mut kinds: Vec<LocalKind> = info
        .func_type(func_index)
        .params
        .iter()
        .map(|&t| LocalKind::of(t))
        .collect();
    let body = wasmparser::FunctionBody::new(wasmparser::BinaryReader::new(
        wasm.get(range.clone())?,
        range.start as u64,
    ));
    let mut locals = body.get_locals_reader().ok()?;
    for _ in 0..locals.get_count() {
        let (count, ty) = locals.read().ok()?;
        // Validation bounds the total (50,000 locals per function).
        kinds.extend(std::iter::repeat_n(LocalKind::of_wasm(ty), count as usize));
    }
    Some(kinds)
}

/// A region's object file, registered with the debugger until dropped.
pub(crate) struct DebugRegistration {
    _registration: gdb_jit::Registration,
}

/// Registers the object file of the region at `base` (`len` bytes) with
/// the functions of `info`, function `i` called `names[i]`; `debug`
/// describes the module (`None` for trampolines), whose DWARF is
/// transformed when it has some, and `eh_frame` is the region's registered
/// unwind info.
pub(crate) fn register(
    base: usize,
    len: usize,
    info: &CodeInfo,
    names: &[String],
    debug: Option<&ModuleDebug<'_>>,
    eh_frame: Option<&[u8]>,
) -> DebugRegistration {
    let base = base as u64;
    let symbols: Vec<elf::Symbol<'_>> = info
        .funcs
        .iter()
        .zip(names)
        .map(|(f, name)| elf::Symbol {
            name,
            address: base + u64::from(f.start),
            size: u64::from(f.end - f.start),
        })
        .collect();
    // A module whose DWARF cannot be transformed still gets its symbols
    // (and unwind info): nothing about running it depends on this.
    let mut sections = debug
        .and_then(|debug| dwarf::transform(debug, base, &info.funcs, &info.address_map).ok())
        .unwrap_or_default();
    if let Some(eh_frame) = eh_frame {
        sections.push(elf::Section {
            name: ".eh_frame",
            data: eh_frame.to_vec(),
        });
    }
    let image = elf::image(base, len as u64, &symbols, &sections);
    DebugRegistration {
        _registration: gdb_jit::Registration::new(image.into_boxed_slice()),
    }
}
