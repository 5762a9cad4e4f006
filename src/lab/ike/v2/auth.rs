//! IKE_AUTH's two halves as either side runs them: proving itself (the identity it sends, the
//! method and key it signs with) and checking the peer's proof, each with the lines IOS prints.
//! The lookups are `crate::ios`'s: a profile's identity and methods, the keyring peer for an
//! address or an identity, a peer's signing and verifying keys.

use super::msg::{KeyProof, Proof};
use super::names;
use super::say::V;
use super::talk::Talk2;
use crate::ios::ikev2::{Ikev2Auth, Ikev2Id, Ikev2Profile, KeyringPeer};
use crate::ios::keys::{KeyCompare, readable};
use crate::ios::model::{Credential, RunningConfig};
use std::net::Ipv4Addr;

/// How long a key is, as `Use preshared key for id …, key len N` prints it.
fn key_len(c: &Credential) -> usize {
    readable(c).map_or(c.secret.expose().len(), |s| s.expose().len())
}

/// The keyring peer a side uses toward the other: by address on the initiator (it does not
/// know the peer's identity yet), by the identity received, then the address, on the
/// responder. Prints the lookup as IOS does.
pub fn keyring_peer<'c>(
    t: &mut Talk2<'_>,
    cfg: &'c RunningConfig,
    profile: &Ikev2Profile,
    peer: Ipv4Addr,
    peer_id: Option<&Ikev2Id>,
) -> Option<&'c KeyringPeer> {
    let (ring, _) = profile.keyring.as_ref()?;
    t.say(V::GetPsk, &[ring]);
    let entry = cfg.ikev2_keyring(ring).and_then(|r| match peer_id {
        Some(id) => r.peer_for_identity(id, peer),
        None => r.peer_for_address(peer),
    });
    match entry {
        Some(e) => t.say(V::MatchedPeer, &[&e.name]),
        None => t.say(V::NoPeerBlock, &[]),
    }
    entry
}

/// The proof this side sends: its identity, its method and (pre-share) the key it signs
/// with. `None` when it has no key to sign with.
pub fn sign(
    t: &mut Talk2<'_>,
    local: Ipv4Addr,
    profile: &Ikev2Profile,
    entry: Option<&KeyringPeer>,
) -> Option<Proof> {
    let id = profile.identity(local);
    let method = profile.auth_local.map_or(Ikev2Auth::PreShare, |(m, _)| m);
    t.say(V::CheckEap, &[]);
    t.say(V::GenMyAuth, &[]);
    let key = if method == Ikev2Auth::PreShare {
        let Some(k) = entry.and_then(|e| e.keys.signing()) else {
            t.say(V::LocateFailed, &[]);
            return None;
        };
        t.say(V::UsePsk, &[&names::identity_value(&id), &key_len(k)]);
        Some(KeyProof::Key(k.clone()))
    } else {
        None
    };
    t.say(V::GenAuthData, &[]);
    t.say(V::GenAuthPassed, &[]);
    t.say(V::GetMyMethod, &[]);
    t.say(V::MyMethod, &[&names::method(method)]);
    Some(Proof { id, method, key })
}

/// Why a peer's proof was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Method,
    NoKey,
    Key,
}

/// Checks the peer's proof with this side's profile and keyring entry.
pub fn verify(
    t: &mut Talk2<'_>,
    profile: &Ikev2Profile,
    entry: Option<&KeyringPeer>,
    proof: &Proof,
) -> Result<(), Refusal> {
    t.say(V::GetPeerMethod, &[]);
    t.say(V::PeerMethod, &[&names::method(proof.method)]);
    if !profile.accepts_remote(proof.method) {
        t.say(V::MethodMismatch, &[]);
        return Err(Refusal::Method);
    }
    if proof.method == Ikev2Auth::PreShare {
        let id = names::identity_value(&proof.id);
        t.say(V::GetPeerPsk, &[&id]);
        t.say(V::VerifyPeerAuth, &[]);
        let Some(mine) = entry.and_then(|e| e.keys.verifying()) else {
            t.say(V::LocateFailed, &[]);
            return Err(Refusal::NoKey);
        };
        t.say(V::UsePsk, &[&id, &key_len(mine)]);
        t.say(V::GenAuthData, &[]);
        t.say(V::GenAuthPassed, &[]);
        let same = proof
            .key
            .as_ref()
            .map_or(KeyCompare::Different, |k| k.compare(mine));
        if same == KeyCompare::Different {
            t.say(V::AuthFailed, &[]);
            t.say(V::FailedAuthenticate, &[]);
            return Err(Refusal::Key);
        }
    }
    t.say(V::AuthPassed, &[]);
    Ok(())
}
