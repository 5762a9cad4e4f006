//! IOS command matching: every keyword may be shortened to any prefix that is unique among
//! the keywords allowed at that position (`sh ver`, `u all`, `term len 0`).
//!
//! Command syntaxes are rows of text (`"show crypto isakmp sa"`, `"terminal length <0-512>"`),
//! so the table of what the lab understands reads like IOS's own help. Placeholders:
//! `A.B.C.D` an IPv4 address, `<lo-hi>` a number in range, `WORD` any single word,
//! `...` the rest of the line, handed to the command to parse (ping's options).

use std::net::Ipv4Addr;

/// Privilege needed for a command: user EXEC (`R1>`) or privileged EXEC (`R1#`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    User,
    Privileged,
}

/// One word of a command line and where it starts (for the `^` marker).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token<'a> {
    pub text: &'a str,
    /// Character column from the start of the line.
    pub column: usize,
    /// Byte offset of the token's end in the line.
    pub end: usize,
}

/// Splits a line on blanks, remembering columns.
pub fn tokenize(line: &str) -> Vec<Token<'_>> {
    let mut out = Vec::new();
    let mut start: Option<(usize, usize)> = None;
    for (column, (byte, ch)) in line.char_indices().enumerate() {
        match (ch.is_whitespace(), start) {
            (false, None) => start = Some((byte, column)),
            (true, Some((b, c))) => {
                out.push(Token {
                    text: &line[b..byte],
                    column: c,
                    end: byte,
                });
                start = None;
            }
            _ => {}
        }
    }
    if let Some((b, c)) = start {
        out.push(Token {
            text: &line[b..],
            column: c,
            end: line.len(),
        });
    }
    out
}

/// Why a line was not accepted; the CLI prints each the way IOS does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reject {
    /// `% Invalid input detected at '^' marker.` with the caret under `column`.
    Invalid { column: usize },
    /// `% Incomplete command.`
    Incomplete,
    /// `% Ambiguous command:  "sh c"`
    Ambiguous,
    /// A single word that is no command: IOS tries to telnet to it as a host name.
    UnknownWord(String),
}

/// A command's syntax and how to build it from a matched line.
pub struct Syntax<C> {
    pub pattern: &'static str,
    pub level: Level,
    pub build: fn(&Args<'_>) -> Result<C, Reject>,
}

/// What a matched line carried: placeholder values in order, and the tokens `...` took.
#[derive(Debug, Default)]
pub struct Args<'a> {
    pub values: Vec<&'a str>,
    pub rest: &'a [Token<'a>],
    /// The line as IOS stores it: every keyword in full, values and the rest as typed, one
    /// word per token typed.
    pub words: Vec<String>,
    /// The column each of `words` was typed at, for a caret under a word.
    pub columns: Vec<usize>,
}

impl Args<'_> {
    pub fn ipv4(&self, index: usize) -> Result<Ipv4Addr, Reject> {
        self.values
            .get(index)
            .and_then(|v| v.parse().ok())
            .ok_or(Reject::Incomplete)
    }

    pub fn number(&self, index: usize) -> Result<u32, Reject> {
        self.values
            .get(index)
            .and_then(|v| v.parse().ok())
            .ok_or(Reject::Incomplete)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Elem {
    Keyword(&'static str),
    Ipv4,
    Range(u64, u64),
    Word,
    Rest,
}

/// A pattern's elements, read once per pattern and thread: every command line is matched
/// against the whole table, and reading every row's pattern again for each line was a tenth
/// of what a lab router spends answering a show command.
fn elems(pattern: &'static str) -> &'static [Elem] {
    thread_local! {
        static READ: std::cell::RefCell<std::collections::HashMap<(usize, usize), &'static [Elem]>> =
            std::cell::RefCell::default();
    }
    let key = (pattern.as_ptr() as usize, pattern.len());
    READ.with_borrow_mut(|read| {
        *read.entry(key).or_insert_with(|| {
            // Bounded: the patterns are the grammar's static tables, each read once.
            Vec::leak(
                pattern
                    .split_whitespace()
                    .map(|w| match w {
                        "A.B.C.D" => Elem::Ipv4,
                        "WORD" => Elem::Word,
                        "..." => Elem::Rest,
                        _ => range(w).unwrap_or(Elem::Keyword(w)),
                    })
                    .collect(),
            )
        })
    })
}

fn range(w: &str) -> Option<Elem> {
    let inner = w.strip_prefix('<')?.strip_suffix('>')?;
    let (lo, hi) = inner.split_once('-')?;
    Some(Elem::Range(lo.parse().ok()?, hi.parse().ok()?))
}

impl Elem {
    fn accepts(self, word: &str) -> bool {
        match self {
            Elem::Keyword(k) => k.starts_with(word),
            Elem::Ipv4 => word.parse::<Ipv4Addr>().is_ok(),
            Elem::Range(lo, hi) => word.parse::<u64>().is_ok_and(|n| (lo..=hi).contains(&n)),
            Elem::Word | Elem::Rest => true,
        }
    }
}

/// Matches a line's tokens against the rows allowed at `level` and builds the command.
pub fn parse<C>(table: &[Syntax<C>], level: Level, tokens: &[Token<'_>]) -> Result<C, Reject> {
    let rows: Vec<(usize, &[Elem])> = table
        .iter()
        .enumerate()
        .filter(|(_, s)| s.level <= level)
        .map(|(i, s)| (i, elems(s.pattern)))
        .collect();
    let mut alive: Vec<&(usize, &[Elem])> = rows.iter().collect();
    let mut consumed = tokens.len();
    for (i, tok) in tokens.iter().enumerate() {
        if let [only] = alive.as_slice()
            && only.1.get(i) == Some(&Elem::Rest)
        {
            consumed = i;
            break;
        }
        let word = tok.text.to_ascii_lowercase();
        let mut keywords: Vec<&str> = Vec::new();
        let mut next = Vec::new();
        let mut longest_prefix = 0;
        for row in &alive {
            let Some(elem) = row.1.get(i).copied() else {
                continue;
            };
            if elem == Elem::Rest {
                continue;
            }
            if elem.accepts(&word) {
                if let Elem::Keyword(k) = elem
                    && !keywords.contains(&k)
                {
                    keywords.push(k);
                }
                next.push(*row);
            } else if let Elem::Keyword(k) = elem {
                longest_prefix = longest_prefix.max(common_prefix(k, &word));
            }
        }
        if keywords.len() > 1 {
            if !keywords.contains(&word.as_str()) {
                return Err(Reject::Ambiguous);
            }
            // An exact keyword wins over longer ones it is a prefix of (`show ip` vs `ipv6`).
            next.retain(|row| match row.1.get(i) {
                Some(Elem::Keyword(k)) => *k == word,
                _ => true,
            });
        }
        if next.is_empty() {
            if tokens.len() == 1 {
                return Err(Reject::UnknownWord(tok.text.to_string()));
            }
            let len = tok.text.chars().count();
            return Err(Reject::Invalid {
                column: tok.column + longest_prefix.min(len.saturating_sub(1)),
            });
        }
        alive = next;
    }
    let complete = alive.iter().find(|row| {
        row.1.len() == consumed || (row.1.len() == consumed + 1 && row.1[consumed] == Elem::Rest)
    });
    let Some((index, pattern)) = complete else {
        return Err(Reject::Incomplete);
    };
    let values = pattern
        .iter()
        .zip(tokens)
        .filter(|(e, _)| !matches!(e, Elem::Keyword(_) | Elem::Rest))
        .map(|(_, t)| t.text)
        .collect();
    let rest = tokens.get(consumed..).unwrap_or(&[]);
    let mut words: Vec<String> = pattern
        .iter()
        .zip(tokens)
        .filter(|(e, _)| **e != Elem::Rest)
        .map(|(e, t)| match e {
            Elem::Keyword(k) => k.to_string(),
            _ => t.text.to_string(),
        })
        .collect();
    words.extend(rest.iter().map(|t| t.text.to_string()));
    let columns = tokens.iter().map(|t| t.column).collect();
    (table[*index].build)(&Args {
        values,
        rest,
        words,
        columns,
    })
}

/// What `?` lists after `tokens` (the words already typed) when the line is at `partial`
/// (a word being typed, or empty after a blank): keywords and placeholders in IOS's help
/// notation, and `<cr>` where the line could end.
pub fn completions<C>(
    table: &[Syntax<C>],
    level: Level,
    tokens: &[Token<'_>],
    partial: &str,
) -> Vec<String> {
    let partial = partial.to_ascii_lowercase();
    let mut out: Vec<String> = Vec::new();
    for s in table.iter().filter(|s| s.level <= level) {
        let elems = elems(s.pattern);
        let mut ok = true;
        for (i, tok) in tokens.iter().enumerate() {
            match elems.get(i) {
                Some(Elem::Rest) => break,
                Some(e) if e.accepts(&tok.text.to_ascii_lowercase()) => {}
                _ => {
                    ok = false;
                    break;
                }
            }
        }
        if !ok {
            continue;
        }
        let next = match elems.get(tokens.len()) {
            Some(Elem::Keyword(k)) if k.starts_with(&partial) => k.to_string(),
            Some(Elem::Keyword(_)) => continue,
            Some(Elem::Ipv4) if partial.is_empty() => "A.B.C.D".into(),
            Some(Elem::Range(lo, hi)) if partial.is_empty() => format!("<{lo}-{hi}>"),
            Some(Elem::Word) if partial.is_empty() => "WORD".into(),
            Some(Elem::Rest) if partial.is_empty() => "LINE".into(),
            None if partial.is_empty() && elems.len() == tokens.len() => "<cr>".into(),
            _ => continue,
        };
        if !out.contains(&next) {
            out.push(next);
        }
    }
    out.sort_by(|a, b| (a == "<cr>").cmp(&(b == "<cr>")).then(a.cmp(b)));
    out
}

fn common_prefix(a: &str, b: &str) -> usize {
    a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count()
}

/// Resolves one abbreviated keyword against a list of choices (ping options, pipe filters).
/// `Ok(None)` means no choice matches; ambiguity is an error.
pub fn keyword<'k>(word: &str, choices: &[&'k str]) -> Result<Option<&'k str>, Reject> {
    let word = word.to_ascii_lowercase();
    if let Some(exact) = choices.iter().find(|c| **c == word) {
        return Ok(Some(exact));
    }
    let hits: Vec<&str> = choices
        .iter()
        .copied()
        .filter(|c| c.starts_with(&word))
        .collect();
    match hits.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(one)),
        _ => Err(Reject::Ambiguous),
    }
}

/// Caret column for a word that matched none of `choices`.
pub fn invalid_at(tok: &Token<'_>, choices: &[&str]) -> Reject {
    let word = tok.text.to_ascii_lowercase();
    let prefix = choices
        .iter()
        .map(|c| common_prefix(c, &word))
        .max()
        .unwrap_or(0);
    Reject::Invalid {
        column: tok.column + prefix.min(tok.text.chars().count().saturating_sub(1)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq)]
    enum T {
        Clock,
        Crypto,
        IpRoute,
        Ipv6Route,
        Length(u32),
        Peer(Ipv4Addr),
        Ping(usize),
    }

    const TABLE: &[Syntax<T>] = &[
        Syntax {
            pattern: "show clock",
            level: Level::User,
            build: |_| Ok(T::Clock),
        },
        Syntax {
            pattern: "show crypto isakmp sa",
            level: Level::Privileged,
            build: |_| Ok(T::Crypto),
        },
        Syntax {
            pattern: "show ip route",
            level: Level::User,
            build: |_| Ok(T::IpRoute),
        },
        Syntax {
            pattern: "show ipv6 route",
            level: Level::User,
            build: |_| Ok(T::Ipv6Route),
        },
        Syntax {
            pattern: "terminal length <0-512>",
            level: Level::User,
            build: |a| a.number(0).map(T::Length),
        },
        Syntax {
            pattern: "debug crypto condition peer ipv4 A.B.C.D",
            level: Level::Privileged,
            build: |a| a.ipv4(0).map(T::Peer),
        },
        Syntax {
            pattern: "ping A.B.C.D ...",
            level: Level::User,
            build: |a| Ok(T::Ping(a.rest.len())),
        },
    ];

    fn run(line: &str, level: Level) -> Result<T, Reject> {
        parse(TABLE, level, &tokenize(line))
    }

    #[test]
    fn abbreviations_resolve_when_unique() {
        assert_eq!(run("sh clo", Level::User), Ok(T::Clock));
        assert_eq!(run("SH CR IS SA", Level::Privileged), Ok(T::Crypto));
        assert_eq!(run("  term  len 0 ", Level::User), Ok(T::Length(0)));
        assert_eq!(
            run("deb cry cond peer ipv4 203.0.113.2", Level::Privileged),
            Ok(T::Peer(Ipv4Addr::new(203, 0, 113, 2)))
        );
    }

    #[test]
    fn ambiguity_depends_on_the_level() {
        assert_eq!(run("sh c", Level::Privileged), Err(Reject::Ambiguous));
        // In user mode only `clock` starts with c.
        assert_eq!(run("sh c", Level::User), Ok(T::Clock));
    }

    #[test]
    fn an_exact_keyword_beats_a_longer_one() {
        assert_eq!(run("show ip route", Level::User), Ok(T::IpRoute));
        assert_eq!(run("show ipv route", Level::User), Ok(T::Ipv6Route));
    }

    #[test]
    fn caret_points_at_the_first_bad_character() {
        // "show verx": nothing under show starts with v → caret under v (column 5).
        assert_eq!(
            run("show verx", Level::User),
            Err(Reject::Invalid { column: 5 })
        );
        // "show clox": "clo" matches clock, x is the first bad character.
        assert_eq!(
            run("show clox", Level::User),
            Err(Reject::Invalid { column: 8 })
        );
        assert_eq!(
            run("show clock now", Level::User),
            Err(Reject::Invalid { column: 11 })
        );
        assert_eq!(
            run("terminal length 900", Level::User),
            Err(Reject::Invalid { column: 16 })
        );
        // Privileged-only commands do not exist in user mode.
        assert_eq!(
            run("show crypto isakmp sa", Level::User),
            Err(Reject::Invalid { column: 6 })
        );
    }

    #[test]
    fn incomplete_and_unknown_words() {
        assert_eq!(run("show", Level::User), Err(Reject::Incomplete));
        assert_eq!(run("terminal length", Level::User), Err(Reject::Incomplete));
        assert_eq!(
            run("frobnicate", Level::User),
            Err(Reject::UnknownWord("frobnicate".into()))
        );
    }

    #[test]
    fn rest_goes_to_the_command() {
        assert_eq!(run("ping 203.0.113.2", Level::User), Ok(T::Ping(0)));
        assert_eq!(
            run("ping 203.0.113.2 source gi0/1 rep 3", Level::User),
            Ok(T::Ping(4))
        );
        assert_eq!(
            run("ping 203.0.113", Level::User),
            Err(Reject::Invalid { column: 5 })
        );
    }

    #[test]
    fn tokens_keep_columns_and_ends() {
        let t = tokenize(" sh  run | inc x");
        assert_eq!(
            t[0],
            Token {
                text: "sh",
                column: 1,
                end: 3
            }
        );
        assert_eq!(t[1].column, 5);
        assert_eq!(t.len(), 5);
    }

    #[test]
    fn keyword_helper_matches_prefixes() {
        let choices = ["repeat", "size", "source", "timeout"];
        assert_eq!(keyword("rep", &choices), Ok(Some("repeat")));
        assert_eq!(keyword("s", &choices), Err(Reject::Ambiguous));
        assert_eq!(keyword("so", &choices), Ok(Some("source")));
        assert_eq!(keyword("x", &choices), Ok(None));
    }

    proptest::proptest! {
        #[test]
        fn never_panics_on_odd_lines(line in "\\PC{0,60}") {
            let _ = run(&line, Level::Privileged);
        }
    }
}
