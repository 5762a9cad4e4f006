//! `terminal length N`, `terminal width N`, `terminal monitor`, `terminal no monitor`: this
//! session's line settings (silent on success, as on IOS).

use crate::lab::cli::TermState;
use std::sync::atomic::Ordering;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Terminal {
    /// Lines per page; 0 turns the `--More--` pager off.
    Length(u32),
    Width(u32),
    Monitor(bool),
}

impl Terminal {
    pub fn apply(self, term: &mut TermState) {
        match self {
            Terminal::Length(n) => term.length = n,
            Terminal::Width(n) => term.width = n,
            Terminal::Monitor(on) => term.monitor.store(on, Ordering::Relaxed),
        }
    }
}
