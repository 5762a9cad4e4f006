//! Tunnel series: what a health check reports on, found in the routers' configurations rather
//! than in their live SAs, so that a configured tunnel that is down is still a series.
//!
//! Every crypto map entry with a peer is a series, and so is every protected tunnel interface
//! (a VTI, IKEv1 or IKEv2) with a destination: its peer is the destination. An inventory tunnel pairing routers A and B
//! claims A's entry toward B and B's toward A (the entry whose peer is an address B's config
//! owns; else the inventory's `a_peer_address`; else, when A has exactly one entry left and no
//! other tunnel, that one: the peer address may be what is wrong). Entries no inventory tunnel
//! claims are series of their own, checked on their one router: `R1/198.51.100.7`.

use crate::inventory::Tunnel;
use crate::ios::RunningConfig;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

/// One router's end of a series.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct End {
    pub router: String,
    /// The peer address this router's crypto map entry names; `None` when no entry was found
    /// (the configuration is unknown, or it has no entry toward the other router).
    pub peer: Option<Ipv4Addr>,
    pub map: Option<String>,
    pub seq: Option<u32>,
    /// The tunnel interface, when the router protects this peer with a VTI.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tunnel: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Series {
    /// The inventory's tunnel name, or `ROUTER/PEER` for an entry no tunnel claims.
    pub name: String,
    pub a: End,
    /// The other end; `None` for a one-sided series.
    pub b: Option<End>,
    pub always_on: bool,
}

impl Series {
    pub fn one_sided(&self) -> bool {
        self.b.is_none()
    }

    pub fn routers(&self) -> Vec<&str> {
        std::iter::once(self.a.router.as_str())
            .chain(self.b.as_ref().map(|b| b.router.as_str()))
            .collect()
    }
}

/// A crypto map entry and one of its peers, or a protected tunnel interface (`seq` none, `map`
/// the interface) and its destination.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct EntryRef {
    map: String,
    seq: Option<u32>,
    peer: Ipv4Addr,
}

fn entries(cfg: &RunningConfig) -> Vec<EntryRef> {
    cfg.crypto_maps
        .iter()
        .flat_map(|e| {
            e.peers.iter().map(move |p| EntryRef {
                map: e.map.clone(),
                seq: Some(e.seq),
                peer: p.addr,
            })
        })
        .chain(cfg.tunnels().filter_map(|(i, t)| {
            t.protection.as_ref()?;
            Some(EntryRef {
                map: i.name.clone(),
                seq: None,
                peer: t.destination?.0,
            })
        }))
        .collect()
}

/// The series of `tunnels` (from the inventory) and of every entry they leave unclaimed on the
/// routers in `configs`. Every tunnel claims its entries; `report` says which tunnels to
/// report and `one_sided_for` which routers' unclaimed entries (a shard reports its own).
pub fn discover(
    tunnels: &[&Tunnel],
    configs: &BTreeMap<String, &RunningConfig>,
    report: &dyn Fn(&str) -> bool,
    one_sided_for: &dyn Fn(&str) -> bool,
) -> Vec<Series> {
    let all: BTreeMap<&str, Vec<EntryRef>> = configs
        .iter()
        .map(|(r, c)| (r.as_str(), entries(c)))
        .collect();
    let mut claimed: BTreeSet<(String, EntryRef)> = BTreeSet::new();
    let mut out = Vec::new();
    let tunnel_count = |router: &str| {
        tunnels
            .iter()
            .filter(|t| t.a == router || t.b == router)
            .count()
    };
    // First every tunnel claims what addresses prove, so the fallback below only sees leftovers.
    let mut ends: Vec<(Option<EntryRef>, Option<EntryRef>)> = Vec::with_capacity(tunnels.len());
    for t in tunnels {
        let a = toward(&all, configs, &t.a, &t.b, t.a_peer_address);
        let b = toward(&all, configs, &t.b, &t.a, t.b_peer_address);
        for (router, e) in [(&t.a, &a), (&t.b, &b)] {
            if let Some(e) = e {
                claimed.insert((router.clone(), e.clone()));
            }
        }
        ends.push((a, b));
    }
    for (t, (a, b)) in tunnels.iter().zip(ends) {
        let mut pick = |router: &str, found: Option<EntryRef>| {
            found.or_else(|| {
                if tunnel_count(router) != 1 {
                    return None;
                }
                let left: Vec<&EntryRef> = all
                    .get(router)?
                    .iter()
                    .filter(|e| !claimed.contains(&(router.to_string(), (*e).clone())))
                    .collect();
                let [only] = left.as_slice() else {
                    return None;
                };
                let only = (*only).clone();
                claimed.insert((router.to_string(), only.clone()));
                Some(only)
            })
        };
        let a = pick(&t.a, a);
        let b = pick(&t.b, b);
        if !report(&t.name) {
            continue;
        }
        out.push(Series {
            name: t.name.clone(),
            a: end(&t.a, a),
            b: Some(end(&t.b, b)),
            always_on: t.always_on,
        });
    }
    let mut names: BTreeSet<String> = out.iter().map(|s| s.name.clone()).collect();
    for (router, list) in &all {
        if !one_sided_for(router) {
            continue;
        }
        for e in list {
            if claimed.contains(&(router.to_string(), e.clone())) {
                continue;
            }
            let mut name = format!("{router}/{}", e.peer);
            if names.contains(&name) {
                name = match e.seq {
                    Some(seq) => format!("{router}/{}/{}-{seq}", e.peer, e.map),
                    None => format!("{router}/{}/{}", e.peer, e.map),
                };
            }
            names.insert(name.clone());
            out.push(Series {
                name,
                a: end(router, Some(e.clone())),
                b: None,
                always_on: false,
            });
        }
    }
    out
}

fn end(router: &str, e: Option<EntryRef>) -> End {
    let (map, seq, tunnel) = match e.as_ref() {
        Some(EntryRef {
            map,
            seq: Some(seq),
            ..
        }) => (Some(map.clone()), Some(*seq), None),
        Some(EntryRef { map, seq: None, .. }) => (None, None, Some(map.clone())),
        None => (None, None, None),
    };
    End {
        router: router.to_string(),
        peer: e.as_ref().map(|e| e.peer),
        map,
        seq,
        tunnel,
    }
}

/// `from`'s entry toward `to`: a peer address `to`'s config owns, else the inventory's hint.
fn toward(
    all: &BTreeMap<&str, Vec<EntryRef>>,
    configs: &BTreeMap<String, &RunningConfig>,
    from: &str,
    to: &str,
    hint: Option<Ipv4Addr>,
) -> Option<EntryRef> {
    let list = all.get(from)?;
    if let Some(other) = configs.get(to)
        && let Some(e) = list
            .iter()
            .find(|e| other.interface_owning(e.peer).is_some())
    {
        return Some(e.clone());
    }
    let hint = hint?;
    list.iter().find(|e| e.peer == hint).cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tunnel(name: &str, a: &str, b: &str) -> Tunnel {
        Tunnel {
            name: name.into(),
            a: a.into(),
            b: b.into(),
            a_peer_address: None,
            b_peer_address: None,
            a_protected: Vec::new(),
            b_protected: Vec::new(),
            always_on: false,
        }
    }

    fn cfg(text: &str) -> RunningConfig {
        crate::ios::parse(text).config
    }

    const HUB: &str = "hostname hub\ncrypto map M 10 ipsec-isakmp\n set peer 10.0.0.2\n match address 101\ncrypto map M 20 ipsec-isakmp\n set peer 10.0.0.3\n match address 102\ncrypto map M 30 ipsec-isakmp\n set peer 10.0.0.9\n match address 103\ninterface Gi0\n ip address 10.0.0.1 255.255.255.0\n crypto map M\n";
    const S2: &str = "hostname s2\ncrypto map V 10 ipsec-isakmp\n set peer 10.0.0.1\n match address 101\ninterface Gi0\n ip address 10.0.0.2 255.255.255.0\n crypto map V\n";
    const S3: &str = "hostname s3\ncrypto map V 10 ipsec-isakmp\n set peer 10.0.0.77\n match address 101\ninterface Gi0\n ip address 10.0.0.3 255.255.255.0\n crypto map V\n";

    #[test]
    fn tunnels_claim_entries_and_the_rest_are_one_sided() {
        let (hub, s2, s3) = (cfg(HUB), cfg(S2), cfg(S3));
        let configs: BTreeMap<String, &RunningConfig> = [
            ("hub".to_string(), &hub),
            ("s2".to_string(), &s2),
            ("s3".to_string(), &s3),
        ]
        .into_iter()
        .collect();
        let t2 = tunnel("hub-s2", "hub", "s2");
        let t3 = tunnel("hub-s3", "hub", "s3");
        let series = discover(&[&t2, &t3], &configs, &|_| true, &|_| true);
        let names: Vec<&str> = series.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["hub-s2", "hub-s3", "hub/10.0.0.9"]);
        assert_eq!(series[0].a.peer, Some("10.0.0.2".parse().unwrap()));
        assert_eq!(
            series[0].b.as_ref().unwrap().peer,
            Some("10.0.0.1".parse().unwrap())
        );
        // s3 points at a wrong address, but it is its only entry and its only tunnel: the
        // tunnel claims it, and the wrong peer shows in the series instead of a second one.
        assert_eq!(
            series[1].b.as_ref().unwrap().peer,
            Some("10.0.0.77".parse().unwrap())
        );
        assert!(series[2].one_sided());
        assert_eq!(series[2].a.seq, Some(30));
        // A shard reporting only hub-s3 still knows hub-s2 claims the hub's entry toward s2.
        let some = discover(&[&t2, &t3], &configs, &|t| t == "hub-s3", &|_| true);
        let names: Vec<&str> = some.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["hub-s3", "hub/10.0.0.9"]);
    }

    #[test]
    fn protected_tunnel_interfaces_are_series_toward_their_destination() {
        let r1 = cfg(include_str!(
            "../../docker/scenarios/ikev2-vti-healthy/r1.cfg"
        ));
        let r2 = cfg(include_str!(
            "../../docker/scenarios/ikev2-ts-unacceptable/r2.cfg"
        ));
        let configs: BTreeMap<String, &RunningConfig> =
            [("R1".to_string(), &r1), ("R2".to_string(), &r2)]
                .into_iter()
                .collect();
        let t = tunnel("R1-R2", "R1", "R2");
        let series = discover(&[&t], &configs, &|_| true, &|_| true);
        assert_eq!(series.len(), 1, "{series:#?}");
        let (a, b) = (&series[0].a, series[0].b.as_ref().unwrap());
        assert_eq!(a.peer, Some("203.0.113.2".parse().unwrap()));
        assert_eq!(
            (a.tunnel.as_deref(), a.map.as_deref()),
            (Some("Tunnel0"), None)
        );
        // The other end answers with a crypto map: a mixed pair is still one series.
        assert_eq!(b.peer, Some("203.0.113.1".parse().unwrap()));
        assert_eq!((b.tunnel.as_deref(), b.seq.is_some()), (None, true));
        // Unclaimed, a VTI is a series of its own, named by its router and peer.
        let alone = discover(&[], &configs, &|_| true, &|r| r == "R1");
        let names: Vec<&str> = alone.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["R1/203.0.113.2"]);
    }

    #[test]
    fn an_unknown_configuration_still_gives_the_inventory_tunnel() {
        let hub = cfg(HUB);
        let configs: BTreeMap<String, &RunningConfig> =
            [("hub".to_string(), &hub)].into_iter().collect();
        let t2 = tunnel("hub-s2", "hub", "s2");
        let series = discover(&[&t2], &configs, &|_| true, &|r| r == "s2");
        assert_eq!(series.len(), 1);
        assert_eq!(series[0].a.peer, None);
        assert_eq!(series[0].b.as_ref().unwrap().peer, None);
    }
}
