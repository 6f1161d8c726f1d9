//! SIMD loads and stores: the whole vector, the extending loads
//! (`v128.load8x8_s` ...), the splat and zero loads, and the lane loads
//! and stores. Every access takes its address from the heap's
//! `heap_addr` with the access's own size, so its bounds check (or the
//! guard region that replaces it) covers exactly the bytes it touches,
//! and `wmemcheck` (when on) sees exactly those bytes read or written.

use super::super::{FuncTranslator, Offer};
use anyhow::Result;
use cranelift_codegen::ir::{types, InstBuilder, Type, Value};
use wasmparser::{MemArg, Operator};

impl FuncTranslator<'_, '_> {
    /// Translates `op` if it is a SIMD memory access.
    pub(super) fn simd_memory_operator<'w>(&mut self, op: Operator<'w>) -> Offer<'w> {
        use types::{I16X8, I32X4, I64X2, I8X16};
        use Operator as O;
        match op {
            O::V128Load { memarg } => {
                let addr = self.heap_addr(&memarg, 16, false)?;
                let v = self.builder.ins().load(I8X16, self.heap_flags, addr, 0);
                self.push_v(v);
            }
            O::V128Load8x8S { memarg } => {
                let addr = self.heap_addr(&memarg, 8, false)?;
                let v = self.builder.ins().sload8x8(self.heap_flags, addr, 0);
                self.push_v(v);
            }
            O::V128Load8x8U { memarg } => {
                let addr = self.heap_addr(&memarg, 8, false)?;
                let v = self.builder.ins().uload8x8(self.heap_flags, addr, 0);
                self.push_v(v);
            }
            O::V128Load16x4S { memarg } => {
                let addr = self.heap_addr(&memarg, 8, false)?;
                let v = self.builder.ins().sload16x4(self.heap_flags, addr, 0);
                self.push_v(v);
            }
            O::V128Load16x4U { memarg } => {
                let addr = self.heap_addr(&memarg, 8, false)?;
                let v = self.builder.ins().uload16x4(self.heap_flags, addr, 0);
                self.push_v(v);
            }
            O::V128Load32x2S { memarg } => {
                let addr = self.heap_addr(&memarg, 8, false)?;
                let v = self.builder.ins().sload32x2(self.heap_flags, addr, 0);
                self.push_v(v);
            }
            O::V128Load32x2U { memarg } => {
                let addr = self.heap_addr(&memarg, 8, false)?;
                let v = self.builder.ins().uload32x2(self.heap_flags, addr, 0);
                self.push_v(v);
            }
            O::V128Load8Splat { memarg } => self.load_splat(&memarg, I8X16)?,
            O::V128Load16Splat { memarg } => self.load_splat(&memarg, I16X8)?,
            O::V128Load32Splat { memarg } => self.load_splat(&memarg, I32X4)?,
            O::V128Load64Splat { memarg } => self.load_splat(&memarg, I64X2)?,
            O::V128Load32Zero { memarg } => self.load_zero(&memarg, I32X4)?,
            O::V128Load64Zero { memarg } => self.load_zero(&memarg, I64X2)?,
            O::V128Store { memarg } => {
                // Stored as it is: a float vector with a float store.
                let v = self.pop_native();
                let addr = self.heap_addr(&memarg, 16, true)?;
                self.builder.ins().store(self.heap_flags, v, addr, 0);
            }
            O::V128Load8Lane { memarg, lane } => self.load_lane(&memarg, lane, I8X16)?,
            O::V128Load16Lane { memarg, lane } => self.load_lane(&memarg, lane, I16X8)?,
            O::V128Load32Lane { memarg, lane } => self.load_lane(&memarg, lane, I32X4)?,
            O::V128Load64Lane { memarg, lane } => self.load_lane(&memarg, lane, I64X2)?,
            O::V128Store8Lane { memarg, lane } => self.store_lane(&memarg, lane, I8X16)?,
            O::V128Store16Lane { memarg, lane } => self.store_lane(&memarg, lane, I16X8)?,
            O::V128Store32Lane { memarg, lane } => self.store_lane(&memarg, lane, I32X4)?,
            O::V128Store64Lane { memarg, lane } => self.store_lane(&memarg, lane, I64X2)?,
            other => return Ok(Some(other)),
        }
        Ok(None)
    }

    /// Loads one lane-sized scalar of `vec_ty`'s lane type at the popped
    /// address.
    fn load_scalar(&mut self, memarg: &MemArg, vec_ty: Type) -> Result<Value> {
        let lane = vec_ty.lane_type();
        let addr = self.heap_addr(memarg, lane.bytes(), false)?;
        Ok(self.builder.ins().load(lane, self.heap_flags, addr, 0))
    }

    /// `v128.loadN_splat`: one scalar copied into every lane.
    fn load_splat(&mut self, memarg: &MemArg, vec_ty: Type) -> Result<()> {
        let x = self.load_scalar(memarg, vec_ty)?;
        let v = self.builder.ins().splat(vec_ty, x);
        self.push_v(v);
        Ok(())
    }

    /// `v128.loadN_zero`: one scalar in lane 0, the other lanes zero.
    fn load_zero(&mut self, memarg: &MemArg, vec_ty: Type) -> Result<()> {
        let x = self.load_scalar(memarg, vec_ty)?;
        let v = self.builder.ins().scalar_to_vector(vec_ty, x);
        self.push_v(v);
        Ok(())
    }

    /// `v128.loadN_lane`: the vector operand with lane `lane` replaced by
    /// the scalar at the address below it on the stack.
    fn load_lane(&mut self, memarg: &MemArg, lane: u8, vec_ty: Type) -> Result<()> {
        let v = self.pop_v(vec_ty);
        let x = self.load_scalar(memarg, vec_ty)?;
        let r = self.builder.ins().insertlane(v, x, lane);
        self.push_v(r);
        Ok(())
    }

    /// `v128.storeN_lane`: stores lane `lane` of the vector operand.
    fn store_lane(&mut self, memarg: &MemArg, lane: u8, vec_ty: Type) -> Result<()> {
        let v = self.pop_v(vec_ty);
        let x = self.builder.ins().extractlane(v, lane);
        let addr = self.heap_addr(memarg, vec_ty.lane_type().bytes(), true)?;
        self.builder.ins().store(self.heap_flags, x, addr, 0);
        Ok(())
    }
}
