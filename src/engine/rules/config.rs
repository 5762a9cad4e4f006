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
use crate::ios::acl::{AccessList, AclEntry};
use crate::ios::addr::first_host;
use crate::ios::model::{Attr, DhGroup};
use crate::ios::phase1::AttrValue;
use crate::ios::phase2::{NotInteresting, Phase2Offer};
use crate::ios::strength;
use crate::ios::{
    CryptoMapEntry, Phase1Outcome, Phase2Outcome, RunningConfig, Side, Wildcard, closest_mismatch,
    phase1, phase2,
};
use std::net::Ipv4Addr;

/// One router of the pair with its parsed configuration.
pub(super) struct Router<'a> {
    pub(super) state: &'a PeerState,
    pub(super) cfg: &'a RunningConfig,
}

impl Router<'_> {
    pub(super) fn name(&self) -> &str {
        self.state.name()
    }

    pub(super) fn ev(&self, line: usize) -> Option<Evidence> {
        self.state.config.as_ref()?.evidence(self.name(), line)
    }

    pub(super) fn evs(&self, lines: impl IntoIterator<Item = usize>) -> Vec<Evidence> {
        lines.into_iter().filter_map(|l| self.ev(l)).collect()
    }
}

/// The crypto map entry of `a` that names one of `b`'s own addresses as its peer, with that
/// address and `a`'s address toward it.
pub(super) fn entry_toward<'c>(
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
    // The router that sent traffic (or whose debug shows it initiating) goes first.
    let sent = |p: &PeerState| p.debug.sent.count + p.debug.v2.sent.count;
    let order = if y.pings.len() > x.pings.len() || sent(y) > sent(x) {
        [(&b, &a), (&a, &b)]
    } else {
        [(&a, &b), (&b, &a)]
    };
    // Route-based tunnels are judged by their own steps; crypto maps below.
    if let Some(found) = super::config_v2::compare(order) {
        return found;
    }
    if let Some(f) = address_mismatch(&a, &b).or_else(|| address_mismatch(&b, &a)) {
        return vec![f];
    }
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
    let mut fix = vec![
        format!("crypto map {} {} ipsec-isakmp", entry.map, entry.seq),
        format!(" no set peer {}", wrong.addr),
        format!(" set peer {}", b_iface.addr),
    ];
    // The key was usually typed with the same wrong address: it moves with the peer.
    let stray_key = a
        .cfg
        .isakmp_keys
        .iter()
        .find(|k| k.keyring.is_none() && k.peer.len == 32 && k.peer.addr == wrong.addr);
    let mut why_key = String::new();
    if let Some(k) = stray_key
        && a.cfg.key_for(b_iface.addr).is_none()
    {
        ev.extend(a.ev(k.key.line));
        fix.extend(move_key(wrong.addr, b_iface.addr));
        why_key = format!(
            " Its pre-shared key is for {} too, so it moves with the peer (***** stands for the key already configured).",
            wrong.addr
        );
    }
    Some(
        Finding::new(
            Code::PeerSilent,
            b.name(),
            format!(
                "{} sends IKE for crypto map {} {} to {}, but {}'s outside address is {}: {} never receives the negotiation it waits for from {a_addr}.{why_key}",
                a.name(),
                entry.map,
                entry.seq,
                wrong.addr,
                b.name(),
                b_iface.addr,
                b.name()
            ),
        )
        .remote(Some(a_addr.to_string()))
        .cause(SilenceCause::PeerAddressMismatch)
        .evidence(ev)
        .fix(a.name(), fix),
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
            // A host key for an address no crypto map names is the key typed with the wrong
            // address: move it rather than add a second one.
            let stray = r.cfg.isakmp_keys.iter().find(|k| {
                k.keyring.is_none()
                    && k.peer.len == 32
                    && !r.cfg.crypto_maps.iter().any(|e| e.has_peer(k.peer.addr))
                    && other.cfg.interface_owning(k.peer.addr).is_none()
            });
            let (fix, moved) = match stray {
                Some(k) => (
                    move_key(k.peer.addr, *for_addr),
                    format!(
                        " Its only candidate key is for {}, an address no crypto map uses: it was typed with the wrong address and moves to {for_addr} (***** stands for the key already configured).",
                        k.peer.addr
                    ),
                ),
                None => (
                    vec![format!(
                        "crypto isakmp key <the key {} uses> address {for_addr}",
                        other.name()
                    )],
                    String::new(),
                ),
            };
            out.push(
                Finding::new(
                    Code::P1PskMissing,
                    r.name(),
                    format!(
                        "{} has no pre-shared key for {for_addr}{}.{moved}",
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
                .remote(Some(for_addr.to_string()))
                .evidence(ev)
                .fix(r.name(), fix),
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
                        "Phase 1 lifetimes differ: {} offers {} s (policy {}), {} has {} s (policy {}). IOS uses the lower, {} s, so the tunnel comes up, but the two sides disagree on when to rekey. The fix lowers the longer one: a shorter lifetime is the stronger choice, so nothing is given up.",
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
            let acl = candidates.iter().find_map(|c| c.acl.as_ref());
            let right = format!("permit {} {} {}", proxy.protocol, proxy.local, proxy.remote);
            let fix = match acl {
                Some(a) => acl_replace(a, nearest_entry(a, proxy.local, proxy.remote), &right),
                None => vec![format!(
                    "ip access-list extended <the crypto ACL>\n {right}"
                )],
            };
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
                .remote(Some(init_addr.to_string()))
                .evidence(ev)
                .fix(resp.name(), fix),
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
            let strongest = |sets: &[crate::ios::model::TransformSet]| {
                sets.iter()
                    .max_by_key(|t| strength::transform_set(t))
                    .cloned()
            };
            let (best_offered, best_local) = (strongest(&offered), strongest(&local));
            // The weaker side takes the stronger side's set, added in front of the sets its
            // entry already lists.
            let responder_stronger = matches!(
                (&best_local, &best_offered),
                (Some(l), Some(o)) if strength::transform_set_stronger(l, o)
            );
            let (fixed, entry_map, entry_seq, set, existing) = if responder_stronger {
                let init_entry = init
                    .cfg
                    .crypto_maps
                    .iter()
                    .find(|e| e.map == offer.map && e.seq == offer.seq);
                (
                    init,
                    offer.map.clone(),
                    offer.seq,
                    best_local.clone(),
                    init_entry
                        .map(|e| e.transform_sets.clone())
                        .unwrap_or_default(),
                )
            } else {
                (
                    resp,
                    responder_entry.map.clone(),
                    responder_entry.seq,
                    best_offered.clone(),
                    responder_entry
                        .transform_sets
                        .iter()
                        .map(|t| t.name.clone())
                        .collect(),
                )
            };
            let fix = set
                .as_ref()
                .map(|t| {
                    let mut names = vec![t.name.clone()];
                    names.extend(existing.iter().filter(|n| **n != t.name).cloned());
                    vec![
                        format!(
                            "crypto ipsec transform-set {} {}",
                            t.name,
                            t.transforms_text()
                        ),
                        format!("crypto map {entry_map} {entry_seq} ipsec-isakmp"),
                        format!(" set transform-set {}", names.join(" ")),
                    ]
                })
                .unwrap_or_default();
            let direction = match &set {
                Some(t) => format!(
                    " The fix gives {} the set {} ({}), the stronger side's, so no protection is given up.",
                    fixed.name(),
                    t.name,
                    t.transforms_text()
                ),
                None => String::new(),
            };
            out.push(
                Finding::new(
                    Code::P2TransformMismatch,
                    resp.name(),
                    format!(
                        "{} offers transform set(s) {} for crypto map {} {}; {}'s entry {} {} accepts only {}. No common transform set.{direction}",
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
                .remote(Some(init_addr.to_string()))
                .evidence(ev)
                .fix(fixed.name(), fix),
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
            let iface = interface
                .clone()
                .unwrap_or_else(|| "<outside interface>".into());
            let map = r.cfg.crypto_maps.first().map(|e| e.map.clone());
            let fix = map
                .as_deref()
                .map(|m| apply_map(r.cfg, m, &iface))
                .unwrap_or_default();
            out.push(
                Finding::new(
                    Code::PeerSilent,
                    r.name(),
                    format!(
                        "{} has no crypto map on {iface}: IKE from {} arrives where nothing listens for it.",
                        r.name(),
                        init.name()
                    ),
                )
                .cause(SilenceCause::CryptoMapNotApplied)
                .evidence(r.cfg.crypto_maps.first().and_then(|e| r.ev(e.line)))
                .fix(r.name(), fix),
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
                (Some(a), Some(s), Some(d)) => {
                    let want_src = Wildcard {
                        addr: s.network(),
                        wildcard: wildcard_of(s.len),
                    };
                    let want_dst = Wildcard {
                        addr: d.0,
                        wildcard: d.1,
                    };
                    acl_replace(
                        a,
                        nearest_entry(a, want_src, want_dst),
                        &format!("permit ip {want_src} {want_dst}"),
                    )
                }
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
                .fix(init.name(), apply_map(init.cfg, &entry.map, &interface)),
            );
        }
        _ => {}
    }
    out
}

/// A ping typed with a `source`: the traffic an engineer used to bring the tunnel up.
pub(super) fn sent_traffic(init: &Router) -> Option<(Ipv4Addr, Ipv4Addr)> {
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

pub(super) fn acl_traffic(init: &Router, entry: &CryptoMapEntry) -> Option<(Ipv4Addr, Ipv4Addr)> {
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

/// The ACL entry a fix should replace: the permit entry that shares one side with the wanted
/// one (a typo on the other side), or the list's only permit entry.
fn nearest_entry(acl: &AccessList, src: Wildcard, dst: Wildcard) -> Option<&AclEntry> {
    let permits: Vec<&AclEntry> = acl.permit_entries().collect();
    permits
        .iter()
        .find(|e| e.src.same_range(&src) != e.dst.same_range(&dst))
        .or_else(|| (permits.len() == 1).then(|| &permits[0]))
        .copied()
}

/// Commands that replace `wrong` (when known) by `right` in `acl`. A numbered list whose only
/// entry is the wrong one is removed and written again, which every IOS release accepts;
/// otherwise the entry is edited in place under `ip access-list extended`, which keeps the
/// list's other entries (`no access-list N …` would delete the whole numbered list).
fn acl_replace(acl: &AccessList, wrong: Option<&AclEntry>, right: &str) -> Vec<String> {
    let numbered = acl.name.chars().all(|c| c.is_ascii_digit());
    match wrong {
        Some(_) if numbered && acl.entries.len() == 1 => vec![
            format!("no access-list {}", acl.name),
            format!("access-list {} {right}", acl.name),
        ],
        Some(w) => vec![
            format!("ip access-list extended {}", acl.name),
            format!(" no {w}"),
            format!(" {right}"),
        ],
        None if numbered => vec![format!("access-list {} {right}", acl.name)],
        None => vec![
            format!("ip access-list extended {}", acl.name),
            format!(" {right}"),
        ],
    }
}

/// A global key typed for the wrong address, moved to the right one. The key itself is never
/// printed: `*****` stands for the one already configured.
fn move_key(wrong: Ipv4Addr, right: Ipv4Addr) -> Vec<String> {
    vec![
        format!("no crypto isakmp key ***** address {wrong}"),
        format!("crypto isakmp key ***** address {right}"),
    ]
}

/// Applies crypto map `map` to `iface`, taking it off interfaces where it serves no peer (the
/// interface it was applied to by mistake).
fn apply_map(cfg: &RunningConfig, map: &str, iface: &str) -> Vec<String> {
    let mut fix = Vec::new();
    for wrong in cfg
        .interfaces
        .iter()
        .filter(|i| i.crypto_map.as_deref() == Some(map) && !i.name.eq_ignore_ascii_case(iface))
    {
        let serves_a_peer = cfg.crypto_map(map).flat_map(|e| e.peers.iter()).any(|p| {
            cfg.route_to(p.addr)
                .is_some_and(|r| r.interface.eq_ignore_ascii_case(&wrong.name))
        });
        if !serves_a_peer {
            fix.push(format!("interface {}", wrong.name));
            fix.push(format!(" no crypto map {map}"));
        }
    }
    fix.push(format!("interface {iface}"));
    fix.push(format!(" crypto map {map}"));
    fix
}

/// A host route to `ip` through the gateway the router already uses for the networks its
/// crypto ACLs protect (the provider's router), or a placeholder when none is configured.
pub fn route_fix(cfg: &RunningConfig, ip: Ipv4Addr) -> Vec<String> {
    let gateway = cfg
        .crypto_maps
        .iter()
        .filter_map(|e| cfg.access_list(e.acl.as_deref()?))
        .flat_map(|a| a.permit_entries())
        .filter_map(|e| cfg.route_to(first_host(e.dst.addr)))
        .find(|r| r.next_hop != ip && matches!(r.via, crate::ios::model::RouteVia::Static { .. }))
        .map(|r| r.next_hop.to_string())
        .unwrap_or_else(|| "<next hop>".into());
    vec![format!("ip route {ip} 255.255.255.255 {gateway}")]
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
    // The weaker side takes the stronger side's group: never drop PFS or lower a group.
    let strength = |g: Option<u8>| strength::pfs(g.map(DhGroup));
    let (fixed, fmap, fseq, group) = if strength(initiator) > strength(responder) {
        (resp, map.to_string(), seq, initiator)
    } else {
        (init, offer.map.clone(), offer.seq, responder)
    };
    let fix = group
        .map(|g| {
            vec![
                format!("crypto map {fmap} {fseq} ipsec-isakmp"),
                format!(" set pfs group{g}"),
            ]
        })
        .unwrap_or_default();
    Finding::new(
        Code::P2PfsMismatch,
        resp.name(),
        format!(
            "{} proposes phase 2 with {} (crypto map {} {}), but {}'s entry {map} {seq} requires {}: quick mode is refused. The fix raises {} to {}, the stronger setting, so no security is given up.",
            init.name(),
            say(initiator),
            offer.map,
            offer.seq,
            resp.name(),
            say(responder),
            fixed.name(),
            say(group)
        ),
    )
    .evidence(ev)
    .fix(fixed.name(), fix)
}

/// Strength of an attribute value, where attributes have an order (authentication has none).
fn value_strength(v: &AttrValue) -> Option<u16> {
    match v {
        AttrValue::Encryption(e) => Some(strength::encryption(*e)),
        AttrValue::Hash(h) => Some(strength::hash(*h)),
        AttrValue::Group(g) => Some(strength::group(*g)),
        // Shorter is stronger; only the order matters.
        AttrValue::Lifetime(s) => Some(u16::MAX - (*s).min(u32::from(u16::MAX - 1)) as u16),
        AttrValue::Auth(_) => None,
    }
}

/// What the responder's summary of a proposal mismatch says and how both sides are fixed:
/// for each attribute that differs, the weaker side takes the stronger side's value.
fn proposal_finding(init: &Router, resp: &Router, m: &crate::ios::ClosestMismatch) -> Finding {
    let first = &m.differences[0];
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
    // The built-in default suite cannot be edited: then the responder gets a policy of its
    // own (the model's fix), whatever the strengths.
    let responder_editable = resp
        .cfg
        .isakmp_policies
        .iter()
        .any(|p| p.priority == m.responder_priority);
    let mut on_init: Vec<String> = Vec::new();
    let mut on_resp: Vec<String> = Vec::new();
    let mut said: Vec<String> = Vec::new();
    for d in &m.differences {
        let raise_initiator = responder_editable
            && matches!(
                (value_strength(&d.offered), value_strength(&d.local)),
                (Some(o), Some(l)) if l > o
            );
        if raise_initiator {
            on_init.push(format!(" {}", d.local.config_line()));
            said.push(format!(
                "{} to {} on {}",
                attr_name(d.attr),
                d.local,
                init.name()
            ));
        } else {
            on_resp.push(format!(" {}", d.offered.config_line()));
            if value_strength(&d.offered).is_some() {
                said.push(format!(
                    "{} to {} on {}",
                    attr_name(d.attr),
                    d.offered,
                    resp.name()
                ));
            }
        }
    }
    let mut f = Finding::new(
        code,
        resp.name(),
        format!(
            "No ISAKMP policy pair agrees. The closest is {} policy {} against {} policy {}: {}.{}",
            init.name(),
            m.initiator_priority,
            resp.name(),
            m.responder_priority,
            diffs.join("; "),
            if said.is_empty() {
                format!(" The fix below aligns {}.", resp.name())
            } else {
                format!(
                    " The fix raises {}: the weaker side takes the stronger value, so no security is given up.",
                    said.join(", ")
                )
            }
        ),
    )
    .evidence(ev);
    if !on_init.is_empty() {
        let mut cmds = vec![format!("crypto isakmp policy {}", m.initiator_priority)];
        cmds.extend(on_init);
        f = f.fix(init.name(), cmds);
    }
    if !on_resp.is_empty() {
        if responder_editable {
            let mut cmds = vec![format!("crypto isakmp policy {}", m.responder_priority)];
            cmds.extend(on_resp);
            f = f.fix(resp.name(), cmds);
        } else {
            f = f.fix(resp.name(), m.fix_on_responder.clone());
        }
    }
    f
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

/// Weak algorithms each router uses or offers, said once per router as a note: agreeing on
/// them is not the same as being safe.
pub fn weak_choices(peers: &[PeerState]) -> Vec<String> {
    let mut notes = Vec::new();
    for p in peers {
        let mut weak: Vec<String> = Vec::new();
        if let Some(cfg) = p.running_config() {
            for pol in &cfg.isakmp_policies {
                let mut w = Vec::new();
                if strength::weak_encryption(pol.encryption) {
                    w.push(pol.encryption.to_string());
                }
                if strength::weak_hash(pol.hash) {
                    w.push(pol.hash.to_string());
                }
                if strength::weak_group(pol.group) {
                    w.push(format!("group {}", pol.group));
                }
                if !w.is_empty() {
                    weak.push(format!(
                        "ISAKMP policy {} uses {}",
                        pol.priority,
                        w.join(", ")
                    ));
                }
            }
            for t in &cfg.transform_sets {
                let bad = t.esp_cipher.is_some_and(strength::weak_esp_cipher)
                    || t.esp_auth.or(t.ah).is_some_and(strength::weak_integrity);
                if bad {
                    weak.push(format!(
                        "transform set {} is {}",
                        t.name,
                        t.transforms_text()
                    ));
                }
            }
            for e in &cfg.crypto_maps {
                if let Some(g) = e.pfs.filter(|g| strength::weak_group(*g)) {
                    weak.push(format!("crypto map {} {} sets PFS group {g}", e.map, e.seq));
                }
            }
        } else if !p.debug.weak_offered.is_empty() {
            weak.push(format!(
                "its IKE offers carry {}",
                p.debug.weak_offered.join(", ")
            ));
        }
        if !weak.is_empty() {
            notes.push(format!(
                "Weak cryptography on {}: {}. DES, 3DES, MD5 and DH groups 1, 2 and 5 are legacy: prefer AES, SHA-256 or better and group 14 or higher, on both routers.",
                p.name(),
                weak.join("; ")
            ));
        }
    }
    notes
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
