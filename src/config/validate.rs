//! `Config::validate`: the checks `Engine::new` runs before it builds
//! anything. The table-driven ones (requirements between options, off-only
//! switches) are generated from `src/config/table.rs`; this file holds the
//! ones that need code, and `option_error`, which makes every error of a
//! configuration check.

use super::{Collector, Config, InstanceAllocationStrategy, Strategy};
use crate::environ::error::{Error, ErrorKind};
use anyhow::Result;
use std::fmt::Display;

/// The error for a configuration that `option` makes invalid: the one
/// place that makes configuration errors, typed `ErrorKind::Config` and
/// shown as `<option>: <reason>`, so every one names its option first.
pub fn option_error(option: &str, reason: impl Display) -> anyhow::Error {
    Error::config(option, reason.to_string()).into()
}

/// The error of `option` that failed because of `cause` (a file that does
/// not load, say): `ErrorKind::Config` with the cause as its reason, shown
/// as the option's name followed (with `{:#}`) by the cause.
pub fn option_cause(option: &str, cause: anyhow::Error) -> anyhow::Error {
    let kind = ErrorKind::Config {
        option: option.to_string(),
        reason: format!("{cause:#}"),
    };
    Error::new(kind, option).with_source(cause).into()
}

/// The error for an option whose behaviour this build does not provide.
pub(super) fn not_in_this_build(option: &str, why: &str) -> anyhow::Error {
    option_error(option, format_args!("not supported by this build ({why})"))
}

impl Config {
    /// Checks the options against each other and against what this build
    /// provides; run by `Engine::new`. The error names the offending option.
    pub fn validate(&self) -> Result<()> {
        self.validate_stack()?;
        self.check_requirements()?;
        self.validate_memory()?;
        if let Some(dir) = self.emit_clif() {
            if !dir.is_dir() {
                return Err(option_error(
                    "emit_clif",
                    format_args!("`{}` is not an existing directory", dir.display()),
                ));
            }
        }
        self.refuse_off_only_switches()?;
        self.refuse_other_values_this_build_lacks()
    }

    fn validate_stack(&self) -> Result<()> {
        if self.max_wasm_stack == 0 {
            return Err(option_error("max_wasm_stack", "must be greater than 0"));
        }
        if self.async_support && self.max_wasm_stack > self.async_stack_size {
            return Err(option_error(
                "max_wasm_stack",
                format_args!(
                    "{} bytes exceeds async_stack_size ({} bytes); \
                     with async_support the wasm stack must fit in the async stack",
                    self.max_wasm_stack, self.async_stack_size
                ),
            ));
        }
        Ok(())
    }

    fn validate_memory(&self) -> Result<()> {
        let guards = if self.guard_before_linear_memory {
            2
        } else {
            1
        };
        let reservation = self
            .memory_guard_size
            .checked_mul(guards)
            .and_then(|g| g.checked_add(self.static_memory_maximum_size))
            .filter(|&total| total <= usize::MAX as u64);
        if reservation.is_none() {
            return Err(option_error(
                "static_memory_maximum_size",
                format_args!(
                    "{} bytes plus memory_guard_size ({} bytes){} \
                     does not fit in the address space",
                    self.static_memory_maximum_size,
                    self.memory_guard_size,
                    if guards == 2 { " before and after" } else { "" }
                ),
            ));
        }
        if self.dynamic_memory_reserved_for_growth > usize::MAX as u64 {
            return Err(option_error(
                "dynamic_memory_reserved_for_growth",
                format_args!(
                    "{} bytes does not fit in the address space",
                    self.dynamic_memory_reserved_for_growth
                ),
            ));
        }
        if let InstanceAllocationStrategy::Pooling(pooling) = &self.allocation_strategy {
            if let Err(e) = pooling.validate(self.static_memory_maximum_size) {
                return Err(option_error(
                    "allocation_strategy",
                    format_args!("invalid pooling configuration: {e:#}"),
                ));
            }
        }
        Ok(())
    }

    /// Refuses the values of off-only options that are not switches (the
    /// switches are refused by the generated `refuse_off_only_switches`),
    /// and the values this build lacks of options that otherwise work.
    fn refuse_other_values_this_build_lacks(&self) -> Result<()> {
        if self.with_host_stack.is_some() && !self.async_support {
            return Err(option_error(
                "with_host_stack",
                "needs async_support, which is disabled (only async calls run on such stacks)",
            ));
        }
        if self.strategy == Strategy::Winch {
            return Err(not_in_this_build(
                "strategy",
                "the Winch compiler is not included; use auto or cranelift",
            ));
        }
        if self.collector == Collector::DeferredReferenceCounting {
            return Err(not_in_this_build(
                "collector",
                "the deferred reference-counting collector is not in this build yet; use auto or null",
            ));
        }
        if self.macos_use_mach_ports == Some(true) {
            let why = if cfg!(target_os = "macos") {
                "traps are handled with signals; pass false"
            } else {
                "Mach ports exist only on macOS; pass false"
            };
            return Err(not_in_this_build("macos_use_mach_ports", why));
        }
        Ok(())
    }
}
