//! The command tables of IKEv2 and route-based tunnels: `crypto ikev2 proposal|policy|keyring|
//! profile`, the smart defaults' `no` forms, `crypto ipsec profile`, `crypto isakmp profile`,
//! and the `tunnel …` lines of a tunnel interface. Same shape as `commands.rs`: one row per
//! command, a real sample line above each pattern.
//!
//! Samples come from Cisco's documents: the FlexVPN site-to-site example (document 115782),
//! "IOS IKEv2 Debugs for Site-to-Site VPN with PSKs" (document 115934) and the FlexVPN / IKEv2
//! configuration guides; the tests below quote them with their source.

use super::commands::{Apply, Block, Ctx, Outcome, Rows, TopApply, rows, set_lifetime};
use super::config::Ikev2KeyringDraft;
use super::ikev2::{
    Dpd, Fvrf, IKEV2_AUTHS, IdentityMatch, Ikev2Id, Ikev2Keyring, Ikev2Policy, Ikev2Profile,
    Ikev2Proposal, KeyringPeer, V2_CIPHERS, V2_HASHES, V2Attr,
};
use super::lex::{Bad, Tok};
use super::model::{DhGroup, Interface};
use super::smart_defaults::{self, DEFAULT};
use super::tunnel::{
    IpsecProfile, IsakmpIdentityMatch, IsakmpProfile, Tunnel, TunnelMode, TunnelSource,
};
use std::net::Ipv4Addr;
use std::sync::LazyLock;

// ---------------------------------------------------------------------------------------
// Top level
// ---------------------------------------------------------------------------------------

pub(super) static TOP: LazyLock<Rows<TopApply>> = LazyLock::new(|| {
    rows::<TopApply>(
        &[
            // crypto ikev2 proposal PROPOSAL-1      (`default` customises the smart default)
            (r"^crypto ikev2 proposal (?P<name>\S+)$", |c, b| {
                let name = c.text("name");
                let list = &mut b.cfg.ikev2.proposals;
                let i = match list.iter().position(|p| p.name == name) {
                    Some(i) => i,
                    None => {
                        let p = if name == DEFAULT {
                            Ikev2Proposal {
                                line: c.n,
                                ..smart_defaults::proposal()
                            }
                        } else {
                            Ikev2Proposal::empty(&name, c.n)
                        };
                        list.push(p);
                        list.len() - 1
                    }
                };
                Ok(Outcome::Open(Block::Ikev2Proposal(i)))
            }),
            // crypto ikev2 policy IKEV2_POLICY
            (r"^crypto ikev2 policy (?P<name>\S+)$", |c, b| {
                let name = c.text("name");
                let list = &mut b.cfg.ikev2.policies;
                let i = match list.iter().position(|p| p.name == name) {
                    Some(i) => i,
                    None => {
                        let mut p = Ikev2Policy::empty(&name, c.n);
                        if name == DEFAULT {
                            p.fvrf = Fvrf::Any;
                        }
                        list.push(p);
                        list.len() - 1
                    }
                };
                Ok(Outcome::Open(Block::Ikev2Policy(i)))
            }),
            // no crypto ikev2 proposal default
            // no crypto ikev2 policy default
            (
                r"^no crypto ikev2 (?P<what>proposal|policy) (?P<name>\S+)$",
                |c, b| {
                    if c.get("name") != Some(DEFAULT) {
                        return Err(c.bad("name", "only the smart defaults are removed by `no`"));
                    }
                    let d = &mut b.cfg.smart_defaults;
                    match c.get("what") {
                        Some("proposal") => d.proposal_disabled = Some(c.n),
                        _ => d.policy_disabled = Some(c.n),
                    }
                    Ok(Outcome::Done)
                },
            ),
            // no crypto ipsec profile default
            // no crypto ipsec transform-set default
            (
                r"^no crypto ipsec (?P<what>profile|transform-set) (?P<name>\S+)$",
                |c, b| {
                    if c.get("name") != Some(DEFAULT) {
                        return Err(c.bad("name", "only the smart defaults are removed by `no`"));
                    }
                    let d = &mut b.cfg.smart_defaults;
                    match c.get("what") {
                        Some("profile") => d.ipsec_profile_disabled = Some(c.n),
                        _ => d.transform_set_disabled = Some(c.n),
                    }
                    Ok(Outcome::Done)
                },
            ),
            // crypto ikev2 keyring mykeys
            (r"^crypto ikev2 keyring (?P<name>\S+)$", |c, b| {
                let name = c.text("name");
                let list = &mut b.ikev2_keyrings;
                let i = match list.iter().position(|k| k.ring.name == name) {
                    Some(i) => i,
                    None => {
                        list.push(Ikev2KeyringDraft {
                            ring: Ikev2Keyring {
                                name,
                                peers: Vec::new(),
                                line: c.n,
                            },
                            peer: None,
                        });
                        list.len() - 1
                    }
                };
                if let Some(k) = list.get_mut(i) {
                    k.peer = None;
                }
                Ok(Outcome::Open(Block::Ikev2Keyring(i)))
            }),
            // crypto ikev2 profile default
            (r"^crypto ikev2 profile (?P<name>\S+)$", |c, b| {
                let name = c.text("name");
                let list = &mut b.cfg.ikev2.profiles;
                let i = match list.iter().position(|p| p.name == name) {
                    Some(i) => i,
                    None => {
                        list.push(Ikev2Profile::empty(&name, c.n));
                        list.len() - 1
                    }
                };
                Ok(Outcome::Open(Block::Ikev2Profile(i)))
            }),
            // crypto ipsec profile phse2-prof
            (r"^crypto ipsec profile (?P<name>\S+)$", |c, b| {
                let name = c.text("name");
                let list = &mut b.cfg.ipsec_profiles;
                let i = match list.iter().position(|p| p.name == name) {
                    Some(i) => i,
                    None => {
                        let p = if name == DEFAULT {
                            IpsecProfile {
                                line: c.n,
                                ..smart_defaults::ipsec_profile()
                            }
                        } else {
                            IpsecProfile::empty(&name, c.n)
                        };
                        list.push(p);
                        list.len() - 1
                    }
                };
                Ok(Outcome::Open(Block::IpsecProfile(i)))
            }),
            // crypto isakmp profile ISAKMP-PROF
            (r"^crypto isakmp profile (?P<name>\S+)$", |c, b| {
                let name = c.text("name");
                let list = &mut b.cfg.isakmp_profiles;
                let i = match list.iter().position(|p| p.name == name) {
                    Some(i) => i,
                    None => {
                        list.push(IsakmpProfile::empty(&name, c.n));
                        list.len() - 1
                    }
                };
                Ok(Outcome::Open(Block::IsakmpProfile(i)))
            }),
        ],
        &[],
    )
});

/// Global `crypto ikev2 …` commands that change nothing this model decides (silent, with
/// their blocks).
pub(super) const UNMODELLED: &[&str] = &[
    "crypto ikev2 dpd",
    "crypto ikev2 limit",
    "crypto ikev2 cookie-challenge",
    "crypto ikev2 nat",
    "crypto ikev2 fragmentation",
    "crypto ikev2 diagnose",
    "crypto ikev2 http-url",
    "crypto ikev2 redirect",
    "crypto ikev2 window",
    "crypto ikev2 authorization",
    "crypto ikev2 name-mangler",
    "crypto ikev2 client",
    "crypto ikev2 certificate-cache",
    "crypto ikev2 disconnect-revoked-peers",
    "crypto ikev2 cluster",
    "crypto ikev2 reconnect",
    "crypto ikev2 fvrf",
];

// ---------------------------------------------------------------------------------------
// Blocks
// ---------------------------------------------------------------------------------------

/// The words of the line from named group `name` on, each with its offset.
fn words_from<'a>(c: &'a Ctx<'_>, name: &str) -> Vec<Tok<'a>> {
    let from = c.at(name);
    c.line
        .tokens()
        .into_iter()
        .filter(|t| t.at >= from)
        .collect()
}

/// Every word looked up in `table`; the first unknown one is the fault.
fn word_list<T: Copy + PartialEq>(
    c: &Ctx<'_>,
    name: &str,
    table: &[(&str, T)],
    what: &str,
) -> Result<Vec<T>, Bad> {
    let mut out: Vec<T> = Vec::new();
    for t in words_from(c, name) {
        let v = table
            .iter()
            .find(|(w, _)| *w == t.text)
            .map(|(_, v)| *v)
            .ok_or_else(|| {
                let known: Vec<&str> = table.iter().map(|(w, _)| *w).collect();
                Bad::new(
                    t.at,
                    format!(
                        "unknown {what} `{}` (IOS knows {})",
                        t.text,
                        known.join(", ")
                    ),
                )
            })?;
        if !out.contains(&v) {
            out.push(v);
        }
    }
    Ok(out)
}

pub(super) static PROPOSAL: LazyLock<Rows<Apply<Ikev2Proposal>>> = LazyLock::new(|| {
    rows::<Apply<Ikev2Proposal>>(
        &[
            // encryption aes-cbc-256 aes-cbc-192 aes-cbc-128
            (r"^encryption (?P<v>.+)$", |c, p| {
                let list = word_list(c, "v", V2_CIPHERS, "encryption")?;
                if list.iter().any(|x| x.is_aead()) && !list.iter().all(|x| x.is_aead()) {
                    return Err(c.bad("v", "a proposal takes either GCM or CBC ciphers, not both"));
                }
                p.encryption = list;
                p.attr_lines.insert(V2Attr::Encryption, c.n);
                Ok(())
            }),
            // integrity sha512 sha384 sha256
            (r"^integrity (?P<v>.+)$", |c, p| {
                p.integrity = word_list(c, "v", V2_HASHES, "integrity algorithm")?;
                p.attr_lines.insert(V2Attr::Integrity, c.n);
                Ok(())
            }),
            // prf sha384
            (r"^prf (?P<v>.+)$", |c, p| {
                p.prf = word_list(c, "v", V2_HASHES, "PRF")?;
                p.attr_lines.insert(V2Attr::Prf, c.n);
                Ok(())
            }),
            // group 19 14 21
            (r"^group (?P<v>.+)$", |c, p| {
                let mut groups = Vec::new();
                for t in words_from(c, "v") {
                    let g = DhGroup::parse(t.text).ok_or_else(|| {
                        Bad::new(
                            t.at,
                            format!(
                                "`{}` is not a Diffie-Hellman group IOS offers (1 2 5 14 15 16 19 20 21 24)",
                                t.text
                            ),
                        )
                    })?;
                    if !groups.contains(&g) {
                        groups.push(g);
                    }
                }
                p.groups = groups;
                p.attr_lines.insert(V2Attr::Group, c.n);
                Ok(())
            }),
        ],
        &["description"],
    )
});

pub(super) static POLICY: LazyLock<Rows<Apply<Ikev2Policy>>> = LazyLock::new(|| {
    rows::<Apply<Ikev2Policy>>(
        &[
            // match address local 10.22.12.131
            (r"^match address local (?P<addr>\S+)$", |c, p| {
                let a = c.ip("addr")?;
                if !p.match_local.contains(&a) {
                    p.match_local.push(a);
                }
                Ok(())
            }),
            // match fvrf any
            (r"^match fvrf (?P<v>\S+)$", |c, p| {
                p.fvrf = fvrf(c.get("v").unwrap_or_default());
                Ok(())
            }),
            // proposal PROPOSAL-1
            (r"^proposal (?P<name>\S+)$", |c, p| {
                let name = c.text("name");
                if !p.proposals.contains(&name) {
                    p.proposals.push(name);
                }
                Ok(())
            }),
        ],
        &["description"],
    )
});

fn fvrf(word: &str) -> Fvrf {
    match word {
        "any" => Fvrf::Any,
        "global" => Fvrf::Global,
        name => Fvrf::Named(name.to_string()),
    }
}

/// A keyring line that belongs to the open `peer` block.
fn open_peer(k: &mut Ikev2KeyringDraft) -> Result<&mut KeyringPeer, Bad> {
    k.peer
        .and_then(|i| k.ring.peers.get_mut(i))
        .ok_or_else(|| Bad::new(0, "this line belongs under a `peer NAME` of the keyring"))
}

pub(super) static KEYRING: LazyLock<Rows<Apply<Ikev2KeyringDraft>>> = LazyLock::new(|| {
    rows::<Apply<Ikev2KeyringDraft>>(
        &[
            // peer Right-Router
            (r"^peer (?P<name>\S+)$", |c, k| {
                let name = c.text("name");
                let i = match k.ring.peers.iter().position(|p| p.name == name) {
                    Some(i) => i,
                    None => {
                        k.ring.peers.push(KeyringPeer::new(&name, c.n));
                        k.ring.peers.len() - 1
                    }
                };
                k.peer = Some(i);
                Ok(())
            }),
            // address 172.20.5.43
            // address 0.0.0.0 0.0.0.0
            (r"^address (?P<addr>\S+)(?: (?P<mask>\S+))?$", |c, k| {
                let net = c.peer_net("addr", "mask")?;
                open_peer(k)?.address = Some(net);
                Ok(())
            }),
            // hostname r2.example.net
            (r"^hostname (?P<h>\S+)$", |c, k| {
                open_peer(k)?.hostname = Some(c.text("h"));
                Ok(())
            }),
            // identity fqdn SPOKE1.LAB.LOCAL
            (
                r"^identity (?P<kind>address|fqdn|email|key-id) (?P<v>\S+)$",
                |c, k| {
                    let id = identity(c)?;
                    open_peer(k)?.identity = Some(id);
                    Ok(())
                },
            ),
            // pre-shared-key Cisco123
            // pre-shared-key local cisco1234
            // pre-shared-key remote 6 FLgBaJHXdYY_AcHZZMgQ
            (
                r"^pre-shared-key (?:(?P<dir>local|remote) )?(?:(?P<kind>[067]) )?(?P<key>\S+)$",
                |c, k| {
                    let key = c.credential("kind", "key");
                    let keys = &mut open_peer(k)?.keys;
                    match c.get("dir") {
                        Some("local") => keys.local = Some(key),
                        Some("remote") => keys.remote = Some(key),
                        _ => {
                            keys.both = Some(key);
                            keys.local = None;
                            keys.remote = None;
                        }
                    }
                    Ok(())
                },
            ),
            // description Hub in Frankfurt
            (r"^description (?P<d>.*)$", |c, k| {
                if let Ok(p) = open_peer(k) {
                    p.description = Some(c.text("d"));
                }
                Ok(())
            }),
        ],
        &[],
    )
});

/// `{address|fqdn|email|key-id} VALUE` from groups `kind` and `v`.
fn identity(c: &Ctx<'_>) -> Result<Ikev2Id, Bad> {
    let v = c.text("v");
    Ok(match c.get("kind") {
        Some("address") => Ikev2Id::Address(c.ip("v")?),
        Some("fqdn") => Ikev2Id::Fqdn(v),
        Some("email") => Ikev2Id::Email(v),
        _ => Ikev2Id::KeyId(v),
    })
}

pub(super) static PROFILE: LazyLock<Rows<Apply<Ikev2Profile>>> = LazyLock::new(|| {
    rows::<Apply<Ikev2Profile>>(
        &[
            // match identity remote address 172.20.5.43 255.255.255.255
            // match identity remote address 0.0.0.0
            (
                r"^match identity remote address (?P<addr>\S+)(?: (?P<mask>\S+))?$",
                |c, p| {
                    let mut net = c.peer_net("addr", "mask")?;
                    // `address 0.0.0.0` alone is how IOS writes "any address".
                    if net.addr == Ipv4Addr::UNSPECIFIED && c.get("mask").is_none() {
                        net.len = 0;
                    }
                    p.match_identity.push((IdentityMatch::Address(net), c.n));
                    Ok(())
                },
            ),
            // match identity remote fqdn domain example.net
            // match identity remote email vpn@example.net
            (
                r"^match identity remote (?P<kind>fqdn|email)(?P<dom> domain)? (?P<v>\S+)$",
                |c, p| {
                    let v = c.text("v");
                    let m = match (c.get("kind"), c.get("dom").is_some()) {
                        (Some("fqdn"), false) => IdentityMatch::Fqdn(v),
                        (Some("fqdn"), true) => IdentityMatch::FqdnDomain(v),
                        (_, false) => IdentityMatch::Email(v),
                        (_, true) => IdentityMatch::EmailDomain(v),
                    };
                    p.match_identity.push((m, c.n));
                    Ok(())
                },
            ),
            // match identity remote key-id SITE-2
            (r"^match identity remote key-id (?P<v>\S+)$", |c, p| {
                p.match_identity
                    .push((IdentityMatch::KeyId(c.text("v")), c.n));
                Ok(())
            }),
            // match address local 10.22.12.131
            (r"^match address local (?P<addr>\S+)$", |c, p| {
                if c.get("addr") == Some("interface") {
                    return Err(c.bad("addr", "`match address local interface` is not modelled"));
                }
                let a = c.ip("addr")?;
                p.match_local.push(a);
                Ok(())
            }),
            // match fvrf any
            (r"^match fvrf (?P<v>\S+)$", |c, p| {
                p.fvrf = fvrf(c.get("v").unwrap_or_default());
                Ok(())
            }),
            // identity local fqdn r1.example.net
            (
                r"^identity local (?P<kind>address|fqdn|email|key-id) (?P<v>\S+)$",
                |c, p| {
                    p.identity_local = Some((identity(c)?, c.n));
                    Ok(())
                },
            ),
            // identity local dn
            (r"^identity local dn$", |c, p| {
                p.identity_local = Some((Ikev2Id::Dn, c.n));
                Ok(())
            }),
            // authentication local pre-share
            // authentication remote eap query-identity
            (
                r"^authentication (?P<dir>local|remote) (?P<m>\S+)(?P<opts> .+)?$",
                |c, p| {
                    let m = c.lookup("m", IKEV2_AUTHS, "authentication method")?;
                    if c.get("opts").is_some() && m != super::ikev2::Ikev2Auth::Eap {
                        return Err(c.bad("opts", "only eap takes options here"));
                    }
                    if c.get("dir") == Some("local") {
                        p.auth_local = Some((m, c.n));
                    } else if !p.auth_remote.iter().any(|(x, _)| *x == m) {
                        p.auth_remote.push((m, c.n));
                    }
                    Ok(())
                },
            ),
            // keyring local mykeys
            (r"^keyring local (?P<name>\S+)$", |c, p| {
                p.keyring = Some((c.text("name"), c.n));
                Ok(())
            }),
            // keyring aaa FLEX-AAA
            (r"^keyring (?P<how>aaa)(?: .*)?$", |c, _| {
                Err(c.bad(
                    "how",
                    "AAA keyrings are not modelled (only `keyring local`)",
                ))
            }),
            // lifetime 86400
            (r"^lifetime (?P<v>\S+)$", |c, p| {
                p.lifetime = c.num("v", 120u32, 86_400)?;
                p.lifetime_line = Some(c.n);
                Ok(())
            }),
            // dpd 60 2 on-demand
            (
                r"^dpd (?P<i>\S+) (?P<r>\S+) (?P<m>on-demand|periodic)$",
                |c, p| {
                    p.dpd = Some(Dpd {
                        interval: c.num("i", 10u32, 3600)?,
                        retry: c.num("r", 2u32, 60)?,
                        periodic: c.get("m") == Some("periodic"),
                        line: c.n,
                    });
                    Ok(())
                },
            ),
            // description Tunnel to R2
            (r"^description (?P<d>.*)$", |c, p| {
                p.description = Some(c.text("d"));
                Ok(())
            }),
        ],
        &[
            "ivrf",
            "virtual-template",
            "aaa",
            "pki",
            "nat",
            "config-exchange",
            "redirect",
            "reconnect",
            "match certificate",
            "match inbound-only",
            "shutdown",
            "initial-contact",
        ],
    )
});

pub(super) static IPSEC_PROFILE: LazyLock<Rows<Apply<IpsecProfile>>> = LazyLock::new(|| {
    rows::<Apply<IpsecProfile>>(
        &[
            // set transform-set ESP-AES-SHA
            (r"^set transform-set (?P<names>.+)$", |c, p| {
                p.transform_sets = c.text("names").split(' ').map(String::from).collect();
                Ok(())
            }),
            // set pfs group14      (`set pfs` alone means group1)
            (r"^set pfs(?: group(?P<g>\S+))?$", |c, p| {
                p.pfs = Some(match c.get("g") {
                    None => DhGroup(1),
                    Some(g) => DhGroup::parse(g).ok_or_else(|| {
                        c.bad("g", "not a Diffie-Hellman group IOS offers for PFS")
                    })?,
                });
                p.pfs_line = Some(c.n);
                Ok(())
            }),
            // set ikev2-profile default
            (r"^set ikev2-profile (?P<name>\S+)$", |c, p| {
                p.ikev2_profile = Some((c.text("name"), c.n));
                Ok(())
            }),
            // set isakmp-profile ISAKMP-PROF
            (r"^set isakmp-profile (?P<name>\S+)$", |c, p| {
                p.isakmp_profile = Some((c.text("name"), c.n));
                Ok(())
            }),
            // set security-association lifetime kilobytes disable
            (
                r"^set security-association lifetime kilobytes disable$",
                |_, _| Ok(()),
            ),
            // set security-association lifetime seconds 27000
            (
                r"^set security-association lifetime (?P<unit>seconds|kilobytes) (?P<n>\S+)$",
                |c, p| set_lifetime(c, &mut p.lifetime),
            ),
            // responder-only
            (r"^responder-only$", |_, p| {
                p.responder_only = true;
                Ok(())
            }),
            // description to the branch
            (r"^description (?P<d>.*)$", |c, p| {
                p.description = Some(c.text("d"));
                Ok(())
            }),
        ],
        &[
            "set security-association idle-time",
            "set security-association replay",
            "set security-association dummy",
            "set mixed-mode",
            "set security-policy",
            "set identity",
            "set reverse-route",
            "set nat demux",
            "set dfbit",
            "dualstack",
            "qos pre-classify",
        ],
    )
});

pub(super) static ISAKMP_PROFILE: LazyLock<Rows<Apply<IsakmpProfile>>> = LazyLock::new(|| {
    rows::<Apply<IsakmpProfile>>(
        &[
            // keyring KR-SITE2
            (r"^keyring (?P<name>\S+)$", |c, p| {
                let name = c.text("name");
                if !p.keyrings.contains(&name) {
                    p.keyrings.push(name);
                }
                Ok(())
            }),
            // match identity address 203.0.113.2 255.255.255.255
            (
                r"^match identity address (?P<addr>\S+)(?: (?P<mask>[\d.]+))?(?: \S+)?$",
                |c, p| {
                    let net = c.peer_net("addr", "mask")?;
                    p.match_identity
                        .push((IsakmpIdentityMatch::Address(net), c.n));
                    Ok(())
                },
            ),
            // match identity host domain example.net
            (r"^match identity host domain (?P<v>\S+)$", |c, p| {
                p.match_identity
                    .push((IsakmpIdentityMatch::HostDomain(c.text("v")), c.n));
                Ok(())
            }),
            // match identity host r2.example.net
            (r"^match identity host (?P<v>\S+)$", |c, p| {
                p.match_identity
                    .push((IsakmpIdentityMatch::Host(c.text("v")), c.n));
                Ok(())
            }),
            // local-address GigabitEthernet0/0
            (r"^local-address (?P<ifname>\S+)$", |c, p| {
                p.local_address = Some(c.text("ifname"));
                Ok(())
            }),
            // description VTI peers
            (r"^description (?P<d>.*)$", |c, p| {
                p.description = Some(c.text("d"));
                Ok(())
            }),
        ],
        &[
            "self-identity",
            "keepalive",
            "vrf",
            "initiate mode",
            "ca trust-point",
            "isakmp authorization",
            "client",
            "virtual-template",
            "qos-group",
            "accounting",
            "match certificate",
            "match identity user",
            "match identity group",
        ],
    )
});

// ---------------------------------------------------------------------------------------
// Interface lines
// ---------------------------------------------------------------------------------------

/// `tunnel mode` words IOS takes; only the first two are modelled.
const TUNNEL_MODES: &[&str] = &[
    "gre ip",
    "ipsec ipv4",
    "gre multipoint",
    "gre ipv6",
    "ipsec ipv6",
    "ipsec ipv4 v6-overlay",
    "ipsec ipv6 v4-overlay",
    "gre ip v6-overlay",
    "ipip",
    "ipv6ip",
    "ipv6",
    "mpls",
    "udp",
    "vxlan",
];

fn tunnel_of(i: &mut Interface) -> Result<&mut Tunnel, Bad> {
    i.tunnel
        .as_mut()
        .ok_or_else(|| Bad::new(0, "`tunnel` lines belong to a Tunnel interface"))
}

/// Rows for `interface` blocks, tried before the plain interface table.
pub(super) static INTERFACE: LazyLock<Rows<Apply<Interface>>> = LazyLock::new(|| {
    rows::<Apply<Interface>>(
        &[
            // ip unnumbered Loopback0
            (r"^ip unnumbered (?P<ifname>\S+)$", |c, i| {
                i.unnumbered = Some(c.text("ifname"));
                Ok(())
            }),
            // tunnel source Ethernet0/0
            // tunnel source 169.145.141.7
            (r"^tunnel source (?P<src>\S+)$", |c, i| {
                let word = c.text("src");
                let src = match word.parse::<Ipv4Addr>() {
                    Ok(a) => TunnelSource::Address(a),
                    Err(_) if word.starts_with(|ch: char| ch.is_ascii_alphabetic()) => {
                        TunnelSource::Interface(word)
                    }
                    Err(_) => return Err(c.bad("src", "expected an interface or an IPv4 address")),
                };
                tunnel_of(i)?.source = Some((src, c.n));
                Ok(())
            }),
            // tunnel destination 10.0.0.2
            (r"^tunnel destination (?P<dst>\S+)$", |c, i| {
                let word = c.get("dst").unwrap_or_default();
                if word.parse::<Ipv4Addr>().is_err()
                    && word.starts_with(|ch: char| ch.is_ascii_alphabetic())
                {
                    return Err(c.bad(
                        "dst",
                        "destinations by name or `dynamic` are not modelled (only an address)",
                    ));
                }
                let dst = c.ip("dst")?;
                tunnel_of(i)?.destination = Some((dst, c.n));
                Ok(())
            }),
            // tunnel mode ipsec ipv4
            (r"^tunnel mode (?P<m>.+)$", |c, i| {
                let m = c.text("m");
                let mode = match m.as_str() {
                    "ipsec ipv4" => TunnelMode::IpsecIpv4,
                    "gre ip" => TunnelMode::GreIp,
                    other if TUNNEL_MODES.contains(&other) => TunnelMode::Other(m.clone()),
                    _ => return Err(c.bad("m", format!("unknown tunnel mode `{m}`"))),
                };
                let t = tunnel_of(i)?;
                t.mode = mode;
                t.mode_line = Some(c.n);
                Ok(())
            }),
            // tunnel protection ipsec profile phse2-prof
            // tunnel protection ipsec profile DMVPN shared
            (
                r"^tunnel protection ipsec profile (?P<name>\S+)(?: shared)?$",
                |c, i| {
                    tunnel_of(i)?.protection = Some((c.text("name"), c.n));
                    Ok(())
                },
            ),
            // tunnel protection ipsec policy ipv4 ACL_CUSTOMER_0099
            (
                r"^tunnel protection ipsec policy ipv4 (?P<acl>\S+)$",
                |c, i| {
                    tunnel_of(i)?.policy_acl = Some((c.text("acl"), c.n));
                    Ok(())
                },
            ),
        ],
        &[],
    )
});

#[cfg(test)]
mod tests {
    use super::super::config::parse;
    use super::super::fixtures::{V1VTI_R1, V2_R1, edit, ip, v2_map_r1};
    use super::super::ikev2::{Ikev2Auth, V2Cipher, V2Hash};
    use super::super::tunnel::{IkeVersion, Protection, any_any};
    use super::*;
    use crate::secret::Secret;

    #[test]
    fn every_pattern_compiles() {
        assert_eq!(TOP.rows.len(), 8);
        assert_eq!(PROPOSAL.rows.len(), 4);
        assert_eq!(POLICY.rows.len(), 3);
        assert_eq!(KEYRING.rows.len(), 6);
        assert_eq!(PROFILE.rows.len(), 13);
        assert_eq!(IPSEC_PROFILE.rows.len(), 8);
        assert_eq!(ISAKMP_PROFILE.rows.len(), 6);
        assert_eq!(INTERFACE.rows.len(), 6);
    }

    #[test]
    fn reads_an_ikev2_vti_router() {
        let p = parse(V2_R1);
        assert_eq!(p.unknown, vec![]);
        let c = p.config;
        let prop = &c.ikev2.proposals[0];
        assert_eq!(
            (
                prop.name.as_str(),
                prop.encryption.as_slice(),
                prop.integrity.as_slice(),
                prop.line
            ),
            (
                "PROP-1",
                &[V2Cipher::AesCbc256][..],
                &[V2Hash::Sha256][..],
                18
            )
        );
        assert_eq!(prop.groups, [DhGroup(14)]);
        assert_eq!(prop.attr_lines.get(&V2Attr::Group), Some(&21));
        let pol = &c.ikev2.policies[0];
        assert_eq!(pol.match_local, [ip("203.0.113.1")]);
        assert_eq!(pol.proposals, ["PROP-1"]);
        assert_eq!(pol.fvrf, Fvrf::Global);
        let ring = &c.ikev2.keyrings[0];
        let peer = &ring.peers[0];
        assert_eq!(peer.name, "R2");
        assert_eq!(
            peer.address.map(|n| n.to_string()),
            Some("203.0.113.2/32".into())
        );
        assert_eq!(
            peer.keys.local.as_ref().map(|k| (k.kind, k.line)),
            Some((0, 30))
        );
        assert_eq!(
            peer.keys.remote.as_ref().map(|k| k.secret.clone()),
            Some(Secret::new("R2-signs-with-this"))
        );
        assert!(peer.keys.both.is_none());
        let prof = c.ikev2_profile("PROF").unwrap();
        assert_eq!(prof.match_identity[0].0.to_string(), "address 203.0.113.2");
        assert_eq!(
            prof.identity_local.as_ref().map(|(id, _)| id.clone()),
            Some(Ikev2Id::Address(ip("203.0.113.1")))
        );
        assert_eq!(prof.auth_local.map(|(m, _)| m), Some(Ikev2Auth::PreShare));
        assert_eq!(prof.auth_remote.len(), 1);
        assert_eq!(prof.keyring.as_ref().map(|(k, _)| k.as_str()), Some("KR"));
        assert_eq!(prof.lifetime, 28800);
        assert_eq!(
            prof.dpd.as_ref().map(|d| (d.interval, d.retry, d.periodic)),
            Some((10, 3, true))
        );
        let ips = c.ipsec_profile("VTI-PROF").unwrap();
        assert_eq!(ips.transform_sets, ["TS"]);
        assert_eq!(ips.pfs, Some(DhGroup(14)));
        assert_eq!(ips.ike_version(), IkeVersion::V2);
        let tu = c.interface("Tunnel0").unwrap();
        let t = tu.tunnel.as_ref().unwrap();
        assert_eq!(
            t.source,
            Some((TunnelSource::Interface("GigabitEthernet1".into()), 53))
        );
        assert_eq!(t.destination, Some((ip("203.0.113.2"), 55)));
        assert_eq!(t.mode, TunnelMode::IpsecIpv4);
        assert_eq!(t.protection, Some(("VTI-PROF".into(), 56)));
        assert_eq!(c.tunnel_source_address(t), Some(ip("203.0.113.1")));
        assert!(c.interface("GigabitEthernet1").unwrap().tunnel.is_none());
        // Routed into the tunnel, the tunnel's own destination routed outside it.
        assert_eq!(
            c.route_to(ip("192.168.102.9")).map(|r| r.interface),
            Some("Tunnel0".into())
        );
        assert_eq!(
            c.route_for_tunnel("Tunnel0", t).map(|r| r.interface),
            Some("GigabitEthernet1".into())
        );
        assert_eq!(c.tunnel_selectors(t), [any_any()]);
        match c.protection_toward(ip("203.0.113.2")) {
            Some(Protection::Vti { interface, profile }) => {
                assert_eq!(
                    (interface.as_str(), profile.name.as_str()),
                    ("Tunnel0", "VTI-PROF")
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn cisco_flexvpn_site_to_site_example() {
        // Cisco document 115782, "FlexVPN Site-to-Site Configuration Example", left router,
        // as the page prints it (its indentation lost); the excerpt ends at the tunnel's
        // destination.
        let text = "\
crypto ikev2 keyring mykeys
peer Right-Router
address 172.20.5.43
pre-shared-key Cisco123
!
crypto ikev2 profile default
match identity remote address 172.20.5.43 255.255.255.255
authentication local pre-share
authentication remote pre-share
keyring local mykeys
dpd 60 2 on-demand
!
crypto ipsec profile default
set ikev2-profile default
!
interface Tunnel0
ip address 10.1.12.100 255.255.255.0
tunnel source Ethernet0/0
tunnel destination 172.20.5.43
";
        let p = parse(text);
        assert_eq!(p.unknown, vec![]);
        let c = p.config;
        let ring = c.ikev2_keyring("mykeys").unwrap();
        assert_eq!(ring.peers[0].name, "Right-Router");
        let keys = &ring.peers[0].keys;
        assert_eq!(keys.signing(), keys.verifying(), "one key both ways");
        assert_eq!(keys.both.as_ref().map(|k| k.line), Some(4));
        let prof = c.ikev2_profile("default").unwrap();
        assert_eq!(prof.dpd.as_ref().map(|d| d.periodic), Some(false));
        // The customised default IPsec profile keeps its default transform set.
        let ips = c.ipsec_profile("default").unwrap();
        assert_eq!(ips.transform_sets, ["default"]);
        assert_eq!(ips.ikev2_profile, Some(("default".into(), 14)));
        assert_eq!(
            c.profile_transform_sets(&ips)[0].transforms_text(),
            "esp-aes esp-sha-hmac"
        );
        // GRE over IPsec (no `tunnel mode` line): the GRE packets between the endpoints.
        let t = c.interface("Tunnel0").unwrap().tunnel.as_ref().unwrap();
        assert_eq!(t.mode, TunnelMode::GreIp);
        assert_eq!(
            t.source,
            Some((TunnelSource::Interface("Ethernet0/0".into()), 18))
        );
        // The smart defaults answer on any address with the default proposal.
        let choice = c.ikev2_policy_for(ip("172.20.5.44")).unwrap();
        assert_eq!(
            (choice.policy.name.as_str(), choice.policy.line),
            ("default", 0)
        );
        assert_eq!(choice.proposals[0].encryption, [V2Cipher::AesCbc256]);
    }

    #[test]
    fn cisco_ikev2_psk_debug_note_tunnel() {
        // Cisco document 115934, "IOS IKEv2 Debugs for Site-to-Site VPN with PSKs", Router 1
        // (excerpt: the loopback and the tunnel).
        let text = "\
interface Loopback0
ip address 192.168.1.1 255.255.255.0
!
interface Tunnel0
ip address 172.16.0.101 255.255.255.0
tunnel source Ethernet0/0
tunnel mode ipsec ipv4
tunnel destination 10.0.0.2
tunnel protection ipsec profile phse2-prof
!
";
        let p = parse(text);
        assert_eq!(p.unknown, vec![]);
        let c = p.config;
        let (i, t) = c.tunnel_toward(ip("10.0.0.2")).unwrap();
        assert_eq!(i.name, "Tunnel0");
        assert_eq!(t.protection, Some(("phse2-prof".into(), 9)));
        // The excerpt leaves out the profile: nothing protects toward the peer.
        assert_eq!(c.protection_toward(ip("10.0.0.2")), None);
    }

    #[test]
    fn keyring_peers_by_identity_from_a_published_hub() {
        // integrate.uk.com, "IOS-XE VPN PSK authentication using IKE ID", hub router (the
        // page runs the lines together; line breaks restored).
        let text = "\
crypto ikev2 keyring KEYRING
 peer SPOKE1
  identity fqdn SPOKE1.LAB.LOCAL
  pre-shared-key Cisco1234
 !
 peer SPOKE2
  identity fqdn SPOKE2.LAB.LOCAL
  pre-shared-key Cisco5678
";
        let p = parse(text);
        assert_eq!(p.unknown, vec![]);
        let ring = &p.config.ikev2.keyrings[0];
        assert_eq!(ring.peers.len(), 2, "the indented `!` closes only the peer");
        let id = Ikev2Id::Fqdn("SPOKE2.LAB.LOCAL".into());
        let peer = ring.peer_for_identity(&id, ip("198.51.100.9")).unwrap();
        assert_eq!(
            (peer.name.as_str(), peer.keys.both.as_ref().map(|k| k.line)),
            ("SPOKE2", Some(8))
        );
        assert!(ring.peer_for_address(ip("198.51.100.9")).is_none());
    }

    #[test]
    fn customised_default_proposal_from_a_published_config() {
        // Cloudflare's Magic WAN tutorial "Cisco IOS XE" (cloudflare-docs), its proposal.
        let text = "\
crypto ikev2 proposal default
 encryption aes-gcm-256
 integrity sha512 sha384 sha256 sha1
 group 14 19 20
 !
";
        let p = parse(text);
        assert_eq!(p.unknown, vec![]);
        let c = p.config;
        let d = c.ikev2_proposal("default").unwrap();
        assert_eq!(d.line, 1);
        assert_eq!(d.encryption, [V2Cipher::AesGcm256]);
        assert_eq!(d.groups, [DhGroup(14), DhGroup(19), DhGroup(20)]);
        assert_eq!(d.integrity.len(), 4, "several values on one line");
        // Unconfigured attributes keep the smart default's values.
        assert_eq!(d.prf, [V2Hash::Sha512, V2Hash::Sha384]);
        assert!(d.is_complete());
        assert_eq!(c.ikev2_policy_for(ip("10.0.0.1")).unwrap().proposals, [d]);
    }

    #[test]
    fn smart_defaults_removed() {
        let text = "\
no crypto ikev2 proposal default
no crypto ikev2 policy default
no crypto ipsec profile default
no crypto ipsec transform-set default
crypto ikev2 profile P
 match identity remote address 0.0.0.0
";
        let p = parse(text);
        assert_eq!(p.unknown, vec![]);
        let c = p.config;
        let d = c.smart_defaults;
        assert_eq!(
            (
                d.proposal_disabled,
                d.policy_disabled,
                d.ipsec_profile_disabled,
                d.transform_set_disabled
            ),
            (Some(1), Some(2), Some(3), Some(4))
        );
        assert!(c.ikev2_proposal("default").is_none());
        assert!(c.ikev2_policy_for(ip("10.0.0.1")).is_none());
        assert!(c.ipsec_profile("default").is_none());
        assert!(c.transform_set_or_default("default").is_none());
        // `address 0.0.0.0` alone is any address.
        let any = &c.ikev2_profile("P").unwrap().match_identity[0].0;
        assert!(any.matches(&Ikev2Id::Address(ip("198.51.100.1"))));
        // Only the proposal gone: the default policy has nothing left to offer.
        let c = parse("no crypto ikev2 proposal default\n").config;
        assert!(c.ikev2_policy_for(ip("10.0.0.1")).is_none());
        let bad = parse("no crypto ikev2 proposal MINE\n");
        assert_eq!((bad.unknown[0].line, bad.unknown[0].column), (1, 26));
    }

    #[test]
    fn policy_choice_prefers_the_local_address() {
        let text = "\
crypto ikev2 proposal A
 encryption aes-cbc-128
 integrity sha1
 group 2
crypto ikev2 proposal B
 encryption aes-cbc-256
 integrity sha256
 group 14
crypto ikev2 proposal HALF
 encryption aes-cbc-256
crypto ikev2 policy ANY
 proposal A
crypto ikev2 policy EXACT
 match address local 203.0.113.1
 proposal HALF
 proposal B
crypto ikev2 policy VRF
 match fvrf INTERNET
 match address local 203.0.113.9
 proposal B
crypto ikev2 policy EMPTY
 match address local 203.0.113.7
 proposal HALF
";
        let p = parse(text);
        assert_eq!(p.unknown, vec![]);
        let c = p.config;
        let pick = |a: &str| c.ikev2_policy_for(ip(a)).map(|x| x.policy.name);
        assert_eq!(pick("203.0.113.1"), Some("EXACT".into()));
        assert_eq!(
            c.ikev2_policy_for(ip("203.0.113.1"))
                .unwrap()
                .proposals
                .len(),
            1,
            "the incomplete proposal is skipped"
        );
        assert_eq!(pick("203.0.113.2"), Some("ANY".into()));
        assert_eq!(
            pick("203.0.113.9"),
            Some("ANY".into()),
            "named fvrfs are not modelled"
        );
        assert_eq!(
            pick("203.0.113.7"),
            Some("ANY".into()),
            "a policy of incomplete proposals"
        );
        let c = parse(&text.replace("crypto ikev2 policy ANY\n proposal A\n", "")).config;
        assert_eq!(
            c.ikev2_policy_for(ip("203.0.113.2")).map(|x| x.policy.name),
            Some("default".into()),
            "nothing configured matches: the smart default"
        );
    }

    #[test]
    fn several_values_and_their_faults() {
        let text = "\
crypto ikev2 proposal P
 encryption aes-cbc-256 aes-cbc-999
 integrity sha256 sha7
 prf sha384 sha256
 group 19 14 99
 encryption aes-gcm-256 aes-cbc-128
";
        let p = parse(text);
        let got: Vec<(usize, usize)> = p.unknown.iter().map(|d| (d.line, d.column)).collect();
        assert_eq!(
            got,
            vec![(2, 25), (3, 19), (5, 14), (6, 13)],
            "{:#?}",
            p.unknown
        );
        assert!(p.unknown[0].message.contains("aes-cbc-999"));
        assert!(p.unknown[3].message.contains("GCM"));
        let prop = &p.config.ikev2.proposals[0];
        assert_eq!(prop.prf, [V2Hash::Sha384, V2Hash::Sha256]);
        assert!(prop.encryption.is_empty(), "a refused line sets nothing");
    }

    #[test]
    fn keys_of_every_type_never_shown() {
        let text = "\
crypto ikev2 keyring KR
 peer A
  address 198.51.100.0 255.255.255.0
  pre-shared-key 0 clear-key-A
 peer B
  address 198.51.100.7
  pre-shared-key local 6 FLgBaJHXdYY_AcHZZMgQ_RhTDJXHUBAAB
  pre-shared-key remote 7 0822455D0A16
 peer C
  pre-shared-key local secret-C extra-word
 pre-shared-key orphan-key
";
        let p = parse(text);
        let c = &p.config;
        let ring = &c.ikev2.keyrings[0];
        let b = &ring.peers[1];
        assert_eq!(b.keys.local.as_ref().map(|k| k.kind), Some(6));
        assert_eq!(b.keys.remote.as_ref().map(|k| k.kind), Some(7));
        assert_eq!(
            ring.peer_for_address(ip("198.51.100.7"))
                .map(|p| p.name.as_str()),
            Some("B")
        );
        assert_eq!(
            ring.peer_for_address(ip("198.51.100.8"))
                .map(|p| p.name.as_str()),
            Some("A")
        );
        let lines: Vec<usize> = p.unknown.iter().map(|d| d.line).collect();
        assert_eq!(lines, [10], "{:?}", p.unknown);
        let shown = format!("{p:?}") + &serde_json::to_string(&p).unwrap();
        for secret in ["clear-key-A", "FLgBaJHX", "0822455D0A16", "secret-C"] {
            assert!(!shown.contains(secret), "{secret} leaked");
        }
        // A key line outside any peer block (indented under the keyring) is refused.
        let p = parse("crypto ikev2 keyring KR\n pre-shared-key orphan-key\n");
        assert_eq!(p.unknown.len(), 1);
        assert!(p.unknown[0].message.contains("peer"));
        assert!(!p.unknown[0].text.contains("orphan-key"));
    }

    #[test]
    fn profile_forms() {
        let text = "\
crypto ikev2 profile P
 description to the hub
 match fvrf any
 match address local 203.0.113.1
 match identity remote fqdn domain example.net
 match identity remote email vpn@example.net
 match identity remote key-id SITE-2
 match identity remote address 10.0.0.0 255.0.0.0
 identity local fqdn r1.example.net
 authentication local rsa-sig
 authentication remote pre-share
 authentication remote ecdsa-sig
 authentication remote eap query-identity
 keyring local KR
 lifetime 3600
 ivrf INSIDE
 virtual-template 1
crypto ikev2 profile Q
 keyring aaa FLEX
 lifetime 60
 authentication local pre-share extra
 match address local interface GigabitEthernet1
";
        let p = parse(text);
        let got: Vec<usize> = p.unknown.iter().map(|d| d.line).collect();
        assert_eq!(got, [19, 20, 21, 22], "{:#?}", p.unknown);
        let c = p.config;
        let prof = c.ikev2_profile("P").unwrap();
        assert_eq!(prof.fvrf, Fvrf::Any);
        assert_eq!(prof.match_identity.len(), 4);
        assert!(prof.selects(&Ikev2Id::Fqdn("r2.example.net".into()), ip("203.0.113.1")));
        assert!(!prof.selects(&Ikev2Id::Fqdn("r2.example.net".into()), ip("203.0.113.2")));
        assert!(prof.selects(&Ikev2Id::KeyId("SITE-2".into()), ip("203.0.113.1")));
        assert!(prof.selects(&Ikev2Id::Address(ip("10.9.9.9")), ip("203.0.113.1")));
        assert_eq!(
            prof.identity(ip("203.0.113.1")),
            Ikev2Id::Fqdn("r1.example.net".into())
        );
        let remote: Vec<Ikev2Auth> = prof.auth_remote.iter().map(|(m, _)| *m).collect();
        assert_eq!(
            remote,
            [Ikev2Auth::PreShare, Ikev2Auth::EcdsaSig, Ikev2Auth::Eap]
        );
        assert_eq!(prof.auth_local.map(|(m, _)| m), Some(Ikev2Auth::RsaSig));
        assert!(prof.missing().is_empty());
        assert_eq!(
            c.ikev2_profile("Q").unwrap().missing(),
            ["authentication local", "authentication remote"]
        );
    }

    #[test]
    fn ipsec_and_isakmp_profiles_and_crypto_map_versions() {
        let p = parse(V1VTI_R1);
        assert_eq!(p.unknown, vec![]);
        let c = p.config;
        let isa = c.isakmp_profile("ISAKMP-R2").unwrap();
        assert_eq!(isa.keyrings, ["KR-R2"]);
        assert!(isa.matches_address(ip("203.0.113.2")));
        let ips = c.ipsec_profile("VTI-V1").unwrap();
        assert_eq!(
            ips.isakmp_profile.as_ref().map(|(n, _)| n.as_str()),
            Some("ISAKMP-R2")
        );
        assert_eq!(ips.ike_version(), IkeVersion::V1);
        assert_eq!(c.isakmp_keys[0].keyring.as_deref(), Some("KR-R2"));
        let text = "\
crypto ipsec profile P
 description branch
 set transform-set T1 T2
 set pfs
 set security-association lifetime seconds 27000
 set security-association lifetime kilobytes disable
 set security-association idle-time 600
 responder-only
 set pfs group99
crypto map CMAP 10 ipsec-isakmp
 set isakmp-profile ISA
";
        let p = parse(text);
        assert_eq!(p.unknown.iter().map(|d| d.line).collect::<Vec<_>>(), [9]);
        let c = p.config;
        let ips = c.ipsec_profile("P").unwrap();
        assert_eq!(ips.transform_sets, ["T1", "T2"]);
        assert_eq!(ips.pfs, Some(DhGroup(1)), "bare set pfs is group1");
        assert_eq!(ips.lifetime.seconds, Some(27000));
        assert!(ips.responder_only);
        assert_eq!(c.crypto_maps[0].isakmp_profile.as_deref(), Some("ISA"));
        let map = parse(&v2_map_r1());
        assert_eq!(map.unknown, vec![]);
        let c = map.config;
        assert_eq!(c.crypto_maps[0].ikev2_profile.as_deref(), Some("PROF"));
        let prot = c.protection_toward(ip("203.0.113.2")).unwrap();
        assert!(matches!(prot, Protection::CryptoMap { .. }));
        assert_eq!(
            (prot.ike_version(), prot.ikev2_profile()),
            (IkeVersion::V2, Some("PROF"))
        );
    }

    #[test]
    fn tunnel_lines_and_their_faults() {
        let text = "\
interface Loopback0
 ip address 198.51.100.1 255.255.255.255
interface Tunnel5
 ip unnumbered Loopback0
 tunnel source 203.0.113.1
 tunnel mode gre multipoint
 tunnel destination 203.0.113.2
 tunnel protection ipsec profile DMVPN shared
 tunnel protection ipsec policy ipv4 TS-ACL
 tunnel key 100
interface Tunnel6
 tunnel destination dynamic
 tunnel mode ipsec ipv9
interface GigabitEthernet1
 tunnel source Loopback0
ip access-list extended TS-ACL
 permit ip 192.168.101.0 0.0.0.255 192.168.102.0 0.0.0.255
";
        let p = parse(text);
        let got: Vec<(usize, usize)> = p.unknown.iter().map(|d| (d.line, d.column)).collect();
        assert_eq!(got, vec![(12, 21), (13, 14), (15, 2)], "{:#?}", p.unknown);
        let c = p.config;
        let tu = c.interface("Tunnel5").unwrap();
        assert_eq!(tu.unnumbered.as_deref(), Some("Loopback0"));
        assert_eq!(c.interface_address("Tunnel5"), Some(ip("198.51.100.1")));
        let t = tu.tunnel.as_ref().unwrap();
        assert_eq!(t.mode, TunnelMode::Other("gre multipoint".into()));
        assert_eq!(
            t.source,
            Some((TunnelSource::Address(ip("203.0.113.1")), 5))
        );
        let sel = c.tunnel_selectors(t);
        assert_eq!(sel.len(), 1, "narrowed by the policy ACL");
        assert_eq!(sel[0].local.to_string(), "192.168.101.0 0.0.0.255");
        // GRE mode: the tunnel's own endpoints, protocol 47.
        let mut gre = t.clone();
        gre.policy_acl = None;
        gre.mode = TunnelMode::GreIp;
        let g = &c.tunnel_selectors(&gre)[0];
        assert_eq!(
            (g.protocol, g.local.to_string(), g.remote.to_string()),
            (
                super::super::acl::Protocol::Gre,
                "host 203.0.113.1".into(),
                "host 203.0.113.2".into()
            )
        );
    }

    #[test]
    fn unmodelled_ikev2_globals_stay_silent() {
        let text = "\
crypto ikev2 dpd 10 2 on-demand
crypto ikev2 nat keepalive 20
crypto ikev2 authorization policy default
 route set interface
crypto ikev2 proposl TYPO
";
        let p = parse(text);
        assert_eq!(p.unknown.iter().map(|d| d.line).collect::<Vec<_>>(), [5]);
    }

    #[test]
    fn healthy_pair_still_parses_after_edits() {
        let r1 = edit(V2_R1, " lifetime 28800\n", "");
        let c = parse(&r1).config;
        assert_eq!(
            c.ikev2_profile("PROF").unwrap().lifetime,
            86_400,
            "IOS's default"
        );
    }
}
