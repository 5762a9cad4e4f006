//! Collecting from routers: one session per router per cycle, however many tunnels it carries,
//! the health playbook's show commands once each, and `show crypto ipsec sa` a second time
//! after the sample interval so that counters can be read as rates.
//!
//! Routers are worked on concurrently, at most `concurrency` at a time; each step has the
//! router's own timeouts, so a dead router costs its connect timeout and holds up nobody. The
//! wait between the two samples holds no permit: it costs the router nothing.
//! With `keep_sessions`, sessions stay open for the next cycle and are opened again when they
//! have dropped (IOS's exec-timeout, a reload).

use crate::device::{DeviceError, IosSession, SessionOptions};
use crate::engine::parse::show::{ShowKind, classify, ipsec_sa, isakmp_sa};
use crate::inventory::Host;
use crate::playbook::{Applies, Ike, Scoped, Style};
use crate::ssh::{HostKeyPolicy, SshError};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Mutex, Semaphore, mpsc};
use tokio::time::Instant;

/// Why a router could not be read: the UNKNOWN reasons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Failure {
    /// No TCP connection (refused, no route) or the connect timed out.
    Unreachable,
    /// Credentials refused, or enable refused.
    LoginFailed,
    /// The host key is unknown or changed: nothing is sent to a router we cannot trust.
    HostKey,
    /// The router stopped answering mid-way (a command or the login's prompt timed out).
    Timeout,
    /// The session dropped mid-way.
    ConnectionLost,
    /// A command of the playbook was refused.
    CommandRefused,
    /// Anything else on the SSH layer (key exchange, algorithms).
    Ssh,
}

impl Failure {
    pub fn as_str(self) -> &'static str {
        match self {
            Failure::Unreachable => "unreachable",
            Failure::LoginFailed => "login_failed",
            Failure::HostKey => "host_key",
            Failure::Timeout => "timeout",
            Failure::ConnectionLost => "connection_lost",
            Failure::CommandRefused => "command_refused",
            Failure::Ssh => "ssh",
        }
    }

    pub fn of(e: &DeviceError) -> Failure {
        match e {
            DeviceError::Timeout { .. } | DeviceError::NoPrompt { .. } => Failure::Timeout,
            DeviceError::Rejected { .. } => Failure::CommandRefused,
            DeviceError::Lost { .. } => Failure::ConnectionLost,
            DeviceError::Enable { .. } => Failure::LoginFailed,
            DeviceError::Ssh { source, .. } => match source {
                SshError::Connect { .. } => Failure::Unreachable,
                SshError::Timeout { stage } => match stage {
                    crate::ssh::error::Stage::Connect => Failure::Unreachable,
                    _ => Failure::Timeout,
                },
                SshError::AuthRejected { .. } | SshError::KeyFile { .. } => Failure::LoginFailed,
                SshError::HostKeyUnknown { .. }
                | SshError::HostKeyChanged { .. }
                | SshError::KnownHosts { .. } => Failure::HostKey,
                SshError::Closed => Failure::ConnectionLost,
                _ => Failure::Ssh,
            },
        }
    }
}

/// A command's output as the router printed it.
#[derive(Debug, Clone)]
pub struct Output {
    pub command: String,
    /// What the command shows, classified once: judging looks outputs up by kind per series.
    pub kind: Option<ShowKind>,
    pub text: String,
    pub at: Instant,
    /// Which peer each line is about, for slicing per tunnel (worked out once, here).
    pub owners: Option<Arc<super::slice::Owners>>,
}

impl Output {
    /// The output cut down to `peer`'s lines (see [`super::slice`]).
    pub fn for_peer(&self, peer: &str) -> std::borrow::Cow<'_, str> {
        match &self.owners {
            Some(o) => super::slice::sliced(&self.text, o, peer),
            None => std::borrow::Cow::Borrowed(&self.text),
        }
    }

    /// `peer`'s lines alone, and their numbers in the output (see [`super::slice::compacted`]).
    pub fn compact_for(&self, peer: &str) -> (std::borrow::Cow<'_, str>, Option<Vec<usize>>) {
        match &self.owners {
            Some(o) => super::slice::compacted(&self.text, o, peer),
            None => (std::borrow::Cow::Borrowed(&self.text), None),
        }
    }

    /// The whole output as parsed when it arrived, if health parses this kind.
    pub fn parsed(&self) -> Option<crate::engine::Parsed<'_>> {
        self.owners.as_ref().and_then(|o| o.parsed())
    }

    /// The whole `show crypto isakmp sa`, parsed once.
    pub fn isakmp_sa(&self) -> std::borrow::Cow<'_, isakmp_sa::IsakmpSa> {
        match self.owners.as_ref().and_then(|o| o.isakmp_sa()) {
            Some(p) => std::borrow::Cow::Borrowed(p),
            None => std::borrow::Cow::Owned(isakmp_sa::parse(&self.text)),
        }
    }

    /// The whole `show crypto ipsec sa`, parsed once.
    pub fn ipsec_sa(&self) -> std::borrow::Cow<'_, ipsec_sa::IpsecSa> {
        match self.owners.as_ref().and_then(|o| o.ipsec_sa()) {
            Some(p) => std::borrow::Cow::Borrowed(p),
            None => std::borrow::Cow::Owned(ipsec_sa::parse(&self.text)),
        }
    }

    /// The configuration, when this is the running-config, as parsed when it arrived.
    pub fn config(&self) -> Arc<crate::ios::RunningConfig> {
        match self.owners.as_ref().and_then(|o| o.config()) {
            Some(c) => c.clone(),
            None => Arc::new(crate::ios::parse(&self.text).config),
        }
    }
}

/// What one router gave in one cycle.
#[derive(Debug, Clone)]
pub struct Collected {
    /// Every command's output in the order run; `show crypto ipsec sa` appears once, as its
    /// latest sample.
    pub outputs: Vec<Output>,
    /// The earlier `show crypto ipsec sa` sample, for rates: from this cycle, or from the
    /// previous one when sessions are kept.
    pub earlier_ipsec: Option<Output>,
}

impl Collected {
    pub fn output(&self, kind: ShowKind) -> Option<&Output> {
        self.outputs.iter().rev().find(|o| o.kind == Some(kind))
    }
}

#[derive(Debug, Clone)]
pub struct RouterResult {
    pub router: String,
    pub collected: Result<Collected, (Failure, String)>,
    /// Wall time of this router's collection, waits included.
    pub duration: Duration,
    /// Logins made for this cycle (0 when a kept session served it).
    pub logins: u32,
}

#[derive(Debug, Clone)]
pub struct CollectOptions {
    pub concurrency: usize,
    /// Least time between the two `show crypto ipsec sa` samples of one cycle.
    pub sample_interval: Duration,
    pub keep_sessions: bool,
}

/// Told as routers finish, for a progress bar; the CLI draws it, tests pass [`Quiet`].
pub trait Tally: Send + Sync {
    fn start(&self, routers: u64);
    fn done(&self, router: &str, ok: bool);
    fn finish(&self);
}

/// Tells nobody.
pub struct Quiet;

impl Tally for Quiet {
    fn start(&self, _: u64) {}
    fn done(&self, _: &str, _: bool) {}
    fn finish(&self) {}
}

/// Sessions and last samples carried from one cycle to the next.
#[derive(Default)]
pub struct Carry {
    sessions: Mutex<HashMap<String, IosSession>>,
    last_ipsec: Mutex<HashMap<String, Output>>,
}

impl Carry {
    /// Logs out of every kept session.
    pub async fn close_all(&self) {
        let sessions: Vec<IosSession> =
            self.sessions.lock().await.drain().map(|(_, s)| s).collect();
        for mut s in sessions {
            let _ = s.close().await;
        }
    }
}

/// Collects from every router in `routers`, concurrently.
pub async fn collect_all(
    routers: Vec<Host>,
    commands: Arc<Vec<Scoped>>,
    policy: &HostKeyPolicy,
    options: &CollectOptions,
    carry: &Arc<Carry>,
    stop: &tokio::sync::watch::Receiver<bool>,
    tally: &dyn Tally,
) -> Vec<RouterResult> {
    tally.start(routers.len() as u64);
    let gate = Arc::new(Semaphore::new(options.concurrency.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    for host in routers {
        let (gate, commands, policy, options, carry) = (
            gate.clone(),
            commands.clone(),
            policy.clone(),
            options.clone(),
            carry.clone(),
        );
        tasks.spawn(
            async move { collect_one(host, &commands, &policy, &options, &gate, &carry).await },
        );
    }
    let mut out = Vec::new();
    let mut stop = stop.clone();
    loop {
        let joined = tokio::select! {
            j = tasks.join_next() => j,
            // Read-only sessions hold nothing to clean up: dropping them is enough.
            _ = stop.wait_for(|s| *s) => {
                tasks.abort_all();
                break;
            }
        };
        match joined {
            None => break,
            Some(Ok(r)) => {
                tally.done(&r.router, r.collected.is_ok());
                out.push(r);
            }
            Some(Err(e)) => tracing::error!("a collection task failed: {e}"),
        }
    }
    tally.finish();
    out.sort_by(|a, b| a.router.cmp(&b.router));
    out
}

async fn collect_one(
    host: Host,
    commands: &[Scoped],
    policy: &HostKeyPolicy,
    options: &CollectOptions,
    gate: &Semaphore,
    carry: &Carry,
) -> RouterResult {
    let started = Instant::now();
    let name = host.name.clone();
    let mut logins = 0;
    let earlier = carry.last_ipsec.lock().await.get(&name).cloned();
    let kept = carry.sessions.lock().await.remove(&name);
    let result = async {
        let Ok(permit) = gate.acquire().await else {
            return Err((Failure::Ssh, "collection stopped".to_string()));
        };
        let mut session = match kept {
            Some(s) => s,
            None => {
                logins += 1;
                login(&host, policy).await?
            }
        };
        let timeout = host.ssh.command_timeout;
        let ipsec = commands
            .iter()
            .position(|c| classify(&c.command) == Some(ShowKind::IpsecSa));
        // Sample first, so the rest of the commands already count toward the interval.
        let first = match ipsec {
            Some(i) if earlier.is_none() => {
                let out = run(
                    &mut session,
                    &mut logins,
                    &host,
                    policy,
                    &commands[i].command,
                    timeout,
                )
                .await?;
                Some(out)
            }
            _ => None,
        };
        let mut outputs = Vec::with_capacity(commands.len());
        for (i, c) in commands.iter().enumerate() {
            if Some(i) == ipsec && first.is_some() {
                continue;
            }
            if !c.applies.any() && !fits(&c.applies, &outputs) {
                continue;
            }
            outputs.push(
                run(
                    &mut session,
                    &mut logins,
                    &host,
                    policy,
                    &c.command,
                    timeout,
                )
                .await?,
            );
        }
        if let (Some(i), Some(first)) = (ipsec, &first) {
            let due = first.at + options.sample_interval;
            if Instant::now() < due {
                drop(permit);
                tokio::time::sleep_until(due).await;
                let _again = gate.acquire().await;
                outputs.push(
                    run(
                        &mut session,
                        &mut logins,
                        &host,
                        policy,
                        &commands[i].command,
                        timeout,
                    )
                    .await?,
                );
            } else {
                outputs.push(
                    run(
                        &mut session,
                        &mut logins,
                        &host,
                        policy,
                        &commands[i].command,
                        timeout,
                    )
                    .await?,
                );
            }
        }
        if options.keep_sessions {
            carry.sessions.lock().await.insert(name.clone(), session);
        } else {
            let _ = session.close().await;
        }
        Ok(Collected {
            outputs,
            earlier_ipsec: first.or(earlier),
        })
    }
    .await;
    if let Ok(c) = &result
        && let Some(latest) = c.output(ShowKind::IpsecSa)
    {
        carry
            .last_ipsec
            .lock()
            .await
            .insert(name.clone(), latest.clone());
    }
    RouterResult {
        router: name,
        collected: result,
        duration: started.elapsed(),
        logins,
    }
}

/// Whether a command for `applies` fits any tunnel of the router, as the configuration it has
/// shown so far says (a router not read yet, or protecting nothing, is taken as IKEv1 with a
/// crypto map: the commands every IOS release knows). A playbook puts such commands after its
/// configuration step.
fn fits(applies: &Applies, outputs: &[Output]) -> bool {
    let kinds = outputs
        .iter()
        .rev()
        .find(|o| o.kind == Some(ShowKind::RunningConfig))
        // Parsed once, when it arrived (see `Output::config`).
        .map(|o| crate::run::facts::kinds(&o.config()))
        .filter(|k| !k.is_empty())
        .unwrap_or_else(|| vec![(Ike::V1, Style::CryptoMap)]);
    kinds.iter().any(|(ike, style)| applies.holds(*ike, *style))
}

async fn login(host: &Host, policy: &HostKeyPolicy) -> Result<IosSession, (Failure, String)> {
    // Health never switches `terminal monitor` on; nothing unsolicited is wanted, and the
    // receiver is dropped so such lines are discarded.
    let (tx, _) = mpsc::unbounded_channel();
    let options: SessionOptions = host.session_options(false);
    IosSession::connect(&host.name, &host.ssh_target(), policy, options, tx)
        .await
        .map_err(|e| (Failure::of(&e), e.to_string()))
}

/// Runs one command; a kept session that turns out to have dropped is opened again once.
async fn run(
    session: &mut IosSession,
    logins: &mut u32,
    host: &Host,
    policy: &HostKeyPolicy,
    command: &str,
    timeout: Duration,
) -> Result<Output, (Failure, String)> {
    let result = match session.run(command, timeout).await {
        Err(DeviceError::Lost { .. }) if *logins == 0 => {
            *logins += 1;
            *session = login(host, policy).await?;
            session.run(command, timeout).await
        }
        other => other,
    };
    match result {
        Ok(out) => {
            let at = Instant::now();
            let text = out.text();
            let owners = super::slice::Owners::of(command, &text).map(Arc::new);
            Ok(Output {
                command: command.to_string(),
                kind: classify(command),
                text,
                at,
                owners,
            })
        }
        Err(e) => {
            let _ = session.close().await;
            Err((Failure::of(&e), e.to_string()))
        }
    }
}
