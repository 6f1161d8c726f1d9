//! The relaxed_simd operators.
//!
//! Each has a deterministic result the specification names (what
//! `relaxed_simd_deterministic` selects, identical on every host) and a
//! set of results it also allows, chosen so that each host has one fast
//! instruction. Off x86-64, or with `relaxed_simd_deterministic` on, the
//! deterministic lowering is used everywhere; on x86-64 otherwise, the
//! operators whose deterministic result costs more than one instruction
//! use the x86 one (`pshufb`, `cvttps2dq`, `blendv*`, `minps`/`maxps`,
//! `pmulhrsw`, `pmaddubsw`), whose results are among those allowed.
//!
//! `relaxed_madd`/`nmadd` are fused (one rounding) when deterministic or
//! when the target has FMA; without FMA and not deterministic they are a
//! multiply then an add, the other result the specification allows.

use super::super::{FuncTranslator, Offer};
use cranelift_codegen::ir::{types, InstBuilder, Type, Value};
use wasmparser::Operator;

impl FuncTranslator<'_, '_> {
    /// Translates `op` if it is a relaxed_simd operator.
    pub(super) fn simd_relaxed_operator<'w>(&mut self, op: Operator<'w>) -> Offer<'w> {
        use types::{F32X4, F64X2, I16X8, I32X4, I64X2, I8X16};
        use Operator as O;
        let x86 = self.relaxed_x86();
        match op {
            O::I8x16RelaxedSwizzle => {
                if x86 {
                    // Indices of 128 and above select 0, others modulo 16.
                    self.v_binop(I8X16, |b, x, y| b.ins().x86_pshufb(x, y))
                } else {
                    self.v_binop(I8X16, |b, x, y| b.ins().swizzle(x, y))
                }
            }
            O::I32x4RelaxedTruncF32x4S => {
                if x86 {
                    // NaN and out-of-range lanes give i32::MIN.
                    self.v_unop(F32X4, |b, a| b.ins().x86_cvtt2dq(I32X4, a))
                } else {
                    self.v_unop(F32X4, |b, a| b.ins().fcvt_to_sint_sat(I32X4, a))
                }
            }
            O::I32x4RelaxedTruncF32x4U => {
                self.v_unop(F32X4, |b, a| b.ins().fcvt_to_uint_sat(I32X4, a))
            }
            O::I32x4RelaxedTruncF64x2SZero => {
                let a = self.pop_v(F64X2);
                let r = if x86 {
                    // `cvttpd2dq`: the backend matches this narrowing of
                    // an x86 conversion against zero.
                    let wide = self.builder.ins().x86_cvtt2dq(I64X2, a);
                    let zero = self.vconst(I64X2, [0; 16]);
                    self.builder.ins().snarrow(wide, zero)
                } else {
                    self.trunc_sat_f64x2_zero(a, true)
                };
                self.push_v(r);
            }
            O::I32x4RelaxedTruncF64x2UZero => {
                let a = self.pop_v(F64X2);
                let r = self.trunc_sat_f64x2_zero(a, false);
                self.push_v(r);
            }
            O::F32x4RelaxedMadd => self.relaxed_madd(F32X4, false),
            O::F64x2RelaxedMadd => self.relaxed_madd(F64X2, false),
            O::F32x4RelaxedNmadd => self.relaxed_madd(F32X4, true),
            O::F64x2RelaxedNmadd => self.relaxed_madd(F64X2, true),
            // There is no 16-bit `blendv`: i16x8 is always a bitselect.
            O::I8x16RelaxedLaneselect => self.relaxed_laneselect(I8X16, x86),
            O::I16x8RelaxedLaneselect => self.relaxed_laneselect(I16X8, false),
            O::I32x4RelaxedLaneselect => self.relaxed_laneselect(I32X4, x86),
            O::I64x2RelaxedLaneselect => self.relaxed_laneselect(I64X2, x86),
            O::F32x4RelaxedMin => self.relaxed_min_max(F32X4, true, x86),
            O::F64x2RelaxedMin => self.relaxed_min_max(F64X2, true, x86),
            O::F32x4RelaxedMax => self.relaxed_min_max(F32X4, false, x86),
            O::F64x2RelaxedMax => self.relaxed_min_max(F64X2, false, x86),
            O::I16x8RelaxedQ15mulrS => {
                if x86 {
                    // Differs only for i16::MIN * i16::MIN (gives i16::MIN).
                    self.v_binop(I16X8, |b, x, y| b.ins().x86_pmulhrsw(x, y))
                } else {
                    self.v_binop(I16X8, |b, x, y| b.ins().sqmul_round_sat(x, y))
                }
            }
            O::I16x8RelaxedDotI8x16I7x16S => {
                let (a, b) = self.pop2_v(I8X16);
                let r = self.relaxed_dot_i16(a, b, x86);
                self.push_v(r);
            }
            O::I32x4RelaxedDotI8x16I7x16AddS => {
                let acc = self.pop_v(I32X4);
                let (a, b) = self.pop2_v(I8X16);
                let dot = self.relaxed_dot_i16(a, b, x86);
                let lo = self.builder.ins().swiden_low(dot);
                let hi = self.builder.ins().swiden_high(dot);
                let sums = self.builder.ins().iadd_pairwise(lo, hi);
                let r = self.builder.ins().iadd(sums, acc);
                self.push_v(r);
            }
            other => return Ok(Some(other)),
        }
        Ok(None)
    }

    /// `relaxed_madd` (`a * b + c`) or `relaxed_nmadd` (`-(a * b) + c`).
    fn relaxed_madd(&mut self, ty: Type, negate: bool) {
        let (a, b, c) = self.pop3_v(ty);
        let fused = self.env.tunables.relaxed_simd_deterministic || self.isa_has("has_fma");
        let a = if negate {
            self.builder.ins().fneg(a)
        } else {
            a
        };
        let r = if fused {
            self.builder.ins().fma(a, b, c)
        } else {
            let product = self.builder.ins().fmul(a, b);
            self.builder.ins().fadd(product, c)
        };
        self.push_v(r);
    }

    /// `relaxed_laneselect(a, b, m)`: `a`'s bits where `m` has ones.
    /// With `blend`, the x86 `blendv` form, which looks only at each
    /// lane's top bit (the same result for the all-ones or all-zero lanes
    /// the deterministic semantics are defined by).
    fn relaxed_laneselect(&mut self, ty: Type, blend: bool) {
        let (a, b, m) = self.pop3_v(ty);
        let r = if blend {
            self.builder.ins().blendv(m, a, b)
        } else {
            self.builder.ins().bitselect(m, a, b)
        };
        self.push_v(r);
    }

    /// `relaxed_min`/`max`: wasm's `fmin`/`fmax` when deterministic; on
    /// x86 `minps`/`maxps` (the second operand for NaNs and equal zeros).
    fn relaxed_min_max(&mut self, ty: Type, min: bool, x86: bool) {
        let (a, b) = self.pop2_v(ty);
        let r = if x86 {
            self.compare_select(ty, a, b, min)
        } else if min {
            self.builder.ins().fmin(a, b)
        } else {
            self.builder.ins().fmax(a, b)
        };
        self.push_v(r);
    }

    /// The `i16x8` dot product of `i8x16` lanes of `a` (signed) and `b`
    /// (7-bit): x86's `pmaddubsw` (which reads `b` as unsigned and
    /// saturates the sums), or the deterministic signed product with
    /// wrapping sums.
    fn relaxed_dot_i16(&mut self, a: Value, b: Value, x86: bool) -> Value {
        if x86 {
            self.builder.ins().x86_pmaddubsw(a, b)
        } else {
            self.dot_widened(a, b)
        }
    }
}
