//! The IP side of a router in IOS's layout: `show ip route A.B.C.D` (one routing entry),
//! `show interfaces [NAME]` and `show access-lists` with the hit counts the wire counted.

use super::net::Net;
use crate::ios::model::{Interface, RouteVia, RunningConfig};
use crate::ios::tunnel::{Tunnel, TunnelMode, TunnelSource};
use std::net::Ipv4Addr;

/// `show ip route A.B.C.D`: the entry that routes the address, or `% Network not in table`.
///
/// ```text
/// Routing entry for 192.168.102.0/24
///   Known via "static", distance 1, metric 0
///   Routing Descriptor Blocks:
///   * 203.0.113.2
///       Route metric is 0, traffic share count is 1
/// ```
pub fn ip_route_to(net: &Net, node: usize, addr: Ipv4Addr) -> Vec<String> {
    let routing = net.nodes[node].routing();
    let Some(d) = routing.route_to(addr) else {
        return vec!["% Network not in table".to_string()];
    };
    let local = d.prefix.len == 32
        && routing
            .interfaces
            .iter()
            .any(|i| !i.shutdown && i.owns(addr));
    let mut out = vec![format!(
        "Routing entry for {}/{}",
        d.prefix.addr, d.prefix.len
    )];
    match d.via {
        RouteVia::Connected => {
            let (what, prefix_len) = if local {
                ("(connected)", 32)
            } else {
                ("(connected, via interface)", d.prefix.len)
            };
            let _ = prefix_len;
            out.push(format!(
                "  Known via \"connected\", distance 0, metric 0 {what}"
            ));
            out.push("  Routing Descriptor Blocks:".into());
            out.push(format!("  * directly connected, via {}", d.interface));
        }
        RouteVia::Static { line } => {
            let distance = routing
                .routes
                .iter()
                .find(|r| r.line == line)
                .map_or(1, |r| r.distance);
            let default = if d.prefix.len == 0 {
                ", candidate default path"
            } else {
                ""
            };
            out.push(format!(
                "  Known via \"static\", distance {distance}, metric 0{default}"
            ));
            out.push("  Routing Descriptor Blocks:".into());
            if d.next_hop == addr {
                out.push(format!("  * directly connected, via {}", d.interface));
            } else {
                out.push(format!("  * {}", d.next_hop));
            }
        }
    }
    out.push("      Route metric is 0, traffic share count is 1".into());
    out
}

/// A stable MAC per router and interface, in Cisco's dotted form.
fn mac(node: usize, index: usize) -> String {
    format!("ca{:02x}.{:04x}.0000", (node + 1) % 256, index * 8 + 0x0a00)
}

/// An interface's status and line protocol as IOS shows them: a protected tunnel's line
/// protocol is up only while it holds an IPsec SA.
pub fn line_state(net: &Net, node: usize, i: &Interface) -> (&'static str, &'static str) {
    let n = &net.nodes[node];
    if i.shutdown {
        ("administratively down", "down")
    } else if n.link_down.contains(&i.name) {
        ("down", "down")
    } else if i.tunnel.as_ref().is_some_and(|t| t.protection.is_some())
        && !net.tunnel_up(node, &i.name)
    {
        ("up", "down")
    } else {
        ("up", "up")
    }
}

/// The lines a tunnel interface shows where an Ethernet shows its hardware (AWS's IOS VPN
/// troubleshooting guide prints a VTI's `show interfaces`).
fn tunnel_lines(cfg: &RunningConfig, t: &Tunnel) -> Vec<String> {
    let source = match &t.source {
        Some((TunnelSource::Interface(name), _)) => cfg
            .interface_address(name)
            .map_or(name.to_string(), |a| format!("{a} ({name})")),
        Some((TunnelSource::Address(a), _)) => a.to_string(),
        None => "UNKNOWN".to_string(),
    };
    let destination = t
        .destination
        .map_or("UNKNOWN".to_string(), |(d, _)| d.to_string());
    let transport = match t.mode {
        TunnelMode::IpsecIpv4 => "IPSEC/IP",
        _ => "GRE/IP",
    };
    let mut out = vec![
        "  MTU 9938 bytes, BW 100 Kbit/sec, DLY 50000 usec, ".to_string(),
        "     reliability 255/255, txload 1/255, rxload 1/255".to_string(),
        "  Encapsulation TUNNEL, loopback not set".to_string(),
        "  Keepalive not set".to_string(),
        format!("  Tunnel source {source}, destination {destination}"),
        format!("  Tunnel protocol/transport {transport}"),
        "  Tunnel TTL 255".to_string(),
        "  Tunnel transport MTU 1438 bytes".to_string(),
        "  Tunnel transmit bandwidth 8000 (kbps)".to_string(),
        "  Tunnel receive bandwidth 8000 (kbps)".to_string(),
    ];
    if let Some((profile, _)) = &t.protection {
        out.push(format!(
            "  Tunnel protection via IPSec (profile \"{profile}\")"
        ));
    }
    out
}

/// `show interfaces [NAME]`; an unknown name gets IOS's caret from the CLI.
pub fn interfaces(net: &Net, node: usize, only: Option<&str>) -> Vec<String> {
    let n = &net.nodes[node];
    let cfg = n.cfg();
    let mut out = Vec::new();
    for (index, i) in cfg.interfaces.iter().enumerate() {
        if only.is_some_and(|o| !o.eq_ignore_ascii_case(&i.name)) {
            continue;
        }
        let (state, proto) = line_state(net, node, i);
        if let Some(t) = &i.tunnel {
            out.push(format!("{} is {state}, line protocol is {proto} ", i.name));
            out.push("  Hardware is Tunnel".to_string());
            if let Some(d) = &i.description {
                out.push(format!("  Description: {d}"));
            }
            if let Some(a) = i.address {
                out.push(format!("  Internet address is {}/{}", a.addr, a.len));
            }
            out.extend(tunnel_lines(&cfg, t));
            out.extend(
                INTERFACE_BODY
                    .iter()
                    .skip(TUNNEL_SKIPS)
                    .map(|l| l.replace("{packets}", "0").replace("{bytes}", "0")),
            );
            continue;
        }
        let m = mac(node, index);
        out.push(format!("{} is {state}, line protocol is {proto} ", i.name));
        out.push(format!(
            "  Hardware is i82543 (Livengood), address is {m} (bia {m})"
        ));
        if let Some(d) = &i.description {
            out.push(format!("  Description: {d}"));
        }
        if let Some(a) = i.address {
            out.push(format!("  Internet address is {}/{}", a.addr, a.len));
        }
        out.extend(
            INTERFACE_BODY
                .iter()
                .map(|l| l.replace("{packets}", "0").replace("{bytes}", "0")),
        );
    }
    out
}

/// The Ethernet lines of [`INTERFACE_BODY`] a tunnel does not have (MTU to ARP).
const TUNNEL_SKIPS: usize = 7;

const INTERFACE_BODY: &[&str] = &[
    "  MTU 1500 bytes, BW 1000000 Kbit/sec, DLY 10 usec, ",
    "     reliability 255/255, txload 1/255, rxload 1/255",
    "  Encapsulation ARPA, loopback not set",
    "  Keepalive set (10 sec)",
    "  Full Duplex, 1000Mbps, link type is force-up, media type is RJ45",
    "  output flow-control is XON, input flow-control is XON",
    "  ARP type: ARPA, ARP Timeout 04:00:00",
    "  Last input never, output never, output hang never",
    "  Last clearing of \"show interface\" counters never",
    "  Input queue: 0/75/0/0 (size/max/drops/flushes); Total output drops: 0",
    "  Queueing strategy: fifo",
    "  Output queue: 0/40 (size/max)",
    "  5 minute input rate 0 bits/sec, 0 packets/sec",
    "  5 minute output rate 0 bits/sec, 0 packets/sec",
    "     {packets} packets input, {bytes} bytes, 0 no buffer",
    "     Received 0 broadcasts (0 IP multicasts)",
    "     0 runts, 0 giants, 0 throttles",
    "     0 input errors, 0 CRC, 0 frame, 0 overrun, 0 ignored",
    "     0 watchdog, 0 multicast, 0 pause input",
    "     {packets} packets output, {bytes} bytes, 0 underruns",
    "     0 output errors, 0 collisions, 0 interface resets",
    "     0 unknown protocol drops",
    "     0 babbles, 0 late collision, 0 deferred",
    "     0 lost carrier, 0 no carrier, 0 pause output",
    "     0 output buffer failures, 0 output buffers swapped out",
];

/// Whether `name` is one of the router's interfaces (for `show interfaces NAME`).
pub fn has_interface(cfg: &RunningConfig, name: &str) -> bool {
    cfg.interface(name).is_some()
}

/// `show access-lists`: each list with its entries numbered 10, 20, … and, once an entry has
/// matched traffic, `(N matches)`.
///
/// ```text
/// Extended IP access list 101
///     10 permit ip 192.168.101.0 0.0.0.255 192.168.102.0 0.0.0.255 (5 matches)
/// ```
pub fn access_lists(net: &Net, node: usize) -> Vec<String> {
    let n = &net.nodes[node];
    let cfg = n.cfg();
    let text = n.router.config.lines();
    let hits = net.acl_hits(node);
    let mut out = Vec::new();
    for acl in &cfg.access_lists {
        let kind = match acl.kind {
            crate::ios::acl::AclKind::Standard => "Standard",
            crate::ios::acl::AclKind::Extended => "Extended",
        };
        out.push(format!("{kind} IP access list {}", acl.name));
        for (i, e) in acl.entries.iter().enumerate() {
            let Some(raw) = text.get(e.line.saturating_sub(1)) else {
                continue;
            };
            let body = entry_text(raw, &acl.name);
            let matches = hits
                .iter()
                .find(|(name, index, _)| *name == acl.name && *index == i)
                .map_or(String::new(), |(_, _, n)| format!(" ({n} matches)"));
            out.push(format!("    {} {body}{matches}", (i + 1) * 10));
        }
    }
    out
}

/// An entry as `show access-lists` prints it: the config line without `access-list N` or the
/// named list's sequence number.
fn entry_text(raw: &str, name: &str) -> String {
    let line = raw.trim();
    let body = line
        .strip_prefix(&format!("access-list {name} "))
        .unwrap_or(line);
    let body = match body.split_once(' ') {
        Some((seq, rest)) if seq.chars().all(|c| c.is_ascii_digit()) => rest,
        _ => body,
    };
    body.split_whitespace().collect::<Vec<_>>().join(" ")
}
