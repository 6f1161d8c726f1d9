//! The process-wide registry of defined types: every type gets a
//! *canonical id*, equal exactly for equivalent types, which is what
//! `call_indirect` and casts compare (`VMFuncRef::type_id`, a GC object's
//! header), what `(ref $t)` requires of a value, and what import matching
//! compares.
//!
//! Types are canonicalised iso-recursively, as the spec defines type
//! equivalence: a recursion group's *canonical form* is its list of
//! definitions with every reference to a type of an earlier group written
//! as `HeapType::Canonical(id)` and every reference into the group itself
//! (supertypes included) written as `HeapType::Module(position in the
//! group)`. Two groups are equivalent exactly when their canonical forms
//! are equal, and their types are then equivalent position by position.
//! Without the GC proposal every type is a group of its own.
//!
//! One registry serves every engine, so that a type object of the C API
//! (which belongs to no engine) can name a concrete type, and a type
//! taken from one engine's module means the same in another. Types are
//! never removed: the registry holds one entry per distinct type the
//! process has seen.

use crate::environ::{FuncType, HeapType, SubType};
use std::collections::HashMap;
use std::sync::{Mutex, RwLock};

#[derive(Default)]
struct TypeRegistry {
    /// Canonical form of a group → id of its first type (the group's
    /// types have consecutive ids).
    groups: HashMap<Vec<SubType>, u32>,
    /// The *id form* of each type, by id: its definition with every
    /// reference (into its own group too) written `Canonical(id)`, the
    /// form live values and reflection report.
    id_forms: Vec<SubType>,
    /// Id form → id, for the types that are groups of one (the only kind
    /// a host-made type can be equivalent to).
    singletons: HashMap<SubType, u32>,
}

impl TypeRegistry {
    /// The ids of the group with canonical form `key` (`Module` references
    /// relative to the group), registering it on first sight.
    fn intern_group(&mut self, key: Vec<SubType>) -> u32 {
        if let Some(&base) = self.groups.get(&key) {
            return base;
        }
        let base = u32::try_from(self.id_forms.len()).expect("fewer than 2^32 distinct types");
        let forms: Vec<SubType> = key
            .iter()
            .map(|ty| {
                ty.map_concrete(|heap| match heap {
                    HeapType::Module(rel, kind) => HeapType::Canonical(base + rel, kind),
                    other => other,
                })
            })
            .collect();
        let mut supers = SUPERTYPES.write().unwrap_or_else(|e| e.into_inner());
        for form in &forms {
            supers.push(match form.supertype {
                Some(HeapType::Canonical(id, _)) => id,
                _ => NO_SUPERTYPE,
            });
        }
        drop(supers);
        if forms.len() == 1 {
            self.singletons.insert(forms[0].clone(), base);
        }
        self.id_forms.extend(forms);
        self.groups.insert(key, base);
        base
    }
}

static REGISTRY: Mutex<Option<TypeRegistry>> = Mutex::new(None);

/// Each id's declared supertype (`NO_SUPERTYPE` for none), by id: what
/// the subtype check reads, kept apart so that casts read it without
/// taking the registry's lock for writing.
static SUPERTYPES: RwLock<Vec<u32>> = RwLock::new(Vec::new());
const NO_SUPERTYPE: u32 = u32::MAX;

/// Runs `f` on the registry.
fn with_registry<R>(f: impl FnOnce(&mut TypeRegistry) -> R) -> R {
    // The registry stays consistent even if a holder panicked: `intern`
    // inserts only after its fallible work.
    let mut guard = REGISTRY.lock().unwrap_or_else(|e| e.into_inner());
    f(guard.get_or_insert_with(TypeRegistry::default))
}

/// The canonical id of the final function type `ty` with no supertype,
/// in id form (concrete references as `HeapType::Canonical` ids), as a
/// group of its own: equivalent types get equal ids.
pub fn canonical_id(ty: &FuncType) -> u32 {
    let ty = SubType::func(ty.clone());
    with_registry(|types| {
        if let Some(&id) = types.singletons.get(&ty) {
            return id;
        }
        // Not registered, so it cannot refer to itself: its id form is its
        // canonical form.
        types.intern_group(vec![ty])
    })
}

/// The canonical ids of a module's types, in type-section order: `types`
/// with concrete references as `HeapType::Module` indices of the same
/// section, in the recursion groups that start at `group_starts`.
pub fn register_module_types(types: &[SubType], group_starts: &[u32]) -> Vec<u32> {
    with_registry(|registry| {
        let mut ids: Vec<u32> = Vec::with_capacity(types.len());
        for (g, &start) in group_starts.iter().enumerate() {
            let end = group_starts
                .get(g + 1)
                .copied()
                .unwrap_or(types.len() as u32);
            let key: Vec<SubType> = types[start as usize..end as usize]
                .iter()
                .map(|ty| {
                    ty.map_concrete(|heap| match heap {
                        HeapType::Module(j, kind) if j >= start => {
                            HeapType::Module(j - start, kind)
                        }
                        HeapType::Module(j, kind) => HeapType::Canonical(ids[j as usize], kind),
                        other => other,
                    })
                })
                .collect();
            let base = registry.intern_group(key);
            ids.extend(base..base + (end - start));
        }
        ids
    })
}

/// The type with canonical id `id` in id form, if one was registered.
pub fn sub_type(id: u32) -> Option<SubType> {
    with_registry(|types| types.id_forms.get(id as usize).cloned())
}

/// The function type with canonical id `id` in id form, if one was
/// registered and it is a function type.
pub fn func_type(id: u32) -> Option<FuncType> {
    sub_type(id).and_then(|t| t.as_func().cloned())
}

/// The declared supertype of the type with canonical id `id`.
pub(crate) fn supertype(id: u32) -> Option<u32> {
    let supers = SUPERTYPES.read().unwrap_or_else(|e| e.into_inner());
    supers
        .get(id as usize)
        .copied()
        .filter(|&s| s != NO_SUPERTYPE)
}

/// Whether the type of canonical id `actual` is `expected` or has it
/// among its declared supertypes (transitively).
pub fn is_subtype(actual: u32, expected: u32) -> bool {
    if actual == expected {
        return true;
    }
    let supers = SUPERTYPES.read().unwrap_or_else(|e| e.into_inner());
    let mut at = actual;
    while let Some(&up) = supers.get(at as usize) {
        if up == NO_SUPERTYPE {
            return false;
        }
        if up == expected {
            return true;
        }
        at = up;
    }
    false
}

/// The declared supertype of a `HeapType::Canonical` type, for subtype
/// checks between canonical types (`HeapType::is_subtype_in`).
pub fn canonical_supertype(heap: HeapType) -> Option<HeapType> {
    match heap {
        HeapType::Canonical(id, kind) => supertype(id).map(|s| HeapType::Canonical(s, kind)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::environ::{RefType, TypeKind, ValType};

    /// Registers function types, each a group of its own.
    fn register_module(types: &[FuncType]) -> Vec<u32> {
        let subs: Vec<SubType> = types.iter().cloned().map(SubType::func).collect();
        let starts: Vec<u32> = (0..types.len() as u32).collect();
        register_module_types(&subs, &starts)
    }

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
            FuncType::new([concrete(false, HeapType::Module(0, TypeKind::Func))], []),
        ];
        let b = [
            FuncType::new([], [ValType::F64, ValType::F32, ValType::I64]),
            FuncType::new([ValType::I32], []),
            FuncType::new([concrete(false, HeapType::Module(1, TypeKind::Func))], []),
            FuncType::new([concrete(true, HeapType::Module(1, TypeKind::Func))], []),
        ];
        let (ia, ib) = (register_module(&a), register_module(&b));
        assert_eq!(ia[0], ib[1]);
        assert_eq!(ia[1], ib[2]);
        assert_ne!(ib[2], ib[3], "nullability is part of the type");
        assert_ne!(ib[0], ib[1]);
        // The id form names the referenced type by its id, and gives the
        // id back.
        let form = func_type(ia[1]).unwrap();
        assert_eq!(
            form.params[0],
            concrete(false, HeapType::Canonical(ia[0], TypeKind::Func))
        );
        assert_eq!(canonical_id(&form), ia[1]);
    }

    #[test]
    fn self_referential_types_are_canonical_too() {
        // (type $t (func (param (ref null $t)) (result i64))), at index 0
        // of one module and at index 2 of another.
        let looped = |at: u32| {
            FuncType::new(
                [concrete(true, HeapType::Module(at, TypeKind::Func))],
                [ValType::I64],
            )
        };
        let first = register_module(&[looped(0)]);
        let second = register_module(&[
            FuncType::new([], []),
            FuncType::new([ValType::V128], []),
            looped(2),
        ]);
        assert_eq!(first[0], second[2]);
        let form = func_type(first[0]).unwrap();
        assert_eq!(
            form.params[0],
            concrete(true, HeapType::Canonical(first[0], TypeKind::Func))
        );
        assert_eq!(canonical_id(&form), first[0]);
        // Iso-recursively, a type that refers to a *different* type of the
        // same shape is not the self-referential one.
        let pair = register_module(&[looped(0), looped(0)]);
        assert_eq!(pair[0], first[0]);
        assert_ne!(pair[1], first[0]);
    }
}
