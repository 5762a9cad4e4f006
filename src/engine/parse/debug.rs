//! One debug or syslog line → its prelude and, when the signature table knows it, an event.

use super::prelude::{self, Facility, Prelude};
use super::signatures::{self, Scratch};
use super::transcript::may_be_prompt;
use crate::engine::event::EventKind;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DebugLine<'a> {
    pub prelude: Prelude<'a>,
    /// The matching signature's name and the event, or `None` for a line kept only as context.
    pub event: Option<(&'static str, EventKind<'a>)>,
}

pub fn parse(line: &str) -> DebugLine<'_> {
    let prelude = prelude::split(line);
    let candidates = signatures::scan(prelude.body.as_bytes());
    let event = body_event(&prelude, candidates, &mut Scratch::new());
    DebugLine { prelude, event }
}

/// The event of a line, if any: the fast path for long captures. A line holding no signature
/// literal costs one automaton scan; only the others are split and matched.
pub fn event<'a>(line: &'a str, scratch: &mut Scratch) -> Option<(&'static str, EventKind<'a>)> {
    let candidates = signatures::scan(line.as_bytes());
    if candidates.is_empty() {
        return None;
    }
    event_with(line, candidates, scratch)
}

/// As [`event`], with the candidate rows already known from a block scan.
pub fn event_with<'a>(
    line: &'a str,
    candidates: signatures::Candidates,
    scratch: &mut Scratch,
) -> Option<(&'static str, EventKind<'a>)> {
    let (facility, body) = prelude::body(line);
    classify_body(facility, body, candidates, scratch)
}

/// One line of a block that is worth the engine's look: it holds a signature literal, or it
/// may be a prompt or a show header (which change how the lines after it are read).
#[derive(Debug, Clone, Copy)]
pub struct PreparedLine {
    /// 0-based index of the line in its block.
    pub index: u32,
    /// Where the line starts in its block.
    pub start: usize,
    /// The rows its literals belong to, and when one matched, the match (its groups relative
    /// to the body, which starts at `body_at`).
    pub candidates: signatures::Candidates,
    pub matched: Option<(u32, signatures::Matched)>,
    /// It has a prompt's shape or starts like a show header.
    pub structural: bool,
}

/// A block of lines as [`prepare_block`] leaves it: how many lines it holds, and the few that
/// are worth a look, in order.
#[derive(Debug, Clone, Default)]
pub struct PreparedBlock {
    pub count: u32,
    pub lines: Vec<PreparedLine>,
}

/// Scans a block of whole lines (separated by `\n`, none after the last) once for signature
/// literals, matches every line that holds one, and marks the lines that may be prompts or
/// show headers: everything about the lines that does not depend on what came before them,
/// so it may run ahead of the stream, on other threads. The engine then skips the other lines
/// without looking at them, unless a command's output is being read.
pub fn prepare_block(block: &str, scratch: &mut Scratch) -> PreparedBlock {
    prepare_block_into(block, scratch, Vec::new())
}

/// [`prepare_block`], keeping the lines in `lines` (emptied first): a reader reuses the
/// vectors of the blocks it has fed instead of allocating new ones.
pub fn prepare_block_into(
    block: &str,
    scratch: &mut Scratch,
    mut lines: Vec<PreparedLine>,
) -> PreparedBlock {
    lines.clear();
    let bytes = block.as_bytes();
    let mut hits = signatures::block_hits(bytes).peekable();
    let mut index = 0u32;
    let mut start = 0usize;
    loop {
        let end = memchr::memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |i| start + i);
        // Literals hold no line end: a hit starting before it is in this line.
        let mut candidates = signatures::Candidates::default();
        while let Some((_, c)) = hits.next_if(|(at, _)| *at < end) {
            candidates |= c;
        }
        let line = &block[start..end];
        let structural = may_be_prompt(line) || super::show::sniff(line).is_some();
        if structural || !candidates.is_empty() {
            lines.push(PreparedLine {
                index,
                start,
                candidates,
                matched: matched(line, candidates, scratch),
                structural,
            });
        }
        index += 1;
        if end == bytes.len() {
            break;
        }
        start = end + 1;
    }
    PreparedBlock {
        count: index,
        lines,
    }
}

/// The row `line` matches among `candidates`, with where its body starts.
fn matched(
    line: &str,
    candidates: signatures::Candidates,
    scratch: &mut Scratch,
) -> Option<(u32, signatures::Matched)> {
    if candidates.is_empty() {
        return None;
    }
    let line = line.trim_end_matches('\r');
    let (facility, body) = prelude::body(line);
    if body.is_empty() {
        return None;
    }
    let body_at = (body.as_ptr() as usize - line.as_ptr() as usize) as u32;
    signatures::match_body(facility, body, candidates, scratch).map(|m| (body_at, m))
}

/// The event of a prepared line, built from the line's own text.
pub fn prepared_event<'a>(
    line: &'a str,
    prepared: &PreparedLine,
) -> Option<(&'static str, EventKind<'a>)> {
    let (at, m) = prepared.matched.as_ref()?;
    signatures::build(line.get(*at as usize..)?, m)
}

fn body_event<'a>(
    prelude: &Prelude<'a>,
    candidates: signatures::Candidates,
    scratch: &mut Scratch,
) -> Option<(&'static str, EventKind<'a>)> {
    classify_body(prelude.facility, prelude.body, candidates, scratch)
}

fn classify_body<'a>(
    facility: Facility,
    body: &'a str,
    candidates: signatures::Candidates,
    scratch: &mut Scratch,
) -> Option<(&'static str, EventKind<'a>)> {
    if body.is_empty() {
        return None;
    }
    signatures::classify_with(facility, body, candidates, scratch)
}

/// True when a line carries a router log decoration (timestamp or a known facility prefix):
/// used to tell unsolicited log lines from show output in a session transcript.
pub fn looks_like_log(line: &str) -> bool {
    // Most show output starts with a letter no log decoration starts with: those lines need
    // no closer look. Log lines start with a timestamp (`*`, `.`, a digit, a month) or a
    // facility (`ISAKMP`, `IPSEC`, `IKEv2`, `%…`).
    let first = line.trim_start().as_bytes().first().copied();
    if !matches!(
        first,
        Some(
            b'*' | b'.' | b'0'
                ..=b'9' | b'%' | b'I' | b'J' | b'F' | b'M' | b'A' | b'S' | b'O' | b'N' | b'D'
        )
    ) {
        return false;
    }
    prelude::is_decorated(line)
}

/// The undecorated lines `debug crypto ikev2` prints under a packet line: `Initiator SPI :
/// … Message id: 0`, `IKEv2 IKE_SA_INIT Exchange REQUEST`, `Payload contents:`. They belong
/// to the log, not to a command typed after the log pushed the prompt up.
pub fn continues_ikev2_packet(line: &str) -> bool {
    line.starts_with("Initiator SPI :")
        || line.starts_with("Payload contents:")
        || (line.starts_with("IKEv2 ") && line.contains(" Exchange "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::event::{P1Attr, P1AttrKind};

    #[test]
    fn field_guide_lines_become_events() {
        let cases: &[(&str, EventKind)] = &[
            (
                "ISAKMP:(0): retransmitting phase 1 MM_NO_STATE...",
                EventKind::Retransmit {
                    phase: 1,
                    state: Some("MM_NO_STATE"),
                },
            ),
            (
                "ISAKMP:(0): incrementing error counter on sa, attempt 2 of 5",
                EventKind::RetransmitAttempt {
                    attempt: Some(2),
                    of: Some(5),
                },
            ),
            (
                "ISAKMP:(0): Authentication method offered does not match policy!",
                EventKind::P1Mismatch(P1AttrKind::Auth),
            ),
            (
                "ISAKMP:(0): No offers accepted!",
                EventKind::NoOffersAccepted,
            ),
            (
                "ISAKMP:(0): Diffie-Hellman group offered does not match policy!",
                EventKind::P1Mismatch(P1AttrKind::Group),
            ),
            (
                "ISAKMP:(0): No pre-shared key with 101.1.1.100!",
                EventKind::PskMissing {
                    peer: "101.1.1.100",
                },
            ),
            (
                "ISAKMP:(0): IPSEC policy invalidated proposal with error 32",
                EventKind::PolicyInvalidated { error: Some(32) },
            ),
            (
                "ISAKMP:(0): Phase 2 SA policy not acceptable",
                EventKind::SaNotAcceptable {
                    phase: Some(2),
                    local: None,
                    remote: None,
                },
            ),
            (
                "encryption AES-CBC",
                EventKind::OfferedP1(P1Attr::Encryption("AES-CBC")),
            ),
            ("default group 5", EventKind::OfferedP1(P1Attr::Group(5))),
        ];
        for (line, want) in cases {
            let got = parse(line).event.map(|e| e.1);
            assert_eq!(got.as_ref(), Some(want), "{line}");
        }
    }

    #[test]
    fn log_detection() {
        assert!(looks_like_log(
            "*Oct 25 18:53:16.485: ISAKMP: (0):Sending an IKE IPv4 Packet."
        ));
        assert!(looks_like_log("ISAKMP:(0): No offers accepted!"));
        assert!(!looks_like_log(
            "dst             src             state          conn-id status"
        ));
        assert!(!looks_like_log("*10:15:42.123 UTC Thu Nov 26 2026"));
    }
}
