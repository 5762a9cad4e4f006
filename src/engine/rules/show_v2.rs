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
use crate::engine::peer::PeerState;

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
                let ev = vec![head.clone(), cap.evidence(peer, row.line)];
                out.push(no_child_sa(peer, far_end(row), ev));
            }
        }
    }
    out
}

/// Every IKEv2 SA row the router showed, from `show crypto ikev2 sa` or, without it, from
/// `show crypto ikev2 session`.
pub fn ike_sas(p: &PeerState) -> Vec<&Ikev2SaRow> {
    if let Some(cap) = p.show(ShowKind::Ikev2Sa)
        && let ShowOutput::Ikev2Sa(t) = &cap.output
    {
        return t.rows.iter().collect();
    }
    match p.show(ShowKind::Ikev2Session).map(|c| &c.output) {
        Some(ShowOutput::Ikev2Session(s)) => s.sessions.iter().flat_map(|s| &s.sas).collect(),
        _ => Vec::new(),
    }
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

/// IKE up and no IPsec SA under it. IKEv2 creates the first child SA inside IKE_AUTH, so
/// unlike IKEv1's QM_IDLE (quick mode waits for traffic) a READY SA without one lost it:
/// refused, or not rekeyed. Also said of an IKEv2 session UP-IDLE in `show crypto session`.
pub fn no_child_sa(peer: &str, remote: Option<String>, ev: Vec<Evidence>) -> Finding {
    let them = remote.clone().unwrap_or_else(|| "the peer".into());
    Finding::new(
        Code::P2PolicyRejected,
        peer,
        format!(
            "The IKEv2 SA with {them} is up (READY) but carries no child SA: no IPsec SA protects the traffic. The child SA was refused (transform set, PFS group or traffic selectors) or its rekey failed; `debug crypto ikev2` on the responder names the refusal."
        ),
    )
    .remote(remote)
    .evidence(ev)
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

#[cfg(test)]
mod tests {
    use crate::engine::finding::{Code, Confidence, Finding, IkeVersion};
    use crate::engine::{Diagnosis, Engine};

    /// Show outputs as `analyze` reads a paste: each command's output by its command line.
    fn diagnose(shows: &[(&str, &str)]) -> Diagnosis {
        let mut e = Engine::new();
        let id = e.stream("R1", true);
        for (command, output) in shows {
            e.feed_command(id, command, command, output);
        }
        e.finish()
    }

    fn only(d: &Diagnosis) -> &Finding {
        assert_eq!(d.findings.len(), 1, "{:#?}", d.findings);
        &d.findings[0]
    }

    const HEAD: &str =
        "Tunnel-id Local                 Remote                fvrf/ivrf            Status ";

    // The lab's R1 of `ikev2-peer-silent` between two retransmissions (lab output, in IOS-XE's
    // layout).
    fn in_neg(status: &str) -> String {
        format!(
            " IPv4 Crypto IKEv2  SA \n\n{HEAD}\n1         203.0.113.1/500       203.0.113.2/500       none/none            {status}  \n      Encr: Unknown - 0, keysize: 0, PRF: Unknown - 0, Hash: None, DH Grp:0, Auth sign: PSK, Auth verify: Unknown - 0\n      Life/Active Time: 28800/21 sec\n\n IPv6 Crypto IKEv2  SA \n\n"
        )
    }

    fn is_stuck(f: &Finding, status: &str) {
        assert_eq!(f.code, Code::P1NoResponse);
        assert_eq!(f.peer, "R1");
        assert_eq!(f.remote.as_deref(), Some("203.0.113.2"));
        assert_eq!(f.confidence, Confidence::Low);
        assert_eq!(f.ike_version, IkeVersion::V2);
        assert!(f.summary.contains(status), "{}", f.summary);
        assert!(f.summary.contains("IKE_SA_INIT/IKE_AUTH"), "{}", f.summary);
        assert!(f.summary.contains("`debug crypto ikev2` on both routers"));
        assert!(
            f.evidence
                .iter()
                .any(|e| e.text.contains("203.0.113.2/500") && e.text.contains(status)),
            "{:#?}",
            f.evidence
        );
    }

    #[test]
    fn an_ikev2_sa_negotiating_or_torn_down_alone_is_ike_not_completing() {
        for status in ["IN-NEG", "DELETE"] {
            let d = diagnose(&[("show crypto ikev2 sa", &in_neg(status))]);
            is_stuck(only(&d), status);
        }
    }

    #[test]
    fn a_rekey_beside_a_ready_sa_is_not_a_failure() {
        let t = in_neg("IN-NEG").replace(
            "\n\n IPv6",
            "\n2         203.0.113.1/500       203.0.113.2/500       none/none            READY  \n\n IPv6",
        );
        let d = diagnose(&[("show crypto ikev2 sa", &t)]);
        assert!(d.findings.is_empty(), "{:#?}", d.findings);
    }

    #[test]
    fn a_ready_sa_alone_proves_neither_failure_nor_traffic() {
        // genie's IOS-XE sample: READY rows, no counters in this command.
        let t = include_str!(
            "../../../tests/corpus/show/genie-iosxe-ShowCryptoIkev2Sa-golden_output.txt"
        );
        assert!(t.contains("READY"));
        let d = diagnose(&[("show crypto ikev2 sa", t)]);
        assert!(d.findings.is_empty(), "{:#?}", d.findings);
    }

    // The lab's R1 of `ikev2-peer-silent` (DOWN-NEGOTIATING) and `ikev2-pfs-mismatch` after the
    // refused rekey (UP-IDLE), lab output.
    fn session(status: &str, children: u32, sa: &str) -> String {
        format!(
            " IPv4 Crypto IKEv2 Session \n\nSession-id:1, Status:{status}, IKE count:1, CHILD count:{children}\n\n{HEAD}\n1         203.0.113.1/500       203.0.113.2/500       none/none            {sa}  \n      Encr: AES-CBC, keysize: 256, PRF: SHA256, Hash: SHA256, DH Grp:14, Auth sign: PSK, Auth verify: PSK\n      Life/Active Time: 28800/154 sec\n\n IPv6 Crypto IKEv2 Session \n\n"
        )
    }

    #[test]
    fn an_ikev2_session_down_negotiating_says_what_the_lone_sa_table_says() {
        let s = session("DOWN-NEGOTIATING", 0, "IN-NEG");
        let d = diagnose(&[("show crypto ikev2 session", &s)]);
        let f = only(&d);
        is_stuck(f, "IN-NEG");
        assert!(f.evidence[0].text.contains("Status:DOWN-NEGOTIATING"));
        // Both commands pasted: one finding, both lines quoted.
        let d = diagnose(&[
            ("show crypto ikev2 sa", &in_neg("IN-NEG")),
            ("show crypto ikev2 session", &s),
        ]);
        let f = only(&d);
        is_stuck(f, "IN-NEG");
        assert_eq!(f.evidence.len(), 3, "{:#?}", f.evidence);
    }

    #[test]
    fn a_ready_ikev2_sa_without_a_child_sa_is_phase_2_missing() {
        let d = diagnose(&[("show crypto ikev2 session", &session("UP-IDLE", 0, "READY"))]);
        let f = only(&d);
        assert_eq!(f.code, Code::P2PolicyRejected);
        assert_eq!(f.remote.as_deref(), Some("203.0.113.2"));
        assert_eq!(
            (f.confidence, f.ike_version),
            (Confidence::Low, IkeVersion::V2)
        );
        assert!(f.evidence[0].text.contains("Status:UP-IDLE"));
        assert!(f.evidence[1].text.contains("READY"));
        // The same state in `show crypto session detail` (lab output) says the same.
        let detail = "Crypto session current status\n\nInterface: Tunnel0\nProfile: PROF\nSession status: UP-IDLE       \nPeer: 203.0.113.2 port 500 fvrf: (none) ivrf: (none)\n      Phase1_id: 203.0.113.2\n      Desc: (none)\n  Session ID: 1  \n  IKEv2 SA: local 203.0.113.1/500 remote 203.0.113.2/500 Active\n          Capabilities:D connid:1 lifetime:07:57:26\n  IPSEC FLOW: permit ip 0.0.0.0/0.0.0.0 0.0.0.0/0.0.0.0 \n        Active SAs: 0, origin: crypto map\n        Inbound:  #pkts dec'ed 0 drop 0 life (KB/Sec) 0/0\n        Outbound: #pkts enc'ed 0 drop 0 life (KB/Sec) 0/0\n";
        let d = diagnose(&[("show crypto session detail", detail)]);
        let g = only(&d);
        assert_eq!((g.code, g.remote.as_deref()), (f.code, Some("203.0.113.2")));
        assert_eq!(
            (g.confidence, g.ike_version),
            (Confidence::Low, IkeVersion::V2)
        );
        assert!(g.evidence.iter().any(|e| e.text.contains("IKEv2 SA:")));
        // With a child SA the session is up; this command has no counters to prove traffic.
        let up = session("UP-ACTIVE", 1, "READY")
            .replace("\n\n IPv6", "\nChild sa: local selector  0.0.0.0/0 - 255.255.255.255/65535\n          remote selector 0.0.0.0/0 - 255.255.255.255/65535\n          ESP spi in/out: 0x3D5C2A8E/0x9F1B2C3D  \n\n IPv6");
        let d = diagnose(&[("show crypto ikev2 session", &up)]);
        assert!(d.findings.is_empty(), "{:#?}", d.findings);
    }

    #[test]
    fn a_down_ikev2_session_in_show_crypto_session_speaks_ikev2() {
        let detail = "Interface: Tunnel0\nProfile: PROF\nSession status: DOWN-NEGOTIATING\nPeer: 203.0.113.2 port 500 fvrf: (none) ivrf: (none)\n      Phase1_id: 203.0.113.2\n      Desc: (none)\n  Session ID: 1  \n  IKEv2 SA: local 203.0.113.1/500 remote 203.0.113.2/500 Inactive\n          Capabilities:D connid:1 lifetime:07:59:38\n  IPSEC FLOW: permit ip 0.0.0.0/0.0.0.0 0.0.0.0/0.0.0.0 \n        Active SAs: 0, origin: crypto map\n";
        let d = diagnose(&[("show crypto session detail", detail)]);
        let f = only(&d);
        assert_eq!(
            (f.code, f.remote.as_deref()),
            (Code::P1NoResponse, Some("203.0.113.2"))
        );
        assert_eq!(
            (f.confidence, f.ike_version),
            (Confidence::Low, IkeVersion::V2)
        );
        assert!(f.summary.contains("IKE_SA_INIT/IKE_AUTH"), "{}", f.summary);
        assert!(f.summary.contains("`debug crypto ikev2`"), "{}", f.summary);
    }

    #[test]
    fn a_flow_without_sa_beside_a_ready_ikev2_sa_blames_the_child_sa() {
        let flow = "interface: Tunnel0\n    Crypto map tag: Tunnel0-head-0, local addr 203.0.113.1\n\n   protected vrf: (none)\n   local  ident (addr/mask/prot/port): (0.0.0.0/0.0.0.0/0/0)\n   remote ident (addr/mask/prot/port): (0.0.0.0/0.0.0.0/0/0)\n   current_peer 203.0.113.2 port 500\n     PERMIT, flags={origin_is_acl,}\n    #pkts encaps: 0, #pkts encrypt: 0, #pkts digest: 0\n    #pkts decaps: 0, #pkts decrypt: 0, #pkts verify: 0\n    #send errors 12, #recv errors 0\n\n     local crypto endpt.: 203.0.113.1, remote crypto endpt.: 203.0.113.2\n     current outbound spi: 0x0(0)\n\n     inbound esp sas:\n\n     outbound esp sas:\n";
        let ready = in_neg("READY");
        let d = diagnose(&[
            ("show crypto ikev2 sa", &ready),
            ("show crypto ipsec sa", flow),
        ]);
        let f = only(&d);
        assert_eq!(
            (f.code, f.confidence),
            (Code::P2PolicyRejected, Confidence::Medium)
        );
        assert!(
            f.summary.contains("IKEv2 SA with 203.0.113.2 is up"),
            "{}",
            f.summary
        );
        // IKE not up: the IN-NEG row's own finding, not the flow's.
        let d = diagnose(&[
            ("show crypto ikev2 sa", &in_neg("IN-NEG")),
            ("show crypto ipsec sa", flow),
        ]);
        is_stuck(only(&d), "IN-NEG");
    }

    #[test]
    fn a_protected_tunnel_down_is_a_note_unless_a_finding_explains_it() {
        // The lab's IOS-XE model of a VTI whose IPsec SAs are gone (lab output).
        let tunnel = "Tunnel0 is up, line protocol is down \n  Hardware is Tunnel\n  Internet address is 10.255.0.1/30\n  Tunnel source 203.0.113.1 (GigabitEthernet0/0/0), destination 203.0.113.2\n  Tunnel protocol/transport IPSEC/IP\n  Tunnel protection via IPSec (profile \"PROF\")\n";
        let d = diagnose(&[("show interfaces Tunnel0", tunnel)]);
        assert!(d.findings.is_empty(), "{:#?}", d.findings);
        assert!(
            d.notes.iter().any(|n| n.contains("R1 (line 1): Tunnel0")
                && n.contains("no SA is up with 203.0.113.2")),
            "{:#?}",
            d.notes
        );
        // The IN-NEG row says more: the note would repeat it.
        let d = diagnose(&[
            ("show crypto ikev2 sa", &in_neg("IN-NEG")),
            ("show interfaces Tunnel0", tunnel),
        ]);
        is_stuck(only(&d), "IN-NEG");
        assert!(
            !d.notes.iter().any(|n| n.contains("Tunnel0")),
            "{:#?}",
            d.notes
        );
        // Unprotected, or up: nothing to say.
        for t in [
            tunnel.replace("  Tunnel protection via IPSec (profile \"PROF\")\n", ""),
            tunnel.replace("line protocol is down", "line protocol is up"),
        ] {
            let d = diagnose(&[("show interfaces Tunnel0", &t)]);
            assert!(
                !d.notes.iter().any(|n| n.contains("Tunnel0")),
                "{:#?}",
                d.notes
            );
        }
    }
}
