//! Everything the engine knows about one device, built up line by line: its debug state, the
//! show outputs it printed, and its configuration.

use super::Parsed;
use super::event::LineAt;
use super::exchange::Exchanges;
use super::finding::Evidence;
use super::parse::debug;
use super::parse::show::{self, ShowKind, ShowOutput};
use super::parse::signatures::Scratch;
use super::parse::transcript::{Item, Splitter};
use super::rules::debug::DebugState;
use crate::ios::{self, RunningConfig};
use crate::secret::redact;

/// Commands kept for the report; a transcript can hold thousands.
const KEEP_COMMANDS: usize = 64;
/// Output kept per command (raw until the command ends, then parsed and redacted): show
/// outputs are small, a runaway one must not exhaust memory.
const MAX_OUTPUT_LINES: usize = 20_000;
/// Lines of running-config kept (several `show run | section …` outputs add up).
const MAX_CONFIG_LINES: usize = 50_000;
/// Log lines in a row that end a command's output whose prompt never came: `terminal monitor`
/// interleaves a few dozen into a command's output, never thousands. (Captures cut before the
/// prompt, and files pasted one after the other, would otherwise stay in that output.)
const LOGS_END_OUTPUT: u32 = 2_000;

/// One parsed show output and where it was printed.
#[derive(Clone)]
pub struct ShowCapture {
    pub command: String,
    pub kind: ShowKind,
    pub source: String,
    /// File line of the output's first line (the line after the command).
    pub first_line: usize,
    /// The output as printed. Secrets are redacted when a line becomes evidence, which is
    /// the only way out: a transcript's outputs run to millions of lines, a report quotes few.
    pub lines: Vec<String>,
    pub output: ShowOutput,
}

impl ShowCapture {
    /// Evidence for the output's `offset`-th line (0-based, as the parsers number rows).
    pub fn evidence(&self, peer: &str, offset: usize) -> Evidence {
        Evidence {
            peer: peer.to_string(),
            source: self.source.clone(),
            line: self.first_line + offset,
            text: self
                .lines
                .get(offset)
                .map(|l| redact(l).into_owned())
                .unwrap_or_default(),
        }
    }
}

impl std::fmt::Debug for ShowCapture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShowCapture")
            .field("command", &self.command)
            .field("source", &self.source)
            .field("first_line", &self.first_line)
            .field("lines", &self.lines.len())
            .field("output", &self.output)
            .finish()
    }
}

/// The configuration lines seen, in order, with where each came from. `lines` hold the text
/// with secrets redacted (for evidence); `raw` the text as printed, which only the config
/// parser reads, so that keys can be compared. Debug never prints `raw`.
#[derive(Clone, Default)]
pub struct ConfigText {
    pub lines: Vec<(String, usize, String)>,
    raw: Vec<String>,
}

impl std::fmt::Debug for ConfigText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConfigText")
            .field("lines", &self.lines)
            .finish_non_exhaustive()
    }
}

/// A parsed configuration and the way back from its line numbers to the capture's.
#[derive(Debug, Clone)]
pub struct ConfigFacts {
    pub config: RunningConfig,
    text: ConfigText,
}

impl ConfigFacts {
    /// The configuration lines as printed, secrets redacted.
    pub fn lines(&self) -> impl Iterator<Item = &str> {
        self.text.lines.iter().map(|(_, _, l)| l.as_str())
    }

    /// Evidence for line `n` (1-based) of the parsed text.
    pub fn evidence(&self, peer: &str, n: usize) -> Option<Evidence> {
        let (source, line, text) = self.text.lines.get(n.checked_sub(1)?)?;
        Some(Evidence {
            peer: peer.to_string(),
            source: source.clone(),
            line: *line,
            text: text.clone(),
        })
    }
}

#[derive(Debug, Clone)]
pub struct PeerState {
    pub label: String,
    pub explicit: bool,
    splitter: Splitter,
    pub lines: u64,
    pub debug: DebugState,
    /// The IKE messages it logged, per remote: the ladder's material.
    pub exchanges: Exchanges,
    pub commands: Vec<String>,
    /// `debug crypto isakmp` was typed, or `show debug` said it was on.
    pub debug_enabled: bool,
    pub pings: Vec<Ping>,
    /// The latest output of each show command.
    pub shows: Vec<ShowCapture>,
    config_text: ConfigText,
    /// A digest of each distinct running-config output taken in (never the text: it holds
    /// secrets, and this struct is printed by `{:?}`).
    config_chunks: Vec<u64>,
    pub config: Option<ConfigFacts>,
    pending: Option<Pending>,
    /// Regex capture slots, reused for every line of this stream.
    scratch: Scratch,
}

/// A `ping` typed on the router: traffic that should start IKE, and whether it got through.
#[derive(Debug, Clone)]
pub struct Ping {
    pub target: String,
    /// The `source` interface or address, when given.
    pub from: String,
    pub file: String,
    pub line: usize,
    pub command: String,
    pub success_percent: Option<u32>,
}

impl Ping {
    pub fn evidence(&self, peer: &str) -> Evidence {
        let result = self.success_percent.map_or("no result".to_string(), |p| {
            format!("Success rate is {p} percent")
        });
        Evidence {
            peer: peer.to_string(),
            source: self.file.clone(),
            line: self.line,
            text: format!("{} ({result})", self.command),
        }
    }
}

/// A command whose output is still arriving. Its output is raw (secrets not yet redacted), so
/// Debug shows only its size.
#[derive(Clone)]
struct Pending {
    source: String,
    first_line: usize,
    command: String,
    /// What `command` is, classified once (its output lines are many).
    kind: Option<ShowKind>,
    output: Vec<String>,
    /// Recognised by its header, without a command line: it ends at the first log line.
    implicit: bool,
    /// Log lines since the last output line.
    logs_in_a_row: u32,
}

impl std::fmt::Debug for Pending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pending")
            .field("command", &self.command)
            .field("output_lines", &self.output.len())
            .finish_non_exhaustive()
    }
}

impl PeerState {
    pub fn new(label: &str, explicit: bool) -> PeerState {
        PeerState {
            label: label.to_string(),
            explicit,
            splitter: Splitter::new(),
            lines: 0,
            debug: DebugState::default(),
            exchanges: Exchanges::default(),
            commands: Vec::new(),
            debug_enabled: false,
            pings: Vec::new(),
            shows: Vec::new(),
            config_text: ConfigText::default(),
            config_chunks: Vec::new(),
            config: None,
            pending: None,
            scratch: Scratch::new(),
        }
    }

    /// The name findings use: an explicit `--peer NAME`, else the prompt's hostname, else the
    /// configuration's hostname, else the label.
    pub fn name(&self) -> &str {
        if self.explicit {
            return &self.label;
        }
        self.splitter
            .hostname()
            .or_else(|| self.config.as_ref()?.config.hostname.as_deref())
            .unwrap_or(&self.label)
    }

    /// The latest parsed output of a show command.
    pub fn show(&self, kind: ShowKind) -> Option<&ShowCapture> {
        self.shows.iter().rev().find(|s| s.kind == kind)
    }

    pub fn running_config(&self) -> Option<&RunningConfig> {
        self.config.as_ref().map(|c| &c.config)
    }

    /// The router's own outside address, when its configuration tells: the address of the
    /// interface carrying a crypto map.
    pub fn own_address(&self) -> Option<String> {
        let cfg = self.running_config()?;
        cfg.interfaces
            .iter()
            .find(|i| i.crypto_map.is_some())
            .and_then(|i| i.address.map(|a| a.addr.to_string()))
    }

    pub fn feed(&mut self, source: &str, line_no: usize, raw: &str) {
        self.feed_hinted(source, line_no, raw, None);
    }

    /// As [`PeerState::feed`], with what the block's preparation found on the line, if it was
    /// prepared.
    fn feed_hinted(&mut self, source: &str, line_no: usize, raw: &str, hint: Hint<'_>) {
        self.lines += 1;
        let text = raw.trim_end_matches(['\r', '\n']);
        match self.splitter.next(text) {
            Item::Command { command, .. } => {
                self.flush();
                self.start_command(source, line_no, command);
            }
            Item::Prompt { .. } => self.flush(),
            Item::Output(line) => {
                // The output of a command we do not parse (or a typo: `cshow crypto ipsec sa`)
                // that turns out to be a show output we know by its header.
                let unknown = self.pending.as_ref().is_some_and(|p| p.kind.is_none());
                if unknown && let Some(command) = show::sniff(line) {
                    self.flush();
                    self.start_implicit(source, line_no, command, line);
                    return;
                }
                if let Some(p) = &mut self.pending {
                    p.logs_in_a_row = 0;
                    if p.output.len() < MAX_OUTPUT_LINES {
                        p.output.push(line.to_string());
                    }
                }
            }
            Item::Log(line) => {
                if let Some(p) = &mut self.pending {
                    p.logs_in_a_row += 1;
                    if p.implicit || p.logs_in_a_row > LOGS_END_OUTPUT {
                        self.flush();
                        self.splitter.end_output();
                    }
                }
                if self.pending.is_none()
                    && let Some(command) = show::sniff(line)
                {
                    self.start_implicit(source, line_no, command, line);
                    self.splitter.begin_output();
                    return;
                }
                // The preparation matched the whole line; a log line recovered from the end of a
                // prompt's echo is only part of it.
                let hint = hint.map(|p| {
                    if std::ptr::eq(line, text) {
                        Ok(p)
                    } else {
                        Err(p)
                    }
                });
                self.log_line(source, line_no, line, hint)
            }
        }
    }

    /// A show output pasted without its command: parsed as if `command` had been typed on the
    /// line before its header. The command is not listed as one the router ran.
    fn start_implicit(&mut self, source: &str, line_no: usize, command: &str, header: &str) {
        self.pending = Some(Pending {
            source: source.to_string(),
            first_line: line_no,
            command: command.to_string(),
            kind: show::classify(command),
            output: vec![header.to_string()],
            implicit: true,
            logs_in_a_row: 0,
        });
    }

    fn start_command(&mut self, source: &str, line_no: usize, command: &str) {
        let command = redact(command).into_owned();
        let lower = command.to_ascii_lowercase();
        if lower.starts_with("deb") && lower.contains("cry") {
            self.debug_enabled = true;
        }
        if self.commands.len() < KEEP_COMMANDS {
            self.commands.push(command.clone());
        }
        self.pending = Some(Pending {
            source: source.to_string(),
            first_line: line_no + 1,
            kind: show::classify(&command),
            command,
            output: Vec::new(),
            implicit: false,
            logs_in_a_row: 0,
        });
    }

    /// Ends the command in progress (its output is complete) and parses what was collected.
    pub fn flush(&mut self) {
        if let Some(p) = self.pending.take() {
            self.command_lines(&p.source, p.first_line, &p.command, p.kind, p.output);
        }
        if (self.config.is_none() && !self.config_text.lines.is_empty()) || self.config_dirty() {
            let text: Vec<&str> = self.config_text.raw.iter().map(String::as_str).collect();
            let parsed = ios::parse(&text.join("\n"));
            self.config = Some(ConfigFacts {
                config: parsed.config,
                text: self.config_text.clone(),
            });
        }
    }

    fn config_dirty(&self) -> bool {
        self.config
            .as_ref()
            .is_some_and(|c| c.text.lines.len() != self.config_text.lines.len())
    }

    /// A finished command and its output (live sessions call this directly).
    pub fn command_output(&mut self, source: &str, first_line: usize, command: &str, output: &str) {
        self.parsed_command_output(source, first_line, command, output, None);
    }

    /// [`PeerState::command_output`] with the output's parse, when the caller has it.
    pub fn parsed_command_output(
        &mut self,
        source: &str,
        first_line: usize,
        command: &str,
        output: &str,
        parsed: Option<Parsed<'_>>,
    ) {
        let lines: Vec<String> = output.lines().map(str::to_string).collect();
        let count = lines.len();
        // The command and its output are lines this device printed, as in a transcript.
        self.lines += 1 + count as u64;
        // The configuration parsed below is this output alone only when nothing came before
        // it and nothing of it was cut.
        let first_config = self.config.is_none() && self.config_text.raw.is_empty();
        let show = match parsed {
            Some(Parsed::Show(o)) => Some(o),
            _ => None,
        };
        let command = redact(command);
        let kind = show::classify(&command);
        self.command_lines_parsed(source, first_line, &command, kind, lines, show);
        if let Some(Parsed::Config(cfg)) = parsed
            && first_config
            && count > 0
            && self.config_text.raw.len() == count
        {
            self.config = Some(ConfigFacts {
                config: cfg.clone(),
                text: self.config_text.clone(),
            });
        }
        self.flush();
    }

    /// A command's output; `kind` is what [`show::classify`] makes of `command`.
    fn command_lines(
        &mut self,
        source: &str,
        first_line: usize,
        command: &str,
        kind: Option<ShowKind>,
        lines: Vec<String>,
    ) {
        self.command_lines_parsed(source, first_line, command, kind, lines, None);
    }

    /// [`PeerState::command_lines`], with the output's parse when the caller has it.
    fn command_lines_parsed(
        &mut self,
        source: &str,
        first_line: usize,
        command: &str,
        kind: Option<ShowKind>,
        lines: Vec<String>,
        parsed: Option<&ShowOutput>,
    ) {
        let lower = command.to_ascii_lowercase();
        if lower.starts_with("deb") && lower.contains("cry") {
            self.debug_enabled = true;
        }
        if lower.starts_with("ping ") {
            self.pings
                .push(ping(command, source, first_line - 1, &lines));
            return;
        }
        let Some(kind) = kind else {
            return;
        };
        if kind == ShowKind::RunningConfig {
            // The same configuration printed again adds nothing but parsing work.
            let digest = {
                use std::hash::{Hash, Hasher};
                let mut h = std::collections::hash_map::DefaultHasher::new();
                lines.hash(&mut h);
                h.finish()
            };
            if self.config_chunks.contains(&digest) {
                return;
            }
            if self.config_chunks.len() < KEEP_COMMANDS {
                self.config_chunks.push(digest);
            }
            for (i, l) in lines.into_iter().enumerate() {
                if self.config_text.lines.len() < MAX_CONFIG_LINES {
                    let shown = redact(&l).into_owned();
                    self.config_text
                        .lines
                        .push((source.to_string(), first_line + i, shown));
                    self.config_text.raw.push(l);
                }
            }
            return;
        }
        // The same output again (a command repeated while watching a state) says the same:
        // only where it was printed changes.
        if let Some(prev) = self.shows.iter_mut().find(|s| s.kind == kind)
            && prev.lines == lines
        {
            command.clone_into(&mut prev.command);
            source.clone_into(&mut prev.source);
            prev.first_line = first_line;
            return;
        }
        let output = match parsed {
            Some(o) if o.kind() == kind => o.clone(),
            _ => match show::parse(kind, &lines.join("\n")) {
                Some(o) => o,
                None => return,
            },
        };
        if let ShowOutput::Debug(d) = &output {
            self.debug_enabled |= d.crypto_debug_on();
        }
        self.shows.retain(|s| s.kind != kind);
        self.shows.push(ShowCapture {
            command: command.to_string(),
            kind,
            source: source.to_string(),
            first_line,
            lines,
            output,
        });
    }

    /// Feeds a block of whole lines (separated by `\n`) that arrived together, numbered from
    /// `first_line_no`; returns how many there were. The same as feeding them one by one, only
    /// faster: the block is scanned once for signature literals, and while no command output
    /// is being collected a line with none (most of a debug capture) is counted and left.
    pub fn feed_block(&mut self, source: &str, first_line_no: usize, block: &str) -> usize {
        let prepared = debug::prepare_block(block, &mut self.scratch);
        self.feed_prepared(source, first_line_no, block, &prepared)
    }

    /// [`PeerState::feed_block`] with the block's lines already prepared by
    /// [`debug::prepare_block`] (which may run ahead, on another thread).
    pub fn feed_prepared(
        &mut self,
        source: &str,
        first_line_no: usize,
        block: &str,
        prepared: &debug::PreparedBlock,
    ) -> usize {
        let bytes = block.as_bytes();
        let mut next = prepared.lines.iter().peekable();
        let mut index = 0u32;
        let mut pos = 0;
        while index < prepared.count {
            if self.splitter.idle() && self.pending.is_none() {
                // Outside a command's output only the lines the preparation kept can matter:
                // the others are counted, not looked at.
                let Some(p) = next.peek() else {
                    self.lines += u64::from(prepared.count - index);
                    break;
                };
                self.lines += u64::from(p.index - index);
                index = p.index;
                pos = p.start;
            }
            let Some(rest) = bytes.get(pos..) else { break };
            let end = memchr::memchr(b'\n', rest).map_or(bytes.len(), |i| pos + i);
            let Some(line) = block.get(pos..end) else {
                break;
            };
            let line_no = first_line_no + index as usize;
            let here = next.next_if(|p| p.index == index);
            let structural = !self.splitter.idle()
                || self.pending.is_some()
                || here.is_some_and(|p| {
                    p.structural && (self.splitter.is_prompt(line) || show::sniff(line).is_some())
                });
            if structural {
                self.feed_hinted(source, line_no, line, Some(here));
            } else {
                self.lines += 1;
                let text = line.trim_end_matches('\r');
                if let Some(p) = here
                    && let Some((_, kind)) = debug::prepared_event(text, p)
                {
                    let at = LineAt {
                        source,
                        line: line_no,
                        text,
                    };
                    self.debug.feed(&kind, &at);
                    self.exchanges.feed(&kind, &at);
                }
            }
            index += 1;
            pos = end + 1;
        }
        prepared.count as usize
    }

    /// A log line's event. `hint`: `None` when the line was not prepared (it is scanned here);
    /// `Ok(p)` when `p` is this very line's preparation (`None`: no literal in it); `Err(p)`
    /// when the line is part of the prepared one (only the literals found there are tried).
    fn log_line(
        &mut self,
        source: &str,
        line_no: usize,
        line: &str,
        hint: Option<Result<Option<&debug::PreparedLine>, Option<&debug::PreparedLine>>>,
    ) {
        let event = match hint {
            None => debug::event(line, &mut self.scratch),
            Some(Ok(None) | Err(None)) => None,
            Some(Ok(Some(p))) => debug::prepared_event(line, p),
            Some(Err(Some(p))) if p.candidates.is_empty() => None,
            Some(Err(Some(p))) => debug::event_with(line, p.candidates, &mut self.scratch),
        };
        if let Some((_, kind)) = event {
            let at = LineAt {
                source,
                line: line_no,
                text: line,
            };
            self.debug.feed(&kind, &at);
            self.exchanges.feed(&kind, &at);
        }
    }
}

/// What the preparation of a block found on a line: `None` when the line was not prepared (fed
/// alone), `Some(None)` when it was and holds nothing worth a look.
type Hint<'p> = Option<Option<&'p debug::PreparedLine>>;

/// `ping 192.168.102.1 source Loopback1` and its `Success rate is 80 percent (4/5)`.
fn ping(command: &str, file: &str, line: usize, output: &[String]) -> Ping {
    let target = command
        .split_whitespace()
        .nth(1)
        .unwrap_or_default()
        .to_string();
    let from = command
        .split_whitespace()
        .skip_while(|w| !w.eq_ignore_ascii_case("source"))
        .nth(1)
        .unwrap_or_default()
        .to_string();
    let success_percent = output.iter().find_map(|l| {
        let rest = l.trim().strip_prefix("Success rate is ")?;
        rest.split_whitespace().next()?.parse().ok()
    });
    Ping {
        target,
        from,
        file: file.to_string(),
        line,
        command: command.to_string(),
        success_percent,
    }
}
