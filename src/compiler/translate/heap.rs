//! Linear memory: loads and stores with their bounds checks, and the
//! memory operators (`memory.size`, `memory.grow`, the bulk operators and
//! `data.drop`).
//!
//! An access's native address is `base + index + offset`. Whether it needs
//! an explicit bounds check is the memory's `MemoryPlan`'s decision (a
//! static memory with a large enough guard region leaves out-of-bounds
//! accesses to the guard pages); the check itself depends on the memory's
//! index type, which is a parameter of [`FuncTranslator::bounds_checked_addr`]
//! so that 64-bit memories (memory64) use the same code.

use super::{unsupported, FuncTranslator, Offer};
use crate::environ::vmoffsets::memory_def;
use crate::environ::{BuiltinFunction, TrapKind};
use crate::environ::{MemoryType, ValType};
use anyhow::Result;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{types, InstBuilder, MemFlagsData, Value};
use cranelift_frontend::FunctionBuilder;
use wasmparser::{MemArg, MemArgTarget, Operator};

/// The type of a memory's addresses and sizes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum IndexType {
    I32,
    /// memory64.
    I64,
}

impl IndexType {
    pub(super) fn of(ty: &MemoryType) -> IndexType {
        if ty.memory64 {
            IndexType::I64
        } else {
            IndexType::I32
        }
    }

    fn val_type(self) -> ValType {
        match self {
            IndexType::I32 => ValType::I32,
            IndexType::I64 => ValType::I64,
        }
    }
}

impl FuncTranslator<'_, '_> {
    /// Translates `op` if it is a memory access or memory operator.
    pub(super) fn memory_operator<'w>(&mut self, op: Operator<'w>) -> Offer<'w> {
        use Operator as O;
        use ValType::{F32, F64, I32, I64};
        let (i32t, i64t, f32t, f64t) = (types::I32, types::I64, types::F32, types::F64);
        match op {
            O::I32Load { memarg } => {
                self.load(&memarg, 4, I32, |b, f, a| b.ins().load(i32t, f, a, 0))?
            }
            O::I64Load { memarg } => {
                self.load(&memarg, 8, I64, |b, f, a| b.ins().load(i64t, f, a, 0))?
            }
            O::F32Load { memarg } => {
                self.load(&memarg, 4, F32, |b, f, a| b.ins().load(f32t, f, a, 0))?
            }
            O::F64Load { memarg } => {
                self.load(&memarg, 8, F64, |b, f, a| b.ins().load(f64t, f, a, 0))?
            }
            O::I32Load8S { memarg } => {
                self.load(&memarg, 1, I32, |b, f, a| b.ins().sload8(i32t, f, a, 0))?
            }
            O::I32Load8U { memarg } => {
                self.load(&memarg, 1, I32, |b, f, a| b.ins().uload8(i32t, f, a, 0))?
            }
            O::I32Load16S { memarg } => {
                self.load(&memarg, 2, I32, |b, f, a| b.ins().sload16(i32t, f, a, 0))?
            }
            O::I32Load16U { memarg } => {
                self.load(&memarg, 2, I32, |b, f, a| b.ins().uload16(i32t, f, a, 0))?
            }
            O::I64Load8S { memarg } => {
                self.load(&memarg, 1, I64, |b, f, a| b.ins().sload8(i64t, f, a, 0))?
            }
            O::I64Load8U { memarg } => {
                self.load(&memarg, 1, I64, |b, f, a| b.ins().uload8(i64t, f, a, 0))?
            }
            O::I64Load16S { memarg } => {
                self.load(&memarg, 2, I64, |b, f, a| b.ins().sload16(i64t, f, a, 0))?
            }
            O::I64Load16U { memarg } => {
                self.load(&memarg, 2, I64, |b, f, a| b.ins().uload16(i64t, f, a, 0))?
            }
            O::I64Load32S { memarg } => {
                self.load(&memarg, 4, I64, |b, f, a| b.ins().sload32(f, a, 0))?
            }
            O::I64Load32U { memarg } => {
                self.load(&memarg, 4, I64, |b, f, a| b.ins().uload32(f, a, 0))?
            }
            O::I32Store { memarg } | O::F32Store { memarg } => {
                self.store(&memarg, 4, |b, f, v, a| {
                    b.ins().store(f, v, a, 0);
                })?
            }
            O::I64Store { memarg } | O::F64Store { memarg } => {
                self.store(&memarg, 8, |b, f, v, a| {
                    b.ins().store(f, v, a, 0);
                })?
            }
            O::I32Store8 { memarg } | O::I64Store8 { memarg } => {
                self.store(&memarg, 1, |b, f, v, a| {
                    b.ins().istore8(f, v, a, 0);
                })?
            }
            O::I32Store16 { memarg } | O::I64Store16 { memarg } => {
                self.store(&memarg, 2, |b, f, v, a| {
                    b.ins().istore16(f, v, a, 0);
                })?
            }
            O::I64Store32 { memarg } => self.store(&memarg, 4, |b, f, v, a| {
                b.ins().istore32(f, v, a, 0);
            })?,
            O::MemorySize { mem } => self.memory_size(mem),
            O::MemoryGrow { mem } => self.memory_grow(mem),
            O::MemoryCopy { dst_mem, src_mem } => {
                let (d, s, n) = self.pop3_operands();
                let (d, s, n) = (self.widen(d), self.widen(s), self.widen(n));
                if self.wmemcheck_memory(src_mem) {
                    self.wmemcheck_access(s, 0, n, false);
                }
                if self.wmemcheck_memory(dst_mem) {
                    self.wmemcheck_access(d, 0, n, true);
                }
                let (dm, sm) = (self.i32_const(dst_mem), self.i32_const(src_mem));
                self.call_builtin(BuiltinFunction::MemoryCopy, &[dm, d, sm, s, n]);
            }
            O::MemoryFill { mem } => {
                let (d, val, n) = self.pop3_operands();
                let (d, n) = (self.widen(d), self.widen(n));
                if self.wmemcheck_memory(mem) {
                    self.wmemcheck_access(d, 0, n, true);
                }
                let m = self.i32_const(mem);
                self.call_builtin(BuiltinFunction::MemoryFill, &[m, d, val.value, n]);
            }
            O::MemoryInit { data_index, mem } => {
                let (d, s, n) = self.pop3_operands();
                let d = self.widen(d);
                if self.wmemcheck_memory(mem) {
                    let len = self.uext64(n.value);
                    self.wmemcheck_access(d, 0, len, true);
                }
                let (m, di) = (self.i32_const(mem), self.i32_const(data_index));
                self.call_builtin(BuiltinFunction::MemoryInit, &[m, di, d, s.value, n.value]);
            }
            O::DataDrop { data_index } => {
                let di = self.i32_const(data_index);
                self.call_builtin(BuiltinFunction::DataDrop, &[di]);
            }
            other => return Ok(Some(other)),
        }
        Ok(None)
    }

    /// An address or size operand as the `i64` the builtins take: a 32-bit
    /// one is zero-extended, a 64-bit one (memory64, table64) is already wide.
    pub(super) fn widen(&mut self, operand: super::Operand) -> Value {
        match operand.ty {
            ValType::I32 => self.uext64(operand.value),
            _ => operand.value,
        }
    }

    /// The memory an access targets.
    pub(super) fn access_memory(&self, memarg: &MemArg) -> Result<u32> {
        match memarg.target {
            MemArgTarget::Memory(m) => Ok(m),
            MemArgTarget::Array(_) => Err(unsupported("gc", self.op_offset)),
        }
    }

    /// The native address of a `size`-byte access at the popped index plus
    /// `memarg.offset`, a write when `write` (else a read), reported to
    /// `wmemcheck` first when it checks the memory.
    pub(super) fn heap_addr(&mut self, memarg: &MemArg, size: u32, write: bool) -> Result<Value> {
        let memory = self.access_memory(memarg)?;
        let index = self.pop();
        let index_ty = IndexType::of(&self.env.plans[memory as usize].ty);
        if self.wmemcheck_memory(memory) {
            let wide = self.index_i64(index, index_ty);
            self.wmemcheck_access_sized(wide, index_ty, memarg.offset, size, write);
        }
        Ok(self.bounds_checked_addr(memory, index, index_ty, memarg.offset, size))
    }

    /// A memory index of type `index_ty` as an `i64`.
    pub(super) fn index_i64(&mut self, index: Value, index_ty: IndexType) -> Value {
        match index_ty {
            IndexType::I32 => self.uext64(index),
            IndexType::I64 => index,
        }
    }

    /// The native address of a `size`-byte access of `memory` at `index`
    /// (of type `index_ty`) plus the constant `offset`, trapping with
    /// `MemoryOutOfBounds` when any byte of it lies past the memory's
    /// current length, unless the plan leaves that to the guard region.
    pub(super) fn bounds_checked_addr(
        &mut self,
        memory: u32,
        index: Value,
        index_ty: IndexType,
        offset: u64,
        size: u32,
    ) -> Value {
        let index = match index_ty {
            IndexType::I32 => self.builder.ins().uextend(types::I64, index),
            IndexType::I64 => index,
        };
        let plan = self.env.plans[memory as usize];
        let (def, at) = self.memory_def(memory);
        let base_flags = if plan.is_static() {
            self.vm_readonly_flags
        } else {
            self.vm_flags
        };
        let base =
            self.builder
                .ins()
                .load(types::I64, base_flags, def, (at + memory_def::BASE) as i32);
        let addr = self.builder.ins().iadd(base, index);
        let addr = if offset == 0 {
            addr
        } else {
            self.builder.ins().iadd_imm_u(addr, offset as i64)
        };
        if plan.can_elide_bounds_check(offset, u64::from(size)) {
            return addr;
        }
        let len = self.load_vm_i64(def, at + memory_def::CURRENT_LENGTH);
        let oob = match index_ty {
            // Past the length, everything up to the guard's end faults.
            _ if plan.guard_covers_access(offset, u64::from(size)) => {
                self.builder
                    .ins()
                    .icmp(IntCC::UnsignedGreaterThan, index, len)
            }
            IndexType::I32 => {
                // A 32-bit index plus a 32-bit offset plus the size cannot
                // overflow 64 bits.
                let end = self
                    .builder
                    .ins()
                    .iadd_imm_u(index, (offset + u64::from(size)) as i64);
                self.builder
                    .ins()
                    .icmp(IntCC::UnsignedGreaterThan, end, len)
            }
            IndexType::I64 => match offset.checked_add(u64::from(size)) {
                // 64 bits each: the end can wrap, and a wrapped end is out
                // of bounds too.
                Some(reach) => {
                    let reach = self.builder.ins().iconst(types::I64, reach as i64);
                    let (end, wrapped) = self.builder.ins().uadd_overflow(index, reach);
                    let past = self
                        .builder
                        .ins()
                        .icmp(IntCC::UnsignedGreaterThan, end, len);
                    self.builder.ins().bor(past, wrapped)
                }
                // Offset plus size alone exceed the address space.
                None => self.builder.ins().iconst(types::I8, 1),
            },
        };
        if self.spectre_heap {
            // Even speculatively, an out-of-bounds access goes to address
            // 0, where the access faults: that fault is the trap (the
            // access is a recorded trap site), so no branch is needed.
            let null = self.builder.ins().iconst(types::I64, 0);
            self.builder.ins().select_spectre_guard(oob, null, addr)
        } else {
            self.trapnz(oob, TrapKind::MemoryOutOfBounds);
            addr
        }
    }

    /// A load of `size` bytes giving a `ty`: `emit(builder, flags, address)`
    /// emits the access.
    fn load(
        &mut self,
        memarg: &MemArg,
        size: u32,
        ty: ValType,
        emit: impl FnOnce(&mut FunctionBuilder<'_>, MemFlagsData, Value) -> Value,
    ) -> Result<()> {
        let addr = self.heap_addr(memarg, size, false)?;
        let v = emit(&mut self.builder, self.heap_flags, addr);
        self.push(v, ty);
        Ok(())
    }

    /// A store of `size` bytes: `emit(builder, flags, value, address)` emits
    /// the access.
    fn store(
        &mut self,
        memarg: &MemArg,
        size: u32,
        emit: impl FnOnce(&mut FunctionBuilder<'_>, MemFlagsData, Value, Value),
    ) -> Result<()> {
        let value = self.pop();
        let addr = self.heap_addr(memarg, size, true)?;
        emit(&mut self.builder, self.heap_flags, value, addr);
        Ok(())
    }

    fn memory_size(&mut self, mem: u32) {
        let plan = self.env.plans[mem as usize];
        let index_ty = IndexType::of(&plan.ty);
        let (def, at) = self.memory_def(mem);
        let len = self.load_vm_i64(def, at + memory_def::CURRENT_LENGTH);
        let pages = self
            .builder
            .ins()
            .ushr_imm_u(len, i64::from(plan.ty.page_size_log2));
        let v = match index_ty {
            IndexType::I32 => self.builder.ins().ireduce(types::I32, pages),
            IndexType::I64 => pages,
        };
        self.push(v, index_ty.val_type());
    }

    /// `memory.grow`: the builtin returns the old size in pages, or -1
    /// (not a trap) when the memory cannot grow that far.
    fn memory_grow(&mut self, mem: u32) {
        let index_ty = IndexType::of(&self.env.plans[mem as usize].ty);
        let delta = self.pop_operand();
        let delta = self.widen(delta);
        let mem_v = self.i32_const(mem);
        let old = self
            .call_builtin(BuiltinFunction::MemoryGrow, &[mem_v, delta])
            .expect("memory.grow returns a value");
        let v = match index_ty {
            IndexType::I32 => self.builder.ins().ireduce(types::I32, old),
            IndexType::I64 => old,
        };
        self.push(v, index_ty.val_type());
    }
}
