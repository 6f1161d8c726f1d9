//! Tables: the runtime's record and the `Table` handle.
//!
//! Elements are pointer-sized: `*const VMFuncRef` for funcref tables, the
//! externref payload address for externref tables, NULL for null. Funcref
//! tables of an engine with `table_lazy_init` store them tagged (see
//! [`Encoding`]), which only this file and compiled code know.

use super::global::check_val;
use super::init_plan::{FuncRefItems, TableTemplate};
use super::pool::{Allocator, Origin, PooledElements, TableSlot};
use super::store::Store;
use super::val::Val;
use super::vm::VMTableDefinition;
use crate::engine::Engine;
use crate::environ::{TableType, ValType};
use anyhow::{anyhow, bail, Result};
use std::cell::{Cell, UnsafeCell};
use std::ptr::NonNull;

/// The most elements a table may hold in this runtime, whatever its type
/// says: 2^30 (over a billion). Null elements cost nothing until written
/// (see [`Elements`]), so a table grown to this size costs only the pages
/// of the elements the program sets; a program that sets them all commits
/// 8 GiB, which bounds what one runaway table can take from the host (a
/// 32-bit memory can take 4 GiB). `table.grow` past it, or past what the
/// host can allocate, returns -1; embedders bound tables further with the
/// store limiter.
pub const MAX_TABLE_ELEMENTS: u64 = 1 << 30;

/// How a table stores its element values. This is the one place that
/// knows the stored form; everything else goes through `encode`/`decode`.
///
/// `Tagged` is the `table_lazy_init` form of funcref tables: a stored 0
/// means "not initialised yet", whose value is the module's initial value
/// for that index (the table's template) or null where no template covers
/// it (host tables, grown elements); any initialised element is stored as
/// `value | 1`, so an initialised null is 1. A `VMFuncRef` is pointer
/// aligned, so bit 0 of a value is always free. Compiled code reads the
/// same form (`compiler::translate::table`) and initialises a 0 element
/// through the `TableGetLazyInit` builtin.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Encoding {
    /// Elements are their values: externref (and exnref) tables, and every
    /// table of an engine without `table_lazy_init`.
    Plain,
    /// Funcref elements with the initialisation tag (see the type).
    Tagged,
}

impl Encoding {
    /// The encoding of tables of `element` type in an engine whose
    /// `table_lazy_init` is `lazy`.
    fn of(lazy: bool, element: ValType) -> Encoding {
        let func = matches!(element, ValType::Ref(r) if r.heap.is_func());
        if lazy && func {
            Encoding::Tagged
        } else {
            Encoding::Plain
        }
    }

    /// The stored form of `value` as an initialised element.
    pub(crate) fn encode(self, value: usize) -> usize {
        match self {
            Encoding::Plain => value,
            Encoding::Tagged => value | 1,
        }
    }

    /// The value of stored element `raw`, or `None` when it is not
    /// initialised yet (only in `Tagged` tables).
    pub(crate) fn decode(self, raw: usize) -> Option<usize> {
        match self {
            Encoding::Plain => Some(raw),
            Encoding::Tagged => (raw != 0).then_some(raw & !1),
        }
    }

    /// Encodes, in place, `elements` just written with plain values.
    pub(crate) fn encode_all(self, elements: &mut [usize]) {
        if self == Encoding::Tagged {
            for e in elements {
                *e = self.encode(*e);
            }
        }
    }

    /// The stored form of elements a table grows by with value `init`:
    /// a null stays "not initialised" (0), which past the template reads
    /// null, so growing by nulls writes nothing.
    fn grown(self, init: usize) -> usize {
        if init == 0 {
            0
        } else {
            self.encode(init)
        }
    }
}

/// A table's element array, pointer-sized elements in a `Vec` whose spare
/// capacity is always zero bytes (null elements).
///
/// The invariant lets null growth, the usual case, just extend the length:
/// nothing is written, and the allocation, made zeroed (`alloc_zeroed`,
/// which for large sizes maps fresh zero pages), commits memory only where
/// elements are set. Growth past the capacity makes a new zeroed
/// allocation (at least twice the old capacity) and copies the elements.
/// Writes only ever happen below the length, and the length never shrinks,
/// so the spare capacity stays zero.
struct Elements(Vec<usize>);

impl Elements {
    /// `len` null elements.
    fn zeroed(len: usize) -> Option<Elements> {
        let mut elements = Elements(Vec::new());
        elements.grow(len, 0)?;
        Some(elements)
    }

    /// The `len` items of `items` for the instance whose `VMContext` is at
    /// `vmctx`, written once (no zeroing first: instantiation's fast path).
    fn from_template(items: &FuncRefItems, vmctx: usize, len: usize) -> Option<Elements> {
        let mut elements = Vec::new();
        elements.try_reserve_exact(len).ok()?;
        items.append_to(vmctx, &mut elements);
        // The allocator may have given more than asked: null the spare
        // capacity, as the invariant requires.
        for slot in elements.spare_capacity_mut() {
            slot.write(0);
        }
        Some(Elements(elements))
    }

    /// Makes the capacity at least `len`, keeping the invariant; `None`
    /// when the host cannot allocate it.
    fn reserve_zeroed(&mut self, len: usize) -> Option<()> {
        if len <= self.0.capacity() {
            return Some(());
        }
        let capacity = len.max(self.0.capacity().saturating_mul(2));
        let bytes = capacity.checked_mul(std::mem::size_of::<usize>())?;
        let layout =
            std::alloc::Layout::from_size_align(bytes, std::mem::align_of::<usize>()).ok()?;
        // SAFETY: the layout has a non-zero size (`len` > capacity >= 0).
        let ptr = unsafe { std::alloc::alloc_zeroed(layout) }.cast::<usize>();
        if ptr.is_null() {
            return None;
        }
        // SAFETY: `ptr` was allocated by the global allocator with the
        // layout of a `Vec<usize>` of `capacity` elements, all zero bytes
        // (valid `usize`s); the old elements are copied into it below its
        // length, which starts at 0.
        let mut fresh = unsafe { Vec::from_raw_parts(ptr, 0, capacity) };
        fresh.extend_from_slice(&self.0);
        self.0 = fresh;
        Some(())
    }

    /// Extends the length to `len` (within the capacity) with null
    /// elements, which the invariant says are already there.
    fn grow_null(&mut self, len: usize) {
        assert!(len <= self.0.capacity(), "reserve_zeroed first");
        if len > self.0.len() {
            // SAFETY: within the capacity, and the spare capacity is zero
            // bytes, valid `usize`s (the invariant).
            unsafe { self.0.set_len(len) };
        }
    }

    /// Grows to `len` elements, the new ones `init`; `None` when the host
    /// cannot allocate them.
    fn grow(&mut self, len: usize, init: usize) -> Option<()> {
        self.reserve_zeroed(len)?;
        let old = self.0.len();
        self.grow_null(len);
        if init != 0 {
            self.0[old..].fill(init);
        }
        Some(())
    }
}

/// Where a table's elements live.
enum Storage {
    /// A heap allocation that grows by reallocating.
    Heap(Elements),
    /// A slot of the pooling allocator's table reservation: fixed
    /// capacity (`table_elements`), never moves.
    Pooled(PooledElements),
}

impl Storage {
    fn as_slice(&self) -> &[usize] {
        match self {
            Storage::Heap(e) => &e.0,
            Storage::Pooled(e) => e.as_slice(),
        }
    }

    /// The elements, for writes to those of `range` only (which a pooled
    /// table then resets when released): the caller writes nothing else.
    fn writing(&mut self, range: std::ops::Range<usize>) -> &mut [usize] {
        match self {
            Storage::Heap(e) => &mut e.0,
            Storage::Pooled(e) => e.writing(range),
        }
    }

    /// The first element and the length, where compiled code finds them.
    fn base_and_len(&mut self) -> (*mut usize, usize) {
        match self {
            Storage::Heap(e) => (e.0.as_mut_ptr(), e.0.len()),
            Storage::Pooled(e) => (e.base(), e.len()),
        }
    }

    /// Grows to `len` elements, the new ones `init`; `None` when the host
    /// cannot allocate them or the slot cannot hold them.
    fn grow(&mut self, len: usize, init: usize) -> Option<()> {
        match self {
            Storage::Heap(e) => e.grow(len, init),
            Storage::Pooled(e) => e.grow(len, init),
        }
    }
}

/// What a new table's `minimum` elements are.
enum Initial {
    /// Every element is this value.
    Fill(usize),
    /// The items of a template of exactly `minimum` funcref items.
    FuncRefs(TableTemplate),
}

/// The runtime's record of one table, owned by its store.
pub(crate) struct TableData {
    pub(crate) declared: TableType,
    /// How the elements are stored.
    encoding: Encoding,
    /// With `Encoding::Tagged`: the initial contents an uninitialised
    /// element takes its value from (`None`: those read null).
    lazy_template: Option<TableTemplate>,
    /// The most elements the table may hold: its type's maximum capped by
    /// the runtime's (or the pooling allocator's) limit.
    limit: u64,
    elements: UnsafeCell<Storage>,
    /// Whether the defining instance's compiled code may store into the
    /// elements directly (`set_definer_code_stores`), and whether an
    /// importer's may (`def_ptr`).
    definer_stores: Cell<bool>,
    importer_stores: Cell<bool>,
    /// Where compiled code reads base and length: inside the defining
    /// instance's `VMContext`, or `own_def` for host-created tables.
    def: *mut VMTableDefinition,
    _own_def: Option<Box<UnsafeCell<VMTableDefinition>>>,
}

impl TableData {
    /// A table the host creates on its own (`Table::new`) of `ty.minimum`
    /// elements set to `init`, publishing its definition in its own
    /// allocation. It is allocated on demand whatever the strategy (no
    /// pooling slot, no pool limits).
    pub(crate) fn new_for_host(engine: &Engine, ty: TableType, init: usize) -> Result<TableData> {
        Self::create(engine, Origin::Host, ty, Initial::Fill(init), None, None)
    }

    /// A table an instance defines, of `ty.minimum` elements, publishing
    /// its definition at `slot` (a field of the instance's `VMContext`);
    /// from the pool of a pooling engine, else on demand. The elements are
    /// null, or `template`'s items when the module's init plan worked out
    /// the whole initial contents (`InitPlan::tables`, `ty.minimum` items);
    /// in a tagged table those are only read on first access. A
    /// pooling engine's instantiation passes the `pool_slot` it reserved,
    /// which the elements then live in.
    pub(crate) fn new_for_instance(
        engine: &Engine,
        ty: TableType,
        slot: *mut VMTableDefinition,
        template: Option<TableTemplate>,
        pool_slot: Option<TableSlot>,
    ) -> Result<TableData> {
        let initial = match template {
            Some(t) if t.items().len() as u64 == ty.minimum => Initial::FuncRefs(t),
            _ => Initial::Fill(0),
        };
        Self::create(engine, Origin::Instance, ty, initial, Some(slot), pool_slot)
    }

    fn create(
        engine: &Engine,
        origin: Origin,
        ty: TableType,
        initial: Initial,
        slot: Option<*mut VMTableDefinition>,
        pool_slot: Option<TableSlot>,
    ) -> Result<TableData> {
        if ty.minimum > ty.maximum.unwrap_or(u64::MAX) {
            bail!("table type has maximum below its minimum {}", ty.minimum);
        }
        let allocator = Allocator::of(engine, origin);
        let limit = ty
            .maximum
            .unwrap_or(u64::MAX)
            .min(allocator.table_element_limit());
        if ty.minimum > limit {
            bail!(
                "table minimum of {} elements exceeds this runtime's limit of {limit}",
                ty.minimum
            );
        }
        let cannot = || anyhow!("cannot allocate a table of {} elements", ty.minimum);
        let minimum = usize::try_from(ty.minimum).map_err(|_| cannot())?;
        let encoding = Encoding::of(engine.tunables().table_lazy_init, ty.element);
        // A tagged table keeps its template for lazy initialisation and
        // starts all "not initialised" (zero): nothing is written.
        let (initial, lazy_template) = match (encoding, initial) {
            (Encoding::Tagged, Initial::FuncRefs(t)) => (Initial::Fill(0), Some(t)),
            (_, initial) => (initial, None),
        };
        let elements = match (allocator, pool_slot) {
            (Allocator::Pooling(_), Some(pool_slot)) => {
                let (template, init) = match initial {
                    Initial::Fill(init) => (None, init),
                    Initial::FuncRefs(t) => (Some(t), 0),
                };
                let mut elements =
                    PooledElements::new(pool_slot, minimum, template).ok_or_else(cannot)?;
                if init != 0 {
                    elements.as_mut_slice().fill(encoding.encode(init));
                }
                Storage::Pooled(elements)
            }
            (Allocator::Pooling(_), None) => {
                bail!("internal error: a pooled instance table without a slot")
            }
            (Allocator::OnDemand, _) => Storage::Heap(match initial {
                Initial::Fill(init) => {
                    let mut elements = Elements::zeroed(0).ok_or_else(cannot)?;
                    elements
                        .grow(minimum, encoding.grown(init))
                        .ok_or_else(cannot)?;
                    elements
                }
                // The caller checked that the template has `ty.minimum`
                // items: the elements are written once, straight from it.
                Initial::FuncRefs(t) => {
                    Elements::from_template(t.items(), t.vmctx, minimum).ok_or_else(cannot)?
                }
            }),
        };
        let (own, def) = match slot {
            Some(slot) => (None, slot),
            None => {
                let own = Box::new(UnsafeCell::new(VMTableDefinition {
                    base: std::ptr::null_mut(),
                    current_elements: 0,
                }));
                let ptr = own.get();
                (Some(own), ptr)
            }
        };
        let data = TableData {
            declared: ty,
            encoding,
            lazy_template,
            limit,
            elements: UnsafeCell::new(elements),
            definer_stores: Cell::new(true),
            importer_stores: Cell::new(false),
            def,
            _own_def: own,
        };
        data.publish();
        data.update_code_stores();
        Ok(data)
    }

    /// Writes the current base and length where compiled code reads them.
    fn publish(&self) {
        // SAFETY: one thread at a time uses the store; `def` is valid for
        // the table's life.
        unsafe {
            let (base, len) = (*self.elements.get()).base_and_len();
            self.def.write(VMTableDefinition {
                base,
                current_elements: len,
            });
        }
    }

    /// Where compiled code of another instance finds the elements: the
    /// table is being imported. That code may store into them (`table.set`
    /// compiles to a plain store, which no runtime path sees), so from here
    /// on a pooled table counts as written everywhere when released.
    pub(crate) fn def_ptr(&self) -> *mut VMTableDefinition {
        self.importer_stores.set(true);
        self.update_code_stores();
        self.def
    }

    /// Records whether the defining instance's compiled code may store
    /// into the elements directly: whether its module has a `table.set` on
    /// this table. Until it says it has none, it may. A pooled table
    /// resets only the elements the runtime saw written when neither the
    /// defining instance's code nor an importer's may store into them.
    // The instantiation of a module whose info records which tables its
    // `table.set`s target calls this; until then every defining instance
    // counts as storing (no release is skipped that could need a reset).
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn set_definer_code_stores(&self, stores: bool) {
        self.definer_stores.set(stores);
        self.update_code_stores();
    }

    fn update_code_stores(&self) {
        let stores = self.definer_stores.get() || self.importer_stores.get();
        // SAFETY: a unique reference for this update only: no
        // `elements_mut_in` slice is alive while a method of the table runs
        // (its contract).
        if let Storage::Pooled(e) = unsafe { &mut *self.elements.get() } {
            e.set_code_stores(stores);
        }
    }

    /// Elements `range` (in bounds), for one table operation that writes
    /// them in place: only they count as written, so a pooled table resets
    /// no more than them when released .
    ///
    /// # Safety
    /// While the returned slice is alive, nothing else may reach this
    /// table's elements: no other call of `elements_mut_in` on this table and
    /// no other method of it (`grow` reallocates the elements, the others
    /// read or write them), which also rules out running wasm or host code
    /// that could use the table. The store is used by one thread at a time,
    /// so the caller only has to keep the slice local to one operation.
    // The exclusive borrow comes from the `UnsafeCell`, under the contract
    // above: that is what makes this an `unsafe fn`.
    #[allow(clippy::mut_from_ref)]
    pub(crate) unsafe fn elements_mut_in(&self, range: std::ops::Range<usize>) -> &mut [usize] {
        // SAFETY: the caller guarantees this is the only reference to the
        // elements while it lives.
        let elements = unsafe { (*self.elements.get()).writing(range.clone()) };
        &mut elements[range]
    }

    /// How the elements are stored, for the operations that write
    /// `elements_mut_in` directly.
    pub(crate) fn encoding(&self) -> Encoding {
        self.encoding
    }

    /// The value of element `i` whose stored form is `raw`.
    fn value_of(&self, i: usize, raw: usize) -> usize {
        self.encoding
            .decode(raw)
            .unwrap_or_else(|| self.initial_value(i))
    }

    /// The initial value of element `i` of a tagged table: the template's,
    /// or null.
    fn initial_value(&self, i: usize) -> usize {
        self.lazy_template.as_ref().map_or(0, |t| t.value(i))
    }

    /// Element `i`, or `None` past the end.
    pub(crate) fn get(&self, i: u64) -> Option<usize> {
        // SAFETY: a shared reference for this read only; no `elements_mut_in`
        // slice is alive while a method of the table runs (its contract).
        let elements = unsafe { (*self.elements.get()).as_slice() };
        let i = usize::try_from(i).ok()?;
        elements.get(i).map(|&raw| self.value_of(i, raw))
    }

    /// Element `i`, stored initialised if it was not yet (the
    /// `TableGetLazyInit` builtin); `None` past the end.
    pub(crate) fn get_and_init(&self, i: u64) -> Option<usize> {
        let value = self.get(i)?;
        self.set(i, value);
        Some(value)
    }

    /// Sets element `i` to `value`; false past the end.
    pub(crate) fn set(&self, i: u64, value: usize) -> bool {
        let Some(i) = usize::try_from(i).ok().filter(|&i| i < self.len()) else {
            return false;
        };
        // SAFETY: the only reference, for this write (see `get`).
        let element = unsafe { self.elements_mut_in(i..i + 1) };
        element[0] = self.encoding.encode(value);
        true
    }

    /// The number of elements, as an index.
    fn len(&self) -> usize {
        // SAFETY: a shared reference for this read only (see `get`).
        unsafe { (*self.elements.get()).as_slice() }.len()
    }

    /// Stores every element of `range` initialised, so that its stored
    /// form can be copied elsewhere (a copied 0 would take the template
    /// value of the destination index). `range` is in bounds.
    fn init_range(&self, range: std::ops::Range<usize>) {
        if self.encoding == Encoding::Plain {
            return;
        }
        let start = range.start;
        // SAFETY: the slice is local to this loop, which calls nothing
        // that reaches the elements.
        let elements = unsafe { self.elements_mut_in(range) };
        for (i, e) in (start..).zip(elements) {
            if self.encoding.decode(*e).is_none() {
                *e = self.encoding.encode(self.initial_value(i));
            }
        }
    }

    /// `table.copy`: copies the elements of `src_range` of `src_table` to
    /// `dst_range` of `dst` (ranges of one length, in bounds, possibly
    /// overlapping in one table). Both tables have the same element type,
    /// hence the same encoding.
    pub(crate) fn copy(
        dst: &TableData,
        src_table: &TableData,
        dst_range: std::ops::Range<usize>,
        src_range: std::ops::Range<usize>,
    ) {
        src_table.init_range(src_range.clone());
        // SAFETY: both slices are local to this copy, which runs no other
        // code and writes only inside `dst_range`; the source is taken
        // separately only when it is another table, so the two never
        // alias.
        let dst_elems = unsafe { (*dst.elements.get()).writing(dst_range.clone()) };
        if std::ptr::eq(dst, src_table) {
            dst_elems.copy_within(src_range, dst_range.start);
        } else {
            // SAFETY: as above; `src_table` is a different table, read only.
            let src_elems = unsafe { (*src_table.elements.get()).as_slice() };
            dst_elems[dst_range].copy_from_slice(&src_elems[src_range]);
        }
    }

    /// How many elements are stored with a non-zero value: in a tagged
    /// table, the elements initialised so far (a test hook, see
    /// `Table::initialised_elements`).
    fn stored_elements(&self) -> usize {
        // SAFETY: a shared reference for this count only (see `get`).
        let elements = unsafe { (*self.elements.get()).as_slice() };
        elements.iter().filter(|&&raw| raw != 0).count()
    }

    pub(crate) fn size(&self) -> u64 {
        // SAFETY: a shared reference for this read only (see `get`).
        unsafe { (*self.elements.get()).as_slice() }.len() as u64
    }

    /// The type with the current size as minimum.
    pub(crate) fn ty(&self) -> TableType {
        TableType {
            minimum: self.size(),
            ..self.declared
        }
    }

    /// Grows by `delta` elements set to `init`; the old size, or `None`
    /// when the table cannot grow that far.
    pub(crate) fn grow(&self, delta: u64, init: usize) -> Option<u64> {
        let old = self.size();
        let new = old.checked_add(delta)?;
        if new > self.limit {
            return None;
        }
        // SAFETY: the only reference, for this resize: no `elements_mut_in`
        // slice is alive while a method of the table runs (its contract).
        let elements = unsafe { &mut *self.elements.get() };
        elements.grow(usize::try_from(new).ok()?, self.encoding.grown(init))?;
        self.publish();
        Some(old)
    }

    /// Sets `[dst, dst + len)` to `value`; false when out of bounds.
    pub(crate) fn fill(&self, dst: u64, value: usize, len: u64) -> bool {
        let Some(end) = dst.checked_add(len).filter(|e| *e <= self.len() as u64) else {
            return false;
        };
        // SAFETY: the slice is local to this fill, which calls nothing else.
        unsafe { self.elements_mut_in(dst as usize..end as usize) }
            .fill(self.encoding.encode(value));
        true
    }
}

/// A table of a store.
#[derive(Clone)]
pub struct Table {
    store: Store,
    data: NonNull<TableData>,
}

// SAFETY: the handle keeps the store alive; the store and its objects move
// between threads but are used by one thread at a time.
unsafe impl Send for Table {}

impl Table {
    /// A fresh table of type `ty` with every element set to `init`.
    pub fn new(store: &Store, ty: TableType, init: Val) -> Result<Table> {
        if !ty.element.is_ref() {
            bail!(
                "table element type must be a reference type, not {}",
                ty.element
            );
        }
        check_val(store, &init, ty.element, "table initial value")?;
        store.check_new_objects(0, &[], &[ty])?;
        let raw = init.ref_to_raw().unwrap_or(std::ptr::null_mut()) as usize;
        let data = store.adopt_table(TableData::new_for_host(store.engine(), ty, raw)?);
        Ok(Table::from_data(store, data))
    }

    pub(crate) fn from_data(store: &Store, data: NonNull<TableData>) -> Table {
        Table {
            store: store.clone(),
            data,
        }
    }

    pub(crate) fn data(&self) -> &TableData {
        // SAFETY: the store owns the data and `self.store` keeps it alive.
        unsafe { self.data.as_ref() }
    }

    /// The store the table belongs to.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The table's type, with its current size as the minimum.
    pub fn ty(&self) -> TableType {
        self.data().ty()
    }

    /// Element `i`, or `None` past the end.
    pub fn get(&self, i: u64) -> Option<Val> {
        let data = self.data();
        let raw = data.get(i)?;
        // SAFETY: elements hold references of this store of the table's
        // element type.
        Some(unsafe { Val::from_ref_raw(&self.store, raw as *mut u8, data.declared.element) })
    }

    /// Sets element `i`; fails past the end or for a wrong value.
    pub fn set(&self, i: u64, v: Val) -> Result<()> {
        let data = self.data();
        check_val(&self.store, &v, data.declared.element, "table.set")?;
        let raw = v.ref_to_raw().unwrap_or(std::ptr::null_mut()) as usize;
        if !data.set(i, raw) {
            bail!(
                "table.set: index {i} is out of bounds (size {})",
                data.size()
            );
        }
        Ok(())
    }

    /// The current number of elements.
    pub fn size(&self) -> u64 {
        self.data().size()
    }

    /// Grows by `delta` elements set to `init`; returns the old size.
    pub fn grow(&self, delta: u64, init: Val) -> Result<u64> {
        let data = self.data();
        check_val(&self.store, &init, data.declared.element, "table.grow")?;
        let raw = init.ref_to_raw().unwrap_or(std::ptr::null_mut()) as usize;
        self.store.grow_table(data, delta, raw).ok_or_else(|| {
            anyhow!(
                "table.grow: cannot grow by {delta} elements from {} (maximum {})",
                data.size(),
                data.declared
                    .maximum
                    .map_or_else(|| "none".to_string(), |m| m.to_string())
            )
        })
    }

    /// How many elements hold a stored non-zero value. With
    /// `table_lazy_init`, a funcref table's elements are stored only once
    /// initialised, so this counts those (0 right after instantiation);
    /// otherwise it counts the non-null elements. For tests only.
    #[doc(hidden)]
    pub fn initialised_elements(&self) -> usize {
        self.data().stored_elements()
    }

    /// Whether both handles refer to the same table.
    pub fn same(&self, other: &Table) -> bool {
        self.data == other.data
    }

    /// A hashable identity of the table: equal for two handles exactly
    /// when `same` is true, and stable while any handle of it exists (the
    /// address of its record, which the store owns and never moves).
    pub fn id(&self) -> usize {
        self.data.as_ptr() as usize
    }
}

impl std::fmt::Debug for Table {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Table")
            .field("ty", &self.ty())
            .finish_non_exhaustive()
    }
}

/// Pooled tables reset exactly what their tenant may have changed: every
/// runtime writer is seen, compiled code's stores count as everywhere, and
/// a reused slot holds nothing of its last tenant, byte by byte.
#[cfg(test)]
mod pooled_tests {
    use super::*;
    use crate::config::{Config, InstanceAllocationStrategy, PoolingAllocationConfig};
    use crate::module::Module;
    use crate::runtime::pool::kernel_clears_on_this_thread;
    use crate::runtime::{Extern, Func, Instance};

    fn engine(lazy: bool, keep_resident: usize) -> Engine {
        let mut config = Config::default();
        config.set_static_memory_maximum_size(1 << 20);
        config.set_table_lazy_init(lazy);
        config.set_allocation_strategy(InstanceAllocationStrategy::Pooling(
            PoolingAllocationConfig {
                total_core_instances: 4,
                total_memories: 4,
                total_tables: 4,
                max_memory_size: 1 << 16,
                table_elements: 1024,
                table_keep_resident: keep_resident,
                ..PoolingAllocationConfig::default()
            },
        ));
        Engine::new(&config).expect("the pooling engine")
    }

    fn module(engine: &Engine, wat: &str) -> Module {
        Module::new(engine, &wat::parse_str(wat).expect("valid wat")).expect("module compiles")
    }

    /// How a test module's table of 600 elements (two pages and more)
    /// starts: `$one` in elements 0 to 299 (a segment the table is made
    /// from, `dense`), or in element 1 only (written at instantiation).
    fn initial(dense: bool, i: u64) -> bool {
        if dense {
            i < 300
        } else {
            i == 1
        }
    }

    fn segment(dense: bool) -> String {
        if dense {
            format!("(elem (i32.const 0) func {})", "$one ".repeat(300))
        } else {
            "(elem (i32.const 1) func $one)".to_string()
        }
    }

    /// The table, its segment, and every writer wasm has but `table.set`.
    fn runtime_writers(dense: bool) -> String {
        format!(
            r#"(module
              (type $t (func (result i32)))
              (table (export "table") 600 1024 funcref)
              {}
              (elem $seg func $one $two)
              (func $one (export "one") (result i32) (i32.const 1))
              (func $two (result i32) (i32.const 2))
              (func (export "call") (param i32) (result i32)
                (call_indirect (type $t) (local.get 0)))
              (func (export "fill") (table.fill (i32.const 550) (ref.func $two) (i32.const 3)))
              (func (export "copy") (table.copy (i32.const 580) (i32.const 0) (i32.const 3)))
              (func (export "init") (table.init $seg (i32.const 590) (i32.const 0) (i32.const 2)))
              (func (export "grow") (drop (table.grow (ref.func $two) (i32.const 100)))))"#,
            segment(dense)
        )
    }

    fn export(instance: &Instance, name: &str) -> Extern {
        instance.get_export(name).expect("the export")
    }

    fn func(instance: &Instance, name: &str) -> Func {
        export(instance, name).into_func().expect("a function")
    }

    fn run(instance: &Instance, name: &str, params: &[Val]) {
        let f = func(instance, name);
        let mut results = vec![Val::I32(0); f.ty().results.len()];
        f.call(params, &mut results).expect("no trap");
    }

    fn table(instance: &Instance) -> Table {
        export(instance, "table").into_table().expect("a table")
    }

    fn one(instance: &Instance) -> Val {
        Val::FuncRef(Some(func(instance, "one")))
    }

    /// Where `t`'s elements start.
    fn base(t: &Table) -> usize {
        // SAFETY: a shared reference for this read (see `TableData::get`).
        unsafe { (*t.data().elements.get()).as_slice().as_ptr() as usize }
    }

    /// Every element of `t`'s slot (its capacity, past its length too) as
    /// stored.
    fn slot_contents(t: &Table) -> Vec<usize> {
        // SAFETY: a shared reference for this read (see `TableData::get`).
        match unsafe { &*t.data().elements.get() } {
            Storage::Pooled(e) => e.whole_slot(),
            Storage::Heap(_) => panic!("a pooled table"),
        }
    }

    /// Instantiates `m` in a fresh store, tells its table whether the
    /// module's code stores into it (`stores`), runs `dirty` on it and
    /// drops the store; returns the table's base address and the kernel
    /// calls its release made.
    fn tenant(
        engine: &Engine,
        m: &Module,
        stores: bool,
        dirty: &dyn Fn(&Instance),
    ) -> (usize, u64) {
        let store = Store::new(engine);
        let instance = Instance::new(&store, m, &[]).expect("instantiation");
        let t = table(&instance);
        t.data().set_definer_code_stores(stores);
        dirty(&instance);
        let at = base(&t);
        drop((t, instance));
        let before = kernel_clears_on_this_thread();
        drop(store);
        (at, kernel_clears_on_this_thread() - before)
    }

    /// A fresh tenant of `m` finds `at`'s slot as a fresh one, byte by
    /// byte: elements stored only where instantiation stores them (the
    /// segment's, unless lazy and made from the segment), zero everywhere
    /// else, past the length too; and every element reads its initial
    /// value.
    fn check_fresh(engine: &Engine, m: &Module, dense: bool, at: usize, what: &str) {
        let store = Store::new(engine);
        let instance = Instance::new(&store, m, &[]).expect("instantiation");
        let t = table(&instance);
        assert_eq!(base(&t), at, "{what}: the same slot");
        let lazy = t.data().encoding() == Encoding::Tagged;
        for (i, &e) in slot_contents(&t).iter().enumerate() {
            let eager = initial(dense, i as u64) && (!lazy || !dense);
            assert_eq!(e != 0, eager, "{what}: element {i} is stored as {e:#x}");
        }
        assert_eq!(t.size(), 600, "{what}");
        let one = func(&instance, "one");
        for i in 0..600 {
            match t.get(i) {
                Some(Val::FuncRef(Some(f))) if initial(dense, i) => assert!(f.same(&one)),
                Some(Val::FuncRef(None)) if !initial(dense, i) => {}
                other => panic!("{what}: element {i} is {other:?}"),
            }
        }
    }

    /// Each runtime writer, alone, then all of them: the next tenant finds
    /// a fresh slot; a tenant that wrote nothing costs no system call.
    #[test]
    fn every_runtime_writer_is_reset() {
        type Dirty = Box<dyn Fn(&Instance)>;
        let writers: Vec<(&str, Dirty)> = vec![
            ("nothing", Box::new(|_| {})),
            ("host set", Box::new(|i| table(i).set(599, one(i)).unwrap())),
            (
                "host null set",
                Box::new(|i| table(i).set(7, Val::FuncRef(None)).unwrap()),
            ),
            ("lazy init", Box::new(|i| run(i, "call", &[Val::I32(1)]))),
            ("host get", Box::new(|i| assert!(table(i).get(1).is_some()))),
            ("fill", Box::new(|i| run(i, "fill", &[]))),
            ("copy", Box::new(|i| run(i, "copy", &[]))),
            ("init", Box::new(|i| run(i, "init", &[]))),
            ("wasm grow", Box::new(|i| run(i, "grow", &[]))),
            (
                "host grow",
                Box::new(|i| assert_eq!(table(i).grow(300, one(i)).unwrap(), 600)),
            ),
            (
                "null grow",
                Box::new(|i| assert_eq!(table(i).grow(300, Val::FuncRef(None)).unwrap(), 600)),
            ),
            (
                "everything",
                Box::new(|i| {
                    for f in ["fill", "copy", "init", "grow"] {
                        run(i, f, &[]);
                    }
                    run(i, "call", &[Val::I32(1)]);
                    table(i).set(3, one(i)).unwrap();
                }),
            ),
        ];
        for lazy in [true, false] {
            for keep in [0, 4096, 16 << 10] {
                let engine = engine(lazy, keep);
                for dense in [true, false] {
                    let m = module(&engine, &runtime_writers(dense));
                    let (at, _) = tenant(&engine, &m, false, &|_| {});
                    for (writer, dirty) in &writers {
                        let what = format!("{writer} (lazy {lazy}, keep {keep}, dense {dense})");
                        let (here, calls) = tenant(&engine, &m, false, dirty.as_ref());
                        assert_eq!(here, at, "{what}");
                        let clean = ["nothing", "host get", "null grow"].contains(writer);
                        if clean && dense {
                            assert_eq!(calls, 0, "{what}: a clean table is released as it is");
                        }
                        check_fresh(&engine, &m, dense, at, &what);
                    }
                }
            }
        }
    }

    /// The runtime cannot see compiled code's `table.set`: unless told the
    /// module's code stores into no table, every element is reset; and an
    /// importer's code may store into a table whose definer's does not.
    #[test]
    fn compiled_stores_reset_the_whole_table() {
        let engine = engine(true, 0);
        let m = module(
            &engine,
            &format!(
                r#"(module
                  (table (export "table") 600 1024 funcref)
                  {}
                  (func $one (export "one") (result i32) (i32.const 1))
                  (func (export "set") (param i32)
                    (table.set (local.get 0) (ref.func $one))))"#,
                segment(true)
            ),
        );
        let (at, _) = tenant(&engine, &m, true, &|_| {});
        for i in [0, 599, 300] {
            let (_, calls) = tenant(&engine, &m, true, &|inst| run(inst, "set", &[Val::I32(i)]));
            assert_eq!(calls, 1, "the whole table in one call");
            check_fresh(&engine, &m, true, at, &format!("table.set {i}"));
        }
        // Defined by a module without `table.set`, stored into by an
        // importer's.
        let definer = module(&engine, &runtime_writers(true));
        let importer = module(
            &engine,
            r#"(module
              (import "a" "table" (table 600 funcref))
              (func $f (result i32) (i32.const 9))
              (elem declare func $f)
              (func (export "set") (table.set (i32.const 400) (ref.func $f))))"#,
        );
        let (at, _) = tenant(&engine, &definer, false, &|_| {});
        let (here, calls) = tenant(&engine, &definer, false, &|inst| {
            let b = Instance::new(inst.store(), &importer, &[export(inst, "table")]).unwrap();
            run(&b, "set", &[]);
        });
        assert_eq!(here, at);
        assert_eq!(calls, 1, "the importer's store counts");
        check_fresh(&engine, &definer, true, at, "imported and set");
    }
}
