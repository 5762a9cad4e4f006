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

/// The work the grid schedules: one cycle at a time, then a last call to let go of sessions.
/// [`Checker`] is the real one; the tests use a stand-in whose cycles take chosen lab times.
pub trait Cycles {
    /// One cycle; `stop` turns true when the run is told to stop half-way.
    fn cycle(
        &mut self,
        stop: &watch::Receiver<bool>,
    ) -> impl Future<Output = Result<Cycle, HealthError>>;
    fn close(&mut self) -> impl Future<Output = ()>;
}

impl Cycles for Checker {
    async fn cycle(&mut self, stop: &watch::Receiver<bool>) -> Result<Cycle, HealthError> {
        Checker::cycle(self, stop).await
    }

    async fn close(&mut self) {
        Checker::close(self).await
    }
}

/// Runs one cycle, or one every `every`, until `stop` resolves; hands each finished cycle to
/// `sink`. Returns the last finished cycle (`None` when stopped before the first finished).
pub async fn run(
    checker: &mut impl Cycles,
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::SystemTime;

    /// Cycles that take the lab times they are given, and note when each one started.
    struct Timed {
        takes: Vec<Duration>,
        anchor: Instant,
        starts: Vec<Duration>,
    }

    impl Cycles for Timed {
        async fn cycle(&mut self, _stop: &watch::Receiver<bool>) -> Result<Cycle, HealthError> {
            let n = self.starts.len();
            self.starts.push(self.anchor.elapsed());
            let took = self.takes.get(n).copied().unwrap_or(Duration::from_secs(6));
            tokio::time::sleep(took).await;
            Ok(Cycle {
                number: n as u64 + 1,
                timestamp: String::new(),
                started: SystemTime::UNIX_EPOCH,
                duration_seconds: took.as_secs_f64(),
                shard: String::new(),
                tunnels: Vec::new(),
                routers: Vec::new(),
                notes: Vec::new(),
                inventory_ok: true,
                late_seconds: 0.0,
            })
        }

        async fn close(&mut self) {}
    }

    /// Cycles every 10 s on the paused tokio clock (6 s each unless told); the first takes 15 s, so the second
    /// starts 5 s late and says so, and the grid is kept from there on.
    #[tokio::test(start_paused = true)]
    async fn an_overrun_delays_the_next_cycle_once_and_the_grid_holds() {
        let mut timed = Timed {
            takes: vec![Duration::from_secs(15), Duration::from_secs(2)],
            anchor: Instant::now(),
            starts: Vec::new(),
        };
        let mut seen = Vec::new();
        let stop = async {
            // Lab time passes only while every task waits: this fires after cycle 7 began.
            tokio::time::sleep(Duration::from_secs(65)).await;
        };
        run(&mut timed, Some(Duration::from_secs(10)), stop, |c| {
            seen.push((c.number, c.late_seconds, c.notes.clone()))
        })
        .await
        .unwrap();
        let starts: Vec<u64> = timed.starts.iter().map(|d| d.as_secs()).collect();
        assert_eq!(starts, vec![0, 15, 20, 30, 40, 50, 60]);
        assert_eq!(seen[1].0, 2);
        assert!((seen[1].1 - 5.0).abs() < 1e-6, "{seen:?}");
        assert!(seen[1].2[0].contains("started 5.0 s late"), "{seen:?}");
        assert!(
            seen.iter()
                .filter(|c| c.0 != 2)
                .all(|c| c.1 == 0.0 && c.2.is_empty())
        );
        // Cut short by the stop, cycle 7 is not reported.
        assert_eq!(seen.len(), 6);
    }

    #[tokio::test(start_paused = true)]
    async fn without_every_one_cycle_runs() {
        let mut timed = Timed {
            takes: vec![Duration::from_secs(3)],
            anchor: Instant::now(),
            starts: Vec::new(),
        };
        let last = run(&mut timed, None, std::future::pending(), |_| {})
            .await
            .unwrap();
        assert_eq!(last.map(|c| c.number), Some(1));
        assert_eq!(timed.starts.len(), 1);
    }
}
