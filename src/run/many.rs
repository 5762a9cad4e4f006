//! Many tunnels in one run (`triage -i inventory` with no tunnel named): run concurrently,
//! bounded, and handed back one by one as each finishes, so that a report of a hundred
//! tunnels starts printing after the first one, not after the last.
//!
//! A router takes part in one tunnel's run at a time. Debug flags, debug conditions and
//! `terminal monitor` output are global to an IOS box: a second tunnel's session on a hub
//! would receive the first tunnel's debug lines as its own, and its `show debug` would read
//! the first tunnel's debugs as someone else's and open no window. So the tunnels of a hub run
//! one after another while tunnels on other routers go on meanwhile; across processes the
//! per-router lock ([`super::lock`]) does the same. Routers are known by address and port, as
//! the lock knows them, so two inventory names for one box are one router.
//!
//! Which tunnel starts next: the first in inventory order whose routers are all free, while
//! fewer than `concurrency` run. A tunnel waiting for its hub holds no slot.
//!
//! Stopping keeps issue 7's guarantees: once the stop fires, no tunnel starts, every running
//! one is stopped through its own cleanup ([`super::run_tunnel`]), and every tunnel that did
//! not start is handed back as [`Outcome::NotChecked`], so none vanishes from a report.

use super::log::RunLog;
use super::progress::Progress;
use super::stop::Stop;
use super::{RunOptions, TunnelTarget, run_tunnel};
use crate::engine::Diagnosis;
use crate::playbook::Playbook;
use crate::ssh::HostKeyPolicy;
use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use std::collections::{BTreeSet, VecDeque};
use std::future::Future;
use std::pin::pin;
use std::task::Poll;

/// What became of one tunnel.
#[derive(Debug)]
pub enum Outcome {
    /// It ran (perhaps interrupted half-way, or unable to connect: the log says).
    Ran(Box<Diagnosis>, RunLog),
    /// It never started; why (`interrupted`).
    NotChecked(&'static str),
}

/// A router as the schedule tells routers apart: address and port.
type RouterKey = (String, u16);

fn keys(t: &TunnelTarget) -> BTreeSet<RouterKey> {
    [&t.a, &t.b]
        .iter()
        .map(|r| (r.ssh.host.clone(), r.ssh.port))
        .collect()
}

/// What to run on which tunnels, and how many at once.
#[derive(Debug, Clone, Copy)]
pub struct Batch<'a> {
    pub tunnels: &'a [TunnelTarget],
    pub playbook: &'a Playbook,
    pub policy: &'a HostKeyPolicy,
    pub options: &'a RunOptions,
    pub concurrency: usize,
}

/// Runs the batch's playbook on every tunnel, at most `concurrency` at once and each router in
/// one tunnel at a time, and calls `done(index into tunnels, outcome)` as each one ends. Every
/// tunnel is handed to `done` exactly once, the stop included.
pub async fn run_many(
    batch: Batch<'_>,
    stop: impl Future<Output = ()>,
    progress: &dyn Progress,
    mut done: impl FnMut(usize, Outcome),
) {
    let Batch {
        tunnels,
        playbook,
        policy,
        options,
        concurrency,
    } = batch;
    let concurrency = concurrency.max(1);
    let total = tunnels.len();
    let wanted: Vec<BTreeSet<RouterKey>> = tunnels.iter().map(keys).collect();
    let mut pending: VecDeque<usize> = (0..total).collect();
    let mut busy: BTreeSet<RouterKey> = BTreeSet::new();
    let mut running = FuturesUnordered::new();
    let (fire, stopped) = Stop::new();
    let mut stop = pin!(stop);
    let mut finished = 0;
    progress.tunnels(0, total);
    loop {
        // A stop that came before this turn wins over starting anything.
        if !stopped.is_fired()
            && std::future::poll_fn(|cx| Poll::Ready(stop.as_mut().poll(cx).is_ready())).await
        {
            fire.fire();
        }
        if !stopped.is_fired() {
            while running.len() < concurrency {
                let Some(at) = pending
                    .iter()
                    .position(|&i| wanted[i].iter().all(|k| !busy.contains(k)))
                else {
                    break;
                };
                let Some(i) = pending.remove(at) else { break };
                busy.extend(wanted[i].iter().cloned());
                let t = &tunnels[i];
                let scoped = Scoped {
                    inner: progress,
                    routers: [t.a.name.clone(), t.b.name.clone()],
                };
                let this_stop = stopped.clone().wait();
                running.push(async move {
                    let (diagnosis, log) =
                        run_tunnel(t, playbook, policy, options, this_stop, &scoped).await;
                    (i, diagnosis, log)
                });
            }
        }
        if running.is_empty() {
            break;
        }
        tokio::select! {
            _ = stop.as_mut(), if !stopped.is_fired() => {
                tracing::warn!("stopping: no further tunnel starts; the running ones clean up");
                fire.fire();
            }
            Some((i, diagnosis, log)) = running.next() => {
                for k in &wanted[i] {
                    busy.remove(k);
                }
                finished += 1;
                progress.tunnels(finished, total);
                done(i, Outcome::Ran(Box::new(diagnosis), log));
            }
        }
    }
    // Not run, but not forgotten: a monitoring system must see each of them as UNKNOWN.
    for i in pending {
        finished += 1;
        progress.tunnels(finished, total);
        done(i, Outcome::NotChecked("interrupted"));
    }
    progress.finish();
}

/// One tunnel's view of the shared progress display: its end clears its own routers' lines,
/// not every tunnel's.
struct Scoped<'a> {
    inner: &'a dyn Progress,
    routers: [String; 2],
}

impl Progress for Scoped<'_> {
    fn step(&self, router: &str, what: &str) {
        self.inner.step(router, what);
    }
    fn lines(&self, router: &str, total: u64) {
        self.inner.lines(router, total);
    }
    fn note(&self, router: &str, text: &str) {
        self.inner.note(router, text);
    }
    fn finish(&self) {
        for r in &self.routers {
            self.inner.router_done(r);
        }
    }
}
