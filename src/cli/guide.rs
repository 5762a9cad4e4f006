//! `ipsec-doctor guide`: walk one tunnel step by step (see [`crate::guide`]).
//!
//! Everything that can be checked before a router is touched is: the playbook (the whole
//! tree), the inventory and the tunnel's name, the transcript file. Answers come from stdin a
//! line at a time; the session goes to stdout, the final report with it.

use super::live::LiveArgs;
use super::triage::{DEFAULT_LAB_SCENARIO, target, tempfile_dir};
use crate::guide::input::{Input, TerminalGuard};
use crate::guide::transcript::Transcript;
use crate::guide::{self, Options, Outcome};
use crate::inventory::Inventory;
use crate::lab::ike::IkeFactory;
use crate::lab::scenario::Scenario;
use crate::lab::{Lab, LabOptions};
use crate::playbook::{self, Playbook};
use crate::run::TunnelTarget;
use crate::run::progress::{Bars, Progress};
use crate::run::stop::Stop;
use crate::ssh::HostKeyPolicy;
use anyhow::{Context, bail};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// The tunnel to walk through, by its name in the inventory (optional when it has one).
    pub tunnel: Option<String>,
    /// Nornir-style inventory: one YAML file, or a directory with hosts/groups/defaults.yaml.
    #[arg(short, long, value_name = "PATH")]
    pub inventory: Option<PathBuf>,
    /// Walk through a tunnel of the built-in lab instead (the default when no inventory is
    /// given).
    #[arg(long, value_name = "SCENARIO", conflicts_with = "inventory")]
    pub lab: Option<String>,
    /// Also write the session as Markdown, for a ticket (secrets redacted).
    #[arg(long, value_name = "FILE")]
    pub transcript: Option<PathBuf>,
    /// Offer to apply the fix: the exact lines are shown and the router's name must be typed;
    /// the tunnel is tested again and the change can be rolled back. Never saved unless asked.
    #[arg(long)]
    pub allow_config: bool,
    /// A decision tree to walk instead of the shipped playbooks/guide.yaml.
    #[arg(long, value_name = "FILE")]
    pub playbook: Option<PathBuf>,
    /// Colour the session: auto, always or never.
    #[arg(long, default_value = "auto", value_parser = ["auto", "always", "never"])]
    pub color: String,
    #[command(flatten)]
    pub live: LiveArgs,
}

pub fn run(args: Args) -> anyhow::Result<i32> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        // First, before any router is touched: signals stop the session through its cleanup.
        let stop = Stop::from_signals()?;
        let terminal = std::io::stdin().is_terminal();
        // The ladder is part of the guide: always drawn, in the locale's characters.
        let style = super::text_style(&args.color, "always");
        let _restore = terminal.then(TerminalGuard::save);
        let mut input = Input::stdin(terminal);
        let mut say = Transcript::new(Box::new(std::io::stdout()), style.color, !terminal);
        if let Some(charset) = style.ladder {
            say = say.with_charset(charset);
        }
        // Progress lines would mix with the prompts: only notes (a run waiting for another).
        let progress = Bars::new(false);
        let outcome = execute(args, &mut input, say, stop, &progress).await?;
        Ok(outcome.report.exit_code)
    })
}

/// Checks everything, runs the session, writes the transcript. Fails (exit 3) only on bad
/// input, before any router is touched.
pub async fn execute(
    args: Args,
    input: &mut Input,
    say: Transcript,
    stop: Stop,
    progress: &dyn Progress,
) -> anyhow::Result<Outcome> {
    let playbook = match &args.playbook {
        Some(p) => playbook::load(p)?,
        None => playbook::shipped("guide").context("the guide playbook is not shipped")??,
    };
    // Opened now: a transcript that cannot be written is known before the routers are.
    let mut file = match &args.transcript {
        Some(p) => Some(
            std::fs::File::create(p)
                .with_context(|| format!("cannot write the transcript {}", p.display()))?,
        ),
        None => None,
    };
    let outcome = match &args.inventory {
        Some(path) => {
            let inventory = Inventory::load(path)?;
            let policy = args.live.host_keys()?;
            let tunnel = pick(&inventory, args.tunnel.as_deref())?;
            session(
                &args, &tunnel, &playbook, &policy, input, say, stop, progress,
            )
            .await
        }
        None => {
            let name = args
                .lab
                .clone()
                .unwrap_or_else(|| DEFAULT_LAB_SCENARIO.to_string());
            let scenario = Scenario::find(&name, None)?;
            let options = LabOptions {
                speed: args.live.lab_speed,
                ..LabOptions::default()
            };
            let lab = Lab::start(&scenario, options, &IkeFactory, std::future::pending()).await?;
            let dir = tempfile_dir()?;
            let known = dir.join("known_hosts");
            let result = async {
                lab.write_known_hosts(&known)?;
                let text = lab.inventory_yaml()?;
                let inventory = Inventory::from_yaml("<lab inventory>", &text, &|_| None)?;
                let tunnel = pick(&inventory, args.tunnel.as_deref())?;
                let policy = HostKeyPolicy::strict(&known);
                anyhow::Ok(
                    session(
                        &args, &tunnel, &playbook, &policy, input, say, stop, progress,
                    )
                    .await,
                )
            }
            .await;
            lab.stop().await;
            let _ = std::fs::remove_dir_all(&dir);
            result?
        }
    };
    if let (Some(f), Some(p)) = (file.as_mut(), &args.transcript)
        && let Err(e) = f
            .write_all(outcome.markdown.as_bytes())
            .and_then(|_| f.flush())
    {
        // The session is over and the routers are clean: say it, keep the verdict's code.
        let _ = writeln!(
            std::io::stderr(),
            "ipsec-doctor: could not write the transcript {}: {e}",
            p.display()
        );
    }
    Ok(outcome)
}

/// The one tunnel to walk: the one named, or the inventory's only one.
fn pick(inventory: &Inventory, name: Option<&str>) -> anyhow::Result<TunnelTarget> {
    let known: Vec<&str> = inventory.tunnels.iter().map(|t| t.name.as_str()).collect();
    let t = match name {
        Some(n) => inventory.tunnel(n).with_context(|| {
            format!(
                "no tunnel {n:?} in the inventory (it has: {})",
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            )
        })?,
        None => match inventory.tunnels.as_slice() {
            [only] => only,
            [] => bail!("the inventory lists no tunnels: add a `tunnels:` entry pairing two hosts"),
            _ => bail!(
                "the guide walks one tunnel: name it (the inventory has {})",
                known.join(", ")
            ),
        },
    };
    let (Some(a), Some(b)) = (inventory.host(&t.a), inventory.host(&t.b)) else {
        bail!(
            "tunnel {:?} names a host the inventory does not have",
            t.name
        );
    };
    Ok(TunnelTarget {
        name: t.name.clone(),
        a: target(a),
        b: target(b),
        a_peer_address: t.a_peer_address,
        b_peer_address: t.b_peer_address,
    })
}

#[allow(clippy::too_many_arguments)]
async fn session(
    args: &Args,
    tunnel: &TunnelTarget,
    playbook: &Playbook,
    policy: &HostKeyPolicy,
    input: &mut Input,
    say: Transcript,
    stop: Stop,
    progress: &dyn Progress,
) -> Outcome {
    // Each `clear` is asked for at its prompt: that answer is the permission.
    let run_options = args.live.run_options(true);
    let options = Options {
        allow_config: args.allow_config,
    };
    guide::guide(
        tunnel,
        playbook,
        policy,
        &run_options,
        &options,
        input,
        say,
        stop,
        progress,
    )
    .await
}
