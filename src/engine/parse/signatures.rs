//! The debug-line signature table: every message the engine understands, in one place.
//!
//! Each entry is a real message body (after [`super::prelude`] removed timestamp and prefix),
//! a literal every such body contains, the pattern that recognises it, and the event it becomes.
//! A network engineer adding a message adds a row here and nothing else.
//!
//! Most lines of a capture are noise (`processing vendor id payload`, `Input = IKE_MESG_…`).
//! The literals of all rows form one Aho-Corasick automaton: a line that holds none of them
//! costs one scan and nothing more ([`may_match`]), and a line that holds some is tried only
//! against the rows whose literal it holds, in table order.

use super::prelude::Facility;
use crate::engine::event::{EventKind, P1Attr, P1AttrKind, P2Attr, Role, V2Event, V2Exchange};
use aho_corasick::{AhoCorasick, MatchKind};
use regex::bytes::{CaptureLocations, Regex, RegexBuilder};
use regex_automata::dfa::onepass;
use regex_automata::util::{captures::Captures as OnePassCaptures, syntax};
use regex_automata::{Anchored, Input};
use std::sync::LazyLock;

/// The groups of one match, read from reused capture slots (no allocation per line).
pub struct Caps<'s, 'a> {
    body: &'a str,
    spans: &'s [Span; MAX_GROUPS],
    names: &'s [(&'static str, usize)],
}

impl<'a> Caps<'_, 'a> {
    pub fn name(&self, name: &str) -> Option<&'a str> {
        // Two or three names per row: a scan beats hashing.
        let i = self.names.iter().find(|(n, _)| *n == name)?.1;
        let (start, end) = self.spans.get(i).copied().flatten()?;
        self.body.get(start as usize..end as usize)
    }
}

/// Groups a row may have (the whole match counts as one).
const MAX_GROUPS: usize = 8;

/// Where a group matched in the body, if it did.
type Span = Option<(u32, u32)>;

/// A body matched to its row, the groups as offsets into the body: what a line's
/// classification leaves to build its event from. It holds no text, so the matching can run
/// ahead on another thread and the event be built from the line later.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Matched {
    row: u16,
    spans: [Span; MAX_GROUPS],
}

/// How a row's pattern is run. Most are one-pass (anchored, never ambiguous about which
/// group a byte belongs to): a one-pass DFA reads them and their groups in one pass, without
/// the general engine's search first. The rest go through `regex`.
enum Matcher {
    /// The pattern after its lead, run from the end of the lead (the lead is compared first).
    OnePass(Box<onepass::DFA>),
    Meta(Regex),
}

/// Reused per row: a one-pass DFA's cache and groups, or `regex`'s capture slots.
#[derive(Clone)]
enum Slot {
    OnePass(onepass::Cache, OnePassCaptures),
    Meta(CaptureLocations),
}

/// Which debug a row reads: IOS prints IKEv1 (`debug crypto isakmp` / `ipsec`) and IKEv2
/// (`debug crypto ikev2`) with different prefixes, so a row of one is never tried on a line
/// the other printed. Syslog messages and continuation lines carry no prefix: every row may
/// match them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proto {
    V1,
    V2,
    /// Both versions print it (`%CRYPTO-…` syslog about tunnels and ESP).
    Any,
}

impl Proto {
    /// Whether a row of this protocol may match a line printed by `facility`.
    pub fn reads(self, facility: Facility) -> bool {
        !matches!(
            (self, facility),
            (Proto::V1, Facility::Ikev2)
                | (
                    Proto::V2,
                    Facility::Isakmp
                        | Facility::IsakmpPak
                        | Facility::IsakmpError
                        | Facility::Ipsec
                )
        )
    }
}

pub struct Signature {
    /// Short stable name, used in tests and `--explain` output.
    pub name: &'static str,
    pub proto: Proto,
    /// A body exactly as a router prints it.
    pub sample: &'static str,
    /// Text every body the pattern matches contains, spelled as routers print it (compared
    /// case-sensitively): the prefilter's key.
    pub literal: &'static str,
    pub pattern: &'static str,
    build: for<'s, 'a> fn(&Caps<'s, 'a>) -> Option<EventKind<'a>>,
}

fn text<'a>(c: &Caps<'_, 'a>, name: &str) -> Option<&'a str> {
    c.name(name).map(str::trim)
}

fn num<T: std::str::FromStr>(c: &Caps<'_, '_>, name: &str) -> Option<T> {
    c.name(name)?.trim().parse().ok()
}

/// `(I)` / `(R)`; `(N)` marks a new SA whose role is not settled yet.
fn role(c: &Caps<'_, '_>) -> Option<Role> {
    match c.name("role")? {
        "I" => Some(Role::Initiator),
        "R" => Some(Role::Responder),
        _ => None,
    }
}

/// `0x0 0x1 0x51 0x80` → 86400: IOS prints long lifetimes as the attribute's raw bytes.
fn vpi_bytes(s: &str) -> Option<u64> {
    s.split_whitespace().try_fold(0u64, |acc, b| {
        let mut digits = b;
        while let Some(rest) = digits.strip_prefix("0x") {
            digits = rest;
        }
        let v = u64::from_str_radix(digits, 16).ok()?;
        acc.checked_mul(256)?.checked_add(v)
    })
}

/// `Old State = IKE_I_MM6  New State = IKE_P1_COMPLETE`, the same pattern for both rows that
/// read it.
const STATE_CHANGE: &str = r"^Old State = (?P<old>\w+)\s+New State = (?P<new>\w+)";

/// `203.0.113.2:500` → `203.0.113.2`; an IPv6 address keeps its own colons (the port is the
/// last `:digits`).
fn without_port(s: &str) -> &str {
    match s.rsplit_once(':') {
        Some((addr, port)) if !addr.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => addr,
        _ => s,
    }
}

fn v2(e: V2Event<'_>) -> Option<EventKind<'_>> {
    Some(EventKind::V2(e))
}

fn state_change<'a>(c: &Caps<'_, 'a>) -> Option<EventKind<'a>> {
    Some(EventKind::StateChange {
        old: text(c, "old")?,
        new: text(c, "new")?,
    })
}

pub static SIGNATURES: &[Signature] = &[
    Signature {
        name: "main_mode_begin",
        proto: Proto::V1,
        sample: "beginning Main Mode exchange",
        literal: "beginning ",
        pattern: r"^beginning (?:Main|Aggressive) Mode exchange",
        build: |_| Some(EventKind::MainModeBegin),
    },
    Signature {
        name: "quick_mode_begin",
        proto: Proto::V1,
        sample: "beginning Quick Mode exchange, M-ID of 1327257875",
        literal: "beginning ",
        pattern: r"^beginning Quick Mode exchange",
        build: |_| Some(EventKind::QuickModeBegin),
    },
    Signature {
        name: "packet_sent",
        proto: Proto::V1,
        sample: "sending packet to 203.0.113.1 my_port 500 peer_port 500 (I) MM_NO_STATE",
        literal: "acket ",
        // Ports and words between the address and the role vary by release (and pastes wrap
        // lines there): only the address, the role and the state are read.
        pattern: r"^sending packet to (?P<peer>[^\s,(]+)(?:[\s,][^(]*)?\((?P<role>[IR])\) (?P<state>\w+)",
        build: |c| {
            Some(EventKind::PacketSent {
                peer: text(c, "peer")?,
                role: role(c),
                state: text(c, "state")?,
            })
        },
    },
    Signature {
        name: "packet_received",
        proto: Proto::V1,
        sample: "received packet from 203.0.113.1 dport 500 sport 500 Global (I) MM_NO_STATE",
        literal: "acket ",
        pattern: r"^received packet from (?P<peer>[^\s,(]+)(?:[\s,][^(]*)?\((?P<role>[IRN])\) (?P<state>\w+)",
        build: |c| {
            Some(EventKind::PacketReceived {
                peer: text(c, "peer")?,
                role: role(c),
                state: text(c, "state")?,
            })
        },
    },
    Signature {
        name: "retransmit",
        proto: Proto::V1,
        sample: "retransmitting phase 1 MM_NO_STATE...",
        literal: "retransmi",
        pattern: r"^retransmitting phase (?P<phase>[12])(?: (?P<state>[A-Z][A-Z_0-9]*))?",
        build: |c| {
            Some(EventKind::Retransmit {
                phase: num(c, "phase")?,
                state: text(c, "state"),
            })
        },
    },
    Signature {
        name: "retransmit_due",
        proto: Proto::V1,
        sample: "retransmitting due to retransmit phase 1",
        literal: "retransmi",
        pattern: r"^retransmitting due to retransmit phase (?P<phase>[12])",
        build: |c| {
            Some(EventKind::RetransmitDue {
                phase: num(c, "phase")?,
            })
        },
    },
    Signature {
        name: "retransmit_attempt",
        proto: Proto::V1,
        sample: "incrementing error counter on sa, attempt 2 of 5: retransmit phase 1",
        literal: "error counter",
        pattern: r"^incrementing error counter on (?:sa|node)(?:, attempt (?P<n>\d+) of (?P<of>\d+))?(?P<why>[^,0-9].*)?",
        build: |c| {
            // `reset_retransmission`: the timer restarted because an answer came in. Not a
            // retransmission.
            if c.name("why").is_some_and(|w| w.contains("reset")) {
                return None;
            }
            Some(EventKind::RetransmitAttempt {
                attempt: num(c, "n"),
                of: num(c, "of"),
            })
        },
    },
    // Only the state changes into or out of the two states that prove an outcome
    // (IKE_P1_COMPLETE, IKE_QM_PHASE2_COMPLETE): the other transitions are in the packet lines
    // too, and leaving them out keeps most lines off the regexes.
    Signature {
        name: "state_complete",
        proto: Proto::V1,
        sample: "Old State = IKE_I_MM6  New State = IKE_P1_COMPLETE",
        literal: "_COMPLETE",
        pattern: STATE_CHANGE,
        build: state_change,
    },
    Signature {
        name: "sa_deleted",
        proto: Proto::V1,
        sample: r#"deleting SA reason "Death by retransmission P1" state (I) MM_NO_STATE (peer 203.0.113.2)"#,
        literal: "reason ",
        pattern: r#"^deleting SA reason "(?P<reason>[^"]*)" state \([IR]\) (?P<state>\w+)(?: \(peer (?P<peer>[^)\s]+)\))?"#,
        build: |c| {
            Some(EventKind::SaDeleted {
                reason: text(c, "reason")?,
                state: text(c, "state")?,
                peer: text(c, "peer"),
            })
        },
    },
    Signature {
        name: "duplicate_packet",
        proto: Proto::V1,
        sample: "phase 1 packet is a duplicate of a previous packet.",
        literal: "duplicate of a previous",
        pattern: r"^phase 1 packet is a duplicate of a previous packet",
        build: |_| Some(EventKind::DuplicatePacket),
    },
    Signature {
        name: "policy_check",
        proto: Proto::V1,
        sample: "Checking ISAKMP transform 1 against priority 10 policy",
        literal: "Checking I",
        pattern: r"^Checking ISAKMP transform (?P<t>\d+) against priority (?P<p>\d+) policy",
        build: |c| {
            Some(EventKind::PolicyCheck {
                transform: num(c, "t")?,
                priority: num(c, "p")?,
            })
        },
    },
    Signature {
        name: "offered_encryption",
        proto: Proto::V1,
        sample: "encryption AES-CBC",
        literal: "encryption ",
        pattern: r"^encryption (?P<v>[A-Z0-9][A-Z0-9_-]*)\s*$",
        build: |c| Some(EventKind::OfferedP1(P1Attr::Encryption(text(c, "v")?))),
    },
    Signature {
        name: "offered_keylength",
        proto: Proto::V1,
        sample: "keylength of 256",
        literal: "keylength of",
        pattern: r"^keylength of (?P<v>\d+)",
        build: |c| Some(EventKind::OfferedP1(P1Attr::KeyLength(num(c, "v")?))),
    },
    Signature {
        name: "offered_hash",
        proto: Proto::V1,
        sample: "hash SHA",
        literal: "hash ",
        pattern: r"^hash (?P<v>[A-Z0-9][A-Za-z0-9_-]*)\s*$",
        build: |c| Some(EventKind::OfferedP1(P1Attr::Hash(text(c, "v")?))),
    },
    Signature {
        name: "offered_group",
        proto: Proto::V1,
        sample: "default group 14",
        literal: "group ",
        pattern: r"^default group (?P<v>\d+)",
        build: |c| Some(EventKind::OfferedP1(P1Attr::Group(num(c, "v")?))),
    },
    Signature {
        name: "offered_auth",
        proto: Proto::V1,
        sample: "auth pre-share",
        literal: "auth",
        pattern: r"^auth (?P<v>[A-Za-z][A-Za-z0-9-]*)\s*$",
        build: |c| Some(EventKind::OfferedP1(P1Attr::Auth(text(c, "v")?))),
    },
    Signature {
        name: "offered_life_basic",
        proto: Proto::V1,
        sample: "life duration (basic) of 3600",
        literal: "life",
        pattern: r"^life duration \(basic\) of (?P<v>\d+)",
        build: |c| Some(EventKind::OfferedP1(P1Attr::Lifetime(num(c, "v")?))),
    },
    Signature {
        name: "offered_life_vpi",
        proto: Proto::V1,
        sample: "life duration (VPI) of  0x0 0x1 0x51 0x80 ",
        literal: "life",
        pattern: r"^life duration \(VPI\) of\s+(?P<v>0x[0-9A-Fa-f]+(?:\s+0x[0-9A-Fa-f]+)*)",
        build: |c| {
            Some(EventKind::OfferedP1(P1Attr::Lifetime(vpi_bytes(
                c.name("v")?,
            )?)))
        },
    },
    Signature {
        name: "p1_attribute_mismatch",
        proto: Proto::V1,
        sample: "Hash algorithm offered does not match policy!",
        literal: "offer",
        pattern: r"^(?P<what>Encryption algorithm|Hash algorithm|Diffie-Hellman group|Authentication method) offered does not match policy",
        build: |c| {
            let kind = match c.name("what")? {
                "Encryption algorithm" => P1AttrKind::Encryption,
                "Hash algorithm" => P1AttrKind::Hash,
                "Diffie-Hellman group" => P1AttrKind::Group,
                _ => P1AttrKind::Auth,
            };
            Some(EventKind::P1Mismatch(kind))
        },
    },
    Signature {
        name: "preshared_offered_no_key",
        proto: Proto::V1,
        sample: "Preshared authentication offered but does not match policy!",
        literal: "offer",
        pattern: r"^Preshared authentication offered but does not match policy",
        build: |_| Some(EventKind::PresharedOfferedNoKey),
    },
    Signature {
        name: "atts_acceptable",
        proto: Proto::V1,
        sample: "atts are acceptable. Next payload is 0",
        literal: "acceptable",
        pattern: r"^atts are acceptable",
        build: |_| Some(EventKind::AttsAcceptable),
    },
    Signature {
        name: "atts_not_acceptable",
        proto: Proto::V1,
        sample: "atts are not acceptable. Next payload is 0",
        literal: "acceptable",
        pattern: r"^atts (?:are )?not acceptable",
        build: |_| Some(EventKind::AttsNotAcceptable),
    },
    Signature {
        name: "sa_not_acceptable",
        proto: Proto::V1,
        sample: "phase 2 SA policy not acceptable! (local 203.0.113.1 remote 203.0.113.30)",
        literal: "acceptable",
        pattern: r"^(?i:(?:phase (?P<ph>[12]) )?SA (?:policy )?not acceptable)!?(?: \(local (?P<l>[^\s)]+) remote (?P<r>[^)\s]+)\))?",
        build: |c| {
            Some(EventKind::SaNotAcceptable {
                phase: num(c, "ph"),
                local: text(c, "l"),
                remote: text(c, "r"),
            })
        },
    },
    Signature {
        name: "no_offers_accepted",
        proto: Proto::V1,
        sample: "No offers accepted!",
        literal: "offer",
        pattern: r"^(?i:no offers accepted)",
        build: |_| Some(EventKind::NoOffersAccepted),
    },
    Signature {
        name: "actual_lifetime",
        proto: Proto::V1,
        sample: "Returning Actual lifetime: 86400",
        literal: "life",
        pattern: r"^Returning Actual lifetime: (?P<v>\d+)",
        build: |c| Some(EventKind::ActualLifetime(num(c, "v")?)),
    },
    Signature {
        name: "psk_missing",
        proto: Proto::V1,
        sample: "No pre-shared key with 203.0.113.1!",
        literal: "pre-shared",
        pattern: r"^No pre-shared key with (?P<peer>[^!\s]+)",
        build: |c| {
            Some(EventKind::PskMissing {
                peer: text(c, "peer")?,
            })
        },
    },
    Signature {
        name: "no_cert_or_key",
        proto: Proto::V1,
        sample: "No cert, and no keys (public or pre-shared) with remote peer 150.150.150.2",
        literal: "pre-shared",
        pattern: r"^No [Cc]ert(?:, and no keys \(public or pre-shared\) with remote peer (?P<peer>[^\s,]+)| or pre-shared address key)",
        build: |c| {
            Some(EventKind::NoKey {
                peer: text(c, "peer"),
            })
        },
    },
    Signature {
        name: "reserved_not_zero",
        proto: Proto::V1,
        sample: "reserved not zero on payload 5!",
        literal: "reserved not zero",
        pattern: r"^reserved not zero on",
        build: |_| Some(EventKind::ReservedNotZero),
    },
    Signature {
        name: "authenticated",
        proto: Proto::V1,
        sample: "SA has been authenticated with 203.0.113.1",
        literal: "auth",
        pattern: r"^SA has been authenticated with (?P<peer>[^\s,]+)",
        build: |c| {
            Some(EventKind::Authenticated {
                peer: text(c, "peer")?,
            })
        },
    },
    Signature {
        name: "bad_message",
        proto: Proto::V1,
        sample: "%CRYPTO-4-IKMP_BAD_MESSAGE: IKE message from 203.0.113.2 failed its sanity check or is malformed",
        literal: "%CRYPTO-",
        pattern: r"^%CRYPTO-4-IKMP_BAD_MESSAGE: IKE message from (?P<peer>[^\s,]+)",
        build: |c| {
            Some(EventKind::BadMessage {
                peer: text(c, "peer")?,
            })
        },
    },
    Signature {
        name: "ipsec_proposal_check",
        proto: Proto::V1,
        sample: "Checking IPSec proposal 1",
        literal: "Checking I",
        pattern: r"^Checking IPSec proposal (?P<n>\d+)",
        build: |c| {
            Some(EventKind::IpsecProposalCheck {
                proposal: num(c, "n")?,
            })
        },
    },
    Signature {
        name: "offered_transform",
        proto: Proto::V1,
        sample: "transform 1, ESP_AES ",
        literal: ", ESP_",
        pattern: r"^transform \d+, (?P<v>\w+)",
        build: |c| Some(EventKind::OfferedP2(P2Attr::Transform(text(c, "v")?))),
    },
    Signature {
        name: "offered_authenticator",
        proto: Proto::V1,
        sample: "authenticator is HMAC-SHA",
        literal: "auth",
        pattern: r"^authenticator is (?P<v>\S+)",
        build: |c| Some(EventKind::OfferedP2(P2Attr::Authenticator(text(c, "v")?))),
    },
    Signature {
        name: "offered_pfs_group",
        proto: Proto::V1,
        sample: "group is 14",
        literal: "group ",
        pattern: r"^group is (?P<v>\d+)",
        build: |c| Some(EventKind::OfferedP2(P2Attr::PfsGroup(num(c, "v")?))),
    },
    Signature {
        name: "policy_invalidated",
        proto: Proto::V1,
        sample: "IPSec policy invalidated proposal with error 32",
        literal: "invalid",
        pattern: r"^(?i:IPSec policy invalidated proposal)(?: with error (?P<e>\d+))?",
        build: |c| Some(EventKind::PolicyInvalidated { error: num(c, "e") }),
    },
    Signature {
        name: "proxy_ids_not_supported",
        proto: Proto::V1,
        sample: "IPSEC(validate_transform_proposal): proxy identities not supported",
        literal: "not supported",
        pattern: r"^IPSEC\(\w+\): proxy identities not supported",
        build: |_| Some(EventKind::ProxyIdsNotSupported),
    },
    Signature {
        name: "transform_not_supported",
        proto: Proto::V1,
        sample: "IPSEC(ipsec_process_proposal): transform proposal not supported for identity:",
        literal: "not supported",
        pattern: r"^IPSEC\(\w+\): transform proposal\b.*\bnot supported",
        build: |_| Some(EventKind::TransformNotSupported),
    },
    Signature {
        name: "invalid_local_address",
        proto: Proto::V1,
        sample: "IPSEC(validate_proposal): invalid local address 10.2.2.2",
        literal: "invalid",
        pattern: r"^IPSEC\(\w+\): invalid local address (?P<a>[^\s,]+)",
        build: |c| {
            Some(EventKind::InvalidLocalAddress {
                addr: text(c, "a")?,
            })
        },
    },
    Signature {
        name: "invalid_proxy_ids",
        proto: Proto::V1,
        sample: "IPSEC(initialize_sas): invalid proxy IDs",
        literal: "invalid",
        pattern: r"^IPSEC\(\w+\): invalid proxy IDs?",
        build: |_| Some(EventKind::InvalidProxyIds),
    },
    Signature {
        name: "validate_proposal_request",
        proto: Proto::V1,
        sample: "IPSEC(validate_proposal_request): proposal part #1",
        literal: "_request)",
        pattern: r"^IPSEC\(validate_proposal_request\)",
        build: |_| Some(EventKind::IpsecRequest { responder: true }),
    },
    Signature {
        name: "sa_request",
        proto: Proto::V1,
        sample: "IPSEC(sa_request): ,",
        literal: "_request)",
        pattern: r"^IPSEC\(sa_request\)",
        build: |_| Some(EventKind::IpsecRequest { responder: false }),
    },
    Signature {
        name: "key_engine_message",
        proto: Proto::V1,
        sample: "(key eng. msg.) INBOUND local= 203.0.113.2:0, remote= 203.0.113.1:0,",
        literal: "(key eng. msg.)",
        pattern: r"^\(key eng\. msg\.\) (?:(?:INBOUND|OUTBOUND) local= (?P<l>[^\s:,]+)(?::\d+)?, remote= (?P<r>[^\s:,]+)|src= (?P<s1>[^\s:,]+)(?::\d+)?, dest= (?P<d1>[^\s:,]+)|dest= (?P<d2>[^\s:,]+)(?::\d+)?, src= (?P<s2>[^\s:,]+))",
        build: |c| {
            Some(EventKind::KeyEngine {
                local: text(c, "l"),
                remote: text(c, "r"),
                src: text(c, "s1").or_else(|| text(c, "s2")),
                dest: text(c, "d1").or_else(|| text(c, "d2")),
            })
        },
    },
    Signature {
        name: "notify_sent",
        proto: Proto::V1,
        sample: "Sending NOTIFY PROPOSAL_NOT_CHOSEN protocol 3",
        literal: "_CHOSEN",
        pattern: r"^(?:Sending|sending) NOTIFY (?P<k>[A-Z_]+)",
        build: |c| {
            Some(EventKind::NotifySent {
                kind: text(c, "k")?,
            })
        },
    },
    Signature {
        name: "notify_received",
        proto: Proto::V1,
        sample: "processing NOTIFY PROPOSAL_NOT_CHOSEN protocol 3",
        literal: "_CHOSEN",
        pattern: r"^processing NOTIFY (?P<k>[A-Z_]+)",
        build: |c| {
            Some(EventKind::NotifyReceived {
                kind: text(c, "k")?,
            })
        },
    },
    Signature {
        name: "sa_installed",
        proto: Proto::V1,
        sample: "Successfully installed IPSEC SA (SPI:0xDA9E8DCA) on Ethernet0/0",
        literal: "Successfully installed",
        pattern: r"^Successfully installed IPSEC SA \(SPI:(?P<spi>0x[0-9A-Fa-f]+)\) on (?P<if>\S+)",
        build: |c| {
            Some(EventKind::SaInstalled {
                spi: text(c, "spi")?,
                interface: text(c, "if")?,
            })
        },
    },
    Signature {
        name: "node_deleted",
        proto: Proto::V1,
        sample: r#"deleting node 570535495 error TRUE reason "QM rejected""#,
        literal: "reason ",
        pattern: r#"^deleting node -?\d+ error (?P<e>TRUE|FALSE) reason "(?P<r>[^"]*)""#,
        build: |c| {
            // Every quick mode ends by deleting its node; only a refusal is an event.
            let reason = text(c, "r")?;
            (reason == "QM rejected").then(|| EventKind::NodeDeleted {
                error: c.name("e") == Some("TRUE"),
                reason,
            })
        },
    },
    Signature {
        name: "invalid_spi",
        proto: Proto::Any,
        sample: "%CRYPTO-4-RECVD_PKT_INV_SPI: decaps: rec'd IPSEC packet has invalid spi for destaddr=203.0.113.1, prot=50, spi=0x4F3B1C2D(1329273901), srcaddr=203.0.113.2",
        literal: "%CRYPTO-",
        pattern: r"^%CRYPTO-4-RECVD_PKT_INV_SPI:(?:.*srcaddr=(?P<peer>[0-9.]+))?",
        build: |c| {
            Some(EventKind::InvalidSpi {
                peer: text(c, "peer"),
            })
        },
    },
    Signature {
        name: "cleartext",
        proto: Proto::Any,
        sample: "%CRYPTO-4-RECVD_PKT_NOT_IPSEC: Rec'd packet not an IPSEC packet. (ip) vrf/dest_addr= /203.0.113.2, src_addr= 198.51.100.2, prot= 47",
        literal: "%CRYPTO-",
        // Older releases print `(ip) dest_addr= …` without the VRF.
        pattern: r"^%CRYPTO-4-RECVD_PKT_NOT_IPSEC:.*?(?:vrf/)?dest_addr= *(?:[^/,\s]*/)?(?P<d>[0-9A-Fa-f.:]+), src_addr= *(?P<s>[0-9A-Fa-f.:]+)(?:, prot= *(?P<p>\d+))?",
        build: |c| {
            Some(EventKind::Cleartext {
                dest: text(c, "d")?,
                src: text(c, "s")?,
                prot: text(c, "p"),
            })
        },
    },
    Signature {
        name: "aggressive_refused",
        proto: Proto::V1,
        sample: "%CRYPTO-5-IKMP_AG_MODE_DISABLED: Unable to initiate or respond to Aggressive Mode while disabled",
        literal: "%CRYPTO-",
        pattern: r"^%CRYPTO-5-IKMP_AG_MODE_DISABLED:",
        build: |_| Some(EventKind::AggressiveRefused),
    },
    Signature {
        name: "mode_failure",
        proto: Proto::V1,
        sample: "%CRYPTO-6-IKMP_MODE_FAILURE: Processing of Main mode failed with peer at 10.1.1.1",
        literal: "%CRYPTO-",
        pattern: r"^%CRYPTO-6-IKMP_MODE_FAILURE: Processing of (?P<m>\w+) mode failed(?: with peer at (?P<p>[^\s,]+))?",
        build: |c| {
            Some(EventKind::ModeFailure {
                quick: c.name("m")?.eq_ignore_ascii_case("quick"),
                peer: text(c, "p"),
            })
        },
    },
    Signature {
        name: "session_status",
        proto: Proto::Any,
        sample: "%CRYPTO-5-SESSION_STATUS: Crypto tunnel is UP  .   Peer 10.1.1.2:500       Id: 10.1.1.2",
        literal: "%CRYPTO-",
        // IKEv2 tunnels: `%CRYPTO-5-IKEV2_SESSION_STATUS: Crypto tunnel v2 is UP.  Peer …`.
        pattern: r"^%CRYPTO-5-(?P<v2>IKEV2_)?SESSION_STATUS: Crypto tunnel (?:v2 )?is (?P<s>UP|DOWN)(?:.*?Peer (?P<p>[0-9.]+))?",
        build: |c| {
            Some(EventKind::SessionStatus {
                up: c.name("s")? == "UP",
                peer: text(c, "p"),
                v2: c.name("v2").is_some(),
            })
        },
    },
    Signature {
        name: "isakmp_on_off",
        proto: Proto::V1,
        sample: "%CRYPTO-6-ISAKMP_ON_OFF: ISAKMP is OFF",
        literal: "%CRYPTO-",
        pattern: r"^%CRYPTO-6-ISAKMP_ON_OFF: ISAKMP is (?P<s>ON|OFF)",
        build: |c| {
            Some(EventKind::IsakmpOnOff {
                on: c.name("s")? == "ON",
            })
        },
    },
    Signature {
        name: "csdl_warning",
        proto: Proto::Any,
        sample: "%CRYPTO-4-CSDL_COMPLIANCE_DISABLED: Cisco Secure Development Lifecycle compliance is disabled: algorithm des is not CSDL compliant",
        literal: "%CRYPTO-",
        pattern: r"not CSDL compliant",
        build: |_| Some(EventKind::Benign("csdl_warning")),
    },
    // --- debug crypto ikev2 (IOS-XE 16+; IOS 15 prints the same bodies after `IKEv2:(1):`) ---
    //
    // Sources of the wording: a published IOS-XE 16.7 `debug crypto ikev2` session (packets,
    // their exchange and payload lines, `Building packet for encryption`, the retransmissions,
    // `Initial exchange failed`, the identity and verification lines); Cisco's IKEv2 certificate
    // troubleshooting document (`% IKEv2 profile not found`, `Failed to locate an item in the
    // database`); published debugs of the same IKEv2 library on ASA and IOS-XE (`Failed to find a
    // matching policy` with the `Received Policies:` / `Expected Policies:` lists, `Failed to
    // authenticate the IKE SA`, `Auth exchange failed`, the method mismatch).
    Signature {
        name: "v2_packet_sent",
        proto: Proto::V2,
        sample: "Sending Packet [To 203.0.113.2:500/From 203.0.113.1:500/VRF i0:f0] ",
        literal: "acket ",
        // Address and port up to the slash (one pass); the port is cut off in `build`.
        pattern: r"^Sending Packet \[To (?P<peer>[^/\s]+)/From (?P<local>[^/\s]+)/",
        build: |c| {
            v2(V2Event::Packet {
                sent: true,
                peer: without_port(text(c, "peer")?),
                local: without_port(text(c, "local")?),
            })
        },
    },
    Signature {
        name: "v2_packet_received",
        proto: Proto::V2,
        sample: "Received Packet [From 203.0.113.2:500/To 203.0.113.1:500/VRF i0:f0] ",
        literal: "acket ",
        pattern: r"^Received Packet \[From (?P<peer>[^/\s]+)/To (?P<local>[^/\s]+)/",
        build: |c| {
            v2(V2Event::Packet {
                sent: false,
                peer: without_port(text(c, "peer")?),
                local: without_port(text(c, "local")?),
            })
        },
    },
    Signature {
        name: "v2_building",
        proto: Proto::V2,
        sample: "Building packet for encryption.  ",
        literal: "acket ",
        pattern: r"^Building packet for encryption",
        build: |_| v2(V2Event::Building),
    },
    Signature {
        name: "v2_retransmit",
        proto: Proto::V2,
        sample: "Retransmitting packet ",
        literal: "acket ",
        pattern: r"^Retransmitting packet",
        build: |_| v2(V2Event::Retransmit),
    },
    Signature {
        name: "v2_max_retransmissions",
        proto: Proto::V2,
        sample: "Maximum number of retransmissions reached",
        literal: "retransmi",
        pattern: r"^Maximum number of retransmissions reached",
        build: |_| v2(V2Event::MaxRetransmissions),
    },
    Signature {
        name: "v2_exchange",
        proto: Proto::V2,
        sample: "IKEv2 IKE_AUTH Exchange RESPONSE ",
        literal: " Exchange ",
        pattern: r"^IKEv2 (?P<x>[A-Z_]+) Exchange (?P<d>REQUEST|RESPONSE)",
        build: |c| {
            v2(V2Event::Exchange {
                exchange: V2Exchange::from_name(c.name("x")?)?,
                request: c.name("d")? == "REQUEST",
            })
        },
    },
    Signature {
        name: "v2_notify",
        proto: Proto::V2,
        sample: "VID IDr AUTH NOTIFY(AUTHENTICATION_FAILED) ",
        literal: "NOTIFY(",
        // Error notifies only (RFC 7296 §3.10.1, types below 16384): the status ones
        // (`NAT_DETECTION_SOURCE_IP`, `INITIAL_CONTACT` …) ride on every healthy exchange.
        pattern: r"NOTIFY\((?P<k>NO_PROPOSAL_CHOSEN|AUTHENTICATION_FAILED|TS_UNACCEPTABLE|INVALID_KE_PAYLOAD|INVALID_SYNTAX|CHILD_SA_NOT_FOUND|SINGLE_PAIR_REQUIRED|NO_ADDITIONAL_SAS|INTERNAL_ADDRESS_FAILURE|FAILED_CP_REQUIRED|INVALID_SELECTORS|TEMPORARY_FAILURE|UNSUPPORTED_CRITICAL_PAYLOAD|INVALID_IKE_SPI|INVALID_SPI|INVALID_MAJOR_VERSION|INVALID_MESSAGE_ID)\)",
        build: |c| {
            v2(V2Event::Notify {
                kind: text(c, "k")?,
            })
        },
    },
    Signature {
        name: "v2_policy",
        proto: Proto::V2,
        sample: "Proposal 1:  AES-CBC-256 SHA256 SHA256 DH_GROUP_2048_MODP/Group 14",
        literal: "Proposal ",
        pattern: r"^(?P<esp>ESP: )?Proposal \d+: +(?P<w>\S.*)",
        build: |c| {
            v2(V2Event::Policy {
                esp: c.name("esp").is_some(),
                received: None,
                words: text(c, "w")?,
            })
        },
    },
    Signature {
        name: "v2_policy_inline",
        proto: Proto::V2,
        sample: "Received Policies: : Failed to find a matching policyProposal 1:  ENCRYPTION: AES-CBC-128 PRF: SHA512 INTEGRITY: SHA512 DH GROUP: DH_GROUP_384_ECP/Group 20",
        literal: "ailed",
        pattern: r"^(?P<l>Received|Expected) Policies: : Failed to find a matching policy(?:(?P<esp>ESP: )?Proposal \d+: +(?P<w>\S.*))?",
        build: |c| {
            v2(V2Event::Policy {
                esp: c.name("esp").is_some(),
                received: Some(c.name("l")? == "Received"),
                words: text(c, "w").unwrap_or(""),
            })
        },
    },
    Signature {
        name: "v2_no_matching_policy",
        proto: Proto::V2,
        sample: "Failed to find a matching policy",
        literal: "ailed",
        pattern: r"^Failed to find a matching policy",
        build: |_| v2(V2Event::NoMatchingPolicy),
    },
    Signature {
        name: "v2_verification",
        proto: Proto::V2,
        sample: "Verification of peer's authenctication data PASSED",
        literal: "auth",
        // IOS spells it `authenctication`; a corrected spelling would read the same.
        pattern: r"^Verification of peer's authenc?tication data (?P<r>PASSED|FAILED)",
        build: |c| {
            v2(if c.name("r")? == "PASSED" {
                V2Event::AuthPassed
            } else {
                V2Event::AuthFailed
            })
        },
    },
    Signature {
        name: "v2_authenticate_failed",
        proto: Proto::V2,
        sample: "Failed to authenticate the IKE SA",
        literal: "ailed",
        pattern: r"^Failed to authenticate the IKE SA",
        build: |_| v2(V2Event::AuthFailed),
    },
    Signature {
        name: "v2_auth_value_differs",
        proto: Proto::V2,
        sample: "Computed authentication value for peer differs from what peer sent",
        literal: "auth",
        pattern: r"^Computed authentication value for peer differs",
        build: |_| v2(V2Event::AuthFailed),
    },
    Signature {
        name: "v2_method_mismatch",
        proto: Proto::V2,
        sample: "Peer authentication method configured is mismatching with the method proposed by peer",
        literal: "auth",
        pattern: r"^Peer authentication method configured is mismatching",
        build: |_| v2(V2Event::MethodMismatch),
    },
    Signature {
        name: "v2_peer_method",
        proto: Proto::V2,
        sample: "Peer's authentication method is 'PSK'",
        literal: "auth",
        pattern: r"^Peer's authentication method is '(?P<m>[^']*)'",
        build: |c| {
            v2(V2Event::PeerMethod {
                method: text(c, "m")?,
            })
        },
    },
    Signature {
        name: "v2_auth_exchange_failed",
        proto: Proto::V2,
        sample: "Auth exchange failed",
        literal: "ailed",
        pattern: r"^Auth exchange failed",
        build: |_| v2(V2Event::AuthExchangeFailed),
    },
    Signature {
        name: "v2_profile_not_found",
        proto: Proto::V2,
        sample: "% IKEv2 profile not found",
        literal: "not found",
        pattern: r"^% IKEv2 profile not found",
        build: |_| v2(V2Event::ProfileNotFound),
    },
    Signature {
        name: "v2_locate_failed",
        proto: Proto::V2,
        sample: "Failed to locate an item in the database",
        literal: "ailed",
        // IOS wraps the line on 80 columns: `Failed to` then `locate an item …` below.
        pattern: r"^Failed to(?:$|\s(?:locate an item|\s*$))",
        build: |_| v2(V2Event::LocateFailed),
    },
    Signature {
        name: "v2_verify_policy_failed",
        proto: Proto::V2,
        sample: "Failed to verify peer's policy",
        literal: "ailed",
        // An initiator checking the responder's answer against its profile.
        pattern: r"^Failed to verify peer's policy",
        build: |_| v2(V2Event::PolicyRefused),
    },
    Signature {
        name: "v2_peer_identity",
        proto: Proto::V2,
        sample: "Searching policy based on peer's identity '203.0.113.1' of type 'IPv4 address'",
        literal: "' of type '",
        pattern: r"^Searching policy based on peer's identity '(?P<id>[^']*)' of type '(?P<k>[^']*)'",
        build: |c| {
            v2(V2Event::PeerIdentity {
                id: text(c, "id")?,
                kind: text(c, "k")?,
            })
        },
    },
    Signature {
        name: "v2_own_identity",
        proto: Proto::V2,
        sample: "Constructing IDi payload: '203.0.113.1' of type 'IPv4 address'",
        literal: "' of type '",
        pattern: r"^Constructing ID[ir] payload: '(?P<id>[^']*)' of type '(?P<k>[^']*)'",
        build: |c| {
            v2(V2Event::OwnIdentity {
                id: text(c, "id")?,
                kind: text(c, "k")?,
            })
        },
    },
    Signature {
        name: "v2_initial_failed",
        proto: Proto::V2,
        sample: "Initial exchange failed: Initial exchange failed",
        literal: "ailed",
        pattern: r"^(?:Initial exchange failed|Failed SA init exchange)",
        build: |_| v2(V2Event::InitialFailed),
    },
];

/// The compiled table: one automaton over every row's literal, and per literal the rows that
/// carry it.
struct Compiled {
    matchers: Vec<Matcher>,
    /// The literal text an anchored pattern starts with, compared before its regex runs: most
    /// candidates of a line fail there, without the cost of a regex search.
    leads: Vec<Vec<u8>>,
    /// Group name → slot index, per row.
    names: Vec<Vec<(&'static str, usize)>>,
    literals: AhoCorasick,
    /// Per literal (the automaton's pattern id), the rows that carry it, in table order.
    rows_of: Vec<Vec<usize>>,
}

static COMPILED: LazyLock<Compiled> = LazyLock::new(|| {
    let mut unique: Vec<&'static str> = Vec::new();
    let mut rows_of: Vec<Vec<usize>> = Vec::new();
    for (i, s) in SIGNATURES.iter().enumerate() {
        match unique.iter().position(|l| *l == s.literal) {
            Some(k) => rows_of[k].push(i),
            None => {
                unique.push(s.literal);
                rows_of.push(vec![i]);
            }
        }
    }
    // The literals are in this file and covered by `every_sample_matches_its_pattern`: a
    // failure to build is a programming error.
    let literals = AhoCorasick::builder()
        .match_kind(MatchKind::LeftmostLongest)
        .build(&unique)
        .expect("signature literals build an automaton");
    let leads: Vec<Vec<u8>> = SIGNATURES.iter().map(|s| lead(s.pattern)).collect();
    let matchers: Vec<Matcher> = SIGNATURES
        .iter()
        .map(|s| {
            let (_, rest) = lead_and_rest(s.pattern);
            let one_pass = s.pattern.starts_with('^').then(|| {
                // Anchored at the end of the lead by the search, not by `^`.
                onepass::DFA::builder()
                    .syntax(syntax::Config::new().unicode(false).utf8(false))
                    .configure(onepass::Config::new().starts_for_each_pattern(false))
                    .build(rest)
                    .ok()
            });
            match one_pass.flatten() {
                Some(dfa) => Matcher::OnePass(Box::new(dfa)),
                // ASCII classes: IOS messages are ASCII, and Unicode-aware `\w`/`\S` make the
                // automata several times larger and slower. The patterns are literals in this
                // file, covered by `every_sample_matches_its_pattern`.
                None => Matcher::Meta(
                    RegexBuilder::new(s.pattern)
                        .unicode(false)
                        .build()
                        .expect("signature pattern compiles"),
                ),
            }
        })
        .collect();
    let names = SIGNATURES
        .iter()
        .zip(&matchers)
        .map(|(sig, m)| {
            let group_names: Vec<(usize, Option<&str>)> = match m {
                Matcher::OnePass(dfa) => dfa
                    .get_nfa()
                    .group_info()
                    .pattern_names(regex_automata::PatternID::ZERO)
                    .enumerate()
                    .collect(),
                Matcher::Meta(re) => re.capture_names().enumerate().collect(),
            };
            group_names
                .into_iter()
                .filter_map(|(i, n)| {
                    let n = n?;
                    // Names must outlive the table: find the same name inside the static pattern.
                    let start = sig.pattern.find(&format!("(?P<{n}>"))? + 4;
                    Some((&sig.pattern[start..start + n.len()], i))
                })
                .collect()
        })
        .collect();
    Compiled {
        matchers,
        leads,
        names,
        literals,
        rows_of,
    }
});

/// The plain text at the start of an anchored pattern (up to its first metacharacter); empty
/// when the pattern is not anchored or starts with a group.
fn lead(pattern: &'static str) -> Vec<u8> {
    lead_and_rest(pattern).0
}

/// The lead (see [`lead`]) and the rest of the pattern after it.
fn lead_and_rest(pattern: &'static str) -> (Vec<u8>, &'static str) {
    let Some(p) = pattern.strip_prefix('^') else {
        return (Vec::new(), pattern);
    };
    let b = p.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let (lit, next) = match c {
            b'\\' => match b.get(i + 1) {
                // An escaped punctuation mark is that character; `\w`, `\d`… end the lead.
                Some(&e) if e.is_ascii_punctuation() => (e, i + 2),
                _ => break,
            },
            c if c.is_ascii_alphanumeric()
                || matches!(
                    c,
                    b' ' | b'-' | b'_' | b'%' | b',' | b':' | b'!' | b'#' | b'/' | b'='
                ) =>
            {
                (c, i + 1)
            }
            _ => break,
        };
        // A quantifier after a character makes it optional: it is not part of the lead.
        if matches!(b.get(next), Some(b'?' | b'*' | b'+' | b'{')) {
            break;
        }
        out.push(lit);
        i = next;
    }
    (out, &p[i..])
}

/// Capture slots per row, reused line after line by whoever classifies a stream's lines.
#[derive(Clone)]
pub struct Scratch(Vec<Slot>);

impl Scratch {
    pub fn new() -> Scratch {
        let c = &*COMPILED;
        Scratch(
            c.matchers
                .iter()
                .map(|m| match m {
                    Matcher::OnePass(dfa) => {
                        Slot::OnePass(dfa.create_cache(), dfa.create_captures())
                    }
                    Matcher::Meta(re) => Slot::Meta(re.capture_locations()),
                })
                .collect(),
        )
    }
}

impl Default for Scratch {
    fn default() -> Scratch {
        Scratch::new()
    }
}

impl std::fmt::Debug for Scratch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Scratch")
    }
}

/// The rows whose literal occurs in a line: a bit per row, in table order. Rows are few
/// (under 128), so two words hold them without allocating.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Candidates([u64; 2]);

impl Candidates {
    pub fn is_empty(&self) -> bool {
        self.0 == [0, 0]
    }

    /// The rows, in table order.
    fn rows(self) -> impl Iterator<Item = usize> {
        self.0.into_iter().enumerate().flat_map(|(w, word)| {
            let mut bits = word;
            std::iter::from_fn(move || {
                (bits != 0).then(|| {
                    let b = bits.trailing_zeros() as usize;
                    bits &= bits - 1;
                    w * 64 + b
                })
            })
        })
    }
}

/// One scan of the literal automaton over `line`: the rows worth trying. Empty for most lines
/// of a capture, which then cost this scan and nothing more.
pub fn scan(line: &[u8]) -> Candidates {
    let c = &*COMPILED;
    let mut bits = [0u64; 2];
    for m in c.literals.find_iter(line) {
        for &row in &c.rows_of[m.pattern().as_usize()] {
            bits[row / 64] |= 1 << (row % 64);
        }
    }
    Candidates(bits)
}

/// The literals of a whole block of lines in one pass: each match's start and the rows its
/// literal belongs to. Scanning a block at once is several times faster than line by line.
pub fn block_hits(block: &[u8]) -> impl Iterator<Item = (usize, Candidates)> + '_ {
    let c = &*COMPILED;
    c.literals.find_iter(block).map(|m| {
        let mut bits = [0u64; 2];
        for &row in &c.rows_of[m.pattern().as_usize()] {
            bits[row / 64] |= 1 << (row % 64);
        }
        (m.start(), Candidates(bits))
    })
}

impl std::ops::BitOrAssign for Candidates {
    fn bitor_assign(&mut self, other: Candidates) {
        self.0[0] |= other.0[0];
        self.0[1] |= other.0[1];
    }
}

/// Whether any signature can match somewhere in `line`.
pub fn may_match(line: &[u8]) -> bool {
    !scan(line).is_empty()
}

/// The event a message body stands for, with the name of the signature that matched. The
/// body's facility is not known here: rows of either protocol may match.
pub fn classify(body: &str) -> Option<(&'static str, EventKind<'_>)> {
    classify_with(
        Facility::Other,
        body,
        scan(body.as_bytes()),
        &mut Scratch::new(),
    )
}

/// As [`classify`], for a body printed by `facility`, trying only `candidates` (from a
/// [`scan`] of the whole line).
pub fn classify_with<'a>(
    facility: Facility,
    body: &'a str,
    candidates: Candidates,
    scratch: &mut Scratch,
) -> Option<(&'static str, EventKind<'a>)> {
    let m = match_body(facility, body, candidates, scratch)?;
    build(body, &m)
}

/// The row among `candidates` whose pattern matches `body` (in table order), with its groups.
pub fn match_body(
    facility: Facility,
    body: &str,
    candidates: Candidates,
    scratch: &mut Scratch,
) -> Option<Matched> {
    if candidates.is_empty() {
        return None;
    }
    let c = &*COMPILED;
    for i in candidates.rows() {
        if !body.as_bytes().starts_with(&c.leads[i]) || !SIGNATURES[i].proto.reads(facility) {
            continue;
        }
        let mut spans = [None; MAX_GROUPS];
        let hit = match (&c.matchers[i], &mut scratch.0[i]) {
            (Matcher::OnePass(dfa), Slot::OnePass(cache, caps)) => {
                let input = Input::new(body.as_bytes())
                    .range(c.leads[i].len()..)
                    .anchored(Anchored::Yes);
                dfa.captures(cache, input, caps);
                for (g, span) in spans.iter_mut().enumerate() {
                    *span = caps.get_group(g).map(|s| (s.start as u32, s.end as u32));
                }
                caps.is_match()
            }
            (Matcher::Meta(re), Slot::Meta(locs)) => {
                let hit = re.captures_read(locs, body.as_bytes()).is_some();
                for (g, span) in spans.iter_mut().enumerate() {
                    *span = locs.get(g).map(|(a, b)| (a as u32, b as u32));
                }
                hit
            }
            _ => false,
        };
        if hit {
            return Some(Matched {
                row: i as u16,
                spans,
            });
        }
    }
    None
}

/// The event of a body matched by [`match_body`], with the name of its row. `None` when the
/// row's builder refuses what the groups hold (a number too large, a benign variant).
pub fn build<'a>(body: &'a str, m: &Matched) -> Option<(&'static str, EventKind<'a>)> {
    let c = &*COMPILED;
    let row = usize::from(m.row);
    let sig = SIGNATURES.get(row)?;
    let caps = Caps {
        body,
        spans: &m.spans,
        names: c.names.get(row)?,
    };
    (sig.build)(&caps).map(|e| (sig.name, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sample_matches_its_pattern() {
        for sig in SIGNATURES {
            let got = classify(sig.sample);
            assert!(got.is_some(), "{} does not match its sample", sig.name);
            assert_eq!(
                got.map(|g| g.0),
                Some(sig.name),
                "{}: an earlier row shadows it",
                sig.name
            );
        }
    }

    #[test]
    fn every_literal_is_in_its_sample_and_the_table_fits_the_bit_set() {
        // A literal missing from what the row matches would hide the row from the prefilter.
        for sig in SIGNATURES {
            assert!(
                sig.sample.contains(sig.literal),
                "{}: literal {:?} not in its sample",
                sig.name,
                sig.literal
            );
            assert!(sig.literal.len() >= 4, "{}: literal too short", sig.name);
        }
        assert!(SIGNATURES.len() <= 128);
    }

    #[test]
    fn leads_are_literal_prefixes_of_their_samples() {
        for sig in SIGNATURES {
            let l = lead(sig.pattern);
            assert!(
                sig.sample.as_bytes().starts_with(&l),
                "{}: lead {:?}",
                sig.name,
                String::from_utf8_lossy(&l)
            );
        }
        assert_eq!(
            lead(r"^Checking IPSec proposal (?P<n>\d+)"),
            b"Checking IPSec proposal "
        );
        assert_eq!(lead(r"^atts (?:are )?not acceptable"), b"atts ");
        assert_eq!(lead(r"^(?i:no offers accepted)"), b"");
        assert_eq!(lead(r"^IPSEC\(\w+\)"), b"IPSEC(");
        assert_eq!(
            lead(r"^life duration \(VPI\) of"),
            b"life duration (VPI) of"
        );
        assert_eq!(lead(r"^phase 2s?"), b"phase 2");
    }

    #[test]
    fn most_rows_run_one_pass() {
        // A row that is not one-pass goes through the general engine, several times slower:
        // only rare lines may afford it.
        let slow: Vec<&str> = SIGNATURES
            .iter()
            .zip(&COMPILED.matchers)
            .filter(|(_, m)| matches!(m, Matcher::Meta(_)))
            .map(|(s, _)| s.name)
            .collect();
        assert!(
            slow.iter().all(|n| [
                "transform_not_supported",
                "invalid_spi",
                "cleartext",
                "aggressive_refused",
                "session_status",
                "csdl_warning",
                // Unanchored: the notify may come anywhere in a payload list.
                "v2_notify"
            ]
            .contains(n)),
            "{slow:?}"
        );
    }

    #[test]
    fn literals_fit_slim_teddy() {
        // Up to 32 literals of 4 bytes or more, aho-corasick scans with its fastest SIMD
        // searcher; beyond, a slower one. Rows share a literal rather than grow the set.
        let mut lits: Vec<&str> = SIGNATURES.iter().map(|s| s.literal).collect();
        lits.sort_unstable();
        lits.dedup();
        assert!(lits.len() <= 32, "{} literals", lits.len());
    }

    #[test]
    fn groups_fit_the_span_array() {
        for (sig, names) in SIGNATURES.iter().zip(&COMPILED.names) {
            assert!(
                names.iter().all(|(_, i)| *i < MAX_GROUPS),
                "{} has more than {MAX_GROUPS} groups",
                sig.name
            );
        }
    }

    #[test]
    fn names_are_unique() {
        let mut names: Vec<_> = SIGNATURES.iter().map(|s| s.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), SIGNATURES.len());
    }

    #[test]
    fn vpi_lifetime_decodes() {
        assert_eq!(vpi_bytes("0x0 0x1 0x51 0x80"), Some(86_400));
        assert_eq!(vpi_bytes("0x0 0x46 0x50 0x0"), Some(4_608_000));
        assert_eq!(vpi_bytes("0x0 0xzz"), None);
    }

    #[test]
    fn unrelated_lines_are_not_events() {
        for body in [
            "processing vendor id payload",
            "encryption algorithm:   AES - Advanced Encryption Standard (256 bit keys).",
            "hash algorithm:         Secure Hash Standard",
            "SA life duration (basic) of 3600",
            "processing HASH payload. message ID = 0",
            "incrementing error counter on sa, attempt 1 of 5: reset_retransmission",
            "Locking peer struct 0x8000730939973C58, refcount 1 for isakmp_initiator",
        ] {
            assert_eq!(classify(body), None, "{body}");
        }
    }

    #[test]
    fn older_and_newer_wordings() {
        let cases: &[(&str, EventKind)] = &[
            (
                "retransmitting phase 1...",
                EventKind::Retransmit {
                    phase: 1,
                    state: None,
                },
            ),
            (
                "incrementing error counter on sa: retransmit phase 1",
                EventKind::RetransmitAttempt {
                    attempt: None,
                    of: None,
                },
            ),
            (
                "received packet from 10.10.10.2 (N) NEW SA",
                EventKind::PacketReceived {
                    peer: "10.10.10.2",
                    role: None,
                    state: "NEW",
                },
            ),
            (
                "IPSEC(validate_proposal): transform proposal (prot 3, trans 2, hmac_alg 1) not supported",
                EventKind::TransformNotSupported,
            ),
            (
                "IPSec policy invalidated proposal",
                EventKind::PolicyInvalidated { error: None },
            ),
            (
                "SA not acceptable!",
                EventKind::SaNotAcceptable {
                    phase: None,
                    local: None,
                    remote: None,
                },
            ),
            (
                "phase 1 SA policy not acceptable! (local 203.0.113.2 remote 203.0.113.1)",
                EventKind::SaNotAcceptable {
                    phase: Some(1),
                    local: Some("203.0.113.2"),
                    remote: Some("203.0.113.1"),
                },
            ),
            (
                "atts not acceptable. Next payload is 0",
                EventKind::AttsNotAcceptable,
            ),
            (
                "(key eng. msg.) dest= 10.2.2.2, src= 10.1.1.1,",
                EventKind::KeyEngine {
                    local: None,
                    remote: None,
                    src: Some("10.1.1.1"),
                    dest: Some("10.2.2.2"),
                },
            ),
            (
                "(key eng. msg.) OUTBOUND local= 10.1.1.1, remote= 10.2.2.2, local_proxy= 192.168.1.0/255.255.255.0/0/0 (type=4),",
                EventKind::KeyEngine {
                    local: Some("10.1.1.1"),
                    remote: Some("10.2.2.2"),
                    src: None,
                    dest: None,
                },
            ),
        ];
        for (body, want) in cases {
            assert_eq!(classify(body).map(|e| e.1).as_ref(), Some(want), "{body}");
        }
    }

    #[test]
    fn the_prefilter_passes_every_sample_and_rejects_noise() {
        for sig in SIGNATURES {
            assert!(may_match(sig.sample.as_bytes()), "{}", sig.name);
        }
        assert!(!may_match(
            b"*Nov 26 10:15:40.101: ISAKMP:(0):Input = IKE_MESG_FROM_PEER, IKE_MM_EXCH"
        ));
    }
}
