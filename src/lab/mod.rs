//! Simulated Cisco IOS routers reachable over SSH, for practice, demos and tests.
//!
//! - [`scenario`]: which routers run, with which configs, credentials and wire faults.
//! - [`clock`]: the lab clock (speed factor) and IOS timestamp formats.
//! - [`router`]: one router's shared state: debug flags, the log bus and its configuration.
//! - [`running`]: the running-config as lines configuration mode edits, and the startup-config.
//! - [`model`]: the trait the IKE model implements to answer crypto commands and pings.
//! - [`cli`] and [`commands`]: the IOS command line, one file per command.
//! - [`server`]: the russh server in front of each router.
//! - [`fleet`]: many copies of scenarios in one process, one tunnel each, for scale.
//! - [`hub`]: one hub router with a crypto map entry per spoke, and its spokes.
//! - [`traffic`]: users' traffic across the tunnels, so SAs come up and counters move.
//!
//! [`Lab::start`] binds every router of a scenario and returns a [`LabHandle`]; the lab runs
//! until the shutdown future given to `start` resolves or [`LabHandle::stop`] is called, and
//! `stop` returns only when every session has ended.

pub mod cli;
pub mod clock;
pub mod commands;
pub mod fleet;
pub mod hub;
pub mod ike;
pub mod model;
pub mod router;
pub mod running;
pub mod scenario;
pub mod server;
pub mod traffic;

use crate::secret::Secret;
use clock::{ClockError, LabClock};
use model::{ModelFactory, RouterModel};
use router::Router;
use russh::keys::PublicKey;
use scenario::{Scenario, TunnelSpec};
use serde::Serialize;
use server::Shutdown;
use std::collections::BTreeMap;
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;
use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::{mpsc, watch};

/// Pending connections the kernel queues per router; tokio's default of 128 overflowed when a
/// health check opened a few hundred sessions at once (see shared/russh-notes.md, G0).
const LISTEN_BACKLOG: u32 = 1024;

#[derive(Debug, Clone)]
pub struct LabOptions {
    /// Lab seconds per real second: 1.0 for people, 50.0 or so in tests.
    pub speed: f64,
    /// First SSH port; router N (in scenario order) gets `base_port + N`. `None`: free ports.
    /// A router's own `ssh_port` in lab.yaml wins over both.
    pub base_port: Option<u16>,
    pub bind: IpAddr,
    /// Wall time the lab clock starts at; `None` is now.
    pub start_time: Option<SystemTime>,
}

impl Default for LabOptions {
    fn default() -> LabOptions {
        LabOptions {
            speed: 1.0,
            base_port: None,
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            start_time: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LabError {
    #[error(transparent)]
    Clock(#[from] ClockError),
    #[error("router {router}: cannot listen on {addr}: {source}")]
    Bind {
        router: String,
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("router {router}: base port {base} + {index} is past 65535")]
    PortRange {
        router: String,
        base: u16,
        index: usize,
    },
    #[error("building the routers' models: {0:#}")]
    Model(anyhow::Error),
    #[error("the model factory built {got} models for {expected} routers")]
    ModelCount { expected: usize, got: usize },
    #[error("{path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Yaml(#[from] crate::yaml::YamlError),
}

/// How to reach one running router.
#[derive(Debug, Clone)]
pub struct RouterEndpoint {
    pub name: String,
    pub address: IpAddr,
    pub port: u16,
    pub username: String,
    pub password: Secret,
    pub enable_secret: Secret,
    pub host_key: PublicKey,
}

/// Entry point: `Lab::start(...)`.
pub struct Lab;

impl Lab {
    /// Starts every router of `scenario`. The lab stops when `shutdown` resolves (Ctrl-C in the
    /// binary, a test's own future) or on [`LabHandle::stop`].
    pub async fn start(
        scenario: &Scenario,
        options: LabOptions,
        models: &dyn ModelFactory,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<LabHandle, LabError> {
        let clock = LabClock::new(
            options.speed,
            options.start_time.unwrap_or_else(SystemTime::now),
        )?;
        let routers: Vec<Arc<Router>> = scenario
            .routers
            .iter()
            .map(|spec| Arc::new(Router::new(&scenario.name, spec.clone(), clock.clone())))
            .collect();
        let built = models.build(&routers).map_err(LabError::Model)?;
        Lab::serve(
            scenario.name.clone(),
            routers,
            built,
            scenario.tunnels.clone(),
            &options,
            shutdown,
        )
    }

    /// Binds and serves routers that are already built, one model each, in port order. The
    /// host key of each comes from its own scenario and name, so a [`fleet`] of copies of one
    /// scenario still gives every router its own key.
    pub(crate) fn serve(
        name: String,
        routers: Vec<Arc<Router>>,
        models: Vec<Arc<dyn RouterModel>>,
        tunnels: Vec<TunnelSpec>,
        options: &LabOptions,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<LabHandle, LabError> {
        if models.len() != routers.len() {
            return Err(LabError::ModelCount {
                expected: routers.len(),
                got: models.len(),
            });
        }
        let mut listeners = Vec::with_capacity(routers.len());
        for (index, router) in routers.iter().enumerate() {
            let port = port_for(router, index, options.base_port)?;
            listeners.push(listen(router.name(), SocketAddr::new(options.bind, port))?);
        }

        let (stop_tx, stop_rx) = watch::channel(false);
        let (done_tx, done_rx) = mpsc::channel::<()>(1);
        let mut endpoints = Vec::with_capacity(routers.len());
        for ((router, model), listener) in routers.iter().zip(models).zip(listeners) {
            let key = server::host_key(&router.scenario, router.name());
            let port = listener
                .local_addr()
                .map_err(|source| LabError::Bind {
                    router: router.name().to_string(),
                    addr: SocketAddr::new(options.bind, 0),
                    source,
                })?
                .port();
            endpoints.push(RouterEndpoint {
                name: router.name().to_string(),
                address: options.bind,
                port,
                username: router.spec.username.clone(),
                password: router.spec.password.clone(),
                enable_secret: router.spec.enable_secret.clone(),
                host_key: key.public_key().clone(),
            });
            let config = Arc::new(server::config(key));
            tokio::spawn(server::serve(
                listener,
                router.clone(),
                model,
                config,
                Shutdown::new(stop_rx.clone()),
                done_tx.clone(),
            ));
        }
        tokio::spawn(relay_shutdown(shutdown, stop_tx.clone(), stop_rx));
        Ok(LabHandle {
            scenario: name,
            endpoints,
            routers,
            tunnels,
            stop_tx,
            done_rx,
        })
    }
}

fn port_for(router: &Router, index: usize, base: Option<u16>) -> Result<u16, LabError> {
    match (router.spec.ssh_port, base) {
        (Some(port), _) => Ok(port),
        (None, None) => Ok(0),
        (None, Some(base)) => u16::try_from(index)
            .ok()
            .and_then(|i| base.checked_add(i))
            .ok_or_else(|| LabError::PortRange {
                router: router.name().to_string(),
                base,
                index,
            }),
    }
}

fn listen(router: &str, addr: SocketAddr) -> Result<TcpListener, LabError> {
    let bind_error = |source| LabError::Bind {
        router: router.to_string(),
        addr,
        source,
    };
    let socket = match addr {
        SocketAddr::V4(_) => TcpSocket::new_v4(),
        SocketAddr::V6(_) => TcpSocket::new_v6(),
    }
    .map_err(bind_error)?;
    // A lab restarted on fixed ports must not wait out TIME_WAIT.
    socket.set_reuseaddr(true).map_err(bind_error)?;
    // The echo, the output and the prompt leave as separate small writes; with Nagle on, each
    // waits for the client's delayed ACK, about 40 ms per command. russh applies its own
    // `nodelay` only in `run_on_socket`, not to the sockets our accept loop hands to
    // `run_stream`, and Linux gives accepted sockets the listener's TCP_NODELAY.
    socket.set_nodelay(true).map_err(bind_error)?;
    socket.bind(addr).map_err(bind_error)?;
    socket.listen(LISTEN_BACKLOG).map_err(bind_error)
}

/// Turns the caller's shutdown future into the lab's stop signal; ends early on `stop`.
async fn relay_shutdown(
    shutdown: impl Future<Output = ()>,
    stop_tx: watch::Sender<bool>,
    mut stop_rx: watch::Receiver<bool>,
) {
    tokio::select! {
        _ = shutdown => { stop_tx.send_replace(true); }
        _ = stop_rx.wait_for(|stopped| *stopped) => {}
    }
}

/// A running lab.
pub struct LabHandle {
    scenario: String,
    endpoints: Vec<RouterEndpoint>,
    routers: Vec<Arc<Router>>,
    tunnels: Vec<TunnelSpec>,
    stop_tx: watch::Sender<bool>,
    done_rx: mpsc::Receiver<()>,
}

#[derive(Serialize)]
struct Inventory {
    hosts: BTreeMap<String, InventoryHost>,
    tunnels: Vec<InventoryTunnel>,
}

#[derive(Serialize)]
struct InventoryHost {
    hostname: String,
    port: u16,
    username: String,
    password: String,
    platform: &'static str,
    enable_secret: String,
}

#[derive(Serialize)]
struct InventoryTunnel {
    name: String,
    a: String,
    b: String,
}

impl LabHandle {
    pub fn scenario(&self) -> &str {
        &self.scenario
    }

    pub fn routers(&self) -> &[RouterEndpoint] {
        &self.endpoints
    }

    pub fn router(&self, name: &str) -> Option<&RouterEndpoint> {
        self.endpoints.iter().find(|r| r.name == name)
    }

    /// A router's live state (debug flags, log bus, clock), e.g. to publish log lines.
    pub fn router_state(&self, name: &str) -> Option<&Arc<Router>> {
        self.routers.iter().find(|r| r.name() == name)
    }

    pub fn tunnels(&self) -> &[TunnelSpec] {
        &self.tunnels
    }

    /// Turns true when the lab stops: background tasks of the lab's own (traffic) end with it.
    pub(crate) fn stopping(&self) -> watch::Receiver<bool> {
        self.stop_tx.subscribe()
    }

    /// Nornir-style inventory of the running routers, for `ipsec-doctor --inventory`.
    /// It holds the lab's clear-text credentials, so it is written readable by the owner only.
    pub fn inventory_yaml(&self) -> Result<String, LabError> {
        let hosts = self
            .endpoints
            .iter()
            .map(|r| {
                let host = InventoryHost {
                    hostname: r.address.to_string(),
                    port: r.port,
                    username: r.username.clone(),
                    password: r.password.expose().to_string(),
                    platform: "cisco_ios",
                    enable_secret: r.enable_secret.expose().to_string(),
                };
                (r.name.clone(), host)
            })
            .collect();
        let tunnels = self
            .tunnels
            .iter()
            .map(|t| InventoryTunnel {
                name: t.name.clone(),
                a: t.a.clone(),
                b: t.b.clone(),
            })
            .collect();
        Ok(crate::yaml::to_string(&Inventory { hosts, tunnels })?)
    }

    pub fn write_inventory(&self, path: &Path) -> Result<(), LabError> {
        write_private(path, &self.inventory_yaml()?)
    }

    /// `[127.0.0.1]:2201 ssh-ed25519 AAAA…` per router, for strict host-key checking.
    pub fn known_hosts(&self) -> String {
        self.endpoints
            .iter()
            .filter_map(|r| {
                let key = r.host_key.to_openssh().ok()?;
                let host = match r.port {
                    22 => r.address.to_string(),
                    port => format!("[{}]:{port}", r.address),
                };
                Some(format!("{host} {key}\n"))
            })
            .collect()
    }

    pub fn write_known_hosts(&self, path: &Path) -> Result<(), LabError> {
        std::fs::write(path, self.known_hosts()).map_err(|source| LabError::Write {
            path: path.to_path_buf(),
            source,
        })
    }

    /// Stops accepting, disconnects every session and returns when all have ended.
    pub async fn stop(self) {
        self.stop_tx.send_replace(true);
        self.wait().await;
    }

    /// Waits until the lab has stopped (its shutdown future fired) and every session ended.
    pub async fn wait(mut self) {
        // Every task holds a sender clone; recv yields None once the last one is dropped.
        while self.done_rx.recv().await.is_some() {}
    }
}

pub(crate) fn write_private(path: &Path, text: &str) -> Result<(), LabError> {
    let err = |source| LabError::Write {
        path: path.to_path_buf(),
        source,
    };
    std::fs::write(path, text).map_err(err)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(err)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lab::cli::tests::Recorder;
    use crate::lab::model::RouterModel;

    struct Count(usize);

    impl ModelFactory for Count {
        fn build(&self, _routers: &[Arc<Router>]) -> anyhow::Result<Vec<Arc<dyn RouterModel>>> {
            Ok((0..self.0)
                .map(|_| Arc::new(Recorder::default()) as Arc<dyn RouterModel>)
                .collect())
        }
    }

    fn healthy() -> Scenario {
        Scenario::embedded("healthy").unwrap()
    }

    #[tokio::test]
    async fn a_factory_must_build_one_model_per_router() {
        let err = Lab::start(
            &healthy(),
            LabOptions::default(),
            &Count(1),
            std::future::pending(),
        )
        .await
        .err()
        .unwrap();
        assert!(
            matches!(
                err,
                LabError::ModelCount {
                    expected: 2,
                    got: 1
                }
            ),
            "{err}"
        );
    }

    #[tokio::test]
    async fn a_taken_port_names_the_router() {
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = taken.local_addr().unwrap().port();
        let options = LabOptions {
            base_port: Some(port),
            ..LabOptions::default()
        };
        let err = Lab::start(&healthy(), options, &Count(2), std::future::pending())
            .await
            .err()
            .unwrap();
        assert!(
            err.to_string()
                .starts_with("router R1: cannot listen on 127.0.0.1:"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn base_port_numbers_routers_in_order_and_stop_is_prompt() {
        // Blocks below the ephemeral range (32768 and up), where other processes' outgoing
        // connections and port-0 listeners land; one another process holds is skipped.
        let seed = u64::from(std::process::id())
            ^ std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as u64);
        let mut started = None;
        for attempt in 0..10u64 {
            let base = 10_000 + (seed.wrapping_add(attempt * 1_999) % 20_000) as u16;
            let options = LabOptions {
                base_port: Some(base),
                speed: 50.0,
                ..LabOptions::default()
            };
            if let Ok(lab) =
                Lab::start(&healthy(), options, &Count(2), std::future::pending()).await
            {
                started = Some((lab, base));
                break;
            }
        }
        let (lab, base) = started.expect("two free ports below the ephemeral range");
        let ports: Vec<u16> = lab.routers().iter().map(|r| r.port).collect();
        assert_eq!(ports, vec![base, base + 1]);
        assert!(
            lab.inventory_yaml()
                .unwrap()
                .contains("platform: cisco_ios")
        );
        tokio::time::timeout(std::time::Duration::from_secs(2), lab.stop())
            .await
            .unwrap();
    }
}
