//! `wasm_extern_t`: a function, global, table, memory or (extension,
//! `ext/tag.rs`) exception tag seen as an import or export.

use std::ffi::c_void;
use std::sync::Arc;

use crate::capi::ext::tag::WASM_EXTERN_TAG;
use crate::capi::externtype::{
    wasm_externkind_t, wasm_externtype_t, WASM_EXTERN_FUNC, WASM_EXTERN_GLOBAL, WASM_EXTERN_MEMORY,
    WASM_EXTERN_TABLE,
};
use crate::capi::func::wasm_func_t;
use crate::capi::global::wasm_global_t;
use crate::capi::memory::wasm_memory_t;
use crate::capi::r#ref::{self as refs, ref_wrapper, wasm_ref_t, RefKind, RefWrapper};
use crate::capi::store::StoreContext;
use crate::capi::table::wasm_table_t;
use crate::capi::valtype::NO_KIND;
use crate::runtime::Extern;

/// A function, global, table, memory or (extension) tag; the same object as
/// the `wasm_func_t` (etc.) it was converted from. Owned handles are freed with
/// `wasm_extern_delete`.
// `cfg_attr(all(), …)` always applies for rustc but hides the repr from
// cbindgen, which would otherwise turn the type into a typedef of
// `wasm_ref_t` instead of the distinct opaque struct wasm.h declares.
#[cfg_attr(all(), repr(transparent))]
#[derive(Clone)]
pub struct wasm_extern_t {
    pub(crate) r: wasm_ref_t,
}

ref_wrapper!(
    wasm_extern_t,
    RefKind::Func(_)
        | RefKind::Global(_)
        | RefKind::Table(_)
        | RefKind::Memory(_)
        | RefKind::Tag(_)
);

impl wasm_extern_t {
    /// A handle of a runtime extern, belonging to the store of `ctx`.
    pub(crate) fn new(ext: Extern, ctx: Option<&Arc<StoreContext>>) -> wasm_extern_t {
        let kind = match ext {
            Extern::Func(f) => RefKind::Func(f),
            Extern::Global(g) => RefKind::Global(g),
            Extern::Table(t) => RefKind::Table(t),
            Extern::Memory(m) => RefKind::Memory(m),
            Extern::Tag(t) => RefKind::Tag(t),
        };
        wasm_extern_t {
            r: wasm_ref_t {
                kind,
                ctx: ctx.cloned(),
            },
        }
    }

    /// The runtime extern behind this handle.
    pub(crate) fn to_extern(&self) -> Extern {
        match &self.r.kind {
            RefKind::Func(f) => Extern::Func(f.clone()),
            RefKind::Global(g) => Extern::Global(g.clone()),
            RefKind::Table(t) => Extern::Table(t.clone()),
            RefKind::Memory(m) => Extern::Memory(m.clone()),
            RefKind::Tag(t) => Extern::Tag(t.clone()),
            _ => unreachable!("a wasm_extern_t always holds an extern"),
        }
    }
}

/// The extern's kind (`WASM_EXTERN_FUNC`, …); 0xff (no kind) for NULL.
#[no_mangle]
pub extern "C" fn wasm_extern_kind(ext: Option<&wasm_extern_t>) -> wasm_externkind_t {
    match ext.map(|e| &e.r.kind) {
        Some(RefKind::Func(_)) => WASM_EXTERN_FUNC,
        Some(RefKind::Global(_)) => WASM_EXTERN_GLOBAL,
        Some(RefKind::Table(_)) => WASM_EXTERN_TABLE,
        Some(RefKind::Memory(_)) => WASM_EXTERN_MEMORY,
        Some(RefKind::Tag(_)) => WASM_EXTERN_TAG,
        _ => NO_KIND,
    }
}

/// Returns the extern's type, owned by the caller; NULL for NULL.
#[no_mangle]
pub extern "C" fn wasm_extern_type(ext: Option<&wasm_extern_t>) -> Option<Box<wasm_externtype_t>> {
    Some(wasm_externtype_t::from_extern_type(&ext?.to_extern().ty()))
}

/// The function seen as an extern (the same object, borrowed); NULL for
/// NULL.
#[no_mangle]
pub extern "C" fn wasm_func_as_extern(func: *mut wasm_func_t) -> *mut wasm_extern_t {
    func.cast()
}

/// The global seen as an extern (the same object, borrowed); NULL for
/// NULL.
#[no_mangle]
pub extern "C" fn wasm_global_as_extern(global: *mut wasm_global_t) -> *mut wasm_extern_t {
    global.cast()
}

/// The table seen as an extern (the same object, borrowed); NULL for NULL.
#[no_mangle]
pub extern "C" fn wasm_table_as_extern(table: *mut wasm_table_t) -> *mut wasm_extern_t {
    table.cast()
}

/// The memory seen as an extern (the same object, borrowed); NULL for
/// NULL.
#[no_mangle]
pub extern "C" fn wasm_memory_as_extern(memory: *mut wasm_memory_t) -> *mut wasm_extern_t {
    memory.cast()
}

/// The extern seen as a function (borrowed), or NULL if it is something
/// else.
///
/// # Safety
/// Pointer arguments must be NULL or valid, as wasm.h requires.
#[no_mangle]
pub unsafe extern "C" fn wasm_extern_as_func(ext: *mut wasm_extern_t) -> *mut wasm_func_t {
    // SAFETY: forwarded from the caller.
    unsafe { refs::ref_as(ext.cast()) }
}

/// The extern seen as a global (borrowed), or NULL if it is something
/// else.
///
/// # Safety
/// Pointer arguments must be NULL or valid, as wasm.h requires.
#[no_mangle]
pub unsafe extern "C" fn wasm_extern_as_global(ext: *mut wasm_extern_t) -> *mut wasm_global_t {
    // SAFETY: forwarded from the caller.
    unsafe { refs::ref_as(ext.cast()) }
}

/// The extern seen as a table (borrowed), or NULL if it is something else.
///
/// # Safety
/// Pointer arguments must be NULL or valid, as wasm.h requires.
#[no_mangle]
pub unsafe extern "C" fn wasm_extern_as_table(ext: *mut wasm_extern_t) -> *mut wasm_table_t {
    // SAFETY: forwarded from the caller.
    unsafe { refs::ref_as(ext.cast()) }
}

/// The extern seen as a memory (borrowed), or NULL if it is something
/// else.
///
/// # Safety
/// Pointer arguments must be NULL or valid, as wasm.h requires.
#[no_mangle]
pub unsafe extern "C" fn wasm_extern_as_memory(ext: *mut wasm_extern_t) -> *mut wasm_memory_t {
    // SAFETY: forwarded from the caller.
    unsafe { refs::ref_as(ext.cast()) }
}

/// Like `wasm_func_as_extern`, for a const handle.
#[no_mangle]
pub extern "C" fn wasm_func_as_extern_const(func: Option<&wasm_func_t>) -> Option<&wasm_extern_t> {
    func.and_then(|f| refs::downcast(f.as_wasm_ref()))
}

/// Like `wasm_global_as_extern`, for a const handle.
#[no_mangle]
pub extern "C" fn wasm_global_as_extern_const(
    global: Option<&wasm_global_t>,
) -> Option<&wasm_extern_t> {
    global.and_then(|g| refs::downcast(g.as_wasm_ref()))
}

/// Like `wasm_table_as_extern`, for a const handle.
#[no_mangle]
pub extern "C" fn wasm_table_as_extern_const(
    table: Option<&wasm_table_t>,
) -> Option<&wasm_extern_t> {
    table.and_then(|t| refs::downcast(t.as_wasm_ref()))
}

/// Like `wasm_memory_as_extern`, for a const handle.
#[no_mangle]
pub extern "C" fn wasm_memory_as_extern_const(
    memory: Option<&wasm_memory_t>,
) -> Option<&wasm_extern_t> {
    memory.and_then(|m| refs::downcast(m.as_wasm_ref()))
}

/// Like `wasm_extern_as_func`, for a const handle.
#[no_mangle]
pub extern "C" fn wasm_extern_as_func_const(ext: Option<&wasm_extern_t>) -> Option<&wasm_func_t> {
    ext.and_then(|e| refs::downcast(&e.r))
}

/// Like `wasm_extern_as_global`, for a const handle.
#[no_mangle]
pub extern "C" fn wasm_extern_as_global_const(
    ext: Option<&wasm_extern_t>,
) -> Option<&wasm_global_t> {
    ext.and_then(|e| refs::downcast(&e.r))
}

/// Like `wasm_extern_as_table`, for a const handle.
#[no_mangle]
pub extern "C" fn wasm_extern_as_table_const(ext: Option<&wasm_extern_t>) -> Option<&wasm_table_t> {
    ext.and_then(|e| refs::downcast(&e.r))
}

/// Like `wasm_extern_as_memory`, for a const handle.
#[no_mangle]
pub extern "C" fn wasm_extern_as_memory_const(
    ext: Option<&wasm_extern_t>,
) -> Option<&wasm_memory_t> {
    ext.and_then(|e| refs::downcast(&e.r))
}

/// Frees a handle of an extern; the object itself lives on while other handles
/// (or its store) need it. NULL is ignored.
#[no_mangle]
pub extern "C" fn wasm_extern_delete(ext: Option<Box<wasm_extern_t>>) {
    drop(ext);
}

/// Returns a new handle of the same extern, owned by the caller; NULL for NULL.
#[no_mangle]
pub extern "C" fn wasm_extern_copy(ext: Option<&wasm_extern_t>) -> Option<Box<wasm_extern_t>> {
    refs::copy(ext)
}

/// Whether `a` and `b` are handles of the same object (false if either is
/// NULL).
#[no_mangle]
pub extern "C" fn wasm_extern_same(a: Option<&wasm_extern_t>, b: Option<&wasm_extern_t>) -> bool {
    refs::same(a, b)
}

/// The host info attached to the object through any of its handles, or
/// NULL (also for a NULL handle).
#[no_mangle]
pub extern "C" fn wasm_extern_get_host_info(ext: Option<&wasm_extern_t>) -> *mut c_void {
    refs::host_info(ext)
}

/// Attaches `info` to the object (seen through every handle of it),
/// finalizing any earlier host info; NULL handles are ignored.
///
/// # Safety
/// Pointer arguments must be NULL or valid, as wasm.h requires.
#[no_mangle]
pub unsafe extern "C" fn wasm_extern_set_host_info(ext: *mut wasm_extern_t, info: *mut c_void) {
    // SAFETY: forwarded from the caller.
    unsafe { refs::set_host_info(ext, info, None) };
}

/// Attaches `info` to the object like `wasm_extern_set_host_info`;
/// `finalizer(info)` runs exactly once, when the object goes away or the
/// info is replaced.
///
/// # Safety
/// Pointer arguments must be NULL or valid, as wasm.h requires.
#[no_mangle]
pub unsafe extern "C" fn wasm_extern_set_host_info_with_finalizer(
    ext: *mut wasm_extern_t,
    info: *mut c_void,
    finalizer: Option<unsafe extern "C" fn(*mut c_void)>,
) {
    // SAFETY: forwarded from the caller.
    unsafe { refs::set_host_info(ext, info, finalizer) };
}

/// The same object seen as a reference (borrowed, not a new handle); NULL
/// for NULL.
///
/// # Safety
/// Pointer arguments must be NULL or valid, as wasm.h requires.
#[no_mangle]
pub unsafe extern "C" fn wasm_extern_as_ref(ext: *mut wasm_extern_t) -> *mut wasm_ref_t {
    refs::as_ref(ext)
}

/// The reference seen as an extern (borrowed), or NULL if it refers to
/// something else.
///
/// # Safety
/// Pointer arguments must be NULL or valid, as wasm.h requires.
#[no_mangle]
pub unsafe extern "C" fn wasm_ref_as_extern(r: *mut wasm_ref_t) -> *mut wasm_extern_t {
    // SAFETY: forwarded from the caller.
    unsafe { refs::ref_as(r) }
}

/// Like `wasm_extern_as_ref`, for a const handle.
#[no_mangle]
pub extern "C" fn wasm_extern_as_ref_const(ext: Option<&wasm_extern_t>) -> Option<&wasm_ref_t> {
    ext.map(RefWrapper::as_wasm_ref)
}

/// Like `wasm_ref_as_extern`, for a const reference.
#[no_mangle]
pub extern "C" fn wasm_ref_as_extern_const(r: Option<&wasm_ref_t>) -> Option<&wasm_extern_t> {
    r.and_then(refs::downcast)
}
