//! `errno`: the preview 1 error codes (numbered as the witx numbers them,
//! which is *not* the host's numbering) and the translation of host errors
//! into them.

use std::io;

/// A preview 1 error code (`errno`, a `u16` in the guest's ABI; the
/// functions return it widened to `i32`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Errno(pub(crate) u16);

#[allow(dead_code)] // the full table, so that every host error has its code
impl Errno {
    pub const SUCCESS: Errno = Errno(0);
    pub const TOOBIG: Errno = Errno(1);
    pub const ACCES: Errno = Errno(2);
    pub const ADDRINUSE: Errno = Errno(3);
    pub const ADDRNOTAVAIL: Errno = Errno(4);
    pub const AFNOSUPPORT: Errno = Errno(5);
    pub const AGAIN: Errno = Errno(6);
    pub const ALREADY: Errno = Errno(7);
    pub const BADF: Errno = Errno(8);
    pub const BADMSG: Errno = Errno(9);
    pub const BUSY: Errno = Errno(10);
    pub const CANCELED: Errno = Errno(11);
    pub const CHILD: Errno = Errno(12);
    pub const CONNABORTED: Errno = Errno(13);
    pub const CONNREFUSED: Errno = Errno(14);
    pub const CONNRESET: Errno = Errno(15);
    pub const DEADLK: Errno = Errno(16);
    pub const DESTADDRREQ: Errno = Errno(17);
    pub const DOM: Errno = Errno(18);
    pub const DQUOT: Errno = Errno(19);
    pub const EXIST: Errno = Errno(20);
    pub const FAULT: Errno = Errno(21);
    pub const FBIG: Errno = Errno(22);
    pub const HOSTUNREACH: Errno = Errno(23);
    pub const IDRM: Errno = Errno(24);
    pub const ILSEQ: Errno = Errno(25);
    pub const INPROGRESS: Errno = Errno(26);
    pub const INTR: Errno = Errno(27);
    pub const INVAL: Errno = Errno(28);
    pub const IO: Errno = Errno(29);
    pub const ISCONN: Errno = Errno(30);
    pub const ISDIR: Errno = Errno(31);
    pub const LOOP: Errno = Errno(32);
    pub const MFILE: Errno = Errno(33);
    pub const MLINK: Errno = Errno(34);
    pub const MSGSIZE: Errno = Errno(35);
    pub const MULTIHOP: Errno = Errno(36);
    pub const NAMETOOLONG: Errno = Errno(37);
    pub const NETDOWN: Errno = Errno(38);
    pub const NETRESET: Errno = Errno(39);
    pub const NETUNREACH: Errno = Errno(40);
    pub const NFILE: Errno = Errno(41);
    pub const NOBUFS: Errno = Errno(42);
    pub const NODEV: Errno = Errno(43);
    pub const NOENT: Errno = Errno(44);
    pub const NOEXEC: Errno = Errno(45);
    pub const NOLCK: Errno = Errno(46);
    pub const NOLINK: Errno = Errno(47);
    pub const NOMEM: Errno = Errno(48);
    pub const NOMSG: Errno = Errno(49);
    pub const NOPROTOOPT: Errno = Errno(50);
    pub const NOSPC: Errno = Errno(51);
    pub const NOSYS: Errno = Errno(52);
    pub const NOTCONN: Errno = Errno(53);
    pub const NOTDIR: Errno = Errno(54);
    pub const NOTEMPTY: Errno = Errno(55);
    pub const NOTRECOVERABLE: Errno = Errno(56);
    pub const NOTSOCK: Errno = Errno(57);
    pub const NOTSUP: Errno = Errno(58);
    pub const NOTTY: Errno = Errno(59);
    pub const NXIO: Errno = Errno(60);
    pub const OVERFLOW: Errno = Errno(61);
    pub const OWNERDEAD: Errno = Errno(62);
    pub const PERM: Errno = Errno(63);
    pub const PIPE: Errno = Errno(64);
    pub const PROTO: Errno = Errno(65);
    pub const PROTONOSUPPORT: Errno = Errno(66);
    pub const PROTOTYPE: Errno = Errno(67);
    pub const RANGE: Errno = Errno(68);
    pub const ROFS: Errno = Errno(69);
    pub const SPIPE: Errno = Errno(70);
    pub const SRCH: Errno = Errno(71);
    pub const STALE: Errno = Errno(72);
    pub const TIMEDOUT: Errno = Errno(73);
    pub const TXTBSY: Errno = Errno(74);
    pub const XDEV: Errno = Errno(75);
    pub const NOTCAPABLE: Errno = Errno(76);

    /// The preview 1 code for the host's `errno` value `code`. Every host
    /// error gets one (`EIO` for those preview 1 has no name for), so no
    /// host failure ever turns into a trap.
    pub(crate) fn from_raw_os_error(code: i32) -> Errno {
        match code {
            libc::E2BIG => Errno::TOOBIG,
            libc::EACCES => Errno::ACCES,
            libc::EADDRINUSE => Errno::ADDRINUSE,
            libc::EADDRNOTAVAIL => Errno::ADDRNOTAVAIL,
            libc::EAFNOSUPPORT => Errno::AFNOSUPPORT,
            libc::EAGAIN => Errno::AGAIN,
            libc::EALREADY => Errno::ALREADY,
            libc::EBADF => Errno::BADF,
            libc::EBADMSG => Errno::BADMSG,
            libc::EBUSY => Errno::BUSY,
            libc::ECANCELED => Errno::CANCELED,
            libc::ECHILD => Errno::CHILD,
            libc::ECONNABORTED => Errno::CONNABORTED,
            libc::ECONNREFUSED => Errno::CONNREFUSED,
            libc::ECONNRESET => Errno::CONNRESET,
            libc::EDEADLK => Errno::DEADLK,
            libc::EDESTADDRREQ => Errno::DESTADDRREQ,
            libc::EDOM => Errno::DOM,
            libc::EDQUOT => Errno::DQUOT,
            libc::EEXIST => Errno::EXIST,
            libc::EFAULT => Errno::FAULT,
            libc::EFBIG => Errno::FBIG,
            libc::EHOSTUNREACH => Errno::HOSTUNREACH,
            libc::EIDRM => Errno::IDRM,
            libc::EILSEQ => Errno::ILSEQ,
            libc::EINPROGRESS => Errno::INPROGRESS,
            libc::EINTR => Errno::INTR,
            libc::EINVAL => Errno::INVAL,
            libc::EIO => Errno::IO,
            libc::EISCONN => Errno::ISCONN,
            libc::EISDIR => Errno::ISDIR,
            libc::ELOOP => Errno::LOOP,
            libc::EMFILE => Errno::MFILE,
            libc::EMLINK => Errno::MLINK,
            libc::EMSGSIZE => Errno::MSGSIZE,
            libc::EMULTIHOP => Errno::MULTIHOP,
            libc::ENAMETOOLONG => Errno::NAMETOOLONG,
            libc::ENETDOWN => Errno::NETDOWN,
            libc::ENETRESET => Errno::NETRESET,
            libc::ENETUNREACH => Errno::NETUNREACH,
            libc::ENFILE => Errno::NFILE,
            libc::ENOBUFS => Errno::NOBUFS,
            libc::ENODEV => Errno::NODEV,
            libc::ENOENT => Errno::NOENT,
            libc::ENOEXEC => Errno::NOEXEC,
            libc::ENOLCK => Errno::NOLCK,
            libc::ENOLINK => Errno::NOLINK,
            libc::ENOMEM => Errno::NOMEM,
            libc::ENOMSG => Errno::NOMSG,
            libc::ENOPROTOOPT => Errno::NOPROTOOPT,
            libc::ENOSPC => Errno::NOSPC,
            libc::ENOSYS => Errno::NOSYS,
            libc::ENOTCONN => Errno::NOTCONN,
            libc::ENOTDIR => Errno::NOTDIR,
            libc::ENOTEMPTY => Errno::NOTEMPTY,
            libc::ENOTRECOVERABLE => Errno::NOTRECOVERABLE,
            libc::ENOTSOCK => Errno::NOTSOCK,
            libc::ENOTSUP => Errno::NOTSUP,
            libc::ENOTTY => Errno::NOTTY,
            libc::ENXIO => Errno::NXIO,
            libc::EOVERFLOW => Errno::OVERFLOW,
            libc::EOWNERDEAD => Errno::OWNERDEAD,
            libc::EPERM => Errno::PERM,
            libc::EPIPE => Errno::PIPE,
            libc::EPROTO => Errno::PROTO,
            libc::EPROTONOSUPPORT => Errno::PROTONOSUPPORT,
            libc::EPROTOTYPE => Errno::PROTOTYPE,
            libc::ERANGE => Errno::RANGE,
            libc::EROFS => Errno::ROFS,
            libc::ESPIPE => Errno::SPIPE,
            libc::ESRCH => Errno::SRCH,
            libc::ESTALE => Errno::STALE,
            libc::ETIMEDOUT => Errno::TIMEDOUT,
            libc::ETXTBSY => Errno::TXTBSY,
            libc::EXDEV => Errno::XDEV,
            _ => Errno::IO,
        }
    }
}

impl From<io::Error> for Errno {
    /// Host errors by their OS code; errors made in user space by kind.
    /// cap-std reports a path that would leave its directory (`..` past
    /// the root, an absolute path, a symlink pointing out, an absolute
    /// symlink target) as `PermissionDenied` without an OS code: that is
    /// `EPERM`, as the reference answers it.
    fn from(e: io::Error) -> Errno {
        if let Some(code) = e.raw_os_error() {
            return Errno::from_raw_os_error(code);
        }
        match e.kind() {
            io::ErrorKind::NotFound => Errno::NOENT,
            io::ErrorKind::PermissionDenied => Errno::PERM,
            io::ErrorKind::AlreadyExists => Errno::EXIST,
            io::ErrorKind::InvalidInput => Errno::INVAL,
            io::ErrorKind::InvalidData => Errno::ILSEQ,
            io::ErrorKind::WouldBlock => Errno::AGAIN,
            io::ErrorKind::Interrupted => Errno::INTR,
            io::ErrorKind::Unsupported => Errno::NOTSUP,
            io::ErrorKind::OutOfMemory => Errno::NOMEM,
            _ => Errno::IO,
        }
    }
}

/// The outcome of one call other than success: an error code for the
/// guest, or a trap that ends the guest's call (a bad module, `proc_exit`).
pub(crate) enum Fail {
    Errno(Errno),
    Trap(crate::runtime::Trap),
}

impl From<Errno> for Fail {
    fn from(e: Errno) -> Fail {
        Fail::Errno(e)
    }
}

impl From<io::Error> for Fail {
    fn from(e: io::Error) -> Fail {
        Fail::Errno(e.into())
    }
}

impl From<crate::runtime::Trap> for Fail {
    fn from(t: crate::runtime::Trap) -> Fail {
        Fail::Trap(t)
    }
}

/// What each preview 1 function body returns: `Ok` is `errno::success`.
pub(crate) type WasiResult<T = ()> = Result<T, Fail>;

/// Fails with `ENOTCAPABLE` unless `have` holds every right of `need`.
#[inline]
pub(crate) fn need(have: u64, need: u64) -> Result<(), Errno> {
    if have & need == need {
        Ok(())
    } else {
        Err(Errno::NOTCAPABLE)
    }
}
