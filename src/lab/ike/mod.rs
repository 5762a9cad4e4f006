//! The routers' crypto and forwarding behaviour: the [`RouterModel`] every lab router uses.
//!
//! - [`say`]: the table of debug/syslog lines and how each IOS generation prefixes them.
//! - [`exchange`]: IKEv1 main mode and quick mode as state types, decided by `crate::ios`.
//! - [`v2`]: IKEv2 (IKE_SA_INIT, IKE_AUTH, CREATE_CHILD_SA, INFORMATIONAL) the same way.
//! - [`ids`]: the SPIs, message ids and pointers each router draws.
//! - [`net`]: the virtual wire (routes, links, faults) and the SA tables.
//! - [`wire`]: runs one exchange over the wire on the lab clock.
//! - [`link`]: the wire between lab processes (one router each) as UDP datagrams.
//! - [`show`], [`show_ip`], [`show_ipsec`]: the show outputs built from that state; a protected
//!   tunnel interface's line protocol follows its IPsec SAs.
//!
//! [`IkeFactory`] parses each router's config with [`crate::ios::parse`] and refuses a config
//! line it does not understand, naming file, line and column.

pub mod exchange;
pub mod ids;
pub mod link;
pub mod net;
pub mod say;
pub mod show;
pub mod show_ip;
pub mod show_ipsec;
pub mod v2;
pub mod wire;

use crate::ios::RunningConfig;
use crate::lab::model::{
    BoxFuture, CryptoClear, CryptoShow, ModelFactory, NetShow, PingRequest, PingSink, PingSource,
    RouterModel, TraceRequest, trace_header,
};
use crate::lab::router::Router;
use crate::lab::scenario::{RouterSpec, WireFault};
use net::{Net, Node};
use std::collections::BTreeSet;
use std::net::Ipv4Addr;
use std::sync::Arc;
use std::time::Duration;

/// Builds the IKE model for every router of a scenario.
#[derive(Debug, Default, Clone, Copy)]
pub struct IkeFactory;

/// Parses a router's config; the first line `crate::ios` does not understand is an error
/// `FILE:LINE:COLUMN: message`.
pub fn parse_config(scenario: &str, spec: &RouterSpec) -> anyhow::Result<RunningConfig> {
    let parsed = crate::ios::parse(&spec.config);
    if let Some(d) = parsed.unknown.first() {
        anyhow::bail!(
            "{scenario}/{}:{}:{}: {} ({})",
            spec.config_file,
            d.line,
            d.column,
            d.message,
            d.text.trim()
        );
    }
    Ok(parsed.config)
}

/// The interface a router uses toward the other routers: the one carrying a crypto map, else
/// the one its routes use to reach another router's address.
fn outside_interfaces(cfg: &RunningConfig, others: &[&RunningConfig]) -> BTreeSet<String> {
    let mapped: BTreeSet<String> = cfg
        .interfaces
        .iter()
        .filter(|i| i.crypto_map.is_some())
        .map(|i| i.name.clone())
        .collect();
    if !mapped.is_empty() {
        return mapped;
    }
    others
        .iter()
        .flat_map(|o| o.interfaces.iter().filter_map(|i| i.address))
        .filter_map(|a| cfg.route_to(a.addr).map(|r| r.interface))
        .take(1)
        .collect()
}

fn seed(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

/// Builds the shared network for `routers`.
pub fn build_net(routers: &[Arc<Router>]) -> anyhow::Result<Arc<Net>> {
    let Some(first) = routers.first() else {
        anyhow::bail!("a lab needs at least one router");
    };
    let parsed: Vec<Arc<RunningConfig>> = routers
        .iter()
        .map(|r| parse_config(&r.scenario, &r.spec).map(Arc::new))
        .collect::<anyhow::Result<_>>()?;
    let mut nodes = Vec::with_capacity(routers.len());
    for (i, (router, cfg)) in routers.iter().zip(&parsed).enumerate() {
        let others: Vec<&RunningConfig> = routers
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .filter_map(|(j, _)| parsed.get(j).map(|c| c.as_ref()))
            .collect();
        let faults = router.spec.faults.clone();
        let link_down = if faults.contains(&WireFault::LinkDown) {
            outside_interfaces(cfg, &others)
        } else {
            BTreeSet::new()
        };
        let withdrawn = if faults.contains(&WireFault::NoRoute) {
            others
                .iter()
                .flat_map(|o| {
                    o.interfaces
                        .iter()
                        .filter_map(|i| i.address.map(|a| a.addr))
                })
                .collect()
        } else {
            Vec::new()
        };
        router.config.seed(cfg.clone());
        boot_log(router, cfg, &link_down);
        nodes.push(Node::new(router.clone(), faults, link_down, withdrawn));
    }
    let clock = first.clock.clone();
    Ok(Arc::new(Net::new(nodes, clock, seed(&first.scenario))))
}

/// What a router logged while it booted: each interface coming up (or staying down), and
/// ISAKMP switching on with the crypto map. `show logging` starts with these.
fn boot_log(router: &Router, cfg: &RunningConfig, link_down: &BTreeSet<String>) {
    use crate::lab::commands::configure_log::{isakmp_on_off, link};
    for i in &cfg.interfaces {
        let up = !i.shutdown && !link_down.contains(&i.name);
        for message in link(&i.name, up, i.shutdown) {
            router.log_boot(&message);
        }
    }
    if cfg.isakmp_enabled && cfg.interfaces.iter().any(|i| i.crypto_map.is_some()) {
        router.log_boot(&isakmp_on_off(true));
    }
}

impl ModelFactory for IkeFactory {
    fn build(&self, routers: &[Arc<Router>]) -> anyhow::Result<Vec<Arc<dyn RouterModel>>> {
        Ok(models(&build_net(routers)?, routers.len()))
    }
}

/// One model per router of `net`, each its router's view of the shared network.
pub fn models(net: &Arc<Net>, routers: usize) -> Vec<Arc<dyn RouterModel>> {
    (0..routers)
        .map(|node| {
            Arc::new(IkeModel {
                net: net.clone(),
                node,
            }) as Arc<dyn RouterModel>
        })
        .collect()
}

/// One router's view of the shared network.
pub struct IkeModel {
    pub net: Arc<Net>,
    pub node: usize,
}

impl IkeModel {
    fn ping_source(&self, request: &PingRequest) -> Option<Ipv4Addr> {
        let node = &self.net.nodes[self.node];
        match &request.source {
            Some(PingSource::Address(a)) => Some(*a),
            Some(PingSource::Interface(name)) => node
                .cfg()
                .interface(name)
                .and_then(|i| i.address)
                .map(|a| a.addr),
            None => {
                let route = node.routing().route_to(request.target)?;
                node.cfg().ike_source(&route.interface).or_else(|| {
                    node.cfg()
                        .interface(&route.interface)
                        .and_then(|i| i.address)
                        .map(|a| a.addr)
                })
            }
        }
    }
}

impl RouterModel for IkeModel {
    fn show_crypto(&self, query: &CryptoShow) -> Vec<String> {
        let now = self.net.clock.now();
        let s = self.net.lock();
        let p1: Vec<&net::P1Sa> = s.p1.iter().filter(|p| p.owner == self.node).collect();
        let p2: Vec<&net::P2Sa> = s.p2.iter().filter(|p| p.owner == self.node).collect();
        let ike2: Vec<&v2::state::IkeSa> =
            s.v2.sas.iter().filter(|x| x.owner == self.node).collect();
        match query {
            CryptoShow::IsakmpSa { detail: false } => show::isakmp_sa(&p1),
            CryptoShow::IsakmpSa { detail: true } => show::isakmp_sa_detail(
                &p1,
                |sa| if sa.dst == sa.peer { sa.src } else { sa.dst },
                now,
                show::capabilities(&self.net.nodes[self.node].cfg()),
            ),
            CryptoShow::IsakmpPolicy => show::isakmp_policy(
                &self.net.nodes[self.node].cfg(),
                self.net.nodes[self.node].router.log_format(),
            ),
            CryptoShow::IsakmpDefaultPolicy => {
                show::isakmp_default_policy(self.net.nodes[self.node].router.log_format())
            }
            CryptoShow::IpsecSa { peer, detail } => {
                show_ipsec::ipsec_sa(&self.net, self.node, &p2, *peer, *detail, now)
            }
            CryptoShow::Session { detail } => {
                show::session(&self.net, self.node, &p1, &p2, &ike2, *detail, None, now)
            }
            CryptoShow::SessionRemote { peer, detail } => show::session(
                &self.net,
                self.node,
                &p1,
                &p2,
                &ike2,
                *detail,
                Some(*peer),
                now,
            ),
            CryptoShow::IsakmpPeers => {
                show::isakmp_peers(&p1, |sa| if sa.dst == sa.peer { sa.src } else { sa.dst })
            }
            CryptoShow::TransformSets => show::transform_sets(&self.net.nodes[self.node].cfg()),
            CryptoShow::EngineConnections => show::engine_connections(&p1, &p2),
            CryptoShow::Map => show::crypto_map(&self.net, self.node, &p1),
            CryptoShow::Ikev2Sa { detail } => v2::show::ikev2_sa(&ike2, now, *detail),
            CryptoShow::Ikev2Session { detail } => {
                v2::show::ikev2_session(&ike2, &p2, now, *detail)
            }
            CryptoShow::Ikev2Proposal => v2::show::proposals(&self.net.nodes[self.node].cfg()),
            CryptoShow::Ikev2Policy => v2::show::policies(&self.net.nodes[self.node].cfg()),
            CryptoShow::Ikev2Profile => v2::show::profiles(&self.net.nodes[self.node].cfg()),
            CryptoShow::IpsecProfile => v2::show::ipsec_profiles(&self.net.nodes[self.node].cfg()),
        }
    }

    fn show_net(&self, query: &NetShow) -> Vec<String> {
        match query {
            NetShow::IpRoute => show::ip_route(&self.net, self.node),
            NetShow::IpRouteTo(addr) => show_ip::ip_route_to(&self.net, self.node, *addr),
            NetShow::Interfaces(name) => show_ip::interfaces(&self.net, self.node, name.as_deref()),
            NetShow::AccessLists => show_ip::access_lists(&self.net, self.node),
            NetShow::IpInterfaceBrief => show::ip_interface_brief(&self.net, self.node),
            NetShow::Udp => show::udp(&self.net, self.node),
        }
    }

    fn clear_crypto(&self, what: &CryptoClear) -> Vec<String> {
        let me = self.node;
        let (p1, p2, peer) = match what {
            CryptoClear::Sa { peer } => (false, true, *peer),
            CryptoClear::Session { remote } => {
                v2::run::clear(&self.net, me, *remote);
                (true, true, *remote)
            }
            CryptoClear::Isakmp { .. } => (true, false, None),
            CryptoClear::Ikev2Sa => {
                v2::run::clear(&self.net, me, None);
                return Vec::new();
            }
        };
        let hit = |owner: usize, p: Ipv4Addr| owner == me && peer.is_none_or(|x| x == p);
        let (gone, peers) = {
            let mut s = self.net.lock();
            let mut gone: Vec<(u32, u32)> = Vec::new();
            let mut peers: Vec<Ipv4Addr> = Vec::new();
            if p2 {
                gone =
                    s.p2.iter()
                        .filter(|x| hit(x.owner, x.peer))
                        .map(|x| (x.sa.in_spi, x.sa.out_spi))
                        .collect();
            }
            if p1 {
                peers =
                    s.p1.iter()
                        .filter(|x| hit(x.owner, x.peer))
                        .map(|x| x.peer)
                        .collect();
                s.p1.retain(|x| !hit(x.owner, x.peer));
            }
            (gone, peers)
        };
        if p2 {
            self.net.remove_p2(|x| hit(x.owner, x.peer));
        }
        let local: Vec<Ipv4Addr> = self.net.nodes[me]
            .cfg()
            .interfaces
            .iter()
            .filter_map(|i| i.address.map(|a| a.addr))
            .collect();
        // IOS tells the peer (a DELETE notify), so its half of each pair goes too.
        self.net.forget(me, &gone, &peers, &local);
        if !gone.is_empty() || !peers.is_empty() {
            let frame = link::Frame::Delete {
                from: me,
                gone,
                peers,
                local,
            };
            for node in 0..self.net.nodes.len() {
                self.net.to_remote(node, &frame);
            }
        }
        Vec::new()
    }

    fn traceroute(&self, request: TraceRequest, out: PingSink) -> BoxFuture<'static, ()> {
        let net = self.net.clone();
        let node = self.node;
        let source = self.ping_source(&PingRequest {
            source: request.source.clone(),
            ..PingRequest::to(request.target)
        });
        Box::pin(async move {
            out.write(trace_header(request.target));
            let Some(src) = source else {
                out.write("% Invalid source address- IP address not on any of our up interfaces\n");
                return;
            };
            IkeModel::trace(net, node, src, request, out).await;
        })
    }

    fn ping(&self, request: PingRequest, out: PingSink) -> BoxFuture<'static, ()> {
        let net = self.net.clone();
        let node = self.node;
        let source = self.ping_source(&request);
        Box::pin(async move {
            out.write("Type escape sequence to abort.\n");
            out.write(format!(
                "Sending {}, {}-byte ICMP Echos to {}, timeout is {} seconds:\n",
                request.repeat, request.size, request.target, request.timeout_secs
            ));
            let Some(src) = source else {
                out.write("% Invalid source address- IP address not on any of our up interfaces\n");
                return;
            };
            if request.source.is_some() {
                out.write(format!("Packet sent with a source address of {src} \n"));
            }
            let mut ok = 0u32;
            for _ in 0..request.repeat {
                let timeout = Duration::from_secs(u64::from(request.timeout_secs));
                if net.echo(node, src, request.target, timeout).await {
                    ok += 1;
                    net.clock.sleep(Duration::from_millis(1)).await;
                    if !out.write("!") {
                        return;
                    }
                } else {
                    if !out.write(".") {
                        return;
                    }
                }
            }
            let percent = ok * 100 / request.repeat.max(1);
            if ok > 0 {
                out.write(format!(
                    "\nSuccess rate is {percent} percent ({ok}/{}), round-trip min/avg/max = 1/1/4 ms\n",
                    request.repeat
                ));
            } else {
                out.write(format!(
                    "\nSuccess rate is 0 percent (0/{})\n",
                    request.repeat
                ));
            }
        })
    }
}

/// The hops a traceroute from `node` to `target` crosses before the router that owns it: the
/// provider's next hop when the route points at an address no lab router owns (the lab has
/// no transit routers of its own).
fn transit_hops(net: &Net, node: usize, target: Ipv4Addr) -> Vec<Ipv4Addr> {
    let Some(route) = net.nodes[node].routing().route_to(target) else {
        return Vec::new();
    };
    if route.next_hop != target && net.owner_of(route.next_hop).is_none() {
        vec![route.next_hop]
    } else {
        Vec::new()
    }
}

/// The address a router answers a probe from: its interface toward the prober, as IOS
/// sources ICMP errors; the probed address itself when it has no route back.
fn answering_address(net: &Net, target: Ipv4Addr, prober: Ipv4Addr) -> Ipv4Addr {
    let Some(owner) = net.owner_of(target) else {
        return target;
    };
    let routing = net.nodes[owner].routing();
    routing
        .route_to(prober)
        .and_then(|r| routing.interface(&r.interface).and_then(|i| i.address))
        .map_or(target, |a| a.addr)
}

impl IkeModel {
    async fn trace(
        net: Arc<Net>,
        node: usize,
        src: Ipv4Addr,
        request: TraceRequest,
        out: PingSink,
    ) {
        let transit = transit_hops(&net, node, request.target);
        let timeout = Duration::from_secs(u64::from(request.timeout_secs));
        for ttl in request.min_ttl..=request.max_ttl {
            let mut line = format!("{ttl:>3} ");
            let index = ttl.saturating_sub(1) as usize;
            if let Some(hop) = transit.get(index) {
                // The provider's router answers every probe whose TTL ends there.
                line.push_str(&format!("{hop}"));
                for _ in 0..request.probes {
                    line.push_str(" 1 msec");
                }
                if !out.write(format!("{line}\n")) {
                    return;
                }
                continue;
            }
            let mut named = false;
            for _ in 0..request.probes {
                if net.echo(node, src, request.target, timeout).await {
                    net.clock.sleep(Duration::from_millis(1)).await;
                    if named {
                        line.push_str(" 1 msec");
                    } else {
                        let from = answering_address(&net, request.target, src);
                        line.push_str(&format!("{from} 1 msec"));
                        named = true;
                    }
                } else {
                    line.push_str(" * ");
                }
            }
            if !out.write(format!("{line}\n")) || named {
                return;
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests;
