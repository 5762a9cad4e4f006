//! One peer's part of a router's show outputs. A hub's `show crypto isakmp sa`, `show crypto
//! ipsec sa` and `show crypto session` list every spoke; the engine judging one tunnel must see
//! only that tunnel's rows, or another spoke's one-way traffic would become this one's.
//!
//! Rows of other peers are blanked, not removed, so every line keeps its number and evidence
//! still points at the line the router printed.

use crate::engine::Parsed;
use crate::engine::parse::show::{
    ShowKind, ShowOutput, classify, crypto_session, ipsec_sa, isakmp_sa,
};
use crate::ios::RunningConfig;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Which peers each line of an output is about (`None`: a header, or common to all). Worked
/// out once per router and output: a hub's outputs are sliced once per spoke, and parsing
/// them again for each would cost the square of the number of spokes.
#[derive(Debug, Clone, Default)]
pub struct Owners {
    lines: Vec<Option<u32>>,
    /// The addresses of each owner: one peer, or both ends of an ISAKMP SA row.
    members: Vec<Vec<String>>,
    /// The whole output as parsed to find the owners: health reads the SA tables and the
    /// configuration itself too, and a router with one peer (most of them) is its own slice.
    whole: Whole,
}

/// An output parsed whole.
#[derive(Debug, Clone, Default)]
enum Whole {
    Show(ShowOutput),
    Config(Arc<RunningConfig>),
    #[default]
    Other,
}

impl Owners {
    /// The owners of `text`, the output of `command`; `None` when the output is not about
    /// peers (nothing to slice).
    pub fn of(command: &str, text: &str) -> Option<Owners> {
        let total = text.lines().count();
        let (ranges, whole): (Vec<(Vec<String>, usize, usize)>, Whole) = match classify(command) {
            Some(ShowKind::IsakmpSa) => {
                let parsed = isakmp_sa::parse(text);
                let rows = parsed
                    .rows
                    .iter()
                    .map(|r| (vec![r.dst.clone(), r.src.clone()], r.line, r.line + 1))
                    .collect();
                (rows, Whole::Show(ShowOutput::IsakmpSa(parsed)))
            }
            Some(ShowKind::IpsecSa) => {
                let parsed = ipsec_sa::parse(text);
                (
                    ipsec_blocks(&parsed, total),
                    Whole::Show(ShowOutput::IpsecSa(parsed)),
                )
            }
            Some(ShowKind::CryptoSession) => {
                let parsed = crypto_session::parse(text);
                (
                    session_blocks(&parsed, total),
                    Whole::Show(ShowOutput::CryptoSession(parsed)),
                )
            }
            Some(ShowKind::RunningConfig) => {
                let cfg = Arc::new(crate::ios::parse(text).config);
                (config_blocks(&cfg, text), Whole::Config(cfg))
            }
            _ => return None,
        };
        let mut o = Owners {
            lines: vec![None; total],
            members: Vec::new(),
            whole,
        };
        let mut ids: BTreeMap<Vec<String>, u32> = BTreeMap::new();
        for (who, from, to) in ranges {
            let next = o.members.len() as u32;
            let id = *ids.entry(who.clone()).or_insert_with(|| {
                o.members.push(who);
                next
            });
            for slot in o.lines.iter_mut().take(to.min(total)).skip(from) {
                *slot = Some(id);
            }
        }
        Some(o)
    }

    /// Whether `peer`'s slice is the whole output: every line about a peer is about it.
    fn keeps_all(&self, peer: &str) -> bool {
        self.members.iter().all(|m| m.iter().any(|a| a == peer))
    }

    /// The whole `show crypto isakmp sa`, as parsed to find the owners.
    pub fn isakmp_sa(&self) -> Option<&isakmp_sa::IsakmpSa> {
        match &self.whole {
            Whole::Show(ShowOutput::IsakmpSa(p)) => Some(p),
            _ => None,
        }
    }

    /// The whole `show crypto ipsec sa`, as parsed to find the owners.
    pub fn ipsec_sa(&self) -> Option<&ipsec_sa::IpsecSa> {
        match &self.whole {
            Whole::Show(ShowOutput::IpsecSa(p)) => Some(p),
            _ => None,
        }
    }

    /// The whole output as parsed, for the engine (see [`crate::engine::Parsed`]).
    pub fn parsed(&self) -> Option<Parsed<'_>> {
        match &self.whole {
            Whole::Show(o) => Some(Parsed::Show(o)),
            Whole::Config(c) => Some(Parsed::Config(c)),
            Whole::Other => None,
        }
    }

    /// The whole configuration, when this is one.
    pub fn config(&self) -> Option<&Arc<RunningConfig>> {
        match &self.whole {
            Whole::Config(c) => Some(c),
            _ => None,
        }
    }

    /// Whether line `n` belongs in `peer`'s slice.
    fn keeps(&self, n: usize, peer: &str) -> bool {
        match self.lines.get(n).copied().flatten() {
            None => true,
            Some(id) => self
                .members
                .get(id as usize)
                .is_some_and(|m| m.iter().any(|a| a == peer)),
        }
    }
}

/// `text` (the output of `command`) with the lines about peers other than `peer` blanked.
/// Outputs that list no peers come back whole.
pub fn for_peer<'a>(command: &str, text: &'a str, peer: &str) -> Cow<'a, str> {
    match Owners::of(command, text) {
        Some(o) => sliced(text, &o, peer),
        None => Cow::Borrowed(text),
    }
}

/// `peer`'s lines of `text` alone, the others left out rather than blanked, with the line
/// number each kept line had in `text` (1-based); `None` when nothing was left out. What a
/// router with only that peer would have printed: the engine reads a hub's outputs once per
/// spoke, and reading every other spoke's blank lines each time cost the square of the spokes.
pub fn compacted<'a>(
    text: &'a str,
    owners: &Owners,
    peer: &str,
) -> (Cow<'a, str>, Option<Vec<usize>>) {
    if owners.keeps_all(peer) {
        return (Cow::Borrowed(text), None);
    }
    let mut out = String::new();
    let mut lines = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if owners.keeps(n, peer) {
            out.push_str(line);
            out.push('\n');
            lines.push(n + 1);
        }
    }
    (Cow::Owned(out), Some(lines))
}

/// As [`for_peer`], with the owners worked out before.
pub fn sliced<'a>(text: &'a str, owners: &Owners, peer: &str) -> Cow<'a, str> {
    if owners.keeps_all(peer) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() / 4);
    for (n, line) in text.lines().enumerate() {
        if owners.keeps(n, peer) {
            out.push_str(line);
        }
        out.push('\n');
    }
    Cow::Owned(out)
}

/// Each flow block runs from its first line to the next flow or interface.
fn ipsec_blocks(parsed: &ipsec_sa::IpsecSa, total: usize) -> Vec<(Vec<String>, usize, usize)> {
    let mut starts: Vec<usize> = parsed
        .interfaces
        .iter()
        .flat_map(|i| std::iter::once(i.line).chain(i.flows.iter().map(|f| f.line)))
        .collect();
    starts.sort_unstable();
    let end_of = |line: usize| {
        let i = starts.partition_point(|s| *s <= line);
        starts.get(i).copied().unwrap_or(total)
    };
    parsed
        .flows()
        .map(|f| {
            (
                vec![f.current_peer.clone().unwrap_or_default()],
                f.line,
                end_of(f.line),
            )
        })
        .collect()
}

/// Each session block runs from its `Interface:` line to the next one.
fn session_blocks(
    parsed: &crypto_session::CryptoSession,
    total: usize,
) -> Vec<(Vec<String>, usize, usize)> {
    let starts: Vec<usize> = parsed.sessions.iter().map(|s| s.line).collect();
    parsed
        .sessions
        .iter()
        .enumerate()
        .map(|(i, s)| {
            (
                vec![s.peer.clone().unwrap_or_default()],
                s.line,
                starts.get(i + 1).copied().unwrap_or(total),
            )
        })
        .collect()
}

/// The configuration's crypto map entries with a single peer, the access lists only such
/// entries use, and the host keys: each belongs to its peer. The rest (policies, transform
/// sets, interfaces, routes, wildcard keys) is common.
fn config_blocks(cfg: &RunningConfig, text: &str) -> Vec<(Vec<String>, usize, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    // A block is its first line (1-based in the model) and the indented lines after it.
    let block = |first: usize| -> (usize, usize) {
        let start = first.saturating_sub(1);
        let mut end = start + 1;
        while lines.get(end).is_some_and(|l| l.starts_with(' ')) {
            end += 1;
        }
        (start, end)
    };
    let mut out = Vec::new();
    let mut acl_peer: BTreeMap<&str, Option<String>> = BTreeMap::new();
    for e in &cfg.crypto_maps {
        let only = match e.peers.as_slice() {
            [one] => Some(one.addr.to_string()),
            _ => None,
        };
        if let Some(acl) = e.acl.as_deref() {
            let slot = acl_peer.entry(acl).or_insert_with(|| only.clone());
            if *slot != only {
                *slot = None;
            }
        }
        if let Some(peer) = only {
            let (a, b) = block(e.line);
            out.push((vec![peer], a, b));
        }
    }
    for acl in &cfg.access_lists {
        if let Some(Some(peer)) = acl_peer.get(acl.name.as_str()) {
            let mut rows: Vec<usize> = acl.entries.iter().map(|e| e.line).collect();
            rows.push(acl.line);
            for l in rows {
                let (a, b) = block(l);
                out.push((vec![peer.clone()], a, b));
            }
        }
    }
    for k in &cfg.isakmp_keys {
        if k.peer.len == 32 && k.keyring.is_none() {
            let l = k.key.line.saturating_sub(1);
            out.push((vec![k.peer.addr.to_string()], l, l + 1));
        }
    }
    out
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
    fn a_table_of_one_peer_is_its_own_slice_and_others_are_left_out_with_their_numbers() {
        let o = Owners::of("show crypto isakmp sa", ISAKMP).unwrap();
        assert_eq!(o.isakmp_sa(), Some(&isakmp_sa::parse(ISAKMP)));
        let (text, lines) = compacted(ISAKMP, &o, "198.19.0.2");
        assert_eq!(lines, Some(vec![1, 2, 4, 5, 6]));
        assert!(!text.contains("198.19.0.1") && text.contains("MM_KEY_EXCH"));
        let one: String = ISAKMP
            .lines()
            .filter(|l| !l.contains("198.19.0.1"))
            .map(|l| format!("{l}\n"))
            .collect();
        let o = Owners::of("show crypto isakmp sa", &one).unwrap();
        assert!(matches!(sliced(&one, &o, "198.19.0.2"), Cow::Borrowed(_)));
        assert!(matches!(
            compacted(&one, &o, "198.19.0.2"),
            (Cow::Borrowed(_), None)
        ));
    }

    #[test]
    fn configuration_keeps_the_peers_entry_its_acl_and_key_and_everything_common() {
        let text = "crypto isakmp policy 10\n encr aes 256\ncrypto isakmp key K1 address 198.19.0.1\ncrypto isakmp key K2 address 198.19.0.2\ncrypto map HUB 10 ipsec-isakmp\n set peer 198.19.0.1\n match address A1\ncrypto map HUB 20 ipsec-isakmp\n set peer 198.19.0.2\n match address A2\ninterface Gi0\n ip address 198.18.0.1 255.255.255.0\n crypto map HUB\nip access-list extended A1\n permit ip 172.16.0.0 0.0.255.255 10.0.1.0 0.0.0.255\nip access-list extended A2\n permit ip 172.16.0.0 0.0.255.255 10.0.2.0 0.0.0.255\n";
        let sliced = for_peer("show running-config | section crypto", text, "198.19.0.2");
        let lines: Vec<&str> = sliced.lines().collect();
        assert_eq!(lines.len(), text.lines().count());
        let kept: Vec<&str> = lines.iter().copied().filter(|l| !l.is_empty()).collect();
        assert!(kept.contains(&"crypto map HUB 20 ipsec-isakmp"));
        assert!(kept.contains(&" permit ip 172.16.0.0 0.0.255.255 10.0.2.0 0.0.0.255"));
        assert!(kept.contains(&"crypto isakmp key K2 address 198.19.0.2"));
        assert!(kept.contains(&" encr aes 256"));
        assert!(kept.contains(&" crypto map HUB"));
        assert!(
            !kept
                .iter()
                .any(|l| l.contains("198.19.0.1") || l.contains("10.0.1.0"))
        );
        // The engine's parser finds the peer's entry where the router printed it.
        let cfg = crate::ios::parse(&sliced).config;
        assert_eq!(cfg.crypto_maps.len(), 1);
        assert_eq!(cfg.crypto_maps[0].line, 8);
    }
}
