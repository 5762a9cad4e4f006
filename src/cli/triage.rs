//! `ipsec-doctor triage`: SSH into both routers of a tunnel, run the triage playbook, report.
//!
//! Everything that can be checked before touching a device is: the playbook, the inventory,
//! the tunnel names. Only then are routers contacted.
//!
//! Over a whole inventory, tunnels run concurrently ([`crate::run::many`]: `--concurrency`,
//! a router in one tunnel at a time) and each report is written as its tunnel finishes (JSON:
//! one object per line, flushed); the text report ends with a summary table.

use super::live::LiveArgs;
use crate::inventory::{Host, Inventory};
use crate::lab::ike::IkeFactory;
use crate::lab::scenario::Scenario;
use crate::lab::{Lab, LabOptions};
use crate::playbook::{self, Playbook};
use crate::report::{self, Format, Report, Style};
use crate::run::many::{Batch, Outcome, run_many};
use crate::run::progress::{Bars, Progress, Silent};
use crate::run::stop::Stop;
use crate::run::{RouterTarget, TunnelTarget};
use crate::ssh::HostKeyPolicy;
use anyhow::{Context, bail};
use std::future::Future;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

/// The lab scenario `triage` runs on when no inventory is given.
pub const DEFAULT_LAB_SCENARIO: &str = "psk-mismatch";
/// Tunnels triaged at once unless `--concurrency` says otherwise. Each has debug on two
/// production routers for its window: ten bound that to twenty routers at a time while a
/// hundred-tunnel inventory still takes minutes, not an hour.
pub const DEFAULT_CONCURRENCY: u16 = 10;

#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// The tunnel to triage, by its name in the inventory; every tunnel when omitted.
    pub tunnel: Option<String>,
    /// Nornir-style inventory: one YAML file, or a directory with hosts/groups/defaults.yaml.
    #[arg(short, long, value_name = "PATH")]
    pub inventory: Option<PathBuf>,
    /// Run on the built-in lab instead of real routers (the default when no inventory is given).
    #[arg(long, value_name = "SCENARIO", conflicts_with = "inventory")]
    pub lab: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Colour the text report: auto, always or never.
    #[arg(long, default_value = "auto", value_parser = ["auto", "always", "never"])]
    pub color: String,
    /// Draw the IKE exchange as a ladder in the text report: auto (when stdout is a
    /// terminal), always or never. Box-drawing characters when the locale is UTF-8, ASCII
    /// otherwise.
    #[arg(long, default_value = "auto", value_parser = ["auto", "always", "never"])]
    pub ladder: String,
    /// A playbook file to run instead of the shipped triage playbook.
    #[arg(long, value_name = "FILE")]
    pub playbook: Option<PathBuf>,
    /// Allow the playbook's disruptive steps (`clear crypto sa|session`).
    #[arg(long)]
    pub allow_disruptive: bool,
    /// Tunnels triaged at once over an inventory. A router shared by several tunnels (a hub)
    /// is in one tunnel's run at a time whatever this says.
    #[arg(long, default_value_t = DEFAULT_CONCURRENCY, value_parser = clap::value_parser!(u16).range(1..))]
    pub concurrency: u16,
    #[command(flatten)]
    pub live: LiveArgs,
}

pub fn run(args: Args) -> anyhow::Result<i32> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        // First, before any router is touched: from here on SIGINT, SIGTERM, SIGHUP and
        // SIGQUIT stop the run through its cleanup instead of killing the process.
        let stop = Stop::from_signals()?.wait();
        let style = super::text_style(&args.color, &args.ladder);
        let bars = Bars::new(std::io::stderr().is_terminal());
        let mut printer = Printer::new(args.format, style);
        let reports = execute_streaming(args, stop, &bars, &mut |r| {
            bars.suspend(&mut || printer.report(r))
        })
        .await?;
        printer.end(&reports)?;
        Ok(reports.iter().map(|r| r.exit_code).max().unwrap_or(3))
    })
}

/// Writes reports to stdout as they come: text and Markdown one report after another, JSON
/// one object per line (flushed, so a pipe sees each tunnel as it ends); Prometheus and HTML
/// are one document each, written at the end. A closed stdout (`| head`) does not stop the
/// run: the routers are still cleaned up.
struct Printer {
    format: Format,
    style: Style,
    written: usize,
    failed: Option<std::io::Error>,
}

impl Printer {
    fn new(format: Format, style: Style) -> Printer {
        Printer {
            format,
            style,
            written: 0,
            failed: None,
        }
    }

    fn report(&mut self, r: &Report) {
        let text = match self.format {
            Format::Json => report::json::line(r),
            Format::Text => report::text::render_styled(r, &self.style),
            Format::Markdown => report::markdown::render(r),
            Format::Prometheus | Format::Html => return,
        };
        let gap = if self.written > 0 && self.format != Format::Json {
            "\n"
        } else {
            ""
        };
        self.written += 1;
        self.write(&format!("{gap}{text}"));
    }

    fn write(&mut self, text: &str) {
        if self.failed.is_some() {
            return;
        }
        let mut out = std::io::stdout().lock();
        if let Err(e) = out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
            self.failed = Some(e);
        }
    }

    /// The documents, and the summary of a run over several tunnels: after the text report,
    /// or on stderr when that is a terminal and stdout holds another format.
    fn end(mut self, reports: &[Report]) -> anyhow::Result<()> {
        match self.format {
            Format::Prometheus | Format::Html => {
                let text = report::render_styled(self.format, reports, &self.style);
                self.write(&text);
            }
            Format::Text if reports.len() > 1 => {
                let table = report::summary::render(reports, self.style.color);
                self.write(&format!("\n{table}"));
            }
            _ if reports.len() > 1 && std::io::stderr().is_terminal() => {
                let table = report::summary::render(reports, false);
                let _ = std::io::stderr().write_all(table.as_bytes());
            }
            _ => {}
        }
        match self.failed {
            Some(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
            _ => Ok(()),
        }
    }
}

/// Runs the triage and returns one report per tunnel, in inventory order. Fails (exit 3)
/// only on bad input or when no tunnel could be run at all.
pub async fn execute(
    args: Args,
    stop: impl Future<Output = ()>,
    progress: &dyn Progress,
) -> anyhow::Result<Vec<Report>> {
    execute_streaming(args, stop, progress, &mut |_| {}).await
}

/// [`execute`], handing each report to `each` as its tunnel finishes (in the order they
/// finish); the tunnels that did not start, after the last one that did.
pub async fn execute_streaming(
    args: Args,
    stop: impl Future<Output = ()>,
    progress: &dyn Progress,
    each: &mut dyn FnMut(&Report),
) -> anyhow::Result<Vec<Report>> {
    let playbook = match &args.playbook {
        Some(p) => playbook::load(p)?,
        None => playbook::shipped("triage").context("the triage playbook is not shipped")??,
    };
    match &args.inventory {
        Some(path) => {
            let inventory = Inventory::load(path)?;
            let policy = args.live.host_keys()?;
            run_inventory(&args, &inventory, &playbook, &policy, stop, progress, each).await
        }
        None => {
            let name = args
                .lab
                .clone()
                .unwrap_or_else(|| DEFAULT_LAB_SCENARIO.to_string());
            run_lab(&args, &name, &playbook, stop, progress, each).await
        }
    }
}

pub(crate) fn target(host: &Host) -> RouterTarget {
    RouterTarget {
        name: host.name.clone(),
        ssh: host.ssh_target(),
        session: host.session_options(true),
        command_timeout: host.ssh.command_timeout,
    }
}

async fn run_inventory(
    args: &Args,
    inventory: &Inventory,
    playbook: &Playbook,
    policy: &HostKeyPolicy,
    stop: impl Future<Output = ()>,
    progress: &dyn Progress,
    each: &mut dyn FnMut(&Report),
) -> anyhow::Result<Vec<Report>> {
    let tunnels: Vec<_> = match &args.tunnel {
        Some(name) => match inventory.tunnel(name) {
            Some(t) => vec![t.clone()],
            None => {
                let known: Vec<&str> = inventory.tunnels.iter().map(|t| t.name.as_str()).collect();
                bail!(
                    "no tunnel {name:?} in the inventory (it has: {})",
                    if known.is_empty() {
                        "none".to_string()
                    } else {
                        known.join(", ")
                    }
                );
            }
        },
        None => inventory.tunnels.clone(),
    };
    if tunnels.is_empty() {
        bail!("the inventory lists no tunnels: add a `tunnels:` entry pairing two hosts");
    }
    let mut targets = Vec::new();
    for t in &tunnels {
        let (Some(a), Some(b)) = (inventory.host(&t.a), inventory.host(&t.b)) else {
            bail!(
                "tunnel {:?} names a host the inventory does not have",
                t.name
            );
        };
        targets.push(TunnelTarget {
            name: t.name.clone(),
            a: target(a),
            b: target(b),
            a_peer_address: t.a_peer_address,
            b_peer_address: t.b_peer_address,
        });
    }
    let options = args.live.run_options(args.allow_disruptive);
    let mut reports: Vec<Option<Report>> = vec![None; targets.len()];
    let batch = Batch {
        tunnels: &targets,
        playbook,
        policy,
        options: &options,
        concurrency: usize::from(args.concurrency),
    };
    run_many(batch, stop, progress, |i, outcome| {
        let name = &targets[i].name;
        let report = match outcome {
            Outcome::Ran(diagnosis, log) => Report::live("triage", name, *diagnosis, log),
            Outcome::NotChecked(why) => Report::not_checked("triage", name, why),
        };
        each(&report);
        reports[i] = Some(report);
    })
    .await;
    Ok(reports.into_iter().flatten().collect())
}

async fn run_lab(
    args: &Args,
    name: &str,
    playbook: &Playbook,
    stop: impl Future<Output = ()>,
    progress: &dyn Progress,
    each: &mut dyn FnMut(&Report),
) -> anyhow::Result<Vec<Report>> {
    let scenario = Scenario::find(name, None)?;
    let options = LabOptions {
        speed: args.live.lab_speed,
        ..LabOptions::default()
    };
    let lab = Lab::start(&scenario, options, &IkeFactory, std::future::pending()).await?;
    let dir = tempfile_dir()?;
    let known = dir.join("known_hosts");
    lab.write_known_hosts(&known)?;
    let text = lab.inventory_yaml()?;
    let inventory = Inventory::from_yaml("<lab inventory>", &text, &|_| None)?;
    let policy = HostKeyPolicy::strict(&known);
    let result = run_inventory(args, &inventory, playbook, &policy, stop, progress, each).await;
    lab.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

/// A private directory for the lab's known_hosts.
pub(crate) fn tempfile_dir() -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("ipsec-doctor-{}-{}", std::process::id(), nanos()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

fn nanos() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

/// For tests and library users: triage without progress output.
pub async fn execute_quiet(
    args: Args,
    stop: impl Future<Output = ()>,
) -> anyhow::Result<Vec<Report>> {
    execute(args, stop, &Silent).await
}
