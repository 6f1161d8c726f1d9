//! The guest's standard streams (descriptors 0, 1 and 2), as its
//! [`WasiConfig`](super::WasiConfig) describes them. They are streams, not
//! files: no seeking, and `fd_filestat_get` shows only their type, as the
//! reference shows them. Inherited streams use the host process's own 0, 1
//! and 2 by number and never close them.

use super::config::{InputSource, OutputCallback, OutputSink};
use super::errno::Errno;
use super::memory::Iovecs;
use super::sys;
use super::types::filetype;
use crate::environ::error::{Error, ErrorKind};
use std::fs::File;
use std::os::fd::{AsRawFd, RawFd};

/// Where standard input comes from.
pub(crate) enum Input {
    /// End of file at once.
    Empty,
    /// The host's descriptor 0.
    Inherit,
    /// A host file, read from its start.
    File(File),
    /// Bytes, read from `pos` on.
    Bytes { data: Vec<u8>, pos: usize },
}

impl Input {
    /// Opens what `source` names (a missing file is an error naming it).
    pub(crate) fn open(source: InputSource) -> Result<Input, Error> {
        Ok(match source {
            InputSource::Empty => Input::Empty,
            InputSource::Inherit => Input::Inherit,
            InputSource::Bytes(data) => Input::Bytes { data, pos: 0 },
            InputSource::File(path) => Input::File(File::open(&path).map_err(|e| {
                Error::new(
                    ErrorKind::Other,
                    format!("WASI stdin: cannot open `{}`: {e}", path.display()),
                )
            })?),
        })
    }

    /// Reads into the guest's buffers. `nonblock` (the guest's flag; the
    /// host's descriptor 0 is never switched) makes a read that would wait
    /// `EAGAIN`.
    pub(crate) fn read(&mut self, iov: &Iovecs, nonblock: bool) -> Result<usize, Errno> {
        match self {
            Input::Empty => Ok(0),
            Input::Bytes { data, pos } => {
                let n = iov.fill_from(&data[*pos..]);
                *pos += n;
                Ok(n)
            }
            Input::File(f) => Ok(sys::readv(f.as_raw_fd(), iov)?),
            Input::Inherit => {
                if nonblock {
                    let mut fds = [libc::pollfd {
                        fd: 0,
                        events: libc::POLLIN,
                        revents: 0,
                    }];
                    if sys::poll(&mut fds, Some(std::time::Duration::ZERO))? == 0 {
                        return Err(Errno::AGAIN);
                    }
                }
                Ok(sys::readv(0, iov)?)
            }
        }
    }

    /// Bytes that a read would return now without waiting, when known
    /// without asking the OS.
    pub(crate) fn buffered(&self) -> Option<u64> {
        match self {
            Input::Empty => Some(0),
            Input::Bytes { data, pos } => Some((data.len() - pos) as u64),
            Input::File(_) | Input::Inherit => None,
        }
    }

    pub(crate) fn filetype(&self) -> u8 {
        match self {
            Input::Inherit if sys::isatty(0) => filetype::CHARACTER_DEVICE,
            _ => filetype::UNKNOWN,
        }
    }
}

/// Where standard output or standard error goes.
pub(crate) enum Output {
    /// Nowhere (every write succeeds in full).
    Discard,
    /// The host's descriptor of the same number (1 or 2).
    Inherit(RawFd),
    /// A host file, created or truncated when the context was built.
    File(File),
    /// A callback taking each buffer.
    Custom(OutputCallback),
}

impl Output {
    /// Opens what `sink` names as stream `fd` (1 or 2; its name, for the
    /// error, is `name`).
    pub(crate) fn open(sink: OutputSink, fd: RawFd, name: &str) -> Result<Output, Error> {
        Ok(match sink {
            OutputSink::Discard => Output::Discard,
            OutputSink::Inherit => Output::Inherit(fd),
            OutputSink::Custom(cb) => Output::Custom(cb),
            OutputSink::File(path) => Output::File(File::create(&path).map_err(|e| {
                Error::new(
                    ErrorKind::Other,
                    format!("WASI {name}: cannot create `{}`: {e}", path.display()),
                )
            })?),
        })
    }

    /// Writes the guest's buffers; how many bytes were taken.
    pub(crate) fn write(&mut self, iov: &Iovecs) -> Result<usize, Errno> {
        match self {
            Output::Discard => Ok(iov.total()),
            Output::Inherit(fd) => Ok(sys::writev(*fd, iov)?),
            Output::File(f) => Ok(sys::writev(f.as_raw_fd(), iov)?),
            Output::Custom(cb) => {
                let mut total = 0;
                for chunk in iov.slices() {
                    if chunk.is_empty() {
                        continue;
                    }
                    let taken = cb(chunk);
                    if taken < 0 {
                        // Bytes already taken stay taken, but the guest
                        // learns of the failure (as `write` would tell it).
                        return if total > 0 { Ok(total) } else { Err(Errno::IO) };
                    }
                    let taken = (taken as usize).min(chunk.len());
                    total += taken;
                    if taken < chunk.len() {
                        break;
                    }
                }
                Ok(total)
            }
        }
    }

    pub(crate) fn filetype(&self) -> u8 {
        match self {
            Output::Inherit(fd) if sys::isatty(*fd) => filetype::CHARACTER_DEVICE,
            _ => filetype::UNKNOWN,
        }
    }
}
