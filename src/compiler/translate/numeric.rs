//! Numeric operators: constants, integer and float comparisons and
//! arithmetic, conversions, reinterpretations and sign extensions.
//!
//! Most map to one Cranelift instruction. The trapping ones (integer
//! division and remainder, float-to-int truncation) check their trap
//! conditions explicitly, so each trap has the spec's kind.

use super::{FuncTranslator, Offer};
use crate::compiler::ir_type;
use crate::module::ValType;
use crate::runtime::TrapKind;
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
    fn trunc(&mut self, to: ValType, signed: bool) {
        let x = self.pop();
        let is_nan = self.builder.ins().fcmp(FloatCC::Unordered, x, x);
        self.trapnz(is_nan, TrapKind::BadConversionToInteger);
        let v = if signed {
            self.builder.ins().fcvt_to_sint(ir_type(to), x)
        } else {
            self.builder.ins().fcvt_to_uint(ir_type(to), x)
        };
        self.push(v, to);
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
