use ipsec_doctor::capture::feed_reader;
use ipsec_doctor::engine::finding::{Code, Finding};
use ipsec_doctor::engine::{Diagnosis, Engine};
use std::path::PathBuf;

/// Analyses in-memory captures, one per named peer, as `analyze --peer NAME=FILE` would.
pub fn analyze(captures: &[(&str, &str)]) -> Diagnosis {
    let mut engine = Engine::new();
    for (peer, text) in captures {
        let file = format!("{peer}.log");
        feed_reader(&mut engine, text.as_bytes(), &file, &file, peer, true).expect("capture reads");
    }
    engine.finish()
}

/// The one finding with `code`, failing with the whole diagnosis when it is absent.
pub fn finding(d: &Diagnosis, code: Code) -> &Finding {
    d.findings
        .iter()
        .find(|f| f.code == code)
        .unwrap_or_else(|| panic!("no {code} in {:#?}", d.findings))
}

/// Asserts that some evidence line of `f` is from `peer` and contains `text`.
pub fn assert_evidence(f: &Finding, peer: &str, text: &str) {
    assert!(
        f.evidence
            .iter()
            .any(|e| e.peer == peer && e.text.contains(text)),
        "{}: no evidence from {peer} containing {text:?}: {:#?}",
        f.code,
        f.evidence
    );
}

pub fn corpus(rel: &str) -> PathBuf {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/corpus")
        .join(rel);
    assert!(
        p.exists(),
        "corpus file missing: {} (shared/ must sit beside the repo)",
        p.display()
    );
    p
}

pub fn bin() -> std::process::Command {
    std::process::Command::new(env!("CARGO_BIN_EXE_ipsec-doctor"))
}
