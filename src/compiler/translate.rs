//! Translation of one wasm function body to Cranelift IR.
//!
//! The operand stack is a `Vec<Value>`; wasm locals are Cranelift
//! `Variable`s (SSA construction is the frontend's job); every
//! `block`/`loop`/`if` is a control frame whose exit block takes the
//! results as block parameters (a loop's header takes its parameters).
//! After `br`, `br_table`, `return`, `unreachable` and tail calls the code
//! up to the end of the enclosing frame is dead and skipped, counting only
//! nested frame starts and ends.
//!
//! The runtime data compiled code touches is described in
//! `runtime::vmoffsets` (the `VMContext` layout) and `runtime::builtins`
//! (libcalls); memory accesses follow each memory's `MemoryPlan`.

use super::trap_codes::ToTrapCode;
use super::{ir_type, start_entry_block, wasm_signature, ModuleEnv, FUNC_NAMESPACE};
use crate::environ::error::{Error, ErrorKind};
use crate::environ::vmoffsets::{func_ref, memory_def, runtime_limits, table_def};
use crate::environ::{BuiltinFunction, BuiltinType, TrapKind, VMOffsets};
use crate::environ::{FuncType, ValType};
use anyhow::{anyhow, Result};
use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::immediates::{Ieee32, Ieee64};
use cranelift_codegen::ir::{
    self, types, AbiParam, AliasRegionData, Block, BlockArg, ExtFuncData, ExternalName, FuncRef,
    GlobalValueData, InstBuilder, JumpTableData, MemFlagsData, SigRef, Signature, SourceLoc, Type,
    UserExternalName, UserFuncName, Value,
};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext, Variable};
use std::collections::HashMap;
use std::ops::Range;
use wasmparser::{BinaryReader, BlockType, FunctionBody, MemArg, MemArgTarget, Operator};

/// Translates the body at `range` of `wasm` (defined function
/// `func_index`) to a Cranelift function.
pub(crate) fn translate_function(
    env: &ModuleEnv<'_>,
    builder_ctx: &mut FunctionBuilderContext,
    func_index: u32,
    wasm: &[u8],
    range: Range<usize>,
) -> Result<ir::Function> {
    let ty = env.info.func_type(func_index).clone();
    let mut func = ir::Function::with_name_signature(
        UserFuncName::user(FUNC_NAMESPACE, func_index),
        wasm_signature(env.isa, &ty),
    );
    // Stack limit: `*(*(vmctx + RUNTIME_LIMITS) + STACK_LIMIT)`, checked by
    // Cranelift in the prologue.
    let vmctx_gv = func.create_global_value(GlobalValueData::VMContext);
    let readonly = func
        .dfg
        .mem_flags
        .insert(MemFlagsData::trusted().with_readonly())
        .map_err(|_| anyhow!("too many memory flag sets"))?;
    let limits_gv = func.create_global_value(GlobalValueData::Load {
        base: vmctx_gv,
        offset: (VMOffsets::RUNTIME_LIMITS as i32).into(),
        global_type: env.isa.pointer_type(),
        flags: readonly,
    });
    let stack_limit = func.create_global_value(GlobalValueData::Load {
        base: limits_gv,
        offset: (runtime_limits::STACK_LIMIT as i32).into(),
        global_type: env.isa.pointer_type(),
        flags: readonly,
    });
    func.stack_limit = Some(stack_limit);

    // Disjoint alias regions let Cranelift keep, say, a global's value in a
    // register across stores to linear memory.
    let mut region = |user_id: u32, description: &'static str| {
        Some(func.dfg.alias_regions.insert(AliasRegionData {
            user_id,
            description: description.into(),
        }))
    };
    let (heap_region, vm_region, table_region) =
        (region(0, "heap"), region(1, "vmctx"), region(2, "table"));
    let vm = MemFlagsData::trusted().with_alias_region(vm_region);
    let body = FunctionBody::new(BinaryReader::new(&wasm[range.clone()], range.start as u64));
    let builder = FunctionBuilder::new(&mut func, builder_ctx);
    let mut t = FuncTranslator {
        env,
        b: builder,
        vmctx: Value::from_u32(0),
        locals: Vec::new(),
        stack: Vec::new(),
        frames: Vec::new(),
        reachable: true,
        dead_depth: 0,
        op_offset: 0,
        fuel_pending: 0,
        sig_refs: HashMap::new(),
        func_refs: HashMap::new(),
        builtin_sigs: HashMap::new(),
        heap: MemFlagsData::new()
            .with_trap_code(Some(TrapKind::MemoryOutOfBounds.to_trap_code()))
            .with_alias_region(heap_region),
        vm,
        vm_ro: vm.with_readonly().with_can_move(),
        table: MemFlagsData::trusted().with_alias_region(table_region),
        spectre_heap: env.isa.flags().enable_heap_access_spectre_mitigation(),
        spectre_table: env.isa.flags().enable_table_access_spectre_mitigation(),
    };
    t.translate(&ty, &body)?;
    t.b.finalize(env.isa.frontend_config());
    Ok(func)
}

/// What kind of construct a control frame is.
enum FrameKind {
    Block,
    Loop { header: Block },
    If { else_block: Block, else_seen: bool },
}

struct Frame {
    kind: FrameKind,
    /// Where control continues after the frame; takes the results.
    next: Block,
    num_params: usize,
    num_results: usize,
    /// Operand stack height below the frame's parameters.
    stack_base: usize,
    /// Whether some branch targets `next`.
    branched_to_exit: bool,
}

struct FuncTranslator<'a, 'f> {
    env: &'a ModuleEnv<'a>,
    b: FunctionBuilder<'f>,
    vmctx: Value,
    locals: Vec<Variable>,
    stack: Vec<Value>,
    frames: Vec<Frame>,
    /// False in dead code after an unconditional branch.
    reachable: bool,
    /// Frames opened inside dead code, whose ends are skipped too.
    dead_depth: u32,
    /// Byte offset of the operator being translated, for errors.
    op_offset: usize,
    /// Fuel of the operators translated since the count was last stored.
    fuel_pending: i64,
    sig_refs: HashMap<u32, SigRef>,
    func_refs: HashMap<u32, FuncRef>,
    builtin_sigs: HashMap<BuiltinFunction, SigRef>,
    /// Flags of a linear-memory access: may fault (a recorded trap site),
    /// in the heap alias region.
    heap: MemFlagsData,
    /// Flags of runtime data (VMContext fields, definitions, runtime
    /// limits, `VMFuncRef`s), in the vmctx alias region.
    vm: MemFlagsData,
    /// `vm` for data that never changes while code runs (definition
    /// pointers, a static memory's base, type ids): free to hoist.
    vm_ro: MemFlagsData,
    /// Flags of table element accesses, in the table alias region.
    table: MemFlagsData,
    /// Cranelift's `enable_heap_access_spectre_mitigation`: explicit memory
    /// bounds checks redirect out-of-bounds accesses to address 0 with
    /// `select_spectre_guard` (the engine turns it off without signals).
    spectre_heap: bool,
    /// Cranelift's `enable_table_access_spectre_mitigation`.
    spectre_table: bool,
}

fn block_args(values: &[Value]) -> Vec<BlockArg> {
    values.iter().map(|v| BlockArg::Value(*v)).collect()
}

fn unsupported(feature: &str, offset: usize) -> anyhow::Error {
    Error::unsupported(feature, offset).into()
}

/// The proposal an operator belongs to, for "not supported" errors.
fn operator_proposal(op: &Operator<'_>) -> &'static str {
    macro_rules! proposal_of {
        ($( @$proposal:ident $op:ident $({ $($arg:ident: $argty:ty),* })? => $visit:ident ($($ann:tt)*))*) => {
            match op {
                $( Operator::$op { .. } => stringify!($proposal), )*
                _ => "an unknown proposal",
            }
        };
    }
    wasmparser::for_each_operator!(proposal_of)
}

impl<'a> FuncTranslator<'a, '_> {
    fn translate(&mut self, ty: &FuncType, body: &FunctionBody<'_>) -> Result<()> {
        let entry = start_entry_block(&mut self.b);
        let params = self.b.block_params(entry).to_vec();
        self.vmctx = params[0];

        for (i, &p) in ty.params.iter().enumerate() {
            let var = self.b.declare_var(ir_type(p));
            self.b.def_var(var, params[2 + i]);
            self.locals.push(var);
        }
        let mut locals_reader = body.get_locals_reader().map_err(reader_error)?;
        for _ in 0..locals_reader.get_count() {
            let offset = locals_reader.original_position();
            let (count, ty) = locals_reader.read().map_err(reader_error)?;
            let ty = match ty {
                wasmparser::ValType::I32 => ValType::I32,
                wasmparser::ValType::I64 => ValType::I64,
                wasmparser::ValType::F32 => ValType::F32,
                wasmparser::ValType::F64 => ValType::F64,
                wasmparser::ValType::V128 => return Err(unsupported("simd", offset as usize)),
                wasmparser::ValType::Ref(_) => ValType::FuncRef,
            };
            let zero = self.zero(ty);
            for _ in 0..count {
                let var = self.b.declare_var(ir_type(ty));
                self.b.def_var(var, zero);
                self.locals.push(var);
            }
        }

        let exit = self.b.create_block();
        for &r in ty.results.iter() {
            self.b.append_block_param(exit, ir_type(r));
        }
        self.push_frame(FrameKind::Block, exit, 0, ty.results.len());

        self.interruption_checks();
        let mut reader = body.get_operators_reader().map_err(reader_error)?;
        while !self.frames.is_empty() {
            let (op, offset) = reader.read_with_offset().map_err(reader_error)?;
            let offset = offset as usize;
            self.b.set_srcloc(SourceLoc::new(offset as u32));
            self.op_offset = offset;
            if self.reachable {
                if self.env.tunables.consume_fuel {
                    self.fuel_before(&op);
                }
                let is_loop = matches!(op, Operator::Loop { .. });
                self.operator(op, offset)?;
                if is_loop {
                    self.interruption_checks();
                }
            } else {
                self.dead_operator(&op);
            }
        }
        // The function's frame ended: its exit block holds the results.
        if self.reachable {
            let results = self.pop_n(ty.results.len());
            self.b.ins().return_(&results);
        }
        Ok(())
    }

    /// Accounts for `op` in the fuel count: every operator costs 1 except
    /// the structural ones, and the count is written back to the store
    /// before anything that leaves straight-line code, so a trap or a call
    /// sees an exact count.
    fn fuel_before(&mut self, op: &Operator<'_>) {
        use Operator as O;
        let cost = match op {
            O::Nop
            | O::Drop
            | O::Block { .. }
            | O::Loop { .. }
            | O::Unreachable
            | O::Return
            | O::Else
            | O::End => 0,
            _ => 1,
        };
        self.fuel_pending += cost;
        let flush = matches!(
            op,
            O::Unreachable
                | O::Return
                | O::Call { .. }
                | O::CallIndirect { .. }
                | O::ReturnCall { .. }
                | O::ReturnCallIndirect { .. }
                | O::Br { .. }
                | O::BrIf { .. }
                | O::BrTable { .. }
                | O::Loop { .. }
                | O::If { .. }
                | O::Else
                | O::End
        );
        if flush && self.fuel_pending != 0 {
            let limits = self.load_ptr(self.vmctx, VMOffsets::RUNTIME_LIMITS);
            let at = runtime_limits::FUEL_CONSUMED;
            let fuel = self.load_vm_i64(limits, at);
            let fuel = self.b.ins().iadd_imm_s(fuel, self.fuel_pending);
            self.b.ins().store(self.vm, fuel, limits, at as i32);
            self.fuel_pending = 0;
        }
    }

    /// The fuel and epoch checks made at function entry and loop headers,
    /// so that every unbounded computation meets them.
    fn interruption_checks(&mut self) {
        if !self.env.tunables.consume_fuel && !self.env.tunables.epoch_interruption {
            return;
        }
        let limits = self.load_ptr(self.vmctx, VMOffsets::RUNTIME_LIMITS);
        if self.env.tunables.consume_fuel {
            let fuel = self.load_vm_i64(limits, runtime_limits::FUEL_CONSUMED);
            let out = self
                .b
                .ins()
                .icmp_imm_s(IntCC::SignedGreaterThanOrEqual, fuel, 0);
            self.b.ins().trapnz(out, TrapKind::OutOfFuel.to_trap_code());
        }
        if self.env.tunables.epoch_interruption {
            let deadline = self.load_vm_i64(limits, runtime_limits::EPOCH_DEADLINE);
            let counter = self.load_ptr(limits, runtime_limits::EPOCH_COUNTER_PTR);
            // An atomic load: the counter is an `AtomicU64` bumped by other
            // threads, and a plain load in a store-free loop could be
            // merged with the one at function entry.
            let epoch = self
                .b
                .ins()
                .atomic_load(types::I64, MemFlagsData::trusted(), counter);
            let due = self
                .b
                .ins()
                .icmp(IntCC::UnsignedGreaterThanOrEqual, epoch, deadline);
            self.b.ins().trapnz(due, TrapKind::Interrupt.to_trap_code());
        }
    }

    /// Skips an operator in dead code, tracking frame nesting.
    fn dead_operator(&mut self, op: &Operator<'_>) {
        match op {
            // Every construct that `end` closes, unsupported ones included,
            // so that nesting stays right in dead code.
            Operator::Block { .. }
            | Operator::Loop { .. }
            | Operator::If { .. }
            | Operator::TryTable { .. }
            | Operator::Try { .. } => self.dead_depth += 1,
            Operator::Else if self.dead_depth == 0 => self.op_else(),
            Operator::End if self.dead_depth > 0 => self.dead_depth -= 1,
            Operator::End => self.op_end(),
            _ => {}
        }
    }

    fn zero(&mut self, ty: ValType) -> Value {
        match ty {
            ValType::I32 => self.b.ins().iconst(types::I32, 0),
            ValType::F32 => self.b.ins().f32const(Ieee32::with_bits(0)),
            ValType::F64 => self.b.ins().f64const(Ieee64::with_bits(0)),
            _ => self.b.ins().iconst(types::I64, 0),
        }
    }

    fn pop(&mut self) -> Value {
        self.stack
            .pop()
            .expect("validated: operand stack not empty")
    }

    fn pop2(&mut self) -> (Value, Value) {
        let b = self.pop();
        let a = self.pop();
        (a, b)
    }

    fn pop3(&mut self) -> (Value, Value, Value) {
        let c = self.pop();
        let (a, b) = self.pop2();
        (a, b, c)
    }

    fn pop_n(&mut self, n: usize) -> Vec<Value> {
        let at = self.stack.len() - n;
        self.stack.split_off(at)
    }

    fn peek_n(&self, n: usize) -> &[Value] {
        &self.stack[self.stack.len() - n..]
    }

    fn push(&mut self, v: Value) {
        self.stack.push(v)
    }

    /// Parameter and result types of a block type.
    fn block_type(&self, bt: BlockType, offset: usize) -> Result<(Vec<Type>, Vec<Type>)> {
        Ok(match bt {
            BlockType::Empty => (vec![], vec![]),
            BlockType::Type(t) => (vec![], vec![self.val_type(t, offset)?]),
            BlockType::FuncType(i) => {
                let ft = &self.env.info.types[i as usize];
                (
                    ft.params.iter().map(|t| ir_type(*t)).collect(),
                    ft.results.iter().map(|t| ir_type(*t)).collect(),
                )
            }
        })
    }

    fn val_type(&self, t: wasmparser::ValType, offset: usize) -> Result<Type> {
        Ok(match t {
            wasmparser::ValType::I32 => types::I32,
            wasmparser::ValType::I64 => types::I64,
            wasmparser::ValType::F32 => types::F32,
            wasmparser::ValType::F64 => types::F64,
            wasmparser::ValType::V128 => return Err(unsupported("simd", offset)),
            wasmparser::ValType::Ref(_) => types::I64,
        })
    }

    fn block_with_params(&mut self, tys: &[Type]) -> Block {
        let block = self.b.create_block();
        for &t in tys {
            self.b.append_block_param(block, t);
        }
        block
    }

    fn jump(&mut self, target: Block, args: &[Value]) {
        let args = block_args(args);
        self.b.ins().jump(target, &args);
    }

    /// Pushes `block`'s parameters onto the operand stack.
    fn push_block_params(&mut self, block: Block) {
        self.stack.extend_from_slice(self.b.block_params(block));
    }

    /// Opens a control frame exiting to `next`, whose `num_params`
    /// parameters are the top of the operand stack.
    fn push_frame(&mut self, kind: FrameKind, next: Block, num_params: usize, num_results: usize) {
        self.frames.push(Frame {
            kind,
            next,
            num_params,
            num_results,
            stack_base: self.stack.len() - num_params,
            branched_to_exit: false,
        });
    }

    // ----- control -----

    fn op_block(&mut self, bt: BlockType, offset: usize) -> Result<()> {
        let (params, results) = self.block_type(bt, offset)?;
        let next = self.block_with_params(&results);
        self.push_frame(FrameKind::Block, next, params.len(), results.len());
        Ok(())
    }

    fn op_loop(&mut self, bt: BlockType, offset: usize) -> Result<()> {
        let (params, results) = self.block_type(bt, offset)?;
        let header = self.block_with_params(&params);
        let next = self.block_with_params(&results);
        let args = self.pop_n(params.len());
        self.jump(header, &args);
        self.b.switch_to_block(header);
        self.push_block_params(header);
        let kind = FrameKind::Loop { header };
        self.push_frame(kind, next, params.len(), results.len());
        Ok(())
    }

    fn op_if(&mut self, bt: BlockType, offset: usize) -> Result<()> {
        let (params, results) = self.block_type(bt, offset)?;
        let cond = self.pop();
        let then_block = self.block_with_params(&params);
        let else_block = self.block_with_params(&params);
        let next = self.block_with_params(&results);
        let args = block_args(&self.pop_n(params.len()));
        self.b
            .ins()
            .brif(cond, then_block, &args, else_block, &args);
        self.b.seal_block(then_block);
        self.b.seal_block(else_block);
        self.b.switch_to_block(then_block);
        self.push_block_params(then_block);
        let kind = FrameKind::If {
            else_block,
            else_seen: false,
        };
        self.push_frame(kind, next, params.len(), results.len());
        Ok(())
    }

    fn op_else(&mut self) {
        let reachable = self.reachable;
        let results = if reachable {
            let n = self
                .frames
                .last()
                .expect("validated: in a frame")
                .num_results;
            Some(self.pop_n(n))
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
        if let Some(results) = results {
            self.jump(next, &results);
        }
        self.stack.truncate(stack_base);
        self.b.switch_to_block(else_block);
        self.push_block_params(else_block);
        self.reachable = true;
    }

    fn op_end(&mut self) {
        let frame = self.frames.pop().expect("validated: in a frame");
        if self.reachable {
            let results = self.pop_n(frame.num_results);
            self.jump(frame.next, &results);
        }
        let mut next_reachable = self.reachable || frame.branched_to_exit;
        match frame.kind {
            FrameKind::If {
                else_block,
                else_seen: false,
            } => {
                // No else: the false branch passes the parameters through.
                self.b.switch_to_block(else_block);
                let params = self.b.block_params(else_block).to_vec();
                self.jump(frame.next, &params);
                next_reachable = true;
            }
            FrameKind::Loop { header } => self.b.seal_block(header),
            _ => {}
        }
        self.stack.truncate(frame.stack_base);
        if next_reachable {
            self.b.switch_to_block(frame.next);
            self.b.seal_block(frame.next);
        }
        // The exit's parameters are the frame's results; when nothing
        // reaches the exit they are placeholders, never used, that keep the
        // stack shape for the dead code that follows.
        self.push_block_params(frame.next);
        self.reachable = next_reachable;
    }

    /// The block and argument count of a branch to relative depth `depth`.
    fn branch_target(&mut self, depth: u32) -> (Block, usize) {
        let i = self.frames.len() - 1 - depth as usize;
        let frame = &mut self.frames[i];
        match frame.kind {
            FrameKind::Loop { header } => (header, frame.num_params),
            _ => {
                frame.branched_to_exit = true;
                (frame.next, frame.num_results)
            }
        }
    }

    fn op_br(&mut self, depth: u32) {
        let (target, n) = self.branch_target(depth);
        let args = self.peek_n(n).to_vec();
        self.jump(target, &args);
        self.reachable = false;
    }

    fn op_br_if(&mut self, depth: u32) {
        let cond = self.pop();
        let (target, n) = self.branch_target(depth);
        let args = block_args(self.peek_n(n));
        let cont = self.b.create_block();
        self.b.ins().brif(cond, target, &args, cont, &[]);
        self.b.seal_block(cont);
        self.b.switch_to_block(cont);
    }

    fn op_br_table(&mut self, targets: &wasmparser::BrTable<'_>) -> Result<()> {
        let index = self.pop();
        let (default_block, n) = self.branch_target(targets.default());
        let args = block_args(self.peek_n(n));
        let default_call = self.b.func.dfg.block_call(default_block, &args);
        let mut calls = Vec::with_capacity(targets.len() as usize);
        for depth in targets.targets() {
            let (block, _) = self.branch_target(depth.map_err(reader_error)?);
            calls.push(self.b.func.dfg.block_call(block, &args));
        }
        let jt = self
            .b
            .create_jump_table(JumpTableData::new(default_call, &calls));
        self.b.ins().br_table(index, jt);
        self.reachable = false;
        Ok(())
    }

    fn op_return(&mut self) {
        let n = self.frames[0].num_results;
        let results = self.peek_n(n).to_vec();
        self.b.ins().return_(&results);
        self.reachable = false;
    }

    // ----- runtime data -----

    fn load_ptr(&mut self, base: Value, offset: u32) -> Value {
        let ptr = self.env.isa.pointer_type();
        self.b.ins().load(ptr, self.vm_ro, base, offset as i32)
    }

    /// Loads the 64-bit runtime field at `base + offset`, one that may
    /// change while code runs (a length, the fuel count, a deadline).
    fn load_vm_i64(&mut self, base: Value, offset: u32) -> Value {
        self.b.ins().load(types::I64, self.vm, base, offset as i32)
    }

    fn offsets(&self) -> &VMOffsets {
        &self.env.offsets
    }

    /// The base value and offset of entity `index`'s definition, where the
    /// first `num_imported` indices are imports: an imported entity's
    /// `VMContext` slot holds a pointer to its definition (offset 0 from
    /// the loaded pointer), a defined one lives inline in the `VMContext`.
    fn definition(
        &mut self,
        index: u32,
        num_imported: u32,
        imported: fn(&VMOffsets, u32) -> u32,
        defined: fn(&VMOffsets, u32) -> u32,
    ) -> (Value, u32) {
        if index < num_imported {
            let at = imported(self.offsets(), index);
            (self.load_ptr(self.vmctx, at), 0)
        } else {
            (self.vmctx, defined(self.offsets(), index - num_imported))
        }
    }

    /// The base value and offset of memory `index`'s `VMMemoryDefinition`.
    fn memory_def(&mut self, index: u32) -> (Value, u32) {
        let n = self.env.info.num_imported_memories;
        self.definition(
            index,
            n,
            VMOffsets::imported_memory,
            VMOffsets::defined_memory,
        )
    }

    /// The base value and offset of table `index`'s `VMTableDefinition`.
    fn table_def(&mut self, index: u32) -> (Value, u32) {
        let n = self.env.info.num_imported_tables;
        self.definition(
            index,
            n,
            VMOffsets::imported_table,
            VMOffsets::defined_table,
        )
    }

    /// The base value and offset of global `index`'s `VMGlobalDefinition`.
    fn global_addr(&mut self, index: u32) -> (Value, u32) {
        let n = self.env.info.num_imported_globals;
        self.definition(
            index,
            n,
            VMOffsets::imported_global,
            VMOffsets::defined_global,
        )
    }

    /// The native address of a `size`-byte access at the popped index plus
    /// `memarg.offset`, bounds-checked as the memory's plan requires.
    fn heap_addr(&mut self, memarg: &MemArg, size: u32) -> Result<Value> {
        let memory = match memarg.target {
            MemArgTarget::Memory(m) => m,
            MemArgTarget::Array(_) => return Err(unsupported("gc", self.op_offset)),
        };
        let index = self.pop();
        let index = self.b.ins().uextend(types::I64, index);
        let plan = self.env.plans[memory as usize];
        let (def, at) = self.memory_def(memory);
        let base_flags = if plan.is_static() {
            self.vm_ro
        } else {
            self.vm
        };
        let base = self
            .b
            .ins()
            .load(types::I64, base_flags, def, (at + memory_def::BASE) as i32);
        let offset = memarg.offset;
        let addr = self.b.ins().iadd(base, index);
        let addr = if offset == 0 {
            addr
        } else {
            self.b.ins().iadd_imm_u(addr, offset as i64)
        };
        if plan.can_elide_bounds_check(offset, u64::from(size)) {
            return Ok(addr);
        }
        let len = self.load_vm_i64(def, at + memory_def::CURRENT_LENGTH);
        // A 32-bit index plus a 32-bit offset plus the size cannot overflow
        // 64 bits.
        let end = self
            .b
            .ins()
            .iadd_imm_u(index, (offset + u64::from(size)) as i64);
        let oob = self.b.ins().icmp(IntCC::UnsignedGreaterThan, end, len);
        Ok(if self.spectre_heap {
            // Even speculatively, an out-of-bounds access goes to address
            // 0, where the access faults: that fault is the trap (the
            // access is a recorded trap site), so no branch is needed.
            let null = self.b.ins().iconst(types::I64, 0);
            self.b.ins().select_spectre_guard(oob, null, addr)
        } else {
            self.b
                .ins()
                .trapnz(oob, TrapKind::MemoryOutOfBounds.to_trap_code());
            addr
        })
    }

    fn load(
        &mut self,
        memarg: &MemArg,
        size: u32,
        f: impl FnOnce(&mut Self, Value) -> Value,
    ) -> Result<()> {
        let addr = self.heap_addr(memarg, size)?;
        let v = f(self, addr);
        self.push(v);
        Ok(())
    }

    fn store(
        &mut self,
        memarg: &MemArg,
        size: u32,
        f: impl FnOnce(&mut Self, Value, Value),
    ) -> Result<()> {
        let value = self.pop();
        let addr = self.heap_addr(memarg, size)?;
        f(self, value, addr);
        Ok(())
    }

    /// The address of element `index` (an i32) of `table`, trapping with
    /// `trap` when it is out of bounds.
    fn table_elem_addr(&mut self, table: u32, index: Value, trap: TrapKind) -> Value {
        let (def, at) = self.table_def(table);
        let index = self.b.ins().uextend(types::I64, index);
        let len = self.load_vm_i64(def, at + table_def::CURRENT_ELEMENTS);
        let oob = self
            .b
            .ins()
            .icmp(IntCC::UnsignedGreaterThanOrEqual, index, len);
        self.b.ins().trapnz(oob, trap.to_trap_code());
        let base = self.load_vm_i64(def, at + table_def::BASE);
        let scaled = self.b.ins().ishl_imm_u(index, 3);
        let addr = self.b.ins().iadd(base, scaled);
        if self.spectre_table {
            // The trap above is architectural; this keeps a mispredicted
            // path from reading past the table either.
            self.b.ins().select_spectre_guard(oob, base, addr)
        } else {
            addr
        }
    }

    fn builtin_sig(&mut self, f: BuiltinFunction) -> SigRef {
        if let Some(s) = self.builtin_sigs.get(&f) {
            return *s;
        }
        let ptr = self.env.isa.pointer_type();
        let ty = |t: BuiltinType| match t {
            BuiltinType::VMCtx | BuiltinType::Pointer => ptr,
            BuiltinType::I32 => types::I32,
            BuiltinType::I64 => types::I64,
        };
        let (params, result) = f.signature();
        let mut sig = Signature::new(self.env.isa.default_call_conv());
        sig.params
            .extend(params.iter().map(|t| AbiParam::new(ty(*t))));
        sig.returns
            .extend(result.iter().map(|t| AbiParam::new(ty(*t))));
        let s = self.b.import_signature(sig);
        self.builtin_sigs.insert(f, s);
        s
    }

    /// Calls builtin `f` with `(vmctx, args...)`, trapping on a 0 flag when
    /// the builtin is fallible.
    fn call_builtin(&mut self, f: BuiltinFunction, args: &[Value]) -> Option<Value> {
        let sig = self.builtin_sig(f);
        let table = self.load_ptr(self.vmctx, VMOffsets::BUILTINS);
        let callee = self.load_ptr(table, f.table_offset());
        let mut all = Vec::with_capacity(args.len() + 1);
        all.push(self.vmctx);
        all.extend_from_slice(args);
        let call = self.b.ins().call_indirect(sig, callee, &all);
        let result = self.b.inst_results(call).first().copied();
        if let (Some(trap), Some(flag)) = (f.trap_on_failure(), result) {
            self.b.ins().trapz(flag, trap.to_trap_code());
        }
        result
    }

    fn i32_const(&mut self, v: u32) -> Value {
        self.b.ins().iconst(types::I32, i64::from(v))
    }

    fn uext64(&mut self, v: Value) -> Value {
        self.b.ins().uextend(types::I64, v)
    }

    // ----- calls -----

    fn sig_ref(&mut self, type_index: u32) -> SigRef {
        if let Some(s) = self.sig_refs.get(&type_index) {
            return *s;
        }
        let sig = wasm_signature(self.env.isa, &self.env.info.types[type_index as usize]);
        let s = self.b.import_signature(sig);
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
            .b
            .func
            .declare_imported_user_function(UserExternalName::new(FUNC_NAMESPACE, func_index));
        let f = self.b.import_function(ExtFuncData {
            name: ExternalName::user(name),
            signature,
            colocated: true,
            patchable: false,
        });
        self.func_refs.insert(func_index, f);
        f
    }

    fn push_call_results(&mut self, call: ir::Inst) {
        self.stack.extend_from_slice(self.b.inst_results(call));
    }

    /// The arguments of a call: the callee's `vmctx`, the caller's, then
    /// the `n` parameters popped from the operand stack.
    fn call_args(&mut self, callee_vmctx: Value, n: usize) -> Vec<Value> {
        let mut args = Vec::with_capacity(n + 2);
        args.push(callee_vmctx);
        args.push(self.vmctx);
        let at = self.stack.len() - n;
        args.extend(self.stack.drain(at..));
        args
    }

    /// Calls the code at `callee` (signature `sig`): a tail call ends the
    /// block, an ordinary call pushes its results.
    fn emit_call_indirect(&mut self, sig: SigRef, callee: Value, args: &[Value], tail: bool) {
        if tail {
            self.b.ins().return_call_indirect(sig, callee, args);
            self.reachable = false;
        } else {
            let call = self.b.ins().call_indirect(sig, callee, args);
            self.push_call_results(call);
        }
    }

    fn op_call(&mut self, func_index: u32, tail: bool) {
        let info = self.env.info;
        let n = info.func_type(func_index).params.len();
        if info.is_imported_func(func_index) {
            let at = self.offsets().func_ref(func_index);
            let callee = self.load_ptr(self.vmctx, at + func_ref::WASM_CALL);
            let callee_vmctx = self.load_ptr(self.vmctx, at + func_ref::VMCTX);
            let args = self.call_args(callee_vmctx, n);
            let sig = self.sig_ref(info.functions[func_index as usize]);
            self.emit_call_indirect(sig, callee, &args, tail);
        } else {
            let args = self.call_args(self.vmctx, n);
            let f = self.direct_func_ref(func_index);
            if tail {
                self.b.ins().return_call(f, &args);
                self.reachable = false;
            } else {
                let call = self.b.ins().call(f, &args);
                self.push_call_results(call);
            }
        }
    }

    fn op_call_indirect(&mut self, type_index: u32, table: u32, tail: bool) {
        let index = self.pop();
        let addr = self.table_elem_addr(table, index, TrapKind::UndefinedElement);
        let funcref = self.b.ins().load(types::I64, self.table, addr, 0);
        self.b
            .ins()
            .trapz(funcref, TrapKind::IndirectCallToNull.to_trap_code());
        let actual = self.b.ins().load(
            types::I32,
            self.vm.with_readonly(),
            funcref,
            func_ref::TYPE_ID as i32,
        );
        let ids = self.load_ptr(self.vmctx, VMOffsets::TYPE_IDS);
        let expected = self
            .b
            .ins()
            .load(types::I32, self.vm_ro, ids, (type_index * 4) as i32);
        let mismatch = self.b.ins().icmp(IntCC::NotEqual, actual, expected);
        self.b
            .ins()
            .trapnz(mismatch, TrapKind::BadSignature.to_trap_code());
        let ptr = self.env.isa.pointer_type();
        let flags = self.vm.with_readonly();
        let callee = self
            .b
            .ins()
            .load(ptr, flags, funcref, func_ref::WASM_CALL as i32);
        let callee_vmctx = self
            .b
            .ins()
            .load(ptr, flags, funcref, func_ref::VMCTX as i32);
        let n = self.env.info.types[type_index as usize].params.len();
        let args = self.call_args(callee_vmctx, n);
        let sig = self.sig_ref(type_index);
        self.emit_call_indirect(sig, callee, &args, tail);
    }

    // ----- numeric helpers -----

    fn unop(&mut self, f: impl FnOnce(&mut FunctionBuilder<'_>, Value) -> Value) {
        let a = self.pop();
        let v = f(&mut self.b, a);
        self.push(v);
    }

    fn binop(&mut self, f: impl FnOnce(&mut FunctionBuilder<'_>, Value, Value) -> Value) {
        let (a, b) = self.pop2();
        let v = f(&mut self.b, a, b);
        self.push(v);
    }

    fn icmp(&mut self, cc: IntCC) {
        let (a, b) = self.pop2();
        let c = self.b.ins().icmp(cc, a, b);
        let v = self.b.ins().uextend(types::I32, c);
        self.push(v);
    }

    fn fcmp(&mut self, cc: FloatCC) {
        let (a, b) = self.pop2();
        let c = self.b.ins().fcmp(cc, a, b);
        let v = self.b.ins().uextend(types::I32, c);
        self.push(v);
    }

    fn eqz(&mut self) {
        let a = self.pop();
        let c = self.b.ins().icmp_imm_s(IntCC::Equal, a, 0);
        let v = self.b.ins().uextend(types::I32, c);
        self.push(v);
    }

    /// Traps with "integer divide by zero" when `divisor` is 0.
    fn check_div_by_zero(&mut self, divisor: Value) {
        self.b
            .ins()
            .trapz(divisor, TrapKind::IntegerDivisionByZero.to_trap_code());
    }

    fn div_s(&mut self, ty: Type) {
        let (a, b) = self.pop2();
        self.check_div_by_zero(b);
        let min = if ty == types::I32 {
            i64::from(i32::MIN)
        } else {
            i64::MIN
        };
        let is_min = self.b.ins().icmp_imm_s(IntCC::Equal, a, min);
        let is_neg1 = self.b.ins().icmp_imm_s(IntCC::Equal, b, -1);
        let overflow = self.b.ins().band(is_min, is_neg1);
        self.b
            .ins()
            .trapnz(overflow, TrapKind::IntegerOverflow.to_trap_code());
        let v = self.b.ins().sdiv(a, b);
        self.push(v);
    }

    fn div_u(&mut self) {
        let (a, b) = self.pop2();
        self.check_div_by_zero(b);
        let v = self.b.ins().udiv(a, b);
        self.push(v);
    }

    fn rem_s(&mut self) {
        let (a, b) = self.pop2();
        self.check_div_by_zero(b);
        // `INT_MIN % -1` is 0 in wasm, but the hardware division behind
        // `srem` overflows on it: divide by 1 instead, which gives 0 too.
        let is_neg1 = self.b.ins().icmp_imm_s(IntCC::Equal, b, -1);
        let ty = self.b.func.dfg.value_type(b);
        let one = self.b.ins().iconst(ty, 1);
        let divisor = self.b.ins().select(is_neg1, one, b);
        let v = self.b.ins().srem(a, divisor);
        self.push(v);
    }

    fn rem_u(&mut self) {
        let (a, b) = self.pop2();
        self.check_div_by_zero(b);
        let v = self.b.ins().urem(a, b);
        self.push(v);
    }

    /// A trapping float→int conversion with the spec's two trap kinds:
    /// NaN is "invalid conversion", out of range is "integer overflow".
    fn trunc(&mut self, to: Type, signed: bool) {
        let x = self.pop();
        let is_nan = self.b.ins().fcmp(FloatCC::Unordered, x, x);
        self.b
            .ins()
            .trapnz(is_nan, TrapKind::BadConversionToInteger.to_trap_code());
        let v = if signed {
            self.b.ins().fcvt_to_sint(to, x)
        } else {
            self.b.ins().fcvt_to_uint(to, x)
        };
        self.push(v);
    }

    fn sext_from(&mut self, narrow: Type, to: Type) {
        let a = self.pop();
        let n = self.b.ins().ireduce(narrow, a);
        let v = self.b.ins().sextend(to, n);
        self.push(v);
    }

    fn bitcast(&mut self, to: Type) {
        let a = self.pop();
        let v = self.b.ins().bitcast(to, MemFlagsData::new(), a);
        self.push(v);
    }

    fn global_get(&mut self, index: u32) {
        let ty = self.env.info.globals[index as usize];
        let (base, at) = self.global_addr(index);
        let flags = if ty.mutable { self.vm } else { self.vm_ro };
        let v = self
            .b
            .ins()
            .load(ir_type(ty.content), flags, base, at as i32);
        self.push(v);
    }

    fn global_set(&mut self, index: u32) {
        let v = self.pop();
        let (base, at) = self.global_addr(index);
        self.b.ins().store(self.vm, v, base, at as i32);
    }

    fn memory_size(&mut self, mem: u32) {
        let plan = self.env.plans[mem as usize];
        let (def, at) = self.memory_def(mem);
        let len = self.load_vm_i64(def, at + memory_def::CURRENT_LENGTH);
        let pages = self
            .b
            .ins()
            .ushr_imm_u(len, i64::from(plan.ty.page_size_log2));
        let v = self.b.ins().ireduce(types::I32, pages);
        self.push(v);
    }

    // ----- the operator table -----

    fn operator(&mut self, op: Operator<'_>, offset: usize) -> Result<()> {
        use Operator as O;
        let i32t = types::I32;
        let i64t = types::I64;
        let f32t = types::F32;
        let f64t = types::F64;
        match op {
            O::Unreachable => {
                self.b
                    .ins()
                    .trap(TrapKind::UnreachableCodeReached.to_trap_code());
                self.reachable = false;
            }
            O::Nop => {}
            O::Block { blockty } => self.op_block(blockty, offset)?,
            O::Loop { blockty } => self.op_loop(blockty, offset)?,
            O::If { blockty } => self.op_if(blockty, offset)?,
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
            O::ReturnCall { function_index } => self.op_call(function_index, true),
            O::ReturnCallIndirect {
                type_index,
                table_index,
            } => self.op_call_indirect(type_index, table_index, true),
            O::Drop => {
                self.pop();
            }
            O::Select | O::TypedSelect { .. } => {
                let (a, b, c) = self.pop3();
                let v = self.b.ins().select(c, a, b);
                self.push(v);
            }
            O::TypedSelectMulti { .. } => {
                return Err(unsupported("select with several types", offset))
            }
            O::LocalGet { local_index } => {
                let v = self.b.use_var(self.locals[local_index as usize]);
                self.push(v);
            }
            O::LocalSet { local_index } => {
                let v = self.pop();
                self.b.def_var(self.locals[local_index as usize], v);
            }
            O::LocalTee { local_index } => {
                let v = *self.stack.last().expect("validated: operand");
                self.b.def_var(self.locals[local_index as usize], v);
            }
            O::GlobalGet { global_index } => self.global_get(global_index),
            O::GlobalSet { global_index } => self.global_set(global_index),

            // ----- memory -----
            O::I32Load { memarg } => {
                self.load(&memarg, 4, |t, a| t.b.ins().load(i32t, t.heap, a, 0))?
            }
            O::I64Load { memarg } => {
                self.load(&memarg, 8, |t, a| t.b.ins().load(i64t, t.heap, a, 0))?
            }
            O::F32Load { memarg } => {
                self.load(&memarg, 4, |t, a| t.b.ins().load(f32t, t.heap, a, 0))?
            }
            O::F64Load { memarg } => {
                self.load(&memarg, 8, |t, a| t.b.ins().load(f64t, t.heap, a, 0))?
            }
            O::I32Load8S { memarg } => {
                self.load(&memarg, 1, |t, a| t.b.ins().sload8(i32t, t.heap, a, 0))?
            }
            O::I32Load8U { memarg } => {
                self.load(&memarg, 1, |t, a| t.b.ins().uload8(i32t, t.heap, a, 0))?
            }
            O::I32Load16S { memarg } => {
                self.load(&memarg, 2, |t, a| t.b.ins().sload16(i32t, t.heap, a, 0))?
            }
            O::I32Load16U { memarg } => {
                self.load(&memarg, 2, |t, a| t.b.ins().uload16(i32t, t.heap, a, 0))?
            }
            O::I64Load8S { memarg } => {
                self.load(&memarg, 1, |t, a| t.b.ins().sload8(i64t, t.heap, a, 0))?
            }
            O::I64Load8U { memarg } => {
                self.load(&memarg, 1, |t, a| t.b.ins().uload8(i64t, t.heap, a, 0))?
            }
            O::I64Load16S { memarg } => {
                self.load(&memarg, 2, |t, a| t.b.ins().sload16(i64t, t.heap, a, 0))?
            }
            O::I64Load16U { memarg } => {
                self.load(&memarg, 2, |t, a| t.b.ins().uload16(i64t, t.heap, a, 0))?
            }
            O::I64Load32S { memarg } => {
                self.load(&memarg, 4, |t, a| t.b.ins().sload32(t.heap, a, 0))?
            }
            O::I64Load32U { memarg } => {
                self.load(&memarg, 4, |t, a| t.b.ins().uload32(t.heap, a, 0))?
            }
            O::I32Store { memarg } | O::F32Store { memarg } => {
                self.store(&memarg, 4, |t, v, a| {
                    t.b.ins().store(t.heap, v, a, 0);
                })?
            }
            O::I64Store { memarg } | O::F64Store { memarg } => {
                self.store(&memarg, 8, |t, v, a| {
                    t.b.ins().store(t.heap, v, a, 0);
                })?
            }
            O::I32Store8 { memarg } | O::I64Store8 { memarg } => {
                self.store(&memarg, 1, |t, v, a| {
                    t.b.ins().istore8(t.heap, v, a, 0);
                })?
            }
            O::I32Store16 { memarg } | O::I64Store16 { memarg } => {
                self.store(&memarg, 2, |t, v, a| {
                    t.b.ins().istore16(t.heap, v, a, 0);
                })?
            }
            O::I64Store32 { memarg } => self.store(&memarg, 4, |t, v, a| {
                t.b.ins().istore32(t.heap, v, a, 0);
            })?,
            O::MemorySize { mem } => self.memory_size(mem),
            O::MemoryGrow { mem } => {
                let delta = self.pop();
                let delta = self.uext64(delta);
                let mem_v = self.i32_const(mem);
                let old = self
                    .call_builtin(BuiltinFunction::MemoryGrow, &[mem_v, delta])
                    .expect("memory.grow returns a value");
                let v = self.b.ins().ireduce(i32t, old);
                self.push(v);
            }
            O::MemoryCopy { dst_mem, src_mem } => {
                let (d, s, n) = self.pop3();
                let (d, s, n) = (self.uext64(d), self.uext64(s), self.uext64(n));
                let (dm, sm) = (self.i32_const(dst_mem), self.i32_const(src_mem));
                self.call_builtin(BuiltinFunction::MemoryCopy, &[dm, d, sm, s, n]);
            }
            O::MemoryFill { mem } => {
                let (d, val, n) = self.pop3();
                let (d, n) = (self.uext64(d), self.uext64(n));
                let m = self.i32_const(mem);
                self.call_builtin(BuiltinFunction::MemoryFill, &[m, d, val, n]);
            }
            O::MemoryInit { data_index, mem } => {
                let (d, s, n) = self.pop3();
                let d = self.uext64(d);
                let (m, di) = (self.i32_const(mem), self.i32_const(data_index));
                self.call_builtin(BuiltinFunction::MemoryInit, &[m, di, d, s, n]);
            }
            O::DataDrop { data_index } => {
                let di = self.i32_const(data_index);
                self.call_builtin(BuiltinFunction::DataDrop, &[di]);
            }

            // ----- tables and references -----
            O::TableGet { table } => {
                let index = self.pop();
                let addr = self.table_elem_addr(table, index, TrapKind::TableOutOfBounds);
                let v = self.b.ins().load(i64t, self.table, addr, 0);
                self.push(v);
            }
            O::TableSet { table } => {
                let (index, value) = self.pop2();
                let addr = self.table_elem_addr(table, index, TrapKind::TableOutOfBounds);
                self.b.ins().store(self.table, value, addr, 0);
            }
            O::TableSize { table } => {
                let (def, at) = self.table_def(table);
                let len = self.load_vm_i64(def, at + table_def::CURRENT_ELEMENTS);
                let v = self.b.ins().ireduce(i32t, len);
                self.push(v);
            }
            O::TableGrow { table } => {
                let (init, delta) = self.pop2();
                let delta = self.uext64(delta);
                let t = self.i32_const(table);
                let old = self
                    .call_builtin(BuiltinFunction::TableGrow, &[t, delta, init])
                    .expect("table.grow returns a value");
                let v = self.b.ins().ireduce(i32t, old);
                self.push(v);
            }
            O::TableFill { table } => {
                let (d, val, n) = self.pop3();
                let (d, n) = (self.uext64(d), self.uext64(n));
                let t = self.i32_const(table);
                self.call_builtin(BuiltinFunction::TableFill, &[t, d, val, n]);
            }
            O::TableCopy {
                dst_table,
                src_table,
            } => {
                let (d, s, n) = self.pop3();
                let (d, s, n) = (self.uext64(d), self.uext64(s), self.uext64(n));
                let (dt, st) = (self.i32_const(dst_table), self.i32_const(src_table));
                self.call_builtin(BuiltinFunction::TableCopy, &[dt, st, d, s, n]);
            }
            O::TableInit { elem_index, table } => {
                let (d, s, n) = self.pop3();
                let d = self.uext64(d);
                let (t, e) = (self.i32_const(table), self.i32_const(elem_index));
                self.call_builtin(BuiltinFunction::TableInit, &[t, e, d, s, n]);
            }
            O::ElemDrop { elem_index } => {
                let e = self.i32_const(elem_index);
                self.call_builtin(BuiltinFunction::ElemDrop, &[e]);
            }
            O::RefNull { .. } => {
                let v = self.b.ins().iconst(i64t, 0);
                self.push(v);
            }
            O::RefIsNull => self.eqz(),
            O::RefFunc { function_index } => {
                let at = self.offsets().func_ref(function_index);
                let v = self.b.ins().iadd_imm_u(self.vmctx, i64::from(at));
                self.push(v);
            }

            // ----- constants -----
            O::I32Const { value } => {
                let v = self.b.ins().iconst(i32t, i64::from(value));
                self.push(v);
            }
            O::I64Const { value } => {
                let v = self.b.ins().iconst(i64t, value);
                self.push(v);
            }
            O::F32Const { value } => {
                let v = self.b.ins().f32const(Ieee32::with_bits(value.bits()));
                self.push(v);
            }
            O::F64Const { value } => {
                let v = self.b.ins().f64const(Ieee64::with_bits(value.bits()));
                self.push(v);
            }

            // ----- integer comparisons -----
            O::I32Eqz | O::I64Eqz => self.eqz(),
            O::I32Eq | O::I64Eq => self.icmp(IntCC::Equal),
            O::I32Ne | O::I64Ne => self.icmp(IntCC::NotEqual),
            O::I32LtS | O::I64LtS => self.icmp(IntCC::SignedLessThan),
            O::I32LtU | O::I64LtU => self.icmp(IntCC::UnsignedLessThan),
            O::I32GtS | O::I64GtS => self.icmp(IntCC::SignedGreaterThan),
            O::I32GtU | O::I64GtU => self.icmp(IntCC::UnsignedGreaterThan),
            O::I32LeS | O::I64LeS => self.icmp(IntCC::SignedLessThanOrEqual),
            O::I32LeU | O::I64LeU => self.icmp(IntCC::UnsignedLessThanOrEqual),
            O::I32GeS | O::I64GeS => self.icmp(IntCC::SignedGreaterThanOrEqual),
            O::I32GeU | O::I64GeU => self.icmp(IntCC::UnsignedGreaterThanOrEqual),

            // ----- float comparisons -----
            O::F32Eq | O::F64Eq => self.fcmp(FloatCC::Equal),
            O::F32Ne | O::F64Ne => self.fcmp(FloatCC::NotEqual),
            O::F32Lt | O::F64Lt => self.fcmp(FloatCC::LessThan),
            O::F32Gt | O::F64Gt => self.fcmp(FloatCC::GreaterThan),
            O::F32Le | O::F64Le => self.fcmp(FloatCC::LessThanOrEqual),
            O::F32Ge | O::F64Ge => self.fcmp(FloatCC::GreaterThanOrEqual),

            // ----- integer arithmetic -----
            O::I32Clz | O::I64Clz => self.unop(|b, a| b.ins().clz(a)),
            O::I32Ctz | O::I64Ctz => self.unop(|b, a| b.ins().ctz(a)),
            O::I32Popcnt | O::I64Popcnt => self.unop(|b, a| b.ins().popcnt(a)),
            O::I32Add | O::I64Add => self.binop(|b, x, y| b.ins().iadd(x, y)),
            O::I32Sub | O::I64Sub => self.binop(|b, x, y| b.ins().isub(x, y)),
            O::I32Mul | O::I64Mul => self.binop(|b, x, y| b.ins().imul(x, y)),
            O::I32DivS => self.div_s(i32t),
            O::I64DivS => self.div_s(i64t),
            O::I32DivU | O::I64DivU => self.div_u(),
            O::I32RemS | O::I64RemS => self.rem_s(),
            O::I32RemU | O::I64RemU => self.rem_u(),
            O::I32And | O::I64And => self.binop(|b, x, y| b.ins().band(x, y)),
            O::I32Or | O::I64Or => self.binop(|b, x, y| b.ins().bor(x, y)),
            O::I32Xor | O::I64Xor => self.binop(|b, x, y| b.ins().bxor(x, y)),
            // Cranelift shifts and rotates take the amount modulo the
            // width, as wasm does.
            O::I32Shl | O::I64Shl => self.binop(|b, x, y| b.ins().ishl(x, y)),
            O::I32ShrS | O::I64ShrS => self.binop(|b, x, y| b.ins().sshr(x, y)),
            O::I32ShrU | O::I64ShrU => self.binop(|b, x, y| b.ins().ushr(x, y)),
            O::I32Rotl | O::I64Rotl => self.binop(|b, x, y| b.ins().rotl(x, y)),
            O::I32Rotr | O::I64Rotr => self.binop(|b, x, y| b.ins().rotr(x, y)),

            // ----- float arithmetic -----
            O::F32Abs | O::F64Abs => self.unop(|b, a| b.ins().fabs(a)),
            O::F32Neg | O::F64Neg => self.unop(|b, a| b.ins().fneg(a)),
            O::F32Ceil | O::F64Ceil => self.unop(|b, a| b.ins().ceil(a)),
            O::F32Floor | O::F64Floor => self.unop(|b, a| b.ins().floor(a)),
            O::F32Trunc | O::F64Trunc => self.unop(|b, a| b.ins().trunc(a)),
            O::F32Nearest | O::F64Nearest => self.unop(|b, a| b.ins().nearest(a)),
            O::F32Sqrt | O::F64Sqrt => self.unop(|b, a| b.ins().sqrt(a)),
            O::F32Add | O::F64Add => self.binop(|b, x, y| b.ins().fadd(x, y)),
            O::F32Sub | O::F64Sub => self.binop(|b, x, y| b.ins().fsub(x, y)),
            O::F32Mul | O::F64Mul => self.binop(|b, x, y| b.ins().fmul(x, y)),
            O::F32Div | O::F64Div => self.binop(|b, x, y| b.ins().fdiv(x, y)),
            // Cranelift's fmin/fmax have wasm semantics (NaN in, NaN out;
            // -0 < +0).
            O::F32Min | O::F64Min => self.binop(|b, x, y| b.ins().fmin(x, y)),
            O::F32Max | O::F64Max => self.binop(|b, x, y| b.ins().fmax(x, y)),
            O::F32Copysign | O::F64Copysign => self.binop(|b, x, y| b.ins().fcopysign(x, y)),

            // ----- conversions -----
            O::I32WrapI64 => self.unop(|b, a| b.ins().ireduce(i32t, a)),
            O::I64ExtendI32S => self.unop(|b, a| b.ins().sextend(i64t, a)),
            O::I64ExtendI32U => self.unop(|b, a| b.ins().uextend(i64t, a)),
            O::I32TruncF32S | O::I32TruncF64S => self.trunc(i32t, true),
            O::I32TruncF32U | O::I32TruncF64U => self.trunc(i32t, false),
            O::I64TruncF32S | O::I64TruncF64S => self.trunc(i64t, true),
            O::I64TruncF32U | O::I64TruncF64U => self.trunc(i64t, false),
            O::I32TruncSatF32S | O::I32TruncSatF64S => {
                self.unop(|b, a| b.ins().fcvt_to_sint_sat(i32t, a))
            }
            O::I32TruncSatF32U | O::I32TruncSatF64U => {
                self.unop(|b, a| b.ins().fcvt_to_uint_sat(i32t, a))
            }
            O::I64TruncSatF32S | O::I64TruncSatF64S => {
                self.unop(|b, a| b.ins().fcvt_to_sint_sat(i64t, a))
            }
            O::I64TruncSatF32U | O::I64TruncSatF64U => {
                self.unop(|b, a| b.ins().fcvt_to_uint_sat(i64t, a))
            }
            O::F32ConvertI32S | O::F32ConvertI64S => {
                self.unop(|b, a| b.ins().fcvt_from_sint(f32t, a))
            }
            O::F32ConvertI32U | O::F32ConvertI64U => {
                self.unop(|b, a| b.ins().fcvt_from_uint(f32t, a))
            }
            O::F64ConvertI32S | O::F64ConvertI64S => {
                self.unop(|b, a| b.ins().fcvt_from_sint(f64t, a))
            }
            O::F64ConvertI32U | O::F64ConvertI64U => {
                self.unop(|b, a| b.ins().fcvt_from_uint(f64t, a))
            }
            O::F32DemoteF64 => self.unop(|b, a| b.ins().fdemote(f32t, a)),
            O::F64PromoteF32 => self.unop(|b, a| b.ins().fpromote(f64t, a)),
            O::I32ReinterpretF32 => self.bitcast(i32t),
            O::I64ReinterpretF64 => self.bitcast(i64t),
            O::F32ReinterpretI32 => self.bitcast(f32t),
            O::F64ReinterpretI64 => self.bitcast(f64t),

            // ----- sign extension -----
            O::I32Extend8S => self.sext_from(types::I8, i32t),
            O::I32Extend16S => self.sext_from(types::I16, i32t),
            O::I64Extend8S => self.sext_from(types::I8, i64t),
            O::I64Extend16S => self.sext_from(types::I16, i64t),
            O::I64Extend32S => self.sext_from(types::I32, i64t),

            other => {
                let proposal = operator_proposal(&other);
                let feature = match proposal {
                    "threads" => "threads",
                    "simd" | "relaxed_simd" => "simd",
                    "exceptions" | "legacy_exceptions" => "exceptions",
                    "function_references" => "function-references",
                    "gc" => "gc",
                    other_proposal => other_proposal,
                };
                let kind = ErrorKind::Unsupported {
                    feature: feature.to_string(),
                    option: None,
                    offset: Some(offset),
                };
                let message = format!(
                    "not supported yet: {feature} (operator {other:?} at offset {offset:#x})"
                );
                return Err(Error::new(kind, message).into());
            }
        }
        Ok(())
    }
}

fn reader_error(e: wasmparser::BinaryReaderError) -> anyhow::Error {
    Error::invalid(e.message(), Some(e.offset() as usize)).into()
}
