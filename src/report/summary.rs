//! The table that ends a triage over several tunnels: one row per tunnel, worst first (the
//! Nagios order: CRITICAL, WARNING, UNKNOWN, OK), with its verdict, its top finding (or why
//! it has none) and its exit code, then one line counting the verdicts. A run that could not
//! confirm debug off on some router says so in the row, before anything else.

use super::{Report, visible};
use crate::engine::finding::Verdict;
use std::fmt::Write;

const RED: &str = "\x1b[1;31m";
const YELLOW: &str = "\x1b[33m";
const GREEN: &str = "\x1b[32m";
const RESET: &str = "\x1b[0m";

/// The longest a TOP FINDING cell gets: one line on a wide terminal.
const TOP_WIDTH: usize = 100;

fn top(r: &Report) -> String {
    let mut parts = Vec::new();
    if let Some(run) = &r.run {
        let left: Vec<&str> = run
            .cleanup
            .iter()
            .filter(|c| !c.debug_off_confirmed)
            .map(|c| c.router.as_str())
            .collect();
        if !left.is_empty() {
            parts.push(format!("DEBUG MAY STILL BE ON on {}", left.join(", ")));
        }
    }
    match (&r.reason, r.diagnosis.findings.first()) {
        (Some(why), _) => parts.push(why.clone()),
        (None, Some(f)) => parts.push(format!("{} on {}", f.code, f.peer)),
        (None, None) => parts.push("-".to_string()),
    }
    let text = visible(&parts.join("; ")).into_owned();
    if text.chars().count() > TOP_WIDTH {
        let cut: String = text.chars().take(TOP_WIDTH - 1).collect();
        format!("{cut}…")
    } else {
        text
    }
}

fn verdict(v: Verdict) -> &'static str {
    match v {
        Verdict::Healthy => "HEALTHY",
        Verdict::Degraded => "DEGRADED",
        Verdict::Down => "DOWN",
        Verdict::Unknown => "UNKNOWN",
    }
}

fn color_of(exit: i32) -> &'static str {
    match exit {
        0 => GREEN,
        1 => YELLOW,
        2 => RED,
        _ => "",
    }
}

pub fn render(reports: &[Report], color: bool) -> String {
    let mut order: Vec<&Report> = reports.iter().collect();
    order.sort_by(|a, b| {
        crate::health::urgency(b.exit_code)
            .cmp(&crate::health::urgency(a.exit_code))
            .then(a.subject.cmp(&b.subject))
    });
    let rows: Vec<[String; 4]> = order
        .iter()
        .map(|r| {
            [
                visible(&r.subject).into_owned(),
                verdict(r.diagnosis.verdict).to_string(),
                top(r),
                r.exit_code.to_string(),
            ]
        })
        .collect();
    let head = ["TUNNEL", "VERDICT", "TOP FINDING", "EXIT"];
    let mut out = super::columns::render(head, &rows, &|r, c, cell| {
        let paint = color_of(order[r].exit_code);
        if c == 1 && color && !paint.is_empty() {
            format!("{paint}{cell}{RESET}")
        } else {
            cell
        }
    });
    let count = |v: Verdict| reports.iter().filter(|r| r.diagnosis.verdict == v).count();
    let _ = writeln!(
        out,
        "\n{} tunnels: {} down, {} degraded, {} healthy, {} unknown",
        reports.len(),
        count(Verdict::Down),
        count(Verdict::Degraded),
        count(Verdict::Healthy),
        count(Verdict::Unknown),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Engine;
    use crate::run::log::{Cleanup, RunLog};

    fn analysed(subject: &str, text: &str) -> Report {
        let mut e = Engine::new();
        let s = e.stream("R1", true);
        for (i, l) in text.lines().enumerate() {
            e.feed(s, "debug", i + 1, l);
        }
        Report::new("triage", subject, e.finish(), Vec::new())
    }

    #[test]
    fn worst_first_with_the_top_finding_and_the_reason_of_the_unknown() {
        let down = analysed(
            "b-down",
            "*Mar  1 00:42:09.431: ISAKMP:(0): Hash algorithm offered does not match policy!\n*Mar  1 00:42:09.431: ISAKMP:(0):atts are not acceptable. Next payload is 3\n*Mar  1 00:42:09.435: ISAKMP:(0): No offers accepted!",
        );
        assert_eq!(down.exit_code, 2, "{:#?}", down.diagnosis.findings);
        let skipped = Report::not_checked("triage", "a-skipped", "interrupted");
        let mut left_on = Report::live(
            "triage",
            "c-left-on",
            Engine::new().finish(),
            RunLog {
                cleanup: vec![Cleanup {
                    router: "R7".into(),
                    reconnected: false,
                    debug_off_confirmed: false,
                    commands: vec!["no debug crypto isakmp".into()],
                    detail: "x".into(),
                }],
                ..RunLog::default()
            },
        );
        left_on.subject = "c-left\x1b]0;x\x07-on".into();
        let table = render(&[skipped, left_on, down], false);
        let lines: Vec<&str> = table.lines().collect();
        assert!(lines[0].starts_with("TUNNEL") && lines[0].ends_with("EXIT"));
        assert!(
            lines[1].starts_with("b-down") && lines[1].contains("P1_HASH_MISMATCH on R1"),
            "{table}"
        );
        assert!(lines[1].ends_with(" 2"), "{table}");
        assert!(lines[2].starts_with("a-skipped"), "{table}");
        assert!(lines[2].contains("UNKNOWN") && lines[2].contains("not checked: interrupted"));
        assert!(
            lines[3].starts_with("c-left\\x1b]0;x\\x07-on")
                && lines[3].contains("DEBUG MAY STILL BE ON on R7"),
            "{table}"
        );
        assert_eq!(
            lines.last().copied(),
            Some("3 tunnels: 1 down, 0 degraded, 0 healthy, 2 unknown")
        );
        assert!(!table.contains('\x1b'));
        assert!(render(&[], true).starts_with("TUNNEL"));
    }
}
