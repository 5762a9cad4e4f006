//! Comparing the peers: one side's symptom explained by the other side's cause, silence, and
//! two captures that tell the same story merged into one finding.

use super::finding::{
    Code, Confidence, Evidence, Finding, Fix, IkeVersion, Severity, SilenceCause,
};
use super::parse::show::{ShowKind, ShowOutput};
use super::peer::PeerState;
use super::rules::{config, show, show_v2};
use crate::ios::model::Attr;

/// Codes that only say "something went wrong in this phase"; the other side's log usually names
/// the cause, and then the generic finding becomes evidence for the specific one.
fn is_generic(code: Code) -> bool {
    matches!(
        code,
        Code::P1NoResponse | Code::P1NoProposalChosen | Code::P2PolicyRejected
    )
}

pub fn correlate(peers: &[PeerState]) -> (Vec<Finding>, Vec<String>) {
    let mut notes = Vec::new();
    let mut findings: Vec<Finding> = Vec::new();
    for p in peers {
        let mut own = p.debug.findings(p.name());
        name_from_own_config(p, &mut own);
        own.extend(show::findings(p));
        own.extend(show_v2::findings(p));
        merge_within_peer(&mut own);
        notes.extend(p.debug.notes(p.name()));
        findings.extend(own);
    }

    if peers.len() == 2 {
        silence(peers, &mut findings, &mut notes);
        // Which router sees one-way traffic is decided before either finding is rewritten.
        let sees: Vec<bool> = peers
            .iter()
            .map(|p| {
                findings
                    .iter()
                    .any(|f| f.code == Code::OneWayTraffic && f.peer == p.name())
            })
            .collect();
        if sees[0] {
            one_way(&peers[0], &peers[1], &mut findings);
        } else if sees[1] {
            one_way(&peers[1], &peers[0], &mut findings);
        }
        let from_config = config::compare(&peers[0], &peers[1]);
        adopt_config_findings(from_config, &mut findings, &mut notes);
    }
    absorb_generic(peers, &mut findings);
    absorb_refusals(peers, &mut findings);
    merge_same_code(&mut findings);
    no_interesting_traffic(peers, &mut findings);
    if findings.is_empty() && peers.iter().all(|p| p.debug.ike_events == 0) {
        findings.extend(peers.iter().flat_map(show::untouched_flows));
    }
    one_verdict(peers, &mut findings, &mut notes);
    for f in &mut findings {
        f.ike_version = ike_version(peers, f);
    }
    notes.extend(peers.iter().flat_map(|p| show_v2::notes(p, &findings)));
    notes.extend(config::weak_choices(peers));
    tidy_fixes(&mut findings);
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(a.phase.cmp(&b.phase))
            .then(a.code.cmp(&b.code))
            .then(a.peer.cmp(&b.peer))
    });
    notes.dedup();
    (findings, notes)
}

/// The IKE version a finding is about. Rules that read a debug set it from the lines they
/// read; a finding from show output or configurations, or with no IKEv1 line among its
/// evidence, takes the version the router's debug speaks, else the one its configuration
/// protects the far end with.
fn ike_version(peers: &[PeerState], f: &Finding) -> IkeVersion {
    let speaks_v1 = f
        .evidence
        .iter()
        .any(|e| e.text.contains("ISAKMP") || e.text.contains("IPSEC("));
    if f.ike_version == IkeVersion::V2 || speaks_v1 {
        return f.ike_version;
    }
    // `IKEv2 SA: local … Active` in `show crypto session detail`, `IKEv2:` debug lines.
    if f.evidence.iter().any(|e| e.text.contains("IKEv2")) {
        return IkeVersion::V2;
    }
    let Some(p) = peers.iter().find(|p| p.name() == f.peer) else {
        return f.ike_version;
    };
    if p.debug.ike_events > 0 {
        return p.debug.ike_version();
    }
    let configured = p.running_config().and_then(|cfg| {
        let far: std::net::Ipv4Addr = f.remote.as_deref()?.parse().ok()?;
        cfg.protection_toward(far)
    });
    match configured.map(|c| c.ike_version()) {
        Some(crate::ios::tunnel::IkeVersion::V2) => IkeVersion::V2,
        _ => f.ike_version,
    }
}

/// Addresses a router is known by: its outside address from the configuration, its own
/// address as its debug printed it.
fn addresses(peers: &[PeerState], name: &str) -> Vec<String> {
    peers
        .iter()
        .filter(|p| p.name() == name)
        .flat_map(|p| [p.own_address(), p.debug.local_addr.clone()])
        .flatten()
        .collect()
}

/// Whether two findings concern the same tunnel. On one router: the same far end, or one of
/// them does not say. Across two routers: unless the far end one names is known not to be
/// the other router.
fn same_tunnel(peers: &[PeerState], a: &Finding, b: &Finding) -> bool {
    if a.peer == b.peer {
        return match (&a.remote, &b.remote) {
            (Some(x), Some(y)) if x != y => two_ends_pasted_together(peers, &a.peer, x, y),
            _ => true,
        };
    }
    let points_elsewhere = |f: &Finding, other: &str| {
        let known = addresses(peers, other);
        f.remote
            .as_ref()
            .is_some_and(|r| !known.is_empty() && !known.contains(r))
    };
    !points_elsewhere(a, &b.peer) && !points_elsewhere(b, &a.peer)
}

/// One capture whose lines name exactly two addresses, and these two: both routers of one
/// tunnel pasted into one file (each sees the other as its peer), not a hub talking to many.
fn two_ends_pasted_together(peers: &[PeerState], name: &str, x: &str, y: &str) -> bool {
    peers.iter().filter(|p| p.name() == name).any(|p| {
        let r = &p.debug.remotes;
        r.len() == 2 && r.contains_key(x) && r.contains_key(y)
    })
}

/// A tunnel gets one verdict: `TUNNEL_UP` only when nothing is wrong with it. The routers'
/// separate proofs that one tunnel's SAs came up become one finding; beside a failure or a
/// warning of the same tunnel they are only a note. Other tunnels (a hub's) keep their own.
fn one_verdict(peers: &[PeerState], findings: &mut Vec<Finding>, notes: &mut Vec<String>) {
    let ups: Vec<Finding> = findings
        .iter()
        .filter(|f| f.code == Code::TunnelUp)
        .cloned()
        .collect();
    findings.retain(|f| f.code != Code::TunnelUp);
    let mut merged: Vec<Finding> = Vec::new();
    for u in ups {
        match merged.iter_mut().find(|m| same_tunnel(peers, m, &u)) {
            Some(m) => {
                if u.peer != m.peer {
                    m.summary = if m.ike_version == IkeVersion::V2 {
                        format!(
                            "{} and {} both brought up the IKEv2 SA and its child SA and installed the IPsec SAs.",
                            m.peer, u.peer
                        )
                    } else {
                        format!(
                            "{} and {} both completed phase 1 and phase 2 and installed the IPsec SAs.",
                            m.peer, u.peer
                        )
                    };
                }
                m.evidence.extend(u.evidence);
                m.confidence = m.confidence.max(u.confidence);
                m.remote = m.remote.take().or(u.remote);
            }
            None => merged.push(u),
        }
    }
    for mut up in merged {
        let failing = findings
            .iter()
            .any(|f| f.severity > Severity::Ok && same_tunnel(peers, f, &up));
        if failing {
            notes.push(format!(
                "Some SAs did come up ({}), but the tunnel is not healthy: see the findings.",
                up.evidence
                    .first()
                    .map(|e| format!("{} line {}: {}", e.peer, e.line, e.text.trim()))
                    .unwrap_or_default()
            ));
            continue;
        }
        up.evidence.dedup();
        findings.push(up);
    }
}

/// Fix blocks as an engineer pastes them: one block per router per finding, no command twice
/// in a block, and no block repeated by a later finding.
fn tidy_fixes(findings: &mut [Finding]) {
    let mut printed: Vec<Fix> = Vec::new();
    for f in findings.iter_mut() {
        let mut merged: Vec<Fix> = Vec::new();
        for fix in std::mem::take(&mut f.fix) {
            match merged.iter_mut().find(|m| m.peer == fix.peer) {
                Some(m) => {
                    for c in fix.commands {
                        if !m.commands.contains(&c) {
                            m.commands.push(c);
                        }
                    }
                }
                None => merged.push(fix),
            }
        }
        merged.retain(|m| !m.commands.is_empty() && !printed.contains(m));
        printed.extend(merged.iter().cloned());
        f.fix = merged;
    }
}

/// Packets cross the tunnel one way only: the other router's counters say where they stop.
/// `a` encrypts toward `b` and decrypts nothing back.
fn one_way(a: &PeerState, b: &PeerState, findings: &mut [Finding]) {
    let Some(i) = findings
        .iter()
        .position(|f| f.code == Code::OneWayTraffic && f.peer == a.name())
    else {
        return;
    };
    let Some((flow, cap)) = show::flow_toward(b, a) else {
        return;
    };
    let enc = flow.counters.encaps.unwrap_or(0);
    let dec = flow.counters.decaps.unwrap_or(0);
    let (an, bn) = (a.name().to_string(), b.name().to_string());
    // Seen from b, the flow's peer is a; seen from a, it is b.
    let a_addr = flow.current_peer.clone().or_else(|| a.own_address());
    let b_seen = findings[i].remote.clone();
    let ev = show::counter_lines(cap, &bn, flow.line);
    let f = &mut findings[i];
    f.evidence.extend(ev);
    if dec > 0 && enc == 0 {
        let (why, fix) = show::return_path(b, a);
        f.peer = bn.clone();
        f.summary = format!(
            "{an} encrypts and {bn} decrypts ({dec} packets), but {bn} encrypts nothing back: {bn}'s replies never enter the tunnel. {why}"
        );
        f.remote = a_addr;
        f.fix.clear();
        if !fix.is_empty() {
            f.fix.push(Fix {
                peer: bn,
                commands: fix,
            });
        }
        f.confidence = Confidence::High;
    } else if dec == 0 {
        let a_out = a_addr.unwrap_or_else(|| an.clone());
        let b_addr = b.own_address().or(b_seen).unwrap_or_else(|| bn.clone());
        f.peer = bn.clone();
        f.remote = Some(a_out.clone());
        f.summary = format!(
            "{an} encrypts toward {bn} but {bn} decrypted nothing ({bn}'s #pkts decaps is 0): the ESP packets are lost between them. Something on the path to {bn} drops or translates ESP (IP protocol 50): a filter or firewall in front of {bn} (it must permit `esp host {a_out} host {b_addr}`), a NAT device (NAT-T needs UDP 4500 open both ways), or an MTU that drops the larger packets."
        );
        f.confidence = Confidence::High;
    }
}

/// One router negotiates, the other logged nothing about IKE.
fn silence(peers: &[PeerState], findings: &mut Vec<Finding>, notes: &mut Vec<String>) {
    for (talker, quiet) in [(&peers[0], &peers[1]), (&peers[1], &peers[0])] {
        if talker.debug.ike_events == 0 || quiet.debug.ike_events > 0 || quiet.lines == 0 {
            continue;
        }
        // Only a router that sent IKE can be left unanswered: one that could not start
        // (no key for the peer) explains the silence itself.
        if !talker.debug.sent_any() {
            continue;
        }
        if talker.debug.received_any() {
            notes.push(format!(
                "{} received IKE packets from its peer, yet {}'s capture shows no IKE activity: its debug was probably off while it was captured.",
                talker.name(),
                quiet.name()
            ));
            continue;
        }
        let remote = talker.debug.main_remote().unwrap_or("its peer").to_string();
        let mut ev = talker.debug.retransmit_evidence(talker.name());
        if ev.is_empty() {
            ev.extend(talker.debug.sent.evidence(talker.name()));
            ev.extend(talker.debug.v2.sent.evidence(talker.name()));
        }
        findings.retain(|f| !(f.code == Code::P1NoResponse && f.peer == talker.name()));
        let confidence = if quiet.debug_enabled {
            Confidence::High
        } else {
            Confidence::Medium
        };
        let found = silence_cause(talker, quiet, &remote);
        ev.extend(found.evidence);
        let mut f = Finding::new(
            Code::PeerSilent,
            quiet.name(),
            format!(
                "{} keeps trying to negotiate with {remote}, but {} logged nothing about IKE: {}",
                talker.name(),
                quiet.name(),
                found.why
            ),
        )
        .remote(talker.debug.main_remote().map(str::to_string))
        .ike(talker.debug.ike_version())
        .cause(found.cause)
        .evidence(ev)
        .confidence(confidence);
        if let Some((router, commands)) = found.fix {
            f = f.fix(router, commands);
        }
        findings.push(f);
    }
}

/// A symptom ("no response", "refused without a reason") absorbed into the cause that explains
/// it, when both concern the same phase of the same tunnel: on the other router (the two sides
/// agree, which makes the cause certain), or on the same one (a paste of both routers' lines in
/// one file, or a router's own retransmissions beside its own refusal).
fn absorb_generic(peers: &[PeerState], findings: &mut Vec<Finding>) {
    let mut i = 0;
    while i < findings.len() {
        let f = &findings[i];
        let target = is_generic(f.code)
            .then(|| {
                findings.iter().position(|g| {
                    !is_generic(g.code)
                        && g.phase == f.phase
                        && g.code != Code::P1LifetimeMismatch
                        && same_tunnel(peers, f, g)
                })
            })
            .flatten();
        match target {
            Some(t) => {
                let generic = findings.remove(i);
                let t = if t > i { t - 1 } else { t };
                let specific = &mut findings[t];
                let other_side = specific.peer != generic.peer;
                specific.evidence.extend(generic.evidence);
                if other_side {
                    specific.confidence = Confidence::High;
                } else {
                    specific.remote = specific.remote.take().or(generic.remote);
                }
            }
            None => i += 1,
        }
    }
}

/// A refusal one router only received (an IKEv2 error notify) becomes evidence for the cause
/// the refusing router's own lines name, in the same phase of the same tunnel.
fn absorb_refusals(peers: &[PeerState], findings: &mut Vec<Finding>) {
    let mut i = 0;
    while i < findings.len() {
        let f = &findings[i];
        let target = f
            .refused_by_peer
            .then(|| {
                findings.iter().position(|g| {
                    !g.refused_by_peer
                        && g.peer != f.peer
                        && g.phase == f.phase
                        && g.severity > Severity::Ok
                        && same_tunnel(peers, f, g)
                })
            })
            .flatten();
        match target {
            Some(t) => {
                let refused = findings.remove(i);
                let t = if t > i { t - 1 } else { t };
                let g = &mut findings[t];
                g.evidence.extend(refused.evidence);
                g.confidence = Confidence::High;
                // What the configurations added to it (a cause, a fix) carries over.
                if g.code == refused.code {
                    g.cause = g.cause.or(refused.cause);
                }
                add_fixes(&mut g.fix, refused.fix);
            }
            None => i += 1,
        }
    }
}

/// Both routers reporting the same failure (one cannot decrypt, the other retransmits): one
/// finding with both sides' evidence, and high confidence because the two sides agree.
fn merge_same_code(findings: &mut Vec<Finding>) {
    let mut i = 0;
    while i < findings.len() {
        let dup = (i + 1..findings.len()).find(|&j| {
            findings[j].code == findings[i].code
                && findings[j].peer != findings[i].peer
                && findings[i].code != Code::TunnelUp
                && findings[i].code != Code::PeerSilent
        });
        match dup {
            Some(j) => {
                let mut other = findings.remove(j);
                let f = &mut findings[i];
                // The firmer account speaks for both (the router that named the cause, not
                // the one that only got the refusal).
                if other.confidence > f.confidence {
                    std::mem::swap(&mut f.summary, &mut other.summary);
                    std::mem::swap(&mut f.peer, &mut other.peer);
                    f.remote = other.remote.take().or(f.remote.take());
                }
                f.cause = f.cause.or(other.cause);
                f.evidence.extend(other.evidence);
                for fix in other.fix {
                    if !f.fix.contains(&fix) {
                        f.fix.push(fix);
                    }
                }
                f.confidence = Confidence::High;
            }
            None => i += 1,
        }
    }
}

/// Debug was on and traffic was sent, yet no router started IKE.
fn no_interesting_traffic(peers: &[PeerState], findings: &mut Vec<Finding>) {
    if peers.is_empty() || peers.iter().any(|p| p.debug.ike_events > 0) || !findings.is_empty() {
        return;
    }
    let Some(sender) = peers
        .iter()
        .find(|p| !p.pings.is_empty() && p.debug_enabled)
    else {
        return;
    };
    let others_listening = peers.iter().all(|p| p.debug_enabled);
    findings.push(
        Finding::new(
            Code::NoInterestingTraffic,
            sender.name(),
            format!(
                "Debug was on and {} sent traffic, but no router started IKE: the traffic does not match a crypto ACL, or no crypto map sits on the interface it leaves by.",
                sender.name()
            ),
        )
        .confidence(if others_listening { Confidence::High } else { Confidence::Medium }),
    );
}

/// Why the quiet router hears nothing, and the configuration that fixes it when a router's
/// own configuration is the cause.
struct Silence {
    cause: SilenceCause,
    why: String,
    evidence: Vec<Evidence>,
    fix: Option<(String, Vec<String>)>,
}

impl Silence {
    fn new(cause: SilenceCause, why: String, evidence: Vec<Evidence>) -> Silence {
        Silence {
            cause,
            why,
            evidence,
            fix: None,
        }
    }

    fn fix(mut self, router: &str, commands: Vec<String>) -> Silence {
        if !commands.is_empty() {
            self.fix = Some((router.to_string(), commands));
        }
        self
    }
}

/// Why the quiet router hears nothing, from whatever facts the captures hold about both.
fn silence_cause(talker: &PeerState, quiet: &PeerState, remote: &str) -> Silence {
    let q = quiet.name();
    let t = talker.name();
    let remote_ip: Option<std::net::Ipv4Addr> = remote.parse().ok();
    if let Some(cfg) = quiet.running_config() {
        if !cfg.isakmp_enabled {
            let ev = cfg
                .isakmp_disabled_line
                .and_then(|l| quiet.config.as_ref()?.evidence(q, l));
            return Silence::new(
                SilenceCause::IsakmpDisabled,
                format!("ISAKMP is switched off on {q}."),
                ev.into_iter().collect(),
            )
            .fix(q, vec!["crypto isakmp enable".into()]);
        }
        if let Some(ip) = remote_ip {
            match cfg.interface_owning(ip) {
                None => {
                    return Silence::new(
                        SilenceCause::PeerAddressMismatch,
                        format!("{t} sends to {remote}, which is not an address of {q}."),
                        Vec::new(),
                    );
                }
                Some(i) if i.shutdown => {
                    let ev = quiet.config.as_ref().and_then(|c| c.evidence(q, i.line));
                    return Silence::new(
                        SilenceCause::InterfaceDown,
                        format!("{q}'s interface {} with {remote} is shut down.", i.name),
                        ev.into_iter().collect(),
                    )
                    .fix(
                        q,
                        vec![format!("interface {}", i.name), " no shutdown".into()],
                    );
                }
                Some(i)
                    if i.crypto_map.is_none()
                        && cfg.interfaces.iter().all(|i| i.crypto_map.is_none())
                        && cfg.tunnels().all(|(_, t)| t.protection.is_none()) =>
                {
                    let ev = quiet.config.as_ref().and_then(|c| c.evidence(q, i.line));
                    let fix = cfg
                        .crypto_maps
                        .first()
                        .map(|e| {
                            vec![
                                format!("interface {}", i.name),
                                format!(" crypto map {}", e.map),
                            ]
                        })
                        .unwrap_or_default();
                    return Silence::new(
                        SilenceCause::CryptoMapNotApplied,
                        format!(
                            "{q} has no crypto map applied to any interface, so it does not listen for IKE."
                        ),
                        ev.into_iter().collect(),
                    )
                    .fix(q, fix);
                }
                _ => {}
            }
        }
    }
    if let Some(cap) = quiet.show(ShowKind::IpInterfaceBrief)
        && let ShowOutput::IpInterfaceBrief(b) = &cap.output
        && let Some(row) = b.with_address(remote).filter(|r| !r.is_up())
    {
        // `administratively down` is a `shutdown` on the router; plain `down` is the link.
        let fix = if row.status.contains("administratively") {
            vec![
                format!("interface {}", row.interface),
                " no shutdown".into(),
            ]
        } else {
            Vec::new()
        };
        return Silence::new(
            SilenceCause::InterfaceDown,
            format!(
                "{q}'s interface {} with {remote} is {}{}.",
                row.interface,
                row.status,
                if fix.is_empty() {
                    ": check the link (cable, the provider's side)"
                } else {
                    ""
                }
            ),
            vec![cap.evidence(q, row.line)],
        )
        .fix(q, fix);
    }
    if let Some(cap) = quiet.show(ShowKind::Udp)
        && let ShowOutput::Udp(u) = &cap.output
        && !u.ike_listening()
    {
        return Silence::new(
            SilenceCause::IsakmpDisabled,
            format!("{q} does not listen on UDP 500 (`show udp`)."),
            Vec::new(),
        );
    }
    if let Some(ip) = remote_ip {
        if let Some(cfg) = talker.running_config()
            && cfg.route_to(ip).is_none()
        {
            let fix = config::route_fix(cfg, ip);
            let mut why = format!("{t} has no route to {remote}.");
            if fix.iter().any(|c| c.contains('<')) {
                why.push_str(" Its configuration shows no gateway to reuse: fill in the next hop.");
            }
            return Silence::new(SilenceCause::NoRoute, why, Vec::new()).fix(t, fix);
        }
        if let Some(cap) = talker.show(ShowKind::IpRoute)
            && let ShowOutput::IpRoute(r) = &cap.output
            && r.lookup(ip).is_none()
        {
            let fix = talker
                .running_config()
                .map(|cfg| config::route_fix(cfg, ip))
                .unwrap_or_else(|| vec![format!("ip route {ip} 255.255.255.255 <next hop>")]);
            return Silence::new(
                SilenceCause::NoRoute,
                format!("{t}'s routing table has no route to {remote}."),
                Vec::new(),
            )
            .fix(t, fix);
        }
    }
    if let Some(ping) = talker.pings.iter().rev().find(|p| p.target == remote) {
        match ping.success_percent {
            Some(n) if n > 0 => {
                return Silence::new(
                    SilenceCause::IkeBlocked,
                    format!(
                        "{t} reaches {remote} with ping, so the path carries ICMP but drops IKE (UDP 500). Open UDP 500 (and UDP 4500 and ESP) between {t} and {remote} on the filter or firewall in between."
                    ),
                    vec![ping.evidence(t)],
                );
            }
            Some(_) => {
                return Silence::new(
                    SilenceCause::Unreachable,
                    format!("{t} cannot even ping {remote}."),
                    vec![ping.evidence(t)],
                );
            }
            None => {}
        }
    }
    Silence::new(
        SilenceCause::Unknown,
        "the packets never reach it, or it ignores them. Check the route to the peer, the outside interface, the peer address, the crypto map on the interface, ISAKMP being enabled and UDP 500 on the path.".to_string(),
        Vec::new(),
    )
}

/// A router whose debug refused an offer without naming the attribute, or rejected quick mode
/// without saying why, is judged again against its own configuration.
fn name_from_own_config(p: &PeerState, findings: &mut [Finding]) {
    let Some(cfg) = p.running_config() else {
        return;
    };
    let peer = p.name().to_string();
    for f in findings.iter_mut() {
        if f.code == Code::P1NoProposalChosen {
            let Some(round) = p.debug.rejected_rounds.first() else {
                continue;
            };
            let Some(offered) = round
                .checks
                .iter()
                .find(|c| !c.offered.is_empty())
                .map(|c| &c.offered)
            else {
                continue;
            };
            if let Some((attr, lines)) = config::unnamed_attribute(offered, cfg) {
                f.code = match attr {
                    Attr::Encryption => Code::P1EncryptionMismatch,
                    Attr::Hash => Code::P1HashMismatch,
                    Attr::Auth => Code::P1AuthMethodMismatch,
                    Attr::Group => Code::P1DhGroupMismatch,
                    Attr::Lifetime => Code::P1LifetimeMismatch,
                };
                f.confidence = Confidence::High;
                f.summary = format!(
                    "{peer} refused the offer: compared with its own ISAKMP policies, the {} differs in every one of them.",
                    match attr {
                        Attr::Encryption => "encryption",
                        Attr::Hash => "hash",
                        Attr::Auth => "authentication method",
                        Attr::Group => "DH group",
                        Attr::Lifetime => "lifetime",
                    }
                );
                if let Some(c) = &p.config {
                    f.evidence
                        .extend(lines.into_iter().filter_map(|l| c.evidence(&peer, l)));
                }
            }
        }
        if f.code == Code::P2PolicyRejected {
            let Some(rej) = p.debug.p2_rejections.first() else {
                continue;
            };
            let remote = p.debug.main_remote();
            if let Some((group, line)) = config::pfs_explains(cfg, remote, rej.offered_pfs) {
                f.code = Code::P2PfsMismatch;
                f.confidence = Confidence::High;
                f.summary = format!(
                    "{peer} rejected quick mode: its crypto map requires PFS group {group}, and the offer carried {}.",
                    rej.offered_pfs
                        .map_or("no PFS group".to_string(), |g| format!("group {g}"))
                );
                if let Some(ev) = p.config.as_ref().and_then(|c| c.evidence(&peer, line)) {
                    f.evidence.push(ev);
                }
            }
        }
    }
}

/// One router, one code: a state seen in a show output and in the debug is one finding.
fn merge_within_peer(findings: &mut Vec<Finding>) {
    let mut i = 0;
    while i < findings.len() {
        if let Some(j) = (i + 1..findings.len()).find(|&j| {
            findings[j].code == findings[i].code
                && (findings[i].remote.is_none()
                    || findings[j].remote.is_none()
                    || findings[i].remote == findings[j].remote)
        }) {
            let other = findings.remove(j);
            let f = &mut findings[i];
            f.evidence.extend(other.evidence);
            f.confidence = f.confidence.max(other.confidence);
            f.remote = f.remote.take().or(other.remote);
            add_fixes(&mut f.fix, other.fix);
        } else {
            i += 1;
        }
    }
    // A show output that hints at a stuck state says less than the debug: drop the hint when
    // the same phase of the same tunnel has a firmer finding on this router.
    let firm: Vec<(Option<super::finding::Phase>, Option<String>)> = findings
        .iter()
        .filter(|f| f.confidence > Confidence::Low)
        .map(|f| (f.phase, f.remote.clone()))
        .collect();
    findings.retain(|f| {
        f.confidence > Confidence::Low
            || !is_generic_or_hint(f)
            || !firm.iter().any(|(phase, remote)| {
                *phase == f.phase && (remote.is_none() || f.remote.is_none() || *remote == f.remote)
            })
    });
}

fn is_generic_or_hint(f: &Finding) -> bool {
    is_generic(f.code) || f.code == Code::P1PskMismatch
}

/// The debug's summary and the configurations': both when they say different things, the
/// configurations' alone when they open the same way (it names policies and values).
fn join_summaries(debug: &str, config: &str) -> String {
    let head = |s: &str| s.split_whitespace().take(4).collect::<Vec<_>>().join(" ");
    if head(debug) == head(config) {
        config.to_string()
    } else {
        format!("{debug} {config}")
    }
}

/// Fixes from the configurations replace, router by router, those the debug alone gave.
fn replace_fixes(into: &mut Vec<Fix>, from_config: Vec<Fix>) {
    for fix in &from_config {
        into.retain(|x| x.peer != fix.peer);
    }
    into.extend(from_config);
}

fn add_fixes(into: &mut Vec<Fix>, more: Vec<Fix>) {
    for fix in more {
        if !into.contains(&fix) {
            into.push(fix);
        }
    }
}

/// Config comparison results join the debug's: the same code is one finding with both kinds of
/// evidence and the fix the configs give; a silence cause fills in the silent finding; a
/// different code in the same phase is a disagreement the notes mention.
fn adopt_config_findings(
    from_config: Vec<Finding>,
    findings: &mut Vec<Finding>,
    notes: &mut Vec<String>,
) {
    for c in from_config {
        if c.code == Code::PeerSilent
            && let Some(f) = findings
                .iter_mut()
                .find(|f| f.code == Code::PeerSilent && f.peer == c.peer)
        {
            if f.cause == Some(SilenceCause::Unknown) || f.cause.is_none() {
                f.cause = c.cause;
                f.summary = join_summaries(&f.summary, &c.summary);
            }
            f.evidence.extend(c.evidence);
            f.remote = f.remote.take().or(c.remote);
            replace_fixes(&mut f.fix, c.fix);
            continue;
        }
        if let Some(f) = findings.iter_mut().find(|f| f.code == c.code) {
            f.cause = f.cause.or(c.cause);
            f.evidence.extend(c.evidence);
            f.remote = f.remote.take().or(c.remote);
            // The configs name the exact change: it supersedes what the debug alone could say.
            replace_fixes(&mut f.fix, c.fix);
            f.confidence = Confidence::High;
            f.summary = join_summaries(&f.summary, &c.summary);
            continue;
        }
        let clash = findings.iter().find(|f| {
            f.phase.is_some()
                && f.phase == c.phase
                && !is_generic(f.code)
                && f.code != Code::P1LifetimeMismatch
                && c.code != Code::P1LifetimeMismatch
                && f.severity == c.severity
        });
        if let Some(f) = clash {
            notes.push(format!(
                "The evidence disagrees: the debug points to {} on {}, the two configurations to {} on {}. The configurations may have changed since the capture.",
                f.code, f.peer, c.code, c.peer
            ));
            findings.push(Finding {
                confidence: Confidence::Medium,
                ..c
            });
            continue;
        }
        // Absorb generic symptoms of the cause the configs prove.
        findings.retain(|f| !(is_generic(f.code) && f.phase == c.phase && c.phase.is_some()));
        let mut c = c;
        c.confidence = Confidence::High;
        findings.push(c);
    }
}
