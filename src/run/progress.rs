//! Progress while a run goes: one line per router with its current step and the number of
//! debug lines received. The runner only calls the trait; the CLI draws it with indicatif.

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

pub trait Progress: Send + Sync {
    fn step(&self, router: &str, what: &str);
    fn lines(&self, router: &str, total: u64);
    fn finish(&self);
    /// Something the user must read even without a progress display (a run waiting for
    /// another one). Says nothing by default.
    fn note(&self, _router: &str, _text: &str) {}
    /// One router's part in a run is over (several tunnels' runs share one display).
    fn router_done(&self, _router: &str) {}
    /// Of `total` tunnels, `done` are finished.
    fn tunnels(&self, _done: usize, _total: usize) {}
    /// Runs `write` (a report going to stdout) with the display out of its way.
    fn suspend(&self, write: &mut dyn FnMut()) {
        write()
    }
}

/// Says nothing (tests, JSON to a pipe).
pub struct Silent;

impl Progress for Silent {
    fn step(&self, _: &str, _: &str) {}
    fn lines(&self, _: &str, _: u64) {}
    fn finish(&self) {}
}

/// A spinner per router on stderr; hidden when stderr is not a terminal.
pub struct Bars {
    multi: MultiProgress,
    bars: Mutex<BTreeMap<String, ProgressBar>>,
    /// `tunnels 3/100`, above the routers' lines, when a run has several tunnels.
    overall: Mutex<Option<ProgressBar>>,
}

impl Bars {
    pub fn new(visible: bool) -> Bars {
        let target = if visible {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        Bars {
            multi: MultiProgress::with_draw_target(target),
            bars: Mutex::new(BTreeMap::new()),
            overall: Mutex::new(None),
        }
    }

    fn with_bar(&self, router: &str, f: impl FnOnce(&ProgressBar)) {
        let Ok(mut bars) = self.bars.lock() else {
            return;
        };
        let bar = bars.entry(router.to_string()).or_insert_with(|| {
            let b = self.multi.add(ProgressBar::new_spinner());
            if let Ok(style) = ProgressStyle::with_template("{spinner} {prefix:<12} {wide_msg}") {
                b.set_style(style);
            }
            b.set_prefix(router.to_string());
            b.enable_steady_tick(Duration::from_millis(120));
            b
        });
        f(bar);
    }
}

impl Progress for Bars {
    fn step(&self, router: &str, what: &str) {
        let what = crate::visible::visible(&crate::secret::redact(what)).into_owned();
        self.with_bar(router, |b| b.set_message(what));
    }

    fn lines(&self, router: &str, total: u64) {
        self.with_bar(router, |b| {
            b.set_message(format!("debug window: {total} lines received"))
        });
    }

    fn finish(&self) {
        if let Ok(mut bars) = self.bars.lock() {
            for b in bars.values() {
                b.finish_and_clear();
            }
            bars.clear();
        }
        if let Some(b) = self.overall.lock().ok().and_then(|mut o| o.take()) {
            b.finish_and_clear();
        }
    }

    fn router_done(&self, router: &str) {
        if let Some(b) = self.bars.lock().ok().and_then(|mut b| b.remove(router)) {
            b.finish_and_clear();
            self.multi.remove(&b);
        }
    }

    fn tunnels(&self, done: usize, total: usize) {
        if total < 2 {
            return;
        }
        let Ok(mut overall) = self.overall.lock() else {
            return;
        };
        let bar = overall.get_or_insert_with(|| {
            let b = self.multi.insert(0, ProgressBar::new(total as u64));
            if let Ok(style) = ProgressStyle::with_template("tunnels {pos}/{len} done {wide_bar}") {
                b.set_style(style);
            }
            b
        });
        bar.set_position(done as u64);
    }

    fn suspend(&self, write: &mut dyn FnMut()) {
        self.multi.suspend(write)
    }

    fn note(&self, _router: &str, text: &str) {
        use std::io::Write;
        let line = format!("ipsec-doctor: {}", crate::visible::visible(text));
        if self.multi.is_hidden() {
            // A closed terminal is no reason to fail.
            let _ = writeln!(std::io::stderr(), "{line}");
        } else {
            let _ = self.multi.println(line);
        }
    }
}
