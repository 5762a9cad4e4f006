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
    Authenticated(AuthAgreement),
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
    AuthOutcome::Authenticated(AuthAgreement {
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
    })
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
