//! Wasm DWARF location expressions rewritten for the native code.
//!
//! Wasm producers describe a variable with a location expression over wasm
//! state: `DW_OP_WASM_location` (`0xED`) pushes the value of a local (kind
//! 0), a global (kinds 1 and 3) or an operand-stack slot (kind 2), and an
//! address that an expression leaves on the stack is one in linear memory.
//! Typically (clang): `DW_OP_fbreg N` against a frame base of
//! `DW_OP_WASM_location 0x0 L, DW_OP_stack_value` at `-O0` (the variable
//! is in memory, at local `L` plus `N`), and `DW_OP_WASM_location 0x0 L,
//! DW_OP_stack_value` in location lists at `-O1` and above (the variable is
//! local `L`).
//!
//! `Template::compile` turns such an expression into native DWARF with
//! holes for the labeled values it needs (wasm locals, the `VMContext`);
//! `Template::entries` fills the holes over a range of native code from
//! where the compiler recorded each value (`ValueLabelRange`): a register
//! (by its DWARF number) or a spill slot at an offset from the frame
//! pointer, and splits the range wherever one of them moves. Around the
//! holes:
//!
//! - a variable that is just a local (`DW_OP_WASM_location 0x0 L`, with or
//!   without `DW_OP_stack_value`) becomes that register (`DW_OP_regX`) or
//!   that slot (`DW_OP_bregFP off`, a memory location), for every type;
//! - a local's value inside a larger expression is pushed as an integer:
//!   `DW_OP_bregX 0` for an integer in a register (an `i32` masked to its
//!   32 bits: the register's upper half is undefined), `DW_OP_bregFP off,
//!   DW_OP_deref_size 4|8` from a slot (floats included, as their bits); a
//!   float in a vector register cannot be pushed, and leaves that range
//!   unknown;
//! - a global's value is loaded from its definition, reached from the
//!   `VMContext` (`VmPaths`); a variable that is just a global is that
//!   definition, in memory;
//! - an address in linear memory (an expression without
//!   `DW_OP_stack_value`, and every `DW_OP_deref`) gets memory 0's base
//!   added, loaded from the `VMContext`: a wasm `DW_OP_deref` reads the
//!   wasm address size (4 bytes for 32-bit memories), so it becomes
//!   `DW_OP_deref_size`;
//! - stack arithmetic, constants and `DW_OP_stack_value` are copied (the
//!   native stack is 64 bits wide, so only arithmetic that relies on
//!   32-bit wrap-around differs).
//!
//! Operand-stack slots, branches, pieces, typed operations and the rest
//! make an expression (or a location-list entry) unknown: the debugger
//! shows `<optimized out>` there.

use super::{LocalKind, VmPaths};
use crate::environ::compiled_code::{ValueLabelRange, ValueLoc, VMCTX_LABEL};
use gimli::{constants, EndianSlice, LittleEndian, Operation};

/// The DWARF number of the frame pointer, which spill-slot offsets are
/// relative to.
#[cfg(target_arch = "x86_64")]
const FRAME_POINTER: u16 = 6; // rbp
#[cfg(target_arch = "aarch64")]
const FRAME_POINTER: u16 = 29; // x29

/// DWARF numbers below this are integer registers.
#[cfg(target_arch = "x86_64")]
const FIRST_NON_INTEGER_REGISTER: u16 = 17; // xmm0
#[cfg(target_arch = "aarch64")]
const FIRST_NON_INTEGER_REGISTER: u16 = 31; // sp, then v0 at 64

/// One piece of a template.
#[derive(Clone, Debug, PartialEq)]
enum Part {
    /// Native operations, as they are.
    Bytes(Vec<u8>),
    /// Push the value of wasm local `n`.
    Local(u32),
    /// The whole location is wasm local `n` (a register or a slot).
    LoneLocal(u32),
    /// Push the `VMContext`.
    Vmctx,
}

/// A native location expression with holes for labeled values.
#[derive(Debug, PartialEq)]
pub(super) struct Template {
    parts: Vec<Part>,
    /// The labels the holes need, sorted, without duplicates.
    labels: Vec<u32>,
}

/// What a template is compiled against: the function's locals and the
/// module's instance layout.
pub(super) struct Context<'a> {
    pub locals: &'a [LocalKind],
    pub vm: &'a VmPaths,
}

fn uleb(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn sleb(out: &mut Vec<u8>, mut v: i64) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if (v == 0 && byte & 0x40 == 0) || (v == -1 && byte & 0x40 != 0) {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// `DW_OP_bregN offset`.
fn breg(out: &mut Vec<u8>, reg: u16, offset: i64) {
    if reg < 32 {
        out.push(constants::DW_OP_breg0.0 + reg as u8);
    } else {
        out.push(constants::DW_OP_bregx.0);
        uleb(out, u64::from(reg));
    }
    sleb(out, offset);
}

/// `DW_OP_regN`.
fn reg(out: &mut Vec<u8>, reg: u16) {
    if reg < 32 {
        out.push(constants::DW_OP_reg0.0 + reg as u8);
    } else {
        out.push(constants::DW_OP_regx.0);
        uleb(out, u64::from(reg));
    }
}

fn plus_uconst(out: &mut Vec<u8>, v: u32) {
    if v != 0 {
        out.push(constants::DW_OP_plus_uconst.0);
        uleb(out, u64::from(v));
    }
}

fn deref_size(out: &mut Vec<u8>, size: u8) {
    if size == 8 {
        out.push(constants::DW_OP_deref.0);
    } else {
        out.push(constants::DW_OP_deref_size.0);
        out.push(size);
    }
}

/// Builds a template, merging adjacent byte parts.
#[derive(Default)]
struct Builder {
    parts: Vec<Part>,
}

impl Builder {
    fn bytes(&mut self) -> &mut Vec<u8> {
        if !matches!(self.parts.last(), Some(Part::Bytes(_))) {
            self.parts.push(Part::Bytes(Vec::new()));
        }
        match self.parts.last_mut() {
            Some(Part::Bytes(b)) => b,
            _ => unreachable!("a byte part was just pushed"),
        }
    }

    fn part(&mut self, part: Part) {
        self.parts.push(part);
    }

    /// Follows `path` from the `VMContext` pushed before: the address of
    /// the state it leads to.
    fn path(&mut self, path: &[u32]) {
        let out = self.bytes();
        for (i, &offset) in path.iter().enumerate() {
            if i > 0 {
                out.push(constants::DW_OP_deref.0);
            }
            plus_uconst(out, offset);
        }
    }

    /// Pushes memory 0's base; false without a memory.
    fn memory_base(&mut self, vm: &VmPaths) -> bool {
        let Some((path, _)) = &vm.memory0_base else {
            return false;
        };
        self.part(Part::Vmctx);
        self.path(path);
        self.bytes().push(constants::DW_OP_deref.0);
        true
    }

    /// Pushes global `index`'s value; false if it is not a number.
    fn global_value(&mut self, vm: &VmPaths, index: u32) -> bool {
        let Some((path, size)) = vm.globals.get(index as usize) else {
            return false;
        };
        if *size == 0 {
            return false;
        }
        self.part(Part::Vmctx);
        self.path(path);
        deref_size(self.bytes(), *size);
        true
    }

    fn finish(self) -> Template {
        let mut labels: Vec<u32> = self
            .parts
            .iter()
            .filter_map(|p| match p {
                Part::Local(n) | Part::LoneLocal(n) => Some(*n),
                Part::Vmctx => Some(VMCTX_LABEL),
                Part::Bytes(_) => None,
            })
            .collect();
        labels.sort_unstable();
        labels.dedup();
        Template {
            parts: self.parts,
            labels,
        }
    }
}

/// One operation of an expression, with its encoding.
type Op<'a> = (Operation<EndianSlice<'a, LittleEndian>>, &'a [u8]);

/// An expression's operations with their encodings; `None` if it cannot
/// be read.
fn operations(expr: &[u8], encoding: gimli::Encoding) -> Option<Vec<Op<'_>>> {
    let mut reader = EndianSlice::new(expr, LittleEndian);
    let mut ops = Vec::new();
    while !reader.is_empty() {
        let before = reader.len();
        let op = Operation::parse(&mut reader, encoding).ok()?;
        let start = expr.len() - before;
        ops.push((op, &expr[start..expr.len() - reader.len()]));
    }
    Some(ops)
}

impl Template {
    /// The template of wasm expression `expr` (of a unit with `encoding`),
    /// whose `DW_OP_fbreg` is relative to the value of `frame_base` (the
    /// subprogram's `DW_AT_frame_base` expression); `None` when it cannot
    /// be expressed natively.
    pub(super) fn compile(
        expr: &[u8],
        frame_base: Option<&[u8]>,
        encoding: gimli::Encoding,
        cx: &Context<'_>,
    ) -> Option<Template> {
        let ops = operations(expr, encoding)?;
        let mut b = Builder::default();
        // A variable that is one local or one global.
        match ops.as_slice() {
            [(Operation::WasmLocal { index }, _)]
            | [(Operation::WasmLocal { index }, _), (Operation::StackValue, _)] => {
                b.part(Part::LoneLocal(*index));
                return Some(b.finish());
            }
            [(Operation::WasmGlobal { index }, _)]
            | [(Operation::WasmGlobal { index }, _), (Operation::StackValue, _)] => {
                let (path, _) = cx.vm.globals.get(*index as usize)?;
                b.part(Part::Vmctx);
                b.path(path);
                return Some(b.finish());
            }
            [] => return None,
            _ => {}
        }
        let is_value = matches!(
            ops.last(),
            Some((Operation::StackValue | Operation::ImplicitValue { .. }, _))
        );
        translate_ops(&mut b, &ops, frame_base, encoding, cx, 0)?;
        if !is_value {
            // The address left is one in linear memory.
            if !b.memory_base(cx.vm) {
                return None;
            }
            b.bytes().push(constants::DW_OP_plus.0);
        }
        Some(b.finish())
    }

    /// The native location of the template over `[begin, end)` (absolute
    /// addresses of the function starting at `func_start`, whose value
    /// labels are `labels`): one `(begin, end, expression)` per stretch in
    /// which every value the template needs stays in one known place, in
    /// order; stretches with a value unknown are left out.
    pub(super) fn entries(
        &self,
        cx: &Context<'_>,
        labels: &[ValueLabelRange],
        func_start: u64,
        (begin, end): (u64, u64),
        out: &mut Vec<(u64, u64, Vec<u8>)>,
    ) {
        let (Some(from), Some(to)) = (begin.checked_sub(func_start), end.checked_sub(func_start))
        else {
            return;
        };
        let (Ok(from), Ok(to)) = (u32::try_from(from), u32::try_from(to)) else {
            return;
        };
        let mut points = vec![from, to];
        for &label in &self.labels {
            for r in of_label(labels, label) {
                for p in [r.start, r.end] {
                    if from < p && p < to {
                        points.push(p);
                    }
                }
            }
        }
        points.sort_unstable();
        points.dedup();
        for w in points.windows(2) {
            let (p, q) = (w[0], w[1]);
            let Some(bytes) = self.instantiate(cx, &|label| {
                ValueLabelRange::find(of_label(labels, label), label, p)
            }) else {
                continue;
            };
            let (p, q) = (func_start + u64::from(p), func_start + u64::from(q));
            match out.last_mut() {
                Some(last) if last.1 == p && last.2 == bytes => last.1 = q,
                _ => out.push((p, q, bytes)),
            }
        }
    }

    /// The native expression with each labeled value where `loc` says.
    fn instantiate(
        &self,
        cx: &Context<'_>,
        loc: &dyn Fn(u32) -> Option<ValueLoc>,
    ) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        for part in &self.parts {
            match part {
                Part::Bytes(b) => out.extend_from_slice(b),
                Part::Vmctx => match loc(VMCTX_LABEL)? {
                    ValueLoc::Reg(r) if r < FIRST_NON_INTEGER_REGISTER => breg(&mut out, r, 0),
                    ValueLoc::Reg(_) => return None,
                    ValueLoc::Frame(off) => {
                        breg(&mut out, FRAME_POINTER, i64::from(off));
                        out.push(constants::DW_OP_deref.0);
                    }
                },
                Part::LoneLocal(n) => match loc(*n)? {
                    ValueLoc::Reg(r) => reg(&mut out, r),
                    ValueLoc::Frame(off) => breg(&mut out, FRAME_POINTER, i64::from(off)),
                },
                Part::Local(n) => {
                    let kind = *cx.locals.get(*n as usize)?;
                    match (loc(*n)?, kind) {
                        (ValueLoc::Reg(r), LocalKind::I32) if r < FIRST_NON_INTEGER_REGISTER => {
                            breg(&mut out, r, 0);
                            out.push(constants::DW_OP_const4u.0);
                            out.extend_from_slice(&u32::MAX.to_le_bytes());
                            out.push(constants::DW_OP_and.0);
                        }
                        (ValueLoc::Reg(r), LocalKind::I64) if r < FIRST_NON_INTEGER_REGISTER => {
                            breg(&mut out, r, 0)
                        }
                        (ValueLoc::Reg(_), _) => return None,
                        (ValueLoc::Frame(off), kind) => {
                            let size = match kind {
                                LocalKind::I32 | LocalKind::F32 => 4,
                                LocalKind::I64 | LocalKind::F64 => 8,
                                LocalKind::Other => return None,
                            };
                            breg(&mut out, FRAME_POINTER, i64::from(off));
                            deref_size(&mut out, size);
                        }
                    }
                }
            }
        }
        Some(out)
    }
}

/// The ranges of `label` among a function's `labels` (sorted by label).
fn of_label(labels: &[ValueLabelRange], label: u32) -> &[ValueLabelRange] {
    let from = labels.partition_point(|r| r.label < label);
    let to = labels.partition_point(|r| r.label <= label);
    &labels[from..to]
}

/// Appends the native form of `ops` to `b`; `None` for an operation that
/// has none. `depth` counts frame-base expansions (a frame base is not
/// relative to itself).
fn translate_ops(
    b: &mut Builder,
    ops: &[Op<'_>],
    frame_base: Option<&[u8]>,
    encoding: gimli::Encoding,
    cx: &Context<'_>,
    depth: u32,
) -> Option<()> {
    for (op, raw) in ops {
        match *op {
            Operation::WasmLocal { index } => b.part(Part::Local(index)),
            Operation::WasmGlobal { index } => {
                if !b.global_value(cx.vm, index) {
                    return None;
                }
            }
            Operation::FrameOffset { offset } => {
                if depth > 0 {
                    return None;
                }
                let base = operations(frame_base?, encoding)?;
                // The frame base is a value: its own trailing
                // `DW_OP_stack_value` says so (LLVM writes one).
                let base = match base.split_last() {
                    Some(((Operation::StackValue, _), rest)) => rest,
                    _ => &base[..],
                };
                if base.is_empty() {
                    return None;
                }
                translate_ops(b, base, None, encoding, cx, depth + 1)?;
                let out = b.bytes();
                out.push(constants::DW_OP_consts.0);
                sleb(out, offset);
                out.push(constants::DW_OP_plus.0);
            }
            Operation::Deref {
                base_type,
                size,
                space: false,
            } if base_type.0 == 0 => {
                if !b.memory_base(cx.vm) {
                    return None;
                }
                let out = b.bytes();
                out.push(constants::DW_OP_plus.0);
                deref_size(out, size);
            }
            // Stack operations mean the same natively.
            Operation::Drop
            | Operation::Pick { .. }
            | Operation::Swap
            | Operation::Rot
            | Operation::Abs
            | Operation::And
            | Operation::Div
            | Operation::Minus
            | Operation::Mod
            | Operation::Mul
            | Operation::Neg
            | Operation::Not
            | Operation::Or
            | Operation::Plus
            | Operation::PlusConstant { .. }
            | Operation::Shl
            | Operation::Shr
            | Operation::Shra
            | Operation::Xor
            | Operation::Eq
            | Operation::Ge
            | Operation::Gt
            | Operation::Le
            | Operation::Lt
            | Operation::Ne
            | Operation::Nop
            | Operation::UnsignedConstant { .. }
            | Operation::SignedConstant { .. }
            | Operation::StackValue
            | Operation::ImplicitValue { .. } => {
                // `DW_OP_addr` and indexed constants parse as other
                // operations; these are the plain encodings.
                b.bytes().extend_from_slice(raw);
            }
            _ => return None,
        }
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const WASM32: gimli::Encoding = gimli::Encoding {
        format: gimli::Format::Dwarf32,
        version: 4,
        address_size: 4,
    };

    fn vm() -> VmPaths {
        VmPaths {
            memory0_base: Some((vec![0x40], false)),
            globals: vec![(vec![0x80], 4), (vec![0x20, 0], 8)],
        }
    }

    fn range(label: u32, start: u32, end: u32, loc: ValueLoc) -> ValueLabelRange {
        ValueLabelRange {
            label,
            start,
            end,
            loc,
        }
    }

    /// `DW_OP_WASM_location 0x0 n`.
    fn wasm_local(n: u8) -> Vec<u8> {
        vec![0xed, 0x00, n]
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn a_lone_local_is_its_register_or_its_slot() {
        let (vm, locals) = (vm(), [LocalKind::I32, LocalKind::F64]);
        let cx = Context {
            locals: &locals,
            vm: &vm,
        };
        let mut expr = wasm_local(1);
        expr.push(0x9f); // DW_OP_stack_value
        let t = Template::compile(&expr, None, WASM32, &cx).unwrap();
        let labels = [
            range(1, 4, 10, ValueLoc::Reg(17)),
            range(1, 10, 30, ValueLoc::Frame(-24)),
        ];
        let mut out = Vec::new();
        t.entries(&cx, &labels, 0x1000, (0x1000, 0x1020), &mut out);
        assert_eq!(
            out,
            [
                (0x1004, 0x100a, vec![0x50 + 17]),  // DW_OP_reg17 (xmm0)
                (0x100a, 0x101e, vec![0x76, 0x68]), // DW_OP_breg6 -24
            ]
        );
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn a_frame_relative_variable_is_in_linear_memory() {
        let (vm, locals) = (vm(), [LocalKind::I32; 4]);
        let cx = Context {
            locals: &locals,
            vm: &vm,
        };
        let mut frame_base = wasm_local(3);
        frame_base.push(0x9f);
        let expr = [0x91, 12]; // DW_OP_fbreg +12
        let t = Template::compile(&expr, Some(&frame_base), WASM32, &cx).unwrap();
        assert_eq!(t.labels, [3, VMCTX_LABEL]);
        let labels = [
            range(3, 0, 100, ValueLoc::Reg(3)), // rbx
            range(VMCTX_LABEL, 0, 50, ValueLoc::Reg(5)),
            range(VMCTX_LABEL, 50, 100, ValueLoc::Frame(-16)),
        ];
        let mut out = Vec::new();
        t.entries(&cx, &labels, 0, (8, 100), &mut out);
        let local3 = [0x73, 0, 0x0c, 0xff, 0xff, 0xff, 0xff, 0x1a]; // breg3 0, const4u, and
        let fbreg = [0x11, 12, 0x22]; // consts 12, plus
        let base_in_rdi = [0x75, 0, 0x23, 0x40, 0x06]; // breg5 0, plus_uconst 0x40, deref
        let base_in_slot = [0x76, 0x70, 0x06, 0x23, 0x40, 0x06];
        let expect = |base: &[u8]| [&local3[..], &fbreg, base, &[0x22]].concat();
        assert_eq!(
            out,
            [
                (8, 50, expect(&base_in_rdi)),
                (50, 100, expect(&base_in_slot)),
            ]
        );
    }

    #[test]
    fn unknown_values_and_operand_stack_slots_leave_ranges_out() {
        let (vm, locals) = (vm(), [LocalKind::F32]);
        let cx = Context {
            locals: &locals,
            vm: &vm,
        };
        // The operand stack is not tracked.
        assert!(Template::compile(&[0xed, 0x02, 0x00, 0x9f], None, WASM32, &cx).is_none());
        // A float in a vector register cannot be pushed.
        let expr = [&wasm_local(0)[..], &[0x23, 1, 0x9f]].concat();
        let t = Template::compile(&expr, None, WASM32, &cx).unwrap();
        let mut out = Vec::new();
        t.entries(
            &cx,
            &[range(0, 0, 8, ValueLoc::Reg(17))],
            0,
            (0, 8),
            &mut out,
        );
        assert!(out.is_empty());
        // No range: unknown.
        t.entries(&cx, &[], 0, (0, 8), &mut out);
        assert!(out.is_empty());
    }

    #[test]
    fn constants_and_globals() {
        let (vm, locals) = (vm(), []);
        let cx = Context {
            locals: &locals,
            vm: &vm,
        };
        // DW_OP_consts +0, DW_OP_stack_value: needs no label.
        let t = Template::compile(&[0x11, 0, 0x9f], None, WASM32, &cx).unwrap();
        let mut out = Vec::new();
        t.entries(&cx, &[], 0x100, (0x100, 0x140), &mut out);
        assert_eq!(out, [(0x100, 0x140, vec![0x11, 0, 0x9f])]);
        // An imported global's value: its definition's pointer, loaded.
        let t = Template::compile(&[0xed, 0x01, 0x01, 0x23, 4, 0x9f], None, WASM32, &cx).unwrap();
        assert_eq!(
            t.parts,
            [
                Part::Vmctx,
                Part::Bytes(vec![0x23, 0x20, 0x06, 0x06, 0x23, 4, 0x9f])
            ]
        );
    }
}
