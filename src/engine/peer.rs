//! Everything the engine knows about one device, built up line by line.

use super::event::LineAt;
use super::parse::debug;
use super::parse::transcript::{Item, Splitter};
use super::rules::debug::DebugState;

/// Commands kept for the report; a transcript can hold thousands.
const KEEP_COMMANDS: usize = 64;
/// Output kept per command: show outputs are small, a runaway one must not exhaust memory.
const MAX_OUTPUT_LINES: usize = 20_000;

#[derive(Debug)]
pub struct PeerState {
    pub label: String,
    pub explicit: bool,
    splitter: Splitter,
    pub lines: u64,
    pub debug: DebugState,
    pub commands: Vec<String>,
    /// `debug crypto isakmp` was typed, or `show debug` said it was on.
    pub debug_enabled: bool,
    /// A `ping` was typed: traffic that should have started IKE.
    pub traffic_attempted: bool,
    pending: Option<Pending>,
}

#[derive(Debug)]
struct Pending {
    source: String,
    first_line: usize,
    command: String,
    output: Vec<String>,
}

impl PeerState {
    pub fn new(label: &str, explicit: bool) -> PeerState {
        PeerState {
            label: label.to_string(),
            explicit,
            splitter: Splitter::new(),
            lines: 0,
            debug: DebugState::default(),
            commands: Vec::new(),
            debug_enabled: false,
            traffic_attempted: false,
            pending: None,
        }
    }

    /// The name findings use: an explicit `--peer NAME`, else the prompt's hostname, else the label.
    pub fn name(&self) -> &str {
        if self.explicit {
            return &self.label;
        }
        self.splitter.hostname().unwrap_or(&self.label)
    }

    pub fn own_address(&self) -> Option<String> {
        None
    }

    pub fn feed(&mut self, source: &str, line_no: usize, raw: &str) {
        self.lines += 1;
        let text = raw.trim_end_matches(['\r', '\n']);
        match self.splitter.next(text) {
            Item::Command { command, .. } => {
                self.flush();
                self.start_command(source, line_no, command);
            }
            Item::Prompt { .. } => self.flush(),
            Item::Output(line) => {
                if let Some(p) = &mut self.pending
                    && p.output.len() < MAX_OUTPUT_LINES
                {
                    p.output.push(line.to_string());
                }
            }
            Item::Log(line) => self.log_line(source, line_no, line),
        }
    }

    fn start_command(&mut self, source: &str, line_no: usize, command: &str) {
        let lower = command.to_ascii_lowercase();
        if lower.starts_with("deb") && lower.contains("cry") {
            self.debug_enabled = true;
        }
        if lower.starts_with("ping ") {
            self.traffic_attempted = true;
        }
        if self.commands.len() < KEEP_COMMANDS {
            self.commands.push(command.to_string());
        }
        self.pending = Some(Pending {
            source: source.to_string(),
            first_line: line_no + 1,
            command: command.to_string(),
            output: Vec::new(),
        });
    }

    /// Ends the command in progress: its output is complete.
    pub fn flush(&mut self) {
        if let Some(p) = self.pending.take() {
            let output = p.output.join("\n");
            self.command_output(&p.source, p.first_line, &p.command, &output);
        }
    }

    /// A finished command and its output.
    pub fn command_output(
        &mut self,
        _source: &str,
        _first_line: usize,
        command: &str,
        output: &str,
    ) {
        let lower = command.to_ascii_lowercase();
        if lower.starts_with("sh")
            && lower.contains(" deb")
            && output.contains("ISAKMP debugging is on")
        {
            self.debug_enabled = true;
        }
    }

    fn log_line(&mut self, source: &str, line_no: usize, line: &str) {
        let parsed = debug::parse(line);
        if let Some((_, kind)) = parsed.event {
            let at = LineAt {
                source,
                line: line_no,
                text: line,
            };
            self.debug.feed(&kind, &at);
        }
    }
}
