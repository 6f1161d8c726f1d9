//! wasm.h's configuration and engine objects.

use crate::capi::panic_guard;
use crate::config::Config;
use crate::engine::Engine;

/// Engine options; made by `wasm_config_new`, set with the
/// `wasm_config_<option>_set` extensions, consumed by
/// `wasm_engine_new_with_config`.
pub struct wasm_config_t {
    pub(crate) config: Config,
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
        Box::new(wasm_config_t { config })
    }

    /// The options set so far (for Rust code and tests holding a C config).
    pub fn config(&self) -> &Config {
        &self.config
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
        Engine::new(&config.config)
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
