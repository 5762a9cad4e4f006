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
        let ports = |mine: &Option<PortMatch>, theirs: &Option<PortMatch>| {
            mine.is_none() || mine == theirs
        };
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
    OtherPeer { map: String, seq: u32, peers: Vec<Ipv4Addr> },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase2Outcome {
    NoInterestingTraffic { reason: NotInteresting },
    /// The responder has no crypto map where the initiator's packets arrive.
    NoCryptoMap { side: Side, interface: Option<String> },
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
    let Some(entry) = entries.iter().find(|e| accepts_proxy(e, &their_view)).cloned() else {
        return Phase2Outcome::ProxyIdMismatch {
            offer,
            candidates: entries,
        };
    };
    let host_to_host = is_between_peers(&offer.proxy, init_addr, resp_addr);
    let Some((mine, theirs)) = choose_transform(&offer.transform_sets, &entry.transform_sets, host_to_host)
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
    let mode = if host_to_host { mine.mode } else { IpsecMode::Tunnel };
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
pub fn interesting(config: &RunningConfig, src: Ipv4Addr, dst: Ipv4Addr) -> Option<&CryptoMapEntry> {
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
        && e.acl.as_deref().and_then(|a| config.access_list(a)).is_some()
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
    let owning = responder.interface_owning(resp_addr).map(|i| i.name.clone());
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
            MapKind::IpsecIsakmp if e.has_peer(init_addr) => out.push(responder_entry(responder, e, false)),
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
