//! The read-only part of the triage playbook on 200 lab routers: our device layer against
//! Netmiko and Scrapli 2 on the same lab.
//!
//! `cargo bench --bench collection` starts `ipsec-doctor lab --fleet 100` (200 routers) as a
//! child process, so the lab's memory is not counted against any client, and loads the
//! inventory it writes the way the agent does. Then, on every router, each client logs in,
//! enters enable and runs the unconditional `show` steps the shipped `triage` playbook gives an
//! IKEv1 crypto map router:
//! - ours: `IosSession::connect` (host keys checked against the lab's known_hosts), 50
//!   routers at a time on a tokio runtime;
//! - Netmiko (`benches/collect_netmiko.py`): 20 threads, `ConnectHandler` + `send_command`;
//! - Scrapli 2 (`benches/collect_scrapli.py`): asyncio, 50 at a time, libssh2 transport.
//!
//! The Python clients come from PyPI into a venv under the target directory, made on first
//! run (`python3 -m venv`, `pip install netmiko scrapli`); if that fails, the comparison is
//! skipped with the reason. Each client reports wall time, lines collected and its own peak
//! memory; the ratios are wall-time ratios. Knobs: `BENCH_TUNNELS` (100),
//! `BENCH_CONCURRENCY` (50), `BENCH_THREADS` (Netmiko, 20), `BENCH_SKIP_PYTHON=1`.

// Shared by both lab benchmarks; each uses only part of it.
#[allow(dead_code)]
mod common;

use ipsec_doctor::device::{IosSession, SessionOptions};
use ipsec_doctor::inventory::Host;
use ipsec_doctor::playbook::{self, Action, Ike, Safety, Style};
use ipsec_doctor::ssh::HostKeyPolicy;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{Semaphore, mpsc};

const COMMAND_LIMIT: Duration = Duration::from_secs(20);

/// What one client achieved on the whole lab.
struct Outcome {
    client: String,
    ok: usize,
    failed: usize,
    lines: u64,
    wall: f64,
    peak_kb: u64,
    errors: Vec<String>,
}

fn main() {
    if let Err(e) = run() {
        eprintln!("collection: {e:#}");
        std::process::exit(1);
    }
}

fn run() -> anyhow::Result<()> {
    let tunnels = common::env_usize("BENCH_TUNNELS", 100).max(1);
    let concurrency = common::env_usize("BENCH_CONCURRENCY", 50).max(1);
    let threads = common::env_usize("BENCH_THREADS", 20).max(1);
    let commands = read_only_commands()?;
    let work = tempfile::tempdir()?;
    let (_lab, inventory) =
        common::start_lab(&["--fleet", &tunnels.to_string()], 2 * tunnels, work.path())?;
    let known_hosts = work.path().join("known_hosts");
    let hosts: Vec<Host> = inventory.hosts.into_values().collect();
    println!(
        "collection: {} routers, {} show commands each: {}",
        hosts.len(),
        commands.len(),
        commands.join(" / ")
    );
    println!(
        "collection: this process before collecting: {}",
        common::memory_line()
    );

    let ours = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(collect_ours(&hosts, &commands, &known_hosts, concurrency));
    report(&ours);

    if std::env::var_os("BENCH_SKIP_PYTHON").is_some() {
        println!("collection: BENCH_SKIP_PYTHON set; no Python comparison");
        return Ok(());
    }
    let python = match common::python_venv("collection") {
        Ok(p) => p,
        Err(e) => {
            println!("collection: skipping Netmiko and Scrapli 2: {e:#}");
            return Ok(());
        }
    };
    let job = serde_json::json!({
        "threads": threads,
        "concurrency": concurrency,
        "transport": "ssh2",
        "commands": commands,
        "devices": hosts.iter().map(|h| serde_json::json!({
            "name": h.name,
            "host": h.hostname,
            "port": h.port,
            "username": h.username,
            "password": h.password.as_ref().map(|p| p.expose().to_string()),
            "secret": h.enable_secret.as_ref().map(|p| p.expose().to_string()),
        })).collect::<Vec<_>>(),
    });
    let job_file = work.path().join("job.json");
    std::fs::write(&job_file, serde_json::to_vec(&job)?)?;
    for script in ["collect_netmiko.py", "collect_scrapli.py"] {
        match run_python(&python, script, &job_file) {
            Ok(theirs) => {
                report(&theirs);
                println!(
                    "collection: ours vs {}: {:.1}x faster (wall {:.2} s vs {:.2} s), peak memory \
                     {:.1} MB vs {:.1} MB",
                    theirs.client,
                    theirs.wall / ours.wall,
                    ours.wall,
                    theirs.wall,
                    common::mb(ours.peak_kb),
                    common::mb(theirs.peak_kb),
                );
            }
            Err(e) => println!("collection: skipping {script}: {e:#}"),
        }
    }
    Ok(())
}

/// The shipped triage playbook's `show` steps that always run (no `when:`): the collection
/// every triage starts with.
fn read_only_commands() -> anyhow::Result<Vec<String>> {
    let Some(book) = playbook::shipped("triage") else {
        anyhow::bail!("no shipped playbook named triage");
    };
    Ok(book?
        .steps
        .into_iter()
        // The commands of an IKEv1 crypto map router, the same on every router of the fleet:
        // the steps for IKEv2 or VTI routers carry placeholders only a run fills.
        .filter(|s| {
            s.safety == Safety::Read
                && s.when.holds(&[])
                && s.applies.holds(Ike::V1, Style::CryptoMap)
        })
        .filter_map(|s| match s.action {
            Action::Show { command } => Some(command),
            _ => None,
        })
        .collect())
}

async fn collect_ours(
    hosts: &[Host],
    commands: &[String],
    known_hosts: &Path,
    concurrency: usize,
) -> Outcome {
    let policy = HostKeyPolicy::strict(known_hosts);
    let gate = Arc::new(Semaphore::new(concurrency));
    let commands = Arc::new(commands.to_vec());
    let began = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for host in hosts.iter().cloned() {
        let (gate, policy, commands) = (gate.clone(), policy.clone(), commands.clone());
        tasks.spawn(async move {
            let _permit = gate
                .acquire_owned()
                .await
                .map_err(|e| format!("{}: {e}", host.name))?;
            collect_one(&host, &policy, &commands)
                .await
                .map_err(|e| format!("{e:#}"))
        });
    }
    let (mut ok, mut lines, mut errors) = (0, 0u64, Vec::new());
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(Ok(n)) => {
                ok += 1;
                lines += n;
            }
            Ok(Err(e)) => errors.push(e),
            Err(e) => errors.push(format!("task: {e}")),
        }
    }
    Outcome {
        client: "ipsec-doctor".to_string(),
        ok,
        failed: errors.len(),
        lines,
        wall: began.elapsed().as_secs_f64(),
        peak_kb: common::memory_kb().map_or(0, |(_, hwm)| hwm),
        errors,
    }
}

async fn collect_one(
    host: &Host,
    policy: &HostKeyPolicy,
    commands: &[String],
) -> anyhow::Result<u64> {
    // Unsolicited lines are not wanted here; the receiver is dropped and they are discarded.
    let (tx, _) = mpsc::unbounded_channel();
    let options: SessionOptions = host.session_options(false);
    let mut session =
        IosSession::connect(&host.name, &host.ssh_target(), policy, options, tx).await?;
    let mut lines = 0;
    for command in commands {
        lines += session.run(command, COMMAND_LIMIT).await?.lines.len() as u64;
    }
    session.close().await?;
    Ok(lines)
}

fn report(o: &Outcome) {
    println!(
        "collection: {:<14} {} ok, {} failed, {} lines: wall {:.3} s, {:.0} routers/s, peak memory {:.1} MB",
        o.client,
        o.ok,
        o.failed,
        o.lines,
        o.wall,
        o.ok as f64 / o.wall,
        common::mb(o.peak_kb)
    );
    for e in o.errors.iter().take(5) {
        println!("collection: {}: failed: {e}", o.client);
    }
}

/// Runs one Python collector and reads the JSON line it prints.
fn run_python(python: &Path, script: &str, job: &Path) -> anyhow::Result<Outcome> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("benches")
        .join(script);
    let out = Command::new(python).arg(&path).arg(job).output()?;
    anyhow::ensure!(
        out.status.success(),
        "{script} exited with {}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr).trim()
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let Some(last) = text.lines().rev().find(|l| l.starts_with('{')) else {
        anyhow::bail!("{script} printed no result: {text}");
    };
    let v: serde_json::Value = serde_json::from_str(last)?;
    let num = |k: &str| v.get(k).and_then(serde_json::Value::as_f64).unwrap_or(0.0);
    Ok(Outcome {
        client: v
            .get("client")
            .and_then(serde_json::Value::as_str)
            .unwrap_or(script)
            .to_string(),
        ok: num("ok") as usize,
        failed: num("failed") as usize,
        lines: num("lines") as u64,
        wall: num("wall_s"),
        peak_kb: num("maxrss_kb") as u64,
        errors: v
            .get("errors")
            .and_then(serde_json::Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|e| e.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default(),
    })
}
