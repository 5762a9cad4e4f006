//! What a router's configuration says about its tunnel toward the peer: which IKE version it
//! speaks, how it protects the traffic (a crypto map entry, or a tunnel interface with tunnel
//! protection), the tunnel interface and its address, and a host on each side of what it
//! protects (the test ping's source and target). Read with the IOS model's own lookups
//! ([`RunningConfig::protection_toward`], routes, ACLs), never by reading the text again.
//!
//! The runner picks each router's commands from these facts: a router speaking IKEv2 gets
//! `debug crypto ikev2` and `show crypto ikev2 sa`, a route-based one `show interfaces
//! TunnelN`, and a router whose configuration is unknown today's IKEv1 crypto map commands.

use crate::ios::RunningConfig;
use crate::ios::acl::Action;
use crate::ios::addr::{Ipv4Net, first_host};
use crate::ios::tunnel::Protection;
use crate::playbook::{Ike, Style};
use serde::Serialize;
use std::net::Ipv4Addr;

/// One router's tunnel toward its peer, as its configuration says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TunnelFacts {
    #[serde(serialize_with = "ike_name")]
    pub ike: Ike,
    #[serde(serialize_with = "style_name")]
    pub style: Style,
    /// The configuration names the peer (the tunnel's destination or the entry's peer). When
    /// it does not, the router's only (or first) tunnel is taken: the address may be what is
    /// wrong, and the commands must still fit the router.
    pub toward_peer: bool,
    /// A VTI's tunnel interface.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tunnel_interface: Option<String>,
    /// The tunnel interface's own address and prefix (`10.255.0.1/30`).
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "net_text")]
    pub tunnel_address: Option<Ipv4Net>,
    /// Where the router sends IKE from: the tunnel source, or the crypto map's interface.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub local_address: Option<Ipv4Addr>,
    /// Where it sends IKE to: the tunnel destination, or the entry's peer. Not the peer's
    /// address when the configuration is what is wrong.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination: Option<Ipv4Addr>,
    /// A host on each side of the protected traffic and the interface to ping from.
    #[serde(skip)]
    pub protected: Option<Protected>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Protected {
    pub local: Ipv4Addr,
    pub remote: Ipv4Addr,
    pub interface: Option<String>,
}

fn net_text<S: serde::Serializer>(v: &Option<Ipv4Net>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(n) => s.collect_str(n),
        None => s.serialize_none(),
    }
}

fn ike_name<S: serde::Serializer>(v: &Ike, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(match v {
        Ike::V1 => "ikev1",
        Ike::V2 => "ikev2",
    })
}

fn style_name<S: serde::Serializer>(v: &Style, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(match v {
        Style::CryptoMap => "crypto_map",
        Style::Vti => "vti",
    })
}

/// The facts of `cfg`'s tunnel toward `peer` (or its only tunnel); `None` when the router
/// protects nothing at all.
pub fn learn(cfg: &RunningConfig, peer: Option<Ipv4Addr>) -> Option<TunnelFacts> {
    let (protection, toward_peer) = match peer.and_then(|p| cfg.protection_toward(p)) {
        Some(p) => (p, true),
        None => (any_protection(cfg)?, false),
    };
    let ike = Ike::of(protection.ike_version());
    Some(match &protection {
        Protection::CryptoMap { entry } => {
            let outside = cfg
                .interfaces
                .iter()
                .find(|i| i.crypto_map.as_deref() == Some(entry.map.as_str()));
            TunnelFacts {
                ike,
                style: Style::CryptoMap,
                toward_peer,
                tunnel_interface: None,
                tunnel_address: None,
                local_address: outside.and_then(|i| i.address).map(|a| a.addr),
                destination: peer
                    .filter(|p| entry.has_peer(*p))
                    .or_else(|| entry.peers.first().map(|p| p.addr)),
                protected: entry
                    .acl
                    .as_deref()
                    .and_then(|acl| by_acl(cfg, acl, &outside_names(cfg))),
            }
        }
        Protection::Vti { interface, .. } => {
            let tunnel = cfg.interface(interface).and_then(|i| i.tunnel.as_ref());
            let source = tunnel.and_then(|t| cfg.tunnel_source_address(t));
            let mut outside = outside_names(cfg);
            outside.push(interface.clone());
            if let Some(s) = source.and_then(|s| cfg.interface_owning(s)) {
                outside.push(s.name.clone());
            }
            let protected = match tunnel.and_then(|t| t.policy_acl.as_ref()) {
                Some((acl, _)) => by_acl(cfg, acl, &outside),
                None => by_route(cfg, interface, &outside),
            };
            TunnelFacts {
                ike,
                style: Style::Vti,
                toward_peer,
                tunnel_interface: Some(interface.clone()),
                tunnel_address: cfg.interface(interface).and_then(|i| i.address),
                local_address: source,
                destination: tunnel.and_then(|t| t.destination).map(|d| d.0),
                protected,
            }
        }
    })
}

/// Every IKE version and style the router protects some peer with (its crypto map entries and
/// protected tunnel interfaces): what a check of all its tunnels at once must collect for.
pub fn kinds(cfg: &RunningConfig) -> Vec<(Ike, Style)> {
    let maps = cfg
        .crypto_maps
        .iter()
        .map(|e| Protection::CryptoMap { entry: e.clone() });
    let tunnels = cfg.tunnels().filter_map(|(i, t)| {
        let (name, _) = t.protection.as_ref()?;
        Some(Protection::Vti {
            interface: i.name.clone(),
            profile: cfg.ipsec_profile(name)?,
        })
    });
    let mut out: Vec<(Ike, Style)> = Vec::new();
    for p in maps.chain(tunnels) {
        let style = match p {
            Protection::CryptoMap { .. } => Style::CryptoMap,
            Protection::Vti { .. } => Style::Vti,
        };
        let kind = (Ike::of(p.ike_version()), style);
        if !out.contains(&kind) {
            out.push(kind);
        }
    }
    out
}

/// The router's address IKE leaves from, for its peer to aim at: the crypto map interface's,
/// else the first protected tunnel's source.
pub fn own_address(cfg: &RunningConfig) -> Option<Ipv4Addr> {
    cfg.interfaces
        .iter()
        .find(|i| i.crypto_map.is_some())
        .and_then(|i| i.address.map(|a| a.addr))
        .or_else(|| {
            cfg.tunnels()
                .find(|(_, t)| t.protection.is_some())
                .and_then(|(_, t)| cfg.tunnel_source_address(t))
        })
}

/// The address the configuration sends IKE to when nothing else tells the peer's: the first
/// crypto map peer, else the first protected tunnel's destination.
pub fn configured_peer(cfg: &RunningConfig) -> Option<Ipv4Addr> {
    cfg.crypto_maps
        .iter()
        .flat_map(|e| e.peers.iter())
        .map(|p| p.addr)
        .next()
        .or_else(|| {
            cfg.tunnels()
                .filter(|(_, t)| t.protection.is_some())
                .find_map(|(_, t)| t.destination.map(|d| d.0))
        })
}

/// The far end of the tunnel's own subnet, when the tunnel is addressed point to point (a /30
/// or a /31), as VTIs are.
pub fn far_tunnel_address(own: Ipv4Net) -> Option<Ipv4Addr> {
    let a = u32::from(own.addr);
    let net = a & own.mask_bits();
    let far = match own.len {
        31 => net | (!(a - net) & 1),
        30 => match a - net {
            1 => net + 2,
            2 => net + 1,
            _ => return None,
        },
        _ => return None,
    };
    Some(Ipv4Addr::from(far))
}

/// A crypto map entry (today's first), else the first protected tunnel.
fn any_protection(cfg: &RunningConfig) -> Option<Protection> {
    if let Some(entry) = cfg.crypto_maps.first() {
        return Some(Protection::CryptoMap {
            entry: entry.clone(),
        });
    }
    cfg.tunnels().find_map(|(i, t)| {
        let (name, _) = t.protection.as_ref()?;
        Some(Protection::Vti {
            interface: i.name.clone(),
            profile: cfg.ipsec_profile(name)?,
        })
    })
}

/// Interfaces that carry a crypto map: the outside, never where test traffic starts.
fn outside_names(cfg: &RunningConfig) -> Vec<String> {
    cfg.interfaces
        .iter()
        .filter(|i| i.crypto_map.is_some() || i.tunnel.is_some())
        .map(|i| i.name.clone())
        .collect()
}

/// A host on each side of the first permit entry of `acl` (a crypto ACL, or a VTI's
/// `tunnel protection ipsec policy`).
fn by_acl(cfg: &RunningConfig, acl: &str, outside: &[String]) -> Option<Protected> {
    let acl = cfg.access_list(acl)?;
    let first = acl.entries.iter().find(|e| e.action == Action::Permit)?;
    Some(from_local(
        cfg,
        first_host(first.src.addr),
        first_host(first.dst.addr),
        outside,
    ))
}

/// A VTI protects what is routed into it: the first network routed through the tunnel
/// interface (not a default route, whose first host is nobody's), else the far tunnel address
/// pinged from the tunnel itself.
fn by_route(cfg: &RunningConfig, tunnel: &str, outside: &[String]) -> Option<Protected> {
    let routed = cfg.routes.iter().find(|r| {
        r.prefix.len > 0
            && cfg
                .route_to(first_host(r.prefix.network()))
                .is_some_and(|d| d.interface.eq_ignore_ascii_case(tunnel))
    });
    if let Some(r) = routed {
        let remote = first_host(r.prefix.network());
        let Some(local) = inside(cfg, outside) else {
            // No inside interface to ping from: the tunnel's own address still crosses it.
            return Some(Protected {
                local: cfg.interface_address(tunnel)?,
                remote,
                interface: Some(tunnel.to_string()),
            });
        };
        return Some(Protected {
            local: local.1,
            remote,
            interface: Some(local.0),
        });
    }
    let own = cfg.interface(tunnel)?.address?;
    Some(Protected {
        local: own.addr,
        remote: far_tunnel_address(own)?,
        interface: Some(tunnel.to_string()),
    })
}

fn from_local(
    cfg: &RunningConfig,
    local: Ipv4Addr,
    remote: Ipv4Addr,
    outside: &[String],
) -> Protected {
    // Ping from an address the router owns inside the protected network, as engineers do. When
    // the ACL names a network the router has no interface in (itself a clue), ping from its
    // inside interface: the traffic users send, which is what must start the tunnel.
    match cfg
        .interface_for(local)
        .and_then(|i| Some((i.name.clone(), i.address?.addr)))
        .or_else(|| inside(cfg, outside))
    {
        Some((name, addr)) => Protected {
            local: addr,
            remote,
            interface: Some(name),
        },
        None => Protected {
            local,
            remote,
            interface: None,
        },
    }
}

/// The first addressed, working interface that is neither the outside nor a tunnel.
fn inside(cfg: &RunningConfig, outside: &[String]) -> Option<(String, Ipv4Addr)> {
    cfg.interfaces
        .iter()
        .find(|i| {
            i.address.is_some()
                && !i.shutdown
                && !outside.iter().any(|o| o.eq_ignore_ascii_case(&i.name))
                && !i.name.starts_with("Loopback0")
        })
        .and_then(|i| Some((i.name.clone(), i.address?.addr)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(scenario: &str, router: &str) -> RunningConfig {
        let file = if router == "R1" { "r1.cfg" } else { "r2.cfg" };
        let text = crate::lab::scenario::EMBEDDED
            .iter()
            .find(|s| s.name == scenario)
            .and_then(|s| s.files.iter().find(|f| f.0 == file))
            .expect("a shipped scenario's router")
            .1;
        crate::ios::parse(text).config
    }

    #[test]
    fn ikev1_crypto_map_is_todays_tunnel() {
        let r1 = cfg("healthy", "R1");
        let f = learn(&r1, Some("203.0.113.2".parse().unwrap())).unwrap();
        assert_eq!(
            (f.ike, f.style, f.toward_peer),
            (Ike::V1, Style::CryptoMap, true)
        );
        assert_eq!(f.tunnel_interface, None);
        let p = f.protected.unwrap();
        assert_eq!(p.local.to_string(), "192.168.101.1");
        assert_eq!(p.remote.to_string(), "192.168.102.1");
    }

    #[test]
    fn ikev2_vti_gets_its_interface_and_a_host_routed_through_it() {
        let r1 = cfg("ikev2-vti-healthy", "R1");
        let f = learn(&r1, Some("203.0.113.2".parse().unwrap())).unwrap();
        assert_eq!((f.ike, f.style, f.toward_peer), (Ike::V2, Style::Vti, true));
        assert_eq!(f.tunnel_interface.as_deref(), Some("Tunnel0"));
        assert_eq!(
            f.local_address.map(|a| a.to_string()).as_deref(),
            Some("203.0.113.1")
        );
        let own = f.tunnel_address.unwrap();
        assert_eq!(far_tunnel_address(own).unwrap().to_string(), "10.255.0.2");
        let p = f.protected.unwrap();
        assert_eq!(p.remote.to_string(), "192.168.102.1");
        assert_eq!(p.local.to_string(), "192.168.101.1");
        assert_eq!(p.interface.as_deref(), Some("GigabitEthernet0/0/1"));
        assert_eq!(own_address(&r1).unwrap().to_string(), "203.0.113.1");
    }

    #[test]
    fn ikev1_vti_and_a_wrong_destination_still_name_the_tunnel() {
        let f = learn(
            &cfg("ikev1-vti-healthy", "R2"),
            Some("203.0.113.1".parse().unwrap()),
        )
        .unwrap();
        assert_eq!((f.ike, f.style), (Ike::V1, Style::Vti));
        // The tunnel points elsewhere: it is still the router's tunnel, and still IKEv2.
        let r1 = cfg("vti-destination-wrong", "R1");
        let f = learn(&r1, Some("203.0.113.2".parse().unwrap())).unwrap();
        assert_eq!(
            (f.ike, f.style, f.toward_peer),
            (Ike::V2, Style::Vti, false)
        );
        assert_eq!(f.tunnel_interface.as_deref(), Some("Tunnel0"));
    }

    #[test]
    fn a_mixed_pair_gives_each_router_its_own_style() {
        let peer1 = Some("203.0.113.1".parse().unwrap());
        let peer2 = Some("203.0.113.2".parse().unwrap());
        let a = learn(&cfg("ikev2-ts-unacceptable", "R1"), peer2).unwrap();
        let b = learn(&cfg("ikev2-ts-unacceptable", "R2"), peer1).unwrap();
        assert_eq!((a.ike, a.style), (Ike::V2, Style::Vti));
        assert_eq!((b.ike, b.style), (Ike::V2, Style::CryptoMap));
    }

    #[test]
    fn a_router_has_the_kinds_of_all_its_tunnels() {
        assert_eq!(kinds(&cfg("healthy", "R1")), [(Ike::V1, Style::CryptoMap)]);
        assert_eq!(
            kinds(&cfg("ikev2-vti-healthy", "R2")),
            [(Ike::V2, Style::Vti)]
        );
        assert_eq!(
            kinds(&cfg("ikev2-ts-unacceptable", "R2")),
            [(Ike::V2, Style::CryptoMap)]
        );
        assert!(kinds(&RunningConfig::default()).is_empty());
    }

    #[test]
    fn far_ends_of_point_to_point_subnets() {
        let net = |a: &str, l| Ipv4Net::new(a.parse().unwrap(), l).unwrap();
        assert_eq!(
            far_tunnel_address(net("10.0.0.1", 30)).unwrap().to_string(),
            "10.0.0.2"
        );
        assert_eq!(
            far_tunnel_address(net("10.0.0.2", 30)).unwrap().to_string(),
            "10.0.0.1"
        );
        assert_eq!(
            far_tunnel_address(net("10.0.0.4", 31)).unwrap().to_string(),
            "10.0.0.5"
        );
        assert_eq!(
            far_tunnel_address(net("10.0.0.5", 31)).unwrap().to_string(),
            "10.0.0.4"
        );
        assert_eq!(far_tunnel_address(net("10.0.0.1", 24)), None);
        assert_eq!(far_tunnel_address(net("10.0.0.0", 30)), None);
    }
}
