//! `ModuleInfo`: everything the compiler and the runtime need to know about
//! a validated module, in index-space order.
//!
//! Index spaces follow the spec: imported entities come first, then the
//! module's own definitions. `num_imported_*` tells where definitions start.

use super::types::{EntityType, ExternKind, FuncType, GlobalType, MemoryType, TableType, ValType};
use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;

/// One instruction of a constant expression (global initialisers, segment
/// offsets, element items). Extended-const adds the integer arithmetic.
#[derive(Clone, Debug, PartialEq)]
pub enum ConstOp {
    I32Const(i32),
    I64Const(i64),
    /// Raw bits, so NaN payloads survive.
    F32Const(u32),
    F64Const(u64),
    V128Const(u128),
    RefNull(ValType),
    RefFunc(u32),
    GlobalGet(u32),
    I32Add,
    I32Sub,
    I32Mul,
    I64Add,
    I64Sub,
    I64Mul,
}

/// A constant expression, evaluated by a small stack machine at
/// instantiation (its result type is known from validation).
#[derive(Clone, Debug, PartialEq)]
pub struct ConstExpr {
    pub ops: Vec<ConstOp>,
}

impl ConstExpr {
    /// The expression `(ref.func index)`, used for plain function-index
    /// element items.
    pub fn ref_func(index: u32) -> ConstExpr {
        ConstExpr {
            ops: vec![ConstOp::RefFunc(index)],
        }
    }
}

/// An import, in import-section order.
#[derive(Clone, Debug)]
pub struct Import {
    pub module: String,
    pub name: String,
    pub ty: EntityType,
    /// The index this import takes in its kind's index space.
    pub index: u32,
}

/// An export, in export-section order.
#[derive(Clone, Debug)]
pub struct Export {
    pub name: String,
    pub kind: ExternKind,
    pub index: u32,
}

/// How an element segment is used.
#[derive(Clone, Debug)]
pub enum ElemMode {
    Passive,
    Declared,
    Active { table: u32, offset: ConstExpr },
}

/// An element segment; every item is a constant expression (a plain
/// function index is stored as `ref.func`).
#[derive(Clone, Debug)]
pub struct ElemSegment {
    pub mode: ElemMode,
    pub element_type: ValType,
    pub items: Vec<ConstExpr>,
}

/// How a data segment is used.
#[derive(Clone, Debug)]
pub enum DataMode {
    Passive,
    Active { memory: u32, offset: ConstExpr },
}

/// A data segment; its bytes are shared with the module.
#[derive(Clone, Debug)]
pub struct DataSegment {
    pub mode: DataMode,
    pub data: Arc<[u8]>,
}

/// What the compiler and runtime know about a validated module.
#[derive(Clone, Debug, Default)]
pub struct ModuleInfo {
    /// The type section (function types only until GC lands).
    pub types: Vec<FuncType>,
    /// The type index of every function, imported ones first.
    pub functions: Vec<u32>,
    /// Every table, imported ones first.
    pub tables: Vec<TableType>,
    /// Every memory, imported ones first.
    pub memories: Vec<MemoryType>,
    /// Every global, imported ones first.
    pub globals: Vec<GlobalType>,
    /// Initialisers of the defined globals (index `i` is global
    /// `num_imported_globals + i`).
    pub global_inits: Vec<ConstExpr>,
    pub num_imported_funcs: u32,
    pub num_imported_tables: u32,
    pub num_imported_memories: u32,
    pub num_imported_globals: u32,
    pub imports: Vec<Import>,
    pub exports: Vec<Export>,
    pub start: Option<u32>,
    pub elems: Vec<ElemSegment>,
    pub data: Vec<DataSegment>,
    /// Byte range in the module's binary of each defined function's body
    /// (index `i` is function `num_imported_funcs + i`).
    pub func_bodies: Vec<Range<usize>>,
    /// Functions that may be referenced as values (exported, in element
    /// segments, `ref.func` targets, table imports/exports may hold them):
    /// they need a `VMFuncRef` that is stable. All functions get one, this
    /// is a hint for optimisation only.
    pub escaped_funcs: Vec<bool>,
    /// The module's name and function names from the `name` section.
    pub name: Option<String>,
    pub func_names: HashMap<u32, String>,
}

impl ModuleInfo {
    /// The signature of function `index`.
    pub fn func_type(&self, index: u32) -> &FuncType {
        &self.types[self.functions[index as usize] as usize]
    }

    /// True when function `index` is imported.
    pub fn is_imported_func(&self, index: u32) -> bool {
        index < self.num_imported_funcs
    }

    pub fn num_defined_funcs(&self) -> u32 {
        self.functions.len() as u32 - self.num_imported_funcs
    }
    pub fn num_defined_tables(&self) -> u32 {
        self.tables.len() as u32 - self.num_imported_tables
    }
    pub fn num_defined_memories(&self) -> u32 {
        self.memories.len() as u32 - self.num_imported_memories
    }
    pub fn num_defined_globals(&self) -> u32 {
        self.globals.len() as u32 - self.num_imported_globals
    }
}
