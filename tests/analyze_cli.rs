use crate::util::{bin, corpus};
use std::io::Write;
use std::process::Stdio;

fn run(args: &[&str]) -> (i32, String, String) {
    let out = bin().args(args).output().expect("binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn json_report_follows_the_contract() {
    let hub = format!("hub={}", corpus("debug/p2-acl-mismatch-01.log").display());
    let spoke = format!("spoke={}", corpus("debug/p2-acl-mismatch-02.log").display());
    let (code, out, _) = run(&[
        "analyze", "--peer", &hub, "--peer", &spoke, "--format", "json",
    ]);
    assert_eq!(code, 2);
    let v: serde_json::Value = serde_json::from_str(&out).expect("valid JSON");
    assert_eq!(v["exit_code"], 2);
    assert_eq!(v["verdict"], "down");
    let f = &v["findings"][0];
    assert_eq!(f["code"], "P2_PROXY_ID_MISMATCH");
    assert_eq!(f["severity"], "critical");
    assert_eq!(f["peer"], "hub");
    assert_eq!(f["phase"], "2");
    assert_eq!(f["confidence"], "high");
    let ev = f["evidence"].as_array().expect("evidence list");
    assert!(ev.iter().any(|e| e["peer"] == "spoke"
        && e["source"] == "p2-acl-mismatch-02.log"
        && e["line"] == 13));
    assert!(f["fix"].is_array());
}

#[test]
fn healthy_exits_zero_and_text_names_the_code() {
    let path = corpus("debug/healthy-01.log");
    let (code, out, _) = run(&["analyze", path.to_str().unwrap(), "--color", "never"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("HEALTHY") && out.contains("TUNNEL_UP"),
        "{out}"
    );
    assert!(!out.contains("\x1b["), "no colour when asked");
}

#[test]
fn reads_stdin() {
    let mut child = bin()
        .args(["analyze", "-", "--format", "json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    let data = std::fs::read(corpus("debug/p1-psk-missing-01.log")).unwrap();
    child.stdin.take().unwrap().write_all(&data).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["findings"][0]["code"], "P1_PSK_MISSING");
    assert_eq!(v["findings"][0]["evidence"][0]["source"], "stdin");
}

#[test]
fn prometheus_and_markdown_render() {
    let path = corpus("debug/p1-psk-missing-01.log");
    let p = path.to_str().unwrap();
    let (code, out, _) = run(&["analyze", p, "--format", "prometheus"]);
    assert_eq!(code, 2);
    assert!(
        out.contains("ipsec_doctor_status{tunnel=\"p1-psk-missing-01\"} 2"),
        "{out}"
    );
    assert!(out.contains("code=\"P1_PSK_MISSING\""), "{out}");
    let (_, md, _) = run(&["analyze", p, "--format", "markdown"]);
    assert!(
        md.contains("`P1_PSK_MISSING`") && md.contains("```text"),
        "{md}"
    );
}

#[test]
fn bad_input_exits_3_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.log");
    std::fs::write(&empty, b"").unwrap();
    let binary = dir.path().join("core.bin");
    std::fs::write(&binary, [0x7f, b'E', b'L', b'F', 0, 0, 1, 2]).unwrap();
    let missing = dir.path().join("nope.log");
    for (path, words) in [
        (empty.as_path(), "empty"),
        (binary.as_path(), "binary"),
        (missing.as_path(), "no such file"),
        (dir.path(), "directory"),
    ] {
        let p = path.to_str().unwrap();
        let (code, out, err) = run(&["analyze", p]);
        assert_eq!(code, 3, "{p}: {out}{err}");
        assert!(err.starts_with("ipsec-doctor: "), "{err}");
        assert!(err.contains(p) && err.contains(words), "{p}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    let (code, _, err) = run(&["analyze"]);
    assert_eq!(code, 3, "{err}");
}

#[test]
fn lossy_bytes_and_truncated_last_line_warn_but_analyse() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("r1.log");
    let mut data = std::fs::read(corpus("debug/p1-psk-missing-01.log")).unwrap();
    data.extend_from_slice(b"*Oct 25 18:50:01.600: ISAKMP: (0):stray \xff\xfe bytes\n*Oct 25 18:50:01.601: ISAKMP: (0):cut sho");
    std::fs::write(&f, &data).unwrap();
    let (code, out, err) = run(&["analyze", f.to_str().unwrap(), "--color", "never"]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(out.contains("P1_PSK_MISSING"));
    assert!(
        out.contains("r1.log:18: 1 line(s) hold bytes that are not UTF-8"),
        "{out}"
    );
    assert!(
        out.contains("r1.log:19: last line has no line end"),
        "{out}"
    );
}

/// A FIFO is read once, as a stream: nothing is consumed by the checks before the analysis.
#[test]
fn reads_a_fifo() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("r1.log");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(status.success());
    let data = std::fs::read(corpus("debug/p1-psk-missing-01.log")).unwrap();
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            // Opening blocks until the reader opens its end.
            let mut f = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
            f.write_all(&data).unwrap();
        })
    };
    let (code, out, err) = run(&["analyze", fifo.to_str().unwrap(), "--format", "json"]);
    writer.join().unwrap();
    assert_eq!(code, 2, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["findings"][0]["code"], "P1_PSK_MISSING");
    assert_eq!(
        v["peers"][0]["lines"], 17,
        "every line read, none lost to a sniff"
    );
}

/// `analyze <(zcat r1.log.gz)`: the shell hands over `/dev/fd/63`, a pipe.
#[test]
fn reads_process_substitution() {
    // `$0` is the binary, so the shell runs it as a user would.
    let shell = |script: &str| {
        std::process::Command::new("bash")
            .args(["-c", script, env!("CARGO_BIN_EXE_ipsec-doctor")])
            .output()
            .unwrap()
    };
    let out = shell(&format!(
        "exec \"$0\" analyze <(cat '{}') --format json",
        corpus("debug/p1-psk-missing-01.log").display()
    ));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["findings"][0]["code"], "P1_PSK_MISSING");
    assert!(
        v["findings"][0]["evidence"][0]["source"]
            .as_str()
            .unwrap()
            .chars()
            .all(|c| c.is_ascii_digit())
    );

    // An empty pipe is said to be empty, and binary data refused, without hanging.
    let out = shell("exec \"$0\" analyze <(true)");
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("empty"));
    let out = shell("exec \"$0\" analyze <(printf 'R1#show ver\\n\\0\\1')");
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("binary"));
}

/// A line far longer than any router prints is cut, with a warning naming file and line,
/// and the rest of the capture is analysed as usual.
#[test]
fn a_huge_line_is_cut_with_a_warning_naming_file_and_line() {
    let mut child = bin()
        .args(["analyze", "-", "--format", "json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().unwrap();
    let feeder = std::thread::spawn(move || {
        stdin
            .write_all(b"R1#show running-config\nbanner motd ^C")
            .unwrap();
        let chunk = vec![b'x'; 1 << 20];
        for _ in 0..64 {
            stdin.write_all(&chunk).unwrap();
        }
        stdin.write_all(b"^C\n").unwrap();
        stdin
            .write_all(&std::fs::read(corpus("debug/p1-psk-missing-01.log")).unwrap())
            .unwrap();
    });
    let out = child.wait_with_output().unwrap();
    feeder.join().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["findings"][0]["code"], "P1_PSK_MISSING");
    let warnings: Vec<&str> = v["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|w| w.as_str())
        .collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].starts_with("<stdin>:2: line of 67108880 bytes cut to its first 64 KiB"),
        "{warnings:?}"
    );
    assert!(stderr.contains("<stdin>:2: line of"), "{stderr}");
}
