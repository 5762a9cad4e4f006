//! `show crypto ipsec sa [peer X] [detail]`: one block per flow, in IOS's layout.
//!
//! IOS lists a flow for every permit entry of the crypto ACL of every crypto map entry on the
//! interface, whether or not an SA exists for it: before the first packet, after a `clear`,
//! and when phase 2 failed, the block is there with its counters at zero, `current outbound
//! spi: 0x0(0)` and empty SA sections (pastebin Uud6mkfz, an IOS 15 router; genie's IOS-XE
//! `ShowCryptoIpsecSa` sample). An SA whose proxies no ACL entry names (a responder that
//! accepted a narrower offer) gets a block of its own, without `origin_is_acl`.

use super::net::{Net, P2Sa};
use super::show::{ident, remaining, show_transform, spi_text};
use crate::ios::Wildcard;
use crate::ios::model::Interface;
use crate::ios::tunnel::Tunnel;
use crate::lab::clock::{LabTime, LogFormat};
use std::net::Ipv4Addr;

/// The error counters `show crypto ipsec sa detail` prints instead of the send/recv totals
/// (ntc-templates' `show crypto ipsec sa detail` sample).
const DETAIL_COUNTERS: &[&str] = &[
    "    #pkts no sa (send) 0, #pkts invalid sa (rcv) 0",
    "    #pkts encaps failed (send) 0, #pkts decaps failed (rcv) 0",
    "    #pkts invalid prot (recv) 0, #pkts verify failed: 0",
    "    #pkts invalid identity (recv) 0, #pkts invalid len (rcv) 0",
    "    #pkts replay rollover (send): 0, #pkts replay rollover (rcv) 0",
    "    ##pkts replay failed (rcv): 0",
    "    #pkts tagged (send): 0, #pkts untagged (rcv): 0",
    "    #pkts not tagged (send): 0, #pkts not untagged (rcv): 0",
    "    #pkts internal err (send): 0, #pkts internal err (recv) 0",
];

/// One flow block: what it protects, toward whom, and its SA pair if one is installed.
struct Flow<'a> {
    protocol: u8,
    local: Wildcard,
    remote: Wildcard,
    peer: Ipv4Addr,
    from_acl: bool,
    sa: Option<&'a P2Sa>,
}

/// The flows of one interface: the crypto ACL entries of its map, in map and ACL order, each
/// with the SA that protects it; then SAs no entry names.
fn flows<'a>(net: &Net, node: usize, iface: &str, p2: &[&'a P2Sa]) -> Vec<Flow<'a>> {
    let cfg = net.nodes[node].cfg();
    let here: Vec<&P2Sa> = p2
        .iter()
        .copied()
        .filter(|s| s.interface.eq_ignore_ascii_case(iface))
        .collect();
    let mut out: Vec<Flow<'a>> = Vec::new();
    for entry in cfg.crypto_map_on_interface(iface) {
        let Some(acl) = entry.acl.as_deref().and_then(|a| cfg.access_list(a)) else {
            continue;
        };
        let Some(first) = entry.peers.first().map(|p| p.addr) else {
            continue;
        };
        for e in acl.permit_entries() {
            let sa = here
                .iter()
                .copied()
                .find(|s| s.sa.local == e.src && s.sa.remote == e.dst && entry.has_peer(s.peer));
            out.push(Flow {
                protocol: e.protocol.number(),
                local: e.src,
                remote: e.dst,
                // IOS names the peer the SA was built with, else the entry's first.
                peer: sa.map_or(first, |s| s.peer),
                from_acl: true,
                sa,
            });
        }
    }
    for s in here {
        if !out.iter().any(|f| f.sa.is_some_and(|x| x.id == s.id)) {
            out.push(Flow {
                protocol: 0,
                local: s.sa.local,
                remote: s.sa.remote,
                peer: s.peer,
                from_acl: false,
                sa: Some(s),
            });
        }
    }
    out
}

pub fn ipsec_sa(
    net: &Net,
    node: usize,
    p2: &[&P2Sa],
    peer: Option<Ipv4Addr>,
    detail: bool,
    now: LabTime,
) -> Vec<String> {
    let format = net.nodes[node].router.log_format();
    let routing = net.nodes[node].routing();
    let cfg = net.nodes[node].cfg();
    let mut out = Vec::new();
    for (i, t) in cfg.tunnels() {
        if i.shutdown || t.protection.is_none() {
            continue;
        }
        vti(net, node, &mut out, (i, t), p2, peer, detail, now);
    }
    for iface in routing.interfaces.iter().filter(|i| i.crypto_map.is_some()) {
        let Some(map) = &iface.crypto_map else {
            continue;
        };
        let local = cfg.ike_source(&iface.name);
        let local_text = local.map_or("0.0.0.0".to_string(), |a| a.to_string());
        out.push(String::new());
        out.push(format!("interface: {}", iface.name));
        out.push(format!(
            "    Crypto map tag: {map}, local addr {local_text}"
        ));
        for flow in flows(net, node, &iface.name, p2)
            .iter()
            .filter(|f| peer.is_none_or(|p| p == f.peer))
        {
            block(
                &mut out,
                flow,
                &iface.name,
                &local_text,
                format,
                detail,
                now,
            );
        }
    }
    out
}

/// A protected tunnel: IOS lists it under its own name with the crypto map it makes for it
/// (`Tunnel0-head-0`), one flow for the tunnel's selectors (any/any for an IPsec VTI), the
/// outside interface as the MTU's (genie's IOS-XE `ShowCryptoIpsecSa` sample).
#[allow(clippy::too_many_arguments)]
fn vti(
    net: &Net,
    node: usize,
    out: &mut Vec<String>,
    (iface, tunnel): (&Interface, &Tunnel),
    p2: &[&P2Sa],
    peer: Option<Ipv4Addr>,
    detail: bool,
    now: LabTime,
) {
    let cfg = net.nodes[node].cfg();
    let Some((dst, _)) = tunnel.destination else {
        return;
    };
    if peer.is_some_and(|p| p != dst) {
        return;
    }
    let local = cfg
        .tunnel_source_address(tunnel)
        .map_or("0.0.0.0".to_string(), |a| a.to_string());
    let outside = net.nodes[node]
        .routing()
        .route_for_tunnel(&iface.name, tunnel)
        .map_or(iface.name.clone(), |r| r.interface);
    let (map, _) = super::exchange::vti_map(&iface.name);
    out.push(String::new());
    out.push(format!("interface: {}", iface.name));
    out.push(format!("    Crypto map tag: {map}, local addr {local}"));
    let sa = p2
        .iter()
        .copied()
        .find(|s| s.interface.eq_ignore_ascii_case(&iface.name));
    for sel in cfg.tunnel_selectors(tunnel) {
        let flow = Flow {
            protocol: sel.protocol.number(),
            local: sel.local,
            remote: sel.remote,
            peer: dst,
            from_acl: true,
            sa,
        };
        let format = net.nodes[node].router.log_format();
        block(out, &flow, &outside, &local, format, detail, now);
    }
}

fn block(
    out: &mut Vec<String>,
    flow: &Flow<'_>,
    iface: &str,
    local: &str,
    format: LogFormat,
    detail: bool,
    now: LabTime,
) {
    let (encaps, decaps) = flow.sa.map_or((0, 0), |s| (s.encaps, s.decaps));
    out.push(String::new());
    out.push("   protected vrf: (none)".into());
    out.push(format!(
        "   local  ident (addr/mask/prot/port): ({}/{}/0)",
        ident(&flow.local),
        flow.protocol
    ));
    out.push(format!(
        "   remote ident (addr/mask/prot/port): ({}/{}/0)",
        ident(&flow.remote),
        flow.protocol
    ));
    out.push(format!("   current_peer {} port 500", flow.peer));
    out.push(if flow.from_acl {
        "     PERMIT, flags={origin_is_acl,}".into()
    } else {
        "     PERMIT, flags={}".into()
    });
    out.push(format!(
        "    #pkts encaps: {encaps}, #pkts encrypt: {encaps}, #pkts digest: {encaps}"
    ));
    out.push(format!(
        "    #pkts decaps: {decaps}, #pkts decrypt: {decaps}, #pkts verify: {decaps}"
    ));
    out.push("    #pkts compressed: 0, #pkts decompressed: 0".into());
    out.push("    #pkts not compressed: 0, #pkts compr. failed: 0".into());
    out.push("    #pkts not decompressed: 0, #pkts decompress failed: 0".into());
    if detail {
        out.extend(DETAIL_COUNTERS.iter().map(|l| l.to_string()));
    } else {
        out.push("    #send errors 0, #recv errors 0".into());
    }
    out.push(String::new());
    out.push(format!(
        "     local crypto endpt.: {local}, remote crypto endpt.: {}",
        flow.peer
    ));
    // The ESP overhead comes off the plaintext MTU only once an SA exists; IOS 15 leaves the
    // plaintext figure out until then, IOS-XE prints the interface's.
    let mtu = match (flow.sa, format) {
        (Some(_), _) => {
            format!("plaintext mtu 1438, path mtu 1500, ip mtu 1500, ip mtu idb {iface}")
        }
        (None, LogFormat::IosXe) => {
            format!("plaintext mtu 1500, path mtu 1500, ip mtu 1500, ip mtu idb {iface}")
        }
        (None, LogFormat::Ios15) => format!("path mtu 1500, ip mtu 1500, ip mtu idb {iface}"),
    };
    out.push(format!("     {mtu}"));
    let Some(sa) = flow.sa else {
        out.push("     current outbound spi: 0x0(0)".into());
        out.push("     PFS (Y/N): N, DH group: none".into());
        for dir in ["inbound", "outbound"] {
            for kind in ["esp", "ah", "pcp"] {
                out.push(String::new());
                out.push(format!("     {dir} {kind} sas:"));
            }
        }
        out.push(String::new());
        return;
    };
    out.push(format!(
        "     current outbound spi: {}",
        spi_text(sa.sa.out_spi)
    ));
    out.push(match sa.sa.pfs {
        Some(g) => format!("     PFS (Y/N): Y, DH group: group{g}"),
        None => "     PFS (Y/N): N, DH group: none".to_string(),
    });
    // IOS-XE prints the SA's state and the hardware's: `ACTIVE(ACTIVE)`.
    let status = match format {
        LogFormat::IosXe => "ACTIVE(ACTIVE)",
        LogFormat::Ios15 => "ACTIVE",
    };
    let left = remaining(sa.since, now, sa.sa.lifetime_seconds);
    // Each direction is its own SA with its own connection id; its kilobyte lifetime goes
    // down with the traffic it carried (pings of 100 bytes).
    let used = |packets: u64| (packets * 100).div_ceil(1024);
    for (dir, spi, conn, packets) in [
        ("inbound", sa.sa.in_spi, sa.conn, sa.decaps),
        ("outbound", sa.sa.out_spi, sa.conn + 1, sa.encaps),
    ] {
        let kb = sa.sa.lifetime_kilobytes.saturating_sub(used(packets));
        out.push(String::new());
        out.push(format!("     {dir} esp sas:"));
        out.push(format!("      spi: {}", spi_text(spi)));
        out.push(format!(
            "        transform: {} ,",
            show_transform(&sa.sa.transform)
        ));
        out.push("        in use settings ={Tunnel, }".into());
        out.push(format!(
            "        conn id: {conn}, flow_id: SW:{}, sibling_flags 80000046, crypto map: {}",
            conn.saturating_sub(2000),
            sa.sa.map
        ));
        out.push(format!(
            "        sa timing: remaining key lifetime (k/sec): ({kb}/{left})"
        ));
        out.push("        IV size: 16 bytes".into());
        out.push(if detail {
            "        replay detection support: Y  replay window size: 64".into()
        } else {
            "        replay detection support: Y".into()
        });
        out.push(format!("        Status: {status}"));
        out.push(String::new());
        out.push(format!("     {dir} ah sas:"));
        out.push(String::new());
        out.push(format!("     {dir} pcp sas:"));
    }
    out.push(String::new());
}
