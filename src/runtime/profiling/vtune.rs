//! Intel VTune: the JIT profiling API (`iJIT_NotifyEvent`) of the
//! `ittapi-sys` crate, which loads the collector VTune names in
//! `INTEL_JIT_PROFILER64` (VTune sets it when it launches or attaches to
//! the process) and tells it about each function as it becomes
//! executable: a method-load event with its name, address, size and a line
//! table. Without a collector the API does nothing (`iJIT_IsProfilingActive`
//! says so and no event is built).
//!
//! WebAssembly has no source lines of its own: the line table maps native
//! offsets to the function's wasm byte offsets (the address map), which
//! VTune shows as the "line" of each sample; the source file is the
//! `<wasm>` pseudo-file. (Source lines from a module's DWARF belong to
//! `debug_info`.)

use super::{ProfilingAgent, PublishedFunction};
use ittapi_sys::{
    _LineNumberInfo, _iJIT_IsProfilingActiveFlags_iJIT_SAMPLING_ON, _iJIT_Method_Load,
    iJIT_GetNewMethodID, iJIT_IsProfilingActive, iJIT_NotifyEvent,
    iJIT_jvm_event_iJVM_EVENT_TYPE_METHOD_LOAD_FINISHED,
};
use std::ffi::{c_char, c_void, CString};
use std::sync::Mutex;

/// The JIT API is not thread-safe: every engine's notifications go through
/// this lock.
static NOTIFY: Mutex<()> = Mutex::new(());

/// Reports every published function to VTune's collector.
pub struct VTuneAgent {
    _private: (),
}

impl VTuneAgent {
    /// An agent; VTune's collector is looked up by the first notification.
    pub fn new() -> VTuneAgent {
        VTuneAgent { _private: () }
    }
}

impl Default for VTuneAgent {
    fn default() -> VTuneAgent {
        VTuneAgent::new()
    }
}

/// `text` as a C string, with interior NULs (which a name section may
/// hold) replaced.
fn c_string(text: &str) -> CString {
    CString::new(text.replace('\0', "?")).expect("NULs were replaced")
}

impl ProfilingAgent for VTuneAgent {
    fn code_published(&self, funcs: &[PublishedFunction<'_>]) {
        let _guard = NOTIFY.lock().unwrap_or_else(|e| e.into_inner());
        // SAFETY: a query without arguments; the API is used under `NOTIFY`.
        let active = unsafe { iJIT_IsProfilingActive() };
        if active != _iJIT_IsProfilingActiveFlags_iJIT_SAMPLING_ON {
            return;
        }
        let source = c_string("<wasm>");
        for f in funcs {
            let name = c_string(f.name);
            let mut lines: Vec<_LineNumberInfo> = f
                .address_map
                .iter()
                .map(|&(offset, wasm)| _LineNumberInfo {
                    Offset: offset - f.region_offset,
                    LineNumber: wasm,
                })
                .collect();
            let mut load = _iJIT_Method_Load {
                // SAFETY: a query without arguments, under `NOTIFY`.
                method_id: unsafe { iJIT_GetNewMethodID() },
                method_name: name.as_ptr() as *mut c_char,
                method_load_address: f.code.as_ptr() as *mut c_void,
                method_size: u32::try_from(f.code.len()).unwrap_or(u32::MAX),
                line_number_size: lines.len() as u32,
                line_number_table: if lines.is_empty() {
                    std::ptr::null_mut()
                } else {
                    lines.as_mut_ptr()
                },
                class_id: 0,
                class_file_name: std::ptr::null_mut(),
                source_file_name: source.as_ptr() as *mut c_char,
            };
            // SAFETY: `load` and everything it points to (`name`, `lines`,
            // `source`) live across the call; the collector copies what it
            // keeps, as the API requires of it. The result of this event
            // is undefined by the API, so it is not read.
            unsafe {
                iJIT_NotifyEvent(
                    iJIT_jvm_event_iJVM_EVENT_TYPE_METHOD_LOAD_FINISHED,
                    (&mut load as *mut _iJIT_Method_Load).cast(),
                );
            }
        }
    }
}
