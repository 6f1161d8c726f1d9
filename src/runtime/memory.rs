//! Linear memories: reservations shaped by a `MemoryPlan`, growth, and the
//! `Memory` handle.
//!
//! Layout of one memory in virtual memory:
//!
//! ```text
//! [ pre-guard | capacity: committed bytes, then reserved | offset guard ]
//!             ^ base
//! ```
//!
//! Everything but the committed prefix is PROT_NONE, so a stray access
//! faults. A static memory's capacity is the full static reservation and
//! its base never moves; a dynamic memory's capacity is its size plus the
//! growth reserve, and growing past it moves the memory to a bigger
//! reservation.

use super::memory_image::MemoryImage;
use super::mmap::{round_up_to_page, Mmap};
use super::pool::{Allocator, MemorySlot, Origin, PooledMemory};
use super::shared_memory::SharedMemory;
use super::store::Store;
use super::vm::VMMemoryDefinition;
use crate::config::Config;
use crate::engine::Engine;
use crate::environ::memory_plan::{MemoryPlan, MemoryStyle};
use crate::environ::MemoryType;
use anyhow::{anyhow, bail, Result};
use std::cell::UnsafeCell;
use std::ptr::NonNull;
use std::sync::Arc;

fn to_usize(n: u64, what: &str) -> Result<usize> {
    usize::try_from(n).map_err(|_| anyhow!("{what} of {n} bytes does not fit the address space"))
}

/// The byte size of a memory of `old_pages` pages of `2^page_size_log2`
/// bytes grown by `delta` pages, or why it cannot grow (past `maximum`
/// bytes, or past the address space).
pub(crate) fn grown_byte_len(
    old_pages: u64,
    delta: u64,
    page_size_log2: u8,
    maximum: u64,
) -> Result<usize> {
    let new_bytes = old_pages
        .checked_add(delta)
        .and_then(|p| p.checked_mul(1u64 << page_size_log2))
        .filter(|b| *b <= maximum)
        .ok_or_else(|| {
            anyhow!(
                "memory cannot grow by {delta} pages from {old_pages}: its maximum is {maximum} bytes"
            )
        })?;
    to_usize(new_bytes, "memory size")
}

/// One linear memory's mapping and size.
pub(crate) struct LinearMemory {
    mapping: Mmap,
    pre_guard: usize,
    offset_guard: usize,
    /// Bytes from `base` the memory can reach without moving.
    capacity: usize,
    /// Bytes from `base` that are readable and writable (page multiple).
    committed: usize,
    /// The wasm-visible size in bytes.
    byte_len: usize,
    /// The most bytes the memory may ever hold.
    maximum: u64,
    page_size_log2: u8,
    /// `Some(extra)` for a dynamic memory: bytes reserved beyond the size
    /// when it moves.
    reserve_for_growth: Option<usize>,
    /// For a static memory, the engine whose slot cache takes the
    /// reservation back when the memory is dropped.
    recycle: Option<Engine>,
}

impl LinearMemory {
    /// Reserves and commits a memory of `plan.ty.minimum` pages that may
    /// never hold more than `byte_limit` bytes.
    #[cfg(test)]
    pub(crate) fn new(plan: &MemoryPlan, byte_limit: u64) -> Result<LinearMemory> {
        Self::new_with_image(plan, byte_limit, None, None).map(|(mem, _)| mem)
    }

    /// Like `new`, but when `image` fits the memory's minimum size, maps
    /// it copy-on-write as the memory's first bytes instead of committing
    /// zero pages there; the flag says whether it did.
    ///
    /// With `engine`, a static memory takes its reservation from the
    /// engine's slot cache when one of its shape is free, and gives it
    /// back when dropped.
    pub(crate) fn new_with_image(
        plan: &MemoryPlan,
        byte_limit: u64,
        image: Option<&MemoryImage>,
        engine: Option<&Engine>,
    ) -> Result<(LinearMemory, bool)> {
        let ty = &plan.ty;
        if ty.page_size_log2 > 16 {
            bail!("memory page size 2^{} is not supported", ty.page_size_log2);
        }
        let maximum = plan.maximum_bytes().min(byte_limit);
        let min_bytes = ty
            .minimum
            .checked_mul(1u64 << ty.page_size_log2)
            .filter(|b| *b <= maximum)
            .ok_or_else(|| {
                anyhow!(
                    "memory minimum of {} pages exceeds the most this memory may hold ({maximum} bytes)",
                    ty.minimum
                )
            })?;
        let min_bytes = to_usize(min_bytes, "memory minimum")?;
        // Guards are whole pages: the engine rounds `memory_guard_size`
        // when it computes its `Tunables`, the only source of plans (and a
        // misaligned one would make `Mmap::commit` fail, not abort).
        let guard = |bytes: u64| to_usize(bytes, "memory guard");
        let pre_guard = guard(plan.pre_guard_size)?;
        let offset_guard = guard(plan.offset_guard_size)?;
        let (capacity, reserve_for_growth) = match plan.style {
            MemoryStyle::Static { reservation } => {
                (to_usize(reservation, "memory reservation")?, None)
            }
            MemoryStyle::Dynamic { reserve_for_growth } => {
                let extra = to_usize(reserve_for_growth, "memory growth reserve")?;
                // No use reserving past what the memory may ever hold.
                let cap = to_usize(maximum.min(u64::MAX / 2), "memory maximum")?;
                (
                    min_bytes.saturating_add(extra).min(cap.max(min_bytes)),
                    Some(extra),
                )
            }
        };
        let recycle = engine.filter(|_| reserve_for_growth.is_none()).cloned();
        let cached = recycle.as_ref().and_then(|e| {
            e.runtime()
                .memory_slots()
                .take((pre_guard, capacity, offset_guard))
        });
        let mapping = match cached {
            Some(mapping) => mapping,
            None => Self::reserve(pre_guard, capacity, offset_guard)?,
        };
        let mut mem = LinearMemory {
            mapping,
            pre_guard,
            offset_guard,
            capacity,
            committed: 0,
            byte_len: 0,
            maximum,
            page_size_log2: ty.page_size_log2,
            reserve_for_growth,
            recycle,
        };
        let image = image.filter(|image| round_up_to_page(min_bytes) >= Some(image.len()));
        if let Some(image) = image {
            // SAFETY: `[base, base + image.len())` is page aligned (the
            // pre-guard and the image length are page multiples), inside
            // the fresh reservation (the image fits the committed minimum,
            // which fits the capacity), and nothing refers to it yet.
            unsafe { image.map_at(mem.base())? };
            mem.committed = image.len();
        }
        mem.commit_to(min_bytes)?;
        mem.byte_len = min_bytes;
        Ok((mem, image.is_some()))
    }

    fn reserve(pre_guard: usize, capacity: usize, offset_guard: usize) -> Result<Mmap> {
        let capacity = round_up_to_page(capacity)
            .ok_or_else(|| anyhow!("memory reservation of {capacity} bytes overflows"))?;
        let total = pre_guard
            .checked_add(capacity)
            .and_then(|n| n.checked_add(offset_guard))
            .ok_or_else(|| anyhow!("memory reservation with guards overflows the address space"))?;
        Mmap::reserve(total)
    }

    /// Commits memory up to `bytes` from the base.
    fn commit_to(&mut self, bytes: usize) -> Result<()> {
        let target = round_up_to_page(bytes).ok_or_else(|| anyhow!("memory size overflows"))?;
        if target > self.committed {
            self.mapping
                .commit(self.pre_guard + self.committed, target - self.committed)?;
            self.committed = target;
        }
        Ok(())
    }

    pub(crate) fn base(&self) -> *mut u8 {
        // SAFETY: `pre_guard` is inside the mapping by construction.
        unsafe { self.mapping.as_ptr().add(self.pre_guard) }
    }

    pub(crate) fn byte_len(&self) -> usize {
        self.byte_len
    }

    pub(crate) fn pages(&self) -> u64 {
        (self.byte_len >> self.page_size_log2) as u64
    }

    /// Grows by `delta` pages; returns the old size in pages, or an error
    /// saying why the memory cannot grow (the caller decides whether that
    /// is -1 for wasm or an error for the host).
    pub(crate) fn grow(&mut self, delta: u64) -> Result<u64> {
        let old_pages = self.pages();
        let new_bytes = grown_byte_len(old_pages, delta, self.page_size_log2, self.maximum)?;
        if new_bytes > self.capacity {
            let Some(extra) = self.reserve_for_growth else {
                bail!(
                    "memory cannot grow by {delta} pages from {old_pages}: past its static reservation of {} bytes",
                    self.capacity
                );
            };
            self.move_to_capacity(
                new_bytes.saturating_add(extra).min(
                    to_usize(self.maximum.min(u64::MAX / 2), "memory maximum")?.max(new_bytes),
                ),
            )?;
        }
        self.commit_to(new_bytes)?;
        self.byte_len = new_bytes;
        Ok(old_pages)
    }

    /// Moves a dynamic memory to a fresh reservation of `capacity` bytes.
    fn move_to_capacity(&mut self, capacity: usize) -> Result<()> {
        let mapping = Self::reserve(self.pre_guard, capacity, self.offset_guard)?;
        let committed = round_up_to_page(self.byte_len).unwrap_or(self.committed);
        mapping.commit(self.pre_guard, committed)?;
        // SAFETY: both ranges are committed, `byte_len` bytes long, and in
        // different mappings.
        unsafe {
            std::ptr::copy_nonoverlapping(
                self.base(),
                mapping.as_ptr().add(self.pre_guard),
                self.byte_len,
            );
        }
        self.mapping = mapping;
        self.capacity = capacity;
        self.committed = committed;
        Ok(())
    }
}

impl Drop for LinearMemory {
    fn drop(&mut self) {
        if let Some(engine) = self.recycle.take() {
            let mapping = std::mem::replace(&mut self.mapping, Mmap::empty());
            let shape = (self.pre_guard, self.capacity, self.offset_guard);
            engine
                .runtime()
                .memory_slots()
                .give(shape, mapping, self.committed);
        }
    }
}

/// An embedder's memory (`with_host_memory`) with the wasm-side facts
/// the runtime keeps for it.
struct HostMemory {
    memory: Box<dyn crate::config::LinearMemory>,
    page_size_log2: u8,
    maximum: u64,
    /// Static memories must never move: growth stays within the capacity.
    is_static: bool,
}

impl HostMemory {
    fn new(config: &Config, plan: &MemoryPlan, byte_limit: u64) -> Result<Option<HostMemory>> {
        let Some(creator) = config.with_host_memory() else {
            return Ok(None);
        };
        let page_size = 1u64 << plan.ty.page_size_log2;
        let maximum = plan.maximum_bytes().min(byte_limit);
        let minimum = plan
            .ty
            .minimum
            .checked_mul(page_size)
            .filter(|b| *b <= maximum)
            .ok_or_else(|| {
                anyhow!(
                    "memory minimum of {} pages exceeds its maximum",
                    plan.ty.minimum
                )
            })?;
        let reserved = match plan.style {
            MemoryStyle::Static { reservation } => {
                Some(to_usize(reservation, "memory reservation")?)
            }
            MemoryStyle::Dynamic { .. } => None,
        };
        let memory = creator
            .new_memory(
                to_usize(minimum, "memory minimum")?,
                plan.ty
                    .maximum
                    .map(|_| maximum)
                    .map(|m| usize::try_from(m).unwrap_or(usize::MAX)),
                reserved,
                to_usize(plan.offset_guard_size, "memory guard")?,
            )
            .map_err(|e| anyhow!("with_host_memory: the memory creator failed: {e:#}"))?;
        if memory.byte_size() < minimum as usize {
            bail!(
                "with_host_memory: the memory creator returned {} bytes, {minimum} were asked for",
                memory.byte_size()
            );
        }
        if let Some(reserved) = reserved {
            if memory.byte_capacity() < reserved {
                bail!(
                    "with_host_memory: the memory creator returned a capacity of {} bytes, the static reservation needs {reserved}",
                    memory.byte_capacity()
                );
            }
        }
        Ok(Some(HostMemory {
            memory,
            page_size_log2: plan.ty.page_size_log2,
            maximum,
            is_static: reserved.is_some(),
        }))
    }

    fn pages(&self) -> u64 {
        (self.memory.byte_size() >> self.page_size_log2) as u64
    }

    fn grow(&mut self, delta: u64) -> Result<u64> {
        let old_pages = self.pages();
        let new_bytes = grown_byte_len(old_pages, delta, self.page_size_log2, self.maximum)?;
        if self.is_static && new_bytes > self.memory.byte_capacity() {
            bail!(
                "memory cannot grow by {delta} pages from {old_pages}: past its static reservation of {} bytes",
                self.memory.byte_capacity()
            );
        }
        if new_bytes > self.memory.byte_size() {
            self.memory.grow_to(new_bytes)?;
        }
        Ok(old_pages)
    }
}

/// Where a memory's bytes live.
enum Storage {
    Mmap(LinearMemory),
    /// A slot of the pooling allocator's memory reservation.
    Pooled(PooledMemory),
    Host(HostMemory),
    /// A shared memory (threads): the bytes and the definition belong to
    /// the `SharedMemory`, which other stores may use at the same time.
    Shared(SharedMemory),
}

impl Storage {
    fn base(&self) -> *mut u8 {
        match self {
            Storage::Mmap(m) => m.base(),
            Storage::Pooled(m) => m.base(),
            Storage::Host(h) => h.memory.as_ptr(),
            Storage::Shared(s) => s.data_ptr(),
        }
    }

    fn byte_len(&self) -> usize {
        match self {
            Storage::Mmap(m) => m.byte_len(),
            Storage::Pooled(m) => m.byte_len(),
            Storage::Host(h) => h.memory.byte_size(),
            Storage::Shared(s) => s.data_size(),
        }
    }

    fn pages(&self) -> u64 {
        match self {
            Storage::Mmap(m) => m.pages(),
            Storage::Pooled(m) => m.pages(),
            Storage::Host(h) => h.pages(),
            Storage::Shared(s) => s.size(),
        }
    }

    fn grow(&mut self, delta: u64) -> Result<u64> {
        match self {
            Storage::Mmap(m) => m.grow(delta),
            Storage::Pooled(m) => m.grow(delta),
            Storage::Host(h) => h.grow(delta),
            Storage::Shared(s) => s.grow(delta),
        }
    }
}

/// The runtime's record of one memory, owned by its store.
pub(crate) struct MemoryData {
    pub(crate) plan: MemoryPlan,
    storage: UnsafeCell<Storage>,
    /// Where compiled code reads the base and length: inside the defining
    /// instance's `VMContext`, `own_def` for host-created memories, or the
    /// shared memory's own definition.
    def: *mut VMMemoryDefinition,
    _own_def: Option<Box<UnsafeCell<VMMemoryDefinition>>>,
}

impl MemoryData {
    /// A memory the host creates on its own (`Memory::new`), laid out per
    /// `plan`, publishing its definition in its own allocation. It is
    /// allocated on demand whatever the strategy (no pooling slot, no pool
    /// limits), by the embedder's memory creator when the config has one.
    pub(crate) fn new_for_host(engine: &Engine, plan: MemoryPlan) -> Result<MemoryData> {
        Self::create(engine, Origin::Host, plan, None, None, None).map(|(data, _)| data)
    }

    /// A memory an instance defines, laid out per `plan`, publishing its
    /// definition at `slot` (a field of the instance's `VMContext`). A
    /// pooling engine's instantiation passes the `pool_slot` it reserved
    /// (for every non-shared memory), which the memory then lives in (never
    /// from the embedder's memory creator); else it is made on demand (by
    /// the creator when the config has one).
    ///
    /// The memory gets the initial contents `image` (mapped copy-on-write)
    /// when it can; the flag says whether it did. When not (an embedder's
    /// memory, or an image larger than the minimum), the caller applies the
    /// data segments itself.
    pub(crate) fn new_for_instance(
        engine: &Engine,
        plan: MemoryPlan,
        slot: *mut VMMemoryDefinition,
        image: Option<&Arc<MemoryImage>>,
        pool_slot: Option<MemorySlot>,
    ) -> Result<(MemoryData, bool)> {
        Self::create(engine, Origin::Instance, plan, Some(slot), image, pool_slot)
    }

    fn create(
        engine: &Engine,
        origin: Origin,
        plan: MemoryPlan,
        slot: Option<*mut VMMemoryDefinition>,
        image: Option<&Arc<MemoryImage>>,
        pool_slot: Option<MemorySlot>,
    ) -> Result<(MemoryData, bool)> {
        if plan.ty.shared {
            // Shared memories are made on demand whatever the allocation
            // strategy (a pool slot belongs to one instance's life, a
            // shared memory outlives it) and never by the embedder's
            // memory creator (which cannot promise that nothing moves).
            let (shared, from_image) = SharedMemory::with_plan(engine, plan, image.map(|i| &**i))?;
            let data = MemoryData::from_shared(shared);
            if let Some(slot) = slot {
                // SAFETY: the slot is the `VMContext` field the caller
                // reserved for this memory; a defined shared memory's
                // slot holds the address of the shared definition (see
                // `VMOffsets::defined_memory`), which outlives the
                // instance because the store keeps `data`.
                unsafe { slot.cast::<*mut VMMemoryDefinition>().write(data.def) };
            }
            return Ok((data, from_image));
        }
        let allocator = Allocator::of(engine, origin);
        let byte_limit = allocator.memory_byte_limit();
        // As in the reference, the embedder's creator serves the memories
        // allocated on demand; a pooled memory belongs to the pool.
        let (storage, from_image) = match (allocator, pool_slot) {
            (Allocator::Pooling(_), Some(pool_slot)) => {
                let (mem, from_image) = PooledMemory::new(pool_slot, &plan, byte_limit, image)?;
                (Storage::Pooled(mem), from_image)
            }
            (Allocator::Pooling(_), None) => {
                bail!("internal error: a pooled instance memory without a slot")
            }
            (Allocator::OnDemand, _) => {
                match HostMemory::new(engine.config(), &plan, byte_limit)? {
                    Some(host) => (Storage::Host(host), false),
                    None => {
                        let (mem, from_image) = LinearMemory::new_with_image(
                            &plan,
                            byte_limit,
                            image.map(|i| &**i),
                            Some(engine),
                        )?;
                        (Storage::Mmap(mem), from_image)
                    }
                }
            }
        };
        let def = VMMemoryDefinition {
            base: storage.base(),
            current_length: storage.byte_len(),
        };
        let (own_def, ptr) = match slot {
            Some(slot) => (None, slot),
            None => {
                let own = Box::new(UnsafeCell::new(def));
                let ptr = own.get();
                (Some(own), ptr)
            }
        };
        // SAFETY: `ptr` is either our own box or a `VMContext` field the
        // caller reserved for this memory.
        unsafe { ptr.write(def) };
        Ok((
            MemoryData {
                plan,
                storage: UnsafeCell::new(storage),
                def: ptr,
                _own_def: own_def,
            },
            from_image,
        ))
    }

    /// A store's record of the shared memory `shared` (for an import,
    /// or an instance's defined shared memory).
    pub(crate) fn from_shared(shared: SharedMemory) -> MemoryData {
        MemoryData {
            plan: *shared.plan(),
            def: shared.def_ptr(),
            storage: UnsafeCell::new(Storage::Shared(shared)),
            _own_def: None,
        }
    }

    /// The shared memory this record stands for, if it is one.
    pub(crate) fn shared(&self) -> Option<&SharedMemory> {
        match self.storage() {
            Storage::Shared(s) => Some(s),
            _ => None,
        }
    }

    /// The definition compiled code reads (imported memories point here).
    pub(crate) fn def_ptr(&self) -> *mut VMMemoryDefinition {
        self.def
    }

    fn storage(&self) -> &Storage {
        // SAFETY: the store is used by one thread at a time and no `&mut`
        // to the storage outlives a `grow` call.
        unsafe { &*self.storage.get() }
    }

    pub(crate) fn base(&self) -> *mut u8 {
        self.storage().base()
    }

    pub(crate) fn byte_len(&self) -> usize {
        self.storage().byte_len()
    }

    pub(crate) fn pages(&self) -> u64 {
        self.storage().pages()
    }

    /// The memory's type with its current size as the minimum.
    pub(crate) fn ty(&self) -> MemoryType {
        MemoryType {
            minimum: self.pages(),
            ..self.plan.ty
        }
    }

    /// Grows by `delta` pages and republishes base and length.
    pub(crate) fn grow(&self, delta: u64) -> Result<u64> {
        // SAFETY: one thread at a time uses the store; this is the only
        // live reference into the storage during the call.
        let storage = unsafe { &mut *self.storage.get() };
        let old = storage.grow(delta)?;
        if let Storage::Shared(_) = storage {
            // The shared memory published its new length itself.
            return Ok(old);
        }
        // SAFETY: `def` is valid for the memory's life (see `new`).
        unsafe {
            self.def.write(VMMemoryDefinition {
                base: storage.base(),
                current_length: storage.byte_len(),
            })
        };
        Ok(old)
    }

    /// The bytes `[offset, offset + len)` of the memory, when in bounds.
    pub(crate) fn checked_range(&self, offset: u64, len: u64) -> Option<*mut u8> {
        let end = offset.checked_add(len)?;
        if end > self.byte_len() as u64 {
            return None;
        }
        // SAFETY: `offset <= byte_len`, inside the accessible region.
        Some(unsafe { self.base().add(offset as usize) })
    }
}

/// Whether the host may make a memory of type `ty` with `engine`
/// (`Memory::new`, `SharedMemory::new`): a valid type (`MemoryType::check`)
/// whose proposals the engine enables.
pub(crate) fn check_host_memory_type(engine: &Engine, ty: &MemoryType) -> Result<()> {
    let config = engine.config();
    if ty.shared && !config.wasm_threads() {
        bail!("a shared memory needs the threads proposal: wasm_threads is off");
    }
    if ty.memory64 && !config.wasm_memory64() {
        bail!("a 64-bit memory needs the memory64 proposal: wasm_memory64 is off");
    }
    ty.check().map_err(anyhow::Error::msg)
}

/// A linear memory of a store.
#[derive(Clone)]
pub struct Memory {
    store: Store,
    data: NonNull<MemoryData>,
}

// SAFETY: the handle keeps the store's data alive; the store and its
// objects move between threads but are used by one thread at a time.
unsafe impl Send for Memory {}

impl Memory {
    /// A fresh memory of type `ty`, laid out per the engine's settings.
    pub fn new(store: &Store, ty: MemoryType) -> Result<Memory> {
        check_host_memory_type(store.engine(), &ty)?;
        store.check_new_objects(0, &[ty], &[])?;
        let plan = MemoryPlan::new(&store.engine().tunables().memory, &ty);
        let data = MemoryData::new_for_host(store.engine(), plan)?;
        Ok(Memory::from_data(store, store.adopt_memory(data)))
    }

    pub(crate) fn from_data(store: &Store, data: NonNull<MemoryData>) -> Memory {
        Memory {
            store: store.clone(),
            data,
        }
    }

    pub(crate) fn data(&self) -> &MemoryData {
        // SAFETY: the store owns the data and `self.store` keeps it alive.
        unsafe { self.data.as_ref() }
    }

    pub(crate) fn data_ptr_raw(&self) -> NonNull<MemoryData> {
        self.data
    }

    /// The store the memory belongs to.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The memory's type, with its current size as the minimum.
    pub fn ty(&self) -> MemoryType {
        self.data().ty()
    }

    /// The current base address (moves on growth for dynamic memories).
    pub fn data_ptr(&self) -> *mut u8 {
        self.data().base()
    }

    /// The current size in bytes.
    pub fn data_size(&self) -> usize {
        self.data().byte_len()
    }

    /// The current size in pages.
    pub fn size(&self) -> u64 {
        self.data().pages()
    }

    /// Grows by `delta` pages; returns the old size in pages.
    pub fn grow(&self, delta: u64) -> Result<u64> {
        self.store.grow_memory(self.data(), delta)
    }

    /// Whether both handles refer to the same memory (for shared
    /// memories: the same shared memory, whichever store's handle).
    pub fn same(&self, other: &Memory) -> bool {
        self.id() == other.id()
    }

    /// A hashable identity of the memory: equal for two handles exactly
    /// when `same` is true, and stable while any handle of it exists (the
    /// address of its definition, which never moves while the memory lives).
    pub fn id(&self) -> usize {
        self.data().def_ptr() as usize
    }

    /// The shared memory behind this handle, when the memory is shared:
    /// a handle other stores of the same engine can import.
    pub fn as_shared(&self) -> Option<SharedMemory> {
        self.data().shared().cloned()
    }
}

impl std::fmt::Debug for Memory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Memory")
            .field("pages", &self.size())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::environ::MemorySettings;

    fn settings() -> MemorySettings {
        MemorySettings::default()
    }

    #[test]
    fn static_memory_is_committed_to_its_minimum_and_grows_in_place() {
        let plan = MemoryPlan::new(&settings(), &MemoryType::new(1, Some(3)));
        let mut mem = LinearMemory::new(&plan, u64::MAX).unwrap();
        let base = mem.base();
        assert_eq!(mem.byte_len(), 65536);
        // SAFETY: the first page is committed.
        unsafe {
            base.write(7);
            base.add(65535).write(9);
        }
        assert_eq!(mem.grow(2).unwrap(), 1);
        assert_eq!(mem.base(), base);
        assert_eq!(mem.pages(), 3);
        // SAFETY: three pages are committed now.
        unsafe {
            assert_eq!(base.read(), 7);
            base.add(3 * 65536 - 1).write(1);
        }
        assert!(mem.grow(1).is_err(), "past the type's maximum");
        assert_eq!(mem.grow(0).unwrap(), 3);
    }

    #[test]
    fn dynamic_memory_moves_and_keeps_contents() {
        let s = MemorySettings {
            static_memory_maximum_size: 0,
            dynamic_memory_reserved_for_growth: 0,
            ..settings()
        };
        let plan = MemoryPlan::new(&s, &MemoryType::new(1, None));
        let mut mem = LinearMemory::new(&plan, u64::MAX).unwrap();
        // SAFETY: the first page is committed.
        unsafe { mem.base().add(100).write(42) };
        assert_eq!(mem.grow(1).unwrap(), 1);
        // SAFETY: two pages are committed.
        unsafe {
            assert_eq!(mem.base().add(100).read(), 42);
            mem.base().add(2 * 65536 - 1).write(1);
        }
    }

    #[test]
    fn static_memory_cannot_grow_past_its_reservation() {
        let s = MemorySettings {
            static_memory_maximum_size: 1 << 20,
            static_memory_forced: true,
            ..settings()
        };
        let plan = MemoryPlan::new(&s, &MemoryType::new(0, None));
        let mut mem = LinearMemory::new(&plan, u64::MAX).unwrap();
        assert_eq!(mem.grow(16).unwrap(), 0);
        let err = mem.grow(1).unwrap_err().to_string();
        assert!(err.contains("maximum"), "{err}");
    }

    #[test]
    fn a_reused_reservation_reads_zero_where_the_last_memory_wrote() {
        let engine = Engine::default();
        let plan = MemoryPlan::new(&settings(), &MemoryType::new(1, Some(4)));
        let new = || {
            LinearMemory::new_with_image(&plan, u64::MAX, None, Some(&engine))
                .unwrap()
                .0
        };
        let mut first = new();
        first.grow(3).unwrap();
        let base = first.base();
        // SAFETY: four pages are committed.
        unsafe { std::ptr::write_bytes(base, 0xEE, 4 * 65536) };
        drop(first);
        let mut second = new();
        assert_eq!(second.base(), base, "the reservation was reused");
        assert_eq!(second.pages(), 1);
        assert_eq!(second.committed, 65536, "only the minimum is committed");
        second.grow(3).unwrap();
        // SAFETY: four pages are committed again.
        let bytes = unsafe { std::slice::from_raw_parts(base, 4 * 65536) };
        assert!(
            bytes.iter().all(|b| *b == 0),
            "dirtied and grown pages read zero"
        );
    }

    #[test]
    fn minimum_above_maximum_is_refused() {
        let s = MemorySettings {
            static_memory_maximum_size: 1 << 16,
            static_memory_forced: true,
            ..settings()
        };
        let plan = MemoryPlan::new(&s, &MemoryType::new(2, None));
        assert!(LinearMemory::new(&plan, u64::MAX).is_err());
    }
}
