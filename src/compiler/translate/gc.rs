//! The GC proposal's operators: `struct.*`, `array.*`, `ref.i31` and
//! `i31.get_*`, `ref.eq`, the casts (`ref.test`, `ref.cast`,
//! `br_on_cast`, `br_on_cast_fail`) and the `any`/`extern` conversions.
//!
//! Objects follow `environ::gc_layout`: field and element accesses,
//! lengths, bounds and null checks are inline; allocation, segment reads
//! and copies call the runtime. Casts decide inline what the header (or
//! the `i31` tag bit) tells, and compare canonical type ids from the
//! `VMContext`; only a non-final target type whose id differs from the
//! object's asks the runtime to walk the supertype chain.

use super::{block_args, FuncTranslator, Offer};
use crate::compiler::ir_type;
use crate::environ::gc_layout::{
    struct_layout, ARRAY_ELEMS_OFFSET, ARRAY_LEN_OFFSET, KIND_ARRAY, KIND_EXTERN, KIND_OFFSET,
    KIND_STRUCT, TYPE_ID_OFFSET,
};
use crate::environ::vmoffsets::func_ref;
use crate::environ::{
    BuiltinFunction, CompositeType, FieldType, HeapType, RefType, StorageType, TrapKind, TypeKind,
    VMOffsets, ValType,
};
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{types, InstBuilder, MemFlagsData, Value};
use wasmparser::Operator;

/// Object accesses: the compiled code null-checked the reference, so they
/// cannot trap, and every value is aligned to its size.
fn object_flags() -> MemFlagsData {
    MemFlagsData::trusted()
}

impl FuncTranslator<'_, '_> {
    /// Translates `op` if it is one of the GC proposal's.
    pub(super) fn gc_operator<'w>(&mut self, op: Operator<'w>) -> Offer<'w> {
        use Operator as O;
        match op {
            O::RefEq => {
                let (a, b) = self.pop2();
                let eq = self.builder.ins().icmp(IntCC::Equal, a, b);
                let v = self.builder.ins().uextend(types::I32, eq);
                self.push(v, ValType::I32);
            }
            O::RefI31 => {
                let v = self.pop();
                let shifted = self.builder.ins().ishl_imm_u(v, 1);
                let tagged = self.builder.ins().bor_imm_u(shifted, 1);
                let word = self.builder.ins().uextend(types::I64, tagged);
                self.push(word, non_null(HeapType::I31));
            }
            O::I31GetS | O::I31GetU => {
                let word = self.pop();
                self.trapz(word, TrapKind::NullI31Reference);
                let low = self.builder.ins().ireduce(types::I32, word);
                let v = if matches!(op, O::I31GetS) {
                    self.builder.ins().sshr_imm_u(low, 1)
                } else {
                    self.builder.ins().ushr_imm_u(low, 1)
                };
                self.push(v, ValType::I32);
            }
            O::AnyConvertExtern | O::ExternConvertAny => {
                // Both hierarchies share their words (see `gc_layout`).
                let operand = self.pop_operand();
                let nullable = operand.ty.as_ref().is_none_or(|r| r.nullable);
                let heap = if matches!(op, O::AnyConvertExtern) {
                    HeapType::Any
                } else {
                    HeapType::Extern
                };
                self.push(operand.value, ValType::Ref(RefType { nullable, heap }));
            }
            O::StructNew { struct_type_index } => self.struct_new(struct_type_index, true),
            O::StructNewDefault { struct_type_index } => self.struct_new(struct_type_index, false),
            O::StructGet {
                struct_type_index,
                field_index,
            }
            | O::StructGetU {
                struct_type_index,
                field_index,
            } => self.struct_get(struct_type_index, field_index, false),
            O::StructGetS {
                struct_type_index,
                field_index,
            } => self.struct_get(struct_type_index, field_index, true),
            O::StructSet {
                struct_type_index,
                field_index,
            } => self.struct_set(struct_type_index, field_index),
            O::ArrayNew { array_type_index } => self.array_new(array_type_index, true),
            O::ArrayNewDefault { array_type_index } => self.array_new(array_type_index, false),
            O::ArrayNewFixed {
                array_type_index,
                array_size,
            } => self.array_new_fixed(array_type_index, array_size),
            O::ArrayNewData {
                array_type_index,
                array_data_index,
            } => self.array_new_segment(
                BuiltinFunction::ArrayNewData,
                array_type_index,
                array_data_index,
                TrapKind::MemoryOutOfBounds,
            ),
            O::ArrayNewElem {
                array_type_index,
                array_elem_index,
            } => self.array_new_segment(
                BuiltinFunction::ArrayNewElem,
                array_type_index,
                array_elem_index,
                TrapKind::TableOutOfBounds,
            ),
            O::ArrayGet { array_type_index } | O::ArrayGetU { array_type_index } => {
                self.array_get(array_type_index, false)
            }
            O::ArrayGetS { array_type_index } => self.array_get(array_type_index, true),
            O::ArraySet { array_type_index } => self.array_set(array_type_index),
            O::ArrayLen => {
                let array = self.pop();
                self.trapz(array, TrapKind::NullArrayReference);
                let len = self.array_len(array);
                self.push(len, ValType::I32);
            }
            O::ArrayFill { array_type_index } => self.array_fill(array_type_index),
            O::ArrayCopy {
                array_type_index_dst,
                array_type_index_src: _,
            } => self.array_copy(array_type_index_dst),
            O::ArrayInitData {
                array_type_index,
                array_data_index,
            } => self.array_init_segment(
                BuiltinFunction::ArrayInitData,
                array_type_index,
                array_data_index,
                TrapKind::MemoryOutOfBounds,
            ),
            O::ArrayInitElem {
                array_type_index,
                array_elem_index,
            } => self.array_init_segment(
                BuiltinFunction::ArrayInitElem,
                array_type_index,
                array_elem_index,
                TrapKind::TableOutOfBounds,
            ),
            O::RefTestNonNull { hty } => self.ref_test_op(hty, false, false),
            O::RefTestNullable { hty } => self.ref_test_op(hty, true, false),
            O::RefCastNonNull { hty } => self.ref_test_op(hty, false, true),
            O::RefCastNullable { hty } => self.ref_test_op(hty, true, true),
            O::BrOnCast {
                relative_depth,
                from_ref_type,
                to_ref_type,
            } => self.br_on_cast(relative_depth, from_ref_type, to_ref_type, false),
            O::BrOnCastFail {
                relative_depth,
                from_ref_type,
                to_ref_type,
            } => self.br_on_cast(relative_depth, from_ref_type, to_ref_type, true),
            other => return Ok(Some(other)),
        }
        Ok(None)
    }

    // ----- structs -----

    fn struct_fields(&self, type_index: u32) -> &[FieldType] {
        match &self.env.info.types[type_index as usize].composite {
            CompositeType::Struct(fields) => fields,
            _ => unreachable!("validated: type {type_index} is a struct"),
        }
    }

    fn array_element(&self, type_index: u32) -> FieldType {
        match &self.env.info.types[type_index as usize].composite {
            CompositeType::Array(element) => *element,
            _ => unreachable!("validated: type {type_index} is an array"),
        }
    }

    /// `struct.new` (`with_fields`) or `struct.new_default`.
    fn struct_new(&mut self, type_index: u32, with_fields: bool) {
        let fields = self.struct_fields(type_index).to_vec();
        let values = if with_fields {
            self.pop_values(fields.len())
        } else {
            Vec::new()
        };
        let ty = self.i32_const(type_index);
        let object = self
            .call_builtin(BuiltinFunction::GcAllocStruct, &[ty])
            .expect("GcAllocStruct returns the object");
        let layout = struct_layout(&fields);
        for ((field, &offset), value) in fields.iter().zip(layout.offsets.iter()).zip(values) {
            self.store_field(field.storage, value, object, offset as i32);
        }
        self.push(
            object,
            non_null(HeapType::Module(type_index, TypeKind::Struct)),
        );
    }

    fn struct_get(&mut self, type_index: u32, field_index: u32, signed: bool) {
        let fields = self.struct_fields(type_index);
        let field = fields[field_index as usize];
        let offset = struct_layout(fields).offsets[field_index as usize] as i32;
        let object = self.pop();
        self.trapz(object, TrapKind::NullStructReference);
        let v = self.load_field(field.storage, signed, object, offset);
        self.push(v, field.storage.unpacked());
    }

    fn struct_set(&mut self, type_index: u32, field_index: u32) {
        let fields = self.struct_fields(type_index);
        let field = fields[field_index as usize];
        let offset = struct_layout(fields).offsets[field_index as usize] as i32;
        let value = self.pop();
        let object = self.pop();
        self.trapz(object, TrapKind::NullStructReference);
        self.store_field(field.storage, value, object, offset);
    }

    /// Stores `value` as a field or element of `storage` at `base + offset`.
    fn store_field(&mut self, storage: StorageType, value: Value, base: Value, offset: i32) {
        let flags = object_flags();
        match storage {
            StorageType::I8 => {
                self.builder.ins().istore8(flags, value, base, offset);
            }
            StorageType::I16 => {
                self.builder.ins().istore16(flags, value, base, offset);
            }
            StorageType::Val(_) => {
                self.builder.ins().store(flags, value, base, offset);
            }
        }
    }

    /// Loads a field or element of `storage` at `base + offset` as its
    /// unpacked value (packed ones extended as `signed` says).
    fn load_field(
        &mut self,
        storage: StorageType,
        signed: bool,
        base: Value,
        offset: i32,
    ) -> Value {
        let flags = object_flags();
        let ins = self.builder.ins();
        match (storage, signed) {
            (StorageType::I8, false) => ins.uload8(types::I32, flags, base, offset),
            (StorageType::I8, true) => ins.sload8(types::I32, flags, base, offset),
            (StorageType::I16, false) => ins.uload16(types::I32, flags, base, offset),
            (StorageType::I16, true) => ins.sload16(types::I32, flags, base, offset),
            (StorageType::Val(t), _) => ins.load(ir_type(t), flags, base, offset),
        }
    }

    // ----- arrays -----

    fn array_len(&mut self, array: Value) -> Value {
        self.builder
            .ins()
            .load(types::I32, object_flags(), array, ARRAY_LEN_OFFSET)
    }

    /// The address of element `index` (an `i32`) of `array`.
    fn element_addr(&mut self, array: Value, element: FieldType, index: Value) -> Value {
        let index = self.uext64(index);
        let scaled = self
            .builder
            .ins()
            .imul_imm_u(index, i64::from(element.storage.size()));
        let at = self.builder.ins().iadd(array, scaled);
        self.builder
            .ins()
            .iadd_imm_u(at, i64::from(ARRAY_ELEMS_OFFSET))
    }

    /// Traps with `ArrayOutOfBounds` unless `index < len` of `array`.
    fn check_index(&mut self, array: Value, index: Value) {
        let len = self.array_len(array);
        let oob = self
            .builder
            .ins()
            .icmp(IntCC::UnsignedGreaterThanOrEqual, index, len);
        self.trapnz(oob, TrapKind::ArrayOutOfBounds);
    }

    /// Traps with `ArrayOutOfBounds` unless `start + n <= len` of `array`
    /// (computed without overflow).
    fn check_range(&mut self, array: Value, start: Value, n: Value) {
        let len = self.array_len(array);
        let len = self.uext64(len);
        let start = self.uext64(start);
        let n = self.uext64(n);
        let end = self.builder.ins().iadd(start, n);
        let oob = self
            .builder
            .ins()
            .icmp(IntCC::UnsignedGreaterThan, end, len);
        self.trapnz(oob, TrapKind::ArrayOutOfBounds);
    }

    /// `array.new` (`with_value`: fill with the operand) or
    /// `array.new_default`.
    fn array_new(&mut self, type_index: u32, with_value: bool) {
        let element = self.array_element(type_index);
        let len = self.pop();
        let value = with_value.then(|| self.pop());
        let ty = self.i32_const(type_index);
        let array = self
            .call_builtin(BuiltinFunction::GcAllocArray, &[ty, len])
            .expect("GcAllocArray returns the object");
        if let Some(value) = value {
            let zero = self.builder.ins().iconst(types::I32, 0);
            self.fill_elements(array, element, zero, len, value);
        }
        self.push(
            array,
            non_null(HeapType::Module(type_index, TypeKind::Array)),
        );
    }

    fn array_new_fixed(&mut self, type_index: u32, n: u32) {
        let element = self.array_element(type_index);
        let values = self.pop_values(n as usize);
        let ty = self.i32_const(type_index);
        let len = self.i32_const(n);
        let array = self
            .call_builtin(BuiltinFunction::GcAllocArray, &[ty, len])
            .expect("GcAllocArray returns the object");
        let size = element.storage.size();
        for (i, value) in values.into_iter().enumerate() {
            let offset = ARRAY_ELEMS_OFFSET + size * i as u32;
            self.store_field(element.storage, value, array, offset as i32);
        }
        self.push(
            array,
            non_null(HeapType::Module(type_index, TypeKind::Array)),
        );
    }

    /// `array.new_data` / `array.new_elem` through `builtin`, which returns
    /// the array, 0 when it is too large, or 1 when the segment range is
    /// out of bounds (trapping with `segment_trap`).
    fn array_new_segment(
        &mut self,
        builtin: BuiltinFunction,
        type_index: u32,
        segment: u32,
        segment_trap: TrapKind,
    ) {
        let len = self.pop();
        let offset = self.pop();
        let ty = self.i32_const(type_index);
        let segment = self.i32_const(segment);
        let array = self
            .call_builtin(builtin, &[ty, segment, offset, len])
            .expect("the builtin returns the object");
        let oob = self.builder.ins().icmp_imm_u(IntCC::Equal, array, 1);
        self.trapnz(oob, segment_trap);
        self.trapz(array, TrapKind::AllocationTooLarge);
        self.push(
            array,
            non_null(HeapType::Module(type_index, TypeKind::Array)),
        );
    }

    fn array_get(&mut self, type_index: u32, signed: bool) {
        let element = self.array_element(type_index);
        let index = self.pop();
        let array = self.pop();
        self.trapz(array, TrapKind::NullArrayReference);
        self.check_index(array, index);
        let at = self.element_addr(array, element, index);
        let v = self.load_field(element.storage, signed, at, 0);
        self.push(v, element.storage.unpacked());
    }

    fn array_set(&mut self, type_index: u32) {
        let element = self.array_element(type_index);
        let value = self.pop();
        let index = self.pop();
        let array = self.pop();
        self.trapz(array, TrapKind::NullArrayReference);
        self.check_index(array, index);
        let at = self.element_addr(array, element, index);
        self.store_field(element.storage, value, at, 0);
    }

    fn array_fill(&mut self, type_index: u32) {
        let element = self.array_element(type_index);
        let n = self.pop();
        let value = self.pop();
        let start = self.pop();
        let array = self.pop();
        self.trapz(array, TrapKind::NullArrayReference);
        self.check_range(array, start, n);
        self.fill_elements(array, element, start, n, value);
    }

    /// Stores `value` in elements `start..start + n` of `array` (in
    /// bounds), with a loop.
    fn fill_elements(
        &mut self,
        array: Value,
        element: FieldType,
        start: Value,
        n: Value,
        value: Value,
    ) {
        let size = i64::from(element.storage.size());
        let first = self.element_addr(array, element, start);
        let n = self.uext64(n);
        let bytes = self.builder.ins().imul_imm_u(n, size);
        let end = self.builder.ins().iadd(first, bytes);
        let header = self.builder.create_block();
        let body = self.builder.create_block();
        let exit = self.builder.create_block();
        let at = self.builder.append_block_param(header, types::I64);
        self.builder.ins().jump(header, &block_args(&[first]));
        self.builder.switch_to_block(header);
        let more = self.builder.ins().icmp(IntCC::UnsignedLessThan, at, end);
        self.builder.ins().brif(more, body, &[], exit, &[]);
        self.builder.switch_to_block(body);
        self.builder.seal_block(body);
        self.store_field(element.storage, value, at, 0);
        let next = self.builder.ins().iadd_imm_u(at, size);
        self.builder.ins().jump(header, &block_args(&[next]));
        self.builder.seal_block(header);
        self.builder.switch_to_block(exit);
        self.builder.seal_block(exit);
    }

    fn array_copy(&mut self, dst_type: u32) {
        let n = self.pop();
        let src_index = self.pop();
        let src = self.pop();
        let dst_index = self.pop();
        let dst = self.pop();
        self.trapz(dst, TrapKind::NullArrayReference);
        self.trapz(src, TrapKind::NullArrayReference);
        let ty = self.i32_const(dst_type);
        self.call_builtin(
            BuiltinFunction::ArrayCopy,
            &[ty, dst, dst_index, src, src_index, n],
        );
    }

    /// `array.init_data` / `array.init_elem` through `builtin`, which
    /// returns 0, 1 (array range out of bounds) or 2 (segment range out of
    /// bounds, trapping with `segment_trap`).
    fn array_init_segment(
        &mut self,
        builtin: BuiltinFunction,
        type_index: u32,
        segment: u32,
        segment_trap: TrapKind,
    ) {
        let n = self.pop();
        let src = self.pop();
        let dst = self.pop();
        let array = self.pop();
        self.trapz(array, TrapKind::NullArrayReference);
        let ty = self.i32_const(type_index);
        let segment = self.i32_const(segment);
        let code = self
            .call_builtin(builtin, &[ty, array, dst, segment, src, n])
            .expect("the builtin returns a code");
        let array_oob = self.builder.ins().icmp_imm_u(IntCC::Equal, code, 1);
        self.trapnz(array_oob, TrapKind::ArrayOutOfBounds);
        let segment_oob = self.builder.ins().icmp_imm_u(IntCC::Equal, code, 2);
        self.trapnz(segment_oob, segment_trap);
    }

    // ----- casts -----

    /// `ref.test` (an `i32`) or, with `cast`, `ref.cast` (the reference,
    /// trapping with `CastFailure` when it is not of the type).
    fn ref_test_op(&mut self, hty: wasmparser::HeapType, nullable: bool, cast: bool) {
        let target = RefType {
            nullable,
            heap: self.wasm_heap_type(hty),
        };
        let operand = self.pop_operand();
        let source = operand.ty.as_ref().expect("validated: a reference operand");
        let t = self.ref_test(operand.value, source, target);
        if cast {
            self.trapz(t, TrapKind::CastFailure);
            self.push(operand.value, ValType::Ref(target));
        } else {
            self.push(t, ValType::I32);
        }
    }

    /// `br_on_cast` (branch when the cast succeeds) or `br_on_cast_fail`
    /// (`on_fail`: branch when it fails); the reference stays on the stack.
    fn br_on_cast(
        &mut self,
        depth: u32,
        from: wasmparser::RefType,
        to: wasmparser::RefType,
        on_fail: bool,
    ) {
        let from = RefType {
            nullable: from.is_nullable(),
            heap: self.wasm_heap_type(from.heap_type()),
        };
        let to = RefType {
            nullable: to.is_nullable(),
            heap: self.wasm_heap_type(to.heap_type()),
        };
        let operand = *self.stack.last().expect("validated: a reference operand");
        let t = self.ref_test(operand.value, from, to);
        let (target, n) = self.branch_target(depth);
        let args = block_args(&self.peek_values(n));
        let cont = self.builder.create_block();
        if on_fail {
            self.builder.ins().brif(t, cont, &[], target, &args);
        } else {
            self.builder.ins().brif(t, target, &args, cont, &[]);
        }
        self.builder.seal_block(cont);
        self.builder.switch_to_block(cont);
        // On the fall-through the reference has the cast's target type
        // (`br_on_cast_fail`) or keeps the source type (`br_on_cast`).
        let fallthrough = if on_fail { to } else { from };
        self.stack.last_mut().expect("checked above").ty = ValType::Ref(fallthrough);
    }

    /// Whether `value`, of static type `source`, is a value of `target`:
    /// an `i32` 0 or 1.
    pub(super) fn ref_test(&mut self, value: Value, source: RefType, target: RefType) -> Value {
        let info = self.env.info;
        if source.is_subtype_in(target, &|h| info.supertype(h)) {
            return self.builder.ins().iconst(types::I32, 1);
        }
        let done = self.builder.create_block();
        let result = self.builder.append_block_param(done, types::I32);
        let non_null = self.builder.create_block();
        let null_result = self
            .builder
            .ins()
            .iconst(types::I32, i64::from(target.nullable));
        self.builder
            .ins()
            .brif(value, non_null, &[], done, &block_args(&[null_result]));
        self.builder.switch_to_block(non_null);
        self.builder.seal_block(non_null);
        let t = self.ref_test_non_null(value, target.heap);
        self.builder.ins().jump(done, &block_args(&[t]));
        self.builder.switch_to_block(done);
        self.builder.seal_block(done);
        result
    }

    /// Whether the non-null `value` is a value of `heap`: an `i32`.
    fn ref_test_non_null(&mut self, value: Value, heap: HeapType) -> Value {
        use HeapType as H;
        match heap {
            H::Func | H::Extern | H::Exn | H::Any => self.builder.ins().iconst(types::I32, 1),
            H::NoFunc | H::NoExtern | H::NoExn | H::None => {
                self.builder.ins().iconst(types::I32, 0)
            }
            H::I31 => {
                let bit = self.builder.ins().band_imm_u(value, 1);
                self.builder.ins().ireduce(types::I32, bit)
            }
            H::Module(index, TypeKind::Func) => {
                let actual = self.builder.ins().load(
                    types::I32,
                    self.vm_flags.with_readonly(),
                    value,
                    func_ref::TYPE_ID as i32,
                );
                self.type_id_matches(actual, index)
            }
            H::Eq | H::Struct | H::Array | H::Module(..) => {
                // i31 words answer at once; objects by their header.
                let done = self.builder.create_block();
                let result = self.builder.append_block_param(done, types::I32);
                let object = self.builder.create_block();
                let bit = self.builder.ins().band_imm_u(value, 1);
                let i31_result = self
                    .builder
                    .ins()
                    .iconst(types::I32, i64::from(heap == H::Eq));
                self.builder
                    .ins()
                    .brif(bit, done, &block_args(&[i31_result]), object, &[]);
                self.builder.switch_to_block(object);
                self.builder.seal_block(object);
                let flags = object_flags();
                let t = match heap {
                    H::Module(index, _) => {
                        let actual =
                            self.builder
                                .ins()
                                .load(types::I32, flags, value, TYPE_ID_OFFSET);
                        self.type_id_matches(actual, index)
                    }
                    _ => {
                        let kind = self
                            .builder
                            .ins()
                            .load(types::I32, flags, value, KIND_OFFSET);
                        let (cc, expected) = match heap {
                            H::Eq => (IntCC::NotEqual, KIND_EXTERN),
                            H::Struct => (IntCC::Equal, KIND_STRUCT),
                            _ => (IntCC::Equal, KIND_ARRAY),
                        };
                        let c = self.builder.ins().icmp_imm_u(cc, kind, i64::from(expected));
                        self.builder.ins().uextend(types::I32, c)
                    }
                };
                self.builder.ins().jump(done, &block_args(&[t]));
                self.builder.switch_to_block(done);
                self.builder.seal_block(done);
                result
            }
            H::Canonical(..) => unreachable!("module code names its own types"),
        }
    }

    /// Whether the canonical type id `actual` (an `i32`) is the module's
    /// type `index` or, for a non-final type, one of its subtypes.
    pub(super) fn type_id_matches(&mut self, actual: Value, index: u32) -> Value {
        let ids = self.load_ptr(self.vmctx, VMOffsets::TYPE_IDS);
        let expected =
            self.builder
                .ins()
                .load(types::I32, self.vm_readonly_flags, ids, (index * 4) as i32);
        let eq = self.builder.ins().icmp(IntCC::Equal, actual, expected);
        let eq = self.builder.ins().uextend(types::I32, eq);
        if self.env.info.types[index as usize].is_final {
            return eq;
        }
        let done = self.builder.create_block();
        let result = self.builder.append_block_param(done, types::I32);
        let slow = self.builder.create_block();
        self.builder
            .ins()
            .brif(eq, done, &block_args(&[eq]), slow, &[]);
        self.builder.switch_to_block(slow);
        self.builder.seal_block(slow);
        self.builder.set_cold_block(slow);
        let sub = self
            .call_builtin(BuiltinFunction::IsSubtype, &[actual, expected])
            .expect("IsSubtype returns a flag");
        self.builder.ins().jump(done, &block_args(&[sub]));
        self.builder.switch_to_block(done);
        self.builder.seal_block(done);
        result
    }
}

/// The non-nullable reference to `heap`.
fn non_null(heap: HeapType) -> ValType {
    super::table::non_null(heap)
}
