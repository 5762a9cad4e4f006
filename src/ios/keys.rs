//! Comparing two routers' pre-shared keys without ever showing them: in clear (type 0) they
//! compare as written; type 7 is Cisco's reversible obfuscation, undone here so a type-7 key
//! compares with the same key typed in clear; type 6 is encrypted under each router's own
//! master key and cannot be compared from the configs.

use super::model::Credential;
use crate::secret::Secret;
use serde::Serialize;

/// How two keys compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyCompare {
    Equal,
    Different,
    /// At least one is stored so that only its own router can read it.
    Unverifiable,
}

pub fn compare(a: &Credential, b: &Credential) -> KeyCompare {
    match (readable(a), readable(b)) {
        (Some(x), Some(y)) if x == y => KeyCompare::Equal,
        (Some(_), Some(_)) => KeyCompare::Different,
        _ => KeyCompare::Unverifiable,
    }
}

/// The key as the router uses it, when the config lets us know it.
pub fn readable(c: &Credential) -> Option<Secret> {
    match c.kind {
        0 => Some(c.secret.clone()),
        7 => type7(c.secret.expose()).map(Secret::new),
        _ => None,
    }
}

/// The fixed pad Cisco's type 7 XORs with, starting at the offset the first two digits give.
const TYPE7_PAD: &[u8] = b"dsfd;kfoA,.iyewrkldJKDHSUBsgvca69834ncxv9873254k;fg87";

fn type7(text: &str) -> Option<String> {
    let seed: usize = text.get(..2)?.parse().ok()?;
    let hex = text.get(2..)?;
    if hex.len() % 2 != 0 {
        return None;
    }
    let mut out = Vec::with_capacity(hex.len() / 2);
    for (i, pair) in hex.as_bytes().chunks(2).enumerate() {
        let byte = u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok()?;
        let pad = TYPE7_PAD.get((seed + i) % TYPE7_PAD.len())?;
        out.push(byte ^ pad);
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cred(kind: u8, s: &str) -> Credential {
        Credential {
            secret: Secret::new(s),
            kind,
            line: 1,
        }
    }

    #[test]
    fn type7_is_undone() {
        // `enable password 7 0822455D0A16` is the well-known encoding of "cisco".
        assert_eq!(type7("0822455D0A16").as_deref(), Some("cisco"));
        assert_eq!(
            compare(&cred(7, "0822455D0A16"), &cred(0, "cisco")),
            KeyCompare::Equal
        );
        assert_eq!(
            compare(&cred(0, "cisco1"), &cred(0, "cisco")),
            KeyCompare::Different
        );
        assert_eq!(
            compare(&cred(6, "FLgBaJHXdYY_AcHZZMgQ"), &cred(0, "cisco")),
            KeyCompare::Unverifiable
        );
        assert_eq!(type7("0822455D0A1"), None);
        assert_eq!(type7("x"), None);
    }
}
