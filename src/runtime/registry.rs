//! The global registry of compiled code regions.
//!
//! The runtime's signal handler asks it whether a faulting pc is a trap
//! site, and backtraces ask which function a return address belongs to.
//! Lookups run inside a signal handler: they take a read lock, allocate
//! nothing and never panic. Regions register when their code becomes
//! executable and unregister when it is unmapped.

use crate::environ::compiled_code::{CallSite, StackMap};
use crate::environ::TrapKind;
use std::collections::BTreeMap;
use std::sync::{Arc, RwLock, RwLockReadGuard};

/// Where a compiled function lives in its region.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FuncRange {
    /// Byte offset of the function's first instruction in the region.
    pub start: u32,
    /// Byte offset one past the function's last instruction in the region.
    pub end: u32,
    /// The function's index in its module's function space, or `u32::MAX`
    /// for trampolines.
    pub func_index: u32,
    /// Byte offset of the function body in the module's binary.
    pub body_offset: u32,
}

/// The metadata of one code region, sorted by code offset for lookups.
#[derive(Debug, Default)]
pub struct CodeInfo {
    /// A process-unique id for the region.
    pub code_id: usize,
    /// Trap sites: (offset in the region, kind), sorted by offset.
    pub traps: Vec<(u32, TrapKind)>,
    /// Function ranges, sorted by start.
    pub funcs: Vec<FuncRange>,
    /// (offset in the region, wasm byte offset in the module) at the start
    /// of each instruction range, sorted; empty without
    /// `generate_address_map`.
    pub address_map: Vec<(u32, u32)>,
    /// Calls with exception handlers, offsets in the region, sorted by
    /// return address.
    pub call_sites: Vec<CallSite>,
    /// GC stack maps of calls, offsets in the region, sorted by return
    /// address.
    pub stack_maps: Vec<StackMap>,
}

/// A frame's position, for backtraces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameLocation {
    /// The identity of the code region (`Module::code_id`).
    pub code_id: usize,
    /// The function's index in its module's function space.
    pub func_index: u32,
    /// Offset of the pc in the wasm binary relative to the function body,
    /// when the address map knows it.
    pub func_offset: Option<usize>,
    /// Offset of the pc's instruction in the wasm binary, when known.
    pub module_offset: Option<usize>,
}

struct Region {
    len: usize,
    info: Arc<CodeInfo>,
}

static REGIONS: RwLock<BTreeMap<usize, Region>> = RwLock::new(BTreeMap::new());

fn regions() -> RwLockReadGuard<'static, BTreeMap<usize, Region>> {
    // A poisoned lock still holds a consistent map: inserts and removals
    // do not panic half-way.
    REGIONS.read().unwrap_or_else(|e| e.into_inner())
}

/// Records the region `[start, start + len)` with its metadata.
pub(crate) fn register(start: usize, len: usize, info: Arc<CodeInfo>) {
    let mut map = REGIONS.write().unwrap_or_else(|e| e.into_inner());
    map.insert(start, Region { len, info });
}

/// Forgets the region starting at `start`.
pub(crate) fn unregister(start: usize) {
    let mut map = REGIONS.write().unwrap_or_else(|e| e.into_inner());
    map.remove(&start);
}

/// Runs `f` with the region containing `pc` and the pc's offset in it.
fn with_region<R>(pc: usize, f: impl FnOnce(&CodeInfo, u32) -> Option<R>) -> Option<R> {
    let map = regions();
    let (&start, region) = map.range(..=pc).next_back()?;
    let offset = pc - start;
    if offset >= region.len {
        return None;
    }
    f(&region.info, offset as u32)
}

/// The trap kind when `pc` is a trap site of compiled code. Signal safe.
pub fn lookup_trap(pc: usize) -> Option<TrapKind> {
    with_region(pc, |info, offset| {
        let i = info.traps.binary_search_by_key(&offset, |(o, _)| *o).ok()?;
        Some(info.traps[i].1)
    })
}

/// Runs `f` with the start address of the region holding the call whose
/// return address is `ret` and that call's exception handlers (offsets
/// in the region); `None` when the call has none. Allocates nothing.
pub fn with_call_site<R>(ret: usize, f: impl FnOnce(usize, &CallSite) -> Option<R>) -> Option<R> {
    let map = regions();
    let (&start, region) = map.range(..=ret).next_back()?;
    let offset = u32::try_from(ret - start).ok()?;
    if offset as usize >= region.len {
        return None;
    }
    let sites = &region.info.call_sites;
    let i = sites.binary_search_by_key(&offset, |s| s.ret_addr).ok()?;
    f(start, &sites[i])
}

/// Runs `f` with the stack map of the call whose return address is `ret`;
/// `None` when the call has none (no GC reference is live across it).
pub(crate) fn with_stack_map<R>(ret: usize, f: impl FnOnce(&StackMap) -> R) -> Option<R> {
    with_region(ret, |info, offset| {
        let maps = &info.stack_maps;
        let i = maps.binary_search_by_key(&offset, |m| m.ret_addr).ok()?;
        Some(f(&maps[i]))
    })
}

/// Whether `pc` is inside compiled wasm code or trampolines. Signal safe.
pub fn is_wasm_code(pc: usize) -> bool {
    with_region(pc, |_, _| Some(())).is_some()
}

/// The function and wasm offsets of `pc`, when it is in compiled code.
pub fn lookup_frame(pc: usize) -> Option<FrameLocation> {
    with_region(pc, |info, offset| {
        let i = info.funcs.partition_point(|f| f.start <= offset);
        let func = info.funcs.get(i.checked_sub(1)?)?;
        if offset >= func.end || func.func_index == u32::MAX {
            return None;
        }
        let module_offset = {
            let j = info.address_map.partition_point(|(o, _)| *o <= offset);
            j.checked_sub(1)
                .map(|j| info.address_map[j])
                .filter(|(o, _)| *o >= func.start)
                .map(|(_, wasm)| wasm as usize)
        };
        Some(FrameLocation {
            code_id: info.code_id,
            func_index: func.func_index,
            func_offset: module_offset.map(|m| m.saturating_sub(func.body_offset as usize)),
            module_offset,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups_find_registered_sites_only() {
        // A fake region far from any real mapping: lookups never touch
        // the memory itself.
        let start = 0x7f00_dead_0000usize;
        let info = CodeInfo {
            code_id: 99,
            traps: vec![
                (4, TrapKind::IntegerDivisionByZero),
                (9, TrapKind::HostTrap),
            ],
            funcs: vec![FuncRange {
                start: 0,
                end: 16,
                func_index: 3,
                body_offset: 100,
            }],
            address_map: vec![(0, 101), (8, 105)],
            call_sites: Vec::new(),
            stack_maps: Vec::new(),
        };
        register(start, 32, Arc::new(info));
        assert_eq!(
            lookup_trap(start + 4),
            Some(TrapKind::IntegerDivisionByZero)
        );
        assert_eq!(lookup_trap(start + 5), None);
        assert!(is_wasm_code(start + 31));
        assert!(!is_wasm_code(start + 32));
        assert!(!is_wasm_code(start - 1));
        let frame = lookup_frame(start + 9).unwrap();
        assert_eq!(frame.func_index, 3);
        assert_eq!(frame.module_offset, Some(105));
        assert_eq!(frame.func_offset, Some(5));
        assert_eq!(lookup_frame(start + 20), None);
        unregister(start);
        assert_eq!(lookup_trap(start + 4), None);
    }
}
