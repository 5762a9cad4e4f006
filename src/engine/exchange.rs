//! The IKE exchange as one router logged it: which messages it sent and received, how often,
//! and what it decided between them, kept per remote address in a small fixed record.
//!
//! IOS never numbers its messages. It prints the state the SA is in when a packet leaves or
//! arrives (`sending packet to 203.0.113.1 … (I) MM_SA_SETUP`), so the number comes from the
//! router's role, that state and what the record already holds: an initiator sending in
//! `MM_SA_SETUP` sends MM3; a responder sending in `MM_KEY_EXCH` sends MM4, or MM6 once MM5
//! has arrived. Packets in `QM_IDLE` are quick mode or informational; which one is read from
//! what the router logged around them (`beginning Quick Mode exchange`, `Sending NOTIFY …`,
//! `processing NOTIFY …`).
//!
//! Only the latest exchange per remote is kept, with a count of the earlier ones and how they
//! ended, and only the latest quick mode within it: a capture of any length leaves a record of
//! a few dozen entries. The report draws it as a ladder (`report::ladder`); nothing here
//! decides a finding.

use super::event::{EventKind, LineAt, LineRef, P1AttrKind, Role, V2Event, V2Exchange};
use serde::{Serialize, Serializer};

/// Remote addresses tracked per router; the least recently active one makes room.
const MAX_REMOTES: usize = 8;
/// Informational messages (notifies, unnamed ones) kept per exchange.
const MAX_INFORMATIONAL: usize = 4;
/// Local events kept per exchange (each counts its repeats).
const MAX_MARKS: usize = 8;
/// Distinct endings of earlier attempts kept per remote.
const MAX_EARLIER: usize = 4;

/// A line to cite: borrowed while it is being read, owned once kept. A message seen again
/// only counts, so the common case copies nothing.
pub trait Cite {
    fn cite(&self) -> LineRef;
}

impl Cite for LineAt<'_> {
    fn cite(&self) -> LineRef {
        self.to_ref()
    }
}

impl Cite for LineRef {
    fn cite(&self) -> LineRef {
        self.clone()
    }
}

/// The phase 1 exchange type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Main,
    Aggressive,
}

/// One IKEv1 message, by its place in the protocol.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Message {
    /// Main mode MM1…MM6.
    Main(u8),
    /// Aggressive mode AM1…AM3.
    Aggressive(u8),
    /// Quick mode QM1…QM3.
    Quick(u8),
    /// An informational message carrying a notify the router named (`PROPOSAL_NOT_CHOSEN`).
    Notify(String),
    /// An informational message the log does not name (a delete, a keepalive).
    Info,
    /// An IKEv2 message: its exchange, and whether it is the request (else the response).
    /// IOS prints both in the packet's header lines (`IKEv2 IKE_AUTH Exchange RESPONSE`).
    V2(V2Exchange, bool),
}

impl Message {
    /// `MM1`, `QM2`, `NOTIFY PROPOSAL_NOT_CHOSEN`, `INFO`.
    pub fn label(&self) -> String {
        match self {
            Message::Main(n) => format!("MM{n}"),
            Message::Aggressive(n) => format!("AM{n}"),
            Message::Quick(n) => format!("QM{n}"),
            Message::Notify(kind) => format!("NOTIFY {kind}"),
            Message::Info => "INFO".to_string(),
            Message::V2(x, request) => {
                format!(
                    "{} {}",
                    x.name(),
                    if *request { "request" } else { "response" }
                )
            }
        }
    }

    /// The initiator of its exchange sends the odd messages; informational ones have no side.
    pub fn from_initiator(&self) -> Option<bool> {
        match self {
            Message::Main(n) | Message::Aggressive(n) | Message::Quick(n) => Some(n % 2 == 1),
            // The initiator requests IKE_SA_INIT and IKE_AUTH; either side may start the others.
            Message::V2(V2Exchange::SaInit | V2Exchange::Auth, request) => Some(*request),
            Message::Notify(_) | Message::Info | Message::V2(..) => None,
        }
    }

    fn is_informational(&self) -> bool {
        matches!(
            self,
            Message::Notify(_) | Message::Info | Message::V2(V2Exchange::Informational, _)
        )
    }
}

impl Serialize for Message {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.label())
    }
}

/// As this router saw a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Sent,
    Received,
}

/// A message this router logged, with how many times.
#[derive(Debug, Clone, Serialize)]
pub struct Seen {
    pub message: Message,
    pub direction: Direction,
    /// Above 1: this router retransmitted it (sent) or the peer did (received).
    pub count: u32,
    /// 1 for phase 1 (and informational messages before it completed), 2 for the quick mode.
    pub phase: u8,
    /// The first line that showed it.
    pub line: LineRef,
}

/// Something this router decided or noticed between messages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MarkKind {
    /// `No pre-shared key with 203.0.113.1!`: main mode could not even start.
    NoKey,
    /// `No offers accepted!`, with the attributes the router said did not match.
    Phase1Refused {
        attributes: Vec<P1AttrKind>,
        /// `Preshared authentication offered but does not match policy!`
        no_key: bool,
    },
    /// `%CRYPTO-4-IKMP_BAD_MESSAGE`: an encrypted message failed its integrity check.
    BadMessage,
    /// `IKE_P1_COMPLETE`
    Phase1Up,
    /// `IPSec policy invalidated proposal with error 32` / `phase 2 SA policy not acceptable!`
    Phase2Refused {
        error: Option<u32>,
        /// `proxy identities not supported`
        proxy: bool,
        /// `transform proposal not supported`
        transform: bool,
    },
    /// `Successfully installed IPSEC SA`
    SaInstalled,
    /// `IKE_QM_PHASE2_COMPLETE`
    Phase2Up,
    /// `deleting SA reason "Death by retransmission P1"`: the router gave up on the SA.
    Deleted { reason: String },
}

impl MarkKind {
    fn phase(&self) -> u8 {
        match self {
            MarkKind::Phase2Refused { .. } | MarkKind::SaInstalled | MarkKind::Phase2Up => 2,
            _ => 1,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Mark {
    #[serde(flatten)]
    pub kind: MarkKind,
    /// The latest message the record held when it happened: where it goes in the ladder.
    pub after: Option<Message>,
    pub count: u32,
    pub phase: u8,
    pub line: LineRef,
}

/// How an earlier attempt with the same remote ended, and how many ended so.
#[derive(Debug, Clone, Serialize)]
pub struct Earlier {
    pub outcome: String,
    pub count: u32,
}

/// `initiator` / `responder`, in the lower case the rest of the JSON uses.
fn role_name<S: Serializer>(role: &Option<Role>, s: S) -> Result<S::Ok, S::Error> {
    match role {
        Some(Role::Initiator) => s.serialize_str("initiator"),
        Some(Role::Responder) => s.serialize_str("responder"),
        None => s.serialize_none(),
    }
}

/// The latest exchange one router had with one remote address.
#[derive(Debug, Clone, Serialize)]
pub struct Exchange {
    pub remote: String,
    /// This router's phase 1 role.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "role_name")]
    pub role: Option<Role>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<Mode>,
    /// This router's role in the quick mode shown.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "role_name")]
    pub quick_role: Option<Role>,
    /// Phase 1 exchanges seen with this remote, this one included.
    pub attempt: u32,
    /// Quick modes seen within this phase 1, the one shown included.
    pub quick_modes: u32,
    /// In the order this router first logged them.
    pub messages: Vec<Seen>,
    pub marks: Vec<Mark>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub earlier: Vec<Earlier>,
    #[serde(skip)]
    touched: u64,
}

impl Exchange {
    fn new(remote: &str) -> Exchange {
        Exchange {
            remote: remote.to_string(),
            role: None,
            mode: None,
            quick_role: None,
            attempt: 1,
            quick_modes: 0,
            messages: Vec::new(),
            marks: Vec::new(),
            earlier: Vec::new(),
            touched: 0,
        }
    }

    pub fn seen(&self, message: &Message, direction: Direction) -> Option<&Seen> {
        self.messages
            .iter()
            .find(|s| &s.message == message && s.direction == direction)
    }

    fn has(&self, message: &Message, direction: Direction) -> bool {
        self.seen(message, direction).is_some()
    }

    pub fn has_mark(&self, f: impl Fn(&MarkKind) -> bool) -> bool {
        self.marks.iter().any(|m| f(&m.kind))
    }

    /// Phase 1 completed, or a quick mode ran (which needs it).
    pub fn phase1_up(&self) -> bool {
        self.has_mark(|k| *k == MarkKind::Phase1Up)
            || self.messages.iter().any(|s| {
                matches!(
                    s.message,
                    Message::Quick(_) | Message::V2(V2Exchange::CreateChild, _)
                )
            })
    }

    pub fn phase2_up(&self) -> bool {
        self.has_mark(|k| matches!(k, MarkKind::Phase2Up | MarkKind::SaInstalled))
            && !self.rekey_refused()
    }

    /// IKEv2: an error notify came after a CREATE_CHILD_SA, so the SAs that came up expire
    /// without successors.
    fn rekey_refused(&self) -> bool {
        self.messages
            .iter()
            .position(|s| matches!(s.message, Message::V2(V2Exchange::CreateChild, _)))
            .is_some_and(|at| {
                self.messages[at..]
                    .iter()
                    .any(|s| matches!(s.message, Message::Notify(_)))
            })
    }

    fn is_empty(&self) -> bool {
        self.messages.is_empty() && self.marks.is_empty()
    }

    /// The highest phase 1 message number recorded.
    fn phase1_high(&self) -> Option<u8> {
        self.messages
            .iter()
            .filter_map(|s| match s.message {
                Message::Main(n) | Message::Aggressive(n) => Some(n),
                _ => None,
            })
            .max()
    }

    /// The quick mode shown has ended: acknowledged, refused or answered by a notify.
    fn quick_ended(&self) -> bool {
        self.messages.iter().any(|s| {
            s.phase == 2 && (s.message == Message::Quick(3) || s.message.is_informational())
        }) || self.has_mark(|k| matches!(k, MarkKind::Phase2Up | MarkKind::Phase2Refused { .. }))
    }

    fn latest(&self) -> Option<Message> {
        self.messages.last().map(|s| s.message.clone())
    }

    /// In a few words: `phase 2 complete`, `stopped after MM5`, `stopped before MM1 (no key)`.
    pub fn outcome(&self) -> String {
        if self.phase2_up() {
            return "phase 2 complete".to_string();
        }
        match self.latest() {
            None if self.has_mark(|k| *k == MarkKind::NoKey) => {
                "stopped before MM1: no pre-shared key".to_string()
            }
            None => "nothing sent".to_string(),
            Some(m) if self.phase1_up() && !matches!(m, Message::Quick(_)) => {
                if self.quick_modes == 0 {
                    "phase 1 complete".to_string()
                } else {
                    format!("quick mode stopped after {}", m.label())
                }
            }
            Some(m) => format!("stopped after {}", m.label()),
        }
    }

    fn record(&mut self, message: Message, direction: Direction, at: &impl Cite) {
        if let Some(s) = self
            .messages
            .iter_mut()
            .find(|s| s.message == message && s.direction == direction)
        {
            s.count = s.count.saturating_add(1);
            return;
        }
        let informational = message.is_informational();
        if informational
            && self
                .messages
                .iter()
                .filter(|s| s.message.is_informational())
                .count()
                >= MAX_INFORMATIONAL
        {
            return;
        }
        let phase = match message {
            Message::Quick(_) | Message::V2(V2Exchange::CreateChild, _) => 2,
            _ if informational && self.phase1_up() => 2,
            _ => 1,
        };
        self.messages.push(Seen {
            message,
            direction,
            count: 1,
            phase,
            line: at.cite(),
        });
    }

    fn mark(&mut self, kind: MarkKind, at: &impl Cite) {
        if let Some(m) = self.marks.iter_mut().find(|m| m.kind == kind) {
            // IOS prints the delete of one SA more than once; it happens once.
            if !matches!(kind, MarkKind::Deleted { .. }) {
                m.count = m.count.saturating_add(1);
            }
            return;
        }
        if self.marks.len() < MAX_MARKS {
            let phase = kind.phase();
            self.marks.push(Mark {
                after: self.latest(),
                kind,
                count: 1,
                phase,
                line: at.cite(),
            });
        }
    }

    /// A new phase 1 with the same remote: the old one is remembered only by how it ended.
    fn restart(&mut self) {
        let outcome = self.outcome();
        let mut earlier = std::mem::take(&mut self.earlier);
        if let Some(e) = earlier.iter_mut().find(|e| e.outcome == outcome) {
            e.count = e.count.saturating_add(1);
        } else if earlier.len() < MAX_EARLIER {
            earlier.push(Earlier { outcome, count: 1 });
        }
        let attempt = self.attempt.saturating_add(1);
        *self = Exchange {
            attempt,
            earlier,
            touched: self.touched,
            ..Exchange::new(&self.remote)
        };
    }

    /// A new quick mode within the same phase 1: the previous one is dropped.
    fn new_quick(&mut self, role: Role) {
        self.messages.retain(|s| s.phase != 2);
        self.marks.retain(|m| m.phase != 2);
        self.quick_role = Some(role);
        self.quick_modes = self.quick_modes.saturating_add(1);
    }
}

/// Which phase 1 message a packet can be, from the role and the state IOS printed with it.
/// Several candidates where IOS prints the same state for two messages: the responder sends
/// MM4 in `MM_KEY_EXCH` and, in some releases, MM6 too.
fn phase1_candidates(role: Role, direction: Direction, state: &str) -> Option<(Mode, &[u8])> {
    use Direction::{Received as Rx, Sent as Tx};
    use Role::{Initiator as I, Responder as R};
    let mode = if state.starts_with("MM_") || state == "NEW" {
        Mode::Main
    } else if state.starts_with("AG_") {
        Mode::Aggressive
    } else {
        return None;
    };
    let candidates: &[u8] = match (mode, role, direction, state) {
        (Mode::Main, _, Rx, "NEW") => &[1],
        (Mode::Main, I, Tx, "MM_NO_STATE") => &[1],
        (Mode::Main, I, Rx, "MM_NO_STATE") => &[2],
        (Mode::Main, I, Tx, "MM_SA_SETUP") => &[3],
        (Mode::Main, I, Rx, "MM_SA_SETUP") => &[4],
        (Mode::Main, I, Tx, "MM_KEY_EXCH") => &[5],
        (Mode::Main, I, Rx, "MM_KEY_EXCH") => &[6],
        (Mode::Main, R, Rx, "MM_NO_STATE") => &[1],
        (Mode::Main, R, Tx, "MM_NO_STATE" | "MM_SA_SETUP") => &[2],
        (Mode::Main, R, Rx, "MM_SA_SETUP") => &[3],
        (Mode::Main, R, Tx, "MM_KEY_EXCH") => &[4, 6],
        (Mode::Main, R, Rx, "MM_KEY_EXCH") => &[5],
        (Mode::Aggressive, I, Tx, _) | (Mode::Aggressive, R, Rx, _) => &[1, 3],
        (Mode::Aggressive, I, Rx, _) | (Mode::Aggressive, R, Tx, _) => &[2],
        _ => &[],
    };
    Some((mode, candidates))
}

/// The priority IOS gives its built-in default policy, checked after the configured ones.
const DEFAULT_SUITE: u32 = 65_535;
/// Policy checks remembered for one offer.
const MAX_CHECKS: usize = 32;

/// The attributes a refused offer differed in: IOS's default suite refuses most offers on
/// its own account, so it counts only when no configured policy was tried.
fn refused_attributes(checks: &[(u32, Option<P1AttrKind>)]) -> Vec<P1AttrKind> {
    let configured = checks.iter().any(|(p, _)| *p != DEFAULT_SUITE);
    let mut kinds: Vec<P1AttrKind> = checks
        .iter()
        .filter(|(p, _)| !configured || *p != DEFAULT_SUITE)
        .filter_map(|(_, k)| *k)
        .collect();
    kinds.sort();
    kinds.dedup();
    kinds
}

/// Lines that only come while a quick mode is being worked on: what tells a packet received
/// in `QM_IDLE` from a keepalive or a delete.
fn is_quick_mode_work(kind: &EventKind) -> bool {
    use EventKind as E;
    match kind {
        E::IpsecProposalCheck { .. }
        | E::OfferedP2(_)
        | E::ProxyIdsNotSupported
        | E::TransformNotSupported
        | E::PolicyInvalidated { .. }
        | E::SaNotAcceptable {
            phase: Some(2) | None,
            ..
        }
        | E::SaInstalled { .. } => true,
        E::StateChange { new, .. } => new.starts_with("IKE_QM_"),
        _ => false,
    }
}

/// The phase 2 refusal being logged: its lines arrive one by one.
#[derive(Debug, Clone, Copy, Default)]
struct P2Refusal {
    proxy: bool,
    transform: bool,
    marked: bool,
}

/// Every remote's exchange as one router logged it, fed event by event.
#[derive(Debug, Clone, Default)]
pub struct Exchanges {
    list: Vec<Exchange>,
    /// The remote the latest line with an address was about: lines without one belong to it.
    current: Option<usize>,
    /// A new phase 1 is starting (`Created a peer struct`, `beginning Main Mode exchange`).
    fresh: bool,
    /// The responder's first message was counted from its packet line (`(N) NEW SA`), so the
    /// state change that follows it adds nothing.
    first_counted: bool,
    /// `retransmitting phase …`: the next packet sent repeats the last one.
    retransmit: bool,
    /// `Sending NOTIFY …`: the next packet sent carries it.
    notify: Option<String>,
    /// `beginning Quick Mode exchange`: the next packet sent in `QM_IDLE` is QM1.
    quick_begin: bool,
    /// A packet received in `QM_IDLE`: what it was shows in the line that follows.
    pending_rx: Option<(usize, LineRef)>,
    /// The phase 1 offer being checked: each policy tried and the attribute it objected to.
    checks: Vec<(u32, Option<P1AttrKind>)>,
    no_key: bool,
    p2: P2Refusal,
    /// IKEv2: the packet whose header lines are arriving (record, sent), and where an error
    /// notify in its payload list goes (record, direction).
    v2_packet: Option<(usize, bool)>,
    v2_payloads: Option<(usize, Direction)>,
    clock: u64,
}

impl Exchanges {
    pub fn feed(&mut self, kind: &EventKind, at: &LineAt) {
        use EventKind as E;
        self.clock += 1;
        if let Some((i, line)) = self.pending_rx.take() {
            if let E::NotifyReceived { kind } = kind {
                self.list[i].record(Message::Notify(kind.to_string()), Direction::Received, at);
                return;
            }
            self.resolve_quick_rx(i, &line, is_quick_mode_work(kind));
        }
        match kind {
            E::Authenticated { peer } => {
                self.select(peer);
            }
            E::MainModeBegin => self.fresh = true,
            E::PacketSent { peer, role, state } => {
                let i = self.select(peer);
                self.sent(i, *role, state.trim(), at);
            }
            E::PacketReceived { peer, role, state } => {
                let i = self.select(peer);
                self.received(i, *role, state.trim(), at);
            }
            E::Retransmit { .. } => self.retransmit = true,
            E::StateChange { old, new } => self.state_change(old, new, at),
            E::PolicyCheck { priority, .. } => {
                if self.checks.len() < MAX_CHECKS {
                    self.checks.push((*priority, None));
                }
                let starts = self
                    .current
                    .is_some_and(|i| self.fresh || self.list[i].is_empty());
                if starts {
                    self.responder_got_first(Mode::Main, at);
                }
            }
            E::P1Mismatch(which) => {
                if let Some((_, m)) = self.checks.last_mut() {
                    m.get_or_insert(*which);
                }
            }
            E::PresharedOfferedNoKey => self.no_key = true,
            E::AttsAcceptable => {
                self.checks.clear();
                self.no_key = false;
            }
            E::NoOffersAccepted => {
                let kind = MarkKind::Phase1Refused {
                    attributes: refused_attributes(&std::mem::take(&mut self.checks)),
                    no_key: std::mem::take(&mut self.no_key),
                };
                self.mark_current(kind, at);
            }
            E::PskMissing { peer } => {
                let i = self.select(peer);
                self.begin_phase1(i, true);
                self.list[i].mark(MarkKind::NoKey, at);
            }
            E::BadMessage { peer } => {
                let i = self.select(peer);
                self.list[i].mark(MarkKind::BadMessage, at);
            }
            E::QuickModeBegin => self.quick_begin = true,
            E::ProxyIdsNotSupported => self.p2.proxy = true,
            E::TransformNotSupported => self.p2.transform = true,
            E::PolicyInvalidated { error } => {
                let kind = MarkKind::Phase2Refused {
                    error: *error,
                    proxy: self.p2.proxy,
                    transform: self.p2.transform,
                };
                self.p2 = P2Refusal {
                    marked: true,
                    ..P2Refusal::default()
                };
                self.mark_current(kind, at);
            }
            // Said right after `policy invalidated`, it is the same refusal.
            E::SaNotAcceptable {
                phase: Some(2) | None,
                ..
            } if std::mem::take(&mut self.p2.marked) => {}
            E::SaNotAcceptable {
                phase: Some(2) | None,
                ..
            } => {
                let kind = MarkKind::Phase2Refused {
                    error: None,
                    proxy: self.p2.proxy,
                    transform: self.p2.transform,
                };
                self.p2 = P2Refusal::default();
                self.mark_current(kind, at);
            }
            E::NotifySent { kind } => self.notify = Some(kind.to_string()),
            E::NotifyReceived { kind } => {
                if let Some(i) = self.current {
                    self.list[i].record(Message::Notify(kind.to_string()), Direction::Received, at);
                }
            }
            E::V2(e) => self.v2(e, at),
            E::SessionStatus {
                up: true,
                v2: true,
                peer,
            } => {
                if let Some(peer) = peer {
                    self.select(peer);
                }
                self.mark_current(MarkKind::Phase2Up, at);
            }
            E::SaInstalled { .. } => self.mark_current(MarkKind::SaInstalled, at),
            E::SaDeleted { reason, peer, .. } => {
                if let Some(peer) = peer {
                    self.select(peer);
                }
                self.mark_current(
                    MarkKind::Deleted {
                        reason: reason.to_string(),
                    },
                    at,
                );
            }
            _ => {}
        }
    }

    /// An IKEv2 line: a packet's header, its exchange, an error notify in its payloads, the
    /// peer's AUTH payload verified.
    fn v2(&mut self, e: &V2Event, at: &LineAt) {
        match e {
            V2Event::Packet { sent, peer, .. } => {
                let i = self.select(peer);
                self.v2_packet = Some((i, *sent));
                self.v2_payloads = None;
            }
            V2Event::Exchange { exchange, request } => {
                let Some((i, sent)) = self.v2_packet.take() else {
                    return;
                };
                let direction = if sent {
                    Direction::Sent
                } else {
                    Direction::Received
                };
                let message = Message::V2(*exchange, *request);
                let ex = &mut self.list[i];
                // A new IKE_SA_INIT request after more than its own retransmissions starts a
                // new attempt; a retransmission only counts.
                let only_this = ex
                    .messages
                    .iter()
                    .all(|s| s.message == message && s.direction == direction);
                if *exchange == V2Exchange::SaInit && *request && !ex.is_empty() && !only_this {
                    ex.restart();
                }
                ex.record(message, direction, at);
                self.v2_payloads = Some((i, direction));
            }
            // The payload list below is one this router is about to send.
            V2Event::Building => self.v2_payloads = self.current.map(|i| (i, Direction::Sent)),
            V2Event::Notify { kind } => {
                if let Some((i, d)) = self.v2_payloads.take() {
                    self.list[i].record(Message::Notify(kind.to_string()), d, at);
                }
            }
            V2Event::AuthPassed => self.mark_current(MarkKind::Phase1Up, at),
            _ => {}
        }
    }

    /// The records as they stand, a packet still waiting for its meaning read as best it can.
    pub fn records(&self) -> Vec<Exchange> {
        let mut me = self.clone();
        if let Some((i, line)) = me.pending_rx.take() {
            me.resolve_quick_rx(i, &line, false);
        }
        me.list
    }

    /// The record for `remote`, made current; a new one pushes out the least recently active.
    fn select(&mut self, remote: &str) -> usize {
        let i = match self.list.iter().position(|e| e.remote == remote) {
            Some(i) => i,
            None if self.list.len() < MAX_REMOTES => {
                self.list.push(Exchange::new(remote));
                self.list.len() - 1
            }
            None => {
                let (i, _) = self
                    .list
                    .iter()
                    .enumerate()
                    .min_by_key(|(_, e)| e.touched)
                    .unwrap_or((0, &self.list[0]));
                self.list[i] = Exchange::new(remote);
                if self.pending_rx.as_ref().is_some_and(|(p, _)| *p == i) {
                    self.pending_rx = None;
                }
                i
            }
        };
        self.list[i].touched = self.clock;
        self.current = Some(i);
        i
    }

    fn mark_current(&mut self, kind: MarkKind, at: &LineAt) {
        if let Some(i) = self.current {
            self.list[i].mark(kind, at);
        }
    }

    /// The first message of a phase 1 is due: a record holding an earlier exchange starts over,
    /// unless all it holds is that first message received. A responder that refused MM1
    /// drops the SA, so the initiator's retransmission arrives as a new SA: it is the same
    /// message again, not a new exchange.
    fn begin_phase1(&mut self, i: usize, first: bool) {
        let fresh = std::mem::take(&mut self.fresh);
        let ex = &mut self.list[i];
        let repeat_of_first = !ex.messages.is_empty()
            && ex.messages.iter().all(|s| {
                s.direction == Direction::Received
                    && matches!(s.message, Message::Main(1) | Message::Aggressive(1))
            });
        if first && fresh && !ex.is_empty() && !repeat_of_first {
            ex.restart();
        }
    }

    fn state_change(&mut self, old: &str, new: &str, at: &LineAt) {
        match (old, new) {
            (_, "IKE_P1_COMPLETE") if old != new => self.mark_current(MarkKind::Phase1Up, at),
            (_, "IKE_QM_PHASE2_COMPLETE") if old != new => {
                self.mark_current(MarkKind::Phase2Up, at)
            }
            ("IKE_READY", "IKE_R_MM1") => self.responder_got_first(Mode::Main, at),
            ("IKE_READY", "IKE_R_AM1") => self.responder_got_first(Mode::Aggressive, at),
            ("IKE_READY", "IKE_I_MM1" | "IKE_I_AM1") => self.fresh = true,
            _ => {}
        }
    }

    /// A responder's first message, known from what it did with it: the packet line itself
    /// (`(N) NEW SA`) carries no role or state the signatures read.
    fn responder_got_first(&mut self, mode: Mode, at: &LineAt) {
        let Some(i) = self.current else {
            return;
        };
        let first = match mode {
            Mode::Main => Message::Main(1),
            Mode::Aggressive => Message::Aggressive(1),
        };
        if std::mem::take(&mut self.first_counted) {
            self.fresh = false;
            return;
        }
        self.begin_phase1(i, true);
        let ex = &mut self.list[i];
        ex.role.get_or_insert(Role::Responder);
        ex.mode.get_or_insert(mode);
        ex.record(first, Direction::Received, at);
    }

    fn sent(&mut self, i: usize, role: Option<Role>, state: &str, at: &LineAt) {
        let retransmit = std::mem::take(&mut self.retransmit);
        let line = at;
        if let Some(kind) = self.notify.take() {
            self.list[i].record(Message::Notify(kind), Direction::Sent, line);
            return;
        }
        let role = role.or(self.list[i].role);
        if let Some(r) = role {
            self.list[i].role.get_or_insert(r);
        }
        match role.and_then(|r| phase1_candidates(r, Direction::Sent, state)) {
            Some((mode, candidates)) => {
                self.phase1(i, mode, candidates, Direction::Sent, retransmit, line)
            }
            None if state.starts_with("QM_") => self.quick_sent(i, retransmit, line),
            None => {}
        }
    }

    fn received(&mut self, i: usize, role: Option<Role>, state: &str, at: &LineAt) {
        self.retransmit = false;
        // `(N) NEW SA`: the first packet of a negotiation this router did not start, so it
        // answers it as the responder.
        let new_sa = state == "NEW";
        if new_sa {
            self.fresh = true;
            self.first_counted = true;
        }
        let role = role
            .or(self.list[i].role)
            .or(new_sa.then_some(Role::Responder));
        if let Some(r) = role {
            self.list[i].role.get_or_insert(r);
        }
        match role.and_then(|r| phase1_candidates(r, Direction::Received, state)) {
            Some((mode, candidates)) => {
                self.phase1(i, mode, candidates, Direction::Received, false, at)
            }
            None if state.starts_with("QM_") => self.pending_rx = Some((i, at.to_ref())),
            None => {}
        }
    }

    /// Numbers a phase 1 packet: the lowest candidate past everything recorded is a new
    /// message; otherwise the packet repeats one already recorded (a retransmission).
    fn phase1(
        &mut self,
        i: usize,
        mode: Mode,
        candidates: &[u8],
        direction: Direction,
        retransmit: bool,
        line: &impl Cite,
    ) {
        let make = |n: u8| match mode {
            Mode::Main => Message::Main(n),
            Mode::Aggressive => Message::Aggressive(n),
        };
        let first = candidates.first() == Some(&1);
        // An initiator starting over without saying so: MM1 again after later messages.
        let restarted = first
            && direction == Direction::Sent
            && !retransmit
            && self.list[i].phase1_high().is_some_and(|h| h > 1);
        if restarted {
            self.fresh = true;
        }
        if first {
            self.begin_phase1(i, true);
        } else {
            self.fresh = false;
        }
        let ex = &mut self.list[i];
        ex.mode = Some(mode);
        if retransmit
            && let Some(last) = ex
                .messages
                .iter()
                .rev()
                .find(|s| s.direction == direction && s.phase == 1 && !s.message.is_informational())
                .map(|s| s.message.clone())
        {
            ex.record(last, direction, line);
            return;
        }
        let high = ex.phase1_high().unwrap_or(0);
        let message = match candidates.iter().find(|&&c| c > high) {
            Some(&c) => make(c),
            None => match candidates
                .iter()
                .rev()
                .find(|&&c| ex.has(&make(c), direction))
            {
                Some(&c) => make(c),
                None => match candidates.last() {
                    Some(&c) => make(c),
                    None => return,
                },
            },
        };
        ex.record(message, direction, line);
    }

    fn quick_sent(&mut self, i: usize, retransmit: bool, line: &impl Cite) {
        use Direction::{Received as Rx, Sent as Tx};
        let quick_begin = std::mem::take(&mut self.quick_begin);
        let ex = &mut self.list[i];
        let message = if ex.role == Some(Role::Responder)
            && ex.mode != Some(Mode::Aggressive)
            && !ex.phase1_up()
            && ex.has(&Message::Main(5), Rx)
            && !ex.has(&Message::Main(6), Tx)
        {
            // IOS has already moved the SA to QM_IDLE when the responder sends MM6.
            Message::Main(6)
        } else if ex.role == Some(Role::Initiator)
            && ex.mode == Some(Mode::Aggressive)
            && ex.has(&Message::Aggressive(2), Rx)
            && !ex.has(&Message::Aggressive(3), Tx)
        {
            Message::Aggressive(3)
        } else if let Some(last) = ex
            .messages
            .iter()
            .rev()
            .find(|s| s.direction == Tx && matches!(s.message, Message::Quick(_)))
            .filter(|_| retransmit)
        {
            last.message.clone()
        } else if quick_begin {
            ex.new_quick(Role::Initiator);
            Message::Quick(1)
        } else if ex.quick_role == Some(Role::Initiator)
            && ex.has(&Message::Quick(2), Rx)
            && !ex.has(&Message::Quick(3), Tx)
        {
            Message::Quick(3)
        } else if ex.quick_role == Some(Role::Responder)
            && ex.has(&Message::Quick(1), Rx)
            && !ex.has(&Message::Quick(2), Tx)
            && !ex.quick_ended()
        {
            Message::Quick(2)
        } else {
            Message::Info
        };
        ex.record(message, Tx, line);
    }

    /// A packet received in `QM_IDLE`, once the line after it is known: `quick_work` says
    /// that line belongs to a quick mode (a proposal being checked, a state change).
    fn resolve_quick_rx(&mut self, i: usize, line: &LineRef, quick_work: bool) {
        use Direction::{Received as Rx, Sent as Tx};
        let Some(ex) = self.list.get_mut(i) else {
            return;
        };
        let message = if ex.role == Some(Role::Initiator)
            && ex.mode != Some(Mode::Aggressive)
            && !ex.phase1_up()
            && ex.has(&Message::Main(5), Tx)
            && !ex.has(&Message::Main(6), Rx)
        {
            Message::Main(6)
        } else if ex.role == Some(Role::Responder)
            && ex.mode == Some(Mode::Aggressive)
            && ex.has(&Message::Aggressive(2), Tx)
            && !ex.has(&Message::Aggressive(3), Rx)
        {
            Message::Aggressive(3)
        } else if ex.quick_role == Some(Role::Initiator)
            && ex.has(&Message::Quick(1), Tx)
            && !ex.has(&Message::Quick(2), Rx)
            && !ex.quick_ended()
        {
            Message::Quick(2)
        } else if ex.quick_role == Some(Role::Responder)
            && ex.has(&Message::Quick(2), Tx)
            && !ex.has(&Message::Quick(3), Rx)
        {
            Message::Quick(3)
        } else if quick_work
            && ex.quick_role == Some(Role::Responder)
            && ex.has(&Message::Quick(1), Rx)
            && !ex.quick_ended()
        {
            Message::Quick(1)
        } else if quick_work {
            ex.new_quick(Role::Responder);
            Message::Quick(1)
        } else {
            Message::Info
        };
        ex.record(message, Rx, line);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::parse::debug;

    fn feed(lines: &[&str]) -> Vec<Exchange> {
        let mut x = Exchanges::default();
        for (n, l) in lines.iter().enumerate() {
            if let Some((_, kind)) = debug::parse(l).event {
                x.feed(
                    &kind,
                    &LineAt {
                        source: "t.log",
                        line: n + 1,
                        text: l,
                    },
                );
            }
        }
        x.records()
    }

    fn ladder(ex: &Exchange) -> Vec<String> {
        ex.messages
            .iter()
            .map(|s| {
                let d = match s.direction {
                    Direction::Sent => "->",
                    Direction::Received => "<-",
                };
                format!("{d}{}x{}", s.message.label(), s.count)
            })
            .collect()
    }

    /// IOS-XE's IKEv2 lines for one message: the packet, its header, its payloads.
    fn v2_packet(sent: bool, exchange: &str, payloads: &str) -> Vec<String> {
        let packet = if sent {
            "IKEv2:(SESSION ID = 1,SA ID = 1):Sending Packet [To 203.0.113.2:500/From 203.0.113.1:500/VRF i0:f0] "
        } else {
            "IKEv2:(SESSION ID = 1,SA ID = 1):Received Packet [From 203.0.113.2:500/To 203.0.113.1:500/VRF i0:f0] "
        };
        vec![
            packet.to_string(),
            "Initiator SPI : 9B2AB9B5C4B994C9 - Responder SPI : 0000000000000000 Message id: 0"
                .to_string(),
            format!("IKEv2 {exchange} "),
            "Payload contents: ".to_string(),
            format!(" {payloads} "),
        ]
    }

    #[test]
    fn ikev2_messages_by_exchange_and_a_new_attempt_per_sa_init() {
        let mut lines: Vec<String> = Vec::new();
        for _ in 0..2 {
            lines.extend(v2_packet(
                true,
                "IKE_SA_INIT Exchange REQUEST",
                "SA KE N VID",
            ));
            lines.extend(v2_packet(
                false,
                "IKE_SA_INIT Exchange RESPONSE",
                "SA KE N VID",
            ));
            lines.extend(v2_packet(true, "IKE_AUTH Exchange REQUEST", "ENCR"));
            lines.extend(v2_packet(
                false,
                "IKE_AUTH Exchange RESPONSE",
                "VID IDr AUTH NOTIFY(AUTHENTICATION_FAILED)",
            ));
        }
        let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
        let ex = &feed(&refs)[0];
        assert_eq!(ex.remote, "203.0.113.2");
        assert_eq!(
            ladder(ex),
            [
                "->IKE_SA_INIT requestx1",
                "<-IKE_SA_INIT responsex1",
                "->IKE_AUTH requestx1",
                "<-IKE_AUTH responsex1",
                "<-NOTIFY AUTHENTICATION_FAILEDx1"
            ]
        );
        assert_eq!(ex.attempt, 2);
        assert_eq!(
            ex.earlier[0].outcome,
            "stopped after NOTIFY AUTHENTICATION_FAILED"
        );
        // A retransmitted IKE_SA_INIT counts on the message, as IKEv1's do.
        let mut silent: Vec<String> = Vec::new();
        for _ in 0..3 {
            silent.extend(v2_packet(true, "IKE_SA_INIT Exchange REQUEST", "SA KE N"));
        }
        let refs: Vec<&str> = silent.iter().map(String::as_str).collect();
        let ex = &feed(&refs)[0];
        assert_eq!(ladder(ex), ["->IKE_SA_INIT requestx3"]);
        assert_eq!(ex.attempt, 1);
    }

    #[test]
    fn an_ikev2_rekey_refused_after_the_tunnel_came_up_is_not_complete() {
        let mut lines: Vec<String> = Vec::new();
        lines.extend(v2_packet(true, "IKE_SA_INIT Exchange REQUEST", "SA KE N"));
        lines.extend(v2_packet(false, "IKE_SA_INIT Exchange RESPONSE", "SA KE N"));
        lines.extend(v2_packet(true, "IKE_AUTH Exchange REQUEST", "ENCR"));
        lines.extend(v2_packet(
            false,
            "IKE_AUTH Exchange RESPONSE",
            "VID IDr AUTH SA TSi TSr",
        ));
        lines.push("*Dec  2 07:47:36.640: %CRYPTO-5-IKEV2_SESSION_STATUS: Crypto tunnel v2 is UP.  Peer 203.0.113.2:500       Id: 203.0.113.2".to_string());
        let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
        assert!(feed(&refs)[0].phase2_up());
        lines.extend(v2_packet(true, "CREATE_CHILD_SA Exchange REQUEST", "ENCR"));
        lines.extend(v2_packet(
            false,
            "CREATE_CHILD_SA Exchange RESPONSE",
            "NOTIFY(NO_PROPOSAL_CHOSEN)",
        ));
        let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
        let ex = &feed(&refs)[0];
        assert!(!ex.phase2_up(), "{:?}", ladder(ex));
        assert_eq!(ex.messages.last().map(|s| s.phase), Some(2));
    }

    // Lines in the form IOS 15 prints (the field guide's generation), in the order a
    // responder prints them; the real captures are exercised by tests/ladder.rs.
    const RESPONDER_MAIN_MODE: &[&str] = &[
        "ISAKMP (0): received packet from 203.0.113.1 dport 500 sport 500 Global (N) NEW SA",
        "ISAKMP: Created a peer struct for 203.0.113.1, peer port 500",
        "ISAKMP:(0):Old State = IKE_READY  New State = IKE_R_MM1",
        "ISAKMP:(0):Checking ISAKMP transform 1 against priority 10 policy",
        "ISAKMP:(0):atts are acceptable. Next payload is 0",
        "ISAKMP:(0): sending packet to 203.0.113.1 my_port 500 peer_port 500 (R) MM_SA_SETUP",
        "ISAKMP (0): received packet from 203.0.113.1 dport 500 sport 500 Global (R) MM_SA_SETUP",
        "ISAKMP:(0): sending packet to 203.0.113.1 my_port 500 peer_port 500 (R) MM_KEY_EXCH",
        "ISAKMP (1001): received packet from 203.0.113.1 dport 500 sport 500 Global (R) MM_KEY_EXCH",
        "ISAKMP:(1001): sending packet to 203.0.113.1 my_port 500 peer_port 500 (R) QM_IDLE      ",
        "ISAKMP:(1001):Old State = IKE_R_MM5  New State = IKE_P1_COMPLETE",
    ];

    #[test]
    fn responder_numbers_main_mode_from_its_states() {
        let ex = feed(RESPONDER_MAIN_MODE);
        assert_eq!(ex.len(), 1);
        assert_eq!(
            ladder(&ex[0]),
            [
                "<-MM1x1", "->MM2x1", "<-MM3x1", "->MM4x1", "<-MM5x1", "->MM6x1"
            ]
        );
        assert_eq!(ex[0].role, Some(Role::Responder));
        assert!(ex[0].phase1_up());
        assert_eq!(ex[0].outcome(), "phase 1 complete");
    }

    #[test]
    fn retransmissions_count_on_the_message_they_repeat() {
        let mut lines = vec![
            "ISAKMP: Created a peer struct for 10.1.1.2, peer port 500",
            "ISAKMP:(0): beginning Main Mode exchange",
            "ISAKMP:(0): sending packet to 10.1.1.2 my_port 500 peer_port 500 (I) MM_NO_STATE",
        ];
        for _ in 0..4 {
            lines.push("ISAKMP:(0): retransmitting phase 1 MM_NO_STATE...");
            lines.push(
                "ISAKMP (0): incrementing error counter on sa, attempt 2 of 5: retransmit phase 1",
            );
            lines.push("ISAKMP:(0): retransmitting phase 1 MM_NO_STATE");
            lines.push(
                "ISAKMP:(0): sending packet to 10.1.1.2 my_port 500 peer_port 500 (I) MM_NO_STATE",
            );
        }
        lines.push(r#"ISAKMP:(0):deleting SA reason "Death by retransmission P1" state (I) MM_NO_STATE (peer 10.1.1.2)"#);
        let ex = feed(&lines);
        assert_eq!(ladder(&ex[0]), ["->MM1x5"]);
        assert!(ex[0].has_mark(
            |k| matches!(k, MarkKind::Deleted { reason } if reason == "Death by retransmission P1")
        ));
        assert_eq!(ex[0].outcome(), "stopped after MM1");
    }

    #[test]
    fn a_new_main_mode_starts_a_new_record_and_counts_the_old_one() {
        let mut lines = vec![
            "ISAKMP: Created a peer struct for 10.1.1.2, peer port 500",
            "ISAKMP:(0): No pre-shared key with 10.1.1.2!",
        ];
        lines.extend([
            "ISAKMP: Created a peer struct for 10.1.1.2, peer port 500",
            "ISAKMP:(0): beginning Main Mode exchange",
            "ISAKMP:(0): sending packet to 10.1.1.2 my_port 500 peer_port 500 (I) MM_NO_STATE",
        ]);
        let ex = feed(&lines);
        assert_eq!(ex[0].attempt, 2);
        assert_eq!(
            ex[0].earlier[0].outcome,
            "stopped before MM1: no pre-shared key"
        );
        assert_eq!(ladder(&ex[0]), ["->MM1x1"]);
        assert!(ex[0].marks.is_empty());
    }

    #[test]
    fn a_notify_received_in_qm_idle_is_not_qm2() {
        let ex = feed(&[
            "ISAKMP:(1001):beginning Quick Mode exchange, M-ID of 570535495",
            "ISAKMP:(1001): sending packet to 10.1.1.2 my_port 500 peer_port 500 (I) QM_IDLE      ",
            "ISAKMP (1001): received packet from 10.1.1.2 dport 500 sport 500 Global (I) QM_IDLE      ",
            "ISAKMP:(1001):processing NOTIFY PROPOSAL_NOT_CHOSEN protocol 3",
        ]);
        assert_eq!(
            ladder(&ex[0]),
            ["->QM1x1", "<-NOTIFY PROPOSAL_NOT_CHOSENx1"]
        );
        assert_eq!(ex[0].quick_role, Some(Role::Initiator));
        assert!(ex[0].phase1_up(), "a quick mode implies phase 1 was up");
    }

    #[test]
    fn a_packet_with_nothing_after_it_is_informational() {
        let ex = feed(&[
            "ISAKMP:(1001):beginning Quick Mode exchange, M-ID of 1",
            "ISAKMP:(1001): sending packet to 10.1.1.2 my_port 500 peer_port 500 (I) QM_IDLE      ",
            "ISAKMP (1001): received packet from 10.1.1.2 dport 500 sport 500 Global (I) QM_IDLE      ",
            "ISAKMP:(1001):Checking IPSec proposal 1",
            "ISAKMP:(1001): sending packet to 10.1.1.2 my_port 500 peer_port 500 (I) QM_IDLE      ",
            "ISAKMP:(1001):Old State = IKE_QM_IPSEC_INSTALL_AWAIT  New State = IKE_QM_PHASE2_COMPLETE",
            "ISAKMP (1001): received packet from 10.1.1.2 dport 500 sport 500 Global (I) QM_IDLE      ",
        ]);
        assert_eq!(
            ladder(&ex[0]),
            ["->QM1x1", "<-QM2x1", "->QM3x1", "<-INFOx1"]
        );
        assert!(ex[0].phase2_up());
    }

    #[test]
    fn memory_stays_bounded_whatever_the_capture_length() {
        let mut x = Exchanges::default();
        let lines: Vec<String> = (0..2_000)
            .flat_map(|i| {
                let peer = format!("10.0.{}.{}", i % 50, i % 7);
                [
                    format!("ISAKMP: Created a peer struct for {peer}, peer port 500"),
                    format!("ISAKMP:(0): sending packet to {peer} my_port 500 peer_port 500 (I) MM_NO_STATE"),
                    "ISAKMP:(0):beginning Quick Mode exchange, M-ID of 1".to_string(),
                    format!("ISAKMP:(1): sending packet to {peer} my_port 500 peer_port 500 (I) QM_IDLE      "),
                    format!("ISAKMP:(1): Sending NOTIFY KIND_{i} protocol 3"),
                    format!("ISAKMP:(1): sending packet to {peer} my_port 500 peer_port 500 (I) QM_IDLE      "),
                    format!("%CRYPTO-4-IKMP_BAD_MESSAGE: IKE message from {peer} failed its sanity check"),
                ]
            })
            .collect();
        for (n, l) in lines.iter().enumerate() {
            if let Some((_, kind)) = debug::parse(l).event {
                x.feed(
                    &kind,
                    &LineAt {
                        source: "t",
                        line: n,
                        text: l,
                    },
                );
            }
        }
        let r = x.records();
        assert!(r.len() <= MAX_REMOTES);
        for e in &r {
            assert!(
                e.messages.len() <= 12 + MAX_INFORMATIONAL,
                "{:?}",
                e.messages
            );
            assert!(e.marks.len() <= MAX_MARKS);
            assert!(e.earlier.len() <= MAX_EARLIER);
        }
    }
}
