//! One direction of a tunnel, whatever its style (VTI or crypto map) and IKE version, run in
//! protocol order the way [`mod@super::negotiate`] runs IKEv1 crypto maps: each step only once
//! the one before it succeeded, and the verdict is the first step that failed ([`Step`]).
//!
//! - route-based: endpoints ([`mod@super::vti`]) → the initiator's offer → IKEv1 main mode
//!   ([`mod@super::phase1`]) or IKEv2 IKE_SA_INIT ([`mod@super::sa_init`]) and IKE_AUTH
//!   ([`mod@super::ike_auth`]) → the child SA ([`mod@super::child_sa`]);
//! - crypto map: the entry the traffic matches (`set ikev2-profile` makes it IKEv2) → the same
//!   IKE and child SA steps.
//!
//! In IKEv2 the child SA is judged whenever the responder accepted the initiator, even if the
//! initiator then refuses the responder: the responder's SAs exist (a half-open tunnel).

use super::child_sa::{ChildOffer, ChildOutcome, NoChildOffer, child_sa, map_offer, vti_offer};
use super::ike_auth::{AuthOutcome, ike_auth};
use super::model::RunningConfig;
use super::phase1::{Phase1Outcome, phase1};
use super::phase2::interesting;
use super::sa_init::{SaInitOutcome, ike_sa_init};
use super::tunnel::IkeVersion;
use super::vti::{EndpointOutcome, endpoints};
use serde::Serialize;
use std::net::Ipv4Addr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TunnelStyle {
    Vti,
    CryptoMap,
}

/// The step a session stopped at, in protocol order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    Endpoints,
    Offer,
    Phase1,
    SaInit,
    Auth,
    Child,
    /// Up now, but the first CREATE_CHILD_SA rekey will fail (IKEv2 PFS mismatch).
    Rekey,
    Up,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TunnelSession {
    pub style: TunnelStyle,
    pub ike_version: IkeVersion,
    /// The initiator's and the responder's IKE addresses, once known.
    pub local: Option<Ipv4Addr>,
    pub peer: Option<Ipv4Addr>,
    /// Route-based tunnels only.
    pub endpoints: Option<EndpointOutcome>,
    /// IKEv1.
    pub phase1: Option<Phase1Outcome>,
    /// IKEv2.
    pub sa_init: Option<SaInitOutcome>,
    pub auth: Option<AuthOutcome>,
    pub child: Option<ChildOutcome>,
}

impl TunnelSession {
    fn new(style: TunnelStyle, ike_version: IkeVersion) -> TunnelSession {
        TunnelSession {
            style,
            ike_version,
            local: None,
            peer: None,
            endpoints: None,
            phase1: None,
            sa_init: None,
            auth: None,
            child: None,
        }
    }

    /// The first step that did not succeed ([`Step::Up`] when none).
    pub fn step(&self) -> Step {
        if self
            .endpoints
            .as_ref()
            .is_some_and(|e| e.endpoints().is_none())
        {
            return Step::Endpoints;
        }
        if matches!(self.child, Some(ChildOutcome::NoOffer { .. })) {
            return Step::Offer;
        }
        if self.phase1.as_ref().is_some_and(|p| !p.is_up()) {
            return Step::Phase1;
        }
        if self
            .sa_init
            .as_ref()
            .is_some_and(|s| s.agreement().is_none())
        {
            return Step::SaInit;
        }
        let auth_failed = self.auth.as_ref().is_some_and(|a| a.agreement().is_none());
        // A refused responder identity or proof comes after the responder's child SA.
        let auth_early = auth_failed
            && !self
                .auth
                .as_ref()
                .is_some_and(AuthOutcome::responder_accepted);
        if auth_early {
            return Step::Auth;
        }
        match &self.child {
            Some(c) if c.agreement().is_none() => return Step::Child,
            None => return Step::Child,
            _ => {}
        }
        if auth_failed {
            return Step::Auth;
        }
        let rekey_fails = self
            .child
            .as_ref()
            .and_then(ChildOutcome::agreement)
            .is_some_and(|a| matches!(a.rekey, Some(super::child_sa::Rekey::PfsMismatch { .. })));
        if rekey_fails { Step::Rekey } else { Step::Up }
    }

    /// Both routers carry the tunnel's SAs now.
    pub fn is_up(&self) -> bool {
        self.step() >= Step::Rekey
    }
}

/// A route-based tunnel: `initiator`'s tunnel `interface`, toward `responder`.
pub fn negotiate_vti(
    initiator: &RunningConfig,
    interface: &str,
    responder: &RunningConfig,
) -> TunnelSession {
    let version = initiator
        .interface(interface)
        .and_then(|i| i.tunnel.as_ref())
        .and_then(|t| t.protection.as_ref())
        .and_then(|(p, _)| initiator.ipsec_profile(p))
        .map_or(IkeVersion::V1, |p| p.ike_version());
    let mut s = TunnelSession::new(TunnelStyle::Vti, version);
    let ends = endpoints(initiator, interface, responder);
    let Some(e) = ends.endpoints().cloned() else {
        s.endpoints = Some(ends);
        return s;
    };
    s.endpoints = Some(ends);
    s.local = Some(e.local);
    s.peer = Some(e.peer);
    let offer = vti_offer(initiator, interface);
    let profile = initiator
        .interface(interface)
        .and_then(|i| i.tunnel.as_ref())
        .and_then(|t| t.protection.as_ref())
        .and_then(|(p, _)| initiator.ipsec_profile(p))
        .and_then(|p| p.ikev2_profile.map(|(n, _)| n));
    ike_and_child(
        &mut s, initiator, e.local, offer, profile, responder, e.peer,
    );
    s
}

/// A crypto map entry of `initiator` (at `init_addr`) for a ping from `traffic_src` to
/// `traffic_dst`, toward `responder` at `resp_addr`, with IKEv1 or IKEv2 as the entry says.
pub fn negotiate_map(
    initiator: &RunningConfig,
    init_addr: Ipv4Addr,
    traffic_src: Ipv4Addr,
    traffic_dst: Ipv4Addr,
    responder: &RunningConfig,
    resp_addr: Ipv4Addr,
) -> TunnelSession {
    let profile =
        interesting(initiator, traffic_src, traffic_dst).and_then(|e| e.ikev2_profile.clone());
    let version = if profile.is_some() {
        IkeVersion::V2
    } else {
        IkeVersion::V1
    };
    let mut s = TunnelSession::new(TunnelStyle::CryptoMap, version);
    s.local = Some(init_addr);
    s.peer = Some(resp_addr);
    let offer = map_offer(initiator, traffic_src, traffic_dst, resp_addr);
    ike_and_child(
        &mut s, initiator, init_addr, offer, profile, responder, resp_addr,
    );
    s
}

/// The IKE steps of the session's version, then the child SA.
fn ike_and_child(
    s: &mut TunnelSession,
    initiator: &RunningConfig,
    local: Ipv4Addr,
    offer: Result<ChildOffer, NoChildOffer>,
    ikev2_profile: Option<String>,
    responder: &RunningConfig,
    peer: Ipv4Addr,
) {
    let offer = match offer {
        Ok(o) => o,
        Err(reason) => {
            s.child = Some(ChildOutcome::NoOffer { reason });
            return;
        }
    };
    match (s.ike_version, ikev2_profile) {
        (IkeVersion::V2, Some(profile)) => {
            let init = ike_sa_init(initiator, local, responder, peer);
            let agreed = init.agreement().is_some();
            s.sa_init = Some(init);
            if !agreed {
                return;
            }
            let auth = ike_auth(initiator, local, &profile, responder, peer);
            let accepted = auth.responder_accepted();
            s.auth = Some(auth);
            if !accepted {
                return;
            }
        }
        _ => {
            let p1 = phase1(initiator, local, responder, peer);
            let up = p1.is_up();
            s.phase1 = Some(p1);
            if !up {
                return;
            }
        }
    }
    s.child = Some(child_sa(s.ike_version, offer, local, responder, peer));
}
