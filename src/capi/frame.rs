//! `wasm_frame_t`: one frame of a trap's backtrace.

use std::sync::Arc;

use crate::capi::importtype::name_of;
use crate::capi::instance::wasm_instance_t;
use crate::capi::r#ref::{wasm_ref_t, RefKind};
use crate::capi::store::StoreContext;
use crate::capi::vec::{wasm_name_t, OwnedVec};
use crate::runtime::FrameInfo;

/// One frame of a trap's backtrace (innermost first in `wasm_trap_trace`);
/// owned by the caller and freed with `wasm_frame_delete`.
#[derive(Clone)]
pub struct wasm_frame_t {
    /// The instance the frame's function belongs to, when known; a handle
    /// owned by the frame, since `wasm_frame_instance` lends it out.
    pub(crate) instance: Option<wasm_instance_t>,
    /// Index of the function in its module's function index space.
    pub(crate) func_index: u32,
    /// Byte offset of the instruction within its function's body.
    pub(crate) func_offset: usize,
    /// Byte offset of the instruction within the module binary.
    pub(crate) module_offset: usize,
    /// The function's name from the name section, when it has one.
    pub(crate) func_name: Option<OwnedVec<wasm_name_t>>,
    /// The module's name from the name section, when it has one.
    pub(crate) module_name: Option<OwnedVec<wasm_name_t>>,
    /// File, line and column from the module's DWARF
    /// (`wasm_backtrace_details`), when known.
    pub(crate) source: Option<crate::module::SourceLocation>,
}

impl wasm_frame_t {
    /// The C view of a runtime backtrace frame of a trap in the store of
    /// `ctx`.
    pub(crate) fn new(info: &FrameInfo, ctx: Option<&Arc<StoreContext>>) -> wasm_frame_t {
        wasm_frame_t {
            instance: info.instance.as_ref().map(|i| wasm_instance_t {
                r: wasm_ref_t {
                    kind: RefKind::Instance(i.clone()),
                    ctx: ctx.cloned(),
                },
            }),
            func_index: info.func_index,
            func_offset: info.func_offset,
            module_offset: info.module_offset,
            func_name: info.func_name().map(|n| name_of(n.as_bytes())),
            module_name: info.module_name().map(|n| name_of(n.as_bytes())),
            source: info.source(),
        }
    }
}

/// Frees a frame; NULL is ignored.
#[no_mangle]
pub extern "C" fn wasm_frame_delete(frame: Option<Box<wasm_frame_t>>) {
    drop(frame);
}

/// Returns a copy of `frame`, owned by the caller; NULL for NULL.
#[no_mangle]
pub extern "C" fn wasm_frame_copy(frame: Option<&wasm_frame_t>) -> Option<Box<wasm_frame_t>> {
    frame.map(|f| Box::new(f.clone()))
}

/// The instance the frame's function belongs to, borrowed from the frame
/// (valid while the frame is); NULL if unknown or for NULL.
#[no_mangle]
pub extern "C" fn wasm_frame_instance(frame: Option<&wasm_frame_t>) -> *mut wasm_instance_t {
    match frame.and_then(|f| f.instance.as_ref()) {
        Some(i) => i as *const wasm_instance_t as *mut wasm_instance_t,
        None => std::ptr::null_mut(),
    }
}

/// The index of the frame's function in its module; 0 for NULL.
#[no_mangle]
pub extern "C" fn wasm_frame_func_index(frame: Option<&wasm_frame_t>) -> u32 {
    frame.map_or(0, |f| f.func_index)
}

/// The byte offset of the frame's instruction from the start of its
/// function's body; 0 for NULL.
#[no_mangle]
pub extern "C" fn wasm_frame_func_offset(frame: Option<&wasm_frame_t>) -> usize {
    frame.map_or(0, |f| f.func_offset)
}

/// The byte offset of the frame's instruction from the start of the module
/// binary; 0 for NULL.
#[no_mangle]
pub extern "C" fn wasm_frame_module_offset(frame: Option<&wasm_frame_t>) -> usize {
    frame.map_or(0, |f| f.module_offset)
}
