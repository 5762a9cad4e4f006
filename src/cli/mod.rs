//! The command line: one entry point per subcommand.

/// Runs the program and returns its exit code.
pub fn main() -> i32 {
    0
}
