//! What a CLI dialect looks like, as data: prompt patterns, the pager, the password prompt,
//! the markers of a refused command, and what to send on open and close (the shape of
//! Scrapli's platform definitions). One value per dialect lives in its own module.

use regex::Regex;

/// Which mode a prompt shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// `R1>`
    User,
    /// `R1#`
    Privileged,
    /// `R1(config)#`, `R1(config-if)#`, … with the text inside the parentheses.
    Config(String),
}

/// A prompt as the device printed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    pub text: String,
    pub host: String,
    pub mode: Mode,
}

#[derive(Debug)]
pub struct Platform {
    pub name: &'static str,
    /// A whole prompt at the end of the unterminated line; groups `host`, optional `mode`
    /// (config sub-mode) and `mark` (the last character).
    pub prompt: Regex,
    /// Mark character of the privileged (enable) level.
    pub privileged_mark: char,
    /// The pager's stop line, at the end of the unterminated line.
    pub pager: Regex,
    /// Key that shows the next screen.
    pub pager_answer: &'static str,
    /// `enable`'s question for the secret.
    pub password_prompt: Regex,
    /// A command's output line starting with one of these means the device refused it.
    pub failures: &'static [&'static str],
    /// Enter the privileged level.
    pub enable: &'static str,
    /// Sent once logged in (and privileged), in order; a refusal is logged, not fatal, since
    /// the pager is answered anyway.
    pub on_open: &'static [&'static str],
    /// Start and stop streaming log and debug lines to this session.
    pub monitor_on: &'static str,
    pub monitor_off: &'static str,
    /// Leave any config mode.
    pub end_config: &'static str,
    /// Log out.
    pub on_close: &'static str,
    /// Interrupts a running ping or traceroute.
    pub interrupt: &'static [u8],
}

impl Platform {
    /// The prompt if `tail` (the unterminated last line) is exactly one.
    pub fn parse_prompt(&self, tail: &str) -> Option<Prompt> {
        let c = self.prompt.captures(tail)?;
        let host = c.name("host")?.as_str().to_string();
        let mark = c.name("mark")?.as_str();
        let mode = match (c.name("mode"), mark.starts_with(self.privileged_mark)) {
            (Some(m), _) => Mode::Config(m.as_str().to_string()),
            (None, true) => Mode::Privileged,
            (None, false) => Mode::User,
        };
        Some(Prompt {
            text: tail.trim_end().to_string(),
            host,
            mode,
        })
    }

    /// The refusal message if one of `lines` carries a failure marker.
    pub fn failure<'a>(&self, lines: &'a [String]) -> Option<&'a str> {
        lines
            .iter()
            .map(|l| l.trim())
            .find(|l| self.failures.iter().any(|f| l.starts_with(f)))
    }
}
