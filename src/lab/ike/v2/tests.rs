//! IKEv2 and VTIs driven without SSH: both routers of a scenario, `debug crypto ikev2` on, a
//! ping from R1's LAN into the tunnel, and what each router printed and shows afterwards.

use crate::lab::ike::tests::{Run, drive};
use crate::lab::model::{CryptoShow, NetShow, PingRequest, PingSource};
use crate::lab::router::DebugKind;
use crate::lab::scenario::Scenario;
use std::time::Duration;

pub(crate) async fn run_v2(name: &str, edit: impl FnOnce(&mut Scenario)) -> Run {
    let mut scenario = Scenario::embedded(name).unwrap();
    edit(&mut scenario);
    let request = PingRequest {
        source: Some(PingSource::Interface("GigabitEthernet0/0/1".into())),
        ..PingRequest::to("192.168.102.1".parse().unwrap())
    };
    drive(
        &scenario,
        request,
        &[DebugKind::CryptoIkev2, DebugKind::CryptoIkev2],
        Duration::from_secs(70),
    )
    .await
}

fn show(r: &Run, node: usize, q: CryptoShow) -> String {
    r.models[node].show_crypto(&q).join("\n")
}

#[tokio::test]
async fn healthy_ikev2_vti_comes_up_and_carries_the_ping() {
    let r = run_v2("ikev2-vti-healthy", |_| {}).await;
    for (i, log) in r.logs.iter().enumerate() {
        println!("===== R{}", i + 1);
        for l in log {
            println!("{l}");
        }
    }
    println!("{}", r.ping);
    println!("{}", show(&r, 0, CryptoShow::Ikev2Sa { detail: true }));
    println!("{}", show(&r, 1, CryptoShow::Ikev2Session { detail: true }));
    println!(
        "{}",
        show(
            &r,
            0,
            CryptoShow::IpsecSa {
                peer: None,
                detail: false
            }
        )
    );
    println!(
        "{}",
        r.models[0].show_net(&NetShow::IpInterfaceBrief).join("\n")
    );
    assert!(
        r.ping.contains("Success rate is 80 percent (4/5)"),
        "{}",
        r.ping
    );
}
