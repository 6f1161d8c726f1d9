//! The wasm proposals this build knows, which option enables each, what it
//! needs alongside, and how far this build supports it: the `PROPOSALS`
//! table, generated from `src/config/table.rs` (the `proposal` of option
//! rows, and the `proposals!` list for those no option controls). It lives
//! in this shared layer because the parser and the compiler consult it;
//! `Config` re-exports it.
//!
//! It is the one place that decides support: `Config` validates and enables
//! features from it, parsing consults it before refusing a construct that
//! validated ("not supported yet"), the disabled-proposal hint searches it,
//! and the compiler names refused operators by it.

use wasmparser::WasmFeatures;

include!(concat!(env!("OUT_DIR"), "/proposals_table.rs"));

/// How far this build supports a proposal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Support {
    /// Always enabled, validated and compiled; no option controls it.
    Always,
    /// Validated and compiled when its option is on.
    Compiled,
    /// Validated when its option is on, but compilation refuses modules
    /// that use it (`not supported yet: <key>`); `Module::validate` accepts
    /// them.
    ValidatedOnly,
    /// Not in this build: engine creation refuses its option when on.
    Refused,
    /// Not in this build, and no option enables it: validation rejects it.
    Unavailable,
}

/// One wasm proposal.
#[derive(Debug)]
pub struct Proposal {
    /// The name errors use: `not supported yet: <key>` (`simd`, `threads`, ...).
    pub key: &'static str,
    /// The name the disabled-proposal hint uses (`the module needs the <name> proposal`).
    pub name: &'static str,
    /// The option that enables it, if any.
    pub option: Option<&'static str>,
    /// wasmparser's features for it.
    pub flags: WasmFeatures,
    /// The features of the options it requires, transitively.
    pub needs: WasmFeatures,
    /// How far this build supports it.
    pub support: Support,
    /// Its operators' proposal groups in `wasmparser::for_each_operator`.
    pub operator_groups: &'static [&'static str],
}

impl Proposal {
    /// Whether this build compiles modules that use it.
    pub fn compiles(&self) -> bool {
        matches!(self.support, Support::Always | Support::Compiled)
    }

    /// The proposal an operator of `group` (a `for_each_operator`
    /// proposal name such as `simd` or `relaxed_simd`) belongs to.
    pub fn of_operator_group(group: &str) -> Option<&'static Proposal> {
        PROPOSALS
            .iter()
            .find(|p| p.operator_groups.contains(&group))
    }

    /// The proposals an option enables, in the options' order.
    pub fn configurable() -> impl Iterator<Item = &'static Proposal> {
        PROPOSALS.iter().filter(|p| p.option.is_some())
    }
}
