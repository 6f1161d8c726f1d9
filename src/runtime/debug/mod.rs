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
//! breakpoints at source lines and shows source backtraces. Dropping the
//! region unregisters it.

mod dwarf;
mod elf;
mod gdb_jit;

pub(crate) use elf::machine as host_elf_machine;

use super::registry::CodeInfo;

/// A region's object file, registered with the debugger until dropped.
pub(crate) struct DebugRegistration {
    _registration: gdb_jit::Registration,
}

/// Registers the object file of the region at `base` (`len` bytes) with
/// the functions of `info`, function `i` called `names[i]`; `wasm` is the
/// module's binary (`None` for trampolines), whose DWARF is transformed
/// when it has some, and `eh_frame` the region's registered unwind info.
pub(crate) fn register(
    base: usize,
    len: usize,
    info: &CodeInfo,
    names: &[String],
    wasm: Option<&[u8]>,
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
    let mut sections = wasm
        .and_then(|wasm| dwarf::transform(wasm, base, &info.funcs, &info.address_map).ok())
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
