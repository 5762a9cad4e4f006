//! ipsec-doctor: diagnoses broken site-to-site IPsec VPNs between Cisco routers.
//!
//! Data flows one way: transport → device session → orchestrator → engine → report.
//! - [`engine`]: pure diagnosis (lines and show outputs in, findings out), no I/O.
//! - [`ios`]: the IOS model shared by the engine's config comparison and the lab.
//! - [`capture`]: reads captured files for offline analysis (the I/O the engine must not do).
//! - [`health`]: scheduled health checks over every configured tunnel (Nagios, Prometheus).
//! - [`report`]: renders a diagnosis as text, JSON, Prometheus or Markdown.
//! - [`guide`]: the guided session, step by step, a driver of the runner ([`run`]).
//! - [`lab`]: simulated IOS routers over SSH.
//! - [`visible`]: router and file text made safe to print (control characters shown, not obeyed).
//! - [`cli`]: one entry point per subcommand.
//! - [`deadline`]: instants from user-chosen durations, without overflow panics.

pub mod capture;
pub mod cli;
pub mod deadline;
pub mod device;
pub mod engine;
pub mod guide;
pub mod health;
pub mod inventory;
pub mod ios;
pub mod lab;
pub mod playbook;
pub mod report;
pub mod run;
pub mod secret;
pub mod ssh;
pub mod visible;
pub mod yaml;
