//! WebAssembly → native code with Cranelift: function translation and
//! the per-signature host↔wasm trampolines.
//!
//! The compiler depends on `environ` only. `compile_module` translates
//! every defined function (on several threads when `parallel_compilation`
//! is on) for a `TargetIsa` with the code-shaping `Tunables`;
//! `compile_trampolines` (and `CraneliftTrampolines`, the engine's
//! `TrampolineCompiler`) does the same for the trampolines. Both return
//! `CompiledFunction`s: laying them out in executable memory and
//! registering their trap sites is the runtime's job.

mod trampolines;
mod translate;
mod trap_codes;

pub use trampolines::CraneliftTrampolines;
pub(crate) use trap_codes::{trap_kind, ToTrapCode};

use crate::environ::compiled_code::{
    CallSite, CompiledFunction, ExceptionHandler, LibCall, RelocKind, RelocTarget, Relocation,
    StackMap, ValueLabelRange, ValueLoc,
};
use crate::environ::error::{panic_message, Error, ErrorKind};
use crate::environ::{FuncType, ModuleInfo, ValType};
use crate::environ::{MemoryPlan, Tunables, VMOffsets};
use anyhow::{anyhow, bail, Context as _, Result};
use cranelift_codegen::binemit::Reloc;
use cranelift_codegen::control::ControlPlane;
use cranelift_codegen::ir::{
    self, types, AbiParam, ArgumentPurpose, ExternalName, Signature, UserExternalName,
};
use cranelift_codegen::isa::{CallConv, TargetIsa};
use cranelift_codegen::{CodegenError, Context, FinalizedRelocTarget};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// The `UserExternalName` namespace of calls to the module's own functions
/// (the index is the function's index in the module's function space).
const FUNC_NAMESPACE: u32 = 0;

/// The Cranelift type a wasm value lives in.
pub(crate) fn ir_type(ty: ValType) -> ir::Type {
    match ty {
        ValType::I32 => types::I32,
        ValType::I64 => types::I64,
        ValType::F32 => types::F32,
        ValType::F64 => types::F64,
        ValType::V128 => types::I8X16,
        // References are pointers; every supported host is 64-bit.
        ValType::Ref(_) => types::I64,
    }
}

/// The `tail`-convention signature of a wasm function of type `ty`:
/// `(callee_vmctx, caller_vmctx, params...) -> results`.
pub(crate) fn wasm_signature(isa: &dyn TargetIsa, ty: &FuncType) -> Signature {
    let ptr = isa.pointer_type();
    let mut sig = Signature::new(CallConv::Tail);
    sig.params
        .push(AbiParam::special(ptr, ArgumentPurpose::VMContext));
    sig.params.push(AbiParam::new(ptr));
    sig.params
        .extend(ty.params.iter().map(|t| AbiParam::new(ir_type(*t))));
    sig.returns
        .extend(ty.results.iter().map(|t| AbiParam::new(ir_type(*t))));
    sig
}

/// Starts a function body: its entry block, taking the function's
/// parameters, current and sealed (nothing else jumps to it).
pub(crate) fn start_entry_block(b: &mut FunctionBuilder<'_>) -> ir::Block {
    let entry = b.create_block();
    b.append_block_params_for_function_params(entry);
    b.switch_to_block(entry);
    b.seal_block(entry);
    entry
}

/// Compiles the function in `ctx` and extracts its code and metadata.
/// `resolve` maps a `UserExternalName` to a relocation target.
pub(crate) fn finish_function(
    isa: &dyn TargetIsa,
    ctx: &mut Context,
    func_index: u32,
    body_offset: u32,
    address_map: bool,
    resolve: &dyn Fn(UserExternalName) -> Option<RelocTarget>,
    cache: Option<&dyn crate::config::CacheStore>,
) -> Result<CompiledFunction> {
    let names = ctx.func.params.user_named_funcs().clone();
    // Only labeled code reports value locations (see `value_label_ranges`).
    let slots_known = ctx.func.dfg.values_labels.is_none() || !grows_incoming_args(&ctx.func);
    let mut ctrl_plane = ControlPlane::default();
    let compiled = match cache {
        Some(store) => ctx
            .compile_with_cache(isa, &mut CacheAdapter(store), &mut ctrl_plane)
            .map(|(code, _hit)| code),
        None => ctx.compile(isa, &mut ctrl_plane),
    };
    let compiled = compiled.map_err(|e| match e.inner {
        CodegenError::Unsupported(msg) if msg.starts_with("Too many return values") => {
            let kind = ErrorKind::Unsupported {
                feature: "multi-value".to_string(),
                option: Some("enable_multi_ret_implicit_sret".to_string()),
                offset: None,
            };
            Error::new(kind, format!(
                "not supported yet: this many results ({}) without the Cranelift setting \
                 enable_multi_ret_implicit_sret (cranelift_flag_set(\"enable_multi_ret_implicit_sret\", \"true\"))",
                e.func.signature.returns.len()
            ))
            .into()
        }
        other => anyhow!("{other:?}"),
    })?;
    let buffer = &compiled.buffer;
    let mut relocs = Vec::with_capacity(buffer.relocs().len());
    for r in buffer.relocs() {
        let target = match &r.target {
            FinalizedRelocTarget::ExternalName(ExternalName::User(name_ref)) => {
                let name = names[*name_ref].clone();
                resolve(name.clone())
                    .ok_or_else(|| anyhow!("relocation against unknown function {name:?}"))?
            }
            FinalizedRelocTarget::ExternalName(ExternalName::LibCall(call)) => {
                RelocTarget::LibCall(libcall(*call)?)
            }
            other => return Err(anyhow!("unexpected relocation target {other:?}")),
        };
        relocs.push(Relocation {
            offset: r.offset,
            kind: reloc_kind(r.kind)?,
            target,
            addend: r.addend,
        });
    }
    let mut traps = Vec::with_capacity(buffer.traps().len());
    for t in buffer.traps() {
        let kind = trap_codes::trap_kind(t.code)
            .ok_or_else(|| anyhow!("compiled code uses unknown trap code {}", t.code))?;
        traps.push((t.offset, kind));
    }
    let srclocs = if address_map {
        buffer
            .get_srclocs_sorted()
            .iter()
            .filter(|s| !s.loc.is_default())
            .map(|s| (s.start, s.loc.bits()))
            .collect()
    } else {
        Vec::new()
    };
    let call_sites = exception_call_sites(buffer)?;
    let value_labels = value_label_ranges(isa, slots_known, &compiled.value_labels_ranges);
    let stack_maps = buffer
        .user_stack_maps()
        .iter()
        .map(|(ret_addr, _span, map)| StackMap {
            ret_addr: *ret_addr,
            sp_offsets: map.entries().map(|(_ty, offset)| offset).collect(),
        })
        .collect();
    let unwind = if isa.flags().unwind_info() {
        let info = compiled
            .create_unwind_info(isa)
            .map_err(|e| anyhow!("unwind info: {e:?}"))?;
        match info {
            Some(cranelift_codegen::isa::unwind::UnwindInfo::SystemV(info)) => {
                fde_template(isa, &info)?
            }
            _ => Vec::new(),
        }
    } else {
        Vec::new()
    };
    let alignment = isa
        .function_alignment()
        .preferred
        .max(buffer.alignment)
        .max(16);
    Ok(CompiledFunction {
        code: buffer.data().to_vec(),
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
    })
}

/// Where Cranelift says each value label lives (`ranges`, empty unless
/// the translator labeled values: `Tunables::value_labels`), in the
/// runtime's terms, sorted by label then start. Registers get their DWARF
/// numbers (a register without one is left out); a spill slot, given
/// relative to the canonical frame address, is made relative to the frame
/// pointer, which is that address minus 16 (the saved frame pointer and
/// return address) unless the function may grow its incoming-argument
/// area (`grows_incoming_args`): then `slots_known` is false and its
/// slots are left out.
fn value_label_ranges(
    isa: &dyn TargetIsa,
    slots_known: bool,
    ranges: &cranelift_codegen::ValueLabelsRanges,
) -> Vec<ValueLabelRange> {
    use cranelift_codegen::LabelValueLoc;
    if ranges.is_empty() {
        return Vec::new();
    }
    let mut out: Vec<ValueLabelRange> = ranges
        .iter()
        .flat_map(|(label, list)| list.iter().map(move |r| (label.as_u32(), r)))
        .filter(|(_, r)| r.start < r.end)
        .filter_map(|(label, r)| {
            let loc = match r.loc {
                LabelValueLoc::Reg(reg) => ValueLoc::Reg(isa.map_regalloc_reg_to_dwarf(reg).ok()?),
                LabelValueLoc::CFAOffset(offset) if slots_known => {
                    ValueLoc::Frame(i32::try_from(offset + 16).ok()?)
                }
                LabelValueLoc::CFAOffset(_) => return None,
            };
            Some(ValueLabelRange {
                label,
                start: r.start,
                end: r.end,
                loc,
            })
        })
        .collect();
    out.sort_unstable_by_key(|r| (r.label, r.start, r.end));
    out
}

/// Whether `func` may grow its incoming-argument area (Cranelift does for
/// a `return_call` needing more stack arguments than the function
/// received, which moves its frame pointer away from the canonical frame
/// address): some tail call's callee takes more integer or more float and
/// vector parameters than `func` does (a conservative test: argument
/// registers are assigned per class, in order).
fn grows_incoming_args(func: &ir::Function) -> bool {
    let classes = |sig: &Signature| {
        let floats = sig
            .params
            .iter()
            .filter(|p| p.value_type.is_float() || p.value_type.is_vector())
            .count();
        (sig.params.len() - floats, floats)
    };
    let own = classes(&func.signature);
    func.layout.blocks().any(|block| {
        func.layout.block_insts(block).any(|inst| {
            let opcode = func.dfg.insts[inst].opcode();
            if !matches!(
                opcode,
                ir::Opcode::ReturnCall | ir::Opcode::ReturnCallIndirect
            ) {
                return false;
            }
            func.dfg.call_signature(inst).is_some_and(|sig| {
                let callee = classes(&func.dfg.signatures[sig]);
                callee.0 > own.0 || callee.1 > own.1
            })
        })
    })
}

/// The calls of `buffer` that have exception handlers (`try_call`s), in
/// the runtime's terms, sorted by return address.
fn exception_call_sites(
    buffer: &cranelift_codegen::MachBufferFinalized<cranelift_codegen::Final>,
) -> Result<Vec<CallSite>> {
    use cranelift_codegen::{ExceptionContextLoc, FinalizedMachExceptionHandler as H};
    let mut sites = Vec::new();
    for site in buffer.call_sites() {
        if site.exception_handlers.is_empty() {
            continue;
        }
        let frame_offset = site
            .frame_offset
            .ok_or_else(|| anyhow!("a call with exception handlers has no frame offset"))?;
        let handlers = site
            .exception_handlers
            .iter()
            .map(|h| match *h {
                H::Tag(tag, target) => Ok(ExceptionHandler::Tag {
                    tag: tag.as_u32(),
                    target,
                }),
                H::Default(target) => Ok(ExceptionHandler::Default { target }),
                H::Context(ExceptionContextLoc::SPOffset(sp_offset)) => {
                    Ok(ExceptionHandler::Context { sp_offset })
                }
                // Every register is clobbered across a `tail` call's
                // exceptional edge, so the context is always spilled.
                H::Context(ExceptionContextLoc::GPR(reg)) => Err(anyhow!(
                    "exception context left in register {reg} across a call"
                )),
            })
            .collect::<Result<Vec<_>>>()?;
        sites.push(CallSite {
            ret_addr: site.ret_addr,
            frame_offset,
            handlers,
        });
    }
    sites.sort_by_key(|s| s.ret_addr);
    Ok(sites)
}

/// The `.eh_frame` encoding of `isa`'s CIE followed by `fde`, split into
/// the CIE and the FDE. (gimli writes only the CIEs FDEs use, so even the
/// CIE alone is cut from such a pair.)
fn encode_cie_and_fde(
    isa: &dyn TargetIsa,
    fde: gimli::write::FrameDescriptionEntry,
) -> Result<Option<(Vec<u8>, Vec<u8>)>> {
    let Some(cie) = isa.create_systemv_cie() else {
        return Ok(None);
    };
    if cie.fde_address_encoding != gimli::constants::DW_EH_PE_absptr {
        bail!("unwind info: unexpected CIE address encoding");
    }
    let mut table = gimli::write::FrameTable::default();
    let cie = table.add_cie(cie);
    table.add_fde(cie, fde);
    let mut eh_frame = gimli::write::EhFrame(gimli::write::EndianVec::new(gimli::LittleEndian));
    table
        .write_eh_frame(&mut eh_frame)
        .map_err(|e| anyhow!("cannot encode unwind info: {e}"))?;
    let mut bytes = eh_frame.0.into_vec();
    // 32-bit DWARF: each entry is its 4-byte length, then that many bytes.
    let entry_len = |b: &[u8]| {
        b.get(..4)
            .map(|l| 4 + u32::from_le_bytes(l.try_into().expect("4 bytes")) as usize)
    };
    let cie_len = entry_len(&bytes)
        .filter(|&n| n + 16 <= bytes.len())
        .ok_or_else(|| anyhow!("unwind info: malformed eh_frame"))?;
    let fde = bytes.split_off(cie_len);
    // The FDE: length, CIE pointer, then `pc_begin`, 8 bytes (the address
    // given, 0) that the runtime patches.
    if entry_len(&fde) != Some(fde.len()) || fde[8..16] != [0; 8] {
        bail!("unwind info: unexpected FDE layout");
    }
    Ok(Some((bytes, fde)))
}

/// The `.eh_frame` CIE every FDE of `isa`'s code refers to, when the ISA
/// describes its frames for the system unwinder (`native_unwind_info`):
/// 32-bit DWARF, absolute 8-byte addresses, no augmentation data (the
/// layout `CompiledFunction::unwind` assumes, checked on every FDE).
pub fn unwind_cie(isa: &dyn TargetIsa) -> Result<Option<Vec<u8>>> {
    if !isa.flags().unwind_info() {
        return Ok(None);
    }
    let dummy = gimli::write::FrameDescriptionEntry::new(gimli::write::Address::Constant(0), 1);
    Ok(encode_cie_and_fde(isa, dummy)?.map(|(cie, _)| cie))
}

/// The FDE template of a function with unwind info `info` (see
/// `CompiledFunction::unwind`).
fn fde_template(
    isa: &dyn TargetIsa,
    info: &cranelift_codegen::isa::unwind::systemv::UnwindInfo,
) -> Result<Vec<u8>> {
    let fde = info.to_fde(gimli::write::Address::Constant(0));
    Ok(encode_cie_and_fde(isa, fde)?.map_or_else(Vec::new, |(_, fde)| fde))
}

/// The relocation kinds the runtime can patch.
fn reloc_kind(kind: Reloc) -> Result<RelocKind> {
    Ok(match kind {
        Reloc::Abs8 => RelocKind::Abs8,
        Reloc::X86PCRel4 => RelocKind::X86PCRel4,
        Reloc::X86CallPCRel4 => RelocKind::X86CallPCRel4,
        Reloc::X86CallPLTRel4 => RelocKind::X86CallPLTRel4,
        Reloc::Arm64Call => RelocKind::Arm64Call,
        other => bail!("unsupported relocation kind {other:?}"),
    })
}

/// The libcalls the runtime provides.
fn libcall(call: ir::LibCall) -> Result<LibCall> {
    use ir::LibCall as Cl;
    Ok(match call {
        Cl::CeilF32 => LibCall::CeilF32,
        Cl::CeilF64 => LibCall::CeilF64,
        Cl::FloorF32 => LibCall::FloorF32,
        Cl::FloorF64 => LibCall::FloorF64,
        Cl::TruncF32 => LibCall::TruncF32,
        Cl::TruncF64 => LibCall::TruncF64,
        Cl::NearestF32 => LibCall::NearestF32,
        Cl::NearestF64 => LibCall::NearestF64,
        Cl::FmaF32 => LibCall::FmaF32,
        Cl::FmaF64 => LibCall::FmaF64,
        Cl::Memcpy => LibCall::Memcpy,
        Cl::Memset => LibCall::Memset,
        Cl::Memmove => LibCall::Memmove,
        Cl::Memcmp => LibCall::Memcmp,
        other => bail!("unsupported Cranelift libcall {other:?}"),
    })
}

/// Everything the translator needs to know about the module being compiled.
pub(crate) struct ModuleEnv<'a> {
    pub info: &'a ModuleInfo,
    pub offsets: VMOffsets,
    pub plans: &'a [MemoryPlan],
    pub isa: &'a dyn TargetIsa,
    /// The code-shaping settings: fuel, epochs, address maps (see
    /// `Tunables` for what each makes the code do).
    pub tunables: &'a Tunables,
    /// With `wmemcheck`: the module's allocator functions (by function
    /// index), whose calls and every access of memory 0 the code reports
    /// to the runtime's heap checker; empty (no such code) otherwise.
    pub wmemcheck: translate::WmemcheckRoles,
}

/// Inputs of a compilation that do not shape the code.
#[derive(Clone, Debug, Default)]
pub struct CompileOptions {
    /// `parallel_compilation`: translate functions on several threads.
    pub parallel: bool,
    /// `emit_clif`: the folder each function's Cranelift IR is written to.
    pub emit_clif: Option<std::path::PathBuf>,
    /// `enable_incremental_compilation`: where Cranelift's incremental
    /// cache keeps each function's compiled code.
    pub cache_store: Option<std::sync::Arc<dyn crate::config::CacheStore>>,
}

/// Cranelift's view of the embedder's cache store. Cranelift hashes the
/// function's IR and the target into the key and checks what it gets back,
/// so a stale or foreign value only costs a recompilation.
struct CacheAdapter<'a>(&'a dyn crate::config::CacheStore);

impl cranelift_codegen::incremental_cache::CacheKvStore for CacheAdapter<'_> {
    fn get(&self, key: &[u8]) -> Option<std::borrow::Cow<'_, [u8]>> {
        self.0.get(key).map(std::borrow::Cow::Owned)
    }

    fn insert(&mut self, key: &[u8], val: Vec<u8>) {
        // A store that cannot keep the value only loses the reuse.
        let _ = self.0.insert(key, val);
    }
}

/// Translates and compiles every defined function of `info` (whose binary
/// is `wasm`) for `isa` with the code-shaping settings of `tunables`: one
/// `CompiledFunction` per defined function, in order, whose relocations
/// name functions by their position in that list.
pub fn compile_module(
    isa: &dyn TargetIsa,
    tunables: &Tunables,
    info: &ModuleInfo,
    wasm: &[u8],
    options: &CompileOptions,
) -> Result<Vec<CompiledFunction>> {
    let plans = tunables.memory_plans(info);
    let env = ModuleEnv {
        info,
        offsets: VMOffsets::new(info),
        plans: &plans,
        isa,
        tunables,
        wmemcheck: translate::WmemcheckRoles::of(info, wasm, &plans, tunables),
    };
    let address_map = tunables.generate_address_map;
    let clif_dir = options.emit_clif.as_deref();
    let n = info.func_bodies.len();
    let compile_one_unchecked = |builder_ctx: &mut FunctionBuilderContext,
                                 ctx: &mut Context,
                                 i: usize|
     -> Result<CompiledFunction> {
        let func_index = info.num_imported_funcs + i as u32;
        let body = &info.func_bodies[i];
        ctx.clear();
        ctx.func =
            translate::translate_function(&env, builder_ctx, func_index, wasm, body.clone())?;
        if let Some(dir) = &clif_dir {
            let path = dir.join(format!("wasm-func{func_index}.clif"));
            std::fs::write(&path, ctx.func.display().to_string())
                .with_context(|| format!("emit_clif: cannot write {}", path.display()))?;
        }
        let num_imported = info.num_imported_funcs;
        let num_funcs = info.functions.len() as u32;
        finish_function(
            env.isa,
            ctx,
            func_index,
            body.start as u32,
            address_map,
            &|name| {
                (name.namespace == FUNC_NAMESPACE
                    && name.index >= num_imported
                    && name.index < num_funcs)
                    .then(|| RelocTarget::Func(name.index - num_imported))
            },
            options.cache_store.as_deref(),
        )
        // The prefix keeps the error's kind (an unsupported feature, an
        // invalid body) for the caller.
        .map_err(|e| {
            Error::from(e)
                .prefixed(format!("compiling function {func_index}"))
                .into()
        })
    };
    let compile_one = |builder_ctx: &mut FunctionBuilderContext,
                       ctx: &mut Context,
                       i: usize|
     -> Result<CompiledFunction> {
        // A panic in Cranelift (an internal limit, a bug) becomes an error:
        // the library is called from C, where an unwinding panic aborts.
        let func_index = info.num_imported_funcs + i as u32;
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            compile_one_unchecked(builder_ctx, ctx, i)
        }))
        .unwrap_or_else(|panic| {
            let msg = panic_message(&*panic);
            // The builder context may be half-updated: start afresh.
            *builder_ctx = FunctionBuilderContext::new();
            *ctx = Context::new();
            Err(anyhow!(
                "internal compiler error in function {func_index}: {msg}"
            ))
        })
    };

    let threads = if options.parallel {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .min(n)
    } else {
        1
    };
    let funcs: Vec<CompiledFunction> = if threads <= 1 {
        let mut builder_ctx = FunctionBuilderContext::new();
        let mut ctx = Context::new();
        (0..n)
            .map(|i| compile_one(&mut builder_ctx, &mut ctx, i))
            .collect::<Result<_>>()?
    } else {
        // Threads take the next function from a shared counter, so a few
        // large functions do not leave the others idle.
        let next = AtomicUsize::new(0);
        let results: Mutex<Vec<Option<Result<CompiledFunction>>>> =
            Mutex::new((0..n).map(|_| None).collect());
        std::thread::scope(|scope| {
            for _ in 0..threads {
                scope.spawn(|| {
                    let mut builder_ctx = FunctionBuilderContext::new();
                    let mut ctx = Context::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= n {
                            break;
                        }
                        let result = compile_one(&mut builder_ctx, &mut ctx, i);
                        let failed = result.is_err();
                        results.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(result);
                        if failed {
                            // Stop handing out work: the first error wins.
                            next.store(n, Ordering::Relaxed);
                        }
                    }
                });
            }
        });
        let results = results.into_inner().unwrap_or_else(|e| e.into_inner());
        // Report the error of the lowest-numbered failing function.
        if let Some(Some(Err(_))) = results.iter().find(|r| matches!(r, Some(Err(_)))) {
            let first = results
                .into_iter()
                .find_map(|r| r.and_then(|r| r.err()))
                .expect("an error was found above");
            return Err(first);
        }
        results
            .into_iter()
            .map(|r| r.ok_or_else(|| anyhow!("internal: a function was not compiled"))?)
            .collect::<Result<_>>()?
    };
    Ok(funcs)
}
