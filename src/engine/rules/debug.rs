//! What one router's debug stream proves, accumulated event by event in bounded memory.
//!
//! The state keeps counters and a few evidence lines per kind of fact, never the whole stream,
//! so a capture of any length is analysed in constant memory. [`DebugState::findings`] then
//! reads the facts in protocol order: phase 1 proposal → key → authentication → phase 2.

use crate::engine::event::{EventKind, LineAt, LineRef, P1Attr, P1AttrKind, P2Attr};
use crate::engine::finding::{Code, Confidence, Evidence, Finding};
use std::collections::BTreeMap;

/// Evidence lines kept per fact: enough to quote, bounded for endless captures.
const KEEP: usize = 6;

/// The priority IOS gives its built-in default protection suite.
const DEFAULT_SUITE: u32 = 65_535;

#[derive(Debug, Clone, Default)]
pub struct Lines {
    pub count: u64,
    pub kept: Vec<LineRef>,
}

impl Lines {
    fn push(&mut self, at: &LineAt) {
        self.count += 1;
        if self.kept.len() < KEEP {
            self.kept.push(at.to_ref());
        } else if let Some(last) = self.kept.last_mut() {
            // Keep the first lines and the latest one: the start and how far it got.
            *last = at.to_ref();
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
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Context {
    Phase1,
    Phase2,
}

/// A phase-2 rejection seen by the responder.
#[derive(Debug, Clone, Default)]
pub struct P2Rejection {
    pub error: Option<u32>,
    pub proxy: bool,
    pub transform: bool,
    pub offered_pfs: Option<u32>,
    pub offered: Vec<P2Attr>,
    pub lines: Vec<LineRef>,
}

#[derive(Debug, Clone, Default)]
pub struct DebugState {
    /// IKE events of any kind: zero means this router said nothing about IKE.
    pub ike_events: u64,
    /// Addresses this router negotiated with or looked up keys for.
    pub remotes: BTreeMap<String, u64>,
    context: Option<Context>,
    open_round: Vec<PolicyCheck>,
    pub rejected_rounds: Vec<RejectedRound>,
    pub rejected_round_count: u64,
    pub accepted_rounds: u64,
    last_offered_lifetime: Option<u64>,
    pub lifetime_change: Option<(u64, u64, LineRef)>,
    /// Retransmissions by the exchange state they repeat (`MM_NO_STATE`, `MM_KEY_EXCH`, …).
    pub retransmits: BTreeMap<String, Lines>,
    pub max_attempt: Option<(u32, u32)>,
    pub received: Lines,
    pub sent: Lines,
    pub psk_missing: BTreeMap<String, Lines>,
    pub preshared_no_key: Lines,
    pub bad_message: Lines,
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
    pub isakmp_off: Lines,
    pub deleted_by_retransmission: Lines,
}

impl DebugState {
    pub fn feed(&mut self, kind: &EventKind, at: &LineAt) {
        use EventKind as E;
        if !matches!(
            kind,
            E::Benign(_) | E::InvalidSpi { .. } | E::IsakmpOnOff { .. }
        ) {
            self.ike_events += 1;
        }
        match kind {
            E::PeerCreated { peer } | E::PskFound { peer } | E::Authenticated { peer } => {
                self.remote(peer);
                if matches!(kind, E::Authenticated { .. }) {
                    self.authenticated.push(at);
                }
            }
            E::PacketSent { peer, .. } => {
                self.remote(peer);
                self.sent.push(at);
            }
            E::PacketReceived { peer, .. } => {
                self.remote(peer);
                self.received.push(at);
            }
            E::MainModeBegin => self.sent.push(at),
            E::Retransmit { state, .. } => {
                self.retransmits.entry(state.clone()).or_default().push(at)
            }
            E::RetransmitAttempt { attempt, of } => {
                let best = self.max_attempt.map_or(0, |m| m.0);
                if *attempt >= best {
                    self.max_attempt = Some((*attempt, *of));
                }
                if let Some((_, lines)) = self.retransmits.iter_mut().next_back() {
                    lines
                        .kept
                        .len()
                        .lt(&KEEP)
                        .then(|| lines.kept.push(at.to_ref()));
                }
            }
            E::SaDeleted { reason, .. } if reason.contains("retransmission") => {
                self.deleted_by_retransmission.push(at)
            }
            E::SaDeleted { .. } | E::DuplicatePacket => {}
            E::StateChange { new, .. } => match new.as_str() {
                "IKE_P1_COMPLETE" => self.p1_complete.push(at),
                "IKE_QM_PHASE2_COMPLETE" => self.p2_complete.push(at),
                _ => {}
            },
            E::PolicyCheck {
                transform,
                priority,
            } => {
                self.context = Some(Context::Phase1);
                self.open_round.push(PolicyCheck {
                    transform: *transform,
                    priority: *priority,
                    offered: Vec::new(),
                    mismatch: None,
                    no_key: false,
                    lines: vec![at.to_ref()],
                });
            }
            E::OfferedP1(attr) => {
                if let P1Attr::Lifetime(l) = attr {
                    self.last_offered_lifetime = Some(*l);
                }
                if let Some(check) = self.open_round.last_mut() {
                    check.offered.push(attr.clone());
                    check.lines.push(at.to_ref());
                }
            }
            E::P1Mismatch(which) => {
                if let Some(check) = self.open_round.last_mut() {
                    check.mismatch.get_or_insert(*which);
                    check.lines.push(at.to_ref());
                } else {
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
                self.preshared_no_key.push(at);
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
                if let Some(check) = self.open_round.last_mut() {
                    check.lines.push(at.to_ref());
                }
            }
            E::NoOffersAccepted => {
                let checks = std::mem::take(&mut self.open_round);
                self.rejected_round_count += 1;
                if self.rejected_rounds.len() < 2 {
                    self.rejected_rounds.push(RejectedRound {
                        checks,
                        end: at.to_ref(),
                    });
                }
            }
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
                self.psk_missing.entry(peer.clone()).or_default().push(at);
            }
            E::BadMessage { peer } => {
                self.remote(peer);
                self.bad_message.push(at);
            }
            E::QuickModeBegin => {
                self.context = Some(Context::Phase2);
                self.p2_started.push(at);
            }
            E::IpsecProposalCheck { .. } => {
                self.context = Some(Context::Phase2);
                self.current_p2 = P2Rejection {
                    lines: vec![at.to_ref()],
                    ..P2Rejection::default()
                };
            }
            E::OfferedP2(attr) => {
                if let P2Attr::PfsGroup(g) = attr {
                    self.current_p2.offered_pfs = Some(*g);
                }
                self.current_p2.offered.push(attr.clone());
            }
            E::PolicyInvalidated { error } => {
                self.current_p2.error = Some(*error);
                self.current_p2.lines.push(at.to_ref());
            }
            E::ProxyIdsNotSupported => {
                self.current_p2.proxy = true;
                self.current_p2.lines.push(at.to_ref());
            }
            E::TransformNotSupported => {
                self.current_p2.transform = true;
                self.current_p2.lines.push(at.to_ref());
            }
            E::Phase2NotAcceptable { remote, .. } => {
                if let Some(r) = remote {
                    self.remote(r);
                }
                let mut rej = std::mem::take(&mut self.current_p2);
                rej.lines.push(at.to_ref());
                rej.lines.retain(|l| !l.text.is_empty());
                self.p2_rejection_count += 1;
                if self.p2_rejections.len() < 2 {
                    self.p2_rejections.push(rej);
                }
            }
            E::NotifyReceived { kind } => match (kind.as_str(), self.context) {
                ("PROPOSAL_NOT_CHOSEN", Some(Context::Phase2)) => self.p2_refused_by_peer.push(at),
                ("NO_PROPOSAL_CHOSEN" | "PROPOSAL_NOT_CHOSEN", _) => {
                    self.p1_refused_by_peer.push(at)
                }
                _ => {}
            },
            E::NodeDeleted {
                error: true,
                reason,
            } if reason == "Delete Larval" => {
                if !self.p2_refused_by_peer.is_empty() {
                    self.p2_refused_by_peer.push(at);
                }
            }
            E::NodeDeleted { .. } | E::NotifySent { .. } => {}
            E::SaInstalled { .. } => self.sa_installed.push(at),
            E::InvalidSpi { .. } => self.invalid_spi.push(at),
            E::IsakmpOnOff { on } => {
                if !on {
                    self.isakmp_off.push(at)
                }
            }
            E::Benign(_) => {}
        }
    }

    fn remote(&mut self, peer: &str) {
        if let Some(n) = self.remotes.get_mut(peer) {
            *n += 1;
        } else if self.remotes.len() < 64 {
            self.remotes.insert(peer.to_string(), 1);
        }
    }

    /// The address this router talked to most: the far end of the tunnel under study.
    pub fn main_remote(&self) -> Option<&str> {
        self.remotes
            .iter()
            .max_by_key(|(_, n)| **n)
            .map(|(a, _)| a.as_str())
    }

    /// Findings this router's own debug supports, before the two peers are compared.
    pub fn findings(&self, peer: &str) -> Vec<Finding> {
        let mut out = Vec::new();
        let remote = self.main_remote().unwrap_or("the peer").to_string();
        self.psk_findings(peer, &mut out);
        self.proposal_findings(peer, &remote, &mut out);
        self.retransmit_findings(peer, &remote, &mut out);
        self.phase2_findings(peer, &remote, &mut out);
        if out.iter().all(|f| f.code == Code::P1LifetimeMismatch) {
            self.up_finding(peer, &remote, &mut out);
        }
        out
    }

    fn psk_findings(&self, peer: &str, out: &mut Vec<Finding>) {
        for (addr, lines) in &self.psk_missing {
            out.push(
                Finding::new(
                    Code::P1PskMissing,
                    peer,
                    format!(
                        "{peer} has no pre-shared key for {addr}, so it cannot even start main mode with it."
                    ),
                )
                .evidence(lines.evidence(peer))
                .fix(peer, vec![format!("crypto isakmp key <the key {addr} uses> address {addr}")]),
            );
        }
        if !self.preshared_no_key.is_empty() {
            let from = self.main_remote().unwrap_or("the initiator").to_string();
            out.push(
                Finding::new(
                    Code::P1PskMissing,
                    peer,
                    format!(
                        "{peer} was offered pre-shared-key authentication by {from} but holds no key for that address, so it refused every proposal."
                    ),
                )
                .evidence(self.preshared_no_key.evidence(peer))
                .fix(peer, vec![format!("crypto isakmp key <the key {from} uses> address {from}")]),
            );
        }
    }

    fn proposal_findings(&self, peer: &str, remote: &str, out: &mut Vec<Finding>) {
        if let Some(round) = self.rejected_rounds.first() {
            out.push(rejected_round_finding(
                peer,
                remote,
                round,
                self.rejected_round_count,
            ));
        } else if !self.p1_refused_by_peer.is_empty() && self.p1_complete.is_empty() {
            out.push(
                Finding::new(
                    Code::P1NoProposalChosen,
                    peer,
                    format!("{remote} refused every phase 1 proposal {peer} offered; its own log names the attribute."),
                )
                .evidence(self.p1_refused_by_peer.evidence(peer))
                .confidence(Confidence::Medium),
            );
        }
        if let Some((offered, actual, at)) = &self.lifetime_change {
            let mut f = Finding::new(
                Code::P1LifetimeMismatch,
                peer,
                format!(
                    "Phase 1 lifetimes differ: {offered} s was offered and {actual} s is in force. IOS settles on the lower value, so the tunnel works, but rekeys come sooner than one side expects."
                ),
            )
            .evidence([to_evidence(peer, at)]);
            f.confidence = Confidence::High;
            out.push(f);
        }
    }

    fn retransmit_findings(&self, peer: &str, remote: &str, out: &mut Vec<Finding>) {
        let attempts = self
            .max_attempt
            .map(|(a, of)| format!(" (attempt {a} of {of})"))
            .unwrap_or_default();
        for (state, lines) in &self.retransmits {
            let mut ev = lines.evidence(peer);
            ev.extend(self.deleted_by_retransmission.evidence(peer));
            let f = match state.as_str() {
                "MM_KEY_EXCH" => Finding::new(
                    Code::P1PskMismatch,
                    peer,
                    format!(
                        "{peer} keeps resending main mode message 5 to {remote}{attempts}: the proposal was agreed, but {remote} cannot decrypt what was built from the pre-shared key. The keys differ."
                    ),
                )
                .confidence(Confidence::Medium)
                .fix(peer, vec![format!("crypto isakmp key <same key on both routers> address {remote}")]),
                "MM_NO_STATE" | "MM_SA_SETUP" if self.received.is_empty() => Finding::new(
                    Code::P1NoResponse,
                    peer,
                    format!(
                        "{peer} sent main mode to {remote} and retransmitted{attempts} without ever receiving a reply."
                    ),
                )
                .confidence(Confidence::Medium),
                "MM_NO_STATE" | "MM_SA_SETUP" => Finding::new(
                    Code::P1NoProposalChosen,
                    peer,
                    format!(
                        "{peer} retransmitted main mode to {remote}{attempts} after {remote} answered once: {remote} stopped answering during the proposal exchange."
                    ),
                )
                .confidence(Confidence::Low),
                "QM_IDLE" => Finding::new(
                    Code::P2PolicyRejected,
                    peer,
                    format!("{peer} retransmitted quick mode to {remote}{attempts}: phase 1 is up but {remote} does not accept the phase 2 proposal."),
                )
                .confidence(Confidence::Low),
                _ => continue,
            };
            out.push(f.evidence(ev));
        }
        if !self.bad_message.is_empty() {
            out.push(
                Finding::new(
                    Code::P1PskMismatch,
                    peer,
                    format!(
                        "{peer} could not read main mode message 5 from {remote}: the message fails its integrity check, which is what a different pre-shared key on each side produces."
                    ),
                )
                .evidence(self.bad_message.evidence(peer))
                .confidence(Confidence::Medium)
                .fix(peer, vec![format!("crypto isakmp key <same key on both routers> address {remote}")]),
            );
        }
    }

    fn phase2_findings(&self, peer: &str, remote: &str, out: &mut Vec<Finding>) {
        if let Some(rej) = self.p2_rejections.first() {
            let times = if self.p2_rejection_count > 1 {
                format!(" ({} times)", self.p2_rejection_count)
            } else {
                String::new()
            };
            let ev: Vec<Evidence> = rej.lines.iter().map(|l| to_evidence(peer, l)).collect();
            let f = if rej.proxy || rej.error == Some(32) {
                Finding::new(
                    Code::P2ProxyIdMismatch,
                    peer,
                    format!(
                        "{peer} rejected {remote}'s phase 2 proposal{times}: no crypto map entry on {peer} has an ACL that covers the networks {remote} asked to protect. The crypto ACLs are not mirror images."
                    ),
                )
                .confidence(if rej.proxy { Confidence::High } else { Confidence::Medium })
            } else if rej.transform {
                Finding::new(
                    Code::P2TransformMismatch,
                    peer,
                    format!(
                        "{peer} rejected {remote}'s phase 2 proposal{times}: none of the offered transforms matches a transform set on {peer}."
                    ),
                )
            } else {
                Finding::new(
                    Code::P2PolicyRejected,
                    peer,
                    format!("{peer} rejected {remote}'s phase 2 proposal{times}; the log does not say which part (transform set, crypto ACL or PFS)."),
                )
                .confidence(Confidence::Medium)
            };
            out.push(f.evidence(ev));
        }
        if !self.p2_refused_by_peer.is_empty() && self.p2_rejections.is_empty() {
            out.push(
                Finding::new(
                    Code::P2PolicyRejected,
                    peer,
                    format!(
                        "{remote} answered {peer}'s phase 2 proposal with PROPOSAL_NOT_CHOSEN: phase 1 is up, but {remote} accepts none of the proposed transform sets, proxy identities or PFS settings. {remote}'s own debug names which."
                    ),
                )
                .evidence(self.p2_refused_by_peer.evidence(peer))
                .confidence(Confidence::Medium),
            );
        }
    }

    fn up_finding(&self, peer: &str, remote: &str, out: &mut Vec<Finding>) {
        let proof = if !self.p2_complete.is_empty() {
            &self.p2_complete
        } else {
            &self.sa_installed
        };
        if proof.is_empty() {
            return;
        }
        let mut ev = self.sa_installed.evidence(peer);
        ev.extend(self.p2_complete.evidence(peer));
        ev.truncate(KEEP);
        out.push(
            Finding::new(
                Code::TunnelUp,
                peer,
                format!("{peer} completed phase 1 and phase 2 with {remote} and installed the IPsec SAs."),
            )
            .evidence(ev),
        );
    }
}

/// Names the attribute the responder objected to, from the checks it printed.
fn rejected_round_finding(peer: &str, remote: &str, round: &RejectedRound, count: u64) -> Finding {
    // IOS checks its built-in default suite (priority 65535) last; it rejects most offers on
    // its own account (DES, rsa-sig), so it speaks only when no configured policy was checked.
    let configured = round.checks.iter().any(|c| c.priority != DEFAULT_SUITE);
    let named: Vec<P1AttrKind> = round
        .checks
        .iter()
        .filter(|c| !configured || c.priority != DEFAULT_SUITE)
        .filter_map(|c| c.mismatch)
        .collect();
    let mut kinds = named.clone();
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
        format!(" ({count} attempts)")
    } else {
        String::new()
    };
    let offered = describe_offer(round);
    if round.checks.iter().any(|c| c.no_key) && kinds.is_empty() {
        return Finding::new(
            Code::P1PskMissing,
            peer,
            format!("{peer} refused pre-shared-key authentication from {remote}: it has no key for that address."),
        )
        .evidence(ev);
    }
    match kinds.as_slice() {
        [one] => {
            let code = match one {
                P1AttrKind::Encryption => Code::P1EncryptionMismatch,
                P1AttrKind::Hash => Code::P1HashMismatch,
                P1AttrKind::Group => Code::P1DhGroupMismatch,
                P1AttrKind::Auth => Code::P1AuthMethodMismatch,
                P1AttrKind::Lifetime => Code::P1LifetimeMismatch,
            };
            Finding::new(
                code,
                peer,
                format!(
                    "{peer} checked {remote}'s phase 1 offer{offered} against its ISAKMP policies and refused it{times}: the {} differs in every policy it tried.",
                    one.as_str()
                ),
            )
            .evidence(ev)
        }
        [] if round.checks.iter().any(|c| !c.offered.is_empty()) => Finding::new(
            Code::P1EncryptionMismatch,
            peer,
            format!(
                "{peer} refused {remote}'s phase 1 offer{offered}{times} without naming the attribute. Encryption is the first attribute IOS compares and the usual culprit; compare `show crypto isakmp policy` on both routers to confirm."
            ),
        )
        .evidence(ev)
        .confidence(Confidence::Low),
        [] => Finding::new(
            Code::P1NoProposalChosen,
            peer,
            format!("{peer} accepted none of {remote}'s phase 1 proposals{times}; the log does not name the attribute."),
        )
        .evidence(ev)
        .confidence(Confidence::Medium),
        several => {
            let per: Vec<String> = round
                .checks
                .iter()
                .filter(|c| !configured || c.priority != DEFAULT_SUITE)
                .filter_map(|c| c.mismatch.map(|m| format!("priority {}: {}", c.priority, m.as_str())))
                .collect();
            let _ = several;
            Finding::new(
                Code::P1NoProposalChosen,
                peer,
                format!(
                    "{peer} refused {remote}'s phase 1 offer{offered}{times}, each policy for a different reason ({}). No single attribute explains it.",
                    per.join(", ")
                ),
            )
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
