//! `wasm_memorytype_t`: a linear memory's size limits.

use crate::capi::externtype::wasm_externtype_t;
use crate::capi::limits::wasm_limits_t;
use crate::module::{ExternType, MemoryType};

/// The type of a linear memory; owned by whoever made or copied it. An
/// extern type underneath (see `wasm_memorytype_as_externtype`).
#[cfg_attr(all(), repr(transparent))] // opaque to cbindgen, see `externtype`
#[derive(Clone, Debug)]
pub struct wasm_memorytype_t {
    pub(crate) ext: wasm_externtype_t,
}

impl wasm_memorytype_t {
    /// A boxed C object for `ty`, ready to hand to C.
    pub fn from_memory_type(ty: &MemoryType) -> Box<wasm_memorytype_t> {
        Box::new(wasm_memorytype_t {
            ext: wasm_externtype_t::new(ExternType::Memory(*ty)),
        })
    }

    /// The memory type this object describes. `None` only for an object
    /// that is not a memory type at all (a C caller's bad pointer cast).
    pub fn memory_type(&self) -> Option<MemoryType> {
        match self.ext.extern_type() {
            ExternType::Memory(ty) => Some(*ty),
            _ => None,
        }
    }
}

/// Returns a new 32-bit, unshared memory type of 64 KiB pages, owned by the
/// caller; NULL if `limits` is NULL or describe no valid memory (a minimum
/// or maximum above 65 536 pages, the most 32-bit addresses reach, or a
/// maximum below the minimum; `wasm_memorytype_new64_checked` says which).
/// A `max` of `wasm_limits_max_default` means no maximum.
#[no_mangle]
pub extern "C" fn wasm_memorytype_new(
    limits: Option<&wasm_limits_t>,
) -> Option<Box<wasm_memorytype_t>> {
    let (minimum, maximum) = limits?.bounds();
    let ty = MemoryType::new(minimum, maximum);
    ty.check()
        .is_ok()
        .then(|| wasm_memorytype_t::from_memory_type(&ty))
}

/// Returns a copy of `ty`, owned by the caller; NULL for NULL.
#[no_mangle]
pub extern "C" fn wasm_memorytype_copy(
    ty: Option<&wasm_memorytype_t>,
) -> Option<Box<wasm_memorytype_t>> {
    ty.map(|ty| Box::new(ty.clone()))
}

/// Frees a memory type; NULL is ignored.
#[no_mangle]
pub extern "C" fn wasm_memorytype_delete(ty: Option<Box<wasm_memorytype_t>>) {
    drop(ty);
}

/// Returns the limits of `ty` in pages, borrowed from `ty` (bounds beyond
/// 32 bits, as memory64 types may have, saturate to `UINT32_MAX`:
/// `wasm_memorytype_min64` and `wasm_memorytype_max64` give them whole);
/// NULL for NULL.
#[no_mangle]
pub extern "C" fn wasm_memorytype_limits(ty: Option<&wasm_memorytype_t>) -> Option<&wasm_limits_t> {
    ty?.ext.memory_limits()
}
