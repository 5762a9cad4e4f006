//! Turns a PTY byte stream into what the session acts on: unsolicited lines, the end of a
//! command's output (its prompt), a pager stop, a password question. Pure: bytes in, events
//! out, no I/O, so every odd interleaving can be tested line by line.
//!
//! Partial lines never leave the framer (as mini-redis's `Connection` keeps partial frames).
//! Prompts, pager stops and password questions are recognised on the unterminated tail;
//! everything else on complete lines. Backspaces (the pager erases itself with them) edit the
//! tail; carriage returns, bells and the CSI cursor and erase codes a terminal session carries
//! are dropped. Nothing else that acts on a terminal gets through: OSC strings (clipboard,
//! window title), other escapes and control characters come out visible (`\x1b]52;…\x07`).

use super::platform::{Platform, Prompt};
use crate::engine::parse::debug::looks_like_log;
use crate::visible::visible;
use regex::Regex;
use std::sync::LazyLock;

/// A line longer than this is cut: no IOS output line comes close, and a device spewing
/// bytes without newlines must not grow memory.
const MAX_LINE: usize = 64 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A complete line no command asked for (debug, syslog, banner after login).
    Unsolicited(String),
    /// The device waits at a prompt. `output` is set when this prompt ends the pending
    /// command; it holds the command's output lines without echo or prompt.
    Prompt {
        prompt: Prompt,
        output: Option<Vec<String>>,
    },
    /// The pager stopped output; send the platform's pager answer.
    Pager,
    /// The device asks for a password (enable).
    Password,
}

#[derive(Debug)]
struct Pending {
    /// What is still to be echoed of the command.
    echo_left: String,
    echoed: bool,
    lines: Vec<String>,
}

#[derive(Debug)]
pub struct Framer {
    platform: &'static Platform,
    host: Option<String>,
    /// Matches this host's prompt at the start of a complete line.
    tail: Vec<u8>,
    pending: Option<Pending>,
    /// The last prompt recognised, so a prompt read while nobody was waiting is not lost.
    last_prompt: Option<Prompt>,
    /// With `terminal monitor` off nothing unsolicited can arrive during a command, so log-like
    /// output (`show logging`) stays output.
    monitor: bool,
    /// Inside an OSC string (`ESC ]` … `BEL`): its closing bell is kept, to be shown.
    in_osc: bool,
}

impl Framer {
    pub fn new(platform: &'static Platform) -> Framer {
        Framer {
            platform,
            host: None,
            tail: Vec::new(),
            pending: None,
            last_prompt: None,
            monitor: false,
            in_osc: false,
        }
    }

    /// The host name learned from the first prompt.
    pub fn host(&self) -> Option<&str> {
        self.host.as_deref()
    }

    pub fn last_prompt(&self) -> Option<&Prompt> {
        self.last_prompt.as_ref()
    }

    pub fn set_monitor(&mut self, on: bool) {
        self.monitor = on;
    }

    /// A command was sent; its echo and output come next.
    pub fn begin(&mut self, command: &str) {
        self.pending = Some(Pending {
            echo_left: command.trim_end().to_string(),
            echoed: command.trim().is_empty(),
            lines: Vec::new(),
        });
    }

    /// Forget the pending command (it timed out or the caller gave up): whatever it still
    /// prints is dropped until the echo of the next command.
    pub fn abandon(&mut self) {
        if let Some(p) = &mut self.pending {
            p.echoed = false;
            p.echo_left = String::from("\0");
        }
    }

    pub fn feed(&mut self, bytes: &[u8]) -> Vec<Event> {
        let mut events = Vec::new();
        for &b in bytes {
            match b {
                b'\n' => {
                    self.in_osc = false;
                    let raw = std::mem::take(&mut self.tail);
                    self.line(clean(&raw), &mut events);
                }
                b'\r' | 0 => {}
                0x07 if !self.in_osc => {}
                0x08 => {
                    self.tail.pop();
                }
                _ => {
                    if b == b']' && self.tail.last() == Some(&0x1b) {
                        self.in_osc = true;
                    } else if b == 0x07 || (b == b'\\' && self.tail.last() == Some(&0x1b)) {
                        self.in_osc = false;
                    }
                    self.tail.push(b);
                    if self.tail.len() >= MAX_LINE {
                        let raw = std::mem::take(&mut self.tail);
                        self.line(clean(&raw), &mut events);
                    }
                }
            }
        }
        self.check_tail(&mut events);
        events
    }

    fn line(&mut self, text: String, events: &mut Vec<Event>) {
        let (prompt, rest) = self.strip_prompt(&text);
        let Some(p) = &mut self.pending else {
            // Idle: anything after login is something nobody asked for.
            if !rest.trim().is_empty() && self.host.is_some() {
                events.push(Event::Unsolicited(rest));
            }
            return;
        };
        if !p.echoed {
            if rest.trim_end() == p.echo_left {
                p.echoed = true;
            } else if let Some((head, log)) = split_interrupted(&rest)
                && p.echo_left.starts_with(head)
            {
                // `sho*Mar  1 00:55:…: ISAKMP…` then `w version`: a log line broke the echo.
                p.echo_left = p.echo_left[head.len()..].to_string();
                events.push(Event::Unsolicited(log.to_string()));
            } else if looks_like_log(&rest) {
                events.push(Event::Unsolicited(rest));
            } else {
                tracing::trace!(line = %crate::secret::redact(&rest), "dropped before the echo");
            }
            return;
        }
        if let Some(prompt) = prompt {
            // `R1#*Mar  1 …: …`: the prompt ended the command, then a log line followed.
            self.last_prompt = Some(prompt.clone());
            let output = std::mem::take(&mut p.lines);
            self.pending = None;
            events.push(Event::Prompt {
                prompt,
                output: Some(output),
            });
            if !rest.trim().is_empty() {
                events.push(Event::Unsolicited(rest));
            }
            return;
        }
        if self.monitor {
            if let Some((head, log)) = split_interrupted(&rest) {
                p.lines.push(head.to_string());
                events.push(Event::Unsolicited(log.to_string()));
                return;
            }
            if looks_like_log(&rest) {
                events.push(Event::Unsolicited(rest));
                return;
            }
        }
        p.lines.push(rest);
    }

    fn check_tail(&mut self, events: &mut Vec<Event>) {
        if self.tail.is_empty() {
            return;
        }
        let tail = clean(&self.tail);
        if self.pending.is_some() && self.platform.pager.is_match(&tail) {
            let before = self.platform.pager.replace(&tail, "").into_owned();
            self.tail.clear();
            if !before.is_empty() {
                self.line(before, events);
            }
            events.push(Event::Pager);
            return;
        }
        if self.platform.password_prompt.is_match(&tail) {
            self.tail.clear();
            events.push(Event::Password);
            return;
        }
        let Some(prompt) = self.platform.parse_prompt(&tail) else {
            return;
        };
        match &self.host {
            Some(h) if *h != prompt.host => return,
            Some(_) => {}
            None => self.learn(&prompt.host),
        }
        self.tail.clear();
        self.last_prompt = Some(prompt.clone());
        let output = match &mut self.pending {
            Some(p) if p.echoed => {
                let lines = std::mem::take(&mut p.lines);
                self.pending = None;
                Some(lines)
            }
            // The prompt before our echo (or a stale one): the command has not started yet.
            Some(_) => return,
            None => None,
        };
        events.push(Event::Prompt { prompt, output });
    }

    fn learn(&mut self, host: &str) {
        self.host = Some(host.to_string());
    }

    /// The length of `host>`, `host#` or `host(config-if)#` at the start of `line`. Checked by
    /// hand: compiling a regex per session cost more than the rest of the session's setup.
    fn prompt_len(&self, line: &str) -> Option<usize> {
        let host = self.host.as_deref()?;
        let rest = line.strip_prefix(host)?;
        let b = rest.as_bytes();
        let mode = if b.first() == Some(&b'(') {
            let close = b.iter().position(|&c| c == b')')?;
            let inner = &b[1..close];
            if inner.is_empty()
                || !inner
                    .iter()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-'))
            {
                return None;
            }
            close + 1
        } else {
            0
        };
        matches!(b.get(mode), Some(b'>') | Some(b'#')).then_some(host.len() + mode + 1)
    }

    /// Splits `R1#rest` into the prompt and `rest`.
    fn strip_prompt(&self, line: &str) -> (Option<Prompt>, String) {
        if let Some(n) = self.prompt_len(line)
            && let Some(prompt) = self.platform.parse_prompt(&line[..n])
        {
            return (Some(prompt), line[n..].to_string());
        }
        (None, line.to_string())
    }
}

/// Final bytes of the CSI sequences a terminal session to IOS carries: cursor movement,
/// erase in line or display, and text attributes (some AAA banners and IOS-XE send them).
/// Any other CSI (a device status request makes the terminal type an answer) is shown.
const CURSOR_CODES: &[u8] = b"ABCDEFGHJKfm";

/// The line as text: cursor codes dropped, every other control character made visible.
fn clean(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    let mut kept = String::with_capacity(text.len());
    let mut rest: &str = &text;
    while let Some(at) = rest.find("\x1b[") {
        kept.push_str(&rest[..at]);
        let seq = &rest.as_bytes()[at + 2..];
        let params = seq
            .iter()
            .take_while(|b| (0x20..=0x3f).contains(*b))
            .count();
        match seq.get(params) {
            Some(f) if CURSOR_CODES.contains(f) => rest = &rest[at + 2 + params + 1..],
            _ => {
                kept.push_str("\x1b[");
                rest = &rest[at + 2..];
            }
        }
    }
    kept.push_str(rest);
    visible(&kept).into_owned()
}

/// Where a dated log stamp starts inside a line, as when a console message lands in the
/// middle of what was being echoed:
/// `sho*Mar  1 00:55:01.123: ISAKMP:(0): beginning Main Mode exchange`
static MID_LINE_STAMP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\*?(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ \d]\d \d\d:\d\d:\d\d")
        .expect("stamp pattern compiles")
});

/// `(text before, log line)` when a log line starts after the first character.
fn split_interrupted(line: &str) -> Option<(&str, &str)> {
    let m = MID_LINE_STAMP.find_iter(line).find(|m| m.start() > 0)?;
    let log = &line[m.start()..];
    looks_like_log(log).then(|| (&line[..m.start()], log))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::cisco_ios;
    use crate::device::platform::Mode;

    fn framer() -> Framer {
        let mut f = Framer::new(cisco_ios::platform());
        let ev = f.feed(b"\r\n\r\nR1>");
        assert!(
            matches!(&ev[..], [Event::Prompt { output: None, .. }]),
            "{ev:?}"
        );
        f
    }

    fn output(ev: &[Event]) -> Option<&Vec<String>> {
        ev.iter().find_map(|e| match e {
            Event::Prompt {
                output: Some(o), ..
            } => Some(o),
            _ => None,
        })
    }

    fn unsolicited(ev: &[Event]) -> Vec<&str> {
        ev.iter()
            .filter_map(|e| match e {
                Event::Unsolicited(l) => Some(l.as_str()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn command_output_without_echo_or_prompt() {
        let mut f = framer();
        assert_eq!(f.host(), Some("R1"));
        f.begin("show clock");
        let ev = f.feed(b"show clock\r\n*10:15:42.123 UTC Wed Nov 26 2026\r\nR1>");
        assert_eq!(
            output(&ev).unwrap(),
            &vec!["*10:15:42.123 UTC Wed Nov 26 2026".to_string()]
        );
    }

    #[test]
    fn output_in_small_chunks_is_the_same() {
        let text = b"show crypto isakmp sa\r\nIPv4 Crypto ISAKMP SA\r\ndst             src             state          conn-id status\r\n\r\nR1#";
        let mut f = framer();
        f.begin("show crypto isakmp sa");
        let mut all = Vec::new();
        for chunk in text.chunks(3) {
            all.extend(f.feed(chunk));
        }
        let out = output(&all).unwrap();
        assert_eq!(out[0], "IPv4 Crypto ISAKMP SA");
        assert_eq!(out.len(), 3);
    }

    #[test]
    fn pager_stops_are_reported_and_erased() {
        let mut f = framer();
        f.begin("show running-config");
        let ev = f.feed(b"show running-config\r\nBuilding configuration...\r\n --More-- ");
        assert_eq!(ev, vec![Event::Pager]);
        let ev = f.feed(b"\x08\x08\x08\x08\x08\x08\x08\x08\x08\x08          \x08\x08\x08\x08\x08\x08\x08\x08\x08\x08version 15.4\r\nend\r\n\r\nR1#");
        assert_eq!(
            output(&ev).unwrap(),
            &vec![
                "Building configuration...".to_string(),
                "version 15.4".into(),
                "end".into(),
                "".into()
            ]
        );
    }

    #[test]
    fn monitor_lines_are_split_from_output() {
        let mut f = framer();
        f.set_monitor(true);
        f.begin("show crypto session");
        let ev = f.feed(
            b"show crypto session\r\nCrypto session current status\r\n\
*Nov 26 10:15:42.123: ISAKMP:(0): beginning Main Mode exchange\r\n\
\r\nInterface: GigabitEthernet0/0\r\nR1#*Nov 26 10:15:42.200: ISAKMP:(0): sending packet to 203.0.113.2 my_port 500 peer_port 500 (I) MM_NO_STATE\r\n",
        );
        assert_eq!(
            output(&ev).unwrap(),
            &vec![
                "Crypto session current status".to_string(),
                "".into(),
                "Interface: GigabitEthernet0/0".into()
            ]
        );
        let u = unsolicited(&ev);
        assert_eq!(u.len(), 2, "{ev:?}");
        assert!(u[1].ends_with("(I) MM_NO_STATE"));
    }

    #[test]
    fn a_log_line_breaking_the_echo() {
        let mut f = framer();
        f.set_monitor(true);
        f.begin("show version");
        let ev = f.feed(
            b"sho*Mar  1 00:55:01.123: ISAKMP:(0): beginning Main Mode exchange\r\nw version\r\nCisco IOS Software\r\nR1>",
        );
        assert_eq!(
            output(&ev).unwrap(),
            &vec!["Cisco IOS Software".to_string()]
        );
        assert_eq!(
            unsolicited(&ev),
            ["*Mar  1 00:55:01.123: ISAKMP:(0): beginning Main Mode exchange"]
        );
    }

    #[test]
    fn log_like_output_stays_output_without_monitor() {
        let mut f = framer();
        f.begin("show logging");
        let ev = f.feed(b"show logging\r\n*Nov 26 10:00:01.000: %SYS-5-CONFIG_I: Configured from console\r\nR1>");
        assert_eq!(output(&ev).unwrap().len(), 1);
        assert!(unsolicited(&ev).is_empty());
    }

    #[test]
    fn idle_lines_and_enable_dialogue() {
        let mut f = framer();
        let ev = f.feed(b"*Nov 26 10:15:42.123: %CRYPTO-6-ISAKMP_ON_OFF: ISAKMP is OFF\r\n");
        assert_eq!(
            unsolicited(&ev),
            ["*Nov 26 10:15:42.123: %CRYPTO-6-ISAKMP_ON_OFF: ISAKMP is OFF"]
        );
        f.begin("enable");
        assert_eq!(f.feed(b"enable\r\nPassword: "), vec![Event::Password]);
        let ev = f.feed(b"\r\nR1#");
        match &ev[..] {
            [Event::Prompt { prompt, output }] => {
                assert_eq!(prompt.mode, Mode::Privileged);
                // The newline after the unechoed secret.
                assert_eq!(output.as_deref(), Some(&[String::new()][..]));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn abandoned_output_is_dropped_until_the_next_echo() {
        let mut f = framer();
        f.begin("ping 10.9.9.9");
        f.feed(b"ping 10.9.9.9\r\nType escape sequence to abort.\r\n..");
        f.abandon();
        f.begin("show clock");
        let ev = f.feed(b"...\r\nSuccess rate is 0 percent (0/5)\r\nR1>show clock\r\n10:00:00.000 UTC Wed Nov 26 2026\r\nR1>");
        assert_eq!(
            output(&ev).unwrap(),
            &vec!["10:00:00.000 UTC Wed Nov 26 2026".to_string()]
        );
    }

    #[test]
    fn cursor_codes_are_dropped_and_every_other_escape_is_shown() {
        let mut f = framer();
        f.begin("show crypto session");
        let ev = f.feed(
            b"show crypto session\r\n\x1b[2K\x1b[1;1HInterface: Gi0/0\x1b[0m\r\n\
peer \x1b]52;c;Y3VybCBldmlsLnNofHNo\x07 title \x1b]0;owned\x1b\\ reset \x1bc dsr \x1b[6n bell\x07\r\n\
csi \xc2\x9b31m bidi \xe2\x80\xae\r\nR1>",
        );
        let out = output(&ev).unwrap();
        assert_eq!(out[0], "Interface: Gi0/0");
        assert_eq!(
            out[1],
            "peer \\x1b]52;c;Y3VybCBldmlsLnNofHNo\\x07 title \\x1b]0;owned\\x1b\\ reset \\x1bc dsr \\x1b[6n bell"
        );
        assert_eq!(out[2], "csi \\x9b31m bidi \\u{202e}");
        assert!(out.iter().all(|l| !l.chars().any(|c| c.is_control())));
    }

    #[test]
    fn another_hosts_prompt_in_output_is_not_ours() {
        let mut f = framer();
        f.begin("show run | include banner");
        let ev = f.feed(b"show run | include banner\r\nR2#");
        assert!(output(&ev).is_none());
    }

    mod chunks {
        use super::*;
        use proptest::prelude::*;

        const TRANSCRIPT: &[u8] = b"show crypto session\r\nCrypto session current status\r\n\
*Nov 26 10:15:42.123: ISAKMP:(0): beginning Main Mode exchange\r\n\
Interface: GigabitEthernet0/0\r\n --More-- \x08\x08\x08\x08\x08\x08\x08\x08\x08\x08Session status: DOWN\r\n\
R1#*Nov 26 10:15:42.200: ISAKMP:(0): sending packet to 203.0.113.2\r\n";

        fn run(chunks: &[&[u8]]) -> Vec<Event> {
            let mut f = framer();
            f.set_monitor(true);
            f.begin("show crypto session");
            chunks.iter().flat_map(|c| f.feed(c)).collect()
        }

        proptest! {
            #[test]
            fn any_bytes_never_panic(chunks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..64), 0..16)) {
                let mut f = framer();
                f.set_monitor(true);
                f.begin("show version");
                for c in &chunks {
                    f.feed(c);
                }
            }

            #[test]
            fn chunking_does_not_change_the_result(cuts in proptest::collection::btree_set(1..TRANSCRIPT.len(), 0..12)) {
                let mut pieces = Vec::new();
                let mut start = 0;
                for cut in cuts.iter().copied().chain([TRANSCRIPT.len()]) {
                    pieces.push(&TRANSCRIPT[start..cut]);
                    start = cut;
                }
                // Pager stops depend on where the device stopped, which is at the marker
                // either way; the other events must not depend on chunk boundaries.
                let strip = |ev: Vec<Event>| -> Vec<Event> { ev.into_iter().filter(|e| *e != Event::Pager).collect() };
                prop_assert_eq!(strip(run(&pieces)), strip(run(&[TRANSCRIPT])));
            }
        }
    }
}
