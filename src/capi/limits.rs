//! `wasm_limits_t`: the size bounds of tables and memories.

/// Minimum and maximum size of a table (elements) or memory (pages).
/// `max == wasm_limits_max_default` means "no maximum".
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct wasm_limits_t {
    /// Smallest size: elements for a table, pages for a memory.
    pub min: u32,
    /// Largest size, or `wasm_limits_max_default` for no maximum.
    pub max: u32,
}

/// The `max` of limits without a maximum (the header defines it too, as
/// the standard's `static const`).
#[allow(non_upper_case_globals)]
pub const wasm_limits_max_default: u32 = 0xffff_ffff;

impl wasm_limits_t {
    /// The C limits of a Rust type's bounds. The C struct has 32-bit
    /// fields, so bounds of 64-bit tables and memories beyond `u32::MAX`
    /// saturate (a maximum that large reads as "no maximum").
    pub fn from_bounds(minimum: u64, maximum: Option<u64>) -> wasm_limits_t {
        let saturate = |n: u64| u32::try_from(n).unwrap_or(u32::MAX);
        wasm_limits_t {
            min: saturate(minimum),
            max: maximum.map_or(wasm_limits_max_default, saturate),
        }
    }

    /// The minimum, and the maximum if there is one.
    pub fn bounds(&self) -> (u64, Option<u64>) {
        let max = (self.max != wasm_limits_max_default).then_some(u64::from(self.max));
        (u64::from(self.min), max)
    }
}
