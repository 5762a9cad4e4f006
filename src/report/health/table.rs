//! A table for a terminal: one row per tunnel, worst first, then a summary line. Reasons are
//! the first one the judgement gave; `--format json` has them all, with evidence and fixes.

use super::visible;
use crate::health::{Cycle, State, TunnelHealth};
use std::fmt::Write;

const RED: &str = "\x1b[31m";
const YELLOW: &str = "\x1b[33m";
const GREEN: &str = "\x1b[32m";
const DIM: &str = "\x1b[2m";
const RESET: &str = "\x1b[0m";

fn paint(color: bool, code: &str, s: &str) -> String {
    if color {
        format!("{code}{s}{RESET}")
    } else {
        s.to_string()
    }
}

fn state_color(t: &TunnelHealth) -> &'static str {
    match t.status {
        0 if t.state == State::Idle => DIM,
        0 => GREEN,
        1 => YELLOW,
        _ => RED,
    }
}

fn traffic(t: &TunnelHealth) -> String {
    let parts: Vec<String> = t
        .ends
        .iter()
        .filter_map(|e| {
            let r = e.rates?;
            Some(format!(
                "{:.1}/{:.1}",
                r.encaps_per_second, r.decaps_per_second
            ))
        })
        .collect();
    if parts.is_empty() {
        "-".to_string()
    } else {
        parts.join(" ")
    }
}

fn why(t: &TunnelHealth) -> String {
    let codes: Vec<String> = t.codes().iter().map(|c| c.to_string()).collect();
    let reason = t.reasons.first().map(|r| visible(r)).unwrap_or_default();
    if codes.is_empty() {
        reason
    } else {
        format!("{}: {reason}", codes.join(", "))
    }
}

pub fn render(cycle: &Cycle, color: bool) -> String {
    let rows: Vec<[String; 5]> = cycle
        .tunnels
        .iter()
        .map(|t| {
            let mut state = t.state.as_str().to_string();
            if t.state == State::Idle && t.always_on {
                state.push('!');
            }
            [
                visible(&t.tunnel),
                state,
                t.routers().join(","),
                traffic(t),
                why(t),
            ]
        })
        .collect();
    let head = ["TUNNEL", "STATE", "ROUTERS", "PKT/S OUT/IN", "WHY"];
    let tunnels = &cycle.tunnels;
    let mut out = crate::report::columns::render(head, &rows, &|r, c, cell| {
        if c == 1 {
            paint(color, state_color(&tunnels[r]), &cell)
        } else {
            cell
        }
    });
    let unread: Vec<&str> = cycle
        .routers
        .iter()
        .filter(|r| !r.up)
        .map(|r| r.router.as_str())
        .collect();
    let _ = writeln!(
        out,
        "\n{} tunnels: {} UP, {} IDLE, {} DEGRADED, {} DOWN, {} UNKNOWN; {} routers read{}; {:.1} s{}",
        cycle.tunnels.len(),
        cycle.count(State::Up),
        cycle.count(State::Idle),
        cycle.count(State::Degraded),
        cycle.count(State::Down),
        cycle.count(State::Unknown),
        cycle.routers.len() - unread.len(),
        if unread.is_empty() {
            String::new()
        } else {
            format!(", {} not ({})", unread.len(), unread.join(", "))
        },
        cycle.duration_seconds,
        if cycle
            .tunnels
            .iter()
            .any(|t| t.state == State::Idle && t.always_on)
        {
            "; IDLE! = always_on tunnel without SA"
        } else {
            ""
        }
    );
    for n in &cycle.notes {
        let _ = writeln!(out, "note: {}", visible(n));
    }
    out
}
