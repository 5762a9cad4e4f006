//! Scheduled health checks: every configured tunnel of an inventory, its state and why, for
//! Nagios and Prometheus. Read-only: show commands only, no debug, nothing cleared.
//!
//! One cycle, in the order data flows:
//! - [`collect`]: log into each router once (bounded concurrency) and run the health
//!   playbook's show commands, `show crypto ipsec sa` twice for rates;
//! - [`series`]: the tunnel series, from the configurations (every crypto map entry) and the
//!   inventory's tunnels, so a tunnel that is down never drops out of the output;
//! - [`slice`], [`counters`], [`judge`]: each series' share of its routers' outputs through
//!   the engine (the same findings and fixes as triage), rates, and the state with reasons;
//! - [`shard`]: which tunnels this replica checks (`--shard i/n`);
//! - [`schedule`]: `--every`, without drift or overlap, until the stop signal;
//! - [`exporter`]: `--serve`, the latest cycle's metrics over HTTP.
//!
//! Rendering is `crate::report::health`'s job. The stop signal is passed in (mini-redis style):
//! Ctrl-C and SIGTERM from the CLI, any future in tests.

pub mod collect;
pub mod counters;
pub mod exporter;
pub mod judge;
pub mod schedule;
pub mod series;
pub mod shard;
pub mod slice;

use crate::engine::finding::{Code, Finding};
use crate::engine::parse::show::ShowKind;
use crate::inventory::{Host, Inventory, InventoryError};
use crate::ios::RunningConfig;
use crate::playbook::{Playbook, Safety, Scoped};
use crate::run::RunOptions;
use crate::ssh::HostKeyPolicy;
use collect::{Carry, CollectOptions, Failure, RouterResult};
use counters::{Rates, Totals};
use serde::Serialize;
use series::{End, Series};
use shard::Shard;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::SystemTime;

/// A tunnel's state; the order is the order of urgency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum State {
    Up,
    Idle,
    Degraded,
    Down,
    Unknown,
}

impl State {
    pub const ALL: [State; 5] = [
        State::Up,
        State::Idle,
        State::Degraded,
        State::Down,
        State::Unknown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            State::Up => "UP",
            State::Idle => "IDLE",
            State::Degraded => "DEGRADED",
            State::Down => "DOWN",
            State::Unknown => "UNKNOWN",
        }
    }
}

/// One series' result in one cycle.
#[derive(Debug, Clone, Serialize)]
pub struct TunnelHealth {
    pub tunnel: String,
    pub state: State,
    /// Nagios status: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
    pub status: i32,
    pub always_on: bool,
    /// Checked on one router only: no inventory tunnel pairs its crypto map entry.
    pub one_sided: bool,
    pub reasons: Vec<String>,
    /// The engine's findings (with evidence and fixes), and health's own rate-based ones.
    pub findings: Vec<Finding>,
    pub ends: Vec<EndHealth>,
    /// `--triage-on-failure`: what the triage playbook found on this DOWN tunnel.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub triage: Option<TriageResult>,
}

impl TunnelHealth {
    /// The routers' names, `a` first.
    pub fn routers(&self) -> Vec<&str> {
        self.ends.iter().map(|e| e.router.as_str()).collect()
    }

    /// The peer address the first end's entry names.
    pub fn peer(&self) -> String {
        self.ends
            .first()
            .and_then(|e| e.peer)
            .map_or_else(String::new, |p| p.to_string())
    }

    pub fn codes(&self) -> BTreeSet<Code> {
        self.findings
            .iter()
            .chain(self.triage.iter().flat_map(|t| t.findings.iter()))
            .map(|f| f.code)
            .collect()
    }
}

/// One router's view of a series.
#[derive(Debug, Clone, Serialize)]
pub struct EndHealth {
    pub router: String,
    pub peer: Option<Ipv4Addr>,
    pub map: Option<String>,
    pub seq: Option<u32>,
    /// The VTI that protects this peer, for a route-based tunnel.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tunnel: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<Failure>,
    /// `show crypto isakmp sa` state toward the peer (`QM_IDLE`, `MM_NO_STATE`…).
    pub phase1: Option<String>,
    /// Flows toward the peer with IPsec SAs installed.
    pub ipsec_sas: usize,
    pub counters: Option<Totals>,
    pub rates: Option<Rates>,
    /// Seconds left on an SA that has no successor yet.
    pub sa_seconds_left: Option<u64>,
}

impl EndHealth {
    fn new(end: &End) -> EndHealth {
        EndHealth {
            router: end.router.clone(),
            peer: end.peer,
            map: end.map.clone(),
            seq: end.seq,
            tunnel: end.tunnel.clone(),
            failure: None,
            phase1: None,
            ipsec_sas: 0,
            counters: None,
            rates: None,
            sa_seconds_left: None,
        }
    }
}

/// The triage playbook's findings on a DOWN tunnel, and whether its debugs were confirmed off.
#[derive(Debug, Clone, Serialize)]
pub struct TriageResult {
    pub findings: Vec<Finding>,
    pub debug_off_confirmed: bool,
    pub warnings: Vec<String>,
}

/// One router's collection in one cycle: the per-router scrape success.
#[derive(Debug, Clone, Serialize)]
pub struct RouterHealth {
    pub router: String,
    pub up: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<Failure>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub detail: String,
    pub duration_seconds: f64,
    pub logins: u32,
}

/// One cycle's results.
#[derive(Debug, Clone, Serialize)]
pub struct Cycle {
    pub number: u64,
    /// RFC 3339, UTC.
    pub timestamp: String,
    #[serde(skip)]
    pub started: SystemTime,
    pub duration_seconds: f64,
    pub shard: String,
    /// Worst first.
    pub tunnels: Vec<TunnelHealth>,
    pub routers: Vec<RouterHealth>,
    /// What the user should know about the cycle itself (a late start, a bad inventory).
    pub notes: Vec<String>,
    /// The inventory of this cycle loaded (else the last good one was used).
    pub inventory_ok: bool,
    /// How late this cycle started after its slot (`--every`), when the previous overran.
    pub late_seconds: f64,
}

impl Cycle {
    /// The Nagios status of the whole check: CRITICAL over WARNING over UNKNOWN over OK, as
    /// the Monitoring Plugins combine states, so a down tunnel is never hidden behind a router
    /// that could not be read. No tunnel at all is UNKNOWN.
    pub fn status(&self) -> i32 {
        if self.tunnels.is_empty() {
            return 3;
        }
        let has = |s: i32| self.tunnels.iter().any(|t| t.status == s);
        [2, 1, 3, 0].into_iter().find(|s| has(*s)).unwrap_or(3)
    }

    pub fn count(&self, state: State) -> usize {
        self.tunnels.iter().filter(|t| t.state == state).count()
    }
}

/// How urgent a Nagios status is, for sorting: CRITICAL, WARNING, UNKNOWN, OK.
pub fn urgency(status: i32) -> u8 {
    match status {
        2 => 3,
        1 => 2,
        3 => 1,
        _ => 0,
    }
}

#[derive(Debug, thiserror::Error)]
pub enum HealthError {
    #[error(transparent)]
    Inventory(#[from] InventoryError),
    #[error("{0}")]
    Input(String),
}

/// Where each cycle's inventory comes from.
#[derive(Debug, Clone)]
pub enum InventorySource {
    /// Re-read every cycle: tunnels added or removed need no restart.
    File(PathBuf),
    /// Given once (the built-in lab).
    Fixed(Inventory),
}

/// What `--triage-on-failure` needs.
#[derive(Debug, Clone)]
pub struct TriageOnFailure {
    pub playbook: Playbook,
    pub options: RunOptions,
    /// DOWN tunnels triaged at once (a router is in one tunnel's triage at a time).
    pub concurrency: usize,
}

#[derive(Debug, Clone)]
pub struct HealthOptions {
    /// The health playbook's show commands, in order, each with the routers it is for.
    pub commands: Vec<Scoped>,
    pub collect: CollectOptions,
    pub shard: Shard,
    /// Check this inventory tunnel only.
    pub tunnel: Option<String>,
    pub policy: HostKeyPolicy,
    pub triage: Option<TriageOnFailure>,
}

/// The show commands of a health playbook, each with its step's `applies:` (a router gets the
/// commands that fit any of its tunnels). Health is read-only, so a playbook with any other
/// kind of step is refused before a router is contacted.
pub fn show_commands(playbook: &Playbook) -> Result<Vec<Scoped>, HealthError> {
    let mut out = Vec::new();
    for step in &playbook.steps {
        match (&step.action, step.safety) {
            (crate::playbook::Action::Show { command }, Safety::Read) => out.push(Scoped {
                command: command.clone(),
                applies: step.applies,
            }),
            _ => {
                return Err(HealthError::Input(format!(
                    "playbook {}: step {:?} is not a read-only show step; health checks run show commands only",
                    playbook.name, step.id
                )));
            }
        }
    }
    if out.is_empty() {
        return Err(HealthError::Input(format!(
            "playbook {}: no show steps to run",
            playbook.name
        )));
    }
    Ok(out)
}

/// Runs cycles; holds what one cycle leaves for the next (sessions, samples, configurations,
/// the last good inventory).
pub struct Checker {
    source: InventorySource,
    options: HealthOptions,
    carry: Arc<Carry>,
    last_inventory: Option<Inventory>,
    /// Each router's last configuration: a router that cannot be read this cycle still has
    /// its tunnels reported (UNKNOWN), not dropped.
    last_configs: HashMap<String, Arc<RunningConfig>>,
    cycles: u64,
    tally: Arc<dyn collect::Tally>,
}

impl Checker {
    pub fn new(source: InventorySource, options: HealthOptions) -> Checker {
        Checker {
            source,
            options,
            carry: Arc::new(Carry::default()),
            last_inventory: None,
            last_configs: HashMap::new(),
            cycles: 0,
            tally: Arc::new(collect::Quiet),
        }
    }

    /// Reports each router as its collection ends (a progress bar).
    pub fn with_tally(mut self, tally: Arc<dyn collect::Tally>) -> Checker {
        self.tally = tally;
        self
    }

    /// Loads the inventory and checks the tunnel name, so bad input fails before any cycle.
    pub fn preflight(&mut self) -> Result<(), HealthError> {
        let (inventory, _) = self.inventory()?;
        self.select(&inventory)?;
        Ok(())
    }

    fn inventory(&mut self) -> Result<(Inventory, Option<String>), HealthError> {
        let loaded = match &self.source {
            InventorySource::Fixed(i) => Ok(i.clone()),
            InventorySource::File(p) => Inventory::load(p),
        };
        match loaded {
            Ok(i) => {
                self.last_inventory = Some(i.clone());
                Ok((i, None))
            }
            Err(e) => match &self.last_inventory {
                Some(last) => Ok((
                    last.clone(),
                    Some(format!(
                        "the inventory did not load, the last good one was used: {e}"
                    )),
                )),
                None => Err(e.into()),
            },
        }
    }

    /// The tunnels this replica reports, and the routers it reads: both routers of each of
    /// its tunnels, and the routers whose unpaired entries are its own (their shard by router
    /// name) together with those routers' tunnel partners, whose configurations tell which
    /// entries a tunnel claims.
    fn select<'i>(
        &self,
        inv: &'i Inventory,
    ) -> Result<(Vec<&'i crate::inventory::Tunnel>, Vec<Host>), HealthError> {
        let shard = self.options.shard;
        let tunnels: Vec<_> = match &self.options.tunnel {
            Some(name) => match inv.tunnel(name) {
                Some(t) => vec![t],
                None => {
                    let known: Vec<&str> = inv.tunnels.iter().map(|t| t.name.as_str()).collect();
                    return Err(HealthError::Input(format!(
                        "no tunnel {name:?} in the inventory (it has: {})",
                        if known.is_empty() {
                            "none".to_string()
                        } else {
                            known.join(", ")
                        }
                    )));
                }
            },
            None => inv.tunnels.iter().filter(|t| shard.owns(&t.name)).collect(),
        };
        let mut names: BTreeSet<&str> = tunnels
            .iter()
            .flat_map(|t| [t.a.as_str(), t.b.as_str()])
            .collect();
        if self.options.tunnel.is_none() {
            let home: BTreeSet<&str> = inv
                .hosts
                .keys()
                .map(String::as_str)
                .filter(|h| shard.owns(h))
                .collect();
            for t in &inv.tunnels {
                if home.contains(t.a.as_str()) || home.contains(t.b.as_str()) {
                    names.insert(&t.a);
                    names.insert(&t.b);
                }
            }
            names.extend(home);
        }
        let hosts = names
            .into_iter()
            .filter_map(|n| inv.host(n).cloned())
            .collect();
        Ok((tunnels, hosts))
    }

    /// Logs out of kept sessions.
    pub async fn close(&self) {
        self.carry.close_all().await;
    }

    /// One cycle over the inventory as it is now.
    pub async fn cycle(
        &mut self,
        stop: &tokio::sync::watch::Receiver<bool>,
    ) -> Result<Cycle, HealthError> {
        let started = SystemTime::now();
        let clock = tokio::time::Instant::now();
        self.cycles += 1;
        let (inventory, note) = self.inventory()?;
        let (tunnels, hosts) = self.select(&inventory)?;
        let reading = tokio::time::Instant::now();
        let results = collect::collect_all(
            hosts,
            Arc::new(self.options.commands.clone()),
            &self.options.policy,
            &self.options.collect,
            &self.carry,
            stop,
            self.tally.as_ref(),
        )
        .await;
        tracing::info!(
            "read {} routers in {:.2} s ({} could not be read)",
            results.len(),
            reading.elapsed().as_secs_f64(),
            results.iter().filter(|r| r.collected.is_err()).count()
        );
        let judging = tokio::time::Instant::now();
        for r in &results {
            if let Ok(c) = &r.collected
                && let Some(o) = c.output(ShowKind::RunningConfig)
            {
                self.last_configs.insert(r.router.clone(), o.config());
            }
        }
        let known: BTreeSet<&str> = results.iter().map(|r| r.router.as_str()).collect();
        let configs: BTreeMap<String, &RunningConfig> = self
            .last_configs
            .iter()
            .filter(|(r, _)| known.contains(r.as_str()))
            .map(|(r, c)| (r.clone(), c.as_ref()))
            .collect();
        let shard = self.options.shard;
        let one_sided = self.options.tunnel.is_none();
        let all: Vec<&crate::inventory::Tunnel> = inventory.tunnels.iter().collect();
        let reported: BTreeSet<&str> = tunnels.iter().map(|t| t.name.as_str()).collect();
        let series: Vec<Series> =
            series::discover(&all, &configs, &|t| reported.contains(t), &|r| {
                one_sided && shard.owns(r)
            });
        let by_router: BTreeMap<&str, &RouterResult> =
            results.iter().map(|r| (r.router.as_str(), r)).collect();
        let mut judged = judge_all(&series, &by_router);
        tracing::info!(
            "judged {} series in {:.2} s",
            judged.len(),
            judging.elapsed().as_secs_f64()
        );
        if let Some(t) = &self.options.triage {
            triage_down(&mut judged, &inventory, t, &self.options.policy, stop).await;
        }
        judged.sort_by(|a, b| {
            urgency(b.status)
                .cmp(&urgency(a.status))
                .then(b.state.cmp(&a.state))
                .then(a.tunnel.cmp(&b.tunnel))
        });
        let routers = results
            .iter()
            .map(|r| {
                let (failure, detail) = match &r.collected {
                    Ok(_) => (None, String::new()),
                    Err((f, d)) => (Some(*f), d.clone()),
                };
                RouterHealth {
                    router: r.router.clone(),
                    up: r.collected.is_ok(),
                    failure,
                    detail,
                    duration_seconds: r.duration.as_secs_f64(),
                    logins: r.logins,
                }
            })
            .collect();
        Ok(Cycle {
            number: self.cycles,
            timestamp: rfc3339(started),
            started,
            duration_seconds: clock.elapsed().as_secs_f64(),
            shard: shard.to_string(),
            tunnels: judged,
            routers,
            notes: note.into_iter().collect(),
            inventory_ok: true,
            late_seconds: 0.0,
        })
        .map(|mut c| {
            c.inventory_ok = c.notes.is_empty();
            c
        })
    }
}

/// Judges every series, on every core: the engine's work per series is CPU alone, and on a
/// fleet it is the part of a cycle that follows the last router read.
fn judge_all(series: &[Series], by_router: &BTreeMap<&str, &RouterResult>) -> Vec<TunnelHealth> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(series.len() / 32);
    if threads < 2 {
        return series.iter().map(|s| judge::judge(s, by_router)).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let Some(s) = series.get(i) else { break done };
            done.push((i, judge::judge(s, by_router)));
        }
    };
    let scoped = || {
        std::thread::scope(|scope| {
            let others: Vec<_> = (1..threads).map(|_| scope.spawn(work)).collect();
            let mut all = work();
            for handle in others {
                match handle.join() {
                    Ok(done) => all.extend(done),
                    // A panic in the engine (a bug) goes on as it would have on this thread.
                    Err(panic) => std::panic::resume_unwind(panic),
                }
            }
            all
        })
    };
    // This thread waits on the others: tell the runtime, so its other tasks (the exporter's
    // answers) move to another worker meanwhile.
    let multi = tokio::runtime::Handle::try_current()
        .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
    let mut all = if multi {
        tokio::task::block_in_place(scoped)
    } else {
        scoped()
    };
    all.sort_by_key(|(i, _)| *i);
    all.into_iter().map(|(_, t)| t).collect()
}

/// `2026-11-26T10:15:42.123Z`
pub fn rfc3339(t: SystemTime) -> String {
    chrono::DateTime::<chrono::Utc>::from(t).to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Runs the triage playbook on each DOWN tunnel that pairs two inventory routers, as
/// `triage -i` does ([`crate::run::many`]: concurrently, a router in one tunnel's run at a
/// time, so no router's debug windows overlap), and attaches what it found. The runner
/// switches every debug off on every way out, the stop included.
async fn triage_down(
    tunnels: &mut [TunnelHealth],
    inventory: &Inventory,
    t: &TriageOnFailure,
    policy: &HostKeyPolicy,
    stop: &tokio::sync::watch::Receiver<bool>,
) {
    let mut which = Vec::new();
    let mut targets = Vec::new();
    for (i, th) in tunnels.iter().enumerate() {
        if th.state != State::Down || th.one_sided {
            continue;
        }
        let Some(tunnel) = inventory.tunnel(&th.tunnel) else {
            continue;
        };
        let (Some(a), Some(b)) = (inventory.host(&tunnel.a), inventory.host(&tunnel.b)) else {
            continue;
        };
        which.push(i);
        targets.push(crate::run::TunnelTarget {
            name: tunnel.name.clone(),
            a: router_target(a),
            b: router_target(b),
            a_peer_address: tunnel.a_peer_address,
            b_peer_address: tunnel.b_peer_address,
        });
    }
    let mut rx = stop.clone();
    let stopped = async move {
        let _ = rx.wait_for(|s| *s).await;
    };
    let batch = crate::run::many::Batch {
        tunnels: &targets,
        playbook: &t.playbook,
        policy,
        options: &t.options,
        concurrency: t.concurrency,
    };
    crate::run::many::run_many(
        batch,
        stopped,
        &crate::run::progress::Silent,
        |k, outcome| {
            // A tunnel the stop kept from starting gets no triage: its health stands alone.
            let crate::run::many::Outcome::Ran(diagnosis, log) = outcome else {
                return;
            };
            let th = &mut tunnels[which[k]];
            let confirmed = log.cleanup_confirmed();
            let warnings = log
                .cleanup
                .iter()
                .filter(|c| !c.debug_off_confirmed)
                .map(|c| format!("DEBUG MAY STILL BE ON on {}: {}", c.router, c.detail))
                .chain(
                    log.errors
                        .iter()
                        .map(|e| format!("triage stopped early: {e}")),
                )
                .collect();
            th.triage = Some(TriageResult {
                findings: diagnosis.findings,
                debug_off_confirmed: confirmed,
                warnings,
            });
            if !confirmed {
                th.status = 3;
                th.reasons.push(
                    "triage could not confirm that debug is off: log in and run `undebug all`"
                        .into(),
                );
            }
        },
    )
    .await;
}

fn router_target(h: &Host) -> crate::run::RouterTarget {
    crate::run::RouterTarget {
        name: h.name.clone(),
        ssh: h.ssh_target(),
        session: h.session_options(true),
        command_timeout: h.ssh.command_timeout,
    }
}
