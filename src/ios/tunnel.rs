//! Route-based tunnels: `interface TunnelN` with `tunnel protection ipsec profile NAME` (a
//! virtual tunnel interface, VTI), the `crypto ipsec profile` it names, the IKEv1 `crypto
//! isakmp profile` such a profile may name, and the lookups IOS makes over them: the tunnel
//! toward a peer, its IPsec profile (the smart default one included), which IKE version it
//! speaks, whether a peer is reached through a crypto map or a VTI, and the traffic selectors a
//! tunnel proposes.
//!
//! A VTI in `tunnel mode ipsec ipv4` protects everything routed into it: its selectors are
//! any/any, unless `tunnel protection ipsec policy ipv4 ACL` narrows them. A GRE tunnel
//! (`tunnel mode gre ip`, IOS's default) with tunnel protection protects the GRE packets
//! between its two endpoints. A tunnel interface that is not shut counts as up for routing
//! (`ip route … Tunnel0` resolves); on IOS its line protocol follows the IPsec SA, which is
//! the lab's state, not the config's. What is not modelled: tunnel VRFs (`tunnel vrf`),
//! multipoint GRE (DMVPN) and dynamic VTIs (`virtual-template`), IPv6 tunnel modes.

use super::acl::{PortMatch, Protocol};
use super::addr::{Ipv4Net, Wildcard};
use super::model::{
    CryptoMapEntry, DhGroup, Interface, RouteDecision, RunningConfig, SaLifetime, TransformSet,
};
use super::phase2::ProxyId;
use super::smart_defaults::{self, DEFAULT};
use serde::Serialize;
use std::net::Ipv4Addr;

/// `tunnel mode …`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TunnelMode {
    /// `gre ip`, IOS's default (not printed).
    GreIp,
    /// `ipsec ipv4`: a static VTI.
    IpsecIpv4,
    /// Any other mode (`gre multipoint`, `ipsec ipv6` …): not modelled.
    Other(String),
}

/// `tunnel source …`: an interface (its address is used) or an address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TunnelSource {
    Interface(String),
    Address(Ipv4Addr),
}

/// The `tunnel …` lines of a tunnel interface, each with the line that set it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tunnel {
    pub source: Option<(TunnelSource, usize)>,
    /// `tunnel destination A` (a destination by DNS name is kept as `None`).
    pub destination: Option<(Ipv4Addr, usize)>,
    pub mode: TunnelMode,
    pub mode_line: Option<usize>,
    /// `tunnel protection ipsec profile NAME [shared]`.
    pub protection: Option<(String, usize)>,
    /// `tunnel protection ipsec policy ipv4 ACL`: selectors narrowed to the ACL's entries.
    pub policy_acl: Option<(String, usize)>,
}

impl Default for Tunnel {
    fn default() -> Tunnel {
        Tunnel {
            source: None,
            destination: None,
            mode: TunnelMode::GreIp,
            mode_line: None,
            protection: None,
            policy_acl: None,
        }
    }
}

/// `crypto ipsec profile NAME`: what a protected tunnel negotiates for its SAs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IpsecProfile {
    pub name: String,
    pub description: Option<String>,
    /// In the order offered.
    pub transform_sets: Vec<String>,
    pub pfs: Option<DhGroup>,
    pub pfs_line: Option<usize>,
    /// `set ikev2-profile NAME`: the tunnel speaks IKEv2 with this profile.
    pub ikev2_profile: Option<(String, usize)>,
    /// `set isakmp-profile NAME` (IKEv1).
    pub isakmp_profile: Option<(String, usize)>,
    pub lifetime: SaLifetime,
    /// `responder-only`: this side never initiates.
    pub responder_only: bool,
    /// 0 for the smart default.
    pub line: usize,
}

impl IpsecProfile {
    pub fn empty(name: &str, line: usize) -> IpsecProfile {
        IpsecProfile {
            name: name.to_string(),
            description: None,
            transform_sets: Vec::new(),
            pfs: None,
            pfs_line: None,
            ikev2_profile: None,
            isakmp_profile: None,
            lifetime: smart_defaults::PROFILE_LIFETIME,
            responder_only: false,
            line,
        }
    }

    /// IOS speaks IKEv2 for a profile that names an IKEv2 profile, IKEv1 otherwise.
    pub fn ike_version(&self) -> IkeVersion {
        if self.ikev2_profile.is_some() {
            IkeVersion::V2
        } else {
            IkeVersion::V1
        }
    }
}

/// One `match identity …` of an ISAKMP profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum IsakmpIdentityMatch {
    /// `address A [MASK]`.
    Address(Ipv4Net),
    /// `host NAME`.
    Host(String),
    /// `host domain NAME`.
    HostDomain(String),
}

/// `crypto isakmp profile NAME` (IKEv1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IsakmpProfile {
    pub name: String,
    pub description: Option<String>,
    /// `keyring NAME` lines: where this profile's pre-shared keys are.
    pub keyrings: Vec<String>,
    pub match_identity: Vec<(IsakmpIdentityMatch, usize)>,
    /// `local-address INTERFACE`.
    pub local_address: Option<String>,
    pub line: usize,
}

impl IsakmpProfile {
    pub fn empty(name: &str, line: usize) -> IsakmpProfile {
        IsakmpProfile {
            name: name.to_string(),
            description: None,
            keyrings: Vec::new(),
            match_identity: Vec::new(),
            local_address: None,
            line,
        }
    }

    /// Does a peer identifying by `addr` select this profile?
    pub fn matches_address(&self, addr: Ipv4Addr) -> bool {
        self.match_identity
            .iter()
            .any(|(m, _)| matches!(m, IsakmpIdentityMatch::Address(n) if n.contains(addr)))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum IkeVersion {
    #[serde(rename = "ikev1")]
    V1,
    #[serde(rename = "ikev2")]
    V2,
}

/// How a router protects traffic toward a peer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "style")]
pub enum Protection {
    /// A tunnel interface whose destination is the peer.
    Vti {
        interface: String,
        profile: IpsecProfile,
    },
    /// A crypto map entry that names the peer.
    CryptoMap { entry: CryptoMapEntry },
}

impl Protection {
    pub fn ike_version(&self) -> IkeVersion {
        match self {
            Protection::Vti { profile, .. } => profile.ike_version(),
            Protection::CryptoMap { entry } => {
                if entry.ikev2_profile.is_some() {
                    IkeVersion::V2
                } else {
                    IkeVersion::V1
                }
            }
        }
    }

    /// The IKEv2 profile it initiates with, if it speaks IKEv2.
    pub fn ikev2_profile(&self) -> Option<&str> {
        match self {
            Protection::Vti { profile, .. } => profile.ikev2_profile.as_ref().map(|p| p.0.as_str()),
            Protection::CryptoMap { entry } => entry.ikev2_profile.as_deref(),
        }
    }
}

impl RunningConfig {
    /// An interface's address, or with `ip unnumbered X` the address of X.
    pub fn interface_address(&self, name: &str) -> Option<Ipv4Addr> {
        let i = self.interface(name)?;
        match (&i.address, &i.unnumbered) {
            (Some(a), _) => Some(a.addr),
            (None, Some(other)) if !other.eq_ignore_ascii_case(name) => self
                .interface(other)
                .and_then(|o| o.address)
                .map(|a| a.addr),
            _ => None,
        }
    }

    /// Tunnel interfaces with their `tunnel` lines, in config order.
    pub fn tunnels(&self) -> impl Iterator<Item = (&Interface, &Tunnel)> {
        self.interfaces
            .iter()
            .filter_map(|i| i.tunnel.as_ref().map(|t| (i, t)))
    }

    /// The address a tunnel sends from: its `tunnel source` address, or the source
    /// interface's address.
    pub fn tunnel_source_address(&self, tunnel: &Tunnel) -> Option<Ipv4Addr> {
        match &tunnel.source.as_ref()?.0 {
            TunnelSource::Address(a) => Some(*a),
            TunnelSource::Interface(name) => self.interface_address(name),
        }
    }

    /// The protected tunnel whose destination is `peer` (the first configured).
    pub fn tunnel_toward(&self, peer: Ipv4Addr) -> Option<(&Interface, &Tunnel)> {
        self.tunnels()
            .find(|(_, t)| t.protection.is_some() && t.destination.is_some_and(|(d, _)| d == peer))
    }

    /// The protected tunnel that answers `peer` on `local`: its destination is the peer and
    /// it sends from `local`.
    pub fn tunnel_between(&self, local: Ipv4Addr, peer: Ipv4Addr) -> Option<(&Interface, &Tunnel)> {
        self.tunnels().find(|(_, t)| {
            t.protection.is_some()
                && t.destination.is_some_and(|(d, _)| d == peer)
                && self.tunnel_source_address(t) == Some(local)
        })
    }

    /// An IPsec profile by name: a configured one, else the smart default `default` unless
    /// `no crypto ipsec profile default` removed it.
    pub fn ipsec_profile(&self, name: &str) -> Option<IpsecProfile> {
        if let Some(p) = self.ipsec_profiles.iter().find(|p| p.name == name) {
            return Some(p.clone());
        }
        (name == DEFAULT && self.smart_defaults.ipsec_profile()).then(smart_defaults::ipsec_profile)
    }

    /// A transform set by name, the smart default `default` included.
    pub fn transform_set_or_default(&self, name: &str) -> Option<TransformSet> {
        if let Some(t) = self.transform_set(name) {
            return Some(t.clone());
        }
        (name == DEFAULT && self.smart_defaults.transform_set()).then(smart_defaults::transform_set)
    }

    /// The defined transform sets a profile names, in its order.
    pub fn profile_transform_sets(&self, profile: &IpsecProfile) -> Vec<TransformSet> {
        profile
            .transform_sets
            .iter()
            .filter_map(|n| self.transform_set_or_default(n))
            .collect()
    }

    pub fn isakmp_profile(&self, name: &str) -> Option<&IsakmpProfile> {
        self.isakmp_profiles.iter().find(|p| p.name == name)
    }

    /// How this router protects traffic toward `peer`: a protected tunnel whose destination
    /// is the peer (its profile resolved), else a crypto map entry naming the peer.
    pub fn protection_toward(&self, peer: Ipv4Addr) -> Option<Protection> {
        if let Some((i, t)) = self.tunnel_toward(peer) {
            let name = t
                .protection
                .as_ref()
                .map(|p| p.0.as_str())
                .unwrap_or(DEFAULT);
            if let Some(profile) = self.ipsec_profile(name) {
                return Some(Protection::Vti {
                    interface: i.name.clone(),
                    profile,
                });
            }
        }
        self.crypto_maps
            .iter()
            .find(|e| e.has_peer(peer))
            .map(|e| Protection::CryptoMap { entry: e.clone() })
    }

    /// The selectors a tunnel proposes, from its own side (local first): any/any for an IPsec
    /// VTI, the GRE packets between the two endpoints for a GRE tunnel, the permit entries of
    /// `tunnel protection ipsec policy ipv4 ACL` when that narrows it.
    pub fn tunnel_selectors(&self, tunnel: &Tunnel) -> Vec<ProxyId> {
        if let Some((acl, _)) = &tunnel.policy_acl {
            return self
                .access_list(acl)
                .map(|a| a.permit_entries().map(ProxyId::from_entry).collect())
                .unwrap_or_default();
        }
        match tunnel.mode {
            TunnelMode::IpsecIpv4 => vec![any_any()],
            TunnelMode::GreIp => {
                let (Some(src), Some((dst, _))) =
                    (self.tunnel_source_address(tunnel), tunnel.destination)
                else {
                    return Vec::new();
                };
                vec![ProxyId {
                    protocol: Protocol::Gre,
                    local: Wildcard::host(src),
                    local_port: None,
                    remote: Wildcard::host(dst),
                    remote_port: None,
                }]
            }
            TunnelMode::Other(_) => Vec::new(),
        }
    }

    /// How this router forwards toward a tunnel's destination, unless that path is the tunnel
    /// itself (IOS then brings the tunnel down: "recursive routing").
    pub fn route_for_tunnel(&self, interface: &str, tunnel: &Tunnel) -> Option<RouteDecision> {
        let (dst, _) = tunnel.destination?;
        self.route_to(dst)
            .filter(|r| !r.interface.eq_ignore_ascii_case(interface))
    }
}

/// Every address, every protocol: what an IPsec VTI protects.
pub fn any_any() -> ProxyId {
    ProxyId {
        protocol: Protocol::Ip,
        local: Wildcard::ANY,
        local_port: None,
        remote: Wildcard::ANY,
        remote_port: None,
    }
}

/// Are two selector sets the same traffic (ports and protocol included)?
pub fn same_selector(a: &ProxyId, b: &ProxyId) -> bool {
    a.protocol == b.protocol
        && a.local.same_range(&b.local)
        && a.remote.same_range(&b.remote)
        && a.local_port == b.local_port
        && a.remote_port == b.remote_port
}

/// Does `outer` (a permit entry's selectors) take every flow of `inner`? Ports: an entry
/// without a port condition takes any; with one, only the same condition.
pub fn selector_covers(outer: &ProxyId, inner: &ProxyId) -> bool {
    let ports = |o: &Option<PortMatch>, i: &Option<PortMatch>| o.is_none() || o == i;
    outer.protocol.covers(inner.protocol)
        && outer.local.covers(&inner.local)
        && outer.remote.covers(&inner.remote)
        && ports(&outer.local_port, &inner.local_port)
        && ports(&outer.remote_port, &inner.remote_port)
}
