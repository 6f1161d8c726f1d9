//! `wasm_memory_t`: a linear memory.

use std::ffi::c_void;

use anyhow::{anyhow, Result};

use crate::capi::memorytype::wasm_memorytype_t;
use crate::capi::panic_guard;
use crate::capi::r#ref::{self as refs, ref_wrapper, wasm_ref_t, RefKind, RefWrapper};
use crate::capi::store::wasm_store_t;
use crate::capi::vec::wasm_byte_t;
use crate::runtime::Memory;

/// A linear memory. Owned handles are freed with `wasm_memory_delete`.
#[cfg_attr(all(), repr(transparent))]
#[derive(Clone)]
pub struct wasm_memory_t {
    pub(crate) r: wasm_ref_t,
}

ref_wrapper!(wasm_memory_t, RefKind::Memory(_));

/// A memory size in pages (of 64 KiB for standard memories).
pub type wasm_memory_pages_t = u32;

impl wasm_memory_t {
    pub(crate) fn memory(&self) -> &Memory {
        match &self.r.kind {
            RefKind::Memory(m) => m,
            _ => unreachable!("a wasm_memory_t always holds a memory"),
        }
    }

    /// A new memory of `store`; the error says why it cannot be made.
    pub(crate) fn create(
        store: &wasm_store_t,
        ty: &wasm_memorytype_t,
    ) -> Result<Box<wasm_memory_t>> {
        let ty = ty
            .memory_type()
            .ok_or_else(|| anyhow!("the memory type is not a memory type"))?;
        let memory = Memory::new(&store.ctx.store, ty)?;
        Ok(Box::new(wasm_memory_t {
            r: wasm_ref_t {
                kind: RefKind::Memory(memory),
                ctx: Some(store.ctx.clone()),
            },
        }))
    }
}

/// Returns a new memory of `store` with type `ty`, owned by the caller;
/// NULL if an argument is NULL or the memory cannot be made (invalid limits,
/// out of memory, resource limits; `wasm_memory_new_checked` says why).
///
/// # Safety
/// Pointer arguments must be NULL or valid, as wasm.h requires.
#[no_mangle]
pub unsafe extern "C" fn wasm_memory_new(
    store: *mut wasm_store_t,
    ty: Option<&wasm_memorytype_t>,
) -> Option<Box<wasm_memory_t>> {
    // SAFETY: the C caller passes NULL or a live store (wasm.h contract);
    // it is only borrowed shared, as objects of it may be used meanwhile.
    let store = unsafe { store.as_ref() };
    let (store, ty) = (store?, ty?);
    panic_guard::or_failure(None, || wasm_memory_t::create(store, ty).ok())
}

/// Returns the memory's type, owned by the caller; NULL for NULL.
#[no_mangle]
pub extern "C" fn wasm_memory_type(
    memory: Option<&wasm_memory_t>,
) -> Option<Box<wasm_memorytype_t>> {
    Some(wasm_memorytype_t::from_memory_type(&memory?.memory().ty()))
}

/// The start of the memory's bytes, valid until the memory grows; NULL for
/// NULL.
///
/// # Safety
/// Pointer arguments must be NULL or valid, as wasm.h requires.
#[no_mangle]
pub unsafe extern "C" fn wasm_memory_data(memory: *mut wasm_memory_t) -> *mut wasm_byte_t {
    // SAFETY: the C caller passes NULL or a live handle.
    match unsafe { memory.as_ref() } {
        Some(m) => m.memory().data_ptr().cast(),
        None => std::ptr::null_mut(),
    }
}

/// The memory's current size in bytes; 0 for NULL.
#[no_mangle]
pub extern "C" fn wasm_memory_data_size(memory: Option<&wasm_memory_t>) -> usize {
    memory.map_or(0, |m| m.memory().data_size())
}

/// The memory's current size in pages (saturated to `UINT32_MAX`;
/// `wasm_memory_size64` gives all 64 bits); 0 for NULL.
#[no_mangle]
pub extern "C" fn wasm_memory_size(memory: Option<&wasm_memory_t>) -> wasm_memory_pages_t {
    memory.map_or(0, |m| saturate(m.memory().size()))
}

/// Grows the memory by `delta` pages; false if that would pass its maximum
/// or a resource limit, or for NULL (`wasm_memory_grow_checked` says why).
///
/// # Safety
/// Pointer arguments must be NULL or valid, as wasm.h requires.
#[no_mangle]
pub unsafe extern "C" fn wasm_memory_grow(
    memory: *mut wasm_memory_t,
    delta: wasm_memory_pages_t,
) -> bool {
    // SAFETY: the C caller passes NULL or a live handle; growth goes
    // through the runtime, which serializes it.
    match unsafe { memory.as_ref() } {
        Some(m) => panic_guard::or_failure(false, || m.memory().grow(u64::from(delta)).is_ok()),
        None => false,
    }
}

/// A 64-bit count in the standard API's 32-bit type.
fn saturate(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Frees a handle of a memory; the object itself lives on while other handles
/// (or its store) need it. NULL is ignored.
#[no_mangle]
pub extern "C" fn wasm_memory_delete(memory: Option<Box<wasm_memory_t>>) {
    drop(memory);
}

/// Returns a new handle of the same memory, owned by the caller; NULL for NULL.
#[no_mangle]
pub extern "C" fn wasm_memory_copy(memory: Option<&wasm_memory_t>) -> Option<Box<wasm_memory_t>> {
    refs::copy(memory)
}

/// Whether `a` and `b` are handles of the same object (false if either is
/// NULL).
#[no_mangle]
pub extern "C" fn wasm_memory_same(a: Option<&wasm_memory_t>, b: Option<&wasm_memory_t>) -> bool {
    refs::same(a, b)
}

/// The host info attached to the object through any of its handles, or
/// NULL (also for a NULL handle).
#[no_mangle]
pub extern "C" fn wasm_memory_get_host_info(memory: Option<&wasm_memory_t>) -> *mut c_void {
    refs::host_info(memory)
}

/// Attaches `info` to the object (seen through every handle of it),
/// finalizing any earlier host info; NULL handles are ignored.
///
/// # Safety
/// Pointer arguments must be NULL or valid, as wasm.h requires.
#[no_mangle]
pub unsafe extern "C" fn wasm_memory_set_host_info(memory: *mut wasm_memory_t, info: *mut c_void) {
    // SAFETY: forwarded from the caller.
    unsafe { refs::set_host_info(memory, info, None) };
}

/// Attaches `info` to the object like `wasm_memory_set_host_info`;
/// `finalizer(info)` runs exactly once, when the object goes away or the
/// info is replaced.
///
/// # Safety
/// Pointer arguments must be NULL or valid, as wasm.h requires.
#[no_mangle]
pub unsafe extern "C" fn wasm_memory_set_host_info_with_finalizer(
    memory: *mut wasm_memory_t,
    info: *mut c_void,
    finalizer: Option<unsafe extern "C" fn(*mut c_void)>,
) {
    // SAFETY: forwarded from the caller.
    unsafe { refs::set_host_info(memory, info, finalizer) };
}

/// The same object seen as a reference (borrowed, not a new handle); NULL
/// for NULL.
#[no_mangle]
pub extern "C" fn wasm_memory_as_ref(memory: *mut wasm_memory_t) -> *mut wasm_ref_t {
    refs::as_ref(memory)
}

/// The reference seen as a memory (borrowed), or NULL if it refers to
/// something else.
///
/// # Safety
/// Pointer arguments must be NULL or valid, as wasm.h requires.
#[no_mangle]
pub unsafe extern "C" fn wasm_ref_as_memory(r: *mut wasm_ref_t) -> *mut wasm_memory_t {
    // SAFETY: forwarded from the caller.
    unsafe { refs::ref_as(r) }
}

/// Like `wasm_memory_as_ref`, for a const handle.
#[no_mangle]
pub extern "C" fn wasm_memory_as_ref_const(memory: Option<&wasm_memory_t>) -> Option<&wasm_ref_t> {
    memory.map(RefWrapper::as_wasm_ref)
}

/// Like `wasm_ref_as_memory`, for a const reference.
#[no_mangle]
pub extern "C" fn wasm_ref_as_memory_const(r: Option<&wasm_ref_t>) -> Option<&wasm_memory_t> {
    r.and_then(refs::downcast)
}
