//! `wmemcheck`: a heap checker for guests that bring their own allocator
//! (a C program linked with wasi-libc's `malloc`, for example).
//!
//! # What compiled code reports
//!
//! An engine with `wmemcheck` on compiles, in every module that defines an
//! allocator over an unshared memory 0 (the functions the name section
//! names, or else that are exported as, `malloc`, `calloc`, `realloc`,
//! `free`, `aligned_alloc`, `posix_memalign`, `malloc_usable_size`: found
//! by name as the reference finds them; see
//! `compiler::translate::wmemcheck`), calls to the builtins
//! (`environ::builtins`):
//!
//! - `WmemcheckLoad` / `WmemcheckStore` before every access of memory 0
//!   (plain, SIMD and atomic loads and stores, and the ranges of
//!   `memory.copy`, `memory.fill` and `memory.init`): [`Checker::access`].
//!   Loads and stores first try an inline check against what the checker
//!   publishes for them (`vmoffsets::wmemcheck_fast`, [`State::publish`]):
//!   an access below the lowest block, or one whose shadow bytes are all
//!   live, goes on without a call, so only the accesses that may be errors
//!   reach the checker (the published floor is `u64::MAX` before the first
//!   block and while an allocator function runs, when nothing is checked);
//! - `WmemcheckEnter` at the entry of each allocator function, with its
//!   parameters, and `WmemcheckExit` at each of its returns, with its
//!   result: [`Checker::enter`] and [`Checker::exit`]. The hooks sit in the
//!   allocator's own body, not at call sites, so every caller counts: the
//!   C library's internal calls, `call_indirect`, and a host calling the
//!   export.
//!
//! With `wmemcheck` off (or in a module without an allocator) none of
//! these calls exist and this module is never reached.
//!
//! # The model
//!
//! One shadow byte per byte of memory 0 up to the end of the highest block
//! seen: *untracked* (never handed out by the allocator), *live* (inside a
//! block the allocator returned and that was not freed since) or *freed*
//! (handed out once, freed since, not handed out again). The blocks
//! themselves are kept too (start → length), live and freed, for the
//! free checks and for messages.
//!
//! The heap is where the allocator's blocks are: every byte from the
//! lowest block start seen so far up to the end of memory. The stack and
//! the static data lie below it (wasm-ld places the heap above both, in
//! either stack placement), and are never checked: their bytes are not
//! tracked, so no `__stack_pointer` bookkeeping is needed, and accesses
//! below the stack pointer (LLVM's wasm red zone) stay fine. For an
//! allocator whose blocks lie below the initial stack pointer (a static
//! arena), the heap floor is raised to that value (global 0's initial
//! value when it is a mutable address-typed global, the reference's
//! assumption about `__stack_pointer`), so the stack is never taken for
//! heap.
//!
//! An access is an error when it touches a freed byte (use after free) or
//! an untracked byte inside the heap: allocator metadata, padding after a
//! block (heap overflow), the free space past the last block. A `free`
//! (or `realloc`, `malloc_usable_size`) of a pointer that is not the start
//! of a live block is an error before the allocator runs: a double free
//! when the pointer starts a freed block, else a pointer the allocator
//! never returned. An aligned read of up to 16 bytes that reaches some
//! bytes it may read is not an error either (Valgrind's "partial loads"):
//! word-at-a-time string routines read the whole aligned word holding a
//! string's terminator. Reads of allocated but never written bytes are not
//! errors (unlike the reference, whose check of them is noisy for
//! `realloc`ed and padded data).
//!
//! Checks are suspended while an allocator function runs (it reads and
//! writes its own metadata and the freed blocks' links), and only the
//! outermost allocator call is recorded (`calloc` calling `malloc` records
//! one block). The allocator is the authority on what it hands out: a new
//! block overlapping blocks the checker still thinks live replaces them
//! silently, so a misread never turns into false errors later.
//!
//! Limitations, kept on the side of no false errors: memory the allocator
//! hands out through functions other than those above is not known (an
//! access to it traps as unallocated heap); a trap out of an allocator
//! function leaves checks suspended for the rest of the instance's life;
//! host accesses (WASI reading or writing guest buffers) are not checked;
//! each instance has its own checker, so a memory shared between
//! instances is not checked (the compiler leaves out shared memories).
//!
//! # Errors
//!
//! A builtin that finds an error leaves the message in a thread-local slot
//! ([`take_error`]) and returns 0; compiled code then traps with
//! `TrapKind::MemoryCheck`, and the trap path, on the same thread, turns
//! the message into the trap's.

use crate::environ::builtins::WmemcheckRole;
use crate::environ::info::{ConstOp, ModuleInfo};
use crate::environ::ValType;
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;

const UNTRACKED: u8 = 0;
const LIVE: u8 = 1;
const FREED: u8 = 2;

thread_local! {
    /// The message of the heap error a builtin just reported, for the
    /// `MemoryCheck` trap compiled code raises right after.
    static ERROR: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Keeps `message` for the `MemoryCheck` trap about to be raised.
pub(crate) fn set_error(message: String) {
    ERROR.with(|e| *e.borrow_mut() = Some(message));
}

/// The message of the last heap error reported on this thread, taken.
pub(crate) fn take_error() -> Option<String> {
    ERROR.with(|e| e.borrow_mut().take())
}

/// The heap checker of one instance.
pub(crate) struct Checker {
    /// What compiled code reads to skip calling the checker
    /// (`vmoffsets::wmemcheck_fast`), at a stable address the instance's
    /// `VMContext` points at; kept up to date with `state` by
    /// [`State::publish`].
    fast: Box<Fast>,
    state: RefCell<State>,
}

/// `vmoffsets::wmemcheck_fast`, field by field.
#[repr(C)]
struct Fast {
    floor: Cell<u64>,
    shadow: Cell<*const u8>,
    shadow_len: Cell<u64>,
}

const _: () = {
    use crate::environ::vmoffsets::wmemcheck_fast as layout;
    assert!(std::mem::offset_of!(Fast, floor) == layout::FLOOR as usize);
    assert!(std::mem::offset_of!(Fast, shadow) == layout::SHADOW as usize);
    assert!(std::mem::offset_of!(Fast, shadow_len) == layout::SHADOW_LEN as usize);
    assert!(LIVE == layout::LIVE);
};

/// An allocator call that has not returned yet.
struct Call {
    role: WmemcheckRole,
    args: [u64; 3],
}

struct State {
    /// One byte per byte of memory 0 from address 0: `UNTRACKED`, `LIVE` or
    /// `FREED`. Bytes past its end are untracked.
    shadow: Vec<u8>,
    /// Live blocks, start → length; they never overlap.
    live: BTreeMap<u64, u64>,
    /// Freed blocks not handed out again since, start → length; they never
    /// overlap.
    freed: BTreeMap<u64, u64>,
    /// The lowest start of any block seen (`u64::MAX` before the first):
    /// every tracked byte lies at or above it.
    lowest_block: u64,
    /// The initial stack pointer, below which nothing is heap.
    stack_top: u64,
    /// Whether memory 0 has 64-bit addresses (for `posix_memalign`'s
    /// result pointer).
    memory64: bool,
    /// The allocator calls in progress, outermost first.
    calls: Vec<Call>,
}

/// Why an access is an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fault {
    Freed,
    Unallocated,
}

impl Checker {
    /// A checker for an instance of the module `info`, which has a memory
    /// 0; nothing is tracked yet.
    pub(crate) fn for_module(info: &ModuleInfo) -> Checker {
        let memory64 = info.memories.first().is_some_and(|m| m.memory64);
        Checker {
            fast: Box::new(Fast {
                floor: Cell::new(u64::MAX),
                shadow: Cell::new(std::ptr::null()),
                shadow_len: Cell::new(0),
            }),
            state: RefCell::new(State {
                shadow: Vec::new(),
                live: BTreeMap::new(),
                freed: BTreeMap::new(),
                lowest_block: u64::MAX,
                stack_top: initial_stack_pointer(info, memory64).unwrap_or(0),
                memory64,
                calls: Vec::new(),
            }),
        }
    }

    /// The address compiled code reads `WmemcheckFast` at.
    pub(crate) fn fast_ptr(&self) -> *const u8 {
        (&*self.fast as *const Fast).cast()
    }

    /// Checks a `len`-byte read (`write` false) or write of memory 0 at
    /// `index + offset`, in a memory of `memory_len` bytes.
    pub(crate) fn access(
        &self,
        index: u64,
        offset: u64,
        len: u64,
        write: bool,
        memory_len: u64,
    ) -> Result<(), String> {
        let state = self.state.borrow();
        let Some(end) = index.checked_add(offset).and_then(|a| a.checked_add(len)) else {
            // Out of bounds: the access itself traps.
            return Ok(());
        };
        if end <= state.lowest_block || !state.calls.is_empty() || end > memory_len {
            return Ok(());
        }
        let addr = end - len;
        let Some((at, fault)) = state.first_fault(addr, end) else {
            return Ok(());
        };
        // Partial loads are fine, as in Valgrind: an aligned read of up to
        // 16 bytes that reaches a block's bytes is a word-at-a-time string
        // or memory routine (musl's `strlen` reads the whole aligned word
        // holding the terminator), whose other bytes it ignores.
        let aligned = len.is_power_of_two() && len <= 16 && addr % len == 0;
        if !write && aligned && (addr..end).any(|a| state.allowed(a)) {
            return Ok(());
        }
        Err(state.access_message(addr, len, write, at, fault))
    }

    /// An allocator function of role `role` was entered with `args`.
    pub(crate) fn enter(&self, role: WmemcheckRole, args: [u64; 3]) -> Result<(), String> {
        let mut state = self.state.borrow_mut();
        if state.calls.is_empty() {
            match role {
                WmemcheckRole::Free | WmemcheckRole::Realloc | WmemcheckRole::MallocUsableSize => {
                    state.check_pointer(role, args[0])?
                }
                WmemcheckRole::Malloc
                | WmemcheckRole::Calloc
                | WmemcheckRole::AlignedAlloc
                | WmemcheckRole::PosixMemalign => {}
            }
        }
        state.calls.push(Call { role, args });
        state.publish(&self.fast);
        Ok(())
    }

    /// The allocator function of role `role` returns `result`; when it is
    /// the outermost allocator call, records what it did. `read_address`
    /// reads an address-sized value of memory 0 (`posix_memalign`'s
    /// result); `memory_len` is the size of memory 0.
    pub(crate) fn exit(
        &self,
        role: WmemcheckRole,
        result: u64,
        memory_len: u64,
        read_address: impl FnOnce(u64, bool) -> Option<u64>,
    ) {
        let mut state = self.state.borrow_mut();
        state.record_exit(role, result, memory_len, read_address);
        state.publish(&self.fast);
    }
}

/// The initial value of global 0 when it looks like `__stack_pointer`: a
/// defined, mutable global of memory 0's address type initialised with a
/// constant.
fn initial_stack_pointer(info: &ModuleInfo, memory64: bool) -> Option<u64> {
    if info.num_imported_globals > 0 {
        return None;
    }
    let global = info.globals.first()?;
    let expected = if memory64 { ValType::I64 } else { ValType::I32 };
    if !global.mutable || global.content != expected {
        return None;
    }
    match info.global_inits.first()?.ops.as_slice() {
        [ConstOp::I32Const(v)] => Some(u64::from(*v as u32)),
        [ConstOp::I64Const(v)] => Some(*v as u64),
        _ => None,
    }
}

impl State {
    /// Updates what compiled code reads (`vmoffsets::wmemcheck_fast`):
    /// the shadow may have moved or grown, and the floor is the lowest
    /// block start, or `u64::MAX` while an allocator call suspends checks.
    fn publish(&self, fast: &Fast) {
        let floor = if self.calls.is_empty() {
            self.lowest_block
        } else {
            u64::MAX
        };
        fast.floor.set(floor);
        fast.shadow.set(self.shadow.as_ptr());
        fast.shadow_len.set(self.shadow.len() as u64);
    }

    /// [`Checker::exit`] on the self.
    fn record_exit(
        &mut self,
        role: WmemcheckRole,
        result: u64,
        memory_len: u64,
        read_address: impl FnOnce(u64, bool) -> Option<u64>,
    ) {
        let Some(call) = self.calls.pop() else {
            return;
        };
        if call.role != role {
            // Out of step (a trap left an earlier call unfinished): start
            // over rather than guess.
            self.calls.clear();
            return;
        }
        if !self.calls.is_empty() {
            return;
        }
        let [a0, a1, a2] = call.args;
        match role {
            WmemcheckRole::Malloc => self.allocate(result, a0, memory_len),
            WmemcheckRole::Calloc => {
                if let Some(len) = a0.checked_mul(a1) {
                    self.allocate(result, len, memory_len);
                }
            }
            WmemcheckRole::AlignedAlloc => self.allocate(result, a1, memory_len),
            WmemcheckRole::PosixMemalign => {
                if result as u32 == 0 {
                    if let Some(ptr) = read_address(a0, self.memory64) {
                        self.allocate(ptr, a2, memory_len);
                    }
                }
            }
            WmemcheckRole::Realloc => {
                // A null result is a failure that leaves the old block as
                // it was (for `realloc(p, 0)` some libraries free it: then
                // the block is merely forgotten late, replaced when the
                // allocator hands its bytes out again).
                if a0 == 0 || result != 0 {
                    if a0 != 0 {
                        self.release(a0);
                    }
                    self.allocate(result, a1, memory_len);
                }
            }
            WmemcheckRole::Free => {
                if a0 != 0 {
                    self.release(a0);
                }
            }
            WmemcheckRole::MallocUsableSize => {
                // The program may use all of the usable size.
                if let Some(&len) = self.live.get(&a0) {
                    if result > len {
                        self.allocate(a0, result, memory_len);
                    }
                }
            }
        }
    }

    /// Below this nothing untracked is heap.
    fn heap_floor(&self) -> u64 {
        self.lowest_block.max(self.stack_top)
    }

    fn byte(&self, addr: u64) -> u8 {
        usize::try_from(addr)
            .ok()
            .and_then(|a| self.shadow.get(a).copied())
            .unwrap_or(UNTRACKED)
    }

    /// Why an access may not touch byte `at`, if it may not.
    fn fault(&self, at: u64) -> Option<Fault> {
        if at < self.lowest_block {
            return None;
        }
        match self.byte(at) {
            LIVE => None,
            FREED => Some(Fault::Freed),
            _ if at >= self.heap_floor() => Some(Fault::Unallocated),
            _ => None,
        }
    }

    /// Whether an access may touch byte `at`.
    fn allowed(&self, at: u64) -> bool {
        self.fault(at).is_none()
    }

    /// The first byte of `[addr, end)` an access may not touch, and why.
    fn first_fault(&self, addr: u64, end: u64) -> Option<(u64, Fault)> {
        (addr.max(self.lowest_block)..end).find_map(|at| self.fault(at).map(|f| (at, f)))
    }

    /// The block of `blocks` holding byte `at`, if any.
    fn block_holding(blocks: &BTreeMap<u64, u64>, at: u64) -> Option<(u64, u64)> {
        let (&start, &len) = blocks.range(..=at).next_back()?;
        (at < start.saturating_add(len)).then_some((start, len))
    }

    fn access_message(&self, addr: u64, len: u64, write: bool, at: u64, fault: Fault) -> String {
        let what = if write { "write" } else { "read" };
        let bytes = plural(len, "byte");
        let byte = if at == addr {
            String::new()
        } else {
            format!("byte {at:#x} is ")
        };
        let why = match fault {
            Fault::Freed => match Self::block_holding(&self.freed, at) {
                Some((start, blen)) => format!(
                    "freed: {} into the {blen}-byte block at {start:#x}, freed earlier",
                    plural(at - start, "byte")
                ),
                None => "freed".to_string(),
            },
            Fault::Unallocated => {
                let before = self.live.range(..=at).next_back();
                match before {
                    Some((&start, &blen)) => format!(
                        "unallocated heap: {} past the end of the {blen}-byte block at {start:#x}",
                        plural(at.saturating_sub(start + blen), "byte")
                    ),
                    None => "unallocated heap".to_string(),
                }
            }
        };
        format!("wmemcheck: invalid {what} of {bytes} at {addr:#x} ({byte}{why})")
    }

    /// Checks that `ptr`, passed to `role`'s function, is null or the
    /// start of a live block.
    fn check_pointer(&self, role: WmemcheckRole, ptr: u64) -> Result<(), String> {
        if ptr == 0 || self.live.contains_key(&ptr) {
            return Ok(());
        }
        let name = role.name();
        if let Some(&len) = self.freed.get(&ptr) {
            return Err(match role {
                WmemcheckRole::Free => format!(
                    "wmemcheck: double free of {ptr:#x} (the {len}-byte block at {ptr:#x} was freed already)"
                ),
                _ => format!(
                    "wmemcheck: {name} of {ptr:#x}, which was freed already (the {len}-byte block at {ptr:#x})"
                ),
            });
        }
        let detail = if let Some((start, len)) = Self::block_holding(&self.live, ptr) {
            format!(
                " ({} into the {len}-byte block at {start:#x})",
                plural(ptr - start, "byte")
            )
        } else if let Some((start, len)) = Self::block_holding(&self.freed, ptr) {
            format!(
                " ({} into the freed {len}-byte block at {start:#x})",
                plural(ptr - start, "byte")
            )
        } else {
            String::new()
        };
        Err(format!(
            "wmemcheck: {name} of {ptr:#x}, which the allocator never returned{detail}"
        ))
    }

    /// Records the block `[ptr, ptr + len)` the allocator handed out
    /// (nothing for a null pointer or a block outside the memory).
    fn allocate(&mut self, ptr: u64, len: u64, memory_len: u64) {
        let Some(end) = ptr.checked_add(len) else {
            return;
        };
        if ptr == 0 || end > memory_len {
            return;
        }
        // What the checker still holds there is stale: the allocator
        // reuses only what it owns.
        forget_overlapping(&mut self.live, ptr, end);
        forget_overlapping(&mut self.freed, ptr, end);
        let (start, end) = (ptr as usize, end as usize);
        if self.shadow.len() < end {
            self.shadow.resize(end, UNTRACKED);
        }
        self.shadow[start..end].fill(LIVE);
        self.live.insert(ptr, len);
        self.lowest_block = self.lowest_block.min(ptr);
    }

    /// Marks the live block at `ptr` freed (nothing when there is none).
    fn release(&mut self, ptr: u64) {
        let Some(len) = self.live.remove(&ptr) else {
            return;
        };
        // Live blocks lie inside the shadow (`allocate` made it that long).
        self.shadow[ptr as usize..(ptr + len) as usize].fill(FREED);
        self.freed.insert(ptr, len);
    }
}

/// Removes the blocks of `blocks` that overlap `[start, end)` (a block of
/// length 0 overlaps when it starts there), marking nothing: the caller
/// overwrites their bytes or they are kept as untracked.
fn forget_overlapping(blocks: &mut BTreeMap<u64, u64>, start: u64, end: u64) {
    let overlapping: Vec<u64> = blocks
        .range(..end.max(start + 1))
        .rev()
        .take_while(|(&s, &len)| s + len > start || s == start)
        .map(|(&s, _)| s)
        .collect();
    for s in overlapping {
        blocks.remove(&s);
    }
}

fn plural(n: u64, unit: &str) -> String {
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MEM: u64 = 1 << 20;

    fn checker(stack_top: u64) -> Checker {
        let c = Checker::for_module(&ModuleInfo::default());
        c.state.borrow_mut().stack_top = stack_top;
        c
    }

    fn malloc(c: &Checker, len: u64, ptr: u64) {
        c.enter(WmemcheckRole::Malloc, [len, 0, 0]).unwrap();
        c.exit(WmemcheckRole::Malloc, ptr, MEM, |_, _| None);
    }

    fn free(c: &Checker, ptr: u64) -> Result<(), String> {
        c.enter(WmemcheckRole::Free, [ptr, 0, 0])?;
        c.exit(WmemcheckRole::Free, 0, MEM, |_, _| None);
        Ok(())
    }

    fn read(c: &Checker, addr: u64, len: u64) -> Result<(), String> {
        c.access(addr, 0, len, false, MEM)
    }

    #[test]
    fn nothing_is_checked_before_the_first_block() {
        let c = checker(0x1000);
        assert_eq!(read(&c, 0x20000, 4), Ok(()));
        assert_eq!(c.access(0x20000, 0, 4, true, MEM), Ok(()));
    }

    #[test]
    fn live_blocks_and_what_lies_below_the_heap_are_fine() {
        let c = checker(0x1000);
        malloc(&c, 16, 0x2010);
        assert_eq!(read(&c, 0x2010, 16), Ok(()));
        assert_eq!(read(&c, 0x100, 8), Ok(()), "static data and stack");
        assert_eq!(read(&c, 0x2000, 16), Ok(()), "below the lowest block");
    }

    #[test]
    fn use_after_free_overflow_and_untracked_heap_are_errors() {
        let c = checker(0x1000);
        malloc(&c, 16, 0x2010);
        malloc(&c, 8, 0x2030);
        let e = c.access(0x2020, 0, 1, true, MEM).unwrap_err();
        assert_eq!(
            e,
            "wmemcheck: invalid write of 1 byte at 0x2020 \
             (unallocated heap: 0 bytes past the end of the 16-byte block at 0x2010)"
        );
        let e = read(&c, 0x201c, 8).unwrap_err();
        assert!(
            e.contains("at 0x201c (byte 0x2020 is unallocated heap"),
            "{e}"
        );
        free(&c, 0x2010).unwrap();
        let e = read(&c, 0x2014, 4).unwrap_err();
        assert_eq!(
            e,
            "wmemcheck: invalid read of 4 bytes at 0x2014 \
             (freed: 4 bytes into the 16-byte block at 0x2010, freed earlier)"
        );
        assert!(read(&c, 0x9000, 4)
            .unwrap_err()
            .contains("unallocated heap"));
        assert_eq!(read(&c, 0x2030, 8), Ok(()));
        // Out of bounds: left to the access.
        assert_eq!(read(&c, MEM - 2, 4), Ok(()));
        assert_eq!(c.access(u64::MAX, 2, 4, false, MEM), Ok(()));
    }

    #[test]
    fn aligned_partial_loads_are_fine_but_not_partial_stores() {
        let c = checker(0);
        malloc(&c, 13, 0x2000);
        // The aligned word holding bytes 12..16: one of them is the block's.
        assert_eq!(read(&c, 0x200c, 4), Ok(()));
        assert!(c.access(0x200c, 0, 4, true, MEM).is_err());
        // Unaligned, or reaching no byte of a block: errors.
        assert!(read(&c, 0x200b, 4).is_err());
        assert!(read(&c, 0x2010, 4).is_err());
        assert!(read(&c, 0x2000, 32).is_err(), "wider than 16 bytes");
        free(&c, 0x2000).unwrap();
        assert!(read(&c, 0x200c, 4).is_err());
    }

    #[test]
    fn free_errors_name_the_pointer() {
        let c = checker(0);
        malloc(&c, 32, 0x4000);
        assert_eq!(free(&c, 0), Ok(()));
        let e = free(&c, 0x4008).unwrap_err();
        assert_eq!(
            e,
            "wmemcheck: free of 0x4008, which the allocator never returned \
             (8 bytes into the 32-byte block at 0x4000)"
        );
        free(&c, 0x4000).unwrap();
        let e = free(&c, 0x4000).unwrap_err();
        assert_eq!(
            e,
            "wmemcheck: double free of 0x4000 (the 32-byte block at 0x4000 was freed already)"
        );
        let e = free(&c, 0x400).unwrap_err();
        assert_eq!(
            e,
            "wmemcheck: free of 0x400, which the allocator never returned"
        );
        // An error leaves no call in progress: checks go on.
        assert!(read(&c, 0x4000, 1).is_err());
    }

    #[test]
    fn checks_pause_inside_the_allocator_and_nested_calls_record_once() {
        let c = checker(0);
        malloc(&c, 16, 0x2000);
        c.enter(WmemcheckRole::Calloc, [4, 8, 0]).unwrap();
        assert_eq!(read(&c, 0x9000, 4), Ok(()), "the allocator's own accesses");
        c.enter(WmemcheckRole::Malloc, [32, 0, 0]).unwrap();
        c.exit(WmemcheckRole::Malloc, 0x3000, MEM, |_, _| None);
        c.exit(WmemcheckRole::Calloc, 0x3000, MEM, |_, _| None);
        assert_eq!(read(&c, 0x3000, 32), Ok(()));
        assert!(read(&c, 0x3020, 1).is_err());
        assert_eq!(c.state.borrow().live.len(), 2);
    }

    #[test]
    fn realloc_moves_and_reuse_replaces_stale_blocks() {
        let c = checker(0);
        malloc(&c, 16, 0x2000);
        c.enter(WmemcheckRole::Realloc, [0x2000, 64, 0]).unwrap();
        c.exit(WmemcheckRole::Realloc, 0x5000, MEM, |_, _| None);
        assert!(read(&c, 0x2000, 1).unwrap_err().contains("freed"));
        assert_eq!(read(&c, 0x5000, 64), Ok(()));
        // In place, smaller: the tail is freed.
        c.enter(WmemcheckRole::Realloc, [0x5000, 8, 0]).unwrap();
        c.exit(WmemcheckRole::Realloc, 0x5000, MEM, |_, _| None);
        assert_eq!(read(&c, 0x5000, 8), Ok(()));
        assert!(read(&c, 0x5008, 1).unwrap_err().contains("freed"));
        // A failed realloc keeps the block.
        c.enter(WmemcheckRole::Realloc, [0x5000, 1 << 40, 0])
            .unwrap();
        c.exit(WmemcheckRole::Realloc, 0, MEM, |_, _| None);
        assert_eq!(read(&c, 0x5000, 8), Ok(()));
        // The allocator hands out freed bytes again, and bytes the
        // checker wrongly thought live.
        malloc(&c, 24, 0x2000);
        malloc(&c, 4, 0x5004);
        assert_eq!(read(&c, 0x2000, 24), Ok(()));
        assert!(free(&c, 0x5000).unwrap_err().contains("never returned"));
        assert_eq!(free(&c, 0x5004), Ok(()));
    }

    #[test]
    fn aligned_allocations_and_usable_size() {
        let c = checker(0);
        c.enter(WmemcheckRole::PosixMemalign, [0x100, 64, 40])
            .unwrap();
        c.exit(WmemcheckRole::PosixMemalign, 0, MEM, |at, wide| {
            assert_eq!((at, wide), (0x100, false));
            Some(0x8040)
        });
        assert_eq!(read(&c, 0x8040, 40), Ok(()));
        c.enter(WmemcheckRole::AlignedAlloc, [16, 10, 0]).unwrap();
        c.exit(WmemcheckRole::AlignedAlloc, 0x9000, MEM, |_, _| None);
        assert!(read(&c, 0x900a, 1).is_err());
        c.enter(WmemcheckRole::MallocUsableSize, [0x9000, 0, 0])
            .unwrap();
        c.exit(WmemcheckRole::MallocUsableSize, 12, MEM, |_, _| None);
        assert_eq!(read(&c, 0x900a, 2), Ok(()));
        assert!(read(&c, 0x900c, 1).is_err());
    }

    #[test]
    fn the_stack_is_never_heap() {
        // A static arena below the stack top: the stack stays unchecked,
        // freed bytes are still errors.
        let c = checker(0x10000);
        malloc(&c, 16, 0x800);
        assert_eq!(read(&c, 0x8000, 4), Ok(()));
        assert_eq!(read(&c, 0x810, 4), Ok(()));
        free(&c, 0x800).unwrap();
        assert!(read(&c, 0x800, 4).unwrap_err().contains("freed"));
    }
}
