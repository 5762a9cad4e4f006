//! Engine throughput on a large generated capture, next to `grep -c -E` with the engine's own
//! signature patterns on the same file, so the ratio can be read off.
//!
//! `cargo bench --bench engine_throughput` (env `BENCH_MB`, default 256, sets the file size).
//! It also runs a quarter-size file first and prints the peak resident memory after each run:
//! the engine streams, so the peak must not grow with the input.

use ipsec_doctor::capture::{Input, feed};
use ipsec_doctor::engine::Engine;
use ipsec_doctor::engine::parse::signatures::SIGNATURES;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
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

/// The signature table as POSIX extended regexes: same patterns, unanchored (the body does not
/// start the line in a file), and the Perl classes spelled the POSIX way.
fn ere_patterns() -> String {
    SIGNATURES
        .iter()
        .map(|s| {
            let mut p = s.pattern.trim_start_matches('^').to_string();
            for (from, to) in [
                (r"\d", "[0-9]"),
                (r"\s", "[[:space:]]"),
                (r"\S", "[^[:space:]]"),
                (r"\w", "[[:alnum:]_]"),
                ("(?:", "("),
                ("(?i:", "("),
            ] {
                p = p.replace(from, to);
            }
            while let Some(i) = p.find("(?P<") {
                let close = p[i..].find('>').map_or(i + 4, |c| i + c + 1);
                p.replace_range(i..close, "(");
            }
            p + "\n"
        })
        .collect()
}

fn peak_rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn engine_run(path: &Path) -> (f64, usize) {
    let start = Instant::now();
    let mut engine = Engine::new();
    let input = Input {
        path: path.to_path_buf(),
        peer: Some("hub".into()),
    };
    feed(&mut engine, &input).expect("bench capture reads");
    let d = engine.finish();
    (start.elapsed().as_secs_f64(), d.findings.len())
}

fn main() {
    let mb: u64 = std::env::var("BENCH_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256);
    let dir = std::env::temp_dir().join("ipsec-doctor-bench");
    std::fs::create_dir_all(&dir).expect("temp dir");
    let small = dir.join("small.log");
    let big: PathBuf = dir.join("capture.log");
    let small_bytes = generate(&small, mb * 1024 * 1024 / 4).expect("generate");
    let big_bytes = generate(&big, mb * 1024 * 1024).expect("generate");

    let (t_small, _) = engine_run(&small);
    let rss_small = peak_rss_kb();
    let (t_big, findings) = engine_run(&big);
    let rss_big = peak_rss_kb();
    let mbs = |b: u64, t: f64| b as f64 / 1_048_576.0 / t;

    let pats = dir.join("signatures.ere");
    std::fs::write(&pats, ere_patterns()).expect("write patterns");
    let start = Instant::now();
    let grep = Command::new("grep")
        .arg("-c")
        .arg("-E")
        .arg("-f")
        .arg(&pats)
        .arg(&big)
        .output();
    let t_grep = start.elapsed().as_secs_f64();

    println!(
        "engine_throughput: {} MB capture, {} signature patterns",
        big_bytes / 1_048_576,
        SIGNATURES.len()
    );
    println!(
        "  engine  small ({:>4} MB): {:7.3} s  {:7.1} MB/s  peak RSS {:>7} kB",
        small_bytes / 1_048_576,
        t_small,
        mbs(small_bytes, t_small),
        rss_small
    );
    println!(
        "  engine  full  ({:>4} MB): {:7.3} s  {:7.1} MB/s  peak RSS {:>7} kB  ({findings} findings)",
        big_bytes / 1_048_576,
        t_big,
        mbs(big_bytes, t_big),
        rss_big
    );
    match grep {
        Ok(o) => {
            let count = String::from_utf8_lossy(&o.stdout).trim().to_string();
            println!(
                "  grep -c -E -f signatures ({count} matching lines): {t_grep:7.3} s  {:7.1} MB/s",
                mbs(big_bytes, t_grep)
            );
            println!("  ratio engine/grep time: {:.2}", t_big / t_grep);
        }
        Err(e) => println!("  grep not run: {e}"),
    }
    if std::env::var_os("BENCH_KEEP").is_some() {
        let _ = std::fs::rename(&small, dir.join("keep.log"));
    }
    let _ = std::fs::remove_file(&small);
    let _ = std::fs::remove_file(&big);
}
