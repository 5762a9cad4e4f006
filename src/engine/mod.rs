//! The diagnosis engine: pure and deterministic. Lines and show outputs in, findings out.
//! Nothing here opens a file, a socket or a terminal; callers (analyze, triage, health, guide)
//! feed it lines as they arrive and ask for the diagnosis at the end.
//!
//! ```
//! use ipsec_doctor::engine::Engine;
//! let mut engine = Engine::new();
//! let r1 = engine.stream("R1", true);
//! engine.feed(r1, "r1.log", 1, "*Mar  1 00:42:09.431: ISAKMP:(0): No pre-shared key with 203.0.113.2!");
//! let diagnosis = engine.finish();
//! assert_eq!(diagnosis.findings[0].code.as_str(), "P1_PSK_MISSING");
//! ```

pub mod correlate;
pub mod event;
pub mod exchange;
pub mod finding;
pub mod parse;
pub mod peer;
pub mod rules;

use finding::{Finding, Verdict};
use peer::PeerState;
use serde::Serialize;

/// Identifies one input stream (one device's capture or live session).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StreamId(usize);

/// What the engine concluded.
#[derive(Debug, Clone, Serialize)]
pub struct Diagnosis {
    pub verdict: Verdict,
    pub findings: Vec<Finding>,
    pub peers: Vec<PeerSummary>,
    /// Things the engine noticed about its input that the user should know (not findings).
    pub notes: Vec<String>,
    /// When the input holds IKE activity but no finding: how far each router's negotiation
    /// got and what to capture next. Absent when there is a finding, or no IKE at all.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inconclusive: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PeerSummary {
    pub name: String,
    pub lines: u64,
    pub ike_events: u64,
    pub commands: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// The IKE messages this device logged, per remote address (latest exchange each).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub exchanges: Vec<exchange::Exchange>,
    /// How far this router's negotiation got (`main mode reached MM_KEY_EXCH as initiator`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reached: Option<String>,
}

/// An output as its parser read it, for [`Engine::feed_parsed_command`].
#[derive(Debug, Clone, Copy)]
pub enum Parsed<'a> {
    Show(&'a parse::show::ShowOutput),
    Config(&'a crate::ios::RunningConfig),
}

#[derive(Debug, Default, Clone)]
pub struct Engine {
    peers: Vec<PeerState>,
}

impl Engine {
    pub fn new() -> Engine {
        Engine::default()
    }

    /// Opens a stream for one device. `explicit` names win over the hostname learned from
    /// prompts; otherwise `label` (a file name) is only the fallback. Streams with the same
    /// explicit name are the same device.
    pub fn stream(&mut self, label: &str, explicit: bool) -> StreamId {
        if explicit
            && let Some(i) = self
                .peers
                .iter()
                .position(|p| p.explicit && p.label == label)
        {
            return StreamId(i);
        }
        self.peers.push(PeerState::new(label, explicit));
        StreamId(self.peers.len() - 1)
    }

    /// Feeds one line of a device's output. `line_no` is 1-based within `source`.
    pub fn feed(&mut self, id: StreamId, source: &str, line_no: usize, text: &str) {
        if let Some(p) = self.peers.get_mut(id.0) {
            p.feed(source, line_no, text);
        }
    }

    /// Feeds a block of whole lines separated by `\n` (no `\n` after the last one), the first
    /// numbered `first_line_no`; returns how many lines there were. Equivalent to feeding each
    /// line, and much faster on long debug captures.
    pub fn feed_block(
        &mut self,
        id: StreamId,
        source: &str,
        first_line_no: usize,
        block: &str,
    ) -> usize {
        match self.peers.get_mut(id.0) {
            Some(p) => p.feed_block(source, first_line_no, block),
            None => 0,
        }
    }

    /// [`Engine::feed_block`] with the block already prepared by
    /// [`parse::debug::prepare_block`], which a reader may run on another thread.
    pub fn feed_prepared(
        &mut self,
        id: StreamId,
        source: &str,
        first_line_no: usize,
        block: &str,
        prepared: &parse::debug::PreparedBlock,
    ) -> usize {
        match self.peers.get_mut(id.0) {
            Some(p) => p.feed_prepared(source, first_line_no, block, prepared),
            None => 0,
        }
    }

    /// Feeds the output of a command run on a device (live sessions know the boundaries).
    pub fn feed_command(&mut self, id: StreamId, source: &str, command: &str, output: &str) {
        if let Some(p) = self.peers.get_mut(id.0) {
            p.command_output(source, 1, command, output);
        }
    }

    /// [`Engine::feed_command`] for an output the caller has parsed already: health parses
    /// each output once when it arrives and judges every tunnel from it, and parsing it again
    /// per tunnel was a third of its CPU. `parsed` must be what parsing `output` gives; it is
    /// used only where the engine would parse exactly that text.
    pub fn feed_parsed_command(
        &mut self,
        id: StreamId,
        source: &str,
        command: &str,
        output: &str,
        parsed: Parsed<'_>,
    ) {
        if let Some(p) = self.peers.get_mut(id.0) {
            p.parsed_command_output(source, 1, command, output, Some(parsed));
        }
    }

    /// The diagnosis the evidence so far supports, leaving the engine running: live runs use it
    /// to decide conditional steps (`when:` in playbooks).
    pub fn snapshot(&self) -> Diagnosis {
        self.clone().finish()
    }

    /// What the engine knows of one stream's device (its configuration, addresses, pings).
    pub fn peer(&self, id: StreamId) -> Option<&PeerState> {
        self.peers.get(id.0)
    }

    /// Ends any command in progress on every stream so its output is parsed now (live runs
    /// call this before reading configurations with [`Engine::peer`]).
    pub fn settle(&mut self) {
        for p in &mut self.peers {
            p.flush();
        }
    }

    pub fn finish(self) -> Diagnosis {
        let mut peers: Vec<PeerState> = self.peers;
        for p in &mut peers {
            p.flush();
        }
        let (findings, notes) = correlate::correlate(&peers);
        let summaries = peers
            .iter()
            .map(|p| PeerSummary {
                name: p.name().to_string(),
                lines: p.lines,
                ike_events: p.debug.ike_events,
                commands: p.commands.clone(),
                address: p.own_address(),
                exchanges: p.exchanges.records(),
                reached: p.debug.reached(),
            })
            .collect();
        let inconclusive = findings.is_empty().then(|| {
            let why: Vec<String> = peers
                .iter()
                .filter_map(|p| p.debug.explain_progress(p.name()))
                .collect();
            (!why.is_empty()).then(|| why.join(" "))
        });
        Diagnosis {
            verdict: Verdict::from_findings(&findings),
            findings,
            peers: summaries,
            notes,
            inconclusive: inconclusive.flatten(),
        }
    }
}
