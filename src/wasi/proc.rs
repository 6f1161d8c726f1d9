//! Arguments, environment, clocks, randomness and the process functions.

use super::ctx::WasiCtx;
use super::errno::{Errno, WasiResult};
use super::funcs::{a32, Mem};
use super::sys;
use super::types::clockid;
use crate::runtime::{Trap, Val};

pub(crate) fn args_get(ctx: &mut WasiCtx, m: &Mem, a: &[Val]) -> WasiResult {
    let mem = m.get()?;
    Ok(ctx.args.write(&mem, a32(a, 0), a32(a, 1))?)
}

pub(crate) fn args_sizes_get(ctx: &mut WasiCtx, m: &Mem, a: &[Val]) -> WasiResult {
    sizes(ctx.args.sizes(), m, a)
}

pub(crate) fn environ_get(ctx: &mut WasiCtx, m: &Mem, a: &[Val]) -> WasiResult {
    let mem = m.get()?;
    Ok(ctx.env.write(&mem, a32(a, 0), a32(a, 1))?)
}

pub(crate) fn environ_sizes_get(ctx: &mut WasiCtx, m: &Mem, a: &[Val]) -> WasiResult {
    sizes(ctx.env.sizes(), m, a)
}

fn sizes((count, bytes): (u32, u32), m: &Mem, a: &[Val]) -> WasiResult {
    let mem = m.get()?;
    mem.check_out::<u32>(a32(a, 1))?;
    mem.write_u32(a32(a, 0), count)?;
    mem.write_u32(a32(a, 1), bytes)?;
    Ok(())
}

/// The host clock behind a preview 1 clock id. Monotonic time counts from
/// the host's boot (any origin is allowed; the same one serves
/// `poll_oneoff`'s absolute deadlines). The CPU-time clocks are the host
/// process's and the calling thread's: Linux has them, so they answer
/// rather than fail (the reference has none and answers `EBADF`).
fn host_clock(id: u32) -> Result<libc::clockid_t, Errno> {
    match id {
        clockid::REALTIME => Ok(libc::CLOCK_REALTIME),
        clockid::MONOTONIC => Ok(libc::CLOCK_MONOTONIC),
        clockid::PROCESS_CPUTIME_ID => Ok(libc::CLOCK_PROCESS_CPUTIME_ID),
        clockid::THREAD_CPUTIME_ID => Ok(libc::CLOCK_THREAD_CPUTIME_ID),
        // An id outside the enum: wiggle's decoding answers `EINVAL`.
        _ => Err(Errno::INVAL),
    }
}

pub(crate) fn clock_res_get(_: &mut WasiCtx, m: &Mem, a: &[Val]) -> WasiResult {
    let clock = host_clock(a32(a, 0))?;
    let mem = m.get()?;
    mem.check_out::<u64>(a32(a, 1))?;
    let res = sys::clock_getres(clock)?;
    Ok(mem.write_u64(a32(a, 1), res)?)
}

/// The precision argument is a hint the host clocks cannot use.
pub(crate) fn clock_time_get(_: &mut WasiCtx, m: &Mem, a: &[Val]) -> WasiResult {
    let clock = host_clock(a32(a, 0))?;
    let mem = m.get()?;
    mem.check_out::<u64>(a32(a, 2))?;
    let now = sys::clock_gettime(clock)?;
    Ok(mem.write_u64(a32(a, 2), now)?)
}

/// The current monotonic time in nanoseconds (`poll_oneoff`'s timeline).
pub(crate) fn monotonic_now() -> u64 {
    sys::clock_gettime(libc::CLOCK_MONOTONIC).unwrap_or(0)
}

/// The current real time in nanoseconds since the epoch.
pub(crate) fn realtime_now() -> u64 {
    sys::clock_gettime(libc::CLOCK_REALTIME).unwrap_or(0)
}

/// Fills the guest's buffer from the OS's random source (`getrandom`),
/// straight into guest memory.
pub(crate) fn random_get(_: &mut WasiCtx, m: &Mem, a: &[Val]) -> WasiResult {
    let mem = m.get()?;
    let len = a32(a, 1);
    let buf = mem.raw(a32(a, 0), len)?;
    // SAFETY: `raw` checked that `len` bytes at `buf` lie in guest memory,
    // writable for the call.
    unsafe { sys::getrandom(buf, len as usize)? };
    Ok(())
}

/// Ends the program: a trap carrying the status, which the embedder reads
/// back with `Trap::exit_status`. Preview 1 statuses are below 126 (the
/// shell's meanings start there); the reference refuses larger ones with
/// a plain trap, and so does this.
pub(crate) fn proc_exit(_: &mut WasiCtx, _: &Mem, a: &[Val]) -> WasiResult {
    let status = a32(a, 0);
    if status < 126 {
        Err(Trap::exit(status as i32).into())
    } else {
        Err(Trap::new(format!(
            "proc_exit({status}): exit with invalid exit status outside of [0..126)"
        ))
        .into())
    }
}

/// Signals are not supported: the reference answers `ENOTSUP` (its
/// preview 1 adapter; the older wasi-common trapped), and so does this.
pub(crate) fn proc_raise(_: &mut WasiCtx, _: &Mem, _: &[Val]) -> WasiResult {
    Err(Errno::NOTSUP.into())
}

pub(crate) fn sched_yield(_: &mut WasiCtx, _: &Mem, _: &[Val]) -> WasiResult {
    std::thread::yield_now();
    Ok(())
}
