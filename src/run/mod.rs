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
//! [`many`] runs many tunnels this way at once, a router in one tunnel's run at a time.

pub mod context;
pub mod lock;
pub mod log;
pub mod many;
pub mod progress;
pub mod stop;
pub mod unwind;

use crate::device::{DeviceError, IosSession, SessionOptions, UnsolicitedLine};
use crate::engine::parse::show::{self, ShowKind, ShowOutput};
use crate::engine::{Diagnosis, Engine, StreamId};
use crate::ios::keyword::{Keyword, words};
use crate::playbook::{Action, PeerSel, Playbook, Safety, Step};
use crate::ssh::{HostKeyPolicy, SshTarget};
use context::{Hints, Values};
use lock::RouterLock;
use log::{Cleanup, RouterError, RunLog, StaleDebug, StepRecord, StepStatus};
use progress::Progress;
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

/// A router during a run: its session (absent once lost), its engine stream, and what this
/// run changed on it.
struct Router {
    target: RouterTarget,
    session: Option<IosSession>,
    stream: StreamId,
    /// The debug commands this run sent, in order (a failed one included: it may have taken
    /// effect). Cleanup undoes each, last first, and nothing else.
    switched_on: Vec<String>,
    /// Crypto debugs were on when the run came (someone else's) and are still on: no debug
    /// window here, so that they are left exactly as found.
    stale: bool,
    lost: bool,
}

struct Run<'a> {
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
    let (tx, rx) = mpsc::unbounded_channel();
    let mut engine = Engine::new();
    let a_stream = engine.stream(&tunnel.a.name, true);
    let b_stream = engine.stream(&tunnel.b.name, true);
    let mut run = Run {
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
    };
    tokio::pin!(stop);
    let outcome = tokio::select! {
        r = CatchUnwind::new(run.steps(playbook)) => r.unwrap_or_else(|m| Err(RunError::Panic(m))),
        _ = &mut stop => Err(RunError::Interrupted),
    };
    match outcome {
        Ok(()) => {}
        Err(RunError::Interrupted) => {
            tracing::warn!(tunnel = %tunnel.name, "interrupted: cleaning up");
            run.log.interrupted = true;
        }
        Err(RunError::Device(e)) => run.log.errors.push(e.to_string()),
        Err(RunError::Unreachable(errors)) => {
            for e in &errors {
                run.log.errors.push(format!("{}: {}", e.router, e.error));
            }
            run.log.unreachable = errors;
        }
        Err(RunError::Lock(e)) => run.log.errors.push(e),
        Err(RunError::Panic(m)) => {
            tracing::error!(tunnel = %tunnel.name, "internal error: {m}; cleaning up");
            run.log
                .errors
                .push(format!("internal error (a bug, please report it): {m}"));
            run.log.internal_error = Some(m);
        }
    }
    run.cleanup().await;
    run.locks.clear();
    // The engine may be what panicked: its answer is taken with the same care.
    let diagnosis = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        run.drain();
        std::mem::take(&mut run.engine).finish()
    })) {
        Ok(d) => d,
        Err(p) => {
            let m = unwind::message(p.as_ref());
            run.log
                .errors
                .push(format!("internal error (a bug, please report it): {m}"));
            run.log.internal_error.get_or_insert(m);
            Engine::new().finish()
        }
    };
    progress.finish();
    (diagnosis, run.log)
}

enum RunError {
    Interrupted,
    Device(Box<DeviceError>),
    /// One or both routers could not be reached; each one's error.
    Unreachable(Vec<RouterError>),
    Lock(String),
    Panic(String),
}

impl From<DeviceError> for RunError {
    fn from(e: DeviceError) -> RunError {
        RunError::Device(Box::new(e))
    }
}

impl Router {
    fn new(target: RouterTarget, stream: StreamId) -> Router {
        Router {
            target,
            session: None,
            stream,
            switched_on: Vec::new(),
            stale: false,
            lost: false,
        }
    }

    async fn connect(
        &mut self,
        policy: &HostKeyPolicy,
        tx: mpsc::UnboundedSender<UnsolicitedLine>,
    ) -> Result<(), DeviceError> {
        let s = IosSession::connect(
            &self.target.name,
            &self.target.ssh,
            policy,
            self.target.session.clone(),
            tx,
        )
        .await?;
        self.session = Some(s);
        Ok(())
    }

    /// Runs one command; a lost connection is remembered so cleanup reconnects.
    async fn run(&mut self, command: &str, timeout: Duration) -> Result<String, DeviceError> {
        let Some(s) = self.session.as_mut() else {
            return Err(DeviceError::Lost {
                device: self.target.name.clone(),
            });
        };
        let shown = crate::secret::redact(command);
        tracing::debug!(router = %self.target.name, "> {shown}");
        match s.run(command, timeout).await {
            Ok(out) => {
                tracing::debug!(router = %self.target.name, "< {shown}: {} line(s)", out.lines.len());
                for l in &out.lines {
                    let l = crate::secret::redact(l);
                    tracing::trace!(router = %self.target.name, "| {}", crate::visible::visible(&l));
                }
                Ok(out.text())
            }
            Err(e) => {
                tracing::debug!(router = %self.target.name, "< {shown}: {e}");
                if matches!(e, DeviceError::Lost { .. }) {
                    self.lost = true;
                }
                Err(e)
            }
        }
    }
}

impl Run<'_> {
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
    }

    fn values(&mut self) -> (Values, Values) {
        self.engine.settle();
        let (Some(a), Some(b)) = (
            self.engine.peer(self.a.stream),
            self.engine.peer(self.b.stream),
        ) else {
            return (Values::new(), Values::new());
        };
        (
            context::values(a, b, &self.hints.0),
            context::values(b, a, &self.hints.1),
        )
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

    async fn steps(&mut self, playbook: &Playbook) -> Result<(), RunError> {
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
        self.stale_debug().await?;
        for step in &playbook.steps {
            self.drain();
            if !step.when.any.is_empty() || !step.when.none.is_empty() {
                let found: Vec<_> = self
                    .engine
                    .snapshot()
                    .findings
                    .iter()
                    .map(|f| f.code)
                    .collect();
                if !step.when.holds(&found) {
                    self.skip(step, "its condition does not hold");
                    continue;
                }
            }
            match step.safety {
                Safety::Disruptive if !self.options.allow_disruptive => {
                    self.skip(step, "disruptive: needs --allow-disruptive");
                    continue;
                }
                Safety::Debug if self.options.no_debug => {
                    self.skip(step, "debug steps are off for this run");
                    continue;
                }
                _ => {}
            }
            match &step.action {
                Action::Show { command } | Action::Clear { command } => {
                    self.commands(step, std::slice::from_ref(command)).await?
                }
                Action::Check { commands } => self.commands(step, commands).await?,
                Action::Debug {
                    commands,
                    condition_peer,
                    duration,
                    trigger,
                } => {
                    let window = self.options.debug_window.unwrap_or(*duration);
                    self.debug_window(step, commands, *condition_peer, window, trigger.as_ref())
                        .await?
                }
            }
        }
        self.drain();
        Ok(())
    }

    fn skip(&mut self, step: &Step, why: &str) {
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
                    let command = format!("no debug {}", name.to_ascii_lowercase());
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
    async fn commands(&mut self, step: &Step, commands: &[String]) -> Result<(), RunError> {
        let (va, vb) = self.values();
        let mut planned: Vec<(PeerSel, String)> = Vec::new();
        for side in [PeerSel::A, PeerSel::B] {
            if !step.peer.includes(side) {
                continue;
            }
            let values = if side == PeerSel::A { &va } else { &vb };
            for c in commands {
                match context::render(c, values) {
                    Ok(cmd) => planned.push((side, cmd)),
                    Err(missing) => {
                        let name = self.router(side).target.name.clone();
                        self.record(
                            step,
                            &name,
                            c,
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
            let (name, stream) = {
                let r = self.router(side);
                (r.target.name.clone(), r.stream)
            };
            for (cmd, result) in results {
                match result {
                    Ok(out) => {
                        self.engine.feed_command(stream, &cmd, &cmd, &out);
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

    /// Debugs on (scoped to the peer where asked), the trigger sent, lines collected for the
    /// window. Switching off is left to cleanup, which runs whatever happens here.
    async fn debug_window(
        &mut self,
        step: &Step,
        commands: &[String],
        condition_peer: bool,
        window: Duration,
        trigger: Option<&crate::playbook::Trigger>,
    ) -> Result<(), RunError> {
        let (va, vb) = self.values();
        for side in [PeerSel::A, PeerSel::B] {
            if !step.peer.includes(side) {
                continue;
            }
            let values = if side == PeerSel::A {
                va.clone()
            } else {
                vb.clone()
            };
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
                    Some(p) => cmds.push(format!("debug crypto condition peer ipv4 {p}")),
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
            cmds.extend(commands.iter().cloned());
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
                        let stream = self.router(side).stream;
                        self.engine.feed_command(stream, &c, &c, &out);
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
        let start = Instant::now();
        if let Some(t) = trigger {
            let values = if t.peer == PeerSel::B { &vb } else { &va };
            match context::render(&t.command, values) {
                Ok(cmd) => {
                    let r = self.router(t.peer);
                    let name = r.target.name.clone();
                    let stream = r.stream;
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
                                }
                            }
                        };
                        self.debug_lines = count;
                        res
                    };
                    match result {
                        Ok(out) => {
                            self.engine.feed_command(stream, &cmd, &cmd, &out);
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

    /// Switches off what this run switched on, on both routers at once, each within the
    /// cleanup deadline; then closes the sessions.
    async fn cleanup(&mut self) {
        let deadline = self.options.cleanup_deadline;
        let progress = self.progress;
        let (ca, cb) = tokio::join!(
            clean_bounded(&mut self.a, &self.policy, &self.tx, deadline, progress),
            clean_bounded(&mut self.b, &self.policy, &self.tx, deadline, progress)
        );
        self.log.cleanup.extend(ca.into_iter().chain(cb));
        for r in [&mut self.a, &mut self.b] {
            if let Some(s) = r.session.as_mut() {
                // The session's own timeouts bound this; the deadline is a second belt.
                let _ = tokio::time::timeout(deadline, s.close()).await;
            }
        }
    }
}

/// The command that undoes a debug command this run sent, when it is one (`debug …` →
/// `no debug …`; `undebug …` and `no debug …` switch off and need no undoing).
fn undo(command: &str) -> Option<String> {
    let first = words(command).first()?.text;
    Keyword("deb|ug")
        .matches(first)
        .then(|| format!("no {}", command.trim()))
}

/// The crypto debugs `show debug` lists as on, by name (`Crypto ISAKMP`).
fn crypto_debugs(out: &str) -> Vec<String> {
    let Some(ShowOutput::Debug(d)) = show::parse(ShowKind::Debug, out) else {
        return Vec::new();
    };
    d.enabled
        .iter()
        .filter(|e| {
            let name = e.name.to_ascii_lowercase();
            ["crypto", "isakmp", "ipsec", "ikev2"]
                .iter()
                .any(|w| name.contains(w))
                || e.section
                    .as_deref()
                    .is_some_and(|s| s.starts_with("Cryptographic"))
        })
        .map(|e| e.name.clone())
        .collect()
}

/// [`clean`] within `deadline`, and a panic in it reported, not propagated.
async fn clean_bounded(
    r: &mut Router,
    policy: &HostKeyPolicy,
    tx: &mpsc::UnboundedSender<UnsolicitedLine>,
    deadline: Duration,
    progress: &dyn Progress,
) -> Option<Cleanup> {
    if r.switched_on.is_empty() {
        return None;
    }
    let name = r.target.name.clone();
    let undo: Vec<String> = r.switched_on.iter().rev().filter_map(|c| undo(c)).collect();
    let outcome =
        tokio::time::timeout(deadline, CatchUnwind::new(clean(r, policy, tx, progress))).await;
    let record = match outcome {
        Ok(Ok(record)) => record,
        Ok(Err(panic)) => Cleanup {
            router: name,
            reconnected: false,
            debug_off_confirmed: false,
            commands: undo,
            detail: format!("the cleanup hit an internal error: {panic}"),
        },
        Err(_) => Cleanup {
            router: name,
            reconnected: false,
            debug_off_confirmed: false,
            commands: undo,
            detail: format!(
                "the cleanup did not finish within {} s",
                deadline.as_secs_f64()
            ),
        },
    };
    if record.debug_off_confirmed {
        tracing::info!(router = %record.router, "debug off, confirmed by show debug");
        r.switched_on.clear();
    } else {
        tracing::error!(router = %record.router, "DEBUG MAY STILL BE ON: {}", record.detail);
    }
    Some(record)
}

/// Switches off exactly what this run switched on, last first, and confirms it with
/// `show debug`; a lost or stuck session is replaced by a new one.
async fn clean(
    r: &mut Router,
    policy: &HostKeyPolicy,
    tx: &mpsc::UnboundedSender<UnsolicitedLine>,
    progress: &dyn Progress,
) -> Cleanup {
    let name = r.target.name.clone();
    progress.step(&name, "switching debug off");
    let commands: Vec<String> = r.switched_on.iter().rev().filter_map(|c| undo(c)).collect();
    tracing::info!(router = %name, "cleanup: {}", commands.join(", "));
    let mut record = Cleanup {
        router: name.clone(),
        reconnected: false,
        debug_off_confirmed: false,
        commands: commands.clone(),
        detail: String::new(),
    };
    let timeout = r.target.command_timeout;
    let mut fresh = false;
    let mut result: Result<(), DeviceError> = Err(DeviceError::Lost {
        device: name.clone(),
    });
    // At most two sessions: the one the run had, then (if it was lost or is stuck behind an
    // interrupted command) a new one.
    for attempt in 0..2 {
        if attempt == 1 || r.lost || r.session.is_none() {
            if let Some(s) = r.session.as_mut() {
                let _ = s.close().await;
            }
            r.session = None;
            r.lost = false;
            if let Err(e) = r.connect(policy, tx.clone()).await {
                record.detail = format!("could not reconnect to switch debug off: {e}");
                return record;
            }
            record.reconnected = true;
            fresh = true;
        }
        result = Ok(());
        for c in &commands {
            match r.run(c, timeout).await {
                Ok(_) => {}
                // Refused: that debug does not exist here, so it is not on; `show debug`
                // below judges the rest.
                Err(DeviceError::Rejected { .. }) => {}
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
        if result.is_ok() || fresh {
            break;
        }
    }
    if let Err(e) = result {
        record.detail = format!("switching debug off failed: {e}");
        return record;
    }
    match r.run("show debug", timeout).await {
        Ok(out) => {
            let still = crypto_debugs(&out);
            let conditions: Vec<&str> = r
                .switched_on
                .iter()
                .filter(|c| c.to_ascii_lowercase().contains("cond"))
                .filter_map(|c| c.split_whitespace().last())
                .filter(|addr| {
                    out.split(|ch: char| ch.is_whitespace() || ch == ',')
                        .any(|w| w == *addr)
                })
                .collect();
            if still.is_empty() && conditions.is_empty() {
                record.debug_off_confirmed = true;
                record.detail = "show debug: none of this run's debugs is on".into();
            } else {
                record.detail = format!("show debug still lists: {}", out.trim());
            }
        }
        Err(e) => record.detail = format!("show debug failed: {e}"),
    }
    record
}

/// A router's commands in order; stops at a lost connection.
async fn run_all(
    r: &mut Router,
    commands: &[String],
    progress: &dyn Progress,
) -> Vec<(String, Result<String, DeviceError>)> {
    let mut out = Vec::new();
    for c in commands {
        progress.step(&r.target.name, c);
        let timeout = r.target.command_timeout;
        let res = r.run(c, timeout).await;
        let lost = matches!(res, Err(DeviceError::Lost { .. }));
        out.push((c.clone(), res));
        if lost {
            break;
        }
    }
    out
}
