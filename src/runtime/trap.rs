//! `Trap`: why a call into wasm (or a host function) did not complete.

use super::exn::ExnRef;
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
    /// The frame's native instruction (the faulting pc, or a return
    /// address minus one) and frame pointer, for the coredump's locals.
    pub(crate) native: (usize, usize),
}

impl FrameInfo {
    /// The frame's function's name from its module's name section.
    pub fn func_name(&self) -> Option<&str> {
        let info = self.instance.as_ref()?.module().info();
        info.func_names.get(&self.func_index).map(String::as_str)
    }

    /// The frame's module's name from its name section.
    pub fn module_name(&self) -> Option<&str> {
        self.instance.as_ref()?.module().info().name.as_deref()
    }

    /// The frame's source file, line and column from its module's DWARF,
    /// when the engine has `wasm_backtrace_details` on and the module
    /// carries line tables that cover the frame's instruction.
    pub fn source(&self) -> Option<crate::module::SourceLocation> {
        if self.module_offset == 0 {
            return None;
        }
        self.instance
            .as_ref()?
            .module()
            .source_location(self.module_offset)
    }
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
    /// The wasm coredump (`coredump_on_trap`), set once, with the trace.
    coredump: OnceLock<Vec<u8>>,
    /// The exception of an `UncaughtException` trap: what wasm threw and
    /// nothing caught, or what the host throws (`Trap::throw`).
    exception: Option<ExnRef>,
    /// The status of a trap that ends the program on its own request
    /// (`Trap::exit`: WASI's `proc_exit`), as opposed to a failure.
    exit_status: Option<i32>,
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
                coredump: OnceLock::new(),
                exception: None,
                exit_status: None,
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
                coredump: OnceLock::new(),
                exception: None,
                exit_status: None,
            }),
        }
    }

    /// A trap of `kind` raised by the host (a host function that wants its
    /// caller to see, say, `Interrupt`), with `kind`'s message; like
    /// `Trap::new`, it gains the wasm frames below the host call it leaves.
    pub fn with_kind(kind: TrapKind) -> Trap {
        Trap::with_kind_and_message(kind, kind.message())
    }

    /// A trap of `kind` with its own message (an epoch deadline callback's
    /// reason for an `Interrupt`), frames still to come.
    pub(crate) fn with_kind_and_message(kind: TrapKind, message: impl Into<String>) -> Trap {
        Trap {
            inner: Arc::new(TrapInner {
                message: message.into(),
                kind: Some(kind),
                trace: OnceLock::new(),
                coredump: OnceLock::new(),
                exception: None,
                exit_status: None,
            }),
        }
    }

    /// An `UncaughtException` trap carrying `exception`. Returned by a host
    /// function called by wasm, it throws the exception into wasm at the
    /// call, where a `try_table` of the calling frames may catch it; one
    /// that wasm threw and nothing caught reaches the host as such a trap,
    /// so a host function that returns it rethrows.
    pub fn throw(exception: ExnRef) -> Trap {
        Trap::uncaught(exception, None)
    }

    /// An uncaught exception with its frames (`None`: still to come).
    pub(crate) fn uncaught(exception: ExnRef, trace: Option<Vec<FrameInfo>>) -> Trap {
        let kind = TrapKind::UncaughtException;
        Trap {
            inner: Arc::new(TrapInner {
                message: kind.message().to_string(),
                kind: Some(kind),
                trace: trace.map(OnceLock::from).unwrap_or_default(),
                coredump: OnceLock::new(),
                exception: Some(exception),
                exit_status: None,
            }),
        }
    }

    /// A trap that ends the running program with exit status `status`
    /// (WASI's `proc_exit`): it unwinds every wasm frame like any trap, and
    /// the embedder reads the status back with [`Trap::exit_status`]. The
    /// message is the reference runtime's.
    pub fn exit(status: i32) -> Trap {
        Trap {
            inner: Arc::new(TrapInner {
                message: format!("Exited with i32 exit status {status}"),
                kind: None,
                trace: OnceLock::new(),
                coredump: OnceLock::new(),
                exception: None,
                exit_status: Some(status),
            }),
        }
    }

    /// The status of a trap made by [`Trap::exit`]; `None` for every other
    /// trap.
    pub fn exit_status(&self) -> Option<i32> {
        self.inner.exit_status
    }

    /// The exception of an `UncaughtException` trap (its tag and payload).
    pub fn exception(&self) -> Option<&ExnRef> {
        self.inner.exception.as_ref()
    }

    /// The trap's message: the spec's text for wasm traps.
    pub fn message(&self) -> &str {
        &self.inner.message
    }

    /// Why wasm trapped (or the kind a host gave `Trap::with_kind`); `None`
    /// for traps raised by the host with a message, or by the runtime.
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

    /// The trap's backtrace as text, one frame per line, innermost first,
    /// as the reference prints it:
    /// `    0:   0x2a - module!function` (`<unknown>` for an unnamed module,
    /// `<wasm function N>` for an unnamed function). Empty when the trap
    /// has no frames.
    pub fn backtrace_text(&self) -> String {
        use std::fmt::Write as _;
        let frames = self.trace();
        if frames.is_empty() {
            return String::new();
        }
        let mut text = String::from("wasm backtrace:\n");
        for (i, frame) in frames.iter().enumerate() {
            let module = frame.module_name().unwrap_or("<unknown>");
            let _ = write!(text, "  {i:>3}: {:>#6x} - {module}!", frame.module_offset);
            match frame.func_name() {
                Some(name) => text.push_str(name),
                None => {
                    let _ = write!(text, "<wasm function {}>", frame.func_index);
                }
            }
            text.push('\n');
        }
        text
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

    /// The trap's wasm coredump, in the tool-conventions format (see
    /// `runtime::coredump`): present when the engine has `coredump_on_trap`
    /// on and the trap left wasm code (a wasm trap, or a host trap that
    /// passed a host call made by wasm); taken when the trap happened.
    pub fn coredump(&self) -> Option<&[u8]> {
        self.inner.coredump.get().map(Vec::as_slice)
    }

    /// Gives the trap its coredump unless it already has one (taken deeper
    /// in the stack, which wins).
    pub(crate) fn attach_coredump(&self, dump: Vec<u8>) {
        let _ = self.inner.coredump.set(dump);
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
