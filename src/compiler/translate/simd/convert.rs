//! Operators that change lane width or kind: int/float conversions,
//! narrowing and widening, extended multiplies, pairwise additions and
//! the dot product.
//!
//! The widening combinations are written as Cranelift's generic pieces
//! (`swiden_low` + `imul`, `iadd_pairwise` of widened halves, ...); the
//! x64 backend recognises these shapes and emits the single instructions
//! (`pmuldq`, `pmaddwd`, `pmaddubsw`, ...) that implement them.

use super::super::{FuncTranslator, Offer};
use cranelift_codegen::ir::{types, InstBuilder, Type, Value};
use wasmparser::Operator;

impl FuncTranslator<'_, '_> {
    /// Translates `op` if it is a SIMD conversion or widening operator.
    pub(super) fn simd_convert_operator<'w>(&mut self, op: Operator<'w>) -> Offer<'w> {
        use types::{F32X4, F64X2, I16X8, I32X4, I8X16};
        use Operator as O;
        match op {
            // ----- float <-> int -----
            O::I32x4TruncSatF32x4S => self.v_unop(F32X4, |b, a| b.ins().fcvt_to_sint_sat(I32X4, a)),
            O::I32x4TruncSatF32x4U => self.v_unop(F32X4, |b, a| b.ins().fcvt_to_uint_sat(I32X4, a)),
            O::I32x4TruncSatF64x2SZero => {
                let a = self.pop_v(F64X2);
                let r = self.trunc_sat_f64x2_zero(a, true);
                self.push_v(r);
            }
            O::I32x4TruncSatF64x2UZero => {
                let a = self.pop_v(F64X2);
                let r = self.trunc_sat_f64x2_zero(a, false);
                self.push_v(r);
            }
            O::F32x4ConvertI32x4S => self.v_unop(I32X4, |b, a| b.ins().fcvt_from_sint(F32X4, a)),
            O::F32x4ConvertI32x4U => self.v_unop(I32X4, |b, a| b.ins().fcvt_from_uint(F32X4, a)),
            O::F64x2ConvertLowI32x4S => self.v_unop(I32X4, |b, a| {
                let wide = b.ins().swiden_low(a);
                b.ins().fcvt_from_sint(F64X2, wide)
            }),
            O::F64x2ConvertLowI32x4U => self.v_unop(I32X4, |b, a| {
                let wide = b.ins().uwiden_low(a);
                b.ins().fcvt_from_uint(F64X2, wide)
            }),
            O::F32x4DemoteF64x2Zero => self.v_unop(F64X2, |b, a| b.ins().fvdemote(a)),
            O::F64x2PromoteLowF32x4 => self.v_unop(F32X4, |b, a| b.ins().fvpromote_low(a)),

            // ----- narrowing (saturating; both take signed inputs) -----
            O::I8x16NarrowI16x8S => self.v_binop(I16X8, |b, x, y| b.ins().snarrow(x, y)),
            O::I8x16NarrowI16x8U => self.v_binop(I16X8, |b, x, y| b.ins().unarrow(x, y)),
            O::I16x8NarrowI32x4S => self.v_binop(I32X4, |b, x, y| b.ins().snarrow(x, y)),
            O::I16x8NarrowI32x4U => self.v_binop(I32X4, |b, x, y| b.ins().unarrow(x, y)),

            // ----- widening -----
            O::I16x8ExtendLowI8x16S => self.v_unop(I8X16, |b, a| b.ins().swiden_low(a)),
            O::I16x8ExtendHighI8x16S => self.v_unop(I8X16, |b, a| b.ins().swiden_high(a)),
            O::I16x8ExtendLowI8x16U => self.v_unop(I8X16, |b, a| b.ins().uwiden_low(a)),
            O::I16x8ExtendHighI8x16U => self.v_unop(I8X16, |b, a| b.ins().uwiden_high(a)),
            O::I32x4ExtendLowI16x8S => self.v_unop(I16X8, |b, a| b.ins().swiden_low(a)),
            O::I32x4ExtendHighI16x8S => self.v_unop(I16X8, |b, a| b.ins().swiden_high(a)),
            O::I32x4ExtendLowI16x8U => self.v_unop(I16X8, |b, a| b.ins().uwiden_low(a)),
            O::I32x4ExtendHighI16x8U => self.v_unop(I16X8, |b, a| b.ins().uwiden_high(a)),
            O::I64x2ExtendLowI32x4S => self.v_unop(I32X4, |b, a| b.ins().swiden_low(a)),
            O::I64x2ExtendHighI32x4S => self.v_unop(I32X4, |b, a| b.ins().swiden_high(a)),
            O::I64x2ExtendLowI32x4U => self.v_unop(I32X4, |b, a| b.ins().uwiden_low(a)),
            O::I64x2ExtendHighI32x4U => self.v_unop(I32X4, |b, a| b.ins().uwiden_high(a)),

            // ----- extended multiplies -----
            O::I16x8ExtMulLowI8x16S => self.ext_mul(I8X16, Half::Low, true),
            O::I16x8ExtMulHighI8x16S => self.ext_mul(I8X16, Half::High, true),
            O::I16x8ExtMulLowI8x16U => self.ext_mul(I8X16, Half::Low, false),
            O::I16x8ExtMulHighI8x16U => self.ext_mul(I8X16, Half::High, false),
            O::I32x4ExtMulLowI16x8S => self.ext_mul(I16X8, Half::Low, true),
            O::I32x4ExtMulHighI16x8S => self.ext_mul(I16X8, Half::High, true),
            O::I32x4ExtMulLowI16x8U => self.ext_mul(I16X8, Half::Low, false),
            O::I32x4ExtMulHighI16x8U => self.ext_mul(I16X8, Half::High, false),
            O::I64x2ExtMulLowI32x4S => self.ext_mul(I32X4, Half::Low, true),
            O::I64x2ExtMulHighI32x4S => self.ext_mul(I32X4, Half::High, true),
            O::I64x2ExtMulLowI32x4U => self.ext_mul(I32X4, Half::Low, false),
            O::I64x2ExtMulHighI32x4U => self.ext_mul(I32X4, Half::High, false),

            // ----- pairwise additions and the dot product -----
            O::I16x8ExtAddPairwiseI8x16S => self.ext_add_pairwise(I8X16, true),
            O::I16x8ExtAddPairwiseI8x16U => self.ext_add_pairwise(I8X16, false),
            O::I32x4ExtAddPairwiseI16x8S => self.ext_add_pairwise(I16X8, true),
            O::I32x4ExtAddPairwiseI16x8U => self.ext_add_pairwise(I16X8, false),
            O::I32x4DotI16x8S => {
                let (a, b) = self.pop2_v(I16X8);
                let r = self.dot_widened(a, b);
                self.push_v(r);
            }
            other => return Ok(Some(other)),
        }
        Ok(None)
    }

    /// `i32x4.trunc_sat_f64x2_{s,u}_zero`: both lanes converted with
    /// saturation into the low two `i32` lanes, the high two zero.
    pub(super) fn trunc_sat_f64x2_zero(&mut self, a: Value, signed: bool) -> Value {
        let zero = self.vconst(types::I64X2, [0; 16]);
        if signed {
            let wide = self.builder.ins().fcvt_to_sint_sat(types::I64X2, a);
            self.builder.ins().snarrow(wide, zero)
        } else {
            let wide = self.builder.ins().fcvt_to_uint_sat(types::I64X2, a);
            self.builder.ins().uunarrow(wide, zero)
        }
    }

    /// One half of a vector of `ty`, widened to lanes of twice the width.
    fn widen_half(&mut self, v: Value, half: Half, signed: bool) -> Value {
        let ins = self.builder.ins();
        match (half, signed) {
            (Half::Low, true) => ins.swiden_low(v),
            (Half::High, true) => ins.swiden_high(v),
            (Half::Low, false) => ins.uwiden_low(v),
            (Half::High, false) => ins.uwiden_high(v),
        }
    }

    /// `*.extmul_{low,high}_*`: the products of one half's lanes, at twice
    /// the lane width (exact, no overflow possible).
    fn ext_mul(&mut self, ty: Type, half: Half, signed: bool) {
        let (a, b) = self.pop2_v(ty);
        let a = self.widen_half(a, half, signed);
        let b = self.widen_half(b, half, signed);
        let r = self.builder.ins().imul(a, b);
        self.push_v(r);
    }

    /// `*.extadd_pairwise_*`: the sums of adjacent lanes, at twice the
    /// lane width.
    fn ext_add_pairwise(&mut self, ty: Type, signed: bool) {
        let a = self.pop_v(ty);
        let low = self.widen_half(a, Half::Low, signed);
        let high = self.widen_half(a, Half::High, signed);
        let r = self.builder.ins().iadd_pairwise(low, high);
        self.push_v(r);
    }

    /// The signed dot product of two vectors of equal lane type: lanes
    /// widened, multiplied, and adjacent products added (wrapping), giving
    /// lanes of twice the width (`i32x4.dot_i16x8_s` for `I16X8`).
    pub(super) fn dot_widened(&mut self, a: Value, b: Value) -> Value {
        let (alo, blo) = (
            self.widen_half(a, Half::Low, true),
            self.widen_half(b, Half::Low, true),
        );
        let (ahi, bhi) = (
            self.widen_half(a, Half::High, true),
            self.widen_half(b, Half::High, true),
        );
        let lo = self.builder.ins().imul(alo, blo);
        let hi = self.builder.ins().imul(ahi, bhi);
        self.builder.ins().iadd_pairwise(lo, hi)
    }
}

/// Which half of a vector's lanes a widening operator takes.
#[derive(Clone, Copy)]
enum Half {
    Low,
    High,
}
