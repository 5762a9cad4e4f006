//! Small helpers every show parser shares: the unparsed-line list, code legends, numbers.

use regex::{Captures, Regex};
use std::str::FromStr;
use std::sync::LazyLock;

/// Lines a parser did not recognise: (0-based line number in the output, the line).
pub type Unparsed = Vec<(usize, String)>;

/// Records a non-blank line nobody recognised; blank lines carry no information.
pub(crate) fn keep_unparsed(unparsed: &mut Unparsed, n: usize, line: &str) {
    if !line.trim().is_empty() {
        unparsed.push((n, line.to_string()));
    }
}

// `Codes: C - IKE configuration mode, D - Dead Peer Detection`
// `       K - Keepalives, N - NAT-traversal`
// `       + - replicated route, % - next hop override`
static LEGEND: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^\s*(?:Codes?:\s*)?[A-Za-z0-9+%*&]{1,4} - [^,]+(?:,\s*[A-Za-z0-9+%*&]{1,4} - [^,]+)*,?\s*$",
    )
    .expect("legend regex")
});

/// A line of a `Codes:` legend: it explains letters, it is not data.
pub(crate) fn is_legend(line: &str) -> bool {
    // Every legend entry is `X - meaning`: lines without ` - ` skip the pattern.
    line.contains(" - ") && LEGEND.is_match(line)
}

/// A named capture parsed as a number; `None` when absent or not a number.
pub(crate) fn cap_num<T: FromStr>(caps: &Captures<'_>, name: &str) -> Option<T> {
    caps.name(name).and_then(|m| m.as_str().trim().parse().ok())
}

/// A named capture as an owned string, `None` when the group did not take part.
pub(crate) fn cap_str(caps: &Captures<'_>, name: &str) -> Option<String> {
    caps.name(name).map(|m| m.as_str().trim().to_string())
}

/// Splits `11.0.1.2/500` or `2001:DB8:ACAD:1::1/500` at the last `/` into address and port.
pub(crate) fn split_addr_port(s: &str) -> (String, Option<u16>) {
    match s.rsplit_once('/') {
        Some((addr, port)) => match port.parse() {
            Ok(p) => (addr.to_string(), Some(p)),
            Err(_) => (s.to_string(), None),
        },
        None => (s.to_string(), None),
    }
}

/// IOS's `(Y/N)` answers.
pub(crate) fn yes_no(s: &str) -> Option<bool> {
    match s.trim() {
        "Y" | "y" | "Yes" | "yes" => Some(true),
        "N" | "n" | "No" | "no" => Some(false),
        _ => None,
    }
}

/// [`caps`] for a pattern that only matches lines holding `literal`: the substring test is
/// cheaper than any regex search.
pub fn caps_if<'h>(re: &regex::Regex, line: &'h str, literal: &str) -> Option<regex::Captures<'h>> {
    if line.contains(literal) {
        caps(re, line)
    } else {
        None
    }
}

/// `re.captures(line)` with a cheap test first. A parser tries each line against several
/// patterns and most attempts fail; a failed `captures` still allocates its slots and runs
/// the slower capturing engine, `is_match` does neither.
pub fn caps<'h>(re: &regex::Regex, line: &'h str) -> Option<regex::Captures<'h>> {
    if re.is_match(line) {
        re.captures(line)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legends_are_recognised() {
        assert!(is_legend(
            "Codes: C - IKE configuration mode, D - Dead Peer Detection"
        ));
        assert!(is_legend("       K - Keepalives, N - NAT-traversal"));
        assert!(is_legend(
            "       + - replicated route, % - next hop override"
        ));
        assert!(is_legend("S - SIP VPN"));
        assert!(!is_legend(
            "10.1.1.2        10.1.1.1        QM_IDLE           1001 ACTIVE"
        ));
        assert!(!is_legend(
            "        encryption algorithm:   AES - Advanced Encryption Standard (128 bit keys)."
        ));
    }

    #[test]
    fn address_and_port() {
        assert_eq!(
            split_addr_port("11.0.1.2/500"),
            ("11.0.1.2".into(), Some(500))
        );
        assert_eq!(
            split_addr_port("2001:DB8:ACAD:1::1/4500"),
            ("2001:DB8:ACAD:1::1".into(), Some(4500))
        );
        assert_eq!(split_addr_port("10.0.0.1"), ("10.0.0.1".into(), None));
        assert_eq!(split_addr_port("x/y"), ("x/y".into(), None));
    }
}
