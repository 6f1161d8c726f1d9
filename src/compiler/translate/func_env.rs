//! The function's environment: how compiled code reaches the runtime.
//!
//! - `VMContext` access: the runtime limits, the builtin table, and the
//!   definitions of memories, tables and globals (imported ones through a
//!   pointer in the `VMContext`, defined ones inline).
//! - Builtin calls (`runtime::builtins`), with the trap a fallible builtin
//!   reports by returning 0.
//! - Fuel accounting and the fuel and epoch checks.
//! - Traps: [`FuncTranslator::trap`], [`FuncTranslator::trapz`] and
//!   [`FuncTranslator::trapnz`] are the one place that decides how a trap
//!   is raised (a trap instruction with signals-based traps, a call to the
//!   `RaiseTrap` builtin without). Every other file raises traps through
//!   them and never emits a Cranelift trap instruction itself; the
//!   stack-limit check of code compiled without signals is here too.
//!
//! Where later features plug in:
//! - GC barriers: once GC references exist, every read and write of a
//!   reference slot (table elements, globals, struct and array fields)
//!   goes through read/write barrier helpers defined here, so the operator
//!   families never load or store a GC reference directly.
//! - Exception tables: every call that may throw (wasm and host calls and
//!   the `ThrowRef` builtin) is emitted by [`FuncTranslator::emit_call`],
//!   which inside a `try_table` makes it a `try_call` whose exception
//!   table lists the catch clauses of every enclosing `try_table`,
//!   innermost first; `control` and `exceptions` ask for a call and never
//!   build a table themselves.

use super::FuncTranslator;
use crate::compiler::trap_codes::ToTrapCode;
use crate::environ::builtins::raise_trap_code;
use crate::environ::vmoffsets::runtime_limits;
use crate::environ::{BuiltinFunction, BuiltinType, TrapKind, VMOffsets};
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{
    self, types, AbiParam, BlockArg, BlockCall, ExceptionTableData, FuncRef, InstBuilder,
    MemFlagsData, SigRef, Signature, Value,
};
use cranelift_codegen::isa::CallConv;

/// What a call calls.
#[derive(Clone, Copy)]
pub(super) enum Callee {
    /// A function of this module, by reference.
    Direct(FuncRef),
    /// The code at an address, with this signature.
    Indirect(SigRef, Value),
}
use wasmparser::Operator;

impl FuncTranslator<'_, '_> {
    // ----- runtime data -----

    pub(super) fn offsets(&self) -> &VMOffsets {
        &self.env.offsets
    }

    /// Loads the pointer at `base + offset`, one that never changes while
    /// code runs.
    pub(super) fn load_ptr(&mut self, base: Value, offset: u32) -> Value {
        let ptr = self.env.isa.pointer_type();
        self.builder
            .ins()
            .load(ptr, self.vm_readonly_flags, base, offset as i32)
    }

    /// Loads the 64-bit runtime field at `base + offset`, one that may
    /// change while code runs (a length, the fuel count, a deadline).
    pub(super) fn load_vm_i64(&mut self, base: Value, offset: u32) -> Value {
        self.builder
            .ins()
            .load(types::I64, self.vm_flags, base, offset as i32)
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
    /// A defined shared memory's slot holds a pointer to the definition
    /// every instance using it reads, as an import's does.
    pub(super) fn memory_def(&mut self, index: u32) -> (Value, u32) {
        let n = self.env.info.num_imported_memories;
        if index >= n && self.env.plans[index as usize].ty.shared {
            let at = self.offsets().defined_memory(index - n);
            return (self.load_ptr(self.vmctx, at), 0);
        }
        self.definition(
            index,
            n,
            VMOffsets::imported_memory,
            VMOffsets::defined_memory,
        )
    }

    /// The base value and offset of table `index`'s `VMTableDefinition`.
    pub(super) fn table_def(&mut self, index: u32) -> (Value, u32) {
        let n = self.env.info.num_imported_tables;
        self.definition(
            index,
            n,
            VMOffsets::imported_table,
            VMOffsets::defined_table,
        )
    }

    /// The base value and offset of global `index`'s `VMGlobalDefinition`.
    pub(super) fn global_addr(&mut self, index: u32) -> (Value, u32) {
        let n = self.env.info.num_imported_globals;
        self.definition(
            index,
            n,
            VMOffsets::imported_global,
            VMOffsets::defined_global,
        )
    }

    // ----- builtins -----

    pub(super) fn builtin_sig(&mut self, f: BuiltinFunction) -> SigRef {
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
        // `ThrowRef` is entered with the `tail` convention: a `try_call`
        // of it then assumes every register clobbered on the exceptional
        // edge, which is all the runtime's unwinder restores.
        let call_conv = match f {
            BuiltinFunction::ThrowRef => CallConv::Tail,
            _ => self.env.isa.default_call_conv(),
        };
        let mut sig = Signature::new(call_conv);
        sig.params
            .extend(params.iter().map(|t| AbiParam::new(ty(*t))));
        sig.returns
            .extend(result.iter().map(|t| AbiParam::new(ty(*t))));
        let s = self.builder.import_signature(sig);
        self.builtin_sigs.insert(f, s);
        s
    }

    /// Calls builtin `f` with `(vmctx, args...)`, trapping on a 0 flag when
    /// the builtin is fallible.
    pub(super) fn call_builtin(&mut self, f: BuiltinFunction, args: &[Value]) -> Option<Value> {
        let sig = self.builtin_sig(f);
        let table = self.load_ptr(self.vmctx, VMOffsets::BUILTINS);
        let callee = self.load_ptr(table, f.table_offset());
        let mut all = Vec::with_capacity(args.len() + 1);
        all.push(self.vmctx);
        all.extend_from_slice(args);
        let call = self.builder.ins().call_indirect(sig, callee, &all);
        let result = self.builder.inst_results(call).first().copied();
        if let (Some(trap), Some(flag)) = (f.trap_on_failure(), result) {
            self.trapz(flag, trap);
        }
        result
    }

    /// Calls `callee` with `args` and returns its results: a plain call
    /// outside any `try_table`, else a `try_call` that continues in a new
    /// block on return and goes to the landing block of the first
    /// matching catch clause (see `exceptions`) when the callee throws.
    pub(super) fn emit_call(&mut self, callee: Callee, args: &[Value]) -> Vec<Value> {
        if self.try_scopes.is_empty() {
            let call = match callee {
                Callee::Direct(f) => self.builder.ins().call(f, args),
                Callee::Indirect(sig, code) => self.builder.ins().call_indirect(sig, code, args),
            };
            return self.builder.inst_results(call).to_vec();
        }
        let sig = match callee {
            Callee::Direct(f) => self.builder.func.dfg.ext_funcs[f].signature,
            Callee::Indirect(sig, _) => sig,
        };
        let returns: Vec<ir::Type> = self.builder.func.dfg.signatures[sig]
            .returns
            .iter()
            .map(|r| r.value_type)
            .collect();
        let cont = self.builder.create_block();
        for &t in &returns {
            self.builder.append_block_param(cont, t);
        }
        let dfg = &mut self.builder.func.dfg;
        let normal = BlockCall::new(
            cont,
            (0..returns.len() as u32).map(BlockArg::TryCallRet),
            &mut dfg.value_lists,
        );
        let items = self.exception_items();
        let table = ExceptionTableData::new(sig, normal, items);
        let table = self.builder.func.dfg.exception_tables.push(table);
        match callee {
            Callee::Direct(f) => self.builder.ins().try_call(f, args, table),
            Callee::Indirect(_, code) => self.builder.ins().try_call_indirect(code, args, table),
        };
        self.builder.seal_block(cont);
        self.builder.switch_to_block(cont);
        self.builder.block_params(cont).to_vec()
    }

    // ----- fuel and epochs -----

    /// Accounts for `op` in the fuel count: every operator costs 1 except
    /// the structural ones, and the count is written back to the store
    /// before anything that leaves straight-line code, so a trap or a call
    /// sees an exact count.
    pub(super) fn fuel_before(&mut self, op: &Operator<'_>) {
        use Operator as O;
        let cost = match op {
            O::Nop
            | O::Drop
            | O::Block { .. }
            | O::Loop { .. }
            | O::TryTable { .. }
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
                | O::CallRef { .. }
                | O::ReturnCallRef { .. }
                | O::Throw { .. }
                | O::ThrowRef
                | O::Br { .. }
                | O::BrIf { .. }
                | O::BrTable { .. }
                | O::BrOnNull { .. }
                | O::BrOnNonNull { .. }
                | O::Loop { .. }
                | O::If { .. }
                | O::Else
                | O::End
        );
        if flush && self.fuel_pending != 0 {
            let limits = self.load_ptr(self.vmctx, VMOffsets::RUNTIME_LIMITS);
            let at = runtime_limits::FUEL_CONSUMED;
            let fuel = self.load_vm_i64(limits, at);
            let fuel = self.builder.ins().iadd_imm_s(fuel, self.fuel_pending);
            self.builder
                .ins()
                .store(self.vm_flags, fuel, limits, at as i32);
            self.fuel_pending = 0;
        }
    }

    /// The fuel and epoch checks made at function entry and loop headers,
    /// so that every unbounded computation meets them.
    pub(super) fn interruption_checks(&mut self) {
        if !self.env.tunables.consume_fuel && !self.env.tunables.epoch_interruption {
            return;
        }
        let limits = self.load_ptr(self.vmctx, VMOffsets::RUNTIME_LIMITS);
        if self.env.tunables.consume_fuel {
            let fuel = self.load_vm_i64(limits, runtime_limits::FUEL_CONSUMED);
            let out = self
                .builder
                .ins()
                .icmp_imm_s(IntCC::SignedGreaterThanOrEqual, fuel, 0);
            // Out of the fuel code sees, the store decides (it may refuel
            // from its reserve, yielding an async call first): a cold call
            // that traps with `OutOfFuel` unless told to go on.
            self.cold_builtin_call_if(out, BuiltinFunction::OutOfFuel);
        }
        if self.env.tunables.epoch_interruption {
            let deadline = self.load_vm_i64(limits, runtime_limits::EPOCH_DEADLINE);
            let counter = self.load_ptr(limits, runtime_limits::EPOCH_COUNTER_PTR);
            // An atomic load: the counter is an `AtomicU64` bumped by other
            // threads, and a plain load in a store-free loop could be
            // merged with the one at function entry.
            let epoch =
                self.builder
                    .ins()
                    .atomic_load(types::I64, MemFlagsData::trusted(), counter);
            let due = self
                .builder
                .ins()
                .icmp(IntCC::UnsignedGreaterThanOrEqual, epoch, deadline);
            // Past the deadline the store decides (its epoch deadline
            // callback may set a new one): a cold call that traps with
            // `Interrupt` unless told to go on.
            self.cold_builtin_call_if(due, BuiltinFunction::EpochDeadline);
        }
    }

    /// Calls builtin `f` (whose failure traps, see `call_builtin`) from a
    /// cold block when `cond` is non-zero, then goes on where the check
    /// was: the shape of the fuel and epoch checks' slow paths.
    fn cold_builtin_call_if(&mut self, cond: Value, f: BuiltinFunction) {
        let slow = self.builder.create_block();
        let go_on = self.builder.create_block();
        self.builder.ins().brif(cond, slow, &[], go_on, &[]);
        self.builder.set_cold_block(slow);
        self.builder.switch_to_block(slow);
        self.builder.seal_block(slow);
        self.call_builtin(f, &[]);
        self.builder.ins().jump(go_on, &[]);
        self.builder.switch_to_block(go_on);
        self.builder.seal_block(go_on);
    }

    // ----- traps -----
    //
    // With `signals_based_traps` a trap is a Cranelift trap instruction,
    // whose offset and code the code registry keeps for the signal
    // handler. Without, it is a call to the `RaiseTrap` builtin in a cold
    // block: a conditional trap branches there, so the hot path gains one
    // compare-and-branch and no call.

    /// Raises `kind` unconditionally; the current block ends here.
    pub(super) fn trap(&mut self, kind: TrapKind) {
        if self.env.tunables.signals_based_traps() {
            self.builder.ins().trap(kind.to_trap_code());
        } else {
            self.raise(kind);
        }
    }

    /// Raises `kind` when `value` is zero.
    pub(super) fn trapz(&mut self, value: Value, kind: TrapKind) {
        if self.env.tunables.signals_based_traps() {
            self.builder.ins().trapz(value, kind.to_trap_code());
        } else {
            self.raise_if(value, false, kind);
        }
    }

    /// Raises `kind` when `value` is not zero.
    pub(super) fn trapnz(&mut self, value: Value, kind: TrapKind) {
        if self.env.tunables.signals_based_traps() {
            self.builder.ins().trapnz(value, kind.to_trap_code());
        } else {
            self.raise_if(value, true, kind);
        }
    }

    /// Branches to a cold block raising `kind` when `value` is nonzero
    /// (`when_nonzero`) or zero, and continues in a new block otherwise.
    fn raise_if(&mut self, value: Value, when_nonzero: bool, kind: TrapKind) {
        let raise_block = self.builder.create_block();
        let cont = self.builder.create_block();
        self.builder.set_cold_block(raise_block);
        if when_nonzero {
            self.builder.ins().brif(value, raise_block, &[], cont, &[]);
        } else {
            self.builder.ins().brif(value, cont, &[], raise_block, &[]);
        }
        // Each has this branch as its only predecessor.
        self.builder.seal_block(raise_block);
        self.builder.seal_block(cont);
        self.builder.switch_to_block(raise_block);
        self.raise(kind);
        self.builder.switch_to_block(cont);
    }

    /// Calls `RaiseTrap` with `kind`'s code, ending the current block. The
    /// call carries the operator's source location, so the backtrace
    /// points at the operator that trapped.
    fn raise(&mut self, kind: TrapKind) {
        let code = self.i32_const(raise_trap_code(kind));
        self.call_builtin(BuiltinFunction::RaiseTrap, &[code]);
        // `RaiseTrap` never returns; the block still needs a terminator,
        // and this one is never executed.
        self.builder.ins().trap(kind.to_trap_code());
    }

    /// The stack-limit check at function entry of code compiled without
    /// signals: Cranelift's own check (`Function::stack_limit`, in the
    /// prologue) raises `StackOverflow` with a trap instruction, so this
    /// one takes its place and raises it with `RaiseTrap` when the stack
    /// pointer is below `VMRuntimeLimits::STACK_LIMIT`.
    ///
    /// Margin: the check runs after the prologue, which has already pushed
    /// the frame (saved registers and spill slots; the translator makes no
    /// stack slots of its own), and the raise path then runs below that
    /// (`wr_raise_trap`, `raise_trap_at` and the backtrace walk, a few
    /// hundred bytes). So the stack may reach below the limit by one frame
    /// plus the raise path before the trap, where Cranelift's check (which
    /// adds the frame size first) reaches it by nothing. The runtime sets
    /// the limit at least `HOST_STACK_RESERVE` (128 KiB) above the lowest
    /// address of the thread's stack (`traphandlers::stack_limit`), and
    /// that reserve absorbs the overshoot of every frame smaller than it,
    /// that is every function with fewer than about 16 000 values live at
    /// once.
    pub(super) fn stack_limit_check(&mut self) {
        let ptr = self.env.isa.pointer_type();
        let limits = self.load_ptr(self.vmctx, VMOffsets::RUNTIME_LIMITS);
        let limit = self.load_ptr(limits, runtime_limits::STACK_LIMIT);
        let sp = self.builder.ins().get_stack_pointer(ptr);
        let overflow = self.builder.ins().icmp(IntCC::UnsignedLessThan, sp, limit);
        self.trapnz(overflow, TrapKind::StackOverflow);
    }
}
