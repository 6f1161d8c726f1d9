//! Numeric operators: constants, integer and float comparisons and
//! arithmetic, conversions, reinterpretations and sign extensions.
//!
//! Most map to one Cranelift instruction. The trapping ones (integer
//! division and remainder, float-to-int truncation) check their trap
//! conditions explicitly, so each trap has the spec's kind.

use super::{FuncTranslator, Offer};
use crate::compiler::ir_type;
use crate::environ::TrapKind;
use crate::environ::ValType;
use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::immediates::{Ieee32, Ieee64};
use cranelift_codegen::ir::{types, InstBuilder, MemFlagsData, Type, Value};
use cranelift_frontend::FunctionBuilder;
use wasmparser::Operator;

impl FuncTranslator<'_, '_> {
    /// Translates `op` if it is a constant, comparison or arithmetic
    /// operator.
    pub(super) fn numeric_operator<'w>(&mut self, op: Operator<'w>) -> Offer<'w> {
        use Operator as O;
        match op {
            // ----- constants -----
            O::I32Const { value } => {
                let v = self.builder.ins().iconst(types::I32, i64::from(value));
                self.push(v, ValType::I32);
            }
            O::I64Const { value } => {
                let v = self.builder.ins().iconst(types::I64, value);
                self.push(v, ValType::I64);
            }
            O::F32Const { value } => {
                let v = self.builder.ins().f32const(Ieee32::with_bits(value.bits()));
                self.push(v, ValType::F32);
            }
            O::F64Const { value } => {
                let v = self.builder.ins().f64const(Ieee64::with_bits(value.bits()));
                self.push(v, ValType::F64);
            }

            // ----- integer comparisons -----
            O::I32Eqz | O::I64Eqz => self.eqz(),
            O::I32Eq | O::I64Eq => self.icmp(IntCC::Equal),
            O::I32Ne | O::I64Ne => self.icmp(IntCC::NotEqual),
            O::I32LtS | O::I64LtS => self.icmp(IntCC::SignedLessThan),
            O::I32LtU | O::I64LtU => self.icmp(IntCC::UnsignedLessThan),
            O::I32GtS | O::I64GtS => self.icmp(IntCC::SignedGreaterThan),
            O::I32GtU | O::I64GtU => self.icmp(IntCC::UnsignedGreaterThan),
            O::I32LeS | O::I64LeS => self.icmp(IntCC::SignedLessThanOrEqual),
            O::I32LeU | O::I64LeU => self.icmp(IntCC::UnsignedLessThanOrEqual),
            O::I32GeS | O::I64GeS => self.icmp(IntCC::SignedGreaterThanOrEqual),
            O::I32GeU | O::I64GeU => self.icmp(IntCC::UnsignedGreaterThanOrEqual),

            // ----- float comparisons -----
            O::F32Eq | O::F64Eq => self.fcmp(FloatCC::Equal),
            O::F32Ne | O::F64Ne => self.fcmp(FloatCC::NotEqual),
            O::F32Lt | O::F64Lt => self.fcmp(FloatCC::LessThan),
            O::F32Gt | O::F64Gt => self.fcmp(FloatCC::GreaterThan),
            O::F32Le | O::F64Le => self.fcmp(FloatCC::LessThanOrEqual),
            O::F32Ge | O::F64Ge => self.fcmp(FloatCC::GreaterThanOrEqual),

            // ----- integer arithmetic -----
            O::I32Clz | O::I64Clz => self.unop(|b, a| b.ins().clz(a)),
            O::I32Ctz | O::I64Ctz => self.unop(|b, a| b.ins().ctz(a)),
            O::I32Popcnt | O::I64Popcnt => self.unop(|b, a| b.ins().popcnt(a)),
            O::I32Add | O::I64Add => self.binop(|b, x, y| b.ins().iadd(x, y)),

            // ----- wide arithmetic -----
            O::I64Add128 => self.wide_binop(|b, x, y| b.ins().iadd(x, y)),
            O::I64Sub128 => self.wide_binop(|b, x, y| b.ins().isub(x, y)),
            O::I64MulWideS => self.mul_wide(|b, v| b.ins().sextend(types::I128, v)),
            O::I64MulWideU => self.mul_wide(|b, v| b.ins().uextend(types::I128, v)),
            O::I32Sub | O::I64Sub => self.binop(|b, x, y| b.ins().isub(x, y)),
            O::I32Mul | O::I64Mul => self.binop(|b, x, y| b.ins().imul(x, y)),
            O::I32DivS => self.div_s(types::I32),
            O::I64DivS => self.div_s(types::I64),
            O::I32DivU | O::I64DivU => self.div_u(),
            O::I32RemS | O::I64RemS => self.rem_s(),
            O::I32RemU | O::I64RemU => self.rem_u(),
            O::I32And | O::I64And => self.binop(|b, x, y| b.ins().band(x, y)),
            O::I32Or | O::I64Or => self.binop(|b, x, y| b.ins().bor(x, y)),
            O::I32Xor | O::I64Xor => self.binop(|b, x, y| b.ins().bxor(x, y)),
            // Cranelift shifts and rotates take the amount modulo the
            // width, as wasm does.
            O::I32Shl | O::I64Shl => self.binop(|b, x, y| b.ins().ishl(x, y)),
            O::I32ShrS | O::I64ShrS => self.binop(|b, x, y| b.ins().sshr(x, y)),
            O::I32ShrU | O::I64ShrU => self.binop(|b, x, y| b.ins().ushr(x, y)),
            O::I32Rotl | O::I64Rotl => self.binop(|b, x, y| b.ins().rotl(x, y)),
            O::I32Rotr | O::I64Rotr => self.binop(|b, x, y| b.ins().rotr(x, y)),

            // ----- float arithmetic -----
            O::F32Abs | O::F64Abs => self.unop(|b, a| b.ins().fabs(a)),
            O::F32Neg | O::F64Neg => self.unop(|b, a| b.ins().fneg(a)),
            O::F32Ceil | O::F64Ceil => self.unop(|b, a| b.ins().ceil(a)),
            O::F32Floor | O::F64Floor => self.unop(|b, a| b.ins().floor(a)),
            O::F32Trunc | O::F64Trunc => self.unop(|b, a| b.ins().trunc(a)),
            O::F32Nearest | O::F64Nearest => self.unop(|b, a| b.ins().nearest(a)),
            O::F32Sqrt | O::F64Sqrt => self.unop(|b, a| b.ins().sqrt(a)),
            O::F32Add | O::F64Add => self.binop(|b, x, y| b.ins().fadd(x, y)),
            O::F32Sub | O::F64Sub => self.binop(|b, x, y| b.ins().fsub(x, y)),
            O::F32Mul | O::F64Mul => self.binop(|b, x, y| b.ins().fmul(x, y)),
            O::F32Div | O::F64Div => self.binop(|b, x, y| b.ins().fdiv(x, y)),
            // Cranelift's fmin/fmax have wasm semantics (NaN in, NaN out;
            // -0 < +0).
            O::F32Min | O::F64Min => self.binop(|b, x, y| b.ins().fmin(x, y)),
            O::F32Max | O::F64Max => self.binop(|b, x, y| b.ins().fmax(x, y)),
            O::F32Copysign | O::F64Copysign => self.binop(|b, x, y| b.ins().fcopysign(x, y)),
            other => return Ok(Some(other)),
        }
        Ok(None)
    }

    /// Translates `op` if it converts between numeric types.
    pub(super) fn conversion_operator<'w>(&mut self, op: Operator<'w>) -> Offer<'w> {
        use Operator as O;
        use ValType::{F32, F64, I32, I64};
        let (i32t, i64t, f32t, f64t) = (types::I32, types::I64, types::F32, types::F64);
        match op {
            O::I32WrapI64 => self.convert(I32, |b, a| b.ins().ireduce(i32t, a)),
            O::I64ExtendI32S => self.convert(I64, |b, a| b.ins().sextend(i64t, a)),
            O::I64ExtendI32U => self.convert(I64, |b, a| b.ins().uextend(i64t, a)),
            O::I32TruncF32S | O::I32TruncF64S => self.trunc(I32, true),
            O::I32TruncF32U | O::I32TruncF64U => self.trunc(I32, false),
            O::I64TruncF32S | O::I64TruncF64S => self.trunc(I64, true),
            O::I64TruncF32U | O::I64TruncF64U => self.trunc(I64, false),
            O::I32TruncSatF32S | O::I32TruncSatF64S => {
                self.convert(I32, |b, a| b.ins().fcvt_to_sint_sat(i32t, a))
            }
            O::I32TruncSatF32U | O::I32TruncSatF64U => {
                self.convert(I32, |b, a| b.ins().fcvt_to_uint_sat(i32t, a))
            }
            O::I64TruncSatF32S | O::I64TruncSatF64S => {
                self.convert(I64, |b, a| b.ins().fcvt_to_sint_sat(i64t, a))
            }
            O::I64TruncSatF32U | O::I64TruncSatF64U => {
                self.convert(I64, |b, a| b.ins().fcvt_to_uint_sat(i64t, a))
            }
            O::F32ConvertI32S | O::F32ConvertI64S => {
                self.convert(F32, |b, a| b.ins().fcvt_from_sint(f32t, a))
            }
            O::F32ConvertI32U | O::F32ConvertI64U => {
                self.convert(F32, |b, a| b.ins().fcvt_from_uint(f32t, a))
            }
            O::F64ConvertI32S | O::F64ConvertI64S => {
                self.convert(F64, |b, a| b.ins().fcvt_from_sint(f64t, a))
            }
            O::F64ConvertI32U | O::F64ConvertI64U => {
                self.convert(F64, |b, a| b.ins().fcvt_from_uint(f64t, a))
            }
            O::F32DemoteF64 => self.convert(F32, |b, a| b.ins().fdemote(f32t, a)),
            O::F64PromoteF32 => self.convert(F64, |b, a| b.ins().fpromote(f64t, a)),
            O::I32ReinterpretF32 => self.bitcast(I32),
            O::I64ReinterpretF64 => self.bitcast(I64),
            O::F32ReinterpretI32 => self.bitcast(F32),
            O::F64ReinterpretI64 => self.bitcast(F64),

            // ----- sign extension -----
            O::I32Extend8S => self.sext_from(types::I8, I32),
            O::I32Extend16S => self.sext_from(types::I16, I32),
            O::I64Extend8S => self.sext_from(types::I8, I64),
            O::I64Extend16S => self.sext_from(types::I16, I64),
            O::I64Extend32S => self.sext_from(types::I32, I64),
            other => return Ok(Some(other)),
        }
        Ok(None)
    }

    /// An operator whose result has its operand's type.
    fn unop(&mut self, f: impl FnOnce(&mut FunctionBuilder<'_>, Value) -> Value) {
        let a = self.pop_operand();
        let v = f(&mut self.builder, a.value);
        self.push(v, a.ty);
    }

    /// An operator of two operands of one type, giving a result of it.
    fn binop(&mut self, f: impl FnOnce(&mut FunctionBuilder<'_>, Value, Value) -> Value) {
        let b = self.pop();
        let a = self.pop_operand();
        let v = f(&mut self.builder, a.value, b);
        self.push(v, a.ty);
    }

    /// `i64.add128` / `i64.sub128`: two 128-bit operands, each as a low and
    /// a high `i64`, give a 128-bit result as low and high. Cranelift
    /// lowers the `i128` operation to the host's add-with-carry (x86-64
    /// `add`/`adc`, aarch64 `adds`/`adc`).
    fn wide_binop(&mut self, f: impl FnOnce(&mut FunctionBuilder<'_>, Value, Value) -> Value) {
        let (b_hi, b_lo) = (self.pop(), self.pop());
        let (a_hi, a_lo) = (self.pop(), self.pop());
        let a = self.builder.ins().iconcat(a_lo, a_hi);
        let b = self.builder.ins().iconcat(b_lo, b_hi);
        let wide = f(&mut self.builder, a, b);
        self.push_i128_halves(wide);
    }

    /// `i64.mul_wide_s` / `i64.mul_wide_u`: the full 128-bit product of two
    /// `i64`s extended by `extend`, as low and high. Cranelift lowers the
    /// product of two extended 64-bit values to one widening multiply.
    fn mul_wide(&mut self, extend: impl Fn(&mut FunctionBuilder<'_>, Value) -> Value) {
        let (y, x) = (self.pop(), self.pop());
        let x = extend(&mut self.builder, x);
        let y = extend(&mut self.builder, y);
        let product = self.builder.ins().imul(x, y);
        self.push_i128_halves(product);
    }

    fn push_i128_halves(&mut self, wide: Value) {
        let (lo, hi) = self.builder.ins().isplit(wide);
        self.push(lo, ValType::I64);
        self.push(hi, ValType::I64);
    }

    /// An operator giving a result of type `to` from one operand.
    fn convert(&mut self, to: ValType, f: impl FnOnce(&mut FunctionBuilder<'_>, Value) -> Value) {
        let a = self.pop();
        let v = f(&mut self.builder, a);
        self.push(v, to);
    }

    fn icmp(&mut self, cc: IntCC) {
        let (a, b) = self.pop2();
        let c = self.builder.ins().icmp(cc, a, b);
        let v = self.builder.ins().uextend(types::I32, c);
        self.push(v, ValType::I32);
    }

    fn fcmp(&mut self, cc: FloatCC) {
        let (a, b) = self.pop2();
        let c = self.builder.ins().fcmp(cc, a, b);
        let v = self.builder.ins().uextend(types::I32, c);
        self.push(v, ValType::I32);
    }

    /// `i32.eqz`, `i64.eqz` and `ref.is_null`: 1 when the operand is 0.
    pub(super) fn eqz(&mut self) {
        let a = self.pop();
        let c = self.builder.ins().icmp_imm_s(IntCC::Equal, a, 0);
        let v = self.builder.ins().uextend(types::I32, c);
        self.push(v, ValType::I32);
    }

    /// Pops a division's operands: the dividend (whose type the result
    /// has) and the divisor.
    fn pop_division(&mut self) -> (super::Operand, Value) {
        let divisor = self.pop();
        let dividend = self.pop_operand();
        (dividend, divisor)
    }

    /// Traps with "integer divide by zero" when `divisor` is 0.
    fn check_div_by_zero(&mut self, divisor: Value) {
        self.trapz(divisor, TrapKind::IntegerDivisionByZero);
    }

    fn div_s(&mut self, ty: Type) {
        let (dividend, b) = self.pop_division();
        let a = dividend.value;
        self.check_div_by_zero(b);
        let min = if ty == types::I32 {
            i64::from(i32::MIN)
        } else {
            i64::MIN
        };
        let is_min = self.builder.ins().icmp_imm_s(IntCC::Equal, a, min);
        let is_neg1 = self.builder.ins().icmp_imm_s(IntCC::Equal, b, -1);
        let overflow = self.builder.ins().band(is_min, is_neg1);
        self.trapnz(overflow, TrapKind::IntegerOverflow);
        let v = self.builder.ins().sdiv(a, b);
        self.push(v, dividend.ty);
    }

    fn div_u(&mut self) {
        let (dividend, b) = self.pop_division();
        let a = dividend.value;
        self.check_div_by_zero(b);
        let v = self.builder.ins().udiv(a, b);
        self.push(v, dividend.ty);
    }

    fn rem_s(&mut self) {
        let (dividend, b) = self.pop_division();
        let a = dividend.value;
        self.check_div_by_zero(b);
        // `INT_MIN % -1` is 0 in wasm, but the hardware division behind
        // `srem` overflows on it: divide by 1 instead, which gives 0 too.
        let is_neg1 = self.builder.ins().icmp_imm_s(IntCC::Equal, b, -1);
        let ty = self.builder.func.dfg.value_type(b);
        let one = self.builder.ins().iconst(ty, 1);
        let divisor = self.builder.ins().select(is_neg1, one, b);
        let v = self.builder.ins().srem(a, divisor);
        self.push(v, dividend.ty);
    }

    fn rem_u(&mut self) {
        let (dividend, b) = self.pop_division();
        let a = dividend.value;
        self.check_div_by_zero(b);
        let v = self.builder.ins().urem(a, b);
        self.push(v, dividend.ty);
    }

    /// A trapping float→int conversion with the spec's two trap kinds:
    /// NaN is "invalid conversion", out of range is "integer overflow".
    ///
    /// With signals-based traps Cranelift's `fcvt_to_*int` checks the
    /// range itself (with trap instructions). Without, the range is checked
    /// here too and the conversion is the saturating one, which has no trap
    /// of its own and agrees with the trapping one on every in-range value.
    fn trunc(&mut self, to: ValType, signed: bool) {
        let x = self.pop_operand();
        let is_nan = self
            .builder
            .ins()
            .fcmp(FloatCC::Unordered, x.value, x.value);
        self.trapnz(is_nan, TrapKind::BadConversionToInteger);
        let ir_to = ir_type(to);
        let v = if self.env.tunables.signals_based_traps() {
            if signed {
                self.builder.ins().fcvt_to_sint(ir_to, x.value)
            } else {
                self.builder.ins().fcvt_to_uint(ir_to, x.value)
            }
        } else {
            let bounds = TruncBounds::of(x.ty, to, signed);
            let below = self.float_const(x.ty, bounds.lower);
            let above = self.float_const(x.ty, bounds.upper);
            let low_cc = if bounds.lower_exclusive {
                FloatCC::LessThanOrEqual
            } else {
                FloatCC::LessThan
            };
            let too_low = self.builder.ins().fcmp(low_cc, x.value, below);
            let too_high = self
                .builder
                .ins()
                .fcmp(FloatCC::GreaterThanOrEqual, x.value, above);
            let out_of_range = self.builder.ins().bor(too_low, too_high);
            self.trapnz(out_of_range, TrapKind::IntegerOverflow);
            if signed {
                self.builder.ins().fcvt_to_sint_sat(ir_to, x.value)
            } else {
                self.builder.ins().fcvt_to_uint_sat(ir_to, x.value)
            }
        };
        self.push(v, to);
    }

    /// `value` (exactly representable in `ty`) as a constant of float type
    /// `ty`.
    fn float_const(&mut self, ty: ValType, value: f64) -> Value {
        match ty {
            ValType::F32 => self
                .builder
                .ins()
                .f32const(Ieee32::with_bits((value as f32).to_bits())),
            _ => self
                .builder
                .ins()
                .f64const(Ieee64::with_bits(value.to_bits())),
        }
    }

    fn sext_from(&mut self, narrow: Type, to: ValType) {
        let a = self.pop();
        let n = self.builder.ins().ireduce(narrow, a);
        let v = self.builder.ins().sextend(ir_type(to), n);
        self.push(v, to);
    }

    fn bitcast(&mut self, to: ValType) {
        let a = self.pop();
        let v = self
            .builder
            .ins()
            .bitcast(ir_type(to), MemFlagsData::new(), a);
        self.push(v, to);
    }
}

/// The floats a trapping truncation accepts: those above `lower` (or equal
/// to it unless `lower_exclusive`) and below `upper`. Each bound is exactly
/// representable in the source type.
#[derive(Clone, Copy, Debug, PartialEq)]
struct TruncBounds {
    lower: f64,
    lower_exclusive: bool,
    upper: f64,
}

impl TruncBounds {
    /// The bounds for truncating a `from` (f32 or f64) to `to` (i32 or
    /// i64). Truncation rounds toward zero, so a value is in range when its
    /// integer part is: above `MIN - 1` (signed) or `-1` (unsigned), and
    /// below `MAX + 1`. `MAX + 1` is a power of two, exact in both float
    /// types; `MIN - 1` is exact only as an f64 below `i32::MIN`, and where
    /// it is not, the next float up is `MIN` itself, which is then the
    /// inclusive bound.
    fn of(from: ValType, to: ValType, signed: bool) -> TruncBounds {
        let bits = if to == ValType::I32 { 32 } else { 64 };
        if !signed {
            return TruncBounds {
                lower: -1.0,
                lower_exclusive: true,
                upper: 2f64.powi(bits),
            };
        }
        let upper = 2f64.powi(bits - 1);
        if from == ValType::F64 && bits == 32 {
            TruncBounds {
                lower: -upper - 1.0,
                lower_exclusive: true,
                upper,
            }
        } else {
            TruncBounds {
                lower: -upper,
                lower_exclusive: false,
                upper,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The float after `x` in `from`'s precision (toward +inf).
    fn next_up(x: f64, from: ValType) -> f64 {
        if from == ValType::F32 {
            let x = x as f32;
            let bits = x.to_bits();
            let next = if x == 0.0 {
                1
            } else if x > 0.0 {
                bits + 1
            } else {
                bits - 1
            };
            f64::from(f32::from_bits(next))
        } else {
            let bits = x.to_bits();
            let next = if x == 0.0 {
                1
            } else if x > 0.0 {
                bits + 1
            } else {
                bits - 1
            };
            f64::from_bits(next)
        }
    }

    /// The float before `x` in `from`'s precision (toward -inf).
    fn next_down(x: f64, from: ValType) -> f64 {
        -next_up(-x, from)
    }

    /// Checks `TruncBounds::of(from, to, signed)` against the definition
    /// on the floats around each bound and each end of the integer range:
    /// accepted exactly when the truncated value fits `to`.
    fn check(from: ValType, to: ValType, signed: bool) {
        let bounds = TruncBounds::of(from, to, signed);
        let (min, max): (i128, i128) = match (to, signed) {
            (ValType::I32, true) => (i32::MIN.into(), i32::MAX.into()),
            (ValType::I32, false) => (0, u32::MAX.into()),
            (_, true) => (i64::MIN.into(), i64::MAX.into()),
            (_, false) => (0, u64::MAX.into()),
        };
        let accepts = |x: f64| {
            let above_lower = if bounds.lower_exclusive {
                x > bounds.lower
            } else {
                x >= bounds.lower
            };
            above_lower && x < bounds.upper
        };
        for edge in [bounds.lower, bounds.upper, min as f64, max as f64, 0.0] {
            // The edge rounded into `from`, and three floats either side.
            let mut x = if from == ValType::F32 {
                f64::from(edge as f32)
            } else {
                edge
            };
            for _ in 0..3 {
                x = next_down(x, from);
            }
            for _ in 0..7 {
                // Exact: `x` is finite and far below 2^127 in magnitude.
                let t = x.trunc() as i128;
                let fits = t >= min && t <= max;
                assert_eq!(accepts(x), fits, "{from} -> {to} signed={signed}: {x:e}");
                x = next_up(x, from);
            }
        }
    }

    #[test]
    fn trunc_bounds_match_the_definition() {
        for from in [ValType::F32, ValType::F64] {
            for to in [ValType::I32, ValType::I64] {
                for signed in [true, false] {
                    check(from, to, signed);
                }
            }
        }
    }
}
