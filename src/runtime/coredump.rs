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
//! has no address map). The runtime does not track where compiled code
//! keeps wasm locals and operand-stack values, so every frame records 0
//! locals and 0 stack values (the format's "not known"). A frame whose
//! instance is unknown is left out, since a frame names its instance.
//!
//! Capturing copies every memory's contents, so it only happens for
//! engines with `coredump_on_trap` on.

use super::global::GlobalData;
use super::memory::MemoryData;
use super::trap::FrameInfo;
use super::Instance;
use crate::environ::ValType;
use crate::module::artifact::write_uleb;
use std::ptr::NonNull;

/// The coredump of a trap whose backtrace is `frames` (innermost first).
pub(crate) fn capture(frames: &[FrameInfo]) -> Vec<u8> {
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
        stack_frames.push((index as u32, frame));
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
    for (instance, frame) in &stack_frames {
        body.push(0);
        u32_leb(&mut body, *instance);
        u32_leb(&mut body, frame.func_index);
        u32_leb(&mut body, u32::try_from(frame.func_offset).unwrap_or(0));
        u32_leb(&mut body, 0); // locals: not known
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
