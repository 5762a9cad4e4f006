//! Whether a tunnel interface can reach its peer at all, before any IKE: the tunnel is
//! protected and up, it has a source address and a destination, the initiator routes to the
//! destination (not through the tunnel itself), the destination is an address of the peer, and
//! the peer's tunnel points back at this router's source (or the peer answers with a crypto
//! map), with a route back. A tunnel that fails here sends IKE nowhere useful: the peer stays
//! silent, or answers for a tunnel it does not have.

use super::model::{RouteDecision, RunningConfig};
use super::tunnel::{Tunnel, TunnelMode, TunnelSource};
use serde::Serialize;
use std::net::Ipv4Addr;

/// A tunnel's two ends, once they agree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Endpoints {
    pub interface: String,
    /// The initiator's tunnel source address.
    pub local: Ipv4Addr,
    /// Its tunnel destination, an address of the peer.
    pub peer: Ipv4Addr,
    /// How the initiator reaches the destination.
    pub route: RouteDecision,
    /// The peer's tunnel that points back (`None`: the peer answers with a crypto map).
    pub peer_interface: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EndpointOutcome {
    /// No such interface, or not a tunnel.
    NotATunnel {
        interface: String,
    },
    /// The tunnel has no `tunnel protection ipsec profile`.
    Unprotected {
        interface: String,
        line: usize,
    },
    /// `shutdown`: the tunnel neither starts nor answers IKE.
    Shutdown {
        interface: String,
        line: usize,
    },
    /// A mode this model does not decide (`gre multipoint`, IPv6 …).
    ModeNotModelled {
        interface: String,
        mode: String,
    },
    /// No `tunnel source`, or its interface has no address.
    NoSource {
        interface: String,
        source: Option<TunnelSource>,
        line: Option<usize>,
    },
    NoDestination {
        interface: String,
    },
    /// The initiator has no route to its destination.
    NoRoute {
        interface: String,
        destination: Ipv4Addr,
        line: usize,
    },
    /// The only route to the destination is the tunnel itself.
    RecursiveRoute {
        interface: String,
        destination: Ipv4Addr,
        line: usize,
    },
    /// The destination is none of the peer's addresses: IKE goes to another router.
    DestinationNotPeer {
        interface: String,
        destination: Ipv4Addr,
        line: usize,
        /// The peer's tunnel source addresses (interface, address), where it expects IKE.
        peer_sources: Vec<(String, Ipv4Addr)>,
    },
    /// The peer's tunnel sourced on the destination points elsewhere, and nothing else on
    /// the peer answers this router's source address.
    PeerDestinationMismatch {
        local: Ipv4Addr,
        peer_interface: String,
        peer_destination: Option<Ipv4Addr>,
        peer_line: Option<usize>,
    },
    /// The peer has no route back to this router's source address.
    PeerNoRoute {
        local: Ipv4Addr,
    },
    Ok(Endpoints),
}

impl EndpointOutcome {
    pub fn endpoints(&self) -> Option<&Endpoints> {
        match self {
            EndpointOutcome::Ok(e) => Some(e),
            _ => None,
        }
    }
}

/// The initiator's tunnel `interface` toward `peer_cfg`, step by step.
pub fn endpoints(
    cfg: &RunningConfig,
    interface: &str,
    peer_cfg: &RunningConfig,
) -> EndpointOutcome {
    let (name, tunnel) = match own_tunnel(cfg, interface) {
        Ok(t) => t,
        Err(o) => return o,
    };
    let (local, dst, dst_line) = match addresses(cfg, &name, tunnel) {
        Ok(a) => a,
        Err(o) => return o,
    };
    let route = match route(cfg, &name, tunnel, dst, dst_line) {
        Ok(r) => r,
        Err(o) => return o,
    };
    if peer_cfg.interface_owning(dst).is_none() {
        return EndpointOutcome::DestinationNotPeer {
            interface: name,
            destination: dst,
            line: dst_line,
            peer_sources: peer_cfg
                .tunnels()
                .filter_map(|(i, t)| {
                    peer_cfg
                        .tunnel_source_address(t)
                        .map(|a| (i.name.clone(), a))
                })
                .collect(),
        };
    }
    let peer_interface = match peer_side(peer_cfg, local, dst) {
        Ok(p) => p,
        Err(o) => return o,
    };
    EndpointOutcome::Ok(Endpoints {
        interface: name,
        local,
        peer: dst,
        route,
        peer_interface,
    })
}

/// Step 1: a protected tunnel interface that is not shut, in a mode we decide.
fn own_tunnel<'c>(
    cfg: &'c RunningConfig,
    interface: &str,
) -> Result<(String, &'c Tunnel), EndpointOutcome> {
    let not = || EndpointOutcome::NotATunnel {
        interface: interface.to_string(),
    };
    let iface = cfg.interface(interface).ok_or_else(not)?;
    let tunnel = iface.tunnel.as_ref().ok_or_else(not)?;
    let name = iface.name.clone();
    if iface.shutdown {
        return Err(EndpointOutcome::Shutdown {
            interface: name,
            line: iface.line,
        });
    }
    if let TunnelMode::Other(mode) = &tunnel.mode {
        return Err(EndpointOutcome::ModeNotModelled {
            interface: name,
            mode: mode.clone(),
        });
    }
    if tunnel.protection.is_none() {
        return Err(EndpointOutcome::Unprotected {
            interface: name,
            line: iface.line,
        });
    }
    Ok((name, tunnel))
}

/// Step 2: the source address and the destination.
fn addresses(
    cfg: &RunningConfig,
    name: &str,
    tunnel: &Tunnel,
) -> Result<(Ipv4Addr, Ipv4Addr, usize), EndpointOutcome> {
    let Some(local) = cfg.tunnel_source_address(tunnel) else {
        return Err(EndpointOutcome::NoSource {
            interface: name.to_string(),
            source: tunnel.source.as_ref().map(|(s, _)| s.clone()),
            line: tunnel.source.as_ref().map(|(_, l)| *l),
        });
    };
    let Some((dst, dst_line)) = tunnel.destination else {
        return Err(EndpointOutcome::NoDestination {
            interface: name.to_string(),
        });
    };
    Ok((local, dst, dst_line))
}

/// Step 3: a route to the destination that does not go through the tunnel.
fn route(
    cfg: &RunningConfig,
    name: &str,
    tunnel: &Tunnel,
    dst: Ipv4Addr,
    line: usize,
) -> Result<RouteDecision, EndpointOutcome> {
    if let Some(r) = cfg.route_for_tunnel(name, tunnel) {
        return Ok(r);
    }
    let recursive = cfg.route_to(dst).is_some();
    Err(if recursive {
        EndpointOutcome::RecursiveRoute {
            interface: name.to_string(),
            destination: dst,
            line,
        }
    } else {
        EndpointOutcome::NoRoute {
            interface: name.to_string(),
            destination: dst,
            line,
        }
    })
}

/// Step 4 (the "vice versa"): the peer answers `local` on `dst`, with its tunnel whose
/// destination is `local` or with a crypto map entry, and routes back to `local`.
fn peer_side(
    peer: &RunningConfig,
    local: Ipv4Addr,
    dst: Ipv4Addr,
) -> Result<Option<String>, EndpointOutcome> {
    let back = peer.tunnel_between(dst, local).map(|(i, _)| i.name.clone());
    let by_map = peer.crypto_maps.iter().any(|e| e.has_peer(local));
    if back.is_none() && !by_map {
        // The tunnel the peer meant for us: the protected one sourced where we send.
        if let Some((i, t)) = peer
            .tunnels()
            .find(|(_, t)| t.protection.is_some() && peer.tunnel_source_address(t) == Some(dst))
        {
            return Err(EndpointOutcome::PeerDestinationMismatch {
                local,
                peer_interface: i.name.clone(),
                peer_destination: t.destination.map(|(d, _)| d),
                peer_line: t.destination.map(|(_, l)| l),
            });
        }
    }
    if peer.route_to(local).is_none() {
        return Err(EndpointOutcome::PeerNoRoute { local });
    }
    Ok(back)
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{V2_R1, V2_R2, cfg, edit, ip};
    use super::*;

    fn run(r1: &str, r2: &str) -> EndpointOutcome {
        endpoints(&cfg(r1), "Tunnel0", &cfg(r2))
    }

    #[test]
    fn healthy_ends_meet() {
        let out = run(V2_R1, V2_R2);
        let e = out.endpoints().unwrap();
        assert_eq!((e.local, e.peer), (ip("203.0.113.1"), ip("203.0.113.2")));
        assert_eq!(e.route.interface, "GigabitEthernet1");
        assert_eq!(e.peer_interface.as_deref(), Some("Tunnel0"));
    }

    #[test]
    fn destination_is_not_the_peer() {
        let r1 = edit(
            V2_R1,
            " tunnel destination 203.0.113.2",
            " tunnel destination 203.0.113.20",
        );
        assert_eq!(
            run(&r1, V2_R2),
            EndpointOutcome::DestinationNotPeer {
                interface: "Tunnel0".into(),
                destination: ip("203.0.113.20"),
                line: 55,
                peer_sources: vec![("Tunnel0".into(), ip("203.0.113.2"))],
            }
        );
    }

    #[test]
    fn peer_points_elsewhere() {
        let r2 = edit(
            V2_R2,
            " tunnel destination 203.0.113.1",
            " tunnel destination 203.0.113.10",
        );
        assert_eq!(
            run(V2_R1, &r2),
            EndpointOutcome::PeerDestinationMismatch {
                local: ip("203.0.113.1"),
                peer_interface: "Tunnel0".into(),
                peer_destination: Some(ip("203.0.113.10")),
                peer_line: Some(40),
            }
        );
    }

    #[test]
    fn routes_to_and_from_the_peer() {
        let r1 = edit(V2_R1, "ip route 0.0.0.0 0.0.0.0 203.0.113.254\n", "");
        let r1 = edit(
            &r1,
            " ip address 203.0.113.1 255.255.255.0",
            " ip address 198.51.100.1 255.255.255.0",
        );
        assert!(matches!(run(&r1, V2_R2), EndpointOutcome::NoRoute { .. }));
        // Only the tunnel itself leads to its destination.
        let r1 = edit(
            &r1,
            "ip route 192.168.102.0 255.255.255.0 Tunnel0",
            "ip route 203.0.113.0 255.255.255.0 Tunnel0",
        );
        assert!(matches!(
            run(&r1, V2_R2),
            EndpointOutcome::RecursiveRoute { .. }
        ));
        let r2 = edit(V2_R2, "ip route 0.0.0.0 0.0.0.0 203.0.113.254\n", "");
        let r2 = edit(
            &r2,
            " ip address 203.0.113.2 255.255.255.0",
            " ip address 203.0.113.2 255.255.255.255",
        );
        assert_eq!(
            run(V2_R1, &r2),
            EndpointOutcome::PeerNoRoute {
                local: ip("203.0.113.1")
            }
        );
    }

    #[test]
    fn tunnel_itself_not_ready() {
        let shut = edit(
            V2_R1,
            " tunnel protection ipsec profile VTI-PROF\n",
            " tunnel protection ipsec profile VTI-PROF\n shutdown\n",
        );
        assert!(matches!(
            run(&shut, V2_R2),
            EndpointOutcome::Shutdown { .. }
        ));
        let bare = edit(V2_R1, " tunnel protection ipsec profile VTI-PROF\n", "");
        assert!(matches!(
            run(&bare, V2_R2),
            EndpointOutcome::Unprotected { .. }
        ));
        let nosrc = edit(
            V2_R1,
            " tunnel source GigabitEthernet1",
            " tunnel source Loopback9",
        );
        assert_eq!(
            run(&nosrc, V2_R2),
            EndpointOutcome::NoSource {
                interface: "Tunnel0".into(),
                source: Some(TunnelSource::Interface("Loopback9".into())),
                line: Some(53),
            }
        );
        let nodst = edit(V2_R1, " tunnel destination 203.0.113.2\n", "");
        assert!(matches!(
            run(&nodst, V2_R2),
            EndpointOutcome::NoDestination { .. }
        ));
        assert!(matches!(
            endpoints(&cfg(V2_R1), "GigabitEthernet1", &cfg(V2_R2)),
            EndpointOutcome::NotATunnel { .. }
        ));
        let mgre = edit(
            V2_R1,
            " tunnel mode ipsec ipv4",
            " tunnel mode gre multipoint",
        );
        assert!(matches!(
            run(&mgre, V2_R2),
            EndpointOutcome::ModeNotModelled { .. }
        ));
    }
}
