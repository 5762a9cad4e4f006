//! Markdown, for tickets and chat: the same content as the text report.

use super::Report;
use crate::visible::visible as v;
use std::fmt::Write;

pub fn render(report: &Report) -> String {
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
        let _ = writeln!(out, "\n### {}. `{}` on {}\n", i + 1, f.code, v(&f.peer));
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
