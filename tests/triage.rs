//! `triage` over real SSH against the lab: every scenario's finding from live evidence, and
//! the safety paths — success, a refused command, a timeout, a lost connection, Ctrl-C, debugs
//! found already on — each ending with every debug confirmed off.

use crate::util::StepTrap;
use crate::util::fixture::{Fixture, args, window, with_live};
use ipsec_doctor::cli::triage::{self, Args, execute, execute_quiet};
use ipsec_doctor::lab::scenario::Scenario;
use ipsec_doctor::report::Report;
use std::time::Duration;

fn only(reports: Vec<Report>) -> Report {
    assert_eq!(reports.len(), 1);
    reports.into_iter().next().unwrap()
}

fn assert_cleaned(r: &Report) {
    let run = r.run.as_ref().expect("live runs carry their log");
    assert!(!run.cleanup.is_empty(), "{:#?}", run.cleanup);
    for c in &run.cleanup {
        assert!(c.debug_off_confirmed, "{c:#?}");
    }
}

/// Every shipped scenario, through the binary's own entry point on the built-in lab.
async fn scenario(name: &str) {
    let s = Scenario::embedded(name).unwrap();
    let expect = s.expect.clone().expect("scenario names its finding");
    let report = only(
        execute_quiet(
            Args {
                lab: Some(name.into()),
                ..args()
            },
            std::future::pending(),
        )
        .await
        .unwrap_or_else(|e| panic!("{name}: {e:#}")),
    );
    let json = serde_json::to_value(&report).unwrap();
    let findings = json["findings"].as_array().unwrap();
    let f = findings
        .iter()
        .find(|f| f["code"] == expect.as_str())
        .unwrap_or_else(|| {
            panic!(
                "{name}: no {expect} in {}",
                serde_json::to_string_pretty(&json).unwrap()
            )
        });
    if let Some(cause) = &s.expect_cause {
        assert_eq!(f["cause"], cause.as_str(), "{name}: {f:#}");
    }
    crate::lab_scenarios::assert_exact_verdict(name, &expect, &report.diagnosis.findings);
    // No fix block is printed twice (issue 8 item 10).
    for f in &report.diagnosis.findings {
        let mut seen = Vec::new();
        for fix in &f.fix {
            assert!(!seen.contains(&fix), "{name}: fix printed twice: {f:#?}");
            seen.push(fix);
        }
    }
    let evidence = f["evidence"].as_array().unwrap();
    assert!(!evidence.is_empty(), "{name}: no evidence");
    if expect != "TUNNEL_UP" {
        let fixes = f["fix"].as_array().unwrap();
        assert!(
            !fixes.is_empty() || matches!(expect.as_str(), "ONE_WAY_TRAFFIC" | "PEER_SILENT"),
            "{name}: {expect} without a fix: {f:#}"
        );
    }
    assert_eq!(
        report.exit_code,
        if expect == "TUNNEL_UP" {
            0
        } else if matches!(expect.as_str(), "P1_LIFETIME_MISMATCH" | "ONE_WAY_TRAFFIC") {
            1
        } else {
            2
        },
        "{name}"
    );
    assert_cleaned(&report);
    assert!(json["run"]["steps"].as_array().unwrap().len() > 10);
}

crate::util::every_scenario!(scenario, "triage");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn success_leaves_no_debug_on() {
    let fx = Fixture::start("psk-mismatch", 200.0).await;
    let report = only(
        execute_quiet(fx.args(), std::future::pending())
            .await
            .unwrap(),
    );
    assert_eq!(report.exit_code, 2);
    assert_cleaned(&report);
    assert!(fx.debug_quiet());
    // The text report lists what was typed on each router (issue 8 item 11).
    let text = ipsec_doctor::report::render(
        ipsec_doctor::report::Format::Text,
        std::slice::from_ref(&report),
        false,
    );
    for router in ["R1", "R2"] {
        let at = text
            .find(&format!("   on {router}:"))
            .unwrap_or_else(|| panic!("no command list for {router}:\n{text}"));
        assert!(text[at..].contains("show crypto isakmp sa"), "{text}");
        assert!(text[at..].contains("debug crypto isakmp"), "{text}");
    }
    fx.lab.stop().await;
}

const HEAD: &str = "name: t\nsteps:\n  - id: cfg\n    kind: show\n    peer: both\n    safety: read\n    command: show running-config\n    explain: x\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_debug_command_still_cleans_up() {
    let fx = Fixture::start("healthy", 200.0).await;
    let pb = fx.playbook(&format!(
        "{HEAD}  - id: dbg\n    kind: debug\n    peer: both\n    safety: debug\n    commands: [debug crypto isakmp, debug crypto nonsense]\n    duration: 2s\n    explain: x\n"
    ));
    let report = only(
        execute_quiet(
            Args {
                playbook: Some(pb),
                ..fx.args()
            },
            std::future::pending(),
        )
        .await
        .unwrap(),
    );
    let run = report.run.as_ref().unwrap();
    assert!(!run.errors.is_empty(), "{run:#?}");
    assert!(
        run.errors[0].contains("debug crypto nonsense"),
        "{:?}",
        run.errors
    );
    assert_cleaned(&report);
    assert!(fx.debug_quiet());
    fx.lab.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timeout_still_cleans_up() {
    // At real speed the first ping of the trigger waits 2 s for IKE; with a 1 s command limit
    // and a 1 s window it times out.
    let fx = Fixture::start("healthy", 1.0).await;
    let inv = fx.dir.path().join("inventory.yaml");
    let mut text = std::fs::read_to_string(&inv).unwrap();
    text.push_str("defaults:\n  ssh:\n    command_timeout: 1s\n");
    std::fs::write(&inv, text).unwrap();
    let report = only(
        execute_quiet(
            with_live(fx.args(), |l| l.debug_window = Some(Duration::from_secs(1))),
            std::future::pending(),
        )
        .await
        .unwrap(),
    );
    let run = report.run.as_ref().unwrap();
    assert!(
        run.errors.iter().any(|e| e.contains("no answer")),
        "{run:#?}"
    );
    assert_cleaned(&report);
    assert!(fx.debug_quiet());
    fx.lab.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_during_the_debug_window_cleans_up() {
    let fx = Fixture::start("peer-no-route", 1.0).await;
    let (trap, rx) = StepTrap::new("debug on");
    let routers = ["R1", "R2"].map(|r| fx.lab.router_state(r).expect("router").clone());
    let stop = async move {
        let _ = rx.await;
        // Ctrl-C comes once every debug of the window is on, on both routers: the run is
        // inside its debug window, not still sending the commands.
        let window_open = async {
            while !routers.iter().all(|r| {
                let d = r.debug.get();
                d.crypto_isakmp && d.crypto_ipsec
            }) {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        };
        tokio::time::timeout(Duration::from_secs(60), window_open)
            .await
            .expect("the run switched its debugs on");
    };
    let a = window(fx.args(), Duration::from_secs(30), Duration::from_secs(30));
    let report = only(execute(a, stop, &trap).await.unwrap());
    let run = report.run.as_ref().unwrap();
    assert!(run.interrupted);
    assert!(report.warnings.iter().any(|w| w.contains("interrupted")));
    assert_cleaned(&report);
    assert!(fx.debug_quiet());
    fx.lab.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_connection_is_reopened_to_clean_up() {
    let fx = Fixture::start("peer-no-route", 1.0).await;
    let (trap, rx) = StepTrap::new("debug on");
    let r1 = fx.lab.router_state("R1").unwrap().clone();
    tokio::spawn(async move {
        if rx.await.is_ok() {
            tokio::time::sleep(Duration::from_millis(300)).await;
            r1.cut_sessions();
        }
    });
    let a = window(fx.args(), Duration::from_secs(4), Duration::from_secs(4));
    let report = only(execute(a, std::future::pending(), &trap).await.unwrap());
    let run = report.run.as_ref().unwrap();
    let r1_cleanup = run.cleanup.iter().find(|c| c.router == "R1").unwrap();
    assert!(r1_cleanup.reconnected, "{run:#?}");
    assert_cleaned(&report);
    assert!(fx.debug_quiet());
    fx.lab.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn debugs_found_on_arrival_are_reported_and_cleared_only_when_asked() {
    use ipsec_doctor::lab::router::DebugKind;
    let fx = Fixture::start("healthy", 200.0).await;
    let r2 = fx.lab.router_state("R2").unwrap().clone();
    r2.debug.set(DebugKind::CryptoIsakmp, true);
    let read_only = fx.playbook(HEAD);
    let report = only(
        execute_quiet(
            Args {
                playbook: Some(read_only.clone()),
                ..fx.args()
            },
            std::future::pending(),
        )
        .await
        .unwrap(),
    );
    let run = report.run.as_ref().unwrap();
    assert_eq!(run.stale_debug.len(), 1, "{run:#?}");
    assert_eq!(run.stale_debug[0].router, "R2");
    assert!(!run.stale_debug[0].cleared);
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.contains("R2 had crypto debugs on"))
    );
    assert!(
        !r2.debug.get().is_quiet(),
        "left as found without --clear-stale-debug"
    );

    let report = only(
        execute_quiet(
            Args {
                playbook: Some(read_only),
                ..with_live(fx.args(), |l| l.clear_stale_debug = true)
            },
            std::future::pending(),
        )
        .await
        .unwrap(),
    );
    assert!(report.run.as_ref().unwrap().stale_debug[0].cleared);
    assert!(r2.debug.get().is_quiet());
    fx.lab.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disruptive_steps_need_permission_and_bad_input_touches_nothing() {
    let fx = Fixture::start("healthy", 200.0).await;
    let pb = fx.playbook(&format!(
        "{HEAD}  - id: clear\n    kind: clear\n    peer: a\n    safety: disruptive\n    command: clear crypto sa\n    explain: x\n"
    ));
    let report = only(
        execute_quiet(
            Args {
                playbook: Some(pb.clone()),
                ..fx.args()
            },
            std::future::pending(),
        )
        .await
        .unwrap(),
    );
    let steps = &report.run.as_ref().unwrap().steps;
    assert!(
        steps
            .iter()
            .any(|s| s.step == "clear" && format!("{:?}", s.status).contains("--allow-disruptive")),
        "{steps:#?}"
    );
    let report = only(
        execute_quiet(
            Args {
                playbook: Some(pb),
                allow_disruptive: true,
                ..fx.args()
            },
            std::future::pending(),
        )
        .await
        .unwrap(),
    );
    let steps = &report.run.as_ref().unwrap().steps;
    assert!(
        steps.iter().any(|s| s.step == "clear"
            && s.command == "clear crypto sa"
            && format!("{:?}", s.status) == "Ok"),
        "{steps:#?}"
    );

    // A malformed playbook fails before any router is contacted.
    let bad = fx.playbook("name: t\nsteps:\n  - id: x\n    kind: show\n    peer: both\n    safety: read\n    comand: show udp\n");
    let err = execute_quiet(
        Args {
            playbook: Some(bad),
            ..fx.args()
        },
        std::future::pending(),
    )
    .await
    .unwrap_err();
    assert!(format!("{err:#}").contains("playbook.yaml:7"), "{err:#}");
    let err = execute_quiet(
        Args {
            tunnel: Some("nope".into()),
            ..fx.args()
        },
        std::future::pending(),
    )
    .await
    .unwrap_err();
    assert!(format!("{err:#}").contains("R1-R2"), "{err:#}");
    fx.lab.stop().await;
}

#[test]
fn the_binary_triages_the_built_in_lab() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ipsec-doctor"))
        .args([
            "triage",
            "--lab",
            "psk-mismatch",
            "--format",
            "json",
            "--debug-window",
            "3s",
            "--idle-cutoff",
            "400ms",
            "--lab-speed",
            "200",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["findings"][0]["code"], "P1_PSK_MISMATCH");
    assert_eq!(v["run"]["cleanup"][0]["debug_off_confirmed"], true);
    let _ = triage::DEFAULT_LAB_SCENARIO;
}
