//! `wmemcheck` instrumentation: the calls compiled code makes to the
//! runtime's heap checker (`runtime::wmemcheck` describes the model).
//!
//! A module is instrumented when the engine has `wmemcheck` on, its memory
//! 0 is not shared, and it defines at least one allocator function:
//! `malloc`, `calloc`, `realloc`, `free`, `aligned_alloc`,
//! `posix_memalign` or `malloc_usable_size`, found as the reference finds
//! them, by name: the function the name section gives that name, else the
//! one exported under it (followed through wasm-ld's export wrapper of a
//! command), with the C signature over memory 0's address type. Then:
//!
//! - every access of memory 0 (`heap`, `simd::memory`, `atomics` and the
//!   bulk operators) is preceded by a check of its wasm address and size:
//!   for loads and stores of a 32-bit memory an inline test of what the
//!   checker publishes, calling `WmemcheckLoad` or `WmemcheckStore` only
//!   when it fails ([`FuncTranslator::wmemcheck_access_sized`]), else the
//!   call itself ([`FuncTranslator::wmemcheck_access`]);
//! - an allocator function calls `WmemcheckEnter` with its parameters on
//!   entry and `WmemcheckExit` with its result before each return
//!   (`control` emits returns through [`FuncTranslator::emit_return`], and
//!   turns its tail calls into calls followed by a return, so no return
//!   escapes the hook).
//!
//! Any other module, and every module with `wmemcheck` off, gets none of
//! this code.

use super::heap::IndexType;
use super::FuncTranslator;
use crate::environ::builtins::{WmemcheckRole, WmemcheckSlot};
use crate::environ::vmoffsets::wmemcheck_fast;
use crate::environ::{BuiltinFunction, ExternKind, MemoryPlan, ModuleInfo, Tunables, ValType};
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{types, InstBuilder, MemFlagsData, Value};
use std::collections::HashMap;
use wasmparser::{BinaryReader, FunctionBody, Operator};

/// The allocator functions of a module that `wmemcheck` follows, by
/// function index; empty when the module is not instrumented.
#[derive(Clone, Debug, Default)]
pub(crate) struct WmemcheckRoles {
    roles: HashMap<u32, WmemcheckRole>,
}

impl WmemcheckRoles {
    /// The allocator functions of `info` (none unless `tunables.wmemcheck`
    /// is on and memory 0 exists and is not shared).
    pub(crate) fn of(
        info: &ModuleInfo,
        wasm: &[u8],
        plans: &[MemoryPlan],
        tunables: &Tunables,
    ) -> Self {
        let mut roles = HashMap::new();
        let Some(memory0) = plans.first().map(|p| p.ty) else {
            return WmemcheckRoles { roles };
        };
        if !tunables.wmemcheck || memory0.shared {
            return WmemcheckRoles { roles };
        }
        let address = if memory0.memory64 {
            ValType::I64
        } else {
            ValType::I32
        };
        let slot = |s: WmemcheckSlot| match s {
            WmemcheckSlot::Address => address,
            WmemcheckSlot::I32 => ValType::I32,
        };
        for role in WmemcheckRole::ALL {
            let name = role.name();
            // The lowest index, should the name section repeat a name.
            let named = info
                .func_names
                .iter()
                .filter(|(_, n)| n.as_str() == name)
                .map(|(i, _)| *i)
                .min();
            // An export of a command is a wrapper (wasm-ld's: constructors,
            // the function, destructors) that the program's own calls
            // bypass: it is followed to the function itself.
            let exported = || {
                let mut func = info
                    .exports
                    .iter()
                    .find(|e| e.kind == ExternKind::Func && e.name == name)?
                    .index;
                for _ in 0..4 {
                    match forwarded(info, wasm, func) {
                        Some(inner) => func = inner,
                        None => break,
                    }
                }
                Some(func)
            };
            let Some(func) = named.or_else(exported) else {
                continue;
            };
            if info.is_imported_func(func) || roles.contains_key(&func) {
                continue;
            }
            let ty = info.func_type(func);
            let (params, result) = role.signature();
            let params_match = ty
                .params
                .iter()
                .copied()
                .eq(params.iter().map(|p| slot(*p)));
            let result_match = ty.results.iter().copied().eq(result.map(slot));
            if params_match && result_match {
                roles.insert(func, role);
            }
        }
        WmemcheckRoles { roles }
    }

    /// Whether the module is instrumented.
    pub(crate) fn active(&self) -> bool {
        !self.roles.is_empty()
    }

    /// The allocator role of function `func`, if it has one.
    pub(crate) fn role(&self, func: u32) -> Option<WmemcheckRole> {
        self.roles.get(&func).copied()
    }
}

/// `size` shadow bytes that are all `LIVE`, as a little-endian integer (the
/// low 64 bits for 16).
fn live_pattern(size: u32) -> u64 {
    let bytes = size.min(8) as usize;
    let mut pattern = [0u8; 8];
    pattern[..bytes].fill(wmemcheck_fast::LIVE);
    u64::from_le_bytes(pattern)
}

/// The function that defined function `func` only forwards to, if it is
/// a forwarding wrapper: a body without locals made of calls of `[] -> []`
/// functions around one call, of a function of its own type, with its
/// parameters in order (wasm-ld's export wrapper for commands).
fn forwarded(info: &ModuleInfo, wasm: &[u8], func: u32) -> Option<u32> {
    let defined = func.checked_sub(info.num_imported_funcs)?;
    let range = info.func_bodies.get(defined as usize)?.clone();
    let bytes = wasm.get(range.clone())?;
    let body = FunctionBody::new(BinaryReader::new(bytes, range.start as u64));
    if body.get_locals_reader().ok()?.get_count() != 0 {
        return None;
    }
    let ty = info.func_type(func);
    let mut pushed = 0;
    let mut target = None;
    let mut ops = body.get_operators_reader().ok()?;
    while !ops.eof() {
        match ops.read().ok()? {
            Operator::LocalGet { local_index } if local_index == pushed && target.is_none() => {
                pushed += 1;
            }
            Operator::Call { function_index } => {
                let callee = info.functions.get(function_index as usize)?;
                let callee_ty = info.sig(*callee);
                if callee_ty.params.is_empty() && callee_ty.results.is_empty() && pushed == 0 {
                    continue;
                }
                if target.is_some() || callee_ty != ty || pushed as usize != ty.params.len() {
                    return None;
                }
                target = Some(function_index);
                pushed = 0;
            }
            Operator::End => {}
            _ => return None,
        }
    }
    target
}

impl FuncTranslator<'_, '_> {
    /// Whether accesses of `memory` are reported to the heap checker.
    pub(super) fn wmemcheck_memory(&self, memory: u32) -> bool {
        memory == 0 && self.env.wmemcheck.active()
    }

    /// Reports an access of `len` (an `i64`) bytes of memory 0 at the
    /// `i64` index `index` plus `offset`; traps with `MemoryCheck` when
    /// the checker finds a heap error.
    pub(super) fn wmemcheck_access(&mut self, index: Value, offset: u64, len: Value, write: bool) {
        let f = if write {
            BuiltinFunction::WmemcheckStore
        } else {
            BuiltinFunction::WmemcheckLoad
        };
        let offset = self.builder.ins().iconst(types::I64, offset as i64);
        self.call_builtin(f, &[index, offset, len]);
    }

    /// [`Self::wmemcheck_access`] for a `size`-byte access (`size` a power
    /// of two up to 16), whose common cases are decided inline, without
    /// calling the checker (`vmoffsets::wmemcheck_fast`): an access ending
    /// at or below the floor (static data, the stack, an allocator running),
    /// or one whose shadow bytes are all live, loaded as one `size`-byte
    /// integer. Anything else calls the checker from a cold block. For a
    /// 64-bit memory, where `index + offset` may wrap, the checker is always
    /// called.
    pub(super) fn wmemcheck_access_sized(
        &mut self,
        index: Value,
        index_ty: IndexType,
        offset: u64,
        size: u32,
        write: bool,
    ) {
        let shadow_ty = match size {
            1 => Some(types::I8),
            2 => Some(types::I16),
            4 => Some(types::I32),
            8 => Some(types::I64),
            16 => Some(types::I128),
            _ => None,
        };
        let (Some(shadow_ty), IndexType::I32) = (shadow_ty, index_ty) else {
            let len = self.builder.ins().iconst(types::I64, i64::from(size));
            self.wmemcheck_access(index, offset, len, write);
            return;
        };
        let at = self.offsets().wmemcheck();
        let fast = self.load_ptr(self.vmctx, at);
        // A 32-bit index plus a 32-bit offset plus 16 cannot wrap 64 bits.
        let addr = self.builder.ins().iadd_imm_u(index, offset as i64);
        let end = self.builder.ins().iadd_imm_u(addr, i64::from(size));
        let floor = self.load_vm_i64(fast, wmemcheck_fast::FLOOR);
        let below = self
            .builder
            .ins()
            .icmp(IntCC::UnsignedLessThanOrEqual, end, floor);
        let look = self.builder.create_block();
        let load = self.builder.create_block();
        let slow = self.builder.create_block();
        let done = self.builder.create_block();
        self.builder.ins().brif(below, done, &[], look, &[]);
        self.builder.seal_block(look);
        self.builder.switch_to_block(look);
        let shadow_len = self.load_vm_i64(fast, wmemcheck_fast::SHADOW_LEN);
        let inside = self
            .builder
            .ins()
            .icmp(IntCC::UnsignedLessThanOrEqual, end, shadow_len);
        self.builder.ins().brif(inside, load, &[], slow, &[]);
        self.builder.seal_block(load);
        self.builder.switch_to_block(load);
        let shadow = self.load_vm_i64(fast, wmemcheck_fast::SHADOW);
        let bytes = self.builder.ins().iadd(shadow, addr);
        // Unaligned, in bounds of the shadow (`end <= shadow_len`).
        let flags = MemFlagsData::new()
            .with_notrap()
            .with_alias_region(self.vm_flags.alias_region());
        let value = self.builder.ins().load(shadow_ty, flags, bytes, 0);
        let all_live = live_pattern(size);
        let live = if shadow_ty == types::I128 {
            let half = self.builder.ins().iconst(types::I64, all_live as i64);
            let pattern = self.builder.ins().iconcat(half, half);
            self.builder.ins().icmp(IntCC::Equal, value, pattern)
        } else {
            self.builder
                .ins()
                .icmp_imm_u(IntCC::Equal, value, all_live as i64)
        };
        self.builder.ins().brif(live, done, &[], slow, &[]);
        self.builder.seal_block(slow);
        self.builder.set_cold_block(slow);
        self.builder.switch_to_block(slow);
        let len = self.builder.ins().iconst(types::I64, i64::from(size));
        self.wmemcheck_access(index, offset, len, write);
        self.builder.ins().jump(done, &[]);
        self.builder.seal_block(done);
        self.builder.switch_to_block(done);
    }

    /// `value` (an `i32` or `i64`) as the `i64` the builtins take.
    fn wmemcheck_i64(&mut self, value: Value) -> Value {
        if self.builder.func.dfg.value_type(value) == types::I64 {
            value
        } else {
            self.uext64(value)
        }
    }

    /// At the entry of an allocator function: reports its parameters
    /// `params` (the wasm ones); traps with `MemoryCheck` when the call
    /// is a heap error.
    pub(super) fn wmemcheck_enter(&mut self, params: &[Value]) {
        let Some(role) = self.alloc_role else {
            return;
        };
        let mut args = vec![self.i32_const(role as u32)];
        for i in 0..3 {
            let arg = match params.get(i) {
                Some(&p) => self.wmemcheck_i64(p),
                None => self.builder.ins().iconst(types::I64, 0),
            };
            args.push(arg);
        }
        self.call_builtin(BuiltinFunction::WmemcheckEnter, &args);
    }

    /// Returns `results` from the function, reporting the result first in
    /// an allocator function.
    pub(super) fn emit_return(&mut self, results: &[Value]) {
        if let Some(role) = self.alloc_role {
            let role = self.i32_const(role as u32);
            let result = match results.first() {
                Some(&r) => self.wmemcheck_i64(r),
                None => self.builder.ins().iconst(types::I64, 0),
            };
            self.call_builtin(BuiltinFunction::WmemcheckExit, &[role, result]);
        }
        self.builder.ins().return_(results);
    }
}
