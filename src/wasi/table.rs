//! The descriptor table: what each guest descriptor number stands for,
//! with its rights.
//!
//! Every descriptor carries preview 1's two rights sets: `base` (what may
//! be done with it) and `inheriting` (what descriptors opened through it
//! may get). An operation whose right is missing fails with `ENOTCAPABLE`;
//! `fd_fdstat_set_rights` can only drop rights. The per-preopen
//! permissions of [`DirPerms`]/[`FilePerms`] are a second, separate check
//! (`EPERM`, as the reference enforces them), carried by directories and
//! by the files opened beneath them.

use super::config::{DirPerms, FilePerms};
use super::errno::Errno;
use super::stdio::{Input, Output};
use super::types::filetype;
use std::net::{TcpListener, TcpStream};
use std::os::fd::{AsRawFd, RawFd};

/// Descriptor numbers stop below this (like a host's `RLIMIT_NOFILE`):
/// `fd_renumber` to a larger number is `EBADF`, and running out is
/// `EMFILE`.
pub(crate) const MAX_FDS: usize = 1 << 16;

/// One open descriptor.
pub(crate) struct Entry {
    /// Rights of this descriptor.
    pub(crate) base: u64,
    /// Rights descriptors opened through this one may get.
    pub(crate) inheriting: u64,
    /// The `fdflags` as the guest last set them (for files and sockets
    /// also applied to the host descriptor; for standard streams only
    /// recorded, since the host's own 0, 1 and 2 must not change mode).
    pub(crate) flags: u16,
    pub(crate) kind: Kind,
}

/// What a descriptor is.
pub(crate) enum Kind {
    Stdin(Input),
    /// Standard output or standard error.
    Stdout(Output),
    File(FileEntry),
    Dir(DirEntry),
    /// A preopened listening socket.
    Listener(TcpListener),
    /// A connection accepted on a listener.
    Stream(TcpStream),
}

/// A file opened beneath a preopened directory.
pub(crate) struct FileEntry {
    pub(crate) file: cap_std::fs::File,
    /// The permissions of the preopen it was opened beneath.
    pub(crate) perms: FilePerms,
    /// Its preview 1 file type, fixed when it was opened.
    pub(crate) filetype: u8,
}

impl FileEntry {
    pub(crate) fn fd(&self) -> RawFd {
        self.file.as_raw_fd()
    }
}

/// A directory: a preopen, or one opened beneath one.
pub(crate) struct DirEntry {
    pub(crate) dir: cap_std::fs::Dir,
    /// The name the guest knows a preopen by (`None` for directories the
    /// guest opened itself).
    pub(crate) preopen: Option<String>,
    pub(crate) perms: DirPerms,
    /// The permissions of files opened beneath it.
    pub(crate) file_perms: FilePerms,
}

impl DirEntry {
    pub(crate) fn fd(&self) -> RawFd {
        self.dir.as_raw_fd()
    }

    /// Fails with `EPERM` unless the preopen allows `perms`.
    pub(crate) fn allow(&self, perms: DirPerms) -> Result<(), Errno> {
        if self.perms.contains(perms) {
            Ok(())
        } else {
            Err(Errno::PERM)
        }
    }
}

impl Kind {
    /// The preview 1 file type `fd_fdstat_get` and `fd_filestat_get`
    /// report.
    pub(crate) fn filetype(&self) -> u8 {
        match self {
            Kind::Stdin(i) => i.filetype(),
            Kind::Stdout(o) => o.filetype(),
            Kind::File(f) => f.filetype,
            Kind::Dir(_) => filetype::DIRECTORY,
            Kind::Listener(_) | Kind::Stream(_) => filetype::SOCKET_STREAM,
        }
    }
}

/// Descriptor number → entry. A vector: guest numbers are small and dense
/// (lowest free number first, as POSIX allocates), and the lookup on every
/// `fd_write` is one index.
#[derive(Default)]
pub(crate) struct FdTable {
    slots: Vec<Option<Entry>>,
}

impl FdTable {
    pub(crate) fn get(&self, fd: u32) -> Result<&Entry, Errno> {
        self.slots
            .get(fd as usize)
            .and_then(Option::as_ref)
            .ok_or(Errno::BADF)
    }

    pub(crate) fn get_mut(&mut self, fd: u32) -> Result<&mut Entry, Errno> {
        self.slots
            .get_mut(fd as usize)
            .and_then(Option::as_mut)
            .ok_or(Errno::BADF)
    }

    /// Whether `fd` is open.
    pub(crate) fn contains(&self, fd: u32) -> bool {
        self.get(fd).is_ok()
    }

    /// Puts `entry` at `fd`, returning what was there.
    pub(crate) fn insert_at(&mut self, fd: u32, entry: Entry) -> Result<Option<Entry>, Errno> {
        let i = fd as usize;
        if i >= MAX_FDS {
            return Err(Errno::BADF);
        }
        if self.slots.len() <= i {
            self.slots.resize_with(i + 1, || None);
        }
        Ok(self.slots[i].replace(entry))
    }

    /// Puts `entry` at the lowest free number.
    pub(crate) fn push(&mut self, entry: Entry) -> Result<u32, Errno> {
        let fd = match self.slots.iter().position(Option::is_none) {
            Some(i) => i,
            None if self.slots.len() < MAX_FDS => {
                self.slots.push(None);
                self.slots.len() - 1
            }
            None => return Err(Errno::MFILE),
        };
        self.slots[fd] = Some(entry);
        Ok(fd as u32)
    }

    pub(crate) fn remove(&mut self, fd: u32) -> Result<Entry, Errno> {
        self.slots
            .get_mut(fd as usize)
            .and_then(Option::take)
            .ok_or(Errno::BADF)
    }
}
