//! Wasm coredumps (`coredump_on_trap`): the state of a store's instances
//! when a trap left wasm, written as a wasm module in the format of the
//! WebAssembly tool-conventions (`Coredump.md`), with the `coremodules`,
//! `coreinstances` and per-frame instance index that `wasmparser` and
//! `wasm-tools` read:
//!
//! - custom section `core`: `0x00` then the executable name (the name
//!   section's name of the innermost frame's module, else `wasm`);
//! - custom section `coremodules`: one `0x00 name` per module of a frame;
//! - custom section `coreinstances`: one `0x00 moduleidx memories globals`
//!   per instance of a frame, naming its memories and globals (imported
//!   ones first, as in its index spaces) in the dump's own memory and
//!   global sections;
//! - custom section `corestack`: thread `0x00 "main"`, then one
//!   `0x00 instanceidx funcidx codeoffset locals stack` per frame,
//!   innermost first;
//! - a memory section with each memory at its size at trap time (no
//!   maximum, never shared) and a data section with its contents: one
//!   active segment covering the bytes from the first to the last non-zero
//!   byte (zero bytes around it are what a fresh memory holds anyway);
//! - a global section with every global as an immutable global whose
//!   initializer is its value at trap time. References cannot be written
//!   as constants, so `funcref`/`externref` globals read `ref.null`.
//!
//! Frames come from the trap's backtrace (`traphandlers`): `codeoffset` is
//! the instruction's offset from the start of its function's body, as the
//! tool-conventions define it (`FrameInfo::func_offset`; 0 when the code
//! has no address map). A frame whose instance is unknown is left out,
//! since a frame names its instance.
//!
//! Each frame lists all its function's locals (parameters first). With
//! `coredump_on_trap` the compiler records where each local lives over the
//! code (`Tunables::value_labels`: a register or a spill slot at an offset
//! from the frame pointer); a local is written with its value where that
//! is known at the frame's instruction, else as missing (`0x01`, also for
//! `v128` and reference locals, which the format cannot hold). A spill
//! slot is read from the stack as it was at the trap: the trap path keeps
//! the first `STACK_SNAPSHOT` bytes of the wasm stack above the trapping
//! frame (`snapshot`, signal safe: a per-thread buffer allocated when the
//! thread first enters such an engine's wasm), since by the time the dump
//! is written the entry has returned over those frames. A register is
//! only known in the innermost frame of a trap raised by a signal (read
//! from the signal context); in the other frames, registers hold the
//! callees' values. The operand stack is not tracked: every frame has 0
//! stack values (the format's "not known").
//!
//! Capturing copies every memory's contents, so it only happens for
//! engines with `coredump_on_trap` on.

use super::debug::{local_kinds, LocalKind};
use super::global::GlobalData;
use super::memory::MemoryData;
use super::trap::FrameInfo;
use super::Instance;
use crate::environ::compiled_code::{ValueLabelRange, ValueLoc};
use crate::environ::ValType;
use crate::module::artifact::write_uleb;
use std::cell::UnsafeCell;
use std::ptr::NonNull;

/// Bytes of wasm stack a trap keeps for the spilled locals of its frames,
/// from the trapping frame's stack pointer up.
const STACK_SNAPSHOT: usize = 64 * 1024;

/// Registers in DWARF numbering that a register location names: x86-64
/// 0-16 (general purpose, then `rip`) and 17-32 (`xmm0-15`, their low 64
/// bits); AArch64 0-31 (`x0-x30`, `sp`).
const NUM_REGISTERS: usize = 33;

/// The registers of a trap raised by a signal, from its context.
pub(crate) struct Registers {
    values: [u64; NUM_REGISTERS],
    /// Bit `n`: `values[n]` was read.
    known: u64,
}

impl Registers {
    /// The registers of the interrupted code. Signal safe.
    ///
    /// # Safety
    /// `ucontext` must be the context the kernel passed to a signal
    /// handler running now.
    pub(crate) unsafe fn of(ucontext: *mut libc::c_void) -> Registers {
        let mut regs = Registers {
            values: [0; NUM_REGISTERS],
            known: 0,
        };
        let uc = ucontext.cast::<libc::ucontext_t>();
        #[cfg(target_arch = "x86_64")]
        {
            use libc::*;
            // DWARF order: rax, rdx, rcx, rbx, rsi, rdi, rbp, rsp, r8-r15, rip.
            const GREGS: [c_int; 17] = [
                REG_RAX, REG_RDX, REG_RCX, REG_RBX, REG_RSI, REG_RDI, REG_RBP, REG_RSP, REG_R8,
                REG_R9, REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15, REG_RIP,
            ];
            // SAFETY: the caller passes a live signal context.
            let mc = unsafe { &(*uc).uc_mcontext };
            for (n, &g) in GREGS.iter().enumerate() {
                regs.set(n, mc.gregs[g as usize] as u64);
            }
            if !mc.fpregs.is_null() {
                // SAFETY: a non-null `fpregs` points at the context's saved
                // floating-point state, live as the context is.
                let xmm = unsafe { &(*mc.fpregs)._xmm };
                for (i, x) in xmm.iter().enumerate() {
                    let low = u64::from(x.element[0]) | u64::from(x.element[1]) << 32;
                    regs.set(17 + i, low);
                }
            }
        }
        #[cfg(target_arch = "aarch64")]
        {
            // SAFETY: the caller passes a live signal context.
            let mc = unsafe { &(*uc).uc_mcontext };
            for (n, &v) in mc.regs.iter().enumerate() {
                regs.set(n, v);
            }
            regs.set(31, mc.sp);
        }
        regs
    }

    fn set(&mut self, n: usize, v: u64) {
        self.values[n] = v;
        self.known |= 1 << n;
    }

    fn get(&self, n: u16) -> Option<u64> {
        let n = usize::from(n);
        (n < NUM_REGISTERS && self.known & (1 << n) != 0).then(|| self.values[n])
    }
}

/// What the trap path kept of the state of a trap's frames.
struct Snapshot {
    /// The (pc, fp) of the innermost frame the trap recorded: the dump
    /// whose frames start there is the one this belongs to.
    key: Option<(usize, usize)>,
    /// The trap's registers, when it was raised by a signal.
    regs: Option<Registers>,
    /// Where the kept stack starts, and how many bytes of it `stack`
    /// holds.
    low: usize,
    len: usize,
    stack: Box<[u8]>,
}

thread_local! {
    /// This thread's snapshot, allocated by `prepare_thread` (so the
    /// signal handler never allocates, and never registers the
    /// thread-local's destructor either).
    static SNAPSHOT: UnsafeCell<Option<Snapshot>> = const { UnsafeCell::new(None) };
}

/// Makes room for this thread's trap snapshots: called on every entry to
/// the wasm of an engine with `coredump_on_trap`, so it is cheap after the
/// first time.
pub(crate) fn prepare_thread() {
    SNAPSHOT.with(|s| {
        // SAFETY: only this thread touches its snapshot, and nothing holds
        // a reference to it between calls (no trap is being raised here).
        let s = unsafe { &mut *s.get() };
        if s.is_none() {
            *s = Some(Snapshot {
                key: None,
                regs: None,
                low: 0,
                len: 0,
                stack: vec![0; STACK_SNAPSHOT].into_boxed_slice(),
            });
        }
    });
}

/// Keeps the stack from `low` (at most `STACK_SNAPSHOT` bytes below
/// `high`) and the registers `regs` for the dump of the trap whose
/// innermost frame is `key` (its pc and frame pointer). Signal safe;
/// nothing without `prepare_thread`.
///
/// # Safety
/// `low..high` must be live, readable stack of this thread, and no other
/// reference to the thread's snapshot may be alive (the trap path runs
/// once per trap, before the dump is taken).
pub(crate) unsafe fn snapshot(
    key: (usize, usize),
    low: usize,
    high: usize,
    regs: Option<&Registers>,
) {
    // Leaves it be if the thread-local is gone (a thread exiting).
    let _ = SNAPSHOT.try_with(|s| {
        // SAFETY: see the function's contract.
        let Some(s) = (unsafe { &mut *s.get() }) else {
            return;
        };
        let len = high.saturating_sub(low).min(s.stack.len());
        // SAFETY: `low..low + len` lies in the caller's live stack range,
        // and `stack` is our own buffer of at least `len` bytes.
        unsafe { std::ptr::copy_nonoverlapping(low as *const u8, s.stack.as_mut_ptr(), len) };
        s.key = Some(key);
        s.low = low;
        s.len = len;
        s.regs = regs.map(|r| Registers {
            values: r.values,
            known: r.known,
        });
    });
}

/// Calls `f` with the snapshot of the trap whose innermost frame is
/// `frames[0]`, if one was kept for it, and forgets it.
fn with_snapshot<T>(frames: &[FrameInfo], f: impl FnOnce(Option<&Snapshot>) -> T) -> T {
    let key = frames.first().map(|f| f.native);
    let taken = SNAPSHOT
        .try_with(|s| {
            // SAFETY: only this thread touches its snapshot; the trap path
            // that writes it is done (the dump is taken after it).
            let s = unsafe { &mut *s.get() };
            match s {
                Some(snap) if key.is_some() && snap.key == key => {
                    snap.key = None;
                    // Moved out for the call and back afterwards, so `f`
                    // holds no reference into the thread-local.
                    std::mem::take(s)
                }
                _ => None,
            }
        })
        .ok()
        .flatten();
    let result = f(taken.as_ref());
    if let Some(snap) = taken {
        let _ = SNAPSHOT.try_with(|s| {
            // SAFETY: as above; `f` has returned.
            let s = unsafe { &mut *s.get() };
            if s.is_none() {
                *s = Some(snap);
            }
        });
    }
    result
}

impl Snapshot {
    /// The `size` bytes at stack address `addr`, if kept.
    fn read(&self, addr: usize, size: usize) -> Option<u64> {
        let at = addr.checked_sub(self.low)?;
        let bytes = self.stack[..self.len].get(at..at.checked_add(size)?)?;
        let mut value = [0u8; 8];
        value[..size].copy_from_slice(bytes);
        Some(u64::from_le_bytes(value))
    }
}

/// Appends frame `frame`'s locals (`innermost`: the trap's own frame) as
/// coredump values: each one's value where the compiler's value labels
/// and the snapshot know it, else missing.
fn write_locals(
    out: &mut Vec<u8>,
    frame: &FrameInfo,
    instance: &Instance,
    innermost: bool,
    snapshot: Option<&Snapshot>,
) {
    let module = instance.module();
    let info = module.info();
    let Some(kinds) = local_kinds(info, module.wasm(), frame.func_index) else {
        u32_leb(out, 0);
        return;
    };
    let labels = module.value_labels(frame.func_index);
    let (pc, fp) = frame.native;
    let start = module.func_ptr(frame.func_index) as usize;
    let offset = pc.checked_sub(start).and_then(|o| u32::try_from(o).ok());
    u32_leb(out, kinds.len() as u32);
    for (i, &kind) in kinds.iter().enumerate() {
        let bits = offset.zip(snapshot).and_then(|(offset, snap)| {
            let size = match kind {
                LocalKind::I32 | LocalKind::F32 => 4,
                LocalKind::I64 | LocalKind::F64 => 8,
                LocalKind::Other => return None,
            };
            match ValueLabelRange::find(labels, i as u32, offset)? {
                ValueLoc::Reg(r) if innermost => snap.regs.as_ref()?.get(r),
                ValueLoc::Reg(_) => None,
                ValueLoc::Frame(off) => snap.read(fp.checked_add_signed(off as isize)?, size),
            }
        });
        match (kind, bits) {
            (LocalKind::I32, Some(b)) => {
                out.push(0x7f);
                i64_leb(out, i64::from(b as u32 as i32));
            }
            (LocalKind::I64, Some(b)) => {
                out.push(0x7e);
                i64_leb(out, b as i64);
            }
            (LocalKind::F32, Some(b)) => {
                out.push(0x7d);
                out.extend_from_slice(&(b as u32).to_le_bytes());
            }
            (LocalKind::F64, Some(b)) => {
                out.push(0x7c);
                out.extend_from_slice(&b.to_le_bytes());
            }
            _ => out.push(0x01),
        }
    }
}

/// The coredump of a trap whose backtrace is `frames` (innermost first).
pub(crate) fn capture(frames: &[FrameInfo]) -> Vec<u8> {
    with_snapshot(frames, |snapshot| capture_with(frames, snapshot))
}

fn capture_with(frames: &[FrameInfo], snapshot: Option<&Snapshot>) -> Vec<u8> {
    let mut instances: Vec<&Instance> = Vec::new();
    let mut modules: Vec<&Instance> = Vec::new(); // first instance of each module
    let mut stack_frames = Vec::new();
    for frame in frames {
        let Some(instance) = frame.instance.as_ref() else {
            continue;
        };
        let index = match instances.iter().position(|i| i.same(instance)) {
            Some(i) => i,
            None => {
                instances.push(instance);
                instances.len() - 1
            }
        };
        if !modules.iter().any(|m| m.module().same(instance.module())) {
            modules.push(instance);
        }
        stack_frames.push((index as u32, frame, instance));
    }

    // Each memory and global once, even when several instances share it.
    let mut memories: Vec<NonNull<MemoryData>> = Vec::new();
    let mut globals: Vec<NonNull<GlobalData>> = Vec::new();
    let mut instance_entries = Vec::new();
    for instance in &instances {
        let data = instance.data();
        let mem_indices: Vec<u32> = data
            .memories
            .iter()
            .map(|m| index_of(&mut memories, *m))
            .collect();
        let global_indices: Vec<u32> = data
            .globals()
            .iter()
            .map(|g| index_of(&mut globals, *g))
            .collect();
        let module = modules
            .iter()
            .position(|m| m.module().same(instance.module()))
            .unwrap_or(0) as u32;
        instance_entries.push((module, mem_indices, global_indices));
    }

    let mut out = b"\0asm\x01\0\0\0".to_vec();

    let exe_name = frames
        .iter()
        .find_map(|f| f.instance.as_ref())
        .and_then(|i| i.module().info().name.clone())
        .unwrap_or_else(|| "wasm".to_string());
    let mut core = vec![0];
    name(&mut core, &exe_name);
    custom(&mut out, "core", &core);

    let mut body = Vec::new();
    u32_leb(&mut body, modules.len() as u32);
    for m in &modules {
        body.push(0);
        name(
            &mut body,
            m.module().info().name.as_deref().unwrap_or("wasm"),
        );
    }
    custom(&mut out, "coremodules", &body);

    let mut body = Vec::new();
    u32_leb(&mut body, instance_entries.len() as u32);
    for (module, mems, globs) in &instance_entries {
        body.push(0);
        u32_leb(&mut body, *module);
        u32_leb(&mut body, mems.len() as u32);
        mems.iter().for_each(|&i| u32_leb(&mut body, i));
        u32_leb(&mut body, globs.len() as u32);
        globs.iter().for_each(|&i| u32_leb(&mut body, i));
    }
    custom(&mut out, "coreinstances", &body);

    let mut body = vec![0];
    name(&mut body, "main");
    u32_leb(&mut body, stack_frames.len() as u32);
    for (instance_index, frame, instance) in &stack_frames {
        body.push(0);
        u32_leb(&mut body, *instance_index);
        u32_leb(&mut body, frame.func_index);
        u32_leb(&mut body, u32::try_from(frame.func_offset).unwrap_or(0));
        // The trap's own frame is the first of the backtrace.
        let innermost = std::ptr::eq(*frame, &frames[0]);
        write_locals(&mut body, frame, instance, innermost, snapshot);
        u32_leb(&mut body, 0); // operand stack: not known
    }
    custom(&mut out, "corestack", &body);

    // Memory section (5) and data section (11).
    let mut mem_section = Vec::new();
    let mut data_section = Vec::new();
    u32_leb(&mut mem_section, memories.len() as u32);
    let mut segments = 0u32;
    let mut segment_bytes = Vec::new();
    for (index, memory) in memories.iter().enumerate() {
        // SAFETY: memories live as long as their store, which the frames'
        // instance handles keep alive.
        let memory = unsafe { memory.as_ref() };
        let ty = memory.ty();
        let custom_page = ty.page_size_log2 != 16;
        let flags = if ty.memory64 { 0x04 } else { 0 } | if custom_page { 0x08 } else { 0 };
        mem_section.push(flags);
        write_uleb(&mut mem_section, memory.pages());
        if custom_page {
            u32_leb(&mut mem_section, u32::from(ty.page_size_log2));
        }
        let len = memory.byte_len();
        let bytes: &[u8] = if len == 0 {
            &[]
        } else {
            // SAFETY: `base..base + len` is the memory's accessible range,
            // and no wasm code of the store runs while the trap is built.
            unsafe { std::slice::from_raw_parts(memory.base(), len) }
        };
        let Some(first) = bytes.iter().position(|&b| b != 0) else {
            continue;
        };
        let last = bytes.iter().rposition(|&b| b != 0).unwrap_or(first);
        segments += 1;
        if index == 0 {
            segment_bytes.push(0x00);
        } else {
            segment_bytes.push(0x02);
            u32_leb(&mut segment_bytes, index as u32);
        }
        if ty.memory64 {
            segment_bytes.push(0x42); // i64.const
            i64_leb(&mut segment_bytes, first as i64);
        } else {
            segment_bytes.push(0x41); // i32.const
            i64_leb(&mut segment_bytes, i64::from(first as u32 as i32));
        }
        segment_bytes.push(0x0b);
        u32_leb(&mut segment_bytes, (last + 1 - first) as u32);
        segment_bytes.extend_from_slice(&bytes[first..=last]);
    }
    u32_leb(&mut data_section, segments);
    data_section.extend_from_slice(&segment_bytes);

    let mut global_section = Vec::new();
    u32_leb(&mut global_section, globals.len() as u32);
    for global in &globals {
        // SAFETY: globals live as long as their store (see memories).
        let global = unsafe { global.as_ref() };
        let raw = global.get_raw();
        let g = &mut global_section;
        match global.ty.content {
            ValType::I32 => {
                g.extend_from_slice(&[0x7f, 0x00, 0x41]);
                i64_leb(g, i64::from(raw.get_i32()));
            }
            ValType::I64 => {
                g.extend_from_slice(&[0x7e, 0x00, 0x42]);
                i64_leb(g, raw.get_i64());
            }
            ValType::F32 => {
                g.extend_from_slice(&[0x7d, 0x00, 0x43]);
                g.extend_from_slice(&raw.get_f32_bits().to_le_bytes());
            }
            ValType::F64 => {
                g.extend_from_slice(&[0x7c, 0x00, 0x44]);
                g.extend_from_slice(&raw.get_f64_bits().to_le_bytes());
            }
            ValType::V128 => {
                g.extend_from_slice(&[0x7b, 0x00, 0xfd, 0x0c]);
                g.extend_from_slice(&raw.get_v128().to_le_bytes());
            }
            // The dump names no types of its own, so a typed reference is
            // written as the nullable top of its hierarchy.
            ValType::Ref(r) if r.heap.is_func() => g.extend_from_slice(&[0x70, 0x00, 0xd0, 0x70]),
            ValType::Ref(_) => g.extend_from_slice(&[0x6f, 0x00, 0xd0, 0x6f]),
        }
        g.push(0x0b);
    }

    section(&mut out, 5, &mem_section);
    section(&mut out, 6, &global_section);
    section(&mut out, 11, &data_section);
    out
}

/// The index of `item` in `list`, appending it when it is new.
fn index_of<T>(list: &mut Vec<NonNull<T>>, item: NonNull<T>) -> u32 {
    match list.iter().position(|&x| x == item) {
        Some(i) => i as u32,
        None => {
            list.push(item);
            (list.len() - 1) as u32
        }
    }
}

fn u32_leb(out: &mut Vec<u8>, v: u32) {
    write_uleb(out, u64::from(v));
}

fn i64_leb(out: &mut Vec<u8>, mut v: i64) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        let done = (v == 0 && byte & 0x40 == 0) || (v == -1 && byte & 0x40 != 0);
        if done {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn name(out: &mut Vec<u8>, s: &str) {
    u32_leb(out, s.len() as u32);
    out.extend_from_slice(s.as_bytes());
}

fn section(out: &mut Vec<u8>, id: u8, body: &[u8]) {
    out.push(id);
    u32_leb(out, body.len() as u32);
    out.extend_from_slice(body);
}

fn custom(out: &mut Vec<u8>, section_name: &str, payload: &[u8]) {
    let mut body = Vec::new();
    name(&mut body, section_name);
    body.extend_from_slice(payload);
    section(out, 0, &body);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leb128() {
        let mut v = Vec::new();
        i64_leb(&mut v, -1);
        i64_leb(&mut v, 64);
        write_uleb(&mut v, 624485);
        assert_eq!(v, [0x7f, 0xc0, 0x00, 0xe5, 0x8e, 0x26]);
    }

    #[test]
    fn an_empty_dump_is_a_valid_module() {
        let dump = capture(&[]);
        wasmparser::Validator::new().validate_all(&dump).unwrap();
    }
}
