//! The command line: clap structs hold only what the user typed; each subcommand has one entry
//! point returning its exit code, and `main` turns errors into exit 3 in one place.

pub mod analyze;
pub mod lab;
pub mod triage;

use clap::{Parser, Subcommand};

/// Diagnoses broken site-to-site IPsec VPNs between Cisco routers.
#[derive(Debug, Parser)]
#[command(name = "ipsec-doctor", version, about, long_about = None)]
pub struct Cli {
    /// More logs on stderr (-v info, -vv debug).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Analyse captured router output (debug logs, syslog, session transcripts) offline.
    Analyze(analyze::Args),
    /// SSH into both routers of a tunnel, run the triage playbook, report why it is down.
    Triage(triage::Args),
    /// Run simulated Cisco routers (a scenario) to practise on, demo or test against.
    Lab(lab::Args),
}

/// The text report's look from `--color` and `--ladder` (each `auto`, `always` or `never`):
/// `auto` means stdout is a terminal (and, for colour, `NO_COLOR` is unset). The ladder is
/// drawn with box-drawing characters when the locale says UTF-8, in ASCII otherwise.
pub fn text_style(color: &str, ladder: &str) -> crate::report::Style {
    use std::io::IsTerminal;
    let terminal = std::io::stdout().is_terminal();
    let color = match color {
        "always" => true,
        "never" => false,
        _ => terminal && std::env::var_os("NO_COLOR").is_none(),
    };
    let ladder = match ladder {
        "always" => true,
        "never" => false,
        _ => terminal,
    };
    crate::report::Style {
        color,
        ladder: ladder.then(locale_charset),
    }
}

/// UTF-8 or not, as the C library decides it: the first of LC_ALL, LC_CTYPE and LANG that is
/// set and not empty.
fn locale_charset() -> crate::report::ladder::term::Charset {
    use crate::report::ladder::term::Charset;
    let locale = ["LC_ALL", "LC_CTYPE", "LANG"]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .find(|v| !v.is_empty())
        .unwrap_or_default()
        .to_ascii_lowercase();
    if locale.contains("utf-8") || locale.contains("utf8") {
        Charset::Unicode
    } else {
        Charset::Ascii
    }
}

/// Exit code for "could not run" (Nagios UNKNOWN).
pub const EXIT_UNKNOWN: i32 = 3;

/// Runs the program and returns its exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_UNKNOWN } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    init_tracing(cli.verbose);
    let result = match cli.command {
        Command::Analyze(args) => analyze::run(args),
        Command::Triage(args) => triage::run(args),
        Command::Lab(args) => lab::run(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("ipsec-doctor: {e:#}");
            EXIT_UNKNOWN
        }
    }
}

fn init_tracing(verbose: u8) {
    let level = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("IPSEC_DOCTOR_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(format!("ipsec_doctor={level}")));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
