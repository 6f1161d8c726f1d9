//! `Trap`: why a call into wasm (or a host function) did not complete.

use super::instance::Instance;
use crate::environ::error::Error;
use crate::environ::trap_kind::TrapKind;
use std::fmt;
use std::sync::{Arc, OnceLock};

/// One wasm frame of a trap's backtrace.
#[derive(Clone)]
pub struct FrameInfo {
    /// The instance the frame's function belongs to, when known.
    pub instance: Option<Instance>,
    /// The function's index in its module's function space.
    pub func_index: u32,
    /// Offset of the frame's instruction from the start of the function
    /// body in the wasm binary (0 when unknown).
    pub func_offset: usize,
    /// Offset of the frame's instruction in the module's wasm binary (0
    /// when unknown).
    pub module_offset: usize,
}

impl fmt::Debug for FrameInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FrameInfo")
            .field("func_index", &self.func_index)
            .field("func_offset", &self.func_offset)
            .field("module_offset", &self.module_offset)
            .finish_non_exhaustive()
    }
}

struct TrapInner {
    message: String,
    kind: Option<TrapKind>,
    /// Set once: at creation for wasm traps, and for a trap made by the
    /// host when it first leaves a host function called by wasm (with
    /// `wasm_backtrace` on). Unset means "no frames yet".
    trace: OnceLock<Vec<FrameInfo>>,
}

/// A trap: raised by wasm code (with a `TrapKind` and the spec's message),
/// by the host (`Trap::new`), or by the runtime for bad calls. Cheap to
/// clone; a host function's trap reaches the caller of `Func::call` as the
/// very same object, which on its way gained the wasm frames below the
/// host call (see `trace`).
#[derive(Clone)]
pub struct Trap {
    inner: Arc<TrapInner>,
}

// SAFETY: a trap is immutable after creation. Its only non-thread-safe
// parts are the `Instance` handles of its frames, and those are only usable
// through methods bound by the store's one-thread-at-a-time contract, like
// every other handle of the store.
unsafe impl Send for TrapInner {}
// SAFETY: as for `Send`: shared access only reads immutable data.
unsafe impl Sync for TrapInner {}

impl Trap {
    /// A trap raised by the host with `message`.
    pub fn new(message: impl Into<String>) -> Trap {
        Trap {
            inner: Arc::new(TrapInner {
                message: message.into(),
                kind: None,
                trace: OnceLock::new(),
            }),
        }
    }

    /// A trap raised by wasm code, with the spec's message for `kind`.
    pub(crate) fn from_kind(kind: TrapKind, trace: Vec<FrameInfo>) -> Trap {
        Trap {
            inner: Arc::new(TrapInner {
                message: kind.message().to_string(),
                kind: Some(kind),
                trace: OnceLock::from(trace),
            }),
        }
    }

    /// The trap's message: the spec's text for wasm traps.
    pub fn message(&self) -> &str {
        &self.inner.message
    }

    /// Why wasm trapped; `None` for traps raised by the host or runtime.
    pub fn kind(&self) -> Option<TrapKind> {
        self.inner.kind
    }

    /// The wasm frames active when the trap happened, innermost first.
    ///
    /// For a trap returned by a host function these are the frames below
    /// the host call: the wasm function that called it (at the call
    /// instruction), then its callers, across nested host→wasm entries of
    /// the same store. They are attached the first time the trap leaves a
    /// host function called by wasm; a trap passed on by an enclosing host
    /// function keeps them. Empty with `wasm_backtrace` off, and for traps
    /// that never crossed wasm.
    pub fn trace(&self) -> &[FrameInfo] {
        self.inner.trace.get().map_or(&[], Vec::as_slice)
    }

    /// Whether the trap's frames are settled (a wasm trap, or a host trap
    /// that already passed a host call made by wasm).
    pub(crate) fn has_trace(&self) -> bool {
        self.inner.trace.get().is_some()
    }

    /// Gives the trap the frames of the host call it is leaving, unless
    /// it already has its frames (then `frames` is dropped).
    pub(crate) fn attach_trace(&self, frames: Vec<FrameInfo>) {
        // An already-set trace wins: it was taken deeper in the stack.
        let _ = self.inner.trace.set(frames);
    }

    /// Whether `self` and `other` are the same trap object.
    pub fn same(&self, other: &Trap) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// A hashable identity of the trap object: equal for two handles
    /// exactly when `same` is true, and stable while any handle of it
    /// exists (the address of the shared allocation).
    pub fn id(&self) -> usize {
        Arc::as_ptr(&self.inner) as usize
    }
}

impl fmt::Display for Trap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.inner.message)
    }
}

impl fmt::Debug for Trap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Trap")
            .field("message", &self.inner.message)
            .field("kind", &self.inner.kind)
            .field("trace", &self.trace())
            .finish()
    }
}

impl std::error::Error for Trap {}

impl From<Trap> for Error {
    fn from(trap: Trap) -> Error {
        Error::trap(trap)
    }
}

// `Error` sits in `environ`, below the runtime, so it carries a trap as an
// opaque payload; this is the typed way back.
impl Error {
    /// The trap of an error of kind `Trap` (instantiation trapped).
    pub fn as_trap(&self) -> Option<&Trap> {
        self.trap_payload::<Trap>()
    }
}
