//! Rendering a diagnosis: one module per output format, all reading the same [`Report`].
//! The engine never formats; nothing here decides anything.

pub mod json;
pub mod markdown;
pub mod prometheus;
pub mod text;

use crate::engine::Diagnosis;
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
}

impl Report {
    pub fn new(mode: &str, subject: &str, diagnosis: Diagnosis, warnings: Vec<String>) -> Report {
        Report {
            mode: mode.to_string(),
            subject: subject.to_string(),
            exit_code: diagnosis.verdict.exit_code(),
            diagnosis,
            warnings,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    Prometheus,
    Markdown,
}

/// Renders reports in a format; `color` only matters for text.
pub fn render(format: Format, reports: &[Report], color: bool) -> String {
    match format {
        Format::Text => reports
            .iter()
            .map(|r| text::render(r, color))
            .collect::<Vec<_>>()
            .join("\n"),
        Format::Json => json::render(reports),
        Format::Prometheus => prometheus::render(reports),
        Format::Markdown => reports
            .iter()
            .map(markdown::render)
            .collect::<Vec<_>>()
            .join("\n"),
    }
}
