//! The native stack a fiber runs on: mapped by us with a guard region
//! below it, or lent by the embedder.
//!
//! A mapped stack is one anonymous `MAP_NORESERVE` mapping (through
//! `runtime::mmap`, like every other mapping of the runtime):
//!
//! ```text
//!   low                                                      high
//!   | guard: GUARD_SIZE, PROT_NONE | usable: size, read+write |
//!   ^ base                         ^ bottom()                 ^ top()
//! ```
//!
//! Only the pages a fiber touches cost memory (and their page tables):
//! the mapping reserves address space, not commit charge (with the
//! kernel's default heuristic overcommit; under `vm.overcommit_memory = 2`
//! Linux ignores `MAP_NORESERVE` and charges the whole size). Transparent
//! huge pages are refused for it, so touching the top of a stack never
//! brings in 2 MiB at once.
//!
//! Stacks grow down, so running past `bottom()` hits the guard, which
//! faults (SIGSEGV) instead of overwriting whatever is mapped below.
//! `guard_range()` tells a signal handler that a fault address was such an
//! overflow. `GUARD_SIZE` is more than one page because code that does not
//! probe its stack (C compiled without `-fstack-clash-protection`) can
//! move the stack pointer by a whole frame past a single page; Rust and
//! Cranelift probe every page of large frames. The guard costs address
//! space only.
//!
//! Every stack is registered with valgrind while it lives (a no-op when
//! not running under valgrind): memcheck then treats a jump of the stack
//! pointer into it as a stack switch rather than a huge frame.

use super::valgrind;
use crate::runtime::mmap::{host_page_size, round_up_to_page, Mmap};
use anyhow::{bail, Result};
use std::fmt;
use std::ops::Range;

/// Bytes of inaccessible address space below every mapped stack (rounded
/// up to whole pages).
pub const GUARD_SIZE: usize = 64 * 1024;

/// The stack alignment both supported ABIs require at a call.
const STACK_ALIGN: usize = 16;

/// A stack for one fiber at a time (it may be reused for another fiber
/// once the previous one is finished: `Fiber::into_stack`).
///
/// Invariants: `[top - len, top)` is readable and writable memory owned by
/// this value (nobody else reads or writes it while it lives), `top` is
/// 16-byte aligned, and `len` is a multiple of 16.
pub struct FiberStack {
    /// One past the highest usable byte.
    top: *mut u8,
    /// Usable bytes below `top`.
    len: usize,
    /// Where the memory came from, and how it is given back.
    storage: Storage,
    /// What valgrind's `STACK_REGISTER` returned (0 when not under
    /// valgrind).
    valgrind_id: usize,
}

enum Storage {
    /// Our own mapping: `[base, base + guard)` is the guard.
    Mapped { mapping: Mmap, guard: usize },
    /// Lent by the embedder; the callback is taken when the stack drops.
    Custom(Option<Box<dyn FnOnce() + Send>>),
}

// SAFETY: a stack is plain memory owned by this value; nothing about it is
// tied to the thread that made it, and the release callback is `Send`.
unsafe impl Send for FiberStack {}

impl FiberStack {
    /// Maps a stack of at least `size` usable bytes (rounded up to whole
    /// pages, at least one) with a `GUARD_SIZE` guard below it.
    pub fn new(size: usize) -> Result<FiberStack> {
        let page = host_page_size();
        let guard = round_up_to_page(GUARD_SIZE).unwrap_or(page).max(page);
        let Some(len) = round_up_to_page(size.max(1)) else {
            bail!("cannot map a fiber stack of {size} bytes: size overflows");
        };
        let Some(total) = len.checked_add(guard) else {
            bail!("cannot map a fiber stack of {size} bytes: size overflows");
        };
        let mapping = Mmap::reserve(total)?;
        mapping.commit(guard, len)?;
        // SAFETY: an advice about our own fresh mapping, which holds no
        // data yet. It can only fail on kernels without transparent huge
        // pages, where there is nothing to refuse.
        unsafe {
            libc::madvise(mapping.as_ptr().cast(), total, libc::MADV_NOHUGEPAGE);
        }
        // SAFETY: `total` bytes from the start are the mapping.
        let top = unsafe { mapping.as_ptr().add(total) };
        Ok(FiberStack::registered(
            top,
            len,
            Storage::Mapped { mapping, guard },
        ))
    }

    /// A stack in memory the embedder provides (the `with_host_stack`
    /// option of the async integration): the usable bytes are
    /// `[top - len, top)`, and `release` is called once when the stack is
    /// dropped, after the last use of the memory.
    ///
    /// Such a stack has no guard the runtime knows of (`guard_range()` is
    /// `None`).
    ///
    /// # Panics
    /// When `top` is null or not 16-byte aligned, or `len` is not a
    /// multiple of 16 or exceeds `top`'s address.
    ///
    /// # Safety
    /// Until `release` is called, `[top - len, top)` must be readable and
    /// writable memory that nothing but this stack (and fibers running on
    /// it) reads, writes, unmaps or hands out again. And since running
    /// past the bottom of a stack is something safe code can do (deep
    /// recursion), the memory right below `top - len` must fault on access
    /// (a guard region at least as large as the largest frame of code
    /// that does not probe its stack), unless the embedder knows that
    /// nothing run on the stack ever needs more than `len` bytes.
    pub unsafe fn from_custom(
        top: *mut u8,
        len: usize,
        release: Box<dyn FnOnce() + Send>,
    ) -> FiberStack {
        assert!(!top.is_null(), "a custom fiber stack's top is null");
        assert!(
            top as usize % STACK_ALIGN == 0 && len % STACK_ALIGN == 0,
            "a custom fiber stack's top ({top:p}) and size ({len}) must be multiples of {STACK_ALIGN}"
        );
        assert!(
            len <= top as usize,
            "a custom fiber stack of {len} bytes below {top:p} wraps around the address space"
        );
        FiberStack::registered(top, len, Storage::Custom(Some(release)))
    }

    /// The stack with `[top - len, top)` registered with valgrind.
    fn registered(top: *mut u8, len: usize, storage: Storage) -> FiberStack {
        let high = top as usize;
        // Valgrind wants the lowest and the highest addressable byte.
        let valgrind_id = valgrind::stack_register(high - len, high - 1);
        FiberStack {
            top,
            len,
            storage,
            valgrind_id,
        }
    }

    /// One past the highest usable byte: where a fiber's first frame goes.
    /// 16-byte aligned.
    pub fn top(&self) -> *mut u8 {
        self.top
    }

    /// The lowest usable byte.
    pub fn bottom(&self) -> *mut u8 {
        self.top.wrapping_sub(self.len)
    }

    /// Usable bytes (a multiple of the page size for mapped stacks).
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the stack has no usable bytes (never for a mapped one).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The usable addresses, `bottom()..top()`.
    pub fn range(&self) -> Range<usize> {
        self.bottom() as usize..self.top as usize
    }

    /// The inaccessible addresses right below the stack, for a signal
    /// handler to recognise an overflow of this stack from the fault
    /// address. `None` for a custom stack, whose guard (if any) the
    /// runtime does not know.
    pub fn guard_range(&self) -> Option<Range<usize>> {
        match &self.storage {
            Storage::Mapped { mapping, guard } => {
                let base = mapping.as_ptr() as usize;
                Some(base..base + guard)
            }
            Storage::Custom(_) => None,
        }
    }

    /// Zeroes the usable bytes for reuse by another fiber: the top
    /// `keep_resident` bytes (rounded up to pages) by hand, so they stay
    /// resident, the rest by discarding its pages (`MADV_DONTNEED`: they
    /// read zero and cost nothing until touched again). A custom stack is
    /// zeroed by hand throughout. Only for a stack no fiber is using.
    pub fn zero(&mut self, keep_resident: usize) {
        let keep = round_up_to_page(keep_resident)
            .unwrap_or(self.len)
            .min(self.len);
        let by_hand = match &self.storage {
            Storage::Mapped { mapping, guard } => {
                let discard = self.len - keep;
                if mapping.decommit(*guard, discard) {
                    keep
                } else {
                    self.len
                }
            }
            Storage::Custom(_) => self.len,
        };
        // SAFETY: the top `by_hand` bytes are usable memory this value
        // owns (the invariant), and no fiber runs on it (`&mut self`).
        unsafe { std::ptr::write_bytes(self.top.sub(by_hand), 0, by_hand) };
    }

    /// Whether the embedder provided the memory (`from_custom`).
    pub fn is_custom(&self) -> bool {
        matches!(self.storage, Storage::Custom(_))
    }
}

impl Drop for FiberStack {
    fn drop(&mut self) {
        // Deregister first: once unmapped or released the addresses may be
        // reused for anything.
        valgrind::stack_deregister(self.valgrind_id);
        if let Storage::Custom(release) = &mut self.storage {
            if let Some(release) = release.take() {
                release();
            }
        }
        // A mapped stack is unmapped by its `Mmap`, dropped with `storage`.
    }
}

impl fmt::Debug for FiberStack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FiberStack")
            .field("range", &format_args!("{:#x?}", self.range()))
            .field("guard", &format_args!("{:#x?}", self.guard_range()))
            .field("custom", &self.is_custom())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fiber_stack_is_rounded_to_pages_and_guarded() {
        let page = host_page_size();
        let stack = FiberStack::new(page + 1).unwrap();
        assert_eq!(stack.len(), 2 * page);
        assert_eq!(stack.top() as usize % page, 0);
        let guard = stack.guard_range().unwrap();
        assert_eq!(guard.end, stack.bottom() as usize);
        assert!(guard.end - guard.start >= GUARD_SIZE.max(page));
        // The usable bytes are writable, top to bottom.
        // SAFETY: both bytes are inside the usable range.
        unsafe {
            stack.top().sub(1).write(1);
            stack.bottom().write(2);
        }
    }

    #[test]
    fn fiber_stack_of_zero_bytes_is_one_page() {
        let stack = FiberStack::new(0).unwrap();
        assert_eq!(stack.len(), host_page_size());
        assert!(!stack.is_empty());
    }

    #[test]
    fn fiber_stack_custom_release_runs_once_on_drop() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::Arc;
        let mut memory = vec![0u128; 1024];
        let len = memory.len() * 16;
        // SAFETY: `len` bytes from the start are the vector's.
        let top = unsafe { memory.as_mut_ptr().cast::<u8>().add(len) };
        let released = Arc::new(AtomicUsize::new(0));
        let r = released.clone();
        // SAFETY: the vector outlives the stack and is not touched while
        // the stack lives.
        let stack = unsafe {
            FiberStack::from_custom(
                top,
                len,
                Box::new(move || {
                    r.fetch_add(1, Ordering::SeqCst);
                }),
            )
        };
        assert!(stack.is_custom());
        assert!(stack.guard_range().is_none());
        assert_eq!(stack.range().len(), len);
        assert_eq!(released.load(Ordering::SeqCst), 0);
        drop(stack);
        assert_eq!(released.load(Ordering::SeqCst), 1);
        drop(memory);
    }
}
