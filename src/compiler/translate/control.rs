//! Control flow and calls: `block`, `loop`, `if`/`else`, `end`, the
//! branches (`br_on_null` and `br_on_non_null` among them), `return`,
//! `unreachable`, and direct, indirect, by-reference and tail calls.
//!
//! Each construct is a [`Frame`]. Its exit block (`next`) takes the
//! frame's results as block parameters; a loop's header takes the loop's
//! parameters. A branch to a loop jumps to its header with the parameters,
//! any other branch jumps to the exit with the results.

use super::func_env::Callee;
use super::{block_args, reader_error, FuncTranslator, Offer, FUNC_NAMESPACE};
use crate::compiler::{ir_type, wasm_signature};
use crate::environ::vmoffsets::func_ref;
use crate::environ::ValType;
use crate::environ::{TrapKind, VMOffsets};
use anyhow::Result;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{
    types, Block, ExtFuncData, ExternalName, FuncRef, InstBuilder, JumpTableData, SigRef,
    UserExternalName, Value,
};
use wasmparser::{BlockType, Operator};

/// What kind of construct a control frame is.
pub(super) enum FrameKind {
    Block,
    /// A `try_table`: a block whose catch clauses are in scope until its
    /// end (see `exceptions`).
    TryTable,
    Loop {
        header: Block,
    },
    If {
        else_block: Block,
        else_seen: bool,
    },
}

/// One open `block`, `loop` or `if` (or the function body itself).
pub(super) struct Frame {
    kind: FrameKind,
    /// Where control continues after the frame; takes the results.
    next: Block,
    /// The frame's parameter types (the operands it takes on entry).
    params: Vec<ValType>,
    /// The frame's result types (the parameters of `next`).
    results: Vec<ValType>,
    /// Operand stack height below the frame's parameters.
    stack_base: usize,
    /// Whether some branch targets `next`.
    branched_to_exit: bool,
}

impl FuncTranslator<'_, '_> {
    /// Translates `op` if it is a control or call operator.
    pub(super) fn control_operator<'w>(&mut self, op: Operator<'w>) -> Offer<'w> {
        use Operator as O;
        match op {
            O::Unreachable => {
                self.trap(TrapKind::UnreachableCodeReached);
                self.reachable = false;
            }
            O::Nop => {}
            O::Block { blockty } => self.op_block(blockty)?,
            O::Loop { blockty } => self.op_loop(blockty)?,
            O::If { blockty } => self.op_if(blockty)?,
            O::Else => self.op_else(),
            O::End => self.op_end(),
            O::Br { relative_depth } => self.op_br(relative_depth),
            O::BrIf { relative_depth } => self.op_br_if(relative_depth),
            O::BrTable { targets } => self.op_br_table(&targets)?,
            O::Return => self.op_return(),
            O::Call { function_index } => self.op_call(function_index, false),
            O::CallIndirect {
                type_index,
                table_index,
            } => self.op_call_indirect(type_index, table_index, false),
            // An allocator function's tail calls become calls and a
            // return, so its result reaches `wmemcheck`'s exit hook.
            O::ReturnCall { function_index } if self.alloc_role.is_some() => {
                self.op_call(function_index, false);
                self.op_return();
            }
            O::ReturnCallIndirect {
                type_index,
                table_index,
            } if self.alloc_role.is_some() => {
                self.op_call_indirect(type_index, table_index, false);
                self.op_return();
            }
            O::ReturnCallRef { type_index } if self.alloc_role.is_some() => {
                self.op_call_ref(type_index, false);
                self.op_return();
            }
            O::ReturnCall { function_index } => self.op_call(function_index, true),
            O::ReturnCallIndirect {
                type_index,
                table_index,
            } => self.op_call_indirect(type_index, table_index, true),
            O::CallRef { type_index } => self.op_call_ref(type_index, false),
            O::ReturnCallRef { type_index } => self.op_call_ref(type_index, true),
            O::BrOnNull { relative_depth } => self.op_br_on_null(relative_depth),
            O::BrOnNonNull { relative_depth } => self.op_br_on_non_null(relative_depth),
            other => return Ok(Some(other)),
        }
        Ok(None)
    }

    /// Parameter and result types of a block type.
    fn block_type(&self, bt: BlockType) -> Result<(Vec<ValType>, Vec<ValType>)> {
        Ok(match bt {
            BlockType::Empty => (vec![], vec![]),
            BlockType::Type(t) => (vec![], vec![self.wasm_val_type(t)]),
            BlockType::FuncType(i) => {
                let ft = self.env.info.sig(i);
                (ft.params.to_vec(), ft.results.to_vec())
            }
        })
    }

    /// A new block taking parameters of the wasm types `tys`.
    pub(super) fn block_with_params(&mut self, tys: &[ValType]) -> Block {
        let block = self.builder.create_block();
        for &t in tys {
            self.builder.append_block_param(block, ir_type(t));
        }
        block
    }

    fn jump(&mut self, target: Block, args: &[Value]) {
        let args = block_args(args);
        self.builder.ins().jump(target, &args);
    }

    /// Pushes `block`'s parameters, of wasm types `tys`, onto the operand
    /// stack.
    fn push_block_params(&mut self, block: Block, tys: &[ValType]) {
        let params = self.builder.block_params(block).to_vec();
        self.push_all(&params, tys);
    }

    /// Opens a control frame exiting to `next`, whose parameters (of types
    /// `params`) are the top of the operand stack.
    pub(super) fn push_frame(
        &mut self,
        kind: FrameKind,
        next: Block,
        params: Vec<ValType>,
        results: Vec<ValType>,
    ) {
        let stack_base = self.stack.len() - params.len();
        self.frames.push(Frame {
            kind,
            next,
            params,
            results,
            stack_base,
            branched_to_exit: false,
        });
    }

    fn op_block(&mut self, bt: BlockType) -> Result<()> {
        self.open_block(bt, FrameKind::Block)
    }

    /// Opens a block-like frame (`block`, `try_table`) of type `bt`.
    pub(super) fn open_block(&mut self, bt: BlockType, kind: FrameKind) -> Result<()> {
        let (params, results) = self.block_type(bt)?;
        let next = self.block_with_params(&results);
        self.push_frame(kind, next, params, results);
        Ok(())
    }

    fn op_loop(&mut self, bt: BlockType) -> Result<()> {
        let (params, results) = self.block_type(bt)?;
        let header = self.block_with_params(&params);
        let next = self.block_with_params(&results);
        let args = self.pop_values(params.len());
        self.jump(header, &args);
        self.builder.switch_to_block(header);
        self.push_block_params(header, &params);
        let kind = FrameKind::Loop { header };
        self.push_frame(kind, next, params, results);
        Ok(())
    }

    fn op_if(&mut self, bt: BlockType) -> Result<()> {
        let (params, results) = self.block_type(bt)?;
        let cond = self.pop();
        let then_block = self.block_with_params(&params);
        let else_block = self.block_with_params(&params);
        let next = self.block_with_params(&results);
        let args = block_args(&self.pop_values(params.len()));
        self.builder
            .ins()
            .brif(cond, then_block, &args, else_block, &args);
        self.builder.seal_block(then_block);
        self.builder.seal_block(else_block);
        self.builder.switch_to_block(then_block);
        self.push_block_params(then_block, &params);
        let kind = FrameKind::If {
            else_block,
            else_seen: false,
        };
        self.push_frame(kind, next, params, results);
        Ok(())
    }

    pub(super) fn op_else(&mut self) {
        let reachable = self.reachable;
        let results = if reachable {
            let n = self
                .frames
                .last()
                .expect("validated: in a frame")
                .results
                .len();
            Some(self.pop_values(n))
        } else {
            None
        };
        let frame = self.frames.last_mut().expect("validated: in a frame");
        let FrameKind::If {
            else_block,
            else_seen,
        } = &mut frame.kind
        else {
            unreachable!("validated: else only ends an if")
        };
        *else_seen = true;
        let else_block = *else_block;
        let next = frame.next;
        if results.is_some() {
            frame.branched_to_exit = true;
        }
        let stack_base = frame.stack_base;
        let params = frame.params.clone();
        if let Some(results) = results {
            self.jump(next, &results);
        }
        self.stack.truncate(stack_base);
        self.builder.switch_to_block(else_block);
        self.push_block_params(else_block, &params);
        self.reachable = true;
    }

    pub(super) fn op_end(&mut self) {
        let frame = self.frames.pop().expect("validated: in a frame");
        if self.reachable {
            let results = self.pop_values(frame.results.len());
            self.jump(frame.next, &results);
        }
        let mut next_reachable = self.reachable || frame.branched_to_exit;
        match frame.kind {
            FrameKind::If {
                else_block,
                else_seen: false,
            } => {
                // No else: the false branch passes the parameters through.
                self.builder.switch_to_block(else_block);
                let params = self.builder.block_params(else_block).to_vec();
                self.jump(frame.next, &params);
                next_reachable = true;
            }
            FrameKind::Loop { header } => self.builder.seal_block(header),
            FrameKind::TryTable => self.close_try_scope(),
            _ => {}
        }
        self.stack.truncate(frame.stack_base);
        if next_reachable {
            self.builder.switch_to_block(frame.next);
            self.builder.seal_block(frame.next);
        }
        // The exit's parameters are the frame's results; when nothing
        // reaches the exit they are placeholders, never used, that keep the
        // stack shape for the dead code that follows.
        self.push_block_params(frame.next, &frame.results);
        self.reachable = next_reachable;
    }

    /// The block and argument count of a branch to relative depth `depth`.
    pub(super) fn branch_target(&mut self, depth: u32) -> (Block, usize) {
        let i = self.frames.len() - 1 - depth as usize;
        let frame = &mut self.frames[i];
        match frame.kind {
            FrameKind::Loop { header } => (header, frame.params.len()),
            _ => {
                frame.branched_to_exit = true;
                (frame.next, frame.results.len())
            }
        }
    }

    fn op_br(&mut self, depth: u32) {
        let (target, n) = self.branch_target(depth);
        let args = self.peek_values(n);
        self.jump(target, &args);
        self.reachable = false;
    }

    fn op_br_if(&mut self, depth: u32) {
        let cond = self.pop();
        let (target, n) = self.branch_target(depth);
        let args = block_args(&self.peek_values(n));
        let cont = self.builder.create_block();
        self.builder.ins().brif(cond, target, &args, cont, &[]);
        self.builder.seal_block(cont);
        self.builder.switch_to_block(cont);
    }

    /// `br_on_null`: branches (with the operands below the reference) when
    /// the reference is null, else leaves it on the stack, non-null.
    fn op_br_on_null(&mut self, depth: u32) {
        let operand = self.pop_operand();
        let (target, n) = self.branch_target(depth);
        let args = block_args(&self.peek_values(n));
        let cont = self.builder.create_block();
        self.builder
            .ins()
            .brif(operand.value, cont, &[], target, &args);
        self.builder.seal_block(cont);
        self.builder.switch_to_block(cont);
        self.push(operand.value, super::table::as_non_null(operand.ty));
    }

    /// `br_on_non_null`: branches with the reference (non-null) on top of
    /// the branch's operands when it is not null, else drops it.
    fn op_br_on_non_null(&mut self, depth: u32) {
        let operand = self
            .stack
            .last()
            .copied()
            .expect("validated: a reference operand");
        let (target, n) = self.branch_target(depth);
        let args = block_args(&self.peek_values(n));
        let cont = self.builder.create_block();
        self.builder
            .ins()
            .brif(operand.value, target, &args, cont, &[]);
        self.builder.seal_block(cont);
        self.builder.switch_to_block(cont);
        self.stack.pop();
    }

    fn op_br_table(&mut self, targets: &wasmparser::BrTable<'_>) -> Result<()> {
        let index = self.pop();
        let (default_block, n) = self.branch_target(targets.default());
        let args = block_args(&self.peek_values(n));
        let default_call = self.builder.func.dfg.block_call(default_block, &args);
        let mut calls = Vec::with_capacity(targets.len() as usize);
        for depth in targets.targets() {
            let (block, _) = self.branch_target(depth.map_err(reader_error)?);
            calls.push(self.builder.func.dfg.block_call(block, &args));
        }
        let jt = self
            .builder
            .create_jump_table(JumpTableData::new(default_call, &calls));
        self.builder.ins().br_table(index, jt);
        self.reachable = false;
        Ok(())
    }

    fn op_return(&mut self) {
        let n = self.frames[0].results.len();
        let results = self.peek_values(n);
        self.emit_return(&results);
        self.reachable = false;
    }

    // ----- calls -----

    fn sig_ref(&mut self, type_index: u32) -> SigRef {
        if let Some(s) = self.sig_refs.get(&type_index) {
            return *s;
        }
        let sig = wasm_signature(self.env.isa, self.env.info.sig(type_index));
        let s = self.builder.import_signature(sig);
        self.sig_refs.insert(type_index, s);
        s
    }

    fn direct_func_ref(&mut self, func_index: u32) -> FuncRef {
        if let Some(f) = self.func_refs.get(&func_index) {
            return *f;
        }
        let type_index = self.env.info.functions[func_index as usize];
        let signature = self.sig_ref(type_index);
        let name = self
            .builder
            .func
            .declare_imported_user_function(UserExternalName::new(FUNC_NAMESPACE, func_index));
        let f = self.builder.import_function(ExtFuncData {
            name: ExternalName::user(name),
            signature,
            colocated: true,
            patchable: false,
        });
        self.func_refs.insert(func_index, f);
        f
    }

    /// The arguments of a call: the callee's `vmctx`, the caller's, then
    /// the `n` parameters popped from the operand stack.
    fn call_args(&mut self, callee_vmctx: Value, n: usize) -> Vec<Value> {
        let mut args = Vec::with_capacity(n + 2);
        args.push(callee_vmctx);
        args.push(self.vmctx);
        args.extend(self.pop_values(n));
        args
    }

    /// Calls the code at `callee` (signature `sig`, results of types
    /// `results`): a tail call ends the block, an ordinary call pushes its
    /// results.
    fn emit_call_indirect(
        &mut self,
        sig: SigRef,
        callee: Value,
        args: &[Value],
        results: &[ValType],
        tail: bool,
    ) {
        if tail {
            self.builder.ins().return_call_indirect(sig, callee, args);
            self.reachable = false;
        } else {
            let values = self.emit_call(Callee::Indirect(sig, callee), args);
            self.push_all(&values, results);
        }
    }

    fn op_call(&mut self, func_index: u32, tail: bool) {
        let info = self.env.info;
        let ty = info.func_type(func_index);
        let n = ty.params.len();
        if info.is_imported_func(func_index) {
            let at = self.offsets().func_ref(func_index);
            let callee = self.load_ptr(self.vmctx, at + func_ref::WASM_CALL);
            let callee_vmctx = self.load_ptr(self.vmctx, at + func_ref::VMCTX);
            let args = self.call_args(callee_vmctx, n);
            let sig = self.sig_ref(info.functions[func_index as usize]);
            self.emit_call_indirect(sig, callee, &args, &ty.results, tail);
        } else {
            let args = self.call_args(self.vmctx, n);
            let f = self.direct_func_ref(func_index);
            if tail {
                self.builder.ins().return_call(f, &args);
                self.reachable = false;
            } else {
                let values = self.emit_call(Callee::Direct(f), &args);
                self.push_all(&values, &ty.results);
            }
        }
    }

    /// `call_ref` / `return_call_ref`: calls the function the reference on
    /// top of the stack names, trapping on null. Validation proved the
    /// function's type is `type_index`, so there is no signature check.
    fn op_call_ref(&mut self, type_index: u32, tail: bool) {
        let funcref = self.pop();
        self.trapz(funcref, TrapKind::NullReference);
        self.call_func_ref(funcref, type_index, tail);
    }

    /// Calls the function of the non-null `*const VMFuncRef` `funcref`,
    /// of type `type_index`, with its `wasm_call` and `vmctx`.
    fn call_func_ref(&mut self, funcref: Value, type_index: u32, tail: bool) {
        let ptr = self.env.isa.pointer_type();
        let flags = self.vm_flags.with_readonly();
        let callee = self
            .builder
            .ins()
            .load(ptr, flags, funcref, func_ref::WASM_CALL as i32);
        let callee_vmctx = self
            .builder
            .ins()
            .load(ptr, flags, funcref, func_ref::VMCTX as i32);
        let info = self.env.info;
        let ty = info.sig(type_index);
        let args = self.call_args(callee_vmctx, ty.params.len());
        let sig = self.sig_ref(type_index);
        self.emit_call_indirect(sig, callee, &args, &ty.results, tail);
    }

    fn op_call_indirect(&mut self, type_index: u32, table: u32, tail: bool) {
        let index = self.pop();
        let funcref = self.table_elem_get(table, index);
        self.trapz(funcref, TrapKind::IndirectCallToNull);
        let actual = self.builder.ins().load(
            types::I32,
            self.vm_flags.with_readonly(),
            funcref,
            func_ref::TYPE_ID as i32,
        );
        if self.env.info.types[type_index as usize].is_final {
            let ids = self.load_ptr(self.vmctx, VMOffsets::TYPE_IDS);
            let expected = self.builder.ins().load(
                types::I32,
                self.vm_readonly_flags,
                ids,
                (type_index * 4) as i32,
            );
            let mismatch = self.builder.ins().icmp(IntCC::NotEqual, actual, expected);
            self.trapnz(mismatch, TrapKind::BadSignature);
        } else {
            // A function of a declared subtype matches too (GC).
            let matches = self.type_id_matches(actual, type_index);
            self.trapz(matches, TrapKind::BadSignature);
        }
        self.call_func_ref(funcref, type_index, tail);
    }
}
