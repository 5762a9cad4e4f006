//! Secrets (pre-shared keys, passwords, enable secrets) that must never be printed.
//!
//! A [`Secret`] compares by value, so two routers' keys can be told equal or different, but
//! every way of showing it (Debug, Display, serde) prints `*****`.

use crate::ios::keyword::{Keyword, Word, prompt_len, words};
use serde::{Serialize, Serializer};
use std::borrow::Cow;
use std::fmt;
use std::sync::LazyLock;

pub const REDACTED: &str = "*****";

#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The clear text, for the few places that must send it (SSH auth, the lab's own check).
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(REDACTED)
    }
}

/// Every command that carries a secret, one row each, written the way IOS's help reads.
///
/// - `cr|ypto`: a keyword; any case, any prefix at least as long as the part before `|`
///   (`cr`, `cry`, … `crypto`). A keyword without `|` must be spelled out.
/// - `{se|cret,pa|ssword}`: one of these keywords.
/// - `WORD`: any one word. `...`: any number of words (none included).
/// - `[ … ]`: optional.
/// - `TYPE`: the encryption type digit IOS puts before a secret (`0`, `5`, `6`, `7`, `8`, `9`),
///   when a word follows it. `TYPE(a|ddress,h|ostname)`: a digit followed by one of these
///   keywords is the secret itself (`crypto isakmp key 5 address …` has the key `5`); followed
///   by an abbreviation of one, it is unclear which word IOS took for the key, so both are
///   hidden.
/// - `SECRET`: the word that is replaced by `*****`. `SECRET!(add|ress)`: unless it is that
///   keyword (the row is about another form of the command).
///
/// A row matches from the start of the line (after a prompt such as `R1(config)#`) unless it
/// starts with `...`. Every matching row hides its secrets, so a row only has to be right
/// about its own command. Minimums are low on purpose: hiding a word that was not a secret
/// costs the reader little, printing one that was is the bug this table exists to prevent.
pub const SECRET_COMMANDS: &[&str] = &[
    // IKEv1 pre-shared keys: crypto isakmp key 0 cisco123 address 203.0.113.2
    "cr|ypto is|akmp k|ey TYPE(a|ddress,h|ostname) SECRET",
    // IKEv1 keyrings:  pre-shared-key address 203.0.113.2 key s3cret
    "pre|-shared-key {a|ddress,h|ostname} ... k|ey TYPE SECRET",
    // IKEv2 keyrings:  pre-shared-key local 6 FLgBaJH…  /  pre-shared-key s3cret
    "pre|-shared-key [{l|ocal,r|emote}] TYPE SECRET!(add|ress,hos|tname)",
    // username admin privilege 15 secret 9 $9$…  /  usern bob pass 0 x
    "us|ername WORD ... {p|assword,s|ecret} TYPE SECRET",
    // enable secret 5 $1$…  /  enable password level 15 7 0822…
    "en|able {s|ecret,p|assword} [l|evel WORD] TYPE SECRET",
    // enable algorithm-type scrypt secret …
    "en|able a|lgorithm-type WORD s|ecret TYPE SECRET",
    // line vty:  password 7 0822455D0A16  /  secret 9 $9$… (where a platform takes it alone)
    "pa|ssword TYPE SECRET",
    "sec|ret TYPE SECRET",
    // radius server / tacacs server blocks:  key 7 0822…
    "k|ey TYPE SECRET!(ch|ain,con|fig-key)",
    // key config-key password-encrypt MASTERKEY
    "k|ey c|onfig-key p|assword-encrypt TYPE SECRET",
    // radius-server host 10.0.0.1 key x / tacacs-server key x / server-private 10.0.0.1 key 7 x
    "{rad|ius-server,tac|acs-server,ser|ver-private} ... k|ey TYPE SECRET",
    // key chains, HSRP, VRRP:  key-string 7 0822…  /  standby 1 authentication md5 key-string x
    "... key-s|tring TYPE SECRET",
    // ip ospf authentication-key 7 x  /  ip ospf message-digest-key 1 md5 7 x
    "... authentication-k|ey TYPE SECRET",
    "... message-digest-k|ey WORD md5 TYPE SECRET",
    // ntp authentication-key 1 md5 x 7
    "ntp a|uthentication-key WORD md5 SECRET",
    // neighbor 10.0.0.1 password 7 x / ppp chap password x / ip ftp password x
    "... pass|word TYPE SECRET!(lev|el)",
    // isis / IS-IS area and domain passwords, NHRP, WPA
    "... {area-p|assword,domain-p|assword} TYPE SECRET",
    "... nhrp a|uthentication SECRET",
    "... wpa-psk {a|scii,h|ex} TYPE SECRET",
    // snmp-server community public RO
    "sn|mp-server c|ommunity SECRET",
    // snmp-server host 10.0.0.9 traps version 2c public
    "sn|mp-server h|ost WORD [{t|raps,i|nforms}] [v|ersion {1,2c}] SECRET",
    // snmp-server user u g v3 auth sha AUTHPASS priv aes 128 PRIVPASS
    "sn|mp-server u|ser ... a|uth WORD SECRET",
    "sn|mp-server u|ser ... pr|iv WORD [{128,192,256}] SECRET",
];

/// One element of a row.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Elem {
    Keyword(Vec<Keyword>),
    Word,
    Any,
    Type(Vec<Keyword>),
    /// The secret, unless the word is one of these keywords.
    Secret(Vec<Keyword>),
    /// Taken when it fits (and the rest of the row still matches), skipped otherwise.
    Optional(Vec<Elem>),
}

fn keywords(list: &'static str) -> Vec<Keyword> {
    list.split(',').map(Keyword).collect()
}

fn elem(token: &'static str) -> Elem {
    let inner = |prefix: &str| {
        keywords(
            token
                .strip_prefix(prefix)
                .unwrap_or(token)
                .trim_end_matches(['}', ')']),
        )
    };
    match token {
        "WORD" => Elem::Word,
        "..." => Elem::Any,
        "SECRET" => Elem::Secret(Vec::new()),
        "TYPE" => Elem::Type(Vec::new()),
        t if t.starts_with("TYPE(") => Elem::Type(inner("TYPE(")),
        t if t.starts_with("SECRET!(") => Elem::Secret(inner("SECRET!(")),
        t if t.starts_with('{') => Elem::Keyword(inner("{")),
        t => Elem::Keyword(vec![Keyword(t)]),
    }
}

/// A row's text as elements; an optional group left open is an error in the table.
fn row(text: &'static str) -> Result<Vec<Elem>, String> {
    let mut out = Vec::new();
    let mut group: Option<Vec<Elem>> = None;
    for token in text.split(' ') {
        let (opens, token) = match token.strip_prefix('[') {
            Some(t) => (true, t),
            None => (false, token),
        };
        let (closes, token) = match token.strip_suffix(']') {
            Some(t) => (true, t),
            None => (false, token),
        };
        if opens {
            group = Some(Vec::new());
        }
        match &mut group {
            Some(g) => g.push(elem(token)),
            None => out.push(elem(token)),
        }
        if closes && let Some(g) = group.take() {
            out.push(Elem::Optional(g));
        }
    }
    match group {
        Some(_) => Err(format!("`{text}`: `[` without `]`")),
        None => Ok(out),
    }
}

/// The rows, built once. A malformed row is a programming error that `every_row_builds`
/// catches; it is left out rather than bringing the program down.
static TABLE: LazyLock<Vec<Vec<Elem>>> =
    LazyLock::new(|| SECRET_COMMANDS.iter().filter_map(|r| row(r).ok()).collect());

/// Whether `elems` match `words` from `i` on; the secrets' word indexes go into `found`.
fn matches(elems: &[Elem], words: &[Word<'_>], i: usize, found: &mut Vec<usize>) -> bool {
    let Some((first, rest)) = elems.split_first() else {
        return true;
    };
    let mark = found.len();
    let ok = match first {
        Elem::Keyword(alts) => {
            words
                .get(i)
                .is_some_and(|w| alts.iter().any(|k| k.matches(w.text)))
                && matches(rest, words, i + 1, found)
        }
        Elem::Word => i < words.len() && matches(rest, words, i + 1, found),
        Elem::Secret(not) => {
            words
                .get(i)
                .is_some_and(|w| !not.iter().any(|k| k.matches(w.text)))
                && {
                    found.push(i);
                    matches(rest, words, i + 1, found)
                }
        }
        Elem::Any => (i..=words.len()).any(|j| {
            found.truncate(mark);
            matches(rest, words, j, found)
        }),
        Elem::Optional(group) => {
            let with: Vec<Elem> = group.iter().chain(rest).cloned().collect();
            matches(&with, words, i, found) || {
                found.truncate(mark);
                matches(rest, words, i, found)
            }
        }
        Elem::Type(stops) => {
            let digit = words
                .get(i)
                .is_some_and(|w| w.text.len() == 1 && w.text.as_bytes()[0].is_ascii_digit());
            match words.get(i + 1) {
                Some(next) if digit => {
                    if stops
                        .iter()
                        .any(|k| k.matches(next.text) && !k.is_partial(next.text))
                    {
                        // `key 5 address …`: the digit is the key.
                        matches(rest, words, i, found)
                    } else if stops.iter().any(|k| k.is_partial(next.text)) {
                        // `key 0 addr …`: either word may be the key; hide both.
                        found.push(i);
                        matches(rest, words, i + 1, found)
                    } else {
                        matches(rest, words, i + 1, found)
                    }
                }
                _ => matches(rest, words, i, found),
            }
        }
    };
    if !ok {
        found.truncate(mark);
    }
    ok
}

/// The byte ranges of the secrets in a command line (no prompt).
fn secret_ranges(command: &str, offset: usize, out: &mut Vec<(usize, usize)>) {
    let words = words(command);
    if words.is_empty() {
        return;
    }
    let mut found = Vec::new();
    for row in TABLE.iter() {
        let anchored = !matches!(row.first(), Some(Elem::Any));
        // Cheap refusal before backtracking: the first keyword must be the first word.
        if anchored
            && let Some(Elem::Keyword(alts)) = row.first()
            && !alts.iter().any(|k| k.matches(words[0].text))
        {
            continue;
        }
        found.clear();
        if matches(row, &words, 0, &mut found) {
            out.extend(
                found
                    .iter()
                    .map(|&i| (offset + words[i].start, offset + words[i].end())),
            );
        }
    }
}

/// Syslog of the configuration logger quotes what was typed:
/// `%PARSER-5-CFGLOG_LOGGEDCMD: User:admin  logged command:crypto isakmp key x address …`
const LOGGED_COMMAND: &str = "logged command:";

/// The line with every secret it carries replaced by `*****`: a configuration line, a
/// command typed at a prompt (`R1(config)#cry isa key x add 10.0.0.2`), or a syslog line
/// quoting one.
pub fn redact(line: &str) -> Cow<'_, str> {
    let mut ranges = Vec::new();
    let trimmed = line.trim_start();
    let lead = line.len() - trimmed.len();
    let after_prompt = prompt_len(trimmed).map_or(lead, |n| lead + n);
    secret_ranges(&line[after_prompt..], after_prompt, &mut ranges);
    if after_prompt != lead {
        // A prompt-like word may just be text; judge the line as is too.
        secret_ranges(line, 0, &mut ranges);
    }
    if let Some(at) = line.to_ascii_lowercase().find(LOGGED_COMMAND) {
        let start = at + LOGGED_COMMAND.len();
        secret_ranges(&line[start..], start, &mut ranges);
    }
    if ranges.is_empty() {
        return Cow::Borrowed(line);
    }
    ranges.sort_unstable();
    let mut out = String::with_capacity(line.len());
    let mut at = 0;
    for (start, end) in ranges {
        if end <= at {
            continue;
        }
        out.push_str(&line[at..start.max(at)]);
        out.push_str(REDACTED);
        at = end;
    }
    out.push_str(&line[at..]);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_builds() {
        for text in SECRET_COMMANDS {
            let r = row(text).unwrap_or_else(|e| panic!("{e}"));
            assert!(
                r.iter().any(|x| matches!(x, Elem::Secret(_))),
                "{text}: a row without SECRET hides nothing"
            );
        }
    }

    #[test]
    fn redacts_every_secret_form() {
        for (line, want) in [
            (
                "crypto isakmp key cisco123 address 203.0.113.2",
                "crypto isakmp key ***** address 203.0.113.2",
            ),
            (
                "crypto isakmp key 0 cisco123 address 203.0.113.2",
                "crypto isakmp key 0 ***** address 203.0.113.2",
            ),
            (
                "crypto isakmp key 5 address 203.0.113.2",
                "crypto isakmp key ***** address 203.0.113.2",
            ),
            (
                "cry isa key 0 add 203.0.113.2",
                "cry isa key ***** ***** 203.0.113.2",
            ),
            (
                "R1(config)#CRY   ISA\tK s3cret ADD 10.0.0.2",
                "R1(config)#CRY   ISA\tK ***** ADD 10.0.0.2",
            ),
            (
                " pre-shared-key address 203.0.113.2 key s3cret",
                " pre-shared-key address 203.0.113.2 key *****",
            ),
            (
                "pre-sh addr 203.0.113.2 255.255.255.255 key 7 s3cret",
                "pre-sh addr 203.0.113.2 255.255.255.255 key 7 *****",
            ),
            (
                "  pre-shared-key local 6 FLgBa",
                "  pre-shared-key local 6 *****",
            ),
            (
                "  pre-shared-key remote s3cret",
                "  pre-shared-key remote *****",
            ),
            ("  pre-shared-key s3cret", "  pre-shared-key *****"),
            (
                "enable secret 5 $1$mERr$hx5rVt7rPNoS4wqbXKX7m0",
                "enable secret 5 *****",
            ),
            ("ena sec 9 $9$abc", "ena sec 9 *****"),
            ("enable password cisco", "enable password *****"),
            (
                "enable password level 15 7 0822455D0A16",
                "enable password level 15 7 *****",
            ),
            (
                "enable algorithm-type scrypt secret s3cret",
                "enable algorithm-type scrypt secret *****",
            ),
            (
                "username admin privilege 15 secret 0 labpass1",
                "username admin privilege 15 secret 0 *****",
            ),
            ("usern bob pass 0 hunter2", "usern bob pass 0 *****"),
            (
                "username bob algorithm-type scrypt secret 9 $9$x",
                "username bob algorithm-type scrypt secret 9 *****",
            ),
            (" password 7 0822455D0A16", " password 7 *****"),
            (" password cisco", " password *****"),
            (" secret 9 $9$nhEmQVczB7dqsO$X", " secret 9 *****"),
            (" key 7 0822455D0A16", " key 7 *****"),
            (" key 0 radiuskey", " key 0 *****"),
            ("key-str 7 0822", "key-str 7 *****"),
            (
                " standby 1 authentication md5 key-string s3cret",
                " standby 1 authentication md5 key-string *****",
            ),
            (
                "radius-server host 10.0.0.1 auth-port 1645 key s3cret",
                "radius-server host 10.0.0.1 auth-port 1645 key *****",
            ),
            ("tacacs-server key 7 0822", "tacacs-server key 7 *****"),
            (
                " ip ospf message-digest-key 1 md5 7 0822",
                " ip ospf message-digest-key 1 md5 7 *****",
            ),
            (
                " neighbor 10.0.0.1 password 7 0822",
                " neighbor 10.0.0.1 password 7 *****",
            ),
            (
                "snmp-server community public RO",
                "snmp-server community ***** RO",
            ),
            (
                "snmp-server host 10.0.0.9 version 2c public",
                "snmp-server host 10.0.0.9 version 2c *****",
            ),
            (
                "snmp-server user u g v3 auth sha authpass priv aes 128 privpass",
                "snmp-server user u g v3 auth sha ***** priv aes 128 *****",
            ),
            (
                "key config-key password-encrypt masterkey",
                "key config-key password-encrypt *****",
            ),
            ("key chain OSPF-KEYS", "key chain OSPF-KEYS"),
            (
                "%PARSER-5-CFGLOG_LOGGEDCMD: User:admin  logged command:crypto isakmp key s3cret address 10.0.0.2",
                "%PARSER-5-CFGLOG_LOGGEDCMD: User:admin  logged command:crypto isakmp key ***** address 10.0.0.2",
            ),
        ] {
            assert_eq!(redact(line), want, "{line}");
        }
        for harmless in [
            "crypto isakmp policy 10",
            "ISAKMP:(0):found peer pre-shared key matching 203.0.113.2",
            "ISAKMP:(0): No pre-shared key with 203.0.113.2!",
            " authentication pre-share",
            "show crypto isakmp sa",
        ] {
            assert_eq!(redact(harmless), harmless);
        }
    }

    #[test]
    fn a_broken_row_is_reported() {
        assert!(row("en|able [l|evel WORD SECRET").is_err());
    }

    #[test]
    fn never_shows_the_value() {
        let s = Secret::new("cisco123");
        assert_eq!(format!("{s}"), REDACTED);
        assert_eq!(format!("{s:?}"), REDACTED);
        assert_eq!(serde_json::to_string(&s).ok().as_deref(), Some("\"*****\""));
        assert_eq!(s, Secret::new("cisco123"));
        assert_ne!(s, Secret::new("cisco124"));
    }
}
