//! One router during a run: its session (reopened when lost), its engine stream, and what
//! the run switched on there, which is what cleanup undoes.

use super::RouterTarget;
use super::progress::Progress;
use crate::device::{DeviceError, IosSession, UnsolicitedLine};
use crate::engine::StreamId;
use crate::ssh::HostKeyPolicy;
use std::time::Duration;
use tokio::sync::mpsc;

/// A router during a run: its session (absent once lost), its engine stream, and what this
/// run changed on it.
pub(super) struct Router {
    pub target: RouterTarget,
    pub session: Option<IosSession>,
    pub stream: StreamId,
    /// The debug commands this run sent, in order (a failed one included: it may have taken
    /// effect). Cleanup undoes each, last first, and nothing else.
    pub switched_on: Vec<String>,
    /// Crypto debugs were on when the run came (someone else's) and are still on: no debug
    /// window here, so that they are left exactly as found.
    pub stale: bool,
    pub lost: bool,
}

impl Router {
    pub fn new(target: RouterTarget, stream: StreamId) -> Router {
        Router {
            target,
            session: None,
            stream,
            switched_on: Vec::new(),
            stale: false,
            lost: false,
        }
    }

    pub async fn connect(
        &mut self,
        policy: &HostKeyPolicy,
        tx: mpsc::UnboundedSender<UnsolicitedLine>,
    ) -> Result<(), DeviceError> {
        let s = IosSession::connect(
            &self.target.name,
            &self.target.ssh,
            policy,
            self.target.session.clone(),
            tx,
        )
        .await?;
        self.session = Some(s);
        Ok(())
    }

    /// Runs one command; a lost connection is remembered so cleanup reconnects.
    pub async fn run(&mut self, command: &str, timeout: Duration) -> Result<String, DeviceError> {
        let Some(s) = self.session.as_mut() else {
            return Err(DeviceError::Lost {
                device: self.target.name.clone(),
            });
        };
        let shown = crate::secret::redact(command);
        tracing::debug!(router = %self.target.name, "> {shown}");
        match s.run(command, timeout).await {
            Ok(out) => {
                tracing::debug!(router = %self.target.name, "< {shown}: {} line(s)", out.lines.len());
                for l in &out.lines {
                    let l = crate::secret::redact(l);
                    tracing::trace!(router = %self.target.name, "| {}", crate::visible::visible(&l));
                }
                Ok(out.text())
            }
            Err(e) => {
                tracing::debug!(router = %self.target.name, "< {shown}: {e}");
                if matches!(e, DeviceError::Lost { .. }) {
                    self.lost = true;
                }
                Err(e)
            }
        }
    }
}

/// A router's commands in order; stops at a lost connection.
pub(super) async fn run_all(
    r: &mut Router,
    commands: &[String],
    progress: &dyn Progress,
) -> Vec<(String, Result<String, DeviceError>)> {
    let mut out = Vec::new();
    for c in commands {
        progress.step(&r.target.name, c);
        let timeout = r.target.command_timeout;
        let res = r.run(c, timeout).await;
        let lost = matches!(res, Err(DeviceError::Lost { .. }));
        out.push((c.clone(), res));
        if lost {
            break;
        }
    }
    out
}
