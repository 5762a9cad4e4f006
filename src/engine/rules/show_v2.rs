//! What one router's IKEv2 show outputs prove on their own: `show crypto ikev2 sa` and
//! `show crypto ikev2 session`.
//!
//! The IKEv2 counterpart of the IKEv1 states read in [`super::show`]: an IKE SA that stays
//! `IN-NEG` (or is torn down as `DELETE`) never completed IKE_SA_INIT/IKE_AUTH with that peer;
//! a `READY` IKE SA whose session holds no child SA has IKE up and no IPsec SA under it. A
//! show output is a snapshot: it proves the state, not its cause, so these findings carry a
//! snapshot's confidence and say which debug names the cause. Neither command prints packet
//! counters, so a `READY` SA alone never proves a working tunnel (`show crypto session
//! detail` or `show crypto ipsec sa` do, in [`super::show`]).

use crate::engine::finding::{Code, Confidence, Evidence, Finding, IkeVersion};
use crate::engine::parse::show::ikev2_sa::Ikev2SaRow;
use crate::engine::parse::show::{ShowKind, ShowOutput};
use crate::engine::peer::{PeerState, ShowCapture};

/// IKE SA states that mean IKE_SA_INIT/IKE_AUTH did not complete, and how to say so.
const NOT_ESTABLISHED: &[(&str, &str)] = &[
    (
        "IN-NEG",
        "is still negotiating (IN-NEG): IKE_SA_INIT/IKE_AUTH never completed",
    ),
    (
        "DELETE",
        "is being torn down (DELETE) and no other IKEv2 SA with it is up: the last IKE_SA_INIT/IKE_AUTH failed",
    ),
];

fn not_established(status: &str) -> Option<&'static str> {
    NOT_ESTABLISHED
        .iter()
        .find(|(s, _)| s.eq_ignore_ascii_case(status))
        .map(|(_, said)| *said)
}

/// Session states of `show crypto ikev2 session` with no IKE SA up.
const SESSION_DOWN: &[&str] = &["DOWN-NEGOTIATING", "DOWN"];

/// Session states of `show crypto ikev2 session` with the IKE SA up and no child SA.
const SESSION_IDLE: &[&str] = &["UP-IDLE"];

pub fn findings(p: &PeerState) -> Vec<Finding> {
    let peer = p.name();
    let mut out = Vec::new();
    if let Some(cap) = p.show(ShowKind::Ikev2Sa)
        && let ShowOutput::Ikev2Sa(t) = &cap.output
    {
        for row in &t.rows {
            // A rekey shows the new SA IN-NEG, or the old one DELETE, beside a READY one.
            let ready = t.rows_with(&row.remote).any(Ikev2SaRow::is_ready);
            if let Some(said) = not_established(&row.status)
                && !ready
            {
                out.push(stuck(peer, row, said, vec![cap.evidence(peer, row.line)]));
            }
        }
    }
    if let Some(cap) = p.show(ShowKind::Ikev2Session)
        && let ShowOutput::Ikev2Session(s) = &cap.output
    {
        for sess in &s.sessions {
            let head = cap.evidence(peer, sess.line);
            if SESSION_DOWN.contains(&sess.status.as_str()) {
                // The session line says the state; the SA row under it names the far end.
                for row in &sess.sas {
                    let said = not_established(&row.status).unwrap_or(
                        "is not up (the session is down): IKE_SA_INIT/IKE_AUTH never completed",
                    );
                    let ev = vec![head.clone(), cap.evidence(peer, row.line)];
                    out.push(stuck(peer, row, said, ev));
                }
            } else if (SESSION_IDLE.contains(&sess.status.as_str()) || sess.child_count == Some(0))
                && sess.children.is_empty()
                && let Some(row) = sess.sas.iter().find(|r| r.is_ready())
            {
                out.push(no_child(peer, cap, sess.line, row));
            }
        }
    }
    out
}

/// The far end of an IKEv2 SA row: its remote address, without the port.
fn far_end(row: &Ikev2SaRow) -> Option<String> {
    (!row.remote.is_empty()).then(|| row.remote.clone())
}

fn stuck(peer: &str, row: &Ikev2SaRow, said: &str, ev: Vec<Evidence>) -> Finding {
    let remote = far_end(row);
    let them = remote.clone().unwrap_or_else(|| "the peer".into());
    Finding::new(
        Code::P1NoResponse,
        peer,
        format!(
            "The IKEv2 SA with {them} {said}. The peer does not answer, or it refuses the proposal, the identity or the key; `debug crypto ikev2` on both routers during the next attempt tells which."
        ),
    )
    .remote(remote)
    .evidence(ev)
    .confidence(Confidence::Low)
    .ike(IkeVersion::V2)
}

fn no_child(peer: &str, cap: &ShowCapture, line: usize, row: &Ikev2SaRow) -> Finding {
    let remote = far_end(row);
    let them = remote.clone().unwrap_or_else(|| "the peer".into());
    Finding::new(
        Code::P2PolicyRejected,
        peer,
        format!(
            "The IKEv2 SA with {them} is up (READY) but carries no child SA: no IPsec SA protects the traffic. The child SA was refused (transform set, PFS group or traffic selectors) or its rekey failed; `debug crypto ikev2` on the responder names the refusal."
        ),
    )
    .remote(remote)
    .evidence([cap.evidence(peer, line), cap.evidence(peer, row.line)])
    .confidence(Confidence::Low)
    .ike(IkeVersion::V2)
}

/// A protected tunnel interface whose line protocol is down, when no finding (of either
/// router) already explains that tunnel: IOS holds a VTI's line protocol down while it has no IPsec
/// SA, so the interface alone says the SA is missing but not which exchange fails. No finding
/// code means only that, hence a note that says what to capture.
pub fn notes(p: &PeerState, findings: &[Finding]) -> Vec<String> {
    let Some(cap) = p.show(ShowKind::Interfaces) else {
        return Vec::new();
    };
    let ShowOutput::Interfaces(ifs) = &cap.output else {
        return Vec::new();
    };
    ifs.interfaces
        .iter()
        .filter(|i| i.protection_profile.is_some() && i.status == "up" && i.protocol == "down")
        .filter(|i| {
            !findings.iter().any(|f| {
                f.code != Code::TunnelUp
                    && (f.remote.is_none()
                        || i.tunnel_destination.is_none()
                        || f.remote == i.tunnel_destination)
            })
        })
        .map(|i| {
            let toward = i
                .tunnel_destination
                .as_deref()
                .map(|d| format!(" with {d}"))
                .unwrap_or_default();
            format!(
                "{} (line {}): {} is up but its line protocol is down. IOS keeps a protected tunnel's line protocol down while it has no IPsec SA, so no SA is up{toward} for it; `show crypto ikev2 sa` (or `show crypto isakmp sa`) says how far IKE gets, `debug crypto ikev2` on both routers says why.",
                p.name(),
                cap.evidence(p.name(), i.line).line,
                i.name
            )
        })
        .collect()
}
