//! `--every`: cycles on a fixed grid (start + k·every), so they do not drift; a cycle never
//! starts before the previous one has finished. A cycle that overruns its slot delays the next
//! one, which then starts at once, says how late it is, and the grid is kept from there on.
//! The stop signal ends the wait between cycles at once; during a cycle it cancels the
//! collection and lets a triage in progress clean up before returning.

use super::{Checker, Cycle, HealthError};
use std::future::Future;
use std::time::Duration;
use tokio::sync::watch;
use tokio::time::Instant;

/// Runs one cycle, or one every `every`, until `stop` resolves; hands each finished cycle to
/// `sink`. Returns the last finished cycle (`None` when stopped before the first finished).
pub async fn run(
    checker: &mut Checker,
    every: Option<Duration>,
    stop: impl Future<Output = ()>,
    mut sink: impl FnMut(&Cycle),
) -> Result<Option<Cycle>, HealthError> {
    let (tx, rx) = watch::channel(false);
    tokio::pin!(stop);
    let anchor = Instant::now();
    let mut slot: u32 = 0;
    let mut late: Option<(String, f64)> = None;
    let mut last = None;
    loop {
        let mut stopped = *rx.borrow();
        let result = {
            let cycle = checker.cycle(&rx);
            tokio::pin!(cycle);
            loop {
                tokio::select! {
                    r = &mut cycle => break r,
                    _ = &mut stop, if !stopped => {
                        stopped = true;
                        let _ = tx.send(true);
                    }
                }
            }
        };
        let mut cycle = result?;
        if stopped {
            // Cut short: its results are partial and are not reported.
            break;
        }
        if let Some((note, seconds)) = late.take() {
            cycle.notes.push(note);
            cycle.late_seconds = seconds;
        }
        sink(&cycle);
        let number = cycle.number;
        let took = cycle.duration_seconds;
        last = Some(cycle);
        let Some(every) = every else { break };
        let now = Instant::now();
        let due = anchor + every * (slot + 1);
        if now <= due {
            slot += 1;
            tokio::select! {
                _ = tokio::time::sleep_until(due) => {}
                _ = &mut stop => break,
            }
        } else {
            let behind = now.duration_since(due);
            slot = (now.duration_since(anchor).as_nanos() / every.as_nanos().max(1)) as u32;
            let note = format!(
                "cycle {number} took {took:.1} s, longer than --every {}: this cycle started {:.1} s late",
                humanize(every),
                behind.as_secs_f64()
            );
            tracing::warn!("{note}");
            late = Some((note, behind.as_secs_f64()));
        }
    }
    checker.close().await;
    Ok(last)
}

fn humanize(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s >= 60.0 && s.fract() == 0.0 && (s as u64).is_multiple_of(60) {
        format!("{}m", s as u64 / 60)
    } else {
        format!("{s}s")
    }
}
