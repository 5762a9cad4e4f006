//! What the crypto and network `show` commands print, from the configs and the SA state, in
//! IOS's layout (each output parses with `crate::engine::parse::show` with nothing left over).

use super::net::{Net, P1Sa, P2Sa};
use super::v2::state::IkeSa;
use crate::ios::Wildcard;
use crate::ios::model::{AuthMethod, Encryption, Hash, IsakmpPolicy, RunningConfig};
use crate::lab::clock::{LabTime, LogFormat};
use std::net::Ipv4Addr;

fn lines(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

pub(super) fn remaining(since: LabTime, now: LabTime, lifetime: u32) -> u64 {
    let used = now.unix_ms.saturating_sub(since.unix_ms) / 1000;
    u64::from(lifetime).saturating_sub(used)
}

pub(super) fn hms(secs: u64) -> String {
    format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
}

/// `show crypto isakmp sa`
pub fn isakmp_sa(p1: &[&P1Sa]) -> Vec<String> {
    let mut out = lines(&[
        "IPv4 Crypto ISAKMP SA",
        "dst             src             state          conn-id status",
    ]);
    for sa in p1 {
        let status = if sa.deleted {
            "ACTIVE (deleted)"
        } else {
            "ACTIVE"
        };
        out.push(format!(
            "{:<15} {:<15} {:<14} {:>7} {status}",
            sa.dst.to_string(),
            sa.src.to_string(),
            sa.state,
            sa.conn
        ));
    }
    out.extend(lines(&["", "IPv6 Crypto ISAKMP SA", ""]));
    out
}

fn short_words(p: &IsakmpPolicy) -> (&'static str, &'static str, &'static str) {
    let enc = match p.encryption {
        Encryption::Des => "des",
        Encryption::TripleDes => "3des",
        _ => "aes",
    };
    let hash = match p.hash {
        Hash::Md5 => "md5",
        Hash::Sha => "sha",
        Hash::Sha256 => "sha256",
        Hash::Sha384 => "sha384",
        Hash::Sha512 => "sha512",
    };
    let auth = match p.auth {
        AuthMethod::PreShare => "psk",
        AuthMethod::RsaSig => "rsig",
        AuthMethod::RsaEncr => "renc",
    };
    (enc, hash, auth)
}

/// The capability letters of a phase 1 SA, shared by `show crypto isakmp sa detail` (`Cap.`)
/// and `show crypto session detail` (`Capabilities:`): `D` when the router runs dead peer
/// detection (`crypto isakmp keepalive`); the lab has no NAT-T (`N`) or other options.
pub fn capabilities(cfg: &RunningConfig) -> &'static str {
    if cfg.isakmp_keepalive.is_some() {
        "D"
    } else {
        ""
    }
}

/// `show crypto isakmp sa detail`: the same SAs as the brief form, in the same order, with
/// the same conn-ids and status. An SA still negotiating shows the policy on the table and no
/// lifetime yet.
pub fn isakmp_sa_detail(
    p1: &[&P1Sa],
    local_of: impl Fn(&P1Sa) -> Ipv4Addr,
    now: LabTime,
    caps: &str,
) -> Vec<String> {
    let mut out = lines(&[
        "Codes: C - IKE configuration mode, D - Dead Peer Detection",
        "       K - Keepalives, N - NAT-traversal",
        "       T - cTCP encapsulation, X - IKE Extended Authentication",
        "       psk - Preshared key, rsig - RSA signature",
        "       renc - RSA encryption",
        "IPv4 Crypto ISAKMP SA",
        "",
        "C-id  Local           Remote          I-VRF  Status Encr Hash   Auth DH Lifetime Cap.",
        "",
    ]);
    for sa in p1 {
        let Some(p) = sa.policy.as_ref().or(sa.proposal.as_ref()) else {
            continue;
        };
        let (enc, hash, auth) = short_words(p);
        let status = if sa.deleted {
            "ACTIVE (deleted)"
        } else {
            "ACTIVE"
        };
        let life = match &sa.policy {
            Some(_) if !sa.deleted => {
                format!(" {}  {caps}", hms(remaining(sa.since, now, sa.lifetime)))
            }
            _ => String::new(),
        };
        out.push(format!(
            "{:<5} {:<15} {:<15}        {status} {enc:<4} {hash:<6} {auth:<4} {:<2}{life}",
            sa.conn,
            local_of(sa).to_string(),
            sa.peer.to_string(),
            p.group
        ));
        if sa.conn == 0 {
            // No keys yet, so no crypto engine connection.
            out.push("       Engine-id:Conn-id =  ???".to_string());
        } else {
            out.push(format!(
                "       Engine-id:Conn-id =  SW:{}",
                sa.conn.saturating_sub(1000)
            ));
        }
        out.push(String::new());
    }
    out.extend(lines(&["IPv6 Crypto ISAKMP SA", ""]));
    out
}

fn encryption_long(e: Encryption) -> &'static str {
    match e {
        Encryption::Des => "DES - Data Encryption Standard (56 bit keys).",
        Encryption::TripleDes => "Three key triple DES",
        Encryption::Aes128 => "AES - Advanced Encryption Standard (128 bit keys).",
        Encryption::Aes192 => "AES - Advanced Encryption Standard (192 bit keys).",
        Encryption::Aes256 => "AES - Advanced Encryption Standard (256 bit keys).",
    }
}

fn hash_long(h: Hash) -> &'static str {
    match h {
        Hash::Md5 => "Message Digest 5",
        Hash::Sha => "Secure Hash Standard",
        Hash::Sha256 => "Secure Hash Standard 2 (256 bit)",
        Hash::Sha384 => "Secure Hash Standard 2 (384 bit)",
        Hash::Sha512 => "Secure Hash Standard 2 (512 bit)",
    }
}

fn auth_long(a: AuthMethod) -> &'static str {
    match a {
        AuthMethod::PreShare => "Pre-Shared Key",
        AuthMethod::RsaSig => "Rivest-Shamir-Adleman Signature",
        AuthMethod::RsaEncr => "Rivest-Shamir-Adleman Encryption",
    }
}

fn group_long(g: u8) -> String {
    let bits = match g {
        1 => "768 bit",
        2 => "1024 bit",
        5 => "1536 bit",
        14 => "2048 bit",
        15 => "3072 bit",
        16 => "4096 bit",
        19 => "256 bit ecp",
        20 => "384 bit ecp",
        21 => "521 bit ecp",
        _ => "2048 bit, 256 bit subgroup",
    };
    format!("#{g} ({bits})")
}

/// The default suites IOS-XE prints (genie's IOS-XE `ShowCryptoIsakmpDefaultPolicy` sample):
/// (priority, encryption, hash, authentication, group).
const XE_DEFAULT_SUITES: &[(u32, Encryption, Hash, AuthMethod, u8)] = &[
    (65507, Encryption::Aes128, Hash::Sha, AuthMethod::RsaSig, 5),
    (
        65508,
        Encryption::Aes128,
        Hash::Sha,
        AuthMethod::PreShare,
        5,
    ),
];

fn xe_default_suites() -> Vec<IsakmpPolicy> {
    XE_DEFAULT_SUITES
        .iter()
        .map(|&(priority, encryption, hash, auth, group)| {
            let mut p = IsakmpPolicy::with_defaults(priority, 0);
            p.encryption = encryption;
            p.hash = hash;
            p.auth = auth;
            p.group = crate::ios::model::DhGroup(group);
            p
        })
        .collect()
}

fn suite_lines(out: &mut Vec<String>, p: &IsakmpPolicy, title: String) {
    out.push(title);
    out.push(format!(
        "\tencryption algorithm:\t{}",
        encryption_long(p.encryption)
    ));
    out.push(format!("\thash algorithm:\t\t{}", hash_long(p.hash)));
    out.push(format!("\tauthentication method:\t{}", auth_long(p.auth)));
    out.push(format!(
        "\tDiffie-Hellman group:\t{}",
        group_long(p.group.0)
    ));
    out.push(format!(
        "\tlifetime:\t\t{} seconds, no volume limit",
        p.lifetime
    ));
}

/// `show crypto isakmp policy`. IOS 15 (as the lab models it) ends with its one default
/// suite; IOS-XE shows its default suites only when no policy is configured, as Cisco's
/// command reference says.
pub fn isakmp_policy(cfg: &RunningConfig, format: LogFormat) -> Vec<String> {
    let mut out = vec![String::new(), "Global IKE policy".to_string()];
    let policies = match format {
        LogFormat::Ios15 => cfg.policies_with_default(),
        LogFormat::IosXe if cfg.isakmp_policies.is_empty() => xe_default_suites(),
        LogFormat::IosXe => cfg.isakmp_policies.clone(),
    };
    for p in policies {
        let title = if p.priority == crate::ios::model::DEFAULT_SUITE_PRIORITY {
            "Default protection suite".to_string()
        } else if p.line == 0 {
            format!("Default protection suite of priority {}", p.priority)
        } else {
            format!("Protection suite of priority {}", p.priority)
        };
        suite_lines(&mut out, &p, title);
    }
    out
}

/// `show crypto isakmp default policy`: the suites a router falls back on with no policy of
/// its own.
pub fn isakmp_default_policy(format: LogFormat) -> Vec<String> {
    let mut out = vec![String::new()];
    match format {
        LogFormat::IosXe => {
            for p in xe_default_suites() {
                let title = format!("Default protection suite of priority {}", p.priority);
                suite_lines(&mut out, &p, title);
            }
        }
        LogFormat::Ios15 => suite_lines(
            &mut out,
            &IsakmpPolicy::default_suite(),
            "Default protection suite".to_string(),
        ),
    }
    out
}

pub(super) fn ident(w: &Wildcard) -> String {
    match w.to_net() {
        Some(n) => format!("{}/{}", n.network(), n.mask()),
        None => format!("{}/{}", w.addr, w.wildcard),
    }
}

/// `esp-aes 256 esp-sha-hmac` (config) → `esp-256-aes esp-sha-hmac` (show output).
pub(crate) fn show_transform(t: &str) -> String {
    t.replace("esp-aes 256", "esp-256-aes")
        .replace("esp-aes 192", "esp-192-aes")
}

pub(super) fn spi_text(spi: u32) -> String {
    format!("0x{spi:08X}({spi})")
}

/// `show crypto session [detail]`: a session per crypto map peer, then one per protected
/// tunnel (IKEv1 or IKEv2; the IKEv2 layout follows ntc-templates' IKEv2 sample).
#[allow(clippy::too_many_arguments)]
pub fn session(
    net: &Net,
    node: usize,
    p1: &[&P1Sa],
    p2: &[&P2Sa],
    v2: &[&IkeSa],
    detail: bool,
    only: Option<Ipv4Addr>,
    now: LabTime,
) -> Vec<String> {
    let n = &net.nodes[node];
    let (cfg_now, routing_now) = (n.cfg(), n.routing());
    let mut out = vec!["Crypto session current status".to_string(), String::new()];
    if detail {
        out.extend(lines(&[
            "Code: C - IKE Configuration mode, D - Dead Peer Detection     ",
            "K - Keepalives, N - NAT-traversal, T - cTCP encapsulation     ",
            "X - IKE Extended Authentication, F - IKE Fragmentation",
            "R - IKE Auto Reconnect, U - IKE Dynamic Route Update",
            "",
        ]));
    }
    for iface in routing_now
        .interfaces
        .iter()
        .filter(|i| i.crypto_map.is_some())
    {
        let entries = cfg_now.crypto_map_on_interface(&iface.name);
        let local = cfg_now
            .ike_source(&iface.name)
            .unwrap_or(Ipv4Addr::UNSPECIFIED);
        let mut peers: Vec<Ipv4Addr> = entries
            .iter()
            .flat_map(|e| e.peers.iter().map(|p| p.addr))
            .collect();
        peers.dedup();
        for peer in peers.into_iter().filter(|p| only.is_none_or(|o| o == *p)) {
            let sas: Vec<&P2Sa> = p2.iter().copied().filter(|s| s.peer == peer).collect();
            let ike = Ike::of(p1, v2, peer);
            header(&mut out, &iface.name, &ike, &sas, peer, detail, now);
            ike.lines(&mut out, local, peer, &cfg_now, detail, now);
            for e in entries.iter().filter(|e| e.has_peer(peer)) {
                let Some(acl) = e.acl.as_deref().and_then(|a| cfg_now.access_list(a)) else {
                    continue;
                };
                for entry in acl.permit_entries() {
                    let flow: Vec<&P2Sa> = sas
                        .iter()
                        .copied()
                        .filter(|s| s.sa.local == entry.src && s.sa.remote == entry.dst)
                        .collect();
                    flow_lines(&mut out, &entry.src, &entry.dst, &flow, detail, now);
                }
            }
            out.push(String::new());
        }
    }
    for (i, t) in cfg_now.tunnels() {
        let Some((peer, _)) = t
            .destination
            .filter(|_| t.protection.is_some() && !i.shutdown)
        else {
            continue;
        };
        if only.is_some_and(|o| o != peer) {
            continue;
        }
        let local = cfg_now
            .tunnel_source_address(t)
            .unwrap_or(Ipv4Addr::UNSPECIFIED);
        let sas: Vec<&P2Sa> = p2
            .iter()
            .copied()
            .filter(|s| s.interface.eq_ignore_ascii_case(&i.name))
            .collect();
        let ike = Ike::of(p1, v2, peer);
        header(&mut out, &i.name, &ike, &sas, peer, detail, now);
        ike.lines(&mut out, local, peer, &cfg_now, detail, now);
        for sel in cfg_now.tunnel_selectors(t) {
            flow_lines(&mut out, &sel.local, &sel.remote, &sas, detail, now);
        }
        out.push(String::new());
    }
    out
}

/// The IKE SA of a session, of either version.
enum Ike<'a> {
    V1(&'a P1Sa),
    V2(&'a IkeSa),
    None,
}

impl<'a> Ike<'a> {
    fn of(p1: &[&'a P1Sa], v2: &[&'a IkeSa], peer: Ipv4Addr) -> Ike<'a> {
        if let Some(sa) = v2.iter().find(|s| s.remote == peer) {
            return Ike::V2(sa);
        }
        p1.iter()
            .find(|s| s.peer == peer)
            .map_or(Ike::None, |sa| Ike::V1(sa))
    }

    fn exists(&self) -> bool {
        !matches!(self, Ike::None)
    }

    fn active(&self) -> bool {
        match self {
            Ike::V1(sa) => sa.state == "QM_IDLE" && !sa.deleted,
            Ike::V2(sa) => sa.status == super::v2::state::IkeStatus::Ready,
            Ike::None => false,
        }
    }

    /// `  IKEv1 SA: …` / `  IKEv2 SA: …` and, in detail, its capabilities.
    fn lines(
        &self,
        out: &mut Vec<String>,
        local: Ipv4Addr,
        peer: Ipv4Addr,
        cfg: &RunningConfig,
        detail: bool,
        now: LabTime,
    ) {
        let active = if self.active() { "Active" } else { "Inactive" };
        match self {
            Ike::V1(sa) => {
                out.push(format!(
                    "  IKEv1 SA: local {local}/500 remote {peer}/500 {active} "
                ));
                if detail {
                    let caps = match capabilities(cfg) {
                        "" => "(none)",
                        c => c,
                    };
                    // Not up yet: no connection and no lifetime (ntc's DOWN-NEGOTIATING sample).
                    let (conn, life) = match &sa.policy {
                        Some(_) if self.active() => {
                            (sa.conn, hms(remaining(sa.since, now, sa.lifetime)))
                        }
                        _ => (0, "0".to_string()),
                    };
                    let caps = if self.active() { caps } else { "(none)" };
                    out.push(format!(
                        "          Capabilities:{caps} connid:{conn} lifetime:{life}"
                    ));
                }
            }
            Ike::V2(sa) => {
                out.push(format!(
                    "  IKEv2 SA: local {local}/500 remote {peer}/500 {active}"
                ));
                if detail {
                    let caps = if sa.dpd.is_some() { "D" } else { "(none)" };
                    let life = hms(remaining(sa.since, now, sa.lifetime));
                    out.push(format!(
                        "          Capabilities:{caps} connid:{} lifetime:{life}",
                        sa.tunnel_id
                    ));
                }
            }
            Ike::None => {}
        }
    }
}

/// A session's interface, status and peer lines.
fn header(
    out: &mut Vec<String>,
    interface: &str,
    ike: &Ike<'_>,
    sas: &[&P2Sa],
    peer: Ipv4Addr,
    detail: bool,
    now: LabTime,
) {
    let status = match (ike.active(), sas.is_empty()) {
        (true, false) => "UP-ACTIVE",
        (true, true) => "UP-IDLE",
        (false, false) => "UP-NO-IKE",
        (false, true) if ike.exists() => "DOWN-NEGOTIATING",
        (false, true) => "DOWN",
    };
    out.push(format!("Interface: {interface}"));
    if detail
        && let Ike::V2(sa) = ike
        && let Some(p) = &sa.profile
    {
        out.push(format!("Profile: {p}"));
    }
    if detail && let Some(sa) = sas.first() {
        let up = now.unix_ms.saturating_sub(sa.since.unix_ms) / 1000;
        out.push(format!("Uptime: {}", hms(up)));
    }
    out.push(format!("Session status: {status:<14}"));
    let session = match ike {
        Ike::V2(sa) => sa.session_id,
        _ => 0,
    };
    if detail {
        out.push(format!("Peer: {peer} port 500 fvrf: (none) ivrf: (none)"));
        out.push(format!("      Phase1_id: {peer}"));
        out.push("      Desc: (none)".into());
        out.push(format!("  Session ID: {session}  "));
    } else {
        out.push(format!("Peer: {peer} port 500 "));
    }
}

/// One `IPSEC FLOW` and the SAs that carry it.
fn flow_lines(
    out: &mut Vec<String>,
    local: &Wildcard,
    remote: &Wildcard,
    flow: &[&P2Sa],
    detail: bool,
    now: LabTime,
) {
    out.push(format!(
        "  IPSEC FLOW: permit ip {} {} ",
        ident(local),
        ident(remote)
    ));
    out.push(format!(
        "        Active SAs: {}, origin: crypto map",
        flow.len() * 2
    ));
    if detail {
        let (dec, enc, kb, left) = flow.first().map_or((0, 0, 0, 0), |s| {
            (
                s.decaps,
                s.encaps,
                s.sa.lifetime_kilobytes,
                remaining(s.since, now, s.sa.lifetime_seconds),
            )
        });
        out.push(format!(
            "        Inbound:  #pkts dec'ed {dec} drop 0 life (KB/Sec) {kb}/{left}"
        ));
        out.push(format!(
            "        Outbound: #pkts enc'ed {enc} drop 0 life (KB/Sec) {kb}/{left}"
        ));
    }
}

/// `show crypto map`
pub fn crypto_map(net: &Net, node: usize, p1: &[&P1Sa]) -> Vec<String> {
    let n = &net.nodes[node];
    let (cfg_now, routing_now) = (n.cfg(), n.routing());
    let cfg = &cfg_now;
    let text = n.router.config.lines();
    let mut out = Vec::new();
    for e in &cfg.crypto_maps {
        out.push(format!(
            "Crypto Map IPv4 \"{}\" {} ipsec-isakmp",
            e.map, e.seq
        ));
        for p in &e.peers {
            out.push(format!("\tPeer = {}", p.addr));
        }
        if let Some(acl) = e.acl.as_deref().and_then(|a| cfg.access_list(a)) {
            out.push(format!("\tExtended IP access list {}", acl.name));
            for entry in &acl.entries {
                if let Some(line) = text.get(entry.line.saturating_sub(1)) {
                    out.push(format!("\t    {}", line.trim()));
                }
            }
        }
        let current = p1
            .iter()
            .find(|s| e.has_peer(s.peer))
            .map(|s| s.peer)
            .or_else(|| e.peers.first().map(|p| p.addr));
        if let Some(c) = current {
            out.push(format!("\tCurrent peer: {c}"));
        }
        let seconds = e
            .lifetime
            .seconds
            .or(cfg.ipsec_lifetime.seconds)
            .unwrap_or(crate::ios::model::DEFAULT_P2_SECONDS);
        let kb = e
            .lifetime
            .kilobytes
            .or(cfg.ipsec_lifetime.kilobytes)
            .unwrap_or(crate::ios::model::DEFAULT_P2_KILOBYTES);
        out.push(format!(
            "\tSecurity association lifetime: {kb} kilobytes/{seconds} seconds"
        ));
        out.push("\tResponder-Only (Y/N): N".into());
        match e.pfs {
            Some(g) => {
                out.push("\tPFS (Y/N): Y".into());
                out.push(format!("\tDH group:  group{g}"));
            }
            None => out.push("\tPFS (Y/N): N".into()),
        }
        out.push("\tMixed-mode : Disabled".into());
        out.push("\tTransform sets={ ".into());
        for name in &e.transform_sets {
            if let Some(ts) = cfg.transform_set(name) {
                out.push(format!(
                    "\t\t{name}:  {{ {}  }} , ",
                    show_transform(&ts.transforms_text())
                ));
            }
        }
        out.push("\t}".into());
        let users: Vec<&str> = routing_now
            .interfaces
            .iter()
            .filter(|i| i.crypto_map.as_deref() == Some(e.map.as_str()))
            .map(|i| i.name.as_str())
            .collect();
        if !users.is_empty() {
            out.push(format!("\tInterfaces using crypto map {}:", e.map));
            for u in users {
                out.push(format!("\t\t{u}"));
            }
        }
        out.push(String::new());
    }
    out
}

/// `show ip interface brief`
pub fn ip_interface_brief(net: &Net, node: usize) -> Vec<String> {
    let n = &net.nodes[node];
    let cfg_now = n.cfg();
    let mut out = vec![
        "Interface              IP-Address      OK? Method Status                Protocol"
            .to_string(),
    ];
    for i in &cfg_now.interfaces {
        let addr = i
            .address
            .map_or("unassigned".to_string(), |a| a.addr.to_string());
        let (status, proto) = super::show_ip::line_state(net, node, i);
        out.push(format!(
            "{:<22} {addr:<15} YES NVRAM  {status:<21} {proto:<8}",
            i.name
        ));
    }
    out
}

/// `show ip route`
pub fn ip_route(net: &Net, node: usize) -> Vec<String> {
    let cfg = &net.nodes[node].routing();
    let mut out = lines(&[
        "Codes: L - local, C - connected, S - static, R - RIP, M - mobile, B - BGP",
        "       D - EIGRP, EX - EIGRP external, O - OSPF, IA - OSPF inter area ",
        "       N1 - OSPF NSSA external type 1, N2 - OSPF NSSA external type 2",
        "       E1 - OSPF external type 1, E2 - OSPF external type 2",
        "       i - IS-IS, su - IS-IS summary, L1 - IS-IS level-1, L2 - IS-IS level-2",
        "       ia - IS-IS inter area, * - candidate default, U - per-user static route",
        "       o - ODR, P - periodic downloaded static route, H - NHRP, l - LISP",
        "       + - replicated route, % - next hop override",
        "",
    ]);
    let default = cfg.routes.iter().find(|r| r.prefix.len == 0);
    match default.and_then(|r| r.next_hop) {
        Some(nh) => out.push(format!("Gateway of last resort is {nh} to network 0.0.0.0")),
        None => out.push("Gateway of last resort is not set".into()),
    }
    out.push(String::new());
    let mut rows: Vec<Route> = Vec::new();
    for r in &cfg.routes {
        if cfg.route_to(r.prefix.network()).is_none() && r.prefix.len > 0 {
            continue;
        }
        let code = if r.prefix.len == 0 { "S*" } else { "S" };
        let via = match (r.next_hop, &r.interface) {
            (Some(nh), _) => format!("[{}/0] via {nh}", r.distance),
            (None, Some(i)) => format!("is directly connected, {i}"),
            (None, None) => continue,
        };
        rows.push(Route {
            net: r.prefix.network(),
            len: r.prefix.len,
            code,
            rest: via,
        });
    }
    // A tunnel's subnet is connected only while its line protocol is up; static routes into
    // it stay listed (the lab forwards into a tunnel that is down, so traffic can start IKE).
    let line_up =
        |i: &&crate::ios::model::Interface| super::show_ip::line_state(net, node, i).1 == "up";
    for i in cfg
        .interfaces
        .iter()
        .filter(|i| !i.shutdown)
        .filter(line_up)
    {
        let Some(a) = i.address else { continue };
        rows.push(Route {
            net: a.network(),
            len: a.len,
            code: "C",
            rest: format!("is directly connected, {}", i.name),
        });
        rows.push(Route {
            net: a.addr,
            len: 32,
            code: "L",
            rest: format!("is directly connected, {}", i.name),
        });
    }
    rows.sort_by_key(|r| (u32::from(r.net), r.len));
    out.extend(route_lines(&rows));
    out
}

/// One row of the routing table.
struct Route {
    net: Ipv4Addr,
    len: u8,
    code: &'static str,
    rest: String,
}

/// The classful network an address belongs to (A /8, B /16, C /24), as IOS groups routes.
fn classful(addr: Ipv4Addr) -> (Ipv4Addr, u8) {
    let len = match addr.octets()[0] {
        0..=127 => 8,
        128..=191 => 16,
        _ => 24,
    };
    let mask = u32::MAX << (32 - u32::from(len));
    (Ipv4Addr::from(u32::from(addr) & mask), len)
}

/// The rows under their classful parents, as IOS 15 and IOS-XE print them: a network that is
/// one route of its natural length stands alone (`S     192.168.102.0/24 [1/0] via …`);
/// otherwise a `… is subnetted` or `… is variably subnetted, N subnets, M masks` line heads
/// its subnets, which are indented further.
fn route_lines(rows: &[Route]) -> Vec<String> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < rows.len() {
        let (parent, natural) = if rows[i].len == 0 {
            (rows[i].net, 0)
        } else {
            classful(rows[i].net)
        };
        let group: Vec<&Route> = rows[i..]
            .iter()
            .take_while(|r| r.len > 0 && natural > 0 && classful(r.net) == (parent, natural))
            .collect();
        let group = if group.is_empty() {
            vec![&rows[i]]
        } else {
            group
        };
        i += group.len();
        let alone = group.len() == 1 && group[0].len == natural;
        if alone {
            let r = group[0];
            out.push(format!("{:<6}{}/{} {}", r.code, r.net, r.len, r.rest));
            continue;
        }
        let mut masks: Vec<u8> = group.iter().map(|r| r.len).collect();
        masks.sort_unstable();
        masks.dedup();
        let n = group.len();
        out.push(match masks.as_slice() {
            [one] => format!("      {parent}/{one} is subnetted, {n} subnets"),
            _ => format!(
                "      {parent}/{natural} is variably subnetted, {n} subnets, {} masks",
                masks.len()
            ),
        });
        for r in group {
            out.push(format!("{:<9}{}/{} {}", r.code, r.net, r.len, r.rest));
        }
    }
    out
}

/// `show udp`
pub fn udp(net: &Net, node: usize) -> Vec<String> {
    let n = &net.nodes[node];
    let routing_now = n.routing();
    let mut out = vec![
        "Proto        Remote      Port      Local       Port  In Out  Stat TTY OutputIF"
            .to_string(),
    ];
    if n.listens_ike() {
        for i in routing_now.interfaces.iter().filter(|i| !i.shutdown) {
            if let Some(a) = i.address {
                out.push(format!(
                    " 17   --listen--            {:<15} 500   0   0  1001011   0",
                    a.addr.to_string()
                ));
            }
        }
        out.push(" 17   --listen--            --any--         4500   0   0  1001011   0".into());
    }
    out.push(" 17   --listen--            --any--         2517   0   0     11   0".into());
    out
}

/// `show crypto isakmp peers`: one block per phase 1 peer (genie's `ShowCryptoIsakmpPeer`
/// sample).
pub fn isakmp_peers(p1: &[&P1Sa], local_of: impl Fn(&P1Sa) -> Ipv4Addr) -> Vec<String> {
    let mut out = Vec::new();
    for sa in p1.iter().filter(|s| !s.deleted) {
        out.push(format!(
            "Peer: {} Port: 500 Local: {}",
            sa.peer,
            local_of(sa)
        ));
        out.push(format!(" Phase1 id: {}", sa.peer));
    }
    out
}

/// `show crypto ipsec transform-set`.
pub fn transform_sets(cfg: &RunningConfig) -> Vec<String> {
    let mut out = Vec::new();
    for ts in &cfg.transform_sets {
        out.push(format!(
            "Transform set {}: {{ {}  }} ",
            ts.name,
            show_transform(&ts.transforms_text())
        ));
        let mode = match ts.mode {
            crate::ios::model::IpsecMode::Tunnel => "Tunnel",
            crate::ios::model::IpsecMode::Transport => "Transport",
        };
        out.push(format!("   will negotiate = {{ {mode},  }}, "));
        out.push(String::new());
    }
    out
}

fn algorithm(transform: &str) -> String {
    let cipher = if transform.contains("esp-aes 256") {
        "AES256"
    } else if transform.contains("esp-aes 192") {
        "AES192"
    } else if transform.contains("esp-aes") {
        "AES"
    } else if transform.contains("esp-3des") {
        "3DES"
    } else {
        "DES"
    };
    let hash = if transform.contains("md5") {
        "MD5"
    } else {
        "SHA"
    };
    format!("{cipher}+{hash}")
}

/// `show crypto engine connections active`: a row per IPsec SA (inbound and outbound each
/// with its own connection id) and per phase 1 SA.
pub fn engine_connections(p1: &[&P1Sa], p2: &[&P2Sa]) -> Vec<String> {
    let mut out = vec![
        "Crypto Engine Connections".to_string(),
        String::new(),
        "   ID  Type    Algorithm           Encrypt  Decrypt LastSeqN IP-Address".to_string(),
    ];
    let mut rows: Vec<(u32, String)> = Vec::new();
    for sa in p2 {
        let alg = algorithm(&sa.sa.transform);
        rows.push((
            sa.conn,
            format!(
                "{:>5}  IPsec   {alg:<19} {:>7} {:>8} {:>8} {}",
                sa.conn, 0, sa.decaps, sa.decaps, sa.local_addr
            ),
        ));
        rows.push((
            sa.conn + 1,
            format!(
                "{:>5}  IPsec   {alg:<19} {:>7} {:>8} {:>8} {}",
                sa.conn + 1,
                sa.encaps,
                0,
                sa.encaps,
                sa.local_addr
            ),
        ));
    }
    for sa in p1.iter().filter(|s| s.policy.is_some() && !s.deleted) {
        let Some(p) = &sa.policy else { continue };
        let (enc, hash, _) = short_words(p);
        let alg = format!("{}+{}", hash.to_uppercase(), enc.to_uppercase());
        let local = if sa.dst == sa.peer { sa.src } else { sa.dst };
        rows.push((
            sa.conn,
            format!(
                "{:>5}  IKE     {alg:<19} {:>7} {:>8} {:>8} {local}",
                sa.conn, 0, 0, 0
            ),
        ));
    }
    rows.sort_by_key(|(id, _)| *id);
    out.extend(rows.into_iter().map(|(_, l)| l));
    out.push(String::new());
    out
}
