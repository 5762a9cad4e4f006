//! IKEv2 and VTIs driven without SSH: both routers of a scenario, `debug crypto ikev2` on, a
//! ping from R1's LAN into the tunnel, and what each router printed and shows afterwards.

use crate::engine::parse::show::{self, ShowKind};
use crate::lab::ike::tests::{Run, SPEED, drive, stamps};
use crate::lab::model::{CryptoClear, CryptoShow, NetShow, PingRequest, PingSink, PingSource};
use crate::lab::router::DebugKind;
use crate::lab::scenario::Scenario;
use std::time::Duration;

/// Long enough for a silent peer's five retransmissions and the give-up (126 lab seconds).
const SETTLE: Duration = Duration::from_secs(130);

async fn run_v2(name: &str, settle: Duration, edit: impl FnOnce(&mut Scenario)) -> Run {
    let mut scenario = Scenario::embedded(name).unwrap();
    edit(&mut scenario);
    drive(
        &scenario,
        lan_ping(),
        &[
            DebugKind::CryptoIkev2,
            DebugKind::CryptoIsakmp,
            DebugKind::CryptoIpsec,
        ],
        settle,
    )
    .await
}

fn lan_ping() -> PingRequest {
    PingRequest {
        source: Some(PingSource::Interface("GigabitEthernet0/0/1".into())),
        ..PingRequest::to("192.168.102.1".parse().unwrap())
    }
}

/// Replaces `from` with `to` in router `i`'s config; panics if `from` is not there.
fn edit(s: &mut Scenario, i: usize, from: &str, to: &str) {
    let cfg = &mut s.routers[i].config;
    assert!(cfg.contains(from), "no {from:?}");
    *cfg = cfg.replacen(from, to, 1);
}

fn show(r: &Run, node: usize, q: CryptoShow) -> String {
    r.models[node].show_crypto(&q).join("\n")
}

fn net(r: &Run, node: usize, q: NetShow) -> String {
    r.models[node].show_net(&q).join("\n")
}

fn printed(r: &Run, node: usize) -> String {
    r.logs[node].join("\r\n")
}

/// Every line in order (each after the one before) in router `node`'s log.
fn in_order(r: &Run, node: usize, lines: &[&str]) {
    let log = printed(r, node);
    let mut at = 0;
    for l in lines {
        match log[at..].find(l) {
            Some(i) => at += i + l.len(),
            None => panic!("R{}: no {l:?} after byte {at}:\n{log}", node + 1),
        }
    }
}

fn absent(r: &Run, node: usize, text: &str) {
    let log = printed(r, node);
    assert!(!log.contains(text), "R{}: {text:?} in\n{log}", node + 1);
}

fn parses(kind: ShowKind, text: &str) {
    let parsed = show::parse(kind, text).unwrap();
    assert!(
        parsed.unparsed().is_empty(),
        "{kind:?}:\n{text}\nunparsed: {:?}",
        parsed.unparsed()
    );
}

fn tunnel_line(r: &Run, node: usize) -> String {
    net(r, node, NetShow::IpInterfaceBrief)
        .lines()
        .find(|l| l.starts_with("Tunnel0"))
        .unwrap_or_default()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[tokio::test(start_paused = true)]
async fn healthy_ikev2_vti_negotiates_both_exchanges_and_carries_the_ping() {
    let r = run_v2("ikev2-vti-healthy", SETTLE, |_| {}).await;
    assert!(r.ping.contains(".!!!!"), "{}", r.ping);
    in_order(
        &r,
        0,
        &[
            "IKEv2:% Getting preshared key from profile keyring KR",
            "IKEv2:% Matched peer block 'R2'",
            "IKEv2:Found Policy 'POL-1'",
            "Computing DH public key, DH Group 14",
            "IKEv2:(SESSION ID = 1,SA ID = 1):Generating IKE_SA_INIT message",
            "IKE Proposal: 1, SPI size: 0 (initial negotiation), \r\nNum. transforms: 4\r\n   AES-CBC   SHA256   SHA256   DH_GROUP_2048_MODP/Group 14 ",
            "Sending Packet [To 203.0.113.2:500/From 203.0.113.1:500/VRF i0:f0] \r\nInitiator SPI : ",
            " - Responder SPI : 0000000000000000 Message id: 0\r\nIKEv2 IKE_SA_INIT Exchange REQUEST \r\nPayload contents: \r\n SA KE N VID VID VID VID NOTIFY(NAT_DETECTION_SOURCE_IP) NOTIFY(NAT_DETECTION_DESTINATION_IP) ",
            "Received Packet [From 203.0.113.2:500/To 203.0.113.1:500/VRF i0:f0]",
            "IKEv2 IKE_SA_INIT Exchange RESPONSE",
            "Completed SA init exchange",
            "Use preshared key for id 203.0.113.1, key len 12",
            "My authentication method is 'PSK'",
            "Constructing IDi payload: '203.0.113.1' of type 'IPv4 address'",
            "ESP Proposal: 1, SPI size: 4 (IPSec negotiation), \r\nNum. transforms: 3\r\n   AES-CBC   SHA256   Don't use ESN",
            "Message id: 1\r\nIKEv2 IKE_AUTH Exchange REQUEST \r\nPayload contents: \r\n ENCR ",
            "IKEv2 IKE_AUTH Exchange RESPONSE \r\nPayload contents: \r\n VID IDr AUTH SA TSi TSr",
            "Searching policy based on peer's identity '203.0.113.2' of type 'IPv4 address'",
            "Peer's policy verified",
            "Verification of peer's authenctication data PASSED",
            "IKEV2 SA created; inserting SA into database. SA lifetime timer (28800 sec) started",
            "Session with IKE ID PAIR (203.0.113.2, 203.0.113.1) is UP",
            "%CRYPTO-5-IKEV2_SESSION_STATUS: Crypto tunnel v2 is UP.  Peer 203.0.113.2:500       Id: 203.0.113.2",
            "%LINEPROTO-5-UPDOWN: Line protocol on Interface Tunnel0, changed state to up",
        ],
    );
    in_order(
        &r,
        1,
        &[
            "IKEv2 IKE_SA_INIT Exchange REQUEST",
            "IKEv2:Found Policy 'POL-1'",
            "Generating IKE_SA_INIT message",
            "IKEv2 IKE_SA_INIT Exchange RESPONSE",
            "Starting timer (30 sec) to wait for auth message",
            "IKEv2 IKE_AUTH Exchange REQUEST",
            "IKEv2:found matching IKEv2 profile 'PROF'",
            "IKEv2:% Matched peer block 'R1'",
            "Verification of peer's authenctication data PASSED",
            "Constructing IDr payload: '203.0.113.2' of type 'IPv4 address'",
            "IKEv2 IKE_AUTH Exchange RESPONSE",
            "Session with IKE ID PAIR (203.0.113.1, 203.0.113.2) is UP",
            "%LINEPROTO-5-UPDOWN: Line protocol on Interface Tunnel0, changed state to up",
        ],
    );
    // The key is compared, never printed.
    absent(&r, 0, "Vpn-Key-2026");
    absent(&r, 1, "Vpn-Key-2026");
    for node in 0..2 {
        let sa = show(&r, node, CryptoShow::Ikev2Sa { detail: false });
        assert!(sa.contains("none/none            READY"), "{sa}");
        assert!(
            sa.contains("Encr: AES-CBC, keysize: 256, PRF: SHA256, Hash: SHA256, DH Grp:14, Auth sign: PSK, Auth verify: PSK"),
            "{sa}"
        );
        assert_eq!(
            tunnel_line(&r, node),
            "Tunnel0 10.255.0.1 YES NVRAM up up".replace(
                "10.255.0.1",
                if node == 0 {
                    "10.255.0.1"
                } else {
                    "10.255.0.2"
                }
            )
        );
        let ipsec = show(
            &r,
            node,
            CryptoShow::IpsecSa {
                peer: None,
                detail: false,
            },
        );
        parses(ShowKind::IpsecSa, &ipsec);
        assert!(ipsec.contains("interface: Tunnel0"), "{ipsec}");
        assert!(
            ipsec.contains("Crypto map tag: Tunnel0-head-0, local addr 203.0.113."),
            "{ipsec}"
        );
        assert!(
            ipsec.contains("local  ident (addr/mask/prot/port): (0.0.0.0/0.0.0.0/0/0)"),
            "{ipsec}"
        );
        assert!(
            ipsec.contains("#pkts encaps: 4, #pkts encrypt: 4"),
            "{ipsec}"
        );
        assert!(ipsec.contains("#pkts decaps: 4,"), "{ipsec}");
        assert!(ipsec.contains("ip mtu idb GigabitEthernet0/0/0"), "{ipsec}");
        for detail in [false, true] {
            let session = show(&r, node, CryptoShow::Session { detail });
            parses(ShowKind::CryptoSession, &session);
            assert!(session.contains("Interface: Tunnel0"), "{session}");
            assert!(session.contains("Session status: UP-ACTIVE"), "{session}");
            assert!(
                session.contains("  IKEv2 SA: local 203.0.113."),
                "{session}"
            );
            assert!(
                session.contains("IPSEC FLOW: permit ip 0.0.0.0/0.0.0.0 0.0.0.0/0.0.0.0"),
                "{session}"
            );
        }
        parses(
            ShowKind::IpInterfaceBrief,
            &net(&r, node, NetShow::IpInterfaceBrief),
        );
        let route = net(&r, node, NetShow::IpRoute);
        parses(ShowKind::IpRoute, &route);
        assert!(route.contains("is directly connected, Tunnel0"), "{route}");
        let tun = net(&r, node, NetShow::Interfaces(Some("Tunnel0".into())));
        assert!(
            tun.starts_with("Tunnel0 is up, line protocol is up"),
            "{tun}"
        );
        assert!(tun.contains("Tunnel protocol/transport IPSEC/IP"), "{tun}");
        assert!(
            tun.contains("Tunnel protection via IPSec (profile \"VTI-PROF\")"),
            "{tun}"
        );
    }
    let detail = show(&r, 1, CryptoShow::Ikev2Session { detail: true });
    assert!(
        detail.contains("Session-id:1, Status:UP-ACTIVE, IKE count:1, CHILD count:1"),
        "{detail}"
    );
    assert!(
        detail.contains(
            "0.0.0.0/0 - 255.255.255.255/65535    ->    0.0.0.0/0 - 255.255.255.255/65535"
        ),
        "{detail}"
    );
    assert!(detail.contains("Initiator of SA : No"), "{detail}");
}

/// (scenario, lines R1 prints in order, lines R2 prints in order)
type Case = (
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
);

const REFUSALS: &[Case] = &[
    (
        "ikev2-encryption-mismatch",
        &[
            "IKEv2 IKE_SA_INIT Exchange RESPONSE \r\nPayload contents: \r\n NOTIFY(NO_PROPOSAL_CHOSEN) ",
            "IKEv2-ERROR:(SESSION ID = 1,SA ID = 1):: Received no proposal chosen notify",
            "IKEv2-ERROR:(SESSION ID = 1,SA ID = 1):Initial exchange failed: Initial exchange failed",
        ],
        &[
            "IKEv2:(SESSION ID = 1,SA ID = 1):Received Policies:",
            "Proposal 1:  AES-CBC-256 SHA256 SHA256 DH_GROUP_2048_MODP/Group 14",
            "IKEv2-ERROR:(SESSION ID = 1,SA ID = 1):: Failed to find a matching policy",
            "IKEv2:(SESSION ID = 1,SA ID = 1):Expected Policies:",
            "Proposal 1:  AES-CBC-128 SHA256 SHA256 DH_GROUP_2048_MODP/Group 14",
            "Sending no proposal chosen notify",
            "IKEv2 IKE_SA_INIT Exchange RESPONSE \r\nPayload contents: \r\n NOTIFY(NO_PROPOSAL_CHOSEN) ",
        ],
    ),
    (
        "ikev2-integrity-mismatch",
        &[
            "NOTIFY(NO_PROPOSAL_CHOSEN)",
            ": Received no proposal chosen notify",
        ],
        &[
            "Proposal 1:  AES-CBC-256 SHA256 SHA256 DH_GROUP_2048_MODP/Group 14",
            "Expected Policies:",
            "Proposal 1:  AES-CBC-256 SHA512 SHA512 DH_GROUP_2048_MODP/Group 14",
        ],
    ),
    (
        "ikev2-dh-mismatch",
        &[
            "NOTIFY(NO_PROPOSAL_CHOSEN)",
            ": Received no proposal chosen notify",
        ],
        &[
            "Proposal 1:  AES-CBC-256 SHA256 SHA256 DH_GROUP_2048_MODP/Group 14",
            "Expected Policies:",
            "Proposal 1:  AES-CBC-256 SHA256 SHA256 DH_GROUP_256_ECP/Group 19",
        ],
    ),
    (
        "ikev2-psk-mismatch",
        &[
            "IKEv2 IKE_AUTH Exchange RESPONSE \r\nPayload contents: \r\n NOTIFY(AUTHENTICATION_FAILED) ",
            "Process auth response notify",
            "IKEv2-ERROR:(SESSION ID = 1,SA ID = 1):: Auth exchange failed",
        ],
        &[
            "Get peer's preshared key for 203.0.113.1",
            "Verify peer's authentication data",
            "Use preshared key for id 203.0.113.1, key len 12",
            "Verification of peer's authenctication data FAILED",
            "IKEv2-ERROR:(SESSION ID = 1,SA ID = 1):: Failed to authenticate the IKE SA",
            "Sending authentication failure notify",
            "NOTIFY(AUTHENTICATION_FAILED)",
            "Deleting SA",
        ],
    ),
    (
        "ikev2-asymmetric-keys-swapped",
        &["NOTIFY(AUTHENTICATION_FAILED)", ": Auth exchange failed"],
        &[
            "Use preshared key for id 203.0.113.1, key len 18",
            "Verification of peer's authenctication data FAILED",
            "Sending authentication failure notify",
        ],
    ),
    (
        "ikev2-no-profile-match",
        &["NOTIFY(AUTHENTICATION_FAILED)", ": Auth exchange failed"],
        &[
            "Searching policy based on peer's identity '203.0.113.1' of type 'IPv4 address'",
            "IKEv2:% IKEv2 profile not found",
            ":: Failed to locate an item in the database",
            "Sending authentication failure notify",
        ],
    ),
    (
        "ikev2-auth-method-mismatch",
        &["NOTIFY(AUTHENTICATION_FAILED)", ": Auth exchange failed"],
        &[
            "IKEv2:found matching IKEv2 profile 'PROF'",
            "Peer's authentication method is 'PSK'",
            ":: Peer authentication method configured is mismatching with the method proposed by peer",
            "Sending authentication failure notify",
        ],
    ),
    (
        "ikev2-identity-mismatch",
        &[
            "IKEv2 IKE_AUTH Exchange RESPONSE",
            "Searching policy based on peer's identity 'r2.lab.example' of type 'FQDN'",
            "Verify peer's policy",
            ":: Failed to verify peer's policy",
            "Sending DELETE INFO message for IKEv2 SA [ISPI: 0x",
            "IKEv2 INFORMATIONAL Exchange REQUEST",
            "Processing ACK to informational exchange",
            "Deleting SA",
        ],
        &[
            "Constructing IDr payload: 'r2.lab.example' of type 'FQDN'",
            "Session with IKE ID PAIR (203.0.113.1, r2.lab.example) is UP",
            "%CRYPTO-5-IKEV2_SESSION_STATUS: Crypto tunnel v2 is UP.",
            "IKEv2 INFORMATIONAL Exchange REQUEST \r\nPayload contents: \r\n DELETE ",
            "Processing DELETE INFO message for IKEv2 SA [ISPI: 0x",
            "Deleting SA",
            "%CRYPTO-5-IKEV2_SESSION_STATUS: Crypto tunnel v2 is DOWN.",
        ],
    ),
    (
        "ikev2-ts-unacceptable",
        &[
            "IKEv2 IKE_AUTH Exchange RESPONSE \r\nPayload contents: \r\n VID IDr AUTH NOTIFY(TS_UNACCEPTABLE) ",
            "Process auth response notify",
            "IKEv2-ERROR:(SESSION ID = 1,SA ID = 1):\r",
            "Session with IKE ID PAIR (203.0.113.2, 203.0.113.1) is UP",
            "Queuing IKE SA delete request reason: unknown",
            "Sending DELETE INFO message for IPsec SA [SPI: 0x",
            "Sending DELETE INFO message for IKEv2 SA",
            "Deleting SA",
        ],
        &[
            "Sending TS unacceptable notify",
            "Processing DELETE INFO message for IKEv2 SA",
        ],
    ),
    (
        "ikev2-transform-mismatch",
        &[
            "VID IDr AUTH NOTIFY(NO_PROPOSAL_CHOSEN)",
            "Process auth response notify",
            "Queuing IKE SA delete request reason: unknown",
            "Sending DELETE INFO message for IPsec SA [SPI: 0x",
        ],
        &[
            "Received Policies:",
            "ESP: Proposal 1:  AES-CBC-256 SHA256 Don't use ESN",
            "Expected Policies:",
            "ESP: Proposal 1:  AES-CBC-256 SHA96 Don't use ESN",
            "Sending no proposal chosen notify",
            "Session with IKE ID PAIR (203.0.113.1, 203.0.113.2) is UP",
        ],
    ),
];

#[tokio::test(start_paused = true)]
async fn each_refusal_prints_its_own_lines_on_each_router() {
    for (name, r1, r2) in REFUSALS {
        let r = run_v2(name, SETTLE, |_| {}).await;
        assert!(
            r.ping.contains("Success rate is 0 percent"),
            "{name}: {}",
            r.ping
        );
        in_order(&r, 0, r1);
        in_order(&r, 1, r2);
        for node in 0..2 {
            let tunnel = tunnel_line(&r, node);
            assert!(
                tunnel.is_empty() || tunnel.ends_with("up down"),
                "{name}: R{}: {tunnel}",
                node + 1
            );
            let ipsec = show(
                &r,
                node,
                CryptoShow::IpsecSa {
                    peer: None,
                    detail: false,
                },
            );
            parses(ShowKind::IpsecSa, &ipsec);
            assert!(
                ipsec.contains("current outbound spi: 0x0(0)"),
                "{name}: {ipsec}"
            );
        }
        absent(
            &r,
            0,
            "%CRYPTO-5-IKEV2_SESSION_STATUS: Crypto tunnel v2 is UP",
        );
        // The refusing side keeps no SA once it gave up.
        let sa = show(&r, 0, CryptoShow::Ikev2Sa { detail: false });
        assert!(!sa.contains("READY"), "{name}: {sa}");
    }
}

#[tokio::test(start_paused = true)]
async fn silent_peers_leave_the_initiator_retransmitting_into_nothing() {
    for (name, to) in [
        ("ikev2-peer-silent", "203.0.113.2"),
        ("vti-destination-wrong", "203.0.113.20"),
    ] {
        let r = run_v2(name, SETTLE, |_| {}).await;
        let sending = format!("Sending Packet [To {to}:500/From 203.0.113.1:500/VRF i0:f0]");
        let mut lines = vec![sending.as_str()];
        for _ in 0..5 {
            lines.push("Retransmitting packet ");
            lines.push(&sending);
        }
        lines.extend([
            "Maximum number of retransmissions reached",
            "Failed SA init exchange",
            "Initial exchange failed: Initial exchange failed",
            "Deleting SA",
        ]);
        in_order(&r, 0, &lines);
        assert!(
            !r.logs[1].iter().any(|l| l.contains("IKEv2")),
            "{name}: R2 logged {:#?}",
            r.logs[1]
        );
        assert_eq!(tunnel_line(&r, 0).split(' ').nth(5), Some("down"), "{name}");
    }
}

/// A late wakeup shifts no retransmission: tokio's clock jumps 20 lab seconds at once three
/// seconds into the exchange (a process stalled on a busy machine), and the IKE_SA_INIT
/// resends keep the back-off of an undisturbed run.
#[tokio::test(start_paused = true)]
async fn a_late_wakeup_keeps_the_retransmission_back_off() {
    let gaps = |r: &Run| -> Vec<u64> {
        let at = stamps(&r.logs[0], "Retransmitting packet");
        assert_eq!(at.len(), 5, "{:#?}", r.logs[0]);
        at.windows(2).map(|w| w[1] - w[0]).collect()
    };
    let calm = gaps(&run_v2("ikev2-peer-silent", SETTLE, |_| {}).await);
    tokio::spawn(async {
        tokio::time::sleep(Duration::from_secs(3).div_f64(SPEED)).await;
        tokio::time::advance(Duration::from_secs(20).div_f64(SPEED)).await;
    });
    let jolted = gaps(&run_v2("ikev2-peer-silent", SETTLE, |_| {}).await);
    assert_eq!(jolted, calm);
}

#[tokio::test(start_paused = true)]
async fn a_pfs_mismatch_brings_the_tunnel_up_then_refuses_the_rekey() {
    let r = run_v2("ikev2-pfs-mismatch", Duration::from_secs(150), |_| {}).await;
    assert!(r.ping.contains(".!!!!"), "{}", r.ping);
    in_order(
        &r,
        0,
        &[
            "%LINEPROTO-5-UPDOWN: Line protocol on Interface Tunnel0, changed state to up",
            "Generating CREATE_CHILD_SA message",
            "ESP Proposal: 1, SPI size: 4 (IPSec negotiation), \r\nNum. transforms: 3",
            "Building packet for encryption.  \r\nPayload contents: \r\n SA N TSi TSr NOTIFY(REKEY_SA) ",
            "Message id: 2\r\nIKEv2 CREATE_CHILD_SA Exchange REQUEST",
            "IKEv2 CREATE_CHILD_SA Exchange RESPONSE \r\nPayload contents: \r\n NOTIFY(NO_PROPOSAL_CHOSEN) ",
            ":: Received no proposal chosen notify",
            ":: Failed to rekey IPsec SA [SPI: 0x",
            "%LINEPROTO-5-UPDOWN: Line protocol on Interface Tunnel0, changed state to down",
        ],
    );
    in_order(
        &r,
        1,
        &[
            "IKEv2 CREATE_CHILD_SA Exchange REQUEST",
            "Processing CREATE_CHILD_SA message",
            "ESP: Proposal 1:  AES-CBC-256 SHA256 Don't use ESN",
            "Expected Policies:",
            "ESP: Proposal 1:  AES-CBC-256 SHA256 DH_GROUP_2048_MODP/Group 14 Don't use ESN",
            "Sending no proposal chosen notify",
            "%LINEPROTO-5-UPDOWN: Line protocol on Interface Tunnel0, changed state to down",
        ],
    );
    // The IKE SA outlives its child: the session is up but idle.
    let session = show(&r, 0, CryptoShow::Ikev2Session { detail: false });
    assert!(session.contains("Status:UP-IDLE"), "{session}");
    let profiles = show(&r, 1, CryptoShow::IpsecProfile);
    assert!(
        profiles.contains("        PFS (Y/N): Y\n        DH group:  group14"),
        "{profiles}"
    );
    assert!(
        profiles.contains("Security association lifetime: 4608000 kilobytes/120 seconds"),
        "{profiles}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_pfs_that_matches_rekeys_the_child_sa_and_keeps_the_tunnel_up() {
    let r = run_v2("ikev2-pfs-mismatch", Duration::from_secs(150), |s| {
        edit(
            s,
            0,
            " set security-association lifetime seconds 120\n",
            " set security-association lifetime seconds 120\n set pfs group14\n",
        );
    })
    .await;
    in_order(
        &r,
        0,
        &[
            "Generating CREATE_CHILD_SA message",
            "Computing DH public key, DH Group 14",
            "Num. transforms: 4\r\n   AES-CBC   SHA256   DH_GROUP_2048_MODP/Group 14   Don't use ESN",
            "SA N KE TSi TSr NOTIFY(REKEY_SA)",
            "IKEv2 CREATE_CHILD_SA Exchange RESPONSE",
            "Computing DH secret key, DH Group 14",
            "Create IPsec SA into IPsec database",
        ],
    );
    absent(&r, 0, "changed state to down");
    let ipsec = show(
        &r,
        0,
        CryptoShow::IpsecSa {
            peer: None,
            detail: false,
        },
    );
    assert!(ipsec.contains("PFS (Y/N): Y, DH group: group14"), "{ipsec}");
}

#[tokio::test(start_paused = true)]
async fn a_key_share_for_the_wrong_group_costs_one_round_trip() {
    let r = run_v2("ikev2-vti-healthy", SETTLE, |s| {
        edit(s, 0, " group 14\n", " group 19 14\n");
    })
    .await;
    assert!(r.ping.contains(".!!!!"), "{}", r.ping);
    in_order(
        &r,
        0,
        &[
            "Computing DH public key, DH Group 19",
            "IKE_SA_INIT Exchange RESPONSE \r\nPayload contents: \r\n NOTIFY(INVALID_KE_PAYLOAD) ",
            "Received invalid KE notify: peer wants DH Group 14",
            "Computing DH public key, DH Group 14",
            "IKEv2 IKE_SA_INIT Exchange REQUEST",
            "Session with IKE ID PAIR",
        ],
    );
    in_order(
        &r,
        1,
        &[
            ":: The peer's KE payload contained the wrong DH group",
            "Sending invalid ke notify",
            "Generating IKE_SA_INIT message",
        ],
    );
}

#[tokio::test(start_paused = true)]
async fn ikev1_vti_comes_up_with_main_mode_and_quick_mode() {
    let r = run_v2("ikev1-vti-healthy", SETTLE, |_| {}).await;
    assert!(r.ping.contains(".!!!!"), "{}", r.ping);
    in_order(
        &r,
        0,
        &[
            "IPSEC(sa_request): ,\r\n  (key eng. msg.) OUTBOUND local= 203.0.113.1:0, remote= 203.0.113.2:0,\r\n    local_proxy= 0.0.0.0/0.0.0.0/256/0,",
            "Old State = IKE_I_MM5  New State = IKE_I_MM6",
            "IPSEC(crypto_ipsec_create_ipsec_sas): Map found Tunnel0-head-0, 65537",
            "Successfully installed IPSEC SA (SPI:0x",
            ") on Tunnel0",
            "IKE_QM_PHASE2_COMPLETE",
        ],
    );
    in_order(
        &r,
        1,
        &[
            "(ipsec_process_proposal)Map Accepted: Tunnel0-head-0, 65537",
            ") on Tunnel0",
        ],
    );
    for node in 0..2 {
        assert!(
            tunnel_line(&r, node).ends_with("up up"),
            "{}",
            tunnel_line(&r, node)
        );
        let session = show(&r, node, CryptoShow::Session { detail: true });
        parses(ShowKind::CryptoSession, &session);
        assert!(session.contains("Interface: Tunnel0"), "{session}");
        assert!(
            session.contains("  IKEv1 SA: local 203.0.113."),
            "{session}"
        );
        assert!(session.contains("Session status: UP-ACTIVE"), "{session}");
        parses(
            ShowKind::IsakmpSa,
            &show(&r, node, CryptoShow::IsakmpSa { detail: false }),
        );
        parses(
            ShowKind::IpsecSa,
            &show(
                &r,
                node,
                CryptoShow::IpsecSa {
                    peer: None,
                    detail: false,
                },
            ),
        );
    }
}

#[tokio::test(start_paused = true)]
async fn dead_peer_detection_takes_the_tunnel_down_when_the_peer_forgets_it() {
    let periodic = |s: &mut Scenario| {
        for i in 0..2 {
            edit(s, i, " dpd 30 5 on-demand\n", " dpd 10 3 periodic\n");
        }
    };
    let r = run_v2("ikev2-vti-healthy", Duration::from_secs(25), periodic).await;
    in_order(
        &r,
        0,
        &[
            "Sending DPD/liveness query",
            "Message id: 2\r\nIKEv2 INFORMATIONAL Exchange REQUEST",
            "IKEv2 INFORMATIONAL Exchange RESPONSE",
            "Processing ACK to informational exchange",
        ],
    );
    in_order(
        &r,
        1,
        &[
            "IKEv2 INFORMATIONAL Exchange REQUEST",
            "Processing INFORMATIONAL message",
        ],
    );
    // R2 loses its SAs without telling R1 (a reload): R1's next checks go unanswered.
    {
        let mut s = r.net.lock();
        s.v2.sas.retain(|x| x.owner != 1);
        s.v2.established.retain(|(n, ..)| *n != 1);
    }
    let mut rx = r.net.nodes[0].router.log.subscribe();
    r.net.clock.sleep(Duration::from_secs(40)).await;
    let mut log = String::new();
    while let Ok(l) = rx.try_recv() {
        log.push_str(&l);
        log.push('\n');
    }
    let mut at = 0;
    for l in [
        "Retransmitting packet",
        "Retransmitting packet",
        ":: Peer 203.0.113.2 did not answer the liveness check, deleting the SA",
        "Deleting SA",
        "Crypto tunnel v2 is DOWN",
        "Line protocol on Interface Tunnel0, changed state to down",
    ] {
        at += log[at..]
            .find(l)
            .map(|i| i + l.len())
            .unwrap_or_else(|| panic!("no {l:?} in\n{log}"));
    }
}

#[tokio::test(start_paused = true)]
async fn clear_crypto_session_tells_the_peer_and_a_child_sa_comes_back_over_the_ike_sa() {
    let r = run_v2("ikev2-vti-healthy", Duration::from_secs(5), |_| {}).await;
    // `clear crypto sa` drops the child SAs only: the next ping makes a new one with
    // CREATE_CHILD_SA over the IKE SA that is still up.
    r.models[0].clear_crypto(&CryptoClear::Sa { peer: None });
    assert!(
        tunnel_line(&r, 0).ends_with("up down"),
        "{}",
        tunnel_line(&r, 0)
    );
    let mut rx = r.net.nodes[0].router.log.subscribe();
    let (sink, _out) = PingSink::channel();
    r.models[0].ping(lan_ping(), sink).await;
    let mut log = String::new();
    while let Ok(l) = rx.try_recv() {
        log.push_str(&l);
        log.push('\n');
    }
    assert!(log.contains("Generating CREATE_CHILD_SA message"), "{log}");
    assert!(!log.contains("Generating IKE_SA_INIT message"), "{log}");
    assert!(
        tunnel_line(&r, 0).ends_with("up up"),
        "{}",
        tunnel_line(&r, 0)
    );
    // `clear crypto session` deletes the IKE SA and tells R2, whose tunnel goes down too.
    r.models[0].clear_crypto(&CryptoClear::Session { remote: None });
    for node in 0..2 {
        assert!(tunnel_line(&r, node).ends_with("up down"), "R{}", node + 1);
        let sa = show(&r, node, CryptoShow::Ikev2Sa { detail: false });
        assert!(!sa.contains("READY"), "{sa}");
    }
}

/// Names of configured objects, in our scenarios and in genie's samples: values, as the
/// layout goes.
const NAMES: &[&str] = &[
    "default",
    "PROF",
    "VTI-PROF",
    "TS",
    "nil_ips",
    "nil_ike_prof",
    "nil_tfs",
    "test",
    "ikev2proposal",
    "ikev2policy",
    "ikev2profile",
    "dmvpn-hub",
    "tset1",
];

/// A show output's line shapes: values (words with a digit, transforms, object names, `any`)
/// become `#`, keeping a trailing `:` or `,`; blank runs become one blank.
fn shapes(text: &str) -> Vec<String> {
    let value = |w: &str| {
        w == "any"
            || w.starts_with("esp-")
            || NAMES.contains(&w)
            || w.chars().any(|c| c.is_ascii_digit())
    };
    text.lines()
        .map(|l| {
            l.split_whitespace()
                .map(|w| {
                    let bare = w.trim_end_matches([':', ',']);
                    let tail = &w[bare.len()..];
                    // `Grp:14` keeps its label.
                    if let Some((label, v)) = bare.split_once(':')
                        && value(v)
                    {
                        return format!("{label}:#{tail}");
                    }
                    if value(bare) {
                        format!("#{tail}")
                    } else {
                        w.to_string()
                    }
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .filter(|l| !l.is_empty())
        .collect()
}

/// The line shapes of every genie sample whose file name starts with one of `prefixes`.
fn corpus(prefixes: &[&str]) -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/show");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if name.ends_with(".txt") && prefixes.iter().any(|p| name.starts_with(p)) {
            out.extend(shapes(&std::fs::read_to_string(dir.join(&name)).unwrap()));
        }
    }
    assert!(!out.is_empty(), "no sample starts with {prefixes:?}");
    out
}

#[tokio::test(start_paused = true)]
async fn ikev2_show_outputs_have_the_layout_of_genies_samples() {
    let r = run_v2("ikev2-pfs-mismatch", Duration::from_secs(5), |_| {}).await;
    let sa = "genie-iosxe-ShowCryptoIkev2Sa-";
    let sa_detail = "genie-iosxe-ShowCryptoIkev2SaDetail-";
    let session = "genie-iosxe-ShowCryptoIkev2Session-";
    let cases: &[(CryptoShow, &[&str])] = &[
        (CryptoShow::Ikev2Sa { detail: false }, &[sa]),
        (CryptoShow::Ikev2Sa { detail: true }, &[sa, sa_detail]),
        (CryptoShow::Ikev2Session { detail: false }, &[session]),
        (
            CryptoShow::Ikev2Session { detail: true },
            &[session, sa_detail],
        ),
        (
            CryptoShow::Ikev2Proposal,
            &["genie-iosxe-ShowCryptoIkev2Proposal-"],
        ),
        (
            CryptoShow::Ikev2Policy,
            &["genie-iosxe-ShowCryptoIkev2Policy-"],
        ),
        (
            CryptoShow::IpsecProfile,
            &["genie-iosxe-ShowCryptoIpsecProfile-"],
        ),
    ];
    for (query, files) in cases {
        let known = corpus(files);
        for node in 0..2 {
            let ours = show(&r, node, query.clone());
            assert!(!ours.trim().is_empty(), "{query:?}: nothing");
            for shape in shapes(&ours) {
                assert!(
                    known.contains(&shape),
                    "{query:?}: {shape:?} is in no genie sample\n{ours}"
                );
            }
        }
    }
    let profile = show(&r, 0, CryptoShow::Ikev2Profile);
    for line in [
        "IKEv2 profile: PROF",
        "   address 203.0.113.2 255.255.255.255",
        " Local identity: address 203.0.113.1",
        " Local authentication method: pre-share",
        " Remote authentication method(s): pre-share",
        " Keyring: KR",
        " Lifetime: 28800 seconds",
        " DPD: interval 30, retry 5, on-demand",
    ] {
        assert!(
            profile.lines().any(|l| l == line),
            "{line:?} not in\n{profile}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn users_traffic_brings_a_route_based_tunnel_up_on_its_own() {
    let scenario = Scenario::embedded("ikev2-vti-healthy").unwrap();
    // No ping of ours: a ping to R1 itself only builds the lab.
    let r = drive(
        &scenario,
        PingRequest::to("192.168.101.1".parse().unwrap()),
        &[],
        Duration::from_secs(1),
    )
    .await;
    let flows = crate::lab::traffic::flows(&r.net);
    let pairs: Vec<(usize, String, String)> = flows
        .iter()
        .map(|f| (f.node, f.src.to_string(), f.dst.to_string()))
        .collect();
    assert_eq!(
        pairs,
        [
            (0, "192.168.101.1".into(), "192.168.102.1".into()),
            (1, "192.168.102.1".into(), "192.168.101.1".into())
        ]
    );
    let (_stop_tx, stop) = tokio::sync::watch::channel(false);
    crate::lab::traffic::start(r.net.clone(), flows, Duration::from_secs(1), stop);
    r.net.clock.sleep(Duration::from_secs(10)).await;
    for node in 0..2 {
        assert!(tunnel_line(&r, node).ends_with("up up"), "R{}", node + 1);
        let ipsec = show(
            &r,
            node,
            CryptoShow::IpsecSa {
                peer: None,
                detail: false,
            },
        );
        assert!(!ipsec.contains("#pkts decaps: 0,"), "{ipsec}");
    }
}
