//! The safety classes, checked on whole commands: what a `read`, `debug`, `disruptive` or
//! `config` step may send to a router. The first word is not enough (`show run | redirect flash:x`
//! writes to the router's flash, `debug all` can stop a busy router), so each command is
//! read word by word, abbreviations and any spacing included, and anything not explicitly
//! allowed is refused.

use crate::ios::keyword::{Keyword, Word, words};

/// What a command is allowed to be, by where it appears in a playbook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// `show …` (a `show` step).
    Show,
    /// `show …` or `ping …` (a `check` step: read-only reachability tests).
    Check,
    /// `ping …` (the traffic a debug window starts).
    Ping,
    /// `debug crypto …`, `undebug …`, `no debug …`.
    Debug,
    /// `clear crypto sa|session|isakmp …`.
    Clear,
    /// A configuration line of an IPsec fix or its rollback ([`CONFIG_LINES`]), sent from
    /// `configure terminal` by the guide after a typed confirmation.
    Config,
}

/// A refused command: why, and the byte offset in the command of the word at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub at: usize,
    pub message: String,
}

fn refuse(at: usize, message: impl Into<String>) -> Refusal {
    Refusal {
        at,
        message: message.into(),
    }
}

const SHOW: Keyword = Keyword("sh|ow");
const PING: Keyword = Keyword("pi|ng");
const DEBUG: Keyword = Keyword("deb|ug");
const UNDEBUG: Keyword = Keyword("und|ebug");
const NO: Keyword = Keyword("no");
const CRYPTO: Keyword = Keyword("cry|pto");
const CLEAR: Keyword = Keyword("cle|ar");
const ALL: Keyword = Keyword("a|ll");

/// `| include` and its kin only filter what the router prints.
const FILTERS: &[Keyword] = &[
    Keyword("i|nclude"),
    Keyword("e|xclude"),
    Keyword("b|egin"),
    Keyword("s|ection"),
    Keyword("cou|nt"),
];
/// Pipes that write somewhere (flash, a server, a file): refused, by name for the message.
const WRITERS: &[Keyword] = &[
    Keyword("r|edirect"),
    Keyword("t|ee"),
    Keyword("a|ppend"),
    Keyword("cop|y"),
    Keyword("f|ormat"),
];
/// What `clear crypto` may clear.
const CLEARABLE: &[Keyword] = &[Keyword("sa"), Keyword("ses|sion"), Keyword("isa|kmp")];
const VRF: Keyword = Keyword("vrf");
const IP: Keyword = Keyword("ip");
/// `ping` options: what is sent and from where, nothing else.
const PING_OPTIONS: &[Keyword] = &[
    Keyword("rep|eat"),
    Keyword("si|ze"),
    Keyword("ti|meout"),
    Keyword("so|urce"),
    Keyword("df|-bit"),
    Keyword("val|idate"),
    Keyword("da|ta"),
];
/// The `ping` options followed by a value.
const PING_VALUED: &[Keyword] = &[
    Keyword("rep|eat"),
    Keyword("si|ze"),
    Keyword("ti|meout"),
    Keyword("so|urce"),
    Keyword("da|ta"),
];

fn any(list: &[Keyword], word: &str) -> bool {
    list.iter().any(|k| k.matches(word))
}

/// Checks a whole command against its class.
pub fn check(command: &str, class: Class) -> Result<(), Refusal> {
    if let Some(at) = command.find(|c: char| c.is_control()) {
        // A line break reaches the router as a second command, past every check here.
        return Err(refuse(
            at,
            format!(
                "`{}` holds a line break or control character: one command per entry",
                command.escape_debug()
            ),
        ));
    }
    if let Some(at) = command.find(';') {
        return Err(refuse(
            at,
            format!("`{command}`: `;` separates commands; one command per entry"),
        ));
    }
    let w = words(command);
    let Some(first) = w.first() else {
        return Err(refuse(0, "an empty command"));
    };
    match class {
        Class::Show => show(command, &w),
        Class::Ping => ping(command, &w),
        Class::Check if PING.matches(first.text) => ping(command, &w),
        Class::Check => show(command, &w).map_err(|mut r| {
            if !SHOW.matches(first.text) {
                r.message = format!(
                    "`{command}` is not allowed in a check step: only `show …` and `ping …` are"
                );
            }
            r
        }),
        Class::Debug => debug(command, &w),
        Class::Clear => clear(command, &w),
        Class::Config => config(command, &w),
    }
}

fn show(command: &str, w: &[Word<'_>]) -> Result<(), Refusal> {
    if !SHOW.matches(w[0].text) {
        return Err(refuse(
            w[0].start,
            format!("`{command}` is not a read command: a read step runs `show …` only"),
        ));
    }
    if w.len() < 2 {
        return Err(refuse(w[0].start, "`show` alone shows nothing"));
    }
    // Every pipe must be a filter; `|` may be glued to its word (`|include`).
    for (i, word) in w.iter().enumerate() {
        let Some(glued) = word.text.strip_prefix('|') else {
            continue;
        };
        let (filter, at) = if glued.is_empty() {
            match w.get(i + 1) {
                Some(next) => (next.text, next.start),
                None => {
                    return Err(refuse(
                        word.start,
                        format!("`{command}`: `|` and nothing after it"),
                    ));
                }
            }
        } else {
            (glued, word.start + 1)
        };
        if let Some(k) = WRITERS.iter().find(|k| k.matches(filter)) {
            return Err(refuse(
                at,
                format!(
                    "`{command}`: `| {}` writes the output somewhere on or off the router; a read step may only filter it (include, exclude, begin, section, count)",
                    k.word()
                ),
            ));
        }
        if !any(FILTERS, filter) {
            return Err(refuse(
                at,
                format!(
                    "`{command}`: `| {filter}` is not an output filter a read step may use (include, exclude, begin, section, count)"
                ),
            ));
        }
    }
    Ok(())
}

/// `ping [vrf NAME] [ip] TARGET [option value]…`
fn ping(command: &str, w: &[Word<'_>]) -> Result<(), Refusal> {
    if !PING.matches(w[0].text) {
        return Err(refuse(
            w[0].start,
            format!("`{command}` is not a ping: test traffic is sent with `ping …` only"),
        ));
    }
    let mut i = 1;
    if w.get(i).is_some_and(|x| VRF.matches(x.text)) {
        i += 2;
    }
    if w.get(i).is_some_and(|x| IP.matches(x.text)) {
        i += 1;
    }
    // `ping` alone starts IOS's interactive dialogue, which a playbook cannot answer.
    if i >= w.len() {
        return Err(refuse(
            w[0].start,
            format!("`{command}`: a ping needs a target address"),
        ));
    }
    i += 1;
    while let Some(word) = w.get(i) {
        if !any(PING_OPTIONS, word.text) {
            return Err(refuse(
                word.start,
                format!(
                    "`{command}`: `{}` is not a ping option a playbook may use (repeat, size, timeout, source, df-bit, validate, data)",
                    word.text
                ),
            ));
        }
        i += if any(PING_VALUED, word.text) { 2 } else { 1 };
    }
    Ok(())
}

fn debug(command: &str, w: &[Word<'_>]) -> Result<(), Refusal> {
    let first = w[0].text;
    // Switching debugs off is always allowed: `undebug …`, `no debug …`.
    if UNDEBUG.matches(first)
        || (NO.matches(first) && w.get(1).is_some_and(|x| DEBUG.matches(x.text)))
    {
        return Ok(());
    }
    if !DEBUG.matches(first) {
        return Err(refuse(
            w[0].start,
            format!(
                "`{command}` is not a debug command: a debug step runs `debug crypto …`, `undebug …` or `no debug …` only"
            ),
        ));
    }
    match w.get(1) {
        Some(x) if ALL.matches(x.text) => Err(refuse(
            x.start,
            format!("`{command}`: `debug all` can stop a busy router; debug `crypto …` only"),
        )),
        Some(x) if CRYPTO.matches(x.text) => match w.get(2) {
            None => Err(refuse(
                x.start,
                format!("`{command}`: debug crypto what? (isakmp, ipsec, ikev2, condition …)"),
            )),
            Some(y) if ALL.matches(y.text) => Err(refuse(
                y.start,
                format!("`{command}`: debug `crypto` subsystems one by one, not all"),
            )),
            Some(_) => Ok(()),
        },
        Some(x) => Err(refuse(
            x.start,
            format!("`{command}`: only crypto debugs are allowed (`debug crypto …`)"),
        )),
        None => Err(refuse(w[0].start, format!("`{command}`: debug what?"))),
    }
}

fn clear(command: &str, w: &[Word<'_>]) -> Result<(), Refusal> {
    let ok = CLEAR.matches(w[0].text)
        && w.get(1).is_some_and(|x| CRYPTO.matches(x.text))
        && w.get(2).is_some_and(|x| any(CLEARABLE, x.text));
    if ok {
        if let Some(p) = w.iter().find(|x| x.text.starts_with('|')) {
            return Err(refuse(
                p.start,
                format!("`{command}`: a clear has no output redirection"),
            ));
        }
        return Ok(());
    }
    let at = w
        .iter()
        .zip([Some(CLEAR), Some(CRYPTO), None])
        .find(|(x, k)| match k {
            Some(k) => !k.matches(x.text),
            None => !any(CLEARABLE, x.text),
        })
        .map_or(w[0].start, |(x, _)| x.start);
    Err(refuse(
        at,
        format!(
            "`{command}` is not allowed: a disruptive step runs `clear crypto sa|session|isakmp …` only"
        ),
    ))
}

/// The configuration lines a fix (or the rollback of one) may hold, each by its leading
/// keywords; every one may also be given in its `no` form. They are the IPsec configuration
/// the engine's fixes touch — ISAKMP policies and keys, transform sets, crypto maps and
/// their entries, crypto ACLs, IKEv2 proposals, policies, keyrings and profiles, IPsec
/// profiles, tunnel interfaces, the routes and interfaces a tunnel depends on — and nothing
/// that reaches further (`write`, `copy`, `reload`, `do`, users, lines, AAA are refused).
pub const CONFIG_LINES: &[&[Keyword]] = &[
    // Global configuration.
    &[CRYPTO, Keyword("isa|kmp"), Keyword("pol|icy")],
    &[CRYPTO, Keyword("isa|kmp"), Keyword("key")],
    &[CRYPTO, Keyword("isa|kmp"), Keyword("ena|ble")],
    &[CRYPTO, Keyword("ips|ec"), Keyword("transform-set")],
    &[CRYPTO, Keyword("ips|ec"), Keyword("security-association")],
    &[CRYPTO, Keyword("map")],
    &[CRYPTO, Keyword("dynamic-map")],
    &[CRYPTO, Keyword("keyr|ing")],
    &[Keyword("access-list")],
    &[IP, Keyword("access-list")],
    &[IP, Keyword("route")],
    &[Keyword("int|erface")],
    // Inside `crypto isakmp policy N`.
    &[Keyword("encr|yption")],
    &[Keyword("hash")],
    &[Keyword("auth|entication")],
    &[Keyword("group")],
    &[Keyword("lifetime")],
    // Inside a crypto map entry.
    &[Keyword("set"), Keyword("peer")],
    &[Keyword("set"), Keyword("transform-set")],
    &[Keyword("set"), Keyword("pfs")],
    &[Keyword("set"), Keyword("security-association")],
    &[Keyword("match"), Keyword("address")],
    &[Keyword("reverse-route")],
    // Inside a transform set.
    &[Keyword("mode")],
    // Inside a named ACL (with or without a sequence number).
    &[Keyword("permit")],
    &[Keyword("deny")],
    &[Keyword("remark")],
    // Inside an interface.
    &[IP, Keyword("address")],
    &[Keyword("shut|down")],
    &[Keyword("desc|ription")],
    // Inside a keyring.
    &[Keyword("pre-shared-key")],
    // IKEv2 (global): proposals, policies, keyrings, profiles, and the IPsec profile a tunnel
    // interface protects with.
    &[CRYPTO, Keyword("ikev2"), Keyword("proposal")],
    &[CRYPTO, Keyword("ikev2"), Keyword("policy")],
    &[CRYPTO, Keyword("ikev2"), Keyword("keyring")],
    &[CRYPTO, Keyword("ikev2"), Keyword("profile")],
    &[CRYPTO, Keyword("ips|ec"), Keyword("profile")],
    &[CRYPTO, Keyword("isa|kmp"), Keyword("profile")],
    // Inside an IKEv2 proposal (`encryption` and `group` as above).
    &[Keyword("integrity")],
    &[Keyword("prf")],
    // Inside an IKEv2 policy.
    &[Keyword("match"), Keyword("address"), Keyword("local")],
    &[Keyword("proposal")],
    // Inside an IKEv2 keyring: its peers and their addresses and identities.
    &[Keyword("peer")],
    &[Keyword("address")],
    &[Keyword("identity")],
    // Inside an IKEv2 profile (`authentication` and `lifetime` as above).
    &[Keyword("match"), Keyword("identity")],
    &[Keyword("keyring"), Keyword("local")],
    &[Keyword("dpd")],
    // Inside an IPsec profile.
    &[Keyword("set"), Keyword("ikev2-profile")],
    &[Keyword("set"), Keyword("isakmp-profile")],
    // Inside a tunnel interface.
    &[Keyword("tunnel"), Keyword("source")],
    &[Keyword("tunnel"), Keyword("destination")],
    &[Keyword("tunnel"), Keyword("mode")],
    &[Keyword("tunnel"), Keyword("protection")],
];

fn config(command: &str, w: &[Word<'_>]) -> Result<(), Refusal> {
    let no = NO.matches(w[0].text);
    let mut rest = if no { &w[1..] } else { w };
    // A named ACL's entry may carry its sequence number: `10 permit ip …`.
    if rest.len() > 1 && rest[0].text.chars().all(|c| c.is_ascii_digit()) {
        rest = &rest[1..];
    }
    let Some(first) = rest.first() else {
        return Err(refuse(w[0].start, format!("`{command}`: no what?")));
    };
    if let Some(p) = w.iter().find(|x| x.text.starts_with('|')) {
        return Err(refuse(
            p.start,
            format!("`{command}`: a configuration line has no output pipe"),
        ));
    }
    // `no crypto isakmp` alone switches IKE off for every tunnel of the router.
    if no
        && rest.len() == 2
        && CRYPTO.matches(rest[0].text)
        && Keyword("isa|kmp").matches(rest[1].text)
    {
        return Err(refuse(
            w[0].start,
            format!("`{command}` switches ISAKMP off for every tunnel on the router: not a fix"),
        ));
    }
    let known = CONFIG_LINES
        .iter()
        .any(|row| row.len() <= rest.len() && row.iter().zip(rest).all(|(k, x)| k.matches(x.text)));
    if known {
        return Ok(());
    }
    Err(refuse(
        first.start,
        format!(
            "`{command}` is not a configuration line a fix may send: only IPsec configuration (ISAKMP policies and keys, transform sets, crypto maps, crypto ACLs, IKEv2 proposals, policies, keyrings and profiles, IPsec profiles, routes, interfaces and their tunnel lines)"
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(command: &str, class: Class) -> Refusal {
        check(command, class).expect_err(command)
    }

    #[test]
    fn read_steps_show_and_filter_only() {
        for ok in [
            "show crypto isakmp sa",
            "sh run | section crypto|interface",
            "SHOW   running-config |inc key",
            "show udp | count 500",
            "show run | b crypto",
        ] {
            check(ok, Class::Show).unwrap_or_else(|r| panic!("{ok}: {r:?}"));
        }
        let r = refused("show run | redirect flash:x.txt", Class::Show);
        assert_eq!(r.at, 11);
        assert!(r.message.contains("| redirect"), "{r:?}");
        for bad in [
            "show tech | tee tftp://10.0.0.9/x",
            "show run |append flash:x",
            "show run | cop flash:x",
            "sh ver | t x",
            "show run | format x",
            "show version; reload",
            "clear crypto sa",
            "s run",
            "show",
            "show run | ",
            "show udp\nclear crypto sa",
        ] {
            refused(bad, Class::Show);
        }
    }

    #[test]
    fn check_steps_add_ping() {
        check("ping {peer_address} repeat 3", Class::Check).unwrap();
        check(
            "ping 10.0.0.1 source Loopback0 size 1400 df-bit",
            Class::Check,
        )
        .unwrap();
        check("ping ip 10.0.0.1 repeat 2", Class::Check).unwrap();
        check("show ip route {peer_address}", Class::Check).unwrap();
        let r = refused("traceroute 10.0.0.1", Class::Check);
        assert!(r.message.contains("only `show …` and `ping …`"), "{r:?}");
        refused("ping", Class::Check);
        refused("ping 10.0.0.1 | redirect x", Class::Check);
        check("ping vrf OUT ip 10.0.0.1 timeout 1", Class::Ping).unwrap();
        refused("ping vrf OUT", Class::Ping);
        refused("ping 10.0.0.1 reload", Class::Check);
        refused("show run", Class::Ping);
    }

    #[test]
    fn debug_steps_crypto_only() {
        for ok in [
            "debug crypto isakmp",
            "deb cry ipsec",
            "debug crypto condition peer ipv4 {peer_address}",
            "undebug all",
            "no debug crypto isakmp",
        ] {
            check(ok, Class::Debug).unwrap_or_else(|r| panic!("{ok}: {r:?}"));
        }
        let r = refused("debug all", Class::Debug);
        assert_eq!(r.at, 6);
        for bad in [
            "debug ip packet",
            "debug crypto",
            "debug crypto all",
            "d all",
            "show debug",
            "conf t",
        ] {
            refused(bad, Class::Debug);
        }
    }

    #[test]
    fn disruptive_steps_clear_crypto_only() {
        for ok in [
            "clear crypto sa peer {peer_address}",
            "cle cry session",
            "clear crypto isakmp 1001",
        ] {
            check(ok, Class::Clear).unwrap_or_else(|r| panic!("{ok}: {r:?}"));
        }
        let r = refused("clear ip bgp *", Class::Clear);
        assert_eq!(r.at, 6);
        for bad in [
            "clear counters",
            "reload",
            "clear crypto",
            "clear crypto pki",
        ] {
            refused(bad, Class::Clear);
        }
    }

    #[test]
    fn config_steps_ipsec_configuration_only() {
        for ok in [
            "crypto isakmp policy 10",
            " hash sha",
            " group 14",
            "crypto isakmp key s3cret address 203.0.113.2",
            "no crypto isakmp key s3cret address 203.0.113.2",
            "crypto ipsec transform-set TS esp-aes 256 esp-sha-hmac",
            "crypto map VPN 10 ipsec-isakmp",
            " set transform-set TS",
            " no set pfs",
            " set peer 203.0.113.2",
            "no access-list 102",
            "access-list 102 permit ip 192.168.102.0 0.0.0.255 192.168.101.0 0.0.0.255",
            "ip access-list extended CRYPTO",
            " 10 permit ip any any",
            "interface GigabitEthernet0/0",
            " crypto map VPN",
            " no shutdown",
            "ip route 0.0.0.0 0.0.0.0 203.0.113.254",
            "crypto isakmp enable",
        ] {
            check(ok, Class::Config).unwrap_or_else(|r| panic!("{ok}: {r:?}"));
        }
        for bad in [
            "write memory",
            "do write memory",
            "copy running-config startup-config",
            "reload",
            "username bob secret x",
            "enable secret x",
            "line vty 0 4",
            "no crypto isakmp",
            "hostname R9",
            "end",
            "crypto map VPN 10 | redirect flash:x",
            "crypto isakmp policy 10; reload",
        ] {
            refused(bad, Class::Config);
        }
        let r = refused("no crypto isakmp", Class::Config);
        assert!(r.message.contains("every tunnel"), "{r:?}");
    }

    #[test]
    fn config_steps_take_ikev2_and_tunnel_interface_lines() {
        for ok in [
            "crypto ikev2 proposal PROP-1",
            " encryption aes-cbc-256",
            " integrity sha256",
            " group 14",
            " prf sha256",
            "crypto ikev2 policy POL-1",
            " match address local 203.0.113.1",
            " proposal PROP-1",
            "crypto ikev2 keyring KR",
            " peer R2",
            "  address 203.0.113.2",
            "  pre-shared-key local Vpn-Key-2026",
            "  identity fqdn r2.lab.example",
            "crypto ikev2 profile PROF",
            " match identity remote address 203.0.113.2 255.255.255.255",
            " identity local address 203.0.113.1",
            " authentication remote pre-share",
            " keyring local KR",
            " dpd 30 5 on-demand",
            " lifetime 28800",
            "crypto ipsec profile VTI-PROF",
            " set transform-set TS",
            " set ikev2-profile PROF",
            " set pfs group14",
            "no set pfs",
            "interface Tunnel0",
            " tunnel destination 203.0.113.2",
            " tunnel source GigabitEthernet0/0/0",
            " tunnel mode ipsec ipv4",
            " tunnel protection ipsec profile VTI-PROF",
            "crypto isakmp profile ISA",
        ] {
            check(ok, Class::Config).unwrap_or_else(|r| panic!("{ok}: {r:?}"));
        }
        for bad in [
            "crypto ikev2 diagnose error",
            "crypto pki trustpoint X",
            "tunnel key 5",
            "crypto ikev2 profile P | redirect flash:x",
        ] {
            refused(bad, Class::Config);
        }
    }
}
