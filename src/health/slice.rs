//! One peer's part of a router's show outputs. A hub's `show crypto isakmp sa`, `show crypto
//! ipsec sa` and `show crypto session` list every spoke; the engine judging one tunnel must see
//! only that tunnel's rows, or another spoke's one-way traffic would become this one's.
//!
//! Rows of other peers are blanked, not removed, so every line keeps its number and evidence
//! still points at the line the router printed.

use crate::engine::parse::show::{ShowKind, classify, crypto_session, ipsec_sa, isakmp_sa};
use std::borrow::Cow;

/// `text` (the output of `command`) with the lines about peers other than `peer` blanked.
/// Outputs that list no peers (the configuration) come back whole.
pub fn for_peer<'a>(command: &str, text: &'a str, peer: &str) -> Cow<'a, str> {
    let drop = match classify(command) {
        Some(ShowKind::IsakmpSa) => isakmp_rows(text, peer),
        Some(ShowKind::IpsecSa) => ipsec_blocks(text, peer),
        Some(ShowKind::CryptoSession) => session_blocks(text, peer),
        _ => return Cow::Borrowed(text),
    };
    if drop.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut ranges = drop.iter().peekable();
    for (n, line) in text.lines().enumerate() {
        while ranges.peek().is_some_and(|r| r.1 <= n) {
            ranges.next();
        }
        if ranges.peek().is_none_or(|r| r.0 > n) {
            out.push_str(line);
        }
        out.push('\n');
    }
    Cow::Owned(out)
}

/// Half-open line ranges, in order.
type Ranges = Vec<(usize, usize)>;

fn isakmp_rows(text: &str, peer: &str) -> Ranges {
    isakmp_sa::parse(text)
        .rows
        .iter()
        .filter(|r| r.dst != peer && r.src != peer)
        .map(|r| (r.line, r.line + 1))
        .collect()
}

/// Each flow block runs from its first line to the next flow or interface.
fn ipsec_blocks(text: &str, peer: &str) -> Ranges {
    let parsed = ipsec_sa::parse(text);
    let total = text.lines().count();
    let mut starts: Vec<usize> = parsed
        .interfaces
        .iter()
        .flat_map(|i| std::iter::once(i.line).chain(i.flows.iter().map(|f| f.line)))
        .collect();
    starts.sort_unstable();
    let end_of = |line: usize| starts.iter().copied().find(|s| *s > line).unwrap_or(total);
    parsed
        .flows()
        .filter(|f| f.current_peer.as_deref() != Some(peer))
        .map(|f| (f.line, end_of(f.line)))
        .collect()
}

/// Each session block runs from its `Interface:` line to the next one.
fn session_blocks(text: &str, peer: &str) -> Ranges {
    let parsed = crypto_session::parse(text);
    let total = text.lines().count();
    let starts: Vec<usize> = parsed.sessions.iter().map(|s| s.line).collect();
    parsed
        .sessions
        .iter()
        .enumerate()
        .filter(|(_, s)| s.peer.as_deref() != Some(peer))
        .map(|(i, s)| (s.line, starts.get(i + 1).copied().unwrap_or(total)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISAKMP: &str = "IPv4 Crypto ISAKMP SA\ndst             src             state          conn-id status\n198.19.0.1      198.18.0.1      QM_IDLE           1001 ACTIVE\n198.19.0.2      198.18.0.1      MM_KEY_EXCH       1002 ACTIVE\n\nIPv6 Crypto ISAKMP SA\n";

    #[test]
    fn isakmp_rows_of_other_peers_are_blanked_in_place() {
        let sliced = for_peer("show crypto isakmp sa", ISAKMP, "198.19.0.2");
        let lines: Vec<&str> = sliced.lines().collect();
        assert_eq!(lines.len(), ISAKMP.lines().count());
        assert_eq!(lines[2], "");
        assert!(lines[3].contains("MM_KEY_EXCH"));
        let parsed = isakmp_sa::parse(&sliced);
        assert_eq!(parsed.rows.len(), 1);
        assert_eq!(parsed.rows[0].line, 3);
    }

    #[test]
    fn configuration_is_not_sliced() {
        let text = "crypto map HUB 10 ipsec-isakmp\n set peer 198.19.0.1\n";
        assert!(matches!(
            for_peer("show running-config | section crypto", text, "198.19.0.2"),
            Cow::Borrowed(_)
        ));
    }
}
