//! The model driven without SSH: both routers of a scenario, debugs on, a ping from R1, and
//! what each router printed, said and shows afterwards.

use super::*;
use crate::engine::parse::show::{self, ShowKind};
use crate::lab::clock::LabClock;
use crate::lab::router::DebugKind;
use crate::lab::scenario::Scenario;
use std::time::SystemTime;

pub(crate) struct Run {
    pub models: Vec<Arc<dyn RouterModel>>,
    pub logs: Vec<Vec<String>>,
    pub ping: String,
    pub net: Arc<Net>,
}

/// Lab seconds per real second in these tests: a five-retransmission failure (60 lab
/// seconds) takes 0.3 s.
const SPEED: f64 = 200.0;

pub(crate) async fn run(name: &str, edit: impl FnOnce(&mut Scenario)) -> Run {
    let mut scenario = Scenario::embedded(name).unwrap();
    edit(&mut scenario);
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
        r.debug.set(DebugKind::CryptoIsakmp, true);
        r.debug.set(DebugKind::CryptoIpsec, true);
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
    let request = PingRequest {
        source: Some(PingSource::Interface("GigabitEthernet1/0".into())),
        ..PingRequest::to("192.168.102.1".parse().unwrap())
    };
    models[0].ping(request, sink).await;
    let mut ping = String::new();
    while let Ok(t) = out.try_recv() {
        ping.push_str(&t);
    }
    // Let every exchange finish: five retransmissions 10 s apart, then the delete.
    clock.sleep(Duration::from_secs(65)).await;
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

#[tokio::test]
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

#[tokio::test]
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

#[tokio::test]
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
        assert!(r.logs[1].is_empty(), "{name}: R2 logged {:#?}", r.logs[1]);
        assert!(
            has(&r.logs[0], "attempt 5 of 5"),
            "{name}: {:#?}",
            r.logs[0]
        );
        assert!(
            has(
                &r.logs[0],
                "deleting SA reason \"Death by retransmission P1\" state (I) MM_NO_STATE"
            ),
            "{name}"
        );
        assert!(
            r.ping.contains("Success rate is 0 percent (0/5)"),
            "{name}: {}",
            r.ping
        );
    }
}

#[tokio::test]
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

#[tokio::test]
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

#[tokio::test]
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

#[tokio::test]
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
    assert!(!ipsec.contains("current_peer"), "{ipsec}");
}

#[tokio::test]
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

#[tokio::test]
async fn healthy_initiator_prints_the_corpus_exchange() {
    let r = run("healthy", as_iosxe_on(0, Some("Ethernet0/0"))).await;
    assert_in_order("healthy-01.log", &r.logs[0]);
}

#[tokio::test]
async fn initiator_without_a_key_prints_the_corpus_lines() {
    let r = run("psk-missing", as_iosxe_on(0, None)).await;
    assert_in_order("p1-psk-missing-01.log", &r.logs[0]);
}

/// The corpus capture runs over several quick modes (one per packet that needed the
/// tunnel); the lab's five-packet ping produces the same sequence.
#[tokio::test]
async fn proxy_mismatch_prints_the_corpus_lines_on_both_sides() {
    let r = run("acl-not-mirrored", as_iosxe_on(0, None)).await;
    assert_in_order("p2-acl-mismatch-01.log", &r.logs[1]);
    assert_in_order("p2-acl-mismatch-02.log", &r.logs[0]);
}
