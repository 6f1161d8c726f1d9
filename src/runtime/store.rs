//! `Store`: owns every runtime object (instances, functions, memories,
//! tables, globals, externref payloads) and the per-store limits compiled
//! code reads.
//!
//! Objects are boxed once and never move, so handles and compiled code can
//! hold plain pointers to them. They are freed together when the last
//! handle to the store (the store itself or any object's handle) is
//! dropped: wasm values may refer to any object at any time, so nothing
//! smaller than the whole store has a knowable lifetime.

use super::extern_ref::ExternData;
use super::func::{Func, FuncData};
use super::global::GlobalData;
use super::instance::InstanceData;
use super::memory::MemoryData;
use super::table::TableData;
use super::vm::{VMFuncRef, VMRuntimeLimits};
use crate::engine::Engine;
use anyhow::{bail, Result};
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
    /// `vmctx` address → owner, to turn funcref values back into `Func`s.
    ctx_owners: HashMap<usize, CtxOwner>,
}

/// The shared part of a store; every handle holds an `Arc` to it.
pub(crate) struct StoreInner {
    engine: Engine,
    limits: Box<UnsafeCell<VMRuntimeLimits>>,
    /// The thread whose stack `limits.stack_limit` was computed for (a
    /// thread token, 0 when no call is active).
    stack_limit_owner: Cell<usize>,
    objects: Mutex<StoreObjects>,
}

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
                engine: engine.clone(),
                limits: Box::new(UnsafeCell::new(limits)),
                stack_limit_owner: Cell::new(0),
                objects: Mutex::new(StoreObjects::default()),
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
        let fuel = i64::try_from(fuel).unwrap_or(i64::MAX);
        // SAFETY: one thread at a time uses the store; compiled code reads
        // the limits only while this thread runs it.
        unsafe { (*self.inner.limits.get()).fuel_consumed = -fuel };
        Ok(())
    }

    /// The fuel left (needs `consume_fuel`).
    pub fn get_fuel(&self) -> Result<u64> {
        if !self.engine().tunables().consume_fuel {
            bail!("get_fuel: fuel consumption is not enabled (consume_fuel)");
        }
        // SAFETY: as in `set_fuel`.
        let consumed = unsafe { (*self.inner.limits.get()).fuel_consumed };
        Ok(if consumed >= 0 {
            0
        } else {
            consumed.unsigned_abs()
        })
    }

    /// Sets the epoch deadline to `ticks` past the engine's current epoch
    /// (for `epoch_interruption`).
    pub fn set_epoch_deadline(&self, ticks: u64) {
        let deadline = self.engine().current_epoch().saturating_add(ticks);
        // SAFETY: as in `set_fuel`.
        unsafe { (*self.inner.limits.get()).epoch_deadline = deadline };
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

    pub(crate) fn adopt_extern(&self, data: ExternData) -> NonNull<ExternData> {
        self.adopt(data, |o| &mut o.externs)
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
