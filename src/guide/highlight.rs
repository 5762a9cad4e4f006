//! The lines of a step's output worth pointing at: those the findings cite as evidence, and
//! those the step's `highlight:` patterns name, a few per router and command so that the
//! excerpt stays readable (the raw output is one answer away).

use crate::engine::finding::Finding;
use crate::playbook::tree::Pattern;
use crate::run::Output;
use crate::secret::redact;

/// How many pattern lines an excerpt shows; evidence lines are always shown, up to twice as
/// many.
pub const PER_EXCERPT: usize = 12;

/// One line shown, secrets already hidden.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// Within its command's output, or the debug line's number.
    pub number: usize,
    pub text: String,
    /// A finding cites it.
    pub evidence: bool,
}

/// The lines shown of one router's command (or of its debug lines).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Excerpt {
    pub router: String,
    pub source: String,
    pub lines: Vec<Line>,
    /// Lines that matched but are not shown.
    pub more: usize,
}

/// The excerpts of a step's outputs, in the order the outputs came (debug lines gathered per
/// router after the commands).
pub fn excerpts(outputs: &[Output], patterns: &[Pattern], findings: &[Finding]) -> Vec<Excerpt> {
    let cited = |router: &str, text: &str| {
        findings
            .iter()
            .flat_map(|f| &f.evidence)
            .any(|e| e.peer == router && !text.trim().is_empty() && e.text.trim() == text.trim())
    };
    let mut out: Vec<Excerpt> = Vec::new();
    for o in outputs {
        let lines: Vec<(usize, String)> = if o.source == "debug" {
            vec![(o.line, redact(&o.text).into_owned())]
        } else {
            o.text
                .lines()
                .enumerate()
                .map(|(i, l)| (o.line + i, redact(l).into_owned()))
                .collect()
        };
        let at = match out
            .iter()
            .position(|e| e.router == o.router && e.source == o.source)
        {
            Some(i) if o.source == "debug" => i,
            _ => {
                out.push(Excerpt {
                    router: o.router.clone(),
                    source: o.source.clone(),
                    lines: Vec::new(),
                    more: 0,
                });
                out.len() - 1
            }
        };
        let e = &mut out[at];
        for (number, text) in lines {
            let evidence = cited(&o.router, &text);
            let matched = patterns.iter().any(|p| p.0.is_match(&text));
            if !evidence && !matched {
                continue;
            }
            let shown = e.lines.iter().filter(|l| !l.evidence).count();
            let room = if evidence {
                e.lines.len() < 2 * PER_EXCERPT
            } else {
                shown < PER_EXCERPT
            };
            if room {
                e.lines.push(Line {
                    number,
                    text,
                    evidence,
                });
            } else {
                e.more += 1;
            }
        }
    }
    out.retain(|e| !e.lines.is_empty());
    // Commands first, then each router's debug lines.
    out.sort_by_key(|e| e.source == "debug");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::finding::{Code, Evidence};
    use regex::Regex;

    fn output(router: &str, source: &str, line: usize, text: &str) -> Output {
        Output {
            router: router.into(),
            source: source.into(),
            line,
            text: text.into(),
        }
    }

    #[test]
    fn evidence_and_pattern_lines_secrets_hidden() {
        let outputs = vec![
            output(
                "R1",
                "show running-config",
                1,
                "hostname R1\ncrypto isakmp key Vpn-Key-2026 address 203.0.113.2\ninterface Gi0/0",
            ),
            output("R2", "debug", 41, "ISAKMP: (0):no offers accepted!"),
            output("R2", "debug", 42, "ISAKMP: (0):something else"),
        ];
        let patterns = vec![Pattern(Regex::new("crypto isakmp key").unwrap())];
        let f = Finding::new(Code::P1DhGroupMismatch, "R2", "dh").evidence([Evidence {
            peer: "R2".into(),
            source: "debug".into(),
            line: 41,
            text: "ISAKMP: (0):no offers accepted!".into(),
        }]);
        let ex = excerpts(&outputs, &patterns, &[f]);
        assert_eq!(ex.len(), 2, "{ex:#?}");
        assert_eq!(ex[0].router, "R1");
        assert_eq!(ex[0].lines.len(), 1);
        assert_eq!(ex[0].lines[0].number, 2);
        assert_eq!(
            ex[0].lines[0].text,
            "crypto isakmp key ***** address 203.0.113.2"
        );
        assert_eq!(ex[1].source, "debug");
        assert_eq!(ex[1].lines.len(), 1);
        assert!(ex[1].lines[0].evidence);
    }

    #[test]
    fn many_matches_are_counted_not_shown() {
        let text: Vec<String> = (0..40).map(|i| format!("retransmitting {i}")).collect();
        let outputs: Vec<Output> = text
            .iter()
            .enumerate()
            .map(|(i, t)| output("R1", "debug", i + 1, t))
            .collect();
        let patterns = vec![Pattern(Regex::new("retransmitting").unwrap())];
        let ex = excerpts(&outputs, &patterns, &[]);
        assert_eq!(ex.len(), 1);
        assert_eq!(ex[0].lines.len(), PER_EXCERPT);
        assert_eq!(ex[0].more, 40 - PER_EXCERPT);
    }
}
