//! Which SSH algorithms we offer a router: russh's modern defaults, optionally followed by the
//! legacy ones old IOS needs, or lists the inventory spells out name by name.
//!
//! Legacy algorithms are appended, never put first: a box that speaks curve25519 still gets
//! it, and only a box that offers nothing better falls back to SHA-1 or CBC.

use super::error::SshError;
use russh::keys::{Algorithm, HashAlg};
use russh::{Preferred, cipher, kex, mac};
use std::borrow::Cow;

/// The inventory's `ssh:` algorithm options for one host.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Algorithms {
    /// `legacy_algorithms: true`: also offer what IOS 12.x/15.0 needs.
    pub legacy: bool,
    /// Explicit lists (`kex`, `ciphers`, `macs`, `host_key_algorithms`); a non-empty list
    /// replaces that category entirely, in the order given.
    pub kex: Vec<String>,
    pub ciphers: Vec<String>,
    pub macs: Vec<String>,
    pub host_key: Vec<String>,
}

/// Offered after the defaults when `legacy_algorithms` is on (russh-notes §3).
const LEGACY_KEX: &[kex::Name] = &[kex::DH_G14_SHA1, kex::DH_GEX_SHA1, kex::DH_G1_SHA1];
const LEGACY_CIPHERS: &[cipher::Name] = &[
    cipher::AES_256_CBC,
    cipher::AES_128_CBC,
    cipher::TRIPLE_DES_CBC,
];
const LEGACY_MACS: &[mac::Name] = &[mac::HMAC_SHA1];

/// Markers russh needs in the kex list to announce extension info and strict kex (the
/// Terrapin fix); an explicit list from the inventory must not drop them.
const KEX_MARKERS: &[kex::Name] = &[
    kex::EXTENSION_SUPPORT_AS_CLIENT,
    kex::EXTENSION_OPENSSH_STRICT_KEX_AS_CLIENT,
];

impl Algorithms {
    /// The legacy preset, as an inventory's `legacy_algorithms: true` asks.
    pub fn legacy() -> Algorithms {
        Algorithms {
            legacy: true,
            ..Algorithms::default()
        }
    }

    /// Checks every name; used when the inventory loads, so a typo stops the run before any
    /// device is touched.
    pub fn validate(&self) -> Result<(), SshError> {
        self.preferred().map(|_| ())
    }

    pub fn preferred(&self) -> Result<Preferred, SshError> {
        let defaults = Preferred::default();
        let mut kex_list: Vec<kex::Name> = if self.kex.is_empty() {
            defaults.kex.to_vec()
        } else {
            let mut v = names(&self.kex, "kex", kex::ALL_KEX_ALGORITHMS, |s| {
                kex::Name::try_from(s).ok()
            })?;
            v.extend_from_slice(KEX_MARKERS);
            v
        };
        let mut cipher_list: Vec<cipher::Name> = if self.ciphers.is_empty() {
            defaults.cipher.to_vec()
        } else {
            names(&self.ciphers, "cipher", cipher::ALL_CIPHERS, |s| {
                cipher::Name::try_from(s).ok()
            })?
        };
        let mut mac_list: Vec<mac::Name> = if self.macs.is_empty() {
            defaults.mac.to_vec()
        } else {
            names(&self.macs, "mac", mac::ALL_MAC_ALGORITHMS, |s| {
                mac::Name::try_from(s).ok()
            })?
        };
        let mut key_list: Vec<Algorithm> = if self.host_key.is_empty() {
            defaults.key.to_vec()
        } else {
            self.host_key
                .iter()
                .map(|n| {
                    n.parse::<Algorithm>().map_err(|_| SshError::Algorithm {
                        kind: "host key",
                        name: n.clone(),
                        known: String::from(
                            "ssh-ed25519, ecdsa-sha2-nistp256, rsa-sha2-512, rsa-sha2-256, ssh-rsa",
                        ),
                    })
                })
                .collect::<Result<_, _>>()?
        };
        if self.legacy {
            append_missing(&mut kex_list, LEGACY_KEX);
            append_missing(&mut cipher_list, LEGACY_CIPHERS);
            append_missing(&mut mac_list, LEGACY_MACS);
            append_missing(&mut key_list, &[Algorithm::Rsa { hash: None }]);
            // Markers go last so they never look like a real choice.
            kex_list.retain(|k| !KEX_MARKERS.contains(k));
            kex_list.extend_from_slice(KEX_MARKERS);
        }
        // ssh-rsa with SHA-1 signatures is what IOS 15 host keys use; keep SHA-2 first.
        if !key_list.contains(&Algorithm::Rsa { hash: None })
            && key_list.contains(&Algorithm::Rsa {
                hash: Some(HashAlg::Sha256),
            })
            && self.host_key.is_empty()
        {
            key_list.push(Algorithm::Rsa { hash: None });
        }
        Ok(Preferred {
            kex: Cow::Owned(kex_list),
            key: Cow::Owned(key_list),
            cipher: Cow::Owned(cipher_list),
            mac: Cow::Owned(mac_list),
            ..defaults
        })
    }
}

fn names<N: Copy + AsRef<str>>(
    wanted: &[String],
    kind: &'static str,
    all: &[&N],
    parse: impl Fn(&str) -> Option<N>,
) -> Result<Vec<N>, SshError> {
    wanted
        .iter()
        .map(|w| {
            parse(w).ok_or_else(|| SshError::Algorithm {
                kind,
                name: w.clone(),
                known: all
                    .iter()
                    .map(|n| n.as_ref())
                    .filter(|n| *n != "none" && *n != "clear")
                    .collect::<Vec<_>>()
                    .join(", "),
            })
        })
        .collect()
}

fn append_missing<T: PartialEq + Clone>(list: &mut Vec<T>, extra: &[T]) {
    for e in extra {
        if !list.contains(e) {
            list.push(e.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strs<T: AsRef<str>>(v: &[T]) -> Vec<&str> {
        v.iter().map(|n| n.as_ref()).collect()
    }

    #[test]
    fn legacy_preset_appends_after_modern_ones() {
        let p = Algorithms::legacy().preferred().unwrap();
        let kex = strs(&p.kex);
        let g14 = kex
            .iter()
            .position(|k| *k == "diffie-hellman-group14-sha1")
            .unwrap();
        let curve = kex.iter().position(|k| *k == "curve25519-sha256").unwrap();
        assert!(curve < g14);
        assert!(kex.contains(&"diffie-hellman-group1-sha1"));
        assert_eq!(kex.last(), Some(&"kex-strict-c-v00@openssh.com"));
        let ciphers = strs(&p.cipher);
        assert!(ciphers.contains(&"aes128-cbc") && ciphers.contains(&"3des-cbc"));
        assert!(strs(&p.mac).contains(&"hmac-sha1"));
        assert!(p.key.contains(&Algorithm::Rsa { hash: None }));
    }

    #[test]
    fn default_offers_no_sha1_kex_or_cbc() {
        let p = Algorithms::default().preferred().unwrap();
        assert!(!strs(&p.kex).contains(&"diffie-hellman-group1-sha1"));
        assert!(!strs(&p.cipher).contains(&"aes128-cbc"));
    }

    #[test]
    fn explicit_lists_replace_and_keep_markers() {
        let a = Algorithms {
            kex: vec!["diffie-hellman-group14-sha1".into()],
            ciphers: vec!["aes256-cbc".into()],
            macs: vec!["hmac-sha1".into()],
            host_key: vec!["ssh-rsa".into()],
            ..Algorithms::default()
        };
        let p = a.preferred().unwrap();
        assert_eq!(
            strs(&p.kex),
            [
                "diffie-hellman-group14-sha1",
                "ext-info-c",
                "kex-strict-c-v00@openssh.com"
            ]
        );
        assert_eq!(strs(&p.cipher), ["aes256-cbc"]);
        assert_eq!(p.key.to_vec(), vec![Algorithm::Rsa { hash: None }]);
    }

    #[test]
    fn a_typo_names_the_kind_and_lists_known_names() {
        let a = Algorithms {
            macs: vec!["hmac-sha1-96".into()],
            ..Algorithms::default()
        };
        let e = a.validate().unwrap_err().to_string();
        assert!(
            e.starts_with("unknown mac algorithm \"hmac-sha1-96\""),
            "{e}"
        );
        assert!(e.contains("hmac-sha2-256"), "{e}");
        let b = Algorithms {
            host_key: vec!["ssh-dsa".into()],
            ..Algorithms::default()
        };
        assert!(b.validate().is_err());
    }
}
