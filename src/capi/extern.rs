//! `wasm_extern_t`: a function, global, table or memory seen as an import
//! or export.

use crate::capi::r#ref::wasm_ref_t;

/// A function, global, table or memory; the same object as the
/// `wasm_func_t` (etc.) it was converted from. Owned handles are freed with
/// `wasm_extern_delete`.
// `cfg_attr(all(), …)` always applies for rustc but hides the repr from
// cbindgen, which would otherwise turn the type into a typedef of
// `wasm_ref_t` instead of the distinct opaque struct wasm.h declares.
#[cfg_attr(all(), repr(transparent))]
#[derive(Clone)]
pub struct wasm_extern_t {
    pub(crate) r: wasm_ref_t,
}
