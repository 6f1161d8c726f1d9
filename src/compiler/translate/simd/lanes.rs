//! Whole-vector and lane operators: `v128.const`, `i8x16.shuffle` and
//! `swizzle`, splats, lane extraction and replacement, the bitwise
//! operators with `bitselect`, and the reductions `any_true`, `all_true`
//! and `bitmask`.

use super::super::{FuncTranslator, Offer};
use crate::environ::ValType;
use cranelift_codegen::ir::{types, ConstantData, InstBuilder, Type, Value};
use cranelift_frontend::FunctionBuilder;
use wasmparser::Operator;

impl FuncTranslator<'_, '_> {
    /// Translates `op` if it is a whole-vector or lane operator.
    pub(super) fn simd_lane_operator<'w>(&mut self, op: Operator<'w>) -> Offer<'w> {
        use types::{F32X4, F64X2, I16X8, I32X4, I64X2, I8X16};
        use Operator as O;
        match op {
            O::V128Const { value } => {
                let v = self.vconst(I8X16, *value.bytes());
                self.push_v(v);
            }
            O::I8x16Shuffle { lanes } => {
                let (a, b) = self.pop2_v(I8X16);
                // Validation keeps every index below 32: lanes of `a` then `b`.
                let mask = self
                    .builder
                    .func
                    .dfg
                    .immediates
                    .push(ConstantData::from(lanes.to_vec()));
                let v = self.builder.ins().shuffle(a, b, mask);
                self.push_v(v);
            }
            // Out-of-range indices select 0, as Cranelift's `swizzle` does.
            O::I8x16Swizzle => self.v_binop(I8X16, |b, x, y| b.ins().swizzle(x, y)),

            O::I8x16Splat => self.splat(I8X16, true),
            O::I16x8Splat => self.splat(I16X8, true),
            O::I32x4Splat => self.splat(I32X4, false),
            O::I64x2Splat => self.splat(I64X2, false),
            O::F32x4Splat => self.splat(F32X4, false),
            O::F64x2Splat => self.splat(F64X2, false),

            O::I8x16ExtractLaneS { lane } => self.extract_lane(I8X16, lane, Some(true)),
            O::I8x16ExtractLaneU { lane } => self.extract_lane(I8X16, lane, Some(false)),
            O::I16x8ExtractLaneS { lane } => self.extract_lane(I16X8, lane, Some(true)),
            O::I16x8ExtractLaneU { lane } => self.extract_lane(I16X8, lane, Some(false)),
            O::I32x4ExtractLane { lane } => self.extract_lane(I32X4, lane, None),
            O::I64x2ExtractLane { lane } => self.extract_lane(I64X2, lane, None),
            O::F32x4ExtractLane { lane } => self.extract_lane(F32X4, lane, None),
            O::F64x2ExtractLane { lane } => self.extract_lane(F64X2, lane, None),

            O::I8x16ReplaceLane { lane } => self.replace_lane(I8X16, lane),
            O::I16x8ReplaceLane { lane } => self.replace_lane(I16X8, lane),
            O::I32x4ReplaceLane { lane } => self.replace_lane(I32X4, lane),
            O::I64x2ReplaceLane { lane } => self.replace_lane(I64X2, lane),
            O::F32x4ReplaceLane { lane } => self.replace_lane(F32X4, lane),
            O::F64x2ReplaceLane { lane } => self.replace_lane(F64X2, lane),

            // ----- bitwise -----
            // Lane-agnostic: done in the type of the (first) operand, so
            // that float vectors get the float forms (`andps`, ...) and
            // stay in the float domain.
            O::V128Not => {
                let ty = self.operand_vector_type(0);
                self.v_unop(ty, |b, a| b.ins().bnot(a))
            }
            O::V128And => {
                let ty = self.operand_vector_type(1);
                self.v_binop(ty, |b, x, y| b.ins().band(x, y))
            }
            O::V128AndNot => {
                let ty = self.operand_vector_type(1);
                self.v_binop(ty, |b, x, y| b.ins().band_not(x, y))
            }
            O::V128Or => {
                let ty = self.operand_vector_type(1);
                self.v_binop(ty, |b, x, y| b.ins().bor(x, y))
            }
            O::V128Xor => {
                let ty = self.operand_vector_type(1);
                self.v_binop(ty, |b, x, y| b.ins().bxor(x, y))
            }
            O::V128Bitselect => {
                // wasm (v1, v2, c) takes v1's bits where c has ones;
                // Cranelift's `bitselect(c, x, y)` takes x's there.
                let ty = self.operand_vector_type(2);
                let (v1, v2, c) = self.pop3_v(ty);
                let v = self.builder.ins().bitselect(c, v1, v2);
                self.push_v(v);
            }

            // ----- reductions -----
            O::V128AnyTrue => self.reduce(I8X16, |b, v| b.ins().vany_true(v)),
            O::I8x16AllTrue => self.reduce(I8X16, |b, v| b.ins().vall_true(v)),
            O::I16x8AllTrue => self.reduce(I16X8, |b, v| b.ins().vall_true(v)),
            O::I32x4AllTrue => self.reduce(I32X4, |b, v| b.ins().vall_true(v)),
            O::I64x2AllTrue => self.reduce(I64X2, |b, v| b.ins().vall_true(v)),
            O::I8x16Bitmask => self.bitmask(I8X16),
            O::I16x8Bitmask => self.bitmask(I16X8),
            O::I32x4Bitmask => self.bitmask(I32X4),
            O::I64x2Bitmask => self.bitmask(I64X2),
            other => return Ok(Some(other)),
        }
        Ok(None)
    }

    /// The vector type of the `v128` operand `depth` entries below the top
    /// of the stack, as the operator that made it left it.
    fn operand_vector_type(&self, depth: usize) -> Type {
        let operand = self.stack[self.stack.len() - 1 - depth];
        self.builder.func.dfg.value_type(operand.value)
    }

    /// `*.splat`: the scalar operand in every lane; i8 and i16 lanes take
    /// the low bits of an `i32` (`narrow`).
    fn splat(&mut self, vec_ty: Type, narrow: bool) {
        let mut x = self.pop();
        if narrow {
            x = self.builder.ins().ireduce(vec_ty.lane_type(), x);
        }
        let v = self.builder.ins().splat(vec_ty, x);
        self.push_v(v);
    }

    /// `*.extract_lane`: lane `lane` as a scalar; for i8 and i16 lanes
    /// `extend` says whether the `i32` result is sign-extended
    /// (`Some(true)`) or zero-extended.
    fn extract_lane(&mut self, vec_ty: Type, lane: u8, extend: Option<bool>) {
        let v = self.pop_v(vec_ty);
        let x = self.builder.ins().extractlane(v, lane);
        let (x, ty) = match extend {
            Some(true) => (self.builder.ins().sextend(types::I32, x), ValType::I32),
            Some(false) => (self.builder.ins().uextend(types::I32, x), ValType::I32),
            None => (x, scalar_val_type(vec_ty.lane_type())),
        };
        self.push(x, ty);
    }

    /// `*.replace_lane`: the vector with lane `lane` replaced by the scalar
    /// operand (its low bits for i8 and i16 lanes).
    fn replace_lane(&mut self, vec_ty: Type, lane: u8) {
        let mut x = self.pop();
        let v = self.pop_v(vec_ty);
        let lane_ty = vec_ty.lane_type();
        if self.builder.func.dfg.value_type(x) != lane_ty {
            x = self.builder.ins().ireduce(lane_ty, x);
        }
        let r = self.builder.ins().insertlane(v, x, lane);
        self.push_v(r);
    }

    /// A reduction to a boolean `i32` (Cranelift's give an `i8`).
    fn reduce(&mut self, vec_ty: Type, f: impl FnOnce(&mut FunctionBuilder<'_>, Value) -> Value) {
        let v = self.pop_v(vec_ty);
        let flag = f(&mut self.builder, v);
        let r = self.builder.ins().uextend(types::I32, flag);
        self.push(r, ValType::I32);
    }

    /// `*.bitmask`: the lanes' sign bits, lane 0 in bit 0.
    fn bitmask(&mut self, vec_ty: Type) {
        let v = self.pop_v(vec_ty);
        let r = self.builder.ins().vhigh_bits(types::I32, v);
        self.push(r, ValType::I32);
    }
}

/// The wasm type of a scalar lane type (i32, i64, f32 or f64).
fn scalar_val_type(ty: Type) -> ValType {
    match ty {
        types::I64 => ValType::I64,
        types::F32 => ValType::F32,
        types::F64 => ValType::F64,
        _ => ValType::I32,
    }
}
