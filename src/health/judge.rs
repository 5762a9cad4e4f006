//! One series' state from what its routers showed: the engine's findings (the same findings
//! and fixes triage gives, from the two configurations and the SA tables), plus what only two
//! samples can tell: whether packets move now, whether errors grow, whether an SA is about to
//! run out with no successor.
//!
//! The order of the checks is the order of the states' urgency: a router we could not read
//! makes the series UNKNOWN (we will not guess); a failure the engine proves is DOWN unless SAs
//! still carry traffic both ways (then it is DEGRADED: it will not come back after the SAs
//! expire); one-way traffic, growing errors, an SA expiring without a rekey and a lifetime
//! mismatch are DEGRADED; installed SAs are UP; no SA with sound configuration is IDLE.

use super::collect::{Collected, Failure, RouterResult};
use super::counters::{self, Rates, Totals};
use super::series::{End, Series};
use super::{EndHealth, State, TunnelHealth};
use crate::engine::Engine;
use crate::engine::finding::{Code, Confidence, Evidence, Finding, Severity};
use crate::engine::parse::show::ShowKind;
use std::collections::BTreeMap;

/// IOS starts a new SA 30 s before the old one's time runs out; one with less left than this
/// and no successor is not being rekeyed.
pub const EXPIRY_WITHOUT_REKEY_SECS: u64 = 20;
/// Packets sent with nothing back, within one window, before traffic counts as one-way: a
/// single echo caught between request and reply is not.
pub const ONE_WAY_MIN_PACKETS: u64 = 3;

/// What one router shows about one series.
struct Side<'a> {
    end: &'a End,
    collected: &'a Collected,
    peer: Option<String>,
}

pub fn judge(series: &Series, results: &BTreeMap<&str, &RouterResult>) -> TunnelHealth {
    let ends: Vec<&End> = std::iter::once(&series.a)
        .chain(series.b.as_ref())
        .collect();
    let mut health = TunnelHealth {
        tunnel: series.name.clone(),
        state: State::Unknown,
        status: 3,
        always_on: series.always_on,
        one_sided: series.one_sided(),
        reasons: Vec::new(),
        findings: Vec::new(),
        ends: Vec::new(),
        triage: None,
    };
    let mut sides = Vec::new();
    let mut failed = Vec::new();
    for end in &ends {
        let mut view = EndHealth::new(end);
        match results.get(end.router.as_str()).map(|r| &r.collected) {
            Some(Ok(c)) => sides.push(Side {
                end,
                collected: c,
                peer: end.peer.map(|p| p.to_string()),
            }),
            Some(Err((failure, detail))) => {
                view.failure = Some(*failure);
                failed.push(format!("{}: {} ({detail})", end.router, phrase(*failure)));
            }
            None => {
                view.failure = Some(Failure::Unreachable);
                failed.push(format!("{}: not collected", end.router));
            }
        }
        health.ends.push(view);
    }
    for side in &sides {
        if let Some(view) = health.ends.iter_mut().find(|e| e.router == side.end.router) {
            fill(view, side);
        }
    }
    if !failed.is_empty() {
        health.reasons = failed;
        return health;
    }

    let diagnosis = diagnose(&sides);
    let mut findings: Vec<Finding> = diagnosis;
    let sas_up = health.ends.iter().any(|e| e.ipsec_sas > 0);
    let p1_up = health
        .ends
        .iter()
        .any(|e| e.phase1.as_deref() == Some("QM_IDLE"));
    // While SAs are up, a show output's hint of a stuck exchange (low confidence, no config to
    // back it) is a rekey in progress, not a failure.
    if sas_up {
        findings.retain(|f| f.confidence > Confidence::Low || f.severity != Severity::Critical);
    }
    // A flow with no SA that nothing has tried to use is what IDLE means; the engine calls it
    // NO_INTERESTING_TRAFFIC when it judges a lone show output, where it asks to send traffic.
    // Here the configurations are judged as well, so a flow that stays unused is no failure
    // (and an alarm only for always_on tunnels, below).
    findings.retain(|f| f.code != Code::NoInterestingTraffic || f.confidence > Confidence::Low);
    let mut degraded: Vec<String> = Vec::new();
    for side in &sides {
        let Some(view) = health.ends.iter().find(|e| e.router == side.end.router) else {
            continue;
        };
        let Some(rates) = view.rates else { continue };
        let inc = rates.increase;
        if view.ipsec_sas > 0
            && inc.encaps >= ONE_WAY_MIN_PACKETS
            && inc.decaps == 0
            && !findings
                .iter()
                .any(|f| f.code == Code::OneWayTraffic && f.peer == view.router)
        {
            findings.push(one_way_now(side, view, &rates));
        }
        if inc.send_errors + inc.recv_errors > 0 {
            degraded.push(format!(
                "{}: IPsec errors growing ({} send, {} receive errors in {:.0} s)",
                view.router, inc.send_errors, inc.recv_errors, rates.window_seconds
            ));
        }
        let moving = inc.encaps + inc.decaps > 0;
        if let Some(left) = view.sa_seconds_left
            && left < EXPIRY_WITHOUT_REKEY_SECS
            && moving
        {
            degraded.push(format!(
                "{}: the SA toward {} expires in {left} s and no new SA is being made (IOS starts one 30 s before)",
                view.router,
                side.peer.as_deref().unwrap_or("the peer")
            ));
        }
    }
    let critical: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.severity == Severity::Critical)
        .collect();
    let warnings: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.severity == Severity::Warning)
        .collect();
    let both_ways = health.ends.iter().any(|e| {
        e.rates
            .is_some_and(|r| r.increase.encaps > 0 && r.increase.decaps > 0)
    });
    let (state, mut reasons) = if !critical.is_empty() {
        let what: Vec<String> = critical.iter().map(|f| f.code.to_string()).collect();
        if sas_up && both_ways {
            (
                State::Degraded,
                vec![format!(
                    "up now, but {}: it will not come back once these SAs expire",
                    what.join(", ")
                )],
            )
        } else {
            (
                State::Down,
                critical.iter().map(|f| f.summary.clone()).collect(),
            )
        }
    } else if !warnings.is_empty() || !degraded.is_empty() {
        let mut r: Vec<String> = warnings.iter().map(|f| f.summary.clone()).collect();
        r.extend(degraded);
        (State::Degraded, r)
    } else if sas_up {
        (State::Up, vec![up_reason(&health)])
    } else {
        let mut r = vec![if p1_up {
            "phase 1 up, no IPsec SA: no traffic for this tunnel right now".to_string()
        } else {
            "no SA: no traffic for this tunnel right now, configuration sound".to_string()
        }];
        if series.one_sided() {
            r.push(format!(
                "checked on {} only: no inventory tunnel pairs this crypto map entry",
                series.a.router
            ));
        }
        if series.always_on {
            r.push("the tunnel is marked always_on: no SA is an alarm".to_string());
        }
        (State::Idle, r)
    };
    if series.b.as_ref().is_some_and(|b| b.peer.is_none()) || series.a.peer.is_none() {
        let missing: Vec<&str> = ends
            .iter()
            .filter(|e| e.peer.is_none())
            .map(|e| e.router.as_str())
            .collect();
        reasons.push(format!(
            "no crypto map entry or protected tunnel toward the other router found on {}",
            missing.join(", ")
        ));
    }
    health.status = status(state, series.always_on);
    health.state = state;
    health.reasons = reasons;
    health.findings = findings;
    health
}

/// The Nagios status of a state.
pub fn status(state: State, always_on: bool) -> i32 {
    match state {
        State::Up => 0,
        State::Idle if always_on => 2,
        State::Idle => 0,
        State::Degraded => 1,
        State::Down => 2,
        State::Unknown => 3,
    }
}

fn phrase(f: Failure) -> &'static str {
    match f {
        Failure::Unreachable => "router unreachable",
        Failure::LoginFailed => "login failed",
        Failure::HostKey => "host key not trusted",
        Failure::Timeout => "timeout",
        Failure::ConnectionLost => "connection lost",
        Failure::CommandRefused => "command refused",
        Failure::Ssh => "SSH error",
    }
}

fn up_reason(h: &TunnelHealth) -> String {
    let rates: Vec<String> = h
        .ends
        .iter()
        .filter_map(|e| {
            let r = e.rates?;
            Some(format!(
                "{}: {:.1} pkt/s out, {:.1} pkt/s in",
                e.router, r.encaps_per_second, r.decaps_per_second
            ))
        })
        .collect();
    if rates.is_empty() {
        "IPsec SAs installed".to_string()
    } else {
        format!("IPsec SAs installed; {}", rates.join("; "))
    }
}

/// The engine's findings over the sides' outputs, each router's cut down to this series'
/// peer (the other peers' lines left out), with evidence pointing at the lines as the router
/// printed them.
fn diagnose(sides: &[Side]) -> Vec<Finding> {
    let mut engine = Engine::new();
    // (router, command) → the output line of each line the engine was given.
    let mut renumber: Vec<(&str, &str, Vec<usize>)> = Vec::new();
    for side in sides {
        let stream = engine.stream(&side.end.router, true);
        for o in &side.collected.outputs {
            let kind = o.kind;
            match (&side.peer, kind) {
                (Some(peer), _) => match (o.compact_for(peer), o.parsed()) {
                    // The peer's slice is the whole output: as parsed when it arrived.
                    ((text, None), Some(parsed)) => {
                        engine.feed_parsed_command(stream, &o.command, &o.command, &text, parsed)
                    }
                    ((text, None), None) => {
                        engine.feed_command(stream, &o.command, &o.command, &text)
                    }
                    ((text, Some(lines)), _) => {
                        engine.feed_command(stream, &o.command, &o.command, &text);
                        renumber.push((&side.end.router, &o.command, lines));
                    }
                },
                // Without an entry toward the peer, no SA row is about this tunnel; the whole
                // configuration still is.
                (None, Some(ShowKind::RunningConfig)) => match o.parsed() {
                    Some(parsed) => {
                        engine.feed_parsed_command(stream, &o.command, &o.command, &o.text, parsed)
                    }
                    None => engine.feed_command(stream, &o.command, &o.command, &o.text),
                },
                (None, _) => {}
            }
        }
    }
    let mut findings = engine.finish().findings;
    for e in findings.iter_mut().flat_map(|f| f.evidence.iter_mut()) {
        let lines = renumber
            .iter()
            .find(|(router, command, _)| *router == e.peer && *command == e.source);
        if let Some(n) = lines.and_then(|(_, _, l)| l.get(e.line.wrapping_sub(1))) {
            e.line = *n;
        }
    }
    findings
}

/// The end's phase 1 state, SAs, counters and rates.
fn fill(view: &mut EndHealth, side: &Side) {
    let Some(peer) = side.peer.as_deref() else {
        return;
    };
    if let Some(o) = side.collected.output(ShowKind::IsakmpSa) {
        // Every use below picks the rows of this peer: the whole table serves.
        let t = o.isakmp_sa();
        let rows: Vec<_> = t.rows_with(peer).collect();
        view.phase1 = rows
            .iter()
            .find(|r| r.phase1_up())
            .or(rows.first())
            .map(|r| r.state.clone());
    }
    let Some(latest) = side.collected.output(ShowKind::IpsecSa) else {
        return;
    };
    // Every use below picks the flows of this peer: the whole table serves.
    let now = latest.ipsec_sa();
    let flows = counters::flows_toward(&now, peer);
    view.ipsec_sas = now
        .flows()
        .filter(|f| f.current_peer.as_deref() == Some(peer) && f.has_sas())
        .count();
    if !flows.is_empty() {
        view.counters = Some(counters::total(&flows));
    }
    view.sa_seconds_left = counters::expiring_without_rekey(&now, peer);
    if let Some(earlier) = &side.collected.earlier_ipsec
        && earlier.at < latest.at
    {
        let before = counters::flows_toward(&earlier.ipsec_sa(), peer);
        view.rates = Some(counters::rates(
            &before,
            &flows,
            latest.at.duration_since(earlier.at),
        ));
    }
}

/// Health's own one-way finding: over the window, this router encrypted and received nothing.
fn one_way_now(side: &Side, view: &EndHealth, rates: &Rates) -> Finding {
    let peer = side.peer.as_deref().unwrap_or("its peer");
    let mut evidence = Vec::new();
    let source = "show crypto ipsec sa";
    for (o, label) in [
        (side.collected.earlier_ipsec.as_ref(), "earlier"),
        (side.collected.output(ShowKind::IpsecSa), "latest"),
    ] {
        let Some(o) = o else { continue };
        let text = o.for_peer(peer);
        for (n, line) in text.lines().enumerate() {
            if line.contains("#pkts encaps") || line.contains("#pkts decaps") {
                evidence.push(Evidence {
                    peer: view.router.clone(),
                    source: format!("{source} ({label} sample)"),
                    line: n + 1,
                    text: line.trim().to_string(),
                });
            }
        }
    }
    let Totals { encaps, .. } = rates.increase;
    Finding::new(
        Code::OneWayTraffic,
        &view.router,
        format!(
            "{} encrypted {encaps} packets for {peer} in the last {:.0} s and decrypted none: nothing comes back through the tunnel now. {peer} does not route the return traffic into the tunnel, or ESP is dropped or translated on the path.",
            view.router, rates.window_seconds
        ),
    )
    .evidence(evidence)
    .confidence(Confidence::Medium)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::health::collect::Output;
    use std::sync::Arc;

    /// A hub's SA table lists every spoke; the engine reads only this series' rows, and its
    /// evidence still points at the line the hub printed.
    #[test]
    fn evidence_from_a_hubs_output_keeps_the_routers_line_numbers() {
        let text = "IPv4 Crypto ISAKMP SA\ndst             src             state          conn-id status\n198.19.0.1      198.18.0.1      QM_IDLE           1001 ACTIVE\n198.19.255.1    198.18.0.1      MM_NO_STATE          0 ACTIVE\n\nIPv6 Crypto ISAKMP SA\n\n";
        let command = "show crypto isakmp sa";
        let output = Output {
            command: command.to_string(),
            kind: crate::engine::parse::show::classify(command),
            text: text.to_string(),
            at: tokio::time::Instant::now(),
            owners: crate::health::slice::Owners::of(command, text).map(Arc::new),
        };
        let result = RouterResult {
            router: "hub".into(),
            collected: Ok(Collected {
                outputs: vec![output],
                earlier_ipsec: None,
            }),
            duration: std::time::Duration::ZERO,
            logins: 1,
        };
        let series = Series {
            name: "hub/198.19.255.1".into(),
            a: End {
                router: "hub".into(),
                peer: Some("198.19.255.1".parse().unwrap()),
                map: None,
                seq: None,
                tunnel: None,
            },
            b: None,
            always_on: false,
        };
        let results = BTreeMap::from([("hub", &result)]);
        let health = judge(&series, &results);
        let cited: Vec<&Evidence> = health
            .findings
            .iter()
            .flat_map(|f| f.evidence.iter())
            .filter(|e| e.source == command)
            .collect();
        assert!(!cited.is_empty(), "{:#?}", health.findings);
        for e in cited {
            assert_eq!(e.line, 4, "{e:?}");
            assert!(e.text.contains("198.19.255.1"), "{e:?}");
        }
        assert_eq!(health.ends[0].phase1.as_deref(), Some("MM_NO_STATE"));
    }
}
