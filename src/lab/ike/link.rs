//! Routers in separate processes (`lab --only R1 --wire-peer R2=host:5500`): a packet that one
//! process's side of the virtual wire sends toward a router running elsewhere leaves as a JSON
//! UDP datagram, and a datagram that arrives is handed to the local router as if it had come
//! off the wire. Each process loads the whole scenario, so the sender applies the wire faults
//! (it knows both ends) and node numbers mean the same on both sides.
//!
//! IKE payloads are sent as references into that shared scenario: the initiator's offers are
//! rebuilt from its config, and the pre-shared key travels only as a digest, as in real IKE
//! where the peer sees a hash keyed by the secret, never the secret.

use super::exchange::Msg;
use super::net::Net;
use super::wire::{Pair, respond};
use super::{IkeModel, build_net};
use crate::ios::phase1;
use crate::lab::clock::LabClock;
use crate::lab::model::RouterModel;
use crate::lab::router::Router;
use crate::lab::scenario::Scenario;
use crate::lab::{Lab, LabHandle, LabOptions};
use crate::secret::Secret;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::SystemTime;
use tokio::net::UdpSocket;

/// One datagram between lab processes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Frame {
    /// An IKE packet of the exchange between initiator `a` and responder `b`.
    Ike {
        a: usize,
        b: usize,
        a_addr: Ipv4Addr,
        b_addr: Ipv4Addr,
        a_conn: u32,
        /// The packet that started the exchange (source, destination): the quick mode offer
        /// follows from it.
        trigger: (Ipv4Addr, Ipv4Addr),
        to_responder: bool,
        msg: WireMsg,
    },
    /// An ICMP echo or reply for router `to`, in clear or in ESP with the outbound SPI.
    Ip {
        to: usize,
        src: Ipv4Addr,
        dst: Ipv4Addr,
        is_reply: bool,
        spi: Option<u32>,
    },
    /// An IKEv2 packet from router `from` (address `from_addr`) to router `to` (`to_addr`).
    Ike2 {
        from: usize,
        to: usize,
        from_addr: Ipv4Addr,
        to_addr: Ipv4Addr,
        msg: super::v2::frame::WireIke2,
    },
    /// The DELETE notify `clear crypto` on router `from` sends its peers: the SA pairs
    /// (inbound, outbound SPI) it removed, the peers whose phase 1 it removed, its addresses.
    Delete {
        from: usize,
        gone: Vec<(u32, u32)>,
        peers: Vec<Ipv4Addr>,
        local: Vec<Ipv4Addr>,
    },
}

/// [`Msg`] as it travels between processes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum WireMsg {
    Mm1,
    /// The chosen proposal: its place in the initiator's offer, and the agreed lifetime.
    Mm2 {
        index: usize,
        lifetime: u32,
    },
    Mm1Refused,
    Mm3,
    Mm4,
    /// A digest of the key the initiator sealed MM5 with.
    Mm5 {
        key: Option<u64>,
    },
    Mm6,
    Qm1 {
        mid: u32,
        spi: u32,
    },
    Qm2 {
        mid: u32,
        spi: u32,
        lifetime: u32,
    },
    Qm3 {
        mid: u32,
    },
    Notify {
        mid: u32,
        rejected: u32,
        spi: u64,
    },
}

fn digest(key: &Secret) -> u64 {
    key.expose().bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

fn offered(net: &Net, p: &Pair) -> Vec<crate::ios::model::IsakmpPolicy> {
    net.nodes
        .get(p.a)
        .and_then(|n| phase1::offered_policies(&n.cfg(), p.b_addr).ok())
        .unwrap_or_default()
}

impl Frame {
    /// The datagram for `msg`; `None` when it cannot be expressed (no such offer).
    pub fn ike(
        net: &Net,
        p: Pair,
        trigger: (Ipv4Addr, Ipv4Addr),
        to_responder: bool,
        msg: &Msg,
    ) -> Option<Frame> {
        let msg = match msg {
            Msg::Mm1 { .. } => WireMsg::Mm1,
            Msg::Mm2 { chosen } => {
                let index = offered(net, &p).iter().position(|o| {
                    let mut o = o.clone();
                    o.lifetime = chosen.lifetime;
                    o == *chosen
                })?;
                WireMsg::Mm2 {
                    index,
                    lifetime: chosen.lifetime,
                }
            }
            Msg::Mm1Refused => WireMsg::Mm1Refused,
            Msg::Mm3 => WireMsg::Mm3,
            Msg::Mm4 => WireMsg::Mm4,
            Msg::Mm5 { sealed_with } => WireMsg::Mm5 {
                key: sealed_with.as_ref().map(digest),
            },
            Msg::Mm6 => WireMsg::Mm6,
            Msg::Qm1 { mid, spi, .. } => WireMsg::Qm1 {
                mid: *mid,
                spi: *spi,
            },
            Msg::Qm2 { mid, spi, lifetime } => WireMsg::Qm2 {
                mid: *mid,
                spi: *spi,
                lifetime: *lifetime,
            },
            Msg::Qm3 { mid } => WireMsg::Qm3 { mid: *mid },
            Msg::Notify { mid, rejected, spi } => WireMsg::Notify {
                mid: *mid,
                rejected: *rejected,
                spi: *spi,
            },
        };
        Some(Frame::Ike {
            a: p.a,
            b: p.b,
            a_addr: p.a_addr,
            b_addr: p.b_addr,
            a_conn: p.a_conn,
            trigger,
            to_responder,
            msg,
        })
    }
}

impl Frame {
    /// The datagram for an IKEv2 packet.
    pub fn ike2(
        from: usize,
        to: usize,
        from_addr: Ipv4Addr,
        to_addr: Ipv4Addr,
        packet: &super::v2::msg::Packet,
    ) -> Option<Frame> {
        Some(Frame::Ike2 {
            from,
            to,
            from_addr,
            to_addr,
            msg: super::v2::frame::encode(packet),
        })
    }
}

/// Rebuilds the [`Msg`] from the scenario; `None` for a reference that does not resolve.
fn decode(net: &Net, p: &Pair, trigger: (Ipv4Addr, Ipv4Addr), msg: WireMsg) -> Option<Msg> {
    Some(match msg {
        WireMsg::Mm1 => Msg::Mm1 {
            offer: offered(net, p),
        },
        WireMsg::Mm2 { index, lifetime } => {
            let mut chosen = offered(net, p).get(index)?.clone();
            chosen.lifetime = lifetime;
            Msg::Mm2 { chosen }
        }
        WireMsg::Mm1Refused => Msg::Mm1Refused,
        WireMsg::Mm3 => Msg::Mm3,
        WireMsg::Mm4 => Msg::Mm4,
        WireMsg::Mm5 { key } => {
            // The responder can only tell whether the initiator's key is its own.
            let own = net
                .nodes
                .get(p.b)?
                .cfg()
                .key_for(p.a_addr)
                .map(|k| k.key.secret.clone());
            let sealed_with = key.map(|d| match own {
                Some(own) if digest(&own) == d => own,
                _ => Secret::new(format!("\u{0}digest {d:016x}")),
            });
            Msg::Mm5 { sealed_with }
        }
        WireMsg::Mm6 => Msg::Mm6,
        WireMsg::Qm1 { mid, spi } => {
            let cfg = net.nodes.get(p.a)?.cfg();
            let offer = super::exchange::quick_mode_offer(&cfg, trigger, p.a_addr, p.b_addr)?;
            Msg::Qm1 {
                mid,
                spi,
                offer: Box::new(offer),
            }
        }
        WireMsg::Qm2 { mid, spi, lifetime } => Msg::Qm2 { mid, spi, lifetime },
        WireMsg::Qm3 { mid } => Msg::Qm3 { mid },
        WireMsg::Notify { mid, rejected, spi } => Msg::Notify { mid, rejected, spi },
    })
}

/// Where the routers that run in other processes are, and the socket to reach them.
#[derive(Debug)]
pub struct Remote {
    socket: Arc<UdpSocket>,
    peers: BTreeMap<usize, SocketAddr>,
}

impl Remote {
    pub fn new(socket: Arc<UdpSocket>, peers: BTreeMap<usize, SocketAddr>) -> Remote {
        Remote { socket, peers }
    }

    pub fn has(&self, node: usize) -> bool {
        self.peers.contains_key(&node)
    }

    /// Sends `frame` to the process of `node`; false when `node` is not remote. A datagram
    /// that cannot leave (buffer full, peer gone) is lost, as on a real wire.
    pub fn send(&self, node: usize, frame: &Frame) -> bool {
        let Some(addr) = self.peers.get(&node) else {
            return false;
        };
        match serde_json::to_vec(frame) {
            Ok(bytes) => {
                if let Err(e) = self.socket.try_send_to(&bytes, *addr) {
                    tracing::debug!("wire datagram to {addr} lost: {e}");
                }
            }
            Err(e) => tracing::warn!("wire frame not encoded: {e}"),
        }
        true
    }
}

/// Largest datagram the lab sends; frames are a few hundred bytes.
const MAX_DATAGRAM: usize = 8192;

/// Hands every datagram arriving on `socket` to the local routers, until the socket fails.
pub async fn receive(net: Arc<Net>, socket: Arc<UdpSocket>) {
    let mut buf = vec![0u8; MAX_DATAGRAM];
    loop {
        let len = match socket.recv_from(&mut buf).await {
            Ok((len, _)) => len,
            Err(e) => {
                // ICMP port unreachable from a peer not yet up shows here on Linux.
                tracing::debug!("wire receive: {e}");
                continue;
            }
        };
        match buf.get(..len).map(serde_json::from_slice::<Frame>) {
            Some(Ok(frame)) => on_frame(&net, frame),
            Some(Err(e)) => tracing::warn!("wire datagram ignored: {e}"),
            None => {}
        }
    }
}

/// One frame from another process, delivered to the router it is for.
pub fn on_frame(net: &Arc<Net>, frame: Frame) {
    match frame {
        Frame::Ike {
            a,
            b,
            a_addr,
            b_addr,
            a_conn,
            trigger,
            to_responder,
            msg,
        } => {
            let pair = Pair {
                a,
                b,
                a_addr,
                b_addr,
                a_conn,
            };
            let (here, there) = if to_responder { (b, a) } else { (a, b) };
            if here >= net.nodes.len() || there >= net.nodes.len() || net.is_remote(here) {
                return;
            }
            let Some(msg) = decode(net, &pair, trigger, msg) else {
                return;
            };
            if !to_responder {
                let waiting = net.lock().replies.get(&(a, b_addr)).cloned();
                if let Some(tx) = waiting {
                    let _ = tx.send(msg);
                }
                return;
            }
            if !net.nodes[b].listens_ike() {
                return;
            }
            let mut at = net.clock.now();
            for back in respond(net, pair, msg, &mut at) {
                if let Some(f) = Frame::ike(net, pair, trigger, false, &back) {
                    net.to_remote(a, &f);
                }
            }
        }
        Frame::Ike2 {
            from,
            to,
            from_addr,
            to_addr,
            msg,
        } => {
            if from >= net.nodes.len() || to >= net.nodes.len() || net.is_remote(to) {
                return;
            }
            let sender = net.nodes[from].cfg();
            let Some(packet) = super::v2::frame::decode(&sender, from_addr, to_addr, msg) else {
                return;
            };
            if packet.is_request() && !net.nodes[to].listens_ikev2() {
                return;
            }
            let end = super::v2::run::End {
                node: to,
                local: to_addr,
                peer: from_addr,
            };
            super::v2::run::receive(net, end, packet, net.clock.now());
        }
        Frame::Ip {
            to,
            src,
            dst,
            is_reply,
            spi,
        } => net.on_ip(to, src, dst, is_reply, spi),
        Frame::Delete {
            from,
            gone,
            peers,
            local,
        } => {
            if from < net.nodes.len() && net.is_remote(from) {
                net.forget(from, &gone, &peers, &local);
            }
        }
    }
}

/// Runs router `only` of `scenario` alone, its SSH server as [`Lab::start`] would run it; every
/// other router of the scenario runs in another process, named in `peers` with the UDP address
/// its wire listens on. This process's wire listens on `listen`.
pub async fn start_one(
    scenario: &Scenario,
    options: LabOptions,
    only: &str,
    listen: SocketAddr,
    peers: &[(String, SocketAddr)],
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<LabHandle> {
    let names: Vec<&str> = scenario.routers.iter().map(|r| r.name.as_str()).collect();
    let index = |name: &str| {
        names
            .iter()
            .position(|n| *n == name)
            .ok_or_else(|| anyhow::anyhow!("scenario {} has no router {name}", scenario.name))
    };
    let me = index(only)?;
    let mut remote = BTreeMap::new();
    for (name, addr) in peers {
        let node = index(name)?;
        if node == me {
            anyhow::bail!("--wire-peer {name}: that is the router this process runs");
        }
        remote.insert(node, *addr);
    }
    if let Some(missing) = names
        .iter()
        .enumerate()
        .find(|(i, _)| *i != me && !remote.contains_key(i))
    {
        anyhow::bail!(
            "router {} of {} needs a --wire-peer",
            missing.1,
            scenario.name
        );
    }
    let clock = LabClock::new(
        options.speed,
        options.start_time.unwrap_or_else(SystemTime::now),
    )?;
    let routers: Vec<Arc<Router>> = scenario
        .routers
        .iter()
        .map(|spec| Arc::new(Router::new(&scenario.name, spec.clone(), clock.clone())))
        .collect();
    let net = build_net(&routers)?;
    let socket = Arc::new(
        UdpSocket::bind(listen)
            .await
            .map_err(|e| anyhow::anyhow!("wire: cannot listen on {listen}: {e}"))?,
    );
    net.set_remote(Remote::new(socket.clone(), remote));
    tokio::spawn(receive(net.clone(), socket));
    let model = Arc::new(IkeModel { net, node: me }) as Arc<dyn RouterModel>;
    let router = routers[me].clone();
    Ok(Lab::serve(
        scenario.name.clone(),
        vec![router],
        vec![model],
        Vec::new(),
        &options,
        shutdown,
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ios::acl::{Packet, Protocol};
    use crate::ios::phase2;

    fn net(name: &str) -> Arc<Net> {
        let scenario = Scenario::embedded(name).unwrap();
        let clock = LabClock::new(1.0, SystemTime::UNIX_EPOCH).unwrap();
        let routers: Vec<Arc<Router>> = scenario
            .routers
            .iter()
            .map(|s| Arc::new(Router::new(name, s.clone(), clock.clone())))
            .collect();
        build_net(&routers).unwrap()
    }

    fn pair() -> Pair {
        Pair {
            a: 0,
            b: 1,
            a_addr: "203.0.113.1".parse().unwrap(),
            b_addr: "203.0.113.2".parse().unwrap(),
            a_conn: 1001,
        }
    }

    const TRIGGER: (Ipv4Addr, Ipv4Addr) = (
        Ipv4Addr::new(192, 168, 101, 1),
        Ipv4Addr::new(192, 168, 102, 1),
    );

    /// Through JSON and back, then rebuilt from the scenario.
    fn carry(net: &Net, msg: &Msg) -> Msg {
        let frame = Frame::ike(net, pair(), TRIGGER, true, msg).unwrap();
        let text = serde_json::to_string(&frame).unwrap();
        let Frame::Ike { msg, trigger, .. } = serde_json::from_str(&text).unwrap() else {
            panic!("{text}")
        };
        decode(net, &pair(), trigger, msg).unwrap()
    }

    #[test]
    fn offers_and_the_chosen_policy_are_rebuilt_from_the_initiators_config() {
        let net = net("healthy");
        let offer = offered(&net, &pair());
        assert!(!offer.is_empty());
        let Msg::Mm1 { offer: got } = carry(
            &net,
            &Msg::Mm1 {
                offer: offer.clone(),
            },
        ) else {
            panic!()
        };
        assert_eq!(got, offer);
        let mut chosen = offer[0].clone();
        chosen.lifetime = 3600;
        let Msg::Mm2 { chosen: got } = carry(
            &net,
            &Msg::Mm2 {
                chosen: chosen.clone(),
            },
        ) else {
            panic!()
        };
        assert_eq!(got, chosen);
        let p2 = phase2::initiator_offer(
            &net.nodes[0].cfg(),
            &Packet::new(Protocol::Icmp, TRIGGER.0, TRIGGER.1),
            pair().b_addr,
        )
        .unwrap();
        let qm1 = Msg::Qm1 {
            mid: 7,
            spi: 9,
            offer: Box::new(p2.clone()),
        };
        let Msg::Qm1 { mid, spi, offer } = carry(&net, &qm1) else {
            panic!()
        };
        assert_eq!((mid, spi, *offer), (7, 9, p2));
    }

    #[test]
    fn the_key_crosses_as_a_digest_that_only_the_same_key_matches() {
        let healthy = net("healthy");
        let own = healthy.nodes[1]
            .cfg()
            .key_for(pair().a_addr)
            .map(|k| k.key.secret.clone());
        let frame = Frame::ike(
            &healthy,
            pair(),
            TRIGGER,
            true,
            &Msg::Mm5 {
                sealed_with: own.clone(),
            },
        )
        .unwrap();
        let text = serde_json::to_string(&frame).unwrap();
        assert!(!text.contains(own.as_ref().unwrap().expose()), "{text}");
        let Msg::Mm5 { sealed_with } = carry(
            &healthy,
            &Msg::Mm5 {
                sealed_with: own.clone(),
            },
        ) else {
            panic!()
        };
        assert_eq!(sealed_with, own);
        let wrong = Some(Secret::new("not-the-key"));
        let Msg::Mm5 { sealed_with } = carry(&healthy, &Msg::Mm5 { sealed_with: wrong }) else {
            panic!()
        };
        assert!(sealed_with.is_some() && sealed_with != own);
        let Msg::Mm5 { sealed_with } = carry(&healthy, &Msg::Mm5 { sealed_with: None }) else {
            panic!()
        };
        assert_eq!(sealed_with, None);
    }

    #[test]
    fn a_datagram_that_is_not_a_frame_or_names_no_router_is_ignored() {
        let net = net("healthy");
        assert!(serde_json::from_slice::<Frame>(b"\xff\x00garbage").is_err());
        on_frame(
            &net,
            Frame::Ip {
                to: 99,
                src: TRIGGER.0,
                dst: TRIGGER.1,
                is_reply: false,
                spi: Some(1),
            },
        );
        on_frame(
            &net,
            Frame::Ike {
                a: 0,
                b: 42,
                a_addr: pair().a_addr,
                b_addr: pair().b_addr,
                a_conn: 1,
                trigger: TRIGGER,
                to_responder: true,
                msg: WireMsg::Mm2 {
                    index: 10_000,
                    lifetime: 1,
                },
            },
        );
        assert!(net.lock().p1.is_empty());
    }
}
