//! The `#[repr(C)]` structures compiled code reads, laid out exactly as
//! `vmoffsets` says (checked at compile time below).

use crate::environ::val_raw::HostArrayCall;
use crate::environ::vmoffsets::{func_ref, global_def, memory_def, runtime_limits, table_def};
use std::mem::{offset_of, size_of};
use std::sync::atomic::AtomicU64;

/// What a funcref value points at; see `vmoffsets::func_ref`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub(crate) struct VMFuncRef {
    pub wasm_call: *const u8,
    pub vmctx: *mut u8,
    pub type_id: u32,
    pub _pad: u32,
}

impl VMFuncRef {
    pub const NULL: VMFuncRef = VMFuncRef {
        wasm_call: std::ptr::null(),
        vmctx: std::ptr::null_mut(),
        type_id: u32::MAX,
        _pad: 0,
    };
}

/// A linear memory's base and length; see `vmoffsets::memory_def`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub(crate) struct VMMemoryDefinition {
    pub base: *mut u8,
    pub current_length: usize,
}

/// A table's element array and length; see `vmoffsets::table_def`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub(crate) struct VMTableDefinition {
    pub base: *mut usize,
    pub current_elements: usize,
}

/// A global's storage; see `vmoffsets::global_def`.
#[repr(C, align(16))]
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct VMGlobalDefinition {
    pub bytes: [u8; 16],
}

/// Per-store state compiled code reads; see `vmoffsets::runtime_limits`.
#[repr(C)]
#[derive(Debug)]
pub(crate) struct VMRuntimeLimits {
    pub stack_limit: usize,
    pub fuel_consumed: i64,
    pub epoch_deadline: u64,
    pub epoch_counter: *const AtomicU64,
}

/// The `vmctx` of a host function's `VMFuncRef`. Compiled code only reads
/// `array_call`; the rest is the runtime's.
#[repr(C)]
pub(crate) struct VMHostFuncContext {
    pub array_call: HostArrayCall,
    /// The host function's canonical `VMFuncRef` (`vmctx` = this context).
    pub func_ref: VMFuncRef,
    /// The runtime's record of the function.
    pub func: *const super::func::FuncData,
}

const _: () = {
    assert!(offset_of!(VMFuncRef, wasm_call) == func_ref::WASM_CALL as usize);
    assert!(offset_of!(VMFuncRef, vmctx) == func_ref::VMCTX as usize);
    assert!(offset_of!(VMFuncRef, type_id) == func_ref::TYPE_ID as usize);
    assert!(size_of::<VMFuncRef>() == func_ref::SIZE as usize);
    assert!(offset_of!(VMMemoryDefinition, base) == memory_def::BASE as usize);
    assert!(offset_of!(VMMemoryDefinition, current_length) == memory_def::CURRENT_LENGTH as usize);
    assert!(size_of::<VMMemoryDefinition>() == memory_def::SIZE as usize);
    assert!(offset_of!(VMTableDefinition, base) == table_def::BASE as usize);
    assert!(
        offset_of!(VMTableDefinition, current_elements) == table_def::CURRENT_ELEMENTS as usize
    );
    assert!(size_of::<VMTableDefinition>() == table_def::SIZE as usize);
    assert!(size_of::<VMGlobalDefinition>() == global_def::SIZE as usize);
    assert!(offset_of!(VMRuntimeLimits, stack_limit) == runtime_limits::STACK_LIMIT as usize);
    assert!(offset_of!(VMRuntimeLimits, fuel_consumed) == runtime_limits::FUEL_CONSUMED as usize);
    assert!(offset_of!(VMRuntimeLimits, epoch_deadline) == runtime_limits::EPOCH_DEADLINE as usize);
    assert!(
        offset_of!(VMRuntimeLimits, epoch_counter) == runtime_limits::EPOCH_COUNTER_PTR as usize
    );
    assert!(size_of::<VMRuntimeLimits>() == runtime_limits::SIZE as usize);
    assert!(
        offset_of!(VMHostFuncContext, array_call)
            == crate::environ::vmoffsets::host_func_ctx::ARRAY_CALL as usize
    );
};
