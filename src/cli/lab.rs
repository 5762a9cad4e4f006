//! `ipsec-doctor lab`: runs a scenario's simulated routers, or a fleet of copies of the
//! scenarios, until Ctrl-C.

use crate::lab::fleet::Fleet;
use crate::lab::ike::{IkeFactory, link, parse_config};
use crate::lab::scenario::Scenario;
use crate::lab::{Lab, LabHandle, LabOptions};
use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// List the scenarios (name, expected finding, description) and exit.
    #[arg(long)]
    pub list: bool,
    /// The scenario to run.
    #[arg(long, default_value = "healthy")]
    pub scenario: String,
    /// A directory of your own scenarios (`DIR/NAME/lab.yaml` + configs), searched first.
    #[arg(long, value_name = "DIR")]
    pub scenario_dir: Option<PathBuf>,
    /// Write a Nornir-style inventory of the running routers here.
    #[arg(long, value_name = "FILE")]
    pub inventory_out: Option<PathBuf>,
    /// Write the routers' SSH host keys here, in known_hosts format.
    #[arg(long, value_name = "FILE")]
    pub known_hosts_out: Option<PathBuf>,
    /// SSH port of the first router; the next ones count up from it.
    #[arg(long, default_value_t = 2201)]
    pub base_port: u16,
    /// Address the routers listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: IpAddr,
    /// Lab seconds per real second (timers, retransmissions, uptime).
    #[arg(long, default_value_t = 1.0)]
    pub speed: f64,
    /// Run N tunnels (2N routers) in this one process, each a copy of the scenario with its own
    /// hostnames (t0001-r1, t0001-r2, ...); tunnel k's routers listen on BASE+2k and BASE+2k+1.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub fleet: Option<u32>,
    /// Run one hub router whose crypto map has N entries and its N spokes, healthy and broken
    /// in a fixed mix, with users' traffic; the hub listens on BASE, spoke k on BASE+k.
    #[arg(long, value_name = "N", conflicts_with_all = ["fleet", "only"], value_parser = clap::value_parser!(u32).range(1..=65535))]
    pub hub: Option<u32>,
    /// With --fleet: cycle through every shipped scenario (healthy and broken) instead of
    /// copying one.
    #[arg(long, requires = "fleet", conflicts_with = "scenario")]
    pub fleet_mix: bool,
    /// With --fleet: users' traffic across every tunnel, both ways, one echo a lab second, as
    /// `health --lab --fleet` runs it (SAs up and counters moving where the tunnel works).
    #[arg(long, requires = "fleet")]
    pub traffic: bool,
    /// Run only this router of the scenario (SSH on --base-port); the scenario's other routers
    /// run in their own processes and the wire between them is UDP (--wire-peer).
    #[arg(
        long,
        value_name = "ROUTER",
        requires = "wire_listen",
        conflicts_with = "fleet"
    )]
    pub only: Option<String>,
    /// With --only: the UDP address this process's side of the wire listens on.
    #[arg(long, value_name = "ADDR:PORT", requires = "only")]
    pub wire_listen: Option<SocketAddr>,
    /// With --only: another router and the UDP address of its process's wire, as
    /// `R2=host:5500`; once per other router of the scenario.
    #[arg(long, value_name = "ROUTER=HOST:PORT", requires = "only")]
    pub wire_peer: Vec<String>,
}

pub fn run(args: Args) -> anyhow::Result<i32> {
    if args.list {
        return list(args.scenario_dir.as_deref());
    }
    let templates = if args.fleet_mix {
        Scenario::embedded_names()
            .into_iter()
            .map(Scenario::embedded)
            .collect::<Result<Vec<_>, _>>()?
    } else {
        vec![Scenario::find(
            &args.scenario,
            args.scenario_dir.as_deref(),
        )?]
    };
    // Every config is checked before anything listens: a bad line names file, line, column.
    for scenario in &templates {
        for spec in &scenario.routers {
            parse_config(&scenario.name, spec)?;
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(serve(args, templates))
}

fn list(dir: Option<&std::path::Path>) -> anyhow::Result<i32> {
    let mut names: Vec<String> = Scenario::embedded_names()
        .into_iter()
        .map(String::from)
        .collect();
    if let Some(dir) = dir {
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            if path.join("lab.yaml").is_file()
                && let Some(n) = path.file_name().and_then(|n| n.to_str())
                && !names.iter().any(|m| m == n)
            {
                names.push(n.to_string());
            }
        }
    }
    let mut text = String::new();
    for name in names {
        let s = Scenario::find(&name, dir)?;
        text.push_str(&format!(
            "{:<24} {:<24} {}\n",
            s.name,
            s.expect.as_deref().unwrap_or("-"),
            s.description
        ));
    }
    let mut out = std::io::stdout().lock();
    // A closed pipe (`| head`) is a normal end, not an error.
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|_| out.flush())
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        return Err(e.into());
    }
    Ok(0)
}

async fn serve(args: Args, templates: Vec<Scenario>) -> anyhow::Result<i32> {
    let options = LabOptions {
        speed: args.speed,
        base_port: Some(args.base_port),
        bind: args.bind,
        start_time: None,
    };
    // Listen for the signals before anything is printed: a Ctrl-C that arrives before the
    // handler exists would kill the process without stopping the routers cleanly.
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let stopped = async move {
        let _ = stop_rx.await;
    };
    let lab = match (args.fleet, args.hub) {
        (None, Some(n)) => {
            let hub = crate::lab::hub::HubLab::start(n as usize, options, stopped).await?;
            if let Some(path) = &args.inventory_out {
                // The hub's inventory marks its always-on tunnel.
                hub.write_inventory(path)?;
            }
            if let Some(path) = &args.known_hosts_out {
                hub.lab().write_known_hosts(path)?;
            }
            println!(
                "hub lab: hub and {n} spokes on {} ports {}-{}; username admin, passwords hubpass1/spokepass1, enable secrets hubenable1/spokeenable1",
                args.bind,
                args.base_port,
                u32::from(args.base_port) + n
            );
            for s in hub.spokes().iter().take(10) {
                println!(
                    "  {:<16} {:<20} {}",
                    s.tunnel,
                    s.kind.as_str(),
                    s.kind.expect()
                );
            }
            if hub.spokes().len() > 10 {
                println!("  … the mix repeats every ten spokes");
            }
            hub.into_lab()
        }
        (Some(n), _) => {
            let fleet = Fleet::start(&templates, n as usize, options, stopped).await?;
            if args.traffic {
                fleet.start_traffic(crate::lab::hub::TRAFFIC_EVERY);
            }
            write_files(&args, fleet.lab())?;
            print_fleet(&fleet, &templates);
            // The fleet's own view is printed; from here on it is a lab like any other.
            fleet.into_lab()
        }
        (None, None) => {
            let Some(scenario) = templates.first() else {
                anyhow::bail!("no scenario to run");
            };
            let lab = match (&args.only, args.wire_listen) {
                (Some(only), Some(listen)) => {
                    let peers = resolve_peers(&args.wire_peer).await?;
                    link::start_one(scenario, options, only, listen, &peers, stopped).await?
                }
                _ => Lab::start(scenario, options, &IkeFactory, stopped).await?,
            };
            write_files(&args, &lab)?;
            println!("lab {:?}: {}", scenario.name, scenario.description);
            for r in lab.routers() {
                println!(
                    "  {:<8} ssh -p {} {}@{}   password {}   enable secret {}",
                    r.name,
                    r.port,
                    r.username,
                    r.address,
                    r.password.expose(),
                    r.enable_secret.expose()
                );
            }
            lab
        }
    };
    println!("Ctrl-C stops the lab.");
    tokio::select! {
        _ = interrupt.recv() => {}
        _ = terminate.recv() => {}
    }
    let _ = stop_tx.send(());
    lab.wait().await;
    Ok(0)
}

/// How long to keep asking for a peer's address: in compose, the other router's container may
/// not be in DNS yet when this one starts.
const RESOLVE_FOR: Duration = Duration::from_secs(30);

/// `R2=host:5500` for each `--wire-peer`, the host resolved to one address.
async fn resolve_peers(specs: &[String]) -> anyhow::Result<Vec<(String, SocketAddr)>> {
    let mut peers = Vec::with_capacity(specs.len());
    for spec in specs {
        let Some((name, target)) = spec.split_once('=') else {
            anyhow::bail!("--wire-peer {spec:?}: expected ROUTER=HOST:PORT, e.g. R2=r2:5500");
        };
        let started = std::time::Instant::now();
        let addr = loop {
            match tokio::net::lookup_host(target).await {
                Ok(mut found) => {
                    if let Some(a) = found.next() {
                        break a;
                    }
                }
                Err(e) if started.elapsed() >= RESOLVE_FOR => {
                    anyhow::bail!("--wire-peer {spec:?}: {e}")
                }
                Err(_) => {}
            }
            if started.elapsed() >= RESOLVE_FOR {
                anyhow::bail!("--wire-peer {spec:?}: no address for {target}");
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        };
        peers.push((name.to_string(), addr));
    }
    Ok(peers)
}

fn write_files(args: &Args, lab: &LabHandle) -> anyhow::Result<()> {
    if let Some(path) = &args.inventory_out {
        lab.write_inventory(path)?;
    }
    if let Some(path) = &args.known_hosts_out {
        lab.write_known_hosts(path)?;
    }
    Ok(())
}

/// One line per tunnel (its routers' ports and what its diagnosis should say), then each
/// scenario's credentials once: they are the same in every copy.
fn print_fleet(fleet: &crate::lab::fleet::FleetHandle, templates: &[Scenario]) {
    let lab = fleet.lab();
    println!(
        "fleet of {} tunnels ({} routers) on {}",
        fleet.tunnels().len(),
        lab.routers().len(),
        lab.routers()
            .first()
            .map_or_else(String::new, |r| r.address.to_string())
    );
    for t in fleet.tunnels() {
        let ports: Vec<String> = t
            .routers
            .iter()
            .filter_map(|name| lab.router(name))
            .map(|r| format!("{} port {}", r.name, r.port))
            .collect();
        println!(
            "  {:<8} {:<24} {:<24} {}",
            t.name,
            t.scenario,
            t.expect.as_deref().unwrap_or("-"),
            ports.join("   ")
        );
    }
    for s in templates {
        for r in &s.routers {
            println!(
                "  {} copies of {}: username {}   password {}   enable secret {}",
                s.name,
                r.name,
                r.username,
                r.password.expose(),
                r.enable_secret.expose()
            );
        }
    }
}
