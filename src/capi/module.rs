//! `wasm_module_t`: a validated and compiled module, and its shareable
//! form `wasm_shared_module_t`.

use std::ffi::c_void;
use std::mem::ManuallyDrop;
use std::sync::{Arc, Mutex};

use anyhow::Result;

use crate::capi::exporttype::wasm_exporttype_t;
use crate::capi::importtype::wasm_importtype_t;
use crate::capi::panic_guard;
use crate::capi::r#ref::{self as refs, ref_wrapper, wasm_ref_t, HostInfo, RefKind, RefWrapper};
use crate::capi::store::wasm_store_t;
use crate::capi::vec::{wasm_byte_vec_t, wasm_exporttype_vec_t, wasm_importtype_vec_t, CVec};
use crate::module::Module;

/// A compiled module; it can be instantiated in any store of its engine.
/// Owned handles are freed with `wasm_module_delete`.
///
/// A module belongs to the engine, not to the store it was made in: its
/// handles carry no store state, so a live module never keeps a deleted
/// store (and the instances, memories, tables and pooling slots it owns)
/// alive, and it keeps working in every other store of the engine.
#[cfg_attr(all(), repr(transparent))]
#[derive(Clone)]
pub struct wasm_module_t {
    pub(crate) r: wasm_ref_t,
}

ref_wrapper!(wasm_module_t, RefKind::Module(_));

/// The state behind a `wasm_module_t`; its identity is the allocation.
pub(crate) struct ModuleObject {
    /// Dropped by hand (see `Drop`), so that a panic in the module's
    /// teardown stays inside the library.
    pub(crate) module: ManuallyDrop<Module>,
    pub(crate) host_info: Mutex<Option<HostInfo>>,
}

impl Drop for ModuleObject {
    fn drop(&mut self) {
        // Whichever handle's delete drops the last reference runs this (it
        // may free the module's code and, with it, the engine), so nothing
        // here may unwind into C.
        panic_guard::or_failure((), || {
            // SAFETY: `module` is never used again: this is the drop of
            // its owner.
            unsafe { ManuallyDrop::drop(&mut self.module) };
        });
    }
}

impl wasm_module_t {
    /// A handle of a new module object. The store it is made in is not
    /// recorded (see the type's comment); the object's host info lives in
    /// the object itself.
    pub(crate) fn boxed(module: Module) -> Box<wasm_module_t> {
        Box::new(wasm_module_t {
            r: wasm_ref_t {
                kind: RefKind::Module(Arc::new(ModuleObject {
                    module: ManuallyDrop::new(module),
                    host_info: Mutex::new(None),
                })),
                ctx: None,
            },
        })
    }

    pub(crate) fn object(&self) -> &ModuleObject {
        match &self.r.kind {
            RefKind::Module(m) => m,
            _ => unreachable!("a wasm_module_t always holds a module"),
        }
    }

    pub(crate) fn module(&self) -> &Module {
        &self.object().module
    }

    /// Validates and compiles `wasm` for the engine of `store`; the error
    /// names the problem and its byte offset.
    pub(crate) fn compile(store: &wasm_store_t, wasm: &[u8]) -> Result<Box<wasm_module_t>> {
        let module = Module::new(store.ctx.store.engine(), wasm)?;
        Ok(wasm_module_t::boxed(module))
    }

    /// Loads a module serialized by `wasm_module_serialize` for the engine
    /// of `store`; the error says why the bytes are refused.
    pub(crate) fn load(store: &wasm_store_t, bytes: &[u8]) -> Result<Box<wasm_module_t>> {
        let module = Module::deserialize(store.ctx.store.engine(), bytes)?;
        Ok(wasm_module_t::boxed(module))
    }
}

/// Validates and compiles `binary` for the engine of `store`; returns the
/// module (owned by the caller) or NULL if the binary is invalid or an
/// argument is NULL. `wasm_module_new_checked` says why.
///
/// # Safety
/// Pointer arguments must be NULL or valid, as wasm.h requires.
#[no_mangle]
pub unsafe extern "C" fn wasm_module_new(
    store: *mut wasm_store_t,
    binary: Option<&wasm_byte_vec_t>,
) -> Option<Box<wasm_module_t>> {
    // SAFETY: the C caller passes NULL or a live store (wasm.h contract);
    // it is only borrowed shared, as objects of it may be used meanwhile.
    let store = unsafe { store.as_ref() };
    let (store, binary) = (store?, binary?);
    panic_guard::or_failure(None, || {
        // SAFETY: the C caller passes a valid byte vector.
        wasm_module_t::compile(store, unsafe { binary.as_slice() }).ok()
    })
}

/// Whether `binary` is a valid module for the engine of `store` (false for
/// NULL arguments).
///
/// # Safety
/// Pointer arguments must be NULL or valid, as wasm.h requires.
#[no_mangle]
pub unsafe extern "C" fn wasm_module_validate(
    store: *mut wasm_store_t,
    binary: Option<&wasm_byte_vec_t>,
) -> bool {
    // SAFETY: the C caller passes NULL or a live store (wasm.h contract);
    // it is only borrowed shared, as objects of it may be used meanwhile.
    let store = unsafe { store.as_ref() };
    let (Some(store), Some(binary)) = (store, binary) else {
        return false;
    };
    panic_guard::or_failure(false, || {
        // SAFETY: the C caller passes a valid byte vector.
        Module::validate(store.ctx.store.engine(), unsafe { binary.as_slice() }).is_ok()
    })
}

/// Writes the module's imports, in import order, into `out` (owned by the
/// caller); empty for a NULL module.
#[no_mangle]
pub extern "C" fn wasm_module_imports(
    module: Option<&wasm_module_t>,
    out: Option<&mut wasm_importtype_vec_t>,
) {
    let Some(out) = out else { return };
    let imports = panic_guard::or_failure(Vec::new(), || {
        module.map_or_else(Vec::new, |m| {
            m.module()
                .imports()
                .iter()
                .map(|(module, name, ty)| Some(wasm_importtype_t::from_parts(module, name, ty)))
                .collect()
        })
    });
    *out = wasm_importtype_vec_t::from_vec(imports);
}

/// Writes the module's exports, in export order, into `out` (owned by the
/// caller); empty for a NULL module.
#[no_mangle]
pub extern "C" fn wasm_module_exports(
    module: Option<&wasm_module_t>,
    out: Option<&mut wasm_exporttype_vec_t>,
) {
    let Some(out) = out else { return };
    let exports = panic_guard::or_failure(Vec::new(), || {
        module.map_or_else(Vec::new, |m| {
            m.module()
                .exports()
                .iter()
                .map(|(name, ty)| Some(wasm_exporttype_t::from_parts(name, ty)))
                .collect()
        })
    });
    *out = wasm_exporttype_vec_t::from_vec(exports);
}

/// Writes a serialized form of the module (its binary and compiled code)
/// into `out`, owned by the caller, that `wasm_module_deserialize` loads
/// without compiling again; empty for a NULL module or if it cannot be
/// serialized.
#[no_mangle]
pub extern "C" fn wasm_module_serialize(
    module: Option<&wasm_module_t>,
    out: Option<&mut wasm_byte_vec_t>,
) {
    let Some(out) = out else { return };
    let bytes = panic_guard::or_failure(Vec::new(), || {
        module
            .and_then(|m| m.module().serialize().ok())
            .unwrap_or_default()
    });
    *out = wasm_byte_vec_t::from_vec(bytes);
}

/// Returns the module serialized in `bytes` by `wasm_module_serialize`,
/// loaded for the engine of `store` and owned by the caller; NULL if the
/// bytes are not such a module, were made by an engine with other
/// code-generation settings, or an argument is NULL
/// (`wasm_module_deserialize_checked` says why).
///
/// # Safety
/// Pointer arguments must be NULL or valid, as wasm.h requires.
#[no_mangle]
pub unsafe extern "C" fn wasm_module_deserialize(
    store: *mut wasm_store_t,
    bytes: Option<&wasm_byte_vec_t>,
) -> Option<Box<wasm_module_t>> {
    // SAFETY: the C caller passes NULL or a live store (wasm.h contract);
    // it is only borrowed shared, as objects of it may be used meanwhile.
    let store = unsafe { store.as_ref() };
    let (store, bytes) = (store?, bytes?);
    panic_guard::or_failure(None, || {
        // SAFETY: the C caller passes a valid byte vector.
        wasm_module_t::load(store, unsafe { bytes.as_slice() }).ok()
    })
}

/// A module in a form any thread may hold, to be obtained in a store of the
/// same engine (`wasm_module_obtain`). Owned; freed with
/// `wasm_shared_module_delete`.
pub struct wasm_shared_module_t {
    module: Module,
}

/// Frees a shared module; NULL is ignored.
#[no_mangle]
pub extern "C" fn wasm_shared_module_delete(shared: Option<Box<wasm_shared_module_t>>) {
    // It may hold the last reference to the module and its engine.
    panic_guard::or_failure((), || drop(shared));
}

/// Returns a shareable form of the module, owned by the caller; NULL for
/// NULL.
#[no_mangle]
pub extern "C" fn wasm_module_share(
    module: Option<&wasm_module_t>,
) -> Option<Box<wasm_shared_module_t>> {
    Some(Box::new(wasm_shared_module_t {
        module: module?.module().clone(),
    }))
}

/// Returns a module of `store` for the shared module (owned by the caller,
/// without recompiling); NULL if an argument is NULL or the store belongs to
/// another engine than the module.
///
/// # Safety
/// Pointer arguments must be NULL or valid, as wasm.h requires.
#[no_mangle]
pub unsafe extern "C" fn wasm_module_obtain(
    store: *mut wasm_store_t,
    shared: Option<&wasm_shared_module_t>,
) -> Option<Box<wasm_module_t>> {
    // SAFETY: the C caller passes NULL or a live store (wasm.h contract);
    // it is only borrowed shared, as objects of it may be used meanwhile.
    let store = unsafe { store.as_ref() };
    let (store, shared) = (store?, shared?);
    if !shared.module.engine().same(store.ctx.store.engine()) {
        return None;
    }
    Some(wasm_module_t::boxed(shared.module.clone()))
}

/// Frees a handle of a module; the compiled code lives on while other
/// handles or instances of it need it. A module's handles never keep a
/// store alive. NULL is ignored.
#[no_mangle]
pub extern "C" fn wasm_module_delete(module: Option<Box<wasm_module_t>>) {
    drop(module);
}

/// Returns a new handle of the same module, owned by the caller (like every
/// module handle, it holds no store); NULL for NULL.
#[no_mangle]
pub extern "C" fn wasm_module_copy(module: Option<&wasm_module_t>) -> Option<Box<wasm_module_t>> {
    // A module handle that came back out of wasm as an `externref` carries
    // the state of the store it came from; its copies need none.
    let mut copy = refs::copy(module)?;
    copy.r.ctx = None;
    Some(copy)
}

/// Whether `a` and `b` are handles of the same object (false if either is
/// NULL).
#[no_mangle]
pub extern "C" fn wasm_module_same(a: Option<&wasm_module_t>, b: Option<&wasm_module_t>) -> bool {
    refs::same(a, b)
}

/// The host info attached to the object through any of its handles, or
/// NULL (also for a NULL handle).
#[no_mangle]
pub extern "C" fn wasm_module_get_host_info(module: Option<&wasm_module_t>) -> *mut c_void {
    refs::host_info(module)
}

/// Attaches `info` to the object (seen through every handle of it),
/// finalizing any earlier host info; NULL handles are ignored.
///
/// # Safety
/// Pointer arguments must be NULL or valid, as wasm.h requires.
#[no_mangle]
pub unsafe extern "C" fn wasm_module_set_host_info(module: *mut wasm_module_t, info: *mut c_void) {
    // SAFETY: forwarded from the caller.
    unsafe { refs::set_host_info(module, info, None) };
}

/// Attaches `info` to the object like `wasm_module_set_host_info`;
/// `finalizer(info)` runs exactly once, when the object goes away or the
/// info is replaced.
///
/// # Safety
/// Pointer arguments must be NULL or valid, as wasm.h requires.
#[no_mangle]
pub unsafe extern "C" fn wasm_module_set_host_info_with_finalizer(
    module: *mut wasm_module_t,
    info: *mut c_void,
    finalizer: Option<unsafe extern "C" fn(*mut c_void)>,
) {
    // SAFETY: forwarded from the caller.
    unsafe { refs::set_host_info(module, info, finalizer) };
}

/// The same object seen as a reference (borrowed, not a new handle); NULL
/// for NULL.
#[no_mangle]
pub extern "C" fn wasm_module_as_ref(module: *mut wasm_module_t) -> *mut wasm_ref_t {
    refs::as_ref(module)
}

/// The reference seen as a module (borrowed), or NULL if it refers to
/// something else.
///
/// # Safety
/// Pointer arguments must be NULL or valid, as wasm.h requires.
#[no_mangle]
pub unsafe extern "C" fn wasm_ref_as_module(r: *mut wasm_ref_t) -> *mut wasm_module_t {
    // SAFETY: forwarded from the caller.
    unsafe { refs::ref_as(r) }
}

/// Like `wasm_module_as_ref`, for a const handle.
#[no_mangle]
pub extern "C" fn wasm_module_as_ref_const(module: Option<&wasm_module_t>) -> Option<&wasm_ref_t> {
    module.map(RefWrapper::as_wasm_ref)
}

/// Like `wasm_ref_as_module`, for a const reference.
#[no_mangle]
pub extern "C" fn wasm_ref_as_module_const(r: Option<&wasm_ref_t>) -> Option<&wasm_module_t> {
    r.and_then(refs::downcast)
}
