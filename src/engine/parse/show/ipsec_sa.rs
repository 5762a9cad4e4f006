//! `show crypto ipsec sa` (and `… detail`): phase 2 SAs per interface and proxy identity.
//!
//! The output is nested: `interface:` → one block per proxy pair (`protected vrf:` or, on 12.2,
//! `local ident`) → counters and endpoints → `inbound esp sas:` … sections → one entry per SPI.
//! Each level keeps the line it started on, so a finding can point at the exact SA.

use super::text::{Unparsed, cap_num, cap_str, caps, caps_if, keep_unparsed, yes_no};
use regex::Regex;
use serde::Serialize;
use std::sync::LazyLock;

pub const COMMAND: &str = "show crypto ipsec sa";

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IpsecSa {
    pub interfaces: Vec<IpsecInterface>,
    pub unparsed: Unparsed,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IpsecInterface {
    pub line: usize,
    pub name: String,
    pub crypto_map_tag: Option<String>,
    pub local_addr: Option<String>,
    pub flows: Vec<IpsecFlow>,
}

/// `(20.20.20.0/255.255.255.0/0/0)`: the proxy identity of one side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ident {
    pub addr: String,
    /// A dotted mask for IPv4, a prefix length for IPv6.
    pub mask: String,
    pub protocol: u32,
    pub port: u32,
}

/// The `#pkts …` and `#send errors` counters. `None`: the line was not in the output.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counters {
    pub encaps: Option<u64>,
    pub encrypt: Option<u64>,
    pub digest: Option<u64>,
    pub decaps: Option<u64>,
    pub decrypt: Option<u64>,
    pub verify: Option<u64>,
    pub compressed: Option<u64>,
    pub decompressed: Option<u64>,
    pub not_compressed: Option<u64>,
    pub compr_failed: Option<u64>,
    pub not_decompressed: Option<u64>,
    pub decompress_failed: Option<u64>,
    pub send_errors: Option<u64>,
    pub recv_errors: Option<u64>,
    /// Counters the `detail` form adds, named as IOS prints them (`no sa (send)`,
    /// `replay failed (rcv)`, …), in output order.
    pub other: Vec<(String, u64)>,
}

/// Picks one counter field.
type Field = fn(&mut Counters) -> &mut Option<u64>;

// IOS's counter names and the field each fills.
const COUNTERS: &[(&str, Field)] = &[
    ("encaps", |c| &mut c.encaps),
    ("encrypt", |c| &mut c.encrypt),
    ("digest", |c| &mut c.digest),
    ("decaps", |c| &mut c.decaps),
    ("decrypt", |c| &mut c.decrypt),
    ("verify", |c| &mut c.verify),
    ("compressed", |c| &mut c.compressed),
    ("decompressed", |c| &mut c.decompressed),
    ("not compressed", |c| &mut c.not_compressed),
    ("compr. failed", |c| &mut c.compr_failed),
    ("not decompressed", |c| &mut c.not_decompressed),
    ("decompress failed", |c| &mut c.decompress_failed),
    ("send errors", |c| &mut c.send_errors),
    ("recv errors", |c| &mut c.recv_errors),
];

impl Counters {
    fn set(&mut self, name: &str, value: u64) {
        match COUNTERS.iter().find(|(n, _)| *n == name) {
            Some((_, field)) => *field(self) = Some(value),
            None => self.other.push((name.to_string(), value)),
        }
    }

    /// A counter of the `other` list by its IOS name.
    pub fn other(&self, name: &str) -> Option<u64> {
        self.other.iter().find(|(n, _)| n == name).map(|(_, v)| *v)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Direction {
    Inbound,
    Outbound,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum SaProtocol {
    Esp,
    Ah,
    Pcp,
}

/// One SA under `inbound esp sas:` and its siblings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SaEntry {
    pub line: usize,
    pub direction: Direction,
    pub protocol: SaProtocol,
    pub spi: u32,
    /// `esp-256-aes esp-sha256-hmac`, without IOS's trailing ` ,`.
    pub transform: Option<String>,
    /// `Tunnel, ` / `Transport UDP-Encaps, `, trimmed of the trailing comma.
    pub in_use_settings: Option<String>,
    pub conn_id: Option<u64>,
    pub flow_id: Option<String>,
    pub sibling_flags: Option<String>,
    pub crypto_map: Option<String>,
    pub remaining_kb: Option<u64>,
    pub remaining_secs: Option<u64>,
    pub iv_size: Option<u32>,
    pub replay_detection: Option<bool>,
    pub replay_window: Option<u32>,
    /// `ACTIVE(ACTIVE)` / `ACTIVE`.
    pub status: Option<String>,
}

/// One proxy-identity block: what is protected, with whom, and its SAs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IpsecFlow {
    pub line: usize,
    pub protected_vrf: Option<String>,
    pub local_ident: Option<Ident>,
    pub remote_ident: Option<Ident>,
    pub current_peer: Option<String>,
    pub peer_port: Option<u16>,
    /// `PERMIT`.
    pub action: Option<String>,
    /// `origin_is_acl,`.
    pub flags: Option<String>,
    pub counters: Counters,
    pub local_endpoint: Option<String>,
    pub remote_endpoint: Option<String>,
    pub plaintext_mtu: Option<u32>,
    pub path_mtu: Option<u32>,
    pub ip_mtu: Option<u32>,
    pub ip_mtu_idb: Option<String>,
    pub current_outbound_spi: Option<u32>,
    pub pfs: Option<bool>,
    /// `none`, `group14`, … as printed.
    pub dh_group: Option<String>,
    pub sas: Vec<SaEntry>,
}

impl IpsecFlow {
    pub fn sas_of(&self, dir: Direction, proto: SaProtocol) -> impl Iterator<Item = &SaEntry> {
        self.sas
            .iter()
            .filter(move |s| s.direction == dir && s.protocol == proto)
    }

    /// Phase 2 is installed: an inbound and an outbound SA exist for this proxy pair.
    pub fn has_sas(&self) -> bool {
        self.sas.iter().any(|s| s.direction == Direction::Inbound)
            && self.sas.iter().any(|s| s.direction == Direction::Outbound)
    }
}

impl IpsecSa {
    pub fn flows(&self) -> impl Iterator<Item = &IpsecFlow> {
        self.interfaces.iter().flat_map(|i| i.flows.iter())
    }
}

// `interface: GigabitEthernet3`
static INTERFACE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*interface: (?P<name>\S+)\s*$").expect("interface regex"));
// `    Crypto map tag: Tunnel1-head-0, local addr 1.2.3.4`
// `    Crypto map tag: VPN, local addr. 10.0.0.1`   (12.2)
static MAP_TAG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*Crypto map tag: (?P<tag>[^,]+)(?:, local addr\.? (?P<addr>\S+))?\s*$")
        .expect("map tag regex")
});
// `   protected vrf: (none)`
static VRF: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*protected vrf: ?(?P<vrf>\S*)\s*$").expect("vrf regex"));
// `   local  ident (addr/mask/prot/port): (1.2.3.4/255.255.255.255/47/0)`
static IDENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*(?P<side>local|remote)\s+ident \(addr/mask/prot/port\): \((?P<addr>[^/]+)/(?P<mask>[^/]+)/(?P<prot>\d+)/(?P<port>\d+)\)\s*$")
        .expect("ident regex")
});
// `   current_peer 2.2.2.2 port 4500`     (12.4 and later)
// `   current_peer: 192.168.1.2:500`      (12.2)
static PEER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*current_peer(?::\s*(?P<old>[0-9.]+):(?P<oldport>\d+)|\s+(?P<addr>\S+)(?: port (?P<port>\d+))?)\s*$")
        .expect("peer regex")
});
// `     PERMIT, flags={origin_is_acl,}`
static ACTION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*(?P<action>PERMIT|DENY|BYPASS), flags=\{(?P<flags>[^}]*)\}\s*$")
        .expect("action regex")
});
// `    #pkts encaps: 4, #pkts encrypt: 4, #pkts digest: 4`
// `    #send errors 0, #recv errors 0`
// `    ##pkts replay failed (rcv): 0`
static COUNTER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^#+(?:pkts )?(?P<name>[^:#]*?):?\s+(?P<n>\d+)$").expect("counter regex")
});
// `     local crypto endpt.: 1.2.3.4, remote crypto endpt.: 2.2.2.2`
static ENDPOINTS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*local crypto endpt\.: (?P<l>[^,\s]+), remote crypto endpt\.: (?P<r>\S+)\s*$")
        .expect("endpoints regex")
});
// `     plaintext mtu 1442, path mtu 1500, ip mtu 1500, ip mtu idb GigabitEthernet8`
// `     path mtu 1500, media mtu 1500`   (12.2)
static MTU_PART: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?P<key>plaintext mtu|path mtu|ip mtu idb|ip mtu|media mtu) (?P<v>\S+)$")
        .expect("mtu regex")
});
// `     current outbound spi: 0x1234ABCD(305441741)`
static OUT_SPI: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*current outbound spi: 0x(?P<hex>[0-9A-Fa-f]+)(?:\(\d+\))?\s*$")
        .expect("outbound spi regex")
});
// `     PFS (Y/N): N, DH group: none`
static PFS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*PFS \(Y/N\): (?P<yn>\S+?)(?:, DH group: (?P<dh>\S+))?\s*$").expect("pfs regex")
});
// `     inbound esp sas:`
static SA_SECTION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*(?P<dir>inbound|outbound) (?P<proto>esp|ah|pcp) sas:\s*$")
        .expect("sa section regex")
});
// `      spi: 0xABCD1234(2882343476)`
static SPI: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*spi: 0x(?P<hex>[0-9A-Fa-f]+)(?:\(\d+\))?\s*$").expect("spi regex")
});
// `        transform: esp-256-aes esp-sha-hmac ,`
static TRANSFORM: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*transform: (?P<t>.*?)\s*,?\s*$").expect("transform regex"));
// `        in use settings ={Transport UDP-Encaps, }`
static IN_USE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*in use settings =\{(?P<s>[^}]*)\}\s*$").expect("in use regex")
});
// `        conn id: 124, flow_id: Onboard VPN:124, sibling_flags 80000000, crypto map: Tunnel1-head-0`
static CONN_PART: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?P<key>conn id|flow_id|sibling_flags|crypto map):? (?P<v>.+)$")
        .expect("conn regex")
});
// `        sa timing: remaining key lifetime (k/sec): (4332650/3205)`
// `        sa timing: remaining key lifetime (sec): (3575)`   (IOS-XE with volume rekey off)
static TIMING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*sa timing: remaining key lifetime \((?:k/sec\): \((?P<kb>\d+)/|sec\): \(?)(?P<secs>\d+)\)?\s*$")
        .expect("timing regex")
});
// `        Kilobyte Volume Rekey has been disabled`
static KB_OFF: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*Kilobyte Volume Rekey has been disabled\s*$").expect("kb regex")
});
// `        IV size: 16 bytes`
static IV: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*IV size: (?P<n>\d+) bytes\s*$").expect("iv regex"));
// `        replay detection support: Y  replay window size: 1024`
static REPLAY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^\s*replay detection support: (?P<yn>[YN])(?:\s+replay window size: (?P<w>\d+))?\s*$",
    )
    .expect("replay regex")
});
// `        Status: ACTIVE(ACTIVE)`
static STATUS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*Status: (?P<s>\S.*?)\s*$").expect("status regex"));

fn ident(c: &regex::Captures<'_>) -> Option<Ident> {
    Some(Ident {
        addr: cap_str(c, "addr")?,
        mask: cap_str(c, "mask")?,
        protocol: cap_num(c, "prot")?,
        port: cap_num(c, "port")?,
    })
}

fn hex_u32(c: &regex::Captures<'_>) -> Option<u32> {
    c.name("hex")
        .and_then(|h| u32::from_str_radix(h.as_str(), 16).ok())
}

/// Parser state: where the next line belongs.
#[derive(Default)]
struct Cursor {
    section: Option<(Direction, SaProtocol)>,
}

impl IpsecSa {
    fn interface(&mut self) -> Option<&mut IpsecInterface> {
        self.interfaces.last_mut()
    }
    fn flow(&mut self) -> Option<&mut IpsecFlow> {
        self.interfaces.last_mut().and_then(|i| i.flows.last_mut())
    }
    fn sa(&mut self) -> Option<&mut SaEntry> {
        self.flow().and_then(|f| f.sas.last_mut())
    }
}

/// Parses `show crypto ipsec sa` or `show crypto ipsec sa detail`.
pub fn parse(text: &str) -> IpsecSa {
    let mut out = IpsecSa::default();
    let mut cur = Cursor::default();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() || !apply(&mut out, &mut cur, n, line) {
            keep_unparsed(&mut out.unparsed, n, line);
        }
    }
    out
}

/// Files one line into the tree; false when it fits nowhere. Each pattern is tried only on
/// lines holding its literal: a line is tried against up to twenty patterns, health parses
/// every router's table twice a cycle, and a substring test is far cheaper than a regex search.
fn apply(out: &mut IpsecSa, cur: &mut Cursor, n: usize, line: &str) -> bool {
    if let Some(c) = caps_if(&INTERFACE, line, "interface: ") {
        out.interfaces.push(IpsecInterface {
            line: n,
            name: cap_str(&c, "name").unwrap_or_default(),
            ..IpsecInterface::default()
        });
        cur.section = None;
        return true;
    }
    if let Some(c) = caps_if(&MAP_TAG, line, "Crypto map tag: ") {
        let Some(i) = out.interface() else {
            return false;
        };
        i.crypto_map_tag = cap_str(&c, "tag");
        i.local_addr = cap_str(&c, "addr");
        return true;
    }
    if let Some(c) = caps_if(&VRF, line, "protected vrf:") {
        let Some(i) = out.interface() else {
            return false;
        };
        i.flows.push(IpsecFlow {
            line: n,
            protected_vrf: cap_str(&c, "vrf"),
            ..IpsecFlow::default()
        });
        cur.section = None;
        return true;
    }
    if let Some(c) = caps_if(&IDENT, line, "ident (addr/mask/prot/port): (") {
        let Some(id) = ident(&c) else { return false };
        let Some(i) = out.interface() else {
            return false;
        };
        let local = c.name("side").is_some_and(|s| s.as_str() == "local");
        // 12.2 prints no `protected vrf:` line: a second local ident opens the next block.
        let open_new = match i.flows.last() {
            None => true,
            Some(f) => local && f.local_ident.is_some(),
        };
        if open_new {
            i.flows.push(IpsecFlow {
                line: n,
                ..IpsecFlow::default()
            });
            cur.section = None;
        }
        let Some(f) = i.flows.last_mut() else {
            return false;
        };
        if local {
            f.local_ident = Some(id);
        } else {
            f.remote_ident = Some(id);
        }
        return true;
    }
    if let Some(c) = caps_if(&SPI, line, "spi: 0x") {
        let (Some((direction, protocol)), Some(spi)) = (cur.section, hex_u32(&c)) else {
            return false;
        };
        let Some(f) = out.flow() else { return false };
        f.sas.push(SaEntry {
            line: n,
            direction,
            protocol,
            spi,
            transform: None,
            in_use_settings: None,
            conn_id: None,
            flow_id: None,
            sibling_flags: None,
            crypto_map: None,
            remaining_kb: None,
            remaining_secs: None,
            iv_size: None,
            replay_detection: None,
            replay_window: None,
            status: None,
        });
        return true;
    }
    if cur.section.is_some() && apply_sa(out, line) {
        return true;
    }
    if let Some(c) = caps_if(&SA_SECTION, line, " sas:") {
        let dir = match c.name("dir").map(|m| m.as_str()) {
            Some("inbound") => Direction::Inbound,
            _ => Direction::Outbound,
        };
        let proto = match c.name("proto").map(|m| m.as_str()) {
            Some("esp") => SaProtocol::Esp,
            Some("ah") => SaProtocol::Ah,
            _ => SaProtocol::Pcp,
        };
        cur.section = Some((dir, proto));
        return out.flow().is_some();
    }
    let Some(f) = out.flow() else { return false };
    apply_flow(f, line)
}

/// Lines of the per-flow header (peer, counters, endpoints, PFS).
fn apply_flow(f: &mut IpsecFlow, line: &str) -> bool {
    if let Some(c) = caps_if(&PEER, line, "current_peer") {
        f.current_peer = cap_str(&c, "addr").or_else(|| cap_str(&c, "old"));
        f.peer_port = cap_num(&c, "port").or_else(|| cap_num(&c, "oldport"));
    } else if let Some(c) = caps_if(&ACTION, line, ", flags={") {
        f.action = cap_str(&c, "action");
        f.flags = cap_str(&c, "flags");
    } else if line.trim_start().starts_with('#') {
        let parts: Vec<_> = line.split(',').map(|p| caps(&COUNTER, p.trim())).collect();
        if parts.iter().any(Option::is_none) {
            return false;
        }
        for c in parts.into_iter().flatten() {
            let (Some(name), Some(v)) = (cap_str(&c, "name"), cap_num(&c, "n")) else {
                return false;
            };
            f.counters.set(&name, v);
        }
    } else if let Some(c) = caps_if(&ENDPOINTS, line, "local crypto endpt.: ") {
        f.local_endpoint = cap_str(&c, "l");
        f.remote_endpoint = cap_str(&c, "r");
    } else if line.contains(" mtu ") || line.trim_start().starts_with("path mtu") {
        let parts: Vec<_> = line.split(',').map(|p| caps(&MTU_PART, p.trim())).collect();
        if parts.iter().any(Option::is_none) {
            return false;
        }
        for c in parts.into_iter().flatten() {
            match c.name("key").map(|m| m.as_str()) {
                Some("plaintext mtu") => f.plaintext_mtu = cap_num(&c, "v"),
                Some("path mtu") => f.path_mtu = cap_num(&c, "v"),
                Some("ip mtu idb") => f.ip_mtu_idb = cap_str(&c, "v"),
                // `media mtu` is 12.2's name for the interface MTU.
                _ => f.ip_mtu = cap_num(&c, "v"),
            }
        }
    } else if let Some(c) = caps_if(&OUT_SPI, line, "current outbound spi: 0x") {
        f.current_outbound_spi = hex_u32(&c);
    } else if let Some(c) = caps_if(&PFS, line, "PFS (Y/N): ") {
        f.pfs = c.name("yn").and_then(|m| yes_no(m.as_str()));
        f.dh_group = cap_str(&c, "dh");
    } else {
        return false;
    }
    true
}

/// Lines under one `spi:`.
fn apply_sa(out: &mut IpsecSa, line: &str) -> bool {
    let Some(sa) = out.sa() else { return false };
    if let Some(c) = caps_if(&TRANSFORM, line, "transform: ") {
        sa.transform = cap_str(&c, "t");
    } else if let Some(c) = caps_if(&IN_USE, line, "in use settings ={") {
        sa.in_use_settings = cap_str(&c, "s").map(|s| s.trim_end_matches(',').trim().to_string());
    } else if line.trim_start().starts_with("conn id:") {
        let parts: Vec<_> = line
            .split(", ")
            .map(|p| caps(&CONN_PART, p.trim()))
            .collect();
        if parts.iter().any(Option::is_none) {
            return false;
        }
        for c in parts.into_iter().flatten() {
            match c.name("key").map(|m| m.as_str()) {
                Some("conn id") => sa.conn_id = cap_num(&c, "v"),
                Some("flow_id") => sa.flow_id = cap_str(&c, "v"),
                Some("sibling_flags") => sa.sibling_flags = cap_str(&c, "v"),
                _ => sa.crypto_map = cap_str(&c, "v"),
            }
        }
    } else if let Some(c) = caps_if(&TIMING, line, "sa timing: remaining key lifetime (") {
        sa.remaining_kb = cap_num(&c, "kb");
        sa.remaining_secs = cap_num(&c, "secs");
    } else if line.contains("Kilobyte Volume Rekey has been disabled") && KB_OFF.is_match(line) {
    } else if let Some(c) = caps_if(&IV, line, "IV size: ") {
        sa.iv_size = cap_num(&c, "n");
    } else if let Some(c) = caps_if(&REPLAY, line, "replay detection support: ") {
        sa.replay_detection = c.name("yn").and_then(|m| yes_no(m.as_str()));
        sa.replay_window = cap_num(&c, "w");
    } else if let Some(c) = caps_if(&STATUS, line, "Status: ") {
        sa.status = cap_str(&c, "s");
    } else {
        return false;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    // IOS 12.4 form: no plaintext mtu, no PFS line, flow_id SW:n.
    const IOS_124: &str = "\
interface: FastEthernet0/0
    Crypto map tag: MYMAP, local addr 10.1.1.1

   protected vrf: (none)
   local  ident (addr/mask/prot/port): (192.168.1.0/255.255.255.0/0/0)
   remote ident (addr/mask/prot/port): (192.168.2.0/255.255.255.0/0/0)
   current_peer 10.1.1.2 port 500
     PERMIT, flags={origin_is_acl,}
    #pkts encaps: 9, #pkts encrypt: 9, #pkts digest: 9
    #pkts decaps: 0, #pkts decrypt: 0, #pkts verify: 0
    #pkts compressed: 0, #pkts decompressed: 0
    #pkts not compressed: 0, #pkts compr. failed: 0
    #pkts not decompressed: 0, #pkts decompress failed: 0
    #send errors 1, #recv errors 0

     local crypto endpt.: 10.1.1.1, remote crypto endpt.: 10.1.1.2
     path mtu 1500, ip mtu 1500, ip mtu idb FastEthernet0/0
     current outbound spi: 0x8D5D6E0B(2371710475)

     inbound esp sas:
      spi: 0x2F1B0A5D(790301277)
        transform: esp-3des esp-sha-hmac ,
        in use settings ={Tunnel, }
        conn id: 2001, flow_id: SW:1, crypto map: MYMAP
        sa timing: remaining key lifetime (k/sec): (4409463/3554)
        IV size: 8 bytes
        replay detection support: Y
        Status: ACTIVE

     inbound ah sas:

     outbound esp sas:
      spi: 0x8D5D6E0B(2371710475)
        transform: esp-3des esp-sha-hmac ,
        in use settings ={Tunnel, }
        conn id: 2002, flow_id: SW:2, crypto map: MYMAP
        sa timing: remaining key lifetime (k/sec): (4409463/3554)
        IV size: 8 bytes
        replay detection support: Y
        Status: ACTIVE

     outbound ah sas:
";

    #[test]
    fn ios_124_block() {
        let sa = parse(IOS_124);
        assert!(sa.unparsed.is_empty(), "{:?}", sa.unparsed);
        let i = &sa.interfaces[0];
        assert_eq!(
            (i.name.as_str(), i.crypto_map_tag.as_deref()),
            ("FastEthernet0/0", Some("MYMAP"))
        );
        let f = &i.flows[0];
        assert_eq!(f.line, 3);
        assert_eq!(
            f.local_ident.as_ref().map(|x| x.addr.as_str()),
            Some("192.168.1.0")
        );
        assert_eq!(
            (f.current_peer.as_deref(), f.peer_port),
            (Some("10.1.1.2"), Some(500))
        );
        assert_eq!((f.counters.encaps, f.counters.decaps), (Some(9), Some(0)));
        assert_eq!(f.counters.send_errors, Some(1));
        assert_eq!(
            (f.path_mtu, f.ip_mtu, f.plaintext_mtu),
            (Some(1500), Some(1500), None)
        );
        assert_eq!(f.current_outbound_spi, Some(0x8D5D6E0B));
        assert_eq!(f.pfs, None);
        assert!(f.has_sas());
        let out: Vec<_> = f.sas_of(Direction::Outbound, SaProtocol::Esp).collect();
        assert_eq!((out[0].spi, out[0].conn_id), (0x8D5D6E0B, Some(2002)));
        assert_eq!(out[0].transform.as_deref(), Some("esp-3des esp-sha-hmac"));
        assert_eq!(out[0].in_use_settings.as_deref(), Some("Tunnel"));
        assert_eq!(
            (out[0].remaining_kb, out[0].remaining_secs),
            (Some(4409463), Some(3554))
        );
    }

    #[test]
    fn ios_122_block_without_vrf_line() {
        let sa = parse(
            "interface: Serial0/0\n\
             \x20   Crypto map tag: VPN, local addr. 10.0.0.1\n\
             \x20  local  ident (addr/mask/prot/port): (10.1.0.0/255.255.0.0/0/0)\n\
             \x20  remote ident (addr/mask/prot/port): (10.2.0.0/255.255.0.0/0/0)\n\
             \x20  current_peer: 10.0.0.2:500\n\
             \x20   #pkts encaps: 4, #pkts encrypt: 4, #pkts digest 4\n\
             \x20    path mtu 1500, media mtu 1500\n\
             \x20  local  ident (addr/mask/prot/port): (10.3.0.0/255.255.0.0/0/0)\n\
             \x20  bogus line\n",
        );
        assert_eq!(sa.interfaces[0].flows.len(), 2);
        let f = &sa.interfaces[0].flows[0];
        assert_eq!(
            (f.current_peer.as_deref(), f.peer_port),
            (Some("10.0.0.2"), Some(500))
        );
        assert_eq!((f.counters.digest, f.ip_mtu), (Some(4), Some(1500)));
        assert_eq!(sa.interfaces[0].local_addr.as_deref(), Some("10.0.0.1"));
        assert_eq!(sa.unparsed, vec![(8, "   bogus line".to_string())]);
    }

    #[test]
    fn empty_output() {
        let sa = parse("");
        assert!(sa.interfaces.is_empty() && sa.unparsed.is_empty());
    }

    #[test]
    fn garbage_and_orphans_are_reported() {
        let sa = parse("      spi: 0xFFFFFFFFFF(1)\n#pkts encaps: 1\nhello\n  Status: ACTIVE\n");
        assert!(sa.interfaces.is_empty());
        assert_eq!(sa.unparsed.len(), 4);
    }
}
