//! `show ip interface brief`: each interface's address and line/protocol state.

use super::text::{Unparsed, cap_str, caps, keep_unparsed};
use regex::Regex;
use serde::Serialize;
use std::sync::LazyLock;

pub const COMMAND: &str = "show ip interface brief";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InterfaceRow {
    pub line: usize,
    pub interface: String,
    /// `None` for `unassigned`.
    pub ip_address: Option<String>,
    pub ok: bool,
    /// `NVRAM`, `manual`, `DHCP`, `unset`…
    pub method: String,
    /// `up`, `down`, `administratively down`, `deleted`.
    pub status: String,
    pub protocol: String,
}

impl InterfaceRow {
    pub fn is_up(&self) -> bool {
        self.status == "up" && self.protocol == "up"
    }

    /// Shut down in the configuration (`shutdown`), as opposed to failed.
    pub fn admin_down(&self) -> bool {
        self.status == "administratively down"
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct InterfaceBrief {
    pub rows: Vec<InterfaceRow>,
    pub unparsed: Unparsed,
}

impl InterfaceBrief {
    /// The row for an interface, by its full name, ignoring case.
    pub fn get(&self, name: &str) -> Option<&InterfaceRow> {
        self.rows
            .iter()
            .find(|r| r.interface.eq_ignore_ascii_case(name))
    }

    /// The row carrying this address.
    pub fn with_address(&self, addr: &str) -> Option<&InterfaceRow> {
        self.rows
            .iter()
            .find(|r| r.ip_address.as_deref() == Some(addr))
    }
}

// `Interface              IP-Address      OK? Method Status                Protocol`
static HEADER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*Interface\s+IP-Address\s+OK\?\s+Method\s+Status\s+Protocol\s*$")
        .expect("header regex")
});
// `GigabitEthernet0/0     203.0.113.1     YES NVRAM  up                    up      `
// `GigabitEthernet0/1     unassigned      YES NVRAM  administratively down down    `
static ROW: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?P<if>\S+)\s+(?P<ip>\S+)\s+(?P<ok>YES|NO)\s+(?P<method>\S+)\s+(?P<status>administratively down|\S+)\s+(?P<proto>\S+)\s*$")
        .expect("row regex")
});

/// Parses `show ip interface brief`.
pub fn parse(text: &str) -> InterfaceBrief {
    let mut out = InterfaceBrief::default();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() || HEADER.is_match(line) {
            continue;
        }
        let Some(c) = caps(&ROW, line) else {
            keep_unparsed(&mut out.unparsed, n, line);
            continue;
        };
        let ip = cap_str(&c, "ip").filter(|ip| ip != "unassigned");
        out.rows.push(InterfaceRow {
            line: n,
            interface: cap_str(&c, "if").unwrap_or_default(),
            ip_address: ip,
            ok: c.name("ok").is_some_and(|m| m.as_str() == "YES"),
            method: cap_str(&c, "method").unwrap_or_default(),
            status: cap_str(&c, "status").unwrap_or_default(),
            protocol: cap_str(&c, "proto").unwrap_or_default(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "\
Interface              IP-Address      OK? Method Status                Protocol
FastEthernet0/0        10.1.1.1        YES NVRAM  up                    up
FastEthernet0/1        unassigned      YES NVRAM  administratively down down
Tunnel0                172.16.0.1      YES manual up                    down
";

    #[test]
    fn rows() {
        let b = parse(SAMPLE);
        assert!(b.unparsed.is_empty(), "{:?}", b.unparsed);
        assert!(b.get("fastethernet0/0").is_some_and(InterfaceRow::is_up));
        let f1 = &b.rows[1];
        assert!(f1.admin_down() && f1.ip_address.is_none() && f1.ok);
        assert_eq!(f1.protocol, "down");
        assert_eq!(b.with_address("172.16.0.1").map(|r| r.line), Some(3));
        assert!(!b.rows[2].is_up());
    }

    #[test]
    fn empty_output() {
        let b = parse("");
        assert!(b.rows.is_empty() && b.unparsed.is_empty());
    }

    #[test]
    fn garbage_lines_are_reported() {
        let b = parse("  FastEthernet0/0  10.1.1.1 YES NVRAM up up\nblah\n");
        assert_eq!(b.unparsed.len(), 2);
    }
}
