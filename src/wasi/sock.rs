//! Sockets: preview 1 can only accept connections on listening sockets the
//! embedder preopened, and talk over what it accepted.
//!
//! [`WasiConfig::inherit_network`](super::WasiConfig::inherit_network)
//! gates all four functions: with it off they answer `ENOTCAPABLE` (the
//! sockets still occupy their descriptor numbers, so a guest sees a clear
//! capability error rather than a missing descriptor). Descriptors that are
//! no socket are `ENOTSOCK`, as the reference answers.

use super::ctx::WasiCtx;
use super::errno::{need, Errno, WasiResult};
use super::funcs::{a32, Mem};
use super::sys;
use super::table::{Entry, Kind};
use super::types::{fdflags, rights, sock};
use crate::runtime::Val;
use std::os::fd::{AsRawFd, RawFd};

fn gate(ctx: &WasiCtx) -> Result<(), Errno> {
    if ctx.network {
        Ok(())
    } else {
        Err(Errno::NOTCAPABLE)
    }
}

/// The connection `fd` names.
fn stream(ctx: &WasiCtx, fd: u32) -> Result<(&Entry, RawFd), Errno> {
    let e = ctx.table.get(fd)?;
    match &e.kind {
        Kind::Stream(s) => Ok((e, s.as_raw_fd())),
        Kind::Listener(_) => Err(Errno::NOTCONN),
        _ => Err(Errno::NOTSOCK),
    }
}

/// Accepts a connection; the new descriptor is non-blocking when `flags`
/// says so (the only flag allowed, as in the reference).
pub(crate) fn sock_accept(ctx: &mut WasiCtx, m: &Mem, a: &[Val]) -> WasiResult {
    let (fd, flags, out) = (a32(a, 0), a32(a, 1), a32(a, 2));
    let flags = u16::try_from(flags).map_err(|_| Errno::INVAL)?;
    if flags & !fdflags::NONBLOCK != 0 {
        return Err(Errno::INVAL.into());
    }
    let e = ctx.table.get(fd)?;
    let Kind::Listener(listener) = &e.kind else {
        return Err(Errno::NOTSOCK.into());
    };
    need(e.base, rights::SOCK_ACCEPT)?;
    gate(ctx)?;
    let mem = m.get()?;
    mem.check_out::<u32>(out)?;
    let (stream, _peer) = listener.accept()?;
    stream.set_nonblocking(flags & fdflags::NONBLOCK != 0)?;
    let new = Entry {
        base: rights::STREAM & e.inheriting,
        inheriting: 0,
        flags,
        kind: Kind::Stream(stream),
    };
    let new_fd = ctx.table.push(new)?;
    Ok(mem.write_u32(out, new_fd)?)
}

/// Receives into the buffers; `ro_flags` is always 0 (no datagrams, so no
/// truncation to report).
pub(crate) fn sock_recv(ctx: &mut WasiCtx, m: &Mem, a: &[Val]) -> WasiResult {
    let (fd, iovs, iovs_len, ri_flags) = (a32(a, 0), a32(a, 1), a32(a, 2), a32(a, 3));
    let (out_len, out_flags) = (a32(a, 4), a32(a, 5));
    if ri_flags & !(sock::RECV_PEEK | sock::RECV_WAITALL) != 0 {
        return Err(Errno::INVAL.into());
    }
    let (e, host) = stream(ctx, fd)?;
    need(e.base, rights::FD_READ)?;
    gate(ctx)?;
    let mem = m.get()?;
    mem.check_out::<u32>(out_len)?;
    mem.check_out::<u16>(out_flags)?;
    let iov = mem.iovecs(iovs, iovs_len)?;
    let mut flags = 0;
    if ri_flags & sock::RECV_PEEK != 0 {
        flags |= libc::MSG_PEEK;
    }
    if ri_flags & sock::RECV_WAITALL != 0 {
        flags |= libc::MSG_WAITALL;
    }
    let n = sys::recv(host, &iov, flags)?;
    mem.write_u32(out_len, n as u32)?;
    Ok(mem.write_u16(out_flags, 0)?)
}

pub(crate) fn sock_send(ctx: &mut WasiCtx, m: &Mem, a: &[Val]) -> WasiResult {
    let (fd, iovs, iovs_len, si_flags, out) =
        (a32(a, 0), a32(a, 1), a32(a, 2), a32(a, 3), a32(a, 4));
    // Preview 1 defines no send flags.
    if si_flags != 0 {
        return Err(Errno::INVAL.into());
    }
    let (e, host) = stream(ctx, fd)?;
    need(e.base, rights::FD_WRITE)?;
    gate(ctx)?;
    let mem = m.get()?;
    mem.check_out::<u32>(out)?;
    let iov = mem.iovecs(iovs, iovs_len)?;
    let n = sys::send(host, &iov)?;
    Ok(mem.write_u32(out, n as u32)?)
}

pub(crate) fn sock_shutdown(ctx: &mut WasiCtx, _: &Mem, a: &[Val]) -> WasiResult {
    let (fd, how) = (a32(a, 0), a32(a, 1));
    let how = match how {
        sock::SHUT_RD => libc::SHUT_RD,
        sock::SHUT_WR => libc::SHUT_WR,
        x if x == sock::SHUT_RD | sock::SHUT_WR => libc::SHUT_RDWR,
        _ => return Err(Errno::INVAL.into()),
    };
    let e = ctx.table.get(fd)?;
    let host = match &e.kind {
        Kind::Stream(s) => s.as_raw_fd(),
        Kind::Listener(l) => l.as_raw_fd(),
        _ => return Err(Errno::NOTSOCK.into()),
    };
    need(e.base, rights::SOCK_SHUTDOWN)?;
    gate(ctx)?;
    Ok(sys::shutdown(host, how)?)
}
