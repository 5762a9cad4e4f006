//! How strong each IKE and IPsec algorithm is, so that a fix that makes two peers agree brings
//! the weaker side up to the stronger one and never the reverse, and so that weak choices can
//! be named.
//!
//! The figures are approximate security levels in bits (NIST SP 800-57 part 1, table 2, for
//! the ciphers, hashes and Diffie-Hellman groups IOS offers). Only their order matters here.
//! "Weak" follows Cisco's Next Generation Encryption guidance: DES, 3DES, MD5 and DH groups 1,
//! 2 and 5 are legacy and should be replaced.

use super::model::{DhGroup, Encryption, EspCipher, Hash, IntegrityAlg, TransformSet};

pub fn encryption(e: Encryption) -> u16 {
    match e {
        Encryption::Des => 56,
        Encryption::TripleDes => 112,
        Encryption::Aes128 => 128,
        Encryption::Aes192 => 192,
        Encryption::Aes256 => 256,
    }
}

pub fn hash(h: Hash) -> u16 {
    match h {
        Hash::Md5 => 64,
        Hash::Sha => 80,
        Hash::Sha256 => 128,
        Hash::Sha384 => 192,
        Hash::Sha512 => 256,
    }
}

/// Diffie-Hellman groups: MODP sizes and elliptic curves on one scale. Group 24 is a
/// 2048-bit MODP group with a 256-bit subgroup, no stronger than group 14.
pub fn group(g: DhGroup) -> u16 {
    match g.0 {
        1 => 60,
        2 => 80,
        5 => 96,
        14 | 24 => 112,
        15 | 19 => 128,
        16 => 150,
        20 => 192,
        21 => 256,
        _ => 0,
    }
}

/// PFS: none is weaker than any group.
pub fn pfs(g: Option<DhGroup>) -> u16 {
    g.map_or(0, |g| 1 + group(g))
}

pub fn esp_cipher(c: EspCipher) -> u16 {
    match c {
        // GMAC authenticates but does not encrypt.
        EspCipher::Null | EspCipher::Gmac(_) => 0,
        EspCipher::Des => 56,
        EspCipher::TripleDes => 112,
        EspCipher::Seal => 160,
        EspCipher::Aes(n) | EspCipher::Gcm(n) => n,
    }
}

pub fn integrity(i: IntegrityAlg) -> u16 {
    match i {
        IntegrityAlg::Md5 => 64,
        IntegrityAlg::Sha => 80,
        IntegrityAlg::Sha256 => 128,
        IntegrityAlg::Sha384 => 192,
        IntegrityAlg::Sha512 => 256,
    }
}

/// A transform set's (confidentiality, integrity) strength. AES-GCM authenticates as strongly
/// as it encrypts; a set with no integrity at all scores zero there.
pub fn transform_set(t: &TransformSet) -> (u16, u16) {
    let cipher = t.esp_cipher.map_or(0, esp_cipher);
    let auth = match (t.esp_cipher, t.esp_auth.or(t.ah)) {
        (Some(EspCipher::Gcm(n) | EspCipher::Gmac(n)), None) => n,
        (_, Some(a)) => integrity(a),
        (_, None) => 0,
    };
    (cipher, auth)
}

/// True when `a` is at least as strong as `b` on both counts and stronger on one.
pub fn transform_set_stronger(a: &TransformSet, b: &TransformSet) -> bool {
    let (ac, ai) = transform_set(a);
    let (bc, bi) = transform_set(b);
    ac >= bc && ai >= bi && (ac, ai) != (bc, bi)
}

pub fn weak_encryption(e: Encryption) -> bool {
    matches!(e, Encryption::Des | Encryption::TripleDes)
}

pub fn weak_hash(h: Hash) -> bool {
    h == Hash::Md5
}

pub fn weak_group(g: DhGroup) -> bool {
    matches!(g.0, 1 | 2 | 5)
}

pub fn weak_esp_cipher(c: EspCipher) -> bool {
    matches!(c, EspCipher::Des | EspCipher::TripleDes | EspCipher::Null)
}

pub fn weak_integrity(i: IntegrityAlg) -> bool {
    i == IntegrityAlg::Md5
}

/// Words of a debug line's offered attributes (`DES-CBC`, `MD5`, `ESP_3DES`, `HMAC-MD5`)
/// that name a weak choice.
pub fn weak_debug_word(word: &str) -> bool {
    // Compared without case and without an uppercase copy: every attribute line of a long
    // capture asks.
    let mut w = word;
    while let Some(rest) = strip_prefix_ignore_case(w, "ESP_") {
        w = rest;
    }
    while let Some(rest) = strip_prefix_ignore_case(w, "HMAC-") {
        w = rest;
    }
    ["DES", "DES-CBC", "3DES", "3DES-CBC", "MD5", "AH_MD5"]
        .iter()
        .any(|weak| w.eq_ignore_ascii_case(weak))
}

/// `s` after `prefix`, compared ignoring ASCII case.
fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ios::model::IpsecMode;

    fn ts(cipher: EspCipher, auth: Option<IntegrityAlg>) -> TransformSet {
        TransformSet {
            name: "T".into(),
            esp_cipher: Some(cipher),
            esp_auth: auth,
            ah: None,
            compression: false,
            mode: IpsecMode::Tunnel,
            line: 1,
        }
    }

    #[test]
    fn orders_follow_security_levels() {
        assert!(encryption(Encryption::TripleDes) < encryption(Encryption::Aes128));
        assert!(hash(Hash::Md5) < hash(Hash::Sha));
        assert!(group(DhGroup(5)) < group(DhGroup(14)));
        assert!(group(DhGroup(24)) < group(DhGroup(19)));
        assert!(pfs(None) < pfs(Some(DhGroup(1))));
        let strong = ts(EspCipher::Aes(256), Some(IntegrityAlg::Sha));
        let weak = ts(EspCipher::TripleDes, Some(IntegrityAlg::Md5));
        assert!(transform_set_stronger(&strong, &weak));
        assert!(!transform_set_stronger(&weak, &strong));
        let gcm = ts(EspCipher::Gcm(256), None);
        assert!(transform_set_stronger(&gcm, &weak));
        // Stronger cipher but weaker integrity: neither is plainly stronger.
        let mixed = ts(EspCipher::Aes(256), Some(IntegrityAlg::Md5));
        let other = ts(EspCipher::Aes(128), Some(IntegrityAlg::Sha256));
        assert!(!transform_set_stronger(&mixed, &other) && !transform_set_stronger(&other, &mixed));
    }

    #[test]
    fn weak_words_from_debug() {
        for w in [
            "DES-CBC", "3DES-CBC", "MD5", "ESP_3DES", "HMAC-MD5", "ESP_DES",
        ] {
            assert!(weak_debug_word(w), "{w}");
        }
        for w in ["AES-CBC", "SHA", "ESP_AES", "HMAC-SHA", "SHA256"] {
            assert!(!weak_debug_word(w), "{w}");
        }
    }
}
