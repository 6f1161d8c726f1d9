//! `wasm_ref_t`: the one representation behind every runtime object.
//!
//! Every wasm.h object type (`wasm_func_t`, `wasm_extern_t`, `wasm_trap_t`,
//! …) is a `#[repr(transparent)]` wrapper of `wasm_ref_t`, so the standard's
//! `wasm_X_as_ref`, `wasm_ref_as_X` and `wasm_X_as_extern` conversions are
//! pointer casts guarded by a kind check, and one set of generic helpers
//! (below) implements copy, identity and host info for all of them.
//!
//! A handle is a runtime handle (cheap to clone) plus the C-side state of
//! its store (`StoreContext`), which holds host info and the identities of
//! objects that travelled through wasm as `externref`s.

use std::ffi::c_void;
use std::sync::{Arc, Mutex, Weak};

use crate::capi::store::StoreContext;
use crate::module::ValType;
use crate::runtime::{
    AnyKind, AnyRef, ExnRef, ExternRef, Func, Global, Instance, Memory, Table, Tag, Trap, Val,
};

/// A reference to any runtime object; owned handles are freed with
/// `wasm_ref_delete` (which does not necessarily delete the object).
#[derive(Clone)]
pub struct wasm_ref_t {
    pub(crate) kind: RefKind,
    /// The C-side state of the store the handle was made in; `None` for
    /// modules (they belong to the engine, and must not keep a store
    /// alive) and for a trap reporting a call without a function (no store
    /// known).
    pub(crate) ctx: Option<Arc<StoreContext>>,
}

/// What a `wasm_ref_t` refers to.
#[derive(Clone)]
pub(crate) enum RefKind {
    Func(Func),
    Global(Global),
    Table(Table),
    Memory(Memory),
    /// An exception tag (`wasm_tag_t`, extension).
    Tag(Tag),
    Instance(Instance),
    Module(Arc<crate::capi::module::ModuleObject>),
    /// A host object made by `wasm_foreign_new`.
    Foreign(Arc<ForeignObject>),
    /// A trap; a host function's trap that reaches `wasm_func_call` is
    /// the same object (and so shares its host info).
    Trap(Trap),
    /// An `externref` that did not come from a C reference (made through
    /// the Rust API, or outliving the store state that knew it).
    Extern(ExternRef),
    /// An exception object, the referent of an `exnref` value.
    Exn(ExnRef),
    /// A reference of the GC `any` hierarchy (GC): an i31, a struct or an
    /// array, never a host value (those come back as the object they
    /// stand for, see [`val_to_ref`]).
    Any(AnyRef),
}

impl RefKind {
    /// Whether both refer to the same underlying object.
    pub(crate) fn same(&self, other: &RefKind) -> bool {
        self.id() == other.id()
    }

    /// A hashable identity of the object: equal exactly when `same` is
    /// true. Runtime objects give their runtime `id()`; objects the C API
    /// allocates itself (modules, foreign objects) give their allocation's
    /// address. Either stays put while any handle holds the object.
    pub(crate) fn id(&self) -> ObjectId {
        let address = match self {
            RefKind::Func(f) => f.id(),
            RefKind::Global(g) => g.id(),
            RefKind::Table(t) => t.id(),
            RefKind::Memory(m) => m.id(),
            RefKind::Tag(t) => t.id(),
            RefKind::Instance(i) => i.id(),
            RefKind::Module(m) => Arc::as_ptr(m) as usize,
            RefKind::Foreign(f) => Arc::as_ptr(f) as usize,
            RefKind::Trap(t) => t.id(),
            RefKind::Extern(e) => e.id(),
            RefKind::Exn(e) => e.id(),
            // The word wasm compares with `ref.eq`: an object's address,
            // or the i31's tagged value (two i31s of one value are one).
            RefKind::Any(a) => a.as_raw() as usize,
        };
        ObjectId {
            kind: std::mem::discriminant(self),
            address,
        }
    }

    /// The host info slot of objects the C API allocates itself; `None` for
    /// runtime objects (including traps), whose host info lives in the
    /// [`StoreContext`] of the store they were made in.
    fn own_host_info(&self) -> Option<&Mutex<Option<HostInfo>>> {
        match self {
            RefKind::Module(m) => Some(&m.host_info),
            RefKind::Foreign(f) => Some(&f.host_info),
            _ => None,
        }
    }
}

/// The identity of the object a reference refers to (see [`RefKind::id`]).
/// The kind is part of it: a function and, say, an `externref` are never
/// the same object.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct ObjectId {
    kind: std::mem::Discriminant<RefKind>,
    address: usize,
}

/// The state behind a `wasm_foreign_t`: only host info; its identity is the
/// allocation.
#[derive(Default)]
pub(crate) struct ForeignObject {
    pub(crate) host_info: Mutex<Option<HostInfo>>,
}

/// The finalizer of host info: `void (*)(void*)`.
pub(crate) type HostInfoFinalizer = unsafe extern "C" fn(*mut c_void);

/// Host info attached to an object; its finalizer runs when this is
/// dropped, that is exactly once: when the object goes away or the info is
/// replaced.
pub(crate) struct HostInfo {
    data: *mut c_void,
    finalizer: Option<HostInfoFinalizer>,
}

// SAFETY: the pointer is opaque to us and only handed back to the C host
// (and its finalizer), on whichever thread uses the store at the time; the
// wasm.h contract makes the host responsible for that data's thread safety.
unsafe impl Send for HostInfo {}

impl HostInfo {
    pub(crate) fn new(data: *mut c_void, finalizer: Option<HostInfoFinalizer>) -> HostInfo {
        HostInfo { data, finalizer }
    }

    pub(crate) fn data(&self) -> *mut c_void {
        self.data
    }
}

impl Drop for HostInfo {
    fn drop(&mut self) {
        if let Some(finalizer) = self.finalizer.take() {
            // SAFETY: the host gave us this finalizer for exactly this data
            // and expects one call with it; `take` makes it the only one.
            unsafe { finalizer(self.data) }
        }
    }
}

/// Implemented by `wasm_ref_t` and every object type wrapping it.
///
/// # Safety
/// Implementors must be `#[repr(transparent)]` wrappers of `wasm_ref_t`, so
/// a pointer to one is a valid pointer to the other.
pub(crate) unsafe trait RefWrapper: Sized {
    /// Whether a reference of this kind may be seen as `Self`.
    fn holds(kind: &RefKind) -> bool;
    fn as_wasm_ref(&self) -> &wasm_ref_t;
    fn from_wasm_ref(r: wasm_ref_t) -> Self;
}

// SAFETY: trivially a wrapper of itself.
unsafe impl RefWrapper for wasm_ref_t {
    fn holds(_: &RefKind) -> bool {
        true
    }
    fn as_wasm_ref(&self) -> &wasm_ref_t {
        self
    }
    fn from_wasm_ref(r: wasm_ref_t) -> Self {
        r
    }
}

/// Implements [`RefWrapper`] for an object type `$t { r: wasm_ref_t }`
/// whose references have one of the kinds `$pat`.
macro_rules! ref_wrapper {
    ($t:ty, $pat:pat) => {
        // SAFETY: `$t` is declared `#[repr(transparent)]` over its only
        // field, a `wasm_ref_t`.
        unsafe impl $crate::capi::r#ref::RefWrapper for $t {
            fn holds(kind: &$crate::capi::r#ref::RefKind) -> bool {
                matches!(kind, $pat)
            }
            fn as_wasm_ref(&self) -> &$crate::capi::r#ref::wasm_ref_t {
                &self.r
            }
            fn from_wasm_ref(r: $crate::capi::r#ref::wasm_ref_t) -> Self {
                debug_assert!(<Self as $crate::capi::r#ref::RefWrapper>::holds(&r.kind));
                Self { r }
            }
        }
    };
}
pub(crate) use ref_wrapper;

/// A new owned handle of the object `x` refers to.
pub(crate) fn copy<T: RefWrapper>(x: Option<&T>) -> Option<Box<T>> {
    x.map(|x| Box::new(T::from_wasm_ref(x.as_wasm_ref().clone())))
}

/// Whether two handles refer to the same object.
pub(crate) fn same<T: RefWrapper>(a: Option<&T>, b: Option<&T>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a.as_wasm_ref().kind.same(&b.as_wasm_ref().kind),
        _ => false,
    }
}

/// The pointer cast from an object type to `wasm_ref_t` (NULL stays NULL).
pub(crate) fn as_ref<T: RefWrapper>(x: *mut T) -> *mut wasm_ref_t {
    x.cast()
}

/// The checked pointer cast from `wasm_ref_t` to an object type: NULL for
/// NULL or a reference of another kind.
///
/// # Safety
/// `r` must be NULL or a live reference.
pub(crate) unsafe fn ref_as<T: RefWrapper>(r: *mut wasm_ref_t) -> *mut T {
    // SAFETY: NULL or a live reference (the caller's contract); we only
    // read its kind.
    match unsafe { r.as_ref() } {
        Some(r) if T::holds(&r.kind) => r as *const wasm_ref_t as *mut T,
        _ => std::ptr::null_mut(),
    }
}

/// The checked cast of a borrowed reference to an object type.
pub(crate) fn downcast<T: RefWrapper>(r: &wasm_ref_t) -> Option<&T> {
    if T::holds(&r.kind) {
        // SAFETY: `T` is a transparent wrapper of `wasm_ref_t` (the
        // `RefWrapper` contract), so the cast keeps layout and lifetime.
        Some(unsafe { &*(r as *const wasm_ref_t as *const T) })
    } else {
        None
    }
}

/// The host info of the object `x` refers to, or NULL.
pub(crate) fn host_info<T: RefWrapper>(x: Option<&T>) -> *mut c_void {
    let Some(x) = x else {
        return std::ptr::null_mut();
    };
    let r = x.as_wasm_ref();
    match r.kind.own_host_info() {
        Some(slot) => lock(slot)
            .as_ref()
            .map_or(std::ptr::null_mut(), HostInfo::data),
        None => r
            .ctx
            .as_ref()
            .map_or(std::ptr::null_mut(), |ctx| ctx.host_info(&r.kind)),
    }
}

/// Attaches host info to the object `x` refers to; the info it replaces
/// is finalized after every lock is released, since a finalizer may call
/// back into the API.
///
/// # Safety
/// `x` must be NULL or a live handle.
pub(crate) unsafe fn set_host_info<T: RefWrapper>(
    x: *mut T,
    data: *mut c_void,
    finalizer: Option<unsafe extern "C" fn(*mut c_void)>,
) {
    // SAFETY: NULL or a live handle (the caller's contract); all mutation
    // below goes through locks, so a shared borrow suffices.
    let Some(x) = (unsafe { x.as_ref() }) else {
        return;
    };
    let r = x.as_wasm_ref();
    let info = HostInfo::new(data, finalizer);
    let replaced = match r.kind.own_host_info() {
        Some(slot) => lock(slot).replace(info),
        None => match &r.ctx {
            Some(ctx) => ctx.set_host_info(&r.kind, info),
            // Only objects with their own slot lack a store.
            None => Some(info),
        },
    };
    drop(replaced);
}

/// Locks a mutex, recovering from poisoning: the data behind our locks
/// stays consistent at every point a panic could occur.
pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The payload of every `externref` made from a C reference: where to find
/// the object it stands for, so it comes back out as the same object.
/// Dropped when the collector finds the externref unreachable, which tells
/// the home store state (for an externref of its own store).
struct CRefPayload {
    home: Weak<StoreContext>,
    index: usize,
    /// Made for the home store (the one its registry remembers).
    same_store: bool,
}

impl Drop for CRefPayload {
    fn drop(&mut self) {
        if !self.same_store {
            return;
        }
        if let Some(home) = self.home.upgrade() {
            home.release_externref(self.index);
        }
    }
}

/// Why a C value could not become a runtime reference value.
#[derive(Debug)]
pub(crate) enum RefConversionError {
    /// A non-NULL `wasm_ref_t` given for a `funcref` is not a function.
    NotAFunction,
    /// A non-NULL `wasm_ref_t` given for an `exnref` is not an exception.
    NotAnException,
    /// Neither the reference nor its destination belongs to a store.
    NoStore,
}

impl std::fmt::Display for RefConversionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RefConversionError::NotAFunction => {
                f.write_str("a funcref value must be NULL or refer to a function")
            }
            RefConversionError::NotAnException => {
                f.write_str("an exnref value must be NULL or refer to an exception")
            }
            RefConversionError::NoStore => {
                f.write_str("the reference belongs to no store, and neither does its destination")
            }
        }
    }
}

/// Converts a C reference (NULL for null) into a runtime value of
/// reference type `ty` for use in the store of `target`.
///
/// For `funcref` the reference must be a function, for `exnref` an
/// exception (a reference from an `exnref` value). For `externref` any
/// reference is accepted: a GC reference crosses as itself converted
/// (`extern.convert_any`, the same word), anything else is wrapped in an
/// `ExternRef` that remembers the object, so what comes back out is
/// `wasm_ref_same` to it and shares its host info. For `anyref` (and the
/// rest of the `any` hierarchy) any reference is accepted too: a GC
/// reference as itself, anything else as the `externref` standing for it
/// converted in (`any.convert_extern`); whether it is of the exact type is
/// checked where it enters.
pub(crate) fn ref_to_val(
    r: Option<&wasm_ref_t>,
    ty: ValType,
    target: Option<&Arc<StoreContext>>,
) -> Result<Val, RefConversionError> {
    if ty.is_any_ref() {
        let Some(r) = r else {
            return Ok(Val::AnyRef(None));
        };
        if let RefKind::Any(a) = &r.kind {
            return Ok(Val::AnyRef(Some(a.clone())));
        }
        return Ok(Val::AnyRef(Some(to_externref(r, target)?.to_any())));
    }
    if ty.as_ref().is_some_and(|r| r.heap.is_exn()) {
        return match r.map(|r| &r.kind) {
            None => Ok(Val::ExnRef(None)),
            Some(RefKind::Exn(e)) => Ok(Val::ExnRef(Some(e.clone()))),
            Some(_) => Err(RefConversionError::NotAnException),
        };
    }
    if !ty.is_extern_ref() {
        return match r.map(|r| &r.kind) {
            None => Ok(Val::FuncRef(None)),
            Some(RefKind::Func(f)) => Ok(Val::FuncRef(Some(f.clone()))),
            Some(_) => Err(RefConversionError::NotAFunction),
        };
    }
    match r {
        None => Ok(Val::ExternRef(None)),
        Some(r) => Ok(Val::ExternRef(Some(to_externref(r, target)?))),
    }
}

/// The `externref` a C reference crosses into the store of `target` as.
fn to_externref(
    r: &wasm_ref_t,
    target: Option<&Arc<StoreContext>>,
) -> Result<ExternRef, RefConversionError> {
    match &r.kind {
        RefKind::Extern(e) => return Ok(e.clone()),
        RefKind::Any(a) => return Ok(a.to_extern()),
        _ => {}
    }
    let (home, target) = match (r.ctx.as_ref(), target) {
        (Some(home), Some(target)) => (home, target),
        (Some(home), None) => (home, home),
        (None, Some(target)) => (target, target),
        (None, None) => return Err(RefConversionError::NoStore),
    };
    Ok(home.externref_for(&r.kind, target))
}

/// Converts a runtime reference value into an owned C reference (NULL for
/// null); `ctx` is the store state of the object the value came out of
/// (`None` if it is gone). Non-reference values give NULL.
pub(crate) fn val_to_ref(val: &Val, ctx: Option<&Arc<StoreContext>>) -> Option<Box<wasm_ref_t>> {
    let kind = match val {
        Val::FuncRef(Some(f)) => RefKind::Func(f.clone()),
        Val::ExnRef(Some(e)) => RefKind::Exn(e.clone()),
        Val::ExternRef(Some(e)) => return Some(Box::new(externref_to_ref(e, ctx))),
        // A host value converted in is the object it stands for.
        Val::AnyRef(Some(a)) => match a.as_extern() {
            Some(e) => return Some(Box::new(externref_to_ref(&e, ctx))),
            None => RefKind::Any(a.clone()),
        },
        _ => return None,
    };
    Some(Box::new(wasm_ref_t {
        kind,
        ctx: ctx.cloned(),
    }))
}

/// The C reference an `externref` stands for: the object it was made for,
/// or for a GC reference converted out (`extern.convert_any`) that
/// reference.
fn externref_to_ref(e: &ExternRef, ctx: Option<&Arc<StoreContext>>) -> wasm_ref_t {
    let any = e.to_any();
    if any.kind() != AnyKind::Extern {
        return wasm_ref_t {
            kind: RefKind::Any(any),
            ctx: ctx.cloned(),
        };
    }
    if let Some(payload) = e.data().downcast_ref::<CRefPayload>() {
        if let Some(home) = payload.home.upgrade() {
            if let Some(kind) = home.registered_object(payload.index) {
                return wasm_ref_t {
                    kind,
                    ctx: Some(home),
                };
            }
        }
    }
    wasm_ref_t {
        kind: RefKind::Extern(e.clone()),
        ctx: ctx.cloned(),
    }
}

/// The `externref` payload for object `index` of the store state `home`.
pub(crate) fn new_externref_payload(
    home: &Arc<StoreContext>,
    index: usize,
    same_store: bool,
) -> Box<dyn std::any::Any> {
    Box::new(CRefPayload {
        home: Arc::downgrade(home),
        index,
        same_store,
    })
}

/// Frees a reference handle; the object lives on while other handles (or
/// its store) need it. NULL is ignored.
#[no_mangle]
pub extern "C" fn wasm_ref_delete(r: Option<Box<wasm_ref_t>>) {
    drop(r);
}

/// Returns a new handle of the same object, owned by the caller; NULL for
/// NULL.
#[no_mangle]
pub extern "C" fn wasm_ref_copy(r: Option<&wasm_ref_t>) -> Option<Box<wasm_ref_t>> {
    copy(r)
}

/// Whether `a` and `b` refer to the same object (false if either is NULL).
#[no_mangle]
pub extern "C" fn wasm_ref_same(a: Option<&wasm_ref_t>, b: Option<&wasm_ref_t>) -> bool {
    same(a, b)
}

/// The host info attached to the object through any of its handles, or
/// NULL (also for a NULL reference).
#[no_mangle]
pub extern "C" fn wasm_ref_get_host_info(r: Option<&wasm_ref_t>) -> *mut c_void {
    host_info(r)
}

/// Attaches `info` to the object (seen through every handle of it),
/// finalizing any earlier host info; NULL references are ignored.
///
/// # Safety
/// Pointer arguments must be NULL or valid, as wasm.h requires.
#[no_mangle]
pub unsafe extern "C" fn wasm_ref_set_host_info(r: *mut wasm_ref_t, info: *mut c_void) {
    // SAFETY: forwarded from the caller.
    unsafe { set_host_info(r, info, None) };
}

/// Attaches `info` to the object like `wasm_ref_set_host_info`;
/// `finalizer(info)` runs exactly once, when the object goes away or the
/// info is replaced.
///
/// # Safety
/// Pointer arguments must be NULL or valid, as wasm.h requires.
#[no_mangle]
pub unsafe extern "C" fn wasm_ref_set_host_info_with_finalizer(
    r: *mut wasm_ref_t,
    info: *mut c_void,
    finalizer: Option<unsafe extern "C" fn(*mut c_void)>,
) {
    // SAFETY: forwarded from the caller.
    unsafe { set_host_info(r, info, finalizer) };
}
