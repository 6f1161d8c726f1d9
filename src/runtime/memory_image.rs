//! Copy-on-write images of a module's initial linear memories
//! (`memory_init_cow`).
//!
//! When every active data segment of a defined memory has a statically
//! known offset and lies inside the memory's minimum size, the memory's
//! initial contents are the same for every instance. They are written once
//! into an in-memory file (`memfd_create`), and each instance maps that file
//! privately over the start of its freshly reserved memory: instantiation
//! costs one `mmap` instead of copying (and faulting in) every byte, pages
//! that an instance only reads are shared by all instances, and a write
//! gives the writer a private copy, so no instance can see another's
//! writes and the image itself never changes.
//!
//! Which memories qualify, and the cache of images per module, live in
//! `init_plan`.

use super::mmap::{host_page_size, map_file_at, round_up_to_page};
use anyhow::{bail, Result};
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

/// The initial contents of one memory: `len` bytes (a multiple of the host
/// page size) of a file from byte `file_offset` (page aligned): an
/// in-memory file of its own, or the serialized module's file it was
/// loaded from, which holds the image page-aligned for this purpose.
pub(crate) struct MemoryImage {
    fd: OwnedFd,
    file_offset: u64,
    len: usize,
}

impl MemoryImage {
    /// Writes `segments` (offset, bytes; later ones win where they
    /// overlap, as when applied in order) into a fresh in-memory file.
    /// `None` when there are no bytes to write.
    pub(crate) fn build(segments: &[(usize, &[u8])]) -> Result<Option<MemoryImage>> {
        let Some(len) = image_len(segments)? else {
            return Ok(None);
        };
        // SAFETY: the name is a NUL-terminated string; memfd_create has no
        // other preconditions.
        let raw = unsafe { libc::memfd_create(c"wasm-memory-image".as_ptr(), libc::MFD_CLOEXEC) };
        if raw < 0 {
            bail!("memfd_create failed: {}", io::Error::last_os_error());
        }
        // SAFETY: `raw` is a fresh descriptor that nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        let Ok(file_len) = libc::off_t::try_from(len) else {
            bail!("memory image of {len} bytes is too large for a file");
        };
        // SAFETY: plain system call on a descriptor we own.
        if unsafe { libc::ftruncate(fd.as_raw_fd(), file_len) } != 0 {
            bail!("cannot size a memory image: {}", io::Error::last_os_error());
        }
        for &(offset, bytes) in segments {
            let mut written = 0;
            while written < bytes.len() {
                let rest = &bytes[written..];
                // `offset + bytes.len() <= len`, which fits an off_t.
                let at = (offset + written) as libc::off_t;
                // SAFETY: `rest` is a live slice of `rest.len()` bytes.
                let n =
                    unsafe { libc::pwrite(fd.as_raw_fd(), rest.as_ptr().cast(), rest.len(), at) };
                if n < 0 {
                    let err = io::Error::last_os_error();
                    if err.kind() == io::ErrorKind::Interrupted {
                        continue;
                    }
                    bail!("cannot write a memory image: {err}");
                }
                if n == 0 {
                    bail!("cannot write a memory image: no progress");
                }
                written += n as usize;
            }
        }
        Ok(Some(MemoryImage {
            fd,
            file_offset: 0,
            len,
        }))
    }

    /// The image a serialized module's file holds: `len` bytes from
    /// `file_offset`, both page multiples. `fd` must stay unchanged while
    /// any instance maps the image: the trust rule of serialized files.
    pub(crate) fn from_file(fd: OwnedFd, file_offset: u64, len: usize) -> Result<MemoryImage> {
        let page = host_page_size() as u64;
        if file_offset % page != 0 || len as u64 % page != 0 {
            bail!("memory image at file offset {file_offset} ({len} bytes) is not page aligned");
        }
        Ok(MemoryImage {
            fd,
            file_offset,
            len,
        })
    }

    /// The bytes of the image `segments` make (what `build` writes to its
    /// file), page-rounded; empty when there are none. Serialized modules
    /// store this, so a module loaded from its file maps the image from
    /// there.
    pub(crate) fn contents(segments: &[(usize, &[u8])]) -> Result<Vec<u8>> {
        let Some(len) = image_len(segments)? else {
            return Ok(Vec::new());
        };
        let mut bytes = vec![0; len];
        for &(offset, data) in segments {
            bytes[offset..offset + data.len()].copy_from_slice(data);
        }
        Ok(bytes)
    }

    /// Where the image starts in its file.
    pub(crate) fn file_offset(&self) -> u64 {
        self.file_offset
    }

    /// The image's size in bytes (a multiple of the host page size).
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Maps the image privately (copy-on-write) at `base`, replacing what
    /// was mapped at `[base, base + len)`.
    ///
    /// # Safety
    /// `[base, base + self.len())` must be page aligned and lie inside a
    /// mapping the caller owns, with nothing else referring to its current
    /// contents.
    pub(crate) unsafe fn map_at(&self, base: *mut u8) -> Result<()> {
        debug_assert!(base as usize % host_page_size() == 0);
        // SAFETY: the caller's guarantee is `map_file_at`'s.
        unsafe { map_file_at(base, self.len, self.fd.as_raw_fd(), self.file_offset) }
    }

    /// The file holding the image (from `file_offset`).
    pub(crate) fn fd(&self) -> std::os::fd::RawFd {
        self.fd.as_raw_fd()
    }
}

/// The page-rounded size of the image `segments` make; `None` when they
/// hold no bytes.
fn image_len(segments: &[(usize, &[u8])]) -> Result<Option<usize>> {
    let end = segments
        .iter()
        .filter(|(_, bytes)| !bytes.is_empty())
        .map(|(offset, bytes)| offset + bytes.len())
        .max()
        .unwrap_or(0);
    if end == 0 {
        return Ok(None);
    }
    match round_up_to_page(end) {
        Some(len) => Ok(Some(len)),
        None => bail!("memory image of {end} bytes overflows"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_holds_segments_in_order_and_is_page_sized() {
        let a = [1u8; 10];
        let b = [2u8; 4];
        let image = MemoryImage::build(&[(100, &a), (105, &b)])
            .unwrap()
            .unwrap();
        assert_eq!(image.len(), host_page_size());
        let mut buf = [0u8; 20];
        // SAFETY: reading into a live local buffer.
        let n = unsafe { libc::pread(image.fd.as_raw_fd(), buf.as_mut_ptr().cast(), 20, 98) };
        assert_eq!(n, 20);
        assert_eq!(&buf[..2], &[0, 0]);
        assert_eq!(&buf[2..7], &[1; 5]);
        assert_eq!(&buf[7..11], &[2; 4]);
        assert_eq!(buf[11], 1);
        assert_eq!(&buf[12..], &[0; 8]);
    }

    #[test]
    fn empty_segments_need_no_image() {
        assert!(MemoryImage::build(&[(0, &[]), (7, &[])]).unwrap().is_none());
    }
}
