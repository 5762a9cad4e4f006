//! The engineer's answers: read a line at a time, from a terminal, a pipe or a test.
//!
//! Lines are read on demand by one thread (stdin cannot be read without blocking, nor a read
//! be cancelled), so a key typed at the no-echo prompt is read by that prompt and never by
//! another. On a terminal the key is read with echo off (`dialoguer`'s password prompt); from
//! a pipe it is the next line. The end of input is an answer too: it quits, so a script that
//! runs out of answers never lets a step run unasked.

use crate::secret::Secret;
use std::io::BufRead;
use tokio::sync::mpsc;

/// What the thread is asked to read next.
enum Want {
    Line,
    Secret { prompt: String },
}

/// Where answers come from.
pub struct Input {
    answers: mpsc::UnboundedReceiver<String>,
    /// Asks the reading thread for the next answer; absent when answers are pushed (tests).
    asks: Option<std::sync::mpsc::Sender<Want>>,
    /// A line was asked for and has not been taken yet (its prompt timed out).
    pending: bool,
    terminal: bool,
}

/// Pushes answers into an [`Input`] (tests, library users); dropping it ends the input.
pub type Feeder = mpsc::UnboundedSender<String>;

impl Input {
    /// Answers from standard input; `terminal` when it is one (the key is then read without
    /// echo).
    pub fn stdin(terminal: bool) -> Input {
        let (tx, rx) = mpsc::unbounded_channel();
        let (ask_tx, ask_rx) = std::sync::mpsc::channel::<Want>();
        // Detached on purpose: a read cannot be cancelled, and the process ends without it.
        std::thread::spawn(move || {
            let stdin = std::io::stdin();
            while let Ok(want) = ask_rx.recv() {
                let answer = match want {
                    Want::Line => {
                        let mut line = String::new();
                        match stdin.lock().read_line(&mut line) {
                            Ok(0) | Err(_) => break,
                            Ok(_) => line,
                        }
                    }
                    Want::Secret { prompt } if terminal => {
                        match dialoguer::Password::new()
                            .with_prompt(prompt)
                            .allow_empty_password(true)
                            .interact()
                        {
                            Ok(key) => key,
                            Err(_) => break,
                        }
                    }
                    Want::Secret { .. } => {
                        let mut line = String::new();
                        match stdin.lock().read_line(&mut line) {
                            Ok(0) | Err(_) => break,
                            Ok(_) => line,
                        }
                    }
                };
                let answer = answer.trim_end_matches(['\r', '\n']).to_string();
                if tx.send(answer).is_err() {
                    break;
                }
            }
        });
        Input {
            answers: rx,
            asks: Some(ask_tx),
            pending: false,
            terminal,
        }
    }

    /// Answers pushed through the returned sender, as if typed on a pipe.
    pub fn feed() -> (Feeder, Input) {
        let (tx, rx) = mpsc::unbounded_channel();
        (
            tx,
            Input {
                answers: rx,
                asks: None,
                pending: false,
                terminal: false,
            },
        )
    }

    /// Whether answers come from a terminal (the engineer's typing is echoed by it).
    pub fn is_terminal(&self) -> bool {
        self.terminal
    }

    /// The next line; `None` at the end of input. Cancel-safe: a line asked for by a prompt
    /// that gave up is the next prompt's answer.
    pub async fn line(&mut self) -> Option<String> {
        if !self.pending {
            if let Some(asks) = &self.asks
                && asks.send(Want::Line).is_err()
            {
                return None;
            }
            self.pending = true;
        }
        let answer = self.answers.recv().await;
        self.pending = false;
        answer
    }

    /// A secret, never echoed nor kept anywhere but in the returned value. `None` at the end
    /// of input.
    pub async fn secret(&mut self, prompt: &str) -> Option<Secret> {
        if self.pending {
            // A line read is under way (an earlier prompt gave up): it must not take the key.
            self.line().await?;
        }
        if let Some(asks) = &self.asks
            && asks
                .send(Want::Secret {
                    prompt: prompt.to_string(),
                })
                .is_err()
        {
            return None;
        }
        self.pending = true;
        let answer = self.answers.recv().await;
        self.pending = false;
        answer.map(Secret::new)
    }
}

/// The terminal's settings as the session found them, put back when it ends: a key prompt
/// cut short by Ctrl-C or SIGTERM would otherwise leave the terminal without echo.
pub struct TerminalGuard(Option<nix::sys::termios::Termios>);

impl TerminalGuard {
    /// Saves stdin's terminal settings, when stdin is a terminal.
    pub fn save() -> TerminalGuard {
        TerminalGuard(nix::sys::termios::tcgetattr(std::io::stdin()).ok())
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        if let Some(t) = &self.0 {
            let _ = nix::sys::termios::tcsetattr(
                std::io::stdin(),
                nix::sys::termios::SetArg::TCSANOW,
                t,
            );
        }
    }
}

/// What the engineer may answer at a step's prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    /// Run the step proposed.
    GoOn,
    /// Do not run it; decide the next step from what is known.
    Skip,
    /// Run the step just done again.
    Repeat,
    /// Show the whole output of the step just done.
    Raw,
    /// Stop here: debugs off, then the diagnosis so far.
    Quit,
}

impl Choice {
    /// The letter and the word shown in the prompt.
    pub fn label(self) -> (&'static str, &'static str) {
        match self {
            Choice::GoOn => ("g", "go on"),
            Choice::Skip => ("s", "skip"),
            Choice::Repeat => ("r", "repeat the last step"),
            Choice::Raw => ("o", "show its raw output"),
            Choice::Quit => ("q", "quit"),
        }
    }

    /// An answer as typed: the letter or the word, any case.
    pub fn parse(answer: &str) -> Option<Choice> {
        let a = answer.trim().to_ascii_lowercase();
        let table: &[(&[&str], Choice)] = &[
            (&["g", "go", "go on", "y", "yes"], Choice::GoOn),
            (&["s", "skip"], Choice::Skip),
            (&["r", "repeat"], Choice::Repeat),
            (&["o", "raw", "output"], Choice::Raw),
            (&["q", "quit", "exit"], Choice::Quit),
        ];
        table
            .iter()
            .find(|(words, _)| words.contains(&a.as_str()))
            .map(|(_, c)| *c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_by_letter_or_word() {
        assert_eq!(Choice::parse("g"), Some(Choice::GoOn));
        assert_eq!(Choice::parse(" Go on "), Some(Choice::GoOn));
        assert_eq!(Choice::parse("SKIP"), Some(Choice::Skip));
        assert_eq!(Choice::parse("o"), Some(Choice::Raw));
        assert_eq!(Choice::parse("q"), Some(Choice::Quit));
        assert_eq!(Choice::parse(""), None);
        assert_eq!(Choice::parse("maybe"), None);
    }

    #[tokio::test]
    async fn fed_answers_then_the_end() {
        let (tx, mut input) = Input::feed();
        tx.send("g".into()).unwrap();
        tx.send("k3y".into()).unwrap();
        drop(tx);
        assert_eq!(input.line().await.as_deref(), Some("g"));
        assert_eq!(input.secret("key").await.unwrap().expose(), "k3y");
        assert_eq!(input.line().await, None);
    }

    #[tokio::test]
    async fn a_line_asked_by_a_prompt_that_gave_up_answers_the_next() {
        let (tx, mut input) = Input::feed();
        let gave_up =
            tokio::time::timeout(std::time::Duration::from_millis(10), input.line()).await;
        assert!(gave_up.is_err());
        tx.send("q".into()).unwrap();
        assert_eq!(input.line().await.as_deref(), Some("q"));
    }
}
