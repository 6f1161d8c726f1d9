//! A read-only mapping of a whole file, so a serialized module is read
//! where the kernel's page cache already holds it instead of being copied
//! into a heap buffer first.

use anyhow::{bail, Context as _, Result};
use std::fs::File;
use std::os::fd::AsRawFd;
use std::path::Path;

/// The bytes of a file, mapped private and read-only; unmapped on drop.
///
/// Invariant: `ptr` is the start of a live mapping of `len > 0` bytes that
/// nothing writes through.
pub(super) struct FileMap {
    ptr: *mut libc::c_void,
    len: usize,
    /// Kept open for further mappings of the file (its code image).
    file: File,
}

impl FileMap {
    /// Maps all of `path`. Fails, naming the file, when it cannot be
    /// opened or mapped, or is empty (nothing to map: not a module either).
    pub(super) fn open(path: &Path) -> Result<FileMap> {
        let file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
        let len = file
            .metadata()
            .with_context(|| format!("reading the size of {}", path.display()))?
            .len();
        let Ok(len) = usize::try_from(len) else {
            bail!("{} is too large to map", path.display());
        };
        if len == 0 {
            bail!("{} is empty, not a serialized module", path.display());
        }
        // SAFETY: a fresh private read-only mapping of an open file; the
        // kernel chooses the address. The mapping keeps its own reference
        // to the file.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ,
                libc::MAP_PRIVATE,
                file.as_raw_fd(),
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(std::io::Error::last_os_error())
                .with_context(|| format!("mapping {}", path.display()));
        }
        Ok(FileMap { ptr, len, file })
    }

    /// The open file, for mapping parts of it again.
    pub(super) fn fd(&self) -> std::os::fd::RawFd {
        self.file.as_raw_fd()
    }

    /// The file's bytes. (Like any reader of a file, this sees changes
    /// another process makes to it meanwhile; serialized modules are
    /// trusted files, see `Module::deserialize`.)
    pub(super) fn bytes(&self) -> &[u8] {
        // SAFETY: the mapping is `len` readable bytes, live while `self`
        // is (the invariant).
        unsafe { std::slice::from_raw_parts(self.ptr.cast::<u8>(), self.len) }
    }
}

impl Drop for FileMap {
    fn drop(&mut self) {
        // SAFETY: the mapping made in `open`, unmapped once.
        unsafe { libc::munmap(self.ptr, self.len) };
    }
}
