//! The debug-line signature table: every message the engine understands, in one place.
//!
//! Each entry is a real message body (after [`super::prelude`] removed timestamp and prefix),
//! the pattern that recognises it, and the event it becomes. A network engineer adding a message
//! adds a row here and nothing else. Patterns are anchored at the start of the body so that the
//! combined matcher rejects most lines after a few bytes.

use crate::engine::event::{EventKind, P1Attr, P1AttrKind, P2Attr, Role};
use regex::bytes::{CaptureLocations, Regex, RegexBuilder};
use std::cell::RefCell;
use std::sync::LazyLock;

/// The groups of one match, read from reused capture slots (no allocation per line).
pub struct Caps<'a> {
    body: &'a str,
    locs: &'a CaptureLocations,
    names: &'a [(&'static str, usize)],
}

impl<'a> Caps<'a> {
    pub fn name(&self, name: &str) -> Option<&'a str> {
        // Two or three names per row: a scan beats hashing.
        let i = self.names.iter().find(|(n, _)| *n == name)?.1;
        let (start, end) = self.locs.get(i)?;
        self.body.get(start..end)
    }
}

pub struct Signature {
    /// Short stable name, used in tests and `--explain` output.
    pub name: &'static str,
    /// A body exactly as a router prints it.
    pub sample: &'static str,
    pub pattern: &'static str,
    build: fn(&Caps) -> Option<EventKind>,
}

fn text(c: &Caps, name: &str) -> Option<String> {
    c.name(name).map(|m| m.trim().to_string())
}

fn num<T: std::str::FromStr>(c: &Caps, name: &str) -> Option<T> {
    c.name(name)?.trim().parse().ok()
}

fn role(c: &Caps) -> Option<Role> {
    match c.name("role")? {
        "I" => Some(Role::Initiator),
        _ => Some(Role::Responder),
    }
}

/// `0x0 0x1 0x51 0x80` → 86400: IOS prints long lifetimes as the attribute's raw bytes.
fn vpi_bytes(s: &str) -> Option<u64> {
    s.split_whitespace().try_fold(0u64, |acc, b| {
        let v = u64::from_str_radix(b.trim_start_matches("0x"), 16).ok()?;
        acc.checked_mul(256)?.checked_add(v)
    })
}

pub static SIGNATURES: &[Signature] = &[
    Signature {
        name: "peer_created",
        sample: "Created a peer struct for 203.0.113.1, peer port 500",
        pattern: r"^Created a peer struct for (?P<peer>[^,\s]+)",
        build: |c| {
            Some(EventKind::PeerCreated {
                peer: text(c, "peer")?,
            })
        },
    },
    Signature {
        name: "main_mode_begin",
        sample: "beginning Main Mode exchange",
        pattern: r"^beginning Main Mode exchange",
        build: |_| Some(EventKind::MainModeBegin),
    },
    Signature {
        name: "packet_sent",
        sample: "sending packet to 203.0.113.1 my_port 500 peer_port 500 (I) MM_NO_STATE",
        pattern: r"^sending packet to (?P<peer>\S+) (?:my_port \d+ peer_port \d+ )?\((?P<role>[IR])\) (?P<state>\w+)",
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
        sample: "received packet from 203.0.113.1 dport 500 sport 500 Global (I) MM_NO_STATE",
        pattern: r"^received packet from (?P<peer>\S+) (?:dport \d+ sport \d+ )?(?:\S+ )?\((?P<role>[IR])\) (?P<state>\w+)",
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
        sample: "retransmitting phase 1 MM_NO_STATE...",
        pattern: r"^retransmitting phase (?P<phase>[12]) (?P<state>[A-Z_0-9]+)",
        build: |c| {
            Some(EventKind::Retransmit {
                phase: num(c, "phase")?,
                state: text(c, "state")?,
            })
        },
    },
    Signature {
        name: "retransmit_attempt",
        sample: "incrementing error counter on sa, attempt 2 of 5: retransmit phase 1",
        pattern: r"^incrementing error counter on (?:sa|node), attempt (?P<n>\d+) of (?P<of>\d+)",
        build: |c| {
            Some(EventKind::RetransmitAttempt {
                attempt: num(c, "n")?,
                of: num(c, "of")?,
            })
        },
    },
    Signature {
        name: "state_change",
        sample: "Old State = IKE_I_MM1  New State = IKE_I_MM2 ",
        pattern: r"^Old State = (?P<old>\w+)\s+New State = (?P<new>\w+)",
        build: |c| {
            Some(EventKind::StateChange {
                old: text(c, "old")?,
                new: text(c, "new")?,
            })
        },
    },
    Signature {
        name: "sa_deleted",
        sample: r#"deleting SA reason "Death by retransmission P1" state (I) MM_NO_STATE (peer 203.0.113.2)"#,
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
        sample: "phase 1 packet is a duplicate of a previous packet.",
        pattern: r"^phase 1 packet is a duplicate of a previous packet",
        build: |_| Some(EventKind::DuplicatePacket),
    },
    Signature {
        name: "policy_check",
        sample: "Checking ISAKMP transform 1 against priority 10 policy",
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
        sample: "encryption AES-CBC",
        pattern: r"^encryption (?P<v>[A-Z0-9][A-Z0-9_-]*)\s*$",
        build: |c| Some(EventKind::OfferedP1(P1Attr::Encryption(text(c, "v")?))),
    },
    Signature {
        name: "offered_keylength",
        sample: "keylength of 256",
        pattern: r"^keylength of (?P<v>\d+)",
        build: |c| Some(EventKind::OfferedP1(P1Attr::KeyLength(num(c, "v")?))),
    },
    Signature {
        name: "offered_hash",
        sample: "hash SHA",
        pattern: r"^hash (?P<v>[A-Z0-9][A-Za-z0-9_-]*)\s*$",
        build: |c| Some(EventKind::OfferedP1(P1Attr::Hash(text(c, "v")?))),
    },
    Signature {
        name: "offered_group",
        sample: "default group 14",
        pattern: r"^default group (?P<v>\d+)",
        build: |c| Some(EventKind::OfferedP1(P1Attr::Group(num(c, "v")?))),
    },
    Signature {
        name: "offered_auth",
        sample: "auth pre-share",
        pattern: r"^auth (?P<v>[A-Za-z][A-Za-z0-9-]*)\s*$",
        build: |c| Some(EventKind::OfferedP1(P1Attr::Auth(text(c, "v")?))),
    },
    Signature {
        name: "offered_life_basic",
        sample: "life duration (basic) of 3600",
        pattern: r"^life duration \(basic\) of (?P<v>\d+)",
        build: |c| Some(EventKind::OfferedP1(P1Attr::Lifetime(num(c, "v")?))),
    },
    Signature {
        name: "offered_life_vpi",
        sample: "life duration (VPI) of  0x0 0x1 0x51 0x80 ",
        pattern: r"^life duration \(VPI\) of\s+(?P<v>(?:0x[0-9A-Fa-f]+\s*)+)",
        build: |c| {
            Some(EventKind::OfferedP1(P1Attr::Lifetime(vpi_bytes(
                c.name("v")?,
            )?)))
        },
    },
    Signature {
        name: "p1_attribute_mismatch",
        sample: "Hash algorithm offered does not match policy!",
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
        sample: "Preshared authentication offered but does not match policy!",
        pattern: r"^Preshared authentication offered but does not match policy",
        build: |_| Some(EventKind::PresharedOfferedNoKey),
    },
    Signature {
        name: "atts_not_acceptable",
        sample: "atts are not acceptable. Next payload is 0",
        pattern: r"^atts (?:are )?not acceptable",
        build: |_| Some(EventKind::AttsNotAcceptable),
    },
    Signature {
        name: "atts_acceptable",
        sample: "atts are acceptable. Next payload is 0",
        pattern: r"^atts are acceptable",
        build: |_| Some(EventKind::AttsAcceptable),
    },
    Signature {
        name: "no_offers_accepted",
        sample: "No offers accepted!",
        pattern: r"^(?i:no offers accepted)",
        build: |_| Some(EventKind::NoOffersAccepted),
    },
    Signature {
        name: "actual_lifetime",
        sample: "Returning Actual lifetime: 86400",
        pattern: r"^Returning Actual lifetime: (?P<v>\d+)",
        build: |c| Some(EventKind::ActualLifetime(num(c, "v")?)),
    },
    Signature {
        name: "psk_found",
        sample: "found peer pre-shared key matching 203.0.113.1",
        pattern: r"^found peer pre-shared key matching (?P<peer>\S+)",
        build: |c| {
            Some(EventKind::PskFound {
                peer: text(c, "peer")?,
            })
        },
    },
    Signature {
        name: "psk_missing",
        sample: "No pre-shared key with 203.0.113.1!",
        pattern: r"^No pre-shared key with (?P<peer>[^!\s]+)",
        build: |c| {
            Some(EventKind::PskMissing {
                peer: text(c, "peer")?,
            })
        },
    },
    Signature {
        name: "authenticated",
        sample: "SA has been authenticated with 203.0.113.1",
        pattern: r"^SA has been authenticated with (?P<peer>\S+)",
        build: |c| {
            Some(EventKind::Authenticated {
                peer: text(c, "peer")?,
            })
        },
    },
    Signature {
        name: "bad_message",
        sample: "%CRYPTO-4-IKMP_BAD_MESSAGE: IKE message from 203.0.113.2 failed its sanity check or is malformed",
        pattern: r"^%CRYPTO-4-IKMP_BAD_MESSAGE: IKE message from (?P<peer>[^\s,]+)",
        build: |c| {
            Some(EventKind::BadMessage {
                peer: text(c, "peer")?,
            })
        },
    },
    Signature {
        name: "quick_mode_begin",
        sample: "beginning Quick Mode exchange, M-ID of 1327257875",
        pattern: r"^beginning Quick Mode exchange",
        build: |_| Some(EventKind::QuickModeBegin),
    },
    Signature {
        name: "ipsec_proposal_check",
        sample: "Checking IPSec proposal 1",
        pattern: r"^Checking IPSec proposal (?P<n>\d+)",
        build: |c| {
            Some(EventKind::IpsecProposalCheck {
                proposal: num(c, "n")?,
            })
        },
    },
    Signature {
        name: "offered_transform",
        sample: "transform 1, ESP_AES ",
        pattern: r"^transform \d+, (?P<v>\w+)",
        build: |c| Some(EventKind::OfferedP2(P2Attr::Transform(text(c, "v")?))),
    },
    Signature {
        name: "offered_encaps",
        sample: "encaps is 1 (Tunnel)",
        pattern: r"^encaps is (?P<v>\d+(?: \([^)]*\))?)",
        build: |c| Some(EventKind::OfferedP2(P2Attr::Encapsulation(text(c, "v")?))),
    },
    Signature {
        name: "offered_authenticator",
        sample: "authenticator is HMAC-SHA",
        pattern: r"^authenticator is (?P<v>\S+)",
        build: |c| Some(EventKind::OfferedP2(P2Attr::Authenticator(text(c, "v")?))),
    },
    Signature {
        name: "offered_p2_keylength",
        sample: "key length is 256",
        pattern: r"^key length is (?P<v>\d+)",
        build: |c| Some(EventKind::OfferedP2(P2Attr::KeyLength(num(c, "v")?))),
    },
    Signature {
        name: "offered_pfs_group",
        sample: "group is 14",
        pattern: r"^group is (?P<v>\d+)",
        build: |c| Some(EventKind::OfferedP2(P2Attr::PfsGroup(num(c, "v")?))),
    },
    Signature {
        name: "policy_invalidated",
        sample: "IPSec policy invalidated proposal with error 32",
        pattern: r"^(?i:IPSec policy invalidated proposal with error) (?P<e>\d+)",
        build: |c| {
            Some(EventKind::PolicyInvalidated {
                error: num(c, "e")?,
            })
        },
    },
    Signature {
        name: "phase2_not_acceptable",
        sample: "phase 2 SA policy not acceptable! (local 203.0.113.1 remote 203.0.113.30)",
        pattern: r"^(?i:phase 2 SA policy not acceptable)!?(?: \(local (?P<l>\S+) remote (?P<r>[^)\s]+)\))?",
        build: |c| {
            Some(EventKind::Phase2NotAcceptable {
                local: text(c, "l"),
                remote: text(c, "r"),
            })
        },
    },
    Signature {
        name: "proxy_ids_not_supported",
        sample: "IPSEC(validate_transform_proposal): proxy identities not supported",
        pattern: r"^IPSEC\(\w+\): proxy identities not supported",
        build: |_| Some(EventKind::ProxyIdsNotSupported),
    },
    Signature {
        name: "transform_not_supported",
        sample: "IPSEC(ipsec_process_proposal): transform proposal not supported for identity:",
        pattern: r"^IPSEC\(\w+\): transform proposal not supported",
        build: |_| Some(EventKind::TransformNotSupported),
    },
    Signature {
        name: "notify_sent",
        sample: "Sending NOTIFY PROPOSAL_NOT_CHOSEN protocol 3",
        pattern: r"^(?:Sending|sending) NOTIFY (?P<k>[A-Z_]+)",
        build: |c| {
            Some(EventKind::NotifySent {
                kind: text(c, "k")?,
            })
        },
    },
    Signature {
        name: "notify_received",
        sample: "processing NOTIFY PROPOSAL_NOT_CHOSEN protocol 3",
        pattern: r"^processing NOTIFY (?P<k>[A-Z_]+)",
        build: |c| {
            Some(EventKind::NotifyReceived {
                kind: text(c, "k")?,
            })
        },
    },
    Signature {
        name: "sa_installed",
        sample: "Successfully installed IPSEC SA (SPI:0xDA9E8DCA) on Ethernet0/0",
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
        sample: r#"deleting node 570535495 error TRUE reason "QM rejected""#,
        pattern: r#"^deleting node \d+ error (?P<e>TRUE|FALSE) reason "(?P<r>[^"]*)""#,
        build: |c| {
            Some(EventKind::NodeDeleted {
                error: c.name("e")? == "TRUE",
                reason: text(c, "r")?,
            })
        },
    },
    Signature {
        name: "invalid_spi",
        sample: "%CRYPTO-4-RECVD_PKT_INV_SPI: decaps: rec'd IPSEC packet has invalid spi for destaddr=203.0.113.1, prot=50, spi=0x4F3B1C2D(1329273901), srcaddr=203.0.113.2",
        pattern: r"^%CRYPTO-4-RECVD_PKT_INV_SPI:(?:.*srcaddr=(?P<peer>[0-9.]+))?",
        build: |c| {
            Some(EventKind::InvalidSpi {
                peer: text(c, "peer"),
            })
        },
    },
    Signature {
        name: "isakmp_on_off",
        sample: "%CRYPTO-6-ISAKMP_ON_OFF: ISAKMP is OFF",
        pattern: r"^%CRYPTO-6-ISAKMP_ON_OFF: ISAKMP is (?P<s>ON|OFF)",
        build: |c| {
            Some(EventKind::IsakmpOnOff {
                on: c.name("s")? == "ON",
            })
        },
    },
    Signature {
        name: "paranoid_keepalives",
        sample: "peer does not do paranoid keepalives.",
        pattern: r"^peer does not do paranoid keepalives",
        build: |_| Some(EventKind::Benign("paranoid_keepalives")),
    },
    Signature {
        name: "csdl_warning",
        sample: "%CRYPTO-4-CSDL_COMPLIANCE_DISABLED: Cisco Secure Development Lifecycle compliance is disabled: algorithm des is not CSDL compliant",
        pattern: r"not CSDL compliant",
        build: |_| Some(EventKind::Benign("csdl_warning")),
    },
];

/// The compiled table with a prefilter: most debug lines are noise (`processing vendor id
/// payload`), and looking up the first three letters of the body rejects them without running
/// any regex. Only the rows whose pattern can start with those letters are tried, in table order.
struct Compiled {
    regexes: Vec<Regex>,
    /// Group name → slot index, per row.
    names: Vec<Vec<(&'static str, usize)>>,
    /// By the body's first letter (lower-cased ASCII): (first three letters, row, literal prefix
    /// the body must start with), in table order. A short list per letter, scanned.
    by_first: Vec<Vec<([u8; 3], usize, String)>>,
    /// Rows whose pattern is not anchored at the start: tried on every body.
    anywhere: Vec<usize>,
}

static COMPILED: LazyLock<Compiled> = LazyLock::new(|| {
    let mut by_first: Vec<Vec<([u8; 3], usize, String)>> = vec![Vec::new(); 256];
    let mut anywhere = Vec::new();
    let regexes = SIGNATURES
        .iter()
        .enumerate()
        .map(|(i, s)| {
            match leads(s.pattern) {
                Some(lits) => {
                    for lit in lits {
                        let k = key(lit.as_bytes());
                        by_first[usize::from(k[0])].push((k, i, lit));
                    }
                }
                None => anywhere.push(i),
            }
            // The patterns are literals in this file and covered by
            // `every_sample_matches_its_pattern`: a failure is a programming error.
            // ASCII classes: IOS messages are ASCII, and Unicode-aware `\w`/`\S` make the
            // automata several times larger and slower.
            RegexBuilder::new(s.pattern)
                .unicode(false)
                .build()
                .expect("signature pattern compiles")
        })
        .collect();
    let names = SIGNATURES
        .iter()
        .zip(&regexes)
        .map(|(sig, re): (&Signature, &Regex)| {
            re.capture_names()
                .enumerate()
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
        regexes,
        names,
        by_first,
        anywhere,
    }
});

thread_local! {
    /// Capture slots per row, reused line after line.
    static SLOTS: RefCell<Vec<CaptureLocations>> =
        RefCell::new(COMPILED.regexes.iter().map(Regex::capture_locations).collect());
}

/// The literal texts a body must start with for `pattern` to match (lower-cased, compared
/// without case), or `None` when the pattern is not anchored. Understands the forms the table
/// uses: a literal, `(?i:…)`, and a leading group of literal alternatives `(?:A|B)` / `(?P<n>A|B)`.
fn leads(pattern: &str) -> Option<Vec<String>> {
    let p = pattern.strip_prefix('^')?;
    let p = p.strip_prefix("(?i:").unwrap_or(p);
    let alts: Vec<&str> = if let Some(g) = p.strip_prefix("(?:").or_else(|| {
        p.strip_prefix("(?P<")
            .and_then(|r| r.find('>').map(|i| &r[i + 1..]))
    }) {
        g[..g.find(')')?].split('|').collect()
    } else {
        vec![p]
    };
    alts.iter()
        .map(|a| {
            let lit: String = a
                .chars()
                .take_while(|c| {
                    c.is_ascii_alphanumeric() || matches!(c, ' ' | '%' | '-' | '_' | ':' | ',')
                })
                .collect::<String>()
                .to_ascii_lowercase();
            (lit.len() >= 3).then_some(lit)
        })
        .collect()
}

fn key(lit: &[u8]) -> [u8; 3] {
    [
        lit[0].to_ascii_lowercase(),
        lit[1].to_ascii_lowercase(),
        lit[2].to_ascii_lowercase(),
    ]
}

fn lead_of(body: &str) -> Option<[u8; 3]> {
    let b = body.as_bytes();
    (b.len() >= 3).then(|| key(b))
}

/// The event a message body stands for, with the name of the signature that matched.
pub fn classify(body: &str) -> Option<(&'static str, EventKind)> {
    let c = &*COMPILED;
    let lead = lead_of(body);
    let anchored = lead
        .map(|k| c.by_first[usize::from(k[0])].as_slice())
        .unwrap_or(&[]);
    // The whole literal prefix is compared before any regex runs: `Sending an IKE IPv4 Packet.`
    // shares its first letters with `sending packet to`, not its prefix.
    let b = body.as_bytes();
    let candidates = anchored
        .iter()
        .filter(|(k, _, lit)| {
            Some(*k) == lead
                && b.len() >= lit.len()
                && b[..lit.len()].eq_ignore_ascii_case(lit.as_bytes())
        })
        .map(|(_, i, _)| *i);
    SLOTS.with(|slots| {
        let mut slots = slots.borrow_mut();
        for i in candidates.chain(c.anywhere.iter().copied()) {
            let re = &c.regexes[i];
            // Rows without groups only need a yes/no, which the DFA answers fastest.
            let hit = if re.captures_len() == 1 {
                re.is_match(body.as_bytes())
            } else {
                re.captures_read(&mut slots[i], body.as_bytes()).is_some()
            };
            if hit {
                let sig = &SIGNATURES[i];
                let caps = Caps {
                    body,
                    locs: &slots[i],
                    names: &c.names[i],
                };
                return (sig.build)(&caps).map(|e| (sig.name, e));
            }
        }
        None
    })
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
    fn anchored_rows_have_a_prefilter_key() {
        // A row without a key would silently never match; one that is not anchored is
        // tried on every line, which only the rare unanchored rows may afford.
        for sig in SIGNATURES {
            if sig.pattern.starts_with('^') {
                assert!(
                    leads(sig.pattern).is_some(),
                    "{} has no literal lead",
                    sig.name
                );
            }
        }
        assert!(COMPILED.anywhere.len() <= 2);
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
        ] {
            assert_eq!(classify(body), None, "{body}");
        }
    }
}
