//! What can go wrong between us and a router's SSH server, one variant per thing the user
//! must do differently (fix the address, add the host key, enable legacy algorithms, fix the
//! credentials), in the manner of rustls's typed errors.

use std::fmt;
use std::path::PathBuf;

/// The step of connecting that ran out of time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// TCP connect.
    Connect,
    /// SSH version exchange, key exchange and host key check.
    Handshake,
    Auth,
    /// Opening the session channel, PTY and shell.
    Channel,
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Stage::Connect => "TCP connect",
            Stage::Handshake => "SSH handshake",
            Stage::Auth => "authentication",
            Stage::Channel => "opening the shell",
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SshError {
    #[error("cannot connect to {addr}: {source}")]
    Connect {
        addr: String,
        source: std::io::Error,
    },
    #[error("{stage} timed out")]
    Timeout { stage: Stage },
    #[error(
        "host key of {host} port {port} is not in known_hosts ({fingerprint}); add it to the \
         known_hosts file or pass --accept-new-host-keys to trust it on first use"
    )]
    HostKeyUnknown {
        host: String,
        port: u16,
        fingerprint: String,
    },
    #[error(
        "HOST KEY CHANGED for {host} port {port}: it differs from the key on line {line} of \
         {path}; someone may be intercepting the connection, or the router was replaced \
         (remove that line only once you have checked the new key)",
        path = path.display()
    )]
    HostKeyChanged {
        host: String,
        port: u16,
        path: PathBuf,
        line: usize,
    },
    #[error("{0}")]
    HostKeyTypeChanged(Box<KeyTypeChange>),
    #[error("known_hosts file {path}: {detail}", path = path.display())]
    KnownHosts { path: PathBuf, detail: String },
    #[error("key exchange failed: {detail}")]
    Kex { detail: String },
    #[error(
        "authentication as {user} rejected; tried: {tried}; the server allows: {allowed}",
        tried = list(tried),
        allowed = list(allowed)
    )]
    AuthRejected {
        user: String,
        tried: Vec<String>,
        allowed: Vec<String>,
    },
    #[error("key file {path}: {detail}", path = path.display())]
    KeyFile { path: PathBuf, detail: String },
    #[error("unknown {kind} algorithm {name:?}; known: {known}")]
    Algorithm {
        kind: &'static str,
        name: String,
        known: String,
    },
    #[error("channel: {0}")]
    Channel(russh::Error),
    #[error("the connection was closed")]
    Closed,
    #[error("ssh: {0}")]
    Protocol(russh::Error),
}

/// A host known under one key type presented another (boxed: it is the largest error).
#[derive(Debug, thiserror::Error)]
#[error(
    "HOST KEY CHANGED for {host} port {port}: line {line} of {path} records a {known} key, \
     the router presented a {presented} key; someone may be intercepting the connection \
     (if the router's keys really changed, check the new key, then remove that line)",
    path = path.display()
)]
pub struct KeyTypeChange {
    pub host: String,
    pub port: u16,
    pub path: PathBuf,
    pub line: usize,
    pub known: String,
    pub presented: String,
}

impl SshError {
    /// Classifies an error russh raised during connect or handshake: a failed algorithm
    /// negotiation carries both sides' lists, which is what the user needs to see.
    pub(crate) fn from_handshake(e: russh::Error) -> SshError {
        match e {
            russh::Error::NoCommonAlgo { .. } | russh::Error::Kex | russh::Error::KexInit => {
                SshError::Kex {
                    detail: e.to_string(),
                }
            }
            russh::Error::Disconnect | russh::Error::HUP => SshError::Closed,
            russh::Error::IO(source) => SshError::Connect {
                addr: String::from("the server"),
                source,
            },
            other => SshError::Protocol(other),
        }
    }
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        String::from("(none)")
    } else {
        items.join(", ")
    }
}
