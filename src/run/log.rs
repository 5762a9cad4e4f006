//! What a run did: each step per router, the debugs found on arrival, and the cleanup — the
//! part of the report that says whether the routers were left as they were found.

use serde::Serialize;

#[derive(Debug, Clone, Default, Serialize)]
pub struct RunLog {
    pub steps: Vec<StepRecord>,
    /// Crypto debugs already on when the run started.
    pub stale_debug: Vec<StaleDebug>,
    pub cleanup: Vec<Cleanup>,
    /// The run was stopped (a signal) before its steps were done.
    pub interrupted: bool,
    /// Errors that ended the steps early (connection lost, device refused to connect…).
    pub errors: Vec<String>,
    /// A panic (a bug) that ended the steps; the cleanup ran after it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub internal_error: Option<String>,
    /// Routers that could not be reached at the start, each with its own error.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unreachable: Vec<RouterError>,
    /// Configuration the guide applied, rolled back or saved (never anything else).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub config: Vec<ConfigChange>,
    /// What each router's configuration said about its tunnel (IKE version, crypto map or
    /// VTI), which picked the commands it was sent.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tunnels: Vec<RouterTunnel>,
}

/// One router's tunnel toward its peer, as the runner learned it from the configuration.
#[derive(Debug, Clone, Serialize)]
pub struct RouterTunnel {
    pub router: String,
    #[serde(flatten)]
    pub tunnel: super::facts::TunnelFacts,
}

/// Configuration lines sent to one router from `configure terminal` (or `write memory`).
#[derive(Debug, Clone, Serialize)]
pub struct ConfigChange {
    pub router: String,
    /// As sent, secrets redacted.
    pub commands: Vec<String>,
    /// Puts back the lines a change replaced.
    pub rollback: bool,
    pub status: StepStatus,
}

#[derive(Debug, Clone, Serialize)]
pub struct RouterError {
    pub router: String,
    pub error: String,
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
    /// `show debug`, read back after switching off, lists none of this run's debugs and not
    /// its debug condition.
    pub debug_off_confirmed: bool,
    /// What was sent to switch off exactly what this run switched on (`no debug crypto
    /// isakmp`, `no debug crypto condition peer ipv4 …`).
    pub commands: Vec<String>,
    pub detail: String,
}
