//! `show udp`: the router's UDP sockets. IKE needs port 500 (and 4500 for NAT-T) open: when
//! no row has local port 500, ISAKMP is not running (no policy, or `no crypto isakmp`).

use super::text::{Unparsed, cap_num, cap_str, caps, keep_unparsed};
use regex::Regex;
use serde::Serialize;
use std::sync::LazyLock;

pub const COMMAND: &str = "show udp";

pub const IKE_PORT: u16 = 500;
pub const NAT_T_PORT: u16 = 4500;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UdpRow {
    pub line: usize,
    /// `17`, or `17(v6)` for an IPv6 socket.
    pub proto: String,
    pub ipv6: bool,
    /// `None` for `--listen--`.
    pub remote: Option<String>,
    pub remote_port: Option<u16>,
    /// An address, `--any--` or `UNKNOWN`, as printed.
    pub local: String,
    pub local_port: u16,
    pub input: u64,
    pub output: u64,
    pub stat: String,
    pub tty: u32,
    pub output_if: Option<String>,
}

impl UdpRow {
    pub fn listening(&self) -> bool {
        self.remote.is_none()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct UdpTable {
    pub rows: Vec<UdpRow>,
    pub unparsed: Unparsed,
}

impl UdpTable {
    /// Some socket is bound to this local port.
    pub fn port_open(&self, port: u16) -> bool {
        self.rows.iter().any(|r| r.local_port == port)
    }

    pub fn ike_listening(&self) -> bool {
        self.port_open(IKE_PORT)
    }

    pub fn nat_t_listening(&self) -> bool {
        self.port_open(NAT_T_PORT)
    }
}

// `Proto        Remote      Port      Local       Port  In Out  Stat TTY OutputIF`
static HEADER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^\s*Proto\s+Remote\s+Port\s+Local\s+Port\s+In\s+Out\s+Stat\s+TTY(?:\s+OutputIF)?\s*$",
    )
    .expect("header regex")
});
// ` 17   --listen--            192.168.1.1       500   0   0  1001011   0`
// ` 17(v6) --listen--          UNKNOWN          4500   0   0  1020011   0`
// ` 17   10.1.1.2           500 10.1.1.1          500   2   2    211   0`
static ROW: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*(?P<proto>\d+(?P<v6>\(v6\))?)\s+(?:--listen--|(?P<raddr>\S+)\s+(?P<rport>\d+))\s+(?P<laddr>\S+)\s+(?P<lport>\d+)\s+(?P<in>\d+)\s+(?P<out>\d+)\s+(?P<stat>[0-9A-Fa-f]+)\s+(?P<tty>\d+)(?:\s+(?P<oif>\S+))?\s*$")
        .expect("row regex")
});

/// Parses `show udp`.
pub fn parse(text: &str) -> UdpTable {
    let mut out = UdpTable::default();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() || HEADER.is_match(line) {
            continue;
        }
        let row = caps(&ROW, line).and_then(|c| {
            Some(UdpRow {
                line: n,
                proto: cap_str(&c, "proto")?,
                ipv6: c.name("v6").is_some(),
                remote: cap_str(&c, "raddr"),
                remote_port: cap_num(&c, "rport"),
                local: cap_str(&c, "laddr")?,
                local_port: cap_num(&c, "lport")?,
                input: cap_num(&c, "in")?,
                output: cap_num(&c, "out")?,
                stat: cap_str(&c, "stat")?,
                tty: cap_num(&c, "tty")?,
                output_if: cap_str(&c, "oif"),
            })
        });
        match row {
            Some(r) => out.rows.push(r),
            None => keep_unparsed(&mut out.unparsed, n, line),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "\
Proto        Remote      Port      Local       Port  In Out  Stat TTY OutputIF
 17   0.0.0.0             0 192.168.1.1        67   0   0  2211   0
 17   --listen--            192.168.1.1       500   0   0  1001011   0
 17(v6) --listen--          UNKNOWN          4500   0   0  1020011   0
 17   10.1.1.2           500 10.1.1.1          500   2   2    211   0
";

    #[test]
    fn ike_ports() {
        let t = parse(SAMPLE);
        assert!(t.unparsed.is_empty(), "{:?}", t.unparsed);
        assert_eq!(t.rows.len(), 4);
        assert!(t.ike_listening() && t.nat_t_listening());
        assert!(t.rows[1].listening() && !t.rows[3].listening());
        assert!(t.rows[2].ipv6);
        assert_eq!(
            (t.rows[3].remote.as_deref(), t.rows[3].remote_port),
            (Some("10.1.1.2"), Some(500))
        );
        assert_eq!(t.rows[0].line, 1);
    }

    #[test]
    fn no_ike_socket() {
        let t = parse(" 17   0.0.0.0             0 192.168.1.1        67   0   0  2211   0\n");
        assert!(!t.ike_listening());
    }

    #[test]
    fn empty_output() {
        let t = parse("");
        assert!(t.rows.is_empty() && t.unparsed.is_empty() && !t.ike_listening());
    }

    #[test]
    fn garbage_lines_are_reported() {
        let t = parse(" 17   --listen--  1.1.1.1  99999  0 0 1 0\nxyz\n");
        assert_eq!(t.unparsed.len(), 2);
    }
}
