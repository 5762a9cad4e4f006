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
        if let Ok(bars) = self.bars.lock() {
            for b in bars.values() {
                b.finish_and_clear();
            }
        }
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
