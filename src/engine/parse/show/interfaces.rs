//! `show interfaces [NAME]`: each interface's state, address and, for a tunnel, its source,
//! destination, transport and the IPsec profile that protects it: what a route-based tunnel's
//! health turns on (a VTI's line protocol is up only while its IPsec SAs are).

use super::text::{Unparsed, cap_str, caps, keep_unparsed};
use regex::Regex;
use serde::Serialize;
use std::sync::LazyLock;

pub const COMMAND: &str = "show interfaces";

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct InterfaceShown {
    pub line: usize,
    pub name: String,
    /// `up`, `down`, `administratively down`.
    pub status: String,
    pub protocol: String,
    pub address: Option<String>,
    pub tunnel_source: Option<String>,
    /// The interface the source address belongs to, when IOS names it.
    pub tunnel_source_interface: Option<String>,
    pub tunnel_destination: Option<String>,
    /// `IPSEC/IP` for a VTI, `GRE/IP` …
    pub tunnel_transport: Option<String>,
    /// `tunnel protection ipsec profile`'s profile.
    pub protection_profile: Option<String>,
}

impl InterfaceShown {
    pub fn is_up(&self) -> bool {
        self.status == "up" && self.protocol == "up"
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Interfaces {
    pub interfaces: Vec<InterfaceShown>,
    pub unparsed: Unparsed,
}

static HEAD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(?P<n>\S+) is (?P<s>up|down|administratively down|deleted), line protocol is (?P<p>\w+)",
    )
    .expect("head")
});
static ADDRESS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s+Internet address is (?P<a>\S+)").expect("address"));
static SOURCE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s+Tunnel source (?P<s>\S+)(?: \((?P<i>[^)]+)\))?(?:, destination (?P<d>\S+))?")
        .expect("source")
});
static TRANSPORT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s+Tunnel protocol/transport (?P<t>\S+)").expect("transport"));
static PROTECTION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"^\s+Tunnel protection via IPSec \(profile "(?P<p>[^"]+)"\)"#).expect("protection")
});
/// Detail lines recognised and not modelled (hardware, queues, rates); counter lines start
/// with a number.
const KNOWN: &[&str] = &[
    "Hardware is",
    "MTU ",
    "reliability ",
    "Encapsulation ",
    "Keepalive ",
    "Tunnel TTL",
    "Tunnel transport MTU",
    "Tunnel transmit bandwidth",
    "Tunnel receive bandwidth",
    "Tunnel linestate",
    "Tunnel Subblocks",
    "Last input",
    "Last clearing",
    "Input queue",
    "Queueing strategy",
    "Output queue",
    "5 minute",
    "30 second",
    "Received ",
    "ARP type",
    "Full Duplex",
    "Full-duplex",
    "Auto-duplex",
    "output flow-control",
    "Description:",
];

pub fn parse(text: &str) -> Interfaces {
    let mut out = Interfaces::default();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim_end();
        if line.trim().is_empty() {
            continue;
        }
        if let Some(c) = caps(&HEAD, line) {
            out.interfaces.push(InterfaceShown {
                line: n,
                name: c["n"].to_string(),
                status: c["s"].to_string(),
                protocol: c["p"].to_string(),
                ..InterfaceShown::default()
            });
            continue;
        }
        let Some(i) = out.interfaces.last_mut() else {
            keep_unparsed(&mut out.unparsed, n, line);
            continue;
        };
        if let Some(c) = caps(&ADDRESS, line) {
            i.address = cap_str(&c, "a");
        } else if let Some(c) = caps(&SOURCE, line) {
            i.tunnel_source = cap_str(&c, "s");
            i.tunnel_source_interface = cap_str(&c, "i");
            i.tunnel_destination = cap_str(&c, "d");
        } else if let Some(c) = caps(&TRANSPORT, line) {
            i.tunnel_transport = cap_str(&c, "t");
        } else if let Some(c) = caps(&PROTECTION, line) {
            i.protection_profile = cap_str(&c, "p");
        } else {
            let t = line.trim_start();
            let counters = t.starts_with(|c: char| c.is_ascii_digit());
            if !counters && !KNOWN.iter().any(|k| t.starts_with(k)) {
                keep_unparsed(&mut out.unparsed, n, line);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_vti_with_its_source_destination_and_profile() {
        // As the lab's IOS-XE model prints it for a VTI whose IPsec SAs are gone.
        let t = "Tunnel0 is up, line protocol is down \n  Hardware is Tunnel\n  Internet address is 10.255.0.1/30\n  MTU 9938 bytes, BW 100 Kbit/sec, DLY 50000 usec, \n     reliability 255/255, txload 1/255, rxload 1/255\n  Encapsulation TUNNEL, loopback not set\n  Keepalive not set\n  Tunnel source 203.0.113.1 (GigabitEthernet0/0/0), destination 203.0.113.20\n  Tunnel protocol/transport IPSEC/IP\n  Tunnel TTL 255\n  Tunnel protection via IPSec (profile \"VTI-PROF\")\n  Last input never, output never, output hang never\n     0 packets input, 0 bytes, 0 no buffer\n     0 output errors, 0 collisions, 0 interface resets\n";
        let s = parse(t);
        assert!(s.unparsed.is_empty(), "{:?}", s.unparsed);
        let i = &s.interfaces[0];
        assert_eq!(
            (i.name.as_str(), i.status.as_str(), i.protocol.as_str()),
            ("Tunnel0", "up", "down")
        );
        assert!(!i.is_up());
        assert_eq!(i.tunnel_destination.as_deref(), Some("203.0.113.20"));
        assert_eq!(
            i.tunnel_source_interface.as_deref(),
            Some("GigabitEthernet0/0/0")
        );
        assert_eq!(i.tunnel_transport.as_deref(), Some("IPSEC/IP"));
        assert_eq!(i.protection_profile.as_deref(), Some("VTI-PROF"));
    }
}
