//! IKEv2 packets as they travel between lab processes (`lab --only`): references into the
//! scenario both processes load, rebuilt on arrival. The offered proposals and the child SA
//! offer come from the sender's config; a key travels only as a digest of itself.

use super::msg::{
    AuthReply, ChildReply, ChildRequest, Chosen, Info, InitReply, KeyProof, Packet, Proof,
};
use super::run::{Start, offer_for};
use crate::ios::ikev2::{IKEV2_AUTHS, Ikev2Id, V2_CIPHERS, V2_HASHES};
use crate::ios::model::{DhGroup, RunningConfig};
use serde::{Deserialize, Serialize};
use std::net::Ipv4Addr;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum WireId {
    Address(Ipv4Addr),
    Fqdn(String),
    Email(String),
    KeyId(String),
    Dn,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireProof {
    id: WireId,
    method: String,
    /// `Some(None)`: a key the sender cannot read; `None`: no key (not pre-share).
    key: Option<Option<u64>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum WireStart {
    Vti(String),
    Map(Ipv4Addr, Ipv4Addr),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum WireChildReply {
    Created {
        spi: u32,
        transform: usize,
        lifetime_seconds: u32,
        lifetime_kilobytes: u64,
        pfs: Option<u8>,
    },
    NoProposalChosen,
    TsUnacceptable,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum WireInit {
    /// Config words: `aes-cbc-256`, `sha256`.
    Agreed {
        encryption: String,
        integrity: Option<String>,
        prf: String,
        group: u8,
    },
    NoProposalChosen,
    InvalidKe(u8),
}

/// [`Packet`] between processes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum WireIke2 {
    SaInitReq {
        ispi: u64,
        ke: u8,
    },
    SaInitResp {
        ispi: u64,
        rspi: u64,
        reply: WireInit,
    },
    AuthReq {
        ispi: u64,
        rspi: u64,
        proof: WireProof,
        spi: u32,
        start: WireStart,
    },
    AuthResp {
        ispi: u64,
        rspi: u64,
        accepted: Option<(WireProof, WireChildReply)>,
    },
    ChildReq {
        ispi: u64,
        rspi: u64,
        mid: u32,
        from_initiator: bool,
        rekey: Option<u32>,
        spi: u32,
        start: WireStart,
    },
    ChildResp {
        ispi: u64,
        rspi: u64,
        mid: u32,
        from_initiator: bool,
        reply: WireChildReply,
    },
    InfoReq {
        ispi: u64,
        rspi: u64,
        mid: u32,
        from_initiator: bool,
        /// `None`: dead peer detection; `Some((ike, spis))`: a delete.
        delete: Option<(bool, Vec<u32>)>,
    },
    InfoResp {
        ispi: u64,
        rspi: u64,
        mid: u32,
        from_initiator: bool,
    },
}

fn word<T: PartialEq + Copy>(table: &[(&'static str, T)], v: T) -> String {
    crate::ios::model::word_of(table, v).to_string()
}

fn value<T: Copy>(table: &[(&'static str, T)], w: &str) -> Option<T> {
    table.iter().find(|(n, _)| *n == w).map(|(_, v)| *v)
}

fn wire_proof(p: &Proof) -> WireProof {
    WireProof {
        id: match &p.id {
            Ikev2Id::Address(a) => WireId::Address(*a),
            Ikev2Id::Fqdn(n) => WireId::Fqdn(n.clone()),
            Ikev2Id::Email(e) => WireId::Email(e.clone()),
            Ikev2Id::KeyId(k) => WireId::KeyId(k.clone()),
            Ikev2Id::Dn => WireId::Dn,
        },
        method: word(IKEV2_AUTHS, p.method),
        key: p.key.as_ref().map(KeyProof::digest),
    }
}

fn proof(w: WireProof) -> Option<Proof> {
    Some(Proof {
        id: match w.id {
            WireId::Address(a) => Ikev2Id::Address(a),
            WireId::Fqdn(n) => Ikev2Id::Fqdn(n),
            WireId::Email(e) => Ikev2Id::Email(e),
            WireId::KeyId(k) => Ikev2Id::KeyId(k),
            WireId::Dn => Ikev2Id::Dn,
        },
        method: value(IKEV2_AUTHS, &w.method)?,
        key: w.key.map(KeyProof::Digest),
    })
}

fn wire_child(r: &ChildReply) -> WireChildReply {
    match r {
        ChildReply::Created {
            spi,
            transform,
            lifetime_seconds,
            lifetime_kilobytes,
            pfs,
        } => WireChildReply::Created {
            spi: *spi,
            transform: *transform,
            lifetime_seconds: *lifetime_seconds,
            lifetime_kilobytes: *lifetime_kilobytes,
            pfs: pfs.map(|g| g.0),
        },
        ChildReply::NoProposalChosen => WireChildReply::NoProposalChosen,
        ChildReply::TsUnacceptable => WireChildReply::TsUnacceptable,
    }
}

fn child_reply(w: WireChildReply) -> ChildReply {
    match w {
        WireChildReply::Created {
            spi,
            transform,
            lifetime_seconds,
            lifetime_kilobytes,
            pfs,
        } => ChildReply::Created {
            spi,
            transform,
            lifetime_seconds,
            lifetime_kilobytes,
            pfs: pfs.map(DhGroup),
        },
        WireChildReply::NoProposalChosen => ChildReply::NoProposalChosen,
        WireChildReply::TsUnacceptable => ChildReply::TsUnacceptable,
    }
}

fn wire_start(req: &ChildRequest) -> WireStart {
    match Start::of(&req.offer) {
        Start::Vti { interface } => WireStart::Vti(interface),
        Start::Map { src, dst } => WireStart::Map(src, dst),
    }
}

fn start(w: WireStart) -> Start {
    match w {
        WireStart::Vti(interface) => Start::Vti { interface },
        WireStart::Map(src, dst) => Start::Map { src, dst },
    }
}

/// The datagram form of `p`.
pub fn encode(p: &Packet) -> WireIke2 {
    match p {
        Packet::SaInitReq { ispi, ke, .. } => WireIke2::SaInitReq {
            ispi: *ispi,
            ke: ke.0,
        },
        Packet::SaInitResp { ispi, rspi, reply } => WireIke2::SaInitResp {
            ispi: *ispi,
            rspi: *rspi,
            reply: match reply {
                InitReply::Agreed(c) => WireInit::Agreed {
                    encryption: word(V2_CIPHERS, c.encryption),
                    integrity: c.integrity.map(|i| word(V2_HASHES, i)),
                    prf: word(V2_HASHES, c.prf),
                    group: c.group.0,
                },
                InitReply::NoProposalChosen => WireInit::NoProposalChosen,
                InitReply::InvalidKe(g) => WireInit::InvalidKe(g.0),
            },
        },
        Packet::AuthReq {
            ispi,
            rspi,
            proof,
            child,
        } => WireIke2::AuthReq {
            ispi: *ispi,
            rspi: *rspi,
            proof: wire_proof(proof),
            spi: child.spi,
            start: wire_start(child),
        },
        Packet::AuthResp { ispi, rspi, reply } => WireIke2::AuthResp {
            ispi: *ispi,
            rspi: *rspi,
            accepted: match reply {
                AuthReply::Failed => None,
                AuthReply::Accepted { proof, child } => {
                    Some((wire_proof(proof), wire_child(child)))
                }
            },
        },
        Packet::ChildReq {
            ispi,
            rspi,
            mid,
            from_initiator,
            rekey,
            child,
        } => WireIke2::ChildReq {
            ispi: *ispi,
            rspi: *rspi,
            mid: *mid,
            from_initiator: *from_initiator,
            rekey: *rekey,
            spi: child.spi,
            start: wire_start(child),
        },
        Packet::ChildResp {
            ispi,
            rspi,
            mid,
            from_initiator,
            reply,
        } => WireIke2::ChildResp {
            ispi: *ispi,
            rspi: *rspi,
            mid: *mid,
            from_initiator: *from_initiator,
            reply: wire_child(reply),
        },
        Packet::InfoReq {
            ispi,
            rspi,
            mid,
            from_initiator,
            info,
        } => WireIke2::InfoReq {
            ispi: *ispi,
            rspi: *rspi,
            mid: *mid,
            from_initiator: *from_initiator,
            delete: match info {
                Info::Dpd => None,
                Info::Delete { ike, spis } => Some((*ike, spis.clone())),
            },
        },
        Packet::InfoResp {
            ispi,
            rspi,
            mid,
            from_initiator,
        } => WireIke2::InfoResp {
            ispi: *ispi,
            rspi: *rspi,
            mid: *mid,
            from_initiator: *from_initiator,
        },
    }
}

/// Rebuilds the packet `sender` (its config, its address `from`) sent to `to`; `None` when a
/// reference does not resolve.
pub fn decode(sender: &RunningConfig, from: Ipv4Addr, to: Ipv4Addr, w: WireIke2) -> Option<Packet> {
    let child = |spi: u32, s: WireStart| -> Option<ChildRequest> {
        let (offer, _) = offer_for(sender, &start(s), to)?;
        Some(ChildRequest { spi, offer })
    };
    Some(match w {
        WireIke2::SaInitReq { ispi, ke } => Packet::SaInitReq {
            ispi,
            offer: sender.ikev2_policy_for(from)?.proposals,
            ke: DhGroup(ke),
        },
        WireIke2::SaInitResp { ispi, rspi, reply } => Packet::SaInitResp {
            ispi,
            rspi,
            reply: match reply {
                WireInit::Agreed {
                    encryption,
                    integrity,
                    prf,
                    group,
                } => InitReply::Agreed(Chosen {
                    encryption: value(V2_CIPHERS, &encryption)?,
                    integrity: match integrity {
                        Some(i) => Some(value(V2_HASHES, &i)?),
                        None => None,
                    },
                    prf: value(V2_HASHES, &prf)?,
                    group: DhGroup(group),
                }),
                WireInit::NoProposalChosen => InitReply::NoProposalChosen,
                WireInit::InvalidKe(g) => InitReply::InvalidKe(DhGroup(g)),
            },
        },
        WireIke2::AuthReq {
            ispi,
            rspi,
            proof: p,
            spi,
            start: s,
        } => Packet::AuthReq {
            ispi,
            rspi,
            proof: proof(p)?,
            child: child(spi, s)?,
        },
        WireIke2::AuthResp {
            ispi,
            rspi,
            accepted,
        } => Packet::AuthResp {
            ispi,
            rspi,
            reply: match accepted {
                None => AuthReply::Failed,
                Some((p, c)) => AuthReply::Accepted {
                    proof: proof(p)?,
                    child: child_reply(c),
                },
            },
        },
        WireIke2::ChildReq {
            ispi,
            rspi,
            mid,
            from_initiator,
            rekey,
            spi,
            start: s,
        } => Packet::ChildReq {
            ispi,
            rspi,
            mid,
            from_initiator,
            rekey,
            child: child(spi, s)?,
        },
        WireIke2::ChildResp {
            ispi,
            rspi,
            mid,
            from_initiator,
            reply,
        } => Packet::ChildResp {
            ispi,
            rspi,
            mid,
            from_initiator,
            reply: child_reply(reply),
        },
        WireIke2::InfoReq {
            ispi,
            rspi,
            mid,
            from_initiator,
            delete,
        } => Packet::InfoReq {
            ispi,
            rspi,
            mid,
            from_initiator,
            info: match delete {
                None => Info::Dpd,
                Some((ike, spis)) => Info::Delete { ike, spis },
            },
        },
        WireIke2::InfoResp {
            ispi,
            rspi,
            mid,
            from_initiator,
        } => Packet::InfoResp {
            ispi,
            rspi,
            mid,
            from_initiator,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ios::model::Credential;
    use crate::lab::scenario::Scenario;
    use crate::secret::Secret;

    fn cfg(scenario: &str, router: usize) -> RunningConfig {
        let s = Scenario::embedded(scenario).unwrap();
        crate::ios::parse(&s.routers[router].config).config
    }

    fn ip(s: &str) -> Ipv4Addr {
        s.parse().unwrap()
    }

    /// Through JSON and back, rebuilt from the sender's config.
    fn carry(sender: &RunningConfig, p: &Packet) -> Packet {
        let text = serde_json::to_string(&encode(p)).unwrap();
        let w: WireIke2 = serde_json::from_str(&text).unwrap();
        decode(sender, ip("203.0.113.1"), ip("203.0.113.2"), w).unwrap()
    }

    #[test]
    fn offers_are_rebuilt_from_the_senders_config_and_keys_cross_as_digests() {
        let r1 = cfg("ikev2-vti-healthy", 0);
        let offer = r1.ikev2_policy_for(ip("203.0.113.1")).unwrap().proposals;
        let init = Packet::SaInitReq {
            ispi: 7,
            offer: offer.clone(),
            ke: DhGroup(14),
        };
        assert_eq!(carry(&r1, &init), init);
        let (child, _) = offer_for(
            &r1,
            &Start::Vti {
                interface: "Tunnel0".into(),
            },
            ip("203.0.113.2"),
        )
        .unwrap();
        let key = Credential {
            secret: Secret::new("Vpn-Key-2026"),
            kind: 0,
            line: 1,
        };
        let auth = Packet::AuthReq {
            ispi: 7,
            rspi: 9,
            proof: Proof {
                id: Ikev2Id::Address(ip("203.0.113.1")),
                method: crate::ios::ikev2::Ikev2Auth::PreShare,
                key: Some(KeyProof::Key(key.clone())),
            },
            child: ChildRequest {
                spi: 11,
                offer: child,
            },
        };
        let text = serde_json::to_string(&encode(&auth)).unwrap();
        assert!(!text.contains("Vpn-Key"), "{text}");
        let Packet::AuthReq { proof, child, .. } = carry(&r1, &auth) else {
            panic!()
        };
        let Packet::AuthReq { child: sent, .. } = &auth else {
            panic!()
        };
        assert_eq!(&child, sent);
        let crossed = proof.key.unwrap();
        assert_eq!(crossed.compare(&key), crate::ios::keys::KeyCompare::Equal);
        let other = Credential {
            secret: Secret::new("Vpn-Key-2025"),
            ..key
        };
        assert_eq!(
            crossed.compare(&other),
            crate::ios::keys::KeyCompare::Different
        );
    }

    #[test]
    fn a_reference_that_does_not_resolve_is_dropped() {
        let r1 = cfg("ikev2-vti-healthy", 0);
        let w = WireIke2::ChildReq {
            ispi: 1,
            rspi: 2,
            mid: 2,
            from_initiator: true,
            rekey: None,
            spi: 3,
            start: WireStart::Vti("Tunnel9".into()),
        };
        assert!(decode(&r1, ip("203.0.113.1"), ip("203.0.113.2"), w).is_none());
        let bad = WireIke2::SaInitResp {
            ispi: 1,
            rspi: 2,
            reply: WireInit::Agreed {
                encryption: "rot13".into(),
                integrity: None,
                prf: "sha256".into(),
                group: 14,
            },
        };
        assert!(decode(&r1, ip("203.0.113.1"), ip("203.0.113.2"), bad).is_none());
    }
}
