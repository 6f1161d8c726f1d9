//! `wasm_store_t`, and the C-side state every handle of a store's objects
//! shares.

use std::collections::HashMap;
use std::ffi::c_void;
use std::mem::ManuallyDrop;
use std::sync::{Arc, Mutex, Weak};

use crate::capi::engine::wasm_engine_t;
use crate::capi::panic_guard;
use crate::capi::r#ref::{lock, new_externref_payload, HostInfo, ObjectId, RefKind};
use crate::runtime::{ExternRef, Store};

/// A store: the objects of one "thread" of wasm execution. Owned by the
/// caller; deleting it while handles of its objects remain is safe.
pub struct wasm_store_t {
    pub(crate) ctx: Arc<StoreContext>,
}

/// What the C API keeps per store besides the runtime store: host info of
/// the store's objects and the objects that crossed into wasm as
/// `externref`s.
///
/// Shared (`Arc`) by the `wasm_store_t` and every handle of its objects,
/// and never referenced from the runtime store's own data (host functions
/// and `externref` payloads hold it weakly), so there is no cycle: it is
/// dropped, running the host info finalizers, once the C store and the
/// last handle of its objects are gone.
pub(crate) struct StoreContext {
    /// Dropped by hand (see `Drop`), so that a panic in the store's
    /// teardown stays inside the library.
    pub(crate) store: ManuallyDrop<Store>,
    objects: Mutex<Registry>,
}

/// The objects a store state knows, in registration order (an `externref`
/// payload names its object by index). Only objects given host info or
/// passed as `externref` are registered.
#[derive(Default)]
struct Registry {
    entries: Vec<Registered>,
    /// The index of each object's entry, so finding an object is O(1).
    by_id: HashMap<ObjectId, usize>,
}

impl Registry {
    /// The index of `object`'s entry, if it has one.
    fn find(&self, object: &RefKind) -> Option<usize> {
        self.by_id.get(&object.id()).copied()
    }

    /// The index of `object`'s entry, made if missing.
    fn find_or_insert(&mut self, object: &RefKind) -> usize {
        let next = self.entries.len();
        let i = *self.by_id.entry(object.id()).or_insert(next);
        if i == next {
            self.entries.push(Registered {
                object: Some(object.clone()),
                host_info: None,
                externref: None,
            });
        }
        i
    }
}

/// An object the store state knows: its host info and the `externref`
/// standing for it in wasm. The entry keeps the object alive as long as
/// wasm might hand it back: while the `externref` lives (the collector
/// drops its payload, `CRefPayload`, once nothing reaches it, which lets a
/// foreign object or module go) and, for store objects, as long as the
/// store state.
struct Registered {
    /// `None` once released (the index stays, other entries keep theirs).
    object: Option<RefKind>,
    host_info: Option<HostInfo>,
    /// The word of the `externref` standing for the object in this store:
    /// not a root (a handle would keep it alive for ever), valid until its
    /// payload's drop clears it.
    externref: Option<usize>,
}

impl StoreContext {
    // The store is `Send` but not `Sync`, so Rust would not move this `Arc`
    // between threads; C hosts do, one thread at a time as wasm.h requires,
    // and atomic counts keep handle copies and deletes right across such a
    // hand-off, which `Rc` would not.
    #[allow(clippy::arc_with_non_send_sync)]
    pub(crate) fn new(store: Store) -> Arc<StoreContext> {
        let ctx = Arc::new(StoreContext {
            store: ManuallyDrop::new(store),
            objects: Mutex::new(Registry::default()),
        });
        ctx.store.set_data(Some(Box::new(StoreSlot {
            ctx: Arc::downgrade(&ctx),
            data: None,
        })));
        ctx
    }

    /// Runs `f` on the C side's record in the runtime store's data slot.
    pub(crate) fn with_slot<R>(&self, f: impl FnOnce(&mut StoreSlot) -> R) -> Option<R> {
        self.store
            .with_data(|data| data.and_then(|d| d.downcast_mut::<StoreSlot>()).map(f))
    }

    /// The host info of a store-owned object, or NULL.
    pub(crate) fn host_info(&self, object: &RefKind) -> *mut c_void {
        let objects = lock(&self.objects);
        objects
            .find(object)
            .and_then(|i| objects.entries[i].host_info.as_ref())
            .map_or(std::ptr::null_mut(), HostInfo::data)
    }

    /// Attaches host info to a store-owned object; returns the info it
    /// replaces, for the caller to finalize once the lock is released.
    pub(crate) fn set_host_info(&self, object: &RefKind, info: HostInfo) -> Option<HostInfo> {
        let mut objects = lock(&self.objects);
        let i = objects.find_or_insert(object);
        objects.entries[i].host_info.replace(info)
    }

    /// The object registered at `index`.
    pub(crate) fn registered_object(&self, index: usize) -> Option<RefKind> {
        lock(&self.objects)
            .entries
            .get(index)
            .and_then(|e| e.object.clone())
    }

    /// The `externref` standing for `object` (whose handles carry `self`)
    /// in the store of `target`. Within one store the same object always
    /// gets the same `externref`.
    pub(crate) fn externref_for(
        self: &Arc<Self>,
        object: &RefKind,
        target: &StoreContext,
    ) -> ExternRef {
        let same_store = self.store.same(&target.store);
        let i = {
            let mut objects = lock(&self.objects);
            let i = objects.find_or_insert(object);
            if same_store {
                if let Some(word) = objects.entries[i].externref {
                    // SAFETY: the word is a live externref of this store:
                    // its payload clears it before the value is freed.
                    return unsafe { ExternRef::from_raw(&self.store, word as *mut u8) }
                        .expect("a registered externref is not null");
                }
            }
            i
        };
        // Without the lock: making a host value may run a collection,
        // which drops dead payloads (`release_externref` locks).
        let e = ExternRef::new(&target.store, new_externref_payload(self, i, same_store));
        if same_store {
            lock(&self.objects).entries[i].externref = Some(e.as_raw() as usize);
        }
        e
    }

    /// The externref of entry `index` in this store was collected: forget
    /// it, and let go of the object if nothing else keeps the entry (a
    /// foreign object or module without host info here: store objects
    /// live as long as the store anyway).
    pub(crate) fn release_externref(&self, index: usize) {
        let released = {
            let mut objects = lock(&self.objects);
            let Some(entry) = objects.entries.get_mut(index) else {
                return;
            };
            entry.externref = None;
            let releasable = entry.host_info.is_none()
                && matches!(entry.object, Some(RefKind::Foreign(_) | RefKind::Module(_)));
            if !releasable {
                return;
            }
            let object = entry.object.take();
            if let Some(o) = &object {
                let id = o.id();
                objects.by_id.remove(&id);
            }
            object
        };
        // The object's last handle may go here (its finalizer runs), with
        // no lock held.
        drop(released);
    }
}

/// What the C API keeps in the runtime store's data slot: the way back from
/// a runtime store to its C state (for host functions a linker defines for
/// every store), and the host's store data (`wasm_store_set_data`), whose
/// finalizer runs when the runtime store goes, once nothing can call into
/// it any more.
pub(crate) struct StoreSlot {
    ctx: Weak<StoreContext>,
    pub(crate) data: Option<HostInfo>,
}

// SAFETY: the slot lives in the runtime store and is used only by the
// thread using that store (the wasm.h contract); the weak count is atomic,
// and the host's data is handed back to C on that thread.
unsafe impl Send for StoreSlot {}

/// The C state of a runtime store made by `wasm_store_new`, if it still
/// exists.
pub(crate) fn ctx_of(store: &Store) -> Option<Arc<StoreContext>> {
    store.with_data(|data| {
        data.and_then(|d| d.downcast_ref::<StoreSlot>())
            .and_then(|slot| slot.ctx.upgrade())
    })
}

impl Drop for StoreContext {
    fn drop(&mut self) {
        // Finalize host info before the objects go, so a finalizer still
        // sees its object alive; no lock is held (a finalizer may call back
        // into the API).
        let objects = std::mem::take(self.objects.get_mut().unwrap_or_else(|p| p.into_inner()));
        // Whichever handle's delete drops the last reference runs this, so
        // nothing here may unwind into C: a panic while tearing the store
        // down (an embedder's Rust memory, say) leaks what is left of it.
        panic_guard::or_failure((), || {
            for mut entry in objects.entries {
                drop(entry.host_info.take());
            }
            // SAFETY: `store` is never used again: this is the drop of its
            // owner.
            unsafe { ManuallyDrop::drop(&mut self.store) };
        });
    }
}

/// Returns a new store for `engine`, owned by the caller; NULL if `engine`
/// is NULL.
///
/// # Safety
/// `engine` must be NULL or a live engine.
#[no_mangle]
pub unsafe extern "C" fn wasm_store_new(engine: *mut wasm_engine_t) -> Option<Box<wasm_store_t>> {
    // SAFETY: NULL or a live engine (wasm.h contract); borrowed shared, as
    // other threads may use the engine at the same time.
    let engine = unsafe { engine.as_ref() }?;
    panic_guard::or_failure(None, || {
        Some(Box::new(wasm_store_t {
            ctx: StoreContext::new(Store::new(&engine.engine)),
        }))
    })
}

/// Frees a store. Its objects stay valid while handles of them remain;
/// host info finalizers of its objects run once the last of those is
/// deleted too. NULL is ignored.
#[no_mangle]
pub extern "C" fn wasm_store_delete(store: Option<Box<wasm_store_t>>) {
    // Tearing the store down is guarded where it happens, in
    // `StoreContext`'s drop (any last handle may run it).
    drop(store);
}
