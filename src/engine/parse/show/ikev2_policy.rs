//! `show crypto ikev2 policy`: which proposals each policy offers, and for which local
//! addresses and front-door VRFs.

use super::text::{Unparsed, caps, keep_unparsed};
use regex::Regex;
use serde::Serialize;
use std::sync::LazyLock;

pub const COMMAND: &str = "show crypto ikev2 policy";

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Ikev2PolicyShown {
    pub line: usize,
    pub name: String,
    /// `any`, `global` or a VRF name.
    pub match_fvrf: Option<String>,
    /// `any` or the addresses.
    pub match_address_local: Option<String>,
    pub proposals: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Ikev2Policies {
    pub policies: Vec<Ikev2PolicyShown>,
    pub unparsed: Unparsed,
}

static NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*IKEv2 policy\s*:\s*(?P<n>\S+)\s*$").expect("name"));
static ATTR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*(?P<k>Match fvrf|Match address local|Proposal)\s*:\s*(?P<v>.*?)\s*$")
        .expect("attr")
});

pub fn parse(text: &str) -> Ikev2Policies {
    let mut out = Ikev2Policies::default();
    for (n, line) in text.lines().enumerate() {
        if let Some(c) = caps(&NAME, line) {
            out.policies.push(Ikev2PolicyShown {
                line: n,
                name: c["n"].to_string(),
                ..Ikev2PolicyShown::default()
            });
            continue;
        }
        match (caps(&ATTR, line), out.policies.last_mut()) {
            (Some(c), Some(p)) => {
                let v = c["v"].to_string();
                match &c["k"] {
                    "Match fvrf" => p.match_fvrf = Some(v),
                    "Match address local" => p.match_address_local = Some(v),
                    _ => p.proposals.extend(v.split_whitespace().map(str::to_string)),
                }
            }
            _ => keep_unparsed(&mut out.unparsed, n, line),
        }
    }
    out
}
