//! The `fd_*` functions: operations on an open descriptor.
//!
//! Each checks, in this order (the reference's): the arguments' own
//! validity (enums and flags, `EINVAL`), that the descriptor exists
//! (`EBADF`) and is of a kind the operation applies to (`EBADF`, or
//! `ESPIPE` for positioned I/O on a stream), its rights (`ENOTCAPABLE`),
//! the preopen's permissions (`EPERM`), then the guest's pointers
//! (`EFAULT`) before anything happens.
//!
//! Files use the host descriptor's own offset (`readv`, `lseek`), so a
//! descriptor's position is the kernel's and append mode is `O_APPEND`.

use super::config::{DirPerms, FilePerms};
use super::ctx::WasiCtx;
use super::errno::{need, Errno, WasiResult};
use super::funcs::{a32, a64, Mem};
use super::memory::GuestMemory;
use super::sys;
use super::table::{Entry, FileEntry, Kind};
use super::types::{fdflags, fstflags, layout, rights, whence};
use crate::runtime::Val;
use std::os::fd::{AsRawFd, RawFd};

pub(crate) fn fd_read(ctx: &mut WasiCtx, m: &Mem, a: &[Val]) -> WasiResult {
    let (fd, iovs, iovs_len, out) = (a32(a, 0), a32(a, 1), a32(a, 2), a32(a, 3));
    let e = ctx.table.get_mut(fd)?;
    let (base, nonblock) = (e.base, e.flags & fdflags::NONBLOCK != 0);
    let readable = |perms: Option<FilePerms>| -> Result<(), Errno> {
        need(base, rights::FD_READ)?;
        match perms {
            Some(p) if !p.contains(FilePerms::READ) => Err(Errno::PERM),
            _ => Ok(()),
        }
    };
    let (mem, n) = match &mut e.kind {
        Kind::File(f) => {
            readable(Some(f.perms))?;
            let (mem, iov) = buffers(m, iovs, iovs_len, out)?;
            (mem, sys::readv(f.fd(), &iov)?)
        }
        Kind::Stdin(input) => {
            readable(None)?;
            let (mem, iov) = buffers(m, iovs, iovs_len, out)?;
            (mem, input.read(&iov, nonblock)?)
        }
        Kind::Stream(s) => {
            readable(None)?;
            let (mem, iov) = buffers(m, iovs, iovs_len, out)?;
            (mem, sys::readv(s.as_raw_fd(), &iov)?)
        }
        _ => return Err(Errno::BADF.into()),
    };
    Ok(mem.write_u32(out, n as u32)?)
}

pub(crate) fn fd_write(ctx: &mut WasiCtx, m: &Mem, a: &[Val]) -> WasiResult {
    let (fd, iovs, iovs_len, out) = (a32(a, 0), a32(a, 1), a32(a, 2), a32(a, 3));
    let e = ctx.table.get_mut(fd)?;
    let base = e.base;
    let (mem, n) = match &mut e.kind {
        Kind::Stdout(output) => {
            need(base, rights::FD_WRITE)?;
            let (mem, iov) = buffers(m, iovs, iovs_len, out)?;
            (mem, output.write(&iov)?)
        }
        Kind::File(f) => {
            need(base, rights::FD_WRITE)?;
            writable(f.perms)?;
            let (mem, iov) = buffers(m, iovs, iovs_len, out)?;
            (mem, sys::writev(f.fd(), &iov)?)
        }
        Kind::Stream(s) => {
            need(base, rights::FD_WRITE)?;
            let (mem, iov) = buffers(m, iovs, iovs_len, out)?;
            (mem, sys::send(s.as_raw_fd(), &iov)?)
        }
        _ => return Err(Errno::BADF.into()),
    };
    Ok(mem.write_u32(out, n as u32)?)
}

/// The file `fd_pread`/`fd_pwrite` read or write at an offset: `EBADF`
/// for a directory, `ESPIPE` for a stream, which has no offsets.
fn positioned_file(kind: &Kind) -> Result<&FileEntry, Errno> {
    match kind {
        Kind::File(f) => Ok(f),
        Kind::Dir(_) => Err(Errno::BADF),
        _ => Err(Errno::SPIPE),
    }
}

pub(crate) fn fd_pread(ctx: &mut WasiCtx, m: &Mem, a: &[Val]) -> WasiResult {
    let (fd, iovs, iovs_len, offset, out) = (a32(a, 0), a32(a, 1), a32(a, 2), a64(a, 3), a32(a, 4));
    let e = ctx.table.get(fd)?;
    let f = positioned_file(&e.kind)?;
    need(e.base, rights::FD_READ | rights::FD_SEEK)?;
    if !f.perms.contains(FilePerms::READ) {
        return Err(Errno::PERM.into());
    }
    let (mem, iov) = buffers(m, iovs, iovs_len, out)?;
    let n = sys::preadv(f.fd(), &iov, offset)?;
    Ok(mem.write_u32(out, n as u32)?)
}

pub(crate) fn fd_pwrite(ctx: &mut WasiCtx, m: &Mem, a: &[Val]) -> WasiResult {
    let (fd, iovs, iovs_len, offset, out) = (a32(a, 0), a32(a, 1), a32(a, 2), a64(a, 3), a32(a, 4));
    let e = ctx.table.get(fd)?;
    let f = positioned_file(&e.kind)?;
    need(e.base, rights::FD_WRITE | rights::FD_SEEK)?;
    writable(f.perms)?;
    let (mem, iov) = buffers(m, iovs, iovs_len, out)?;
    // With `O_APPEND`, Linux appends and ignores the offset, as the
    // reference does too.
    let n = sys::pwritev(f.fd(), &iov, offset)?;
    Ok(mem.write_u32(out, n as u32)?)
}

/// The guest's buffers, after checking that the result can be written.
fn buffers(
    m: &Mem,
    iovs: u32,
    iovs_len: u32,
    out: u32,
) -> WasiResult<(GuestMemory, super::memory::Iovecs)> {
    let mem = m.get()?;
    mem.check_out::<u32>(out)?;
    let iov = mem.iovecs(iovs, iovs_len)?;
    Ok((mem, iov))
}

fn writable(perms: FilePerms) -> Result<(), Errno> {
    if perms.contains(FilePerms::WRITE) {
        Ok(())
    } else {
        Err(Errno::PERM)
    }
}

/// A file's host descriptor, for operations only files have.
fn file_fd(e: &Entry) -> Result<(RawFd, FilePerms), Errno> {
    match &e.kind {
        Kind::File(f) => Ok((f.fd(), f.perms)),
        _ => Err(Errno::BADF),
    }
}

pub(crate) fn fd_seek(ctx: &mut WasiCtx, m: &Mem, a: &[Val]) -> WasiResult {
    let (fd, offset, how, out) = (a32(a, 0), a64(a, 1) as i64, a32(a, 2), a32(a, 3));
    let host_whence = match how {
        whence::SET => libc::SEEK_SET,
        whence::CUR => libc::SEEK_CUR,
        whence::END => libc::SEEK_END,
        _ => return Err(Errno::INVAL.into()),
    };
    let e = ctx.table.get(fd)?;
    let file = seekable(e)?;
    // `fd_seek(0, cur)` only tells; `FD_SEEK` implies `FD_TELL`.
    if offset == 0 && how == whence::CUR {
        if e.base & (rights::FD_SEEK | rights::FD_TELL) == 0 {
            return Err(Errno::NOTCAPABLE.into());
        }
    } else {
        need(e.base, rights::FD_SEEK)?;
    }
    let mem = m.get()?;
    mem.check_out::<u64>(out)?;
    let pos = sys::lseek(file, offset, host_whence)?;
    Ok(mem.write_u64(out, pos)?)
}

pub(crate) fn fd_tell(ctx: &mut WasiCtx, m: &Mem, a: &[Val]) -> WasiResult {
    let (fd, out) = (a32(a, 0), a32(a, 1));
    let e = ctx.table.get(fd)?;
    let file = seekable(e)?;
    if e.base & (rights::FD_SEEK | rights::FD_TELL) == 0 {
        return Err(Errno::NOTCAPABLE.into());
    }
    let mem = m.get()?;
    mem.check_out::<u64>(out)?;
    let pos = sys::lseek(file, 0, libc::SEEK_CUR)?;
    Ok(mem.write_u64(out, pos)?)
}

/// A descriptor with a position: files. Streams have none (`ESPIPE`, as
/// the reference answers for standard streams), directories are `EBADF`.
fn seekable(e: &Entry) -> Result<RawFd, Errno> {
    match &e.kind {
        Kind::File(f) => Ok(f.fd()),
        Kind::Dir(_) => Err(Errno::BADF),
        _ => Err(Errno::SPIPE),
    }
}

pub(crate) fn fd_close(ctx: &mut WasiCtx, _: &Mem, a: &[Val]) -> WasiResult {
    // Preopens may be closed too, as the reference allows. Dropping the
    // entry closes what the context owns; inherited streams are only
    // forgotten.
    drop(ctx.table.remove(a32(a, 0))?);
    Ok(())
}

pub(crate) fn fd_renumber(ctx: &mut WasiCtx, _: &Mem, a: &[Val]) -> WasiResult {
    let (from, to) = (a32(a, 0), a32(a, 1));
    if !ctx.table.contains(from) {
        return Err(Errno::BADF.into());
    }
    if from == to {
        return Ok(());
    }
    if to as usize >= super::table::MAX_FDS {
        return Err(Errno::BADF.into());
    }
    // `to` need not be open (as in the reference); whatever it was is
    // closed.
    let entry = ctx.table.remove(from)?;
    drop(ctx.table.insert_at(to, entry)?);
    Ok(())
}

pub(crate) fn fd_datasync(ctx: &mut WasiCtx, _: &Mem, a: &[Val]) -> WasiResult {
    let e = ctx.table.get(a32(a, 0))?;
    let Kind::File(f) = &e.kind else {
        return Err(Errno::BADF.into());
    };
    need(e.base, rights::FD_DATASYNC)?;
    Ok(f.file.sync_data()?)
}

pub(crate) fn fd_sync(ctx: &mut WasiCtx, _: &Mem, a: &[Val]) -> WasiResult {
    let e = ctx.table.get(a32(a, 0))?;
    let Kind::File(f) = &e.kind else {
        return Err(Errno::BADF.into());
    };
    need(e.base, rights::FD_SYNC)?;
    Ok(f.file.sync_all()?)
}

pub(crate) fn fd_advise(ctx: &mut WasiCtx, _: &Mem, a: &[Val]) -> WasiResult {
    let (fd, offset, len, advice) = (a32(a, 0), a64(a, 1), a64(a, 2), a32(a, 3));
    let advice = match advice {
        0 => libc::POSIX_FADV_NORMAL,
        1 => libc::POSIX_FADV_SEQUENTIAL,
        2 => libc::POSIX_FADV_RANDOM,
        3 => libc::POSIX_FADV_WILLNEED,
        4 => libc::POSIX_FADV_DONTNEED,
        5 => libc::POSIX_FADV_NOREUSE,
        _ => return Err(Errno::INVAL.into()),
    };
    let e = ctx.table.get(fd)?;
    let (file, _) = file_fd(e)?;
    need(e.base, rights::FD_ADVISE)?;
    Ok(sys::fadvise(file, offset, len, advice)?)
}

pub(crate) fn fd_allocate(ctx: &mut WasiCtx, _: &Mem, a: &[Val]) -> WasiResult {
    let (fd, offset, len) = (a32(a, 0), a64(a, 1), a64(a, 2));
    let e = ctx.table.get(fd)?;
    let (file, perms) = file_fd(e)?;
    need(e.base, rights::FD_ALLOCATE)?;
    writable(perms)?;
    Ok(sys::fallocate(file, offset, len)?)
}

pub(crate) fn fd_fdstat_get(ctx: &mut WasiCtx, m: &Mem, a: &[Val]) -> WasiResult {
    let (fd, out) = (a32(a, 0), a32(a, 1));
    let e = ctx.table.get(fd)?;
    let mem = m.get()?;
    mem.check_range(out, layout::FDSTAT_SIZE)?;
    mem.check_out::<u64>(out)?;
    mem.write_u8(out, e.kind.filetype())?;
    mem.write_u8(out + 1, 0)?;
    mem.write_u16(out + 2, e.flags)?;
    mem.write_u32(out + 4, 0)?;
    mem.write_u64(out + 8, e.base)?;
    mem.write_u64(out + 16, e.inheriting)?;
    Ok(())
}

/// Changes `APPEND` and `NONBLOCK`; the sync flags can only be chosen at
/// `path_open` (`EINVAL` here, as in the reference).
pub(crate) fn fd_fdstat_set_flags(ctx: &mut WasiCtx, _: &Mem, a: &[Val]) -> WasiResult {
    let (fd, flags) = (a32(a, 0), a32(a, 1));
    let flags = u16::try_from(flags).map_err(|_| Errno::INVAL)?;
    if flags & !fdflags::ALL != 0 {
        return Err(Errno::INVAL.into());
    }
    let e = ctx.table.get_mut(fd)?;
    if let Kind::Dir(_) = e.kind {
        return Err(Errno::BADF.into());
    }
    need(e.base, rights::FD_FDSTAT_SET_FLAGS)?;
    if flags & (fdflags::DSYNC | fdflags::RSYNC | fdflags::SYNC) != 0 {
        return Err(Errno::INVAL.into());
    }
    let mut host = 0;
    if flags & fdflags::APPEND != 0 {
        host |= libc::O_APPEND;
    }
    if flags & fdflags::NONBLOCK != 0 {
        host |= libc::O_NONBLOCK;
    }
    match &e.kind {
        Kind::File(f) => sys::set_status_flags(f.fd(), libc::O_APPEND | libc::O_NONBLOCK, host)?,
        Kind::Listener(_) | Kind::Stream(_) if flags & fdflags::APPEND != 0 => {
            return Err(Errno::INVAL.into())
        }
        Kind::Listener(l) => sys::set_status_flags(l.as_raw_fd(), libc::O_NONBLOCK, host)?,
        Kind::Stream(s) => sys::set_status_flags(s.as_raw_fd(), libc::O_NONBLOCK, host)?,
        // The host's own streams keep their mode; the flag is the guest's.
        Kind::Stdin(_) | Kind::Stdout(_) | Kind::Dir(_) => {}
    }
    let sync = e.flags & (fdflags::DSYNC | fdflags::RSYNC | fdflags::SYNC);
    e.flags = flags | sync;
    Ok(())
}

/// Drops rights; asking for one the descriptor lacks is `ENOTCAPABLE`.
pub(crate) fn fd_fdstat_set_rights(ctx: &mut WasiCtx, _: &Mem, a: &[Val]) -> WasiResult {
    let (fd, base, inheriting) = (a32(a, 0), a64(a, 1), a64(a, 2));
    let e = ctx.table.get_mut(fd)?;
    if base & !e.base != 0 || inheriting & !e.inheriting != 0 {
        return Err(Errno::NOTCAPABLE.into());
    }
    e.base = base;
    e.inheriting = inheriting;
    Ok(())
}

pub(crate) fn fd_filestat_get(ctx: &mut WasiCtx, m: &Mem, a: &[Val]) -> WasiResult {
    let (fd, out) = (a32(a, 0), a32(a, 1));
    let e = ctx.table.get(fd)?;
    let host = match &e.kind {
        Kind::File(f) => Some(f.fd()),
        Kind::Dir(d) => Some(d.fd()),
        // Streams show only their type, as the reference shows them.
        _ => None,
    };
    need(e.base, rights::FD_FILESTAT_GET)?;
    let mem = m.get()?;
    let stat = match host {
        Some(fd) => Filestat::from_stat(&sys::fstat(fd)?),
        None => Filestat {
            filetype: e.kind.filetype(),
            ..Filestat::default()
        },
    };
    Ok(stat.write(&mem, out)?)
}

pub(crate) fn fd_filestat_set_size(ctx: &mut WasiCtx, _: &Mem, a: &[Val]) -> WasiResult {
    let (fd, size) = (a32(a, 0), a64(a, 1));
    let e = ctx.table.get(fd)?;
    let Kind::File(f) = &e.kind else {
        return Err(Errno::BADF.into());
    };
    need(e.base, rights::FD_FILESTAT_SET_SIZE)?;
    writable(f.perms)?;
    Ok(f.file.set_len(size)?)
}

pub(crate) fn fd_filestat_set_times(ctx: &mut WasiCtx, _: &Mem, a: &[Val]) -> WasiResult {
    let (fd, atim, mtim, flags) = (a32(a, 0), a64(a, 1), a64(a, 2), a32(a, 3));
    let times = timespecs(atim, mtim, flags)?;
    let e = ctx.table.get(fd)?;
    let host = match &e.kind {
        Kind::File(f) => {
            need(e.base, rights::FD_FILESTAT_SET_TIMES)?;
            writable(f.perms)?;
            f.fd()
        }
        Kind::Dir(d) => {
            need(e.base, rights::FD_FILESTAT_SET_TIMES)?;
            d.allow(DirPerms::MUTATE)?;
            d.fd()
        }
        _ => return Err(Errno::BADF.into()),
    };
    Ok(sys::futimens(host, &times)?)
}

/// The two `timespec`s of `futimens` for preview 1's `(atim, mtim,
/// fst_flags)`: a flag's time and its `_NOW` together are `EINVAL`.
pub(crate) fn timespecs(atim: u64, mtim: u64, flags: u32) -> Result<[libc::timespec; 2], Errno> {
    let flags = u16::try_from(flags).map_err(|_| Errno::INVAL)?;
    if flags & !fstflags::ALL != 0 {
        return Err(Errno::INVAL);
    }
    let one = |set: u16, now: u16, t: u64| -> Result<libc::timespec, Errno> {
        let spec = |nsec| libc::timespec {
            tv_sec: 0,
            tv_nsec: nsec,
        };
        match (flags & set != 0, flags & now != 0) {
            (true, true) => Err(Errno::INVAL),
            (true, false) => Ok(libc::timespec {
                tv_sec: (t / 1_000_000_000) as libc::time_t,
                tv_nsec: (t % 1_000_000_000) as libc::c_long,
            }),
            (false, true) => Ok(spec(libc::UTIME_NOW)),
            (false, false) => Ok(spec(libc::UTIME_OMIT)),
        }
    };
    Ok([
        one(fstflags::ATIM, fstflags::ATIM_NOW, atim)?,
        one(fstflags::MTIM, fstflags::MTIM_NOW, mtim)?,
    ])
}

pub(crate) fn fd_prestat_get(ctx: &mut WasiCtx, m: &Mem, a: &[Val]) -> WasiResult {
    let (fd, out) = (a32(a, 0), a32(a, 1));
    let name = match &ctx.table.get(fd)?.kind {
        Kind::Dir(d) => d.preopen.as_deref(),
        _ => None,
    };
    // Not a preopen: `EBADF`, which is how wasi-libc's scan of the
    // preopens knows it has seen them all.
    let name = name.ok_or(Errno::BADF)?;
    let mem = m.get()?;
    mem.check_range(out, layout::PRESTAT_SIZE)?;
    mem.check_out::<u32>(out)?;
    mem.write_u32(out, 0)?; // tag `dir` and padding
    Ok(mem.write_u32(out + 4, name.len() as u32)?)
}

pub(crate) fn fd_prestat_dir_name(ctx: &mut WasiCtx, m: &Mem, a: &[Val]) -> WasiResult {
    let (fd, buf, len) = (a32(a, 0), a32(a, 1), a32(a, 2));
    let name = match &ctx.table.get(fd)?.kind {
        Kind::Dir(d) => d.preopen.as_deref(),
        _ => None,
    };
    let name = name.ok_or(Errno::NOTDIR)?;
    if name.len() > len as usize {
        return Err(Errno::NAMETOOLONG.into());
    }
    let mem = m.get()?;
    Ok(mem.write_bytes(buf, name.as_bytes())?)
}

/// `filestat` as the guest receives it.
#[derive(Default)]
pub(crate) struct Filestat {
    pub(crate) dev: u64,
    pub(crate) ino: u64,
    pub(crate) filetype: u8,
    pub(crate) nlink: u64,
    pub(crate) size: u64,
    pub(crate) atim: u64,
    pub(crate) mtim: u64,
    pub(crate) ctim: u64,
}

/// Seconds and nanoseconds since the epoch as preview 1's nanoseconds
/// (times before the epoch show as 0).
fn nanos(sec: i64, nsec: i64) -> u64 {
    if sec < 0 {
        return 0;
    }
    (sec as u64)
        .saturating_mul(1_000_000_000)
        .saturating_add(nsec.max(0) as u64)
}

/// The preview 1 file type of a host `st_mode`. Preview 1 has no FIFO
/// type: those are `unknown`, as in the reference.
pub(crate) fn filetype_of_mode(mode: u32) -> u8 {
    use super::types::filetype;
    match mode & libc::S_IFMT {
        libc::S_IFREG => filetype::REGULAR_FILE,
        libc::S_IFDIR => filetype::DIRECTORY,
        libc::S_IFLNK => filetype::SYMBOLIC_LINK,
        libc::S_IFBLK => filetype::BLOCK_DEVICE,
        libc::S_IFCHR => filetype::CHARACTER_DEVICE,
        libc::S_IFSOCK => filetype::SOCKET_STREAM,
        _ => filetype::UNKNOWN,
    }
}

impl Filestat {
    pub(crate) fn from_stat(st: &libc::stat) -> Filestat {
        Filestat {
            dev: st.st_dev,
            ino: st.st_ino,
            filetype: filetype_of_mode(st.st_mode),
            nlink: st.st_nlink,
            size: st.st_size.max(0) as u64,
            atim: nanos(st.st_atime, st.st_atime_nsec),
            mtim: nanos(st.st_mtime, st.st_mtime_nsec),
            ctim: nanos(st.st_ctime, st.st_ctime_nsec),
        }
    }

    pub(crate) fn from_metadata(md: &cap_std::fs::Metadata) -> Filestat {
        use cap_std::fs::MetadataExt;
        Filestat {
            dev: md.dev(),
            ino: md.ino(),
            filetype: filetype_of_mode(md.mode()),
            nlink: md.nlink(),
            size: md.size(),
            atim: nanos(md.atime(), md.atime_nsec()),
            mtim: nanos(md.mtime(), md.mtime_nsec()),
            ctim: nanos(md.ctime(), md.ctime_nsec()),
        }
    }

    pub(crate) fn write(&self, mem: &GuestMemory, out: u32) -> Result<(), Errno> {
        mem.check_range(out, layout::FILESTAT_SIZE)?;
        mem.check_out::<u64>(out)?;
        mem.write_u64(out, self.dev)?;
        mem.write_u64(out + 8, self.ino)?;
        mem.write_u64(out + 16, u64::from(self.filetype))?;
        mem.write_u64(out + 24, self.nlink)?;
        mem.write_u64(out + 32, self.size)?;
        mem.write_u64(out + 40, self.atim)?;
        mem.write_u64(out + 48, self.mtim)?;
        mem.write_u64(out + 56, self.ctim)
    }
}
