//! `ModuleInfo`: everything the compiler and the runtime need to know about
//! a validated module, in index-space order.
//!
//! Index spaces follow the spec: imported entities come first, then the
//! module's own definitions. `num_imported_*` tells where definitions start.

use super::types::{
    EntityType, ExternKind, FuncType, GlobalType, HeapType, MemoryType, SubType, TableType,
    TypeKind, ValType,
};
use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;

/// One instruction of a constant expression (global initialisers, segment
/// offsets, element items). Extended-const adds the integer arithmetic.
#[derive(Clone, Debug, PartialEq)]
pub enum ConstOp {
    /// Push a 32-bit integer.
    I32Const(i32),
    /// Push a 64-bit integer.
    I64Const(i64),
    /// Raw bits, so NaN payloads survive.
    F32Const(u32),
    /// Push a 64-bit float, as raw bits so NaN payloads survive.
    F64Const(u64),
    /// Push a 128-bit vector.
    V128Const(u128),
    /// Push the null reference of this reference type.
    RefNull(HeapType),
    /// Push a reference to function `index`.
    RefFunc(u32),
    /// Push the current value of global `index` (an imported or earlier global).
    GlobalGet(u32),
    /// Pop two `i32`s, push their wrapping sum (extended-const).
    I32Add,
    /// Pop two `i32`s, push their wrapping difference (extended-const).
    I32Sub,
    /// Pop two `i32`s, push their wrapping product (extended-const).
    I32Mul,
    /// Pop two `i64`s, push their wrapping sum (extended-const).
    I64Add,
    /// Pop two `i64`s, push their wrapping difference (extended-const).
    I64Sub,
    /// Pop two `i64`s, push their wrapping product (extended-const).
    I64Mul,
    /// Pop the fields of a struct of type `index`, push a new struct (GC).
    StructNew(u32),
    /// Push a new struct of type `index` with default fields (GC).
    StructNewDefault(u32),
    /// Pop an element and a length, push a new array of type `index` (GC).
    ArrayNew(u32),
    /// Pop a length, push a new array of type `index` of default elements (GC).
    ArrayNewDefault(u32),
    /// Pop `len` elements, push a new array of type `index` holding them (GC).
    ArrayNewFixed {
        /// The array type.
        index: u32,
        /// How many elements.
        len: u32,
    },
    /// Pop an `i32`, push it as an `i31ref` (GC).
    RefI31,
    /// Pop an externref, push it as an anyref (GC): the same value.
    AnyConvertExtern,
    /// Pop an anyref, push it as an externref (GC): the same value.
    ExternConvertAny,
}

/// A constant expression, evaluated by a small stack machine at
/// instantiation (its result type is known from validation).
#[derive(Clone, Debug, PartialEq)]
pub struct ConstExpr {
    /// The instructions in order, without the final `end`.
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
    /// Module name the import is resolved against (the first of its two names).
    pub module: String,
    /// Field name within that module.
    pub name: String,
    /// The kind and type the provided item must match.
    pub ty: EntityType,
    /// The index this import takes in its kind's index space.
    pub index: u32,
}

/// An export, in export-section order.
#[derive(Clone, Debug)]
pub struct Export {
    /// Name the export is visible under; unique within the module.
    pub name: String,
    /// Which index space `index` refers to.
    pub kind: ExternKind,
    /// Index of the exported item in its kind's index space.
    pub index: u32,
}

/// How an element segment is used.
#[derive(Clone, Debug)]
pub enum ElemMode {
    /// Not placed anywhere at instantiation; copied in later by `table.init`.
    Passive,
    /// Only declares functions as referenceable by `ref.func`; dropped at instantiation.
    Declared,
    /// Copied into table `table` at `offset` at instantiation.
    Active {
        /// Table index the items are written into.
        table: u32,
        /// Index of the first table slot written.
        offset: ConstExpr,
    },
}

/// An element segment; every item is a constant expression (a plain
/// function index is stored as `ref.func`).
#[derive(Clone, Debug)]
pub struct ElemSegment {
    /// Whether and where the segment is written at instantiation.
    pub mode: ElemMode,
    /// Reference type of every item.
    pub element_type: ValType,
    /// The items, one constant expression each.
    pub items: Vec<ConstExpr>,
}

/// How a data segment is used.
#[derive(Clone, Debug)]
pub enum DataMode {
    /// Not written at instantiation; copied in later by `memory.init`.
    Passive,
    /// Copied into memory `memory` at `offset` at instantiation.
    Active {
        /// Memory index the bytes are written into.
        memory: u32,
        /// Byte address of the first byte written.
        offset: ConstExpr,
    },
}

/// A data segment; its bytes are shared with the module.
#[derive(Clone, Debug)]
pub struct DataSegment {
    /// Whether and where the segment is written at instantiation.
    pub mode: DataMode,
    /// The segment's bytes.
    pub data: Arc<[u8]>,
}

/// What the compiler and runtime know about a validated module.
#[derive(Clone, Debug, Default)]
pub struct ModuleInfo {
    /// The type section: every defined type, in index order.
    pub types: Vec<SubType>,
    /// The first type index of each recursion group, in order (every
    /// type of a module without the GC proposal is a group of its own).
    pub rec_group_starts: Vec<u32>,
    /// The type index of every function, imported ones first.
    pub functions: Vec<u32>,
    /// Every table, imported ones first.
    pub tables: Vec<TableType>,
    /// The initialiser expression of each defined table (index `i` is
    /// table `num_imported_tables + i`); `None` fills it with null.
    pub table_inits: Vec<Option<ConstExpr>>,
    /// Every memory, imported ones first.
    pub memories: Vec<MemoryType>,
    /// Every global, imported ones first.
    pub globals: Vec<GlobalType>,
    /// Initialisers of the defined globals (index `i` is global
    /// `num_imported_globals + i`).
    pub global_inits: Vec<ConstExpr>,
    /// Number of imported functions: defined functions start at this index.
    pub num_imported_funcs: u32,
    /// Number of imported tables: defined tables start at this index.
    pub num_imported_tables: u32,
    /// Number of imported memories: defined memories start at this index.
    pub num_imported_memories: u32,
    /// Number of imported globals: defined globals start at this index.
    pub num_imported_globals: u32,
    /// The type-section index of each tag's type (imported tags first).
    pub tags: Vec<u32>,
    /// How many of `tags` are imported.
    pub num_imported_tags: u32,
    /// Imports in import-section order.
    pub imports: Vec<Import>,
    /// Exports in export-section order.
    pub exports: Vec<Export>,
    /// The start function, run at the end of instantiation.
    pub start: Option<u32>,
    /// Element segments in section order (their index is the segment index).
    pub elems: Vec<ElemSegment>,
    /// Data segments in section order (their index is the segment index).
    pub data: Vec<DataSegment>,
    /// Byte range in the module's binary of each defined function's body
    /// (index `i` is function `num_imported_funcs + i`).
    pub func_bodies: Vec<Range<usize>>,
    /// Functions that may be referenced as values (exported, in element
    /// segments, `ref.func` targets, table imports/exports may hold them):
    /// they need a `VMFuncRef` that is stable. All functions get one, this
    /// is a hint for optimisation only.
    pub escaped_funcs: Vec<bool>,
    /// Indexed by table (imported ones first): whether some function body
    /// has a `table.set` on it, which compiled code makes a plain store
    /// into the elements (all true when the bodies were not read).
    pub stored_tables: Vec<bool>,
    /// The module's name and function names from the `name` section.
    pub name: Option<String>,
    /// Function names from the `name` section, by function index.
    pub func_names: HashMap<u32, String>,
}

impl ModuleInfo {
    /// The signature of function `index`.
    pub fn func_type(&self, index: u32) -> &FuncType {
        self.sig(self.functions[index as usize])
    }

    /// The function type at type index `type_index`, which validation
    /// guarantees is one.
    pub fn sig(&self, type_index: u32) -> &FuncType {
        self.types[type_index as usize]
            .as_func()
            .expect("validated: the type index names a function type")
    }

    /// The signature of each type, for the per-type trampolines (indexed
    /// by type index): struct and array types have none and stand in as
    /// `(func)`, whose trampolines every engine has anyway.
    pub fn trampoline_types(&self) -> Vec<FuncType> {
        self.types
            .iter()
            .map(|t| t.as_func().cloned().unwrap_or_default())
            .collect()
    }

    /// The kind of the type at `type_index`.
    pub fn type_kind(&self, type_index: u32) -> TypeKind {
        self.types[type_index as usize].composite.kind()
    }

    /// The declared supertype of a `HeapType::Module` type, for subtype
    /// checks in this module's index space.
    pub fn supertype(&self, heap: HeapType) -> Option<HeapType> {
        match heap {
            HeapType::Module(i, _) => self.types.get(i as usize)?.supertype,
            _ => None,
        }
    }

    /// The recursion group of type `index`: its first index and length.
    pub fn rec_group_of(&self, index: u32) -> Range<u32> {
        let at = self.rec_group_starts.partition_point(|&s| s <= index) - 1;
        let start = self.rec_group_starts[at];
        let end = self
            .rec_group_starts
            .get(at + 1)
            .copied()
            .unwrap_or(self.types.len() as u32);
        start..end
    }

    /// True when function `index` is imported.
    pub fn is_imported_func(&self, index: u32) -> bool {
        index < self.num_imported_funcs
    }

    /// Number of functions the module defines itself (not imported).
    pub fn num_defined_funcs(&self) -> u32 {
        self.functions.len() as u32 - self.num_imported_funcs
    }
    /// Number of tables the module defines itself (not imported).
    pub fn num_defined_tables(&self) -> u32 {
        self.tables.len() as u32 - self.num_imported_tables
    }
    /// Number of memories the module defines itself (not imported).
    pub fn num_defined_memories(&self) -> u32 {
        self.memories.len() as u32 - self.num_imported_memories
    }
    /// Number of globals the module defines itself (not imported).
    pub fn num_defined_tags(&self) -> u32 {
        self.tags.len() as u32 - self.num_imported_tags
    }

    /// The payload types of tag `index`.
    pub fn tag_params(&self, index: u32) -> &[ValType] {
        &self.sig(self.tags[index as usize]).params
    }

    pub fn num_defined_globals(&self) -> u32 {
        self.globals.len() as u32 - self.num_imported_globals
    }
}
