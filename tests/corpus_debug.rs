use crate::util::{assert_evidence, corpus, finding};
use ipsec_doctor::capture::{Input, feed};
use ipsec_doctor::engine::finding::{Code, Confidence, Verdict};
use ipsec_doctor::engine::{Diagnosis, Engine};

fn run(files: &[(&str, &str)]) -> Diagnosis {
    let mut engine = Engine::new();
    for (peer, rel) in files {
        let input = Input {
            path: corpus(rel),
            peer: Some(peer.to_string()),
        };
        let warnings = feed(&mut engine, &input).expect("corpus file reads");
        assert!(warnings.is_empty(), "{warnings:?}");
    }
    engine.finish()
}

#[test]
fn healthy_is_tunnel_up() {
    let d = run(&[("spoke", "debug/healthy-01.log")]);
    assert_eq!(d.verdict, Verdict::Healthy);
    assert_eq!(d.findings.len(), 1, "{:#?}", d.findings);
    let f = finding(&d, Code::TunnelUp);
    assert_eq!(f.peer, "spoke");
    assert_evidence(f, "spoke", "IKE_QM_PHASE2_COMPLETE");
    assert_evidence(
        f,
        "spoke",
        "Successfully installed IPSEC SA (SPI:0xDA9E8DCA)",
    );
}

#[test]
fn psk_missing_on_initiator() {
    let d = run(&[("spoke", "debug/p1-psk-missing-01.log")]);
    assert_eq!(d.verdict, Verdict::Down);
    let f = finding(&d, Code::P1PskMissing);
    assert_eq!(f.peer, "spoke");
    assert_evidence(f, "spoke", "No pre-shared key with 203.0.113.1!");
    assert_eq!(f.evidence[0].line, 9);
    assert!(f.fix[0].commands[0].contains("address 203.0.113.1"));
}

#[test]
fn acl_mismatch_seen_by_the_responder() {
    let d = run(&[("hub", "debug/p2-acl-mismatch-01.log")]);
    let f = finding(&d, Code::P2ProxyIdMismatch);
    assert_eq!(f.peer, "hub");
    assert_evidence(f, "hub", "IPSec policy invalidated proposal with error 32");
    assert_evidence(f, "hub", "phase 2 SA policy not acceptable!");
}

#[test]
fn acl_mismatch_seen_by_the_initiator_alone_is_policy_rejected() {
    let d = run(&[("spoke", "debug/p2-acl-mismatch-02.log")]);
    let f = finding(&d, Code::P2PolicyRejected);
    assert_eq!(f.peer, "spoke");
    assert_evidence(
        f,
        "spoke",
        "processing NOTIFY PROPOSAL_NOT_CHOSEN protocol 3",
    );
    assert!(d.findings.iter().all(|f| f.code != Code::P2ProxyIdMismatch));
}

#[test]
fn both_sides_of_the_acl_mismatch_give_the_proxy_cause() {
    let d = run(&[
        ("hub", "debug/p2-acl-mismatch-01.log"),
        ("spoke", "debug/p2-acl-mismatch-02.log"),
    ]);
    assert_eq!(d.findings.len(), 1, "{:#?}", d.findings);
    let f = finding(&d, Code::P2ProxyIdMismatch);
    assert_eq!(f.peer, "hub");
    assert_eq!(f.confidence, Confidence::High);
    assert_evidence(f, "hub", "error 32");
    assert_evidence(f, "spoke", "PROPOSAL_NOT_CHOSEN");
}

#[test]
fn line_by_line_and_whole_file_agree() {
    // The engine streams: feeding the same capture as one read or line by line is identical.
    let text = std::fs::read_to_string(corpus("debug/healthy-01.log")).unwrap();
    let whole = crate::util::analyze(&[("spoke", &text)]);
    let mut engine = Engine::new();
    let id = engine.stream("spoke", true);
    for (i, line) in text.lines().enumerate() {
        engine.feed(id, "spoke.log", i + 1, line);
    }
    let split = engine.finish();
    assert_eq!(
        serde_json::to_string(&whole.findings).unwrap(),
        serde_json::to_string(&split.findings).unwrap()
    );
}
