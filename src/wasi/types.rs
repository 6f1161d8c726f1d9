//! The numbers and layouts of `wasi_snapshot_preview1` (its witx), as the
//! guest sees them: rights bits, flags, file types, and the byte offsets of
//! the structures the host reads or writes in guest memory. Checked against
//! wasi-libc's `wasi/api.h`, whose `_Static_assert`s state the same
//! offsets.

/// Rights (`rights`, a `u64` bit set) a descriptor may carry.
pub(crate) mod rights {
    pub const FD_DATASYNC: u64 = 1 << 0;
    pub const FD_READ: u64 = 1 << 1;
    pub const FD_SEEK: u64 = 1 << 2;
    pub const FD_FDSTAT_SET_FLAGS: u64 = 1 << 3;
    pub const FD_SYNC: u64 = 1 << 4;
    pub const FD_TELL: u64 = 1 << 5;
    pub const FD_WRITE: u64 = 1 << 6;
    pub const FD_ADVISE: u64 = 1 << 7;
    pub const FD_ALLOCATE: u64 = 1 << 8;
    pub const PATH_CREATE_DIRECTORY: u64 = 1 << 9;
    pub const PATH_CREATE_FILE: u64 = 1 << 10;
    pub const PATH_LINK_SOURCE: u64 = 1 << 11;
    pub const PATH_LINK_TARGET: u64 = 1 << 12;
    pub const PATH_OPEN: u64 = 1 << 13;
    pub const FD_READDIR: u64 = 1 << 14;
    pub const PATH_READLINK: u64 = 1 << 15;
    pub const PATH_RENAME_SOURCE: u64 = 1 << 16;
    pub const PATH_RENAME_TARGET: u64 = 1 << 17;
    pub const PATH_FILESTAT_GET: u64 = 1 << 18;
    #[allow(dead_code)] // no operation of preview 1 needs it
    pub const PATH_FILESTAT_SET_SIZE: u64 = 1 << 19;
    pub const PATH_FILESTAT_SET_TIMES: u64 = 1 << 20;
    pub const FD_FILESTAT_GET: u64 = 1 << 21;
    pub const FD_FILESTAT_SET_SIZE: u64 = 1 << 22;
    pub const FD_FILESTAT_SET_TIMES: u64 = 1 << 23;
    pub const PATH_SYMLINK: u64 = 1 << 24;
    pub const PATH_REMOVE_DIRECTORY: u64 = 1 << 25;
    pub const PATH_UNLINK_FILE: u64 = 1 << 26;
    pub const POLL_FD_READWRITE: u64 = 1 << 27;
    pub const SOCK_SHUTDOWN: u64 = 1 << 28;
    pub const SOCK_ACCEPT: u64 = 1 << 29;

    /// What a regular file's descriptor can do.
    pub const FILE: u64 = FD_DATASYNC
        | FD_READ
        | FD_SEEK
        | FD_FDSTAT_SET_FLAGS
        | FD_SYNC
        | FD_TELL
        | FD_WRITE
        | FD_ADVISE
        | FD_ALLOCATE
        | FD_FILESTAT_GET
        | FD_FILESTAT_SET_SIZE
        | FD_FILESTAT_SET_TIMES
        | POLL_FD_READWRITE;

    /// What a directory's descriptor can do itself (its base rights): the
    /// set the reference gives preopened directories.
    pub const DIR: u64 = PATH_CREATE_DIRECTORY
        | PATH_CREATE_FILE
        | PATH_LINK_SOURCE
        | PATH_LINK_TARGET
        | PATH_OPEN
        | FD_READDIR
        | PATH_READLINK
        | PATH_RENAME_SOURCE
        | PATH_RENAME_TARGET
        | PATH_FILESTAT_GET
        | PATH_FILESTAT_SET_TIMES
        | FD_FILESTAT_GET
        | FD_FILESTAT_SET_TIMES
        | PATH_SYMLINK
        | PATH_REMOVE_DIRECTORY
        | PATH_UNLINK_FILE;

    /// What descriptors opened beneath a preopened directory may be given:
    /// everything a directory or a file can do.
    pub const DIR_INHERITING: u64 = DIR | FILE;

    /// Standard input. No `FD_SEEK`/`FD_TELL`: wasi-libc's `isatty`
    /// treats a seekable descriptor as no terminal.
    pub const STDIN: u64 = FD_READ | FD_FDSTAT_SET_FLAGS | FD_FILESTAT_GET | POLL_FD_READWRITE;

    /// Standard output and error (see `STDIN` about seeking).
    pub const STDOUT: u64 = FD_WRITE | FD_FDSTAT_SET_FLAGS | FD_FILESTAT_GET | POLL_FD_READWRITE;

    /// A listening socket.
    pub const LISTENER: u64 =
        SOCK_ACCEPT | SOCK_SHUTDOWN | FD_FDSTAT_SET_FLAGS | FD_FILESTAT_GET | POLL_FD_READWRITE;

    /// An accepted connection.
    pub const STREAM: u64 = FD_READ
        | FD_WRITE
        | SOCK_SHUTDOWN
        | FD_FDSTAT_SET_FLAGS
        | FD_FILESTAT_GET
        | POLL_FD_READWRITE;
}

/// `filetype` (`u8`).
pub(crate) mod filetype {
    pub const UNKNOWN: u8 = 0;
    pub const BLOCK_DEVICE: u8 = 1;
    pub const CHARACTER_DEVICE: u8 = 2;
    pub const DIRECTORY: u8 = 3;
    pub const REGULAR_FILE: u8 = 4;
    pub const SOCKET_STREAM: u8 = 6;
    pub const SYMBOLIC_LINK: u8 = 7;
}

/// `fdflags` (`u16`).
pub(crate) mod fdflags {
    pub const APPEND: u16 = 1 << 0;
    pub const DSYNC: u16 = 1 << 1;
    pub const NONBLOCK: u16 = 1 << 2;
    pub const RSYNC: u16 = 1 << 3;
    pub const SYNC: u16 = 1 << 4;
    pub const ALL: u16 = APPEND | DSYNC | NONBLOCK | RSYNC | SYNC;
}

/// `oflags` (`u16`).
pub(crate) mod oflags {
    pub const CREAT: u16 = 1 << 0;
    pub const DIRECTORY: u16 = 1 << 1;
    pub const EXCL: u16 = 1 << 2;
    pub const TRUNC: u16 = 1 << 3;
    pub const ALL: u16 = CREAT | DIRECTORY | EXCL | TRUNC;
}

/// `lookupflags` (`u32`).
pub(crate) const LOOKUP_SYMLINK_FOLLOW: u32 = 1;

/// `fstflags` (`u16`).
pub(crate) mod fstflags {
    pub const ATIM: u16 = 1 << 0;
    pub const ATIM_NOW: u16 = 1 << 1;
    pub const MTIM: u16 = 1 << 2;
    pub const MTIM_NOW: u16 = 1 << 3;
    pub const ALL: u16 = ATIM | ATIM_NOW | MTIM | MTIM_NOW;
}

/// `clockid` (`u32`).
pub(crate) mod clockid {
    pub const REALTIME: u32 = 0;
    pub const MONOTONIC: u32 = 1;
    pub const PROCESS_CPUTIME_ID: u32 = 2;
    pub const THREAD_CPUTIME_ID: u32 = 3;
}

/// `whence` (`u8`).
pub(crate) mod whence {
    pub const SET: u32 = 0;
    pub const CUR: u32 = 1;
    pub const END: u32 = 2;
}

/// `eventtype` (`u8`): the subscription and event tags.
pub(crate) mod eventtype {
    pub const CLOCK: u8 = 0;
    pub const FD_READ: u8 = 1;
    pub const FD_WRITE: u8 = 2;
}

/// `subclockflags` (`u16`).
pub(crate) const SUBSCRIPTION_CLOCK_ABSTIME: u16 = 1;

/// `eventrwflags` (`u16`).
pub(crate) const EVENT_FD_READWRITE_HANGUP: u16 = 1;

/// `riflags` (`u16`), `roflags` (`u16`), `sdflags` (`u8`).
pub(crate) mod sock {
    pub const RECV_PEEK: u32 = 1 << 0;
    pub const RECV_WAITALL: u32 = 1 << 1;
    pub const SHUT_RD: u32 = 1 << 0;
    pub const SHUT_WR: u32 = 1 << 1;
}

/// Structure sizes and field offsets in guest memory.
pub(crate) mod layout {
    /// `iovec` / `ciovec`: `buf` at 0, `buf_len` at 4.
    pub const IOVEC_SIZE: u32 = 8;

    /// `fdstat`: filetype u8 @0, flags u16 @2, rights_base u64 @8,
    /// rights_inheriting u64 @16.
    pub const FDSTAT_SIZE: u32 = 24;

    /// `filestat`: dev @0, ino @8, filetype u8 @16, nlink @24, size @32,
    /// atim @40, mtim @48, ctim @56.
    pub const FILESTAT_SIZE: u32 = 64;

    /// `prestat`: tag u8 @0 (0: dir), pr_name_len u32 @4.
    pub const PRESTAT_SIZE: u32 = 8;

    /// `dirent`: d_next u64 @0, d_ino u64 @8, d_namlen u32 @16, d_type u8
    /// @20, then the name.
    pub const DIRENT_SIZE: usize = 24;

    /// `subscription`: userdata u64 @0, tag u8 @8, then at 16 either a
    /// clock (id u32 @16, timeout u64 @24, precision u64 @32, flags u16
    /// @40) or an fd (u32 @16).
    pub const SUBSCRIPTION_SIZE: u32 = 48;

    /// `event`: userdata u64 @0, error u16 @8, type u8 @10, nbytes u64 @16,
    /// flags u16 @24.
    pub const EVENT_SIZE: u32 = 32;
}
