//! Stores, instances, memories, tables, globals, host functions and traps.

mod engine_state;

pub use engine_state::EngineRuntime;
