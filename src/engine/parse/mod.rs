//! Text to typed facts: debug/syslog lines to events, show outputs to structs.

pub mod show;
