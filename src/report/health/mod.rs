//! Rendering a health cycle: one file per format, all reading the same [`Cycle`].
//! - [`table`]: one row per tunnel, worst first, for a terminal;
//! - [`json`]: one object per tunnel per cycle (JSON lines);
//! - [`nagios`]: the plugin output (status line, perfdata, long text);
//! - [`prometheus`]: text exposition 0.0.4 and OpenMetrics.

pub mod json;
pub mod nagios;
pub mod prometheus;
pub mod table;

use crate::health::Cycle;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Json,
    Nagios,
    Prometheus,
}

/// Renders one cycle.
pub fn render(format: Format, cycle: &Cycle, color: bool) -> String {
    match format {
        Format::Table => table::render(cycle, color),
        Format::Json => json::render(cycle),
        Format::Nagios => nagios::render(cycle),
        Format::Prometheus => prometheus::render_text(cycle),
    }
}

/// Text that came from a router, with control characters made visible (an escape sequence in
/// a router's output must not drive the user's terminal).
pub fn visible(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() && c != '\t' {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}
