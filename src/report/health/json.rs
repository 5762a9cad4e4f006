//! JSON lines: one object per tunnel per cycle, each with the cycle's timestamp, so a log
//! shipper can take them one by one. Router failures show in the tunnels they leave UNKNOWN.

use crate::health::{Cycle, TunnelHealth};
use serde::Serialize;

#[derive(Serialize)]
struct Line<'a> {
    timestamp: &'a str,
    cycle: u64,
    #[serde(flatten)]
    tunnel: &'a TunnelHealth,
}

pub fn render(cycle: &Cycle) -> String {
    let mut out = String::new();
    for t in &cycle.tunnels {
        let line = Line {
            timestamp: &cycle.timestamp,
            cycle: cycle.number,
            tunnel: t,
        };
        match serde_json::to_string(&line) {
            Ok(s) => out.push_str(&s),
            // Strings, numbers and enums only: this cannot fail, but output must not panic.
            Err(e) => out.push_str(&format!("{{\"error\":\"{e}\"}}")),
        }
        out.push('\n');
    }
    out
}
