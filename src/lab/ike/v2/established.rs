//! An IKE SA that is up, on either router: it answers the peer's INFORMATIONAL (dead peer
//! detection, deletes) and CREATE_CHILD_SA requests, and makes its own (a rekey or a new
//! child SA, a liveness check, a delete after `clear`).
//!
//! CREATE_CHILD_SA is where PFS counts: the first child SA was made inside IKE_AUTH with the
//! IKE SA's keys, so a PFS mismatch only shows when a child SA is rekeyed or made afresh
//! (`crate::ios::child_sa`, which quick mode's rule of checking PFS at once decides here).

use super::child;
use super::initiator::backoff;
use super::msg::{ChildRequest, Info, Out2, Packet};
use super::say::{V, ike_spi};
use super::state::{Ctx2, IkeSa};
use super::talk::{self, Exchange, Header, Talk2};
use crate::ios::child_sa::{ChildOffer, ChildOutcome, child_sa};
use crate::ios::tunnel::IkeVersion;
use crate::lab::ike::ids::Ids;
use std::time::Duration;

#[derive(Debug, Clone)]
struct Answer {
    mid: u32,
    packet: Packet,
    exchange: Exchange,
    payloads: String,
}

#[derive(Debug)]
pub struct Established {
    pub ctx: Ctx2,
    ids: Ids,
    pub record: IkeSa,
    /// The IKEv2 profile this side uses for the SA.
    pub profile: String,
    /// The last request this side sent, to resend it.
    last_request: Option<(Packet, Exchange)>,
    /// The last answer, for a retransmitted request.
    last_answer: Option<Answer>,
    /// The tunnel was announced up (`Crypto tunnel v2 is UP`): a child SA came up under it.
    pub announced: bool,
}

fn spi8(spi: u32) -> String {
    format!("{spi:08X}")
}

/// What a CREATE_CHILD_SA request carries: `KE` when PFS asks for a new Diffie-Hellman, and
/// `NOTIFY(REKEY_SA)` when it replaces a child SA.
fn child_payloads(pfs: bool, rekey: bool) -> String {
    let mut p = String::from("SA N");
    if pfs {
        p.push_str(" KE");
    }
    p.push_str(" TSi TSr");
    if rekey {
        p.push_str(" NOTIFY(REKEY_SA)");
    }
    p
}

impl Established {
    pub fn new(
        ctx: Ctx2,
        ids: Ids,
        record: IkeSa,
        profile: String,
        announced: bool,
    ) -> Established {
        Established {
            ctx,
            ids,
            record,
            profile,
            last_request: None,
            last_answer: None,
            announced,
        }
    }

    pub fn ispi(&self) -> u64 {
        self.record.ispi
    }

    fn talk<'a>(&self, out: &'a mut Vec<Out2>) -> Talk2<'a> {
        Talk2::new(&self.ctx, out)
    }

    fn header<'p>(
        &self,
        exchange: Exchange,
        request: bool,
        mid: u32,
        payloads: &'p str,
    ) -> Header<'p> {
        Header {
            exchange,
            request,
            ispi: self.record.ispi,
            rspi: self.record.rspi,
            mid,
            payloads,
        }
    }

    fn answer(
        &mut self,
        out: &mut Vec<Out2>,
        mid: u32,
        packet: Packet,
        exchange: Exchange,
        payloads: &str,
    ) {
        let ctx = self.ctx.clone();
        let h = self.header(exchange, false, mid, payloads);
        self.talk(out).sending(&ctx, h);
        out.push(Out2::Send(packet.clone()));
        self.last_answer = Some(Answer {
            mid,
            packet,
            exchange,
            payloads: payloads.to_string(),
        });
        self.record.remote_mid = self.record.remote_mid.max(mid + 1);
        out.push(Out2::Sa(Box::new(self.record.clone())));
    }

    /// A request from the peer on this SA.
    pub fn on_request(&mut self, packet: Packet) -> Vec<Out2> {
        let mut out = Vec::new();
        let mid = packet.mid();
        if mid < self.record.remote_mid {
            self.resend(mid, &mut out);
            return out;
        }
        let ctx = self.ctx.clone();
        match packet {
            Packet::InfoReq {
                info: Info::Dpd, ..
            } => {
                let h = self.header(Exchange::Informational, true, mid, "");
                let mut t = self.talk(&mut out);
                t.received(&ctx, h);
                t.say(V::ProcessInfo, &[]);
                let ack = self.info_ack(mid);
                self.answer(&mut out, mid, ack, Exchange::Informational, "");
            }
            Packet::InfoReq {
                info: Info::Delete { ike, spis },
                ..
            } => {
                let h = self.header(Exchange::Informational, true, mid, "DELETE");
                let mut t = self.talk(&mut out);
                t.received(&ctx, h);
                for spi in &spis {
                    t.say(V::ProcessDeleteChild, &[&spi8(*spi)]);
                }
                if ike {
                    t.say(
                        V::ProcessDeleteIke,
                        &[&ike_spi(self.record.ispi), &ike_spi(self.record.rspi)],
                    );
                }
                out.push(Out2::ChildrenGone {
                    in_spis: Vec::new(),
                    out_spis: spis,
                });
                let ack = self.info_ack(mid);
                self.answer(&mut out, mid, ack, Exchange::Informational, "");
                if ike {
                    self.gone(&mut out);
                }
            }
            Packet::ChildReq { rekey, child, .. } => {
                self.on_child_request(mid, rekey, child, &mut out)
            }
            _ => {}
        }
        out
    }

    fn info_ack(&self, mid: u32) -> Packet {
        Packet::InfoResp {
            ispi: self.record.ispi,
            rspi: self.record.rspi,
            mid,
            from_initiator: self.record.initiator,
        }
    }

    fn resend(&mut self, mid: u32, out: &mut Vec<Out2>) {
        let Some(a) = self.last_answer.clone().filter(|a| a.mid == mid) else {
            return;
        };
        let ctx = self.ctx.clone();
        let h = self.header(a.exchange, false, mid, &a.payloads);
        self.talk(out).sending(&ctx, h);
        out.push(Out2::Send(a.packet));
    }

    /// The IKE SA (and every child SA under it) is deleted on this side.
    fn gone(&mut self, out: &mut Vec<Out2>) {
        let ctx = self.ctx.clone();
        let mut t = self.talk(out);
        t.say(V::DeletingSa, &[]);
        if self.announced {
            t.syslog(V::TunnelDown, &[&ctx.peer, &ctx.peer]);
        }
        out.push(Out2::AllChildrenGone);
        out.push(Out2::SaGone {
            ispi: self.record.ispi,
        });
    }

    fn on_child_request(
        &mut self,
        mid: u32,
        rekey: Option<u32>,
        child: ChildRequest,
        out: &mut Vec<Out2>,
    ) {
        let ctx = self.ctx.clone();
        let payloads = child_payloads(child.offer.pfs.is_some(), rekey.is_some());
        let h = self.header(Exchange::CreateChild, true, mid, &payloads);
        let mut t = self.talk(out);
        t.received(&ctx, h);
        t.say(V::ProcessChildSa, &[]);
        let outcome = child_sa(
            IkeVersion::V1,
            child.offer.clone(),
            ctx.peer,
            &ctx.cfg,
            ctx.local,
        );
        let spi = self.ids.spi();
        if let ChildOutcome::Agreed(a) = &outcome {
            if let Some(g) = a.pfs {
                t.dh_public(g);
                t.dh_secret(g);
            }
            t.esp_proposals(std::slice::from_ref(&a.responder_transform), a.pfs);
            child::loaded(&mut t);
            if !self.announced {
                t.syslog(V::TunnelUp, &[&ctx.peer, &ctx.peer]);
                self.announced = true;
            }
            t.out.push(Out2::Installed(child::answered(
                a,
                &child,
                spi,
                &ctx.interface,
            )));
        }
        let pfs = outcome.agreement().and_then(|a| a.pfs);
        let reply = child::reply(&mut t, &outcome, &child, spi, pfs);
        let payloads = match reply.notify() {
            None => child_payloads(pfs.is_some(), false),
            Some(n) => format!("NOTIFY({n})"),
        };
        t.say(V::BuildingPacket, &[&payloads]);
        let answer = Packet::ChildResp {
            ispi: self.record.ispi,
            rspi: self.record.rspi,
            mid,
            from_initiator: self.record.initiator,
            reply,
        };
        self.answer(out, mid, answer, Exchange::CreateChild, talk::ENCRYPTED);
    }

    fn next_mid(&mut self) -> u32 {
        let mid = self.record.local_mid;
        self.record.local_mid += 1;
        mid
    }

    fn request(&mut self, out: &mut Vec<Out2>, packet: Packet, exchange: Exchange) {
        let ctx = self.ctx.clone();
        let h = self.header(exchange, true, packet.mid(), talk::ENCRYPTED);
        self.talk(out).sending(&ctx, h);
        out.push(Out2::Send(packet.clone()));
        out.push(Out2::Sa(Box::new(self.record.clone())));
        self.last_request = Some((packet, exchange));
    }

    /// Asks the peer for a child SA: a new one, or one replacing the SA whose inbound SPI
    /// (here) is `rekey`.
    pub fn child_request(
        &mut self,
        rekey: Option<u32>,
        offer: ChildOffer,
    ) -> (Vec<Out2>, Packet, ChildRequest) {
        let mut out = Vec::new();
        let mid = self.next_mid();
        let request = ChildRequest {
            spi: self.ids.spi(),
            offer,
        };
        let mut t = self.talk(&mut out);
        t.say(V::GenChildSa, &[]);
        if let Some(g) = request.offer.pfs {
            t.dh_public(g);
        }
        t.esp_proposals(&request.offer.transform_sets, request.offer.pfs);
        t.say(
            V::BuildingPacket,
            &[&child_payloads(
                request.offer.pfs.is_some(),
                rekey.is_some(),
            )],
        );
        let packet = Packet::ChildReq {
            ispi: self.record.ispi,
            rspi: self.record.rspi,
            mid,
            from_initiator: self.record.initiator,
            rekey,
            child: request.clone(),
        };
        self.request(&mut out, packet.clone(), Exchange::CreateChild);
        (out, packet, request)
    }

    /// The peer's answer to [`Established::child_request`].
    pub fn on_child_answer(
        &mut self,
        answer: Packet,
        request: &ChildRequest,
        rekey: Option<u32>,
    ) -> Vec<Out2> {
        let mut out = Vec::new();
        let Packet::ChildResp { mid, reply, .. } = answer else {
            return out;
        };
        self.last_request = None;
        let ctx = self.ctx.clone();
        let payloads = match reply.notify() {
            None => child_payloads(request.offer.pfs.is_some(), false),
            Some(n) => format!("NOTIFY({n})"),
        };
        let h = self.header(Exchange::CreateChild, false, mid, &payloads);
        let mut t = self.talk(&mut out);
        t.received(&ctx, h);
        match child::asked(&request.offer, request.spi, &reply, &ctx.interface) {
            Some(install) => {
                if let Some(g) = install.pfs {
                    t.dh_secret(crate::ios::model::DhGroup(g));
                }
                child::loaded(&mut t);
                if !self.announced {
                    t.syslog(V::TunnelUp, &[&ctx.peer, &ctx.peer]);
                    self.announced = true;
                }
                t.out.push(Out2::Installed(install));
            }
            None => {
                t.say(V::ReceivedNoProposal, &[]);
                if let Some(old) = rekey {
                    t.say(V::RekeyFailed, &[&spi8(old)]);
                }
            }
        }
        out
    }

    /// A liveness check (dead peer detection).
    pub fn dpd_request(&mut self) -> (Vec<Out2>, Packet) {
        let mut out = Vec::new();
        let mid = self.next_mid();
        let mut t = self.talk(&mut out);
        t.say(V::SendDpd, &[]);
        t.say(V::BuildingPacket, &[&""]);
        let packet = Packet::InfoReq {
            ispi: self.record.ispi,
            rspi: self.record.rspi,
            mid,
            from_initiator: self.record.initiator,
            info: Info::Dpd,
        };
        self.request(&mut out, packet.clone(), Exchange::Informational);
        (out, packet)
    }

    /// The acknowledgement of an INFORMATIONAL request.
    pub fn on_info_answer(&mut self, mid: u32) -> Vec<Out2> {
        let mut out = Vec::new();
        self.last_request = None;
        let ctx = self.ctx.clone();
        let h = self.header(Exchange::Informational, false, mid, "");
        let mut t = self.talk(&mut out);
        t.received(&ctx, h);
        t.say(V::ProcessingAck, &[]);
        out
    }

    /// The peer stopped answering: the SA and its children go.
    pub fn dead(&mut self) -> Vec<Out2> {
        let mut out = Vec::new();
        let peer = self.ctx.peer;
        self.talk(&mut out).say(V::DpdNoAnswer, &[&peer]);
        self.gone(&mut out);
        out
    }

    /// `clear crypto …`: tells the peer (one INFORMATIONAL with the delete, not waited for)
    /// and deletes the SA here.
    pub fn delete_request(&mut self) -> Vec<Out2> {
        let mut out = Vec::new();
        let mid = self.next_mid();
        let mut t = self.talk(&mut out);
        t.say(V::QueueDelete, &[&"Clear command"]);
        t.say(
            V::SendDeleteIke,
            &[&ike_spi(self.record.ispi), &ike_spi(self.record.rspi)],
        );
        t.say(V::BuildingPacket, &[&"DELETE"]);
        t.say(V::CheckFit, &[]);
        let packet = Packet::InfoReq {
            ispi: self.record.ispi,
            rspi: self.record.rspi,
            mid,
            from_initiator: self.record.initiator,
            info: Info::Delete {
                ike: true,
                spis: Vec::new(),
            },
        };
        self.request(&mut out, packet, Exchange::Informational);
        self.gone(&mut out);
        out
    }

    /// The last request again, unanswered so far; the wait before the next try.
    pub fn retransmit(&self, attempt: u32) -> (Vec<Out2>, Option<Packet>, Duration) {
        let mut out = Vec::new();
        let Some((packet, exchange)) = self.last_request.clone() else {
            return (out, None, backoff(attempt));
        };
        let ctx = self.ctx.clone();
        let h = self.header(exchange, true, packet.mid(), talk::ENCRYPTED);
        let mut t = self.talk(&mut out);
        t.say(V::Retransmitting, &[]);
        t.sending(&ctx, h);
        out.push(Out2::Send(packet.clone()));
        (out, Some(packet), backoff(attempt))
    }
}
