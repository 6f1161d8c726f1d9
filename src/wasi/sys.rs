//! The few host system calls preview 1 needs beyond what cap-std offers,
//! on raw descriptors the context owns (or, for inherited standard
//! streams, the host's 0, 1 and 2, which it never closes). Each wrapper
//! retries on `EINTR` where the call is restartable and turns failure into
//! `io::Error`.

use super::memory::Iovecs;
use std::io;
use std::os::fd::RawFd;

/// `Ok(r)` for a non-negative result, the thread's `errno` otherwise.
fn check(r: isize) -> io::Result<usize> {
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r as usize)
    }
}

/// Runs `f` again while it fails with `EINTR`.
fn restart(mut f: impl FnMut() -> isize) -> io::Result<usize> {
    loop {
        match check(f()) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

fn iov_count(iov: &Iovecs) -> libc::c_int {
    // At most IOV_MAX entries (see `GuestMemory::iovecs`).
    iov.len() as libc::c_int
}

pub(crate) fn readv(fd: RawFd, iov: &Iovecs) -> io::Result<usize> {
    // SAFETY: every buffer lies in guest memory, valid and writable for the
    // call (see `memory`); the kernel writes only inside them.
    restart(|| unsafe { libc::readv(fd, iov.as_slice().as_ptr(), iov_count(iov)) })
}

pub(crate) fn writev(fd: RawFd, iov: &Iovecs) -> io::Result<usize> {
    // SAFETY: every buffer lies in guest memory, valid for reads.
    restart(|| unsafe { libc::writev(fd, iov.as_slice().as_ptr(), iov_count(iov)) })
}

pub(crate) fn preadv(fd: RawFd, iov: &Iovecs, offset: u64) -> io::Result<usize> {
    let offset = i64::try_from(offset).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
    // SAFETY: as in `readv`.
    restart(|| unsafe { libc::preadv(fd, iov.as_slice().as_ptr(), iov_count(iov), offset) })
}

pub(crate) fn pwritev(fd: RawFd, iov: &Iovecs, offset: u64) -> io::Result<usize> {
    let offset = i64::try_from(offset).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
    // SAFETY: as in `writev`.
    restart(|| unsafe { libc::pwritev(fd, iov.as_slice().as_ptr(), iov_count(iov), offset) })
}

/// `recvmsg` into the buffers with `flags` (`MSG_PEEK`, `MSG_WAITALL`).
pub(crate) fn recv(fd: RawFd, iov: &Iovecs, flags: libc::c_int) -> io::Result<usize> {
    restart(|| {
        // SAFETY: a zeroed `msghdr` is a valid empty one; only the buffer
        // list is set, pointing at checked guest buffers the kernel may
        // write.
        unsafe {
            let mut msg: libc::msghdr = std::mem::zeroed();
            msg.msg_iov = iov.as_slice().as_ptr() as *mut libc::iovec;
            msg.msg_iovlen = iov.len() as _;
            libc::recvmsg(fd, &mut msg, flags)
        }
    })
}

/// `sendmsg` from the buffers. Always with `MSG_NOSIGNAL`: a peer that
/// went away is `EPIPE` for the guest, never a `SIGPIPE` for the host.
pub(crate) fn send(fd: RawFd, iov: &Iovecs) -> io::Result<usize> {
    restart(|| {
        // SAFETY: as in `recv`; the kernel only reads the buffers.
        unsafe {
            let mut msg: libc::msghdr = std::mem::zeroed();
            msg.msg_iov = iov.as_slice().as_ptr() as *mut libc::iovec;
            msg.msg_iovlen = iov.len() as _;
            libc::sendmsg(fd, &msg, libc::MSG_NOSIGNAL)
        }
    })
}

/// `lseek`; the new offset.
pub(crate) fn lseek(fd: RawFd, offset: i64, whence: libc::c_int) -> io::Result<u64> {
    // SAFETY: no memory is involved.
    let r = unsafe { libc::lseek(fd, offset, whence) };
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r as u64)
    }
}

/// `fstat`.
pub(crate) fn fstat(fd: RawFd) -> io::Result<libc::stat> {
    // SAFETY: `stat` is plain data, fully written by a successful call.
    unsafe {
        let mut st: libc::stat = std::mem::zeroed();
        if libc::fstat(fd, &mut st) < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(st)
    }
}

/// Replaces the status flags in `mask` (`O_APPEND`, `O_NONBLOCK`) with
/// those of `flags`.
pub(crate) fn set_status_flags(fd: RawFd, mask: libc::c_int, flags: libc::c_int) -> io::Result<()> {
    // SAFETY: `fcntl` with integer arguments touches no memory of ours.
    unsafe {
        let old = libc::fcntl(fd, libc::F_GETFL);
        if old < 0 {
            return Err(io::Error::last_os_error());
        }
        if libc::fcntl(fd, libc::F_SETFL, (old & !mask) | (flags & mask)) < 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// `futimens` with preview 1's timestamp choices already turned into
/// `timespec`s (`UTIME_NOW`, `UTIME_OMIT` or a time).
pub(crate) fn futimens(fd: RawFd, times: &[libc::timespec; 2]) -> io::Result<()> {
    // SAFETY: `times` is two valid `timespec`s.
    if unsafe { libc::futimens(fd, times.as_ptr()) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// `posix_fadvise` (which returns the error instead of setting `errno`).
pub(crate) fn fadvise(fd: RawFd, offset: u64, len: u64, advice: libc::c_int) -> io::Result<()> {
    let offset = i64::try_from(offset).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
    let len = i64::try_from(len).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
    // SAFETY: no memory is involved.
    match unsafe { libc::posix_fadvise(fd, offset, len, advice) } {
        0 => Ok(()),
        e => Err(io::Error::from_raw_os_error(e)),
    }
}

/// `posix_fallocate` (which returns the error instead of setting `errno`).
pub(crate) fn fallocate(fd: RawFd, offset: u64, len: u64) -> io::Result<()> {
    let offset = i64::try_from(offset).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
    let len = i64::try_from(len).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
    loop {
        // SAFETY: no memory is involved.
        match unsafe { libc::posix_fallocate(fd, offset, len) } {
            0 => return Ok(()),
            libc::EINTR => continue,
            e => return Err(io::Error::from_raw_os_error(e)),
        }
    }
}

/// `shutdown`.
pub(crate) fn shutdown(fd: RawFd, how: libc::c_int) -> io::Result<()> {
    // SAFETY: no memory is involved.
    if unsafe { libc::shutdown(fd, how) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Bytes waiting to be read on a socket or pipe (`FIONREAD`).
pub(crate) fn bytes_readable(fd: RawFd) -> u64 {
    let mut n: libc::c_int = 0;
    // SAFETY: `FIONREAD` writes one `int` to the pointer given.
    if unsafe { libc::ioctl(fd, libc::FIONREAD, &mut n) } < 0 {
        return 0;
    }
    n.max(0) as u64
}

/// `ppoll` on `fds` until one is ready or `timeout` passes (`None`:
/// forever); the number ready. `EINTR` is a spurious wakeup, reported
/// as 0 ready (the caller re-checks its deadlines).
pub(crate) fn poll(
    fds: &mut [libc::pollfd],
    timeout: Option<std::time::Duration>,
) -> io::Result<usize> {
    let ts = timeout.map(|t| libc::timespec {
        tv_sec: t.as_secs().min(i64::MAX as u64) as libc::time_t,
        tv_nsec: t.subsec_nanos() as libc::c_long,
    });
    let ts_ptr = ts
        .as_ref()
        .map_or(std::ptr::null(), |t| t as *const libc::timespec);
    // SAFETY: `fds` is a valid array of `pollfd`s the kernel may update,
    // `ts_ptr` null or a valid `timespec`, no signal mask.
    let r = unsafe {
        libc::ppoll(
            fds.as_mut_ptr(),
            fds.len() as libc::nfds_t,
            ts_ptr,
            std::ptr::null(),
        )
    };
    if r < 0 {
        let e = io::Error::last_os_error();
        if e.kind() == io::ErrorKind::Interrupted {
            return Ok(0);
        }
        return Err(e);
    }
    Ok(r as usize)
}

/// Whether host descriptor `fd` is a terminal.
pub(crate) fn isatty(fd: RawFd) -> bool {
    // SAFETY: no memory is involved.
    unsafe { libc::isatty(fd) == 1 }
}

/// Reads clock `id`; nanoseconds (0 before the epoch).
pub(crate) fn clock_gettime(id: libc::clockid_t) -> io::Result<u64> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: writes one `timespec` to the pointer given.
    if unsafe { libc::clock_gettime(id, &mut ts) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(timespec_nanos(&ts))
}

/// The resolution of clock `id`, in nanoseconds (at least 1).
pub(crate) fn clock_getres(id: libc::clockid_t) -> io::Result<u64> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: writes one `timespec` to the pointer given.
    if unsafe { libc::clock_getres(id, &mut ts) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(timespec_nanos(&ts).max(1))
}

fn timespec_nanos(ts: &libc::timespec) -> u64 {
    if ts.tv_sec < 0 {
        return 0;
    }
    (ts.tv_sec as u64)
        .saturating_mul(1_000_000_000)
        .saturating_add(ts.tv_nsec as u64)
}

/// Fills `len` bytes at `buf` from the OS's random source, blocking until
/// it is seeded (as preview 1's `random_get` may).
///
/// # Safety
/// `buf..buf + len` must be valid for writes.
pub(crate) unsafe fn getrandom(buf: *mut u8, len: usize) -> io::Result<()> {
    let mut done = 0;
    while done < len {
        // SAFETY: `buf + done .. buf + len` is inside the caller's buffer.
        let r = unsafe { libc::getrandom(buf.add(done).cast(), len - done, 0) };
        match check(r) {
            Ok(n) => done += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
