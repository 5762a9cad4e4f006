//! The IOS model: running-config parsed into typed crypto configuration, and IKE's decisions
//! over two configurations. Used by the lab (to simulate) and by the engine (to explain).
//!
//! Configuration:
//! - [`addr`]: prefixes and ACL wildcards.
//! - [`acl`]: access lists, first-match evaluation, the mirror-image check.
//! - [`model`]: the typed config ([`RunningConfig`]) with IOS defaults, and the lookups IOS
//!   makes over it (key for a peer, route to an address, crypto map on an interface).
//! - [`ikev2`]: IKEv2 proposals, policies, keyrings and profiles, and their lookups (the policy
//!   for a local address, the profile for a peer's identity, the keyring peer and its keys).
//! - [`smart_defaults`]: IOS-XE's built-in `default` proposal, policy, IPsec profile and
//!   transform set, with their source.
//! - [`tunnel`]: tunnel interfaces, IPsec and ISAKMP profiles; a peer's protection (VTI or
//!   crypto map), its IKE version and the traffic selectors a tunnel proposes.
//! - [`keyword`]: command words as typed (any blanks, any case, abbreviated).
//! - [`config`]: text → [`RunningConfig`], with the lines it did not understand.
//! - [`keys`]: comparing two routers' keys (type 0 and 7 readable, type 6 not).
//!
//! Decisions, one function per step, each returning a typed outcome with both sides' values:
//! - [`mod@phase1`], [`mod@phase2`]: IKEv1 main mode and quick mode between two configs;
//!   [`mod@negotiate`] runs both in order for one direction of a crypto map.
//! - [`mod@vti`]: whether a tunnel interface reaches its peer (destination, route, the peer's
//!   tunnel pointing back).
//! - [`mod@sa_init`], [`mod@ike_auth`]: IKEv2's IKE_SA_INIT (proposal choice) and IKE_AUTH
//!   (profile by identity, method and key per direction).
//! - [`mod@child_sa`]: the child SA of either version: traffic selectors, transforms, PFS (at
//!   IKEv2's rekey), lifetimes.
//! - [`mod@tunnel_session`]: one direction of any tunnel, VTI or crypto map, IKEv1 or IKEv2, in
//!   protocol order.
//!
//! Not modelled: front-door VRFs and tunnel VRFs other than the global table, DMVPN and dynamic
//! VTIs (virtual templates), certificates beyond "both sides use them", EAP, AAA-based keys,
//! key and peer lookups by host name, NAT-T, IPv6. Each module says what it approximates.
//!
//! No secret leaves this module in clear: keys are [`crate::secret::Secret`]s and are only
//! compared.

pub mod acl;
pub mod addr;
pub mod child_sa;
mod commands;
mod commands_ikev2;
pub mod config;
#[cfg(test)]
mod fixtures;
pub mod ike_auth;
pub mod ikev2;
pub mod keys;
pub mod keyword;
mod lex;
pub mod model;
pub mod negotiate;
pub mod phase1;
pub mod phase2;
pub mod sa_init;
pub mod smart_defaults;
pub mod strength;
pub mod tunnel;
pub mod tunnel_session;
pub mod vti;

pub use acl::{AccessList, AclEntry, MirrorResult, Packet, Protocol, acl_mirror_check};
pub use addr::{Ipv4Net, Wildcard};
pub use config::{ConfigDiag, ParsedConfig, parse};
pub use model::{CryptoMapEntry, RouteDecision, RunningConfig};
pub use negotiate::{Session, negotiate};
pub use phase1::{
    AttrMismatch, AttrValue, CheckResult, ClosestMismatch, KeyCheck, Phase1Outcome, PolicyCheck,
    Side, closest_mismatch, phase1,
};
pub use phase2::{Phase2Outcome, ProxyId, interesting, phase2};
