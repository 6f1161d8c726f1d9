//! SIMD operators (the simd and relaxed_simd proposals), lowered through
//! Cranelift's vector types.
//!
//! Every `v128` in locals, block parameters, globals and across calls is
//! an `I8X16`: one canonical IR type, so that values of the same wasm type
//! always have the same IR type whatever lanes the operators that made
//! them used. On the operand stack a `v128` keeps the type its operator
//! gave it (`push_v`); an operator bitcasts its operands to the lane type
//! it works on (`pop_v`, a no-op when they already have it), and the
//! translator's pops canonicalise what leaves the stack otherwise. The
//! bitcasts cost no instructions; keeping the lane types lets Cranelift
//! keep float vectors in float instructions (`movups`, not `movdqu`).
//!
//! The work is split by operator family, each offered the operator in turn
//! like the scalar families of the translator:
//! - `memory`: loads and stores (plain, extending, splat, zero and lane
//!   forms), through the heap's bounds-checked address computation;
//! - `lanes`: `v128.const`, shuffles, swizzles, splats, lane extraction and
//!   replacement, bitwise operators and the boolean reductions;
//! - `arith`: integer and float arithmetic and comparisons;
//! - `convert`: conversions, narrowing, widening, extended multiplies,
//!   pairwise additions and dot products;
//! - `relaxed`: the relaxed_simd operators, whose lowering depends on
//!   `relaxed_simd_deterministic` and on the target.
//!
//! The operators reach the translator either from the driver (which reads
//! whole `Operator`s and hands SIMD ones to [`FuncTranslator::simd_operator`])
//! or through wasmparser's `VisitSimdOperator`, whose methods build the
//! `Operator` back and do the same.

mod arith;
mod convert;
mod lanes;
mod memory;
mod relaxed;

use super::{unsupported_operator, FuncTranslator};
use crate::environ::ValType;
use anyhow::Result;
use cranelift_codegen::ir::{
    types, ConstantData, Endianness, InstBuilder, MemFlagsData, Type, Value,
};
use cranelift_frontend::FunctionBuilder;
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

/// Defines each SIMD `visit_*` method as translating its operator through
/// `FuncTranslator::simd_operator`.
macro_rules! visit_simd_operator {
    ($( @$proposal:ident $op:ident $({ $($arg:ident: $argty:ty),* })? => $visit:ident ($($ann:tt)*))*) => {
        $(
            fn $visit(&mut self $($(, $arg: $argty)*)?) -> Result<()> {
                self.simd_operator(Operator::$op $({ $($arg),* })?)
            }
        )*
    };
}

impl<'a> VisitSimdOperator<'a> for FuncTranslator<'_, '_> {
    wasmparser::for_each_visit_simd_operator!(visit_simd_operator);
}

/// Little-endian lane order: how wasm numbers the lanes of a `v128`, and
/// what every bitcast between vector types here must say (Cranelift
/// requires an explicit byte order when lane counts differ).
fn lane_order() -> MemFlagsData {
    MemFlagsData::new().with_endianness(Endianness::Little)
}

/// `v` (a 128-bit vector of any lanes) as the canonical `I8X16` a `v128`
/// has off the operand stack.
pub(super) fn to_canonical_v128(builder: &mut FunctionBuilder<'_>, v: Value) -> Value {
    builder.ins().bitcast(types::I8X16, lane_order(), v)
}

impl FuncTranslator<'_, '_> {
    /// Translates one SIMD operator: each family is offered it in turn.
    pub(super) fn simd_operator<'w>(&mut self, op: Operator<'w>) -> Result<()> {
        let Some(op) = self.simd_memory_operator(op)? else {
            return Ok(());
        };
        let Some(op) = self.simd_lane_operator(op)? else {
            return Ok(());
        };
        let Some(op) = self.simd_arith_operator(op)? else {
            return Ok(());
        };
        let Some(op) = self.simd_convert_operator(op)? else {
            return Ok(());
        };
        let Some(op) = self.simd_relaxed_operator(op)? else {
            return Ok(());
        };
        // Every operator of `for_each_visit_simd_operator` has a family;
        // one added by a newer wasmparser lands here until it gets one.
        Err(unsupported_operator("simd", &op, self.op_offset))
    }

    /// `v` as a vector of type `ty` (a no-op when it already is one).
    fn bitcast_v(&mut self, v: Value, ty: Type) -> Value {
        if self.builder.func.dfg.value_type(v) == ty {
            v
        } else {
            self.builder.ins().bitcast(ty, lane_order(), v)
        }
    }

    /// Pops a `v128` operand as it is on the stack (any vector type).
    fn pop_native(&mut self) -> Value {
        self.stack
            .pop()
            .expect("validated: operand stack not empty")
            .value
    }

    /// Pops a `v128` operand as a vector of lane type `ty`.
    fn pop_v(&mut self, ty: Type) -> Value {
        let v = self.pop_native();
        self.bitcast_v(v, ty)
    }

    /// Pops two `v128` operands as vectors of `ty`, deepest first.
    fn pop2_v(&mut self, ty: Type) -> (Value, Value) {
        let b = self.pop_v(ty);
        let a = self.pop_v(ty);
        (a, b)
    }

    /// Pops three `v128` operands as vectors of `ty`, deepest first.
    fn pop3_v(&mut self, ty: Type) -> (Value, Value, Value) {
        let c = self.pop_v(ty);
        let (a, b) = self.pop2_v(ty);
        (a, b, c)
    }

    /// Pushes the vector `v` (of any vector type) as a `v128`, keeping its
    /// type (see `Operand`).
    fn push_v(&mut self, v: Value) {
        self.push(v, ValType::V128);
    }

    /// A vector of type `ty` with the 16 little-endian `bytes`.
    fn vconst(&mut self, ty: Type, bytes: [u8; 16]) -> Value {
        let handle = self
            .builder
            .func
            .dfg
            .constants
            .insert(ConstantData::from(bytes.to_vec()));
        self.builder.ins().vconst(ty, handle)
    }

    /// A unary operator on lanes of `ty`.
    fn v_unop(&mut self, ty: Type, f: impl FnOnce(&mut FunctionBuilder<'_>, Value) -> Value) {
        let a = self.pop_v(ty);
        let r = f(&mut self.builder, a);
        self.push_v(r);
    }

    /// A binary operator on lanes of `ty`.
    fn v_binop(
        &mut self,
        ty: Type,
        f: impl FnOnce(&mut FunctionBuilder<'_>, Value, Value) -> Value,
    ) {
        let (a, b) = self.pop2_v(ty);
        let r = f(&mut self.builder, a, b);
        self.push_v(r);
    }

    /// Whether relaxed operators may use the x86 instructions whose
    /// results differ from the deterministic ones on some inputs: on an
    /// x86-64 target with `relaxed_simd_deterministic` off.
    fn relaxed_x86(&self) -> bool {
        !self.env.tunables.relaxed_simd_deterministic
            && self.env.isa.triple().architecture == target_lexicon::Architecture::X86_64
    }

    /// Whether the target ISA has the named boolean flag on (`has_fma`).
    fn isa_has(&self, flag: &str) -> bool {
        self.env
            .isa
            .isa_flags()
            .iter()
            .any(|v| v.name == flag && v.as_bool() == Some(true))
    }
}
