//! `Error`: why creating an engine, validating, compiling, loading or
//! instantiating a module failed, as a kind a program can match plus the
//! exact text a person reads.
//!
//! The kind carries the facts (the byte offset of an invalid construct, the
//! feature and the option that enables it, the import that did not fit,
//! the option at fault); `Display` prints the message the library has
//! always printed, so logs and text-matching callers see no difference.
//! `{:#}` adds the causes, `: `-separated, as `anyhow` does.
//!
//! Parts of the library below the public entry points still build ad-hoc
//! `anyhow` errors (operating-system failures, corrupt artifacts, internal
//! errors); they arrive here as `ErrorKind::Other` with their text and
//! causes intact, and a typed error that travelled inside an
//! `anyhow::Error` keeps its kind when converted back (`From`).

use std::error::Error as StdError;
use std::fmt;

/// A result whose error is the library's typed [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The `module` and `name` of an import, shown as `module::name`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ImportName {
    /// The import's module name.
    pub module: String,
    /// The import's field name.
    pub name: String,
}

impl ImportName {
    /// The name of the import `name` of module `module`.
    pub fn new(module: impl Into<String>, name: impl Into<String>) -> ImportName {
        ImportName {
            module: module.into(),
            name: name.into(),
        }
    }
}

impl fmt::Display for ImportName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}::{}", self.module, self.name)
    }
}

/// What kind of failure an [`Error`] is, with its facts.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The binary is malformed or invalid: the validator's `message` and
    /// the byte `offset` in the binary it points at (when there is one).
    Invalid {
        /// The validator's or parser's description of the problem.
        message: String,
        /// Byte offset in the binary of the offending construct.
        offset: Option<usize>,
    },
    /// The module uses a proposal or construct this build or this engine's
    /// configuration does not support. `feature` names it (for example
    /// `exceptions`, `gc`, `multi-value`); `option` is the option that
    /// enables it, when one does; `offset` is where the binary uses it.
    Unsupported {
        /// The proposal or construct, by its short key (`exceptions`, `threads`, ...).
        feature: String,
        /// The `Config` option (wasmtime's name) that enables it.
        option: Option<String>,
        /// Byte offset in the binary where it is first used.
        offset: Option<usize>,
    },
    /// An implementation or configured limit was exceeded; `limit` names
    /// it (for a configured one, the option that sets it).
    ImplLimit {
        /// The limit, or the option that configures it.
        limit: String,
    },
    /// Instantiation could not link: the `import` at fault (when one is)
    /// and why.
    Link {
        /// The import that could not be satisfied, when the failure is one import's.
        import: Option<ImportName>,
        /// Why linking failed (a missing item, a type mismatch, ...).
        reason: String,
    },
    /// The configuration is refused at engine creation: the `option` at
    /// fault and why.
    Config {
        /// The option whose value is refused (wasmtime's name).
        option: String,
        /// Why the value or combination is refused.
        reason: String,
    },
    /// Instantiation trapped (a segment out of bounds, the start
    /// function); the runtime's trap object travels with the error.
    Trap,
    /// Anything else: resources, the operating system, a bad argument, a
    /// corrupt serialized module, an internal error.
    Other,
}

/// The typed error of the library's fallible entry points.
pub struct Error(Box<Repr>);

struct Repr {
    kind: ErrorKind,
    text: Text,
    /// The cause `{:#}` and `source()` continue with (only `Text::Message`
    /// errors have one; the others carry their own chain).
    source: Option<Error>,
}

enum Text {
    /// The message, exactly as shown.
    Message(String),
    /// A trap raised by the runtime, which sits above this layer: kept as
    /// an opaque error and recovered with `Error::trap_payload`.
    Trap(Box<dyn StdError + Send + Sync>),
    /// An error built with `anyhow` below the typed entry points.
    Foreign(anyhow::Error),
}

impl Error {
    /// An error of `kind` showing `message`. The convenience constructors
    /// below spell the library's usual messages; this one is for the
    /// places whose text is their own.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error(Box::new(Repr {
            kind,
            text: Text::Message(message.into()),
            source: None,
        }))
    }

    /// An invalid module: shown as `invalid module: {message}` followed by
    /// ` (at offset 0x..)` when the offset is known.
    pub fn invalid(message: impl Into<String>, offset: Option<usize>) -> Error {
        let message = message.into();
        let text = match offset {
            Some(offset) => format!("invalid module: {message} (at offset {offset:#x})"),
            None => format!("invalid module: {message}"),
        };
        Error::new(ErrorKind::Invalid { message, offset }, text)
    }

    /// A construct of `feature` at `offset` that this build cannot compile
    /// yet: shown as `not supported yet: {feature} (at offset 0x..)`.
    pub fn unsupported(feature: impl Into<String>, offset: usize) -> Error {
        let feature = feature.into();
        let text = format!("not supported yet: {feature} (at offset {offset:#x})");
        Error::new(
            ErrorKind::Unsupported {
                feature,
                option: None,
                offset: Some(offset),
            },
            text,
        )
    }

    /// An implementation limit `limit` exceeded, shown as `message`.
    pub fn impl_limit(limit: impl Into<String>, message: impl Into<String>) -> Error {
        Error::new(
            ErrorKind::ImplLimit {
                limit: limit.into(),
            },
            message,
        )
    }

    /// A link failure: shown as ``import `{import}`: {reason}``, or just
    /// `reason` when no single import is at fault.
    pub fn link(import: Option<ImportName>, reason: impl Into<String>) -> Error {
        let reason = reason.into();
        let text = match &import {
            Some(import) => format!("import `{import}`: {reason}"),
            None => reason.clone(),
        };
        Error::new(ErrorKind::Link { import, reason }, text)
    }

    /// A refused configuration: shown as `{option}: {reason}`.
    pub fn config(option: impl Into<String>, reason: impl Into<String>) -> Error {
        let (option, reason) = (option.into(), reason.into());
        let text = format!("{option}: {reason}");
        Error::new(ErrorKind::Config { option, reason }, text)
    }

    /// A trap during instantiation; `trap` is the runtime's trap object,
    /// shown with its own message.
    pub fn trap(trap: impl StdError + Send + Sync + 'static) -> Error {
        Error(Box::new(Repr {
            kind: ErrorKind::Trap,
            text: Text::Trap(Box::new(trap)),
            source: None,
        }))
    }

    /// `self` caused by `source`: `{:#}` and `source()` continue with it.
    /// Replaces any earlier source of `self`; an error that already carries
    /// a chain of its own (a trap, an `anyhow` error) is returned as is.
    pub fn with_source(mut self, source: impl Into<Error>) -> Error {
        if let Text::Message(_) = self.0.text {
            self.0.source = Some(source.into());
        }
        self
    }

    /// The same kind of error with its whole text (causes included) after
    /// `prefix: `, in one message. A trap's object does not survive this.
    pub fn prefixed(self, prefix: impl fmt::Display) -> Error {
        Error::new(self.0.kind.clone(), format!("{prefix}: {self:#}"))
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> &ErrorKind {
        &self.0.kind
    }

    /// The byte offset in the module binary the error points at, for
    /// invalid and unsupported modules whose offset is known.
    pub fn offset(&self) -> Option<usize> {
        match &self.0.kind {
            ErrorKind::Invalid { offset, .. } | ErrorKind::Unsupported { offset, .. } => *offset,
            _ => None,
        }
    }

    /// The trap object of a `Trap` error when it is a `T` (the runtime's
    /// `Trap`; `Error::as_trap` there says it shorter).
    pub fn trap_payload<T: StdError + 'static>(&self) -> Option<&T> {
        match &self.0.text {
            Text::Trap(trap) => trap.downcast_ref::<T>(),
            _ => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0.text {
            Text::Message(message) => f.write_str(message)?,
            Text::Trap(trap) => write!(f, "{trap}")?,
            Text::Foreign(error) => write!(f, "{error}")?,
        }
        if f.alternate() {
            let mut cause = self.source();
            while let Some(error) = cause {
                write!(f, ": {error}")?;
                cause = error.source();
            }
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.0.kind)
            .field("message", &format_args!("{self:#}"))
            .finish()
    }
}

impl StdError for Error {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        match &self.0.text {
            Text::Message(_) => self
                .0
                .source
                .as_ref()
                .map(|e| e as &(dyn StdError + 'static)),
            Text::Trap(trap) => trap.source(),
            Text::Foreign(error) => error.source(),
        }
    }
}

impl From<anyhow::Error> for Error {
    /// A typed error that travelled as an `anyhow::Error` comes back as
    /// itself; one under added context keeps its kind and shows the
    /// context; anything else is `ErrorKind::Other`.
    fn from(error: anyhow::Error) -> Error {
        let error = if (*error).is::<Error>() {
            match error.downcast::<Error>() {
                Ok(typed) => return typed,
                Err(error) => error,
            }
        } else {
            error
        };
        let kind = error
            .downcast_ref::<Error>()
            .map_or(ErrorKind::Other, |typed| typed.kind().clone());
        Error(Box::new(Repr {
            kind,
            text: Text::Foreign(error),
            source: None,
        }))
    }
}

/// The text of a caught panic's payload (`panic!` gives a `&str` or a
/// `String`; anything else has no text to show). The one place that reads
/// payloads: the compiler (a panic in Cranelift), the runtime (a panicking
/// host callback) and the C API's panic guard all report panics with it.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panic_message_reads_str_and_string_payloads() {
        // The payloads `panic!` makes: `&'static str` for a literal, a
        // `String` when formatting; `panic_any` can carry anything.
        let literal: Box<dyn std::any::Any + Send> = Box::new("literal");
        let formatted: Box<dyn std::any::Any + Send> = Box::new(format!("n = {}", 3));
        let other: Box<dyn std::any::Any + Send> = Box::new(7u8);
        assert_eq!(panic_message(&*literal), "literal");
        assert_eq!(panic_message(&*formatted), "n = 3");
        assert_eq!(panic_message(&*other), "a panic without a message");
    }

    #[test]
    fn messages_are_spelled_as_before() {
        assert_eq!(
            Error::invalid("type mismatch", Some(0x1f)).to_string(),
            "invalid module: type mismatch (at offset 0x1f)"
        );
        assert_eq!(
            Error::invalid("nested modules are not supported", None).to_string(),
            "invalid module: nested modules are not supported"
        );
        assert_eq!(
            Error::unsupported("exceptions", 0x20).to_string(),
            "not supported yet: exceptions (at offset 0x20)"
        );
        assert_eq!(
            Error::config("max_wasm_stack", "must be greater than 0").to_string(),
            "max_wasm_stack: must be greater than 0"
        );
        assert_eq!(
            Error::link(
                Some(ImportName::new("env", "g")),
                "the global belongs to a different store"
            )
            .to_string(),
            "import `env::g`: the global belongs to a different store"
        );
        assert_eq!(
            Error::link(None, "two imports missing").to_string(),
            "two imports missing"
        );
    }

    #[test]
    fn offsets_come_from_invalid_and_unsupported_kinds_only() {
        assert_eq!(Error::invalid("x", Some(7)).offset(), Some(7));
        assert_eq!(Error::invalid("x", None).offset(), None);
        assert_eq!(Error::unsupported("gc", 9).offset(), Some(9));
        assert_eq!(Error::config("a", "b").offset(), None);
    }

    #[test]
    fn alternate_display_walks_the_causes_like_anyhow() {
        let inner = anyhow::anyhow!("root").context("middle");
        let e = Error::config("allocation_strategy", "invalid pooling configuration")
            .with_source(inner);
        assert_eq!(
            e.to_string(),
            "allocation_strategy: invalid pooling configuration"
        );
        assert_eq!(
            format!("{e:#}"),
            "allocation_strategy: invalid pooling configuration: middle: root"
        );
        // Wrapped in anyhow (as the C API does), the chain reads the same.
        let wrapped = anyhow::Error::from(e).context("wasm_engine_try_new");
        assert_eq!(
            format!("{wrapped:#}"),
            "wasm_engine_try_new: allocation_strategy: invalid pooling configuration: middle: root"
        );
        assert!(matches!(
            wrapped.downcast_ref::<Error>().map(Error::kind),
            Some(ErrorKind::Config { option, .. }) if option == "allocation_strategy"
        ));
    }

    #[test]
    fn anyhow_round_trip_keeps_the_kind_and_the_text() {
        let back = Error::from(anyhow::Error::from(Error::unsupported("exceptions", 3)));
        assert_eq!(back.offset(), Some(3));
        assert_eq!(
            back.to_string(),
            "not supported yet: exceptions (at offset 0x3)"
        );

        let under_context =
            Error::from(anyhow::Error::from(Error::invalid("bad", Some(1))).context("outer"));
        assert!(matches!(under_context.kind(), ErrorKind::Invalid { .. }));
        assert_eq!(under_context.to_string(), "outer");
        assert_eq!(
            format!("{under_context:#}"),
            "outer: invalid module: bad (at offset 0x1)"
        );

        let plain = Error::from(anyhow::anyhow!("disk full").context("writing"));
        assert_eq!(plain.kind(), &ErrorKind::Other);
        assert_eq!(format!("{plain:#}"), "writing: disk full");
    }

    #[test]
    fn prefixed_keeps_the_kind_and_flattens_the_text() {
        let e = Error::unsupported("exceptions", 0x10).prefixed("compiling function 2");
        assert_eq!(
            e.to_string(),
            "compiling function 2: not supported yet: exceptions (at offset 0x10)"
        );
        assert_eq!(e.offset(), Some(0x10));
    }

    #[derive(Debug)]
    struct FakeTrap;
    impl fmt::Display for FakeTrap {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("unreachable")
        }
    }
    impl StdError for FakeTrap {}

    #[test]
    fn a_trap_keeps_its_object_and_message() {
        let e = Error::trap(FakeTrap);
        assert_eq!(e.kind(), &ErrorKind::Trap);
        assert_eq!(e.to_string(), "unreachable");
        assert!(e.trap_payload::<FakeTrap>().is_some());
        assert!(Error::config("a", "b").trap_payload::<FakeTrap>().is_none());
    }
}
