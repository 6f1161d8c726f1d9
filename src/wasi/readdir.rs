//! `fd_readdir`: a directory's entries as a stream of `dirent`s.
//!
//! As in the reference: the listing starts with `.` and `..` (both with
//! the directory's own inode number, since its parent may lie outside the
//! sandbox), then the entries in the order the host lists them; an entry's
//! cookie is its index, and `d_next` the cookie of the one after it. Each
//! call lists the directory afresh and skips `cookie` entries. The buffer
//! is filled as far as it goes, the last entry cut off wherever the buffer
//! ends; a full buffer (`bufused == buf_len`) tells the guest to call again
//! from the last entry it saw whole.

use super::config::DirPerms;
use super::ctx::WasiCtx;
use super::errno::{need, Errno, WasiResult};
use super::funcs::{a32, a64, Mem};
use super::memory::GuestMemory;
use super::sys;
use super::table::Kind;
use super::types::{filetype, layout, rights};
use crate::runtime::Val;
use cap_std::fs::FileTypeExt;
use rustix::fs::DirEntryExt;

/// Writes into `buf..buf + len` of guest memory front to back, dropping
/// whatever does not fit.
struct Filler<'m> {
    mem: &'m GuestMemory,
    at: u32,
    left: u32,
}

impl Filler<'_> {
    /// Writes as much of `bytes` as fits; whether all of it did.
    fn put(&mut self, bytes: &[u8]) -> Result<bool, Errno> {
        let n = bytes.len().min(self.left as usize);
        self.mem.write_bytes(self.at, &bytes[..n])?;
        self.at += n as u32;
        self.left -= n as u32;
        Ok(n == bytes.len())
    }

    /// Writes one entry; whether it fit whole.
    fn entry(&mut self, next: u64, ino: u64, ty: u8, name: &[u8]) -> Result<bool, Errno> {
        let mut head = [0u8; layout::DIRENT_SIZE];
        head[0..8].copy_from_slice(&next.to_le_bytes());
        head[8..16].copy_from_slice(&ino.to_le_bytes());
        head[16..20].copy_from_slice(&(name.len() as u32).to_le_bytes());
        head[20] = ty;
        Ok(self.put(&head)? && self.put(name)?)
    }
}

fn filetype_of(ty: cap_std::fs::FileType) -> u8 {
    if ty.is_dir() {
        filetype::DIRECTORY
    } else if ty.is_file() {
        filetype::REGULAR_FILE
    } else if ty.is_symlink() {
        filetype::SYMBOLIC_LINK
    } else if ty.is_block_device() {
        filetype::BLOCK_DEVICE
    } else if ty.is_char_device() {
        filetype::CHARACTER_DEVICE
    } else if ty.is_socket() {
        filetype::SOCKET_STREAM
    } else {
        filetype::UNKNOWN
    }
}

pub(crate) fn fd_readdir(ctx: &mut WasiCtx, m: &Mem, a: &[Val]) -> WasiResult {
    let (fd, buf, buf_len, cookie, out) = (a32(a, 0), a32(a, 1), a32(a, 2), a64(a, 3), a32(a, 4));
    let e = ctx.table.get(fd)?;
    let Kind::Dir(d) = &e.kind else {
        return Err(Errno::BADF.into());
    };
    need(e.base, rights::FD_READDIR)?;
    d.allow(DirPerms::READ)?;
    let mem = m.get()?;
    mem.check_out::<u32>(out)?;
    mem.check_range(buf, buf_len)?;
    let mut fill = Filler {
        mem: &mem,
        at: buf,
        left: buf_len,
    };
    let self_ino = sys::fstat(d.fd())?.st_ino;

    let mut index: u64 = 0;
    let full = 'list: {
        for name in [&b"."[..], &b".."[..]] {
            if index >= cookie && !fill.entry(index + 1, self_ino, filetype::DIRECTORY, name)? {
                break 'list true;
            }
            index += 1;
        }
        for entry in d.dir.entries()? {
            let entry = entry?;
            if index < cookie {
                index += 1;
                continue;
            }
            let name = entry.file_name();
            // Preview 1 names are strings: one that is not UTF-8 is
            // `EILSEQ`, as the reference answers.
            let name = name.to_str().ok_or(Errno::ILSEQ)?;
            let ty = filetype_of(entry.file_type()?);
            if !fill.entry(index + 1, entry.ino(), ty, name.as_bytes())? {
                break 'list true;
            }
            index += 1;
        }
        false
    };
    let used = if full { buf_len } else { buf_len - fill.left };
    Ok(mem.write_u32(out, used)?)
}
