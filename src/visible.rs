//! Text from a router or a file, made safe to print on a terminal.
//!
//! A router's output or a log file may carry terminal control sequences: OSC 52 writes the
//! user's clipboard, OSC 0/2 retitle the window, `ESC c` resets the terminal, bidirectional
//! overrides reorder what is shown. None of that may reach the user's terminal as such: every
//! control character is written as its escape (`\x1b`, `\x07`, `\u{202e}`), so the reader sees
//! that it was there and the terminal does nothing.

use std::borrow::Cow;

/// Characters that act on a terminal or on how text is laid out, rather than print.
fn is_active(c: char) -> bool {
    (c.is_control() && c != '\t') || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `s` with every control character (tab aside) replaced by its visible escape.
pub fn visible(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_active) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if !is_active(c) {
            out.push(c);
        } else if (c as u32) < 0x100 {
            out.push_str(&format!("\\x{:02x}", c as u32));
        } else {
            out.push_str(&format!("\\u{{{:04x}}}", c as u32));
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_of_control_is_shown_not_obeyed() {
        assert_eq!(visible("plain\ttext"), "plain\ttext");
        assert_eq!(
            visible("\x1b]52;c;ZWNobyBoaQ==\x07"),
            "\\x1b]52;c;ZWNobyBoaQ==\\x07"
        );
        assert_eq!(visible("\x1b[2J\x1bc"), "\\x1b[2J\\x1bc");
        assert_eq!(visible("a\u{9b}31m"), "a\\x9b31m");
        assert_eq!(visible("x\u{202e}y\r\n"), "x\\u{202e}y\\x0d\\x0a");
    }
}
