//! `show crypto ipsec profile`: what each IPsec profile (a tunnel's `tunnel protection`)
//! negotiates for its child SAs: the IKEv2 profile, lifetimes, PFS and its group, transform sets.

use super::text::{Unparsed, caps, keep_unparsed, yes_no};
use regex::Regex;
use serde::Serialize;
use std::sync::LazyLock;

pub const COMMAND: &str = "show crypto ipsec profile";

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IpsecProfileShown {
    pub line: usize,
    pub name: String,
    pub ikev2_profile: Option<String>,
    /// `4608000 kilobytes/3600 seconds` (or `3600 seconds`) as printed.
    pub lifetime: Option<String>,
    pub responder_only: Option<bool>,
    pub pfs: Option<bool>,
    /// `group14` under `PFS (Y/N): Y`.
    pub pfs_group: Option<String>,
    pub mixed_mode: Option<String>,
    /// (set name, its transforms as printed).
    pub transform_sets: Vec<(String, String)>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IpsecProfiles {
    pub profiles: Vec<IpsecProfileShown>,
    pub unparsed: Unparsed,
}

static NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*IPSEC profile (?P<n>\S+)\s*$").expect("name"));
static ATTR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^\s*(?P<k>IKEv2 Profile|Security association lifetime|Responder-Only \(Y/N\)|PFS \(Y/N\)|DH group|Mixed-mode)\s*:\s*(?P<v>.*?)\s*$",
    )
    .expect("attr")
});
// `default:  { esp-aes esp-sha-hmac  } ,`
static SET: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*(?P<n>[^\s:]+):\s*\{\s*(?P<t>[^}]*?)\s*\}\s*,?\s*$").expect("set")
});
/// Lines recognised and not modelled.
const KNOWN: &[&str] = &[
    "Transform sets={",
    "}",
    "Kilobyte Volume Rekey",
    "Dualstack (Y/N)",
    "Inherit (Y/N)",
    "PQC Key Exchange",
];

pub fn parse(text: &str) -> IpsecProfiles {
    let mut out = IpsecProfiles::default();
    for (n, line) in text.lines().enumerate() {
        if let Some(c) = caps(&NAME, line) {
            out.profiles.push(IpsecProfileShown {
                line: n,
                name: c["n"].to_string(),
                ..IpsecProfileShown::default()
            });
            continue;
        }
        let Some(p) = out.profiles.last_mut() else {
            keep_unparsed(&mut out.unparsed, n, line);
            continue;
        };
        if let Some(c) = caps(&ATTR, line) {
            let v = c["v"].to_string();
            match &c["k"] {
                "IKEv2 Profile" => p.ikev2_profile = Some(v),
                "Security association lifetime" => p.lifetime = Some(v),
                "Responder-Only (Y/N)" => p.responder_only = yes_no(&v),
                "PFS (Y/N)" => p.pfs = yes_no(&v),
                "DH group" => p.pfs_group = Some(v),
                _ => p.mixed_mode = Some(v),
            }
        } else if let Some(c) = caps(&SET, line) {
            p.transform_sets.push((
                c["n"].to_string(),
                c["t"].split_whitespace().collect::<Vec<_>>().join(" "),
            ));
        } else if !KNOWN.iter().any(|k| line.trim().starts_with(k)) {
            keep_unparsed(&mut out.unparsed, n, line);
        }
    }
    out
}
