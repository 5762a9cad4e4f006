//! How fast `ipsec-doctor analyze` reads a capture, timed from outside as a user runs it
//! (process start, reading, every line through the engine, the JSON report), next to
//! `LC_ALL=C grep -c -E` with the engine's own signature patterns on the same file.
//!
//! `cargo bench --bench engine_throughput` (env `BENCH_MB`, default 256, sets the file size).
//!
//! Two files:
//! - `real`: every real capture in `tests/corpus/` (`debug/` and `real/ikev1/`) concatenated,
//!   repeated up to the size: the lines routers print, in the proportions real pastes have;
//! - `generated`: a hub's debug while it negotiates with thousands of spokes (the template
//!   below), for sizes the real corpus cannot reach without repeating itself.
//!
//! grep runs in the C locale (its fastest: no multibyte decoding) with two pattern sets: the
//! failure signatures (the lines an engineer would grep a log for) and every row of the table
//! (the same work the engine does). The patterns are the table's, converted to POSIX ERE; each
//! converted pattern is checked to match its own sample line before anything is timed, so a
//! bad conversion cannot make grep look faster. Each timing is the best of three runs by wall
//! clock; the CPU time (user + system) of that run is printed beside it, since on a busy
//! machine the wall clock also measures the wait for a core. Each child's own peak memory is
//! read with wait4, for a quarter-size and a full-size file: it must not grow.

use ipsec_doctor::engine::parse::signatures::SIGNATURES;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

/// One hub's debug while it negotiates with many spokes: healthy exchanges, proposal
/// mismatches, retransmissions, quick-mode rejections, syslog and the usual noise.
const TEMPLATE: &[&str] = &[
    "ISAKMP (0): received packet from {P} dport 500 sport 500 Global (N) NEW SA",
    "ISAKMP: Created a peer struct for {P}, peer port 500",
    "ISAKMP: New peer created peer = 0x8000730939973C58 peer_handle = 0x8000000040000004",
    "ISAKMP: Locking peer struct 0x8000730939973C58, refcount 1 for crypto_isakmp_process_block",
    "ISAKMP: local port 500, remote port 500",
    "ISAKMP:(0):insert sa successfully sa = 8000730939974E40",
    "ISAKMP:(0):Input = IKE_MESG_FROM_PEER, IKE_MM_EXCH",
    "ISAKMP:(0):Old State = IKE_READY  New State = IKE_R_MM1",
    "",
    "ISAKMP:(0): processing SA payload. message ID = 0",
    "ISAKMP:(0): processing vendor id payload",
    "ISAKMP:(0): vendor ID seems Unity/DPD but major 69 mismatch",
    "ISAKMP:(0): vendor ID is NAT-T RFC 3947",
    "ISAKMP:(0): processing vendor id payload",
    "ISAKMP:(0): vendor ID seems Unity/DPD but major 245 mismatch",
    "ISAKMP:(0): vendor ID is NAT-T v7",
    "ISAKMP:(0):found peer pre-shared key matching {P}",
    "ISAKMP:(0): local preshared key found",
    "ISAKMP : Scanning profiles for xauth ...",
    "ISAKMP:(0):Checking ISAKMP transform 1 against priority 5 policy",
    "ISAKMP:      encryption AES-CBC",
    "ISAKMP:      keylength of 256",
    "ISAKMP:      hash SHA",
    "ISAKMP:      default group 14",
    "ISAKMP:      auth pre-share",
    "ISAKMP:      life type in seconds",
    "ISAKMP:      life duration (VPI) of  0x0 0x1 0x51 0x80",
    "ISAKMP:(0):Encryption algorithm offered does not match policy!",
    "ISAKMP:(0):atts are not acceptable. Next payload is 0",
    "ISAKMP:(0):Checking ISAKMP transform 1 against priority 10 policy",
    "ISAKMP:      encryption AES-CBC",
    "ISAKMP:      keylength of 256",
    "ISAKMP:      hash SHA",
    "ISAKMP:      default group 14",
    "ISAKMP:      auth pre-share",
    "ISAKMP:      life type in seconds",
    "ISAKMP:      life duration (VPI) of  0x0 0x1 0x51 0x80",
    "ISAKMP:(0):atts are acceptable. Next payload is 0",
    "ISAKMP:(0):Acceptable atts:actual life: 0",
    "ISAKMP:(0):Acceptable atts:life: 0",
    "ISAKMP:(0):Fill atts in sa vpi_length:4",
    "ISAKMP:(0):Fill atts in sa life_in_seconds:86400",
    "ISAKMP:(0):Returning Actual lifetime: 86400",
    "ISAKMP:(0)::Started lifetime timer: 86400.",
    "",
    "ISAKMP:(0): processing vendor id payload",
    "ISAKMP:(0): vendor ID is NAT-T RFC 3947",
    "ISAKMP:(0):Input = IKE_MESG_INTERNAL, IKE_PROCESS_MAIN_MODE",
    "ISAKMP:(0):Old State = IKE_R_MM1  New State = IKE_R_MM1",
    "",
    "ISAKMP:(0): constructed NAT-T vendor-rfc3947 ID",
    "ISAKMP:(0): sending packet to {P} my_port 500 peer_port 500 (R) MM_SA_SETUP",
    "ISAKMP:(0):Sending an IKE IPv4 Packet.",
    "ISAKMP:(0):Input = IKE_MESG_INTERNAL, IKE_PROCESS_COMPLETE",
    "ISAKMP:(0):Old State = IKE_R_MM1  New State = IKE_R_MM2",
    "",
    "ISAKMP (0): received packet from {P} dport 500 sport 500 Global (R) MM_SA_SETUP",
    "ISAKMP:(0):Input = IKE_MESG_FROM_PEER, IKE_MM_EXCH",
    "ISAKMP:(0):Old State = IKE_R_MM2  New State = IKE_R_MM3",
    "",
    "ISAKMP:(0): processing KE payload. message ID = 0",
    "ISAKMP:(0): processing NONCE payload. message ID = 0",
    "ISAKMP:(0):found peer pre-shared key matching {P}",
    "ISAKMP:({S}): processing vendor id payload",
    "ISAKMP:({S}): vendor ID is DPD",
    "ISAKMP:({S}): processing vendor id payload",
    "ISAKMP:({S}): speaking to another IOS box!",
    "ISAKMP:({S}): processing vendor id payload",
    "ISAKMP:({S}): vendor ID seems Unity/DPD but major 215 mismatch",
    "ISAKMP:({S}): vendor ID is XAUTH",
    "ISAKMP:received payload type 20",
    "ISAKMP (1001): His hash no match - this node outside NAT",
    "ISAKMP:received payload type 20",
    "ISAKMP (1001): No NAT Found for self or peer",
    "ISAKMP:({S}):Input = IKE_MESG_INTERNAL, IKE_PROCESS_MAIN_MODE",
    "ISAKMP:({S}):Old State = IKE_R_MM3  New State = IKE_R_MM3",
    "",
    "ISAKMP:({S}): sending packet to {P} my_port 500 peer_port 500 (R) MM_KEY_EXCH",
    "ISAKMP:({S}):Sending an IKE IPv4 Packet.",
    "ISAKMP:({S}):Input = IKE_MESG_INTERNAL, IKE_PROCESS_COMPLETE",
    "ISAKMP:({S}):Old State = IKE_R_MM3  New State = IKE_R_MM4",
    "",
    "ISAKMP ({S}): received packet from {P} dport 500 sport 500 Global (R) MM_KEY_EXCH",
    "ISAKMP:({S}):Input = IKE_MESG_FROM_PEER, IKE_MM_EXCH",
    "ISAKMP:({S}):Old State = IKE_R_MM4  New State = IKE_R_MM5",
    "",
    "ISAKMP:({S}): processing ID payload. message ID = 0",
    "ISAKMP ({S}): ID payload",
    "        next-payload : 8",
    "        type         : 1",
    "        address      : {P}",
    "        protocol     : 17",
    "        port         : 500",
    "        length       : 12",
    "ISAKMP:({S}):: peer matches *none* of the profiles",
    "ISAKMP:({S}): processing HASH payload. message ID = 0",
    "ISAKMP:({S}): processing NOTIFY INITIAL_CONTACT protocol 1",
    "        spi 0, message ID = 0, sa = 0x8000730939974E40",
    "ISAKMP:({S}):SA authentication status:",
    "        authenticated",
    "ISAKMP:({S}):SA has been authenticated with {P}",
    "ISAKMP:({S}):peer does not do paranoid keepalives.",
    "ISAKMP:({S}):Old State = IKE_R_MM5  New State = IKE_P1_COMPLETE",
    "",
    "ISAKMP ({S}): received packet from {P} dport 500 sport 500 Global (R) QM_IDLE",
    "ISAKMP: set new node 1327257875 to QM_IDLE",
    "ISAKMP:({S}): processing HASH payload. message ID = 1327257875",
    "ISAKMP:({S}): processing SA payload. message ID = 1327257875",
    "ISAKMP:({S}):Checking IPSec proposal 1",
    "ISAKMP: transform 1, ESP_AES",
    "ISAKMP:   attributes in transform:",
    "ISAKMP:      encaps is 1 (Tunnel)",
    "ISAKMP:      SA life type in seconds",
    "ISAKMP:      SA life duration (basic) of 3600",
    "ISAKMP:      SA life type in kilobytes",
    "ISAKMP:      SA life duration (VPI) of  0x0 0x46 0x50 0x0",
    "ISAKMP:      authenticator is HMAC-SHA",
    "ISAKMP:      key length is 256",
    "ISAKMP:({S}):atts are acceptable.",
    "IPSEC(validate_proposal_request): proposal part #1",
    "IPSEC(validate_proposal_request): proposal part #1,",
    "  (key eng. msg.) INBOUND local= 198.18.0.1:0, remote= {P}:0,",
    "    local_proxy= 192.168.0.0/255.255.0.0/256/0,",
    "    remote_proxy= 10.1.0.0/255.255.255.0/256/0,",
    "    protocol= ESP, transform= esp-aes 256 esp-sha-hmac  (Tunnel),",
    "ISAKMP:({S}): IPSec policy invalidated proposal with error 32",
    "ISAKMP:({S}): phase 2 SA policy not acceptable! (local 198.18.0.1 remote {P})",
    "ISAKMP: set new node 1148084868 to QM_IDLE",
    "ISAKMP:({S}):Sending NOTIFY PROPOSAL_NOT_CHOSEN protocol 3",
    "ISAKMP:({S}):deleting node 1327257875 error TRUE reason \"QM rejected\"",
    "ISAKMP:({S}):Node 1327257875, Input = IKE_MESG_FROM_PEER, IKE_QM_EXCH",
    "ISAKMP:({S}):Old State = IKE_QM_READY  New State = IKE_QM_READY",
    "ISAKMP:(0): retransmitting phase 1 MM_NO_STATE...",
    "ISAKMP (0): incrementing error counter on sa, attempt 3 of 5: retransmit phase 1",
    "ISAKMP:(0): retransmitting phase 1 MM_NO_STATE",
    "ISAKMP:(0): sending packet to {P} my_port 500 peer_port 500 (I) MM_NO_STATE",
    "ISAKMP:(0):Sending an IKE IPv4 Packet.",
    "%CRYPTO-4-IKMP_BAD_MESSAGE: IKE message from {P} failed its sanity check or is malformed",
    "ISAKMP:({S}):Successfully installed IPSEC SA (SPI:0xDA9E8DCA) on GigabitEthernet0/0",
    "ISAKMP:({S}):Old State = IKE_QM_IPSEC_INSTALL_AWAIT  New State = IKE_QM_PHASE2_COMPLETE",
];

/// The rows an engineer greps a log for: the lines that say something failed.
const FAILURE_ROWS: &[&str] = &[
    "retransmit",
    "retransmit_due",
    "retransmit_attempt",
    "duplicate_packet",
    "p1_attribute_mismatch",
    "preshared_offered_no_key",
    "atts_not_acceptable",
    "sa_not_acceptable",
    "no_offers_accepted",
    "psk_missing",
    "bad_message",
    "policy_invalidated",
    "proxy_ids_not_supported",
    "transform_not_supported",
    "invalid_local_address",
    "invalid_proxy_ids",
    "mode_failure",
    "invalid_spi",
];

fn generate(path: &Path, bytes: u64) -> std::io::Result<u64> {
    let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    let (mut written, mut n, mut ms) = (0u64, 0u64, 0u64);
    while written < bytes {
        let peer = format!("198.18.{}.{}", 1 + (n / 250) % 250, 1 + n % 250);
        let sa = (1000 + n % 60_000).to_string();
        for t in TEMPLATE {
            ms += 3;
            let (h, m, s, f) = (
                (ms / 3_600_000) % 24,
                (ms / 60_000) % 60,
                (ms / 1000) % 60,
                ms % 1000,
            );
            let body = t.replace("{P}", &peer).replace("{S}", &sa);
            let line = if body.is_empty() || body.starts_with(' ') {
                format!("{body}\n")
            } else {
                format!("*Nov 26 {h:02}:{m:02}:{s:02}.{f:03}: {body}\n")
            };
            out.write_all(line.as_bytes())?;
            written += line.len() as u64;
        }
        n += 1;
    }
    out.flush()?;
    Ok(written)
}

/// The real captures of the test corpus, one after the other, repeated up to `bytes`.
fn concatenate_real(path: &Path, bytes: u64) -> std::io::Result<(u64, usize)> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut files: Vec<PathBuf> = Vec::new();
    for dir in ["debug", "real/ikev1"] {
        if let Ok(rd) = std::fs::read_dir(root.join(dir)) {
            files.extend(
                rd.filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|x| x == "log")),
            );
        }
    }
    files.sort();
    let mut corpus = Vec::new();
    for f in &files {
        corpus.extend(std::fs::read(f)?);
        if corpus.last() != Some(&b'\n') {
            corpus.push(b'\n');
        }
    }
    let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    let mut written = 0u64;
    while written < bytes && !corpus.is_empty() {
        out.write_all(&corpus)?;
        written += corpus.len() as u64;
    }
    out.flush()?;
    Ok((written, files.len()))
}

/// A table pattern as a POSIX extended regex for grep: unanchored (the body does not start
/// the line in a file), Perl classes spelled the POSIX way inside and outside brackets,
/// non-capturing and named groups as plain groups, lazy quantifiers as greedy ones (the same
/// lines match).
fn to_ere(pattern: &str) -> String {
    let p = pattern.strip_prefix('^').unwrap_or(pattern);
    let mut out = String::new();
    let mut chars = p.chars().peekable();
    let mut in_bracket = false;
    // Open groups, true for a case-insensitive one: grep has no inline flag, so its letters
    // become `[xX]`.
    let mut groups: Vec<bool> = Vec::new();
    while let Some(c) = chars.next() {
        let fold = groups.iter().any(|ci| *ci);
        match c {
            '\\' => {
                let Some(e) = chars.next() else { break };
                let class = match (e, in_bracket) {
                    ('d', false) => "[0-9]".to_string(),
                    ('d', true) => "0-9".to_string(),
                    ('s', false) => "[[:space:]]".to_string(),
                    ('s', true) => "[:space:]".to_string(),
                    ('S', false) => "[^[:space:]]".to_string(),
                    ('w', false) => "[[:alnum:]_]".to_string(),
                    ('w', true) => "[:alnum:]_".to_string(),
                    ('b', false) => "\\b".to_string(),
                    // Inside a bracket a backslash is literal in POSIX: drop it.
                    (other, true) => other.to_string(),
                    (other, false) => format!("\\{other}"),
                };
                assert!(
                    !(e == 'S' && in_bracket),
                    "\\S inside a bracket has no POSIX form: {pattern}"
                );
                out.push_str(&class);
            }
            '[' if !in_bracket => {
                in_bracket = true;
                out.push('[');
                // A `]` or `^]` right after the opening bracket is a literal.
                if chars.peek() == Some(&'^') {
                    out.push('^');
                    chars.next();
                }
            }
            ']' if in_bracket => {
                in_bracket = false;
                out.push(']');
            }
            '(' if !in_bracket && chars.peek() == Some(&'?') => {
                chars.next();
                let mut ci = false;
                match chars.next() {
                    Some(':') => {}
                    Some('i') => {
                        chars.next();
                        ci = true;
                    }
                    // `(?P<name>`
                    Some('P') => {
                        for c in chars.by_ref() {
                            if c == '>' {
                                break;
                            }
                        }
                    }
                    _ => {}
                }
                groups.push(ci);
                out.push('(');
            }
            '(' if !in_bracket => {
                groups.push(false);
                out.push('(');
            }
            ')' if !in_bracket => {
                groups.pop();
                out.push(')');
            }
            '?' if !in_bracket && matches!(out.chars().last(), Some('*' | '+' | '?')) => {}
            c if fold && !in_bracket && c.is_ascii_alphabetic() => {
                out.push('[');
                out.push(c.to_ascii_lowercase());
                out.push(c.to_ascii_uppercase());
                out.push(']');
            }
            c => out.push(c),
        }
    }
    out
}

/// Writes the ERE patterns of `rows` and checks with grep that each matches its sample.
fn patterns(dir: &Path, name: &str, rows: &[&'static str]) -> PathBuf {
    let chosen: Vec<_> = SIGNATURES
        .iter()
        .filter(|s| rows.is_empty() || rows.contains(&s.name))
        .collect();
    for sig in &chosen {
        let ere = to_ere(sig.pattern);
        let out = Command::new("grep")
            .env("LC_ALL", "C")
            .args(["-c", "-E", "-e", &ere])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .and_then(|mut child| {
                if let Some(mut stdin) = child.stdin.take() {
                    stdin.write_all(
                        format!("*Nov 26 10:00:00.000: ISAKMP:(0):{}\n", sig.sample).as_bytes(),
                    )?;
                }
                child.wait_with_output()
            })
            .expect("grep runs");
        let count = String::from_utf8_lossy(&out.stdout).trim().to_string();
        assert_eq!(
            count, "1",
            "{}: the ERE {ere:?} does not match its own sample",
            sig.name
        );
    }
    let text: String = chosen.iter().map(|s| to_ere(s.pattern) + "\n").collect();
    let path = dir.join(format!("{name}.ere"));
    std::fs::write(&path, text).expect("write patterns");
    path
}

/// One run of a command as measured from outside: wall clock, CPU (user + system) and the
/// child's own peak resident memory, with its standard output.
struct Run {
    wall: f64,
    cpu: f64,
    rss_kb: u64,
    stdout: String,
}

/// Best of three runs of `cmd` by wall clock; the CPU time and peak memory reported are the
/// best run's CPU and the largest peak of the three.
fn time(mut cmd: impl FnMut() -> Command) -> Run {
    let mut best: Option<Run> = None;
    let mut rss = 0;
    for _ in 0..3 {
        let run = run_once(cmd());
        rss = rss.max(run.rss_kb);
        if best.as_ref().is_none_or(|b| run.wall < b.wall) {
            best = Some(run);
        }
    }
    let mut best = best.expect("three runs");
    best.rss_kb = rss;
    best
}

/// Runs `cmd` to the end and reaps it with `wait4`, which gives this child's own resource use
/// (getrusage on all children only keeps the largest peak seen so far).
#[allow(clippy::zombie_processes)] // reaped by wait4 below, which std does not know about
fn run_once(mut cmd: Command) -> Run {
    use std::io::Read;
    let start = Instant::now();
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("command runs");
    let mut err = child.stderr.take().expect("stderr piped");
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .expect("stdout piped")
        .read_to_string(&mut stdout)
        .expect("read stdout");
    let mut status = 0;
    // SAFETY: wait4 writes the status and the zeroed rusage it is given; the pid is our own
    // child, which has not been waited for.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    let wall = start.elapsed().as_secs_f64();
    assert!(pid > 0, "wait4 failed");
    let stderr = err.join().unwrap_or_default();
    let code = libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
    assert!(code.is_some_and(|c| c <= 3), "exit {status}: {stderr}");
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    Run {
        wall,
        cpu: secs(usage.ru_utime) + secs(usage.ru_stime),
        rss_kb: usage.ru_maxrss as u64,
        stdout,
    }
}

fn analyze(path: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ipsec-doctor"));
    c.args(["analyze", "--format", "json"]).arg(path);
    c
}

fn grep(patterns: &Path, path: &Path) -> Command {
    let mut c = Command::new("grep");
    c.env("LC_ALL", "C")
        .args(["-c", "-E", "-f"])
        .arg(patterns)
        .arg(path);
    c
}

fn mibs(bytes: u64, secs: f64) -> f64 {
    bytes as f64 / 1_048_576.0 / secs
}

fn main() {
    let mb: u64 = std::env::var("BENCH_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256);
    let dir = std::env::temp_dir().join("ipsec-doctor-bench");
    std::fs::create_dir_all(&dir).expect("temp dir");
    let failures = patterns(&dir, "failures", FAILURE_ROWS);
    let all = patterns(&dir, "all", &[]);

    println!(
        "engine_throughput: `ipsec-doctor analyze --format json FILE` end to end vs `LC_ALL=C grep -c -E -f PATTERNS FILE`, best of 3"
    );
    println!(
        "  patterns: {} failure signatures, {} signatures in all",
        FAILURE_ROWS.len(),
        SIGNATURES.len()
    );
    for kind in ["real", "generated"] {
        let quarter = dir.join(format!("{kind}-quarter.log"));
        let full = dir.join(format!("{kind}.log"));
        let make = |p: &Path, b: u64| match kind {
            "real" => concatenate_real(p, b),
            _ => generate(p, b).map(|n| (n, 0)),
        };
        let (q_bytes, _) = make(&quarter, mb * 1024 * 1024 / 4).expect("write the file");
        let (bytes, files) = make(&full, mb * 1024 * 1024).expect("write the file");
        let small = time(|| analyze(&quarter));
        let big = time(|| analyze(&full));
        let findings = big.stdout.matches("\"code\"").count();
        let gf = time(|| grep(&failures, &full));
        let ga = time(|| grep(&all, &full));
        if kind == "real" {
            println!("  real file: the {files} capture files of tests/corpus, repeated");
        }
        println!(
            "  {kind} file, {} MiB (wall clock, best of 3; CPU = user + system of that run):",
            bytes / 1_048_576
        );
        let line = |what: String, r: &Run, n: u64, tail: String| {
            println!(
                "    {what:<34}: {:7.3} s {:8.1} MiB/s  CPU {:6.3} s {:8.1} MiB/s  {tail}",
                r.wall,
                mibs(n, r.wall),
                r.cpu,
                mibs(n, r.cpu)
            )
        };
        line(
            format!("ipsec-doctor analyze ({:>4} MiB)", q_bytes / 1_048_576),
            &small,
            q_bytes,
            format!("peak RSS {:>6} kB", small.rss_kb),
        );
        line(
            format!("ipsec-doctor analyze ({:>4} MiB)", bytes / 1_048_576),
            &big,
            bytes,
            format!("peak RSS {:>6} kB  ({findings} findings)", big.rss_kb),
        );
        line(
            "grep, failure signatures".to_string(),
            &gf,
            bytes,
            format!("peak RSS {:>6} kB  ({} lines)", gf.rss_kb, gf.stdout.trim()),
        );
        line(
            "grep, all signatures".to_string(),
            &ga,
            bytes,
            format!("peak RSS {:>6} kB  ({} lines)", ga.rss_kb, ga.stdout.trim()),
        );
        println!(
            "    analyze vs grep (failures): {:.2}x its speed by wall clock, {:.2}x by CPU; vs grep (all): {:.2}x, {:.2}x",
            gf.wall / big.wall,
            gf.cpu / big.cpu,
            ga.wall / big.wall,
            ga.cpu / big.cpu
        );
        let _ = std::fs::remove_file(&quarter);
        let _ = std::fs::remove_file(&full);
    }
}
