//! A health cycle as Prometheus metrics, encoded by the `prometheus-client` crate in both the
//! text format 0.0.4 (node_exporter's textfile collector, `-o FILE`) and OpenMetrics (what
//! Prometheus asks `--serve` for).
//!
//! Following the exporter-writing guidelines: base units (seconds), `_total` on counters,
//! a fixed set of label names (`tunnel`, `router`, `peer`, `state`, `code`, plus `direction`
//! and `reason` with a handful of values each), one series per state of the state enum (so
//! the series never disappears when the state changes), a per-router scrape-success gauge and
//! scrape duration, and no label whose values grow without bound: tunnel, router and peer
//! come from the inventory and the configurations, codes and states from closed lists.
//! Counters are the routers' own packet counters; Prometheus's `rate()` reads their resets.

use crate::engine::finding::Code;
use crate::health::{Cycle, State, TunnelHealth};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::{Registry, Unit};
use std::sync::Arc;

type Labels = Vec<(&'static str, String)>;

/// The cycle in the Prometheus text format 0.0.4.
pub fn render_text(cycle: &Cycle) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail; an Err would only come from a collector bug.
    let _ = prometheus_client::encoding::prometheus_text::encode(&mut out, &registry(cycle));
    out
}

/// The cycle in OpenMetrics text (ends with `# EOF`).
pub fn render_openmetrics(cycle: &Cycle) -> String {
    let mut out = String::new();
    let _ = prometheus_client::encoding::text::encode(&mut out, &registry(cycle));
    out
}

fn registry(cycle: &Cycle) -> Registry {
    let mut r = Registry::default();
    r.register_collector(Box::new(CycleCollector(Arc::new(cycle.clone()))));
    r
}

#[derive(Debug)]
struct CycleCollector(Arc<Cycle>);

fn tunnel_labels(t: &TunnelHealth) -> Labels {
    vec![
        ("tunnel", t.tunnel.clone()),
        (
            "router",
            t.routers()
                .first()
                .map(|r| r.to_string())
                .unwrap_or_default(),
        ),
        ("peer", t.peer()),
    ]
}

fn with(mut l: Labels, k: &'static str, v: impl Into<String>) -> Labels {
    l.push((k, v.into()));
    l
}

/// One family: its descriptor, then each (labels, value).
fn gauges(
    enc: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    unit: Option<&Unit>,
    series: impl IntoIterator<Item = (Labels, f64)>,
) -> Result<(), std::fmt::Error> {
    let mut m = enc.encode_descriptor(name, help, unit, MetricType::Gauge)?;
    for (labels, v) in series {
        m.encode_family(&labels)?.encode_gauge(&v)?;
    }
    Ok(())
}

fn counters(
    enc: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    series: impl IntoIterator<Item = (Labels, u64)>,
) -> Result<(), std::fmt::Error> {
    let mut m = enc.encode_descriptor(name, help, None, MetricType::Counter)?;
    for (labels, v) in series {
        m.encode_family(&labels)?
            .encode_counter::<NoLabelSet, _, u64>(&v, None)?;
    }
    Ok(())
}

impl Collector for CycleCollector {
    fn encode(&self, mut enc: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let c = &self.0;
        let tunnels = &c.tunnels;
        gauges(
            &mut enc,
            "ipsec_doctor_tunnel_state",
            "State of the tunnel: 1 for its current state (UP, IDLE, DEGRADED, DOWN, UNKNOWN), 0 for the others",
            None,
            tunnels.iter().flat_map(|t| {
                State::ALL.iter().map(move |s| {
                    (
                        with(tunnel_labels(t), "state", s.as_str()),
                        if t.state == *s { 1.0 } else { 0.0 },
                    )
                })
            }),
        )?;
        gauges(
            &mut enc,
            "ipsec_doctor_tunnel_status",
            "Nagios status of the tunnel: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (an idle always_on tunnel is 2)",
            None,
            tunnels
                .iter()
                .map(|t| (tunnel_labels(t), f64::from(t.status))),
        )?;
        gauges(
            &mut enc,
            "ipsec_doctor_tunnel_finding",
            "1 for each finding code that holds for the tunnel, labelled with the router it concerns",
            None,
            tunnels.iter().flat_map(|t| {
                let mut seen: Vec<(Code, String)> = Vec::new();
                for f in t
                    .findings
                    .iter()
                    .chain(t.triage.iter().flat_map(|x| x.findings.iter()))
                {
                    if !seen.contains(&(f.code, f.peer.clone())) {
                        seen.push((f.code, f.peer.clone()));
                    }
                }
                seen.into_iter().map(move |(code, router)| {
                    (
                        vec![
                            ("tunnel", t.tunnel.clone()),
                            ("router", router),
                            ("code", code.to_string()),
                        ],
                        1.0,
                    )
                })
            }),
        )?;
        let ends = || {
            tunnels.iter().flat_map(|t| {
                t.ends.iter().map(move |e| {
                    let labels = vec![
                        ("tunnel", t.tunnel.clone()),
                        ("router", e.router.clone()),
                        ("peer", e.peer.map_or_else(String::new, |p| p.to_string())),
                    ];
                    (labels, e)
                })
            })
        };
        gauges(
            &mut enc,
            "ipsec_doctor_tunnel_ipsec_sas",
            "Flows toward the peer with IPsec SAs installed, as the router shows them",
            None,
            ends()
                .filter(|(_, e)| e.failure.is_none())
                .map(|(l, e)| (l, e.ipsec_sas as f64)),
        )?;
        gauges(
            &mut enc,
            "ipsec_doctor_tunnel_phase1_up",
            "1 when the router has an ISAKMP SA with the peer in QM_IDLE",
            None,
            ends().filter(|(_, e)| e.failure.is_none()).map(|(l, e)| {
                (
                    l,
                    if e.phase1.as_deref() == Some("QM_IDLE") {
                        1.0
                    } else {
                        0.0
                    },
                )
            }),
        )?;
        counters(
            &mut enc,
            "ipsec_doctor_tunnel_packets",
            "Packets the router encapsulated (direction=out) and decapsulated (direction=in) for the peer, from show crypto ipsec sa; resets when the SAs are renewed",
            ends().flat_map(|(l, e)| {
                e.counters.into_iter().flat_map(move |c| {
                    [
                        (with(l.clone(), "direction", "out"), c.encaps),
                        (with(l.clone(), "direction", "in"), c.decaps),
                    ]
                })
            }),
        )?;
        counters(
            &mut enc,
            "ipsec_doctor_tunnel_errors",
            "IPsec send (direction=out) and receive (direction=in) errors for the peer, from show crypto ipsec sa",
            ends().flat_map(|(l, e)| {
                e.counters.into_iter().flat_map(move |c| {
                    [
                        (with(l.clone(), "direction", "out"), c.send_errors),
                        (with(l.clone(), "direction", "in"), c.recv_errors),
                    ]
                })
            }),
        )?;
        gauges(
            &mut enc,
            "ipsec_doctor_tunnel_sa_remaining",
            "Lifetime left on the tunnel's IPsec SA that has no successor yet",
            Some(&Unit::Seconds),
            ends().filter_map(|(l, e)| e.sa_seconds_left.map(|s| (l, s as f64))),
        )?;
        gauges(
            &mut enc,
            "ipsec_doctor_tunnels",
            "Tunnels checked in the last cycle, by state",
            None,
            State::ALL
                .iter()
                .map(|s| (vec![("state", s.as_str().to_string())], c.count(*s) as f64)),
        )?;
        gauges(
            &mut enc,
            "ipsec_doctor_router_up",
            "1 when the router was read in the last cycle (logged in, every command answered)",
            None,
            c.routers.iter().map(|r| {
                (
                    vec![("router", r.router.clone())],
                    if r.up { 1.0 } else { 0.0 },
                )
            }),
        )?;
        gauges(
            &mut enc,
            "ipsec_doctor_router_failure",
            "1 with the reason the router could not be read (unreachable, login_failed, host_key, timeout, connection_lost, command_refused, ssh)",
            None,
            c.routers.iter().filter_map(|r| {
                r.failure.map(|f| {
                    (
                        vec![
                            ("router", r.router.clone()),
                            ("reason", f.as_str().to_string()),
                        ],
                        1.0,
                    )
                })
            }),
        )?;
        gauges(
            &mut enc,
            "ipsec_doctor_router_scrape_duration",
            "Time spent reading the router in the last cycle (login, commands, the wait between two counter samples)",
            Some(&Unit::Seconds),
            c.routers
                .iter()
                .map(|r| (vec![("router", r.router.clone())], r.duration_seconds)),
        )?;
        gauges(
            &mut enc,
            "ipsec_doctor_cycle_duration",
            "Duration of the last cycle",
            Some(&Unit::Seconds),
            [(Labels::new(), c.duration_seconds)],
        )?;
        let finished = c
            .started
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64())
            + c.duration_seconds;
        gauges(
            &mut enc,
            "ipsec_doctor_cycle_last_success_timestamp",
            "When the last cycle finished, in seconds since 1970 (alert when it grows old)",
            Some(&Unit::Seconds),
            [(Labels::new(), finished)],
        )?;
        gauges(
            &mut enc,
            "ipsec_doctor_cycle_late",
            "How late the last cycle started after its --every slot, because the one before overran",
            Some(&Unit::Seconds),
            [(Labels::new(), c.late_seconds)],
        )?;
        gauges(
            &mut enc,
            "ipsec_doctor_inventory_loaded",
            "1 when the last cycle read the inventory, 0 when it failed and the last good one was used",
            None,
            [(Labels::new(), if c.inventory_ok { 1.0 } else { 0.0 })],
        )?;
        counters(
            &mut enc,
            "ipsec_doctor_cycles",
            "Cycles finished since the process started",
            [(Labels::new(), c.number)],
        )?;
        Ok(())
    }
}
