//! What the network keeps of IKEv2: every router's IKE SAs as `show crypto ikev2 sa` lists
//! them, the exchanges in progress on responders, the established SAs that answer later
//! requests, and who waits for which answer.

use super::established::Established;
use super::msg::{Chosen, Packet};
use super::responder::Responder;
use crate::ios::ikev2::{Ikev2Auth, Ikev2Id};
use crate::ios::model::RunningConfig;
use crate::lab::clock::LabTime;
use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::sync::Arc;
use tokio::sync::mpsc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IkeStatus {
    /// Negotiating (`IN-NEG`).
    InNeg,
    Ready,
    /// Being deleted.
    Delete,
}

impl IkeStatus {
    pub fn word(self) -> &'static str {
        match self {
            IkeStatus::InNeg => "IN-NEG",
            IkeStatus::Ready => "READY",
            IkeStatus::Delete => "DELETE",
        }
    }
}

/// One IKE SA on one router.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IkeSa {
    /// Filled in by the network when it records the SA.
    pub owner: usize,
    pub local: Ipv4Addr,
    pub remote: Ipv4Addr,
    pub tunnel_id: u32,
    pub session_id: u32,
    pub status: IkeStatus,
    /// This router started the IKE SA.
    pub initiator: bool,
    pub ispi: u64,
    /// 0 until the responder has answered.
    pub rspi: u64,
    pub chosen: Option<Chosen>,
    pub auth_sign: Option<Ikev2Auth>,
    pub auth_verify: Option<Ikev2Auth>,
    pub local_id: Option<Ikev2Id>,
    pub remote_id: Option<Ikev2Id>,
    pub lifetime: u32,
    /// When it was created; its active time counts from here.
    pub since: LabTime,
    /// `dpd INTERVAL RETRY` of the profile in use.
    pub dpd: Option<(u32, u32)>,
    pub periodic_dpd: bool,
    /// The next message id of this side's requests, and the next the peer will send.
    pub local_mid: u32,
    pub remote_mid: u32,
    /// The tunnel interface the SA serves (route-based tunnels).
    pub interface: Option<String>,
    pub profile: Option<String>,
}

/// What both sides of an exchange know before the first packet.
#[derive(Debug, Clone)]
pub struct Ctx2 {
    pub cfg: Arc<RunningConfig>,
    pub local: Ipv4Addr,
    pub peer: Ipv4Addr,
    /// The interface traffic of this tunnel uses: its VTI, else the outside interface.
    pub interface: String,
    /// The VTI, for a route-based tunnel.
    pub tunnel: Option<String>,
    /// `SESSION ID = n`: one per peer on each router.
    pub session: u32,
    /// The `Tunnel-id` of `show crypto ikev2 sa`.
    pub tunnel_id: u32,
    /// When the step happens (lab time), for the SA's active time.
    pub now: LabTime,
}

/// Who waits for the answer to one request: (router, initiator SPI, message id).
pub type WaiterKey = (usize, u64, u32);

#[derive(Debug, Default)]
pub struct V2State {
    pub sas: Vec<IkeSa>,
    /// Exchanges a router answers before its SA is up: (router, initiator SPI, state).
    pub responders: Vec<(usize, u64, Responder)>,
    /// Up SAs, which answer INFORMATIONAL and CREATE_CHILD_SA requests: (router, ispi, SA).
    pub established: Vec<(usize, u64, Established)>,
    pub waiters: BTreeMap<WaiterKey, mpsc::UnboundedSender<(Packet, LabTime)>>,
    sessions: BTreeMap<(usize, Ipv4Addr), u32>,
    next_session: BTreeMap<usize, u32>,
    next_tunnel: BTreeMap<usize, u32>,
}

impl V2State {
    /// The session id `node` uses toward `peer`: drawn once, kept for every later SA.
    pub fn session_id(&mut self, node: usize, peer: Ipv4Addr) -> u32 {
        if let Some(id) = self.sessions.get(&(node, peer)) {
            return *id;
        }
        let next = self.next_session.entry(node).or_insert(0);
        *next += 1;
        let id = *next;
        self.sessions.insert((node, peer), id);
        id
    }

    /// A new `Tunnel-id` on `node`.
    pub fn tunnel_id(&mut self, node: usize) -> u32 {
        let next = self.next_tunnel.entry(node).or_insert(0);
        *next += 1;
        *next
    }

    pub fn sa(&self, node: usize, ispi: u64) -> Option<&IkeSa> {
        self.sas.iter().find(|s| s.owner == node && s.ispi == ispi)
    }

    /// The ready IKE SA `node` holds with `peer`.
    pub fn ready_with(&self, node: usize, peer: Ipv4Addr) -> Option<&IkeSa> {
        self.sas
            .iter()
            .find(|s| s.owner == node && s.remote == peer && s.status == IkeStatus::Ready)
    }

    pub fn established_mut(&mut self, node: usize, ispi: u64) -> Option<&mut Established> {
        self.established
            .iter_mut()
            .find(|(n, i, _)| *n == node && *i == ispi)
            .map(|(_, _, e)| e)
    }

    /// Forgets everything of the IKE SA `ispi` on `node`.
    pub fn remove_sa(&mut self, node: usize, ispi: u64) {
        self.sas.retain(|s| !(s.owner == node && s.ispi == ispi));
        self.established
            .retain(|(n, i, _)| !(*n == node && *i == ispi));
        self.responders
            .retain(|(n, i, _)| !(*n == node && *i == ispi));
    }
}
