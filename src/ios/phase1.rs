//! IKEv1 main mode between two configs, as IOS decides it, one function per step in protocol
//! order: is ISAKMP on → what the initiator can offer → which policy the responder accepts →
//! does the responder have a key → are the keys the same.
//!
//! Approximations, said aloud: certificates (rsa-sig/rsa-encr) are taken to work when both
//! sides agree on them; keys by hostname and ISAKMP profiles are not modelled; the responder
//! checks its policies in priority order against every offered transform, as Cisco documents
//! ("compares its own highest priority policy against the other peer's received policies").

use super::model::{
    Attr, AuthMethod, Credential, DEFAULT_SUITE_PRIORITY, DhGroup, Encryption, Hash, IsakmpPolicy,
    PresharedKey, RunningConfig,
};
use serde::Serialize;
use std::fmt;
use std::net::Ipv4Addr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    Initiator,
    Responder,
}

/// One attribute's value, printable as the policy line that sets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AttrValue {
    Encryption(Encryption),
    Hash(Hash),
    Auth(AuthMethod),
    Group(DhGroup),
    Lifetime(u32),
}

impl AttrValue {
    pub fn of(p: &IsakmpPolicy, attr: Attr) -> AttrValue {
        match attr {
            Attr::Encryption => AttrValue::Encryption(p.encryption),
            Attr::Hash => AttrValue::Hash(p.hash),
            Attr::Auth => AttrValue::Auth(p.auth),
            Attr::Group => AttrValue::Group(p.group),
            Attr::Lifetime => AttrValue::Lifetime(p.lifetime),
        }
    }

    /// The line under `crypto isakmp policy N` that gives this value (`hash sha`).
    pub fn config_line(&self) -> String {
        match self {
            AttrValue::Encryption(e) => format!("encryption {e}"),
            AttrValue::Hash(h) => format!("hash {h}"),
            AttrValue::Auth(a) => format!("authentication {a}"),
            AttrValue::Group(g) => format!("group {g}"),
            AttrValue::Lifetime(s) => format!("lifetime {s}"),
        }
    }
}

impl fmt::Display for AttrValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AttrValue::Encryption(e) => write!(f, "{e}"),
            AttrValue::Hash(h) => write!(f, "{h}"),
            AttrValue::Auth(a) => write!(f, "{a}"),
            AttrValue::Group(g) => write!(f, "{g}"),
            AttrValue::Lifetime(s) => write!(f, "{s}"),
        }
    }
}

/// An attribute on which the offered transform and the responder's policy differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct AttrMismatch {
    pub attr: Attr,
    pub offered: AttrValue,
    pub local: AttrValue,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckResult {
    Accepted,
    /// The first attribute IOS found different (the one its debug names).
    Mismatch(AttrMismatch),
    /// Everything matches, but the policy is pre-share and the responder has no key for the
    /// initiator (`Preshared authentication offered but does not match policy!`).
    NoPresharedKey,
}

/// One "Checking ISAKMP transform T against priority P policy".
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyCheck {
    /// 1-based position in the initiator's offer.
    pub offered_transform: usize,
    pub offered_priority: u32,
    pub responder_priority: u32,
    pub result: CheckResult,
    /// Every attribute that differs, lifetime included, in IOS's checking order (IOS stops at
    /// the first; the rest is what a fix must also change).
    pub differences: Vec<AttrMismatch>,
}

impl PolicyCheck {
    /// Differences that reject the transform (lifetime never does).
    pub fn blocking(&self) -> impl Iterator<Item = &AttrMismatch> {
        self.differences.iter().filter(|d| d.attr != Attr::Lifetime)
    }
}

/// What both sides settled on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Agreement {
    pub initiator_priority: u32,
    pub responder_priority: u32,
    pub encryption: Encryption,
    pub hash: Hash,
    pub auth: AuthMethod,
    pub group: DhGroup,
    pub offered_lifetime: u32,
    pub responder_lifetime: u32,
    /// The lower of the two: IOS accepts a longer offer and uses its own, shorter one.
    pub lifetime: u32,
    pub lifetime_differs: bool,
    pub checks: Vec<PolicyCheck>,
}

/// How the pre-shared keys compared, once a policy was agreed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyCheck {
    /// Certificates were agreed: no pre-shared key takes part.
    NotUsed,
    Equal {
        initiator_line: usize,
        responder_line: usize,
    },
    /// At least one key is stored encrypted (type 6) under that router's own master key, so
    /// the two cannot be compared from the configs.
    Unverifiable {
        initiator_line: usize,
        responder_line: usize,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase1Outcome {
    /// `no crypto isakmp`: that router neither starts nor answers IKE.
    IsakmpDisabled {
        side: Side,
        line: Option<usize>,
    },
    /// No key for the peer's address: the initiator cannot start main mode, or the responder
    /// rejects every pre-share offer.
    NoKey {
        side: Side,
        for_addr: Ipv4Addr,
        checks: Vec<PolicyCheck>,
    },
    NoProposalChosen {
        checks: Vec<PolicyCheck>,
    },
    /// Policies agree, keys differ: MM5/MM6 fail to authenticate and main mode retransmits.
    KeyMismatch {
        agreement: Agreement,
        initiator_key_line: usize,
        responder_key_line: usize,
    },
    Agreed {
        agreement: Agreement,
        key: KeyCheck,
    },
}

impl Phase1Outcome {
    pub fn agreement(&self) -> Option<&Agreement> {
        match self {
            Phase1Outcome::Agreed { agreement, .. }
            | Phase1Outcome::KeyMismatch { agreement, .. } => Some(agreement),
            _ => None,
        }
    }

    pub fn checks(&self) -> &[PolicyCheck] {
        match self {
            Phase1Outcome::IsakmpDisabled { .. } => &[],
            Phase1Outcome::NoKey { checks, .. } | Phase1Outcome::NoProposalChosen { checks } => {
                checks
            }
            Phase1Outcome::KeyMismatch { agreement, .. }
            | Phase1Outcome::Agreed { agreement, .. } => &agreement.checks,
        }
    }

    pub fn is_up(&self) -> bool {
        matches!(self, Phase1Outcome::Agreed { .. })
    }
}

/// Main mode from `initiator` (speaking from `init_addr`) to `responder` (at `resp_addr`).
pub fn phase1(
    initiator: &RunningConfig,
    init_addr: Ipv4Addr,
    responder: &RunningConfig,
    resp_addr: Ipv4Addr,
) -> Phase1Outcome {
    if let Err(o) = isakmp_enabled(initiator, Side::Initiator) {
        return o;
    }
    if let Err(o) = isakmp_enabled(responder, Side::Responder) {
        return o;
    }
    let offer = match offered_policies(initiator, resp_addr) {
        Ok(offer) => offer,
        Err(o) => return o,
    };
    let responder_key = responder.key_for(init_addr);
    let (chosen, checks) = choose_policy(&offer, responder, responder_key.is_some());
    let Some((offered, local)) = chosen else {
        if checks
            .iter()
            .any(|c| c.result == CheckResult::NoPresharedKey)
        {
            return Phase1Outcome::NoKey {
                side: Side::Responder,
                for_addr: init_addr,
                checks,
            };
        }
        return Phase1Outcome::NoProposalChosen { checks };
    };
    let agreement = agree(offered, local, checks);
    if agreement.auth != AuthMethod::PreShare {
        return Phase1Outcome::Agreed {
            agreement,
            key: KeyCheck::NotUsed,
        };
    }
    // Both keys exist here: the initiator's was required to offer pre-share, the responder's
    // to accept it.
    match (initiator.key_for(resp_addr), responder_key) {
        (Some(i), Some(r)) => compare_keys(agreement, i, r),
        (None, _) => Phase1Outcome::NoKey {
            side: Side::Initiator,
            for_addr: resp_addr,
            checks: agreement.checks,
        },
        (_, None) => Phase1Outcome::NoKey {
            side: Side::Responder,
            for_addr: init_addr,
            checks: agreement.checks,
        },
    }
}

/// Step 1: `no crypto isakmp` turns IKE off on that router.
pub fn isakmp_enabled(cfg: &RunningConfig, side: Side) -> Result<(), Phase1Outcome> {
    if cfg.isakmp_enabled {
        Ok(())
    } else {
        Err(Phase1Outcome::IsakmpDisabled {
            side,
            line: cfg.isakmp_disabled_line,
        })
    }
}

/// Step 2: the initiator offers all its policies in priority order (the built-in default
/// suite only when none is configured). Without a key for the peer it drops its pre-share
/// policies, and with nothing left it cannot start main mode (`No pre-shared key with …`).
pub fn offered_policies(
    initiator: &RunningConfig,
    resp_addr: Ipv4Addr,
) -> Result<Vec<IsakmpPolicy>, Phase1Outcome> {
    let all = if initiator.isakmp_policies.is_empty() {
        vec![IsakmpPolicy::default_suite()]
    } else {
        initiator.isakmp_policies.clone()
    };
    if initiator.key_for(resp_addr).is_some() {
        return Ok(all);
    }
    let usable: Vec<IsakmpPolicy> = all
        .into_iter()
        .filter(|p| p.auth != AuthMethod::PreShare)
        .collect();
    if usable.is_empty() {
        return Err(Phase1Outcome::NoKey {
            side: Side::Initiator,
            for_addr: resp_addr,
            checks: Vec::new(),
        });
    }
    Ok(usable)
}

/// Step 3 for one pair: the offered transform against one of the responder's policies.
pub fn check_transform(
    offered_transform: usize,
    offered: &IsakmpPolicy,
    local: &IsakmpPolicy,
    responder_has_key: bool,
) -> PolicyCheck {
    const ORDER: [Attr; 5] = [
        Attr::Encryption,
        Attr::Hash,
        Attr::Auth,
        Attr::Group,
        Attr::Lifetime,
    ];
    let differences: Vec<AttrMismatch> = ORDER
        .iter()
        .map(|&attr| AttrMismatch {
            attr,
            offered: AttrValue::of(offered, attr),
            local: AttrValue::of(local, attr),
        })
        .filter(|m| m.offered != m.local)
        .collect();
    let first_blocking = differences
        .iter()
        .find(|d| d.attr != Attr::Lifetime)
        .copied();
    let result = match first_blocking {
        Some(m) => CheckResult::Mismatch(m),
        None if local.auth == AuthMethod::PreShare && !responder_has_key => {
            CheckResult::NoPresharedKey
        }
        None => CheckResult::Accepted,
    };
    PolicyCheck {
        offered_transform,
        offered_priority: offered.priority,
        responder_priority: local.priority,
        result,
        differences,
    }
}

/// Step 3: the responder takes its policies by priority (its default suite last) and, for
/// each, looks through the offered transforms; the first acceptable pair wins.
pub fn choose_policy<'o>(
    offer: &'o [IsakmpPolicy],
    responder: &RunningConfig,
    responder_has_key: bool,
) -> (Option<(&'o IsakmpPolicy, IsakmpPolicy)>, Vec<PolicyCheck>) {
    let mut checks = Vec::new();
    for local in responder.policies_with_default() {
        for (i, offered) in offer.iter().enumerate() {
            let check = check_transform(i + 1, offered, &local, responder_has_key);
            let accepted = check.result == CheckResult::Accepted;
            checks.push(check);
            if accepted {
                return (Some((offered, local)), checks);
            }
        }
    }
    (None, checks)
}

/// Step 4: the agreed attributes; lifetimes may differ and the lower one is used.
fn agree(offered: &IsakmpPolicy, local: IsakmpPolicy, checks: Vec<PolicyCheck>) -> Agreement {
    Agreement {
        initiator_priority: offered.priority,
        responder_priority: local.priority,
        encryption: local.encryption,
        hash: local.hash,
        auth: local.auth,
        group: local.group,
        offered_lifetime: offered.lifetime,
        responder_lifetime: local.lifetime,
        lifetime: offered.lifetime.min(local.lifetime),
        lifetime_differs: offered.lifetime != local.lifetime,
        checks,
    }
}

/// Step 5: both keys in clear → equal or not; an encrypted one cannot be judged.
fn compare_keys(agreement: Agreement, i: &PresharedKey, r: &PresharedKey) -> Phase1Outcome {
    let (initiator_line, responder_line) = (i.key.line, r.key.line);
    let clear = |c: &Credential| c.kind == 0;
    if !clear(&i.key) || !clear(&r.key) {
        return Phase1Outcome::Agreed {
            agreement,
            key: KeyCheck::Unverifiable {
                initiator_line,
                responder_line,
            },
        };
    }
    if i.key.secret == r.key.secret {
        Phase1Outcome::Agreed {
            agreement,
            key: KeyCheck::Equal {
                initiator_line,
                responder_line,
            },
        }
    } else {
        Phase1Outcome::KeyMismatch {
            agreement,
            initiator_key_line: initiator_line,
            responder_key_line: responder_line,
        }
    }
}

/// The policy pair that is nearest to agreeing, and the two ways to make it agree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClosestMismatch {
    pub initiator_priority: u32,
    pub responder_priority: u32,
    /// The attributes that reject the pair (lifetime is reported apart: it never rejects).
    pub differences: Vec<AttrMismatch>,
    pub lifetime: Option<AttrMismatch>,
    /// Config lines for the initiator that make its policy equal to the responder's.
    pub fix_on_initiator: Vec<String>,
    /// Config lines for the responder that make its policy equal to the offered one.
    pub fix_on_responder: Vec<String>,
}

/// Which attributes keep the two routers apart: the checked pair with the fewest blocking
/// differences (the earliest such pair on a tie, i.e. the responder's preferred policy).
/// `None` when no check had a blocking difference (nothing to change in the policies).
pub fn closest_mismatch(checks: &[PolicyCheck]) -> Option<ClosestMismatch> {
    let best = checks
        .iter()
        .filter(|c| c.blocking().next().is_some())
        .min_by_key(|c| c.blocking().count())?;
    let differences: Vec<AttrMismatch> = best.blocking().copied().collect();
    let fix_on_initiator = policy_fix(best.offered_priority, differences.iter().map(|d| d.local));
    // The built-in default suite cannot be edited: the responder needs a policy of its own.
    let fix_on_responder = if best.responder_priority == DEFAULT_SUITE_PRIORITY {
        let used: Vec<u32> = checks.iter().map(|c| c.responder_priority).collect();
        let free = (1..)
            .map(|k| k * 10)
            .find(|p| !used.contains(p))
            .unwrap_or(10);
        let all = [Attr::Encryption, Attr::Hash, Attr::Auth, Attr::Group]
            .into_iter()
            .map(|a| offered_value(best, a));
        policy_fix(free, all)
    } else {
        policy_fix(
            best.responder_priority,
            differences.iter().map(|d| d.offered),
        )
    };
    Some(ClosestMismatch {
        initiator_priority: best.offered_priority,
        responder_priority: best.responder_priority,
        differences,
        lifetime: best
            .differences
            .iter()
            .find(|d| d.attr == Attr::Lifetime)
            .copied(),
        fix_on_initiator,
        fix_on_responder,
    })
}

/// The offered value of an attribute: from the difference when it differs, otherwise the
/// default suite's (the two are equal then).
fn offered_value(check: &PolicyCheck, attr: Attr) -> AttrValue {
    check
        .differences
        .iter()
        .find(|d| d.attr == attr)
        .map_or_else(
            || AttrValue::of(&IsakmpPolicy::default_suite(), attr),
            |d| d.offered,
        )
}

fn policy_fix(priority: u32, values: impl Iterator<Item = AttrValue>) -> Vec<String> {
    std::iter::once(format!("crypto isakmp policy {priority}"))
        .chain(values.map(|v| format!(" {}", v.config_line())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{R1, R1_ADDR, R2, R2_ADDR, cfg, edit, ip};
    use super::*;

    fn run(r1: &str, r2: &str) -> Phase1Outcome {
        phase1(&cfg(r1), ip(R1_ADDR), &cfg(r2), ip(R2_ADDR))
    }

    /// The attribute IOS names when the one policy pair disagrees, and the closest pair's fix.
    fn rejected_on(r2: &str) -> (Attr, ClosestMismatch) {
        let out = run(R1, r2);
        let Phase1Outcome::NoProposalChosen { checks } = &out else {
            panic!("expected no proposal chosen, got {out:?}");
        };
        let Some(CheckResult::Mismatch(m)) = checks.first().map(|c| c.result) else {
            panic!("first check did not fail on an attribute: {checks:?}");
        };
        (m.attr, closest_mismatch(checks).unwrap())
    }

    #[test]
    fn healthy_pair_agrees() {
        let out = run(R1, R2);
        let Phase1Outcome::Agreed { agreement, key } = &out else {
            panic!("{out:?}");
        };
        assert_eq!(
            (agreement.initiator_priority, agreement.responder_priority),
            (10, 10)
        );
        assert_eq!(agreement.lifetime, 28800);
        assert!(!agreement.lifetime_differs);
        assert_eq!(agreement.checks.len(), 1);
        assert_eq!(
            *key,
            KeyCheck::Equal {
                initiator_line: 30,
                responder_line: 15
            }
        );
        assert!(closest_mismatch(out.checks()).is_none());
    }

    #[test]
    fn auth_mismatch() {
        let r2 = edit(R2, " authentication pre-share", " authentication rsa-sig");
        let (attr, fix) = rejected_on(&r2);
        assert_eq!(attr, Attr::Auth);
        assert_eq!((fix.initiator_priority, fix.responder_priority), (10, 10));
        assert_eq!(fix.differences.len(), 1);
        assert_eq!(
            fix.fix_on_initiator,
            ["crypto isakmp policy 10", " authentication rsa-sig"]
        );
        assert_eq!(
            fix.fix_on_responder,
            ["crypto isakmp policy 10", " authentication pre-share"]
        );
    }

    #[test]
    fn encryption_mismatch() {
        let r2 = edit(R2, " encr aes 256", " encr 3des");
        let (attr, fix) = rejected_on(&r2);
        assert_eq!(attr, Attr::Encryption);
        assert_eq!(
            fix.fix_on_responder,
            ["crypto isakmp policy 10", " encryption aes 256"]
        );
        assert_eq!(
            fix.fix_on_initiator,
            ["crypto isakmp policy 10", " encryption 3des"]
        );
    }

    #[test]
    fn hash_mismatch() {
        let r2 = edit(R2, " hash sha256", " hash md5");
        let (attr, fix) = rejected_on(&r2);
        assert_eq!(attr, Attr::Hash);
        assert_eq!(
            fix.fix_on_initiator,
            ["crypto isakmp policy 10", " hash md5"]
        );
    }

    #[test]
    fn dh_group_mismatch() {
        let r2 = edit(R2, " group 14", " group 5");
        let (attr, fix) = rejected_on(&r2);
        assert_eq!(attr, Attr::Group);
        assert_eq!(fix.differences[0].offered, AttrValue::Group(DhGroup(14)));
        assert_eq!(fix.differences[0].local, AttrValue::Group(DhGroup(5)));
    }

    #[test]
    fn several_differences_are_all_listed_but_ios_names_the_first() {
        let r2 = edit(R2, " hash sha256", " hash md5");
        let r2 = edit(&r2, " group 14", " group 2");
        let (attr, fix) = rejected_on(&r2);
        assert_eq!(attr, Attr::Hash);
        let attrs: Vec<Attr> = fix.differences.iter().map(|d| d.attr).collect();
        assert_eq!(attrs, [Attr::Hash, Attr::Group]);
        assert_eq!(
            fix.fix_on_initiator,
            ["crypto isakmp policy 10", " hash md5", " group 2"]
        );
    }

    #[test]
    fn lifetime_difference_is_only_a_warning() {
        // R2 back to the default lifetime: show run then omits the line.
        let r2 = edit(R2, " lifetime 28800\n", "");
        let out = run(R1, &r2);
        let a = out.agreement().unwrap();
        assert!(out.is_up());
        assert!(a.lifetime_differs);
        assert_eq!(
            (a.offered_lifetime, a.responder_lifetime, a.lifetime),
            (28800, 86400, 28800)
        );
        assert_eq!(a.checks[0].differences[0].attr, Attr::Lifetime);
    }

    #[test]
    fn psk_missing_on_initiator() {
        let r1 = edit(R1, "crypto isakmp key cisco123 address 203.0.113.2\n", "");
        assert_eq!(
            run(&r1, R2),
            Phase1Outcome::NoKey {
                side: Side::Initiator,
                for_addr: ip(R2_ADDR),
                checks: vec![]
            }
        );
    }

    #[test]
    fn psk_missing_on_responder() {
        let r2 = edit(R2, "crypto isakmp key cisco123 address 203.0.113.1\n", "");
        let out = run(R1, &r2);
        let Phase1Outcome::NoKey {
            side,
            for_addr,
            checks,
        } = &out
        else {
            panic!("{out:?}");
        };
        assert_eq!((*side, *for_addr), (Side::Responder, ip(R1_ADDR)));
        assert_eq!(checks[0].result, CheckResult::NoPresharedKey);
        // The default suite (rsa-sig) was tried too and refused on encryption.
        assert_eq!(checks.len(), 2);
        assert_eq!(checks[1].responder_priority, 65535);
    }

    #[test]
    fn psk_for_another_address_is_missing() {
        let r2 = edit(R2, "address 203.0.113.1\n", "address 203.0.113.10\n");
        assert!(matches!(
            run(R1, &r2),
            Phase1Outcome::NoKey {
                side: Side::Responder,
                ..
            }
        ));
    }

    #[test]
    fn psk_different() {
        let r2 = edit(R2, "key cisco123 address", "key cisco124 address");
        let out = run(R1, &r2);
        assert!(matches!(
            out,
            Phase1Outcome::KeyMismatch {
                initiator_key_line: 30,
                responder_key_line: 15,
                ..
            }
        ));
        let shown = format!("{out:?}") + &serde_json::to_string(&out).unwrap();
        assert!(!shown.contains("cisco12"));
    }

    #[test]
    fn encrypted_keys_cannot_be_compared() {
        let r2 = edit(
            R2,
            "key cisco123 address",
            "key 6 FLgBaJHXdYY_AcHZZMgQ address",
        );
        let out = run(R1, &r2);
        assert!(matches!(
            out,
            Phase1Outcome::Agreed {
                key: KeyCheck::Unverifiable { .. },
                ..
            }
        ));
    }

    #[test]
    fn isakmp_disabled_on_either_side() {
        let r2 = edit(R2, "hostname R2\n", "hostname R2\nno crypto isakmp\n");
        assert_eq!(
            run(R1, &r2),
            Phase1Outcome::IsakmpDisabled {
                side: Side::Responder,
                line: Some(6)
            }
        );
        let r1 = edit(R1, "hostname R1\n", "hostname R1\nno crypto isakmp\n");
        assert!(matches!(
            run(&r1, R2),
            Phase1Outcome::IsakmpDisabled {
                side: Side::Initiator,
                ..
            }
        ));
    }

    #[test]
    fn defaults_apply_when_lines_are_absent() {
        let bare = |c: &str| {
            edit(
                c,
                " encr aes 256\n hash sha256\n authentication pre-share\n group 14\n lifetime 28800\n",
                " authentication pre-share\n",
            )
        };
        let out = run(&bare(R1), &bare(R2));
        let a = out.agreement().unwrap();
        assert!(out.is_up());
        assert_eq!(
            (a.encryption, a.hash, a.group, a.lifetime),
            (Encryption::Des, Hash::Sha, DhGroup(1), 86400)
        );
        // Defaults on one side only: R2's policy is des/sha/group 1, R1 offers aes/sha256/14.
        let (attr, fix) = rejected_on(&bare(R2));
        assert_eq!(attr, Attr::Encryption);
        let attrs: Vec<Attr> = fix.differences.iter().map(|d| d.attr).collect();
        assert_eq!(attrs, [Attr::Encryption, Attr::Hash, Attr::Group]);
    }

    #[test]
    fn a_later_policy_matches() {
        let r1 = edit(
            R1,
            "crypto isakmp key",
            "crypto isakmp policy 20\n encr 3des\n hash md5\n authentication pre-share\n group 2\ncrypto isakmp key",
        );
        let r2 = edit(R2, " encr aes 256\n hash sha256", " encr 3des\n hash md5");
        let r2 = edit(&r2, " group 14", " group 2");
        let out = run(&r1, &r2);
        let a = out.agreement().unwrap();
        assert!(out.is_up(), "{out:?}");
        assert_eq!((a.initiator_priority, a.responder_priority), (20, 10));
        assert_eq!(a.checks.len(), 2);
        assert_eq!(a.checks[0].offered_transform, 1);
        assert!(
            matches!(a.checks[0].result, CheckResult::Mismatch(m) if m.attr == Attr::Encryption)
        );
        assert_eq!(a.checks[1].offered_transform, 2);
        assert_eq!(a.checks[1].result, CheckResult::Accepted);
    }

    #[test]
    fn responder_priority_decides_between_two_acceptable_pairs() {
        let extra =
            "crypto isakmp policy 5\n encr 3des\n authentication pre-share\ncrypto isakmp key";
        let r1 = edit(R1, "crypto isakmp key", extra);
        let r2 = edit(R2, "crypto isakmp key", extra);
        let a = run(&r1, &r2).agreement().cloned().unwrap();
        assert_eq!((a.initiator_priority, a.responder_priority), (5, 5));
    }

    #[test]
    fn no_policy_on_responder_uses_the_default_suite_and_fix_adds_one() {
        let r2 = edit(
            R2,
            "crypto isakmp policy 10\n encr aes 256\n hash sha256\n authentication pre-share\n group 14\n lifetime 28800\n",
            "",
        );
        let out = run(R1, &r2);
        let Phase1Outcome::NoProposalChosen { checks } = &out else {
            panic!("{out:?}");
        };
        assert_eq!(checks.len(), 1);
        assert_eq!(checks[0].responder_priority, 65535);
        let fix = closest_mismatch(checks).unwrap();
        assert_eq!(
            fix.fix_on_responder,
            [
                "crypto isakmp policy 10",
                " encryption aes 256",
                " hash sha256",
                " authentication pre-share",
                " group 14"
            ]
        );
    }
}
