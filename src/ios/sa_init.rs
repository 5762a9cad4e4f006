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
        initiator: Box<PolicyChoice>,
        responder: Box<PolicyChoice>,
        checks: Vec<ProposalCheck>,
    },
    Agreed(Box<SaInitAgreement>),
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
        Some((o, l)) => SaInitOutcome::Agreed(Box::new(agree(&offer, &local, o, l, checks))),
        None => SaInitOutcome::NoProposalChosen {
            initiator: Box::new(offer),
            responder: Box::new(local),
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

/// The values a responder takes from an agreeing pair: per attribute, the first of its own
/// that was offered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct AgreedValues {
    pub encryption: V2Cipher,
    /// `None` with a GCM cipher.
    pub integrity: Option<V2Hash>,
    pub prf: V2Hash,
    pub group: DhGroup,
}

/// Step 5: the values taken from the winning pair (offered `o`, the responder's `l`).
pub fn agreed_values(o: &Ikev2Proposal, l: &Ikev2Proposal) -> AgreedValues {
    // `choose_proposal` only returns pairs that share a value of every attribute.
    let encryption = common(&l.encryption, &o.encryption).unwrap_or(V2Cipher::AesCbc256);
    let integrity = if encryption.is_aead() {
        None
    } else {
        common(&l.integrity, &o.integrity)
    };
    AgreedValues {
        encryption,
        integrity,
        prf: common(l.prfs(), o.prfs()).unwrap_or(V2Hash::Sha256),
        group: common(&l.groups, &o.groups).unwrap_or(DhGroup(14)),
    }
}

fn agree(
    offer: &PolicyChoice,
    local: &PolicyChoice,
    o: &Ikev2Proposal,
    l: &Ikev2Proposal,
    checks: Vec<ProposalCheck>,
) -> SaInitAgreement {
    let AgreedValues {
        encryption,
        integrity,
        prf,
        group,
    } = agreed_values(o, l);
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

#[cfg(test)]
mod tests {
    use super::super::fixtures::{R1_ADDR, R2_ADDR, V2_R1, V2_R2, cfg, edit, ip};
    use super::*;

    fn run(r1: &str, r2: &str) -> SaInitOutcome {
        ike_sa_init(&cfg(r1), ip(R1_ADDR), &cfg(r2), ip(R2_ADDR))
    }

    /// The one pair's differences and the closest fix, when R2 refuses R1's offer.
    fn refused(r2: &str) -> (Vec<V2Attr>, ClosestProposal) {
        let out = run(V2_R1, r2);
        let SaInitOutcome::NoProposalChosen { checks, .. } = &out else {
            panic!("expected NO_PROPOSAL_CHOSEN, got {out:?}");
        };
        let attrs = checks[0].differences.iter().map(|d| d.attr).collect();
        (attrs, closest_proposal(checks).unwrap())
    }

    #[test]
    fn healthy_pair_agrees() {
        let out = run(V2_R1, V2_R2);
        let a = out.agreement().unwrap();
        assert_eq!(
            (a.encryption, a.integrity, a.prf, a.group),
            (
                V2Cipher::AesCbc256,
                Some(V2Hash::Sha256),
                V2Hash::Sha256,
                DhGroup(14)
            )
        );
        assert_eq!(
            (a.initiator_policy.as_str(), a.responder_policy.as_str()),
            ("POL-1", "POL-1")
        );
        assert_eq!(a.ke_retry, None);
        assert!(closest_proposal(&a.checks).is_none());
    }

    #[test]
    fn encryption_mismatch() {
        let r2 = edit(
            V2_R2,
            " encryption aes-cbc-256\n",
            " encryption aes-cbc-128 3des\n",
        );
        let (attrs, fix) = refused(&r2);
        assert_eq!(attrs, [V2Attr::Encryption]);
        assert_eq!(
            fix.differences[0].offered,
            V2Values::Encryption(vec![V2Cipher::AesCbc256])
        );
        assert_eq!(
            fix.fix_on_initiator,
            [
                "crypto ikev2 proposal PROP-1",
                " encryption aes-cbc-128 3des"
            ]
        );
        assert_eq!(
            fix.fix_on_responder,
            ["crypto ikev2 proposal PROP-1", " encryption aes-cbc-256"]
        );
    }

    #[test]
    fn integrity_mismatch_takes_the_prf_with_it() {
        // Without `prf` lines the PRF follows the integrity: both differ.
        let r2 = edit(V2_R2, " integrity sha256\n", " integrity sha512\n");
        let (attrs, fix) = refused(&r2);
        assert_eq!(attrs, [V2Attr::Integrity, V2Attr::Prf]);
        assert_eq!(
            fix.fix_on_responder,
            [
                "crypto ikev2 proposal PROP-1",
                " integrity sha256",
                " prf sha256"
            ]
        );
        // With a common PRF configured, only the integrity differs.
        let r1 = edit(V2_R1, " group 14\n", " prf sha256\n group 14\n");
        let r2 = edit(&r2, " group 14\n", " prf sha384 sha256\n group 14\n");
        let out = run(&r1, &r2);
        let SaInitOutcome::NoProposalChosen { checks, .. } = &out else {
            panic!("{out:?}");
        };
        let attrs: Vec<V2Attr> = checks[0].differences.iter().map(|d| d.attr).collect();
        assert_eq!(attrs, [V2Attr::Integrity]);
    }

    #[test]
    fn dh_group_mismatch() {
        let r2 = edit(V2_R2, " group 14\n", " group 19 20\n");
        let (attrs, fix) = refused(&r2);
        assert_eq!(attrs, [V2Attr::Group]);
        assert_eq!(
            fix.differences[0].local,
            V2Values::Group(vec![DhGroup(19), DhGroup(20)])
        );
        assert_eq!(fix.fix_on_initiator[1], " group 19 20");
    }

    #[test]
    fn overlapping_lists_agree_with_a_key_share_retry() {
        let r1 = edit(V2_R1, " group 14\n", " group 19 14\n");
        let r2 = edit(V2_R2, " group 14\n", " group 14 21\n");
        let a = run(&r1, &r2).agreement().cloned().unwrap();
        assert_eq!(a.group, DhGroup(14));
        assert_eq!(
            a.ke_retry,
            Some(KeRetry {
                sent: DhGroup(19),
                requested: DhGroup(14)
            })
        );
    }

    #[test]
    fn a_later_proposal_matches_and_the_closest_pair_is_named() {
        let extra = "crypto ikev2 proposal OLD\n encryption 3des\n integrity sha1\n group 2\n!\ncrypto ikev2 policy POL-1";
        let r1 = edit(V2_R1, "crypto ikev2 policy POL-1", extra);
        let r1 = edit(
            &r1,
            " proposal PROP-1\n",
            " proposal PROP-1\n proposal OLD\n",
        );
        let r2 = edit(
            V2_R2,
            " encryption aes-cbc-256\n integrity sha256\n group 14\n",
            " encryption 3des\n integrity sha1\n group 2\n",
        );
        let a = run(&r1, &r2).agreement().cloned().unwrap();
        assert_eq!(a.initiator_proposal, "OLD");
        assert_eq!(a.checks.len(), 2);
        assert_eq!(a.checks[1].offered_index, 2);
        // The failed first pair differed on everything.
        assert_eq!(a.checks[0].differences.len(), 4);
    }

    #[test]
    fn smart_defaults_on_both_sides_agree() {
        // Neither router has a proposal or policy: the smart defaults negotiate.
        let strip = |c: &str| {
            let c = edit(
                c,
                "crypto ikev2 proposal PROP-1 \n encryption aes-cbc-256\n integrity sha256\n group 14\n",
                "",
            );
            let start = c.find("crypto ikev2 policy POL-1").unwrap();
            let end = start + c[start..].find("!\n").unwrap() + 2;
            format!("{}{}", &c[..start], &c[end..])
        };
        let a = run(&strip(V2_R1), &strip(V2_R2))
            .agreement()
            .cloned()
            .unwrap();
        assert_eq!(
            (a.initiator_policy.as_str(), a.initiator_proposal.as_str()),
            ("default", "default")
        );
        assert_eq!(
            (a.encryption, a.integrity, a.group),
            (V2Cipher::AesCbc256, Some(V2Hash::Sha512), DhGroup(19))
        );
        // Smart defaults on one side only: R1's PROP-1 must fit inside them.
        let sha512 = edit(V2_R1, " integrity sha256\n", " integrity sha512\n");
        let out = run(&sha512, &strip(V2_R2));
        let a = out.agreement().unwrap();
        assert_eq!(
            (a.responder_proposal.as_str(), a.group, a.ke_retry),
            ("default", DhGroup(14), None)
        );
        let (attrs, fix) = refused(&strip(V2_R2));
        assert_eq!(
            attrs,
            [V2Attr::Integrity, V2Attr::Prf],
            "sha256 is not a default"
        );
        assert_eq!(fix.fix_on_responder[0], "crypto ikev2 proposal default");
    }

    #[test]
    fn no_policy_for_the_address() {
        let r2 = edit(
            V2_R2,
            " match address local 203.0.113.2\n",
            " match address local 203.0.113.99\n",
        );
        let r2 = edit(
            &r2,
            "hostname R2\n",
            "hostname R2\nno crypto ikev2 policy default\n",
        );
        assert_eq!(
            run(V2_R1, &r2),
            SaInitOutcome::NoPolicy {
                side: Side::Responder,
                local: ip(R2_ADDR)
            }
        );
    }

    #[test]
    fn gcm_proposals_ignore_integrity() {
        let gcm = |c: &str| {
            edit(
                c,
                " encryption aes-cbc-256\n integrity sha256\n",
                " encryption aes-gcm-256\n prf sha384\n",
            )
        };
        let a = run(&gcm(V2_R1), &gcm(V2_R2)).agreement().cloned().unwrap();
        assert_eq!(
            (a.encryption, a.integrity, a.prf),
            (V2Cipher::AesGcm256, None, V2Hash::Sha384)
        );
    }
}
