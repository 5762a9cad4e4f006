//! Comparing the peers: one side's symptom explained by the other side's cause, silence, and
//! two captures that tell the same story merged into one finding.

use super::finding::{Code, Confidence, Finding, SilenceCause};
use super::peer::PeerState;
use super::rules::debug::to_evidence;

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
    let mut findings: Vec<Finding> = peers
        .iter()
        .flat_map(|p| p.debug.findings(p.name()))
        .collect();

    if peers.len() == 2 {
        silence(peers, &mut findings, &mut notes);
    }
    absorb_generic(&mut findings);
    merge_same_code(&mut findings);
    no_interesting_traffic(peers, &mut findings);

    if findings.iter().any(|f| f.code == Code::TunnelUp)
        && findings
            .iter()
            .any(|f| f.severity == super::finding::Severity::Critical)
    {
        notes.push(
            "The evidence disagrees: some SAs came up while other negotiations failed. The failures may concern another flow or an earlier attempt.".to_string(),
        );
        for f in &mut findings {
            if f.code == Code::TunnelUp {
                f.confidence = Confidence::Medium;
            }
        }
    }
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(a.phase.cmp(&b.phase))
            .then(a.code.cmp(&b.code))
            .then(a.peer.cmp(&b.peer))
    });
    (findings, notes)
}

/// One router negotiates, the other logged nothing about IKE.
fn silence(peers: &[PeerState], findings: &mut Vec<Finding>, notes: &mut Vec<String>) {
    for (talker, quiet) in [(&peers[0], &peers[1]), (&peers[1], &peers[0])] {
        if talker.debug.ike_events == 0 || quiet.debug.ike_events > 0 || quiet.lines == 0 {
            continue;
        }
        if !talker.debug.received.is_empty() {
            notes.push(format!(
                "{} received IKE packets from its peer, yet {}'s capture shows no IKE activity: its debug was probably off while it was captured.",
                talker.name(),
                quiet.name()
            ));
            continue;
        }
        let remote = talker.debug.main_remote().unwrap_or("its peer").to_string();
        let mut ev = Vec::new();
        for lines in talker.debug.retransmits.values() {
            ev.extend(lines.kept.iter().map(|l| to_evidence(talker.name(), l)));
        }
        if ev.is_empty() {
            ev.extend(talker.debug.sent.evidence(talker.name()));
        }
        findings.retain(|f| !(f.code == Code::P1NoResponse && f.peer == talker.name()));
        let confidence = if quiet.debug_enabled {
            Confidence::High
        } else {
            Confidence::Medium
        };
        findings.push(
            Finding::new(
                Code::PeerSilent,
                quiet.name(),
                format!(
                    "{} keeps trying to negotiate with {remote}, but {} logged nothing about IKE: the packets never reach it, or it ignores them. Check the route to {remote}, the outside interface, the peer address, the crypto map on the interface, ISAKMP being enabled and UDP 500 on the path.",
                    talker.name(),
                    quiet.name()
                ),
            )
            .cause(SilenceCause::Unknown)
            .evidence(ev)
            .confidence(confidence),
        );
    }
}

fn absorb_generic(findings: &mut Vec<Finding>) {
    let mut i = 0;
    while i < findings.len() {
        let f = &findings[i];
        let target = is_generic(f.code)
            .then(|| {
                findings.iter().position(|g| {
                    !is_generic(g.code)
                        && g.phase == f.phase
                        && g.peer != f.peer
                        && g.code != Code::P1LifetimeMismatch
                })
            })
            .flatten();
        match target {
            Some(t) => {
                let generic = findings.remove(i);
                let t = if t > i { t - 1 } else { t };
                let specific = &mut findings[t];
                specific.evidence.extend(generic.evidence);
                specific.confidence = specific.confidence.max(Confidence::Medium);
                if generic.confidence >= Confidence::Low {
                    specific.confidence = Confidence::High;
                }
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
                let other = findings.remove(j);
                let f = &mut findings[i];
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
