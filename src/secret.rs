//! Secrets (pre-shared keys, passwords, enable secrets) that must never be printed.
//!
//! A [`Secret`] compares by value, so two routers' keys can be told equal or different, but
//! every way of showing it (Debug, Display, serde) prints `*****`.

use regex::Regex;
use serde::{Serialize, Serializer};
use std::borrow::Cow;
use std::fmt;
use std::sync::LazyLock;

pub const REDACTED: &str = "*****";

#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The clear text, for the few places that must send it (SSH auth, the lab's own check).
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(REDACTED)
    }
}

/// Config lines that carry a secret, and the group holding it. Applied to every line of
/// router output the engine keeps, so a transcript of `show running-config` can be quoted as
/// evidence without leaking a key.
static SECRET_LINES: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    [
        // crypto isakmp key 0 cisco123 address 203.0.113.2
        r"^(\s*crypto isakmp key (?:[0-9] )?)(\S+)",
        //  pre-shared-key address 203.0.113.2 key 0 cisco123
        r"^(\s*pre-shared-key .*?\bkey (?:[0-9] )?)(\S+)",
        // enable secret 5 $1$abc…   /  enable password cisco
        r"^(\s*enable (?:secret|password) (?:(?:level [0-9]+ )?[0-9]+ )?)(\S+)",
        // username admin privilege 15 secret 0 labpass1
        r"^(\s*username \S+ .*?\b(?:secret|password) (?:[0-9]+ )?)(\S+)",
        //  password 7 0822455D0A16 (line vty)
        r"^(\s+password (?:[0-9] )?)(\S+)",
        // snmp-server community public RO / tacacs-server key x / radius-server key x
        r"^(\s*(?:snmp-server community|tacacs-server key|radius-server key) (?:[0-9] )?)(\S+)",
        //  key-string 7 0822455D0A16
        r"^(\s*key-string (?:[0-9] )?)(\S+)",
    ]
    .iter()
    // Literal patterns checked by `redacts_every_secret_form`; a failure is a programming error.
    .map(|p| Regex::new(p).expect("redaction pattern compiles"))
    .collect()
});

/// The line with any secret it carries replaced by `*****`.
pub fn redact(line: &str) -> Cow<'_, str> {
    for re in SECRET_LINES.iter() {
        if let Some(c) = re.captures(line)
            && let (Some(head), Some(secret)) = (c.get(1), c.get(2))
        {
            return Cow::Owned(format!(
                "{}{REDACTED}{}",
                head.as_str(),
                &line[secret.end()..]
            ));
        }
    }
    Cow::Borrowed(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_every_secret_form() {
        for (line, want) in [
            (
                "crypto isakmp key cisco123 address 203.0.113.2",
                "crypto isakmp key ***** address 203.0.113.2",
            ),
            (
                "crypto isakmp key 0 cisco123 address 203.0.113.2",
                "crypto isakmp key 0 ***** address 203.0.113.2",
            ),
            (
                " pre-shared-key address 203.0.113.2 key s3cret",
                " pre-shared-key address 203.0.113.2 key *****",
            ),
            (
                "enable secret 5 $1$mERr$hx5rVt7rPNoS4wqbXKX7m0",
                "enable secret 5 *****",
            ),
            ("enable password cisco", "enable password *****"),
            (
                "username admin privilege 15 secret 0 labpass1",
                "username admin privilege 15 secret 0 *****",
            ),
            (" password 7 0822455D0A16", " password 7 *****"),
            (
                "snmp-server community public RO",
                "snmp-server community ***** RO",
            ),
            (
                "R1#crypto isakmp key x address 1.1.1.1",
                "R1#crypto isakmp key x address 1.1.1.1",
            ),
        ] {
            // The last case: a prompt-prefixed command is redacted by the caller after the
            // prompt is stripped; here it must at least not be mangled.
            if line.starts_with("R1#") {
                assert_eq!(redact(line), line);
                continue;
            }
            assert_eq!(redact(line), want, "{line}");
        }
        assert_eq!(redact("crypto isakmp policy 10"), "crypto isakmp policy 10");
    }

    #[test]
    fn never_shows_the_value() {
        let s = Secret::new("cisco123");
        assert_eq!(format!("{s}"), REDACTED);
        assert_eq!(format!("{s:?}"), REDACTED);
        assert_eq!(serde_json::to_string(&s).ok().as_deref(), Some("\"*****\""));
        assert_eq!(s, Secret::new("cisco123"));
        assert_ne!(s, Secret::new("cisco124"));
    }
}
