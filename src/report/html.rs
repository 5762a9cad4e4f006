//! One self-contained HTML file per run: the verdict, the IKE exchange as an inline SVG
//! ladder, each finding with its evidence and fix, the notes, and the commands run.
//!
//! No script, font, stylesheet or image comes from elsewhere, and nothing needs JavaScript:
//! the file can be attached to a ticket, opened offline, printed, or read on a phone (the CSS
//! reflows to one column and the SVG scales). The markup is XHTML-compatible (void elements
//! closed, every attribute quoted) so that an XML parser can check it, and every text from a
//! router or a file goes through [`device_text`] and then escaping.

use super::ladder::{self, svg::xml_escape};
use super::{Report, device_text, visible};
use crate::engine::finding::{Finding, Phase, Verdict};
use crate::run::log::{RunLog, StepStatus};
use std::fmt::Write;

const CSS: &str = "\
:root{color-scheme:light;--fg:#1d1d1f;--dim:#5f6368;--line:#d7d7db;--bad:#c62828;--warn:#b26a00;--ok:#2e7d32}\
*{box-sizing:border-box}\
body{margin:0;font:15px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:var(--fg);background:#fff}\
main{max-width:52rem;margin:0 auto;padding:1rem}\
h1{font-size:1.35rem;margin:.2rem 0;overflow-wrap:anywhere}\
h2{font-size:1.1rem;margin:1.6rem 0 .5rem;border-bottom:1px solid var(--line)}\
h3{font-size:1rem;margin:0 0 .3rem;overflow-wrap:anywhere}\
h4{font-size:.9rem;margin:.8rem 0 .2rem;color:var(--dim)}\
code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.85rem}\
pre{background:#f6f6f8;border:1px solid var(--line);border-radius:4px;padding:.5rem;margin:.2rem 0;white-space:pre-wrap;overflow-wrap:anywhere}\
.verdict{display:inline-block;font-weight:bold;padding:.1rem .6rem;border-radius:4px;color:#fff}\
.v-down{background:var(--bad)}.v-degraded{background:var(--warn)}.v-healthy{background:var(--ok)}.v-unknown{background:var(--dim)}\
.meta,.tags{color:var(--dim);font-size:.85rem;margin:.2rem 0}\
.warn{border-left:4px solid var(--warn);background:#fff8e1;padding:.4rem .7rem;margin:.5rem 0}\
figure{margin:0;overflow-x:auto}\
svg.ladder{display:block;width:100%;max-width:40rem;height:auto}\
.finding{border:1px solid var(--line);border-left:5px solid var(--dim);border-radius:4px;padding:.6rem .8rem;margin:.8rem 0}\
.sev-critical{border-left-color:var(--bad)}.sev-warning{border-left-color:var(--warn)}.sev-ok{border-left-color:var(--ok)}\
dl.ev{margin:0}dl.ev dt{color:var(--dim);font-size:.8rem;margin-top:.3rem}dl.ev dd{margin:0}\
dl.ev dd code{display:block;white-space:pre-wrap;overflow-wrap:anywhere;background:#f6f6f8;padding:.15rem .4rem;border-radius:3px}\
.scroll{overflow-x:auto}\
table{border-collapse:collapse;font-size:.85rem;width:100%}\
th,td{text-align:left;border-bottom:1px solid var(--line);padding:.25rem .4rem;vertical-align:top;overflow-wrap:anywhere}\
.failed{color:var(--bad)}.skipped{color:var(--dim)}\
footer{color:var(--dim);font-size:.8rem;margin:2rem 0 1rem}\
@media (max-width:30rem){body{font-size:14px}main{padding:.6rem}}\
@media print{main{max-width:none;padding:0}.finding,figure,pre,dl.ev dd{break-inside:avoid}.verdict{color:#000;border:2px solid #000;background:none}a{color:inherit}}";

/// Device text, visible and escaped.
fn h(s: &str) -> String {
    xml_escape(&device_text(s))
}

pub fn render(reports: &[Report]) -> String {
    let mut out = String::new();
    let title = match reports {
        [one] => format!(
            "ipsec-doctor: {} is {}",
            device_text(&one.subject),
            one.diagnosis.verdict.as_str()
        ),
        many => format!("ipsec-doctor: {} tunnels", many.len()),
    };
    out.push_str("<!DOCTYPE html>\n");
    out.push_str("<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n");
    out.push_str("<meta charset=\"utf-8\"/>\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n");
    let _ = writeln!(out, "<title>{}</title>", xml_escape(&title));
    let _ = writeln!(out, "<style>{CSS}</style>\n</head>\n<body>\n<main>");
    for (i, r) in reports.iter().enumerate() {
        report(&mut out, r, i);
    }
    out.push_str(
        "<footer>Made by ipsec-doctor. Secrets are shown as *****; control characters in router output are shown as escapes such as \\x1b.</footer>\n",
    );
    out.push_str("</main>\n</body>\n</html>\n");
    out
}

fn verdict_class(v: Verdict) -> &'static str {
    match v {
        Verdict::Healthy => "v-healthy",
        Verdict::Degraded => "v-degraded",
        Verdict::Down => "v-down",
        Verdict::Unknown => "v-unknown",
    }
}

fn report(out: &mut String, r: &Report, i: usize) {
    let d = &r.diagnosis;
    let _ = writeln!(out, "<section class=\"report\" id=\"r{i}\">");
    let _ = writeln!(
        out,
        "<header>\n<h1>{}</h1>\n<p><span class=\"verdict {}\">{}</span></p>",
        h(&r.subject),
        verdict_class(d.verdict),
        d.verdict.as_str().to_uppercase()
    );
    let _ = writeln!(
        out,
        "<p class=\"meta\">{} · exit code {} · {} finding(s)</p>",
        h(&r.mode),
        r.exit_code,
        d.findings.len()
    );
    if !d.peers.is_empty() {
        out.push_str("<ul class=\"meta\">\n");
        for p in &d.peers {
            let address = p
                .address
                .as_deref()
                .map(|a| format!(" ({})", h(a)))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "<li>{}{address}: {} lines, {} IKE events</li>",
                h(&p.name),
                p.lines,
                p.ike_events
            );
        }
        out.push_str("</ul>\n");
    }
    out.push_str("</header>\n");
    for w in &r.warnings {
        let _ = writeln!(out, "<div class=\"warn\"><p>{}</p></div>", h(w));
    }
    if let Some(why) = &r.reason {
        let _ = writeln!(
            out,
            "<div class=\"warn\"><p><strong>Not diagnosed:</strong> {}</p></div>",
            h(why)
        );
    }
    out.push_str("<h2>IKE exchange</h2>\n");
    match ladder::build(d) {
        Some(l) => {
            let _ = writeln!(
                out,
                "<figure>\n{}<figcaption class=\"meta\">Each arrow is one IKE message as the routers logged it; a dashed lifeline is a router whose log is not in the evidence.</figcaption>\n</figure>",
                ladder::svg::draw(&l, &format!("r{i}-ladder"))
            );
        }
        None => out.push_str("<p>No router logged an IKE message.</p>\n"),
    }
    out.push_str("<h2>Findings</h2>\n");
    if d.findings.is_empty() {
        out.push_str("<p>No finding: the input holds no IKE negotiation, no SA state and no crypto configuration the engine could judge.</p>\n");
    }
    for (n, f) in d.findings.iter().enumerate() {
        finding(out, n + 1, f);
    }
    if !d.notes.is_empty() {
        out.push_str("<h2>Notes</h2>\n<ul>\n");
        for n in &d.notes {
            let _ = writeln!(out, "<li>{}</li>", h(n));
        }
        out.push_str("</ul>\n");
    }
    match &r.run {
        Some(run) => run_log(out, run),
        None => commands_seen(out, r),
    }
    out.push_str("</section>\n");
}

fn finding(out: &mut String, n: usize, f: &Finding) {
    let sev = f.severity.as_str();
    let _ = writeln!(
        out,
        "<article class=\"finding sev-{sev}\">\n<h3>{n}. <code>{}</code> on {}</h3>",
        f.code,
        h(&f.peer)
    );
    let mut tags = vec![sev.to_string()];
    if f.ike_version == crate::engine::finding::IkeVersion::V2 {
        tags.push("IKEv2".to_string());
    }
    match f.phase {
        Some(Phase::One) => tags.push("phase 1".to_string()),
        Some(Phase::Two) => tags.push("phase 2".to_string()),
        None => {}
    }
    tags.push(format!("confidence {:?}", f.confidence).to_lowercase());
    if let Some(c) = f.cause {
        tags.push(format!("cause {}", c.as_str()));
    }
    let _ = writeln!(out, "<p class=\"tags\">{}</p>", h(&tags.join(" · ")));
    let _ = writeln!(out, "<p>{}</p>", h(&f.summary));
    if !f.evidence.is_empty() {
        out.push_str("<h4>Evidence</h4>\n<dl class=\"ev\">\n");
        for e in &f.evidence {
            let _ = writeln!(
                out,
                "<dt>{} · {}:{}</dt><dd><code>{}</code></dd>",
                h(&e.peer),
                h(&e.source),
                e.line,
                h(e.text.trim())
            );
        }
        out.push_str("</dl>\n");
    }
    for fix in &f.fix {
        let _ = writeln!(
            out,
            "<h4>Fix on {} (configure terminal)</h4>\n<pre>{}</pre>",
            h(&fix.peer),
            fix.commands
                .iter()
                .map(|c| xml_escape(&visible(c)))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    out.push_str("</article>\n");
}

fn run_log(out: &mut String, run: &RunLog) {
    out.push_str("<h2>Commands run</h2>\n<div class=\"scroll\"><table>\n<thead><tr><th>step</th><th>router</th><th>command</th><th>result</th></tr></thead>\n<tbody>\n");
    for s in &run.steps {
        let (class, result) = match &s.status {
            StepStatus::Ok => ("", "ok".to_string()),
            StepStatus::Skipped(why) => (" class=\"skipped\"", format!("skipped: {why}")),
            StepStatus::Failed(why) => (" class=\"failed\"", format!("failed: {why}")),
        };
        let _ = writeln!(
            out,
            "<tr{class}><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td></tr>",
            h(&s.step),
            h(&s.router),
            h(&s.command),
            h(&result)
        );
    }
    out.push_str("</tbody>\n</table></div>\n");
    if !run.cleanup.is_empty() {
        out.push_str("<h4>Cleanup</h4>\n<ul>\n");
        for c in &run.cleanup {
            let state = if c.debug_off_confirmed {
                "debug off, confirmed by show debug".to_string()
            } else {
                format!("DEBUG NOT CONFIRMED OFF: {}", c.detail)
            };
            let again = if c.reconnected {
                " (after reconnecting)"
            } else {
                ""
            };
            let class = if c.debug_off_confirmed {
                ""
            } else {
                " class=\"failed\""
            };
            let _ = writeln!(
                out,
                "<li{class}>{}: {}{again}</li>",
                h(&c.router),
                h(&state)
            );
        }
        out.push_str("</ul>\n");
    }
}

/// Offline analysis: the commands the captures show being typed, per router.
fn commands_seen(out: &mut String, r: &Report) {
    let peers: Vec<_> = r
        .diagnosis
        .peers
        .iter()
        .filter(|p| !p.commands.is_empty())
        .collect();
    if peers.is_empty() {
        return;
    }
    out.push_str("<h2>Commands in the captures</h2>\n");
    for p in peers {
        let _ = writeln!(
            out,
            "<h4>{}</h4>\n<pre>{}</pre>",
            h(&p.name),
            p.commands
                .iter()
                .map(|c| h(c))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}
