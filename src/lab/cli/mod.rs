//! The IOS command line of one session: prompt, line editing, `enable`, the `| filter`s and
//! the `--More--` pager, over any byte stream (an SSH channel in the lab, a pair of channels
//! in tests).
//!
//! A [`Shell`] reads keystrokes from an [`Input`] and writes to a [`Terminal`]; it never sees
//! SSH. It ends when the user exits or either side goes away.

pub mod filter;
pub mod grammar;

use crate::lab::commands::configure::{self, ConfigMode};
use crate::lab::commands::{self, Exec, Reply, enable, ping_dialog, unknown, write};
use crate::lab::model::{BoxFuture, PingRequest, PingSink, RouterModel};
use crate::lab::router::Router;
use filter::Filter;
use grammar::{Level, Reject, tokenize};
use std::collections::VecDeque;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use tokio::sync::mpsc;

/// IOS's default page length for a vty.
pub const DEFAULT_LENGTH: u32 = 24;
const DEFAULT_WIDTH: u32 = 80;
/// Longest line we keep; IOS truncates input well before this.
const MAX_LINE: usize = 1024;
/// Lines the history keeps (IOS's `terminal history size` default is 10; 20 is the most
/// engineers set).
const HISTORY: usize = 20;
/// What `read_line` returns for Ctrl-Z: `end` in configuration mode.
const CTRL_Z: &str = "\u{1a}";
const MORE: &str = " --More-- ";
/// Backspaces over ` --More-- `, blanks, and back again, so the next line starts clean.
const ERASE_MORE: &str =
    "\x08\x08\x08\x08\x08\x08\x08\x08\x08\x08          \x08\x08\x08\x08\x08\x08\x08\x08\x08\x08";

/// This session's `terminal` settings.
#[derive(Debug, Clone)]
pub struct TermState {
    /// Lines per screen; the pager shows `length - 1` lines and ` --More-- `. 0 = no pager.
    pub length: u32,
    pub width: u32,
    /// `terminal monitor`: shared with the task that forwards log-bus lines.
    pub monitor: Arc<AtomicBool>,
}

impl TermState {
    pub fn new(monitor: Arc<AtomicBool>) -> TermState {
        TermState {
            length: DEFAULT_LENGTH,
            width: DEFAULT_WIDTH,
            monitor,
        }
    }
}

/// The peer went away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Closed;

/// Where a session's output goes.
pub trait Terminal: Send {
    fn write(&mut self, bytes: Vec<u8>) -> impl Future<Output = Result<(), Closed>> + Send;
    /// Ends the session; `exit_status` is sent for a one-shot (exec) command.
    fn close(&mut self, exit_status: Option<u32>) -> impl Future<Output = ()> + Send;
}

/// Keystrokes arriving in chunks, read one at a time.
#[derive(Debug)]
pub struct Input {
    rx: mpsc::UnboundedReceiver<Vec<u8>>,
    pending: VecDeque<u8>,
    after_cr: bool,
}

impl Input {
    pub fn new(rx: mpsc::UnboundedReceiver<Vec<u8>>) -> Input {
        Input {
            rx,
            pending: VecDeque::new(),
            after_cr: false,
        }
    }

    async fn byte(&mut self) -> Option<u8> {
        loop {
            if let Some(b) = self.pending.pop_front() {
                return Some(b);
            }
            let chunk = self.rx.recv().await?;
            self.pending.extend(chunk);
        }
    }

    /// More keys already arrived: their echo can go out with this one's.
    fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    /// The next key if it has already arrived; `None` when reading on would wait.
    fn ready_key(&mut self) -> Option<u8> {
        while let Some(b) = self.pending.pop_front() {
            let skip = self.after_cr && b == b'\n';
            self.after_cr = b == b'\r';
            if !skip {
                return Some(b);
            }
        }
        None
    }

    /// The next key; a CR LF pair (what some clients send for Enter) counts once.
    async fn key(&mut self) -> Option<u8> {
        loop {
            let b = self.byte().await?;
            let skip = self.after_cr && b == b'\n';
            self.after_cr = b == b'\r';
            if !skip {
                return Some(b);
            }
        }
    }
}

enum Flow {
    Continue,
    Exit,
}

/// What a line being read is: a command (history, `?` help, Ctrl-Z), the answer to a
/// question (echoed, nothing else), or a secret (not echoed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Read {
    Command,
    Answer,
    Secret,
}

pub struct Shell<T> {
    router: Arc<Router>,
    model: Arc<dyn RouterModel>,
    term: T,
    input: Input,
    state: TermState,
    privileged: bool,
    /// In configuration mode, and where.
    config: Option<ConfigMode>,
    /// Lines entered, oldest first, for the up arrow.
    history: VecDeque<String>,
    /// Written but not sent yet: everything a command line produces (its echo, its output,
    /// the next prompt) leaves as one SSH packet when the shell next waits, not three. Each
    /// packet costs both ends a seal, a syscall and a wakeup, as many times as a fleet has
    /// commands.
    unsent: Vec<u8>,
}

impl<T: Terminal> Shell<T> {
    pub fn new(
        router: Arc<Router>,
        model: Arc<dyn RouterModel>,
        term: T,
        input: Input,
        monitor: Arc<AtomicBool>,
    ) -> Shell<T> {
        Shell {
            router,
            model,
            term,
            input,
            state: TermState::new(monitor),
            privileged: false,
            config: None,
            history: VecDeque::new(),
            unsent: Vec::new(),
        }
    }

    fn prompt(&self) -> String {
        let host = self.router.hostname();
        match &self.config {
            Some(mode) => format!("{host}{}", mode.prompt_suffix()),
            None if self.privileged => format!("{host}#"),
            None => format!("{host}>"),
        }
    }

    fn level(&self) -> Level {
        if self.privileged {
            Level::Privileged
        } else {
            Level::User
        }
    }

    /// The interactive EXEC: prompt, read, run, until `exit` or the peer leaves.
    pub async fn run(mut self) {
        if self.write("\r\n").await.is_err() {
            return;
        }
        loop {
            let prompt = self.prompt();
            if self.write(&prompt).await.is_err() {
                return;
            }
            let Some(line) = self.read_line(Read::Command).await else {
                return;
            };
            match self.execute(&line, prompt.chars().count(), true).await {
                Ok(Flow::Continue) => {}
                Ok(Flow::Exit) => break,
                Err(Closed) => return,
            }
        }
        if self.flush().await.is_ok() {
            self.term.close(None).await;
        }
    }

    /// A one-shot command (`ssh R1 "show clock"`): output without prompt or pager, then close.
    pub async fn run_exec(mut self, line: &str) {
        self.state.length = 0;
        if self.execute(line, 0, false).await.is_ok() && self.flush().await.is_ok() {
            self.term.close(Some(0)).await;
        }
    }

    /// Queues `text`; it goes out at the next [`Shell::flush`].
    async fn write(&mut self, text: &str) -> Result<(), Closed> {
        self.unsent.extend_from_slice(text.as_bytes());
        Ok(())
    }

    /// Sends what was written since the last flush.
    async fn flush(&mut self) -> Result<(), Closed> {
        if self.unsent.is_empty() {
            return Ok(());
        }
        let bytes = std::mem::take(&mut self.unsent);
        self.term.write(bytes).await
    }

    /// The next key; what was written goes out first if the key has not arrived yet, so the
    /// user (or script) sees everything it is answering. `None`: input or output closed.
    async fn key(&mut self) -> Option<u8> {
        if let Some(k) = self.input.ready_key() {
            return Some(k);
        }
        self.flush().await.ok()?;
        self.input.key().await
    }

    async fn write_lines(&mut self, lines: &[String]) -> Result<(), Closed> {
        if lines.is_empty() {
            return Ok(());
        }
        let mut text = String::new();
        for l in lines {
            text.push_str(l);
            text.push_str("\r\n");
        }
        self.write(&text).await
    }

    /// Reads up to Enter, echoing unless a secret is being typed. `None`: input closed.
    /// A command line keeps history (arrows, Ctrl-P/N) and answers `?` with help.
    async fn read_line(&mut self, read: Read) -> Option<String> {
        let echo = read != Read::Secret;
        let command = read == Read::Command;
        let mut line = String::new();
        let mut back = 0usize;
        // Echo of keys that arrived together goes out as one write: a pasted or scripted
        // command is one SSH packet back, not one per character.
        let mut echoed = String::new();
        loop {
            let key = self.key().await?;
            let out: String = match key {
                b'\r' | b'\n' => {
                    echoed.push_str("\r\n");
                    self.write(&echoed).await.ok()?;
                    if command && !line.trim().is_empty() {
                        if self.history.len() == HISTORY {
                            self.history.pop_front();
                        }
                        self.history.push_back(line.clone());
                    }
                    return Some(line);
                }
                // Ctrl-Z: `end` in configuration mode.
                0x1a if command => {
                    echoed.push_str("^Z\r\n");
                    self.write(&echoed).await.ok()?;
                    return Some(CTRL_Z.to_string());
                }
                b'?' if command => {
                    echoed.push_str("?\r\n");
                    self.write(&echoed).await.ok()?;
                    echoed.clear();
                    let help = self.help(&line);
                    let prompt = self.prompt();
                    self.write_lines(&help).await.ok()?;
                    format!("\r\n{prompt}{line}")
                }
                // Ctrl-C abandons the line.
                0x03 => {
                    echoed.push_str("\r\n");
                    self.write(&echoed).await.ok()?;
                    return Some(String::new());
                }
                0x7f | 0x08 => match line.pop() {
                    Some(_) if echo => "\x08 \x08".into(),
                    _ => String::new(),
                },
                // Ctrl-U erases the line.
                0x15 => {
                    let n = line.chars().count();
                    line.clear();
                    if echo {
                        "\x08 \x08".repeat(n)
                    } else {
                        String::new()
                    }
                }
                // Cursor keys: up and down walk the history; left and right are not simulated.
                0x1b => {
                    let next = self.key().await?;
                    let key = if next == b'[' || next == b'O' {
                        self.key().await?
                    } else {
                        next
                    };
                    match key {
                        b'A' if command => self.recall(&mut line, &mut back, true),
                        b'B' if command => self.recall(&mut line, &mut back, false),
                        _ => String::new(),
                    }
                }
                0x10 if command => self.recall(&mut line, &mut back, true),
                0x0e if command => self.recall(&mut line, &mut back, false),
                0x20..=0x7e if line.len() < MAX_LINE => {
                    line.push(char::from(key));
                    if echo {
                        char::from(key).to_string()
                    } else {
                        String::new()
                    }
                }
                _ => String::new(),
            };
            echoed.push_str(&out);
            if !echoed.is_empty() && !self.input.has_pending() {
                self.write(&echoed).await.ok()?;
                echoed.clear();
            }
        }
    }

    /// Replaces the line being typed with an older (`older`) or newer history entry; the
    /// echo that erases the old text and shows the new.
    fn recall(&self, line: &mut String, back: &mut usize, older: bool) -> String {
        let n = self.history.len();
        let next = if older {
            (*back + 1).min(n)
        } else {
            back.saturating_sub(1)
        };
        if next == *back {
            return "\x07".to_string();
        }
        *back = next;
        let erase = "\x08 \x08".repeat(line.chars().count());
        *line = match next {
            0 => String::new(),
            k => self.history.get(n - k).cloned().unwrap_or_default(),
        };
        format!("{erase}{line}")
    }

    /// `?`: the words that may come next (or complete the word being typed).
    fn help(&self, line: &str) -> Vec<String> {
        let tokens = tokenize(line);
        let (done, partial) = match (line.ends_with(char::is_whitespace), tokens.split_last()) {
            (false, Some((last, before))) => (before, last.text),
            _ => (tokens.as_slice(), ""),
        };
        let words = match &self.config {
            Some(mode) => configure::completions(mode, done, partial),
            None => grammar::completions(commands::SYNTAX, self.level(), done, partial),
        };
        if words.is_empty() {
            return vec!["% Unrecognized command".to_string()];
        }
        if !partial.is_empty() {
            return vec![words.join("  ")];
        }
        words.iter().map(|w| format!("  {w}")).collect()
    }

    async fn execute(
        &mut self,
        line: &str,
        prompt_len: usize,
        interactive: bool,
    ) -> Result<Flow, Closed> {
        if let Some(mode) = self.config.clone() {
            let typed = if line == CTRL_Z { "end" } else { line };
            let user = self.router.spec.username.clone();
            let outcome = match configure::run(&self.router, &mode, typed, &user) {
                Ok(o) => o,
                Err(r) => return self.reject(&r, line, prompt_len).await,
            };
            self.write_lines(&outcome.lines).await?;
            if outcome.mode.is_none() {
                self.router.log_stamped(&format!(
                    "%SYS-5-CONFIG_I: Configured from console by {user} on vty0"
                ));
            }
            self.config = outcome.mode;
            return match outcome.exec {
                Some(exec) => self.exec(&exec, prompt_len + 3, interactive).await,
                None => Ok(Flow::Continue),
            };
        }
        if line == CTRL_Z {
            return Ok(Flow::Continue);
        }
        self.exec(line, prompt_len, interactive).await
    }

    async fn exec(
        &mut self,
        line: &str,
        prompt_len: usize,
        interactive: bool,
    ) -> Result<Flow, Closed> {
        let (text, pipe) = match line.find('|') {
            Some(i) => (&line[..i], Some(i)),
            None => (line, None),
        };
        let tokens = tokenize(text);
        if tokens.is_empty() {
            return match pipe {
                Some(i) => {
                    self.reject(&invalid_at_char(line, i), line, prompt_len)
                        .await
                }
                None => Ok(Flow::Continue),
            };
        }
        let level = if self.config.is_some() {
            Level::Privileged
        } else {
            self.level()
        };
        let command = match commands::parse(&tokens, level) {
            Ok(c) => c,
            Err(r) => return self.reject(&r, line, prompt_len).await,
        };
        let filter = match pipe {
            None => None,
            Some(i) if !command.accepts_filter() => {
                return self
                    .reject(&invalid_at_char(line, i), line, prompt_len)
                    .await;
            }
            Some(i) => {
                let column = line[..=i].chars().count();
                match Filter::parse(&line[i + 1..], column) {
                    Ok(f) => Some(f),
                    Err(r) => return self.reject(&r, line, prompt_len).await,
                }
            }
        };
        let reply = command.apply(Exec {
            router: &self.router,
            model: self.model.as_ref(),
            term: &mut self.state,
            privileged: &mut self.privileged,
        });
        match reply {
            Reply::Lines(lines) => {
                let lines = match &filter {
                    Some(f) => f.apply(lines),
                    None => lines,
                };
                self.page(&lines, interactive).await?;
            }
            Reply::Enable => self.enable().await?,
            Reply::Exit => return Ok(Flow::Exit),
            Reply::Ping(request) => self.ping(request).await?,
            Reply::PingDialog => self.ping_dialog().await?,
            Reply::Traceroute(request) => {
                let (sink, rx) = PingSink::channel();
                let run = self.model.traceroute(request, sink);
                self.stream(rx, run).await?;
            }
            Reply::Configure => {
                self.write_lines(&[CONFIGURE_BANNER.to_string()]).await?;
                self.config = Some(ConfigMode::default());
            }
            Reply::CopyRunStart => {
                self.write(write::DESTINATION_PROMPT).await?;
                let answer = self.read_line(Read::Answer).await.ok_or(Closed)?;
                let out = write::copy_to(&self.router, &answer);
                self.write_lines(&out).await?;
            }
        }
        Ok(Flow::Continue)
    }

    async fn reject(
        &mut self,
        reject: &Reject,
        line: &str,
        prompt_len: usize,
    ) -> Result<Flow, Closed> {
        self.write_lines(&unknown::lines(reject, line, prompt_len))
            .await?;
        Ok(Flow::Continue)
    }

    /// Shows `lines` a screen at a time: space for the next screen, Enter for one more line,
    /// any other key (q) to stop, as IOS's `--More--` does.
    async fn page(&mut self, lines: &[String], interactive: bool) -> Result<(), Closed> {
        let screen = match self.state.length {
            0 => usize::MAX,
            _ if !interactive => usize::MAX,
            n => (n as usize).saturating_sub(1).max(1),
        };
        let mut rest = lines;
        let mut budget = screen;
        while !rest.is_empty() {
            let take = budget.min(rest.len());
            self.write_lines(&rest[..take]).await?;
            rest = &rest[take..];
            if rest.is_empty() {
                break;
            }
            self.write(MORE).await?;
            let key = self.key().await;
            self.write(ERASE_MORE).await?;
            budget = match key {
                Some(b' ') => screen,
                Some(b'\r' | b'\n') => 1,
                _ => break,
            };
        }
        Ok(())
    }

    async fn enable(&mut self) -> Result<(), Closed> {
        let secret = self.router.spec.enable_secret.clone();
        if secret.is_empty() {
            return self.write_lines(&[enable::NO_PASSWORD.to_string()]).await;
        }
        for _ in 0..enable::ATTEMPTS {
            self.write(enable::PROMPT).await?;
            let typed = self.read_line(Read::Secret).await.ok_or(Closed)?;
            if enable::accepts(&secret, &typed) {
                self.privileged = true;
                return Ok(());
            }
        }
        self.write_lines(&[enable::BAD_SECRETS.to_string(), String::new()])
            .await
    }

    /// Streams a ping's output as the model produces it (in lab time).
    async fn ping(&mut self, request: PingRequest) -> Result<(), Closed> {
        let (sink, rx) = PingSink::channel();
        let run = self.model.ping(request, sink);
        self.stream(rx, run).await
    }

    /// `ping` alone: one question at a time, then the ping; a bad answer ends the dialog
    /// with IOS's message.
    async fn ping_dialog(&mut self) -> Result<(), Closed> {
        let mut dialog = ping_dialog::Dialog::new();
        while let Some(prompt) = dialog.prompt() {
            self.write(prompt).await?;
            let answer = self.read_line(Read::Answer).await.ok_or(Closed)?;
            if let Err(message) = dialog.answer(&answer) {
                return self.write_lines(&[message]).await;
            }
        }
        match dialog.finish() {
            Some(request) => self.ping(request).await,
            None => Ok(()),
        }
    }

    /// Writes what a running command produces until it ends.
    async fn stream(
        &mut self,
        mut rx: mpsc::UnboundedReceiver<String>,
        mut run: BoxFuture<'static, ()>,
    ) -> Result<(), Closed> {
        // Output that comes over time is shown as it comes.
        self.flush().await?;
        loop {
            tokio::select! {
                biased;
                Some(text) = rx.recv() => {
                    self.write(&crlf(&text)).await?;
                    self.flush().await?;
                }
                _ = &mut run => break,
            }
        }
        while let Ok(text) = rx.try_recv() {
            self.write(&crlf(&text)).await?;
        }
        Ok(())
    }
}

const CONFIGURE_BANNER: &str = "Enter configuration commands, one per line.  End with CNTL/Z.";

fn crlf(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\n', "\r\n")
}

fn invalid_at_char(line: &str, byte: usize) -> Reject {
    Reject::Invalid {
        column: line[..byte].chars().count(),
    }
}

#[cfg(test)]
pub(crate) mod tests;
