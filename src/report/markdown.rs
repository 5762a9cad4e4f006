//! Markdown, for tickets and chat: the same content as the text report, with the IKE exchange
//! drawn as a ladder in a fenced block (box drawing: tickets are UTF-8 and shown in monospace).

use super::{Report, ladder};
use crate::visible::visible as v;
use std::fmt::Write;

/// The whole report, ladder included when some router logged an IKE message.
pub fn render(report: &Report) -> String {
    render_parts(report, true)
}

/// The report without its ladder, for documents that draw the exchange elsewhere (the guide's
/// transcript shows it at the step that captured it).
pub fn render_without_ladder(report: &Report) -> String {
    render_parts(report, false)
}

fn render_parts(report: &Report, with_ladder: bool) -> String {
    let d = &report.diagnosis;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "## ipsec-doctor: {} is **{}**\n",
        v(&report.subject),
        d.verdict.as_str()
    );
    for w in &report.warnings {
        let _ = writeln!(out, "> warning: {}", v(w));
    }
    if let Some(why) = &report.reason {
        let _ = writeln!(out, "\n**Not diagnosed:** {}", v(why));
    }
    if with_ladder && let Some(l) = ladder::build(d) {
        let drawn = ladder::term::draw(&l, ladder::term::Charset::Unicode, false);
        if !out.ends_with("\n\n") {
            out.push('\n');
        }
        let _ = writeln!(out, "Exchange:\n\n```text");
        for line in drawn.lines() {
            let _ = writeln!(out, "{}", fence_safe(line));
        }
        let _ = writeln!(out, "```\n");
    }
    if !d.findings.is_empty() {
        let _ = writeln!(
            out,
            "| # | severity | code | peer | summary |\n|---|---|---|---|---|"
        );
        for (i, f) in d.findings.iter().enumerate() {
            let _ = writeln!(
                out,
                "| {} | {} | `{}` | {} | {} |",
                i + 1,
                f.severity.as_str(),
                f.code,
                v(&f.peer).replace('|', "\\|"),
                v(&f.summary).replace('|', "\\|")
            );
        }
    }
    for (i, f) in d.findings.iter().enumerate() {
        let _ = writeln!(
            out,
            "\n### {}. `{}` on {}{}\n",
            i + 1,
            f.code,
            v(&f.peer),
            super::version_tag(f)
        );
        if !f.evidence.is_empty() {
            let _ = writeln!(out, "Evidence:\n\n```text");
            for e in &f.evidence {
                let _ = writeln!(
                    out,
                    "{} {}:{}  {}",
                    v(&e.peer),
                    v(&e.source),
                    e.line,
                    fence_safe(&v(e.text.trim()))
                );
            }
            let _ = writeln!(out, "```");
        }
        for fix in &f.fix {
            let commands: Vec<String> = fix
                .commands
                .iter()
                .map(|c| fence_safe(&v(c)).into_owned())
                .collect();
            let _ = writeln!(
                out,
                "\nFix on {}:\n\n```text\n{}\n```",
                v(&fix.peer),
                commands.join("\n")
            );
        }
    }
    if let Some(why) = &d.inconclusive {
        let _ = writeln!(out, "\n**Inconclusive:** {why}");
    }
    for n in &d.notes {
        let _ = writeln!(out, "\n*Note:* {}", v(n));
    }
    out
}

/// A line quoted inside a fenced block cannot close the fence (a device printing ```` ``` ````
/// would otherwise turn the rest of the ticket into markup).
pub fn fence_safe(line: &str) -> std::borrow::Cow<'_, str> {
    if line.contains("```") {
        std::borrow::Cow::Owned(line.replace("```", "`\u{200b}``"))
    } else {
        std::borrow::Cow::Borrowed(line)
    }
}
