//! A byte encoding of compiled code, for serialized modules and the
//! on-disk cache: each function's relocations, trap sites and address map,
//! then the machine code of all functions as one image, laid out as the
//! runtime lays code out (`CodeMemory::layout`) and starting at an offset
//! of the whole encoding that is a multiple of the writer's page size. So
//! a file holding the encoding can be mapped and its code run from the
//! file's pages (`ArtifactSource::file`); otherwise the code is copied into
//! fresh executable memory.
//!
//! Each function's `.eh_frame` FDE template follows its address map
//! (format 4); it does not depend on where the code is mapped. Its value
//! labels (where its wasm locals live, `debug_info` and
//! `coredump_on_trap`) come last (format 12), a count of 0 without them.
//!
//! The encoding is little-endian and length-prefixed. Decoding checks every
//! length and value, so a corrupt artifact is an error, never a panic; it
//! does not make foreign bytes trustworthy (the caller checks that the
//! artifact was made by this library for this engine configuration).

use super::code::CompiledModule;
use crate::compiler::{trap_kind, ToTrapCode};
use crate::environ::compiled_code::{
    CallSite, CompiledFunction, ExceptionHandler, LibCall, RelocKind, RelocTarget, Relocation,
    StackMap, ValueLabelRange, ValueLoc,
};
use crate::runtime::{
    host_page_size, is_image_relative, resolve_image_relative, CodeMemory, MemoryImage,
};
use anyhow::{anyhow, bail, Result};
use cranelift_codegen::ir::TrapCode;
use std::num::NonZeroU8;

/// Appends `v` to `out` as unsigned LEB128 (the encoding of wasm's own
/// integers, also used by the coredumps the runtime writes).
pub(crate) fn write_uleb(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// Appends little-endian fields to a byte vector.
#[derive(Default)]
pub(crate) struct Writer {
    pub bytes: Vec<u8>,
}

impl Writer {
    pub fn u8(&mut self, v: u8) {
        self.bytes.push(v);
    }
    pub fn u32(&mut self, v: u32) {
        self.bytes.extend_from_slice(&v.to_le_bytes());
    }
    pub fn u64(&mut self, v: u64) {
        self.bytes.extend_from_slice(&v.to_le_bytes());
    }
    pub fn bytes(&mut self, v: &[u8]) {
        self.u64(v.len() as u64);
        self.bytes.extend_from_slice(v);
    }
    /// Unsigned LEB128: small deltas take one byte.
    pub fn uleb(&mut self, v: u64) {
        write_uleb(&mut self.bytes, v);
    }
    /// Signed values as zigzag-encoded LEB128.
    pub fn sleb(&mut self, v: i64) {
        self.uleb(((v << 1) ^ (v >> 63)) as u64);
    }
}

/// Reads what `Writer` wrote, failing on truncation.
pub(crate) struct Reader<'a> {
    pub bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if self.bytes.len() < n {
            bail!("truncated compiled artifact");
        }
        let (head, tail) = self.bytes.split_at(n);
        self.bytes = tail;
        Ok(head)
    }
    pub fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }
    pub fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into()?))
    }
    pub fn u64(&mut self) -> Result<u64> {
        Ok(u64::from_le_bytes(self.take(8)?.try_into()?))
    }
    pub fn bytes(&mut self) -> Result<&'a [u8]> {
        let n = usize::try_from(self.u64()?)?;
        self.take(n)
    }
    pub fn uleb(&mut self) -> Result<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = self.u8()?;
            v |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(v);
            }
        }
        bail!("corrupt compiled artifact (varint)")
    }
    pub fn sleb(&mut self) -> Result<i64> {
        let v = self.uleb()?;
        Ok((v >> 1) as i64 ^ -((v & 1) as i64))
    }
    /// A code offset stored as a delta from `prev`.
    fn offset_after(&mut self, prev: u32) -> Result<u32> {
        u32::try_from(self.uleb()?)
            .ok()
            .and_then(|d| prev.checked_add(d))
            .ok_or_else(|| anyhow!("corrupt compiled artifact (offset)"))
    }
    /// A count of items that each take at least `min_size` bytes: bounded
    /// by what is left, so a corrupt count cannot reserve huge vectors.
    fn count(&mut self, min_size: usize) -> Result<usize> {
        let n = self.u32()? as usize;
        if n.saturating_mul(min_size) > self.bytes.len() {
            bail!("corrupt compiled artifact (count {n})");
        }
        Ok(n)
    }
}

/// `offset - prev` for sorted metadata.
fn sorted_delta(offset: u32, prev: u32) -> Result<u32> {
    offset
        .checked_sub(prev)
        .ok_or_else(|| anyhow!("internal: unsorted code metadata"))
}

/// Writes a function's metadata; its code goes into the image, at
/// `code_offset`.
/// Writes `f`'s metadata; `resolved` says the image holds its code with
/// the image-relative relocations applied already, which are then left out
/// (see `write`).
fn write_function(
    w: &mut Writer,
    f: &CompiledFunction,
    code_offset: u32,
    resolved: bool,
) -> Result<()> {
    w.u32(f.func_index);
    w.u32(f.body_offset);
    w.u32(f.alignment);
    w.u32(code_offset);
    w.u32(u32::try_from(f.code.len()).map_err(|_| anyhow!("function too large"))?);
    let relocs: Vec<_> = f
        .relocs
        .iter()
        .filter(|r| !(resolved && is_image_relative(r)))
        .collect();
    w.u32(relocs.len() as u32);
    for r in relocs {
        w.u32(r.offset);
        let kind = RelocKind::ALL
            .iter()
            .position(|k| *k == r.kind)
            .ok_or_else(|| anyhow!("cannot serialize relocation kind {:?}", r.kind))?;
        w.u8(kind as u8);
        match r.target {
            RelocTarget::Func(i) => {
                w.u8(0);
                w.u32(i);
            }
            RelocTarget::LibCall(call) => {
                w.u8(1);
                w.bytes(call.name().as_bytes());
            }
        }
        w.u64(r.addend as u64);
    }
    // Trap sites and the address map are sorted: store deltas.
    w.u32(f.traps.len() as u32);
    let mut prev = 0;
    for &(offset, kind) in &f.traps {
        w.uleb(u64::from(sorted_delta(offset, prev)?));
        w.u8(kind.to_trap_code().as_raw().get());
        prev = offset;
    }
    w.u32(f.srclocs.len() as u32);
    let (mut prev, mut prev_wasm) = (0, 0i64);
    for &(offset, wasm) in &f.srclocs {
        w.uleb(u64::from(sorted_delta(offset, prev)?));
        w.sleb(i64::from(wasm) - prev_wasm);
        prev = offset;
        prev_wasm = i64::from(wasm);
    }
    w.bytes(&f.unwind);
    w.u32(f.call_sites.len() as u32);
    let mut prev = 0;
    for site in &f.call_sites {
        w.uleb(u64::from(sorted_delta(site.ret_addr, prev)?));
        prev = site.ret_addr;
        w.u32(site.frame_offset);
        w.u32(site.handlers.len() as u32);
        for h in &site.handlers {
            match *h {
                ExceptionHandler::Context { sp_offset } => {
                    w.u8(0);
                    w.u32(sp_offset);
                }
                ExceptionHandler::Tag { tag, target } => {
                    w.u8(1);
                    w.u32(tag);
                    w.u32(target);
                }
                ExceptionHandler::Default { target } => {
                    w.u8(2);
                    w.u32(target);
                }
            }
        }
    }
    w.u32(f.stack_maps.len() as u32);
    let mut prev = 0;
    for map in &f.stack_maps {
        w.uleb(u64::from(sorted_delta(map.ret_addr, prev)?));
        prev = map.ret_addr;
        w.u32(map.sp_offsets.len() as u32);
        for &offset in map.sp_offsets.iter() {
            w.uleb(u64::from(offset));
        }
    }
    w.u32(f.value_labels.len() as u32);
    for r in &f.value_labels {
        w.uleb(u64::from(r.label));
        w.uleb(u64::from(r.start));
        w.uleb(u64::from(r.end - r.start));
        match r.loc {
            ValueLoc::Reg(reg) => {
                w.u8(0);
                w.uleb(u64::from(reg));
            }
            ValueLoc::Frame(offset) => {
                w.u8(1);
                w.sleb(i64::from(offset));
            }
        }
    }
    Ok(())
}

/// Reads what `write_function` wrote of a function's value labels, for
/// code of `code_len` bytes: sorted by label then start, as lookups need.
fn read_value_labels(r: &mut Reader<'_>, code_len: usize) -> Result<Vec<ValueLabelRange>> {
    let corrupt = || anyhow!("corrupt compiled artifact (value label)");
    let n = r.count(5)?;
    let mut labels: Vec<ValueLabelRange> = Vec::with_capacity(n);
    for _ in 0..n {
        let label = u32::try_from(r.uleb()?).map_err(|_| corrupt())?;
        let start = u32::try_from(r.uleb()?).map_err(|_| corrupt())?;
        let end = u32::try_from(r.uleb()?)
            .ok()
            .and_then(|len| start.checked_add(len))
            .filter(|&end| end > start && end as usize <= code_len)
            .ok_or_else(corrupt)?;
        let loc = match r.u8()? {
            0 => ValueLoc::Reg(u16::try_from(r.uleb()?).map_err(|_| corrupt())?),
            1 => ValueLoc::Frame(i32::try_from(r.sleb()?).map_err(|_| corrupt())?),
            _ => return Err(corrupt()),
        };
        if labels
            .last()
            .is_some_and(|last| (last.label, last.start) > (label, start))
        {
            return Err(corrupt());
        }
        labels.push(ValueLabelRange {
            label,
            start,
            end,
            loc,
        });
    }
    Ok(labels)
}

/// Reads a function's metadata (its `code` left empty) with the offset and
/// length of its code in the image.
fn read_function(r: &mut Reader<'_>) -> Result<(CompiledFunction, u32, usize)> {
    let func_index = r.u32()?;
    let body_offset = r.u32()?;
    let alignment = r.u32()?;
    if !alignment.is_power_of_two() || alignment > 4096 {
        bail!("corrupt compiled artifact (alignment {alignment})");
    }
    let code_offset = r.u32()?;
    let code_len = r.u32()? as usize;
    let n = r.count(14)?;
    let mut relocs = Vec::with_capacity(n);
    for _ in 0..n {
        let offset = r.u32()?;
        let kind = *RelocKind::ALL
            .get(r.u8()? as usize)
            .ok_or_else(|| anyhow!("corrupt compiled artifact (relocation kind)"))?;
        let target = match r.u8()? {
            0 => RelocTarget::Func(r.u32()?),
            1 => {
                let name = std::str::from_utf8(r.bytes()?)?;
                RelocTarget::LibCall(
                    LibCall::from_name(name)
                        .ok_or_else(|| anyhow!("corrupt compiled artifact (libcall {name})"))?,
                )
            }
            _ => bail!("corrupt compiled artifact (relocation target)"),
        };
        let addend = r.u64()? as i64;
        if offset as usize + kind.size() > code_len {
            bail!("corrupt compiled artifact (relocation outside the code)");
        }
        relocs.push(Relocation {
            offset,
            kind,
            target,
            addend,
        });
    }
    let n = r.count(2)?;
    let mut traps = Vec::with_capacity(n);
    let mut prev = 0;
    for _ in 0..n {
        let offset = r.offset_after(prev)?;
        prev = offset;
        let code = NonZeroU8::new(r.u8()?)
            .map(TrapCode::from_raw)
            .and_then(trap_kind)
            .ok_or_else(|| anyhow!("corrupt compiled artifact (trap code)"))?;
        traps.push((offset, code));
    }
    let n = r.count(2)?;
    let mut srclocs = Vec::with_capacity(n);
    let (mut prev, mut prev_wasm) = (0, 0i64);
    for _ in 0..n {
        let offset = r.offset_after(prev)?;
        let wasm = prev_wasm
            .checked_add(r.sleb()?)
            .and_then(|w| u32::try_from(w).ok())
            .ok_or_else(|| anyhow!("corrupt compiled artifact (wasm offset)"))?;
        srclocs.push((offset, wasm));
        prev = offset;
        prev_wasm = i64::from(wasm);
    }
    let unwind = r.bytes()?.to_vec();
    let n = r.count(3)?;
    let mut call_sites = Vec::with_capacity(n);
    let mut prev = 0;
    let in_code = |o: u32| -> Result<u32> {
        if o as usize > code_len {
            bail!("corrupt compiled artifact (exception handler outside the code)");
        }
        Ok(o)
    };
    for _ in 0..n {
        let ret_addr = in_code(r.offset_after(prev)?)?;
        prev = ret_addr;
        let frame_offset = r.u32()?;
        let m = r.count(5)?;
        let mut handlers = Vec::with_capacity(m);
        for _ in 0..m {
            handlers.push(match r.u8()? {
                0 => ExceptionHandler::Context {
                    sp_offset: r.u32()?,
                },
                1 => ExceptionHandler::Tag {
                    tag: r.u32()?,
                    target: in_code(r.u32()?)?,
                },
                2 => ExceptionHandler::Default {
                    target: in_code(r.u32()?)?,
                },
                _ => bail!("corrupt compiled artifact (exception handler)"),
            });
        }
        call_sites.push(CallSite {
            ret_addr,
            frame_offset,
            handlers,
        });
    }
    let n = r.count(2)?;
    let mut stack_maps = Vec::with_capacity(n);
    let mut prev = 0;
    for _ in 0..n {
        let ret_addr = in_code(r.offset_after(prev)?)?;
        prev = ret_addr;
        let m = r.count(1)?;
        let sp_offsets = (0..m)
            .map(|_| {
                u32::try_from(r.uleb()?)
                    .map_err(|_| anyhow!("corrupt compiled artifact (stack map)"))
            })
            .collect::<Result<_>>()?;
        stack_maps.push(StackMap {
            ret_addr,
            sp_offsets,
        });
    }
    let value_labels = read_value_labels(r, code_len)?;
    Ok((
        CompiledFunction {
            code: Vec::new(),
            alignment,
            relocs,
            traps,
            srclocs,
            call_sites,
            stack_maps,
            unwind,
            value_labels,
            func_index,
            body_offset,
        },
        code_offset,
        code_len,
    ))
}

/// Appends the encoding of `module`'s code to `w`, whose `bytes` hold
/// everything written before it (so the image's offset in them is its
/// offset in the file they go to).
pub(crate) fn write(w: &mut Writer, module: &CompiledModule) -> Result<()> {
    let funcs = module.functions();
    let (offsets, size) = CodeMemory::layout(funcs.iter().map(|f| (f.code.len(), f.alignment)))?;
    w.u32(funcs.len() as u32);
    for (f, &offset) in funcs.iter().zip(&offsets) {
        write_function(w, f, offset, true)?;
    }
    let align = host_page_size();
    w.u64(align as u64);
    w.u64(size as u64);
    let start = w.bytes.len().div_ceil(align) * align;
    w.bytes.resize(start, 0);
    for (f, &offset) in funcs.iter().zip(&offsets) {
        w.bytes.resize(start + offset as usize, 0);
        w.bytes.extend_from_slice(&f.code);
    }
    w.bytes.resize(start + size, 0);
    // Calls between the module's functions are resolved here, once: a
    // load then patches only what depends on addresses outside the image
    // (libcalls), so the pages of a mapped file that no such relocation
    // touches stay shared with the page cache instead of being copied.
    let image = &mut w.bytes[start..start + size];
    for (f, &offset) in funcs.iter().zip(&offsets) {
        for r in f.relocs.iter().filter(|r| is_image_relative(r)) {
            resolve_image_relative(image, &offsets, offset, r)?;
        }
    }
    Ok(())
}

/// Writes the trampolines a serialized module carries (see
/// `EngineRuntime::trampolines_for_artifact`): the index of each
/// signature's first type, then each function with its code inline (they
/// are few and small, and are published into an engine-wide batch, not
/// into the module's code image).
pub(crate) fn write_trampolines(
    w: &mut Writer,
    first_types: &[u32],
    funcs: &[CompiledFunction],
) -> Result<()> {
    w.u32(first_types.len() as u32);
    for &i in first_types {
        w.u32(i);
    }
    w.u32(funcs.len() as u32);
    for f in funcs {
        write_function(w, f, 0, false)?;
        w.bytes(&f.code);
    }
    Ok(())
}

/// Reads what `write_trampolines` wrote.
pub(crate) fn read_trampolines(r: &mut Reader<'_>) -> Result<(Vec<u32>, Vec<CompiledFunction>)> {
    let n = r.count(4)?;
    let mut first_types = Vec::with_capacity(n);
    for _ in 0..n {
        first_types.push(r.u32()?);
    }
    let n = r.count(20)?;
    let mut funcs = Vec::with_capacity(n);
    for _ in 0..n {
        let (mut f, _, len) = read_function(r)?;
        let code = r.bytes()?;
        if code.len() != len {
            bail!("corrupt compiled artifact (trampoline code size)");
        }
        f.code = code.to_vec();
        funcs.push(f);
    }
    Ok((first_types, funcs))
}

/// Writes the modules' copy-on-write memory images after the code image:
/// the alignment used, a table of (defined memory index, length) for the
/// non-empty ones, then the images themselves, each starting on a host
/// page boundary of the whole serialized module, so that a module loaded
/// from its file maps them from there (see `FileImages`). The alignment is
/// recorded, as the code image's is, so a host with other pages still
/// reads past the images correctly (and builds its own instead of mapping
/// them).
pub(crate) fn write_memory_images(w: &mut Writer, images: &[Vec<u8>]) {
    let present: Vec<(usize, &Vec<u8>)> = images
        .iter()
        .enumerate()
        .filter(|(_, b)| !b.is_empty())
        .collect();
    let align = host_page_size();
    w.u64(align as u64);
    w.u32(present.len() as u32);
    for (index, bytes) in &present {
        w.u32(*index as u32);
        w.u64(bytes.len() as u64);
    }
    for (_, bytes) in present {
        let start = w.bytes.len().div_ceil(align) * align;
        w.bytes.resize(start, 0);
        w.bytes.extend_from_slice(bytes);
    }
}

/// The memory images of a module loaded from a file: a duplicate of the
/// file's descriptor and, per defined memory, where its image lies.
pub(crate) struct FileImages {
    fd: std::os::fd::OwnedFd,
    /// Per defined memory: (offset in the file, length), both page multiples.
    images: Vec<Option<(u64, usize)>>,
}

impl FileImages {
    /// The image of defined memory `index`, with its own descriptor.
    pub(crate) fn image(&self, index: usize) -> Option<Result<MemoryImage>> {
        let (offset, len) = (*self.images.get(index)?)?;
        Some(
            self.fd
                .try_clone()
                .map_err(|e| anyhow!("cannot duplicate a module file's descriptor: {e}"))
                .and_then(|fd| MemoryImage::from_file(fd, offset, len)),
        )
    }
}

/// Reads what `write_memory_images` wrote. Only a module mapped from a
/// file (`source.file`) keeps them, when each lies page aligned in it
/// (written on a host of the same page size); bytes in memory have no file
/// to map, and their instances build images as compiled modules do.
pub(crate) fn read_memory_images(
    r: &mut Reader<'_>,
    source: ArtifactSource<'_>,
    num_defined_memories: usize,
) -> Result<Option<FileImages>> {
    let align = match usize::try_from(r.u64()?) {
        Ok(a) if a.is_power_of_two() => a,
        _ => bail!("corrupt compiled artifact (memory image alignment)"),
    };
    let n = r.count(12)?;
    let mut table = Vec::with_capacity(n);
    for _ in 0..n {
        let index = r.u32()? as usize;
        if index >= num_defined_memories {
            bail!("corrupt compiled artifact (image of memory {index})");
        }
        let len = usize::try_from(r.u64()?)
            .map_err(|_| anyhow!("corrupt compiled artifact (memory image size)"))?;
        table.push((index, len));
    }
    let mut images: Vec<Option<(u64, usize)>> = Vec::new();
    for (index, len) in table {
        let Some(position) = source.whole.len().checked_sub(r.bytes.len()) else {
            bail!("internal error: the reader is not within its source");
        };
        let start = position.div_ceil(align) * align;
        r.take(start - position)?;
        r.take(len)?;
        if images.len() <= index {
            images.resize(index + 1, None);
        }
        images[index] = Some((start as u64, len));
    }
    // Images written for pages this host's page size does not divide
    // cannot be mapped: its instances build their images instead.
    let mappable = align % host_page_size() == 0;
    let Some(fd) = source.file.filter(|_| mappable && !images.is_empty()) else {
        return Ok(None);
    };
    // SAFETY: `fd` is the open descriptor of the file being loaded, valid
    // for this call; borrowing it only to duplicate it.
    let borrowed = unsafe { std::os::fd::BorrowedFd::borrow_raw(fd) };
    let fd = borrowed
        .try_clone_to_owned()
        .map_err(|e| anyhow!("cannot duplicate a module file's descriptor: {e}"))?;
    Ok(Some(FileImages { fd, images }))
}

/// Where the encoding being read lies.
#[derive(Clone, Copy)]
pub(crate) struct ArtifactSource<'a> {
    /// The whole serialized module the reader reads a suffix of.
    pub whole: &'a [u8],
    /// The file `whole` is a mapping of, from its first byte, when it is
    /// one: the code image is then mapped from it and run in place when
    /// the page size and the file system allow.
    pub file: Option<std::os::fd::RawFd>,
}

/// Reads code written by `write` and publishes it; `num_defined_funcs` and
/// `first_func_index` are what the module's info says, checked against the
/// artifact. Consumes the code image from `r`.
pub(crate) fn read(
    r: &mut Reader<'_>,
    source: ArtifactSource<'_>,
    num_defined_funcs: u32,
    first_func_index: u32,
) -> Result<CompiledModule> {
    let n = r.count(20)?;
    if n != num_defined_funcs as usize {
        bail!("compiled artifact has {n} functions, the module defines {num_defined_funcs}");
    }
    let mut funcs = Vec::with_capacity(n);
    let mut offsets = Vec::with_capacity(n);
    let mut lens = Vec::with_capacity(n);
    for i in 0..n {
        let (f, offset, len) = read_function(r)?;
        if f.func_index != first_func_index + i as u32 {
            bail!("corrupt compiled artifact (function order)");
        }
        for reloc in &f.relocs {
            if let RelocTarget::Func(t) = reloc.target {
                if t as usize >= n {
                    bail!("corrupt compiled artifact (call target {t})");
                }
            }
        }
        funcs.push(f);
        offsets.push(offset);
        lens.push(len);
    }
    let align = r.u64()?;
    let size =
        usize::try_from(r.u64()?).map_err(|_| anyhow!("corrupt compiled artifact (code size)"))?;
    let (expected_offsets, expected_size) =
        CodeMemory::layout(lens.iter().zip(&funcs).map(|(&l, f)| (l, f.alignment)))?;
    if expected_offsets != offsets || expected_size != size {
        bail!("corrupt compiled artifact (code layout)");
    }
    // `r.bytes` is a suffix of `source.whole`: its start is the position.
    let Some(position) = source.whole.len().checked_sub(r.bytes.len()) else {
        bail!("internal error: the reader is not within its source");
    };
    let start = match usize::try_from(align) {
        Ok(a) if a.is_power_of_two() => position.div_ceil(a) * a,
        _ => bail!("corrupt compiled artifact (code image alignment)"),
    };
    let Some(image) = start
        .checked_add(size)
        .and_then(|end| source.whole.get(start..end))
    else {
        bail!("truncated compiled artifact (code image)");
    };
    // Past the padding and the image.
    r.take(start + size - position)?;

    if let Some(fd) = source.file {
        if start % host_page_size() == 0 && size > 0 {
            // A file on a `noexec` mount cannot be executed from: then the
            // code is copied below, as for bytes in memory.
            if let Ok(memory) = CodeMemory::publish_from_file(
                fd,
                start as u64,
                size,
                offsets.clone(),
                &funcs,
                &lens,
            ) {
                return Ok(CompiledModule::from_memory(memory, &funcs));
            }
        }
    }
    for ((f, &offset), &len) in funcs.iter_mut().zip(&offsets).zip(&lens) {
        f.code = image[offset as usize..offset as usize + len].to_vec();
    }
    CompiledModule::publish(&funcs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_round_trip() {
        let mut w = Writer::default();
        let values = [0u64, 1, 127, 128, 300, u32::MAX as u64, u64::MAX];
        let signed = [0i64, -1, 1, -64, 64, i64::MIN, i64::MAX];
        for v in values {
            w.uleb(v);
        }
        for v in signed {
            w.sleb(v);
        }
        assert_eq!(w.bytes[..3], [0, 1, 127]);
        let mut r = Reader { bytes: &w.bytes };
        for v in values {
            assert_eq!(r.uleb().unwrap(), v);
        }
        for v in signed {
            assert_eq!(r.sleb().unwrap(), v);
        }
        assert!(r.bytes.is_empty());
        assert!(Reader { bytes: &[0x80; 11] }.uleb().is_err());
    }
}
