//! A thousand lab routers in this one process, all logged into at once.
//!
//! `cargo bench --bench fleet_sessions` starts a fleet of 500 healthy tunnels (1,000 routers),
//! then opens an SSH session to every router with the russh client, at most 200 at a time:
//! host key checked against the lab's, password login, PTY shell, `show clock`, disconnect.
//! It prints the fleet's start time, the wall time and rate of the sessions, and this
//! process's resident memory (lab and clients together) after start and after the sessions.
//! Knobs: `BENCH_ROUTERS` (default 1000, rounded down to whole tunnels), `BENCH_CONCURRENCY`
//! (default 200).
//!
//! The routers listen with a backlog of 1024: with tokio's default of 128, a burst of a few
//! hundred connects overflows the queue and the kernel retries the lost SYNs a second later
//! (shared/russh-notes.md, G0), which would show up here as a one-second tail.

// Shared by both lab benchmarks; each uses only part of it.
#[allow(dead_code)]
mod common;

use ipsec_doctor::lab::fleet::Fleet;
use ipsec_doctor::lab::scenario::Scenario;
use ipsec_doctor::lab::{LabOptions, RouterEndpoint};
use russh::ChannelMsg;
use russh::client;
use russh::keys::{PublicKey, PublicKeyOrCertificate};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// Per session: a router that has not answered by then counts as failed.
const SESSION_LIMIT: Duration = Duration::from_secs(30);

/// Accepts exactly the key the lab says this router has.
struct Client {
    expected: PublicKey,
}

impl client::Handler for Client {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        key: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        Ok(matches!(key, PublicKeyOrCertificate::PublicKey { key, .. } if *key == self.expected))
    }
}

fn main() {
    let routers = common::env_usize("BENCH_ROUTERS", 1000);
    let concurrency = common::env_usize("BENCH_CONCURRENCY", 200).max(1);
    let tunnels = (routers / 2).max(1);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("fleet_sessions: no tokio runtime: {e}");
            std::process::exit(1);
        }
    };
    if let Err(e) = runtime.block_on(run(tunnels, concurrency)) {
        eprintln!("fleet_sessions: {e:#}");
        std::process::exit(1);
    }
}

async fn run(tunnels: usize, concurrency: usize) -> anyhow::Result<()> {
    println!("fleet_sessions: before start: {}", common::memory_line());
    let templates = [Scenario::embedded("healthy")?];
    let started = Instant::now();
    let fleet = Fleet::start(
        &templates,
        tunnels,
        LabOptions::default(),
        std::future::pending(),
    )
    .await?;
    let endpoints: Vec<RouterEndpoint> = fleet.lab().routers().to_vec();
    println!(
        "fleet_sessions: {} routers ({} tunnels) listening in {:.3} s; {}",
        endpoints.len(),
        tunnels,
        started.elapsed().as_secs_f64(),
        common::memory_line()
    );

    let config = Arc::new(client::Config {
        nodelay: true,
        ..Default::default()
    });
    let gate = Arc::new(Semaphore::new(concurrency));
    let began = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for ep in endpoints.iter().cloned() {
        let gate = gate.clone();
        let config = config.clone();
        tasks.spawn(async move {
            let _permit = gate.acquire_owned().await.ok()?;
            let t = Instant::now();
            match tokio::time::timeout(SESSION_LIMIT, show_clock(config, &ep)).await {
                Ok(Ok(clock)) => Some(Ok((t.elapsed(), clock))),
                Ok(Err(e)) => Some(Err(format!("{}: {e:#}", ep.name))),
                Err(_) => Some(Err(format!("{}: no answer in {SESSION_LIMIT:?}", ep.name))),
            }
        });
    }
    let mut latencies = Vec::with_capacity(endpoints.len());
    let mut failures = Vec::new();
    let mut sample = None;
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(Some(Ok((latency, clock)))) => {
                latencies.push(latency);
                sample.get_or_insert(clock);
            }
            Ok(Some(Err(e))) => failures.push(e),
            Ok(None) => failures.push("semaphore closed".to_string()),
            Err(e) => failures.push(format!("task: {e}")),
        }
    }
    let wall = began.elapsed();
    latencies.sort();
    let pct = |p: usize| {
        latencies
            .get((latencies.len() * p / 100).min(latencies.len().saturating_sub(1)))
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    println!(
        "fleet_sessions: {} sessions ok, {} failed, {} at a time: wall {:.3} s, {:.0} sessions/s, \
         per session p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        latencies.len(),
        failures.len(),
        concurrency,
        wall.as_secs_f64(),
        latencies.len() as f64 / wall.as_secs_f64(),
        pct(50),
        pct(99),
        latencies.last().map_or(0.0, |d| d.as_secs_f64() * 1000.0),
    );
    if let Some(clock) = sample {
        println!("fleet_sessions: a router said: {clock}");
    }
    for f in failures.iter().take(5) {
        println!("fleet_sessions: failed: {f}");
    }
    println!("fleet_sessions: after sessions: {}", common::memory_line());
    fleet.stop().await;
    if !failures.is_empty() {
        anyhow::bail!("{} of {} sessions failed", failures.len(), endpoints.len());
    }
    Ok(())
}

/// Logs in, waits for the prompt, runs `show clock`, returns its line, disconnects.
async fn show_clock(config: Arc<client::Config>, ep: &RouterEndpoint) -> anyhow::Result<String> {
    let client = Client {
        expected: ep.host_key.clone(),
    };
    let mut handle = client::connect(config, (ep.address, ep.port), client).await?;
    let auth = handle
        .authenticate_password(&ep.username, ep.password.expose())
        .await?;
    anyhow::ensure!(auth.success(), "password refused");
    let mut channel = handle.channel_open_session().await?;
    channel
        .request_pty(false, "vt100", 511, 24, 0, 0, &[])
        .await?;
    channel.request_shell(false).await?;
    let prompt = format!("{}>", ep.name);
    let mut text = String::new();
    let mut sent = false;
    while let Some(msg) = channel.wait().await {
        if let ChannelMsg::Data { data } = msg {
            text.push_str(&String::from_utf8_lossy(&data));
        }
        if !text.ends_with(&prompt) {
            continue;
        }
        if sent {
            break;
        }
        channel.data(&b"show clock\r"[..]).await?;
        sent = true;
        text.clear();
    }
    // `show clock` echoed, then `*17:58:29.498 UTC Thu Nov 26 2026`, then the prompt again.
    let clock = text
        .lines()
        .find(|l| l.contains(" UTC "))
        .map(|l| l.trim().to_string());
    let _ = handle
        .disconnect(russh::Disconnect::ByApplication, "", "en")
        .await;
    clock.ok_or_else(|| anyhow::anyhow!("no clock line in {text:?}"))
}
