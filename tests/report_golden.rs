//! Reports rendered from the example captures, compared with the golden files in
//! `tests/golden/`. `UPDATE_GOLDEN=1 cargo test` rewrites them after an intended change.

use ipsec_doctor::capture::{Input, feed};
use ipsec_doctor::engine::Engine;
use ipsec_doctor::report::{self, Format, Report};
use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn render(format: Format) -> String {
    let mut engine = Engine::new();
    for f in ["R1-psk-mismatch.txt", "R2-psk-mismatch.txt"] {
        let input = Input {
            path: root().join("examples/captures").join(f),
            peer: None,
        };
        feed(&mut engine, &input).expect("example capture reads");
    }
    let d = engine.finish();
    let report = Report::new("analyze", "R1 <-> R2", d, Vec::new());
    report::render(format, &[report], false)
}

fn check(name: &str, actual: &str) {
    let path = root().join("tests/golden").join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).expect("write golden");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    if expected != actual {
        panic!(
            "{name} differs from the golden file (UPDATE_GOLDEN=1 to accept)\n--- expected ---\n{expected}\n--- actual ---\n{actual}"
        );
    }
}

#[test]
fn text_report() {
    check("psk-mismatch.txt", &render(Format::Text));
}

#[test]
fn markdown_report() {
    check("psk-mismatch.md", &render(Format::Markdown));
}

#[test]
fn json_report() {
    check("psk-mismatch.json", &render(Format::Json));
}
