//! The child SA (IKEv2) or quick mode SA (IKEv1) of a tunnel, decided from both configs, in
//! protocol order: the initiator's offer (selectors, transform sets, PFS group, lifetimes)
//! from its tunnel's IPsec profile or its crypto map entry → the responder's policies for that
//! peer → traffic selectors → transform → PFS → lifetimes (the lower wins).
//!
//! Traffic selectors: a VTI in `tunnel mode ipsec ipv4` accepts exactly any/any (a GRE tunnel
//! exactly its GRE endpoints), so a crypto-map peer proposing its ACL's subnets gets
//! TS_UNACCEPTABLE from it, and a crypto map accepts a VTI's any/any only if its ACL permits
//! `ip any any`. A crypto map (or a VTI narrowed by `tunnel protection ipsec policy ipv4`)
//! accepts selectors inside one of its permit entries, as in IKEv1 quick mode.
//!
//! PFS: IKEv2 creates the first child SA inside IKE_AUTH with the IKE SA's own keys, so PFS
//! plays no part there (RFC 7296 §1.2); it is checked when the child SA is rekeyed with
//! CREATE_CHILD_SA ([`Rekey`]): a PFS mismatch brings the tunnel up and breaks it at the first
//! rekey. IKEv1 quick mode checks PFS at once. In both, a responder without `set pfs` takes the
//! initiator's group, as IOS does in quick mode.

use super::acl::{Packet, Protocol};
use super::addr::Wildcard;
use super::model::{
    DEFAULT_P2_KILOBYTES, DEFAULT_P2_SECONDS, DhGroup, IpsecMode, RunningConfig, SaLifetime,
    TransformSet,
};
use super::phase1::Side;
use super::phase2::{
    NotInteresting, ProxyId, ResponderEntry, check_pfs, choose_transform, initiator_offer,
    responder_entries,
};
use super::tunnel::{IkeVersion, IpsecProfile, any_any, same_selector, selector_covers};
use serde::Serialize;
use std::net::Ipv4Addr;

/// Where one side's child SA policy comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "style")]
pub enum ChildSource {
    /// A tunnel interface and its IPsec profile.
    Vti {
        interface: String,
        profile: String,
        /// The `tunnel protection` line.
        line: usize,
    },
    /// A crypto map entry.
    CryptoMap { map: String, seq: u32, line: usize },
}

/// What the initiator proposes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChildOffer {
    pub source: ChildSource,
    /// From the initiator's side: TSi is `local`, TSr is `remote`.
    pub selectors: ProxyId,
    /// In the order offered.
    pub transform_sets: Vec<TransformSet>,
    pub pfs: Option<DhGroup>,
    pub lifetime_seconds: u32,
    pub lifetime_kilobytes: u64,
}

/// One policy of the responder that could take the offer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChildPolicy {
    pub source: ChildSource,
    /// What it protects, from the responder's side.
    pub selectors: Vec<ProxyId>,
    /// A VTI takes only exactly its selectors; an ACL takes anything inside an entry.
    pub exact: bool,
    pub transform_sets: Vec<TransformSet>,
    pub pfs: Option<DhGroup>,
    pub lifetime_seconds: u32,
    pub lifetime_kilobytes: u64,
}

/// Why the initiator has nothing to propose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NoChildOffer {
    /// No such tunnel interface, or it has no `tunnel protection`.
    NotProtected { interface: String },
    /// `tunnel protection ipsec profile NAME` names no profile.
    NoProfile { interface: String, profile: String },
    /// The profile names no defined transform set.
    NoTransformSet { profile: String },
    /// The tunnel proposes no selectors (its mode or its policy ACL gives none).
    NoSelectors { interface: String },
    /// Crypto map: the traffic does not start IKE.
    NotInteresting { reason: NotInteresting },
}

/// What the CREATE_CHILD_SA rekey of an IKEv2 child SA will do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rekey {
    Agreed {
        pfs: Option<DhGroup>,
    },
    /// The responder refuses the rekey (NO_PROPOSAL_CHOSEN): the SA expires, traffic stops.
    PfsMismatch {
        initiator: Option<DhGroup>,
        responder: Option<DhGroup>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChildAgreement {
    pub offer: ChildOffer,
    pub responder: ChildPolicy,
    pub transform: TransformSet,
    pub responder_transform: TransformSet,
    pub mode: IpsecMode,
    /// From the initiator's side.
    pub selectors: ProxyId,
    /// The group of the SA as first created (IKEv2: always `None`).
    pub pfs: Option<DhGroup>,
    pub lifetime_seconds: u32,
    pub lifetime_kilobytes: u64,
    /// IKEv2 only.
    pub rekey: Option<Rekey>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChildOutcome {
    NoOffer {
        reason: NoChildOffer,
    },
    /// The responder has neither a tunnel nor a crypto map entry for this peer.
    NoResponderPolicy {
        interface: Option<String>,
    },
    /// IKEv2 TS_UNACCEPTABLE / IKEv1 "proxy identities not supported".
    TsUnacceptable {
        offer: ChildOffer,
        candidates: Vec<ChildPolicy>,
    },
    TransformMismatch {
        offer: ChildOffer,
        responder: ChildPolicy,
    },
    /// IKEv1 only: quick mode refuses at once.
    PfsMismatch {
        offer: ChildOffer,
        responder: ChildPolicy,
        initiator_group: Option<DhGroup>,
        responder_group: Option<DhGroup>,
    },
    Agreed(Box<ChildAgreement>),
}

impl ChildOutcome {
    pub fn agreement(&self) -> Option<&ChildAgreement> {
        match self {
            ChildOutcome::Agreed(a) => Some(a),
            _ => None,
        }
    }
}

/// The lifetimes a profile's SAs get: its own, else the global ones, else IOS's defaults.
pub fn profile_lifetimes(cfg: &RunningConfig, p: &IpsecProfile) -> (u32, u64) {
    lifetimes(cfg, &p.lifetime)
}

fn lifetimes(cfg: &RunningConfig, own: &SaLifetime) -> (u32, u64) {
    (
        own.seconds
            .or(cfg.ipsec_lifetime.seconds)
            .unwrap_or(DEFAULT_P2_SECONDS),
        own.kilobytes
            .or(cfg.ipsec_lifetime.kilobytes)
            .unwrap_or(DEFAULT_P2_KILOBYTES),
    )
}

/// The policy a protected tunnel interface carries, from its own side.
pub fn tunnel_policy(cfg: &RunningConfig, interface: &str) -> Result<ChildPolicy, NoChildOffer> {
    let not_protected = || NoChildOffer::NotProtected {
        interface: interface.to_string(),
    };
    let iface = cfg.interface(interface).ok_or_else(not_protected)?;
    let tunnel = iface.tunnel.as_ref().ok_or_else(not_protected)?;
    let (name, line) = tunnel.protection.clone().ok_or_else(not_protected)?;
    let profile = cfg
        .ipsec_profile(&name)
        .ok_or_else(|| NoChildOffer::NoProfile {
            interface: iface.name.clone(),
            profile: name.clone(),
        })?;
    let transform_sets = cfg.profile_transform_sets(&profile);
    if transform_sets.is_empty() {
        return Err(NoChildOffer::NoTransformSet { profile: name });
    }
    let (lifetime_seconds, lifetime_kilobytes) = profile_lifetimes(cfg, &profile);
    Ok(ChildPolicy {
        source: ChildSource::Vti {
            interface: iface.name.clone(),
            profile: profile.name.clone(),
            line,
        },
        selectors: cfg.tunnel_selectors(tunnel),
        exact: tunnel.policy_acl.is_none(),
        transform_sets,
        pfs: profile.pfs,
        lifetime_seconds,
        lifetime_kilobytes,
    })
}

/// Step 1 for a tunnel: its first selector, its profile's transforms and PFS group.
pub fn vti_offer(cfg: &RunningConfig, interface: &str) -> Result<ChildOffer, NoChildOffer> {
    let p = tunnel_policy(cfg, interface)?;
    let selectors = p
        .selectors
        .first()
        .cloned()
        .ok_or_else(|| NoChildOffer::NoSelectors {
            interface: interface.to_string(),
        })?;
    Ok(ChildOffer {
        source: p.source,
        selectors,
        transform_sets: p.transform_sets,
        pfs: p.pfs,
        lifetime_seconds: p.lifetime_seconds,
        lifetime_kilobytes: p.lifetime_kilobytes,
    })
}

/// Step 1 for a crypto map: the entry the traffic (a ping) matches, as quick mode offers it.
pub fn map_offer(
    cfg: &RunningConfig,
    traffic_src: Ipv4Addr,
    traffic_dst: Ipv4Addr,
    resp_addr: Ipv4Addr,
) -> Result<ChildOffer, NoChildOffer> {
    let packet = Packet::new(Protocol::Icmp, traffic_src, traffic_dst);
    let o = initiator_offer(cfg, &packet, resp_addr)
        .map_err(|reason| NoChildOffer::NotInteresting { reason })?;
    let line = cfg
        .crypto_map(&o.map)
        .find(|e| e.seq == o.seq)
        .map_or(0, |e| e.line);
    Ok(ChildOffer {
        source: ChildSource::CryptoMap {
            map: o.map,
            seq: o.seq,
            line,
        },
        selectors: o.proxy,
        transform_sets: o.transform_sets,
        pfs: o.pfs,
        lifetime_seconds: o.lifetime_seconds,
        lifetime_kilobytes: o.lifetime_kilobytes,
    })
}

fn from_entry(e: ResponderEntry) -> ChildPolicy {
    ChildPolicy {
        source: ChildSource::CryptoMap {
            map: e.map,
            seq: e.seq,
            line: e.line,
        },
        // A dynamic entry without `match address` takes any selectors; a static entry whose
        // ACL is missing takes none.
        selectors: match &e.acl {
            Some(a) => a.permit_entries().map(ProxyId::from_entry).collect(),
            None if e.dynamic => vec![any_any()],
            None => Vec::new(),
        },
        exact: false,
        transform_sets: e.transform_sets,
        pfs: e.pfs,
        lifetime_seconds: e.lifetime_seconds,
        lifetime_kilobytes: e.lifetime_kilobytes,
    }
}

/// Step 2: the responder's policies for `init_addr` arriving on `resp_addr`: its tunnel
/// between the two addresses first, then its crypto map entries for the peer. `Err` names
/// the interface that has neither.
pub fn responder_policies(
    responder: &RunningConfig,
    init_addr: Ipv4Addr,
    resp_addr: Ipv4Addr,
) -> Result<Vec<ChildPolicy>, Option<String>> {
    let mut out = Vec::new();
    if let Some((i, _)) = responder.tunnel_between(resp_addr, init_addr)
        && let Ok(p) = tunnel_policy(responder, &i.name)
    {
        out.push(p);
    }
    let maps = responder_entries(responder, init_addr, resp_addr);
    let facing = match maps {
        Ok(entries) => {
            out.extend(entries.into_iter().map(from_entry));
            None
        }
        Err(interface) => interface,
    };
    if out.is_empty() { Err(facing) } else { Ok(out) }
}

/// Step 3: does a policy take the selectors (seen from the responder)?
pub fn accepts(policy: &ChildPolicy, theirs: &ProxyId) -> bool {
    if policy.exact {
        policy.selectors.iter().any(|s| same_selector(s, theirs))
    } else {
        policy.selectors.iter().any(|s| selector_covers(s, theirs))
    }
}

/// The child SA of one direction: `offer` from the initiator at `init_addr`, answered by
/// `responder` at `resp_addr`.
pub fn child_sa(
    version: IkeVersion,
    offer: ChildOffer,
    init_addr: Ipv4Addr,
    responder: &RunningConfig,
    resp_addr: Ipv4Addr,
) -> ChildOutcome {
    let candidates = match responder_policies(responder, init_addr, resp_addr) {
        Ok(c) => c,
        Err(interface) => return ChildOutcome::NoResponderPolicy { interface },
    };
    let theirs = offer.selectors.mirrored();
    let Some(policy) = candidates.iter().find(|p| accepts(p, &theirs)).cloned() else {
        return ChildOutcome::TsUnacceptable { offer, candidates };
    };
    let host_to_host = offer.selectors.local == Wildcard::host(init_addr)
        && offer.selectors.remote == Wildcard::host(resp_addr);
    let Some((mine, theirs_ts)) =
        choose_transform(&offer.transform_sets, &policy.transform_sets, host_to_host)
    else {
        return ChildOutcome::TransformMismatch {
            offer,
            responder: policy,
        };
    };
    let pfs_check = check_pfs(offer.pfs, policy.pfs);
    let (pfs, rekey) = match (version, pfs_check) {
        (IkeVersion::V1, Ok(g)) => (g, None),
        (IkeVersion::V1, Err((initiator_group, responder_group))) => {
            return ChildOutcome::PfsMismatch {
                offer,
                responder: policy,
                initiator_group,
                responder_group,
            };
        }
        (IkeVersion::V2, Ok(g)) => (None, Some(Rekey::Agreed { pfs: g })),
        (IkeVersion::V2, Err((initiator, responder))) => (
            None,
            Some(Rekey::PfsMismatch {
                initiator,
                responder,
            }),
        ),
    };
    let mode = if host_to_host {
        mine.mode
    } else {
        IpsecMode::Tunnel
    };
    ChildOutcome::Agreed(Box::new(ChildAgreement {
        selectors: offer.selectors.clone(),
        lifetime_seconds: offer.lifetime_seconds.min(policy.lifetime_seconds),
        lifetime_kilobytes: offer.lifetime_kilobytes.min(policy.lifetime_kilobytes),
        transform: mine,
        responder_transform: theirs_ts,
        mode,
        pfs,
        rekey,
        offer,
        responder: policy,
    }))
}

/// Which side refuses in each failure (for reports that must name the router).
pub fn refused_by(o: &ChildOutcome) -> Option<Side> {
    match o {
        ChildOutcome::NoOffer { .. } => Some(Side::Initiator),
        ChildOutcome::Agreed(_) => None,
        _ => Some(Side::Responder),
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{
        R1_ADDR, R2_ADDR, V1VTI_R1, V1VTI_R2, V2_R1, V2_R2, cfg, edit, ip, v2_map_r1, v2_map_r2,
    };
    use super::super::tunnel::any_any;
    use super::*;

    fn vti(version: IkeVersion, r1: &str, r2: &str) -> ChildOutcome {
        let offer = match vti_offer(&cfg(r1), "Tunnel0") {
            Ok(o) => o,
            Err(reason) => return ChildOutcome::NoOffer { reason },
        };
        child_sa(version, offer, ip(R1_ADDR), &cfg(r2), ip(R2_ADDR))
    }

    fn map(r1: &str, r2: &str) -> ChildOutcome {
        let offer = match map_offer(
            &cfg(r1),
            ip("192.168.101.10"),
            ip("192.168.102.20"),
            ip(R2_ADDR),
        ) {
            Ok(o) => o,
            Err(reason) => return ChildOutcome::NoOffer { reason },
        };
        child_sa(IkeVersion::V2, offer, ip(R1_ADDR), &cfg(r2), ip(R2_ADDR))
    }

    #[test]
    fn healthy_vti_child_and_its_rekey() {
        let out = vti(IkeVersion::V2, V2_R1, V2_R2);
        let a = out.agreement().unwrap();
        assert_eq!(a.selectors, any_any());
        assert_eq!(a.transform.transforms_text(), "esp-aes 256 esp-sha256-hmac");
        assert_eq!(a.mode, IpsecMode::Tunnel);
        assert_eq!(a.pfs, None, "the first child SA has no PFS exchange");
        assert_eq!(
            a.rekey,
            Some(Rekey::Agreed {
                pfs: Some(DhGroup(14))
            })
        );
        assert_eq!(
            a.offer.source,
            ChildSource::Vti {
                interface: "Tunnel0".into(),
                profile: "VTI-PROF".into(),
                line: 56
            }
        );
        assert_eq!(
            (a.lifetime_seconds, a.lifetime_kilobytes),
            (3600, 4_608_000)
        );
        assert_eq!(refused_by(&out), None);
    }

    #[test]
    fn transform_mismatch() {
        let r2 = edit(V2_R2, "esp-aes 256 esp-sha256-hmac", "esp-gcm 256");
        let out = vti(IkeVersion::V2, V2_R1, &r2);
        let ChildOutcome::TransformMismatch { offer, responder } = &out else {
            panic!("{out:?}");
        };
        assert_eq!(
            offer.transform_sets[0].transforms_text(),
            "esp-aes 256 esp-sha256-hmac"
        );
        assert_eq!(responder.transform_sets[0].transforms_text(), "esp-gcm 256");
        assert_eq!(refused_by(&out), Some(Side::Responder));
    }

    #[test]
    fn pfs_mismatch_ikev2_at_rekey_ikev1_at_once() {
        let r2 = edit(V2_R2, " set pfs group14\n", " set pfs group19\n");
        let out = vti(IkeVersion::V2, V2_R1, &r2);
        assert_eq!(
            out.agreement().and_then(|a| a.rekey.clone()),
            Some(Rekey::PfsMismatch {
                initiator: Some(DhGroup(14)),
                responder: Some(DhGroup(19))
            })
        );
        let r1 = edit(
            V1VTI_R1,
            " set transform-set TS \n",
            " set transform-set TS \n set pfs group14\n",
        );
        let r2 = edit(
            V1VTI_R2,
            " set transform-set TS \n",
            " set transform-set TS \n set pfs group5\n",
        );
        assert!(matches!(
            vti(IkeVersion::V1, &r1, &r2),
            ChildOutcome::PfsMismatch {
                initiator_group: Some(DhGroup(14)),
                responder_group: Some(DhGroup(5)),
                ..
            }
        ));
        // PFS on the initiator only: the responder takes the group.
        let a = vti(IkeVersion::V1, &r1, V1VTI_R2);
        assert_eq!(a.agreement().map(|a| a.pfs), Some(Some(DhGroup(14))));
    }

    #[test]
    fn vti_against_a_crypto_map_is_ts_unacceptable_both_ways() {
        // R1's VTI proposes any/any; R2's crypto map ACL holds only the two LANs.
        let out = vti(IkeVersion::V2, V2_R1, &v2_map_r2());
        let ChildOutcome::TsUnacceptable { offer, candidates } = &out else {
            panic!("{out:?}");
        };
        assert_eq!(offer.selectors, any_any());
        assert_eq!(candidates.len(), 1);
        assert_eq!(
            candidates[0].selectors[0].local.to_string(),
            "192.168.102.0 0.0.0.255"
        );
        assert!(!candidates[0].exact);
        // R1's crypto map proposes its LANs; R2's VTI takes only any/any.
        let out = map(&v2_map_r1(), V2_R2);
        let ChildOutcome::TsUnacceptable { offer, candidates } = &out else {
            panic!("{out:?}");
        };
        assert_eq!(offer.selectors.local.to_string(), "192.168.101.0 0.0.0.255");
        assert!(candidates[0].exact);
        // A crypto map that permits `ip any any` takes the VTI's selectors.
        let any = edit(
            &v2_map_r2(),
            " permit ip 192.168.102.0 0.0.0.255 192.168.101.0 0.0.0.255",
            " permit ip any any",
        );
        assert!(vti(IkeVersion::V2, V2_R1, &any).agreement().is_some());
    }

    #[test]
    fn crypto_maps_with_ikev2() {
        let out = map(&v2_map_r1(), &v2_map_r2());
        let a = out.agreement().unwrap();
        assert!(matches!(
            a.offer.source,
            ChildSource::CryptoMap { seq: 10, .. }
        ));
        assert_eq!(a.selectors.remote.to_string(), "192.168.102.0 0.0.0.255");
        assert_eq!(a.rekey, Some(Rekey::Agreed { pfs: None }));
        let r2 = edit(
            &v2_map_r2(),
            " permit ip 192.168.102.0 0.0.0.255 192.168.101.0 0.0.0.255",
            " permit ip 192.168.102.0 0.0.0.255 192.168.111.0 0.0.0.255",
        );
        assert!(matches!(
            map(&v2_map_r1(), &r2),
            ChildOutcome::TsUnacceptable { .. }
        ));
        let outside = map_offer(
            &cfg(&v2_map_r1()),
            ip("192.168.101.10"),
            ip("8.8.8.8"),
            ip(R2_ADDR),
        );
        assert!(matches!(outside, Err(NoChildOffer::NotInteresting { .. })));
    }

    #[test]
    fn nothing_to_offer_or_to_answer() {
        let r1 = edit(
            V2_R1,
            " tunnel protection ipsec profile VTI-PROF",
            " tunnel protection ipsec profile MISSING",
        );
        assert_eq!(
            vti(IkeVersion::V2, &r1, V2_R2),
            ChildOutcome::NoOffer {
                reason: NoChildOffer::NoProfile {
                    interface: "Tunnel0".into(),
                    profile: "MISSING".into()
                }
            }
        );
        let r1 = edit(
            V2_R1,
            " set transform-set TS \n",
            " set transform-set NONE \n",
        );
        assert!(matches!(
            vti(IkeVersion::V2, &r1, V2_R2),
            ChildOutcome::NoOffer {
                reason: NoChildOffer::NoTransformSet { .. }
            }
        ));
        let r2 = edit(
            V2_R2,
            " tunnel destination 203.0.113.1",
            " tunnel destination 203.0.113.9",
        );
        assert_eq!(
            vti(IkeVersion::V2, V2_R1, &r2),
            ChildOutcome::NoResponderPolicy {
                interface: Some("GigabitEthernet1".into())
            }
        );
        // An IPsec profile with no transform set uses the smart default one.
        let d = |c: &str| {
            edit(
                c,
                " set transform-set TS \n",
                " set transform-set default \n",
            )
        };
        let a = vti(IkeVersion::V2, &d(V2_R1), &d(V2_R2));
        assert_eq!(
            a.agreement().map(|a| a.transform.transforms_text()),
            Some("esp-aes esp-sha-hmac".into())
        );
    }

    #[test]
    fn lifetimes_take_the_lower() {
        let r2 = edit(
            V2_R2,
            " set pfs group14\n",
            " set pfs group14\n set security-association lifetime seconds 1800\n",
        );
        let r1 = edit(
            V2_R1,
            "crypto ipsec profile",
            "crypto ipsec security-association lifetime kilobytes 100000\n!\ncrypto ipsec profile",
        );
        let a = vti(IkeVersion::V2, &r1, &r2).agreement().cloned().unwrap();
        assert_eq!((a.lifetime_seconds, a.lifetime_kilobytes), (1800, 100_000));
        assert_eq!(a.responder.lifetime_seconds, 1800);
    }

    #[test]
    fn gre_over_ipsec_protects_the_endpoints_in_any_mode() {
        let gre = |c: &str| edit(c, " tunnel mode ipsec ipv4\n", "");
        let a = vti(IkeVersion::V2, &gre(V2_R1), &gre(V2_R2))
            .agreement()
            .cloned()
            .unwrap();
        assert_eq!(a.selectors.protocol, super::super::acl::Protocol::Gre);
        assert_eq!(a.selectors.local, Wildcard::host(ip(R1_ADDR)));
        // Transport mode is negotiated between the endpoints themselves.
        let transport = |c: &str| edit(&gre(c), " mode tunnel", " mode transport");
        let a = vti(IkeVersion::V2, &transport(V2_R1), &transport(V2_R2))
            .agreement()
            .cloned()
            .unwrap();
        assert_eq!(a.mode, IpsecMode::Transport);
        assert!(matches!(
            vti(IkeVersion::V2, &transport(V2_R1), &gre(V2_R2)),
            ChildOutcome::TransformMismatch { .. }
        ));
        // A GRE tunnel and an IPsec VTI do not agree on selectors.
        assert!(matches!(
            vti(IkeVersion::V2, &gre(V2_R1), V2_R2),
            ChildOutcome::TsUnacceptable { .. }
        ));
    }
}
