//! The builtin functions compiled code calls (see `builtins.rs` for the
//! ABI). Each one looks up its instance from the caller's `vmctx`, does
//! the work with explicit bounds checks and reports failure with a flag:
//! none of them traps, panics across the FFI boundary or unwinds. The
//! exceptions are `RaiseTrap` and `ThrowRef`, whose entries are
//! `wr_raise_trap` and `wr_throw_ref` in `traphandlers` (the trap and
//! throw paths themselves, in assembly).

use super::gc;
use super::instance::InstanceData;
use super::parking;
use super::table::TableData;
use super::traphandlers::SafepointFrame;
use super::traphandlers::{wr_raise_trap, wr_throw_ref};
use super::type_registry;
use super::wmemcheck;
use crate::environ::builtins::{BuiltinFunction, WmemcheckRole};
use crate::environ::{CompositeType, FieldType};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr::NonNull;

/// The table `VMContext::BUILTINS` points at, in `BuiltinFunction` order.
struct BuiltinTable([*const u8; BuiltinFunction::COUNT]);

// SAFETY: the table holds addresses of functions, immutable and valid for
// the whole process.
unsafe impl Sync for BuiltinTable {}

static TABLE: BuiltinTable = BuiltinTable([
    memory_grow as *const u8,
    memory_fill as *const u8,
    memory_copy as *const u8,
    memory_init as *const u8,
    data_drop as *const u8,
    table_grow as *const u8,
    table_fill as *const u8,
    table_copy as *const u8,
    table_init as *const u8,
    elem_drop as *const u8,
    wr_raise_trap as *const u8,
    epoch_deadline as *const u8,
    memory_atomic_wait32 as *const u8,
    memory_atomic_wait64 as *const u8,
    memory_atomic_notify as *const u8,
    exn_alloc as *const u8,
    wr_throw_ref as *const u8,
    table_get_lazy_init as *const u8,
    out_of_fuel as *const u8,
    wmemcheck_load as *const u8,
    wmemcheck_store as *const u8,
    wmemcheck_enter as *const u8,
    wmemcheck_exit as *const u8,
    wr_gc_alloc_struct as *const u8,
    wr_gc_alloc_array as *const u8,
    array_new_data as *const u8,
    array_new_elem as *const u8,
    array_init_data as *const u8,
    array_init_elem as *const u8,
    array_copy as *const u8,
    is_subtype as *const u8,
]);

/// The builtin table every `VMContext` points at.
pub(crate) fn builtin_table() -> *const u8 {
    TABLE.0.as_ptr().cast()
}

/// Runs `f`, turning a panic (a runtime bug) into the failure value so it
/// never crosses into compiled code.
fn guarded<R>(failure: R, f: impl FnOnce() -> R) -> R {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or(failure)
}

/// Runs `f` on the instance of the calling code, turning a panic into
/// `failure` (see [`guarded`]).
///
/// # Safety
/// `vmctx` must be the caller's `VMContext`, as compiled code passes it.
unsafe fn with_instance<R>(vmctx: *mut u8, failure: R, f: impl FnOnce(&InstanceData) -> R) -> R {
    guarded(failure, || {
        // SAFETY: forwarded from the caller.
        f(unsafe { InstanceData::from_vmctx(vmctx) })
    })
}

const FAILED: u32 = 0;
const OK: u32 = 1;

/// [`with_instance`] for builtins that report success as `OK` and any
/// failure (`None`, e.g. an out-of-bounds range) as `FAILED`.
///
/// # Safety
/// As for [`with_instance`].
unsafe fn checked(vmctx: *mut u8, f: impl FnOnce(&InstanceData) -> Option<()>) -> u32 {
    // SAFETY: forwarded from the caller.
    unsafe { with_instance(vmctx, FAILED, |inst| f(inst).map_or(FAILED, |()| OK)) }
}

/// `[start, start + len)` as a range of a `size`-element table or segment,
/// if in bounds.
fn range_in(start: u64, len: u64, size: usize) -> Option<std::ops::Range<usize>> {
    let end = start.checked_add(len)?;
    (end <= size as u64).then_some(start as usize..end as usize)
}

unsafe extern "C" fn memory_grow(vmctx: *mut u8, memory: u32, delta: u64) -> u64 {
    // SAFETY: called by compiled code with its own vmctx.
    unsafe {
        with_instance(vmctx, u64::MAX, |inst| {
            inst.memory(memory)
                .and_then(|m| inst.store().grow_memory(m, delta).ok())
                .unwrap_or(u64::MAX)
        })
    }
}

/// A new exception object of the caller's tag `tag` (module-wide index),
/// payload zeroed, owned by the store. Null only for a tag index the
/// instance does not have or a panic in the runtime, neither of which
/// validated code can cause.
unsafe extern "C" fn exn_alloc(vmctx: *mut u8, tag: u32) -> *mut u8 {
    // SAFETY: called by compiled code with its own vmctx.
    unsafe {
        with_instance(vmctx, std::ptr::null_mut(), |inst| match inst.tag(tag) {
            Some(tag) => super::exn::alloc(&inst.store(), tag).as_ptr().cast(),
            None => std::ptr::null_mut(),
        })
    }
}

/// The epoch deadline passed: the store's callback decides whether wasm
/// goes on (`OK`, with a new deadline) or traps with `Interrupt` (`FAILED`:
/// no callback, or it said stop; its reason waits in the store).
unsafe extern "C" fn epoch_deadline(vmctx: *mut u8) -> u32 {
    // SAFETY: called by compiled code with its own vmctx.
    unsafe {
        with_instance(vmctx, FAILED, |inst| {
            if inst.store().on_epoch_deadline() {
                OK
            } else {
                FAILED
            }
        })
    }
}

/// The fuel compiled code sees ran out: the store refuels it from its
/// reserve, yielding an async call first (`OK`), or wasm traps with
/// `OutOfFuel` (`FAILED`: no reserve left, or the call was cancelled).
unsafe extern "C" fn out_of_fuel(vmctx: *mut u8) -> u32 {
    // SAFETY: called by compiled code with its own vmctx.
    unsafe {
        with_instance(vmctx, FAILED, |inst| {
            if inst.store().on_out_of_fuel() {
                OK
            } else {
                FAILED
            }
        })
    }
}

unsafe extern "C" fn memory_fill(
    vmctx: *mut u8,
    memory: u32,
    dst: u64,
    value: u32,
    len: u64,
) -> u32 {
    let fill = |inst: &InstanceData| {
        let ptr = inst.memory(memory)?.checked_range(dst, len)?;
        // SAFETY: `checked_range` proved the range is inside the memory.
        unsafe { std::ptr::write_bytes(ptr, value as u8, len as usize) };
        Some(())
    };
    // SAFETY: called by compiled code with its own vmctx.
    unsafe { checked(vmctx, fill) }
}

unsafe extern "C" fn memory_copy(
    vmctx: *mut u8,
    dst_memory: u32,
    dst: u64,
    src_memory: u32,
    src: u64,
    len: u64,
) -> u32 {
    let copy = |inst: &InstanceData| {
        let d = inst.memory(dst_memory)?.checked_range(dst, len)?;
        let s = inst.memory(src_memory)?.checked_range(src, len)?;
        // SAFETY: both ranges are inside their memories; `copy` allows
        // overlap (memory.copy has memmove semantics).
        unsafe { std::ptr::copy(s, d, len as usize) };
        Some(())
    };
    // SAFETY: called by compiled code with its own vmctx.
    unsafe { checked(vmctx, copy) }
}

unsafe extern "C" fn memory_init(
    vmctx: *mut u8,
    memory: u32,
    data: u32,
    dst: u64,
    src: u32,
    len: u32,
) -> u32 {
    let init = |inst: &InstanceData| {
        let bytes = inst.data_segment(data);
        let src_bytes = &bytes[range_in(u64::from(src), u64::from(len), bytes.len())?];
        let ptr = inst.memory(memory)?.checked_range(dst, u64::from(len))?;
        // SAFETY: the destination is inside the memory, the source inside
        // the module's segment bytes; they never overlap.
        unsafe { std::ptr::copy_nonoverlapping(src_bytes.as_ptr(), ptr, src_bytes.len()) };
        Some(())
    };
    // SAFETY: called by compiled code with its own vmctx.
    unsafe { checked(vmctx, init) }
}

unsafe extern "C" fn data_drop(vmctx: *mut u8, data: u32) {
    // SAFETY: called by compiled code with its own vmctx.
    unsafe { with_instance(vmctx, (), |inst| inst.drop_data(data)) }
}

unsafe extern "C" fn table_grow(vmctx: *mut u8, table: u32, delta: u64, init: *mut u8) -> u64 {
    // SAFETY: called by compiled code with its own vmctx.
    unsafe {
        with_instance(vmctx, u64::MAX, |inst| {
            inst.table(table)
                .and_then(|t| inst.store().grow_table(t, delta, init as usize))
                .unwrap_or(u64::MAX)
        })
    }
}

unsafe extern "C" fn table_fill(
    vmctx: *mut u8,
    table: u32,
    dst: u64,
    value: *mut u8,
    len: u64,
) -> u32 {
    // SAFETY: called by compiled code with its own vmctx.
    unsafe {
        checked(vmctx, |inst| {
            inst.table(table)?
                .fill(dst, value as usize, len)
                .then_some(())
        })
    }
}

unsafe extern "C" fn table_copy(
    vmctx: *mut u8,
    dst_table: u32,
    src_table: u32,
    dst: u64,
    src: u64,
    len: u64,
) -> u32 {
    // SAFETY: called by compiled code with its own vmctx.
    unsafe {
        checked(vmctx, |inst| {
            let (d, s) = (inst.table(dst_table)?, inst.table(src_table)?);
            let dst_range = range_in(dst, len, d.size() as usize)?;
            let src_range = range_in(src, len, s.size() as usize)?;
            TableData::copy(d, s, dst_range, src_range);
            Some(())
        })
    }
}

unsafe extern "C" fn table_init(
    vmctx: *mut u8,
    table: u32,
    elem: u32,
    dst: u64,
    src: u32,
    len: u32,
) -> u32 {
    // SAFETY: called by compiled code with its own vmctx.
    unsafe {
        checked(vmctx, |inst| {
            let items = inst.elem_segment(elem);
            let src_range = range_in(u64::from(src), u64::from(len), items.len())?;
            let table = inst.table(table)?;
            let encoding = table.encoding();
            // SAFETY: the slice is local to this copy, which runs no other
            // code.
            let dst_range = range_in(dst, u64::from(len), table.size() as usize)?;
            let dst = table.elements_mut_in(dst_range);
            dst.copy_from_slice(&items[src_range]);
            encoding.encode_all(dst);
            Some(())
        })
    }
}

/// Element `index` (in bounds: compiled code checked) of the calling
/// instance's lazily initialised funcref table `table`, initialised now:
/// the untagged value (null only if the runtime failed to find the table,
/// which compiled code never lets happen).
unsafe extern "C" fn table_get_lazy_init(vmctx: *mut u8, table: u32, index: u64) -> *mut u8 {
    // SAFETY: called by compiled code with its own vmctx.
    unsafe {
        with_instance(vmctx, std::ptr::null_mut(), |inst| {
            inst.table(table)
                .and_then(|t| t.get_and_init(index))
                .map_or(std::ptr::null_mut(), |v| v as *mut u8)
        })
    }
}

unsafe extern "C" fn elem_drop(vmctx: *mut u8, elem: u32) {
    // SAFETY: called by compiled code with its own vmctx.
    unsafe { with_instance(vmctx, (), |inst| inst.drop_elem(elem)) }
}

/// The shared memory `memory` of the calling instance and the native
/// address of `addr` in it, for a `size`-byte access: `None` when the
/// memory is not shared or the access is not inside it (compiled code
/// checks both before calling; this keeps the builtin sound on its own).
fn shared_address(inst: &InstanceData, memory: u32, addr: u64, size: u64) -> Option<*mut u8> {
    let memory = inst.memory(memory)?;
    memory.shared()?;
    memory.checked_range(addr, size)
}

unsafe extern "C" fn memory_atomic_wait32(
    vmctx: *mut u8,
    memory: u32,
    addr: u64,
    expected: u32,
    timeout: i64,
) -> u32 {
    let wait = |inst: &InstanceData| match shared_address(inst, memory, addr, 4) {
        // SAFETY: `ptr` is 4-byte aligned (compiled code checked the wasm
        // address, and the base is page aligned) and inside a shared
        // memory, which lives while the instance does.
        Some(ptr) => unsafe { parking::wait32(ptr.cast(), expected, timeout) as u32 },
        None => parking::WaitResult::NotEqual as u32,
    };
    // SAFETY: called by compiled code with its own vmctx.
    unsafe { with_instance(vmctx, parking::WaitResult::NotEqual as u32, wait) }
}

unsafe extern "C" fn memory_atomic_wait64(
    vmctx: *mut u8,
    memory: u32,
    addr: u64,
    expected: u64,
    timeout: i64,
) -> u32 {
    let wait = |inst: &InstanceData| match shared_address(inst, memory, addr, 8) {
        // SAFETY: as in `memory_atomic_wait32`, 8-byte aligned.
        Some(ptr) => unsafe { parking::wait64(ptr.cast(), expected, timeout) as u32 },
        None => parking::WaitResult::NotEqual as u32,
    };
    // SAFETY: called by compiled code with its own vmctx.
    unsafe { with_instance(vmctx, parking::WaitResult::NotEqual as u32, wait) }
}

unsafe extern "C" fn memory_atomic_notify(
    vmctx: *mut u8,
    memory: u32,
    addr: u64,
    count: u32,
) -> u32 {
    // SAFETY: called by compiled code with its own vmctx.
    unsafe {
        with_instance(vmctx, 0, |inst| {
            match shared_address(inst, memory, addr, 4) {
                Some(ptr) => parking::notify(ptr as usize, count),
                None => 0,
            }
        })
    }
}

/// `wmemcheck`'s check of a `len`-byte access of memory 0 at `index +
/// offset`: `OK`, or `FAILED` with the message left for the `MemoryCheck`
/// trap. A runtime panic lets the access go on (`OK`): a checker bug must
/// not pass for a guest's heap error.
///
/// # Safety
/// As for [`with_instance`].
unsafe fn wmemcheck_access(vmctx: *mut u8, index: u64, offset: u64, len: u64, write: bool) -> u32 {
    let check = |inst: &InstanceData| {
        let Some(memory) = inst.memory(0) else {
            return OK;
        };
        let memory_len = memory.byte_len() as u64;
        match inst
            .wmemcheck()
            .access(index, offset, len, write, memory_len)
        {
            Ok(()) => OK,
            Err(message) => {
                wmemcheck::set_error(message);
                FAILED
            }
        }
    };
    // SAFETY: forwarded from the caller.
    unsafe { with_instance(vmctx, OK, check) }
}

unsafe extern "C" fn wmemcheck_load(vmctx: *mut u8, index: u64, offset: u64, len: u64) -> u32 {
    // SAFETY: called by compiled code with its own vmctx.
    unsafe { wmemcheck_access(vmctx, index, offset, len, false) }
}

unsafe extern "C" fn wmemcheck_store(vmctx: *mut u8, index: u64, offset: u64, len: u64) -> u32 {
    // SAFETY: called by compiled code with its own vmctx.
    unsafe { wmemcheck_access(vmctx, index, offset, len, true) }
}

/// Entry of the allocator function of role `role` with parameters
/// `a0..a2`: `FAILED` (message left for the trap) when the call is a heap
/// error.
unsafe extern "C" fn wmemcheck_enter(vmctx: *mut u8, role: u32, a0: u64, a1: u64, a2: u64) -> u32 {
    let enter = |inst: &InstanceData| {
        let Some(role) = WmemcheckRole::from_code(role) else {
            return OK;
        };
        match inst.wmemcheck().enter(role, [a0, a1, a2]) {
            Ok(()) => OK,
            Err(message) => {
                wmemcheck::set_error(message);
                FAILED
            }
        }
    };
    // SAFETY: called by compiled code with its own vmctx.
    unsafe { with_instance(vmctx, OK, enter) }
}

/// A return of the allocator function of role `role`, with `result`.
unsafe extern "C" fn wmemcheck_exit(vmctx: *mut u8, role: u32, result: u64) {
    let exit = |inst: &InstanceData| {
        let (Some(role), Some(memory)) = (WmemcheckRole::from_code(role), inst.memory(0)) else {
            return;
        };
        let read_address = |at: u64, wide: bool| {
            let size = if wide { 8 } else { 4 };
            let ptr = memory.checked_range(at, size)?;
            let mut bytes = [0u8; 8];
            // SAFETY: `checked_range` proved the `size` bytes are inside
            // the memory; `bytes` holds 8.
            unsafe { std::ptr::copy_nonoverlapping(ptr, bytes.as_mut_ptr(), size as usize) };
            Some(u64::from_le_bytes(bytes))
        };
        let memory_len = memory.byte_len() as u64;
        inst.wmemcheck()
            .exit(role, result, memory_len, read_address);
    };
    // SAFETY: called by compiled code with its own vmctx.
    unsafe { with_instance(vmctx, (), exit) }
}

// ----- wasm GC -----

/// The element type of the calling module's array type `ty`.
fn array_element(inst: &InstanceData, ty: u32) -> Option<FieldType> {
    match inst.module().info().types.get(ty as usize)?.composite {
        CompositeType::Array(element) => Some(element),
        _ => None,
    }
}

/// A new array of the calling module's type `ty` and `len` elements, or
/// `None` when it is too large.
fn new_array(inst: &InstanceData, ty: u32, len: u32) -> Option<NonNull<u8>> {
    let sub = inst.module().info().types.get(ty as usize)?;
    let id = inst.module().type_ids()[ty as usize];
    gc::alloc_array(&inst.store(), id, sub, len)
}

extern "C" {
    /// The `GcAllocStruct` builtin: `gc_alloc_struct_at` with the calling
    /// wasm frame's position added (see `entry_*`).
    fn wr_gc_alloc_struct(vmctx: *mut u8, ty: u32) -> *mut u8;
    /// The `GcAllocArray` builtin: `gc_alloc_array_at`, as above.
    fn wr_gc_alloc_array(vmctx: *mut u8, ty: u32, len: u32) -> *mut u8;
}

/// Allocates with `alloc`, collecting first when the heap asks for it and
/// once more when the allocation fails: the calling frame `frame` and its
/// callers are roots.
fn alloc_collecting(
    inst: &InstanceData,
    frame: SafepointFrame,
    alloc: impl Fn() -> Option<NonNull<u8>>,
) -> *mut u8 {
    let store = inst.store();
    if store.wants_collection() {
        store.collect_garbage(Some(frame));
    }
    if let Some(object) = alloc() {
        return object.as_ptr();
    }
    store.collect_garbage(Some(frame));
    alloc().map_or(std::ptr::null_mut(), |p| p.as_ptr())
}

/// `struct.new*`: a zeroed struct of the calling module's type `ty`, or
/// null when the store's heap has no room. `pc`, `fp` and `sp` are the
/// calling wasm frame's (added by `wr_gc_alloc_struct`).
pub(super) unsafe extern "C" fn gc_alloc_struct_at(
    vmctx: *mut u8,
    ty: u32,
    pc: usize,
    fp: usize,
    sp: usize,
) -> *mut u8 {
    // SAFETY: called by compiled code with its own vmctx.
    unsafe {
        with_instance(vmctx, std::ptr::null_mut(), |inst| {
            let Some(sub) = inst.module().info().types.get(ty as usize) else {
                return std::ptr::null_mut();
            };
            let id = inst.module().type_ids()[ty as usize];
            let store = inst.store();
            alloc_collecting(inst, SafepointFrame { pc, sp, fp }, || {
                gc::alloc_struct(&store, id, sub)
            })
        })
    }
}

/// `array.new*`: a zeroed array, or null when it is too large (`pc`, `fp`
/// and `sp` as for `gc_alloc_struct_at`).
pub(super) unsafe extern "C" fn gc_alloc_array_at(
    vmctx: *mut u8,
    ty: u32,
    len: u32,
    pc: usize,
    fp: usize,
    sp: usize,
) -> *mut u8 {
    // SAFETY: called by compiled code with its own vmctx.
    unsafe {
        with_instance(vmctx, std::ptr::null_mut(), |inst| {
            alloc_collecting(inst, SafepointFrame { pc, sp, fp }, || {
                new_array(inst, ty, len)
            })
        })
    }
}

/// The bytes of `len` elements of `element` at byte `offset` of data
/// segment `data` (empty once dropped), if they are all inside it.
fn data_elements(
    inst: &InstanceData,
    data: u32,
    element: FieldType,
    offset: u32,
    len: u32,
) -> Option<&[u8]> {
    let bytes = inst.data_segment(data);
    let size = u64::from(element.storage.size()) * u64::from(len);
    Some(&bytes[range_in(u64::from(offset), size, bytes.len())?])
}

/// Items `offset..offset + len` of element segment `elem`, if in bounds.
fn elem_items(inst: &InstanceData, elem: u32, offset: u32, len: u32) -> Option<&[usize]> {
    let items = inst.elem_segment(elem);
    Some(&items[range_in(u64::from(offset), u64::from(len), items.len())?])
}

/// Writes reference `items` into elements `start..` of `array`.
///
/// # Safety
/// `array` must be a live array of reference elements (`element`) with
/// at least `start + items.len()` elements.
unsafe fn write_ref_elements(array: NonNull<u8>, element: FieldType, start: u32, items: &[usize]) {
    for (i, &item) in items.iter().enumerate() {
        // SAFETY: forwarded: element `start + i` is in the array, and
        // reference elements are words.
        unsafe {
            gc::array_elem(array, element, start + i as u32)
                .cast::<usize>()
                .write(item)
        };
    }
}

/// What `array_new_data`/`array_new_elem` return when the segment range
/// is out of bounds (odd, so never an object's address).
const SEGMENT_OUT_OF_BOUNDS: usize = 1;

/// `array.new_data`: an array of `len` elements read from data segment
/// `data` at byte `offset`.
unsafe extern "C" fn array_new_data(
    vmctx: *mut u8,
    ty: u32,
    data: u32,
    offset: u32,
    len: u32,
) -> *mut u8 {
    let new = |inst: &InstanceData| -> usize {
        let Some(element) = array_element(inst, ty) else {
            return 0;
        };
        let Some(bytes) = data_elements(inst, data, element, offset, len) else {
            return SEGMENT_OUT_OF_BOUNDS;
        };
        let Some(array) = new_array(inst, ty, len) else {
            return 0;
        };
        // SAFETY: the array has `len` elements, `bytes` their bytes.
        unsafe { gc::copy_data_into(gc::array_elem(array, element, 0), bytes) };
        array.as_ptr() as usize
    };
    // SAFETY: called by compiled code with its own vmctx.
    unsafe { with_instance(vmctx, 0, new) as *mut u8 }
}

/// `array.new_elem`: an array of `len` references from element segment
/// `elem` at `offset`.
unsafe extern "C" fn array_new_elem(
    vmctx: *mut u8,
    ty: u32,
    elem: u32,
    offset: u32,
    len: u32,
) -> *mut u8 {
    let new = |inst: &InstanceData| -> usize {
        let Some(element) = array_element(inst, ty) else {
            return 0;
        };
        let Some(items) = elem_items(inst, elem, offset, len) else {
            return SEGMENT_OUT_OF_BOUNDS;
        };
        let Some(array) = new_array(inst, ty, len) else {
            return 0;
        };
        // SAFETY: the new array has `len` reference elements.
        unsafe { write_ref_elements(array, element, 0, items) };
        array.as_ptr() as usize
    };
    // SAFETY: called by compiled code with its own vmctx.
    unsafe { with_instance(vmctx, 0, new) as *mut u8 }
}

/// What `array_init_*` return.
const INIT_DONE: u32 = 0;
const INIT_ARRAY_OUT_OF_BOUNDS: u32 = 1;
const INIT_SEGMENT_OUT_OF_BOUNDS: u32 = 2;

/// The element type and address of the array `array` of the calling
/// module's type `ty`, when elements `dst..dst + len` are inside it.
fn init_target(
    inst: &InstanceData,
    ty: u32,
    array: *mut u8,
    dst: u32,
    len: u32,
) -> Option<(FieldType, NonNull<u8>)> {
    let (element, array) = (array_element(inst, ty)?, NonNull::new(array)?);
    // SAFETY: compiled code passes a live array of type `ty`.
    let array_len = unsafe { gc::array_len(array) };
    range_in(u64::from(dst), u64::from(len), array_len as usize)?;
    Some((element, array))
}

/// `array.init_data` into the non-null array `array` of type `ty`.
unsafe extern "C" fn array_init_data(
    vmctx: *mut u8,
    ty: u32,
    array: *mut u8,
    dst: u32,
    data: u32,
    src: u32,
    len: u32,
) -> u32 {
    let init = |inst: &InstanceData| -> u32 {
        let Some((element, array)) = init_target(inst, ty, array, dst, len) else {
            return INIT_ARRAY_OUT_OF_BOUNDS;
        };
        let Some(bytes) = data_elements(inst, data, element, src, len) else {
            return INIT_SEGMENT_OUT_OF_BOUNDS;
        };
        // SAFETY: elements `dst..dst + len` are in the array.
        unsafe { gc::copy_data_into(gc::array_elem(array, element, dst), bytes) };
        INIT_DONE
    };
    // SAFETY: called by compiled code with its own vmctx.
    unsafe { with_instance(vmctx, INIT_ARRAY_OUT_OF_BOUNDS, init) }
}

/// `array.init_elem` into the non-null array `array` of type `ty`.
unsafe extern "C" fn array_init_elem(
    vmctx: *mut u8,
    ty: u32,
    array: *mut u8,
    dst: u32,
    elem: u32,
    src: u32,
    len: u32,
) -> u32 {
    let init = |inst: &InstanceData| -> u32 {
        let Some((element, array)) = init_target(inst, ty, array, dst, len) else {
            return INIT_ARRAY_OUT_OF_BOUNDS;
        };
        let Some(items) = elem_items(inst, elem, src, len) else {
            return INIT_SEGMENT_OUT_OF_BOUNDS;
        };
        // SAFETY: elements `dst..dst + len` of the array hold references.
        unsafe { write_ref_elements(array, element, dst, items) };
        INIT_DONE
    };
    // SAFETY: called by compiled code with its own vmctx.
    unsafe { with_instance(vmctx, INIT_ARRAY_OUT_OF_BOUNDS, init) }
}

/// `array.copy` of `len` elements between non-null arrays whose elements
/// have the size of type `ty`'s (validation makes the element types
/// compatible); the ranges may overlap.
unsafe extern "C" fn array_copy(
    vmctx: *mut u8,
    ty: u32,
    dst: *mut u8,
    dst_index: u32,
    src: *mut u8,
    src_index: u32,
    len: u32,
) -> u32 {
    let copy = |inst: &InstanceData| -> Option<()> {
        let element = array_element(inst, ty)?;
        let (dst, src) = (NonNull::new(dst)?, NonNull::new(src)?);
        // SAFETY: compiled code passes live arrays.
        let (dst_len, src_len) = unsafe { (gc::array_len(dst), gc::array_len(src)) };
        range_in(u64::from(dst_index), u64::from(len), dst_len as usize)?;
        range_in(u64::from(src_index), u64::from(len), src_len as usize)?;
        let bytes = element.storage.size() as usize * len as usize;
        // SAFETY: both ranges are inside their arrays; `copy` allows overlap.
        unsafe {
            std::ptr::copy(
                gc::array_elem(src, element, src_index),
                gc::array_elem(dst, element, dst_index),
                bytes,
            )
        };
        Some(())
    };
    // SAFETY: called by compiled code with its own vmctx.
    unsafe { checked(vmctx, copy) }
}

/// Whether canonical type `actual` is `expected` or declares it among its
/// supertypes: 1 or 0.
unsafe extern "C" fn is_subtype(_vmctx: *mut u8, actual: u32, expected: u32) -> u32 {
    guarded(0, || u32::from(type_registry::is_subtype(actual, expected)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_follows_builtin_order() {
        let expected = |f: BuiltinFunction| -> *const u8 {
            match f {
                BuiltinFunction::MemoryGrow => memory_grow as *const u8,
                BuiltinFunction::MemoryFill => memory_fill as *const u8,
                BuiltinFunction::MemoryCopy => memory_copy as *const u8,
                BuiltinFunction::MemoryInit => memory_init as *const u8,
                BuiltinFunction::DataDrop => data_drop as *const u8,
                BuiltinFunction::TableGrow => table_grow as *const u8,
                BuiltinFunction::TableFill => table_fill as *const u8,
                BuiltinFunction::TableCopy => table_copy as *const u8,
                BuiltinFunction::TableInit => table_init as *const u8,
                BuiltinFunction::ElemDrop => elem_drop as *const u8,
                BuiltinFunction::RaiseTrap => wr_raise_trap as *const u8,
                BuiltinFunction::EpochDeadline => epoch_deadline as *const u8,
                BuiltinFunction::MemoryAtomicWait32 => memory_atomic_wait32 as *const u8,
                BuiltinFunction::MemoryAtomicWait64 => memory_atomic_wait64 as *const u8,
                BuiltinFunction::MemoryAtomicNotify => memory_atomic_notify as *const u8,
                BuiltinFunction::ExnAlloc => exn_alloc as *const u8,
                BuiltinFunction::ThrowRef => wr_throw_ref as *const u8,
                BuiltinFunction::TableGetLazyInit => table_get_lazy_init as *const u8,
                BuiltinFunction::OutOfFuel => out_of_fuel as *const u8,
                BuiltinFunction::WmemcheckLoad => wmemcheck_load as *const u8,
                BuiltinFunction::WmemcheckStore => wmemcheck_store as *const u8,
                BuiltinFunction::WmemcheckEnter => wmemcheck_enter as *const u8,
                BuiltinFunction::WmemcheckExit => wmemcheck_exit as *const u8,
                BuiltinFunction::GcAllocStruct => wr_gc_alloc_struct as *const u8,
                BuiltinFunction::GcAllocArray => wr_gc_alloc_array as *const u8,
                BuiltinFunction::ArrayNewData => array_new_data as *const u8,
                BuiltinFunction::ArrayNewElem => array_new_elem as *const u8,
                BuiltinFunction::ArrayInitData => array_init_data as *const u8,
                BuiltinFunction::ArrayInitElem => array_init_elem as *const u8,
                BuiltinFunction::ArrayCopy => array_copy as *const u8,
                BuiltinFunction::IsSubtype => is_subtype as *const u8,
            }
        };
        for f in BuiltinFunction::ALL {
            assert_eq!(TABLE.0[f as usize], expected(f), "{f:?}");
        }
    }

    #[test]
    fn ranges_check_overflow_and_size() {
        assert_eq!(range_in(2, 3, 5), Some(2..5));
        assert_eq!(range_in(2, 4, 5), None);
        assert_eq!(range_in(u64::MAX, 2, 5), None);
        assert_eq!(range_in(5, 0, 5), Some(5..5));
        assert_eq!(range_in(6, 0, 5), None);
    }
}
