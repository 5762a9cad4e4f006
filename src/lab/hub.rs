//! Hub and spokes: one hub router whose crypto map has an entry per spoke, and the spokes,
//! healthy and broken in a fixed mix, with users' traffic crossing most of the tunnels. It is
//! what `ipsec-doctor lab --hub N` and `health --lab --hub N` run, and what shows that a health
//! check logs into the hub once however many tunnels it carries.
//!
//! The configurations are generated, not shipped: spoke k (1-based) has its outside address
//! in 198.19.0.0/16 and protects 10.x.y.0/24 (x.y = k); the hub protects 172.16.0.0/16 and
//! reaches everyone through a provider next hop that no lab router owns. The mix repeats
//! every ten spokes (see [`SpokeKind::of`]); the hub also keeps one entry toward a spoke that
//! was taken away, which no inventory tunnel pairs.

use super::clock::{LabClock, LogFormat};
use super::ike::IkeModel;
use super::ike::build_net;
use super::ike::net::Net;
use super::model::RouterModel;
use super::router::Router;
use super::scenario::{RouterSpec, TunnelSpec, WireFault};
use super::{Lab, LabError, LabHandle, LabOptions, traffic};
use crate::secret::Secret;
use std::fmt::Write;
use std::future::Future;
use std::net::Ipv4Addr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// The scenario name every router of a hub lab carries (it seeds their host keys).
pub const HUB_SCENARIO: &str = "hub";
pub const HUB_ROUTER: &str = "hub";
/// The address of a spoke that was removed; the hub still has an entry toward it.
pub const GONE_SPOKE: Ipv4Addr = Ipv4Addr::new(198, 19, 255, 1);
/// Lab time between two echoes of one flow of users' traffic.
pub const TRAFFIC_EVERY: Duration = Duration::from_secs(1);
const MIN_NUMBER_WIDTH: usize = 4;

#[derive(Debug, thiserror::Error)]
pub enum HubError {
    #[error("a hub lab needs at least one spoke")]
    NoSpokes,
    #[error("a hub lab has at most 65535 spokes")]
    TooMany,
    #[error("generated configuration: {0:#}")]
    Config(anyhow::Error),
    #[error(transparent)]
    Lab(#[from] LabError),
}

/// What a spoke is like; the finding and state a health check must report follow from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpokeKind {
    /// Sound configuration and traffic: the tunnel is up, counters moving.
    Healthy,
    /// Sound configuration, nobody sends anything: no SA, not an alarm.
    Idle,
    /// As `Idle`, but the inventory marks the tunnel `always_on`: no SA is an alarm.
    IdleAlwaysOn,
    /// The spoke's pre-shared key for the hub differs from the hub's for it.
    PskMismatch,
    /// The spoke's transform set shares nothing with the hub's.
    TransformMismatch,
    /// The spoke's crypto ACL names another network than the hub's mirror image.
    AclNotMirrored,
    /// ESP toward the spoke is dropped on the path: the hub encrypts, the spoke never decrypts.
    OneWay,
}

impl SpokeKind {
    /// The kind of spoke `k` (1-based): a pattern of ten, the first idle spoke always-on.
    pub fn of(k: usize) -> SpokeKind {
        match k % 10 {
            3 if k == 3 => SpokeKind::IdleAlwaysOn,
            3 => SpokeKind::Idle,
            4 => SpokeKind::PskMismatch,
            6 => SpokeKind::TransformMismatch,
            7 => SpokeKind::OneWay,
            9 => SpokeKind::AclNotMirrored,
            _ => SpokeKind::Healthy,
        }
    }

    /// The finding code a diagnosis of this spoke's tunnel must contain.
    pub fn expect(self) -> &'static str {
        match self {
            SpokeKind::Healthy => "TUNNEL_UP",
            SpokeKind::Idle | SpokeKind::IdleAlwaysOn => "-",
            SpokeKind::PskMismatch => "P1_PSK_MISMATCH",
            SpokeKind::TransformMismatch => "P2_TRANSFORM_MISMATCH",
            SpokeKind::AclNotMirrored => "P2_PROXY_ID_MISMATCH",
            SpokeKind::OneWay => "ONE_WAY_TRAFFIC",
        }
    }

    /// Whether users behind the spoke and the hub send traffic across this tunnel.
    fn has_traffic(self) -> bool {
        !matches!(self, SpokeKind::Idle | SpokeKind::IdleAlwaysOn)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SpokeKind::Healthy => "healthy",
            SpokeKind::Idle => "idle",
            SpokeKind::IdleAlwaysOn => "idle-always-on",
            SpokeKind::PskMismatch => "psk-mismatch",
            SpokeKind::TransformMismatch => "transform-mismatch",
            SpokeKind::AclNotMirrored => "acl-not-mirrored",
            SpokeKind::OneWay => "one-way-traffic",
        }
    }
}

/// One spoke of a running hub lab.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubSpoke {
    /// `hub-spoke0001`: the inventory's tunnel name.
    pub tunnel: String,
    /// `spoke0001`: the router's name.
    pub router: String,
    pub kind: SpokeKind,
    pub outside: Ipv4Addr,
}

/// Entry point: `HubLab::start(...)`.
pub struct HubLab;

impl HubLab {
    /// Starts the hub and `spokes` spokes, and the users' traffic. With `options.base_port`
    /// P, the hub listens on P and spoke k on P+k. Stops like [`Lab::start`].
    pub async fn start(
        spokes: usize,
        options: LabOptions,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<HubHandle, HubError> {
        if spokes == 0 {
            return Err(HubError::NoSpokes);
        }
        if spokes > 65535 {
            return Err(HubError::TooMany);
        }
        let clock = LabClock::new(
            options.speed,
            options.start_time.unwrap_or_else(SystemTime::now),
        )
        .map_err(LabError::from)?;
        let width = spokes.to_string().len().max(MIN_NUMBER_WIDTH);
        let list: Vec<HubSpoke> = (1..=spokes)
            .map(|k| HubSpoke {
                tunnel: format!("hub-spoke{k:0width$}"),
                router: format!("spoke{k:0width$}"),
                kind: SpokeKind::of(k),
                outside: spoke_outside(k),
            })
            .collect();
        let mut routers = Vec::with_capacity(spokes + 1);
        routers.push(Arc::new(Router::new(
            HUB_SCENARIO,
            spec(
                HUB_ROUTER,
                hub_config(&list),
                LogFormat::Ios15,
                Vec::new(),
                1,
            ),
            clock.clone(),
        )));
        for (i, s) in list.iter().enumerate() {
            let k = i + 1;
            let faults = if s.kind == SpokeKind::OneWay {
                vec![WireFault::EspFiltered]
            } else {
                Vec::new()
            };
            let format = if k % 2 == 0 {
                LogFormat::IosXe
            } else {
                LogFormat::Ios15
            };
            routers.push(Arc::new(Router::new(
                HUB_SCENARIO,
                spec(&s.router, spoke_config(k, s), format, faults, 2),
                clock.clone(),
            )));
        }
        let net = build_net(&routers).map_err(HubError::Config)?;
        let models: Vec<Arc<dyn RouterModel>> = (0..routers.len())
            .map(|node| {
                Arc::new(IkeModel {
                    net: net.clone(),
                    node,
                }) as Arc<dyn RouterModel>
            })
            .collect();
        let tunnels = list
            .iter()
            .map(|s| TunnelSpec {
                name: s.tunnel.clone(),
                a: HUB_ROUTER.to_string(),
                b: s.router.clone(),
            })
            .collect();
        let lab = Lab::serve(
            HUB_SCENARIO.to_string(),
            routers,
            models,
            tunnels,
            &options,
            shutdown,
        )?;
        let flows = users_traffic(&net, &list);
        traffic::start(net.clone(), flows, TRAFFIC_EVERY, lab.stopping());
        Ok(HubHandle {
            lab,
            spokes: list,
            net,
        })
    }
}

/// The flows users send: every tunnel but the idle ones, from both ends, and the hub's
/// traffic toward the spoke that is gone (it keeps trying, as a real hub would).
fn users_traffic(net: &Net, spokes: &[HubSpoke]) -> Vec<traffic::Flow> {
    let mut flows = Vec::new();
    let quiet: Vec<Ipv4Addr> = spokes
        .iter()
        .filter(|s| !s.kind.has_traffic())
        .map(|s| spoke_lan(index_of(s)).0)
        .collect();
    for f in traffic::flows_of(net, 0) {
        if !quiet.contains(&f.dst) {
            flows.push(f);
        }
    }
    for (i, s) in spokes.iter().enumerate() {
        if s.kind.has_traffic() {
            flows.extend(traffic::flows_of(net, i + 1));
        }
    }
    flows
}

fn index_of(s: &HubSpoke) -> usize {
    s.router
        .trim_start_matches("spoke")
        .parse()
        .unwrap_or_default()
}

/// A running hub lab.
pub struct HubHandle {
    lab: LabHandle,
    spokes: Vec<HubSpoke>,
    net: Arc<Net>,
}

impl HubHandle {
    pub fn lab(&self) -> &LabHandle {
        &self.lab
    }

    pub fn spokes(&self) -> &[HubSpoke] {
        &self.spokes
    }

    /// The shared network (SA tables), for tests that look behind the routers' backs.
    pub fn net(&self) -> &Arc<Net> {
        &self.net
    }

    /// The lab's inventory with the always-on spokes' tunnels marked `always_on: true`.
    pub fn inventory_yaml(&self) -> Result<String, LabError> {
        let text = self.lab.inventory_yaml()?;
        let mut doc: serde_json::Value = crate::yaml::from_str("<hub inventory>", &text)?;
        if let Some(tunnels) = doc.get_mut("tunnels").and_then(|t| t.as_array_mut()) {
            for t in tunnels {
                let name = t.get("name").and_then(|n| n.as_str()).unwrap_or_default();
                let always_on = self
                    .spokes
                    .iter()
                    .any(|s| s.tunnel == name && s.kind == SpokeKind::IdleAlwaysOn);
                if always_on && let Some(obj) = t.as_object_mut() {
                    obj.insert("always_on".into(), serde_json::Value::Bool(true));
                }
            }
        }
        Ok(crate::yaml::to_string(&doc)?)
    }

    /// Writes [`HubHandle::inventory_yaml`], readable by the owner only.
    pub fn write_inventory(&self, path: &std::path::Path) -> Result<(), LabError> {
        super::write_private(path, &self.inventory_yaml()?)
    }

    pub fn into_lab(self) -> LabHandle {
        self.lab
    }

    pub async fn stop(self) {
        self.lab.stop().await;
    }
}

fn spec(
    name: &str,
    config: String,
    log_format: LogFormat,
    faults: Vec<WireFault>,
    credentials: u8,
) -> RouterSpec {
    let (password, enable) = if credentials == 1 {
        ("hubpass1", "hubenable1")
    } else {
        ("spokepass1", "spokeenable1")
    };
    RouterSpec {
        name: name.to_string(),
        config_file: format!("{name}.cfg (generated)"),
        config,
        username: "admin".into(),
        password: Secret::new(password),
        enable_secret: Secret::new(enable),
        log_format,
        ntp: false,
        ssh_port: None,
        faults,
    }
}

/// Spoke k's outside address: 198.19.H.L, 200 spokes per /24.
pub fn spoke_outside(k: usize) -> Ipv4Addr {
    let i = k - 1;
    Ipv4Addr::new(198, 19, (i / 200) as u8, (i % 200 + 1) as u8)
}

/// Spoke k's inside network 10.x.y.0/24 as (its first host, the network).
fn spoke_lan(k: usize) -> (Ipv4Addr, Ipv4Addr) {
    let (x, y) = ((k / 256) as u8, (k % 256) as u8);
    (Ipv4Addr::new(10, x, y, 1), Ipv4Addr::new(10, x, y, 0))
}

const HEADER: &str = "!\nversion 15.2\nservice timestamps debug datetime msec\nservice timestamps log datetime msec\nno service password-encryption\n!\n";
const TAIL: &str = "!\nline vty 0 4\n login local\n transport input ssh\n!\nend\n";
const PHASE1: &str =
    "crypto isakmp policy 10\n encr aes 256\n authentication pre-share\n group 14\n";

fn key_for(k: usize) -> String {
    format!("Hub-Key-{k:04}")
}

fn hub_config(spokes: &[HubSpoke]) -> String {
    let mut c = String::with_capacity(spokes.len() * 300 + 1024);
    c.push_str(HEADER);
    c.push_str("hostname hub\n!\n");
    c.push_str(PHASE1);
    for (i, s) in spokes.iter().enumerate() {
        let _ = writeln!(
            c,
            "crypto isakmp key {} address {}",
            key_for(i + 1),
            s.outside
        );
    }
    let _ = writeln!(c, "crypto isakmp key Hub-Key-Gone address {GONE_SPOKE}");
    c.push_str("!\ncrypto ipsec transform-set TS esp-aes 256 esp-sha-hmac\n mode tunnel\n!\n");
    let entry = |c: &mut String, seq: usize, peer: Ipv4Addr, acl: &str| {
        let _ = writeln!(
            c,
            "crypto map HUB {seq} ipsec-isakmp\n set peer {peer}\n set transform-set TS\n match address {acl}"
        );
    };
    for (i, s) in spokes.iter().enumerate() {
        entry(
            &mut c,
            (i + 1) * 10,
            s.outside,
            &format!("SPOKE-{:04}", i + 1),
        );
    }
    entry(&mut c, 65000, GONE_SPOKE, "SPOKE-GONE");
    c.push_str("!\ninterface GigabitEthernet0/0\n ip address 198.18.0.1 255.255.255.0\n crypto map HUB\n!\n");
    c.push_str("interface GigabitEthernet1/0\n ip address 172.16.0.1 255.255.0.0\n!\n");
    c.push_str("ip route 0.0.0.0 0.0.0.0 198.18.0.254\n!\n");
    for i in 0..spokes.len() {
        let (_, net) = spoke_lan(i + 1);
        let _ = writeln!(
            c,
            "ip access-list extended SPOKE-{:04}\n permit ip 172.16.0.0 0.0.255.255 {net} 0.0.0.255",
            i + 1
        );
    }
    c.push_str(
        "ip access-list extended SPOKE-GONE\n permit ip 172.16.0.0 0.0.255.255 10.255.255.0 0.0.0.255\n",
    );
    c.push_str(TAIL);
    c
}

fn spoke_config(k: usize, s: &HubSpoke) -> String {
    let (inside, lan) = spoke_lan(k);
    let outside = s.outside;
    let gateway = Ipv4Addr::new(
        outside.octets()[0],
        outside.octets()[1],
        outside.octets()[2],
        254,
    );
    let key = if s.kind == SpokeKind::PskMismatch {
        format!("Spoke-Key-{k:04}")
    } else {
        key_for(k)
    };
    let transform = if s.kind == SpokeKind::TransformMismatch {
        "esp-3des esp-md5-hmac"
    } else {
        "esp-aes 256 esp-sha-hmac"
    };
    let remote = if s.kind == SpokeKind::AclNotMirrored {
        "172.17.0.0"
    } else {
        "172.16.0.0"
    };
    let mut c = String::with_capacity(1024);
    c.push_str(HEADER);
    let _ = write!(
        c,
        "hostname {name}\n!\n{PHASE1}crypto isakmp key {key} address 198.18.0.1\n!\n\
         crypto ipsec transform-set TS {transform}\n mode tunnel\n!\n\
         crypto map VPN 10 ipsec-isakmp\n set peer 198.18.0.1\n set transform-set TS\n match address 101\n!\n\
         interface GigabitEthernet0/0\n ip address {outside} 255.255.255.0\n crypto map VPN\n!\n\
         interface GigabitEthernet1/0\n ip address {inside} 255.255.255.0\n!\n\
         ip route 0.0.0.0 0.0.0.0 {gateway}\n!\n\
         access-list 101 permit ip {lan} 0.0.0.255 {remote} 0.0.255.255\n",
        name = s.router,
    );
    c.push_str(TAIL);
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mix_repeats_every_ten_with_one_always_on() {
        let kinds: Vec<SpokeKind> = (1..=20).map(SpokeKind::of).collect();
        assert_eq!(kinds[2], SpokeKind::IdleAlwaysOn);
        assert_eq!(kinds[12], SpokeKind::Idle);
        assert_eq!(kinds[3], SpokeKind::PskMismatch);
        assert_eq!(kinds[13], SpokeKind::PskMismatch);
        assert_eq!(
            kinds.iter().filter(|k| **k == SpokeKind::Healthy).count(),
            10
        );
    }

    #[test]
    fn generated_configs_parse_without_unknown_lines() {
        let spokes: Vec<HubSpoke> = (1..=12)
            .map(|k| HubSpoke {
                tunnel: format!("hub-spoke{k:04}"),
                router: format!("spoke{k:04}"),
                kind: SpokeKind::of(k),
                outside: spoke_outside(k),
            })
            .collect();
        let hub = crate::ios::parse(&hub_config(&spokes));
        assert!(hub.unknown.is_empty(), "{:?}", hub.unknown);
        assert_eq!(hub.config.crypto_maps.len(), 13);
        assert!(hub.config.access_list("SPOKE-0012").is_some());
        for (i, s) in spokes.iter().enumerate() {
            let p = crate::ios::parse(&spoke_config(i + 1, s));
            assert!(p.unknown.is_empty(), "{}: {:?}", s.router, p.unknown);
        }
        assert_eq!(spoke_outside(201), Ipv4Addr::new(198, 19, 1, 1));
    }

    #[tokio::test]
    async fn a_hub_lab_serves_and_its_inventory_marks_always_on() {
        let options = LabOptions {
            speed: 20.0,
            ..LabOptions::default()
        };
        let hub = HubLab::start(4, options, std::future::pending())
            .await
            .unwrap();
        assert_eq!(hub.lab().routers().len(), 5);
        let inv = hub.inventory_yaml().unwrap();
        let parsed = crate::inventory::Inventory::from_yaml("x", &inv, &|_| None).unwrap();
        let always: Vec<&str> = parsed
            .tunnels
            .iter()
            .filter(|t| t.always_on)
            .map(|t| t.name.as_str())
            .collect();
        assert_eq!(always, ["hub-spoke0003"]);
        tokio::time::timeout(Duration::from_secs(2), hub.stop())
            .await
            .unwrap();
    }
}
