//! Splits a session transcript into commands, their output, and unsolicited log lines.
//!
//! A capture may be a pure debug log, a terminal session (`R1#show crypto isakmp sa` followed by
//! its output) or both interleaved, because `terminal monitor` prints debug lines in the middle
//! of a command's output. The hostname is learned from the first prompt so that later lines
//! only count as prompts when they carry that name.

use super::debug::{continues_ikev2_packet, looks_like_log};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item<'a> {
    /// A command typed at a prompt: `R1#show crypto isakmp sa`, or the echo of one typed after
    /// log lines pushed the prompt up (`R1#`, debug lines, then `show udp` on a line of its own).
    Command { privileged: bool, command: &'a str },
    /// A prompt with nothing typed: ends the previous command's output.
    Prompt { hostname: &'a str },
    /// A line of the current command's output.
    Output(&'a str),
    /// A debug or syslog line.
    Log(&'a str),
}

#[derive(Debug, Default, Clone)]
pub struct Splitter {
    hostname: Option<String>,
    in_output: bool,
    last_was_log: bool,
    /// A prompt was printed with nothing typed after it yet: `Some(privileged)`.
    awaiting: Option<bool>,
}

impl Splitter {
    pub fn new() -> Splitter {
        Splitter::default()
    }

    /// Lines from here on belong to a command's output: a show output recognised by its
    /// header, pasted without its command line.
    pub fn begin_output(&mut self) {
        self.in_output = true;
        self.awaiting = None;
    }

    /// The output being collected has ended without a prompt (a paste cut there).
    pub fn end_output(&mut self) {
        self.in_output = false;
    }

    /// Outside any command's output: every line that is not a prompt is a log line.
    pub fn idle(&self) -> bool {
        !self.in_output && self.awaiting.is_none()
    }

    /// Whether `line` is a prompt (with or without a command after it): the only lines that
    /// change the splitter's state while it is idle.
    pub fn is_prompt(&self, line: &str) -> bool {
        self.prompt(line).is_some()
    }

    /// The hostname learned from the prompts so far.
    pub fn hostname(&self) -> Option<&str> {
        self.hostname.as_deref()
    }

    pub fn next<'a>(&mut self, line: &'a str) -> Item<'a> {
        let item = self.classify(line);
        self.last_was_log = matches!(item, Item::Log(_));
        match item {
            Item::Command { .. } => {
                self.in_output = true;
                self.awaiting = None;
            }
            Item::Prompt { .. } => self.in_output = false,
            Item::Output(_) => self.awaiting = None,
            Item::Log(_) => {}
        }
        item
    }

    fn classify<'a>(&mut self, line: &'a str) -> Item<'a> {
        if let Some((host, privileged, rest)) = self.prompt(line) {
            if self.hostname.is_none() {
                self.hostname = Some(host.to_string());
            }
            let rest = rest.trim();
            if rest.is_empty() {
                self.awaiting = Some(privileged);
                return Item::Prompt { hostname: host };
            }
            // Console echo: a debug line printed right after a prompt, its first characters
            // lost (`R2#ar 1 00:55:02.123: ISAKMP…`). Recover the line as a log line.
            if let Some(log) = broken_log(rest) {
                self.in_output = false;
                self.awaiting = Some(privileged);
                return Item::Log(log);
            }
            return Item::Command {
                privileged,
                command: rest,
            };
        }
        if let Some(privileged) = self.awaiting {
            let t = line.trim();
            if !t.is_empty()
                && !line.starts_with([' ', '\t'])
                && !looks_like_log(line)
                && !continues_ikev2_packet(line)
            {
                return Item::Command {
                    privileged,
                    command: t,
                };
            }
        }
        // Outside a command's output every line is a log line: no need to look closer (this is
        // the whole of a pure debug capture, so it matters for speed).
        if !self.in_output {
            return Item::Log(line);
        }
        let indented = line.starts_with([' ', '\t']);
        if looks_like_log(line) || continues_ikev2_packet(line) {
            return Item::Log(line);
        }
        if self.last_was_log && indented && !line.trim().is_empty() && !looks_like_show_indent(line)
        {
            return Item::Log(line);
        }
        Item::Output(line)
    }

    /// `R1#cmd`, `R1>cmd`, `R1(config)#cmd` → (hostname, privileged, rest).
    fn prompt<'a>(&self, line: &'a str) -> Option<(&'a str, bool, &'a str)> {
        if let Some(known) = &self.hostname {
            // The cheap test first: almost every line of a long capture is a log line.
            if !line.starts_with(known.as_str()) {
                return None;
            }
        }
        let (host, privileged, rest) = prompt_shape(line)?;
        if let Some(known) = &self.hostname
            && known != host
        {
            return None;
        }
        Some((host, privileged, rest))
    }
}

/// Whether `line` has a prompt's shape, whatever hostname the transcript turns out to have:
/// no line without it is ever a prompt, so a reader can set the others aside ahead of time.
pub fn may_be_prompt(line: &str) -> bool {
    prompt_shape(line).is_some()
}

/// `host#rest`, `host>rest` or `host(mode)#rest` → (host, privileged, rest), for any host.
fn prompt_shape(line: &str) -> Option<(&str, bool, &str)> {
    // Walk the hostname's characters only: a log line stops at its first `*`, digit-led
    // timestamp or `:` after a few bytes, instead of being searched for `#` end to end.
    let b = line.as_bytes();
    if !b.first()?.is_ascii_alphabetic() {
        return None;
    }
    let host_len = b
        .iter()
        .take(64)
        .position(|&c| !(c.is_ascii_alphanumeric() || c == b'-' || c == b'_' || c == b'.'))?;
    let host = &line[..host_len];
    let end = match b[host_len] {
        b'#' | b'>' => host_len,
        // A configuration mode: `R1(config-if)#`.
        b'(' => {
            let close = host_len + b[host_len..].iter().take(32).position(|&c| c == b')')?;
            match b.get(close + 1) {
                Some(b'#') | Some(b'>') => close + 1,
                _ => return None,
            }
        }
        _ => return None,
    };
    let privileged = line.as_bytes()[end] == b'#';
    Some((host, privileged, &line[end + 1..]))
}

/// `ar 1 00:55:02.123: ISAKMP…`: the tail of a timestamp and a facility. Returns the line from
/// the facility on, which is all that can be trusted.
fn broken_log(rest: &str) -> Option<&str> {
    let colon = rest.find(": ")?;
    let head = &rest[..colon];
    let has_clock = head
        .as_bytes()
        .windows(3)
        .any(|w| w[0].is_ascii_digit() && w[1] == b':' && w[2].is_ascii_digit());
    let tail = rest[colon + 2..].trim_start();
    (has_clock && looks_like_log(tail)).then_some(tail)
}

/// Indented lines inside `show crypto ipsec sa` and friends: they carry `key: value` pairs or
/// counters; a debug continuation line never starts a session with these.
fn looks_like_show_indent(line: &str) -> bool {
    let t = line.trim_start();
    t.starts_with("#pkts") || t.starts_with("local ") || t.starts_with("remote ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_with_interleaved_debug() {
        let text = "R1#show crypto isakmp sa\n\
IPv4 Crypto ISAKMP SA\n\
dst             src             state          conn-id status\n\
*Mar  1 00:42:09.431: ISAKMP:(0): retransmitting phase 1 MM_NO_STATE...\n\
203.0.113.2     203.0.113.1     MM_NO_STATE       1001 ACTIVE\n\
R1#\n\
*Mar  1 00:42:19.431: ISAKMP:(0): retransmitting phase 1 MM_NO_STATE...\n\
R1#ar  1 00:42:29.431: ISAKMP:(0): retransmitting phase 1 MM_NO_STATE...\n";
        let mut s = Splitter::new();
        let items: Vec<Item> = text.lines().map(|l| s.next(l)).collect();
        assert_eq!(
            items[0],
            Item::Command {
                privileged: true,
                command: "show crypto isakmp sa"
            }
        );
        assert_eq!(items[1], Item::Output("IPv4 Crypto ISAKMP SA"));
        assert!(matches!(items[3], Item::Log(_)));
        assert!(matches!(items[4], Item::Output(_)));
        assert_eq!(items[5], Item::Prompt { hostname: "R1" });
        assert!(matches!(items[6], Item::Log(_)));
        assert_eq!(
            items[7],
            Item::Log("ISAKMP:(0): retransmitting phase 1 MM_NO_STATE...")
        );
        assert_eq!(s.hostname(), Some("R1"));
    }

    #[test]
    fn command_echoed_after_debug_lines_pushed_the_prompt_up() {
        let mut s = Splitter::new();
        s.next("R1#show clock");
        s.next("*10:15:42.123 UTC Thu Nov 26 2026");
        assert_eq!(s.next("R1#"), Item::Prompt { hostname: "R1" });
        assert!(matches!(
            s.next("*Nov 26 10:15:50.100: ISAKMP:(0): retransmitting phase 1 MM_NO_STATE..."),
            Item::Log(_)
        ));
        assert!(matches!(s.next(""), Item::Log(_)));
        assert_eq!(
            s.next("ping 203.0.113.2 repeat 3"),
            Item::Command {
                privileged: true,
                command: "ping 203.0.113.2 repeat 3"
            }
        );
        assert_eq!(s.next("!!!"), Item::Output("!!!"));
    }

    #[test]
    fn ikev2_packet_lines_do_not_pass_for_the_echoed_command() {
        let mut s = Splitter::new();
        s.next("R1#ping 192.168.102.1 source GigabitEthernet0/0/1");
        s.next("Success rate is 0 percent (0/5)");
        assert_eq!(s.next("R1#"), Item::Prompt { hostname: "R1" });
        for l in [
            "*Dec  2 07:48:38.768: IKEv2:(SESSION ID = 1,SA ID = 1):Sending Packet [To 203.0.113.2:500/From 203.0.113.1:500/VRF i0:f0] ",
            "Initiator SPI : 9B2AB9B5C4B994C9 - Responder SPI : 0000000000000000 Message id: 0",
            "IKEv2 IKE_SA_INIT Exchange REQUEST ",
            "Payload contents: ",
            " SA KE N VID VID VID VID NOTIFY(NAT_DETECTION_SOURCE_IP) ",
            "",
        ] {
            assert!(matches!(s.next(l), Item::Log(_)), "{l}");
        }
        assert_eq!(
            s.next("ping 203.0.113.2 repeat 3"),
            Item::Command {
                privileged: true,
                command: "ping 203.0.113.2 repeat 3"
            }
        );
    }

    #[test]
    fn pure_debug_capture_is_all_log() {
        let mut s = Splitter::new();
        for l in [
            "*Oct 25 20:37:02.888: ISAKMP: (1003):Sending NOTIFY PROPOSAL_NOT_CHOSEN protocol 3",
            "        spi 9223503292995197928, message ID = 1148084868",
            "",
        ] {
            assert!(matches!(s.next(l), Item::Log(_)), "{l}");
        }
    }

    #[test]
    fn other_hostnames_are_not_prompts_once_learned() {
        let mut s = Splitter::new();
        s.next("hub#show crypto session");
        assert_eq!(
            s.next("Interface: Tunnel1"),
            Item::Output("Interface: Tunnel1")
        );
        assert_eq!(s.next("R9#nonsense"), Item::Output("R9#nonsense"));
    }
}
