//! Rules: facts of one router (debug state, show outputs, config) to findings.

pub mod debug;
