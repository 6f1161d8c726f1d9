//! The options whose C setter takes an enumeration: integer typedefs with
//! `#define`d values, as wasm.h's `wasm_valkind_t`, so C may pass any
//! integer without undefined behaviour; a value no constant names is
//! remembered and refused when the engine is built.

use super::{c_str, null_config};
use crate::capi::engine::wasm_config_t;
use crate::capi::ext::error::wasm_error_t;
use crate::config::{
    Collector, ModuleVersionStrategy, OptLevel, ProfilingStrategy, Strategy, WasmBacktraceDetails,
};
use anyhow::anyhow;
use std::ffi::c_char;

/// Compiler choice for `wasm_config_strategy_set`.
pub type wasm_strategy_t = u8;
/// Pick the best available compiler (Cranelift in this build); the default.
pub const WASM_STRATEGY_AUTO: wasm_strategy_t = 0;
/// The optimizing Cranelift compiler.
pub const WASM_STRATEGY_CRANELIFT: wasm_strategy_t = 1;
/// The baseline Winch compiler (not in this build: refused at engine creation).
pub const WASM_STRATEGY_WINCH: wasm_strategy_t = 2;

/// Garbage collector choice for `wasm_config_collector_set`.
pub type wasm_collector_t = u8;
/// Pick the best available collector; the default.
pub const WASM_COLLECTOR_AUTO: wasm_collector_t = 0;
/// Deferred reference counting (not in this build: refused at engine creation).
pub const WASM_COLLECTOR_DEFERRED_REFERENCE_COUNTING: wasm_collector_t = 1;
/// Allocate only, never collect (not in this build: refused at engine creation).
pub const WASM_COLLECTOR_NULL: wasm_collector_t = 2;

/// Profiler integration for `wasm_config_profiler_set`; numbered as the
/// reference's C API numbers its profiling strategies.
pub type wasm_profiling_strategy_t = u8;
/// No profiler; the default.
pub const WASM_PROFILING_STRATEGY_NONE: wasm_profiling_strategy_t = 0;
/// perf jitdump files: `jit-<pid>.dump` in the current directory.
pub const WASM_PROFILING_STRATEGY_JITDUMP: wasm_profiling_strategy_t = 1;
/// Intel VTune, through its JIT profiling API (`INTEL_JIT_PROFILER64`).
pub const WASM_PROFILING_STRATEGY_VTUNE: wasm_profiling_strategy_t = 2;
/// perf map files: `/tmp/perf-<pid>.map`.
pub const WASM_PROFILING_STRATEGY_PERFMAP: wasm_profiling_strategy_t = 3;

/// Cranelift optimization level for `wasm_config_cranelift_opt_level_set`.
pub type wasm_opt_level_t = u8;
/// Minimise compile time.
pub const WASM_OPT_LEVEL_NONE: wasm_opt_level_t = 0;
/// Fastest code; the default.
pub const WASM_OPT_LEVEL_SPEED: wasm_opt_level_t = 1;
/// Fast and small code.
pub const WASM_OPT_LEVEL_SPEED_AND_SIZE: wasm_opt_level_t = 2;

/// Backtrace symbolication for `wasm_config_wasm_backtrace_details_set`.
pub type wasm_backtrace_details_t = u8;
/// Always symbolicate backtraces from the module's debug info.
pub const WASM_BACKTRACE_DETAILS_ENABLE: wasm_backtrace_details_t = 0;
/// Never.
pub const WASM_BACKTRACE_DETAILS_DISABLE: wasm_backtrace_details_t = 1;
/// Decide by `WASMTIME_BACKTRACE_DETAILS=1` when the engine is built; the default.
pub const WASM_BACKTRACE_DETAILS_ENVIRONMENT: wasm_backtrace_details_t = 2;

/// Serialized-module version stamp for `wasm_config_module_version_set`.
pub type wasm_module_version_strategy_t = u8;
/// This library's version; the default.
pub const WASM_MODULE_VERSION_STRATEGY_CRATE_VERSION: wasm_module_version_strategy_t = 0;
/// A string given by the embedder (at most 255 bytes).
pub const WASM_MODULE_VERSION_STRATEGY_CUSTOM: wasm_module_version_strategy_t = 1;
/// No version check.
pub const WASM_MODULE_VERSION_STRATEGY_NONE: wasm_module_version_strategy_t = 2;

/// Reports an enumeration value no constant names.
fn bad_enum(config: &mut wasm_config_t, option: &'static str, value: u8, valid: &str) {
    config.record_invalid_value(option, format!("invalid value {value} (expected {valid})"));
}

// <option-doc strategy>
/// Selects the compiler. Default: auto (Cranelift). Auto/Cranelift; Winch is
/// refused.
///
/// Validated only: accepted and checked when the engine is created, but this
/// build does not act on it yet.
///
// </option-doc>
/// `strategy` is one of the `WASM_STRATEGY_*` values; any other value is refused
/// at engine creation.
#[no_mangle]
pub extern "C" fn wasm_config_strategy_set(
    config: Option<&mut wasm_config_t>,
    strategy: wasm_strategy_t,
) {
    let Some(c) = config else { return };
    let value = match strategy {
        WASM_STRATEGY_AUTO => Strategy::Auto,
        WASM_STRATEGY_CRANELIFT => Strategy::Cranelift,
        WASM_STRATEGY_WINCH => Strategy::Winch,
        other => return bad_enum(c, "strategy", other, "0 auto, 1 cranelift or 2 winch"),
    };
    c.clear_invalid_value("strategy");
    c.config.set_strategy(value);
}

// <option-doc collector>
/// Selects the garbage collector of wasm GC objects. Default: auto. `auto`: a
/// precise mark-sweep collector (stack maps at every call, roots in globals,
/// tables, element segments, exception payloads and host handles) reclaims
/// unreachable structs, arrays and externref host values, cycles included, once
/// allocation since the last collection exceeds what it left live (at least 4
/// MiB) and on `wasm_store_gc`; `null`: allocation only, nothing is collected,
/// and an allocation past the store's GC heap limit
/// (`wasm_store_gc_heap_limit`) traps with ALLOCATION_TOO_LARGE; `drc`
/// (deferred reference counting) is refused: not in this build yet.
///
// </option-doc>
/// `collector` is one of the `WASM_COLLECTOR_*` values; any other value is
/// refused at engine creation.
#[no_mangle]
pub extern "C" fn wasm_config_collector_set(
    config: Option<&mut wasm_config_t>,
    collector: wasm_collector_t,
) {
    let Some(c) = config else { return };
    let value = match collector {
        WASM_COLLECTOR_AUTO => Collector::Auto,
        WASM_COLLECTOR_DEFERRED_REFERENCE_COUNTING => Collector::DeferredReferenceCounting,
        WASM_COLLECTOR_NULL => Collector::Null,
        other => {
            return bad_enum(
                c,
                "collector",
                other,
                "0 auto, 1 deferred_reference_counting or 2 null",
            )
        }
    };
    c.clear_invalid_value("collector");
    c.config.set_collector(value);
}

// <option-doc profiler>
/// Selects the profiler compiled code is reported to. Default: none. `perfmap`:
/// `/tmp/perf-<pid>.map` gets a `START SIZE name` line per function (name
/// section name, else `wasm-function[N]`) and trampoline as each module
/// (compiled or deserialized) is published; `jitdump`: `jit-<pid>.dump` in the
/// current directory (header and one code-load record with the code bytes per
/// function, mapped read+execute for `perf inject --jit`; with `debug_info` on,
/// each function of a module with DWARF line tables also gets a debug-info
/// record before its code load: the native address, file and line where each of
/// its source lines starts); `vtune`: a method-load event per function (name,
/// address, size, a line table of wasm byte offsets) to the collector VTune
/// names in `INTEL_JIT_PROFILER64`, nothing without one; `none` writes nothing.
///
// </option-doc>
/// `profiler` is one of the `WASM_PROFILING_STRATEGY_*` values; any other value
/// is refused at engine creation.
#[no_mangle]
pub extern "C" fn wasm_config_profiler_set(
    config: Option<&mut wasm_config_t>,
    profiler: wasm_profiling_strategy_t,
) {
    let Some(c) = config else { return };
    let value = match profiler {
        WASM_PROFILING_STRATEGY_NONE => ProfilingStrategy::None,
        WASM_PROFILING_STRATEGY_JITDUMP => ProfilingStrategy::JitDump,
        WASM_PROFILING_STRATEGY_PERFMAP => ProfilingStrategy::PerfMap,
        WASM_PROFILING_STRATEGY_VTUNE => ProfilingStrategy::VTune,
        other => {
            return bad_enum(
                c,
                "profiler",
                other,
                "0 none, 1 jitdump, 2 vtune or 3 perfmap",
            )
        }
    };
    c.clear_invalid_value("profiler");
    c.config.set_profiler(value);
}

// <option-doc cranelift_opt_level>
/// Selects Cranelift's optimization level. Default: speed. Applied to the ISA
/// flags; default `speed` (see above). Compiled code depends on it: serialized
/// modules record it.
///
// </option-doc>
/// `level` is one of the `WASM_OPT_LEVEL_*` values; any other value is refused
/// at engine creation.
#[no_mangle]
pub extern "C" fn wasm_config_cranelift_opt_level_set(
    config: Option<&mut wasm_config_t>,
    level: wasm_opt_level_t,
) {
    let Some(c) = config else { return };
    let value = match level {
        WASM_OPT_LEVEL_NONE => OptLevel::None,
        WASM_OPT_LEVEL_SPEED => OptLevel::Speed,
        WASM_OPT_LEVEL_SPEED_AND_SIZE => OptLevel::SpeedAndSize,
        other => {
            return bad_enum(
                c,
                "cranelift_opt_level",
                other,
                "0 none, 1 speed or 2 speed_and_size",
            )
        }
    };
    c.clear_invalid_value("cranelift_opt_level");
    c.config.set_cranelift_opt_level(value);
}

// <option-doc wasm_backtrace_details>
/// Symbolicates backtraces from the module's debug info. Default: environment
/// (`WASM_RUNTIME_BACKTRACE_DETAILS=1` or `WASMTIME_BACKTRACE_DETAILS=1`
/// enables). Frames carry file, line and column from the module's DWARF line
/// tables (`wasm_frame_source`); the trap message itself is unchanged.
///
// </option-doc>
/// `details` is one of the `WASM_BACKTRACE_DETAILS_*` values; any other value
/// is refused at engine creation.
#[no_mangle]
pub extern "C" fn wasm_config_wasm_backtrace_details_set(
    config: Option<&mut wasm_config_t>,
    details: wasm_backtrace_details_t,
) {
    let Some(c) = config else { return };
    let value = match details {
        WASM_BACKTRACE_DETAILS_ENABLE => WasmBacktraceDetails::Enable,
        WASM_BACKTRACE_DETAILS_DISABLE => WasmBacktraceDetails::Disable,
        WASM_BACKTRACE_DETAILS_ENVIRONMENT => WasmBacktraceDetails::Environment,
        other => {
            return bad_enum(
                c,
                "wasm_backtrace_details",
                other,
                "0 enable, 1 disable or 2 environment",
            )
        }
    };
    c.clear_invalid_value("wasm_backtrace_details");
    c.config.set_wasm_backtrace_details(value);
}

// <option-doc module_version>
/// Selects the version stamp serialized modules carry and must match. Default:
/// this library's version. Checked when deserializing modules.
///
// </option-doc>
/// `strategy` is one of the `WASM_MODULE_VERSION_STRATEGY_*` values; `custom`
/// is read only for CUSTOM (copied, at most 255 bytes of UTF-8). Returns NULL
/// on success or an error, also for a NULL `config`.
///
/// # Safety
/// `custom` must be NULL or point at a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn wasm_config_module_version_set(
    config: Option<&mut wasm_config_t>,
    strategy: wasm_module_version_strategy_t,
    custom: *const c_char,
) -> Option<Box<wasm_error_t>> {
    let Some(c) = config else {
        return null_config("wasm_config_module_version_set");
    };
    let result = (|| {
        let strategy = match strategy {
            WASM_MODULE_VERSION_STRATEGY_CRATE_VERSION => ModuleVersionStrategy::CrateVersion,
            WASM_MODULE_VERSION_STRATEGY_NONE => ModuleVersionStrategy::None,
            WASM_MODULE_VERSION_STRATEGY_CUSTOM => {
                // SAFETY: the caller passes NULL or a NUL-terminated string.
                let text = unsafe { c_str(custom, "module_version: the custom version string") }?;
                ModuleVersionStrategy::Custom(text.to_string())
            }
            other => {
                return Err(anyhow!(
                    "module_version: invalid strategy {other} (expected 0 crate_version, 1 custom or 2 none)"
                ))
            }
        };
        c.config.set_module_version(strategy).map(drop)
    })();
    result.err().map(wasm_error_t::boxed)
}
