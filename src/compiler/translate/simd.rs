//! SIMD operators (the simd and relaxed_simd proposals).
//!
//! They reach the translator through wasmparser's `VisitSimdOperator`: the
//! driver hands every operator no other family takes and that
//! [`is_simd_operator`] recognises to `VisitOperator::visit_operator`,
//! which calls the matching `visit_*` method below (the translator's
//! `simd_visitor` is itself). SIMD is not supported yet, so every method
//! refuses its operator; an implementation replaces the refusals one
//! operator at a time, reading lane types from the typed operand stack.

use super::{unsupported_operator, FuncTranslator};
use anyhow::Result;
use wasmparser::{Operator, VisitSimdOperator};

/// Whether `op` belongs to the simd or relaxed_simd proposal.
pub(super) fn is_simd_operator(op: &Operator<'_>) -> bool {
    macro_rules! any_simd_operator {
        ($( @$proposal:ident $op:ident $({ $($arg:ident: $argty:ty),* })? => $visit:ident ($($ann:tt)*))*) => {
            matches!(op, $( Operator::$op { .. } )|*)
        };
    }
    wasmparser::for_each_visit_simd_operator!(any_simd_operator)
}

/// Defines each SIMD `visit_*` method as refusing its operator.
macro_rules! refuse_simd_operator {
    ($( @$proposal:ident $op:ident $({ $($arg:ident: $argty:ty),* })? => $visit:ident ($($ann:tt)*))*) => {
        $(
            fn $visit(&mut self $($(, $arg: $argty)*)?) -> Result<()> {
                self.refuse_simd(&Operator::$op $({ $($arg),* })?)
            }
        )*
    };
}

impl<'a> VisitSimdOperator<'a> for FuncTranslator<'_, '_> {
    wasmparser::for_each_visit_simd_operator!(refuse_simd_operator);
}

impl FuncTranslator<'_, '_> {
    fn refuse_simd(&self, op: &Operator<'_>) -> Result<()> {
        Err(unsupported_operator("simd", op, self.op_offset))
    }
}
