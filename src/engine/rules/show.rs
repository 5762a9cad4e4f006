//! What one router's show outputs prove: SA states and packet counters.
//!
//! `show crypto isakmp sa` says how far phase 1 got, `show crypto ipsec sa` whether phase 2 is
//! installed and whether packets flow both ways, `show crypto session` sums both up. A show
//! output is a snapshot: it proves a state, rarely its cause, so the findings it gives alone
//! carry the confidence of a snapshot and say what to capture next.

use crate::engine::finding::{Code, Confidence, Evidence, Finding};
use crate::engine::parse::show::crypto_session::{IkeVersion, SessionStatus};
use crate::engine::parse::show::ikev2_sa::Ikev2SaRow;
use crate::engine::parse::show::ipsec_sa::IpsecFlow;
use crate::engine::parse::show::isakmp_sa::{IsakmpSa, IsakmpSaRow, Phase1State};
use crate::engine::parse::show::{ShowKind, ShowOutput};
use crate::engine::peer::{PeerState, ShowCapture};
use std::net::Ipv4Addr;

/// The `current_peer`, counter and error lines of a flow block that starts at `flow_line`.
pub fn counter_lines(cap: &ShowCapture, peer: &str, flow_line: usize) -> Vec<Evidence> {
    cap.lines
        .iter()
        .enumerate()
        .skip(flow_line)
        .take(40)
        .filter(|(_, l)| {
            l.contains("current_peer")
                || l.contains("#pkts encaps")
                || l.contains("#pkts decaps")
                || l.contains("#send errors")
        })
        .take(4)
        .map(|(i, _)| cap.evidence(peer, i))
        .collect()
}

/// The router's own address, from its configuration, its debug, or the one address every
/// row of its `show crypto isakmp sa` shares.
fn own_address(p: &PeerState, table: Option<&IsakmpSa>) -> Option<String> {
    if let Some(a) = p.own_address().or_else(|| p.debug.local_addr.clone()) {
        return Some(a);
    }
    let rows = &table?.rows;
    if rows.len() < 2 {
        return None;
    }
    let first = &rows[0];
    [&first.dst, &first.src]
        .into_iter()
        .find(|a| rows.iter().all(|r| &r.dst == *a || &r.src == *a))
        .cloned()
}

/// The far end of a `show crypto isakmp sa` row, when the router's own address is known.
fn other_end(row: &IsakmpSaRow, own: Option<&str>) -> Option<String> {
    match own {
        Some(o) if row.src == o => Some(row.dst.clone()),
        Some(o) if row.dst == o => Some(row.src.clone()),
        _ => None,
    }
}

pub fn findings(p: &PeerState) -> Vec<Finding> {
    let peer = p.name();
    let mut out = Vec::new();
    // Proof that SAs are up and carry traffic both ways, per far end: a hub's show output
    // holds many tunnels, each with its own verdict.
    let mut up: Vec<(Option<String>, Vec<Evidence>)> = Vec::new();
    let mut one_way: Vec<Option<String>> = Vec::new();
    let isakmp = p
        .show(ShowKind::IsakmpSa)
        .and_then(|cap| match &cap.output {
            ShowOutput::IsakmpSa(t) => Some((cap, t)),
            _ => None,
        });
    let own = own_address(p, isakmp.map(|(_, t)| t));

    if let Some(cap) = p.show(ShowKind::IpsecSa)
        && let ShowOutput::IpsecSa(sa) = &cap.output
    {
        for flow in sa.flows() {
            let enc = flow.counters.encaps.unwrap_or(0);
            let dec = flow.counters.decaps.unwrap_or(0);
            let send_errors = flow.counters.send_errors.unwrap_or(0);
            let remote = flow.current_peer.clone();
            let them = remote.clone().unwrap_or_else(|| "the peer".into());
            let ev = counter_lines(cap, peer, flow.line);
            if enc > 0 && dec == 0 {
                one_way.push(remote.clone());
                out.push(one_way_out(peer, &them, enc).remote(remote).evidence(ev));
            } else if dec > 0 && enc == 0 {
                one_way.push(remote.clone());
                out.push(one_way_back(peer, &them, dec).remote(remote).evidence(ev));
            } else if enc > 0 && dec > 0 && flow.has_sas() {
                add_up(&mut up, remote, ev);
            } else if !flow.has_sas()
                && enc == 0
                && send_errors > 0
                && let Some(f) = no_sa_for_flow(
                    peer,
                    flow,
                    send_errors,
                    isakmp.map(|i| i.1),
                    &super::show_v2::ike_sas(p),
                    own.as_deref(),
                )
            {
                out.push(f.evidence(ev));
            }
        }
    }

    if let Some((cap, t)) = isakmp {
        for row in &t.rows {
            let other = other_end(row, own.as_deref());
            let ev = vec![cap.evidence(peer, row.line)];
            if row.phase1_up() {
                if let Some(u) = up
                    .iter_mut()
                    .find(|(r, _)| r.is_none() || other.is_none() || *r == other)
                {
                    u.1.extend(ev);
                }
                continue;
            }
            let between = match &other {
                Some(o) => o.clone(),
                None => format!("the peer ({} / {})", row.dst, row.src),
            };
            let f = match row.phase1 {
                Phase1State::MmNoState | Phase1State::MmSaSetup | Phase1State::Aggressive
                    if !row.deleted =>
                {
                    Finding::new(
                        Code::P1NoResponse,
                        peer,
                        format!(
                            "Phase 1 with {between} is stuck in {}: main mode never got past its first exchange. The peer does not answer, or it rejects every proposal; its `debug crypto isakmp` tells which.",
                            row.state
                        ),
                    )
                    .confidence(Confidence::Low)
                }
                Phase1State::MmKeyExch | Phase1State::MmKeyAuth if !row.deleted => Finding::new(
                    Code::P1PskMismatch,
                    peer,
                    format!(
                        "Phase 1 with {between} is stuck in {}: the proposal was agreed but authentication never completed, which is what different pre-shared keys produce. `debug crypto isakmp` on both routers confirms it.",
                        row.state
                    ),
                )
                .confidence(Confidence::Low),
                _ => continue,
            };
            out.push(f.remote(other).evidence(ev));
        }
    }

    if let Some(cap) = p.show(ShowKind::CryptoSession)
        && let ShowOutput::CryptoSession(s) = &cap.output
    {
        for sess in &s.sessions {
            session_findings(p, cap, sess, &mut up, &mut one_way, &mut out);
        }
    }

    for (remote, ev) in up {
        if one_way.contains(&remote) || one_way.contains(&None) {
            continue;
        }
        let with = remote
            .as_deref()
            .map(|r| format!(" with {r}"))
            .unwrap_or_default();
        out.push(
            Finding::new(
                Code::TunnelUp,
                peer,
                format!("{peer} has phase 2 SAs{with} installed and packets flowing both ways."),
            )
            .remote(remote)
            .evidence(ev),
        );
    }
    out
}

fn add_up(
    up: &mut Vec<(Option<String>, Vec<Evidence>)>,
    remote: Option<String>,
    ev: Vec<Evidence>,
) {
    match up.iter_mut().find(|(r, _)| *r == remote) {
        Some(u) => u.1.extend(ev),
        None => up.push((remote, ev)),
    }
}

fn one_way_out(peer: &str, them: &str, enc: u64) -> Finding {
    Finding::new(
        Code::OneWayTraffic,
        peer,
        format!(
            "{peer} has IPsec SAs with {them} and encrypted {enc} packets, but decrypted none: nothing comes back through the tunnel. Either {them} does not route the return traffic into the tunnel, or ESP (IP protocol 50) is dropped or translated on the path. {them}'s `show crypto ipsec sa` tells which: if it decrypts these packets, its replies miss the tunnel; if it decrypts none, ESP is lost on the way."
        ),
    )
}

fn one_way_back(peer: &str, them: &str, dec: u64) -> Finding {
    Finding::new(
        Code::OneWayTraffic,
        peer,
        format!(
            "{peer} decrypted {dec} packets from {them} but encrypted none back: its replies do not enter the tunnel (a route sends them elsewhere, or NAT translates them before the crypto map sees them)."
        ),
    )
}

/// One entry of `show crypto session [detail]`: UP-ACTIVE with packets both ways is a working
/// tunnel, one way only is one-way traffic, DOWN-NEGOTIATING with an inactive IKE SA is phase
/// 1 that never completes.
fn session_findings(
    p: &PeerState,
    cap: &ShowCapture,
    sess: &crate::engine::parse::show::crypto_session::Session,
    up: &mut Vec<(Option<String>, Vec<Evidence>)>,
    one_way: &mut Vec<Option<String>>,
    out: &mut Vec<Finding>,
) {
    let peer = p.name();
    let remote = sess.peer.clone();
    let them = remote.clone().unwrap_or_else(|| "the peer".into());
    let mut ev = vec![cap.evidence(peer, sess.line)];
    ev.extend(sess.peer_line.map(|l| cap.evidence(peer, l)));
    // The lines that say it: the status, and the SA counts and counters under the flows.
    let end = cap.lines[sess.line + 1..]
        .iter()
        .position(|l| l.starts_with("Interface:"))
        .map_or(cap.lines.len(), |i| sess.line + 1 + i);
    let said: Vec<Evidence> = (sess.line..end)
        .filter(|&i| {
            let l = &cap.lines[i];
            l.contains("Session status:") || l.contains("Active SAs:") || l.contains("#pkts")
        })
        .map(|i| cap.evidence(peer, i))
        .collect();
    ev.extend(said);
    // An IKEv2 SA line says which IKE the session speaks (the finding's `ike_version`).
    ev.extend(
        sess.ike_sas
            .iter()
            .filter(|s| s.version == IkeVersion::V2)
            .map(|s| cap.evidence(peer, s.line)),
    );
    let (dec, enc) = sess.flows.iter().fold((0, 0), |(d, e), f| {
        (
            d + f.inbound.as_ref().map_or(0, |c| c.packets),
            e + f.outbound.as_ref().map_or(0, |c| c.packets),
        )
    });
    let active_sas: u32 = sess.flows.iter().filter_map(|f| f.active_sas).sum();
    let flow_ev: Vec<Evidence> = sess
        .flows
        .iter()
        .map(|f| cap.evidence(peer, f.line))
        .collect();
    match sess.status {
        Some(SessionStatus::UpActive) if active_sas > 0 || enc > 0 || dec > 0 => {
            if enc > 0 && dec == 0 {
                one_way.push(remote.clone());
                ev.extend(flow_ev);
                out.push(one_way_out(peer, &them, enc).remote(remote).evidence(ev));
            } else if dec > 0 && enc == 0 {
                one_way.push(remote.clone());
                ev.extend(flow_ev);
                out.push(one_way_back(peer, &them, dec).remote(remote).evidence(ev));
            } else {
                // Counters both ways, or none read (the plain form prints none).
                let known = up.iter().any(|(r, _)| *r == remote);
                if known || enc > 0 {
                    ev.extend(flow_ev);
                    add_up(up, remote, ev);
                }
            }
        }
        // IKEv2 only: its first child SA is made with the IKE SA, so none beside an active
        // IKEv2 SA is a child SA lost (rules/show_v2.rs). IKEv1's quick mode waits for traffic.
        Some(SessionStatus::UpIdle)
            if active_sas == 0
                && sess
                    .ike_sas
                    .iter()
                    .any(|s| s.version == IkeVersion::V2 && s.active()) =>
        {
            ev.extend(flow_ev);
            out.push(super::show_v2::no_child_sa(peer, remote, ev));
        }
        Some(SessionStatus::DownNegotiating) => {
            let active_ike = sess.ike_sas.iter().any(|s| s.active());
            if active_ike {
                return;
            }
            ev.extend(
                sess.ike_sas
                    .iter()
                    .take(2)
                    .map(|s| cap.evidence(peer, s.line)),
            );
            // Said in the session's own IKE: an IKEv2 session is read like `show crypto
            // ikev2 session` and `show crypto ikev2 sa` are (rules/show_v2.rs).
            let v2 = sess.ike_sas.iter().any(|s| s.version == IkeVersion::V2);
            let (ike, stage, debug) = if v2 {
                ("IKEv2", "IKE_SA_INIT/IKE_AUTH", "ikev2")
            } else {
                ("IKE", "phase 1", "isakmp")
            };
            let f = Finding::new(
                Code::P1NoResponse,
                peer,
                format!(
                    "{peer} keeps trying {ike} with {them} (session DOWN-NEGOTIATING, IKE SA inactive): {stage} never completes. The peer does not answer, or refuses every proposal; `debug crypto {debug}` on both routers tells which."
                ),
            )
            .remote(remote)
            .evidence(ev)
            .confidence(Confidence::Low);
            out.push(if v2 {
                f.ike(crate::engine::finding::IkeVersion::V2)
            } else {
                f
            });
        }
        _ => {}
    }
}

/// A flow with no SA whose traffic is counted as send errors: packets matched the crypto ACL,
/// IOS asked IKE for SAs, and dropped them while none came. Phase 1 decides which phase is at
/// fault: when it is stuck, its own finding says so.
fn no_sa_for_flow(
    peer: &str,
    flow: &IpsecFlow,
    send_errors: u64,
    isakmp: Option<&IsakmpSa>,
    ikev2: &[&Ikev2SaRow],
    own: Option<&str>,
) -> Option<Finding> {
    let remote = flow.current_peer.clone();
    let them = remote.clone().unwrap_or_else(|| "the peer".into());
    let p1 = isakmp.map(|t| {
        t.rows
            .iter()
            .filter(|r| {
                remote.as_deref().is_none_or(|a| r.dst == a || r.src == a)
                    && (own.is_none() || other_end(r, own).is_some())
            })
            .collect::<Vec<_>>()
    });
    // IKEv2's table says the same as IKEv1's: IKE up leaves the child SA at fault.
    let v2: Vec<&&Ikev2SaRow> = ikev2
        .iter()
        .filter(|r| remote.as_deref().is_none_or(|a| r.remote == a))
        .collect();
    let (confidence, phase1) = match &p1 {
        None if v2.iter().any(|r| r.is_ready()) => (
            Confidence::Medium,
            format!("The IKEv2 SA with {them} is up (READY), so the child SA is what fails."),
        ),
        // Not up: the IKEv2 row's own finding names the stage (rules/show_v2.rs).
        None if !v2.is_empty() => return None,
        // Phase 1 is not up: the phase-1 row's own finding names the stage.
        Some(rows) if rows.iter().any(|r| !r.phase1_up() && !r.deleted) => return None,
        Some(rows) if rows.iter().any(|r| r.phase1_up()) => (
            Confidence::Medium,
            format!("Phase 1 with {them} is up (QM_IDLE), so quick mode is what fails."),
        ),
        Some(_) => (
            Confidence::Low,
            format!("`show crypto isakmp sa` holds no phase 1 with {them}: IKE never got far, or each attempt is torn down."),
        ),
        None => (
            Confidence::Low,
            "Capture `show crypto isakmp sa` (is phase 1 up?) and `debug crypto isakmp` / `debug crypto ipsec` on both routers to see which phase stops.".to_string(),
        ),
    };
    let idents = match (&flow.local_ident, &flow.remote_ident) {
        (Some(l), Some(r)) => format!(" for {}/{} -> {}/{}", l.addr, l.mask, r.addr, r.mask),
        _ => String::new(),
    };
    Some(
        Finding::new(
            Code::P2PolicyRejected,
            peer,
            format!(
                "{peer} has no IPsec SA with {them}{idents}: the traffic matches the crypto ACL, but phase 2 never completed, so the {send_errors} packets counted as send errors were dropped for want of an SA. {phase1}"
            ),
        )
        .remote(remote)
        .confidence(confidence),
    )
}

/// Flows with no SA that no packet has tried to use (`#pkts encaps: 0`, `#send errors 0`):
/// with nothing else in the capture, the likeliest reading is that no traffic matching the
/// crypto ACL has reached the crypto map. Only a hint: the counters may just have been cleared.
pub fn untouched_flows(p: &PeerState) -> Vec<Finding> {
    let peer = p.name();
    let Some(cap) = p.show(ShowKind::IpsecSa) else {
        return Vec::new();
    };
    let ShowOutput::IpsecSa(sa) = &cap.output else {
        return Vec::new();
    };
    sa.flows()
        .filter(|f| {
            !f.has_sas()
                && f.counters.encaps.unwrap_or(0) == 0
                && f.counters.decaps.unwrap_or(0) == 0
                && f.counters.send_errors.unwrap_or(0) == 0
        })
        .map(|flow| {
            let remote = flow.current_peer.clone();
            let them = remote.clone().unwrap_or_else(|| "the peer".into());
            let idents = match (&flow.local_ident, &flow.remote_ident) {
                (Some(l), Some(r)) => format!(" for {}/{} -> {}/{}", l.addr, l.mask, r.addr, r.mask),
                _ => String::new(),
            };
            Finding::new(
                Code::NoInterestingTraffic,
                peer,
                format!(
                    "{peer} has no IPsec SA with {them}{idents}, and no packet has tried to use one (#pkts encaps 0, #send errors 0): no traffic matching the crypto ACL has reached the crypto map since the counters were last cleared. Send traffic from the protected network (a ping sourced from the LAN interface) and look again: if the counters stay at 0, the traffic does not match the crypto ACL or leaves by an interface without the crypto map."
                ),
            )
            .remote(remote)
            .evidence(counter_lines(cap, peer, flow.line))
            .confidence(Confidence::Low)
        })
        .collect()
}

/// `b`'s flow whose peer is `a`: the other half of a one-way tunnel.
pub fn flow_toward<'p>(
    b: &'p PeerState,
    a: &PeerState,
) -> Option<(&'p IpsecFlow, &'p ShowCapture)> {
    let cap = b.show(ShowKind::IpsecSa)?;
    let ShowOutput::IpsecSa(sa) = &cap.output else {
        return None;
    };
    let a_addr = a.own_address().or_else(|| a.debug.local_addr.clone());
    let with_sas: Vec<&IpsecFlow> = sa.flows().filter(|f| f.has_sas()).collect();
    let flow = match &a_addr {
        Some(addr) => with_sas
            .iter()
            .find(|f| f.current_peer.as_deref() == Some(addr.as_str()))
            .copied(),
        None if with_sas.len() == 1 => with_sas.first().copied(),
        None => None,
    }?;
    Some((flow, cap))
}

/// Why `b`'s replies to `a`'s network miss the tunnel, and the configuration that fixes it,
/// as far as `b`'s configuration tells.
pub fn return_path(b: &PeerState, a: &PeerState) -> (String, Vec<String>) {
    let bn = b.name();
    let generic = format!(
        "Either {bn} has no route for the far network through its outside interface, or NAT translates the replies before the crypto map sees them (no NAT exemption). `show ip route` and `show ip nat translations` on {bn} tell which."
    );
    let Some((flow, _)) = flow_toward(b, a) else {
        return (generic, Vec::new());
    };
    let (Some(cfg), Some(far)) = (b.running_config(), flow.remote_ident.as_ref()) else {
        return (generic, Vec::new());
    };
    let (Ok(net), Ok(mask)) = (far.addr.parse::<Ipv4Addr>(), far.mask.parse::<Ipv4Addr>()) else {
        return (generic, Vec::new());
    };
    let Some(peer_addr) = flow
        .current_peer
        .as_deref()
        .and_then(|p| p.parse::<Ipv4Addr>().ok())
    else {
        return (generic, Vec::new());
    };
    let toward_peer = cfg.route_to(peer_addr);
    let next_hop = toward_peer
        .as_ref()
        .map(|r| r.next_hop.to_string())
        .unwrap_or_else(|| "<next hop toward the peer>".into());
    let outside = toward_peer.as_ref().map(|r| r.interface.clone());
    let host = crate::ios::addr::first_host(net);
    let route = cfg.route_to(host);
    let route_cmd = vec![format!("ip route {net} {mask} {next_hop}")];
    match (route, &outside) {
        (None, _) => (
            format!(
                "{bn} has no route to {net} {mask}: its replies are dropped before the crypto map. Route the far network out of the interface facing {peer_addr}."
            ),
            route_cmd,
        ),
        (Some(r), Some(out)) if !r.interface.eq_ignore_ascii_case(out) => (
            format!(
                "{bn} routes {net} {mask} out of {}, not {out} where the crypto map is: the replies leave in clear on the wrong interface.",
                r.interface
            ),
            route_cmd,
        ),
        _ => match nat_exemption(b, flow) {
            Some((why, fix)) => (why, fix),
            None => (
                format!(
                    "{bn} routes {net} {mask} toward the tunnel, yet encrypts nothing: check that its crypto ACL covers the replies (the mirror image of the peer's) and that no NAT or policy routing diverts them."
                ),
                Vec::new(),
            ),
        },
    }
}

/// NAT overload on `b` without an exemption for the tunnel's traffic: the replies get the
/// outside address and no longer match the crypto ACL.
fn nat_exemption(b: &PeerState, flow: &IpsecFlow) -> Option<(String, Vec<String>)> {
    let facts = b.config.as_ref()?;
    let acl = facts.lines().find_map(|l| {
        let rest = l.trim().strip_prefix("ip nat inside source list ")?;
        rest.split_whitespace().next().map(str::to_string)
    })?;
    let (l, r) = (flow.local_ident.as_ref()?, flow.remote_ident.as_ref()?);
    let wild = |mask: &str| -> Option<Ipv4Addr> {
        mask.parse::<Ipv4Addr>()
            .ok()
            .map(|m| Ipv4Addr::from(!u32::from(m)))
    };
    let deny = format!(
        " 5 deny ip {} {} {} {}",
        l.addr,
        wild(&l.mask)?,
        r.addr,
        wild(&r.mask)?
    );
    let why = format!(
        "{} translates the replies with NAT (ACL {acl}) before the crypto map sees them, so they no longer match the crypto ACL. Exempt the tunnel's traffic from NAT.",
        b.name()
    );
    let standard = facts
        .config
        .access_list(&acl)
        .is_some_and(|a| a.kind == crate::ios::acl::AclKind::Standard);
    if standard {
        // A standard list matches sources only: the exemption needs an extended list (or a
        // route-map) in its place, which only the engineer can write for the whole site.
        return Some((
            format!(
                "{why} ACL {acl} is a standard list, which cannot name a destination: replace it with an extended list that denies the tunnel's traffic first."
            ),
            Vec::new(),
        ));
    }
    Some((why, vec![format!("ip access-list extended {acl}"), deny]))
}
