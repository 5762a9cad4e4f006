//! `ipsec-doctor guide`: the troubleshooting an engineer does by hand, step by step, with the
//! routers' own lines shown and explained — a driver of the one runner ([`crate::run`]).
//!
//! The steps are data: the decision tree of `playbooks/guide.yaml` ([`crate::playbook::tree`]).
//! This module holds what is the guide's alone:
//! - [`session`]: the walk — ask, run, show, explain, propose the next step, diagnose, fix;
//! - [`input`]: the engineer's answers, a line at a time (a terminal, a pipe, a test);
//! - [`transcript`]: what the session says, on stdout as it goes and as Markdown for a ticket;
//! - [`highlight`]: the lines of an answer worth pointing at;
//! - [`fix`]: the fix to apply, with the pre-shared key the engineer types (never one copied
//!   from the other router);
//! - [`rollback`]: the lines that put a router's configuration back as it was.
//!
//! Safety is the runner's: the same locks, stale-debug check, stop signal and cleanup. The
//! guide adds what a person in the loop needs: it asks before every intrusive step (debug on,
//! test traffic, `clear`, configuration), switches debugs off as soon as each window closes,
//! changes configuration only with `--allow-config` and the router's name typed, and never
//! saves it unless asked.

pub mod fix;
pub mod highlight;
pub mod input;
pub mod rollback;
mod session;
pub mod transcript;

use crate::playbook::Playbook;
use crate::report::Report;
use crate::run::progress::Progress;
use crate::run::stop::Stop;
use crate::run::{RunOptions, Runner, TunnelTarget};
use crate::ssh::HostKeyPolicy;
use input::Input;
pub use session::Options;
use transcript::Transcript;

/// What a session leaves: the report of its final diagnosis (exit code included) and the
/// session as Markdown.
pub struct Outcome {
    pub report: Report,
    pub markdown: String,
}

/// Guides the engineer through `playbook` on `tunnel`. `say` receives the session as it goes.
#[allow(clippy::too_many_arguments)]
pub async fn guide(
    tunnel: &TunnelTarget,
    playbook: &Playbook,
    policy: &HostKeyPolicy,
    run_options: &RunOptions,
    options: &Options,
    input: &mut Input,
    say: Transcript,
    stop: Stop,
    progress: &dyn Progress,
) -> Outcome {
    let runner = Runner::new(tunnel, policy, run_options, progress);
    let session = session::Session {
        runner,
        playbook,
        options,
        input,
        say,
        stop,
        number: 0,
        diagnosed: false,
    };
    let (report, say) = session.walk(&tunnel.name).await;
    Outcome {
        report,
        markdown: say.markdown(),
    }
}
