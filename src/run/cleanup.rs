//! Switching off what a run switched on: exactly its own debugs, last first, on a session
//! reopened if the old one was lost, each router within its deadline, confirmed by reading
//! `show debug` back.

use super::log::Cleanup;
use super::progress::Progress;
use super::router::Router;
use super::unwind::CatchUnwind;
use crate::device::{DeviceError, UnsolicitedLine};
use crate::engine::parse::show::{self, ShowKind, ShowOutput};
use crate::ios::keyword::{Keyword, words};
use crate::ssh::HostKeyPolicy;
use std::time::Duration;
use tokio::sync::mpsc;

/// The command that undoes a debug command this run sent, when it is one (`debug …` →
/// `no debug …`; `undebug …` and `no debug …` switch off and need no undoing).
pub(super) fn undo(command: &str) -> Option<String> {
    let first = words(command).first()?.text;
    Keyword("deb|ug")
        .matches(first)
        .then(|| format!("no {}", command.trim()))
}

/// The command that switches off a crypto debug `show debug` lists by name: `Crypto ISAKMP`
/// is `no debug crypto isakmp`; IOS-XE lists IKEv2's by its level (`IKEv2 default`), and
/// `no debug crypto ikev2` switches every level off.
pub(super) fn switch_off(name: &str) -> String {
    let name = name.trim().to_ascii_lowercase();
    if name.starts_with("ikev2") {
        return "no debug crypto ikev2".to_string();
    }
    format!("no debug {name}")
}

/// The crypto debugs `show debug` lists as on, by name (`Crypto ISAKMP`).
pub(super) fn crypto_debugs(out: &str) -> Vec<String> {
    let Some(ShowOutput::Debug(d)) = show::parse(ShowKind::Debug, out) else {
        return Vec::new();
    };
    d.enabled
        .iter()
        .filter(|e| {
            let name = e.name.to_ascii_lowercase();
            ["crypto", "isakmp", "ipsec", "ikev2"]
                .iter()
                .any(|w| name.contains(w))
                || e.section
                    .as_deref()
                    .is_some_and(|s| s.starts_with("Cryptographic"))
        })
        .map(|e| e.name.clone())
        .collect()
}

/// [`clean`] within `deadline`, and a panic in it reported, not propagated.
pub(super) async fn clean_bounded(
    r: &mut Router,
    policy: &HostKeyPolicy,
    tx: &mpsc::UnboundedSender<UnsolicitedLine>,
    deadline: Duration,
    progress: &dyn Progress,
) -> Option<Cleanup> {
    if r.switched_on.is_empty() {
        return None;
    }
    let name = r.target.name.clone();
    let undo: Vec<String> = r.switched_on.iter().rev().filter_map(|c| undo(c)).collect();
    let outcome =
        tokio::time::timeout(deadline, CatchUnwind::new(clean(r, policy, tx, progress))).await;
    let record = match outcome {
        Ok(Ok(record)) => record,
        Ok(Err(panic)) => Cleanup {
            router: name,
            reconnected: false,
            debug_off_confirmed: false,
            commands: undo,
            detail: format!("the cleanup hit an internal error: {panic}"),
        },
        Err(_) => Cleanup {
            router: name,
            reconnected: false,
            debug_off_confirmed: false,
            commands: undo,
            detail: format!(
                "the cleanup did not finish within {} s",
                deadline.as_secs_f64()
            ),
        },
    };
    if record.debug_off_confirmed {
        tracing::info!(router = %record.router, "debug off, confirmed by show debug");
        r.switched_on.clear();
    } else {
        tracing::error!(router = %record.router, "DEBUG MAY STILL BE ON: {}", record.detail);
    }
    Some(record)
}

/// Switches off exactly what this run switched on, last first, and confirms it with
/// `show debug`; a lost or stuck session is replaced by a new one.
async fn clean(
    r: &mut Router,
    policy: &HostKeyPolicy,
    tx: &mpsc::UnboundedSender<UnsolicitedLine>,
    progress: &dyn Progress,
) -> Cleanup {
    let name = r.target.name.clone();
    progress.step(&name, "switching debug off");
    let commands: Vec<String> = r.switched_on.iter().rev().filter_map(|c| undo(c)).collect();
    tracing::info!(router = %name, "cleanup: {}", commands.join(", "));
    let mut record = Cleanup {
        router: name.clone(),
        reconnected: false,
        debug_off_confirmed: false,
        commands: commands.clone(),
        detail: String::new(),
    };
    let timeout = r.target.command_timeout;
    let mut fresh = false;
    let mut result: Result<(), DeviceError> = Err(DeviceError::Lost {
        device: name.clone(),
    });
    // At most two sessions: the one the run had, then (if it was lost or is stuck behind an
    // interrupted command) a new one.
    for attempt in 0..2 {
        if attempt == 1 || r.lost || r.session.is_none() {
            if let Some(s) = r.session.as_mut() {
                let _ = s.close().await;
            }
            r.session = None;
            r.lost = false;
            if let Err(e) = r.connect(policy, tx.clone()).await {
                record.detail = format!("could not reconnect to switch debug off: {e}");
                return record;
            }
            record.reconnected = true;
            fresh = true;
        }
        result = Ok(());
        for c in &commands {
            match r.run(c, timeout).await {
                Ok(_) => {}
                // Refused: that debug does not exist here, so it is not on; `show debug`
                // below judges the rest.
                Err(DeviceError::Rejected { .. }) => {}
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
        if result.is_ok() || fresh {
            break;
        }
    }
    if let Err(e) = result {
        record.detail = format!("switching debug off failed: {e}");
        return record;
    }
    match r.run("show debug", timeout).await {
        Ok(out) => {
            let still = crypto_debugs(&out);
            let conditions: Vec<&str> = r
                .switched_on
                .iter()
                .filter(|c| c.to_ascii_lowercase().contains("cond"))
                .filter_map(|c| c.split_whitespace().last())
                .filter(|addr| {
                    out.split(|ch: char| ch.is_whitespace() || ch == ',')
                        .any(|w| w == *addr)
                })
                .collect();
            if still.is_empty() && conditions.is_empty() {
                record.debug_off_confirmed = true;
                record.detail = "show debug: none of this run's debugs is on".into();
            } else {
                record.detail = format!("show debug still lists: {}", out.trim());
            }
        }
        Err(e) => record.detail = format!("show debug failed: {e}"),
    }
    record
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_listed_debug_is_switched_off_by_its_own_command() {
        let listed = "Cryptographic Subsystem:\n  Crypto ISAKMP debugging is on\n  IKEv2 default debugging is on\n";
        let off: Vec<String> = crypto_debugs(listed)
            .iter()
            .map(|n| switch_off(n))
            .collect();
        assert_eq!(off, ["no debug crypto isakmp", "no debug crypto ikev2"]);
        assert_eq!(
            undo("debug crypto ikev2").as_deref(),
            Some("no debug crypto ikev2")
        );
    }
}
