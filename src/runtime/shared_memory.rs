//! Shared linear memories (threads proposal): one memory that instances in
//! several stores, on several host threads, use at once.
//!
//! A shared memory is owned by no store. Its bytes, its growth lock and
//! its `VMMemoryDefinition` live in one reference-counted allocation, and
//! every store that imports it (or whose instance defines it) holds a
//! clone. Invariants:
//!
//! - the base never changes: the plan is always static and the
//!   reservation covers the memory's maximum (see `MemoryPlan::new`), so
//!   no thread ever sees the bytes move;
//! - the length only grows, under `grow_lock`, and is published with a
//!   release store into the definition that compiled code reads; readers
//!   that see a length also see the committed pages beneath it;
//! - every instance reads the one definition: importers get its address,
//!   and an instance that defines a shared memory stores the address in
//!   its `VMContext` slot instead of an inline copy (see
//!   `vmoffsets::VMOffsets::defined_memory`), so growth by one thread is
//!   visible to all.

use super::memory::LinearMemory;
use super::memory_image::MemoryImage;
use super::vm::VMMemoryDefinition;
use crate::engine::Engine;
use crate::environ::memory_plan::MemoryPlan;
use crate::environ::MemoryType;
use anyhow::{bail, Result};
use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// A shared linear memory. Cloning gives another handle to the same
/// memory; the memory lives until the last handle, and the last store
/// using it, is gone.
#[derive(Clone)]
pub struct SharedMemory {
    inner: Arc<SharedInner>,
}

struct SharedInner {
    engine: Engine,
    plan: MemoryPlan,
    /// The mapping; locked for growth, which is the only mutation.
    grow_lock: Mutex<LinearMemory>,
    /// What compiled code reads. `base` is written once, before any
    /// handle exists; `current_length` only through `AtomicUsize`.
    def: Box<UnsafeCell<VMMemoryDefinition>>,
}

// SAFETY: the mapping is only mutated under `grow_lock`; the definition's
// base never changes after construction and its length is only accessed
// atomically; the memory's bytes are wasm shared memory, which the
// threads proposal lets any thread read and write (races there are the
// program's, and cannot break the runtime's own invariants).
unsafe impl Send for SharedInner {}
// SAFETY: as above.
unsafe impl Sync for SharedInner {}

impl SharedMemory {
    /// A shared memory of type `ty` (which must be shared and have a
    /// maximum), laid out per `engine`'s memory settings.
    pub fn new(engine: &Engine, ty: MemoryType) -> Result<SharedMemory> {
        if !ty.shared {
            bail!("a shared memory needs a shared memory type");
        }
        super::memory::check_host_memory_type(engine, &ty)?;
        let plan = MemoryPlan::new(&engine.tunables().memory, &ty);
        Self::with_plan(engine, plan, None).map(|(memory, _)| memory)
    }

    /// A shared memory laid out per `plan` (an instance's defined memory,
    /// or `new`), with the initial contents `image` when it fits the
    /// minimum; the flag says whether it was used.
    pub(crate) fn with_plan(
        engine: &Engine,
        plan: MemoryPlan,
        image: Option<&MemoryImage>,
    ) -> Result<(SharedMemory, bool)> {
        if !plan.is_static() {
            bail!("internal: a shared memory's plan must be static");
        }
        let (memory, from_image) =
            LinearMemory::new_with_image(&plan, u64::MAX, image, Some(engine))?;
        let def = Box::new(UnsafeCell::new(VMMemoryDefinition {
            base: memory.base(),
            current_length: memory.byte_len(),
        }));
        Ok((
            SharedMemory {
                inner: Arc::new(SharedInner {
                    engine: engine.clone(),
                    plan,
                    grow_lock: Mutex::new(memory),
                    def,
                }),
            },
            from_image,
        ))
    }

    /// The engine the memory was created with; only its stores may use it.
    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    pub(crate) fn plan(&self) -> &MemoryPlan {
        &self.inner.plan
    }

    /// The definition compiled code reads; stable for the memory's life.
    pub(crate) fn def_ptr(&self) -> *mut VMMemoryDefinition {
        self.inner.def.get()
    }

    fn length(&self) -> &AtomicUsize {
        // SAFETY: the field is a properly aligned `usize` that lives as
        // long as `self`, and every access to it goes through an atomic
        // (compiled code's plain 8-byte aligned load is atomic on every
        // supported target).
        unsafe { AtomicUsize::from_ptr(std::ptr::addr_of_mut!((*self.def_ptr()).current_length)) }
    }

    /// The memory's first byte; never changes.
    pub fn data_ptr(&self) -> *mut u8 {
        // SAFETY: `base` is written before any handle exists and never again.
        unsafe { (*self.def_ptr()).base }
    }

    /// The current size in bytes (it may grow right after, never shrink).
    pub fn data_size(&self) -> usize {
        self.length().load(Ordering::Acquire)
    }

    /// The current size in pages.
    pub fn size(&self) -> u64 {
        (self.data_size() >> self.inner.plan.ty.page_size_log2) as u64
    }

    /// The memory's type, with its current size as the minimum.
    pub fn ty(&self) -> MemoryType {
        MemoryType {
            minimum: self.size(),
            ..self.inner.plan.ty
        }
    }

    /// Grows by `delta` pages, atomically with respect to every other
    /// thread's growth; returns the old size in pages.
    pub fn grow(&self, delta: u64) -> Result<u64> {
        let mut memory = self
            .inner
            .grow_lock
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let old = memory.grow(delta)?;
        debug_assert_eq!(memory.base(), self.data_ptr(), "a shared memory moved");
        self.length().store(memory.byte_len(), Ordering::Release);
        Ok(old)
    }

    /// Whether both handles refer to the same memory.
    pub fn same(&self, other: &SharedMemory) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}

impl std::fmt::Debug for SharedMemory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedMemory")
            .field("pages", &self.size())
            .finish_non_exhaustive()
    }
}

impl SharedMemory {
    /// This memory as a `Memory` of `store`, to pass as an import or to
    /// read and grow through the store's API. The store must belong to
    /// the memory's engine (their code agrees on the memory's layout).
    pub fn to_memory(&self, store: &super::Store) -> Result<super::Memory> {
        if !store.engine().same(self.engine()) {
            bail!("the shared memory was created by a different engine than the store's");
        }
        let data = super::memory::MemoryData::from_shared(self.clone());
        Ok(super::Memory::from_data(store, store.adopt_memory(data)))
    }
}
