//! The SSH front end of one simulated router: russh server, password and keyboard-interactive
//! login against the scenario's credentials, a PTY shell or one-shot exec per channel, and a
//! task per shell that forwards the router's log bus while `terminal monitor` is on.
//!
//! Shutdown follows mini-redis: a stop signal is passed in, every task selects on it, and each
//! task holds a clone of a completion sender whose last drop tells the lab all work is done.

use super::cli::{Closed, Input, Shell, Terminal};
use super::model::RouterModel;
use super::router::Router;
use crate::secret::Secret;
use russh::keys::ssh_key::private::Ed25519Keypair;
use russh::keys::{HashAlg, PrivateKey};
use russh::server::{Auth, Handle, Msg, Session};
use russh::{Channel, ChannelId, Disconnect, MethodKind, MethodSet, SshId};
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{broadcast, mpsc, oneshot, watch};

/// What IOS 15 and IOS-XE announce; clients and scripts key quirks off it.
const SERVER_ID: &str = "SSH-2.0-Cisco-1.25";
/// Wrong passwords are answered quickly: the lab is local, and tests try bad ones on purpose.
const AUTH_REJECTION: Duration = Duration::from_millis(100);
/// How long a stopping lab waits for one session to finish its disconnect.
const DISCONNECT_GRACE: Duration = Duration::from_secs(2);
/// The key exchanges IOS-XE 17 offers (`ip ssh server algorithm kex`), best first; no
/// post-quantum hybrid, which no IOS image has. A client would otherwise negotiate ML-KEM with
/// the lab and pay, on both ends, for an exchange no router makes it do.
const IOS_KEX: &[russh::kex::Name] = &[
    russh::kex::CURVE25519,
    russh::kex::ECDH_SHA2_NISTP256,
    russh::kex::ECDH_SHA2_NISTP384,
    russh::kex::ECDH_SHA2_NISTP521,
    russh::kex::DH_G16_SHA512,
    russh::kex::DH_G14_SHA256,
    russh::kex::DH_G14_SHA1,
    russh::kex::EXTENSION_SUPPORT_AS_SERVER,
    russh::kex::EXTENSION_OPENSSH_STRICT_KEX_AS_SERVER,
];

/// The lab's stop signal as each task sees it; fires once and stays fired.
#[derive(Debug, Clone)]
pub struct Shutdown(watch::Receiver<bool>);

impl Shutdown {
    pub fn new(rx: watch::Receiver<bool>) -> Shutdown {
        Shutdown(rx)
    }

    /// Resolves when the lab stops (or whoever could stop it is gone).
    pub async fn recv(&mut self) {
        let _ = self.0.wait_for(|stopped| *stopped).await;
    }
}

/// Held by every task; the lab's `stop` waits until all clones are dropped.
pub type DoneGuard = mpsc::Sender<()>;

/// The router's SSH host key: ed25519 from a hash of scenario and router name, so a lab always
/// presents the same key and a known_hosts file written once stays valid.
pub fn host_key(scenario: &str, router: &str) -> PrivateKey {
    let material = format!("ipsec-doctor lab host key\0{scenario}\0{router}");
    let digest = HashAlg::Sha256.digest(material.as_bytes());
    let mut seed = [0u8; 32];
    for (s, d) in seed.iter_mut().zip(digest) {
        *s = d;
    }
    PrivateKey::from(Ed25519Keypair::from_seed(&seed))
}

/// russh settings for one router.
pub fn config(key: PrivateKey) -> russh::server::Config {
    russh::server::Config {
        server_id: SshId::Standard(Cow::Borrowed(SERVER_ID)),
        methods: MethodSet::from(&[MethodKind::Password, MethodKind::KeyboardInteractive][..]),
        auth_rejection_time: AUTH_REJECTION,
        auth_rejection_time_initial: Some(Duration::ZERO),
        keys: vec![key],
        nodelay: true,
        preferred: russh::Preferred {
            kex: Cow::Borrowed(IOS_KEX),
            ..russh::Preferred::default()
        },
        ..Default::default()
    }
}

/// Accepts connections until shutdown, one task per connection.
pub async fn serve(
    listener: TcpListener,
    router: Arc<Router>,
    model: Arc<dyn RouterModel>,
    config: Arc<russh::server::Config>,
    mut shutdown: Shutdown,
    done: DoneGuard,
) {
    loop {
        tokio::select! {
            _ = shutdown.recv() => break,
            accepted = listener.accept() => match accepted {
                Ok((socket, _peer)) => {
                    // russh sets no-delay only on sockets it accepts itself: without it every
                    // command waits for the peer's delayed ACK (about 40 ms).
                    let _ = socket.set_nodelay(true);
                    let conn = Connection {
                        router: router.clone(),
                        model: model.clone(),
                        shutdown: shutdown.clone(),
                        done: done.clone(),
                        channels: HashMap::new(),
                    };
                    tokio::spawn(connection(socket, config.clone(), conn, shutdown.clone(), done.clone()));
                }
                Err(e) => {
                    // Out of descriptors and the like: pause instead of spinning.
                    tracing::warn!(router = router.name(), "accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
        }
    }
}

async fn connection(
    socket: TcpStream,
    config: Arc<russh::server::Config>,
    handler: Connection,
    mut shutdown: Shutdown,
    _done: DoneGuard,
) {
    let mut cut = handler.router.on_sessions_cut();
    let started = tokio::select! {
        s = russh::server::run_stream(config, socket, handler) => s,
        _ = shutdown.recv() => return,
    };
    let mut session = match started {
        Ok(s) => s,
        Err(e) => {
            tracing::debug!("ssh handshake failed: {e}");
            return;
        }
    };
    let handle = session.handle();
    tokio::select! {
        result = &mut session => {
            if let Err(e) = result {
                tracing::debug!("ssh session ended: {e}");
            }
        }
        _ = shutdown.recv() => {
            // Bounded: a client that stopped reading must not keep the lab from stopping.
            let _ = tokio::time::timeout(DISCONNECT_GRACE, async {
                let _ = handle
                    .disconnect(Disconnect::ByApplication, "lab stopped".into(), "en".into())
                    .await;
                let _ = session.await;
            })
            .await;
        }
        _ = cut.changed() => {
            // The connection ends under the client, as when a router reloads.
            let _ = tokio::time::timeout(DISCONNECT_GRACE, async {
                let _ = handle
                    .disconnect(Disconnect::ByApplication, "reload".into(), "en".into())
                    .await;
                let _ = session.await;
            })
            .await;
        }
    }
}

/// One SSH connection's handler.
struct Connection {
    router: Arc<Router>,
    model: Arc<dyn RouterModel>,
    shutdown: Shutdown,
    done: DoneGuard,
    /// Keystroke feed of each channel running a shell; dropping it ends that shell.
    channels: HashMap<ChannelId, Option<mpsc::UnboundedSender<Vec<u8>>>>,
}

impl Connection {
    fn check(&self, user: &str, password: &str) -> Auth {
        let spec = &self.router.spec;
        if user == spec.username && spec.password == Secret::new(password) {
            self.router.count_login();
            Auth::Accept
        } else {
            Auth::reject()
        }
    }

    /// Starts a shell or exec on `channel`; false if the channel is unknown or already busy.
    fn start(&mut self, channel: ChannelId, handle: Handle, exec: Option<String>) -> bool {
        let Some(slot @ None) = self.channels.get_mut(&channel) else {
            return false;
        };
        let (tx, rx) = mpsc::unbounded_channel();
        *slot = Some(tx);
        let monitor = Arc::new(AtomicBool::new(false));
        let terminal = ChannelTerminal {
            handle: handle.clone(),
            channel,
        };
        let shell = Shell::new(
            self.router.clone(),
            self.model.clone(),
            terminal,
            Input::new(rx),
            monitor.clone(),
        );
        let (ended_tx, ended_rx) = oneshot::channel::<()>();
        let done = self.done.clone();
        match exec {
            Some(line) => {
                tokio::spawn(async move {
                    shell.run_exec(&line).await;
                    drop((ended_tx, done));
                });
            }
            None => {
                let bus = self.router.log.subscribe();
                let shutdown = self.shutdown.clone();
                let monitor_done = self.done.clone();
                tokio::spawn(async move {
                    forward_log(handle, channel, monitor, bus, ended_rx, shutdown).await;
                    drop(monitor_done);
                });
                tokio::spawn(async move {
                    shell.run().await;
                    drop((ended_tx, done));
                });
            }
        }
        true
    }
}

impl russh::server::Handler for Connection {
    type Error = russh::Error;

    async fn auth_password(&mut self, user: &str, password: &str) -> Result<Auth, Self::Error> {
        Ok(self.check(user, password))
    }

    async fn auth_keyboard_interactive<'a>(
        &'a mut self,
        user: &str,
        _submethods: &str,
        response: Option<russh::server::Response<'a>>,
    ) -> Result<Auth, Self::Error> {
        match response {
            None => Ok(Auth::Partial {
                name: Cow::Borrowed(""),
                instructions: Cow::Borrowed(""),
                prompts: Cow::Owned(vec![(Cow::Borrowed("Password: "), false)]),
            }),
            Some(mut answers) => {
                let typed = answers
                    .next()
                    .map(|b| String::from_utf8_lossy(&b).into_owned())
                    .unwrap_or_default();
                Ok(self.check(user, &typed))
            }
        }
    }

    async fn channel_open_session(
        &mut self,
        channel: Channel<Msg>,
        reply: russh::server::ChannelOpenHandle,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        // The Channel object is dropped: input arrives through `data`, and an unread Channel
        // would fill its buffer and stall the connection.
        self.channels.insert(channel.id(), None);
        reply.accept().await;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    async fn pty_request(
        &mut self,
        channel: ChannelId,
        _term: &str,
        _cols: u32,
        _rows: u32,
        _pix_width: u32,
        _pix_height: u32,
        _modes: &[(russh::Pty, u32)],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_success(channel)
    }

    async fn shell_request(
        &mut self,
        channel: ChannelId,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        if self.start(channel, session.handle(), None) {
            session.channel_success(channel)
        } else {
            session.channel_failure(channel)
        }
    }

    async fn exec_request(
        &mut self,
        channel: ChannelId,
        data: &[u8],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        let line = String::from_utf8_lossy(data).into_owned();
        if self.start(channel, session.handle(), Some(line)) {
            session.channel_success(channel)
        } else {
            session.channel_failure(channel)
        }
    }

    async fn data(
        &mut self,
        channel: ChannelId,
        data: &[u8],
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        if let Some(Some(tx)) = self.channels.get(&channel) {
            let _ = tx.send(data.to_vec());
        }
        Ok(())
    }

    async fn channel_eof(
        &mut self,
        channel: ChannelId,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        self.channels.remove(&channel);
        Ok(())
    }

    async fn channel_close(
        &mut self,
        channel: ChannelId,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        self.channels.remove(&channel);
        Ok(())
    }
}

/// Writes to one SSH channel from outside the handler.
struct ChannelTerminal {
    handle: Handle,
    channel: ChannelId,
}

impl Terminal for ChannelTerminal {
    async fn write(&mut self, bytes: Vec<u8>) -> Result<(), Closed> {
        self.handle
            .data(self.channel, bytes)
            .await
            .map_err(|_| Closed)
    }

    async fn close(&mut self, exit_status: Option<u32>) {
        if let Some(status) = exit_status {
            let _ = self.handle.exit_status_request(self.channel, status).await;
        }
        let _ = self.handle.eof(self.channel).await;
        let _ = self.handle.close(self.channel).await;
    }
}

/// Pushes log-bus lines to one shell while its `terminal monitor` is on, until the shell ends,
/// the client goes, or the lab stops.
async fn forward_log(
    handle: Handle,
    channel: ChannelId,
    monitor: Arc<AtomicBool>,
    mut bus: broadcast::Receiver<String>,
    mut shell_ended: oneshot::Receiver<()>,
    mut shutdown: Shutdown,
) {
    loop {
        tokio::select! {
            _ = &mut shell_ended => break,
            _ = shutdown.recv() => break,
            received = bus.recv() => match received {
                Ok(line) => {
                    if monitor.load(Ordering::Relaxed)
                        && handle.data(channel, format!("{line}\r\n").into_bytes()).await.is_err()
                    {
                        break;
                    }
                }
                // A stalled client lost the oldest lines; IOS drops console output too.
                Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => break,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_keys_are_stable_and_distinct() {
        let a = host_key("healthy", "R1").public_key().to_openssh().unwrap();
        let b = host_key("healthy", "R1").public_key().to_openssh().unwrap();
        let c = host_key("healthy", "R2").public_key().to_openssh().unwrap();
        let d = host_key("other", "R1").public_key().to_openssh().unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(a, d);
        assert!(a.starts_with("ssh-ed25519 "), "{a}");
    }
}
