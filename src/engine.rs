//! The engine: target ISA, flags and engine-wide caches.
//!
//! (Filled in by the foundation work: `Engine::new(Config)` validates the
//! configuration, builds the Cranelift ISA and the engine-wide runtime state.)
