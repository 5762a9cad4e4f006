//! Issue 9 item 8, `triage` over many tunnels against a hub lab and a fleet of separate
//! pairs in one inventory, over real SSH: the hub's tunnels take turns (its debug state
//! history shows one window at a time, each scoped to its own spoke) while the pairs are
//! debugged meanwhile (their windows open inside the hub's, in the order of events), reports
//! stream as tunnels finish (JSON lines), the text report ends with a summary table, and an
//! interrupted run cleans up what it started and reports the rest as not checked.

use crate::util::bin;
use crate::util::fixture::{args, window, with_live};
use ipsec_doctor::cli::triage::{Args, execute_streaming};
use ipsec_doctor::lab::LabOptions;
use ipsec_doctor::lab::fleet::{Fleet, FleetHandle};
use ipsec_doctor::lab::hub::{HUB_ROUTER, HubHandle, HubLab};
use ipsec_doctor::lab::router::{DebugRecord, Router};
use ipsec_doctor::lab::scenario::Scenario;
use ipsec_doctor::report::{self, Format, Report};
use ipsec_doctor::run::progress::Silent;
use serde_json::Value;
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Every debug window lasts this long (the idle cut-off too), so that windows of tunnels
/// started together overlap whatever their connection and show steps cost.
const WINDOW: &str = "2s";

/// A hub with `spokes` spokes and a fleet of `pairs` separate psk-mismatch pairs, in one
/// inventory: the hub's tunnels share the hub, the pairs share nothing.
struct Mixed {
    hub: HubHandle,
    fleet: FleetHandle,
    dir: tempfile::TempDir,
}

impl Mixed {
    async fn start(spokes: usize, pairs: usize) -> Mixed {
        let options = || LabOptions {
            speed: 50.0,
            ..LabOptions::default()
        };
        let hub = HubLab::start(spokes, options(), std::future::pending())
            .await
            .expect("hub lab starts");
        let template = Scenario::embedded("psk-mismatch").unwrap();
        let fleet = Fleet::start(&[template], pairs, options(), std::future::pending())
            .await
            .expect("fleet starts");
        let dir = tempfile::tempdir().unwrap();
        let mut inventory: Value =
            ipsec_doctor::yaml::from_str("hub", &hub.inventory_yaml().unwrap()).unwrap();
        let more: Value =
            ipsec_doctor::yaml::from_str("fleet", &fleet.lab().inventory_yaml().unwrap()).unwrap();
        for (name, host) in more["hosts"].as_object().unwrap() {
            inventory["hosts"][name] = host.clone();
        }
        let tunnels = inventory["tunnels"].as_array_mut().unwrap();
        tunnels.extend(more["tunnels"].as_array().unwrap().iter().cloned());
        std::fs::write(
            dir.path().join("inventory.yaml"),
            ipsec_doctor::yaml::to_string(&inventory).unwrap(),
        )
        .unwrap();
        std::fs::write(
            dir.path().join("known_hosts"),
            hub.lab().known_hosts() + &fleet.lab().known_hosts(),
        )
        .unwrap();
        Mixed { hub, fleet, dir }
    }

    fn inventory(&self) -> PathBuf {
        self.dir.path().join("inventory.yaml")
    }

    fn args(&self) -> Args {
        let base = with_live(args(), |l| {
            l.known_hosts = Some(self.dir.path().join("known_hosts"));
            l.debug_window = Some(Duration::from_secs(2));
            l.idle_cutoff = Duration::from_secs(2);
        });
        Args {
            inventory: Some(self.inventory()),
            concurrency: 3,
            ..base
        }
    }

    fn hub_router(&self) -> &Arc<Router> {
        self.hub.lab().router_state(HUB_ROUTER).expect("hub")
    }

    fn router(&self, name: &str) -> &Arc<Router> {
        self.hub
            .lab()
            .router_state(name)
            .or_else(|| self.fleet.lab().router_state(name))
            .expect("router")
    }

    fn routers(&self) -> Vec<&Arc<Router>> {
        let hub = self.hub.lab().routers().iter().map(|r| r.name.as_str());
        let fleet = self.fleet.lab().routers().iter().map(|r| r.name.as_str());
        hub.chain(fleet).map(|n| self.router(n)).collect()
    }

    fn tunnels(&self) -> Vec<String> {
        let hub = self.hub.spokes().iter().map(|s| s.tunnel.clone());
        hub.chain(self.fleet.tunnels().iter().map(|t| t.name.clone()))
            .collect()
    }

    fn all_quiet(&self) -> bool {
        self.routers().iter().all(|r| r.debug.get().is_quiet())
    }

    /// The binary, `triage -i` over the whole inventory, 3 tunnels at a time, each debug
    /// window `window` long.
    fn triage(&self, format: &str, window: &str) -> std::process::Command {
        let mut c = bin();
        c.arg("triage")
            .arg("-i")
            .arg(self.inventory())
            .arg("--known-hosts")
            .arg(self.dir.path().join("known_hosts"))
            .args(["--format", format, "--color", "never", "--concurrency", "3"])
            .args(["--debug-window", window, "--idle-cutoff", window])
            .env("XDG_RUNTIME_DIR", self.dir.path())
            .env_remove("RUST_LOG");
        c
    }

    /// Waits (up to a minute) until the hub and the first pair's first router both have
    /// crypto debugging on: a hub tunnel and a pair are inside their windows together.
    async fn until_both_debugging(&self) {
        let hub = self.hub_router().clone();
        let pair = self.router(&self.fleet.tunnels()[0].routers[0]).clone();
        let wait = async {
            while !(hub.debug.get().crypto_isakmp && pair.debug.get().crypto_isakmp) {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        };
        tokio::time::timeout(Duration::from_secs(60), wait)
            .await
            .expect("a hub tunnel and a pair debugged together");
    }

    async fn stop(self) {
        self.hub.stop().await;
        self.fleet.stop().await;
    }
}

/// A debug window on one router, as its history shows it: from the change that switched
/// something on to the change that left it quiet again (None: still open), with the peer
/// conditions it held.
#[derive(Debug)]
struct Window {
    on: u64,
    off: Option<u64>,
    peers: BTreeSet<Ipv4Addr>,
    most_conditions: usize,
}

impl Window {
    fn overlaps(&self, other: &Window) -> bool {
        self.on < other.off.unwrap_or(u64::MAX) && other.on < self.off.unwrap_or(u64::MAX)
    }
}

fn windows(history: &[DebugRecord]) -> Vec<Window> {
    let mut out: Vec<Window> = Vec::new();
    let mut open = false;
    for r in history {
        if !open && !r.state.is_quiet() {
            out.push(Window {
                on: r.order,
                off: None,
                peers: BTreeSet::new(),
                most_conditions: 0,
            });
            open = true;
        }
        if let Some(w) = out.last_mut().filter(|_| open) {
            w.peers.extend(r.state.peer_conditions.iter().copied());
            w.most_conditions = w.most_conditions.max(r.state.peer_conditions.len());
            if r.state.is_quiet() {
                w.off = Some(r.order);
                open = false;
            }
        }
    }
    out
}

/// The hub took one tunnel at a time: one window per spoke, each scoped to that spoke alone
/// and closed before the next opened; and every pair had its window while one of the hub's
/// was open.
fn assert_hub_took_turns_while_pairs_went_on(lab: &Mixed) {
    let hub = windows(&lab.hub_router().debug.history());
    let spokes: BTreeSet<Ipv4Addr> = lab.hub.spokes().iter().map(|s| s.outside).collect();
    assert_eq!(
        hub.len(),
        spokes.len(),
        "one window per hub tunnel: {hub:#?}"
    );
    for w in &hub {
        assert_eq!(w.most_conditions, 1, "one spoke at a time: {w:?}");
        assert_eq!(w.peers.len(), 1, "{w:?}");
    }
    assert!(
        hub.windows(2)
            .all(|p| p[0].off.is_some_and(|off| off < p[1].on)),
        "the hub's windows never overlap: {hub:#?}"
    );
    let scoped: BTreeSet<Ipv4Addr> = hub.iter().flat_map(|w| w.peers.iter().copied()).collect();
    assert_eq!(scoped, spokes, "each spoke had its window");
    for t in lab.fleet.tunnels() {
        for r in &t.routers {
            let theirs = windows(&lab.router(r).debug.history());
            assert_eq!(theirs.len(), 1, "{r}: {theirs:#?}");
            assert!(
                theirs[0].overlaps(&hub[0]),
                "{r} was debugged while the hub's first tunnel was (concurrency): {theirs:?} vs {hub:?}"
            );
        }
    }
}

fn assert_cleaned(r: &Report) {
    let run = r.run.as_ref().expect("live runs carry their log");
    for c in &run.cleanup {
        assert!(c.debug_off_confirmed, "{}: {c:#?}", r.subject);
    }
    assert!(
        !r.warnings
            .iter()
            .any(|w| w.contains("DEBUG MAY STILL BE ON")),
        "{}: {:?}",
        r.subject,
        r.warnings
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hubs_tunnels_take_turns_while_other_tunnels_run_and_reports_stream() {
    let lab = Mixed::start(2, 2).await;
    let hub = lab.hub_router().clone();
    // For each report as it arrives: its tunnel, and how many of the hub's windows had closed.
    let arrived = Mutex::new(Vec::new());
    let reports = execute_streaming(lab.args(), std::future::pending(), &Silent, &mut |r| {
        let closed = windows(&hub.debug.history())
            .iter()
            .filter(|w| w.off.is_some())
            .count();
        arrived.lock().unwrap().push((r.subject.clone(), closed));
    })
    .await
    .unwrap();
    let names: Vec<&str> = reports.iter().map(|r| r.subject.as_str()).collect();
    assert_eq!(
        names,
        lab.tunnels(),
        "every tunnel once, in inventory order"
    );
    for r in &reports {
        assert!(!r.run.as_ref().unwrap().interrupted, "{}", r.subject);
        assert!(r.reason.is_none(), "{}: {:?}", r.subject, r.reason);
        assert_cleaned(r);
    }
    for r in reports.iter().filter(|r| r.subject.starts_with('t')) {
        assert!(
            r.diagnosis
                .findings
                .iter()
                .any(|f| f.code.as_str() == "P1_PSK_MISMATCH"),
            "{}: {:#?}",
            r.subject,
            r.diagnosis.findings
        );
    }
    let arrived = arrived.into_inner().unwrap();
    assert_eq!(arrived.len(), reports.len());
    assert!(
        arrived[0].1 < lab.hub.spokes().len(),
        "the first report came while the hub still had tunnels to go: {arrived:?}"
    );
    assert_hub_took_turns_while_pairs_went_on(&lab);
    assert!(lab.all_quiet());
    lab.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_lines_stream_one_object_per_tunnel_as_each_finishes() {
    let lab = Mixed::start(2, 1).await;
    let hub = lab.hub_router().clone();
    let mut child = lab
        .triage("json", WINDOW)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let spokes = lab.hub.spokes().len();
    // Each line as it arrives, with how many of the hub's windows had closed by then.
    let read = tokio::task::spawn_blocking(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .map(|l| {
                let closed = windows(&hub.debug.history())
                    .iter()
                    .filter(|w| w.off.is_some())
                    .count();
                (l, closed)
            })
            .collect::<Vec<_>>()
    });
    let out = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    let lines = read.await.unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    // The hub's second tunnel waited for the first without a slot, not on the per-router
    // lock (which would have said so, naming this very process).
    assert!(!stderr.contains("waiting for the run"), "{stderr}");
    assert!(
        lines[0].1 < spokes,
        "the first line was written while the hub still had tunnels to go: {:?}",
        lines.iter().map(|l| l.1).collect::<Vec<_>>()
    );
    let mut seen = Vec::new();
    for (line, _) in &lines {
        let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert_eq!(v["mode"], "triage");
        for c in v["run"]["cleanup"].as_array().unwrap() {
            assert_eq!(c["debug_off_confirmed"], true, "{v:#}");
        }
        seen.push(v["subject"].as_str().unwrap().to_string());
    }
    seen.sort();
    assert_eq!(seen, lab.tunnels(), "one line per tunnel");
    assert_hub_took_turns_while_pairs_went_on(&lab);
    assert!(lab.all_quiet());
    lab.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_text_report_ends_with_a_summary_table() {
    let lab = Mixed::start(1, 1).await;
    let out = tokio::task::spawn_blocking({
        let mut c = lab.triage("text", WINDOW);
        move || c.output()
    })
    .await
    .unwrap()
    .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert_eq!(
        text.matches("ipsec-doctor hub-spoke0001:").count(),
        1,
        "{text}"
    );
    assert_eq!(text.matches("ipsec-doctor t0001:").count(), 1, "{text}");
    let table: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("TUNNEL "))
        .collect();
    assert!(!table.is_empty(), "no summary table: {text}");
    assert!(table[0].contains("VERDICT") && table[0].ends_with("EXIT"));
    let row = |name: &str| {
        table
            .iter()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("no row for {name}: {text}"))
    };
    assert!(
        row("t0001 ").contains("DOWN") && row("t0001 ").contains("P1_PSK_MISMATCH on t0001-r1"),
        "{text}"
    );
    assert!(row("t0001 ").ends_with(" 2"), "{text}");
    assert!(row("hub-spoke0001 ").contains("hub-spoke0001"), "{text}");
    assert!(table.last().unwrap().starts_with("2 tunnels: "), "{text}");
    assert!(lab.all_quiet());
    lab.stop().await;
}

/// SIGTERM while a hub tunnel and the pairs are in their debug windows: the running ones
/// clean up, the hub's other tunnels never start and are reported UNKNOWN, not checked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_cleans_up_the_running_tunnels_and_reports_the_others_unchecked() {
    let lab = Mixed::start(3, 2).await;
    let mut child = lab
        .triage("json", "60s")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    lab.until_both_debugging().await;
    let pid = child.id().to_string();
    let killed = std::process::Command::new("kill")
        .args(["-s", "TERM", &pid])
        .status()
        .unwrap();
    assert!(killed.success());
    let stdout = child.stdout.take().unwrap();
    let out = tokio::task::spawn_blocking(move || {
        let lines: Vec<String> = BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .collect();
        (lines, child.wait_with_output())
    })
    .await
    .unwrap();
    let (lines, status) = (out.0, out.1.unwrap());
    let stderr = String::from_utf8_lossy(&status.stderr);
    assert_eq!(status.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("SIGTERM"), "{stderr}");
    let objects: Vec<Value> = lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let mut names: Vec<&str> = objects
        .iter()
        .map(|v| v["subject"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, lab.tunnels(), "every tunnel once");
    let (started, unchecked): (Vec<&Value>, Vec<&Value>) =
        objects.iter().partition(|v| v.get("run").is_some());
    // The first spoke and both pairs were running; the hub's two other tunnels waited.
    assert_eq!(started.len(), 3, "{lines:#?}");
    for v in &started {
        assert_eq!(v["run"]["interrupted"], true, "{v:#}");
        for c in v["run"]["cleanup"].as_array().unwrap() {
            assert_eq!(c["debug_off_confirmed"], true, "{v:#}");
        }
    }
    let waited: Vec<&str> = unchecked
        .iter()
        .map(|v| v["subject"].as_str().unwrap())
        .collect();
    assert_eq!(waited, ["hub-spoke0002", "hub-spoke0003"]);
    for v in &unchecked {
        assert_eq!(v["verdict"], "unknown");
        assert_eq!(v["exit_code"], 3);
        assert_eq!(v["reason"], "not checked: interrupted");
    }
    assert_eq!(windows(&lab.hub_router().debug.history()).len(), 1);
    assert!(lab.all_quiet(), "debug left on after SIGTERM");
    lab.stop().await;
}

/// The same stop in process, rendered in every format: each tunnel that did not start is
/// UNKNOWN, not checked, in each of them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_run_over_a_hub_reports_the_unstarted_tunnels_in_every_format() {
    let lab = Mixed::start(3, 1).await;
    let stop = lab.until_both_debugging();
    let a = window(lab.args(), Duration::from_secs(60), Duration::from_secs(60));
    let mut streamed = Vec::new();
    let reports = execute_streaming(a, stop, &Silent, &mut |r| {
        streamed.push(report::json::line(r))
    })
    .await
    .unwrap();
    assert_eq!(streamed.len(), 4);
    let unchecked = ["hub-spoke0002", "hub-spoke0003"];
    for r in &reports {
        if unchecked.contains(&r.subject.as_str()) {
            assert_eq!(r.exit_code, 3);
            assert_eq!(r.reason.as_deref(), Some("not checked: interrupted"));
        } else {
            assert!(r.run.as_ref().unwrap().interrupted, "{}", r.subject);
            assert_cleaned(r);
        }
    }
    let last_two: Vec<Value> = streamed[2..]
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    for (v, name) in last_two.iter().zip(unchecked) {
        assert_eq!(v["subject"], name, "the unstarted ones come after the rest");
        assert_eq!(v["reason"], "not checked: interrupted");
    }
    for format in [Format::Text, Format::Markdown, Format::Html] {
        let out = report::render(format, &reports, false);
        assert_eq!(
            out.matches("not checked: interrupted").count(),
            2,
            "{format:?}: {out}"
        );
    }
    let prom = report::render(Format::Prometheus, &reports, false);
    for t in unchecked {
        assert!(
            prom.contains(&format!("ipsec_doctor_status{{tunnel=\"{t}\"}} 3")),
            "{prom}"
        );
    }
    let table = report::summary::render(&reports, false);
    assert_eq!(
        table.matches("not checked: interrupted").count(),
        2,
        "{table}"
    );
    assert!(lab.all_quiet());
    lab.stop().await;
}
