//! The IKE exchange as a two-router ladder: the layout model, built from the exchanges the
//! engine recorded (`peers[].exchanges`) and the findings, then drawn twice: as terminal text
//! ([`term`]) and as SVG ([`svg`]).
//!
//! The two routers' records are merged: a message one logged as sent and the other as
//! received is one arrow. With one router's evidence alone the other column is "not seen" and
//! each arrow says what the one side knows. The ladder ends where the exchange stopped, with
//! the finding that explains it.

pub mod svg;
pub mod term;

use crate::engine::Diagnosis;
use crate::engine::PeerSummary;
use crate::engine::event::{Role, V2Exchange};
use crate::engine::exchange::{Direction, Exchange, MarkKind, Message};
use crate::engine::finding::{Code, Finding, Phase, Severity};

/// Which of the two columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Left,
    Right,
}

impl Side {
    fn other(self) -> Side {
        match self {
            Side::Left => Side::Right,
            Side::Right => Side::Left,
        }
    }
}

/// One router's column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    /// The address the other side talks to it on (or its own, from its configuration).
    pub address: Option<String>,
    /// `initiator` / `responder` of phase 1.
    pub role: Option<&'static str>,
    /// False when nothing this router logged is in the evidence.
    pub seen: bool,
}

/// What is known of one message's journey.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Both routers logged it: sent by one, received by the other.
    Delivered,
    /// The sender logged it; the receiver's side is not in the evidence, or did not log it
    /// although it logged later messages.
    Sent,
    /// The sender logged it; the receiver was logging this exchange and shows nothing of it
    /// or after it.
    Lost,
    /// Only the receiver logged it.
    Received,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arrow {
    /// `MM1`, `QM2`, `INFO`.
    pub label: String,
    /// What the message carries: `SA proposal`, `PROPOSAL_NOT_CHOSEN`.
    pub what: String,
    pub from: Side,
    /// Times the sender logged sending it (0: not in its log).
    pub sent: u32,
    /// Times the receiver logged receiving it.
    pub received: u32,
    pub status: Status,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Row {
    Arrow(Arrow),
    /// Something one router decided or noticed: `R2: message failed its integrity check`.
    Mark {
        side: Side,
        text: String,
    },
    /// A milestone across both columns: `phase 1 complete`.
    Milestone(String),
}

/// How the picture ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum End {
    /// Phase 2 completed; the finding saying so, if any.
    Complete { finding: Option<Note> },
    /// The exchange stopped after `after` (a message label) or before any message.
    Stopped {
        after: Option<String>,
        finding: Option<Note>,
    },
}

/// The finding that annotates the end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub code: Code,
    pub severity: Severity,
    pub peers: Vec<String>,
    pub summary: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ladder {
    pub left: Column,
    pub right: Column,
    pub rows: Vec<Row>,
    pub end: End,
    /// Said under the picture: earlier attempts, earlier quick modes.
    pub notes: Vec<String>,
}

/// One router's side of the picture.
struct Party<'a> {
    name: &'a str,
    address: Option<&'a str>,
    exchange: Option<&'a Exchange>,
}

/// The ladder the diagnosis supports, or `None` when no router logged an IKE message.
pub fn build(d: &Diagnosis) -> Option<Ladder> {
    let (mut left, mut right) = pair(&d.peers)?;
    // The phase 1 initiator goes left, as sequence diagrams are read.
    let left_role = left.exchange.and_then(|e| e.role);
    let right_role = right.exchange.and_then(|e| e.role);
    if left_role == Some(Role::Responder)
        || (left_role.is_none() && right_role == Some(Role::Initiator))
    {
        std::mem::swap(&mut left, &mut right);
    }
    let (rows, end) = rows(&left, &right, &d.findings);
    Some(Ladder {
        left: column(&left, &right),
        right: column(&right, &left),
        rows,
        end,
        notes: notes(&[&left, &right]),
    })
}

/// The router with an exchange, and the router (or bare address) at the other end of it.
fn pair(peers: &[PeerSummary]) -> Option<(Party<'_>, Party<'_>)> {
    let (li, lp) = peers
        .iter()
        .enumerate()
        .find(|(_, p)| !p.exchanges.is_empty())?;
    let others: Vec<&PeerSummary> = peers
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != li)
        .map(|(_, p)| p)
        .collect();
    let left_ex = main_exchange(&lp.exchanges, &others)?;
    let partner = others
        .iter()
        .find(|p| p.address.as_deref() == Some(left_ex.remote.as_str()))
        .or(if peers.len() == 2 {
            others.first()
        } else {
            None
        });
    let left = Party {
        name: &lp.name,
        address: lp.address.as_deref(),
        exchange: Some(left_ex),
    };
    let right = match partner {
        Some(p) => {
            let own: Vec<&PeerSummary> = vec![lp];
            Party {
                name: &p.name,
                address: p.address.as_deref(),
                exchange: main_exchange(&p.exchanges, &own),
            }
        }
        None => Party {
            name: &left_ex.remote,
            address: None,
            exchange: None,
        },
    };
    Some((left, right))
}

/// The exchange with the other router when its address is known, else the busiest one.
fn main_exchange<'a>(list: &'a [Exchange], others: &[&PeerSummary]) -> Option<&'a Exchange> {
    list.iter()
        .find(|e| {
            others
                .iter()
                .any(|p| p.address.as_deref() == Some(e.remote.as_str()))
        })
        .or_else(|| {
            // On a tie the later record, which is the more recent remote.
            list.iter().max_by_key(|e| e.messages.len() + e.marks.len())
        })
}

fn column(me: &Party, other: &Party) -> Column {
    let role = match me.exchange.and_then(|e| e.role) {
        Some(r) => Some(r),
        // Unseen: the opposite of what the other side was.
        None => other.exchange.and_then(|e| e.role).map(|r| match r {
            Role::Initiator => Role::Responder,
            Role::Responder => Role::Initiator,
        }),
    };
    let address = match other.exchange {
        Some(e) if me.exchange.is_some() || e.remote != me.name => Some(e.remote.clone()),
        _ => me.address.map(str::to_string),
    };
    Column {
        name: me.name.to_string(),
        address: address.filter(|a| a != me.name),
        role: role.map(|r| match r {
            Role::Initiator => "initiator",
            Role::Responder => "responder",
        }),
        seen: me.exchange.is_some(),
    }
}

/// Where a message goes in protocol order; informational messages and marks take the place
/// after the message their router logged before them.
fn order(m: &Message) -> u32 {
    match m {
        Message::Main(n) | Message::Aggressive(n) => 10 * u32::from(*n),
        Message::Quick(n) => 100 + 10 * u32::from(*n),
        Message::V2(x, request) => {
            let base = match x {
                V2Exchange::SaInit => 10,
                V2Exchange::Auth => 30,
                V2Exchange::CreateChild => 110,
                V2Exchange::Informational => return 0,
            };
            if *request { base } else { base + 10 }
        }
        Message::Notify(_) | Message::Info => 0,
    }
}

/// What a message carries, in the words of the RFC's exchange diagrams.
fn what(m: &Message) -> String {
    match m {
        Message::Main(1) => "SA proposal",
        Message::Main(2) => "SA chosen",
        Message::Main(3 | 4) => "KE, nonce",
        Message::Main(5 | 6) => "ID, hash (encrypted)",
        Message::Aggressive(1) => "SA, KE, nonce, ID",
        Message::Aggressive(2) => "SA, KE, nonce, ID, hash",
        Message::Aggressive(3) => "hash",
        Message::Quick(1) => "IPsec proposal, proxy IDs",
        Message::Quick(2) => "chosen proposal",
        Message::Quick(3) => "hash (acknowledge)",
        Message::Notify(kind) => kind,
        Message::Info => "informational",
        Message::V2(V2Exchange::SaInit, _) => "SA, KE, nonce",
        Message::V2(V2Exchange::Auth, _) => "ID, AUTH, SA, TS (encrypted)",
        Message::V2(V2Exchange::CreateChild, _) => "SA, nonce, [KE] (encrypted)",
        Message::V2(V2Exchange::Informational, _) => "informational",
        _ => "",
    }
    .to_string()
}

fn label(m: &Message) -> String {
    match m {
        Message::Notify(_) | Message::Info => "INFO".to_string(),
        // IKEv2's exchange names, cut to the column; the arrow says request or response.
        Message::V2(x, _) => match x {
            V2Exchange::SaInit => "INIT",
            V2Exchange::Auth => "AUTH",
            V2Exchange::CreateChild => "CHLD",
            V2Exchange::Informational => "INFO",
        }
        .to_string(),
        other => other.label(),
    }
}

/// A row with its sort key: protocol position, then arrows before marks, left before right.
struct Keyed {
    key: (u32, u8, u32),
    row: Row,
}

struct Draft {
    message: Message,
    from: Side,
    sent: u32,
    received: u32,
    key: u32,
}

fn rows(left: &Party, right: &Party, findings: &[Finding]) -> (Vec<Row>, End) {
    let mut drafts: Vec<Draft> = Vec::new();
    let mut keyed: Vec<Keyed> = Vec::new();
    let mut latest_key = [0u32; 2];
    for (side, party) in [(Side::Left, left), (Side::Right, right)] {
        let Some(ex) = party.exchange else { continue };
        // The key of each message in this router's own order, for what follows it.
        let mut at = 0u32;
        let mut keys: Vec<(Message, u32)> = Vec::new();
        for (n, s) in ex.messages.iter().enumerate() {
            let key = match order(&s.message) {
                0 => at + 5,
                k => k,
            };
            at = at.max(key);
            keys.push((s.message.clone(), key));
            let from = match s.direction {
                Direction::Sent => side,
                Direction::Received => side.other(),
            };
            let found = drafts
                .iter_mut()
                .find(|d| d.message == s.message && d.from == from);
            let d = match found {
                Some(d) => d,
                None => {
                    drafts.push(Draft {
                        message: s.message.clone(),
                        from,
                        sent: 0,
                        received: 0,
                        key: key * 100 + n as u32,
                    });
                    let last = drafts.len() - 1;
                    &mut drafts[last]
                }
            };
            match s.direction {
                Direction::Sent => d.sent = s.count,
                Direction::Received => d.received = s.count,
            }
        }
        latest_key[side as usize] = at;
        for m in &ex.marks {
            let after = m
                .after
                .as_ref()
                .and_then(|a| keys.iter().find(|(k, _)| k == a).map(|(_, key)| *key))
                .unwrap_or(0);
            let Some(row) = mark_row(side, party.name, &ex.remote, &m.kind, m.count) else {
                continue;
            };
            // Giving up is a consequence: after the other marks at the same place.
            let kind = match (&row, &m.kind) {
                (Row::Milestone(_), _) => 3,
                (_, MarkKind::Deleted { .. }) => 2,
                _ => 1,
            };
            keyed.push(Keyed {
                key: (after * 100 + 99, kind, side as u32),
                row,
            });
        }
    }
    let seen = [left.exchange.is_some(), right.exchange.is_some()];
    for d in &drafts {
        let to = d.from.other();
        let status = match (d.sent, d.received) {
            (0, _) => Status::Received,
            // The receiver was logging this exchange and shows nothing from here on.
            (_, 0) if seen[to as usize] && latest_key[to as usize] * 100 + 99 < d.key => {
                Status::Lost
            }
            (_, 0) => Status::Sent,
            _ => Status::Delivered,
        };
        keyed.push(Keyed {
            key: (d.key, 0, d.from as u32),
            row: Row::Arrow(Arrow {
                label: label(&d.message),
                what: what(&d.message),
                from: d.from,
                sent: d.sent,
                received: d.received,
                status,
            }),
        });
    }
    keyed.sort_by_key(|k| k.key);
    // Both routers reaching a milestone is one milestone.
    let mut rows: Vec<Row> = Vec::new();
    for k in keyed {
        if matches!(k.row, Row::Milestone(_)) && rows.contains(&k.row) {
            continue;
        }
        rows.push(k.row);
    }
    let has_phase1 = drafts.iter().any(|d| {
        !matches!(
            d.message,
            Message::Quick(_)
                | Message::Notify(_)
                | Message::Info
                | Message::V2(V2Exchange::CreateChild | V2Exchange::Informational, _)
        )
    });
    let quick = drafts.iter().any(|d| {
        matches!(
            d.message,
            Message::Quick(_) | Message::V2(V2Exchange::CreateChild, _)
        )
    });
    if quick && !has_phase1 {
        rows.insert(
            0,
            Row::Milestone("phase 1 up before the capture".to_string()),
        );
    }
    let complete = [left, right]
        .iter()
        .filter_map(|p| p.exchange)
        .any(Exchange::phase2_up);
    let last = drafts.iter().max_by_key(|d| d.key);
    let end = if complete {
        End::Complete {
            finding: findings.iter().find(|f| f.code == Code::TunnelUp).map(note),
        }
    } else {
        let phase = match last {
            Some(d)
                if matches!(
                    d.message,
                    Message::Quick(_) | Message::V2(V2Exchange::CreateChild, _)
                ) =>
            {
                Phase::Two
            }
            Some(d) if d.message.from_initiator().is_none() && quick => Phase::Two,
            _ => Phase::One,
        };
        End::Stopped {
            after: last.map(|d| d.message.label()),
            finding: explaining(findings, phase).map(note),
        }
    };
    (rows, end)
}

/// The finding that explains a stop in `phase`: the worst one of that phase, else the worst.
fn explaining(findings: &[Finding], phase: Phase) -> Option<&Finding> {
    let bad = |f: &&Finding| f.severity != Severity::Ok;
    findings
        .iter()
        .filter(bad)
        .find(|f| f.phase == Some(phase))
        .or_else(|| findings.iter().find(bad))
}

fn note(f: &Finding) -> Note {
    let mut peers: Vec<String> = vec![f.peer.clone()];
    for fix in &f.fix {
        if !peers.contains(&fix.peer) {
            peers.push(fix.peer.clone());
        }
    }
    Note {
        code: f.code,
        severity: f.severity,
        peers,
        summary: f.summary.clone(),
    }
}

fn times(count: u32) -> String {
    if count > 1 {
        format!(" ×{count}")
    } else {
        String::new()
    }
}

fn mark_row(side: Side, name: &str, remote: &str, kind: &MarkKind, count: u32) -> Option<Row> {
    let text = match kind {
        MarkKind::Phase1Up => return Some(Row::Milestone("phase 1 complete".to_string())),
        MarkKind::Phase2Up => return Some(Row::Milestone("phase 2 complete".to_string())),
        // The phase 2 milestone says it; a router that installs without completing is rare.
        MarkKind::SaInstalled => return None,
        MarkKind::NoKey => format!("{name}: no pre-shared key for {remote}, main mode not started"),
        MarkKind::Phase1Refused { attributes, no_key } => {
            let mut why: Vec<String> = attributes
                .iter()
                .map(|a| format!("{} differs", a.as_str()))
                .collect();
            if *no_key {
                why.push(format!("no key for {remote}"));
            }
            let why = if why.is_empty() {
                String::new()
            } else {
                format!(" ({})", why.join(", "))
            };
            format!("{name}: refused every phase 1 proposal{why}")
        }
        MarkKind::BadMessage => format!("{name}: message failed its integrity check"),
        MarkKind::Phase2Refused {
            error,
            proxy,
            transform,
        } => {
            let why = if *proxy {
                " (proxy identities not supported)".to_string()
            } else if *transform {
                " (transform not supported)".to_string()
            } else if let Some(e) = error {
                format!(" (error {e})")
            } else {
                String::new()
            };
            format!("{name}: refused the IPsec proposal{why}")
        }
        MarkKind::Deleted { reason } => format!("{name}: deleted the SA ({reason})"),
    };
    Some(Row::Mark {
        side,
        text: format!("{text}{}", times(count)),
    })
}

fn notes(parties: &[&Party]) -> Vec<String> {
    let mut out = Vec::new();
    for p in parties {
        let Some(ex) = p.exchange else { continue };
        if ex.attempt > 1 {
            let earlier: Vec<String> = ex
                .earlier
                .iter()
                .map(|e| format!("{}{}", e.outcome, times(e.count)))
                .collect();
            out.push(format!(
                "{}: attempt {} with {} drawn; earlier: {}",
                p.name,
                ex.attempt,
                ex.remote,
                earlier.join(", ")
            ));
        }
        if ex.quick_modes > 1 {
            out.push(format!(
                "{}: {} quick modes with {}; the latest is drawn",
                p.name, ex.quick_modes, ex.remote
            ));
        }
    }
    out
}

/// What is known of an arrow's journey in a few words, for the text beside it (empty for a
/// message both routers logged once).
pub fn status_text(a: &Arrow, left: &Column, right: &Column) -> String {
    let (sender, receiver) = match a.from {
        Side::Left => (left, right),
        Side::Right => (right, left),
    };
    let mut parts: Vec<String> = Vec::new();
    let retransmitted = (a.sent > 1).then(|| format!("retransmitted {}×", a.sent - 1));
    match a.status {
        Status::Delivered => {
            parts.extend(retransmitted);
            if a.received > 1 && a.received != a.sent {
                parts.push(format!("received {}×", a.received));
            }
        }
        // With the other router unseen, sent and received are all there is to know.
        Status::Sent if !receiver.seen => parts.extend(retransmitted),
        Status::Sent => {
            parts.push("sent".to_string());
            parts.extend(retransmitted);
            parts.push(format!("not in {}'s log", receiver.name));
        }
        Status::Lost => {
            parts.push("never arrived".to_string());
            parts.extend(retransmitted);
        }
        Status::Received if !sender.seen => {
            if a.received > 1 {
                parts.push(format!("received {}×", a.received));
            }
        }
        Status::Received => {
            parts.push(format!("received{}", times(a.received)));
            parts.push(format!("not in {}'s log", sender.name));
        }
    }
    parts.join(", ")
}
