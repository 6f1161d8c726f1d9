//! The threads proposal's operators: atomic loads, stores,
//! read-modify-writes and compare-exchanges, `atomic.fence`, and
//! `memory.atomic.wait32/wait64/notify`.
//!
//! Every atomic access is bounds-checked like a plain one (see `heap`) and
//! then checked for natural alignment, trapping with `HeapMisaligned`: a
//! memory's base is page aligned, so the native address is aligned exactly
//! when the wasm address is. Atomics work on unshared memories too (they
//! are then ordinary accesses that happen to be sequentially consistent);
//! only `wait` needs a shared memory, which is known at compile time from
//! the memory's type, so waiting on an unshared one compiles to its trap
//! and `notify` on one to the constant 0 (nobody can be waiting there).

use super::heap::IndexType;
use super::{FuncTranslator, Offer, Operand};
use crate::environ::{BuiltinFunction, TrapKind, ValType};
use anyhow::Result;
use cranelift_codegen::ir::{types, AtomicRmwOp, InstBuilder, Type, Value};
use wasmparser::{MemArg, Operator};

/// The Cranelift type of an `n`-byte access.
fn access_type(bytes: u32) -> Type {
    match bytes {
        1 => types::I8,
        2 => types::I16,
        4 => types::I32,
        _ => types::I64,
    }
}

impl FuncTranslator<'_, '_> {
    /// Translates `op` if it is an operator of the threads proposal.
    pub(super) fn atomic_operator<'w>(&mut self, op: Operator<'w>) -> Offer<'w> {
        use AtomicRmwOp as R;
        use Operator as O;
        use ValType::{I32, I64};
        match op {
            O::AtomicFence { .. } => {
                self.builder.ins().fence();
            }
            O::MemoryAtomicNotify { memarg } => self.atomic_notify(&memarg)?,
            O::MemoryAtomicWait32 { memarg } => self.atomic_wait(&memarg, 4)?,
            O::MemoryAtomicWait64 { memarg } => self.atomic_wait(&memarg, 8)?,

            O::I32AtomicLoad { memarg } => self.atomic_load(&memarg, 4, I32)?,
            O::I64AtomicLoad { memarg } => self.atomic_load(&memarg, 8, I64)?,
            O::I32AtomicLoad8U { memarg } => self.atomic_load(&memarg, 1, I32)?,
            O::I32AtomicLoad16U { memarg } => self.atomic_load(&memarg, 2, I32)?,
            O::I64AtomicLoad8U { memarg } => self.atomic_load(&memarg, 1, I64)?,
            O::I64AtomicLoad16U { memarg } => self.atomic_load(&memarg, 2, I64)?,
            O::I64AtomicLoad32U { memarg } => self.atomic_load(&memarg, 4, I64)?,

            O::I32AtomicStore { memarg } => self.atomic_store(&memarg, 4)?,
            O::I64AtomicStore { memarg } => self.atomic_store(&memarg, 8)?,
            O::I32AtomicStore8 { memarg } | O::I64AtomicStore8 { memarg } => {
                self.atomic_store(&memarg, 1)?
            }
            O::I32AtomicStore16 { memarg } | O::I64AtomicStore16 { memarg } => {
                self.atomic_store(&memarg, 2)?
            }
            O::I64AtomicStore32 { memarg } => self.atomic_store(&memarg, 4)?,

            O::I32AtomicRmwAdd { memarg } => self.atomic_rmw(&memarg, 4, I32, R::Add)?,
            O::I64AtomicRmwAdd { memarg } => self.atomic_rmw(&memarg, 8, I64, R::Add)?,
            O::I32AtomicRmw8AddU { memarg } => self.atomic_rmw(&memarg, 1, I32, R::Add)?,
            O::I32AtomicRmw16AddU { memarg } => self.atomic_rmw(&memarg, 2, I32, R::Add)?,
            O::I64AtomicRmw8AddU { memarg } => self.atomic_rmw(&memarg, 1, I64, R::Add)?,
            O::I64AtomicRmw16AddU { memarg } => self.atomic_rmw(&memarg, 2, I64, R::Add)?,
            O::I64AtomicRmw32AddU { memarg } => self.atomic_rmw(&memarg, 4, I64, R::Add)?,

            O::I32AtomicRmwSub { memarg } => self.atomic_rmw(&memarg, 4, I32, R::Sub)?,
            O::I64AtomicRmwSub { memarg } => self.atomic_rmw(&memarg, 8, I64, R::Sub)?,
            O::I32AtomicRmw8SubU { memarg } => self.atomic_rmw(&memarg, 1, I32, R::Sub)?,
            O::I32AtomicRmw16SubU { memarg } => self.atomic_rmw(&memarg, 2, I32, R::Sub)?,
            O::I64AtomicRmw8SubU { memarg } => self.atomic_rmw(&memarg, 1, I64, R::Sub)?,
            O::I64AtomicRmw16SubU { memarg } => self.atomic_rmw(&memarg, 2, I64, R::Sub)?,
            O::I64AtomicRmw32SubU { memarg } => self.atomic_rmw(&memarg, 4, I64, R::Sub)?,

            O::I32AtomicRmwAnd { memarg } => self.atomic_rmw(&memarg, 4, I32, R::And)?,
            O::I64AtomicRmwAnd { memarg } => self.atomic_rmw(&memarg, 8, I64, R::And)?,
            O::I32AtomicRmw8AndU { memarg } => self.atomic_rmw(&memarg, 1, I32, R::And)?,
            O::I32AtomicRmw16AndU { memarg } => self.atomic_rmw(&memarg, 2, I32, R::And)?,
            O::I64AtomicRmw8AndU { memarg } => self.atomic_rmw(&memarg, 1, I64, R::And)?,
            O::I64AtomicRmw16AndU { memarg } => self.atomic_rmw(&memarg, 2, I64, R::And)?,
            O::I64AtomicRmw32AndU { memarg } => self.atomic_rmw(&memarg, 4, I64, R::And)?,

            O::I32AtomicRmwOr { memarg } => self.atomic_rmw(&memarg, 4, I32, R::Or)?,
            O::I64AtomicRmwOr { memarg } => self.atomic_rmw(&memarg, 8, I64, R::Or)?,
            O::I32AtomicRmw8OrU { memarg } => self.atomic_rmw(&memarg, 1, I32, R::Or)?,
            O::I32AtomicRmw16OrU { memarg } => self.atomic_rmw(&memarg, 2, I32, R::Or)?,
            O::I64AtomicRmw8OrU { memarg } => self.atomic_rmw(&memarg, 1, I64, R::Or)?,
            O::I64AtomicRmw16OrU { memarg } => self.atomic_rmw(&memarg, 2, I64, R::Or)?,
            O::I64AtomicRmw32OrU { memarg } => self.atomic_rmw(&memarg, 4, I64, R::Or)?,

            O::I32AtomicRmwXor { memarg } => self.atomic_rmw(&memarg, 4, I32, R::Xor)?,
            O::I64AtomicRmwXor { memarg } => self.atomic_rmw(&memarg, 8, I64, R::Xor)?,
            O::I32AtomicRmw8XorU { memarg } => self.atomic_rmw(&memarg, 1, I32, R::Xor)?,
            O::I32AtomicRmw16XorU { memarg } => self.atomic_rmw(&memarg, 2, I32, R::Xor)?,
            O::I64AtomicRmw8XorU { memarg } => self.atomic_rmw(&memarg, 1, I64, R::Xor)?,
            O::I64AtomicRmw16XorU { memarg } => self.atomic_rmw(&memarg, 2, I64, R::Xor)?,
            O::I64AtomicRmw32XorU { memarg } => self.atomic_rmw(&memarg, 4, I64, R::Xor)?,

            O::I32AtomicRmwXchg { memarg } => self.atomic_rmw(&memarg, 4, I32, R::Xchg)?,
            O::I64AtomicRmwXchg { memarg } => self.atomic_rmw(&memarg, 8, I64, R::Xchg)?,
            O::I32AtomicRmw8XchgU { memarg } => self.atomic_rmw(&memarg, 1, I32, R::Xchg)?,
            O::I32AtomicRmw16XchgU { memarg } => self.atomic_rmw(&memarg, 2, I32, R::Xchg)?,
            O::I64AtomicRmw8XchgU { memarg } => self.atomic_rmw(&memarg, 1, I64, R::Xchg)?,
            O::I64AtomicRmw16XchgU { memarg } => self.atomic_rmw(&memarg, 2, I64, R::Xchg)?,
            O::I64AtomicRmw32XchgU { memarg } => self.atomic_rmw(&memarg, 4, I64, R::Xchg)?,

            O::I32AtomicRmwCmpxchg { memarg } => self.atomic_cmpxchg(&memarg, 4, I32)?,
            O::I64AtomicRmwCmpxchg { memarg } => self.atomic_cmpxchg(&memarg, 8, I64)?,
            O::I32AtomicRmw8CmpxchgU { memarg } => self.atomic_cmpxchg(&memarg, 1, I32)?,
            O::I32AtomicRmw16CmpxchgU { memarg } => self.atomic_cmpxchg(&memarg, 2, I32)?,
            O::I64AtomicRmw8CmpxchgU { memarg } => self.atomic_cmpxchg(&memarg, 1, I64)?,
            O::I64AtomicRmw16CmpxchgU { memarg } => self.atomic_cmpxchg(&memarg, 2, I64)?,
            O::I64AtomicRmw32CmpxchgU { memarg } => self.atomic_cmpxchg(&memarg, 4, I64)?,

            other => return Ok(Some(other)),
        }
        Ok(None)
    }

    /// The checked native address of a `size`-byte atomic access at the
    /// index operand `index` plus `memarg.offset`: in bounds, then
    /// naturally aligned; reported to `wmemcheck` first (a write when
    /// `write`) when it checks the memory.
    fn atomic_addr(
        &mut self,
        memarg: &MemArg,
        index: Operand,
        size: u32,
        write: bool,
    ) -> Result<Value> {
        let memory = self.access_memory(memarg)?;
        let index_ty = self.index_type(memory);
        if self.wmemcheck_memory(memory) {
            let wide = self.index_i64(index.value, index_ty);
            self.wmemcheck_access_sized(wide, index_ty, memarg.offset, size, write);
        }
        let addr = self.bounds_checked_addr(memory, index.value, index_ty, memarg.offset, size);
        if size > 1 {
            let low = self.builder.ins().band_imm_u(addr, i64::from(size - 1));
            self.trapnz(low, TrapKind::HeapMisaligned);
        }
        Ok(addr)
    }

    /// `value` (an `i32` or `i64` operand) narrowed to an `n`-byte access.
    fn narrow(&mut self, value: Value, ty: ValType, bytes: u32) -> Value {
        let access = access_type(bytes);
        if access == super::ir_type(ty) {
            value
        } else {
            self.builder.ins().ireduce(access, value)
        }
    }

    /// An `n`-byte access's result zero-extended to `ty`.
    fn widen_result(&mut self, value: Value, ty: ValType, bytes: u32) -> Value {
        let wide = super::ir_type(ty);
        if access_type(bytes) == wide {
            value
        } else {
            self.builder.ins().uextend(wide, value)
        }
    }

    fn atomic_load(&mut self, memarg: &MemArg, bytes: u32, ty: ValType) -> Result<()> {
        let index = self.pop_operand();
        let addr = self.atomic_addr(memarg, index, bytes, false)?;
        let v = self
            .builder
            .ins()
            .atomic_load(access_type(bytes), self.heap_flags, addr);
        let v = self.widen_result(v, ty, bytes);
        self.push(v, ty);
        Ok(())
    }

    fn atomic_store(&mut self, memarg: &MemArg, bytes: u32) -> Result<()> {
        let value = self.pop_operand();
        let index = self.pop_operand();
        let addr = self.atomic_addr(memarg, index, bytes, true)?;
        let v = self.narrow(value.value, value.ty, bytes);
        self.builder.ins().atomic_store(self.heap_flags, v, addr);
        Ok(())
    }

    fn atomic_rmw(
        &mut self,
        memarg: &MemArg,
        bytes: u32,
        ty: ValType,
        op: AtomicRmwOp,
    ) -> Result<()> {
        let operand = self.pop();
        let index = self.pop_operand();
        let addr = self.atomic_addr(memarg, index, bytes, true)?;
        let x = self.narrow(operand, ty, bytes);
        let old = self
            .builder
            .ins()
            .atomic_rmw(access_type(bytes), self.heap_flags, op, addr, x);
        let old = self.widen_result(old, ty, bytes);
        self.push(old, ty);
        Ok(())
    }

    /// `cmpxchg`: the expected value is wrapped to the access size, as the
    /// proposal says, so a narrow compare sees only the bytes it accesses.
    fn atomic_cmpxchg(&mut self, memarg: &MemArg, bytes: u32, ty: ValType) -> Result<()> {
        let replacement = self.pop();
        let expected = self.pop();
        let index = self.pop_operand();
        let addr = self.atomic_addr(memarg, index, bytes, true)?;
        let expected = self.narrow(expected, ty, bytes);
        let replacement = self.narrow(replacement, ty, bytes);
        let old = self
            .builder
            .ins()
            .atomic_cas(self.heap_flags, addr, expected, replacement);
        let old = self.widen_result(old, ty, bytes);
        self.push(old, ty);
        Ok(())
    }

    /// The wasm address `index + offset` as an `i64`, for the builtins
    /// (only used after `atomic_addr` proved it in bounds, so the sum
    /// does not wrap).
    fn wasm_address(&mut self, index: Operand, offset: u64) -> Value {
        let index = self.widen(index);
        if offset == 0 {
            index
        } else {
            self.builder.ins().iadd_imm_u(index, offset as i64)
        }
    }

    fn is_shared(&self, memory: u32) -> bool {
        self.env.plans[memory as usize].ty.shared
    }

    /// `memory.atomic.wait32/64` (`bytes` 4 or 8): blocks in the runtime on
    /// a shared memory; traps on an unshared one.
    fn atomic_wait(&mut self, memarg: &MemArg, bytes: u32) -> Result<()> {
        let timeout = self.pop();
        let expected = self.pop();
        let index = self.pop_operand();
        let memory = self.access_memory(memarg)?;
        self.atomic_addr(memarg, index, bytes, false)?;
        if !self.is_shared(memory) {
            let never = self.builder.ins().iconst(types::I8, 0);
            self.trapz(never, TrapKind::AtomicWaitNonSharedMemory);
            let v = self.builder.ins().iconst(types::I32, 0);
            self.push(v, ValType::I32);
            return Ok(());
        }
        let addr = self.wasm_address(index, memarg.offset);
        let m = self.i32_const(memory);
        let builtin = if bytes == 4 {
            BuiltinFunction::MemoryAtomicWait32
        } else {
            BuiltinFunction::MemoryAtomicWait64
        };
        let result = self
            .call_builtin(builtin, &[m, addr, expected, timeout])
            .expect("wait returns a value");
        self.push(result, ValType::I32);
        Ok(())
    }

    /// `memory.atomic.notify`: wakes waiters of a shared memory; 0 on an
    /// unshared one, where no thread can wait.
    fn atomic_notify(&mut self, memarg: &MemArg) -> Result<()> {
        let count = self.pop();
        let index = self.pop_operand();
        let memory = self.access_memory(memarg)?;
        self.atomic_addr(memarg, index, 4, false)?;
        let woken = if self.is_shared(memory) {
            let addr = self.wasm_address(index, memarg.offset);
            let m = self.i32_const(memory);
            self.call_builtin(BuiltinFunction::MemoryAtomicNotify, &[m, addr, count])
                .expect("notify returns a value")
        } else {
            self.builder.ins().iconst(types::I32, 0)
        };
        self.push(woken, ValType::I32);
        Ok(())
    }

    /// The index type of `memory`.
    fn index_type(&self, memory: u32) -> IndexType {
        IndexType::of(&self.env.plans[memory as usize].ty)
    }
}
