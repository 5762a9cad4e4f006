//! Configuration mode, for the guide's fixes and their rollback: every line checked against
//! the `config` class before anything is sent, `configure terminal`, the lines in order until
//! the router refuses one, then `end` whatever happened. `write memory` is a call of its own,
//! made only when the person running the guide asks for it.

use super::router::Router;
use crate::device::DeviceError;
use crate::playbook::class::{self, Class};
use crate::secret::redact;

/// Saves the running-config to the startup-config.
pub const SAVE: &str = "write memory";

/// What a configuration attempt did on one router.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// How many lines the router took.
    pub taken: usize,
    /// The line it refused (secrets redacted) and what it said; nothing after it was sent.
    pub refused: Option<(String, String)>,
}

/// Every line within the `config` class, or the first refusal.
pub(super) fn check(lines: &[String]) -> Result<(), String> {
    for l in lines {
        class::check(l, Class::Config).map_err(|r| redact(&r.message).into_owned())?;
    }
    Ok(())
}

/// A device error that may quote a configuration line, with the line's secrets hidden.
fn scrub(e: DeviceError) -> DeviceError {
    match e {
        DeviceError::Timeout { device, command } => DeviceError::Timeout {
            device,
            command: redact(&command).into_owned(),
        },
        DeviceError::Rejected {
            device,
            command,
            message,
        } => DeviceError::Rejected {
            device,
            command: redact(&command).into_owned(),
            message,
        },
        other => other,
    }
}

pub(super) async fn apply(r: &mut Router, lines: &[String]) -> Result<Applied, DeviceError> {
    let timeout = r.target.command_timeout;
    r.run("configure terminal", timeout).await?;
    let mut applied = Applied {
        taken: 0,
        refused: None,
    };
    let mut failure = None;
    for l in lines {
        // Indentation only shows the block a line belongs to; the router knows it by mode.
        match r.run(l.trim(), timeout).await {
            Ok(_) => applied.taken += 1,
            Err(DeviceError::Rejected { message, .. }) => {
                applied.refused = Some((redact(l.trim()).into_owned(), message));
                break;
            }
            Err(e) => {
                failure = Some(scrub(e));
                break;
            }
        }
    }
    // Back to the privileged prompt, whatever happened, unless the session is gone.
    if !matches!(failure, Some(DeviceError::Lost { .. })) {
        let end = r.run("end", timeout).await;
        if failure.is_none() {
            end?;
        }
    }
    match failure {
        Some(e) => Err(e),
        None => Ok(applied),
    }
}

pub(super) async fn save(r: &mut Router) -> Result<String, DeviceError> {
    let timeout = r.target.command_timeout;
    r.run(SAVE, timeout).await
}
