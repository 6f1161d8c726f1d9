//! Per-signature trampolines between the host and compiled wasm.
//!
//! - host → wasm (`ArrayToWasmTrampoline`, platform C convention):
//!   `(wasm_call, callee_vmctx, caller_vmctx, values)` loads the arguments
//!   from the `ValRaw` array, calls `wasm_call` with the `tail` convention
//!   and stores the results back into the array.
//! - wasm → host (`tail` convention, a `wasm_call` like any wasm
//!   function): spills the arguments into a stack array of `ValRaw`, calls
//!   `array_call` from the callee's `VMHostFuncContext` with the C
//!   convention, passing its own frame pointer (the runtime walks the wasm
//!   frames above it when the host function fails), traps with `HostTrap`
//!   when it returns 0, else loads the results from the array. Without
//!   signals-based traps that trap is a call to the `RaiseTrap` builtin
//!   found through the caller's `VMContext` (the caller of a wasm→host
//!   trampoline is always compiled wasm).
//!
//! The runtime publishes them (see `environ::TrampolineCompiler`, which
//! `CraneliftTrampolines` implements for the engine).

use super::trap_codes::ToTrapCode;
use super::{finish_function, ir_type, start_entry_block, wasm_signature};
use crate::environ::builtins::raise_trap_code;
use crate::environ::compiled_code::{CompiledFunction, TrampolineCompiler};
use crate::environ::vmoffsets::host_func_ctx;
use crate::environ::{BuiltinFunction, FuncType, TrapKind, Tunables, VMOffsets};
use anyhow::Result;
use cranelift_codegen::ir::{
    self, types, AbiParam, InstBuilder, MemFlagsData, Signature, StackSlotData, StackSlotKind,
    UserFuncName,
};
use cranelift_codegen::isa::{OwnedTargetIsa, TargetIsa};
use cranelift_codegen::Context;
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};

/// Size of one `ValRaw` slot.
const VAL_RAW_SIZE: u32 = 16;

/// The trampolines of an engine's signatures, compiled for its ISA: what
/// the engine hands the runtime as its `TrampolineCompiler`.
pub struct CraneliftTrampolines {
    isa: OwnedTargetIsa,
}

impl CraneliftTrampolines {
    /// Trampolines compiled for `isa`. They raise a failed host call's
    /// trap through `RaiseTrap` whatever `signals_based_traps` says (the
    /// runtime may turn it into a throw), so `tunables` does not shape
    /// them.
    pub fn new(isa: OwnedTargetIsa, _tunables: &Tunables) -> CraneliftTrampolines {
        CraneliftTrampolines { isa }
    }
}

impl TrampolineCompiler for CraneliftTrampolines {
    fn compile_trampolines(&self, types: &[FuncType]) -> Result<Vec<CompiledFunction>> {
        compile_trampolines(&*self.isa, types)
    }
}

/// Compiles both trampolines for every type in `types`: for type `i`, the
/// host→wasm one is function `2 * i` and the wasm→host one `2 * i + 1`.
pub fn compile_trampolines(
    isa: &dyn TargetIsa,
    types: &[FuncType],
) -> Result<Vec<CompiledFunction>> {
    let mut builder_ctx = FunctionBuilderContext::new();
    let mut ctx = Context::new();
    let mut funcs: Vec<CompiledFunction> = Vec::with_capacity(types.len() * 2);
    // Trampolines have no wasm function, offsets or callees of their own,
    // and are compiled once per engine (no incremental cache).
    let finish = |ctx: &mut Context| finish_function(isa, ctx, u32::MAX, 0, false, &|_| None, None);
    for ty in types {
        ctx.clear();
        ctx.func = array_to_wasm_function(isa, ty, &mut builder_ctx);
        funcs.push(finish(&mut ctx)?);
        ctx.clear();
        ctx.func = wasm_to_host_function(isa, ty, &mut builder_ctx);
        funcs.push(finish(&mut ctx)?);
    }
    Ok(funcs)
}

fn array_to_wasm_function(
    isa: &dyn TargetIsa,
    ty: &FuncType,
    builder_ctx: &mut FunctionBuilderContext,
) -> ir::Function {
    let ptr = isa.pointer_type();
    let mut sig = Signature::new(isa.default_call_conv());
    sig.params.extend([AbiParam::new(ptr); 4]);
    let mut func = ir::Function::with_name_signature(UserFuncName::user(1, 0), sig);
    let mut b = FunctionBuilder::new(&mut func, builder_ctx);
    let block = start_entry_block(&mut b);
    let [wasm_call, callee_vmctx, caller_vmctx, values] = *b.block_params(block) else {
        unreachable!("four parameters were declared")
    };
    let flags = MemFlagsData::trusted();
    let mut args = vec![callee_vmctx, caller_vmctx];
    for (i, &param) in ty.params.iter().enumerate() {
        let offset = (i as u32 * VAL_RAW_SIZE) as i32;
        args.push(b.ins().load(ir_type(param), flags, values, offset));
    }
    let wasm_sig = b.import_signature(wasm_signature(isa, ty));
    let call = b.ins().call_indirect(wasm_sig, wasm_call, &args);
    let results = b.inst_results(call).to_vec();
    for (i, result) in results.into_iter().enumerate() {
        let offset = (i as u32 * VAL_RAW_SIZE) as i32;
        b.ins().store(flags, result, values, offset);
    }
    b.ins().return_(&[]);
    b.finalize(isa.frontend_config());
    func
}

fn wasm_to_host_function(
    isa: &dyn TargetIsa,
    ty: &FuncType,
    builder_ctx: &mut FunctionBuilderContext,
) -> ir::Function {
    let ptr = isa.pointer_type();
    let mut func =
        ir::Function::with_name_signature(UserFuncName::user(1, 1), wasm_signature(isa, ty));
    let mut b = FunctionBuilder::new(&mut func, builder_ctx);
    let block = start_entry_block(&mut b);
    let params = b.block_params(block).to_vec();
    let (callee_vmctx, caller_vmctx) = (params[0], params[1]);
    let slots = ty.params.len().max(ty.results.len()).max(1) as u32;
    let slot = b.create_sized_stack_slot(StackSlotData::new(
        StackSlotKind::ExplicitSlot,
        slots * VAL_RAW_SIZE,
        4,
    ));
    let values = b.ins().stack_addr(ptr, slot, 0);
    let flags = MemFlagsData::trusted();
    for (i, &arg) in params[2..].iter().enumerate() {
        b.ins()
            .store(flags, arg, values, (i as u32 * VAL_RAW_SIZE) as i32);
    }
    let array_call = b.ins().load(
        ptr,
        flags.with_readonly(),
        callee_vmctx,
        host_func_ctx::ARRAY_CALL as i32,
    );
    let mut host_sig = Signature::new(isa.default_call_conv());
    host_sig.params.extend([AbiParam::new(ptr); 5]);
    host_sig.returns.push(AbiParam::new(types::I32));
    let host_sig = b.import_signature(host_sig);
    let len = b.ins().iconst(ptr, i64::from(slots));
    // This frame's record (saved frame pointer, return address into the
    // wasm caller) starts the walk of a failed call's wasm frames: frame
    // pointers are always kept (`preserve_frame_pointers`).
    let exit_fp = b.ins().get_frame_pointer(ptr);
    let call = b.ins().call_indirect(
        host_sig,
        array_call,
        &[callee_vmctx, caller_vmctx, values, len, exit_fp],
    );
    let ok = b.inst_results(call)[0];
    // Through `RaiseTrap` even with signals: a host function may have
    // failed by throwing, and the runtime then unwinds from this frame to
    // a wasm handler (see `traphandlers::raise_trap_at`).
    raise_host_trap_unless(&mut b, isa, ok, caller_vmctx);
    let results: Vec<_> = ty
        .results
        .iter()
        .enumerate()
        .map(|(i, &t)| {
            b.ins()
                .load(ir_type(t), flags, values, (i as u32 * VAL_RAW_SIZE) as i32)
        })
        .collect();
    b.ins().return_(&results);
    b.finalize(isa.frontend_config());
    func
}

/// Without signals: when `ok` is 0, calls the `RaiseTrap` builtin of
/// `caller_vmctx` (a wasm instance's `VMContext`) with `HostTrap`, in a
/// cold block; continues in a new block otherwise.
fn raise_host_trap_unless(
    b: &mut FunctionBuilder<'_>,
    isa: &dyn TargetIsa,
    ok: ir::Value,
    caller_vmctx: ir::Value,
) {
    let ptr = isa.pointer_type();
    let raise_block = b.create_block();
    let cont = b.create_block();
    b.set_cold_block(raise_block);
    b.ins().brif(ok, cont, &[], raise_block, &[]);
    b.seal_block(raise_block);
    b.seal_block(cont);
    b.switch_to_block(raise_block);
    let readonly = MemFlagsData::trusted().with_readonly();
    let builtins = b
        .ins()
        .load(ptr, readonly, caller_vmctx, VMOffsets::BUILTINS as i32);
    let raise = BuiltinFunction::RaiseTrap;
    let entry = b
        .ins()
        .load(ptr, readonly, builtins, raise.table_offset() as i32);
    let mut sig = Signature::new(isa.default_call_conv());
    sig.params.push(AbiParam::new(ptr));
    sig.params.push(AbiParam::new(types::I32));
    let sig = b.import_signature(sig);
    let code = b
        .ins()
        .iconst(types::I32, i64::from(raise_trap_code(TrapKind::HostTrap)));
    b.ins().call_indirect(sig, entry, &[caller_vmctx, code]);
    // `RaiseTrap` never returns; the block still needs a terminator, and
    // this one is never executed.
    b.ins().trap(TrapKind::HostTrap.to_trap_code());
    b.switch_to_block(cont);
}
