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
//!   when it returns 0, else loads the results from the array.
//!
//! The runtime publishes them (see `environ::TrampolineCompiler`, which
//! `CraneliftTrampolines` implements for the engine).

use super::trap_codes::ToTrapCode;
use super::{finish_function, ir_type, start_entry_block, wasm_signature};
use crate::environ::compiled_code::{CompiledFunction, TrampolineCompiler};
use crate::environ::vmoffsets::host_func_ctx;
use crate::environ::FuncType;
use crate::environ::TrapKind;
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
    /// Trampolines compiled for `isa`.
    pub fn new(isa: OwnedTargetIsa) -> CraneliftTrampolines {
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
    for ty in types {
        ctx.clear();
        ctx.func = array_to_wasm_function(isa, ty, &mut builder_ctx);
        funcs.push(finish_function(isa, &mut ctx, u32::MAX, 0, false, &|_| {
            None
        })?);
        ctx.clear();
        ctx.func = wasm_to_host_function(isa, ty, &mut builder_ctx);
        funcs.push(finish_function(isa, &mut ctx, u32::MAX, 0, false, &|_| {
            None
        })?);
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
    b.ins().trapz(ok, TrapKind::HostTrap.to_trap_code());
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
