//! `ipsec-doctor analyze FILE...`: offline analysis of captured router output.

use crate::capture::{self, Input};
use crate::engine::Engine;
use crate::report::{self, Format, Report};
use std::io::Write;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Capture files, one per device (`-` reads stdin). `NAME=FILE` names the device.
    #[arg(value_name = "FILE")]
    pub files: Vec<String>,
    /// A capture with its device name: `--peer hub=hub.log`. May repeat.
    #[arg(long = "peer", value_name = "NAME=FILE")]
    pub peers: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Colour the text report: auto (when stdout is a terminal), always or never.
    #[arg(long, default_value = "auto", value_parser = ["auto", "always", "never"])]
    pub color: String,
    /// Draw the IKE exchange as a ladder in the text report: auto (when stdout is a
    /// terminal), always or never. Box-drawing characters when the locale is UTF-8, ASCII
    /// otherwise.
    #[arg(long, default_value = "auto", value_parser = ["auto", "always", "never"])]
    pub ladder: String,
}

pub fn run(args: Args) -> anyhow::Result<i32> {
    let mut inputs: Vec<Input> = args.files.iter().map(|f| Input::parse(f)).collect();
    for p in &args.peers {
        let input = Input::parse(p);
        if input.peer.is_none() {
            anyhow::bail!("--peer {p}: expected NAME=FILE");
        }
        inputs.push(input);
    }
    if inputs.is_empty() {
        anyhow::bail!("analyze: give at least one capture file (or - for stdin)");
    }
    if inputs.iter().filter(|i| i.path.as_os_str() == "-").count() > 1 {
        anyhow::bail!("analyze: stdin (-) can be read only once");
    }
    // Every input is checked before any is analysed: bad input fails as a whole.
    for input in &inputs {
        capture::check(input)?;
    }
    let mut engine = Engine::new();
    let mut warnings = Vec::new();
    for input in &inputs {
        warnings.extend(capture::feed(&mut engine, input)?);
    }
    let diagnosis = engine.finish();
    let subject = diagnosis
        .peers
        .iter()
        .map(|p| p.name.as_str())
        .collect::<Vec<_>>()
        .join(" <-> ");
    let warnings: Vec<String> = warnings.iter().map(|w| w.to_string()).collect();
    for w in &warnings {
        tracing::warn!("{w}");
    }
    let report = Report::new("analyze", &subject, diagnosis, warnings);
    let style = super::text_style(&args.color, &args.ladder);
    let code = report.exit_code;
    let text = report::render_styled(args.format, std::slice::from_ref(&report), &style);
    let mut out = std::io::stdout().lock();
    // A closed pipe (`| head`) is a normal end, not an error.
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|_| out.flush())
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        return Err(e.into());
    }
    Ok(code)
}
