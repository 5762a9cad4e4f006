//! `ipsec-doctor lab --fleet N`: many tunnels in one process on consecutive ports, an inventory
//! the agent loads as is, and routers that answer over SSH under their own hostnames.

use crate::util::bin;
use ipsec_doctor::device::{IosSession, Mode};
use ipsec_doctor::inventory::Inventory;
use ipsec_doctor::ssh::HostKeyPolicy;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

const TUNNELS: u16 = 5;
const T: Duration = Duration::from_secs(5);

/// Kills the lab if a test fails half-way.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts a fleet on a block of free ports ([`crate::util::port_blocks`]): a block another
/// process holds part of is retried on the next.
fn start_fleet(dir: &Path, extra: &[&str]) -> (Running, u16, String) {
    for base in crate::util::port_blocks() {
        let mut child = bin()
            .args(["lab", "--fleet", &TUNNELS.to_string(), "--speed", "50"])
            .args(["--base-port", &base.to_string()])
            .args(extra)
            .arg("--inventory-out")
            .arg(dir.join("inventory.yaml"))
            .arg("--known-hosts-out")
            .arg(dir.join("known_hosts"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let running = Running(child);
        let mut seen = String::new();
        let mut ready = false;
        let deadline = Instant::now() + Duration::from_secs(10);
        for line in BufReader::new(stdout).lines() {
            let line = line.unwrap();
            seen.push_str(&line);
            seen.push('\n');
            if line.contains("Ctrl-C") {
                ready = true;
                break;
            }
            assert!(Instant::now() < deadline, "fleet not ready: {seen}");
        }
        if ready {
            return (running, base, seen);
        }
    }
    panic!("no block of free ports for the fleet");
}

/// SIGINT, then the lab must exit 0 promptly. Waits without blocking the thread: the test's
/// own SSH client runs on it and must stay able to answer the lab's disconnect.
async fn interrupt(mut lab: Running) {
    let status = std::process::Command::new("kill")
        .args(["-INT", &lab.0.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let start = Instant::now();
    let code = loop {
        if let Some(s) = lab.0.try_wait().unwrap() {
            break s;
        }
        assert!(start.elapsed() < T, "fleet did not stop on SIGINT");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(code.code(), Some(0));
}

#[tokio::test]
async fn fleet_serves_consecutive_ports_its_inventory_loads_and_the_last_router_answers() {
    let dir = tempfile::tempdir().unwrap();
    let (lab, base, printed) = start_fleet(dir.path(), &[]);
    assert!(
        printed.starts_with("fleet of 5 tunnels (10 routers) on 127.0.0.1\n"),
        "{printed}"
    );
    assert!(
        printed.contains(&format!(
            "t0005    healthy                  TUNNEL_UP                t0005-r1 port {}   t0005-r2 port {}",
            base + 8,
            base + 9
        )),
        "{printed}"
    );

    let inventory = Inventory::load(&dir.path().join("inventory.yaml")).unwrap();
    assert_eq!(inventory.hosts.len(), 10);
    assert_eq!(inventory.tunnels.len(), 5);
    for k in 0..TUNNELS {
        let tunnel = inventory.tunnel(&format!("t{:04}", k + 1)).unwrap();
        for (end, offset) in [(&tunnel.a, 0), (&tunnel.b, 1)] {
            let host = inventory.host(end).unwrap();
            assert_eq!(host.port, base + 2 * k + offset, "{end}");
            assert_eq!(host.hostname, "127.0.0.1");
        }
        assert_eq!(tunnel.a, format!("t{:04}-r1", k + 1));
        assert_eq!(tunnel.b, format!("t{:04}-r2", k + 1));
    }

    // The last router, logged into as the agent would from the inventory, host key checked.
    let last = inventory.host("t0005-r2").unwrap();
    let policy = HostKeyPolicy::strict(dir.path().join("known_hosts"));
    let (tx, _rx) = mpsc::unbounded_channel();
    let mut session = IosSession::connect(
        &last.name,
        &last.ssh_target(),
        &policy,
        last.session_options(false),
        tx,
    )
    .await
    .unwrap();
    assert_eq!(session.prompt().text, "t0005-r2#");
    assert_eq!(session.prompt().mode, Mode::Privileged);
    let out = session
        .run("show running-config | include ^hostname", T)
        .await
        .unwrap();
    assert_eq!(out.lines, ["hostname t0005-r2"]);
    let sa = session.run("show crypto isakmp sa", T).await.unwrap();
    assert_eq!(sa.lines[0], "IPv4 Crypto ISAKMP SA", "{:?}", sa.lines);
    session.close().await.unwrap();
    interrupt(lab).await;
}

#[tokio::test]
async fn fleet_mix_cycles_through_every_shipped_scenario() {
    let dir = tempfile::tempdir().unwrap();
    let (lab, _base, printed) = start_fleet(dir.path(), &["--fleet-mix"]);
    let scenarios: Vec<&str> = printed
        .lines()
        .filter(|l| l.starts_with("  t000"))
        .filter_map(|l| l.split_whitespace().nth(1))
        .collect();
    assert_eq!(
        scenarios,
        [
            "healthy",
            "auth-mismatch",
            "encryption-mismatch",
            "hash-mismatch",
            "dh-mismatch"
        ]
    );
    interrupt(lab).await;
}

#[test]
fn fleet_mix_without_a_fleet_is_refused() {
    let out = bin().args(["lab", "--fleet-mix"]).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("--fleet"), "{err}");
}

/// The inventory the compose file gives the agent container loads, and names the lab's two
/// routers by their services (`r1`, `r2`: one router per container) with the shipped
/// scenarios' credentials.
#[test]
fn the_compose_files_inventory_loads() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docker/compose.yaml");
    let compose: serde_yaml::Value =
        serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let text = compose["configs"]["inventory"]["content"].as_str().unwrap();
    let inventory = Inventory::from_yaml("compose.yaml", text, &|_| None).unwrap();
    let tunnel = inventory.tunnel("lab").unwrap();
    let healthy = ipsec_doctor::lab::scenario::Scenario::embedded("healthy").unwrap();
    for (name, service, port) in [(&tunnel.a, "r1", 2201), (&tunnel.b, "r2", 2202)] {
        let host = inventory.host(name).unwrap();
        let spec = healthy.router(name).unwrap();
        assert_eq!((host.hostname.as_str(), host.port), (service, port));
        // The service that answers on that port runs exactly this router.
        let command = compose["services"][service]["command"]
            .as_sequence()
            .unwrap();
        let only = command
            .iter()
            .position(|a| a.as_str() == Some("--only"))
            .unwrap();
        assert_eq!(command[only + 1].as_str(), Some(name.as_str()));
        assert_eq!(host.password.as_ref(), Some(&spec.password));
        assert_eq!(host.enable_secret.as_ref(), Some(&spec.enable_secret));
    }
}
