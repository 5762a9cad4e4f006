//! One simulated router's shared state: its scenario entry, the lab clock, which debugs are on,
//! and the log bus that carries unsolicited lines to every `terminal monitor` session.
//!
//! Debug flags live here, not in a session, because on IOS they are global to the box: a debug
//! switched on from one vty prints to every monitoring vty and survives the session.

use super::clock::{LabClock, LabTime, LogFormat};
use super::running::ConfigStore;
use super::scenario::RouterSpec;
use std::collections::BTreeSet;
use std::net::Ipv4Addr;
use std::sync::{Mutex, MutexGuard};
use tokio::sync::broadcast;

/// Lines queued per subscriber before a slow session starts losing the oldest ones; a burst of
/// IKE debugs is a few hundred lines, and a stalled client must not grow memory without bound.
const LOG_BUS_CAPACITY: usize = 512;

#[derive(Debug)]
pub struct Router {
    pub spec: RouterSpec,
    /// The scenario's name; with the router name it seeds the SSH host key.
    pub scenario: String,
    pub clock: LabClock,
    pub debug: DebugFlags,
    pub log: LogBus,
    /// Syslog messages kept for `show logging`.
    pub buffer: LogBuffer,
    /// The running- and startup-config; configuration mode edits it.
    pub config: ConfigStore,
    /// The last timestamp this router printed: lines of an exchange carry the lab time their
    /// step happened at, and a router's log never goes back in time.
    last_stamp: Mutex<u64>,
    /// Bumped to drop every SSH session of this router at once (a reload or a link flap seen
    /// from the agent: tests of lost connections use it).
    sessions_cut: tokio::sync::watch::Sender<u64>,
    /// Successful SSH logins so far: tests check that a health cycle logs into each router
    /// once, however many tunnels it carries.
    logins: std::sync::atomic::AtomicU64,
}

impl Router {
    pub fn new(scenario: &str, spec: RouterSpec, clock: LabClock) -> Router {
        Router {
            config: ConfigStore::new(&spec.config),
            spec,
            scenario: scenario.to_string(),
            clock,
            debug: DebugFlags::default(),
            log: LogBus::new(),
            buffer: LogBuffer::default(),
            last_stamp: Mutex::new(0),
            sessions_cut: tokio::sync::watch::channel(0).0,
            logins: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// Successful SSH logins since the router started.
    pub fn logins(&self) -> u64 {
        self.logins.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub(crate) fn count_login(&self) {
        self.logins
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    /// Drops every SSH session of this router; new logins are still accepted.
    pub fn cut_sessions(&self) {
        self.sessions_cut.send_modify(|n| *n += 1);
    }

    pub fn on_sessions_cut(&self) -> tokio::sync::watch::Receiver<u64> {
        self.sessions_cut.subscribe()
    }

    pub fn name(&self) -> &str {
        &self.spec.name
    }

    /// The name in the prompt: the running-config's `hostname`, which configuration mode may
    /// change, else the scenario's name for the router.
    pub fn hostname(&self) -> String {
        // Until the first edit the boot config's hostname is the router's name (a fleet copy's
        // shared model still carries its template's).
        if self.config.snapshot_version() == 0 {
            return self.spec.name.clone();
        }
        self.config
            .typed()
            .hostname
            .clone()
            .unwrap_or_else(|| "Router".to_string())
    }

    pub fn log_format(&self) -> LogFormat {
        self.spec.log_format
    }

    /// The timestamp this router puts before a debug or syslog line right now.
    pub fn timestamp(&self) -> String {
        self.stamp_at(self.clock.now())
    }

    /// The timestamp for a line that happened at `at`, never earlier than the last one.
    fn stamp_at(&self, at: LabTime) -> String {
        let mut last = self.last_stamp.lock().unwrap_or_else(|p| p.into_inner());
        *last = (*last).max(at.unix_ms);
        let at = LabTime { unix_ms: *last };
        self.spec.log_format.debug_stamp(at, self.spec.ntp)
    }

    /// Publishes `text` with the router's timestamp (`*Nov 26 10:15:42.123: text`).
    pub fn log_stamped(&self, text: &str) {
        self.log_at(text, self.clock.now());
    }

    /// Publishes `text` stamped with lab time `at` (a step of an exchange a few milliseconds
    /// after the one before). Syslog messages (`%…`) are kept for `show logging`.
    pub fn log_at(&self, text: &str, at: LabTime) {
        let line = format!("{} {text}", self.stamp_at(at));
        if text.starts_with('%') {
            self.buffer.push(line.clone());
        }
        self.log.publish(line);
    }

    /// Keeps a syslog message in the log buffer only: what the router logged while it booted,
    /// before any session could be watching.
    pub fn log_boot(&self, text: &str) {
        self.buffer.push(format!("{} {text}", self.timestamp()));
    }

    /// Publishes a debug line only if that debug is on and the conditions let `peer` through,
    /// as IOS filters crypto debugs with `debug crypto condition peer`. Returns whether it was
    /// published.
    pub fn debug_line(&self, kind: DebugKind, peer: Option<Ipv4Addr>, text: &str) -> bool {
        self.debug_line_at(kind, peer, text, self.clock.now())
    }

    /// [`Router::debug_line`] for a line that happened at lab time `at`.
    pub fn debug_line_at(
        &self,
        kind: DebugKind,
        peer: Option<Ipv4Addr>,
        text: &str,
        at: LabTime,
    ) -> bool {
        if !self.debug.get().shows(kind, peer) {
            return false;
        }
        self.log_at(text, at);
        true
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DebugKind {
    CryptoIsakmp,
    CryptoIpsec,
    CryptoIkev2,
}

/// What `show debug` reports.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DebugState {
    pub crypto_isakmp: bool,
    pub crypto_ipsec: bool,
    /// `debug crypto ikev2` (the protocol's default debugging).
    pub crypto_ikev2: bool,
    /// `debug crypto condition peer ipv4 X` filters; empty means every peer.
    pub peer_conditions: BTreeSet<Ipv4Addr>,
}

impl DebugState {
    pub fn is(&self, kind: DebugKind) -> bool {
        match kind {
            DebugKind::CryptoIsakmp => self.crypto_isakmp,
            DebugKind::CryptoIpsec => self.crypto_ipsec,
            DebugKind::CryptoIkev2 => self.crypto_ikev2,
        }
    }

    /// Whether a debug line about `peer` (None: not tied to a peer) would be printed.
    pub fn shows(&self, kind: DebugKind, peer: Option<Ipv4Addr>) -> bool {
        self.is(kind)
            && match peer {
                Some(p) if !self.peer_conditions.is_empty() => self.peer_conditions.contains(&p),
                _ => true,
            }
    }

    /// Nothing on: what a cleaned-up router looks like.
    pub fn is_quiet(&self) -> bool {
        *self == DebugState::default()
    }
}

/// One change of a router's debug state: the state after it, and where the change stands
/// among every debug change of every lab router in this process. Tests read from the history
/// that two tunnels' debug windows on one hub never overlapped, and that windows on other
/// routers were open meanwhile: an order of events, not a timing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DebugRecord {
    pub order: u64,
    pub state: DebugState,
}

/// Orders debug changes across routers and labs.
static DEBUG_ORDER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
/// Changes a router keeps (a triage run makes about six): the history of a long-running lab
/// stays bounded.
const DEBUG_HISTORY: usize = 4096;

#[derive(Debug, Default)]
pub struct DebugFlags(Mutex<Flags>);

#[derive(Debug, Default)]
struct Flags {
    now: DebugState,
    history: std::collections::VecDeque<DebugRecord>,
}

impl DebugFlags {
    pub fn get(&self) -> DebugState {
        self.lock().now.clone()
    }

    /// The changes so far, oldest first (the last [`DEBUG_HISTORY`] of them).
    pub fn history(&self) -> Vec<DebugRecord> {
        self.lock().history.iter().cloned().collect()
    }

    pub fn set(&self, kind: DebugKind, on: bool) {
        self.change(|s| match kind {
            DebugKind::CryptoIsakmp => s.crypto_isakmp = on,
            DebugKind::CryptoIpsec => s.crypto_ipsec = on,
            DebugKind::CryptoIkev2 => s.crypto_ikev2 = on,
        });
    }

    pub fn add_peer_condition(&self, peer: Ipv4Addr) {
        self.change(|s| {
            s.peer_conditions.insert(peer);
        });
    }

    pub fn remove_peer_condition(&self, peer: Ipv4Addr) {
        self.change(|s| {
            s.peer_conditions.remove(&peer);
        });
    }

    pub fn reset_conditions(&self) {
        self.change(|s| s.peer_conditions.clear());
    }

    /// `undebug all`: flags and conditions, so `show debug` comes back empty.
    pub fn all_off(&self) {
        self.change(|s| *s = DebugState::default());
    }

    /// Applies `f`, and records the new state when it differs.
    fn change(&self, f: impl FnOnce(&mut DebugState)) {
        let mut flags = self.lock();
        let before = flags.now.clone();
        f(&mut flags.now);
        if flags.now == before {
            return;
        }
        if flags.history.len() == DEBUG_HISTORY {
            flags.history.pop_front();
        }
        let record = DebugRecord {
            order: DEBUG_ORDER.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            state: flags.now.clone(),
        };
        flags.history.push_back(record);
    }

    fn lock(&self) -> MutexGuard<'_, Flags> {
        // The state is plain data that stays valid even if a holder panicked.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Broadcast of unsolicited lines (debugs, syslog) to this router's monitoring sessions.
#[derive(Debug)]
pub struct LogBus(broadcast::Sender<String>);

impl LogBus {
    fn new() -> LogBus {
        LogBus(broadcast::channel(LOG_BUS_CAPACITY).0)
    }

    /// Sends one line (no line ending) to every subscribed session; none listening is fine.
    pub fn publish(&self, line: String) {
        let _ = self.0.send(line);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<String> {
        self.0.subscribe()
    }
}

/// Lines the log buffer keeps (IOS keeps bytes, 8192 by default; a line count is simpler and
/// holds about as many messages).
const BUFFER_LINES: usize = 200;

/// The `logging buffered` ring: syslog messages (informational and above), oldest first.
#[derive(Debug, Default)]
pub struct LogBuffer(Mutex<(std::collections::VecDeque<String>, u64)>);

impl LogBuffer {
    fn push(&self, line: String) {
        let mut b = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if b.0.len() == BUFFER_LINES {
            b.0.pop_front();
        }
        b.0.push_back(line);
        b.1 += 1;
    }

    /// The kept lines and how many were ever logged.
    pub fn snapshot(&self) -> (Vec<String>, u64) {
        let b = self.0.lock().unwrap_or_else(|p| p.into_inner());
        (b.0.iter().cloned().collect(), b.1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lab::scenario::Scenario;
    use std::time::SystemTime;

    fn r1() -> Router {
        let s = Scenario::embedded("healthy").unwrap();
        let clock = LabClock::new(1.0, SystemTime::now()).unwrap();
        Router::new("healthy", s.routers[0].clone(), clock)
    }

    #[test]
    fn debug_lines_respect_flags_and_peer_conditions() {
        let r = r1();
        let mut rx = r.log.subscribe();
        let peer = Ipv4Addr::new(203, 0, 113, 2);
        let other = Ipv4Addr::new(198, 51, 100, 9);
        assert!(!r.debug_line(DebugKind::CryptoIsakmp, Some(peer), "ISAKMP:(0): off"));
        r.debug.set(DebugKind::CryptoIsakmp, true);
        assert!(r.debug_line(DebugKind::CryptoIsakmp, Some(peer), "ISAKMP:(0): on"));
        assert!(!r.debug_line(DebugKind::CryptoIpsec, Some(peer), "IPSEC(x): off"));
        r.debug.add_peer_condition(peer);
        assert!(!r.debug_line(DebugKind::CryptoIsakmp, Some(other), "ISAKMP: other"));
        assert!(r.debug_line(DebugKind::CryptoIsakmp, None, "ISAKMP: global"));
        let first = rx.try_recv().unwrap();
        assert!(
            first.starts_with('*') && first.ends_with(": ISAKMP:(0): on"),
            "{first}"
        );
        assert!(rx.try_recv().unwrap().ends_with("ISAKMP: global"));
        assert!(rx.try_recv().is_err());
        r.debug.all_off();
        assert!(r.debug.get().is_quiet());
        // Three changes (isakmp on, the condition, all off); repeating one leaves no trace.
        r.debug.all_off();
        let history = r.debug.history();
        assert_eq!(history.len(), 3, "{history:?}");
        assert!(history[0].state.crypto_isakmp && history[0].state.peer_conditions.is_empty());
        assert_eq!(history[1].state.peer_conditions.len(), 1);
        assert!(history[2].state.is_quiet());
        assert!(history.windows(2).all(|w| w[0].order < w[1].order));
    }
}
