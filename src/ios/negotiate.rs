//! Both phases in order for one direction, the way Batfish's session negotiation reads: phase
//! 2 is only attempted once phase 1 is up, and the verdict is the first step that failed.

use super::model::RunningConfig;
use super::phase1::{Phase1Outcome, phase1};
use super::phase2::{Phase2Outcome, phase2};
use serde::Serialize;
use std::net::Ipv4Addr;

/// One direction's negotiation: `initiator` has traffic from `traffic_src` to `traffic_dst`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Session {
    pub phase1: Phase1Outcome,
    /// `None` when phase 1 did not come up.
    pub phase2: Option<Phase2Outcome>,
}

impl Session {
    pub fn is_up(&self) -> bool {
        matches!(self.phase2, Some(Phase2Outcome::Agreed(_)))
    }
}

pub fn negotiate(
    initiator: &RunningConfig,
    init_addr: Ipv4Addr,
    traffic_src: Ipv4Addr,
    traffic_dst: Ipv4Addr,
    responder: &RunningConfig,
    resp_addr: Ipv4Addr,
) -> Session {
    let phase1 = phase1(initiator, init_addr, responder, resp_addr);
    let phase2 = phase1.is_up().then(|| {
        phase2(
            initiator,
            init_addr,
            traffic_src,
            traffic_dst,
            responder,
            resp_addr,
        )
    });
    Session { phase1, phase2 }
}
