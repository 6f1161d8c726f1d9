//! Tables and references: element accesses with their bounds checks, the
//! table operators, and `ref.null`, `ref.is_null`, `ref.func` and
//! `ref.as_non_null`.
//!
//! A table's elements are pointer-sized (`*const VMFuncRef` for funcref,
//! an opaque host pointer for externref, 0 for null) in an array the
//! table's `VMTableDefinition` points at. With `table_lazy_init`, funcref
//! elements are stored tagged (the runtime's `table::Encoding`: 0 not
//! initialised yet, else `value | 1`): reads decode them, a 0 going
//! through the cold `TableGetLazyInit` builtin, and writes tag them.

use super::{FuncTranslator, Offer};
use crate::environ::vmoffsets::table_def;
use crate::environ::{BuiltinFunction, TrapKind};
use crate::environ::{HeapType, RefType, TypeKind, ValType};
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{types, BlockArg, InstBuilder, Value};
use wasmparser::Operator;

impl FuncTranslator<'_, '_> {
    /// Translates `op` if it is a table or reference operator.
    pub(super) fn table_operator<'w>(&mut self, op: Operator<'w>) -> Offer<'w> {
        use Operator as O;
        match op {
            O::TableGet { table } => {
                let index = self.pop();
                let v = self.table_elem_get(table, index);
                self.push(v, self.env.info.tables[table as usize].element);
            }
            O::TableSet { table } => {
                let (index, value) = self.pop2();
                let addr = self.table_elem_addr(table, index, TrapKind::TableOutOfBounds);
                let stored = if self.table_is_tagged(table) {
                    // Initialised, null included: a null stays null rather
                    // than reading the initial value again.
                    self.builder.ins().bor_imm_u(value, 1)
                } else {
                    value
                };
                self.builder.ins().store(self.table_flags, stored, addr, 0);
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
                let heap = self.wasm_heap_type(hty);
                self.push(
                    v,
                    ValType::Ref(RefType {
                        nullable: true,
                        heap,
                    }),
                );
            }
            O::RefIsNull => self.eqz(),
            O::RefFunc { function_index } => {
                let at = self.offsets().func_ref(function_index);
                let v = self.builder.ins().iadd_imm_u(self.vmctx, i64::from(at));
                let ty = self.env.info.functions[function_index as usize];
                self.push(v, non_null(HeapType::Module(ty, TypeKind::Func)));
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

    /// Whether `table`'s elements are stored tagged: a funcref table of an
    /// engine with `table_lazy_init` (the runtime's `Encoding::of`).
    fn table_is_tagged(&self, table: u32) -> bool {
        let element = self.env.info.tables[table as usize].element;
        self.env.tunables.table_lazy_init && matches!(element, ValType::Ref(r) if r.heap.is_func())
    }

    /// The value of element `index` (of the table's index type) of
    /// `table`, trapping with `TableOutOfBounds` past the end: a plain
    /// load, decoded for a tagged table.
    pub(super) fn table_elem_get(&mut self, table: u32, index: Value) -> Value {
        let addr = self.table_elem_addr(table, index, TrapKind::TableOutOfBounds);
        let raw = self
            .builder
            .ins()
            .load(types::I64, self.table_flags, addr, 0);
        if !self.table_is_tagged(table) {
            return raw;
        }
        let index = self.table_index_i64(table, index);
        self.decode_tagged(table, index, raw)
    }

    /// The value of a tagged element stored as `raw`: `raw & !1`, or, when
    /// 0 (not initialised yet), what the cold `TableGetLazyInit` call
    /// initialises it to. `index` is in bounds.
    fn decode_tagged(&mut self, table: u32, index: Value, raw: Value) -> Value {
        let lazy = self.builder.create_block();
        let ready = self.builder.create_block();
        let done = self.builder.create_block();
        let value = self.builder.append_block_param(done, types::I64);
        self.builder.ins().brif(raw, ready, &[], lazy, &[]);

        self.builder.set_cold_block(lazy);
        self.builder.switch_to_block(lazy);
        self.builder.seal_block(lazy);
        let t = self.i32_const(table);
        let init = self
            .call_builtin(BuiltinFunction::TableGetLazyInit, &[t, index])
            .expect("TableGetLazyInit returns a value");
        self.builder.ins().jump(done, &[BlockArg::Value(init)]);

        self.builder.switch_to_block(ready);
        self.builder.seal_block(ready);
        let untagged = self.builder.ins().band_imm_s(raw, -2);
        self.builder.ins().jump(done, &[BlockArg::Value(untagged)]);

        self.builder.switch_to_block(done);
        self.builder.seal_block(done);
        value
    }

    /// `index` (of `table`'s index type) as an `i64`.
    fn table_index_i64(&mut self, table: u32, index: Value) -> Value {
        if self.is_table64(table) {
            index
        } else {
            self.builder.ins().uextend(types::I64, index)
        }
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
        let index = self.table_index_i64(table, index);
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
