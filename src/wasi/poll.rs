//! `poll_oneoff`: waiting for clocks and descriptors.
//!
//! Clock subscriptions become deadlines on the monotonic clock (relative
//! ones from now; absolute realtime ones converted through the current
//! real time). Descriptors whose readiness needs no waiting are ready at
//! once: regular files (always, as POSIX `poll` has it), and standard
//! streams that are no host descriptor (bytes, a callback,
//! discarded output). Everything else (sockets, inherited standard
//! streams, pipes and devices) is handed to `ppoll(2)`, which blocks until
//! one is ready or the nearest deadline passes. The call returns the
//! events that are ready, in subscription order; with none ready it keeps
//! waiting, so a lone clock subscription sleeps at least its timeout.
//!
//! As in the reference: no subscriptions is `EINVAL`, and a subscription
//! naming a bad descriptor (or one without `POLL_FD_READWRITE`) fails the
//! whole call rather than becoming an event.

use super::ctx::WasiCtx;
use super::errno::{need, Errno, WasiResult};
use super::funcs::{a32, Mem};
use super::proc::{monotonic_now, realtime_now};
use super::stdio::{Input, Output};
use super::sys;
use super::table::Kind;
use super::types::{
    clockid, eventtype, filetype, layout, rights, EVENT_FD_READWRITE_HANGUP,
    SUBSCRIPTION_CLOCK_ABSTIME,
};
use crate::runtime::Val;
use std::os::fd::{AsRawFd, RawFd};

/// What one subscription waits for.
enum Wait {
    /// The monotonic clock reaching this many nanoseconds.
    Clock(u64),
    /// Ready now: `nbytes` and `flags` for the event.
    Now { nbytes: u64, hangup: bool },
    /// The host descriptor in `pollfds[index]`.
    Host(usize),
}

struct Sub {
    userdata: u64,
    kind: u8,
    wait: Wait,
}

pub(crate) fn poll_oneoff(ctx: &mut WasiCtx, m: &Mem, a: &[Val]) -> WasiResult {
    let (subs_ptr, events_ptr, nsubs, out) = (a32(a, 0), a32(a, 1), a32(a, 2), a32(a, 3));
    if nsubs == 0 {
        return Err(Errno::INVAL.into());
    }
    let mem = m.get()?;
    mem.check_out::<u32>(out)?;
    let subs_len = nsubs
        .checked_mul(layout::SUBSCRIPTION_SIZE)
        .ok_or(Errno::FAULT)?;
    let events_len = nsubs.checked_mul(layout::EVENT_SIZE).ok_or(Errno::FAULT)?;
    mem.check_range(subs_ptr, subs_len)?;
    mem.check_range(events_ptr, events_len)?;

    let now = monotonic_now();
    let mut subs = Vec::with_capacity(nsubs.min(64) as usize);
    let mut pollfds: Vec<libc::pollfd> = Vec::new();
    for i in 0..nsubs {
        let at = subs_ptr + i * layout::SUBSCRIPTION_SIZE;
        let userdata = mem.read_u64(at)?;
        let kind = mem.read_u8(at + 8)?;
        let wait = match kind {
            eventtype::CLOCK => {
                let id = mem.read_u32(at + 16)?;
                let timeout = mem.read_u64(at + 24)?;
                let flags = mem.read_u16(at + 40)?;
                if flags & !SUBSCRIPTION_CLOCK_ABSTIME != 0 {
                    return Err(Errno::INVAL.into());
                }
                Wait::Clock(deadline(
                    id,
                    timeout,
                    flags & SUBSCRIPTION_CLOCK_ABSTIME != 0,
                    now,
                )?)
            }
            eventtype::FD_READ | eventtype::FD_WRITE => {
                let fd = mem.read_u32(at + 16)?;
                let read = kind == eventtype::FD_READ;
                let e = ctx.table.get(fd)?;
                need(e.base, rights::POLL_FD_READWRITE)?;
                match readiness(&e.kind, read)? {
                    Ready::Now { nbytes, hangup } => Wait::Now { nbytes, hangup },
                    Ready::Host(host) => {
                        pollfds.push(libc::pollfd {
                            fd: host,
                            events: if read { libc::POLLIN } else { libc::POLLOUT },
                            revents: 0,
                        });
                        Wait::Host(pollfds.len() - 1)
                    }
                }
            }
            _ => return Err(Errno::INVAL.into()),
        };
        subs.push(Sub {
            userdata,
            kind,
            wait,
        });
    }

    // Wait until something is ready: a descriptor, or the nearest
    // deadline. Something ready at once means only a look at the host
    // descriptors.
    let ready_now = subs.iter().any(|s| matches!(s.wait, Wait::Now { .. }));
    let nearest = subs
        .iter()
        .filter_map(|s| match s.wait {
            Wait::Clock(d) => Some(d),
            _ => None,
        })
        .min();
    let mut now = monotonic_now();
    loop {
        let timeout = if ready_now {
            Some(std::time::Duration::ZERO)
        } else {
            nearest.map(|d| std::time::Duration::from_nanos(d.saturating_sub(now)))
        };
        let ready = if pollfds.is_empty() {
            if let Some(t) = timeout {
                std::thread::sleep(t);
            }
            0
        } else {
            sys::poll(&mut pollfds, timeout)?
        };
        now = monotonic_now();
        if ready_now || ready > 0 || nearest.is_some_and(|d| now >= d) {
            break;
        }
    }

    let mut count = 0u32;
    for s in &subs {
        let event = match s.wait {
            Wait::Clock(d) if now >= d => Some((0, 0, false)),
            Wait::Clock(_) => None,
            Wait::Now { nbytes, hangup } => Some((0, nbytes, hangup)),
            Wait::Host(i) => host_event(&pollfds[i]),
        };
        let Some((error, nbytes, hangup)) = event else {
            continue;
        };
        let at = events_ptr + count * layout::EVENT_SIZE;
        mem.write_u64(at, s.userdata)?;
        mem.write_u16(at + 8, error)?;
        mem.write_u8(at + 10, s.kind)?;
        mem.write_bytes(at + 11, &[0; 5])?;
        let is_fd = s.kind != eventtype::CLOCK;
        mem.write_u64(at + 16, if is_fd { nbytes } else { 0 })?;
        let flags = if is_fd && hangup {
            EVENT_FD_READWRITE_HANGUP
        } else {
            0
        };
        mem.write_u16(at + 24, flags)?;
        mem.write_bytes(at + 26, &[0; 6])?;
        count += 1;
    }
    Ok(mem.write_u32(out, count)?)
}

/// How a descriptor's readiness is known.
enum Ready {
    /// Ready now, with these event fields.
    Now { nbytes: u64, hangup: bool },
    /// Ask the host about this descriptor.
    Host(RawFd),
}

/// How to learn when `kind` can be read (`read`) or written. Reading
/// stdout, writing stdin and directories are no events (`EBADF`, as in
/// the reference).
fn readiness(kind: &Kind, read: bool) -> Result<Ready, Errno> {
    let now = |nbytes| Ready::Now {
        nbytes,
        hangup: false,
    };
    Ok(match kind {
        Kind::File(f) if f.filetype == filetype::REGULAR_FILE => {
            now(if read { file_unread(f.fd()) } else { 0 })
        }
        // Pipes and devices opened by path wait like any descriptor.
        Kind::File(f) => Ready::Host(f.fd()),
        Kind::Stdin(input) if read => match input {
            Input::Empty | Input::Bytes { .. } => {
                let nbytes = input.buffered().unwrap_or(0);
                Ready::Now {
                    nbytes,
                    hangup: nbytes == 0,
                }
            }
            Input::File(f) => now(file_unread(f.as_raw_fd())),
            Input::Inherit => Ready::Host(0),
        },
        Kind::Stdout(Output::Inherit(fd)) if !read => Ready::Host(*fd),
        Kind::Stdout(_) if !read => now(0),
        Kind::Listener(l) => Ready::Host(l.as_raw_fd()),
        Kind::Stream(s) => Ready::Host(s.as_raw_fd()),
        _ => return Err(Errno::BADF),
    })
}

/// A clock subscription's deadline on the monotonic clock. Relative
/// timeouts are durations whatever the clock (POSIX: setting a clock does
/// not change relative sleeps); absolute ones exist for the realtime and
/// monotonic clocks only (`EINVAL` otherwise).
fn deadline(id: u32, timeout: u64, absolute: bool, now: u64) -> Result<u64, Errno> {
    if !absolute {
        if id > clockid::THREAD_CPUTIME_ID {
            return Err(Errno::INVAL);
        }
        return Ok(now.saturating_add(timeout));
    }
    match id {
        clockid::MONOTONIC => Ok(timeout),
        clockid::REALTIME => Ok(now.saturating_add(timeout.saturating_sub(realtime_now()))),
        _ => Err(Errno::INVAL),
    }
}

/// Bytes between a file's position and its end (what a read would get).
fn file_unread(fd: RawFd) -> u64 {
    let size = sys::fstat(fd)
        .map(|st| st.st_size.max(0) as u64)
        .unwrap_or(0);
    let pos = sys::lseek(fd, 0, libc::SEEK_CUR).unwrap_or(0);
    size.saturating_sub(pos)
}

/// The event of a host descriptor, if `ppoll` found it ready: `(error,
/// nbytes, hangup)`.
fn host_event(p: &libc::pollfd) -> Option<(u16, u64, bool)> {
    let r = p.revents;
    if r == 0 {
        return None;
    }
    if r & libc::POLLNVAL != 0 {
        return Some((Errno::BADF.0, 0, false));
    }
    let hangup = r & libc::POLLHUP != 0;
    if r & libc::POLLERR != 0 && r & (libc::POLLIN | libc::POLLOUT) == 0 {
        return Some((Errno::IO.0, 0, hangup));
    }
    let nbytes = if p.events & libc::POLLIN != 0 {
        sys::bytes_readable(p.fd)
    } else {
        0
    };
    Some((0, nbytes, hangup))
}
