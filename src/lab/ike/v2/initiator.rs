//! The side that had traffic to protect: IKE_SA_INIT, then IKE_AUTH with the first child SA,
//! as a state type that takes one packet (or a retransmission timer) and says what it does.
//!
//! Each decision is `crate::ios`'s: the policy for the local address and its proposals, the
//! profile's identity, method and keys, whether the responder's identity is one the profile
//! matches. A refusal the initiator finds in the responder's answer (its identity, its proof,
//! no child SA) ends with the IKE SA deleted, as IOS does.

use super::auth::{keyring_peer, sign, verify};
use super::child;
use super::established::Established;
use super::msg::{
    AuthReply, ChildReply, ChildRequest, Chosen, Info, InitReply, Out2, Packet, Proof,
};
use super::names;
use super::say::V;
use super::state::{Ctx2, IkeSa, IkeStatus};
use super::talk::{self, Exchange, Header, Talk2};
use crate::ios::child_sa::ChildOffer;
use crate::ios::ike_auth::usable;
use crate::ios::ikev2::{Ikev2Profile, Ikev2Proposal};
use crate::ios::model::DhGroup;
use crate::ios::phase1::Side;
use crate::ios::sa_init::policy_on;
use crate::lab::ike::ids::Ids;
use std::time::Duration;

/// IOS resends an unanswered request after 2 s, then waits twice as long each time…
pub const RETRANSMIT_FIRST: Duration = Duration::from_secs(2);
/// …and gives up once the fifth resend has gone unanswered.
pub const MAX_RETRANSMISSIONS: u32 = 5;
/// How long a Diffie-Hellman computation takes the lab's crypto engine.
pub const DH_TIME: Duration = Duration::from_millis(18);

/// The wait before retransmission `n` (0-based).
pub fn backoff(n: u32) -> Duration {
    RETRANSMIT_FIRST * 2u32.saturating_pow(n)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum IState {
    WaitInit,
    WaitAuth,
    /// Deleting what a refused IKE_AUTH left: the larval child SA first (when the refusal
    /// was about the child), then the IKE SA.
    WaitDelete {
        child_pending: bool,
    },
    Done,
}

/// The last request, kept to resend it as it was.
#[derive(Debug, Clone)]
struct Sent {
    packet: Packet,
    exchange: Exchange,
    mid: u32,
}

#[derive(Debug)]
pub struct Initiator {
    ctx: Ctx2,
    ids: Ids,
    profile: Ikev2Profile,
    offer: Vec<Ikev2Proposal>,
    child: ChildOffer,
    child_spi: u32,
    ispi: u64,
    rspi: u64,
    ke: DhGroup,
    state: IState,
    attempts: u32,
    last: Option<Sent>,
    record: IkeSa,
    /// Set once the SA is up: what answers later requests, for the network to keep.
    established: Option<Established>,
}

impl Initiator {
    /// Traffic needs a child SA toward `ctx.peer` and no IKE SA exists: start IKE_SA_INIT.
    /// `profile` is the IKEv2 profile the tunnel or crypto map entry names.
    pub fn start(
        ctx: Ctx2,
        mut ids: Ids,
        profile: &str,
        child: ChildOffer,
    ) -> (Option<Initiator>, Vec<Out2>) {
        let mut out = Vec::new();
        let mut t = Talk2::new(&ctx, &mut out);
        let Some(profile) = ctx.cfg.ikev2_profile(profile).cloned() else {
            t.say(V::ProfileNotFound, &[]);
            t.say(V::LocateFailed, &[]);
            out.push(Out2::Finished { up: false });
            return (None, out);
        };
        if usable(&profile, Side::Initiator).is_err() {
            t.say(V::PeerPolicyFailed, &[]);
            out.push(Out2::Finished { up: false });
            return (None, out);
        }
        let ring = keyring_peer(&mut t, &ctx.cfg, &profile, ctx.peer, None);
        if profile.keyring.is_some() && ring.is_none() {
            out.push(Out2::Finished { up: false });
            return (None, out);
        }
        t.say(V::SearchPolicy, &[&ctx.local]);
        let policy = match policy_on(&ctx.cfg, ctx.local, Side::Initiator) {
            Ok(p) => p,
            Err(_) => {
                t.say(V::NoPolicy, &[&ctx.local]);
                out.push(Out2::Finished { up: false });
                return (None, out);
            }
        };
        if policy.policy.line == 0 {
            t.say(V::DefaultPolicy, &[]);
        }
        t.say(V::FoundPolicy, &[&policy.policy.name]);
        let ispi = ids.ike_spi();
        let child_spi = ids.spi();
        let ke = policy
            .proposals
            .first()
            .and_then(|p| p.groups.first())
            .copied()
            .unwrap_or(DhGroup(14));
        let record = IkeSa {
            owner: 0,
            local: ctx.local,
            remote: ctx.peer,
            tunnel_id: ctx.tunnel_id,
            session_id: ctx.session,
            status: IkeStatus::InNeg,
            initiator: true,
            ispi,
            rspi: 0,
            chosen: None,
            auth_sign: profile.auth_local.map(|(m, _)| m),
            auth_verify: None,
            local_id: Some(profile.identity(ctx.local)),
            remote_id: None,
            lifetime: profile.lifetime,
            since: ctx.now,
            dpd: profile.dpd.as_ref().map(|d| (d.interval, d.retry)),
            periodic_dpd: profile.dpd.as_ref().is_some_and(|d| d.periodic),
            local_mid: 0,
            remote_mid: 0,
            interface: ctx.tunnel.clone(),
            profile: Some(profile.name.clone()),
        };
        let mut me = Initiator {
            ctx,
            ids,
            profile,
            offer: policy.proposals,
            child,
            child_spi,
            ispi,
            rspi: 0,
            ke,
            state: IState::WaitInit,
            attempts: 0,
            last: None,
            record,
            established: None,
        };
        me.send_sa_init(&mut out, true);
        (Some(me), out)
    }

    pub fn ispi(&self) -> u64 {
        self.ispi
    }

    pub fn is_done(&self) -> bool {
        self.state == IState::Done
    }

    /// The message id the next answer will carry.
    pub fn waiting_for(&self) -> u32 {
        self.last.as_ref().map_or(0, |s| s.mid)
    }

    /// The established SA once IKE_AUTH succeeded (taken once).
    pub fn take_established(&mut self) -> Option<Established> {
        self.established.take()
    }

    fn talk<'a>(&self, out: &'a mut Vec<Out2>) -> Talk2<'a> {
        Talk2::new(&self.ctx, out)
    }

    fn send(&mut self, out: &mut Vec<Out2>, packet: Packet, exchange: Exchange, payloads: &str) {
        let mid = packet.mid();
        let h = Header {
            exchange,
            request: true,
            ispi: self.ispi,
            rspi: self.rspi,
            mid,
            payloads,
        };
        let ctx = self.ctx.clone();
        self.talk(out).sending(&ctx, h);
        out.push(Out2::Send(packet.clone()));
        self.last = Some(Sent {
            packet,
            exchange,
            mid,
        });
        self.attempts = 0;
        out.push(Out2::Timer(backoff(0)));
    }

    fn send_sa_init(&mut self, out: &mut Vec<Out2>, first: bool) {
        let mut t = self.talk(out);
        t.dh_public(self.ke);
        t.out.push(Out2::Elapse(DH_TIME));
        t.say(V::NoConfigData, &[]);
        t.say(V::GenSaInit, &[]);
        t.ike_proposals(&self.offer);
        let packet = Packet::SaInitReq {
            ispi: self.ispi,
            offer: self.offer.clone(),
            ke: self.ke,
        };
        self.send(out, packet, Exchange::SaInit, talk::SA_INIT_PAYLOADS);
        if first {
            self.talk(out).say(V::InsertSa, &[]);
        }
        out.push(Out2::Sa(Box::new(self.record.clone())));
    }

    /// An answer from the responder.
    pub fn on_packet(&mut self, packet: Packet) -> Vec<Out2> {
        let mut out = Vec::new();
        match (self.state, packet) {
            (IState::WaitInit, Packet::SaInitResp { rspi, reply, .. }) => match reply {
                InitReply::Agreed(chosen) => self.on_agreed(rspi, chosen, &mut out),
                InitReply::NoProposalChosen => {
                    self.received(&mut out, Exchange::SaInit, 0, "NOTIFY(NO_PROPOSAL_CHOSEN)");
                    let mut t = self.talk(&mut out);
                    t.say(V::ReceivedNoProposal, &[]);
                    t.say(V::FailedSaInit, &[]);
                    t.say(V::InitialFailed, &[]);
                    self.fail(&mut out);
                }
                InitReply::InvalidKe(group) => {
                    self.received(&mut out, Exchange::SaInit, 0, "NOTIFY(INVALID_KE_PAYLOAD)");
                    self.talk(&mut out).say(V::ReceivedInvalidKe, &[&group]);
                    self.ke = group;
                    self.send_sa_init(&mut out, false);
                }
            },
            (IState::WaitAuth, Packet::AuthResp { reply, .. }) => match reply {
                AuthReply::Failed => {
                    self.received(&mut out, Exchange::Auth, 1, "NOTIFY(AUTHENTICATION_FAILED)");
                    let mut t = self.talk(&mut out);
                    t.say(V::ProcessAuthNotify, &[]);
                    t.say(V::AuthExchangeFailed, &[]);
                    t.say(V::AbortExchange, &[]);
                    self.fail(&mut out);
                }
                AuthReply::Accepted { proof, child } => self.on_auth(proof, child, &mut out),
            },
            (IState::WaitDelete { child_pending }, Packet::InfoResp { .. }) => {
                self.received(&mut out, Exchange::Informational, self.waiting_for(), "");
                let mut t = self.talk(&mut out);
                t.say(V::ProcessingAck, &[]);
                t.say(V::CheckExistingIpsec, &[]);
                t.say(V::DeleteAllIke, &[]);
                if child_pending {
                    self.send_delete(&mut out, false);
                } else {
                    self.talk(&mut out).say(V::DeletingSa, &[]);
                    self.fail(&mut out);
                }
            }
            // A late duplicate changes nothing.
            _ => {}
        }
        out
    }

    fn received(&self, out: &mut Vec<Out2>, exchange: Exchange, mid: u32, payloads: &str) {
        let h = Header {
            exchange,
            request: false,
            ispi: self.ispi,
            rspi: self.rspi,
            mid,
            payloads,
        };
        self.talk(out).received(&self.ctx, h);
    }

    fn on_agreed(&mut self, rspi: u64, chosen: Chosen, out: &mut Vec<Out2>) {
        self.rspi = rspi;
        self.record.rspi = rspi;
        self.record.chosen = Some(chosen);
        self.received(out, Exchange::SaInit, 0, talk::SA_INIT_PAYLOADS);
        let mut t = self.talk(out);
        t.say(V::ProcessingSaInit, &[]);
        t.say(V::VerifySaInit, &[]);
        t.say(V::ProcessingSaInit, &[]);
        t.say(V::CheckingNat, &[]);
        t.say(V::NatNotFound, &[]);
        t.dh_secret(chosen.group);
        t.out.push(Out2::Elapse(DH_TIME));
        t.say(V::CompletedSaInit, &[]);
        let ring = keyring_peer(&mut t, &self.ctx.cfg, &self.profile, self.ctx.peer, None);
        let Some(proof) = sign(&mut t, self.ctx.local, &self.profile, ring) else {
            t.say(V::AuthExchangeFailed, &[]);
            self.fail(out);
            return;
        };
        t.say(V::CheckEap, &[]);
        t.say(V::GenAuth, &[]);
        let (id, kind) = names::identity(&proof.id);
        t.say(V::ConstructIdi, &[&id, &kind]);
        // The first child SA is made with the IKE SA's keys: no PFS group is offered here.
        t.esp_proposals(&self.child.transform_sets, None);
        t.say(V::BuildingPacket, &[&talk::AUTH_REQUEST_PAYLOADS]);
        let packet = Packet::AuthReq {
            ispi: self.ispi,
            rspi,
            proof,
            child: ChildRequest {
                spi: self.child_spi,
                offer: self.child.clone(),
            },
        };
        self.send(out, packet, Exchange::Auth, talk::ENCRYPTED);
        self.state = IState::WaitAuth;
        self.record.local_mid = 2;
        out.push(Out2::Sa(Box::new(self.record.clone())));
    }

    fn on_auth(&mut self, proof: Proof, child: ChildReply, out: &mut Vec<Out2>) {
        let payloads = match child.notify() {
            None => talk::AUTH_RESPONSE_PAYLOADS.to_string(),
            Some(n) => format!("VID IDr AUTH NOTIFY({n})"),
        };
        self.received(out, Exchange::Auth, 1, &payloads);
        let ctx = self.ctx.clone();
        let mut t = self.talk(out);
        if child.notify().is_some() {
            t.say(V::ProcessAuthNotify, &[]);
            t.say(V::EmptyError, &[]);
        }
        let (id, kind) = names::identity(&proof.id);
        t.say(V::SearchPolicyById, &[&id, &kind]);
        t.say(V::SearchPolicy, &[&ctx.local]);
        t.say(V::FoundPolicy, &[&self.policy_name()]);
        t.say(V::VerifyPeerPolicy, &[]);
        let known = self
            .profile
            .match_identity
            .iter()
            .any(|(m, _)| m.matches(&proof.id));
        if !known {
            // The responder's identity is not one this profile takes: the responder has
            // already installed its side, so the initiator deletes the IKE SA.
            t.say(V::PeerPolicyFailed, &[]);
            t.say(V::AuthExchangeFailed, &[]);
            self.refuse(out, false);
            return;
        }
        t.say(V::PeerPolicyVerified, &[]);
        let ring = keyring_peer(&mut t, &ctx.cfg, &self.profile, ctx.peer, None);
        if verify(&mut t, &self.profile, ring, &proof).is_err() {
            t.say(V::AuthExchangeFailed, &[]);
            self.refuse(out, false);
            return;
        }
        t.say(V::CheckEap, &[]);
        t.say(V::SaCreated, &[&self.profile.lifetime]);
        let (local_id, _) = names::identity(&self.profile.identity(ctx.local));
        t.say(V::SessionUp, &[&id, &local_id]);
        t.say(V::MibStarted, &[&ctx.tunnel_id]);
        t.say(V::CheckDuplicate, &[]);
        t.say(V::NoDuplicate, &[]);
        self.record.status = IkeStatus::Ready;
        self.record.remote_id = Some(proof.id.clone());
        self.record.auth_verify = Some(proof.method);
        self.record.since = ctx.now;
        let Some(install) = child::asked(&self.child, self.child_spi, &child, &ctx.interface)
        else {
            // IKE is up but there is no child SA: IOS deletes the larval child, then the
            // IKE SA (an IOS-XE capture shows both INFORMATIONAL exchanges).
            t.say(V::QueueDelete, &[&"unknown"]);
            out.push(Out2::Sa(Box::new(self.record.clone())));
            self.refuse(out, true);
            return;
        };
        child::loaded(&mut t);
        t.syslog(V::TunnelUp, &[&ctx.peer, &ctx.peer]);
        out.push(Out2::Sa(Box::new(self.record.clone())));
        out.push(Out2::Installed(install));
        self.established = Some(Established::new(
            ctx,
            self.ids.clone(),
            self.record.clone(),
            self.profile.name.clone(),
            true,
        ));
        self.state = IState::Done;
        self.last = None;
        out.push(Out2::Finished { up: true });
    }

    fn policy_name(&self) -> String {
        policy_on(&self.ctx.cfg, self.ctx.local, Side::Initiator)
            .map(|p| p.policy.name)
            .unwrap_or_default()
    }

    /// Refuses the responder's answer: deletes the larval child (`child`) and the IKE SA
    /// with INFORMATIONAL exchanges.
    fn refuse(&mut self, out: &mut Vec<Out2>, child: bool) {
        self.send_delete(out, child);
    }

    fn send_delete(&mut self, out: &mut Vec<Out2>, child: bool) {
        let mid = self.record.local_mid.max(2);
        self.record.local_mid = mid + 1;
        let mut t = self.talk(out);
        let info = if child {
            t.say(V::SendDeleteChild, &[&format!("{:08X}", self.child_spi)]);
            Info::Delete {
                ike: false,
                spis: vec![self.child_spi],
            }
        } else {
            t.say(
                V::SendDeleteIke,
                &[
                    &super::say::ike_spi(self.ispi),
                    &super::say::ike_spi(self.rspi),
                ],
            );
            Info::Delete {
                ike: true,
                spis: Vec::new(),
            }
        };
        t.say(V::BuildingPacket, &[&"DELETE"]);
        t.say(V::CheckFit, &[]);
        let packet = Packet::InfoReq {
            ispi: self.ispi,
            rspi: self.rspi,
            mid,
            from_initiator: true,
            info,
        };
        self.send(out, packet, Exchange::Informational, talk::ENCRYPTED);
        let mut t = self.talk(out);
        t.say(V::CheckExistingIpsec, &[]);
        t.say(V::DeleteAllIke, &[]);
        self.state = IState::WaitDelete {
            child_pending: child,
        };
    }

    /// Gives the SA up.
    fn fail(&mut self, out: &mut Vec<Out2>) {
        self.state = IState::Done;
        self.last = None;
        out.push(Out2::SaGone { ispi: self.ispi });
        out.push(Out2::Finished { up: false });
    }

    /// The retransmission timer fired with no answer.
    pub fn on_timer(&mut self) -> Vec<Out2> {
        let mut out = Vec::new();
        let Some(sent) = self.last.clone() else {
            return out;
        };
        if self.attempts >= MAX_RETRANSMISSIONS {
            let mut t = self.talk(&mut out);
            t.say(V::MaxRetransmissions, &[]);
            match sent.exchange {
                Exchange::SaInit => {
                    t.say(V::FailedSaInit, &[]);
                    t.say(V::InitialFailed, &[]);
                }
                Exchange::Auth => t.say(V::AuthExchangeFailed, &[]),
                _ => {}
            }
            t.say(V::AbortExchange, &[]);
            t.say(V::DeletingSa, &[]);
            self.fail(&mut out);
            return out;
        }
        self.talk(&mut out).say(V::Retransmitting, &[]);
        let h = Header {
            exchange: sent.exchange,
            request: true,
            ispi: self.ispi,
            rspi: self.rspi,
            mid: sent.mid,
            payloads: match sent.exchange {
                Exchange::SaInit => talk::SA_INIT_PAYLOADS,
                _ => talk::ENCRYPTED,
            },
        };
        let ctx = self.ctx.clone();
        self.talk(&mut out).sending(&ctx, h);
        out.push(Out2::Send(sent.packet));
        self.attempts += 1;
        out.push(Out2::Timer(backoff(self.attempts)));
        out
    }
}
