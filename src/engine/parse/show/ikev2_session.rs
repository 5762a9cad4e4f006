//! `show crypto ikev2 session [detailed]`: each IKEv2 session (its status and counts), the
//! IKE SA table of [`super::ikev2_sa`] under it, and its child SAs (the traffic selectors, the
//! ESP SPIs, with `detailed` the transforms). IOS has printed the child SA's selectors three
//! ways: `local selector … -> remote selector` pairs under a header, or one `local selector` /
//! `remote selector` line each (the older form, starting on the `Child sa:` line itself).

use super::ikev2_sa::{Ikev2SaRow, read_line};
use super::isakmp_sa::Family;
use super::text::{Unparsed, cap_num, cap_str, caps, keep_unparsed};
use regex::Regex;
use serde::Serialize;
use std::sync::LazyLock;

pub const COMMAND: &str = "show crypto ikev2 session";

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ChildSaShown {
    pub line: usize,
    /// `local -> remote` as printed, when the pairs form is used.
    pub selectors: Vec<String>,
    /// The older form's lines.
    pub local_selectors: Vec<String>,
    pub remote_selectors: Vec<String>,
    pub esp_spi_in: Option<String>,
    pub esp_spi_out: Option<String>,
    pub encryption: Option<String>,
    pub keysize: Option<u32>,
    pub esp_hmac: Option<String>,
    pub mode: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Ikev2Session {
    pub line: usize,
    pub family: Option<Family>,
    pub session_id: u64,
    /// `UP-ACTIVE`, `DOWN-NEGOTIATING` …, as printed.
    pub status: String,
    pub ike_count: Option<u32>,
    pub child_count: Option<u32>,
    pub sas: Vec<Ikev2SaRow>,
    pub children: Vec<ChildSaShown>,
}

impl Ikev2Session {
    pub fn is_up(&self) -> bool {
        self.status.starts_with("UP")
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Ikev2Sessions {
    pub sessions: Vec<Ikev2Session>,
    pub unparsed: Unparsed,
}

static SESSION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^\s*Session-id:(?P<id>\d+), Status:(?P<s>[A-Z-]+)(?:, IKE count:(?P<i>\d+))?(?:, CHILD count:(?P<c>\d+))?",
    )
    .expect("session")
});
static SECTION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*IPv(?P<v>[46]) Crypto IKEv2\s+Session\s*$").expect("section")
});
// `Child sa:` alone, or with the older form's first `local selector` after it.
static CHILD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*Child sa:\s*(?P<rest>.*?)\s*$").expect("child"));
static PAIR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*(?P<l>\S+ - \S+)\s+->\s+(?P<r>\S+ - \S+)\s*$").expect("pair")
});
static ONE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*(?P<w>local|remote) selector\s+(?P<v>\S+ - \S+)\s*$").expect("one")
});
static SPIS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*ESP spi in/out: (?P<i>0x[0-9A-Fa-f]+)/(?P<o>0x[0-9A-Fa-f]+)").expect("spis")
});
static ENCR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*Encr: (?P<e>[^,]+), keysize: (?P<k>\d+), esp_hmac: (?P<h>\S+)").expect("encr")
});
static MODE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*ah_hmac: .*, mode (?P<m>\w+)").expect("mode"));
/// Child SA lines recognised and not modelled.
const CHILD_KNOWN: &[&str] = &["local selector", "AH spi in/out:", "CPI in/out:"];

pub fn parse(text: &str) -> Ikev2Sessions {
    let mut out = Ikev2Sessions::default();
    let mut family = None;
    let mut in_child = false;
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim_end();
        if let Some(c) = caps(&SECTION, line) {
            family = Some(if &c["v"] == "4" {
                Family::Ipv4
            } else {
                Family::Ipv6
            });
            in_child = false;
            continue;
        }
        if let Some(c) = caps(&SESSION, line) {
            out.sessions.push(Ikev2Session {
                line: n,
                family,
                session_id: cap_num(&c, "id").unwrap_or(0),
                status: c["s"].to_string(),
                ike_count: cap_num(&c, "i"),
                child_count: cap_num(&c, "c"),
                ..Ikev2Session::default()
            });
            in_child = false;
            continue;
        }
        let Some(sess) = out.sessions.last_mut() else {
            if !line.trim().is_empty() {
                keep_unparsed(&mut out.unparsed, n, line);
            }
            continue;
        };
        if let Some(c) = caps(&CHILD, line) {
            in_child = true;
            sess.children.push(ChildSaShown {
                line: n,
                ..ChildSaShown::default()
            });
            let rest = &c["rest"];
            if !rest.is_empty() && !child_line(sess, rest) {
                keep_unparsed(&mut out.unparsed, n, line);
            }
            continue;
        }
        if in_child {
            if line.trim().is_empty() || child_line(sess, line) {
                continue;
            }
            // Anything else ends the child SA list (the next session's table).
            in_child = false;
        }
        let mut fam = family;
        if !read_line(&mut sess.sas, &mut fam, n, raw) {
            keep_unparsed(&mut out.unparsed, n, line);
        }
    }
    out
}

/// One line of a child SA; false when it is not one.
fn child_line(sess: &mut Ikev2Session, line: &str) -> bool {
    let Some(child) = sess.children.last_mut() else {
        return false;
    };
    if let Some(c) = caps(&PAIR, line) {
        child.selectors.push(format!("{} -> {}", &c["l"], &c["r"]));
    } else if let Some(c) = caps(&ONE, line) {
        let v = c["v"].to_string();
        if &c["w"] == "local" {
            child.local_selectors.push(v);
        } else {
            child.remote_selectors.push(v);
        }
    } else if let Some(c) = caps(&SPIS, line) {
        child.esp_spi_in = cap_str(&c, "i");
        child.esp_spi_out = cap_str(&c, "o");
    } else if let Some(c) = caps(&ENCR, line) {
        child.encryption = cap_str(&c, "e");
        child.keysize = cap_num(&c, "k");
        child.esp_hmac = cap_str(&c, "h");
    } else if let Some(c) = caps(&MODE, line) {
        child.mode = cap_str(&c, "m");
    } else {
        return CHILD_KNOWN.iter().any(|k| line.trim_start().starts_with(k));
    }
    true
}
