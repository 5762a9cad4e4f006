//! What the lab benchmarks share: reading this process's memory from /proc.

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
