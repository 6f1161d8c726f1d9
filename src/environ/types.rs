//! The value and entity types of a module, independent of wasmparser.
//!
//! These are what the C API reflects and what the runtime checks imports
//! against, so they are plain data that can be compared and cloned.

use std::fmt;

/// A value type. References are nullable (`funcref`, `externref`); the
/// typed-reference and GC proposals are not supported yet.
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
    /// Nullable reference to a function.
    FuncRef,
    /// Nullable reference to a host value the wasm code cannot look into.
    ExternRef,
}

impl ValType {
    /// True for `funcref` and `externref`.
    pub fn is_ref(self) -> bool {
        matches!(self, ValType::FuncRef | ValType::ExternRef)
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
            ValType::FuncRef => "funcref",
            ValType::ExternRef => "externref",
        })
    }
}

/// A function signature.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
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
}

impl fmt::Display for FuncType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |f: &mut fmt::Formatter<'_>, tys: &[ValType]| -> fmt::Result {
            for (i, t) in tys.iter().enumerate() {
                if i > 0 {
                    f.write_str(" ")?;
                }
                write!(f, "{t}")?;
            }
            Ok(())
        };
        f.write_str("(func (param ")?;
        list(f, &self.params)?;
        f.write_str(") (result ")?;
        list(f, &self.results)?;
        f.write_str("))")
    }
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

/// A table's type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TableType {
    /// `FuncRef` or `ExternRef`.
    pub element: ValType,
    /// Number of elements at instantiation.
    pub minimum: u64,
    /// Upper bound on the number of elements; `None` for no bound.
    pub maximum: Option<u64>,
    /// True when indices are `i64` (memory64 proposal's 64-bit tables).
    pub table64: bool,
}

/// A global's type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct GlobalType {
    /// Type of the value the global holds.
    pub content: ValType,
    /// True when `global.set` may change it.
    pub mutable: bool,
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
}
