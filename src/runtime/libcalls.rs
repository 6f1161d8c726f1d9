//! The builtin functions compiled code calls (see `builtins.rs` for the
//! ABI). Each one looks up its instance from the caller's `vmctx`, does
//! the work with explicit bounds checks and reports failure with a flag:
//! none of them traps, panics across the FFI boundary or unwinds.

use super::builtins::BuiltinFunction;
use super::instance::InstanceData;
use std::panic::{catch_unwind, AssertUnwindSafe};

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

/// The instance of the calling code.
///
/// # Safety
/// `vmctx` must be the caller's `VMContext`, as compiled code passes it.
unsafe fn instance<'a>(vmctx: *mut u8) -> &'a InstanceData {
    // SAFETY: forwarded from the caller.
    unsafe { InstanceData::from_vmctx(vmctx) }
}

const FAILED: u32 = 0;
const OK: u32 = 1;

unsafe extern "C" fn memory_grow(vmctx: *mut u8, memory: u32, delta: u64) -> u64 {
    guarded(u64::MAX, || {
        // SAFETY: called by compiled code with its own vmctx.
        let inst = unsafe { instance(vmctx) };
        inst.memory(memory)
            .and_then(|m| m.grow(delta).ok())
            .unwrap_or(u64::MAX)
    })
}

unsafe extern "C" fn memory_fill(
    vmctx: *mut u8,
    memory: u32,
    dst: u64,
    value: u32,
    len: u64,
) -> u32 {
    guarded(FAILED, || {
        // SAFETY: called by compiled code with its own vmctx.
        let inst = unsafe { instance(vmctx) };
        let Some(ptr) = inst.memory(memory).and_then(|m| m.checked_range(dst, len)) else {
            return FAILED;
        };
        // SAFETY: `checked_range` proved the range is inside the memory.
        unsafe { std::ptr::write_bytes(ptr, value as u8, len as usize) };
        OK
    })
}

unsafe extern "C" fn memory_copy(
    vmctx: *mut u8,
    dst_memory: u32,
    dst: u64,
    src_memory: u32,
    src: u64,
    len: u64,
) -> u32 {
    guarded(FAILED, || {
        // SAFETY: called by compiled code with its own vmctx.
        let inst = unsafe { instance(vmctx) };
        let dst_ptr = inst
            .memory(dst_memory)
            .and_then(|m| m.checked_range(dst, len));
        let src_ptr = inst
            .memory(src_memory)
            .and_then(|m| m.checked_range(src, len));
        let (Some(d), Some(s)) = (dst_ptr, src_ptr) else {
            return FAILED;
        };
        // SAFETY: both ranges are inside their memories; `copy` allows
        // overlap (memory.copy has memmove semantics).
        unsafe { std::ptr::copy(s, d, len as usize) };
        OK
    })
}

unsafe extern "C" fn memory_init(
    vmctx: *mut u8,
    memory: u32,
    data: u32,
    dst: u64,
    src: u32,
    len: u32,
) -> u32 {
    guarded(FAILED, || {
        // SAFETY: called by compiled code with its own vmctx.
        let inst = unsafe { instance(vmctx) };
        let bytes = inst.data_segment(data);
        let Some(src_bytes) = (src as usize)
            .checked_add(len as usize)
            .and_then(|end| bytes.get(src as usize..end))
        else {
            return FAILED;
        };
        let Some(ptr) = inst
            .memory(memory)
            .and_then(|m| m.checked_range(dst, u64::from(len)))
        else {
            return FAILED;
        };
        // SAFETY: the destination is inside the memory, the source inside
        // the module's segment bytes; they never overlap.
        unsafe { std::ptr::copy_nonoverlapping(src_bytes.as_ptr(), ptr, src_bytes.len()) };
        OK
    })
}

unsafe extern "C" fn data_drop(vmctx: *mut u8, data: u32) {
    guarded((), || {
        // SAFETY: called by compiled code with its own vmctx.
        unsafe { instance(vmctx) }.drop_data(data)
    })
}

unsafe extern "C" fn table_grow(vmctx: *mut u8, table: u32, delta: u64, init: *mut u8) -> u64 {
    guarded(u64::MAX, || {
        // SAFETY: called by compiled code with its own vmctx.
        let inst = unsafe { instance(vmctx) };
        inst.table(table)
            .and_then(|t| t.grow(delta, init as usize))
            .unwrap_or(u64::MAX)
    })
}

unsafe extern "C" fn table_fill(
    vmctx: *mut u8,
    table: u32,
    dst: u64,
    value: *mut u8,
    len: u64,
) -> u32 {
    guarded(FAILED, || {
        // SAFETY: called by compiled code with its own vmctx.
        let inst = unsafe { instance(vmctx) };
        match inst.table(table) {
            Some(t) if t.fill(dst, value as usize, len) => OK,
            _ => FAILED,
        }
    })
}

/// `[start, start + len)` as a range of a `size`-element table, if in bounds.
fn range_in(start: u64, len: u64, size: usize) -> Option<std::ops::Range<usize>> {
    let end = start.checked_add(len)?;
    (end <= size as u64).then_some(start as usize..end as usize)
}

unsafe extern "C" fn table_copy(
    vmctx: *mut u8,
    dst_table: u32,
    src_table: u32,
    dst: u64,
    src: u64,
    len: u64,
) -> u32 {
    guarded(FAILED, || {
        // SAFETY: called by compiled code with its own vmctx.
        let inst = unsafe { instance(vmctx) };
        let (Some(d), Some(s)) = (inst.table(dst_table), inst.table(src_table)) else {
            return FAILED;
        };
        let dst_elems = d.elements();
        let Some(dst_range) = range_in(dst, len, dst_elems.len()) else {
            return FAILED;
        };
        if std::ptr::eq(d, s) {
            let Some(src_range) = range_in(src, len, dst_elems.len()) else {
                return FAILED;
            };
            dst_elems.copy_within(src_range, dst_range.start);
        } else {
            let src_elems = s.elements();
            let Some(src_range) = range_in(src, len, src_elems.len()) else {
                return FAILED;
            };
            dst_elems[dst_range].copy_from_slice(&src_elems[src_range]);
        }
        OK
    })
}

unsafe extern "C" fn table_init(
    vmctx: *mut u8,
    table: u32,
    elem: u32,
    dst: u64,
    src: u32,
    len: u32,
) -> u32 {
    guarded(FAILED, || {
        // SAFETY: called by compiled code with its own vmctx.
        let inst = unsafe { instance(vmctx) };
        let items = inst.elem_segment(elem);
        let Some(src_range) = range_in(u64::from(src), u64::from(len), items.len()) else {
            return FAILED;
        };
        let Some(t) = inst.table(table) else {
            return FAILED;
        };
        let elements = t.elements();
        let Some(dst_range) = range_in(dst, u64::from(len), elements.len()) else {
            return FAILED;
        };
        elements[dst_range].copy_from_slice(&items[src_range]);
        OK
    })
}

unsafe extern "C" fn elem_drop(vmctx: *mut u8, elem: u32) {
    guarded((), || {
        // SAFETY: called by compiled code with its own vmctx.
        unsafe { instance(vmctx) }.drop_elem(elem)
    })
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
