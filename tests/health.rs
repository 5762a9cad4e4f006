//! `health` over real SSH against the hub-and-spoke lab: every state with its reason and
//! findings, one login per router per cycle, one-sided series, UNKNOWN with its reason, the
//! Nagios, JSON and Prometheus outputs (parsed by Python's prometheus_client), `--serve`
//! scraped over HTTP, `--every` on its grid until SIGTERM, shards, and triage on failure.

use ipsec_doctor::lab::LabOptions;
use ipsec_doctor::lab::hub::{GONE_SPOKE, HUB_ROUTER, HubHandle, HubLab, SpokeKind};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};

/// Lab seconds per real second: IKE retransmissions and users' traffic ten times faster.
const SPEED: f64 = 10.0;
/// Longest a lab condition may take to appear before the test gives up (a hang guard: a
/// slow lab waits up to one retransmission cycle for a fresh attempt toward the gone spoke).
const SETTLE: Duration = Duration::from_secs(60);

/// A hub lab the test keeps, with its inventory and known_hosts in a temp dir.
struct Hub {
    hub: HubHandle,
    dir: tempfile::TempDir,
}

impl Hub {
    async fn start(spokes: usize) -> Hub {
        Hub::start_at(spokes, SPEED).await
    }

    /// A hub lab whose clock runs `speed` lab seconds per real second.
    async fn start_at(spokes: usize, speed: f64) -> Hub {
        let options = LabOptions {
            speed,
            ..LabOptions::default()
        };
        let hub = HubLab::start(spokes, options, std::future::pending())
            .await
            .expect("hub lab starts");
        let dir = tempfile::tempdir().unwrap();
        hub.write_inventory(&dir.path().join("inventory.yaml"))
            .unwrap();
        hub.lab()
            .write_known_hosts(&dir.path().join("known_hosts"))
            .unwrap();
        Hub { hub, dir }
    }

    fn inventory(&self) -> PathBuf {
        self.dir.path().join("inventory.yaml")
    }

    /// Waits until users' traffic has done its work: SAs up on every tunnel that carries
    /// traffic and negotiates, and a fresh attempt toward the removed spoke (a phase 1 row
    /// younger than its retransmissions take, so it is still listed while health reads it).
    async fn settled(&self) {
        let net = self.hub.net().clone();
        let wanted: Vec<std::net::Ipv4Addr> = self
            .hub
            .spokes()
            .iter()
            .filter(|s| matches!(s.kind, SpokeKind::Healthy | SpokeKind::OneWay))
            .map(|s| s.outside)
            .collect();
        let deadline = tokio::time::Instant::now() + SETTLE;
        loop {
            let ready = {
                let now = net.clock.now().unix_ms;
                let s = net.lock();
                let sas = wanted
                    .iter()
                    .all(|p| s.p2.iter().any(|x| x.owner == 0 && x.peer == *p));
                let gone = s.p1.iter().any(|x| {
                    x.owner == 0 && x.peer == GONE_SPOKE && now - x.since.unix_ms < 15_000
                });
                sas && gone
            };
            if ready {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the hub lab did not settle in {SETTLE:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// When the hub's live attempt toward the removed spoke began (lab ms), if it has one:
    /// the row `show crypto isakmp sa` lists as stuck, not yet deleted by retransmission.
    fn gone_attempt(&self) -> Option<u64> {
        let s = self.hub.net().lock();
        s.p1.iter()
            .find(|x| x.owner == 0 && x.peer == GONE_SPOKE && !x.deleted)
            .map(|x| x.since.unix_ms)
    }

    /// `ipsec-doctor health` on this lab, counters sampled 1 s apart.
    fn health(&self) -> tokio::process::Command {
        self.health_sampling("1s")
    }

    fn health_sampling(&self, interval: &str) -> tokio::process::Command {
        let mut c = tokio::process::Command::new(env!("CARGO_BIN_EXE_ipsec-doctor"));
        c.arg("health")
            .arg("-i")
            .arg(self.inventory())
            .arg("--known-hosts")
            .arg(self.dir.path().join("known_hosts"))
            .args(["--sample-interval", interval])
            .stdin(Stdio::null());
        c
    }

    fn logins(&self, router: &str) -> u64 {
        self.hub
            .lab()
            .router_state(router)
            .expect("router")
            .logins()
    }

    async fn stop(self) {
        tokio::time::timeout(Duration::from_secs(5), self.hub.stop())
            .await
            .expect("lab stops");
    }
}

struct Ran {
    code: i32,
    stdout: String,
    stderr: String,
}

async fn run(mut c: tokio::process::Command) -> Ran {
    let out = tokio::time::timeout(Duration::from_secs(60), c.output())
        .await
        .expect("health finishes")
        .expect("health runs");
    Ran {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// JSON lines by tunnel name.
fn tunnels(stdout: &str) -> BTreeMap<String, Value> {
    stdout
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .map(|v| (v["tunnel"].as_str().unwrap_or_default().to_string(), v))
        .collect()
}

fn codes(t: &Value) -> BTreeSet<String> {
    t["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["code"].as_str().map(String::from))
        .collect()
}

/// Parses exposition with the reference parser: `kind` is `text` or `openmetrics`, `source`
/// a file or an http:// URL. Returns its families.
async fn reference_parse(kind: &str, source: &str) -> Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/prom_parse.py");
    let out = tokio::process::Command::new(crate::util::python())
        .arg(script)
        .args([kind, source])
        .output()
        .await
        .expect("python runs");
    assert!(
        out.status.success(),
        "prometheus_client refused the {kind} exposition: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("parser output is JSON")
}

/// The value of `family`'s sample whose labels include all of `labels`.
fn sample(parsed: &Value, family: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    parsed["families"][family]["samples"]
        .as_array()?
        .iter()
        .find(|s| s[0] == name && labels.iter().all(|(k, v)| s[1][*k].as_str() == Some(*v)))
        .and_then(|s| s[2].as_f64())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_spoke_gets_its_state_and_why_with_one_login_per_router() {
    // The hub's attempt toward the gone spoke dies by retransmission after about 60 lab s
    // and the next starts a few lab s later; read in between, the hub lists only a deleted
    // row. At 2x, the fresh attempt `settled` waits for lives over 20 real seconds, and the
    // check after the run proves health read it alive. The one-way spoke's echoes wait out
    // their 2 s timeout, so counters are sampled 4 s (8 lab s) apart to see them move.
    let lab = Hub::start_at(10, 2.0).await;
    lab.settled().await;
    let attempt = lab.gone_attempt();
    assert!(attempt.is_some(), "settled waits for an attempt");
    let ran = run({
        let mut c = lab.health_sampling("4s");
        c.args(["--format", "json"]);
        c
    })
    .await;
    assert_eq!(
        lab.gone_attempt(),
        attempt,
        "the hub's attempt toward the gone spoke ended while health ran: what health read \
         of it is not the stuck attempt the assertions below are about"
    );
    assert_eq!(ran.code, 2, "a DOWN tunnel is CRITICAL: {}", ran.stderr);
    let t = tunnels(&ran.stdout);
    for s in lab.hub.spokes() {
        let got = &t[&s.tunnel];
        let state = got["state"].as_str().unwrap();
        let want = match s.kind {
            SpokeKind::Healthy => "UP",
            SpokeKind::Idle | SpokeKind::IdleAlwaysOn => "IDLE",
            SpokeKind::OneWay => "DEGRADED",
            _ => "DOWN",
        };
        assert_eq!(state, want, "{}: {got:#}", s.tunnel);
        if s.kind.expect() != "-" {
            assert!(
                codes(got).contains(s.kind.expect()),
                "{}: no {} in {got:#}",
                s.tunnel,
                s.kind.expect()
            );
        }
        assert!(got["timestamp"].as_str().unwrap().ends_with('Z'));
        assert!(!got["reasons"].as_array().unwrap().is_empty());
    }
    // The always-on idle tunnel is the alarm; the other idle one would not be.
    assert_eq!(t["hub-spoke0003"]["status"], 2);
    assert_eq!(t["hub-spoke0001"]["status"], 0);
    // The one-way spoke: the spoke encrypts, never decrypts, and its counters say so.
    let one_way = &t["hub-spoke0007"];
    let f = one_way["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "ONE_WAY_TRAFFIC")
        .unwrap();
    assert_eq!(f["peer"], "spoke0007");
    assert!(
        f["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["text"].as_str().unwrap().contains("#pkts decaps: 0")),
        "{f:#}"
    );
    // PSK mismatch: the fix names both routers, the key itself never appears.
    let psk = &t["hub-spoke0004"];
    let text = psk.to_string();
    assert!(!text.contains("Hub-Key-0004") && !text.contains("Spoke-Key-0004"));
    let f = psk["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "P1_PSK_MISMATCH")
        .unwrap();
    let fixed: BTreeSet<&str> = f["fix"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["peer"].as_str().unwrap())
        .collect();
    assert_eq!(fixed, BTreeSet::from(["hub", "spoke0004"]));
    // The hub's entry toward the removed spoke is a series of its own, checked on the hub.
    let gone = &t[&format!("{HUB_ROUTER}/{GONE_SPOKE}")];
    assert_eq!(gone["one_sided"], true);
    assert_eq!(gone["state"], "DOWN", "{gone:#}");
    assert!(codes(gone).contains("P1_NO_RESPONSE"));
    // Eleven series, twelve routers read, each logged into once.
    assert_eq!(t.len(), 11);
    assert_eq!(lab.logins(HUB_ROUTER), 1);
    for s in lab.hub.spokes() {
        assert_eq!(lab.logins(&s.router), 1, "{}", s.router);
    }
    lab.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nagios_output_for_one_tunnel_and_its_exit_code() {
    let lab = Hub::start(4).await;
    lab.settled().await;
    let ran = run({
        let mut c = lab.health();
        c.args(["hub-spoke0001", "--format", "nagios"]);
        c
    })
    .await;
    assert_eq!(ran.code, 0, "{}{}", ran.stdout, ran.stderr);
    let first = ran.stdout.lines().next().unwrap();
    assert!(first.starts_with("IPSEC OK - hub-spoke0001 UP"), "{first}");
    let (_, perf) = first.split_once(" | ").expect("perfdata after |");
    for label in ["'hub.encaps'=", "'spoke0001.decaps'=", "'hub.send_errors'="] {
        let item = perf
            .split(' ')
            .find(|p| p.starts_with(label))
            .unwrap_or_else(|| panic!("no {label} in {perf}"));
        assert!(item.contains("c;;;0"), "{item}: counters are `c`");
    }
    assert!(perf.contains("time="), "{perf}");
    // Only the named tunnel's two routers were read.
    assert_eq!(lab.logins("spoke0002"), 0);

    let ran = run({
        let mut c = lab.health();
        c.args(["hub-spoke0004", "--format", "nagios"]);
        c
    })
    .await;
    assert_eq!(ran.code, 2, "{}", ran.stdout);
    assert!(
        ran.stdout
            .starts_with("IPSEC CRITICAL - hub-spoke0004 DOWN [P1_PSK_MISMATCH]"),
        "{}",
        ran.stdout
    );
    assert!(
        ran.stdout.contains("fix on spoke0004: crypto isakmp key"),
        "{}",
        ran.stdout
    );

    let ran = run({
        let mut c = lab.health();
        c.args(["no-such-tunnel", "--format", "nagios"]);
        c
    })
    .await;
    assert_eq!(ran.code, 3);
    assert!(
        ran.stderr.contains("no tunnel \"no-such-tunnel\""),
        "{}",
        ran.stderr
    );
    lab.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_file_is_written_atomically_and_parses() {
    let lab = Hub::start(4).await;
    lab.settled().await;
    let file = lab.dir.path().join("ipsec.prom");
    std::fs::write(&file, "stale\n").unwrap();
    let ran = run({
        let mut c = lab.health();
        c.args(["--format", "prometheus", "-o"]).arg(&file);
        c
    })
    .await;
    assert_eq!(ran.code, 2, "{}", ran.stderr);
    assert!(ran.stdout.is_empty());
    // No temporary file is left beside it.
    let names: Vec<String> = std::fs::read_dir(lab.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{names:?}");
    let parsed = reference_parse("text", file.to_str().unwrap()).await;
    let state = |tunnel: &str, s: &str| {
        sample(
            &parsed,
            "ipsec_doctor_tunnel_state",
            "ipsec_doctor_tunnel_state",
            &[("tunnel", tunnel), ("state", s)],
        )
    };
    assert_eq!(state("hub-spoke0001", "UP"), Some(1.0));
    assert_eq!(state("hub-spoke0001", "DOWN"), Some(0.0));
    assert_eq!(state("hub-spoke0004", "DOWN"), Some(1.0));
    assert_eq!(state("hub-spoke0003", "IDLE"), Some(1.0));
    assert_eq!(
        parsed["families"]["ipsec_doctor_tunnel_packets"]["type"],
        "counter"
    );
    let out = sample(
        &parsed,
        "ipsec_doctor_tunnel_packets",
        "ipsec_doctor_tunnel_packets_total",
        &[
            ("tunnel", "hub-spoke0001"),
            ("router", "hub"),
            ("direction", "out"),
        ],
    );
    assert!(out.is_some_and(|v| v > 0.0), "{out:?}");
    assert_eq!(
        sample(
            &parsed,
            "ipsec_doctor_tunnel_finding",
            "ipsec_doctor_tunnel_finding",
            &[("tunnel", "hub-spoke0004"), ("code", "P1_PSK_MISMATCH")],
        ),
        Some(1.0)
    );
    for r in ["hub", "spoke0001", "spoke0004"] {
        assert_eq!(
            sample(
                &parsed,
                "ipsec_doctor_router_up",
                "ipsec_doctor_router_up",
                &[("router", r)]
            ),
            Some(1.0)
        );
    }
    assert!(
        parsed["families"]["ipsec_doctor_router_scrape_duration_seconds"]["samples"]
            .as_array()
            .is_some_and(|s| s.len() == 5)
    );
    lab.stop().await;
}

/// Reads the child's stderr until the exporter says where it listens.
async fn serving_addr(child: &mut tokio::process::Child) -> String {
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    let addr = tokio::time::timeout(Duration::from_secs(10), async {
        while let Ok(Some(line)) = lines.next_line().await {
            if let Some(rest) = line.split("serving metrics on http://").nth(1) {
                return rest.trim_end_matches("/metrics").to_string();
            }
        }
        panic!("the exporter never said where it listens");
    })
    .await
    .expect("exporter starts");
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    addr
}

fn sigterm(child: &tokio::process::Child) {
    let pid = child.id().expect("running");
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_is_scraped_over_http_in_both_formats_and_stops_on_sigterm() {
    let lab = Hub::start(4).await;
    lab.settled().await;
    let mut child = {
        let mut c = lab.health();
        c.args(["--serve", "127.0.0.1:0", "--every", "2s"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        c.spawn().unwrap()
    };
    let addr = serving_addr(&mut child).await;
    // Until the first cycle ends there is nothing to serve; the root answers at once.
    let root = reqwest_like_get(&addr, "/").await;
    assert!(root.starts_with("HTTP/1.1 200"), "{root}");
    let url = format!("http://{addr}/metrics");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !reqwest_like_get(&addr, "/metrics")
        .await
        .starts_with("HTTP/1.1 200")
    {
        assert!(tokio::time::Instant::now() < deadline, "no cycle finished");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let om = reference_parse("openmetrics", &url).await;
    assert!(
        om["content_type"]
            .as_str()
            .unwrap()
            .starts_with("application/openmetrics-text"),
        "{om}"
    );
    assert_eq!(
        sample(
            &om,
            "ipsec_doctor_tunnel_state",
            "ipsec_doctor_tunnel_state",
            &[("tunnel", "hub-spoke0001"), ("state", "UP")]
        ),
        Some(1.0)
    );
    assert_eq!(
        om["families"]["ipsec_doctor_cycle_duration_seconds"]["unit"],
        "seconds"
    );
    let text = reference_parse("text", &url).await;
    assert!(
        text["content_type"]
            .as_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4"),
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            "ipsec_doctor_tunnel_state",
            "ipsec_doctor_tunnel_state",
            &[("tunnel", "hub-spoke0004"), ("state", "DOWN")]
        ),
        Some(1.0)
    );
    sigterm(&child);
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("stops promptly on SIGTERM")
        .unwrap();
    assert_eq!(status.code(), Some(0));
    lab.stop().await;
}

/// A plain HTTP/1.1 GET, the bytes as they came: status line, headers, body.
async fn reqwest_like_get(addr: &str, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(
        format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .await
    .unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out).await;
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_keeps_its_grid_says_when_late_reuses_sessions_and_rereads_the_inventory() {
    let lab = Hub::start(3).await;
    lab.settled().await;
    // The first cycle waits 1.5 s between its two counter samples, longer than --every: the
    // second cycle starts late and says so; later cycles compare with the previous cycle's
    // sample, finish quickly and keep to the grid.
    let mut child = {
        let mut c = lab.health_sampling("1500ms");
        c.args(["--every", "1s", "--format", "json", "--keep-sessions"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        c.spawn().unwrap()
    };
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let mut cycles: BTreeMap<u64, Vec<Value>> = BTreeMap::new();
    let inventory = std::fs::read_to_string(lab.inventory()).unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    // Until cycle 7 begins, so that cycle 6 is whole.
    while cycles.len() < 7 {
        let line = tokio::time::timeout_at(deadline, lines.next_line())
            .await
            .expect("cycles keep coming")
            .unwrap()
            .expect("a line");
        let v: Value = serde_json::from_str(&line).unwrap();
        let n = v["cycle"].as_u64().unwrap();
        cycles.entry(n).or_default().push(v);
        if cycles.len() == 3 && !cycles.contains_key(&4) && n == 3 {
            // Tunnel hub-spoke0001 leaves the inventory: from the next cycle on, its two
            // crypto map entries are series of their own, each checked on its one router.
            let edited = inventory.replace("- a: hub\n  b: spoke0001\n  name: hub-spoke0001\n", "");
            assert_ne!(edited, inventory, "{inventory}");
            std::fs::write(lab.inventory(), edited).unwrap();
        }
    }
    sigterm(&child);
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("stops promptly on SIGTERM")
        .unwrap();
    assert_eq!(status.code(), Some(0));
    let stamp = |n: u64| {
        let t = cycles[&n][0]["timestamp"].as_str().unwrap().to_string();
        chrono_like_seconds(&t)
    };
    // Cycle 1 waits 1.5 s between its samples, longer than --every: cycle 2 waits for it.
    // (Where later cycles fall on the grid, and the late notice, are the scheduler's unit
    // tests, on the paused clock: wall-clock offsets here would only measure the machine's
    // load.)
    assert!(stamp(2) - stamp(1) >= 1.4, "{cycles:#?}");
    for n in 3..=6 {
        assert!(
            stamp(n) > stamp(n - 1),
            "cycle {n} started before cycle {}",
            n - 1
        );
    }
    let names = |n: u64| -> BTreeSet<String> {
        cycles[&n]
            .iter()
            .map(|v| v["tunnel"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(names(3).contains("hub-spoke0001"));
    let last = names(6);
    assert!(!last.contains("hub-spoke0001"), "{last:?}");
    assert!(last.contains("hub/198.19.0.1"), "{last:?}");
    assert!(last.contains("spoke0001/198.18.0.1"), "{last:?}");
    // Sessions were kept: each router logged into once over six cycles.
    assert_eq!(lab.logins(HUB_ROUTER), 1);
    assert_eq!(lab.logins("spoke0002"), 1);
    lab.stop().await;
}

/// `2026-11-26T10:15:42.123Z` as seconds within the day (the test spans seconds).
fn chrono_like_seconds(t: &str) -> f64 {
    let time = t.split('T').nth(1).unwrap().trim_end_matches('Z');
    let parts: Vec<f64> = time.split(':').map(|p| p.parse().unwrap()).collect();
    parts[0] * 3600.0 + parts[1] * 60.0 + parts[2]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn routers_that_cannot_be_read_make_their_tunnels_unknown_with_the_reason() {
    let lab = Hub::start(3).await;
    let text = std::fs::read_to_string(lab.inventory()).unwrap();
    let doc: serde_json::Value = serde_yaml_like(&text);
    let port = |r: &str| doc["hosts"][r]["port"].as_u64().unwrap();
    // spoke0001: a port nobody listens on; spoke0002: a wrong password.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_port = closed.local_addr().unwrap().port();
    drop(closed);
    let edited = text
        .replace(
            &format!("port: {}\n", port("spoke0001")),
            &format!("port: {closed_port}\n"),
        )
        .replacen("password: spokepass1\n", "password: wrong\n", 2);
    std::fs::write(lab.inventory(), &edited).unwrap();
    let ran = run({
        let mut c = lab.health();
        c.args(["--format", "json"]);
        c
    })
    .await;
    let t = tunnels(&ran.stdout);
    let s1 = &t["hub-spoke0001"];
    assert_eq!(s1["state"], "UNKNOWN", "{s1:#}");
    assert_eq!(s1["status"], 3);
    assert!(
        s1["reasons"][0]
            .as_str()
            .unwrap()
            .starts_with("spoke0001: router unreachable"),
        "{s1:#}"
    );
    let s2 = &t["hub-spoke0002"];
    assert_eq!(s2["state"], "UNKNOWN");
    assert!(
        s2["reasons"][0].as_str().unwrap().contains("login failed"),
        "{s2:#}"
    );
    // The hub was read; its other tunnel is judged as usual.
    assert_ne!(t["hub-spoke0003"]["state"], "UNKNOWN");
    lab.stop().await;
}

/// The lab's inventory (YAML) as JSON, through the crate's one YAML reader.
fn serde_yaml_like(text: &str) -> serde_json::Value {
    ipsec_doctor::yaml::from_str("inventory.yaml", text).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shards_check_every_series_exactly_once() {
    let lab = Hub::start(10).await;
    let all = run({
        let mut c = lab.health_sampling("0s");
        c.args(["--format", "json"]);
        c
    })
    .await;
    let every: BTreeSet<String> = tunnels(&all.stdout).into_keys().collect();
    assert_eq!(every.len(), 11);
    let mut seen: Vec<String> = Vec::new();
    for i in 1..=3 {
        let ran = run({
            let mut c = lab.health_sampling("0s");
            c.args(["--format", "json", "--shard", &format!("{i}/3")]);
            c
        })
        .await;
        seen.extend(tunnels(&ran.stdout).into_keys());
    }
    seen.sort();
    let once: BTreeSet<String> = seen.iter().cloned().collect();
    assert_eq!(
        seen.len(),
        once.len(),
        "a series was checked twice: {seen:?}"
    );
    assert_eq!(once, every);
    lab.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn triage_on_failure_needs_allow_debug_and_attaches_findings() {
    let lab = Hub::start(4).await;
    let refused = run({
        let mut c = lab.health();
        c.args(["hub-spoke0004", "--triage-on-failure"]);
        c
    })
    .await;
    assert_eq!(refused.code, 3);
    assert!(
        refused.stderr.contains("--allow-debug"),
        "{}",
        refused.stderr
    );
    assert_eq!(lab.logins(HUB_ROUTER), 0, "nothing ran");

    let ran = run({
        let mut c = lab.health();
        c.args([
            "hub-spoke0004",
            "--triage-on-failure",
            "--allow-debug",
            "--format",
            "json",
        ]);
        c
    })
    .await;
    assert_eq!(ran.code, 2, "{}", ran.stderr);
    let t = tunnels(&ran.stdout);
    let triage = &t["hub-spoke0004"]["triage"];
    assert_eq!(triage["debug_off_confirmed"], true, "{triage:#}");
    assert!(
        triage["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["code"] == "P1_PSK_MISMATCH"),
        "{triage:#}"
    );
    for r in [HUB_ROUTER, "spoke0004"] {
        let state = lab.hub.lab().router_state(r).unwrap();
        assert!(state.debug.get().is_quiet(), "{r}: debug left on");
    }
    lab.stop().await;
}

/// `promtool` from the Prometheus package (`.ci/run` installs it with apt).
fn promtool() -> std::process::Command {
    let found = std::process::Command::new("promtool")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "promtool is missing: `bash .ci/run` installs it (apt-get install prometheus)"
    );
    std::process::Command::new("promtool")
}

#[test]
fn kubernetes_manifests_and_alert_rules_are_valid() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("docker");
    let text = std::fs::read_to_string(root.join("kubernetes/ipsec-doctor-health.yaml")).unwrap();
    let docs: Vec<Value> =
        ipsec_doctor::yaml::documents("ipsec-doctor-health.yaml", &text).unwrap();
    let kinds: Vec<&str> = docs.iter().map(|d| d["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "ConfigMap",
            "Secret",
            "Service",
            "StatefulSet",
            "ServiceMonitor",
            "PrometheusRule"
        ]
    );
    // The inventory the ConfigMap ships loads, with the Secret's variables.
    let secret = &docs[1]["stringData"];
    let inventory = docs[0]["data"]["inventory.yaml"].as_str().unwrap();
    let env = |name: &str| secret[name].as_str().map(String::from);
    let inv = ipsec_doctor::inventory::Inventory::from_yaml("configmap", inventory, &env).unwrap();
    assert!(inv.tunnel("hq-branch2").unwrap().always_on);
    // The StatefulSet's replicas and its --shard auto/N agree; the Service selects its pods.
    let set = &docs[3];
    let replicas = set["spec"]["replicas"].as_u64().unwrap();
    let args: Vec<&str> = set["spec"]["template"]["spec"]["containers"][0]["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert!(
        args.contains(&format!("--shard=auto/{replicas}").as_str()),
        "{args:?}"
    );
    assert_eq!(args[0], "health");
    assert_eq!(
        docs[2]["spec"]["selector"],
        set["spec"]["template"]["metadata"]["labels"]
    );
    // The arguments parse as the CLI's own (`auto` resolves from the pod's name at run time;
    // here it is replaced, this machine being no pod).
    let mut argv = vec!["ipsec-doctor".to_string()];
    argv.extend(args.iter().map(|a| a.replace("auto/", "1/")));
    use clap::Parser;
    if let Err(e) = ipsec_doctor::cli::Cli::try_parse_from(&argv) {
        panic!("the StatefulSet's arguments do not parse: {e}");
    }
    // The PrometheusRule holds the same rules as the plain rule file.
    let rules_text =
        std::fs::read_to_string(root.join("prometheus/ipsec-doctor.rules.yml")).unwrap();
    let rules: Value = ipsec_doctor::yaml::from_str("rules", &rules_text).unwrap();
    assert_eq!(docs[5]["spec"]["groups"], rules["groups"]);
    // promtool: the rules are valid, their unit tests pass, and the scrape config is valid.
    let dir = root.join("prometheus");
    for args in [
        vec!["check", "rules", "ipsec-doctor.rules.yml"],
        vec!["test", "rules", "ipsec-doctor.rules.test.yml"],
    ] {
        let out = promtool().args(&args).current_dir(&dir).output().unwrap();
        assert!(
            out.status.success(),
            "promtool {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("prometheus.yml");
    let scrape = std::fs::read_to_string(dir.join("scrape.yaml")).unwrap();
    std::fs::write(&config, format!("global: {{}}\n{scrape}")).unwrap();
    let out = promtool()
        .arg("check")
        .arg("config")
        .arg(&config)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_pass_promtool_lint() {
    let lab = Hub::start(4).await;
    let ran = run({
        let mut c = lab.health_sampling("0s");
        c.args(["--format", "prometheus"]);
        c
    })
    .await;
    assert!(
        ran.stdout.contains("ipsec_doctor_tunnel_state"),
        "{}",
        ran.stderr
    );
    use std::io::Write;
    let mut child = promtool()
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(ran.stdout.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success() && out.stdout.is_empty() && out.stderr.is_empty(),
        "promtool check metrics: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    lab.stop().await;
}
