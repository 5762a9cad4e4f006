//! IOS-XE's IKEv2 smart defaults: the proposal, policy, IPsec profile and transform set that
//! exist, all named `default`, without a line of configuration, and the `no …` commands that
//! remove them. `show running-config` never prints them, so a model that read only the printed
//! lines would think a router with a bare `crypto ikev2 profile` has nothing to offer.
//!
//! Source: Cisco, "FlexVPN and Internet Key Exchange Version 2 Configuration Guide, Cisco IOS
//! XE 17", chapter "Configuring Internet Key Exchange Version 2 and FlexVPN Site-to-Site",
//! section "IKEv2 Smart Defaults" (the `show crypto ikev2 proposal default`, `show crypto
//! ikev2 policy default`, `show crypto ipsec profile default` and `show crypto ipsec
//! transform-set default` outputs it lists). The same values are what real IOS-XE routers print
//! in `tests/corpus/show/genie-iosxe-ShowCryptoIkev2Proposal-golden_output.txt`,
//! `genie-iosxe-ShowCryptoIkev2Policy-golden_output.txt` and
//! `genie-iosxe-ShowCryptoIpsecProfile-golden_output*.txt`.
//!
//! Release differences, said aloud: IOS 15.x (before IOS-XE 16.x) offered AES-CBC-256/192/128,
//! SHA512…MD596 and groups 5 and 2 by default; the newest IOS-XE 17 releases drop group 5
//! (`genie-iosxe-ShowCryptoIkev2Proposal-golden_output_1.txt`). We model the IOS-XE 16/17
//! proposal, the one most deployed routers print.

use super::ikev2::{Fvrf, Ikev2Policy, Ikev2Proposal, V2Cipher, V2Hash};
use super::model::{DhGroup, EspCipher, IntegrityAlg, IpsecMode, SaLifetime, TransformSet};
use super::tunnel::IpsecProfile;
use serde::Serialize;

/// The name every smart default carries.
pub const DEFAULT: &str = "default";

/// `show crypto ikev2 proposal default`: AES-CBC-256 / SHA512 SHA384 / SHA512 SHA384 / groups
/// 19 14 21 5, in the order IOS prints (and offers) them.
pub fn proposal() -> Ikev2Proposal {
    Ikev2Proposal {
        encryption: vec![V2Cipher::AesCbc256],
        integrity: vec![V2Hash::Sha512, V2Hash::Sha384],
        prf: vec![V2Hash::Sha512, V2Hash::Sha384],
        groups: vec![DhGroup(19), DhGroup(14), DhGroup(21), DhGroup(5)],
        ..Ikev2Proposal::empty(DEFAULT, 0)
    }
}

/// `show crypto ikev2 policy default`: any front-door VRF, any local address, proposal default.
pub fn policy() -> Ikev2Policy {
    Ikev2Policy {
        name: DEFAULT.into(),
        match_local: Vec::new(),
        fvrf: Fvrf::Any,
        proposals: vec![DEFAULT.into()],
        line: 0,
    }
}

/// `show crypto ipsec transform-set default`: `{ esp-aes esp-sha-hmac }`, tunnel mode.
pub fn transform_set() -> TransformSet {
    TransformSet {
        name: DEFAULT.into(),
        esp_cipher: Some(EspCipher::Aes(128)),
        esp_auth: Some(IntegrityAlg::Sha),
        ah: None,
        compression: false,
        mode: IpsecMode::Tunnel,
        line: 0,
    }
}

/// `show crypto ipsec profile default`: transform set default, no PFS, no IKEv2 profile, the
/// global SA lifetimes.
pub fn ipsec_profile() -> IpsecProfile {
    IpsecProfile {
        transform_sets: vec![DEFAULT.into()],
        ..IpsecProfile::empty(DEFAULT, 0)
    }
}

/// Which smart defaults a `no crypto …` line removed, with that line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SmartDefaults {
    /// `no crypto ikev2 proposal default`
    pub proposal_disabled: Option<usize>,
    /// `no crypto ikev2 policy default`
    pub policy_disabled: Option<usize>,
    /// `no crypto ipsec profile default`
    pub ipsec_profile_disabled: Option<usize>,
    /// `no crypto ipsec transform-set default`
    pub transform_set_disabled: Option<usize>,
}

impl SmartDefaults {
    pub fn proposal(&self) -> bool {
        self.proposal_disabled.is_none()
    }

    pub fn policy(&self) -> bool {
        self.policy_disabled.is_none()
    }

    pub fn ipsec_profile(&self) -> bool {
        self.ipsec_profile_disabled.is_none()
    }

    pub fn transform_set(&self) -> bool {
        self.transform_set_disabled.is_none()
    }
}

/// The lifetime an IPsec profile without its own uses: unset, so the global one (then IOS's
/// 3600 s / 4608000 kB) applies, as `show crypto ipsec profile default` prints.
pub const PROFILE_LIFETIME: SaLifetime = SaLifetime {
    seconds: None,
    kilobytes: None,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_what_ios_xe_prints() {
        // The values of the real `show crypto ikev2 proposal default` in the corpus.
        let p = proposal();
        assert!(p.is_complete());
        assert_eq!(p.encryption, [V2Cipher::AesCbc256]);
        assert_eq!(p.prfs(), [V2Hash::Sha512, V2Hash::Sha384]);
        let groups: Vec<u8> = p.groups.iter().map(|g| g.0).collect();
        assert_eq!(groups, [19, 14, 21, 5]);
        assert_eq!(policy().proposals, ["default"]);
        assert_eq!(transform_set().transforms_text(), "esp-aes esp-sha-hmac");
        assert_eq!(ipsec_profile().transform_sets, ["default"]);
        assert_eq!(ipsec_profile().pfs, None);
        assert_eq!(ipsec_profile().lifetime, PROFILE_LIFETIME);
        assert!(SmartDefaults::default().proposal());
    }
}
