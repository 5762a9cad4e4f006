//! What a run did: each step per router, the debugs found on arrival, and the cleanup — the
//! part of the report that says whether the routers were left as they were found.

use serde::Serialize;

#[derive(Debug, Clone, Default, Serialize)]
pub struct RunLog {
    pub steps: Vec<StepRecord>,
    /// Crypto debugs already on when the run started.
    pub stale_debug: Vec<StaleDebug>,
    pub cleanup: Vec<Cleanup>,
    /// The run was stopped (Ctrl-C) before its steps were done.
    pub interrupted: bool,
    /// Errors that ended the steps early (connection lost, device refused to connect…).
    pub errors: Vec<String>,
}

impl RunLog {
    /// Every router on which we switched debug on has it confirmed off.
    pub fn cleanup_confirmed(&self) -> bool {
        self.cleanup.iter().all(|c| c.debug_off_confirmed)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct StepRecord {
    pub step: String,
    /// Empty when the whole step was skipped.
    pub router: String,
    pub command: String,
    pub status: StepStatus,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "state", content = "reason")]
pub enum StepStatus {
    Ok,
    Skipped(String),
    Failed(String),
}

#[derive(Debug, Clone, Serialize)]
pub struct StaleDebug {
    pub router: String,
    /// `show debug` as the router printed it.
    pub lines: Vec<String>,
    /// Switched off because `--clear-stale-debug` was given.
    pub cleared: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Cleanup {
    pub router: String,
    /// The session had been lost and was reopened to clean up.
    pub reconnected: bool,
    /// `show debug` read back after `undebug all` lists no debugging.
    pub debug_off_confirmed: bool,
    pub detail: String,
}
