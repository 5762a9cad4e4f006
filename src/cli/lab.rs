//! `ipsec-doctor lab`: runs a scenario's simulated routers until Ctrl-C.

use crate::lab::ike::{IkeFactory, parse_config};
use crate::lab::scenario::Scenario;
use crate::lab::{Lab, LabOptions};
use std::io::Write;
use std::net::IpAddr;
use std::path::PathBuf;

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
}

pub fn run(args: Args) -> anyhow::Result<i32> {
    if args.list {
        return list(args.scenario_dir.as_deref());
    }
    let scenario = Scenario::find(&args.scenario, args.scenario_dir.as_deref())?;
    // Every config is checked before anything listens: a bad line names file, line, column.
    for spec in &scenario.routers {
        parse_config(&scenario.name, spec)?;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(serve(args, scenario))
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

async fn serve(args: Args, scenario: Scenario) -> anyhow::Result<i32> {
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
    let lab = Lab::start(&scenario, options, &IkeFactory, async move {
        let _ = stop_rx.await;
    })
    .await?;
    if let Some(path) = &args.inventory_out {
        lab.write_inventory(path)?;
    }
    if let Some(path) = &args.known_hosts_out {
        lab.write_known_hosts(path)?;
    }
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
    println!("Ctrl-C stops the lab.");
    tokio::select! {
        _ = interrupt.recv() => {}
        _ = terminate.recv() => {}
    }
    let _ = stop_tx.send(());
    lab.wait().await;
    Ok(0)
}
