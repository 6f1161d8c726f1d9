//! Variable and parametric operators: `local.get`/`set`/`tee`,
//! `global.get`/`set`, `drop` and `select`.
//!
//! Locals are Cranelift variables. Globals live in their
//! `VMGlobalDefinition` (inline in the `VMContext`, or behind a pointer
//! when imported); an immutable global's value never changes, so its load
//! may be hoisted.

use super::{unsupported, FuncTranslator, Offer};
use crate::compiler::ir_type;
use cranelift_codegen::ir::InstBuilder;
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
                self.push(v, local.ty);
            }
            O::LocalSet { local_index } => {
                let v = self.pop();
                self.builder
                    .def_var(self.locals[local_index as usize].var, v);
            }
            O::LocalTee { local_index } => {
                let v = self.peek_values(1)[0];
                self.builder
                    .def_var(self.locals[local_index as usize].var, v);
            }
            O::GlobalGet { global_index } => self.global_get(global_index),
            O::GlobalSet { global_index } => self.global_set(global_index),
            other => return Ok(Some(other)),
        }
        Ok(None)
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
