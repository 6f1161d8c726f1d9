//! Instances: linking imports, building the `VMContext`, running segment
//! initialisation and the start function.

use super::const_eval;
use super::externals::Extern;
use super::func::{Func, FuncData};
use super::gc;
use super::global::{Global, GlobalData};
use super::init_plan::{InitPlan, MemoryInit, TableTemplate};
use super::libcalls;
use super::memory::{Memory, MemoryData};
use super::pool::{Allocator, InstanceSlot, Origin, Reservation};
use super::store::{Store, StoreInner};
use super::table::{Table, TableData};
use super::tag::{Tag, TagData};
use super::trap::Trap;
use super::vm::{VMFuncRef, VMGlobalDefinition, VMMemoryDefinition, VMTableDefinition};
use crate::environ::error::{Error, ErrorKind, ImportName};
use crate::environ::info::{ConstExpr, ConstOp, DataMode, ElemMode};
use crate::environ::trap_kind::TrapKind;
use crate::environ::val_raw::ValRaw;
use crate::environ::vmoffsets::VMOffsets;
use crate::environ::MemoryPlan;
use crate::environ::{gc_layout, CompositeType, EntityType, ExternKind, MemoryType, TableType};
use crate::module::Module;
use anyhow::{anyhow, bail, Result};
use std::alloc::Layout;
use std::cell::{OnceCell, UnsafeCell};
use std::collections::HashMap;
use std::fmt;
use std::ptr::NonNull;

/// A zeroed, 16-byte aligned `VMContext` allocation: from the heap, or a
/// slot of the pooling allocator (zero while free, see `instance_pool`).
enum VMContextAlloc {
    Heap {
        ptr: NonNull<u8>,
        layout: Layout,
    },
    Pooled {
        ptr: NonNull<u8>,
        /// Owned until the instance drops: then zeroed and given back.
        _slot: InstanceSlot,
    },
}

impl VMContextAlloc {
    fn new(size: u32) -> Result<VMContextAlloc> {
        let layout = Layout::from_size_align(size.max(16) as usize, 16)
            .map_err(|e| anyhow!("VMContext layout: {e}"))?;
        // SAFETY: the layout has a non-zero size.
        let ptr = unsafe { std::alloc::alloc_zeroed(layout) };
        let ptr = NonNull::new(ptr)
            .ok_or_else(|| anyhow!("cannot allocate a VMContext of {size} bytes"))?;
        Ok(VMContextAlloc::Heap { ptr, layout })
    }

    /// The `VMContext` of `size` bytes in `slot`, which the caller checked
    /// is large enough (`max_core_instance_size`).
    fn pooled(mut slot: InstanceSlot, size: u32) -> Result<VMContextAlloc> {
        let region = slot.kind();
        if size as usize > region.capacity() {
            bail!(
                "internal error: a VMContext of {size} bytes in a {}-byte slot",
                region.capacity()
            );
        }
        let ptr = NonNull::new(region.slot_ptr(slot.index()))
            .ok_or_else(|| anyhow!("internal error: a null instance slot"))?;
        slot.dirtied(size as usize);
        Ok(VMContextAlloc::Pooled { ptr, _slot: slot })
    }

    fn ptr(&self) -> NonNull<u8> {
        match self {
            VMContextAlloc::Heap { ptr, .. } | VMContextAlloc::Pooled { ptr, .. } => *ptr,
        }
    }
}

impl Drop for VMContextAlloc {
    fn drop(&mut self) {
        if let VMContextAlloc::Heap { ptr, layout } = self {
            // SAFETY: allocated in `new` with this layout.
            unsafe { std::alloc::dealloc(ptr.as_ptr(), *layout) }
        }
        // A pooled slot goes back (and is zeroed) when `_slot` drops.
    }
}

/// The runtime's record of one instance, owned by its store.
pub(crate) struct InstanceData {
    /// The store that owns this instance (and so outlives it).
    store: *const StoreInner,
    module: Module,
    offsets: VMOffsets,
    vmctx: VMContextAlloc,
    /// Every function, imported ones first.
    funcs: Vec<NonNull<FuncData>>,
    /// The records of the defined functions.
    defined_funcs: Box<[FuncData]>,
    pub(crate) memories: Vec<NonNull<MemoryData>>,
    pub(crate) tables: Vec<NonNull<TableData>>,
    globals: Vec<NonNull<GlobalData>>,
    /// Every tag, imported ones first: `catch` clauses of this instance's
    /// code name them by index (see `traphandlers::find_handler`).
    tags: Vec<NonNull<TagData>>,
    /// The module's cached initialisation plan, when it has one.
    init_plan: Option<std::sync::Arc<InitPlan>>,
    /// `true` for each memory (whole index space) whose active data
    /// segments a copy-on-write image already applied at creation.
    memory_from_image: Vec<bool>,
    /// `true` for each table (whole index space) created with the init
    /// plan's template, which already holds its active element segments.
    table_from_template: Vec<bool>,
    /// `true` for dropped data segments (active ones drop after use).
    dropped_data: UnsafeCell<Vec<bool>>,
    /// Evaluated items of passive element segments; `None` once dropped
    /// (active and declared segments drop at instantiation).
    passive_elems: UnsafeCell<Vec<Option<Box<[usize]>>>>,
    /// Code address → defined function, built on first use.
    code_index: OnceCell<HashMap<usize, u32>>,
    /// `wmemcheck`'s heap checker of memory 0: made at instantiation by
    /// engines with `wmemcheck`, whose compiled code calls into it.
    wmemcheck: OnceCell<super::wmemcheck::Checker>,
}

impl InstanceData {
    pub(crate) fn module(&self) -> &Module {
        &self.module
    }

    /// The store that owns this instance, borrowed for a call from its
    /// compiled code (no reference count is taken).
    pub(crate) fn store(&self) -> std::mem::ManuallyDrop<Store> {
        // SAFETY: the store owns this instance, so it is alive while the
        // instance's record can be reached.
        unsafe { Store::borrow_raw(self.store) }
    }

    pub(crate) fn vmctx(&self) -> *mut u8 {
        self.vmctx.ptr().as_ptr()
    }

    fn vmctx_field<T>(&self, offset: u32) -> *mut T {
        // SAFETY: every offset VMOffsets hands out is inside the allocation.
        unsafe { self.vmctx().add(offset as usize).cast() }
    }

    /// The instance whose `VMContext` is `vmctx`.
    ///
    /// # Safety
    /// `vmctx` must be the `VMContext` of a live instance.
    pub(crate) unsafe fn from_vmctx<'a>(vmctx: *mut u8) -> &'a InstanceData {
        // SAFETY: the INSTANCE field holds the owning instance, which lives
        // as long as its store, which outlives any running code of it.
        unsafe {
            &*vmctx
                .add(VMOffsets::INSTANCE as usize)
                .cast::<*const InstanceData>()
                .read()
        }
    }

    /// The record of the defined function whose code starts at `wasm_call`.
    pub(crate) fn func_by_code(&self, wasm_call: *const u8) -> Option<NonNull<FuncData>> {
        let index = self.code_index.get_or_init(|| {
            let info = self.module.info();
            (info.num_imported_funcs..info.functions.len() as u32)
                .map(|i| (self.module.func_ptr(i) as usize, i))
                .collect()
        });
        let i = *index.get(&(wasm_call as usize))?;
        Some(self.funcs[i as usize])
    }

    /// The bytes of data segment `index` (empty once dropped).
    pub(crate) fn data_segment(&self, index: u32) -> &[u8] {
        // SAFETY: one thread at a time uses the store.
        let dropped = unsafe { &*self.dropped_data.get() };
        match (
            dropped.get(index as usize),
            self.module.info().data.get(index as usize),
        ) {
            (Some(false), Some(seg)) => &seg.data,
            _ => &[],
        }
    }

    pub(crate) fn drop_data(&self, index: u32) {
        // SAFETY: one thread at a time uses the store.
        let dropped = unsafe { &mut *self.dropped_data.get() };
        if let Some(d) = dropped.get_mut(index as usize) {
            *d = true;
        }
    }

    /// The evaluated items of element segment `index` (empty once dropped).
    pub(crate) fn elem_segment(&self, index: u32) -> &[usize] {
        // SAFETY: one thread at a time uses the store.
        let elems = unsafe { &*self.passive_elems.get() };
        match elems.get(index as usize) {
            Some(Some(items)) => items,
            _ => &[],
        }
    }

    /// Calls `root` with every GC reference the instance holds outside
    /// globals and tables: the items of its passive element segments.
    pub(crate) fn for_each_gc_root(&self, root: &mut dyn FnMut(usize)) {
        // SAFETY: one thread at a time uses the store.
        let elems = unsafe { &*self.passive_elems.get() };
        for (items, segment) in elems.iter().zip(&self.module.info().elems) {
            if let Some(items) = items {
                if gc::is_gc_managed(segment.element_type) {
                    items.iter().for_each(|&word| root(word));
                }
            }
        }
    }

    pub(crate) fn drop_elem(&self, index: u32) {
        // SAFETY: one thread at a time uses the store.
        let elems = unsafe { &mut *self.passive_elems.get() };
        if let Some(e) = elems.get_mut(index as usize) {
            *e = None;
        }
    }

    /// Every global, imported ones first.
    /// The record of tag `index` (module-wide index), if there is one.
    pub(crate) fn tag(&self, index: u32) -> Option<NonNull<TagData>> {
        self.tags.get(index as usize).copied()
    }

    pub(crate) fn globals(&self) -> &[NonNull<GlobalData>] {
        &self.globals
    }

    pub(crate) fn memory(&self, index: u32) -> Option<&MemoryData> {
        // SAFETY: memories live as long as the store.
        self.memories
            .get(index as usize)
            .map(|m| unsafe { m.as_ref() })
    }

    /// The instance's `wmemcheck` heap checker (see `runtime::wmemcheck`).
    pub(crate) fn wmemcheck(&self) -> &super::wmemcheck::Checker {
        self.wmemcheck
            .get_or_init(|| super::wmemcheck::Checker::for_module(self.module.info()))
    }

    pub(crate) fn table(&self, index: u32) -> Option<&TableData> {
        // SAFETY: tables live as long as the store.
        self.tables
            .get(index as usize)
            .map(|t| unsafe { t.as_ref() })
    }

    /// Evaluates a constant expression of this instance.
    fn eval_const(&self, expr: &ConstExpr) -> Result<ValRaw> {
        const_eval::evaluate(
            expr,
            |op| self.eval_operand_free(op),
            |op, stack| self.eval_gc(op, stack),
            || anyhow!("internal: constant expression stack underflow"),
        )
    }

    /// The raw value of an element item (a reference expression). The
    /// usual items, `ref.func` and `ref.null`, take a direct path: tables
    /// of many thousands of items are filled at every instantiation.
    fn eval_ref(&self, expr: &ConstExpr) -> Result<usize> {
        match expr.ops.as_slice() {
            [ConstOp::RefFunc(i)] if (*i as usize) < self.funcs.len() => {
                Ok(self.vmctx() as usize + self.offsets.func_ref(*i) as usize)
            }
            [ConstOp::RefNull(_)] => Ok(0),
            _ => self.eval_const(expr).map(|v| v.get_ptr() as usize),
        }
    }

    /// The value an operator that takes no operands pushes (the constant
    /// evaluator computes the arithmetic ones itself).
    fn eval_operand_free(&self, op: &ConstOp) -> Result<ValRaw> {
        Ok(match *op {
            ConstOp::I32Const(v) => ValRaw::from_i32(v),
            ConstOp::I64Const(v) => ValRaw::from_i64(v),
            ConstOp::F32Const(v) => ValRaw::from_f32_bits(v),
            ConstOp::F64Const(v) => ValRaw::from_f64_bits(v),
            ConstOp::V128Const(v) => ValRaw::from_v128(v),
            ConstOp::RefNull(_) => ValRaw::from_ptr(std::ptr::null_mut()),
            ConstOp::RefFunc(i) => {
                if i as usize >= self.funcs.len() {
                    bail!("internal: ref.func {i} out of range");
                }
                ValRaw::from_ptr(self.vmctx_field::<u8>(self.offsets.func_ref(i)))
            }
            ConstOp::GlobalGet(i) => {
                let g = self
                    .globals
                    .get(i as usize)
                    .ok_or_else(|| anyhow!("internal: global.get {i} out of range"))?;
                // SAFETY: globals live as long as the store.
                unsafe { g.as_ref() }.get_raw()
            }
            ConstOp::I32Add
            | ConstOp::I32Sub
            | ConstOp::I32Mul
            | ConstOp::I64Add
            | ConstOp::I64Sub
            | ConstOp::I64Mul
            | ConstOp::StructNew(_)
            | ConstOp::StructNewDefault(_)
            | ConstOp::ArrayNew(_)
            | ConstOp::ArrayNewDefault(_)
            | ConstOp::ArrayNewFixed { .. }
            | ConstOp::RefI31
            | ConstOp::AnyConvertExtern
            | ConstOp::ExternConvertAny => bail!("internal: constant operator {op:?} out of place"),
        })
    }

    /// The value of a GC operator of a constant expression, popping its
    /// operands from `stack`: the allocating ones build their object in
    /// the store's heap, as compiled code would.
    fn eval_gc(&self, op: &ConstOp, stack: &mut Vec<ValRaw>) -> Result<ValRaw> {
        let underflow = || anyhow!("internal: constant expression stack underflow");
        let pop = |stack: &mut Vec<ValRaw>| stack.pop().ok_or_else(underflow);
        let store = self.store();
        let info = self.module.info();
        let type_id = |index: u32| self.module.type_ids()[index as usize];
        let too_large = || -> anyhow::Error {
            Trap::from_kind(TrapKind::AllocationTooLarge, Vec::new()).into()
        };
        Ok(match *op {
            ConstOp::RefI31 => {
                let v = pop(stack)?.get_i32() as u32;
                ValRaw::from_ptr(crate::environ::gc_layout::i31_word(v) as usize as *mut u8)
            }
            ConstOp::AnyConvertExtern | ConstOp::ExternConvertAny => pop(stack)?,
            ConstOp::StructNew(t) | ConstOp::StructNewDefault(t) => {
                let ty = &info.types[t as usize];
                let object = gc::alloc_struct(&store, type_id(t), ty).ok_or_else(too_large)?;
                if let (ConstOp::StructNew(_), CompositeType::Struct(fields)) = (op, &ty.composite)
                {
                    let layout = gc_layout::struct_layout(fields);
                    let values = stack.split_off(
                        stack
                            .len()
                            .checked_sub(fields.len())
                            .ok_or_else(underflow)?,
                    );
                    for ((field, offset), value) in
                        fields.iter().zip(layout.offsets.iter()).zip(&values)
                    {
                        // SAFETY: the offset is the field's, inside the new struct.
                        unsafe {
                            gc::write_raw(
                                object.as_ptr().add(*offset as usize),
                                field.storage,
                                value,
                            )
                        };
                    }
                }
                ValRaw::from_ptr(object.as_ptr())
            }
            ConstOp::ArrayNew(t)
            | ConstOp::ArrayNewDefault(t)
            | ConstOp::ArrayNewFixed { index: t, .. } => {
                let ty = &info.types[t as usize];
                let CompositeType::Array(element) = ty.composite else {
                    bail!("internal: type {t} is not an array");
                };
                let (len, values) = match *op {
                    ConstOp::ArrayNewFixed { len, .. } => {
                        let at = stack
                            .len()
                            .checked_sub(len as usize)
                            .ok_or_else(underflow)?;
                        (len, stack.split_off(at))
                    }
                    ConstOp::ArrayNew(_) => {
                        let len = pop(stack)?.get_i32() as u32;
                        let value = pop(stack)?;
                        (len, vec![value; 1])
                    }
                    _ => (pop(stack)?.get_i32() as u32, Vec::new()),
                };
                let object = gc::alloc_array(&store, type_id(t), ty, len).ok_or_else(too_large)?;
                if !values.is_empty() {
                    for i in 0..len {
                        let value = &values[if values.len() == 1 { 0 } else { i as usize }];
                        // SAFETY: `i` is below the new array's length.
                        unsafe {
                            gc::write_raw(
                                gc::array_elem(object, element, i),
                                element.storage,
                                value,
                            )
                        };
                    }
                }
                ValRaw::from_ptr(object.as_ptr())
            }
            _ => bail!("internal: constant operator {op:?} out of place"),
        })
    }
}

/// Checks table limits: `actual` may stand where `expected` is imported.
fn table_matches(actual: &TableType, expected: &TableType) -> bool {
    actual.element == expected.element
        && actual.table64 == expected.table64
        && limits_match(
            actual.minimum,
            actual.maximum,
            expected.minimum,
            expected.maximum,
        )
}

fn memory_matches(actual: &MemoryType, expected: &MemoryType) -> bool {
    actual.memory64 == expected.memory64
        && actual.shared == expected.shared
        && actual.page_size_log2 == expected.page_size_log2
        && limits_match(
            actual.minimum,
            actual.maximum,
            expected.minimum,
            expected.maximum,
        )
}

fn limits_match(min: u64, max: Option<u64>, exp_min: u64, exp_max: Option<u64>) -> bool {
    min >= exp_min
        && match exp_max {
            None => true,
            Some(em) => max.is_some_and(|m| m <= em),
        }
}

/// Whether code compiled for `expected` may access a memory laid out per
/// `actual` (it may have elided bounds checks, left the end of an access
/// to the guard, or cached the base).
fn plan_compatible(actual: &MemoryPlan, expected: &MemoryPlan) -> bool {
    match (expected.style, actual.style) {
        (crate::environ::MemoryStyle::Dynamic { .. }, _) => {
            actual.offset_guard_size >= expected.offset_guard_size
        }
        (
            crate::environ::MemoryStyle::Static { reservation: e },
            crate::environ::MemoryStyle::Static { reservation: a },
        ) => {
            a >= e
                && actual.offset_guard_size >= expected.offset_guard_size
                && actual.pre_guard_size >= expected.pre_guard_size
        }
        (
            crate::environ::MemoryStyle::Static { .. },
            crate::environ::MemoryStyle::Dynamic { .. },
        ) => false,
    }
}

/// An instance of a module in a store.
#[derive(Clone)]
pub struct Instance {
    store: Store,
    data: NonNull<InstanceData>,
}

// SAFETY: the handle keeps the store alive; the store and its objects move
// between threads but are used by one thread at a time.
unsafe impl Send for Instance {}

impl Instance {
    /// Instantiates `module` with `imports` (in the module's import order).
    /// Fails with a `Link` error naming the import that does not fit, an
    /// `ImplLimit` error for a pooling limit, a `Trap` error when a segment
    /// is out of bounds or the start function traps, or `Other` when
    /// resources run out.
    ///
    /// With `async_support` on, only code running in an async call of the
    /// store may instantiate synchronously (as the reference, which
    /// refuses sync instantiation then); use `Linker::instantiate_async`.
    pub fn new(store: &Store, module: &Module, imports: &[Extern]) -> Result<Instance, Error> {
        if store.engine().config().async_support() && !super::async_call::on_fiber_of(store) {
            return Err(Error::config(
                "async_support",
                "this store's engine has async support, so modules must be instantiated \
                 asynchronously (wasm_linker_instantiate_async / Linker::instantiate_async)",
            ));
        }
        // Until the instance is the store's, the objects its constant
        // expressions allocate are held where the collector does not look.
        let data = store.without_gc(|| Self::link(store, module, imports))?;
        let data = store.adopt_instance(data);
        let instance = Instance {
            store: store.clone(),
            data,
        };
        instance.initialize()?;
        Ok(instance)
    }

    pub(crate) fn from_data(store: &Store, data: NonNull<InstanceData>) -> Instance {
        Instance {
            store: store.clone(),
            data,
        }
    }

    pub(crate) fn data(&self) -> &InstanceData {
        // SAFETY: the store owns the instance and `self.store` keeps it alive.
        unsafe { self.data.as_ref() }
    }

    /// Checks the imports and builds the instance's `VMContext`, memories,
    /// tables and globals.
    fn link(
        store: &Store,
        module: &Module,
        imports: &[Extern],
    ) -> Result<Box<InstanceData>, Error> {
        let engine = store.engine();
        if !module.engine().same(engine) {
            return Err(Error::link(
                None,
                "the module was compiled by a different engine than the store's",
            ));
        }
        if !engine.is_host_target() {
            return Err(Error::link(
                None,
                format!(
                    "the module was compiled for {}, which cannot run on this host ({}): \
                     serialize it and load it there",
                    engine.isa().triple(),
                    target_lexicon::Triple::host()
                ),
            ));
        }
        let info = module.info();
        if imports.len() != info.imports.len() {
            return Err(Error::link(
                None,
                format!(
                    "the module needs {} imports, {} were provided",
                    info.imports.len(),
                    imports.len()
                ),
            ));
        }
        for (import, ext) in info.imports.iter().zip(imports) {
            let name = ImportName::new(&import.module, &import.name);
            // The import's type differs from what the module declares.
            let incompatible = |expected: String, actual: String| {
                let reason =
                    format!("incompatible import type: expected {expected}, found {actual}");
                let message = format!(
                    "incompatible import type for `{name}`: expected {expected}, found {actual}"
                );
                let import = Some(name.clone());
                Error::new(ErrorKind::Link { import, reason }, message)
            };
            if !ext.store().same(store) {
                return Err(Error::link(
                    Some(name),
                    format!("the {} belongs to a different store", ext.kind_name()),
                ));
            }
            match (&import.ty, ext) {
                (EntityType::Function(t), Extern::Func(f)) => {
                    // The provided function's type must be the import's
                    // (equal canonical ids) or declare it as a supertype.
                    let expected_id = module.type_ids()[*t as usize];
                    if !super::type_registry::is_subtype(f.type_id(), expected_id) {
                        let expected = module.canonical_extern_type(&import.ty);
                        return Err(incompatible(expected.to_string(), f.ty().to_string()));
                    }
                    f.check_usable_by_wasm()
                        .map_err(|e| Error::link(Some(name.clone()), e.to_string()))?;
                }
                (EntityType::Table(expected), Extern::Table(t)) => {
                    let actual = t.ty();
                    let expected = &module.canonical_table_type(expected);
                    if !table_matches(&actual, expected) {
                        return Err(incompatible(expected.to_string(), actual.to_string()));
                    }
                }
                (EntityType::Memory(expected), Extern::Memory(m)) => {
                    let actual = m.ty();
                    if !memory_matches(&actual, expected) {
                        return Err(incompatible(expected.to_string(), actual.to_string()));
                    }
                    let plan = &module.memory_plans()[import.index as usize];
                    if !plan_compatible(&m.data().plan, plan) {
                        return Err(Error::link(
                            Some(name),
                            format!(
                                "the memory's layout ({:?}, a {}-byte guard) does not fit the module's compiled accesses ({:?}, a {}-byte guard)",
                                m.data().plan.style,
                                m.data().plan.offset_guard_size,
                                plan.style,
                                plan.offset_guard_size
                            ),
                        ));
                    }
                }
                (EntityType::Global(expected), Extern::Global(g)) => {
                    let actual = g.ty();
                    let expected = &module.canonical_global_type(expected);
                    // An immutable global may hold a subtype of what is
                    // imported; a mutable one must hold exactly that type.
                    let content_matches = if expected.mutable {
                        actual.content == expected.content
                    } else {
                        actual.content.is_subtype_in(
                            expected.content,
                            &super::type_registry::canonical_supertype,
                        )
                    };
                    if actual.mutable != expected.mutable || !content_matches {
                        return Err(incompatible(expected.to_string(), actual.to_string()));
                    }
                }
                (EntityType::Tag(t), Extern::Tag(tag)) => {
                    // Tag types must be equivalent, as function types are.
                    if tag.type_id() != module.type_ids()[*t as usize] {
                        let expected = module.canonical_extern_type(&import.ty);
                        return Err(incompatible(expected.to_string(), tag.ty().to_string()));
                    }
                }
                (expected, ext) => {
                    let want = match expected {
                        EntityType::Function(_) => "function",
                        EntityType::Table(_) => "table",
                        EntityType::Memory(_) => "memory",
                        EntityType::Global(_) => "global",
                        EntityType::Tag(_) => "tag",
                    };
                    return Err(incompatible(
                        format!("a {want}"),
                        format!("a {}", ext.kind_name()),
                    ));
                }
            }
        }

        let defined_memories: Vec<MemoryType> =
            info.memories[info.num_imported_memories as usize..].to_vec();
        let defined_tables: Vec<TableType> =
            info.tables[info.num_imported_tables as usize..].to_vec();
        store.check_new_objects(1, &defined_memories, &defined_tables)?;

        let offsets = VMOffsets::new(info);
        // Every slot the instance needs is taken here, before anything is
        // built: exhaustion fails cleanly and gives back what was taken.
        let (vmctx, mut memory_slots, mut table_slots) =
            match Self::reserve_pool_slots(engine, module, &offsets)? {
                Some(r) => (
                    VMContextAlloc::pooled(r.instance, offsets.size())?,
                    r.memories,
                    r.tables,
                ),
                None => (VMContextAlloc::new(offsets.size())?, Vec::new(), Vec::new()),
            };
        let mut data = Box::new(InstanceData {
            store: store.as_raw(),
            module: module.clone(),
            offsets,
            vmctx,
            funcs: Vec::with_capacity(info.functions.len()),
            defined_funcs: Box::new([]),
            memories: Vec::with_capacity(info.memories.len()),
            tables: Vec::with_capacity(info.tables.len()),
            globals: Vec::with_capacity(info.globals.len()),
            tags: Vec::with_capacity(info.tags.len()),
            init_plan: engine.runtime().init_plans().get(
                module,
                engine.tunables().memory_init_cow,
                engine.config().memory_guaranteed_dense_image_size(),
                engine.config().force_memory_init_memfd(),
            ),
            memory_from_image: vec![false; info.memories.len()],
            table_from_template: vec![false; info.tables.len()],
            dropped_data: UnsafeCell::new(vec![false; info.data.len()]),
            passive_elems: UnsafeCell::new(vec![None; info.elems.len()]),
            code_index: OnceCell::new(),
            wmemcheck: OnceCell::new(),
        });
        let inst_ptr = NonNull::from(&mut *data);
        let vm = data.vmctx();
        let offsets = data.offsets.clone();
        // SAFETY: for all `write`s below, the offsets come from the module's
        // `VMOffsets`, so every field lies inside the zeroed, 16-byte
        // aligned `VMContext` allocation and has the written type.
        unsafe {
            data.vmctx_field::<*mut u8>(VMOffsets::RUNTIME_LIMITS)
                .write(store.limits_ptr().cast());
            data.vmctx_field::<*const u8>(VMOffsets::BUILTINS)
                .write(libcalls::builtin_table());
            data.vmctx_field::<*const InstanceData>(VMOffsets::INSTANCE)
                .write(inst_ptr.as_ptr());
            // The module interned its signatures once; it outlives this
            // instance (held in `data.module`), so the pointer stays valid.
            data.vmctx_field::<*const u32>(VMOffsets::TYPE_IDS)
                .write(data.module.type_ids().as_ptr());
        }
        if engine.tunables().wmemcheck && !info.memories.is_empty() {
            // What `wmemcheck`'s compiled checks read; the checker lives
            // in the boxed record, as long as the `VMContext`.
            let fast = data.wmemcheck().fast_ptr();
            // SAFETY: as above: the offset is the module's own.
            unsafe {
                data.vmctx_field::<*const u8>(offsets.wmemcheck())
                    .write(fast)
            };
        }

        for (import, ext) in info.imports.iter().zip(imports) {
            match ext {
                Extern::Func(f) => {
                    // SAFETY: see above; the funcref is live in the store.
                    unsafe {
                        data.vmctx_field::<VMFuncRef>(offsets.func_ref(import.index))
                            .write(*f.func_ref_ptr());
                    }
                    data.funcs.push(NonNull::from(f.data()));
                }
                Extern::Table(t) => {
                    // SAFETY: see above.
                    unsafe {
                        data.vmctx_field::<*mut VMTableDefinition>(
                            offsets.imported_table(import.index),
                        )
                        .write(t.data().def_ptr());
                    }
                    data.tables.push(NonNull::from(t.data()));
                }
                Extern::Memory(m) => {
                    // SAFETY: see above.
                    unsafe {
                        data.vmctx_field::<*mut VMMemoryDefinition>(
                            offsets.imported_memory(import.index),
                        )
                        .write(m.data().def_ptr());
                    }
                    data.memories.push(m.data_ptr_raw());
                }
                Extern::Global(g) => {
                    // SAFETY: see above.
                    unsafe {
                        data.vmctx_field::<*mut VMGlobalDefinition>(
                            offsets.imported_global(import.index),
                        )
                        .write(g.data().def_ptr());
                    }
                    data.globals.push(NonNull::from(g.data()));
                }
                Extern::Tag(t) => data.tags.push(t.data_ptr()),
            }
        }
        for &ty in &info.tags[info.num_imported_tags as usize..] {
            let type_id = module.type_ids()[ty as usize];
            let ty = module.canonical_tag_type(ty);
            data.tags
                .push(store.adopt_tag(TagData::with_type_id(ty, type_id)));
        }

        let defined: Box<[FuncData]> = (info.num_imported_funcs..info.functions.len() as u32)
            .map(|i| {
                let slot = data.vmctx_field::<VMFuncRef>(offsets.func_ref(i));
                // SAFETY: see above.
                unsafe {
                    slot.write(VMFuncRef {
                        wasm_call: module.func_ptr(i),
                        vmctx: vm,
                        type_id: data.module.type_ids()[info.functions[i as usize] as usize],
                        _pad: 0,
                    });
                }
                FuncData::new_wasm(store, inst_ptr, i, slot)
            })
            .collect();
        data.defined_funcs = defined;
        let defined_ptrs: Vec<NonNull<FuncData>> =
            data.defined_funcs.iter().map(NonNull::from).collect();
        data.funcs.extend(defined_ptrs);

        let images = data.init_plan.clone();
        for (i, plan) in module.memory_plans()[info.num_imported_memories as usize..]
            .iter()
            .enumerate()
        {
            let index = info.num_imported_memories as usize + i;
            let slot = data.vmctx_field::<VMMemoryDefinition>(offsets.defined_memory(i as u32));
            let (image, covered) = match images.as_ref().map(|m| &m.memories[i]) {
                // All segments are in bounds and empty: nothing to write.
                Some(MemoryInit::Image(None)) => (None, true),
                Some(MemoryInit::Image(Some(image))) => (Some(image), false),
                Some(MemoryInit::Eager) | None => (None, false),
            };
            // Shared memories are never pooled (see `pool`).
            let pool_slot = if plan.ty.shared {
                None
            } else {
                memory_slots.pop()
            };
            let (memory, from_image) =
                MemoryData::new_for_instance(engine, *plan, slot, image, pool_slot)
                    .map_err(|e| Error::from(e).prefixed(format!("memory {index}")))?;
            data.memory_from_image[index] = covered || from_image;
            data.memories.push(store.adopt_memory(memory));
        }
        for (i, ty) in info.tables[info.num_imported_tables as usize..]
            .iter()
            .enumerate()
        {
            let index = info.num_imported_tables as usize + i;
            let slot = data.vmctx_field::<VMTableDefinition>(offsets.defined_table(i as u32));
            let template = images
                .as_ref()
                .and_then(|p| TableTemplate::of(p, i, vm as usize, ty.minimum));
            let ty = module.canonical_table_type(ty);
            let from_template = template.is_some();
            let table = TableData::new_for_instance(engine, ty, slot, template, table_slots.pop())
                .map_err(|e| Error::from(e).prefixed(format!("table {index}")))?;
            table.set_definer_code_stores(info.stored_tables.get(index).copied().unwrap_or(true));
            // A table with an initialiser expression starts with its value
            // in every element (the plan makes no template for it).
            if let Some(init) = &info.table_inits[i] {
                let value = data.eval_ref(init)?;
                if value != 0 {
                    table.fill(0, value, ty.minimum);
                }
            }
            data.table_from_template[index] = from_template;
            data.tables.push(store.adopt_table(table));
        }
        for (i, ty) in info.globals[info.num_imported_globals as usize..]
            .iter()
            .enumerate()
        {
            let init = data.eval_const(&info.global_inits[i])?;
            let slot = data.vmctx_field::<VMGlobalDefinition>(offsets.defined_global(i as u32));
            let ty = module.canonical_global_type(ty);
            let global = GlobalData::new(ty, init, Some(slot));
            data.globals.push(store.adopt_global(global));
        }
        Ok(data)
    }

    /// Checks the module against the pooling allocator's per-module limits
    /// and takes the slots of the instance, its non-shared memories and
    /// its tables (nothing for on-demand engines).
    fn reserve_pool_slots(
        engine: &crate::engine::Engine,
        module: &Module,
        offsets: &VMOffsets,
    ) -> Result<Option<Reservation>, Error> {
        let info = module.info();
        let allocator = Allocator::of(engine, Origin::Instance);
        let (Allocator::Pooling(config), Some(pool)) = (allocator, engine.runtime().pool()) else {
            return Ok(None);
        };
        if info.num_defined_memories() > config.max_memories_per_module {
            return Err(Error::impl_limit(
                "max_memories_per_module",
                format!(
                    "pooling allocator: the module defines {} memories, max_memories_per_module is {}",
                    info.num_defined_memories(),
                    config.max_memories_per_module
                ),
            ));
        }
        if info.num_defined_tables() > config.max_tables_per_module {
            return Err(Error::impl_limit(
                "max_tables_per_module",
                format!(
                    "pooling allocator: the module defines {} tables, max_tables_per_module is {}",
                    info.num_defined_tables(),
                    config.max_tables_per_module
                ),
            ));
        }
        if offsets.size() as usize > config.max_core_instance_size {
            return Err(Error::impl_limit(
                "max_core_instance_size",
                format!(
                    "pooling allocator: the instance state takes {} bytes, max_core_instance_size is {}",
                    offsets.size(),
                    config.max_core_instance_size
                ),
            ));
        }
        let memories = info.memories[info.num_imported_memories as usize..]
            .iter()
            .filter(|m| !m.shared)
            .count() as u32;
        pool.reserve(module.code_id(), memories, info.num_defined_tables())
            .map(Some)
    }

    /// Applies the element and data segments in order, then runs the start
    /// function. The instance is registered first: whatever an earlier
    /// segment wrote into imported tables stays valid after a later trap.
    fn initialize(&self) -> Result<(), Error> {
        let data = self.data();
        let info = data.module.info();
        let trap = |kind: TrapKind| Error::trap(Trap::from_kind(kind, Vec::new()));

        let eval_item = |e: &ConstExpr| data.eval_ref(e);
        for (i, seg) in info.elems.iter().enumerate() {
            match &seg.mode {
                ElemMode::Passive => {
                    let items: Box<[usize]> =
                        seg.items.iter().map(eval_item).collect::<Result<_>>()?;
                    // SAFETY: one thread at a time uses the store.
                    unsafe { (&mut *data.passive_elems.get())[i] = Some(items) };
                }
                ElemMode::Declared => {}
                ElemMode::Active { table, .. }
                    if data.table_from_template.get(*table as usize) == Some(&true) =>
                {
                    // The table was created with this segment's items,
                    // which were proven in bounds when the template was
                    // built.
                }
                ElemMode::Active { table, offset } => {
                    let table = data.table(*table).ok_or_else(|| {
                        anyhow!("internal: element segment {i} names table {table}")
                    })?;
                    let raw = data.eval_const(offset)?;
                    let start = if table.declared.table64 {
                        raw.get_i64() as u64
                    } else {
                        raw.get_i32() as u32 as u64
                    };
                    let encoding = table.encoding();
                    let end = start
                        .checked_add(seg.items.len() as u64)
                        .filter(|e| *e <= table.size())
                        .ok_or_else(|| trap(TrapKind::TableOutOfBounds))?;
                    // Bounds are checked before anything is written, and
                    // evaluating an item cannot touch the table, so the
                    // items go straight into place.
                    // SAFETY: the slice is local to this segment's
                    // initialisation, which touches no table (see below).
                    let dst = unsafe { table.elements_mut_in(start as usize..end as usize) };
                    match data.init_plan.as_ref().and_then(|p| p.elements[i].as_ref()) {
                        Some(items) => {
                            items.write_to(data.vmctx() as usize, dst);
                            encoding.encode_all(dst);
                        }
                        None => {
                            for (slot, item) in dst.iter_mut().zip(&seg.items) {
                                *slot = encoding.encode(eval_item(item)?);
                            }
                        }
                    }
                }
            }
        }

        for (i, seg) in info.data.iter().enumerate() {
            let DataMode::Active { memory, offset } = &seg.mode else {
                continue;
            };
            if data.memory_from_image.get(*memory as usize) == Some(&true) {
                // The memory's image already holds this segment, which was
                // proven in bounds when the image was built.
                data.drop_data(i as u32);
                continue;
            }
            let mem = data
                .memory(*memory)
                .ok_or_else(|| anyhow!("internal: data segment {i} names memory {memory}"))?;
            let raw = data.eval_const(offset)?;
            let start = if mem.plan.ty.memory64 {
                raw.get_i64() as u64
            } else {
                raw.get_i32() as u32 as u64
            };
            let dst = mem
                .checked_range(start, seg.data.len() as u64)
                .ok_or_else(|| trap(TrapKind::MemoryOutOfBounds))?;
            // SAFETY: `checked_range` proved `[start, start + len)` is inside
            // the memory's committed bytes; the segment is separate memory.
            unsafe { std::ptr::copy_nonoverlapping(seg.data.as_ptr(), dst, seg.data.len()) };
            data.drop_data(i as u32);
        }

        if let Some(start) = info.start {
            let func = Func::from_data(&self.store, data.funcs[start as usize]);
            func.call(&[], &mut []).map_err(Error::trap)?;
        }
        Ok(())
    }

    fn export_extern(&self, kind: ExternKind, index: u32) -> Extern {
        let data = self.data();
        let store = &self.store;
        match kind {
            ExternKind::Func => Extern::Func(Func::from_data(store, data.funcs[index as usize])),
            ExternKind::Table => {
                Extern::Table(Table::from_data(store, data.tables[index as usize]))
            }
            ExternKind::Memory => {
                Extern::Memory(Memory::from_data(store, data.memories[index as usize]))
            }
            ExternKind::Global => {
                Extern::Global(Global::from_data(store, data.globals[index as usize]))
            }
            ExternKind::Tag => Extern::Tag(Tag::from_data(store, data.tags[index as usize])),
        }
    }

    /// Every export, in the module's export order.
    pub fn exports(&self) -> Vec<Extern> {
        self.data()
            .module
            .info()
            .exports
            .iter()
            .map(|e| self.export_extern(e.kind, e.index))
            .collect()
    }

    /// The export called `name`, if any.
    pub fn get_export(&self, name: &str) -> Option<Extern> {
        let e = self
            .data()
            .module
            .info()
            .exports
            .iter()
            .find(|e| e.name == name)?;
        Some(self.export_extern(e.kind, e.index))
    }

    /// The module this is an instance of.
    pub fn module(&self) -> &Module {
        &self.data().module
    }

    /// The store the instance belongs to.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The instance's `VMContext`, as compiled code receives it: for tests
    /// that call compiled functions through their trampolines directly.
    /// Valid while the store lives.
    #[doc(hidden)]
    pub fn vmctx_ptr(&self) -> *mut u8 {
        self.data().vmctx()
    }

    /// Whether both handles refer to the same instance.
    pub fn same(&self, other: &Instance) -> bool {
        self.data == other.data
    }

    /// A hashable identity of the instance: equal for two handles exactly
    /// when `same` is true, and stable while any handle of it exists (the
    /// address of its record, which the store owns and never moves).
    pub fn id(&self) -> usize {
        self.data.as_ptr() as usize
    }
}

impl fmt::Debug for Instance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Instance")
            .field("module", self.module())
            .finish_non_exhaustive()
    }
}
