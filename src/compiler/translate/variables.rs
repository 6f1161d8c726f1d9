//! Variable and parametric operators: `local.get`/`set`/`tee`,
//! `global.get`/`set`, `drop` and `select`.
//!
//! Locals are Cranelift variables. With `Tunables::value_labels`, every
//! value a local takes (its parameter or zero at entry, what `local.set`
//! and `local.tee` store, and what `local.get` reads, which covers the
//! block parameters SSA construction makes for it) carries the local's
//! index as a Cranelift value label, and the `VMContext` parameter
//! `VMCTX_LABEL`; Cranelift then reports where each label lives over the
//! code (`finish_function` keeps it). Without the option no label is set
//! (`set_val_label` does nothing until `collect_debug_info`), so the
//! code is the same as before. Globals live in their
//! `VMGlobalDefinition` (inline in the `VMContext`, or behind a pointer
//! when imported); an immutable global's value never changes, so its load
//! may be hoisted.

use super::{unsupported, FuncTranslator, Offer};
use crate::compiler::ir_type;
use crate::environ::compiled_code::VMCTX_LABEL;
use cranelift_codegen::ir::{InstBuilder, Opcode, Value, ValueDef, ValueLabel};
use wasmparser::Operator;

impl FuncTranslator<'_, '_> {
    /// Translates `op` if it is a variable or parametric operator.
    pub(super) fn variable_operator<'w>(&mut self, op: Operator<'w>) -> Offer<'w> {
        use Operator as O;
        match op {
            O::Drop => {
                self.pop();
            }
            O::Select | O::TypedSelect { .. } => {
                let (a, b, c) = self.pop3_operands();
                let v = self.builder.ins().select(c.value, a.value, b.value);
                self.push(v, a.ty);
            }
            O::TypedSelectMulti { .. } => {
                return Err(unsupported("select with several types", self.op_offset))
            }
            O::LocalGet { local_index } => {
                let local = self.locals[local_index as usize];
                let v = self.builder.use_var(local.var);
                self.label(v, local_index);
                self.push(v, local.ty);
            }
            O::LocalSet { local_index } => {
                let v = self.pop();
                self.label(v, local_index);
                self.builder
                    .def_var(self.locals[local_index as usize].var, v);
            }
            O::LocalTee { local_index } => {
                let v = self.peek_values(1)[0];
                self.label(v, local_index);
                self.builder
                    .def_var(self.locals[local_index as usize].var, v);
            }
            O::GlobalGet { global_index } => self.global_get(global_index),
            O::GlobalSet { global_index } => self.global_set(global_index),
            other => return Ok(Some(other)),
        }
        Ok(None)
    }

    /// With `Tunables::value_labels`, starts labeling the function's
    /// values and labels the `VMContext` and every local's value at
    /// entry (its parameter; declared locals start as constants, which
    /// `label` leaves out). Called once the locals are declared, in the
    /// entry block.
    pub(super) fn label_entry_values(&mut self) {
        if !self.env.tunables.value_labels() {
            return;
        }
        self.builder.func.collect_debug_info();
        let vmctx = self.vmctx;
        self.label(vmctx, VMCTX_LABEL);
        for i in 0..self.locals.len() {
            let v = self.builder.use_var(self.locals[i].var);
            self.label(v, i as u32);
        }
    }

    /// Tags `v` as a value of local `label` (or the `VMContext`); nothing
    /// without `Tunables::value_labels`.
    ///
    /// Constants are not tagged: Cranelift merges equal constants and
    /// places them where it likes (often as immediates, in no register),
    /// and a label's range runs from one tagged definition to the next in
    /// code order, so a shared zero tagged for every local would end the
    /// ranges of values set earlier wherever Cranelift put it.
    fn label(&mut self, v: Value, label: u32) {
        let func = &self.builder.func;
        if func.dfg.values_labels.is_none() {
            return;
        }
        if let ValueDef::Result(inst, _) = func.dfg.value_def(v) {
            if matches!(
                func.dfg.insts[inst].opcode(),
                Opcode::Iconst | Opcode::F32const | Opcode::F64const | Opcode::Vconst
            ) {
                return;
            }
        }
        self.builder.set_val_label(v, ValueLabel::from_u32(label));
    }

    fn global_get(&mut self, index: u32) {
        let ty = self.env.info.globals[index as usize];
        let (base, at) = self.global_addr(index);
        let flags = if ty.mutable {
            self.vm_flags
        } else {
            self.vm_readonly_flags
        };
        let v = self
            .builder
            .ins()
            .load(ir_type(ty.content), flags, base, at as i32);
        self.push(v, ty.content);
    }

    fn global_set(&mut self, index: u32) {
        let v = self.pop();
        let (base, at) = self.global_addr(index);
        self.builder.ins().store(self.vm_flags, v, base, at as i32);
    }
}
