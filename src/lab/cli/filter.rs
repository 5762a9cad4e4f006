//! Output filters after a `|`: `include`, `exclude`, `begin`, `section`, `count`, each taking
//! the rest of the line as a regular expression, as IOS does (`| inc crypto map` looks for
//! "crypto map").

use super::grammar::{Reject, invalid_at, keyword, tokenize};
use regex::Regex;

#[derive(Debug, Clone)]
pub enum Filter {
    /// Output from the first matching line on.
    Begin(Regex),
    /// Only `Number of lines which match regexp = N`.
    Count(Regex),
    Exclude(Regex),
    Include(Regex),
    /// Whole configuration sections (a line and the indented lines under it) that contain a
    /// match anywhere in them.
    Section(Regex),
}

const NAMES: &[&str] = &["begin", "count", "exclude", "include", "section"];

impl Filter {
    /// Parses the text after `|`. `column` is the character column of that text in the line,
    /// so a caret lands under the right character.
    pub fn parse(text: &str, column: usize) -> Result<Filter, Reject> {
        let tokens = tokenize(text);
        let Some(first) = tokens.first() else {
            return Err(Reject::Incomplete);
        };
        let shift = |r: Reject| match r {
            Reject::Invalid { column: c } => Reject::Invalid { column: c + column },
            other => other,
        };
        let Some(name) = keyword(first.text, NAMES)? else {
            return Err(shift(invalid_at(first, NAMES)));
        };
        let pattern_text = text.get(first.end..).unwrap_or("").trim_start();
        if pattern_text.trim().is_empty() {
            return Err(Reject::Incomplete);
        }
        let pattern = Regex::new(pattern_text).map_err(|_| {
            let at = tokens.get(1).map_or(first.column, |t| t.column);
            Reject::Invalid {
                column: at + column,
            }
        })?;
        Ok(match name {
            "begin" => Filter::Begin(pattern),
            "count" => Filter::Count(pattern),
            "exclude" => Filter::Exclude(pattern),
            "include" => Filter::Include(pattern),
            _ => Filter::Section(pattern),
        })
    }

    pub fn apply(&self, lines: Vec<String>) -> Vec<String> {
        match self {
            Filter::Include(re) => lines.into_iter().filter(|l| re.is_match(l)).collect(),
            Filter::Exclude(re) => lines.into_iter().filter(|l| !re.is_match(l)).collect(),
            Filter::Begin(re) => lines.into_iter().skip_while(|l| !re.is_match(l)).collect(),
            Filter::Count(re) => vec![format!(
                "Number of lines which match regexp = {}",
                lines.iter().filter(|l| re.is_match(l)).count()
            )],
            Filter::Section(re) => sections(lines, re),
        }
    }
}

fn sections(lines: Vec<String>, re: &Regex) -> Vec<String> {
    let mut out = Vec::new();
    let mut block: Vec<String> = Vec::new();
    let flush = |block: &mut Vec<String>, out: &mut Vec<String>| {
        if block.iter().any(|l| re.is_match(l)) {
            out.append(block);
        }
        block.clear();
    };
    for line in lines {
        if !line.starts_with([' ', '\t']) {
            flush(&mut block, &mut out);
        }
        block.push(line);
    }
    flush(&mut block, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Vec<String> {
        [
            "hostname R1",
            "!",
            "crypto isakmp policy 10",
            " encr aes 256",
            " group 14",
            "crypto isakmp key Vpn-Key-2026 address 203.0.113.2",
            "!",
            "interface GigabitEthernet0/0",
            " ip address 203.0.113.1 255.255.255.0",
            " crypto map VPN",
            "interface GigabitEthernet1/0",
            " ip address 192.168.101.1 255.255.255.0",
            "end",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    }

    fn run(filter: &str) -> Vec<String> {
        Filter::parse(filter, 0).unwrap().apply(config())
    }

    #[test]
    fn include_and_exclude_take_the_rest_of_the_line() {
        assert_eq!(run("inc crypto map"), vec![" crypto map VPN"]);
        assert_eq!(run("i ^interface").len(), 2);
        assert_eq!(run("exclude ^ ").len(), 8);
    }

    #[test]
    fn section_keeps_whole_blocks() {
        assert_eq!(
            run("sec crypto isakmp policy"),
            vec!["crypto isakmp policy 10", " encr aes 256", " group 14"]
        );
        // A match inside a block brings the block's header along.
        assert_eq!(
            run("section crypto map"),
            vec![
                "interface GigabitEthernet0/0",
                " ip address 203.0.113.1 255.255.255.0",
                " crypto map VPN"
            ]
        );
    }

    #[test]
    fn begin_and_count() {
        assert_eq!(
            run("begin interface").first().map(String::as_str),
            Some("interface GigabitEthernet0/0")
        );
        assert_eq!(
            run("count address"),
            vec!["Number of lines which match regexp = 3"]
        );
    }

    #[test]
    fn errors_point_into_the_line() {
        assert_eq!(
            Filter::parse(" include", 9).unwrap_err(),
            Reject::Incomplete
        );
        assert_eq!(Filter::parse("", 9).unwrap_err(), Reject::Incomplete);
        // "| inx": "in" matches include, x is bad; text starts at column 9.
        assert_eq!(
            Filter::parse(" inx foo", 9).unwrap_err(),
            Reject::Invalid { column: 12 }
        );
        assert!(matches!(
            Filter::parse(" include (", 0),
            Err(Reject::Invalid { column: 9 })
        ));
    }
}
