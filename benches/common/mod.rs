//! What the lab benchmarks share: reading this process's memory from /proc, the Python venv
//! holding Netmiko and Scrapli 2, a lab run as its own process.

use ipsec_doctor::inventory::Inventory;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// `VmRSS` (resident now) and `VmHWM` (peak resident) of this process, in kB; `None` where
/// /proc is not there (not Linux) or a field is missing.
pub fn memory_kb() -> Option<(u64, u64)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    Some((field(&status, "VmRSS:")?, field(&status, "VmHWM:")?))
}

/// `VmHWM:\t   53212 kB` -> 53212
fn field(status: &str, name: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix(name))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// `rss 41.2 MB, peak 58.0 MB`, or a note that it could not be read.
pub fn memory_line() -> String {
    match memory_kb() {
        Some((rss, hwm)) => format!("rss {:.1} MB, peak {:.1} MB", mb(rss), mb(hwm)),
        None => "memory: /proc/self/status not readable".to_string(),
    }
}

pub fn mb(kb: u64) -> f64 {
    kb as f64 / 1024.0
}

/// An environment knob with a default: `BENCH_ROUTERS=200 cargo bench ...`.
pub fn env_usize(name: &str, default: usize) -> usize {
    match std::env::var(name) {
        Ok(v) => match v.parse() {
            Ok(n) => n,
            Err(_) => {
                eprintln!("{name}={v:?} is not a number; using {default}");
                default
            }
        },
        Err(_) => default,
    }
}

/// A first port for `span` consecutive lab ports, below the kernel's ephemeral range: a
/// block inside it collides with the client side of recent connections (the benchmarks make
/// thousands). Varies with the process and the attempt, so a retry tries another block.
pub fn base_port(attempt: usize, span: usize) -> u16 {
    let ephemeral_start = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|t| t.split_whitespace().next()?.parse::<usize>().ok())
        .unwrap_or(32768);
    let low = 10_000;
    let room = ephemeral_start.saturating_sub(low + span).max(1);
    let spread = (std::process::id() as usize)
        .wrapping_mul(7919)
        .wrapping_add(attempt.wrapping_mul(104_729));
    u16::try_from(low + spread % room).unwrap_or(20_000)
}

/// A Python with netmiko and scrapli importable, at the versions the tests pin
/// (`tests/clients/requirements.txt`): `IPSEC_DOCTOR_CLIENTS_PYTHON`, or the venv `.ci/run`
/// makes (`target/clients-venv`), or one made and filled here on first use
/// (`target/bench-venv`).
pub fn python_venv(bench: &str) -> anyhow::Result<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let requirements = root.join("tests/clients/requirements.txt");
    let pinned: Vec<String> = std::fs::read_to_string(&requirements)?
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| l.to_ascii_lowercase().replace('_', "-"))
        .collect();
    // Importable, and holding exactly the pinned versions of both clients.
    let usable = |python: &Path| {
        let Ok(out) = Command::new(python)
            .args(["-m", "pip", "freeze"])
            .stderr(Stdio::null())
            .output()
        else {
            return false;
        };
        let frozen = String::from_utf8_lossy(&out.stdout)
            .to_ascii_lowercase()
            .replace('_', "-");
        let have = |pin: &String| frozen.lines().any(|l| l.trim() == pin);
        pinned
            .iter()
            .filter(|p| p.starts_with("netmiko==") || p.starts_with("scrapli=="))
            .all(have)
    };
    let candidates = std::env::var_os("IPSEC_DOCTOR_CLIENTS_PYTHON")
        .map(PathBuf::from)
        .into_iter()
        .chain([
            target.join("clients-venv/bin/python"),
            target.join("bench-venv/bin/python"),
        ]);
    for python in candidates {
        if python.is_file() && usable(&python) {
            return Ok(python);
        }
    }
    let venv = target.join("bench-venv");
    let python = venv.join("bin/python");
    println!(
        "{bench}: installing {} from PyPI into {}",
        requirements.display(),
        venv.display()
    );
    let made = Command::new("python3")
        .arg("-m")
        .arg("venv")
        .arg(&venv)
        .output()?;
    anyhow::ensure!(
        made.status.success(),
        "python3 -m venv failed: {}",
        String::from_utf8_lossy(&made.stderr).trim()
    );
    let pip = Command::new(&python)
        .args(["-m", "pip", "install", "--quiet", "-r"])
        .arg(&requirements)
        .output()?;
    anyhow::ensure!(
        pip.status.success(),
        "pip install -r {} failed: {}",
        requirements.display(),
        String::from_utf8_lossy(&pip.stderr).trim()
    );
    anyhow::ensure!(
        usable(&python),
        "netmiko or scrapli still not at the pinned versions"
    );
    Ok(python)
}

/// The lab child; killed on every way out of the benchmark.
pub struct LabProcess(pub Child);

impl Drop for LabProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs `ipsec-doctor lab ARGS` on a free block of `span` ports and waits until it serves;
/// returns it and the inventory it wrote (with its known_hosts beside it in `dir`).
pub fn start_lab(
    args: &[&str],
    span: usize,
    dir: &Path,
) -> anyhow::Result<(LabProcess, Inventory)> {
    let inventory = dir.join("inventory.yaml");
    for attempt in 0..5 {
        let base = base_port(attempt, span);
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
        let ready = lines
            .by_ref()
            .map_while(Result::ok)
            .any(|l| l.contains("Ctrl-C"));
        if ready {
            // Keep draining, so the lab never blocks on a full pipe.
            std::thread::spawn(move || lines.for_each(drop));
            return Ok((lab, Inventory::load(&inventory)?));
        }
    }
    anyhow::bail!("the lab did not start (ports taken five times)")
}
