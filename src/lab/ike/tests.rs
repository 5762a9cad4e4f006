//! The model driven without SSH: both routers of a scenario, debugs on, a ping from R1, and
//! what each router printed, said and shows afterwards.

use super::*;
use crate::engine::parse::show::{self, ShowKind};
use crate::lab::clock::LabClock;
use crate::lab::model::TraceRequest;
use crate::lab::router::DebugKind;
use crate::lab::scenario::Scenario;
use std::time::SystemTime;

pub(crate) struct Run {
    pub models: Vec<Arc<dyn RouterModel>>,
    pub logs: Vec<Vec<String>>,
    pub ping: String,
    pub net: Arc<Net>,
}

/// Lab seconds per tokio second. These tests run on tokio's paused clock (see
/// [`assert_paused_clock`]), so the speed only maps lab time onto tokio's.
pub(crate) const SPEED: f64 = 200.0;

/// Lab time is tokio's clock times [`SPEED`]. On the real clock a machine too loaded to wake
/// a task for a few milliseconds moves lab time on by seconds, an initiator's retransmissions
/// fall behind the test's settle time, and what a router printed depends on the load. On the
/// paused clock time moves only when every task waits, so each timer fires at its lab time.
fn assert_paused_clock() {
    let before = tokio::time::Instant::now();
    std::thread::sleep(Duration::from_millis(1));
    assert_eq!(
        tokio::time::Instant::now(),
        before,
        "lab model tests run on the paused clock: #[tokio::test(start_paused = true)]"
    );
}

pub(crate) async fn run(name: &str, edit: impl FnOnce(&mut Scenario)) -> Run {
    let mut scenario = Scenario::embedded(name).unwrap();
    edit(&mut scenario);
    let request = PingRequest {
        source: Some(PingSource::Interface("GigabitEthernet1/0".into())),
        ..PingRequest::to("192.168.102.1".parse().unwrap())
    };
    drive(
        &scenario,
        request,
        &[DebugKind::CryptoIsakmp, DebugKind::CryptoIpsec],
        Duration::from_secs(65),
    )
    .await
}

/// Both routers of `scenario` with `debugs` on, `ping` from the first, then `settle` lab
/// seconds for every exchange to end; what each router printed.
pub(crate) async fn drive(
    scenario: &Scenario,
    ping: PingRequest,
    debugs: &[DebugKind],
    settle: Duration,
) -> Run {
    assert_paused_clock();
    let name = scenario.name.as_str();
    let clock = LabClock::new(
        SPEED,
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_688_142),
    )
    .unwrap();
    let routers: Vec<Arc<Router>> = scenario
        .routers
        .iter()
        .map(|s| Arc::new(Router::new(name, s.clone(), clock.clone())))
        .collect();
    let mut rx: Vec<_> = routers.iter().map(|r| r.log.subscribe()).collect();
    for r in &routers {
        for kind in debugs {
            r.debug.set(*kind, true);
        }
    }
    let net = build_net(&routers).unwrap();
    let models: Vec<Arc<dyn RouterModel>> = (0..routers.len())
        .map(|node| {
            Arc::new(IkeModel {
                net: net.clone(),
                node,
            }) as Arc<dyn RouterModel>
        })
        .collect();
    let (sink, mut out) = PingSink::channel();
    models[0].ping(ping, sink).await;
    let mut ping = String::new();
    while let Ok(t) = out.try_recv() {
        ping.push_str(&t);
    }
    clock.sleep(settle).await;
    let logs = rx
        .iter_mut()
        .map(|r| {
            let mut v = Vec::new();
            while let Ok(l) = r.try_recv() {
                v.extend(l.split("\r\n").map(String::from));
            }
            v
        })
        .collect();
    Run {
        models,
        logs,
        ping,
        net,
    }
}

fn has(log: &[String], text: &str) -> bool {
    log.iter().any(|l| l.contains(text))
}

#[tokio::test(start_paused = true)]
async fn healthy_tunnel_comes_up_and_counts_packets() {
    let r = run("healthy", |_| {}).await;
    assert!(r.ping.contains(".!!!!"), "{}", r.ping);
    assert!(
        r.ping.contains("Success rate is 80 percent (4/5)"),
        "{}",
        r.ping
    );
    assert!(
        has(
            &r.logs[0],
            "ISAKMP:(1001):Old State = IKE_QM_IPSEC_INSTALL_AWAIT  New State = IKE_QM_PHASE2_COMPLETE"
        ),
        "{:#?}",
        r.logs[0]
    );
    assert!(
        has(
            &r.logs[1],
            "ISAKMP: (1001):Successfully installed IPSEC SA (SPI:0x"
        ),
        "{:#?}",
        r.logs[1]
    );
    let sa = r.models[0]
        .show_crypto(&CryptoShow::IpsecSa {
            peer: None,
            detail: false,
        })
        .join("\n");
    let parsed = show::parse(ShowKind::IpsecSa, &sa).unwrap();
    assert!(
        parsed.unparsed().is_empty(),
        "{sa}\n{:?}",
        parsed.unparsed()
    );
    assert!(sa.contains("#pkts encaps: 4, #pkts encrypt: 4"), "{sa}");
    assert!(sa.contains("#pkts decaps: 4,"), "{sa}");
    let sa2 = r.models[1]
        .show_crypto(&CryptoShow::IpsecSa {
            peer: None,
            detail: false,
        })
        .join("\n");
    assert!(
        sa2.contains("#pkts decaps: 4,") && sa2.contains("#pkts encaps: 4,"),
        "{sa2}"
    );
    drop(r.net);
}

#[tokio::test(start_paused = true)]
async fn every_show_output_parses_with_nothing_left_over() {
    let r = run("healthy", |_| {}).await;
    let cases: Vec<(ShowKind, Vec<String>)> = vec![
        (
            ShowKind::IsakmpSa,
            r.models[0].show_crypto(&CryptoShow::IsakmpSa { detail: false }),
        ),
        (
            ShowKind::IsakmpSaDetail,
            r.models[0].show_crypto(&CryptoShow::IsakmpSa { detail: true }),
        ),
        (
            ShowKind::IpsecSa,
            r.models[1].show_crypto(&CryptoShow::IpsecSa {
                peer: None,
                detail: false,
            }),
        ),
        (
            ShowKind::CryptoSession,
            r.models[0].show_crypto(&CryptoShow::Session { detail: false }),
        ),
        (
            ShowKind::CryptoSession,
            r.models[1].show_crypto(&CryptoShow::Session { detail: true }),
        ),
        (
            ShowKind::CryptoMap,
            r.models[0].show_crypto(&CryptoShow::Map),
        ),
        (
            ShowKind::IsakmpPolicy,
            r.models[1].show_crypto(&CryptoShow::IsakmpPolicy),
        ),
        (ShowKind::Udp, r.models[0].show_net(&NetShow::Udp)),
        (ShowKind::IpRoute, r.models[0].show_net(&NetShow::IpRoute)),
        (
            ShowKind::IpInterfaceBrief,
            r.models[1].show_net(&NetShow::IpInterfaceBrief),
        ),
    ];
    for (kind, lines) in cases {
        let text = lines.join("\n");
        let parsed = show::parse(kind, &text).unwrap();
        assert!(
            parsed.unparsed().is_empty(),
            "{kind:?}:\n{text}\nunparsed: {:?}",
            parsed.unparsed()
        );
        println!("{kind:?}:\n{text}\n{parsed:#?}");
    }
}

/// What a silent peer leaves: nothing on R2; on R1 five retransmissions, the give-up, and a
/// ping that got no reply.
fn assert_initiator_gave_up_alone(name: &str, r: &Run) {
    assert!(r.logs[1].is_empty(), "{name}: R2 logged {:#?}", r.logs[1]);
    assert!(
        has(&r.logs[0], "attempt 5 of 5"),
        "{name}: R1 logged {:#?}",
        r.logs[0]
    );
    assert!(
        has(
            &r.logs[0],
            "deleting SA reason \"Death by retransmission P1\" state (I) MM_NO_STATE"
        ),
        "{name}: R1 logged {:#?}",
        r.logs[0]
    );
    assert!(
        r.ping.contains("Success rate is 0 percent (0/5)"),
        "{name}: {}",
        r.ping
    );
}

#[tokio::test(start_paused = true)]
async fn silent_peers_log_nothing_while_the_initiator_gives_up() {
    for name in [
        "peer-no-route",
        "peer-interface-down",
        "peer-address-wrong",
        "crypto-map-not-applied",
        "isakmp-disabled",
        "ike-blocked",
    ] {
        let r = run(name, |_| {}).await;
        assert_initiator_gave_up_alone(name, &r);
    }
}

/// A machine too loaded to run the lab for a while changes nothing the routers print. Here
/// the runtime's thread is blocked for 0.4 s twenty lab seconds in, while R1 waits between
/// retransmissions: on a real clock that is 80 lab seconds gone at once, the test's settle
/// time ends before R1's last attempts, and R1's log lacks its give-up (the intermittent
/// failure of the test above on a busy machine).
#[tokio::test(start_paused = true)]
async fn a_stalled_machine_changes_nothing_the_routers_print() {
    tokio::spawn(async {
        tokio::time::sleep(Duration::from_secs_f64(20.0 / SPEED)).await;
        std::thread::sleep(Duration::from_millis(400));
    });
    let r = run("isakmp-disabled", |_| {}).await;
    assert_initiator_gave_up_alone("isakmp-disabled", &r);
}

#[tokio::test(start_paused = true)]
async fn wire_faults_show_where_an_engineer_looks() {
    let r = run("peer-interface-down", |_| {}).await;
    let brief = r.models[1].show_net(&NetShow::IpInterfaceBrief).join("\n");
    assert!(
        brief.contains(
            "GigabitEthernet0/0/0   203.0.113.2     YES NVRAM  down                  down"
        ),
        "{brief}"
    );

    let r = run("ike-blocked", |_| {}).await;
    let (sink, mut out) = PingSink::channel();
    r.models[0]
        .ping(PingRequest::to("203.0.113.2".parse().unwrap()), sink)
        .await;
    let mut text = String::new();
    while let Ok(t) = out.try_recv() {
        text.push_str(&t);
    }
    assert!(
        text.contains("!!!!!"),
        "ping between the outside addresses must work: {text}"
    );

    let r = run("isakmp-disabled", |_| {}).await;
    let udp = r.models[1].show_net(&NetShow::Udp).join("\n");
    assert!(!udp.contains(" 500 "), "{udp}");
    assert!(
        r.models[0]
            .show_net(&NetShow::Udp)
            .join("\n")
            .contains("203.0.113.1     500")
    );
}

#[tokio::test(start_paused = true)]
async fn esp_filtered_leaves_the_far_side_decaps_at_zero() {
    let r = run("one-way-traffic", |_| {}).await;
    assert!(r.ping.contains("....."), "{}", r.ping);
    let r1 = r.models[0]
        .show_crypto(&CryptoShow::IpsecSa {
            peer: None,
            detail: false,
        })
        .join("\n");
    let r2 = r.models[1]
        .show_crypto(&CryptoShow::IpsecSa {
            peer: None,
            detail: false,
        })
        .join("\n");
    assert!(r1.contains("#pkts encaps: 4,"), "{r1}");
    assert!(r2.contains("#pkts decaps: 0,"), "{r2}");
}

#[tokio::test(start_paused = true)]
async fn failures_print_what_the_engine_knows() {
    let cases: &[(&str, usize, &[&str])] = &[
        (
            "encryption-mismatch",
            1,
            &[
                "Encryption algorithm offered does not match policy!",
                "atts are not acceptable. Next payload is 0",
                "no offers accepted!",
            ],
        ),
        (
            "hash-mismatch",
            1,
            &["Hash algorithm offered does not match policy!"],
        ),
        (
            "dh-mismatch",
            1,
            &["Diffie-Hellman group offered does not match policy!"],
        ),
        (
            "auth-mismatch",
            1,
            &["Authentication method offered does not match policy!"],
        ),
        (
            "psk-missing",
            0,
            &["ISAKMP:(0):No pre-shared key with 203.0.113.2!"],
        ),
        (
            "psk-mismatch",
            1,
            &[
                "%CRYPTO-4-IKMP_BAD_MESSAGE: IKE message from 203.0.113.1 failed its sanity check or is malformed",
            ],
        ),
        ("psk-mismatch", 0, &["retransmitting phase 1 MM_KEY_EXCH"]),
        (
            "acl-not-mirrored",
            1,
            &[
                "IPSec policy invalidated proposal with error 32",
                "phase 2 SA policy not acceptable! (local 203.0.113.2 remote 203.0.113.1)",
            ],
        ),
        (
            "acl-not-mirrored",
            0,
            &[
                "processing NOTIFY PROPOSAL_NOT_CHOSEN protocol 3",
                "error TRUE reason \"Delete Larval\"",
            ],
        ),
        (
            "transform-mismatch",
            1,
            &[
                "IPSEC(ipsec_process_proposal): transform proposal not supported for identity:",
                "error 256",
            ],
        ),
        (
            "pfs-mismatch",
            1,
            &[
                "group is 14",
                "error 256",
                "phase 2 SA policy not acceptable!",
            ],
        ),
        ("lifetime-mismatch", 1, &["Returning Actual lifetime: 3600"]),
        (
            "healthy",
            0,
            &[
                "Successfully installed IPSEC SA (SPI:0x",
                "Old State = IKE_QM_IPSEC_INSTALL_AWAIT  New State = IKE_QM_PHASE2_COMPLETE",
            ],
        ),
    ];
    for (name, router, lines) in cases {
        let r = run(name, |_| {}).await;
        for l in *lines {
            assert!(
                has(&r.logs[*router], l),
                "{name}: R{} lacks {l:?}",
                router + 1
            );
        }
    }
}

/// A refused phase 1 proposal is answered: the responder sends a notify and deletes its SA,
/// so the initiator hears something each time, unlike with a silent peer, yet still dies by
/// retransmission (the notify carries no hash it could trust).
#[tokio::test(start_paused = true)]
async fn a_refused_phase1_proposal_is_answered_with_a_notify() {
    let r = run("encryption-mismatch", |_| {}).await;
    let (r1, r2) = (&r.logs[0], &r.logs[1]);
    for want in [
        "ISAKMP-ERROR: (0):phase 1 SA policy not acceptable! (local 203.0.113.2 remote 203.0.113.1)",
        "ISAKMP: (0):incrementing error counter on sa, attempt 1 of 5: construct_fail_ag_init",
        "ISAKMP-PAK: (0):sending packet to 203.0.113.1 my_port 500 peer_port 500 (R) MM_NO_STATE",
        "deleting SA reason \"Phase1 SA policy proposal not accepted\" state (R) MM_NO_STATE (peer 203.0.113.1)",
        "Old State = IKE_R_MM1  New State = IKE_DEST_SA",
    ] {
        assert!(has(r2, want), "R2 lacks {want:?}: {r2:#?}");
    }
    let heard = |l: &&String| {
        l.contains("ISAKMP (0): received packet from 203.0.113.2 dport 500 sport 500 Global (I) MM_NO_STATE")
    };
    // The first MM1 and its five retransmissions each get their notify.
    assert_eq!(r1.iter().filter(heard).count(), 6, "{r1:#?}");
    assert_eq!(
        r1.iter()
            .filter(|l| l.ends_with("ISAKMP:(0):Notify has no hash. Rejected."))
            .count(),
        6
    );
    assert!(has(
        r1,
        "ISAKMP (0): Unknown Input IKE_MESG_FROM_PEER, IKE_INFO_NOTIFY: state = IKE_I_MM1"
    ));
    assert!(has(
        r1,
        "deleting SA reason \"Death by retransmission P1\" state (I) MM_NO_STATE"
    ));
    // A silent peer's initiator hears nothing at all.
    let silent = run("ike-blocked", |_| {}).await;
    assert!(!silent.logs[0].iter().any(|l| l.contains("received packet")));
}

/// Different pre-shared keys: the responder cannot read MM5, counts each one as a bad
/// message and finally deletes its SA; the initiator retransmits MM5 until it gives up.
#[tokio::test(start_paused = true)]
async fn a_psk_mismatch_shows_on_both_sides() {
    let r = run("psk-mismatch", |_| {}).await;
    let (r1, r2) = (&r.logs[0], &r.logs[1]);
    let bad = r2
        .iter()
        .filter(|l| l.ends_with("%CRYPTO-4-IKMP_BAD_MESSAGE: IKE message from 203.0.113.1 failed its sanity check or is malformed"))
        .count();
    assert_eq!(bad, 6, "{r2:#?}");
    for n in 1..=5 {
        let want =
            format!("incrementing error counter on sa, attempt {n} of 5: reset_retransmission");
        assert!(has(r2, &want), "R2 lacks {want:?}");
    }
    assert!(has(
        r2,
        "deleting SA reason \"Death by retransmission P1\" state (R) MM_KEY_EXCH (peer 203.0.113.1)"
    ));
    assert!(
        has(r1, "ISAKMP:(1001): retransmitting phase 1 MM_KEY_EXCH..."),
        "{r1:#?}"
    );
    assert!(has(
        r1,
        "deleting SA reason \"Death by retransmission P1\" state (I) MM_KEY_EXCH (peer 203.0.113.2)"
    ));
    // R1 authenticated nothing: no MM6 ever came.
    assert!(!has(r1, "SA has been authenticated"));
}

/// `debug crypto ipsec`: the initiator's key engine asks for SAs with the flow and transform,
/// and each router creates both SAs of the pair (its inbound one first), with the conn ids
/// and SPIs `show crypto ipsec sa` then shows.
#[tokio::test(start_paused = true)]
async fn debug_crypto_ipsec_shows_the_key_engine_at_work() {
    let r = run("healthy", |_| {}).await;
    let (r1, r2) = (r.logs[0].join("\n"), r.logs[1].join("\n"));
    for want in [
        "IPSEC(sa_request): ,\n  (key eng. msg.) OUTBOUND local= 203.0.113.1:0, remote= 203.0.113.2:0,",
        "    local_proxy= 192.168.101.0/255.255.255.0/0/0 (type=4),\n    remote_proxy= 192.168.102.0/255.255.255.0/0/0 (type=4),",
        "    protocol= ESP, transform= esp-aes 256 esp-sha-hmac (Tunnel),\n    lifedur= 3600s and 4608000kb,",
        "IPSEC(key_engine): got a queue event with 1 KMI message(s)",
        "IPSEC(crypto_ipsec_create_ipsec_sas): Map found VPN, 10",
        "  (sa) sa_dest= 203.0.113.1, sa_proto= 50, ",
        "  (sa) sa_dest= 203.0.113.2, sa_proto= 50, ",
    ] {
        assert!(r1.contains(want), "R1 lacks {want:?}\n{r1}");
    }
    for want in [
        "IPSEC(validate_proposal_request): proposal part #1,\n  (key eng. msg.) INBOUND local= 203.0.113.2:0, remote= 203.0.113.1:0,",
        "    local_proxy= 192.168.102.0/255.255.255.0/256/0,\n    remote_proxy= 192.168.101.0/255.255.255.0/256/0,",
        "    protocol= ESP, transform= esp-aes 256 esp-sha-hmac  (Tunnel), \n    lifedur= 0s and 0kb, ",
        "(ipsec_process_proposal)Map Accepted: VPN, 10",
        "Crypto mapdb : proxy_match\n        src addr     : 192.168.102.0\n        dst addr     : 192.168.101.0",
        "IPSEC(key_engine_enable_outbound): rec'd enable notify from ISAKMP",
    ] {
        assert!(r2.contains(want), "R2 lacks {want:?}\n{r2}");
    }
    for (log, node) in [(&r1, 0), (&r2, 1)] {
        assert_eq!(
            log.matches("IPSEC(create_sa): sa created,").count(),
            2,
            "{log}"
        );
        let sa = r.models[node]
            .show_crypto(&CryptoShow::IpsecSa {
                peer: None,
                detail: false,
            })
            .join("\n");
        let spi = |dir: &str| {
            let at = sa.find(&format!("{dir} esp sas:\n      spi: 0x")).unwrap() + dir.len() + 23;
            sa[at..at + 8].trim_start_matches('0').to_string()
        };
        let (inbound, outbound) = (spi("inbound"), spi("outbound"));
        // The SA it receives on is created first, toward itself, and is the one IOS names as
        // installed.
        let first = log.find(&format!("sa_spi= 0x{inbound}(")).unwrap();
        let second = log.find(&format!("sa_spi= 0x{outbound}(")).unwrap();
        assert!(first < second, "{log}");
        assert!(log.contains(&format!(
            "Successfully installed IPSEC SA (SPI:0x{inbound})"
        )));
        assert!(log.contains("sa_conn_id= 2001") && log.contains("sa_conn_id= 2002"));
        assert!(
            sa.contains("conn id: 2001,") && sa.contains("conn id: 2002,"),
            "{sa}"
        );
    }
}

/// The time of day, in milliseconds, each line of `log` holding `text` is stamped with.
pub(crate) fn stamps(log: &[String], text: &str) -> Vec<u64> {
    let stamp = regex::Regex::new(r"^\*\w{3} [ \d]\d (\d\d):(\d\d):(\d\d)\.(\d{3}):").unwrap();
    log.iter()
        .filter(|l| l.contains(text))
        .filter_map(|l| stamp.captures(l))
        .map(|c| {
            let n = |i: usize| c[i].parse::<u64>().unwrap();
            ((n(1) * 60 + n(2)) * 60 + n(3)) * 1000 + n(4)
        })
        .collect()
}

/// A router retransmits on its own schedule however late the lab wakes: here tokio's clock
/// jumps 30 lab seconds at once five seconds into the exchange (what a process stalled on a
/// busy machine sees on the real clock). R1's first retransmissions, overdue by then, still
/// go out ten lab seconds apart, and the later ones stay on that schedule.
#[tokio::test(start_paused = true)]
async fn a_late_wakeup_does_not_shift_later_retransmissions() {
    tokio::spawn(async {
        tokio::time::sleep(Duration::from_secs_f64(5.0 / SPEED)).await;
        tokio::time::advance(Duration::from_secs_f64(30.0 / SPEED)).await;
    });
    let r = run("isakmp-disabled", |_| {}).await;
    assert_initiator_gave_up_alone("isakmp-disabled", &r);
    let sent = stamps(&r.logs[0], "beginning Main Mode exchange");
    let again = stamps(&r.logs[0], "retransmitting phase 1 MM_NO_STATE...");
    assert!(sent.len() == 1 && again.len() >= 5, "{:#?}", r.logs[0]);
    for (n, pair) in sent
        .iter()
        .chain(&again)
        .collect::<Vec<_>>()
        .windows(2)
        .enumerate()
    {
        let gap = pair[1] - pair[0];
        assert!(
            (10_000..10_100).contains(&gap),
            "retransmission {} came {gap} ms after the one before: {:#?}",
            n + 1,
            r.logs[0]
        );
    }
}

/// Every quick mode and notify has its own message id on both routers, and an exchange's
/// steps are milliseconds apart: the packets cross the wire and Diffie-Hellman takes time.
#[tokio::test(start_paused = true)]
async fn message_ids_are_unique_and_steps_take_milliseconds() {
    let r = run("acl-not-mirrored", |_| {}).await;
    let ids = |log: &[String], pat: &str| -> Vec<String> {
        let re = regex::Regex::new(pat).unwrap();
        log.iter()
            .filter_map(|l| re.captures(l).map(|c| c[1].to_string()))
            .collect()
    };
    let quick_modes = ids(&r.logs[0], r"M-ID of (\d+)$");
    let notifies = ids(&r.logs[1], r"^\s*spi \d+, message ID = (\d+)$");
    // Each packet of the five-packet ping starts a quick mode the responder refuses.
    assert!(quick_modes.len() >= 4, "{:#?}", r.logs[0]);
    assert_eq!(notifies.len(), quick_modes.len(), "{:#?}", r.logs[1]);
    let everything: Vec<&String> = quick_modes.iter().chain(&notifies).collect();
    let distinct: std::collections::BTreeSet<&&String> = everything.iter().collect();
    assert_eq!(distinct.len(), everything.len(), "{everything:?}");

    let r = run("healthy", |_| {}).await;
    let ms = stamps(&r.logs[0], "");
    assert!(ms.windows(2).all(|w| w[0] <= w[1]), "{ms:?}");
    let span = ms.last().unwrap() - ms.first().unwrap();
    // Two Diffie-Hellman computations of 18 ms and eight wire crossings of 2 ms at least.
    assert!((50..1000).contains(&span), "{span} ms: {:#?}", r.logs[0]);
    let distinct: std::collections::BTreeSet<u64> = ms.iter().copied().collect();
    assert!(distinct.len() > 10, "{distinct:?}");
}

/// `show crypto isakmp sa` and its detail form list the same SAs, with the same conn-ids and
/// status, whatever state phase 1 reached: up, stuck in MM_KEY_EXCH, deleted after a refusal.
#[tokio::test(start_paused = true)]
async fn isakmp_sa_brief_and_detail_always_agree() {
    for name in [
        "healthy",
        "psk-mismatch",
        "encryption-mismatch",
        "acl-not-mirrored",
    ] {
        let r = run(name, |_| {}).await;
        for (node, model) in r.models.iter().enumerate() {
            let brief = model
                .show_crypto(&CryptoShow::IsakmpSa { detail: false })
                .join("\n");
            let detail = model
                .show_crypto(&CryptoShow::IsakmpSa { detail: true })
                .join("\n");
            let show::ShowOutput::IsakmpSa(b) = show::parse(ShowKind::IsakmpSa, &brief).unwrap()
            else {
                panic!("{brief}")
            };
            let d = show::parse(ShowKind::IsakmpSaDetail, &detail).unwrap();
            assert!(
                d.unparsed().is_empty(),
                "{name}: {detail}\n{:?}",
                d.unparsed()
            );
            let show::ShowOutput::IsakmpSaDetail(d) = d else {
                panic!("{detail}")
            };
            let rows_b: Vec<(i64, bool)> = b.rows.iter().map(|x| (x.conn_id, x.deleted)).collect();
            let rows_d: Vec<(i64, bool)> = d.rows.iter().map(|x| (x.conn_id, x.deleted)).collect();
            // The initiator always has one (a refused responder deleted its own).
            assert!(node == 1 || !rows_b.is_empty(), "{name} R1: {brief}");
            assert_eq!(rows_b, rows_d, "{name} R{}:\n{brief}\n{detail}", node + 1);
        }
    }
}

/// The capability letters of `show crypto isakmp sa detail` and `show crypto session detail`
/// come from the same configuration: DPD configured, `D` in both; not, nothing in either.
#[tokio::test(start_paused = true)]
async fn capabilities_agree_with_the_session_view() {
    let with_dpd = |s: &mut Scenario| {
        for r in s.routers.iter_mut() {
            r.config = r.config.replacen(
                "crypto isakmp key",
                "crypto isakmp keepalive 10 3 periodic\ncrypto isakmp key",
                1,
            );
        }
    };
    for (edit, cap, session) in [
        (None, "", "Capabilities:(none)"),
        (Some(with_dpd), "D", "Capabilities:D"),
    ] {
        let r = run("healthy", |s| {
            if let Some(e) = edit {
                e(s)
            }
        })
        .await;
        let detail = r.models[0]
            .show_crypto(&CryptoShow::IsakmpSa { detail: true })
            .join("\n");
        let show::ShowOutput::IsakmpSaDetail(d) =
            show::parse(ShowKind::IsakmpSaDetail, &detail).unwrap()
        else {
            panic!("{detail}")
        };
        let row = d.rows.first().unwrap();
        assert_eq!(row.capabilities.as_deref().unwrap_or(""), cap, "{detail}");
        let sess = r.models[0]
            .show_crypto(&CryptoShow::Session { detail: true })
            .join("\n");
        assert!(
            sess.contains(&format!("{session} connid:{} ", row.conn_id)),
            "{sess}"
        );
    }
}

/// IOS-XE prints its own text: the default suites of genie's IOS-XE sample, shown by
/// `show crypto isakmp policy` only when no policy is configured; IOS 15 keeps its one
/// default suite.
#[tokio::test(start_paused = true)]
async fn isakmp_policies_print_each_generation_s_text() {
    let r = run("healthy", |_| {}).await;
    let words = |text: &str| -> Vec<String> {
        text.lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|l| !l.is_empty())
            .collect()
    };
    let sample = std::fs::read_to_string(format!(
        "{}/tests/corpus/show/genie-iosxe-ShowCryptoIsakmpDefaultPolicy-golden_output_1.txt",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let xe = r.models[1]
        .show_crypto(&CryptoShow::IsakmpDefaultPolicy)
        .join("\n");
    assert_eq!(words(&xe), words(&sample), "{xe}");
    let policy = |node: usize| {
        r.models[node]
            .show_crypto(&CryptoShow::IsakmpPolicy)
            .join("\n")
    };
    assert!(policy(1).contains("Protection suite of priority 10"));
    assert!(
        !policy(1).contains("Default protection suite"),
        "{}",
        policy(1)
    );
    assert!(
        policy(0).contains("\nDefault protection suite\n"),
        "{}",
        policy(0)
    );
    for text in [policy(0), policy(1)] {
        let parsed = show::parse(ShowKind::IsakmpPolicy, &text).unwrap();
        assert!(parsed.unparsed().is_empty(), "{text}");
    }
    let r = run("healthy", |s| {
        let cfg = &mut s.routers[1].config;
        let start = cfg.find("crypto isakmp policy 10").unwrap();
        let end = cfg.find("crypto isakmp key").unwrap();
        cfg.replace_range(start..end, "");
    })
    .await;
    let none = r.models[1]
        .show_crypto(&CryptoShow::IsakmpPolicy)
        .join("\n");
    assert!(
        none.contains("Default protection suite of priority 65507")
            && none.contains("Default protection suite of priority 65508"),
        "{none}"
    );
}

/// `show ip route` groups routes under their classful network as IOS 15 and IOS-XE do.
#[tokio::test(start_paused = true)]
async fn ip_route_heads_subnets_with_their_classful_network() {
    let r = run("healthy", |_| {}).await;
    let table = r.models[0].show_net(&NetShow::IpRoute).join("\n");
    let want = "\
Gateway of last resort is not set

      192.168.101.0/24 is variably subnetted, 2 subnets, 2 masks
C        192.168.101.0/24 is directly connected, GigabitEthernet1/0
L        192.168.101.1/32 is directly connected, GigabitEthernet1/0
S     192.168.102.0/24 [1/0] via 203.0.113.2
      203.0.113.0/24 is variably subnetted, 2 subnets, 2 masks
C        203.0.113.0/24 is directly connected, GigabitEthernet0/0
L        203.0.113.1/32 is directly connected, GigabitEthernet0/0";
    assert!(table.ends_with(want), "{table}");
}

async fn trace(r: &Run, node: usize, request: TraceRequest) -> String {
    let (sink, mut out) = PingSink::channel();
    r.models[node].traceroute(request, sink).await;
    let mut text = String::new();
    while let Ok(t) = out.try_recv() {
        text.push_str(&t);
    }
    text
}

/// `traceroute` in IOS's layout: the peer one hop away, a provider's next hop before it,
/// stars where nothing answers; through the tunnel the first probe starts IKE and is lost.
#[tokio::test(start_paused = true)]
async fn traceroute_shows_each_hop() {
    let r = run("healthy", |_| {}).await;
    let header = "Type escape sequence to abort.\nTracing the route to 203.0.113.2\nVRF info: (vrf in name/id, vrf out name/id)\n";
    let out = trace(&r, 0, TraceRequest::to("203.0.113.2".parse().unwrap())).await;
    assert_eq!(
        out,
        format!("{header}  1 203.0.113.2 1 msec 1 msec 1 msec\n")
    );

    let r = run("healthy", |s| {
        // Bring both sides back to no SA: the traceroute itself must start IKE.
        s.routers[0].faults.clear();
    })
    .await;
    r.models[0].clear_crypto(&CryptoClear::Session { remote: None });
    let out = trace(
        &r,
        0,
        TraceRequest {
            source: Some(PingSource::Interface("GigabitEthernet1/0".into())),
            ..TraceRequest::to("192.168.102.1".parse().unwrap())
        },
    )
    .await;
    assert!(out.ends_with("  1  * 203.0.113.2 1 msec 1 msec\n"), "{out}");

    // R2 reaches R1 through the provider (.254); R1 has no route back, so past the
    // provider nothing answers.
    let r = run("peer-no-route", |_| {}).await;
    let out = trace(
        &r,
        1,
        TraceRequest {
            max_ttl: 3,
            timeout_secs: 1,
            ..TraceRequest::to("198.51.100.1".parse().unwrap())
        },
    )
    .await;
    assert!(
        out.ends_with("  1 203.0.113.254 1 msec 1 msec 1 msec\n  2  *  *  * \n  3  *  *  * \n"),
        "{out}"
    );

    let out = trace(
        &r,
        0,
        TraceRequest {
            max_ttl: 3,
            probes: 2,
            timeout_secs: 1,
            ..TraceRequest::to("198.51.100.99".parse().unwrap())
        },
    )
    .await;
    assert!(
        out.ends_with("  1  *  * \n  2  *  * \n  3  *  * \n"),
        "{out}"
    );
}

#[tokio::test(start_paused = true)]
async fn clear_crypto_tears_the_sas_down() {
    let r = run("healthy", |_| {}).await;
    r.models[0].clear_crypto(&CryptoClear::Session { remote: None });
    let sa = r.models[0]
        .show_crypto(&CryptoShow::IsakmpSa { detail: false })
        .join("\n");
    assert!(!sa.contains("QM_IDLE"), "{sa}");
    let ipsec = r.models[1]
        .show_crypto(&CryptoShow::IpsecSa {
            peer: None,
            detail: false,
        })
        .join("\n");
    // The flow stays, as on IOS: its peer, zero counters, no SPI, empty SA sections.
    assert_no_sa_flow(&ipsec, "203.0.113.1");
}

/// A `show crypto ipsec sa` with the crypto ACL's flow toward `peer` and no SA behind it.
fn assert_no_sa_flow(ipsec: &str, peer: &str) {
    for want in [
        "   local  ident (addr/mask/prot/port): (192.168.",
        &format!("   current_peer {peer} port 500"),
        "     PERMIT, flags={origin_is_acl,}",
        "    #pkts encaps: 0, #pkts encrypt: 0, #pkts digest: 0",
        "    #pkts decaps: 0, #pkts decrypt: 0, #pkts verify: 0",
        &format!("remote crypto endpt.: {peer}"),
        "     current outbound spi: 0x0(0)",
        "     inbound esp sas:\n\n     inbound ah sas:",
        "     outbound esp sas:\n\n     outbound ah sas:",
    ] {
        assert!(ipsec.contains(want), "{want:?} not in\n{ipsec}");
    }
    assert!(
        !ipsec.lines().any(|l| l.trim().starts_with("spi:")),
        "{ipsec}"
    );
    let parsed = show::parse(ShowKind::IpsecSa, ipsec).unwrap();
    assert!(parsed.unparsed().is_empty(), "{:?}", parsed.unparsed());
}

/// IOS lists every crypto ACL flow whether or not an SA exists: before any traffic and when
/// phase 2 was refused, the flow is there with nothing behind it.
#[tokio::test(start_paused = true)]
async fn ipsec_sa_lists_every_acl_flow_without_an_sa() {
    let r = run("transform-mismatch", |_| {}).await;
    let show = |node: usize, detail: bool| {
        r.models[node]
            .show_crypto(&CryptoShow::IpsecSa { peer: None, detail })
            .join("\n")
    };
    assert_no_sa_flow(&show(0, false), "203.0.113.2");
    assert_no_sa_flow(&show(1, true), "203.0.113.1");
    // IOS 15 leaves the plaintext MTU out until an SA exists; IOS-XE prints the interface's.
    assert!(
        show(0, false).contains("\n     path mtu 1500, ip mtu 1500, ip mtu idb GigabitEthernet0/0")
    );
    assert!(show(1, false).contains(
        "plaintext mtu 1500, path mtu 1500, ip mtu 1500, ip mtu idb GigabitEthernet0/0/0"
    ));
    let by_peer = r.models[0]
        .show_crypto(&CryptoShow::IpsecSa {
            peer: Some("203.0.113.2".parse().unwrap()),
            detail: false,
        })
        .join("\n");
    assert!(by_peer.contains("current_peer 203.0.113.2"), "{by_peer}");
    let other = r.models[0]
        .show_crypto(&CryptoShow::IpsecSa {
            peer: Some("198.51.100.7".parse().unwrap()),
            detail: false,
        })
        .join("\n");
    assert!(!other.contains("current_peer"), "{other}");
}

#[tokio::test(start_paused = true)]
async fn a_config_line_the_lab_does_not_understand_names_file_line_and_column() {
    let mut s = Scenario::embedded("healthy").unwrap();
    s.routers[1].config = s.routers[1]
        .config
        .replace(" group 14\n", " group 14\n encr rot13\n");
    let clock = LabClock::new(1.0, SystemTime::now()).unwrap();
    let routers: Vec<Arc<Router>> = s
        .routers
        .iter()
        .map(|x| Arc::new(Router::new("healthy", x.clone(), clock.clone())))
        .collect();
    let err = build_net(&routers).unwrap_err().to_string();
    assert!(err.starts_with("healthy/r2.cfg:"), "{err}");
    let re = regex::Regex::new(r"^healthy/r2\.cfg:\d+:\d+: ").unwrap();
    assert!(re.is_match(&err), "{err}");
}

/// A corpus or lab line with what differs between any two runs taken out: timestamp, SA
/// ids, addresses, SPIs, message ids, pointers, ports, column alignment.
fn normalise(line: &str) -> String {
    use std::sync::LazyLock;
    static RULES: LazyLock<Vec<(regex::Regex, &'static str)>> = LazyLock::new(|| {
        [
            // `*Oct 25 18:53:16.485: `
            (r"^\*?[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d\.\d{3}: ", ""),
            // `0x8000730939973C58`, `0xDA9E8DCA`
            (r"\b0x[0-9A-Fa-f]+\b", "P"),
            // `sa = 8000730939974E40`
            (r"\b[0-9A-F]{16}\b", "P"),
            (r"\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b", "A"),
            // `ISAKMP: (1001):`
            (r"\(\d+\)", "(N)"),
            // message ids, SPIs in decimal
            (r"\b\d{5,}\b", "N"),
            // NAT-T moves IKE to 4500 and translated source ports
            (r"\b(port|my_port|peer_port|dport|sport) \d+", "$1 N"),
            (r"\s+", " "),
        ]
        .into_iter()
        .map(|(p, r)| (regex::Regex::new(p).unwrap(), r))
        .collect()
    });
    let mut s = line.to_string();
    for (re, with) in RULES.iter() {
        s = re.replace_all(&s, *with).into_owned();
    }
    s.trim().to_string()
}

/// Every non-blank corpus line, normalised, appears in `lab` in the same order. Lines that
/// only NAT traversal prints (the corpus hub sat behind PAT; the lab has no NAT) are skipped.
fn assert_in_order(corpus_file: &str, lab: &[String]) {
    let path = format!(
        "{}/tests/corpus/debug/{corpus_file}",
        env!("CARGO_MANIFEST_DIR")
    );
    let corpus = std::fs::read_to_string(&path).unwrap();
    let lab: Vec<String> = lab.iter().map(|l| normalise(l)).collect();
    let mut at = 0;
    for (n, line) in corpus.lines().enumerate() {
        let want = normalise(line);
        if want.is_empty() || want.contains("Tunnel-UDP") {
            continue;
        }
        match lab[at..].iter().position(|l| *l == want) {
            Some(i) => at += i + 1,
            None => panic!(
                "{corpus_file}:{}: {want:?} not found in order in the lab output after line {at}:\n{}",
                n + 1,
                lab[at.saturating_sub(5)..].join("\n")
            ),
        }
    }
}

fn as_iosxe_on(router: usize, outside: Option<&'static str>) -> impl FnOnce(&mut Scenario) {
    move |s| {
        s.routers[router].log_format = crate::lab::clock::LogFormat::IosXe;
        if let Some(name) = outside {
            // The corpus router's outside interface is Ethernet0/0.
            s.routers[router].config = s.routers[router].config.replace(
                "interface GigabitEthernet0/0\n",
                &format!("interface {name}\n"),
            );
        }
    }
}

#[tokio::test(start_paused = true)]
async fn healthy_initiator_prints_the_corpus_exchange() {
    let r = run("healthy", as_iosxe_on(0, Some("Ethernet0/0"))).await;
    assert_in_order("healthy-01.log", &r.logs[0]);
}

#[tokio::test(start_paused = true)]
async fn initiator_without_a_key_prints_the_corpus_lines() {
    let r = run("psk-missing", as_iosxe_on(0, None)).await;
    assert_in_order("p1-psk-missing-01.log", &r.logs[0]);
}

/// The corpus capture runs over several quick modes (one per packet that needed the
/// tunnel); the lab's five-packet ping produces the same sequence.
#[tokio::test(start_paused = true)]
async fn proxy_mismatch_prints_the_corpus_lines_on_both_sides() {
    let r = run("acl-not-mirrored", as_iosxe_on(0, None)).await;
    assert_in_order("p2-acl-mismatch-01.log", &r.logs[1]);
    assert_in_order("p2-acl-mismatch-02.log", &r.logs[0]);
}
