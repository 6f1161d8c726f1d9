//! `CompiledModule`: a module's published machine code, with what is
//! needed to write it out again (`artifact`) without recompiling.

use crate::environ::compiled_code::{CompiledFunction, Relocation, ValueLabelRange};
use crate::environ::info::ModuleInfo;
use crate::runtime::{CodeMemory, EngineRuntime, ModuleDebug};
use anyhow::Result;

/// The entries of `table` (keyed by code offset in the region) that fall
/// in `range`, keyed by offset from its start instead.
fn entries_within<T: Copy>(table: &[(u32, T)], range: &std::ops::Range<u32>) -> Vec<(u32, T)> {
    table
        .iter()
        .filter(|(offset, _)| range.contains(offset))
        .map(|&(offset, x)| (offset - range.start, x))
        .collect()
}

/// The machine code of a module's defined functions.
pub struct CompiledModule {
    memory: CodeMemory,
    /// What is needed besides the published bytes to lay the code out
    /// again elsewhere (see `artifact`): each function's relocations and
    /// alignment.
    relocs: Vec<Vec<Relocation>>,
    alignments: Vec<u32>,
    /// Each function's FDE template (`CompiledFunction::unwind`).
    unwind: Vec<Vec<u8>>,
    /// Where each function's wasm locals live (`CompiledFunction::
    /// value_labels`); empty, not a list of empty lists, when the code has
    /// none (`Tunables::value_labels` off).
    value_labels: Vec<Vec<ValueLabelRange>>,
}

impl CompiledModule {
    /// Publishes `funcs` (one per defined function, in order).
    pub(crate) fn publish(funcs: &[CompiledFunction]) -> Result<CompiledModule> {
        Ok(Self::from_memory(CodeMemory::publish(funcs)?, funcs))
    }

    /// The code published by `memory` from `funcs` (whose relocations and
    /// alignments are kept for writing the code out again).
    pub(crate) fn from_memory(memory: CodeMemory, funcs: &[CompiledFunction]) -> CompiledModule {
        CompiledModule {
            memory,
            relocs: funcs.iter().map(|f| f.relocs.clone()).collect(),
            alignments: funcs.iter().map(|f| f.alignment).collect(),
            unwind: funcs.iter().map(|f| f.unwind.clone()).collect(),
            value_labels: if funcs.iter().all(|f| f.value_labels.is_empty()) {
                Vec::new()
            } else {
                funcs.iter().map(|f| f.value_labels.clone()).collect()
            },
        }
    }

    /// The functions as they were before layout: the published code (whose
    /// relocated fields are rewritten by any new layout) with its metadata.
    pub(crate) fn functions(&self) -> Vec<CompiledFunction> {
        let info = self.memory.info();
        let mut funcs = Vec::with_capacity(info.funcs.len());
        for (i, range) in info.funcs.iter().enumerate() {
            let start = self.memory.func_ptr(i);
            let len = (range.end - range.start) as usize;
            // SAFETY: the function's code lies inside the published,
            // readable region.
            let code = unsafe { std::slice::from_raw_parts(start, len) }.to_vec();
            let code_range = range.start..range.end;
            funcs.push(CompiledFunction {
                code,
                alignment: self.alignments[i],
                relocs: self.relocs[i].clone(),
                traps: entries_within(&info.traps, &code_range),
                srclocs: entries_within(&info.address_map, &code_range),
                call_sites: info
                    .call_sites
                    .iter()
                    .filter(|c| code_range.contains(&c.ret_addr))
                    .map(|c| c.shifted(-i64::from(range.start)))
                    .collect(),
                stack_maps: info
                    .stack_maps
                    .iter()
                    .filter(|m| code_range.contains(&m.ret_addr))
                    .map(|m| m.shifted(-i64::from(range.start)))
                    .collect(),
                unwind: self.unwind[i].clone(),
                value_labels: self.value_labels(i as u32).to_vec(),
                func_index: range.func_index,
                body_offset: range.body_offset,
            });
        }
        funcs
    }

    /// Registers the code's unwind info with, and reports it to, the
    /// engine's observers; function `i` is called `name(i)`, and `wasm` is
    /// the binary of the module `info` describes (for its DWARF, whose
    /// variables are located with the functions' value labels and the
    /// module's `VMContext` layout).
    pub(crate) fn announce(
        &mut self,
        runtime: &EngineRuntime,
        info: &ModuleInfo,
        name: &dyn Fn(usize) -> String,
        wasm: &[u8],
    ) {
        let fdes: Vec<&[u8]> = self.unwind.iter().map(|f| &f[..]).collect();
        let debug = ModuleDebug {
            wasm,
            info,
            value_labels: &self.value_labels,
        };
        runtime.announce(&mut self.memory, &fdes, name, Some(&debug));
    }

    /// Where the wasm locals of defined function `defined_index` live, by
    /// code offset in the function (empty without
    /// `Tunables::value_labels`).
    pub fn value_labels(&self, defined_index: u32) -> &[ValueLabelRange] {
        self.value_labels
            .get(defined_index as usize)
            .map_or(&[], |v| &v[..])
    }

    /// Whether the code's unwind info is registered with the system
    /// unwinder.
    pub fn has_unwind_info(&self) -> bool {
        self.memory.has_unwind_info()
    }

    /// The machine code of defined function `defined_index`.
    pub fn func_code(&self, defined_index: u32) -> &[u8] {
        self.memory.func_code(defined_index as usize)
    }

    /// The entry of defined function `defined_index` (counted among
    /// defined functions only).
    pub fn func_ptr(&self, defined_index: u32) -> *const u8 {
        self.memory.func_ptr(defined_index as usize)
    }

    /// The registry identity of the code region.
    pub fn code_id(&self) -> usize {
        self.memory.info().code_id
    }
}
