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
//!
//! Approximation, said aloud: an IKEv1 route-based tunnel runs main mode as modelled for crypto
//! maps, so its key is looked up over every keyring, not only those of the ISAKMP profile the
//! IPsec profile names.

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

#[cfg(test)]
mod tests {
    use super::super::child_sa::Rekey;
    use super::super::fixtures::{
        R1_ADDR, R2_ADDR, V1VTI_R1, V1VTI_R2, V2_R1, V2_R2, cfg, edit, ip, v2_map_r1, v2_map_r2,
    };
    use super::super::ike_auth::Direction;
    use super::super::ikev2::V2Attr;
    use super::*;

    fn vti(r1: &str, r2: &str) -> TunnelSession {
        negotiate_vti(&cfg(r1), "Tunnel0", &cfg(r2))
    }

    fn both_ways(r1: &str, r2: &str) -> [TunnelSession; 2] {
        [vti(r1, r2), vti(r2, r1)]
    }

    fn map(r1: &str, r2: &str) -> TunnelSession {
        negotiate_map(
            &cfg(r1),
            ip(R1_ADDR),
            ip("192.168.101.10"),
            ip("192.168.102.20"),
            &cfg(r2),
            ip(R2_ADDR),
        )
    }

    fn sa_init_attrs(s: &TunnelSession) -> Vec<V2Attr> {
        match &s.sa_init {
            Some(SaInitOutcome::NoProposalChosen { checks, .. }) => {
                checks[0].differences.iter().map(|d| d.attr).collect()
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn healthy_ikev2_vti() {
        for s in both_ways(V2_R1, V2_R2) {
            assert_eq!(s.step(), Step::Up, "{s:#?}");
            assert!(s.is_up());
            assert_eq!((s.style, s.ike_version), (TunnelStyle::Vti, IkeVersion::V2));
            assert!(s.phase1.is_none());
        }
        let s = vti(V2_R1, V2_R2);
        assert_eq!((s.local, s.peer), (Some(ip(R1_ADDR)), Some(ip(R2_ADDR))));
    }

    #[test]
    fn healthy_ikev1_vti() {
        for s in both_ways(V1VTI_R1, V1VTI_R2) {
            assert_eq!(s.step(), Step::Up, "{s:#?}");
            assert_eq!(s.ike_version, IkeVersion::V1);
            assert!(s.sa_init.is_none() && s.auth.is_none());
            assert!(s.phase1.as_ref().is_some_and(Phase1Outcome::is_up));
        }
    }

    #[test]
    fn ikev2_with_a_crypto_map() {
        let s = map(&v2_map_r1(), &v2_map_r2());
        assert_eq!(s.step(), Step::Up, "{s:#?}");
        assert_eq!(
            (s.style, s.ike_version),
            (TunnelStyle::CryptoMap, IkeVersion::V2)
        );
        let back = negotiate_map(
            &cfg(&v2_map_r2()),
            ip(R2_ADDR),
            ip("192.168.102.20"),
            ip("192.168.101.10"),
            &cfg(&v2_map_r1()),
            ip(R1_ADDR),
        );
        assert_eq!(back.step(), Step::Up);
        // The same maps without `set ikev2-profile` speak IKEv1.
        let v1 = |c: &str| {
            edit(
                c,
                " set ikev2-profile PROF\n match address VPN",
                " match address VPN",
            )
        };
        let s = map(&v1(&v2_map_r1()), &v1(&v2_map_r2()));
        assert_eq!(s.ike_version, IkeVersion::V1);
        assert!(s.phase1.is_some() && s.sa_init.is_none());
    }

    #[test]
    fn proposal_mismatches() {
        let cases = [
            (
                " encryption aes-cbc-256\n",
                " encryption aes-cbc-128\n",
                vec![V2Attr::Encryption],
            ),
            (
                " integrity sha256\n",
                " integrity sha384\n",
                vec![V2Attr::Integrity, V2Attr::Prf],
            ),
            (" group 14\n", " group 21\n", vec![V2Attr::Group]),
        ];
        for (from, to, attrs) in cases {
            let s = vti(V2_R1, &edit(V2_R2, from, to));
            assert_eq!(s.step(), Step::SaInit);
            assert_eq!(sa_init_attrs(&s), attrs);
            assert!(s.auth.is_none() && s.child.is_none());
        }
    }

    #[test]
    fn psk_mismatch() {
        let r2 = edit(
            V2_R2,
            "remote R1-signs-with-this",
            "remote R1-signs-with-THAT",
        );
        let s = vti(V2_R1, &r2);
        assert_eq!(s.step(), Step::Auth);
        assert!(matches!(
            s.auth,
            Some(AuthOutcome::KeyMismatch {
                direction: Direction::InitiatorToResponder,
                swapped: false,
                ..
            })
        ));
        assert!(
            s.child.is_none(),
            "the responder refused before any child SA"
        );
    }

    #[test]
    fn asymmetric_keys_swapped() {
        let r2 = edit(
            V2_R2,
            "local R2-signs-with-this",
            "local R1-signs-with-this",
        );
        let r2 = edit(
            &r2,
            "remote R1-signs-with-this",
            "remote R2-signs-with-this",
        );
        for s in both_ways(V2_R1, &r2) {
            assert_eq!(s.step(), Step::Auth);
            assert!(matches!(
                s.auth,
                Some(AuthOutcome::KeyMismatch { swapped: true, .. })
            ));
        }
    }

    #[test]
    fn identity_not_matched_by_the_remote_profile() {
        // R2 sends an FQDN, R1's profile only matches R2's address: R2 installs its SAs, R1
        // refuses R2's answer.
        let r2 = edit(
            V2_R2,
            " identity local address 203.0.113.2",
            " identity local fqdn r2.example.net",
        );
        let s = vti(V2_R1, &r2);
        assert_eq!(s.step(), Step::Auth);
        assert!(matches!(
            s.auth,
            Some(AuthOutcome::ResponderIdentityRejected { .. })
        ));
        assert!(
            s.child.as_ref().is_some_and(|c| c.agreement().is_some()),
            "half-open: the responder's child SA exists"
        );
        // The other way, R2 initiating: R1 finds no profile for R2's identity.
        let back = vti(&r2, V2_R1);
        assert!(matches!(
            back.auth,
            Some(AuthOutcome::NoProfileMatched { .. })
        ));
    }

    #[test]
    fn no_profile_matching() {
        let r2 = edit(
            V2_R2,
            " match identity remote address 203.0.113.1 255.255.255.255",
            " match identity remote address 198.51.100.1 255.255.255.255",
        );
        let s = vti(V2_R1, &r2);
        assert_eq!(s.step(), Step::Auth);
        assert!(matches!(s.auth, Some(AuthOutcome::NoProfileMatched { .. })));
        // An IKEv1-only peer still answers IKE_SA_INIT with its smart defaults, then has no
        // IKEv2 profile at all.
        let s = vti(
            &edit(V2_R1, " integrity sha256\n", " integrity sha512\n"),
            &edit(V1VTI_R2, "hostname R2\n", "hostname R2\n"),
        );
        assert!(s.sa_init.as_ref().is_some_and(|i| i.agreement().is_some()));
        assert!(
            matches!(s.auth, Some(AuthOutcome::NoProfileMatched { ref profiles, .. }) if profiles.is_empty())
        );
    }

    #[test]
    fn traffic_selectors_unacceptable() {
        let s = vti(V2_R1, &v2_map_r2());
        assert_eq!(s.step(), Step::Child);
        assert!(matches!(s.child, Some(ChildOutcome::TsUnacceptable { .. })));
        assert!(s.auth.as_ref().is_some_and(|a| a.agreement().is_some()));
        let s = map(&v2_map_r1(), V2_R2);
        assert_eq!(s.step(), Step::Child);
        assert!(matches!(s.child, Some(ChildOutcome::TsUnacceptable { .. })));
    }

    #[test]
    fn child_sa_transform_mismatch() {
        let r2 = edit(
            V2_R2,
            "esp-aes 256 esp-sha256-hmac",
            "esp-aes 256 esp-sha-hmac",
        );
        let s = vti(V2_R1, &r2);
        assert_eq!(s.step(), Step::Child);
        assert!(matches!(
            s.child,
            Some(ChildOutcome::TransformMismatch { .. })
        ));
        let r2 = edit(
            V1VTI_R2,
            "esp-aes 256 esp-sha-hmac",
            "esp-3des esp-md5-hmac",
        );
        assert!(matches!(
            vti(V1VTI_R1, &r2).child,
            Some(ChildOutcome::TransformMismatch { .. })
        ));
    }

    #[test]
    fn pfs_mismatch_on_the_child_sa() {
        let r2 = edit(V2_R2, " set pfs group14\n", "");
        let r1 = edit(V2_R1, " set pfs group14\n", "");
        // R2 demands PFS, R1 offers none: up now, refused at the first rekey.
        let s = vti(&r1, V2_R2);
        assert_eq!(s.step(), Step::Rekey);
        assert!(s.is_up());
        let rekey = s
            .child
            .as_ref()
            .and_then(|c| c.agreement())
            .and_then(|a| a.rekey.clone());
        assert_eq!(
            rekey,
            Some(Rekey::PfsMismatch {
                initiator: None,
                responder: Some(super::super::model::DhGroup(14))
            })
        );
        // PFS on the initiator only is taken.
        assert_eq!(vti(V2_R1, &r2).step(), Step::Up);
        // IKEv1 quick mode refuses at once.
        let r2 = edit(
            V1VTI_R2,
            " set transform-set TS \n",
            " set transform-set TS \n set pfs group14\n",
        );
        let s = vti(V1VTI_R1, &r2);
        assert_eq!(s.step(), Step::Child);
        assert!(matches!(s.child, Some(ChildOutcome::PfsMismatch { .. })));
    }

    #[test]
    fn vti_destination_wrong() {
        let r1 = edit(
            V2_R1,
            " tunnel destination 203.0.113.2",
            " tunnel destination 203.0.113.12",
        );
        let s = vti(&r1, V2_R2);
        assert_eq!(s.step(), Step::Endpoints);
        assert!(matches!(
            s.endpoints,
            Some(EndpointOutcome::DestinationNotPeer { .. })
        ));
        assert!(s.sa_init.is_none() && s.child.is_none());
        // Seen from R2, whose tunnel is right, R1 has no tunnel pointing back.
        let back = vti(V2_R2, &r1);
        assert!(matches!(
            back.endpoints,
            Some(EndpointOutcome::PeerDestinationMismatch { peer_destination: Some(d), .. }) if d == ip("203.0.113.12")
        ));
    }

    #[test]
    fn nothing_offered() {
        let r1 = edit(
            V2_R1,
            " set transform-set TS \n",
            " set transform-set GONE \n",
        );
        let s = vti(&r1, V2_R2);
        assert_eq!(s.step(), Step::Offer);
        assert!(s.sa_init.is_none());
        let s = map(&v2_map_r1(), &v2_map_r2());
        assert!(s.is_up());
        let json = serde_json::to_string(&vti(V2_R1, V2_R2)).unwrap();
        assert!(!json.contains("signs-with-this") && json.contains("\"ikev2\""));
    }
}
