//! Background traffic: users behind the lab's routers pinging across their tunnels, so SAs
//! come up and their packet counters move on their own, as they do on a router in service.
//! Scheduled health checks need it: without traffic every healthy lab tunnel would be idle.
//!
//! Each flow is one router sending an echo from its side of a crypto ACL to the far side, once
//! per interval of lab time. The packets take the same path as a `ping` typed on the router:
//! interesting traffic with no SA starts IKE, and a broken tunnel keeps failing to negotiate.

use super::ike::net::Net;
use crate::ios::acl::Action;
use crate::ios::addr::first_host;
use std::net::Ipv4Addr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// How long an echo waits for its reply, in lab time (IOS's ping default).
const ECHO_TIMEOUT: Duration = Duration::from_secs(2);

/// One router's traffic across one crypto map entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flow {
    /// The sending router's index in the network.
    pub node: usize,
    pub src: Ipv4Addr,
    pub dst: Ipv4Addr,
}

/// The first permitted flow of every crypto map entry of `node`, sourced from the router's
/// own address inside the protected network where it has one.
pub fn flows_of(net: &Net, node: usize) -> Vec<Flow> {
    let Some(n) = net.nodes.get(node) else {
        return Vec::new();
    };
    let cfg = n.cfg();
    let mut out = Vec::new();
    for entry in &cfg.crypto_maps {
        let Some(acl) = entry.acl.as_deref().and_then(|a| cfg.access_list(a)) else {
            continue;
        };
        let Some(first) = acl.entries.iter().find(|e| e.action == Action::Permit) else {
            continue;
        };
        let host = first_host(first.src.addr);
        let src = cfg
            .interface_for(host)
            .and_then(|i| i.address)
            .map_or(host, |a| a.addr);
        let flow = Flow {
            node,
            src,
            dst: first_host(first.dst.addr),
        };
        if !out.contains(&flow) {
            out.push(flow);
        }
    }
    out
}

/// Every router's flows.
pub fn flows(net: &Net) -> Vec<Flow> {
    (0..net.nodes.len())
        .filter(|n| !net.is_remote(*n))
        .flat_map(|n| flows_of(net, n))
        .collect()
}

/// Sends one echo per flow every `every` of lab time until `stop` turns true. The flows start
/// spread over the first interval, so a thousand of them do not fire in the same instant.
pub fn start(net: Arc<Net>, flows: Vec<Flow>, every: Duration, stop: watch::Receiver<bool>) {
    let count = flows.len().max(1) as u32;
    for (i, flow) in flows.into_iter().enumerate() {
        let net = net.clone();
        let mut stop = stop.clone();
        let offset = every / count * i as u32;
        tokio::spawn(async move {
            let send = async {
                net.clock.sleep(offset).await;
                loop {
                    net.echo(flow.node, flow.src, flow.dst, ECHO_TIMEOUT).await;
                    net.clock.sleep(every).await;
                }
            };
            tokio::select! {
                _ = send => {}
                _ = stop.wait_for(|s| *s) => {}
            }
        });
    }
}
