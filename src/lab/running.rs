//! A router's configuration as IOS keeps it: the running-config is a list of lines, some with
//! indented lines under them, and it is the one source of truth. Configuration mode edits the
//! lines; the typed model every other part reads ([`crate::ios::RunningConfig`]) is derived
//! from them again after each change, so the IKE model sees a fixed key the way IOS does.
//! `write memory` copies the lines to the startup-config.
//!
//! The tree is built only on the first edit: a fleet of a thousand routers that nobody
//! configures keeps its boot text and one typed model shared between its copies.

use crate::ios::RunningConfig;
use std::sync::{Arc, Mutex, MutexGuard};

/// One configuration line and the lines indented under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The line as printed, its indentation included.
    pub text: String,
    pub children: Vec<Entry>,
}

impl Entry {
    fn new(text: String) -> Entry {
        Entry {
            text,
            children: Vec::new(),
        }
    }

    /// The line without its indentation.
    pub fn line(&self) -> &str {
        self.text.trim_start()
    }

    fn indent(&self) -> usize {
        self.text.len() - self.line().len()
    }
}

/// Where an edit happens: the top level, or under the top-level line `parent`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    Top,
    Under(String),
}

/// Top-level families in the order `show running-config` prints them; a new line goes after
/// the last line of its own family or of one printed before it.
pub const SECTIONS: &[&str] = &[
    "version",
    "service",
    "hostname",
    "boot",
    "enable",
    "aaa",
    "ip domain",
    "username",
    "crypto",
    "interface",
    "ip forward-protocol",
    "ip http",
    "ip route",
    "ip access-list",
    "access-list",
    "control-plane",
    "line",
    "end",
];

fn section_rank(order: &[&str], line: &str) -> Option<usize> {
    let line = line.strip_prefix("no ").unwrap_or(line);
    order
        .iter()
        .position(|s| line == *s || line.strip_prefix(s).is_some_and(|r| r.starts_with(' ')))
}

/// The running-config as a tree of lines.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Running {
    pub top: Vec<Entry>,
}

impl Running {
    /// Lines indented deeper than the line above them belong to it.
    pub fn parse(text: &str) -> Running {
        let mut top: Vec<Entry> = Vec::new();
        for raw in text.lines() {
            let raw = raw.trim_end_matches('\r');
            if raw.trim().is_empty() {
                continue;
            }
            let entry = Entry::new(raw.to_string());
            match top.last_mut() {
                Some(parent) if entry.indent() > 0 && parent.indent() == 0 => {
                    parent.children.push(entry)
                }
                _ => top.push(entry),
            }
        }
        Running { top }
    }

    pub fn lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        for e in &self.top {
            out.push(e.text.clone());
            out.extend(e.children.iter().map(|c| c.text.clone()));
        }
        out
    }

    pub fn render(&self) -> String {
        let mut text = String::new();
        for l in self.lines() {
            text.push_str(&l);
            text.push('\n');
        }
        text
    }

    fn container(&mut self, scope: &Scope) -> Option<&mut Vec<Entry>> {
        match scope {
            Scope::Top => Some(&mut self.top),
            Scope::Under(parent) => self
                .top
                .iter_mut()
                .find(|e| e.line() == parent)
                .map(|e| &mut e.children),
        }
    }

    /// The lines of `scope` (without indentation).
    pub fn lines_in(&self, scope: &Scope) -> Vec<String> {
        let list = match scope {
            Scope::Top => &self.top,
            Scope::Under(parent) => match self.top.iter().find(|e| e.line() == parent) {
                Some(e) => &e.children,
                None => return Vec::new(),
            },
        };
        list.iter().map(|e| e.line().to_string()).collect()
    }

    pub fn has_top(&self, line: &str) -> bool {
        self.top.iter().any(|e| e.line() == line)
    }

    /// Replaces the first line of `scope` that `same` picks (keeping what is under it) and
    /// drops any other it picks; with none, adds `line` where IOS would print it: after the
    /// last line of its family or of one `order` puts before it.
    pub fn upsert(
        &mut self,
        scope: &Scope,
        line: &str,
        same: impl Fn(&str) -> bool,
        order: &[&str],
    ) {
        let Some(list) = self.container(scope) else {
            return;
        };
        let indent = if *scope == Scope::Top { "" } else { " " };
        let text = format!("{indent}{line}");
        if let Some(i) = list.iter().position(|e| same(e.line())) {
            list[i].text = text;
            let mut k = i + 1;
            while k < list.len() {
                if same(list[k].line()) {
                    list.remove(k);
                } else {
                    k += 1;
                }
            }
            return;
        }
        let at = insertion_point(list, line, order, *scope == Scope::Top);
        list.insert(at, Entry::new(text));
    }

    /// Adds `line` at the end of `scope` (an access list's next entry).
    pub fn append(
        &mut self,
        scope: &Scope,
        line: &str,
        after: impl Fn(&str) -> bool,
        order: &[&str],
    ) {
        let Some(list) = self.container(scope) else {
            return;
        };
        let indent = if *scope == Scope::Top { "" } else { " " };
        let at = match list.iter().rposition(|e| after(e.line())) {
            Some(i) => i + 1,
            None => insertion_point(list, line, order, *scope == Scope::Top),
        };
        list.insert(at, Entry::new(format!("{indent}{line}")));
    }

    /// Inserts `line` at position `index` of `scope` (bounded by its length).
    pub fn insert_at(&mut self, scope: &Scope, index: usize, line: &str) {
        if let Some(list) = self.container(scope) {
            let at = index.min(list.len());
            list.insert(at, Entry::new(format!(" {line}")));
        }
    }

    /// Removes every line of `scope` that `same` picks; how many went.
    pub fn remove(&mut self, scope: &Scope, same: impl Fn(&str) -> bool) -> usize {
        let Some(list) = self.container(scope) else {
            return 0;
        };
        let before = list.len();
        list.retain(|e| !same(e.line()));
        before - list.len()
    }

    /// Renames the top-level line `old` (a transform set given new transforms).
    pub fn rename_top(&mut self, old: &str, new: &str) {
        if let Some(e) = self.top.iter_mut().find(|e| e.line() == old) {
            e.text = new.to_string();
        }
    }
}

fn insertion_point(list: &[Entry], line: &str, order: &[&str], top: bool) -> usize {
    let fallback = if top { before_end(list) } else { list.len() };
    let Some(rank) = section_rank(order, line) else {
        return fallback;
    };
    let last = list
        .iter()
        .rposition(|e| section_rank(order, e.line()).is_some_and(|r| r <= rank));
    match last {
        Some(i) => i + 1,
        // Nothing of its rank or before it: ahead of the first line ranked after it.
        None => list
            .iter()
            .position(|e| section_rank(order, e.line()).is_some())
            .unwrap_or(fallback),
    }
}

fn before_end(list: &[Entry]) -> usize {
    list.iter()
        .rposition(|e| e.line() == "end")
        .unwrap_or(list.len())
}

/// What a change did, for the messages IOS logs about it.
#[derive(Debug, Clone)]
pub struct Change {
    pub before: Arc<RunningConfig>,
    pub after: Arc<RunningConfig>,
}

#[derive(Debug)]
struct State {
    boot: String,
    /// Built from `boot` on the first edit.
    running: Option<Running>,
    typed: Option<Arc<RunningConfig>>,
    /// Bumped by every edit, so views derived from the config know to rebuild.
    version: u64,
    /// `None` until the first `write memory`: the startup-config is the boot config.
    startup: Option<String>,
}

/// One router's running- and startup-config.
#[derive(Debug)]
pub struct ConfigStore(Mutex<State>);

impl ConfigStore {
    pub fn new(boot: &str) -> ConfigStore {
        ConfigStore(Mutex::new(State {
            boot: boot.to_string(),
            running: None,
            typed: None,
            version: 0,
            startup: None,
        }))
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Plain data: still consistent if a holder panicked.
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Hands over an already parsed model of the boot config (parsed once for many copies).
    pub fn seed(&self, typed: Arc<RunningConfig>) {
        let mut s = self.lock();
        if s.running.is_none() {
            s.typed = Some(typed);
        }
    }

    /// The typed model of the running-config and the edit count it reflects.
    pub fn snapshot(&self) -> (u64, Arc<RunningConfig>) {
        let mut s = self.lock();
        if s.typed.is_none() {
            let text = match &s.running {
                Some(r) => r.render(),
                None => s.boot.clone(),
            };
            s.typed = Some(Arc::new(crate::ios::parse(&text).config));
        }
        let typed = s.typed.clone().unwrap_or_default();
        (s.version, typed)
    }

    /// How many edits the running-config has had.
    pub fn snapshot_version(&self) -> u64 {
        self.lock().version
    }

    pub fn typed(&self) -> Arc<RunningConfig> {
        self.snapshot().1
    }

    /// The running-config's lines, as `show running-config` prints them after its header.
    pub fn lines(&self) -> Vec<String> {
        let s = self.lock();
        match &s.running {
            Some(r) => r.lines(),
            None => boot_lines(&s.boot),
        }
    }

    /// The startup-config's lines.
    pub fn startup_lines(&self) -> Vec<String> {
        let s = self.lock();
        match &s.startup {
            Some(text) => boot_lines(text),
            None => boot_lines(&s.boot),
        }
    }

    /// Applies `edit` to the running-config and derives the typed model again.
    pub fn edit<R>(&self, edit: impl FnOnce(&mut Running) -> R) -> (R, Change) {
        let mut s = self.lock();
        let before = match &s.typed {
            Some(t) => t.clone(),
            None => Arc::new(crate::ios::parse(&s.boot).config),
        };
        let boot = s.boot.clone();
        let running = s.running.get_or_insert_with(|| Running::parse(&boot));
        let result = edit(running);
        let after = Arc::new(crate::ios::parse(&running.render()).config);
        s.typed = Some(after.clone());
        s.version += 1;
        (result, Change { before, after })
    }

    /// `write memory`: the running-config becomes the startup-config.
    pub fn save(&self) {
        let mut s = self.lock();
        let text = match &s.running {
            Some(r) => r.render(),
            None => s.boot.clone(),
        };
        s.startup = Some(text);
    }
}

fn boot_lines(text: &str) -> Vec<String> {
    // Blank lines stay: the typed model's line numbers count them.
    text.lines()
        .map(|l| l.trim_end_matches('\r').to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "!\nhostname R1\n!\ncrypto isakmp policy 10\n encr aes 256\n group 14\ncrypto isakmp key old address 203.0.113.2\n!\ninterface Gi0/0\n ip address 203.0.113.1 255.255.255.0\n!\naccess-list 101 permit ip any any\n!\nend\n";

    #[test]
    fn parse_and_render_round_trip() {
        let r = Running::parse(TEXT);
        assert_eq!(r.render(), TEXT);
        assert_eq!(
            r.lines_in(&Scope::Under("crypto isakmp policy 10".into())),
            ["encr aes 256", "group 14"]
        );
    }

    #[test]
    fn upsert_replaces_in_place_and_inserts_by_section() {
        let mut r = Running::parse(TEXT);
        r.upsert(
            &Scope::Top,
            "crypto isakmp key new address 203.0.113.2",
            |l| l.starts_with("crypto isakmp key ") && l.ends_with(" address 203.0.113.2"),
            SECTIONS,
        );
        assert!(
            r.render()
                .contains("crypto isakmp key new address 203.0.113.2\n!\ninterface")
        );
        assert!(!r.render().contains("old"));
        r.upsert(
            &Scope::Top,
            "ip route 0.0.0.0 0.0.0.0 203.0.113.254",
            |l| l == "ip route 0.0.0.0 0.0.0.0 203.0.113.254",
            SECTIONS,
        );
        let lines = r.lines();
        let route = lines
            .iter()
            .position(|l| l.starts_with("ip route"))
            .unwrap();
        let acl = lines
            .iter()
            .position(|l| l.starts_with("access-list"))
            .unwrap();
        assert!(route < acl, "{lines:?}");
        let policy = Scope::Under("crypto isakmp policy 10".into());
        let order = &["encr", "hash", "authentication", "group", "lifetime"];
        r.upsert(&policy, "hash md5", |l| l.starts_with("hash "), order);
        r.upsert(&policy, "group 5", |l| l.starts_with("group "), order);
        assert_eq!(r.lines_in(&policy), ["encr aes 256", "hash md5", "group 5"]);
        assert_eq!(r.remove(&policy, |l| l.starts_with("hash ")), 1);
        assert_eq!(r.lines_in(&policy), ["encr aes 256", "group 5"]);
    }

    #[test]
    fn the_store_derives_the_typed_model_and_keeps_startup_apart() {
        let store = ConfigStore::new(TEXT);
        let (v0, typed) = store.snapshot();
        assert_eq!(typed.isakmp_policies[0].group.0, 14);
        let (_, change) = store.edit(|r| {
            r.upsert(
                &Scope::Under("crypto isakmp policy 10".into()),
                "group 5",
                |l| l.starts_with("group "),
                &[],
            )
        });
        assert_eq!(change.before.isakmp_policies[0].group.0, 14);
        assert_eq!(change.after.isakmp_policies[0].group.0, 5);
        let (v1, typed) = store.snapshot();
        assert!(v1 > v0);
        assert_eq!(typed.isakmp_policies[0].group.0, 5);
        assert!(store.startup_lines().contains(&" group 14".to_string()));
        store.save();
        assert!(store.startup_lines().contains(&" group 5".to_string()));
    }
}
