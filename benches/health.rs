//! `ipsec-doctor health` end to end, as a monitoring system runs it, against the same
//! collection done by Netmiko and Scrapli 2 on the same lab routers.
//!
//! `cargo bench --bench health` starts the lab as a child process, then times each client as
//! a process with `/usr/bin/time` (process start to exit, all output written; peak RSS):
//! 1. `lab --fleet 500`: 500 tunnels, 1,000 routers, every scenario;
//!    - `ipsec-doctor health -i … --format json -o FILE --sample-interval 0s` (every router
//!      once: login, the health playbook's 4 show commands, `show crypto ipsec sa` a second
//!      time, then the diagnosis of every series), and again with the default 3 s interval
//!      between counter samples;
//!    - Netmiko (`benches/collect_netmiko.py`, a thread pool) and Scrapli 2 with its libssh2
//!      transport (`benches/collect_scrapli.py`, asyncio) collecting the same 4 commands once
//!      per router, nothing else;
//! 2. `lab --hub 500`: one hub whose crypto map has 500 entries and its 500 spokes; health only.
//!
//! Knobs: `BENCH_TUNNELS` (500), `BENCH_SPOKES` (500), `BENCH_CONCURRENCY` (ours and Scrapli,
//! 100), `BENCH_THREADS` (Netmiko, 64), `BENCH_SKIP_PYTHON=1`, `BENCH_SKIP_DEFAULTS=1`.

#[allow(dead_code)]
mod common;

use ipsec_doctor::inventory::Inventory;
use ipsec_doctor::playbook::{self, Action};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The lab child; killed on every way out of the benchmark.
struct LabProcess(Child);

impl Drop for LabProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One client's run, as /usr/bin/time saw it.
struct Timed {
    client: String,
    wall: f64,
    peak_mb: f64,
    detail: String,
}

fn main() {
    if let Err(e) = run() {
        eprintln!("health bench: {e:#}");
        std::process::exit(1);
    }
}

fn run() -> anyhow::Result<()> {
    anyhow::ensure!(
        Path::new("/usr/bin/time").is_file(),
        "/usr/bin/time is needed to time the clients (apt-get install time)"
    );
    let tunnels = common::env_usize("BENCH_TUNNELS", 500).max(1);
    let spokes = common::env_usize("BENCH_SPOKES", 500).max(1);
    let concurrency = common::env_usize("BENCH_CONCURRENCY", 100).max(1);
    let threads = common::env_usize("BENCH_THREADS", 64).max(1);
    let commands = health_commands()?;
    let work = tempfile::tempdir()?;

    let routers = 2 * tunnels;
    let (lab, inventory) = start_lab(&["--fleet", &tunnels.to_string()], routers, work.path())?;
    println!(
        "health: lab --fleet {tunnels}: {} routers; commands: {}",
        inventory.hosts.len(),
        commands.join(" / ")
    );
    let ours = time_health(work.path(), concurrency, "0s", "ipsec-doctor health")?;
    report(&ours);
    if std::env::var_os("BENCH_SKIP_DEFAULTS").is_none() {
        report(&time_health(
            work.path(),
            concurrency,
            "3s",
            "ipsec-doctor health (default 3 s sample interval)",
        )?);
    }
    if std::env::var_os("BENCH_SKIP_PYTHON").is_none() {
        match common::python_venv("health") {
            Err(e) => println!("health: skipping Netmiko and Scrapli 2: {e:#}"),
            Ok(python) => {
                let job = job_file(work.path(), &inventory, &commands, concurrency, threads)?;
                for (script, name) in [
                    ("collect_scrapli.py", "Scrapli 2 (libssh2)"),
                    ("collect_netmiko.py", "Netmiko"),
                ] {
                    match time_python(&python, script, &job, name) {
                        Ok(theirs) => {
                            report(&theirs);
                            println!(
                                "health: ipsec-doctor is {:.1}x faster than {name} end to end ({:.2} s vs {:.2} s)",
                                theirs.wall / ours.wall,
                                ours.wall,
                                theirs.wall
                            );
                        }
                        Err(e) => println!("health: {name} failed: {e:#}"),
                    }
                }
            }
        }
    }
    drop(lab);

    let hub_dir = work.path().join("hub");
    std::fs::create_dir_all(&hub_dir)?;
    let (hub, inventory) = start_lab(&["--hub", &spokes.to_string()], spokes + 1, &hub_dir)?;
    println!(
        "health: lab --hub {spokes}: one hub with {spokes} crypto map entries, {} routers",
        inventory.hosts.len()
    );
    report(&time_health(
        &hub_dir,
        concurrency,
        "0s",
        "ipsec-doctor health",
    )?);
    drop(hub);
    Ok(())
}

/// The health playbook's show commands.
fn health_commands() -> anyhow::Result<Vec<String>> {
    let Some(book) = playbook::shipped("health") else {
        anyhow::bail!("no shipped playbook named health");
    };
    Ok(book?
        .steps
        .into_iter()
        .filter_map(|s| match s.action {
            Action::Show { command } => Some(command),
            _ => None,
        })
        .collect())
}

/// Runs `ipsec-doctor lab ARGS` on a free block of ports and waits until it serves.
fn start_lab(args: &[&str], span: usize, dir: &Path) -> anyhow::Result<(LabProcess, Inventory)> {
    let inventory = dir.join("inventory.yaml");
    for attempt in 0..5 {
        let base = common::base_port(attempt, span + 1);
        let mut child = Command::new(env!("CARGO_BIN_EXE_ipsec-doctor"))
            .arg("lab")
            .args(args)
            .args(["--base-port", &base.to_string()])
            .arg("--inventory-out")
            .arg(&inventory)
            .arg("--known-hosts-out")
            .arg(dir.join("known_hosts"))
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?;
        let Some(stdout) = child.stdout.take() else {
            anyhow::bail!("lab stdout not captured");
        };
        let lab = LabProcess(child);
        let mut lines = BufReader::new(stdout).lines();
        if lines
            .by_ref()
            .map_while(Result::ok)
            .any(|l| l.contains("Ctrl-C"))
        {
            std::thread::spawn(move || lines.for_each(drop));
            return Ok((lab, Inventory::load(&inventory)?));
        }
    }
    anyhow::bail!("the lab did not start (ports taken five times)")
}

/// `/usr/bin/time -f '%e %M' COMMAND…`: wall seconds and peak RSS (kB) from its last line.
fn timed(mut command: Command, client: &str) -> anyhow::Result<(Timed, String)> {
    let mut c = Command::new("/usr/bin/time");
    c.args(["-f", "TIMED %e %M"]).arg(command.get_program());
    c.args(command.get_args());
    if let Some(dir) = command.get_current_dir() {
        c.current_dir(dir);
    }
    let out = c.stdin(Stdio::null()).output()?;
    let _ = &mut command;
    let stderr = String::from_utf8_lossy(&out.stderr);
    let Some(line) = stderr.lines().rev().find(|l| l.starts_with("TIMED ")) else {
        anyhow::bail!("{client}: no timing: {stderr}");
    };
    let mut parts = line.split_whitespace().skip(1);
    let wall: f64 = parts.next().unwrap_or("0").parse()?;
    let kb: f64 = parts.next().unwrap_or("0").parse()?;
    Ok((
        Timed {
            client: client.to_string(),
            wall,
            peak_mb: kb / 1024.0,
            detail: String::new(),
        },
        String::from_utf8_lossy(&out.stdout).into_owned(),
    ))
}

fn time_health(dir: &Path, concurrency: usize, sample: &str, name: &str) -> anyhow::Result<Timed> {
    let out = dir.join("health.json");
    let mut c = Command::new(env!("CARGO_BIN_EXE_ipsec-doctor"));
    c.arg("health")
        .arg("-i")
        .arg(dir.join("inventory.yaml"))
        .arg("--known-hosts")
        .arg(dir.join("known_hosts"))
        .args(["--format", "json", "--sample-interval", sample])
        .args(["--concurrency", &concurrency.to_string()])
        .arg("-o")
        .arg(&out);
    let (mut t, _) = timed(c, name)?;
    let text = std::fs::read_to_string(&out)?;
    let mut states: std::collections::BTreeMap<String, usize> = Default::default();
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line)?;
        *states
            .entry(v["state"].as_str().unwrap_or("?").to_string())
            .or_default() += 1;
    }
    t.detail = format!(
        "{} tunnel series: {}",
        text.lines().count(),
        states
            .iter()
            .map(|(s, n)| format!("{n} {s}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(t)
}

fn job_file(
    dir: &Path,
    inventory: &Inventory,
    commands: &[String],
    concurrency: usize,
    threads: usize,
) -> anyhow::Result<PathBuf> {
    let job = serde_json::json!({
        "threads": threads,
        "concurrency": concurrency,
        "transport": "ssh2",
        "commands": commands,
        "devices": inventory.hosts.values().map(|h| serde_json::json!({
            "name": h.name,
            "host": h.hostname,
            "port": h.port,
            "username": h.username,
            "password": h.password.as_ref().map(|p| p.expose().to_string()),
            "secret": h.enable_secret.as_ref().map(|p| p.expose().to_string()),
        })).collect::<Vec<_>>(),
    });
    let path = dir.join("job.json");
    std::fs::write(&path, serde_json::to_vec(&job)?)?;
    Ok(path)
}

fn time_python(python: &Path, script: &str, job: &Path, name: &str) -> anyhow::Result<Timed> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("benches")
        .join(script);
    let mut c = Command::new(python);
    c.arg(path).arg(job);
    let (mut t, stdout) = timed(c, name)?;
    let Some(last) = stdout.lines().rev().find(|l| l.starts_with('{')) else {
        anyhow::bail!("{script} printed no result: {stdout}");
    };
    let v: serde_json::Value = serde_json::from_str(last)?;
    t.detail = format!(
        "{} devices ok, {} failed, {} lines{}",
        v["ok"],
        v["failed"],
        v["lines"],
        v["errors"]
            .as_array()
            .and_then(|e| e.first())
            .map(|e| format!("; first error: {e}"))
            .unwrap_or_default()
    );
    Ok(t)
}

fn report(t: &Timed) {
    println!(
        "health: {:<50} wall {:>6.2} s, peak RSS {:>6.1} MB; {}",
        t.client, t.wall, t.peak_mb, t.detail
    );
}
