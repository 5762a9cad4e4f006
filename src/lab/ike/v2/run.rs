//! IKEv2 over the lab's wire: starting a negotiation from traffic, carrying each packet (where
//! faults may drop it), handing it to the side that must answer or to the one waiting for the
//! answer, and the timers of an SA that is up (child SA rekeys, dead peer detection).
//!
//! Every packet goes through [`send`]: inside one process the receiver handles it at once;
//! toward a router in another process it leaves as a datagram ([`super::super::link`]) and
//! comes back through [`receive`]. Answers reach whoever waits for them by (router, initiator
//! SPI, message id).

use super::established::Established;
use super::initiator::{Initiator, MAX_RETRANSMISSIONS, backoff};
use super::msg::{ChildReply, Out2, Packet};
use super::responder::Responder;
use super::state::{Ctx2, IkeStatus, WaiterKey};
use crate::ios::child_sa::{ChildOffer, map_offer, vti_offer};
use crate::ios::model::RunningConfig;
use crate::ios::phase2::interesting;
use crate::ios::tunnel::IkeVersion;
use crate::lab::clock::LabTime;
use crate::lab::ike::link::Frame;
use crate::lab::ike::net::{Net, Proto, Stamper};
use crate::lab::ike::wire::{HOP, sa_interface};
use crate::lab::router::DebugKind;
use std::net::Ipv4Addr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// The message id a waiter registers for every answer of one negotiation.
const ANY_MID: u32 = u32::MAX;

/// One router's end of an IKEv2 conversation: the router, its address, the peer's address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct End {
    pub node: usize,
    pub local: Ipv4Addr,
    pub peer: Ipv4Addr,
}

/// What started a negotiation: traffic routed into a tunnel, or traffic a crypto map entry
/// with `set ikev2-profile` matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Start {
    Vti { interface: String },
    Map { src: Ipv4Addr, dst: Ipv4Addr },
}

impl Start {
    /// How the responder learns the offer across processes: the same start, rebuilt there.
    pub fn of(offer: &ChildOffer) -> Start {
        match &offer.source {
            crate::ios::child_sa::ChildSource::Vti { interface, .. } => Start::Vti {
                interface: interface.clone(),
            },
            crate::ios::child_sa::ChildSource::CryptoMap { .. } => Start::Map {
                src: offer.selectors.local.addr,
                dst: offer.selectors.remote.addr,
            },
        }
    }
}

/// The child SA offer and the IKEv2 profile of a start, from the initiator's config now.
pub fn offer_for(
    cfg: &RunningConfig,
    start: &Start,
    peer: Ipv4Addr,
) -> Option<(ChildOffer, String)> {
    match start {
        Start::Vti { interface } => {
            let offer = vti_offer(cfg, interface).ok()?;
            let profile = cfg
                .interface(interface)?
                .tunnel
                .as_ref()?
                .protection
                .as_ref()
                .and_then(|(p, _)| cfg.ipsec_profile(p))?
                .ikev2_profile?
                .0;
            Some((offer, profile))
        }
        Start::Map { src, dst } => {
            let profile = interesting(cfg, *src, *dst)?.ikev2_profile.clone()?;
            Some((map_offer(cfg, *src, *dst, peer).ok()?, profile))
        }
    }
}

/// What applying a step left to do.
#[derive(Debug, Default)]
pub struct Applied2 {
    pub send: Vec<Packet>,
    pub timer: Option<Duration>,
    pub finished: Option<bool>,
    /// Child SAs installed: (inbound SPI, lifetime in seconds).
    pub installed: Vec<(u32, u32)>,
}

/// The context of a new exchange on `node` toward `peer`.
fn ctx2(net: &Net, node: usize, local: Ipv4Addr, peer: Ipv4Addr) -> Ctx2 {
    let n = &net.nodes[node];
    let cfg = n.cfg();
    let (session, tunnel_id) = {
        let mut s = net.lock();
        (s.v2.session_id(node, peer), s.v2.tunnel_id(node))
    };
    Ctx2 {
        tunnel: cfg.tunnel_between(local, peer).map(|(i, _)| i.name.clone()),
        interface: sa_interface(net, node, local, peer),
        cfg,
        local,
        peer,
        session,
        tunnel_id,
        now: net.clock.now(),
    }
}

/// Prints a step's lines on `node` from lab time `at` on, and records what it changed.
pub fn apply(net: &Arc<Net>, end: End, outs: Vec<Out2>, at: &mut LabTime) -> Applied2 {
    let End { node, local, peer } = end;
    let mut applied = Applied2::default();
    let Some(n) = net.nodes.get(node) else {
        return applied;
    };
    let router = &n.router;
    let mut stamper = Stamper::default();
    for out in outs {
        match out {
            Out2::Debug(text) => {
                router.debug_line_at(DebugKind::CryptoIkev2, Some(peer), &text, *at);
                stamper.tick(at);
            }
            Out2::Syslog(text) => {
                router.log_at(&text, *at);
                stamper.tick(at);
            }
            Out2::Elapse(d) => at.unix_ms += d.as_millis() as u64,
            Out2::Send(p) => applied.send.push(p),
            Out2::Timer(d) => applied.timer = Some(d),
            Out2::Sa(mut record) => {
                record.owner = node;
                let mut s = net.lock();
                match s
                    .v2
                    .sas
                    .iter_mut()
                    .find(|x| x.owner == node && x.ispi == record.ispi)
                {
                    Some(x) => *x = *record,
                    None => s.v2.sas.push(*record),
                }
            }
            Out2::SaGone { ispi } => net.lock().v2.remove_sa(node, ispi),
            Out2::Installed(sa) => {
                let conn = net.alloc_conn(node) + 1000;
                applied.installed.push((sa.in_spi, sa.lifetime_seconds));
                net.install(node, peer, local, sa, conn);
            }
            Out2::ChildrenGone { in_spis, out_spis } => {
                net.remove_p2(|p| {
                    p.owner == node
                        && (in_spis.contains(&p.sa.in_spi) || out_spis.contains(&p.sa.out_spi))
                });
            }
            Out2::AllChildrenGone => {
                net.remove_p2(|p| p.owner == node && p.peer == peer && p.sa.ike == IkeVersion::V2);
            }
            Out2::Finished { up } => applied.finished = Some(up),
        }
    }
    applied
}

/// Sends one packet from `end` to its peer.
pub fn send(net: &Arc<Net>, end: End, packet: Packet, at: &mut LabTime) {
    let End {
        node: from,
        local,
        peer,
    } = end;
    let Some(to) = net.deliver(from, peer, Proto::Udp500) else {
        return;
    };
    if to == from || !net.nodes[to].listens_ikev2() {
        return;
    }
    if net.is_remote(to) {
        if let Some(frame) = Frame::ike2(from, to, local, peer, &packet) {
            net.to_remote(to, &frame);
        }
        return;
    }
    at.unix_ms += HOP.as_millis() as u64;
    let there = End {
        node: to,
        local: peer,
        peer: local,
    };
    receive(net, there, packet, *at);
}

fn send_all(net: &Arc<Net>, end: End, packets: Vec<Packet>, at: &mut LabTime) {
    for p in packets {
        send(net, end, p, at);
    }
}

/// A packet reached `end` from its peer.
pub fn receive(net: &Arc<Net>, end: End, packet: Packet, at: LabTime) {
    let End { node, local, peer } = end;
    let ispi = packet.ispi();
    if !packet.is_request() {
        let waiter = {
            let s = net.lock();
            s.v2.waiters
                .get(&(node, ispi, packet.mid()))
                .or_else(|| s.v2.waiters.get(&(node, ispi, ANY_MID)))
                .cloned()
        };
        if let Some(tx) = waiter {
            let _ = tx.send((packet, at));
        }
        return;
    }
    let mut at = at;
    let mut up = false;
    let outs = match &packet {
        Packet::SaInitReq { .. } | Packet::AuthReq { .. } => {
            let fresh = matches!(packet, Packet::SaInitReq { .. })
                && !net
                    .lock()
                    .v2
                    .responders
                    .iter()
                    .any(|(n, i, _)| *n == node && *i == ispi);
            if fresh {
                let ctx = ctx2(net, node, local, peer);
                let Some(ids) = net.lock().ids.get(node).cloned() else {
                    return;
                };
                net.lock()
                    .v2
                    .responders
                    .push((node, ispi, Responder::new(ctx, ids, ispi)));
            }
            let mut s = net.lock();
            let Some(pos) =
                s.v2.responders
                    .iter()
                    .position(|(n, i, _)| *n == node && *i == ispi)
            else {
                return;
            };
            let r = &mut s.v2.responders[pos].2;
            let outs = r.on_packet(packet);
            if let Some(e) = r.take_established() {
                s.v2.responders.remove(pos);
                keep_established(&mut s.v2, node, peer, e);
                up = true;
            } else if r.is_gone() {
                s.v2.responders.remove(pos);
            }
            outs
        }
        _ => {
            let cfg = net.nodes[node].cfg();
            let mut s = net.lock();
            let Some(e) = s.v2.established_mut(node, ispi) else {
                return;
            };
            // A config change since the SA came up counts for the requests it answers now.
            e.ctx.cfg = cfg;
            e.on_request(packet)
        }
    };
    let applied = apply(net, end, outs, &mut at);
    send_all(net, end, applied.send, &mut at);
    if up {
        spawn_dpd(net.clone(), node, ispi);
    }
}

/// Keeps an SA that just came up; an older SA with the same peer is gone (IOS checks for a
/// duplicate SA and keeps the new one).
fn keep_established(v2: &mut super::state::V2State, node: usize, peer: Ipv4Addr, e: Established) {
    let ispi = e.ispi();
    v2.sas
        .retain(|x| !(x.owner == node && x.remote == peer && x.ispi != ispi));
    v2.established
        .retain(|(n, i, x)| !(*n == node && *i != ispi && x.ctx.peer == peer));
    v2.established.push((node, ispi, e));
}

/// Registers for the answers of one exchange; the guard removes the registration.
struct Waiter<'a> {
    net: &'a Net,
    key: WaiterKey,
    rx: mpsc::UnboundedReceiver<(Packet, LabTime)>,
}

impl<'a> Waiter<'a> {
    fn new(net: &'a Net, key: WaiterKey) -> Waiter<'a> {
        let (tx, rx) = mpsc::unbounded_channel();
        net.lock().v2.waiters.insert(key, tx);
        Waiter { net, key, rx }
    }
}

impl Drop for Waiter<'_> {
    fn drop(&mut self) {
        self.net.lock().v2.waiters.remove(&self.key);
    }
}

/// Traffic from `a` (at `local`) needs a child SA toward `peer`: a new child over the IKE SA
/// that is up, else IKE_SA_INIT and IKE_AUTH.
pub async fn run(net: Arc<Net>, a: usize, local: Ipv4Addr, peer: Ipv4Addr, start: Start) {
    let end = End {
        node: a,
        local,
        peer,
    };
    let cfg = net.nodes[a].cfg();
    if let Some((offer, profile)) = offer_for(&cfg, &start, peer) {
        let existing = {
            let s = net.lock();
            s.v2.ready_with(a, peer).map(|x| x.ispi).filter(|ispi| {
                s.v2.established
                    .iter()
                    .any(|(n, i, _)| *n == a && i == ispi)
            })
        };
        match existing {
            Some(ispi) => new_child(&net, end, ispi, None, offer, start).await,
            None => negotiate(&net, end, offer, &profile, start).await,
        }
    }
    net.lock().running.remove(&(a, peer));
}

async fn negotiate(net: &Arc<Net>, end: End, offer: ChildOffer, profile: &str, start: Start) {
    let End {
        node: a,
        local,
        peer,
    } = end;
    let Some(ids) = net.lock().ids.get(a).cloned() else {
        return;
    };
    let ctx = ctx2(net, a, local, peer);
    let mut at = net.clock.now();
    let (init, outs) = Initiator::start(ctx, ids, profile, offer);
    let Some(mut init) = init else {
        apply(net, end, outs, &mut at);
        return;
    };
    let ispi = init.ispi();
    let mut waiter = Waiter::new(net, (a, ispi, ANY_MID));
    let first = apply(net, end, outs, &mut at);
    let mut timer = first.timer;
    let mut done = first.finished.is_some();
    send_all(net, end, first.send, &mut at);
    let mut installed = Vec::new();
    while !done && !init.is_done() {
        let Some(wait) = timer.take() else {
            break;
        };
        // Due `wait` after the step that set it, in lab time, however late the task wakes.
        let due = LabTime {
            unix_ms: at.unix_ms.saturating_add(wait.as_millis() as u64),
        };
        let outs = tokio::select! {
            _ = net.clock.sleep_until(due) => {
                at = at.max(due);
                init.on_timer()
            }
            Some((p, t)) = waiter.rx.recv() => {
                at = at.max(t);
                // An answer that asks for nothing new leaves the retransmission armed.
                timer = Some(wait);
                at.unix_ms += HOP.as_millis() as u64;
                init.on_packet(p)
            }
        };
        let r = apply(net, end, outs, &mut at);
        if r.timer.is_some() {
            timer = r.timer;
        }
        done |= r.finished.is_some();
        installed.extend(r.installed);
        send_all(net, end, r.send, &mut at);
    }
    drop(waiter);
    if let Some(e) = init.take_established() {
        keep_established(&mut net.lock().v2, a, peer, e);
        spawn_dpd(net.clone(), a, ispi);
        for (in_spi, lifetime) in installed {
            spawn_rekey(net.clone(), a, ispi, in_spi, lifetime, start.clone());
        }
    }
}

/// Sends the request `outs` carry from `node`'s SA `ispi` and waits for its answer, resending
/// it on the retransmission timer; `None` when the peer never answered.
async fn exchange(
    net: &Arc<Net>,
    end: End,
    ispi: u64,
    mid: u32,
    outs: Vec<Out2>,
    wait: impl Fn(u32) -> Duration,
) -> Option<(Packet, LabTime)> {
    let node = end.node;
    let mut waiter = Waiter::new(net, (node, ispi, mid));
    let mut at = net.clock.now();
    let r = apply(net, end, outs, &mut at);
    send_all(net, end, r.send, &mut at);
    let mut attempt = 0;
    // Each resend is due its wait after the one before, in lab time, however late the task
    // wakes.
    let mut due = at;
    loop {
        due.unix_ms = due.unix_ms.saturating_add(wait(attempt).as_millis() as u64);
        tokio::select! {
            got = waiter.rx.recv() => return got,
            _ = net.clock.sleep_until(due) => {
                if attempt >= MAX_RETRANSMISSIONS {
                    return None;
                }
                let outs = {
                    let mut s = net.lock();
                    let e = s.v2.established_mut(node, ispi)?;
                    e.retransmit(attempt).0
                };
                let mut at = due;
                let r = apply(net, end, outs, &mut at);
                send_all(net, end, r.send, &mut at);
                attempt += 1;
            }
        }
    }
}

/// A child SA over the IKE SA `ispi`: a new one for traffic, or one replacing `rekey`.
async fn new_child(
    net: &Arc<Net>,
    end: End,
    ispi: u64,
    rekey: Option<u32>,
    offer: ChildOffer,
    start: Start,
) {
    let node = end.node;
    let cfg = net.nodes[node].cfg();
    let built = {
        let mut s = net.lock();
        let Some(e) = s.v2.established_mut(node, ispi) else {
            return;
        };
        e.ctx.cfg = cfg;
        e.child_request(rekey, offer)
    };
    let (outs, packet, request) = built;
    let Some((answer, mut at)) = exchange(net, end, ispi, packet.mid(), outs, backoff).await else {
        return;
    };
    let created = matches!(
        answer,
        Packet::ChildResp {
            reply: ChildReply::Created { .. },
            ..
        }
    );
    let outs = {
        let mut s = net.lock();
        let Some(e) = s.v2.established_mut(node, ispi) else {
            return;
        };
        e.on_child_answer(answer, &request, rekey)
    };
    at.unix_ms += HOP.as_millis() as u64;
    let r = apply(net, end, outs, &mut at);
    if created {
        for (in_spi, lifetime) in r.installed {
            spawn_rekey(net.clone(), node, ispi, in_spi, lifetime, start.clone());
        }
    }
}

/// The share of a child SA's lifetime after which its initiator rekeys it (IOS's soft
/// lifetime; the lab takes nine tenths).
fn soft_lifetime(seconds: u32) -> Duration {
    Duration::from_millis(u64::from(seconds) * 900)
}

/// Rekeys the child SA `in_spi` of `node` when its soft lifetime runs out, if it still
/// exists then.
fn spawn_rekey(net: Arc<Net>, node: usize, ispi: u64, in_spi: u32, lifetime: u32, start: Start) {
    tokio::spawn(async move {
        net.clock.sleep(soft_lifetime(lifetime)).await;
        let sa = {
            let s = net.lock();
            s.p2.iter()
                .find(|p| p.owner == node && p.sa.in_spi == in_spi)
                .map(|p| (p.local_addr, p.peer))
        };
        let Some((local, peer)) = sa else {
            return;
        };
        let cfg = net.nodes[node].cfg();
        let Some((offer, _)) = offer_for(&cfg, &start, peer) else {
            return;
        };
        let end = End { node, local, peer };
        new_child(&net, end, ispi, Some(in_spi), offer, start).await;
    });
}

/// Dead peer detection on `node`'s SA `ispi`, when its profile asks for periodic checks: an
/// empty INFORMATIONAL every interval, resent every `retry` seconds; a peer that never answers
/// takes the SA and its child SAs down.
fn spawn_dpd(net: Arc<Net>, node: usize, ispi: u64) {
    let sa = {
        let s = net.lock();
        s.v2.sa(node, ispi)
            .filter(|x| x.periodic_dpd)
            .and_then(|x| x.dpd.map(|d| (d, x.local, x.remote)))
    };
    let Some(((interval, retry), local, peer)) = sa else {
        return;
    };
    let end = End { node, local, peer };
    tokio::spawn(async move {
        loop {
            net.clock
                .sleep(Duration::from_secs(u64::from(interval)))
                .await;
            let built = {
                let mut s = net.lock();
                let ready =
                    s.v2.sa(node, ispi)
                        .is_some_and(|x| x.status == IkeStatus::Ready);
                match s.v2.established_mut(node, ispi) {
                    Some(e) if ready => e.dpd_request(),
                    _ => return,
                }
            };
            let (outs, packet) = built;
            let answer = exchange(&net, end, ispi, packet.mid(), outs, |_| {
                Duration::from_secs(u64::from(retry))
            })
            .await;
            let outs = {
                let mut s = net.lock();
                let Some(e) = s.v2.established_mut(node, ispi) else {
                    return;
                };
                match &answer {
                    Some((p, _)) => e.on_info_answer(p.mid()),
                    None => e.dead(),
                }
            };
            let mut at = answer.map_or_else(|| net.clock.now(), |(_, t)| t);
            apply(&net, end, outs, &mut at);
        }
    });
}

/// `clear crypto session|ikev2 sa` on `node`: each IKEv2 SA (toward `peer` only, if given)
/// is deleted here and the peer is told.
pub fn clear(net: &Arc<Net>, node: usize, peer: Option<Ipv4Addr>) {
    let built: Vec<(Ipv4Addr, Ipv4Addr, Vec<Out2>)> = {
        let mut s = net.lock();
        s.v2.established
            .iter_mut()
            .filter(|(n, _, e)| *n == node && peer.is_none_or(|p| p == e.ctx.peer))
            .map(|(_, _, e)| (e.ctx.local, e.ctx.peer, e.delete_request()))
            .collect()
    };
    for (local, peer, outs) in built {
        let end = End { node, local, peer };
        let mut at = net.clock.now();
        let r = apply(net, end, outs, &mut at);
        send_all(net, end, r.send, &mut at);
    }
    // SAs still negotiating go too.
    let mut s = net.lock();
    s.v2.sas
        .retain(|x| !(x.owner == node && peer.is_none_or(|p| p == x.remote)));
}
