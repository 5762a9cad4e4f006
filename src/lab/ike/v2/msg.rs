//! The packets of IKEv2 between lab routers, and what a step of either side asks of the world.
//!
//! A packet carries what the peer needs to decide, in the terms of `crate::ios`: the offered
//! proposals, the identity and method a side proves itself with, the child SA offer. A proof
//! carries the key it was computed with as a [`Credential`], which the receiver only compares
//! with its own (across processes only a digest travels, see [`super::super::link`]).

use super::super::exchange::Install;
use super::state::IkeSa;
use crate::ios::child_sa::ChildOffer;
use crate::ios::ikev2::{Ikev2Auth, Ikev2Id, Ikev2Proposal, V2Cipher, V2Hash};
use crate::ios::keys::{self, KeyCompare};
use crate::ios::model::{Credential, DhGroup};
use std::time::Duration;

/// The algorithms both sides settled on in IKE_SA_INIT.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chosen {
    pub encryption: V2Cipher,
    /// `None` with a GCM cipher.
    pub integrity: Option<V2Hash>,
    pub prf: V2Hash,
    pub group: DhGroup,
}

/// The key an AUTH payload was computed with: the key itself inside one process, its digest
/// between processes (`None` when the sender cannot read its own config's key, type 6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyProof {
    Key(Credential),
    Digest(Option<u64>),
}

impl KeyProof {
    /// Does the payload verify with `mine`, the key this router checks the peer with?
    pub fn compare(&self, mine: &Credential) -> KeyCompare {
        match self {
            KeyProof::Key(k) => keys::compare(k, mine),
            KeyProof::Digest(d) => match (d, key_digest(mine)) {
                (Some(a), Some(b)) if *a == b => KeyCompare::Equal,
                (Some(_), Some(_)) => KeyCompare::Different,
                _ => KeyCompare::Unverifiable,
            },
        }
    }

    pub fn digest(&self) -> Option<u64> {
        match self {
            KeyProof::Key(k) => key_digest(k),
            KeyProof::Digest(d) => *d,
        }
    }
}

/// A digest of the key a router uses (type 7 undone), never the key.
pub fn key_digest(c: &Credential) -> Option<u64> {
    keys::readable(c).map(|s| {
        s.expose().bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        })
    })
}

/// How a side proves itself in IKE_AUTH.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proof {
    pub id: Ikev2Id,
    pub method: Ikev2Auth,
    /// Pre-share only.
    pub key: Option<KeyProof>,
}

/// A child SA the sender wants: its inbound SPI and its offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChildRequest {
    pub spi: u32,
    pub offer: ChildOffer,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InitReply {
    Agreed(Chosen),
    NoProposalChosen,
    /// The responder wants the key share for this group.
    InvalidKe(DhGroup),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChildReply {
    Created {
        /// The answering side's inbound SPI.
        spi: u32,
        /// Which of the offered transform sets was taken.
        transform: usize,
        lifetime_seconds: u32,
        lifetime_kilobytes: u64,
        pfs: Option<DhGroup>,
    },
    NoProposalChosen,
    TsUnacceptable,
}

impl ChildReply {
    /// The notify payload that says why no child SA was made.
    pub fn notify(&self) -> Option<&'static str> {
        match self {
            ChildReply::Created { .. } => None,
            ChildReply::NoProposalChosen => Some("NO_PROPOSAL_CHOSEN"),
            ChildReply::TsUnacceptable => Some("TS_UNACCEPTABLE"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthReply {
    /// `NOTIFY(AUTHENTICATION_FAILED)`: the responder refused the initiator.
    Failed,
    Accepted {
        proof: Proof,
        child: ChildReply,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Info {
    /// An empty INFORMATIONAL: dead peer detection.
    Dpd,
    /// `DELETE` of the IKE SA (and with it every child), or of the child SAs whose inbound
    /// SPIs (on the sender) are listed.
    Delete { ike: bool, spis: Vec<u32> },
}

/// One IKEv2 packet. `ispi`/`rspi` name the IKE SA; `from_initiator` is the header's I flag
/// (the sender started the IKE SA), which tells the receiver which side it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Packet {
    SaInitReq {
        ispi: u64,
        offer: Vec<Ikev2Proposal>,
        ke: DhGroup,
    },
    SaInitResp {
        ispi: u64,
        rspi: u64,
        reply: InitReply,
    },
    AuthReq {
        ispi: u64,
        rspi: u64,
        proof: Proof,
        child: ChildRequest,
    },
    AuthResp {
        ispi: u64,
        rspi: u64,
        reply: AuthReply,
    },
    ChildReq {
        ispi: u64,
        rspi: u64,
        mid: u32,
        from_initiator: bool,
        /// The inbound SPI (on the sender) of the child SA this one replaces.
        rekey: Option<u32>,
        child: ChildRequest,
    },
    ChildResp {
        ispi: u64,
        rspi: u64,
        mid: u32,
        from_initiator: bool,
        reply: ChildReply,
    },
    InfoReq {
        ispi: u64,
        rspi: u64,
        mid: u32,
        from_initiator: bool,
        info: Info,
    },
    InfoResp {
        ispi: u64,
        rspi: u64,
        mid: u32,
        from_initiator: bool,
    },
}

impl Packet {
    pub fn ispi(&self) -> u64 {
        match self {
            Packet::SaInitReq { ispi, .. }
            | Packet::SaInitResp { ispi, .. }
            | Packet::AuthReq { ispi, .. }
            | Packet::AuthResp { ispi, .. }
            | Packet::ChildReq { ispi, .. }
            | Packet::ChildResp { ispi, .. }
            | Packet::InfoReq { ispi, .. }
            | Packet::InfoResp { ispi, .. } => *ispi,
        }
    }

    /// The message id of the exchange (0 for IKE_SA_INIT, 1 for IKE_AUTH).
    pub fn mid(&self) -> u32 {
        match self {
            Packet::SaInitReq { .. } | Packet::SaInitResp { .. } => 0,
            Packet::AuthReq { .. } | Packet::AuthResp { .. } => 1,
            Packet::ChildReq { mid, .. }
            | Packet::ChildResp { mid, .. }
            | Packet::InfoReq { mid, .. }
            | Packet::InfoResp { mid, .. } => *mid,
        }
    }

    pub fn is_request(&self) -> bool {
        matches!(
            self,
            Packet::SaInitReq { .. }
                | Packet::AuthReq { .. }
                | Packet::ChildReq { .. }
                | Packet::InfoReq { .. }
        )
    }
}

/// What one step of either side asks of the world.
#[derive(Debug, Clone)]
pub enum Out2 {
    /// A `debug crypto ikev2` line.
    Debug(String),
    /// A syslog message (printed whether or not debug is on, kept for `show logging`).
    Syslog(String),
    /// The router works this long before its next line (a Diffie-Hellman computation).
    Elapse(Duration),
    Send(Packet),
    /// Call `on_timer` after this much lab time unless an answer comes first.
    Timer(Duration),
    /// The IKE SA as `show crypto ikev2 sa` lists it now (added, or replacing the one with
    /// the same initiator SPI).
    Sa(Box<IkeSa>),
    /// The IKE SA with this initiator SPI is gone.
    SaGone {
        ispi: u64,
    },
    /// A child SA pair this side installed.
    Installed(Install),
    /// Child SAs this side removed, by their inbound SPI here or their outbound SPI (the
    /// inbound SPI the peer named in a DELETE).
    ChildrenGone {
        in_spis: Vec<u32>,
        out_spis: Vec<u32>,
    },
    /// Every child SA toward the peer of an IKE SA that is deleted.
    AllChildrenGone,
    /// The exchange is over (up or failed).
    Finished {
        up: bool,
    },
}
