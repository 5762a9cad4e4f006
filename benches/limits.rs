//! The input limits that keep a run bounded, measured:
//!
//! - loading a generated playbook of 5,000, 10,000 and 20,000 steps: the time must grow in
//!   step with the size (it was quadratic: 64 s for 20,000 steps);
//! - `analyze` reading a capture that holds one 1 GiB line (`BENCH_LINE_MB`, default 1024)
//!   inside `show running-config`, from a stream: peak memory must stay where a small capture
//!   leaves it (it took 6.3 GB).
//!
//! `cargo bench --bench limits`

// Shared with the lab benchmarks; this one uses the memory readers only.
#[allow(dead_code)]
mod common;

use ipsec_doctor::capture::feed_reader;
use ipsec_doctor::engine::Engine;
use ipsec_doctor::playbook;
use std::io::Read;
use std::time::Instant;

fn playbook_text(steps: usize) -> String {
    let mut text = String::from("name: big\nsteps:\n");
    for i in 0..steps {
        text.push_str(&format!(
            "  - id: s{i}\n    kind: check\n    peer: both\n    safety: read\n    commands: [show udp, \"ping {{peer_address}} repeat 2\"]\n    explain: step {i}\n"
        ));
    }
    text
}

/// A capture streamed without being held: a session, then one line of `len` bytes inside the
/// running-config, then the rest of the session.
struct LongLine {
    head: &'static [u8],
    len: usize,
    tail: &'static [u8],
    at: usize,
}

impl Read for LongLine {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let (h, l) = (self.head.len(), self.len);
        let mut n = 0;
        while n < buf.len() {
            let i = self.at;
            let b = if i < h {
                self.head[i]
            } else if i < h + l {
                b'x'
            } else if let Some(&b) = self.tail.get(i - h - l) {
                b
            } else {
                break;
            };
            buf[n] = b;
            n += 1;
            self.at += 1;
        }
        Ok(n)
    }
}

fn analyze_stream(len: usize) -> (f64, usize) {
    let input = LongLine {
        head: b"R1#show running-config\nBuilding configuration...\nbanner motd ^C",
        len,
        tail: b"^C\ncrypto isakmp key s3cret address 203.0.113.2\nend\nR1#\n",
        at: 0,
    };
    let start = Instant::now();
    let mut engine = Engine::new();
    let warnings =
        feed_reader(&mut engine, input, "long.txt", "long.txt", "R1", true).expect("reads");
    let _ = engine.finish();
    (start.elapsed().as_secs_f64(), warnings.len())
}

fn main() {
    // Memory first, before the playbooks raise the peak.
    let (t, _) = analyze_stream(1024);
    let small = common::memory_kb().map_or(0, |(_, hwm)| hwm);
    println!(
        "analyze_long_line: 1 KiB line in {t:.3} s, peak {:.1} MB",
        common::mb(small)
    );
    let mb = common::env_usize("BENCH_LINE_MB", 1024);
    let (t, warnings) = analyze_stream(mb * 1024 * 1024);
    let big = common::memory_kb().map_or(0, |(_, hwm)| hwm);
    println!(
        "analyze_long_line: {mb} MiB line in {t:.2} s ({:.0} MB/s), peak {:.1} MB, {warnings} warning(s)",
        mb as f64 / t,
        common::mb(big)
    );

    let mut previous: Option<(usize, f64)> = None;
    for steps in [5_000, 10_000, 20_000] {
        let text = playbook_text(steps);
        let start = Instant::now();
        let p = playbook::parse("big.yaml", &text).expect("loads");
        let t = start.elapsed().as_secs_f64();
        assert_eq!(p.steps.len(), steps);
        let growth = previous
            .map(|(s, pt)| format!(", x{:.1} the time for x{} the steps", t / pt, steps / s))
            .unwrap_or_default();
        println!(
            "playbook_load: {steps} steps ({:.1} MB) in {t:.3} s{growth}",
            text.len() as f64 / 1e6
        );
        previous = Some((steps, t));
    }
}
