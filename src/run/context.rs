//! The values a playbook's placeholders stand for on each router, and the facts of its tunnel
//! that pick its commands ([`super::facts`]), learned from what the routers showed so far
//! (their configurations) or given by the inventory.

use super::facts::{self, TunnelFacts};
use crate::engine::peer::PeerState;
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

/// What is known of one router so far: its placeholders, and its tunnel's facts once its
/// configuration has been read.
#[derive(Debug, Clone, Default)]
pub struct Learned {
    pub values: Values,
    pub facts: Option<TunnelFacts>,
}

/// The placeholders and facts of `me`, talking to `other`.
pub fn learn(me: &PeerState, other: &PeerState, hints: &Hints) -> Learned {
    let mut v = Values::new();
    let Some(cfg) = me.running_config() else {
        if let Some(p) = hints.peer_address {
            v.insert("peer_address", p.to_string());
        }
        return Learned {
            values: v,
            facts: None,
        };
    };
    let other_cfg = other.running_config();
    let peer = hints
        .peer_address
        .or_else(|| other_cfg.and_then(facts::own_address))
        .or_else(|| facts::configured_peer(cfg));
    let learned = facts::learn(cfg, peer);
    let own = learned
        .as_ref()
        .and_then(|f| f.local_address)
        .or_else(|| facts::own_address(cfg));
    if let Some(a) = own {
        v.insert("local_address", a.to_string());
    }
    if let Some(p) = peer {
        v.insert("peer_address", p.to_string());
    }
    if let Some(f) = &learned {
        if let Some(p) = &f.protected {
            v.insert("local_protected_host", p.local.to_string());
            v.insert("remote_protected_host", p.remote.to_string());
            if let Some(i) = &p.interface {
                v.insert("local_protected_interface", i.clone());
            }
        }
        if let Some(t) = &f.tunnel_interface {
            v.insert("tunnel_interface", t.clone());
        }
        if let Some(own) = f.tunnel_address {
            v.insert("local_tunnel_address", own.addr.to_string());
            // The far router's own tunnel address when its configuration is known, else the
            // other end of a point-to-point tunnel subnet.
            let far = other_cfg
                .and_then(|o| facts::learn(o, own_address_or(f, cfg)))
                .and_then(|o| o.tunnel_address)
                .map(|a| a.addr)
                .filter(|a| *a != own.addr)
                .or_else(|| facts::far_tunnel_address(own));
            if let Some(far) = far {
                v.insert("remote_tunnel_address", far.to_string());
            }
        }
    }
    Learned {
        values: v,
        facts: learned,
    }
}

fn own_address_or(f: &TunnelFacts, cfg: &crate::ios::RunningConfig) -> Option<Ipv4Addr> {
    f.local_address.or_else(|| facts::own_address(cfg))
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

    fn state(name: &str, config: &str) -> PeerState {
        let mut p = PeerState::new(name, true);
        p.command_output("x", 1, "show running-config", config);
        p
    }

    #[test]
    fn a_vti_pair_learns_its_tunnel_placeholders() {
        let a = state(
            "R1",
            include_str!("../../docker/scenarios/ikev2-vti-healthy/r1.cfg"),
        );
        let b = state(
            "R2",
            include_str!("../../docker/scenarios/ikev2-vti-healthy/r2.cfg"),
        );
        let l = learn(&a, &b, &Hints::default());
        let get = |k: &str| l.values.get(k).map(String::as_str);
        assert_eq!(get("peer_address"), Some("203.0.113.2"));
        assert_eq!(get("local_address"), Some("203.0.113.1"));
        assert_eq!(get("tunnel_interface"), Some("Tunnel0"));
        assert_eq!(get("local_tunnel_address"), Some("10.255.0.1"));
        assert_eq!(get("remote_tunnel_address"), Some("10.255.0.2"));
        assert_eq!(get("remote_protected_host"), Some("192.168.102.1"));
        assert_eq!(
            get("local_protected_interface"),
            Some("GigabitEthernet0/0/1")
        );
        let f = l.facts.unwrap();
        assert_eq!(f.ike, crate::playbook::Ike::V2);
        // Before any configuration is read, only the inventory's word is known.
        let none = learn(
            &PeerState::new("R1", true),
            &b,
            &Hints {
                peer_address: Some("203.0.113.2".parse().unwrap()),
            },
        );
        assert!(none.facts.is_none());
        assert_eq!(none.values.len(), 1);
    }

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
        let v = learn(&a, &b, &Hints::default()).values;
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
