//! Parsing and validation: wasm bytes → `ModuleInfo`.
//!
//! Every payload goes through wasmparser's `Validator` (configured with the
//! engine's features), so a module that parses here is valid; function
//! bodies are validated here too, which lets `Module::validate` answer
//! without compiling anything.
//!
//! Constructs that validate (because the embedder enabled their proposal)
//! but that this build cannot compile yet, as the feature table
//! (`environ::features::PROPOSALS`) says, are remembered in
//! `ParsedModule::unsupported`; compilation refuses them with an error that
//! names the feature and its byte offset, while plain validation accepts
//! them.

use super::info::{
    ConstExpr, ConstOp, DataMode, DataSegment, ElemMode, ElemSegment, Export, Import, ModuleInfo,
};
use super::types::{
    CompositeType, EntityType, ExternKind, FieldType, FuncType, GlobalType, HeapType, MemoryType,
    StorageType, SubType, TableType, TypeKind, ValType,
};
use crate::environ::error::{Error, ErrorKind, Result};
use crate::environ::features::Proposal;
use std::sync::Arc;
use wasmparser::{
    BinaryReaderError, ElementItems, ElementKind, ExternalKind, FuncValidatorAllocations,
    KnownCustom, Name, Operator, Parser, Payload, RefType, TypeRef, ValidPayload, Validator,
    WasmFeatures,
};

/// A feature the module uses that validated but cannot be compiled yet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unsupported {
    /// The proposal's name, e.g. `simd`, `memory64`, `threads`.
    pub feature: &'static str,
    /// Byte offset of the first use in the module.
    pub offset: u64,
}

impl From<Unsupported> for Error {
    fn from(u: Unsupported) -> Error {
        Error::unsupported(u.feature, u.offset as usize)
    }
}

impl std::fmt::Display for Unsupported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", Error::from(self.clone()))
    }
}

/// The result of parsing and validating one module.
#[derive(Debug)]
pub struct ParsedModule {
    /// What the compiler and runtime need to know about the module.
    pub info: ModuleInfo,
    /// The first construct outside this build's compiler support, if any.
    pub unsupported: Option<Unsupported>,
}

/// The error for an invalid module: wasmparser's message and the offset.
fn invalid(e: BinaryReaderError) -> Error {
    Error::invalid(e.message(), Some(e.offset() as usize))
}

/// Parses and validates `wasm` against `features`. When the module is
/// invalid only because a proposal is switched off, the error names the
/// proposal and the option that turns it on. (Only an invalid module is
/// searched for one: a valid module refused as unsupported needs none.)
pub fn parse(features: WasmFeatures, wasm: &[u8]) -> Result<ParsedModule> {
    parse_with(features, wasm, Bodies::Validate).map_err(|e| match e.kind() {
        ErrorKind::Invalid { .. } => blame_disabled_proposal(features, wasm, e),
        _ => e,
    })
}

/// `e`, the error of an invalid module, as an unsupported one when
/// enabling a switched-off proposal makes the module valid.
fn blame_disabled_proposal(features: WasmFeatures, wasm: &[u8], e: Error) -> Error {
    match disabled_proposal(features, wasm) {
        Some((proposal, option)) => Error::new(
            ErrorKind::Unsupported {
                feature: proposal.to_string(),
                option: Some(option.to_string()),
                offset: e.offset(),
            },
            format!(
                "{e}; the module needs the {proposal} proposal, which this engine's \
                 configuration disables (wasm_config_{option}_set)"
            ),
        ),
        None => e,
    }
}

/// The switched-off proposal whose enabling (with what it needs) makes
/// `wasm` valid, by the feature table. When several do (enabling reference
/// types also enables the bulk memory it needs, so both fix a module that
/// only uses `memory.fill`), the one that switches on the fewest features
/// is the one the module needs; ties go to table order. Runs only on the
/// error path.
fn disabled_proposal(features: WasmFeatures, wasm: &[u8]) -> Option<(&'static str, &'static str)> {
    Proposal::configurable()
        .filter(|p| !features.contains(p.flags))
        .filter(|p| {
            Validator::new_with_features(features | p.flags | p.needs)
                .validate_all(wasm)
                .is_ok()
        })
        .min_by_key(|p| ((p.flags | p.needs) - features).bits().count_ones())
        .and_then(|p| Some((p.name, p.option?)))
}

/// Like [`parse`] for a module whose function bodies were validated
/// already, under the same features: the binary inside a serialized module,
/// which only an engine with this engine's fingerprint (which records the
/// features) wrote after validating it, together with `escaped`, the
/// module's `escaped_funcs` as that parse found them. The sections are
/// still validated, since the module's info is built from them; the bodies,
/// most of a module and nearly all of the time, are not read at all. Like
/// deserializing itself, this trusts the artifact (see
/// `Module::deserialize`).
pub fn parse_validated(
    features: WasmFeatures,
    wasm: &[u8],
    escaped: Vec<bool>,
) -> Result<ParsedModule> {
    let mut parsed = parse_with(features, wasm, Bodies::Trust)?;
    if escaped.len() != parsed.info.functions.len() {
        return Err(Error::new(
            ErrorKind::Other,
            format!(
                "serialized module is corrupt: it records {} functions, its binary has {}",
                escaped.len(),
                parsed.info.functions.len()
            ),
        ));
    }
    parsed.info.escaped_funcs = escaped;
    Ok(parsed)
}

/// Whether `parse_with` validates function bodies.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Bodies {
    Validate,
    Trust,
}

fn parse_with(features: WasmFeatures, wasm: &[u8], bodies: Bodies) -> Result<ParsedModule> {
    let mut validator = Validator::new_with_features(features);
    let mut builder = InfoBuilder::default();
    let mut allocs = FuncValidatorAllocations::default();
    let mut defined_func = 0u32;

    for payload in Parser::new(0).parse_all(wasm) {
        let payload = payload.map_err(invalid)?;
        match validator.payload(&payload).map_err(invalid)? {
            ValidPayload::Ok | ValidPayload::End(_) => {}
            ValidPayload::Parser(_) => {
                return Err(Error::invalid("nested modules are not supported", None))
            }
            ValidPayload::Func(to_validate, body) => {
                if bodies == Bodies::Validate {
                    let mut func_validator = to_validate.into_validator(allocs);
                    func_validator.validate(&body).map_err(invalid)?;
                    allocs = func_validator.into_allocations();
                }
                let range = body.range();
                builder
                    .info
                    .func_bodies
                    .push(range.start as usize..range.end as usize);
                if bodies == Bodies::Validate {
                    builder.scan_body(&body)?;
                }
                defined_func += 1;
            }
        }
        builder.payload(payload)?;
    }
    debug_assert_eq!(defined_func, builder.info.num_defined_funcs());
    let mut info = builder.info;
    info.escaped_funcs = builder.escaped;
    info.escaped_funcs.resize(info.functions.len(), false);
    // Bodies not read (a serialized module): any table may be stored into.
    let unread = bodies == Bodies::Trust;
    info.stored_tables = builder.stored;
    info.stored_tables.resize(info.tables.len(), unread);
    if unread {
        info.stored_tables.fill(true);
    }
    Ok(ParsedModule {
        info,
        unsupported: builder.unsupported,
    })
}

/// The kind of error for a construct of `feature` at `offset` that this
/// build cannot compile (no option enables it).
fn unsupported_kind(feature: &str, offset: u64) -> ErrorKind {
    ErrorKind::Unsupported {
        feature: feature.to_string(),
        option: None,
        offset: Some(offset as usize),
    }
}

/// The error for a heap type this build has no representation for,
/// naming the proposal it comes from.
fn unsupported_heap_type(heap: wasmparser::HeapType, offset: u64) -> Error {
    use wasmparser::AbstractHeapType as A;
    let feature = match heap {
        wasmparser::HeapType::Abstract { shared: true, .. } => "shared-everything-threads",
        wasmparser::HeapType::Abstract {
            ty: A::Cont | A::NoCont,
            ..
        } => "stack-switching",
        _ => "gc",
    };
    Error::new(
        unsupported_kind(feature, offset),
        format!("not supported yet: {feature} heap type `{heap:?}` (at offset {offset:#x})"),
    )
}

/// Our heap type for wasmparser's `heap` as read from a module (concrete
/// types as type-section indices, of the kinds `kind_of` gives), or `None`
/// for one of a proposal this build has no representation for.
pub fn heap_type_of(
    heap: wasmparser::HeapType,
    kind_of: &dyn Fn(u32) -> TypeKind,
) -> Option<HeapType> {
    use wasmparser::AbstractHeapType as A;
    Some(match heap {
        wasmparser::HeapType::Abstract { shared: false, ty } => match ty {
            A::Func => HeapType::Func,
            A::Extern => HeapType::Extern,
            A::NoFunc => HeapType::NoFunc,
            A::NoExtern => HeapType::NoExtern,
            A::Exn => HeapType::Exn,
            A::NoExn => HeapType::NoExn,
            A::Any => HeapType::Any,
            A::Eq => HeapType::Eq,
            A::I31 => HeapType::I31,
            A::Struct => HeapType::Struct,
            A::Array => HeapType::Array,
            A::None => HeapType::None,
            A::Cont | A::NoCont => return None,
        },
        wasmparser::HeapType::Concrete(wasmparser::UnpackedIndex::Module(index))
        | wasmparser::HeapType::Exact(wasmparser::UnpackedIndex::Module(index)) => {
            HeapType::Module(index, kind_of(index))
        }
        _ => return None,
    })
}

/// Our value type for wasmparser's `ty` as read from a module, or `None`
/// as for [`heap_type_of`].
pub fn val_type_of(ty: wasmparser::ValType, kind_of: &dyn Fn(u32) -> TypeKind) -> Option<ValType> {
    Some(match ty {
        wasmparser::ValType::I32 => ValType::I32,
        wasmparser::ValType::I64 => ValType::I64,
        wasmparser::ValType::F32 => ValType::F32,
        wasmparser::ValType::F64 => ValType::F64,
        wasmparser::ValType::V128 => ValType::V128,
        wasmparser::ValType::Ref(r) => ValType::Ref(super::types::RefType {
            nullable: r.is_nullable(),
            heap: heap_type_of(r.heap_type(), kind_of)?,
        }),
    })
}

/// The kind of a wasmparser composite type, if this build represents it.
fn kind_of_composite(ty: &wasmparser::CompositeInnerType) -> Option<TypeKind> {
    match ty {
        wasmparser::CompositeInnerType::Func(_) => Some(TypeKind::Func),
        wasmparser::CompositeInnerType::Struct(_) => Some(TypeKind::Struct),
        wasmparser::CompositeInnerType::Array(_) => Some(TypeKind::Array),
        wasmparser::CompositeInnerType::Cont(_) => None,
    }
}

#[derive(Default)]
struct InfoBuilder {
    info: ModuleInfo,
    escaped: Vec<bool>,
    stored: Vec<bool>,
    unsupported: Option<Unsupported>,
    /// The kind of every type of the groups read so far (a group's kinds
    /// are entered before its types, which may refer to each other).
    type_kinds: Vec<TypeKind>,
}

impl InfoBuilder {
    /// Notes a use of `proposal`, which validated; compilation refuses it
    /// unless the feature table says this build compiles the proposal.
    fn note_unsupported(&mut self, proposal: &'static Proposal, offset: u64) {
        if self.unsupported.is_none() && !proposal.compiles() {
            self.unsupported = Some(Unsupported {
                feature: proposal.key,
                offset,
            });
        }
    }

    fn escape(&mut self, func: u32) {
        let i = func as usize;
        if self.escaped.len() <= i {
            self.escaped.resize(i + 1, false);
        }
        self.escaped[i] = true;
    }

    fn val_type(&mut self, ty: wasmparser::ValType, offset: u64) -> Result<ValType> {
        match ty {
            wasmparser::ValType::V128 => self.note_unsupported(Proposal::SIMD, offset),
            wasmparser::ValType::Ref(r) => return self.ref_type(r, offset),
            _ => {}
        }
        Ok(val_type_of(ty, &|_| TypeKind::Func).expect("every number type has a representation"))
    }

    /// The kind of type `index`, of this or an earlier recursion group.
    fn kind_of(&self, index: u32) -> TypeKind {
        self.type_kinds[index as usize]
    }

    fn storage_type(&mut self, ty: wasmparser::StorageType, offset: u64) -> Result<StorageType> {
        Ok(match ty {
            wasmparser::StorageType::I8 => StorageType::I8,
            wasmparser::StorageType::I16 => StorageType::I16,
            wasmparser::StorageType::Val(v) => StorageType::Val(self.val_type(v, offset)?),
        })
    }

    fn field_type(&mut self, ty: &wasmparser::FieldType, offset: u64) -> Result<FieldType> {
        Ok(FieldType {
            storage: self.storage_type(ty.element_type, offset)?,
            mutable: ty.mutable,
        })
    }

    /// One type definition of a recursion group whose kinds are already
    /// in `type_kinds`.
    fn sub_type(&mut self, sub: &wasmparser::SubType, offset: u64) -> Result<SubType> {
        let composite = match &sub.composite_type.inner {
            wasmparser::CompositeInnerType::Func(f) => {
                CompositeType::Func(self.func_type(f, offset)?)
            }
            wasmparser::CompositeInnerType::Struct(s) => CompositeType::Struct(
                s.fields
                    .iter()
                    .map(|f| self.field_type(f, offset))
                    .collect::<Result<_>>()?,
            ),
            wasmparser::CompositeInnerType::Array(a) => {
                CompositeType::Array(self.field_type(&a.0, offset)?)
            }
            wasmparser::CompositeInnerType::Cont(_) => {
                return Err(Error::new(
                    unsupported_kind("stack-switching", offset),
                    format!(
                    "not supported yet: stack-switching continuation types (at offset {offset:#x})"
                ),
                ))
            }
        };
        if sub.composite_type.shared {
            self.note_unsupported(Proposal::SHARED_EVERYTHING_THREADS, offset);
        }
        let supertype = sub
            .supertype_idxs
            .first()
            .and_then(|i| i.as_module_index())
            .map(|i| HeapType::Module(i, self.kind_of(i)));
        Ok(SubType {
            is_final: sub.is_final,
            supertype,
            composite,
        })
    }

    fn ref_type(&mut self, ty: RefType, offset: u64) -> Result<ValType> {
        let heap = self.heap_type(ty.heap_type(), offset)?;
        let ty = super::types::RefType {
            nullable: ty.is_nullable(),
            heap,
        };
        if ty != super::types::RefType::FUNCREF && ty != super::types::RefType::EXTERNREF {
            self.note_unsupported(Proposal::FUNCTION_REFERENCES, offset);
        }
        Ok(ValType::Ref(ty))
    }

    /// The heap type `heap`; those of proposals this build has no
    /// representation for (GC's, exceptions', stack switching's) are
    /// refused here, since they cannot wait for compilation.
    fn heap_type(&mut self, heap: wasmparser::HeapType, offset: u64) -> Result<HeapType> {
        let kinds = &self.type_kinds;
        heap_type_of(heap, &|i| kinds[i as usize])
            .ok_or_else(|| unsupported_heap_type(heap, offset))
    }

    fn func_type(&mut self, ty: &wasmparser::FuncType, offset: u64) -> Result<FuncType> {
        let params = ty
            .params()
            .iter()
            .map(|t| self.val_type(*t, offset))
            .collect::<Result<Vec<_>>>()?;
        let results = ty
            .results()
            .iter()
            .map(|t| self.val_type(*t, offset))
            .collect::<Result<Vec<_>>>()?;
        Ok(FuncType::new(params, results))
    }

    fn table_type(&mut self, ty: &wasmparser::TableType, offset: u64) -> Result<TableType> {
        if ty.table64 {
            self.note_unsupported(Proposal::MEMORY64, offset);
        }
        if ty.shared {
            self.note_unsupported(Proposal::SHARED_EVERYTHING_THREADS, offset);
        }
        Ok(TableType {
            element: self.ref_type(ty.element_type, offset)?,
            minimum: ty.initial,
            maximum: ty.maximum,
            table64: ty.table64,
        })
    }

    fn memory_type(&mut self, ty: &wasmparser::MemoryType, offset: u64) -> MemoryType {
        if ty.memory64 {
            self.note_unsupported(Proposal::MEMORY64, offset);
        }
        if ty.shared {
            self.note_unsupported(Proposal::THREADS, offset);
        }
        MemoryType {
            minimum: ty.initial,
            maximum: ty.maximum,
            memory64: ty.memory64,
            shared: ty.shared,
            page_size_log2: ty.page_size_log2() as u8,
        }
    }

    fn global_type(&mut self, ty: &wasmparser::GlobalType, offset: u64) -> Result<GlobalType> {
        if ty.shared {
            self.note_unsupported(Proposal::SHARED_EVERYTHING_THREADS, offset);
        }
        Ok(GlobalType {
            content: self.val_type(ty.content_type, offset)?,
            mutable: ty.mutable,
        })
    }

    fn const_expr(&mut self, expr: &wasmparser::ConstExpr<'_>) -> Result<ConstExpr> {
        let mut reader = expr.get_operators_reader();
        let mut ops = Vec::new();
        while !reader.eof() {
            let (op, offset) = reader.read_with_offset().map_err(invalid)?;
            ops.push(match op {
                Operator::I32Const { value } => ConstOp::I32Const(value),
                Operator::I64Const { value } => ConstOp::I64Const(value),
                Operator::F32Const { value } => ConstOp::F32Const(value.bits()),
                Operator::F64Const { value } => ConstOp::F64Const(value.bits()),
                Operator::V128Const { value } => {
                    self.note_unsupported(Proposal::SIMD, offset);
                    ConstOp::V128Const(u128::from_le_bytes(*value.bytes()))
                }
                Operator::RefNull { hty } => ConstOp::RefNull(self.heap_type(hty, offset)?),
                Operator::RefFunc { function_index } => {
                    self.escape(function_index);
                    ConstOp::RefFunc(function_index)
                }
                Operator::GlobalGet { global_index } => ConstOp::GlobalGet(global_index),
                Operator::I32Add => ConstOp::I32Add,
                Operator::I32Sub => ConstOp::I32Sub,
                Operator::I32Mul => ConstOp::I32Mul,
                Operator::I64Add => ConstOp::I64Add,
                Operator::I64Sub => ConstOp::I64Sub,
                Operator::I64Mul => ConstOp::I64Mul,
                Operator::StructNew { struct_type_index } => ConstOp::StructNew(struct_type_index),
                Operator::StructNewDefault { struct_type_index } => {
                    ConstOp::StructNewDefault(struct_type_index)
                }
                Operator::ArrayNew { array_type_index } => ConstOp::ArrayNew(array_type_index),
                Operator::ArrayNewDefault { array_type_index } => {
                    ConstOp::ArrayNewDefault(array_type_index)
                }
                Operator::ArrayNewFixed {
                    array_type_index,
                    array_size,
                } => ConstOp::ArrayNewFixed {
                    index: array_type_index,
                    len: array_size,
                },
                Operator::RefI31 => ConstOp::RefI31,
                Operator::AnyConvertExtern => ConstOp::AnyConvertExtern,
                Operator::ExternConvertAny => ConstOp::ExternConvertAny,
                Operator::End => continue,
                other => return Err(Error::new(
                    unsupported_kind("gc", offset),
                    format!("not supported yet: constant expression operator {other:?} (at offset {offset:#x})"),
                )),
            });
        }
        Ok(ConstExpr { ops })
    }

    /// Notes what a function body uses that needs more than validation:
    /// `ref.func` targets escape.
    fn scan_body(&mut self, body: &wasmparser::FunctionBody<'_>) -> Result<()> {
        let mut reader = body.get_operators_reader().map_err(invalid)?;
        while !reader.eof() {
            match reader.read().map_err(invalid)? {
                Operator::RefFunc { function_index } => self.escape(function_index),
                Operator::TableSet { table } => {
                    let i = table as usize;
                    if self.stored.len() <= i {
                        self.stored.resize(i + 1, false);
                    }
                    self.stored[i] = true;
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn payload(&mut self, payload: Payload<'_>) -> Result<()> {
        match payload {
            Payload::TypeSection(reader) => {
                let offset = reader.range().start;
                for group in reader {
                    let group = group.map_err(invalid)?;
                    self.info
                        .rec_group_starts
                        .push(self.info.types.len() as u32);
                    for sub in group.types() {
                        let kind =
                            kind_of_composite(&sub.composite_type.inner).unwrap_or(TypeKind::Func);
                        self.type_kinds.push(kind);
                    }
                    for sub in group.types() {
                        let ty = self.sub_type(sub, offset)?;
                        self.info.types.push(ty);
                    }
                }
            }
            Payload::ImportSection(reader) => {
                let offset = reader.range().start;
                for import in reader.into_imports() {
                    let import = import.map_err(invalid)?;
                    let (ty, index) = match import.ty {
                        TypeRef::Func(t) | TypeRef::FuncExact(t) => {
                            let index = self.info.functions.len() as u32;
                            self.info.functions.push(t);
                            self.info.num_imported_funcs += 1;
                            // Imported functions are referenced through their
                            // `VMFuncRef` anyway.
                            self.escape(index);
                            (EntityType::Function(t), index)
                        }
                        TypeRef::Table(t) => {
                            let t = self.table_type(&t, offset)?;
                            let index = self.info.tables.len() as u32;
                            self.info.tables.push(t);
                            self.info.num_imported_tables += 1;
                            (EntityType::Table(t), index)
                        }
                        TypeRef::Memory(m) => {
                            let m = self.memory_type(&m, offset);
                            let index = self.info.memories.len() as u32;
                            self.info.memories.push(m);
                            self.info.num_imported_memories += 1;
                            (EntityType::Memory(m), index)
                        }
                        TypeRef::Global(g) => {
                            let g = self.global_type(&g, offset)?;
                            let index = self.info.globals.len() as u32;
                            self.info.globals.push(g);
                            self.info.num_imported_globals += 1;
                            (EntityType::Global(g), index)
                        }
                        TypeRef::Tag(t) => {
                            let index = self.info.tags.len() as u32;
                            self.info.tags.push(t.func_type_idx);
                            self.info.num_imported_tags += 1;
                            (EntityType::Tag(t.func_type_idx), index)
                        }
                    };
                    self.info.imports.push(Import {
                        module: import.module.to_string(),
                        name: import.name.to_string(),
                        ty,
                        index,
                    });
                }
            }
            Payload::FunctionSection(reader) => {
                for ty in reader {
                    self.info.functions.push(ty.map_err(invalid)?);
                }
            }
            Payload::TableSection(reader) => {
                let offset = reader.range().start;
                for table in reader {
                    let table = table.map_err(invalid)?;
                    let ty = self.table_type(&table.ty, offset)?;
                    self.info.tables.push(ty);
                    let init = match table.init {
                        wasmparser::TableInit::RefNull => None,
                        wasmparser::TableInit::Expr(expr) => Some(self.const_expr(&expr)?),
                    };
                    self.info.table_inits.push(init);
                }
            }
            Payload::MemorySection(reader) => {
                let offset = reader.range().start;
                for memory in reader {
                    let m = memory.map_err(invalid)?;
                    let m = self.memory_type(&m, offset);
                    self.info.memories.push(m);
                }
            }
            Payload::TagSection(reader) => {
                for tag in reader {
                    self.info.tags.push(tag.map_err(invalid)?.func_type_idx);
                }
            }
            Payload::GlobalSection(reader) => {
                let offset = reader.range().start;
                for global in reader {
                    let global = global.map_err(invalid)?;
                    let ty = self.global_type(&global.ty, offset)?;
                    self.info.globals.push(ty);
                    let init = self.const_expr(&global.init_expr)?;
                    self.info.global_inits.push(init);
                }
            }
            Payload::ExportSection(reader) => {
                for export in reader {
                    let export = export.map_err(invalid)?;
                    let kind = match export.kind {
                        ExternalKind::Func | ExternalKind::FuncExact => {
                            self.escape(export.index);
                            ExternKind::Func
                        }
                        ExternalKind::Table => ExternKind::Table,
                        ExternalKind::Memory => ExternKind::Memory,
                        ExternalKind::Global => ExternKind::Global,
                        ExternalKind::Tag => ExternKind::Tag,
                    };
                    self.info.exports.push(Export {
                        name: export.name.to_string(),
                        kind,
                        index: export.index,
                    });
                }
            }
            Payload::StartSection { func, .. } => self.info.start = Some(func),
            Payload::ElementSection(reader) => {
                for elem in reader {
                    let elem = elem.map_err(invalid)?;
                    let offset = elem.range.start;
                    let mode = match elem.kind {
                        ElementKind::Passive => ElemMode::Passive,
                        ElementKind::Declared => ElemMode::Declared,
                        ElementKind::Active {
                            table_index,
                            offset_expr,
                        } => ElemMode::Active {
                            table: table_index.unwrap_or(0),
                            offset: self.const_expr(&offset_expr)?,
                        },
                    };
                    let (element_type, items) = match elem.items {
                        ElementItems::Functions(funcs) => {
                            let mut items = Vec::new();
                            for f in funcs {
                                let f = f.map_err(invalid)?;
                                self.escape(f);
                                items.push(ConstExpr::ref_func(f));
                            }
                            (ValType::FUNCREF, items)
                        }
                        ElementItems::Expressions(ty, exprs) => {
                            let ty = self.ref_type(ty, offset)?;
                            let mut items = Vec::new();
                            for e in exprs {
                                let e = e.map_err(invalid)?;
                                items.push(self.const_expr(&e)?);
                            }
                            (ty, items)
                        }
                    };
                    self.info.elems.push(ElemSegment {
                        mode,
                        element_type,
                        items,
                    });
                }
            }
            Payload::DataSection(reader) => {
                for data in reader {
                    let data = data.map_err(invalid)?;
                    let mode = match data.kind {
                        wasmparser::DataKind::Passive => DataMode::Passive,
                        wasmparser::DataKind::Active {
                            memory_index,
                            offset_expr,
                        } => DataMode::Active {
                            memory: memory_index,
                            offset: self.const_expr(&offset_expr)?,
                        },
                    };
                    self.info.data.push(DataSegment {
                        mode,
                        data: Arc::from(data.data),
                    });
                }
            }
            Payload::CustomSection(reader) => {
                if let KnownCustom::Name(names) = reader.as_known() {
                    // A malformed name section is not an error (the spec
                    // says custom sections never affect validity): keep
                    // what could be read.
                    self.names(names);
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn names(&mut self, names: wasmparser::NameSectionReader<'_>) {
        for subsection in names {
            let Ok(subsection) = subsection else { return };
            match subsection {
                Name::Module { name, .. } => self.info.name = Some(name.to_string()),
                Name::Function(map) => {
                    for naming in map {
                        let Ok(naming) = naming else { return };
                        self.info
                            .func_names
                            .insert(naming.index, naming.name.to_string());
                    }
                }
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_wat(features: WasmFeatures, text: &str) -> Result<ParsedModule> {
        parse(features, &wat::parse_str(text).unwrap())
    }

    #[test]
    fn fills_index_spaces_imports_first() {
        let parsed = parse_wat(
            WasmFeatures::default(),
            r#"(module $m
                (import "env" "f" (func $f (param i32) (result i32)))
                (import "env" "g" (global i64))
                (memory 1 2)
                (table 3 funcref)
                (global (mut i32) (i32.const 7))
                (func $a (export "a") (result i32) i32.const 1)
                (elem (i32.const 0) $a $f)
                (data (i32.const 8) "hi")
                (func $s)
                (start $s))"#,
        )
        .unwrap();
        let info = &parsed.info;
        assert_eq!(info.num_imported_funcs, 1);
        assert_eq!(info.functions.len(), 3);
        assert_eq!(info.num_imported_globals, 1);
        assert_eq!(info.globals.len(), 2);
        assert_eq!(
            info.global_inits,
            vec![ConstExpr {
                ops: vec![ConstOp::I32Const(7)]
            }]
        );
        assert_eq!(info.memories, vec![MemoryType::new(1, Some(2))]);
        assert_eq!(info.tables[0].minimum, 3);
        assert_eq!(
            info.elems[0].items,
            vec![ConstExpr::ref_func(1), ConstExpr::ref_func(0)]
        );
        assert_eq!(&*info.data[0].data, b"hi");
        assert_eq!(info.start, Some(2));
        assert_eq!(info.func_bodies.len(), 2);
        assert_eq!(info.name.as_deref(), Some("m"));
        assert_eq!(info.func_names.get(&1).map(String::as_str), Some("a"));
        assert_eq!(info.escaped_funcs, vec![true, true, false]);
        assert!(parsed.unsupported.is_none());
    }

    #[test]
    fn invalid_module_names_message_and_offset() {
        let err = parse_wat(
            WasmFeatures::default(),
            "(module (func (result i32) i64.const 1))",
        )
        .unwrap_err();
        let ErrorKind::Invalid { message, offset } = err.kind() else {
            panic!("expected an invalid module, got {err:?}");
        };
        assert!(message.starts_with("type mismatch"), "{err}");
        let offset = offset.expect("the error has an offset");
        assert_eq!(
            err.to_string(),
            format!("invalid module: {message} (at offset {offset:#x})")
        );
    }

    #[test]
    fn disabled_feature_is_named() {
        let features = WasmFeatures::default() - WasmFeatures::MULTI_VALUE;
        let err = parse_wat(
            features,
            "(module (func (result i32 i32) i32.const 1 i32.const 2))",
        )
        .unwrap_err();
        let ErrorKind::Unsupported {
            feature,
            option,
            offset,
        } = err.kind()
        else {
            panic!("expected an unsupported proposal, got {err:?}");
        };
        assert_eq!(feature, "multi-value");
        assert_eq!(option.as_deref(), Some("wasm_multi_value"));
        assert!(offset.is_some(), "{err}");
    }

    #[test]
    fn gc_types_keep_their_groups_supertypes_and_fields() {
        let gc = WasmFeatures::default() | WasmFeatures::FUNCTION_REFERENCES | WasmFeatures::GC;
        let parsed = parse_wat(
            gc,
            r#"(module
                (type $pt (sub (struct (field i32))))
                (rec
                  (type $node (sub $pt (struct (field i32) (field (mut (ref null $list))))))
                  (type $list (sub final (array (mut (ref null $node))))))
                (type $bytes (array i8))
                (global anyref (struct.new $pt (i32.const 7))))"#,
        )
        .unwrap();
        assert!(parsed.unsupported.is_none());
        let info = &parsed.info;
        assert_eq!(info.rec_group_starts, [0, 1, 3]);
        assert_eq!(info.rec_group_of(2), 1..3);
        let node = &info.types[1];
        assert!(!node.is_final);
        assert_eq!(node.supertype, Some(HeapType::Module(0, TypeKind::Struct)));
        let CompositeType::Struct(fields) = &node.composite else {
            panic!("{node} is a struct");
        };
        assert_eq!(
            fields[1].storage,
            StorageType::Val(ValType::Ref(super::super::types::RefType {
                nullable: true,
                heap: HeapType::Module(2, TypeKind::Array),
            }))
        );
        assert!(fields[1].mutable);
        assert!(info.types[2].is_final);
        assert_eq!(
            info.types[3].composite,
            CompositeType::Array(FieldType {
                storage: StorageType::I8,
                mutable: false
            })
        );
        assert_eq!(info.types[3].to_string(), "(array i8)");
        assert_eq!(
            info.global_inits[0].ops,
            [ConstOp::I32Const(7), ConstOp::StructNew(0)]
        );
    }

    #[test]
    fn typed_references_keep_their_heap_types() {
        let parsed = parse_wat(
            WasmFeatures::default() | WasmFeatures::FUNCTION_REFERENCES,
            r#"(module
                (type $t (func (param (ref null $t)) (result (ref func))))
                (global (ref null 0) (ref.null $t))
                (table 1 (ref null nofunc) (ref.null nofunc))
                (func (type $t) unreachable))"#,
        )
        .unwrap();
        assert!(parsed.unsupported.is_none());
        let info = &parsed.info;
        let t = info.sig(0);
        assert_eq!(
            t.params[0],
            ValType::Ref(super::super::types::RefType {
                nullable: true,
                heap: HeapType::Module(0, TypeKind::Func)
            })
        );
        assert_eq!(
            t.to_string(),
            "(func (param (ref null 0)) (result (ref func)))"
        );
        assert_eq!(
            info.global_inits[0].ops,
            vec![ConstOp::RefNull(HeapType::Module(0, TypeKind::Func))]
        );
        assert_eq!(info.tables[0].element.to_string(), "nullfuncref");
        assert_eq!(
            info.table_inits,
            vec![Some(ConstExpr {
                ops: vec![ConstOp::RefNull(HeapType::NoFunc)]
            })]
        );
    }

    #[test]
    fn simd_is_compiled() {
        let parsed = parse_wat(
            WasmFeatures::default(),
            "(module (global v128 (v128.const i32x4 1 2 3 4)) (func (param v128)))",
        )
        .unwrap();
        assert!(parsed.unsupported.is_none());
    }
}
