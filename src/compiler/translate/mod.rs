//! Translation of one wasm function body to Cranelift IR.
//!
//! The translator walks the body once, keeping a typed operand stack (each
//! entry an IR value and its wasm type) and a stack of control frames.
//! Wasm locals are Cranelift `Variable`s (SSA construction is the
//! frontend's job); every `block`/`loop`/`if` is a control frame whose exit
//! block takes the results as block parameters (a loop's header takes its
//! parameters). After `br`, `br_table`, `return`, `unreachable` and tail
//! calls the code up to the end of the enclosing frame is dead and skipped,
//! counting only nested frame starts and ends.
//!
//! The work is split by job and operator family:
//! - this file: the driver, the operand stack and the order in which the
//!   families are offered each operator;
//! - `control`: control frames, branches and calls;
//! - `exceptions`: `try_table`, `throw` and `throw_ref`;
//! - `func_env`: the function's environment: `VMContext` access, builtin
//!   calls, fuel, epochs, and the one place that decides how a trap is
//!   raised;
//! - `heap`: linear-memory accesses (bounds checks) and memory operators;
//! - `table`: table accesses and reference operators;
//! - `variables`: locals, globals, `drop` and `select`;
//! - `wmemcheck`: the heap checker's hooks (accesses of memory 0, the
//!   allocator functions' entries and returns), with `wmemcheck` on;
//! - `numeric`: constants, comparisons, arithmetic and conversions;
//! - `simd`: the SIMD operators, which arrive through wasmparser's
//!   `VisitSimdOperator`.
//!
//! The runtime data compiled code touches is described in
//! `runtime::vmoffsets` (the `VMContext` layout) and `runtime::builtins`
//! (libcalls); memory accesses follow each memory's `MemoryPlan`.

mod atomics;
mod control;
mod exceptions;
mod func_env;
mod gc;
mod heap;
mod numeric;
mod simd;
mod table;
mod variables;
mod wmemcheck;

pub(crate) use wmemcheck::WmemcheckRoles;

use super::{ir_type, start_entry_block, wasm_signature, ModuleEnv, FUNC_NAMESPACE};
use crate::compiler::trap_codes::ToTrapCode;
use crate::environ::builtins::WmemcheckRole;
use crate::environ::error::{Error, ErrorKind};
use crate::environ::features::Proposal;
use crate::environ::vmoffsets::runtime_limits;
use crate::environ::{BuiltinFunction, TrapKind, VMOffsets};
use crate::environ::{FuncType, ValType};
use anyhow::{anyhow, Result};
use control::Frame;
use cranelift_codegen::ir::immediates::{Ieee32, Ieee64};
use cranelift_codegen::ir::{
    self, types, AliasRegionData, BlockArg, FuncRef, GlobalValueData, InstBuilder, MemFlagsData,
    SigRef, SourceLoc, UserFuncName, Value,
};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext, Variable};
use std::collections::HashMap;
use std::ops::Range;
use wasmparser::{BinaryReader, FunctionBody, Operator, VisitOperator, VisitSimdOperator};

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
    if env.tunables.signals_based_traps() {
        // Stack limit: `*(*(vmctx + RUNTIME_LIMITS) + STACK_LIMIT)`, checked
        // by Cranelift in the prologue (a trap instruction). Without
        // signals the translator checks it instead (`stack_limit_check`).
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
    }

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
    let vm_flags = MemFlagsData::trusted().with_alias_region(vm_region);
    let body = FunctionBody::new(BinaryReader::new(&wasm[range.clone()], range.start as u64));
    let builder = FunctionBuilder::new(&mut func, builder_ctx);
    let mut translator = FuncTranslator {
        env,
        builder,
        vmctx: Value::from_u32(0),
        locals: Vec::new(),
        stack: Vec::new(),
        frames: Vec::new(),
        try_scopes: Vec::new(),
        reachable: true,
        dead_depth: 0,
        op_offset: 0,
        fuel_pending: 0,
        sig_refs: HashMap::new(),
        func_refs: HashMap::new(),
        builtin_sigs: HashMap::new(),
        alloc_role: env.wmemcheck.role(func_index),
        heap_flags: MemFlagsData::new()
            .with_trap_code(Some(TrapKind::MemoryOutOfBounds.to_trap_code()))
            .with_alias_region(heap_region),
        vm_flags,
        vm_readonly_flags: vm_flags.with_readonly().with_can_move(),
        table_flags: MemFlagsData::trusted().with_alias_region(table_region),
        spectre_heap: env.isa.flags().enable_heap_access_spectre_mitigation(),
        spectre_table: env.isa.flags().enable_table_access_spectre_mitigation(),
    };
    translator.translate(&ty, &body)?;
    translator.builder.finalize(env.isa.frontend_config());
    Ok(func)
}

/// One entry of the operand stack: an IR value and the wasm type it has.
/// The wasm type says more than the IR type (a funcref and an externref
/// are both `i64`), so operators that depend on it read it here. A `v128`
/// keeps the vector type of the operator that made it (`F32X4` from
/// `f32x4.add`, ...) while it is on the stack, so that chains of SIMD
/// operators need no bitcasts and Cranelift sees their lane types (float
/// vectors stay in float instructions); it becomes the canonical `I8X16`
/// when it leaves the stack for anything but a SIMD operator.
#[derive(Clone, Copy, Debug)]
struct Operand {
    value: Value,
    ty: ValType,
}

/// A wasm local: its variable and its type.
#[derive(Clone, Copy)]
struct Local {
    var: Variable,
    ty: ValType,
}

struct FuncTranslator<'m, 'f> {
    env: &'m ModuleEnv<'m>,
    builder: FunctionBuilder<'f>,
    /// The function's own `VMContext` (its first parameter).
    vmctx: Value,
    locals: Vec<Local>,
    stack: Vec<Operand>,
    frames: Vec<Frame>,
    /// The catch clauses of the open `try_table`s, outermost first.
    try_scopes: Vec<exceptions::TryScope>,
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
    /// With `wmemcheck`: this function's allocator role, whose entry and
    /// returns report to the heap checker.
    alloc_role: Option<WmemcheckRole>,
    /// Flags of a linear-memory access: may fault (a recorded trap site),
    /// in the heap alias region.
    heap_flags: MemFlagsData,
    /// Flags of runtime data (VMContext fields, definitions, runtime
    /// limits, `VMFuncRef`s), in the vmctx alias region.
    vm_flags: MemFlagsData,
    /// `vm_flags` for data that never changes while code runs (definition
    /// pointers, a static memory's base, type ids): free to hoist.
    vm_readonly_flags: MemFlagsData,
    /// Flags of table element accesses, in the table alias region.
    table_flags: MemFlagsData,
    /// Cranelift's `enable_heap_access_spectre_mitigation`: explicit memory
    /// bounds checks redirect out-of-bounds accesses to address 0 with
    /// `select_spectre_guard` (the engine turns it off without signals).
    spectre_heap: bool,
    /// Cranelift's `enable_table_access_spectre_mitigation`.
    spectre_table: bool,
}

/// The outcome of offering an operator to one family's translator:
/// `Ok(None)` when the family translated it, `Ok(Some(op))` handing it back
/// when it belongs to another family.
type Offer<'w> = Result<Option<Operator<'w>>>;

fn block_args(values: &[Value]) -> Vec<BlockArg> {
    values.iter().map(|v| BlockArg::Value(*v)).collect()
}

fn unsupported(feature: &str, offset: usize) -> anyhow::Error {
    Error::unsupported(feature, offset).into()
}

/// The error for an operator of a proposal this build does not compile:
/// `Unsupported` naming `feature`, with the operator in the message.
fn unsupported_operator(feature: &str, op: &Operator<'_>, offset: usize) -> anyhow::Error {
    let kind = ErrorKind::Unsupported {
        feature: feature.to_string(),
        option: None,
        offset: Some(offset),
    };
    let message = format!("not supported yet: {feature} (operator {op:?} at offset {offset:#x})");
    Error::new(kind, message).into()
}

fn reader_error(e: wasmparser::BinaryReaderError) -> anyhow::Error {
    Error::invalid(e.message(), Some(e.offset() as usize)).into()
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

/// Whether values of `ty` point into the store's collected heap (structs,
/// arrays, host values behind externrefs), so that every call they are
/// live across must list them in its stack map.
fn is_gc_managed(ty: ValType) -> bool {
    ty.is_any_ref() || ty.is_extern_ref()
}

impl<'m> FuncTranslator<'m, '_> {
    /// The wasm type of a value type read from the body (a local's or a
    /// block type's). The parser refused the module if it had no
    /// representation.
    fn wasm_val_type(&self, ty: wasmparser::ValType) -> ValType {
        let info = self.env.info;
        crate::environ::parse::val_type_of(ty, &|i| info.type_kind(i))
            .expect("the parser accepted every type of the module")
    }

    /// The heap type of an operator's immediate, as `wasm_val_type`.
    fn wasm_heap_type(&self, ty: wasmparser::HeapType) -> crate::environ::HeapType {
        let info = self.env.info;
        crate::environ::parse::heap_type_of(ty, &|i| info.type_kind(i))
            .expect("the parser accepted every heap type of the module")
    }

    fn translate(&mut self, ty: &FuncType, body: &FunctionBody<'_>) -> Result<()> {
        let entry = start_entry_block(&mut self.builder);
        let params = self.builder.block_params(entry).to_vec();
        self.vmctx = params[0];
        if !self.env.tunables.signals_based_traps() {
            self.stack_limit_check();
        }

        for (i, &p) in ty.params.iter().enumerate() {
            let var = self.builder.declare_var(ir_type(p));
            if is_gc_managed(p) {
                self.builder.declare_var_needs_stack_map(var);
            }
            self.builder.def_var(var, params[2 + i]);
            self.locals.push(Local { var, ty: p });
        }
        self.wmemcheck_enter(&params[2..]);
        let mut locals_reader = body.get_locals_reader().map_err(reader_error)?;
        for _ in 0..locals_reader.get_count() {
            let (count, ty) = locals_reader.read().map_err(reader_error)?;
            let ty = self.wasm_val_type(ty);
            let zero = self.zero(ty);
            for _ in 0..count {
                let var = self.builder.declare_var(ir_type(ty));
                if is_gc_managed(ty) {
                    self.builder.declare_var_needs_stack_map(var);
                }
                self.builder.def_var(var, zero);
                self.locals.push(Local { var, ty });
            }
        }
        self.label_entry_values();

        let exit = self.block_with_params(&ty.results);
        self.push_frame(
            control::FrameKind::Block,
            exit,
            Vec::new(),
            ty.results.to_vec(),
        );

        self.interruption_checks();
        let mut reader = body.get_operators_reader().map_err(reader_error)?;
        while !self.frames.is_empty() {
            let (op, offset) = reader.read_with_offset().map_err(reader_error)?;
            let offset = offset as usize;
            self.builder.set_srcloc(SourceLoc::new(offset as u32));
            self.op_offset = offset;
            if self.reachable {
                if self.env.tunables.consume_fuel {
                    self.fuel_before(&op);
                }
                let is_loop = matches!(op, Operator::Loop { .. });
                self.operator(op)?;
                if is_loop {
                    self.interruption_checks();
                }
            } else {
                self.dead_operator(&op);
            }
        }
        // The function's frame ended: its exit block holds the results.
        if self.reachable {
            let results = self.pop_values(ty.results.len());
            self.emit_return(&results);
        }
        Ok(())
    }

    /// Translates one reachable operator: each family is offered it in
    /// turn; what none takes is a SIMD operator (handed to `simd` through
    /// wasmparser's visitor) or one this build does not support.
    fn operator<'w>(&mut self, op: Operator<'w>) -> Result<()> {
        let Some(op) = self.control_operator(op)? else {
            return Ok(());
        };
        let Some(op) = self.exception_operator(op)? else {
            return Ok(());
        };
        let Some(op) = self.variable_operator(op)? else {
            return Ok(());
        };
        let Some(op) = self.memory_operator(op)? else {
            return Ok(());
        };
        let Some(op) = self.table_operator(op)? else {
            return Ok(());
        };
        let Some(op) = self.gc_operator(op)? else {
            return Ok(());
        };
        let Some(op) = self.atomic_operator(op)? else {
            return Ok(());
        };
        let Some(op) = self.numeric_operator(op)? else {
            return Ok(());
        };
        let Some(op) = self.conversion_operator(op)? else {
            return Ok(());
        };
        if simd::is_simd_operator(&op) {
            return self.simd_operator(op);
        }
        let group = operator_proposal(&op);
        let feature = Proposal::of_operator_group(group).map_or(group, |p| p.key);
        Err(unsupported_operator(feature, &op, self.op_offset))
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

    /// The zero value of `ty` (a null reference for reference types).
    fn zero(&mut self, ty: ValType) -> Value {
        match ty {
            ValType::V128 => {
                let zero = self.builder.func.dfg.constants.insert(vec![0u8; 16].into());
                self.builder.ins().vconst(types::I8X16, zero)
            }
            ValType::I32 => self.builder.ins().iconst(types::I32, 0),
            ValType::F32 => self.builder.ins().f32const(Ieee32::with_bits(0)),
            ValType::F64 => self.builder.ins().f64const(Ieee64::with_bits(0)),
            _ => self.builder.ins().iconst(types::I64, 0),
        }
    }

    // ----- the operand stack -----
    //
    // Every pop and peek below gives a `v128` in its canonical `I8X16`
    // (see `Operand`): these are the values that leave the stack for
    // locals, globals, block parameters, calls and returns. Only the SIMD
    // operators take vector operands as they are (`simd::pop_v`).

    /// `operand`'s value in its canonical IR type: a `v128` of other
    /// lanes is bitcast to `I8X16`, everything else is unchanged.
    fn canonical(&mut self, operand: Operand) -> Value {
        if operand.ty == ValType::V128
            && self.builder.func.dfg.value_type(operand.value) != types::I8X16
        {
            simd::to_canonical_v128(&mut self.builder, operand.value)
        } else {
            operand.value
        }
    }

    fn pop_operand(&mut self) -> Operand {
        let operand = self
            .stack
            .pop()
            .expect("validated: operand stack not empty");
        Operand {
            value: self.canonical(operand),
            ty: operand.ty,
        }
    }

    fn pop(&mut self) -> Value {
        self.pop_operand().value
    }

    fn pop2(&mut self) -> (Value, Value) {
        let b = self.pop();
        let a = self.pop();
        (a, b)
    }

    /// Pops the top three operands, deepest first.
    fn pop3_operands(&mut self) -> (Operand, Operand, Operand) {
        let c = self.pop_operand();
        let b = self.pop_operand();
        let a = self.pop_operand();
        (a, b, c)
    }

    /// Pops the top `n` operands' values, deepest first.
    fn pop_values(&mut self, n: usize) -> Vec<Value> {
        let values = self.peek_values(n);
        self.stack.truncate(self.stack.len() - n);
        values
    }

    /// The values of the top `n` operands, deepest first.
    fn peek_values(&mut self, n: usize) -> Vec<Value> {
        let at = self.stack.len() - n;
        (at..self.stack.len())
            .map(|i| self.canonical(self.stack[i]))
            .collect()
    }

    fn push(&mut self, value: Value, ty: ValType) {
        let actual = self.builder.func.dfg.value_type(value);
        debug_assert!(
            actual == ir_type(ty)
                || (ty == ValType::V128 && actual.is_vector() && actual.bits() == 128),
            "operand of wasm type {ty} has the wrong IR type {actual}"
        );
        if is_gc_managed(ty) {
            // The collector finds it in the stack maps of the calls it is
            // live across.
            self.builder.declare_value_needs_stack_map(value);
        }
        self.stack.push(Operand { value, ty });
    }

    /// Pushes `values`, of wasm types `tys`.
    fn push_all(&mut self, values: &[Value], tys: &[ValType]) {
        debug_assert_eq!(values.len(), tys.len());
        for (&value, &ty) in values.iter().zip(tys) {
            self.push(value, ty);
        }
    }

    fn i32_const(&mut self, v: u32) -> Value {
        self.builder.ins().iconst(types::I32, i64::from(v))
    }

    fn uext64(&mut self, v: Value) -> Value {
        self.builder.ins().uextend(types::I64, v)
    }
}

/// Defines each non-SIMD `visit_*` method as translating the operator it
/// names through `FuncTranslator::operator`.
macro_rules! visit_through_families {
    ($( @$proposal:ident $op:ident $({ $($arg:ident: $argty:ty),* })? => $visit:ident ($($ann:tt)*))*) => {
        $(
            fn $visit(&mut self $($(, $arg: $argty)*)?) -> Result<()> {
                self.operator(Operator::$op $({ $($arg),* })?)
            }
        )*
    };
}

/// Every operator can be visited: non-SIMD operators go to the families
/// (`operator`), SIMD operators to `simd`'s `VisitSimdOperator` methods.
/// The driver reads `Operator`s (it needs them whole for fuel accounting
/// and dead code) and visits only SIMD ones; this impl is also what makes
/// the translator a `VisitSimdOperator`.
impl<'a> VisitOperator<'a> for FuncTranslator<'_, '_> {
    type Output = Result<()>;

    fn simd_visitor(&mut self) -> Option<&mut dyn VisitSimdOperator<'a, Output = Result<()>>> {
        Some(self)
    }

    wasmparser::for_each_visit_operator!(visit_through_families);
}
