//! Executable memory for one compilation: every function laid out in one
//! mmap'd region, relocations applied while it is writable, then flipped to
//! read+execute (never writable and executable at once) and registered
//! with the global code registry. Dropping it unregisters and unmaps.

use super::mmap::{round_up_to_page, Mmap};
use super::registry::{self, CodeInfo, FuncRange};
use crate::environ::compiled_code::{CompiledFunction, LibCall, RelocKind, RelocTarget};
use anyhow::{bail, Result};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// A published, executable code region.
pub(crate) struct CodeMemory {
    /// The code's object file, registered with debuggers (`debug_info`);
    /// first, so debuggers forget the code before it is unmapped.
    debug: Option<super::debug::DebugRegistration>,
    /// The code's `.eh_frame`, registered with the system unwinder; before
    /// `map`, so it is deregistered before `map` is unmapped.
    unwind: Option<super::unwind::UnwindRegistration>,
    map: Mmap,
    func_offsets: Vec<u32>,
    info: Arc<CodeInfo>,
}

static NEXT_CODE_ID: AtomicUsize = AtomicUsize::new(1);

impl CodeMemory {
    /// Where each function of code sizes and alignments `funcs` starts in
    /// one region, and the bytes the region needs: the layout `publish`
    /// uses, so a region laid out elsewhere (a serialized module's code
    /// image) can be published in place with `publish_laid_out`.
    pub fn layout(funcs: impl Iterator<Item = (usize, u32)>) -> Result<(Vec<u32>, usize)> {
        let mut offsets = Vec::new();
        let mut size = 0usize;
        for (len, alignment) in funcs {
            let align = alignment.max(16) as usize;
            size = size.div_ceil(align) * align;
            offsets.push(u32::try_from(size).map_err(|_| code_too_large())?);
            size = size.checked_add(len).ok_or_else(code_too_large)?;
        }
        if size > i32::MAX as usize {
            return Err(code_too_large());
        }
        Ok((offsets, size))
    }

    /// Lays out `funcs`, resolves their relocations and publishes the code.
    pub fn publish(funcs: &[CompiledFunction]) -> Result<CodeMemory> {
        let (offsets, size) = Self::layout(funcs.iter().map(|f| (f.code.len(), f.alignment)))?;
        let Some(len) = round_up_to_page(size.max(1)) else {
            return Err(code_too_large());
        };
        let map = Mmap::reserve(len)?;
        map.commit(0, len)?;
        {
            // SAFETY: the mapping is `len >= size` bytes, readable and
            // writable, and exclusively ours until published.
            let bytes = unsafe { std::slice::from_raw_parts_mut(map.as_ptr(), len) };
            for (f, &start) in funcs.iter().zip(&offsets) {
                let start = start as usize;
                bytes[start..start + f.code.len()].copy_from_slice(&f.code);
            }
        }
        let lens: Vec<usize> = funcs.iter().map(|f| f.code.len()).collect();
        Self::publish_laid_out(map, size, offsets, funcs, &lens)
    }

    /// Publishes code laid out (as `layout` places it) in the file `fd`
    /// from `offset` (a multiple of the host page size), `size` bytes: the
    /// region is mapped private from the file, relocated in place (only
    /// the pages relocations touch get private copies) and executed from
    /// the file's pages. See `publish_laid_out` for the rest; the file must
    /// not be truncated while the code lives.
    pub fn publish_from_file(
        fd: std::os::fd::RawFd,
        offset: u64,
        size: usize,
        offsets: Vec<u32>,
        funcs: &[CompiledFunction],
        code_lens: &[usize],
    ) -> Result<CodeMemory> {
        let map = Mmap::map_file(fd, offset, size)?;
        Self::publish_laid_out(map, size, offsets, funcs, code_lens)
    }

    /// Publishes code already laid out in `map` (readable, writable, ours
    /// alone) as `layout` places it: function `i` of `code_lens[i]` bytes
    /// at `offsets[i]`, `size` bytes in all. `funcs` give each function's
    /// relocations and metadata; their `code` is not read. Relocations are
    /// applied in place, then the region becomes read+execute (which fails
    /// for a file on a `noexec` mount; the caller may then copy the code
    /// with `publish`).
    pub fn publish_laid_out(
        map: Mmap,
        size: usize,
        offsets: Vec<u32>,
        funcs: &[CompiledFunction],
        code_lens: &[usize],
    ) -> Result<CodeMemory> {
        let len = map.len();
        let in_bounds = funcs.len() == offsets.len()
            && funcs.len() == code_lens.len()
            && size <= len
            && offsets
                .iter()
                .zip(code_lens)
                .all(|(&o, &l)| (o as usize).checked_add(l).is_some_and(|end| end <= size));
        if !in_bounds {
            bail!("internal error: code layout outside its region");
        }
        let ptr = map.as_ptr();
        let mut memory = CodeMemory {
            debug: None,
            unwind: None,
            map,
            func_offsets: offsets,
            info: Arc::new(CodeInfo::default()),
        };
        {
            // SAFETY: the mapping is `len >= size` bytes, readable and
            // writable, and exclusively ours until published.
            let bytes = unsafe { std::slice::from_raw_parts_mut(ptr, len) };
            for (f, &code_len) in funcs.iter().zip(code_lens) {
                if f.relocs
                    .iter()
                    .any(|r| r.offset as usize + r.kind.size() > code_len)
                {
                    bail!("relocation outside its function's code");
                }
            }
            for (f, &start) in funcs.iter().zip(&memory.func_offsets) {
                for reloc in &f.relocs {
                    let target = match reloc.target {
                        RelocTarget::Func(i) => {
                            let Some(&off) = memory.func_offsets.get(i as usize) else {
                                bail!("relocation against unknown function {i}");
                            };
                            ptr as usize + off as usize
                        }
                        RelocTarget::LibCall(call) => libcall_address(call),
                    };
                    let at = start as usize + reloc.offset as usize;
                    apply_reloc(bytes, ptr as usize, at, reloc.kind, target, reloc.addend)?;
                }
            }
        }
        memory.map.make_executable(0, len)?;
        flush_icache(ptr, size);

        let mut info = CodeInfo {
            code_id: NEXT_CODE_ID.fetch_add(1, Ordering::Relaxed),
            ..CodeInfo::default()
        };
        for ((f, &start), &code_len) in funcs.iter().zip(&memory.func_offsets).zip(code_lens) {
            info.funcs.push(FuncRange {
                start,
                end: start + code_len as u32,
                func_index: f.func_index,
                body_offset: f.body_offset,
            });
            info.traps
                .extend(f.traps.iter().map(|&(o, k)| (start + o, k)));
            info.address_map
                .extend(f.srclocs.iter().map(|&(o, w)| (start + o, w)));
            info.call_sites
                .extend(f.call_sites.iter().map(|c| c.shifted(i64::from(start))));
            info.stack_maps
                .extend(f.stack_maps.iter().map(|m| m.shifted(i64::from(start))));
        }
        info.call_sites.sort_by_key(|c| c.ret_addr);
        info.stack_maps.sort_by_key(|m| m.ret_addr);
        info.traps.sort_by_key(|&(o, _)| o);
        info.address_map.sort_by_key(|&(o, _)| o);
        memory.info = Arc::new(info);
        registry::register(ptr as usize, len, memory.info.clone());
        Ok(memory)
    }

    /// The address of function `i` of the compilation.
    pub fn func_ptr(&self, i: usize) -> *const u8 {
        // SAFETY: offsets lie within the mapping.
        unsafe { self.map.as_ptr().add(self.func_offsets[i] as usize) }
    }

    /// The number of functions in the region.
    pub fn num_funcs(&self) -> usize {
        self.func_offsets.len()
    }

    /// The published (executable, readable) code of function `i`.
    pub fn func_code(&self, i: usize) -> &[u8] {
        let range = &self.info.funcs[i];
        // SAFETY: the function's bytes lie inside the mapping, which is
        // readable for as long as `self` lives and never written again
        // after publication.
        unsafe {
            std::slice::from_raw_parts(
                self.map.as_ptr().add(range.start as usize),
                (range.end - range.start) as usize,
            )
        }
    }

    /// Registers the region's unwind info: the FDE templates `fdes` (one
    /// per function, in order; see `CompiledFunction::unwind`) after `cie`.
    pub fn register_unwind_info(&mut self, cie: &[u8], fdes: &[&[u8]]) {
        let funcs = (0..self.num_funcs()).map(|i| self.func_ptr(i) as usize);
        self.unwind = super::unwind::UnwindRegistration::new(cie, funcs.zip(fdes.iter().copied()));
    }

    /// Registers the region with debuggers (`debug_info`): function `i`
    /// is called `names[i]`; `debug` holds the module's binary, whose
    /// DWARF is transformed to the native code (`None` for trampolines).
    /// After `register_unwind_info`, whose `.eh_frame` the object file
    /// carries.
    pub fn register_debug_info(
        &mut self,
        names: &[String],
        debug: Option<&super::debug::ModuleDebug<'_>>,
    ) {
        let eh_frame = self.unwind.as_ref().map(|u| u.eh_frame());
        self.debug = Some(super::debug::register(
            self.map.as_ptr() as usize,
            self.map.len(),
            &self.info,
            names,
            debug,
            eh_frame,
        ));
    }

    /// Whether the region's unwind info is registered.
    pub fn has_unwind_info(&self) -> bool {
        self.unwind.is_some()
    }

    /// The region's registry metadata.
    pub fn info(&self) -> &Arc<CodeInfo> {
        &self.info
    }

    /// The region's bounds.
    #[cfg(test)]
    pub fn range(&self) -> std::ops::Range<usize> {
        let start = self.map.as_ptr() as usize;
        start..start + self.map.len()
    }
}

impl Drop for CodeMemory {
    fn drop(&mut self) {
        // No code in the region can run any more: every owner of the
        // module (instances, funcs) is gone. `map` unmaps it after this.
        registry::unregister(self.map.as_ptr() as usize);
    }
}

fn code_too_large() -> anyhow::Error {
    anyhow::anyhow!("compiled code exceeds 2 GiB")
}

fn flush_icache(ptr: *mut u8, len: usize) {
    #[cfg(target_arch = "aarch64")]
    {
        extern "C" {
            fn __clear_cache(start: *mut libc::c_char, end: *mut libc::c_char);
        }
        // SAFETY: the range is our mapping.
        unsafe { __clear_cache(ptr as *mut libc::c_char, ptr.add(len) as *mut libc::c_char) };
    }
    #[cfg(not(target_arch = "aarch64"))]
    {
        // x86-64 keeps instruction caches coherent with data writes.
        let _ = (ptr, len);
    }
}

/// Whether `reloc` depends only on where functions lie relative to each
/// other in one image, not on where the image is mapped: a PC-relative
/// reference to another function of the image. Such relocations can be
/// applied once, when the image is laid out for a serialized module
/// (`resolve_image_relative`), instead of at every load.
pub(crate) fn is_image_relative(reloc: &crate::environ::compiled_code::Relocation) -> bool {
    matches!(reloc.target, RelocTarget::Func(_)) && reloc.kind != RelocKind::Abs8
}

/// Applies the image-relative relocation `reloc` of the function at
/// `func_offset` in `image`, whose functions lie at `offsets`.
pub(crate) fn resolve_image_relative(
    image: &mut [u8],
    offsets: &[u32],
    func_offset: u32,
    reloc: &crate::environ::compiled_code::Relocation,
) -> Result<()> {
    let RelocTarget::Func(i) = reloc.target else {
        bail!("internal error: not an image-relative relocation");
    };
    let Some(&target) = offsets.get(i as usize) else {
        bail!("relocation against unknown function {i}");
    };
    let at = func_offset as usize + reloc.offset as usize;
    if at + reloc.kind.size() > image.len() {
        bail!("relocation outside the code");
    }
    // With the image at address 0, PC and target are offsets in it; the
    // distance between them is what a mapped image has too.
    apply_reloc(image, 0, at, reloc.kind, target as usize, reloc.addend)
}

/// Patches one relocation at `at` (offset in `bytes`, which starts at
/// address `base`) to point at `target + addend`.
fn apply_reloc(
    bytes: &mut [u8],
    base: usize,
    at: usize,
    kind: RelocKind,
    target: usize,
    addend: i64,
) -> Result<()> {
    let value = (target as i64).wrapping_add(addend);
    let pc = (base + at) as i64;
    match kind {
        RelocKind::Abs8 => bytes[at..at + 8].copy_from_slice(&value.to_le_bytes()),
        RelocKind::X86PCRel4 | RelocKind::X86CallPCRel4 | RelocKind::X86CallPLTRel4 => {
            let delta = value - pc;
            let delta = i32::try_from(delta)
                .map_err(|_| anyhow::anyhow!("relocation target out of 32-bit range"))?;
            bytes[at..at + 4].copy_from_slice(&delta.to_le_bytes());
        }
        RelocKind::Arm64Call => {
            let delta = value - pc;
            if delta % 4 != 0 || !(-(1 << 27)..(1 << 27)).contains(&delta) {
                bail!("arm64 call relocation out of range");
            }
            let insn = u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes"));
            let imm = ((delta >> 2) as u32) & 0x03ff_ffff;
            bytes[at..at + 4].copy_from_slice(&((insn & 0xfc00_0000) | imm).to_le_bytes());
        }
    }
    Ok(())
}

/// Defines `extern "C"` wrappers of std float methods, the targets of the
/// libcalls below: `name(args): type => expression;`.
macro_rules! float_libcalls {
    ($($name:ident($($arg:ident),+): $ty:ty => $body:expr;)*) => {
        $(extern "C" fn $name($($arg: $ty),+) -> $ty { $body })*
    };
}

float_libcalls! {
    ceil_f32(x): f32 => x.ceil();
    ceil_f64(x): f64 => x.ceil();
    floor_f32(x): f32 => x.floor();
    floor_f64(x): f64 => x.floor();
    trunc_f32(x): f32 => x.trunc();
    trunc_f64(x): f64 => x.trunc();
    nearest_f32(x): f32 => x.round_ties_even();
    nearest_f64(x): f64 => x.round_ties_even();
    fma_f32(a, b, c): f32 => a.mul_add(b, c);
    fma_f64(a, b, c): f64 => a.mul_add(b, c);
}

/// The implementation of a libcall (used when the ISA lacks an
/// instruction, e.g. rounding without SSE4.1).
fn libcall_address(call: LibCall) -> usize {
    match call {
        LibCall::CeilF32 => ceil_f32 as *const () as usize,
        LibCall::CeilF64 => ceil_f64 as *const () as usize,
        LibCall::FloorF32 => floor_f32 as *const () as usize,
        LibCall::FloorF64 => floor_f64 as *const () as usize,
        LibCall::TruncF32 => trunc_f32 as *const () as usize,
        LibCall::TruncF64 => trunc_f64 as *const () as usize,
        LibCall::NearestF32 => nearest_f32 as *const () as usize,
        LibCall::NearestF64 => nearest_f64 as *const () as usize,
        LibCall::FmaF32 => fma_f32 as *const () as usize,
        LibCall::FmaF64 => fma_f64 as *const () as usize,
        LibCall::Memcpy => libc::memcpy as *const () as usize,
        LibCall::Memset => libc::memset as *const () as usize,
        LibCall::Memmove => libc::memmove as *const () as usize,
        LibCall::Memcmp => libc::memcmp as *const () as usize,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::environ::compiled_code::Relocation;
    use crate::environ::TrapKind;

    #[test]
    fn float_libcalls_round_as_wasm_does() {
        assert_eq!(nearest_f32(2.5), 2.0);
        assert_eq!(nearest_f64(-3.5), -4.0);
        assert_eq!(ceil_f32(-0.5).to_bits(), (-0.0f32).to_bits());
        assert_eq!(ceil_f64(1.25), 2.0);
        assert_eq!(floor_f32(1.75), 1.0);
        assert_eq!(floor_f64(-0.5), -1.0);
        assert_eq!(trunc_f32(-1.75), -1.0);
        assert_eq!(trunc_f64(2.5), 2.0);
        assert_eq!(fma_f32(2.0, 3.0, 1.0), 7.0);
        // One rounding: 0.1 * 10 - 1 is not exactly 0.
        assert_ne!(fma_f64(0.1, 10.0, -1.0), 0.0);
        // Call through the resolved address rather than compare it with
        // `nearest_f64 as usize`: a small function may have a copy in
        // several codegen units, so its address is not unique.
        let nearest = libcall_address(LibCall::NearestF64);
        // SAFETY: the address of `NearestF64` is that of an
        // `extern "C" fn(f64) -> f64` (`nearest_f64`).
        let nearest = unsafe { std::mem::transmute::<usize, extern "C" fn(f64) -> f64>(nearest) };
        assert_eq!(nearest(2.5), 2.0);
        assert_eq!(nearest(-3.5), -4.0);
    }

    #[test]
    fn pc_relative_call_reaches_the_target_function() {
        // Function 0: `call rel32` (e8 + 4 bytes) patched to function 1.
        let caller = CompiledFunction {
            code: vec![0xe8, 0, 0, 0, 0, 0xc3],
            alignment: 16,
            relocs: vec![Relocation {
                offset: 1,
                kind: RelocKind::X86CallPCRel4,
                target: RelocTarget::Func(1),
                addend: -4,
            }],
            traps: vec![(5, TrapKind::UnreachableCodeReached)],
            call_sites: vec![],
            stack_maps: vec![],
            srclocs: vec![],
            unwind: vec![],
            value_labels: vec![],
            func_index: 0,
            body_offset: 10,
        };
        let callee = CompiledFunction {
            code: vec![0xc3],
            alignment: 16,
            relocs: vec![],
            traps: vec![],
            call_sites: vec![],
            stack_maps: vec![],
            srclocs: vec![],
            unwind: vec![],
            value_labels: vec![],
            func_index: 1,
            body_offset: 20,
        };
        let memory = CodeMemory::publish(&[caller, callee]).unwrap();
        let f0 = memory.func_ptr(0) as usize;
        let f1 = memory.func_ptr(1) as usize;
        assert_eq!(f1 - f0, 16, "functions are 16-byte aligned");
        // SAFETY: reading our own published (readable) code.
        let rel = unsafe { std::ptr::read_unaligned((f0 + 1) as *const i32) };
        assert_eq!(f0 as i64 + 5 + rel as i64, f1 as i64);
        assert_eq!(
            registry::lookup_trap(f0 + 5),
            Some(TrapKind::UnreachableCodeReached)
        );
        assert!(registry::is_wasm_code(f1));
        let range = memory.range();
        drop(memory);
        assert!(!registry::is_wasm_code(range.start));
    }
}
