//! The values a playbook's placeholders stand for on each router, learned from what the
//! routers showed so far (their configurations) or given by the inventory.

use crate::engine::peer::PeerState;
use crate::ios::acl::Action;
use crate::ios::addr::first_host;
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

/// Placeholder name → value for one router.
pub type Values = BTreeMap<&'static str, String>;

/// What the inventory says about one side, when it says anything.
#[derive(Debug, Clone, Default)]
pub struct Hints {
    /// The other router's address as this router reaches it.
    pub peer_address: Option<Ipv4Addr>,
}

/// The placeholders of `me`, talking to `other`.
pub fn values(me: &PeerState, other: &PeerState, hints: &Hints) -> Values {
    let mut v = Values::new();
    let own = me.own_address();
    let peer = hints
        .peer_address
        .map(|a| a.to_string())
        .or_else(|| other.own_address())
        .or_else(|| first_map_peer(me));
    if let Some(a) = &own {
        v.insert("local_address", a.clone());
    }
    if let Some(p) = &peer {
        v.insert("peer_address", p.clone());
    }
    if let Some((local, remote, iface)) = protected(me, peer.as_deref()) {
        v.insert("local_protected_host", local.to_string());
        v.insert("remote_protected_host", remote.to_string());
        if let Some(i) = iface {
            v.insert("local_protected_interface", i);
        }
    }
    v
}

fn first_map_peer(me: &PeerState) -> Option<String> {
    let cfg = me.running_config()?;
    cfg.crypto_maps
        .iter()
        .flat_map(|e| e.peers.iter())
        .next()
        .map(|p| p.addr.to_string())
}

/// A host on each side of the crypto ACL of the entry toward `peer`, and the local interface
/// that owns the local one's network (the source of a test ping).
fn protected(me: &PeerState, peer: Option<&str>) -> Option<(Ipv4Addr, Ipv4Addr, Option<String>)> {
    let cfg = me.running_config()?;
    let peer: Option<Ipv4Addr> = peer.and_then(|p| p.parse().ok());
    let entry = cfg
        .crypto_maps
        .iter()
        .find(|e| peer.is_some_and(|p| e.has_peer(p)))
        .or_else(|| cfg.crypto_maps.first())?;
    let acl = cfg.access_list(entry.acl.as_deref()?)?;
    let first = acl.entries.iter().find(|e| e.action == Action::Permit)?;
    let local = first_host(first.src.addr);
    let remote = first_host(first.dst.addr);
    // Ping from an address the router owns inside the protected network, as engineers do. When
    // the ACL names a network the router has no interface in (itself a clue), ping from its
    // inside interface: the traffic users send, which is what must start the tunnel.
    let outside: Vec<&str> = cfg
        .interfaces
        .iter()
        .filter(|i| i.crypto_map.is_some())
        .map(|i| i.name.as_str())
        .collect();
    let iface = cfg.interface_for(local).or_else(|| {
        cfg.interfaces.iter().find(|i| {
            i.address.is_some()
                && !i.shutdown
                && !outside.contains(&i.name.as_str())
                && !i.name.starts_with("Loopback0")
        })
    });
    let local = iface.and_then(|i| i.address).map_or(local, |a| a.addr);
    Some((local, remote, iface.map(|i| i.name.clone())))
}

/// Fills `{name}` placeholders; the missing ones are returned by name.
pub fn render(command: &str, values: &Values) -> Result<String, Vec<&'static str>> {
    let mut out = String::new();
    let mut missing = Vec::new();
    let mut rest = command;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            out.push_str(&rest[open..]);
            rest = "";
            break;
        };
        let name = &after[..close];
        match crate::playbook::PLACEHOLDERS
            .iter()
            .find(|p| **p == name)
            .and_then(|p| values.get(p).map(|v| (p, v)))
        {
            Some((_, v)) => out.push_str(v),
            None => {
                if let Some(p) = crate::playbook::PLACEHOLDERS.iter().find(|p| **p == name) {
                    missing.push(*p);
                }
            }
        }
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    if missing.is_empty() {
        Ok(out)
    } else {
        Err(missing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_and_names_missing() {
        let mut v = Values::new();
        v.insert("peer_address", "203.0.113.2".into());
        assert_eq!(
            render("ping {peer_address} repeat 3", &v).unwrap(),
            "ping 203.0.113.2 repeat 3"
        );
        assert_eq!(
            render("ping {remote_protected_host}", &v),
            Err(vec!["remote_protected_host"])
        );
        assert_eq!(render("show udp", &v).unwrap(), "show udp");
    }

    #[test]
    fn learns_values_from_configs() {
        let r1 = include_str!("../../docker/scenarios/healthy/r1.cfg");
        let r2 = include_str!("../../docker/scenarios/healthy/r2.cfg");
        let mut a = PeerState::new("R1", true);
        a.command_output("x", 1, "show running-config", r1);
        let mut b = PeerState::new("R2", true);
        b.command_output("x", 1, "show running-config", r2);
        let v = values(&a, &b, &Hints::default());
        assert_eq!(
            v.get("peer_address").map(String::as_str),
            Some("203.0.113.2")
        );
        assert_eq!(
            v.get("local_address").map(String::as_str),
            Some("203.0.113.1")
        );
        assert_eq!(
            v.get("local_protected_host").map(String::as_str),
            Some("192.168.101.1")
        );
        assert_eq!(
            v.get("remote_protected_host").map(String::as_str),
            Some("192.168.102.1")
        );
        assert_eq!(
            v.get("local_protected_interface").map(String::as_str),
            Some("GigabitEthernet1/0")
        );
    }
}
