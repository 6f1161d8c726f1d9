//! A byte encoding of compiled code, for serialized modules and the
//! on-disk cache: each function's machine code with the relocations,
//! trap sites and address map needed to publish it again without running
//! Cranelift.
//!
//! The encoding is little-endian and length-prefixed. Decoding checks every
//! length and value, so a corrupt artifact is an error, never a panic; it
//! does not make foreign bytes trustworthy (the caller checks that the
//! artifact was made by this library for this engine configuration).

use super::code::CompiledModule;
use crate::compiler::{trap_kind, ToTrapCode};
use crate::environ::compiled_code::{
    CompiledFunction, LibCall, RelocKind, RelocTarget, Relocation,
};
use anyhow::{anyhow, bail, Result};
use cranelift_codegen::ir::TrapCode;
use std::num::NonZeroU8;

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
    pub fn uleb(&mut self, mut v: u64) {
        loop {
            let byte = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                self.bytes.push(byte);
                return;
            }
            self.bytes.push(byte | 0x80);
        }
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

fn write_function(w: &mut Writer, f: &CompiledFunction) -> Result<()> {
    w.u32(f.func_index);
    w.u32(f.body_offset);
    w.u32(f.alignment);
    w.bytes(&f.code);
    w.u32(f.relocs.len() as u32);
    for r in &f.relocs {
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
    Ok(())
}

fn read_function(r: &mut Reader<'_>) -> Result<CompiledFunction> {
    let func_index = r.u32()?;
    let body_offset = r.u32()?;
    let alignment = r.u32()?;
    if !alignment.is_power_of_two() || alignment > 4096 {
        bail!("corrupt compiled artifact (alignment {alignment})");
    }
    let code = r.bytes()?.to_vec();
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
        if offset as usize + kind.size() > code.len() {
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
    Ok(CompiledFunction {
        code,
        alignment,
        relocs,
        traps,
        srclocs,
        func_index,
        body_offset,
    })
}

/// Appends the encoding of `module`'s code to `w`.
pub(crate) fn write(w: &mut Writer, module: &CompiledModule) -> Result<()> {
    let funcs = module.functions();
    w.u32(funcs.len() as u32);
    for f in &funcs {
        write_function(w, f)?;
    }
    Ok(())
}

/// Reads code written by `write` and publishes it; `num_defined_funcs` and
/// `first_func_index` are what the module's info says, checked against the
/// artifact.
pub(crate) fn read(
    r: &mut Reader<'_>,
    num_defined_funcs: u32,
    first_func_index: u32,
) -> Result<CompiledModule> {
    let n = r.count(20)?;
    if n != num_defined_funcs as usize {
        bail!("compiled artifact has {n} functions, the module defines {num_defined_funcs}");
    }
    let mut funcs = Vec::with_capacity(n);
    for i in 0..n {
        let f = read_function(r)?;
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
