//! IKEv2 configuration as IOS keeps it (FlexVPN's building blocks) and the lookups IOS makes
//! over it:
//!
//! - a **proposal** lists algorithms, several per attribute (`encryption aes-cbc-256
//!   aes-cbc-128`); a proposal is used only through a **policy**, chosen by the local address
//!   the negotiation runs on;
//! - a **keyring** holds peers (by address, host name or IKE identity) and their pre-shared
//!   keys, possibly one to sign with (`local`) and another to verify the peer with (`remote`);
//! - a **profile** is chosen on the responder by the identity the initiator sends, and says how
//!   each side authenticates, which keyring holds the keys, and the IKE SA's lifetime and DPD.
//!
//! What is not modelled: front-door VRFs other than the global table (a policy or profile
//! bound to a named VRF never matches), AAA and certificate-map based lookups (`keyring aaa`,
//! `match certificate`), and key lookups by host name (an initiator whose tunnel destination
//! is a DNS name).

use super::addr::Ipv4Net;
use super::model::{Credential, DhGroup, RunningConfig, word_of};
use super::smart_defaults::{self, DEFAULT};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;
use std::net::Ipv4Addr;

/// An IKEv2 proposal's `encryption` word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum V2Cipher {
    AesCbc128,
    AesCbc192,
    AesCbc256,
    AesGcm128,
    AesGcm256,
    TripleDes,
    Des,
}

pub const V2_CIPHERS: &[(&str, V2Cipher)] = &[
    ("aes-cbc-128", V2Cipher::AesCbc128),
    ("aes-cbc-192", V2Cipher::AesCbc192),
    ("aes-cbc-256", V2Cipher::AesCbc256),
    ("aes-gcm-128", V2Cipher::AesGcm128),
    ("aes-gcm-256", V2Cipher::AesGcm256),
    ("3des", V2Cipher::TripleDes),
    ("des", V2Cipher::Des),
];

impl V2Cipher {
    /// GCM protects integrity itself: a proposal of GCM ciphers has no `integrity` line.
    pub fn is_aead(self) -> bool {
        matches!(self, V2Cipher::AesGcm128 | V2Cipher::AesGcm256)
    }
}

/// An `integrity` or `prf` word (IOS offers the same hashes for both).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum V2Hash {
    Md5,
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

pub const V2_HASHES: &[(&str, V2Hash)] = &[
    ("md5", V2Hash::Md5),
    ("sha1", V2Hash::Sha1),
    ("sha256", V2Hash::Sha256),
    ("sha384", V2Hash::Sha384),
    ("sha512", V2Hash::Sha512),
];

impl fmt::Display for V2Cipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(word_of(V2_CIPHERS, *self))
    }
}

impl fmt::Display for V2Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(word_of(V2_HASHES, *self))
    }
}

/// The attributes of a proposal, in the order IKE_SA_INIT's transforms are listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum V2Attr {
    Encryption,
    Integrity,
    Prf,
    Group,
}

impl V2Attr {
    /// The proposal line that sets it.
    pub fn keyword(self) -> &'static str {
        match self {
            V2Attr::Encryption => "encryption",
            V2Attr::Integrity => "integrity",
            V2Attr::Prf => "prf",
            V2Attr::Group => "group",
        }
    }
}

/// `crypto ikev2 proposal NAME`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ikev2Proposal {
    pub name: String,
    /// In the order configured, which is the order offered.
    pub encryption: Vec<V2Cipher>,
    pub integrity: Vec<V2Hash>,
    /// As configured; see [`Ikev2Proposal::prfs`] for the ones used.
    pub prf: Vec<V2Hash>,
    pub groups: Vec<DhGroup>,
    /// 0 for the smart default.
    pub line: usize,
    /// The line that set each attribute.
    pub attr_lines: BTreeMap<V2Attr, usize>,
}

impl Ikev2Proposal {
    pub fn empty(name: &str, line: usize) -> Ikev2Proposal {
        Ikev2Proposal {
            name: name.to_string(),
            encryption: Vec::new(),
            integrity: Vec::new(),
            prf: Vec::new(),
            groups: Vec::new(),
            line,
            attr_lines: BTreeMap::new(),
        }
    }

    /// The PRFs offered: those configured, else (IOS's rule for a proposal without a `prf`
    /// line) the integrity algorithms.
    pub fn prfs(&self) -> &[V2Hash] {
        if self.prf.is_empty() {
            &self.integrity
        } else {
            &self.prf
        }
    }

    pub fn is_aead(&self) -> bool {
        !self.encryption.is_empty() && self.encryption.iter().all(|c| c.is_aead())
    }

    /// IOS skips a proposal that lacks an encryption, a group, an integrity (unless AEAD) or
    /// a PRF (`show crypto ikev2 proposal` marks it incomplete).
    pub fn is_complete(&self) -> bool {
        !self.encryption.is_empty()
            && !self.groups.is_empty()
            && (self.is_aead() || !self.integrity.is_empty())
            && !self.prfs().is_empty()
    }

    /// The values of one attribute.
    pub fn values(&self, attr: V2Attr) -> V2Values {
        match attr {
            V2Attr::Encryption => V2Values::Encryption(self.encryption.clone()),
            V2Attr::Integrity => V2Values::Integrity(self.integrity.clone()),
            V2Attr::Prf => V2Values::Prf(self.prfs().to_vec()),
            V2Attr::Group => V2Values::Group(self.groups.clone()),
        }
    }
}

/// One attribute's list of values, printable as the proposal line that sets it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum V2Values {
    Encryption(Vec<V2Cipher>),
    Integrity(Vec<V2Hash>),
    Prf(Vec<V2Hash>),
    Group(Vec<DhGroup>),
}

impl V2Values {
    pub fn attr(&self) -> V2Attr {
        match self {
            V2Values::Encryption(_) => V2Attr::Encryption,
            V2Values::Integrity(_) => V2Attr::Integrity,
            V2Values::Prf(_) => V2Attr::Prf,
            V2Values::Group(_) => V2Attr::Group,
        }
    }

    /// `encryption aes-cbc-256 aes-cbc-128`.
    pub fn config_line(&self) -> String {
        format!("{} {self}", self.attr().keyword())
    }
}

impl fmt::Display for V2Values {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn join<T: fmt::Display>(v: &[T]) -> String {
            v.iter()
                .map(|x| x.to_string())
                .collect::<Vec<_>>()
                .join(" ")
        }
        let text = match self {
            V2Values::Encryption(v) => join(v),
            V2Values::Integrity(v) | V2Values::Prf(v) => join(v),
            V2Values::Group(v) => join(v),
        };
        f.write_str(&text)
    }
}

/// Which front-door VRF a policy or profile accepts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Fvrf {
    /// The global routing table (what a policy without `match fvrf` takes).
    Global,
    Any,
    Named(String),
}

impl Fvrf {
    /// Only the global table is modelled.
    pub fn takes_global(&self) -> bool {
        !matches!(self, Fvrf::Named(_))
    }
}

/// `crypto ikev2 policy NAME`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ikev2Policy {
    pub name: String,
    /// `match address local A` lines; none means any local address.
    pub match_local: Vec<Ipv4Addr>,
    pub fvrf: Fvrf,
    /// In the order they are offered.
    pub proposals: Vec<String>,
    /// 0 for the smart default.
    pub line: usize,
}

impl Ikev2Policy {
    pub fn empty(name: &str, line: usize) -> Ikev2Policy {
        Ikev2Policy {
            name: name.to_string(),
            match_local: Vec::new(),
            fvrf: Fvrf::Global,
            proposals: Vec::new(),
            line,
        }
    }

    pub fn takes(&self, local: Ipv4Addr) -> bool {
        self.fvrf.takes_global()
            && (self.match_local.is_empty() || self.match_local.contains(&local))
    }
}

/// An IKE identity (the ID payload), as `identity local …` sends it or a keyring peer's
/// `identity …` names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Ikev2Id {
    Address(Ipv4Addr),
    Fqdn(String),
    Email(String),
    KeyId(String),
    /// The distinguished name of the router's certificate (its value is not in the config).
    Dn,
}

impl fmt::Display for Ikev2Id {
    /// As the config writes it after `identity local`: `address 203.0.113.1`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ikev2Id::Address(a) => write!(f, "address {a}"),
            Ikev2Id::Fqdn(n) => write!(f, "fqdn {n}"),
            Ikev2Id::Email(e) => write!(f, "email {e}"),
            Ikev2Id::KeyId(k) => write!(f, "key-id {k}"),
            Ikev2Id::Dn => f.write_str("dn"),
        }
    }
}

/// The pre-shared keys of one keyring peer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PeerKeys {
    /// `pre-shared-key KEY`: both directions.
    pub both: Option<Credential>,
    /// `pre-shared-key local KEY`: what this router signs its AUTH payload with.
    pub local: Option<Credential>,
    /// `pre-shared-key remote KEY`: what this router checks the peer's AUTH payload with.
    pub remote: Option<Credential>,
}

impl PeerKeys {
    pub fn signing(&self) -> Option<&Credential> {
        self.local.as_ref().or(self.both.as_ref())
    }

    pub fn verifying(&self) -> Option<&Credential> {
        self.remote.as_ref().or(self.both.as_ref())
    }
}

/// `peer NAME` inside `crypto ikev2 keyring`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyringPeer {
    pub name: String,
    pub description: Option<String>,
    /// `address A [MASK]`.
    pub address: Option<Ipv4Net>,
    pub hostname: Option<String>,
    pub identity: Option<Ikev2Id>,
    pub keys: PeerKeys,
    pub line: usize,
}

impl KeyringPeer {
    pub fn new(name: &str, line: usize) -> KeyringPeer {
        KeyringPeer {
            name: name.to_string(),
            description: None,
            address: None,
            hostname: None,
            identity: None,
            keys: PeerKeys::default(),
            line,
        }
    }
}

/// `crypto ikev2 keyring NAME`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ikev2Keyring {
    pub name: String,
    pub peers: Vec<KeyringPeer>,
    pub line: usize,
}

impl Ikev2Keyring {
    /// The peer an initiator uses toward `addr`: IOS looks a peer up by host name, then by
    /// address (host names are not modelled); of the addresses that contain it, the longest
    /// mask wins, the first configured on a tie.
    pub fn peer_for_address(&self, addr: Ipv4Addr) -> Option<&KeyringPeer> {
        let mut best: Option<&KeyringPeer> = None;
        for p in &self.peers {
            let Some(net) = p.address.filter(|n| n.contains(addr)) else {
                continue;
            };
            if best.is_none_or(|b| b.address.is_some_and(|bn| net.len > bn.len)) {
                best = Some(p);
            }
        }
        best
    }

    /// The peer a responder uses for an initiator: by the identity it sent first, then by its
    /// address (the identity is known only once IKE_AUTH arrives, so only the responder can).
    pub fn peer_for_identity(&self, id: &Ikev2Id, addr: Ipv4Addr) -> Option<&KeyringPeer> {
        self.peers
            .iter()
            .find(|p| p.identity.as_ref() == Some(id))
            .or_else(|| self.peer_for_address(addr))
    }
}

/// How a profile authenticates one direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Ikev2Auth {
    PreShare,
    RsaSig,
    EcdsaSig,
    Eap,
}

pub const IKEV2_AUTHS: &[(&str, Ikev2Auth)] = &[
    ("pre-share", Ikev2Auth::PreShare),
    ("rsa-sig", Ikev2Auth::RsaSig),
    ("ecdsa-sig", Ikev2Auth::EcdsaSig),
    ("eap", Ikev2Auth::Eap),
];

impl fmt::Display for Ikev2Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(word_of(IKEV2_AUTHS, *self))
    }
}

/// One `match identity remote …` statement of a profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum IdentityMatch {
    /// `address A [MASK]` (`address 0.0.0.0` alone is any address).
    Address(Ipv4Net),
    Fqdn(String),
    /// `fqdn domain D`: the name is D or ends in `.D`.
    FqdnDomain(String),
    Email(String),
    /// `email domain D`: the part after `@` is D.
    EmailDomain(String),
    KeyId(String),
}

impl IdentityMatch {
    pub fn matches(&self, id: &Ikev2Id) -> bool {
        let same = |a: &str, b: &str| a.eq_ignore_ascii_case(b);
        match (self, id) {
            (IdentityMatch::Address(n), Ikev2Id::Address(a)) => n.contains(*a),
            (IdentityMatch::Fqdn(n), Ikev2Id::Fqdn(f)) => same(n, f),
            (IdentityMatch::FqdnDomain(d), Ikev2Id::Fqdn(f)) => {
                same(d, f)
                    || f.len() > d.len()
                        && f.get(f.len() - d.len() - 1..)
                            .is_some_and(|tail| same(tail, &format!(".{d}")))
            }
            (IdentityMatch::Email(e), Ikev2Id::Email(x)) => same(e, x),
            (IdentityMatch::EmailDomain(d), Ikev2Id::Email(x)) => {
                x.rsplit_once('@').is_some_and(|(_, dom)| same(dom, d))
            }
            (IdentityMatch::KeyId(k), Ikev2Id::KeyId(x)) => k == x,
            _ => false,
        }
    }
}

impl fmt::Display for IdentityMatch {
    /// As written after `match identity remote`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IdentityMatch::Address(n) if n.len == 32 => write!(f, "address {}", n.addr),
            IdentityMatch::Address(n) => write!(f, "address {} {}", n.network(), n.mask()),
            IdentityMatch::Fqdn(n) => write!(f, "fqdn {n}"),
            IdentityMatch::FqdnDomain(d) => write!(f, "fqdn domain {d}"),
            IdentityMatch::Email(e) => write!(f, "email {e}"),
            IdentityMatch::EmailDomain(d) => write!(f, "email domain {d}"),
            IdentityMatch::KeyId(k) => write!(f, "key-id {k}"),
        }
    }
}

/// `dpd INTERVAL RETRY {on-demand|periodic}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Dpd {
    pub interval: u32,
    pub retry: u32,
    pub periodic: bool,
    pub line: usize,
}

/// IOS's IKEv2 SA lifetime when a profile has no `lifetime` line.
pub const DEFAULT_IKEV2_LIFETIME: u32 = 86_400;

/// `crypto ikev2 profile NAME`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ikev2Profile {
    pub name: String,
    pub description: Option<String>,
    /// `match identity remote …` (any one matching selects the profile), with their lines.
    pub match_identity: Vec<(IdentityMatch, usize)>,
    /// `match address local A`; none means any local address.
    pub match_local: Vec<Ipv4Addr>,
    pub fvrf: Fvrf,
    /// `identity local …`; `None` sends the local address.
    pub identity_local: Option<(Ikev2Id, usize)>,
    /// `authentication local M`: how this router proves itself.
    pub auth_local: Option<(Ikev2Auth, usize)>,
    /// `authentication remote M` lines: how the peer may prove itself.
    pub auth_remote: Vec<(Ikev2Auth, usize)>,
    /// `keyring local NAME`.
    pub keyring: Option<(String, usize)>,
    /// IKE SA lifetime in seconds.
    pub lifetime: u32,
    pub lifetime_line: Option<usize>,
    pub dpd: Option<Dpd>,
    pub line: usize,
}

impl Ikev2Profile {
    pub fn empty(name: &str, line: usize) -> Ikev2Profile {
        Ikev2Profile {
            name: name.to_string(),
            description: None,
            match_identity: Vec::new(),
            match_local: Vec::new(),
            fvrf: Fvrf::Global,
            identity_local: None,
            auth_local: None,
            auth_remote: Vec::new(),
            keyring: None,
            lifetime: DEFAULT_IKEV2_LIFETIME,
            lifetime_line: None,
            dpd: None,
            line,
        }
    }

    /// The identity this router sends when it speaks from `local`.
    pub fn identity(&self, local: Ipv4Addr) -> Ikev2Id {
        self.identity_local
            .as_ref()
            .map_or(Ikev2Id::Address(local), |(id, _)| id.clone())
    }

    /// Does a peer that sent `id` to `local` select this profile?
    pub fn selects(&self, id: &Ikev2Id, local: Ipv4Addr) -> bool {
        self.fvrf.takes_global()
            && (self.match_local.is_empty() || self.match_local.contains(&local))
            && self.match_identity.iter().any(|(m, _)| m.matches(id))
    }

    pub fn accepts_remote(&self, method: Ikev2Auth) -> bool {
        self.auth_remote.iter().any(|(m, _)| *m == method)
    }

    /// What IOS needs before it uses the profile: a way to authenticate each direction.
    pub fn missing(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        if self.auth_local.is_none() {
            out.push("authentication local");
        }
        if self.auth_remote.is_empty() {
            out.push("authentication remote");
        }
        out
    }
}

/// Everything IKEv2 of one router's config (smart defaults are in [`RunningConfig`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Ikev2Config {
    /// Configured proposals in config order (a customised `default` among them).
    pub proposals: Vec<Ikev2Proposal>,
    pub policies: Vec<Ikev2Policy>,
    pub keyrings: Vec<Ikev2Keyring>,
    pub profiles: Vec<Ikev2Profile>,
}

/// The policy a router uses on a local address, and the proposals it offers or accepts there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyChoice {
    pub policy: Ikev2Policy,
    /// The policy's complete proposals, in its order.
    pub proposals: Vec<Ikev2Proposal>,
}

impl RunningConfig {
    /// A proposal by name: a configured one, else the smart default `default` unless
    /// `no crypto ikev2 proposal default` removed it.
    pub fn ikev2_proposal(&self, name: &str) -> Option<Ikev2Proposal> {
        if let Some(p) = self.ikev2.proposals.iter().find(|p| p.name == name) {
            return Some(p.clone());
        }
        (name == DEFAULT && self.smart_defaults.proposal()).then(smart_defaults::proposal)
    }

    /// Configured policies in config order, then the smart default one (unless removed or
    /// redefined).
    pub fn ikev2_policies(&self) -> Vec<Ikev2Policy> {
        let mut v = self.ikev2.policies.clone();
        if self.smart_defaults.policy() && !v.iter().any(|p| p.name == DEFAULT) {
            v.push(smart_defaults::policy());
        }
        v
    }

    /// The policy IOS uses on `local`: of the configured policies that take the address and
    /// have a complete proposal, one naming the address beats one matching any address (the
    /// first configured on a tie); the default policy only when no configured one matches.
    pub fn ikev2_policy_for(&self, local: Ipv4Addr) -> Option<PolicyChoice> {
        let usable: Vec<PolicyChoice> = self
            .ikev2_policies()
            .into_iter()
            .filter(|p| p.takes(local))
            .filter_map(|policy| {
                let proposals: Vec<Ikev2Proposal> = policy
                    .proposals
                    .iter()
                    .filter_map(|n| self.ikev2_proposal(n))
                    .filter(Ikev2Proposal::is_complete)
                    .collect();
                (!proposals.is_empty()).then_some(PolicyChoice { policy, proposals })
            })
            .collect();
        let configured = |c: &&PolicyChoice| c.policy.line != 0;
        let exact = usable
            .iter()
            .filter(configured)
            .find(|c| c.policy.match_local.contains(&local));
        exact
            .or_else(|| usable.iter().find(configured))
            .or_else(|| usable.first())
            .cloned()
    }

    pub fn ikev2_profile(&self, name: &str) -> Option<&Ikev2Profile> {
        self.ikev2.profiles.iter().find(|p| p.name == name)
    }

    /// The profiles a responder on `local` could select for a peer that sent `id`, in config
    /// order (IOS takes the first).
    pub fn ikev2_profiles_for(&self, id: &Ikev2Id, local: Ipv4Addr) -> Vec<&Ikev2Profile> {
        self.ikev2
            .profiles
            .iter()
            .filter(|p| p.selects(id, local))
            .collect()
    }

    pub fn ikev2_keyring(&self, name: &str) -> Option<&Ikev2Keyring> {
        self.ikev2.keyrings.iter().find(|k| k.name == name)
    }

    /// Does this router speak IKEv2 at all (a profile is the least it needs to authenticate)?
    pub fn has_ikev2(&self) -> bool {
        !self.ikev2.profiles.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Ipv4Addr {
        s.parse().unwrap()
    }

    #[test]
    fn identity_matching() {
        let fqdn = Ikev2Id::Fqdn("r2.Example.net".into());
        assert!(IdentityMatch::FqdnDomain("example.net".into()).matches(&fqdn));
        assert!(!IdentityMatch::FqdnDomain("ample.net".into()).matches(&fqdn));
        assert!(IdentityMatch::Fqdn("R2.example.net".into()).matches(&fqdn));
        let mail = Ikev2Id::Email("vpn@example.net".into());
        assert!(IdentityMatch::EmailDomain("example.net".into()).matches(&mail));
        assert!(!IdentityMatch::Email("ops@example.net".into()).matches(&mail));
        let any = IdentityMatch::Address(Ipv4Net::new(ip("0.0.0.0"), 0).unwrap());
        assert!(any.matches(&Ikev2Id::Address(ip("198.51.100.7"))));
        assert!(!any.matches(&Ikev2Id::KeyId("x".into())));
        assert_eq!(
            IdentityMatch::Address(Ipv4Net::new(ip("10.0.0.0"), 8).unwrap()).to_string(),
            "address 10.0.0.0 255.0.0.0"
        );
    }

    #[test]
    fn keyring_peers_by_longest_address_then_identity() {
        let mut ring = Ikev2Keyring {
            name: "KR".into(),
            peers: Vec::new(),
            line: 1,
        };
        let mut any = KeyringPeer::new("ANY", 2);
        any.address = Ipv4Net::new(ip("0.0.0.0"), 0);
        let mut site = KeyringPeer::new("SITE", 5);
        site.address = Ipv4Net::new(ip("203.0.113.0"), 24);
        let mut named = KeyringPeer::new("NAMED", 8);
        named.identity = Some(Ikev2Id::Fqdn("r2.example.net".into()));
        ring.peers = vec![any, site, named];
        let name = |p: Option<&KeyringPeer>| p.map(|p| p.name.clone());
        assert_eq!(
            name(ring.peer_for_address(ip("203.0.113.2"))),
            Some("SITE".into())
        );
        assert_eq!(
            name(ring.peer_for_address(ip("8.8.8.8"))),
            Some("ANY".into())
        );
        let id = Ikev2Id::Fqdn("r2.example.net".into());
        assert_eq!(
            name(ring.peer_for_identity(&id, ip("203.0.113.2"))),
            Some("NAMED".into())
        );
    }

    #[test]
    fn asymmetric_keys_pick_a_direction() {
        let c = |s: &str, line| Credential {
            secret: crate::secret::Secret::new(s),
            kind: 0,
            line,
        };
        let keys = PeerKeys {
            both: None,
            local: Some(c("mine", 1)),
            remote: Some(c("yours", 2)),
        };
        assert_eq!(keys.signing().map(|k| k.line), Some(1));
        assert_eq!(keys.verifying().map(|k| k.line), Some(2));
        let one = PeerKeys {
            both: Some(c("shared", 3)),
            ..PeerKeys::default()
        };
        assert_eq!(one.signing().map(|k| k.line), Some(3));
        assert_eq!(one.verifying().map(|k| k.line), Some(3));
    }

    #[test]
    fn proposal_completeness_and_prf_rule() {
        let mut p = Ikev2Proposal::empty("P", 1);
        p.encryption = vec![V2Cipher::AesCbc256];
        p.groups = vec![DhGroup(14)];
        assert!(!p.is_complete(), "no integrity");
        p.integrity = vec![V2Hash::Sha256];
        assert!(p.is_complete());
        assert_eq!(p.prfs(), [V2Hash::Sha256], "prf follows integrity");
        let mut gcm = Ikev2Proposal::empty("G", 1);
        gcm.encryption = vec![V2Cipher::AesGcm256];
        gcm.groups = vec![DhGroup(19)];
        assert!(!gcm.is_complete(), "AEAD still needs a prf");
        gcm.prf = vec![V2Hash::Sha384];
        assert!(gcm.is_complete());
        assert_eq!(
            gcm.values(V2Attr::Encryption).config_line(),
            "encryption aes-gcm-256"
        );
    }
}
