//! The IKEv2 and VTI scenarios' routers over real SSH, as an engineer drives them: `debug
//! crypto ikev2` on with `terminal monitor`, a ping from R1's LAN into the tunnel, the show
//! commands after. Each scenario's routers must print the lines of its failure and show the
//! tunnel's state; `lab_scenarios` checks the engine's diagnosis of each.

use crate::lab_scenarios::Session;
use ipsec_doctor::lab::ike::IkeFactory;
use ipsec_doctor::lab::scenario::{Ike, Scenario};
use ipsec_doctor::lab::{Lab, LabHandle, LabOptions};
use std::time::Duration;

/// Lab seconds per real second: a silent peer's five IKEv2 retransmissions and the give-up
/// (126 lab seconds) take 0.6 s.
const SPEED: f64 = 200.0;
const PING: &str = "ping 192.168.102.1 source GigabitEthernet0/0/1";

/// (scenario, R1 prints, R2 prints, Tunnel0 up on R1 at the end, lab seconds to wait)
type Case = (
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
    bool,
    u64,
);

const CASES: &[Case] = &[
    (
        "ikev2-vti-healthy",
        &[
            "IKEv2 IKE_SA_INIT Exchange REQUEST",
            "IKEv2 IKE_AUTH Exchange RESPONSE",
            "Session with IKE ID PAIR (203.0.113.2, 203.0.113.1) is UP",
            "%CRYPTO-5-IKEV2_SESSION_STATUS: Crypto tunnel v2 is UP.",
            "%LINEPROTO-5-UPDOWN: Line protocol on Interface Tunnel0, changed state to up",
        ],
        &[
            "IKEv2:found matching IKEv2 profile 'PROF'",
            "Verification of peer's authenctication data PASSED",
        ],
        true,
        10,
    ),
    (
        "ikev2-encryption-mismatch",
        &[
            "NOTIFY(NO_PROPOSAL_CHOSEN)",
            ":: Received no proposal chosen notify",
        ],
        &[
            "Received Policies:",
            "Proposal 1:  AES-CBC-256 SHA256 SHA256 DH_GROUP_2048_MODP/Group 14",
            "Expected Policies:",
            "Proposal 1:  AES-CBC-128 SHA256 SHA256 DH_GROUP_2048_MODP/Group 14",
        ],
        false,
        10,
    ),
    (
        "ikev2-integrity-mismatch",
        &[":: Received no proposal chosen notify"],
        &["Proposal 1:  AES-CBC-256 SHA512 SHA512 DH_GROUP_2048_MODP/Group 14"],
        false,
        10,
    ),
    (
        "ikev2-dh-mismatch",
        &[":: Received no proposal chosen notify"],
        &["Proposal 1:  AES-CBC-256 SHA256 SHA256 DH_GROUP_256_ECP/Group 19"],
        false,
        10,
    ),
    (
        "ikev2-psk-mismatch",
        &["NOTIFY(AUTHENTICATION_FAILED)", ":: Auth exchange failed"],
        &[
            "Verification of peer's authenctication data FAILED",
            ":: Failed to authenticate the IKE SA",
        ],
        false,
        10,
    ),
    (
        "ikev2-asymmetric-keys-swapped",
        &["NOTIFY(AUTHENTICATION_FAILED)"],
        &[
            "Use preshared key for id 203.0.113.1, key len 18",
            "Verification of peer's authenctication data FAILED",
        ],
        false,
        10,
    ),
    (
        "ikev2-identity-mismatch",
        &[
            "Searching policy based on peer's identity 'r2.lab.example' of type 'FQDN'",
            ":: Failed to verify peer's policy",
            "Sending DELETE INFO message for IKEv2 SA",
        ],
        &["Processing DELETE INFO message for IKEv2 SA"],
        false,
        10,
    ),
    (
        "ikev2-no-profile-match",
        &["NOTIFY(AUTHENTICATION_FAILED)"],
        &["IKEv2:% IKEv2 profile not found"],
        false,
        10,
    ),
    (
        "ikev2-auth-method-mismatch",
        &["NOTIFY(AUTHENTICATION_FAILED)"],
        &[
            ":: Peer authentication method configured is mismatching with the method proposed by peer",
        ],
        false,
        10,
    ),
    (
        "ikev2-ts-unacceptable",
        &[
            "VID IDr AUTH NOTIFY(TS_UNACCEPTABLE)",
            "Sending DELETE INFO message for IPsec SA",
        ],
        &["Sending TS unacceptable notify"],
        false,
        10,
    ),
    (
        "ikev2-transform-mismatch",
        &[
            "VID IDr AUTH NOTIFY(NO_PROPOSAL_CHOSEN)",
            "Queuing IKE SA delete request",
        ],
        &[
            "ESP: Proposal 1:  AES-CBC-256 SHA256 Don't use ESN",
            "ESP: Proposal 1:  AES-CBC-256 SHA96 Don't use ESN",
        ],
        false,
        10,
    ),
    (
        "ikev2-pfs-mismatch",
        &[
            "Crypto tunnel v2 is UP.",
            "IKEv2 CREATE_CHILD_SA Exchange REQUEST",
            ":: Failed to rekey IPsec SA [SPI: 0x",
            "Line protocol on Interface Tunnel0, changed state to down",
        ],
        &["ESP: Proposal 1:  AES-CBC-256 SHA256 DH_GROUP_2048_MODP/Group 14 Don't use ESN"],
        false,
        150,
    ),
    (
        "ikev2-peer-silent",
        &[
            "Retransmitting packet",
            "Maximum number of retransmissions reached",
            "Initial exchange failed: Initial exchange failed",
        ],
        &[],
        false,
        130,
    ),
    (
        "vti-destination-wrong",
        &[
            "Sending Packet [To 203.0.113.20:500/From 203.0.113.1:500/VRF i0:f0]",
            "Maximum number of retransmissions reached",
        ],
        &[],
        false,
        130,
    ),
];

struct Routers {
    lab: LabHandle,
    sessions: Vec<Session>,
}

async fn start(name: &str, debugs: &[&str]) -> Routers {
    let scenario = Scenario::embedded(name).unwrap();
    let options = LabOptions {
        speed: SPEED,
        ..LabOptions::default()
    };
    let lab = Lab::start(&scenario, options, &IkeFactory, std::future::pending())
        .await
        .unwrap();
    let mut sessions = Vec::new();
    for ep in lab.routers() {
        let mut s = Session::open(ep).await;
        s.enable(ep.enable_secret.expose()).await;
        for c in ["terminal length 0", "terminal monitor"]
            .iter()
            .chain(debugs)
        {
            s.cmd(c).await;
        }
        sessions.push(s);
    }
    Routers { lab, sessions }
}

async fn wait_lab(seconds: u64) {
    tokio::time::sleep(Duration::from_secs_f64(seconds as f64 / SPEED)).await;
}

fn tunnel_state(brief: &str) -> String {
    brief
        .lines()
        .find(|l| l.starts_with("Tunnel0"))
        .map(|l| l.split_whitespace().skip(4).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

#[test]
fn every_ikev2_scenario_has_a_case() {
    let cased: Vec<&str> = CASES.iter().map(|c| c.0).collect();
    let ikev2: Vec<&str> = Scenario::embedded_names()
        .into_iter()
        .filter(|n| Scenario::embedded(n).unwrap().ike == Ike::V2)
        .collect();
    assert_eq!(cased, ikev2);
    for name in &cased {
        assert_eq!(Scenario::embedded(name).unwrap().ike, Ike::V2, "{name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_ikev2_scenario_prints_its_failure_over_ssh() {
    for (name, r1, r2, up, wait) in CASES {
        let mut lab = start(name, &["debug crypto ikev2"]).await;
        for s in &mut lab.sessions {
            let debug = s.cmd("show debug").await;
            assert!(
                debug.contains("  IKEv2 default debugging is on"),
                "{name}: {debug}"
            );
        }
        let ping = lab.sessions[0].cmd(PING).await;
        assert!(ping.contains("Success rate is"), "{name}: {ping}");
        wait_lab(*wait).await;
        let mut shows = Vec::new();
        for s in &mut lab.sessions {
            let brief = s.cmd("show ip interface brief").await;
            for c in [
                "show crypto ikev2 sa",
                "show crypto ikev2 session",
                "show crypto ipsec sa",
                "show crypto session",
                "show crypto ikev2 proposal",
                "show crypto ikev2 policy",
                "show crypto ikev2 profile",
                "show crypto ipsec profile",
                "show interfaces Tunnel0",
            ] {
                s.cmd(c).await;
            }
            let off = s.cmd("undebug all").await;
            assert!(
                off.contains("All possible debugging has been turned off"),
                "{name}: {off}"
            );
            assert!(
                !s.cmd("show debug").await.contains("debugging is on"),
                "{name}"
            );
            s.drain().await;
            shows.push(brief);
        }
        for (i, lines) in [r1, r2].into_iter().enumerate() {
            for l in *lines {
                assert!(
                    lab.sessions[i].transcript.contains(l),
                    "{name}: R{} never printed {l:?}\n{}",
                    i + 1,
                    lab.sessions[i].transcript
                );
            }
        }
        if r2.is_empty() {
            // A silent peer: nothing of IKEv2 reached R2.
            assert!(
                !lab.sessions[1].transcript.contains("IKEv2:("),
                "{name}: {}",
                lab.sessions[1].transcript
            );
        }
        let expected = if *up { "up up" } else { "up down" };
        assert_eq!(tunnel_state(&shows[0]), expected, "{name}: {}", shows[0]);
        lab.lab.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fix_in_configuration_mode_brings_the_ikev2_tunnel_up() {
    let mut lab = start("ikev2-encryption-mismatch", &["debug crypto ikev2"]).await;
    let ping = lab.sessions[0].cmd(PING).await;
    assert!(ping.contains("Success rate is 0 percent"), "{ping}");
    wait_lab(10).await;
    let r2 = &mut lab.sessions[1];
    for c in [
        "configure terminal",
        "crypto ikev2 proposal PROP-1",
        "encryption aes-cbc-256",
        "end",
    ] {
        let out = r2.cmd(c).await;
        assert!(!out.contains("% Invalid"), "{c}: {out}");
    }
    let proposal = r2.cmd("show crypto ikev2 proposal").await;
    assert!(proposal.contains("Encryption : AES-CBC-256"), "{proposal}");
    let ping = lab.sessions[0].cmd(PING).await;
    assert!(ping.contains("!!!!"), "{ping}");
    let sa = lab.sessions[0].cmd("show crypto ikev2 sa").await;
    assert!(sa.contains("READY"), "{sa}");
    let logging = lab.sessions[1].cmd("show logging").await;
    assert!(
        logging.contains("%CRYPTO-5-IKEV2_SESSION_STATUS: Crypto tunnel v2 is UP."),
        "{logging}"
    );
    assert!(
        logging.contains(
            "%LINEPROTO-5-UPDOWN: Line protocol on Interface Tunnel0, changed state to up"
        ),
        "{logging}"
    );
    lab.lab.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ikev1_vti_comes_up_over_ssh_and_the_tunnel_routes_the_lans() {
    let mut lab = start("ikev1-vti-healthy", &["debug crypto isakmp"]).await;
    let first = lab.sessions[0].cmd(PING).await;
    assert!(first.contains(".!!!!"), "{first}");
    // Up: every echo, and a ping to the peer's tunnel address, crosses in ESP.
    let second = lab.sessions[0].cmd(PING).await;
    assert!(
        second.contains("Success rate is 100 percent (5/5)"),
        "{second}"
    );
    let over = lab.sessions[0].cmd("ping 10.255.0.2").await;
    assert!(over.contains("Success rate is 100 percent (5/5)"), "{over}");
    let route = lab.sessions[0].cmd("show ip route").await;
    assert!(
        route.contains("S        192.168.102.0/24 is directly connected, Tunnel0")
            || route.contains("S     192.168.102.0/24 is directly connected, Tunnel0"),
        "{route}"
    );
    assert!(
        route.contains("10.255.0.0/30 is directly connected, Tunnel0"),
        "{route}"
    );
    let ipsec = lab.sessions[1].cmd("show crypto ipsec sa").await;
    assert!(ipsec.contains("interface: Tunnel0"), "{ipsec}");
    assert!(!ipsec.contains("#pkts decaps: 0,"), "{ipsec}");
    lab.sessions[0].drain().await;
    assert!(
        lab.sessions[0]
            .transcript
            .contains("IKE_QM_PHASE2_COMPLETE"),
        "{}",
        lab.sessions[0].transcript
    );
    lab.lab.stop().await;
}

#[test]
fn readme_names_every_ikev2_line_that_had_no_public_capture() {
    use ipsec_doctor::lab::ike::v2::say::{V, uncaptured};
    // How README's lab section quotes each line.
    let quoted: &[(V, &str)] = &[
        (V::NoPeerBlock, "% Matching peer block not found"),
        (V::NoPolicy, "Failed to find a policy for local address"),
        (V::StartingAuthTimer, "timer … auth message"),
        (V::StoppingAuthTimer, "timer … auth message"),
        (V::ConstructIdr, "Constructing IDr payload"),
        (V::PeerPolicyFailed, "Failed to verify peer's policy"),
        (V::AuthFailed, "authenctication data FAILED"),
        (V::LoadKeyMaterial, "Load IPSEC key material"),
        (V::CreateIpsecSa, "the IPsec database lines"),
        (V::CreateIpsecSaPassed, "the IPsec database lines"),
        (
            V::MaxRetransmissions,
            "Maximum number of retransmissions reached",
        ),
        (V::SendNoProposal, "Sending no proposal chosen notify"),
        (
            V::WrongDhGroup,
            "The peer's KE payload contained the wrong DH group",
        ),
        (V::SendInvalidKe, "Sending invalid ke notify"),
        (V::ReceivedInvalidKe, "Received invalid KE notify"),
        (V::SendTsUnacceptable, "Sending TS unacceptable notify"),
        (
            V::GenChildSa,
            "`Generating`/`Processing CREATE_CHILD_SA message`",
        ),
        (
            V::ProcessChildSa,
            "`Generating`/`Processing CREATE_CHILD_SA message`",
        ),
        (V::RekeyFailed, "Failed to rekey IPsec SA"),
        (V::SendDpd, "Sending DPD/liveness query"),
        (V::ProcessInfo, "Processing INFORMATIONAL message"),
        (V::DpdNoAnswer, "not answer the liveness check"),
    ];
    let flat = |t: &str| t.split_whitespace().collect::<Vec<_>>().join(" ");
    let readme =
        flat(&std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap());
    let lines: Vec<V> = uncaptured().collect();
    for line in &lines {
        let Some((_, text)) = quoted.iter().find(|(l, _)| l == line) else {
            panic!("{line:?} has no public capture: name it in README's lab section and here");
        };
        assert!(
            readme.contains(&flat(text)),
            "README does not name {line:?} ({text:?})"
        );
    }
    assert_eq!(
        lines.len(),
        quoted.len(),
        "a quoted line is no longer uncaptured"
    );
}

/// Runs `analyze --format json` on one paste of R1's, as an engineer saves it.
fn analyze_paste(text: &str) -> (serde_json::Value, Option<i32>) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("r1.txt");
    std::fs::write(&file, text).unwrap();
    let out = crate::util::bin()
        .args(["analyze", file.to_str().unwrap(), "--format", "json"])
        .output()
        .unwrap();
    (
        serde_json::from_slice(&out.stdout).unwrap(),
        out.status.code(),
    )
}

/// Issue 12 item 3: a lone `show crypto ikev2 sa`, read off R1 during the silent peer's
/// retransmissions and given to `analyze` as an engineer would paste it: the IN-NEG row alone
/// says IKE_SA_INIT/IKE_AUTH does not complete with 203.0.113.2, with a snapshot's confidence
/// and in IKEv2's words.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lone_show_crypto_ikev2_sa_during_retransmissions_is_analyzed() {
    let mut lab = start("ikev2-peer-silent", &[]).await;
    let ping = lab.sessions[0].cmd(PING).await;
    assert!(ping.contains("Success rate is 0 percent"), "{ping}");
    // Ten lab seconds on: IOS is between its retransmissions, the SA still negotiating.
    wait_lab(10).await;
    let sa = lab.sessions[0].cmd("show crypto ikev2 sa").await;
    lab.lab.stop().await;
    assert!(sa.contains("IN-NEG"), "{sa}");
    let (json, code) = analyze_paste(&format!("R1#{sa}"));
    let findings = json["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{json:#}");
    let f = &findings[0];
    assert_eq!(f["code"], "P1_NO_RESPONSE", "{f:#}");
    assert_eq!(f["remote"], "203.0.113.2", "{f:#}");
    assert_eq!(f["ike_version"], 2, "{f:#}");
    assert_eq!(f["confidence"], "low", "{f:#}");
    let summary = f["summary"].as_str().unwrap();
    assert!(
        summary.contains("IN-NEG") && summary.contains("debug crypto ikev2"),
        "{summary}"
    );
    let evidence = f["evidence"].as_array().unwrap();
    assert!(
        evidence.iter().any(|e| e["text"]
            .as_str()
            .is_some_and(|t| t.contains("203.0.113.2/500") && t.contains("IN-NEG"))),
        "{f:#}"
    );
    assert_eq!(code, Some(2), "{json:#}");
}

/// With different keys, IOS tears the IKE SA down the moment IKE_AUTH is refused: a lone
/// `show crypto ikev2 sa` taken after the ping holds no SA and proves nothing (no finding is
/// made up from an empty table), while `show interfaces Tunnel0` with its line protocol down
/// says no IPsec SA is up for the tunnel, as a note naming what to capture.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_ikev2_sa_table_proves_nothing_and_a_down_tunnel_says_what_to_capture() {
    let mut lab = start("ikev2-psk-mismatch", &[]).await;
    let ping = lab.sessions[0].cmd(PING).await;
    assert!(ping.contains("Success rate is 0 percent"), "{ping}");
    let sa = lab.sessions[0].cmd("show crypto ikev2 sa").await;
    let tunnel = lab.sessions[0].cmd("show interfaces Tunnel0").await;
    lab.lab.stop().await;
    assert!(!sa.contains("/500"), "{sa}");
    let (json, _) = analyze_paste(&format!("R1#{sa}"));
    assert_eq!(json["findings"].as_array().unwrap().len(), 0, "{json:#}");
    assert!(tunnel.contains("line protocol is down"), "{tunnel}");
    let (json, _) = analyze_paste(&format!("R1#{sa}{tunnel}"));
    assert_eq!(json["findings"].as_array().unwrap().len(), 0, "{json:#}");
    let notes = json["notes"].as_array().unwrap();
    assert!(
        notes.iter().any(|n| n.as_str().is_some_and(|n| n
            .contains("Tunnel0 is up but its line protocol is down")
            && n.contains("with 203.0.113.2")
            && n.contains("debug crypto ikev2"))),
        "{json:#}"
    );
}
