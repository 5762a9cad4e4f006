//! `ipsec-doctor lab --only`: a scenario's two routers in two processes on 127.0.0.1, the wire
//! between them UDP datagrams. Each router is driven over SSH as in the closed-loop tests; the
//! exchange, the pings and the logs must be what one process gives.

use crate::lab_scenarios::Session;
use crate::util::bin;
use ipsec_doctor::lab::RouterEndpoint;
use ipsec_doctor::lab::scenario::Scenario;
use ipsec_doctor::lab::server::host_key;
use std::io::{BufRead, BufReader};
use std::net::{IpAddr, Ipv4Addr};
use std::process::{Child, Stdio};
use std::time::Duration;

/// Lab seconds per real second: a five-echo ping (10 lab seconds when the echoes are lost)
/// ends well before the phase 1 retransmissions do (about 60 lab seconds).
const SPEED: &str = "20";
const STARTUP: Duration = Duration::from_secs(15);

/// One `lab --only` process, killed by its PID when the test ends, pass or fail.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn(scenario: &str, only: &str, ssh: u16, wire: u16, peer: &str, peer_wire: u16) -> Proc {
    let child = bin()
        .args(["lab", "--scenario", scenario, "--only", only])
        .args(["--base-port", &ssh.to_string(), "--speed", SPEED])
        .args(["--wire-listen", &format!("127.0.0.1:{wire}")])
        .args(["--wire-peer", &format!("{peer}=127.0.0.1:{peer_wire}")])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    Proc(child)
}

/// Waits until the lab in `proc` says it is up; false when it ended first (a port it was
/// given is held by another process).
fn ready(proc: &mut Proc, router: &str) -> bool {
    let Some(stdout) = proc.0.stdout.take() else {
        return false;
    };
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        // Read to the end: the lab must never write into a closed pipe.
        let mut up = false;
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if !up && line.contains("Ctrl-C") {
                up = true;
                let _ = tx.send(true);
            }
        }
        if !up {
            let _ = tx.send(false);
        }
    });
    match rx.recv_timeout(STARTUP) {
        Ok(up) => up,
        Err(e) => panic!("{router}'s lab process not up after {STARTUP:?}: {e}"),
    }
}

fn endpoint(scenario: &Scenario, name: &str, port: u16) -> RouterEndpoint {
    let spec = scenario.router(name).unwrap();
    RouterEndpoint {
        name: name.to_string(),
        address: IpAddr::V4(Ipv4Addr::LOCALHOST),
        port,
        username: spec.username.clone(),
        password: spec.password.clone(),
        enable_secret: spec.enable_secret.clone(),
        host_key: host_key(&scenario.name, name).public_key().clone(),
    }
}

/// Both routers up in their own processes, each with an SSH session in enable mode, debug
/// on and terminal monitor.
struct Pair {
    _procs: Vec<Proc>,
    r1: Session,
    r2: Session,
    endpoints: Vec<RouterEndpoint>,
}

impl Pair {
    /// `show` output from a second session without terminal monitor: the debug lines of an
    /// exchange still running would interleave with the command's echo in the first one.
    async fn show(&self, router: usize, command: &str) -> String {
        let ep = &self.endpoints[router];
        let mut s = Session::open(ep).await;
        s.enable(ep.enable_secret.expose()).await;
        s.cmd("terminal length 0").await;
        s.cmd(command).await
    }
}

async fn two_processes(name: &str, debugs: &[&str]) -> Pair {
    let scenario = Scenario::embedded(name).unwrap();
    // Each router's SSH port (TCP) and wire port (UDP) are `base + index`.
    let (procs, base) = crate::util::port_blocks()
        .find_map(|base| {
            let mut r1 = spawn(name, "R1", base, base, "R2", base + 1);
            let mut r2 = spawn(name, "R2", base + 1, base + 1, "R1", base);
            (ready(&mut r1, "R1") && ready(&mut r2, "R2")).then_some((vec![r1, r2], base))
        })
        .expect("no block of free ports for the two lab processes");
    let (ssh1, ssh2) = (base, base + 1);
    let mut sessions = Vec::new();
    let mut endpoints = Vec::new();
    for (router, port) in [("R1", ssh1), ("R2", ssh2)] {
        let ep = endpoint(&scenario, router, port);
        endpoints.push(ep.clone());
        let commands: Vec<&str> = ["terminal length 0", "terminal monitor"]
            .into_iter()
            .chain(debugs.iter().copied())
            .collect();
        sessions.push(Session::ready(&ep, &commands).await);
    }
    let r2 = sessions.pop().unwrap();
    let r1 = sessions.pop().unwrap();
    Pair {
        _procs: procs,
        r1,
        r2,
        endpoints,
    }
}

const IKEV1_DEBUGS: &[&str] = &["debug crypto isakmp", "debug crypto ipsec"];

/// R1 pings R2's LAN from its own LAN (GigabitEthernet1/0 in both scenarios).
const PING: &str = "ping 192.168.102.1 source GigabitEthernet1/0";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthy_tunnel_comes_up_between_two_processes() {
    let mut lab = two_processes("healthy", IKEV1_DEBUGS).await;
    let first = lab.r1.cmd(PING).await;
    assert!(first.contains("Success rate is"), "{first}");
    // The SAs are up now: every echo crosses as ESP to the other process and back.
    let second = lab.show(0, PING).await;
    assert!(
        second.contains("Success rate is 100 percent (5/5)"),
        "{second}"
    );
    for (router, peer) in [(0, "203.0.113.2"), (1, "203.0.113.1")] {
        let sa = lab.show(router, "show crypto isakmp sa").await;
        assert!(
            sa.lines()
                .any(|l| l.contains(peer) && l.contains("QM_IDLE") && l.contains("ACTIVE")),
            "{sa}"
        );
        let ipsec = lab.show(router, "show crypto ipsec sa").await;
        assert!(ipsec.contains("#pkts decaps: "), "{ipsec}");
        assert!(!ipsec.contains("#pkts decaps: 0,"), "{ipsec}");
    }
    // `clear crypto sa` on R1 reaches R2 as a DELETE: its half of the pair goes too. The
    // next ping runs quick mode alone over the phase 1 both still hold.
    let qm_idle = |sa: &str| {
        sa.lines()
            .filter(|l| l.contains("QM_IDLE"))
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    let before = qm_idle(&lab.show(1, "show crypto isakmp sa").await);
    lab.show(0, "clear crypto sa").await;
    // The flow stays listed, as on IOS, with no SA behind it.
    let cleared = lab.show(1, "show crypto ipsec sa").await;
    assert!(
        cleared.contains("current outbound spi: 0x0(0)"),
        "{cleared}"
    );
    let again = lab.show(0, PING).await;
    assert!(again.contains("Success rate is"), "{again}");
    let ipsec = lab.show(1, "show crypto ipsec sa").await;
    assert!(!ipsec.contains("current outbound spi: 0x0(0)"), "{ipsec}");
    assert!(
        ipsec.contains("inbound esp sas:\r\n      spi: 0x"),
        "{ipsec}"
    );
    // Same phase 1 (same conn-id): no new main mode.
    let after = qm_idle(&lab.show(1, "show crypto isakmp sa").await);
    assert_eq!(after, before);
    assert_eq!(after.len(), 1, "{after:?}");
    // `clear crypto session` takes phase 1 down on both sides.
    lab.show(0, "clear crypto session").await;
    let sa = lab.show(1, "show crypto isakmp sa").await;
    assert!(!sa.contains("203.0.113.1"), "{sa}");
    lab.r2.drain().await;
    // R2 answered as responder: its own debug shows R1's packets arriving.
    assert!(
        lab.r2
            .transcript
            .contains("received packet from 203.0.113.1 dport 500 sport 500 Global"),
        "{}",
        lab.r2.transcript
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn psk_mismatch_stalls_in_mm_key_exch_between_two_processes() {
    let mut lab = two_processes("psk-mismatch", IKEV1_DEBUGS).await;
    let ping = lab.r1.cmd(PING).await;
    assert!(ping.contains("Success rate is 0 percent (0/5)"), "{ping}");
    // Still inside the retransmissions: both sides hold the half-made phase 1.
    for (router, peer) in [(0, "203.0.113.2"), (1, "203.0.113.1")] {
        let sa = lab.show(router, "show crypto isakmp sa").await;
        assert!(
            sa.lines()
                .any(|l| l.contains(peer) && l.contains("MM_KEY_EXCH")),
            "{sa}"
        );
        assert!(!sa.contains("QM_IDLE"), "{sa}");
    }
    lab.r1.drain().await;
    lab.r2.drain().await;
    assert!(
        lab.r2.transcript.contains(
            "%CRYPTO-4-IKMP_BAD_MESSAGE: IKE message from 203.0.113.1 failed its sanity check or is malformed"
        ),
        "{}",
        lab.r2.transcript
    );
    assert!(
        lab.r1
            .transcript
            .contains("retransmitting phase 1 MM_KEY_EXCH"),
        "{}",
        lab.r1.transcript
    );
}

/// R1 pings R2's LAN from its own LAN in the IKEv2 scenarios.
const PING_V2: &str = "ping 192.168.102.1 source GigabitEthernet0/0/1";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ikev2_vti_comes_up_between_two_processes_and_a_clear_reaches_the_peer() {
    let mut lab = two_processes("ikev2-vti-healthy", &["debug crypto ikev2"]).await;
    let first = lab.r1.cmd(PING_V2).await;
    assert!(first.contains("Success rate is"), "{first}");
    let second = lab.show(0, PING_V2).await;
    assert!(
        second.contains("Success rate is 100 percent (5/5)"),
        "{second}"
    );
    for router in 0..2 {
        let sa = lab.show(router, "show crypto ikev2 sa").await;
        assert!(sa.contains("READY"), "{sa}");
        let brief = lab.show(router, "show ip interface brief").await;
        assert!(
            brief
                .lines()
                .any(|l| l.starts_with("Tunnel0")
                    && l.trim_end().ends_with("up                    up")),
            "{brief}"
        );
    }
    // The DELETE crosses to R2's process: its SA and its tunnel go down too.
    lab.show(0, "clear crypto session").await;
    let sa = lab.show(1, "show crypto ikev2 sa").await;
    assert!(!sa.contains("READY"), "{sa}");
    lab.r1.drain().await;
    lab.r2.drain().await;
    assert!(
        lab.r2
            .transcript
            .contains("Verification of peer's authenctication data PASSED"),
        "{}",
        lab.r2.transcript
    );
    assert!(
        lab.r2
            .transcript
            .contains("Processing DELETE INFO message for IKEv2 SA"),
        "{}",
        lab.r2.transcript
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ikev2_key_mismatch_is_found_across_processes_without_the_key_crossing() {
    let mut lab = two_processes("ikev2-psk-mismatch", &["debug crypto ikev2"]).await;
    let ping = lab.r1.cmd(PING_V2).await;
    assert!(ping.contains("Success rate is 0 percent (0/5)"), "{ping}");
    lab.r1.drain().await;
    lab.r2.drain().await;
    assert!(
        lab.r2
            .transcript
            .contains("Verification of peer's authenctication data FAILED"),
        "{}",
        lab.r2.transcript
    );
    assert!(
        lab.r1.transcript.contains("NOTIFY(AUTHENTICATION_FAILED)"),
        "{}",
        lab.r1.transcript
    );
}
