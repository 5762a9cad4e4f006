//! The diagnosis engine: pure and deterministic. Lines and show outputs in, findings out.
//! Nothing here opens a file, a socket or a terminal.

pub mod finding;
pub mod parse;
