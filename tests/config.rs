//! The configuration C API: every `wasm_config_<option>_set` exists and
//! reaches its option, defaults follow the Config reference, invalid
//! combinations are refused by `wasm_engine_try_new` with a message naming
//! the option, valid ones build engines, and NULL never crashes.

use std::ffi::{c_char, c_void, CString};
use std::path::PathBuf;
use std::ptr::{null, null_mut};
use std::sync::atomic::{AtomicUsize, Ordering};

use wasm_runtime::capi::engine::*;
use wasm_runtime::capi::ext::config::*;
use wasm_runtime::capi::ext::engine::*;
use wasm_runtime::capi::ext::error::{
    wasm_error_delete, wasm_error_kind, wasm_error_kind_t, wasm_error_message, wasm_error_t,
    WASM_ERROR_KIND_CONFIG, WASM_ERROR_KIND_OTHER,
};
use wasm_runtime::capi::vec::wasm_byte_vec_t;
use wasm_runtime::config::{
    CacheSetting, Collector, Config, CraneliftFlag, InstanceAllocationStrategy,
    ModuleVersionStrategy, OptLevel, ProfilingStrategy, Strategy, WasmBacktraceDetails,
};
use wasm_runtime::environ::error::ErrorKind;

const KIB: u64 = 1 << 10;
const MIB: u64 = 1 << 20;
const GIB: u64 = 1 << 30;

fn message(error: &wasm_error_t) -> String {
    let mut out = wasm_byte_vec_t {
        size: 0,
        data: null_mut(),
    };
    wasm_error_message(Some(error), Some(&mut out));
    // SAFETY: `out` was filled by `wasm_error_message`.
    String::from_utf8(unsafe { out.take() }).unwrap()
}

fn error_text(error: Option<Box<wasm_error_t>>) -> Option<String> {
    error_kind_and_text(error).map(|(_, text)| text)
}

/// The error's kind and message (and frees it).
fn error_kind_and_text(error: Option<Box<wasm_error_t>>) -> Option<(wasm_error_kind_t, String)> {
    let seen = error
        .as_deref()
        .map(|e| (wasm_error_kind(Some(e)), message(e)));
    wasm_error_delete(error);
    seen
}

/// The message of a `WASM_ERROR_KIND_CONFIG` error.
fn config_error_text(error: Option<Box<wasm_error_t>>) -> String {
    let (kind, text) = error_kind_and_text(error).expect("an error");
    assert_eq!(kind, WASM_ERROR_KIND_CONFIG, "{text}");
    text
}

fn try_new(config: Box<wasm_config_t>) -> Result<Box<wasm_engine_t>, (wasm_error_kind_t, String)> {
    let mut out: *mut wasm_engine_t = null_mut();
    match wasm_engine_try_new(Some(config), Some(&mut out)) {
        None => {
            assert!(!out.is_null());
            // SAFETY: made by `wasm_engine_try_new` for us to own.
            Ok(unsafe { Box::from_raw(out) })
        }
        Some(error) => {
            assert!(out.is_null(), "engine_out written on failure");
            Err(error_kind_and_text(Some(error)).unwrap())
        }
    }
}

/// A config set up by `setup` is refused with a `Config` error naming
/// `option` (in the Rust API's kind, from the C config's own engine
/// builder, which also sees the C setters' invalid values, and first in the
/// C API's message);
/// and `wasm_engine_new_with_config` returns NULL for it.
fn assert_refused(option: &str, setup: impl Fn(&mut wasm_config_t)) -> String {
    let mut config = wasm_config_new();
    setup(&mut config);
    match config.build_engine() {
        Ok(_) => panic!("config with bad {option} built an engine"),
        Err(e) => match e.kind() {
            ErrorKind::Config { option: named, .. } => assert_eq!(named, option, "{e:#}"),
            other => panic!("expected a config error naming {option}, got {other:?}: {e:#}"),
        },
    }
    let msg = match try_new(config) {
        Ok(_) => panic!("config with bad {option} built an engine"),
        Err((kind, msg)) => {
            assert_eq!(kind, WASM_ERROR_KIND_CONFIG, "{msg}");
            msg
        }
    };
    assert!(
        msg.starts_with(&format!("{option}:")),
        "error for {option} does not name it first: {msg}"
    );
    let mut config = wasm_config_new();
    setup(&mut config);
    assert!(wasm_engine_new_with_config(Some(config)).is_none());
    msg
}

fn assert_builds(setup: impl Fn(&mut wasm_config_t)) -> Box<wasm_engine_t> {
    let mut config = wasm_config_new();
    setup(&mut config);
    let engine = try_new(config).unwrap_or_else(|(_, msg)| panic!("valid config refused: {msg}"));
    let mut config = wasm_config_new();
    setup(&mut config);
    let second = wasm_engine_new_with_config(Some(config)).expect("valid config");
    assert!(!second.engine().same(engine.engine()));
    engine
}

fn unsupported(option: &str, setup: impl Fn(&mut wasm_config_t)) {
    let msg = assert_refused(option, setup);
    assert!(msg.contains("not supported by this build"), "{msg}");
}

fn temp_dir(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("wasm-runtime-config-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn cstring(s: &str) -> CString {
    CString::new(s).unwrap()
}

#[test]
fn defaults_follow_the_reference() {
    let c = Config::new();
    assert_eq!(c.target(), None);
    assert!(!c.async_support());
    assert!(!c.debug_info());
    assert!(c.wasm_backtrace());
    assert_eq!(
        c.wasm_backtrace_details(),
        WasmBacktraceDetails::Environment
    );
    assert!(c.native_unwind_info());
    assert!(!c.consume_fuel());
    assert!(!c.epoch_interruption());
    assert_eq!(c.max_wasm_stack() as u64, 512 * KIB);
    assert_eq!(c.async_stack_size() as u64, 2 * MIB);
    assert!(c.wasm_tail_call());
    assert!(!c.wasm_custom_page_sizes());
    assert!(c.wasm_threads());
    assert!(c.wasm_reference_types());
    assert!(!c.wasm_function_references());
    assert!(!c.wasm_wide_arithmetic());
    assert!(!c.wasm_gc());
    assert!(c.wasm_simd());
    assert!(c.wasm_relaxed_simd());
    assert!(!c.relaxed_simd_deterministic());
    assert!(c.wasm_bulk_memory());
    assert!(c.wasm_multi_value());
    assert!(c.wasm_multi_memory());
    assert!(!c.wasm_memory64());
    assert!(c.wasm_extended_const());
    assert!(!c.wasm_component_model());
    assert!(!c.wasm_component_model_more_flags());
    assert!(!c.wasm_component_model_multiple_returns());
    assert_eq!(c.strategy(), Strategy::Auto);
    assert_eq!(c.collector(), Collector::Auto);
    assert_eq!(c.profiler(), ProfilingStrategy::None);
    assert!(!c.cranelift_debug_verifier());
    assert_eq!(c.cranelift_opt_level(), OptLevel::Speed);
    assert!(!c.cranelift_nan_canonicalization());
    assert!(!c.cranelift_pcc());
    assert!(c.cranelift_flags().is_empty());
    assert_eq!(*c.cache(), CacheSetting::Disabled);
    assert!(c.cache_config().is_none());
    assert!(c.with_host_memory().is_none());
    assert!(c.with_host_stack().is_none());
    assert_eq!(
        *c.allocation_strategy(),
        InstanceAllocationStrategy::OnDemand
    );
    let is_64 = cfg!(target_pointer_width = "64");
    assert_eq!(
        c.static_memory_maximum_size(),
        if is_64 { 4 * GIB } else { GIB }
    );
    assert!(!c.static_memory_forced());
    assert_eq!(
        c.memory_guard_size(),
        if is_64 { 2 * GIB } else { 64 * KIB }
    );
    assert_eq!(
        c.dynamic_memory_reserved_for_growth(),
        if is_64 { 2 * GIB } else { MIB }
    );
    assert!(c.guard_before_linear_memory());
    assert!(c.table_lazy_init());
    assert_eq!(*c.module_version(), ModuleVersionStrategy::CrateVersion);
    assert_eq!(c.module_version_string(), Some(env!("CARGO_PKG_VERSION")));
    assert!(c.parallel_compilation());
    assert!(c.generate_address_map());
    assert!(c.memory_init_cow());
    assert!(!c.force_memory_init_memfd());
    assert!(!c.coredump_on_trap());
    assert!(!c.wmemcheck());
    assert_eq!(c.memory_guaranteed_dense_image_size(), 16 * MIB);
    assert!(!c.debug_adapter_modules());
    assert_eq!(c.emit_clif(), None);
    assert!(c.macos_use_mach_ports());
    assert!(c.detect_host_feature().is_none());
    assert!(c.signals_based_traps());

    // The C constructor starts from the same defaults.
    let from_c = wasm_config_new();
    assert_eq!(from_c.config().cranelift_opt_level(), OptLevel::Speed);
    assert_eq!(from_c.config().max_wasm_stack(), c.max_wasm_stack());
    wasm_config_delete(Some(from_c));
}

#[test]
fn default_engine_uses_the_defaults() {
    let engine = wasm_engine_new().expect("default engine");
    let e = engine.engine();
    assert!(e.is_host_target());
    let flags = e.isa().flags();
    assert_eq!(
        flags.opt_level(),
        cranelift_codegen::settings::OptLevel::Speed
    );
    assert!(!flags.enable_verifier());
    assert!(!flags.enable_nan_canonicalization());
    assert!(flags.preserve_frame_pointers());
    assert!(flags.unwind_info());
    assert!(!flags.enable_probestack());
    let features = e.wasm_features();
    assert!(features.simd() && features.relaxed_simd() && features.reference_types());
    assert!(features.bulk_memory() && features.tail_call() && features.threads());
    assert!(!features.gc() && !features.memory64() && !features.function_references());
    wasm_engine_delete(Some(engine));
}

/// Every setter reaches its option (each value differs from the default).
#[test]
fn every_setter_reaches_its_option() {
    let mut cfg = wasm_config_new();
    let c = Some(&mut *cfg);
    let host = cstring(&target_lexicon::Triple::host().to_string());
    // SAFETY: NUL-terminated strings throughout.
    unsafe {
        assert_eq!(error_text(wasm_config_target_set(c, host.as_ptr())), None);
    }
    macro_rules! set {
        ($f:ident($($arg:expr),*)) => { $f(Some(&mut *cfg), $($arg),*) };
    }
    set!(wasm_config_async_support_set(true));
    set!(wasm_config_debug_info_set(true));
    set!(wasm_config_wasm_backtrace_set(false));
    set!(wasm_config_wasm_backtrace_details_set(
        WASM_BACKTRACE_DETAILS_DISABLE
    ));
    set!(wasm_config_native_unwind_info_set(false));
    set!(wasm_config_consume_fuel_set(true));
    set!(wasm_config_epoch_interruption_set(true));
    set!(wasm_config_max_wasm_stack_set(100_000));
    set!(wasm_config_async_stack_size_set(300_000));
    set!(wasm_config_wasm_tail_call_set(false));
    set!(wasm_config_wasm_custom_page_sizes_set(true));
    set!(wasm_config_wasm_threads_set(false));
    set!(wasm_config_wasm_reference_types_set(false));
    set!(wasm_config_wasm_function_references_set(true));
    set!(wasm_config_wasm_wide_arithmetic_set(true));
    set!(wasm_config_wasm_gc_set(true));
    set!(wasm_config_wasm_simd_set(false));
    set!(wasm_config_wasm_relaxed_simd_set(false));
    set!(wasm_config_relaxed_simd_deterministic_set(true));
    set!(wasm_config_wasm_bulk_memory_set(false));
    set!(wasm_config_wasm_multi_value_set(false));
    set!(wasm_config_wasm_multi_memory_set(false));
    set!(wasm_config_wasm_memory64_set(true));
    set!(wasm_config_wasm_extended_const_set(false));
    set!(wasm_config_wasm_component_model_set(true));
    set!(wasm_config_wasm_component_model_more_flags_set(true));
    set!(wasm_config_wasm_component_model_multiple_returns_set(true));
    set!(wasm_config_strategy_set(WASM_STRATEGY_CRANELIFT));
    set!(wasm_config_collector_set(WASM_COLLECTOR_NULL));
    set!(wasm_config_profiler_set(WASM_PROFILING_STRATEGY_PERFMAP));
    set!(wasm_config_cranelift_debug_verifier_set(true));
    set!(wasm_config_cranelift_opt_level_set(
        WASM_OPT_LEVEL_SPEED_AND_SIZE
    ));
    set!(wasm_config_cranelift_nan_canonicalization_set(true));
    set!(wasm_config_cranelift_pcc_set(true));
    // SAFETY: NUL-terminated strings.
    unsafe {
        set!(wasm_config_cranelift_flag_enable_set(
            c"enable_alias_analysis".as_ptr()
        ));
        set!(wasm_config_cranelift_flag_set_set(
            c"regalloc_algorithm".as_ptr(),
            c"single_pass".as_ptr()
        ));
    }
    let dir = temp_dir("every-setter");
    let cache_file = dir.join("cache.toml");
    std::fs::write(
        &cache_file,
        "[cache]\nenabled = true\ndirectory = \"store\"\n",
    )
    .unwrap();
    let cache_path = cstring(cache_file.to_str().unwrap());
    // SAFETY: NUL-terminated string.
    let loaded = unsafe { wasm_config_cache_config_load_set(Some(&mut *cfg), cache_path.as_ptr()) };
    assert_eq!(error_text(loaded), None);
    assert_eq!(
        cfg.config().cache_config().unwrap().directory,
        dir.join("store")
    );
    assert!(
        !dir.join("store").exists(),
        "the cache folder is made by the first entry, not by loading"
    );
    set!(wasm_config_disable_cache_set());
    assert!(cfg.config().cache_config().is_none());
    // `cache_config_load_default` is exercised in its own test (it reads the environment).
    let creator = wasm_memory_creator_t {
        env: null_mut(),
        new_memory: Some(vec_new_memory),
        finalizer: None,
    };
    set!(wasm_config_with_host_memory_set(Some(&creator)));
    let stacks = wasm_stack_creator_t {
        env: null_mut(),
        new_stack: Some(failing_new_stack),
        finalizer: None,
    };
    set!(wasm_config_with_host_stack_set(Some(&stacks)));
    let mut pooling = wasm_pooling_allocation_config_new();
    wasm_pooling_allocation_config_total_memories_set(Some(&mut pooling), 7);
    set!(wasm_config_allocation_strategy_set(Some(&pooling)));
    wasm_pooling_allocation_config_delete(Some(pooling));
    set!(wasm_config_static_memory_maximum_size_set(GIB));
    set!(wasm_config_static_memory_forced_set(true));
    set!(wasm_config_memory_guard_size_set(64 * KIB));
    set!(wasm_config_dynamic_memory_reserved_for_growth_set(MIB));
    set!(wasm_config_guard_before_linear_memory_set(false));
    set!(wasm_config_table_lazy_init_set(false));
    // SAFETY: NUL-terminated string.
    let versioned = unsafe {
        wasm_config_module_version_set(
            Some(&mut *cfg),
            WASM_MODULE_VERSION_STRATEGY_CUSTOM,
            c"v-custom".as_ptr(),
        )
    };
    assert_eq!(error_text(versioned), None);
    set!(wasm_config_parallel_compilation_set(false));
    set!(wasm_config_generate_address_map_set(false));
    set!(wasm_config_memory_init_cow_set(false));
    set!(wasm_config_force_memory_init_memfd_set(true));
    set!(wasm_config_coredump_on_trap_set(true));
    set!(wasm_config_wmemcheck_set(true));
    set!(wasm_config_memory_guaranteed_dense_image_size_set(MIB));
    set!(wasm_config_debug_adapter_modules_set(true));
    let clif = cstring(dir.to_str().unwrap());
    // SAFETY: NUL-terminated string.
    unsafe { set!(wasm_config_emit_clif_set(clif.as_ptr())) };
    set!(wasm_config_macos_use_mach_ports_set(false));
    let detector = wasm_host_feature_detector_t {
        env: null_mut(),
        detect: Some(detect_nothing),
        finalizer: None,
    };
    set!(wasm_config_detect_host_feature_set(Some(&detector)));
    set!(wasm_config_signals_based_traps_set(false));
    let store = wasm_cache_store_t {
        env: null_mut(),
        get: Some(cache_get),
        insert: Some(cache_insert),
        finalizer: None,
    };
    let incremental = set!(wasm_config_enable_incremental_compilation_set(Some(&store)));
    assert!(
        incremental.is_none(),
        "the incremental cache is compiled in"
    );

    let c = cfg.config();
    assert!(c.incremental_compilation_store().is_some());
    assert_eq!(c.target(), Some(&target_lexicon::Triple::host()));
    assert!(c.async_support());
    assert!(c.debug_info());
    assert!(!c.wasm_backtrace());
    assert_eq!(c.wasm_backtrace_details(), WasmBacktraceDetails::Disable);
    assert!(!c.native_unwind_info());
    assert!(c.consume_fuel());
    assert!(c.epoch_interruption());
    assert_eq!(c.max_wasm_stack(), 100_000);
    assert_eq!(c.async_stack_size(), 300_000);
    assert!(!c.wasm_tail_call());
    assert!(c.wasm_custom_page_sizes());
    assert!(!c.wasm_threads());
    assert!(!c.wasm_reference_types());
    assert!(c.wasm_function_references());
    assert!(c.wasm_wide_arithmetic());
    assert!(c.wasm_gc());
    assert!(!c.wasm_simd());
    assert!(!c.wasm_relaxed_simd());
    assert!(c.relaxed_simd_deterministic());
    assert!(!c.wasm_bulk_memory());
    assert!(!c.wasm_multi_value());
    assert!(!c.wasm_multi_memory());
    assert!(c.wasm_memory64());
    assert!(!c.wasm_extended_const());
    assert!(c.wasm_component_model());
    assert!(c.wasm_component_model_more_flags());
    assert!(c.wasm_component_model_multiple_returns());
    assert_eq!(c.strategy(), Strategy::Cranelift);
    assert_eq!(c.collector(), Collector::Null);
    assert_eq!(c.profiler(), ProfilingStrategy::PerfMap);
    assert!(c.cranelift_debug_verifier());
    assert_eq!(c.cranelift_opt_level(), OptLevel::SpeedAndSize);
    assert!(c.cranelift_nan_canonicalization());
    assert!(c.cranelift_pcc());
    assert_eq!(
        c.cranelift_flags(),
        &[
            CraneliftFlag::Enable("enable_alias_analysis".into()),
            CraneliftFlag::Set("regalloc_algorithm".into(), "single_pass".into()),
        ]
    );
    assert!(c.with_host_memory().is_some());
    assert!(c.with_host_stack().is_some());
    match c.allocation_strategy() {
        InstanceAllocationStrategy::Pooling(p) => assert_eq!(p.total_memories, 7),
        other => panic!("expected pooling, got {other:?}"),
    }
    assert_eq!(c.static_memory_maximum_size(), GIB);
    assert!(c.static_memory_forced());
    assert_eq!(c.memory_guard_size(), 64 * KIB);
    assert_eq!(c.dynamic_memory_reserved_for_growth(), MIB);
    assert!(!c.guard_before_linear_memory());
    assert!(!c.table_lazy_init());
    assert_eq!(c.module_version_string(), Some("v-custom"));
    assert!(!c.parallel_compilation());
    assert!(!c.generate_address_map());
    assert!(!c.memory_init_cow());
    assert!(c.force_memory_init_memfd());
    assert!(c.coredump_on_trap());
    assert!(c.wmemcheck());
    assert_eq!(c.memory_guaranteed_dense_image_size(), MIB);
    assert!(c.debug_adapter_modules());
    assert_eq!(c.emit_clif(), Some(dir.as_path()));
    assert!(!c.macos_use_mach_ports());
    assert_eq!(
        c.detect_host_feature().unwrap().detect("sse4.2"),
        Some(false)
    );
    assert!(!c.signals_based_traps());
    wasm_config_delete(Some(cfg));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn enum_setters_map_every_constant() {
    let cases: [(u8, OptLevel); 3] = [
        (WASM_OPT_LEVEL_NONE, OptLevel::None),
        (WASM_OPT_LEVEL_SPEED, OptLevel::Speed),
        (WASM_OPT_LEVEL_SPEED_AND_SIZE, OptLevel::SpeedAndSize),
    ];
    for (value, expected) in cases {
        let mut c = wasm_config_new();
        wasm_config_cranelift_opt_level_set(Some(&mut c), value);
        assert_eq!(c.config().cranelift_opt_level(), expected);
        let engine = try_new(c).unwrap();
        assert_eq!(
            engine.engine().isa().flags().opt_level().to_string(),
            expected.cranelift_name()
        );
    }
    let mut c = wasm_config_new();
    for (value, expected) in [
        (WASM_STRATEGY_AUTO, Strategy::Auto),
        (WASM_STRATEGY_WINCH, Strategy::Winch),
    ] {
        wasm_config_strategy_set(Some(&mut c), value);
        assert_eq!(c.config().strategy(), expected);
    }
    for (value, expected) in [
        (WASM_BACKTRACE_DETAILS_ENABLE, WasmBacktraceDetails::Enable),
        (
            WASM_BACKTRACE_DETAILS_ENVIRONMENT,
            WasmBacktraceDetails::Environment,
        ),
    ] {
        wasm_config_wasm_backtrace_details_set(Some(&mut c), value);
        assert_eq!(c.config().wasm_backtrace_details(), expected);
    }
    // The reference's numbering, so C code ports by renaming.
    assert_eq!(
        [
            WASM_PROFILING_STRATEGY_NONE,
            WASM_PROFILING_STRATEGY_JITDUMP,
            WASM_PROFILING_STRATEGY_VTUNE,
            WASM_PROFILING_STRATEGY_PERFMAP
        ],
        [0, 1, 2, 3]
    );
    for (value, expected) in [
        (WASM_PROFILING_STRATEGY_JITDUMP, ProfilingStrategy::JitDump),
        (WASM_PROFILING_STRATEGY_VTUNE, ProfilingStrategy::VTune),
        (WASM_PROFILING_STRATEGY_NONE, ProfilingStrategy::None),
    ] {
        wasm_config_profiler_set(Some(&mut c), value);
        assert_eq!(c.config().profiler(), expected);
    }
    wasm_config_collector_set(Some(&mut c), WASM_COLLECTOR_DEFERRED_REFERENCE_COUNTING);
    assert_eq!(c.config().collector(), Collector::DeferredReferenceCounting);
    // SAFETY: NULL is allowed for non-custom strategies.
    let none = unsafe {
        wasm_config_module_version_set(Some(&mut c), WASM_MODULE_VERSION_STRATEGY_NONE, null())
    };
    assert_eq!(error_text(none), None);
    assert_eq!(c.config().module_version_string(), None);
    wasm_config_delete(Some(c));
}

#[test]
fn out_of_range_enum_values_are_refused_at_engine_creation() {
    let msg = assert_refused("strategy", |c| wasm_config_strategy_set(Some(c), 9));
    assert!(msg.contains("invalid value 9"), "{msg}");
    assert_refused("collector", |c| wasm_config_collector_set(Some(c), 3));
    assert_refused("profiler", |c| wasm_config_profiler_set(Some(c), 200));
    assert_refused("cranelift_opt_level", |c| {
        wasm_config_cranelift_opt_level_set(Some(c), 3)
    });
    assert_refused("wasm_backtrace_details", |c| {
        wasm_config_wasm_backtrace_details_set(Some(c), 77)
    });
    // A later valid value replaces the bad one.
    assert_builds(|c| {
        wasm_config_strategy_set(Some(c), 42);
        wasm_config_strategy_set(Some(c), WASM_STRATEGY_CRANELIFT);
    });
}

#[test]
fn invalid_combinations_name_the_option() {
    assert_refused("max_wasm_stack", |c| {
        wasm_config_max_wasm_stack_set(Some(c), 0)
    });
    let msg = assert_refused("max_wasm_stack", |c| {
        wasm_config_async_support_set(Some(c), true);
        wasm_config_max_wasm_stack_set(Some(c), 4 << 20);
        wasm_config_async_stack_size_set(Some(c), 1 << 20);
    });
    assert!(msg.contains("async_stack_size"), "{msg}");
    // A stack creator serves async calls only.
    let msg = assert_refused("with_host_stack", |c| {
        let stacks = wasm_stack_creator_t {
            env: null_mut(),
            new_stack: Some(failing_new_stack),
            finalizer: None,
        };
        wasm_config_with_host_stack_set(Some(c), Some(&stacks));
    });
    assert!(msg.contains("needs async_support"), "{msg}");
    let msg = assert_refused("wasm_reference_types", |c| {
        wasm_config_wasm_threads_set(Some(c), false);
        wasm_config_wasm_bulk_memory_set(Some(c), false)
    });
    assert!(msg.contains("wasm_bulk_memory"), "{msg}");
    let msg = assert_refused("wasm_threads", |c| {
        wasm_config_wasm_reference_types_set(Some(c), false);
        wasm_config_wasm_bulk_memory_set(Some(c), false)
    });
    assert!(msg.contains("requires wasm_bulk_memory"), "{msg}");
    assert_refused("wasm_function_references", |c| {
        wasm_config_wasm_function_references_set(Some(c), true);
        wasm_config_wasm_reference_types_set(Some(c), false);
    });
    let msg = assert_refused("wasm_gc", |c| wasm_config_wasm_gc_set(Some(c), true));
    assert!(msg.contains("requires wasm_function_references"), "{msg}");
    assert_refused("wasm_relaxed_simd", |c| {
        wasm_config_wasm_simd_set(Some(c), false)
    });
    assert_refused("wasm_component_model_more_flags", |c| {
        wasm_config_wasm_component_model_more_flags_set(Some(c), true)
    });
    assert_refused("wasm_component_model_multiple_returns", |c| {
        wasm_config_wasm_component_model_multiple_returns_set(Some(c), true)
    });
    let msg = assert_refused("allocation_strategy", |c| {
        let mut pooling = wasm_pooling_allocation_config_new();
        wasm_pooling_allocation_config_max_memory_size_set(Some(&mut pooling), 8 << 30);
        wasm_config_static_memory_maximum_size_set(Some(c), 1 << 30);
        wasm_config_allocation_strategy_set(Some(c), Some(&pooling));
        wasm_pooling_allocation_config_delete(Some(pooling));
    });
    assert!(msg.contains("max_memory_size"), "{msg}");
    assert_refused("allocation_strategy", |c| {
        let mut pooling = wasm_pooling_allocation_config_new();
        wasm_pooling_allocation_config_max_tables_per_module_set(Some(&mut pooling), 5);
        wasm_pooling_allocation_config_total_tables_set(Some(&mut pooling), 2);
        wasm_config_allocation_strategy_set(Some(c), Some(&pooling));
        wasm_pooling_allocation_config_delete(Some(pooling));
    });
    assert_refused("static_memory_maximum_size", |c| {
        wasm_config_static_memory_maximum_size_set(Some(c), u64::MAX - 10)
    });
    let missing = cstring("/nonexistent/wasm-runtime-clif-dir");
    // SAFETY: NUL-terminated string (copied by the setter).
    assert_refused("emit_clif", |c| unsafe {
        wasm_config_emit_clif_set(Some(c), missing.as_ptr())
    });
}

#[test]
fn bad_cranelift_flags_are_refused_by_name() {
    // SAFETY (all closures): NUL-terminated strings.
    let msg = assert_refused("cranelift_flag_enable", |c| unsafe {
        wasm_config_cranelift_flag_enable_set(Some(c), c"no_such_flag".as_ptr())
    });
    assert!(msg.contains("no_such_flag"), "{msg}");
    let msg = assert_refused("cranelift_flag_set", |c| unsafe {
        wasm_config_cranelift_flag_set_set(Some(c), c"no_such_setting".as_ptr(), c"1".as_ptr())
    });
    assert!(msg.contains("no_such_setting"), "{msg}");
    let msg = assert_refused("cranelift_flag_set", |c| unsafe {
        wasm_config_cranelift_flag_set_set(Some(c), c"opt_level".as_ptr(), c"fastest".as_ptr())
    });
    assert!(
        msg.contains("opt_level") && msg.contains("fastest"),
        "{msg}"
    );
    assert_refused("cranelift_flag_enable", |c| unsafe {
        // An enum setting cannot be "enabled".
        wasm_config_cranelift_flag_enable_set(Some(c), c"opt_level".as_ptr())
    });
    assert_refused("cranelift_flag_set", |c| unsafe {
        wasm_config_cranelift_flag_set_set(
            Some(c),
            c"preserve_frame_pointers".as_ptr(),
            c"false".as_ptr(),
        )
    });
    assert_refused("cranelift_flag_set", |c| unsafe {
        wasm_config_cranelift_flag_set_set(Some(c), c"unwind_info".as_ptr(), c"false".as_ptr())
    });
    assert_refused("signals_based_traps", |c| unsafe {
        wasm_config_signals_based_traps_set(Some(c), false);
        wasm_config_cranelift_flag_enable_set(
            Some(c),
            c"enable_heap_access_spectre_mitigation".as_ptr(),
        )
    });
    assert_refused("cranelift_flag_enable", |c| unsafe {
        wasm_config_cranelift_flag_enable_set(Some(c), null())
    });
    assert_refused("cranelift_flag_set", |c| unsafe {
        wasm_config_cranelift_flag_set_set(Some(c), c"opt_level".as_ptr(), null())
    });
    // Valid flags reach the ISA, in order.
    let engine = assert_builds(|c| unsafe {
        wasm_config_cranelift_flag_set_set(Some(c), c"opt_level".as_ptr(), c"none".as_ptr());
        wasm_config_cranelift_flag_set_set(
            Some(c),
            c"opt_level".as_ptr(),
            c"speed_and_size".as_ptr(),
        );
        wasm_config_cranelift_flag_enable_set(Some(c), c"enable_verifier".as_ptr());
    });
    let flags = engine.engine().isa().flags();
    assert_eq!(
        flags.opt_level(),
        cranelift_codegen::settings::OptLevel::SpeedAndSize
    );
    assert!(flags.enable_verifier());
}

#[test]
fn options_this_build_lacks_are_refused() {
    unsupported("strategy", |c| {
        wasm_config_strategy_set(Some(c), WASM_STRATEGY_WINCH)
    });
    unsupported("collector", |c| {
        wasm_config_wasm_function_references_set(Some(c), true);
        wasm_config_wasm_gc_set(Some(c), true);
        wasm_config_collector_set(Some(c), WASM_COLLECTOR_DEFERRED_REFERENCE_COUNTING)
    });
    unsupported("wasm_component_model", |c| {
        wasm_config_wasm_component_model_set(Some(c), true)
    });
    // The flags need the model, and the model itself is refused.
    unsupported("wasm_component_model", |c| {
        wasm_config_wasm_component_model_set(Some(c), true);
        wasm_config_wasm_component_model_more_flags_set(Some(c), true);
        wasm_config_wasm_component_model_multiple_returns_set(Some(c), true);
    });
    unsupported("debug_adapter_modules", |c| {
        wasm_config_debug_adapter_modules_set(Some(c), true)
    });
    unsupported("cranelift_pcc", |c| {
        wasm_config_cranelift_pcc_set(Some(c), true)
    });
    unsupported("macos_use_mach_ports", |c| {
        wasm_config_macos_use_mach_ports_set(Some(c), true)
    });
}

#[test]
fn valid_configurations_build_engines() {
    assert_builds(|_| {});
    assert_builds(|c| wasm_config_wmemcheck_set(Some(c), true));
    assert_builds(|c| {
        wasm_config_async_support_set(Some(c), true);
        wasm_config_async_stack_size_set(Some(c), 1 << 20);
        let stacks = wasm_stack_creator_t {
            env: null_mut(),
            new_stack: Some(failing_new_stack),
            finalizer: None,
        };
        wasm_config_host_stack_creator_set(Some(c), Some(&stacks));
    });
    assert_builds(|c| {
        wasm_config_wasm_reference_types_set(Some(c), false);
        wasm_config_wasm_threads_set(Some(c), false);
        wasm_config_wasm_bulk_memory_set(Some(c), false);
    });
    let engine = assert_builds(|c| {
        wasm_config_wasm_simd_set(Some(c), false);
        wasm_config_wasm_relaxed_simd_set(Some(c), false);
        wasm_config_wasm_function_references_set(Some(c), true);
        wasm_config_wasm_memory64_set(Some(c), true);
        wasm_config_wasm_custom_page_sizes_set(Some(c), true);
        wasm_config_wasm_wide_arithmetic_set(Some(c), true);
        wasm_config_wasm_threads_set(Some(c), false);
    });
    let features = engine.engine().wasm_features();
    assert!(!features.simd() && !features.relaxed_simd() && !features.threads());
    assert!(features.function_references() && features.memory64());
    assert!(features.custom_page_sizes() && features.wide_arithmetic());
    let engine = assert_builds(|c| {
        wasm_config_signals_based_traps_set(Some(c), false);
        wasm_config_native_unwind_info_set(Some(c), false);
        wasm_config_cranelift_debug_verifier_set(Some(c), true);
        wasm_config_cranelift_nan_canonicalization_set(Some(c), true);
        wasm_config_consume_fuel_set(Some(c), true);
        wasm_config_epoch_interruption_set(Some(c), true);
        wasm_config_macos_use_mach_ports_set(Some(c), false);
        wasm_config_strategy_set(Some(c), WASM_STRATEGY_CRANELIFT);
        wasm_config_max_wasm_stack_set(Some(c), 8 << 20);
    });
    let flags = engine.engine().isa().flags();
    assert!(!flags.unwind_info() && flags.enable_verifier() && flags.enable_nan_canonicalization());
    assert!(!flags.enable_heap_access_spectre_mitigation());
    assert!(!flags.enable_table_access_spectre_mitigation());
    assert_eq!(engine.engine().config().max_wasm_stack(), 8 << 20);
    assert_builds(|c| {
        let pooling = wasm_pooling_allocation_config_new();
        wasm_config_allocation_strategy_set(Some(c), Some(&pooling));
        wasm_pooling_allocation_config_delete(Some(pooling));
        wasm_config_allocation_strategy_set(Some(c), None);
    });
    assert_builds(|c| {
        let pooling = wasm_pooling_allocation_config_new();
        wasm_config_allocation_strategy_set(Some(c), Some(&pooling));
        wasm_pooling_allocation_config_delete(Some(pooling));
    });
    // async_stack_size alone (async off) is just a stored knob.
    assert_builds(|c| wasm_config_async_stack_size_set(Some(c), 4096));
    let dir = temp_dir("clif");
    let clif = cstring(dir.to_str().unwrap());
    // SAFETY: NUL-terminated strings.
    let engine = assert_builds(|c| unsafe {
        wasm_config_emit_clif_set(Some(c), clif.as_ptr());
    });
    assert_eq!(engine.engine().config().emit_clif(), Some(dir.as_path()));
    std::fs::remove_dir_all(&dir).unwrap();
    let host = cstring(&target_lexicon::Triple::host().to_string());
    // SAFETY: NUL-terminated string.
    let engine = assert_builds(|c| unsafe {
        assert_eq!(
            error_text(wasm_config_target_set(Some(c), host.as_ptr())),
            None
        );
    });
    assert!(engine.engine().is_host_target());
}

#[test]
fn failing_setters_return_errors() {
    let mut c = wasm_config_new();
    // SAFETY (block): NUL-terminated strings or NULL, as each setter allows.
    unsafe {
        let msg = config_error_text(wasm_config_target_set(
            Some(&mut c),
            c"bogus-triple".as_ptr(),
        ));
        assert!(
            msg.starts_with("target:") && msg.contains("bogus-triple"),
            "{msg}"
        );
        let msg = error_text(wasm_config_target_set(Some(&mut c), null())).unwrap();
        assert!(msg.starts_with("target:"), "{msg}");
        // The build compiles for x86-64 and aarch64 only.
        let msg = config_error_text(wasm_config_target_set(
            Some(&mut c),
            c"riscv64gc-unknown-linux-gnu".as_ptr(),
        ));
        assert!(msg.contains("not supported by this build"), "{msg}");
        assert_eq!(
            c.config().target(),
            None,
            "failed setters leave the option alone"
        );

        let msg = config_error_text(wasm_config_cache_config_load_set(
            Some(&mut c),
            c"/nonexistent/wasm-runtime/cache.toml".as_ptr(),
        ));
        assert!(
            msg.starts_with("cache_config_load:") && msg.contains("/nonexistent"),
            "{msg}"
        );

        let long = cstring(&"x".repeat(256));
        let msg = config_error_text(wasm_config_module_version_set(
            Some(&mut c),
            WASM_MODULE_VERSION_STRATEGY_CUSTOM,
            long.as_ptr(),
        ));
        assert!(
            msg.starts_with("module_version:") && msg.contains("256"),
            "{msg}"
        );
        let max = cstring(&"x".repeat(255));
        let ok = wasm_config_module_version_set(
            Some(&mut c),
            WASM_MODULE_VERSION_STRATEGY_CUSTOM,
            max.as_ptr(),
        );
        assert_eq!(error_text(ok), None);
        let msg = error_text(wasm_config_module_version_set(Some(&mut c), 9, null())).unwrap();
        assert!(msg.starts_with("module_version:"), "{msg}");
        let msg = error_text(wasm_config_module_version_set(
            Some(&mut c),
            WASM_MODULE_VERSION_STRATEGY_CUSTOM,
            null(),
        ))
        .unwrap();
        assert!(msg.starts_with("module_version:"), "{msg}");
        assert_eq!(c.config().module_version_string().map(str::len), Some(255));
    }
    wasm_config_delete(Some(c));
}

#[test]
fn cache_config_file_errors_name_the_line() {
    let dir = temp_dir("cache-errors");
    let file = dir.join("bad.toml");
    std::fs::write(&file, "[cache]\nenabled = true\nbogus-key = 3\n").unwrap();
    let path = cstring(file.to_str().unwrap());
    let mut c = wasm_config_new();
    // SAFETY: NUL-terminated string.
    let msg = config_error_text(unsafe {
        wasm_config_cache_config_load_set(Some(&mut c), path.as_ptr())
    });
    assert!(msg.contains("line 3") && msg.contains("bogus-key"), "{msg}");
    std::fs::write(&file, "[cache]\nenabled = false\n").unwrap();
    // SAFETY: NUL-terminated string.
    let ok = unsafe { wasm_config_cache_config_load_set(Some(&mut c), path.as_ptr()) };
    assert_eq!(error_text(ok), None);
    assert!(
        c.config().cache_config().is_none(),
        "enabled = false disables the cache"
    );
    wasm_config_delete(Some(c));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The only test that reads or changes XDG_* variables.
#[test]
fn cache_config_load_default_uses_xdg_folders() {
    let dir = temp_dir("xdg");
    std::env::set_var("XDG_CONFIG_HOME", dir.join("config"));
    std::env::set_var("XDG_CACHE_HOME", dir.join("cache"));
    let mut c = wasm_config_new();
    assert_eq!(
        error_text(wasm_config_cache_config_load_default_set(Some(&mut c))),
        None
    );
    let cache = c
        .config()
        .cache_config()
        .expect("enabled by default")
        .clone();
    assert_eq!(cache.directory, dir.join("cache").join("wasm-runtime"));
    assert!(!cache.directory.exists(), "made by the first entry only");

    std::fs::create_dir_all(dir.join("config/wasm-runtime")).unwrap();
    std::fs::write(
        dir.join("config/wasm-runtime/config.toml"),
        "[cache]\ndirectory = \"elsewhere\"\n",
    )
    .unwrap();
    assert_eq!(
        error_text(wasm_config_cache_config_load_default_set(Some(&mut c))),
        None
    );
    assert_eq!(
        c.config().cache_config().unwrap().directory,
        dir.join("config/wasm-runtime/elsewhere")
    );
    wasm_config_disable_cache_set(Some(&mut c));
    assert!(c.config().cache_config().is_none());
    wasm_config_delete(Some(c));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn null_pointers_do_not_crash() {
    // Every setter with a NULL config.
    wasm_config_async_support_set(None, true);
    wasm_config_max_wasm_stack_set(None, 0);
    wasm_config_static_memory_maximum_size_set(None, 1);
    wasm_config_strategy_set(None, 200);
    wasm_config_collector_set(None, 0);
    wasm_config_profiler_set(None, 0);
    wasm_config_cranelift_opt_level_set(None, 0);
    wasm_config_wasm_backtrace_details_set(None, 0);
    wasm_config_disable_cache_set(None);
    wasm_config_with_host_memory_set(None, None);
    wasm_config_with_host_stack_set(None, None);
    wasm_config_detect_host_feature_set(None, None);
    wasm_config_allocation_strategy_set(None, None);
    wasm_pooling_allocation_config_total_memories_set(None, 1);
    wasm_pooling_allocation_config_delete(None);
    // SAFETY: NULL strings are allowed.
    unsafe {
        wasm_config_cranelift_flag_enable_set(None, null());
        wasm_config_cranelift_flag_set_set(None, null(), null());
        wasm_config_emit_clif_set(None, null());
        assert!(error_text(wasm_config_target_set(None, null())).is_some());
        assert!(error_text(wasm_config_cache_config_load_set(None, null())).is_some());
        assert!(error_text(wasm_config_module_version_set(None, 0, null())).is_some());
        let mut c = wasm_config_new();
        assert!(error_text(wasm_config_cache_config_load_set(Some(&mut c), null())).is_some());
        wasm_config_delete(Some(c));
    }
    assert!(error_text(wasm_config_cache_config_load_default_set(None)).is_some());
    assert!(error_text(wasm_config_enable_incremental_compilation_set(None, None)).is_some());
    wasm_config_delete(None);
    wasm_engine_delete(None);
    wasm_engine_increment_epoch(None);
    assert!(wasm_engine_new_with_config(None).is_none());
    let (kind, msg) = error_kind_and_text(wasm_engine_try_new(None, None)).unwrap();
    assert_eq!(
        kind, WASM_ERROR_KIND_OTHER,
        "a NULL argument is no configuration error"
    );
    assert!(msg.contains("config is NULL"), "{msg}");
    let (kind, msg) =
        error_kind_and_text(wasm_engine_try_new(Some(wasm_config_new()), None)).unwrap();
    assert_eq!(kind, WASM_ERROR_KIND_OTHER);
    assert!(msg.contains("engine_out is NULL"), "{msg}");

    // Callback structs with NULL callbacks are refused at engine creation.
    assert_refused("with_host_memory", |c| {
        let creator = wasm_memory_creator_t {
            env: null_mut(),
            new_memory: None,
            finalizer: None,
        };
        wasm_config_with_host_memory_set(Some(c), Some(&creator));
    });
    assert_refused("detect_host_feature", |c| {
        let detector = wasm_host_feature_detector_t {
            env: null_mut(),
            detect: None,
            finalizer: None,
        };
        wasm_config_detect_host_feature_set(Some(c), Some(&detector));
    });
    // Clearing with NULL afterwards makes the config valid again.
    assert_builds(|c| {
        let detector = wasm_host_feature_detector_t {
            env: null_mut(),
            detect: None,
            finalizer: None,
        };
        wasm_config_detect_host_feature_set(Some(c), Some(&detector));
        wasm_config_detect_host_feature_set(Some(c), None);
    });
}

#[test]
fn epochs_advance_through_the_c_api() {
    let engine = wasm_engine_new().unwrap();
    assert_eq!(engine.engine().current_epoch(), 0);
    wasm_engine_increment_epoch(Some(&engine));
    wasm_engine_increment_epoch(Some(&engine));
    assert_eq!(engine.engine().current_epoch(), 2);
    wasm_engine_delete(Some(engine));
}

// ---------------------------------------------------------------------------
// Embedder callbacks

static MEMORY_CREATOR_FINALIZED: AtomicUsize = AtomicUsize::new(0);
static LINEAR_MEMORY_FINALIZED: AtomicUsize = AtomicUsize::new(0);
static CACHE_STORE_FINALIZED: AtomicUsize = AtomicUsize::new(0);
static DETECTOR_FINALIZED: AtomicUsize = AtomicUsize::new(0);

unsafe extern "C" fn count_finalizer(env: *mut c_void) {
    // SAFETY: every test passes a pointer to one of the static counters.
    unsafe { &*(env as *const AtomicUsize) }.fetch_add(1, Ordering::SeqCst);
}

fn counter_env(counter: &'static AtomicUsize) -> *mut c_void {
    counter as *const AtomicUsize as *mut c_void
}

/// A linear memory backed by a boxed byte vector with fixed capacity.
struct VecMemory {
    bytes: Vec<u8>,
    size: usize,
}

unsafe extern "C" fn vec_new_memory(
    _env: *mut c_void,
    minimum: usize,
    maximum: usize,
    _reserved: usize,
    _guard: usize,
    out: *mut wasm_linear_memory_t,
) -> Option<Box<wasm_error_t>> {
    if minimum > 1 << 20 {
        return Some(wasm_error_t::boxed(anyhow::anyhow!("too big: {minimum}")));
    }
    let capacity = maximum.min(1 << 20);
    let memory = Box::new(VecMemory {
        bytes: vec![0; capacity],
        size: minimum,
    });
    // SAFETY: `out` is the library's valid out-param.
    unsafe {
        *out = wasm_linear_memory_t {
            env: Box::into_raw(memory) as *mut c_void,
            get_memory: Some(vec_get_memory),
            grow_memory: Some(vec_grow_memory),
            finalizer: Some(vec_finalize),
        };
    }
    None
}

unsafe extern "C" fn vec_get_memory(
    env: *mut c_void,
    size: *mut usize,
    capacity: *mut usize,
) -> *mut u8 {
    // SAFETY: `env` is the `VecMemory` made by `vec_new_memory`.
    let memory = unsafe { &mut *(env as *mut VecMemory) };
    // SAFETY: the library passes valid out-params.
    unsafe {
        *size = memory.size;
        *capacity = memory.bytes.len();
    }
    memory.bytes.as_mut_ptr()
}

unsafe extern "C" fn vec_grow_memory(
    env: *mut c_void,
    new_size: usize,
) -> Option<Box<wasm_error_t>> {
    // SAFETY: `env` is the `VecMemory` made by `vec_new_memory`.
    let memory = unsafe { &mut *(env as *mut VecMemory) };
    if new_size > memory.bytes.len() {
        return Some(wasm_error_t::boxed(anyhow::anyhow!(
            "cannot grow to {new_size}"
        )));
    }
    memory.size = new_size;
    None
}

unsafe extern "C" fn vec_finalize(env: *mut c_void) {
    // SAFETY: `env` is the `VecMemory` made by `vec_new_memory`, freed once.
    drop(unsafe { Box::from_raw(env as *mut VecMemory) });
    LINEAR_MEMORY_FINALIZED.fetch_add(1, Ordering::SeqCst);
}

unsafe extern "C" fn failing_new_stack(
    _env: *mut c_void,
    _size: usize,
    _zeroed: bool,
    _out: *mut wasm_stack_memory_t,
) -> Option<Box<wasm_error_t>> {
    Some(wasm_error_t::boxed(anyhow::anyhow!("no stacks here")))
}

/// A host detector reporting an SSE4.2 CPU that lacks SSE4.1 (only
/// "sse4.1" is denied among the features below SSE4.2, nothing above it
/// is claimed).
unsafe extern "C" fn detect_all_but_sse41(_env: *mut c_void, feature: *const c_char) -> i8 {
    // SAFETY: the library passes a NUL-terminated name.
    let name = unsafe { std::ffi::CStr::from_ptr(feature) };
    match name.to_bytes() {
        b"sse3" | b"ssse3" | b"sse4.2" | b"popcnt" | b"cmpxchg16b" => 1,
        _ => 0,
    }
}

/// Issue 9: on x86-64, wasm SIMD needs SSE4.2 and below. A host without
/// SSE4.1 (as `detect_host_feature` reports it) builds no engine with
/// SIMD on, and the error names `wasm_simd` and the missing feature; with
/// SIMD off the same host builds one.
#[cfg(target_arch = "x86_64")]
#[test]
fn simd_needs_sse42_and_below() {
    let detector = wasm_host_feature_detector_t {
        env: null_mut(),
        detect: Some(detect_all_but_sse41),
        finalizer: None,
    };
    let msg = assert_refused("wasm_simd", |c| {
        wasm_config_detect_host_feature_set(Some(c), Some(&detector));
    });
    assert!(msg.contains("sse4.1") && !msg.contains("sse4.2,"), "{msg}");
    assert!(msg.contains("disable wasm_simd"), "{msg}");
    // Relaxed SIMD alone cannot be on (it requires SIMD); with both off the
    // engine builds, without SSE4.1 in its ISA.
    let engine = assert_builds(|c| {
        wasm_config_detect_host_feature_set(Some(c), Some(&detector));
        wasm_config_wasm_relaxed_simd_set(Some(c), false);
        wasm_config_wasm_simd_set(Some(c), false);
    });
    let flags = engine.engine().isa().isa_flags();
    let sse41 = flags.iter().find(|f| f.name == "has_sse41").unwrap();
    assert_eq!(sse41.as_bool(), Some(false));
    wasm_engine_delete(Some(engine));
    // With every feature it has, the host builds a SIMD engine.
    assert_builds(|_| {});
}

unsafe extern "C" fn detect_nothing(_env: *mut c_void, _feature: *const c_char) -> i8 {
    0
}

unsafe extern "C" fn cache_get(
    _env: *mut c_void,
    _key: *const u8,
    _len: usize,
    _out: *mut wasm_byte_vec_t,
) -> bool {
    false
}

unsafe extern "C" fn cache_insert(
    _env: *mut c_void,
    _key: *const u8,
    _key_len: usize,
    _value: *const u8,
    _value_len: usize,
) -> bool {
    false
}

#[test]
fn host_memory_callbacks_work_and_finalize_once() {
    let creator = wasm_memory_creator_t {
        env: counter_env(&MEMORY_CREATOR_FINALIZED),
        new_memory: Some(vec_new_memory),
        finalizer: Some(count_finalizer),
    };
    let mut c = wasm_config_new();
    wasm_config_with_host_memory_set(Some(&mut c), Some(&creator));
    let engine = try_new(c).unwrap();
    assert_eq!(
        MEMORY_CREATOR_FINALIZED.load(Ordering::SeqCst),
        0,
        "engine keeps the creator"
    );

    let memory_creator = engine.engine().config().with_host_memory().unwrap().clone();
    let mut memory = memory_creator
        .new_memory(4096, Some(8192), None, 0)
        .unwrap();
    assert_eq!(memory.byte_size(), 4096);
    assert_eq!(memory.byte_capacity(), 8192);
    assert!(!memory.as_ptr().is_null());
    memory.grow_to(8192).unwrap();
    assert_eq!(memory.byte_size(), 8192);
    let msg = format!("{:#}", memory.grow_to(8193).unwrap_err());
    assert!(
        msg.contains("grow_memory failed") && msg.contains("cannot grow to 8193"),
        "{msg}"
    );
    drop(memory);
    assert_eq!(LINEAR_MEMORY_FINALIZED.load(Ordering::SeqCst), 1);
    let msg = format!(
        "{:#}",
        memory_creator
            .new_memory(2 << 20, None, None, 0)
            .err()
            .unwrap()
    );
    assert!(msg.contains("too big"), "{msg}");

    drop(memory_creator);
    wasm_engine_delete(Some(engine));
    assert_eq!(MEMORY_CREATOR_FINALIZED.load(Ordering::SeqCst), 1);
}

#[test]
fn incremental_cache_store_is_finalized_with_its_last_config() {
    let store = wasm_cache_store_t {
        env: counter_env(&CACHE_STORE_FINALIZED),
        get: Some(cache_get),
        insert: Some(cache_insert),
        finalizer: Some(count_finalizer),
    };
    let mut c = wasm_config_new();
    assert!(wasm_config_enable_incremental_compilation_set(Some(&mut c), Some(&store)).is_none());
    assert_eq!(CACHE_STORE_FINALIZED.load(Ordering::SeqCst), 0);
    wasm_config_delete(Some(c));
    assert_eq!(CACHE_STORE_FINALIZED.load(Ordering::SeqCst), 1);
}

#[test]
fn feature_detector_drives_the_host_isa() {
    let detector = wasm_host_feature_detector_t {
        env: counter_env(&DETECTOR_FINALIZED),
        detect: Some(detect_nothing),
        finalizer: Some(count_finalizer),
    };
    let mut c = wasm_config_new();
    wasm_config_detect_host_feature_set(Some(&mut c), Some(&detector));
    // The x86-64 baseline cannot run SIMD (see `simd_needs_sse42_and_below`).
    wasm_config_wasm_relaxed_simd_set(Some(&mut c), false);
    wasm_config_wasm_simd_set(Some(&mut c), false);
    let copy = wasm_engine_new_with_config(Some(c)).expect("baseline host ISA");
    if cfg!(target_arch = "x86_64") {
        let flags = copy.engine().isa().isa_flags();
        let sse42 = flags.iter().find(|f| f.name == "has_sse42").unwrap();
        assert_eq!(sse42.as_bool(), Some(false), "the detector said no");
    }
    wasm_engine_delete(Some(copy));
    assert_eq!(DETECTOR_FINALIZED.load(Ordering::SeqCst), 1);

    if cfg!(target_arch = "x86_64") {
        // Enabling a feature the detector denies is refused by name.
        let msg = assert_refused("cranelift_flag_enable", |c| {
            let detector = wasm_host_feature_detector_t {
                env: null_mut(),
                detect: Some(detect_nothing),
                finalizer: None,
            };
            wasm_config_detect_host_feature_set(Some(c), Some(&detector));
            // SAFETY: NUL-terminated string.
            unsafe { wasm_config_cranelift_flag_enable_set(Some(c), c"has_avx".as_ptr()) };
        });
        assert!(msg.contains("has_avx"), "{msg}");
    }
}

/// Issue 20: an ISA flag the host lacks, requested through
/// `cranelift_flag_set`, is reported as coming from `cranelift_flag_set`
/// (it used to name `cranelift_flag_enable` whatever the request was).
#[test]
fn denied_isa_flag_names_the_setter_that_requested_it() {
    let flag = if cfg!(target_arch = "aarch64") {
        c"has_lse"
    } else {
        c"has_avx"
    };
    let deny_everything = |c: &mut wasm_config_t| {
        let detector = wasm_host_feature_detector_t {
            env: null_mut(),
            detect: Some(detect_nothing),
            finalizer: None,
        };
        wasm_config_detect_host_feature_set(Some(c), Some(&detector));
    };
    let name = flag.to_str().unwrap();
    let msg = assert_refused("cranelift_flag_set", |c| {
        deny_everything(c);
        // SAFETY: NUL-terminated strings.
        unsafe { wasm_config_cranelift_flag_set_set(Some(c), flag.as_ptr(), c"true".as_ptr()) };
    });
    assert!(msg.contains(name), "{msg}");
    // The last request for the setting is the one named.
    let msg = assert_refused("cranelift_flag_enable", |c| {
        deny_everything(c);
        // SAFETY: NUL-terminated strings.
        unsafe {
            wasm_config_cranelift_flag_set_set(Some(c), flag.as_ptr(), c"false".as_ptr());
            wasm_config_cranelift_flag_enable_set(Some(c), flag.as_ptr());
        }
    });
    assert!(msg.contains(name), "{msg}");
    let msg = assert_refused("cranelift_flag_set", |c| {
        deny_everything(c);
        // SAFETY: NUL-terminated strings.
        unsafe {
            wasm_config_cranelift_flag_enable_set(Some(c), flag.as_ptr());
            wasm_config_cranelift_flag_set_set(Some(c), flag.as_ptr(), c"true".as_ptr());
        }
    });
    assert!(msg.contains(name), "{msg}");
}
