//! Executable memory for one compilation: every function laid out in one
//! mmap'd region, relocations applied while it is writable, then flipped to
//! read+execute (never writable and executable at once) and registered
//! with the global code registry. Dropping it unregisters and unmaps.

use super::registry::{self, CodeInfo, FuncRange};
use crate::runtime::TrapKind;
use anyhow::{bail, Result};
use cranelift_codegen::binemit::Reloc;
use cranelift_codegen::ir::LibCall;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// What a relocation points at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RelocTarget {
    /// The function at this position in the compilation's function list.
    Func(u32),
    /// A Cranelift runtime library call.
    LibCall(LibCall),
}

/// One relocation of a compiled function.
#[derive(Clone, Debug)]
pub(crate) struct Relocation {
    /// Offset in the function's code.
    pub offset: u32,
    pub kind: Reloc,
    pub target: RelocTarget,
    pub addend: i64,
}

/// One function's machine code and metadata, before layout.
#[derive(Clone, Debug)]
pub(crate) struct CompiledFunction {
    pub code: Vec<u8>,
    pub alignment: u32,
    pub relocs: Vec<Relocation>,
    /// (offset in the function, trap kind), sorted.
    pub traps: Vec<(u32, TrapKind)>,
    /// (offset in the function, wasm byte offset), sorted.
    pub srclocs: Vec<(u32, u32)>,
    /// Index in the module's function space, `u32::MAX` for trampolines.
    pub func_index: u32,
    /// Offset of the body in the module's binary (0 for trampolines).
    pub body_offset: u32,
}

/// A published, executable code region.
pub(crate) struct CodeMemory {
    ptr: *mut u8,
    len: usize,
    func_offsets: Vec<u32>,
    info: Arc<CodeInfo>,
}

// SAFETY: the region is immutable (read+execute) once published; the raw
// pointer is only an address shared by every thread that runs the code.
unsafe impl Send for CodeMemory {}
// SAFETY: as above, nothing mutates the region after publication.
unsafe impl Sync for CodeMemory {}

static NEXT_CODE_ID: AtomicUsize = AtomicUsize::new(1);

fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if size <= 0 {
        4096
    } else {
        size as usize
    }
}

impl CodeMemory {
    /// Lays out `funcs`, resolves their relocations and publishes the code.
    pub fn publish(funcs: &[CompiledFunction]) -> Result<CodeMemory> {
        let mut offsets = Vec::with_capacity(funcs.len());
        let mut size = 0usize;
        for f in funcs {
            let align = f.alignment.max(16) as usize;
            size = size.div_ceil(align) * align;
            offsets.push(u32::try_from(size).map_err(|_| code_too_large())?);
            size += f.code.len();
        }
        if size > i32::MAX as usize {
            return Err(code_too_large());
        }
        let page = page_size();
        let len = size.max(1).div_ceil(page) * page;
        // SAFETY: an anonymous private mapping with no address hint; the
        // result is checked against MAP_FAILED.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            bail!(
                "cannot map {len} bytes for compiled code: {}",
                std::io::Error::last_os_error()
            );
        }
        let ptr = ptr as *mut u8;
        let mut memory = CodeMemory {
            ptr,
            len,
            func_offsets: offsets,
            info: Arc::new(CodeInfo::default()),
        };
        {
            // SAFETY: the mapping is `len >= size` bytes, readable and
            // writable, and exclusively ours until published.
            let bytes = unsafe { std::slice::from_raw_parts_mut(ptr, len) };
            for (f, &start) in funcs.iter().zip(&memory.func_offsets) {
                let start = start as usize;
                bytes[start..start + f.code.len()].copy_from_slice(&f.code);
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
                        RelocTarget::LibCall(call) => libcall_address(call)?,
                    };
                    let at = start as usize + reloc.offset as usize;
                    apply_reloc(bytes, ptr as usize, at, reloc.kind, target, reloc.addend)?;
                }
            }
        }
        // SAFETY: the range is our own mapping; after this it is no longer
        // written.
        if unsafe {
            libc::mprotect(
                ptr as *mut libc::c_void,
                len,
                libc::PROT_READ | libc::PROT_EXEC,
            )
        } != 0
        {
            bail!(
                "cannot make compiled code executable: {}",
                std::io::Error::last_os_error()
            );
        }
        flush_icache(ptr, size);

        let mut info = CodeInfo {
            code_id: NEXT_CODE_ID.fetch_add(1, Ordering::Relaxed),
            ..CodeInfo::default()
        };
        for (f, &start) in funcs.iter().zip(&memory.func_offsets) {
            info.funcs.push(FuncRange {
                start,
                end: start + f.code.len() as u32,
                func_index: f.func_index,
                body_offset: f.body_offset,
            });
            info.traps
                .extend(f.traps.iter().map(|&(o, k)| (start + o, k)));
            info.address_map
                .extend(f.srclocs.iter().map(|&(o, w)| (start + o, w)));
        }
        info.traps.sort_by_key(|&(o, _)| o);
        info.address_map.sort_by_key(|&(o, _)| o);
        memory.info = Arc::new(info);
        registry::register(ptr as usize, len, memory.info.clone());
        Ok(memory)
    }

    /// The address of function `i` of the compilation.
    pub fn func_ptr(&self, i: usize) -> *const u8 {
        // SAFETY: offsets lie within the mapping.
        unsafe { self.ptr.add(self.func_offsets[i] as usize) }
    }

    /// The region's registry metadata.
    pub fn info(&self) -> &Arc<CodeInfo> {
        &self.info
    }

    /// The region's bounds.
    #[cfg(test)]
    pub fn range(&self) -> std::ops::Range<usize> {
        self.ptr as usize..self.ptr as usize + self.len
    }
}

impl Drop for CodeMemory {
    fn drop(&mut self) {
        registry::unregister(self.ptr as usize);
        // SAFETY: the mapping is ours and no code in it can run any more:
        // every owner of the module (instances, funcs) is gone.
        unsafe {
            libc::munmap(self.ptr as *mut libc::c_void, self.len);
        }
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

/// Patches one relocation at `at` (offset in `bytes`, which starts at
/// address `base`) to point at `target + addend`.
fn apply_reloc(
    bytes: &mut [u8],
    base: usize,
    at: usize,
    kind: Reloc,
    target: usize,
    addend: i64,
) -> Result<()> {
    let value = (target as i64).wrapping_add(addend);
    let pc = (base + at) as i64;
    match kind {
        Reloc::Abs8 => bytes[at..at + 8].copy_from_slice(&value.to_le_bytes()),
        Reloc::X86PCRel4 | Reloc::X86CallPCRel4 | Reloc::X86CallPLTRel4 => {
            let delta = value - pc;
            let delta = i32::try_from(delta)
                .map_err(|_| anyhow::anyhow!("relocation target out of 32-bit range"))?;
            bytes[at..at + 4].copy_from_slice(&delta.to_le_bytes());
        }
        Reloc::Arm64Call => {
            let delta = value - pc;
            if delta % 4 != 0 || !(-(1 << 27)..(1 << 27)).contains(&delta) {
                bail!("arm64 call relocation out of range");
            }
            let insn = u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes"));
            let imm = ((delta >> 2) as u32) & 0x03ff_ffff;
            bytes[at..at + 4].copy_from_slice(&((insn & 0xfc00_0000) | imm).to_le_bytes());
        }
        other => bail!("unsupported relocation kind {other:?}"),
    }
    Ok(())
}

/// Defines `extern "C"` wrappers of std float methods, the targets of the
/// Cranelift libcalls below: `name(args): type => expression;`.
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

/// The Rust implementation of a Cranelift libcall (used when the ISA lacks
/// an instruction, e.g. rounding without SSE4.1).
fn libcall_address(call: LibCall) -> Result<usize> {
    Ok(match call {
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
        other => bail!("unsupported Cranelift libcall {other:?}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
        // What the address runs, not the address itself: rustc may emit a
        // small function once per codegen unit, so `fn` addresses of one
        // function need not be equal.
        let address = libcall_address(LibCall::NearestF64).unwrap();
        // SAFETY: the libcall table maps NearestF64 to `nearest_f64`, an
        // `extern "C" fn(f64) -> f64`.
        let nearest: extern "C" fn(f64) -> f64 = unsafe { std::mem::transmute(address) };
        assert_eq!(nearest(-3.5), -4.0);
        assert_eq!(nearest(2.5), 2.0);
    }

    #[test]
    fn pc_relative_call_reaches_the_target_function() {
        // Function 0: `call rel32` (e8 + 4 bytes) patched to function 1.
        let caller = CompiledFunction {
            code: vec![0xe8, 0, 0, 0, 0, 0xc3],
            alignment: 16,
            relocs: vec![Relocation {
                offset: 1,
                kind: Reloc::X86CallPCRel4,
                target: RelocTarget::Func(1),
                addend: -4,
            }],
            traps: vec![(5, TrapKind::UnreachableCodeReached)],
            srclocs: vec![],
            func_index: 0,
            body_offset: 10,
        };
        let callee = CompiledFunction {
            code: vec![0xc3],
            alignment: 16,
            relocs: vec![],
            traps: vec![],
            srclocs: vec![],
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
