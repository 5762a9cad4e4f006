//! `ipsec-doctor guide` end to end against the lab, answers fed line by line as from a pipe:
//! the tree's branches (one-sided silence and its cause, a phase 2 refusal, a healthy tunnel
//! said so at once), a fix applied and kept or rolled back (never saved unasked), quitting,
//! SIGTERM and a lost connection while debugs are on — each ending with the debugs confirmed
//! off — and the Markdown transcript (evidence in, secrets out).

use crate::util::fixture::{Fixture, with_live};
use crate::util::{Sink, assert_cleaned};
use ipsec_doctor::cli::guide::{Args, execute};
use ipsec_doctor::guide::Outcome;
use ipsec_doctor::guide::input::{Feeder, Input};
use ipsec_doctor::guide::transcript::Transcript;
use ipsec_doctor::report::Report;
use ipsec_doctor::run::progress::Silent;
use ipsec_doctor::run::stop::Stop;
use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;

struct Walked {
    report: Report,
    stdout: String,
    markdown: String,
}

impl Walked {
    fn code(&self, code: &str) -> &ipsec_doctor::engine::finding::Finding {
        self.report
            .diagnosis
            .findings
            .iter()
            .find(|f| f.code.as_str() == code)
            .unwrap_or_else(|| panic!("no {code} in the report:\n{}", self.stdout))
    }

    /// The step titles the session walked, in order.
    fn steps(&self) -> Vec<&str> {
        self.stdout
            .lines()
            .filter_map(|l| l.strip_prefix("── Step "))
            .filter_map(|l| l.split_once(": ").map(|x| x.1))
            .map(|t| t.rsplit_once(" [").map_or(t, |x| x.0))
            .collect()
    }
}

/// Runs the guide in process with `answers`, then the end of input.
async fn walk(args: Args, answers: &[&str]) -> Walked {
    let (tx, input) = Input::feed();
    for a in answers {
        tx.send(a.to_string()).unwrap();
    }
    drop(tx);
    walk_with(args, input).await
}

async fn walk_with(args: Args, mut input: Input) -> Walked {
    let sink = Sink::default();
    let say = Transcript::new(Box::new(sink.clone()), false, true);
    let Outcome { report, markdown } = execute(args, &mut input, say, Stop::never(), &Silent)
        .await
        .unwrap_or_else(|e| panic!("{e:#}"));
    Walked {
        report,
        stdout: sink.text(),
        markdown,
    }
}

/// The guide in a task of its own, answers pushed by the test as it goes.
fn spawn(args: Args) -> (Feeder, tokio::task::JoinHandle<Walked>) {
    let (tx, input) = Input::feed();
    (tx, tokio::spawn(walk_with(args, input)))
}

const GO: &str = "g";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_sided_silence_is_traced_to_its_cause() {
    let fx = Fixture::start("peer-no-route", 200.0).await;
    let w = walk(fx.guide_args(), &[GO; 8]).await;
    assert_eq!(
        w.steps(),
        [
            "Where phase 1 stands",
            "The two crypto configurations",
            "Watch a negotiation",
            "Can each router reach the other?",
            "The diagnosis and its fix",
        ],
        "{}",
        w.stdout
    );
    let f = w.code("PEER_SILENT");
    assert_eq!(f.cause.map(|c| c.as_str()), Some("no_route"), "{f:#?}");
    assert!(
        w.stdout.contains("Only one router logged anything"),
        "{}",
        w.stdout
    );
    assert!(
        w.stdout.contains("What it means: A route is missing"),
        "{}",
        w.stdout
    );
    // The silent router's evidence: the talker's retransmissions, cited and marked.
    assert!(w.stdout.contains("► "), "{}", w.stdout);
    assert!(w.stdout.contains("retransmitting phase 1"), "{}", w.stdout);
    // The exchange drawn from R1's side alone: R2's column was never seen.
    assert!(
        w.stdout.contains("The exchange, as the routers logged it:"),
        "{}",
        w.stdout
    );
    assert!(w.stdout.contains("not seen"), "{}", w.stdout);
    assert_eq!(w.report.exit_code, 2);
    assert_cleaned(&w.report);
    assert!(fx.debug_quiet());
    fx.lab.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phase_2_refusal_leads_to_the_transform_sets_and_their_fix() {
    let fx = Fixture::start("transform-mismatch", 200.0).await;
    let w = walk(fx.guide_args(), &[GO; 8]).await;
    let steps = w.steps();
    assert!(
        steps.contains(&"Compare the transform sets"),
        "{steps:?}\n{}",
        w.stdout
    );
    assert_eq!(steps.last(), Some(&"The diagnosis and its fix"));
    let f = w.code("P2_TRANSFORM_MISMATCH");
    assert!(!f.fix.is_empty(), "{f:#?}");
    assert!(w.stdout.contains("quick mode was refused"), "{}", w.stdout);
    assert!(
        w.stdout.contains("policy invalidated proposal"),
        "the refusal is quoted: {}",
        w.stdout
    );
    // Shown, not applied: no --allow-config.
    assert!(
        w.stdout.contains("On R2 (configure terminal):"),
        "{}",
        w.stdout
    );
    assert!(w.stdout.contains("--allow-config"), "{}", w.stdout);
    assert!(w.report.run.as_ref().unwrap().config.is_empty());
    assert_eq!(w.report.exit_code, 2);
    assert_cleaned(&w.report);
    fx.lab.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_healthy_tunnel_is_said_so_at_once_and_the_guide_stops() {
    // Traffic brought the tunnel up earlier (a triage run pings across it).
    let fx = Fixture::start("healthy", 20.0).await;
    ipsec_doctor::cli::triage::execute_quiet(fx.args(), std::future::pending())
        .await
        .unwrap();
    // Two answers only: a third question would meet the end of input and say "(quit)".
    let w = walk(fx.guide_args(), &[GO, GO]).await;
    assert_eq!(
        w.steps(),
        ["Where phase 1 stands", "Whether phase 2 carries traffic"],
        "{}",
        w.stdout
    );
    assert!(!w.stdout.contains("(quit)"), "{}", w.stdout);
    assert!(w.stdout.contains("QM_IDLE"), "{}", w.stdout);
    assert!(
        w.stdout
            .contains("The tunnel is up and carries traffic both ways"),
        "{}",
        w.stdout
    );
    w.code("TUNNEL_UP");
    assert_eq!(w.report.exit_code, 0);
    // Read-only all along: no debug, nothing to clean up.
    let run = w.report.run.as_ref().unwrap();
    assert!(
        run.steps.iter().all(|s| !s.command.starts_with("debug")),
        "{run:#?}"
    );
    assert!(run.cleanup.is_empty(), "{run:#?}");
    fx.lab.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fix_that_does_not_help_is_rolled_back_and_the_ticket_holds_no_secret() {
    let fx = Fixture::start("psk-mismatch", 200.0).await;
    let r1_before = fx.running("R1");
    let r2_before = fx.running("R2");
    let startup = fx.startup("R1");
    let ticket = fx.dir.path().join("ticket-4711.md");
    let args = Args {
        allow_config: true,
        transcript: Some(ticket.clone()),
        ..fx.guide_args()
    };
    // Steps 1-3 and the traffic, the keys compared; then the key twice, R1 only (R2 left as
    // it is, so the keys still differ), the re-test, and the rollback on R1.
    let answers = [
        GO,
        GO,
        GO,
        GO,
        GO,
        "Typed-Key-31",
        "Typed-Key-31",
        "R1",
        "no",
        GO,
        "R1",
    ];
    let w = walk(args, &answers).await;
    assert!(w.stdout.contains("R1: 1 line(s) applied"), "{}", w.stdout);
    assert!(w.stdout.contains("R2 left unchanged."), "{}", w.stdout);
    // An answer that is not the router's name is not repeated (it could be a key typed at the
    // wrong prompt).
    assert!(
        w.stdout
            .contains("on R2 (anything else leaves it unchanged): (something else)"),
        "{}",
        w.stdout
    );
    assert!(
        w.stdout
            .contains("After the change the tunnel is still down, with P1_PSK_MISMATCH"),
        "{}",
        w.stdout
    );
    assert!(w.stdout.contains("R1 rolled back"), "{}", w.stdout);
    // The previous lines are back; R2 was never touched; nothing was saved.
    assert_eq!(fx.running("R1"), r1_before);
    assert_eq!(fx.running("R2"), r2_before);
    assert_eq!(fx.startup("R1"), startup);
    let config = &w.report.run.as_ref().unwrap().config;
    assert_eq!(config.len(), 2, "{config:#?}");
    assert!(!config[0].rollback && config[1].rollback, "{config:#?}");
    assert_eq!(
        config[1].commands,
        ["crypto isakmp key ***** address 203.0.113.2"]
    );
    assert!(config.iter().all(|c| c.commands != ["write memory"]));
    assert_eq!(w.report.exit_code, 2);
    assert_cleaned(&w.report);
    assert!(fx.debug_quiet());
    // The ticket: the steps, the commands, the evidence lines, the diagnosis and the fix;
    // neither the typed key nor either router's key.
    let md = std::fs::read_to_string(&ticket).unwrap();
    assert_eq!(md, w.markdown);
    // Ladders are drawn at the steps that watched a negotiation (the first debug window and the
    // re-test); the report at the end does not draw one again.
    assert_eq!(md.matches("stopped after MM5").count(), 2, "{md}");
    let (_, report) = md
        .rsplit_once("\n---\n")
        .expect("the report closes the transcript");
    assert!(!report.contains("stopped after"), "{report}");
    for want in [
        "## Step 3: Watch a negotiation (debug)",
        "R1# ping 192.168.102.1 source GigabitEthernet1/0 repeat 5",
        "%CRYPTO-4-IKMP_BAD_MESSAGE: IKE message from 203.0.113.1",
        "retransmitting phase 1 MM_KEY_EXCH",
        "The exchange, as the routers logged it:",
        "stopped after MM5",
        "### `P1_PSK_MISMATCH` on R1",
        "crypto isakmp key <same key on both routers> address 203.0.113.1",
        "crypto isakmp key ***** address 203.0.113.2",
        "ipsec-doctor: R1-R2 is **down**",
    ] {
        assert!(md.contains(want), "ticket lacks {want:?}:\n{md}");
    }
    for secret in ["Typed-Key-31", "Vpn-Key-2026", "Vpn-Key-2025"] {
        assert!(!md.contains(secret), "{secret} in the ticket");
        assert!(!w.stdout.contains(secret), "{secret} on stdout");
    }
    assert!(!md.contains('\x1b'));
    fx.lab.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fix_that_works_is_kept_and_not_saved_unless_asked() {
    let fx = Fixture::start("dh-mismatch", 200.0).await;
    let startup = fx.startup("R2");
    let args = Args {
        allow_config: true,
        ..fx.guide_args()
    };
    // Steps 1-3 and the traffic, the policies compared; R2's fix typed for, the re-test, and
    // no to saving it.
    let w = walk(args, &[GO, GO, GO, GO, GO, "R2", GO, "n"]).await;
    let steps = w.steps();
    assert!(steps.contains(&"Compare the ISAKMP policies"), "{steps:?}");
    assert!(
        w.stdout.contains("After the change the tunnel comes up"),
        "{}",
        w.stdout
    );
    assert!(w.stdout.contains("R2 not saved"), "{}", w.stdout);
    assert!(
        fx.running("R2").iter().all(|l| l != " group 5"),
        "{:?}",
        fx.running("R2")
    );
    assert_eq!(fx.startup("R2"), startup, "saved without being asked");
    // The final verdict is the re-test's.
    w.code("TUNNEL_UP");
    assert_eq!(w.report.exit_code, 0);
    assert_cleaned(&w.report);
    assert!(fx.debug_quiet());
    fx.lab.stop().await;
}

/// Answers until the debugs are on and the guide asks before sending traffic.
async fn until_traffic_prompt(fx: &Fixture, tx: &Feeder) {
    for _ in 0..3 {
        tx.send(GO.into()).unwrap();
    }
    fx.until_debug_on("R1").await;
    fx.until_debug_on("R2").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quitting_while_debugs_are_on_switches_them_off() {
    let fx = Fixture::start("healthy", 200.0).await;
    let args = with_live(fx.guide_args(), |l| {
        l.debug_window = Some(std::time::Duration::from_secs(60))
    });
    let (tx, session) = spawn(args);
    until_traffic_prompt(&fx, &tx).await;
    tx.send("q".into()).unwrap();
    let w = session.await.unwrap();
    assert!(
        w.stdout.contains("Send the test traffic from R1 now"),
        "{}",
        w.stdout
    );
    let run = w.report.run.as_ref().unwrap();
    assert!(run.interrupted, "{run:#?}");
    assert_eq!(run.cleanup.len(), 2, "{run:#?}");
    assert_cleaned(&w.report);
    assert!(fx.debug_quiet(), "debug left on after quitting");
    assert!(
        w.stdout
            .contains("cleanup R1: debug off, confirmed by show debug"),
        "{}",
        w.stdout
    );
    fx.lab.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_lost_while_debugs_are_on_is_reopened_to_switch_them_off() {
    let fx = Fixture::start("healthy", 200.0).await;
    // A window long enough that the traffic question is still waiting when the link goes.
    let args = with_live(fx.guide_args(), |l| {
        l.debug_window = Some(std::time::Duration::from_secs(60))
    });
    let (tx, session) = spawn(args);
    until_traffic_prompt(&fx, &tx).await;
    fx.lab.router_state("R1").unwrap().cut_sessions();
    // The ping is sent on the session that is gone.
    tx.send(GO.into()).unwrap();
    drop(tx);
    let w = session.await.unwrap();
    assert!(w.stdout.contains("the session stops"), "{}", w.stdout);
    let run = w.report.run.as_ref().unwrap();
    let r1 = run.cleanup.iter().find(|c| c.router == "R1").unwrap();
    assert!(r1.reconnected, "{run:#?}");
    assert_cleaned(&w.report);
    assert!(fx.debug_quiet());
    fx.lab.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_at_a_prompt_with_debugs_on_switches_them_off() {
    let fx = Fixture::start("healthy", 200.0).await;
    let mut child = fx
        .guide(&["--debug-window", "60s"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"g\ng\ng\n").unwrap();
    stdin.flush().unwrap();
    fx.until_debug_on("R1").await;
    fx.until_debug_on("R2").await;
    let status = std::process::Command::new("kill")
        .args(["-s", "TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    // stdin stays open: the guide must not wait for an answer once told to stop.
    let out = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    drop(stdin);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.code().is_some(),
        "SIGTERM killed the process instead of stopping the session: {stderr}"
    );
    assert!(stderr.contains("SIGTERM"), "{stderr}");
    assert!(
        stdout.contains("cleanup R1: debug off, confirmed by show debug")
            && stdout.contains("cleanup R2: debug off, confirmed by show debug"),
        "{stdout}\n{stderr}"
    );
    assert!(fx.debug_quiet(), "debug left on after SIGTERM");
    fx.lab.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_reads_answers_from_a_pipe_and_writes_the_ticket() {
    let fx = Fixture::start("peer-no-route", 200.0).await;
    let ticket = fx.dir.path().join("ticket.md");
    let mut child = fx
        .guide(&[
            "--debug-window",
            "3s",
            "--transcript",
            ticket.to_str().unwrap(),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Answer each question as it comes, as a script reading the prompts would.
    let mut stdin = child.stdin.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut seen = String::new();
        let mut r = BufReader::new(stdout);
        let mut buf = Vec::new();
        // Prompts end without a newline: read up to the space after `]`.
        while r.read_until(b']', &mut buf).unwrap_or(0) > 0 {
            let text = String::from_utf8_lossy(&buf).into_owned();
            buf.clear();
            seen.push_str(&text);
            if text.ends_with("[g/s/q]") || text.ends_with("[g/s/r/o/q]") {
                let _ = stdin.write_all(b"g\n");
                let _ = stdin.flush();
            }
        }
        seen
    });
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    let seen = reader.join().unwrap();
    assert_eq!(status.code(), Some(2), "{seen}");
    assert!(
        seen.contains("PEER_SILENT on R2 (cause: no_route)"),
        "{seen}"
    );
    let md = std::fs::read_to_string(&ticket).unwrap();
    assert!(md.starts_with("# ipsec-doctor guide: R1-R2"), "{md}");
    assert!(
        md.contains("## Step 4: Can each router reach the other? (read)"),
        "{md}"
    );
    assert!(md.contains("> Go on? [g/s/r/o/q] `g`"), "{md}");
    assert!(!md.contains("labpass") && !md.contains("labenable"), "{md}");
    fx.lab.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_tree_is_refused_before_any_router_is_contacted() {
    let fx = Fixture::start("healthy", 200.0).await;
    let pb = fx.playbook(
        "name: t\nsteps:\n  - id: a\n    kind: show\n    peer: both\n    safety: read\n    command: show udp\n    explain: x\n    next:\n      - goto: b\n  - id: b\n    kind: show\n    peer: both\n    safety: read\n    command: show udp\n    explain: x\n    next:\n      - goto: a\n",
    );
    let out = fx
        .guide(&["--playbook", pb.to_str().unwrap()])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("playbook.yaml:11: step `b`: going to `a` makes a loop"),
        "{stderr}"
    );
    // Nothing was said on stdout: the session never began.
    assert!(out.stdout.is_empty());
    fx.lab.stop().await;
}

/// The guide in a pseudo-terminal driven by `tests/support/guide_pty.py`: what the screen
/// showed and how the terminal was left.
async fn in_a_terminal(fx: &Fixture, mode: &str, key: &str, extra: &[&str]) -> serde_json::Value {
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/guide_pty.py");
    let guide = fx.guide(extra);
    let mut c = tokio::process::Command::new(crate::util::python());
    c.arg(script)
        .args([mode, key, "--"])
        .arg(guide.get_program());
    c.args(guide.get_args());
    for (k, v) in guide.get_envs() {
        match v {
            Some(v) => c.env(k, v),
            None => c.env_remove(k),
        };
    }
    let out = c.output().await.expect("python runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{e}: {stdout}\n{}", String::from_utf8_lossy(&out.stderr)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_a_terminal_the_key_is_typed_without_echo_and_never_shown() {
    let fx = Fixture::start("psk-mismatch", 200.0).await;
    let args = [
        "--allow-config",
        "--debug-window",
        "3s",
        "--idle-cutoff",
        "400ms",
    ];
    let t = in_a_terminal(&fx, "fix", "Pty-Key-58", &args).await;
    let screen = t["screen"].as_str().unwrap();
    assert_eq!(t["status"], 0, "{screen}");
    assert_eq!(t["keys_typed"], 2, "{screen}");
    assert_eq!(
        t["echo_at_prompt"], false,
        "the key prompt echoed: {screen}"
    );
    assert_eq!(t["echo_after"], true, "{screen}");
    assert!(!screen.contains("Pty-Key-58"), "{screen}");
    assert!(
        screen.contains("After the change the tunnel comes up"),
        "{screen}"
    );
    // Both routers hold the typed key now (and only in their running-config).
    for (r, peer) in [("R1", "203.0.113.2"), ("R2", "203.0.113.1")] {
        let line = format!("crypto isakmp key Pty-Key-58 address {peer}");
        assert!(fx.running(r).contains(&line), "{r}: {:?}", fx.running(r));
        assert!(!fx.startup(r).contains(&line), "{r} saved unasked");
    }
    fx.lab.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_at_the_key_prompt_leaves_the_terminal_echoing_and_the_routers_as_found() {
    let fx = Fixture::start("psk-mismatch", 200.0).await;
    let r1 = fx.running("R1");
    let args = [
        "--allow-config",
        "--debug-window",
        "3s",
        "--idle-cutoff",
        "400ms",
    ];
    let t = in_a_terminal(&fx, "sigterm", "unused", &args).await;
    let screen = t["screen"].as_str().unwrap();
    assert!(t["status"].is_number(), "killed instead of stopping: {t:#}");
    assert_eq!(t["echo_at_prompt"], false, "{screen}");
    assert_eq!(t["echo_after"], true, "echo left off: {screen}");
    assert!(
        screen.contains("cleanup R1: debug off, confirmed by show debug"),
        "{screen}"
    );
    assert!(screen.contains("interrupted"), "{screen}");
    assert_eq!(fx.running("R1"), r1);
    assert!(fx.debug_quiet());
    fx.lab.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn debugs_found_on_are_said_and_left_as_found() {
    use ipsec_doctor::lab::router::DebugKind;
    let fx = Fixture::start("healthy", 200.0).await;
    let r2 = fx.lab.router_state("R2").unwrap().clone();
    r2.debug.set(DebugKind::CryptoIsakmp, true);
    let w = walk(fx.guide_args(), &[GO; 6]).await;
    assert!(
        w.stdout
            .contains("R2 has crypto debugs on that this session did not switch on"),
        "{}",
        w.stdout
    );
    // The watch went on with R1's debugs alone; R2's stay as they were found.
    assert!(w.steps().contains(&"Watch a negotiation"), "{}", w.stdout);
    assert!(r2.debug.get().crypto_isakmp, "R2's debug was switched off");
    assert!(
        !r2.debug.get().crypto_ipsec,
        "a debug was switched on on R2"
    );
    let run = w.report.run.as_ref().unwrap();
    assert_eq!(
        run.cleanup
            .iter()
            .map(|c| c.router.as_str())
            .collect::<Vec<_>>(),
        ["R1"],
        "{run:#?}"
    );
    assert_cleaned(&w.report);
    assert!(!fx.lab.router_state("R1").unwrap().debug.get().crypto_isakmp);
    fx.lab.stop().await;
}

/// Every shipped scenario walked with `g` at each prompt: the tree reaches the scenario's
/// finding (and its cause), stops at the diagnosis, and leaves no debug on.
async fn scenario(name: &str) {
    use ipsec_doctor::lab::scenario::Scenario;
    let s = Scenario::embedded(name).unwrap();
    let expect = s.expect.clone().expect("scenario names its finding");
    let fx = Fixture::start(name, 200.0).await;
    let w = walk(fx.guide_args(), &[GO; 12]).await;
    let f = w.code(&expect);
    assert!(!f.evidence.is_empty(), "{name}: no evidence");
    if let Some(cause) = &s.expect_cause {
        assert_eq!(f.cause.map(|c| c.as_str()), Some(cause.as_str()), "{name}");
    }
    let steps = w.steps();
    assert_eq!(
        steps[..3],
        [
            "Where phase 1 stands",
            "The two crypto configurations",
            "Watch a negotiation"
        ],
        "{name}"
    );
    if expect == "TUNNEL_UP" {
        assert_eq!(steps.last(), Some(&"What the test traffic did"), "{name}");
    } else {
        assert_eq!(
            steps.last(),
            Some(&"The diagnosis and its fix"),
            "{name}: {steps:?}"
        );
    }
    assert!(
        !w.stdout.contains("(quit)"),
        "{name}: ran out of answers:\n{}",
        w.stdout
    );
    assert_cleaned(&w.report);
    assert!(fx.debug_quiet(), "{name}");
    fx.lab.stop().await;
}

mod every_scenario {
    crate::util::every_scenario!(super::scenario, "guide");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unanswered_traffic_question_does_not_keep_debugs_on() {
    let fx = Fixture::start("healthy", 200.0).await;
    let args = with_live(fx.guide_args(), |l| {
        l.debug_window = Some(std::time::Duration::from_secs(1))
    });
    let (tx, session) = spawn(args);
    until_traffic_prompt(&fx, &tx).await;
    // Nobody answers (the input stays open, so this is no quit): the debugs go off at the end
    // of their window all the same.
    let off = async {
        while !fx.debug_quiet() {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(60), off)
        .await
        .expect("the debugs went off without an answer");
    // With no traffic sent there is nothing to diagnose; the walk goes on to its end.
    drop(tx);
    let w = session.await.unwrap();
    assert!(
        w.stdout
            .contains("No answer within the 1 s debug window: switching the debugs off."),
        "{}",
        w.stdout
    );
    assert!(
        w.stdout
            .contains("Debugs switched off; show debug confirms it."),
        "{}",
        w.stdout
    );
    assert_cleaned(&w.report);
    fx.lab.stop().await;
}

/// On IKEv2 routers the guide's debug step switches on `debug crypto ikev2` (never the ISAKMP
/// debug), the ping starts an IKEv2 negotiation whose lines the guide points at, and the debugs
/// go off and are confirmed off.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ikev2_tunnel_is_watched_with_the_ikev2_debug() {
    let fx = Fixture::start("ikev2-psk-mismatch", 200.0).await;
    let w = walk(fx.guide_args(), &[GO; 12]).await;
    let steps = w.steps();
    assert_eq!(
        steps[..3],
        [
            "Where phase 1 stands",
            "The two crypto configurations",
            "Watch a negotiation"
        ],
        "{steps:?}"
    );
    let run = w.report.run.as_ref().unwrap();
    for router in ["R1", "R2"] {
        let watch: Vec<&str> = run
            .steps
            .iter()
            .filter(|s| s.step == "watch" && s.router == router)
            .map(|s| s.command.as_str())
            .collect();
        assert!(watch.contains(&"debug crypto ikev2"), "{router}: {watch:?}");
        assert!(watch.contains(&"debug crypto ipsec"), "{router}: {watch:?}");
        assert!(
            !watch.iter().any(|c| c.contains("isakmp")),
            "{router}: {watch:?}"
        );
    }
    // The plan shown before the step names the IKEv2 debug, and the negotiation's refusal is
    // pointed at.
    assert!(w.stdout.contains("debug crypto ikev2"), "{}", w.stdout);
    assert!(
        w.stdout.contains("NOTIFY(AUTHENTICATION_FAILED)"),
        "{}",
        w.stdout
    );
    assert_cleaned(&w.report);
    assert!(fx.debug_quiet());
    fx.lab.stop().await;
}
