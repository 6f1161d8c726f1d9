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

/// The initial contents of one memory, in an in-memory file of `len`
/// bytes (a multiple of the host page size).
pub(crate) struct MemoryImage {
    fd: OwnedFd,
    len: usize,
}

impl MemoryImage {
    /// Writes `segments` (offset, bytes; later ones win where they
    /// overlap, as when applied in order) into a fresh in-memory file.
    /// `None` when there are no bytes to write.
    pub(crate) fn build(segments: &[(usize, &[u8])]) -> Result<Option<MemoryImage>> {
        let end = segments
            .iter()
            .filter(|(_, bytes)| !bytes.is_empty())
            .map(|(offset, bytes)| offset + bytes.len())
            .max()
            .unwrap_or(0);
        if end == 0 {
            return Ok(None);
        }
        let Some(len) = round_up_to_page(end) else {
            bail!("memory image of {end} bytes overflows");
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
        Ok(Some(MemoryImage { fd, len }))
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
        unsafe { map_file_at(base, self.len, self.fd.as_raw_fd()) }
    }

    /// The in-memory file holding the image.
    pub(crate) fn fd(&self) -> std::os::fd::RawFd {
        self.fd.as_raw_fd()
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
