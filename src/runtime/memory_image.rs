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
//! Images are built on first instantiation and cached per engine
//! (`ImageCache`). A cache entry keeps clones of the module's data segment
//! bytes (`Arc<[u8]>`): their identity names the module's data, and while
//! the entry holds them no other module can get the same allocations, so a
//! match is never stale. Entries whose segments nobody else holds any more
//! (the module is gone) are dropped on the next insertion.

use super::mmap::{host_page_size, round_up_to_page};
use crate::module::info::{ConstExpr, ConstOp, DataMode};
use crate::module::Module;
use anyhow::{bail, Result};
use std::collections::HashMap;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::{Arc, Mutex};

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
    fn build(segments: &[(usize, &[u8])]) -> Result<Option<MemoryImage>> {
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
        // SAFETY: the caller guarantees the range is its own mapping, so
        // MAP_FIXED replaces nothing anyone else uses.
        let ptr = unsafe {
            libc::mmap(
                base.cast(),
                self.len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_FIXED,
                self.fd.as_raw_fd(),
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            bail!(
                "cannot map a memory image of {} bytes: {}",
                self.len,
                io::Error::last_os_error()
            );
        }
        debug_assert_eq!(ptr.cast::<u8>(), base);
        Ok(())
    }
}

/// Data segments placed in one memory: (offset, bytes), in order.
type Placed<'a> = Vec<(usize, &'a [u8])>;

/// How one defined memory of a module gets its initial contents.
pub(crate) enum MemoryInit {
    /// Its data segments are applied one by one at instantiation (some
    /// segment has a dynamic offset or may be out of bounds).
    Eager,
    /// Every active segment is static and in bounds: map this image (none
    /// when the segments hold no bytes) and skip the segments.
    Image(Option<Arc<MemoryImage>>),
}

/// The initialisation plan of every defined memory of one module.
pub(crate) struct ModuleImages {
    /// The module's data segments, in order (identity of the entry).
    segments: Vec<Arc<[u8]>>,
    code_id: usize,
    /// Indexed by defined memory.
    pub(crate) memories: Vec<MemoryInit>,
}

impl ModuleImages {
    fn matches(&self, module: &Module) -> bool {
        let data = &module.info().data;
        self.code_id == module.code_id()
            && self.segments.len() == data.len()
            && self
                .segments
                .iter()
                .zip(data.iter())
                .all(|(a, b)| Arc::ptr_eq(a, &b.data))
    }

    /// Whether the module is gone: only this entry holds its segments.
    fn orphaned(&self) -> bool {
        self.segments.iter().all(|s| Arc::strong_count(s) == 1)
    }

    fn build(module: &Module) -> ModuleImages {
        let info = module.info();
        let imported = info.num_imported_memories as usize;
        let plans = module.memory_plans();
        // Per defined memory: its segments as (offset, bytes), or `None`
        // once one of them rules out an image.
        let mut per_memory: Vec<Option<Placed<'_>>> =
            (imported..plans.len()).map(|_| Some(Vec::new())).collect();
        for seg in info.data.iter() {
            let DataMode::Active { memory, offset } = &seg.mode else {
                continue;
            };
            let Some(index) = (*memory as usize).checked_sub(imported) else {
                continue;
            };
            let Some(slot) = per_memory.get_mut(index) else {
                continue;
            };
            let Some(list) = slot else { continue };
            let ty = &plans[*memory as usize].ty;
            let min_bytes = ty.minimum.checked_mul(1u64 << ty.page_size_log2);
            let placed = static_offset(offset, ty.memory64).and_then(|start| {
                let end = start.checked_add(seg.data.len() as u64)?;
                (end <= min_bytes?).then_some(usize::try_from(start).ok()?)
            });
            match placed {
                Some(start) => list.push((start, &seg.data[..])),
                None => *slot = None,
            }
        }
        let memories = per_memory
            .into_iter()
            .map(|segments| match segments {
                // An image that cannot be built (no memfd) just means the
                // slow path: the segments are applied eagerly.
                Some(segments) => match MemoryImage::build(&segments) {
                    Ok(image) => MemoryInit::Image(image.map(Arc::new)),
                    Err(_) => MemoryInit::Eager,
                },
                None => MemoryInit::Eager,
            })
            .collect();
        ModuleImages {
            segments: info.data.iter().map(|s| s.data.clone()).collect(),
            code_id: module.code_id(),
            memories,
        }
    }
}

/// The value of a data segment's offset expression when it depends on
/// nothing but constants (no `global.get`), else `None`.
fn static_offset(expr: &ConstExpr, memory64: bool) -> Option<u64> {
    let mut stack: Vec<i64> = Vec::with_capacity(2);
    for op in &expr.ops {
        let v = match *op {
            ConstOp::I32Const(v) => v as i64,
            ConstOp::I64Const(v) => v,
            ConstOp::I32Add | ConstOp::I32Sub | ConstOp::I32Mul => {
                let b = stack.pop()? as i32;
                let a = stack.pop()? as i32;
                (match op {
                    ConstOp::I32Add => a.wrapping_add(b),
                    ConstOp::I32Sub => a.wrapping_sub(b),
                    _ => a.wrapping_mul(b),
                }) as i64
            }
            ConstOp::I64Add | ConstOp::I64Sub | ConstOp::I64Mul => {
                let b = stack.pop()?;
                let a = stack.pop()?;
                match op {
                    ConstOp::I64Add => a.wrapping_add(b),
                    ConstOp::I64Sub => a.wrapping_sub(b),
                    _ => a.wrapping_mul(b),
                }
            }
            _ => return None,
        };
        stack.push(v);
    }
    let v = stack.pop()?;
    Some(if memory64 {
        v as u64
    } else {
        v as i32 as u32 as u64
    })
}

/// The engine's cache of module images, keyed by code identity.
#[derive(Default)]
pub(crate) struct ImageCache {
    entries: Mutex<HashMap<usize, Arc<ModuleImages>>>,
}

impl ImageCache {
    /// The images of `module`, built on first use; `None` when the module
    /// has no data segments (its memories start all zero).
    pub(crate) fn get(&self, module: &Module) -> Option<Arc<ModuleImages>> {
        if module.info().data.is_empty() || module.info().num_defined_memories() == 0 {
            return None;
        }
        let key = module.code_id();
        {
            let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(found) = entries.get(&key).filter(|e| e.matches(module)) {
                return Some(found.clone());
            }
        }
        // Built outside the lock: two threads may build the same images,
        // and either result is correct.
        let images = Arc::new(ModuleImages::build(module));
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.retain(|_, e| !e.orphaned());
        entries.insert(key, images.clone());
        Some(images)
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

    #[test]
    fn offsets_with_globals_are_not_static() {
        let dynamic = ConstExpr {
            ops: vec![ConstOp::GlobalGet(0)],
        };
        assert_eq!(static_offset(&dynamic, false), None);
        let folded = ConstExpr {
            ops: vec![ConstOp::I32Const(-1), ConstOp::I32Const(2), ConstOp::I32Mul],
        };
        assert_eq!(static_offset(&folded, false), Some(0xFFFF_FFFE));
    }
}
