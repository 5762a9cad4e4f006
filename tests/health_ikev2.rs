//! `health` over real SSH on route-based tunnels: a lab fleet of IKEv2 and IKEv1 VTIs with
//! users' traffic, checked from an inventory. Each tunnel is a series whose ends name their
//! tunnel interface and peer (the tunnel's destination); the healthy ones are UP with traffic
//! both ways, a broken one is never UP.

use ipsec_doctor::lab::LabOptions;
use ipsec_doctor::lab::fleet::Fleet;
use ipsec_doctor::lab::scenario::Scenario;
use serde_json::Value;
use std::collections::BTreeMap;
use std::process::Stdio;
use std::time::Duration;

/// Lab seconds per real second: users ping once a lab second, ten times a real one.
const SPEED: f64 = 10.0;
/// Longest the healthy tunnels may take to come up before the test gives up.
const SETTLE: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn route_based_tunnels_are_series_and_the_healthy_ones_are_up() {
    let names = [
        "ikev2-vti-healthy",
        "ikev1-vti-healthy",
        "ikev2-psk-mismatch",
    ];
    let templates: Vec<Scenario> = names
        .iter()
        .map(|n| Scenario::embedded(n).unwrap())
        .collect();
    let options = LabOptions {
        speed: SPEED,
        ..LabOptions::default()
    };
    let fleet = Fleet::start(&templates, names.len(), options, std::future::pending())
        .await
        .expect("fleet starts");
    fleet.start_traffic(Duration::from_secs(1));
    // Users' traffic brings the two healthy tunnels up: wait for both routers' SAs.
    let deadline = tokio::time::Instant::now() + SETTLE;
    for net in &fleet.nets()[..2] {
        loop {
            let up = {
                let s = net.lock();
                [0, 1].iter().all(|n| s.p2.iter().any(|x| x.owner == *n))
            };
            if up {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the healthy VTIs did not come up in {SETTLE:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let inventory = dir.path().join("inventory.yaml");
    let known = dir.path().join("known_hosts");
    fleet.lab().write_inventory(&inventory).unwrap();
    fleet.lab().write_known_hosts(&known).unwrap();

    let out = tokio::time::timeout(
        Duration::from_secs(60),
        tokio::process::Command::new(env!("CARGO_BIN_EXE_ipsec-doctor"))
            .arg("health")
            .arg("-i")
            .arg(&inventory)
            .arg("--known-hosts")
            .arg(&known)
            .args(["--format", "json", "--sample-interval", "1s"])
            .stdin(Stdio::null())
            .output(),
    )
    .await
    .expect("health finishes")
    .expect("health runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let tunnels: BTreeMap<String, Value> = stdout
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .map(|v| (v["tunnel"].as_str().unwrap_or_default().to_string(), v))
        .collect();
    assert_eq!(
        tunnels.keys().map(String::as_str).collect::<Vec<_>>(),
        ["t0001", "t0002", "t0003"],
        "one series per tunnel, none one-sided: {stdout}"
    );
    for (name, t) in &tunnels {
        let ends = t["ends"].as_array().unwrap();
        assert_eq!(ends.len(), 2, "{name}: {t:#}");
        for (end, peer) in ends.iter().zip(["203.0.113.2", "203.0.113.1"]) {
            assert_eq!(end["tunnel"], "Tunnel0", "{name}: {t:#}");
            assert_eq!(end["peer"], peer, "{name}: {t:#}");
        }
        assert!(
            !t["reasons"].as_array().unwrap().iter().any(|r| r
                .as_str()
                .unwrap_or_default()
                .contains("no crypto map entry")),
            "{name}: {t:#}"
        );
    }
    for healthy in ["t0001", "t0002"] {
        let t = &tunnels[healthy];
        assert_eq!(t["state"], "UP", "{healthy}: {t:#}");
        assert_eq!(t["status"], 0);
        for end in t["ends"].as_array().unwrap() {
            assert!(end["ipsec_sas"].as_u64().unwrap() > 0, "{healthy}: {t:#}");
            let rates = &end["rates"];
            assert!(
                rates["encaps_per_second"].as_f64().unwrap() > 0.0
                    && rates["decaps_per_second"].as_f64().unwrap() > 0.0,
                "{healthy}: {t:#}"
            );
        }
    }
    assert_ne!(tunnels["t0003"]["state"], "UP", "{:#}", tunnels["t0003"]);
    tokio::time::timeout(Duration::from_secs(5), fleet.stop())
        .await
        .expect("fleet stops");
}

/// The health playbook's IKEv2 step reaches only routers with an IKEv2 tunnel: an IKEv1 router
/// (an older IOS may not know the command) is never sent `show crypto ikev2 sa`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ikev2_show_commands_go_to_ikev2_routers_only() {
    use ipsec_doctor::health::collect::{Carry, CollectOptions, Quiet, collect_all};
    use ipsec_doctor::inventory::Inventory;
    use ipsec_doctor::ssh::HostKeyPolicy;
    use std::sync::Arc;

    let templates: Vec<Scenario> = ["ikev2-vti-healthy", "healthy", "ikev2-ts-unacceptable"]
        .iter()
        .map(|n| Scenario::embedded(n).unwrap())
        .collect();
    let fleet = Fleet::start(&templates, 3, LabOptions::default(), std::future::pending())
        .await
        .expect("fleet starts");
    let dir = tempfile::tempdir().unwrap();
    let inventory = dir.path().join("inventory.yaml");
    let known = dir.path().join("known_hosts");
    fleet.lab().write_inventory(&inventory).unwrap();
    fleet.lab().write_known_hosts(&known).unwrap();
    let hosts = Inventory::load(&inventory)
        .unwrap()
        .hosts
        .into_values()
        .collect();
    let book = ipsec_doctor::playbook::shipped("health").unwrap().unwrap();
    let commands = ipsec_doctor::health::show_commands(&book).unwrap();
    let (_stop_tx, stop) = tokio::sync::watch::channel(false);
    let results = collect_all(
        hosts,
        Arc::new(commands),
        &HostKeyPolicy::strict(&known),
        &CollectOptions {
            concurrency: 6,
            sample_interval: Duration::ZERO,
            keep_sessions: false,
        },
        &Arc::new(Carry::default()),
        &stop,
        &Quiet,
    )
    .await;
    assert_eq!(results.len(), 6);
    for r in &results {
        let collected = r
            .collected
            .as_ref()
            .unwrap_or_else(|e| panic!("{}: {e:?}", r.router));
        let sent: Vec<&str> = collected
            .outputs
            .iter()
            .map(|o| o.command.as_str())
            .collect();
        // t0001 (IKEv2 VTIs) and t0003 (an IKEv2 VTI against an IKEv2 crypto map) speak IKEv2;
        // t0002 is the IKEv1 crypto map pair.
        let ikev2 = !r.router.starts_with("t0002");
        assert_eq!(
            sent.contains(&"show crypto ikev2 sa"),
            ikev2,
            "{}: {sent:?}",
            r.router
        );
        for every in [
            "show crypto isakmp sa",
            "show crypto ipsec sa",
            "show crypto session",
        ] {
            assert!(sent.contains(&every), "{}: {sent:?}", r.router);
        }
    }
    tokio::time::timeout(Duration::from_secs(5), fleet.stop())
        .await
        .expect("fleet stops");
}
