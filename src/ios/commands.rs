//! The command tables: one row per IOS command we model, a real sample line above each
//! pattern, grouped by the block the command lives in. A block also lists the commands it
//! knows but that change nothing IPsec depends on, so they are skipped without complaint.

use super::acl::{self, AccessList, AclKind};
use super::addr::Ipv4Net;
use super::commands_ikev2 as v2;
use super::config::{Builder, KeyringDraft};
use super::lex::{Bad, Line};
use super::model::{
    AUTH_METHODS, Attr, Credential, CryptoMapEntry, CryptoMapLocalAddress, DhGroup, ENCRYPTIONS,
    EspCipher, HASHES, Identity, Interface, IpsecMode, IsakmpPolicy, Keepalive, MapKind, Peer,
    PresharedKey, StaticRoute, TRANSFORMS, Transform, TransformSet, User,
};
use super::tunnel::Tunnel;
use crate::secret::Secret;
use regex::{Captures, Regex};
use std::net::Ipv4Addr;
use std::str::FromStr;
use std::sync::LazyLock;

/// The block the walker is in: which table reads the indented lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Block {
    /// Top level, nothing open.
    None,
    /// A block of a feature we do not model (`line vty 0 4`, `crypto pki trustpoint …`).
    Skip,
    Policy(usize),
    Keyring(usize),
    TransformSet(usize),
    Map(usize),
    DynamicMap(usize),
    Acl(usize),
    Interface(usize),
    Ikev2Proposal(usize),
    Ikev2Policy(usize),
    Ikev2Keyring(usize),
    Ikev2Profile(usize),
    IpsecProfile(usize),
    IsakmpProfile(usize),
}

/// What one line did.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// Understood; the open block stays open.
    Done,
    /// Understood, and it opens this block.
    Open(Block),
    /// Not a line of anything we model (at top level: it opens a block we ignore).
    Unrelated,
    /// Inside a modelled section but not understood.
    Bad(Bad),
    /// Opens a block but has a fault (the block's lines are still read).
    BadOpen(Bad, Block),
}

/// The matched line, for the row that matched it.
pub(crate) struct Ctx<'a> {
    caps: Captures<'a>,
    /// 1-based line number.
    pub(super) n: usize,
    pub(super) line: &'a Line,
}

impl Ctx<'_> {
    pub(super) fn get(&self, name: &str) -> Option<&str> {
        self.caps.name(name).map(|m| m.as_str())
    }

    pub(super) fn at(&self, name: &str) -> usize {
        self.caps.name(name).map_or(0, |m| m.start())
    }

    pub(super) fn bad(&self, name: &str, message: impl Into<String>) -> Bad {
        Bad::new(self.at(name), message)
    }

    pub(super) fn text(&self, name: &str) -> String {
        self.get(name).unwrap_or_default().to_string()
    }

    pub(super) fn ip(&self, name: &str) -> Result<Ipv4Addr, Bad> {
        let word = self.get(name).unwrap_or_default();
        word.parse()
            .map_err(|_| self.bad(name, format!("`{word}` is not an IPv4 address")))
    }

    pub(super) fn num<T: FromStr + PartialOrd + Copy + std::fmt::Display>(
        &self,
        name: &str,
        min: T,
        max: T,
    ) -> Result<T, Bad> {
        let word = self.get(name).unwrap_or_default();
        match word.parse::<T>() {
            Ok(v) if v >= min && v <= max => Ok(v),
            _ => Err(self.bad(
                name,
                format!("`{word}` is not a number from {min} to {max}"),
            )),
        }
    }

    pub(super) fn lookup<T: Copy>(
        &self,
        name: &str,
        table: &[(&str, T)],
        what: &str,
    ) -> Result<T, Bad> {
        let word = self.get(name).unwrap_or_default();
        table
            .iter()
            .find(|(w, _)| *w == word)
            .map(|(_, v)| *v)
            .ok_or_else(|| {
                let known: Vec<&str> = table.iter().map(|(w, _)| *w).collect();
                self.bad(
                    name,
                    format!("unknown {what} `{word}` (IOS knows {})", known.join(", ")),
                )
            })
    }

    /// `[type] secret` as a credential; the type digit defaults to 0 (clear text).
    pub(super) fn credential(&self, kind: &str, secret: &str) -> Credential {
        Credential {
            secret: Secret::new(self.text(secret)),
            kind: self.get(kind).and_then(|k| k.parse().ok()).unwrap_or(0),
            line: self.n,
        }
    }

    /// `address A [M]` as the prefix a key applies to (no mask: that one host).
    pub(super) fn peer_net(&self, addr: &str, mask: &str) -> Result<Ipv4Net, Bad> {
        let a = self.ip(addr)?;
        match self.get(mask) {
            None => Ok(Ipv4Net::host(a)),
            Some(_) => Ipv4Net::from_mask(a, self.ip(mask)?)
                .ok_or_else(|| self.bad(mask, "the mask is not contiguous")),
        }
    }
}

pub(super) type Apply<T> = fn(&Ctx<'_>, &mut T) -> Result<(), Bad>;
pub(super) type TopApply = fn(&Ctx<'_>, &mut Builder) -> Result<Outcome, Bad>;

pub(super) struct Rows<T> {
    pub(super) rows: Vec<(Regex, T)>,
    /// Commands known to IOS that change nothing we model (matched as whole leading words).
    unmodelled: &'static [&'static str],
}

pub(super) fn rows<T: Copy>(spec: &[(&str, T)], unmodelled: &'static [&'static str]) -> Rows<T> {
    Rows {
        rows: spec
            .iter()
            // The patterns are constants of this file; a test compiles every one of them.
            .filter_map(|(p, f)| Regex::new(p).ok().map(|r| (r, *f)))
            .collect(),
        unmodelled,
    }
}

fn is_unmodelled(list: &[&str], text: &str) -> bool {
    let text = text.strip_prefix("no ").unwrap_or(text);
    list.iter()
        .any(|p| text == *p || text.strip_prefix(p).is_some_and(|r| r.starts_with(' ')))
}

// ---------------------------------------------------------------------------------------
// Top level
// ---------------------------------------------------------------------------------------

static TOP: LazyLock<Rows<TopApply>> = LazyLock::new(|| {
    rows::<TopApply>(
        &[
            // hostname R1
            (r"^hostname (?P<name>\S+)$", |c, b| {
                b.cfg.hostname = Some(c.text("name"));
                Ok(Outcome::Done)
            }),
            // enable secret 5 $1$mERr$hx5rVt7rPNoS4wqbXKX7m0
            (
                r"^enable secret (?:(?P<kind>[0-9]) )?(?P<secret>\S+)$",
                |c, b| {
                    b.cfg.enable_secret = Some(c.credential("kind", "secret"));
                    Ok(Outcome::Done)
                },
            ),
            // enable password 7 0822455D0A16
            (
                r"^enable password (?:(?P<kind>[0-9]) )?(?P<secret>\S+)$",
                |c, b| {
                    b.cfg.enable_password = Some(c.credential("kind", "secret"));
                    Ok(Outcome::Done)
                },
            ),
            // username admin privilege 15 secret 5 $1$vK7N$u1XvJ3dZqg0vZrYz1m9Gz.
            (
                r"^username (?P<name>\S+)(?: privilege (?P<priv>\d+))?(?: algorithm-type \S+)? (?:secret|password) (?:(?P<kind>[0-9]) )?(?P<secret>\S+)$",
                |c, b| {
                    let privilege = match c.get("priv") {
                        Some(_) => Some(c.num("priv", 0u8, 15)?),
                        None => None,
                    };
                    b.cfg.users.push(User {
                        name: c.text("name"),
                        privilege,
                        credential: c.credential("kind", "secret"),
                    });
                    Ok(Outcome::Done)
                },
            ),
            // no crypto isakmp
            (r"^no crypto isakmp(?: enable)?$", |c, b| {
                b.cfg.isakmp_enabled = false;
                b.cfg.isakmp_disabled_line = Some(c.n);
                Ok(Outcome::Done)
            }),
            // crypto isakmp enable
            (r"^crypto isakmp enable$", |_, b| {
                b.cfg.isakmp_enabled = true;
                b.cfg.isakmp_disabled_line = None;
                Ok(Outcome::Done)
            }),
            // crypto isakmp policy 10
            (r"^crypto isakmp policy (?P<prio>\S+)$", |c, b| {
                let prio = c.num("prio", 1u32, 10_000)?;
                let list = &mut b.cfg.isakmp_policies;
                let i = match list.iter().position(|p| p.priority == prio) {
                    Some(i) => i,
                    None => {
                        list.push(IsakmpPolicy::with_defaults(prio, c.n));
                        list.len() - 1
                    }
                };
                Ok(Outcome::Open(Block::Policy(i)))
            }),
            // crypto isakmp key cisco123 address 203.0.113.2
            // crypto isakmp key 6 FLgBaJHXdYY_AcHZZMgQ_RhTDJXHUBAAB address 0.0.0.0 0.0.0.0 no-xauth
            (
                r"^crypto isakmp key (?:(?P<kind>[06]) )?(?P<key>\S+) address (?P<addr>\S+)(?: (?P<mask>[\d.]+))?(?P<noxauth> no-xauth)?$",
                |c, b| {
                    let peer = c.peer_net("addr", "mask")?;
                    b.cfg.isakmp_keys.push(PresharedKey {
                        key: c.credential("kind", "key"),
                        peer,
                        no_xauth: c.get("noxauth").is_some(),
                        keyring: None,
                    });
                    Ok(Outcome::Done)
                },
            ),
            // crypto isakmp key cisco123 hostname r2.example.net
            (
                r"^crypto isakmp key \S+(?: \S+)? (?P<how>hostname) .*$",
                |c, _| Err(c.bad("how", "keys by hostname are not modelled (only by address)")),
            ),
            // crypto isakmp keepalive 10 3 periodic
            (
                r"^crypto isakmp keepalive (?P<int>\S+)(?: (?P<retry>\d+))?(?: (?P<mode>periodic|on-demand))?$",
                |c, b| {
                    let retry = match c.get("retry") {
                        Some(_) => Some(c.num("retry", 2u32, 60)?),
                        None => None,
                    };
                    b.cfg.isakmp_keepalive = Some(Keepalive {
                        interval: c.num("int", 10u32, 3600)?,
                        retry,
                        mode: c.get("mode").map(String::from),
                        line: c.n,
                    });
                    Ok(Outcome::Done)
                },
            ),
            // crypto isakmp identity hostname
            (r"^crypto isakmp identity (?P<id>\S+)$", |c, b| {
                const IDS: &[(&str, Identity)] = &[
                    ("address", Identity::Address),
                    ("hostname", Identity::Hostname),
                    ("dn", Identity::Dn),
                ];
                b.cfg.isakmp_identity = c.lookup("id", IDS, "identity")?;
                Ok(Outcome::Done)
            }),
            // crypto keyring KR-SITE2
            (r"^crypto keyring (?P<name>\S+)(?: vrf \S+)?$", |c, b| {
                let name = c.text("name");
                let i = match b.keyrings.iter().position(|k| k.name == name) {
                    Some(i) => i,
                    None => {
                        b.keyrings.push(KeyringDraft {
                            name,
                            keys: Vec::new(),
                        });
                        b.keyrings.len() - 1
                    }
                };
                Ok(Outcome::Open(Block::Keyring(i)))
            }),
            // crypto ipsec transform-set TS esp-aes 256 esp-sha-hmac
            (
                r"^crypto ipsec transform-set (?P<name>\S+)(?P<rest>(?: \S+)*)$",
                |c, b| {
                    let ts = transform_set(c)?;
                    let list = &mut b.cfg.transform_sets;
                    let i = match list.iter().position(|t| t.name == ts.name) {
                        Some(i) => {
                            list[i] = ts;
                            i
                        }
                        None => {
                            list.push(ts);
                            list.len() - 1
                        }
                    };
                    Ok(Outcome::Open(Block::TransformSet(i)))
                },
            ),
            // crypto ipsec security-association lifetime seconds 86400
            (
                r"^crypto ipsec security-association lifetime (?P<unit>seconds|kilobytes) (?P<n>\S+)$",
                |c, b| {
                    set_lifetime(c, &mut b.cfg.ipsec_lifetime)?;
                    Ok(Outcome::Done)
                },
            ),
            // crypto map CMAP local-address GigabitEthernet0/0
            (
                r"^crypto map (?P<map>\S+) local-address (?P<ifname>\S+)$",
                |c, b| {
                    b.cfg
                        .crypto_map_local_addresses
                        .push(CryptoMapLocalAddress {
                            map: c.text("map"),
                            interface: c.text("ifname"),
                            line: c.n,
                        });
                    Ok(Outcome::Done)
                },
            ),
            // crypto map CMAP 10 ipsec-isakmp
            // crypto map CMAP 65535 ipsec-isakmp dynamic DYN
            (
                r"^crypto map (?P<map>\S+) (?P<seq>\d+)(?: (?P<how>\S+))?(?: dynamic (?P<dyn>\S+))?$",
                |c, b| {
                    // Typed without a keyword, IOS makes the entry ipsec-isakmp.
                    if c.get("how").is_some_and(|h| h != "ipsec-isakmp") {
                        return Err(
                            c.bad("how", "only ipsec-isakmp crypto map entries are modelled")
                        );
                    }
                    let kind = match c.get("dyn") {
                        Some(d) => MapKind::DynamicRef(d.to_string()),
                        None => MapKind::IpsecIsakmp,
                    };
                    let i = map_entry(&mut b.cfg.crypto_maps, c, kind)?;
                    Ok(Outcome::Open(Block::Map(i)))
                },
            ),
            // crypto map CMAP isakmp-profile PROF      (map-wide options we do not model)
            (
                r"^crypto map \S+ (?:isakmp-profile|client|isakmp|gdoi|redundancy)(?: .*)?$",
                |_, _| Ok(Outcome::Open(Block::Skip)),
            ),
            // crypto dynamic-map DYN 10
            (r"^crypto dynamic-map (?P<map>\S+) (?P<seq>\d+)$", |c, b| {
                let i = map_entry(&mut b.cfg.dynamic_maps, c, MapKind::DynamicTemplate)?;
                Ok(Outcome::Open(Block::DynamicMap(i)))
            }),
            // access-list 110 permit ip 192.168.101.0 0.0.0.255 192.168.102.0 0.0.0.255
            (
                r"^access-list (?P<num>\d+) (?P<rest>.+)$",
                numbered_acl_line,
            ),
            // ip access-list extended VPN-TRAFFIC
            (
                r"^ip access-list (?P<kind>extended|standard) (?P<name>\S+)$",
                |c, b| {
                    let kind = if c.get("kind") == Some("standard") {
                        AclKind::Standard
                    } else {
                        AclKind::Extended
                    };
                    let i = b.acl_index(AccessList {
                        name: c.text("name"),
                        kind,
                        entries: Vec::new(),
                        line: c.n,
                    });
                    Ok(Outcome::Open(Block::Acl(i)))
                },
            ),
            // interface GigabitEthernet0/0
            (
                r"^interface (?P<name>\S+)(?: point-to-point| multipoint)?$",
                |c, b| {
                    let name = c.text("name");
                    let list = &mut b.cfg.interfaces;
                    let i = match list.iter().position(|x| x.name == name) {
                        Some(i) => i,
                        None => {
                            let tunnel = name
                                .get(..6)
                                .is_some_and(|p| p.eq_ignore_ascii_case("tunnel"))
                                .then(Tunnel::default);
                            list.push(Interface {
                                name,
                                tunnel,
                                line: c.n,
                                ..Interface::default()
                            });
                            list.len() - 1
                        }
                    };
                    Ok(Outcome::Open(Block::Interface(i)))
                },
            ),
            // ip route 0.0.0.0 0.0.0.0 203.0.113.254
            // ip route 192.168.102.0 255.255.255.0 GigabitEthernet0/0 203.0.113.2 5 name TO-R2
            (
                r"^ip route (?P<net>\S+) (?P<mask>\S+)(?P<rest>(?: \S+)+)$",
                |c, b| {
                    let route = static_route(c)?;
                    b.cfg.routes.push(route);
                    Ok(Outcome::Done)
                },
            ),
        ],
        // Crypto features outside the IKEv1 crypto-map model: silent, and so are their blocks.
        &[],
    )
});

/// Crypto commands (and blocks) that do not change an IKEv1 crypto-map negotiation.
const UNMODELLED_CRYPTO: &[&str] = &[
    "crypto pki",
    "crypto ca",
    "crypto key",
    "crypto isakmp client",
    "crypto isakmp nat",
    "crypto isakmp invalid-spi-recovery",
    "crypto isakmp aggressive-mode",
    "crypto isakmp xauth",
    "crypto isakmp fragmentation",
    "crypto ipsec client",
    "crypto ipsec df-bit",
    "crypto ipsec nat-transparency",
    "crypto ipsec security-association replay",
    "crypto ipsec security-association idle-time",
    "crypto ipsec fragmentation",
    "crypto map-group",
    "crypto logging",
    "crypto engine",
    "crypto vpn",
    "crypto call",
    "crypto gdoi",
    "crypto ssl",
    "ip access-list logging",
    "ip access-list log-update",
    "ip access-list resequence",
    "ip route static",
    "ip route profile",
];

/// Reads one top-level line.
pub(crate) fn top(line: &Line, n: usize, b: &mut Builder) -> Outcome {
    for (re, apply) in TOP.rows.iter().chain(&v2::TOP.rows) {
        if let Some(caps) = re.captures(&line.text) {
            let ctx = Ctx { caps, n, line };
            return match apply(&ctx, b) {
                Ok(o) => o,
                Err(bad) => Outcome::BadOpen(bad, Block::Skip),
            };
        }
    }
    if is_unmodelled(UNMODELLED_CRYPTO, &line.text) || is_unmodelled(v2::UNMODELLED, &line.text) {
        return Outcome::Open(Block::Skip);
    }
    // Other lines of the families we model are ours to complain about; the rest is some
    // other feature (or a prompt above the paste) and opens a block we ignore.
    const OURS: &[&str] = &["crypto", "access-list", "ip route", "ip access-list"];
    if is_unmodelled(OURS, &line.text) {
        let message = "command not understood (not modelled, or misspelt)";
        return Outcome::BadOpen(Bad::new(0, message), Block::Skip);
    }
    Outcome::Unrelated
}

// ---------------------------------------------------------------------------------------
// Indented lines
// ---------------------------------------------------------------------------------------

/// Reads one line of the open block.
pub(crate) fn child(block: &Block, line: &Line, n: usize, b: &mut Builder) -> Outcome {
    let result = match *block {
        Block::None | Block::Skip => return Outcome::Unrelated,
        Block::Policy(i) => b
            .cfg
            .isakmp_policies
            .get_mut(i)
            .map(|t| run(&POLICY, line, n, t)),
        Block::Keyring(i) => b.keyrings.get_mut(i).map(|t| run(&KEYRING, line, n, t)),
        Block::TransformSet(i) => b
            .cfg
            .transform_sets
            .get_mut(i)
            .map(|t| run(&TRANSFORM_SET, line, n, t)),
        Block::Map(i) => b
            .cfg
            .crypto_maps
            .get_mut(i)
            .map(|t| run(&MAP_ENTRY, line, n, t)),
        Block::DynamicMap(i) => b
            .cfg
            .dynamic_maps
            .get_mut(i)
            .map(|t| run(&MAP_ENTRY, line, n, t)),
        Block::Acl(i) => b.cfg.access_lists.get_mut(i).map(|t| run(&ACL, line, n, t)),
        Block::Interface(i) => b
            .cfg
            .interfaces
            .get_mut(i)
            .map(|t| run_first(&v2::INTERFACE, &INTERFACE, line, n, t)),
        Block::Ikev2Proposal(i) => b
            .cfg
            .ikev2
            .proposals
            .get_mut(i)
            .map(|t| run(&v2::PROPOSAL, line, n, t)),
        Block::Ikev2Policy(i) => b
            .cfg
            .ikev2
            .policies
            .get_mut(i)
            .map(|t| run(&v2::POLICY, line, n, t)),
        Block::Ikev2Keyring(i) => b
            .ikev2_keyrings
            .get_mut(i)
            .map(|t| run(&v2::KEYRING, line, n, t)),
        Block::Ikev2Profile(i) => b
            .cfg
            .ikev2
            .profiles
            .get_mut(i)
            .map(|t| run(&v2::PROFILE, line, n, t)),
        Block::IpsecProfile(i) => b
            .cfg
            .ipsec_profiles
            .get_mut(i)
            .map(|t| run(&v2::IPSEC_PROFILE, line, n, t)),
        Block::IsakmpProfile(i) => b
            .cfg
            .isakmp_profiles
            .get_mut(i)
            .map(|t| run(&v2::ISAKMP_PROFILE, line, n, t)),
    };
    match result {
        Some(Ok(())) => Outcome::Done,
        Some(Err(bad)) => Outcome::Bad(bad),
        None => Outcome::Unrelated,
    }
}

/// A block read by two tables: `first`'s rows, then `table`'s rows and unmodelled list.
fn run_first<T>(
    first: &Rows<Apply<T>>,
    table: &Rows<Apply<T>>,
    line: &Line,
    n: usize,
    target: &mut T,
) -> Result<(), Bad> {
    for (re, apply) in &first.rows {
        if let Some(caps) = re.captures(&line.text) {
            return apply(&Ctx { caps, n, line }, target);
        }
    }
    run(table, line, n, target)
}

fn run<T>(table: &Rows<Apply<T>>, line: &Line, n: usize, target: &mut T) -> Result<(), Bad> {
    for (re, apply) in &table.rows {
        if let Some(caps) = re.captures(&line.text) {
            return apply(&Ctx { caps, n, line }, target);
        }
    }
    if is_unmodelled(table.unmodelled, &line.text) {
        return Ok(());
    }
    Err(Bad::new(0, "not understood in this block"))
}

static POLICY: LazyLock<Rows<Apply<IsakmpPolicy>>> = LazyLock::new(|| {
    rows::<Apply<IsakmpPolicy>>(
        &[
            // encr aes 256          (12.4 and later print `encr`; `encryption` is what is typed)
            (r"^(?:encr|encryption) (?P<v>.+)$", |c, p| {
                p.encryption = c.lookup("v", ENCRYPTIONS, "encryption")?;
                p.attr_lines.insert(Attr::Encryption, c.n);
                Ok(())
            }),
            // hash md5
            (r"^hash (?P<v>.+)$", |c, p| {
                p.hash = c.lookup("v", HASHES, "hash")?;
                p.attr_lines.insert(Attr::Hash, c.n);
                Ok(())
            }),
            // authentication pre-share
            (r"^authentication (?P<v>.+)$", |c, p| {
                p.auth = c.lookup("v", AUTH_METHODS, "authentication method")?;
                p.attr_lines.insert(Attr::Auth, c.n);
                Ok(())
            }),
            // group 14
            (r"^group (?P<v>.+)$", |c, p| {
                p.group = DhGroup::parse(c.get("v").unwrap_or_default()).ok_or_else(|| {
                    c.bad(
                        "v",
                        "not a Diffie-Hellman group IOS offers (1 2 5 14 15 16 19 20 21 24)",
                    )
                })?;
                p.attr_lines.insert(Attr::Group, c.n);
                Ok(())
            }),
            // lifetime 28800
            (r"^lifetime (?P<v>.+)$", |c, p| {
                p.lifetime = c.num("v", 60u32, 86_400)?;
                p.attr_lines.insert(Attr::Lifetime, c.n);
                Ok(())
            }),
        ],
        &[],
    )
});

static KEYRING: LazyLock<Rows<Apply<KeyringDraft>>> = LazyLock::new(|| {
    rows::<Apply<KeyringDraft>>(
        &[
            // pre-shared-key address 203.0.113.2 key cisco123
            // pre-shared-key address 203.0.113.0 255.255.255.0 key 6 FLgBaJHXdYY_AcHZZMgQ
            (
                r"^pre-shared-key address (?P<addr>\S+)(?: (?P<mask>[\d.]+))? key (?:(?P<kind>[06]) )?(?P<key>\S+)$",
                |c, k| {
                    let peer = c.peer_net("addr", "mask")?;
                    k.keys.push(PresharedKey {
                        key: c.credential("kind", "key"),
                        peer,
                        no_xauth: false,
                        keyring: Some(k.name.clone()),
                    });
                    Ok(())
                },
            ),
        ],
        &["description", "local-address"],
    )
});

static TRANSFORM_SET: LazyLock<Rows<Apply<TransformSet>>> = LazyLock::new(|| {
    rows::<Apply<TransformSet>>(
        &[
            // mode transport
            (r"^mode (?P<m>\S+)(?: require)?$", |c, t| {
                const MODES: &[(&str, IpsecMode)] = &[
                    ("tunnel", IpsecMode::Tunnel),
                    ("transport", IpsecMode::Transport),
                ];
                t.mode = c.lookup("m", MODES, "mode")?;
                Ok(())
            }),
        ],
        &[],
    )
});

static MAP_ENTRY: LazyLock<Rows<Apply<CryptoMapEntry>>> = LazyLock::new(|| {
    rows::<Apply<CryptoMapEntry>>(
        &[
            // set peer 203.0.113.2
            (r"^set peer (?P<addr>\S+)(?: default)?$", |c, e| {
                let addr = c.ip("addr")?;
                e.peers.push(Peer { addr, line: c.n });
                Ok(())
            }),
            // set transform-set TS-AES TS-3DES
            (r"^set transform-set (?P<names>.+)$", |c, e| {
                e.transform_sets = c.text("names").split(' ').map(String::from).collect();
                Ok(())
            }),
            // match address 110
            (r"^match address (?P<acl>\S+)$", |c, e| {
                e.acl = Some(c.text("acl"));
                Ok(())
            }),
            // set pfs group14      (`set pfs` alone means group1)
            (r"^set pfs(?: group(?P<g>\S+))?$", |c, e| {
                e.pfs = Some(match c.get("g") {
                    None => DhGroup(1),
                    Some(g) => DhGroup::parse(g).ok_or_else(|| {
                        c.bad("g", "not a Diffie-Hellman group IOS offers for PFS")
                    })?,
                });
                Ok(())
            }),
            // set security-association lifetime seconds 1800
            (
                r"^set security-association lifetime (?P<unit>seconds|kilobytes) (?P<n>\S+)$",
                |c, e| set_lifetime(c, &mut e.lifetime),
            ),
            // description Tunnel to R2
            (r"^description (?P<d>.*)$", |c, e| {
                e.description = Some(c.text("d"));
                Ok(())
            }),
            // set ikev2-profile IKEV2-PROF      (the entry negotiates with IKEv2)
            (r"^set ikev2-profile (?P<name>\S+)$", |c, e| {
                e.ikev2_profile = Some(c.text("name"));
                Ok(())
            }),
            // set isakmp-profile ISAKMP-PROF
            (r"^set isakmp-profile (?P<name>\S+)$", |c, e| {
                e.isakmp_profile = Some(c.text("name"));
                Ok(())
            }),
        ],
        &[
            "reverse-route",
            "set security-association level",
            "set security-association idle-time",
            "set security-association replay",
            "set security-association dummy",
            "set nat demux",
            "set reverse-route",
            "qos pre-classify",
        ],
    )
});

static ACL: LazyLock<Rows<Apply<AccessList>>> = LazyLock::new(|| {
    rows::<Apply<AccessList>>(
        &[
            // permit ip 192.168.101.0 0.0.0.255 192.168.102.0 0.0.0.255
            // 20 deny   ip any any log
            (
                r"^(?:(?P<seq>\d+) )?(?P<entry>(?:permit|deny) .*)$",
                |c, a| {
                    let from = c.at("entry");
                    let toks: Vec<_> = c
                        .line
                        .tokens()
                        .into_iter()
                        .filter(|t| t.at >= from)
                        .collect();
                    let entry = acl::parse_entry(&toks, a.kind, c.n)?;
                    a.entries.push(entry);
                    Ok(())
                },
            ),
        ],
        &["remark", "statistics"],
    )
});

static INTERFACE: LazyLock<Rows<Apply<Interface>>> = LazyLock::new(|| {
    rows::<Apply<Interface>>(
        &[
            // ip address 203.0.113.1 255.255.255.0
            // ip address 10.0.0.1 255.255.255.0 secondary
            (
                r"^ip address (?P<addr>\S+) (?P<mask>\S+)(?P<sec> secondary)?$",
                |c, i| {
                    let addr = c.ip("addr")?;
                    let net = Ipv4Net::from_mask(addr, c.ip("mask")?)
                        .ok_or_else(|| c.bad("mask", "the mask is not contiguous"))?;
                    if c.get("sec").is_some() {
                        i.secondary.push(net);
                    } else {
                        i.address = Some(net);
                    }
                    Ok(())
                },
            ),
            // no ip address
            (r"^no ip address$", |_, i| {
                i.address = None;
                i.secondary.clear();
                Ok(())
            }),
            // ip address dhcp       (the address is not in the config: we cannot know it)
            (r"^ip address (?:dhcp|negotiated)(?: .*)?$", |_, i| {
                i.address = None;
                Ok(())
            }),
            // shutdown
            (r"^shutdown$", |_, i| {
                i.shutdown = true;
                Ok(())
            }),
            // no shutdown
            (r"^no shutdown$", |_, i| {
                i.shutdown = false;
                Ok(())
            }),
            // crypto map CMAP
            (r"^crypto map (?P<map>\S+)(?: redundancy .*)?$", |c, i| {
                i.crypto_map = Some(c.text("map"));
                Ok(())
            }),
            // no crypto map
            (r"^no crypto map$", |_, i| {
                i.crypto_map = None;
                Ok(())
            }),
            // description Link to ISP
            (r"^description (?P<d>.*)$", |c, i| {
                i.description = Some(c.text("d"));
                Ok(())
            }),
        ],
        &[
            "duplex",
            "speed",
            "negotiation",
            "media-type",
            "mtu",
            "ip mtu",
            "ip tcp",
            "ip nat",
            "ip virtual-reassembly",
            "ip ospf",
            "ip pim",
            "ip helper-address",
            "ip access-group",
            "ip redirects",
            "ip unreachables",
            "ip proxy-arp",
            "ip route-cache",
            "ip flow",
            "ip policy",
            "ip verify",
            "ip directed-broadcast",
            "ip mroute-cache",
            "ip igmp",
            "ip dhcp",
            "mop enabled",
            "mop sysid",
            "keepalive",
            "load-interval",
            "cdp",
            "bandwidth",
            "delay",
            "encapsulation",
            "standby",
            "vrrp",
            "clock",
            "ipv6",
            "zone-member",
            "service-policy",
            "tunnel",
            "ip vrf",
            "vrf",
            "logging",
            "snmp",
            "arp",
            "carrier-delay",
            "auto",
            "switchport",
            "spanning-tree",
            "pppoe",
            "ppp",
            "dialer",
            "hold-queue",
            "ip summary-address",
            "ip authentication",
            "ip hello-interval",
            "ip split-horizon",
            "platform",
            "serial",
            "fair-queue",
            "shape",
        ],
    )
});

// ---------------------------------------------------------------------------------------
// Pieces shared by rows
// ---------------------------------------------------------------------------------------

fn map_entry(list: &mut Vec<CryptoMapEntry>, c: &Ctx<'_>, kind: MapKind) -> Result<usize, Bad> {
    let map = c.text("map");
    let seq = c.num("seq", 1u32, 65_535)?;
    if let Some(i) = list.iter().position(|e| e.map == map && e.seq == seq) {
        return Ok(i);
    }
    list.push(CryptoMapEntry {
        map,
        seq,
        kind,
        description: None,
        peers: Vec::new(),
        transform_sets: Vec::new(),
        acl: None,
        pfs: None,
        lifetime: Default::default(),
        ikev2_profile: None,
        isakmp_profile: None,
        line: c.n,
    });
    Ok(list.len() - 1)
}

pub(super) fn set_lifetime(c: &Ctx<'_>, l: &mut super::model::SaLifetime) -> Result<(), Bad> {
    if c.get("unit") == Some("seconds") {
        l.seconds = Some(c.num("n", 120u32, 86_400)?);
    } else {
        l.kilobytes = Some(c.num("n", 2_560u64, 4_294_967_295)?);
    }
    Ok(())
}

/// `access-list N …`: standard or extended by the number's range, appended in order.
fn numbered_acl_line(c: &Ctx<'_>, b: &mut Builder) -> Result<Outcome, Bad> {
    let number: u32 = c.num("num", 1, 2699)?;
    let kind = acl::numbered_kind(number)
        .ok_or_else(|| c.bad("num", "not an IPv4 access-list number (1-199, 1300-2699)"))?;
    let from = c.at("rest");
    let toks: Vec<_> = c
        .line
        .tokens()
        .into_iter()
        .filter(|t| t.at >= from)
        .collect();
    if toks.first().is_some_and(|t| t.text == "remark") {
        return Ok(Outcome::Done);
    }
    let entry = acl::parse_entry(&toks, kind, c.n)?;
    let i = b.acl_index(AccessList {
        name: number.to_string(),
        kind,
        entries: Vec::new(),
        line: c.n,
    });
    if let Some(acl) = b.cfg.access_lists.get_mut(i) {
        acl.entries.push(entry);
    }
    Ok(Outcome::Done)
}

/// `crypto ipsec transform-set NAME t1 [bits] t2 …`.
fn transform_set(c: &Ctx<'_>) -> Result<TransformSet, Bad> {
    let mut ts = TransformSet {
        name: c.text("name"),
        esp_cipher: None,
        esp_auth: None,
        ah: None,
        compression: false,
        mode: IpsecMode::Tunnel,
        line: c.n,
    };
    let from = c.at("rest");
    let toks: Vec<_> = c
        .line
        .tokens()
        .into_iter()
        .filter(|t| t.at >= from)
        .collect();
    let mut it = toks.iter().peekable();
    while let Some(t) = it.next() {
        let kind = TRANSFORMS
            .iter()
            .find(|(w, _)| *w == t.text)
            .map(|(_, k)| *k)
            .ok_or_else(|| Bad::new(t.at, format!("unknown transform `{}`", t.text)))?;
        let twice = || Bad::new(t.at, "a transform set takes one transform of each kind");
        match kind {
            Transform::Cipher(cipher, sized) => {
                if ts.esp_cipher.is_some() {
                    return Err(twice());
                }
                let bits = it
                    .peek()
                    .filter(|_| sized)
                    .and_then(|n| {
                        ["128", "192", "256"]
                            .contains(&n.text)
                            .then(|| n.text.parse().ok())
                    })
                    .flatten();
                if bits.is_some() {
                    it.next();
                }
                ts.esp_cipher = Some(match (cipher, bits) {
                    (EspCipher::Aes(_), Some(b)) => EspCipher::Aes(b),
                    (EspCipher::Gcm(_), Some(b)) => EspCipher::Gcm(b),
                    (EspCipher::Gmac(_), Some(b)) => EspCipher::Gmac(b),
                    (other, _) => other,
                });
            }
            Transform::EspAuth(a) if ts.esp_auth.is_none() => ts.esp_auth = Some(a),
            Transform::AhAuth(a) if ts.ah.is_none() => ts.ah = Some(a),
            Transform::Compression if !ts.compression => ts.compression = true,
            _ => return Err(twice()),
        }
    }
    if ts.esp_cipher.is_none() && ts.esp_auth.is_none() && ts.ah.is_none() {
        return Err(Bad::new(
            c.line.text.len(),
            "a transform set needs at least one transform",
        ));
    }
    Ok(ts)
}

/// `ip route NET MASK {NEXTHOP | IF [NEXTHOP]} [DISTANCE] [name X] [permanent] [tag N]`.
fn static_route(c: &Ctx<'_>) -> Result<StaticRoute, Bad> {
    let net = c.ip("net")?;
    let prefix = Ipv4Net::from_mask(net, c.ip("mask")?)
        .ok_or_else(|| c.bad("mask", "the mask is not contiguous"))?;
    let from = c.at("rest");
    let toks: Vec<_> = c
        .line
        .tokens()
        .into_iter()
        .filter(|t| t.at >= from)
        .collect();
    let mut route = StaticRoute {
        prefix,
        next_hop: None,
        interface: None,
        distance: 1,
        line: c.n,
    };
    let mut it = toks.iter().peekable();
    if let Some(first) = it.next() {
        match first.text.parse::<Ipv4Addr>() {
            Ok(a) => route.next_hop = Some(a),
            Err(_) if first.text.starts_with(|ch: char| ch.is_ascii_alphabetic()) => {
                route.interface = Some(first.text.to_string());
                if let Some(Ok(a)) = it.peek().map(|t| t.text.parse::<Ipv4Addr>()) {
                    route.next_hop = Some(a);
                    it.next();
                }
            }
            Err(_) => return Err(Bad::new(first.at, "expected a next hop or an interface")),
        }
    }
    while let Some(t) = it.next() {
        match t.text {
            "permanent" | "global" => {}
            "name" | "tag" | "track" => {
                if it.next().is_none() {
                    return Err(Bad::new(t.at, format!("`{}` needs a value", t.text)));
                }
            }
            word => {
                route.distance =
                    word.parse().ok().filter(|d| *d >= 1).ok_or_else(|| {
                        Bad::new(t.at, format!("unexpected `{word}` in ip route"))
                    })?;
            }
        }
    }
    Ok(route)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pattern_compiles() {
        // `rows` drops a pattern that does not compile; the tables must keep every row.
        assert_eq!(TOP.rows.len(), 22);
        assert_eq!(POLICY.rows.len(), 5);
        assert_eq!(KEYRING.rows.len(), 1);
        assert_eq!(TRANSFORM_SET.rows.len(), 1);
        assert_eq!(MAP_ENTRY.rows.len(), 8);
        assert_eq!(ACL.rows.len(), 1);
        assert_eq!(INTERFACE.rows.len(), 8);
    }

    #[test]
    fn unmodelled_matches_whole_words() {
        assert!(is_unmodelled(&["ip nat"], "ip nat outside"));
        assert!(is_unmodelled(&["ip redirects"], "no ip redirects"));
        assert!(!is_unmodelled(&["ip nat"], "ip natty"));
    }
}
