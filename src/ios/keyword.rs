//! IOS command words as an engineer types them: separated by any run of blanks, keywords in
//! any case and shortened to any prefix IOS still accepts (`cry isa key`, `sh run`).
//!
//! Used where a whole command must be recognised whatever its spelling: the redaction table
//! (`crate::secret`) and the playbook's safety classes (`crate::playbook`).

/// A keyword written with a bar after its shortest abbreviation: `cr|ypto` takes `cr`, `cry`,
/// … `crypto`, in any case; `md5` (no bar) must be spelled out.
///
/// The minimum is a choice, not IOS's own rule (IOS takes any prefix that is unique among the
/// keywords valid at that point, which depends on the release and the mode): where a match
/// protects a secret the minimum is low, so every spelling IOS could take is caught; where a
/// match grants permission it is high enough to name one command only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Keyword(pub &'static str);

impl Keyword {
    fn parts(&self) -> (&'static str, &'static str) {
        self.0.split_once('|').unwrap_or((self.0, ""))
    }

    /// The keyword spelled out.
    pub fn word(&self) -> String {
        let (head, tail) = self.parts();
        format!("{head}{tail}")
    }

    /// `typed` is this keyword or an allowed abbreviation of it, in any case.
    pub fn matches(&self, typed: &str) -> bool {
        let (head, tail) = self.parts();
        let full = head.len() + tail.len();
        let t = typed.as_bytes();
        t.len() >= head.len().max(1)
            && t.len() <= full
            && t.iter().enumerate().all(|(i, c)| {
                let want = if i < head.len() {
                    head.as_bytes()[i]
                } else {
                    tail.as_bytes()[i - head.len()]
                };
                c.eq_ignore_ascii_case(&want)
            })
    }

    /// `typed` is a shorter spelling, not the whole keyword.
    pub fn is_partial(&self, typed: &str) -> bool {
        let (head, tail) = self.parts();
        self.matches(typed) && typed.len() < head.len() + tail.len()
    }
}

/// A word of a command line and its byte range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Word<'a> {
    pub text: &'a str,
    pub start: usize,
}

impl Word<'_> {
    pub fn end(&self) -> usize {
        self.start + self.text.len()
    }
}

/// Splits on any whitespace (spaces, tabs, runs of them), keeping byte offsets.
pub fn words(line: &str) -> Vec<Word<'_>> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    for (i, ch) in line.char_indices() {
        match (ch.is_whitespace(), start) {
            (false, None) => start = Some(i),
            (true, Some(s)) => {
                out.push(Word {
                    text: &line[s..i],
                    start: s,
                });
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push(Word {
            text: &line[s..],
            start: s,
        });
    }
    out
}

/// The length of a prompt (`R1#`, `R1>`, `hub-2(config-keyring)#`) at the start of `text`,
/// when the line is a command typed at one.
pub fn prompt_len(text: &str) -> Option<usize> {
    let b = text.as_bytes();
    let host = b
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-'))
        .count();
    if host == 0 {
        return None;
    }
    let mut i = host;
    if b.get(i) == Some(&b'(') {
        let close = b[i..].iter().position(|&c| c == b')')? + i;
        if !b[i + 1..close]
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-'))
        {
            return None;
        }
        i = close + 1;
    }
    matches!(b.get(i), Some(b'#') | Some(b'>')).then_some(i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abbreviations_and_case() {
        let k = Keyword("cr|ypto");
        assert!(k.matches("cr") && k.matches("CRY") && k.matches("crypto"));
        assert!(!k.matches("c") && !k.matches("cryptox") && !k.matches("cx"));
        assert!(k.is_partial("cry") && !k.is_partial("Crypto"));
        assert_eq!(k.word(), "crypto");
        assert!(Keyword("md5").matches("MD5") && !Keyword("md5").matches("md"));
    }

    #[test]
    fn words_keep_offsets_across_any_blanks() {
        let w = words(" \tcry  isa\tkey x");
        let texts: Vec<_> = w.iter().map(|w| w.text).collect();
        assert_eq!(texts, ["cry", "isa", "key", "x"]);
        assert_eq!(w[3].start, 15);
    }

    #[test]
    fn prompts() {
        assert_eq!(prompt_len("R1#show run"), Some(3));
        assert_eq!(prompt_len("hub-2(config-keyring)# pre"), Some(22));
        assert_eq!(prompt_len("R1>"), Some(3));
        assert_eq!(prompt_len("crypto isakmp key"), None);
        assert_eq!(prompt_len(" R1#x"), None);
    }
}
