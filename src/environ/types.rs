//! The value and entity types of a module, independent of wasmparser.
//!
//! These are what the C API reflects and what the runtime checks imports
//! against, so they are plain data that can be compared and cloned.

use std::fmt;

/// A value type.
///
/// Concrete reference types (`(ref $t)`) name a defined type in one of
/// two index spaces, which never mix: [`HeapType::Module`] inside one
/// module's own types (`ModuleInfo`, the compiler), [`HeapType::Canonical`]
/// in types that cross modules (a live function's type, an import's type
/// as reflected, a host function's type). `Module::canonical_val_type`
/// turns the first into the second.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ValType {
    /// 32-bit integer (also the address type of 32-bit memories and tables).
    I32,
    /// 64-bit integer.
    I64,
    /// 32-bit IEEE 754 float.
    F32,
    /// 64-bit IEEE 754 float.
    F64,
    /// 128-bit SIMD vector.
    V128,
    /// A reference.
    Ref(RefType),
}

/// A reference type: a heap type and whether null is a value of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RefType {
    /// Whether `null` belongs to the type (`(ref null ht)`).
    pub nullable: bool,
    /// What the reference points at.
    pub heap: HeapType,
}

/// What a concrete type index names: the composite type's kind, which
/// decides the hierarchy (and so the representation) of its references.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TypeKind {
    /// A function type: references are `VMFuncRef` pointers.
    Func,
    /// A struct type: references are GC objects (the `any` hierarchy).
    Struct,
    /// An array type: references are GC objects (the `any` hierarchy).
    Array,
}

/// The four hierarchies of heap types. References of different
/// hierarchies never convert into each other implicitly; `any` and
/// `extern` convert explicitly (`any.convert_extern`, `extern.convert_any`)
/// and share their representation for that reason.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Hierarchy {
    /// `func` and below: function references.
    Func,
    /// `extern` and below: host references.
    Extern,
    /// `any` and below: i31 values and GC objects (and host references
    /// converted in with `any.convert_extern`).
    Any,
    /// `exn` and below: exception objects.
    Exn,
}

/// What a reference points at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HeapType {
    /// Any function (`func`).
    Func,
    /// Any host value (`extern`).
    Extern,
    /// The bottom of the function hierarchy: only null (`nofunc`).
    NoFunc,
    /// The bottom of the extern hierarchy: only null (`noextern`).
    NoExtern,
    /// Any exception (`exn`): a thrown or caught exception object.
    Exn,
    /// The bottom of the exception hierarchy: only null (`noexn`).
    NoExn,
    /// The top of the GC hierarchy (`any`).
    Any,
    /// Values that `ref.eq` compares (`eq`): i31s, structs and arrays.
    Eq,
    /// Unboxed 31-bit integers (`i31`).
    I31,
    /// Any struct (`struct`).
    Struct,
    /// Any array (`array`).
    Array,
    /// The bottom of the GC hierarchy: only null (`none`).
    None,
    /// A value of this module's type at this type-section index, of the
    /// given kind.
    Module(u32, TypeKind),
    /// A value of the type with this canonical id: the process-wide id of
    /// its equivalence class (`runtime::type_registry`), the id
    /// `call_indirect` and casts compare.
    Canonical(u32, TypeKind),
}

impl HeapType {
    /// The hierarchy the type belongs to.
    pub fn hierarchy(self) -> Hierarchy {
        use HeapType as H;
        match self {
            H::Func
            | H::NoFunc
            | H::Module(_, TypeKind::Func)
            | H::Canonical(_, TypeKind::Func) => Hierarchy::Func,
            H::Extern | H::NoExtern => Hierarchy::Extern,
            H::Exn | H::NoExn => Hierarchy::Exn,
            H::Any
            | H::Eq
            | H::I31
            | H::Struct
            | H::Array
            | H::None
            | H::Module(..)
            | H::Canonical(..) => Hierarchy::Any,
        }
    }

    /// True for the function hierarchy (`func`, `nofunc` and concrete
    /// function types), whose references are `VMFuncRef` pointers.
    pub fn is_func(self) -> bool {
        self.hierarchy() == Hierarchy::Func
    }

    /// True for the exception hierarchy (`exn`, `noexn`), whose references
    /// are exception-object pointers.
    pub fn is_exn(self) -> bool {
        self.hierarchy() == Hierarchy::Exn
    }

    /// True for the GC hierarchy (`any` and below).
    pub fn is_any(self) -> bool {
        self.hierarchy() == Hierarchy::Any
    }

    /// True for the host-reference hierarchy (`extern`, `noextern`).
    pub fn is_extern(self) -> bool {
        self.hierarchy() == Hierarchy::Extern
    }

    /// The bottom type of the hierarchy (`nofunc`, `noextern`, `none`,
    /// `noexn`): the type of its null.
    pub fn bottom(self) -> HeapType {
        match self.hierarchy() {
            Hierarchy::Func => HeapType::NoFunc,
            Hierarchy::Extern => HeapType::NoExtern,
            Hierarchy::Any => HeapType::None,
            Hierarchy::Exn => HeapType::NoExn,
        }
    }

    /// The top type of the hierarchy (`func`, `extern`, `any`, `exn`).
    pub fn top(self) -> HeapType {
        match self.hierarchy() {
            Hierarchy::Func => HeapType::Func,
            Hierarchy::Extern => HeapType::Extern,
            Hierarchy::Any => HeapType::Any,
            Hierarchy::Exn => HeapType::Exn,
        }
    }

    /// The concrete type's index (in its space) and kind, if concrete.
    pub fn concrete(self) -> Option<(u32, TypeKind)> {
        match self {
            HeapType::Module(i, k) | HeapType::Canonical(i, k) => Some((i, k)),
            _ => None,
        }
    }

    /// Whether every value of `self` is a value of `other`, for heap types
    /// of one index space, with no declared supertypes: a concrete type is
    /// below itself and the abstract types above its kind only.
    pub fn is_subtype_of(self, other: HeapType) -> bool {
        self.is_subtype_in(other, &|_| None)
    }

    /// Whether every value of `self` is a value of `other`, for heap types
    /// of one index space, where `supertype` gives a concrete type's
    /// declared supertype (in the same space).
    pub fn is_subtype_in(
        self,
        other: HeapType,
        supertype: &dyn Fn(HeapType) -> Option<HeapType>,
    ) -> bool {
        use HeapType as H;
        if self == other {
            return true;
        }
        if self.hierarchy() != other.hierarchy() {
            return false;
        }
        match (self, other) {
            (H::NoFunc | H::NoExtern | H::NoExn | H::None, _) => true,
            (_, H::Func | H::Extern | H::Exn | H::Any) => true,
            (H::I31 | H::Struct | H::Array, H::Eq) => true,
            (H::Module(_, k) | H::Canonical(_, k), H::Eq) => k != TypeKind::Func,
            (H::Module(_, TypeKind::Struct) | H::Canonical(_, TypeKind::Struct), H::Struct) => true,
            (H::Module(_, TypeKind::Array) | H::Canonical(_, TypeKind::Array), H::Array) => true,
            (H::Module(..) | H::Canonical(..), H::Module(..) | H::Canonical(..)) => {
                let mut at = self;
                while let Some(up) = supertype(at) {
                    if up == other {
                        return true;
                    }
                    at = up;
                }
                false
            }
            _ => false,
        }
    }
}

impl RefType {
    /// `funcref`: `(ref null func)`.
    pub const FUNCREF: RefType = RefType {
        nullable: true,
        heap: HeapType::Func,
    };
    /// `externref`: `(ref null extern)`.
    pub const EXTERNREF: RefType = RefType {
        nullable: true,
        heap: HeapType::Extern,
    };
    /// `exnref`: `(ref null exn)`.
    pub const EXNREF: RefType = RefType {
        nullable: true,
        heap: HeapType::Exn,
    };
    /// `anyref`: `(ref null any)`.
    pub const ANYREF: RefType = RefType {
        nullable: true,
        heap: HeapType::Any,
    };

    /// Whether every value of `self` is a value of `other` (one index
    /// space, no declared supertypes).
    pub fn is_subtype_of(self, other: RefType) -> bool {
        (!self.nullable || other.nullable) && self.heap.is_subtype_of(other.heap)
    }

    /// Whether every value of `self` is a value of `other` (one index
    /// space, declared supertypes from `supertype`).
    pub fn is_subtype_in(
        self,
        other: RefType,
        supertype: &dyn Fn(HeapType) -> Option<HeapType>,
    ) -> bool {
        (!self.nullable || other.nullable) && self.heap.is_subtype_in(other.heap, supertype)
    }
}

impl ValType {
    /// `funcref`.
    pub const FUNCREF: ValType = ValType::Ref(RefType::FUNCREF);
    /// `externref`.
    pub const EXTERNREF: ValType = ValType::Ref(RefType::EXTERNREF);
    /// `anyref`.
    pub const ANYREF: ValType = ValType::Ref(RefType::ANYREF);

    /// True for reference types.
    pub fn is_ref(self) -> bool {
        matches!(self, ValType::Ref(_))
    }

    /// The reference type, for reference types.
    pub fn as_ref(self) -> Option<RefType> {
        match self {
            ValType::Ref(r) => Some(r),
            _ => None,
        }
    }

    /// True for references to host values (`externref` and its subtypes).
    pub fn is_extern_ref(self) -> bool {
        matches!(self, ValType::Ref(r) if r.heap.is_extern())
    }

    /// True for references of the GC hierarchy (`anyref` and its subtypes).
    pub fn is_any_ref(self) -> bool {
        matches!(self, ValType::Ref(r) if r.heap.is_any())
    }

    /// Whether every value of `self` is a value of `other` (one index
    /// space, no declared supertypes).
    pub fn is_subtype_of(self, other: ValType) -> bool {
        self.is_subtype_in(other, &|_| None)
    }

    /// Whether every value of `self` is a value of `other` (one index
    /// space, declared supertypes from `supertype`).
    pub fn is_subtype_in(
        self,
        other: ValType,
        supertype: &dyn Fn(HeapType) -> Option<HeapType>,
    ) -> bool {
        match (self, other) {
            (ValType::Ref(a), ValType::Ref(b)) => a.is_subtype_in(b, supertype),
            (a, b) => a == b,
        }
    }

    /// `self` with its concrete heap type, if any, mapped by `f` (from
    /// one index space to another).
    pub fn map_concrete(self, f: impl FnOnce(HeapType) -> HeapType) -> ValType {
        match self {
            ValType::Ref(RefType {
                nullable,
                heap: heap @ (HeapType::Module(..) | HeapType::Canonical(..)),
            }) => ValType::Ref(RefType {
                nullable,
                heap: f(heap),
            }),
            other => other,
        }
    }
}

impl fmt::Display for HeapType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HeapType::Func => f.write_str("func"),
            HeapType::Extern => f.write_str("extern"),
            HeapType::NoFunc => f.write_str("nofunc"),
            HeapType::NoExtern => f.write_str("noextern"),
            HeapType::Exn => f.write_str("exn"),
            HeapType::NoExn => f.write_str("noexn"),
            HeapType::Any => f.write_str("any"),
            HeapType::Eq => f.write_str("eq"),
            HeapType::I31 => f.write_str("i31"),
            HeapType::Struct => f.write_str("struct"),
            HeapType::Array => f.write_str("array"),
            HeapType::None => f.write_str("none"),
            HeapType::Module(i, _) => write!(f, "{i}"),
            HeapType::Canonical(id, _) => write!(f, "$type{id}"),
        }
    }
}

/// The text form, with the abbreviations `funcref`, `externref`, `anyref`
/// and the others of the proposals.
impl fmt::Display for RefType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let short = match self.heap {
            HeapType::Func => "funcref",
            HeapType::Extern => "externref",
            HeapType::NoFunc => "nullfuncref",
            HeapType::NoExtern => "nullexternref",
            HeapType::Exn => "exnref",
            HeapType::NoExn => "nullexnref",
            HeapType::Any => "anyref",
            HeapType::Eq => "eqref",
            HeapType::I31 => "i31ref",
            HeapType::Struct => "structref",
            HeapType::Array => "arrayref",
            HeapType::None => "nullref",
            HeapType::Module(..) | HeapType::Canonical(..) => "",
        };
        match (self.nullable, short) {
            (true, s) if !s.is_empty() => f.write_str(s),
            (true, _) => write!(f, "(ref null {})", self.heap),
            (false, _) => write!(f, "(ref {})", self.heap),
        }
    }
}

impl fmt::Display for ValType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ValType::I32 => "i32",
            ValType::I64 => "i64",
            ValType::F32 => "f32",
            ValType::F64 => "f64",
            ValType::V128 => "v128",
            ValType::Ref(r) => return r.fmt(f),
        })
    }
}

/// A function signature.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct FuncType {
    /// Parameter types, in order.
    pub params: Box<[ValType]>,
    /// Result types, in order (several with multi-value).
    pub results: Box<[ValType]>,
}

impl FuncType {
    /// A signature from its parameter and result types.
    pub fn new(
        params: impl IntoIterator<Item = ValType>,
        results: impl IntoIterator<Item = ValType>,
    ) -> FuncType {
        FuncType {
            params: params.into_iter().collect(),
            results: results.into_iter().collect(),
        }
    }

    /// `self` with every concrete heap type mapped by `f` (from one index
    /// space to another).
    pub fn map_concrete(&self, mut f: impl FnMut(HeapType) -> HeapType) -> FuncType {
        FuncType {
            params: self.params.iter().map(|t| t.map_concrete(&mut f)).collect(),
            results: self
                .results
                .iter()
                .map(|t| t.map_concrete(&mut f))
                .collect(),
        }
    }
}

/// The WebAssembly text form: `(func)`, `(func (param i32) (result i32))`.
impl fmt::Display for FuncType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let group = |f: &mut fmt::Formatter<'_>, keyword: &str, tys: &[ValType]| -> fmt::Result {
            if tys.is_empty() {
                return Ok(());
            }
            write!(f, " ({keyword}")?;
            for t in tys {
                write!(f, " {t}")?;
            }
            f.write_str(")")
        };
        f.write_str("(func")?;
        group(f, "param", &self.params)?;
        group(f, "result", &self.results)?;
        f.write_str(")")
    }
}

/// How a struct field or array element stores its value: a packed integer
/// (read back sign- or zero-extended to `i32`) or a value type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StorageType {
    /// An 8-bit integer.
    I8,
    /// A 16-bit integer.
    I16,
    /// A value of this type.
    Val(ValType),
}

impl StorageType {
    /// The value type it is read as (`i32` for packed storage).
    pub fn unpacked(self) -> ValType {
        match self {
            StorageType::I8 | StorageType::I16 => ValType::I32,
            StorageType::Val(t) => t,
        }
    }

    /// Bytes it takes in an object.
    pub fn size(self) -> u32 {
        match self {
            StorageType::I8 => 1,
            StorageType::I16 => 2,
            StorageType::Val(ValType::I32 | ValType::F32) => 4,
            StorageType::Val(ValType::V128) => 16,
            StorageType::Val(_) => 8,
        }
    }

    fn map_concrete(self, f: impl FnMut(HeapType) -> HeapType) -> StorageType {
        match self {
            StorageType::Val(t) => StorageType::Val(t.map_concrete(f)),
            packed => packed,
        }
    }

    /// Whether a field of `self` may stand for one of `other`, as
    /// subtyping of immutable fields requires.
    fn is_subtype_in(
        self,
        other: StorageType,
        supertype: &dyn Fn(HeapType) -> Option<HeapType>,
    ) -> bool {
        match (self, other) {
            (StorageType::Val(a), StorageType::Val(b)) => a.is_subtype_in(b, supertype),
            (a, b) => a == b,
        }
    }
}

impl fmt::Display for StorageType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StorageType::I8 => f.write_str("i8"),
            StorageType::I16 => f.write_str("i16"),
            StorageType::Val(t) => t.fmt(f),
        }
    }
}

/// A struct field's or an array element's type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FieldType {
    /// What it stores.
    pub storage: StorageType,
    /// Whether `struct.set` / `array.set` may change it.
    pub mutable: bool,
}

impl FieldType {
    fn map_concrete(self, f: impl FnMut(HeapType) -> HeapType) -> FieldType {
        FieldType {
            storage: self.storage.map_concrete(f),
            mutable: self.mutable,
        }
    }

    /// Field subtyping: equal mutability; an immutable field covariant, a
    /// mutable one invariant.
    pub fn is_subtype_in(
        self,
        other: FieldType,
        supertype: &dyn Fn(HeapType) -> Option<HeapType>,
    ) -> bool {
        self.mutable == other.mutable
            && if self.mutable {
                self.storage == other.storage
            } else {
                self.storage.is_subtype_in(other.storage, supertype)
            }
    }
}

/// `(field (mut i8))`, `(field i32)`: the text form without `field`.
impl fmt::Display for FieldType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mutable {
            write!(f, "(mut {})", self.storage)
        } else {
            self.storage.fmt(f)
        }
    }
}

/// The body of a type definition.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum CompositeType {
    /// A function signature.
    Func(FuncType),
    /// A struct with these fields, in order.
    Struct(Box<[FieldType]>),
    /// An array of elements of this type.
    Array(FieldType),
}

impl CompositeType {
    /// Which kind of type it is.
    pub fn kind(&self) -> TypeKind {
        match self {
            CompositeType::Func(_) => TypeKind::Func,
            CompositeType::Struct(_) => TypeKind::Struct,
            CompositeType::Array(_) => TypeKind::Array,
        }
    }

    /// The signature, for a function type.
    pub fn as_func(&self) -> Option<&FuncType> {
        match self {
            CompositeType::Func(f) => Some(f),
            _ => None,
        }
    }

    /// `self` with every concrete heap type mapped by `f`.
    pub fn map_concrete(&self, mut f: impl FnMut(HeapType) -> HeapType) -> CompositeType {
        match self {
            CompositeType::Func(t) => CompositeType::Func(t.map_concrete(f)),
            CompositeType::Struct(fields) => {
                CompositeType::Struct(fields.iter().map(|t| t.map_concrete(&mut f)).collect())
            }
            CompositeType::Array(t) => CompositeType::Array(t.map_concrete(f)),
        }
    }
}

/// The text form: `(func ...)`, `(struct (field i32) ...)`, `(array (mut i8))`.
impl fmt::Display for CompositeType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CompositeType::Func(t) => t.fmt(f),
            CompositeType::Struct(fields) => {
                f.write_str("(struct")?;
                for field in fields.iter() {
                    write!(f, " (field {field})")?;
                }
                f.write_str(")")
            }
            CompositeType::Array(t) => write!(f, "(array {t})"),
        }
    }
}

/// A type definition of the type section: a composite type, whether it
/// is final, and its declared supertype.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SubType {
    /// True when no type may declare it as supertype (`sub final`, and
    /// every type written without `sub`).
    pub is_final: bool,
    /// The declared supertype (`Module` or `Canonical`, as the fields').
    pub supertype: Option<HeapType>,
    /// The type's body.
    pub composite: CompositeType,
}

impl SubType {
    /// A final function type with no supertype: what every function type
    /// is without the GC proposal.
    pub fn func(ty: FuncType) -> SubType {
        SubType {
            is_final: true,
            supertype: None,
            composite: CompositeType::Func(ty),
        }
    }

    /// The signature, for a function type.
    pub fn as_func(&self) -> Option<&FuncType> {
        self.composite.as_func()
    }

    /// `self` with every concrete heap type (the supertype's too) mapped
    /// by `f`.
    pub fn map_concrete(&self, mut f: impl FnMut(HeapType) -> HeapType) -> SubType {
        SubType {
            is_final: self.is_final,
            supertype: self.supertype.map(&mut f),
            composite: self.composite.map_concrete(f),
        }
    }
}

/// The text form: the composite type, wrapped in `(sub ...)` unless it is
/// final without a supertype.
impl fmt::Display for SubType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_final && self.supertype.is_none() {
            return self.composite.fmt(f);
        }
        f.write_str("(sub")?;
        if self.is_final {
            f.write_str(" final")?;
        }
        if let Some(s) = self.supertype {
            write!(f, " {s}")?;
        }
        write!(f, " {})", self.composite)
    }
}

/// `min` and, when there is one, ` max`, as limits read in the text format.
fn limits(f: &mut fmt::Formatter<'_>, minimum: u64, maximum: Option<u64>) -> fmt::Result {
    write!(f, "{minimum}")?;
    if let Some(max) = maximum {
        write!(f, " {max}")?;
    }
    Ok(())
}

/// A linear memory's type. Sizes are in pages of `1 << page_size_log2`
/// bytes (64 KiB unless the custom-page-sizes proposal says otherwise).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MemoryType {
    /// Size at instantiation, in pages.
    pub minimum: u64,
    /// Upper bound on the size in pages; `None` leaves only the index type's limit.
    pub maximum: Option<u64>,
    /// True when addresses are `i64` (memory64 proposal).
    pub memory64: bool,
    /// True for a shared memory (threads proposal).
    pub shared: bool,
    /// Base-2 logarithm of the page size in bytes (16 for 64 KiB pages).
    pub page_size_log2: u8,
}

impl MemoryType {
    /// The wasm page size of 64 KiB.
    pub const DEFAULT_PAGE_SIZE_LOG2: u8 = 16;

    /// A 32-bit, unshared memory of 64 KiB pages.
    pub fn new(minimum: u64, maximum: Option<u64>) -> MemoryType {
        MemoryType {
            minimum,
            maximum,
            memory64: false,
            shared: false,
            page_size_log2: Self::DEFAULT_PAGE_SIZE_LOG2,
        }
    }

    /// Why no memory can have this type, if none can: a page size other
    /// than 1 byte or 64 KiB, a minimum or maximum past what the index
    /// type addresses, a maximum below the minimum, or a shared memory
    /// without a maximum. The one check every maker of memory types and
    /// memories applies.
    pub fn check(&self) -> Result<(), String> {
        let log2 = self.page_size_log2;
        if log2 != 0 && log2 != Self::DEFAULT_PAGE_SIZE_LOG2 {
            return Err(format!(
                "page_size_log2 must be 0 (1-byte pages) or 16 (64 KiB pages), not {log2}"
            ));
        }
        let (min, limit) = (self.minimum, self.max_pages_for_index_type());
        if min > limit {
            return Err(format!(
                "memory minimum of {min} pages exceeds the index type's {limit} pages"
            ));
        }
        match self.maximum {
            Some(max) if max < min => Err(format!(
                "memory type has maximum {max} below its minimum {min}"
            )),
            Some(max) if max > limit => Err(format!(
                "memory maximum of {max} pages exceeds the index type's {limit} pages"
            )),
            None if self.shared => Err("a shared memory must have a maximum".to_string()),
            _ => Ok(()),
        }
    }

    /// The largest number of pages the index type can address.
    pub fn max_pages_for_index_type(&self) -> u64 {
        let addressable_bits = if self.memory64 { 64 } else { 32 };
        let shift = addressable_bits - u32::from(self.page_size_log2);
        if shift >= 64 {
            u64::MAX
        } else {
            1u64 << shift
        }
    }
}

/// The WebAssembly text form: `(memory 1 2)`, `(memory i64 1)`,
/// `(memory 1 2 shared)`, `(memory 1 (pagesize 1))`.
impl fmt::Display for MemoryType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(memory ")?;
        if self.memory64 {
            f.write_str("i64 ")?;
        }
        limits(f, self.minimum, self.maximum)?;
        if self.shared {
            f.write_str(" shared")?;
        }
        if self.page_size_log2 != Self::DEFAULT_PAGE_SIZE_LOG2 {
            write!(f, " (pagesize {})", 1u64 << self.page_size_log2)?;
        }
        f.write_str(")")
    }
}

/// A table's type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TableType {
    /// The elements' type, always a reference type.
    pub element: ValType,
    /// Number of elements at instantiation.
    pub minimum: u64,
    /// Upper bound on the number of elements; `None` for no bound.
    pub maximum: Option<u64>,
    /// True when indices are `i64` (memory64 proposal's 64-bit tables).
    pub table64: bool,
}

/// The WebAssembly text form: `(table 1 funcref)`, `(table i64 0 10 externref)`.
impl fmt::Display for TableType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(table ")?;
        if self.table64 {
            f.write_str("i64 ")?;
        }
        limits(f, self.minimum, self.maximum)?;
        write!(f, " {})", self.element)
    }
}

/// A global's type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct GlobalType {
    /// Type of the value the global holds.
    pub content: ValType,
    /// True when `global.set` may change it.
    pub mutable: bool,
}

/// The WebAssembly text form: `(global i32)`, `(global (mut i64))`.
impl fmt::Display for GlobalType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mutable {
            write!(f, "(global (mut {}))", self.content)
        } else {
            write!(f, "(global {})", self.content)
        }
    }
}

/// The type of an import or export. Functions name a signature index in
/// their module's type section; `ExternType` (below) carries it resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EntityType {
    /// A function whose signature is the given type-section index.
    Function(u32),
    /// A table of this type.
    Table(TableType),
    /// A memory of this type.
    Memory(MemoryType),
    /// A global of this type.
    Global(GlobalType),
    /// A tag whose payload is the parameters of the given type-section
    /// index (a function type without results).
    Tag(u32),
}

/// An extern's type with function signatures resolved: what the C API
/// reflects as `wasm_externtype_t`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExternType {
    /// A function with this signature.
    Func(FuncType),
    /// A global of this type.
    Global(GlobalType),
    /// A table of this type.
    Table(TableType),
    /// A memory of this type.
    Memory(MemoryType),
    /// An exception tag of this type.
    Tag(TagType),
}

/// The type of an exception tag: the values an exception with it carries.
///
/// Kept as the function type the tag names (its results are empty), so
/// that tag types canonicalise and match exactly as function types do.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TagType {
    /// `(func (param payload...))`.
    pub ty: FuncType,
}

impl TagType {
    /// A tag carrying values of the types `params`.
    pub fn new(params: impl IntoIterator<Item = ValType>) -> TagType {
        TagType {
            ty: FuncType::new(params, []),
        }
    }

    /// The payload's types.
    pub fn params(&self) -> &[ValType] {
        &self.ty.params
    }
}

/// `(tag (param ...))`.
impl fmt::Display for TagType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(tag")?;
        if !self.ty.params.is_empty() {
            f.write_str(" (param")?;
            for p in self.ty.params.iter() {
                write!(f, " {p}")?;
            }
            f.write_str(")")?;
        }
        f.write_str(")")
    }
}

/// The WebAssembly text form of the type (`(func ...)`, `(global ...)`,
/// `(table ...)`, `(memory ...)`, `(tag ...)`).
impl fmt::Display for ExternType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExternType::Func(t) => t.fmt(f),
            ExternType::Global(t) => t.fmt(f),
            ExternType::Table(t) => t.fmt(f),
            ExternType::Memory(t) => t.fmt(f),
            ExternType::Tag(t) => t.fmt(f),
        }
    }
}

/// Which index space an export refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExternKind {
    /// The function index space.
    Func,
    /// The table index space.
    Table,
    /// The memory index space.
    Memory,
    /// The global index space.
    Global,
    /// The tag index space.
    Tag,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_types_no_memory_can_have_are_named() {
        assert_eq!(MemoryType::new(1, Some(65536)).check(), Ok(()));
        let bad = |ty: MemoryType, words: &str| {
            let err = ty.check().unwrap_err();
            assert!(err.contains(words), "{err}");
        };
        bad(MemoryType::new(3, Some(2)), "below its minimum");
        bad(MemoryType::new(65537, None), "minimum of 65537 pages");
        bad(MemoryType::new(0, Some(65537)), "maximum of 65537 pages");
        bad(
            MemoryType {
                shared: true,
                ..MemoryType::new(1, None)
            },
            "must have a maximum",
        );
        bad(
            MemoryType {
                page_size_log2: 12,
                ..MemoryType::new(1, None)
            },
            "page_size_log2",
        );
        let wide = MemoryType {
            memory64: true,
            ..MemoryType::new(1, Some(1 << 40))
        };
        assert_eq!(wide.check(), Ok(()));
    }

    #[test]
    fn types_print_in_the_text_format() {
        assert_eq!(FuncType::new([], []).to_string(), "(func)");
        assert_eq!(
            FuncType::new([ValType::I32, ValType::F64], [ValType::I32]).to_string(),
            "(func (param i32 f64) (result i32))"
        );
        assert_eq!(
            FuncType::new([], [ValType::V128]).to_string(),
            "(func (result v128))"
        );
        let global = GlobalType {
            content: ValType::I32,
            mutable: true,
        };
        assert_eq!(global.to_string(), "(global (mut i32))");
        assert_eq!(
            GlobalType {
                mutable: false,
                ..global
            }
            .to_string(),
            "(global i32)"
        );
        assert_eq!(MemoryType::new(1, Some(2)).to_string(), "(memory 1 2)");
        let shared64 = MemoryType {
            memory64: true,
            shared: true,
            ..MemoryType::new(0, Some(8))
        };
        assert_eq!(shared64.to_string(), "(memory i64 0 8 shared)");
        let small = MemoryType {
            page_size_log2: 0,
            ..MemoryType::new(3, None)
        };
        assert_eq!(small.to_string(), "(memory 3 (pagesize 1))");
        let table = TableType {
            element: ValType::FUNCREF,
            minimum: 1,
            maximum: None,
            table64: false,
        };
        assert_eq!(table.to_string(), "(table 1 funcref)");
        let table64 = TableType {
            element: ValType::EXTERNREF,
            maximum: Some(10),
            table64: true,
            ..table
        };
        assert_eq!(table64.to_string(), "(table i64 1 10 externref)");
        assert_eq!(ExternType::Table(table).to_string(), "(table 1 funcref)");
    }
}
