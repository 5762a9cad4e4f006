//! The lab's routers over real SSH: logged into with russh (password and keyboard-interactive)
//! and with the OpenSSH client, driven the way the agent drives a real router.

use ipsec_doctor::lab::model::{
    BoxFuture, CryptoClear, CryptoShow, ModelFactory, NetShow, PingRequest, PingSink, RouterModel,
};
use ipsec_doctor::lab::router::{DebugKind, Router};
use ipsec_doctor::lab::scenario::Scenario;
use ipsec_doctor::lab::{Lab, LabHandle, LabOptions, RouterEndpoint};
use russh::client::{self, AuthResult, KeyboardInteractiveAuthResponse};
use russh::keys::{PublicKey, PublicKeyOrCertificate};
use russh::{ChannelMsg, Disconnect};
use std::sync::Arc;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(5);

/// A router on which IKE never ran: the crypto commands answer with empty tables.
struct NoSas;

impl RouterModel for NoSas {
    fn show_crypto(&self, _query: &CryptoShow) -> Vec<String> {
        [
            "IPv4 Crypto ISAKMP SA",
            "dst             src             state          conn-id status",
            "",
            "IPv6 Crypto ISAKMP SA",
            "",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    }
    fn show_net(&self, _query: &NetShow) -> Vec<String> {
        Vec::new()
    }
    fn clear_crypto(&self, _what: &CryptoClear) -> Vec<String> {
        Vec::new()
    }
    fn ping(&self, _request: PingRequest, _out: PingSink) -> BoxFuture<'static, ()> {
        Box::pin(async {})
    }
}

struct NoSasFactory;

impl ModelFactory for NoSasFactory {
    fn build(&self, routers: &[Arc<Router>]) -> anyhow::Result<Vec<Arc<dyn RouterModel>>> {
        Ok(routers
            .iter()
            .map(|_| Arc::new(NoSas) as Arc<dyn RouterModel>)
            .collect())
    }
}

async fn start_lab(shutdown: impl std::future::Future<Output = ()> + Send + 'static) -> LabHandle {
    let scenario = Scenario::embedded("healthy").unwrap();
    let options = LabOptions {
        speed: 50.0,
        ..LabOptions::default()
    };
    Lab::start(&scenario, options, &NoSasFactory, shutdown)
        .await
        .unwrap()
}

/// Accepts only the host key the lab says the router has.
pub(crate) struct Pinned(pub(crate) PublicKey);

impl client::Handler for Pinned {
    type Error = anyhow::Error;
    async fn check_server_key(&mut self, key: &PublicKeyOrCertificate) -> anyhow::Result<bool> {
        Ok(matches!(key, PublicKeyOrCertificate::PublicKey { key, .. } if *key == self.0))
    }
}

pub(crate) async fn connect(ep: &RouterEndpoint) -> client::Handle<Pinned> {
    let config = Arc::new(client::Config::default());
    client::connect(config, (ep.address, ep.port), Pinned(ep.host_key.clone()))
        .await
        .unwrap()
}

pub(crate) async fn login_password(ep: &RouterEndpoint) -> client::Handle<Pinned> {
    let mut h = connect(ep).await;
    let result = h
        .authenticate_password(&ep.username, ep.password.expose())
        .await
        .unwrap();
    assert!(result.success(), "password login refused");
    h
}

struct Cli {
    channel: russh::Channel<client::Msg>,
    buf: String,
    prompt: String,
}

impl Cli {
    async fn open(h: &client::Handle<Pinned>, router: &str) -> Cli {
        let channel = h.channel_open_session().await.unwrap();
        channel
            .request_pty(false, "vt100", 80, 24, 0, 0, &[])
            .await
            .unwrap();
        channel.request_shell(false).await.unwrap();
        let mut cli = Cli {
            channel,
            buf: String::new(),
            prompt: format!("{router}>"),
        };
        let greeting = cli.until_prompt().await;
        assert!(greeting.ends_with(&format!("{router}>")), "{greeting:?}");
        cli
    }

    async fn send(&self, text: &str) {
        self.channel
            .data_bytes(text.as_bytes().to_vec())
            .await
            .unwrap();
    }

    async fn read_more(&mut self) -> bool {
        loop {
            match tokio::time::timeout(WAIT, self.channel.wait()).await {
                Ok(Some(ChannelMsg::Data { data })) => {
                    self.buf.push_str(&String::from_utf8_lossy(&data));
                    return true;
                }
                Ok(Some(ChannelMsg::Eof | ChannelMsg::Close)) | Ok(None) => return false,
                Ok(Some(_)) => {}
                Err(_) => panic!("no output within {WAIT:?}; have {:?}", self.buf),
            }
        }
    }

    async fn until(&mut self, needle: &str) -> String {
        loop {
            if let Some(i) = self.buf.find(needle) {
                let rest = self.buf.split_off(i + needle.len());
                return std::mem::replace(&mut self.buf, rest);
            }
            assert!(
                self.read_more().await,
                "session closed waiting for {needle:?}: {:?}",
                self.buf
            );
        }
    }

    async fn until_prompt(&mut self) -> String {
        let host = self.prompt.trim_end_matches(['>', '#']).to_string();
        loop {
            if self.buf.ends_with(&format!("{host}>")) || self.buf.ends_with(&format!("{host}#")) {
                return std::mem::take(&mut self.buf);
            }
            assert!(
                self.read_more().await,
                "session closed waiting for a prompt: {:?}",
                self.buf
            );
        }
    }

    /// Runs a command; returns its output (after the echo) including the next prompt.
    async fn cmd(&mut self, line: &str) -> String {
        self.send(&format!("{line}\r")).await;
        let all = self.until_prompt().await;
        let echo = format!("{line}\r\n");
        assert!(all.starts_with(&echo), "{all:?}");
        all[echo.len()..].to_string()
    }

    async fn enable(&mut self, secret: &str) {
        self.send("enable\r").await;
        self.until("Password: ").await;
        self.send(&format!("{secret}\r")).await;
        assert!(self.until_prompt().await.ends_with('#'));
    }
}

fn r1(lab: &LabHandle) -> RouterEndpoint {
    lab.router("R1").unwrap().clone()
}

#[tokio::test]
async fn password_login_enable_and_show_version() {
    let lab = start_lab(std::future::pending()).await;
    let ep = r1(&lab);
    let h = login_password(&ep).await;
    let mut cli = Cli::open(&h, "R1").await;
    assert_eq!(cli.cmd("terminal length 0").await, "R1>");
    cli.enable(ep.enable_secret.expose()).await;
    let version = cli.cmd("show version").await;
    assert!(
        version.starts_with("Cisco IOS Software, 7200 Software"),
        "{version:?}"
    );
    // Lab time runs 50x here, so the uptime may already count a minute or two.
    let uptime = regex::Regex::new(r"\r\nR1 uptime is \d+ minutes?\r\n").unwrap();
    assert!(uptime.is_match(&version), "{version:?}");
    assert!(version.contains("Cisco 7206VXR (NPE400) processor"));
    assert!(version.ends_with("Configuration register is 0x2102\r\nR1#"));

    // The IOS-XE router answers with its own banner.
    let ep2 = lab.router("R2").unwrap().clone();
    let h2 = login_password(&ep2).await;
    let mut cli2 = Cli::open(&h2, "R2").await;
    cli2.cmd("term len 0").await;
    let xe = cli2.cmd("sh ver | inc ^Cisco IOS|processor").await;
    assert!(
        xe.starts_with("Cisco IOS XE Software, Version 16.09.04\r\n"),
        "{xe:?}"
    );
    assert!(xe.contains("cisco ISR4331/K9 (1RU) processor"), "{xe:?}");

    h.disconnect(Disconnect::ByApplication, "", "en")
        .await
        .unwrap();
    lab.stop().await;
}

#[tokio::test]
async fn keyboard_interactive_login_and_bad_password() {
    let lab = start_lab(std::future::pending()).await;
    let ep = r1(&lab);

    let mut h = connect(&ep).await;
    let mut reply = h
        .authenticate_keyboard_interactive_start(&ep.username, None)
        .await
        .unwrap();
    let ok = loop {
        match reply {
            KeyboardInteractiveAuthResponse::Success => break true,
            KeyboardInteractiveAuthResponse::Failure { .. } => break false,
            KeyboardInteractiveAuthResponse::InfoRequest { prompts, .. } => {
                assert_eq!(prompts.len(), 1);
                assert_eq!(prompts[0].prompt, "Password: ");
                assert!(!prompts[0].echo);
                let answer = vec![ep.password.expose().to_string()];
                reply = h
                    .authenticate_keyboard_interactive_respond(answer)
                    .await
                    .unwrap();
            }
        }
    };
    assert!(ok, "keyboard-interactive login refused");
    let mut cli = Cli::open(&h, "R1").await;
    assert!(cli.cmd("show clock").await.starts_with('*'));

    let mut bad = connect(&ep).await;
    let result = bad
        .authenticate_password(&ep.username, "not-the-password")
        .await
        .unwrap();
    assert!(matches!(result, AuthResult::Failure { .. }));
    let result = bad
        .authenticate_password("root", ep.password.expose())
        .await
        .unwrap();
    assert!(!result.success());
    lab.stop().await;
}

#[tokio::test]
async fn pager_filters_and_invalid_input_over_ssh() {
    let lab = start_lab(std::future::pending()).await;
    let ep = r1(&lab);
    let h = login_password(&ep).await;
    let mut cli = Cli::open(&h, "R1").await;
    cli.enable(ep.enable_secret.expose()).await;

    // Default length 24: 23 lines, then the marker; space shows the next screen; q stops.
    cli.send("show running-config\r").await;
    let first = cli.until(" --More-- ").await;
    assert!(
        first.starts_with("show running-config\r\nBuilding configuration...\r\n"),
        "{first:?}"
    );
    assert_eq!(first.matches("\r\n").count(), 24);
    cli.send(" ").await;
    let second = cli.until(" --More-- ").await;
    assert_eq!(second.matches("\r\n").count(), 23);
    cli.send("q").await;
    assert!(cli.until_prompt().await.ends_with("R1#"));

    cli.cmd("terminal length 0").await;
    assert_eq!(
        cli.cmd("show running-config | include ^crypto isakmp key")
            .await,
        "crypto isakmp key Vpn-Key-2026 address 203.0.113.2\r\nR1#"
    );
    let section = cli
        .cmd("show run | sec ^interface GigabitEthernet0/0")
        .await;
    assert!(
        section.starts_with("interface GigabitEthernet0/0\r\n ip address 203.0.113.1"),
        "{section:?}"
    );
    assert!(section.contains(" crypto map VPN\r\n"));

    // "R1#" is 3 wide; in "show verzion" the caret goes under the 'z' (column 8).
    let bad = cli.cmd("show verzion").await;
    assert_eq!(
        bad,
        format!(
            "{}^\r\n% Invalid input detected at '^' marker.\r\n\r\nR1#",
            " ".repeat(11)
        )
    );
    assert_eq!(
        cli.cmd("sh c").await,
        "% Ambiguous command:  \"sh c\"\r\nR1#"
    );
    assert_eq!(
        cli.cmd("show crypto").await,
        "% Incomplete command.\r\n\r\nR1#"
    );
    assert!(
        cli.cmd("show crypto isakmp sa")
            .await
            .starts_with("IPv4 Crypto ISAKMP SA\r\n")
    );
    lab.stop().await;
}

#[tokio::test]
async fn debug_show_debug_undebug() {
    let lab = start_lab(std::future::pending()).await;
    let ep = r1(&lab);
    let h = login_password(&ep).await;
    let mut cli = Cli::open(&h, "R1").await;
    cli.enable(ep.enable_secret.expose()).await;
    assert_eq!(
        cli.cmd("debug crypto isakmp").await,
        "Crypto ISAKMP debugging is on\r\nR1#"
    );
    assert_eq!(
        cli.cmd("show debug").await,
        "Cryptographic Subsystem:\r\n  Crypto ISAKMP debugging is on\r\nR1#"
    );
    // The flags are router state the IKE model reads.
    let state = lab.router_state("R1").unwrap();
    assert!(state.debug.get().is(DebugKind::CryptoIsakmp));
    assert_eq!(
        cli.cmd("undebug all").await,
        "All possible debugging has been turned off\r\nR1#"
    );
    assert_eq!(cli.cmd("show debug").await, "R1#");
    assert!(state.debug.get().is_quiet());
    lab.stop().await;
}

#[tokio::test]
async fn terminal_monitor_receives_log_bus_lines() {
    let lab = start_lab(std::future::pending()).await;
    let ep = r1(&lab);
    let h = login_password(&ep).await;
    let mut cli = Cli::open(&h, "R1").await;
    cli.enable(ep.enable_secret.expose()).await;
    let state = lab.router_state("R1").unwrap().clone();

    // Not monitoring: nothing arrives.
    state.log_stamped("%CRYPTO-6-ISAKMP_ON_OFF: ISAKMP is OFF");
    assert!(!cli.cmd("show clock").await.contains("ISAKMP"));

    cli.cmd("terminal monitor").await;
    cli.cmd("debug crypto isakmp").await;
    assert!(state.debug_line(
        DebugKind::CryptoIsakmp,
        Some("203.0.113.2".parse().unwrap()),
        "ISAKMP:(0): beginning Main Mode exchange"
    ));
    let line = cli.until("beginning Main Mode exchange\r\n").await;
    let re = regex::Regex::new(r"\*[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d\.\d{3}: ISAKMP:\(0\): beginning Main Mode exchange\r\n$").unwrap();
    assert!(re.is_match(&line), "{line:?}");

    cli.cmd("terminal no monitor").await;
    state.log_stamped("%CRYPTO-6-ISAKMP_ON_OFF: ISAKMP is ON");
    assert!(!cli.cmd("show clock").await.contains("ISAKMP"));
    cli.cmd("undebug all").await;
    lab.stop().await;
}

#[tokio::test]
async fn host_keys_are_stable_and_files_describe_the_lab() {
    let dir = tempfile::tempdir().unwrap();
    let first = start_lab(std::future::pending()).await;
    let keys: Vec<PublicKey> = first.routers().iter().map(|r| r.host_key.clone()).collect();
    first.stop().await;

    let lab = start_lab(std::future::pending()).await;
    let again: Vec<PublicKey> = lab.routers().iter().map(|r| r.host_key.clone()).collect();
    assert_eq!(keys, again);
    assert_ne!(keys[0], keys[1]);

    let known = dir.path().join("known_hosts");
    lab.write_known_hosts(&known).unwrap();
    let text = std::fs::read_to_string(&known).unwrap();
    for ep in lab.routers() {
        assert!(
            text.contains(&format!("[127.0.0.1]:{} ssh-ed25519 AAAA", ep.port)),
            "{text}"
        );
        assert!(
            russh::keys::check_known_hosts_path("127.0.0.1", ep.port, &ep.host_key, &known)
                .unwrap()
        );
    }

    let inventory = dir.path().join("inventory.yaml");
    lab.write_inventory(&inventory).unwrap();
    let yaml: serde_yaml::Value =
        serde_yaml::from_str(&std::fs::read_to_string(&inventory).unwrap()).unwrap();
    let r1 = &yaml["hosts"]["R1"];
    assert_eq!(r1["hostname"].as_str(), Some("127.0.0.1"));
    assert_eq!(
        r1["port"].as_u64(),
        Some(u64::from(lab.router("R1").unwrap().port))
    );
    assert_eq!(r1["username"].as_str(), Some("admin"));
    assert_eq!(r1["password"].as_str(), Some("labpass1"));
    assert_eq!(r1["platform"].as_str(), Some("cisco_ios"));
    assert_eq!(r1["enable_secret"].as_str(), Some("labenable1"));
    // Written once, where the inventory loader reads it: no second copy of the secret.
    assert!(r1.get("data").is_none());
    assert_eq!(yaml["tunnels"][0]["a"].as_str(), Some("R1"));
    assert_eq!(yaml["tunnels"][0]["b"].as_str(), Some("R2"));
    lab.stop().await;
}

#[tokio::test]
async fn shutdown_future_ends_sessions_and_wait_returns() {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let lab = start_lab(async move {
        let _ = stopped.await;
    })
    .await;
    let ep = r1(&lab);
    let h = login_password(&ep).await;
    let mut cli = Cli::open(&h, "R1").await;
    stop.send(()).unwrap();
    tokio::time::timeout(WAIT, lab.wait())
        .await
        .expect("lab did not stop");
    // The client sees its session go.
    while cli.read_more().await {}
    // Nothing listens any more.
    assert!(
        tokio::net::TcpStream::connect((ep.address, ep.port))
            .await
            .is_err()
    );
}

#[tokio::test]
async fn openssh_client_runs_show_clock() {
    let lab = start_lab(std::future::pending()).await;
    let ep = r1(&lab);
    let dir = tempfile::tempdir().unwrap();
    let known = dir.path().join("known_hosts");
    lab.write_known_hosts(&known).unwrap();
    let output = tokio::time::timeout(
        Duration::from_secs(20),
        tokio::process::Command::new("sshpass")
            .arg("-p")
            .arg(ep.password.expose())
            .args(["ssh", "-tt", "-F", "/dev/null"])
            .args(["-o", "StrictHostKeyChecking=yes"])
            .arg("-o")
            .arg(format!("UserKnownHostsFile={}", known.display()))
            .args([
                "-o",
                "PubkeyAuthentication=no",
                "-o",
                "PreferredAuthentications=password,keyboard-interactive",
            ])
            .args(["-o", "ConnectTimeout=5", "-o", "LogLevel=ERROR"])
            .arg("-p")
            .arg(ep.port.to_string())
            .arg(format!("{}@{}", ep.username, ep.address))
            .arg("show clock")
            .stdin(std::process::Stdio::null())
            .output(),
    )
    .await
    .expect("ssh did not finish")
    .expect("sshpass and ssh must be installed (apt-get install -y sshpass openssh-client)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let re = regex::Regex::new(r"^\*\d\d:\d\d:\d\d\.\d{3} UTC (Mon|Tue|Wed|Thu|Fri|Sat|Sun) [A-Z][a-z]{2} +\d{1,2} \d{4}\r?\n$").unwrap();
    assert!(re.is_match(&stdout), "stdout {stdout:?} stderr {stderr:?}");
    assert!(output.status.success(), "{:?} {stderr}", output.status);
    lab.stop().await;
}
