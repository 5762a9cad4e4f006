//! Rendering a diagnosis: one module per output format, all reading the same [`Report`].
//! The engine never formats; nothing here decides anything.

mod device_text;
pub mod html;
pub mod json;
pub mod ladder;
pub mod markdown;
pub mod prometheus;
pub mod text;

pub use device_text::{device_text, visible};

use crate::engine::Diagnosis;
use crate::run::log::RunLog;
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
    /// What a live run did on the routers (absent for offline analysis).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run: Option<RunLog>,
}

impl Report {
    pub fn new(mode: &str, subject: &str, diagnosis: Diagnosis, warnings: Vec<String>) -> Report {
        Report {
            mode: mode.to_string(),
            subject: subject.to_string(),
            exit_code: diagnosis.verdict.exit_code(),
            diagnosis,
            warnings,
            run: None,
        }
    }

    /// A live run's report: its exit code also answers for the cleanup. Debug that could not
    /// be confirmed off, or a run that ended before it could judge anything, is UNKNOWN (3).
    pub fn live(mode: &str, subject: &str, diagnosis: Diagnosis, run: RunLog) -> Report {
        let mut warnings = Vec::new();
        for c in run.cleanup.iter().filter(|c| !c.debug_off_confirmed) {
            warnings.push(format!(
                "DEBUG MAY STILL BE ON on {}: {}. Log in and run `undebug all`.",
                c.router, c.detail
            ));
        }
        for s in &run.stale_debug {
            let cleaned_after = run
                .cleanup
                .iter()
                .any(|c| c.router == s.router && c.debug_off_confirmed);
            warnings.push(if s.cleared {
                format!("{} had crypto debugs on before this run; they were switched off (--clear-stale-debug).", s.router)
            } else if cleaned_after {
                format!("{} had crypto debugs on before this run (a crashed run or a colleague). They were left on at the start, but this run's own debug window ended with `undebug all`, which switched them off too.", s.router)
            } else {
                format!("{} had crypto debugs on before this run (a crashed run or a colleague); left as found. --clear-stale-debug switches them off.", s.router)
            });
        }
        if run.interrupted {
            warnings.push("The run was interrupted before all its steps ran.".to_string());
        }
        for e in &run.errors {
            warnings.push(format!("The run stopped early: {e}"));
        }
        let mut exit_code = diagnosis.verdict.exit_code();
        if !run.cleanup_confirmed() || (!run.errors.is_empty() && diagnosis.findings.is_empty()) {
            exit_code = 3;
        }
        Report {
            mode: mode.to_string(),
            subject: subject.to_string(),
            exit_code,
            diagnosis,
            warnings,
            run: Some(run),
        }
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
