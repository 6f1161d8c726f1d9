//! Globals: the runtime's record and the `Global` handle.

use super::store::Store;
use super::val::Val;
use super::vm::VMGlobalDefinition;
use crate::environ::val_raw::ValRaw;
use crate::environ::GlobalType;
use anyhow::{bail, Result};
use std::cell::UnsafeCell;
use std::ptr::NonNull;

/// The runtime's record of one global, owned by its store.
pub(crate) struct GlobalData {
    pub(crate) ty: GlobalType,
    /// The value's storage: a `VMContext` field of the defining instance,
    /// or `own` for host-created globals.
    def: *mut VMGlobalDefinition,
    _own: Option<Box<UnsafeCell<VMGlobalDefinition>>>,
}

impl GlobalData {
    /// A global stored at `slot` (a `VMContext` field) or in its own
    /// allocation, holding `init`.
    pub(crate) fn new(
        ty: GlobalType,
        init: ValRaw,
        slot: Option<*mut VMGlobalDefinition>,
    ) -> GlobalData {
        let (own, def) = match slot {
            Some(slot) => (None, slot),
            None => {
                let own = Box::new(UnsafeCell::new(VMGlobalDefinition::default()));
                let ptr = own.get();
                (Some(own), ptr)
            }
        };
        let data = GlobalData { ty, def, _own: own };
        data.set_raw(init);
        data
    }

    pub(crate) fn def_ptr(&self) -> *mut VMGlobalDefinition {
        self.def
    }

    pub(crate) fn get_raw(&self) -> ValRaw {
        // SAFETY: `def` is valid and 16-byte aligned for the global's life;
        // one thread at a time uses the store.
        unsafe { self.def.cast::<ValRaw>().read() }
    }

    pub(crate) fn set_raw(&self, v: ValRaw) {
        // SAFETY: as in `get_raw`.
        unsafe { self.def.cast::<ValRaw>().write(v) }
    }
}

/// A global variable of a store.
#[derive(Clone)]
pub struct Global {
    store: Store,
    data: NonNull<GlobalData>,
}

// SAFETY: the handle keeps the store alive; the store and its objects move
// between threads but are used by one thread at a time.
unsafe impl Send for Global {}

/// Checks that `v` may be stored where a `ty` value goes in `store`.
pub(crate) fn check_val(
    store: &Store,
    v: &Val,
    ty: crate::environ::ValType,
    what: &str,
) -> Result<()> {
    if !v.matches(ty) {
        bail!("{what}: expected a value of type {ty}, got {}", v.ty());
    }
    if !v.belongs_to(store) {
        bail!("{what}: the reference belongs to a different store");
    }
    if let Val::FuncRef(Some(f)) = v {
        f.check_usable_by_wasm()?;
    }
    Ok(())
}

impl Global {
    /// A fresh global of type `ty` holding `init`.
    pub fn new(store: &Store, ty: GlobalType, init: Val) -> Result<Global> {
        check_val(store, &init, ty.content, "global initial value")?;
        let data = store.adopt_global(GlobalData::new(ty, init.to_raw(), None));
        Ok(Global::from_data(store, data))
    }

    pub(crate) fn from_data(store: &Store, data: NonNull<GlobalData>) -> Global {
        Global {
            store: store.clone(),
            data,
        }
    }

    pub(crate) fn data(&self) -> &GlobalData {
        // SAFETY: the store owns the data and `self.store` keeps it alive.
        unsafe { self.data.as_ref() }
    }

    /// The store the global belongs to.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The global's type.
    pub fn ty(&self) -> GlobalType {
        self.data().ty
    }

    /// The current value.
    pub fn get(&self) -> Val {
        let data = self.data();
        // SAFETY: the storage holds a value of the global's type written by
        // this store's code or host calls.
        unsafe { Val::from_raw(&self.store, &data.get_raw(), data.ty.content) }
    }

    /// Sets the value; fails for immutable globals and wrong types.
    pub fn set(&self, v: Val) -> Result<()> {
        let data = self.data();
        if !data.ty.mutable {
            bail!("global.set: the global is immutable");
        }
        check_val(&self.store, &v, data.ty.content, "global.set")?;
        data.set_raw(v.to_raw());
        Ok(())
    }

    /// Whether both handles refer to the same global.
    pub fn same(&self, other: &Global) -> bool {
        self.data == other.data
    }

    /// A hashable identity of the global: equal for two handles exactly
    /// when `same` is true, and stable while any handle of it exists (the
    /// address of its record, which the store owns and never moves).
    pub fn id(&self) -> usize {
        self.data.as_ptr() as usize
    }
}

impl std::fmt::Debug for Global {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Global")
            .field("ty", &self.ty())
            .finish_non_exhaustive()
    }
}
