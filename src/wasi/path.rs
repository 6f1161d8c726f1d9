//! The `path_*` functions: operations on paths beneath a directory
//! descriptor.
//!
//! Every path is resolved by cap-std beneath the directory's handle, never
//! by us: `..` past the preopen, absolute paths, symlinks leading out and
//! absolute symlink targets all fail there, as `EPERM` (cap-std's
//! "escape attempt", which the reference reports the same way), and
//! nothing outside the preopen is touched. On top of that come the
//! descriptor's rights (`ENOTCAPABLE`) and the preopen's permissions
//! (`EPERM`: `DirPerms::MUTATE` to create, remove, rename, link or set
//! times, `DirPerms::READ` to open, stat or read links, `FilePerms::WRITE`
//! to open a file for writing).

use super::config::{DirPerms, FilePerms};
use super::ctx::WasiCtx;
use super::errno::{need, Errno, WasiResult};
use super::fd::{filetype_of_mode, Filestat};
use super::funcs::{a32, a64, Mem};
use super::sys;
use super::table::{DirEntry, Entry, FdTable, FileEntry, Kind};
use super::types::{fdflags, filetype, fstflags, oflags, rights, LOOKUP_SYMLINK_FOLLOW};
use crate::runtime::Val;
use cap_fs_ext::{
    DirExt, FollowSymlinks, OpenOptionsFollowExt, OpenOptionsMaybeDirExt, OpenOptionsSyncExt,
};
use std::os::unix::ffi::OsStrExt;

/// The directory descriptor `fd` and its rights. Any other open descriptor
/// is `ENOTDIR` (as `openat` answers for a non-directory).
fn dir(table: &FdTable, fd: u32) -> Result<(&Entry, &DirEntry), Errno> {
    let e = table.get(fd)?;
    match &e.kind {
        Kind::Dir(d) => Ok((e, d)),
        _ => Err(Errno::NOTDIR),
    }
}

/// Whether `lookupflags` asks to follow a final symlink (`EINVAL` for
/// bits preview 1 does not define).
fn follow(flags: u32) -> Result<bool, Errno> {
    if flags & !LOOKUP_SYMLINK_FOLLOW != 0 {
        return Err(Errno::INVAL);
    }
    Ok(flags & LOOKUP_SYMLINK_FOLLOW != 0)
}

pub(crate) fn path_create_directory(ctx: &mut WasiCtx, m: &Mem, a: &[Val]) -> WasiResult {
    let (fd, path, len) = (a32(a, 0), a32(a, 1), a32(a, 2));
    let (e, d) = dir(&ctx.table, fd)?;
    need(e.base, rights::PATH_CREATE_DIRECTORY)?;
    d.allow(DirPerms::MUTATE)?;
    let mem = m.get()?;
    Ok(d.dir.create_dir(mem.str(path, len)?)?)
}

pub(crate) fn path_filestat_get(ctx: &mut WasiCtx, m: &Mem, a: &[Val]) -> WasiResult {
    let (fd, flags, path, len, out) = (a32(a, 0), a32(a, 1), a32(a, 2), a32(a, 3), a32(a, 4));
    let follow = follow(flags)?;
    let (e, d) = dir(&ctx.table, fd)?;
    need(e.base, rights::PATH_FILESTAT_GET)?;
    d.allow(DirPerms::READ)?;
    let mem = m.get()?;
    mem.check_out::<u64>(out)?;
    let path = mem.str(path, len)?;
    let md = if follow {
        d.dir.metadata(path)?
    } else {
        d.dir.symlink_metadata(path)?
    };
    Ok(Filestat::from_metadata(&md).write(&mem, out)?)
}

pub(crate) fn path_filestat_set_times(ctx: &mut WasiCtx, m: &Mem, a: &[Val]) -> WasiResult {
    let (fd, flags, path, len) = (a32(a, 0), a32(a, 1), a32(a, 2), a32(a, 3));
    let (atim, mtim, fst) = (a64(a, 4), a64(a, 5), a32(a, 6));
    let follow = follow(flags)?;
    let times = times(atim, mtim, fst)?;
    let (e, d) = dir(&ctx.table, fd)?;
    need(e.base, rights::PATH_FILESTAT_SET_TIMES)?;
    d.allow(DirPerms::MUTATE)?;
    let mem = m.get()?;
    let path = mem.str(path, len)?;
    if follow {
        d.dir.set_times(path, times.0, times.1)?;
    } else {
        d.dir.set_symlink_times(path, times.0, times.1)?;
    }
    Ok(())
}

type TimeChange = Option<cap_fs_ext::SystemTimeSpec>;

/// cap-std's form of preview 1's `(atim, mtim, fst_flags)`.
fn times(atim: u64, mtim: u64, flags: u32) -> Result<(TimeChange, TimeChange), Errno> {
    // The same validation as `fd_filestat_set_times`.
    super::fd::timespecs(atim, mtim, flags)?;
    let flags = flags as u16;
    let one = |set: u16, now: u16, t: u64| {
        if flags & set != 0 {
            let at = std::time::UNIX_EPOCH + std::time::Duration::from_nanos(t);
            Some(cap_fs_ext::SystemTimeSpec::Absolute(
                cap_std::time::SystemTime::from_std(at),
            ))
        } else if flags & now != 0 {
            Some(cap_fs_ext::SystemTimeSpec::SymbolicNow)
        } else {
            None
        }
    };
    Ok((
        one(fstflags::ATIM, fstflags::ATIM_NOW, atim),
        one(fstflags::MTIM, fstflags::MTIM_NOW, mtim),
    ))
}

pub(crate) fn path_link(ctx: &mut WasiCtx, m: &Mem, a: &[Val]) -> WasiResult {
    let (old_fd, old_flags, old_path, old_len) = (a32(a, 0), a32(a, 1), a32(a, 2), a32(a, 3));
    let (new_fd, new_path, new_len) = (a32(a, 4), a32(a, 5), a32(a, 6));
    let follow = follow(old_flags)?;
    let (oe, od) = dir(&ctx.table, old_fd)?;
    let (ne, nd) = dir(&ctx.table, new_fd)?;
    need(oe.base, rights::PATH_LINK_SOURCE)?;
    need(ne.base, rights::PATH_LINK_TARGET)?;
    od.allow(DirPerms::MUTATE)?;
    nd.allow(DirPerms::MUTATE)?;
    if follow {
        // Linking what a symlink points at is not supported (as in the
        // reference): the link is made to the path itself.
        return Err(Errno::INVAL.into());
    }
    let mem = m.get()?;
    let (old, new) = (mem.str(old_path, old_len)?, mem.str(new_path, new_len)?);
    Ok(od.dir.hard_link(old, &nd.dir, new)?)
}

/// Opens a file or directory. The rights asked for are intersected with
/// the directory's inheriting rights (as the reference does; asking for
/// more is no error), and then narrowed to what the kind of descriptor
/// opened can use.
pub(crate) fn path_open(ctx: &mut WasiCtx, m: &Mem, a: &[Val]) -> WasiResult {
    let (fd, lookup, path, len) = (a32(a, 0), a32(a, 1), a32(a, 2), a32(a, 3));
    let (oflags, want_base, want_inheriting) = (a32(a, 4), a64(a, 5), a64(a, 6));
    let (fdflags, out) = (a32(a, 7), a32(a, 8));

    let follow = follow(lookup)?;
    let oflags = u16::try_from(oflags).map_err(|_| Errno::INVAL)?;
    let fdflags = u16::try_from(fdflags).map_err(|_| Errno::INVAL)?;
    if oflags & !oflags::ALL != 0 || fdflags & !fdflags::ALL != 0 {
        return Err(Errno::INVAL.into());
    }
    let (creat, excl, trunc) = (
        oflags & oflags::CREAT != 0,
        oflags & oflags::EXCL != 0,
        oflags & oflags::TRUNC != 0,
    );
    let want_dir = oflags & oflags::DIRECTORY != 0;

    let (e, d) = dir(&ctx.table, fd)?;
    let mut required = rights::PATH_OPEN;
    if creat {
        required |= rights::PATH_CREATE_FILE;
    }
    need(e.base, required)?;
    if want_dir && (creat || excl || trunc) {
        return Err(Errno::INVAL.into());
    }
    let base = want_base & e.inheriting;
    let inheriting = want_inheriting & e.inheriting;

    // The access the host descriptor needs: writing for the rights that
    // change the contents or the size, and for creating or truncating.
    let write_rights = rights::FD_WRITE | rights::FD_ALLOCATE | rights::FD_FILESTAT_SET_SIZE;
    let write = base & write_rights != 0 || creat || trunc;
    let read = base & (rights::FD_READ | rights::FD_READDIR) != 0 || !write;

    // The preopen's permissions, before the OS gets to answer.
    d.allow(DirPerms::READ)?;
    if write && !d.perms.contains(DirPerms::MUTATE) {
        return Err(Errno::PERM.into());
    }
    if write && !d.file_perms.contains(FilePerms::WRITE) {
        return Err(Errno::PERM.into());
    }

    let mem = m.get()?;
    mem.check_out::<u32>(out)?;
    let path = mem.str(path, len)?;

    let mut opts = cap_std::fs::OpenOptions::new();
    opts.read(read).write(write).truncate(trunc);
    if creat {
        if excl {
            opts.create_new(true);
        } else {
            opts.create(true);
        }
    }
    opts.follow(if follow {
        FollowSymlinks::Yes
    } else {
        FollowSymlinks::No
    });
    opts.maybe_dir(true);
    opts.sync(fdflags & fdflags::SYNC != 0)
        .dsync(fdflags & fdflags::DSYNC != 0)
        .rsync(fdflags & fdflags::RSYNC != 0)
        .nonblock(fdflags & fdflags::NONBLOCK != 0);
    if fdflags & fdflags::APPEND != 0 {
        use cap_std::fs::OpenOptionsExt;
        opts.custom_flags(libc::O_APPEND);
    }
    let file = d.dir.open_with(path, &opts)?;
    let st = sys::fstat(std::os::fd::AsRawFd::as_raw_fd(&file))?;
    let ty = filetype_of_mode(st.st_mode);

    let entry = if ty == filetype::DIRECTORY {
        Entry {
            base: base & rights::DIR,
            inheriting,
            flags: fdflags,
            kind: Kind::Dir(DirEntry {
                dir: cap_std::fs::Dir::from_std_file(file.into_std()),
                preopen: None,
                perms: d.perms,
                file_perms: d.file_perms,
            }),
        }
    } else if want_dir {
        return Err(Errno::NOTDIR.into());
    } else {
        Entry {
            base: base & rights::FILE,
            inheriting,
            flags: fdflags,
            kind: Kind::File(FileEntry {
                file,
                perms: d.file_perms,
                filetype: ty,
            }),
        }
    };
    let new_fd = ctx.table.push(entry)?;
    Ok(mem.write_u32(out, new_fd)?)
}

/// Reads a symlink's contents, truncated to the buffer as POSIX
/// `readlink` (and the reference) truncate. cap-std refuses to show an
/// absolute target (`EPERM`), which would tell the guest about the host.
pub(crate) fn path_readlink(ctx: &mut WasiCtx, m: &Mem, a: &[Val]) -> WasiResult {
    let (fd, path, len, buf, buf_len, out) = (
        a32(a, 0),
        a32(a, 1),
        a32(a, 2),
        a32(a, 3),
        a32(a, 4),
        a32(a, 5),
    );
    let (e, d) = dir(&ctx.table, fd)?;
    need(e.base, rights::PATH_READLINK)?;
    d.allow(DirPerms::READ)?;
    let mem = m.get()?;
    mem.check_out::<u32>(out)?;
    mem.check_range(buf, buf_len)?;
    let target = d.dir.read_link(mem.str(path, len)?)?;
    let bytes = target.as_os_str().as_bytes();
    // Preview 1 paths are strings: a target that is not UTF-8 is `EILSEQ`.
    std::str::from_utf8(bytes).map_err(|_| Errno::ILSEQ)?;
    let n = bytes.len().min(buf_len as usize);
    mem.write_bytes(buf, &bytes[..n])?;
    Ok(mem.write_u32(out, n as u32)?)
}

pub(crate) fn path_remove_directory(ctx: &mut WasiCtx, m: &Mem, a: &[Val]) -> WasiResult {
    let (fd, path, len) = (a32(a, 0), a32(a, 1), a32(a, 2));
    let (e, d) = dir(&ctx.table, fd)?;
    need(e.base, rights::PATH_REMOVE_DIRECTORY)?;
    d.allow(DirPerms::MUTATE)?;
    let mem = m.get()?;
    Ok(d.dir.remove_dir(mem.str(path, len)?)?)
}

pub(crate) fn path_rename(ctx: &mut WasiCtx, m: &Mem, a: &[Val]) -> WasiResult {
    let (fd, old_path, old_len) = (a32(a, 0), a32(a, 1), a32(a, 2));
    let (new_fd, new_path, new_len) = (a32(a, 3), a32(a, 4), a32(a, 5));
    let (oe, od) = dir(&ctx.table, fd)?;
    let (ne, nd) = dir(&ctx.table, new_fd)?;
    need(oe.base, rights::PATH_RENAME_SOURCE)?;
    need(ne.base, rights::PATH_RENAME_TARGET)?;
    od.allow(DirPerms::MUTATE)?;
    nd.allow(DirPerms::MUTATE)?;
    let mem = m.get()?;
    let (old, new) = (mem.str(old_path, old_len)?, mem.str(new_path, new_len)?);
    Ok(od.dir.rename(old, &nd.dir, new)?)
}

/// Creates a symlink. cap-std refuses absolute targets (`EPERM`, as in the
/// reference), so no link inside the sandbox can name a host path for some
/// other program to follow; relative targets that climb out are allowed to
/// exist but never followed out.
pub(crate) fn path_symlink(ctx: &mut WasiCtx, m: &Mem, a: &[Val]) -> WasiResult {
    let (old_path, old_len, fd, new_path, new_len) =
        (a32(a, 0), a32(a, 1), a32(a, 2), a32(a, 3), a32(a, 4));
    let (e, d) = dir(&ctx.table, fd)?;
    need(e.base, rights::PATH_SYMLINK)?;
    d.allow(DirPerms::MUTATE)?;
    let mem = m.get()?;
    let (target, link) = (mem.str(old_path, old_len)?, mem.str(new_path, new_len)?);
    Ok(d.dir.symlink(target, link)?)
}

pub(crate) fn path_unlink_file(ctx: &mut WasiCtx, m: &Mem, a: &[Val]) -> WasiResult {
    let (fd, path, len) = (a32(a, 0), a32(a, 1), a32(a, 2));
    let (e, d) = dir(&ctx.table, fd)?;
    need(e.base, rights::PATH_UNLINK_FILE)?;
    d.allow(DirPerms::MUTATE)?;
    let mem = m.get()?;
    Ok(d.dir.remove_file_or_symlink(mem.str(path, len)?)?)
}
