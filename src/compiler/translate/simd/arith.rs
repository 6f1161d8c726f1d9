//! Lane-wise integer and float arithmetic and comparisons.
//!
//! Most map to one Cranelift vector instruction with wasm's semantics:
//! vector shifts take the amount modulo the lane width, `fmin`/`fmax`
//! propagate NaNs and order -0 below +0, comparisons give all-ones or
//! all-zero lanes. `pmin`/`pmax` are compare-and-select, which the x64
//! backend turns into `minps`/`maxps` and friends.

use super::super::{FuncTranslator, Offer};
use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{types, InstBuilder, Type, Value};
use wasmparser::Operator;

impl FuncTranslator<'_, '_> {
    /// Translates `op` if it is a SIMD arithmetic or comparison operator.
    pub(super) fn simd_arith_operator<'w>(&mut self, op: Operator<'w>) -> Offer<'w> {
        use types::{F32X4, F64X2, I16X8, I32X4, I64X2, I8X16};
        use Operator as O;
        match op {
            // ----- integer unary -----
            O::I8x16Abs => self.v_unop(I8X16, |b, a| b.ins().iabs(a)),
            O::I16x8Abs => self.v_unop(I16X8, |b, a| b.ins().iabs(a)),
            O::I32x4Abs => self.v_unop(I32X4, |b, a| b.ins().iabs(a)),
            O::I64x2Abs => self.v_unop(I64X2, |b, a| b.ins().iabs(a)),
            O::I8x16Neg => self.v_unop(I8X16, |b, a| b.ins().ineg(a)),
            O::I16x8Neg => self.v_unop(I16X8, |b, a| b.ins().ineg(a)),
            O::I32x4Neg => self.v_unop(I32X4, |b, a| b.ins().ineg(a)),
            O::I64x2Neg => self.v_unop(I64X2, |b, a| b.ins().ineg(a)),
            O::I8x16Popcnt => self.v_unop(I8X16, |b, a| b.ins().popcnt(a)),

            // ----- shifts (vector by an i32 amount) -----
            O::I8x16Shl => self.shift(I8X16, ShiftKind::Shl),
            O::I16x8Shl => self.shift(I16X8, ShiftKind::Shl),
            O::I32x4Shl => self.shift(I32X4, ShiftKind::Shl),
            O::I64x2Shl => self.shift(I64X2, ShiftKind::Shl),
            O::I8x16ShrS => self.shift(I8X16, ShiftKind::ShrS),
            O::I16x8ShrS => self.shift(I16X8, ShiftKind::ShrS),
            O::I32x4ShrS => self.shift(I32X4, ShiftKind::ShrS),
            O::I64x2ShrS => self.shift(I64X2, ShiftKind::ShrS),
            O::I8x16ShrU => self.shift(I8X16, ShiftKind::ShrU),
            O::I16x8ShrU => self.shift(I16X8, ShiftKind::ShrU),
            O::I32x4ShrU => self.shift(I32X4, ShiftKind::ShrU),
            O::I64x2ShrU => self.shift(I64X2, ShiftKind::ShrU),

            // ----- integer binary -----
            O::I8x16Add => self.v_binop(I8X16, |b, x, y| b.ins().iadd(x, y)),
            O::I16x8Add => self.v_binop(I16X8, |b, x, y| b.ins().iadd(x, y)),
            O::I32x4Add => self.v_binop(I32X4, |b, x, y| b.ins().iadd(x, y)),
            O::I64x2Add => self.v_binop(I64X2, |b, x, y| b.ins().iadd(x, y)),
            O::I8x16Sub => self.v_binop(I8X16, |b, x, y| b.ins().isub(x, y)),
            O::I16x8Sub => self.v_binop(I16X8, |b, x, y| b.ins().isub(x, y)),
            O::I32x4Sub => self.v_binop(I32X4, |b, x, y| b.ins().isub(x, y)),
            O::I64x2Sub => self.v_binop(I64X2, |b, x, y| b.ins().isub(x, y)),
            O::I16x8Mul => self.v_binop(I16X8, |b, x, y| b.ins().imul(x, y)),
            O::I32x4Mul => self.v_binop(I32X4, |b, x, y| b.ins().imul(x, y)),
            O::I64x2Mul => self.v_binop(I64X2, |b, x, y| b.ins().imul(x, y)),
            O::I8x16AddSatS => self.v_binop(I8X16, |b, x, y| b.ins().sadd_sat(x, y)),
            O::I16x8AddSatS => self.v_binop(I16X8, |b, x, y| b.ins().sadd_sat(x, y)),
            O::I8x16AddSatU => self.v_binop(I8X16, |b, x, y| b.ins().uadd_sat(x, y)),
            O::I16x8AddSatU => self.v_binop(I16X8, |b, x, y| b.ins().uadd_sat(x, y)),
            O::I8x16SubSatS => self.v_binop(I8X16, |b, x, y| b.ins().ssub_sat(x, y)),
            O::I16x8SubSatS => self.v_binop(I16X8, |b, x, y| b.ins().ssub_sat(x, y)),
            O::I8x16SubSatU => self.v_binop(I8X16, |b, x, y| b.ins().usub_sat(x, y)),
            O::I16x8SubSatU => self.v_binop(I16X8, |b, x, y| b.ins().usub_sat(x, y)),
            O::I8x16MinS => self.v_binop(I8X16, |b, x, y| b.ins().smin(x, y)),
            O::I16x8MinS => self.v_binop(I16X8, |b, x, y| b.ins().smin(x, y)),
            O::I32x4MinS => self.v_binop(I32X4, |b, x, y| b.ins().smin(x, y)),
            O::I8x16MinU => self.v_binop(I8X16, |b, x, y| b.ins().umin(x, y)),
            O::I16x8MinU => self.v_binop(I16X8, |b, x, y| b.ins().umin(x, y)),
            O::I32x4MinU => self.v_binop(I32X4, |b, x, y| b.ins().umin(x, y)),
            O::I8x16MaxS => self.v_binop(I8X16, |b, x, y| b.ins().smax(x, y)),
            O::I16x8MaxS => self.v_binop(I16X8, |b, x, y| b.ins().smax(x, y)),
            O::I32x4MaxS => self.v_binop(I32X4, |b, x, y| b.ins().smax(x, y)),
            O::I8x16MaxU => self.v_binop(I8X16, |b, x, y| b.ins().umax(x, y)),
            O::I16x8MaxU => self.v_binop(I16X8, |b, x, y| b.ins().umax(x, y)),
            O::I32x4MaxU => self.v_binop(I32X4, |b, x, y| b.ins().umax(x, y)),
            O::I8x16AvgrU => self.v_binop(I8X16, |b, x, y| b.ins().avg_round(x, y)),
            O::I16x8AvgrU => self.v_binop(I16X8, |b, x, y| b.ins().avg_round(x, y)),
            O::I16x8Q15MulrSatS => self.v_binop(I16X8, |b, x, y| b.ins().sqmul_round_sat(x, y)),

            // ----- integer comparisons -----
            O::I8x16Eq => self.vicmp(I8X16, IntCC::Equal),
            O::I16x8Eq => self.vicmp(I16X8, IntCC::Equal),
            O::I32x4Eq => self.vicmp(I32X4, IntCC::Equal),
            O::I64x2Eq => self.vicmp(I64X2, IntCC::Equal),
            O::I8x16Ne => self.vicmp(I8X16, IntCC::NotEqual),
            O::I16x8Ne => self.vicmp(I16X8, IntCC::NotEqual),
            O::I32x4Ne => self.vicmp(I32X4, IntCC::NotEqual),
            O::I64x2Ne => self.vicmp(I64X2, IntCC::NotEqual),
            O::I8x16LtS => self.vicmp(I8X16, IntCC::SignedLessThan),
            O::I16x8LtS => self.vicmp(I16X8, IntCC::SignedLessThan),
            O::I32x4LtS => self.vicmp(I32X4, IntCC::SignedLessThan),
            O::I64x2LtS => self.vicmp(I64X2, IntCC::SignedLessThan),
            O::I8x16LtU => self.vicmp(I8X16, IntCC::UnsignedLessThan),
            O::I16x8LtU => self.vicmp(I16X8, IntCC::UnsignedLessThan),
            O::I32x4LtU => self.vicmp(I32X4, IntCC::UnsignedLessThan),
            O::I8x16GtS => self.vicmp(I8X16, IntCC::SignedGreaterThan),
            O::I16x8GtS => self.vicmp(I16X8, IntCC::SignedGreaterThan),
            O::I32x4GtS => self.vicmp(I32X4, IntCC::SignedGreaterThan),
            O::I64x2GtS => self.vicmp(I64X2, IntCC::SignedGreaterThan),
            O::I8x16GtU => self.vicmp(I8X16, IntCC::UnsignedGreaterThan),
            O::I16x8GtU => self.vicmp(I16X8, IntCC::UnsignedGreaterThan),
            O::I32x4GtU => self.vicmp(I32X4, IntCC::UnsignedGreaterThan),
            O::I8x16LeS => self.vicmp(I8X16, IntCC::SignedLessThanOrEqual),
            O::I16x8LeS => self.vicmp(I16X8, IntCC::SignedLessThanOrEqual),
            O::I32x4LeS => self.vicmp(I32X4, IntCC::SignedLessThanOrEqual),
            O::I64x2LeS => self.vicmp(I64X2, IntCC::SignedLessThanOrEqual),
            O::I8x16LeU => self.vicmp(I8X16, IntCC::UnsignedLessThanOrEqual),
            O::I16x8LeU => self.vicmp(I16X8, IntCC::UnsignedLessThanOrEqual),
            O::I32x4LeU => self.vicmp(I32X4, IntCC::UnsignedLessThanOrEqual),
            O::I8x16GeS => self.vicmp(I8X16, IntCC::SignedGreaterThanOrEqual),
            O::I16x8GeS => self.vicmp(I16X8, IntCC::SignedGreaterThanOrEqual),
            O::I32x4GeS => self.vicmp(I32X4, IntCC::SignedGreaterThanOrEqual),
            O::I64x2GeS => self.vicmp(I64X2, IntCC::SignedGreaterThanOrEqual),
            O::I8x16GeU => self.vicmp(I8X16, IntCC::UnsignedGreaterThanOrEqual),
            O::I16x8GeU => self.vicmp(I16X8, IntCC::UnsignedGreaterThanOrEqual),
            O::I32x4GeU => self.vicmp(I32X4, IntCC::UnsignedGreaterThanOrEqual),

            // ----- float unary -----
            O::F32x4Ceil => self.v_unop(F32X4, |b, a| b.ins().ceil(a)),
            O::F64x2Ceil => self.v_unop(F64X2, |b, a| b.ins().ceil(a)),
            O::F32x4Floor => self.v_unop(F32X4, |b, a| b.ins().floor(a)),
            O::F64x2Floor => self.v_unop(F64X2, |b, a| b.ins().floor(a)),
            O::F32x4Trunc => self.v_unop(F32X4, |b, a| b.ins().trunc(a)),
            O::F64x2Trunc => self.v_unop(F64X2, |b, a| b.ins().trunc(a)),
            O::F32x4Nearest => self.v_unop(F32X4, |b, a| b.ins().nearest(a)),
            O::F64x2Nearest => self.v_unop(F64X2, |b, a| b.ins().nearest(a)),
            O::F32x4Abs => self.v_unop(F32X4, |b, a| b.ins().fabs(a)),
            O::F64x2Abs => self.v_unop(F64X2, |b, a| b.ins().fabs(a)),
            O::F32x4Neg => self.v_unop(F32X4, |b, a| b.ins().fneg(a)),
            O::F64x2Neg => self.v_unop(F64X2, |b, a| b.ins().fneg(a)),
            O::F32x4Sqrt => self.v_unop(F32X4, |b, a| b.ins().sqrt(a)),
            O::F64x2Sqrt => self.v_unop(F64X2, |b, a| b.ins().sqrt(a)),

            // ----- float binary -----
            O::F32x4Add => self.v_binop(F32X4, |b, x, y| b.ins().fadd(x, y)),
            O::F64x2Add => self.v_binop(F64X2, |b, x, y| b.ins().fadd(x, y)),
            O::F32x4Sub => self.v_binop(F32X4, |b, x, y| b.ins().fsub(x, y)),
            O::F64x2Sub => self.v_binop(F64X2, |b, x, y| b.ins().fsub(x, y)),
            O::F32x4Mul => self.v_binop(F32X4, |b, x, y| b.ins().fmul(x, y)),
            O::F64x2Mul => self.v_binop(F64X2, |b, x, y| b.ins().fmul(x, y)),
            O::F32x4Div => self.v_binop(F32X4, |b, x, y| b.ins().fdiv(x, y)),
            O::F64x2Div => self.v_binop(F64X2, |b, x, y| b.ins().fdiv(x, y)),
            O::F32x4Min => self.v_binop(F32X4, |b, x, y| b.ins().fmin(x, y)),
            O::F64x2Min => self.v_binop(F64X2, |b, x, y| b.ins().fmin(x, y)),
            O::F32x4Max => self.v_binop(F32X4, |b, x, y| b.ins().fmax(x, y)),
            O::F64x2Max => self.v_binop(F64X2, |b, x, y| b.ins().fmax(x, y)),
            O::F32x4PMin => self.pseudo_min_max(F32X4, true),
            O::F64x2PMin => self.pseudo_min_max(F64X2, true),
            O::F32x4PMax => self.pseudo_min_max(F32X4, false),
            O::F64x2PMax => self.pseudo_min_max(F64X2, false),

            // ----- float comparisons -----
            O::F32x4Eq => self.vfcmp(F32X4, FloatCC::Equal),
            O::F64x2Eq => self.vfcmp(F64X2, FloatCC::Equal),
            O::F32x4Ne => self.vfcmp(F32X4, FloatCC::NotEqual),
            O::F64x2Ne => self.vfcmp(F64X2, FloatCC::NotEqual),
            O::F32x4Lt => self.vfcmp(F32X4, FloatCC::LessThan),
            O::F64x2Lt => self.vfcmp(F64X2, FloatCC::LessThan),
            O::F32x4Gt => self.vfcmp(F32X4, FloatCC::GreaterThan),
            O::F64x2Gt => self.vfcmp(F64X2, FloatCC::GreaterThan),
            O::F32x4Le => self.vfcmp(F32X4, FloatCC::LessThanOrEqual),
            O::F64x2Le => self.vfcmp(F64X2, FloatCC::LessThanOrEqual),
            O::F32x4Ge => self.vfcmp(F32X4, FloatCC::GreaterThanOrEqual),
            O::F64x2Ge => self.vfcmp(F64X2, FloatCC::GreaterThanOrEqual),
            other => return Ok(Some(other)),
        }
        Ok(None)
    }

    /// A lane-wise shift of a vector of `ty` by the popped `i32` amount
    /// (Cranelift masks it to the lane width, as wasm requires).
    fn shift(&mut self, ty: Type, kind: ShiftKind) {
        let amount = self.pop();
        let v = self.pop_v(ty);
        let r = match kind {
            ShiftKind::Shl => self.builder.ins().ishl(v, amount),
            ShiftKind::ShrS => self.builder.ins().sshr(v, amount),
            ShiftKind::ShrU => self.builder.ins().ushr(v, amount),
        };
        self.push_v(r);
    }

    /// A lane-wise integer comparison giving all-ones or zero lanes.
    fn vicmp(&mut self, ty: Type, cc: IntCC) {
        self.v_binop(ty, |b, x, y| b.ins().icmp(cc, x, y));
    }

    /// A lane-wise float comparison giving all-ones or zero lanes.
    fn vfcmp(&mut self, ty: Type, cc: FloatCC) {
        self.v_binop(ty, |b, x, y| b.ins().fcmp(cc, x, y));
    }

    /// `pmin` (`b < a ? b : a`) and `pmax` (`a < b ? b : a`): plain
    /// compare-and-select, NaNs and zeros not special.
    fn pseudo_min_max(&mut self, ty: Type, min: bool) {
        let (a, b) = self.pop2_v(ty);
        let r = self.compare_select(ty, b, a, min);
        self.push_v(r);
    }

    /// `x < y ? x : y` (`min`) or `y < x ? x : y`, in the shape the x64
    /// backend lowers to one `minps`/`maxps` (`minpd`/`maxpd`), whose
    /// results these are: `y` whenever the comparison is false (a NaN or
    /// two equal values).
    pub(super) fn compare_select(&mut self, ty: Type, x: Value, y: Value, min: bool) -> Value {
        let mask = if min {
            self.builder.ins().fcmp(FloatCC::LessThan, x, y)
        } else {
            self.builder.ins().fcmp(FloatCC::LessThan, y, x)
        };
        let mask = self.bitcast_v(mask, ty);
        self.builder.ins().bitselect(mask, x, y)
    }
}

/// The three vector shifts.
#[derive(Clone, Copy)]
enum ShiftKind {
    Shl,
    ShrS,
    ShrU,
}
