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
    let clock = LabClock::new(SPEED, SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_688_142)).unwrap();
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
        .map(|node| Arc::new(IkeModel { net: net.clone(), node }) as Arc<dyn RouterModel>)
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
    Run { models, logs, ping, net }
}

fn has(log: &[String], text: &str) -> bool {
    log.iter().any(|l| l.contains(text))
}

#[tokio::test]
async fn healthy_tunnel_comes_up_and_counts_packets() {
    let r = run("healthy", |_| {}).await;
    assert!(r.ping.contains(".!!!!"), "{}", r.ping);
    assert!(r.ping.contains("Success rate is 80 percent (4/5)"), "{}", r.ping);
    assert!(has(&r.logs[0], "ISAKMP:(1001):Old State = IKE_QM_IPSEC_INSTALL_AWAIT  New State = IKE_QM_PHASE2_COMPLETE"), "{:#?}", r.logs[0]);
    assert!(has(&r.logs[1], "ISAKMP: (1001):Successfully installed IPSEC SA (SPI:0x"), "{:#?}", r.logs[1]);
    let sa = r.models[0].show_crypto(&CryptoShow::IpsecSa { peer: None, detail: false }).join("\n");
    let parsed = show::parse(ShowKind::IpsecSa, &sa).unwrap();
    assert!(parsed.unparsed().is_empty(), "{sa}\n{:?}", parsed.unparsed());
    assert!(sa.contains("#pkts encaps: 4, #pkts encrypt: 4"), "{sa}");
    assert!(sa.contains("#pkts decaps: 4,"), "{sa}");
    let sa2 = r.models[1].show_crypto(&CryptoShow::IpsecSa { peer: None, detail: false }).join("\n");
    assert!(sa2.contains("#pkts decaps: 4,") && sa2.contains("#pkts encaps: 4,"), "{sa2}");
    drop(r.net);
}

#[tokio::test]
async fn every_show_output_parses_with_nothing_left_over() {
    let r = run("healthy", |_| {}).await;
    let cases: Vec<(ShowKind, Vec<String>)> = vec![
        (ShowKind::IsakmpSa, r.models[0].show_crypto(&CryptoShow::IsakmpSa { detail: false })),
        (ShowKind::IsakmpSaDetail, r.models[0].show_crypto(&CryptoShow::IsakmpSa { detail: true })),
        (ShowKind::IpsecSa, r.models[1].show_crypto(&CryptoShow::IpsecSa { peer: None, detail: false })),
        (ShowKind::CryptoSession, r.models[0].show_crypto(&CryptoShow::Session { detail: false })),
        (ShowKind::CryptoSession, r.models[1].show_crypto(&CryptoShow::Session { detail: true })),
        (ShowKind::CryptoMap, r.models[0].show_crypto(&CryptoShow::Map)),
        (ShowKind::IsakmpPolicy, r.models[1].show_crypto(&CryptoShow::IsakmpPolicy)),
        (ShowKind::Udp, r.models[0].show_net(&NetShow::Udp)),
        (ShowKind::IpRoute, r.models[0].show_net(&NetShow::IpRoute)),
        (ShowKind::IpInterfaceBrief, r.models[1].show_net(&NetShow::IpInterfaceBrief)),
    ];
    for (kind, lines) in cases {
        let text = lines.join("\n");
        let parsed = show::parse(kind, &text).unwrap();
        assert!(parsed.unparsed().is_empty(), "{kind:?}:\n{text}\nunparsed: {:?}", parsed.unparsed());
        println!("{kind:?}:\n{text}\n{parsed:#?}");
    }
}
