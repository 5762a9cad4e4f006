//! What one router's debug stream proves, accumulated event by event in bounded memory.
//!
//! The state keeps counters and a few evidence lines per kind of fact, never the whole stream,
//! so a capture of any length is analysed in constant memory. [`DebugState::findings`] then
//! reads the facts in protocol order: phase 1 proposal → key → authentication → phase 2.
//!
//! Real pastes are fragments: they start mid-exchange, hold only a quick-mode block or a
//! syslog line. Every rule therefore stands on the lines that prove it, takes the far end's
//! address from whichever line names it (`received packet from`, `(local X remote Y)`,
//! `remote= Y`, `(peer Y)` …) and says "the peer" when no line does. A symptom that a later
//! success of the same phase contradicts (retransmissions, then `IKE_P1_COMPLETE`) is packet
//! loss that healed, not a failure.

use super::ikev2::V2State;
use crate::engine::event::{EventKind, LineAt, LineRef, P1Attr, P1AttrKind, P2Attr, Role, V2Event};
use crate::engine::finding::{Code, Confidence, Evidence, Finding, IkeVersion};
use std::collections::BTreeMap;

/// Evidence lines kept per fact: enough to quote, bounded for endless captures.
const KEEP: usize = 6;
/// Policy checks kept per proposal round; a round with more is still judged on these.
const KEEP_CHECKS: usize = 16;
/// Distinct addresses remembered (a hub's capture can name thousands of spokes).
const KEEP_REMOTES: usize = 64;

/// The priority IOS gives its built-in default protection suite.
const DEFAULT_SUITE: u32 = 65_535;

/// Lines of one kind of fact: how many, the first few and the latest, and the position of the
/// latest in the stream (to tell what came after what).
#[derive(Debug, Clone, Default)]
pub struct Lines {
    pub count: u64,
    pub kept: Vec<LineRef>,
    pub last_seq: u64,
}

impl Lines {
    pub(super) fn push(&mut self, at: &LineAt, seq: u64) {
        self.count += 1;
        self.last_seq = seq;
        if self.kept.len() < KEEP {
            self.kept.push(at.to_ref());
        } else if let Some(last) = self.kept.last_mut() {
            // Keep the first lines and the latest one: the start and how far it got. The
            // latest is rewritten in place, as a long capture repeats it millions of times.
            at.write_into(last);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    pub fn evidence(&self, peer: &str) -> Vec<Evidence> {
        self.kept.iter().map(|l| to_evidence(peer, l)).collect()
    }
}

pub fn to_evidence(peer: &str, l: &LineRef) -> Evidence {
    Evidence {
        peer: peer.to_string(),
        source: l.source.clone(),
        line: l.line,
        text: l.text.clone(),
    }
}

/// One responder-side check of an offered transform against one local policy.
#[derive(Debug, Clone)]
pub struct PolicyCheck {
    pub transform: u32,
    pub priority: u32,
    pub offered: Vec<P1Attr>,
    /// The attribute the router named as not matching, if it named one.
    pub mismatch: Option<P1AttrKind>,
    /// The router had no pre-shared key for the initiator.
    pub no_key: bool,
    pub lines: Vec<LineRef>,
}

/// A phase-1 proposal evaluation that ended without agreement.
#[derive(Debug, Clone)]
pub struct RejectedRound {
    pub checks: Vec<PolicyCheck>,
    pub end: LineRef,
    pub remote: Option<String>,
    pub seq: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Context {
    Phase1,
    Phase2,
}

/// A phase-2 (quick mode) judgement seen by the router that refused it.
#[derive(Debug, Clone, Default)]
pub struct P2Rejection {
    pub error: Option<u32>,
    /// `IPSec policy invalidated proposal` (12.2 names no error number).
    pub invalidated: bool,
    pub proxy: bool,
    pub transform: bool,
    /// `invalid local address X`: the crypto map is not where the peer's packets arrive.
    pub invalid_local: Option<String>,
    pub offered_pfs: Option<u32>,
    pub offered: Vec<P2Attr>,
    pub remote: Option<String>,
    pub lines: Vec<LineRef>,
    /// The router named the refusal (`SA not acceptable`, an error, a reason line).
    pub refused: bool,
    /// The router was the responder judging the offer (`validate_proposal_request`).
    pub responder: bool,
    /// `sa_request`: an initiator's own request, which names the peer but judges nothing.
    pub request: bool,
    /// The highest `Checking IPSec proposal N` of this exchange.
    pub last_proposal: u32,
    /// After a proposal was refused, IOS went on to check another one of the same offer:
    /// the refusal was not the exchange's outcome, and the capture may end before it.
    pub later_proposal: bool,
}

impl P2Rejection {
    fn push(&mut self, at: &LineAt) {
        if self.lines.len() < 2 * KEEP {
            self.lines.push(at.to_ref());
        }
    }

    /// Whether the lines say why quick mode was refused, or that it was.
    fn says_something(&self) -> bool {
        self.refused || self.has_reason()
    }

    /// A line named why a proposal was refused (`error N`, proxies, transforms, address).
    fn has_reason(&self) -> bool {
        self.error.is_some()
            || self.invalidated
            || self.proxy
            || self.transform
            || self.invalid_local.is_some()
    }
}

/// How far a negotiation got, as a rank along main mode and quick mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stage {
    /// Main mode message 1 sent or received (`MM_NO_STATE`).
    MmStart,
    /// Proposal agreed, key exchange under way (`MM_SA_SETUP`).
    MmSaSetup,
    /// Keys exchanged, identities being authenticated (`MM_KEY_EXCH`).
    MmKeyExch,
    /// Aggressive mode under way.
    Aggressive,
    /// Phase 1 complete (`QM_IDLE`).
    P1Complete,
    /// Quick mode under way.
    QuickMode,
    /// IPsec SAs installed.
    P2Complete,
}

impl Stage {
    /// From a state as IOS prints it in packet and state-change lines.
    fn of(state: &str) -> Option<Stage> {
        // `strip_prefix` in a loop, not `trim_start_matches`: a string pattern sets up a
        // substring searcher each call, and every packet and state line asks.
        let mut s = state;
        while let Some(rest) = s.strip_prefix("IKE_") {
            s = rest;
        }
        let s = s
            .strip_prefix("I_")
            .or_else(|| s.strip_prefix("R_"))
            .unwrap_or(s);
        Some(match s {
            "MM_NO_STATE" | "MM1" | "NEW" => Stage::MmStart,
            "MM_SA_SETUP" | "MM2" | "MM3" => Stage::MmSaSetup,
            "MM_KEY_EXCH" | "MM4" | "MM5" | "MM6" => Stage::MmKeyExch,
            "AG_INIT_EXCH" | "AG_NO_STATE" | "AM1" | "AM2" | "AM_AWAIT" => Stage::Aggressive,
            "QM_IDLE" | "P1_COMPLETE" => Stage::P1Complete,
            "QM_PHASE2_COMPLETE" => Stage::P2Complete,
            s if s.starts_with("QM_") => Stage::QuickMode,
            _ => return None,
        })
    }

    pub fn describe(self) -> &'static str {
        match self {
            Stage::MmStart => "phase 1 reached its first exchange (MM_NO_STATE)",
            Stage::MmSaSetup => {
                "main mode reached MM_SA_SETUP (proposal agreed, keys being exchanged)"
            }
            Stage::MmKeyExch => {
                "main mode reached MM_KEY_EXCH (keys exchanged, authentication under way)"
            }
            Stage::Aggressive => "aggressive mode started",
            Stage::P1Complete => "phase 1 completed (QM_IDLE)",
            Stage::QuickMode => "quick mode started",
            Stage::P2Complete => "phase 2 completed",
        }
    }

    /// What to capture to settle a negotiation that stopped at this stage.
    fn next_step(self, role: Option<Role>) -> &'static str {
        match (self, role) {
            (Stage::MmStart | Stage::Aggressive, Some(Role::Initiator)) => {
                "Capture longer (IOS retransmits every 10 s and gives up after five tries) and capture the peer's `debug crypto isakmp`: it shows whether the first message arrives and why it is refused."
            }
            (Stage::MmStart | Stage::MmSaSetup | Stage::Aggressive, _) => {
                "Capture the initiator's `debug crypto isakmp` too: it shows whether this router's answers arrive."
            }
            (Stage::MmKeyExch, _) => {
                "Capture `debug crypto isakmp` on both routers until main mode completes or is deleted; a stall at MM_KEY_EXCH is usually different pre-shared keys."
            }
            (Stage::P1Complete, _) => {
                "Send traffic that matches the crypto ACL (a ping sourced from the protected LAN) with `debug crypto ipsec` on both routers, to see quick mode."
            }
            (Stage::QuickMode, _) => {
                "Capture `debug crypto ipsec` on the responder: it names why quick mode is refused (proxy identities, transform set, PFS)."
            }
            (Stage::P2Complete, _) => {
                "Check `show crypto ipsec sa` on both routers: the counters tell whether traffic flows both ways."
            }
        }
    }
}

/// The furthest point a negotiation reached, and the line that shows it.
#[derive(Debug, Clone)]
pub struct Progress {
    pub stage: Stage,
    pub role: Option<Role>,
    pub remote: Option<String>,
    pub line: LineRef,
}

/// Retransmissions of one exchange state (`MM_NO_STATE`, `MM_KEY_EXCH`, … or unknown).
#[derive(Debug, Clone, Default)]
pub struct Retransmits {
    pub lines: Lines,
    pub role: Option<Role>,
    pub remote: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct DebugState {
    /// IKE events of any kind: zero means this router said nothing about IKE.
    pub ike_events: u64,
    /// Position of the current event in the stream.
    seq: u64,
    /// Addresses this router negotiated with or looked up keys for.
    pub remotes: BTreeMap<String, u64>,
    /// The address the latest line that named one gave: what the lines around it are about.
    current_remote: Option<String>,
    /// This router's own address, when a line gives it (`local= X`, `(local X remote Y)`).
    pub local_addr: Option<String>,
    context: Option<Context>,
    /// Role in the current phase-1 exchange.
    role: Option<Role>,
    /// The state the latest received packet was in.
    last_rx_state: Option<String>,
    pub progress: Option<Progress>,
    open_round: Vec<PolicyCheck>,
    /// The latest round closed and no new check has started since: a second `No offers
    /// accepted!` belongs to the same round.
    round_just_closed: bool,
    pub rejected_rounds: Vec<RejectedRound>,
    pub rejected_round_count: u64,
    pub accepted_rounds: u64,
    last_offered_lifetime: Option<u64>,
    pub lifetime_change: Option<(u64, u64, LineRef)>,
    /// Retransmissions by the exchange state they repeat ("" when the line names none).
    pub retransmits: BTreeMap<String, Retransmits>,
    /// The highest `attempt N of M` and its line.
    pub max_attempt: Option<(u32, u32, LineRef)>,
    pub received: Lines,
    pub sent: Lines,
    pub psk_missing: BTreeMap<String, Lines>,
    pub preshared_no_key: Lines,
    preshared_no_key_remote: Option<String>,
    pub bad_message: Lines,
    /// `phase 1 packet is a duplicate` / `retransmitting due to retransmit phase 1`, with the
    /// state of the packet that was repeated.
    pub duplicates: Lines,
    duplicate_state: Option<String>,
    duplicate_remote: Option<String>,
    pub authenticated: Lines,
    pub p1_complete: Lines,
    pub p2_started: Lines,
    current_p2: P2Rejection,
    pub p2_rejections: Vec<P2Rejection>,
    pub p2_rejection_count: u64,
    pub p2_refused_by_peer: Lines,
    pub p1_refused_by_peer: Lines,
    pub sa_installed: Lines,
    pub p2_complete: Lines,
    pub invalid_spi: Lines,
    /// `%CRYPTO-4-RECVD_PKT_NOT_IPSEC`, and the distinct flows (destination, source,
    /// protocol) it named.
    pub cleartext: Lines,
    cleartext_flows: Vec<ClearFlow>,
    /// `%CRYPTO-5-IKMP_AG_MODE_DISABLED`.
    pub aggressive_refused: Lines,
    pub isakmp_off: Lines,
    pub isakmp_on: Lines,
    pub deleted_by_retransmission: Lines,
    /// `%CRYPTO-6-IKMP_MODE_FAILURE` for main/aggressive mode and for quick mode.
    pub main_mode_failed: Lines,
    pub quick_mode_failed: Lines,
    /// `%CRYPTO-5-SESSION_STATUS: Crypto tunnel is UP` / `DOWN`.
    pub session_up: Lines,
    pub session_down: Lines,
    /// The latest session status was IKEv2's (`%CRYPTO-5-IKEV2_SESSION_STATUS`).
    session_v2: bool,
    /// What `debug crypto ikev2` printed.
    pub v2: V2State,
    /// Weak algorithms seen in offers (`3DES-CBC`, `MD5`, `group 2`, `ESP_DES`), each once.
    pub weak_offered: Vec<String>,
}

impl DebugState {
    pub fn feed(&mut self, kind: &EventKind<'_>, at: &LineAt) {
        use EventKind as E;
        if !matches!(
            kind,
            E::Benign(_) | E::InvalidSpi { .. } | E::Cleartext { .. } | E::IsakmpOnOff { .. }
        ) {
            self.ike_events += 1;
        }
        self.seq += 1;
        let seq = self.seq;
        match kind {
            E::Authenticated { peer } => {
                self.remote(peer);
                self.authenticated.push(at, seq);
                self.reach(Stage::MmKeyExch, None, at);
            }
            E::PacketSent { peer, role, state } => {
                self.remote(peer);
                self.sent.push(at, seq);
                self.set_role(*role);
                if let Some(stage) = Stage::of(state) {
                    self.reach(stage, *role, at);
                }
            }
            E::PacketReceived { peer, role, state } => {
                self.remote(peer);
                self.received.push(at, seq);
                // `(N) NEW SA`: the first packet of a negotiation this router did not start.
                let role = role.or((*state == "NEW").then_some(Role::Responder));
                self.set_role(role);
                if self.last_rx_state.as_deref() != Some(*state) {
                    self.last_rx_state = Some(state.to_string());
                }
                if let Some(stage) = Stage::of(state) {
                    self.reach(stage, role, at);
                }
            }
            E::MainModeBegin => {
                self.sent.push(at, seq);
                self.set_role(Some(Role::Initiator));
                self.reach(Stage::MmStart, Some(Role::Initiator), at);
            }
            E::Retransmit { phase, state } => {
                let key = state.unwrap_or_default();
                let role = self.role;
                let remote = self.current_remote.clone();
                if !self.retransmits.contains_key(key) && self.retransmits.len() < KEEP_REMOTES {
                    self.retransmits
                        .insert(key.to_string(), Retransmits::default());
                }
                if let Some(r) = self.retransmits.get_mut(key) {
                    r.lines.push(at, seq);
                    r.role = r.role.or(role);
                    r.remote = remote.or(r.remote.take());
                }
                if let Some(stage) = state.and_then(Stage::of) {
                    self.reach(stage, None, at);
                } else if *phase == 2 {
                    self.reach(Stage::QuickMode, None, at);
                }
            }
            E::RetransmitDue { .. } | E::DuplicatePacket => {
                self.duplicates.push(at, seq);
                self.duplicate_state = self.last_rx_state.clone().or(self.duplicate_state.take());
                self.duplicate_remote = self.current_remote.clone();
            }
            E::RetransmitAttempt { attempt, of } => {
                if let (Some(n), Some(of)) = (attempt, of)
                    && self.max_attempt.as_ref().is_none_or(|m| *n >= m.0)
                {
                    self.max_attempt = Some((*n, *of, at.to_ref()));
                }
            }
            E::SaDeleted { reason, peer, .. } => {
                if let Some(p) = peer {
                    self.remote(p);
                }
                if reason.to_ascii_lowercase().contains("retransmission") {
                    self.deleted_by_retransmission.push(at, seq);
                }
            }
            E::StateChange { new, .. } => {
                let role = if new.starts_with("IKE_I_") {
                    Some(Role::Initiator)
                } else if new.starts_with("IKE_R_") {
                    Some(Role::Responder)
                } else {
                    None
                };
                self.set_role(role);
                match *new {
                    "IKE_P1_COMPLETE" => self.p1_complete.push(at, seq),
                    "IKE_QM_PHASE2_COMPLETE" => self.p2_complete.push(at, seq),
                    _ => {}
                }
                if let Some(stage) = Stage::of(new) {
                    self.reach(stage, role, at);
                }
            }
            E::PolicyCheck {
                transform,
                priority,
            } => {
                // Both sides print these: the responder checking the offer, the initiator
                // checking the transform the responder chose. The role comes from elsewhere.
                self.context = Some(Context::Phase1);
                self.round_just_closed = false;
                if self.open_round.len() < KEEP_CHECKS {
                    self.open_round.push(PolicyCheck {
                        transform: *transform,
                        priority: *priority,
                        offered: Vec::new(),
                        mismatch: None,
                        no_key: false,
                        lines: vec![at.to_ref()],
                    });
                }
                self.reach(Stage::MmStart, None, at);
            }
            E::OfferedP1(attr) => {
                match attr {
                    P1Attr::Lifetime(l) => self.last_offered_lifetime = Some(*l),
                    P1Attr::Encryption(w) | P1Attr::Hash(w) => self.weak_word(w),
                    P1Attr::Group(g) if matches!(g, 1 | 2 | 5) => {
                        self.weak_word(&format!("DH group {g}"))
                    }
                    _ => {}
                }
                // The offer is the same in every check of a round: the first check keeps it.
                if self.open_round.len() == 1
                    && let Some(check) = self.open_round.last_mut()
                    && check.lines.len() < 2 * KEEP
                {
                    check.offered.push(attr.to_owned());
                    check.lines.push(at.to_ref());
                }
            }
            E::P1Mismatch(which) => {
                self.context = Some(Context::Phase1);
                self.round_just_closed = false;
                if let Some(check) = self.open_round.last_mut()
                    && check.mismatch.is_none()
                {
                    check.mismatch = Some(*which);
                    check.lines.push(at.to_ref());
                } else if self.open_round.len() < KEEP_CHECKS {
                    // A mismatch line with no `Checking ISAKMP transform` before it (a partial
                    // capture): it still proves the attribute.
                    self.open_round.push(PolicyCheck {
                        transform: 0,
                        priority: 0,
                        offered: Vec::new(),
                        mismatch: Some(*which),
                        no_key: false,
                        lines: vec![at.to_ref()],
                    });
                }
            }
            E::PresharedOfferedNoKey => {
                self.preshared_no_key.push(at, seq);
                self.preshared_no_key_remote = self.current_remote.clone();
                if let Some(check) = self.open_round.last_mut() {
                    check.no_key = true;
                    check.lines.push(at.to_ref());
                }
            }
            E::AttsAcceptable => {
                if self.context == Some(Context::Phase1) && !self.open_round.is_empty() {
                    self.open_round.clear();
                    self.accepted_rounds += 1;
                }
            }
            E::AttsNotAcceptable => {
                if let Some(check) = self.open_round.last_mut()
                    && check.lines.len() < 2 * KEEP
                {
                    check.lines.push(at.to_ref());
                } else if self.context == Some(Context::Phase2) {
                    self.current_p2.push(at);
                }
            }
            E::NoOffersAccepted => self.close_round(at),
            E::ActualLifetime(actual) => {
                if let Some(offered) = self.last_offered_lifetime
                    && offered != *actual
                    && self.lifetime_change.is_none()
                {
                    self.lifetime_change = Some((offered, *actual, at.to_ref()));
                }
            }
            E::PskMissing { peer } => {
                self.remote(peer);
                if let Some(lines) = self.psk_missing.get_mut(*peer) {
                    lines.push(at, seq);
                } else if self.psk_missing.len() < KEEP_REMOTES {
                    let mut lines = Lines::default();
                    lines.push(at, seq);
                    self.psk_missing.insert(peer.to_string(), lines);
                }
            }
            E::BadMessage { peer } => {
                self.remote(peer);
                self.bad_message.push(at, seq);
            }
            E::ReservedNotZero => self.bad_message.push(at, seq),
            E::NoKey { peer } => {
                if let Some(p) = peer {
                    self.remote(p);
                }
                // IOS-XE names the peer on the `No pre-shared key with …` line before.
                let key = peer
                    .map(str::to_string)
                    .or_else(|| self.psk_missing.keys().next_back().cloned())
                    .unwrap_or_default();
                if let Some(lines) = self.psk_missing.get_mut(&key) {
                    lines.push(at, seq);
                } else if self.psk_missing.len() < KEEP_REMOTES {
                    let mut lines = Lines::default();
                    lines.push(at, seq);
                    self.psk_missing.insert(key, lines);
                }
            }
            E::QuickModeBegin => {
                self.context = Some(Context::Phase2);
                self.p2_started.push(at, seq);
                self.reach(Stage::QuickMode, None, at);
            }
            E::IpsecProposalCheck { proposal } => {
                // The next proposal of the same offer: the refusal of the one before was not
                // the outcome. Proposal 1 again is a new exchange.
                let same_offer = self.current_p2.responder
                    && !self.current_p2.refused
                    && *proposal > self.current_p2.last_proposal;
                if same_offer {
                    self.current_p2.later_proposal |= self.current_p2.has_reason();
                    self.current_p2.push(at);
                } else {
                    self.start_p2(at, true);
                }
                self.current_p2.last_proposal = *proposal;
            }
            E::IpsecRequest { responder } => {
                // `validate_proposal_request` continues the offer being checked when one is
                // open; a fragment may start here.
                if !*responder || !self.current_p2.responder || self.current_p2.refused {
                    self.start_p2(at, *responder);
                } else {
                    self.current_p2.push(at);
                }
                self.current_p2.request = !*responder;
            }
            E::KeyEngine {
                local,
                remote,
                src,
                dest,
            } => {
                // 12.2 prints the proposal's direction: the initiator is `src`.
                let (l, r) = match (local, remote) {
                    (Some(l), Some(r)) => (Some(*l), Some(*r)),
                    _ if self.current_p2.responder => (*dest, *src),
                    _ => (*src, *dest),
                };
                if let Some(r) = r {
                    self.remote(r);
                    self.current_p2.remote = Some(r.to_string());
                }
                if let Some(l) = l {
                    self.local_addr = Some(l.to_string());
                }
                self.current_p2.push(at);
            }
            E::OfferedP2(attr) => {
                match attr {
                    P2Attr::PfsGroup(g) => {
                        self.current_p2.offered_pfs = Some(*g);
                        if matches!(g, 1 | 2 | 5) {
                            self.weak_word(&format!("PFS group {g}"));
                        }
                    }
                    P2Attr::Transform(w) | P2Attr::Authenticator(w) => self.weak_word(w),
                }
                if self.current_p2.offered.len() < 2 * KEEP {
                    self.current_p2.offered.push(attr.to_owned());
                }
            }
            E::PolicyInvalidated { error } => {
                // Per proposal: the offer may still match on a later one.
                self.p2_marker(at);
                self.current_p2.error = *error;
                self.current_p2.invalidated = true;
            }
            E::ProxyIdsNotSupported | E::InvalidProxyIds => {
                self.p2_marker(at);
                self.current_p2.proxy = true;
            }
            E::TransformNotSupported => {
                self.p2_marker(at);
                self.current_p2.transform = true;
            }
            E::InvalidLocalAddress { addr } => {
                self.p2_marker(at);
                self.local_addr.get_or_insert_with(|| addr.to_string());
                self.current_p2.invalid_local = Some(addr.to_string());
            }
            E::SaNotAcceptable {
                phase,
                local,
                remote,
            } => {
                if let Some(r) = remote {
                    self.remote(r);
                }
                if let Some(l) = local {
                    self.local_addr = Some(l.to_string());
                }
                let phase2 = match phase {
                    Some(p) => *p == 2,
                    None => {
                        self.context == Some(Context::Phase2) || self.current_p2.says_something()
                    }
                };
                if phase2 {
                    if let Some(r) = remote {
                        self.current_p2.remote = Some(r.to_string());
                    }
                    self.current_p2.push(at);
                    self.current_p2.refused = true;
                    self.close_p2();
                } else if !self.open_round.is_empty() {
                    self.close_round(at);
                } else if let Some(round) = self.rejected_rounds.last_mut()
                    && self.round_just_closed
                {
                    round.remote = round.remote.take().or(remote.map(str::to_string));
                }
            }
            E::NotifyReceived { kind } => match (*kind, self.context) {
                ("PROPOSAL_NOT_CHOSEN", Some(Context::Phase2)) => {
                    self.p2_refused_by_peer.push(at, seq)
                }
                ("NO_PROPOSAL_CHOSEN" | "PROPOSAL_NOT_CHOSEN", _) => {
                    self.p1_refused_by_peer.push(at, seq)
                }
                _ => {}
            },
            E::NotifySent { kind }
                if *kind == "PROPOSAL_NOT_CHOSEN" && self.context == Some(Context::Phase2) =>
            {
                if self.current_p2.says_something() || self.current_p2.responder {
                    self.current_p2.push(at);
                    self.current_p2.refused = true;
                    self.close_p2();
                }
            }
            E::NodeDeleted { reason, .. } if *reason == "QM rejected" => {
                if self.current_p2.says_something() {
                    self.current_p2.push(at);
                    self.current_p2.refused = true;
                    self.close_p2();
                }
            }
            E::NodeDeleted { .. } | E::NotifySent { .. } => {}
            E::SaInstalled { .. } => {
                // Quick mode agreed: what was refused along the way was not the outcome.
                if !self.current_p2.refused {
                    self.current_p2 = P2Rejection::default();
                }
                self.sa_installed.push(at, seq);
                self.reach(Stage::P2Complete, None, at);
            }
            E::InvalidSpi { peer } => {
                if let Some(p) = peer {
                    self.remote(p);
                }
                self.invalid_spi.push(at, seq);
            }
            E::Cleartext { dest, src, prot } => {
                self.cleartext.push(at, seq);
                let prot = prot.and_then(|p| p.parse().ok());
                // A flow repeats for as long as it is sent: only a new one is copied.
                let known = self
                    .cleartext_flows
                    .iter()
                    .any(|f| f.dest == *dest && f.src == *src && f.prot == prot);
                if !known && self.cleartext_flows.len() < KEEP_REMOTES {
                    self.cleartext_flows.push(ClearFlow {
                        dest: dest.to_string(),
                        src: src.to_string(),
                        prot,
                    });
                }
            }
            E::AggressiveRefused => self.aggressive_refused.push(at, seq),
            E::IsakmpOnOff { on } => {
                if *on {
                    self.isakmp_on.push(at, seq)
                } else {
                    self.isakmp_off.push(at, seq)
                }
            }
            E::ModeFailure { quick, peer } => {
                if let Some(p) = peer {
                    self.remote(p);
                }
                if *quick {
                    self.quick_mode_failed.push(at, seq);
                } else {
                    self.main_mode_failed.push(at, seq);
                }
            }
            E::SessionStatus { up, peer, v2 } => {
                if let Some(p) = peer {
                    self.remote(p);
                }
                self.session_v2 = *v2;
                if *up {
                    self.session_up.push(at, seq);
                    self.reach(Stage::P2Complete, None, at);
                } else {
                    self.session_down.push(at, seq);
                }
            }
            E::Benign(_) => {}
            E::V2(e) => {
                if let V2Event::Packet { peer, local, .. } = e {
                    self.remote(peer);
                    if self.local_addr.as_deref() != Some(*local) {
                        self.local_addr = Some(local.to_string());
                    }
                }
                self.v2.feed(e, at, seq, self.current_remote.as_deref());
            }
        }
    }

    /// Whether this router sent IKE (either version): only such a router can be left
    /// unanswered.
    pub fn sent_any(&self) -> bool {
        !self.sent.is_empty()
            || !self.retransmits.is_empty()
            || !self.v2.sent.is_empty()
            || !self.v2.retransmits.is_empty()
    }

    /// Whether this router received IKE from its peer (either version).
    pub fn received_any(&self) -> bool {
        !self.received.is_empty() || !self.v2.received.is_empty()
    }

    /// The lines showing this router repeating itself to a peer that does not answer.
    pub fn retransmit_evidence(&self, peer: &str) -> Vec<Evidence> {
        let mut ev: Vec<Evidence> = self
            .retransmits
            .values()
            .flat_map(|r| r.lines.kept.iter().map(|l| to_evidence(peer, l)))
            .collect();
        ev.extend(self.v2.retransmits.evidence(peer));
        ev.extend(self.v2.max_retransmissions.evidence(peer));
        ev
    }

    /// The IKE version this router's debug speaks: IKEv2 when it printed more IKEv2 lines
    /// than IKEv1 ones.
    pub fn ike_version(&self) -> IkeVersion {
        if self.v2.events * 2 > self.ike_events {
            IkeVersion::V2
        } else {
            IkeVersion::V1
        }
    }

    fn remote(&mut self, peer: &str) {
        match &mut self.current_remote {
            Some(current) if current == peer => {}
            // The buffer is reused: a hub's log changes peers at every exchange.
            Some(current) => peer.clone_into(current),
            None => self.current_remote = Some(peer.to_string()),
        }
        if let Some(n) = self.remotes.get_mut(peer) {
            *n += 1;
        } else if self.remotes.len() < KEEP_REMOTES {
            self.remotes.insert(peer.to_string(), 1);
        }
    }

    fn weak_word(&mut self, word: &str) {
        let weak = word.starts_with("DH group")
            || word.starts_with("PFS group")
            || crate::ios::strength::weak_debug_word(word);
        if weak && self.weak_offered.len() < 8 && !self.weak_offered.iter().any(|w| w == word) {
            self.weak_offered.push(word.to_string());
        }
    }

    fn set_role(&mut self, role: Option<Role>) {
        if role.is_some() {
            self.role = role;
        }
    }

    fn reach(&mut self, stage: Stage, role: Option<Role>, at: &LineAt) {
        let role = role.or(self.role);
        match &mut self.progress {
            Some(p) if stage < p.stage => {}
            // The same stage again: the latest line and far end, rewritten in place.
            Some(p) if stage == p.stage => {
                at.write_into(&mut p.line);
                p.role = role.or(p.role);
                if p.remote.as_deref() != self.current_remote.as_deref() {
                    p.remote.clone_from(&self.current_remote);
                }
            }
            _ => {
                self.progress = Some(Progress {
                    stage,
                    role,
                    remote: self.current_remote.clone(),
                    line: at.to_ref(),
                });
            }
        }
    }

    fn close_round(&mut self, at: &LineAt) {
        if self.open_round.is_empty() && self.round_just_closed {
            return;
        }
        let checks = std::mem::take(&mut self.open_round);
        self.rejected_round_count += 1;
        self.round_just_closed = true;
        if self.rejected_rounds.len() < 2 {
            self.rejected_rounds.push(RejectedRound {
                checks,
                end: at.to_ref(),
                remote: self.current_remote.clone(),
                seq: self.seq,
            });
        }
    }

    fn start_p2(&mut self, at: &LineAt, responder: bool) {
        self.close_p2();
        self.context = Some(Context::Phase2);
        self.current_p2 = P2Rejection {
            responder,
            remote: self.current_remote.clone(),
            ..P2Rejection::default()
        };
        self.current_p2.push(at);
        // An initiator's `sa_request` is traffic asking for SAs: IKE starts with main mode.
        if responder {
            self.reach(Stage::QuickMode, None, at);
        }
    }

    /// A line that judges quick mode: a fragment may hold it with nothing before.
    fn p2_marker(&mut self, at: &LineAt) {
        self.context = Some(Context::Phase2);
        if self.current_p2.remote.is_none() {
            self.current_p2.remote = self.current_remote.clone();
        }
        self.current_p2.push(at);
        self.reach(Stage::QuickMode, None, at);
    }

    /// Files the quick-mode judgement in progress when it says why quick mode failed.
    fn close_p2(&mut self) {
        let rej = std::mem::take(&mut self.current_p2);
        if !rej.says_something() {
            return;
        }
        self.p2_rejection_count += 1;
        if self.p2_rejections.len() < 2 {
            self.p2_rejections.push(rej);
        }
    }

    /// The quick-mode rejections, with one still open at the end of the capture (a fragment
    /// that stops at the reason line).
    fn all_p2_rejections(&self) -> (Vec<&P2Rejection>, u64) {
        let mut v: Vec<&P2Rejection> = self.p2_rejections.iter().collect();
        let mut n = self.p2_rejection_count;
        if self.current_p2.says_something() {
            n += 1;
            if v.len() < 2 {
                v.push(&self.current_p2);
            }
        }
        (v, n)
    }

    /// The address this router talked to most: the far end of the tunnel under study.
    pub fn main_remote(&self) -> Option<&str> {
        self.remotes
            .iter()
            .max_by_key(|(_, n)| **n)
            .map(|(a, _)| a.as_str())
    }

    /// Phase 1 completed after stream position `seq`.
    fn p1_done_after(&self, seq: u64) -> bool {
        [&self.p1_complete, &self.authenticated, &self.p2_complete]
            .iter()
            .any(|l| !l.is_empty() && l.last_seq > seq)
    }

    fn p2_done_after(&self, seq: u64) -> bool {
        [&self.p2_complete, &self.sa_installed]
            .iter()
            .any(|l| !l.is_empty() && l.last_seq > seq)
    }

    /// Findings this router's own debug supports, before the two peers are compared.
    pub fn findings(&self, peer: &str) -> Vec<Finding> {
        let mut out = Vec::new();
        let remote = self.main_remote().map(str::to_string);
        self.psk_findings(peer, &mut out);
        self.proposal_findings(peer, remote.as_deref(), &mut out);
        self.retransmit_findings(peer, &mut out);
        self.phase2_findings(peer, remote.as_deref(), &mut out);
        self.syslog_findings(peer, remote.as_deref(), &mut out);
        out.extend(self.v2.findings(peer, remote.as_deref()));
        if out.iter().all(|f| f.code == Code::P1LifetimeMismatch) {
            self.up_finding(peer, remote.as_deref(), &mut out);
        }
        out
    }

    /// Things worth knowing that are not findings: symptoms that healed, the policies a
    /// several-policy refusal also tried.
    pub fn notes(&self, peer: &str) -> Vec<String> {
        let mut notes = Vec::new();
        for (state, r) in &self.retransmits {
            if self.retransmit_healed(state, r) {
                notes.push(format!(
                    "{peer} retransmitted {} {} time(s), then the exchange completed: packet loss that healed, not a failure.",
                    if state.is_empty() { "an IKE message".to_string() } else { state.clone() },
                    r.lines.count
                ));
            }
        }
        if let Some(round) = self.rejected_rounds.first()
            && let Some(others) = other_policies(round)
        {
            notes.push(format!("{peer}: {others}"));
        }
        notes.extend(self.v2.notes(peer));
        notes
    }

    /// How far the negotiation got, in a few words (`main mode reached MM_KEY_EXCH as
    /// initiator with 203.0.113.2`).
    pub fn reached(&self) -> Option<String> {
        let Some(p) = self.progress.as_ref() else {
            return self.v2.reached();
        };
        let role = match p.role {
            Some(Role::Initiator) => " as initiator",
            Some(Role::Responder) => " as responder",
            None => "",
        };
        let with = p
            .remote
            .as_deref()
            .map(|r| format!(" with {r}"))
            .unwrap_or_default();
        Some(format!("{}{role}{with}", p.stage.describe()))
    }

    /// How far the negotiation got and what to capture next, for a capture that holds IKE
    /// events but no verdict.
    pub fn explain_progress(&self, peer: &str) -> Option<String> {
        if self.ike_events == 0 {
            return None;
        }
        if self.progress.is_none()
            && let Some(p) = &self.v2.progress
        {
            return Some(format!(
                "{peer}: {} (line {}: {}); the capture ends before an outcome. {}",
                self.v2.reached().unwrap_or_default(),
                p.line.line,
                p.line.text.trim(),
                p.stage.next_step(p.role)
            ));
        }
        let Some(p) = &self.progress else {
            return Some(format!(
                "{peer} printed {} IKE line(s), none of which shows an exchange state or an outcome. Capture `debug crypto isakmp` and `debug crypto ipsec` from the start of a negotiation (traffic matching the crypto ACL brings one up).",
                self.ike_events
            ));
        };
        Some(format!(
            "{peer}: {} (line {}: {}); the capture ends before an outcome. {}",
            self.reached().unwrap_or_default(),
            p.line.line,
            p.line.text.trim(),
            p.stage.next_step(p.role)
        ))
    }

    fn psk_findings(&self, peer: &str, out: &mut Vec<Finding>) {
        for (addr, lines) in &self.psk_missing {
            if addr.is_empty() {
                out.push(
                    Finding::new(
                        Code::P1PskMissing,
                        peer,
                        format!(
                            "{peer} has neither a pre-shared key nor a certificate for the peer (its address is not in these lines), so it cannot authenticate it."
                        ),
                    )
                    .evidence(lines.evidence(peer)),
                );
                continue;
            }
            out.push(
                Finding::new(
                    Code::P1PskMissing,
                    peer,
                    format!(
                        "{peer} has no pre-shared key for {addr}, so it cannot even start main mode with it."
                    ),
                )
                .remote(Some(addr.clone()))
                .evidence(lines.evidence(peer))
                .fix(peer, vec![format!("crypto isakmp key <the key {addr} uses> address {addr}")]),
            );
        }
        let round_says_it = self
            .rejected_rounds
            .iter()
            .any(|r| r.checks.iter().any(|c| c.no_key));
        if !self.preshared_no_key.is_empty() && !round_says_it {
            let from = self
                .preshared_no_key_remote
                .clone()
                .or_else(|| self.main_remote().map(str::to_string));
            let who = from.as_deref().unwrap_or("the initiator");
            let mut f = Finding::new(
                Code::P1PskMissing,
                peer,
                format!(
                    "{peer} was offered pre-shared-key authentication by {who} but holds no key for that address, so it refused every proposal."
                ),
            )
            .remote(from.clone())
            .evidence(self.preshared_no_key.evidence(peer));
            if let Some(a) = &from {
                f = f.fix(
                    peer,
                    vec![format!("crypto isakmp key <the key {a} uses> address {a}")],
                );
            }
            out.push(f);
        }
    }

    fn proposal_findings(&self, peer: &str, remote: Option<&str>, out: &mut Vec<Finding>) {
        if let Some(round) = self.rejected_rounds.last()
            && !(self.p1_done_after(round.seq) && round.remote.as_deref() == remote)
        {
            let first = self.rejected_rounds.first().unwrap_or(round);
            out.push(rejected_round_finding(
                peer,
                first.remote.as_deref().or(remote),
                first,
                self.rejected_round_count,
            ));
        } else if !self.p1_refused_by_peer.is_empty() && self.p1_complete.is_empty() {
            out.push(
                Finding::new(
                    Code::P1NoProposalChosen,
                    peer,
                    format!(
                        "{} refused every phase 1 proposal {peer} offered; its own log names the attribute.",
                        remote.unwrap_or("The peer")
                    ),
                )
                .remote(remote.map(str::to_string))
                .evidence(self.p1_refused_by_peer.evidence(peer))
                .confidence(Confidence::Medium),
            );
        }
        if let Some((offered, actual, at)) = &self.lifetime_change {
            out.push(
                Finding::new(
                    Code::P1LifetimeMismatch,
                    peer,
                    format!(
                        "Phase 1 came up with a lifetime of {actual} s although {offered} s was offered: the two routers' lifetimes differ. IOS settles on the lower value, so the tunnel works, but rekeys come sooner than one side expects."
                    ),
                )
                .remote(remote.map(str::to_string))
                .evidence([to_evidence(peer, at)]),
            );
        }
    }

    fn retransmit_healed(&self, state: &str, r: &Retransmits) -> bool {
        let quick = matches!(Stage::of(state), Some(Stage::QuickMode | Stage::P1Complete));
        if quick {
            self.p2_done_after(r.lines.last_seq)
        } else {
            self.p1_done_after(r.lines.last_seq)
        }
    }

    /// The evidence of a retransmission finding, and the `(attempt N of M)` its summary may
    /// claim: only an attempt line that is in the evidence.
    fn attempt_evidence(&self, peer: &str, ev: &mut Vec<Evidence>) -> String {
        let Some((n, of, line)) = &self.max_attempt else {
            return String::new();
        };
        if !ev
            .iter()
            .any(|e| e.line == line.line && e.source == line.source)
        {
            ev.push(to_evidence(peer, line));
        }
        format!(" (attempt {n} of {of})")
    }

    fn retransmit_findings(&self, peer: &str, out: &mut Vec<Finding>) {
        for (state, r) in &self.retransmits {
            if self.retransmit_healed(state, r) {
                continue;
            }
            let remote = r.remote.as_deref().or(self.main_remote());
            let them = remote.unwrap_or("the peer");
            let mut ev = r.lines.evidence(peer);
            ev.extend(self.deleted_by_retransmission.evidence(peer));
            let attempts = self.attempt_evidence(peer, &mut ev);
            ev.sort_by(|a, b| a.source.cmp(&b.source).then(a.line.cmp(&b.line)));
            let stage = Stage::of(state);
            let responder = r.role == Some(Role::Responder) || !self.duplicates.is_empty();
            let f = match stage {
                Some(Stage::MmKeyExch) => psk_mismatch(peer, them, &attempts, responder),
                Some(Stage::MmStart | Stage::Aggressive) | None
                    if self.received.is_empty() && !responder =>
                {
                    Finding::new(
                        Code::P1NoResponse,
                        peer,
                        format!(
                            "{peer} sent phase 1 to {them} and retransmitted{attempts} without ever receiving a reply."
                        ),
                    )
                    .confidence(Confidence::Medium)
                }
                Some(Stage::MmStart | Stage::MmSaSetup | Stage::Aggressive) | None => {
                    replies_lost(peer, them, state, responder).confidence(Confidence::Low)
                }
                Some(Stage::P1Complete | Stage::QuickMode) => Finding::new(
                    Code::P2PolicyRejected,
                    peer,
                    format!("{peer} retransmitted quick mode to {them}{attempts}: phase 1 is up but {them} does not answer the phase 2 proposal."),
                )
                .confidence(Confidence::Low),
                Some(Stage::P2Complete) => continue,
            };
            out.push(f.remote(remote.map(str::to_string)).evidence(ev));
        }
        if self.retransmits.is_empty()
            && !self.deleted_by_retransmission.is_empty()
            && !self.p1_done_after(self.deleted_by_retransmission.last_seq)
        {
            let remote = self.main_remote();
            out.push(
                Finding::new(
                    Code::P1NoResponse,
                    peer,
                    format!(
                        "{peer} deleted phase 1 with {} after running out of retransmissions: the peer never answered.",
                        remote.unwrap_or("the peer")
                    ),
                )
                .remote(remote.map(str::to_string))
                .evidence(self.deleted_by_retransmission.evidence(peer))
                .confidence(Confidence::Medium),
            );
        }
        if !self.duplicates.is_empty()
            && !self.p1_done_after(self.duplicates.last_seq)
            && self.retransmits.keys().all(|s| s.is_empty())
        {
            let remote = self
                .duplicate_remote
                .as_deref()
                .or(self.main_remote())
                .map(str::to_string);
            let them = remote.as_deref().unwrap_or("the peer");
            let state = self.duplicate_state.as_deref().unwrap_or("");
            let mut f = match Stage::of(state) {
                Some(Stage::MmStart | Stage::MmSaSetup | Stage::Aggressive) => {
                    replies_lost(peer, them, state, true)
                }
                _ => psk_mismatch(peer, them, "", true),
            };
            f = f.confidence(if state.is_empty() {
                Confidence::Low
            } else {
                Confidence::Medium
            });
            let mut ev = self.duplicates.evidence(peer);
            ev.extend(self.received.kept.last().map(|l| to_evidence(peer, l)));
            ev.sort_by_key(|e| e.line);
            ev.dedup();
            out.push(f.remote(remote).evidence(ev));
        }
        if !self.bad_message.is_empty() && !self.p1_done_after(self.bad_message.last_seq) {
            let remote = self.main_remote();
            out.push(
                Finding::new(
                    Code::P1PskMismatch,
                    peer,
                    format!(
                        "{peer} could not read main mode message 5 from {}: the message fails its integrity check, which is what a different pre-shared key on each side produces.",
                        remote.unwrap_or("the peer")
                    ),
                )
                .remote(remote.map(str::to_string))
                .evidence(self.bad_message.evidence(peer))
                .confidence(Confidence::Medium)
                .fix(
                    peer,
                    vec![format!(
                        "crypto isakmp key <same key on both routers> address {}",
                        remote.unwrap_or("<peer address>")
                    )],
                ),
            );
        }
    }

    fn phase2_findings(&self, peer: &str, remote: Option<&str>, out: &mut Vec<Finding>) {
        let (rejections, count) = self.all_p2_rejections();
        if let Some(rej) = rejections.first() {
            let times = if count > 1 {
                format!(" ({count} times in the capture; the evidence quotes the first)")
            } else {
                String::new()
            };
            let r = rej.remote.as_deref().or(remote);
            let them = r.unwrap_or("the peer");
            let ev: Vec<Evidence> = rej.lines.iter().map(|l| to_evidence(peer, l)).collect();
            // Without the final refusal the evidence is thinner, and when IOS went on to
            // another proposal of the same offer the capture ends before the outcome.
            let (cap, pending) = if rej.refused {
                (Confidence::High, String::new())
            } else if rej.later_proposal {
                (
                    Confidence::Low,
                    " IOS went on to check another proposal of the same offer and the capture ends before the outcome: this proposal was refused, a later one may still match.".to_string(),
                )
            } else {
                (Confidence::Medium, String::new())
            };
            let mut f = if let Some(addr) = &rej.invalid_local {
                Finding::new(
                    Code::PeerSilent,
                    peer,
                    format!(
                        "{peer} refused quick mode from {them}{times}: it arrived for {addr}, an address whose interface has no crypto map for it (`invalid local address`). The crypto map sits on another interface than the one facing {them}, or `crypto map … local-address` names the wrong interface."
                    ),
                )
                .cause(crate::engine::finding::SilenceCause::CryptoMapNotApplied)
                .confidence(Confidence::Medium.min(cap))
            } else if rej.proxy || rej.error == Some(32) {
                Finding::new(
                    Code::P2ProxyIdMismatch,
                    peer,
                    format!(
                        "{peer} refused {them}'s phase 2 proposal{times}: no crypto map entry on {peer} has an ACL that covers the networks {them} asked to protect. The crypto ACLs are not mirror images."
                    ),
                )
                .confidence((if rej.proxy { Confidence::High } else { Confidence::Medium }).min(cap))
            } else if rej.transform {
                Finding::new(
                    Code::P2TransformMismatch,
                    peer,
                    format!(
                        "{peer} refused {them}'s phase 2 proposal{times}: none of the offered transforms matches a transform set on {peer}."
                    ),
                )
                .confidence(cap)
            } else {
                let pfs = rej
                    .offered_pfs
                    .map(|g| format!(" The offer asked for PFS group {g}."))
                    .unwrap_or_default();
                Finding::new(
                    Code::P2PolicyRejected,
                    peer,
                    format!("{peer} refused {them}'s phase 2 proposal{times}; the log does not say which part (transform set or PFS, since the proxy identities were not named).{pfs}"),
                )
                .confidence(Confidence::Medium.min(cap))
            };
            f.summary.push_str(&pending);
            out.push(f.remote(r.map(str::to_string)).evidence(ev));
        }
        if !self.p2_refused_by_peer.is_empty() && rejections.is_empty() {
            let them = remote.unwrap_or("The peer");
            out.push(
                Finding::new(
                    Code::P2PolicyRejected,
                    peer,
                    format!(
                        "{them} answered {peer}'s phase 2 proposal with PROPOSAL_NOT_CHOSEN: phase 1 is up, but {them} accepts none of the proposed transform sets, proxy identities or PFS settings. {them}'s own debug names which."
                    ),
                )
                .remote(remote.map(str::to_string))
                .evidence(self.p2_refused_by_peer.evidence(peer))
                .confidence(Confidence::Medium),
            );
        }
    }

    /// Syslog lines that mean something on their own.
    fn syslog_findings(&self, peer: &str, remote: Option<&str>, out: &mut Vec<Finding>) {
        let off_now = !self.isakmp_off.is_empty()
            && (self.isakmp_on.is_empty() || self.isakmp_on.last_seq < self.isakmp_off.last_seq);
        if off_now {
            out.push(
                Finding::new(
                    Code::PeerSilent,
                    peer,
                    format!(
                        "{peer} switched ISAKMP off: it neither starts nor answers IKE, so its peer's negotiations go unanswered. IOS does this when `no crypto isakmp` is configured or the last crypto map is removed from the interfaces."
                    ),
                )
                .cause(crate::engine::finding::SilenceCause::IsakmpDisabled)
                .evidence(self.isakmp_off.evidence(peer))
                .confidence(Confidence::Medium)
                .fix(peer, vec!["crypto isakmp enable".to_string()]),
            );
        }
        if let Some(flow) = self.cleartext_flows.first() {
            out.push(
                cleartext_finding(peer, remote, flow, self.cleartext_flows.len())
                    .evidence(self.cleartext.evidence(peer)),
            );
        }
        if !self.aggressive_refused.is_empty()
            && !self.p1_done_after(self.aggressive_refused.last_seq)
        {
            let them = remote.unwrap_or("the peer");
            out.push(
                Finding::new(
                    Code::P1NoProposalChosen,
                    peer,
                    format!(
                        "{peer} refuses aggressive mode (`crypto isakmp aggressive-mode disable`) and {them} asked for it: the two sides do not agree on the phase 1 exchange. A peer uses aggressive mode when its key is bound to a hostname or group rather than an address; give it a key by address so it uses main mode. Allowing aggressive mode on {peer} would also work, but it sends the identity unprotected and exposes the key's hash to offline guessing."
                    ),
                )
                .remote(remote.map(str::to_string))
                .evidence(self.aggressive_refused.evidence(peer))
                .confidence(Confidence::Medium),
            );
        }
        let failed = !self.main_mode_failed.is_empty()
            && !self.p1_done_after(self.main_mode_failed.last_seq);
        if failed
            && !out
                .iter()
                .any(|f| f.phase == Code::P1NoProposalChosen.phase())
        {
            out.push(
                Finding::new(
                    Code::P1NoProposalChosen,
                    peer,
                    format!(
                        "{peer} reports main mode with {} failed: the two routers' ISAKMP policies do not agree. The debug of the responder names the attribute.",
                        remote.unwrap_or("the peer")
                    ),
                )
                .remote(remote.map(str::to_string))
                .evidence(self.main_mode_failed.evidence(peer))
                .confidence(Confidence::Low),
            );
        }
        let qm_failed = !self.quick_mode_failed.is_empty()
            && !self.p2_done_after(self.quick_mode_failed.last_seq);
        if qm_failed
            && !out
                .iter()
                .any(|f| f.phase == Code::P2PolicyRejected.phase())
        {
            out.push(
                Finding::new(
                    Code::P2PolicyRejected,
                    peer,
                    format!(
                        "{peer} reports quick mode with {} failed: phase 1 is up, phase 2 is refused (crypto ACLs, transform sets or PFS).",
                        remote.unwrap_or("the peer")
                    ),
                )
                .remote(remote.map(str::to_string))
                .evidence(self.quick_mode_failed.evidence(peer))
                .confidence(Confidence::Low),
            );
        }
    }

    fn up_finding(&self, peer: &str, remote: Option<&str>, out: &mut Vec<Finding>) {
        let mut ev = self.sa_installed.evidence(peer);
        ev.extend(self.p2_complete.evidence(peer));
        let session_up = !self.session_up.is_empty()
            && (self.session_down.is_empty()
                || self.session_down.last_seq < self.session_up.last_seq);
        let mut confidence = Confidence::High;
        if ev.is_empty() {
            if !session_up {
                return;
            }
            confidence = Confidence::Medium;
        }
        if session_up {
            ev.extend(self.session_up.kept.last().map(|l| to_evidence(peer, l)));
        }
        ev.truncate(KEEP);
        let them = remote.unwrap_or("its peer");
        let version = if self.session_v2 {
            IkeVersion::V2
        } else {
            self.ike_version()
        };
        out.push(
            Finding::new(
                Code::TunnelUp,
                peer,
                match (confidence, version) {
                    (Confidence::High, IkeVersion::V1) => format!(
                        "{peer} completed phase 1 and phase 2 with {them} and installed the IPsec SAs."
                    ),
                    (Confidence::High, IkeVersion::V2) => format!(
                        "{peer} brought up the IKEv2 SA and its child SA with {them} and installed the IPsec SAs."
                    ),
                    _ => format!("{peer} reports the crypto tunnel with {them} up."),
                },
            )
            .remote(remote.map(str::to_string))
            .evidence(ev)
            .confidence(confidence)
            .ike(version),
        );
    }
}

fn psk_mismatch(peer: &str, them: &str, attempts: &str, responder: bool) -> Finding {
    let what = if responder {
        format!(
            "{them} keeps resending its main mode message 5{attempts} and {peer} answers it again and again: {peer} cannot accept what {them} built from its pre-shared key."
        )
    } else {
        format!(
            "{peer} keeps resending main mode message 5 to {them}{attempts}: the proposal was agreed, but {them} cannot decrypt what was built from the pre-shared key."
        )
    };
    let addr = if them == "the peer" {
        "<peer address>"
    } else {
        them
    };
    Finding::new(
        Code::P1PskMismatch,
        peer,
        format!("{what} The keys differ."),
    )
    .confidence(Confidence::Medium)
    .fix(
        peer,
        vec![format!(
            "crypto isakmp key <same key on both routers> address {addr}"
        )],
    )
}

/// The peer repeats its first messages as if it never heard this router's answers.
fn replies_lost(peer: &str, them: &str, state: &str, responder: bool) -> Finding {
    let at = if state.is_empty() {
        String::new()
    } else {
        format!(" in {state}")
    };
    let summary = if responder {
        format!(
            "{them} keeps resending its first main mode message{at} as if {peer}'s answer never reached it: {peer}'s replies (UDP 500 from {peer} to {them}) are lost on the way back, or {them} cannot use them. Check the return route and any filter or NAT between them."
        )
    } else {
        format!(
            "{peer} retransmitted main mode to {them}{at} after {them} answered once: {them} stopped answering during the proposal or key exchange."
        )
    };
    Finding::new(Code::P1NoResponse, peer, summary)
}

/// IOS compares an offered transform with a policy in this order; a policy that failed later
/// in it agreed on more.
const CHECK_ORDER: [P1AttrKind; 4] = [
    P1AttrKind::Encryption,
    P1AttrKind::Hash,
    P1AttrKind::Auth,
    P1AttrKind::Group,
];

fn check_rank(k: P1AttrKind) -> usize {
    CHECK_ORDER
        .iter()
        .position(|x| *x == k)
        .unwrap_or(CHECK_ORDER.len())
}

/// The checks that speak: IOS's built-in default suite (priority 65535) rejects most offers on
/// its own account (DES, rsa-sig), so it counts only when no configured policy was checked.
fn speaking_checks(round: &RejectedRound) -> Vec<&PolicyCheck> {
    let configured = round.checks.iter().any(|c| c.priority != DEFAULT_SUITE);
    round
        .checks
        .iter()
        .filter(|c| !configured || c.priority != DEFAULT_SUITE)
        .collect()
}

/// The check that got furthest in IOS's order: the policy most likely meant to match.
fn furthest(round: &RejectedRound) -> Option<&PolicyCheck> {
    speaking_checks(round)
        .into_iter()
        .filter(|c| c.mismatch.is_some())
        .max_by_key(|c| c.mismatch.map(check_rank))
}

/// When the policies failed on different attributes: the others, for the notes.
fn other_policies(round: &RejectedRound) -> Option<String> {
    let best = furthest(round)?;
    let kind = best.mismatch?;
    let others: Vec<String> = speaking_checks(round)
        .into_iter()
        .filter(|c| c.mismatch.is_some_and(|m| m != kind))
        .filter_map(|c| {
            c.mismatch
                .map(|m| format!("priority {} on {}", c.priority, m.as_str()))
        })
        .collect();
    (!others.is_empty()).then(|| {
        format!(
            "the other policies failed earlier in IOS's check order: {}.",
            others.join(", ")
        )
    })
}

fn code_of(kind: P1AttrKind) -> Code {
    match kind {
        P1AttrKind::Encryption => Code::P1EncryptionMismatch,
        P1AttrKind::Hash => Code::P1HashMismatch,
        P1AttrKind::Group => Code::P1DhGroupMismatch,
        P1AttrKind::Auth => Code::P1AuthMethodMismatch,
        P1AttrKind::Lifetime => Code::P1LifetimeMismatch,
    }
}

/// Names the attribute the responder objected to, from the checks it printed.
fn rejected_round_finding(
    peer: &str,
    remote: Option<&str>,
    round: &RejectedRound,
    count: u64,
) -> Finding {
    let them = remote.unwrap_or("the peer");
    let speaking = speaking_checks(round);
    let mut kinds: Vec<P1AttrKind> = speaking.iter().filter_map(|c| c.mismatch).collect();
    kinds.sort();
    kinds.dedup();
    let mut ev: Vec<Evidence> = round
        .checks
        .iter()
        .flat_map(|c| c.lines.iter().map(|l| to_evidence(peer, l)))
        .take(12)
        .collect();
    ev.push(to_evidence(peer, &round.end));
    let times = if count > 1 {
        format!(" ({count} times in the capture; the evidence quotes the first)")
    } else {
        String::new()
    };
    let offered = describe_offer(round);
    let remote = remote.map(str::to_string);
    if round.checks.iter().any(|c| c.no_key) && kinds.is_empty() {
        let mut f = Finding::new(
            Code::P1PskMissing,
            peer,
            format!("{peer} refused pre-shared-key authentication from {them}: it has no key for that address."),
        )
        .remote(remote.clone())
        .evidence(ev);
        if let Some(a) = &remote {
            f = f.fix(
                peer,
                vec![format!("crypto isakmp key <the key {a} uses> address {a}")],
            );
        }
        return f;
    }
    match kinds.as_slice() {
        [one] => Finding::new(
            code_of(*one),
            peer,
            format!(
                "{peer} checked {them}'s phase 1 offer{offered} against its ISAKMP policies and refused it{times}: the {} differs in every policy it tried.",
                one.as_str()
            ),
        )
        .remote(remote)
        .evidence(ev),
        [] if round.checks.iter().any(|c| !c.offered.is_empty()) => Finding::new(
            Code::P1NoProposalChosen,
            peer,
            format!(
                "{peer} refused {them}'s phase 1 offer{offered}{times} without naming the attribute (IOS 12.2 and some later releases print none). Compare the offer with `show crypto isakmp policy` on {peer}: the policy that differs in one attribute only is the one to align."
            ),
        )
        .remote(remote)
        .evidence(ev)
        .confidence(Confidence::Medium),
        [] => Finding::new(
            Code::P1NoProposalChosen,
            peer,
            format!("{peer} accepted none of {them}'s phase 1 proposals{times}; the log does not name the attribute."),
        )
        .remote(remote)
        .evidence(ev)
        .confidence(Confidence::Medium),
        _ => {
            // Each policy failed on something else: the one that agreed on most (failed latest
            // in IOS's order) is most likely the policy meant to match.
            let Some(best) = furthest(round) else {
                return Finding::new(Code::P1NoProposalChosen, peer, String::new()).evidence(ev);
            };
            let kind = best.mismatch.unwrap_or(P1AttrKind::Encryption);
            let others = other_policies(round).unwrap_or_default();
            Finding::new(
                code_of(kind),
                peer,
                format!(
                    "{peer} refused {them}'s phase 1 offer{offered}{times}, each policy for a different reason. Policy {} got furthest in IOS's check order and is most likely the one meant to match: its {} differs. Note: {others}",
                    best.priority,
                    kind.as_str()
                ),
            )
            .remote(remote)
            .evidence(ev)
            .confidence(Confidence::Medium)
        }
    }
}

/// ` (AES-CBC/256, SHA, group 14, pre-share, 86400 s)` from the first check's offered attributes.
fn describe_offer(round: &RejectedRound) -> String {
    let Some(check) = round.checks.iter().find(|c| !c.offered.is_empty()) else {
        return String::new();
    };
    let parts: Vec<String> = check
        .offered
        .iter()
        .map(|a| match a {
            P1Attr::Encryption(e) => e.clone(),
            P1Attr::KeyLength(k) => format!("{k}-bit"),
            P1Attr::Hash(h) => h.clone(),
            P1Attr::Group(g) => format!("group {g}"),
            P1Attr::Auth(a) => a.clone(),
            P1Attr::Lifetime(l) => format!("{l} s"),
        })
        .collect();
    format!(" ({})", parts.join(", "))
}

/// A flow a router received in the clear although its policy protects it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ClearFlow {
    dest: String,
    src: String,
    prot: Option<u8>,
}

/// What a cleartext packet under a protecting policy means depends on what it was: GRE from
/// the peer itself (the peer does not protect its tunnel), multicast (which a crypto map
/// cannot protect), or a host's traffic (the far router does not encrypt that flow).
fn cleartext_finding(peer: &str, remote: Option<&str>, flow: &ClearFlow, flows: usize) -> Finding {
    let ClearFlow { dest, src, prot } = flow;
    let proto = prot
        .map(|p| format!(" (IP protocol {p})"))
        .unwrap_or_default();
    let more = if flows > 1 {
        format!(" {flows} distinct flows arrived this way.")
    } else {
        String::new()
    };
    let multicast = dest
        .parse::<std::net::IpAddr>()
        .is_ok_and(|a| a.is_multicast());
    let (summary, remote) = if *prot == Some(47) {
        (
            format!(
                "{peer} received GRE from {src} in the clear where its policy expects it encrypted: {src} does not protect its GRE tunnel to {peer}. IPsec (tunnel protection, or a crypto map covering GRE) is configured on {peer}'s side only.{more}"
            ),
            Some(src.as_str()),
        )
    } else if multicast {
        (
            format!(
                "{peer} received multicast from {src} to {dest}{proto} in the clear where its crypto ACL expects it encrypted: a crypto map cannot encrypt multicast, so the routing protocol packets its crypto ACL catches are dropped. Take multicast out of the crypto ACL; to carry a routing protocol over the VPN, protect a GRE tunnel instead.{more}"
            ),
            remote,
        )
    } else {
        let them = remote.unwrap_or("the far router");
        (
            format!(
                "{peer} received traffic from {src} to {dest}{proto} in the clear where its crypto ACL expects it encrypted: {them} does not encrypt this flow. {them}'s crypto ACL is not the mirror image of {peer}'s for this traffic, or its crypto map is not applied to the interface facing {peer}.{more}"
            ),
            remote,
        )
    };
    Finding::new(Code::P2ProxyIdMismatch, peer, summary)
        .remote(remote.map(str::to_string))
        .confidence(Confidence::Medium)
}
