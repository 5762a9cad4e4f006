//! What IOS prints for a line it cannot run: the `^` marker under the first bad character,
//! `% Incomplete command.`, `% Ambiguous command:  "sh c"`, or, for a lone unknown word, the
//! failed attempt to telnet to it as a host name (`no ip domain lookup` form).

use crate::lab::cli::grammar::Reject;

/// `prompt_len` is the width of the prompt the line was typed after, so the caret lines up
/// with the echoed command.
pub fn lines(reject: &Reject, line: &str, prompt_len: usize) -> Vec<String> {
    match reject {
        Reject::Invalid { column } => vec![
            format!("{}^", " ".repeat(prompt_len + column)),
            "% Invalid input detected at '^' marker.".to_string(),
            String::new(),
        ],
        Reject::Incomplete => vec!["% Incomplete command.".to_string(), String::new()],
        Reject::Ambiguous => vec![format!("% Ambiguous command:  \"{}\"", line.trim())],
        Reject::UnknownWord(word) => vec![
            format!("Translating \"{word}\""),
            "% Unknown command or computer name, or unable to find computer address".to_string(),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caret_is_offset_by_the_prompt() {
        let out = lines(&Reject::Invalid { column: 5 }, "show verx", 3);
        assert_eq!(out[0], "        ^");
        assert_eq!(out[1], "% Invalid input detected at '^' marker.");
    }

    #[test]
    fn ambiguous_quotes_the_line() {
        assert_eq!(
            lines(&Reject::Ambiguous, " sh c ", 3),
            vec!["% Ambiguous command:  \"sh c\""]
        );
    }
}
