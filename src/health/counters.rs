//! Packet counters of one tunnel on one router, and how fast they move.
//!
//! `show crypto ipsec sa` prints totals since the SA (or the flow) was made. A total says
//! nothing about now: a tunnel that carried traffic an hour ago and carries none today still
//! shows large numbers. Two samples make a rate. A counter that went down between them was
//! reset (the SA was rekeyed or cleared), and is read the way Prometheus reads a counter reset:
//! everything counted since the reset is new.

use crate::engine::parse::show::ipsec_sa::{Direction, IpsecFlow, IpsecSa};
use serde::Serialize;
use std::time::Duration;

/// Totals over a tunnel's flows on one router.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    pub encaps: u64,
    pub decaps: u64,
    pub send_errors: u64,
    pub recv_errors: u64,
}

/// Per-second rates over the window between two samples.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Rates {
    /// Seconds between the two samples.
    pub window_seconds: f64,
    pub encaps_per_second: f64,
    pub decaps_per_second: f64,
    pub errors_per_second: f64,
    /// Packets counted in the window (after reset handling), for thresholds that want counts.
    #[serde(skip)]
    pub increase: Totals,
    /// Some counter went down: the SA was rekeyed or cleared in the window.
    pub reset: bool,
}

/// One flow's counters, keyed by what identifies the flow across samples.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowCounters {
    pub key: String,
    pub totals: Totals,
}

/// The flows of `sa` toward `peer`, with their counters.
pub fn flows_toward(sa: &IpsecSa, peer: &str) -> Vec<FlowCounters> {
    sa.flows()
        .filter(|f| f.current_peer.as_deref() == Some(peer))
        .map(|f| FlowCounters {
            key: flow_key(f),
            totals: Totals {
                encaps: f.counters.encaps.unwrap_or(0),
                decaps: f.counters.decaps.unwrap_or(0),
                send_errors: f.counters.send_errors.unwrap_or(0),
                recv_errors: f.counters.recv_errors.unwrap_or(0),
            },
        })
        .collect()
}

fn flow_key(f: &IpsecFlow) -> String {
    let id = |i: &Option<crate::engine::parse::show::ipsec_sa::Ident>| {
        i.as_ref().map_or_else(String::new, |i| {
            format!("{}/{}/{}/{}", i.addr, i.mask, i.protocol, i.port)
        })
    };
    format!("{}>{}", id(&f.local_ident), id(&f.remote_ident))
}

/// The sum over flows.
pub fn total(flows: &[FlowCounters]) -> Totals {
    flows.iter().fold(Totals::default(), |mut t, f| {
        t.encaps += f.totals.encaps;
        t.decaps += f.totals.decaps;
        t.send_errors += f.totals.send_errors;
        t.recv_errors += f.totals.recv_errors;
        t
    })
}

/// How much a counter grew from `old` to `new`, a decrease being a reset to zero.
fn increase(old: u64, new: u64) -> (u64, bool) {
    if new >= old {
        (new - old, false)
    } else {
        (new, true)
    }
}

/// Rates from `before` to `after`, flow by flow: a flow only in `after` is new and everything
/// it counted is in the window; a flow only in `before` went away and adds nothing.
pub fn rates(before: &[FlowCounters], after: &[FlowCounters], window: Duration) -> Rates {
    let mut inc = Totals::default();
    let mut reset = false;
    for f in after {
        let old = before
            .iter()
            .find(|b| b.key == f.key)
            .map(|b| b.totals)
            .unwrap_or_default();
        for (o, n, sum) in [
            (old.encaps, f.totals.encaps, &mut inc.encaps),
            (old.decaps, f.totals.decaps, &mut inc.decaps),
            (old.send_errors, f.totals.send_errors, &mut inc.send_errors),
            (old.recv_errors, f.totals.recv_errors, &mut inc.recv_errors),
        ] {
            let (d, r) = increase(o, n);
            *sum += d;
            reset |= r;
        }
    }
    let secs = window.as_secs_f64();
    let per = |n: u64| if secs > 0.0 { n as f64 / secs } else { 0.0 };
    Rates {
        window_seconds: secs,
        encaps_per_second: per(inc.encaps),
        decaps_per_second: per(inc.decaps),
        errors_per_second: per(inc.send_errors + inc.recv_errors),
        increase: inc,
        reset,
    }
}

/// The fewest seconds left on the SAs of the flows toward `peer` that have no successor: a
/// flow holding two inbound SAs is being rekeyed, and the old one running out is expected.
pub fn expiring_without_rekey(sa: &IpsecSa, peer: &str) -> Option<u64> {
    sa.flows()
        .filter(|f| f.current_peer.as_deref() == Some(peer))
        .filter(|f| {
            f.sas_of(
                Direction::Inbound,
                crate::engine::parse::show::ipsec_sa::SaProtocol::Esp,
            )
            .count()
                == 1
        })
        .flat_map(|f| f.sas.iter().filter_map(|s| s.remaining_secs))
        .min()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flow(key: &str, encaps: u64, decaps: u64) -> FlowCounters {
        FlowCounters {
            key: key.into(),
            totals: Totals {
                encaps,
                decaps,
                ..Totals::default()
            },
        }
    }

    #[test]
    fn a_decrease_is_a_reset_and_counts_from_zero() {
        let before = [flow("a", 1000, 990)];
        let after = [flow("a", 30, 25)];
        let r = rates(&before, &after, Duration::from_secs(10));
        assert!(r.reset);
        assert_eq!(r.increase.encaps, 30);
        assert!((r.encaps_per_second - 3.0).abs() < 1e-9);
        assert!((r.decaps_per_second - 2.5).abs() < 1e-9);
    }

    #[test]
    fn flows_are_matched_by_identity_not_summed_first() {
        // One flow reset, the other grew: the sums alone would hide the reset.
        let before = [flow("a", 100, 100), flow("b", 10, 10)];
        let after = [flow("a", 5, 5), flow("b", 200, 200), flow("c", 7, 0)];
        let r = rates(&before, &after, Duration::from_secs(1));
        assert!(r.reset);
        assert_eq!(r.increase.encaps, 5 + 190 + 7);
        assert_eq!(r.increase.decaps, 5 + 190);
    }

    #[test]
    fn no_window_no_rate() {
        let r = rates(&[], &[flow("a", 5, 5)], Duration::ZERO);
        assert_eq!(r.encaps_per_second, 0.0);
    }
}
