//! A child SA as either side of IKE_AUTH or CREATE_CHILD_SA settles it: the answering side's
//! verdict on an offer (`crate::ios::child_sa`) with the lines of a refusal, and the SA pair
//! each side installs.

use super::msg::{ChildReply, ChildRequest};
use super::say::V;
use super::talk::{self, Talk2};
use crate::ios::child_sa::{ChildAgreement, ChildOffer, ChildOutcome, ChildSource};
use crate::ios::model::DhGroup;
use crate::ios::tunnel::IkeVersion;
use crate::lab::ike::exchange::{Install, VTI_MAP_SEQ, vti_map};

/// The crypto map name and sequence an SA is installed under: the map entry's, or the ones
/// IOS makes for a tunnel (`Tunnel0-head-0`, 65537).
fn map_of(source: &ChildSource) -> (String, u32) {
    match source {
        ChildSource::CryptoMap { map, seq, .. } => (map.clone(), *seq),
        ChildSource::Vti { interface, .. } => (vti_map(interface).0, VTI_MAP_SEQ),
    }
}

/// The crypto engine loading a new child SA's keys.
pub fn loaded(t: &mut Talk2<'_>) {
    t.say(V::LoadKeyMaterial, &[]);
    t.say(V::CreateIpsecSa, &[]);
    t.say(V::CreateIpsecSaPassed, &[]);
}

/// The answering side's reply to `request` and the notify payloads of a refusal; on
/// agreement its own inbound SPI is `spi` and `pfs` the group of the exchange (none inside
/// IKE_AUTH).
pub fn reply(
    t: &mut Talk2<'_>,
    outcome: &ChildOutcome,
    request: &ChildRequest,
    spi: u32,
    pfs: Option<DhGroup>,
) -> ChildReply {
    match outcome {
        ChildOutcome::Agreed(a) => ChildReply::Created {
            spi,
            transform: request
                .offer
                .transform_sets
                .iter()
                .position(|s| *s == a.transform)
                .unwrap_or(0),
            lifetime_seconds: a.lifetime_seconds,
            lifetime_kilobytes: a.lifetime_kilobytes,
            pfs,
        },
        ChildOutcome::TransformMismatch { offer, responder }
        | ChildOutcome::PfsMismatch {
            offer, responder, ..
        } => {
            let words = |sets: &[crate::ios::model::TransformSet], g: Option<DhGroup>| {
                sets.iter()
                    .map(|s| talk::esp_policy_words(s, g))
                    .collect::<Vec<_>>()
            };
            t.policy_lists(
                &words(&offer.transform_sets, offer.pfs),
                &words(&responder.transform_sets, responder.pfs),
                true,
            );
            t.say(V::SendNoProposal, &[]);
            ChildReply::NoProposalChosen
        }
        _ => {
            t.say(V::SendTsUnacceptable, &[]);
            ChildReply::TsUnacceptable
        }
    }
}

/// The pair the answering side installs: its inbound SPI `spi`, the asking side's
/// `request.spi` outbound, the selectors seen from its side.
pub fn answered(a: &ChildAgreement, request: &ChildRequest, spi: u32, interface: &str) -> Install {
    let mirrored = a.selectors.mirrored();
    let (map, seq) = map_of(&a.responder.source);
    Install {
        in_spi: spi,
        out_spi: request.spi,
        local: mirrored.local,
        remote: mirrored.remote,
        transform: a.responder_transform.transforms_text(),
        pfs: a.pfs.map(|g| g.0),
        lifetime_seconds: a.lifetime_seconds,
        lifetime_kilobytes: a.lifetime_kilobytes,
        map,
        seq,
        interface: interface.to_string(),
        ike: IkeVersion::V2,
    }
}

/// The pair the asking side installs from a `Created` reply's values.
pub fn asked(
    offer: &ChildOffer,
    in_spi: u32,
    reply: &ChildReply,
    interface: &str,
) -> Option<Install> {
    let ChildReply::Created {
        spi,
        transform,
        lifetime_seconds,
        lifetime_kilobytes,
        pfs,
    } = reply
    else {
        return None;
    };
    let set = offer
        .transform_sets
        .get(*transform)
        .or(offer.transform_sets.first());
    let (map, seq) = map_of(&offer.source);
    Some(Install {
        in_spi,
        out_spi: *spi,
        local: offer.selectors.local,
        remote: offer.selectors.remote,
        transform: set.map(|s| s.transforms_text()).unwrap_or_default(),
        pfs: pfs.map(|g| g.0),
        lifetime_seconds: *lifetime_seconds,
        lifetime_kilobytes: *lifetime_kilobytes,
        map,
        seq,
        interface: interface.to_string(),
        ike: IkeVersion::V2,
    })
}
