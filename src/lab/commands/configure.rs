//! Configuration mode: `configure terminal`, the commands the scenarios are made of and their
//! `no` forms, the sub-modes with IOS's prompts (`R1(config-isakmp)#` …), `exit`, `end`,
//! Ctrl-Z and `do`.
//!
//! Every command is a row: its syntax (the exec table's notation, keywords abbreviable) and
//! the edit it makes to the running-config ([`crate::lab::running`]). A line is stored the way
//! IOS prints it: keywords in full, defaults left out. Before it is stored it is read by the
//! IOS model (`crate::ios::parse`), so a value the model would not understand (`hash sha257`,
//! `permit ipx`) is refused with the caret under it, and what the lab stores the IKE model
//! always reads. A command no row knows is refused the same way: the lab does not model it.

use crate::lab::cli::grammar::{self, Args, Level, Reject, Syntax, Token, tokenize};
use crate::lab::commands::ping::interface_name;
use crate::lab::router::Router;
use crate::lab::running::{Running, SECTIONS, Scope};

/// The sub-modes a configuration command can open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sub {
    Isakmp,
    CryptoMap,
    TransformSet,
    ExtAcl,
    StdAcl,
    Interface,
    Keyring,
    Ikev2Proposal,
    Ikev2Policy,
    Ikev2Profile,
    IpsecProfile,
    IsakmpProfile,
}

impl Sub {
    /// The word IOS puts in the prompt: `R1(config-isakmp)#`.
    pub fn prompt(self) -> &'static str {
        match self {
            Sub::Isakmp => "config-isakmp",
            Sub::CryptoMap => "config-crypto-map",
            Sub::TransformSet => "cfg-crypto-trans",
            Sub::ExtAcl => "config-ext-nacl",
            Sub::StdAcl => "config-std-nacl",
            Sub::Interface => "config-if",
            Sub::Keyring => "conf-keyring",
            Sub::Ikev2Proposal => "config-ikev2-proposal",
            Sub::Ikev2Policy => "config-ikev2-policy",
            Sub::Ikev2Profile => "config-ikev2-profile",
            Sub::IpsecProfile => "ipsec-profile",
            Sub::IsakmpProfile => "conf-isa-prof",
        }
    }

    fn table(self) -> &'static [Syntax<Cmd>] {
        match self {
            Sub::Isakmp => &ISAKMP,
            Sub::CryptoMap => &CRYPTO_MAP,
            Sub::TransformSet => &TRANSFORM_SET,
            Sub::ExtAcl | Sub::StdAcl => &ACL,
            Sub::Interface => &INTERFACE,
            Sub::Keyring => &KEYRING,
            Sub::Ikev2Proposal => &IKEV2_PROPOSAL,
            Sub::Ikev2Policy => &IKEV2_POLICY,
            Sub::Ikev2Profile => &IKEV2_PROFILE,
            Sub::IpsecProfile => &IPSEC_PROFILE,
            Sub::IsakmpProfile => &ISAKMP_PROFILE,
        }
    }

    /// The order IOS prints the lines of this block in.
    fn order(self) -> &'static [&'static str] {
        match self {
            Sub::Isakmp => &["encr", "hash", "authentication", "group", "lifetime"],
            Sub::CryptoMap => &[
                "description",
                "set peer",
                "set security-association",
                "set transform-set",
                "set pfs",
                "match address",
                "reverse-route",
            ],
            Sub::Interface => &[
                "description",
                "ip address",
                "no ip address",
                "shutdown",
                "duplex",
                "speed",
                "media-type",
                "negotiation",
                "ip unnumbered",
                "tunnel source",
                "tunnel mode",
                "tunnel destination",
                "tunnel protection",
                "crypto map",
            ],
            Sub::Ikev2Proposal => &["encryption", "integrity", "prf", "group"],
            Sub::Ikev2Policy => &["match fvrf", "match address local", "proposal"],
            Sub::Ikev2Profile => &[
                "description",
                "match fvrf",
                "match address local",
                "match identity remote",
                "identity local",
                "authentication remote",
                "authentication local",
                "keyring local",
                "lifetime",
                "dpd",
            ],
            Sub::IpsecProfile => &[
                "description",
                "set security-association",
                "set transform-set",
                "set pfs",
                "set isakmp-profile",
                "set ikev2-profile",
                "responder-only",
            ],
            Sub::IsakmpProfile => &["description", "keyring", "match identity", "local-address"],
            _ => &[],
        }
    }
}

/// Where a configuration session is: global configuration, or inside the block of `parent`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigMode {
    pub sub: Option<(Sub, String)>,
}

impl ConfigMode {
    /// What follows the hostname in the prompt: `(config)#`, `(config-if)#` …
    pub fn prompt_suffix(&self) -> String {
        match &self.sub {
            None => "(config)#".to_string(),
            Some((sub, _)) => format!("({})#", sub.prompt()),
        }
    }
}

/// Which existing lines a command stands for: the line it replaces, the lines `no` removes.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Same {
    Exact(String),
    /// The line is these words or starts with them and a blank.
    Words(String),
    /// `crypto isakmp key … address A [M]` / `pre-shared-key address A [M] key …`: the key
    /// changes, the address stays.
    KeyFor(String),
    /// An interface's primary address (or its `no ip address`).
    PrimaryAddress,
}

impl Same {
    fn picks(&self, line: &str) -> bool {
        match self {
            Same::Exact(l) => line == l,
            Same::Words(w) => starts_with_words(line, w),
            Same::KeyFor(addr) => {
                let isakmp = line.starts_with("crypto isakmp key ")
                    && line
                        .split_once(" address ")
                        .is_some_and(|(_, rest)| strip_no_xauth(rest) == addr);
                let ring = line
                    .strip_prefix("pre-shared-key address ")
                    .and_then(|rest| rest.split_once(" key "))
                    .is_some_and(|(a, _)| a == addr);
                isakmp || ring
            }
            Same::PrimaryAddress => {
                line == "no ip address"
                    || (line.starts_with("ip address ") && !line.ends_with(" secondary"))
            }
        }
    }
}

fn strip_no_xauth(rest: &str) -> &str {
    rest.strip_suffix(" no-xauth").unwrap_or(rest)
}

fn starts_with_words(line: &str, words: &str) -> bool {
    line == words || line.strip_prefix(words).is_some_and(|r| r.starts_with(' '))
}

/// What one configuration line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Edit {
    /// Store `line`, replacing the lines `same` picks.
    Set {
        line: String,
        same: Same,
    },
    /// Add `line` after the last line `after` picks (an access list's next entry).
    Append {
        line: String,
        after: Same,
    },
    /// An access-list entry with a sequence number: at its place among the entries.
    Sequenced {
        seq: u32,
        line: String,
    },
    /// Remove the entry with this sequence number.
    RemoveSequence(u32),
    Remove(Same),
    /// Open (creating if needed) the block of `line` and enter `sub`.
    Enter {
        sub: Sub,
        line: String,
        same: Same,
    },
    End,
    Exit,
    /// `do show …`: an EXEC command from configuration mode.
    Do(String),
}

/// A matched line: the edit, and where each word was typed (for a caret under a value the
/// IOS model refuses).
#[derive(Debug, Clone)]
pub struct Cmd {
    edit: Edit,
    words: Vec<String>,
    columns: Vec<usize>,
}

fn cmd(a: &Args<'_>, edit: Edit) -> Result<Cmd, Reject> {
    Ok(Cmd {
        edit,
        words: a.words.clone(),
        columns: a.columns.clone(),
    })
}

fn line(a: &Args<'_>) -> String {
    a.words.join(" ")
}

/// The words after the first `n` (`no crypto map VPN` → `crypto map VPN`).
fn tail(a: &Args<'_>, n: usize) -> String {
    a.words.get(n..).unwrap_or_default().join(" ")
}

fn set_words(a: &Args<'_>, n: usize) -> Result<Cmd, Reject> {
    let same = Same::Words(a.words.get(..n).unwrap_or_default().join(" "));
    cmd(
        a,
        Edit::Set {
            line: line(a),
            same,
        },
    )
}

fn set_exact(a: &Args<'_>) -> Result<Cmd, Reject> {
    cmd(
        a,
        Edit::Set {
            line: line(a),
            same: Same::Exact(line(a)),
        },
    )
}

/// `no X …`: removes the lines starting with the words after `no` (the first `n` of them).
fn remove_words(a: &Args<'_>, n: usize) -> Result<Cmd, Reject> {
    let words = a.words.get(1..=n).unwrap_or_default().join(" ");
    cmd(a, Edit::Remove(Same::Words(words)))
}

fn enter(a: &Args<'_>, sub: Sub) -> Result<Cmd, Reject> {
    cmd(
        a,
        Edit::Enter {
            sub,
            line: line(a),
            same: Same::Exact(line(a)),
        },
    )
}

fn need_rest(a: &Args<'_>) -> Result<(), Reject> {
    if a.rest.is_empty() {
        Err(Reject::Incomplete)
    } else {
        Ok(())
    }
}

/// A setting whose IOS default `show running-config` leaves out: storing the default is
/// removing the line.
fn set_or_default(a: &Args<'_>, word: &str, default: &str) -> Result<Cmd, Reject> {
    let value = tail(a, 1);
    let stored = format!("{word} {value}");
    if value == default {
        return cmd(a, Edit::Remove(Same::Words(word.to_string())));
    }
    cmd(
        a,
        Edit::Set {
            line: stored,
            same: Same::Words(word.to_string()),
        },
    )
}

const fn row(pattern: &'static str, build: fn(&Args<'_>) -> Result<Cmd, Reject>) -> Syntax<Cmd> {
    Syntax {
        pattern,
        level: Level::Privileged,
        build,
    }
}

/// Rows every mode shares.
macro_rules! common_rows {
    () => {
        [
            row("end", |a| cmd(a, Edit::End)),
            row("exit", |a| cmd(a, Edit::Exit)),
            row("do ...", |a| {
                need_rest(a)?;
                cmd(a, Edit::Do(tail(a, 1)))
            }),
        ]
    };
}

/// What a crypto map entry and an IPsec profile both set on IOS, with the same words: the
/// transform sets, PFS and the SA lifetimes.
macro_rules! ipsec_sa_rows {
    () => {
        [
            row("set transform-set ...", |a| {
                need_rest(a)?;
                set_words(a, 2)
            }),
            row("no set transform-set ...", |a| remove_words(a, 2)),
            row("set pfs", |a| set_words(a, 2)),
            row("set pfs WORD", |a| set_words(a, 2)),
            row("no set pfs ...", |a| remove_words(a, 2)),
            row(
                "set security-association lifetime seconds <120-86400>",
                |a| set_words(a, 4),
            ),
            row(
                "set security-association lifetime kilobytes <2560-4294967295>",
                |a| set_words(a, 4),
            ),
            row("no set security-association lifetime seconds ...", |a| {
                remove_words(a, 4)
            }),
            row("no set security-association lifetime kilobytes ...", |a| {
                remove_words(a, 4)
            }),
        ]
    };
}

const fn concat<const A: usize, const B: usize, const N: usize>(
    a: [Syntax<Cmd>; A],
    b: [Syntax<Cmd>; B],
) -> [Syntax<Cmd>; N] {
    assert!(A + B == N, "a table's length must be the rows it holds");
    let mut out = [const {
        Syntax {
            pattern: "",
            level: Level::Privileged,
            build: |_| Err(Reject::Incomplete),
        }
    }; N];
    let mut i = 0;
    while i < A {
        out[i] = Syntax {
            pattern: a[i].pattern,
            level: a[i].level,
            build: a[i].build,
        };
        i += 1;
    }
    let mut j = 0;
    while j < B {
        out[A + j] = Syntax {
            pattern: b[j].pattern,
            level: b[j].level,
            build: b[j].build,
        };
        j += 1;
    }
    out
}

/// Global configuration.
static GLOBAL: [Syntax<Cmd>; 52] = concat(
    common_rows!(),
    [
        row("hostname WORD", |a| set_words(a, 1)),
        row("no hostname ...", |a| {
            cmd(
                a,
                Edit::Set {
                    line: "hostname Router".into(),
                    same: Same::Words("hostname".into()),
                },
            )
        }),
        row("crypto isakmp policy <1-10000>", |a| enter(a, Sub::Isakmp)),
        row("no crypto isakmp policy <1-10000>", |a| {
            cmd(a, Edit::Remove(Same::Exact(tail(a, 1))))
        }),
        row("crypto isakmp key WORD address A.B.C.D ...", isakmp_key),
        row(
            "crypto isakmp key <0-6> WORD address A.B.C.D ...",
            isakmp_key,
        ),
        row("no crypto isakmp key WORD address A.B.C.D ...", isakmp_key),
        row(
            "no crypto isakmp key <0-6> WORD address A.B.C.D ...",
            isakmp_key,
        ),
        row("crypto isakmp enable", |a| {
            cmd(a, Edit::Remove(Same::Words("no crypto isakmp".into())))
        }),
        row("no crypto isakmp", isakmp_off),
        row("no crypto isakmp enable", isakmp_off),
        row("crypto ipsec transform-set WORD ...", |a| {
            need_rest(a)?;
            cmd(
                a,
                Edit::Enter {
                    sub: Sub::TransformSet,
                    line: line(a),
                    same: Same::Words(a.words[..4].join(" ")),
                },
            )
        }),
        row("no crypto ipsec transform-set WORD", |a| remove_words(a, 4)),
        row(
            "crypto ipsec security-association lifetime seconds <120-86400>",
            |a| set_words(a, 5),
        ),
        row(
            "crypto ipsec security-association lifetime kilobytes <2560-4294967295>",
            |a| set_words(a, 5),
        ),
        row(
            "no crypto ipsec security-association lifetime seconds ...",
            |a| remove_words(a, 5),
        ),
        row(
            "no crypto ipsec security-association lifetime kilobytes ...",
            |a| remove_words(a, 5),
        ),
        row("crypto map WORD <1-65535>", crypto_map_entry),
        row("crypto map WORD <1-65535> ipsec-isakmp", crypto_map_entry),
        row("crypto map WORD <1-65535> ipsec-isakmp dynamic WORD", |a| {
            set_words(a, 4)
        }),
        row("crypto map WORD local-address WORD ...", |a| {
            let name = interface_name(a.values[1], a.rest.first().map(|t| t.text)).ok_or(
                Reject::Invalid {
                    column: a.columns[4],
                },
            )?;
            let stored = format!("crypto map {} local-address {name}", a.values[0]);
            cmd(
                a,
                Edit::Set {
                    line: stored,
                    same: Same::Words(a.words[..4].join(" ")),
                },
            )
        }),
        row("no crypto map WORD", |a| remove_words(a, 3)),
        row("no crypto map WORD <1-65535> ...", |a| remove_words(a, 4)),
        row("crypto dynamic-map WORD <1-65535>", |a| {
            enter(a, Sub::CryptoMap)
        }),
        row("no crypto dynamic-map WORD <1-65535>", |a| {
            remove_words(a, 4)
        }),
        row("crypto keyring WORD", |a| enter(a, Sub::Keyring)),
        row("no crypto keyring WORD", |a| remove_words(a, 3)),
        row("crypto ikev2 proposal WORD", |a| {
            enter(a, Sub::Ikev2Proposal)
        }),
        row("no crypto ikev2 proposal WORD", smart_default_off),
        row("crypto ikev2 policy WORD", |a| enter(a, Sub::Ikev2Policy)),
        row("no crypto ikev2 policy WORD", smart_default_off),
        row("crypto ikev2 profile WORD", |a| enter(a, Sub::Ikev2Profile)),
        row("no crypto ikev2 profile WORD", |a| remove_words(a, 4)),
        row("crypto ipsec profile WORD", |a| enter(a, Sub::IpsecProfile)),
        row("no crypto ipsec profile WORD", smart_default_off),
        row("crypto isakmp profile WORD", |a| {
            enter(a, Sub::IsakmpProfile)
        }),
        row("no crypto isakmp profile WORD", |a| remove_words(a, 4)),
        row("access-list <1-199> ...", numbered_acl),
        row("access-list <1300-2699> ...", numbered_acl),
        // IOS removes the whole list, whatever follows the number.
        row("no access-list <1-199> ...", |a| remove_words(a, 2)),
        row("no access-list <1300-2699> ...", |a| remove_words(a, 2)),
        row("ip access-list extended WORD", |a| enter(a, Sub::ExtAcl)),
        row("ip access-list standard WORD", |a| enter(a, Sub::StdAcl)),
        row("no ip access-list extended WORD", |a| remove_words(a, 4)),
        row("no ip access-list standard WORD", |a| remove_words(a, 4)),
        row("interface WORD ...", |a| {
            let name = interface_name(a.values[0], a.rest.first().map(|t| t.text)).ok_or(
                Reject::Invalid {
                    column: a.columns[1],
                },
            )?;
            let stored = format!("interface {name}");
            cmd(
                a,
                Edit::Enter {
                    sub: Sub::Interface,
                    line: stored.clone(),
                    same: Same::Exact(stored),
                },
            )
        }),
        row("no interface WORD ...", |a| {
            let name = interface_name(a.values[0], a.rest.first().map(|t| t.text))
                .filter(|n| n.starts_with("Loopback") || n.starts_with("Tunnel"))
                .ok_or(Reject::Invalid {
                    column: a.columns[2],
                })?;
            cmd(a, Edit::Remove(Same::Exact(format!("interface {name}"))))
        }),
        row("ip route A.B.C.D A.B.C.D ...", |a| {
            need_rest(a)?;
            set_exact(a)
        }),
        row("no ip route A.B.C.D A.B.C.D ...", |a| {
            cmd(a, Edit::Remove(Same::Words(tail(a, 1))))
        }),
    ],
);

fn isakmp_key(a: &Args<'_>) -> Result<Cmd, Reject> {
    let at = a
        .words
        .iter()
        .position(|w| w == "address")
        .ok_or(Reject::Incomplete)?;
    let addr = strip_no_xauth(&a.words[at + 1..].join(" ")).to_string();
    if a.words.first().is_some_and(|w| w == "no") {
        return cmd(a, Edit::Remove(Same::KeyFor(addr)));
    }
    cmd(
        a,
        Edit::Set {
            line: line(a),
            same: Same::KeyFor(addr),
        },
    )
}

fn isakmp_off(a: &Args<'_>) -> Result<Cmd, Reject> {
    cmd(
        a,
        Edit::Set {
            line: "no crypto isakmp".into(),
            same: Same::Words("no crypto isakmp".into()),
        },
    )
}

/// `no crypto ikev2 proposal|policy NAME`, `no crypto ipsec profile NAME`: a named block
/// goes; for the smart default `default` IOS keeps the `no` line, which removes it.
fn smart_default_off(a: &Args<'_>) -> Result<Cmd, Reject> {
    if a.values.first() == Some(&"default") {
        return set_exact(a);
    }
    remove_words(a, 4)
}

/// `tunnel source IF|A.B.C.D`: an interface name is stored in full.
fn tunnel_source(a: &Args<'_>) -> Result<Cmd, Reject> {
    let value = a.values[0];
    let stored = if value.parse::<std::net::Ipv4Addr>().is_ok() {
        value.to_string()
    } else {
        interface_name(value, a.rest.first().map(|t| t.text)).ok_or(Reject::Invalid {
            column: a.columns[2],
        })?
    };
    cmd(
        a,
        Edit::Set {
            line: format!("tunnel source {stored}"),
            same: Same::Words("tunnel source".into()),
        },
    )
}

/// `crypto map NAME SEQ [ipsec-isakmp]`: IOS stores the entry as ipsec-isakmp.
fn crypto_map_entry(a: &Args<'_>) -> Result<Cmd, Reject> {
    let head = a.words[..4].join(" ");
    cmd(
        a,
        Edit::Enter {
            sub: Sub::CryptoMap,
            line: format!("{head} ipsec-isakmp"),
            same: Same::Words(head),
        },
    )
}

fn numbered_acl(a: &Args<'_>) -> Result<Cmd, Reject> {
    need_rest(a)?;
    let list = a.words[..2].join(" ");
    cmd(
        a,
        Edit::Append {
            line: line(a),
            after: Same::Words(list),
        },
    )
}

static ISAKMP: [Syntax<Cmd>; 13] = concat(
    common_rows!(),
    [
        row("encryption ...", |a| {
            need_rest(a)?;
            set_or_default(a, "encr", "des")
        }),
        row("hash WORD", |a| set_or_default(a, "hash", "sha")),
        row("authentication WORD", |a| {
            set_or_default(a, "authentication", "rsa-sig")
        }),
        row("group <1-24>", |a| set_or_default(a, "group", "1")),
        row("lifetime <60-86400>", |a| {
            set_or_default(a, "lifetime", "86400")
        }),
        row("no encryption ...", |a| {
            cmd(a, Edit::Remove(Same::Words("encr".into())))
        }),
        row("no hash ...", |a| remove_words(a, 1)),
        row("no authentication ...", |a| remove_words(a, 1)),
        row("no group ...", |a| remove_words(a, 1)),
        row("no lifetime ...", |a| remove_words(a, 1)),
    ],
);

static TRANSFORM_SET: [Syntax<Cmd>; 6] = concat(
    common_rows!(),
    [
        row("mode tunnel", |a| set_words(a, 1)),
        row("mode transport", |a| set_words(a, 1)),
        row("no mode ...", |a| remove_words(a, 1)),
    ],
);

static CRYPTO_MAP: [Syntax<Cmd>; 23] = concat(
    concat::<3, 9, 12>(common_rows!(), ipsec_sa_rows!()),
    [
        row("set peer A.B.C.D", |a| {
            cmd(
                a,
                Edit::Append {
                    line: line(a),
                    after: Same::Words("set peer".into()),
                },
            )
        }),
        row("no set peer A.B.C.D", |a| {
            cmd(a, Edit::Remove(Same::Exact(tail(a, 1))))
        }),
        row("match address WORD", |a| set_words(a, 2)),
        row("no match address ...", |a| remove_words(a, 2)),
        row("description ...", |a| {
            need_rest(a)?;
            set_words(a, 1)
        }),
        row("no description ...", |a| remove_words(a, 1)),
        row("reverse-route", |a| set_words(a, 1)),
        row("no reverse-route", |a| remove_words(a, 1)),
        row("set isakmp-profile WORD", |a| set_words(a, 2)),
        row("set ikev2-profile WORD", |a| set_words(a, 2)),
        row("no set ikev2-profile ...", |a| remove_words(a, 2)),
    ],
);

static INTERFACE: [Syntax<Cmd>; 25] = concat(
    common_rows!(),
    [
        row("ip address A.B.C.D A.B.C.D", |a| {
            cmd(
                a,
                Edit::Set {
                    line: line(a),
                    same: Same::PrimaryAddress,
                },
            )
        }),
        row("ip address A.B.C.D A.B.C.D secondary", set_exact),
        row("no ip address ...", |a| {
            cmd(
                a,
                Edit::Set {
                    line: "no ip address".into(),
                    same: Same::Words("ip address".into()),
                },
            )
        }),
        row("shutdown", set_exact),
        row("no shutdown", |a| remove_words(a, 1)),
        row("crypto map WORD", |a| set_words(a, 2)),
        row("no crypto map ...", |a| remove_words(a, 2)),
        row("description ...", |a| {
            need_rest(a)?;
            set_words(a, 1)
        }),
        row("no description ...", |a| remove_words(a, 1)),
        row("negotiation auto", set_exact),
        row("no negotiation auto", |a| remove_words(a, 2)),
        row("ip unnumbered WORD ...", |a| {
            let name = interface_name(a.values[0], a.rest.first().map(|t| t.text)).ok_or(
                Reject::Invalid {
                    column: a.columns[2],
                },
            )?;
            cmd(
                a,
                Edit::Set {
                    line: format!("ip unnumbered {name}"),
                    same: Same::Words("ip unnumbered".into()),
                },
            )
        }),
        row("no ip unnumbered ...", |a| remove_words(a, 2)),
        row("tunnel source WORD ...", tunnel_source),
        row("no tunnel source ...", |a| remove_words(a, 2)),
        row("tunnel destination A.B.C.D", |a| set_words(a, 2)),
        row("no tunnel destination ...", |a| remove_words(a, 2)),
        row("tunnel mode ipsec ipv4", |a| set_words(a, 2)),
        // `gre ip` is the default: show running-config leaves it out.
        row("tunnel mode gre ip", |a| {
            cmd(a, Edit::Remove(Same::Words("tunnel mode".into())))
        }),
        row("no tunnel mode ...", |a| remove_words(a, 2)),
        row("tunnel protection ipsec profile WORD", |a| set_words(a, 4)),
        row("no tunnel protection ipsec profile ...", |a| {
            remove_words(a, 4)
        }),
    ],
);

static IKEV2_PROPOSAL: [Syntax<Cmd>; 11] = concat(
    common_rows!(),
    [
        row("encryption ...", |a| {
            need_rest(a)?;
            set_words(a, 1)
        }),
        row("integrity ...", |a| {
            need_rest(a)?;
            set_words(a, 1)
        }),
        row("prf ...", |a| {
            need_rest(a)?;
            set_words(a, 1)
        }),
        row("group ...", |a| {
            need_rest(a)?;
            set_words(a, 1)
        }),
        row("no encryption ...", |a| remove_words(a, 1)),
        row("no integrity ...", |a| remove_words(a, 1)),
        row("no prf ...", |a| remove_words(a, 1)),
        row("no group ...", |a| remove_words(a, 1)),
    ],
);

static IKEV2_POLICY: [Syntax<Cmd>; 9] = concat(
    common_rows!(),
    [
        row("match address local A.B.C.D", |a| append_after(a, 3)),
        row("no match address local A.B.C.D", |a| {
            cmd(a, Edit::Remove(Same::Exact(tail(a, 1))))
        }),
        row("match fvrf WORD", |a| set_words(a, 2)),
        row("proposal WORD", |a| append_after(a, 1)),
        row("no proposal WORD", |a| {
            cmd(a, Edit::Remove(Same::Exact(tail(a, 1))))
        }),
        row("no match fvrf ...", |a| remove_words(a, 2)),
    ],
);

/// Adds the line after the other lines starting with its first `n` words (a list).
fn append_after(a: &Args<'_>, n: usize) -> Result<Cmd, Reject> {
    cmd(
        a,
        Edit::Append {
            line: line(a),
            after: Same::Words(a.words.get(..n).unwrap_or_default().join(" ")),
        },
    )
}

static IKEV2_PROFILE: [Syntax<Cmd>; 21] = concat(
    common_rows!(),
    [
        row("match identity remote ...", |a| {
            need_rest(a)?;
            append_after(a, 3)
        }),
        row("no match identity remote ...", |a| {
            cmd(a, Edit::Remove(Same::Exact(tail(a, 1))))
        }),
        row("match address local A.B.C.D", |a| append_after(a, 3)),
        row("match fvrf WORD", |a| set_words(a, 2)),
        row("identity local ...", |a| {
            need_rest(a)?;
            set_words(a, 2)
        }),
        row("no identity local ...", |a| remove_words(a, 2)),
        row("authentication local WORD", |a| set_words(a, 2)),
        row("authentication remote ...", |a| {
            need_rest(a)?;
            append_after(a, 2)
        }),
        row("no authentication local ...", |a| remove_words(a, 2)),
        row("no authentication remote ...", |a| {
            cmd(a, Edit::Remove(Same::Exact(tail(a, 1))))
        }),
        row("keyring local WORD", |a| set_words(a, 2)),
        row("no keyring ...", |a| remove_words(a, 1)),
        row("lifetime <120-86400>", |a| {
            set_or_default(a, "lifetime", "86400")
        }),
        row("no lifetime ...", |a| remove_words(a, 1)),
        row("dpd <10-3600> <2-60> WORD", |a| set_words(a, 1)),
        row("no dpd ...", |a| remove_words(a, 1)),
        row("description ...", |a| {
            need_rest(a)?;
            set_words(a, 1)
        }),
        row("no description ...", |a| remove_words(a, 1)),
    ],
);

static IPSEC_PROFILE: [Syntax<Cmd>; 19] = concat(
    concat::<3, 9, 12>(common_rows!(), ipsec_sa_rows!()),
    [
        row("set ikev2-profile WORD", |a| set_words(a, 2)),
        row("no set ikev2-profile ...", |a| remove_words(a, 2)),
        row("set isakmp-profile WORD", |a| set_words(a, 2)),
        row("no set isakmp-profile ...", |a| remove_words(a, 2)),
        row("responder-only", set_exact),
        row("no responder-only", |a| remove_words(a, 1)),
        row("description ...", |a| {
            need_rest(a)?;
            set_words(a, 1)
        }),
    ],
);

static ISAKMP_PROFILE: [Syntax<Cmd>; 10] = concat(
    common_rows!(),
    [
        row("keyring WORD", |a| append_after(a, 1)),
        row("no keyring WORD", |a| {
            cmd(a, Edit::Remove(Same::Exact(tail(a, 1))))
        }),
        row("match identity address A.B.C.D ...", |a| append_after(a, 2)),
        row("no match identity address A.B.C.D ...", |a| {
            cmd(a, Edit::Remove(Same::Exact(tail(a, 1))))
        }),
        row("local-address WORD ...", |a| set_words(a, 1)),
        row("no local-address ...", |a| remove_words(a, 1)),
        row("description ...", |a| {
            need_rest(a)?;
            set_words(a, 1)
        }),
    ],
);

static ACL: [Syntax<Cmd>; 12] = concat(
    common_rows!(),
    [
        row("permit ...", acl_entry),
        row("deny ...", acl_entry),
        row("remark ...", acl_entry),
        row("<1-2147483647> permit ...", acl_sequenced),
        row("<1-2147483647> deny ...", acl_sequenced),
        row("no permit ...", |a| {
            cmd(a, Edit::Remove(Same::Exact(tail(a, 1))))
        }),
        row("no deny ...", |a| {
            cmd(a, Edit::Remove(Same::Exact(tail(a, 1))))
        }),
        row("no remark ...", |a| {
            cmd(a, Edit::Remove(Same::Exact(tail(a, 1))))
        }),
        row("no <1-2147483647>", |a| {
            cmd(a, Edit::RemoveSequence(a.number(0)?))
        }),
    ],
);

fn acl_entry(a: &Args<'_>) -> Result<Cmd, Reject> {
    need_rest(a)?;
    cmd(
        a,
        Edit::Append {
            line: line(a),
            after: Same::Words(String::new()),
        },
    )
}

fn acl_sequenced(a: &Args<'_>) -> Result<Cmd, Reject> {
    need_rest(a)?;
    cmd(
        a,
        Edit::Sequenced {
            seq: a.number(0)?,
            line: tail(a, 1),
        },
    )
}

static KEYRING: [Syntax<Cmd>; 5] = concat(
    common_rows!(),
    [
        row("pre-shared-key address A.B.C.D ...", |a| {
            let at = a
                .words
                .iter()
                .position(|w| w == "key")
                .ok_or(Reject::Incomplete)?;
            let addr = a.words[2..at].join(" ");
            cmd(
                a,
                Edit::Set {
                    line: line(a),
                    same: Same::KeyFor(addr),
                },
            )
        }),
        row("no pre-shared-key address A.B.C.D ...", |a| {
            let at = a
                .words
                .iter()
                .position(|w| w == "key")
                .unwrap_or(a.words.len());
            cmd(a, Edit::Remove(Same::KeyFor(a.words[3..at].join(" "))))
        }),
    ],
);

/// What a configuration line did.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Printed after the line (notes, refusals).
    pub lines: Vec<String>,
    /// Still in configuration mode, and where; `None` back in EXEC.
    pub mode: Option<ConfigMode>,
    /// An EXEC command to run (`do …`).
    pub exec: Option<String>,
}

/// Runs one line typed in configuration mode `mode`. `prompt_len` lines a caret up with the
/// echoed line; `user` signs the change in the running-config's header.
pub fn run(router: &Router, mode: &ConfigMode, text: &str, user: &str) -> Result<Outcome, Reject> {
    let tokens = tokenize(text);
    let stay = || Outcome {
        mode: Some(mode.clone()),
        ..Outcome::default()
    };
    if tokens.is_empty() {
        return Ok(stay());
    }
    // A block's own commands first; a global command leaves the block, as on IOS.
    let (cmd, scope, sub) = match &mode.sub {
        Some((sub, parent)) => match parse(sub.table(), &tokens) {
            Ok(c) => (c, Scope::Under(parent.clone()), Some(*sub)),
            Err(inside) => match parse(&GLOBAL, &tokens) {
                Ok(c) => (c, Scope::Top, None),
                Err(_) => return Err(inside),
            },
        },
        None => (parse(&GLOBAL, &tokens)?, Scope::Top, None),
    };
    let order: &[&str] = match sub {
        Some(s) => s.order(),
        None => SECTIONS,
    };
    let parent = match &scope {
        Scope::Under(p) => Some(p.as_str()),
        Scope::Top => None,
    };
    let here = ConfigMode {
        sub: sub.and_then(|s| parent.map(|p| (s, p.to_string()))),
    };
    let mut out = Outcome {
        mode: Some(here.clone()),
        ..Outcome::default()
    };
    match &cmd.edit {
        Edit::End => {
            out.mode = None;
            return Ok(out);
        }
        Edit::Exit => {
            out.mode = here.sub.as_ref().map(|_| ConfigMode::default());
            return Ok(out);
        }
        Edit::Do(line) => {
            out.exec = Some(line.clone());
            return Ok(out);
        }
        Edit::Set { line, .. } | Edit::Append { line, .. } | Edit::Enter { line, .. } => {
            check(parent, line, &cmd)?;
        }
        Edit::Sequenced { line, .. } => check(parent, line, &cmd)?,
        Edit::Remove(_) | Edit::RemoveSequence(_) => {}
    }
    if let Edit::Enter { sub, line, same } = &cmd.edit {
        let existed = router
            .config
            .lines()
            .iter()
            .any(|l| !l.starts_with(' ') && same.picks(l));
        if !existed && *sub == Sub::Interface && !creatable(line) {
            return Err(Reject::Invalid {
                column: cmd.columns.get(1).copied().unwrap_or(0),
            });
        }
        if !existed && *sub == Sub::CryptoMap && line.starts_with("crypto map ") {
            out.lines.extend(NEW_MAP_NOTE.iter().map(|s| s.to_string()));
        }
        out.mode = Some(ConfigMode {
            sub: Some((*sub, line.clone())),
        });
    }
    let now = router.clock.now().config_stamp();
    let (_, change) = router.config.edit(|r| {
        apply(r, &scope, &cmd.edit, order);
        stamp(r, &now, user);
    });
    for message in crate::lab::commands::configure_log::messages(&change) {
        router.log_stamped(&message);
    }
    Ok(out)
}

const NEW_MAP_NOTE: &[&str] = &[
    "% NOTE: This new crypto map will remain disabled until a peer",
    "        and a valid access list have been configured.",
];

/// Physical interfaces exist or not; loopbacks and tunnels are made by naming them.
fn creatable(line: &str) -> bool {
    line.starts_with("interface Loopback") || line.starts_with("interface Tunnel")
}

fn parse(table: &[Syntax<Cmd>], tokens: &[Token<'_>]) -> Result<Cmd, Reject> {
    grammar::parse(table, Level::Privileged, tokens).map_err(|r| match r {
        // In configuration mode a lone unknown word is invalid input, not a host to telnet to.
        Reject::UnknownWord(_) => Reject::Invalid {
            column: tokens.first().map_or(0, |t| t.column),
        },
        other => other,
    })
}

fn apply(r: &mut Running, scope: &Scope, edit: &Edit, order: &[&str]) {
    match edit {
        Edit::Set { line, same } => r.upsert(scope, line, |l| same.picks(l), order),
        Edit::Append { line, after } => {
            if !r.lines_in(scope).iter().any(|l| l == line) {
                r.append(scope, line, |l| after.picks(l), order);
            }
        }
        Edit::Sequenced { seq, line } => {
            // Entries are numbered 10, 20, … in the order they were written.
            let index = r
                .lines_in(scope)
                .iter()
                .enumerate()
                .take_while(|(i, _)| (*i as u32 + 1) * 10 < *seq)
                .count();
            r.insert_at(scope, index, line);
        }
        Edit::RemoveSequence(seq) => {
            let lines = r.lines_in(scope);
            if seq % 10 == 0
                && let Some(target) = lines.get((*seq / 10) as usize - 1)
            {
                let target = target.clone();
                r.remove(scope, |l| l == target);
            }
        }
        Edit::Remove(same) => {
            r.remove(scope, |l| same.picks(l));
        }
        Edit::Enter { line, same, .. } => r.upsert(&Scope::Top, line, |l| same.picks(l), SECTIONS),
        Edit::End | Edit::Exit | Edit::Do(_) => {}
    }
}

/// `! Last configuration change at 10:15:42 UTC Thu Nov 26 2026 by admin`
fn stamp(r: &mut Running, now: &str, user: &str) {
    const HEAD: &str = "! Last configuration change at ";
    let text = format!("{HEAD}{now} by {user}");
    r.upsert(&Scope::Top, &text, |l| l.starts_with(HEAD), &["!"]);
}

/// The IOS model must read `line` (inside the block of `parent`): what it does not
/// understand is refused with the caret under the word it stopped at.
fn check(parent: Option<&str>, line: &str, cmd: &Cmd) -> Result<(), Reject> {
    let (text, target, shift) = match parent {
        Some(p) => (format!("{p}\n {line}\n"), 2, 1),
        None => (format!("{line}\n"), 1, 0),
    };
    let parsed = crate::ios::parse(&text);
    let Some(diag) = parsed.unknown.iter().find(|d| d.line == target) else {
        return Ok(());
    };
    let at = diag.column.saturating_sub(1 + shift);
    Err(Reject::Invalid {
        column: typed_column(cmd, at),
    })
}

/// Maps a column of the stored line back to the line as typed (keywords may be shortened).
fn typed_column(cmd: &Cmd, at: usize) -> usize {
    let mut start = 0;
    for (word, column) in cmd.words.iter().zip(&cmd.columns) {
        let end = start + word.len();
        if at <= end {
            return column + (at.saturating_sub(start)).min(word.len().saturating_sub(1));
        }
        start = end + 1;
    }
    cmd.columns.last().copied().unwrap_or(0)
}

/// `?` in configuration mode: what may come next.
pub fn completions(mode: &ConfigMode, tokens: &[Token<'_>], partial: &str) -> Vec<String> {
    let table: &[Syntax<Cmd>] = match &mode.sub {
        Some((sub, _)) => sub.table(),
        None => &GLOBAL,
    };
    grammar::completions(table, Level::Privileged, tokens, partial)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_parses_its_own_pattern_with_sample_values() {
        let tables: [&[Syntax<Cmd>]; 12] = [
            &GLOBAL,
            &ISAKMP,
            &TRANSFORM_SET,
            &CRYPTO_MAP,
            &INTERFACE,
            &ACL,
            &KEYRING,
            &IKEV2_PROPOSAL,
            &IKEV2_POLICY,
            &IKEV2_PROFILE,
            &IPSEC_PROFILE,
            &ISAKMP_PROFILE,
        ];
        for table in tables {
            for row in table {
                assert!(!row.pattern.is_empty(), "a table row was left empty");
                let line = row
                    .pattern
                    .replace("A.B.C.D", "203.0.113.2")
                    .replace("WORD", "Gi0/0")
                    .replace("...", "x y")
                    .split(' ')
                    .map(|w| match w.strip_prefix('<') {
                        Some(r) => r.split('-').next().unwrap_or("1").to_string(),
                        None => w.to_string(),
                    })
                    .collect::<Vec<_>>()
                    .join(" ");
                let got = grammar::parse(table, Level::Privileged, &tokenize(&line));
                assert!(
                    !matches!(got, Err(Reject::Ambiguous)),
                    "{}: {line} is ambiguous",
                    row.pattern
                );
            }
        }
    }

    #[test]
    fn a_refused_value_gets_the_caret_under_it() {
        let tokens = tokenize("ha sha257");
        let c = parse(&ISAKMP, &tokens).unwrap();
        let err = check(Some("crypto isakmp policy 10"), "hash sha257", &c).unwrap_err();
        assert_eq!(err, Reject::Invalid { column: 3 });
        let tokens = tokenize("access-list 101 permit ipx any any");
        let c = parse(&GLOBAL, &tokens).unwrap();
        let err = check(None, &c.words.join(" "), &c).unwrap_err();
        assert_eq!(err, Reject::Invalid { column: 23 });
    }

    /// Types `lines` in configuration mode on a fresh healthy R1; the typed model after.
    fn configure(lines: &[&str]) -> (Router, Vec<Result<String, Reject>>) {
        let s = crate::lab::scenario::Scenario::embedded("healthy").unwrap();
        let clock = crate::lab::clock::LabClock::new(50.0, std::time::SystemTime::now()).unwrap();
        let router = Router::new("healthy", s.routers[0].clone(), clock);
        let mut mode = ConfigMode::default();
        let mut prompts = Vec::new();
        for line in lines {
            match run(&router, &mode, line, "admin") {
                Ok(out) => {
                    mode = out.mode.unwrap_or_default();
                    prompts.push(Ok(mode.prompt_suffix()));
                }
                Err(e) => prompts.push(Err(e)),
            }
        }
        (router, prompts)
    }

    #[test]
    fn ikev2_and_vti_lines_build_what_the_model_reads() {
        let (router, prompts) = configure(&[
            "crypto ikev2 proposal PROP-1",
            "encryption aes-cbc-256 aes-cbc-128",
            "integrity sha256",
            "group 19 14",
            "crypto ikev2 policy POL-1",
            "match address local 203.0.113.1",
            "proposal PROP-1",
            "crypto ikev2 profile PROF",
            "match identity remote address 203.0.113.2 255.255.255.255",
            "identity local fqdn r1.example.net",
            "authentication remote pre-share",
            "authentication local pre-share",
            "keyring local KR",
            "lifetime 28800",
            "dpd 10 3 periodic",
            "crypto ipsec profile VTI",
            "set transform-set TS",
            "set pfs group14",
            "set ikev2-profile PROF",
            "interface Tunnel0",
            "ip unnumbered Gi1/0",
            "tunnel source Gi1/0",
            "tunnel mode ipsec ipv4",
            "tunnel destination 203.0.113.2",
            "tunnel protection ipsec profile VTI",
            "exit",
            "no crypto ikev2 policy default",
        ]);
        let wanted = [
            (0, "(config-ikev2-proposal)#"),
            (4, "(config-ikev2-policy)#"),
            (7, "(config-ikev2-profile)#"),
            (15, "(ipsec-profile)#"),
            (19, "(config-if)#"),
            (26, "(config)#"),
        ];
        for (i, prompt) in wanted {
            assert_eq!(prompts[i], Ok(prompt.to_string()), "line {i}");
        }
        assert!(prompts.iter().all(Result::is_ok), "{prompts:?}");
        let (_, c) = router.config.snapshot();
        let p = c.ikev2_proposal("PROP-1").unwrap();
        assert_eq!(p.encryption.len(), 2);
        assert_eq!(p.groups.len(), 2);
        let prof = c.ikev2_profile("PROF").unwrap();
        assert_eq!(prof.lifetime, 28800);
        assert_eq!(prof.auth_remote.len(), 1);
        let ips = c.ipsec_profile("VTI").unwrap();
        assert_eq!(
            ips.ikev2_profile.as_ref().map(|p| p.0.as_str()),
            Some("PROF")
        );
        let t = c.interface("Tunnel0").unwrap().tunnel.clone().unwrap();
        assert_eq!(
            t.source.map(|s| s.0),
            Some(crate::ios::tunnel::TunnelSource::Interface(
                "GigabitEthernet1/0".into()
            ))
        );
        assert_eq!(t.mode, crate::ios::tunnel::TunnelMode::IpsecIpv4);
        assert!(c.smart_defaults.policy_disabled.is_some());
        let lines = router.config.lines();
        let at = |l: &str| lines.iter().position(|x| x == l);
        assert!(at(" tunnel source GigabitEthernet1/0") < at(" tunnel mode ipsec ipv4"));
        assert!(at(" tunnel mode ipsec ipv4") < at(" tunnel destination 203.0.113.2"));
        assert!(at(" authentication remote pre-share") < at(" authentication local pre-share"));
    }

    #[test]
    fn ikev2_values_the_model_refuses_get_the_caret() {
        let (_, prompts) = configure(&[
            "crypto ikev2 proposal P",
            "encryption aes-cbc-256 aes-cbc-999",
            "group 14 99",
            "interface GigabitEthernet1/0",
            "tunnel destination 203.0.113.2",
            "interface Tunnel3",
            "tunnel mode gre ip",
        ]);
        assert_eq!(prompts[1], Err(Reject::Invalid { column: 23 }));
        assert_eq!(prompts[2], Err(Reject::Invalid { column: 9 }));
        assert!(
            matches!(prompts[4], Err(Reject::Invalid { .. })),
            "not a tunnel"
        );
        assert_eq!(prompts[6], Ok("(config-if)#".to_string()));
    }

    #[test]
    fn keys_are_replaced_by_address() {
        let same = Same::KeyFor("203.0.113.1".into());
        assert!(same.picks("crypto isakmp key Vpn-Key-2025 address 203.0.113.1"));
        assert!(same.picks("crypto isakmp key 0 x address 203.0.113.1 no-xauth"));
        assert!(!same.picks("crypto isakmp key x address 203.0.113.10"));
        assert!(same.picks("pre-shared-key address 203.0.113.1 key k"));
    }
}
