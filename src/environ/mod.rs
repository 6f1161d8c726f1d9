//! What the compiler and the runtime share, and nothing else.

pub mod error;
