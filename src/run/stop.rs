//! The stop signal every driver takes (mini-redis's shutdown, passed in as a future).
//!
//! A run on production routers must clean up however it is told to stop: Ctrl-C (SIGINT), a
//! Nagios plugin timeout, `timeout`, systemd or Kubernetes (SIGTERM), a closed terminal
//! (SIGHUP), Ctrl-\ (SIGQUIT). [`Stop::from_signals`] turns all four into one [`Stop`]; the
//! first signal fires it and the run goes to its cleanup. Later signals do not interrupt the
//! cleanup (it is bounded by its own deadline per router, see `RunOptions::cleanup_deadline`):
//! they are counted and answered with a message saying what is still being done.
//!
//! Tests and library users build a [`Stop`] from any future ([`Stop::from_future`]) or fire
//! one by hand ([`Stop::new`]).

use std::future::Future;
use tokio::sync::watch;

/// A stop request, cheap to clone: every clone sees the same signal.
#[derive(Debug, Clone)]
pub struct Stop {
    /// How many times stopping was asked for (0: not yet).
    rx: watch::Receiver<u32>,
}

/// Fires a [`Stop`] by hand.
#[derive(Debug, Clone)]
pub struct StopHandle {
    tx: watch::Sender<u32>,
}

impl StopHandle {
    /// Asks the run to stop (again, if it was asked already).
    pub fn fire(&self) {
        self.tx.send_modify(|n| *n = n.saturating_add(1));
    }
}

impl Stop {
    pub fn new() -> (StopHandle, Stop) {
        let (tx, rx) = watch::channel(0);
        (StopHandle { tx }, Stop { rx })
    }

    /// Never fires.
    pub fn never() -> Stop {
        let (handle, stop) = Stop::new();
        // The sender may go: `fired` then waits forever, as it should.
        drop(handle);
        stop
    }

    /// Fires once `f` completes. Must be called inside a tokio runtime.
    pub fn from_future(f: impl Future<Output = ()> + Send + 'static) -> Stop {
        let (handle, stop) = Stop::new();
        tokio::spawn(async move {
            f.await;
            handle.fire();
        });
        stop
    }

    /// Fires on SIGINT, SIGTERM, SIGHUP or SIGQUIT. Must be called inside a tokio runtime,
    /// before anything is done on a router: from then on these signals no longer end the
    /// process, the run does, once its cleanup is over.
    pub fn from_signals() -> std::io::Result<Stop> {
        use tokio::signal::unix::{SignalKind, signal};
        let mut int = signal(SignalKind::interrupt())?;
        let mut term = signal(SignalKind::terminate())?;
        let mut hup = signal(SignalKind::hangup())?;
        let mut quit = signal(SignalKind::quit())?;
        let (handle, stop) = Stop::new();
        tokio::spawn(async move {
            loop {
                let name = tokio::select! {
                    Some(()) = int.recv() => "SIGINT",
                    Some(()) = term.recv() => "SIGTERM",
                    Some(()) = hup.recv() => "SIGHUP",
                    Some(()) = quit.recv() => "SIGQUIT",
                    else => break,
                };
                let first = *handle.tx.borrow() == 0;
                handle.fire();
                if first {
                    tracing::warn!("{name}: stopping; switching off the debugs this run turned on");
                } else {
                    tracing::warn!("{name}: cleanup still running");
                    // Written by hand, not with eprintln!: after SIGHUP the terminal may be gone
                    // and a failed write must not become a panic.
                    say(
                        "still switching debugs off on the routers; the run ends as soon as that is done (each router has a deadline)",
                    );
                }
            }
        });
        Ok(stop)
    }

    /// Whether stopping was asked for.
    pub fn is_fired(&self) -> bool {
        *self.rx.borrow() > 0
    }

    /// Completes once stopping is asked for (at once if it already was).
    pub async fn fired(&self) {
        let mut rx = self.rx.clone();
        if rx.wait_for(|n| *n > 0).await.is_err() {
            // Nobody can fire it any more.
            std::future::pending::<()>().await;
        }
    }

    /// [`Stop::fired`], owning the stop: for drivers that take `impl Future + 'static`.
    pub async fn wait(self) {
        self.fired().await
    }
}

/// One line on stderr, ignoring a closed terminal.
fn say(text: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "ipsec-doctor: {text}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn fires_once_for_every_clone_and_counts_repeats() {
        let (handle, stop) = Stop::new();
        let other = stop.clone();
        assert!(!stop.is_fired());
        let waiter = tokio::spawn(async move { other.fired().await });
        handle.fire();
        handle.fire();
        waiter.await.unwrap();
        assert!(stop.is_fired());
        assert_eq!(*stop.rx.borrow(), 2);
        stop.fired().await;
    }

    #[tokio::test]
    async fn from_a_future_and_never() {
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let stop = Stop::from_future(async move {
            let _ = rx.await;
        });
        assert!(!stop.is_fired());
        tx.send(()).unwrap();
        stop.fired().await;
        let never = Stop::never();
        assert!(
            tokio::time::timeout(std::time::Duration::from_millis(20), never.fired())
                .await
                .is_err()
        );
    }
}
