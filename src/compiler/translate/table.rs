//! Tables and references: element accesses with their bounds checks, the
//! table operators, and `ref.null`, `ref.is_null`, `ref.func` and
//! `ref.as_non_null`.
//!
//! A table's elements are pointer-sized (`*const VMFuncRef` for funcref,
//! an opaque host pointer for externref, 0 for null) in an array the
//! table's `VMTableDefinition` points at.

use super::{FuncTranslator, Offer};
use crate::environ::parse::heap_type_of;
use crate::environ::vmoffsets::table_def;
use crate::environ::{BuiltinFunction, TrapKind};
use crate::environ::{HeapType, RefType, ValType};
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{types, InstBuilder, Value};
use wasmparser::Operator;

impl FuncTranslator<'_, '_> {
    /// Translates `op` if it is a table or reference operator.
    pub(super) fn table_operator<'w>(&mut self, op: Operator<'w>) -> Offer<'w> {
        use Operator as O;
        match op {
            O::TableGet { table } => {
                let index = self.pop();
                let addr = self.table_elem_addr(table, index, TrapKind::TableOutOfBounds);
                let v = self
                    .builder
                    .ins()
                    .load(types::I64, self.table_flags, addr, 0);
                self.push(v, self.env.info.tables[table as usize].element);
            }
            O::TableSet { table } => {
                let (index, value) = self.pop2();
                let addr = self.table_elem_addr(table, index, TrapKind::TableOutOfBounds);
                self.builder.ins().store(self.table_flags, value, addr, 0);
            }
            O::TableSize { table } => {
                let (def, at) = self.table_def(table);
                let len = self.load_vm_i64(def, at + table_def::CURRENT_ELEMENTS);
                self.push_table_index(table, len);
            }
            O::TableGrow { table } => {
                let delta = self.pop_operand();
                let init = self.pop();
                let delta = self.widen(delta);
                let t = self.i32_const(table);
                // The builtin returns the old size, or -1 (all ones) when
                // the table cannot grow that far.
                let old = self
                    .call_builtin(BuiltinFunction::TableGrow, &[t, delta, init])
                    .expect("table.grow returns a value");
                self.push_table_index(table, old);
            }
            O::TableFill { table } => {
                let n = self.pop_operand();
                let val = self.pop();
                let d = self.pop_operand();
                let (d, n) = (self.widen(d), self.widen(n));
                let t = self.i32_const(table);
                self.call_builtin(BuiltinFunction::TableFill, &[t, d, val, n]);
            }
            O::TableCopy {
                dst_table,
                src_table,
            } => {
                // With table64, each index has its own table's type and the
                // length the narrower of the two.
                let (d, s, n) = self.pop3_operands();
                let (d, s, n) = (self.widen(d), self.widen(s), self.widen(n));
                let (dt, st) = (self.i32_const(dst_table), self.i32_const(src_table));
                self.call_builtin(BuiltinFunction::TableCopy, &[dt, st, d, s, n]);
            }
            O::TableInit { elem_index, table } => {
                let (d, s, n) = self.pop3_operands();
                let d = self.widen(d);
                let (t, e) = (self.i32_const(table), self.i32_const(elem_index));
                self.call_builtin(BuiltinFunction::TableInit, &[t, e, d, s.value, n.value]);
            }
            O::ElemDrop { elem_index } => {
                let e = self.i32_const(elem_index);
                self.call_builtin(BuiltinFunction::ElemDrop, &[e]);
            }
            O::RefNull { hty } => {
                let v = self.builder.ins().iconst(types::I64, 0);
                self.push(v, null_of(hty));
            }
            O::RefIsNull => self.eqz(),
            O::RefFunc { function_index } => {
                let at = self.offsets().func_ref(function_index);
                let v = self.builder.ins().iadd_imm_u(self.vmctx, i64::from(at));
                let ty = self.env.info.functions[function_index as usize];
                self.push(v, non_null(HeapType::Module(ty)));
            }
            O::RefAsNonNull => {
                let operand = self.pop_operand();
                self.trapz(operand.value, TrapKind::NullReference);
                self.push(operand.value, as_non_null(operand.ty));
            }
            other => return Ok(Some(other)),
        }
        Ok(None)
    }

    /// Whether `table`'s indices are `i64` (table64).
    fn is_table64(&self, table: u32) -> bool {
        self.env.info.tables[table as usize].table64
    }

    /// Pushes an `i64` size or index of `table` as the table's index type.
    fn push_table_index(&mut self, table: u32, value: Value) {
        if self.is_table64(table) {
            self.push(value, ValType::I64);
        } else {
            let v = self.builder.ins().ireduce(types::I32, value);
            self.push(v, ValType::I32);
        }
    }

    /// The address of element `index` (of the table's index type) of
    /// `table`, trapping with `trap` when it is out of bounds.
    pub(super) fn table_elem_addr(&mut self, table: u32, index: Value, trap: TrapKind) -> Value {
        let (def, at) = self.table_def(table);
        let index = if self.is_table64(table) {
            index
        } else {
            self.builder.ins().uextend(types::I64, index)
        };
        let len = self.load_vm_i64(def, at + table_def::CURRENT_ELEMENTS);
        let oob = self
            .builder
            .ins()
            .icmp(IntCC::UnsignedGreaterThanOrEqual, index, len);
        self.trapnz(oob, trap);
        let base = self.load_vm_i64(def, at + table_def::BASE);
        let scaled = self.builder.ins().ishl_imm_u(index, 3);
        let addr = self.builder.ins().iadd(base, scaled);
        if self.spectre_table {
            // The trap above is architectural; this keeps a mispredicted
            // path from reading past the table either.
            self.builder.ins().select_spectre_guard(oob, base, addr)
        } else {
            addr
        }
    }
}

/// The type of `ref.null hty`: the nullable reference to `hty`.
fn null_of(hty: wasmparser::HeapType) -> ValType {
    let heap = heap_type_of(hty).expect("the parser accepted every heap type of the module");
    ValType::Ref(RefType {
        nullable: true,
        heap,
    })
}

/// The non-nullable reference to `heap`.
pub(super) fn non_null(heap: HeapType) -> ValType {
    ValType::Ref(RefType {
        nullable: false,
        heap,
    })
}

/// `ty`, a reference type, without null.
pub(super) fn as_non_null(ty: ValType) -> ValType {
    match ty {
        ValType::Ref(r) => non_null(r.heap),
        other => other,
    }
}
