//! `show crypto map`: each map entry with its peers, crypto ACL, transform sets, PFS and the
//! interfaces it is applied to, as the router holds them (not as configured text).

use super::text::{Unparsed, cap_num, cap_str, caps, keep_unparsed, yes_no};
use regex::Regex;
use serde::Serialize;
use std::sync::LazyLock;

pub const COMMAND: &str = "show crypto map";

/// `default:  { esp-aes esp-sha-hmac  }` (15.x) or just `ESP-3DES-SHA` (12.x, names only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TransformSetRef {
    pub name: String,
    pub transforms: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CryptoMapEntry {
    pub line: usize,
    /// `IPv4` / `IPv6` on 15.x headers; absent on 12.x.
    pub family: Option<String>,
    pub name: String,
    pub seq: u32,
    /// `ipsec-isakmp`, `ipsec-manual`.
    pub mode: String,
    /// `WARNING: This crypto map is in an incomplete state!`
    pub incomplete: bool,
    pub dynamic_template: Option<String>,
    pub peers: Vec<String>,
    pub isakmp_profile: Option<String>,
    pub ikev2_profile: Option<String>,
    /// `Extended IP access list 101` → `101`.
    pub acl: Option<String>,
    /// The ACL lines IOS prints under it, as (line number, text).
    pub acl_entries: Vec<(usize, String)>,
    pub current_peer: Option<String>,
    pub lifetime_kb: Option<u64>,
    pub lifetime_secs: Option<u64>,
    pub responder_only: Option<bool>,
    pub dualstack: Option<bool>,
    pub pfs: Option<bool>,
    /// `group14`, as printed on the `DH group:` line under PFS.
    pub pfs_group: Option<String>,
    pub mixed_mode: Option<String>,
    pub reverse_route: bool,
    pub transform_sets: Vec<TransformSetRef>,
    pub interfaces: Vec<String>,
}

/// 12.x's `Crypto Map: "MYMAP" idb: FastEthernet0/0 local address: 10.1.1.1`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MapBinding {
    pub line: usize,
    pub name: String,
    pub interface: String,
    pub local_address: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CryptoMap {
    pub entries: Vec<CryptoMapEntry>,
    pub bindings: Vec<MapBinding>,
    pub unparsed: Unparsed,
}

impl CryptoMap {
    /// Interfaces a map is applied to, from its entries and from 12.x binding lines.
    pub fn interfaces_of(&self, map: &str) -> Vec<&str> {
        let mut v: Vec<&str> = self
            .entries
            .iter()
            .filter(|e| e.name == map)
            .flat_map(|e| e.interfaces.iter().map(String::as_str))
            .chain(
                self.bindings
                    .iter()
                    .filter(|b| b.name == map)
                    .map(|b| b.interface.as_str()),
            )
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }
}

// `Crypto Map IPv4 "VPN_To_Switch2" 1 ipsec-isakmp`   (15.x / XE)
// `Crypto Map "MYMAP" 10 ipsec-isakmp`               (12.x)
static HEADER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"^Crypto Map (?:(?P<fam>IPv[46]) )?"(?P<name>[^"]+)" (?P<seq>\d+)(?: (?P<mode>\S+))?\s*$"#)
        .expect("header regex")
});
// `Crypto Map: "MYMAP" idb: FastEthernet0/0 local address: 10.1.1.1`
static BINDING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"^Crypto Map: "(?P<name>[^"]+)" idb: (?P<idb>\S+)(?: local address: (?P<addr>\S+))?\s*$"#,
    )
    .expect("binding regex")
});
// `	Peer = 172.20.249.12`
static PEER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s+Peer = (?P<p>\S+)\s*$").expect("peer regex"));
// `	Extended IP access list 101`
// `	Extended IP access check IN list sds`   (IPv6 maps)
static ACL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s+Extended IP(?:v6)? access (?:list|check IN list) (?P<acl>\S+)\s*$")
        .expect("acl regex")
});
// `	    access-list 101 permit ip 10.1.1.0 0.0.0.255 10.2.2.0 0.0.0.255`
// `	    permit ipv6 2001:DB8:1::/48 2001:DB8:2::/48`
static ACL_ENTRY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s+(?P<e>(?:access-list \S+ )?(?:permit|deny) .*?)\s*$").expect("acl entry regex")
});
// `	Current peer: 172.20.249.12`
static CURRENT_PEER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s+Current peer: (?P<p>\S+)\s*$").expect("current peer regex"));
// `	Security association lifetime: 4608000 kilobytes/3600 seconds`
static LIFETIME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s+Security association lifetime: (?P<kb>\d+) kilobytes/(?P<s>\d+) seconds\s*$")
        .expect("lifetime regex")
});
// `	PFS (Y/N): N` / `	Responder-Only (Y/N): N` / `	Dualstack (Y/N): N`
static YES_NO: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s+(?P<k>PFS|Responder-Only|Dualstack) \(Y/N\): (?P<v>\S+)\s*$")
        .expect("yn regex")
});
// `	DH group:  group14`
static DH: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s+DH group:\s+(?P<g>\S+)\s*$").expect("dh regex"));
// `	Mixed-mode : Disabled`
static MIXED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s+Mixed-mode\s*: (?P<v>\S+)\s*$").expect("mixed regex"));
// `	IKEv2 Profile: ikev2profile` / `	ISAKMP Profile: PROF`
static PROFILE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s+(?P<k>IKEv2|ISAKMP) Profile: (?P<v>\S+)\s*$").expect("profile regex")
});
// `	Dynamic map template tag: DYN`
static DYNAMIC: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s+Dynamic map template tag: (?P<v>\S+)\s*$").expect("dynamic regex")
});
// `	Transform sets={` (a list follows) or `	Transform sets={ ESP-3DES-SHA, }` (12.2, one line)
static TS_OPEN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s+Transform sets=\{(?P<rest>.*?)\s*$").expect("ts open regex"));
// `		default:  { esp-aes esp-sha-hmac  } ,` or `		ESP-3DES-SHA,`
static TS_ITEM: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*(?P<name>[^\s:,{}]+):?\s*(?:\{(?P<t>[^}]*)\})?\s*,?\s*$")
        .expect("ts item regex")
});
// `	Interfaces using crypto map VPN_To_Switch2:`
static IFS_HEADER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s+Interfaces using crypto map (?P<m>\S+):\s*$").expect("ifs header regex")
});
// `		TwoGigabitEthernet2/0/17`
static IF_NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s+(?P<i>[A-Za-z][\w./:-]*)\s*$").expect("if name regex"));
// Lines that say something about the entry we have no field for.
// `	WARNING: This crypto map is in an incomplete state!`
// `		(missing peer or access-list definitions)`
// `	Access-List SS dynamic: False` / `	No matching address list set.`
// `	Reverse Route Injection Enabled`
static NOTES: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s+(?P<n>WARNING: This crypto map is in an incomplete state!|\(missing peer or access-list definitions\)|Access-List SS dynamic: \S+|No matching address list set\.|Reverse Route Injection Enabled)\s*$")
        .expect("notes regex")
});

#[derive(Clone, Copy, PartialEq, Eq)]
enum Block {
    Entry,
    Acl,
    TransformSets,
    Interfaces,
}

fn transform_sets(list: &str) -> Option<Vec<TransformSetRef>> {
    // `ESP-3DES-SHA, ESP-AES-SHA,` on one line: names only.
    let mut v = Vec::new();
    for item in list.trim_end_matches('}').split(',') {
        if item.trim().is_empty() {
            continue;
        }
        v.push(ts_item(item)?);
    }
    Some(v)
}

fn ts_item(line: &str) -> Option<TransformSetRef> {
    let c = caps(&TS_ITEM, line)?;
    Some(TransformSetRef {
        name: cap_str(&c, "name")?,
        transforms: c
            .name("t")
            .map(|t| t.as_str().split_whitespace().map(str::to_string).collect())
            .unwrap_or_default(),
    })
}

/// Parses `show crypto map`.
pub fn parse(text: &str) -> CryptoMap {
    let mut out = CryptoMap::default();
    let mut block = Block::Entry;
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        if let Some(c) = caps(&HEADER, line) {
            let Some(seq) = cap_num(&c, "seq") else {
                keep_unparsed(&mut out.unparsed, n, line);
                continue;
            };
            out.entries.push(CryptoMapEntry {
                line: n,
                family: cap_str(&c, "fam"),
                name: cap_str(&c, "name").unwrap_or_default(),
                seq,
                mode: cap_str(&c, "mode").unwrap_or_default(),
                ..CryptoMapEntry::default()
            });
            block = Block::Entry;
            continue;
        }
        if let Some(c) = caps(&BINDING, line) {
            out.bindings.push(MapBinding {
                line: n,
                name: cap_str(&c, "name").unwrap_or_default(),
                interface: cap_str(&c, "idb").unwrap_or_default(),
                local_address: cap_str(&c, "addr"),
            });
            continue;
        }
        let Some(e) = out.entries.last_mut() else {
            keep_unparsed(&mut out.unparsed, n, line);
            continue;
        };
        if !apply(e, &mut block, n, line) {
            keep_unparsed(&mut out.unparsed, n, line);
        }
    }
    out
}

fn apply(e: &mut CryptoMapEntry, block: &mut Block, n: usize, line: &str) -> bool {
    match *block {
        Block::TransformSets => {
            if line.trim() == "}" {
                *block = Block::Entry;
                return true;
            }
            if let Some(ts) = ts_item(line) {
                e.transform_sets.push(ts);
                return true;
            }
            *block = Block::Entry;
        }
        Block::Acl => {
            if let Some(c) = caps(&ACL_ENTRY, line) {
                e.acl_entries
                    .push((n, cap_str(&c, "e").unwrap_or_default()));
                return true;
            }
            *block = Block::Entry;
        }
        Block::Interfaces => {
            if let Some(c) = caps(&IF_NAME, line) {
                e.interfaces.extend(cap_str(&c, "i"));
                return true;
            }
            *block = Block::Entry;
        }
        Block::Entry => {}
    }
    if let Some(c) = caps(&PEER, line) {
        e.peers.extend(cap_str(&c, "p"));
    } else if let Some(c) = caps(&ACL, line) {
        e.acl = cap_str(&c, "acl");
        *block = Block::Acl;
    } else if let Some(c) = caps(&CURRENT_PEER, line) {
        e.current_peer = cap_str(&c, "p");
    } else if let Some(c) = caps(&LIFETIME, line) {
        e.lifetime_kb = cap_num(&c, "kb");
        e.lifetime_secs = cap_num(&c, "s");
    } else if let Some(c) = caps(&YES_NO, line) {
        let v = c.name("v").and_then(|m| yes_no(m.as_str()));
        match c.name("k").map(|m| m.as_str()) {
            Some("PFS") => e.pfs = v,
            Some("Responder-Only") => e.responder_only = v,
            _ => e.dualstack = v,
        }
    } else if let Some(c) = caps(&DH, line) {
        e.pfs_group = cap_str(&c, "g");
    } else if let Some(c) = caps(&MIXED, line) {
        e.mixed_mode = cap_str(&c, "v");
    } else if let Some(c) = caps(&PROFILE, line) {
        match c.name("k").map(|m| m.as_str()) {
            Some("IKEv2") => e.ikev2_profile = cap_str(&c, "v"),
            _ => e.isakmp_profile = cap_str(&c, "v"),
        }
    } else if let Some(c) = caps(&DYNAMIC, line) {
        e.dynamic_template = cap_str(&c, "v");
    } else if let Some(c) = caps(&TS_OPEN, line) {
        let rest = c.name("rest").map_or("", |m| m.as_str());
        if rest.trim().is_empty() {
            *block = Block::TransformSets;
        } else {
            let Some(sets) = transform_sets(rest) else {
                return false;
            };
            e.transform_sets.extend(sets);
        }
    } else if IFS_HEADER.is_match(line) {
        *block = Block::Interfaces;
    } else if let Some(c) = caps(&NOTES, line) {
        if c.name("n")
            .is_some_and(|m| m.as_str().starts_with("WARNING"))
        {
            e.incomplete = true;
        }
    } else {
        return false;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    // IOS 12.4 form: binding line, ACL entries printed under the ACL, names-only transform sets.
    const IOS_124: &str = "\
Crypto Map \"MYMAP\" 10 ipsec-isakmp
        Peer = 10.1.1.2
        Extended IP access list 101
            access-list 101 permit ip 192.168.1.0 0.0.0.255 192.168.2.0 0.0.0.255
        Current peer: 10.1.1.2
        Security association lifetime: 4608000 kilobytes/3600 seconds
        PFS (Y/N): Y
        DH group:  group2
        Transform sets={
                ESP-3DES-SHA,
        }
        Interfaces using crypto map MYMAP:
                FastEthernet0/0
";

    #[test]
    fn ios_124_entry() {
        let m = parse(IOS_124);
        assert!(m.unparsed.is_empty(), "{:?}", m.unparsed);
        let e = &m.entries[0];
        assert_eq!(
            (e.name.as_str(), e.seq, e.mode.as_str()),
            ("MYMAP", 10, "ipsec-isakmp")
        );
        assert_eq!(e.peers, vec!["10.1.1.2"]);
        assert_eq!(e.acl.as_deref(), Some("101"));
        assert_eq!(e.acl_entries[0].0, 3);
        assert!(
            e.acl_entries[0]
                .1
                .starts_with("access-list 101 permit ip 192.168.1.0")
        );
        assert_eq!(
            (e.pfs, e.pfs_group.as_deref()),
            (Some(true), Some("group2"))
        );
        assert_eq!(e.transform_sets[0].name, "ESP-3DES-SHA");
        assert!(e.transform_sets[0].transforms.is_empty());
        assert_eq!(m.interfaces_of("MYMAP"), vec!["FastEthernet0/0"]);
    }

    #[test]
    fn one_line_transform_sets_and_bindings() {
        let m = parse(
            "Crypto Map: \"VPN\" idb: Serial0/0 local address: 10.0.0.1\n\n\
             Crypto Map \"VPN\" 20 ipsec-isakmp\n\
             \x20       Transform sets={ TS1, TS2, }\n",
        );
        assert!(m.unparsed.is_empty(), "{:?}", m.unparsed);
        let names: Vec<_> = m.entries[0]
            .transform_sets
            .iter()
            .map(|t| t.name.as_str())
            .collect();
        assert_eq!(names, vec!["TS1", "TS2"]);
        assert_eq!(m.interfaces_of("VPN"), vec!["Serial0/0"]);
    }

    #[test]
    fn empty_output() {
        let m = parse("");
        assert!(m.entries.is_empty() && m.unparsed.is_empty());
    }

    #[test]
    fn garbage_lines_are_reported() {
        let m = parse("\tPeer = 1.1.1.1\nCrypto Map \"X\" 1 ipsec-isakmp\n\tfoo bar: baz\n");
        assert_eq!(m.unparsed.len(), 2);
        assert_eq!(m.entries[0].peers.len(), 0);
    }
}
