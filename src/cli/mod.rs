//! The command line: clap structs hold only what the user typed; each subcommand has one entry
//! point returning its exit code, and `main` turns errors into exit 3 in one place.

pub mod analyze;
pub mod guide;
pub mod health;
pub mod lab;
pub mod live;
pub mod triage;

use clap::{Parser, Subcommand};

/// Diagnoses broken site-to-site IPsec VPNs between Cisco routers.
#[derive(Debug, Parser)]
#[command(name = "ipsec-doctor", version, about, long_about = None, after_help = LOGS_HELP)]
pub struct Cli {
    /// Tracing logs on stderr: -v info (connections, steps, debug window, cleanup), -vv debug
    /// (every command sent and its answer), -vvv trace. RUST_LOG overrides, e.g.
    /// RUST_LOG=ipsec_doctor=debug,russh=info.
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
    /// Walk a broken tunnel step by step: what to run and why, the routers' lines explained,
    /// asking before anything intrusive; optionally apply the fix (--allow-config).
    Guide(guide::Args),
    /// Check every configured tunnel (read-only): state and why, for Nagios and Prometheus.
    Health(health::Args),
    /// Run simulated Cisco routers (a scenario) to practise on, demo or test against.
    Lab(lab::Args),
}

const LOGS_HELP: &str = "Logs: -v, -vv and -vvv write tracing logs to stderr (info, debug, trace); \
the RUST_LOG environment variable, when set, chooses instead (EnvFilter syntax, e.g. \
RUST_LOG=ipsec_doctor=debug). Secrets are redacted at every level. The report goes to stdout.";

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
        Command::Guide(args) => guide::run(args),
        Command::Health(args) => health::run(args),
        Command::Lab(args) => lab::run(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            // Not eprintln!: stderr may be a terminal that is gone (SIGHUP), and a failed
            // write must not turn into a panic.
            use std::io::Write;
            // A device's answer may be quoted in the error: shown, not obeyed.
            let text = crate::visible::visible(&message(&e)).into_owned();
            let _ = writeln!(std::io::stderr(), "ipsec-doctor: {text}");
            EXIT_UNKNOWN
        }
    }
}

/// The error and its causes, each said once: many errors already quote their cause in their
/// own message ("cannot read x: No such file…"), and `{:#}` would repeat it.
pub fn message(e: &anyhow::Error) -> String {
    let mut out = e.to_string();
    for cause in e.chain().skip(1) {
        let text = cause.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
    }
    out
}

fn init_tracing(verbose: u8) {
    let level = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = std::env::var("RUST_LOG")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .and_then(|v| tracing_subscriber::EnvFilter::try_new(v).ok())
        .unwrap_or_else(|| tracing_subscriber::EnvFilter::new(format!("ipsec_doctor={level}")));
    // Colours only on a terminal: a log file or a pipe gets plain text.
    use std::io::IsTerminal;
    let ansi = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .try_init();
}
