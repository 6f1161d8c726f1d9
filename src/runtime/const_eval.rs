//! The one evaluator of constant expressions (global initialisers, segment
//! offsets, element items). It computes the arithmetic operators itself and
//! asks its caller for the operators that take no operands: an instance
//! answers them all (`global.get` reads its globals), the init plan only
//! the plain constants (it folds offsets before any instance exists).

use crate::environ::info::{ConstExpr, ConstOp};
use crate::environ::ValRaw;

/// The value of `expr`. `leaf` gives the value of each operator that takes
/// no operands (everything but the `i32`/`i64` add, sub and mul), or the
/// error that ends the evaluation; `malformed` is the error for an
/// expression that underflows the stack or leaves no value, which a
/// validated module never has.
///
/// Nearly every expression is one operand-free operator (element items
/// are one each): those are answered by `leaf` directly, without a stack.
///
/// The GC operators that take operands (`struct.new`, `array.new*`,
/// `ref.i31`, the conversions) go to `gc` with the stack, from which it
/// pops its operands (the init plan, which runs before any instance and
/// heap exist, refuses them).
#[inline]
pub(crate) fn evaluate<E>(
    expr: &ConstExpr,
    mut leaf: impl FnMut(&ConstOp) -> Result<ValRaw, E>,
    mut gc: impl FnMut(&ConstOp, &mut Vec<ValRaw>) -> Result<ValRaw, E>,
    malformed: impl Fn() -> E,
) -> Result<ValRaw, E> {
    if let [op] = expr.ops.as_slice() {
        if !is_arithmetic(op) && !takes_operands(op) {
            return leaf(op);
        }
    }
    let mut stack: Vec<ValRaw> = Vec::with_capacity(2);
    for op in &expr.ops {
        let v = if is_arithmetic(op) {
            let b = stack.pop().ok_or_else(&malformed)?;
            let a = stack.pop().ok_or_else(&malformed)?;
            arithmetic(op, a, b)
        } else if takes_operands(op) {
            gc(op, &mut stack)?
        } else {
            leaf(op)?
        };
        stack.push(v);
    }
    stack.pop().ok_or_else(malformed)
}

/// Whether `op` is a GC operator that pops operands (or allocates).
fn takes_operands(op: &ConstOp) -> bool {
    matches!(
        op,
        ConstOp::StructNew(_)
            | ConstOp::StructNewDefault(_)
            | ConstOp::ArrayNew(_)
            | ConstOp::ArrayNewDefault(_)
            | ConstOp::ArrayNewFixed { .. }
            | ConstOp::RefI31
            | ConstOp::AnyConvertExtern
            | ConstOp::ExternConvertAny
    )
}

/// `a op b` for an arithmetic operator. The `i32` operators are computed
/// on the sign-extended operands in 64 bits and truncated: the low 32 bits
/// of a wrapping add, sub or mul depend only on the low 32 bits of the
/// operands, so this is the 32-bit wrapping result.
fn arithmetic(op: &ConstOp, a: ValRaw, b: ValRaw) -> ValRaw {
    let is_i32 = matches!(op, ConstOp::I32Add | ConstOp::I32Sub | ConstOp::I32Mul);
    let (a, b) = if is_i32 {
        (i64::from(a.get_i32()), i64::from(b.get_i32()))
    } else {
        (a.get_i64(), b.get_i64())
    };
    let v = match op {
        ConstOp::I32Add | ConstOp::I64Add => a.wrapping_add(b),
        ConstOp::I32Sub | ConstOp::I64Sub => a.wrapping_sub(b),
        _ => a.wrapping_mul(b),
    };
    if is_i32 {
        ValRaw::from_i32(v as i32)
    } else {
        ValRaw::from_i64(v)
    }
}

/// Whether `op` is one of the operators [`evaluate`] computes itself.
fn is_arithmetic(op: &ConstOp) -> bool {
    matches!(
        op,
        ConstOp::I32Add
            | ConstOp::I32Sub
            | ConstOp::I32Mul
            | ConstOp::I64Add
            | ConstOp::I64Sub
            | ConstOp::I64Mul
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn constants(op: &ConstOp) -> Result<ValRaw, String> {
        match *op {
            ConstOp::I32Const(v) => Ok(ValRaw::from_i32(v)),
            ConstOp::I64Const(v) => Ok(ValRaw::from_i64(v)),
            _ => Err(format!("{op:?}")),
        }
    }

    fn eval(ops: Vec<ConstOp>) -> Result<ValRaw, String> {
        evaluate(
            &ConstExpr { ops },
            constants,
            |_, _| Err("gc".to_string()),
            || "malformed".to_string(),
        )
    }

    #[test]
    fn arithmetic_wraps_and_keeps_operand_order() {
        let v = eval(vec![
            ConstOp::I32Const(i32::MIN),
            ConstOp::I32Const(1),
            ConstOp::I32Sub,
        ]);
        assert_eq!(v.unwrap().get_i32(), i32::MAX);
        let v = eval(vec![
            ConstOp::I32Const(0x1234_5678),
            ConstOp::I32Const(-0x7654_3211),
            ConstOp::I32Mul,
        ]);
        assert_eq!(
            v.unwrap().get_i32(),
            0x1234_5678i32.wrapping_mul(-0x7654_3211)
        );
        let v = eval(vec![
            ConstOp::I64Const(3),
            ConstOp::I64Const(10),
            ConstOp::I64Sub,
            ConstOp::I64Const(i64::MAX),
            ConstOp::I64Mul,
        ]);
        assert_eq!(v.unwrap().get_i64(), (-7i64).wrapping_mul(i64::MAX));
    }

    #[test]
    fn leaf_errors_and_malformed_expressions_are_reported() {
        assert_eq!(
            eval(vec![ConstOp::GlobalGet(2)]),
            Err("GlobalGet(2)".into())
        );
        let add_global = vec![ConstOp::I32Const(1), ConstOp::GlobalGet(0), ConstOp::I32Add];
        assert_eq!(eval(add_global), Err("GlobalGet(0)".into()));
        assert_eq!(eval(vec![ConstOp::I32Add]), Err("malformed".into()));
        assert_eq!(eval(vec![]), Err("malformed".into()));
    }
}
