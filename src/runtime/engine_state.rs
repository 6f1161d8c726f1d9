//! Engine-wide runtime state: signature registry and trampoline caches.
//!
//! Owned by the runtime; created once per `Engine`.

/// Runtime state shared by every store of one engine.
#[derive(Default)]
pub struct EngineRuntime {}

impl EngineRuntime {
    /// Fresh, empty engine-wide state.
    pub fn new() -> EngineRuntime {
        EngineRuntime::default()
    }
}
