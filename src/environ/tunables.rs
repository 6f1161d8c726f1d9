//! `Tunables`: the configuration values the compiler and the runtime act
//! on, computed once from the `Config` when the engine is built
//! (`Engine::new`). Neither layer reads the `Config` for these: both read
//! the same `Tunables`, so what the compiler assumed (a guard region, fuel
//! counting, a stack limit) is what the runtime provides.

use super::info::ModuleInfo;
use super::memory_plan::{MemoryPlan, MemorySettings};

/// Values from the configuration that shape compiled code or how the
/// runtime runs it. The names are the `Config` options they come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tunables {
    /// How linear memories are laid out: static reservation, guard sizes,
    /// guard before the base, growth reserve and whether signal handlers
    /// catch out-of-bounds accesses (`signals_based_traps`, which decides
    /// between guard pages and explicit bounds checks).
    pub memory: MemorySettings,
    /// `consume_fuel`: compiled code counts operators into
    /// `VMRuntimeLimits::FUEL_CONSUMED` and traps with `OutOfFuel` once it
    /// is no longer negative; stores accept `set_fuel`/`get_fuel`.
    pub consume_fuel: bool,
    /// `epoch_interruption`: compiled code traps with `Interrupt` at
    /// function entries and loop headers once the engine's epoch reaches
    /// the store's deadline.
    pub epoch_interruption: bool,
    /// `cranelift_nan_canonicalization`: float results are canonical NaNs
    /// (a Cranelift setting of the engine's ISA).
    pub nan_canonicalization: bool,
    /// `generate_address_map`: compiled code carries a map from machine
    /// code offsets to wasm byte offsets, for backtraces.
    pub generate_address_map: bool,
    /// `max_wasm_stack`: bytes of native stack wasm may use below the
    /// outermost host→wasm entry of a thread.
    pub max_wasm_stack: usize,
    /// `wasm_backtrace`: traps carry the wasm frames they unwound.
    pub wasm_backtrace: bool,
    /// `relaxed_simd_deterministic`: relaxed-SIMD operators compile to the
    /// results the specification names as deterministic (the same on every
    /// host) instead of the host's fastest instructions.
    pub relaxed_simd_deterministic: bool,
    /// `memory_init_cow`: memories are initialised by mapping images of
    /// their data segments where possible.
    pub memory_init_cow: bool,
    /// `table_lazy_init`: funcref table elements are tagged (0 = not
    /// initialised yet, else `ptr | 1`, see `runtime::table::Encoding`) so
    /// instantiation writes none of them; compiled code decodes what it
    /// reads and initialises a 0 element through `TableGetLazyInit`.
    pub table_lazy_init: bool,
    /// `coredump_on_trap`: a trap leaving wasm carries a wasm coredump
    /// (memories, globals and frames at trap time, with the frames' locals
    /// as far as `value_labels` tells where they are).
    pub coredump_on_trap: bool,
    /// `debug_info`: compiled code is described to native debuggers, and
    /// the compiler records where wasm locals live (`value_labels`).
    pub debug_info: bool,
    /// `wmemcheck`: in modules that define an allocator (`malloc`, `free`,
    /// ... found by name) over an unshared memory 0, compiled code reports
    /// every access of memory 0 and every allocator call to the runtime's
    /// heap checker (`runtime::wmemcheck`), which traps with `MemoryCheck`
    /// on a heap error. Off: no such code at all.
    pub wmemcheck: bool,
}

impl Default for Tunables {
    /// The 64-bit host defaults of the Config reference (what
    /// `Config::default()` yields; the engine's tests check they agree).
    fn default() -> Tunables {
        Tunables {
            memory: MemorySettings::default(),
            consume_fuel: false,
            epoch_interruption: false,
            nan_canonicalization: false,
            generate_address_map: true,
            max_wasm_stack: 512 << 10,
            wasm_backtrace: true,
            relaxed_simd_deterministic: false,
            memory_init_cow: true,
            table_lazy_init: true,
            coredump_on_trap: false,
            debug_info: false,
            wmemcheck: false,
        }
    }
}

impl Tunables {
    /// `signals_based_traps`: whether compiled code may trap by faulting
    /// (guard pages, trap instructions) for the runtime's signal handlers
    /// to catch. When false, every trap is an explicit check that calls the
    /// `RaiseTrap` builtin and the runtime installs no signal handler. The
    /// value lives in `memory` because it also decides the memory layout.
    pub fn signals_based_traps(&self) -> bool {
        self.memory.signals_based_traps
    }

    /// Whether the compiler tags each wasm local's values (and the
    /// `VMContext`) with Cranelift value labels and records where they
    /// live at each code offset (`CompiledFunction::value_labels`): for
    /// `debug_info` (the locals' DWARF locations) and `coredump_on_trap`
    /// (the frames' locals). This changes the code a little (Cranelift
    /// keeps the `VMContext` alive to every return, for the locations that
    /// need it) but not what it does, so code compiled either way runs
    /// under either setting: `coredump_on_trap` is not part of the
    /// serialized-module fingerprint (a module compiled without labels
    /// just dumps its locals as missing). Off, nothing is tagged and the
    /// code is as without it.
    pub fn value_labels(&self) -> bool {
        self.debug_info || self.coredump_on_trap
    }

    /// The layout of every memory of `info`, imported ones first: what the
    /// compiler compiles bounds checks against and the runtime reserves.
    pub fn memory_plans(&self, info: &ModuleInfo) -> Box<[MemoryPlan]> {
        info.memories
            .iter()
            .map(|ty| MemoryPlan::new(&self.memory, ty))
            .collect()
    }
}
