//! Secrets never printed: every secret-bearing IOS command, spelled the ways IOS accepts it
//! (any blanks, any case, keywords abbreviated, with or without the encryption type), through
//! the redaction table on its own and through a whole analysis rendered in every format.

use crate::util::analyze;
use ipsec_doctor::report::{self, Format, Report};
use ipsec_doctor::secret::redact;
use proptest::prelude::*;

const R1: &str = include_str!("../docker/scenarios/healthy/r1.cfg");
const R2: &str = include_str!("../docker/scenarios/healthy/r2.cfg");

/// One word of a generated command.
#[derive(Debug, Clone)]
enum Part {
    /// A keyword; the part before `|` is the shortest spelling generated.
    Kw(&'static str),
    /// One of these keywords.
    Alt(&'static [&'static str]),
    Lit(&'static str),
    /// Present or not.
    Opt(&'static [Part]),
    /// An encryption type digit from the list, or none.
    Type(&'static [&'static str]),
    Secret,
}

use Part::*;

/// The commands of issue 7 and their kin, in IOS's grammar.
const FORMS: &[&[Part]] = &[
    &[
        Kw("cry|pto"),
        Kw("isa|kmp"),
        Kw("k|ey"),
        Type(&["0", "6"]),
        Secret,
        Alt(&["add|ress"]),
        Lit("203.0.113.2"),
    ],
    &[
        Kw("cry|pto"),
        Kw("isa|kmp"),
        Kw("k|ey"),
        Type(&["0", "6"]),
        Secret,
        Kw("host|name"),
        Lit("peer.example.net"),
    ],
    &[
        Kw("pre-sh|ared-key"),
        Alt(&["addr|ess", "host|name"]),
        Lit("203.0.113.2"),
        Opt(&[Lit("255.255.255.255")]),
        Kw("k|ey"),
        Type(&["0", "6", "7"]),
        Secret,
    ],
    &[
        Kw("pre-sh|ared-key"),
        Opt(&[Alt(&["loc|al", "rem|ote"])]),
        Type(&["0", "6"]),
        Secret,
    ],
    &[
        Kw("usern|ame"),
        Lit("bob"),
        Opt(&[Kw("priv|ilege"), Lit("15")]),
        Opt(&[Kw("algorithm-t|ype"), Lit("scrypt")]),
        Alt(&["pass|word", "sec|ret"]),
        Type(&["0", "5", "7", "8", "9"]),
        Secret,
    ],
    &[
        Kw("ena|ble"),
        Alt(&["sec|ret", "pass|word"]),
        Opt(&[Kw("lev|el"), Lit("15")]),
        Type(&["0", "5", "7", "8", "9"]),
        Secret,
    ],
    &[
        Kw("ena|ble"),
        Kw("algorithm-t|ype"),
        Alt(&["scrypt", "sha256"]),
        Kw("sec|ret"),
        Secret,
    ],
    // Under `radius server NAME` / `tacacs server NAME`.
    &[Kw("k|ey"), Type(&["0", "7"]), Secret],
    &[Kw("tacacs-s|erver"), Kw("k|ey"), Type(&["0", "7"]), Secret],
    &[
        Kw("radius-s|erver"),
        Kw("h|ost"),
        Lit("10.0.0.1"),
        Kw("k|ey"),
        Type(&["0", "7"]),
        Secret,
    ],
    &[
        Kw("snmp-s|erver"),
        Kw("comm|unity"),
        Secret,
        Alt(&["RO", "RW"]),
    ],
    // Under `line vty 0 4`.
    &[Kw("pass|word"), Type(&["0", "7"]), Secret],
    &[Kw("key-str|ing"), Type(&["0", "7"]), Secret],
];

const BLANKS: &[&str] = &[" ", "  ", "\t", " \t "];
const INDENT: &[&str] = &["", " ", "  ", "\t"];

/// Draws the decisions from `choices`, cycling.
struct Chooser<'a> {
    choices: &'a [u32],
    at: usize,
}

impl Chooser<'_> {
    fn pick(&mut self, n: usize) -> usize {
        let c = self.choices[self.at % self.choices.len()];
        self.at += 1;
        c as usize % n.max(1)
    }

    fn keyword(&mut self, spec: &str) -> String {
        let (head, tail) = spec.split_once('|').unwrap_or((spec, ""));
        let full = format!("{head}{tail}");
        let len = head.len() + self.pick(tail.len() + 1);
        full[..len]
            .chars()
            .map(|c| {
                if self.pick(3) == 0 {
                    c.to_ascii_uppercase()
                } else {
                    c
                }
            })
            .collect()
    }

    fn words(&mut self, parts: &[Part], secret: &str, out: &mut Vec<String>) {
        for p in parts {
            match p {
                Kw(k) => {
                    let w = self.keyword(k);
                    out.push(w);
                }
                Alt(list) => {
                    let k = list[self.pick(list.len())];
                    let w = self.keyword(k);
                    out.push(w);
                }
                Lit(l) => out.push(l.to_string()),
                Opt(inner) => {
                    if self.pick(2) == 0 {
                        self.words(inner, secret, out);
                    }
                }
                Type(digits) => {
                    let i = self.pick(digits.len() + 1);
                    if let Some(d) = digits.get(i) {
                        out.push(d.to_string());
                    }
                }
                Secret => out.push(secret.to_string()),
            }
        }
    }

    fn line(&mut self, form: &[Part], secret: &str) -> String {
        let mut words = Vec::new();
        self.words(form, secret, &mut words);
        let mut line = INDENT[self.pick(INDENT.len())].to_string();
        for (i, w) in words.iter().enumerate() {
            if i > 0 {
                line.push_str(BLANKS[self.pick(BLANKS.len())]);
            }
            line.push_str(w);
        }
        line
    }
}

fn secret() -> impl Strategy<Value = String> {
    // A prefix no keyword starts with, so a secret cannot be taken for one.
    "[A-Za-z0-9$./+=-]{4,18}".prop_map(|s| format!("Zq9{s}"))
}

fn session(host: &str, config: &str, typed: &str) -> String {
    format!(
        "{host}#show running-config\nBuilding configuration...\n\n{config}\n{host}#configure terminal\n{host}(config)#{typed}\n{host}(config)#end\n%PARSER-5-CFGLOG_LOGGEDCMD: User:admin  logged command:{typed}\n{host}#\n"
    )
}

fn every_format(report: &Report) -> Vec<(Format, String)> {
    [
        Format::Text,
        Format::Json,
        Format::Prometheus,
        Format::Markdown,
    ]
    .into_iter()
    .map(|f| (f, report::render(f, std::slice::from_ref(report), false)))
    .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn no_spelling_of_a_secret_command_prints_the_secret(
        form in 0..FORMS.len(),
        choices in prop::collection::vec(any::<u32>(), 8..40),
        prompt in 0..3usize,
        s1 in secret(),
        s2 in secret(),
    ) {
        let mut c = Chooser { choices: &choices, at: 0 };
        let typed = c.line(FORMS[form], &s1);
        let prefixed = format!("{}{typed}", ["", "R1(config)#", "hub(config-keyring)#"][prompt]);
        let shown = redact(&prefixed);
        prop_assert!(!shown.contains(&s1), "{prefixed:?} -> {shown:?}");
        prop_assert!(shown.contains("*****"), "{prefixed:?} -> {shown:?}");

        // Both routers' keys differ (a PSK mismatch, quoted as evidence), and R1's config also
        // holds the generated line; R1's session types it at a config prompt and the config
        // logger echoes it.
        let r1 = R1.replacen("Vpn-Key-2026", &s1, 1).replacen("\nend", &format!("\n{typed}\nend"), 1);
        let r2 = R2.replacen("Vpn-Key-2026", &s2, 1);
        let d = analyze(&[("R1", &session("R1", &r1, &typed)), ("R2", &session("R2", &r2, "end"))]);
        let report = Report::new("analyze", "R1 <-> R2", d, Vec::new());
        let json: serde_json::Value = serde_json::to_value(&report).unwrap();
        let typed_shown = json["peers"][0]["commands"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|c| c.as_str())
            .any(|c| c.contains("*****"));
        prop_assert!(typed_shown, "the typed command is in the report, redacted: {json:#}");
        for (format, out) in every_format(&report) {
            prop_assert!(!out.contains(&s1) && !out.contains(&s2), "{format:?}: {out}");
        }
    }
}

#[test]
fn the_psk_lines_are_quoted_redacted() {
    let r2 = R2.replacen("Vpn-Key-2026", "Other-Key-1", 1);
    let d = analyze(&[
        (
            "R1",
            &session("R1", R1, "cry isa key Typed-Key-1 add 203.0.113.2"),
        ),
        ("R2", &session("R2", &r2, "end")),
    ]);
    let report = Report::new("analyze", "R1 <-> R2", d, Vec::new());
    for (format, out) in every_format(&report) {
        for secret in ["Vpn-Key-2026", "Other-Key-1", "Typed-Key-1"] {
            assert!(!out.contains(secret), "{format:?}: {out}");
        }
        if format != Format::Prometheus {
            assert!(out.contains("crypto isakmp key *****"), "{format:?}: {out}");
        }
    }
}
