//! One interactive CLI session per device: the prompt learned, the privileged level entered,
//! the pager switched off, and each command's output returned apart from the debug and syslog
//! lines that arrive meanwhile, which go to a channel of their own as they come.
//!
//! - [`platform`]: a CLI dialect as data; [`cisco_ios`]: the IOS dialect.
//! - [`framer`]: bytes to lines, prompts, pager stops (pure).
//! - [`session`]: [`IosSession`](session::IosSession), the live session over SSH (or over
//!   any [`ShellIo`](crate::ssh::ShellIo)), and its reconnect helper.
//!
//! The rest of the program sees only [`DeviceSession`], small enough for a fake to implement.

pub mod cisco_ios;
pub mod framer;
pub mod platform;
pub mod session;

pub use platform::{Mode, Prompt};
pub use session::{IosSession, SessionOptions};

use crate::ssh::SshError;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A command's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandOutput {
    pub command: String,
    /// Output lines, without the echoed command, the prompt, pager stops or unsolicited lines;
    /// blank lines at either end removed.
    pub lines: Vec<String>,
    /// The prompt the device returned to.
    pub prompt: String,
    /// Taken from the same counter as [`UnsolicitedLine::seq`] when the output completed, so
    /// the two streams can be put back in order.
    pub seq: u64,
}

impl CommandOutput {
    pub fn text(&self) -> String {
        self.lines.join("\n")
    }
}

/// A line the device sent on its own (debug, syslog with `terminal monitor`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsolicitedLine {
    pub device: String,
    /// Increases by one per line or command output of this session, starting at 1.
    pub seq: u64,
    pub text: String,
}

#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    #[error("{device}: no answer to {command:?} in time")]
    Timeout { device: String, command: String },
    #[error("{device}: {command:?} refused: {message}")]
    Rejected {
        device: String,
        command: String,
        message: String,
    },
    #[error("{device}: connection lost")]
    Lost { device: String },
    #[error("{device}: no CLI prompt seen within {waited:?} of logging in")]
    NoPrompt { device: String, waited: Duration },
    #[error("{device}: enable failed: {message}")]
    Enable { device: String, message: String },
    #[error("{device}: {source}")]
    Ssh {
        device: String,
        #[source]
        source: SshError,
    },
}

impl DeviceError {
    pub fn device(&self) -> &str {
        match self {
            DeviceError::Timeout { device, .. }
            | DeviceError::Rejected { device, .. }
            | DeviceError::Lost { device }
            | DeviceError::NoPrompt { device, .. }
            | DeviceError::Enable { device, .. }
            | DeviceError::Ssh { device, .. } => device,
        }
    }
}

/// What a runner needs of a device: run a command, close. Implemented by [`IosSession`] and
/// by test doubles.
pub trait DeviceSession: Send {
    /// The inventory name of the device.
    fn device(&self) -> &str;
    /// Runs one command and waits for its prompt, at most `timeout`.
    fn run<'a>(
        &'a mut self,
        command: &'a str,
        timeout: Duration,
    ) -> BoxFuture<'a, Result<CommandOutput, DeviceError>>;
    /// Logs out (`exit`) and closes the connection.
    fn close(&mut self) -> BoxFuture<'_, Result<(), DeviceError>>;
}
