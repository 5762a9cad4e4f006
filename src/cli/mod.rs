//! The command line: clap structs hold only what the user typed; each subcommand has one entry
//! point returning its exit code, and `main` turns errors into exit 3 in one place.

pub mod analyze;
pub mod health;
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
    /// Check every configured tunnel (read-only): state and why, for Nagios and Prometheus.
    Health(health::Args),
    /// Run simulated Cisco routers (a scenario) to practise on, demo or test against.
    Lab(lab::Args),
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
        Command::Health(args) => health::run(args),
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
