//! `Store`: owns every runtime object (instances, functions, memories,
//! tables, globals, externref payloads) and the per-store limits compiled
//! code reads.
//!
//! Objects are boxed once and never move, so handles and compiled code can
//! hold plain pointers to them. They are freed together when the last
//! handle to the store (the store itself or any object's handle) is
//! dropped: wasm values may refer to any object at any time, so nothing
//! smaller than the whole store has a knowable lifetime.

use super::exn::ExnObject;
use super::extern_ref::ExternData;
use super::func::{Func, FuncData};
use super::global::GlobalData;
use super::instance::InstanceData;
use super::memory::MemoryData;
use super::table::TableData;
use super::tag::TagData;
use super::vm::{VMFuncRef, VMRuntimeLimits};
use crate::engine::Engine;
use crate::environ::error::Error;
use crate::environ::val_raw::ValRaw;
use crate::environ::{MemoryType, TableType};
use anyhow::{bail, Result};
use std::any::Any;
use std::cell::{Cell, UnsafeCell};
use std::collections::HashMap;
use std::ptr::NonNull;
use std::sync::{Arc, Mutex, MutexGuard};

/// What a `vmctx` pointer found in a `VMFuncRef` belongs to.
#[derive(Clone, Copy)]
pub(crate) enum CtxOwner {
    Instance(NonNull<InstanceData>),
    HostFunc(NonNull<FuncData>),
}

/// Each object is boxed on its own so its address stays fixed while the
/// lists grow: handles and compiled code point at the objects directly.
#[derive(Default)]
#[allow(clippy::vec_box)]
struct StoreObjects {
    instances: Vec<Box<InstanceData>>,
    funcs: Vec<Box<FuncData>>,
    memories: Vec<Box<MemoryData>>,
    tables: Vec<Box<TableData>>,
    globals: Vec<Box<GlobalData>>,
    externs: Vec<Box<ExternData>>,
    tags: Vec<Box<TagData>>,
    /// Exception objects (see `exn`): never freed before the store.
    exns: Vec<ExnObject>,
    /// `vmctx` address → owner, to turn funcref values back into `Func`s.
    ctx_owners: HashMap<usize, CtxOwner>,
}

/// Resource limits of one store, with the reference's (`StoreLimits`)
/// meaning; `None` is unlimited. Growing a memory or table past a size
/// limit fails as the instruction specifies (`memory.grow` and
/// `table.grow` return -1, no trap); creating an object past a count limit,
/// or a memory or table whose initial size is already past a size limit,
/// fails with an `ImplLimit` error naming the limit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StoreLimits {
    /// Bytes any one linear memory may hold.
    pub memory_size: Option<u64>,
    /// Elements any one table may hold.
    pub table_elements: Option<u64>,
    /// Instances the store may hold.
    pub instances: Option<usize>,
    /// Tables the store may hold (defined by instances or by the host).
    pub tables: Option<usize>,
    /// Memories the store may hold (defined by instances or by the host).
    pub memories: Option<usize>,
    /// Bytes of system memory the store's GC heap may hold; an allocation
    /// that does not fit even after a collection traps with
    /// `AllocationTooLarge`.
    pub gc_heap_size: Option<u64>,
}

/// What an epoch deadline callback asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UpdateDeadline {
    /// Go on running wasm, with a new deadline this many ticks past the
    /// current epoch.
    Continue(u64),
    /// Suspend the async call (its poll returns pending), then go on with
    /// a new deadline this many ticks ahead. Only an async call can yield:
    /// asked outside one, wasm stops with an `Interrupt` trap saying so.
    Yield(u64),
}

/// Decides, each time the store's epoch deadline passes, whether wasm goes
/// on (and until when) or stops with an `Interrupt` trap carrying the
/// error's message. Like host functions, it runs on the thread using the
/// store and need not be `Send`.
pub type EpochDeadlineCallback = Box<dyn FnMut(&Store) -> anyhow::Result<UpdateDeadline>>;

/// The shared part of a store; every handle holds an `Arc` to it.
pub(crate) struct StoreInner {
    /// The embedder's data; dropped first when the store goes, while every
    /// object is still alive.
    data: Mutex<Option<Box<dyn Any + Send>>>,
    /// Per-type state of the runtime's host layers (WASI's context), one
    /// value per type; see `Store::set_extension`. Dropped with the store.
    extensions: Mutex<Vec<Box<dyn Any + Send>>>,
    limits_config: Mutex<StoreLimits>,
    epoch_callback: Mutex<Option<EpochDeadlineCallback>>,
    /// Why the epoch deadline callback stopped wasm, for the entry to turn
    /// the `Interrupt` trap into one with this message.
    interrupt_reason: Mutex<Option<String>>,
    engine: Engine,
    limits: Box<UnsafeCell<VMRuntimeLimits>>,
    /// The thread whose stack `limits.stack_limit` was computed for (a
    /// thread token, 0 when no call is active).
    stack_limit_owner: Cell<usize>,
    /// Fuel set aside beyond what compiled code sees in
    /// `limits.fuel_consumed`: with a fuel yield interval, code gets at
    /// most `interval` units at a time and the rest waits here.
    fuel_reserve: Cell<u64>,
    /// `fuel_async_yield_interval` (None: no yields, all fuel is active).
    fuel_yield_interval: Cell<Option<u64>>,
    objects: Mutex<StoreObjects>,
    /// The structs and arrays of wasm GC (`gc::GcHeap`), used by one
    /// thread at a time as the whole store is.
    gc_heap: std::cell::RefCell<super::gc::GcHeap>,
    /// The GC references the host holds (`AnyRef`, `ExternRef` handles):
    /// word → number of handles. Roots of every collection.
    gc_roots: std::cell::RefCell<HashMap<usize, usize>>,
    /// What the collector knows of each type's references, by canonical id.
    gc_traces: std::cell::RefCell<super::gc::Traces>,
    /// Async calls of the store suspended now: their wasm frames are on
    /// stacks the collector cannot walk, so it does not run meanwhile.
    suspended_calls: Cell<u32>,
    /// Set while something holds GC references the collector cannot see
    /// (instantiation evaluating constant expressions): no collection.
    gc_inhibited: Cell<u32>,
    /// Collections run so far.
    gc_count: Cell<u64>,
    /// Host values made since the last collection, and how many the last
    /// one left: `ExternRef::new` collects once the first passes the
    /// second (and `MIN_EXTERNS_BETWEEN_COLLECTIONS`).
    externs_since_gc: Cell<usize>,
    externs_after_gc: Cell<usize>,
    /// `set_gc_zeal`: collect at every allocation.
    gc_zeal: Cell<bool>,
}

/// The fewest host values made between two collections that host values
/// alone start.
const MIN_EXTERNS_BETWEEN_COLLECTIONS: usize = 10_000;

// SAFETY: the wasm.h contract: a store and its objects are used by one
// thread at a time, so the interior mutability of the objects (behind
// `UnsafeCell` and raw pointers) is never exercised concurrently. The
// object registry itself is behind a mutex, and dropping from any thread is
// fine because every object is plain memory or a `Send` host closure by
// contract.
unsafe impl Send for StoreInner {}
// SAFETY: see `Send`; shared access across threads is only ever sequential.
unsafe impl Sync for StoreInner {}

/// A collection of instances and objects that wasm code runs in. Cheap to
/// clone (a handle); `same` tells whether two handles are the same store.
/// `Send` but not `Sync`: a store moves between threads but is used by one
/// thread at a time.
#[derive(Clone)]
pub struct Store {
    pub(crate) inner: Arc<StoreInner>,
    _not_sync: std::marker::PhantomData<std::cell::Cell<()>>,
}

impl Store {
    /// A fresh, empty store for `engine`.
    pub fn new(engine: &Engine) -> Store {
        let limits = VMRuntimeLimits {
            // Set by the outermost host→wasm entry on a thread.
            stack_limit: 0,
            fuel_consumed: 0,
            // Like Wasmtime: with epoch interruption on, code traps at the
            // first epoch check until the embedder sets a deadline.
            epoch_deadline: 0,
            epoch_counter: engine.epoch_counter(),
        };
        Store {
            inner: Arc::new(StoreInner {
                data: Mutex::new(None),
                extensions: Mutex::new(Vec::new()),
                limits_config: Mutex::new(StoreLimits::default()),
                epoch_callback: Mutex::new(None),
                interrupt_reason: Mutex::new(None),
                engine: engine.clone(),
                limits: Box::new(UnsafeCell::new(limits)),
                stack_limit_owner: Cell::new(0),
                fuel_reserve: Cell::new(0),
                fuel_yield_interval: Cell::new(None),
                objects: Mutex::new(StoreObjects::default()),
                gc_heap: Default::default(),
                gc_roots: Default::default(),
                gc_traces: Default::default(),
                suspended_calls: Cell::new(0),
                gc_inhibited: Cell::new(0),
                gc_count: Cell::new(0),
                externs_since_gc: Cell::new(0),
                externs_after_gc: Cell::new(0),
                gc_zeal: Cell::new(false),
            }),
            _not_sync: std::marker::PhantomData,
        }
    }

    /// The engine the store was created for.
    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    /// Whether `self` and `other` are handles to the same store.
    pub fn same(&self, other: &Store) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// Sets the fuel left to `fuel` (needs `consume_fuel`).
    pub fn set_fuel(&self, fuel: u64) -> Result<()> {
        if !self.engine().tunables().consume_fuel {
            bail!("set_fuel: fuel consumption is not enabled (consume_fuel)");
        }
        let fuel = fuel.min(i64::MAX as u64);
        let active = fuel.min(self.inner.fuel_yield_interval.get().unwrap_or(u64::MAX));
        self.inner.fuel_reserve.set(fuel - active);
        // SAFETY: one thread at a time uses the store; compiled code reads
        // the limits only while this thread runs it.
        unsafe { (*self.inner.limits.get()).fuel_consumed = -(active as i64) };
        Ok(())
    }

    /// Makes async calls of this store yield (their poll returns pending)
    /// each time they have consumed `interval` units of fuel, then go on;
    /// `None` (or `Some(0)`) stops yielding. Needs `consume_fuel` and
    /// `async_support`. The fuel left is unchanged.
    pub fn fuel_async_yield_interval(&self, interval: Option<u64>) -> Result<()> {
        if !self.engine().tunables().consume_fuel {
            bail!("fuel_async_yield_interval: fuel consumption is not enabled (consume_fuel)");
        }
        if !self.engine().config().async_support() {
            bail!("fuel_async_yield_interval: async support is not enabled (async_support)");
        }
        let fuel = self.get_fuel()?;
        self.inner
            .fuel_yield_interval
            .set(interval.filter(|&i| i != 0));
        self.set_fuel(fuel)
    }

    /// Called by compiled code when the fuel it sees has run out: moves
    /// the next interval of the reserve into view and, for an async call
    /// with a yield interval, suspends it first. Whether wasm goes on (else
    /// it traps with `OutOfFuel`).
    pub(crate) fn on_out_of_fuel(&self) -> bool {
        let limits = self.inner.limits.get();
        // SAFETY: as in `set_fuel`; called by this store's running code.
        let consumed = unsafe { (*limits).fuel_consumed };
        let reserve = self.inner.fuel_reserve.get();
        let Some(interval) = self.inner.fuel_yield_interval.get() else {
            return false;
        };
        // What compiled code overshot by is paid from the reserve first.
        let debt = consumed.max(0) as u64;
        if reserve <= debt {
            // All fuel is spent; leave the count where code sees it.
            return false;
        }
        let chunk = (reserve - debt).min(interval);
        self.inner.fuel_reserve.set(reserve - debt - chunk);
        // SAFETY: as above.
        unsafe { (*limits).fuel_consumed = -(chunk as i64) };
        // Yield only inside an async call (outside one the interval just
        // meters); a cancelled call stops here, as if out of fuel.
        match super::async_call::suspend_current(self) {
            Ok(()) | Err(super::async_call::SuspendError::NotOnFiber) => true,
            Err(super::async_call::SuspendError::Cancelled) => false,
        }
    }

    /// The fuel left (needs `consume_fuel`).
    pub fn get_fuel(&self) -> Result<u64> {
        if !self.engine().tunables().consume_fuel {
            bail!("get_fuel: fuel consumption is not enabled (consume_fuel)");
        }
        // SAFETY: as in `set_fuel`.
        let consumed = unsafe { (*self.inner.limits.get()).fuel_consumed };
        let reserve = self.inner.fuel_reserve.get();
        Ok(if consumed >= 0 {
            reserve.saturating_sub(consumed as u64)
        } else {
            reserve.saturating_add(consumed.unsigned_abs())
        })
    }

    /// Sets the epoch deadline to `ticks` past the engine's current epoch
    /// (for `epoch_interruption`).
    pub fn set_epoch_deadline(&self, ticks: u64) {
        let deadline = self.engine().current_epoch().saturating_add(ticks);
        // SAFETY: as in `set_fuel`.
        unsafe { (*self.inner.limits.get()).epoch_deadline = deadline };
    }

    /// Replaces the embedder's data kept by the store (dropped with the
    /// store, after no wasm can run any more), returning the previous data.
    pub fn set_data(&self, data: Option<Box<dyn Any + Send>>) -> Option<Box<dyn Any + Send>> {
        std::mem::replace(&mut *lock(&self.inner.data), data)
    }

    /// Runs `f` on the embedder's data (`None` when there is none). `f` must
    /// not call `set_data` or `with_data` of the same store.
    pub fn with_data<R>(&self, f: impl FnOnce(Option<&mut (dyn Any + Send)>) -> R) -> R {
        let mut data = lock(&self.inner.data);
        f(data.as_deref_mut())
    }

    /// Installs `value` as the store's extension of type `T`, returning the
    /// one it replaces. Extensions are how layers above the runtime (WASI)
    /// keep per-store state their host functions find through
    /// `Caller::store`, without the runtime knowing their types.
    pub fn set_extension<T: Any + Send>(&self, value: T) -> Option<T> {
        let mut extensions = lock(&self.inner.extensions);
        let old = extensions
            .iter()
            .position(|e| e.is::<T>())
            .map(|i| extensions.swap_remove(i));
        extensions.push(Box::new(value));
        old.and_then(|b| b.downcast::<T>().ok()).map(|b| *b)
    }

    /// Runs `f` on the store's extension of type `T`. `None` when there is
    /// none, or when it is in use already by an enclosing `with_extension`
    /// of this store (a host function that re-entered wasm, which called
    /// back into the same layer): the extension is never lent twice, and
    /// re-entry is refused rather than deadlocking.
    pub fn with_extension<T: Any + Send, R>(&self, f: impl FnOnce(&mut T) -> R) -> Option<R> {
        let mut extensions = match self.inner.extensions.try_lock() {
            Ok(guard) => guard,
            Err(std::sync::TryLockError::Poisoned(p)) => p.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => return None,
        };
        let value = extensions.iter_mut().find_map(|e| e.downcast_mut::<T>())?;
        Some(f(value))
    }

    /// Sets the store's resource limits (see [`StoreLimits`]). Objects that
    /// exist already are kept; the limits apply to what is created or grown
    /// from now on.
    pub fn set_limits(&self, limits: StoreLimits) {
        *lock(&self.inner.limits_config) = limits;
        self.with_gc_heap(|heap| heap.set_limit(limits.gc_heap_size.unwrap_or(u64::MAX)));
    }

    /// Whether the engine's `collector` collects (`null` only allocates).
    fn collects(&self) -> bool {
        self.engine().config().collector() != crate::config::Collector::Null
    }

    /// The store's resource limits.
    pub fn limits(&self) -> StoreLimits {
        *lock(&self.inner.limits_config)
    }

    /// Whether a memory of `pages` pages of type `ty` fits the limiter; the
    /// one check every memory creation and growth path makes.
    pub(crate) fn memory_within_limit(&self, ty: &MemoryType, pages: u64) -> bool {
        let Some(limit) = self.limits().memory_size else {
            return true;
        };
        pages
            .checked_mul(1u64 << ty.page_size_log2)
            .is_some_and(|bytes| bytes <= limit)
    }

    /// Whether a table of `elements` elements fits the limiter; the one
    /// check every table creation and growth path makes.
    pub(crate) fn table_within_limit(&self, elements: u64) -> bool {
        self.limits().table_elements.is_none_or(|l| elements <= l)
    }

    /// Checks that `instances` more instances, `memories` more memories and
    /// `tables` more tables fit the limiter's counts, and that the initial
    /// sizes of the memories and tables fit its size limits.
    pub(crate) fn check_new_objects(
        &self,
        instances: usize,
        memories: &[MemoryType],
        tables: &[TableType],
    ) -> Result<(), Error> {
        let limits = self.limits();
        let (have_instances, have_memories, have_tables) = {
            let objects = self.objects();
            (
                objects.instances.len(),
                objects.memories.len(),
                objects.tables.len(),
            )
        };
        let count = |name: &str, limit: Option<usize>, have: usize, more: usize| {
            match limit {
                Some(limit) if more > 0 && have + more > limit => Err(Error::impl_limit(
                    name,
                    format!(
                        "store limiter: the store holds {have} {name} and may hold at most {limit} ({name} limit)"
                    ),
                )),
                _ => Ok(()),
            }
        };
        count("instances", limits.instances, have_instances, instances)?;
        count("memories", limits.memories, have_memories, memories.len())?;
        count("tables", limits.tables, have_tables, tables.len())?;
        for (i, ty) in memories.iter().enumerate() {
            if !self.memory_within_limit(ty, ty.minimum) {
                return Err(Error::impl_limit(
                    "memory_size",
                    format!(
                        "store limiter: memory {i} needs {} pages initially, more than the memory_size limit of {} bytes",
                        ty.minimum,
                        limits.memory_size.unwrap_or(0)
                    ),
                ));
            }
        }
        for (i, ty) in tables.iter().enumerate() {
            if !self.table_within_limit(ty.minimum) {
                return Err(Error::impl_limit(
                    "table_elements",
                    format!(
                        "store limiter: table {i} needs {} elements initially, more than the table_elements limit of {}",
                        ty.minimum,
                        limits.table_elements.unwrap_or(0)
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Grows `memory` by `delta` pages if the limiter allows the new size:
    /// the one entry of every memory growth path (wasm's `memory.grow` and
    /// the host's `Memory::grow`).
    pub(crate) fn grow_memory(&self, memory: &MemoryData, delta: u64) -> Result<u64> {
        let desired = memory.pages().checked_add(delta);
        if !desired.is_some_and(|pages| self.memory_within_limit(&memory.plan.ty, pages)) {
            bail!(
                "memory.grow: growing by {delta} pages from {} exceeds the store limiter's memory_size of {} bytes",
                memory.pages(),
                self.limits().memory_size.unwrap_or(0)
            );
        }
        memory.grow(delta)
    }

    /// Grows `table` by `delta` elements set to `init` if the limiter allows
    /// the new size: the one entry of every table growth path. `None` when
    /// the table cannot or may not grow that far.
    pub(crate) fn grow_table(&self, table: &TableData, delta: u64, init: usize) -> Option<u64> {
        let desired = table.size().checked_add(delta)?;
        if !self.table_within_limit(desired) {
            return None;
        }
        table.grow(delta, init)
    }

    /// Runs `callback` each time the epoch deadline passes, instead of
    /// trapping (see [`EpochDeadlineCallback`]).
    pub fn epoch_deadline_callback(&self, callback: EpochDeadlineCallback) {
        *lock(&self.inner.epoch_callback) = Some(callback);
    }

    /// Makes an async call of this store yield each time its epoch
    /// deadline passes, then go on with the deadline `delta` ticks later
    /// (replacing any deadline callback). Needs `async_support`.
    pub fn epoch_deadline_async_yield_and_update(&self, delta: u64) -> Result<()> {
        if !self.engine().config().async_support() {
            bail!(
                "epoch_deadline_async_yield_and_update: async support is not enabled \
                 (async_support)"
            );
        }
        self.epoch_deadline_callback(Box::new(move |_: &Store| Ok(UpdateDeadline::Yield(delta))));
        Ok(())
    }

    /// Goes back to the default: wasm traps with `Interrupt` when the
    /// epoch deadline passes.
    pub fn epoch_deadline_trap(&self) {
        *lock(&self.inner.epoch_callback) = None;
    }

    /// Called by compiled code when the epoch deadline has passed: whether
    /// wasm may go on (the callback gave a new deadline). When not, the
    /// reason (if the callback gave one) waits in `interrupt_reason`.
    pub(crate) fn on_epoch_deadline(&self) -> bool {
        // Taken out for the call, so the callback may use the store
        // (including setting a new callback, which then wins).
        let Some(mut callback) = lock(&self.inner.epoch_callback).take() else {
            return false;
        };
        let outcome = callback(self);
        {
            let mut slot = lock(&self.inner.epoch_callback);
            if slot.is_none() {
                *slot = Some(callback);
            }
        }
        let reason = match outcome {
            Ok(UpdateDeadline::Continue(delta)) => {
                self.set_epoch_deadline(delta);
                return true;
            }
            Ok(UpdateDeadline::Yield(delta)) => {
                self.set_epoch_deadline(delta);
                match super::async_call::suspend_current(self) {
                    Ok(()) => return true,
                    Err(super::async_call::SuspendError::Cancelled) => {
                        "the async call was cancelled".to_string()
                    }
                    Err(super::async_call::SuspendError::NotOnFiber) => {
                        "the epoch deadline callback asked to yield outside an async call \
                         (only calls made with async support, wasm_func_call_async, can \
                         yield; continue or fail instead)"
                            .to_string()
                    }
                }
            }
            Err(e) => format!("{e:#}"),
        };
        *lock(&self.inner.interrupt_reason) = Some(reason);
        false
    }

    /// The epoch deadline callback's reason for the last `Interrupt`, taken.
    pub(crate) fn take_interrupt_reason(&self) -> Option<String> {
        lock(&self.inner.interrupt_reason).take()
    }

    pub(crate) fn stack_limit_owner(&self) -> &Cell<usize> {
        &self.inner.stack_limit_owner
    }

    pub(crate) fn limits_ptr(&self) -> *mut VMRuntimeLimits {
        self.inner.limits.get()
    }

    fn objects(&self) -> MutexGuard<'_, StoreObjects> {
        // Every update is a single push or insert: a poisoned lock still
        // guards a consistent registry.
        self.inner.objects.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Borrows the store behind `ptr` for a call without touching its
    /// reference count (two atomic operations a host call would otherwise
    /// pay): the handle is never dropped, so it gives back no reference.
    ///
    /// # Safety
    /// `ptr` must come from `as_raw` of a store that stays alive while the
    /// returned handle is used (clones of it take real references, as
    /// usual, and may live on).
    pub(crate) unsafe fn borrow_raw(ptr: *const StoreInner) -> std::mem::ManuallyDrop<Store> {
        // SAFETY: the caller guarantees `ptr` is a live store's `Arc`
        // pointer; the `ManuallyDrop` below keeps this `Arc` from
        // releasing a count it never took.
        let inner = unsafe { Arc::from_raw(ptr) };
        std::mem::ManuallyDrop::new(Store {
            inner,
            _not_sync: std::marker::PhantomData,
        })
    }

    pub(crate) fn as_raw(&self) -> *const StoreInner {
        Arc::as_ptr(&self.inner)
    }

    /// Boxes `data` into the store's `list` (its address stays fixed from
    /// now until the store goes) and returns where it lives.
    fn adopt<T>(&self, data: T, list: fn(&mut StoreObjects) -> &mut Vec<Box<T>>) -> NonNull<T> {
        let mut boxed = Box::new(data);
        let ptr = NonNull::from(&mut *boxed);
        list(&mut self.objects()).push(boxed);
        ptr
    }

    pub(crate) fn adopt_memory(&self, data: MemoryData) -> NonNull<MemoryData> {
        self.adopt(data, |o| &mut o.memories)
    }

    pub(crate) fn adopt_table(&self, data: TableData) -> NonNull<TableData> {
        self.adopt(data, |o| &mut o.tables)
    }

    pub(crate) fn adopt_global(&self, data: GlobalData) -> NonNull<GlobalData> {
        self.adopt(data, |o| &mut o.globals)
    }

    /// Runs `f` on the store's GC heap.
    pub(crate) fn with_gc_heap<R>(&self, f: impl FnOnce(&mut super::gc::GcHeap) -> R) -> R {
        f(&mut self.inner.gc_heap.borrow_mut())
    }

    /// Collects the store's unreachable GC objects (structs, arrays and
    /// host values behind externrefs) now; an externref's host value is
    /// dropped when it is collected. Called from a host function, the
    /// calling wasm frames are roots as well. Does nothing under the
    /// `null` collector.
    pub fn gc(&self) {
        self.collect_garbage(None);
    }

    /// Collections run so far (by `gc` and by allocation).
    pub fn gc_count(&self) -> u64 {
        self.inner.gc_count.get()
    }

    /// Counts a new host handle of the GC reference `word`.
    pub(crate) fn root_gc_ref(&self, word: usize) {
        if word & 1 == 0 {
            if let Ok(mut roots) = self.inner.gc_roots.try_borrow_mut() {
                *roots.entry(word).or_insert(0) += 1;
            }
        }
    }

    /// Forgets one host handle of `word`.
    pub(crate) fn unroot_gc_ref(&self, word: usize) {
        if word & 1 == 0 {
            if let Ok(mut roots) = self.inner.gc_roots.try_borrow_mut() {
                if let Some(n) = roots.get_mut(&word) {
                    *n -= 1;
                    if *n == 0 {
                        roots.remove(&word);
                    }
                }
            }
        }
    }

    /// Notes that an async call of the store suspended (`true`) or resumed.
    pub(crate) fn note_suspended(&self, suspended: bool) {
        let n = self.inner.suspended_calls.get();
        self.inner.suspended_calls.set(if suspended {
            n + 1
        } else {
            n.saturating_sub(1)
        });
    }

    /// Runs `f` with collection held off (GC references it holds are not
    /// where the collector looks).
    pub(crate) fn without_gc<R>(&self, f: impl FnOnce() -> R) -> R {
        struct Release<'a>(&'a Cell<u32>);
        impl Drop for Release<'_> {
            fn drop(&mut self) {
                self.0.set(self.0.get() - 1);
            }
        }
        self.inner
            .gc_inhibited
            .set(self.inner.gc_inhibited.get() + 1);
        let _release = Release(&self.inner.gc_inhibited);
        f()
    }

    /// Before a new host value: collects when enough were made since the
    /// last collection (the wasm frames of a host call in progress are
    /// roots, as for `gc`).
    pub(crate) fn before_new_extern(&self) {
        let made = self.inner.externs_since_gc.get() + 1;
        self.inner.externs_since_gc.set(made);
        if made
            > self
                .inner
                .externs_after_gc
                .get()
                .max(MIN_EXTERNS_BETWEEN_COLLECTIONS)
        {
            self.collect_garbage(None);
        }
    }

    /// Whether the allocation path should collect before allocating.
    pub(crate) fn wants_collection(&self) -> bool {
        self.inner.gc_zeal.get() || self.inner.gc_heap.borrow().wants_collection()
    }

    /// Testing aid: with `on`, every GC allocation collects first, so
    /// every safepoint's stack map is exercised. Not for production.
    #[doc(hidden)]
    pub fn set_gc_zeal(&self, on: bool) {
        self.inner.gc_zeal.set(on);
    }

    /// Marks everything reachable and frees the rest (see `gc::collect`).
    /// `frame` is the wasm frame that called an allocation builtin, when a
    /// collection starts there; does nothing while an async call of the
    /// store is suspended or constant expressions are being evaluated.
    pub(crate) fn collect_garbage(&self, frame: Option<super::traphandlers::SafepointFrame>) {
        if self.inner.suspended_calls.get() > 0
            || self.inner.gc_inhibited.get() > 0
            || !self.collects()
        {
            return;
        }
        let Ok(mut traces) = self.inner.gc_traces.try_borrow_mut() else {
            return;
        };
        let mut marker = super::gc::Marker::new(&mut traces);
        let roots: Vec<usize> = self.inner.gc_roots.borrow().keys().copied().collect();
        let dead: Vec<Box<ExternData>> = {
            let mut objects = self.objects();
            // SAFETY: every `mark_root` here gets a word from where
            // the store's code and host keep references of this store.
            unsafe {
                for word in roots {
                    marker.mark_root(word);
                }
                for g in &objects.globals {
                    if super::gc::is_gc_managed(g.ty.content) {
                        marker.mark_root(g.get_raw().get_ptr() as usize);
                    }
                }
                for t in &objects.tables {
                    if super::gc::is_gc_managed(t.declared.element) {
                        for i in 0..t.size() {
                            if let Some(word) = t.get(i) {
                                marker.mark_root(word);
                            }
                        }
                    }
                }
                for instance in &objects.instances {
                    instance.for_each_gc_root(&mut |word| marker.mark_root(word));
                }
                for exn in &objects.exns {
                    super::exn::for_each_gc_root(exn, &mut |word| marker.mark_root(word));
                }
                // The stack slots the maps name hold words of this store
                // while its wasm is stopped at those calls.
                super::traphandlers::walk_gc_stack(self.as_raw(), frame, &mut |slot| {
                    marker.mark_root(*(slot as *const usize))
                });
            }
            marker.drain();
            self.inner.gc_heap.borrow_mut().sweep();
            let mut dead = Vec::new();
            let mut kept = Vec::with_capacity(objects.externs.len());
            for mut e in objects.externs.drain(..) {
                if e.take_mark() {
                    kept.push(e);
                } else {
                    dead.push(e);
                }
            }
            self.inner.externs_after_gc.set(kept.len());
            self.inner.externs_since_gc.set(0);
            objects.externs = kept;
            dead
        };
        self.inner.gc_count.set(self.inner.gc_count.get() + 1);
        // Host values are dropped (their finalizers run) with no lock held.
        drop(dead);
    }

    /// Bytes the store's GC heap holds.
    pub fn gc_heap_bytes(&self) -> u64 {
        self.inner.gc_heap.borrow().bytes()
    }

    pub(crate) fn adopt_extern(&self, data: ExternData) -> NonNull<ExternData> {
        self.adopt(data, |o| &mut o.externs)
    }

    pub(crate) fn adopt_tag(&self, data: TagData) -> NonNull<TagData> {
        self.adopt(data, |o| &mut o.tags)
    }

    /// Takes ownership of an exception object; the address of its slot 0.
    pub(crate) fn adopt_exn(&self, mut object: ExnObject) -> NonNull<ValRaw> {
        let ptr = NonNull::from(&mut object[0]);
        self.objects().exns.push(object);
        ptr
    }

    /// Takes ownership of a host function and registers its context.
    pub(crate) fn adopt_host_func(&self, data: Box<FuncData>, ctx: *mut u8) -> NonNull<FuncData> {
        let mut data = data;
        let ptr = NonNull::from(&mut *data);
        let mut objects = self.objects();
        objects.funcs.push(data);
        objects
            .ctx_owners
            .insert(ctx as usize, CtxOwner::HostFunc(ptr));
        ptr
    }

    /// Takes ownership of an instance and registers its `VMContext`.
    pub(crate) fn adopt_instance(&self, data: Box<InstanceData>) -> NonNull<InstanceData> {
        let mut data = data;
        let ptr = NonNull::from(&mut *data);
        let vmctx = data.vmctx() as usize;
        let mut objects = self.objects();
        objects.instances.push(data);
        objects.ctx_owners.insert(vmctx, CtxOwner::Instance(ptr));
        ptr
    }

    /// The instance whose compiled code has registry id `code_id`, for
    /// backtraces (the first one when the module was instantiated twice).
    pub(crate) fn instance_by_code_id(&self, code_id: usize) -> Option<NonNull<InstanceData>> {
        let objects = self.objects();
        objects
            .instances
            .iter()
            .find(|i| i.module().code_id() == code_id)
            .map(|i| NonNull::from(&**i))
    }

    /// The instance whose `VMContext` is `vmctx`, if it is one of ours.
    pub(crate) fn instance_by_vmctx(&self, vmctx: *mut u8) -> Option<NonNull<InstanceData>> {
        match self.objects().ctx_owners.get(&(vmctx as usize)) {
            Some(CtxOwner::Instance(i)) => Some(*i),
            _ => None,
        }
    }

    /// The `Func` a non-null funcref value of this store points at.
    pub(crate) fn func_from_raw(&self, raw: *const VMFuncRef) -> Option<Func> {
        if raw.is_null() {
            return None;
        }
        // SAFETY: non-null funcref values of this store point at live
        // `VMFuncRef`s owned by the store.
        let func_ref = unsafe { *raw };
        let owner = self
            .objects()
            .ctx_owners
            .get(&(func_ref.vmctx as usize))
            .copied()?;
        let data = match owner {
            CtxOwner::HostFunc(f) => f,
            // SAFETY: instances live as long as the store.
            CtxOwner::Instance(i) => unsafe { i.as_ref() }.func_by_code(func_ref.wasm_call)?,
        };
        Some(Func::from_data(self, data))
    }
}

/// Locks one of the store's small registries; a poisoned lock still guards
/// a consistent value (every update is a single assignment).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_borrowed_handle_takes_no_count_and_its_clones_take_one_each() {
        let store = Store::new(&Engine::default());
        assert_eq!(Arc::strong_count(&store.inner), 1);
        {
            // SAFETY: `store` is alive for the whole block.
            let borrowed = unsafe { Store::borrow_raw(store.as_raw()) };
            assert!(borrowed.same(&store));
            assert_eq!(Arc::strong_count(&store.inner), 1);
            let clone = Store::clone(&borrowed);
            assert_eq!(Arc::strong_count(&store.inner), 2);
            drop(clone);
        }
        // Ending the borrow gave back nothing it had not taken.
        assert_eq!(Arc::strong_count(&store.inner), 1);
    }
}
