//! Playbooks: the ordered show / debug / check / clear steps a run performs on the two routers
//! of a tunnel, as data (`playbooks/*.yaml`, embedded in the binary, overridable by path).
//! The guide's playbook is also a decision tree ([`tree`]): each step may say which step comes
//! next from what was found, what its lines mean, and which lines to point at; its `fix` step
//! (safety class `config`) applies the diagnosis' fix after a typed confirmation.
//! A step, or one command of a list, may say which routers it is for ([`scope`]: IKE version,
//! crypto map or VTI); the runner gives each router what fits its configuration.
//!
//! A playbook is checked completely before any device is touched: unknown keys (with a
//! suggestion), a command outside its step's safety class ([`class`]: checked on the whole
//! command, not its first word), an unknown placeholder or finding code, a duration out of
//! bounds — each is an error naming the file, the line and, for a command, its column.

pub mod class;
pub mod scope;
mod source;
pub mod tree;

use crate::engine::finding::Code;
use crate::yaml::{self, YamlError};
use class::Class;
pub use scope::{Applies, Ike, Scoped, Style};
use serde::Deserialize;
use source::{Position, SourceMap};
use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::path::Path;
use std::time::Duration;

/// Playbooks shipped with the binary: (name, file text).
pub const SHIPPED: &[(&str, &str)] = &[
    ("triage", include_str!("../playbooks/triage.yaml")),
    ("health", include_str!("../playbooks/health.yaml")),
    ("guide", include_str!("../playbooks/guide.yaml")),
];

/// Values a command may refer to; the runner fills them per router.
pub const PLACEHOLDERS: &[&str] = &[
    "peer_address",
    "local_address",
    "local_protected_host",
    "remote_protected_host",
    "local_protected_interface",
    "tunnel_interface",
    "local_tunnel_address",
    "remote_tunnel_address",
];

/// The longest debug window a playbook may ask for: debugs on production routers stay short.
pub const MAX_DEBUG_WINDOW: Duration = Duration::from_secs(600);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Playbook {
    pub name: String,
    pub description: String,
    pub steps: Vec<Step>,
    /// What each finding means, in plain words (the guide's diagnosis).
    pub findings: BTreeMap<Code, String>,
}

impl Playbook {
    pub fn step(&self, id: &str) -> Option<&Step> {
        self.steps.iter().find(|s| s.id == id)
    }

    /// The step written after `id`, where a step without `next:` rules goes.
    pub fn following(&self, id: &str) -> Option<&str> {
        let i = self.steps.iter().position(|s| s.id == id)?;
        self.steps.get(i + 1).map(|s| s.id.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub id: String,
    pub peer: PeerSel,
    pub safety: Safety,
    pub when: When,
    /// The routers the step is for (by IKE version and tunnel style); the others skip it.
    pub applies: Applies,
    pub explain: String,
    pub action: Action,
    /// Line of the step in its file, for messages.
    pub line: usize,
    /// A short name for the guide's headings (the id when not given).
    pub title: String,
    /// Lines of the step's output the guide points at.
    pub highlight: Vec<tree::Pattern>,
    /// What the step showed, in plain words, by what was found.
    pub means: Vec<tree::Meaning>,
    /// Which step the guide proposes next, by what was found.
    pub next: Vec<tree::Rule>,
}

/// What a step does. Closed: the runner has one handler per variant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// A read-only command whose output the engine parses.
    Show { command: String },
    /// Debugs switched on for a bounded window, optionally scoped to the peer, while a trigger
    /// command sends traffic. Each router gets the commands that apply to it.
    Debug {
        commands: Vec<Scoped>,
        condition_peer: bool,
        duration: Duration,
        trigger: Option<Trigger>,
    },
    /// Read-only reachability commands, typically conditional on a finding.
    Check { commands: Vec<Scoped> },
    /// A disruptive `clear` command: runs only when the user allowed it.
    Clear { command: String },
    /// The guide applies the diagnosis' fix (class `config`, after a typed confirmation and
    /// only with `--allow-config`), then runs the `retest` steps on a fresh diagnosis.
    /// Runners other than the guide skip it.
    Fix { retest: Vec<String> },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trigger {
    pub peer: PeerSel,
    pub command: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PeerSel {
    Both,
    A,
    B,
}

impl PeerSel {
    pub fn includes(self, side: PeerSel) -> bool {
        self == PeerSel::Both || self == side
    }
}

/// How intrusive a step is. `read` runs always, `debug` unless the run is read-only,
/// `disruptive` only with an explicit permission, `config` only in the guide, with
/// `--allow-config` and a typed confirmation per router.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Safety {
    Read,
    Debug,
    Disruptive,
    Config,
}

impl fmt::Display for Safety {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Safety::Read => "read",
            Safety::Debug => "debug",
            Safety::Disruptive => "disruptive",
            Safety::Config => "config",
        })
    }
}

/// Runs the step when any of `any` has been found (or `any` is empty) and none of `none` has.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct When {
    #[serde(default)]
    pub any: Vec<Code>,
    #[serde(default)]
    pub none: Vec<Code>,
}

impl When {
    pub fn holds(&self, found: &[Code]) -> bool {
        (self.any.is_empty() || self.any.iter().any(|c| found.contains(c)))
            && !self.none.iter().any(|c| found.contains(c))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaybookError {
    pub file: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

impl fmt::Display for PlaybookError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(l), Some(c)) => write!(f, "{}:{l}:{c}: {}", self.file, self.message),
            (Some(l), None) => write!(f, "{}:{l}: {}", self.file, self.message),
            _ => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for PlaybookError {}

impl From<YamlError> for PlaybookError {
    fn from(e: YamlError) -> PlaybookError {
        PlaybookError {
            file: e.file,
            line: e.line,
            column: e.column,
            message: e.message,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPlaybook {
    name: String,
    #[serde(default)]
    description: String,
    steps: Vec<RawStep>,
    #[serde(default)]
    findings: BTreeMap<Code, String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
enum Kind {
    Show,
    Debug,
    Check,
    Clear,
    Fix,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTrigger {
    peer: PeerSel,
    command: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    id: String,
    kind: Kind,
    peer: PeerSel,
    safety: Safety,
    #[serde(default)]
    when: When,
    #[serde(default)]
    applies: Applies,
    #[serde(default)]
    explain: String,
    command: Option<String>,
    commands: Option<Vec<Scoped>>,
    #[serde(default)]
    condition_peer: bool,
    duration: Option<String>,
    trigger: Option<RawTrigger>,
    title: Option<String>,
    #[serde(default)]
    highlight: Vec<String>,
    #[serde(default)]
    means: Vec<tree::RawMeaning>,
    #[serde(default)]
    next: Vec<tree::RawRule>,
    #[serde(default)]
    retest: Vec<String>,
}

/// A shipped playbook by name.
pub fn shipped(name: &str) -> Option<Result<Playbook, PlaybookError>> {
    SHIPPED
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(n, text)| parse(&format!("playbooks/{n}.yaml"), text))
}

/// Loads a playbook from a file.
pub fn load(path: &Path) -> Result<Playbook, PlaybookError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| PlaybookError {
        file: file.clone(),
        line: None,
        column: None,
        message: format!("cannot read: {e}"),
    })?;
    parse(&file, &text)
}

/// Parses and checks a playbook's text; `file` names it in errors.
pub fn parse(file: &str, text: &str) -> Result<Playbook, PlaybookError> {
    parse_mapped(file, text, &SourceMap::new(text))
}

fn parse_mapped(file: &str, text: &str, map: &SourceMap<'_>) -> Result<Playbook, PlaybookError> {
    let raw: RawPlaybook = yaml::from_str(file, text)?;
    if raw.steps.is_empty() {
        return Err(err(file, None, "the playbook has no steps".into()));
    }
    let lines: Vec<Option<usize>> = raw.steps.iter().map(|r| map.step_line(&r.id)).collect();
    let mut seen = HashSet::new();
    let mut steps = Vec::with_capacity(raw.steps.len());
    for (i, r) in raw.steps.into_iter().enumerate() {
        let line = lines[i];
        if !seen.insert(r.id.clone()) {
            return Err(err(file, line, format!("step `{}` appears twice", r.id)));
        }
        let region = Region {
            map,
            start: line,
            before: i.checked_sub(1).and_then(|p| lines[p]),
            next: lines.get(i + 1).copied().flatten(),
        };
        steps.push(step(r, line, &region).map_err(|e| PlaybookError {
            file: file.to_string(),
            line: e.at.map(|p| p.0).or(line),
            column: e.at.map(|p| p.1),
            message: e.message,
        })?);
    }
    let nodes: Vec<tree::Node<'_>> = steps
        .iter()
        .map(|s| tree::Node {
            id: &s.id,
            line: s.line,
            next: &s.next,
            retest: match &s.action {
                Action::Fix { retest } => retest,
                _ => &[],
            },
            is_fix: matches!(s.action, Action::Fix { .. }),
        })
        .collect();
    tree::check(&nodes).map_err(|e| err(file, Some(e.line).filter(|l| *l > 0), e.message))?;
    if let Some((code, _)) = raw.findings.iter().find(|(_, t)| t.trim().is_empty()) {
        return Err(err(file, None, format!("`findings:` gives {code} no text")));
    }
    Ok(Playbook {
        name: raw.name,
        description: raw.description,
        steps,
        findings: raw.findings,
    })
}

fn err(file: &str, line: Option<usize>, message: String) -> PlaybookError {
    PlaybookError {
        file: file.to_string(),
        line,
        column: None,
        message,
    }
}

/// The lines of one step, to find its commands in: from its `id:` to the next step's, and
/// (for keys written before `id:`) back to the previous step's.
struct Region<'m, 'a> {
    map: &'m SourceMap<'a>,
    start: Option<usize>,
    before: Option<usize>,
    next: Option<usize>,
}

impl Region<'_, '_> {
    /// Where `command` is written, searching after `after` first (commands of a list come in
    /// order), then from the step's start.
    fn locate(&self, command: &str, after: Option<Position>) -> Option<Position> {
        let start = self.start?;
        after
            .and_then(|a| self.map.find(command, (a.0, a.1 + 1), self.next))
            .or_else(|| self.map.find(command, (start, 1), self.next))
            .or_else(|| {
                let from = self.before.map_or(1, |b| b + 1);
                self.map.find(command, (from, 1), Some(start))
            })
    }
}

/// A step refused: the message, and where in the file when a command is at fault.
struct StepError {
    message: String,
    at: Option<Position>,
}

impl From<String> for StepError {
    fn from(message: String) -> StepError {
        StepError { message, at: None }
    }
}

fn step(mut r: RawStep, line: Option<usize>, region: &Region<'_, '_>) -> Result<Step, StepError> {
    let id = r.id.clone();
    let ctx = |m: String| format!("step `{id}`: {m}");
    // Each command checked against the class its place allows; a refusal points at the word.
    let mut cursor: Option<Position> = None;
    let allowed =
        |command: &str, class: Class, cursor: &mut Option<Position>| -> Result<(), StepError> {
            let at = region.locate(command, *cursor);
            if at.is_some() {
                *cursor = at;
            }
            class::check(command, class).map_err(|refusal| StepError {
                message: ctx(refusal.message),
                at: at.map(|(l, c)| (l, c + command[..refusal.at].chars().count())),
            })?;
            placeholders(command).map_err(|m| StepError {
                message: ctx(m),
                at,
            })
        };
    let single = |verb: &str| -> Result<String, String> {
        match (&r.command, &r.commands) {
            (Some(c), None) => Ok(c.clone()),
            _ => Err(ctx(format!("a {verb} step takes exactly one `command`"))),
        }
    };
    let (action, needs) = match r.kind {
        Kind::Show => {
            let command = single("show")?;
            allowed(&command, Class::Show, &mut cursor)?;
            (Action::Show { command }, Safety::Read)
        }
        Kind::Check => {
            let commands = r
                .commands
                .clone()
                .ok_or_else(|| ctx("a check step takes a `commands` list".into()))?;
            for c in &commands {
                allowed(&c.command, Class::Check, &mut cursor)?;
                reachable(&r.applies, c).map_err(ctx)?;
            }
            (Action::Check { commands }, Safety::Read)
        }
        Kind::Clear => {
            let command = single("clear")?;
            allowed(&command, Class::Clear, &mut cursor)?;
            (Action::Clear { command }, Safety::Disruptive)
        }
        Kind::Fix => {
            if r.command.is_some() || r.commands.is_some() {
                return Err(ctx(
                    "a fix step takes no commands: it applies the diagnosis' fix".into(),
                )
                .into());
            }
            (
                Action::Fix {
                    retest: std::mem::take(&mut r.retest),
                },
                Safety::Config,
            )
        }
        Kind::Debug => {
            let commands = r
                .commands
                .clone()
                .ok_or_else(|| ctx("a debug step takes a `commands` list".into()))?;
            for c in &commands {
                allowed(&c.command, Class::Debug, &mut cursor)?;
                reachable(&r.applies, c).map_err(ctx)?;
            }
            let duration = r
                .duration
                .as_deref()
                .ok_or_else(|| ctx("a debug step needs a `duration` (e.g. 30s)".into()))
                .and_then(|d| parse_duration(d).map_err(ctx))?;
            if duration > MAX_DEBUG_WINDOW {
                return Err(ctx(format!(
                    "duration {}s is longer than the {}s a debug may stay on",
                    duration.as_secs(),
                    MAX_DEBUG_WINDOW.as_secs()
                ))
                .into());
            }
            let trigger = match r.trigger {
                Some(t) if t.peer == PeerSel::Both => {
                    return Err(
                        ctx("a trigger runs on one router: `peer: a` or `peer: b`".into()).into(),
                    );
                }
                Some(t) => {
                    allowed(&t.command, Class::Ping, &mut None)?;
                    Some(Trigger {
                        peer: t.peer,
                        command: t.command,
                    })
                }
                None => None,
            };
            (
                Action::Debug {
                    commands,
                    condition_peer: r.condition_peer,
                    duration,
                    trigger,
                },
                Safety::Debug,
            )
        }
    };
    if r.safety != needs {
        return Err(ctx(format!(
            "safety `{}` does not fit this kind of step: it must be `{needs}`",
            r.safety
        ))
        .into());
    }
    if !r.retest.is_empty() {
        return Err(ctx("only a fix step re-tests (`retest:`)".into()).into());
    }
    let highlight = tree::patterns(r.highlight).map_err(ctx)?;
    let means = tree::meanings(r.means).map_err(ctx)?;
    let next = tree::rules(r.next).map_err(ctx)?;
    Ok(Step {
        title: r.title.unwrap_or_else(|| r.id.clone()),
        id: r.id,
        peer: r.peer,
        safety: r.safety,
        when: r.when,
        applies: r.applies,
        explain: r.explain,
        action,
        line: line.unwrap_or(0),
        highlight,
        means,
        next,
    })
}

pub fn commands_of(action: &Action) -> Vec<&String> {
    match action {
        Action::Show { command } | Action::Clear { command } => vec![command],
        Action::Check { commands } => commands.iter().map(|c| &c.command).collect(),
        Action::Debug {
            commands, trigger, ..
        } => commands
            .iter()
            .map(|c| &c.command)
            .chain(trigger.iter().map(|t| &t.command))
            .collect(),
        Action::Fix { .. } => Vec::new(),
    }
}

/// A command whose `applies:` contradicts its step's would never be sent: a mistake.
fn reachable(step: &Applies, c: &Scoped) -> Result<(), String> {
    let clash = matches!((step.ike, c.applies.ike), (Some(a), Some(b)) if a != b)
        || matches!((step.style, c.applies.style), (Some(a), Some(b)) if a != b);
    if clash {
        return Err(format!(
            "`{}` applies to {} but its step to {}: it would never run",
            c.command,
            c.applies.describe(),
            step.describe()
        ));
    }
    Ok(())
}

fn placeholders(command: &str) -> Result<(), String> {
    let mut rest = command;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let close = after
            .find('}')
            .ok_or_else(|| format!("`{command}`: unclosed `{{`"))?;
        let name = &after[..close];
        if !PLACEHOLDERS.contains(&name) {
            return Err(format!(
                "`{command}`: unknown placeholder `{{{name}}}` (known: {})",
                PLACEHOLDERS.join(", ")
            ));
        }
        rest = &after[close + 1..];
    }
    Ok(())
}

/// `30s`, `2m`, `500ms`.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("`{s}` is not a duration (e.g. 30s, 2m, 500ms)"))?;
    match unit {
        "ms" => Ok(Duration::from_millis(n)),
        "s" | "" => Ok(Duration::from_secs(n)),
        "m" => n
            .checked_mul(60)
            .map(Duration::from_secs)
            .ok_or_else(|| format!("`{s}` is too long")),
        _ => Err(format!("`{s}`: unknown unit `{unit}` (use ms, s or m)")),
    }
}

/// A duration for how long debugs stay on (or how long the runner waits inside a debug
/// window): at most [`MAX_DEBUG_WINDOW`], the limit a playbook has too.
pub fn parse_debug_duration(s: &str) -> Result<Duration, String> {
    let d = parse_duration(s)?;
    if d > MAX_DEBUG_WINDOW {
        return Err(format!(
            "`{}` is longer than the {}s a debug may stay on",
            s.trim(),
            MAX_DEBUG_WINDOW.as_secs()
        ));
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_playbooks_load() {
        for (name, _) in SHIPPED {
            let p = shipped(name)
                .expect("listed")
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(&p.name, name);
            assert!(!p.steps.is_empty());
            assert!(
                p.steps.iter().all(|s| !s.explain.is_empty()),
                "{name}: every step explains itself"
            );
        }
    }

    #[test]
    fn triage_runs_the_seed_commands_then_a_debug_window() {
        let p = shipped("triage").unwrap().unwrap();
        let shows: Vec<&str> = p
            .steps
            .iter()
            .filter_map(|s| match &s.action {
                Action::Show { command } => Some(command.as_str()),
                _ => None,
            })
            .collect();
        for want in [
            "show crypto isakmp sa",
            "show crypto isakmp sa detail",
            "show crypto ipsec sa",
            "show crypto session",
            "show crypto map",
            "show crypto isakmp policy",
            "show udp",
            "show debug",
        ] {
            assert!(shows.contains(&want), "{want}");
        }
        assert!(
            shows
                .iter()
                .any(|c| c.starts_with("show running-config | section crypto"))
        );
        let dbg = p
            .steps
            .iter()
            .find(|s| matches!(s.action, Action::Debug { .. }))
            .unwrap();
        assert_eq!(dbg.safety, Safety::Debug);
        let clear = p
            .steps
            .iter()
            .find(|s| matches!(s.action, Action::Clear { .. }))
            .unwrap();
        assert_eq!(clear.safety, Safety::Disruptive);
    }

    fn bad(text: &str) -> PlaybookError {
        parse("bad.yaml", text).unwrap_err()
    }

    #[test]
    fn malformed_playbooks_are_rejected_with_file_and_line() {
        let head = "name: x\nsteps:\n";
        let e = bad(&format!(
            "{head}  - id: a\n    kind: show\n    peer: both\n    safety: read\n    comand: show udp\n"
        ));
        assert_eq!(e.line, Some(7));
        assert!(e.message.contains("did you mean `command`"), "{e}");

        let e = bad(&format!(
            "{head}  - id: a\n    kind: show\n    peer: both\n    safety: read\n    command: clear crypto sa\n"
        ));
        assert_eq!((e.line, e.column), (Some(7), Some(14)));
        assert!(e.to_string().starts_with("bad.yaml:7:14: step `a`:"), "{e}");

        let e = bad(&format!(
            "{head}  - id: s\n    kind: show\n    peer: both\n    safety: read\n    command: \"show udp\\nclear crypto sa\"\n"
        ));
        assert!(e.message.contains("line break"), "{e}");

        let e = bad(&format!(
            "{head}  - id: c\n    kind: clear\n    peer: a\n    safety: read\n    command: clear crypto sa\n"
        ));
        assert!(e.message.contains("must be `disruptive`"), "{e}");

        let e = bad(&format!(
            "{head}  - id: d\n    kind: debug\n    peer: both\n    safety: debug\n    commands: [debug crypto isakmp]\n    duration: 2h\n"
        ));
        assert!(e.message.contains("unknown unit"), "{e}");

        let e = bad(&format!(
            "{head}  - id: d\n    kind: debug\n    peer: both\n    safety: debug\n    commands: [debug crypto isakmp]\n    duration: 20m\n"
        ));
        assert!(e.message.contains("longer than"), "{e}");

        let e = bad(&format!(
            "{head}  - id: p\n    kind: check\n    peer: both\n    safety: read\n    commands: [\"ping {{peer_adress}}\"]\n"
        ));
        assert!(
            e.message.contains("unknown placeholder `{peer_adress}`"),
            "{e}"
        );

        let e = bad(&format!(
            "{head}  - id: w\n    kind: show\n    peer: both\n    safety: read\n    command: show udp\n    when: {{any: [PEER_SILNT]}}\n"
        ));
        assert!(e.line.is_some() && e.message.contains("PEER_SILENT"), "{e}");
    }

    #[test]
    fn steps_and_commands_say_which_routers_they_are_for() {
        let p = parse(
            "ok.yaml",
            "name: x\nsteps:\n  - id: v2\n    kind: show\n    peer: both\n    safety: read\n    applies: {ike: v2, style: vti}\n    command: show interfaces {tunnel_interface}\n  - id: d\n    kind: debug\n    peer: both\n    safety: debug\n    commands:\n      - command: debug crypto ikev2\n        applies: {ike: v2}\n      - debug crypto ipsec\n    duration: 5s\n    trigger:\n      peer: a\n      command: ping {remote_tunnel_address} source {tunnel_interface}\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            p.steps[0].applies,
            Applies {
                ike: Some(Ike::V2),
                style: Some(Style::Vti)
            }
        );
        let Action::Debug { commands, .. } = &p.steps[1].action else {
            panic!("a debug step");
        };
        assert_eq!(commands[0].applies.ike, Some(Ike::V2));
        assert!(commands[1].applies.any());

        let head = "name: x\nsteps:\n";
        let e = bad(&format!(
            "{head}  - id: a\n    kind: show\n    peer: both\n    safety: read\n    applies: {{ike: v3}}\n    command: show udp\n"
        ));
        assert_eq!(e.line, Some(7), "{e}");
        assert!(e.message.contains("v1") && e.message.contains("v2"), "{e}");

        let e = bad(&format!(
            "{head}  - id: a\n    kind: show\n    peer: both\n    safety: read\n    applies: {{styl: vti}}\n    command: show udp\n"
        ));
        assert_eq!(e.line, Some(7), "{e}");
        assert!(e.message.contains("style"), "{e}");

        // A list entry with a misspelt key is named, not "no variant matched".
        let e = bad(&format!(
            "{head}  - id: d\n    kind: debug\n    peer: both\n    safety: debug\n    commands:\n      - comand: debug crypto ikev2\n    duration: 5s\n"
        ));
        assert_eq!(e.line, Some(8), "{e}");
        assert!(e.message.contains("comand"), "{e}");

        // A scoped command is checked against its class like any other, at its column.
        let e = bad(&format!(
            "{head}  - id: d\n    kind: debug\n    peer: both\n    safety: debug\n    commands:\n      - command: debug all\n        applies: {{ike: v2}}\n    duration: 5s\n"
        ));
        assert_eq!((e.line, e.column), (Some(8), Some(24)), "{e}");

        // A command for IKEv1 routers in a step for IKEv2 routers would never run.
        let e = bad(&format!(
            "{head}  - id: c\n    kind: check\n    peer: both\n    safety: read\n    applies: {{ike: v2}}\n    commands:\n      - command: show crypto isakmp sa\n        applies: {{ike: v1}}\n"
        ));
        assert!(e.message.contains("would never run"), "{e}");
        assert!(e.to_string().starts_with("bad.yaml:3: step `c`"), "{e}");

        let e = bad(&format!(
            "{head}  - id: t\n    kind: show\n    peer: both\n    safety: read\n    command: show interfaces {{tunnel_interfce}}\n"
        ));
        assert!(e.message.contains("unknown placeholder"), "{e}");
        assert!(e.message.contains("tunnel_interface"), "{e}");
    }

    #[test]
    fn commands_outside_their_class_are_refused_at_their_column() {
        let head = "name: x\nsteps:\n";
        let e = bad(&format!(
            "{head}  - id: a\n    kind: show\n    peer: both\n    safety: read\n    command: show running-config | redirect flash:x\n"
        ));
        assert_eq!((e.line, e.column), (Some(7), Some(36)), "{e}");
        assert!(e.message.contains("| redirect"), "{e}");

        // The second command of a flow list, found after the first.
        let e = bad(&format!(
            "{head}  - id: d\n    kind: debug\n    peer: both\n    safety: debug\n    commands: [debug crypto isakmp, debug all]\n    duration: 5s\n"
        ));
        assert_eq!((e.line, e.column), (Some(7), Some(43)), "{e}");
        assert!(e.to_string().starts_with("bad.yaml:7:43: step `d`:"), "{e}");

        let e = bad(&format!(
            "{head}  - id: c\n    kind: clear\n    peer: a\n    safety: disruptive\n    command: clear ip bgp *\n"
        ));
        assert_eq!((e.line, e.column), (Some(7), Some(20)), "{e}");

        let e = bad(&format!(
            "{head}  - id: t\n    kind: debug\n    peer: both\n    safety: debug\n    commands:\n      - debug crypto isakmp\n    duration: 5s\n    trigger:\n      peer: a\n      command: ping 10.0.0.1 ; reload\n"
        ));
        assert_eq!((e.line, e.column), (Some(12), Some(30)), "{e}");

        let e = bad(&format!(
            "{head}  - id: k\n    kind: check\n    peer: both\n    safety: read\n    commands:\n      - show udp\n      - show run | tee tftp://10.9.9.9/x\n"
        ));
        assert_eq!((e.line, e.column), (Some(9), Some(20)), "{e}");
    }

    #[test]
    fn loading_reads_the_text_a_constant_number_of_times() {
        // Quadratic loading (each step searched from the top) took 64 s for 20,000 steps. The
        // count of lines looked at says whether it is linear, without timing anything; the
        // time is measured by `cargo bench --bench playbook_load`.
        let mut text = String::from("name: big\nsteps:\n");
        let steps = 2_000;
        for i in 0..steps {
            text.push_str(&format!(
                "  - id: s{i}\n    kind: check\n    peer: both\n    safety: read\n    commands: [show udp, \"ping {{peer_address}} repeat 2\"]\n    explain: step {i}\n"
            ));
        }
        let map = SourceMap::new(&text);
        let p = parse_mapped("big.yaml", &text, &map).unwrap();
        assert_eq!(p.steps.len(), steps);
        assert_eq!(p.steps[steps - 1].line, 3 + 6 * (steps - 1));
        let lines = text.lines().count();
        assert!(
            map.visited() <= 3 * lines,
            "{} lines looked at for a {lines}-line playbook",
            map.visited()
        );
    }

    #[test]
    fn the_guide_tree_answers_every_finding() {
        let p = shipped("guide").unwrap().unwrap();
        for code in Code::ALL {
            assert!(
                p.findings.contains_key(&code),
                "guide.yaml: no words for {code}"
            );
        }
        // Whatever a negotiation shows, the tree knows where to go from it.
        let watch = p.step("watch").expect("a watch step");
        for code in Code::ALL {
            assert!(
                watch.next.iter().any(|r| r.cond.found.contains(&code)),
                "guide.yaml: watch has no rule for {code}"
            );
        }
        let fix = p.step("fix").expect("a fix step");
        assert_eq!(fix.safety, Safety::Config);
        let Action::Fix { retest } = &fix.action else {
            panic!("fix is a fix step");
        };
        assert!(retest.iter().any(|r| {
            p.step(r)
                .is_some_and(|s| matches!(s.action, Action::Clear { .. }))
        }));
        assert!(p.steps.iter().all(|s| !s.title.is_empty()));
    }

    #[test]
    fn malformed_trees_are_refused_with_file_and_line() {
        let step = |id: &str, extra: &str| {
            format!(
                "  - id: {id}\n    kind: show\n    peer: both\n    safety: read\n    command: show udp\n    explain: x\n{extra}"
            )
        };
        let head = "name: t\nsteps:\n";
        let e = bad(&format!(
            "{head}{}{}",
            step("a", "    next:\n      - goto: phase2\n"),
            step("phase1", "")
        ));
        assert_eq!(e.line, Some(3), "{e}");
        assert!(e.message.contains("`phase2` is not a step"), "{e}");
        assert!(e.message.contains("did you mean `phase1`?"), "{e}");

        let e = bad(&format!(
            "{head}{}{}",
            step("a", ""),
            step("b", "    next:\n      - goto: a\n")
        ));
        assert!(e.message.contains("makes a loop"), "{e}");
        assert_eq!(e.line, Some(9), "{e}");

        let e = bad(&format!(
            "{head}{}{}",
            step("a", "    next:\n      - goto: end\n"),
            step("orphan", "")
        ));
        assert!(e.message.contains("`orphan` is never reached"), "{e}");

        let e = bad(&format!(
            "{head}{}",
            step(
                "a",
                "    next:\n      - state: [MM_NO_SATE]\n        goto: end\n"
            )
        ));
        assert!(
            e.message.contains("`MM_NO_SATE` is not a phase 1 state"),
            "{e}"
        );

        let e = bad(&format!(
            "{head}{}",
            step("a", "    highlight: ['(unclosed']\n")
        ));
        assert!(e.message.contains("not a regular expression"), "{e}");

        let e = bad(&format!(
            "{head}{}",
            step(
                "a",
                "    means:\n      - cause: [no_rute]\n        say: x\n"
            )
        ));
        assert!(e.message.contains("no_route"), "{e}");

        let e = bad(&format!("{head}{}", step("a", "    retest: [a]\n")));
        assert!(e.message.contains("only a fix step re-tests"), "{e}");

        let e = bad(&format!(
            "{head}  - id: f\n    kind: fix\n    peer: both\n    safety: disruptive\n    explain: x\n"
        ));
        assert!(e.message.contains("must be `config`"), "{e}");
        let e = bad(&format!(
            "{head}  - id: f\n    kind: fix\n    peer: both\n    safety: config\n    command: write memory\n    explain: x\n"
        ));
        assert!(e.message.contains("takes no commands"), "{e}");
        // A configuration class of its own: no read, debug or disruptive step may carry one.
        let e = bad(&format!(
            "{head}  - id: c\n    kind: clear\n    peer: a\n    safety: config\n    command: clear crypto sa\n    explain: x\n"
        ));
        assert!(e.message.contains("must be `disruptive`"), "{e}");
    }

    #[test]
    fn when_conditions() {
        let w = When {
            any: vec![Code::PeerSilent],
            none: vec![Code::TunnelUp],
        };
        assert!(w.holds(&[Code::PeerSilent]));
        assert!(!w.holds(&[Code::PeerSilent, Code::TunnelUp]));
        assert!(!w.holds(&[]));
        assert!(When::default().holds(&[]));
    }
}
