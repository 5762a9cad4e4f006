//! The live IOS session: a task that owns the shell's byte queues and a [`Framer`], serves one
//! request at a time (learn the prompt, enable, run, close) and, between requests, keeps
//! reading so unsolicited lines reach their channel as they arrive.
//!
//! The task is the only reader of the shell, so a command's output and a debug line arriving
//! during it can never be taken by two parties; the unsolicited channel is unbounded so a
//! slow consumer can never stall the reading (russh-notes G4).

use super::framer::{Event, Framer};
use super::platform::{Mode, Platform, Prompt};
use super::{BoxFuture, CommandOutput, DeviceError, DeviceSession, UnsolicitedLine, cisco_ios};
use crate::secret::Secret;
use crate::ssh::{self, HostKeyPolicy, ShellIo, SshError, SshSession, SshTarget};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

/// Without a prompt this long after login, press Enter once: some boxes print nothing until
/// a key arrives (a banner waiting, an `exec-timeout` message).
const NUDGE_AFTER: Duration = Duration::from_secs(1);
const RECONNECT_ATTEMPTS: u32 = 3;
const RECONNECT_DELAY: Duration = Duration::from_millis(500);

/// How to set a session up once logged in.
#[derive(Debug, Clone)]
pub struct SessionOptions {
    /// Sent at `Password:` after `enable`; `None` stays at the login level.
    pub enable_secret: Option<Secret>,
    /// Switch `terminal monitor` on, so debug and syslog lines stream to this session.
    pub monitor: bool,
    /// Limit for each step of opening (prompt, enable, terminal settings) and for `close`.
    pub setup_timeout: Duration,
}

impl Default for SessionOptions {
    fn default() -> SessionOptions {
        SessionOptions {
            enable_secret: None,
            monitor: false,
            setup_timeout: Duration::from_secs(10),
        }
    }
}

/// What `reconnect` needs to log in again.
#[derive(Debug, Clone)]
struct Connector {
    target: SshTarget,
    policy: HostKeyPolicy,
    options: SessionOptions,
    unsolicited: mpsc::UnboundedSender<UnsolicitedLine>,
}

/// One device's interactive session.
pub struct IosSession {
    device: String,
    prompt: Prompt,
    requests: mpsc::Sender<Request>,
    ssh: Option<SshSession>,
    connector: Option<Connector>,
}

impl std::fmt::Debug for IosSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IosSession")
            .field("device", &self.device)
            .field("prompt", &self.prompt.text)
            .finish()
    }
}

impl IosSession {
    /// Logs into `target` over SSH and sets the session up (see [`IosSession::open`]).
    pub async fn connect(
        device: &str,
        target: &SshTarget,
        policy: &HostKeyPolicy,
        options: SessionOptions,
        unsolicited: mpsc::UnboundedSender<UnsolicitedLine>,
    ) -> Result<IosSession, DeviceError> {
        let ssh_error = |source| DeviceError::Ssh {
            device: device.to_string(),
            source,
        };
        let ssh = ssh::connect(target, policy).await.map_err(ssh_error)?;
        let io = match ssh.open_shell().await {
            Ok(io) => io,
            Err(e) => {
                ssh.disconnect().await;
                return Err(ssh_error(e));
            }
        };
        let mut session = match IosSession::open(device, io, &options, unsolicited.clone()).await {
            Ok(s) => s,
            Err(e) => {
                ssh.disconnect().await;
                return Err(e);
            }
        };
        session.ssh = Some(ssh);
        session.connector = Some(Connector {
            target: target.clone(),
            policy: policy.clone(),
            options,
            unsolicited,
        });
        Ok(session)
    }

    /// Sets a session up over any shell: learns the prompt, enters enable when a secret is
    /// given, disables the pager and line wrapping, and switches `terminal monitor` on if asked.
    pub async fn open(
        device: &str,
        io: ShellIo,
        options: &SessionOptions,
        unsolicited: mpsc::UnboundedSender<UnsolicitedLine>,
    ) -> Result<IosSession, DeviceError> {
        let platform = cisco_ios::platform();
        let (requests, rx) = mpsc::channel(4);
        let actor = Actor {
            device: device.to_string(),
            platform,
            framer: Framer::new(platform),
            io,
            unsolicited,
            seq: 0,
            lost: false,
        };
        tokio::spawn(actor.serve(rx));
        let limit = options.setup_timeout;
        let mut session = IosSession {
            device: device.to_string(),
            prompt: Prompt {
                text: String::new(),
                host: String::new(),
                mode: Mode::User,
            },
            requests,
            ssh: None,
            connector: None,
        };
        session.prompt = session
            .request(|reply| Request::Learn {
                timeout: limit,
                reply,
            })
            .await?;
        if session.prompt.mode == Mode::User
            && let Some(secret) = &options.enable_secret
        {
            let secret = secret.clone();
            session.prompt = session
                .request(|reply| Request::Enable {
                    secret,
                    timeout: limit,
                    reply,
                })
                .await?;
        }
        for command in platform.on_open {
            match session.run(command, limit).await {
                Ok(_) => {}
                // An old image without `terminal width 0` still works: the pager is answered.
                Err(DeviceError::Rejected { message, .. }) => {
                    tracing::debug!(device, command, message, "setup command refused")
                }
                Err(e) => return Err(e),
            }
        }
        if options.monitor {
            session.run(platform.monitor_on, limit).await?;
        }
        Ok(session)
    }

    /// The device's prompt after the last command.
    pub fn prompt(&self) -> &Prompt {
        &self.prompt
    }

    pub fn device(&self) -> &str {
        &self.device
    }

    pub async fn run(
        &mut self,
        command: &str,
        timeout: Duration,
    ) -> Result<CommandOutput, DeviceError> {
        let command = command.to_string();
        let (output, prompt) = self
            .request(|reply| Request::Run {
                command,
                timeout,
                reply,
            })
            .await?;
        self.prompt = prompt;
        Ok(output)
    }

    /// Leaves config mode if in it, sends `exit`, waits for the device to hang up, and ends
    /// the SSH connection.
    pub async fn close(&mut self) -> Result<(), DeviceError> {
        let limit = self
            .connector
            .as_ref()
            .map_or(SessionOptions::default().setup_timeout, |c| {
                c.options.setup_timeout
            });
        let result = self
            .request(|reply| Request::Close {
                timeout: limit,
                reply,
            })
            .await;
        if let Some(ssh) = &self.ssh {
            ssh.disconnect().await;
        }
        match result {
            // Already gone is as closed as it gets.
            Err(DeviceError::Lost { .. }) => Ok(()),
            other => other,
        }
    }

    /// A fresh session with the same target and options, for cleaning up after this one was
    /// lost (`undebug all` must still reach the router). Tries a few times; a host key or
    /// credential problem is not retried.
    pub async fn reconnect(&self) -> Result<IosSession, DeviceError> {
        let Some(c) = &self.connector else {
            return Err(DeviceError::Lost {
                device: self.device.clone(),
            });
        };
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result = IosSession::connect(
                &self.device,
                &c.target,
                &c.policy,
                c.options.clone(),
                c.unsolicited.clone(),
            )
            .await;
            match result {
                Ok(s) => return Ok(s),
                Err(e) if attempt >= RECONNECT_ATTEMPTS || !worth_retrying(&e) => return Err(e),
                Err(e) => {
                    tracing::debug!(device = self.device, attempt, "reconnect failed: {e}");
                    tokio::time::sleep(RECONNECT_DELAY * attempt).await;
                }
            }
        }
    }

    async fn request<T>(
        &self,
        make: impl FnOnce(oneshot::Sender<Result<T, DeviceError>>) -> Request,
    ) -> Result<T, DeviceError> {
        let lost = || DeviceError::Lost {
            device: self.device.clone(),
        };
        let (tx, rx) = oneshot::channel();
        self.requests.send(make(tx)).await.map_err(|_| lost())?;
        rx.await.map_err(|_| lost())?
    }
}

fn worth_retrying(e: &DeviceError) -> bool {
    match e {
        DeviceError::Ssh { source, .. } => matches!(
            source,
            SshError::Connect { .. } | SshError::Timeout { .. } | SshError::Closed
        ),
        DeviceError::Lost { .. } | DeviceError::NoPrompt { .. } | DeviceError::Timeout { .. } => {
            true
        }
        _ => false,
    }
}

impl DeviceSession for IosSession {
    fn device(&self) -> &str {
        &self.device
    }

    fn run<'a>(
        &'a mut self,
        command: &'a str,
        timeout: Duration,
    ) -> BoxFuture<'a, Result<CommandOutput, DeviceError>> {
        Box::pin(IosSession::run(self, command, timeout))
    }

    fn close(&mut self) -> BoxFuture<'_, Result<(), DeviceError>> {
        Box::pin(IosSession::close(self))
    }
}

type Reply<T> = oneshot::Sender<Result<T, DeviceError>>;

enum Request {
    Learn {
        timeout: Duration,
        reply: Reply<Prompt>,
    },
    Enable {
        secret: Secret,
        timeout: Duration,
        reply: Reply<Prompt>,
    },
    Run {
        command: String,
        timeout: Duration,
        reply: Reply<(CommandOutput, Prompt)>,
    },
    Close {
        timeout: Duration,
        reply: Reply<()>,
    },
}

/// Why waiting for the device stopped.
enum Stop {
    Deadline,
    Lost,
}

struct Actor {
    device: String,
    platform: &'static Platform,
    framer: Framer,
    io: ShellIo,
    unsolicited: mpsc::UnboundedSender<UnsolicitedLine>,
    seq: u64,
    lost: bool,
}

impl Actor {
    async fn serve(mut self, mut requests: mpsc::Receiver<Request>) {
        loop {
            tokio::select! {
                request = requests.recv() => match request {
                    None => break,
                    Some(r) => self.handle(r).await,
                },
                bytes = self.io.from_device.recv(), if !self.lost => match bytes {
                    Some(b) => {
                        // Idle: only unsolicited lines (and stray prompts) can arrive.
                        for event in self.framer.feed(&b) {
                            if let Event::Unsolicited(line) = event {
                                self.publish(line);
                            }
                        }
                    }
                    None => self.lost = true,
                },
            }
        }
    }

    async fn handle(&mut self, request: Request) {
        match request {
            Request::Learn { timeout, reply } => {
                let _ = reply.send(self.learn(timeout).await);
            }
            Request::Enable {
                secret,
                timeout,
                reply,
            } => {
                let _ = reply.send(self.enable(&secret, timeout).await);
            }
            Request::Run {
                command,
                timeout,
                reply,
            } => {
                let _ = reply.send(self.run(&command, timeout).await);
            }
            Request::Close { timeout, reply } => {
                let _ = reply.send(self.close(timeout).await);
            }
        }
    }

    fn lost(&self) -> DeviceError {
        DeviceError::Lost {
            device: self.device.clone(),
        }
    }

    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    fn publish(&mut self, text: String) {
        let seq = self.next_seq();
        let _ = self.unsolicited.send(UnsolicitedLine {
            device: self.device.clone(),
            seq,
            text,
        });
    }

    fn send(&mut self, bytes: &[u8]) -> Result<(), DeviceError> {
        if self.io.to_device.send(bytes.to_vec()).is_err() {
            self.lost = true;
            return Err(self.lost());
        }
        Ok(())
    }

    /// The next chunk's events, unsolicited lines already published. A command's completion
    /// carries the sequence number it was given in stream order.
    async fn next_events(&mut self, deadline: Instant) -> Result<Vec<(u64, Event)>, Stop> {
        if self.lost {
            return Err(Stop::Lost);
        }
        let bytes = tokio::select! {
            b = self.io.from_device.recv() => b,
            _ = tokio::time::sleep_until(deadline) => return Err(Stop::Deadline),
        };
        let Some(bytes) = bytes else {
            self.lost = true;
            return Err(Stop::Lost);
        };
        let mut out = Vec::new();
        for event in self.framer.feed(&bytes) {
            match event {
                Event::Unsolicited(line) => self.publish(line),
                e @ Event::Prompt {
                    output: Some(_), ..
                } => {
                    let seq = self.next_seq();
                    out.push((seq, e));
                }
                e => out.push((0, e)),
            }
        }
        Ok(out)
    }

    async fn learn(&mut self, timeout: Duration) -> Result<Prompt, DeviceError> {
        // The greeting may have been read while idle, before this request arrived.
        if let Some(prompt) = self.framer.last_prompt() {
            return Ok(prompt.clone());
        }
        let start = Instant::now();
        let deadline = crate::deadline::after(start, timeout);
        let mut nudged = false;
        loop {
            let until = if nudged {
                deadline
            } else {
                deadline.min(crate::deadline::after(start, NUDGE_AFTER))
            };
            match self.next_events(until).await {
                Ok(events) => {
                    for (_, event) in events {
                        match event {
                            Event::Prompt { prompt, .. } => return Ok(prompt),
                            Event::Pager => self.send(self.platform.pager_answer.as_bytes())?,
                            _ => {}
                        }
                    }
                }
                Err(Stop::Deadline) if !nudged && Instant::now() < deadline => {
                    nudged = true;
                    self.send(b"\r")?;
                }
                Err(Stop::Deadline) => {
                    return Err(DeviceError::NoPrompt {
                        device: self.device.clone(),
                        waited: timeout,
                    });
                }
                Err(Stop::Lost) => return Err(self.lost()),
            }
        }
    }

    async fn enable(&mut self, secret: &Secret, timeout: Duration) -> Result<Prompt, DeviceError> {
        let deadline = crate::deadline::from_now(timeout);
        let command = self.platform.enable;
        self.framer.begin(command);
        self.send(format!("{command}\r").as_bytes())?;
        let mut asked = 0;
        loop {
            let events = self.wait(deadline, command).await?;
            for (_, event) in events {
                match event {
                    Event::Password => {
                        asked += 1;
                        // Only the first question gets the secret; a second one means it was
                        // refused, and empty answers walk IOS back to the prompt.
                        if asked == 1 {
                            let mut typed = secret.expose().as_bytes().to_vec();
                            typed.push(b'\r');
                            self.send(&typed)?;
                        } else {
                            self.send(b"\r")?;
                        }
                    }
                    Event::Prompt {
                        prompt,
                        output: Some(lines),
                    } => {
                        if prompt.mode != Mode::User {
                            return Ok(prompt);
                        }
                        let message = self
                            .platform
                            .failure(&lines)
                            .map(str::to_string)
                            .or_else(|| lines.iter().find(|l| l.starts_with('%')).cloned())
                            .unwrap_or_else(|| String::from("the enable secret was refused"));
                        return Err(DeviceError::Enable {
                            device: self.device.clone(),
                            message,
                        });
                    }
                    _ => {}
                }
            }
        }
    }

    /// Like `next_events`, turning a stop into the error for `command`.
    async fn wait(
        &mut self,
        deadline: Instant,
        command: &str,
    ) -> Result<Vec<(u64, Event)>, DeviceError> {
        match self.next_events(deadline).await {
            Ok(events) => Ok(events),
            Err(Stop::Lost) => Err(self.lost()),
            Err(Stop::Deadline) => {
                self.framer.abandon();
                // Stops a ping or traceroute that would otherwise hold the line.
                let _ = self.io.to_device.send(self.platform.interrupt.to_vec());
                Err(DeviceError::Timeout {
                    device: self.device.clone(),
                    command: command.to_string(),
                })
            }
        }
    }

    async fn run(
        &mut self,
        command: &str,
        timeout: Duration,
    ) -> Result<(CommandOutput, Prompt), DeviceError> {
        if self.lost {
            return Err(self.lost());
        }
        let deadline = crate::deadline::from_now(timeout);
        let monitor = monitor_switch(command);
        if monitor == Some(true) {
            // Lines may stream right after the command; they must not land in its output.
            self.framer.set_monitor(true);
        }
        self.framer.begin(command);
        self.send(format!("{command}\r").as_bytes())?;
        loop {
            for (seq, event) in self.wait(deadline, command).await? {
                match event {
                    Event::Pager => self.send(self.platform.pager_answer.as_bytes())?,
                    Event::Prompt {
                        prompt,
                        output: Some(lines),
                    } => {
                        if monitor == Some(false) {
                            self.framer.set_monitor(false);
                        }
                        return self.finish(command, lines, prompt, seq);
                    }
                    _ => {}
                }
            }
        }
    }

    fn finish(
        &self,
        command: &str,
        mut lines: Vec<String>,
        prompt: Prompt,
        seq: u64,
    ) -> Result<(CommandOutput, Prompt), DeviceError> {
        if let Some(message) = self.platform.failure(&lines) {
            return Err(DeviceError::Rejected {
                device: self.device.clone(),
                command: command.to_string(),
                message: message.to_string(),
            });
        }
        while lines.last().is_some_and(|l| l.trim().is_empty()) {
            lines.pop();
        }
        let first = lines
            .iter()
            .position(|l| !l.trim().is_empty())
            .unwrap_or(lines.len());
        lines.drain(..first);
        let output = CommandOutput {
            command: command.to_string(),
            lines,
            prompt: prompt.text.clone(),
            seq,
        };
        Ok((output, prompt))
    }

    async fn close(&mut self, timeout: Duration) -> Result<(), DeviceError> {
        if self.lost {
            return Err(self.lost());
        }
        let deadline = crate::deadline::from_now(timeout);
        let in_config = matches!(
            self.framer.last_prompt().map(|p| &p.mode),
            Some(Mode::Config(_))
        );
        if in_config {
            self.send(format!("{}\r", self.platform.end_config).as_bytes())?;
        }
        self.send(format!("{}\r", self.platform.on_close).as_bytes())?;
        loop {
            match self.next_events(deadline).await {
                Ok(_) => {}
                Err(Stop::Lost) => return Ok(()),
                Err(Stop::Deadline) => {
                    return Err(DeviceError::Timeout {
                        device: self.device.clone(),
                        command: self.platform.on_close.to_string(),
                    });
                }
            }
        }
    }
}

/// `Some(true)` for `terminal monitor` (or `term mon`), `Some(false)` for its `no` form.
fn monitor_switch(command: &str) -> Option<bool> {
    let words: Vec<&str> = command.split_whitespace().collect();
    let is = |word: &str, full: &str, min: usize| word.len() >= min && full.starts_with(word);
    match words.as_slice() {
        [t, m] if is(t, "terminal", 4) && is(m, "monitor", 3) => Some(true),
        [t, n, m] if is(t, "terminal", 4) && *n == "no" && is(m, "monitor", 3) => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ssh::shell::FakeDeviceEnd;

    #[test]
    fn monitor_switch_accepts_abbreviations() {
        assert_eq!(monitor_switch("terminal monitor"), Some(true));
        assert_eq!(monitor_switch("term mon"), Some(true));
        assert_eq!(monitor_switch("terminal no monitor"), Some(false));
        assert_eq!(monitor_switch("terminal length 0"), None);
        assert_eq!(monitor_switch("te mon"), None);
    }

    /// A scripted router: answers each line it receives with the next canned reply.
    fn script(mut end: FakeDeviceEnd, greeting: &str, replies: Vec<&'static str>) {
        let greeting = greeting.to_string();
        tokio::spawn(async move {
            let _ = end.to_client.send(greeting.into_bytes());
            let mut replies = replies.into_iter();
            let mut line = Vec::new();
            while let Some(bytes) = end.from_client.recv().await {
                for b in bytes {
                    if b != b'\r' {
                        line.push(b);
                        continue;
                    }
                    let typed = String::from_utf8_lossy(&line).into_owned();
                    line.clear();
                    let Some(reply) = replies.next() else {
                        continue;
                    };
                    let echo = if typed == "labenable1" {
                        String::new()
                    } else {
                        typed
                    };
                    let _ = end
                        .to_client
                        .send(format!("{echo}\r\n{reply}").into_bytes());
                }
            }
        });
    }

    #[tokio::test]
    async fn open_enable_run_and_reject_over_a_fake() {
        let (io, end) = ShellIo::pair();
        script(
            end,
            "\r\nR7>",
            vec![
                "Password: ",
                "R7#",
                "R7#",
                "R7#",
                "Cisco IOS Software\r\n\r\nR7#",
                "           ^\r\n% Invalid input detected at '^' marker.\r\n\r\nR7#",
            ],
        );
        let (tx, _rx) = mpsc::unbounded_channel();
        let options = SessionOptions {
            enable_secret: Some(Secret::new("labenable1")),
            ..SessionOptions::default()
        };
        let mut s = IosSession::open("R7", io, &options, tx).await.unwrap();
        assert_eq!(s.prompt().mode, Mode::Privileged);
        let out = s.run("show version", Duration::from_secs(2)).await.unwrap();
        assert_eq!(out.lines, ["Cisco IOS Software"]);
        assert_eq!(out.prompt, "R7#");
        let err = s
            .run("show verzion", Duration::from_secs(2))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, DeviceError::Rejected { message, .. } if message.starts_with("% Invalid input")),
            "{err}"
        );
        // The script has nothing more to say: the next command times out.
        let err = s
            .run("show clock", Duration::from_millis(100))
            .await
            .unwrap_err();
        assert!(matches!(err, DeviceError::Timeout { .. }), "{err}");
    }

    #[tokio::test]
    async fn a_refused_enable_secret_is_an_error() {
        let (io, end) = ShellIo::pair();
        script(
            end,
            "R7>",
            vec![
                "Password: ",
                "Password: ",
                "Password: ",
                "% Bad secrets\r\n\r\nR7>",
            ],
        );
        let (tx, _rx) = mpsc::unbounded_channel();
        let options = SessionOptions {
            enable_secret: Some(Secret::new("labenable1")),
            ..SessionOptions::default()
        };
        let err = IosSession::open("R7", io, &options, tx).await.unwrap_err();
        match err {
            DeviceError::Enable { message, .. } => assert_eq!(message, "% Bad secrets"),
            other => panic!("{other}"),
        }
    }

    #[tokio::test]
    async fn silence_after_login_is_no_prompt_and_hangup_is_lost() {
        let (io, end) = ShellIo::pair();
        let options = SessionOptions {
            setup_timeout: Duration::from_millis(50),
            ..SessionOptions::default()
        };
        let (tx, _rx) = mpsc::unbounded_channel();
        let err = IosSession::open("R7", io, &options, tx.clone())
            .await
            .unwrap_err();
        assert!(matches!(err, DeviceError::NoPrompt { .. }), "{err}");
        drop(end);

        let (io, end) = ShellIo::pair();
        drop(end);
        let err = IosSession::open("R7", io, &options, tx).await.unwrap_err();
        assert!(matches!(err, DeviceError::Lost { .. }), "{err}");
    }
}
