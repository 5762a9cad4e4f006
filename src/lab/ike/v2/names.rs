//! The names IOS-XE gives IKEv2's algorithms in its debugs and show outputs, one table each.
//!
//! Sources: the transform lists of an IOS-XE 16.7 `debug crypto ikev2` capture (`AES-CBC`,
//! `SHA512`…`MD5` as PRFs, `SHA96`/`MD596` as integrity, `DH_GROUP_1536_MODP/Group 5`), genie's
//! `show crypto ikev2 proposal|sa` samples in `tests/corpus/show` (`AES-CBC-256`,
//! `DH_GROUP_256_ECP/Group 19`, `Encr: AES-GCM, keysize: 256 … Hash: None`) and a published
//! ASA debug for group 24 (`DH_GROUP_2048_MODP_256_PRIME/Group 24`).

use crate::ios::ikev2::{Ikev2Auth, Ikev2Id, V2Cipher, V2Hash};
use crate::ios::model::{DhGroup, EspCipher, IntegrityAlg, TransformSet};

/// `AES-CBC` in a transform list (the key size is a transform attribute IOS does not print).
pub fn cipher(c: V2Cipher) -> &'static str {
    match c {
        V2Cipher::AesCbc128 | V2Cipher::AesCbc192 | V2Cipher::AesCbc256 => "AES-CBC",
        V2Cipher::AesGcm128 | V2Cipher::AesGcm256 => "AES-GCM",
        V2Cipher::TripleDes => "3DES",
        V2Cipher::Des => "DES",
    }
}

/// The key size `show crypto ikev2 sa` prints after `keysize:`.
pub fn keysize(c: V2Cipher) -> u16 {
    match c {
        V2Cipher::AesCbc128 | V2Cipher::AesGcm128 => 128,
        V2Cipher::AesCbc192 => 192,
        V2Cipher::AesCbc256 | V2Cipher::AesGcm256 => 256,
        V2Cipher::TripleDes => 192,
        V2Cipher::Des => 56,
    }
}

/// `AES-CBC-256` in `show crypto ikev2 proposal` and in the policy lists of a refusal.
pub fn cipher_long(c: V2Cipher) -> &'static str {
    match c {
        V2Cipher::AesCbc128 => "AES-CBC-128",
        V2Cipher::AesCbc192 => "AES-CBC-192",
        V2Cipher::AesCbc256 => "AES-CBC-256",
        V2Cipher::AesGcm128 => "AES-GCM-128",
        V2Cipher::AesGcm256 => "AES-GCM-256",
        V2Cipher::TripleDes => "3DES",
        V2Cipher::Des => "DES",
    }
}

/// A hash used as the PRF.
pub fn prf(h: V2Hash) -> &'static str {
    match h {
        V2Hash::Md5 => "MD5",
        V2Hash::Sha1 => "SHA1",
        V2Hash::Sha256 => "SHA256",
        V2Hash::Sha384 => "SHA384",
        V2Hash::Sha512 => "SHA512",
    }
}

/// A hash used for integrity: the truncated HMACs keep IOS's names (`SHA96`, `MD596`).
pub fn integrity(h: V2Hash) -> &'static str {
    match h {
        V2Hash::Md5 => "MD596",
        V2Hash::Sha1 => "SHA96",
        V2Hash::Sha256 => "SHA256",
        V2Hash::Sha384 => "SHA384",
        V2Hash::Sha512 => "SHA512",
    }
}

/// `DH_GROUP_2048_MODP/Group 14`.
pub fn group(g: DhGroup) -> String {
    let kind = match g.0 {
        1 => "768_MODP",
        2 => "1024_MODP",
        5 => "1536_MODP",
        14 => "2048_MODP",
        15 => "3072_MODP",
        16 => "4096_MODP",
        19 => "256_ECP",
        20 => "384_ECP",
        21 => "521_ECP",
        24 => "2048_MODP_256_PRIME",
        _ => "UNKNOWN",
    };
    format!("DH_GROUP_{kind}/Group {}", g.0)
}

/// How a method is named in `My authentication method is 'PSK'` and `Auth sign: PSK`.
pub fn method(m: Ikev2Auth) -> &'static str {
    match m {
        Ikev2Auth::PreShare => "PSK",
        Ikev2Auth::RsaSig => "RSA",
        Ikev2Auth::EcdsaSig => "ECDSA",
        Ikev2Auth::Eap => "EAP",
    }
}

/// An identity as the ID payload lines print it: (value, type).
pub fn identity(id: &Ikev2Id) -> (String, &'static str) {
    match id {
        Ikev2Id::Address(a) => (a.to_string(), "IPv4 address"),
        Ikev2Id::Fqdn(n) => (n.clone(), "FQDN"),
        Ikev2Id::Email(e) => (e.clone(), "email"),
        Ikev2Id::KeyId(k) => (k.clone(), "key ID"),
        Ikev2Id::Dn => ("(certificate DN)".to_string(), "DER ASN1 DN"),
    }
}

/// The value alone, as `show crypto ikev2 sa detailed` prints `Local id:`.
pub fn identity_value(id: &Ikev2Id) -> String {
    identity(id).0
}

fn esp_cipher(c: Option<EspCipher>) -> (&'static str, Option<u16>) {
    match c {
        Some(EspCipher::Aes(n)) => ("AES-CBC", Some(n)),
        Some(EspCipher::Gcm(n)) => ("AES-GCM", Some(n)),
        Some(EspCipher::Gmac(n)) => ("AES-GMAC", Some(n)),
        Some(EspCipher::TripleDes) => ("3DES", Some(192)),
        Some(EspCipher::Des) => ("DES", Some(56)),
        Some(EspCipher::Null) | None => ("NULL", None),
        Some(EspCipher::Seal) => ("SEAL", None),
    }
}

fn esp_integrity(a: IntegrityAlg) -> &'static str {
    match a {
        IntegrityAlg::Md5 => "MD596",
        IntegrityAlg::Sha => "SHA96",
        IntegrityAlg::Sha256 => "SHA256",
        IntegrityAlg::Sha384 => "SHA384",
        IntegrityAlg::Sha512 => "SHA512",
    }
}

/// The transforms of one ESP proposal, in the order IOS lists them: cipher, integrity, the
/// PFS group when there is one, then `Don't use ESN`.
pub fn esp_transforms(set: &TransformSet, pfs: Option<DhGroup>) -> Vec<String> {
    let mut out = vec![esp_cipher(set.esp_cipher).0.to_string()];
    if let Some(a) = set.esp_auth {
        out.push(esp_integrity(a).to_string());
    }
    if let Some(g) = pfs {
        out.push(group(g));
    }
    out.push("Don't use ESN".to_string());
    out
}

/// The ESP cipher's key size, when it has one.
pub fn esp_keysize(set: &TransformSet) -> Option<u16> {
    match set.esp_cipher {
        Some(EspCipher::Aes(n) | EspCipher::Gcm(n) | EspCipher::Gmac(n)) => Some(n),
        _ => None,
    }
}

/// A child SA's algorithms as `show crypto ikev2 session detailed` prints them:
/// `Encr: AES-CBC, keysize: 256, esp_hmac: SHA256`.
pub fn esp_summary(set: &TransformSet) -> String {
    let (name, size) = esp_cipher(set.esp_cipher);
    let hmac = set.esp_auth.map_or("None", esp_integrity);
    format!(
        "Encr: {name}, keysize: {}, esp_hmac: {hmac}",
        size.unwrap_or(0)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_captures() {
        assert_eq!(group(DhGroup(5)), "DH_GROUP_1536_MODP/Group 5");
        assert_eq!(group(DhGroup(19)), "DH_GROUP_256_ECP/Group 19");
        assert_eq!(integrity(V2Hash::Sha1), "SHA96");
        assert_eq!(prf(V2Hash::Sha1), "SHA1");
        assert_eq!(cipher(V2Cipher::AesCbc192), "AES-CBC");
        assert_eq!(cipher_long(V2Cipher::AesGcm256), "AES-GCM-256");
    }
}
