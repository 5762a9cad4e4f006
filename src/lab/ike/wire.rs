//! Runs one exchange between an initiator and whoever owns the peer address: carries each
//! packet over the virtual network (where faults may drop it), hands it to the receiving
//! side's state, and runs the initiator's retransmission timer on the lab clock.

use super::exchange::{Ctx, Initiator, Msg, Responder};
use super::net::{Net, Proto, Session};
use crate::ios::phase2::Phase2Offer;
use std::collections::VecDeque;
use std::net::Ipv4Addr;
use std::sync::Arc;

fn ctx(net: &Net, node: usize, local: Ipv4Addr, peer: Ipv4Addr) -> Ctx {
    let n = &net.nodes[node];
    let interface = n
        .routing
        .route_to(peer)
        .map(|r| r.interface)
        .unwrap_or_default();
    Ctx {
        format: n.router.log_format(),
        cfg: n.cfg.clone(),
        local,
        peer,
        interface,
        ipsec_debug_text: true,
    }
}

pub async fn run(net: Arc<Net>, a: usize, local: Ipv4Addr, peer: Ipv4Addr, offer: Phase2Offer) {
    let existing = {
        let s = net.lock();
        s.sessions
            .iter()
            .find(|x| x.a == a && x.b_addr == peer && x.responder.is_up())
            .map(|x| x.a_conn)
    };
    let conn = match existing {
        Some(c) => c,
        None => net.alloc_conn(a),
    };
    let ids = net.lock().ids.clone();
    {
        // Each exchange draws its own identifiers.
        let mut s = net.lock();
        s.ids.spi();
    }
    let (mut init, outs) = Initiator::start(ctx(&net, a, local, peer), ids, offer, existing, conn);
    let first = net.apply(a, peer, local, outs);
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
                        let ids = s.ids.clone();
                        s.ids.spi();
                        drop(s);
                        let b_conn = net.alloc_conn(b);
                        let responder = Responder::new(ctx(&net, b, peer, local), ids, b_conn);
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
            let back = net.apply(b, local, peer, outs);
            for m in back.send {
                if net.deliver(b, local, Proto::Udp500) != Some(a) {
                    continue;
                }
                let r = net.apply(a, peer, local, init.on_msg(m));
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
        net.clock.sleep(wait).await;
        let r = net.apply(a, peer, local, init.on_timer());
        to_b.extend(r.send);
        timer = r.timer;
        done |= r.finished;
    }
    net.lock().running.remove(&(a, peer));
    let purge = init.purge();
    if !purge.is_empty() {
        net.clock.sleep(super::exchange::PURGE_AFTER).await;
        net.apply(a, peer, local, purge);
    }
}
