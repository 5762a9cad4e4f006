//! IKE_AUTH between two configs, in the order the two routers act (RFC 7296 §1.2, §2.15):
//!
//! 1. the initiator's IKEv2 profile (named by its IPsec profile or crypto map entry) gives the
//!    identity it sends and how it signs;
//! 2. the responder selects its profile by that identity (none: it answers
//!    AUTHENTICATION_FAILED, and IOS logs that it found no matching profile);
//! 3. the responder checks the initiator's proof: the method must be one its profile accepts
//!    (`authentication remote`), the key it verifies with (its keyring peer's `remote` key, or
//!    the single key) must be the one the initiator signed with (the initiator's `local` key);
//! 4. only then does the responder install the child SA and answer with its own identity and
//!    proof; the initiator checks the identity against its profile's `match identity remote`
//!    and the proof the same way as in 3, the other way round.
//!
//! A failure in 4 leaves the responder with SAs the initiator refuses: a half-open tunnel.
//! Each direction is judged on its own ([`Direction`]). Approximations, said aloud:
//! certificate methods are taken to work when both sides agree on them; EAP is not modelled
//! beyond its method; among several profiles matching an identity, the first configured wins.

use super::ikev2::{Ikev2Auth, Ikev2Id, Ikev2Profile, KeyringPeer};
use super::keys::{KeyCompare, compare};
use super::model::{Credential, RunningConfig};
use super::phase1::{KeyCheck, Side};
use serde::Serialize;
use std::net::Ipv4Addr;

/// Whose proof is being checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// The initiator proves itself; the responder checks (step 3).
    InitiatorToResponder,
    /// The responder proves itself; the initiator checks (step 4).
    ResponderToInitiator,
}

impl Direction {
    /// The router that detects a failure in this direction.
    pub fn checker(self) -> Side {
        match self {
            Direction::InitiatorToResponder => Side::Responder,
            Direction::ResponderToInitiator => Side::Initiator,
        }
    }
}

/// A profile's `match identity remote` statements, for reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProfileMatches {
    pub profile: String,
    pub line: usize,
    /// `(statement as written after "match identity remote", line)`.
    pub statements: Vec<(String, usize)>,
}

impl ProfileMatches {
    fn of(p: &Ikev2Profile) -> ProfileMatches {
        ProfileMatches {
            profile: p.name.clone(),
            line: p.line,
            statements: p
                .match_identity
                .iter()
                .map(|(m, l)| (m.to_string(), *l))
                .collect(),
        }
    }
}

/// What both sides settled on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuthAgreement {
    pub initiator_profile: String,
    pub responder_profile: String,
    pub initiator_id: Ikev2Id,
    pub responder_id: Ikev2Id,
    pub initiator_method: Ikev2Auth,
    pub responder_method: Ikev2Auth,
    /// The keys of each direction (`NotUsed` for certificates).
    pub initiator_key: KeyCheck,
    pub responder_key: KeyCheck,
    pub initiator_lifetime: u32,
    pub responder_lifetime: u32,
    /// IKEv2 does not negotiate lifetimes: each side rekeys at its own, so the lower one
    /// decides when the IKE SA is renewed.
    pub lifetime: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthOutcome {
    /// The initiator's IPsec profile or crypto map entry names no IKEv2 profile that exists.
    NoInitiatorProfile {
        name: String,
    },
    /// A profile lacks `authentication local` or `authentication remote`.
    ProfileIncomplete {
        side: Side,
        profile: String,
        line: usize,
        missing: Vec<&'static str>,
    },
    /// No profile of the responder matches the identity the initiator sent.
    NoProfileMatched {
        identity: Ikev2Id,
        /// Where the initiator's identity comes from (`identity local` line, 0: its address).
        identity_line: usize,
        local: Ipv4Addr,
        profiles: Vec<ProfileMatches>,
    },
    /// The responder's identity is not one the initiator's profile accepts.
    ResponderIdentityRejected {
        identity: Ikev2Id,
        identity_line: usize,
        profile: ProfileMatches,
    },
    /// The method one side signs with is not one the other accepts.
    AuthMethodMismatch {
        direction: Direction,
        /// `authentication local` of the signer.
        sent: Ikev2Auth,
        sent_line: usize,
        /// `authentication remote` of the checker.
        accepted: Vec<(Ikev2Auth, usize)>,
        signer_profile: String,
        checker_profile: String,
    },
    /// Pre-share, but one side has no key for the other.
    NoKey {
        side: Side,
        direction: Direction,
        profile: String,
        keyring: Option<String>,
        peer: Ipv4Addr,
        identity: Option<Ikev2Id>,
    },
    /// The key one side signs with is not the one the other verifies with.
    KeyMismatch {
        direction: Direction,
        signer_line: usize,
        verifier_line: usize,
        /// Both routers wrote their `local` and `remote` keys the same way round (each
        /// signs with the key the other signs with): one side must swap them.
        swapped: bool,
    },
    Authenticated(Box<AuthAgreement>),
}

impl AuthOutcome {
    pub fn agreement(&self) -> Option<&AuthAgreement> {
        match self {
            AuthOutcome::Authenticated(a) => Some(a),
            _ => None,
        }
    }

    /// Did the responder accept the initiator (and so install its side of the child SA)?
    /// Failures the initiator finds in the responder's answer come after that.
    pub fn responder_accepted(&self) -> bool {
        match self {
            AuthOutcome::Authenticated(_) | AuthOutcome::ResponderIdentityRejected { .. } => true,
            AuthOutcome::AuthMethodMismatch { direction, .. }
            | AuthOutcome::KeyMismatch { direction, .. }
            | AuthOutcome::NoKey { direction, .. } => *direction == Direction::ResponderToInitiator,
            _ => false,
        }
    }
}

/// One side of the exchange: its config, address and profile.
struct Party<'a> {
    cfg: &'a RunningConfig,
    addr: Ipv4Addr,
    profile: &'a Ikev2Profile,
    side: Side,
}

impl Party<'_> {
    fn identity(&self) -> (Ikev2Id, usize) {
        let line = self.profile.identity_local.as_ref().map_or(0, |(_, l)| *l);
        (self.profile.identity(self.addr), line)
    }

    fn method(&self) -> (Ikev2Auth, usize) {
        // `usable` made sure the profile has a local method.
        self.profile
            .auth_local
            .unwrap_or((Ikev2Auth::PreShare, self.profile.line))
    }

    fn keyring_name(&self) -> Option<String> {
        self.profile.keyring.as_ref().map(|(n, _)| n.clone())
    }

    /// The keyring peer for the other side: by its address on the initiator; by the
    /// identity it sent, then its address, on the responder.
    fn peer_entry(&self, other: Ipv4Addr, other_id: &Ikev2Id) -> Option<&KeyringPeer> {
        let (name, _) = self.profile.keyring.as_ref()?;
        let ring = self.cfg.ikev2_keyring(name)?;
        match self.side {
            Side::Initiator => ring.peer_for_address(other),
            Side::Responder => ring.peer_for_identity(other_id, other),
        }
    }
}

/// IKE_AUTH from `initiator` at `init_addr`, using its IKEv2 profile `profile`, to
/// `responder` at `resp_addr`.
pub fn ike_auth(
    initiator: &RunningConfig,
    init_addr: Ipv4Addr,
    profile: &str,
    responder: &RunningConfig,
    resp_addr: Ipv4Addr,
) -> AuthOutcome {
    let Some(init_profile) = initiator.ikev2_profile(profile) else {
        return AuthOutcome::NoInitiatorProfile {
            name: profile.to_string(),
        };
    };
    if let Err(o) = usable(init_profile, Side::Initiator) {
        return o;
    }
    let i = Party {
        cfg: initiator,
        addr: init_addr,
        profile: init_profile,
        side: Side::Initiator,
    };
    let r = match responder_profile(&i, responder, resp_addr) {
        Ok(p) => Party {
            cfg: responder,
            addr: resp_addr,
            profile: p,
            side: Side::Responder,
        },
        Err(o) => return o,
    };
    if let Err(o) = usable(r.profile, Side::Responder) {
        return o;
    }
    let initiator_key = match proof(&i, &r, Direction::InitiatorToResponder) {
        Ok(k) => k,
        Err(o) => return o,
    };
    if let Err(o) = responder_identity(&i, &r) {
        return o;
    }
    let responder_key = match proof(&r, &i, Direction::ResponderToInitiator) {
        Ok(k) => k,
        Err(o) => return o,
    };
    AuthOutcome::Authenticated(Box::new(AuthAgreement {
        initiator_profile: i.profile.name.clone(),
        responder_profile: r.profile.name.clone(),
        initiator_id: i.identity().0,
        responder_id: r.identity().0,
        initiator_method: i.method().0,
        responder_method: r.method().0,
        initiator_key,
        responder_key,
        initiator_lifetime: i.profile.lifetime,
        responder_lifetime: r.profile.lifetime,
        lifetime: i.profile.lifetime.min(r.profile.lifetime),
    }))
}

/// Step 1 (and again for the responder's choice): a profile IOS can authenticate with.
pub fn usable(profile: &Ikev2Profile, side: Side) -> Result<(), AuthOutcome> {
    let missing = profile.missing();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(AuthOutcome::ProfileIncomplete {
            side,
            profile: profile.name.clone(),
            line: profile.line,
            missing,
        })
    }
}

/// Step 2: the responder's profile for the identity the initiator sends.
fn responder_profile<'r>(
    i: &Party<'_>,
    responder: &'r RunningConfig,
    resp_addr: Ipv4Addr,
) -> Result<&'r Ikev2Profile, AuthOutcome> {
    let (identity, identity_line) = i.identity();
    responder
        .ikev2_profiles_for(&identity, resp_addr)
        .first()
        .copied()
        .ok_or_else(|| AuthOutcome::NoProfileMatched {
            identity,
            identity_line,
            local: resp_addr,
            profiles: responder
                .ikev2
                .profiles
                .iter()
                .map(ProfileMatches::of)
                .collect(),
        })
}

/// Step 4's first check: the initiator accepts the responder's identity only if its own
/// profile matches it.
fn responder_identity(i: &Party<'_>, r: &Party<'_>) -> Result<(), AuthOutcome> {
    let (identity, identity_line) = r.identity();
    if i.profile
        .match_identity
        .iter()
        .any(|(m, _)| m.matches(&identity))
    {
        Ok(())
    } else {
        Err(AuthOutcome::ResponderIdentityRejected {
            identity,
            identity_line,
            profile: ProfileMatches::of(i.profile),
        })
    }
}

/// Steps 3 and 4: `signer`'s proof checked by `checker`: the method, then the keys.
fn proof(
    signer: &Party<'_>,
    checker: &Party<'_>,
    direction: Direction,
) -> Result<KeyCheck, AuthOutcome> {
    let (method, sent_line) = signer.method();
    if !checker.profile.accepts_remote(method) {
        return Err(AuthOutcome::AuthMethodMismatch {
            direction,
            sent: method,
            sent_line,
            accepted: checker.profile.auth_remote.clone(),
            signer_profile: signer.profile.name.clone(),
            checker_profile: checker.profile.name.clone(),
        });
    }
    if method != Ikev2Auth::PreShare {
        return Ok(KeyCheck::NotUsed);
    }
    let (signer_id, _) = signer.identity();
    let (checker_id, _) = checker.identity();
    let signing = signer
        .peer_entry(checker.addr, &checker_id)
        .and_then(|p| p.keys.signing());
    let Some(signing) = signing else {
        return Err(no_key(signer, checker.addr, None, direction));
    };
    let verifying_peer = checker.peer_entry(signer.addr, &signer_id);
    let Some(verifying) = verifying_peer.and_then(|p| p.keys.verifying()) else {
        let id = (checker.side == Side::Responder).then_some(signer_id);
        return Err(no_key(checker, signer.addr, id, direction));
    };
    let (initiator_line, responder_line) = match direction {
        Direction::InitiatorToResponder => (signing.line, verifying.line),
        Direction::ResponderToInitiator => (verifying.line, signing.line),
    };
    match compare(signing, verifying) {
        KeyCompare::Equal => Ok(KeyCheck::Equal {
            initiator_line,
            responder_line,
        }),
        KeyCompare::Unverifiable => Ok(KeyCheck::Unverifiable {
            initiator_line,
            responder_line,
        }),
        KeyCompare::Different => Err(AuthOutcome::KeyMismatch {
            direction,
            signer_line: signing.line,
            verifier_line: verifying.line,
            swapped: swapped(signer, checker),
        }),
    }
}

fn no_key(
    who: &Party<'_>,
    peer: Ipv4Addr,
    identity: Option<Ikev2Id>,
    direction: Direction,
) -> AuthOutcome {
    AuthOutcome::NoKey {
        side: who.side,
        direction,
        profile: who.profile.name.clone(),
        keyring: who.keyring_name(),
        peer,
        identity,
    }
}

/// Each router signs with the key the other also signs with (and verifies with the key the
/// other verifies with): `local` and `remote` are the same way round on both, not mirrored.
fn swapped(signer: &Party<'_>, checker: &Party<'_>) -> bool {
    let (signer_id, _) = signer.identity();
    let (checker_id, _) = checker.identity();
    let keys = |p: &Party<'_>, other: Ipv4Addr, id: &Ikev2Id| {
        p.peer_entry(other, id)
            .map(|e| (e.keys.local.clone(), e.keys.remote.clone()))
    };
    let same = |a: &Option<Credential>, b: &Option<Credential>| match (a, b) {
        (Some(a), Some(b)) => compare(a, b) == KeyCompare::Equal,
        _ => false,
    };
    match (
        keys(signer, checker.addr, &checker_id),
        keys(checker, signer.addr, &signer_id),
    ) {
        (Some((sl, sr)), Some((cl, cr))) => same(&sl, &cl) && same(&sr, &cr),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{R1_ADDR, R2_ADDR, V2_R1, V2_R2, cfg, edit, ip};
    use super::*;

    fn run(r1: &str, r2: &str) -> AuthOutcome {
        ike_auth(&cfg(r1), ip(R1_ADDR), "PROF", &cfg(r2), ip(R2_ADDR))
    }

    #[test]
    fn healthy_pair_authenticates_both_ways() {
        let out = run(V2_R1, V2_R2);
        let a = out.agreement().unwrap();
        assert_eq!(
            (a.initiator_id.clone(), a.responder_id.clone()),
            (Ikev2Id::Address(ip(R1_ADDR)), Ikev2Id::Address(ip(R2_ADDR)))
        );
        // My local key is your remote key: R1 signs with its line 30, R2 verifies with its
        // line 16; R2 signs with its line 15, R1 verifies with its line 31.
        assert_eq!(
            a.initiator_key,
            KeyCheck::Equal {
                initiator_line: 30,
                responder_line: 16
            }
        );
        assert_eq!(
            a.responder_key,
            KeyCheck::Equal {
                initiator_line: 31,
                responder_line: 15
            }
        );
        assert_eq!(a.lifetime, 28800);
        assert!(out.responder_accepted());
        let shown = format!("{out:?}") + &serde_json::to_string(&out).unwrap();
        assert!(!shown.contains("signs-with-this"));
    }

    #[test]
    fn one_key_both_ways_differs() {
        let single = |c: &str, key: &str| {
            let c = edit(c, "  pre-shared-key local ", "  pre-shared-key ");
            let start = c.find("  pre-shared-key ").unwrap();
            let end = start + c[start..].find(" !\n").unwrap();
            format!("{}  pre-shared-key {key}\n{}", &c[..start], &c[end..])
        };
        let ok = run(&single(V2_R1, "Shared-1"), &single(V2_R2, "Shared-1"));
        assert!(ok.agreement().is_some(), "{ok:?}");
        let out = run(&single(V2_R1, "Shared-1"), &single(V2_R2, "Shared-2"));
        assert_eq!(
            out,
            AuthOutcome::KeyMismatch {
                direction: Direction::InitiatorToResponder,
                signer_line: 30,
                verifier_line: 15,
                swapped: false
            }
        );
        assert!(!out.responder_accepted());
        assert_eq!(Direction::InitiatorToResponder.checker(), Side::Responder);
    }

    #[test]
    fn asymmetric_keys_swapped_on_one_side() {
        // R2 wrote its keys the same way round as R1 instead of mirrored.
        let r2 = edit(
            V2_R2,
            "local R2-signs-with-this",
            "local R1-signs-with-this",
        );
        let r2 = edit(
            &r2,
            "remote R1-signs-with-this",
            "remote R2-signs-with-this",
        );
        let out = run(V2_R1, &r2);
        assert_eq!(
            out,
            AuthOutcome::KeyMismatch {
                direction: Direction::InitiatorToResponder,
                signer_line: 30,
                verifier_line: 16,
                swapped: true
            }
        );
    }

    #[test]
    fn only_the_responders_proof_fails_half_open() {
        // R1 checks R2 with a key R2 does not sign with: R2 accepted R1 and installed SAs.
        let r1 = edit(V2_R1, "remote R2-signs-with-this", "remote stale-key");
        let out = run(&r1, V2_R2);
        assert!(matches!(
            out,
            AuthOutcome::KeyMismatch {
                direction: Direction::ResponderToInitiator,
                signer_line: 15,
                verifier_line: 31,
                swapped: false
            }
        ));
        assert!(out.responder_accepted());
    }

    #[test]
    fn no_profile_matches_the_initiators_identity() {
        let r2 = edit(
            V2_R2,
            " match identity remote address 203.0.113.1 255.255.255.255",
            " match identity remote address 203.0.113.11 255.255.255.255",
        );
        let out = run(V2_R1, &r2);
        let AuthOutcome::NoProfileMatched {
            identity,
            identity_line,
            local,
            profiles,
        } = &out
        else {
            panic!("{out:?}");
        };
        assert_eq!(
            (identity.clone(), *identity_line, *local),
            (Ikev2Id::Address(ip(R1_ADDR)), 36, ip(R2_ADDR))
        );
        assert_eq!(
            profiles[0].statements,
            [("address 203.0.113.11".to_string(), 20)]
        );
        // An FQDN identity the responder only matches by address: also no profile.
        let r1 = edit(
            V2_R1,
            " identity local address 203.0.113.1",
            " identity local fqdn r1.example.net",
        );
        assert!(matches!(
            run(&r1, V2_R2),
            AuthOutcome::NoProfileMatched { .. }
        ));
        let r2 = edit(
            V2_R2,
            " match identity remote address 203.0.113.1 255.255.255.255",
            " match identity remote fqdn domain example.net",
        );
        assert!(run(&r1, &r2).agreement().is_some());
    }

    #[test]
    fn responder_identity_not_matched_by_the_initiators_profile() {
        let r2 = edit(
            V2_R2,
            " identity local address 203.0.113.2",
            " identity local fqdn r2.example.net",
        );
        let out = run(V2_R1, &r2);
        let AuthOutcome::ResponderIdentityRejected {
            identity,
            identity_line,
            profile,
        } = &out
        else {
            panic!("{out:?}");
        };
        assert_eq!(
            (identity.clone(), *identity_line),
            (Ikev2Id::Fqdn("r2.example.net".into()), 21)
        );
        assert_eq!(profile.profile, "PROF");
        assert!(
            out.responder_accepted(),
            "the responder had already answered"
        );
    }

    #[test]
    fn authentication_method_per_direction() {
        let r2 = edit(
            V2_R2,
            " authentication remote pre-share",
            " authentication remote rsa-sig",
        );
        let out = run(V2_R1, &r2);
        let AuthOutcome::AuthMethodMismatch {
            direction,
            sent,
            sent_line,
            accepted,
            ..
        } = &out
        else {
            panic!("{out:?}");
        };
        assert_eq!(
            (*direction, *sent, *sent_line),
            (Direction::InitiatorToResponder, Ikev2Auth::PreShare, 38)
        );
        assert_eq!(accepted, &[(Ikev2Auth::RsaSig, 22)]);
        // The other way: R2 signs with certificates R1 does not accept.
        let r2 = edit(
            V2_R2,
            " authentication local pre-share",
            " authentication local rsa-sig",
        );
        let out = run(V2_R1, &r2);
        assert!(matches!(
            out,
            AuthOutcome::AuthMethodMismatch {
                direction: Direction::ResponderToInitiator,
                sent: Ikev2Auth::RsaSig,
                ..
            }
        ));
        // Certificates both ways where both accept them: no key takes part.
        let certs = |c: &str| {
            let c = edit(
                c,
                " authentication remote pre-share",
                " authentication remote rsa-sig",
            );
            edit(
                &c,
                " authentication local pre-share",
                " authentication local rsa-sig",
            )
        };
        let a = run(&certs(V2_R1), &certs(V2_R2));
        assert_eq!(
            a.agreement().map(|a| a.initiator_key.clone()),
            Some(KeyCheck::NotUsed)
        );
    }

    #[test]
    fn missing_keys_and_profiles() {
        let r2 = edit(
            V2_R2,
            "  address 203.0.113.1\n",
            "  address 203.0.113.100\n",
        );
        assert!(matches!(
            run(V2_R1, &r2),
            AuthOutcome::NoKey {
                side: Side::Responder,
                direction: Direction::InitiatorToResponder,
                ..
            }
        ));
        let r1 = edit(V2_R1, "  pre-shared-key local R1-signs-with-this\n", "");
        assert!(matches!(
            run(&r1, V2_R2),
            AuthOutcome::NoKey {
                side: Side::Initiator,
                direction: Direction::InitiatorToResponder,
                ..
            }
        ));
        assert_eq!(
            ike_auth(&cfg(V2_R1), ip(R1_ADDR), "NOPE", &cfg(V2_R2), ip(R2_ADDR)),
            AuthOutcome::NoInitiatorProfile {
                name: "NOPE".into()
            }
        );
        let r2 = edit(V2_R2, " authentication local pre-share\n", "");
        assert!(matches!(
            run(V2_R1, &r2),
            AuthOutcome::ProfileIncomplete {
                side: Side::Responder,
                ..
            }
        ));
    }

    #[test]
    fn responder_finds_keys_by_identity_first() {
        let r1 = edit(
            V2_R1,
            " identity local address 203.0.113.1",
            " identity local key-id BRANCH-1",
        );
        let r2 = edit(
            V2_R2,
            " match identity remote address 203.0.113.1 255.255.255.255",
            " match identity remote key-id BRANCH-1",
        );
        let r2 = edit(
            &r2,
            "  address 203.0.113.1\n",
            "  identity key-id BRANCH-1\n",
        );
        assert!(run(&r1, &r2).agreement().is_some());
    }

    #[test]
    fn encrypted_and_obfuscated_keys() {
        let r2 = edit(
            V2_R2,
            "remote R1-signs-with-this",
            "remote 6 FLgBaJHXdYY_AcHZZMgQ",
        );
        let out = run(V2_R1, &r2);
        assert!(matches!(
            out.agreement().map(|a| &a.initiator_key),
            Some(KeyCheck::Unverifiable { .. })
        ));
        // Type 7 is read: `0822455D0A16` is "cisco".
        let r1 = edit(V2_R1, "local R1-signs-with-this", "local cisco");
        let r2 = edit(V2_R2, "remote R1-signs-with-this", "remote 7 0822455D0A16");
        assert!(matches!(
            run(&r1, &r2).agreement().map(|a| &a.initiator_key),
            Some(KeyCheck::Equal { .. })
        ));
    }

    #[test]
    fn ike_lifetime_lower_wins() {
        let r2 = edit(V2_R2, " lifetime 28800\n", " lifetime 3600\n");
        let a = run(V2_R1, &r2).agreement().cloned().unwrap();
        assert_eq!(
            (a.initiator_lifetime, a.responder_lifetime, a.lifetime),
            (28800, 3600, 3600)
        );
    }
}
