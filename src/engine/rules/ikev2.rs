//! What one router's `debug crypto ikev2` proves, accumulated event by event in bounded memory,
//! as [`super::debug`] does for IKEv1.
//!
//! IOS prints one IKEv2 message as several lines: `Sending Packet [To …]` or `Received Packet
//! [From …]`, the SPIs, `IKEv2 IKE_AUTH Exchange RESPONSE`, then the payloads. An error notify
//! (`NOTIFY(AUTHENTICATION_FAILED)`) is therefore read with the packet and exchange above it:
//! who sent it and in which exchange is what gives it a meaning. The router that refuses says
//! why in lines of its own (`Failed to find a matching policy` under the two policy lists,
//! `% IKEv2 profile not found`, `Verification of peer's authenctication data FAILED`); the
//! router refused only gets the notify. Findings follow the protocol: IKE_SA_INIT (proposals) →
//! IKE_AUTH (identity, method, key; and the first child SA) → CREATE_CHILD_SA (rekeys: PFS).
//!
//! A symptom a later success contradicts (retransmissions, then an answer) healed: a note, not
//! a finding.

use super::debug::{Lines, to_evidence};
use crate::engine::event::{LineAt, LineRef, Role, V2Event, V2Exchange};
use crate::engine::finding::{Code, Confidence, Evidence, Finding, IkeVersion};
use std::collections::BTreeSet;

/// Lines kept per policy list: enough to show both sides of a refusal.
const KEEP_POLICIES: usize = 8;
/// Error notifies remembered; a long capture repeats the same few.
const KEEP_NOTIFIES: usize = 8;
/// Refusals (policy lists closed by `Failed to find a matching policy`) remembered.
const KEEP_REFUSALS: usize = 2;

/// How far an IKEv2 negotiation got, in protocol order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum V2Stage {
    /// IKE_SA_INIT sent or received.
    SaInit,
    /// IKE_SA_INIT answered: IKE_AUTH under way.
    Auth,
    /// The peer's AUTH payload verified: the IKE SA is up.
    IkeUp,
    /// A child SA was created (or its rekey is under way).
    Child,
}

impl V2Stage {
    pub fn describe(self) -> &'static str {
        match self {
            V2Stage::SaInit => "IKEv2 reached IKE_SA_INIT (proposals being chosen)",
            V2Stage::Auth => {
                "IKEv2 reached IKE_AUTH (proposal agreed, identities being authenticated)"
            }
            V2Stage::IkeUp => "the IKEv2 SA is up (peer authenticated)",
            V2Stage::Child => "IKEv2 reached CREATE_CHILD_SA (a child SA being created or rekeyed)",
        }
    }

    /// What to capture to settle a negotiation that stopped at this stage.
    pub fn next_step(self, role: Option<Role>) -> &'static str {
        match (self, role) {
            (V2Stage::SaInit, Some(Role::Initiator)) => {
                "Capture longer (IOS retransmits IKE_SA_INIT five times) and capture the peer's `debug crypto ikev2`: it shows whether the request arrives and why it is refused."
            }
            (V2Stage::SaInit | V2Stage::Auth, _) => {
                "Capture `debug crypto ikev2` on both routers from the first IKE_SA_INIT: the responder names the proposal, identity or key it refuses."
            }
            (V2Stage::IkeUp, _) => {
                "Capture `debug crypto ikev2` on the responder: it names why the child SA is refused (transform set, traffic selectors), and `show crypto ipsec sa` tells whether SAs were installed."
            }
            (V2Stage::Child, _) => {
                "Check `show crypto ipsec sa` on both routers: the counters tell whether traffic flows both ways, and a refused rekey shows as SAs that expire."
            }
        }
    }
}

/// The furthest point a negotiation reached, and the line that shows it.
#[derive(Debug, Clone)]
pub struct V2Progress {
    pub stage: V2Stage,
    pub role: Option<Role>,
    pub remote: Option<String>,
    pub line: LineRef,
    /// Stream position of the latest line at this stage.
    pub seq: u64,
}

/// An error notify, with the packet it rode in.
#[derive(Debug, Clone)]
pub struct NotifySeen {
    pub kind: String,
    pub sent: bool,
    pub exchange: Option<V2Exchange>,
    pub remote: Option<String>,
    pub lines: Vec<LineRef>,
    pub count: u64,
    pub seq: u64,
}

/// The attributes one proposal line names, as IOS prints them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProposalWords {
    pub encryption: BTreeSet<String>,
    pub prf: BTreeSet<String>,
    pub integrity: BTreeSet<String>,
    pub groups: BTreeSet<u32>,
}

impl ProposalWords {
    fn add(&mut self, line: &str, esp: bool) {
        if line.contains("ENCRYPTION:") {
            // IOS-XE 16+: `ENCRYPTION: AES-CBC-128 PRF: SHA512 INTEGRITY: SHA512 DH GROUP: …`
            let mut words = line.split_whitespace().peekable();
            while let Some(w) = words.next() {
                let slot = match w {
                    "ENCRYPTION:" => &mut self.encryption,
                    "PRF:" => &mut self.prf,
                    "INTEGRITY:" => &mut self.integrity,
                    _ => continue,
                };
                if let Some(v) = words.peek() {
                    slot.insert(v.to_string());
                }
            }
        } else {
            // `AES-CBC-256 SHA256 SHA256 DH_GROUP_2048_MODP/Group 14` (cipher, PRF, integrity,
            // group); for ESP `AES-CBC-256 SHA256 [group] Don't use ESN` (cipher, integrity).
            let mut hashes = 0;
            for (i, w) in line.split_whitespace().enumerate() {
                if w.starts_with("DH_GROUP") || w == "Don't" {
                    break;
                }
                if i == 0 {
                    self.encryption.insert(w.to_string());
                } else if esp || hashes == 1 {
                    self.integrity.insert(w.to_string());
                    hashes += 1;
                } else {
                    self.prf.insert(w.to_string());
                    hashes += 1;
                }
            }
        }
        if let Some(at) = line.find("Group ")
            && let Some(n) = line[at + 6..]
                .split(|c: char| !c.is_ascii_digit())
                .next()
                .and_then(|d| d.parse().ok())
        {
            self.groups.insert(n);
        }
    }
}

/// Which attribute of a refused proposal differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum V2Diff {
    Encryption,
    Integrity,
    Prf,
    Group,
}

impl V2Diff {
    fn word(self) -> &'static str {
        match self {
            V2Diff::Encryption => "encryption",
            V2Diff::Integrity => "integrity",
            V2Diff::Prf => "PRF",
            V2Diff::Group => "DH group",
        }
    }
}

/// A proposal refusal as the responder printed it: what it received, what it accepts.
#[derive(Debug, Clone, Default)]
pub struct Refusal {
    pub esp: bool,
    pub received: ProposalWords,
    pub expected: ProposalWords,
    pub received_text: Vec<String>,
    pub expected_text: Vec<String>,
    pub exchange: Option<V2Exchange>,
    pub remote: Option<String>,
    pub lines: Vec<LineRef>,
    pub seq: u64,
    /// `Failed to find a matching policy` seen once: the lists that follow are the expected ones.
    expecting: bool,
    closed: bool,
}

impl Refusal {
    /// The attributes on which no received value is accepted, in IOS's transform order.
    pub fn differences(&self) -> Vec<V2Diff> {
        let apart = |a: &BTreeSet<String>, b: &BTreeSet<String>| {
            !a.is_empty() && !b.is_empty() && a.is_disjoint(b)
        };
        let mut out = Vec::new();
        if apart(&self.received.encryption, &self.expected.encryption) {
            out.push(V2Diff::Encryption);
        }
        if apart(&self.received.integrity, &self.expected.integrity) {
            out.push(V2Diff::Integrity);
        }
        if apart(&self.received.prf, &self.expected.prf) {
            out.push(V2Diff::Prf);
        }
        let (r, e) = (&self.received.groups, &self.expected.groups);
        // A child SA without PFS lists no group: one side with a group, one without, differ.
        let groups_apart = if self.esp {
            r != e && (r.is_empty() || e.is_empty() || r.is_disjoint(e))
        } else {
            !r.is_empty() && !e.is_empty() && r.is_disjoint(e)
        };
        if groups_apart {
            out.push(V2Diff::Group);
        }
        out
    }
}

/// The packet whose continuation lines are arriving.
#[derive(Debug, Clone, Copy)]
struct Pending {
    sent: bool,
    exchange: Option<V2Exchange>,
    request: Option<bool>,
}

#[derive(Debug, Clone, Default)]
pub struct V2State {
    /// IKEv2 events of any kind.
    pub events: u64,
    pending: Option<Pending>,
    /// `Building packet for encryption.`: the payload line below is being sent.
    building: bool,
    /// The exchange the latest packet belongs to.
    exchange: Option<V2Exchange>,
    pub role: Option<Role>,
    remote: Option<String>,
    pub local: Option<String>,
    pub sent: Lines,
    pub received: Lines,
    /// IKE_SA_INIT and IKE_AUTH answers received (initiator) or sent (responder).
    answered: Lines,
    /// IKE_AUTH responses received, for an initiator that then refuses what it got.
    auth_answer: Lines,
    pub retransmits: Lines,
    retransmit_exchange: Option<V2Exchange>,
    pub max_retransmissions: Lines,
    pub notifies: Vec<NotifySeen>,
    refusal: Refusal,
    pub refusals: Vec<Refusal>,
    pub refusal_count: u64,
    pub auth_failed: Lines,
    auth_failed_verified: bool,
    pub auth_passed: Lines,
    pub method_mismatch: Lines,
    peer_method: Option<String>,
    pub auth_exchange_failed: Lines,
    pub profile_not_found: Lines,
    pub locate_failed: Lines,
    /// `Failed to locate an item` on an initiator that had the responder's answer.
    pub identity_refused: Lines,
    pub peer_identity: Option<(String, String)>,
    pub own_identity: Option<(String, String)>,
    pub initial_failed: Lines,
    pub progress: Option<V2Progress>,
}

impl V2State {
    /// `remote` is the far end the latest line named (the caller keeps the address book).
    pub fn feed(&mut self, e: &V2Event<'_>, at: &LineAt, seq: u64, remote: Option<&str>) {
        use V2Event as V;
        self.events += 1;
        if self.remote.as_deref() != remote {
            self.remote = remote.map(str::to_string);
        }
        match e {
            V::Packet { sent, local, .. } => {
                self.pending = Some(Pending {
                    sent: *sent,
                    exchange: None,
                    request: None,
                });
                self.building = false;
                if self.local.as_deref() != Some(*local) {
                    self.local = Some(local.to_string());
                }
                if *sent {
                    self.sent.push(at, seq);
                } else {
                    self.received.push(at, seq);
                }
            }
            V::Exchange { exchange, request } => self.exchange_line(*exchange, *request, at, seq),
            V::Building => {
                self.building = true;
                self.pending = None;
            }
            V::Notify { kind } => self.notify(kind, at, seq),
            V::Policy {
                esp,
                received,
                words,
            } => self.policy(*esp, *received, words, at, seq),
            V::NoMatchingPolicy => {
                let r = &mut self.refusal;
                if r.lines.len() < 2 * KEEP_POLICIES {
                    r.lines.push(at.to_ref());
                }
                if r.expecting {
                    r.closed = true;
                    self.close_refusal();
                } else {
                    r.expecting = true;
                }
            }
            V::AuthFailed => {
                self.auth_failed.push(at, seq);
                self.auth_failed_verified |= at.text.contains("Verification")
                    || at.text.contains("differs from what peer sent");
            }
            V::AuthPassed => {
                self.auth_passed.push(at, seq);
                // The initiator checks the responder last: its PASSED ends IKE_AUTH.
                if self.role == Some(Role::Initiator) {
                    self.reach(V2Stage::IkeUp, at, seq);
                }
            }
            V::MethodMismatch => self.method_mismatch.push(at, seq),
            V::PeerMethod { method } => self.peer_method = Some(method.to_string()),
            V::AuthExchangeFailed => self.auth_exchange_failed.push(at, seq),
            V::ProfileNotFound => self.profile_not_found.push(at, seq),
            V::LocateFailed => {
                let after_profile = !self.profile_not_found.is_empty()
                    && self.profile_not_found.last_seq + 3 >= seq;
                let initiator_checking = self.role == Some(Role::Initiator)
                    && !self.auth_answer.is_empty()
                    && self.auth_answer.last_seq < seq
                    && !after_profile;
                if initiator_checking {
                    self.identity_refused.push(at, seq);
                } else {
                    self.locate_failed.push(at, seq);
                }
            }
            V::PolicyRefused => self.identity_refused.push(at, seq),
            V::PeerIdentity { id, kind } => {
                self.peer_identity = Some((id.to_string(), kind.to_string()));
            }
            V::OwnIdentity { id, kind } => {
                self.own_identity = Some((id.to_string(), kind.to_string()));
            }
            V::Retransmit => {
                self.retransmits.push(at, seq);
                self.retransmit_exchange = self.exchange.or(self.retransmit_exchange);
            }
            V::MaxRetransmissions => self.max_retransmissions.push(at, seq),
            V::InitialFailed => self.initial_failed.push(at, seq),
        }
    }

    fn exchange_line(&mut self, exchange: V2Exchange, request: bool, at: &LineAt, seq: u64) {
        self.exchange = Some(exchange);
        let Some(p) = self.pending.as_mut() else {
            return;
        };
        p.exchange = Some(exchange);
        p.request = Some(request);
        let sent = p.sent;
        if exchange == V2Exchange::SaInit && request {
            self.role = Some(if sent {
                Role::Initiator
            } else {
                Role::Responder
            });
            // A new negotiation: the refusal being read belongs to it.
            if !sent {
                self.refusal = Refusal::default();
            }
        }
        let answer = !request
            && matches!(exchange, V2Exchange::SaInit | V2Exchange::Auth)
            && (sent == (self.role == Some(Role::Responder)));
        if answer {
            self.answered.push(at, seq);
        }
        if answer && exchange == V2Exchange::Auth && !sent {
            self.auth_answer.push(at, seq);
        }
        let stage = match exchange {
            V2Exchange::SaInit => V2Stage::SaInit,
            V2Exchange::Auth => V2Stage::Auth,
            V2Exchange::CreateChild => V2Stage::Child,
            V2Exchange::Informational => return,
        };
        self.reach(stage, at, seq);
        // A responder that sends its IKE_AUTH answer after verifying the initiator is up.
        if exchange == V2Exchange::Auth
            && !request
            && sent
            && self.auth_passed.last_seq > self.auth_failed.last_seq
            && !self.auth_passed.is_empty()
        {
            self.reach(V2Stage::IkeUp, at, seq);
        }
    }

    fn notify(&mut self, kind: &str, at: &LineAt, seq: u64) {
        // The payload line of a packet (its direction known) or of one being built (sent).
        let (sent, exchange) = match (self.pending, self.building) {
            (Some(p), _) => (p.sent, p.exchange.or(self.exchange)),
            (None, true) => (true, self.exchange),
            (None, false) => return,
        };
        self.building = false;
        if let Some(n) = self
            .notifies
            .iter_mut()
            .find(|n| n.kind == kind && n.sent == sent && n.exchange == exchange)
        {
            n.count += 1;
            n.seq = seq;
            if n.lines.len() < 4 {
                n.lines.push(at.to_ref());
            }
            return;
        }
        if self.notifies.len() < KEEP_NOTIFIES {
            let mut lines = Vec::new();
            // The packet line above names the peer: quote it with the notify.
            let packet = if sent { &self.sent } else { &self.received };
            if let Some(l) = packet.kept.last().filter(|_| self.pending.is_some()) {
                lines.push(l.clone());
            }
            lines.push(at.to_ref());
            self.notifies.push(NotifySeen {
                kind: kind.to_string(),
                sent,
                exchange,
                remote: self.remote.clone(),
                lines,
                count: 1,
                seq,
            });
        }
    }

    fn policy(&mut self, esp: bool, received: Option<bool>, words: &str, at: &LineAt, seq: u64) {
        let r = &mut self.refusal;
        if r.closed {
            *r = Refusal::default();
        }
        // IOS-XE names the list on the line; the older form lists under `Received Policies:`
        // and `Expected Policies:`, the refusal line between them.
        if let Some(received) = received {
            r.expecting = !received;
        }
        r.esp |= esp;
        r.exchange = r.exchange.or(self.exchange);
        r.remote = r.remote.take().or(self.remote.clone());
        r.seq = seq;
        if r.lines.len() < 2 * KEEP_POLICIES {
            r.lines.push(at.to_ref());
        }
        if words.is_empty() {
            return;
        }
        let (set, text) = if r.expecting {
            (&mut r.expected, &mut r.expected_text)
        } else {
            (&mut r.received, &mut r.received_text)
        };
        set.add(words, esp);
        if text.len() < KEEP_POLICIES {
            text.push(words.to_string());
        }
        // IOS-XE's inline form closes the list on the same line as the expected policies.
        if received == Some(false) {
            r.closed = true;
            self.close_refusal();
        }
    }

    fn close_refusal(&mut self) {
        let r = std::mem::take(&mut self.refusal);
        self.refusal_count += 1;
        if self.refusals.len() < KEEP_REFUSALS {
            self.refusals.push(r);
        }
    }

    fn reach(&mut self, stage: V2Stage, at: &LineAt, seq: u64) {
        match &mut self.progress {
            Some(p) if stage < p.stage => {}
            Some(p) if stage == p.stage => {
                at.write_into(&mut p.line);
                p.role = self.role.or(p.role);
                p.seq = seq;
            }
            _ => {
                self.progress = Some(V2Progress {
                    stage,
                    role: self.role,
                    remote: self.remote.clone(),
                    line: at.to_ref(),
                    seq,
                });
            }
        }
    }

    /// The negotiation reached `stage` (or beyond) after stream position `seq`: what failed
    /// before was not the outcome.
    fn up_after(&self, seq: u64, stage: V2Stage) -> bool {
        self.progress
            .as_ref()
            .is_some_and(|p| p.stage >= stage && p.seq > seq)
    }

    /// How far the negotiation got, in a few words.
    pub fn reached(&self) -> Option<String> {
        let p = self.progress.as_ref()?;
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

    /// Things worth knowing that are not findings.
    pub fn notes(&self, peer: &str) -> Vec<String> {
        let mut notes = Vec::new();
        if !self.retransmits.is_empty() && self.answered_after(self.retransmits.last_seq) {
            notes.push(format!(
                "{peer} retransmitted an IKEv2 message {} time(s), then the peer answered: packet loss that healed, not a failure.",
                self.retransmits.count
            ));
        }
        notes
    }

    fn answered_after(&self, seq: u64) -> bool {
        (!self.received.is_empty() && self.received.last_seq > seq)
            || (!self.answered.is_empty() && self.answered.last_seq > seq)
    }

    fn notify_of(&self, kind: &str, sent: bool) -> Vec<&NotifySeen> {
        self.notifies
            .iter()
            .filter(|n| n.kind == kind && n.sent == sent)
            .collect()
    }

    /// Findings this router's own IKEv2 debug supports, before the two peers are compared.
    /// `remote` is the far end this router talked to most.
    pub fn findings(&self, peer: &str, remote: Option<&str>) -> Vec<Finding> {
        let mut out = Vec::new();
        if self.events == 0 {
            return out;
        }
        self.refusal_findings(peer, remote, &mut out);
        self.auth_findings(peer, remote, &mut out);
        self.notify_findings(peer, remote, &mut out);
        self.retransmit_findings(peer, remote, &mut out);
        for f in &mut out {
            f.ike_version = IkeVersion::V2;
        }
        out
    }

    /// The responder's own account of a refused proposal: the two policy lists.
    fn refusal_findings(&self, peer: &str, remote: Option<&str>, out: &mut Vec<Finding>) {
        let open = (!self.refusal.received_text.is_empty() && self.refusal.expecting)
            .then_some(&self.refusal);
        let Some(r) = self.refusals.first().or(open) else {
            return;
        };
        let later_success = self.up_after(r.seq, V2Stage::IkeUp);
        if later_success && !r.esp {
            return;
        }
        let them = r.remote.as_deref().or(remote).unwrap_or("the peer");
        let times = if self.refusal_count > 1 {
            format!(
                " ({} times in the capture; the evidence quotes the first)",
                self.refusal_count
            )
        } else {
            String::new()
        };
        let diffs = r.differences();
        let list = |t: &[String]| {
            if t.is_empty() {
                "not shown".to_string()
            } else {
                t.join(" / ")
            }
        };
        let shown = format!(
            "{them} offered {}; {peer} accepts {}",
            list(&r.received_text),
            list(&r.expected_text)
        );
        let named: Vec<&str> = diffs.iter().map(|d| d.word()).collect();
        let ev: Vec<Evidence> = r.lines.iter().map(|l| to_evidence(peer, l)).collect();
        let mut ev = ev;
        ev.extend(
            self.notify_of("NO_PROPOSAL_CHOSEN", true)
                .first()
                .and_then(|n| n.lines.last())
                .map(|l| to_evidence(peer, l)),
        );
        let f = if r.esp {
            let pfs_only = diffs == [V2Diff::Group];
            let child = match r.exchange {
                Some(V2Exchange::CreateChild) => "the child SA's rekey (CREATE_CHILD_SA)",
                _ => "the child SA",
            };
            if pfs_only {
                let want = |g: &BTreeSet<u32>| {
                    g.iter()
                        .next()
                        .map_or("no PFS".to_string(), |g| format!("PFS group {g}"))
                };
                Finding::new(
                    Code::P2PfsMismatch,
                    peer,
                    format!(
                        "{peer} refused {child} from {them}{times}: the transforms agree, the PFS setting does not ({} offered, {} required). {shown}.",
                        want(&r.received.groups),
                        want(&r.expected.groups)
                    ),
                )
            } else {
                Finding::new(
                    Code::P2TransformMismatch,
                    peer,
                    format!(
                        "{peer} refused {child} from {them}{times}: none of the offered transform sets matches one of its own ({}). {shown}.",
                        if named.is_empty() {
                            "the lists differ".to_string()
                        } else {
                            format!("{} differ", named.join(", "))
                        }
                    ),
                )
            }
        } else {
            let code = match diffs.first() {
                Some(V2Diff::Encryption) => Code::P1EncryptionMismatch,
                Some(V2Diff::Integrity | V2Diff::Prf) => Code::P1HashMismatch,
                Some(V2Diff::Group) => Code::P1DhGroupMismatch,
                None => Code::P1NoProposalChosen,
            };
            let single = diffs
                .iter()
                .all(|d| matches!(d, V2Diff::Integrity | V2Diff::Prf))
                || diffs.len() == 1;
            let f = Finding::new(
                code,
                peer,
                if named.is_empty() {
                    format!(
                        "{peer} refused {them}'s IKE_SA_INIT proposal{times} and answered NO_PROPOSAL_CHOSEN. {shown}."
                    )
                } else {
                    format!(
                        "{peer} refused {them}'s IKE_SA_INIT proposal{times}: no proposal of {peer} shares the {} with it. {shown}.",
                        named.join(" or the ")
                    )
                },
            );
            if single {
                f
            } else {
                f.confidence(Confidence::Medium)
            }
        };
        out.push(
            f.remote(r.remote.clone().or(remote.map(str::to_string)))
                .evidence(ev),
        );
    }

    /// Why this router refused the peer's authentication, or the peer's answer.
    fn auth_findings(&self, peer: &str, remote: Option<&str>, out: &mut Vec<Finding>) {
        let them = remote.unwrap_or("the peer");
        let failed_after = |seq: u64| {
            let later = |l: &Lines| !l.is_empty() && l.last_seq >= seq;
            later(&self.auth_exchange_failed)
                || self
                    .notify_of("AUTHENTICATION_FAILED", true)
                    .iter()
                    .any(|n| n.seq >= seq)
                || later(&self.locate_failed)
        };
        let id = self
            .peer_identity
            .as_ref()
            .map(|(id, kind)| format!(" ('{id}', {kind})"))
            .unwrap_or_default();
        let quoted = |lines: &Lines, extra: &[&Lines]| {
            let mut ev = lines.evidence(peer);
            for l in extra {
                ev.extend(l.evidence(peer));
            }
            ev.sort_by_key(|e| e.line);
            ev.dedup();
            ev.truncate(8);
            ev
        };
        if !self.profile_not_found.is_empty()
            && failed_after(self.profile_not_found.last_seq)
            && !self.up_after(self.profile_not_found.last_seq, V2Stage::IkeUp)
        {
            out.push(
                Finding::new(
                    Code::Ikev2IdentityMismatch,
                    peer,
                    format!(
                        "{peer} found no IKEv2 profile matching the identity {them} sent{id}, so it refused {them}'s IKE_AUTH with AUTHENTICATION_FAILED: no `match identity remote` of {peer}'s profiles takes that identity."
                    ),
                )
                .remote(remote.map(str::to_string))
                .evidence(quoted(
                    &self.profile_not_found,
                    &[&self.locate_failed, &self.auth_exchange_failed],
                )),
            );
        }
        if !self.identity_refused.is_empty() {
            out.push(
                Finding::new(
                    Code::Ikev2IdentityMismatch,
                    peer,
                    format!(
                        "{peer} refused {them}'s IKE_AUTH answer: the identity {them} answered with{id} is not one {peer}'s IKEv2 profile matches. {them} has already installed its side of the tunnel (half-open) and drops it when {peer} deletes the SA."
                    ),
                )
                .remote(remote.map(str::to_string))
                .evidence(quoted(&self.identity_refused, &[&self.auth_exchange_failed]))
                .confidence(Confidence::Medium),
            );
        } else if self.role == Some(Role::Initiator)
            && !self.auth_answer.is_empty()
            && !self.auth_exchange_failed.is_empty()
            && self.auth_exchange_failed.last_seq > self.auth_answer.last_seq
            && self.auth_failed.is_empty()
            && self.method_mismatch.is_empty()
            && self.notifies.iter().all(|n| {
                n.sent || n.seq < self.auth_answer.last_seq || n.exchange != Some(V2Exchange::Auth)
            })
        {
            // The answer carried no error notify and the key and method checks said nothing:
            // what is left for an initiator to refuse is the responder's identity.
            let mut ev = self.auth_answer.evidence(peer);
            ev.truncate(2);
            ev.extend(self.auth_exchange_failed.evidence(peer));
            out.push(
                Finding::new(
                    Code::Ikev2IdentityMismatch,
                    peer,
                    format!(
                        "{peer} refused {them}'s IKE_AUTH answer although the answer carried no error and {peer} logged no key or method failure: the identity {them} answered with{id} is most likely not one {peer}'s IKEv2 profile matches (`match identity remote`)."
                    ),
                )
                .remote(remote.map(str::to_string))
                .evidence(ev)
                .confidence(Confidence::Medium),
            );
        }
        if !self.method_mismatch.is_empty() {
            let method = self
                .peer_method
                .as_deref()
                .map(|m| format!(" ({m})"))
                .unwrap_or_default();
            out.push(
                Finding::new(
                    Code::Ikev2AuthMethodMismatch,
                    peer,
                    format!(
                        "{them} authenticates with a method{method} that {peer}'s IKEv2 profile does not accept from it (`authentication remote`): {peer} refused its IKE_AUTH."
                    ),
                )
                .remote(remote.map(str::to_string))
                .evidence(quoted(&self.method_mismatch, &[&self.auth_exchange_failed])),
            );
        }
        if !self.auth_failed.is_empty() && !self.up_after(self.auth_failed.last_seq, V2Stage::IkeUp)
        {
            let direction = if self.role == Some(Role::Initiator) {
                format!("{them}'s answer")
            } else {
                format!("{them}'s IKE_AUTH")
            };
            let f = Finding::new(
                Code::P1PskMismatch,
                peer,
                format!(
                    "{peer} could not verify the AUTH payload of {direction}: the pre-shared key {peer} checks {them} with is not the key {them} signs with. The keys differ (with `pre-shared-key local` and `remote`, each router's local key must be the other's remote key)."
                ),
            )
            .remote(remote.map(str::to_string))
            .evidence(quoted(&self.auth_failed, &[&self.auth_exchange_failed]));
            out.push(if self.auth_failed_verified {
                f
            } else {
                f.confidence(Confidence::Medium)
            });
        }
    }

    /// What the notifies alone say, when this router's own lines did not name the cause.
    fn notify_findings(&self, peer: &str, remote: Option<&str>, out: &mut Vec<Finding>) {
        let has = |out: &Vec<Finding>, phase| out.iter().any(|f| f.phase == phase);
        for n in &self.notifies {
            if self.up_after(n.seq, V2Stage::Child) && n.exchange != Some(V2Exchange::CreateChild) {
                continue;
            }
            let them = n.remote.as_deref().or(remote).unwrap_or("the peer");
            let times = if n.count > 1 {
                format!(" ({} times)", n.count)
            } else {
                String::new()
            };
            let ev: Vec<Evidence> = n.lines.iter().map(|l| to_evidence(peer, l)).collect();
            let (by, to) = if n.sent { (peer, them) } else { (them, peer) };
            let f = match (n.kind.as_str(), n.exchange) {
                ("NO_PROPOSAL_CHOSEN", Some(V2Exchange::SaInit) | None) => {
                    if has(out, Code::P1NoProposalChosen.phase()) {
                        continue;
                    }
                    Finding::new(
                        Code::P1NoProposalChosen,
                        peer,
                        format!(
                            "{by} answered {to}'s IKE_SA_INIT with NO_PROPOSAL_CHOSEN{times}: no IKEv2 proposal of one router shares every attribute (encryption, integrity, PRF, DH group) with one of the other. {by}'s debug lists both sides' proposals."
                        ),
                    )
                    .confidence(Confidence::Medium)
                }
                ("NO_PROPOSAL_CHOSEN", Some(V2Exchange::Auth)) => {
                    if has(out, Code::P2TransformMismatch.phase()) {
                        continue;
                    }
                    Finding::new(
                        Code::P2TransformMismatch,
                        peer,
                        format!(
                            "The IKE SA between {peer} and {them} authenticated, but {by} refused the child SA that IKE_AUTH carries with NO_PROPOSAL_CHOSEN{times}. That first child SA negotiates no PFS, so what {by} refused is the transform set (cipher, integrity or mode)."
                        ),
                    )
                    .confidence(Confidence::Medium)
                }
                ("NO_PROPOSAL_CHOSEN", Some(V2Exchange::CreateChild)) => {
                    if has(out, Code::P2PfsMismatch.phase()) {
                        continue;
                    }
                    Finding::new(
                        Code::P2PfsMismatch,
                        peer,
                        format!(
                            "{by} refused the rekey of the child SA (CREATE_CHILD_SA) with NO_PROPOSAL_CHOSEN{times}. The same transforms were accepted in IKE_AUTH; what a rekey adds is the PFS group, so the two routers' `set pfs` most likely differ. The tunnel works until the SAs expire."
                        ),
                    )
                    .confidence(Confidence::Medium)
                }
                ("TS_UNACCEPTABLE", _) => Finding::new(
                    Code::P2ProxyIdMismatch,
                    peer,
                    format!(
                        "{by} refused the child SA's traffic selectors from {to} with TS_UNACCEPTABLE{times}: the networks {to} proposes to protect are not what {by} protects for it (a route-based tunnel proposes any/any, a crypto map its ACL's networks)."
                    ),
                )
                .confidence(if n.sent {
                    Confidence::High
                } else {
                    Confidence::Medium
                }),
                ("AUTHENTICATION_FAILED", _) => {
                    if has(out, Code::P1PskMismatch.phase()) {
                        continue;
                    }
                    Finding::new(
                        Code::P1PskMismatch,
                        peer,
                        format!(
                            "{by} refused {to}'s authentication with AUTHENTICATION_FAILED{times}. Different pre-shared keys are the usual cause; {by} also answers so when no IKEv2 profile matches {to}'s identity or its profile does not accept {to}'s method. {by}'s `debug crypto ikev2` names which."
                        ),
                    )
                    .confidence(Confidence::Medium)
                }
                _ => continue,
            };
            let mut f = f
                .remote(n.remote.clone().or(remote.map(str::to_string)))
                .evidence(ev);
            f.refused_by_peer = !n.sent;
            out.push(f);
        }
    }

    fn retransmit_findings(&self, peer: &str, remote: Option<&str>, out: &mut Vec<Finding>) {
        if self.retransmits.is_empty() && self.max_retransmissions.is_empty() {
            return;
        }
        let last = self
            .retransmits
            .last_seq
            .max(self.max_retransmissions.last_seq);
        if self.answered_after(last) {
            return;
        }
        let them = remote.unwrap_or("the peer");
        let mut ev = self.retransmits.evidence(peer);
        ev.extend(self.max_retransmissions.evidence(peer));
        ev.extend(
            self.initial_failed
                .kept
                .last()
                .map(|l| to_evidence(peer, l)),
        );
        ev.sort_by_key(|e| e.line);
        ev.dedup();
        let gave_up = if self.max_retransmissions.is_empty() {
            ""
        } else {
            " and gave up after the last retransmission"
        };
        let f = match self.retransmit_exchange {
            Some(V2Exchange::SaInit) | None if self.received.is_empty() => Finding::new(
                Code::P1NoResponse,
                peer,
                format!(
                    "{peer} sent IKE_SA_INIT to {them} and retransmitted it {} time(s){gave_up} without ever receiving a reply.",
                    self.retransmits.count
                ),
            )
            .confidence(Confidence::Medium),
            Some(x) => Finding::new(
                Code::P1NoResponse,
                peer,
                format!(
                    "{peer} retransmitted its {} request to {them} {} time(s){gave_up}: {them} answered earlier messages but not this one (dropped on the way, or refused in silence).",
                    x.name(),
                    self.retransmits.count
                ),
            )
            .confidence(Confidence::Low),
            None => Finding::new(
                Code::P1NoResponse,
                peer,
                format!(
                    "{peer} retransmitted an IKEv2 request to {them} {} time(s){gave_up} without an answer.",
                    self.retransmits.count
                ),
            )
            .confidence(Confidence::Low),
        };
        out.push(f.remote(remote.map(str::to_string)).evidence(ev));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Diagnosis, Engine};

    fn diagnose(router: &str, lines: &[&str]) -> Diagnosis {
        let mut e = Engine::new();
        let id = e.stream(router, true);
        for (i, l) in lines.iter().enumerate() {
            e.feed(id, "t.log", i + 1, l);
        }
        e.finish()
    }

    #[test]
    fn the_older_prefixes_and_policy_lists_name_the_attribute() {
        // IOS 15's `IKEv2:(1):` and `IKEv2-PROTO-1: (1):` prefixes, the lists under their
        // own headers with the refusal line between them.
        let d = diagnose(
            "R2",
            &[
                "IKEv2:(1): Received Packet [From 10.0.0.1:500/To 10.0.0.2:500/VRF i0:f0]",
                "Initiator SPI : 9B2AB9B5C4B994C9 - Responder SPI : 0000000000000000 Message id: 0",
                "IKEv2 IKE_SA_INIT Exchange REQUEST",
                "Payload contents:",
                " SA KE N VID VID NOTIFY(NAT_DETECTION_SOURCE_IP) NOTIFY(NAT_DETECTION_DESTINATION_IP)",
                "IKEv2-PROTO-1: (1): Received Policies:",
                "Proposal 1:  3DES SHA1 SHA96 DH_GROUP_1024_MODP/Group 2",
                "IKEv2-PROTO-1: (1): Failed to find a matching policy",
                "IKEv2-PROTO-1: (1): Expected Policies:",
                "Proposal 1:  AES-CBC-128 SHA1 SHA96 DH_GROUP_1024_MODP/Group 2",
                "IKEv2-PROTO-1: (1): Failed to find a matching policy",
                "IKEv2:(1): Sending Packet [To 10.0.0.1:500/From 10.0.0.2:500/VRF i0:f0]",
                "Initiator SPI : 9B2AB9B5C4B994C9 - Responder SPI : 0000000000000000 Message id: 0",
                "IKEv2 IKE_SA_INIT Exchange RESPONSE",
                "Payload contents:",
                " NOTIFY(NO_PROPOSAL_CHOSEN)",
            ],
        );
        let f = d
            .findings
            .iter()
            .find(|f| f.code == Code::P1EncryptionMismatch)
            .unwrap_or_else(|| panic!("{:#?}", d.findings));
        assert_eq!(f.ike_version, IkeVersion::V2);
        assert_eq!(f.remote.as_deref(), Some("10.0.0.1"));
        assert!(f.evidence.iter().any(|e| e.text.contains("AES-CBC-128")));
        // The same lines never read as IKEv1: no ISAKMP code among the findings.
        assert!(d.findings.iter().all(|f| f.ike_version == IkeVersion::V2));
    }

    #[test]
    fn proposal_words_both_forms() {
        let mut w = ProposalWords::default();
        w.add(
            "AES-CBC-256 SHA256 SHA256 DH_GROUP_2048_MODP/Group 14",
            false,
        );
        assert!(w.encryption.contains("AES-CBC-256"));
        assert!(w.prf.contains("SHA256") && w.integrity.contains("SHA256"));
        assert!(w.groups.contains(&14));
        let mut x = ProposalWords::default();
        x.add(
            "ENCRYPTION: AES-CBC-128 PRF: SHA512 INTEGRITY: SHA512 DH GROUP: DH_GROUP_384_ECP/Group 20",
            false,
        );
        assert!(x.encryption.contains("AES-CBC-128"));
        assert!(x.groups.contains(&20));
        let mut e = ProposalWords::default();
        e.add("AES-CBC-256 SHA96 Don't use ESN", true);
        assert!(e.integrity.contains("SHA96") && e.prf.is_empty() && e.groups.is_empty());
    }

    #[test]
    fn differences_name_the_attribute() {
        let mut r = Refusal::default();
        r.received.add(
            "AES-CBC-256 SHA256 SHA256 DH_GROUP_2048_MODP/Group 14",
            false,
        );
        r.expected.add(
            "AES-CBC-256 SHA512 SHA512 DH_GROUP_2048_MODP/Group 14",
            false,
        );
        assert_eq!(r.differences(), [V2Diff::Integrity, V2Diff::Prf]);
        let mut p = Refusal {
            esp: true,
            ..Refusal::default()
        };
        p.received.add("AES-CBC-256 SHA256 Don't use ESN", true);
        p.expected.add(
            "AES-CBC-256 SHA256 DH_GROUP_2048_MODP/Group 14 Don't use ESN",
            true,
        );
        assert_eq!(p.differences(), [V2Diff::Group]);
    }
}
