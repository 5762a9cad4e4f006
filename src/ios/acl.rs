//! Access lists: numbered (`access-list 110 …`) and named (`ip access-list extended VPN`),
//! their entries in the router's order, first-match evaluation, and the mirror-image test that
//! crypto ACLs on two peers must pass.

use super::addr::Wildcard;
use super::lex::{Bad, Tok};
use serde::Serialize;
use std::fmt;
use std::net::Ipv4Addr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Permit,
    Deny,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AclKind {
    Standard,
    Extended,
}

/// The protocol field of an extended entry; `Ip` matches every protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    Ip,
    Icmp,
    Tcp,
    Udp,
    Esp,
    Ahp,
    Gre,
    Other(u8),
}

/// IOS keyword → protocol (numbers that have a keyword are folded into it).
const PROTOCOLS: &[(&str, u8, Protocol)] = &[
    ("ip", 0, Protocol::Ip),
    ("icmp", 1, Protocol::Icmp),
    ("tcp", 6, Protocol::Tcp),
    ("udp", 17, Protocol::Udp),
    ("gre", 47, Protocol::Gre),
    ("esp", 50, Protocol::Esp),
    ("ahp", 51, Protocol::Ahp),
];

impl Protocol {
    pub fn number(self) -> u8 {
        match self {
            Protocol::Other(n) => n,
            p => PROTOCOLS
                .iter()
                .find(|(_, _, q)| *q == p)
                .map_or(0, |(_, n, _)| *n),
        }
    }

    fn parse(word: &str) -> Option<Protocol> {
        if let Some((_, _, p)) = PROTOCOLS.iter().find(|(k, _, _)| *k == word) {
            return Some(*p);
        }
        let n: u8 = word.parse().ok()?;
        Some(
            PROTOCOLS
                .iter()
                .find(|(_, m, _)| *m == n && n != 0)
                .map_or(Protocol::Other(n), |(_, _, p)| *p),
        )
    }

    /// Does an entry written for `self` match a packet of protocol `other`?
    pub fn covers(self, other: Protocol) -> bool {
        self == Protocol::Ip || self == other
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Protocol::Other(n) => write!(f, "{n}"),
            p => {
                let word = PROTOCOLS
                    .iter()
                    .find(|(_, _, q)| q == p)
                    .map_or("ip", |r| r.0);
                f.write_str(word)
            }
        }
    }
}

/// A TCP/UDP port condition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PortMatch {
    Eq(Vec<u16>),
    Neq(u16),
    Lt(u16),
    Gt(u16),
    Range(u16, u16),
}

impl PortMatch {
    pub fn matches(&self, port: u16) -> bool {
        match self {
            PortMatch::Eq(ps) => ps.contains(&port),
            PortMatch::Neq(p) => port != *p,
            PortMatch::Lt(p) => port < *p,
            PortMatch::Gt(p) => port > *p,
            PortMatch::Range(a, b) => (*a..=*b).contains(&port),
        }
    }
}

impl fmt::Display for PortMatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PortMatch::Eq(ps) => {
                f.write_str("eq")?;
                ps.iter().try_for_each(|p| write!(f, " {p}"))
            }
            PortMatch::Neq(p) => write!(f, "neq {p}"),
            PortMatch::Lt(p) => write!(f, "lt {p}"),
            PortMatch::Gt(p) => write!(f, "gt {p}"),
            PortMatch::Range(a, b) => write!(f, "range {a} {b}"),
        }
    }
}

/// Port names IOS accepts in ACLs (and prints instead of the number).
const PORT_NAMES: &[(&str, u16)] = &[
    ("bgp", 179),
    ("domain", 53),
    ("ftp", 21),
    ("ftp-data", 20),
    ("isakmp", 500),
    ("non500-isakmp", 4500),
    ("ntp", 123),
    ("smtp", 25),
    ("snmp", 161),
    ("syslog", 514),
    ("telnet", 23),
    ("tftp", 69),
    ("www", 80),
];

fn parse_port(word: &str) -> Option<u16> {
    word.parse()
        .ok()
        .or_else(|| PORT_NAMES.iter().find(|(k, _)| *k == word).map(|(_, n)| *n))
}

/// Trailing words that change logging or QoS matching, not which addresses match.
const IGNORED_OPTIONS: &[&str] = &["log", "log-input", "established", "fragments"];
/// Options that take one argument we do not model.
const IGNORED_OPTIONS_WITH_ARG: &[&str] = &["dscp", "precedence", "tos", "time-range", "ttl"];

/// One `permit`/`deny` line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AclEntry {
    pub action: Action,
    pub protocol: Protocol,
    pub src: Wildcard,
    pub src_port: Option<PortMatch>,
    pub dst: Wildcard,
    pub dst_port: Option<PortMatch>,
    /// ICMP message type words, kept but not evaluated: a [`Packet`] carries no ICMP type, and
    /// crypto ACLs are written for `ip` in practice.
    pub extra: Vec<String>,
    pub line: usize,
}

impl AclEntry {
    /// Does this entry match a packet with these fields (`None` port: not a TCP/UDP packet
    /// or port unknown, so only port-less entries match)?
    pub fn matches(&self, p: &Packet) -> bool {
        let port_ok = |m: &Option<PortMatch>, port: Option<u16>| match (m, port) {
            (None, _) => true,
            (Some(m), Some(port)) => m.matches(port),
            (Some(_), None) => false,
        };
        self.protocol.covers(p.protocol)
            && self.src.matches(p.src)
            && self.dst.matches(p.dst)
            && port_ok(&self.src_port, p.src_port)
            && port_ok(&self.dst_port, p.dst_port)
    }

    /// The entry the peer needs to protect the same flows: source and destination swapped.
    pub fn mirrored(&self) -> AclEntry {
        AclEntry {
            src: self.dst,
            dst: self.src,
            src_port: self.dst_port.clone(),
            dst_port: self.src_port.clone(),
            ..self.clone()
        }
    }

    /// Same protocol, ranges and ports (line numbers and the written address bits aside).
    pub fn same_selector(&self, other: &AclEntry) -> bool {
        self.protocol == other.protocol
            && self.src.same_range(&other.src)
            && self.dst.same_range(&other.dst)
            && self.src_port == other.src_port
            && self.dst_port == other.dst_port
    }

    /// Every flow `other` selects, `self` selects too.
    pub fn covers(&self, other: &AclEntry) -> bool {
        let ports =
            |mine: &Option<PortMatch>, theirs: &Option<PortMatch>| mine.is_none() || mine == theirs;
        self.protocol.covers(other.protocol)
            && self.src.covers(&other.src)
            && self.dst.covers(&other.dst)
            && ports(&self.src_port, &other.src_port)
            && ports(&self.dst_port, &other.dst_port)
    }
}

impl fmt::Display for AclEntry {
    /// As in `show running-config` under a named list.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let action = match self.action {
            Action::Permit => "permit",
            Action::Deny => "deny",
        };
        write!(f, "{action} {} {}", self.protocol, self.src)?;
        if let Some(p) = &self.src_port {
            write!(f, " {p}")?;
        }
        write!(f, " {}", self.dst)?;
        if let Some(p) = &self.dst_port {
            write!(f, " {p}")?;
        }
        self.extra.iter().try_for_each(|w| write!(f, " {w}"))
    }
}

/// A packet as an ACL sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Packet {
    pub protocol: Protocol,
    pub src: Ipv4Addr,
    pub dst: Ipv4Addr,
    pub src_port: Option<u16>,
    pub dst_port: Option<u16>,
}

impl Packet {
    pub fn new(protocol: Protocol, src: Ipv4Addr, dst: Ipv4Addr) -> Packet {
        Packet {
            protocol,
            src,
            dst,
            src_port: None,
            dst_port: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccessList {
    /// `110` or `VPN-TRAFFIC`: numbered lists are named by their number, as `match address` does.
    pub name: String,
    pub kind: AclKind,
    pub entries: Vec<AclEntry>,
    /// Where the list first appears.
    pub line: usize,
}

impl AccessList {
    /// The first entry matching the packet, if any (IOS stops at the first match).
    pub fn first_match(&self, p: &Packet) -> Option<&AclEntry> {
        self.entries.iter().find(|e| e.matches(p))
    }

    /// The entry that permits the packet; `None` when an entry denies it or none matches
    /// (the implicit `deny any` at the end).
    pub fn permitting_entry(&self, p: &Packet) -> Option<&AclEntry> {
        self.first_match(p).filter(|e| e.action == Action::Permit)
    }

    pub fn permits(&self, protocol: Protocol, src: Ipv4Addr, dst: Ipv4Addr) -> bool {
        self.permitting_entry(&Packet::new(protocol, src, dst))
            .is_some()
    }

    pub fn permit_entries(&self) -> impl Iterator<Item = &AclEntry> {
        self.entries.iter().filter(|e| e.action == Action::Permit)
    }
}

/// Numbered list ranges IOS reserves for standard IPv4 lists (1-99, 1300-1999).
pub fn numbered_kind(number: u32) -> Option<AclKind> {
    match number {
        1..=99 | 1300..=1999 => Some(AclKind::Standard),
        100..=199 | 2000..=2699 => Some(AclKind::Extended),
        _ => None,
    }
}

/// Parses the words of one entry, starting at `permit`/`deny`.
pub(crate) fn parse_entry(toks: &[Tok<'_>], kind: AclKind, line: usize) -> Result<AclEntry, Bad> {
    let mut it = Cursor { toks, i: 0 };
    let first = it.next_or("expected permit or deny")?;
    let action = match first.text {
        "permit" => Action::Permit,
        "deny" => Action::Deny,
        _ => return Err(Bad::new(first.at, "expected permit or deny")),
    };
    if kind == AclKind::Standard {
        let src = parse_address(&mut it, true)?;
        let mut entry = AclEntry {
            action,
            protocol: Protocol::Ip,
            src,
            src_port: None,
            dst: Wildcard::ANY,
            dst_port: None,
            extra: Vec::new(),
            line,
        };
        parse_options(&mut it, &mut entry)?;
        return Ok(entry);
    }
    let p = it.next_or("expected a protocol (ip, icmp, tcp, udp …)")?;
    let protocol = Protocol::parse(p.text)
        .ok_or_else(|| Bad::new(p.at, format!("unknown protocol `{}`", p.text)))?;
    let has_ports = matches!(protocol, Protocol::Tcp | Protocol::Udp);
    let src = parse_address(&mut it, false)?;
    let src_port = if has_ports {
        parse_ports(&mut it)?
    } else {
        None
    };
    let dst = parse_address(&mut it, false)?;
    let dst_port = if has_ports {
        parse_ports(&mut it)?
    } else {
        None
    };
    let mut entry = AclEntry {
        action,
        protocol,
        src,
        src_port,
        dst,
        dst_port,
        extra: Vec::new(),
        line,
    };
    parse_options(&mut it, &mut entry)?;
    Ok(entry)
}

struct Cursor<'t, 'a> {
    toks: &'t [Tok<'a>],
    i: usize,
}

impl<'a> Cursor<'_, 'a> {
    fn peek(&self) -> Option<Tok<'a>> {
        self.toks.get(self.i).copied()
    }

    fn next(&mut self) -> Option<Tok<'a>> {
        let t = self.peek();
        self.i += usize::from(t.is_some());
        t
    }

    fn end(&self) -> usize {
        self.toks.last().map_or(0, |t| t.at + t.text.len())
    }

    fn next_or(&mut self, message: &str) -> Result<Tok<'a>, Bad> {
        let end = self.end();
        self.next().ok_or_else(|| Bad::new(end, message))
    }
}

fn ip(t: Tok<'_>) -> Result<Ipv4Addr, Bad> {
    t.text
        .parse()
        .map_err(|_| Bad::new(t.at, format!("`{}` is not an IPv4 address", t.text)))
}

/// `any` | `host A` | `A W` (the wildcard is optional in standard lists).
fn parse_address(it: &mut Cursor<'_, '_>, standard: bool) -> Result<Wildcard, Bad> {
    let t = it.next_or("expected an address (any, host A, or A wildcard)")?;
    match t.text {
        "any" => Ok(Wildcard::ANY),
        "host" => {
            let a = it.next_or("expected an address after `host`")?;
            Ok(Wildcard::host(ip(a)?))
        }
        "object-group" => Err(Bad::new(t.at, "object-group in ACLs is not modelled")),
        _ => {
            let addr = ip(t)?;
            let wild = match it.peek() {
                Some(w) if w.text.parse::<Ipv4Addr>().is_ok() => {
                    it.next();
                    ip(w)?
                }
                _ if standard => Ipv4Addr::UNSPECIFIED,
                _ => {
                    return Err(Bad::new(
                        it.end(),
                        "expected a wildcard mask after the address",
                    ));
                }
            };
            Ok(Wildcard {
                addr,
                wildcard: wild,
            })
        }
    }
}

fn port(it: &mut Cursor<'_, '_>) -> Result<u16, Bad> {
    let t = it.next_or("expected a port")?;
    parse_port(t.text).ok_or_else(|| Bad::new(t.at, format!("unknown port `{}`", t.text)))
}

fn parse_ports(it: &mut Cursor<'_, '_>) -> Result<Option<PortMatch>, Bad> {
    let Some(op) = it.peek() else { return Ok(None) };
    let m = match op.text {
        "eq" => {
            it.next();
            let mut ports = vec![port(it)?];
            // `eq www 443` lists several ports; the next address word is not a port.
            while let Some(n) = it.peek().and_then(|t| parse_port(t.text)) {
                it.next();
                ports.push(n);
            }
            PortMatch::Eq(ports)
        }
        "neq" => {
            it.next();
            PortMatch::Neq(port(it)?)
        }
        "lt" => {
            it.next();
            PortMatch::Lt(port(it)?)
        }
        "gt" => {
            it.next();
            PortMatch::Gt(port(it)?)
        }
        "range" => {
            it.next();
            let a = port(it)?;
            PortMatch::Range(a, port(it)?)
        }
        _ => return Ok(None),
    };
    Ok(Some(m))
}

fn parse_options(it: &mut Cursor<'_, '_>, entry: &mut AclEntry) -> Result<(), Bad> {
    while let Some(t) = it.next() {
        if IGNORED_OPTIONS.contains(&t.text) {
            continue;
        }
        if IGNORED_OPTIONS_WITH_ARG.contains(&t.text) {
            it.next_or("expected a value")?;
            continue;
        }
        // ICMP entries end with a message type: `echo`, `echo-reply`, `8`, `3 4`.
        if entry.protocol == Protocol::Icmp {
            entry.extra.push(t.text.to_string());
            continue;
        }
        return Err(Bad::new(
            t.at,
            format!("unexpected `{}` in access-list entry", t.text),
        ));
    }
    Ok(())
}

/// Whether two crypto ACLs (one per peer) are mirror images.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MirrorResult {
    pub mirrored: bool,
    /// Permit entries of the first list with no exact mirror in the second.
    pub a_without_mirror: Vec<MirrorGap>,
    /// Permit entries of the second list with no exact mirror in the first.
    pub b_without_mirror: Vec<MirrorGap>,
}

/// An entry without an exact mirror. When `covered_by` is set, the peer's list has a wider
/// mirrored entry: IOS accepts the narrower proposal, so the tunnel still comes up when the
/// narrow side initiates, but not the other way round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MirrorGap {
    pub entry: AclEntry,
    pub covered_by: Option<AclEntry>,
}

/// Compares the permit entries of two peers' crypto ACLs (deny entries only exempt traffic).
pub fn acl_mirror_check(a: &AccessList, b: &AccessList) -> MirrorResult {
    let gaps = |from: &AccessList, to: &AccessList| -> Vec<MirrorGap> {
        from.permit_entries()
            .filter_map(|e| {
                let want = e.mirrored();
                if to.permit_entries().any(|o| o.same_selector(&want)) {
                    return None;
                }
                Some(MirrorGap {
                    entry: e.clone(),
                    covered_by: to.permit_entries().find(|o| o.covers(&want)).cloned(),
                })
            })
            .collect()
    };
    let a_without_mirror = gaps(a, b);
    let b_without_mirror = gaps(b, a);
    MirrorResult {
        mirrored: a_without_mirror.is_empty() && b_without_mirror.is_empty(),
        a_without_mirror,
        b_without_mirror,
    }
}

#[cfg(test)]
mod tests {
    use super::super::lex::Line;
    use super::*;

    fn entry(text: &str, kind: AclKind) -> Result<AclEntry, Bad> {
        let l = Line::new(text);
        parse_entry(&l.tokens(), kind, 1)
    }

    fn ip(s: &str) -> Ipv4Addr {
        s.parse().unwrap()
    }

    fn list(entries: &[&str]) -> AccessList {
        AccessList {
            name: "110".into(),
            kind: AclKind::Extended,
            entries: entries
                .iter()
                .map(|e| entry(e, AclKind::Extended).unwrap())
                .collect(),
            line: 1,
        }
    }

    #[test]
    fn parses_the_usual_forms() {
        let e = entry(
            "permit ip 192.168.101.0 0.0.0.255 192.168.102.0 0.0.0.255",
            AclKind::Extended,
        )
        .unwrap();
        assert_eq!(
            e.to_string(),
            "permit ip 192.168.101.0 0.0.0.255 192.168.102.0 0.0.0.255"
        );
        let e = entry(
            "permit udp host 203.0.113.2 host 203.0.113.1 eq isakmp",
            AclKind::Extended,
        )
        .unwrap();
        assert_eq!(e.dst_port, Some(PortMatch::Eq(vec![500])));
        let e = entry(
            "deny   tcp any range 1000 2000 any eq www 443 log",
            AclKind::Extended,
        )
        .unwrap();
        assert_eq!(e.src_port, Some(PortMatch::Range(1000, 2000)));
        assert_eq!(e.dst_port, Some(PortMatch::Eq(vec![80, 443])));
        let e = entry("permit icmp any any echo-reply", AclKind::Extended).unwrap();
        assert_eq!(e.extra, vec!["echo-reply".to_string()]);
        let e = entry("permit 10.1.1.0 0.0.0.255", AclKind::Standard).unwrap();
        assert!(e.src.matches(ip("10.1.1.9")));
        let e = entry("permit 10.1.1.1", AclKind::Standard).unwrap();
        assert_eq!(e.src, Wildcard::host(ip("10.1.1.1")));
    }

    #[test]
    fn errors_point_at_the_word() {
        let err = entry(
            "permit ip 192.168.101.0 0.0.0.255 192.168.102.x",
            AclKind::Extended,
        )
        .unwrap_err();
        assert_eq!(err.at, "permit ip 192.168.101.0 0.0.0.255 ".len());
        let err = entry("permit ip any", AclKind::Extended).unwrap_err();
        assert!(err.message.contains("address"));
        let err = entry("permit ip any any bogus", AclKind::Extended).unwrap_err();
        assert_eq!(err.at, "permit ip any any ".len());
        assert!(entry("allow ip any any", AclKind::Extended).is_err());
        assert!(entry("permit foo any any", AclKind::Extended).is_err());
        assert!(entry("permit ip 10.0.0.0 any", AclKind::Extended).is_err());
    }

    #[test]
    fn first_match_wins_and_implicit_deny() {
        let acl = list(&[
            "deny ip host 192.168.101.9 any",
            "permit ip 192.168.101.0 0.0.0.255 192.168.102.0 0.0.0.255",
        ]);
        assert!(acl.permits(Protocol::Icmp, ip("192.168.101.5"), ip("192.168.102.5")));
        assert!(!acl.permits(Protocol::Icmp, ip("192.168.101.9"), ip("192.168.102.5")));
        assert!(!acl.permits(Protocol::Icmp, ip("192.168.102.5"), ip("192.168.101.5")));
        let web = list(&["permit tcp any any eq www"]);
        assert!(!web.permits(Protocol::Tcp, ip("1.1.1.1"), ip("2.2.2.2")));
        let mut p = Packet::new(Protocol::Tcp, ip("1.1.1.1"), ip("2.2.2.2"));
        p.dst_port = Some(80);
        assert!(web.permitting_entry(&p).is_some());
    }

    #[test]
    fn mirror_check_names_the_lonely_entry() {
        let r1 = list(&["permit ip 192.168.101.0 0.0.0.255 192.168.102.0 0.0.0.255"]);
        let r2 = list(&["permit ip 192.168.102.0 0.0.0.255 192.168.101.0 0.0.0.255"]);
        assert!(acl_mirror_check(&r1, &r2).mirrored);
        let wide = list(&["permit ip 192.168.102.0 0.0.0.255 192.168.0.0 0.0.255.255"]);
        let m = acl_mirror_check(&r1, &wide);
        assert!(!m.mirrored);
        assert_eq!(m.a_without_mirror.len(), 1);
        assert!(m.a_without_mirror[0].covered_by.is_some());
        assert_eq!(m.b_without_mirror.len(), 1);
        assert!(m.b_without_mirror[0].covered_by.is_none());
        let wrong = list(&["permit ip 192.168.102.0 0.0.0.255 192.168.111.0 0.0.0.255"]);
        let m = acl_mirror_check(&r1, &wrong);
        assert_eq!(m.a_without_mirror[0].entry.line, 1);
        assert!(m.a_without_mirror[0].covered_by.is_none());
    }
}
