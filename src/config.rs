//! Engine configuration: every option of the Config reference.
