//! Memories beyond wasm.h: memory types with 64-bit limits, the shared
//! flag and custom page sizes; 64-bit sizes and growth; and
//! `wasm_shared_memory_t`, a shared memory (threads) that belongs to no
//! store, so that instances in several stores on several threads use it.
//!
//! The standard 32-bit functions keep working: on a memory they cannot
//! describe (a size past 32 bits) they saturate, and their `_checked`
//! forms and `wasm_memory_grow64` say so.

use anyhow::{anyhow, Result};

use crate::capi::engine::wasm_engine_t;
use crate::capi::ext::error::{null_argument, report, wasm_error_t};
use crate::capi::memory::wasm_memory_t;
use crate::capi::memorytype::wasm_memorytype_t;
use crate::capi::panic_guard;
use crate::capi::r#ref::{wasm_ref_t, RefKind};
use crate::capi::store::wasm_store_t;
use crate::module::MemoryType;
use crate::runtime::SharedMemory;

/// The memory type these arguments describe, or why they describe none.
fn memory_type(
    minimum: u64,
    maximum: Option<u64>,
    memory64: bool,
    shared: bool,
    page_size_log2: u8,
) -> Result<MemoryType> {
    let ty = MemoryType {
        minimum,
        maximum,
        memory64,
        shared,
        page_size_log2,
    };
    ty.check().map_err(anyhow::Error::msg)?;
    Ok(ty)
}

/// Returns a new memory type, owned by the caller: `min` pages, at most
/// `max` when `has_max`, 64-bit addresses when `is_64` (memory64), shared
/// when `shared` (threads; needs a maximum), pages of `2^page_size_log2`
/// bytes (16 for the standard 64 KiB, 0 for 1-byte pages). NULL when the
/// arguments describe no valid type (`wasm_memorytype_new64_checked` says why).
#[no_mangle]
pub extern "C" fn wasm_memorytype_new64(
    min: u64,
    has_max: bool,
    max: u64,
    is_64: bool,
    shared: bool,
    page_size_log2: u8,
) -> Option<Box<wasm_memorytype_t>> {
    let ty = memory_type(min, has_max.then_some(max), is_64, shared, page_size_log2).ok()?;
    Some(wasm_memorytype_t::from_memory_type(&ty))
}

/// Like `wasm_memorytype_new64`, storing the type (owned by the caller)
/// in `*out`; on failure returns why and leaves `*out` untouched.
#[no_mangle]
pub extern "C" fn wasm_memorytype_new64_checked(
    min: u64,
    has_max: bool,
    max: u64,
    is_64: bool,
    shared: bool,
    page_size_log2: u8,
    out: Option<&mut *mut wasm_memorytype_t>,
) -> Option<Box<wasm_error_t>> {
    const F: &str = "wasm_memorytype_new64_checked";
    let Some(out) = out else {
        return null_argument(F, "out");
    };
    let ty = memory_type(min, has_max.then_some(max), is_64, shared, page_size_log2);
    report(F, ty, |ty| {
        *out = Box::into_raw(wasm_memorytype_t::from_memory_type(&ty))
    })
}

/// Whether `ty` has 64-bit addresses (memory64); false for NULL.
#[no_mangle]
pub extern "C" fn wasm_memorytype_is64(ty: Option<&wasm_memorytype_t>) -> bool {
    ty.and_then(wasm_memorytype_t::memory_type)
        .is_some_and(|t| t.memory64)
}

/// Whether `ty` is shared (threads); false for NULL.
#[no_mangle]
pub extern "C" fn wasm_memorytype_isshared(ty: Option<&wasm_memorytype_t>) -> bool {
    ty.and_then(wasm_memorytype_t::memory_type)
        .is_some_and(|t| t.shared)
}

/// The base-2 logarithm of `ty`'s page size in bytes (16 for 64 KiB
/// pages, 0 for 1-byte pages); 16 for NULL.
#[no_mangle]
pub extern "C" fn wasm_memorytype_page_size_log2(ty: Option<&wasm_memorytype_t>) -> u8 {
    ty.and_then(wasm_memorytype_t::memory_type)
        .map_or(MemoryType::DEFAULT_PAGE_SIZE_LOG2, |t| t.page_size_log2)
}

/// `ty`'s minimum in pages, all 64 bits; 0 for NULL.
#[no_mangle]
pub extern "C" fn wasm_memorytype_min64(ty: Option<&wasm_memorytype_t>) -> u64 {
    ty.and_then(wasm_memorytype_t::memory_type)
        .map_or(0, |t| t.minimum)
}

/// When `ty` has a maximum, stores it in pages (all 64 bits) in `*max`
/// (if not NULL) and returns true; false without one, or for NULL.
#[no_mangle]
pub extern "C" fn wasm_memorytype_max64(
    ty: Option<&wasm_memorytype_t>,
    max: Option<&mut u64>,
) -> bool {
    match ty
        .and_then(wasm_memorytype_t::memory_type)
        .and_then(|t| t.maximum)
    {
        Some(m) => {
            if let Some(out) = max {
                *out = m;
            }
            true
        }
        None => false,
    }
}

/// The memory's current size in pages, all 64 bits; 0 for NULL.
#[no_mangle]
pub extern "C" fn wasm_memory_size64(memory: Option<&wasm_memory_t>) -> u64 {
    memory.map_or(0, |m| m.memory().size())
}

/// Grows the memory by `delta` pages (any 64-bit count), storing the
/// previous size in pages in `*previous_pages` (if not NULL); returns why
/// it cannot grow (past its maximum or reservation, a resource limit),
/// NULL on success.
#[no_mangle]
pub extern "C" fn wasm_memory_grow64(
    memory: Option<&wasm_memory_t>,
    delta: u64,
    previous_pages: Option<&mut u64>,
) -> Option<Box<wasm_error_t>> {
    const F: &str = "wasm_memory_grow64";
    let Some(memory) = memory else {
        return null_argument(F, "memory");
    };
    report_growth(F, || memory.memory().grow(delta), previous_pages)
}

/// The C convention of the 64-bit growth functions: on success the
/// previous size in pages goes to `*previous_pages` (if not NULL) and the
/// result is NULL; else the error, prefixed with `function`.
fn report_growth(
    function: &str,
    grow: impl FnOnce() -> Result<u64>,
    previous_pages: Option<&mut u64>,
) -> Option<Box<wasm_error_t>> {
    panic_guard::or_error(function, || {
        report(function, grow(), |previous| {
            if let Some(out) = previous_pages {
                *out = previous;
            }
        })
    })
}

/// A shared linear memory (threads), owned by no store: the handle is
/// owned by the caller and freed with `wasm_shared_memory_delete`; the
/// memory lives until its last handle and the last store using it are
/// gone. Every function on it may be called from any thread.
pub struct wasm_shared_memory_t {
    memory: SharedMemory,
}

impl wasm_shared_memory_t {
    fn boxed(memory: SharedMemory) -> Box<wasm_shared_memory_t> {
        Box::new(wasm_shared_memory_t { memory })
    }
}

/// Makes a shared memory of type `ty` (shared, with a maximum) for the
/// stores of `engine` (neither consumed), storing it (owned by the
/// caller) in `*out`; on failure returns why (threads disabled, not a
/// shared type, out of address space) and leaves `*out` untouched.
#[no_mangle]
pub extern "C" fn wasm_shared_memory_new(
    engine: Option<&wasm_engine_t>,
    ty: Option<&wasm_memorytype_t>,
    out: Option<&mut *mut wasm_shared_memory_t>,
) -> Option<Box<wasm_error_t>> {
    const F: &str = "wasm_shared_memory_new";
    let Some(engine) = engine else {
        return null_argument(F, "engine");
    };
    let Some(ty) = ty else {
        return null_argument(F, "type");
    };
    let Some(out) = out else {
        return null_argument(F, "out");
    };
    panic_guard::or_error(F, || {
        let memory = ty
            .memory_type()
            .ok_or_else(|| anyhow!("the memory type is not a memory type"))
            .and_then(|ty| SharedMemory::new(&engine.engine, ty));
        report(F, memory, |m| {
            *out = Box::into_raw(wasm_shared_memory_t::boxed(m))
        })
    })
}

/// Frees a handle of a shared memory; NULL is ignored.
#[no_mangle]
pub extern "C" fn wasm_shared_memory_delete(memory: Option<Box<wasm_shared_memory_t>>) {
    drop(memory);
}

/// Returns a new handle of the same shared memory, owned by the caller
/// (for another thread, say); NULL for NULL.
#[no_mangle]
pub extern "C" fn wasm_shared_memory_clone(
    memory: Option<&wasm_shared_memory_t>,
) -> Option<Box<wasm_shared_memory_t>> {
    Some(wasm_shared_memory_t::boxed(memory?.memory.clone()))
}

/// Returns the memory's type with its current size as the minimum, owned
/// by the caller; NULL for NULL.
#[no_mangle]
pub extern "C" fn wasm_shared_memory_type(
    memory: Option<&wasm_shared_memory_t>,
) -> Option<Box<wasm_memorytype_t>> {
    Some(wasm_memorytype_t::from_memory_type(&memory?.memory.ty()))
}

/// The memory's first byte; it never moves (growth keeps the base), so the
/// pointer stays valid while the memory lives. Other threads may access
/// the bytes at the same time; NULL for NULL.
#[no_mangle]
pub extern "C" fn wasm_shared_memory_data(memory: Option<&wasm_shared_memory_t>) -> *mut u8 {
    memory.map_or(std::ptr::null_mut(), |m| m.memory.data_ptr())
}

/// The memory's current size in bytes (another thread may grow it right
/// after; it never shrinks); 0 for NULL.
#[no_mangle]
pub extern "C" fn wasm_shared_memory_data_size(memory: Option<&wasm_shared_memory_t>) -> usize {
    memory.map_or(0, |m| m.memory.data_size())
}

/// The memory's current size in pages; 0 for NULL.
#[no_mangle]
pub extern "C" fn wasm_shared_memory_size(memory: Option<&wasm_shared_memory_t>) -> u64 {
    memory.map_or(0, |m| m.memory.size())
}

/// Grows the memory by `delta` pages, atomically with respect to other
/// threads' growth, storing the previous size in pages in
/// `*previous_pages` (if not NULL); returns why it cannot grow (past its
/// maximum), NULL on success.
#[no_mangle]
pub extern "C" fn wasm_shared_memory_grow(
    memory: Option<&wasm_shared_memory_t>,
    delta: u64,
    previous_pages: Option<&mut u64>,
) -> Option<Box<wasm_error_t>> {
    const F: &str = "wasm_shared_memory_grow";
    let Some(memory) = memory else {
        return null_argument(F, "memory");
    };
    report_growth(F, || memory.memory.grow(delta), previous_pages)
}

/// Makes the shared memory usable in `store` (not consumed; it must belong
/// to the memory's engine), storing a `wasm_memory_t` of the store (owned
/// by the caller) in `*out`: pass it as an import, through
/// `wasm_memory_as_extern`, or use the `wasm_memory_*` functions on it.
/// On failure returns why and leaves `*out` untouched.
///
/// # Safety
/// Pointer arguments must be NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn wasm_shared_memory_to_memory(
    memory: Option<&wasm_shared_memory_t>,
    store: *mut wasm_store_t,
    out: Option<&mut *mut wasm_memory_t>,
) -> Option<Box<wasm_error_t>> {
    const F: &str = "wasm_shared_memory_to_memory";
    let Some(memory) = memory else {
        return null_argument(F, "memory");
    };
    // SAFETY: NULL or a live store (the caller's contract), borrowed shared.
    let Some(store) = (unsafe { store.as_ref() }) else {
        return null_argument(F, "store");
    };
    let Some(out) = out else {
        return null_argument(F, "out");
    };
    panic_guard::or_error(F, || {
        report(F, memory.memory.to_memory(&store.ctx.store), |m| {
            *out = Box::into_raw(Box::new(wasm_memory_t {
                r: wasm_ref_t {
                    kind: RefKind::Memory(m),
                    ctx: Some(store.ctx.clone()),
                },
            }))
        })
    })
}

/// The shared memory behind `memory` (one a module defined as shared, or
/// made by `wasm_shared_memory_to_memory`), as a new handle owned by the
/// caller, to hand to other stores; NULL when the memory is not shared, or
/// for NULL.
#[no_mangle]
pub extern "C" fn wasm_memory_as_shared(
    memory: Option<&wasm_memory_t>,
) -> Option<Box<wasm_shared_memory_t>> {
    memory?
        .memory()
        .as_shared()
        .map(wasm_shared_memory_t::boxed)
}
