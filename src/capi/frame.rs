//! `wasm_frame_t`: one frame of a trap's backtrace.

/// One frame of a trap's backtrace (innermost first in `wasm_trap_trace`);
/// owned by the caller and freed with `wasm_frame_delete`.
#[derive(Clone)]
pub struct wasm_frame_t {
    /// Index of the function in its module's function index space.
    pub(crate) func_index: u32,
    /// Byte offset of the instruction within its function's body.
    pub(crate) func_offset: usize,
    /// Byte offset of the instruction within the module binary.
    pub(crate) module_offset: usize,
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
