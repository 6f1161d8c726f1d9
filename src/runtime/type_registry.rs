//! The process-wide registry of function types: every type gets a
//! *canonical id*, equal exactly for equivalent types, which is what
//! `call_indirect` compares (`VMFuncRef::type_id`), what `(ref $t)`
//! requires of a function, and what import matching compares.
//!
//! Types are canonicalised iso-recursively, as the spec defines type
//! equivalence: a type's *canonical form* is its definition with every
//! reference to another, already registered type written as
//! `HeapType::Canonical(id)` and every reference into its own recursion
//! group written as `HeapType::Module(position in the group)`. Without
//! the GC proposal each type is its own group of one, so `Module(0)` is
//! a self reference. Two types are equivalent exactly when their
//! canonical forms are equal.
//!
//! One registry serves every engine, so that a type object of the C API
//! (which belongs to no engine) can name a concrete type, and a type
//! taken from one engine's module means the same in another. Types are
//! never removed: the registry holds one entry per distinct type the
//! process has seen.

use crate::environ::{FuncType, HeapType};
use std::collections::HashMap;
use std::sync::Mutex;

#[derive(Default)]
struct TypeRegistry {
    /// Canonical form → id.
    canonical: HashMap<FuncType, u32>,
    /// The *id form* of each type, by id: the canonical form with self
    /// references written `Canonical(id)` too, the form live functions
    /// and reflection report.
    id_forms: Vec<FuncType>,
    /// Id form → id.
    by_id_form: HashMap<FuncType, u32>,
}

impl TypeRegistry {
    /// The id of the type with canonical form `key`, registering it (with
    /// id form `id_form(id)`) on first sight.
    fn intern(&mut self, key: FuncType, id_form: impl FnOnce(u32) -> FuncType) -> u32 {
        if let Some(&id) = self.canonical.get(&key) {
            return id;
        }
        let id = u32::try_from(self.id_forms.len()).expect("fewer than 2^32 distinct types");
        let form = id_form(id);
        self.canonical.insert(key, id);
        self.by_id_form.insert(form.clone(), id);
        self.id_forms.push(form);
        id
    }
}

static REGISTRY: Mutex<Option<TypeRegistry>> = Mutex::new(None);

/// Runs `f` on the registry.
fn with_registry<R>(f: impl FnOnce(&mut TypeRegistry) -> R) -> R {
    // The registry stays consistent even if a holder panicked: `intern`
    // inserts only after its fallible work.
    let mut guard = REGISTRY.lock().unwrap_or_else(|e| e.into_inner());
    f(guard.get_or_insert_with(TypeRegistry::default))
}

/// The canonical id of `ty`, a type in id form (concrete references as
/// `HeapType::Canonical` ids): equivalent types get equal ids.
pub fn canonical_id(ty: &FuncType) -> u32 {
    with_registry(|types| {
        if let Some(&id) = types.by_id_form.get(ty) {
            return id;
        }
        // Not registered, so it cannot refer to itself: its id form is its
        // canonical form.
        types.intern(ty.clone(), |_| ty.clone())
    })
}

/// The canonical ids of a module's types, in type-section order
/// (concrete references as `HeapType::Module` indices of the same
/// section, each to an earlier type or to itself, as validation
/// guarantees without the GC proposal's recursion groups).
pub fn register_module_types(module_types: &[FuncType]) -> Vec<u32> {
    with_registry(|types| {
        let mut ids: Vec<u32> = Vec::with_capacity(module_types.len());
        for (i, ty) in module_types.iter().enumerate() {
            let i = i as u32;
            let key = ty.map_concrete(|heap| match heap {
                HeapType::Module(j) if j == i => HeapType::Module(0),
                HeapType::Module(j) => HeapType::Canonical(ids[j as usize]),
                other => other,
            });
            let id = types.intern(key.clone(), |id| {
                key.map_concrete(|heap| match heap {
                    HeapType::Module(_) => HeapType::Canonical(id),
                    other => other,
                })
            });
            ids.push(id);
        }
        ids
    })
}

/// The type with canonical id `id` in id form, if one was registered.
pub fn func_type(id: u32) -> Option<FuncType> {
    with_registry(|types| types.id_forms.get(id as usize).cloned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::environ::{RefType, ValType};

    fn concrete(nullable: bool, heap: HeapType) -> ValType {
        ValType::Ref(RefType { nullable, heap })
    }

    #[test]
    fn equivalent_types_of_different_modules_share_an_id() {
        // Module A: $a0 = (func (param i32)), $a1 = (func (param (ref $a0))).
        // Module B puts an unrelated type first, so the same types sit at
        // other indices.
        let a = [
            FuncType::new([ValType::I32], []),
            FuncType::new([concrete(false, HeapType::Module(0))], []),
        ];
        let b = [
            FuncType::new([], [ValType::F64, ValType::F32, ValType::I64]),
            FuncType::new([ValType::I32], []),
            FuncType::new([concrete(false, HeapType::Module(1))], []),
            FuncType::new([concrete(true, HeapType::Module(1))], []),
        ];
        let (ia, ib) = (register_module_types(&a), register_module_types(&b));
        assert_eq!(ia[0], ib[1]);
        assert_eq!(ia[1], ib[2]);
        assert_ne!(ib[2], ib[3], "nullability is part of the type");
        assert_ne!(ib[0], ib[1]);
        // The id form names the referenced type by its id, and gives the
        // id back.
        let form = func_type(ia[1]).unwrap();
        assert_eq!(form.params[0], concrete(false, HeapType::Canonical(ia[0])));
        assert_eq!(canonical_id(&form), ia[1]);
    }

    #[test]
    fn self_referential_types_are_canonical_too() {
        // (type $t (func (param (ref null $t)) (result i64))), at index 0
        // of one module and at index 2 of another.
        let looped =
            |at: u32| FuncType::new([concrete(true, HeapType::Module(at))], [ValType::I64]);
        let first = register_module_types(&[looped(0)]);
        let second = register_module_types(&[
            FuncType::new([], []),
            FuncType::new([ValType::V128], []),
            looped(2),
        ]);
        assert_eq!(first[0], second[2]);
        let form = func_type(first[0]).unwrap();
        assert_eq!(
            form.params[0],
            concrete(true, HeapType::Canonical(first[0]))
        );
        assert_eq!(canonical_id(&form), first[0]);
        // Iso-recursively, a type that refers to a *different* type of the
        // same shape is not the self-referential one.
        let pair = register_module_types(&[looped(0), looped(0)]);
        assert_eq!(pair[0], first[0]);
        assert_ne!(pair[1], first[0]);
    }
}
