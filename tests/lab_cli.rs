//! `ipsec-doctor lab` as a user runs it: the scenario list, a bad config refused with its
//! location, and a lab that writes its inventory, serves, and stops on Ctrl-C.

use crate::util::bin;
use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

#[test]
fn list_names_every_scenario_with_its_expected_finding() {
    let out = bin().args(["lab", "--list"]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        text.lines().count(),
        ipsec_doctor::lab::scenario::Scenario::embedded_names().len(),
        "{text}"
    );
    let healthy = text.lines().find(|l| l.starts_with("healthy ")).unwrap();
    assert!(healthy.contains("TUNNEL_UP"), "{healthy}");
    assert!(
        text.lines()
            .any(|l| l.starts_with("psk-missing") && l.contains("P1_PSK_MISSING"))
    );
}

#[test]
fn a_config_line_the_lab_does_not_understand_stops_it_with_file_line_column() {
    let dir = tempfile::tempdir().unwrap();
    let scen = dir.path().join("broken");
    std::fs::create_dir(&scen).unwrap();
    let base = concat!(env!("CARGO_MANIFEST_DIR"), "/docker/scenarios/healthy");
    for f in ["lab.yaml", "r1.cfg"] {
        std::fs::copy(format!("{base}/{f}"), scen.join(f)).unwrap();
    }
    let r2 = std::fs::read_to_string(format!("{base}/r2.cfg")).unwrap();
    std::fs::write(
        scen.join("r2.cfg"),
        r2.replace(" group 14\n", " group 14\n encr rot13\n"),
    )
    .unwrap();
    let out = bin()
        .args(["lab", "--scenario", "broken", "--scenario-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8(out.stderr).unwrap();
    let re = regex::Regex::new(r"^ipsec-doctor: broken/r2\.cfg:\d+:\d+: ").unwrap();
    assert!(re.is_match(&err), "{err}");
}

#[test]
fn lab_writes_its_files_serves_and_stops_on_ctrl_c() {
    let dir = tempfile::tempdir().unwrap();
    let inventory = dir.path().join("inventory.yaml");
    let known = dir.path().join("known_hosts");
    // Two consecutive free ports: another test may take one between the probe and the lab's
    // bind, so a lab that could not start is retried on other ports.
    let (port, mut child, seen) = (0..5)
        .find_map(|_| {
            let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let port = probe.local_addr().unwrap().port();
            drop(probe);
            let mut child = bin()
                .args([
                    "lab",
                    "--scenario",
                    "psk-mismatch",
                    "--speed",
                    "50",
                    "--base-port",
                ])
                .arg(port.to_string())
                .arg("--inventory-out")
                .arg(&inventory)
                .arg("--known-hosts-out")
                .arg(&known)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
            let mut seen = String::new();
            let deadline = Instant::now() + Duration::from_secs(20);
            for line in lines.by_ref() {
                let line = line.unwrap();
                seen.push_str(&line);
                seen.push('\n');
                if line.contains("Ctrl-C") || Instant::now() > deadline {
                    break;
                }
            }
            if seen.contains("Ctrl-C") {
                Some((port, child, seen))
            } else {
                let _ = child.kill();
                let _ = child.wait();
                None
            }
        })
        .expect("the lab starts on some pair of free ports");
    assert!(
        seen.contains(&format!("ssh -p {port} admin@127.0.0.1")),
        "{seen}"
    );
    assert!(seen.contains("password labpass1"), "{seen}");
    let yaml = std::fs::read_to_string(&inventory).unwrap();
    assert!(yaml.contains(&format!("port: {}", port + 1)), "{yaml}");
    assert!(
        std::fs::read_to_string(&known)
            .unwrap()
            .contains("ssh-ed25519")
    );
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_ok());
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let start = Instant::now();
    let code = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "lab did not stop on SIGINT"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(code.code(), Some(0));
}
