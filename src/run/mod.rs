//! The orchestrator: runs a playbook on the two routers of a tunnel at once, feeds every line
//! to the engine as it arrives, and guarantees cleanup.
//!
//! Safety is built into the shape of [`run_tunnel`]: the steps run inside a `select!` against
//! the stop signal (Ctrl-C in `main`, a future in tests); whatever ends them — success, a
//! device error, a timeout, a lost connection, the stop — the cleanup that follows switches
//! every debug off (reconnecting if the session was lost) and reads `show debug` back to
//! confirm it. Only a process killed outright escapes, which is why each run starts by
//! reporting crypto debugs already on.

pub mod context;
pub mod log;
pub mod progress;

use crate::device::{DeviceError, IosSession, SessionOptions, UnsolicitedLine};
use crate::engine::parse::show::{self, ShowKind, ShowOutput};
use crate::engine::{Diagnosis, Engine, StreamId};
use crate::playbook::{Action, PeerSel, Playbook, Safety, Step};
use crate::ssh::{HostKeyPolicy, SshTarget};
use context::{Hints, Values};
use log::{Cleanup, RunLog, StaleDebug, StepRecord, StepStatus};
use progress::Progress;
use std::future::Future;
use std::net::Ipv4Addr;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;

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
}

impl Default for RunOptions {
    fn default() -> RunOptions {
        RunOptions {
            allow_disruptive: false,
            clear_stale_debug: false,
            debug_window: None,
            idle_cutoff: Duration::from_secs(5),
            no_debug: false,
        }
    }
}

/// A router during a run: its session (absent once lost), its engine stream, whether debug
/// was switched on by us.
struct Router {
    target: RouterTarget,
    session: Option<IosSession>,
    stream: StreamId,
    debug_on: bool,
    /// The `debug crypto condition peer` address we set; IOS keeps conditions after
    /// `undebug all`, so cleanup removes it explicitly.
    condition: Option<String>,
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
    };
    tokio::pin!(stop);
    let outcome = tokio::select! {
        r = run.steps(playbook) => r,
        _ = &mut stop => Err(RunError::Interrupted),
    };
    match outcome {
        Ok(()) => {}
        Err(RunError::Interrupted) => run.log.interrupted = true,
        Err(RunError::Device(e)) => run.log.errors.push(e.to_string()),
    }
    run.cleanup().await;
    run.drain();
    progress.finish();
    let diagnosis = run.engine.finish();
    (diagnosis, run.log)
}

enum RunError {
    Interrupted,
    Device(DeviceError),
}

impl From<DeviceError> for RunError {
    fn from(e: DeviceError) -> RunError {
        RunError::Device(e)
    }
}

impl Router {
    fn new(target: RouterTarget, stream: StreamId) -> Router {
        Router {
            target,
            session: None,
            stream,
            debug_on: false,
            condition: None,
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
        match s.run(command, timeout).await {
            Ok(out) => Ok(out.text()),
            Err(e) => {
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

    async fn steps(&mut self, playbook: &Playbook) -> Result<(), RunError> {
        self.progress.step(&self.a.target.name, "connecting");
        self.progress.step(&self.b.target.name, "connecting");
        let (ra, rb) = tokio::join!(
            self.a.connect(&self.policy, self.tx.clone()),
            self.b.connect(&self.policy, self.tx.clone())
        );
        ra?;
        rb?;
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

    /// Reports crypto debugs already on (a crashed run, a colleague); clears them only when
    /// asked.
    async fn stale_debug(&mut self) -> Result<(), RunError> {
        for side in [PeerSel::A, PeerSel::B] {
            let r = if side == PeerSel::A {
                &mut self.a
            } else {
                &mut self.b
            };
            let name = r.target.name.clone();
            let timeout = r.target.command_timeout;
            let out = r.run("show debug", timeout).await?;
            let stream = r.stream;
            self.engine
                .feed_command(stream, "show debug", "show debug", &out);
            let on = match show::parse(ShowKind::Debug, &out) {
                Some(ShowOutput::Debug(d)) => d.crypto_debug_on(),
                _ => false,
            };
            if on {
                let mut cleared = false;
                if self.options.clear_stale_debug {
                    let r = if side == PeerSel::A {
                        &mut self.a
                    } else {
                        &mut self.b
                    };
                    r.run("undebug all", timeout).await?;
                    cleared = true;
                }
                self.log.stale_debug.push(StaleDebug {
                    router: name,
                    lines: out.lines().map(str::to_string).collect(),
                    cleared,
                });
            }
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
            let mut cmds = Vec::new();
            if condition_peer {
                match values.get("peer_address") {
                    Some(p) => {
                        self.router(side).condition = Some(p.clone());
                        cmds.push(format!("debug crypto condition peer ipv4 {p}"))
                    }
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
            // Marked before the first command: a failure half-way must still be cleaned up.
            r.debug_on = true;
            let name = r.target.name.clone();
            let timeout = r.target.command_timeout;
            self.progress.step(&name, "debug on");
            for c in cmds {
                let result = self.router(side).run(&c, timeout).await;
                match result {
                    Ok(out) => {
                        // The engine learns that debug is on here: silence then means something.
                        let stream = self.router(side).stream;
                        self.engine.feed_command(stream, &c, &c, &out);
                        self.record(step, &name, &c, StepStatus::Ok)
                    }
                    Err(e) => {
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

    /// Debug off on every router we switched it on, confirmed by `show debug`; a lost session
    /// is reopened for it.
    async fn cleanup(&mut self) {
        for side in [PeerSel::A, PeerSel::B] {
            let policy = self.policy.clone();
            let tx = self.tx.clone();
            let tx2 = self.tx.clone();
            let r = if side == PeerSel::B {
                &mut self.b
            } else {
                &mut self.a
            };
            if !r.debug_on {
                if let Some(s) = r.session.as_mut() {
                    let _ = s.close().await;
                }
                continue;
            }
            let name = r.target.name.clone();
            let mut record = Cleanup {
                router: name.clone(),
                reconnected: false,
                debug_off_confirmed: false,
                detail: String::new(),
            };
            if r.lost || r.session.is_none() {
                r.session = None;
                match r.connect(&policy, tx).await {
                    Ok(()) => record.reconnected = true,
                    Err(e) => {
                        record.detail = format!("could not reconnect to switch debug off: {e}");
                        self.log.cleanup.push(record);
                        continue;
                    }
                }
            }
            let timeout = r.target.command_timeout;
            let mut result = r.run("undebug all", timeout).await;
            if result.is_err() {
                // The session may be stuck behind an interrupted command: start afresh.
                if let Some(s) = r.session.as_mut() {
                    let _ = s.close().await;
                }
                r.session = None;
                if r.connect(&policy, tx2).await.is_ok() {
                    record.reconnected = true;
                    result = r.run("undebug all", timeout).await;
                }
            }
            if result.is_ok()
                && let Some(p) = r.condition.take()
            {
                // Best effort: the condition alone prints nothing, but we leave no trace.
                let _ = r
                    .run(&format!("no debug crypto condition peer ipv4 {p}"), timeout)
                    .await;
            }
            match result {
                Ok(_) => match r.run("show debug", timeout).await {
                    Ok(out) => match show::parse(ShowKind::Debug, &out) {
                        Some(ShowOutput::Debug(d))
                            if !d.crypto_debug_on() && d.enabled.is_empty() =>
                        {
                            record.debug_off_confirmed = true;
                            record.detail = "show debug: no debugging enabled".into();
                        }
                        _ => record.detail = format!("show debug still lists: {}", out.trim()),
                    },
                    Err(e) => record.detail = format!("show debug failed: {e}"),
                },
                Err(e) => record.detail = format!("undebug all failed: {e}"),
            }
            if record.debug_off_confirmed {
                r.debug_on = false;
            }
            if let Some(s) = r.session.as_mut() {
                let _ = s.close().await;
            }
            self.log.cleanup.push(record);
        }
    }
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
