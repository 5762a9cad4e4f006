//! `show crypto ikev2 sa [detailed]`: the IKEv2 SA table.
//!
//! IOS-XE prints an IPv4 row on one line (`1  66.66.66.1/500  66.66.66.2/500  none/none
//! READY`) and an IPv6 one on three (`Tunnel-id fvrf/ivrf Status`, then `Local …` and
//! `Remote …`); the indented lines under a row describe that SA (`Encr: …`, `Life/Active
//! Time`, and with `detailed` the SPIs, identities and counters). The attributes the engine
//! reads are kept; the other detail lines are recognised and left aside, so only truly
//! unknown lines land in `unparsed`.

use super::isakmp_sa::Family;
use super::text::{Unparsed, cap_num, cap_str, caps, keep_unparsed, split_addr_port};
use regex::Regex;
use serde::Serialize;
use std::sync::LazyLock;

pub const COMMAND: &str = "show crypto ikev2 sa";

/// One IKEv2 SA.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Ikev2SaRow {
    pub line: usize,
    pub family: Option<Family>,
    pub tunnel_id: u64,
    pub local: String,
    pub local_port: Option<u16>,
    pub remote: String,
    pub remote_port: Option<u16>,
    pub fvrf: String,
    pub ivrf: String,
    /// `READY` (negotiated), `IN-NEG` (negotiating), `DELETE` …, as printed.
    pub status: String,
    pub encryption: Option<String>,
    pub keysize: Option<u32>,
    pub prf: Option<String>,
    /// `None` printed for an AEAD cipher is kept as the word.
    pub hash: Option<String>,
    pub dh_group: Option<u32>,
    pub auth_sign: Option<String>,
    pub auth_verify: Option<String>,
    pub lifetime: Option<u64>,
    pub active_time: Option<u64>,
    pub session_id: Option<u64>,
    pub local_spi: Option<String>,
    pub remote_spi: Option<String>,
    pub local_id: Option<String>,
    pub remote_id: Option<String>,
    pub status_description: Option<String>,
    pub initiator: Option<bool>,
}

impl Ikev2SaRow {
    /// The SA is negotiated and in use.
    pub fn is_ready(&self) -> bool {
        self.status.eq_ignore_ascii_case("READY")
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Ikev2Sa {
    pub rows: Vec<Ikev2SaRow>,
    pub unparsed: Unparsed,
}

impl Ikev2Sa {
    /// The SAs with `peer` at the far end.
    pub fn rows_with(&self, peer: &str) -> impl Iterator<Item = &Ikev2SaRow> {
        self.rows.iter().filter(move |r| r.remote == peer)
    }
}

static SECTION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*IPv(?P<v>[46]) Crypto IKEv2\s+SA\s*$").expect("section regex")
});
static HEADER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*Tunnel-id\s+(?:Local\s+Remote\s+)?fvrf/ivrf\s+Status\s*$").expect("header")
});
// `1         66.66.66.1/500        66.66.66.2/500        none/none            READY`
static ROW: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^\s*(?P<id>\d+)\s+(?P<l>\S+/\d+)\s+(?P<r>\S+/\d+)\s+(?P<f>[^/\s]+)/(?P<i>\S+)\s+(?P<s>[A-Z][A-Z-]*)\s*$",
    )
    .expect("row")
});
// `1          none/none             READY` (IPv6: the addresses follow on their own lines)
static SHORT_ROW: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*(?P<id>\d+)\s+(?P<f>[^/\s]+)/(?P<i>\S+)\s+(?P<s>[A-Z][A-Z-]*)\s*$")
        .expect("short row")
});
static ADDRESS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*(?P<w>Local|Remote)\s+(?P<a>\S+/\d+)\s*$").expect("address"));
// `Encr: AES-CBC, keysize: 128, PRF: SHA1, Hash: SHA96, DH Grp:16, Auth sign: PSK, Auth verify: PSK`
static ENCR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^\s*Encr: (?P<e>[^,]+)(?:, keysize: (?P<k>\d+))?, PRF: (?P<p>[^,]+), Hash: (?P<h>[^,]+), DH Grp:\s*(?P<g>\d+), Auth sign: (?P<as>[^,]+), Auth verify: (?P<av>[^,]+?)(?:,.*)?\s*$",
    )
    .expect("encr")
});
static LIFE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*Life/Active Time: (?P<l>\d+)/(?P<a>\d+) sec").expect("life"));
static SESSION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*CE id: \d+, Session-id: (?P<s>\d+)").expect("session"));
static SPI: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*Local spi: (?P<l>[0-9A-Fa-f]+)\s+Remote spi: (?P<r>[0-9A-Fa-f]+)")
        .expect("spi")
});
static FIELD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^\s*(?P<k>Local id|Remote id|Status Description|Initiator of SA)\s*: (?P<v>.*?)\s*$",
    )
    .expect("field")
});

/// Detail lines recognised and not modelled: counters, DPD, NAT-T, the pushed address, the
/// remote subnets (the lines after `Remote subnets:` are address/mask pairs).
const KNOWN: &[&str] = &[
    "Local req msg id:",
    "Local next msg id:",
    "Local req queued:",
    "Local window:",
    "Local Sys Id:",
    "DPD configured",
    "DPD not configured",
    "Fragmentation",
    "Dynamic Route Update:",
    "Extended Authentication",
    "NAT-T is",
    "Cisco Trust Security SGT",
    "Remote subnets:",
    "Pushed IP address:",
    "PEER TYPE:",
    "PQC Key Exchange:",
    "Quantum-",
    "Quantum Resistance",
    "Child sa:",
    "IPsec SA",
    "Multi-SA",
];

static SUBNET: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*\d+\.\d+\.\d+\.\d+ \d+\.\d+\.\d+\.\d+\s*$").expect("subnet"));

pub fn parse(text: &str) -> Ikev2Sa {
    let mut out = Ikev2Sa::default();
    let mut family = None;
    for (n, raw) in text.lines().enumerate() {
        if !read_line(&mut out.rows, &mut family, n, raw) {
            keep_unparsed(&mut out.unparsed, n, raw.trim_end());
        }
    }
    out
}

/// Reads one line of the SA table into `rows` (the section header into `family`); false when
/// the line is none of the table's. `show crypto ikev2 session` prints the same table.
pub(super) fn read_line(
    rows: &mut Vec<Ikev2SaRow>,
    family: &mut Option<Family>,
    n: usize,
    raw: &str,
) -> bool {
    let line = raw.trim_end();
    if line.trim().is_empty() || HEADER.is_match(line) {
        return true;
    }
    if let Some(c) = caps(&SECTION, line) {
        *family = Some(if &c["v"] == "4" {
            Family::Ipv4
        } else {
            Family::Ipv6
        });
        return true;
    }
    if let Some(c) = caps(&ROW, line) {
        let (local, local_port) = split_addr_port(&c["l"]);
        let (remote, remote_port) = split_addr_port(&c["r"]);
        rows.push(Ikev2SaRow {
            line: n,
            family: *family,
            tunnel_id: cap_num(&c, "id").unwrap_or(0),
            local,
            local_port,
            remote,
            remote_port,
            fvrf: c["f"].to_string(),
            ivrf: c["i"].to_string(),
            status: c["s"].to_string(),
            ..Ikev2SaRow::default()
        });
        return true;
    }
    if let Some(c) = caps(&SHORT_ROW, line) {
        rows.push(Ikev2SaRow {
            line: n,
            family: *family,
            tunnel_id: cap_num(&c, "id").unwrap_or(0),
            fvrf: c["f"].to_string(),
            ivrf: c["i"].to_string(),
            status: c["s"].to_string(),
            ..Ikev2SaRow::default()
        });
        return true;
    }
    let Some(row) = rows.last_mut() else {
        return false;
    };
    if let Some(c) = caps(&ADDRESS, line) {
        let (a, p) = split_addr_port(&c["a"]);
        if &c["w"] == "Local" {
            (row.local, row.local_port) = (a, p);
        } else {
            (row.remote, row.remote_port) = (a, p);
        }
    } else if let Some(c) = caps(&ENCR, line) {
        row.encryption = cap_str(&c, "e");
        row.keysize = cap_num(&c, "k");
        row.prf = cap_str(&c, "p");
        row.hash = cap_str(&c, "h");
        row.dh_group = cap_num(&c, "g");
        row.auth_sign = cap_str(&c, "as");
        row.auth_verify = cap_str(&c, "av");
    } else if let Some(c) = caps(&LIFE, line) {
        row.lifetime = cap_num(&c, "l");
        row.active_time = cap_num(&c, "a");
    } else if let Some(c) = caps(&SESSION, line) {
        row.session_id = cap_num(&c, "s");
    } else if let Some(c) = caps(&SPI, line) {
        row.local_spi = cap_str(&c, "l");
        row.remote_spi = cap_str(&c, "r");
    } else if let Some(c) = caps(&FIELD, line) {
        let v = c["v"].to_string();
        match &c["k"] {
            "Local id" => row.local_id = Some(v),
            "Remote id" => row.remote_id = Some(v),
            "Status Description" => row.status_description = Some(v),
            _ => row.initiator = super::text::yes_no(&v),
        }
    } else {
        return KNOWN.iter().any(|k| line.trim_start().starts_with(k)) || SUBNET.is_match(line);
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_and_three_line_rows() {
        let t = " IPv4 Crypto IKEv2  SA \n\nTunnel-id Local                 Remote                fvrf/ivrf            Status \n1         203.0.113.1/500       203.0.113.2/500       none/none            READY  \n      Encr: AES-CBC, keysize: 256, PRF: SHA256, Hash: SHA256, DH Grp:14, Auth sign: PSK, Auth verify: PSK\n      Life/Active Time: 28800/12 sec\n\n IPv6 Crypto IKEv2  SA \n\nTunnel-id    fvrf/ivrf              Status\n2          none/none             IN-NEG\nLocal  2001:DB8:1101::131/500\nRemote  2001:DB8:1201::122/500\n";
        let s = parse(t);
        assert!(s.unparsed.is_empty(), "{:?}", s.unparsed);
        assert_eq!(s.rows.len(), 2);
        let r = &s.rows[0];
        assert!(r.is_ready());
        assert_eq!(
            (r.remote.as_str(), r.remote_port, r.dh_group, r.lifetime),
            ("203.0.113.2", Some(500), Some(14), Some(28800))
        );
        let v6 = &s.rows[1];
        assert_eq!(v6.family, Some(Family::Ipv6));
        assert_eq!(v6.local, "2001:DB8:1101::131");
        assert!(!v6.is_ready());
    }
}
