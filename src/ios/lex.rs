//! One config line split into words, remembering where each word sat, so a complaint can name
//! the column the engineer must look at even after we squeezed the spacing for matching.

/// A word of a line and its byte offset in the squeezed text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Tok<'a> {
    pub text: &'a str,
    /// Byte offset in [`Line::text`].
    pub at: usize,
}

/// Something wrong at a byte offset of [`Line::text`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Bad {
    pub at: usize,
    pub message: String,
}

impl Bad {
    pub fn new(at: usize, message: impl Into<String>) -> Bad {
        Bad {
            at,
            message: message.into(),
        }
    }
}

/// A line as the parser matches it: words joined by single spaces (IOS prints single spaces,
/// pasted configs often do not), plus the map back to the original columns.
#[derive(Debug, Clone)]
pub(crate) struct Line {
    pub text: String,
    /// Leading blanks: zero for a command that opens or ends a block.
    pub indent: usize,
    /// (offset in `text`, 1-based column in the original line) for each word.
    starts: Vec<(usize, usize)>,
}

impl Line {
    pub fn new(raw: &str) -> Line {
        let raw = raw.trim_end_matches(['\r', '\n']);
        let mut text = String::with_capacity(raw.len());
        let mut starts = Vec::new();
        let mut indent = 0;
        let mut in_word = false;
        for (col0, ch) in raw.chars().enumerate() {
            if ch.is_whitespace() {
                if starts.is_empty() {
                    indent += 1;
                }
                in_word = false;
                continue;
            }
            if !in_word {
                if !text.is_empty() {
                    text.push(' ');
                }
                starts.push((text.len(), col0 + 1));
                in_word = true;
            }
            text.push(ch);
        }
        Line {
            text,
            indent,
            starts,
        }
    }

    pub fn is_blank(&self) -> bool {
        self.text.is_empty()
    }

    /// 1-based column in the original line of byte offset `at` of [`Line::text`].
    pub fn column(&self, at: usize) -> usize {
        let idx = self.starts.partition_point(|&(off, _)| off <= at);
        match idx.checked_sub(1).and_then(|i| self.starts.get(i)) {
            Some(&(off, col)) => {
                let within = self.text.get(off..at).map_or(0, |s| s.chars().count());
                col + within
            }
            None => self.indent + 1,
        }
    }

    pub fn tokens(&self) -> Vec<Tok<'_>> {
        self.starts
            .iter()
            .enumerate()
            .filter_map(|(i, &(off, _))| {
                let end = self
                    .starts
                    .get(i + 1)
                    .map_or(self.text.len(), |&(n, _)| n - 1);
                self.text.get(off..end).map(|text| Tok { text, at: off })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn squeezes_spaces_and_keeps_columns() {
        let l = Line::new("  set   peer\t203.0.113.2  \r");
        assert_eq!(l.text, "set peer 203.0.113.2");
        assert_eq!(l.indent, 2);
        let t = l.tokens();
        assert_eq!(t.len(), 3);
        assert_eq!(t[2].text, "203.0.113.2");
        assert_eq!(l.column(t[0].at), 3);
        assert_eq!(l.column(t[1].at), 9);
        assert_eq!(l.column(t[2].at), 14);
        assert_eq!(l.column(t[2].at + 4), 18);
    }

    #[test]
    fn blank_and_odd_lines() {
        assert!(Line::new("   \t ").is_blank());
        assert_eq!(Line::new("é  x").tokens()[1].text, "x");
        assert_eq!(Line::new("é  x").column(3), 4);
    }
}
