//! Background traffic: users behind the lab's routers pinging across their tunnels, so SAs
//! come up and their packet counters move on their own, as they do on a router in service.
//! Scheduled health checks need it: without traffic every healthy lab tunnel would be idle.
//!
//! Each flow is one router sending an echo from its side of a crypto ACL (or from its LAN into
//! a network routed through a protected tunnel) to the far side, once
//! per interval of lab time. The packets take the same path as a `ping` typed on the router:
//! interesting traffic with no SA starts IKE, and a broken tunnel keeps failing to negotiate.

use super::ike::net::Net;
use crate::ios::acl::Action;
use crate::ios::addr::first_host;
use crate::ios::model::RunningConfig;
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
    out.extend(
        tunnel_flows(&cfg, node)
            .filter(|f| !out.contains(f))
            .collect::<Vec<_>>(),
    );
    out
}

/// A route-based tunnel's traffic: from the router's first LAN address (an interface neither
/// the tunnel nor the one it is sourced from) to the first host of each network routed into
/// a protected tunnel.
fn tunnel_flows(cfg: &RunningConfig, node: usize) -> impl Iterator<Item = Flow> + '_ {
    let protected = |name: &str| {
        cfg.interface(name)
            .and_then(|i| i.tunnel.as_ref())
            .is_some_and(|t| t.protection.is_some())
    };
    let sources: Vec<Ipv4Addr> = cfg
        .tunnels()
        .filter_map(|(_, t)| cfg.tunnel_source_address(t))
        .collect();
    let lan = cfg
        .interfaces
        .iter()
        .filter(|i| !i.shutdown && i.tunnel.is_none())
        .filter_map(|i| i.address.map(|a| a.addr))
        .find(|a| !sources.contains(a));
    cfg.routes
        .iter()
        .filter(move |r| r.interface.as_deref().is_some_and(protected))
        .filter_map(move |r| {
            Some(Flow {
                node,
                src: lan?,
                dst: first_host(r.prefix.network()),
            })
        })
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
