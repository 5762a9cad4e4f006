//! The IKE exchange drawn as a ladder, and the HTML report that carries it as SVG.
//!
//! Golden pictures come from the real captures in `tests/corpus/debug/` (both sides where the
//! corpus has both) and from a lab transcript in `tests/golden/ladder/lab/` (lab output, made
//! by [`write_lab_transcripts`]). `UPDATE_GOLDEN=1` rewrites the goldens after an intended
//! change. Every HTML document is parsed with an XML parser: well-formed, nothing fetched from
//! elsewhere, no script, no secret, no router text unescaped.

use crate::util::{bin, corpus};
use ipsec_doctor::capture::{Input, feed, feed_reader};
use ipsec_doctor::engine::finding::Code;
use ipsec_doctor::engine::{Diagnosis, Engine};
use ipsec_doctor::report::ladder::term::{Charset, draw};
use ipsec_doctor::report::ladder::{self, End, Ladder, Row, Side, Status};
use ipsec_doctor::report::{self, Format, Report};
use quick_xml::events::Event;
use std::path::PathBuf;

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden/ladder")
}

fn check(name: &str, actual: &str) {
    let path = golden_dir().join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).expect("write golden");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        expected == actual,
        "{name} differs from the golden file (UPDATE_GOLDEN=1 to accept)\n--- expected ---\n{expected}\n--- actual ---\n{actual}"
    );
}

/// `(peer name, path)` pairs through the engine, as `analyze --peer NAME=FILE` reads them.
fn diagnose(files: &[(&str, PathBuf)]) -> Diagnosis {
    let mut engine = Engine::new();
    for (peer, path) in files {
        let input = Input {
            path: path.clone(),
            peer: Some(peer.to_string()),
        };
        feed(&mut engine, &input).expect("capture reads");
    }
    engine.finish()
}

fn p2_pair() -> Diagnosis {
    diagnose(&[
        ("hub", corpus("debug/p2-acl-mismatch-01.log")),
        ("spoke", corpus("debug/p2-acl-mismatch-02.log")),
    ])
}

fn lab_pair() -> Diagnosis {
    diagnose(&[
        ("R1", golden_dir().join("lab/dh-mismatch-R1.txt")),
        ("R2", golden_dir().join("lab/dh-mismatch-R2.txt")),
    ])
}

fn built(d: &Diagnosis) -> Ladder {
    ladder::build(d).expect("a router logged IKE messages")
}

fn arrows(l: &Ladder) -> Vec<(&str, Side, Status, u32, u32)> {
    l.rows
        .iter()
        .filter_map(|r| match r {
            Row::Arrow(a) => Some((a.label.as_str(), a.from, a.status, a.sent, a.received)),
            _ => None,
        })
        .collect()
}

fn stop_code(l: &Ladder) -> Option<Code> {
    match &l.end {
        End::Stopped { finding, .. } | End::Complete { finding } => {
            finding.as_ref().map(|n| n.code)
        }
    }
}

#[test]
fn both_sides_of_a_refused_quick_mode_make_one_arrow_each() {
    let l = built(&p2_pair());
    // The spoke initiated, so it is drawn on the left.
    assert_eq!(l.left.name, "spoke");
    assert_eq!(l.right.name, "hub");
    assert_eq!(
        arrows(&l),
        [
            ("QM1", Side::Left, Status::Delivered, 1, 1),
            ("INFO", Side::Right, Status::Delivered, 1, 1),
        ]
    );
    assert!(l.rows.iter().any(|r| matches!(r,
        Row::Mark { side: Side::Right, text } if text.contains("refused the IPsec proposal (error 32) ×2"))));
    assert_eq!(
        l.rows.first(),
        Some(&Row::Milestone("phase 1 up before the capture".into()))
    );
    assert_eq!(stop_code(&l), Some(Code::P2ProxyIdMismatch));
    check("p2-acl-mismatch.txt", &draw(&l, Charset::Unicode, false));
    check(
        "p2-acl-mismatch.ascii.txt",
        &draw(&l, Charset::Ascii, false),
    );
}

#[test]
fn one_router_alone_leaves_the_other_column_not_seen() {
    let d = diagnose(&[("healthy-01", corpus("debug/healthy-01.log"))]);
    let l = built(&d);
    assert!(l.left.seen && !l.right.seen);
    assert_eq!(l.right.name, "203.0.113.1");
    let labels: Vec<&str> = arrows(&l).iter().map(|a| a.0).collect();
    assert_eq!(
        labels,
        [
            "MM1", "MM2", "MM3", "MM4", "MM5", "MM6", "QM1", "QM2", "QM3"
        ]
    );
    assert!(matches!(l.end, End::Complete { .. }));
    assert_eq!(stop_code(&l), Some(Code::TunnelUp));
    check("healthy-01.txt", &draw(&l, Charset::Unicode, false));
}

#[test]
fn a_main_mode_that_never_started_stops_before_the_first_message() {
    let d = diagnose(&[("branch", corpus("debug/p1-psk-missing-01.log"))]);
    let l = built(&d);
    assert!(arrows(&l).is_empty());
    assert!(matches!(&l.end, End::Stopped { after: None, .. }));
    assert_eq!(stop_code(&l), Some(Code::P1PskMissing));
    check("p1-psk-missing-01.txt", &draw(&l, Charset::Unicode, false));
}

#[test]
fn a_lab_transcript_draws_the_refused_proposal_and_the_retransmissions() {
    let l = built(&lab_pair());
    let a = arrows(&l);
    assert_eq!(a.len(), 1, "{a:?}");
    let (label, from, status, sent, received) = a[0];
    assert_eq!(
        (label, from, status),
        ("MM1", Side::Left, Status::Delivered)
    );
    assert_eq!(
        (sent, received),
        (6, 6),
        "MM1 and five retransmissions, each refused"
    );
    assert!(l.rows.iter().any(|r| matches!(r,
        Row::Mark { side: Side::Right, text } if text.starts_with("R2: refused every phase 1 proposal (DH group differs)"))));
    assert_eq!(stop_code(&l), Some(Code::P1DhGroupMismatch));
    check("lab-dh-mismatch.txt", &draw(&l, Charset::Unicode, false));
}

/// The text report, as `analyze --ladder always` prints it.
#[test]
fn the_text_report_shows_the_ladder_before_the_findings() {
    let d = lab_pair();
    let r = Report::new("analyze", "R1 <-> R2", d, Vec::new());
    let style = report::Style {
        color: false,
        ladder: Some(Charset::Ascii),
    };
    let text = report::render_styled(Format::Text, std::slice::from_ref(&r), &style);
    let ladder_at = text.find("exchange:").expect("a ladder section");
    let finding_at = text.find("1. [CRITICAL]").expect("a finding");
    assert!(ladder_at < finding_at, "{text}");
    assert!(text.is_ascii(), "ASCII charset draws ASCII only:\n{text}");
    check("lab-dh-mismatch.report.txt", &text);
}

/// Every element and attribute of a document, failing on anything malformed: unbalanced or
/// mismatched tags, bad attributes, unknown entities, characters XML 1.0 forbids.
fn parse_xml(doc: &str) -> Vec<(String, Vec<(String, String)>)> {
    let bad = doc
        .chars()
        .find(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'));
    assert_eq!(bad, None, "a control character in the document");
    let mut reader = quick_xml::Reader::from_str(doc);
    let mut elements = Vec::new();
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) => {
                let attrs = e
                    .attributes()
                    .map(|a| {
                        let a = a.expect("well-formed attribute");
                        let value = a
                            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                            .expect("attribute value with known entities");
                        (a.key.into_inner().to_string(), value.into_owned())
                    })
                    .collect();
                elements.push((e.name().into_inner().to_string(), attrs));
            }
            Ok(Event::GeneralRef(r)) => {
                let name = r.xml10_content().into_owned();
                let known = matches!(name.as_str(), "amp" | "lt" | "gt" | "quot" | "apos")
                    || (r.is_char_ref() && matches!(r.resolve_char_ref(), Ok(Some(_))));
                assert!(known, "unknown entity &{name};");
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!(
                "HTML is not well-formed at byte {}: {e}\n{doc}",
                reader.error_position()
            ),
        }
    }
    elements
}

/// Well-formed, self-contained, script-free.
fn assert_sound_html(doc: &str) -> Vec<(String, Vec<(String, String)>)> {
    assert!(doc.starts_with("<!DOCTYPE html>"));
    let elements = parse_xml(doc);
    for (name, attrs) in &elements {
        assert!(
            !matches!(
                name.as_str(),
                "script" | "link" | "img" | "iframe" | "object" | "embed"
            ),
            "<{name}> in a self-contained report"
        );
        for (k, v) in attrs {
            assert!(!k.starts_with("on"), "event handler {k} on <{name}>");
            assert!(
                !matches!(k.as_str(), "src" | "href") && !v.contains("url(http"),
                "external reference {k}={v:?} on <{name}>"
            );
        }
    }
    let names: Vec<&str> = elements.iter().map(|(n, _)| n.as_str()).collect();
    for needed in ["html", "head", "meta", "title", "style", "body", "h1"] {
        assert!(names.contains(&needed), "no <{needed}>");
    }
    elements
}

#[test]
fn html_of_the_example_captures_matches_its_golden_and_parses() {
    let d = diagnose(&[
        (
            "R1",
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/captures/R1-psk-mismatch.txt"),
        ),
        (
            "R2",
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/captures/R2-psk-mismatch.txt"),
        ),
    ]);
    let r = Report::new("analyze", "R1 <-> R2", d, Vec::new());
    let html = report::render(Format::Html, &[r], false);
    let elements = assert_sound_html(&html);
    assert!(
        elements.iter().any(|(n, _)| n == "svg"),
        "the ladder is inline SVG"
    );
    // The viewport makes phones lay it out at their width; print and narrow-screen rules exist.
    assert!(elements.iter().any(|(n, a)| {
        n == "meta"
            && a.iter()
                .any(|(k, v)| k == "content" && v.contains("width=device-width"))
    }));
    assert!(html.contains("@media print") && html.contains("@media (max-width"));
    assert!(
        html.contains("P1_PSK_MISMATCH")
            && html
                .contains("crypto isakmp key &lt;same key on both routers&gt; address 203.0.113.2")
    );
    check("psk-mismatch.html", &html);
}

#[test]
fn html_of_both_corpus_sides_and_of_the_lab_parses() {
    for d in [
        p2_pair(),
        lab_pair(),
        diagnose(&[("healthy-01", corpus("debug/healthy-01.log"))]),
    ] {
        let r = Report::new("analyze", "x", d, Vec::new());
        let html = report::render(Format::Html, &[r.clone(), r], false);
        assert_sound_html(&html);
        // Two reports, two ladders, ids that do not collide.
        assert_eq!(html.matches("<svg ").count(), 2);
        assert!(html.contains("id=\"r0-ladder-head\"") && html.contains("id=\"r1-ladder-head\""));
    }
}

/// A capture built to attack the report: markup, entities and terminal escapes where a router
/// prints addresses and hostnames, and a key in the running-config.
const HOSTILE: &str = "R1#show running-config | section crypto\r
crypto isakmp key SuperSecret123 address 203.0.113.2\r
crypto isakmp policy 10\r
 encr aes 256\r
R1#debug crypto isakmp\r
Crypto ISAKMP debugging is on\r
*Nov 26 10:15:40.100: ISAKMP: Created a peer struct for 10.0.0.1, peer port 500 <script>alert(1)</script>\r
*Nov 26 10:15:40.100: ISAKMP:(0): beginning Main Mode exchange\r
*Nov 26 10:15:40.100: ISAKMP:(0): sending packet to 10.0.0.1 my_port 500 peer_port 500 (I) MM_NO_STATE <script>alert(1)</script>\r
*Nov 26 10:15:50.100: ISAKMP:(0): retransmitting phase 1 MM_NO_STATE... &amp;\x1b[2J\x07\r
*Nov 26 10:15:50.100: ISAKMP:(0): sending packet to 10.0.0.1 my_port 500 peer_port 500 (I) MM_NO_STATE <script>alert(1)</script>\r
*Nov 26 10:15:51.100: %CRYPTO-4-IKMP_BAD_MESSAGE: IKE message from 10.0.0.1 failed its sanity check or is malformed <b>&\x1b]0;pwned\x07 <script>alert(1)</script>\r
R1#\r
";

#[test]
fn hostile_router_text_is_escaped_and_secrets_never_appear() {
    let mut engine = Engine::new();
    feed_reader(
        &mut engine,
        HOSTILE.as_bytes(),
        "r1.log",
        "r1.log",
        "R1",
        true,
    )
    .expect("reads");
    let d = engine.finish();
    let r = Report::new("analyze", "R1 <b>&amp;", d, Vec::new());
    let html = report::render(Format::Html, std::slice::from_ref(&r), false);
    assert_sound_html(&html);
    assert!(!html.contains("SuperSecret123"), "the key leaked");
    assert!(
        !html.contains("<script") && !html.contains("<b>"),
        "raw markup from a router"
    );
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "the address is shown, escaped"
    );
    assert!(
        html.contains("&amp;amp;"),
        "an entity in router text is shown literally"
    );
    assert!(
        !html.contains('\x1b') && !html.contains('\x07'),
        "control characters reach the page"
    );
    assert!(
        html.contains("\\x1b]0;pwned\\x07"),
        "an escape sequence is made visible"
    );
    let style = report::Style {
        color: false,
        ladder: Some(Charset::Unicode),
    };
    let text = report::render_styled(Format::Text, &[r], &style);
    // The ladder's own text (the findings below it are the text report's business).
    let start = text.find("exchange:").expect("a ladder");
    let end = text.find("\n1. [").expect("findings");
    let ladder = &text[start..end];
    assert!(
        !ladder.contains('\x1b') && !ladder.contains('\x07'),
        "{ladder}"
    );
    assert!(!text.contains("SuperSecret123"));
}

#[test]
fn analyze_draws_the_ladder_only_when_asked_or_on_a_terminal() {
    let files = [
        corpus("debug/p2-acl-mismatch-02.log"),
        corpus("debug/p2-acl-mismatch-01.log"),
    ];
    let run = |extra: &[&str], lang: &str| {
        let out = bin()
            .arg("analyze")
            .args(&files)
            .args(extra)
            .env("LANG", lang)
            .env_remove("LC_ALL")
            .env_remove("LC_CTYPE")
            .output()
            .expect("binary runs");
        assert_eq!(out.status.code(), Some(2));
        String::from_utf8(out.stdout).expect("utf-8 report")
    };
    // Not a terminal (a pipe): no ladder unless asked.
    assert!(!run(&[], "C.UTF-8").contains("exchange:"));
    assert!(!run(&["--ladder", "never"], "C.UTF-8").contains("exchange:"));
    let unicode = run(&["--ladder", "always"], "en_US.UTF-8");
    assert!(
        unicode.contains("exchange:") && unicode.contains("│─ IPsec proposal"),
        "{unicode}"
    );
    let ascii = run(&["--ladder", "always"], "C");
    assert!(
        ascii.contains("|- IPsec proposal") && ascii.is_ascii(),
        "{ascii}"
    );
    let html = run(&["--format", "html"], "C");
    assert_sound_html(&html);
}

/// Regenerates the lab transcripts the lab golden reads: lab output from the `dh-mismatch`
/// scenario, both routers, over real SSH. Run it by hand after the lab's output changes:
/// `cargo test --test integration ladder::write_lab_transcripts -- --ignored`.
#[tokio::test]
#[ignore = "writes the lab fixtures; run by hand"]
async fn write_lab_transcripts() {
    use crate::lab_scenarios::Session;
    use ipsec_doctor::lab::ike::IkeFactory;
    use ipsec_doctor::lab::scenario::Scenario;
    use ipsec_doctor::lab::{Lab, LabOptions};
    let scenario = Scenario::embedded("dh-mismatch").expect("scenario");
    let options = LabOptions {
        speed: 200.0,
        ..LabOptions::default()
    };
    let lab = Lab::start(&scenario, options, &IkeFactory, std::future::pending())
        .await
        .expect("lab starts");
    let mut sessions = Vec::new();
    for ep in lab.routers() {
        let mut s = Session::open(ep).await;
        s.enable(ep.enable_secret.expose()).await;
        for c in [
            "terminal length 0",
            "terminal monitor",
            "debug crypto isakmp",
        ] {
            s.cmd(c).await;
        }
        sessions.push(s);
    }
    sessions[0]
        .cmd("ping 192.168.102.1 source GigabitEthernet1/0")
        .await;
    // Until R1 gives up: its five retransmissions run on the lab clock.
    for _ in 0..10_000 {
        if sessions[0].transcript.contains("Death by retransmission") {
            break;
        }
        sessions[0].drain().await;
    }
    assert!(sessions[0].transcript.contains("Death by retransmission"));
    std::fs::create_dir_all(golden_dir().join("lab")).expect("dir");
    for (s, name) in sessions.iter_mut().zip(["R1", "R2"]) {
        s.cmd("undebug all").await;
        s.drain().await;
        let path = golden_dir().join(format!("lab/dh-mismatch-{name}.txt"));
        let text = s.transcript.replace("\r\n", "\n");
        std::fs::write(path, format!("{}\n", text.trim_end())).expect("write");
    }
    lab.stop().await;
}

/// Live: `triage` over real SSH on the lab, the ladder from what the routers printed, and the
/// HTML report of the run with its commands and cleanup.
#[tokio::test]
async fn a_live_triage_draws_the_exchange_and_reports_it_in_html() {
    use crate::util::fixture::args;
    use ipsec_doctor::cli::triage::{Args, execute_quiet};
    let args = Args {
        lab: Some("dh-mismatch".into()),
        format: Format::Html,
        ..args()
    };
    let reports = execute_quiet(args, std::future::pending())
        .await
        .expect("triage runs");
    let l = built(&reports[0].diagnosis);
    assert_eq!((l.left.name.as_str(), l.right.name.as_str()), ("R1", "R2"));
    let a = arrows(&l);
    assert_eq!(
        (a[0].0, a[0].1, a[0].2),
        ("MM1", Side::Left, Status::Delivered),
        "{a:?}"
    );
    assert!(l.rows.iter().any(|r| matches!(r,
        Row::Mark { side: Side::Right, text } if text.starts_with("R2: refused every phase 1 proposal (DH group differs)"))));
    assert_eq!(stop_code(&l), Some(Code::P1DhGroupMismatch));
    let html = report::render(Format::Html, &reports, false);
    assert_sound_html(&html);
    assert!(html.contains("<h2>Commands run</h2>"));
    assert!(html.contains("<code>debug crypto isakmp</code>"));
    assert!(html.contains("debug off, confirmed by show debug"));
}

/// A tunnel an interrupted run never reached still gets its page, saying so.
#[test]
fn html_of_a_tunnel_not_checked_says_why() {
    let r = Report::not_checked("triage", "hq-branch1", "interrupted");
    let html = report::render(Format::Html, &[r], false);
    assert_sound_html(&html);
    assert!(html.contains("<strong>Not diagnosed:</strong> not checked: interrupted"));
    assert!(html.contains("No router logged an IKE message."));
}
