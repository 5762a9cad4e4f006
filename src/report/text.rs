//! The terminal report: verdict first, then each finding with its evidence and fix.

use super::{Report, Style, ladder};
use crate::engine::finding::{Finding, Severity, Verdict};
use crate::visible::visible as v;
use std::fmt::Write;

struct Paint {
    on: bool,
}

impl Paint {
    fn wrap(&self, code: &str, s: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    fn severity(&self, sev: Severity, s: &str) -> String {
        match sev {
            Severity::Ok => self.wrap("32", s),
            Severity::Warning => self.wrap("33", s),
            Severity::Critical => self.wrap("1;31", s),
        }
    }
    fn dim(&self, s: &str) -> String {
        self.wrap("2", s)
    }
    fn bold(&self, s: &str) -> String {
        self.wrap("1", s)
    }
}

pub fn render(report: &Report, color: bool) -> String {
    render_styled(
        report,
        &Style {
            color,
            ladder: None,
        },
    )
}

/// The report, with the IKE exchange drawn between the warnings and the findings when
/// `style.ladder` asks for it (and some router logged an IKE message).
pub fn render_styled(report: &Report, style: &Style) -> String {
    let color = style.color;
    let p = Paint { on: color };
    let d = &report.diagnosis;
    let mut out = String::new();
    let verdict = match d.verdict {
        Verdict::Healthy => p.severity(Severity::Ok, "HEALTHY"),
        Verdict::Degraded => p.severity(Severity::Warning, "DEGRADED"),
        Verdict::Down => p.severity(Severity::Critical, "DOWN"),
        Verdict::Unknown => p.bold("UNKNOWN"),
    };
    let _ = writeln!(
        out,
        "{} {}: {}",
        p.bold("ipsec-doctor"),
        v(&report.subject),
        verdict
    );
    let peers: Vec<String> = d
        .peers
        .iter()
        .map(|x| {
            format!(
                "{} ({} lines, {} IKE events)",
                v(&x.name),
                x.lines,
                x.ike_events
            )
        })
        .collect();
    if !peers.is_empty() {
        let _ = writeln!(out, "{}", p.dim(&format!("peers: {}", peers.join(", "))));
    }
    for w in &report.warnings {
        let _ = writeln!(
            out,
            "{} {}",
            p.severity(Severity::Warning, "warning:"),
            v(w)
        );
    }
    if let Some(charset) = style.ladder
        && let Some(l) = ladder::build(d)
    {
        let _ = writeln!(out, "\n{}", p.bold("exchange:"));
        out.push_str(&ladder::term::draw(&l, charset, color));
    }
    match &report.reason {
        Some(why) => {
            let _ = writeln!(out, "\n{} {}", p.bold("Not diagnosed:"), v(why));
        }
        None if d.findings.is_empty() => match &d.inconclusive {
            Some(why) => {
                let _ = writeln!(out, "\n{} {}", p.bold("Inconclusive:"), v(why));
            }
            None => {
                let _ = writeln!(
                    out,
                    "\nNo finding: the input holds no IKE negotiation, no SA state and no crypto configuration the engine could judge."
                );
            }
        },
        None => {}
    }
    for (i, f) in d.findings.iter().enumerate() {
        finding(&mut out, &p, i + 1, f);
    }
    for n in &d.notes {
        let _ = writeln!(out, "\n{} {}", p.bold("note:"), v(n));
    }
    if let Some(run) = &report.run {
        run_log(&mut out, &p, run);
    }
    out
}

fn run_log(out: &mut String, p: &Paint, run: &crate::run::log::RunLog) {
    use crate::run::log::StepStatus;
    let ok = run
        .steps
        .iter()
        .filter(|s| s.status == StepStatus::Ok)
        .count();
    let _ = writeln!(out, "\n{} {ok} command(s) run", p.bold("run:"));
    // Which commands each router got follows from how it protects the tunnel.
    for t in &run.tunnels {
        let f = &t.tunnel;
        let how = match &f.tunnel_interface {
            Some(i) => format!("{} {}", f.style.as_str(), v(i)),
            None => f.style.as_str().to_string(),
        };
        let guess = if f.toward_peer {
            ""
        } else {
            " (its configuration does not name the peer: its only tunnel)"
        };
        let _ = writeln!(out, "   {}: {}, {how}{guess}", v(&t.router), f.ike.as_str());
    }
    // Per router, in the order they ran: what was typed on each device.
    let mut routers: Vec<&str> = Vec::new();
    for s in run.steps.iter().filter(|s| s.status == StepStatus::Ok) {
        if !routers.contains(&s.router.as_str()) {
            routers.push(&s.router);
        }
    }
    for r in routers {
        let _ = writeln!(out, "   on {r}:");
        for s in run
            .steps
            .iter()
            .filter(|s| s.router == r && s.status == StepStatus::Ok)
        {
            let _ = writeln!(out, "     {}", s.command);
        }
    }
    // Steps skipped for the same reason on the same router share a line: an IKEv1 crypto map
    // pair skips every IKEv2 and VTI step, which would otherwise bury the cleanup lines.
    let mut skipped: Vec<(&str, &str, Vec<&str>)> = Vec::new();
    for s in &run.steps {
        if let StepStatus::Skipped(why) = &s.status {
            match skipped
                .iter_mut()
                .find(|(router, reason, _)| *router == s.router && *reason == why.as_str())
            {
                Some((_, _, steps)) => steps.push(&s.step),
                None => skipped.push((&s.router, why, vec![&s.step])),
            }
        }
    }
    for (router, why, steps) in &skipped {
        let on = if router.is_empty() {
            String::new()
        } else {
            format!(" on {}", v(router))
        };
        let steps: Vec<String> = steps.iter().map(|s| v(s).into_owned()).collect();
        let _ = writeln!(
            out,
            "   {} {}{on}: {}",
            p.dim("skipped"),
            steps.join(", "),
            v(why)
        );
    }
    for s in &run.steps {
        match &s.status {
            StepStatus::Ok | StepStatus::Skipped(_) => {}
            StepStatus::Failed(why) => {
                let _ = writeln!(
                    out,
                    "   {} {} on {} ({}): {}",
                    p.severity(Severity::Warning, "failed"),
                    v(&s.step),
                    v(&s.router),
                    v(&s.command),
                    v(why)
                );
            }
        }
    }
    for c in &run.cleanup {
        let state = if c.debug_off_confirmed {
            p.severity(Severity::Ok, "debug off, confirmed by show debug")
        } else {
            p.severity(Severity::Critical, "DEBUG NOT CONFIRMED OFF")
        };
        let again = if c.reconnected {
            " (after reconnecting)"
        } else {
            ""
        };
        let _ = writeln!(out, "   cleanup {}: {state}{again}", v(&c.router));
    }
}

fn finding(out: &mut String, p: &Paint, n: usize, f: &Finding) {
    let sev = p.severity(f.severity, &f.severity.as_str().to_uppercase());
    let cause = f
        .cause
        .map(|c| format!(" cause={}", c.as_str()))
        .unwrap_or_default();
    let conf = format!("{:?}", f.confidence).to_lowercase();
    let _ = writeln!(
        out,
        "\n{n}. [{sev}] {} on {}{}{cause} {}",
        p.bold(f.code.as_str()),
        v(&f.peer),
        super::version_tag(f),
        p.dim(&format!("(confidence {conf})"))
    );
    let _ = writeln!(out, "   {}", v(&f.summary));
    if !f.evidence.is_empty() {
        let _ = writeln!(out, "   evidence:");
        for e in &f.evidence {
            let _ = writeln!(
                out,
                "     {} {}",
                p.dim(&format!("{} {}:{}", v(&e.peer), v(&e.source), e.line)),
                v(e.text.trim())
            );
        }
    }
    for fix in &f.fix {
        let _ = writeln!(out, "   fix on {} (configure terminal):", v(&fix.peer));
        for c in &fix.commands {
            let _ = writeln!(out, "     {}", v(c));
        }
    }
}
