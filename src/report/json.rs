//! JSON: one object for one report, an array for several (one per tunnel); or JSON lines,
//! one report per line ([`line`]). Fields keep the
//! order of the structs, which is the order DESIGN.md documents.
//!
//! Values are kept as the device printed them. serde_json escapes C0 controls (`\u001b`);
//! the other characters that act on a terminal (DEL, C1 controls such as the one-byte CSI,
//! bidirectional overrides) are escaped too, so that `cat report.json` is as safe as the
//! text report and the data is unchanged.

use super::Report;

pub fn render(reports: &[Report]) -> String {
    let text = match reports {
        [one] => serde_json::to_string_pretty(one),
        many => serde_json::to_string_pretty(many),
    };
    match text {
        Ok(s) => terminal_safe(s) + "\n",
        // Every field is a string, number, enum or list of those: this cannot happen, but a
        // report must never panic, so say it in JSON.
        Err(e) => format!("{{\"error\": \"{e}\"}}\n"),
    }
}

/// One report on one line, for JSON lines (`triage` over several tunnels writes one per tunnel
/// as each finishes).
pub fn line(report: &Report) -> String {
    match serde_json::to_string(report) {
        Ok(s) => terminal_safe(s) + "\n",
        Err(e) => format!("{{\"error\": \"{e}\"}}\n"),
    }
}

/// JSON's structure is ASCII, so these characters can only sit inside strings, where `\uXXXX`
/// stands for them exactly.
fn terminal_safe(json: String) -> String {
    let active = |c: char| matches!(c, '\u{7f}'..='\u{9f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
    if !json.chars().any(active) {
        return json;
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if active(c) {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn characters_that_act_on_a_terminal_are_escaped_and_the_value_kept() {
        let value = "a\x1b]52;c;x\x07 \u{9b}6n \u{202e}b \u{7f}";
        let json = terminal_safe(serde_json::to_string(value).unwrap());
        assert!(
            !json.chars().any(|c| c.is_control() || c == '\u{202e}'),
            "{json}"
        );
        assert_eq!(serde_json::from_str::<String>(&json).unwrap(), value);
    }
}
