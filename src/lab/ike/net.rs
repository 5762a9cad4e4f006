//! The virtual network: every router's parsed config, its wire faults, the SAs it holds, and
//! how a packet gets from one router to another (routes, link state, filters).
//!
//! Outside interfaces sit on one shared wire; a next hop that no lab router owns is the
//! provider, which delivers to any router address. Faults act where they would on a real
//! path: `udp500_filtered` and `esp_filtered` drop that protocol toward the router,
//! `link_down` takes its outside interface down, `no_route` withdraws its static routes
//! toward the peers.

use super::exchange::{Ids, Install, Msg, Out, Responder};
use super::link::Frame;
use super::v2::run::Start;
use super::v2::state::V2State;
use crate::ios::acl::{Packet, Protocol};
use crate::ios::model::{IsakmpPolicy, RunningConfig};
use crate::ios::phase2;
use crate::ios::tunnel::IkeVersion;
use crate::lab::clock::{LabClock, LabTime};
use crate::lab::router::{DebugKind, Router};
use crate::lab::scenario::WireFault;
use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// How many debug lines IOS gets out per millisecond of one step (the corpus captures show
/// 15 to 20 lines sharing a millisecond).
const LINES_PER_MS: u64 = 16;

/// Moves a step's lab time on as its lines are printed: IOS prints a step's lines within a
/// millisecond or so of each other.
#[derive(Debug, Default)]
pub struct Stamper(u64);

impl Stamper {
    pub fn tick(&mut self, at: &mut LabTime) {
        self.0 += 1;
        if self.0.is_multiple_of(LINES_PER_MS) {
            at.unix_ms += 1;
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proto {
    Icmp,
    Udp500,
    Esp,
}

/// One router on the wire.
#[derive(Debug)]
pub struct Node {
    pub router: Arc<Router>,
    pub faults: Vec<WireFault>,
    /// Interfaces whose link is down (`down down` in `show ip interface brief`).
    pub link_down: BTreeSet<String>,
    /// Addresses of the other routers, whose static routes a `no_route` fault withdraws.
    pub withdrawn: Vec<Ipv4Addr>,
    /// The forwarding view of the config edit it was made from.
    view: Mutex<Option<(u64, Arc<RunningConfig>)>>,
}

impl Node {
    pub fn new(
        router: Arc<Router>,
        faults: Vec<WireFault>,
        link_down: BTreeSet<String>,
        withdrawn: Vec<Ipv4Addr>,
    ) -> Node {
        Node {
            router,
            faults,
            link_down,
            withdrawn,
            view: Mutex::new(None),
        }
    }

    /// The running-config as the router reads it now.
    pub fn cfg(&self) -> Arc<RunningConfig> {
        self.router.config.typed()
    }

    /// The config as forwarding sees it: down links shut, withdrawn routes gone. Rebuilt only
    /// after configuration mode changed the running-config.
    pub fn routing(&self) -> Arc<RunningConfig> {
        let (version, cfg) = self.router.config.snapshot();
        let mut view = self.view.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((v, routing)) = view.as_ref()
            && *v == version
        {
            return routing.clone();
        }
        let mut routing = (*cfg).clone();
        for iface in routing.interfaces.iter_mut() {
            if self.link_down.contains(&iface.name) {
                iface.shutdown = true;
            }
        }
        let withdrawn = &self.withdrawn;
        routing
            .routes
            .retain(|r| !withdrawn.iter().any(|p| r.prefix.contains(*p)));
        let routing = Arc::new(routing);
        *view = Some((version, routing.clone()));
        routing
    }

    fn owns(&self, addr: Ipv4Addr) -> bool {
        self.routing()
            .interfaces
            .iter()
            .any(|i| !i.shutdown && i.owns(addr))
    }

    /// IKEv1 answers only with ISAKMP on and a crypto map or a protected tunnel up somewhere.
    pub fn listens_ike(&self) -> bool {
        self.cfg().isakmp_enabled && self.has_crypto()
    }

    /// IKEv2 answers wherever a crypto map or a protected tunnel is up (`no crypto isakmp`
    /// does not switch IKEv2 off).
    pub fn listens_ikev2(&self) -> bool {
        self.has_crypto()
    }

    fn has_crypto(&self) -> bool {
        self.routing().interfaces.iter().any(|i| {
            !i.shutdown
                && (i.crypto_map.is_some()
                    || i.tunnel.as_ref().is_some_and(|t| t.protection.is_some()))
        })
    }

    pub fn has(&self, fault: WireFault) -> bool {
        self.faults.contains(&fault)
    }
}

/// A phase 1 SA as `show crypto isakmp sa` lists it.
#[derive(Debug, Clone)]
pub struct P1Sa {
    pub owner: usize,
    pub dst: Ipv4Addr,
    pub src: Ipv4Addr,
    pub peer: Ipv4Addr,
    pub state: &'static str,
    pub conn: u32,
    pub deleted: bool,
    /// The agreed policy, once phase 1 is up.
    pub policy: Option<IsakmpPolicy>,
    /// The policy being negotiated before that: what the initiator offers first, or what
    /// the responder accepted.
    pub proposal: Option<IsakmpPolicy>,
    pub lifetime: u32,
    pub since: LabTime,
}

/// One installed IPsec SA pair (inbound and outbound) on one router.
#[derive(Debug, Clone)]
pub struct P2Sa {
    pub id: u64,
    pub owner: usize,
    pub interface: String,
    pub local_addr: Ipv4Addr,
    pub peer: Ipv4Addr,
    pub sa: Install,
    pub conn: u32,
    pub since: LabTime,
    pub encaps: u64,
    pub decaps: u64,
}

/// A phase 1 relation between two routers, kept so later quick modes reuse it.
#[derive(Debug)]
pub struct Session {
    pub a: usize,
    pub b: usize,
    pub a_addr: Ipv4Addr,
    pub b_addr: Ipv4Addr,
    pub a_conn: u32,
    pub responder: Responder,
}

#[derive(Debug)]
pub struct State {
    /// Each router's identifier source.
    pub ids: Vec<Ids>,
    next_conn: Vec<u32>,
    next_sa: u64,
    pub p1: Vec<P1Sa>,
    pub p2: Vec<P2Sa>,
    /// Exchanges in progress: (initiator, peer address).
    pub running: BTreeSet<(usize, Ipv4Addr)>,
    pub sessions: Vec<Session>,
    /// Initiators waiting for a remote responder's answers, by (initiator, peer address).
    pub replies: BTreeMap<(usize, Ipv4Addr), mpsc::UnboundedSender<Msg>>,
    /// Echo requests waiting for a reply from a remote router, by (node, source, target).
    echoes: BTreeMap<(usize, Ipv4Addr, Ipv4Addr), oneshot::Sender<()>>,
    /// Packets each access-list entry matched: (node, list, entry index) → count.
    acl_hits: BTreeMap<(usize, String, usize), u64>,
    /// IKEv2's SAs and exchanges.
    pub v2: V2State,
}

#[derive(Debug)]
pub struct Net {
    pub nodes: Vec<Node>,
    pub clock: LabClock,
    state: Mutex<State>,
    /// Set when some routers run in other processes: packets toward them leave over UDP.
    remote: OnceLock<super::link::Remote>,
}

/// What applying a step's outputs left for the wire.
#[derive(Debug, Default)]
pub struct Applied {
    pub send: Vec<Msg>,
    pub timer: Option<Duration>,
    pub finished: bool,
}

impl Net {
    pub fn new(nodes: Vec<Node>, clock: LabClock, seed: u64) -> Net {
        let n = nodes.len();
        Net {
            nodes,
            clock,
            state: Mutex::new(State {
                ids: (0..n as u64)
                    .map(|i| Ids::new(seed ^ (i + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15)))
                    .collect(),
                next_conn: vec![super::exchange::FIRST_CONN_ID; n],
                next_sa: 1,
                p1: Vec::new(),
                p2: Vec::new(),
                running: BTreeSet::new(),
                sessions: Vec::new(),
                replies: BTreeMap::new(),
                echoes: BTreeMap::new(),
                acl_hits: BTreeMap::new(),
                v2: V2State::default(),
            }),
            remote: OnceLock::new(),
        }
    }

    /// Sends packets for the routers `remote` names to their processes from now on.
    pub fn set_remote(&self, remote: super::link::Remote) -> bool {
        self.remote.set(remote).is_ok()
    }

    /// Hands `frame` to the process running `node`; false when `node` runs here.
    pub fn to_remote(&self, node: usize, frame: &super::link::Frame) -> bool {
        self.remote.get().is_some_and(|r| r.send(node, frame))
    }

    pub fn is_remote(&self, node: usize) -> bool {
        self.remote.get().is_some_and(|r| r.has(node))
    }

    pub fn lock(&self) -> MutexGuard<'_, State> {
        // Plain data: still consistent if a holder panicked.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn alloc_conn(&self, node: usize) -> u32 {
        let mut s = self.lock();
        let Some(c) = s.next_conn.get_mut(node) else {
            return super::exchange::FIRST_CONN_ID;
        };
        let id = *c;
        *c += 1;
        id
    }

    /// What `clear crypto` on router `from` takes from the others (its DELETE notify): the
    /// other halves of the SA pairs `gone` (inbound, outbound SPI), the phase 1 SAs the owners
    /// of `peers` hold toward `local`, and the sessions between them.
    pub fn forget(&self, from: usize, gone: &[(u32, u32)], peers: &[Ipv4Addr], local: &[Ipv4Addr]) {
        self.remove_p2(|x| {
            gone.iter()
                .any(|(i, o)| x.sa.in_spi == *o && x.sa.out_spi == *i)
        });
        let mut s = self.lock();
        s.p1.retain(|x| {
            !(peers.iter().any(|p| self.owner_of(*p) == Some(x.owner)) && local.contains(&x.peer))
        });
        s.sessions.retain(|x| {
            !((x.a == from || x.b == from)
                && (peers.contains(&x.a_addr) || peers.contains(&x.b_addr)))
        });
    }

    /// What `show access-lists` counts on `node`: (list, entry index, matches).
    pub fn acl_hits(&self, node: usize) -> Vec<(String, usize, u64)> {
        self.lock()
            .acl_hits
            .iter()
            .filter(|((n, _, _), _)| *n == node)
            .map(|((_, name, i), count)| (name.clone(), *i, *count))
            .collect()
    }

    /// Counts `packet` against the first entry of `acl` it matches, as IOS's counters do.
    fn count_acl(&self, node: usize, cfg: &RunningConfig, acl: &str, packet: &Packet) {
        let Some(list) = cfg.access_list(acl) else {
            return;
        };
        let Some(i) = list.entries.iter().position(|e| e.matches(packet)) else {
            return;
        };
        *self
            .lock()
            .acl_hits
            .entry((node, acl.to_string(), i))
            .or_default() += 1;
    }

    pub fn owner_of(&self, addr: Ipv4Addr) -> Option<usize> {
        self.nodes.iter().position(|n| n.owns(addr))
    }

    /// Sends one packet from `from` toward `dst`; the router it reaches, if any.
    pub fn deliver(&self, from: usize, dst: Ipv4Addr, proto: Proto) -> Option<usize> {
        let node = self.nodes.get(from)?;
        if node.owns(dst) {
            return Some(from);
        }
        let route = node.routing().route_to(dst)?;
        let target = self.owner_of(dst)?;
        if route.next_hop != dst
            && let Some(hop) = self.owner_of(route.next_hop)
            && hop != target
        {
            // Transit through a third lab router is not modelled.
            return None;
        }
        let t = &self.nodes[target];
        let filtered = match proto {
            Proto::Udp500 => t.has(WireFault::Udp500Filtered),
            Proto::Esp => t.has(WireFault::EspFiltered),
            Proto::Icmp => false,
        };
        // The far side must be able to answer on the same wire: its own route back decides
        // for replies, which go through `deliver` again.
        (!filtered).then_some(target)
    }

    /// Publishes a step's lines on `node`, stamped from lab time `at` on (which the step's
    /// processing time moves forward), and records its SA changes.
    pub fn apply(
        self: &Arc<Self>,
        node: usize,
        peer: Ipv4Addr,
        local: Ipv4Addr,
        outs: Vec<Out>,
        at: &mut LabTime,
    ) -> Applied {
        let mut applied = Applied::default();
        let Some(n) = self.nodes.get(node) else {
            return applied;
        };
        let router = &n.router;
        let mut stamper = Stamper::default();
        let mut tick = |at: &mut LabTime| stamper.tick(at);
        for out in outs {
            match out {
                Out::Isakmp(text) => {
                    router.debug_line_at(DebugKind::CryptoIsakmp, Some(peer), &text, *at);
                    tick(at);
                }
                Out::Ipsec(text) => {
                    router.debug_line_at(DebugKind::CryptoIpsec, Some(peer), &text, *at);
                    tick(at);
                }
                Out::Syslog(text) => {
                    router.log_at(&text, *at);
                    tick(at);
                }
                Out::Elapse(d) => at.unix_ms += d.as_millis() as u64,
                Out::Send(m) => applied.send.push(m),
                Out::Timer(d) => applied.timer = Some(d),
                Out::Finished { .. } => applied.finished = true,
                Out::P1State(state, conn) => self.p1_state(node, peer, local, state, conn),
                Out::P1Up { lifetime, policy } => {
                    let mut s = self.lock();
                    let now = self.clock.now();
                    if let Some(sa) =
                        s.p1.iter_mut()
                            .find(|p| p.owner == node && p.peer == peer && !p.deleted)
                    {
                        sa.policy = Some(policy);
                        sa.lifetime = lifetime;
                        sa.since = now;
                    }
                    drop(s);
                    self.expire_p1(node, peer, lifetime);
                }
                Out::P1Proposal(policy) => {
                    let mut s = self.lock();
                    if let Some(sa) =
                        s.p1.iter_mut()
                            .find(|p| p.owner == node && p.peer == peer && !p.deleted)
                    {
                        sa.proposal = Some(policy);
                    }
                }
                Out::P1Deleted => {
                    let mut s = self.lock();
                    for sa in
                        s.p1.iter_mut()
                            .filter(|p| p.owner == node && p.peer == peer)
                    {
                        sa.deleted = true;
                    }
                }
                Out::Installed(sa) => {
                    let conn = {
                        let s = self.lock();
                        s.p1.iter()
                            .find(|p| p.owner == node && p.peer == peer && !p.deleted)
                            .map_or(0, |p| p.conn)
                    };
                    self.install(node, peer, local, sa, conn + 1000);
                }
            }
        }
        applied
    }

    fn p1_state(
        &self,
        node: usize,
        peer: Ipv4Addr,
        local: Ipv4Addr,
        state: &'static str,
        conn: u32,
    ) {
        let mut s = self.lock();
        let initiator = s.running.contains(&(node, peer));
        if let Some(sa) =
            s.p1.iter_mut()
                .find(|p| p.owner == node && p.peer == peer && !p.deleted)
        {
            sa.state = state;
            sa.conn = conn;
            return;
        }
        s.p1.retain(|p| !(p.owner == node && p.peer == peer));
        let (dst, src) = if initiator {
            (peer, local)
        } else {
            (local, peer)
        };
        s.p1.push(P1Sa {
            owner: node,
            dst,
            src,
            peer,
            state,
            conn,
            deleted: false,
            policy: None,
            proposal: None,
            lifetime: 0,
            since: self.clock.now(),
        });
    }

    fn expire_p1(self: &Arc<Self>, node: usize, peer: Ipv4Addr, seconds: u32) {
        let net = self.clone();
        let since = self.clock.now();
        tokio::spawn(async move {
            net.clock
                .sleep(Duration::from_secs(u64::from(seconds)))
                .await;
            let mut s = net.lock();
            s.p1.retain(|p| !(p.owner == node && p.peer == peer && p.since == since));
            s.sessions.retain(|x| {
                !((x.a == node || x.b == node) && (x.a_addr == peer || x.b_addr == peer))
            });
        });
    }

    fn expire_p2(self: &Arc<Self>, id: u64, seconds: u32) {
        let net = self.clone();
        tokio::spawn(async move {
            net.clock
                .sleep(Duration::from_secs(u64::from(seconds)))
                .await;
            net.remove_p2(|p| p.id == id);
        });
    }

    /// Installs one SA pair on `node` toward `peer`, replacing the pair of the same flow (a
    /// rekey), and starts its lifetime. A tunnel interface's line protocol comes up with its
    /// first SA.
    pub fn install(
        self: &Arc<Self>,
        node: usize,
        peer: Ipv4Addr,
        local: Ipv4Addr,
        sa: Install,
        conn: u32,
    ) -> u64 {
        let seconds = sa.lifetime_seconds;
        let interface = sa.interface.clone();
        let was_up = self.tunnel_up(node, &interface);
        let id = {
            let mut s = self.lock();
            let id = s.next_sa;
            s.next_sa += 1;
            s.p2.retain(|p| {
                !(p.owner == node
                    && p.peer == peer
                    && p.sa.local == sa.local
                    && p.sa.remote == sa.remote)
            });
            s.p2.push(P2Sa {
                id,
                owner: node,
                interface: interface.clone(),
                local_addr: local,
                peer,
                sa,
                conn,
                since: self.clock.now(),
                encaps: 0,
                decaps: 0,
            });
            id
        };
        if !was_up {
            self.line_protocol(node, &interface, true);
        }
        self.expire_p2(id, seconds);
        id
    }

    /// Removes the SA pairs `gone` picks; a tunnel interface that loses its last one goes
    /// line protocol down. Returns how many went.
    pub fn remove_p2(&self, gone: impl Fn(&P2Sa) -> bool) -> usize {
        let (count, touched) = {
            let mut s = self.lock();
            let touched: BTreeSet<(usize, String)> =
                s.p2.iter()
                    .filter(|p| gone(p))
                    .map(|p| (p.owner, p.interface.clone()))
                    .collect();
            let before = s.p2.len();
            s.p2.retain(|p| !gone(p));
            (before - s.p2.len(), touched)
        };
        for (node, interface) in touched {
            if !self.tunnel_up(node, &interface) {
                self.line_protocol(node, &interface, false);
            }
        }
        count
    }

    /// Whether `node` holds an SA on `interface`: a VTI's line protocol follows this.
    pub fn tunnel_up(&self, node: usize, interface: &str) -> bool {
        self.lock()
            .p2
            .iter()
            .any(|p| p.owner == node && p.interface.eq_ignore_ascii_case(interface))
    }

    /// `%LINEPROTO-5-UPDOWN` for a tunnel interface whose SAs came or went.
    fn line_protocol(&self, node: usize, interface: &str, up: bool) {
        let Some(n) = self.nodes.get(node) else {
            return;
        };
        let is_tunnel = n
            .cfg()
            .interface(interface)
            .is_some_and(|i| i.tunnel.is_some());
        if is_tunnel {
            let state = if up { "up" } else { "down" };
            n.router.log_stamped(&format!(
                "%LINEPROTO-5-UPDOWN: Line protocol on Interface {interface}, changed state to {state}"
            ));
        }
    }

    /// One echo request from `from` (source `src`) to `dst`: did the reply come back within
    /// `timeout`? A lost echo costs the whole timeout, as on IOS. A reply from a router in
    /// another process arrives later, through [`Net::on_ip`].
    pub async fn echo(
        self: &Arc<Self>,
        from: usize,
        src: Ipv4Addr,
        dst: Ipv4Addr,
        timeout: Duration,
    ) -> bool {
        match self.nodes.get(from) {
            Some(n) if n.owns(dst) => return true,
            Some(_) => {}
            None => return false,
        }
        let key = (from, src, dst);
        let (tx, rx) = oneshot::channel();
        self.lock().echoes.insert(key, tx);
        let mut answered = self.send_ip(from, src, dst, false);
        if !answered {
            answered = tokio::select! {
                r = rx => r.is_ok(),
                _ = self.clock.sleep(timeout) => false,
            };
        }
        self.lock().echoes.remove(&key);
        answered
    }

    /// An IP packet from another process reached router `at`; a reply wakes its echo.
    pub fn on_ip(
        self: &Arc<Self>,
        at: usize,
        src: Ipv4Addr,
        dst: Ipv4Addr,
        is_reply: bool,
        spi: Option<u32>,
    ) {
        if self.is_remote(at) || at >= self.nodes.len() {
            return;
        }
        if self.receive_ip(at, src, dst, is_reply, spi) && is_reply {
            let waiter = self.lock().echoes.remove(&(at, dst, src));
            if let Some(tx) = waiter {
                let _ = tx.send(());
            }
        }
    }

    /// Router `at` takes a packet off the wire: ESP (`spi`) must match an inbound SA.
    fn receive_ip(
        self: &Arc<Self>,
        at: usize,
        src: Ipv4Addr,
        dst: Ipv4Addr,
        is_reply: bool,
        spi: Option<u32>,
    ) -> bool {
        if let Some(spi) = spi {
            let mut s = self.lock();
            let found =
                s.p2.iter_mut()
                    .find(|p| p.owner == at && p.sa.in_spi == spi);
            if found.map(|p| p.decaps += 1).is_none() {
                return false;
            }
        }
        self.arrive(at, src, dst, is_reply, spi.is_some())
    }

    fn send_ip(
        self: &Arc<Self>,
        from: usize,
        src: Ipv4Addr,
        dst: Ipv4Addr,
        is_reply: bool,
    ) -> bool {
        let node = &self.nodes[from];
        let Some(route) = node.routing().route_to(dst) else {
            return false;
        };
        let packet = Packet::new(Protocol::Icmp, src, dst);
        let has_map = node
            .routing()
            .interface(&route.interface)
            .is_some_and(|i| i.crypto_map.is_some());
        let cfg = node.cfg();
        if has_map && let Ok(entry) = phase2::interesting_packet(&cfg, &packet) {
            if let Some(acl) = entry.acl.as_deref() {
                self.count_acl(from, &cfg, acl, &packet);
            }
            let Some(peer) = entry.peers.first().map(|p| p.addr) else {
                return false;
            };
            let out_spi = {
                let mut s = self.lock();
                let found = s.p2.iter_mut().find(|p| {
                    p.owner == from
                        && p.peer == peer
                        && p.sa.local.matches(src)
                        && p.sa.remote.matches(dst)
                });
                found.map(|p| {
                    p.encaps += 1;
                    p.sa.out_spi
                })
            };
            let Some(out_spi) = out_spi else {
                self.start_ike(from, &route.interface, peer, &packet);
                return false;
            };
            return self.send_esp(from, peer, src, dst, is_reply, out_spi);
        }
        if let Some(sent) = self.send_vti(from, &route.interface, src, dst, is_reply) {
            return sent;
        }
        let Some(target) = self.deliver(from, dst, Proto::Icmp) else {
            return false;
        };
        let frame = Frame::Ip {
            to: target,
            src,
            dst,
            is_reply,
            spi: None,
        };
        if self.to_remote(target, &frame) {
            return false;
        }
        self.arrive(target, src, dst, is_reply, false)
    }

    /// A packet reached router `at`: IOS drops clear traffic its crypto map says must be
    /// encrypted; otherwise the router answers pings to its own addresses.
    fn arrive(
        self: &Arc<Self>,
        at: usize,
        src: Ipv4Addr,
        dst: Ipv4Addr,
        is_reply: bool,
        encrypted: bool,
    ) -> bool {
        let node = &self.nodes[at];
        if !encrypted {
            let back = Packet::new(Protocol::Icmp, dst, src);
            let routing = node.routing();
            let ingress = routing.route_to(src).map(|r| r.interface);
            let protected = phase2::interesting_packet(&node.cfg(), &back).is_ok()
                && ingress
                    .as_deref()
                    .and_then(|i| routing.interface(i))
                    .is_some_and(|i| i.crypto_map.is_some());
            if protected {
                node.router.log_stamped(&format!(
                    "%CRYPTO-4-RECVD_PKT_NOT_IPSEC: Rec'd packet not an IPSEC packet.\r\n\t(ip) vrf/dest_addr= /{dst}, src_addr= {src}, prot= 1"
                ));
                return false;
            }
        }
        if !node.owns(dst) {
            return false;
        }
        is_reply || self.send_ip(at, dst, src, true)
    }

    /// Interesting traffic with no SA: start (or join) the exchange toward `peer`.
    fn start_ike(self: &Arc<Self>, from: usize, interface: &str, peer: Ipv4Addr, packet: &Packet) {
        let cfg = self.nodes[from].cfg();
        // `set ikev2-profile` makes the entry speak IKEv2, which `no crypto isakmp` leaves on.
        let v2 = phase2::interesting_packet(&cfg, packet)
            .ok()
            .is_some_and(|e| e.ikev2_profile.is_some());
        if !v2 && !cfg.isakmp_enabled {
            return;
        }
        let Some(local) = cfg.ike_source(interface) else {
            return;
        };
        if v2 {
            if self.claim(from, peer) {
                let start = Start::Map {
                    src: packet.src,
                    dst: packet.dst,
                };
                tokio::spawn(super::v2::run::run(self.clone(), from, local, peer, start));
            }
            return;
        }
        let Ok(offer) = phase2::initiator_offer(&cfg, packet, peer) else {
            return;
        };
        if self.claim(from, peer) {
            let trigger = (packet.src, packet.dst);
            tokio::spawn(super::wire::run(
                self.clone(),
                from,
                local,
                peer,
                offer,
                trigger,
            ));
        }
    }

    /// Marks an exchange from `from` toward `peer` as running; false when one already is.
    fn claim(&self, from: usize, peer: Ipv4Addr) -> bool {
        self.lock().running.insert((from, peer))
    }

    /// One packet in ESP with the outbound SPI `spi`, to the router owning `peer`.
    fn send_esp(
        self: &Arc<Self>,
        from: usize,
        peer: Ipv4Addr,
        src: Ipv4Addr,
        dst: Ipv4Addr,
        is_reply: bool,
        spi: u32,
    ) -> bool {
        let Some(target) = self.deliver(from, peer, Proto::Esp) else {
            return false;
        };
        let frame = Frame::Ip {
            to: target,
            src,
            dst,
            is_reply,
            spi: Some(spi),
        };
        if self.to_remote(target, &frame) {
            return false;
        }
        self.receive_ip(target, src, dst, is_reply, Some(spi))
    }

    /// A packet routed into `interface`: when that is a protected tunnel, it leaves in ESP
    /// to the tunnel's destination with the tunnel's SA, or (no SA yet) starts IKE for it
    /// and is lost, as the first packet into a tunnel is. `None`: not a protected tunnel.
    fn send_vti(
        self: &Arc<Self>,
        from: usize,
        interface: &str,
        src: Ipv4Addr,
        dst: Ipv4Addr,
        is_reply: bool,
    ) -> Option<bool> {
        let cfg = self.nodes[from].cfg();
        let iface = cfg.interface(interface)?;
        let tunnel = iface.tunnel.as_ref()?;
        let (name, _) = tunnel.protection.as_ref()?;
        let Some((peer, _)) = tunnel.destination else {
            return Some(false);
        };
        let out_spi = {
            let mut s = self.lock();
            let found =
                s.p2.iter_mut()
                    .find(|p| p.owner == from && p.interface.eq_ignore_ascii_case(interface));
            found.map(|p| {
                p.encaps += 1;
                p.sa.out_spi
            })
        };
        if let Some(spi) = out_spi {
            return Some(self.send_esp(from, peer, src, dst, is_reply, spi));
        }
        let (Some(local), Some(profile)) =
            (cfg.tunnel_source_address(tunnel), cfg.ipsec_profile(name))
        else {
            return Some(false);
        };
        let interface = iface.name.clone();
        match profile.ike_version() {
            IkeVersion::V2 => {
                if self.claim(from, peer) {
                    let start = Start::Vti { interface };
                    tokio::spawn(super::v2::run::run(self.clone(), from, local, peer, start));
                }
            }
            IkeVersion::V1 => {
                let offer = super::exchange::vti_phase2_offer(&cfg, &interface);
                if let Some(offer) = offer.filter(|_| cfg.isakmp_enabled)
                    && self.claim(from, peer)
                {
                    tokio::spawn(super::wire::run(
                        self.clone(),
                        from,
                        local,
                        peer,
                        offer,
                        (src, dst),
                    ));
                }
            }
        }
        Some(false)
    }
}
