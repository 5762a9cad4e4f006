//! What one router's show outputs prove: SA states and packet counters.
//!
//! `show crypto isakmp sa` says how far phase 1 got, `show crypto ipsec sa` whether phase 2 is
//! installed and whether packets flow both ways, `show crypto session` sums both up.

use crate::engine::finding::{Code, Confidence, Evidence, Finding};
use crate::engine::parse::show::{ShowKind, ShowOutput, crypto_session::SessionStatus};
use crate::engine::peer::{PeerState, ShowCapture};

/// The `current_peer` and counter lines of a flow block that starts at `flow_line`.
fn counter_lines(cap: &ShowCapture, peer: &str, flow_line: usize) -> Vec<Evidence> {
    cap.lines
        .iter()
        .enumerate()
        .skip(flow_line)
        .take(40)
        .filter(|(_, l)| {
            l.contains("current_peer") || l.contains("#pkts encaps") || l.contains("#pkts decaps")
        })
        .take(3)
        .map(|(i, _)| cap.evidence(peer, i))
        .collect()
}

pub fn findings(p: &PeerState) -> Vec<Finding> {
    let peer = p.name();
    let mut out = Vec::new();
    let mut up_evidence: Vec<Evidence> = Vec::new();
    let mut one_way = false;

    if let Some(cap) = p.show(ShowKind::IpsecSa)
        && let ShowOutput::IpsecSa(sa) = &cap.output
    {
        for flow in sa.flows() {
            let enc = flow.counters.encaps.unwrap_or(0);
            let dec = flow.counters.decaps.unwrap_or(0);
            let remote = flow
                .current_peer
                .clone()
                .unwrap_or_else(|| "the peer".into());
            let ev = counter_lines(cap, peer, flow.line);
            if enc > 0 && dec == 0 {
                one_way = true;
                out.push(
                        Finding::new(
                            Code::OneWayTraffic,
                            peer,
                            format!(
                                "{peer} has IPsec SAs with {remote} and encrypted {enc} packets, but decrypted none: nothing comes back through the tunnel. Either {remote} does not route the return traffic into the tunnel, or ESP (IP protocol 50) is dropped or translated on the path."
                            ),
                        )
                        .evidence(ev),
                    );
            } else if dec > 0 && enc == 0 {
                one_way = true;
                out.push(
                        Finding::new(
                            Code::OneWayTraffic,
                            peer,
                            format!(
                                "{peer} decrypted {dec} packets from {remote} but encrypted none back: its replies do not enter the tunnel (a route or the crypto ACL sends them elsewhere)."
                            ),
                        )
                        .evidence(ev),
                    );
            } else if enc > 0 && dec > 0 && flow.has_sas() {
                up_evidence.extend(ev);
            }
        }
    }

    if let Some(cap) = p.show(ShowKind::IsakmpSa)
        && let ShowOutput::IsakmpSa(t) = &cap.output
    {
        for row in &t.rows {
            let ev = vec![cap.evidence(peer, row.line)];
            if row.phase1_up() {
                if !up_evidence.is_empty() {
                    up_evidence.extend(ev);
                }
                continue;
            }
            let other = if row.src == p.own_address().unwrap_or_default() {
                row.dst.clone()
            } else {
                row.src.clone()
            };
            let f = match row.state.as_str() {
                    "MM_NO_STATE" | "MM_SA_SETUP" => Finding::new(
                        Code::P1NoResponse,
                        peer,
                        format!(
                            "Phase 1 with {other} is stuck in {}: main mode never got past its first exchange. The peer does not answer, or it rejects every proposal; its debug tells which.",
                            row.state
                        ),
                    )
                    .confidence(Confidence::Low),
                    "MM_KEY_EXCH" => Finding::new(
                        Code::P1PskMismatch,
                        peer,
                        format!(
                            "Phase 1 with {other} is stuck in MM_KEY_EXCH: the proposal was agreed but authentication never completed, which is what different pre-shared keys produce."
                        ),
                    )
                    .confidence(Confidence::Low),
                    _ => continue,
                };
            out.push(f.evidence(ev));
        }
    }

    if let Some(cap) = p.show(ShowKind::CryptoSession)
        && let ShowOutput::CryptoSession(s) = &cap.output
    {
        for sess in &s.sessions {
            if sess.status == Some(SessionStatus::UpActive) && !up_evidence.is_empty() {
                up_evidence.push(cap.evidence(peer, sess.line));
            }
        }
    }

    if !up_evidence.is_empty() && !one_way {
        out.push(
            Finding::new(
                Code::TunnelUp,
                peer,
                format!("{peer} has phase 2 SAs installed and packets flowing both ways."),
            )
            .evidence(up_evidence),
        );
    }
    out
}
