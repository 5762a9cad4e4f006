//! Text to typed facts: debug/syslog lines to events, show outputs to structs, and the framing
//! around them (session transcripts, central syslog files).

pub mod debug;
pub mod prelude;
pub mod show;
pub mod signatures;
pub mod syslog_server;
pub mod transcript;
