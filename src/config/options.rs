//! What the option table says about each option, at run time: the
//! `OPTIONS` table (generated from `src/config/table.rs` into `Config`'s
//! module) holds one `OptionInfo` per option of the reference.

/// How far this build implements an option.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// The option has its full effect.
    Works,
    /// Accepted, stored and validated, but the part of the engine it
    /// controls does not act on it yet.
    ValidatedOnly,
    /// This build lacks the feature: the default works, and engine creation
    /// refuses anything else, naming the option.
    OffOnly,
}

/// Whether an option shapes the machine code compiled under it, which
/// decides what the fingerprint of serialized modules records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodeShaping {
    /// Compiled code does not depend on it.
    No,
    /// Compiled code depends on its value, which the fingerprint records
    /// (`Config::code_shaping_settings`).
    Value,
    /// It acts through the Cranelift ISA and flags, which the fingerprint
    /// records as built.
    Isa,
}

/// One option of the configuration reference.
#[derive(Clone, Copy, Debug)]
pub struct OptionInfo {
    /// The option's name, as in the reference and in its C setter.
    pub name: &'static str,
    /// What the option does, in one line.
    pub doc: &'static str,
    /// The default, as documentation shows it.
    pub default: &'static str,
    /// How far this build implements it.
    pub status: Status,
    /// Whether it shapes compiled code.
    pub code: CodeShaping,
    /// Options that must be on when this one is (both booleans).
    pub requires: &'static [&'static str],
    /// Remarks for the README's table.
    pub notes: &'static str,
    /// The C setter, `wasm_config_<name>_set`.
    pub c_setter: &'static str,
}

impl OptionInfo {
    /// The option called `name`, if the reference has one.
    pub fn named(name: &str) -> Option<&'static OptionInfo> {
        super::OPTIONS.iter().find(|o| o.name == name)
    }
}
