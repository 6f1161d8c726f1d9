//! How a linear memory is laid out in virtual memory, decided once from the
//! configuration and the memory's type. The compiler reads the plan to
//! decide which bounds checks it can leave to the guard region, and the
//! runtime reserves exactly what the plan says; both must agree, so the
//! decision lives here and nowhere else.

use crate::environ::MemoryType;

/// The configuration knobs that shape memories (see config-reference.txt:
/// static_memory_maximum_size, static_memory_forced, memory_guard_size,
/// dynamic_memory_reserved_for_growth, guard_before_linear_memory,
/// signals_based_traps).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemorySettings {
    /// Largest reservation in bytes for which a memory is made static.
    pub static_memory_maximum_size: u64,
    /// Make every memory static, whatever its maximum.
    pub static_memory_forced: bool,
    /// Inaccessible bytes after each memory, so bounds checks can be
    /// elided; whole host pages (the engine rounds the configured value).
    pub memory_guard_size: u64,
    /// Extra bytes a dynamic memory reserves past its size to grow in place.
    pub dynamic_memory_reserved_for_growth: u64,
    /// Also put a guard region before each memory's base.
    pub guard_before_linear_memory: bool,
    /// Whether out-of-bounds accesses may be caught by the guard pages' signal; without it compiled code checks bounds explicitly.
    pub signals_based_traps: bool,
    /// Whether an embedder's memory creator (`with_host_memory`) makes the
    /// memories allocated on demand: a dynamic one may then be a plain
    /// heap allocation that moves as it grows, so no guard is relied on
    /// (or asked for) after it.
    pub host_memory_creator: bool,
}

impl Default for MemorySettings {
    /// The 64-bit host defaults of the Config reference.
    fn default() -> MemorySettings {
        MemorySettings {
            static_memory_maximum_size: 4 << 30,
            static_memory_forced: false,
            memory_guard_size: 2 << 30,
            dynamic_memory_reserved_for_growth: 2 << 30,
            guard_before_linear_memory: true,
            signals_based_traps: true,
            host_memory_creator: false,
        }
    }
}

/// Whether a memory can move when it grows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemoryStyle {
    /// Reserved up front at `reservation` bytes; the base never moves and
    /// the memory can never exceed the reservation.
    Static {
        /// Bytes of address space reserved for the memory, guards excluded.
        reservation: u64,
    },
    /// Reserved at its current size plus `reserve_for_growth`; growing past
    /// that moves it, so compiled code must reload the base.
    Dynamic {
        /// Bytes reserved past the current size before growth must move it.
        reserve_for_growth: u64,
    },
}

/// The layout of one linear memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryPlan {
    /// The memory's type, as declared or imported.
    pub ty: MemoryType,
    /// Whether the base may move on growth, and how much is reserved.
    pub style: MemoryStyle,
    /// Inaccessible bytes reserved after the memory's reservation (whole
    /// host pages when the settings come from an engine's config).
    pub offset_guard_size: u64,
    /// Inaccessible bytes reserved before the memory's base (as above).
    pub pre_guard_size: u64,
}

impl MemoryPlan {
    /// The layout `settings` give a memory of type `ty`.
    pub fn new(settings: &MemorySettings, ty: &MemoryType) -> MemoryPlan {
        let page_size = 1u64 << ty.page_size_log2;
        let max_bytes = ty
            .maximum
            .unwrap_or_else(|| ty.max_pages_for_index_type())
            .saturating_mul(page_size);
        // Without signal handlers a fault cannot become a trap, so nothing
        // may be left to guard pages: every access is checked explicitly.
        let guard = if settings.signals_based_traps {
            settings.memory_guard_size
        } else {
            0
        };
        let fits_static = settings.static_memory_maximum_size > 0
            && (settings.static_memory_forced || max_bytes <= settings.static_memory_maximum_size);
        let style = if fits_static {
            MemoryStyle::Static {
                reservation: settings.static_memory_maximum_size,
            }
        } else if ty.shared {
            // A shared memory never moves (other threads hold its base), so
            // its reservation is its maximum (the threads proposal requires
            // one), in whole 64 KiB units, a multiple of every host page.
            MemoryStyle::Static {
                reservation: max_bytes.div_ceil(1 << 16).saturating_mul(1 << 16),
            }
        } else {
            MemoryStyle::Dynamic {
                reserve_for_growth: settings.dynamic_memory_reserved_for_growth,
            }
        };
        let offset_guard_size = match style {
            MemoryStyle::Dynamic { .. } if settings.host_memory_creator => 0,
            _ => guard,
        };
        MemoryPlan {
            ty: *ty,
            style,
            offset_guard_size,
            pre_guard_size: if settings.guard_before_linear_memory {
                guard
            } else {
                0
            },
        }
    }

    /// True when the base address never changes after instantiation.
    pub fn is_static(&self) -> bool {
        matches!(self.style, MemoryStyle::Static { .. })
    }

    /// The most bytes this memory may ever hold: its type's maximum, capped
    /// by a static reservation.
    pub fn maximum_bytes(&self) -> u64 {
        let page_size = 1u64 << self.ty.page_size_log2;
        let type_max = self
            .ty
            .maximum
            .unwrap_or_else(|| self.ty.max_pages_for_index_type())
            .saturating_mul(page_size);
        match self.style {
            MemoryStyle::Static { reservation } => type_max.min(reservation),
            MemoryStyle::Dynamic { .. } => type_max,
        }
    }

    /// True when an access of `access_size` bytes at a 32-bit index plus
    /// the constant `offset` cannot reach past the reservation and guard,
    /// so the guard region catches every out-of-bounds access and compiled
    /// code needs no explicit check.
    ///
    /// Pages smaller than 64 KiB (custom-page-sizes) never qualify: the
    /// memory's end need not fall on a host page boundary, so the bytes
    /// between it and the next page boundary are accessible and only an
    /// explicit check can trap there.
    pub fn can_elide_bounds_check(&self, offset: u64, access_size: u64) -> bool {
        match self.style {
            MemoryStyle::Static { reservation } => {
                !self.ty.memory64
                    && self.ty.page_size_log2 >= MemoryType::DEFAULT_PAGE_SIZE_LOG2
                    && reservation >= (1u64 << 32)
                    && offset.saturating_add(access_size) <= self.offset_guard_size
            }
            MemoryStyle::Dynamic { .. } => false,
        }
    }
}

impl MemoryPlan {
    /// True when an access of `access_size` bytes at the constant `offset`
    /// past an index no greater than the memory's length can only reach
    /// inaccessible pages if it is out of bounds: what lies between the
    /// length and the end of the offset guard is never accessible, so
    /// compiled code checks only `index <= length` (one compare, for any
    /// index type and style) and leaves the rest to the guard.
    ///
    /// That needs a guard at least `offset + access_size` bytes long and a
    /// length that always ends on a host page (64 KiB wasm pages; with
    /// smaller pages the bytes up to the next host page are accessible).
    pub fn guard_covers_access(&self, offset: u64, access_size: u64) -> bool {
        self.ty.page_size_log2 >= MemoryType::DEFAULT_PAGE_SIZE_LOG2
            && offset.saturating_add(access_size) <= self.offset_guard_size
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_32bit_memory_is_static_and_elides_small_offsets() {
        let plan = MemoryPlan::new(&MemorySettings::default(), &MemoryType::new(1, None));
        assert!(plan.is_static());
        assert!(plan.can_elide_bounds_check(0, 8));
        assert!(plan.can_elide_bounds_check((2 << 30) - 8, 8));
        assert!(!plan.can_elide_bounds_check((2 << 30) - 7, 8));
    }

    #[test]
    fn a_guard_covers_small_offsets_of_any_memory_with_64k_pages() {
        let memory64 = MemoryType {
            memory64: true,
            ..MemoryType::new(1, None)
        };
        let plan = MemoryPlan::new(&MemorySettings::default(), &memory64);
        assert!(!plan.is_static());
        assert!(!plan.can_elide_bounds_check(0, 8));
        assert!(plan.guard_covers_access(0, 8));
        assert!(plan.guard_covers_access((2 << 30) - 8, 8));
        assert!(!plan.guard_covers_access((2 << 30) - 7, 8));
        assert!(!plan.guard_covers_access(u64::MAX, 1));
        let no_signals = MemorySettings {
            signals_based_traps: false,
            ..MemorySettings::default()
        };
        assert!(!MemoryPlan::new(&no_signals, &memory64).guard_covers_access(0, 1));
        let small_pages = MemoryType {
            page_size_log2: 0,
            ..memory64
        };
        let plan = MemoryPlan::new(&MemorySettings::default(), &small_pages);
        assert!(!plan.guard_covers_access(0, 1));
    }

    #[test]
    fn a_creators_dynamic_memory_has_no_guard_to_rely_on() {
        let settings = MemorySettings {
            host_memory_creator: true,
            static_memory_maximum_size: 0,
            ..MemorySettings::default()
        };
        let plan = MemoryPlan::new(&settings, &MemoryType::new(1, None));
        assert_eq!(plan.offset_guard_size, 0);
        assert!(!plan.guard_covers_access(0, 1));
        let static_settings = MemorySettings {
            host_memory_creator: true,
            ..MemorySettings::default()
        };
        let plan = MemoryPlan::new(&static_settings, &MemoryType::new(1, None));
        assert_eq!(
            plan.offset_guard_size,
            2 << 30,
            "a static reservation keeps its guard"
        );
    }

    #[test]
    fn small_pages_are_always_checked() {
        let ty = MemoryType {
            page_size_log2: 0,
            ..MemoryType::new(1, None)
        };
        let plan = MemoryPlan::new(&MemorySettings::default(), &ty);
        assert!(plan.is_static());
        assert!(!plan.can_elide_bounds_check(0, 1));
    }

    #[test]
    fn zero_static_maximum_makes_every_memory_dynamic() {
        let settings = MemorySettings {
            static_memory_maximum_size: 0,
            ..MemorySettings::default()
        };
        let plan = MemoryPlan::new(&settings, &MemoryType::new(1, Some(2)));
        assert!(!plan.is_static());
        assert!(!plan.can_elide_bounds_check(0, 1));
        assert_eq!(plan.maximum_bytes(), 2 << 16);
    }

    #[test]
    fn shared_memory_above_the_static_maximum_reserves_its_maximum() {
        let settings = MemorySettings {
            static_memory_maximum_size: 1 << 20,
            ..MemorySettings::default()
        };
        let ty = MemoryType {
            shared: true,
            ..MemoryType::new(1, Some(100))
        };
        let plan = MemoryPlan::new(&settings, &ty);
        assert_eq!(
            plan.style,
            MemoryStyle::Static {
                reservation: 100 << 16
            }
        );
        assert_eq!(plan.maximum_bytes(), 100 << 16);
        let small_pages = MemoryType {
            page_size_log2: 0,
            ..MemoryType::new(1, Some((1 << 20) + 3))
        };
        let shared_small = MemoryType {
            shared: true,
            ..small_pages
        };
        let plan = MemoryPlan::new(&settings, &shared_small);
        assert_eq!(
            plan.style,
            MemoryStyle::Static {
                reservation: (1 << 20) + (1 << 16)
            }
        );
        assert!(!MemoryPlan::new(&settings, &small_pages).is_static());
    }

    #[test]
    fn no_signals_means_no_guard() {
        let settings = MemorySettings {
            signals_based_traps: false,
            ..MemorySettings::default()
        };
        let plan = MemoryPlan::new(&settings, &MemoryType::new(1, None));
        assert_eq!(plan.offset_guard_size, 0);
        assert!(!plan.can_elide_bounds_check(0, 1));
    }

    #[test]
    fn forced_static_caps_maximum_at_reservation() {
        let settings = MemorySettings {
            static_memory_maximum_size: 1 << 20,
            static_memory_forced: true,
            ..MemorySettings::default()
        };
        let plan = MemoryPlan::new(&settings, &MemoryType::new(1, None));
        assert!(plan.is_static());
        assert_eq!(plan.maximum_bytes(), 1 << 20);
        assert!(!plan.can_elide_bounds_check(0, 1));
    }
}
