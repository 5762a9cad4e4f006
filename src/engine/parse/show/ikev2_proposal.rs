//! `show crypto ikev2 proposal`: each proposal's algorithms as IOS names them on the wire
//! (`AES-CBC-256`, `SHA512`, `DH_GROUP_2048_MODP/Group 14`), the same words the IKEv2 debug
//! prints in its policy lists, so a refused proposal can be set beside the configured ones.

use super::text::{Unparsed, caps, keep_unparsed};
use regex::Regex;
use serde::Serialize;
use std::sync::LazyLock;

pub const COMMAND: &str = "show crypto ikev2 proposal";

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Ikev2ProposalShown {
    pub line: usize,
    pub name: String,
    pub encryption: Vec<String>,
    pub integrity: Vec<String>,
    pub prf: Vec<String>,
    /// `DH_GROUP_2048_MODP/Group 14` as printed.
    pub dh_groups: Vec<String>,
}

impl Ikev2ProposalShown {
    /// The group numbers (`14` of `DH_GROUP_2048_MODP/Group 14`).
    pub fn group_numbers(&self) -> Vec<u32> {
        self.dh_groups
            .iter()
            .filter_map(|g| g.rsplit("Group ").next()?.trim().parse().ok())
            .collect()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Ikev2Proposals {
    pub proposals: Vec<Ikev2ProposalShown>,
    pub unparsed: Unparsed,
}

static NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*IKEv2 proposal\s*:\s*(?P<n>\S+)\s*$").expect("name"));
static ATTR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^\s*(?P<k>Encryption|Integrity|PRF|DH Group|PQC Key Exchange)\s*:\s*(?P<v>.*?)\s*$",
    )
    .expect("attr")
});

pub fn parse(text: &str) -> Ikev2Proposals {
    let mut out = Ikev2Proposals::default();
    for (n, line) in text.lines().enumerate() {
        if let Some(c) = caps(&NAME, line) {
            out.proposals.push(Ikev2ProposalShown {
                line: n,
                name: c["n"].to_string(),
                ..Ikev2ProposalShown::default()
            });
            continue;
        }
        match (caps(&ATTR, line), out.proposals.last_mut()) {
            (Some(c), Some(p)) => {
                let words = || c["v"].split_whitespace().map(str::to_string).collect();
                match &c["k"] {
                    "Encryption" => p.encryption = words(),
                    "Integrity" => p.integrity = words(),
                    "PRF" => p.prf = words(),
                    "DH Group" => {
                        // `DH_GROUP_256_ECP/Group 19 DH_GROUP_2048_MODP/Group 14`: a group is
                        // two words.
                        let w: Vec<&str> = c["v"].split_whitespace().collect();
                        p.dh_groups = w.chunks(2).map(|x| x.join(" ")).collect();
                    }
                    // Post-quantum key exchange: not negotiated by the routers we model.
                    _ => {}
                }
            }
            _ => keep_unparsed(&mut out.unparsed, n, line),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_are_two_words() {
        let p = parse(
            "IKEv2 proposal: PROP-1\n     Encryption : AES-CBC-256\n     Integrity  : SHA256\n     PRF        : SHA256\n     DH Group   : DH_GROUP_256_ECP/Group 19 DH_GROUP_2048_MODP/Group 14\n",
        );
        assert!(p.unparsed.is_empty());
        assert_eq!(p.proposals[0].group_numbers(), [19, 14]);
        assert_eq!(p.proposals[0].encryption, ["AES-CBC-256"]);
    }
}
