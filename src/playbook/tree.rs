//! The guide's decision tree, on top of a playbook's steps: which step comes next, chosen from
//! what was found (`next:`), what the lines mean (`means:`), and which lines to point at
//! (`highlight:`).
//!
//! A step without `next:` is followed by the step written after it (so a linear playbook is a
//! tree with one branch); with `next:`, the first rule whose condition holds picks the step,
//! and when none holds the session ends at the diagnosis (`end`). The tree is checked when
//! the playbook loads, before any router is touched: every target exists, no path loops
//! (a session always ends), and every step can be reached.

use crate::engine::finding::{Code, SilenceCause};
use crate::engine::parse::show::isakmp_sa::Phase1State;
use regex::Regex;
use serde::Deserialize;
use std::collections::HashMap;

/// The target that ends the walk at the diagnosis.
pub const END: &str = "end";

/// The state name meaning "neither router has a phase 1 SA with its peer".
pub const NO_SA: &str = "NONE";

/// What is known when a rule is judged: the codes of the findings so far, and the phase 1
/// states the routers' latest `show crypto isakmp sa` list.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub codes: Vec<Code>,
    /// The causes of the `PEER_SILENT` findings.
    pub causes: Vec<SilenceCause>,
    /// IOS state names (`MM_NO_STATE`, `QM_IDLE`…); empty when no row was seen.
    pub states: Vec<String>,
}

/// Holds when any of `found` was found, any of `cause` is the cause of a silent peer, and any
/// of `state` is a router's phase 1 state (`NONE`: no SA at all); an empty list does not
/// constrain.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cond {
    pub found: Vec<Code>,
    pub cause: Vec<SilenceCause>,
    pub state: Vec<String>,
}

impl Cond {
    pub fn holds(&self, facts: &Facts) -> bool {
        let found = self.found.is_empty() || self.found.iter().any(|c| facts.codes.contains(c));
        let state = self.state.is_empty()
            || self.state.iter().any(|s| {
                if s == NO_SA {
                    facts.states.is_empty()
                } else {
                    facts.states.iter().any(|x| x == s)
                }
            });
        let cause = self.cause.is_empty() || self.cause.iter().any(|c| facts.causes.contains(c));
        found && cause && state
    }
}

/// `next:` — go to `goto` when `cond` holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub cond: Cond,
    /// A step id, or [`END`].
    pub goto: String,
}

/// `means:` — when `cond` holds, `say` tells in plain words what the step showed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meaning {
    pub cond: Cond,
    pub say: String,
}

/// A regular expression naming the lines of a step's output worth pointing at.
#[derive(Debug, Clone)]
pub struct Pattern(pub Regex);

impl PartialEq for Pattern {
    fn eq(&self, other: &Pattern) -> bool {
        self.0.as_str() == other.0.as_str()
    }
}

impl Eq for Pattern {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRule {
    #[serde(default)]
    found: Vec<Code>,
    #[serde(default)]
    cause: Vec<SilenceCause>,
    #[serde(default)]
    state: Vec<String>,
    goto: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMeaning {
    #[serde(default)]
    found: Vec<Code>,
    #[serde(default)]
    cause: Vec<SilenceCause>,
    #[serde(default)]
    state: Vec<String>,
    say: String,
}

fn cond(found: Vec<Code>, cause: Vec<SilenceCause>, state: Vec<String>) -> Result<Cond, String> {
    for s in &state {
        if s != NO_SA && Phase1State::from_ios(s) == Phase1State::Other {
            return Err(format!(
                "`{s}` is not a phase 1 state IOS prints (QM_IDLE, MM_NO_STATE, MM_SA_SETUP, MM_KEY_EXCH, MM_KEY_AUTH, AG_…) nor {NO_SA}"
            ));
        }
    }
    Ok(Cond {
        found,
        cause,
        state,
    })
}

pub(super) fn rules(raw: Vec<RawRule>) -> Result<Vec<Rule>, String> {
    raw.into_iter()
        .map(|r| {
            Ok(Rule {
                cond: cond(r.found, r.cause, r.state)?,
                goto: r.goto,
            })
        })
        .collect()
}

pub(super) fn meanings(raw: Vec<RawMeaning>) -> Result<Vec<Meaning>, String> {
    raw.into_iter()
        .map(|m| {
            if m.say.trim().is_empty() {
                return Err("a `means:` entry needs its `say:` text".to_string());
            }
            Ok(Meaning {
                cond: cond(m.found, m.cause, m.state)?,
                say: m.say,
            })
        })
        .collect()
}

pub(super) fn patterns(raw: Vec<String>) -> Result<Vec<Pattern>, String> {
    raw.into_iter()
        .map(|p| {
            Regex::new(&p)
                .map(Pattern)
                .map_err(|e| format!("highlight pattern `{p}` is not a regular expression: {e}"))
        })
        .collect()
}

/// One step as the tree sees it: its id, its line, where it may go, and the steps it runs
/// again after a fix (`retest:`).
pub(super) struct Node<'a> {
    pub id: &'a str,
    pub line: usize,
    pub next: &'a [Rule],
    pub retest: &'a [String],
    pub is_fix: bool,
}

/// A tree refused: the message, and the line of the step at fault.
pub(super) struct TreeError {
    pub line: usize,
    pub message: String,
}

/// The steps a node may be followed by: its rules' targets, or (without rules) the step
/// written after it.
fn successors<'a>(nodes: &'a [Node<'a>], i: usize) -> Vec<&'a str> {
    if nodes[i].next.is_empty() {
        nodes.get(i + 1).map(|n| n.id).into_iter().collect()
    } else {
        nodes[i]
            .next
            .iter()
            .map(|r| r.goto.as_str())
            .filter(|g| *g != END)
            .collect()
    }
}

/// Checks the tree: targets, loops, reachability, retest lists.
pub(super) fn check(nodes: &[Node<'_>]) -> Result<(), TreeError> {
    let index: HashMap<&str, usize> = nodes.iter().enumerate().map(|(i, n)| (n.id, i)).collect();
    let unknown = |n: &Node<'_>, what: &str, target: &str| {
        let close = nodes
            .iter()
            .map(|m| m.id)
            .chain([END])
            .find(|m| crate::yaml::similar(target, m));
        let hint = close.map_or(String::new(), |c| format!("; did you mean `{c}`?"));
        TreeError {
            line: n.line,
            message: format!(
                "step `{}`: {what} `{target}` is not a step of this playbook (nor `{END}`){hint}",
                n.id
            ),
        }
    };
    for n in nodes {
        for r in n.next {
            if r.goto != END && !index.contains_key(r.goto.as_str()) {
                return Err(unknown(n, "goto", &r.goto));
            }
        }
        if !n.retest.is_empty() && !n.is_fix {
            return Err(TreeError {
                line: n.line,
                message: format!("step `{}`: only a fix step re-tests (`retest:`)", n.id),
            });
        }
        for t in n.retest {
            match index.get(t.as_str()) {
                None => return Err(unknown(n, "retest step", t)),
                Some(&j) if nodes[j].is_fix => {
                    return Err(TreeError {
                        line: n.line,
                        message: format!(
                            "step `{}`: the re-test cannot hold a fix step (`{t}`)",
                            n.id
                        ),
                    });
                }
                Some(_) => {}
            }
        }
    }
    // A path that loops would walk for ever: depth-first, colouring each step.
    #[derive(Clone, Copy, PartialEq)]
    enum Colour {
        New,
        Open,
        Done,
    }
    let mut colour = vec![Colour::New; nodes.len()];
    for start in 0..nodes.len() {
        if colour[start] != Colour::New {
            continue;
        }
        let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
        colour[start] = Colour::Open;
        while let Some(&mut (i, ref mut k)) = stack.last_mut() {
            let succ = successors(nodes, i);
            if let Some(next) = succ.get(*k) {
                *k += 1;
                let j = index[next];
                match colour[j] {
                    Colour::Open => {
                        return Err(TreeError {
                            line: nodes[i].line,
                            message: format!(
                                "step `{}`: going to `{next}` makes a loop; a guided session must always reach its end",
                                nodes[i].id
                            ),
                        });
                    }
                    Colour::New => {
                        colour[j] = Colour::Open;
                        stack.push((j, 0));
                    }
                    Colour::Done => {}
                }
            } else {
                colour[i] = Colour::Done;
                stack.pop();
            }
        }
    }
    // Every step reachable from the first, through `next` or a fix's `retest`.
    let mut seen = vec![false; nodes.len()];
    let mut todo = vec![0];
    while let Some(i) = todo.pop() {
        if std::mem::replace(&mut seen[i], true) {
            continue;
        }
        for s in successors(nodes, i) {
            todo.push(index[s]);
        }
        for t in nodes[i].retest {
            let j = index[t.as_str()];
            if !seen[j] {
                seen[j] = true;
            }
        }
    }
    if let Some(i) = seen.iter().position(|s| !s) {
        return Err(TreeError {
            line: nodes[i].line,
            message: format!(
                "step `{}` is never reached: no `next:` rule goes to it and no fix re-tests with it",
                nodes[i].id
            ),
        });
    }
    Ok(())
}

/// The step after `current` given the facts: `Some(id)`, or `None` for the end.
pub fn next_step<'a>(
    rules: &'a [Rule],
    following: Option<&'a str>,
    facts: &Facts,
) -> Option<&'a str> {
    if rules.is_empty() {
        return following;
    }
    rules
        .iter()
        .find(|r| r.cond.holds(facts))
        .map(|r| r.goto.as_str())
        .filter(|g| *g != END)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_on_codes_and_states() {
        let facts = Facts {
            codes: vec![Code::P1NoResponse, Code::PeerSilent],
            causes: vec![SilenceCause::NoRoute],
            states: vec!["MM_NO_STATE".into()],
        };
        let c = |found: Vec<Code>, state: Vec<&str>| Cond {
            found,
            cause: Vec::new(),
            state: state.into_iter().map(String::from).collect(),
        };
        let by_cause = |cause: SilenceCause| Cond {
            cause: vec![cause],
            ..Cond::default()
        };
        assert!(by_cause(SilenceCause::NoRoute).holds(&facts));
        assert!(!by_cause(SilenceCause::IkeBlocked).holds(&facts));
        assert!(c(vec![], vec![]).holds(&facts));
        assert!(c(vec![Code::P1NoResponse], vec![]).holds(&facts));
        assert!(!c(vec![Code::TunnelUp], vec![]).holds(&facts));
        assert!(c(vec![], vec!["MM_KEY_EXCH", "MM_NO_STATE"]).holds(&facts));
        assert!(!c(vec![], vec![NO_SA]).holds(&facts));
        assert!(c(vec![], vec![NO_SA]).holds(&Facts::default()));
        assert!(!c(vec![Code::P1NoResponse], vec!["QM_IDLE"]).holds(&facts));
    }

    #[test]
    fn rules_pick_the_first_that_holds_and_end_when_none_does() {
        let rule = |found: Vec<Code>, goto: &str| Rule {
            cond: Cond {
                found,
                ..Cond::default()
            },
            goto: goto.into(),
        };
        let rules = vec![
            rule(vec![Code::TunnelUp], END),
            rule(vec![Code::PeerSilent], "reach"),
        ];
        let up = Facts {
            codes: vec![Code::TunnelUp],
            ..Facts::default()
        };
        assert_eq!(next_step(&rules, Some("x"), &up), None);
        let silent = Facts {
            codes: vec![Code::PeerSilent],
            ..Facts::default()
        };
        assert_eq!(next_step(&rules, Some("x"), &silent), Some("reach"));
        assert_eq!(next_step(&rules, Some("x"), &Facts::default()), None);
        assert_eq!(next_step(&[], Some("x"), &Facts::default()), Some("x"));
    }
}
