//! IKE_SA_INIT between two configs, as IOS decides it, one function per step: the initiator's
//! policy for its local address gives the proposals it offers → the responder's policy for the
//! address the request arrived on gives the proposals it accepts → the responder takes its
//! proposals in order and, for each, the offered ones in order; the first pair sharing an
//! encryption, an integrity (unless GCM), a PRF and a DH group wins (RFC 7296 §2.7).
//!
//! Inside the winning pair the responder takes, per attribute, the first of its own values
//! that was offered. The initiator sent its key share for the first group of its first
//! proposal; a different choice costs an INVALID_KE_PAYLOAD round trip, not the negotiation
//! ([`KeRetry`]). Approximation, said aloud: which value inside a pair IOS prefers (its own
//! order or the offer's) is not documented; we take the responder's.

use super::ikev2::{Ikev2Proposal, PolicyChoice, V2Attr, V2Cipher, V2Hash, V2Values};
use super::model::{DhGroup, RunningConfig};
use super::phase1::Side;
use serde::Serialize;
use std::net::Ipv4Addr;

/// An attribute on which an offered proposal and a responder's proposal share no value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct V2Mismatch {
    pub attr: V2Attr,
    pub offered: V2Values,
    pub local: V2Values,
}

/// One offered proposal checked against one of the responder's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProposalCheck {
    /// 1-based position in the offer.
    pub offered_index: usize,
    pub offered: String,
    pub local: String,
    /// Every attribute without a common value, in transform order; empty: accepted.
    pub differences: Vec<V2Mismatch>,
}

impl ProposalCheck {
    pub fn accepted(&self) -> bool {
        self.differences.is_empty()
    }
}

/// The initiator sent a key share the responder did not choose: it answers with the group it
/// wants and the initiator starts over with that one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct KeRetry {
    pub sent: DhGroup,
    pub requested: DhGroup,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SaInitAgreement {
    pub initiator_policy: String,
    pub responder_policy: String,
    pub initiator_proposal: String,
    pub responder_proposal: String,
    pub encryption: V2Cipher,
    /// `None` with a GCM cipher.
    pub integrity: Option<V2Hash>,
    pub prf: V2Hash,
    pub group: DhGroup,
    pub ke_retry: Option<KeRetry>,
    pub checks: Vec<ProposalCheck>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SaInitOutcome {
    /// No IKEv2 policy takes `local` with a complete proposal: the initiator cannot start, or
    /// the responder answers NO_PROPOSAL_CHOSEN to anything.
    NoPolicy {
        side: Side,
        local: Ipv4Addr,
    },
    /// The responder answered NO_PROPOSAL_CHOSEN.
    NoProposalChosen {
        initiator: PolicyChoice,
        responder: PolicyChoice,
        checks: Vec<ProposalCheck>,
    },
    Agreed(SaInitAgreement),
}

impl SaInitOutcome {
    pub fn agreement(&self) -> Option<&SaInitAgreement> {
        match self {
            SaInitOutcome::Agreed(a) => Some(a),
            _ => None,
        }
    }
}

/// IKE_SA_INIT from `initiator` (speaking from `init_addr`) to `responder` (at `resp_addr`).
pub fn ike_sa_init(
    initiator: &RunningConfig,
    init_addr: Ipv4Addr,
    responder: &RunningConfig,
    resp_addr: Ipv4Addr,
) -> SaInitOutcome {
    let offer = match policy_on(initiator, init_addr, Side::Initiator) {
        Ok(p) => p,
        Err(o) => return o,
    };
    let local = match policy_on(responder, resp_addr, Side::Responder) {
        Ok(p) => p,
        Err(o) => return o,
    };
    let (chosen, checks) = choose_proposal(&offer.proposals, &local.proposals);
    match chosen {
        Some((o, l)) => SaInitOutcome::Agreed(agree(&offer, &local, o, l, checks)),
        None => SaInitOutcome::NoProposalChosen {
            initiator: offer,
            responder: local,
            checks,
        },
    }
}

/// Steps 1 and 2: the policy (and its complete proposals) a router uses on `local`.
pub fn policy_on(
    cfg: &RunningConfig,
    local: Ipv4Addr,
    side: Side,
) -> Result<PolicyChoice, SaInitOutcome> {
    cfg.ikev2_policy_for(local)
        .ok_or(SaInitOutcome::NoPolicy { side, local })
}

fn common<T: PartialEq + Copy>(mine: &[T], offered: &[T]) -> Option<T> {
    mine.iter().copied().find(|v| offered.contains(v))
}

/// Step 3: one offered proposal against one of the responder's.
pub fn check_proposal(
    offered_index: usize,
    offered: &Ikev2Proposal,
    local: &Ikev2Proposal,
) -> ProposalCheck {
    let aead = offered.is_aead() || local.is_aead();
    let differs = |attr: V2Attr| match attr {
        V2Attr::Encryption => common(&local.encryption, &offered.encryption).is_none(),
        V2Attr::Integrity => !aead && common(&local.integrity, &offered.integrity).is_none(),
        V2Attr::Prf => common(local.prfs(), offered.prfs()).is_none(),
        V2Attr::Group => common(&local.groups, &offered.groups).is_none(),
    };
    let differences = [
        V2Attr::Encryption,
        V2Attr::Integrity,
        V2Attr::Prf,
        V2Attr::Group,
    ]
    .into_iter()
    .filter(|a| differs(*a))
    .map(|attr| V2Mismatch {
        attr,
        offered: offered.values(attr),
        local: local.values(attr),
    })
    .collect();
    ProposalCheck {
        offered_index,
        offered: offered.name.clone(),
        local: local.name.clone(),
        differences,
    }
}

/// Step 4: the responder's proposals in order, each against the offer in order.
pub fn choose_proposal<'a>(
    offer: &'a [Ikev2Proposal],
    local: &'a [Ikev2Proposal],
) -> (
    Option<(&'a Ikev2Proposal, &'a Ikev2Proposal)>,
    Vec<ProposalCheck>,
) {
    let mut checks = Vec::new();
    for l in local {
        for (i, o) in offer.iter().enumerate() {
            let check = check_proposal(i + 1, o, l);
            let ok = check.accepted();
            checks.push(check);
            if ok {
                return (Some((o, l)), checks);
            }
        }
    }
    (None, checks)
}

/// Step 5: the values taken from the winning pair.
fn agree(
    offer: &PolicyChoice,
    local: &PolicyChoice,
    o: &Ikev2Proposal,
    l: &Ikev2Proposal,
    checks: Vec<ProposalCheck>,
) -> SaInitAgreement {
    // `choose_proposal` only returns pairs that share a value of every attribute.
    let encryption = common(&l.encryption, &o.encryption).unwrap_or(V2Cipher::AesCbc256);
    let integrity = if encryption.is_aead() {
        None
    } else {
        common(&l.integrity, &o.integrity)
    };
    let prf = common(l.prfs(), o.prfs()).unwrap_or(V2Hash::Sha256);
    let group = common(&l.groups, &o.groups).unwrap_or(DhGroup(14));
    let sent = offer
        .proposals
        .first()
        .and_then(|p| p.groups.first())
        .copied();
    SaInitAgreement {
        initiator_policy: offer.policy.name.clone(),
        responder_policy: local.policy.name.clone(),
        initiator_proposal: o.name.clone(),
        responder_proposal: l.name.clone(),
        encryption,
        integrity,
        prf,
        group,
        ke_retry: sent.filter(|s| *s != group).map(|sent| KeRetry {
            sent,
            requested: group,
        }),
        checks,
    }
}

/// The proposal pair nearest to agreeing, and the proposal lines that make it agree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClosestProposal {
    pub initiator_proposal: String,
    pub responder_proposal: String,
    pub differences: Vec<V2Mismatch>,
    /// Lines for the initiator: its proposal takes the responder's values.
    pub fix_on_initiator: Vec<String>,
    /// Lines for the responder: its proposal takes the offered values.
    pub fix_on_responder: Vec<String>,
}

/// The checked pair with the fewest attributes apart (the responder's preferred on a tie).
pub fn closest_proposal(checks: &[ProposalCheck]) -> Option<ClosestProposal> {
    let best = checks
        .iter()
        .filter(|c| !c.accepted())
        .min_by_key(|c| c.differences.len())?;
    let fix = |name: &str, values: Vec<&V2Values>| {
        std::iter::once(format!("crypto ikev2 proposal {name}"))
            .chain(values.into_iter().map(|v| format!(" {}", v.config_line())))
            .collect::<Vec<_>>()
    };
    Some(ClosestProposal {
        initiator_proposal: best.offered.clone(),
        responder_proposal: best.local.clone(),
        fix_on_initiator: fix(
            &best.offered,
            best.differences.iter().map(|d| &d.local).collect(),
        ),
        fix_on_responder: fix(
            &best.local,
            best.differences.iter().map(|d| &d.offered).collect(),
        ),
        differences: best.differences.clone(),
    })
}
