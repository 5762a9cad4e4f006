//! `show running-config` text → [`RunningConfig`]: the line walker.
//!
//! IOS config is a list of top-level commands, some opening a block whose lines are indented
//! under them. The walker keeps the open block, hands each line to that block's command table
//! (in `commands.rs`), and records the lines it could not understand, but only inside the
//! sections we model: a banner, `line vty 0 4` or a prompt pasted above the config is none of
//! our business and stays silent.

use super::acl::AccessList;
use super::commands::{self, Block, Outcome};
use super::ikev2::Ikev2Keyring;
use super::lex::{Bad, Line};
use super::model::{CryptoMapEntry, PresharedKey, RunningConfig};
use super::smart_defaults;
use serde::Serialize;

/// A line inside a modelled section that was not understood.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfigDiag {
    /// 1-based.
    pub line: usize,
    /// 1-based, pointing at the word that was not understood.
    pub column: usize,
    /// The line as written, with any key or password replaced by `*****`.
    pub text: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ParsedConfig {
    pub config: RunningConfig,
    pub unknown: Vec<ConfigDiag>,
}

/// A keyring being read; its keys join the global ones when the walk ends.
#[derive(Debug, Clone, Default)]
pub(crate) struct KeyringDraft {
    pub name: String,
    pub keys: Vec<PresharedKey>,
}

/// An IKEv2 keyring being read, and which of its `peer` blocks the lines below belong to.
#[derive(Debug, Clone)]
pub(crate) struct Ikev2KeyringDraft {
    pub ring: Ikev2Keyring,
    pub peer: Option<usize>,
}

/// The config under construction.
#[derive(Debug, Default)]
pub(crate) struct Builder {
    pub cfg: RunningConfig,
    pub keyrings: Vec<KeyringDraft>,
    pub ikev2_keyrings: Vec<Ikev2KeyringDraft>,
}

impl Builder {
    pub fn acl_index(&mut self, acl: AccessList) -> usize {
        match self
            .cfg
            .access_lists
            .iter()
            .position(|a| a.name == acl.name)
        {
            Some(i) => i,
            None => {
                self.cfg.access_lists.push(acl);
                self.cfg.access_lists.len() - 1
            }
        }
    }

    fn finish(mut self) -> RunningConfig {
        let cfg = &mut self.cfg;
        cfg.isakmp_policies.sort_by_key(|p| p.priority);
        let order =
            |a: &CryptoMapEntry, b: &CryptoMapEntry| a.map.cmp(&b.map).then(a.seq.cmp(&b.seq));
        cfg.crypto_maps.sort_by(order);
        cfg.dynamic_maps.sort_by(order);
        for ring in self.keyrings {
            cfg.isakmp_keys.extend(ring.keys);
        }
        cfg.ikev2
            .keyrings
            .extend(self.ikev2_keyrings.into_iter().map(|k| k.ring));
        // A customised `crypto ikev2 policy default` without `proposal` keeps the default one.
        for p in cfg.ikev2.policies.iter_mut() {
            if p.name == smart_defaults::DEFAULT && p.proposals.is_empty() {
                p.proposals.push(smart_defaults::DEFAULT.into());
            }
        }
        self.cfg
    }
}

/// Parses a running-config, a `show running-config | section crypto`, or either with prompt
/// lines and other noise around it. Never fails: what it cannot read is listed in `unknown`.
pub fn parse(text: &str) -> ParsedConfig {
    let mut b = Builder::default();
    let mut unknown = Vec::new();
    let mut block = Block::None;
    let mut banner_end: Option<String> = None;
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        if let Some(delim) = &banner_end {
            if raw.contains(delim.as_str()) {
                banner_end = None;
            }
            continue;
        }
        let line = Line::new(raw);
        if line.is_blank() {
            continue;
        }
        if let Some(delim) = banner_delimiter(&line.text) {
            block = Block::None;
            banner_end = Some(delim);
            continue;
        }
        // IOS-XE closes a nested block (a keyring's `peer`) with an indented `!`: the block
        // around it goes on.
        if line.text == "!" && line.indent > 0 {
            continue;
        }
        if line.text == "!" || line.text == "exit" || line.text == "end" {
            block = Block::None;
            continue;
        }
        let outcome = if line.indent > 0 {
            commands::child(&block, &line, n, &mut b)
        } else {
            match commands::top(&line, n, &mut b) {
                // Configs pasted without indentation: a line no top-level command takes may
                // still be the next line of the open block; otherwise some other feature's
                // block starts here.
                Outcome::Unrelated => match commands::child(&block, &line, n, &mut b) {
                    Outcome::Done => Outcome::Done,
                    _ => Outcome::Open(Block::Skip),
                },
                Outcome::BadOpen(bad, next) => match commands::child(&block, &line, n, &mut b) {
                    Outcome::Done => Outcome::Done,
                    _ => Outcome::BadOpen(bad, next),
                },
                other => other,
            }
        };
        match outcome {
            Outcome::Open(next) => block = next,
            Outcome::Done | Outcome::Unrelated => {}
            Outcome::Bad(bad) => unknown.push(diag(&line, raw, n, bad)),
            Outcome::BadOpen(bad, next) => {
                unknown.push(diag(&line, raw, n, bad));
                block = next;
            }
        }
    }
    ParsedConfig {
        config: b.finish(),
        unknown,
    }
}

/// `banner motd ^C` opens free text that runs until the delimiter comes back (IOS prints the
/// Ctrl-C delimiter as the two characters `^C`). `None` when the banner closes on its own line.
fn banner_delimiter(text: &str) -> Option<String> {
    let rest = text.strip_prefix("banner ")?;
    let (_, body) = rest.split_once(' ')?;
    let delim: String = if body.starts_with("^C") {
        "^C".into()
    } else {
        body.chars().next()?.to_string()
    };
    let after = body.get(delim.len()..).unwrap_or_default();
    (!after.contains(delim.as_str())).then_some(delim)
}

fn diag(line: &Line, raw: &str, n: usize, bad: Bad) -> ConfigDiag {
    ConfigDiag {
        line: n,
        column: line.column(bad.at),
        text: crate::secret::redact(raw.trim_end()).into_owned(),
        message: bad.message,
    }
}

#[cfg(test)]
mod tests {
    use super::super::acl::{AclKind, Protocol};
    use super::super::fixtures::{R1, R2, edit, ip};
    use super::super::model::*;
    use super::*;

    #[test]
    fn reads_a_full_show_running_config() {
        let p = parse(R1);
        assert_eq!(p.unknown, vec![], "healthy config has nothing unknown");
        let c = p.config;
        assert_eq!(c.hostname.as_deref(), Some("R1"));
        assert_eq!(c.enable_secret.as_ref().map(|s| s.kind), Some(5));
        assert_eq!(c.users.len(), 1);
        assert_eq!(c.users[0].privilege, Some(15));
        assert!(c.isakmp_enabled);
        let p10 = &c.isakmp_policies[0];
        assert_eq!(
            (
                p10.priority,
                p10.encryption,
                p10.hash,
                p10.auth,
                p10.group,
                p10.lifetime
            ),
            (
                10,
                Encryption::Aes256,
                Hash::Sha256,
                AuthMethod::PreShare,
                DhGroup(14),
                28800
            )
        );
        assert_eq!(p10.line, 24);
        assert_eq!(p10.attr_lines.get(&Attr::Hash), Some(&26));
        let key = &c.isakmp_keys[0];
        assert_eq!(key.peer.to_string(), "203.0.113.2/32");
        assert_eq!(key.key.secret, crate::secret::Secret::new("cisco123"));
        assert_eq!(key.key.line, 30);
        let ts = &c.transform_sets[0];
        assert_eq!(ts.esp_cipher, Some(EspCipher::Aes(256)));
        assert_eq!(ts.esp_auth, Some(IntegrityAlg::Sha));
        assert_eq!(ts.mode, IpsecMode::Tunnel);
        let e = &c.crypto_maps[0];
        assert_eq!((e.map.as_str(), e.seq, e.line), ("CMAP", 10, 38));
        assert_eq!(e.peers[0].addr, ip("203.0.113.2"));
        assert_eq!(e.transform_sets, vec!["TS".to_string()]);
        assert_eq!(e.pfs, Some(DhGroup(14)));
        assert_eq!(e.acl.as_deref(), Some("110"));
        assert_eq!(e.description.as_deref(), Some("Tunnel to R2"));
        let g0 = c.interface("GigabitEthernet0/0").unwrap();
        assert_eq!(g0.crypto_map.as_deref(), Some("CMAP"));
        assert_eq!(
            g0.address.map(|n| n.to_string()),
            Some("203.0.113.0/24".into())
        );
        assert_eq!(c.routes[0].next_hop, Some(ip("203.0.113.254")));
        let acl = c.access_list("110").unwrap();
        assert_eq!(acl.kind, AclKind::Extended);
        assert!(acl.permits(Protocol::Icmp, ip("192.168.101.10"), ip("192.168.102.10")));
        assert_eq!(c.crypto_map_on_interface("GigabitEthernet0/0").len(), 1);
        assert_eq!(c.crypto_map_toward(ip("203.0.113.2")).len(), 1);
        assert_eq!(c.ike_source("GigabitEthernet0/0"), Some(ip("203.0.113.1")));
    }

    #[test]
    fn no_secret_in_debug_or_json() {
        let p = parse(R1);
        let dbg = format!("{p:?}");
        let json = serde_json::to_string(&p).unwrap();
        for out in [dbg, json] {
            assert!(!out.contains("cisco123"));
            assert!(!out.contains("$1$mERr"));
            assert!(out.contains("*****"));
        }
    }

    #[test]
    fn defaults_fill_the_lines_show_run_omits() {
        let text = "crypto isakmp policy 20\n authentication pre-share\n";
        let c = parse(text).config;
        let p = &c.isakmp_policies[0];
        assert_eq!(p.encryption, Encryption::Des);
        assert_eq!(p.hash, Hash::Sha);
        assert_eq!(p.group, DhGroup(1));
        assert_eq!(p.lifetime, 86_400);
        assert!(!p.attr_lines.contains_key(&Attr::Hash));
        let c = parse("crypto isakmp policy 30\n").config;
        assert_eq!(c.isakmp_policies[0].auth, AuthMethod::RsaSig);
        let c = parse("crypto ipsec transform-set T esp-3des esp-md5-hmac\n").config;
        assert_eq!(c.transform_sets[0].mode, IpsecMode::Tunnel);
    }

    #[test]
    fn section_crypto_output_with_prompt_and_typed_forms() {
        let text = "\
R2#show running-config | section crypto
crypto keyring KR
  pre-shared-key address 198.51.100.0 255.255.255.0 key ringkey
crypto isakmp policy 5
 encryption 3des
 hash md5
 authentication pre-share
 group 2
crypto isakmp policy 1
 encr aes
crypto isakmp key 6 FLgBaJHXdYY_AcHZZMgQ_RhTDJXHUBAAB address 0.0.0.0 0.0.0.0 no-xauth
crypto isakmp keepalive 10 3 periodic
crypto ipsec security-association lifetime seconds 1800
crypto ipsec transform-set T2 esp-gcm 256
 mode transport
crypto map VPN local-address Loopback0
crypto map VPN 10 ipsec-isakmp
 set peer 203.0.113.1
 set peer 203.0.113.9 default
 set transform-set T1 T2
 set pfs
 set security-association lifetime kilobytes 10000
 match address VPN-ACL
 reverse-route
crypto map VPN 20 ipsec-isakmp dynamic DYN
crypto dynamic-map DYN 10
 set transform-set T2
interface GigabitEthernet0/0
 crypto map VPN
R2#";
        let p = parse(text);
        assert_eq!(p.unknown, vec![]);
        let c = p.config;
        assert_eq!(
            c.isakmp_policies
                .iter()
                .map(|p| p.priority)
                .collect::<Vec<_>>(),
            vec![1, 5],
            "sorted by priority"
        );
        assert_eq!(c.isakmp_policies[0].encryption, Encryption::Aes128);
        assert_eq!(c.isakmp_policies[1].encryption, Encryption::TripleDes);
        assert_eq!(c.isakmp_keys.len(), 2);
        assert_eq!(c.isakmp_keys[0].keyring, None, "global keys first");
        assert_eq!(c.isakmp_keys[0].key.kind, 6);
        assert!(c.isakmp_keys[0].no_xauth);
        assert_eq!(c.isakmp_keys[1].keyring.as_deref(), Some("KR"));
        assert_eq!(
            c.isakmp_keepalive.as_ref().map(|k| (k.interval, k.retry)),
            Some((10, Some(3)))
        );
        assert_eq!(c.ipsec_lifetime.seconds, Some(1800));
        assert_eq!(c.transform_sets[0].esp_cipher, Some(EspCipher::Gcm(256)));
        assert_eq!(c.transform_sets[0].esp_auth, None);
        assert_eq!(c.transform_sets[0].mode, IpsecMode::Transport);
        assert_eq!(c.crypto_map_local_addresses[0].interface, "Loopback0");
        let e = &c.crypto_maps[0];
        assert_eq!(e.peers.len(), 2);
        assert_eq!(e.pfs, Some(DhGroup(1)), "bare set pfs is group1");
        assert_eq!(e.lifetime.kilobytes, Some(10_000));
        assert_eq!(c.crypto_maps[1].kind, MapKind::DynamicRef("DYN".into()));
        assert_eq!(c.dynamic_maps[0].transform_sets, vec!["T2".to_string()]);
    }

    #[test]
    fn unknown_lines_have_line_and_column() {
        let text = edit(R1, " hash sha256\n", " hash sha257\n");
        let text = edit(
            &text,
            " set pfs group14\n",
            " set pfs group14\n set bogus thing\n",
        );
        let text = edit(
            &text,
            "access-list 110 permit ip",
            "access-list 110 permit ipx",
        );
        let text = edit(
            &text,
            "crypto isakmp key cisco123 address 203.0.113.2",
            "crypto isakmp key cisco123 address 203.0.113.256",
        );
        let p = parse(&text);
        let got: Vec<(usize, usize)> = p.unknown.iter().map(|d| (d.line, d.column)).collect();
        assert_eq!(
            got,
            vec![(26, 7), (30, 36), (43, 2), (69, 24)],
            "{:#?}",
            p.unknown
        );
        assert!(p.unknown[0].message.contains("sha257"));
        assert_eq!(
            p.unknown[1].text,
            "crypto isakmp key ***** address 203.0.113.256"
        );
        // What it could not read is left out, the rest is kept.
        assert_eq!(p.config.isakmp_policies[0].hash, Hash::Sha);
        assert!(p.config.isakmp_keys.is_empty());
        assert_eq!(p.config.crypto_maps[0].pfs, Some(DhGroup(14)));
    }

    #[test]
    fn unrelated_sections_stay_silent() {
        let text = "\
version 12.4
service password-encryption
!
router ospf 1
 network 192.168.101.0 0.0.0.255 area 0
 bogus ospf line
!
line vty 0 4
 transport input telnet
banner login #
crypto set peer nonsense
#
snmp-server community public RO
end
";
        let p = parse(text);
        assert_eq!(p.unknown, vec![]);
        assert_eq!(p.config, RunningConfig::default());
    }

    #[test]
    fn unindented_paste_still_reads_blocks() {
        let text = "\
crypto map CMAP 10 ipsec-isakmp
set peer 203.0.113.2
match address 110
interface Gi0/0
ip address 203.0.113.1 255.255.255.0
crypto map CMAP
shutdown
router ospf 1
set peer 1.1.1.1
";
        let c = parse(text).config;
        assert_eq!(c.crypto_maps[0].peers.len(), 1);
        assert_eq!(c.crypto_maps[0].acl.as_deref(), Some("110"));
        let i = &c.interfaces[0];
        assert_eq!((i.crypto_map.as_deref(), i.shutdown), (Some("CMAP"), true));
    }

    #[test]
    fn isakmp_disabled_and_reenabled() {
        let c = parse("hostname R9\nno crypto isakmp\n").config;
        assert!(!c.isakmp_enabled);
        assert_eq!(c.isakmp_disabled_line, Some(2));
        let c = parse("no crypto isakmp enable\ncrypto isakmp enable\n").config;
        assert!(c.isakmp_enabled);
    }

    #[test]
    fn parses_r2_too() {
        let p = parse(R2);
        assert_eq!(p.unknown, vec![]);
        assert_eq!(p.config.hostname.as_deref(), Some("R2"));
    }

    #[test]
    fn key_lookup_prefers_the_longest_mask() {
        let text = "\
crypto isakmp key wildcard address 0.0.0.0 0.0.0.0
crypto isakmp key site address 203.0.113.0 255.255.255.0
crypto isakmp key host address 203.0.113.2
crypto keyring KR
 pre-shared-key address 203.0.113.0 255.255.255.0 key ringsite
";
        let c = parse(text).config;
        let key = |a: &str| c.key_for(ip(a)).map(|k| k.key.line);
        assert_eq!(key("203.0.113.2"), Some(3));
        assert_eq!(
            key("203.0.113.7"),
            Some(2),
            "same mask: the global key, configured first"
        );
        assert_eq!(key("198.51.100.1"), Some(1));
        let none = parse("crypto isakmp key k address 203.0.113.2\n").config;
        assert!(none.key_for(ip("203.0.113.3")).is_none());
    }

    #[test]
    fn acl_named_and_numbered() {
        let text = "\
ip access-list extended VPN
 remark traffic to site 2
 10 permit ip 192.168.101.0 0.0.0.255 192.168.102.0 0.0.0.255
 deny   ip any any
access-list 10 permit 192.168.1.0 0.0.0.255
access-list 110 remark crypto
access-list 110 deny   ip host 192.168.101.9 any
access-list 110 permit ip 192.168.101.0 0.0.0.255 any
";
        let p = parse(text);
        assert_eq!(p.unknown, vec![]);
        let c = p.config;
        let vpn = c.access_list("VPN").unwrap();
        assert_eq!(vpn.entries.len(), 2);
        assert_eq!(vpn.entries[0].line, 3);
        assert_eq!(c.access_list("10").unwrap().kind, AclKind::Standard);
        let acl = c.access_list("110").unwrap();
        assert_eq!(acl.entries.len(), 2);
        assert!(!acl.permits(Protocol::Ip, ip("192.168.101.9"), ip("8.8.8.8")));
        assert!(acl.permits(Protocol::Ip, ip("192.168.101.8"), ip("8.8.8.8")));
    }

    #[test]
    fn routes_with_interface_distance_and_name() {
        let text = "\
interface Tunnel0
 ip address 10.0.0.1 255.255.255.252
interface GigabitEthernet0/0
 ip address 203.0.113.1 255.255.255.0
ip route 192.168.102.0 255.255.255.0 GigabitEthernet0/0 203.0.113.2 5 name TO-R2
ip route 10.9.0.0 255.255.0.0 Null0
ip route 192.168.102.0 255.255.255.0 203.0.113.3
ip route 10.0.0.0 255.0.0.0 203.0.113.9 300
";
        let p = parse(text);
        assert_eq!(p.unknown.len(), 1);
        assert_eq!((p.unknown[0].line, p.unknown[0].column), (8, 41));
        let c = p.config;
        assert_eq!(c.routes[0].distance, 5);
        assert_eq!(c.routes[0].interface.as_deref(), Some("GigabitEthernet0/0"));
        // Same prefix: the lower distance (the plain next-hop route, distance 1) wins.
        let d = c.route_to(ip("192.168.102.5")).unwrap();
        assert_eq!(d.next_hop, ip("203.0.113.3"));
        assert_eq!(c.route_to(ip("10.9.1.1")).unwrap().interface, "Null0");
    }

    #[test]
    fn diagnostics_quote_lines_without_their_secrets() {
        let p = parse("crypto isakmp key 0 cisco123 address 203.0.113.2 bogus\n");
        assert_eq!(p.unknown.len(), 1, "{:?}", p.unknown);
        assert_eq!(
            p.unknown[0].text,
            "crypto isakmp key 0 ***** address 203.0.113.2 bogus"
        );
    }

    mod fuzz {
        use super::super::super::fixtures::ip;
        use super::super::super::negotiate::negotiate;
        use super::super::super::tunnel_session::{negotiate_map, negotiate_vti};
        use super::*;
        use proptest::prelude::*;

        /// Line starts that lead into every table, so random tails reach the value checks.
        const STARTS: &[&str] = &[
            "crypto isakmp policy ",
            " encr ",
            " encryption aes ",
            " hash ",
            " authentication ",
            " group ",
            " lifetime ",
            "crypto isakmp key ",
            "crypto isakmp key k address ",
            "crypto keyring ",
            " pre-shared-key address ",
            "crypto ipsec transform-set T ",
            " mode ",
            "crypto map M ",
            "crypto map M 10 ipsec-isakmp",
            " set peer ",
            " set transform-set ",
            " match address ",
            " set pfs",
            " set security-association lifetime ",
            "crypto dynamic-map D ",
            "access-list ",
            "access-list 110 permit ",
            "access-list 110 deny tcp ",
            "ip access-list extended ",
            " permit ",
            " 10 deny udp ",
            "interface ",
            " ip address ",
            " crypto map ",
            " shutdown",
            "ip route ",
            "banner motd ",
            "no crypto isakmp",
            "!",
            "end",
            "username u ",
            "enable secret ",
            "R1#",
            "crypto ikev2 proposal ",
            " encryption aes-cbc-",
            " integrity sha",
            " prf ",
            "crypto ikev2 policy ",
            " match address local ",
            " proposal ",
            "no crypto ikev2 proposal ",
            "crypto ikev2 keyring ",
            " peer ",
            "  address ",
            "  identity fqdn ",
            "  pre-shared-key local ",
            "  pre-shared-key remote 7 ",
            "crypto ikev2 profile ",
            " match identity remote ",
            " identity local ",
            " authentication local ",
            " authentication remote ",
            " keyring local ",
            " dpd ",
            "crypto ipsec profile ",
            " set ikev2-profile ",
            " set isakmp-profile ",
            "crypto isakmp profile ",
            " match identity address ",
            "interface Tunnel",
            " ip unnumbered ",
            " tunnel source ",
            " tunnel destination ",
            " tunnel mode ",
            " tunnel protection ipsec profile ",
        ];

        fn config_like() -> impl Strategy<Value = String> {
            let line = (prop::sample::select(STARTS), "[ a-zA-Z0-9./^#-]{0,40}")
                .prop_map(|(a, b)| format!("{a}{b}"));
            prop::collection::vec(line, 0..60).prop_map(|v| v.join("\n"))
        }

        fn check(text: &str) {
            let p = parse(text);
            let lines = text.lines().count();
            for d in &p.unknown {
                assert!(d.line >= 1 && d.line <= lines, "{d:?}");
                assert!(d.column >= 1, "{d:?}");
            }
            // Whatever was parsed, negotiating over it must not panic either.
            let (a, b) = (ip("203.0.113.1"), ip("203.0.113.2"));
            let _ = negotiate(
                &p.config,
                a,
                ip("192.168.101.1"),
                ip("192.168.102.1"),
                &p.config,
                b,
            );
            let _ = negotiate_map(
                &p.config,
                a,
                ip("192.168.101.1"),
                ip("192.168.102.1"),
                &p.config,
                b,
            );
            for (i, _) in p.config.tunnels() {
                let s = negotiate_vti(&p.config, &i.name, &p.config);
                let _ = s.step();
            }
        }

        proptest! {
            #[test]
            fn parse_never_panics_on_any_text(text in any::<String>()) {
                check(&text);
            }

            #[test]
            fn parse_never_panics_on_config_like_text(text in config_like()) {
                check(&text);
            }

            #[test]
            fn a_bad_key_line_never_shows_the_key(
                key in "[A-Za-z][A-Za-z0-9]{5,20}",
                tail in "[ a-z0-9.]{0,30}",
            ) {
                let text = format!("crypto isakmp key {key} address {tail} x\n crypto keyring R\n pre-shared-key address {tail} key {key} y\ncrypto ikev2 keyring K\n peer P\n  pre-shared-key local {key} {tail}\n pre-shared-key remote 7 {key} {tail}\n");
                let p = parse(&text);
                for d in &p.unknown {
                    prop_assert!(!d.text.contains(&key), "{:?}", d);
                }
            }
        }
    }
}
