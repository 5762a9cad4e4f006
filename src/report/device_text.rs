//! Text that came from a router or a file, made safe to show a human: secrets redacted, then
//! control characters made visible ([`crate::visible`]).
//!
//! Every renderer that shows device text outside the terminal report (the ladder, SVG, HTML)
//! passes it through [`device_text`] before its own escaping, so that a stricter rule reaches
//! every format at once. An XML document gains from it too: most control characters may not
//! appear in XML at all, even escaped.

use crate::secret::redact;
use std::borrow::Cow;

pub use crate::visible::visible;

/// `s` with any secret replaced by `*****` and every control character written as a visible
/// escape (`\x1b`, `\x0d`, `\u{202e}`).
pub fn device_text(s: &str) -> Cow<'_, str> {
    match redact(s) {
        Cow::Borrowed(b) => visible(b),
        Cow::Owned(o) => Cow::Owned(visible(&o).into_owned()),
    }
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
            "a\\x1b[2Jb\\x0dc\\x00d\\x85e\\u{202e}f\tg"
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
