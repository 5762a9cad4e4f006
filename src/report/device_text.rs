//! Text that came from a router or a file, made safe to show a human: secrets redacted and
//! control characters made visible.
//!
//! A router's output can hold anything: an escape sequence that repaints a terminal, a
//! carriage return that hides the start of a line, a bidirectional override that reorders
//! what a reader sees, a NUL that ends an XML document. Every renderer passes device text
//! through [`device_text`] before its own escaping (HTML, SVG); one function, so that a
//! stricter rule reaches every format at once.

use crate::secret::redact;
use std::borrow::Cow;
use std::fmt::Write;

/// `s` with any secret replaced by `*****` and every control character (C0 except tab, DEL,
/// C1, and the Unicode bidirectional controls) written as a visible escape: `\x1b`, `\r`,
/// `\u{202e}`.
pub fn device_text(s: &str) -> Cow<'_, str> {
    match redact(s) {
        Cow::Borrowed(b) => visible(b),
        Cow::Owned(o) => Cow::Owned(visible(&o).into_owned()),
    }
}

/// `s` with its control characters made visible as [`device_text`] does, and nothing
/// redacted: for text the engine wrote around device values (a fix's commands hold
/// placeholders such as `crypto isakmp key <same key on both routers>`, never a key).
pub fn visible(s: &str) -> Cow<'_, str> {
    if !s.chars().any(needs_escape) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if !needs_escape(c) {
            out.push(c);
            continue;
        }
        let _ = match c {
            '\r' => write!(out, "\\r"),
            '\n' => write!(out, "\\n"),
            c if (c as u32) < 0x100 => write!(out, "\\x{:02x}", c as u32),
            c => write!(out, "\\u{{{:x}}}", c as u32),
        };
    }
    Cow::Owned(out)
}

fn needs_escape(c: char) -> bool {
    (c.is_control() && c != '\t')
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_borrowed() {
        assert!(matches!(
            device_text("ISAKMP:(0): beginning Main Mode exchange"),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn controls_become_visible() {
        assert_eq!(
            device_text("a\x1b[2Jb\rc\u{0}d\u{85}e\u{202e}f\tg"),
            "a\\x1b[2Jb\\rc\\x00d\\x85e\\u{202e}f\tg"
        );
    }

    #[test]
    fn secrets_are_redacted_first() {
        assert_eq!(
            device_text("crypto isakmp key s3cr3t\x07 address 203.0.113.2"),
            "crypto isakmp key ***** address 203.0.113.2"
        );
    }
}
