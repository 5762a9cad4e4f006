//! The ladder as terminal text: two lifelines, one row per message, marks on the lifeline of
//! the router that logged them, and the end with its finding.
//!
//! ```text
//!         R1                                     R2
//!         203.0.113.1, initiator                 203.0.113.2, responder
//!   MM1   │─ SA proposal ───────────────────────▶│
//!   MM2   │◀────────────────────────── SA chosen ─│
//! ```
//!
//! Box-drawing characters when the terminal's locale is UTF-8, plain ASCII otherwise
//! ([`Charset`]); the choice is the caller's, so golden tests pin either.

use super::{Arrow, Column, End, Ladder, Row, Side, Status};
use crate::report::device_text;
use std::fmt::Write;

/// Which characters draw the picture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charset {
    /// Box drawing and arrows (U+2500 block): for UTF-8 terminals.
    Unicode,
    /// `|`, `-`, `>`: for anything else.
    Ascii,
}

struct Glyphs {
    line: char,
    dash: char,
    life: char,
    unseen: char,
    right: char,
    left: char,
    lost: char,
    mark: char,
    dot: char,
    stop: char,
    done: char,
}

const UNICODE: Glyphs = Glyphs {
    line: '─',
    dash: '┄',
    life: '│',
    unseen: '┆',
    right: '▶',
    left: '◀',
    lost: '✗',
    mark: '●',
    dot: '·',
    stop: '✗',
    done: '✓',
};

const ASCII: Glyphs = Glyphs {
    line: '-',
    dash: '.',
    life: '|',
    unseen: ':',
    right: '>',
    left: '<',
    lost: 'x',
    mark: 'o',
    dot: '.',
    stop: 'x',
    done: '+',
};

/// The label column ("  QM1 ").
const GUTTER: usize = 7;
/// Characters between the two lifelines.
const SPAN: usize = 40;
/// Where wrapped text (the finding's summary, notes) ends.
const WIDTH: usize = 88;

fn paint(on: bool, code: &str, s: &str) -> String {
    if on {
        format!("\x1b[{code}m{s}\x1b[0m")
    } else {
        s.to_string()
    }
}

/// The first `n` characters of `s`, marked with `…` (or `~`) when cut.
fn fit(s: &str, n: usize, ascii: bool) -> String {
    if s.chars().count() <= n {
        return s.to_string();
    }
    let mut out: String = s.chars().take(n.saturating_sub(1)).collect();
    out.push(if ascii { '~' } else { '…' });
    out
}

fn pad(s: &str, n: usize) -> String {
    let len = s.chars().count();
    format!("{s}{}", " ".repeat(n.saturating_sub(len)))
}

fn repeat(c: char, n: usize) -> String {
    std::iter::repeat_n(c, n).collect()
}

/// Greedy word wrap at `width` characters, each line after the first indented by `indent`.
fn wrap(text: &str, first: usize, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut room = width.saturating_sub(first);
    for word in text.split_whitespace() {
        let len = line.chars().count();
        if len > 0 && len + 1 + word.chars().count() > room {
            lines.push(std::mem::take(&mut line));
            room = width.saturating_sub(first);
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// Draws the ladder; `color` adds ANSI colours (red for what never arrived and for the stop).
pub fn draw(l: &Ladder, charset: Charset, color: bool) -> String {
    let ascii = charset == Charset::Ascii;
    let g = if ascii { &ASCII } else { &UNICODE };
    let life = |c: &Column| if c.seen { g.life } else { g.unseen };
    let (ll, rl) = (life(&l.left), life(&l.right));
    let blank = format!("{}{ll}{}{rl}", " ".repeat(GUTTER), " ".repeat(SPAN));
    let mut out = String::new();
    let head = |c: &Column| fit(&device_text(&c.name), SPAN, ascii);
    let detail = |c: &Column| {
        let mut parts: Vec<String> = Vec::new();
        if let Some(a) = &c.address {
            parts.push(device_text(a).into_owned());
        }
        if let Some(r) = c.role {
            parts.push(r.to_string());
        }
        if !c.seen {
            parts.push("not seen".to_string());
        }
        fit(&parts.join(", "), SPAN, ascii)
    };
    let _ = writeln!(
        out,
        "{}{}{}",
        " ".repeat(GUTTER),
        pad(&head(&l.left), SPAN + 1),
        head(&l.right)
    );
    let _ = writeln!(
        out,
        "{}{}{}",
        " ".repeat(GUTTER),
        paint(color, "2", &pad(&detail(&l.left), SPAN + 1)),
        paint(color, "2", &detail(&l.right))
    );
    let _ = writeln!(out, "{blank}");
    for row in &l.rows {
        let line = match row {
            Row::Arrow(a) => {
                let status = super::status_text(a, &l.left, &l.right);
                let status = if ascii {
                    status.replace('×', "x")
                } else {
                    status
                };
                let sender = match a.from {
                    Side::Left => &l.left,
                    Side::Right => &l.right,
                };
                let inner = arrow(a, g, ascii, sender.seen);
                let inner = if a.status == Status::Lost {
                    paint(color, "31", &inner)
                } else {
                    inner
                };
                let status = match status.as_str() {
                    "" => String::new(),
                    s if a.status == Status::Lost => format!("  {}", paint(color, "31", s)),
                    s => format!("  {s}"),
                };
                format!("  {} {ll}{inner}{rl}{status}", pad(&a.label, GUTTER - 3))
            }
            Row::Mark { side, text } => {
                let text = device_text(text);
                let text = if ascii {
                    text.replace('×', "x")
                } else {
                    text.into_owned()
                };
                let (a, b) = match side {
                    Side::Left => (g.mark, rl),
                    Side::Right => (ll, g.mark),
                };
                format!(
                    "{}{a}{}{b}  {}",
                    " ".repeat(GUTTER),
                    " ".repeat(SPAN),
                    paint(color, "33", &text)
                )
            }
            Row::Milestone(text) => {
                let text = format!(" {text} ");
                let len = text.chars().count().min(SPAN);
                let before = (SPAN - len) / 2;
                format!(
                    "{}{ll}{}{}{}{rl}",
                    " ".repeat(GUTTER),
                    repeat(g.dot, before),
                    fit(&text, SPAN, ascii),
                    repeat(g.dot, SPAN - len - before)
                )
            }
        };
        let _ = writeln!(out, "{}", line.trim_end());
    }
    let _ = writeln!(out, "{blank}");
    end(&mut out, l, g, color);
    for n in &l.notes {
        let n = device_text(n);
        for (i, w) in wrap(&format!("note: {n}"), GUTTER + 2, WIDTH)
            .iter()
            .enumerate()
        {
            let indent = if i == 0 { GUTTER } else { GUTTER + 6 };
            let _ = writeln!(out, "{}{}", " ".repeat(indent), paint(color, "2", w));
        }
    }
    if ascii { out.replace('×', "x") } else { out }
}

fn arrow(a: &Arrow, g: &Glyphs, ascii: bool, sender_seen: bool) -> String {
    // Dashed: the sender was logging but did not log this message.
    let body = if a.status == Status::Received && sender_seen {
        g.dash
    } else {
        g.line
    };
    let what = fit(&device_text(&a.what), SPAN - 10, ascii);
    let words = what.chars().count() + 2;
    // A message that never arrived stops short of the receiver's lifeline.
    let short = if a.status == Status::Lost { 4 } else { 0 };
    let fill = SPAN.saturating_sub(words + 2 + short);
    match (a.from, a.status == Status::Lost) {
        (Side::Left, false) => format!("{body} {what} {}{}", repeat(body, fill), g.right),
        (Side::Left, true) => format!("{body} {what} {} {}  ", repeat(body, fill + 1), g.lost),
        (Side::Right, false) => format!("{}{} {what} {body}", g.left, repeat(body, fill)),
        (Side::Right, true) => format!("  {} {} {what} {body}", g.lost, repeat(body, fill + 1)),
    }
}

fn end(out: &mut String, l: &Ladder, g: &Glyphs, color: bool) {
    let (glyph, head, note, code) = match &l.end {
        End::Complete { finding } => (g.done, "tunnel up".to_string(), finding, "32"),
        End::Stopped { after, finding } => {
            let head = match after {
                Some(m) => format!("stopped after {m}"),
                None => "stopped before the first message".to_string(),
            };
            (g.stop, head, finding, "1;31")
        }
    };
    let title = match note {
        Some(n) => format!("{head}: {} on {}", n.code, n.peers.join(", ")),
        None if matches!(l.end, End::Stopped { .. }) => {
            format!("{head}: no finding explains it")
        }
        None => head,
    };
    let _ = writeln!(
        out,
        "{}{}",
        " ".repeat(GUTTER),
        paint(color, code, &format!("{glyph} {}", device_text(&title)))
    );
    if let Some(n) = note {
        for w in wrap(&device_text(&n.summary), GUTTER + 2, WIDTH) {
            let _ = writeln!(out, "{}{w}", " ".repeat(GUTTER + 2));
        }
    }
}
