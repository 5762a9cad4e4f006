//! Markdown, for tickets and chat: the same content as the text report.

use super::Report;
use std::fmt::Write;

pub fn render(report: &Report) -> String {
    let d = &report.diagnosis;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "## ipsec-doctor: {} is **{}**\n",
        report.subject,
        d.verdict.as_str()
    );
    for w in &report.warnings {
        let _ = writeln!(out, "> warning: {w}");
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
                f.peer,
                f.summary.replace('|', "\\|")
            );
        }
    }
    for (i, f) in d.findings.iter().enumerate() {
        let _ = writeln!(out, "\n### {}. `{}` on {}\n", i + 1, f.code, f.peer);
        if !f.evidence.is_empty() {
            let _ = writeln!(out, "Evidence:\n\n```text");
            for e in &f.evidence {
                let _ = writeln!(out, "{} {}:{}  {}", e.peer, e.source, e.line, e.text.trim());
            }
            let _ = writeln!(out, "```");
        }
        for fix in &f.fix {
            let _ = writeln!(
                out,
                "\nFix on {}:\n\n```text\n{}\n```",
                fix.peer,
                fix.commands.join("\n")
            );
        }
    }
    if let Some(why) = &d.inconclusive {
        let _ = writeln!(out, "\n**Inconclusive:** {why}");
    }
    for n in &d.notes {
        let _ = writeln!(out, "\n*Note:* {n}");
    }
    out
}
