//! Signature ids for `call_indirect` checks.
//!
//! Compiled code compares the `type_id` of a `VMFuncRef` against the id of
//! the expected type, so equal function types must get equal ids in every
//! module and host function that can meet. The runtime's engine-wide
//! registry is the authority when it exists; until then this process-wide
//! interner gives ids that are consistent across all engines (a superset
//! of what the contract needs).

use super::types::FuncType;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

/// The id of `ty`, the same for equal types for the life of the process.
pub(crate) fn signature_id(ty: &FuncType) -> u32 {
    static IDS: OnceLock<Mutex<HashMap<FuncType, u32>>> = OnceLock::new();
    let mut ids = IDS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let next = ids.len() as u32;
    *ids.entry(ty.clone()).or_insert(next)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::module::ValType;

    #[test]
    fn equal_types_share_an_id() {
        let a = FuncType::new([ValType::I32], [ValType::I64]);
        let b = FuncType::new([ValType::I64], []);
        assert_eq!(signature_id(&a), signature_id(&a.clone()));
        assert_ne!(signature_id(&a), signature_id(&b));
    }
}
