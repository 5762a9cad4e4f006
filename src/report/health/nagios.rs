//! Nagios (and Icinga, Naemon) plugin output: one status line, perfdata after `|`, then one
//! line per tunnel, worst first. The exit code is the cycle's status (see `Cycle::status`).
//!
//! Perfdata follows the plugin guidelines: `'label'=value[UOM];warn;crit;min;max`, labels
//! quoted, `c` for the routers' packet counters (continuous counters the monitoring system
//! turns into rates), `s` for durations. One tunnel (`health … TUNNEL --format nagios`) gets
//! each router's counters; many get counts per state, which do not grow with the inventory.

use super::visible;
use crate::health::{Cycle, State, TunnelHealth};
use std::fmt::Write;

pub fn status_name(status: i32) -> &'static str {
    match status {
        0 => "OK",
        1 => "WARNING",
        2 => "CRITICAL",
        _ => "UNKNOWN",
    }
}

/// Text for the plugin output: control characters visible, and no `|`, which would start the
/// perfdata.
fn text(s: &str) -> String {
    visible(s).replace('|', "/")
}

/// `'label'` with single quotes doubled, as the guidelines escape them.
fn label(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn tunnel_line(t: &TunnelHealth) -> String {
    let codes: Vec<String> = t.codes().iter().map(|c| c.to_string()).collect();
    let why = t.reasons.first().map(|r| text(r)).unwrap_or_default();
    let mut line = format!("{} {}", t.tunnel, t.state.as_str());
    if t.state == State::Idle && t.always_on {
        line.push_str(" (always_on)");
    }
    if !codes.is_empty() {
        let _ = write!(line, " [{}]", codes.join(", "));
    }
    if !why.is_empty() {
        let _ = write!(line, ": {why}");
    }
    line
}

pub fn render(cycle: &Cycle) -> String {
    let status = cycle.status();
    let mut out = format!("IPSEC {} - ", status_name(status));
    let mut perf: Vec<String> = Vec::new();
    match cycle.tunnels.as_slice() {
        [] => out.push_str("no tunnel to check (the inventory and configurations name none)"),
        [one] => {
            out.push_str(&tunnel_line(one));
            for e in &one.ends {
                if let Some(c) = e.counters {
                    for (what, v) in [
                        ("encaps", c.encaps),
                        ("decaps", c.decaps),
                        ("send_errors", c.send_errors),
                        ("recv_errors", c.recv_errors),
                    ] {
                        perf.push(format!(
                            "{}={v}c;;;0",
                            label(&format!("{}.{what}", e.router))
                        ));
                    }
                }
                if let Some(left) = e.sa_seconds_left {
                    perf.push(format!(
                        "{}={left}s;;;0",
                        label(&format!("{}.sa_remaining", e.router))
                    ));
                }
            }
        }
        many => {
            let not_ok: Vec<&TunnelHealth> = many.iter().filter(|t| t.status != 0).collect();
            let _ = write!(
                out,
                "{} tunnels: {} UP, {} IDLE, {} DEGRADED, {} DOWN, {} UNKNOWN",
                many.len(),
                cycle.count(State::Up),
                cycle.count(State::Idle),
                cycle.count(State::Degraded),
                cycle.count(State::Down),
                cycle.count(State::Unknown)
            );
            if !not_ok.is_empty() {
                let names: Vec<&str> = not_ok.iter().take(5).map(|t| t.tunnel.as_str()).collect();
                let more = not_ok.len().saturating_sub(names.len());
                let _ = write!(out, "; not OK: {}", names.join(", "));
                if more > 0 {
                    let _ = write!(out, " and {more} more");
                }
            }
            let total = many.len();
            for s in State::ALL {
                perf.push(format!(
                    "{}={};;;0;{total}",
                    s.as_str().to_ascii_lowercase(),
                    cycle.count(s)
                ));
            }
        }
    }
    let down_routers = cycle.routers.iter().filter(|r| !r.up).count();
    perf.push(format!(
        "routers_unreadable={down_routers};;;0;{}",
        cycle.routers.len()
    ));
    perf.push(format!("time={:.3}s;;;0", cycle.duration_seconds));
    let _ = write!(out, " | {}", perf.join(" "));
    out.push('\n');
    if cycle.tunnels.len() > 1 {
        for t in &cycle.tunnels {
            out.push_str(&tunnel_line(t));
            out.push('\n');
        }
    } else if let Some(t) = cycle.tunnels.first() {
        for r in t.reasons.iter().skip(1) {
            out.push_str(&text(r));
            out.push('\n');
        }
        for f in &t.findings {
            for fix in &f.fix {
                let _ = writeln!(
                    out,
                    "fix on {}: {}",
                    fix.peer,
                    text(&fix.commands.join(" / "))
                );
            }
        }
    }
    for n in &cycle.notes {
        out.push_str(&text(n));
        out.push('\n');
    }
    out
}
