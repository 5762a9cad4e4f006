//! `triage` on IKEv2 and route-based (VTI) tunnels over real SSH against the lab: each router
//! gets the commands of the IKE version and tunnel style its own configuration uses, the VTI's
//! test ping starts a real negotiation (the lab's debug lines of that version flow while the
//! debugs are on), and every debug is confirmed off afterwards on both routers. What the
//! engine concludes from IKEv2 lines is the engine's work (issue 12 item 3): the findings of
//! these scenarios are asserted by `triage::every_shipped_scenario` once it reads them.

use crate::util::assert_cleaned;
use crate::util::fixture::Fixture;
use ipsec_doctor::cli::triage::execute_quiet;
use ipsec_doctor::lab::ike::IkeFactory;
use ipsec_doctor::lab::scenario::Scenario;
use ipsec_doctor::report::Report;
use ipsec_doctor::run::log::StepStatus;
use tokio::sync::broadcast::{Receiver, error::TryRecvError};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Ike {
    V1,
    V2,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Style {
    Map,
    Vti,
}

/// A router's IKE version and tunnel style.
type Kind = (Ike, Style);

const VTI2: Kind = (Ike::V2, Style::Vti);

/// What each router's configuration in `docker/scenarios/NAME/` uses, read off the files:
/// `set ikev2-profile` makes IKEv2, `tunnel protection` a VTI.
const CASES: &[(&str, Kind, Kind)] = &[
    ("ikev2-vti-healthy", VTI2, VTI2),
    ("ikev2-encryption-mismatch", VTI2, VTI2),
    ("ikev2-integrity-mismatch", VTI2, VTI2),
    ("ikev2-dh-mismatch", VTI2, VTI2),
    ("ikev2-psk-mismatch", VTI2, VTI2),
    ("ikev2-asymmetric-keys-swapped", VTI2, VTI2),
    ("ikev2-identity-mismatch", VTI2, VTI2),
    ("ikev2-no-profile-match", VTI2, VTI2),
    ("ikev2-auth-method-mismatch", VTI2, VTI2),
    // R2 answers with an IKEv2 crypto map whose ACL is narrower than R1's any/any.
    ("ikev2-ts-unacceptable", VTI2, (Ike::V2, Style::Map)),
    ("ikev2-transform-mismatch", VTI2, VTI2),
    ("ikev2-pfs-mismatch", VTI2, VTI2),
    ("ikev2-peer-silent", VTI2, VTI2),
    ("vti-destination-wrong", VTI2, VTI2),
    (
        "ikev1-vti-healthy",
        (Ike::V1, Style::Vti),
        (Ike::V1, Style::Vti),
    ),
];

/// The commands each kind of router must get, and those it must not.
fn expected(ike: Ike, style: Style) -> (Vec<&'static str>, Vec<&'static str>) {
    let v1 = vec![
        "show crypto isakmp sa",
        "show crypto isakmp sa detail",
        "show crypto isakmp policy",
        "debug crypto isakmp",
    ];
    let v2 = vec![
        "show crypto ikev2 sa",
        "show crypto ikev2 sa detailed",
        "show crypto ikev2 session",
        "debug crypto ikev2",
    ];
    let map = vec!["show crypto map"];
    let vti = vec!["show interfaces Tunnel0", "show crypto ipsec profile"];
    let (mut want, mut not) = match ike {
        Ike::V1 => (v1, v2),
        Ike::V2 => (v2, v1),
    };
    let (w, n) = match style {
        Style::Map => (map, vti),
        Style::Vti => (vti, map),
    };
    want.extend(w);
    not.extend(n);
    want.extend([
        "show running-config | section crypto|interface|access-list|ip route",
        "show crypto ipsec sa",
        "debug crypto ipsec",
    ]);
    (want, not)
}

fn sent(report: &Report, router: &str) -> Vec<String> {
    report
        .run
        .as_ref()
        .expect("a live run")
        .steps
        .iter()
        .filter(|s| s.router == router && s.status == StepStatus::Ok)
        .map(|s| s.command.clone())
        .collect()
}

/// Every line the router published while the test watched (debug lines are published only
/// while that debug is on for that peer).
fn published(rx: &mut Receiver<String>) -> Vec<String> {
    let mut out = Vec::new();
    loop {
        match rx.try_recv() {
            Ok(l) => out.push(l),
            Err(TryRecvError::Lagged(_)) => continue,
            Err(_) => return out,
        }
    }
}

fn assert_commands(name: &str, report: &Report, router: &str, kind: Kind, peer: &str) {
    let sent = sent(report, router);
    let (want, not) = expected(kind.0, kind.1);
    for w in want {
        assert!(
            sent.iter().any(|c| c == w),
            "{name}: {router} ({kind:?}) was not sent `{w}`: {sent:#?}"
        );
    }
    for n in not {
        assert!(
            !sent.iter().any(|c| c == n),
            "{name}: {router} ({kind:?}) was sent `{n}`: {sent:#?}"
        );
    }
    let condition = format!("debug crypto condition peer ipv4 {peer}");
    assert!(sent.contains(&condition), "{name}: {router}: {sent:#?}");
}

async fn run(scenario: &Scenario, r1: Kind, r2: Kind) {
    let name = scenario.name.as_str();
    let fx = Fixture::of(scenario, 200.0, &IkeFactory).await;
    let mut bus1 = fx.lab.router_state("R1").unwrap().log.subscribe();
    let report = execute_quiet(fx.args(), std::future::pending())
        .await
        .unwrap_or_else(|e| panic!("{name}: {e:#}"));
    let [report] = <[Report; 1]>::try_from(report).expect("one tunnel");
    assert_commands(name, &report, "R1", r1, "203.0.113.2");
    assert_commands(name, &report, "R2", r2, "203.0.113.1");

    // The run says what it took each router to be.
    let run = report.run.as_ref().unwrap();
    for (router, kind) in [("R1", r1), ("R2", r2)] {
        let t = run
            .tunnels
            .iter()
            .find(|t| t.router == router)
            .unwrap_or_else(|| panic!("{name}: no tunnel facts for {router}"));
        let json = serde_json::to_value(t).unwrap();
        let ike = if kind.0 == Ike::V2 { "ikev2" } else { "ikev1" };
        let style = if kind.1 == Style::Vti {
            "vti"
        } else {
            "crypto_map"
        };
        assert_eq!(
            (json["ike"].as_str(), json["style"].as_str()),
            (Some(ike), Some(style)),
            "{name}: {json}"
        );
    }

    // Router A pinged a LAN host routed through its tunnel, and that started IKE under the
    // debugs this run switched on.
    let pinged = sent(&report, "R1");
    assert!(
        pinged.contains(&"ping 192.168.102.1 source GigabitEthernet0/0/1 repeat 5".to_string()),
        "{name}: {pinged:#?}"
    );
    let lines = published(&mut bus1);
    let marker = if r1.0 == Ike::V2 { "IKEv2:" } else { "ISAKMP" };
    assert!(
        lines.iter().any(|l| l.contains(marker)),
        "{name}: R1 printed no {marker} debug line during the run: {lines:#?}"
    );

    assert_cleaned(&report);
    assert!(fx.debug_quiet(), "{name}: a debug is still on");
    fx.lab.stop().await;
}

macro_rules! cases {
    ($($test:ident => $name:literal,)*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $test() {
                let (_, r1, r2) = CASES.iter().find(|c| c.0 == $name).expect("a case");
                run(&Scenario::embedded($name).unwrap(), *r1, *r2).await;
            }
        )*

        #[test]
        fn every_route_based_scenario_has_a_case() {
            let tested = [$($name),*];
            for (name, _, _) in CASES {
                assert!(tested.contains(name), "no test runs {name}");
            }
            for name in Scenario::embedded_names() {
                let routed = ["r1.cfg", "r2.cfg"].iter().any(|f| {
                    std::fs::read_to_string(
                        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                            .join("docker/scenarios")
                            .join(name)
                            .join(f),
                    )
                    .is_ok_and(|t| t.contains("tunnel protection") || t.contains("crypto ikev2 profile"))
                });
                assert_eq!(
                    routed,
                    CASES.iter().any(|c| c.0 == name),
                    "{name}: an IKEv2 or VTI scenario needs a case here, and only those"
                );
            }
        }
    };
}

cases! {
    ikev2_vti_healthy => "ikev2-vti-healthy",
    ikev2_encryption_mismatch => "ikev2-encryption-mismatch",
    ikev2_integrity_mismatch => "ikev2-integrity-mismatch",
    ikev2_dh_mismatch => "ikev2-dh-mismatch",
    ikev2_psk_mismatch => "ikev2-psk-mismatch",
    ikev2_asymmetric_keys_swapped => "ikev2-asymmetric-keys-swapped",
    ikev2_identity_mismatch => "ikev2-identity-mismatch",
    ikev2_no_profile_match => "ikev2-no-profile-match",
    ikev2_auth_method_mismatch => "ikev2-auth-method-mismatch",
    ikev2_ts_unacceptable => "ikev2-ts-unacceptable",
    ikev2_transform_mismatch => "ikev2-transform-mismatch",
    ikev2_pfs_mismatch => "ikev2-pfs-mismatch",
    ikev2_peer_silent => "ikev2-peer-silent",
    vti_destination_wrong => "vti-destination-wrong",
    ikev1_vti_healthy => "ikev1-vti-healthy",
}

/// One router misconfigured to the other IKE version: R1 speaks IKEv2 on its VTI, R2 IKEv1 on
/// its own. Each still gets the commands of what it runs, and both debugs go off.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mixed_version_pair_runs_each_routers_own_commands() {
    let dir = tempfile::tempdir().unwrap();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docker/scenarios");
    for (file, from) in [
        ("lab.yaml", "ikev2-vti-healthy"),
        ("r1.cfg", "ikev2-vti-healthy"),
        ("r2.cfg", "ikev1-vti-healthy"),
    ] {
        std::fs::copy(root.join(from).join(file), dir.path().join(file)).unwrap();
    }
    let mut scenario = Scenario::from_dir(dir.path()).unwrap();
    scenario.name = "mixed-ike-versions".into();
    run(&scenario, VTI2, (Ike::V1, Style::Vti)).await;
}

/// A tunnel whose destination is wrong sends IKE elsewhere: the debug window is scoped to that
/// address too, so the negotiation that shows the mistake is not filtered out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_tunnel_destination_is_debugged_where_ike_goes() {
    let fx = Fixture::start("vti-destination-wrong", 200.0).await;
    let mut bus1 = fx.lab.router_state("R1").unwrap().log.subscribe();
    let [report] = <[Report; 1]>::try_from(
        execute_quiet(fx.args(), std::future::pending())
            .await
            .unwrap(),
    )
    .expect("one tunnel");
    let r1 = sent(&report, "R1");
    assert!(
        r1.contains(&"debug crypto condition peer ipv4 203.0.113.20".to_string()),
        "{r1:#?}"
    );
    let lines = published(&mut bus1);
    assert!(
        lines
            .iter()
            .any(|l| l.contains("Sending Packet [To 203.0.113.20:500")),
        "{lines:#?}"
    );
    assert_cleaned(&report);
    assert!(fx.debug_quiet());
    fx.lab.stop().await;
}

/// `debug crypto ikev2` found on (a colleague's, a crashed run's) is someone else's: no debug
/// window on that router and the debug left on; with `--clear-stale-debug` it is switched off by
/// the command that does it (`show debug` lists it as `IKEv2 default`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ikev2_debug_found_on_is_left_or_cleared_as_asked() {
    use crate::util::fixture::with_live;
    use ipsec_doctor::lab::router::DebugKind;
    let fx = Fixture::start("ikev2-vti-healthy", 200.0).await;
    let r2 = fx.lab.router_state("R2").unwrap().clone();
    r2.debug.set(DebugKind::CryptoIkev2, true);
    let [report] = <[Report; 1]>::try_from(
        execute_quiet(fx.args(), std::future::pending())
            .await
            .unwrap(),
    )
    .expect("one tunnel");
    let run = report.run.as_ref().unwrap();
    assert_eq!(run.stale_debug.len(), 1, "{run:#?}");
    assert!(!run.stale_debug[0].cleared);
    assert!(r2.debug.get().crypto_ikev2, "left as found");
    assert!(
        !sent(&report, "R2").iter().any(|c| c.starts_with("debug ")),
        "no debug window on R2"
    );

    let [report] = <[Report; 1]>::try_from(
        execute_quiet(
            with_live(fx.args(), |l| l.clear_stale_debug = true),
            std::future::pending(),
        )
        .await
        .unwrap(),
    )
    .expect("one tunnel");
    let run = report.run.as_ref().unwrap();
    assert!(run.stale_debug[0].cleared, "{run:#?}");
    assert_cleaned(&report);
    assert!(fx.debug_quiet());
    fx.lab.stop().await;
}

/// An IKEv1 crypto map pair gets exactly the commands it got before the runner knew IKEv2 and
/// VTIs (the configuration read first now), and the report says why the other steps did not
/// run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ikev1_crypto_map_pair_keeps_its_commands() {
    let fx = Fixture::start("healthy", 200.0).await;
    let [report] = <[Report; 1]>::try_from(
        execute_quiet(fx.args(), std::future::pending())
            .await
            .unwrap(),
    )
    .expect("one tunnel");
    let common = |peer: &str| {
        vec![
            "show running-config | section crypto|interface|access-list|ip route".to_string(),
            "show crypto isakmp sa".into(),
            "show crypto isakmp sa detail".into(),
            "show crypto ipsec sa".into(),
            "show crypto session".into(),
            "show crypto map".into(),
            "show crypto isakmp policy".into(),
            "show udp".into(),
            "show debug".into(),
            format!("debug crypto condition peer ipv4 {peer}"),
            "debug crypto isakmp".into(),
            "debug crypto ipsec".into(),
        ]
    };
    let after = ["show crypto isakmp sa", "show crypto ipsec sa"].map(String::from);
    let mut r1 = common("203.0.113.2");
    r1.push("ping 192.168.102.1 source GigabitEthernet1/0 repeat 5".into());
    r1.extend(after.clone());
    let mut r2 = common("203.0.113.1");
    r2.extend(after);
    assert_eq!(sent(&report, "R1"), r1);
    assert_eq!(sent(&report, "R2"), r2);
    let run = report.run.as_ref().unwrap();
    for step in ["ikev2-sa", "tunnel-interface", "ikev2-sa-after"] {
        let skipped = run
            .steps
            .iter()
            .find(|s| s.step == step)
            .unwrap_or_else(|| panic!("{step} is not in the log: {run:#?}"));
        assert!(
            matches!(&skipped.status, StepStatus::Skipped(why) if why.contains("neither router is one")),
            "{skipped:?}"
        );
    }
    // The text report says it once per reason, not once per step.
    let text = ipsec_doctor::report::text::render(&report, false);
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("neither router is one"))
        .collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(
        lines[0].contains("ikev2-sa, ikev2-sa-detailed, ikev2-session, ikev2-sa-after"),
        "{text}"
    );
    assert_cleaned(&report);
    fx.lab.stop().await;
}
