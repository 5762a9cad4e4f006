//! The fix the guide may apply: which finding's, on which router, and the lines ready to type.
//!
//! The engine writes a pre-shared key it cannot know as a placeholder
//! (`crypto isakmp key <same key on both routers> address …`). The guide asks the engineer for
//! the key and fills it in; it never copies one router's key to the other: the engineer decides
//! which key is right (the one on the other router may be the wrong one), and a secret should
//! travel from the keyboard to the router, not between routers behind the engineer's back. Any
//! other value the engine could not learn (`<outside interface>`) leaves that router's fix to
//! be typed by hand.

use crate::engine::Diagnosis;
use crate::engine::finding::{Finding, Severity};
use crate::playbook::PeerSel;
use crate::secret::{REDACTED, Secret, redact};

/// One router's part of the fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    pub side: PeerSel,
    pub router: String,
    /// The lines as the engine wrote them, one per line (placeholders included).
    pub lines: Vec<String>,
    /// A line waits for the pre-shared key.
    pub needs_key: bool,
    /// Why the guide cannot type this part itself.
    pub blocked: Option<String>,
}

impl Part {
    /// The lines with the key filled in, ready to send.
    pub fn ready(&self, key: Option<&Secret>) -> Vec<String> {
        self.lines
            .iter()
            .map(|l| match (key_placeholder(l), key) {
                (Some((start, end)), Some(k)) => {
                    format!("{}{}{}", &l[..start], k.expose(), &l[end..])
                }
                _ => l.clone(),
            })
            .collect()
    }
}

/// The finding whose fix the guide offers (the first, most severe one that has a fix) and its
/// parts, router `a` first.
pub fn plan<'d>(d: &'d Diagnosis, a: &str, b: &str) -> Option<(&'d Finding, Vec<Part>)> {
    let f = d
        .findings
        .iter()
        .find(|f| f.severity >= Severity::Warning && !f.fix.is_empty())?;
    let mut parts = Vec::new();
    for (side, name) in [(PeerSel::A, a), (PeerSel::B, b)] {
        let lines: Vec<String> = f
            .fix
            .iter()
            .filter(|x| x.peer == name)
            .flat_map(|x| x.commands.iter())
            .flat_map(|c| c.split('\n'))
            .map(str::to_string)
            .collect();
        if lines.is_empty() {
            continue;
        }
        let needs_key = lines.iter().any(|l| key_placeholder(l).is_some());
        let blocked = lines.iter().find_map(|l| {
            if key_placeholder(l).is_some() {
                return None;
            }
            let (start, end) = placeholder(l)?;
            Some(format!(
                "it needs a value the guide could not learn from the routers ({}); type it by hand",
                &l[start..end]
            ))
        });
        parts.push(Part {
            side,
            router: name.to_string(),
            lines,
            needs_key,
            blocked,
        });
    }
    Some((f, parts))
}

/// The byte range of the first `<…>` in a line.
fn placeholder(line: &str) -> Option<(usize, usize)> {
    let start = line.find('<')?;
    let end = start + line[start..].find('>')? + 1;
    Some((start, end))
}

/// The range of a placeholder that stands where a secret goes: the line, with the placeholder
/// replaced, is one the redaction table hides a word of.
pub(crate) fn key_placeholder(line: &str) -> Option<(usize, usize)> {
    let (start, end) = placeholder(line)?;
    let probe = format!("{}PROBE{}", &line[..start], &line[end..]);
    let hidden = redact(&probe);
    (hidden.contains(REDACTED) && !hidden.contains("PROBE")).then_some((start, end))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::finding::Code;

    fn diagnosis(findings: Vec<Finding>) -> Diagnosis {
        let mut d = crate::engine::Engine::new().finish();
        d.findings = findings;
        d
    }

    #[test]
    fn a_key_is_asked_for_and_filled_in_on_both_routers() {
        let f = Finding::new(Code::P1PskMismatch, "R1", "keys differ")
            .fix(
                "R1",
                vec!["crypto isakmp key <same key on both routers> address 203.0.113.2".into()],
            )
            .fix(
                "R2",
                vec!["crypto isakmp key <same key on both routers> address 203.0.113.1".into()],
            );
        let d = diagnosis(vec![f]);
        let (found, parts) = plan(&d, "R1", "R2").unwrap();
        assert_eq!(found.code, Code::P1PskMismatch);
        assert_eq!(parts.len(), 2);
        assert!(parts.iter().all(|p| p.needs_key && p.blocked.is_none()));
        let key = Secret::new("N3w-Key");
        assert_eq!(
            parts[1].ready(Some(&key)),
            ["crypto isakmp key N3w-Key address 203.0.113.1"]
        );
        assert_eq!(
            redact(&parts[1].ready(Some(&key))[0]),
            "crypto isakmp key ***** address 203.0.113.1"
        );
    }

    #[test]
    fn other_placeholders_block_that_router_only() {
        let f = Finding::new(Code::PeerSilent, "R2", "no map").fix(
            "R2",
            vec![
                "interface <outside interface>".into(),
                " crypto map VPN".into(),
            ],
        );
        let d = diagnosis(vec![f]);
        let (_, parts) = plan(&d, "R1", "R2").unwrap();
        assert_eq!(parts.len(), 1);
        assert_eq!(parts[0].side, PeerSel::B);
        assert!(!parts[0].needs_key);
        assert!(
            parts[0]
                .blocked
                .as_deref()
                .unwrap()
                .contains("<outside interface>"),
            "{parts:?}"
        );
    }

    #[test]
    fn named_acl_lines_are_split_and_healthy_has_no_plan() {
        let f = Finding::new(Code::P2ProxyIdMismatch, "R2", "acl").fix(
            "R2",
            vec![
                "ip access-list extended VPN\n permit ip 10.0.2.0 0.0.0.255 10.0.1.0 0.0.0.255"
                    .into(),
            ],
        );
        let d = diagnosis(vec![f]);
        let (_, parts) = plan(&d, "R1", "R2").unwrap();
        assert_eq!(parts[0].lines.len(), 2);
        let up = diagnosis(vec![Finding::new(Code::TunnelUp, "R1", "up")]);
        assert!(plan(&up, "R1", "R2").is_none());
    }
}
