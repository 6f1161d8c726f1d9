//! Exception handling: `try_table` with its catch clauses, `throw` and
//! `throw_ref`.
//!
//! A `try_table` is a block whose catch clauses stay in scope until its
//! `end`: every call translated meanwhile becomes a `try_call` (see
//! `func_env::emit_call`) whose exception table lists, innermost first,
//! the clauses of all open `try_table`s, each tag clause tagged with its
//! module-wide tag index, after a context entry holding this function's
//! `VMContext` (the runtime resolves the index through it, so imported
//! tags match by identity). The first matching clause receives control in
//! its landing block with the exception object (the pointer an `exnref`
//! is) as the call's exceptional payload; the landing block loads the
//! payload a `catch`/`catch_ref` delivers (`vmoffsets::exn`) and branches
//! to the clause's label. Landing blocks are made on a clause's first use
//! and filled in at the `try_table`'s `end`, when every call that can
//! reach them has been translated.
//!
//! `throw` asks the runtime for a new object (`ExnAlloc`), stores the
//! payload into it and throws it like `throw_ref`: a call of the
//! never-returning `ThrowRef` builtin, itself a `try_call` inside a
//! `try_table`, so a throw is caught by its own frame's clauses exactly
//! as one from a callee is.

use super::control::FrameKind;
use super::func_env::Callee;
use super::{block_args, FuncTranslator, Offer};
use crate::compiler::ir_type;
use crate::environ::vmoffsets::exn;
use crate::environ::{BuiltinFunction, TrapKind, VMOffsets, ValType};
use anyhow::Result;
use cranelift_codegen::ir::{
    self, types, Block, BlockArg, BlockCall, ExceptionTableItem, ExceptionTag, InstBuilder,
    MemFlagsData,
};
use wasmparser::{Catch, Operator, TryTable};

/// One catch clause of an open `try_table`.
struct Clause {
    catch: Catch,
    /// Its landing block (one `i64` parameter: the exception), made when
    /// a call first lists the clause.
    landing: Option<Block>,
}

/// The catch clauses of one open `try_table`.
pub(super) struct TryScope {
    clauses: Vec<Clause>,
}

impl FuncTranslator<'_, '_> {
    /// Translates `op` if it is an exception-handling operator.
    pub(super) fn exception_operator<'w>(&mut self, op: Operator<'w>) -> Offer<'w> {
        match op {
            Operator::TryTable { try_table } => self.op_try_table(try_table)?,
            Operator::Throw { tag_index } => self.op_throw(tag_index),
            Operator::ThrowRef => self.op_throw_ref(),
            other => return Ok(Some(other)),
        }
        Ok(None)
    }

    fn op_try_table(&mut self, try_table: TryTable) -> Result<()> {
        self.try_scopes.push(TryScope {
            clauses: try_table
                .catches
                .into_iter()
                .map(|catch| Clause {
                    catch,
                    landing: None,
                })
                .collect(),
        });
        self.open_block(try_table.ty, FrameKind::TryTable)
    }

    /// The entries of an exception table for a call here: the context,
    /// then every open clause, innermost `try_table` first.
    pub(super) fn exception_items(&mut self) -> Vec<ExceptionTableItem> {
        let mut items = vec![ExceptionTableItem::Context(self.vmctx)];
        for s in (0..self.try_scopes.len()).rev() {
            for c in 0..self.try_scopes[s].clauses.len() {
                let landing = match self.try_scopes[s].clauses[c].landing {
                    Some(block) => block,
                    None => {
                        let block = self.builder.create_block();
                        self.builder.append_block_param(block, types::I64);
                        self.builder.set_cold_block(block);
                        self.try_scopes[s].clauses[c].landing = Some(block);
                        block
                    }
                };
                let call = BlockCall::new(
                    landing,
                    [BlockArg::TryCallExn(0)],
                    &mut self.builder.func.dfg.value_lists,
                );
                items.push(match self.try_scopes[s].clauses[c].catch {
                    Catch::One { tag, .. } | Catch::OneRef { tag, .. } => {
                        ExceptionTableItem::Tag(ExceptionTag::from_u32(tag), call)
                    }
                    Catch::All { .. } | Catch::AllRef { .. } => ExceptionTableItem::Default(call),
                });
            }
        }
        items
    }

    /// Closes the innermost `try_table`'s scope at its `end` (the current
    /// block already terminated, the frame popped): fills in each used
    /// clause's landing block with the branch to its label.
    pub(super) fn close_try_scope(&mut self) {
        let scope = self
            .try_scopes
            .pop()
            .expect("validated: a try_table is open");
        for clause in scope.clauses {
            let Some(landing) = clause.landing else {
                continue;
            };
            self.builder.seal_block(landing);
            self.builder.switch_to_block(landing);
            let exn = self.builder.block_params(landing)[0];
            let (label, args) = match clause.catch {
                Catch::One { tag, label } => (label, self.load_payload(exn, tag)),
                Catch::OneRef { tag, label } => {
                    let mut args = self.load_payload(exn, tag);
                    args.push(exn);
                    (label, args)
                }
                Catch::All { label } => (label, Vec::new()),
                Catch::AllRef { label } => (label, vec![exn]),
            };
            let (target, n) = self.branch_target(label);
            debug_assert_eq!(
                n,
                args.len(),
                "validated: the label takes the caught values"
            );
            let args = block_args(&args);
            self.builder.ins().jump(target, &args);
        }
    }

    /// The payload values of tag `tag` in the exception object `exn`.
    fn load_payload(&mut self, exn: ir::Value, tag: u32) -> Vec<ir::Value> {
        let params: Vec<ValType> = self.env.info.tag_params(tag).to_vec();
        let flags = MemFlagsData::trusted();
        params
            .iter()
            .enumerate()
            .map(|(i, &t)| {
                self.builder
                    .ins()
                    .load(ir_type(t), flags, exn, exn::payload(i as u32) as i32)
            })
            .collect()
    }

    fn op_throw(&mut self, tag: u32) {
        let tag_value = self.i32_const(tag);
        let object = self
            .call_builtin(BuiltinFunction::ExnAlloc, &[tag_value])
            .expect("ExnAlloc returns the object");
        let n = self.env.info.tag_params(tag).len();
        let payload = self.pop_values(n);
        let flags = MemFlagsData::trusted();
        for (i, v) in payload.into_iter().enumerate() {
            self.builder
                .ins()
                .store(flags, v, object, exn::payload(i as u32) as i32);
        }
        self.throw_object(object);
    }

    fn op_throw_ref(&mut self) {
        let object = self.pop();
        self.trapz(object, TrapKind::NullReference);
        self.throw_object(object);
    }

    /// Throws the non-null exception `object` from here; what follows is
    /// dead code.
    fn throw_object(&mut self, object: ir::Value) {
        let f = BuiltinFunction::ThrowRef;
        let sig = self.builtin_sig(f);
        let table = self.load_ptr(self.vmctx, VMOffsets::BUILTINS);
        let code = self.load_ptr(table, f.table_offset());
        self.emit_call(Callee::Indirect(sig, code), &[self.vmctx, object]);
        // `ThrowRef` never returns; the block still needs a terminator.
        self.trap(TrapKind::UnreachableCodeReached);
        self.reachable = false;
    }
}
