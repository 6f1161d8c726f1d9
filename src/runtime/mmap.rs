//! Anonymous virtual-memory reservations: reserve inaccessible, commit
//! read-write on demand, unmap on drop.
//!
//! Every `mmap` and `munmap` the runtime makes for memories, tables, code
//! and memory images goes through this file, which counts them per thread
//! (`mmap_calls_on_this_thread`): the pooling allocator's promise that a
//! warm instantiate/drop cycle maps nothing is checked with that count.

use anyhow::{bail, Result};
use std::cell::Cell;
use std::io;
use std::os::fd::RawFd;
use std::ptr::NonNull;
use std::sync::OnceLock;

thread_local! {
    /// `mmap` and `munmap` calls this thread made through this file.
    static MAP_CALLS: Cell<u64> = const { Cell::new(0) };
}

fn count_map_call() {
    MAP_CALLS.with(|c| c.set(c.get() + 1));
}

// Not API: a test hook. Per thread, so tests running in parallel in one
// process do not see each other's calls.
#[doc(hidden)]
/// How many `mmap` and `munmap` calls the runtime made on this thread
/// (reservations, copy-on-write images, resets, unmaps).
pub fn mmap_calls_on_this_thread() -> u64 {
    MAP_CALLS.with(Cell::get)
}

/// The host's page size.
pub(crate) fn host_page_size() -> usize {
    static SIZE: OnceLock<usize> = OnceLock::new();
    *SIZE.get_or_init(|| {
        // SAFETY: sysconf has no preconditions.
        let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        if size > 0 {
            size as usize
        } else {
            4096
        }
    })
}

/// `n` rounded up to a multiple of the host page size, or `None` on
/// overflow.
pub(crate) fn round_up_to_page(n: usize) -> Option<usize> {
    let page = host_page_size();
    n.checked_add(page - 1).map(|v| v & !(page - 1))
}

/// `n` rounded up to a multiple of the host page size, saturating at the
/// largest multiple that fits (a size that large fails to reserve later,
/// with an error).
pub(crate) fn round_up_to_page_u64(n: u64) -> u64 {
    let page = host_page_size() as u64;
    n.saturating_add(page - 1) & !(page - 1)
}

/// An owned anonymous mapping, inaccessible unless committed.
pub(crate) struct Mmap {
    ptr: NonNull<u8>,
    len: usize,
}

// SAFETY: the mapping is plain memory owned by this value; nothing about it
// is tied to the thread that created it.
unsafe impl Send for Mmap {}
// SAFETY: shared references only expose the address and length.
unsafe impl Sync for Mmap {}

impl Mmap {
    /// Reserves `len` bytes (rounded up to pages, at least one page) of
    /// address space without backing it: PROT_NONE and MAP_NORESERVE, so
    /// even many-gigabyte reservations cost no memory.
    pub(crate) fn reserve(len: usize) -> Result<Mmap> {
        let Some(len) = round_up_to_page(len.max(1)) else {
            bail!("cannot reserve {len} bytes of address space: size overflows");
        };
        if len > isize::MAX as usize {
            bail!("cannot reserve {len} bytes of address space: too large");
        }
        count_map_call();
        // SAFETY: a fresh anonymous mapping at an address of the kernel's
        // choice overlaps nothing we own.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            bail!(
                "cannot reserve {len} bytes of address space: {}",
                io::Error::last_os_error()
            );
        }
        Ok(Mmap {
            ptr: NonNull::new(ptr.cast()).expect("mmap never returns NULL on success"),
            len,
        })
    }

    pub(crate) fn as_ptr(&self) -> *mut u8 {
        self.ptr.as_ptr()
    }

    /// The mapping's length in bytes (a multiple of the host page size).
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Makes `[start, start + len)` (offsets into the mapping, page
    /// aligned) readable and writable.
    pub(crate) fn commit(&self, start: usize, len: usize) -> Result<()> {
        self.protect(start, len, libc::PROT_READ | libc::PROT_WRITE)
            .map_err(|e| anyhow::anyhow!("cannot commit {len} bytes of memory: {e}"))
    }

    /// Makes `[start, start + len)` (offsets into the mapping, page
    /// aligned) readable and executable, and no longer writable: code is
    /// never writable and executable at once.
    pub(crate) fn make_executable(&self, start: usize, len: usize) -> Result<()> {
        self.protect(start, len, libc::PROT_READ | libc::PROT_EXEC)
            .map_err(|e| anyhow::anyhow!("cannot make {len} bytes of code executable: {e}"))
    }

    /// Sets the protection of `[start, start + len)`, a page-aligned range
    /// inside the mapping.
    fn protect(&self, start: usize, len: usize, prot: libc::c_int) -> Result<()> {
        if len == 0 {
            return Ok(());
        }
        let page = host_page_size();
        // Callers keep both page aligned and inside the mapping; a slip is
        // a runtime bug, reported as an error rather than a panic.
        if start % page != 0 || len % page != 0 {
            bail!("internal error: the range of {len} bytes at offset {start} is not page aligned");
        }
        if start.checked_add(len).is_none_or(|end| end > self.len) {
            bail!(
                "internal error: the range of {len} bytes at offset {start} is outside the {}-byte mapping",
                self.len
            );
        }
        // SAFETY: the range lies inside our own mapping (checked above).
        let rc = unsafe { libc::mprotect(self.ptr.as_ptr().add(start).cast(), len, prot) };
        if rc != 0 {
            bail!("{}", io::Error::last_os_error());
        }
        Ok(())
    }
}

impl Mmap {
    /// Whether `[start, start + len)` is a page-aligned range inside the
    /// mapping.
    fn holds(&self, start: usize, len: usize) -> bool {
        let page = host_page_size();
        start % page == 0
            && len % page == 0
            && start.checked_add(len).is_some_and(|end| end <= self.len)
    }

    /// Makes `[start, start + len)` (offsets into the mapping, page
    /// aligned) inaccessible again, keeping its pages and contents.
    pub(crate) fn uncommit(&self, start: usize, len: usize) -> Result<()> {
        self.protect(start, len, libc::PROT_NONE)
            .map_err(|e| anyhow::anyhow!("cannot make {len} bytes of memory inaccessible: {e}"))
    }

    /// Discards the pages of `[start, start + len)` (offsets into the
    /// mapping, page aligned) with `madvise(MADV_DONTNEED)`: anonymous
    /// memory reads zero afterwards and a private file mapping reads the
    /// file again; protections stay. No `mmap`. False when refused.
    pub(crate) fn decommit(&self, start: usize, len: usize) -> bool {
        if len == 0 {
            return true;
        }
        if !self.holds(start, len) {
            // A runtime bug; the caller treats it as a refused reset.
            return false;
        }
        // SAFETY: the range lies inside our own mapping (checked above);
        // the caller owns its contents, which nothing else refers to.
        let rc = unsafe {
            libc::madvise(
                self.ptr.as_ptr().add(start).cast(),
                len,
                libc::MADV_DONTNEED,
            )
        };
        rc == 0
    }

    /// Maps `len` bytes (a page multiple) of the file `fd` from byte
    /// `file_offset` (page aligned) private (copy-on-write), readable and
    /// writable, at offset `start` of the mapping, replacing what was
    /// there. The caller keeps every access within the file's size.
    pub(crate) fn map_file_over(
        &self,
        start: usize,
        len: usize,
        fd: RawFd,
        file_offset: u64,
    ) -> Result<()> {
        if !self.holds(start, len) {
            bail!("internal error: a file mapping of {len} bytes at offset {start} is outside the {}-byte mapping or not page aligned", self.len);
        }
        // SAFETY: the range lies inside our own mapping (checked above),
        // so MAP_FIXED replaces nothing anyone else uses.
        unsafe { map_file_at(self.ptr.as_ptr().add(start), len, fd, file_offset) }
    }
}

/// Maps `len` bytes of the file `fd` from byte `file_offset` (page
/// aligned) private (copy-on-write), readable and writable, at `base`,
/// replacing what was mapped there.
///
/// # Safety
/// `[base, base + len)` must be page aligned and lie inside a mapping the
/// caller owns, with nothing else referring to its current contents.
pub(crate) unsafe fn map_file_at(
    base: *mut u8,
    len: usize,
    fd: RawFd,
    file_offset: u64,
) -> Result<()> {
    let Ok(file_offset) = libc::off_t::try_from(file_offset) else {
        bail!("cannot map a memory image at file offset {file_offset}");
    };
    count_map_call();
    // SAFETY: the caller guarantees the range is its own mapping, so
    // MAP_FIXED replaces nothing anyone else uses.
    let ptr = unsafe {
        libc::mmap(
            base.cast(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_FIXED,
            fd,
            file_offset,
        )
    };
    if ptr == libc::MAP_FAILED {
        bail!(
            "cannot map a memory image of {len} bytes: {}",
            io::Error::last_os_error()
        );
    }
    debug_assert_eq!(ptr.cast::<u8>(), base);
    Ok(())
}

impl Mmap {
    /// Replaces `[start, start + len)` (offsets into the mapping, page
    /// aligned) by fresh inaccessible anonymous memory: the pages it held
    /// are discarded (they read as zero once committed again) and any file
    /// mapped there is unmapped. False when the kernel refused.
    pub(crate) fn reset(&self, start: usize, len: usize) -> bool {
        if len == 0 {
            return true;
        }
        let page = host_page_size();
        let aligned = start % page == 0 && len % page == 0;
        if !aligned || start.checked_add(len).is_none_or(|end| end > self.len) {
            // A runtime bug; the caller treats it as a refused reset.
            return false;
        }
        count_map_call();
        // SAFETY: the range lies inside our own mapping (checked above),
        // and MAP_FIXED only replaces what we mapped there.
        let ptr = unsafe {
            libc::mmap(
                self.ptr.as_ptr().add(start).cast(),
                len,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE | libc::MAP_FIXED,
                -1,
                0,
            )
        };
        ptr != libc::MAP_FAILED
    }
}

impl Mmap {
    /// Maps `len` bytes (rounded up to pages) of the file `fd` from
    /// `offset` (page aligned) private, readable and writable: writes go to
    /// private copies of the touched pages, never to the file. The caller
    /// keeps every access within the file's size.
    pub(crate) fn map_file(fd: std::os::fd::RawFd, offset: u64, len: usize) -> Result<Mmap> {
        let Some(len) = round_up_to_page(len.max(1)) else {
            bail!("cannot map {len} bytes of a file: size overflows");
        };
        if offset % host_page_size() as u64 != 0 {
            bail!("internal error: file offset {offset} is not page aligned");
        }
        let Ok(file_offset) = libc::off_t::try_from(offset) else {
            bail!("cannot map a file at offset {offset}: too large");
        };
        count_map_call();
        // SAFETY: a fresh private mapping of an open file at an address of
        // the kernel's choice overlaps nothing we own.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE,
                fd,
                file_offset,
            )
        };
        if ptr == libc::MAP_FAILED {
            bail!(
                "cannot map {len} bytes of a file: {}",
                io::Error::last_os_error()
            );
        }
        Ok(Mmap {
            ptr: NonNull::new(ptr.cast()).expect("mmap never returns NULL on success"),
            len,
        })
    }
}

impl Mmap {
    /// A value owning no mapping (what is left after the mapping was
    /// taken out of its owner).
    pub(crate) fn empty() -> Mmap {
        Mmap {
            ptr: NonNull::dangling(),
            len: 0,
        }
    }
}

impl Drop for Mmap {
    fn drop(&mut self) {
        if self.len == 0 {
            return;
        }
        count_map_call();
        // SAFETY: we own the whole mapping; nothing refers to it any more.
        unsafe {
            libc::munmap(self.ptr.as_ptr().cast(), self.len);
        }
    }
}
