//! The IOS model: running-config parsed into typed crypto configuration, and IKE's decisions
//! over two configurations. Used by the lab (to simulate) and by the engine (to explain).
//!
//! - [`addr`]: prefixes and ACL wildcards.
//! - [`acl`]: access lists, first-match evaluation, the mirror-image check.
//! - [`model`]: the typed config ([`RunningConfig`]) with IOS defaults, and the lookups IOS
//!   makes over it (key for a peer, route to an address, crypto map on an interface).
//! - [`config`]: text → [`RunningConfig`], with the lines it did not understand.
//! - [`mod@phase1`], [`mod@phase2`]: IKEv1 main mode and quick mode between two configs, step by step;
//!   [`mod@negotiate`] runs both in order for one direction.
//!
//! No secret leaves this module in clear: keys are [`crate::secret::Secret`]s and are only
//! compared.

pub mod acl;
pub mod addr;
mod commands;
pub mod config;
#[cfg(test)]
mod fixtures;
mod lex;
pub mod model;
pub mod negotiate;
pub mod phase1;
pub mod phase2;
pub mod strength;

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
