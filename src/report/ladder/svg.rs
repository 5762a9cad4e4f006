//! The ladder as SVG, for the HTML report: self-contained (no fonts, scripts or images from
//! elsewhere), narrow enough (480 units) to stay legible when a phone scales it down, and
//! XML-clean so that the page parses as XHTML.
//!
//! Every text is device text until proven otherwise: it goes through
//! [`crate::report::device_text`] and then XML escaping.

use super::{Column, End, Ladder, Row, Side, Status};
use crate::report::device_text;
use std::fmt::Write;

const W: u32 = 480;
const XL: u32 = 104;
const XR: u32 = 392;
/// Characters that fit between the lifelines at the mark size, and across the end band.
const MARK_CHARS: usize = 44;
const BAND_CHARS: usize = 66;

/// `&`, `<`, `>`, `"` and `'` as entities: for text and attribute values alike.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Device text, made visible and escaped.
fn t(s: &str) -> String {
    xml_escape(&device_text(s))
}

fn cut(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        return s.to_string();
    }
    let mut out: String = s.chars().take(n.saturating_sub(1)).collect();
    out.push('…');
    out
}

fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let word = cut(word, width);
        let len = line.chars().count();
        if len > 0 && len + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// Draws the ladder; `id` prefixes the element ids, unique per document.
pub fn draw(l: &Ladder, id: &str) -> String {
    let id = xml_escape(id);
    let mut body = String::new();
    let mut y: u32 = 56;
    for row in &l.rows {
        y = match row {
            Row::Arrow(a) => {
                let status = super::status_text(a, &l.left, &l.right);
                let lost = a.status == Status::Lost;
                let (x1, x2) = match a.from {
                    Side::Left => (XL, if lost { XR - 44 } else { XR - 2 }),
                    Side::Right => (XR, if lost { XL + 44 } else { XL + 2 }),
                };
                let colour = if lost { "#c62828" } else { "#222" };
                let sender_seen = match a.from {
                    Side::Left => l.left.seen,
                    Side::Right => l.right.seen,
                };
                let dash = if a.status == Status::Received && sender_seen {
                    r#" stroke-dasharray="5 4""#
                } else {
                    ""
                };
                let head = if lost {
                    String::new()
                } else {
                    format!(r#" marker-end="url(#{id}-head)""#)
                };
                let _ = writeln!(
                    body,
                    r#"<text x="8" y="{}" class="lbl">{}</text>"#,
                    y + 24,
                    t(&a.label)
                );
                let _ = writeln!(
                    body,
                    r#"<text x="{}" y="{}" class="what" text-anchor="middle">{}</text>"#,
                    (XL + XR) / 2,
                    y + 14,
                    t(&cut(&a.what, 40))
                );
                let _ = writeln!(
                    body,
                    r#"<line x1="{x1}" y1="{y2}" x2="{x2}" y2="{y2}" stroke="{colour}" stroke-width="1.6"{dash}{head}/>"#,
                    y2 = y + 20
                );
                if lost {
                    let _ = writeln!(
                        body,
                        r##"<path d="M{a} {b} l8 8 M{a} {c} l8 -8" stroke="#c62828" stroke-width="2"/>"##,
                        a = x2 - 4,
                        b = y + 16,
                        c = y + 24
                    );
                }
                if status.is_empty() {
                    y + 30
                } else {
                    let _ = writeln!(
                        body,
                        r#"<text x="{}" y="{}" class="st{}" text-anchor="middle">{}</text>"#,
                        (XL + XR) / 2,
                        y + 34,
                        if lost { " lost" } else { "" },
                        t(&cut(&status, 52))
                    );
                    y + 42
                }
            }
            Row::Mark { side, text } => {
                let (cx, x, anchor) = match side {
                    Side::Left => (XL, XL + 10, "start"),
                    Side::Right => (XR, XR - 10, "end"),
                };
                let _ = writeln!(
                    body,
                    r##"<circle cx="{cx}" cy="{}" r="4.5" fill="#b26a00"/>"##,
                    y + 10
                );
                let lines = wrap(&device_text(text), MARK_CHARS);
                for (i, line) in lines.iter().enumerate() {
                    let _ = writeln!(
                        body,
                        r#"<text x="{x}" y="{}" class="mark" text-anchor="{anchor}">{}</text>"#,
                        y + 14 + 14 * i as u32,
                        xml_escape(line)
                    );
                }
                y + 10 + 14 * lines.len().max(1) as u32
            }
            Row::Milestone(text) => {
                let _ = writeln!(
                    body,
                    r##"<line x1="{XL}" y1="{m}" x2="{XR}" y2="{m}" stroke="#888" stroke-dasharray="2 3"/>"##,
                    m = y + 11
                );
                let _ = writeln!(
                    body,
                    r#"<text x="{}" y="{}" class="mile" text-anchor="middle">{}</text>"#,
                    (XL + XR) / 2,
                    y + 8,
                    t(text)
                );
                y + 22
            }
        };
    }
    let lifelines_end = y + 6;
    y += 16;
    let (ok, title, note) = match &l.end {
        End::Complete { finding } => (true, "✓ tunnel up".to_string(), finding),
        End::Stopped { after, finding } => (
            false,
            match after {
                Some(m) => format!("✗ stopped after {m}"),
                None => "✗ stopped before the first message".to_string(),
            },
            finding,
        ),
    };
    let title = match note {
        Some(n) => format!("{title}: {} on {}", n.code, n.peers.join(", ")),
        None if !ok => format!("{title}: no finding explains it"),
        None => title,
    };
    let summary = note
        .as_ref()
        .map(|n| wrap(&device_text(&n.summary), BAND_CHARS))
        .unwrap_or_default();
    let band = 12 + 17 * (1 + summary.len() as u32);
    let (fill, stroke) = if ok {
        ("#e8f5e9", "#2e7d32")
    } else {
        ("#fdecea", "#c62828")
    };
    let _ = writeln!(
        body,
        r#"<rect x="4" y="{y}" width="{}" height="{band}" rx="4" fill="{fill}" stroke="{stroke}"/>"#,
        W - 8
    );
    let _ = writeln!(
        body,
        r#"<text x="12" y="{}" class="end">{}</text>"#,
        y + 19,
        t(&title)
    );
    for (i, line) in summary.iter().enumerate() {
        let _ = writeln!(
            body,
            r#"<text x="12" y="{}" class="sum">{}</text>"#,
            y + 36 + 17 * i as u32,
            xml_escape(line)
        );
    }
    y += band + 8;
    for n in &l.notes {
        for line in wrap(&format!("note: {}", device_text(n)), BAND_CHARS + 4) {
            y += 15;
            let _ = writeln!(
                body,
                r#"<text x="8" y="{y}" class="note">{}</text>"#,
                xml_escape(&line)
            );
        }
    }
    let height = y + 10;
    let mut out = String::new();
    let title = format!(
        "IKE exchange between {} and {}",
        device_text(&l.left.name),
        device_text(&l.right.name)
    );
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="ladder" viewBox="0 0 {W} {height}" role="img" aria-labelledby="{id}-title">"#
    );
    let _ = writeln!(
        out,
        r#"<title id="{id}-title">{}</title>"#,
        xml_escape(&title)
    );
    let _ = writeln!(
        out,
        r##"<defs><marker id="{id}-head" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0 0 L10 5 L0 10 z" fill="#222"/></marker></defs>"##
    );
    let _ = writeln!(
        out,
        "<style>text{{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;fill:#222}}.lbl{{font:bold 12px ui-monospace,Menlo,Consolas,monospace}}.what{{font-size:12px}}.st{{font-size:10.5px;font-style:italic;fill:#555}}.lost{{fill:#c62828;font-style:normal;font-weight:bold}}.mark{{font-size:11px;fill:#8a5300}}.mile{{font-size:10.5px;fill:#555;font-style:italic}}.end{{font-size:12.5px;font-weight:bold}}.sum{{font-size:12px}}.note{{font-size:11px;fill:#555}}.hd{{font-size:14px;font-weight:bold}}.sub{{font-size:11px;fill:#555}}</style>"
    );
    for (c, x) in [(&l.left, XL), (&l.right, XR)] {
        header(&mut out, c, x, lifelines_end);
    }
    out.push_str(&body);
    out.push_str("</svg>\n");
    out
}

fn header(out: &mut String, c: &Column, x: u32, end: u32) {
    let _ = writeln!(
        out,
        r#"<text x="{x}" y="18" class="hd" text-anchor="middle">{}</text>"#,
        t(&cut(&c.name, 26))
    );
    let mut parts: Vec<String> = Vec::new();
    if let Some(a) = &c.address {
        parts.push(a.clone());
    }
    if let Some(r) = c.role {
        parts.push(r.to_string());
    }
    if !c.seen {
        parts.push("not seen".to_string());
    }
    let _ = writeln!(
        out,
        r#"<text x="{x}" y="33" class="sub" text-anchor="middle">{}</text>"#,
        t(&cut(&parts.join(", "), 34))
    );
    let dash = if c.seen {
        ""
    } else {
        r#" stroke-dasharray="3 4""#
    };
    let _ = writeln!(
        out,
        r##"<line x1="{x}" y1="42" x2="{x}" y2="{end}" stroke="#444" stroke-width="1.4"{dash}/>"##
    );
}
