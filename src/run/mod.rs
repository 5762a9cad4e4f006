//! The orchestrator: runs a playbook on the two routers of a tunnel at once, feeds every line
//! to the engine as it arrives, and guarantees cleanup.
//!
//! Safety is built into the shape of [`run_tunnel`]:
//! - runs on one router from this machine take turns ([`lock`]);
//! - the steps run inside a `select!` against the stop signal ([`stop`]: SIGINT, SIGTERM,
//!   SIGHUP, SIGQUIT in the CLI, any future in tests) and inside [`unwind::CatchUnwind`], so a
//!   panic ends them like an error;
//! - whatever ends them — success, a device error, a timeout, a lost connection, the stop, a
//!   panic — the cleanup that follows switches off exactly the debugs this run switched on
//!   (reconnecting if the session was lost), on both routers at once, each within a deadline,
//!   and reads `show debug` back to confirm it;
//! - debugs found on at the start are someone else's: no debug window is opened on that
//!   router (unless `--clear-stale-debug`), and they are left as found.
//!
//! Only a process killed outright (SIGKILL, a power cut) escapes, which is why each run starts
//! by reporting crypto debugs already on.
//!
//! [`run_tunnel`] runs a whole playbook. Drivers that decide as they go (the guide) hold a
//! [`Runner`] instead and call it a step at a time, each call inside [`guarded`] (the same stop
//! signal and panic catch), and end with [`Runner::finish`], the same cleanup.
//!
//! [`many`] runs many tunnels this way at once, a router in one tunnel's run at a time.
//!
//! Each router gets the steps and commands that fit its own tunnel ([`facts`]: IKEv1 or IKEv2,
//! crypto map or VTI, learned from its configuration as soon as a step has read it; until
//! then, the IKEv1 crypto map commands), with its placeholders filled from the same reading
//! ([`context`]).

mod cleanup;
mod configure;
pub mod context;
pub mod facts;
pub mod lock;
pub mod log;
pub mod many;
pub mod progress;
mod router;
pub mod stop;
pub mod unwind;

use crate::device::{DeviceError, SessionOptions, UnsolicitedLine};
use crate::engine::peer::PeerState;
use crate::engine::{Diagnosis, Engine};
use crate::playbook::{Action, Applies, Ike, PeerSel, Playbook, Safety, Scoped, Step, Style};
use crate::ssh::{HostKeyPolicy, SshTarget};
use cleanup::{clean_bounded, crypto_debugs, undo};
pub use configure::Applied;
use context::{Hints, Learned, Values};
use lock::RouterLock;
use log::{
    Cleanup, ConfigChange, RouterError, RouterTunnel, RunLog, StaleDebug, StepRecord, StepStatus,
};
use progress::Progress;
use router::{Router, run_all};
use std::future::Future;
use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;
use unwind::CatchUnwind;

/// How long the cleanup of one router may take (reconnecting included) before the run gives
/// up on it and says DEBUG MAY STILL BE ON: a stop request from systemd or Kubernetes is
/// followed by SIGKILL after 30 to 90 s, and cleanup must be over by then.
pub const CLEANUP_DEADLINE: Duration = Duration::from_secs(20);

/// One router as the runner reaches it.
#[derive(Debug, Clone)]
pub struct RouterTarget {
    pub name: String,
    pub ssh: SshTarget,
    pub session: SessionOptions,
    pub command_timeout: Duration,
}

/// The two routers of a tunnel; `a` is the side that sends the test traffic.
#[derive(Debug, Clone)]
pub struct TunnelTarget {
    pub name: String,
    pub a: RouterTarget,
    pub b: RouterTarget,
    pub a_peer_address: Option<Ipv4Addr>,
    pub b_peer_address: Option<Ipv4Addr>,
}

#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Runs `clear` steps (`--allow-disruptive`).
    pub allow_disruptive: bool,
    /// Switches off crypto debugs found already on (`--clear-stale-debug`).
    pub clear_stale_debug: bool,
    /// Overrides every debug step's duration (`--debug-window`).
    pub debug_window: Option<Duration>,
    /// Ends a debug window early once the trigger is done and no line came for this long.
    pub idle_cutoff: Duration,
    /// Skips debug steps entirely (health checks).
    pub no_debug: bool,
    /// How long cleanup may take per router ([`CLEANUP_DEADLINE`]).
    pub cleanup_deadline: Duration,
    /// Where the per-router locks live ([`lock::default_dir`]).
    pub lock_dir: PathBuf,
}

impl Default for RunOptions {
    fn default() -> RunOptions {
        RunOptions {
            allow_disruptive: false,
            clear_stale_debug: false,
            debug_window: None,
            idle_cutoff: Duration::from_secs(5),
            no_debug: false,
            cleanup_deadline: CLEANUP_DEADLINE,
            lock_dir: lock::default_dir(),
        }
    }
}

/// The most debug lines a driver is handed per step ([`Runner::take_outputs`]); the engine
/// still reads every one.
pub const MAX_KEPT_DEBUG_LINES: usize = 5_000;

/// What a router printed during a step, kept for a driver that shows it ([`Runner::keep_outputs`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    pub router: String,
    /// The command, or `debug` for a line the router sent on its own.
    pub source: String,
    /// 1-based: the output's first line for a command, the line's number for `debug`.
    pub line: usize,
    pub text: String,
}

/// A run held open between steps. Every router-facing call returns a [`RunError`] that ends
/// the run; [`Runner::fail`] records it and [`Runner::finish`] cleans up, whatever happened.
pub struct Runner<'a> {
    tunnel: String,
    engine: Engine,
    a: Router,
    b: Router,
    unsolicited: mpsc::UnboundedReceiver<UnsolicitedLine>,
    tx: mpsc::UnboundedSender<UnsolicitedLine>,
    policy: HostKeyPolicy,
    options: &'a RunOptions,
    hints: (Hints, Hints),
    log: RunLog,
    progress: &'a dyn Progress,
    debug_lines: u64,
    /// The per-router locks, held until the cleanup is over.
    locks: Vec<RouterLock>,
    /// Outputs kept for the driver, when it asked for them.
    kept: Option<Vec<Output>>,
    kept_debug: usize,
}

/// Runs `playbook` on both routers of `tunnel`. Always returns a diagnosis and the log of what
/// was done, including whether cleanup was confirmed.
pub async fn run_tunnel(
    tunnel: &TunnelTarget,
    playbook: &Playbook,
    policy: &HostKeyPolicy,
    options: &RunOptions,
    stop: impl Future<Output = ()>,
    progress: &dyn Progress,
) -> (Diagnosis, RunLog) {
    let mut run = Runner::new(tunnel, policy, options, progress);
    tokio::pin!(stop);
    if let Err(e) = guarded(&mut stop, run.steps(playbook)).await {
        run.fail(e);
    }
    run.finish().await
}

/// Runs one part of a run against the stop signal, a panic in it coming back as an error:
/// whatever ends it, the caller still has its [`Runner`] to clean up with.
pub async fn guarded<T>(
    stop: impl Future<Output = ()>,
    work: impl Future<Output = Result<T, RunError>> + Send,
) -> Result<T, RunError> {
    tokio::select! {
        r = CatchUnwind::new(work) => r.unwrap_or_else(|m| Err(RunError::Panic(m))),
        _ = stop => Err(RunError::Interrupted),
    }
}

/// Why a run ended before its steps were done.
#[derive(Debug)]
pub enum RunError {
    /// The stop signal fired (a signal, or the guide's user quit).
    Interrupted,
    Device(Box<DeviceError>),
    /// One or both routers could not be reached; each one's error.
    Unreachable(Vec<RouterError>),
    Lock(String),
    Panic(String),
    /// A command outside its safety class, refused before anything was sent.
    Refused(String),
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunError::Interrupted => f.write_str("interrupted"),
            RunError::Device(e) => write!(f, "{e}"),
            RunError::Unreachable(errors) => {
                let each: Vec<String> = errors
                    .iter()
                    .map(|e| format!("{}: {}", e.router, e.error))
                    .collect();
                write!(f, "could not connect: {}", each.join("; "))
            }
            RunError::Lock(e) | RunError::Refused(e) => f.write_str(e),
            RunError::Panic(m) => write!(f, "internal error (a bug, please report it): {m}"),
        }
    }
}

impl From<DeviceError> for RunError {
    fn from(e: DeviceError) -> RunError {
        RunError::Device(Box::new(e))
    }
}

/// Whether a step or command written for `applies` is for a router with what `learned` says.
/// A router whose configuration is not known (yet) is taken to be an IKEv1 crypto map router:
/// the commands every IOS release knows.
fn fits(applies: &Applies, learned: &Learned) -> bool {
    let (ike, style) = learned
        .facts
        .as_ref()
        .map_or((Ike::V1, Style::CryptoMap), |f| (f.ike, f.style));
    applies.holds(ike, style)
}

/// The conditions that scope a debug window to the peer: its address, and also where the
/// router's configuration sends IKE when that is elsewhere (a wrong tunnel destination or
/// crypto map peer), or the negotiation that shows the mistake would be filtered out.
fn conditions(learned: &Learned) -> Vec<String> {
    let Some(peer) = learned.values.get("peer_address") else {
        return Vec::new();
    };
    let mut out = vec![format!("debug crypto condition peer ipv4 {peer}")];
    if let Some(d) = learned.facts.as_ref().and_then(|f| f.destination)
        && d.to_string() != *peer
    {
        out.push(format!("debug crypto condition peer ipv4 {d}"));
    }
    out
}

/// What [`Runner::step`] did with a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepRun {
    Ran,
    Skipped(String),
}

impl<'a> Runner<'a> {
    pub fn new(
        tunnel: &TunnelTarget,
        policy: &HostKeyPolicy,
        options: &'a RunOptions,
        progress: &'a dyn Progress,
    ) -> Runner<'a> {
        let (tx, rx) = mpsc::unbounded_channel();
        let mut engine = Engine::new();
        let a_stream = engine.stream(&tunnel.a.name, true);
        let b_stream = engine.stream(&tunnel.b.name, true);
        Runner {
            tunnel: tunnel.name.clone(),
            engine,
            a: Router::new(tunnel.a.clone(), a_stream),
            b: Router::new(tunnel.b.clone(), b_stream),
            unsolicited: rx,
            tx,
            policy: policy.clone(),
            options,
            hints: (
                Hints {
                    peer_address: tunnel.a_peer_address,
                },
                Hints {
                    peer_address: tunnel.b_peer_address,
                },
            ),
            log: RunLog::default(),
            progress,
            debug_lines: 0,
            locks: Vec::new(),
            kept: None,
            kept_debug: 0,
        }
    }

    /// The debug window the run was told to use instead of the playbook's (`--debug-window`).
    pub fn debug_window(&self) -> Option<Duration> {
        self.options.debug_window
    }

    /// What the run has done so far.
    pub fn log(&self) -> &RunLog {
        &self.log
    }

    /// The router names, `a` first.
    pub fn names(&self) -> (&str, &str) {
        (&self.a.target.name, &self.b.target.name)
    }

    /// Records why the run ended early, as the report will say it.
    pub fn fail(&mut self, e: RunError) {
        match e {
            RunError::Interrupted => {
                tracing::warn!(tunnel = %self.tunnel, "interrupted: cleaning up");
                self.log.interrupted = true;
            }
            RunError::Device(e) => self.log.errors.push(e.to_string()),
            RunError::Unreachable(errors) => {
                for e in &errors {
                    self.log.errors.push(format!("{}: {}", e.router, e.error));
                }
                self.log.unreachable = errors;
            }
            RunError::Lock(e) | RunError::Refused(e) => self.log.errors.push(e),
            RunError::Panic(m) => {
                tracing::error!(tunnel = %self.tunnel, "internal error: {m}; cleaning up");
                self.log
                    .errors
                    .push(format!("internal error (a bug, please report it): {m}"));
                self.log.internal_error = Some(m);
            }
        }
    }

    /// Cleans up (every debug this run switched on, off and confirmed), lets the locks go and
    /// returns the diagnosis and the log.
    pub async fn finish(mut self) -> (Diagnosis, RunLog) {
        self.cleanup().await;
        self.locks.clear();
        // The engine may be what panicked: its answer is taken with the same care.
        let diagnosis = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            self.drain();
            std::mem::take(&mut self.engine).finish()
        })) {
            Ok(d) => d,
            Err(p) => {
                let m = unwind::message(p.as_ref());
                self.log
                    .errors
                    .push(format!("internal error (a bug, please report it): {m}"));
                self.log.internal_error.get_or_insert(m);
                Engine::new().finish()
            }
        };
        self.progress.finish();
        (diagnosis, self.log)
    }

    /// Keeps what the routers print from now on, for [`Runner::take_outputs`].
    pub fn keep_outputs(&mut self) {
        self.kept.get_or_insert_with(Vec::new);
    }

    /// What the routers printed since the last call, and how many debug lines were not kept
    /// beyond [`MAX_KEPT_DEBUG_LINES`].
    pub fn take_outputs(&mut self) -> (Vec<Output>, usize) {
        self.drain();
        let dropped = self.kept_debug.saturating_sub(MAX_KEPT_DEBUG_LINES);
        self.kept_debug = 0;
        (
            self.kept.as_mut().map(std::mem::take).unwrap_or_default(),
            dropped,
        )
    }

    fn keep(&mut self, router: &str, source: &str, line: usize, text: &str) {
        let Some(kept) = self.kept.as_mut() else {
            return;
        };
        if source == "debug" {
            self.kept_debug += 1;
            if self.kept_debug > MAX_KEPT_DEBUG_LINES {
                return;
            }
        }
        kept.push(Output {
            router: router.to_string(),
            source: source.to_string(),
            line,
            text: text.to_string(),
        });
    }

    /// The diagnosis the evidence so far supports.
    pub fn snapshot(&mut self) -> Diagnosis {
        self.drain();
        self.engine.snapshot()
    }

    /// What the engine knows of each router, `a` first.
    pub fn peers(&mut self) -> (Option<&PeerState>, Option<&PeerState>) {
        self.drain();
        self.engine.settle();
        (
            self.engine.peer(self.a.stream),
            self.engine.peer(self.b.stream),
        )
    }

    /// Starts a new diagnosis (a re-test after a change): what was seen so far no longer
    /// counts. The sessions, locks and what is switched on stay.
    pub fn restart_engine(&mut self) {
        self.drain();
        let mut engine = Engine::new();
        self.a.stream = engine.stream(&self.a.target.name, true);
        self.b.stream = engine.stream(&self.b.target.name, true);
        self.engine = engine;
        self.debug_lines = 0;
    }

    /// The commands `step` will send, rendered for each router as it would run now: `a`'s,
    /// then `b`'s; a placeholder not learned yet is left as written.
    pub fn preview(&mut self, step: &Step) -> Vec<(String, String)> {
        let (la, lb) = self.learned();
        let mut out = Vec::new();
        let render = |c: &str, v: &Values| context::render(c, v).unwrap_or_else(|_| c.to_string());
        for side in [PeerSel::A, PeerSel::B] {
            let l = if side == PeerSel::A { &la } else { &lb };
            if !step.peer.includes(side) || !fits(&step.applies, l) {
                continue;
            }
            let v = &l.values;
            let name = self.router(side).target.name.clone();
            match &step.action {
                Action::Debug {
                    commands,
                    condition_peer,
                    ..
                } => {
                    if *condition_peer {
                        for c in conditions(l) {
                            out.push((name.clone(), c));
                        }
                        if !v.contains_key("peer_address") {
                            out.push((
                                name.clone(),
                                "debug crypto condition peer ipv4 {peer_address}".into(),
                            ));
                        }
                    }
                    for c in commands.iter().filter(|c| fits(&c.applies, l)) {
                        out.push((name.clone(), render(&c.command, v)));
                    }
                }
                Action::Check { commands } => {
                    for c in commands.iter().filter(|c| fits(&c.applies, l)) {
                        out.push((name.clone(), render(&c.command, v)));
                    }
                }
                other => {
                    for c in crate::playbook::commands_of(other) {
                        out.push((name.clone(), render(c, v)));
                    }
                }
            }
        }
        if let Action::Debug {
            trigger: Some(t), ..
        } = &step.action
        {
            let l = if t.peer == PeerSel::B { &lb } else { &la };
            if fits(&step.applies, l) {
                let name = self.router(t.peer).target.name.clone();
                out.push((name, render(&t.command, &l.values)));
            }
        }
        out
    }

    /// Moves the debug and syslog lines received so far into the engine.
    fn drain(&mut self) {
        while let Ok(line) = self.unsolicited.try_recv() {
            self.feed_unsolicited(line);
        }
    }

    fn feed_unsolicited(&mut self, line: UnsolicitedLine) {
        let stream = if line.device == self.a.target.name {
            self.a.stream
        } else {
            self.b.stream
        };
        self.debug_lines += 1;
        self.engine
            .feed(stream, "debug", line.seq as usize, &line.text);
        self.progress.lines(&line.device, self.debug_lines);
        self.keep(&line.device, "debug", line.seq as usize, &line.text);
    }

    fn feed_command(&mut self, side: PeerSel, command: &str, out: &str) {
        let r = self.router(side);
        let (stream, name) = (r.stream, r.target.name.clone());
        self.engine.feed_command(stream, command, command, out);
        self.keep(&name, command, 1, out);
    }

    /// What each router's configuration has told so far, `a` first.
    fn learned(&mut self) -> (Learned, Learned) {
        self.engine.settle();
        let (Some(a), Some(b)) = (
            self.engine.peer(self.a.stream),
            self.engine.peer(self.b.stream),
        ) else {
            return (Learned::default(), Learned::default());
        };
        let (la, lb) = (
            context::learn(a, b, &self.hints.0),
            context::learn(b, a, &self.hints.1),
        );
        for (router, l) in [(&self.a.target.name, &la), (&self.b.target.name, &lb)] {
            let Some(f) = &l.facts else { continue };
            let entry = RouterTunnel {
                router: router.clone(),
                tunnel: f.clone(),
            };
            match self.log.tunnels.iter_mut().find(|t| &t.router == router) {
                Some(t) => *t = entry,
                None => self.log.tunnels.push(entry),
            }
        }
        (la, lb)
    }

    /// Takes both routers' locks, in one order for every run (no two runs can each hold
    /// one and wait for the other).
    async fn lock(&mut self) -> Result<(), RunError> {
        let mut keys: Vec<(String, u16, String)> = [&self.a, &self.b]
            .iter()
            .map(|r| {
                (
                    r.target.ssh.host.clone(),
                    r.target.ssh.port,
                    r.target.name.clone(),
                )
            })
            .collect();
        keys.sort();
        keys.dedup_by(|x, y| x.0 == y.0 && x.1 == y.1);
        for (host, port, name) in keys {
            let progress = self.progress;
            let dir = &self.options.lock_dir;
            let lock = lock::acquire(dir, &host, port, |pid| {
                let who = pid.map_or_else(String::new, |p| format!(" (pid {p})"));
                let text = format!("waiting for the run on {name}{who} to finish");
                tracing::info!("{text}");
                progress.step(&name, "waiting for another run");
                progress.note(&name, &text);
            })
            .await
            .map_err(|e| {
                RunError::Lock(format!(
                    "{name}: cannot take the per-router lock in {}: {e}",
                    dir.display()
                ))
            })?;
            self.locks.push(lock);
        }
        Ok(())
    }

    /// Takes the locks, connects to both routers and reports debugs found already on.
    pub async fn open(&mut self) -> Result<(), RunError> {
        self.lock().await?;
        self.progress.step(&self.a.target.name, "connecting");
        self.progress.step(&self.b.target.name, "connecting");
        tracing::info!(a = %self.a.target.name, b = %self.b.target.name, "connecting");
        let (ra, rb) = tokio::join!(
            self.a.connect(&self.policy, self.tx.clone()),
            self.b.connect(&self.policy, self.tx.clone())
        );
        let unreachable: Vec<RouterError> = [(&self.a, ra), (&self.b, rb)]
            .into_iter()
            .filter_map(|(r, res)| {
                res.err().map(|e| RouterError {
                    router: r.target.name.clone(),
                    error: e.to_string(),
                })
            })
            .collect();
        if !unreachable.is_empty() {
            return Err(RunError::Unreachable(unreachable));
        }
        self.stale_debug().await
    }

    async fn steps(&mut self, playbook: &Playbook) -> Result<(), RunError> {
        self.open().await?;
        for step in &playbook.steps {
            self.step(step).await?;
        }
        self.drain();
        Ok(())
    }

    /// Why `step` would not run now (its condition, its class), if it would not.
    pub fn refusal(&mut self, step: &Step) -> Option<String> {
        self.drain();
        if !step.applies.any() {
            let (la, lb) = self.learned();
            let sides: Vec<(PeerSel, &Learned)> = [(PeerSel::A, &la), (PeerSel::B, &lb)]
                .into_iter()
                .filter(|(side, _)| step.peer.includes(*side))
                .collect();
            if !sides.iter().any(|(_, l)| fits(&step.applies, l)) {
                let who = match sides.as_slice() {
                    [(side, _)] => format!("{} is not one", self.router(*side).target.name),
                    _ => "neither router is one".to_string(),
                };
                return Some(format!("it is for {}, and {who}", step.applies.describe()));
            }
        }
        if !step.when.any.is_empty() || !step.when.none.is_empty() {
            let found: Vec<_> = self
                .engine
                .snapshot()
                .findings
                .iter()
                .map(|f| f.code)
                .collect();
            if !step.when.holds(&found) {
                return Some("its condition does not hold".into());
            }
        }
        match step.safety {
            Safety::Disruptive if !self.options.allow_disruptive => {
                Some("disruptive: needs --allow-disruptive".into())
            }
            Safety::Debug if self.options.no_debug => {
                Some("debug steps are off for this run".into())
            }
            Safety::Config => Some(
                "configuration is changed only by the guide, after a typed confirmation".into(),
            ),
            _ => None,
        }
    }

    /// Runs one step on its routers (a debug step whole: debugs on, trigger, window).
    pub async fn step(&mut self, step: &Step) -> Result<StepRun, RunError> {
        if let Some(why) = self.refusal(step) {
            self.skip(step, &why);
            return Ok(StepRun::Skipped(why));
        }
        match &step.action {
            Action::Show { command } | Action::Clear { command } => {
                self.commands(step, &[Scoped::plain(command)]).await?
            }
            Action::Check { commands } => self.commands(step, commands).await?,
            Action::Debug { .. } => {
                self.debug_on(step).await?;
                self.watch(step, true).await?;
            }
            // Refused above: only the guide applies a fix, through `configure`.
            Action::Fix { .. } => {}
        }
        self.drain();
        Ok(StepRun::Ran)
    }

    pub fn skip(&mut self, step: &Step, why: &str) {
        self.log.steps.push(StepRecord {
            step: step.id.clone(),
            router: String::new(),
            command: String::new(),
            status: StepStatus::Skipped(why.to_string()),
        });
    }

    fn record(&mut self, step: &Step, router: &str, command: &str, status: StepStatus) {
        self.log.steps.push(StepRecord {
            step: step.id.clone(),
            router: router.to_string(),
            command: crate::secret::redact(command).into_owned(),
            status,
        });
    }

    /// Reports crypto debugs already on (a crashed run, a colleague). They are left as
    /// found, and no debug window is opened on that router, unless `--clear-stale-debug`
    /// asks to switch them off first.
    async fn stale_debug(&mut self) -> Result<(), RunError> {
        for side in [PeerSel::A, PeerSel::B] {
            let clear = self.options.clear_stale_debug;
            let r = self.router(side);
            let name = r.target.name.clone();
            let timeout = r.target.command_timeout;
            let out = r.run("show debug", timeout).await?;
            let stream = r.stream;
            self.engine
                .feed_command(stream, "show debug", "show debug", &out);
            let on = crypto_debugs(&out);
            if on.is_empty() {
                continue;
            }
            tracing::warn!(router = %name, "crypto debugs already on: {}", on.join(", "));
            let mut cleared = false;
            if clear {
                let r = self.router(side);
                for name in &on {
                    let command = cleanup::switch_off(name);
                    // Refused names (an older IOS spelling) show in the check below.
                    let _ = r.run(&command, timeout).await?;
                }
                let after = r.run("show debug", timeout).await?;
                cleared = crypto_debugs(&after).is_empty();
            }
            self.router(side).stale = !cleared;
            self.log.stale_debug.push(StaleDebug {
                router: name,
                lines: out.lines().map(str::to_string).collect(),
                cleared,
            });
        }
        Ok(())
    }

    /// Runs commands on the step's routers, both at once, and feeds their outputs.
    async fn commands(&mut self, step: &Step, commands: &[Scoped]) -> Result<(), RunError> {
        let (la, lb) = self.learned();
        let mut planned: Vec<(PeerSel, String)> = Vec::new();
        for side in [PeerSel::A, PeerSel::B] {
            let learned = if side == PeerSel::A { &la } else { &lb };
            if !step.peer.includes(side) || !fits(&step.applies, learned) {
                continue;
            }
            for c in commands.iter().filter(|c| fits(&c.applies, learned)) {
                match context::render(&c.command, &learned.values) {
                    Ok(cmd) => planned.push((side, cmd)),
                    Err(missing) => {
                        let name = self.router(side).target.name.clone();
                        self.record(
                            step,
                            &name,
                            &c.command,
                            StepStatus::Skipped(format!(
                                "could not learn {} from the configurations",
                                missing.join(", ")
                            )),
                        );
                    }
                }
            }
        }
        let a_cmds: Vec<String> = planned
            .iter()
            .filter(|p| p.0 == PeerSel::A)
            .map(|p| p.1.clone())
            .collect();
        let b_cmds: Vec<String> = planned
            .iter()
            .filter(|p| p.0 == PeerSel::B)
            .map(|p| p.1.clone())
            .collect();
        let progress = self.progress;
        let (ra, rb) = tokio::join!(
            run_all(&mut self.a, &a_cmds, progress),
            run_all(&mut self.b, &b_cmds, progress)
        );
        for (side, results) in [(PeerSel::A, ra), (PeerSel::B, rb)] {
            let name = self.router(side).target.name.clone();
            for (cmd, result) in results {
                match result {
                    Ok(out) => {
                        self.feed_command(side, &cmd, &out);
                        self.record(step, &name, &cmd, StepStatus::Ok);
                    }
                    Err(e) => {
                        let fatal = matches!(e, DeviceError::Lost { .. });
                        self.record(step, &name, &cmd, StepStatus::Failed(e.to_string()));
                        if fatal {
                            return Err(e.into());
                        }
                    }
                }
            }
        }
        self.drain();
        Ok(())
    }

    fn router(&mut self, side: PeerSel) -> &mut Router {
        if side == PeerSel::B {
            &mut self.b
        } else {
            &mut self.a
        }
    }

    /// Switches on a debug step's debugs (scoped to the peer where asked) on its routers.
    /// Switching off is left to [`Runner::debug_off`] or cleanup, which runs whatever happens.
    pub async fn debug_on(&mut self, step: &Step) -> Result<(), RunError> {
        let Action::Debug {
            commands,
            condition_peer,
            ..
        } = &step.action
        else {
            return Ok(());
        };
        let condition_peer = *condition_peer;
        let (la, lb) = self.learned();
        for side in [PeerSel::A, PeerSel::B] {
            let learned = if side == PeerSel::A { &la } else { &lb };
            if !step.peer.includes(side) || !fits(&step.applies, learned) {
                continue;
            }
            let values = &learned.values;
            if self.router(side).stale {
                let name = self.router(side).target.name.clone();
                self.record(
                    step,
                    &name,
                    "",
                    StepStatus::Skipped(
                        "crypto debugs were already on (another run or a colleague): no debug window here, so they are left as found; --clear-stale-debug switches them off first".into(),
                    ),
                );
                continue;
            }
            let mut cmds = Vec::new();
            if condition_peer {
                match values.get("peer_address") {
                    Some(_) => cmds.extend(conditions(learned)),
                    None => {
                        let name = self.router(side).target.name.clone();
                        self.record(
                            step,
                            &name,
                            "debug crypto condition peer",
                            StepStatus::Skipped("peer address unknown: debug not scoped".into()),
                        );
                    }
                }
            }
            cmds.extend(
                commands
                    .iter()
                    .filter(|c| fits(&c.applies, learned))
                    .map(|c| c.command.clone()),
            );
            let r = self.router(side);
            let name = r.target.name.clone();
            let timeout = r.target.command_timeout;
            tracing::info!(router = %name, "debug window: {}", cmds.join(", "));
            self.progress.step(&name, "debug on");
            for c in cmds {
                if undo(&c).is_some() {
                    // Noted before it is sent: a failure or a stop half-way must still be
                    // undone.
                    self.router(side).switched_on.push(c.clone());
                }
                let result = self.router(side).run(&c, timeout).await;
                match result {
                    Ok(out) => {
                        // The engine learns that debug is on here: silence then means something.
                        self.feed_command(side, &c, &out);
                        self.record(step, &name, &c, StepStatus::Ok)
                    }
                    Err(e) => {
                        if matches!(e, DeviceError::Rejected { .. }) {
                            // The router refused it: nothing was switched on to undo.
                            self.router(side).switched_on.pop();
                        }
                        self.record(step, &name, &c, StepStatus::Failed(e.to_string()));
                        return Err(e.into());
                    }
                }
            }
        }
        Ok(())
    }

    /// A debug step's window: its trigger sent (when `send` and it has one), lines collected
    /// until the window closes, or earlier once the routers have gone quiet.
    pub async fn watch(&mut self, step: &Step, send: bool) -> Result<(), RunError> {
        let Action::Debug {
            duration, trigger, ..
        } = &step.action
        else {
            return Ok(());
        };
        let window = self.options.debug_window.unwrap_or(*duration);
        let (la, lb) = self.learned();
        let trigger = trigger
            .as_ref()
            .filter(|t| send && fits(&step.applies, if t.peer == PeerSel::B { &lb } else { &la }));
        let start = Instant::now();
        if let Some(t) = trigger {
            let values = if t.peer == PeerSel::B {
                &lb.values
            } else {
                &la.values
            };
            match context::render(&t.command, values) {
                Ok(cmd) => {
                    let r = self.router(t.peer);
                    let name = r.target.name.clone();
                    // A ping waits for its replies: give it the window, not the command limit.
                    let limit = window.max(r.target.command_timeout);
                    self.progress.step(&name, &cmd);
                    let result = {
                        // Disjoint fields: the session runs the ping while the debug lines it
                        // provokes stream into the engine.
                        let (a_name, a_stream, b_stream) =
                            (self.a.target.name.clone(), self.a.stream, self.b.stream);
                        let r = if t.peer == PeerSel::B {
                            &mut self.b
                        } else {
                            &mut self.a
                        };
                        let engine = &mut self.engine;
                        let unsolicited = &mut self.unsolicited;
                        let progress = self.progress;
                        let keeping = self.kept.is_some();
                        let mut received = Vec::new();
                        let mut count = self.debug_lines;
                        let run = r.run(&cmd, limit);
                        tokio::pin!(run);
                        let res = loop {
                            tokio::select! {
                                res = &mut run => break res,
                                Some(line) = unsolicited.recv() => {
                                    let stream = if line.device == a_name { a_stream } else { b_stream };
                                    count += 1;
                                    engine.feed(stream, "debug", line.seq as usize, &line.text);
                                    progress.lines(&line.device, count);
                                    if keeping {
                                        received.push(line);
                                    }
                                }
                            }
                        };
                        self.debug_lines = count;
                        (res, received)
                    };
                    let (result, received) = result;
                    for line in received {
                        self.keep(&line.device, "debug", line.seq as usize, &line.text);
                    }
                    match result {
                        Ok(out) => {
                            self.feed_command(t.peer, &cmd, &out);
                            self.record(step, &name, &cmd, StepStatus::Ok);
                        }
                        Err(e) => {
                            self.record(step, &name, &cmd, StepStatus::Failed(e.to_string()));
                            return Err(e.into());
                        }
                    }
                }
                Err(missing) => {
                    let name = self.router(t.peer).target.name.clone();
                    self.record(
                        step,
                        &name,
                        &t.command,
                        StepStatus::Skipped(format!(
                            "could not learn {} from the configurations",
                            missing.join(", ")
                        )),
                    );
                }
            }
        }
        // Collect until the window closes, or earlier once the routers have gone quiet.
        let deadline = crate::deadline::after(start, window);
        let mut last = Instant::now();
        loop {
            let idle_end = crate::deadline::after(last, self.options.idle_cutoff);
            let until = deadline.min(idle_end);
            match tokio::time::timeout_at(until, self.unsolicited.recv()).await {
                Ok(Some(line)) => {
                    last = Instant::now();
                    self.feed_unsolicited(line);
                }
                Ok(None) => break,
                Err(_) => break,
            }
        }
        Ok(())
    }

    /// Switches off, now, every debug this run switched on, on both routers at once, and
    /// confirms it with `show debug`: a driver that waits for a person between steps does not
    /// leave debugs running meanwhile. True when both are confirmed off.
    pub async fn debug_off(&mut self) -> bool {
        self.drain();
        let deadline = self.options.cleanup_deadline;
        let progress = self.progress;
        let (ca, cb) = tokio::join!(
            clean_bounded(&mut self.a, &self.policy, &self.tx, deadline, progress),
            clean_bounded(&mut self.b, &self.policy, &self.tx, deadline, progress)
        );
        self.drain();
        self.log_cleanup(ca.into_iter().chain(cb));
        self.a.switched_on.is_empty() && self.b.switched_on.is_empty()
    }

    /// Whether any debug this run switched on may still be on.
    pub fn debug_is_on(&self) -> bool {
        !self.a.switched_on.is_empty() || !self.b.switched_on.is_empty()
    }

    /// The latest cleanup record of each router: a later confirmation replaces an earlier
    /// failure (the run tried again), never the reverse order.
    fn log_cleanup(&mut self, records: impl Iterator<Item = Cleanup>) {
        for c in records {
            self.log.cleanup.retain(|old| old.router != c.router);
            self.log.cleanup.push(c);
        }
    }

    /// Reads a command's output on one router (the running-config before and after a
    /// change), checked as a read command; not fed to the diagnosis.
    pub async fn read(&mut self, side: PeerSel, command: &str) -> Result<String, RunError> {
        crate::playbook::class::check(command, crate::playbook::class::Class::Show)
            .map_err(|r| RunError::Refused(r.message))?;
        let r = self.router(side);
        let timeout = r.target.command_timeout;
        Ok(r.run(command, timeout).await?)
    }

    /// Applies configuration lines on one router from `configure terminal` (each checked
    /// against the `config` class first: one refused, nothing is sent), and logs it.
    pub async fn configure(
        &mut self,
        side: PeerSel,
        lines: &[String],
        rollback: bool,
    ) -> Result<Applied, RunError> {
        configure::check(lines).map_err(RunError::Refused)?;
        let name = self.router(side).target.name.clone();
        self.progress.step(&name, "configure terminal");
        let result = configure::apply(self.router(side), lines).await;
        self.drain();
        let (status, out) = match result {
            Ok(applied) => (
                match &applied.refused {
                    None => StepStatus::Ok,
                    Some((line, why)) => StepStatus::Failed(format!("{line}: {why}")),
                },
                Ok(applied),
            ),
            Err(e) => (StepStatus::Failed(e.to_string()), Err(RunError::from(e))),
        };
        self.log.config.push(ConfigChange {
            router: name,
            commands: lines
                .iter()
                .map(|l| crate::secret::redact(l).into_owned())
                .collect(),
            rollback,
            status,
        });
        out
    }

    /// `write memory` on one router: the running-config becomes the startup-config. Only
    /// when the person running the guide asked for it.
    pub async fn save(&mut self, side: PeerSel) -> Result<String, RunError> {
        let r = self.router(side);
        let name = r.target.name.clone();
        let out = configure::save(r).await;
        let status = match &out {
            Ok(_) => StepStatus::Ok,
            Err(e) => StepStatus::Failed(e.to_string()),
        };
        self.log.config.push(ConfigChange {
            router: name,
            commands: vec![configure::SAVE.to_string()],
            rollback: false,
            status,
        });
        Ok(out?)
    }

    /// Switches off what this run switched on, on both routers at once, each within the
    /// cleanup deadline; then closes the sessions.
    async fn cleanup(&mut self) {
        let deadline = self.options.cleanup_deadline;
        let progress = self.progress;
        let (ca, cb) = tokio::join!(
            clean_bounded(&mut self.a, &self.policy, &self.tx, deadline, progress),
            clean_bounded(&mut self.b, &self.policy, &self.tx, deadline, progress)
        );
        self.log_cleanup(ca.into_iter().chain(cb));
        for r in [&mut self.a, &mut self.b] {
            if let Some(s) = r.session.as_mut() {
                // The session's own timeouts bound this; the deadline is a second belt.
                let _ = tokio::time::timeout(deadline, s.close()).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_router_not_known_yet_gets_the_ikev1_crypto_map_commands() {
        let v1 = Applies {
            ike: Some(Ike::V1),
            style: None,
        };
        let v2 = Applies {
            ike: Some(Ike::V2),
            style: None,
        };
        let vti = Applies {
            ike: None,
            style: Some(Style::Vti),
        };
        let unknown = Learned::default();
        assert!(fits(&v1, &unknown));
        assert!(!fits(&v2, &unknown) && !fits(&vti, &unknown));
        assert!(fits(&Applies::default(), &unknown));
        assert!(conditions(&unknown).is_empty());
    }
}
