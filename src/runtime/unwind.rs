//! Registering compiled code's `.eh_frame` with the system unwinder
//! (`native_unwind_info`), so `backtrace()`, debuggers and C++ exceptions
//! walk through wasm frames.
//!
//! A region's `.eh_frame` is assembled when its code is published: the
//! ISA's CIE, then each function's FDE template (see
//! `CompiledFunction::unwind`) with its CIE pointer and `pc_begin` filled
//! in, then a zero terminator. The bytes live on the heap as long as the
//! registration; dropping it deregisters them (before the code is
//! unmapped: `CodeMemory` drops it first).

extern "C" {
    // libgcc's (and LLVM libunwind's) registration of runtime-generated
    // unwind info. With libgcc, `begin` is a whole `.eh_frame` section
    // ending with a zero length; LLVM's libunwind (macOS) takes one FDE
    // per call.
    fn __register_frame(begin: *const u8);
    fn __deregister_frame(begin: *const u8);
}

/// `.eh_frame` bytes registered with the system unwinder.
pub(crate) struct UnwindRegistration {
    eh_frame: Box<[u8]>,
    /// The offsets in `eh_frame` of what was passed to `__register_frame`.
    registered: Vec<usize>,
}

/// Offset in an FDE of its CIE pointer and of its `pc_begin`.
const CIE_POINTER: usize = 4;
const PC_BEGIN: usize = 8;

impl UnwindRegistration {
    /// Assembles `cie` and the FDE templates of `funcs` ((address of the
    /// function's code, template); empty templates are skipped) and
    /// registers them. `None` when no function has unwind info.
    pub fn new<'a>(
        cie: &[u8],
        funcs: impl Iterator<Item = (usize, &'a [u8])>,
    ) -> Option<UnwindRegistration> {
        let mut bytes = cie.to_vec();
        let mut fdes = Vec::new();
        for (address, fde) in funcs {
            if fde.len() < PC_BEGIN + 8 {
                continue;
            }
            let at = bytes.len();
            bytes.extend_from_slice(fde);
            // The CIE pointer is the distance back from the field itself
            // to the CIE, which starts the section.
            let back = u32::try_from(at + CIE_POINTER).ok()?;
            bytes[at + CIE_POINTER..at + CIE_POINTER + 4].copy_from_slice(&back.to_le_bytes());
            bytes[at + PC_BEGIN..at + PC_BEGIN + 8]
                .copy_from_slice(&(address as u64).to_le_bytes());
            fdes.push(at);
        }
        if fdes.is_empty() {
            return None;
        }
        bytes.extend_from_slice(&[0; 4]);
        let eh_frame = bytes.into_boxed_slice();
        let registered = if cfg!(target_os = "macos") {
            fdes
        } else {
            vec![0]
        };
        for &offset in &registered {
            // SAFETY: `eh_frame` is a well-formed `.eh_frame` section (the
            // compiler's CIE and FDEs, terminated), describing code that
            // is published and stays mapped until this registration is
            // dropped; the heap bytes do not move or change while
            // registered.
            unsafe { __register_frame(eh_frame.as_ptr().add(offset)) };
        }
        Some(UnwindRegistration {
            eh_frame,
            registered,
        })
    }

    /// The registered `.eh_frame` (absolute addresses, terminated), which
    /// `debug_info` also hands to debuggers in the code's object file.
    pub fn eh_frame(&self) -> &[u8] {
        &self.eh_frame
    }
}

impl Drop for UnwindRegistration {
    fn drop(&mut self) {
        for &offset in &self.registered {
            // SAFETY: exactly the pointers registered in `new`, each
            // deregistered once.
            unsafe { __deregister_frame(self.eh_frame.as_ptr().add(offset)) };
        }
    }
}
