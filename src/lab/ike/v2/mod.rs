//! IKEv2 between lab routers, decided by `crate::ios` and printed as IOS-XE's `debug crypto
//! ikev2` prints it.
//!
//! - [`msg`]: the packets and what a step asks of the world; [`state`]: the SAs and
//!   exchanges the network keeps.
//! - [`initiator`], [`responder`]: IKE_SA_INIT and IKE_AUTH (with the first child SA) as state
//!   types, one packet in, lines and packets out; [`auth`]: each side's proof and its check;
//!   [`child`]: a child SA's verdict and the SA pairs each side installs.
//! - [`established`]: an SA that is up, answering and making CREATE_CHILD_SA and
//!   INFORMATIONAL requests (rekeys, dead peer detection, deletes).
//! - [`run`]: the wire, the timers, and who answers which packet; [`frame`]: the packets
//!   between lab processes (`lab --only`).
//! - [`say`], [`talk`], [`names`]: the line table, the multi-line blocks, the algorithm names.
//! - [`show`]: `show crypto ikev2 …` and `show crypto ipsec profile`.
//!
//! What is approximated, said aloud: a rekeyed child SA replaces the old one at once on both
//! sides (IOS deletes the old one with an INFORMATIONAL exchange a little later); IKE SAs are
//! not rekeyed or reauthenticated; only periodic dead peer detection is sent (on-demand checks
//! need one-way traffic the lab does not make); no NAT-T, no fragmentation, no configuration
//! payloads; both IOS generations print IOS-XE's IKEv2 lines.

pub mod auth;
pub mod child;
pub mod established;
pub mod frame;
pub mod initiator;
pub mod msg;
pub mod names;
pub mod responder;
pub mod run;
pub mod say;
pub mod show;
pub mod state;
pub mod talk;

#[cfg(test)]
mod tests;
