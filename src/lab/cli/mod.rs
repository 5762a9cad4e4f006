//! The IOS command line of one session: prompt, line editing, `enable`, the `| filter`s and
//! the `--More--` pager, over any byte stream (an SSH channel in the lab, a pair of channels
//! in tests).
//!
//! A [`Shell`] reads keystrokes from an [`Input`] and writes to a [`Terminal`]; it never sees
//! SSH. It ends when the user exits or either side goes away.

pub mod filter;
pub mod grammar;

use crate::lab::commands::{self, Exec, Reply, enable, unknown};
use crate::lab::model::{PingRequest, PingSink, RouterModel};
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

pub struct Shell<T> {
    router: Arc<Router>,
    model: Arc<dyn RouterModel>,
    term: T,
    input: Input,
    state: TermState,
    privileged: bool,
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
        }
    }

    fn prompt(&self) -> String {
        let mark = if self.privileged { '#' } else { '>' };
        format!("{}{mark}", self.router.name())
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
            let Some(line) = self.read_line(true).await else {
                return;
            };
            match self.execute(&line, prompt.chars().count(), true).await {
                Ok(Flow::Continue) => {}
                Ok(Flow::Exit) => break,
                Err(Closed) => return,
            }
        }
        self.term.close(None).await;
    }

    /// A one-shot command (`ssh R1 "show clock"`): output without prompt or pager, then close.
    pub async fn run_exec(mut self, line: &str) {
        self.state.length = 0;
        if self.execute(line, 0, false).await.is_ok() {
            self.term.close(Some(0)).await;
        }
    }

    async fn write(&mut self, text: &str) -> Result<(), Closed> {
        self.term.write(text.as_bytes().to_vec()).await
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
    async fn read_line(&mut self, echo: bool) -> Option<String> {
        let mut line = String::new();
        // Echo of keys that arrived together goes out as one write: a pasted or scripted
        // command is one SSH packet back, not one per character.
        let mut echoed = String::new();
        loop {
            let key = self.input.key().await?;
            let out: String = match key {
                b'\r' | b'\n' => {
                    echoed.push_str("\r\n");
                    self.write(&echoed).await.ok()?;
                    return Some(line);
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
                // Cursor keys (ESC [ A …): history and editing are not simulated.
                0x1b => {
                    let next = self.input.key().await?;
                    if next == b'[' || next == b'O' {
                        self.input.key().await?;
                    }
                    String::new()
                }
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

    async fn execute(
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
        let level = if self.privileged {
            Level::Privileged
        } else {
            Level::User
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
            let key = self.input.key().await;
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
            let typed = self.read_line(false).await.ok_or(Closed)?;
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
        let (sink, mut rx) = PingSink::channel();
        let mut run = self.model.ping(request, sink);
        loop {
            tokio::select! {
                biased;
                Some(text) = rx.recv() => self.write(&crlf(&text)).await?,
                _ = &mut run => break,
            }
        }
        while let Ok(text) = rx.try_recv() {
            self.write(&crlf(&text)).await?;
        }
        Ok(())
    }
}

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
