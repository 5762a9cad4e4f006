//! What the session says, kept as entries and said twice: on stdout as it happens (plain, or
//! styled with `console` on a terminal), and at the end as Markdown for a ticket
//! (`--transcript FILE`).
//!
//! Text from a router passes through the redaction table and has its control characters made
//! visible in both renderings, so a key or a terminal escape in an answer reaches neither the
//! screen nor the ticket. The engineer's answers are echoed only when the input is not a
//! terminal (a terminal already shows what was typed); a secret never is.

use super::highlight::Excerpt;
use crate::engine::finding::Finding;
use crate::report::ladder::{self, Ladder, term::Charset};
use crate::report::markdown::fence_safe;
use crate::secret::redact;
use crate::visible::visible;
use console::Style;
use std::fmt::Write as _;
use std::io::Write;

/// One thing the session said or heard.
#[derive(Debug, Clone)]
pub enum Entry {
    /// The session's first words.
    Title {
        tunnel: String,
        routers: (String, String),
    },
    /// A step begins: its number, title, safety class and why it is there.
    Step {
        number: usize,
        title: String,
        class: String,
        why: String,
    },
    /// The commands a step will send, per router.
    Plan(Vec<(String, String)>),
    /// What an intrusive step does to the routers.
    Caution(String),
    /// A question; the answer follows.
    Ask(String),
    /// The answer as typed (`*****` for a secret).
    Answer(String),
    /// The lines of an output worth reading.
    Shown(Excerpt),
    /// A whole output, on request.
    Raw {
        router: String,
        source: String,
        text: String,
    },
    /// The IKE exchange as the routers logged it, drawn as a ladder.
    Ladder(Box<Ladder>),
    /// What the step's lines mean.
    Means(String),
    /// The step proposed next, and why.
    Next(String),
    Note(String),
    /// Something the engineer must not miss (debug not confirmed off, a refusal).
    Warn(String),
    /// A finding of the diagnosis, with its plain-words meaning.
    Finding {
        finding: Box<Finding>,
        meaning: Option<String>,
    },
    /// Configuration lines for one router (secrets redacted when shown).
    Config {
        router: String,
        lines: Vec<String>,
    },
    /// The final report, already rendered (text and Markdown).
    Report {
        text: String,
        markdown: String,
    },
}

/// The session's voice: prints each entry as it comes, keeps them all for the Markdown.
pub struct Transcript {
    out: Box<dyn Write + Send>,
    color: bool,
    /// Answers are echoed (the input is not a terminal).
    echo: bool,
    /// How the ladder is drawn on stdout (the Markdown always uses box drawing).
    charset: Charset,
    entries: Vec<Entry>,
}

/// Router or file text made safe to show: secrets hidden, control characters visible.
fn safe(s: &str) -> String {
    visible(&redact(s)).into_owned()
}

/// A fix line: one whose key is still the engine's placeholder (`<same key on both routers>`)
/// is shown whole, since the placeholder is no secret; any other line is [`safe`].
fn fix_line(s: &str) -> String {
    if super::fix::key_placeholder(s).is_some() {
        visible(s).into_owned()
    } else {
        safe(s)
    }
}

impl Transcript {
    pub fn new(out: Box<dyn Write + Send>, color: bool, echo: bool) -> Transcript {
        Transcript {
            out,
            color,
            echo,
            charset: Charset::Unicode,
            entries: Vec::new(),
        }
    }

    /// Whether stdout is coloured.
    pub fn color(&self) -> bool {
        self.color
    }

    /// Draws ladders on stdout with `charset` (ASCII where the locale is not UTF-8).
    pub fn with_charset(mut self, charset: Charset) -> Transcript {
        self.charset = charset;
        self
    }

    pub fn say(&mut self, e: Entry) {
        let text = self.text(&e);
        // A closed stdout (a pipe to `head`) is no reason to stop a session with debugs on.
        let _ = self.out.write_all(text.as_bytes());
        let _ = self.out.flush();
        self.entries.push(e);
    }

    fn style(&self, s: Style) -> Style {
        if self.color {
            s.force_styling(true)
        } else {
            s.force_styling(false)
        }
    }

    /// One entry as stdout shows it.
    fn text(&self, e: &Entry) -> String {
        let bold = self.style(Style::new().bold());
        let dim = self.style(Style::new().dim());
        let head = self.style(Style::new().bold().cyan());
        let warn = self.style(Style::new().bold().yellow());
        let hit = self.style(Style::new().yellow());
        let cited = self.style(Style::new().bold().red());
        let mut out = String::new();
        match e {
            Entry::Title { tunnel, routers } => {
                let _ = writeln!(
                    out,
                    "{} {} ({} and {})",
                    bold.apply_to("ipsec-doctor guide:"),
                    safe(tunnel),
                    safe(&routers.0),
                    safe(&routers.1)
                );
                let _ = writeln!(
                    out,
                    "{}",
                    dim.apply_to(
                        "At each prompt: g go on, s skip, r repeat the last step, o its raw output, q quit (debugs are switched off first)."
                    )
                );
            }
            Entry::Step {
                number,
                title,
                class,
                why,
            } => {
                let _ = writeln!(
                    out,
                    "\n{} {}",
                    head.apply_to(format!("── Step {number}: {title}")),
                    dim.apply_to(format!("[{class}]"))
                );
                let _ = writeln!(out, "{why}");
            }
            Entry::Plan(commands) => {
                for (router, c) in commands {
                    let _ = writeln!(
                        out,
                        "  {} {}",
                        dim.apply_to(format!("{}#", safe(router))),
                        safe(c)
                    );
                }
            }
            Entry::Caution(t) => {
                let _ = writeln!(out, "{} {t}", warn.apply_to("!"));
            }
            Entry::Ask(q) => {
                let _ = write!(out, "{} ", bold.apply_to(q));
            }
            Entry::Answer(a) => {
                if self.echo {
                    let _ = writeln!(out, "{}", safe(a));
                }
            }
            Entry::Shown(x) => {
                let _ = writeln!(
                    out,
                    "{}",
                    dim.apply_to(format!("{} {}:", safe(&x.router), safe(&x.source)))
                );
                for l in &x.lines {
                    let text = visible(&l.text).into_owned();
                    let line = if l.evidence {
                        format!(
                            "  {} {}",
                            cited.apply_to(format!("► {:>4}", l.number)),
                            cited.apply_to(text)
                        )
                    } else {
                        format!(
                            "    {} {}",
                            dim.apply_to(format!("{:>4}", l.number)),
                            hit.apply_to(text)
                        )
                    };
                    let _ = writeln!(out, "{line}");
                }
                if x.more > 0 {
                    let _ = writeln!(
                        out,
                        "    {}",
                        dim.apply_to(format!(
                            "… {} more such line(s); o shows the whole output",
                            x.more
                        ))
                    );
                }
            }
            Entry::Raw {
                router,
                source,
                text,
            } => {
                let _ = writeln!(
                    out,
                    "{}",
                    dim.apply_to(format!("── {} {} ──", safe(router), safe(source)))
                );
                for l in text.lines() {
                    let _ = writeln!(out, "{}", safe(l));
                }
            }
            Entry::Ladder(l) => {
                let _ = writeln!(
                    out,
                    "{}",
                    dim.apply_to("The exchange, as the routers logged it:")
                );
                out.push_str(&ladder::term::draw(l, self.charset, self.color));
            }
            Entry::Means(t) => {
                let _ = writeln!(out, "{} {t}", bold.apply_to("What it means:"));
            }
            Entry::Next(t) => {
                let _ = writeln!(out, "{} {t}", dim.apply_to("Next:"));
            }
            Entry::Note(t) => {
                let _ = writeln!(out, "{}", safe(t));
            }
            Entry::Warn(t) => {
                let _ = writeln!(out, "{} {}", warn.apply_to("warning:"), safe(t));
            }
            Entry::Finding { finding, meaning } => {
                let f = finding;
                let cause = f
                    .cause
                    .map(|c| format!(" (cause: {})", c.as_str()))
                    .unwrap_or_default();
                let _ = writeln!(
                    out,
                    "\n{} on {}{cause}",
                    cited.apply_to(f.code.as_str()),
                    safe(&f.peer)
                );
                if let Some(m) = meaning {
                    let _ = writeln!(out, "{m}");
                }
                let _ = writeln!(out, "{}", safe(&f.summary));
                for ev in f.evidence.iter().take(6) {
                    let _ = writeln!(
                        out,
                        "  {} {}",
                        dim.apply_to(format!(
                            "{} {}:{}",
                            safe(&ev.peer),
                            safe(&ev.source),
                            ev.line
                        )),
                        safe(ev.text.trim())
                    );
                }
                if f.evidence.len() > 6 {
                    let _ = writeln!(
                        out,
                        "  {}",
                        dim.apply_to(format!(
                            "… and {} more evidence line(s) in the report",
                            f.evidence.len() - 6
                        ))
                    );
                }
            }
            Entry::Config { router, lines } => {
                let _ = writeln!(
                    out,
                    "{}",
                    bold.apply_to(format!("On {} (configure terminal):", safe(router)))
                );
                for l in lines {
                    let _ = writeln!(out, "    {}", fix_line(l));
                }
            }
            Entry::Report { text, .. } => {
                let _ = writeln!(out, "\n{text}");
            }
        }
        out
    }

    /// The whole session as Markdown, for a ticket.
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        // Consecutive lines of one kind share a fenced block.
        let mut fence = false;
        let close = |out: &mut String, fence: &mut bool| {
            if *fence {
                out.push_str("```\n");
                *fence = false;
            }
        };
        for e in &self.entries {
            if !matches!(e, Entry::Plan(_)) {
                close(&mut out, &mut fence);
            }
            match e {
                Entry::Title { tunnel, routers } => {
                    let _ = writeln!(
                        out,
                        "# ipsec-doctor guide: {} ({} and {})\n",
                        md(tunnel),
                        md(&routers.0),
                        md(&routers.1)
                    );
                }
                Entry::Step {
                    number,
                    title,
                    class,
                    why,
                } => {
                    let _ = writeln!(
                        out,
                        "\n## Step {number}: {} ({class})\n\n{}\n",
                        md(title),
                        md(why)
                    );
                }
                Entry::Plan(commands) => {
                    if !fence {
                        out.push_str("```text\n");
                        fence = true;
                    }
                    for (router, c) in commands {
                        let _ = writeln!(out, "{}# {}", code(router), code(c));
                    }
                }
                Entry::Caution(t) => {
                    let _ = writeln!(out, "\n> **Intrusive:** {}\n", md(t));
                }
                Entry::Ask(q) => {
                    let _ = write!(out, "\n> {} ", md(q));
                }
                Entry::Answer(a) => {
                    let _ = writeln!(out, "`{}`\n", md(a).replace('`', "'"));
                }
                Entry::Shown(x) => {
                    let _ = writeln!(
                        out,
                        "\n{} `{}`:\n\n```text",
                        md(&x.router),
                        md(&x.source).replace('`', "'")
                    );
                    for l in &x.lines {
                        let mark = if l.evidence { "►" } else { " " };
                        let _ = writeln!(out, "{mark} {:>4}  {}", l.number, code(&l.text));
                    }
                    if x.more > 0 {
                        let _ = writeln!(out, "  … {} more such line(s)", x.more);
                    }
                    out.push_str("```\n");
                }
                Entry::Raw {
                    router,
                    source,
                    text,
                } => {
                    let _ = writeln!(
                        out,
                        "\n{} `{}`, whole output:\n\n```text",
                        md(router),
                        md(source).replace('`', "'")
                    );
                    for l in text.lines() {
                        let _ = writeln!(out, "{}", code(l));
                    }
                    out.push_str("```\n");
                }
                Entry::Ladder(l) => {
                    let _ = writeln!(out, "\nThe exchange, as the routers logged it:\n\n```text");
                    for line in ladder::term::draw(l, Charset::Unicode, false).lines() {
                        let _ = writeln!(out, "{}", fence_safe(line));
                    }
                    out.push_str("```\n");
                }
                Entry::Means(t) => {
                    let _ = writeln!(out, "\n**What it means:** {}", md(t));
                }
                Entry::Next(t) => {
                    let _ = writeln!(out, "\n*Next:* {}", md(t));
                }
                Entry::Note(t) => {
                    let _ = writeln!(out, "\n{}", md(t));
                }
                Entry::Warn(t) => {
                    let _ = writeln!(out, "\n> **Warning:** {}", md(t));
                }
                Entry::Finding { finding, meaning } => {
                    let f = finding;
                    let cause = f
                        .cause
                        .map(|c| format!(" (cause `{}`)", c.as_str()))
                        .unwrap_or_default();
                    let _ = writeln!(out, "\n### `{}` on {}{cause}\n", f.code, md(&f.peer));
                    if let Some(m) = meaning {
                        let _ = writeln!(out, "{}\n", md(m));
                    }
                    let _ = writeln!(out, "{}\n", md(&f.summary));
                    if !f.evidence.is_empty() {
                        out.push_str("```text\n");
                        for ev in &f.evidence {
                            let _ = writeln!(
                                out,
                                "{} {}:{}  {}",
                                code(&ev.peer),
                                code(&ev.source),
                                ev.line,
                                code(ev.text.trim())
                            );
                        }
                        out.push_str("```\n");
                    }
                }
                Entry::Config { router, lines } => {
                    let _ = writeln!(
                        out,
                        "\nOn {} (`configure terminal`):\n\n```text",
                        md(router)
                    );
                    for l in lines {
                        let _ = writeln!(out, "{}", fence_safe(&fix_line(l)));
                    }
                    out.push_str("```\n");
                }
                Entry::Report { markdown, .. } => {
                    let _ = writeln!(out, "\n---\n\n{markdown}");
                }
            }
        }
        close(&mut out, &mut fence);
        out
    }
}

/// Text inside a fenced block: secrets hidden, controls visible, no fence closed early.
fn code(s: &str) -> String {
    fence_safe(&safe(s)).into_owned()
}

/// Text in the body of the Markdown: secrets hidden, controls visible, nothing taken for
/// markup that would hide or rearrange it (`<…>` would vanish as HTML).
fn md(s: &str) -> String {
    safe(s).replace('<', "&lt;").replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);

    impl Write for Sink {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn secrets_and_escapes_reach_neither_stdout_nor_the_ticket() {
        let sink = Sink::default();
        let mut t = Transcript::new(Box::new(sink.clone()), false, true);
        t.say(Entry::Config {
            router: "R2".into(),
            lines: vec!["crypto isakmp key S3cr3t-K address 203.0.113.1".into()],
        });
        t.say(Entry::Raw {
            router: "R1".into(),
            source: "show running-config".into(),
            text: "crypto isakmp key S3cr3t-K address 203.0.113.2\nbanner \x1b]52;c;AAAA\x07\n```"
                .into(),
        });
        t.say(Entry::Ask("Type R2 to apply:".into()));
        t.say(Entry::Answer("R2".into()));
        let stdout = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        let md = t.markdown();
        for text in [&stdout, &md] {
            assert!(!text.contains("S3cr3t-K"), "{text}");
            assert!(!text.contains('\x1b'), "{text}");
            assert!(text.contains("\\x1b]52"), "{text}");
            assert!(
                text.contains("crypto isakmp key ***** address 203.0.113.1"),
                "{text}"
            );
        }
        assert!(stdout.contains("Type R2 to apply: R2\n"), "{stdout}");
        // A device's fence cannot close the block early.
        assert_eq!(md.matches("```text").count(), 2, "{md}");
        assert!(!md.contains("\n```\n```"), "{md}");
    }
}
