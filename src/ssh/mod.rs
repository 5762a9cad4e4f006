//! SSH transport (russh client): TCP and handshake with timeouts, host keys checked against
//! known_hosts, the authentication chain, per-host legacy algorithms, and a PTY shell exposed
//! as byte queues. Nothing here knows about IOS; the device layer reads the bytes.
//!
//! - [`algorithms`]: what we offer (defaults, legacy preset, explicit lists).
//! - [`host_key`]: the known_hosts policy.
//! - [`auth`]: public key, agent, password, keyboard-interactive.
//! - [`shell`]: the PTY shell's reader and writer tasks.
//! - [`error`]: one typed error per thing the user must fix.

pub mod algorithms;
pub mod auth;
pub mod error;
pub mod host_key;
pub mod shell;

pub use algorithms::Algorithms;
pub use auth::{Credentials, RsaHash};
pub use error::{KeyTypeChange, SshError, Stage};
pub use host_key::HostKeyPolicy;
pub use shell::ShellIo;

use russh::client;
use russh::keys::PublicKeyOrCertificate;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpStream;

/// IOS's own SSH timeout is 120 s; a healthy box answers in well under a second, so ten
/// seconds per stage tells a dead one apart without waiting long.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Keepalives let a silent, half-dead TCP connection be noticed during a long debug window.
const KEEPALIVE: Duration = Duration::from_secs(30);

/// One router to log into.
#[derive(Debug, Clone)]
pub struct SshTarget {
    pub host: String,
    pub port: u16,
    pub credentials: Credentials,
    pub algorithms: Algorithms,
    /// Applies to each stage (TCP, handshake, authentication, shell) on its own.
    pub connect_timeout: Duration,
}

impl SshTarget {
    pub fn new(host: impl Into<String>, port: u16, credentials: Credentials) -> SshTarget {
        SshTarget {
            host: host.into(),
            port,
            credentials,
            algorithms: Algorithms::default(),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
        }
    }
}

/// An authenticated SSH connection. Dropping it closes the connection.
pub struct SshSession {
    handle: client::Handle<Client>,
    timeout: Duration,
}

impl std::fmt::Debug for SshSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SshSession")
            .field("closed", &self.handle.is_closed())
            .finish()
    }
}

/// Connects, checks the host key, authenticates.
pub async fn connect(target: &SshTarget, policy: &HostKeyPolicy) -> Result<SshSession, SshError> {
    let mut preferred = target.algorithms.preferred()?;
    let mut keys = preferred.key.to_vec();
    host_key::prefer_known(&mut keys, &target.host, target.port, policy);
    preferred.key = keys.into();
    let config = Arc::new(client::Config {
        preferred,
        // IOS with a 2048-bit modulus is the floor russh accepts (russh-notes G2), and a
        // 2048-bit preference keeps group exchange fast.
        gex: client::GexParams::new(2048, 2048, 8192).map_err(SshError::Protocol)?,
        keepalive_interval: Some(KEEPALIVE),
        nodelay: true,
        ..Default::default()
    });
    let addr = format!("{}:{}", target.host, target.port);
    let limit = target.connect_timeout;
    let socket = within(
        limit,
        Stage::Connect,
        TcpStream::connect((target.host.as_str(), target.port)),
    )
    .await?
    .map_err(|source| SshError::Connect {
        addr: addr.clone(),
        source,
    })?;
    let _ = socket.set_nodelay(true);
    let client = Client {
        host: target.host.clone(),
        port: target.port,
        policy: policy.clone(),
    };
    let mut handle = within(
        limit,
        Stage::Handshake,
        client::connect_stream(config, socket, client),
    )
    .await?
    .map_err(|e| match e {
        ClientError::HostKey(e) => e,
        ClientError::Ssh(e) => SshError::from_handshake(e),
    })?;
    within(
        limit,
        Stage::Auth,
        auth::authenticate(&mut handle, &target.credentials),
    )
    .await??;
    Ok(SshSession {
        handle,
        timeout: limit,
    })
}

impl SshSession {
    /// Opens a session channel with a PTY and a shell, as an interactive login does.
    pub async fn open_shell(&self) -> Result<ShellIo, SshError> {
        within(self.timeout, Stage::Channel, async {
            let channel = self
                .handle
                .channel_open_session()
                .await
                .map_err(SshError::Channel)?;
            // Wide lines so IOS does not wrap long output; the length is set with
            // `terminal length 0` by the device layer anyway.
            channel
                .request_pty(true, "vt100", 511, 24, 0, 0, &[])
                .await
                .map_err(SshError::Channel)?;
            channel
                .request_shell(true)
                .await
                .map_err(SshError::Channel)?;
            Ok(shell::spawn(channel))
        })
        .await?
    }

    pub fn is_closed(&self) -> bool {
        self.handle.is_closed()
    }

    /// Says goodbye to the server; the connection ends even if it does not answer.
    pub async fn disconnect(&self) {
        let _ = self
            .handle
            .disconnect(russh::Disconnect::ByApplication, "", "en")
            .await;
    }
}

async fn within<T>(
    limit: Duration,
    stage: Stage,
    f: impl Future<Output = T>,
) -> Result<T, SshError> {
    tokio::time::timeout(limit, f)
        .await
        .map_err(|_| SshError::Timeout { stage })
}

/// russh's handler: only the host key check is ours.
struct Client {
    host: String,
    port: u16,
    policy: HostKeyPolicy,
}

#[derive(Debug)]
enum ClientError {
    HostKey(SshError),
    Ssh(russh::Error),
}

impl From<russh::Error> for ClientError {
    fn from(e: russh::Error) -> ClientError {
        ClientError::Ssh(e)
    }
}

impl client::Handler for Client {
    type Error = ClientError;

    async fn check_server_key(
        &mut self,
        key: &PublicKeyOrCertificate,
    ) -> Result<bool, ClientError> {
        match key {
            PublicKeyOrCertificate::PublicKey { key, .. } => {
                host_key::verify(&self.host, self.port, key, &self.policy)
                    .map(|()| true)
                    .map_err(ClientError::HostKey)
            }
            // IOS never presents certificates, and known_hosts has no CA matching in russh.
            PublicKeyOrCertificate::Certificate(_) => Err(ClientError::HostKey(SshError::Kex {
                detail: String::from("the server presented a host certificate; not supported"),
            })),
        }
    }
}
