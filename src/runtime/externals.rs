//! `Extern`: any importable or exportable object.

use super::func::Func;
use super::global::Global;
use super::memory::Memory;
use super::store::Store;
use super::table::Table;
use super::tag::Tag;
use crate::environ::ExternType;

/// A function, global, table or memory of a store.
#[derive(Clone, Debug)]
pub enum Extern {
    /// A function, wasm-defined or host.
    Func(Func),
    /// A global variable.
    Global(Global),
    /// A table of references.
    Table(Table),
    /// A linear memory.
    Memory(Memory),
    /// An exception tag.
    Tag(Tag),
}

impl Extern {
    /// The object's type (tables and memories report their current size as
    /// the minimum).
    pub fn ty(&self) -> ExternType {
        match self {
            Extern::Func(f) => ExternType::Func(f.ty()),
            Extern::Global(g) => ExternType::Global(g.ty()),
            Extern::Table(t) => ExternType::Table(t.ty()),
            Extern::Memory(m) => ExternType::Memory(m.ty()),
            Extern::Tag(t) => ExternType::Tag(t.ty()),
        }
    }

    /// The store the object belongs to.
    pub fn store(&self) -> &Store {
        match self {
            Extern::Func(f) => f.store(),
            Extern::Global(g) => g.store(),
            Extern::Table(t) => t.store(),
            Extern::Memory(m) => m.store(),
            Extern::Tag(t) => t.store(),
        }
    }

    /// A short name of the object's kind, for messages.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Extern::Func(_) => "function",
            Extern::Global(_) => "global",
            Extern::Table(_) => "table",
            Extern::Memory(_) => "memory",
            Extern::Tag(_) => "tag",
        }
    }

    /// Whether both refer to the same object.
    pub fn same(&self, other: &Extern) -> bool {
        match (self, other) {
            (Extern::Func(a), Extern::Func(b)) => a.same(b),
            (Extern::Global(a), Extern::Global(b)) => a.same(b),
            (Extern::Table(a), Extern::Table(b)) => a.same(b),
            (Extern::Memory(a), Extern::Memory(b)) => a.same(b),
            (Extern::Tag(a), Extern::Tag(b)) => a.same(b),
            _ => false,
        }
    }

    /// The function, if this is one.
    pub fn into_func(self) -> Option<Func> {
        match self {
            Extern::Func(f) => Some(f),
            _ => None,
        }
    }

    /// The global, if this is one.
    pub fn into_global(self) -> Option<Global> {
        match self {
            Extern::Global(g) => Some(g),
            _ => None,
        }
    }

    /// The table, if this is one.
    pub fn into_table(self) -> Option<Table> {
        match self {
            Extern::Table(t) => Some(t),
            _ => None,
        }
    }

    /// The memory, if this is one.
    pub fn into_memory(self) -> Option<Memory> {
        match self {
            Extern::Memory(m) => Some(m),
            _ => None,
        }
    }
}

impl Extern {
    /// The tag, if this is one.
    pub fn into_tag(self) -> Option<Tag> {
        match self {
            Extern::Tag(t) => Some(t),
            _ => None,
        }
    }
}

impl From<Tag> for Extern {
    fn from(t: Tag) -> Extern {
        Extern::Tag(t)
    }
}

impl From<Func> for Extern {
    fn from(f: Func) -> Extern {
        Extern::Func(f)
    }
}

impl From<Global> for Extern {
    fn from(g: Global) -> Extern {
        Extern::Global(g)
    }
}

impl From<Table> for Extern {
    fn from(t: Table) -> Extern {
        Extern::Table(t)
    }
}

impl From<Memory> for Extern {
    fn from(m: Memory) -> Extern {
        Extern::Memory(m)
    }
}
