//! IKEv1 quick mode between two configs, as IOS decides it, in protocol order: the
//! initiator's crypto map entry for the traffic gives the offer (proxy identities, transform
//! sets, PFS group) → the responder finds an entry for that peer whose ACL covers the mirrored
//! proxies → a common transform set → PFS → agreed.
//!
//! Approximations, said aloud: the responder judges transforms only against the first entry
//! whose ACL covers the proxies; comp-lzs is ignored (IOS offers compression separately and
//! may drop it); a transform set's mode counts only for traffic between the two peers' own
//! addresses, as IOS uses tunnel mode for everything else.

use super::acl::{AccessList, AclEntry, Packet, PortMatch, Protocol};
use super::addr::Wildcard;
use super::model::{
    CryptoMapEntry, DEFAULT_P2_KILOBYTES, DEFAULT_P2_SECONDS, DhGroup, IpsecMode, MapKind,
    RunningConfig, TransformSet,
};
use super::phase1::Side;
use serde::Serialize;
use std::net::Ipv4Addr;

/// The flows one SA protects, from the side that proposes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProxyId {
    pub protocol: Protocol,
    pub local: Wildcard,
    pub local_port: Option<PortMatch>,
    pub remote: Wildcard,
    pub remote_port: Option<PortMatch>,
}

impl ProxyId {
    /// From the ACL entry that matched the traffic: its source is ours, its destination theirs.
    pub fn from_entry(e: &AclEntry) -> ProxyId {
        ProxyId {
            protocol: e.protocol,
            local: e.src,
            local_port: e.src_port.clone(),
            remote: e.dst,
            remote_port: e.dst_port.clone(),
        }
    }

    /// The same proxies seen from the peer.
    pub fn mirrored(&self) -> ProxyId {
        ProxyId {
            protocol: self.protocol,
            local: self.remote,
            local_port: self.remote_port.clone(),
            remote: self.local,
            remote_port: self.local_port.clone(),
        }
    }

    /// Does a permit entry written from this side cover these proxies?
    fn within(&self, e: &AclEntry) -> bool {
        let ports =
            |mine: &Option<PortMatch>, theirs: &Option<PortMatch>| mine.is_none() || mine == theirs;
        e.protocol.covers(self.protocol)
            && e.src.covers(&self.local)
            && e.dst.covers(&self.remote)
            && ports(&e.src_port, &self.local_port)
            && ports(&e.dst_port, &self.remote_port)
    }
}

/// The initiator's proposal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Phase2Offer {
    pub map: String,
    pub seq: u32,
    pub acl: AccessList,
    /// The ACL entry that matched the traffic.
    pub acl_entry: AclEntry,
    pub proxy: ProxyId,
    /// In the order they are offered.
    pub transform_sets: Vec<TransformSet>,
    pub pfs: Option<DhGroup>,
    pub lifetime_seconds: u32,
    pub lifetime_kilobytes: u64,
}

/// A responder entry that could have taken the proposal, with what it would have needed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResponderEntry {
    pub map: String,
    pub seq: u32,
    pub dynamic: bool,
    /// `None` for a dynamic entry without `match address` (it accepts any proxies).
    pub acl: Option<AccessList>,
    pub transform_sets: Vec<TransformSet>,
    pub pfs: Option<DhGroup>,
    pub lifetime_seconds: u32,
    pub lifetime_kilobytes: u64,
    pub line: usize,
}

/// Why traffic does not start IKE at all on the initiator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NotInteresting {
    /// No route for the traffic's destination.
    NoRoute,
    /// The egress interface has no crypto map.
    NoCryptoMap { interface: String },
    /// No complete entry's ACL permits the traffic. `incomplete` lists entries IOS ignores
    /// (no peer, no ACL, or no defined transform set).
    NoEntryPermits { map: String, incomplete: Vec<u32> },
    /// The entry that matches sends to other peers.
    OtherPeer {
        map: String,
        seq: u32,
        peers: Vec<Ipv4Addr>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase2Outcome {
    NoInterestingTraffic {
        reason: NotInteresting,
    },
    /// The responder has no crypto map where the initiator's packets arrive.
    NoCryptoMap {
        side: Side,
        interface: Option<String>,
    },
    /// No responder entry for this peer covers the mirrored proxies (`IPSEC policy
    /// invalidated proposal with error 32`). `candidates` are its entries for this peer.
    ProxyIdMismatch {
        offer: Phase2Offer,
        candidates: Vec<ResponderEntry>,
    },
    TransformMismatch {
        offer: Phase2Offer,
        responder_entry: ResponderEntry,
        offered: Vec<TransformSet>,
        local: Vec<TransformSet>,
    },
    /// `None` is "no `set pfs`".
    PfsMismatch {
        offer: Phase2Offer,
        responder_entry: ResponderEntry,
        initiator: Option<DhGroup>,
        responder: Option<DhGroup>,
    },
    Agreed(Phase2Agreement),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Phase2Agreement {
    pub offer: Phase2Offer,
    pub responder: ResponderEntry,
    /// The initiator's set that was accepted, and the responder's set that matched it.
    pub transform: TransformSet,
    pub responder_transform: TransformSet,
    pub mode: IpsecMode,
    /// From the initiator's side.
    pub proxy: ProxyId,
    pub pfs: Option<DhGroup>,
    pub lifetime_seconds: u32,
    pub lifetime_kilobytes: u64,
}

/// Quick mode for traffic from `traffic_src` to `traffic_dst` (a ping: ICMP, the way the lab
/// and engineers trigger a tunnel). See [`phase2_for`] for any packet.
pub fn phase2(
    initiator: &RunningConfig,
    init_addr: Ipv4Addr,
    traffic_src: Ipv4Addr,
    traffic_dst: Ipv4Addr,
    responder: &RunningConfig,
    resp_addr: Ipv4Addr,
) -> Phase2Outcome {
    let packet = Packet::new(Protocol::Icmp, traffic_src, traffic_dst);
    phase2_for(initiator, init_addr, &packet, responder, resp_addr)
}

pub fn phase2_for(
    initiator: &RunningConfig,
    init_addr: Ipv4Addr,
    packet: &Packet,
    responder: &RunningConfig,
    resp_addr: Ipv4Addr,
) -> Phase2Outcome {
    let offer = match initiator_offer(initiator, packet, resp_addr) {
        Ok(o) => o,
        Err(reason) => return Phase2Outcome::NoInterestingTraffic { reason },
    };
    let entries = match responder_entries(responder, init_addr, resp_addr) {
        Ok(e) => e,
        Err(interface) => {
            return Phase2Outcome::NoCryptoMap {
                side: Side::Responder,
                interface,
            };
        }
    };
    let their_view = offer.proxy.mirrored();
    let Some(entry) = entries
        .iter()
        .find(|e| accepts_proxy(e, &their_view))
        .cloned()
    else {
        return Phase2Outcome::ProxyIdMismatch {
            offer,
            candidates: entries,
        };
    };
    let host_to_host = is_between_peers(&offer.proxy, init_addr, resp_addr);
    let Some((mine, theirs)) =
        choose_transform(&offer.transform_sets, &entry.transform_sets, host_to_host)
    else {
        return Phase2Outcome::TransformMismatch {
            offered: offer.transform_sets.clone(),
            local: entry.transform_sets.clone(),
            offer,
            responder_entry: entry,
        };
    };
    let pfs = match check_pfs(offer.pfs, entry.pfs) {
        Ok(g) => g,
        Err((initiator, responder)) => {
            return Phase2Outcome::PfsMismatch {
                offer,
                responder_entry: entry,
                initiator,
                responder,
            };
        }
    };
    let mode = if host_to_host {
        mine.mode
    } else {
        IpsecMode::Tunnel
    };
    Phase2Outcome::Agreed(Phase2Agreement {
        proxy: offer.proxy.clone(),
        lifetime_seconds: offer.lifetime_seconds.min(entry.lifetime_seconds),
        lifetime_kilobytes: offer.lifetime_kilobytes.min(entry.lifetime_kilobytes),
        transform: mine,
        responder_transform: theirs,
        mode,
        pfs,
        offer,
        responder: entry,
    })
}

/// The crypto map entry IOS applies to a packet from `src` to `dst`: on the interface the
/// packet leaves by, the first complete entry whose ACL permits it (any protocol: an `ip`
/// entry). See [`interesting_packet`] for a given protocol and ports.
pub fn interesting(
    config: &RunningConfig,
    src: Ipv4Addr,
    dst: Ipv4Addr,
) -> Option<&CryptoMapEntry> {
    interesting_packet(config, &Packet::new(Protocol::Ip, src, dst)).ok()
}

pub fn interesting_packet<'c>(
    config: &'c RunningConfig,
    packet: &Packet,
) -> Result<&'c CryptoMapEntry, NotInteresting> {
    let route = config.route_to(packet.dst).ok_or(NotInteresting::NoRoute)?;
    let map = config
        .interface(&route.interface)
        .and_then(|i| i.crypto_map.clone())
        .ok_or_else(|| NotInteresting::NoCryptoMap {
            interface: route.interface.clone(),
        })?;
    let mut incomplete = Vec::new();
    for e in config.crypto_map(&map) {
        if !is_complete(config, e) {
            incomplete.push(e.seq);
            continue;
        }
        let permits = e
            .acl
            .as_deref()
            .and_then(|a| config.access_list(a))
            .is_some_and(|a| a.permitting_entry(packet).is_some());
        if permits {
            return Ok(e);
        }
    }
    Err(NotInteresting::NoEntryPermits { map, incomplete })
}

/// IOS ignores an entry without a peer, an existing ACL or a defined transform set; a
/// `dynamic` reference is only used to answer.
fn is_complete(config: &RunningConfig, e: &CryptoMapEntry) -> bool {
    e.kind == MapKind::IpsecIsakmp
        && !e.peers.is_empty()
        && e.acl
            .as_deref()
            .and_then(|a| config.access_list(a))
            .is_some()
        && !transform_sets(config, e).is_empty()
}

fn transform_sets(config: &RunningConfig, e: &CryptoMapEntry) -> Vec<TransformSet> {
    e.transform_sets
        .iter()
        .filter_map(|n| config.transform_set(n).cloned())
        .collect()
}

fn lifetimes(config: &RunningConfig, e: &CryptoMapEntry) -> (u32, u64) {
    let seconds = e
        .lifetime
        .seconds
        .or(config.ipsec_lifetime.seconds)
        .unwrap_or(DEFAULT_P2_SECONDS);
    let kilobytes = e
        .lifetime
        .kilobytes
        .or(config.ipsec_lifetime.kilobytes)
        .unwrap_or(DEFAULT_P2_KILOBYTES);
    (seconds, kilobytes)
}

/// Step 1: the initiator's entry for the traffic, and what it proposes to `resp_addr`.
pub fn initiator_offer(
    initiator: &RunningConfig,
    packet: &Packet,
    resp_addr: Ipv4Addr,
) -> Result<Phase2Offer, NotInteresting> {
    let entry = interesting_packet(initiator, packet)?;
    if !entry.has_peer(resp_addr) {
        return Err(NotInteresting::OtherPeer {
            map: entry.map.clone(),
            seq: entry.seq,
            peers: entry.peers.iter().map(|p| p.addr).collect(),
        });
    }
    let acl = entry
        .acl
        .as_deref()
        .and_then(|a| initiator.access_list(a))
        .cloned();
    let matched = acl
        .as_ref()
        .and_then(|a| a.permitting_entry(packet).cloned());
    // `interesting_packet` only returns entries whose ACL exists and permits the packet.
    let (Some(acl), Some(acl_entry)) = (acl, matched) else {
        return Err(NotInteresting::NoEntryPermits {
            map: entry.map.clone(),
            incomplete: Vec::new(),
        });
    };
    let (lifetime_seconds, lifetime_kilobytes) = lifetimes(initiator, entry);
    Ok(Phase2Offer {
        map: entry.map.clone(),
        seq: entry.seq,
        proxy: ProxyId::from_entry(&acl_entry),
        acl,
        acl_entry,
        transform_sets: transform_sets(initiator, entry),
        pfs: entry.pfs,
        lifetime_seconds,
        lifetime_kilobytes,
    })
}

/// Step 2: the responder's entries that can answer `init_addr`, from the crypto map on the
/// interface facing it (or, failing that, the one owning `resp_addr`), in sequence order,
/// dynamic references expanded. `Err` names the interface that has no crypto map.
pub fn responder_entries(
    responder: &RunningConfig,
    init_addr: Ipv4Addr,
    resp_addr: Ipv4Addr,
) -> Result<Vec<ResponderEntry>, Option<String>> {
    let facing = responder.route_to(init_addr).map(|d| d.interface);
    let owning = responder
        .interface_owning(resp_addr)
        .map(|i| i.name.clone());
    let map = [&facing, &owning]
        .into_iter()
        .flatten()
        .find_map(|name| responder.interface(name).and_then(|i| i.crypto_map.clone()));
    let Some(map) = map else {
        return Err(facing.or(owning));
    };
    let mut out = Vec::new();
    for e in responder.crypto_map(&map) {
        match &e.kind {
            MapKind::IpsecIsakmp if e.has_peer(init_addr) => {
                out.push(responder_entry(responder, e, false))
            }
            MapKind::DynamicRef(d) => out.extend(
                responder
                    .dynamic_map(d)
                    .filter(|t| t.peers.is_empty() || t.has_peer(init_addr))
                    .map(|t| responder_entry(responder, t, true)),
            ),
            _ => {}
        }
    }
    Ok(out)
}

fn responder_entry(cfg: &RunningConfig, e: &CryptoMapEntry, dynamic: bool) -> ResponderEntry {
    let (lifetime_seconds, lifetime_kilobytes) = lifetimes(cfg, e);
    ResponderEntry {
        map: e.map.clone(),
        seq: e.seq,
        dynamic,
        acl: e.acl.as_deref().and_then(|a| cfg.access_list(a)).cloned(),
        transform_sets: transform_sets(cfg, e),
        pfs: e.pfs,
        lifetime_seconds,
        lifetime_kilobytes,
        line: e.line,
    }
}

/// Step 3: does this entry's ACL have a permit entry covering the proxies (seen from the
/// responder)? IOS accepts proxies narrower than its own entry. A static entry whose ACL is
/// missing accepts nothing; a dynamic entry without `match address` accepts anything.
pub fn accepts_proxy(entry: &ResponderEntry, proxy: &ProxyId) -> bool {
    match &entry.acl {
        Some(acl) => acl.permit_entries().any(|e| proxy.within(e)),
        None => entry.dynamic,
    }
}

fn is_between_peers(proxy: &ProxyId, init_addr: Ipv4Addr, resp_addr: Ipv4Addr) -> bool {
    proxy.local == Wildcard::host(init_addr) && proxy.remote == Wildcard::host(resp_addr)
}

/// Do two transform sets describe the same protection? Names do not matter.
pub fn transform_matches(offered: &TransformSet, local: &TransformSet, host_to_host: bool) -> bool {
    offered.esp_cipher == local.esp_cipher
        && offered.esp_auth == local.esp_auth
        && offered.ah == local.ah
        && (!host_to_host || offered.mode == local.mode)
}

/// Step 4: the first offered set that one of the responder's sets matches.
pub fn choose_transform(
    offered: &[TransformSet],
    local: &[TransformSet],
    host_to_host: bool,
) -> Option<(TransformSet, TransformSet)> {
    offered.iter().find_map(|o| {
        local
            .iter()
            .find(|l| transform_matches(o, l, host_to_host))
            .map(|l| (o.clone(), l.clone()))
    })
}

/// Step 5: a responder with `set pfs` demands that group; one without takes what is offered.
pub fn check_pfs(
    initiator: Option<DhGroup>,
    responder: Option<DhGroup>,
) -> Result<Option<DhGroup>, (Option<DhGroup>, Option<DhGroup>)> {
    match (initiator, responder) {
        (i, None) => Ok(i),
        (Some(i), Some(r)) if i == r => Ok(Some(i)),
        (i, r) => Err((i, r)),
    }
}

#[cfg(test)]
mod tests {
    use super::super::acl::acl_mirror_check;
    use super::super::fixtures::{R1, R1_ADDR, R2, R2_ADDR, cfg, edit, ip};
    use super::super::negotiate::negotiate;
    use super::super::phase1::Phase1Outcome;
    use super::*;

    const LAN1_HOST: &str = "192.168.101.10";
    const LAN2_HOST: &str = "192.168.102.20";

    fn run(r1: &str, r2: &str) -> Phase2Outcome {
        phase2(
            &cfg(r1),
            ip(R1_ADDR),
            ip(LAN1_HOST),
            ip(LAN2_HOST),
            &cfg(r2),
            ip(R2_ADDR),
        )
    }

    #[test]
    fn healthy_pair_agrees_both_ways() {
        let out = run(R1, R2);
        let Phase2Outcome::Agreed(a) = &out else {
            panic!("{out:?}");
        };
        assert_eq!(a.transform.name, "TS");
        assert_eq!(a.mode, IpsecMode::Tunnel);
        assert_eq!(a.pfs, Some(DhGroup(14)));
        assert_eq!(
            a.proxy.local.to_net().map(|n| n.to_string()),
            Some("192.168.101.0/24".into())
        );
        assert_eq!(
            a.proxy.remote.to_net().map(|n| n.to_string()),
            Some("192.168.102.0/24".into())
        );
        assert_eq!(
            (a.lifetime_seconds, a.lifetime_kilobytes),
            (3600, 4_608_000)
        );
        assert_eq!(
            (a.offer.map.as_str(), a.offer.seq, a.offer.acl_entry.line),
            ("CMAP", 10, 68)
        );
        let back = phase2(
            &cfg(R2),
            ip(R2_ADDR),
            ip(LAN2_HOST),
            ip(LAN1_HOST),
            &cfg(R1),
            ip(R1_ADDR),
        );
        assert!(matches!(back, Phase2Outcome::Agreed(_)), "{back:?}");
    }

    #[test]
    fn transform_key_size_mismatch() {
        let r2 = edit(R2, "esp-aes 256 esp-sha-hmac", "esp-aes esp-sha-hmac");
        let out = run(R1, &r2);
        let Phase2Outcome::TransformMismatch { offered, local, .. } = &out else {
            panic!("{out:?}");
        };
        assert_eq!(offered[0].transforms_text(), "esp-aes 256 esp-sha-hmac");
        assert_eq!(local[0].transforms_text(), "esp-aes esp-sha-hmac");
    }

    #[test]
    fn second_offered_transform_set_matches() {
        let r1 = edit(
            R1,
            " set transform-set TS \n",
            " set transform-set OLD TS \n",
        );
        let r1 = edit(
            &r1,
            "crypto ipsec transform-set TS",
            "crypto ipsec transform-set OLD esp-3des esp-md5-hmac\ncrypto ipsec transform-set TS",
        );
        let r2 = edit(
            R2,
            "crypto ipsec transform-set TS",
            "crypto ipsec transform-set OTHERNAME",
        );
        let r2 = edit(
            &r2,
            " set transform-set TS \n",
            " set transform-set OTHERNAME \n",
        );
        let Phase2Outcome::Agreed(a) = run(&r1, &r2) else {
            panic!("not agreed");
        };
        assert_eq!(
            (
                a.transform.name.as_str(),
                a.responder_transform.name.as_str()
            ),
            ("TS", "OTHERNAME")
        );
    }

    #[test]
    fn acl_not_mirrored() {
        let r2 = edit(
            R2,
            "access-list 110 permit ip 192.168.102.0 0.0.0.255 192.168.101.0 0.0.0.255",
            "access-list 110 permit ip 192.168.102.0 0.0.0.255 192.168.111.0 0.0.0.255",
        );
        let out = run(R1, &r2);
        let Phase2Outcome::ProxyIdMismatch { offer, candidates } = &out else {
            panic!("{out:?}");
        };
        assert_eq!(offer.acl.name, "110");
        assert_eq!(candidates.len(), 1);
        let theirs = candidates[0].acl.as_ref().unwrap();
        let m = acl_mirror_check(&offer.acl, theirs);
        assert!(!m.mirrored);
        assert_eq!(m.a_without_mirror[0].entry.line, 68);
        assert_eq!(m.b_without_mirror[0].entry.line, 47);
        // And the healthy pair is a mirror image.
        let (a, b) = (cfg(R1), cfg(R2));
        assert!(
            acl_mirror_check(a.access_list("110").unwrap(), b.access_list("110").unwrap()).mirrored
        );
    }

    #[test]
    fn narrower_proposal_is_accepted_wider_is_not() {
        let narrow = edit(
            R1,
            "access-list 110 permit ip 192.168.101.0 0.0.0.255 192.168.102.0 0.0.0.255",
            "access-list 110 permit ip host 192.168.101.10 192.168.102.0 0.0.0.255",
        );
        assert!(matches!(run(&narrow, R2), Phase2Outcome::Agreed(_)));
        let back = phase2(
            &cfg(R2),
            ip(R2_ADDR),
            ip(LAN2_HOST),
            ip(LAN1_HOST),
            &cfg(&narrow),
            ip(R1_ADDR),
        );
        assert!(
            matches!(back, Phase2Outcome::ProxyIdMismatch { .. }),
            "{back:?}"
        );
    }

    #[test]
    fn pfs_only_on_responder() {
        let r1 = edit(R1, " set pfs group14\n", "");
        let out = run(&r1, R2);
        assert!(
            matches!(
                out,
                Phase2Outcome::PfsMismatch {
                    initiator: None,
                    responder: Some(DhGroup(14)),
                    ..
                }
            ),
            "{out:?}"
        );
    }

    #[test]
    fn pfs_only_on_initiator_is_accepted() {
        let r2 = edit(R2, " set pfs group14\n", "");
        let Phase2Outcome::Agreed(a) = run(R1, &r2) else {
            panic!("not agreed");
        };
        assert_eq!(a.pfs, Some(DhGroup(14)));
    }

    #[test]
    fn different_pfs_groups() {
        let r2 = edit(R2, " set pfs group14\n", " set pfs group5\n");
        assert!(matches!(
            run(R1, &r2),
            Phase2Outcome::PfsMismatch {
                initiator: Some(DhGroup(14)),
                responder: Some(DhGroup(5)),
                ..
            }
        ));
    }

    #[test]
    fn traffic_outside_the_acl_is_not_interesting() {
        let r1 = cfg(R1);
        let out = phase2(
            &r1,
            ip(R1_ADDR),
            ip(LAN1_HOST),
            ip("8.8.8.8"),
            &cfg(R2),
            ip(R2_ADDR),
        );
        assert_eq!(
            out,
            Phase2Outcome::NoInterestingTraffic {
                reason: NotInteresting::NoEntryPermits {
                    map: "CMAP".into(),
                    incomplete: vec![]
                }
            }
        );
        assert_eq!(
            interesting(&r1, ip(LAN1_HOST), ip(LAN2_HOST)).map(|e| e.seq),
            Some(10)
        );
        assert!(interesting(&r1, ip(LAN2_HOST), ip(LAN1_HOST)).is_none());
    }

    #[test]
    fn crypto_map_missing_on_either_interface() {
        let r1 = edit(
            R1,
            " media-type rj45\n crypto map CMAP\n",
            " media-type rj45\n",
        );
        assert_eq!(
            run(&r1, R2),
            Phase2Outcome::NoInterestingTraffic {
                reason: NotInteresting::NoCryptoMap {
                    interface: "GigabitEthernet0/0".into()
                }
            }
        );
        let r2 = edit(R2, " speed auto\n crypto map CMAP\n", " speed auto\n");
        assert_eq!(
            run(R1, &r2),
            Phase2Outcome::NoCryptoMap {
                side: Side::Responder,
                interface: Some("GigabitEthernet0/0".into())
            }
        );
    }

    #[test]
    fn incomplete_entry_is_ignored() {
        let r1 = edit(
            R1,
            " set transform-set TS \n",
            " set transform-set MISSING \n",
        );
        let out = run(&r1, R2);
        assert_eq!(
            out,
            Phase2Outcome::NoInterestingTraffic {
                reason: NotInteresting::NoEntryPermits {
                    map: "CMAP".into(),
                    incomplete: vec![10]
                }
            }
        );
    }

    #[test]
    fn entry_for_another_peer() {
        let r1 = edit(R1, " set peer 203.0.113.2\n", " set peer 203.0.113.9\n");
        assert!(matches!(
            run(&r1, R2),
            Phase2Outcome::NoInterestingTraffic {
                reason: NotInteresting::OtherPeer { .. }
            }
        ));
    }

    #[test]
    fn responder_has_no_entry_for_this_peer() {
        let r2 = edit(R2, " set peer 203.0.113.1\n", " set peer 203.0.113.77\n");
        let out = run(R1, &r2);
        assert!(
            matches!(&out, Phase2Outcome::ProxyIdMismatch { candidates, .. } if candidates.is_empty())
        );
    }

    #[test]
    fn dynamic_map_hub_answers_any_peer() {
        let hub = edit(
            R2,
            "crypto map CMAP 10 ipsec-isakmp \n description Tunnel to R1\n set peer 203.0.113.1\n set transform-set TS \n set pfs group14\n match address 110\n",
            "crypto dynamic-map DYN 10\n set transform-set TS \ncrypto map CMAP 65535 ipsec-isakmp dynamic DYN\n",
        );
        let Phase2Outcome::Agreed(a) = run(R1, &hub) else {
            panic!("not agreed");
        };
        assert!(a.responder.dynamic);
        assert_eq!(a.responder.seq, 10);
        assert_eq!(
            a.pfs,
            Some(DhGroup(14)),
            "no pfs on the hub: the offered group is used"
        );
    }

    #[test]
    fn transport_mode_counts_only_between_the_peers() {
        let r2 = edit(R2, " mode tunnel", " mode transport");
        assert!(matches!(run(R1, &r2), Phase2Outcome::Agreed(_)));
        // GRE between the two routers themselves: the mode is negotiated.
        let gre = |c: &str, from: &str, to: &str| {
            edit(
                c,
                &format!("access-list 110 permit ip {from} 0.0.0.255 {to} 0.0.0.255"),
                "access-list 110 permit gre host 203.0.113.1 host 203.0.113.2",
            )
        };
        let r1 = gre(R1, "192.168.101.0", "192.168.102.0");
        let r2t = edit(
            &gre(R2, "192.168.102.0", "192.168.101.0"),
            " mode tunnel",
            " mode transport",
        );
        let r2t = edit(
            &r2t,
            "access-list 110 permit gre host 203.0.113.1 host 203.0.113.2",
            "access-list 110 permit gre host 203.0.113.2 host 203.0.113.1",
        );
        let packet = Packet::new(Protocol::Gre, ip(R1_ADDR), ip(R2_ADDR));
        let out = phase2_for(&cfg(&r1), ip(R1_ADDR), &packet, &cfg(&r2t), ip(R2_ADDR));
        assert!(
            matches!(out, Phase2Outcome::TransformMismatch { .. }),
            "{out:?}"
        );
    }

    #[test]
    fn lifetimes_take_the_lower() {
        let r2 = edit(
            R2,
            " set pfs group14\n",
            " set pfs group14\n set security-association lifetime seconds 1800\n",
        );
        let r1 = edit(
            R1,
            "crypto map CMAP 10",
            "crypto ipsec security-association lifetime kilobytes 100000\n!\ncrypto map CMAP 10",
        );
        let Phase2Outcome::Agreed(a) = run(&r1, &r2) else {
            panic!("not agreed");
        };
        assert_eq!((a.lifetime_seconds, a.lifetime_kilobytes), (1800, 100_000));
    }

    #[test]
    fn session_stops_after_a_failed_phase1() {
        let r2 = edit(R2, "key cisco123 address", "key other address");
        let s = negotiate(
            &cfg(R1),
            ip(R1_ADDR),
            ip(LAN1_HOST),
            ip(LAN2_HOST),
            &cfg(&r2),
            ip(R2_ADDR),
        );
        assert!(matches!(s.phase1, Phase1Outcome::KeyMismatch { .. }));
        assert!(s.phase2.is_none());
        assert!(!s.is_up());
        let s = negotiate(
            &cfg(R1),
            ip(R1_ADDR),
            ip(LAN1_HOST),
            ip(LAN2_HOST),
            &cfg(R2),
            ip(R2_ADDR),
        );
        assert!(s.is_up());
    }
}
