//! Rendering a diagnosis: one module per output format, all reading the same [`Report`].
//! The engine never formats; nothing here decides anything.
//!
//! Two guarantees hold for every format, whoever built the diagnosis: a [`Report`] is built
//! with every quoted line passed through the redaction table once more
//! ([`crate::secret::redact`]), and text meant for a terminal or a ticket (text, Markdown,
//! Prometheus labels) shows control characters instead of sending them
//! ([`crate::visible::visible`]).

mod columns;
mod device_text;
pub mod health;
pub mod html;
pub mod json;
pub mod ladder;
pub mod markdown;
pub mod prometheus;
pub mod summary;
pub mod text;

pub use device_text::{device_text, visible};

use crate::engine::Diagnosis;
use crate::engine::finding::Verdict;
use crate::run::log::RunLog;
use crate::secret::redact;
use serde::Serialize;

/// What a run produced: the diagnosis plus what the report should say about the run itself.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// `analyze`, `triage`, `health`…
    pub mode: String,
    /// The tunnel or capture set this is about.
    pub subject: String,
    #[serde(flatten)]
    pub diagnosis: Diagnosis,
    pub exit_code: i32,
    /// Input problems that did not stop the run (lossy bytes, truncated lines).
    pub warnings: Vec<String>,
    /// Why there is no diagnosis, when there is none: the routers could not be reached, the
    /// tunnel was not checked. The verdict is then `unknown`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// What a live run did on the routers (absent for offline analysis).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run: Option<RunLog>,
}

impl Report {
    pub fn new(mode: &str, subject: &str, diagnosis: Diagnosis, warnings: Vec<String>) -> Report {
        let mut r = Report {
            mode: mode.to_string(),
            subject: subject.to_string(),
            exit_code: diagnosis.verdict.exit_code(),
            diagnosis,
            warnings,
            reason: None,
            run: None,
        };
        r.scrub();
        r
    }

    /// A tunnel that was not looked at (the run was interrupted before it): UNKNOWN, saying
    /// why, so that it does not vanish from a report or a monitoring system.
    pub fn not_checked(mode: &str, subject: &str, why: &str) -> Report {
        let mut diagnosis = crate::engine::Engine::new().finish();
        diagnosis.verdict = Verdict::Unknown;
        Report {
            mode: mode.to_string(),
            subject: subject.to_string(),
            exit_code: 3,
            diagnosis,
            warnings: Vec::new(),
            reason: Some(format!("not checked: {why}")),
            run: None,
        }
    }

    /// Every line quoted from a device or a file, through the redaction table again: the
    /// engine redacts what it keeps, this makes the report safe whatever produced it.
    fn scrub(&mut self) {
        let again = |s: &mut String| {
            if let std::borrow::Cow::Owned(r) = redact(s) {
                *s = r;
            }
        };
        for f in &mut self.diagnosis.findings {
            f.evidence.iter_mut().for_each(|e| again(&mut e.text));
        }
        for p in &mut self.diagnosis.peers {
            p.commands.iter_mut().for_each(again);
        }
        self.warnings.iter_mut().for_each(again);
        self.diagnosis.notes.iter_mut().for_each(again);
        if let Some(run) = &mut self.run {
            for s in &mut run.steps {
                again(&mut s.command);
            }
            run.errors.iter_mut().for_each(again);
            for s in &mut run.stale_debug {
                s.lines.iter_mut().for_each(again);
            }
            for c in &mut run.config {
                c.commands.iter_mut().for_each(again);
            }
        }
    }

    /// A live run's report: its exit code also answers for the cleanup. Debug that could not
    /// be confirmed off, or a run that ended before it could judge anything, is UNKNOWN (3);
    /// a run that could not reach its routers says so instead of "no finding".
    pub fn live(mode: &str, subject: &str, mut diagnosis: Diagnosis, run: RunLog) -> Report {
        let mut warnings = Vec::new();
        for c in run.cleanup.iter().filter(|c| !c.debug_off_confirmed) {
            let by_hand = if c.commands.is_empty() {
                "check `show debug`".to_string()
            } else {
                format!("run `{}`", c.commands.join("`, `"))
            };
            warnings.push(format!(
                "DEBUG MAY STILL BE ON on {}: {}. Log in and {by_hand}.",
                c.router, c.detail
            ));
        }
        for s in &run.stale_debug {
            warnings.push(if s.cleared {
                format!(
                    "{} had crypto debugs on before this run; they were switched off (--clear-stale-debug).",
                    s.router
                )
            } else {
                format!(
                    "{} had crypto debugs on before this run (another run or a colleague); they were left as found and no debug window was opened on {}. --clear-stale-debug switches them off first.",
                    s.router, s.router
                )
            });
        }
        if run.interrupted {
            warnings.push("The run was interrupted before all its steps ran.".to_string());
        }
        for e in run.errors.iter().filter(|_| run.unreachable.is_empty()) {
            warnings.push(format!("The run stopped early: {e}"));
        }
        let nothing = diagnosis.findings.is_empty();
        let reason = if !run.unreachable.is_empty() {
            Some(format!(
                "could not connect: {}",
                run.unreachable
                    .iter()
                    .map(|u| format!("{}: {}", u.router, u.error))
                    .collect::<Vec<_>>()
                    .join("; ")
            ))
        } else if nothing && run.interrupted {
            Some("interrupted before anything could be judged".to_string())
        } else if nothing && !run.errors.is_empty() {
            Some(format!("the run stopped early: {}", run.errors.join("; ")))
        } else {
            None
        };
        if reason.is_some() {
            diagnosis.verdict = Verdict::Unknown;
        }
        let mut exit_code = diagnosis.verdict.exit_code();
        if !run.cleanup_confirmed() || reason.is_some() || run.internal_error.is_some() {
            exit_code = 3;
        }
        let mut r = Report {
            mode: mode.to_string(),
            subject: subject.to_string(),
            exit_code,
            diagnosis,
            warnings,
            reason,
            run: Some(run),
        };
        r.scrub();
        r
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    Prometheus,
    Markdown,
    /// One self-contained HTML file: verdict, the exchange as SVG, findings, commands run.
    Html,
}

/// How the text report looks; the other formats ignore it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Style {
    /// ANSI colours.
    pub color: bool,
    /// Draw the IKE exchange as a ladder, with these characters.
    pub ladder: Option<ladder::term::Charset>,
}

/// Renders reports in a format; `color` only matters for text.
pub fn render(format: Format, reports: &[Report], color: bool) -> String {
    render_styled(
        format,
        reports,
        &Style {
            color,
            ladder: None,
        },
    )
}

/// Renders reports in a format, the text report as `style` says.
pub fn render_styled(format: Format, reports: &[Report], style: &Style) -> String {
    match format {
        Format::Text => reports
            .iter()
            .map(|r| text::render_styled(r, style))
            .collect::<Vec<_>>()
            .join("\n"),
        Format::Html => html::render(reports),
        Format::Json => json::render(reports),
        Format::Prometheus => prometheus::render(reports),
        Format::Markdown => reports
            .iter()
            .map(markdown::render)
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

/// ` (IKEv2)` after a finding's router when the finding is about an IKEv2 negotiation; IKEv1,
/// what most tunnels still speak, goes unmarked.
fn version_tag(f: &crate::engine::finding::Finding) -> &'static str {
    match f.ike_version {
        crate::engine::finding::IkeVersion::V2 => " (IKEv2)",
        crate::engine::finding::IkeVersion::V1 => "",
    }
}
