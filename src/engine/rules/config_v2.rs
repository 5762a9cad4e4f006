//! Route-based tunnels (a tunnel interface with `tunnel protection ipsec profile`), IKEv1 or
//! IKEv2, compared the way [`crate::ios::tunnel_session`] negotiates them: endpoints →
//! IKE_SA_INIT (proposals) → IKE_AUTH (identities, methods, keys) → the child SA (selectors,
//! transform sets) → its first rekey (PFS). The first step that fails picks the code, as
//! [`super::config`] does for IKEv1 crypto maps; the fix is written in the tunnel's own
//! syntax (`crypto ikev2 proposal`, keyring `pre-shared-key local|remote`, `match identity
//! remote`, `set pfs` under `crypto ipsec profile`, `tunnel destination`) and never weakens
//! security: where two values differ, the weaker side takes the stronger one.

use super::config::Router;
use crate::engine::finding::{Code, Evidence, Finding, IkeVersion, SilenceCause};
use crate::ios::child_sa::{ChildOutcome, ChildSource, Rekey};
use crate::ios::ike_auth::AuthOutcome;
use crate::ios::ikev2::{Ikev2Id, Ikev2Keyring, KeyringPeer, V2Cipher, V2Hash, V2Values};
use crate::ios::model::{DhGroup, RunningConfig};
use crate::ios::sa_init::{SaInitOutcome, V2Mismatch, closest_proposal};
use crate::ios::strength;
use crate::ios::tunnel_session::{TunnelSession, negotiate_map, negotiate_vti};
use crate::ios::vti::EndpointOutcome;
use crate::ios::{Side, tunnel::IkeVersion as Version};
use std::net::Ipv4Addr;

/// The protected tunnel interface of `a` meant for `b`: the one whose destination is an
/// address of `b`, else `a`'s only protected tunnel (its destination may be the mistake).
fn tunnel_toward(a: &RunningConfig, b: &RunningConfig) -> Option<String> {
    let protected: Vec<_> = a
        .tunnels()
        .filter(|(_, t)| t.protection.is_some())
        .collect();
    protected
        .iter()
        .find(|(_, t)| {
            t.destination
                .is_some_and(|(d, _)| b.interface_owning(d).is_some())
        })
        .or_else(|| (protected.len() == 1).then(|| &protected[0]))
        .map(|(i, _)| i.name.clone())
}

/// Findings for a pair where at least one router protects a tunnel interface toward the other,
/// or has a crypto map entry toward it that speaks IKEv2; `None` when neither (IKEv1 crypto
/// maps: [`super::config`] judges them). `order` puts the
/// router that started the negotiation first.
pub(super) fn compare(order: [(&Router, &Router); 2]) -> Option<Vec<Finding>> {
    let mut any = false;
    for (init, resp) in order {
        let (s, interface) = if let Some(interface) = tunnel_toward(init.cfg, resp.cfg) {
            (negotiate_vti(init.cfg, &interface, resp.cfg), interface)
        } else if let Some((entry, resp_addr, init_addr)) =
            super::config::entry_toward(init.cfg, resp.cfg)
            && entry.ikev2_profile.is_some()
        {
            // A crypto map that speaks IKEv2 (`set ikev2-profile`), for the traffic that was
            // sent, else the first its ACL protects.
            let Some((src, dst)) = super::config::sent_traffic(init)
                .or_else(|| super::config::acl_traffic(init, entry))
            else {
                continue;
            };
            let s = negotiate_map(init.cfg, init_addr, src, dst, resp.cfg, resp_addr);
            (s, format!("crypto map {} {}", entry.map, entry.seq))
        } else {
            continue;
        };
        any = true;
        let found = session_findings(init, resp, &interface, &s);
        if !found.is_empty() {
            let version = match s.ike_version {
                Version::V1 => IkeVersion::V1,
                Version::V2 => IkeVersion::V2,
            };
            return Some(found.into_iter().map(|f| f.ike(version)).collect());
        }
    }
    any.then(Vec::new)
}

fn session_findings(
    init: &Router,
    resp: &Router,
    interface: &str,
    s: &TunnelSession,
) -> Vec<Finding> {
    let mut out = Vec::new();
    if let Some(e) = &s.endpoints {
        endpoint_findings(init, resp, e, &mut out);
    }
    let (Some(local), Some(peer)) = (s.local, s.peer) else {
        return out;
    };
    if let Some(SaInitOutcome::NoProposalChosen { checks, .. }) = &s.sa_init
        && let Some(c) = closest_proposal(checks)
    {
        out.push(proposal_finding(
            init,
            resp,
            &c.initiator_proposal,
            &c.responder_proposal,
            &c.differences,
            local,
        ));
    }
    if let Some(a) = &s.auth {
        auth_findings(init, resp, a, local, peer, &mut out);
    }
    if let Some(c) = &s.child {
        child_findings(init, resp, interface, c, local, &mut out);
    }
    out
}

fn endpoint_findings(init: &Router, resp: &Router, e: &EndpointOutcome, out: &mut Vec<Finding>) {
    let (i, r) = (init.name(), resp.name());
    match e {
        EndpointOutcome::DestinationNotPeer {
            interface,
            destination,
            line,
            peer_sources,
        } => {
            let local = init
                .cfg
                .interface(interface)
                .and_then(|i| i.tunnel.as_ref())
                .and_then(|t| init.cfg.tunnel_source_address(t));
            // The peer's tunnel that points back at this router is the one meant.
            let right = peer_sources
                .iter()
                .find(|(name, _)| {
                    resp.cfg
                        .interface(name)
                        .and_then(|i| i.tunnel.as_ref())
                        .and_then(|t| t.destination)
                        .is_some_and(|(d, _)| Some(d) == local)
                })
                .or(peer_sources.first());
            let mut ev = init.evs([*line]);
            let mut f = Finding::new(
                Code::PeerSilent,
                r,
                format!(
                    "{i}'s {interface} has `tunnel destination {destination}`, which is not an address of {r}: {i} sends its IKE there and nothing answers.{}",
                    right.map_or(String::new(), |(name, a)| format!(
                        " {r}'s {name} is sourced on {a}, where it expects {i}."
                    ))
                ),
            )
            .cause(SilenceCause::PeerAddressMismatch)
            .remote(Some(destination.to_string()));
            if let Some((name, a)) = right {
                ev.extend(
                    resp.cfg
                        .interface(name)
                        .and_then(|x| x.tunnel.as_ref())
                        .and_then(|t| t.source.as_ref())
                        .and_then(|(_, l)| resp.ev(*l)),
                );
                f = f.fix(
                    i,
                    vec![
                        format!("interface {interface}"),
                        format!(" tunnel destination {a}"),
                    ],
                );
            }
            out.push(f.evidence(ev));
        }
        EndpointOutcome::NoRoute {
            interface,
            destination,
            line,
        } => out.push(
            Finding::new(
                Code::PeerSilent,
                r,
                format!(
                    "{i} has no route to {destination}, the destination of its {interface}: its IKE never leaves."
                ),
            )
            .cause(SilenceCause::NoRoute)
            .remote(Some(destination.to_string()))
            .evidence(init.evs([*line]))
            .fix(i, super::config::route_fix(init.cfg, *destination)),
        ),
        _ => {}
    }
}

/// How strong a proposal attribute's best value is, to tell which side to raise.
fn values_strength(v: &V2Values) -> u16 {
    let cipher = |c: &V2Cipher| match c {
        V2Cipher::Des => 1,
        V2Cipher::TripleDes => 2,
        V2Cipher::AesCbc128 => 3,
        V2Cipher::AesGcm128 | V2Cipher::AesCbc192 => 4,
        V2Cipher::AesCbc256 => 5,
        V2Cipher::AesGcm256 => 6,
    };
    let hash = |h: &V2Hash| match h {
        V2Hash::Md5 => 1,
        V2Hash::Sha1 => 2,
        V2Hash::Sha256 => 3,
        V2Hash::Sha384 => 4,
        V2Hash::Sha512 => 5,
    };
    match v {
        V2Values::Encryption(c) => c.iter().map(cipher).max(),
        V2Values::Integrity(h) | V2Values::Prf(h) => h.iter().map(hash).max(),
        V2Values::Group(g) => g.iter().map(|g| strength::group(*g)).max(),
    }
    .unwrap_or(0)
}

fn proposal_finding(
    init: &Router,
    resp: &Router,
    offered: &str,
    local: &str,
    differences: &[V2Mismatch],
    init_addr: Ipv4Addr,
) -> Finding {
    use crate::ios::ikev2::V2Attr;
    let code = match differences.first().map(|d| d.attr) {
        Some(V2Attr::Encryption) => Code::P1EncryptionMismatch,
        Some(V2Attr::Integrity | V2Attr::Prf) => Code::P1HashMismatch,
        Some(V2Attr::Group) => Code::P1DhGroupMismatch,
        None => Code::P1NoProposalChosen,
    };
    let (i, r) = (init.name(), resp.name());
    let lines = |router: &Router, name: &str| -> Vec<Evidence> {
        let Some(p) = router.cfg.ikev2_proposal(name) else {
            return Vec::new();
        };
        let mut at = vec![p.line];
        at.extend(
            differences
                .iter()
                .filter_map(|d| p.attr_lines.get(&d.attr).copied()),
        );
        router.evs(at.into_iter().filter(|l| *l > 0))
    };
    let mut ev = lines(init, offered);
    ev.extend(lines(resp, local));
    let said: Vec<String> = differences
        .iter()
        .map(|d| {
            format!(
                "{} {} ({i}) vs {} ({r})",
                d.attr.keyword(),
                d.offered,
                d.local
            )
        })
        .collect();
    let mut f = Finding::new(
        code,
        r,
        format!(
            "{r} refuses {i}'s IKEv2 proposal: {i}'s proposal {offered} and {r}'s proposal {local} share no {}. The fix gives the weaker side the stronger value, so no protection is given up.",
            said.join(", ")
        ),
    )
    .remote(Some(init_addr.to_string()))
    .evidence(ev);
    for d in differences {
        let (router, proposal, values) = if values_strength(&d.offered) > values_strength(&d.local)
        {
            (r, local, &d.offered)
        } else {
            (i, offered, &d.local)
        };
        // A proposal without a `prf` line uses its integrity as PRF: raising the integrity
        // raises the PRF with it.
        let cfg = if router == r { resp.cfg } else { init.cfg };
        let follows_integrity = d.attr == V2Attr::Prf
            && cfg
                .ikev2_proposal(proposal)
                .is_some_and(|p| p.prf.is_empty())
            && differences.iter().any(|x| {
                x.attr == V2Attr::Integrity
                    && x.offered.to_string() == d.offered.to_string()
                    && x.local.to_string() == d.local.to_string()
            });
        if follows_integrity {
            continue;
        }
        f = f.fix(
            router,
            vec![
                format!("crypto ikev2 proposal {proposal}"),
                format!(" {}", values.config_line()),
            ],
        );
    }
    f
}

/// How `match identity remote` writes an identity.
fn match_statement(id: &Ikev2Id) -> Option<String> {
    Some(match id {
        Ikev2Id::Address(a) => format!("address {a} 255.255.255.255"),
        Ikev2Id::Fqdn(n) => format!("fqdn {n}"),
        Ikev2Id::Email(e) => format!("email {e}"),
        Ikev2Id::KeyId(k) => format!("key-id {k}"),
        Ikev2Id::Dn => return None,
    })
}

/// The lines that make `profile` take `identity` (none for a certificate's DN, which the
/// configuration does not hold).
fn accept_identity(profile: &str, identity: &Ikev2Id) -> Vec<String> {
    match_statement(identity)
        .map(|m| {
            vec![
                format!("crypto ikev2 profile {profile}"),
                format!(" match identity remote {m}"),
            ]
        })
        .unwrap_or_default()
}

/// The keyring and its peer block that hold the key configured at `line`.
fn keyring_peer_at(cfg: &RunningConfig, line: usize) -> Option<(&Ikev2Keyring, &KeyringPeer)> {
    cfg.ikev2.keyrings.iter().find_map(|k| {
        k.peers
            .iter()
            .find(|p| {
                [&p.keys.both, &p.keys.local, &p.keys.remote]
                    .iter()
                    .any(|c| c.as_ref().is_some_and(|c| c.line == line))
            })
            .map(|p| (k, p))
    })
}

fn auth_findings(
    init: &Router,
    resp: &Router,
    a: &AuthOutcome,
    init_addr: Ipv4Addr,
    resp_addr: Ipv4Addr,
    out: &mut Vec<Finding>,
) {
    let (i, r) = (init.name(), resp.name());
    let side = |s: Side| match s {
        Side::Initiator => (init, resp, resp_addr),
        Side::Responder => (resp, init, init_addr),
    };
    match a {
        AuthOutcome::NoProfileMatched {
            identity,
            identity_line,
            profiles,
            ..
        } => {
            let mut ev = init.evs([*identity_line].into_iter().filter(|l| *l > 0));
            for p in profiles {
                ev.extend(resp.evs(p.statements.iter().map(|(_, l)| *l)));
            }
            let mut f = Finding::new(
                Code::Ikev2IdentityMismatch,
                r,
                format!(
                    "{i} identifies itself as `{identity}`, and no IKEv2 profile of {r} matches that identity ({}): {r} refuses {i}'s IKE_AUTH.",
                    profiles
                        .iter()
                        .map(|p| format!(
                            "{} takes {}",
                            p.profile,
                            if p.statements.is_empty() {
                                "nothing".to_string()
                            } else {
                                p.statements
                                    .iter()
                                    .map(|(s, _)| s.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            }
                        ))
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
            )
            .remote(Some(init_addr.to_string()))
            .evidence(ev);
            if let Some(p) = profiles.first() {
                f = f.fix(r, accept_identity(&p.profile, identity));
            }
            out.push(f);
        }
        AuthOutcome::ResponderIdentityRejected {
            identity,
            identity_line,
            profile,
        } => {
            let mut ev = resp.evs([*identity_line].into_iter().filter(|l| *l > 0));
            ev.extend(init.evs(profile.statements.iter().map(|(_, l)| *l)));
            let mut f = Finding::new(
                Code::Ikev2IdentityMismatch,
                i,
                format!(
                    "{r} answers as `{identity}`, but {i}'s IKEv2 profile {} matches only {}: {i} refuses {r}'s IKE_AUTH answer after {r} has installed its side of the tunnel.",
                    profile.profile,
                    profile
                        .statements
                        .iter()
                        .map(|(s, _)| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
            .remote(Some(resp_addr.to_string()))
            .evidence(ev);
            f = f.fix(i, accept_identity(&profile.profile, identity));
            out.push(f);
        }
        AuthOutcome::AuthMethodMismatch {
            direction,
            sent,
            sent_line,
            accepted,
            signer_profile,
            checker_profile,
        } => {
            let (checker, signer, _) = side(direction.checker());
            let mut ev = signer.evs([*sent_line]);
            ev.extend(checker.evs(accepted.iter().map(|(_, l)| *l)));
            let wanted: Vec<String> = accepted.iter().map(|(m, _)| m.to_string()).collect();
            let certificate = |m: &str| m.ends_with("-sig");
            // A certificate is the stronger proof: the side that uses a key moves up to it.
            let fix = if !certificate(&sent.to_string())
                && let Some(m) = wanted.iter().find(|m| certificate(m))
            {
                (
                    signer.name(),
                    vec![
                        format!("crypto ikev2 profile {signer_profile}"),
                        format!(" authentication local {m}"),
                        format!(" pki trustpoint <{}'s trustpoint>", signer.name()),
                    ],
                )
            } else {
                (
                    checker.name(),
                    vec![
                        format!("crypto ikev2 profile {checker_profile}"),
                        format!(" authentication remote {sent}"),
                    ],
                )
            };
            out.push(
                Finding::new(
                    Code::Ikev2AuthMethodMismatch,
                    checker.name(),
                    format!(
                        "{} proves itself with {sent} (`authentication local` in profile {signer_profile}), but {}'s profile {checker_profile} accepts only {} from it (`authentication remote`).",
                        signer.name(),
                        checker.name(),
                        wanted.join(" or ")
                    ),
                )
                .remote(Some(
                    if checker.name() == r { init_addr } else { resp_addr }.to_string(),
                ))
                .evidence(ev)
                .fix(fix.0, fix.1),
            );
        }
        AuthOutcome::NoKey {
            side: s,
            profile,
            keyring,
            peer,
            ..
        } => {
            let (me, other, _) = side(*s);
            out.push(
                Finding::new(
                    Code::P1PskMissing,
                    me.name(),
                    format!(
                        "{}'s IKEv2 profile {profile} authenticates with a pre-shared key, but its keyring {} has no peer with a key for {peer}.",
                        me.name(),
                        keyring.as_deref().unwrap_or("(none)")
                    ),
                )
                .remote(Some(peer.to_string()))
                .fix(
                    me.name(),
                    vec![
                        format!("crypto ikev2 keyring {}", keyring.as_deref().unwrap_or("<keyring>")),
                        format!(" peer {}", other.name()),
                        format!("  address {peer}"),
                        format!("  pre-shared-key <the key {} uses>", other.name()),
                    ],
                ),
            );
        }
        AuthOutcome::KeyMismatch {
            direction,
            signer_line,
            verifier_line,
            swapped,
        } => {
            let (checker, signer, signer_addr) = side(direction.checker());
            let mut ev = signer.evs([*signer_line]);
            ev.extend(checker.evs([*verifier_line]));
            let block = keyring_peer_at(checker.cfg, *verifier_line);
            let head = |k: &Ikev2Keyring, p: &KeyringPeer| {
                vec![
                    format!("crypto ikev2 keyring {}", k.name),
                    format!(" peer {}", p.name),
                ]
            };
            let mut f = Finding::new(
                Code::P1PskMismatch,
                checker.name(),
                if *swapped {
                    format!(
                        "The IKEv2 keys are asymmetric and written the same way round on both routers: {} checks {} with its `pre-shared-key remote`, which is the key {} itself signs with, not the one {} signs with. The local and remote keys of one router must be swapped (compared without showing them).",
                        checker.name(),
                        signer.name(),
                        checker.name(),
                        signer.name()
                    )
                } else {
                    format!(
                        "The IKEv2 proposals agree, but the key {} signs with is not the key {} verifies it with (compared without showing either).",
                        signer.name(),
                        checker.name()
                    )
                },
            )
            .remote(Some(signer_addr.to_string()))
            .evidence(ev);
            if *swapped {
                f = f.cause(SilenceCause::AsymmetricKeysSwapped);
                if let Some((k, p)) = block {
                    let mut c = head(k, p);
                    c.push(
                        "  pre-shared-key local <the key now after 'pre-shared-key remote'>".into(),
                    );
                    c.push(
                        "  pre-shared-key remote <the key now after 'pre-shared-key local'>".into(),
                    );
                    f = f.fix(checker.name(), c);
                }
            } else if let Some((k, p)) = block {
                let mut c = head(k, p);
                if p.keys.remote.is_some() {
                    // Asymmetric keys: only the checker's copy of the signer's key is wrong.
                    c.push(format!(
                        "  pre-shared-key remote <the key {} signs with>",
                        signer.name()
                    ));
                    f = f.fix(checker.name(), c);
                } else {
                    c.push("  pre-shared-key <same key on both routers>".to_string());
                    f = f.fix(checker.name(), c);
                    if let Some((k, p)) = keyring_peer_at(signer.cfg, *signer_line) {
                        let mut c = head(k, p);
                        c.push("  pre-shared-key <same key on both routers>".to_string());
                        f = f.fix(signer.name(), c);
                    }
                }
            }
            out.push(f);
        }
        _ => {}
    }
}

/// The block a child SA policy is configured in: `crypto ipsec profile P` for a tunnel,
/// `crypto map M N ipsec-isakmp` for a crypto map entry.
fn profile_of(source: &ChildSource) -> Option<String> {
    Some(match source {
        ChildSource::Vti { profile, .. } => format!("crypto ipsec profile {profile}"),
        ChildSource::CryptoMap { map, seq, .. } => format!("crypto map {map} {seq} ipsec-isakmp"),
    })
}

fn child_findings(
    init: &Router,
    resp: &Router,
    interface: &str,
    c: &ChildOutcome,
    init_addr: Ipv4Addr,
    out: &mut Vec<Finding>,
) {
    let (i, r) = (init.name(), resp.name());
    match c {
        ChildOutcome::TsUnacceptable { offer, candidates } => {
            let mut ev = Vec::new();
            if let ChildSource::Vti { line, .. } = &offer.source {
                ev.extend(init.evs([*line]));
            }
            for c in candidates {
                let (ChildSource::CryptoMap { line, .. } | ChildSource::Vti { line, .. }) =
                    &c.source;
                ev.extend(resp.evs([*line]));
            }
            let theirs: Vec<String> = candidates
                .iter()
                .flat_map(|c| c.selectors.iter())
                .map(|p| format!("{} -> {}", p.local, p.remote))
                .collect();
            let mut f = Finding::new(
                Code::P2ProxyIdMismatch,
                r,
                format!(
                    "{i}'s {interface} proposes the traffic selectors {} -> {}, and {r} protects only {} for {i}: {r} answers TS_UNACCEPTABLE. A tunnel interface proposes any/any; both ends must be tunnel interfaces, or both crypto maps with mirrored ACLs.",
                    offer.selectors.local,
                    offer.selectors.remote,
                    if theirs.is_empty() {
                        "nothing".to_string()
                    } else {
                        theirs.join(", ")
                    }
                ),
            )
            .remote(Some(init_addr.to_string()))
            .evidence(ev);
            // A tunnel facing a crypto map proposes the mirror of the map's ACL
            // (`tunnel protection ipsec policy ipv4`): the narrower selectors, nothing opened.
            let mirrored: Vec<String> = candidates
                .iter()
                .filter(|c| matches!(c.source, ChildSource::CryptoMap { .. }))
                .flat_map(|c| c.selectors.iter())
                .map(|p| format!(" permit {} {} {}", p.protocol, p.remote, p.local))
                .collect();
            if let ChildSource::Vti {
                interface, profile, ..
            } = &offer.source
                && !mirrored.is_empty()
            {
                let acl = format!("{profile}-SELECTORS");
                let mut fix = vec![format!("ip access-list extended {acl}")];
                fix.extend(mirrored);
                fix.push(format!("interface {interface}"));
                fix.push(format!(" tunnel protection ipsec policy ipv4 {acl}"));
                f = f.fix(i, fix);
            }
            out.push(f);
        }
        ChildOutcome::TransformMismatch { offer, responder } => {
            let mut ev = init.evs(offer.transform_sets.iter().map(|t| t.line));
            ev.extend(resp.evs(responder.transform_sets.iter().map(|t| t.line)));
            let best = |sets: &[crate::ios::model::TransformSet]| {
                sets.iter()
                    .max_by_key(|t| strength::transform_set(t))
                    .cloned()
            };
            let (o, l) = (best(&offer.transform_sets), best(&responder.transform_sets));
            let responder_stronger =
                matches!((&l, &o), (Some(l), Some(o)) if strength::transform_set_stronger(l, o));
            let (router, profile, set) = if responder_stronger {
                (i, profile_of(&offer.source), l)
            } else {
                (r, profile_of(&responder.source), o)
            };
            let mut f = Finding::new(
                Code::P2TransformMismatch,
                r,
                format!(
                    "IKE_AUTH authenticated both routers, but the child SA it carries found no common transform set: {i} offers {}, {r} accepts {}. The fix gives the weaker side the stronger set.",
                    sets(&offer.transform_sets),
                    sets(&responder.transform_sets)
                ),
            )
            .remote(Some(init_addr.to_string()))
            .evidence(ev);
            if let (Some(t), Some(p)) = (set, profile) {
                f = f.fix(
                    router,
                    vec![
                        format!(
                            "crypto ipsec transform-set {} {}",
                            t.name,
                            t.transforms_text()
                        ),
                        p,
                        format!(" set transform-set {}", t.name),
                    ],
                );
            }
            out.push(f);
        }
        ChildOutcome::Agreed(a) => {
            let Some(Rekey::PfsMismatch {
                initiator,
                responder,
            }) = &a.rekey
            else {
                return;
            };
            let group =
                |g: &Option<DhGroup>| g.map_or("no PFS".to_string(), |g| format!("PFS group {g}"));
            let (weak, profile, strong) = if strength::pfs(*initiator) < strength::pfs(*responder) {
                (i, profile_of(&a.offer.source), responder)
            } else {
                (r, profile_of(&a.responder.source), initiator)
            };
            let mut f = Finding::new(
                Code::P2PfsMismatch,
                r,
                format!(
                    "The tunnel comes up ({i} asks {}, {r} {}): IKE_AUTH's first child SA negotiates no PFS. Its rekey (CREATE_CHILD_SA) does, and {r} refuses it, so the SAs expire and traffic stops. The fix gives the side without the stronger group the same group.",
                    group(initiator),
                    group(responder)
                ),
            )
            .remote(Some(init_addr.to_string()))
            .evidence(pfs_lines(init, &a.offer.source))
            .evidence(pfs_lines(resp, &a.responder.source));
            if let (Some(g), Some(p)) = (strong, profile) {
                f = f.fix(weak, vec![p, format!(" set pfs group{g}")]);
            }
            out.push(f);
        }
        _ => {}
    }
}

/// The lines that set a child SA policy's PFS: the IPsec profile (or crypto map entry) and
/// its `set pfs`, when there is one.
fn pfs_lines(router: &Router, source: &ChildSource) -> Vec<Evidence> {
    match source {
        ChildSource::Vti { profile, line, .. } => {
            let p = router.cfg.ipsec_profile(profile);
            let mut at = vec![*line];
            at.extend(p.as_ref().map(|p| p.line).filter(|l| *l > 0));
            at.extend(p.and_then(|p| p.pfs_line));
            router.evs(at)
        }
        ChildSource::CryptoMap { line, .. } => router.evs([*line]),
    }
}

fn sets(list: &[crate::ios::model::TransformSet]) -> String {
    list.iter()
        .map(|t| format!("{} ({})", t.name, t.transforms_text()))
        .collect::<Vec<_>>()
        .join(", ")
}
