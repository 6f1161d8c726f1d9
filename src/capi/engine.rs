//! wasm.h's configuration and engine objects.

use crate::capi::panic_guard;
use crate::config::Config;
use crate::engine::Engine;
use crate::environ::error::Error;

/// Engine options; made by `wasm_config_new`, set with the
/// `wasm_config_<option>_set` extensions, consumed by
/// `wasm_engine_new_with_config`.
pub struct wasm_config_t {
    pub(crate) config: Config,
    /// Values that reached a setter but name no setting (an out-of-range
    /// enumeration value, a NULL or non-UTF-8 string, a callback struct
    /// without its callback), by option, in the order they came. The C
    /// setters keep the reference's infallible signatures, so these are
    /// reported when the engine is built, before the options are checked.
    invalid_values: Vec<(&'static str, String)>,
}

/// A compilation and runtime environment; shared by every store made from it.
pub struct wasm_engine_t {
    pub(crate) engine: Engine,
}

impl wasm_config_t {
    /// A C configuration holding `config`, for Rust code that sets options
    /// (or installs callbacks written in Rust, such as a memory creator)
    /// before handing the configuration to C.
    pub fn from_config(config: Config) -> Box<wasm_config_t> {
        Box::new(wasm_config_t {
            config,
            invalid_values: Vec::new(),
        })
    }

    /// The options set so far (for Rust code and tests holding a C config).
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Records that a setter of `option` received a value no setting can
    /// hold, described by `message`; building an engine then fails with it.
    /// A later value for the same option replaces it, valid or not (see
    /// `clear_invalid_value`).
    pub(crate) fn record_invalid_value(&mut self, option: &'static str, message: String) {
        self.clear_invalid_value(option);
        self.invalid_values.push((option, message));
    }

    /// Forgets an invalid value recorded for `option` (a valid one came).
    pub(crate) fn clear_invalid_value(&mut self, option: &'static str) {
        self.invalid_values.retain(|(name, _)| *name != option);
    }

    /// An engine built from these options: fails for the first invalid
    /// value recorded, then as `Engine::new` does.
    pub fn build_engine(&self) -> Result<Engine, Error> {
        if let Some((option, message)) = self.invalid_values.first() {
            return Err(Error::config(*option, message.as_str()));
        }
        Engine::new(&self.config)
    }
}

impl wasm_engine_t {
    /// The engine behind the C handle.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }
}

/// Returns a new configuration with every option at its default; the caller
/// owns it.
#[no_mangle]
pub extern "C" fn wasm_config_new() -> Box<wasm_config_t> {
    Box::new(wasm_config_t {
        config: Config::new(),
        invalid_values: Vec::new(),
    })
}

/// Frees a configuration that was not passed to an engine; NULL is ignored.
#[no_mangle]
pub extern "C" fn wasm_config_delete(config: Option<Box<wasm_config_t>>) {
    // It may hold the last reference to an embedder's Rust callbacks.
    panic_guard::or_failure((), || drop(config));
}

/// Returns a new engine with the default configuration (owned by the
/// caller), or NULL if the host cannot run compiled code.
#[no_mangle]
pub extern "C" fn wasm_engine_new() -> Option<Box<wasm_engine_t>> {
    panic_guard::or_failure(None, || {
        Engine::new(&Config::new())
            .ok()
            .map(|engine| Box::new(wasm_engine_t { engine }))
    })
}

/// Consumes `config` and returns a new engine built from it (owned by the
/// caller), or NULL if the configuration is invalid or `config` is NULL;
/// `wasm_engine_try_new` says why.
#[no_mangle]
pub extern "C" fn wasm_engine_new_with_config(
    config: Option<Box<wasm_config_t>>,
) -> Option<Box<wasm_engine_t>> {
    panic_guard::or_failure(None, || {
        let config = config?;
        config
            .build_engine()
            .ok()
            .map(|engine| Box::new(wasm_engine_t { engine }))
    })
}

/// Frees an engine handle; stores and modules made from it keep the engine
/// alive as long as they need it. NULL is ignored.
#[no_mangle]
pub extern "C" fn wasm_engine_delete(engine: Option<Box<wasm_engine_t>>) {
    // Dropping the last handle of the engine tears it down.
    panic_guard::or_failure((), || drop(engine));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_value_is_reported_until_replaced() {
        let mut c = wasm_config_new();
        c.record_invalid_value("strategy", "invalid value 9".into());
        c.record_invalid_value("profiler", "invalid value 7".into());
        let message = c.build_engine().err().unwrap().to_string();
        assert_eq!(message, "strategy: invalid value 9");
        c.clear_invalid_value("strategy");
        let message = c.build_engine().err().unwrap().to_string();
        assert_eq!(message, "profiler: invalid value 7");
        c.clear_invalid_value("profiler");
        c.build_engine().unwrap();
    }

    #[test]
    fn invalid_values_come_before_the_option_checks() {
        let mut c = wasm_config_new();
        c.config.set_max_wasm_stack(0);
        c.record_invalid_value("emit_clif", "the path is not valid UTF-8".into());
        let message = c.build_engine().err().unwrap().to_string();
        assert!(message.starts_with("emit_clif:"), "{message}");
    }
}
