//! `wasm_ref_t`: the one representation behind every runtime object.
//!
//! Every wasm.h object type (`wasm_func_t`, `wasm_extern_t`, `wasm_trap_t`,
//! …) is a `#[repr(transparent)]` wrapper of `wasm_ref_t`, so the standard's
//! `wasm_X_as_ref`, `wasm_ref_as_X` and `wasm_X_as_extern` conversions are
//! pointer casts guarded by a kind check.

use std::sync::Arc;

/// A reference to any runtime object; owned handles are freed with
/// `wasm_ref_delete` (which does not necessarily delete the object).
#[derive(Clone)]
pub struct wasm_ref_t {
    pub(crate) kind: RefKind,
}

/// What a `wasm_ref_t` refers to.
#[derive(Clone)]
pub(crate) enum RefKind {
    /// A host object made by `wasm_foreign_new`.
    Foreign(Arc<ForeignObject>),
}

/// The state behind a `wasm_foreign_t`; its identity is the allocation.
pub(crate) struct ForeignObject {}
