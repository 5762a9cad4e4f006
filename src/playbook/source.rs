//! Where things sit in a playbook's text, for messages that name line and column. serde keeps
//! no positions after deserializing, so they are found in the text, in one pass for the steps
//! and with a forward-moving search for their commands: a 20,000-step playbook is read a
//! constant number of times, never once per step.

use std::cell::Cell;
use std::collections::HashMap;

pub struct SourceMap<'a> {
    text: &'a str,
    /// Byte offset of each line's start.
    starts: Vec<usize>,
    /// Step id → line (1-based) of its first `id:` key.
    ids: HashMap<&'a str, usize>,
    /// Lines looked at, building and searching: the proof that loading stays linear.
    visited: Cell<usize>,
}

/// A 1-based line and character column.
pub type Position = (usize, usize);

impl<'a> SourceMap<'a> {
    pub fn new(text: &'a str) -> SourceMap<'a> {
        let mut starts = Vec::new();
        let mut ids = HashMap::new();
        let mut at = 0;
        for (n, line) in text.split_inclusive('\n').enumerate() {
            starts.push(at);
            at += line.len();
            let t = line.trim_start().trim_start_matches("- ").trim_start();
            if let Some(v) = t.strip_prefix("id:") {
                let id = v.trim().trim_matches(['"', '\'']);
                ids.entry(id).or_insert(n + 1);
            }
        }
        SourceMap {
            text,
            visited: Cell::new(starts.len()),
            starts,
            ids,
        }
    }

    /// The line of step `id`.
    pub fn step_line(&self, id: &str) -> Option<usize> {
        self.ids.get(id).copied()
    }

    /// How many lines the map has looked at so far.
    #[cfg(test)]
    pub fn visited(&self) -> usize {
        self.visited.get()
    }

    fn line_text(&self, line: usize) -> Option<&'a str> {
        let start = *self.starts.get(line.checked_sub(1)?)?;
        let end = self.starts.get(line).copied().unwrap_or(self.text.len());
        Some(&self.text[start..end])
    }

    /// The first place at or after `from` (a position) and before line `until` where `needle`
    /// is written on one line.
    pub fn find(&self, needle: &str, from: Position, until: Option<usize>) -> Option<Position> {
        if needle.is_empty() {
            return None;
        }
        let last = until.unwrap_or(self.starts.len() + 1);
        for line in from.0..last {
            self.visited.set(self.visited.get() + 1);
            let text = self.line_text(line)?;
            // On the first line, only after the column already passed.
            let skip = if line == from.0 {
                text.char_indices()
                    .nth(from.1.saturating_sub(1))
                    .map_or(text.len(), |(i, _)| i)
            } else {
                0
            };
            if let Some(i) = text[skip..].find(needle) {
                let col = text[..skip + i].chars().count() + 1;
                return Some((line, col));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_and_commands_are_found_forward() {
        let text = "name: x\nsteps:\n  - id: a\n    command: show udp\n  - kind: show\n    id: \"b\"\n    commands: [show udp, show udp]\n";
        let m = SourceMap::new(text);
        assert_eq!(m.step_line("a"), Some(3));
        assert_eq!(m.step_line("b"), Some(6));
        assert_eq!(m.find("show udp", (3, 1), Some(6)), Some((4, 14)));
        let first = m.find("show udp", (6, 1), None).unwrap();
        assert_eq!(first, (7, 16));
        assert_eq!(m.find("show udp", (7, 17), None), Some((7, 26)));
        assert_eq!(m.find("show ip", (1, 1), None), None);
    }
}
