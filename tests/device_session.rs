//! The SSH transport and the IOS session against the lab's routers over real SSH: logins,
//! host keys, enable, output framing, pager, unsolicited lines, refusals, hangs, lost links.

use crate::util::quiet_lab;
use ipsec_doctor::device::{DeviceError, IosSession, Mode, SessionOptions, UnsolicitedLine};
use ipsec_doctor::inventory::Inventory;
use ipsec_doctor::lab::LabHandle;
use ipsec_doctor::secret::Secret;
use ipsec_doctor::ssh::{self, Credentials, HostKeyPolicy, SshError, SshTarget};
use std::borrow::Cow;
use std::path::Path;
use std::time::Duration;
use tokio::sync::mpsc;

const T: Duration = Duration::from_secs(5);

fn target(lab: &LabHandle, router: &str) -> SshTarget {
    let ep = lab.router(router).unwrap();
    SshTarget::new(
        ep.address.to_string(),
        ep.port,
        Credentials {
            username: ep.username.clone(),
            password: Some(ep.password.clone()),
            ..Credentials::default()
        },
    )
}

fn known(lab: &LabHandle, dir: &Path) -> HostKeyPolicy {
    let path = dir.join("known_hosts");
    lab.write_known_hosts(&path).unwrap();
    HostKeyPolicy::strict(path)
}

fn privileged(lab: &LabHandle, router: &str, monitor: bool) -> SessionOptions {
    SessionOptions {
        enable_secret: Some(lab.router(router).unwrap().enable_secret.clone()),
        monitor,
        setup_timeout: T,
    }
}

async fn open(
    lab: &LabHandle,
    policy: &HostKeyPolicy,
    monitor: bool,
) -> (IosSession, mpsc::UnboundedReceiver<UnsolicitedLine>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let s = IosSession::connect(
        "R1",
        &target(lab, "R1"),
        policy,
        privileged(lab, "R1", monitor),
        tx,
    )
    .await
    .unwrap();
    (s, rx)
}

#[tokio::test]
async fn device_password_login_enable_and_show_version() {
    let (lab, _release) = quiet_lab::start().await;
    let dir = tempfile::tempdir().unwrap();
    let (mut s, _rx) = open(&lab, &known(&lab, dir.path()), false).await;
    assert_eq!(s.prompt().mode, Mode::Privileged);
    assert_eq!(s.prompt().text, "R1#");
    let out = s.run("show version", T).await.unwrap();
    assert!(
        out.lines[0].starts_with("Cisco IOS Software, 7200 Software"),
        "{:?}",
        out.lines
    );
    assert_eq!(
        out.lines.last().unwrap(),
        "Configuration register is 0x2102"
    );
    assert!(
        out.lines
            .iter()
            .all(|l| !l.contains("show version") && !l.contains("R1#"))
    );
    assert_eq!(out.prompt, "R1#");
    s.close().await.unwrap();
    lab.stop().await;
}

#[tokio::test]
async fn device_session_from_the_labs_inventory() {
    let (lab, _release) = quiet_lab::start().await;
    let dir = tempfile::tempdir().unwrap();
    let policy = known(&lab, dir.path());
    let path = dir.path().join("inventory.yaml");
    lab.write_inventory(&path).unwrap();
    let inv = Inventory::load(&path).unwrap();
    let host = inv.host("R2").unwrap();
    let (tx, _rx) = mpsc::unbounded_channel();
    let mut s = IosSession::connect(
        "R2",
        &host.ssh_target(),
        &policy,
        host.session_options(false),
        tx,
    )
    .await
    .unwrap();
    assert_eq!(s.prompt().text, "R2#");
    let out = s.run("show clock", T).await.unwrap();
    assert_eq!(out.lines.len(), 1, "{:?}", out.lines);
    lab.stop().await;
}

#[tokio::test]
async fn device_wrong_password_is_auth_rejected() {
    let (lab, _release) = quiet_lab::start().await;
    let dir = tempfile::tempdir().unwrap();
    let mut t = target(&lab, "R1");
    t.credentials.password = Some(Secret::new("not-the-password"));
    let err = ssh::connect(&t, &known(&lab, dir.path()))
        .await
        .unwrap_err();
    match &err {
        SshError::AuthRejected {
            user,
            tried,
            allowed,
        } => {
            assert_eq!(user, "admin");
            assert_eq!(tried, &["password", "keyboard-interactive"]);
            // russh servers drop a method from the list once it failed; what is left is
            // what the server still allows.
            assert_eq!(allowed, &["keyboard-interactive"]);
        }
        other => panic!("{other}"),
    }
    let text = err.to_string();
    assert!(
        text.contains("tried: password, keyboard-interactive"),
        "{text}"
    );
    assert!(!text.contains("not-the-password"));
    lab.stop().await;
}

#[tokio::test]
async fn device_host_keys_strict_accept_new_and_changed() {
    let (lab, _release) = quiet_lab::start().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("known_hosts");
    let t = target(&lab, "R1");

    let err = ssh::connect(&t, &HostKeyPolicy::strict(&path))
        .await
        .unwrap_err();
    assert!(
        matches!(err, SshError::HostKeyUnknown { port, .. } if port == t.port),
        "{err}"
    );
    assert!(!path.exists());

    let session = ssh::connect(&t, &HostKeyPolicy::accept_new(&path))
        .await
        .unwrap();
    session.disconnect().await;
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.contains(&format!("[127.0.0.1]:{} ssh-ed25519 AAAA", t.port)),
        "{text}"
    );
    ssh::connect(&t, &HostKeyPolicy::strict(&path))
        .await
        .unwrap();

    // R2's key recorded for R1's address: a changed key, even with accept-new.
    let r2_key = lab.router("R2").unwrap().host_key.to_openssh().unwrap();
    std::fs::write(
        &path,
        format!("# lab routers\n[127.0.0.1]:{} {r2_key}\n", t.port),
    )
    .unwrap();
    let err = ssh::connect(&t, &HostKeyPolicy::accept_new(&path))
        .await
        .unwrap_err();
    match &err {
        SshError::HostKeyChanged { line, port, .. } => assert_eq!((*line, *port), (2, t.port)),
        other => panic!("{other}"),
    }
    assert!(err.to_string().contains("line 2 of"), "{err}");
    lab.stop().await;
}

#[tokio::test]
async fn device_pager_is_answered_when_paging_is_on() {
    let (lab, _release) = quiet_lab::start().await;
    let dir = tempfile::tempdir().unwrap();
    let (mut s, _rx) = open(&lab, &known(&lab, dir.path()), false).await;
    let whole = s.run("show running-config", T).await.unwrap();
    s.run("terminal length 24", T).await.unwrap();
    let paged = s.run("show running-config", T).await.unwrap();
    assert!(whole.lines.len() > 30, "{}", whole.lines.len());
    assert_eq!(paged.lines, whole.lines);
    assert!(paged.lines.iter().all(|l| !l.contains("--More--")));
    lab.stop().await;
}

#[tokio::test]
async fn device_unsolicited_lines_never_land_in_output() {
    let (lab, _release) = quiet_lab::start().await;
    let dir = tempfile::tempdir().unwrap();
    let (mut s, mut rx) = open(&lab, &known(&lab, dir.path()), true).await;
    let baseline = s.run("show running-config", T).await.unwrap();
    let state = lab.router_state("R1").unwrap().clone();

    // Idle: a line arrives on the channel with nothing running.
    state.log_stamped("%CRYPTO-6-ISAKMP_ON_OFF: ISAKMP is OFF");
    let first = tokio::time::timeout(T, rx.recv()).await.unwrap().unwrap();
    assert!(
        first
            .text
            .ends_with("%CRYPTO-6-ISAKMP_ON_OFF: ISAKMP is OFF"),
        "{first:?}"
    );
    assert_eq!(first.device, "R1");

    // While commands run: lines published every millisecond.
    let publisher = tokio::spawn(async move {
        for i in 0..40 {
            state.log_stamped(&format!(
                "ISAKMP:(0): retransmitting phase 1 MM_NO_STATE... {i}"
            ));
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    });
    let mut outputs = Vec::new();
    while !publisher.is_finished() {
        outputs.push(s.run("show running-config", T).await.unwrap());
    }
    outputs.push(s.run("show running-config", T).await.unwrap());
    for out in &outputs {
        assert_eq!(out.lines, baseline.lines);
    }
    let mut seqs = vec![first.seq];
    let mut got = 0;
    while got < 40 {
        let line = tokio::time::timeout(T, rx.recv()).await.unwrap().unwrap();
        assert!(
            line.text.contains("retransmitting phase 1 MM_NO_STATE..."),
            "{line:?}"
        );
        assert!(line.text.starts_with('*'), "{line:?}");
        seqs.push(line.seq);
        got += 1;
    }
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    // Command outputs and lines share one counter.
    assert!(outputs.iter().all(|o| !seqs.contains(&o.seq)));
    lab.stop().await;
}

#[tokio::test]
async fn device_invalid_command_is_rejected() {
    let (lab, _release) = quiet_lab::start().await;
    let dir = tempfile::tempdir().unwrap();
    let (mut s, _rx) = open(&lab, &known(&lab, dir.path()), false).await;
    let err = s.run("show verzion", T).await.unwrap_err();
    match &err {
        DeviceError::Rejected {
            device,
            command,
            message,
        } => {
            assert_eq!((device.as_str(), command.as_str()), ("R1", "show verzion"));
            assert_eq!(message, "% Invalid input detected at '^' marker.");
        }
        other => panic!("{other}"),
    }
    let err = s.run("show crypto", T).await.unwrap_err();
    assert!(
        matches!(&err, DeviceError::Rejected { message, .. } if message == "% Incomplete command."),
        "{err}"
    );
    // The session is still usable.
    assert!(s.run("show crypto isakmp sa", T).await.unwrap().lines[0].starts_with("IPv4 Crypto"));
    lab.stop().await;
}

#[tokio::test]
async fn device_hung_command_times_out_and_the_session_recovers() {
    let (lab, release) = quiet_lab::start().await;
    let dir = tempfile::tempdir().unwrap();
    let (mut s, _rx) = open(&lab, &known(&lab, dir.path()), false).await;
    let err = s
        .run("ping 203.0.113.2", Duration::from_millis(300))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, DeviceError::Timeout { device, command } if device == "R1" && command == "ping 203.0.113.2"),
        "{err}"
    );
    release.notify_waiters();
    let out = s.run("show clock", T).await.unwrap();
    assert_eq!(out.lines.len(), 1, "{:?}", out.lines);
    assert!(!out.lines[0].contains("Success rate"));
    lab.stop().await;
}

#[tokio::test]
async fn device_lab_stopped_mid_session_is_lost_and_reconnect_works() {
    let (lab, _release) = quiet_lab::start().await;
    let dir = tempfile::tempdir().unwrap();
    let policy = known(&lab, dir.path());
    let (s, _rx) = open(&lab, &policy, false).await;
    let mut fresh = s.reconnect().await.unwrap();
    assert!(fresh.run("show clock", T).await.is_ok());
    lab.stop().await;
    let mut s = s;
    let err = s.run("show clock", T).await.unwrap_err();
    assert!(
        matches!(&err, DeviceError::Lost { device } if device == "R1"),
        "{err}"
    );
    // Nobody listens any more: reconnecting fails with the transport's reason.
    let err = s.reconnect().await.unwrap_err();
    assert!(
        matches!(
            &err,
            DeviceError::Ssh {
                source: SshError::Connect { .. },
                ..
            }
        ),
        "{err}"
    );
}

/// A server that speaks only public key and keyboard-interactive (no plain password), as IOS
/// with some AAA setups does.
mod ki_only {
    use super::*;
    use russh::keys::PrivateKey;
    use russh::keys::ssh_key::private::Ed25519Keypair;
    use russh::server::{Auth, ChannelOpenHandle, Msg, Response, Session};
    use russh::{Channel, ChannelId, MethodKind, MethodSet};
    use std::sync::Arc;

    /// The one user key the server accepts.
    pub fn user_key() -> PrivateKey {
        PrivateKey::from(Ed25519Keypair::from_seed(&[9; 32]))
    }

    struct Server {
        line: Vec<u8>,
    }

    impl russh::server::Handler for Server {
        type Error = russh::Error;

        async fn auth_publickey(
            &mut self,
            _user: &str,
            key: russh::server::VerifiedPublicKey<'_>,
        ) -> Result<Auth, Self::Error> {
            Ok(if key.public_key == user_key().public_key() {
                Auth::Accept
            } else {
                Auth::reject()
            })
        }

        async fn auth_keyboard_interactive<'a>(
            &'a mut self,
            _user: &str,
            _submethods: &str,
            response: Option<Response<'a>>,
        ) -> Result<Auth, Self::Error> {
            Ok(match response {
                None => Auth::Partial {
                    name: Cow::Borrowed(""),
                    instructions: Cow::Borrowed(""),
                    prompts: Cow::Owned(vec![(Cow::Borrowed("Password: "), false)]),
                },
                Some(mut r) => {
                    if r.next().as_deref() == Some(b"ki-secret".as_slice()) {
                        Auth::Accept
                    } else {
                        Auth::reject()
                    }
                }
            })
        }

        async fn channel_open_session(
            &mut self,
            _channel: Channel<Msg>,
            reply: ChannelOpenHandle,
            _session: &mut Session,
        ) -> Result<(), Self::Error> {
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
            _pw: u32,
            _ph: u32,
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
            session.channel_success(channel)?;
            session.data(channel, b"\r\nKI1#".to_vec())
        }

        async fn data(
            &mut self,
            channel: ChannelId,
            data: &[u8],
            session: &mut Session,
        ) -> Result<(), Self::Error> {
            for &b in data {
                if b != b'\r' {
                    self.line.push(b);
                    session.data(channel, vec![b])?;
                    continue;
                }
                let answer = match self.line.as_slice() {
                    b"show clock" => "*10:15:42.123 UTC Thu Nov 26 2026\r\n",
                    _ => "",
                };
                self.line.clear();
                session.data(channel, format!("\r\n{answer}KI1#").into_bytes())?;
            }
            Ok(())
        }
    }

    pub async fn start() -> u16 {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let key = PrivateKey::from(Ed25519Keypair::from_seed(&[7; 32]));
        let config = Arc::new(russh::server::Config {
            methods: MethodSet::from(&[MethodKind::PublicKey, MethodKind::KeyboardInteractive][..]),
            auth_rejection_time: Duration::from_millis(10),
            auth_rejection_time_initial: Some(Duration::ZERO),
            keys: vec![key],
            ..Default::default()
        });
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let config = config.clone();
                tokio::spawn(async move {
                    if let Ok(session) =
                        russh::server::run_stream(config, socket, Server { line: Vec::new() }).await
                    {
                        let _ = session.await;
                    }
                });
            }
        });
        port
    }
}

#[tokio::test]
async fn device_keyboard_interactive_login() {
    let port = ki_only::start().await;
    let dir = tempfile::tempdir().unwrap();
    let policy = HostKeyPolicy::accept_new(dir.path().join("known_hosts"));
    let creds = |pw: &str| Credentials {
        username: "aaa-user".into(),
        password: Some(Secret::new(pw)),
        ..Credentials::default()
    };
    let (tx, _rx) = mpsc::unbounded_channel();
    let t = SshTarget::new("127.0.0.1", port, creds("ki-secret"));
    let mut s = IosSession::connect("KI1", &t, &policy, SessionOptions::default(), tx)
        .await
        .unwrap();
    assert_eq!(
        s.run("show clock", T).await.unwrap().lines,
        ["*10:15:42.123 UTC Thu Nov 26 2026"]
    );

    let bad = SshTarget::new("127.0.0.1", port, creds("wrong"));
    match ssh::connect(&bad, &policy).await.unwrap_err() {
        // Password is not offered by this server, so only keyboard-interactive was tried.
        SshError::AuthRejected { tried, allowed, .. } => {
            assert_eq!(tried, ["password", "keyboard-interactive"]);
            assert_eq!(allowed, ["publickey", "keyboard-interactive"]);
        }
        other => panic!("{other}"),
    }
}

#[tokio::test]
async fn device_public_key_login() {
    let port = ki_only::start().await;
    let dir = tempfile::tempdir().unwrap();
    let policy = HostKeyPolicy::accept_new(dir.path().join("known_hosts"));
    let key_file = dir.path().join("id_ed25519");
    let text = ki_only::user_key()
        .to_openssh(russh::keys::ssh_key::LineEnding::LF)
        .unwrap();
    std::fs::write(&key_file, text.as_bytes()).unwrap();
    let creds = Credentials {
        username: "netops".into(),
        key_file: Some(key_file.clone()),
        ..Credentials::default()
    };
    let session = ssh::connect(&SshTarget::new("127.0.0.1", port, creds), &policy)
        .await
        .unwrap();
    session.disconnect().await;

    // Another key is refused, and the error says which method was tried.
    let other = dir.path().join("other");
    let text = russh::keys::PrivateKey::from(
        russh::keys::ssh_key::private::Ed25519Keypair::from_seed(&[1; 32]),
    )
    .to_openssh(russh::keys::ssh_key::LineEnding::LF)
    .unwrap();
    std::fs::write(&other, text.as_bytes()).unwrap();
    let creds = Credentials {
        username: "netops".into(),
        key_file: Some(other),
        ..Credentials::default()
    };
    match ssh::connect(&SshTarget::new("127.0.0.1", port, creds), &policy).await {
        Err(SshError::AuthRejected { tried, .. }) => assert_eq!(tried, ["publickey (ssh-ed25519)"]),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn device_kex_failure_shows_what_the_router_offered() {
    let (lab, _release) = quiet_lab::start().await;
    let dir = tempfile::tempdir().unwrap();
    let mut t = target(&lab, "R1");
    t.algorithms = ipsec_doctor::ssh::Algorithms {
        kex: vec!["diffie-hellman-group1-sha1".into()],
        ..Default::default()
    };
    let err = ssh::connect(&t, &known(&lab, dir.path()))
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, SshError::Kex { .. }), "{text}");
    assert!(
        text.contains("ours: [\"diffie-hellman-group1-sha1\""),
        "{text}"
    );
    assert!(
        text.contains("theirs: [") && text.contains("curve25519-sha256"),
        "{text}"
    );
    lab.stop().await;
}
