//! The program's standard streams: nothing (the default), this process's
//! own, a file, bytes (stdin) or a host callback (stdout and stderr).

use std::ffi::{c_char, c_uchar, c_void};
use std::fs::{File, OpenOptions};

use crate::capi::vec::wasm_byte_vec_t;
use crate::capi::wasi::c_path;
use crate::capi::wasi::config::wasi_config_t;
use crate::wasi::{InputSource, OutputSink};

/// A custom output stream, the reference's callback type (spelled out in
/// each signature, as there): called with the host's data and each chunk
/// the program writes; returns how many bytes it took, or a negative
/// number for an error the program sees as an I/O error.
type OutputCallback = Option<unsafe extern "C" fn(*mut c_void, *const c_uchar, usize) -> isize>;

/// The host's `data` for a custom stream, with the finalizer that runs
/// once when the stream is dropped: with its configuration if no store
/// consumed it, else with the store's WASI context, or when another sink
/// replaces it.
struct CallbackData {
    data: *mut c_void,
    finalizer: Option<unsafe extern "C" fn(*mut c_void)>,
}

// SAFETY: `data` is opaque to us and only handed back to the host's
// callback and finalizer, on whichever thread uses the store (one at a
// time, the wasm.h contract); the host answers for its thread safety.
unsafe impl Send for CallbackData {}

impl Drop for CallbackData {
    fn drop(&mut self) {
        if let Some(finalizer) = self.finalizer.take() {
            // SAFETY: the host gave this finalizer for this data and expects
            // one call, which `take` guarantees.
            unsafe { finalizer(self.data) }
        }
    }
}

impl CallbackData {
    /// Hands `bytes` to the host's `callback` with its data.
    fn write(
        &self,
        callback: unsafe extern "C" fn(*mut c_void, *const c_uchar, usize) -> isize,
        bytes: &[u8],
    ) -> isize {
        // SAFETY: the host's callback with its own data (kept alive by
        // `self`) and a buffer valid for the call.
        let taken = unsafe { callback(self.data, bytes.as_ptr(), bytes.len()) };
        // More than was offered would make the program skip bytes.
        taken.min(bytes.len() as isize)
    }
}

/// The sink calling `callback`, or `None` (after finalizing `data`) when
/// the callback is NULL.
fn custom_sink(
    callback: OutputCallback,
    data: *mut c_void,
    finalizer: Option<unsafe extern "C" fn(*mut c_void)>,
) -> Option<OutputSink> {
    let owner = CallbackData { data, finalizer };
    let callback = callback?;
    // The closure owns all of `owner` (a method call uses the whole
    // value), so the finalizer runs when the sink is dropped.
    Some(OutputSink::Custom(Box::new(move |bytes: &[u8]| {
        owner.write(callback, bytes)
    })))
}

/// Whether `path` can be opened for reading now.
fn readable(path: &std::path::Path) -> bool {
    File::open(path).is_ok()
}

/// Creates (or truncates) `path` for writing now, as the reference does.
fn writable(path: &std::path::Path) -> bool {
    OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)
        .is_ok()
}

/// Makes the file at `path` the program's standard input. Returns false,
/// changing nothing, when `config` or `path` is NULL or the file cannot be
/// opened for reading.
///
/// # Safety
/// `path` must be NULL or point at a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn wasi_config_set_stdin_file(
    config: Option<&mut wasi_config_t>,
    path: *const c_char,
) -> bool {
    // SAFETY: forwarded from the caller.
    let path = unsafe { c_path(path) };
    let (Some(config), Some(path)) = (config, path) else {
        return false;
    };
    if !readable(&path) {
        return false;
    }
    config.config.stdin = InputSource::File(path);
    true
}

/// Makes the bytes of `binary` the program's standard input, then end of
/// file. Consumes the vector's contents (leaving it empty), also when
/// `config` is NULL.
///
/// # Safety
/// `binary` must be NULL or a vector made by this library and not freed.
#[no_mangle]
pub unsafe extern "C" fn wasi_config_set_stdin_bytes(
    config: Option<&mut wasi_config_t>,
    binary: Option<&mut wasm_byte_vec_t>,
) {
    // SAFETY: a vector made by this library (the caller's contract).
    let bytes = binary.map(|b| unsafe { b.take() }).unwrap_or_default();
    if let Some(config) = config {
        config.config.stdin = InputSource::Bytes(bytes);
    }
}

/// Makes this process's standard input the program's. NULL is ignored.
#[no_mangle]
pub extern "C" fn wasi_config_inherit_stdin(config: Option<&mut wasi_config_t>) {
    if let Some(config) = config {
        config.config.stdin = InputSource::Inherit;
    }
}

/// The `*_file` setters of the two output streams: `stream` picks which
/// one `config` gets the sink of.
///
/// # Safety
/// `path` must be NULL or point at a NUL-terminated string.
unsafe fn set_output_file(
    config: Option<&mut wasi_config_t>,
    path: *const c_char,
    stream: fn(&mut crate::wasi::WasiConfig) -> &mut OutputSink,
) -> bool {
    // SAFETY: forwarded from the caller.
    let path = unsafe { c_path(path) };
    let (Some(config), Some(path)) = (config, path) else {
        return false;
    };
    if !writable(&path) {
        return false;
    }
    *stream(&mut config.config) = OutputSink::File(path);
    true
}

/// Sends the program's standard output to the file at `path`, created or
/// truncated now. Returns false, changing nothing, when `config` or `path`
/// is NULL or the file cannot be opened for writing.
///
/// # Safety
/// `path` must be NULL or point at a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn wasi_config_set_stdout_file(
    config: Option<&mut wasi_config_t>,
    path: *const c_char,
) -> bool {
    // SAFETY: forwarded from the caller.
    unsafe { set_output_file(config, path, |c| &mut c.stdout) }
}

/// Sends the program's standard output to this process's. NULL is ignored.
#[no_mangle]
pub extern "C" fn wasi_config_inherit_stdout(config: Option<&mut wasi_config_t>) {
    if let Some(config) = config {
        config.config.stdout = OutputSink::Inherit;
    }
}

/// Sends the program's standard output to `callback(data, bytes, len)`,
/// called for each write with the bytes written (its result: how many it
/// took, or negative for an error). `finalizer(data)`, if not NULL, runs
/// once when the stream goes (with the store's WASI context, or with the
/// configuration if no store takes it, or when replaced); at once when
/// `config` or `callback` is NULL, which change nothing.
///
/// # Safety
/// `callback` and `finalizer` must be NULL or functions that accept `data`.
#[no_mangle]
pub unsafe extern "C" fn wasi_config_set_stdout_custom(
    config: Option<&mut wasi_config_t>,
    callback: Option<unsafe extern "C" fn(*mut c_void, *const c_uchar, usize) -> isize>,
    data: *mut c_void,
    finalizer: Option<unsafe extern "C" fn(*mut c_void)>,
) {
    let sink = custom_sink(callback, data, finalizer);
    if let (Some(config), Some(sink)) = (config, sink) {
        config.config.stdout = sink;
    }
}

/// Sends the program's standard error to the file at `path`, created or
/// truncated now. Returns false, changing nothing, when `config` or `path`
/// is NULL or the file cannot be opened for writing.
///
/// # Safety
/// `path` must be NULL or point at a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn wasi_config_set_stderr_file(
    config: Option<&mut wasi_config_t>,
    path: *const c_char,
) -> bool {
    // SAFETY: forwarded from the caller.
    unsafe { set_output_file(config, path, |c| &mut c.stderr) }
}

/// Sends the program's standard error to this process's. NULL is ignored.
#[no_mangle]
pub extern "C" fn wasi_config_inherit_stderr(config: Option<&mut wasi_config_t>) {
    if let Some(config) = config {
        config.config.stderr = OutputSink::Inherit;
    }
}

/// Sends the program's standard error to `callback(data, bytes, len)`, as
/// `wasi_config_set_stdout_custom` does for standard output.
///
/// # Safety
/// `callback` and `finalizer` must be NULL or functions that accept `data`.
#[no_mangle]
pub unsafe extern "C" fn wasi_config_set_stderr_custom(
    config: Option<&mut wasi_config_t>,
    callback: Option<unsafe extern "C" fn(*mut c_void, *const c_uchar, usize) -> isize>,
    data: *mut c_void,
    finalizer: Option<unsafe extern "C" fn(*mut c_void)>,
) {
    let sink = custom_sink(callback, data, finalizer);
    if let (Some(config), Some(sink)) = (config, sink) {
        config.config.stderr = sink;
    }
}
