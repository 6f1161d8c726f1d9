//! WebAssembly → native code with Cranelift: function translation,
//! trampolines, code layout, and the registry the signal handler reads.
//!
//! `compile_module` translates every defined function (on several threads
//! when `parallel_compilation` is on), lays them out in one executable
//! region and registers its trap sites; `compile_trampolines` does the same
//! for the per-signature host↔wasm trampolines.

pub(crate) mod artifact;
mod code_memory;
pub mod registry;
mod trampolines;
mod translate;

pub use registry::{is_wasm_code, lookup_frame, lookup_trap, FrameLocation};
pub use trampolines::{compile_trampolines, CompiledTrampolines};

use crate::engine::Engine;
use crate::module::{FuncType, ModuleInfo, ValType};
use crate::runtime::{MemoryPlan, TrapKind, VMOffsets};
use anyhow::{anyhow, Context as _, Result};
use code_memory::{CodeMemory, CompiledFunction, RelocTarget, Relocation};
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
        ValType::FuncRef | ValType::ExternRef => types::I64,
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
) -> Result<CompiledFunction> {
    let names = ctx.func.params.user_named_funcs().clone();
    let mut ctrl_plane = ControlPlane::default();
    let compiled = ctx.compile(isa, &mut ctrl_plane).map_err(|e| match e.inner {
        CodegenError::Unsupported(msg) if msg.starts_with("Too many return values") => anyhow!(
            "not supported yet: this many results ({}) without the Cranelift setting \
             enable_multi_ret_implicit_sret (cranelift_flag_set(\"enable_multi_ret_implicit_sret\", \"true\"))",
            e.func.signature.returns.len()
        ),
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
                RelocTarget::LibCall(*call)
            }
            other => return Err(anyhow!("unexpected relocation target {other:?}")),
        };
        relocs.push(Relocation {
            offset: r.offset,
            kind: r.kind,
            target,
            addend: r.addend,
        });
    }
    let mut traps = Vec::with_capacity(buffer.traps().len());
    for t in buffer.traps() {
        let kind = TrapKind::from_trap_code(t.code)
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
        func_index,
        body_offset,
    })
}

/// Everything the translator needs to know about the module being compiled.
pub(crate) struct ModuleEnv<'a> {
    pub info: &'a ModuleInfo,
    pub offsets: VMOffsets,
    pub plans: &'a [MemoryPlan],
    pub isa: &'a dyn TargetIsa,
    /// `consume_fuel`: count operators into `VMRuntimeLimits::FUEL_CONSUMED`
    /// and trap with `OutOfFuel` at function entries and loop headers once
    /// it is no longer negative.
    pub consume_fuel: bool,
    /// `epoch_interruption`: trap with `Interrupt` at function entries and
    /// loop headers once the engine's epoch reaches the store's deadline.
    pub epoch_interruption: bool,
    /// `signals_based_traps`: raise traps with faulting instructions (and
    /// leave the stack limit to Cranelift's prologue check); when false,
    /// every trap is an explicit check that calls the `RaiseTrap` builtin.
    pub signals_based_traps: bool,
}

/// The entries of `table` (keyed by code offset in the region) that fall
/// in `range`, keyed by offset from its start instead.
fn entries_within<T: Copy>(table: &[(u32, T)], range: &std::ops::Range<u32>) -> Vec<(u32, T)> {
    table
        .iter()
        .filter(|(offset, _)| range.contains(offset))
        .map(|&(offset, x)| (offset - range.start, x))
        .collect()
}

/// The machine code of a module's defined functions.
pub struct CompiledModule {
    memory: CodeMemory,
    /// What is needed besides the published bytes to lay the code out
    /// again elsewhere (see `artifact`): each function's relocations and
    /// alignment.
    relocs: Vec<Vec<Relocation>>,
    alignments: Vec<u32>,
}

impl CompiledModule {
    /// Publishes `funcs` (one per defined function, in order).
    pub(crate) fn publish(funcs: &[CompiledFunction]) -> Result<CompiledModule> {
        Ok(CompiledModule {
            memory: CodeMemory::publish(funcs)?,
            relocs: funcs.iter().map(|f| f.relocs.clone()).collect(),
            alignments: funcs.iter().map(|f| f.alignment).collect(),
        })
    }

    /// The functions as they were before layout: the published code (whose
    /// relocated fields are rewritten by any new layout) with its metadata.
    pub(crate) fn functions(&self) -> Vec<CompiledFunction> {
        let info = self.memory.info();
        let mut funcs = Vec::with_capacity(info.funcs.len());
        for (i, range) in info.funcs.iter().enumerate() {
            let start = self.memory.func_ptr(i);
            let len = (range.end - range.start) as usize;
            // SAFETY: the function's code lies inside the published,
            // readable region.
            let code = unsafe { std::slice::from_raw_parts(start, len) }.to_vec();
            let code_range = range.start..range.end;
            funcs.push(CompiledFunction {
                code,
                alignment: self.alignments[i],
                relocs: self.relocs[i].clone(),
                traps: entries_within(&info.traps, &code_range),
                srclocs: entries_within(&info.address_map, &code_range),
                func_index: range.func_index,
                body_offset: range.body_offset,
            });
        }
        funcs
    }

    /// The entry of defined function `defined_index` (counted among
    /// defined functions only).
    pub fn func_ptr(&self, defined_index: u32) -> *const u8 {
        self.memory.func_ptr(defined_index as usize)
    }

    /// The registry identity of the code region.
    pub fn code_id(&self) -> usize {
        self.memory.info().code_id
    }
}

/// Translates and compiles every defined function of `info` (whose binary
/// is `wasm`) and publishes the code.
pub fn compile_module(
    engine: &Engine,
    info: &ModuleInfo,
    plans: &[MemoryPlan],
    wasm: &[u8],
) -> Result<CompiledModule> {
    let config = engine.config();
    let env = ModuleEnv {
        info,
        offsets: VMOffsets::new(info),
        plans,
        isa: engine.isa(),
        consume_fuel: config.consume_fuel(),
        epoch_interruption: config.epoch_interruption(),
        signals_based_traps: config.signals_based_traps(),
    };
    let address_map = config.generate_address_map();
    let clif_dir = config.emit_clif().map(|p| p.to_path_buf());
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
        )
        .map_err(|e| anyhow!("compiling function {func_index}: {e:#}"))
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
            let msg = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_string());
            // The builder context may be half-updated: start afresh.
            *builder_ctx = FunctionBuilderContext::new();
            *ctx = Context::new();
            Err(anyhow!(
                "internal compiler error in function {func_index}: {msg}"
            ))
        })
    };

    let threads = if config.parallel_compilation() {
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
    CompiledModule::publish(&funcs)
}
