//! Configuration mode over real SSH, against the IKE model: a change takes effect as on IOS.

use crate::lab_scenarios::Session;
use ipsec_doctor::lab::ike::IkeFactory;
use ipsec_doctor::lab::scenario::Scenario;
use ipsec_doctor::lab::{Lab, LabHandle, LabOptions};
use std::time::Duration;

const SPEED: f64 = 200.0;

/// A shipped scenario's lab on free ports, its clock at [`SPEED`].
async fn start(name: &str) -> LabHandle {
    let scenario = Scenario::embedded(name).unwrap();
    let options = LabOptions {
        speed: SPEED,
        ..LabOptions::default()
    };
    Lab::start(&scenario, options, &IkeFactory, std::future::pending())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_fixed_key_and_a_clear_bring_the_tunnel_up() {
    let lab = start("psk-mismatch").await;
    let mut r1 = Session::open(&lab.routers()[0]).await;
    let mut r2 = Session::open(&lab.routers()[1]).await;
    r1.enable("labenable1").await;
    r2.enable("labenable2").await;
    r1.cmd("terminal length 0").await;
    r2.cmd("terminal length 0").await;
    r1.cmd("ping 192.168.102.1 source GigabitEthernet1/0").await;
    // Main mode dies by retransmission (about 60 lab seconds).
    tokio::time::sleep(Duration::from_secs_f64(65.0 / SPEED)).await;
    let down = r1.cmd("show crypto isakmp sa").await;
    assert!(!down.contains("QM_IDLE"), "{down}");

    r2.cmd("configure terminal").await;
    r2.cmd("crypto isakmp key Vpn-Key-2026 address 203.0.113.1")
        .await;
    r2.cmd("end").await;
    let run = r2.cmd("show running-config | include isakmp key").await;
    assert!(
        run.contains("crypto isakmp key Vpn-Key-2026 address 203.0.113.1\r\n"),
        "{run}"
    );
    assert!(!run.contains("Vpn-Key-2025"), "{run}");
    let startup = r2.cmd("show startup-config | include isakmp key").await;
    assert!(startup.contains("Vpn-Key-2025"), "not saved yet: {startup}");

    r1.cmd("clear crypto isakmp").await;
    r1.cmd("clear crypto sa").await;
    let ping = r1.cmd("ping 192.168.102.1 source GigabitEthernet1/0").await;
    assert!(ping.contains("!"), "{ping}");
    let up = r1.cmd("show crypto isakmp sa").await;
    assert!(up.contains("QM_IDLE"), "{up}");
    let sa = r2.cmd("show crypto ipsec sa").await;
    assert!(sa.contains("#pkts decaps: "), "{sa}");

    r2.send_line("copy running-config startup-config").await;
    r2.until_text("Destination filename [startup-config]? ")
        .await;
    let saved = r2.cmd("").await;
    assert!(
        saved.contains("Building configuration...\r\n[OK]\r\n"),
        "{saved}"
    );
    let startup = r2.cmd("show startup-config | include isakmp key").await;
    assert!(startup.contains("Vpn-Key-2026"), "{startup}");
    lab.stop().await;
}

/// The extended ping dialog and traceroute over SSH against the IKE model: the dialog's
/// answers start the tunnel from the LAN, and traceroute finds the peer one hop away.
#[tokio::test]
async fn extended_ping_dialog_and_traceroute_over_ssh() {
    let lab = start("healthy").await;
    let mut r1 = Session::open(&lab.routers()[0]).await;
    r1.enable("labenable1").await;
    r1.cmd("terminal length 0").await;
    r1.send_line("ping").await;
    for (prompt, answer) in [
        ("Protocol [ip]: ", ""),
        ("Target IP address: ", "192.168.102.1"),
        ("Repeat count [5]: ", "10"),
        ("Datagram size [100]: ", ""),
        ("Timeout in seconds [2]: ", ""),
        ("Extended commands [n]: ", "y"),
        ("Source address or interface: ", "GigabitEthernet1/0"),
        ("Type of service [0]: ", ""),
        ("Set DF bit in IP header? [no]: ", ""),
        ("Validate reply data? [no]: ", ""),
        ("Data pattern [0xABCD]: ", ""),
        ("Loose, Strict, Record, Timestamp, Verbose[none]: ", ""),
    ] {
        r1.until_text(prompt).await;
        r1.send_line(answer).await;
    }
    r1.until_text("Sweep range of sizes [n]: ").await;
    let ping = r1.cmd("").await;
    assert!(
        ping.contains("Packet sent with a source address of 192.168.101.1")
            && ping.contains("Success rate is 90 percent (9/10)"),
        "{ping}"
    );
    let trace = r1.cmd("traceroute 203.0.113.2").await;
    assert!(
        trace.contains("Tracing the route to 203.0.113.2\r\n")
            && trace.contains("\r\n  1 203.0.113.2 1 msec 1 msec 1 msec\r\n"),
        "{trace}"
    );
    lab.stop().await;
}
