//! The side that answers: IKE_SA_INIT (the policy for the address the request came to, the
//! first proposal pair that agrees, or NO_PROPOSAL_CHOSEN / INVALID_KE_PAYLOAD), then IKE_AUTH
//! (the profile the initiator's identity selects, its proof, the first child SA).
//!
//! The responder installs its side of the child SA as soon as it accepts the initiator, and
//! authenticates itself even when it cannot make the child SA (the IKE SA exists without one),
//! as RFC 7296 §1.2 has it. Retransmitted requests get the same answer again.

use super::auth::{Refusal, keyring_peer, sign, verify};
use super::child;
use super::established::Established;
use super::initiator::DH_TIME;
use super::msg::{AuthReply, ChildReply, ChildRequest, Chosen, InitReply, Out2, Packet, Proof};
use super::names;
use super::say::V;
use super::state::{Ctx2, IkeSa, IkeStatus};
use super::talk::{self, Exchange, Header, Talk2};
use crate::ios::child_sa::{ChildOutcome, child_sa};
use crate::ios::ike_auth::usable;
use crate::ios::ikev2::{Ikev2Proposal, PolicyChoice};
use crate::ios::model::DhGroup;
use crate::ios::phase1::Side;
use crate::ios::sa_init::{agreed_values, choose_proposal, policy_on};
use crate::ios::tunnel::IkeVersion;
use crate::lab::ike::ids::Ids;

/// How long the responder waits for IKE_AUTH after answering IKE_SA_INIT.
pub const AUTH_WAIT_SECS: u32 = 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RState {
    Ready,
    WaitAuth,
    Up,
    Gone,
}

#[derive(Debug)]
pub struct Responder {
    ctx: Ctx2,
    ids: Ids,
    state: RState,
    ispi: u64,
    rspi: u64,
    record: Option<IkeSa>,
    /// The last answer, resent as is to a retransmitted request.
    last: Option<(Packet, Exchange, String)>,
    established: Option<Established>,
}

impl Responder {
    pub fn new(ctx: Ctx2, ids: Ids, ispi: u64) -> Responder {
        Responder {
            ctx,
            ids,
            state: RState::Ready,
            ispi,
            rspi: 0,
            record: None,
            last: None,
            established: None,
        }
    }

    pub fn is_gone(&self) -> bool {
        self.state == RState::Gone
    }

    pub fn take_established(&mut self) -> Option<Established> {
        self.established.take()
    }

    fn talk<'a>(&self, out: &'a mut Vec<Out2>) -> Talk2<'a> {
        Talk2::new(&self.ctx, out)
    }

    fn header<'p>(&self, exchange: Exchange, request: bool, payloads: &'p str) -> Header<'p> {
        Header {
            exchange,
            request,
            ispi: self.ispi,
            rspi: self.rspi,
            mid: match exchange {
                Exchange::SaInit => 0,
                _ => 1,
            },
            payloads,
        }
    }

    fn answer(&mut self, out: &mut Vec<Out2>, packet: Packet, exchange: Exchange, payloads: &str) {
        let ctx = self.ctx.clone();
        let h = self.header(exchange, false, payloads);
        self.talk(out).sending(&ctx, h);
        out.push(Out2::Send(packet.clone()));
        self.last = Some((packet, exchange, payloads.to_string()));
    }

    /// A request from the initiator.
    pub fn on_packet(&mut self, packet: Packet) -> Vec<Out2> {
        let mut out = Vec::new();
        match (self.state, packet) {
            (RState::Ready, Packet::SaInitReq { offer, ke, .. }) => {
                self.on_sa_init(&offer, ke, &mut out)
            }
            (RState::WaitAuth, Packet::AuthReq { proof, child, .. }) => {
                self.on_auth(proof, child, &mut out)
            }
            (_, p) if self.is_duplicate(&p) => self.resend(&p, &mut out),
            _ => {}
        }
        out
    }

    fn is_duplicate(&self, p: &Packet) -> bool {
        matches!(
            (&self.last, p),
            (
                Some((Packet::SaInitResp { .. }, ..)),
                Packet::SaInitReq { .. }
            ) | (Some((Packet::AuthResp { .. }, ..)), Packet::AuthReq { .. })
        )
    }

    fn resend(&mut self, p: &Packet, out: &mut Vec<Out2>) {
        let Some((answer, exchange, payloads)) = self.last.clone() else {
            return;
        };
        let received = match p {
            Packet::SaInitReq { .. } => talk::SA_INIT_PAYLOADS,
            _ => talk::AUTH_REQUEST_PAYLOADS,
        };
        let ctx = self.ctx.clone();
        let h = self.header(exchange, true, received);
        self.talk(out).received(&ctx, h);
        let h = self.header(exchange, false, &payloads);
        self.talk(out).sending(&ctx, h);
        out.push(Out2::Send(answer));
    }

    fn on_sa_init(&mut self, offer: &[Ikev2Proposal], ke: DhGroup, out: &mut Vec<Out2>) {
        let ctx = self.ctx.clone();
        let h = self.header(Exchange::SaInit, true, talk::SA_INIT_PAYLOADS);
        let mut t = self.talk(out);
        t.received(&ctx, h);
        t.say(V::VerifySaInit, &[]);
        t.say(V::InsertSa, &[]);
        t.say(V::SearchPolicy, &[&ctx.local]);
        let local = policy_on(&ctx.cfg, ctx.local, Side::Responder).ok();
        if let Some(l) = &local {
            if l.policy.line == 0 {
                t.say(V::DefaultPolicy, &[]);
            }
            t.say(V::FoundPolicy, &[&l.policy.name]);
        } else {
            t.say(V::NoPolicy, &[&ctx.local]);
        }
        t.say(V::ProcessingSaInit, &[]);
        let chosen = local.as_ref().and_then(|l| choose(offer, l));
        let Some(chosen) = chosen else {
            let received: Vec<String> = offer.iter().flat_map(talk::policy_words).collect();
            let expected: Vec<String> = local
                .iter()
                .flat_map(|l| l.proposals.iter().flat_map(talk::policy_words))
                .collect();
            t.policy_lists(&received, &expected, false);
            t.say(V::SendNoProposal, &[]);
            let answer = Packet::SaInitResp {
                ispi: self.ispi,
                rspi: 0,
                reply: InitReply::NoProposalChosen,
            };
            self.answer(out, answer, Exchange::SaInit, "NOTIFY(NO_PROPOSAL_CHOSEN)");
            self.talk(out).say(V::DeletingSa, &[]);
            self.state = RState::Gone;
            return;
        };
        if chosen.group != ke {
            // The key share is for another group: ask for the one chosen, keep no state.
            t.say(V::WrongDhGroup, &[]);
            t.say(V::SendInvalidKe, &[]);
            let answer = Packet::SaInitResp {
                ispi: self.ispi,
                rspi: 0,
                reply: InitReply::InvalidKe(chosen.group),
            };
            self.answer(out, answer, Exchange::SaInit, "NOTIFY(INVALID_KE_PAYLOAD)");
            self.last = None;
            return;
        }
        self.rspi = self.ids.ike_spi();
        let mut t = self.talk(out);
        t.dh_public(chosen.group);
        t.dh_secret(chosen.group);
        t.out.push(Out2::Elapse(DH_TIME));
        t.say(V::GenSaInit, &[]);
        t.chosen_proposal(&chosen);
        let answer = Packet::SaInitResp {
            ispi: self.ispi,
            rspi: self.rspi,
            reply: InitReply::Agreed(chosen),
        };
        self.answer(out, answer, Exchange::SaInit, talk::SA_INIT_PAYLOADS);
        let mut t = self.talk(out);
        t.say(V::CompletedSaInit, &[]);
        t.say(V::StartingAuthTimer, &[&AUTH_WAIT_SECS]);
        let record = IkeSa {
            owner: 0,
            local: ctx.local,
            remote: ctx.peer,
            tunnel_id: ctx.tunnel_id,
            session_id: ctx.session,
            status: IkeStatus::InNeg,
            initiator: false,
            ispi: self.ispi,
            rspi: self.rspi,
            chosen: Some(chosen),
            auth_sign: None,
            auth_verify: None,
            local_id: None,
            remote_id: None,
            lifetime: 0,
            since: ctx.now,
            dpd: None,
            periodic_dpd: false,
            local_mid: 0,
            remote_mid: 1,
            interface: ctx.tunnel.clone(),
            profile: None,
        };
        out.push(Out2::Sa(Box::new(record.clone())));
        self.record = Some(record);
        self.state = RState::WaitAuth;
    }

    /// Refuses the initiator with AUTHENTICATION_FAILED and drops the SA.
    fn refuse(&mut self, out: &mut Vec<Out2>) {
        self.talk(out).say(V::SendAuthFailNotify, &[]);
        let answer = Packet::AuthResp {
            ispi: self.ispi,
            rspi: self.rspi,
            reply: AuthReply::Failed,
        };
        self.answer(out, answer, Exchange::Auth, "NOTIFY(AUTHENTICATION_FAILED)");
        let mut t = self.talk(out);
        t.say(V::AuthExchangeFailed, &[]);
        t.say(V::AbortExchange, &[]);
        t.say(V::DeletingSa, &[]);
        out.push(Out2::SaGone { ispi: self.ispi });
        self.state = RState::Gone;
    }

    fn on_auth(&mut self, proof: Proof, child: ChildRequest, out: &mut Vec<Out2>) {
        let ctx = self.ctx.clone();
        let h = self.header(Exchange::Auth, true, talk::AUTH_REQUEST_PAYLOADS);
        let mut t = self.talk(out);
        t.received(&ctx, h);
        t.say(V::StoppingAuthTimer, &[]);
        t.say(V::CheckingNat, &[]);
        t.say(V::NatNotFound, &[]);
        let (id, kind) = names::identity(&proof.id);
        t.say(V::SearchPolicyById, &[&id, &kind]);
        let Some(profile) = ctx
            .cfg
            .ikev2_profiles_for(&proof.id, ctx.local)
            .first()
            .map(|p| (*p).clone())
        else {
            t.say(V::ProfileNotFound, &[]);
            t.say(V::LocateFailed, &[]);
            self.refuse(out);
            return;
        };
        t.say(V::FoundProfile, &[&profile.name]);
        let ring = keyring_peer(&mut t, &ctx.cfg, &profile, ctx.peer, Some(&proof.id));
        t.say(V::SearchPolicy, &[&ctx.local]);
        if let Ok(p) = policy_on(&ctx.cfg, ctx.local, Side::Responder) {
            t.say(V::FoundPolicy, &[&p.policy.name]);
        }
        t.say(V::NotVpnSip, &[]);
        t.say(V::VerifyPeerPolicy, &[]);
        if usable(&profile, Side::Responder).is_err() {
            t.say(V::PeerPolicyFailed, &[]);
            self.refuse(out);
            return;
        }
        t.say(V::PeerPolicyVerified, &[]);
        match verify(&mut t, &profile, ring, &proof) {
            Ok(()) => {}
            Err(Refusal::Method | Refusal::NoKey | Refusal::Key) => {
                self.refuse(out);
                return;
            }
        }
        // The initiator is authenticated: the child SA, then this side's own proof.
        let outcome = child_sa(
            IkeVersion::V2,
            child.offer.clone(),
            ctx.peer,
            &ctx.cfg,
            ctx.local,
        );
        let spi = self.ids.spi();
        let reply = child::reply(&mut t, &outcome, &child, spi, None);
        let Some(mine) = sign(&mut t, ctx.local, &profile, ring) else {
            self.refuse(out);
            return;
        };
        t.say(V::GenAuth, &[]);
        let (my_id, my_kind) = names::identity(&mine.id);
        t.say(V::ConstructIdr, &[&my_id, &my_kind]);
        let payloads = match reply.notify() {
            None => {
                if let ChildOutcome::Agreed(a) = &outcome {
                    t.esp_proposals(std::slice::from_ref(&a.responder_transform), None);
                }
                talk::AUTH_RESPONSE_PAYLOADS.to_string()
            }
            Some(n) => format!("VID IDr AUTH NOTIFY({n})"),
        };
        t.say(V::BuildingPacket, &[&payloads]);
        let answer = Packet::AuthResp {
            ispi: self.ispi,
            rspi: self.rspi,
            reply: AuthReply::Accepted {
                proof: mine.clone(),
                child: reply.clone(),
            },
        };
        self.answer(out, answer, Exchange::Auth, talk::ENCRYPTED);
        let mut t = self.talk(out);
        t.say(V::SaCreated, &[&profile.lifetime]);
        t.say(V::SessionUp, &[&id, &my_id]);
        t.say(V::MibStarted, &[&ctx.tunnel_id]);
        t.say(V::CheckDuplicate, &[]);
        t.say(V::NoDuplicate, &[]);
        let Some(mut record) = self.record.take() else {
            return;
        };
        record.status = IkeStatus::Ready;
        record.auth_sign = Some(mine.method);
        record.auth_verify = Some(proof.method);
        record.local_id = Some(mine.id.clone());
        record.remote_id = Some(proof.id.clone());
        record.lifetime = profile.lifetime;
        record.dpd = profile.dpd.as_ref().map(|d| (d.interval, d.retry));
        record.periodic_dpd = profile.dpd.as_ref().is_some_and(|d| d.periodic);
        record.remote_mid = 2;
        record.profile = Some(profile.name.clone());
        record.since = ctx.now;
        if let ChildOutcome::Agreed(a) = &outcome {
            child::loaded(&mut t);
            t.syslog(V::TunnelUp, &[&ctx.peer, &ctx.peer]);
            t.out.push(Out2::Installed(child::answered(
                a,
                &child,
                spi,
                &ctx.interface,
            )));
        }
        out.push(Out2::Sa(Box::new(record.clone())));
        let announced = matches!(reply, ChildReply::Created { .. });
        self.established = Some(Established::new(
            ctx,
            self.ids.clone(),
            record,
            profile.name.clone(),
            announced,
        ));
        self.state = RState::Up;
    }
}

/// The first of the responder's proposals that agrees with one offered, and the values taken
/// from the pair (`crate::ios::sa_init`'s choice).
fn choose(offer: &[Ikev2Proposal], local: &PolicyChoice) -> Option<Chosen> {
    let (Some((o, l)), _) = choose_proposal(offer, &local.proposals) else {
        return None;
    };
    let v = agreed_values(o, l);
    Some(Chosen {
        encryption: v.encryption,
        integrity: v.integrity,
        prf: v.prf,
        group: v.group,
    })
}
