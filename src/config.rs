//! Engine configuration: every option of the Config reference
//! (`config-reference.txt`, Wasmtime's `Config`), its default, and the
//! validation that runs when an engine is built.
//!
//! The options are declared once, in the table `src/config/table.rs`: one
//! row per option with its type, default, one-line doc, status in this
//! build (works / validated only / off only), whether it shapes compiled
//! code, and the wasm proposal it enables. `build.rs` generates from it the
//! `Config` struct, its defaults, the accessors of plain options, the
//! option-dependency and off-only checks, [`Config::wasm_features`], the
//! settings serialized modules record, and the [`OPTIONS`] and
//! [`PROPOSALS`] tables (included below); also the C setters and their
//! docs, and the README's option table. Accessors that need code are in
//! `accessors.rs`, validation that needs code in `validate.rs`.
//!
//! Setters only record values (a few that can be checked on their own,
//! such as `target`, fail at once); `Config::validate` checks the
//! combination when `Engine::new` runs, as the reference specifies. Options
//! whose behaviour this build does not provide are refused there by name
//! rather than silently ignored. Everything else is a knob the compiler and
//! runtime read through the getters.

mod accessors;
mod cache;
mod host;
mod options;
mod pooling;
mod types;
mod validate;

pub use crate::environ::features::{Proposal, Support, PROPOSALS};
pub use cache::{default_cache_directory, default_config_file, CacheConfig};
pub use host::{
    CacheStore, HostFeatureDetector, LinearMemory, MemoryCreator, StackCreator, StackMemory,
};
pub use options::{CodeShaping, OptionInfo, Status};
pub use pooling::{InstanceAllocationStrategy, PoolingAllocationConfig};
pub use types::{
    CacheSetting, Collector, CraneliftFlag, ModuleVersionStrategy, OptLevel, ProfilingStrategy,
    Strategy, WasmBacktraceDetails, MAX_MODULE_VERSION_LEN,
};
pub use validate::option_error;

use anyhow::Result;
use std::path::PathBuf;
use std::sync::Arc;
use target_lexicon::Triple;
use validate::not_in_this_build;
use wasmparser::WasmFeatures;

const KIB: u64 = 1 << 10;
const MIB: u64 = 1 << 20;
const GIB: u64 = 1 << 30;
const IS_64_BIT: bool = cfg!(target_pointer_width = "64");

// `Config`, its `Default`, the plain accessors, the table-driven checks,
// `wasm_features`, `code_shaping_settings` and `OPTIONS` (`PROPOSALS` is
// generated beside it into `environ::features`).
include!(concat!(env!("OUT_DIR"), "/config_table.rs"));

impl Config {
    /// A configuration with every option at its default.
    pub fn new() -> Config {
        Config::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_validate() {
        Config::new().validate().unwrap();
    }

    #[test]
    fn default_features_match_the_options() {
        let f = Config::new().wasm_features();
        assert!(f.contains(
            WasmFeatures::SIMD | WasmFeatures::REFERENCE_TYPES | WasmFeatures::BULK_MEMORY
        ));
        assert!(f.contains(
            WasmFeatures::TAIL_CALL | WasmFeatures::THREADS | WasmFeatures::RELAXED_SIMD
        ));
        assert!(!f.contains(WasmFeatures::GC));
        assert!(!f.contains(WasmFeatures::MEMORY64));
        assert!(!f.contains(WasmFeatures::FUNCTION_REFERENCES));
        assert!(f.contains(WasmFeatures::EXCEPTIONS));
        assert!(!f.contains(WasmFeatures::LEGACY_EXCEPTIONS));
        let mut c = Config::new();
        c.set_wasm_reference_types(false)
            .set_wasm_bulk_memory(false);
        let f = c.wasm_features();
        assert!(!f.contains(WasmFeatures::REFERENCE_TYPES));
        assert!(!f.bulk_memory());
    }

    /// The features are exactly what they were before the table: the MVP,
    /// sign extension and saturating conversions always, plus each option.
    #[test]
    fn features_are_the_always_on_set_plus_each_enabled_option() {
        let mut c = Config::new();
        let feature_options = OPTIONS
            .iter()
            .filter(|o| o.name.starts_with("wasm_") && !o.name.starts_with("wasm_backtrace"));
        for option in feature_options {
            let setter: fn(&mut Config, bool) -> &mut Config = match option.name {
                "wasm_tail_call" => Config::set_wasm_tail_call,
                "wasm_custom_page_sizes" => Config::set_wasm_custom_page_sizes,
                "wasm_threads" => Config::set_wasm_threads,
                "wasm_reference_types" => Config::set_wasm_reference_types,
                "wasm_function_references" => Config::set_wasm_function_references,
                "wasm_exceptions" => Config::set_wasm_exceptions,
                "wasm_wide_arithmetic" => Config::set_wasm_wide_arithmetic,
                "wasm_gc" => Config::set_wasm_gc,
                "wasm_simd" => Config::set_wasm_simd,
                "wasm_relaxed_simd" => Config::set_wasm_relaxed_simd,
                "wasm_bulk_memory" => Config::set_wasm_bulk_memory,
                "wasm_multi_value" => Config::set_wasm_multi_value,
                "wasm_multi_memory" => Config::set_wasm_multi_memory,
                "wasm_memory64" => Config::set_wasm_memory64,
                "wasm_extended_const" => Config::set_wasm_extended_const,
                "wasm_component_model" => Config::set_wasm_component_model,
                "wasm_component_model_more_flags" => Config::set_wasm_component_model_more_flags,
                "wasm_component_model_multiple_returns" => {
                    Config::set_wasm_component_model_multiple_returns
                }
                other => panic!("a wasm_* option this test does not know: {other}"),
            };
            setter(&mut c, false);
        }
        let base = WasmFeatures::WASM1
            | WasmFeatures::SIGN_EXTENSION
            | WasmFeatures::SATURATING_FLOAT_TO_INT;
        assert_eq!(c.wasm_features(), base);
        c.set_wasm_simd(true).set_wasm_memory64(true);
        assert_eq!(
            c.wasm_features(),
            base | WasmFeatures::SIMD | WasmFeatures::MEMORY64
        );
    }

    #[test]
    fn mach_ports_default_is_accepted_but_explicit_true_is_not() {
        let mut c = Config::new();
        assert!(c.macos_use_mach_ports());
        c.validate().unwrap();
        c.set_macos_use_mach_ports(false);
        c.validate().unwrap();
        c.set_macos_use_mach_ports(true);
        assert!(c
            .validate()
            .unwrap_err()
            .to_string()
            .starts_with("macos_use_mach_ports"));
    }

    #[test]
    fn the_table_has_every_option_of_the_reference_once() {
        // The reference's 63 and `wasm_exceptions`, which exception
        // handling adds (the reference documents it in later versions).
        assert_eq!(OPTIONS.len(), 64);
        for (i, option) in OPTIONS.iter().enumerate() {
            assert!(
                OPTIONS[..i].iter().all(|o| o.name != option.name),
                "{} twice",
                option.name
            );
            assert_eq!(option.c_setter, format!("wasm_config_{}_set", option.name));
            assert!(OptionInfo::named(option.name).is_some());
        }
        assert!(OptionInfo::named("no_such_option").is_none());
    }

    /// An option's status and its proposal's support say the same thing.
    #[test]
    fn proposal_support_follows_the_option_status() {
        for proposal in Proposal::configurable() {
            let option = OptionInfo::named(proposal.option.unwrap()).unwrap();
            let expected = match option.status {
                Status::Works => Support::Compiled,
                Status::ValidatedOnly => Support::ValidatedOnly,
                Status::OffOnly => Support::Refused,
            };
            assert_eq!(proposal.support, expected, "{}", proposal.key);
        }
        // What parsing cannot represent must not claim to compile.
        for proposal in [Proposal::STACK_SWITCHING, Proposal::LEGACY_EXCEPTIONS] {
            assert!(!proposal.compiles(), "{}", proposal.key);
        }
        assert_eq!(Proposal::SIMD.key, "simd");
        assert_eq!(
            Proposal::of_operator_group("relaxed_simd").map(|p| p.key),
            Some("relaxed-simd")
        );
        assert_eq!(
            Proposal::of_operator_group("legacy_exceptions").map(|p| p.key),
            Some("legacy-exceptions")
        );
        assert_eq!(
            Proposal::of_operator_group("exceptions").map(|p| p.key),
            Some("exceptions")
        );
        assert!(Proposal::FUNCTION_REFERENCES
            .needs
            .contains(WasmFeatures::REFERENCE_TYPES | WasmFeatures::BULK_MEMORY));
    }

    /// Every operator group wasmparser knows has a proposal in the table.
    #[test]
    fn every_operator_group_has_a_proposal() {
        macro_rules! groups {
            ($( @$proposal:ident $op:ident $({ $($arg:ident: $argty:ty),* })? => $visit:ident ($($ann:tt)*))*) => {
                [$(stringify!($proposal)),*]
            };
        }
        for group in wasmparser::for_each_operator!(groups) {
            assert!(
                Proposal::of_operator_group(group).is_some(),
                "operator group `{group}` has no proposal in src/config/table.rs"
            );
        }
    }

    #[test]
    fn code_shaping_settings_are_the_value_rows() {
        let settings = Config::new().code_shaping_settings();
        let names: Vec<&str> = settings.iter().map(|(name, _)| *name).collect();
        let expected: Vec<&str> = OPTIONS
            .iter()
            .filter(|o| o.code == CodeShaping::Value)
            .map(|o| o.name)
            .collect();
        assert_eq!(names, expected);
        assert!(names.contains(&"consume_fuel") && names.contains(&"signals_based_traps"));
        let mut fuel = Config::new();
        fuel.set_consume_fuel(true);
        assert_ne!(fuel.code_shaping_settings(), settings);
    }

    #[test]
    fn configuration_errors_name_the_option_first() {
        let mut c = Config::new();
        c.set_max_wasm_stack(0);
        assert_eq!(
            c.validate().unwrap_err().to_string(),
            "max_wasm_stack: must be greater than 0"
        );
        let mut c = Config::new();
        c.set_wasm_relaxed_simd(true).set_wasm_simd(false);
        assert_eq!(
            c.validate().unwrap_err().to_string(),
            "wasm_relaxed_simd: requires wasm_simd, which is disabled"
        );
        let mut c = Config::new();
        c.set_async_support(true).set_max_wasm_stack(4 << 20);
        assert_eq!(
            c.validate().unwrap_err().to_string(),
            "max_wasm_stack: 4194304 bytes exceeds async_stack_size (2097152 bytes); \
             with async_support the wasm stack must fit in the async stack"
        );
    }
}
