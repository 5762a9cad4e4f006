//! Judging configurations: the two peers' configs compared the way IKE would negotiate them
//! (through [`crate::ios`], the same model the lab simulates with), and one router's own config
//! used to name what its debug left unnamed.
//!
//! The steps follow the protocol: addresses → phase 1 (ISAKMP enabled, proposals, keys,
//! lifetime) → phase 2 (proxy identities, transform sets, PFS). The first failing step picks the
//! code; its fix uses the values of both configs.

use crate::engine::event::P1Attr;
use crate::engine::finding::{Code, Evidence, Finding, SilenceCause};
use crate::engine::peer::PeerState;
use crate::ios::addr::first_host;
use crate::ios::model::Attr;
use crate::ios::phase2::{NotInteresting, Phase2Offer};
use crate::ios::{
    AttrMismatch, CryptoMapEntry, Phase1Outcome, Phase2Outcome, RunningConfig, Side,
    closest_mismatch, phase1, phase2,
};
use std::net::Ipv4Addr;

/// One router of the pair with its parsed configuration.
struct Router<'a> {
    state: &'a PeerState,
    cfg: &'a RunningConfig,
}

impl Router<'_> {
    fn name(&self) -> &str {
        self.state.name()
    }

    fn ev(&self, line: usize) -> Option<Evidence> {
        self.state.config.as_ref()?.evidence(self.name(), line)
    }

    fn evs(&self, lines: impl IntoIterator<Item = usize>) -> Vec<Evidence> {
        lines.into_iter().filter_map(|l| self.ev(l)).collect()
    }
}

/// The crypto map entry of `a` that names one of `b`'s own addresses as its peer, with that
/// address and `a`'s address toward it.
fn entry_toward<'c>(
    a: &'c RunningConfig,
    b: &RunningConfig,
) -> Option<(&'c CryptoMapEntry, Ipv4Addr, Ipv4Addr)> {
    a.crypto_maps.iter().find_map(|e| {
        let target = e
            .peers
            .iter()
            .find(|p| b.interface_owning(p.addr).is_some())?;
        let own = a
            .route_to(target.addr)
            .and_then(|r| a.interface(&r.interface))
            .or_else(|| {
                a.interfaces
                    .iter()
                    .find(|i| i.crypto_map.as_deref() == Some(&e.map))
            })
            .and_then(|i| i.address)?;
        Some((e, target.addr, own.addr))
    })
}

/// Compares two routers' configurations. Both must be known.
pub fn compare(x: &PeerState, y: &PeerState) -> Vec<Finding> {
    let (Some(cx), Some(cy)) = (x.running_config(), y.running_config()) else {
        return Vec::new();
    };
    let a = Router { state: x, cfg: cx };
    let b = Router { state: y, cfg: cy };
    if let Some(f) = address_mismatch(&a, &b).or_else(|| address_mismatch(&b, &a)) {
        return vec![f];
    }
    // The router that sent traffic (or whose debug shows it initiating) goes first.
    let order = if y.pings.len() > x.pings.len() || y.debug.sent.count > x.debug.sent.count {
        [(&b, &a), (&a, &b)]
    } else {
        [(&a, &b), (&b, &a)]
    };
    for (init, resp) in order {
        let found = direction(init, resp);
        if !found.is_empty() {
            return found;
        }
    }
    Vec::new()
}

/// `a` sends IKE to an address `b` does not own, while `b` expects `a`.
fn address_mismatch(a: &Router, b: &Router) -> Option<Finding> {
    if entry_toward(a.cfg, b.cfg).is_some() {
        return None;
    }
    let entry = a.cfg.crypto_maps.iter().find(|e| !e.peers.is_empty())?;
    let (b_entry, a_addr, _) = entry_toward(b.cfg, a.cfg)?;
    let wrong = entry.peers.first()?;
    let b_iface = b
        .cfg
        .interfaces
        .iter()
        .find(|i| i.crypto_map.as_deref() == Some(&b_entry.map))
        .and_then(|i| i.address)?;
    let mut ev = a.evs([wrong.line]);
    ev.extend(
        b.evs(
            [b_iface.addr]
                .iter()
                .filter_map(|addr| b.cfg.interface_owning(*addr).map(|i| i.line)),
        ),
    );
    Some(
        Finding::new(
            Code::PeerSilent,
            b.name(),
            format!(
                "{} sends IKE for crypto map {} {} to {}, but {}'s outside address is {}: {} never receives the negotiation it waits for from {a_addr}.",
                a.name(),
                entry.map,
                entry.seq,
                wrong.addr,
                b.name(),
                b_iface.addr,
                b.name()
            ),
        )
        .cause(SilenceCause::PeerAddressMismatch)
        .evidence(ev)
        .fix(
            a.name(),
            vec![
                format!("crypto map {} {} ipsec-isakmp", entry.map, entry.seq),
                format!(" no set peer {}", wrong.addr),
                format!(" set peer {}", b_iface.addr),
            ],
        ),
    )
}

/// Negotiation with `init` initiating toward `resp`: the first failing step.
fn direction(init: &Router, resp: &Router) -> Vec<Finding> {
    let Some((entry, resp_addr, init_addr)) = entry_toward(init.cfg, resp.cfg) else {
        return Vec::new();
    };
    let p1 = phase1(init.cfg, init_addr, resp.cfg, resp_addr);
    let mut out = Vec::new();
    match &p1 {
        Phase1Outcome::IsakmpDisabled { side, line } => {
            let r = pick(*side, init, resp);
            out.push(
                Finding::new(
                    Code::PeerSilent,
                    r.name(),
                    format!("ISAKMP is switched off on {} (`no crypto isakmp`): it neither starts nor answers IKE.", r.name()),
                )
                .cause(SilenceCause::IsakmpDisabled)
                .evidence(line.iter().filter_map(|l| r.ev(*l)))
                .fix(r.name(), vec!["crypto isakmp enable".into()]),
            );
        }
        Phase1Outcome::NoKey { side, for_addr, .. } => {
            let (r, other) = match side {
                Side::Initiator => (init, resp),
                Side::Responder => (resp, init),
            };
            let other_key = other.cfg.key_for(match side {
                Side::Initiator => init_addr,
                Side::Responder => resp_addr,
            });
            let mut ev: Vec<Evidence> = r.evs(r.cfg.isakmp_keys.iter().map(|k| k.key.line));
            ev.extend(other_key.and_then(|k| other.ev(k.key.line)));
            out.push(
                Finding::new(
                    Code::P1PskMissing,
                    r.name(),
                    format!(
                        "{} has no pre-shared key for {for_addr}{}.",
                        r.name(),
                        if other_key.is_some() {
                            format!(
                                ", while {} has one for {}",
                                other.name(),
                                r_addr(side, init_addr, resp_addr)
                            )
                        } else {
                            String::new()
                        }
                    ),
                )
                .evidence(ev)
                .fix(
                    r.name(),
                    vec![format!(
                        "crypto isakmp key <the key {} uses> address {for_addr}",
                        other.name()
                    )],
                ),
            );
        }
        Phase1Outcome::NoProposalChosen { checks } => {
            if let Some(m) = closest_mismatch(checks) {
                out.push(proposal_finding(init, resp, &m));
            }
        }
        Phase1Outcome::KeyMismatch {
            initiator_key_line,
            responder_key_line,
            ..
        } => {
            let mut ev = init.evs([*initiator_key_line]);
            ev.extend(resp.evs([*responder_key_line]));
            out.push(
                Finding::new(
                    Code::P1PskMismatch,
                    resp.name(),
                    format!(
                        "The ISAKMP policies agree, but the pre-shared key {} holds for {resp_addr} differs from the key {} holds for {init_addr} (compared without showing either).",
                        init.name(),
                        resp.name()
                    ),
                )
                .evidence(ev)
                .fix(init.name(), vec![format!("crypto isakmp key <same key on both routers> address {resp_addr}")])
                .fix(resp.name(), vec![format!("crypto isakmp key <same key on both routers> address {init_addr}")]),
            );
        }
        Phase1Outcome::Agreed { agreement, .. } if agreement.lifetime_differs => {
            let ip = init
                .cfg
                .isakmp_policies
                .iter()
                .find(|p| p.priority == agreement.initiator_priority);
            let rp = resp
                .cfg
                .isakmp_policies
                .iter()
                .find(|p| p.priority == agreement.responder_priority);
            let mut ev: Vec<Evidence> = ip
                .map(|p| {
                    init.evs([
                        p.line,
                        p.attr_lines.get(&Attr::Lifetime).copied().unwrap_or(p.line),
                    ])
                })
                .unwrap_or_default();
            ev.extend(
                rp.map(|p| {
                    resp.evs([
                        p.line,
                        p.attr_lines.get(&Attr::Lifetime).copied().unwrap_or(p.line),
                    ])
                })
                .unwrap_or_default(),
            );
            ev.dedup();
            let (longer, prio) = if agreement.offered_lifetime > agreement.responder_lifetime {
                (init, agreement.initiator_priority)
            } else {
                (resp, agreement.responder_priority)
            };
            out.push(
                Finding::new(
                    Code::P1LifetimeMismatch,
                    longer.name(),
                    format!(
                        "Phase 1 lifetimes differ: {} offers {} s (policy {}), {} has {} s (policy {}). IOS uses the lower, {} s, so the tunnel comes up, but the two sides disagree on when to rekey.",
                        init.name(),
                        agreement.offered_lifetime,
                        agreement.initiator_priority,
                        resp.name(),
                        agreement.responder_lifetime,
                        agreement.responder_priority,
                        agreement.lifetime
                    ),
                )
                .evidence(ev)
                .fix(longer.name(), vec![format!("crypto isakmp policy {prio}"), format!(" lifetime {}", agreement.lifetime)]),
            );
        }
        _ => {}
    }
    if !p1.is_up() && !matches!(p1, Phase1Outcome::Agreed { .. }) {
        return out;
    }
    // Phase 2 for the traffic that was actually sent (a sourced ping in the capture), else for
    // traffic between the first networks the initiator's crypto ACL protects.
    let Some((src, dst)) = sent_traffic(init).or_else(|| acl_traffic(init, entry)) else {
        return out;
    };
    match phase2(init.cfg, init_addr, src, dst, resp.cfg, resp_addr) {
        Phase2Outcome::ProxyIdMismatch { offer, candidates } => {
            let mut ev = init.evs([offer.acl_entry.line]);
            for c in &candidates {
                if let Some(acl) = &c.acl {
                    ev.extend(resp.evs(acl.entries.iter().map(|e| e.line)));
                }
            }
            let proxy = offer.proxy.mirrored();
            let acl_name = candidates
                .iter()
                .find_map(|c| c.acl.as_ref().map(|a| a.name.clone()))
                .unwrap_or_else(|| "<the crypto ACL>".into());
            out.push(
                Finding::new(
                    Code::P2ProxyIdMismatch,
                    resp.name(),
                    format!(
                        "{} proposes to protect {} {} -> {} (ACL {} line), but no crypto map entry on {} for {init_addr} has an ACL covering the mirror image {} -> {}. The crypto ACLs must be mirror images.",
                        init.name(),
                        offer.proxy.protocol,
                        offer.proxy.local,
                        offer.proxy.remote,
                        offer.acl.name,
                        resp.name(),
                        proxy.local,
                        proxy.remote
                    ),
                )
                .evidence(ev)
                .fix(resp.name(), vec![acl_line(&acl_name, &proxy)]),
            );
        }
        Phase2Outcome::TransformMismatch {
            offer,
            responder_entry,
            offered,
            local,
        } => {
            let mut ev = init.evs(offered.iter().map(|t| t.line));
            ev.extend(resp.evs(local.iter().map(|t| t.line)));
            let first = offered.first();
            let fix = first
                .map(|t| {
                    vec![
                        format!(
                            "crypto ipsec transform-set {} {}",
                            t.name,
                            t.transforms_text()
                        ),
                        format!(
                            "crypto map {} {} ipsec-isakmp",
                            responder_entry.map, responder_entry.seq
                        ),
                        format!(" set transform-set {}", t.name),
                    ]
                })
                .unwrap_or_default();
            out.push(
                Finding::new(
                    Code::P2TransformMismatch,
                    resp.name(),
                    format!(
                        "{} offers transform set(s) {} for crypto map {} {}; {}'s entry {} {} accepts only {}. No common transform set.",
                        init.name(),
                        sets(&offered),
                        offer.map,
                        offer.seq,
                        resp.name(),
                        responder_entry.map,
                        responder_entry.seq,
                        sets(&local)
                    ),
                )
                .evidence(ev)
                .fix(resp.name(), fix),
            );
        }
        Phase2Outcome::PfsMismatch {
            offer,
            responder_entry,
            initiator,
            responder,
        } => {
            out.push(pfs_finding(
                init,
                resp,
                &offer,
                &responder_entry.map,
                responder_entry.seq,
                responder_entry.line,
                initiator.map(|g| g.0),
                responder.map(|g| g.0),
            ));
        }
        Phase2Outcome::NoCryptoMap { side, interface } => {
            let r = pick(side, init, resp);
            out.push(
                Finding::new(
                    Code::PeerSilent,
                    r.name(),
                    format!(
                        "{} has no crypto map on {}: IKE from {} arrives where nothing listens for it.",
                        r.name(),
                        interface.as_deref().unwrap_or("the interface facing its peer"),
                        init.name()
                    ),
                )
                .cause(SilenceCause::CryptoMapNotApplied)
                .evidence(r.cfg.crypto_maps.first().and_then(|e| r.ev(e.line)))
                .fix(
                    r.name(),
                    r.cfg
                        .crypto_maps
                        .first()
                        .map(|e| vec![format!("interface {}", interface.clone().unwrap_or_else(|| "<outside interface>".into())), format!(" crypto map {}", e.map)])
                        .unwrap_or_default(),
                ),
            );
        }
        Phase2Outcome::NoInterestingTraffic {
            reason: NotInteresting::NoEntryPermits { map, .. },
        } => {
            let acl = entry.acl.as_deref().and_then(|n| init.cfg.access_list(n));
            let mut ev: Vec<Evidence> = acl
                .map(|a| init.evs(a.entries.iter().map(|e| e.line)))
                .unwrap_or_default();
            ev.extend(
                init.state
                    .pings
                    .iter()
                    .filter(|p| !p.from.is_empty())
                    .map(|p| p.evidence(init.name())),
            );
            let src_net = init.cfg.interface_for(src).and_then(|i| i.address);
            let dst_net = resp_protected_for(resp.cfg, dst);
            let fix = match (acl, src_net, dst_net) {
                (Some(a), Some(s), Some(d)) => vec![format!(
                    "access-list {} permit ip {} {} {} {}",
                    a.name,
                    s.network(),
                    wildcard_of(s.len),
                    d.0,
                    d.1
                )],
                _ => Vec::new(),
            };
            out.push(
                Finding::new(
                    Code::NoInterestingTraffic,
                    init.name(),
                    format!(
                        "Traffic from {src} to {dst} leaves {} by the interface with crypto map {map}, but no entry's ACL permits it, so it goes out in clear and IKE never starts{}.",
                        init.name(),
                        acl.map(|a| format!(" (ACL {} protects other networks)", a.name))
                            .unwrap_or_default()
                    ),
                )
                .evidence(ev)
                .fix(init.name(), fix),
            );
        }
        Phase2Outcome::NoInterestingTraffic {
            reason: NotInteresting::NoCryptoMap { interface },
        } => {
            out.push(
                Finding::new(
                    Code::NoInterestingTraffic,
                    init.name(),
                    format!(
                        "{} sends traffic for {dst} out of {interface}, which carries no crypto map: nothing ever starts IKE.",
                        init.name()
                    ),
                )
                .evidence(init.cfg.interface(&interface).and_then(|i| init.ev(i.line)))
                .fix(init.name(), vec![format!("interface {interface}"), format!(" crypto map {}", entry.map)]),
            );
        }
        _ => {}
    }
    out
}

/// A ping typed with a `source`: the traffic an engineer used to bring the tunnel up.
fn sent_traffic(init: &Router) -> Option<(Ipv4Addr, Ipv4Addr)> {
    init.state.pings.iter().rev().find_map(|p| {
        if p.from.is_empty() {
            return None;
        }
        let dst: Ipv4Addr = p.target.parse().ok()?;
        let src = p.from.parse::<Ipv4Addr>().ok().or_else(|| {
            init.cfg
                .interfaces
                .iter()
                .find(|i| i.name.eq_ignore_ascii_case(&p.from) || abbreviates(&p.from, &i.name))?
                .address
                .map(|a| a.addr)
        })?;
        Some((src, dst))
    })
}

/// `Gi1/0` for `GigabitEthernet1/0`, `lo1` for `Loopback1`.
fn abbreviates(short: &str, full: &str) -> bool {
    let split = |s: &str| {
        let i = s.find(|c: char| c.is_ascii_digit()).unwrap_or(s.len());
        (s[..i].to_ascii_lowercase(), s[i..].to_string())
    };
    let (sa, sn) = split(short);
    let (fa, fn_) = split(full);
    !sa.is_empty() && fa.starts_with(&sa) && sn == fn_
}

fn acl_traffic(init: &Router, entry: &CryptoMapEntry) -> Option<(Ipv4Addr, Ipv4Addr)> {
    let acl = init.cfg.access_list(entry.acl.as_deref()?)?;
    let first = acl
        .entries
        .iter()
        .find(|e| e.action == crate::ios::acl::Action::Permit)?;
    Some((first_host(first.src.addr), first_host(first.dst.addr)))
}

/// The network and wildcard the responder protects that contains `dst` (from its crypto ACLs'
/// sources), as printed in an ACL entry.
fn resp_protected_for(cfg: &RunningConfig, dst: Ipv4Addr) -> Option<(Ipv4Addr, Ipv4Addr)> {
    cfg.access_lists
        .iter()
        .flat_map(|a| a.entries.iter())
        .find_map(|e| {
            let w = e.src;
            let mask = !u32::from(w.wildcard);
            (u32::from(dst) & mask == u32::from(w.addr) & mask).then_some((w.addr, w.wildcard))
        })
}

fn wildcard_of(len: u8) -> Ipv4Addr {
    Ipv4Addr::from(u32::MAX.checked_shr(u32::from(len)).unwrap_or(0))
}

fn r_addr(side: &Side, init_addr: Ipv4Addr, resp_addr: Ipv4Addr) -> Ipv4Addr {
    match side {
        Side::Initiator => init_addr,
        Side::Responder => resp_addr,
    }
}

fn pick<'r, 'a>(side: Side, init: &'r Router<'a>, resp: &'r Router<'a>) -> &'r Router<'a> {
    match side {
        Side::Initiator => init,
        Side::Responder => resp,
    }
}

fn sets(list: &[crate::ios::model::TransformSet]) -> String {
    list.iter()
        .map(|t| format!("{} ({})", t.name, t.transforms_text()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn acl_line(name: &str, proxy: &crate::ios::ProxyId) -> String {
    if name.chars().all(|c| c.is_ascii_digit()) {
        format!(
            "access-list {name} permit {} {} {}",
            proxy.protocol, proxy.local, proxy.remote
        )
    } else {
        format!(
            "ip access-list extended {name}\n permit {} {} {}",
            proxy.protocol, proxy.local, proxy.remote
        )
    }
}

#[allow(clippy::too_many_arguments)]
fn pfs_finding(
    init: &Router,
    resp: &Router,
    offer: &Phase2Offer,
    map: &str,
    seq: u32,
    line: usize,
    initiator: Option<u8>,
    responder: Option<u8>,
) -> Finding {
    let say = |g: Option<u8>| g.map_or("no PFS".to_string(), |g| format!("PFS group {g}"));
    let init_entry = init
        .cfg
        .crypto_maps
        .iter()
        .find(|e| e.map == offer.map && e.seq == offer.seq);
    let mut ev: Vec<Evidence> = init_entry.map(|e| init.evs([e.line])).unwrap_or_default();
    ev.extend(resp.evs([line]));
    let fix = match responder {
        Some(g) => vec![
            format!("crypto map {} {} ipsec-isakmp", offer.map, offer.seq),
            format!(" set pfs group{g}"),
        ],
        None => vec![
            format!("crypto map {} {} ipsec-isakmp", offer.map, offer.seq),
            " no set pfs".to_string(),
        ],
    };
    Finding::new(
        Code::P2PfsMismatch,
        resp.name(),
        format!(
            "{} proposes phase 2 with {} (crypto map {} {}), but {}'s entry {map} {seq} requires {}: quick mode is refused.",
            init.name(),
            say(initiator),
            offer.map,
            offer.seq,
            resp.name(),
            say(responder)
        ),
    )
    .evidence(ev)
    .fix(init.name(), fix)
}

/// What the responder's summary of a proposal mismatch says and how both sides are fixed.
fn proposal_finding(init: &Router, resp: &Router, m: &crate::ios::ClosestMismatch) -> Finding {
    let first: &AttrMismatch = &m.differences[0];
    let code = match first.attr {
        Attr::Encryption => Code::P1EncryptionMismatch,
        Attr::Hash => Code::P1HashMismatch,
        Attr::Group => Code::P1DhGroupMismatch,
        Attr::Auth => Code::P1AuthMethodMismatch,
        Attr::Lifetime => Code::P1LifetimeMismatch,
    };
    let diffs: Vec<String> = m
        .differences
        .iter()
        .map(|d| {
            format!(
                "{} {} offered vs {} on {}",
                attr_name(d.attr),
                d.offered,
                d.local,
                resp.name()
            )
        })
        .collect();
    let line_of = |cfg: &RunningConfig, prio: u32, attr: Attr| {
        cfg.isakmp_policies
            .iter()
            .find(|p| p.priority == prio)
            .map(|p| (p.line, p.attr_lines.get(&attr).copied()))
    };
    let mut ev = Vec::new();
    for d in &m.differences {
        if let Some((l, a)) = line_of(init.cfg, m.initiator_priority, d.attr) {
            ev.extend(init.evs([l].into_iter().chain(a)));
        }
        if let Some((l, a)) = line_of(resp.cfg, m.responder_priority, d.attr) {
            ev.extend(resp.evs([l].into_iter().chain(a)));
        }
    }
    ev.dedup();
    Finding::new(
        code,
        resp.name(),
        format!(
            "No ISAKMP policy pair agrees. The closest is {} policy {} against {} policy {}: {}. Change either side; the fix below aligns {}.",
            init.name(),
            m.initiator_priority,
            resp.name(),
            m.responder_priority,
            diffs.join("; "),
            resp.name()
        ),
    )
    .evidence(ev)
    .fix(resp.name(), m.fix_on_responder.clone())
}

fn attr_name(a: Attr) -> &'static str {
    match a {
        Attr::Encryption => "encryption",
        Attr::Hash => "hash",
        Attr::Auth => "authentication",
        Attr::Group => "DH group",
        Attr::Lifetime => "lifetime",
    }
}

/// The attribute a router's own policies reject in an offer it printed without naming one,
/// judged against the policies of its configuration or `show crypto isakmp policy`.
pub fn unnamed_attribute(offered: &[P1Attr], cfg: &RunningConfig) -> Option<(Attr, Vec<usize>)> {
    let mut enc = None;
    let mut keylen = None;
    let (mut hash, mut group, mut auth) = (None, None, None);
    for a in offered {
        match a {
            P1Attr::Encryption(e) => enc = Some(e.to_ascii_lowercase()),
            P1Attr::KeyLength(k) => keylen = Some(*k),
            P1Attr::Hash(h) => hash = Some(h.to_ascii_lowercase()),
            P1Attr::Group(g) => group = Some(*g),
            P1Attr::Auth(a) => auth = Some(a.to_ascii_lowercase()),
            P1Attr::Lifetime(_) => {}
        }
    }
    let enc_word = enc.map(|e| {
        let base = e.trim_end_matches("-cbc").to_string();
        match (base.as_str(), keylen) {
            ("aes", Some(k)) if k != 128 => format!("aes {k}"),
            ("aes", _) => "aes".to_string(),
            _ => base,
        }
    });
    let mut first_fail: Option<Attr> = None;
    let mut lines = Vec::new();
    // The built-in default suite rejects most offers for its own reasons (DES, rsa-sig): it
    // only speaks when no policy is configured.
    let policies = if cfg.isakmp_policies.is_empty() {
        cfg.policies_with_default()
    } else {
        cfg.isakmp_policies.clone()
    };
    for p in policies {
        let checks: [(Attr, bool); 4] = [
            (
                Attr::Encryption,
                enc_word.as_deref().is_none_or(|e| {
                    e == p.encryption.to_string()
                        || (e == "aes" && p.encryption.to_string() == "aes 128")
                }),
            ),
            (
                Attr::Hash,
                hash.as_deref().is_none_or(|h| h == p.hash.to_string()),
            ),
            (
                Attr::Auth,
                auth.as_deref().is_none_or(|a| a == p.auth.to_string()),
            ),
            (Attr::Group, group.is_none_or(|g| g == u32::from(p.group.0))),
        ];
        let fail = checks.iter().find(|(_, ok)| !ok).map(|(a, _)| *a)?;
        match first_fail {
            None => first_fail = Some(fail),
            Some(f) if f != fail => return None,
            Some(_) => {}
        }
        if p.line > 0 {
            lines.push(p.line);
            lines.extend(p.attr_lines.get(&fail).copied());
        }
    }
    first_fail.map(|a| (a, lines))
}

/// Whether a router's PFS setting explains a phase-2 rejection it logged: its crypto map entry
/// for `remote` requires a group the offer did not carry.
pub fn pfs_explains(
    cfg: &RunningConfig,
    remote: Option<&str>,
    offered_pfs: Option<u32>,
) -> Option<(u8, usize)> {
    let remote: Ipv4Addr = remote?.parse().ok()?;
    let entry = cfg.crypto_maps.iter().find(|e| e.has_peer(remote))?;
    let need = entry.pfs?;
    (offered_pfs != Some(u32::from(need.0))).then_some((need.0, entry.line))
}
