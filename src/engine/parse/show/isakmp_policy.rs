//! `show crypto isakmp policy` and `show crypto isakmp default policy`: the phase 1 policies
//! in force, with IOS's long attribute names turned back into the words used in config.

use super::text::{Unparsed, cap_num, cap_str, caps, keep_unparsed};
use regex::Regex;
use serde::Serialize;
use std::sync::LazyLock;

pub const COMMAND: &str = "show crypto isakmp policy";
pub const COMMAND_DEFAULT: &str = "show crypto isakmp default policy";

/// One `Protection suite`. Each attribute keeps the printed text and, when the text is in our
/// tables, its config spelling (`aes 256`, `sha`, `pre-share`, `14`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IsakmpPolicy {
    pub line: usize,
    /// `None` for 12.x's bare `Default protection suite`.
    pub priority: Option<u32>,
    /// A built-in default suite rather than a configured one.
    pub default: bool,
    pub encryption: Option<String>,
    pub encryption_text: Option<String>,
    pub hash: Option<String>,
    pub hash_text: Option<String>,
    pub auth: Option<String>,
    pub auth_text: Option<String>,
    pub dh_group: Option<u32>,
    pub dh_text: Option<String>,
    pub lifetime_secs: Option<u64>,
    pub lifetime_text: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IsakmpPolicies {
    pub policies: Vec<IsakmpPolicy>,
    pub unparsed: Unparsed,
}

impl IsakmpPolicies {
    /// Configured policies (not the built-in defaults), lowest priority number first, the
    /// order in which IOS tries them.
    pub fn configured(&self) -> Vec<&IsakmpPolicy> {
        let mut v: Vec<_> = self.policies.iter().filter(|p| !p.default).collect();
        v.sort_by_key(|p| p.priority);
        v
    }
}

// The texts IOS prints, trailing `.` removed, and the config keyword for each.
const ENCRYPTION: &[(&str, &str)] = &[
    ("DES - Data Encryption Standard (56 bit keys)", "des"),
    ("Three key triple DES", "3des"),
    ("AES - Advanced Encryption Standard (128 bit keys)", "aes"),
    (
        "AES - Advanced Encryption Standard (192 bit keys)",
        "aes 192",
    ),
    (
        "AES - Advanced Encryption Standard (256 bit keys)",
        "aes 256",
    ),
];
const HASH: &[(&str, &str)] = &[
    ("Secure Hash Standard", "sha"),
    ("Message Digest 5", "md5"),
    ("Secure Hash Standard 2 (256 bit)", "sha256"),
    ("Secure Hash Standard 2 (384 bit)", "sha384"),
    ("Secure Hash Standard 2 (512 bit)", "sha512"),
];
const AUTH: &[(&str, &str)] = &[
    ("Pre-Shared Key", "pre-share"),
    ("Rivest-Shamir-Adleman Signature", "rsa-sig"),
    ("Rivest-Shamir-Adleman Encryption", "rsa-encr"),
];

fn lookup(table: &[(&str, &str)], text: &str) -> Option<String> {
    let text = text.trim_end_matches('.').trim();
    table
        .iter()
        .find(|(t, _)| *t == text)
        .map(|(_, k)| (*k).to_string())
}

// `Protection suite of priority 10`
// `Default protection suite of priority 65507`
// `Default protection suite`
static SUITE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*(?P<def>Default p|P)rotection suite(?: of priority (?P<prio>\d+))?\s*$")
        .expect("suite regex")
});
// `Global IKE policy` / `Default IKE policy`
static TITLE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*(?:Global|Default) IKE policy\s*$").expect("title regex"));
// `        encryption algorithm:   AES - Advanced Encryption Standard (128 bit keys).`
// `        Diffie-Hellman group:   #5 (1536 bit)`
// `        lifetime:               86400 seconds, no volume limit`
static ATTR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s+(?P<k>encryption algorithm|hash algorithm|authentication method|Diffie-Hellman group|lifetime):\s+(?P<v>.*?)\s*$")
        .expect("attr regex")
});
// `#14 (2048 bit)`
static DH: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^#(?P<g>\d+)\b").expect("dh regex"));
// `86400 seconds, no volume limit`
static LIFE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(?P<s>\d+) seconds\b").expect("life regex"));

/// Parses `show crypto isakmp policy` or `show crypto isakmp default policy`.
pub fn parse(text: &str) -> IsakmpPolicies {
    let mut out = IsakmpPolicies::default();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() || TITLE.is_match(line) {
            continue;
        }
        if let Some(c) = caps(&SUITE, line) {
            out.policies.push(IsakmpPolicy {
                line: n,
                priority: cap_num(&c, "prio"),
                default: c.name("def").is_some_and(|m| m.as_str().starts_with('D')),
                ..IsakmpPolicy::default()
            });
            continue;
        }
        let (Some(c), Some(p)) = (caps(&ATTR, line), out.policies.last_mut()) else {
            keep_unparsed(&mut out.unparsed, n, line);
            continue;
        };
        let v = cap_str(&c, "v").unwrap_or_default();
        match c.name("k").map(|m| m.as_str()) {
            Some("encryption algorithm") => {
                p.encryption = lookup(ENCRYPTION, &v);
                p.encryption_text = Some(v);
            }
            Some("hash algorithm") => {
                p.hash = lookup(HASH, &v);
                p.hash_text = Some(v);
            }
            Some("authentication method") => {
                p.auth = lookup(AUTH, &v);
                p.auth_text = Some(v);
            }
            Some("Diffie-Hellman group") => {
                p.dh_group = caps(&DH, &v).and_then(|d| cap_num(&d, "g"));
                p.dh_text = Some(v);
            }
            _ => {
                p.lifetime_secs = caps(&LIFE, &v).and_then(|d| cap_num(&d, "s"));
                p.lifetime_text = Some(v);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    // 12.4 with one configured policy and the bare default suite.
    const IOS_124: &str = "\
Global IKE policy
Protection suite of priority 10
\tencryption algorithm:\tAES - Advanced Encryption Standard (256 bit keys).
\thash algorithm:\t\tSecure Hash Standard
\tauthentication method:\tPre-Shared Key
\tDiffie-Hellman group:\t#14 (2048 bit)
\tlifetime:\t\t86400 seconds, no volume limit
Default protection suite
\tencryption algorithm:\tDES - Data Encryption Standard (56 bit keys).
\thash algorithm:\t\tSecure Hash Standard
\tauthentication method:\tRivest-Shamir-Adleman Signature
\tDiffie-Hellman group:\t#1 (768 bit)
\tlifetime:\t\t86400 seconds, no volume limit
";

    #[test]
    fn normalises_to_config_words() {
        let p = parse(IOS_124);
        assert!(p.unparsed.is_empty(), "{:?}", p.unparsed);
        let a = &p.policies[0];
        assert_eq!((a.priority, a.default), (Some(10), false));
        assert_eq!(a.encryption.as_deref(), Some("aes 256"));
        assert_eq!(a.hash.as_deref(), Some("sha"));
        assert_eq!(a.auth.as_deref(), Some("pre-share"));
        assert_eq!((a.dh_group, a.lifetime_secs), (Some(14), Some(86400)));
        let d = &p.policies[1];
        assert_eq!((d.priority, d.default), (None, true));
        assert_eq!(
            (d.encryption.as_deref(), d.auth.as_deref()),
            (Some("des"), Some("rsa-sig"))
        );
        assert_eq!(p.configured().len(), 1);
    }

    #[test]
    fn unknown_algorithm_text_is_kept() {
        let p = parse("Protection suite of priority 5\n\tencryption algorithm:\tSomething New.\n");
        assert_eq!(p.policies[0].encryption, None);
        assert_eq!(
            p.policies[0].encryption_text.as_deref(),
            Some("Something New.")
        );
    }

    #[test]
    fn empty_output() {
        let p = parse("");
        assert!(p.policies.is_empty() && p.unparsed.is_empty());
    }

    #[test]
    fn garbage_lines_are_reported() {
        let p = parse("\thash algorithm:\tSecure Hash Standard\nProtection suite of priority x\n");
        assert_eq!(p.unparsed.len(), 2);
        assert!(p.policies.is_empty());
    }
}
