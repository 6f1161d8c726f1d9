//! Access to the calling instance's linear memory, every address checked.
//!
//! Preview 1 passes pointers as 32-bit offsets into the module's exported
//! `memory`. An offset range that does not lie inside the memory is
//! `EFAULT` and a misaligned typed pointer `EINVAL`, as the reference's
//! guest-memory layer (wiggle's `GuestError` mapping in wasi-common)
//! answers them; nothing outside the memory is ever touched. (Wasmtime's
//! newer preview 1 adapter traps on such pointers instead, reading the
//! witx documents' "shall trap" literally; an error code, as wasi-common
//! and most runtimes give, leaves a buggy guest running and informed.)
//!
//! Invariants that make the raw accesses sound: the memory neither grows
//! nor moves during a host call (growth needs wasm code to run, and no wasm
//! runs while a WASI function does), so `base..base + len` stays mapped and
//! writable for the whole call; and no Rust reference into guest memory is
//! kept across a write to it (slices handed out by [`GuestMemory::bytes`]
//! and [`GuestMemory::str`] are used and dropped before the next write).
//! A shared memory may be written by other threads meanwhile; the bytes
//! the host then sees or writes are as racy as the guest made them, like
//! any syscall's on a shared buffer.

use super::errno::Errno;
use crate::runtime::Memory;

/// The calling instance's memory for the duration of one call.
#[derive(Clone, Copy)]
pub(crate) struct GuestMemory {
    base: *mut u8,
    len: usize,
}

impl GuestMemory {
    pub(crate) fn new(memory: &Memory) -> GuestMemory {
        GuestMemory {
            base: memory.data_ptr(),
            len: memory.data_size(),
        }
    }

    /// The host address of `ptr..ptr + len` after checking that the range
    /// lies inside the memory.
    #[inline]
    fn at(&self, ptr: u32, len: usize) -> Result<*mut u8, Errno> {
        let end = (ptr as usize).checked_add(len).ok_or(Errno::FAULT)?;
        if end > self.len {
            return Err(Errno::FAULT);
        }
        if len == 0 {
            // Nothing will be read or written: any well-aligned non-null
            // pointer does, even for a memory of size 0.
            return Ok(std::ptr::NonNull::dangling().as_ptr());
        }
        // SAFETY: `ptr + len <= self.len`, so the offset stays inside the
        // memory's mapping.
        Ok(unsafe { self.base.add(ptr as usize) })
    }

    /// Checks that a `T` at `ptr` is inside the memory and aligned.
    #[inline]
    fn typed<T>(&self, ptr: u32) -> Result<*mut T, Errno> {
        let p = self.at(ptr, std::mem::size_of::<T>())?;
        if ptr as usize % std::mem::align_of::<T>() != 0 {
            return Err(Errno::INVAL);
        }
        Ok(p.cast())
    }

    pub(crate) fn read_u8(&self, ptr: u32) -> Result<u8, Errno> {
        let p = self.typed::<u8>(ptr)?;
        // SAFETY: `typed` checked the byte is inside the memory.
        Ok(unsafe { p.read() })
    }

    pub(crate) fn read_u16(&self, ptr: u32) -> Result<u16, Errno> {
        let p = self.typed::<u16>(ptr)?;
        // SAFETY: in bounds; unaligned reads are fine on any host, and the
        // guest's alignment was checked for the guest's sake.
        Ok(u16::from_le(unsafe { p.read_unaligned() }))
    }

    pub(crate) fn read_u32(&self, ptr: u32) -> Result<u32, Errno> {
        let p = self.typed::<u32>(ptr)?;
        // SAFETY: as in `read_u16`.
        Ok(u32::from_le(unsafe { p.read_unaligned() }))
    }

    pub(crate) fn read_u64(&self, ptr: u32) -> Result<u64, Errno> {
        let p = self.typed::<u64>(ptr)?;
        // SAFETY: as in `read_u16`.
        Ok(u64::from_le(unsafe { p.read_unaligned() }))
    }

    pub(crate) fn write_u8(&self, ptr: u32, v: u8) -> Result<(), Errno> {
        let p = self.typed::<u8>(ptr)?;
        // SAFETY: in bounds and writable (module docs).
        unsafe { p.write(v) };
        Ok(())
    }

    pub(crate) fn write_u16(&self, ptr: u32, v: u16) -> Result<(), Errno> {
        let p = self.typed::<u16>(ptr)?;
        // SAFETY: in bounds and writable; unaligned writes are fine.
        unsafe { p.write_unaligned(v.to_le()) };
        Ok(())
    }

    pub(crate) fn write_u32(&self, ptr: u32, v: u32) -> Result<(), Errno> {
        let p = self.typed::<u32>(ptr)?;
        // SAFETY: as in `write_u16`.
        unsafe { p.write_unaligned(v.to_le()) };
        Ok(())
    }

    pub(crate) fn write_u64(&self, ptr: u32, v: u64) -> Result<(), Errno> {
        let p = self.typed::<u64>(ptr)?;
        // SAFETY: as in `write_u16`.
        unsafe { p.write_unaligned(v.to_le()) };
        Ok(())
    }

    /// Checks that a `T` at `ptr` could be written, so that an operation
    /// with side effects can refuse a bad result pointer before acting.
    pub(crate) fn check_out<T>(&self, ptr: u32) -> Result<(), Errno> {
        self.typed::<T>(ptr).map(|_| ())
    }

    /// Checks that `len` bytes at `ptr` are inside the memory.
    pub(crate) fn check_range(&self, ptr: u32, len: u32) -> Result<(), Errno> {
        self.at(ptr, len as usize).map(|_| ())
    }

    /// Copies `data` to `ptr`.
    pub(crate) fn write_bytes(&self, ptr: u32, data: &[u8]) -> Result<(), Errno> {
        let p = self.at(ptr, data.len())?;
        // SAFETY: the destination is inside the memory, and host data never
        // overlaps guest memory.
        unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), p, data.len()) };
        Ok(())
    }

    /// The host address of `len` bytes at `ptr`, for the OS to fill.
    pub(crate) fn raw(&self, ptr: u32, len: u32) -> Result<*mut u8, Errno> {
        self.at(ptr, len as usize)
    }

    /// The bytes at `ptr..ptr + len`, borrowed until the next write.
    pub(crate) fn bytes(&self, ptr: u32, len: u32) -> Result<&[u8], Errno> {
        let p = self.at(ptr, len as usize)?;
        // SAFETY: in bounds; nothing writes the memory while the slice is
        // in use (module docs).
        Ok(unsafe { std::slice::from_raw_parts(p, len as usize) })
    }

    /// The UTF-8 string at `ptr..ptr + len` (`EILSEQ` if it is not
    /// UTF-8, as the reference answers), borrowed until the next write.
    pub(crate) fn str(&self, ptr: u32, len: u32) -> Result<&str, Errno> {
        std::str::from_utf8(self.bytes(ptr, len)?).map_err(|_| Errno::ILSEQ)
    }

    /// The `count` (c)iovecs at `ptr` as host buffers, each checked to lie
    /// inside the memory. The OS takes at most `IOV_MAX` buffers and at
    /// most `u32::MAX` bytes (the guest's `size`) per call, so the list
    /// stops there: a transfer of that prefix is a short transfer, which
    /// every caller of `readv`-like functions handles.
    pub(crate) fn iovecs(&self, ptr: u32, count: u32) -> Result<Iovecs, Errno> {
        let mut list = Iovecs::new();
        let mut total: u64 = 0;
        for i in 0..count {
            let at = (i as u64) * super::types::layout::IOVEC_SIZE as u64 + ptr as u64;
            let at = u32::try_from(at).map_err(|_| Errno::FAULT)?;
            // The whole iovec is inside, so `at + 4` cannot wrap.
            self.check_range(at, super::types::layout::IOVEC_SIZE)?;
            let buf = self.read_u32(at)?;
            let mut len = self.read_u32(at + 4)?;
            let base = self.raw(buf, len)?;
            if list.len() >= IOV_MAX || total >= u32::MAX as u64 {
                // Still checked above: every buffer the guest named must
                // be valid, used or not.
                continue;
            }
            len = len.min((u32::MAX as u64 - total) as u32);
            total += len as u64;
            list.push(libc::iovec {
                iov_base: base.cast(),
                iov_len: len as usize,
            });
        }
        Ok(list)
    }
}

/// The most buffers one `readv`/`writev` takes (Linux's `IOV_MAX`).
const IOV_MAX: usize = 1024;

/// Up to this many buffers are kept without a heap allocation: wasi-libc's
/// stdio writes two, `readv` callers rarely more.
const INLINE_IOVECS: usize = 16;

/// Host buffers in guest memory, ready for `readv`/`writev`: raw pointers,
/// so that buffers the guest made overlap never become aliasing Rust
/// references.
pub(crate) struct Iovecs {
    inline: [libc::iovec; INLINE_IOVECS],
    heap: Vec<libc::iovec>,
    len: usize,
}

impl Iovecs {
    fn new() -> Iovecs {
        Iovecs {
            inline: [libc::iovec {
                iov_base: std::ptr::null_mut(),
                iov_len: 0,
            }; INLINE_IOVECS],
            heap: Vec::new(),
            len: 0,
        }
    }

    fn push(&mut self, iov: libc::iovec) {
        if self.len < INLINE_IOVECS {
            self.inline[self.len] = iov;
        } else {
            if self.heap.is_empty() {
                self.heap.extend_from_slice(&self.inline);
            }
            self.heap.push(iov);
        }
        self.len += 1;
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The buffers, for the OS.
    pub(crate) fn as_slice(&self) -> &[libc::iovec] {
        if self.len <= INLINE_IOVECS {
            &self.inline[..self.len]
        } else {
            &self.heap
        }
    }

    /// The total size of the buffers.
    pub(crate) fn total(&self) -> usize {
        self.as_slice().iter().map(|v| v.iov_len).sum()
    }

    /// Each buffer as bytes, for sinks that are no OS descriptor (a
    /// callback). Borrowed until the next write to guest memory.
    pub(crate) fn slices(&self) -> impl Iterator<Item = &[u8]> {
        self.as_slice().iter().map(|v| {
            if v.iov_len == 0 {
                &[][..]
            } else {
                // SAFETY: `GuestMemory::iovecs` checked each buffer lies
                // inside the memory; nothing writes it while the slice is
                // used.
                unsafe { std::slice::from_raw_parts(v.iov_base as *const u8, v.iov_len) }
            }
        })
    }

    /// Fills the buffers in order from `src` (a host buffer); returns how
    /// many bytes were copied.
    pub(crate) fn fill_from(&self, mut src: &[u8]) -> usize {
        let mut copied = 0;
        for v in self.as_slice() {
            if src.is_empty() {
                break;
            }
            let n = v.iov_len.min(src.len());
            if n == 0 {
                continue;
            }
            // SAFETY: the destination is inside guest memory (checked when
            // the list was built) and `src` is host memory, so they do not
            // overlap; `n` fits both.
            unsafe { std::ptr::copy_nonoverlapping(src.as_ptr(), v.iov_base.cast(), n) };
            src = &src[n..];
            copied += n;
        }
        copied
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A guest memory over a host buffer.
    fn over(buf: &mut [u8]) -> GuestMemory {
        GuestMemory {
            base: buf.as_mut_ptr(),
            len: buf.len(),
        }
    }

    #[test]
    fn ranges_outside_the_memory_are_efault_and_misalignment_einval() {
        let mut buf = vec![0u8; 64];
        let mem = over(&mut buf);
        assert_eq!(mem.read_u32(60), Ok(0));
        assert_eq!(mem.read_u32(61), Err(Errno::FAULT));
        assert_eq!(mem.read_u32(u32::MAX), Err(Errno::FAULT));
        assert_eq!(mem.read_u32(2), Err(Errno::INVAL));
        assert_eq!(mem.bytes(64, 0).map(<[u8]>::len), Ok(0));
        assert_eq!(mem.bytes(65, 0).map(<[u8]>::len), Err(Errno::FAULT));
        assert_eq!(mem.write_bytes(60, b"12345"), Err(Errno::FAULT));
        assert_eq!(mem.str(0, 2), Ok("\0\0"));
        mem.write_bytes(0, &[0xff]).unwrap();
        assert_eq!(mem.str(0, 1), Err(Errno::ILSEQ));
    }

    #[test]
    fn many_iovecs_spill_to_the_heap_and_fill_in_order() {
        // 20 iovecs of 2 bytes each at 256.., described at 0..160.
        let mut buf = vec![0u8; 512];
        let mem = over(&mut buf);
        for i in 0..20u32 {
            mem.write_u32(i * 8, 256 + 2 * i).unwrap();
            mem.write_u32(i * 8 + 4, 2).unwrap();
        }
        let iov = mem.iovecs(0, 20).unwrap();
        assert_eq!((iov.len(), iov.total()), (20, 40));
        let src: Vec<u8> = (0..50).collect();
        assert_eq!(iov.fill_from(&src), 40);
        assert_eq!(mem.bytes(256, 40).unwrap(), &src[..40]);
        assert_eq!(iov.slices().map(<[u8]>::len).sum::<usize>(), 40);
        // A buffer past the end spoils the whole list.
        mem.write_u32(19 * 8 + 4, 1000).unwrap();
        assert_eq!(mem.iovecs(0, 20).err(), Some(Errno::FAULT));
    }
}
