//! Runs one exchange between an initiator and whoever owns the peer address: carries each
//! packet over the virtual network (where faults may drop it), hands it to the receiving
//! side's state, and runs the initiator's retransmission timer on the lab clock.
//!
//! The responder may run in another process ([`super::link`]): then the initiator's packets
//! leave as UDP datagrams and the answers come back through [`State::replies`].
//!
//! [`State::replies`]: super::net::State::replies

use super::exchange::{Ctx, Initiator, Msg, Responder};
use super::link::Frame;
use super::net::{Net, Proto, Session};
use crate::ios::phase2::Phase2Offer;
use crate::lab::clock::LabTime;
use std::collections::VecDeque;
use std::net::Ipv4Addr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

fn ctx(net: &Net, node: usize, local: Ipv4Addr, peer: Ipv4Addr) -> Ctx {
    let n = &net.nodes[node];
    let interface = sa_interface(net, node, local, peer);
    Ctx {
        format: n.router.log_format(),
        cfg: n.cfg().clone(),
        local,
        peer,
        interface,
    }
}

/// Where a router installs the SAs it negotiates with `peer` from `local`: the protected
/// tunnel between the two addresses, else the interface its route to the peer leaves by.
pub fn sa_interface(net: &Net, node: usize, local: Ipv4Addr, peer: Ipv4Addr) -> String {
    let n = &net.nodes[node];
    if let Some((i, _)) = n.cfg().tunnel_between(local, peer) {
        return i.name.clone();
    }
    n.routing()
        .route_to(peer)
        .map(|r| r.interface)
        .unwrap_or_default()
}

/// One IKE packet between initiator `a` (address `a_addr`) and responder `b` (`b_addr`).
#[derive(Debug, Clone, Copy)]
pub struct Pair {
    pub a: usize,
    pub b: usize,
    pub a_addr: Ipv4Addr,
    pub b_addr: Ipv4Addr,
    /// The initiator's connection id, kept with the responder's session.
    pub a_conn: u32,
}

/// How long an IKE packet takes from one router to the other on the lab's wire.
pub const HOP: Duration = Duration::from_millis(2);

/// Responder `b` takes `msg` from the initiator at lab time `at` (moved on by its work); what
/// it sends back, already checked to reach the initiator over the wire.
pub fn respond(net: &Arc<Net>, p: Pair, msg: Msg, at: &mut LabTime) -> Vec<Msg> {
    let Pair {
        a,
        b,
        a_addr: local,
        b_addr: peer,
        a_conn: conn,
    } = p;
    let fresh = matches!(msg, Msg::Mm1 { .. });
    let outs = {
        let mut s = net.lock();
        let pos = s
            .sessions
            .iter()
            .position(|x| x.a == a && x.b == b && x.b_addr == peer);
        // A new main mode replaces whatever phase 1 the pair had.
        let pos = match pos {
            Some(p) if !fresh => p,
            found => {
                if let Some(p) = found {
                    s.sessions.remove(p);
                }
                let Some(ids) = s.ids.get(b).cloned() else {
                    return Vec::new();
                };
                drop(s);
                let b_conn = net.alloc_conn(b);
                let responder = Responder::new(ctx(net, b, peer, local), ids, b_conn);
                s = net.lock();
                s.sessions.push(Session {
                    a,
                    b,
                    a_addr: local,
                    b_addr: peer,
                    a_conn: conn,
                    responder,
                });
                s.sessions.len() - 1
            }
        };
        s.sessions[pos].responder.on_msg(msg)
    };
    let back = net.apply(b, local, peer, outs, at);
    back.send
        .into_iter()
        .filter(|_| net.deliver(b, local, Proto::Udp500) == Some(a))
        .collect()
}

/// The initiator's phase 1 with `peer` when it is up and the responder runs elsewhere: its
/// session lives in the other process, the initiator's own SA table says whether to reuse it.
fn remote_phase1(net: &Net, a: usize, peer: Ipv4Addr) -> Option<u32> {
    let b = net.owner_of(peer)?;
    if !net.is_remote(b) {
        return None;
    }
    let s = net.lock();
    s.p1.iter()
        .find(|p| p.owner == a && p.peer == peer && !p.deleted && p.policy.is_some())
        .map(|p| p.conn)
}

pub async fn run(
    net: Arc<Net>,
    a: usize,
    local: Ipv4Addr,
    peer: Ipv4Addr,
    offer: Phase2Offer,
    trigger: (Ipv4Addr, Ipv4Addr),
) {
    let existing = {
        let s = net.lock();
        s.sessions
            .iter()
            .find(|x| x.a == a && x.b_addr == peer && x.responder.is_up())
            .map(|x| x.a_conn)
    }
    .or_else(|| remote_phase1(&net, a, peer));
    let conn = match existing {
        Some(c) => c,
        None => net.alloc_conn(a),
    };
    let Some(ids) = net.lock().ids.get(a).cloned() else {
        return;
    };
    let (replies_tx, mut replies) = mpsc::unbounded_channel();
    net.lock().replies.insert((a, peer), replies_tx);
    // The lab time the exchange has reached: each step's lines are stamped with it, and each
    // packet and computation moves it on, so the steps are milliseconds apart.
    let mut at = net.clock.now();
    let (mut init, outs) = Initiator::start(ctx(&net, a, local, peer), ids, offer, existing, conn);
    let first = net.apply(a, peer, local, outs, &mut at);
    let mut to_b: VecDeque<Msg> = first.send.into();
    let mut timer = first.timer;
    let mut done = first.finished;
    while !done {
        while let Some(msg) = to_b.pop_front() {
            let Some(b) = net.deliver(a, peer, Proto::Udp500) else {
                continue;
            };
            if b == a || !net.nodes[b].listens_ike() {
                continue;
            }
            let pair = Pair {
                a,
                b,
                a_addr: local,
                b_addr: peer,
                a_conn: conn,
            };
            let back = if net.is_remote(b) {
                if let Some(frame) = Frame::ike(&net, pair, trigger, true, &msg) {
                    net.to_remote(b, &frame);
                }
                Vec::new()
            } else {
                at.unix_ms += HOP.as_millis() as u64;
                respond(&net, pair, msg, &mut at)
            };
            for m in back {
                at.unix_ms += HOP.as_millis() as u64;
                let r = net.apply(a, peer, local, init.on_msg(m), &mut at);
                to_b.extend(r.send);
                if r.timer.is_some() {
                    timer = r.timer;
                }
                done |= r.finished;
            }
        }
        if done || init.is_done() {
            break;
        }
        let Some(wait) = timer.take() else {
            break;
        };
        // The timer is due `wait` after the step that set it, in lab time: woken late, the
        // router still retransmits on its schedule, and its lines carry the time it was due.
        let due = LabTime {
            unix_ms: at.unix_ms.saturating_add(wait.as_millis() as u64),
        };
        tokio::select! {
            _ = net.clock.sleep_until(due) => {
                at = at.max(due);
                let r = net.apply(a, peer, local, init.on_timer(), &mut at);
                to_b.extend(r.send);
                timer = r.timer;
                done |= r.finished;
            }
            Some(m) = replies.recv() => {
                at = at.max(net.clock.now());
                let r = net.apply(a, peer, local, init.on_msg(m), &mut at);
                to_b.extend(r.send);
                // An answer that asks for nothing new leaves the retransmission armed.
                timer = r.timer.or(Some(wait));
                done |= r.finished;
            }
        }
    }
    {
        let mut s = net.lock();
        s.running.remove(&(a, peer));
        s.replies.remove(&(a, peer));
    }
    let purge = init.purge();
    if !purge.is_empty() {
        net.clock.sleep(super::exchange::PURGE_AFTER).await;
        let mut at = net.clock.now();
        net.apply(a, peer, local, purge, &mut at);
    }
}
