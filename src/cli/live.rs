//! The options every live run on routers shares (`triage`, `guide`): the debug window, stale
//! debugs, host keys, and the hidden knobs tests turn. One struct, flattened into each
//! subcommand, so the flags read and behave the same everywhere.

use crate::playbook;
use crate::run::RunOptions;
use crate::ssh::HostKeyPolicy;
use anyhow::Context;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone, clap::Args)]
pub struct LiveArgs {
    /// How long debugs stay on in a debug window (overrides the playbook), e.g. 45s; at most
    /// 600s.
    #[arg(long, value_parser = playbook::parse_debug_duration)]
    pub debug_window: Option<Duration>,
    /// Ends a debug window early once the routers stay quiet this long; at most 600s.
    #[arg(long, value_parser = playbook::parse_debug_duration, default_value = "5s")]
    pub idle_cutoff: Duration,
    /// Switch off crypto debugs found already on when the run starts.
    #[arg(long)]
    pub clear_stale_debug: bool,
    /// Learn the host keys of routers not yet in known_hosts (a changed key is still refused).
    #[arg(long)]
    pub accept_new_host_keys: bool,
    /// known_hosts file to check host keys against (default ~/.ssh/known_hosts).
    #[arg(long, value_name = "FILE")]
    pub known_hosts: Option<PathBuf>,
    /// Lab seconds per real second for --lab (retransmission timers run this much faster).
    #[arg(long, default_value_t = 20.0, hide = true)]
    pub lab_speed: f64,
    /// How long the cleanup of one router may take before the run gives up on it and reports
    /// DEBUG MAY STILL BE ON.
    #[arg(long, value_parser = playbook::parse_duration, default_value = "20s", hide = true)]
    pub cleanup_deadline: Duration,
}

impl LiveArgs {
    /// The runner's options these flags set; `allow_disruptive` is the subcommand's to give.
    pub fn run_options(&self, allow_disruptive: bool) -> RunOptions {
        RunOptions {
            allow_disruptive,
            clear_stale_debug: self.clear_stale_debug,
            debug_window: self.debug_window,
            idle_cutoff: self.idle_cutoff,
            no_debug: false,
            cleanup_deadline: self.cleanup_deadline,
            ..RunOptions::default()
        }
    }

    /// `--known-hosts` (default `~/.ssh/known_hosts`) with `--accept-new-host-keys` or not.
    pub fn host_keys(&self) -> anyhow::Result<HostKeyPolicy> {
        host_key_policy(self.known_hosts.as_deref(), self.accept_new_host_keys)
    }
}

/// The host key policy for a known_hosts file (default `~/.ssh/known_hosts`).
pub(crate) fn host_key_policy(
    known_hosts: Option<&std::path::Path>,
    accept_new: bool,
) -> anyhow::Result<HostKeyPolicy> {
    let path = match known_hosts {
        Some(p) => p.to_path_buf(),
        None => std::env::var_os("HOME")
            .map(|h| PathBuf::from(h).join(".ssh/known_hosts"))
            .context("no --known-hosts given and HOME is not set")?,
    };
    Ok(if accept_new {
        HostKeyPolicy::accept_new(path)
    } else {
        HostKeyPolicy::strict(path)
    })
}
