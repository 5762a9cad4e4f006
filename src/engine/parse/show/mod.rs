//! Show-command parsers: one file per command, text in, typed facts out.
//!
//! Each command file carries its command text (`COMMAND`), a result struct that is the schema,
//! and a `parse(&str)` that never fails: lines it does not recognise land in the result's
//! `unparsed` with their 0-based line number, so nothing is dropped without a trace.
//! [`classify`] maps a command as typed on a router (abbreviated, piped) to a [`ShowKind`];
//! [`parse`] dispatches to the right parser.

pub mod crypto_map;
pub mod crypto_session;
pub mod debug;
pub mod ikev2_policy;
pub mod ikev2_proposal;
pub mod ikev2_sa;
pub mod ikev2_session;
pub mod interfaces;
pub mod ip_interface_brief;
pub mod ip_route;
pub mod ipsec_profile;
pub mod ipsec_sa;
pub mod isakmp_policy;
pub mod isakmp_sa;
pub mod text;
pub mod udp;

use serde::Serialize;

pub use text::Unparsed;

/// The show commands the engine understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum ShowKind {
    IsakmpSa,
    IsakmpSaDetail,
    Ikev2Sa,
    Ikev2Session,
    Ikev2Proposal,
    Ikev2Policy,
    IpsecProfile,
    IpsecSa,
    CryptoSession,
    CryptoMap,
    IsakmpPolicy,
    Udp,
    IpRoute,
    IpInterfaceBrief,
    Interfaces,
    Debug,
    /// Classified here, parsed by `crate::ios`.
    RunningConfig,
}

/// A parsed show output, one variant per parsed kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum ShowOutput {
    IsakmpSa(isakmp_sa::IsakmpSa),
    IsakmpSaDetail(isakmp_sa::IsakmpSaDetail),
    Ikev2Sa(ikev2_sa::Ikev2Sa),
    Ikev2Session(ikev2_session::Ikev2Sessions),
    Ikev2Proposal(ikev2_proposal::Ikev2Proposals),
    Ikev2Policy(ikev2_policy::Ikev2Policies),
    IpsecProfile(ipsec_profile::IpsecProfiles),
    IpsecSa(ipsec_sa::IpsecSa),
    CryptoSession(crypto_session::CryptoSession),
    CryptoMap(crypto_map::CryptoMap),
    IsakmpPolicy(isakmp_policy::IsakmpPolicies),
    Udp(udp::UdpTable),
    IpRoute(ip_route::RouteTable),
    IpInterfaceBrief(ip_interface_brief::InterfaceBrief),
    Interfaces(interfaces::Interfaces),
    Debug(debug::DebugState),
}

impl ShowOutput {
    /// The kind of output this is a parse of.
    pub fn kind(&self) -> ShowKind {
        match self {
            ShowOutput::IsakmpSa(_) => ShowKind::IsakmpSa,
            ShowOutput::IsakmpSaDetail(_) => ShowKind::IsakmpSaDetail,
            ShowOutput::Ikev2Sa(_) => ShowKind::Ikev2Sa,
            ShowOutput::Ikev2Session(_) => ShowKind::Ikev2Session,
            ShowOutput::Ikev2Proposal(_) => ShowKind::Ikev2Proposal,
            ShowOutput::Ikev2Policy(_) => ShowKind::Ikev2Policy,
            ShowOutput::IpsecProfile(_) => ShowKind::IpsecProfile,
            ShowOutput::IpsecSa(_) => ShowKind::IpsecSa,
            ShowOutput::CryptoSession(_) => ShowKind::CryptoSession,
            ShowOutput::CryptoMap(_) => ShowKind::CryptoMap,
            ShowOutput::IsakmpPolicy(_) => ShowKind::IsakmpPolicy,
            ShowOutput::Udp(_) => ShowKind::Udp,
            ShowOutput::IpRoute(_) => ShowKind::IpRoute,
            ShowOutput::IpInterfaceBrief(_) => ShowKind::IpInterfaceBrief,
            ShowOutput::Interfaces(_) => ShowKind::Interfaces,
            ShowOutput::Debug(_) => ShowKind::Debug,
        }
    }

    /// The lines the parser did not recognise.
    pub fn unparsed(&self) -> &Unparsed {
        match self {
            ShowOutput::IsakmpSa(o) => &o.unparsed,
            ShowOutput::IsakmpSaDetail(o) => &o.unparsed,
            ShowOutput::Ikev2Sa(o) => &o.unparsed,
            ShowOutput::Ikev2Session(o) => &o.unparsed,
            ShowOutput::Ikev2Proposal(o) => &o.unparsed,
            ShowOutput::Ikev2Policy(o) => &o.unparsed,
            ShowOutput::IpsecProfile(o) => &o.unparsed,
            ShowOutput::IpsecSa(o) => &o.unparsed,
            ShowOutput::CryptoSession(o) => &o.unparsed,
            ShowOutput::CryptoMap(o) => &o.unparsed,
            ShowOutput::IsakmpPolicy(o) => &o.unparsed,
            ShowOutput::Udp(o) => &o.unparsed,
            ShowOutput::IpRoute(o) => &o.unparsed,
            ShowOutput::IpInterfaceBrief(o) => &o.unparsed,
            ShowOutput::Interfaces(o) => &o.unparsed,
            ShowOutput::Debug(o) => &o.unparsed,
        }
    }
}

/// Parses `text` as the output of a `kind` command. `None` only for `RunningConfig`, which
/// `crate::ios` owns.
pub fn parse(kind: ShowKind, text: &str) -> Option<ShowOutput> {
    Some(match kind {
        ShowKind::IsakmpSa => ShowOutput::IsakmpSa(isakmp_sa::parse(text)),
        ShowKind::IsakmpSaDetail => ShowOutput::IsakmpSaDetail(isakmp_sa::parse_detail(text)),
        ShowKind::Ikev2Sa => ShowOutput::Ikev2Sa(ikev2_sa::parse(text)),
        ShowKind::Ikev2Session => ShowOutput::Ikev2Session(ikev2_session::parse(text)),
        ShowKind::Ikev2Proposal => ShowOutput::Ikev2Proposal(ikev2_proposal::parse(text)),
        ShowKind::Ikev2Policy => ShowOutput::Ikev2Policy(ikev2_policy::parse(text)),
        ShowKind::IpsecProfile => ShowOutput::IpsecProfile(ipsec_profile::parse(text)),
        ShowKind::IpsecSa => ShowOutput::IpsecSa(ipsec_sa::parse(text)),
        ShowKind::CryptoSession => ShowOutput::CryptoSession(crypto_session::parse(text)),
        ShowKind::CryptoMap => ShowOutput::CryptoMap(crypto_map::parse(text)),
        ShowKind::IsakmpPolicy => ShowOutput::IsakmpPolicy(isakmp_policy::parse(text)),
        ShowKind::Udp => ShowOutput::Udp(udp::parse(text)),
        ShowKind::IpRoute => ShowOutput::IpRoute(ip_route::parse(text)),
        ShowKind::IpInterfaceBrief => ShowOutput::IpInterfaceBrief(ip_interface_brief::parse(text)),
        ShowKind::Interfaces => ShowOutput::Interfaces(interfaces::parse(text)),
        ShowKind::Debug => ShowOutput::Debug(debug::parse(text)),
        ShowKind::RunningConfig => return None,
    })
}

/// What may follow a command's keywords without changing the output's format.
#[derive(Clone, Copy)]
enum Tail {
    /// Nothing: `show crypto isakmp policy`.
    Nothing,
    /// These options, each keyword with or without one argument (`peer 10.1.1.2`, `detail`).
    Options(&'static [(&'static str, bool)]),
    /// Anything (`show running-config all`, `… crypto`).
    Anything,
    /// Nothing, or one interface name (`Tunnel0`, `Gi0/0/0`): `show interfaces summary` and
    /// its other keywords print other layouts.
    Interface,
}

/// The command tree, as data: keywords in full, the kind, what may follow.
/// `show ip route 10.0.0.0` and `show crypto session brief` print other formats, so their
/// tails are listed rather than open.
const COMMANDS: &[(&[&str], ShowKind, Tail)] = &[
    (
        &["show", "crypto", "isakmp", "sa"],
        ShowKind::IsakmpSa,
        Tail::Nothing,
    ),
    (
        &["show", "crypto", "isakmp", "sa", "detail"],
        ShowKind::IsakmpSaDetail,
        Tail::Nothing,
    ),
    (
        &["show", "crypto", "isakmp", "policy"],
        ShowKind::IsakmpPolicy,
        Tail::Nothing,
    ),
    (
        &["show", "crypto", "isakmp", "default", "policy"],
        ShowKind::IsakmpPolicy,
        Tail::Nothing,
    ),
    (
        &["show", "crypto", "ikev2", "sa"],
        ShowKind::Ikev2Sa,
        Tail::Options(&[
            ("detailed", false),
            ("local", true),
            ("remote", true),
            ("fvrf", true),
            ("ivrf", true),
        ]),
    ),
    (
        &["show", "crypto", "ikev2", "session"],
        ShowKind::Ikev2Session,
        Tail::Options(&[("detailed", false), ("remote", true), ("local", true)]),
    ),
    (
        &["show", "crypto", "ikev2", "proposal"],
        ShowKind::Ikev2Proposal,
        // A name may follow: the same layout for that one.
        Tail::Anything,
    ),
    (
        &["show", "crypto", "ikev2", "policy"],
        ShowKind::Ikev2Policy,
        // A name may follow: the same layout for that one.
        Tail::Anything,
    ),
    (
        &["show", "crypto", "ipsec", "profile"],
        ShowKind::IpsecProfile,
        // A name may follow: the same layout for that one.
        Tail::Anything,
    ),
    (
        &["show", "crypto", "ipsec", "sa"],
        ShowKind::IpsecSa,
        Tail::Options(&[
            ("detail", false),
            ("peer", true),
            ("interface", true),
            ("map", true),
            ("vrf", true),
        ]),
    ),
    (
        &["show", "crypto", "session"],
        ShowKind::CryptoSession,
        Tail::Options(&[
            ("detail", false),
            ("remote", true),
            ("local", true),
            ("interface", true),
            ("fvrf", true),
            ("ivrf", true),
        ]),
    ),
    (
        &["show", "crypto", "map"],
        ShowKind::CryptoMap,
        Tail::Options(&[("tag", true), ("interface", true)]),
    ),
    (&["show", "udp"], ShowKind::Udp, Tail::Nothing),
    (
        &["show", "ip", "route"],
        ShowKind::IpRoute,
        Tail::Options(&[("vrf", true), ("static", false), ("connected", false)]),
    ),
    (
        &["show", "ip", "interface", "brief"],
        ShowKind::IpInterfaceBrief,
        Tail::Nothing,
    ),
    (&["show", "debugging"], ShowKind::Debug, Tail::Nothing),
    (
        &["show", "interfaces"],
        ShowKind::Interfaces,
        Tail::Interface,
    ),
    (
        &["show", "running-config"],
        ShowKind::RunningConfig,
        Tail::Anything,
    ),
];

/// Keywords IOS has beside ours at the same level, so an abbreviation that is ambiguous on a
/// router (`show c`, `show crypto i`) is not taken as ours.
const SIBLINGS: &[(&[&str], &[&str])] = &[
    (
        &["show"],
        &[
            "clock",
            "controllers",
            "cdp",
            "ipv6",
            "users",
            "running-config",
            "run",
            "debugging",
            "dhcp",
        ],
    ),
    (
        &["show", "crypto"],
        &[
            "ipsec",
            "isakmp",
            "ca",
            "call",
            "ctcp",
            "debug-condition",
            "dynamic-map",
            "eli",
            "engine",
            "gdoi",
            "key",
            "mib",
            "pki",
            "route",
            "socket",
        ],
    ),
    (
        &["show", "crypto", "isakmp"],
        &["diagnose", "key", "peers", "profile", "stats"],
    ),
    (
        &["show", "crypto", "ikev2"],
        &[
            "authorization",
            "certificate-cache",
            "cluster",
            "diagnose",
            "profile",
            "stats",
        ],
    ),
    (
        &["show", "crypto", "ipsec"],
        &[
            "client",
            "policy",
            "security-association",
            "spi-lookup",
            "transform-set",
        ],
    ),
    (
        &["show", "ip"],
        &[
            "interface",
            "igmp",
            "inspect",
            "rip",
            "ospf",
            "bgp",
            "eigrp",
            "nat",
            "access-lists",
            "arp",
            "cef",
            "route",
            "dhcp",
        ],
    ),
];

/// Expands `word` against the keywords valid after `path`: unique prefix wins.
fn expand(path: &[&str], word: &str) -> Option<&'static str> {
    let ours = COMMANDS
        .iter()
        .filter(|(kw, _, _)| kw.len() > path.len() && kw[..path.len()] == *path)
        .map(|(kw, _, _)| kw[path.len()]);
    let theirs = SIBLINGS
        .iter()
        .filter(|(p, _)| *p == path)
        .flat_map(|(_, s)| s.iter().copied());
    // The keywords the word abbreviates, without collecting them: one, or else the one it
    // spells in full (a word typed in full is never ambiguous: `sa` beside `sa-xyz`).
    let (mut only, mut several, mut exact) = (None, false, None);
    for k in ours.chain(theirs).filter(|k| k.starts_with(word)) {
        if k == word {
            exact = Some(k);
        }
        match only {
            None => only = Some(k),
            Some(o) if o != k => several = true,
            Some(_) => {}
        }
    }
    if several { exact } else { only }
}

fn tail_ok(tail: Tail, rest: &[String]) -> bool {
    match tail {
        Tail::Anything => true,
        Tail::Nothing => rest.is_empty(),
        Tail::Interface => match rest {
            [] => true,
            [name] => name.contains(|c: char| c.is_ascii_digit()),
            // `show interfaces tunnel 0`
            [kind, number] => {
                kind.starts_with(|c: char| c.is_ascii_alphabetic())
                    && number.starts_with(|c: char| c.is_ascii_digit())
            }
            _ => false,
        },
        Tail::Options(opts) => {
            let mut i = 0;
            while i < rest.len() {
                let word = rest[i].as_str();
                let hits: Vec<_> = opts.iter().filter(|(k, _)| k.starts_with(word)).collect();
                let Some((_, takes_arg)) = (match hits.as_slice() {
                    [one] => Some(*one),
                    _ => hits.iter().copied().find(|(k, _)| *k == word),
                }) else {
                    return false;
                };
                i += if *takes_arg { 2 } else { 1 };
            }
            i == rest.len()
        }
    }
}

/// Classifies a command as typed on a router: `sh cry isa sa`, `show ip int br`,
/// `sh run | sec crypto`. The `|` filter is ignored; `None` for anything else.
pub fn classify(command: &str) -> Option<ShowKind> {
    let before_pipe = command.split('|').next().unwrap_or("");
    let mut words: Vec<String> = before_pipe
        .split_whitespace()
        .map(str::to_ascii_lowercase)
        .collect();
    // `do show …` from configuration mode.
    if words.first().is_some_and(|w| w == "do") {
        words.remove(0);
    }
    let mut path: Vec<&'static str> = Vec::new();
    let mut consumed = 0;
    let mut best: Option<(ShowKind, Tail, usize)> = None;
    for word in &words {
        let Some(kw) = expand(&path, word) else { break };
        // `run` is IOS's own alias for `running-config`.
        let kw = if kw == "run" { "running-config" } else { kw };
        path.push(kw);
        consumed += 1;
        if let Some((_, kind, tail)) = COMMANDS.iter().find(|(k, _, _)| *k == path.as_slice()) {
            best = Some((*kind, *tail, consumed));
        }
    }
    let (kind, tail, used) = best?;
    tail_ok(tail, &words[used..]).then_some(kind)
}

/// The first line of a show output, and the command that prints it: engineers paste output
/// without the command line (or with a typo in it), and a TAC engineer still knows it by its
/// header. Each row: the text the line starts with (after leading blanks), words it must also
/// hold, and the command.
const HEADERS: &[(&str, &[&str], &str)] = &[
    (
        "Crypto session current status",
        &[],
        "show crypto session detail",
    ),
    ("IPv4 Crypto ISAKMP SA", &[], "show crypto isakmp sa"),
    // A session table pasted without its title line starts with the legend.
    (
        "Code: C - IKE Configuration mode",
        &[],
        "show crypto session detail",
    ),
    ("IPv4 Crypto IKEv2", &["SA"], "show crypto ikev2 sa"),
    (
        "IPv4 Crypto IKEv2",
        &["Session"],
        "show crypto ikev2 session",
    ),
    ("IKEv2 proposal", &[], "show crypto ikev2 proposal"),
    ("IKEv2 policy", &[], "show crypto ikev2 policy"),
    ("IPSEC profile ", &[], "show crypto ipsec profile"),
    (
        "dst ",
        &["src", "state", "conn-id"],
        "show crypto isakmp sa",
    ),
    (
        "C-id ",
        &["Local", "Remote", "Status"],
        "show crypto isakmp sa detail",
    ),
    ("interface: ", &[], "show crypto ipsec sa"),
    ("Global IKE policy", &[], "show crypto isakmp policy"),
    (
        "Protection suite of priority",
        &[],
        "show crypto isakmp policy",
    ),
    ("Crypto Map ", &["ipsec-isakmp"], "show crypto map"),
    (
        "Interface ",
        &["IP-Address", "OK?"],
        "show ip interface brief",
    ),
    ("Codes: L - local", &["connected"], "show ip route"),
    ("Building configuration", &[], "show running-config"),
    ("Current configuration :", &[], "show running-config"),
];

/// The rows of [`HEADERS`] by the first byte of their text, in table order: every line of a
/// long capture is sniffed, and most start with a byte no header starts with.
static HEADERS_BY_FIRST: std::sync::LazyLock<[Vec<usize>; 256]> = std::sync::LazyLock::new(|| {
    let mut by_first: [Vec<usize>; 256] = std::array::from_fn(|_| Vec::new());
    for (i, (start, _, _)) in HEADERS.iter().enumerate() {
        if let Some(&b) = start.as_bytes().first() {
            by_first[usize::from(b)].push(i);
        }
    }
    by_first
});

/// The command whose output `line` starts, when it is a show header (see [`HEADERS`]).
pub fn sniff(line: &str) -> Option<&'static str> {
    let t = line.trim_start();
    let b = t.as_bytes();
    let rows = HEADERS_BY_FIRST.get(usize::from(*b.first()?))?;
    rows.iter()
        .map(|&i| &HEADERS[i])
        // The second byte first: `ISAKMP…` and `IPSEC(…` lines share only the first with a
        // header, and comparing one byte is cheaper than a call to compare many.
        .filter(|(start, _, _)| start.as_bytes().get(1).is_none_or(|c| b.get(1) == Some(c)))
        .find(|(start, words, _)| t.starts_with(start) && words.iter().all(|w| t.contains(w)))
        .map(|(_, _, cmd)| *cmd)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_name_their_command() {
        for (line, want) in [
            (
                "Crypto session current status",
                Some(ShowKind::CryptoSession),
            ),
            (
                "dst             src             state          conn-id status",
                Some(ShowKind::IsakmpSa),
            ),
            (
                "dst             src             state           conn-id    slot",
                Some(ShowKind::IsakmpSa),
            ),
            ("interface: GigabitEthernet0/0", Some(ShowKind::IpsecSa)),
            (
                "Interface                  IP-Address      OK? Method Status                Protocol",
                Some(ShowKind::IpInterfaceBrief),
            ),
            (
                "Crypto Map \"VPN\" 10 ipsec-isakmp",
                Some(ShowKind::CryptoMap),
            ),
            ("Interface: Tunnel1201", None),
            ("ISAKMP:(0): beginning Main Mode exchange", None),
        ] {
            assert_eq!(sniff(line).and_then(classify), want, "{line}");
        }
    }

    #[test]
    fn abbreviations() {
        let cases: &[(&str, Option<ShowKind>)] = &[
            ("sh cry isa sa", Some(ShowKind::IsakmpSa)),
            ("show crypto isakmp sa", Some(ShowKind::IsakmpSa)),
            ("sh cry isa sa det", Some(ShowKind::IsakmpSaDetail)),
            ("sh crypto ipsec sa", Some(ShowKind::IpsecSa)),
            ("sh cry ips sa detail", Some(ShowKind::IpsecSa)),
            ("sh cry ipsec sa peer 10.1.1.2", Some(ShowKind::IpsecSa)),
            ("show ip int br", Some(ShowKind::IpInterfaceBrief)),
            (
                "sh ip int brief | ex unass",
                Some(ShowKind::IpInterfaceBrief),
            ),
            ("sh run | sec crypto", Some(ShowKind::RunningConfig)),
            (
                "show running-config | include crypto",
                Some(ShowKind::RunningConfig),
            ),
            ("sh crypto isakmp pol", Some(ShowKind::IsakmpPolicy)),
            (
                "show crypto isakmp default policy",
                Some(ShowKind::IsakmpPolicy),
            ),
            ("sh deb", Some(ShowKind::Debug)),
            ("show debugging", Some(ShowKind::Debug)),
            ("sh cry sess det", Some(ShowKind::CryptoSession)),
            ("sh crypto map", Some(ShowKind::CryptoMap)),
            ("sh udp", Some(ShowKind::Udp)),
            ("sh ip ro", Some(ShowKind::IpRoute)),
            ("SHOW IP ROUTE", Some(ShowKind::IpRoute)),
            ("do sh ip route vrf RED", Some(ShowKind::IpRoute)),
            ("sh cry ikev2 sa", Some(ShowKind::Ikev2Sa)),
            ("show crypto ikev2 sa detailed", Some(ShowKind::Ikev2Sa)),
            ("sh cry ikev2 sess det", Some(ShowKind::Ikev2Session)),
            ("sh cry ikev2 prop", Some(ShowKind::Ikev2Proposal)),
            (
                "show crypto ikev2 policy POL-1",
                Some(ShowKind::Ikev2Policy),
            ),
            ("sh cry ipsec prof", Some(ShowKind::IpsecProfile)),
            ("sh int Tunnel0", Some(ShowKind::Interfaces)),
            ("show interfaces tunnel 0", Some(ShowKind::Interfaces)),
            ("show interfaces", Some(ShowKind::Interfaces)),
            // Other layouts under the same keywords.
            ("show interfaces summary", None),
            ("sh cry ikev2 stats", None),
            ("sh cry ikev2 profile", None),
        ];
        for (cmd, want) in cases {
            assert_eq!(classify(cmd), *want, "{cmd}");
        }
    }

    #[test]
    fn other_commands_and_other_formats() {
        for cmd in [
            "",
            "show",
            "show ip interface",
            "show ip route 10.1.1.0",
            "show crypto session brief",
            "show crypto isakmp",
            "sh cry i sa",
            "show c",
            "show version",
            "show crypto isakmp sa detail extra",
            "ping 10.1.1.1",
            "|",
        ] {
            assert_eq!(classify(cmd), None, "{cmd}");
        }
    }

    #[test]
    fn parse_dispatches() {
        assert!(parse(ShowKind::RunningConfig, "crypto isakmp policy 10").is_none());
        let out = parse(ShowKind::Udp, "junk\n");
        assert!(matches!(out, Some(ShowOutput::Udp(_))));
        assert_eq!(out.map(|o| o.unparsed().len()), Some(1));
    }

    const KINDS: [ShowKind; 10] = [
        ShowKind::IsakmpSa,
        ShowKind::IsakmpSaDetail,
        ShowKind::IpsecSa,
        ShowKind::CryptoSession,
        ShowKind::CryptoMap,
        ShowKind::IsakmpPolicy,
        ShowKind::Udp,
        ShowKind::IpRoute,
        ShowKind::IpInterfaceBrief,
        ShowKind::Debug,
    ];

    proptest::proptest! {
        // Any text, including fragments of real lines glued together: no parser panics, and
        // every unparsed entry points at a real, non-blank line.
        #[test]
        fn parsers_never_panic(
            lines in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::string::string_regex("[ -~\\t]{0,60}").unwrap(),
                    proptest::string::string_regex(
                        "( {0,8})(spi: 0x[0-9A-F]{0,12}\\(\\d{0,12}\\)|#pkts [a-z]{1,8}: \\d{1,25}|\\d{1,6} [0-9.:]{1,15} [0-9.:]{1,15} [A-Z_]{1,12} \\d{1,25} \\d{0,3}|Interface: \\S{1,8}|Peer: \\S{1,10} port \\d{1,7}|Crypto Map \"[a-z]{1,4}\" \\d{1,12}|[SCLO*]{1,3} +\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}(/\\d{1,3})? .{0,20})"
                    ).unwrap(),
                ],
                0..30,
            )
        ) {
            let text = lines.join("\n");
            let count = text.lines().count();
            for kind in KINDS {
                let out = parse(kind, &text);
                let Some(out) = out else { continue };
                for (n, line) in out.unparsed() {
                    proptest::prop_assert!(*n < count);
                    proptest::prop_assert!(!line.trim().is_empty());
                }
            }
        }
    }
}
