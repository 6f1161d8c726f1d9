//! What instantiating a module does beyond building its `VMContext`,
//! worked out once per module and engine and cached (`InitPlanCache`):
//!
//! - for each defined memory, whether a copy-on-write image
//!   (`memory_image`) holds all its active data segments
//!   (`memory_init_cow`): every such segment has a statically known offset
//!   and lies inside the memory's minimum size;
//! - for each active element segment made only of `ref.func` / `ref.null`
//!   items, where each item's `VMFuncRef` lives in the `VMContext`, so
//!   filling a table reads one compact array instead of thousands of
//!   separately allocated expressions;
//! - for each defined table whose active element segments all have a
//!   static offset, lie inside its minimum size and are made of such
//!   items, its whole initial contents: the table is created with them
//!   (one pass over its elements) and those segments are skipped. A failed
//!   instantiation never exposes a table it defines, so writing them before
//!   the other segments changes nothing observable.
//!
//! A cache entry is keyed by the module's code id, which no other module
//! ever gets, and keeps a weak reference to the module's binary (the
//! `Arc<[u8]>` every module holds for its life): a match must be that very
//! allocation, and entries whose binary is gone (the module was dropped)
//! are dropped on the next insertion.

use super::const_eval;
use super::memory_image::MemoryImage;
use crate::environ::info::{ConstExpr, ConstOp, DataMode, ElemMode};
use crate::environ::vmoffsets::VMOffsets;
use crate::environ::ValRaw;
use crate::module::Module;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

/// The element-item value of `ref.null` in `InitPlan::elements` (no
/// `VMFuncRef` sits at offset 0 of a `VMContext`).
pub(crate) const NULL_FUNC: u32 = 0;

/// Data segments placed in one memory: (offset, bytes), in order.
pub(crate) type Placed<'a> = Vec<(usize, &'a [u8])>;

/// Element segments placed in one table: (start, item offsets), in order.
type PlacedItems<'a> = Vec<(usize, &'a [u32])>;

/// How one defined memory of a module gets its initial contents.
pub(crate) enum MemoryInit {
    /// Its data segments are applied one by one at instantiation (some
    /// segment has a dynamic offset or may be out of bounds).
    Eager,
    /// Every active segment is static and in bounds: map this image (none
    /// when the segments hold no bytes) and skip the segments.
    Image(Option<Arc<MemoryImage>>),
}

/// How one module's instances are initialised.
pub(crate) struct InitPlan {
    /// The module's binary, which lives as long as the module (identity
    /// of the entry, with `code_id`).
    binary: Weak<[u8]>,
    code_id: usize,
    /// Indexed by defined memory.
    pub(crate) memories: Vec<MemoryInit>,
    /// Indexed by element segment: for active segments of only `ref.func`
    /// and `ref.null` items, the `VMContext` offset of each item's
    /// `VMFuncRef` (`NULL_FUNC` for null).
    pub(crate) elements: Vec<Option<FuncRefItems>>,
    /// Indexed by defined table: its initial contents (`minimum` items)
    /// when its active segments allow (see the module documentation).
    pub(crate) tables: Vec<Option<FuncRefItems>>,
}

/// Funcref items as the `VMContext` offsets of their `VMFuncRef`s
/// (`NULL_FUNC` for null), turned into element values for one instance by
/// adding its `VMContext` address.
pub(crate) struct FuncRefItems {
    offsets: Box<[u32]>,
    /// Whether some item is null: without nulls the conversion is a plain
    /// add, which vectorises best (tables of many thousands of items are
    /// filled at every instantiation).
    any_null: bool,
}

/// The initial contents a module's init plan worked out for one of its
/// defined tables (`InitPlan::tables[table]`), for the instance whose
/// `VMContext` is at `vmctx`.
#[derive(Clone)]
pub(crate) struct TableTemplate {
    pub(crate) plan: Arc<InitPlan>,
    pub(crate) table: usize,
    pub(crate) vmctx: usize,
}

impl TableTemplate {
    /// The template of defined table `table` of `plan` for `vmctx`, when
    /// the plan has one of exactly `len` items.
    pub(crate) fn of(plan: &Arc<InitPlan>, table: usize, vmctx: usize, len: u64) -> Option<Self> {
        let items = plan.tables.get(table)?.as_ref()?;
        (items.len() as u64 == len).then(|| TableTemplate {
            plan: plan.clone(),
            table,
            vmctx,
        })
    }

    pub(crate) fn items(&self) -> &FuncRefItems {
        self.plan.tables[self.table]
            .as_ref()
            .expect("`of` checked the template exists")
    }

    /// The initial value of element `i`: its item's, or null past the
    /// items (elements a table grew by), for lazily initialised tables.
    pub(crate) fn value(&self, i: usize) -> usize {
        self.items()
            .offsets
            .get(i)
            .map_or(0, |&o| FuncRefItems::value(self.vmctx, o))
    }

    /// Whether `other` makes exactly the same elements: the same plan's
    /// table for the same `VMContext` address.
    pub(crate) fn same(&self, other: &TableTemplate) -> bool {
        Arc::ptr_eq(&self.plan, &other.plan)
            && self.table == other.table
            && self.vmctx == other.vmctx
    }

    /// Whether `elements` are exactly the template's items.
    pub(crate) fn holds(&self, elements: &[usize]) -> bool {
        let items = self.items();
        if elements.len() != items.len() {
            return false;
        }
        // Differences are OR-ed over chunks without a branch per element
        // (so the loop vectorises, as `write_to`'s does), stopping at the
        // first chunk that differs.
        let vmctx = self.vmctx;
        items
            .offsets
            .chunks(256)
            .zip(elements.chunks(256))
            .all(|(offsets, elements)| {
                let diff = if items.any_null {
                    offsets
                        .iter()
                        .zip(elements)
                        .fold(0, |acc, (&o, &e)| acc | (FuncRefItems::value(vmctx, o) ^ e))
                } else {
                    offsets
                        .iter()
                        .zip(elements)
                        .fold(0, |acc, (&o, &e)| acc | ((vmctx + o as usize) ^ e))
                };
                diff == 0
            })
    }
}

impl FuncRefItems {
    fn new(offsets: Box<[u32]>) -> FuncRefItems {
        let any_null = offsets.contains(&NULL_FUNC);
        FuncRefItems { offsets, any_null }
    }

    pub(crate) fn len(&self) -> usize {
        self.offsets.len()
    }

    /// The element value of an item at `offset`: null stays 0 (the
    /// `VMContext` address is masked away), so the loops have no branch.
    fn value(vmctx: usize, offset: u32) -> usize {
        const _: () = assert!(
            NULL_FUNC == 0,
            "FuncRefItems::value relies on NULL_FUNC == 0"
        );
        let keep = ((offset != NULL_FUNC) as usize).wrapping_neg();
        (vmctx & keep) + offset as usize
    }

    /// Writes the items' values for the `VMContext` at `vmctx` into `dst`,
    /// which has the same length.
    pub(crate) fn write_to(&self, vmctx: usize, dst: &mut [usize]) {
        if self.any_null {
            for (slot, &offset) in dst.iter_mut().zip(self.offsets.iter()) {
                *slot = Self::value(vmctx, offset);
            }
        } else {
            for (slot, &offset) in dst.iter_mut().zip(self.offsets.iter()) {
                *slot = vmctx + offset as usize;
            }
        }
    }

    /// Appends the items' values for the `VMContext` at `vmctx` to `dst`
    /// (one pass, no zeroing first; reserve the room beforehand).
    pub(crate) fn append_to(&self, vmctx: usize, dst: &mut Vec<usize>) {
        if self.any_null {
            dst.extend(self.offsets.iter().map(|&o| Self::value(vmctx, o)));
        } else {
            dst.extend(self.offsets.iter().map(|&o| vmctx + o as usize));
        }
    }
}

impl InitPlan {
    fn matches(&self, module: &Module) -> bool {
        self.code_id == module.code_id()
            && std::ptr::addr_eq(self.binary.as_ptr(), Arc::as_ptr(module.wasm_arc()))
    }

    /// Whether the module is gone: nothing holds its binary any more.
    fn orphaned(&self) -> bool {
        self.binary.strong_count() == 0
    }

    /// `dense_limit` is `memory_guaranteed_dense_image_size`: see
    /// [`worth_an_image`]. Images come from the module's own file when it
    /// was loaded from one that holds them, unless `force_memfd`
    /// (`force_memory_init_memfd`) asks for in-memory files.
    fn build(module: &Module, cow: bool, dense_limit: u64, force_memfd: bool) -> InitPlan {
        let info = module.info();
        let per_memory = image_segments(module);
        // As the reference does: one sparse memory past the guaranteed
        // dense size rules out images for the whole module.
        let cow = cow
            && per_memory
                .iter()
                .flatten()
                .all(|segments| worth_an_image(segments, dense_limit));
        let memories = per_memory
            .into_iter()
            .enumerate()
            .map(|(index, segments)| {
                let Some(segments) = segments.filter(|_| cow) else {
                    return MemoryInit::Eager;
                };
                // The serialized file's own copy, when the module was
                // loaded from one (a descriptor that cannot be duplicated
                // just means building the image afresh).
                if !force_memfd {
                    if let Some(Ok(image)) = module.file_memory_image(index) {
                        return MemoryInit::Image(Some(Arc::new(image)));
                    }
                }
                // An image that cannot be built (no memfd) just means the
                // slow path: the segments are applied eagerly.
                match MemoryImage::build(&segments) {
                    Ok(image) => MemoryInit::Image(image.map(Arc::new)),
                    Err(_) => MemoryInit::Eager,
                }
            })
            .collect();
        let offsets = VMOffsets::new(info);
        let elements = info
            .elems
            .iter()
            .map(|seg| match seg.mode {
                ElemMode::Active { .. } => seg
                    .items
                    .iter()
                    .map(|item| func_ref_offset(item, info.functions.len(), &offsets))
                    .collect::<Option<Box<[u32]>>>()
                    .map(FuncRefItems::new),
                ElemMode::Passive | ElemMode::Declared => None,
            })
            .collect::<Vec<_>>();
        let tables = table_templates(info, &elements);
        InitPlan {
            binary: Arc::downgrade(module.wasm_arc()),
            code_id: module.code_id(),
            memories,
            elements,
            tables,
        }
    }
}

/// Per defined memory of `module`, its active data segments as (offset,
/// bytes) in order, or `None` when one of them rules out an image (an
/// offset not known statically, or bytes past the memory's minimum size).
/// What an image is built from, at instantiation and when a serialized
/// module stores its images.
pub(crate) fn image_segments(module: &Module) -> Vec<Option<Placed<'_>>> {
    let info = module.info();
    let imported = info.num_imported_memories as usize;
    let plans = module.memory_plans();
    let mut per_memory: Vec<Option<Placed<'_>>> =
        (imported..plans.len()).map(|_| Some(Vec::new())).collect();
    for seg in info.data.iter() {
        let DataMode::Active { memory, offset } = &seg.mode else {
            continue;
        };
        let Some(index) = (*memory as usize).checked_sub(imported) else {
            continue;
        };
        let Some(slot) = per_memory.get_mut(index) else {
            continue;
        };
        let Some(list) = slot else { continue };
        let ty = &plans[*memory as usize].ty;
        let min_bytes = ty.minimum.checked_mul(1u64 << ty.page_size_log2);
        let placed = static_offset(offset, ty.memory64).and_then(|start| {
            let end = start.checked_add(seg.data.len() as u64)?;
            (end <= min_bytes?).then_some(usize::try_from(start).ok()?)
        });
        match placed {
            Some(start) => list.push((start, &seg.data[..])),
            None => *slot = None,
        }
    }
    per_memory
}

/// Whether a memory initialised by `segments` should get a copy-on-write
/// image (`memory_guaranteed_dense_image_size`): always when its
/// initialised range (first to last non-zero byte) is at most
/// `dense_limit` bytes, else only when at least half of the host pages in
/// that range hold a non-zero byte. A sparse image past the limit would
/// mostly be zero pages, costing memory for no speed.
fn worth_an_image(segments: &[(usize, &[u8])], dense_limit: u64) -> bool {
    let page = super::mmap::host_page_size();
    let mut first = usize::MAX;
    let mut last = 0;
    let mut pages = std::collections::BTreeSet::new();
    for &(start, bytes) in segments {
        // Chunks that end on host page boundaries of the memory.
        let mut at = start;
        let mut rest = bytes;
        while !rest.is_empty() {
            let take = (page - at % page).min(rest.len());
            let (chunk, tail) = rest.split_at(take);
            if let Some(i) = chunk.iter().position(|b| *b != 0) {
                let j = chunk.iter().rposition(|b| *b != 0).unwrap_or(i);
                first = first.min(at + i);
                last = last.max(at + j);
                pages.insert(at / page);
            }
            at += take;
            rest = tail;
        }
    }
    if first > last {
        return true; // nothing non-zero: an empty image
    }
    let range = (last - first + 1) as u64;
    let range_pages = last / page - first / page + 1;
    range <= dense_limit || pages.len() * 2 >= range_pages
}

/// Per defined table, its initial contents when every active segment
/// aimed at it has a static offset, lies inside its minimum size and has
/// `FuncRefItems` (`elements`, indexed by segment), later segments
/// overwriting earlier ones as at instantiation. A template takes the
/// table's size in memory, so there is none unless the segments cover at
/// least half of the table.
fn table_templates(
    info: &crate::environ::ModuleInfo,
    elements: &[Option<FuncRefItems>],
) -> Vec<Option<FuncRefItems>> {
    let imported = info.num_imported_tables as usize;
    let defined = info.tables.get(imported..).unwrap_or(&[]);
    // Per defined table: its segments as (start, offsets), or `None` once
    // one of them rules out a template.
    // A table with an initialiser expression gets none: its elements
    // start as that expression's value, not null.
    let mut placed: Vec<Option<PlacedItems<'_>>> = (0..defined.len())
        .map(|i| info.table_inits[i].is_none().then(Vec::new))
        .collect();
    for (seg, items) in info.elems.iter().zip(elements) {
        let ElemMode::Active { table, offset } = &seg.mode else {
            continue;
        };
        let Some(index) = (*table as usize).checked_sub(imported) else {
            continue;
        };
        let Some(slot) = placed.get_mut(index) else {
            continue;
        };
        let Some(list) = slot else { continue };
        let ty = &defined[index];
        let fits = items.as_ref().and_then(|items| {
            let start = static_offset(offset, ty.table64)?;
            let end = start.checked_add(items.len() as u64)?;
            (end <= ty.minimum).then_some((usize::try_from(start).ok()?, &items.offsets[..]))
        });
        match fits {
            Some(entry) => list.push(entry),
            None => *slot = None,
        }
    }
    placed
        .into_iter()
        .zip(defined)
        .map(|(list, ty)| {
            let list = list?;
            let covered: u64 = list.iter().map(|(_, o)| o.len() as u64).sum();
            if list.is_empty() || covered.saturating_mul(2) < ty.minimum {
                return None;
            }
            let mut template = vec![NULL_FUNC; usize::try_from(ty.minimum).ok()?];
            for (start, offsets) in list {
                template[start..start + offsets.len()].copy_from_slice(offsets);
            }
            Some(FuncRefItems::new(template.into()))
        })
        .collect()
}

/// The `VMContext` offset of the `VMFuncRef` a `ref.func` item names
/// (of `num_funcs` functions), `NULL_FUNC` for `ref.null`, `None` for
/// anything else.
fn func_ref_offset(item: &ConstExpr, num_funcs: usize, offsets: &VMOffsets) -> Option<u32> {
    match item.ops.as_slice() {
        [ConstOp::RefFunc(i)] if (*i as usize) < num_funcs => {
            Some(offsets.func_ref(*i)).filter(|o| *o != NULL_FUNC)
        }
        [ConstOp::RefNull(_)] => Some(NULL_FUNC),
        _ => None,
    }
}

/// The value of a data or element segment's offset expression when it
/// depends on nothing but constants (no `global.get`), else `None`.
fn static_offset(expr: &ConstExpr, memory64: bool) -> Option<u64> {
    let constants_only = |op: &ConstOp| match *op {
        ConstOp::I32Const(v) => Ok(ValRaw::from_i32(v)),
        ConstOp::I64Const(v) => Ok(ValRaw::from_i64(v)),
        _ => Err(()),
    };
    let v = const_eval::evaluate(expr, constants_only, |_, _| Err(()), || ()).ok()?;
    Some(if memory64 {
        v.get_i64() as u64
    } else {
        v.get_i32() as u32 as u64
    })
}

/// The engine's cache of init plans, keyed by code identity.
#[derive(Default)]
pub(crate) struct InitPlanCache {
    entries: Mutex<HashMap<usize, Arc<InitPlan>>>,
}

impl InitPlanCache {
    /// The init plan of `module` (with memory images when `cow`, as
    /// `dense_limit` allows; the engine's settings, so the same for every
    /// call), built on first use; `None` when the module has neither data
    /// nor element segments, so there is nothing to plan.
    pub(crate) fn get(
        &self,
        module: &Module,
        cow: bool,
        dense_limit: u64,
        force_memfd: bool,
    ) -> Option<Arc<InitPlan>> {
        let info = module.info();
        if info.data.is_empty() && info.elems.is_empty() {
            return None;
        }
        let key = module.code_id();
        {
            let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(found) = entries.get(&key).filter(|e| e.matches(module)) {
                return Some(found.clone());
            }
        }
        // Built outside the lock: two threads may build the same images,
        // and either result is correct.
        let images = Arc::new(InitPlan::build(module, cow, dense_limit, force_memfd));
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.retain(|_, e| !e.orphaned());
        entries.insert(key, images.clone());
        Some(images)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparse_images_past_the_dense_size_are_not_worth_it() {
        let page = crate::runtime::mmap::host_page_size();
        let one = [1u8];
        // Two bytes 64 pages apart: 2 of 65 pages hold data.
        let sparse = [(0, &one[..]), (64 * page, &one[..])];
        assert!(!worth_an_image(&sparse, 16 * page as u64));
        assert!(worth_an_image(&sparse, 65 * page as u64));
        // Dense: every page in the range holds data.
        let full = vec![7u8; 40 * page];
        assert!(worth_an_image(&[(page, &full[..])], 0));
        // Zeros do not count as initialised.
        let zeros = vec![0u8; 100 * page];
        assert!(worth_an_image(&[(0, &zeros[..])], 0));
        let mostly_zero = [(0, &zeros[..]), (100 * page, &one[..])];
        assert!(
            worth_an_image(&mostly_zero, 0),
            "only the non-zero byte is initialised: a one-page range"
        );
    }

    #[test]
    fn offsets_with_globals_are_not_static() {
        let dynamic = ConstExpr {
            ops: vec![ConstOp::GlobalGet(0)],
        };
        assert_eq!(static_offset(&dynamic, false), None);
        let folded = ConstExpr {
            ops: vec![ConstOp::I32Const(-1), ConstOp::I32Const(2), ConstOp::I32Mul],
        };
        assert_eq!(static_offset(&folded, false), Some(0xFFFF_FFFE));
    }

    #[test]
    fn only_plain_function_items_have_indices() {
        let null = ConstExpr {
            ops: vec![ConstOp::RefNull(crate::environ::HeapType::Func)],
        };
        let info = crate::environ::ModuleInfo {
            functions: vec![0; 4],
            ..Default::default()
        };
        let offsets = VMOffsets::new(&info);
        let third = func_ref_offset(&ConstExpr::ref_func(3), 4, &offsets);
        assert_eq!(third, Some(offsets.func_ref(3)));
        assert_ne!(third, Some(NULL_FUNC));
        assert_eq!(func_ref_offset(&ConstExpr::ref_func(4), 4, &offsets), None);
        assert_eq!(func_ref_offset(&null, 4, &offsets), Some(NULL_FUNC));
        let global = ConstExpr {
            ops: vec![ConstOp::GlobalGet(0)],
        };
        assert_eq!(func_ref_offset(&global, 4, &offsets), None);
    }
}
