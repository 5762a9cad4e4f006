//! `ipsec-doctor health`: every configured tunnel of an inventory (or of the built-in lab),
//! its state and why, once or every `--every`, as a table, JSON lines, Nagios plugin output or
//! Prometheus metrics (`-o FILE` written atomically, or served with `--serve`).
//!
//! Bad input (inventory, playbook, tunnel name, shard, listen address) is refused before any
//! router is contacted. SIGINT and SIGTERM stop it cleanly.

use crate::health::collect::{CollectOptions, Tally};
use crate::health::exporter::{self, Exposition, Latest};
use crate::health::shard::Shard;
use crate::health::{
    Checker, Cycle, HealthOptions, InventorySource, TriageOnFailure, schedule, show_commands,
};
use crate::inventory::Inventory;
use crate::lab::LabOptions;
use crate::lab::fleet::Fleet;
use crate::lab::hub::{HubLab, TRAFFIC_EVERY};
use crate::lab::scenario::Scenario;
use crate::playbook;
use crate::report::health::{self as render, Format};
use crate::run::RunOptions;
use crate::ssh::HostKeyPolicy;
use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::future::Future;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// Routers read at once unless `--concurrency` says otherwise: enough to hide network latency,
/// few enough for a small machine and a TACACS server.
pub const DEFAULT_CONCURRENCY: usize = 100;
/// Spokes of the hub lab when `--lab` names no size.
pub const DEFAULT_LAB_SPOKES: usize = 10;

#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// Check this inventory tunnel only (its two routers); every tunnel when omitted.
    pub tunnel: Option<String>,
    /// Nornir-style inventory, re-read every cycle: one YAML file, or a directory.
    #[arg(short, long, value_name = "PATH", required_unless_present = "lab")]
    pub inventory: Option<PathBuf>,
    /// Check the built-in lab (a hub with --hub spokes, or a --fleet of every scenario).
    #[arg(long, conflicts_with = "inventory")]
    pub lab: bool,
    /// With --lab: a hub router with N spokes, healthy and broken (default 10).
    #[arg(long, value_name = "N", requires = "lab", conflicts_with = "fleet")]
    pub hub: Option<usize>,
    /// With --lab: N separate tunnels cycling through every shipped scenario.
    #[arg(long, value_name = "N", requires = "lab")]
    pub fleet: Option<usize>,
    /// Output: table (default on a terminal), json (one object per tunnel per cycle), nagios,
    /// prometheus (text format 0.0.4).
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Write the output to FILE (atomically: a temporary file renamed over it) instead of
    /// stdout, e.g. for node_exporter's textfile collector.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Repeat every DURATION (e.g. 1m) until SIGTERM or Ctrl-C.
    #[arg(long, value_parser = duration_arg, value_name = "DURATION")]
    pub every: Option<Duration>,
    /// Serve the latest cycle's metrics on http://ADDR/metrics (ADDR like :9742 or
    /// 127.0.0.1:9742); repeats every --every (default 1m).
    #[arg(long, value_name = "ADDR")]
    pub serve: Option<String>,
    /// Check shard I of N (1-based; `auto/N` takes I from a StatefulSet pod's ordinal).
    #[arg(long, value_name = "I/N")]
    pub shard: Option<Shard>,
    /// Routers read at once.
    #[arg(long, default_value_t = DEFAULT_CONCURRENCY)]
    pub concurrency: usize,
    /// Least time between the two samples of the packet counters within a cycle (later
    /// cycles of --every compare with the previous cycle instead).
    #[arg(long, value_parser = duration_arg, default_value = "3s", value_name = "DURATION")]
    pub sample_interval: Duration,
    /// With --every: keep each router's session open between cycles (it holds a vty line).
    #[arg(long)]
    pub keep_sessions: bool,
    /// A playbook of show steps to run instead of the shipped health playbook.
    #[arg(long, value_name = "FILE")]
    pub playbook: Option<PathBuf>,
    /// Run the triage playbook on each DOWN tunnel and attach its findings (turns debug on:
    /// needs --allow-debug; every triage safety rule applies).
    #[arg(long, requires = "allow_debug")]
    pub triage_on_failure: bool,
    /// Allow --triage-on-failure to switch debugs on (scoped, bounded, always switched off).
    #[arg(long)]
    pub allow_debug: bool,
    /// Learn the host keys of routers not yet in known_hosts (a changed key is still refused).
    #[arg(long)]
    pub accept_new_host_keys: bool,
    /// known_hosts file to check host keys against (default ~/.ssh/known_hosts).
    #[arg(long, value_name = "FILE")]
    pub known_hosts: Option<PathBuf>,
    /// Colour the table: auto, always or never.
    #[arg(long, default_value = "auto", value_parser = ["auto", "always", "never"])]
    pub color: String,
    /// Lab seconds per real second for --lab.
    #[arg(long, default_value_t = 1.0, hide = true)]
    pub lab_speed: f64,
}

pub fn run(args: Args) -> anyhow::Result<i32> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        use tokio::signal::unix::{SignalKind, signal};
        // Listening before the first router is contacted: a signal that came earlier would
        // kill the process before it could log out.
        let mut interrupt = signal(SignalKind::interrupt())?;
        let mut terminate = signal(SignalKind::terminate())?;
        let stop = async move {
            tokio::select! {
                _ = interrupt.recv() => {}
                _ = terminate.recv() => {}
            }
        };
        execute(args, stop).await
    })
}

/// Runs the health check and returns the exit code: the cycle's Nagios status for one cycle,
/// 0 when `--every` or `--serve` ran until stopped.
pub async fn execute(
    args: Args,
    stop: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<i32> {
    let book = match &args.playbook {
        Some(p) => playbook::load(p)?,
        None => playbook::shipped("health").context("the health playbook is not shipped")??,
    };
    let commands = show_commands(&book)?;
    let triage = if args.triage_on_failure {
        let book = playbook::shipped("triage").context("the triage playbook is not shipped")??;
        Some(TriageOnFailure {
            playbook: book,
            options: RunOptions::default(),
            concurrency: usize::from(crate::cli::triage::DEFAULT_CONCURRENCY),
        })
    } else {
        None
    };
    let listen = match &args.serve {
        Some(a) => Some(
            exporter::bind(exporter::parse_addr(a).map_err(anyhow::Error::msg)?)
                .await
                .map_err(anyhow::Error::msg)?,
        ),
        None => None,
    };
    if args.every.is_some_and(|e| e.is_zero()) {
        bail!("--every 0s would never rest: give a period such as 30s or 1m");
    }
    if let Some(l) = &listen
        && let Ok(addr) = l.local_addr()
    {
        eprintln!("ipsec-doctor: serving metrics on http://{addr}/metrics");
    }
    let every = match (args.every, listen.is_some()) {
        (Some(e), _) => Some(e),
        (None, true) => Some(Duration::from_secs(60)),
        (None, false) => None,
    };
    if args.keep_sessions && every.is_none() {
        bail!("--keep-sessions keeps sessions between cycles: it needs --every or --serve");
    }
    let mut options = HealthOptions {
        commands,
        collect: CollectOptions {
            concurrency: args.concurrency.max(1),
            sample_interval: args.sample_interval,
            keep_sessions: args.keep_sessions,
        },
        shard: args.shard.unwrap_or(Shard::ALL),
        tunnel: args.tunnel.clone(),
        policy: HostKeyPolicy::strict(PathBuf::new()),
        triage,
    };
    if args.lab {
        return run_lab(args, options, every, listen, stop).await;
    }
    let path = args.inventory.clone().context("--inventory is required")?;
    options.policy = host_keys(&args)?;
    let source = InventorySource::File(path);
    drive(&args, source, options, every, listen, stop).await
}

fn host_keys(args: &Args) -> anyhow::Result<HostKeyPolicy> {
    super::live::host_key_policy(args.known_hosts.as_deref(), args.accept_new_host_keys)
}

async fn run_lab(
    args: Args,
    mut options: HealthOptions,
    every: Option<Duration>,
    listen: Option<tokio::net::TcpListener>,
    stop: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<i32> {
    let lab_options = LabOptions {
        speed: args.lab_speed,
        ..LabOptions::default()
    };
    let dir = tempfile_dir()?;
    let known = dir.join("known_hosts");
    let (lab, text) = match args.fleet {
        Some(n) => {
            let templates = Scenario::embedded_names()
                .into_iter()
                .map(Scenario::embedded)
                .collect::<Result<Vec<_>, _>>()?;
            let fleet = Fleet::start(&templates, n, lab_options, std::future::pending()).await?;
            fleet.start_traffic(TRAFFIC_EVERY);
            let text = fleet.lab().inventory_yaml()?;
            (fleet.into_lab(), text)
        }
        None => {
            let hub = HubLab::start(
                args.hub.unwrap_or(DEFAULT_LAB_SPOKES),
                lab_options,
                std::future::pending(),
            )
            .await?;
            let text = hub.inventory_yaml()?;
            (hub.into_lab(), text)
        }
    };
    lab.write_known_hosts(&known)?;
    let inventory = Inventory::from_yaml("<lab inventory>", &text, &|_| None)?;
    options.policy = HostKeyPolicy::strict(&known);
    let result = drive(
        &args,
        InventorySource::Fixed(inventory),
        options,
        every,
        listen,
        stop,
    )
    .await;
    lab.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

async fn drive(
    args: &Args,
    source: InventorySource,
    options: HealthOptions,
    every: Option<Duration>,
    listen: Option<tokio::net::TcpListener>,
    stop: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<i32> {
    let serving = listen.is_some();
    let format = args
        .format
        .or(if serving { None } else { Some(Format::Table) });
    let color = match args.color.as_str() {
        "always" => true,
        "never" => false,
        _ => {
            args.output.is_none()
                && std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none()
        }
    };
    let bar = Arc::new(Bar::new(
        format == Some(Format::Table) && std::io::stderr().is_terminal(),
    ));
    let mut checker = Checker::new(source, options).with_tally(bar.clone());
    checker.preflight()?;

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        stop.await;
        let _ = stop_tx.send(true);
    });
    let wait = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };
    let latest = Latest::default();
    let server = listen.map(|l| {
        let latest = latest.clone();
        let stopped = wait(stop_rx.clone());
        tokio::spawn(async move {
            if let Err(e) = exporter::serve(l, latest, stopped).await {
                tracing::error!("--serve: {e}");
            }
        })
    });
    let mut failure: Option<anyhow::Error> = None;
    let output = args.output.clone();
    let sink = |cycle: &Cycle| {
        if serving {
            latest.publish(Exposition {
                cycle: cycle.number,
                finished: SystemTime::now(),
                openmetrics: render::prometheus::render_openmetrics(cycle),
                text: render::prometheus::render_text(cycle),
            });
        }
        let Some(format) = format else { return };
        let text = render::render(format, cycle, color);
        let written = match &output {
            Some(path) => write_atomically(path, &text),
            None => {
                let mut out = std::io::stdout().lock();
                match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
                    Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                    other => other.context("writing to stdout"),
                }
            }
        };
        if let Err(e) = written {
            if every.is_some() {
                tracing::error!("{e:#}");
            }
            failure.get_or_insert(e);
        }
    };
    let last = schedule::run(&mut checker, every, wait(stop_rx.clone()), sink).await?;
    bar.finish();
    if let Some(s) = server {
        let _ = s.await;
    }
    if every.is_some() {
        return Ok(0);
    }
    if let Some(e) = failure {
        return Err(e);
    }
    match last {
        Some(cycle) => Ok(cycle.status()),
        None => {
            eprintln!("ipsec-doctor: interrupted before the check finished");
            Ok(3)
        }
    }
}

/// Writes `text` to a temporary file beside `path`, then renames it over `path`: a reader
/// (node_exporter's textfile collector) sees the old file or the new one, never half of one.
pub fn write_atomically(path: &Path, text: &str) -> anyhow::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .with_context(|| format!("{}: not a file name", path.display()))?;
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.with_context(|| format!("writing {}", path.display()))
}

/// One progress bar on stderr: routers read so far.
struct Bar(ProgressBar);

impl Bar {
    fn new(visible: bool) -> Bar {
        let target = if visible {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let bar = ProgressBar::with_draw_target(Some(0), target);
        if let Ok(style) =
            ProgressStyle::with_template("{spinner} reading routers {pos}/{len} {wide_msg}")
        {
            bar.set_style(style);
        }
        Bar(bar)
    }

    fn finish(&self) {
        self.0.finish_and_clear();
    }
}

impl Tally for Bar {
    fn start(&self, routers: u64) {
        self.0.reset();
        self.0.set_length(routers);
        self.0.enable_steady_tick(Duration::from_millis(120));
    }

    fn done(&self, router: &str, ok: bool) {
        self.0.inc(1);
        if !ok {
            self.0.set_message(format!("{router} could not be read"));
        }
    }

    fn finish(&self) {
        self.0.finish_and_clear();
    }
}

fn duration_arg(s: &str) -> Result<Duration, String> {
    playbook::parse_duration(s)
}

/// A private directory for the lab's known_hosts.
fn tempfile_dir() -> anyhow::Result<PathBuf> {
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let dir = std::env::temp_dir().join(format!(
        "ipsec-doctor-health-{}-{nanos}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
