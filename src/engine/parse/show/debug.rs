//! `show debugging`: which debugs are on, and the crypto debug conditions that scope them.
//! The runner reads it after `undebug all` to confirm nothing is left running on the router.

use super::text::{Unparsed, cap_str, caps, keep_unparsed};
use regex::Regex;
use serde::Serialize;
use std::sync::LazyLock;

pub const COMMAND: &str = "show debugging";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EnabledDebug {
    pub line: usize,
    /// The section header it was listed under (`Cryptographic Subsystem`), if any.
    pub section: Option<String>,
    /// `Crypto ISAKMP`, `Crypto IPSEC`, `Crypto ISAKMP Error`: the text before "debugging is on".
    pub name: String,
    /// Anything after "is on": `(detailed)`, `for access list 101`.
    pub qualifier: Option<String>,
}

/// One filter of `debug crypto condition`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DebugCondition {
    pub line: usize,
    /// `IKE peer IP address`, `Connection-id`, … (the filter list's title), or `Condition 1`.
    pub kind: String,
    pub value: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DebugState {
    pub enabled: Vec<EnabledDebug>,
    /// `Crypto conditional debug is turned ON`: `Some(true)`.
    pub crypto_conditional: Option<bool>,
    pub conditions: Vec<DebugCondition>,
    pub unparsed: Unparsed,
}

// What marks a debug as a crypto one, by its section or its own name.
const CRYPTO_WORDS: &[&str] = &["crypto", "isakmp", "ipsec", "ikev2"];

fn is_crypto(text: &str) -> bool {
    let t = text.to_ascii_lowercase();
    CRYPTO_WORDS.iter().any(|w| t.contains(w))
}

impl DebugState {
    /// Some IKE / IPsec / crypto debug is still running.
    pub fn crypto_debug_on(&self) -> bool {
        self.enabled.iter().any(|d| {
            is_crypto(&d.name)
                || d.section
                    .as_deref()
                    .is_some_and(|s| s.starts_with("Cryptographic"))
        })
    }

    /// Nothing at all is being debugged.
    pub fn all_off(&self) -> bool {
        self.enabled.is_empty()
    }

    /// The peer addresses crypto debugs are limited to.
    pub fn peer_conditions(&self) -> impl Iterator<Item = &str> {
        self.conditions
            .iter()
            .filter(|c| c.kind.contains("peer"))
            .map(|c| c.value.as_str())
    }
}

// `  Crypto ISAKMP debugging is on`
// `  IP packet debugging is on (detailed) for access list 101`
static ENABLED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*(?P<name>\S.*?) debugging is on(?:\s+(?P<q>.*?))?\s*$").expect("enabled regex")
});
// `Crypto conditional debug is turned ON` / `Crypto conditional debug currently is turned ON`
static CONDITIONAL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*Crypto conditional debug (?:currently )?is turned (?P<v>ON|OFF)\s*$")
        .expect("conditional regex")
});
// `IKE peer IP address filters:` then one address a line; `Connection-id filters:[none]`
static FILTERS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*(?P<kind>[A-Za-z][\w -]*?) filters:\s*(?P<inline>\S.*?)?\s*$")
        .expect("filters regex")
});
// `Condition 1: ip 10.1.1.2 (1 flags triggered)`
static CONDITION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*(?P<kind>Condition \d+): (?P<v>.*?)\s*$").expect("condition regex")
});
// `IKE debug context unmatched flag:OFF`, `Conditional Debug Global State: Stop`: settings
// that say nothing is being logged unless a condition matches; kept out of `unparsed`.
static SETTING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*(?:(?:IKE|IPsec|Crypto Engine) debug context unmatched flag:\s*(?:ON|OFF)|Conditional Debug Global State: \S+|Ip Address\s+Port|-+\|-+)\s*$")
        .expect("setting regex")
});
// `Cryptographic Subsystem:` / `IOSXE Conditional Debug Configs:` / `Packet Infra debugs:`
static SECTION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(?P<s>\S[^:]*):\s*$").expect("section regex"));
// `10.1.1.2` under a `… filters:` title.
static FILTER_VALUE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*(?P<v>[0-9A-Fa-f.:/]+)\s*$").expect("filter value regex"));

/// Parses `show debugging`.
pub fn parse(text: &str) -> DebugState {
    let mut out = DebugState::default();
    let mut section: Option<String> = None;
    let mut filter: Option<String> = None;
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            filter = None;
            continue;
        }
        if let Some(c) = caps(&ENABLED, line) {
            out.enabled.push(EnabledDebug {
                line: n,
                section: section.clone(),
                name: cap_str(&c, "name").unwrap_or_default(),
                qualifier: cap_str(&c, "q"),
            });
        } else if let Some(c) = caps(&CONDITIONAL, line) {
            out.crypto_conditional = Some(c.name("v").is_some_and(|m| m.as_str() == "ON"));
        } else if let Some(c) = caps(&FILTERS, line) {
            let kind = cap_str(&c, "kind").unwrap_or_default();
            match cap_str(&c, "inline").filter(|v| v != "[none]") {
                Some(v) => out.conditions.push(DebugCondition {
                    line: n,
                    kind,
                    value: v,
                }),
                None => filter = Some(kind),
            }
        } else if let Some(c) = caps(&CONDITION, line) {
            out.conditions.push(DebugCondition {
                line: n,
                kind: cap_str(&c, "kind").unwrap_or_default(),
                value: cap_str(&c, "v").unwrap_or_default(),
            });
        } else if SETTING.is_match(line) {
        } else if let (Some(kind), Some(c)) = (filter.as_ref(), caps(&FILTER_VALUE, line)) {
            out.conditions.push(DebugCondition {
                line: n,
                kind: kind.clone(),
                value: cap_str(&c, "v").unwrap_or_default(),
            });
        } else if let Some(c) = caps(&SECTION, line) {
            section = cap_str(&c, "s");
        } else {
            keep_unparsed(&mut out.unparsed, n, line);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const XE: &str = "\
IOSXE Conditional Debug Configs:

Conditional Debug Global State: Stop

IOSXE Packet Tracing Configs:

Packet Infra debugs:

Ip Address                                               Port
------------------------------------------------------|----------

Cryptographic Subsystem:
  Crypto ISAKMP debugging is on
  Crypto IPSEC debugging is on
  Crypto ISAKMP Error debugging is on

Crypto conditional debug currently is turned ON
IKE debug context unmatched flag:OFF
IPsec debug context unmatched flag:OFF
Crypto Engine debug context unmatched flag:OFF

IKE peer IP address filters:
203.0.113.2
Connection-id filters:[none]
";

    #[test]
    fn crypto_debugs_and_peer_condition() {
        let d = parse(XE);
        assert!(d.unparsed.is_empty(), "{:?}", d.unparsed);
        let names: Vec<_> = d.enabled.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(
            names,
            vec!["Crypto ISAKMP", "Crypto IPSEC", "Crypto ISAKMP Error"]
        );
        assert_eq!(
            d.enabled[0].section.as_deref(),
            Some("Cryptographic Subsystem")
        );
        assert!(d.crypto_debug_on());
        assert_eq!(d.crypto_conditional, Some(true));
        assert_eq!(d.peer_conditions().collect::<Vec<_>>(), vec!["203.0.113.2"]);
        assert_eq!(d.conditions[0].line, 22);
    }

    #[test]
    fn non_crypto_debug() {
        let d = parse("Generic IP:\n  IP packet debugging is on (detailed) for access list 101\n");
        assert!(!d.crypto_debug_on() && !d.all_off());
        assert_eq!(
            d.enabled[0].qualifier.as_deref(),
            Some("(detailed) for access list 101")
        );
    }

    #[test]
    fn empty_output() {
        let d = parse("");
        assert!(d.all_off() && !d.crypto_debug_on() && d.unparsed.is_empty());
    }

    #[test]
    fn garbage_lines_are_reported() {
        let d = parse("Cryptographic Subsystem:\n  something odd\n");
        assert_eq!(d.unparsed, vec![(1, "  something odd".to_string())]);
        assert!(!d.crypto_debug_on());
    }
}
