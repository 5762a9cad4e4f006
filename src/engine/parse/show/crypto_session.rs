//! `show crypto session` and `show crypto session detail`: one entry per interface and peer,
//! with its IKE SAs and IPsec flows.
//!
//! On a multipoint interface IOS repeats `Interface:` per peer; a second `Peer:` under one
//! `Interface:` line is still read as a new session of that interface.

use super::text::{Unparsed, cap_num, cap_str, caps_if, is_legend, keep_unparsed, split_addr_port};
use regex::Regex;
use serde::Serialize;
use std::sync::LazyLock;

pub const COMMAND: &str = "show crypto session";
pub const COMMAND_DETAIL: &str = "show crypto session detail";

/// `Session status:` as an enum; the IOS text is kept beside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum SessionStatus {
    /// `UP-ACTIVE`: IKE and IPsec SAs are up.
    UpActive,
    /// `UP-IDLE`: IKE is up, no IPsec SA.
    UpIdle,
    /// `UP-NO-IKE`: IPsec SAs up, the IKE SA gone.
    UpNoIke,
    /// `DOWN-NEGOTIATING`: IKE is being tried, nothing up yet.
    DownNegotiating,
    /// `DOWN`.
    Down,
    Other,
}

const STATUSES: &[(&str, SessionStatus)] = &[
    ("UP-ACTIVE", SessionStatus::UpActive),
    ("UP-IDLE", SessionStatus::UpIdle),
    ("UP-NO-IKE", SessionStatus::UpNoIke),
    ("DOWN-NEGOTIATING", SessionStatus::DownNegotiating),
    ("DOWN", SessionStatus::Down),
];

impl SessionStatus {
    pub fn from_ios(text: &str) -> SessionStatus {
        STATUSES
            .iter()
            .find(|(t, _)| *t == text)
            .map_or(SessionStatus::Other, |(_, s)| *s)
    }
}

/// `IKE SA:` (older IOS, either version), `IKEv1 SA:` or `IKEv2 SA:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum IkeVersion {
    Unspecified,
    V1,
    V2,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IkeSa {
    pub line: usize,
    pub version: IkeVersion,
    /// From the `Session ID:` line printed just above it.
    pub session_id: Option<u64>,
    pub local: String,
    pub local_port: Option<u16>,
    pub remote: Option<String>,
    pub remote_port: Option<u16>,
    /// `Active` / `Inactive`, as printed.
    pub status: Option<String>,
    /// Detail form: `Capabilities:D connid:1042 lifetime:05:50:03`.
    pub capabilities: Option<String>,
    pub conn_id: Option<u64>,
    pub lifetime: Option<String>,
}

impl IkeSa {
    pub fn active(&self) -> bool {
        self.status.as_deref() == Some("Active")
    }
}

/// One side of `Inbound:  #pkts dec'ed 449282 drop 0 life (KB/Sec) 4605665/2949`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FlowCounters {
    pub packets: u64,
    pub dropped: u64,
    /// The KB part: a number, or IOS's `KB Vol Rekey Disabled`.
    pub life_kb: String,
    pub life_secs: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IpsecFlow {
    pub line: usize,
    /// `permit 47 host 11.0.1.2 host 11.0.1.1`.
    pub flow: String,
    pub active_sas: Option<u32>,
    /// `crypto map`.
    pub origin: Option<String>,
    pub inbound: Option<FlowCounters>,
    pub outbound: Option<FlowCounters>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Session {
    pub line: usize,
    pub interface: String,
    pub profile: Option<String>,
    pub uptime: Option<String>,
    pub username: Option<String>,
    pub group: Option<String>,
    pub assigned_address: Option<String>,
    pub status_text: Option<String>,
    pub status: Option<SessionStatus>,
    pub peer: Option<String>,
    pub peer_port: Option<u16>,
    pub peer_line: Option<usize>,
    /// `(none)` is kept as printed.
    pub fvrf: Option<String>,
    pub ivrf: Option<String>,
    pub phase1_id: Option<String>,
    pub desc: Option<String>,
    pub system_ip: Option<String>,
    pub ike_sas: Vec<IkeSa>,
    pub flows: Vec<IpsecFlow>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CryptoSession {
    pub sessions: Vec<Session>,
    pub unparsed: Unparsed,
}

impl CryptoSession {
    pub fn for_peer(&self, peer: &str) -> impl Iterator<Item = &Session> {
        self.sessions
            .iter()
            .filter(move |s| s.peer.as_deref() == Some(peer))
    }
}

// `Crypto session current status`
static TITLE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*Crypto session current status\s*$").expect("title regex"));
// `Interface: Tunnel13`
static INTERFACE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^Interface: (?P<v>\S+)\s*$").expect("interface regex"));
// `Profile: GS-GRE:ISAKMP` / `Uptime: 3d18h` / `Username: cisco` / `Group: easy`
// `Assigned address: 10.3.3.4` / `Session status: UP-ACTIVE     `
static FIELD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(?P<k>Profile|Uptime|Username|Group|Assigned address|Session status): (?P<v>.*?)\s*$",
    )
    .expect("field regex")
});
// `Peer: 11.0.2.1 port 500 fvrf: (none) ivrf: (none)`
static PEER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^Peer: (?P<addr>\S+) port (?P<port>\d+)(?: fvrf: (?P<fvrf>\S+) ivrf: (?P<ivrf>\S+))?\s*$",
    )
    .expect("peer regex")
});
// `      Phase1_id: 11.0.2.1` / `      Desc: this is my peer at 10.1.1.3:500 Green`
static PEER_FIELD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s+(?P<k>Phase1_id|Desc): (?P<v>.*?)\s*$").expect("peer field regex")
});
// `      System IP: 13.13.13.11  Interface: Tu1 `
static SYSTEM_IP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s+System IP: (?P<ip>\S+)(?:\s+Interface: \S+)?\s*$").expect("system ip regex")
});
// `  Session ID: 0  `
static SESSION_ID: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s+Session ID: (?P<id>\d+)\s*$").expect("session id regex"));
// `  IKEv1 SA: local 11.0.2.2/500 remote 11.0.2.1/500 Active `
// `  IKEv2 SA: local 2001:DB8:ACAD:1::1/500`   (remote wrapped to the next line)
static IKE_SA: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s+IKE(?P<v>v[12])? SA: local (?P<local>\S+)(?:\s+remote (?P<remote>\S+)\s+(?P<st>\S+))?\s*$")
        .expect("ike sa regex")
});
// `          remote 2001:DB8:ACAD:1::2/500 Active `
static IKE_REMOTE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s+remote (?P<remote>\S+)\s+(?P<st>\S+)\s*$").expect("ike remote regex")
});
// `          Capabilities:D connid:1042 lifetime:05:50:03`
static IKE_CAPS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s+Capabilities:(?P<cap>\S+) connid:(?P<id>\d+) lifetime:(?P<life>\S+)\s*$")
        .expect("caps regex")
});
// `  IPSEC FLOW: permit 47 host 11.0.1.2 host 11.0.1.1 `
static FLOW: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s+IPSEC FLOW: (?P<f>.*?)\s*$").expect("flow regex"));
// `        Active SAs: 2, origin: crypto map`
static ACTIVE_SAS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s+Active SAs: (?P<n>\d+)(?:, origin: (?P<o>.*?))?\s*$").expect("active regex")
});
// `        Inbound:  #pkts dec'ed 449282 drop 0 life (KB/Sec) KB Vol Rekey Disabled/3060`
// `        Outbound: #pkts enc'ed 4 drop 1 life (KB/Sec) 4605665/2949`
static FLOW_COUNTERS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s+(?P<dir>Inbound|Outbound):\s+#pkts (?:dec|enc)'ed (?P<p>\d+) drop (?P<d>\d+) life \(KB/Sec\) (?P<kb>.+?)/(?P<s>\d+)\s*$")
        .expect("flow counters regex")
});

/// Parses `show crypto session` or `show crypto session detail`.
pub fn parse(text: &str) -> CryptoSession {
    let mut out = CryptoSession::default();
    let mut pending_id: Option<u64> = None;
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty()
            || (line.contains("Crypto session") && TITLE.is_match(line))
            || is_legend(line)
        {
            continue;
        }
        if let Some(c) = caps_if(&INTERFACE, line, "Interface: ") {
            out.sessions.push(Session {
                line: n,
                interface: cap_str(&c, "v").unwrap_or_default(),
                ..Session::default()
            });
            pending_id = None;
            continue;
        }
        let Some(s) = out.sessions.last_mut() else {
            keep_unparsed(&mut out.unparsed, n, line);
            continue;
        };
        if let Some(c) = caps_if(&PEER, line, "Peer: ") {
            if s.peer.is_some() {
                let next = Session {
                    line: n,
                    interface: s.interface.clone(),
                    profile: s.profile.clone(),
                    ..Session::default()
                };
                out.sessions.push(next);
            }
            let Some(s) = out.sessions.last_mut() else {
                continue;
            };
            s.peer = cap_str(&c, "addr");
            s.peer_port = cap_num(&c, "port");
            s.peer_line = Some(n);
            s.fvrf = cap_str(&c, "fvrf");
            s.ivrf = cap_str(&c, "ivrf");
        } else if !apply(s, &mut pending_id, n, line) {
            keep_unparsed(&mut out.unparsed, n, line);
        }
    }
    out
}

fn apply(s: &mut Session, pending_id: &mut Option<u64>, n: usize, line: &str) -> bool {
    if let Some(c) = caps_if(&FIELD, line, ": ") {
        let v = cap_str(&c, "v");
        match c.name("k").map(|m| m.as_str()) {
            Some("Profile") => s.profile = v,
            Some("Uptime") => s.uptime = v,
            Some("Username") => s.username = v,
            Some("Group") => s.group = v,
            Some("Assigned address") => s.assigned_address = v,
            _ => {
                s.status = v.as_deref().map(SessionStatus::from_ios);
                s.status_text = v;
            }
        }
    } else if let Some(c) = caps_if(&PEER_FIELD, line, ": ") {
        match c.name("k").map(|m| m.as_str()) {
            Some("Phase1_id") => s.phase1_id = cap_str(&c, "v"),
            _ => s.desc = cap_str(&c, "v"),
        }
    } else if let Some(c) = caps_if(&SYSTEM_IP, line, "System IP:") {
        s.system_ip = cap_str(&c, "ip");
    } else if let Some(c) = caps_if(&SESSION_ID, line, "Session ID:") {
        *pending_id = cap_num(&c, "id");
    } else if let Some(c) = caps_if(&IKE_SA, line, " SA: local") {
        let (local, local_port) = split_addr_port(c.name("local").map_or("", |m| m.as_str()));
        let remote = c.name("remote").map(|m| split_addr_port(m.as_str()));
        s.ike_sas.push(IkeSa {
            line: n,
            version: match c.name("v").map(|m| m.as_str()) {
                Some("v1") => IkeVersion::V1,
                Some("v2") => IkeVersion::V2,
                _ => IkeVersion::Unspecified,
            },
            session_id: pending_id.take(),
            local,
            local_port,
            remote_port: remote.as_ref().and_then(|r| r.1),
            remote: remote.map(|r| r.0),
            status: cap_str(&c, "st"),
            capabilities: None,
            conn_id: None,
            lifetime: None,
        });
    } else if let Some(c) = caps_if(&IKE_REMOTE, line, "remote ") {
        let Some(sa) = s.ike_sas.last_mut().filter(|sa| sa.remote.is_none()) else {
            return false;
        };
        let (remote, port) = split_addr_port(c.name("remote").map_or("", |m| m.as_str()));
        sa.remote = Some(remote);
        sa.remote_port = port;
        sa.status = cap_str(&c, "st");
    } else if let Some(c) = caps_if(&IKE_CAPS, line, "Capabilities:") {
        let Some(sa) = s.ike_sas.last_mut() else {
            return false;
        };
        sa.capabilities = cap_str(&c, "cap");
        sa.conn_id = cap_num(&c, "id");
        sa.lifetime = cap_str(&c, "life");
    } else if let Some(c) = caps_if(&FLOW, line, "IPSEC FLOW:") {
        s.flows.push(IpsecFlow {
            line: n,
            flow: cap_str(&c, "f").unwrap_or_default(),
            active_sas: None,
            origin: None,
            inbound: None,
            outbound: None,
        });
    } else if let Some(c) = caps_if(&ACTIVE_SAS, line, "Active SAs:") {
        let Some(f) = s.flows.last_mut() else {
            return false;
        };
        f.active_sas = cap_num(&c, "n");
        f.origin = cap_str(&c, "o");
    } else if let Some(c) = caps_if(&FLOW_COUNTERS, line, "#pkts") {
        let Some(f) = s.flows.last_mut() else {
            return false;
        };
        let (Some(packets), Some(dropped)) = (cap_num(&c, "p"), cap_num(&c, "d")) else {
            return false;
        };
        let counters = FlowCounters {
            packets,
            dropped,
            life_kb: cap_str(&c, "kb").unwrap_or_default(),
            life_secs: cap_num(&c, "s"),
        };
        if c.name("dir").is_some_and(|d| d.as_str() == "Inbound") {
            f.inbound = Some(counters);
        } else {
            f.outbound = Some(counters);
        }
    } else {
        return false;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    // IOS 12.4 prints `IKE SA:` with no version; UP-IDLE means IKE up, IPsec not.
    const IOS_124: &str = "\
Crypto session current status

Interface: FastEthernet0/0
Session status: UP-IDLE
Peer: 10.1.1.2 port 500
  IKE SA: local 10.1.1.1/500 remote 10.1.1.2/500 Active
  IPSEC FLOW: permit ip 192.168.1.0/255.255.255.0 192.168.2.0/255.255.255.0
        Active SAs: 0, origin: crypto map

Interface: FastEthernet0/0
Session status: DOWN
Peer: 10.1.1.3 port 500
  IPSEC FLOW: permit ip 192.168.1.0/255.255.255.0 192.168.3.0/255.255.255.0
        Active SAs: 0, origin: crypto map
";

    #[test]
    fn ios_124_sessions() {
        let s = parse(IOS_124);
        assert!(s.unparsed.is_empty(), "{:?}", s.unparsed);
        assert_eq!(s.sessions.len(), 2);
        let a = &s.sessions[0];
        assert_eq!(a.status, Some(SessionStatus::UpIdle));
        assert_eq!(
            (a.peer.as_deref(), a.peer_port),
            (Some("10.1.1.2"), Some(500))
        );
        assert_eq!(a.ike_sas[0].version, IkeVersion::Unspecified);
        assert!(a.ike_sas[0].active());
        assert_eq!(a.flows[0].active_sas, Some(0));
        assert_eq!(s.sessions[1].status, Some(SessionStatus::Down));
        assert_eq!(s.sessions[1].line, 9);
        assert_eq!(s.for_peer("10.1.1.3").count(), 1);
    }

    #[test]
    fn second_peer_under_one_interface_opens_a_session() {
        let s = parse("Interface: Tunnel0\nPeer: 1.1.1.1 port 500\nPeer: 2.2.2.2 port 4500\n");
        assert_eq!(s.sessions.len(), 2);
        assert_eq!(s.sessions[1].interface, "Tunnel0");
        assert_eq!(s.sessions[1].peer_port, Some(4500));
    }

    #[test]
    fn empty_output() {
        let s = parse("");
        assert!(s.sessions.is_empty() && s.unparsed.is_empty());
    }

    #[test]
    fn garbage_lines_are_reported() {
        let s = parse(
            "  Active SAs: 2, origin: crypto map\nInterface: Tu0\n  remote x/1 Active\n~~~\n",
        );
        assert_eq!(s.unparsed.len(), 3);
        assert_eq!(s.unparsed[2], (3, "~~~".to_string()));
    }
}
