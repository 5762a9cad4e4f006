//! The walk: one step at a time through the playbook's tree, asking before each, showing and
//! explaining what the routers said, proposing the next step from what was found, and ending
//! at the diagnosis (and, when allowed, the fix).
//!
//! Every router-facing call goes through the runner inside [`guarded`] (the stop signal, the
//! panic catch), every prompt waits on the same stop signal, and whatever ends the walk — the
//! engineer quitting, the end of the answers, Ctrl-C, SIGTERM, a lost connection, a bug — it
//! ends in [`Runner::finish`], which switches off what is still on and confirms it.

use super::fix::{self, Part};
use super::highlight::excerpts;
use super::input::{Choice, Input};
use super::rollback::rollback;
use super::transcript::{Entry, Transcript};
use crate::engine::Diagnosis;
use crate::engine::finding::{Code, Severity, Verdict};
use crate::engine::parse::show::{ShowKind, ShowOutput};
use crate::playbook::tree::{Facts, next_step};
use crate::playbook::{Action, PeerSel, Playbook, Safety, Step};
use crate::report::Report;
use crate::run::stop::Stop;
use crate::run::{Output, RunError, Runner, guarded};
use crate::secret::Secret;
use std::time::Duration;

/// What the engineer allowed for this session.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Offer to apply the fix (`--allow-config`).
    pub allow_config: bool,
}

/// Why the walk ended early.
enum End {
    /// The engineer quit, the answers ran out, or the stop signal fired.
    Quit,
    /// The run failed (a lost connection, a refusal…): recorded in the run's log.
    Failed,
}

/// The step just run, for `repeat` and `raw`.
struct Done<'p> {
    step: &'p Step,
    outputs: Vec<Output>,
    dropped: usize,
}

pub(super) struct Session<'s, 'r> {
    pub runner: Runner<'r>,
    pub playbook: &'s Playbook,
    pub options: &'s Options,
    pub input: &'s mut Input,
    pub say: Transcript,
    pub stop: Stop,
    pub number: usize,
    /// The fix step was reached (its diagnosis said, whatever followed).
    pub diagnosed: bool,
}

/// What a question got.
enum Picked {
    Choice(Choice),
    /// The answers ended or the stop fired.
    Gone,
    /// No answer within the time given.
    TimedOut,
}

/// An answer to a question, or the end.
enum Heard {
    Line(String),
    Gone,
    TimedOut,
}

impl<'s> Session<'s, '_> {
    /// Walks the tree and returns the final report (cleanup done).
    pub async fn walk(mut self, tunnel: &str) -> (Report, Transcript) {
        let (a, b) = self.runner.names();
        self.say.say(Entry::Title {
            tunnel: tunnel.to_string(),
            routers: (a.to_string(), b.to_string()),
        });
        self.runner.keep_outputs();
        let opened = guarded(self.stop.fired(), self.runner.open()).await;
        if let Err(e) = opened {
            self.end_with(e);
        } else {
            self.stale();
            if let Err(End::Quit) = self.steps().await {
                self.runner.fail(RunError::Interrupted);
            }
        }
        let Session {
            runner, mut say, ..
        } = self;
        let (diagnosis, log) = runner.finish().await;
        let report = Report::live("guide", tunnel, diagnosis, log);
        say.say(Entry::Report {
            text: crate::report::text::render(&report, say.color()),
            markdown: crate::report::markdown::render_without_ladder(&report),
        });
        (report, say)
    }

    /// Debugs someone else left on stay as found: say so before any step.
    fn stale(&mut self) {
        let stale: Vec<String> = self
            .runner
            .log()
            .stale_debug
            .iter()
            .map(|s| {
                if s.cleared {
                    format!("{} had crypto debugs on; they were switched off (--clear-stale-debug).", s.router)
                } else {
                    format!(
                        "{0} has crypto debugs on that this session did not switch on (another run, a colleague): they stay as found, and no debug is switched on on {0}. --clear-stale-debug switches them off first.",
                        s.router
                    )
                }
            })
            .collect();
        for w in stale {
            self.say.say(Entry::Warn(w));
        }
    }

    /// The commands of the step just run that failed or could not run, said plainly.
    fn troubles(&mut self, since: usize) {
        use crate::run::log::StepStatus;
        let said: Vec<String> = self.runner.log().steps[since..]
            .iter()
            .filter_map(|r| {
                let what = if r.command.is_empty() {
                    String::new()
                } else {
                    format!(" `{}`", r.command)
                };
                let on = if r.router.is_empty() {
                    String::new()
                } else {
                    format!(" on {}", r.router)
                };
                match &r.status {
                    StepStatus::Ok => None,
                    StepStatus::Skipped(why) => Some(format!("not run{what}{on}: {why}")),
                    StepStatus::Failed(why) => Some(format!("failed{what}{on}: {why}")),
                }
            })
            .collect();
        for t in said {
            self.say.say(Entry::Warn(t));
        }
    }

    fn end_with(&mut self, e: RunError) {
        if !matches!(e, RunError::Interrupted) {
            self.say.say(Entry::Warn(format!(
                "the session stops: {e}. Debugs switched on are now switched off."
            )));
        }
        self.runner.fail(e);
    }

    async fn steps(&mut self) -> Result<(), End> {
        let playbook = self.playbook;
        let mut current = playbook.steps.first().map(|s| s.id.as_str());
        let mut last: Option<Done<'s>> = None;
        while let Some(id) = current {
            let Some(step) = playbook.step(id) else {
                break;
            };
            if let Action::Fix { retest } = &step.action {
                self.fix(step, retest).await?;
                current = self.next(step);
                continue;
            }
            if let Some(why) = self.runner.refusal(step) {
                self.say.say(Entry::Note(format!(
                    "Step `{}` does not run: {why}.",
                    step.title
                )));
                self.runner.skip(step, &why);
                current = self.next(step);
                continue;
            }
            self.present(step);
            let choices: Vec<Choice> = [Choice::GoOn, Choice::Skip]
                .into_iter()
                .chain(last.iter().flat_map(|_| [Choice::Repeat, Choice::Raw]))
                .chain([Choice::Quit])
                .collect();
            // Enter alone goes on with a read step; an intrusive one needs the letter.
            let default = (step.safety == Safety::Read).then_some(Choice::GoOn);
            let Picked::Choice(choice) = self.choose("Go on?", &choices, default, None).await
            else {
                return Err(End::Quit);
            };
            match choice {
                Choice::Quit => return Err(End::Quit),
                Choice::Raw => {
                    if let Some(d) = &last {
                        self.raw(d);
                    }
                }
                Choice::Repeat => {
                    if let Some(d) = last.take() {
                        last = Some(self.run(d.step, false).await?);
                        current = self.next(d.step);
                        self.propose(current);
                    }
                }
                Choice::Skip => {
                    self.runner.skip(step, "skipped at the engineer's request");
                    current = self.next(step);
                    self.propose(current);
                }
                Choice::GoOn => {
                    last = Some(self.run(step, false).await?);
                    current = self.next(step);
                    self.propose(current);
                }
            }
        }
        self.conclude();
        Ok(())
    }

    /// The step after `step`, from what is known now.
    fn next<'p>(&mut self, step: &'p Step) -> Option<&'p str>
    where
        's: 'p,
    {
        let facts = self.facts();
        next_step(&step.next, self.playbook.following(&step.id), &facts)
    }

    fn propose(&mut self, next: Option<&str>) {
        let text = match next.and_then(|id| self.playbook.step(id)) {
            Some(s) => s.title.clone(),
            None => "the diagnosis.".to_string(),
        };
        self.say.say(Entry::Next(text));
    }

    /// What the rules look at: the findings so far and the phase 1 states listed.
    fn facts(&mut self) -> Facts {
        let d = self.runner.snapshot();
        let mut states = Vec::new();
        let (a, b) = self.runner.peers();
        for p in [a, b].into_iter().flatten() {
            if let Some(cap) = p.show(ShowKind::IsakmpSa)
                && let ShowOutput::IsakmpSa(t) = &cap.output
            {
                states.extend(t.rows.iter().map(|r| r.state.clone()));
            }
        }
        Facts {
            codes: d.findings.iter().map(|f| f.code).collect(),
            causes: d.findings.iter().filter_map(|f| f.cause).collect(),
            states,
        }
    }

    fn present(&mut self, step: &Step) {
        self.number += 1;
        self.say.say(Entry::Step {
            number: self.number,
            title: step.title.clone(),
            class: step.safety.to_string(),
            why: step.explain.trim().to_string(),
        });
        let plan = self.runner.preview(step);
        let caution = match &step.action {
            Action::Debug {
                duration, trigger, ..
            } => {
                let window = self.runner.debug_window().unwrap_or(*duration);
                let routers = routers_of(&plan);
                Some(format!(
                    "This switches debugs on on {routers} for at most {} s{}. They are switched off when the window closes, whatever happens.",
                    window.as_secs(),
                    if trigger.is_some() {
                        ", then asks before sending the test traffic"
                    } else {
                        ""
                    }
                ))
            }
            Action::Clear { .. } => Some(format!(
                "This tears down the SAs it names on {}: traffic through them stops until they are negotiated again.",
                routers_of(&plan)
            )),
            _ => None,
        };
        self.say.say(Entry::Plan(plan));
        if let Some(c) = caution {
            self.say.say(Entry::Caution(c));
        }
    }

    /// Runs a step (a debug step with its own question before the traffic, unless `quiet`),
    /// then shows and explains what it found.
    async fn run<'p>(&mut self, step: &'p Step, quiet: bool) -> Result<Done<'p>, End> {
        let since = self.runner.log().steps.len();
        let done = self.run_step(step, quiet).await;
        self.troubles(since);
        done
    }

    async fn run_step<'p>(&mut self, step: &'p Step, quiet: bool) -> Result<Done<'p>, End> {
        if let Action::Debug {
            trigger, duration, ..
        } = &step.action
        {
            let runner = &mut self.runner;
            let on = guarded(self.stop.fired(), runner.debug_on(step)).await;
            if let Err(e) = on {
                return Err(self.ended(e));
            }
            let mut send = true;
            if let (Some(t), false) = (trigger, quiet) {
                // The debugs are on while the question waits: no longer than their window.
                let window = self.runner.debug_window().unwrap_or(*duration);
                let (a, b) = self.runner.names();
                let from = if t.peer == PeerSel::B { b } else { a }.to_string();
                let question = format!(
                    "Debugs are on. Send the test traffic from {from} now (g), or only watch (s)?"
                );
                match self
                    .choose(
                        &question,
                        &[Choice::GoOn, Choice::Skip, Choice::Quit],
                        None,
                        Some(window),
                    )
                    .await
                {
                    Picked::Choice(Choice::GoOn) => {}
                    Picked::Choice(Choice::Skip) => send = false,
                    Picked::TimedOut => {
                        self.say.say(Entry::Note(format!(
                            "No answer within the {} s debug window: switching the debugs off.",
                            window.as_secs()
                        )));
                        self.debug_off().await;
                        return Ok(self.finish_step(step, quiet));
                    }
                    _ => return Err(End::Quit),
                }
            }
            let runner = &mut self.runner;
            let watched = guarded(self.stop.fired(), runner.watch(step, send)).await;
            if let Err(e) = watched {
                return Err(self.ended(e));
            }
            self.debug_off().await;
        } else {
            let runner = &mut self.runner;
            let ran = guarded(self.stop.fired(), runner.step(step)).await;
            if let Err(e) = ran {
                return Err(self.ended(e));
            }
        }
        Ok(self.finish_step(step, quiet))
    }

    fn ended(&mut self, e: RunError) -> End {
        if matches!(e, RunError::Interrupted) {
            End::Quit
        } else {
            self.end_with(e);
            End::Failed
        }
    }

    async fn debug_off(&mut self) {
        if !self.runner.debug_is_on() {
            return;
        }
        if self.runner.debug_off().await {
            self.say.say(Entry::Note(
                "Debugs switched off; show debug confirms it.".into(),
            ));
        } else {
            self.say.say(Entry::Warn(
                "the debugs could not be confirmed off; the guide tries again when it ends, and the report says how that went.".into(),
            ));
        }
    }

    /// Shows the lines that matter and (unless `quiet`: a re-test, judged as a whole) what
    /// they mean.
    fn finish_step<'p>(&mut self, step: &'p Step, quiet: bool) -> Done<'p> {
        let (outputs, dropped) = self.runner.take_outputs();
        let d = self.runner.snapshot();
        let shown = excerpts(&outputs, &step.highlight, &d.findings);
        if shown.is_empty() && outputs.iter().any(|o| !o.text.trim().is_empty()) {
            self.say.say(Entry::Note(
                "Nothing in the answers stands out (o shows them whole).".into(),
            ));
        }
        for x in shown {
            self.say.say(Entry::Shown(x));
        }
        if dropped > 0 {
            self.say.say(Entry::Note(format!(
                "{dropped} further debug line(s) were read by the diagnosis but are not kept for display."
            )));
        }
        // After a negotiation was watched, the picture of it.
        if matches!(step.action, Action::Debug { .. })
            && let Some(l) = crate::report::ladder::build(&d)
        {
            self.say.say(Entry::Ladder(Box::new(l)));
        }
        let facts = self.facts();
        if let Some(m) = step.means.iter().find(|m| !quiet && m.cond.holds(&facts)) {
            self.say.say(Entry::Means(m.say.trim().to_string()));
        }
        Done {
            step,
            outputs,
            dropped,
        }
    }

    fn raw(&mut self, d: &Done<'_>) {
        if d.outputs.is_empty() {
            self.say
                .say(Entry::Note("The last step printed nothing.".into()));
        }
        let mut debug: Vec<(&str, String)> = Vec::new();
        for o in &d.outputs {
            if o.source == "debug" {
                match debug.iter_mut().find(|(r, _)| *r == o.router) {
                    Some((_, text)) => {
                        text.push('\n');
                        text.push_str(&o.text);
                    }
                    None => debug.push((&o.router, o.text.clone())),
                }
            } else {
                self.say.say(Entry::Raw {
                    router: o.router.clone(),
                    source: o.source.clone(),
                    text: o.text.clone(),
                });
            }
        }
        for (router, text) in debug {
            self.say.say(Entry::Raw {
                router: router.to_string(),
                source: "debug".into(),
                text,
            });
        }
        if d.dropped > 0 {
            self.say.say(Entry::Note(format!(
                "({} more debug line(s) were not kept.)",
                d.dropped
            )));
        }
    }

    /// Reads one answer, waiting on the stop signal (and `limit`, when given).
    async fn hear(&mut self, limit: Option<Duration>) -> Heard {
        let stop = self.stop.clone();
        let read = async {
            match limit {
                Some(l) => tokio::time::timeout(l, self.input.line()).await.ok(),
                None => Some(self.input.line().await),
            }
        };
        tokio::select! {
            got = read => match got {
                None => Heard::TimedOut,
                Some(None) => Heard::Gone,
                Some(Some(line)) => Heard::Line(line),
            },
            _ = stop.fired() => Heard::Gone,
        }
    }

    /// Asks until one of `choices` is answered.
    async fn choose(
        &mut self,
        question: &str,
        choices: &[Choice],
        default: Option<Choice>,
        limit: Option<Duration>,
    ) -> Picked {
        let letters: Vec<&str> = choices.iter().map(|c| c.label().0).collect();
        let prompt = format!("{question} [{}]", letters.join("/"));
        loop {
            self.say.say(Entry::Ask(prompt.clone()));
            let line = match self.hear(limit).await {
                Heard::Line(l) => l,
                Heard::Gone => {
                    self.say.say(Entry::Answer("(quit)".into()));
                    return Picked::Gone;
                }
                Heard::TimedOut => {
                    self.say.say(Entry::Answer("(no answer)".into()));
                    return Picked::TimedOut;
                }
            };
            let picked = match Choice::parse(&line) {
                Some(c) if choices.contains(&c) => Some(c),
                None if line.trim().is_empty() => default,
                _ => None,
            };
            // Only an answer understood is repeated: text typed at the wrong prompt (a key,
            // a password) must not land in the transcript.
            self.say.say(Entry::Answer(match picked {
                Some(_) if !line.trim().is_empty() => line.trim().to_string(),
                Some(c) => c.label().1.to_string(),
                None => "(not understood)".to_string(),
            }));
            match picked {
                Some(c) => return Picked::Choice(c),
                None => {
                    let help: Vec<String> = choices
                        .iter()
                        .map(|c| format!("{} ({})", c.label().0, c.label().1))
                        .collect();
                    self.say
                        .say(Entry::Note(format!("Answer {}.", help.join(", "))));
                }
            }
        }
    }

    /// A free answer, one of `expected` (a router's name, yes or no) or anything else, which
    /// is not repeated: it may be a key typed at the wrong prompt. `None` when the answers end
    /// or the stop fires.
    async fn ask_line(&mut self, question: &str, expected: &[&str]) -> Option<String> {
        self.say.say(Entry::Ask(question.to_string()));
        match self.hear(None).await {
            Heard::Line(l) => {
                let known = expected.iter().any(|e| e.eq_ignore_ascii_case(l.trim()));
                self.say.say(Entry::Answer(if known {
                    l.trim().to_string()
                } else {
                    "(something else)".to_string()
                }));
                Some(l)
            }
            _ => {
                self.say.say(Entry::Answer("(quit)".into()));
                None
            }
        }
    }

    /// The key, typed twice alike; `None` when given up on after three tries.
    async fn ask_key(&mut self) -> Result<Option<Secret>, End> {
        for _ in 0..3 {
            let first = self
                .secret("Pre-shared key (not shown):")
                .await
                .ok_or(End::Quit)?;
            if first.is_empty() {
                self.say.say(Entry::Note("An empty key is no key.".into()));
                continue;
            }
            let again = self.secret("The same key again:").await.ok_or(End::Quit)?;
            if first == again {
                return Ok(Some(first));
            }
            self.say
                .say(Entry::Note("The two keys differ; once more.".into()));
        }
        Ok(None)
    }

    async fn secret(&mut self, prompt: &str) -> Option<Secret> {
        // On a terminal the prompt is the password prompt's own; the key is never echoed.
        if !self.input.is_terminal() {
            self.say.say(Entry::Ask(prompt.to_string()));
        }
        let stop = self.stop.clone();
        let got = tokio::select! {
            got = self.input.secret(prompt) => got,
            _ = stop.fired() => None,
        };
        if !self.input.is_terminal() {
            self.say.say(Entry::Answer(
                if got.is_some() {
                    crate::secret::REDACTED
                } else {
                    "(quit)"
                }
                .to_string(),
            ));
        }
        got
    }

    /// The walk reached its end: say where things stand.
    fn conclude(&mut self) {
        let d = self.runner.snapshot();
        if d.verdict == Verdict::Healthy && !self.diagnosed {
            self.say.say(Entry::Means(
                "The tunnel is up and carries traffic both ways: nothing to fix.".into(),
            ));
        }
    }

    /// The diagnosis, its fix, and (when allowed) the fix applied, re-tested and, if it did
    /// not help, rolled back.
    async fn fix(&mut self, step: &Step, retest: &[String]) -> Result<(), End> {
        self.diagnosed = true;
        self.number += 1;
        self.say.say(Entry::Step {
            number: self.number,
            title: step.title.clone(),
            class: step.safety.to_string(),
            why: step.explain.trim().to_string(),
        });
        let d = self.runner.snapshot();
        self.diagnosis(&d);
        let (a, b) = self.runner.names();
        let (a, b) = (a.to_string(), b.to_string());
        let Some((finding, parts)) = fix::plan(&d, &a, &b) else {
            if d.findings.iter().any(|f| f.severity > Severity::Ok) {
                self.say.say(Entry::Note(
                    "The engine has no configuration to propose for this: the cause is outside the two configurations, or the evidence is too thin. The report below says what is known.".into(),
                ));
            }
            return Ok(());
        };
        let code = finding.code;
        for p in &parts {
            self.say.say(Entry::Config {
                router: p.router.clone(),
                lines: p.lines.clone(),
            });
        }
        if !self.options.allow_config {
            self.say.say(Entry::Note(
                "Apply these lines on the routers, or run the guide again with --allow-config to have it apply them, test again and offer to roll back.".into(),
            ));
            return Ok(());
        }
        self.apply(code, d.verdict, parts, retest).await
    }

    fn diagnosis(&mut self, d: &Diagnosis) {
        let shown: Vec<_> = d
            .findings
            .iter()
            .filter(|f| f.severity > Severity::Ok)
            .cloned()
            .collect();
        if shown.is_empty() {
            self.say.say(Entry::Note(match d.verdict {
                Verdict::Healthy => "No failure was found: the tunnel works.".to_string(),
                _ => "No failure could be established from what was seen.".to_string(),
            }));
        }
        for f in shown {
            let meaning = self
                .playbook
                .findings
                .get(&f.code)
                .map(|m| m.trim().to_string());
            self.say.say(Entry::Finding {
                finding: Box::new(f),
                meaning,
            });
        }
    }

    async fn apply(
        &mut self,
        code: Code,
        before_verdict: Verdict,
        parts: Vec<Part>,
        retest: &[String],
    ) -> Result<(), End> {
        let mut ready: Vec<(Part, Vec<String>)> = Vec::new();
        let mut key: Option<Secret> = None;
        for p in parts {
            if let Some(why) = &p.blocked {
                self.say.say(Entry::Note(format!(
                    "The guide cannot apply the fix on {}: {why}.",
                    p.router
                )));
                continue;
            }
            if p.needs_key && key.is_none() {
                self.say.say(Entry::Note(
                    "This fix needs the pre-shared key. Type the key both routers should use: the guide does not copy it from the other router, it is never shown, and it is written nowhere but to the routers.".into(),
                ));
                key = self.ask_key().await?;
                if key.is_none() {
                    self.say
                        .say(Entry::Note("No key: nothing is applied.".into()));
                    return Ok(());
                }
            }
            let lines = p.ready(key.as_ref());
            ready.push((p, lines));
        }
        // Each router's configuration as it is now: the lines a rollback puts back.
        let mut applied: Vec<(Part, String)> = Vec::new();
        for (p, lines) in ready {
            let before = self.guard_read(p.side, "show running-config").await?;
            let q = format!(
                "Type {} to apply these {} line(s) on {} (anything else leaves it unchanged):",
                p.router,
                lines.len(),
                p.router
            );
            if p.needs_key {
                // The lines as they will be sent, key in place (shown as `*****`).
                self.say.say(Entry::Config {
                    router: p.router.clone(),
                    lines: lines.clone(),
                });
            }
            if !self.typed(&p.router, &q, "left unchanged").await? {
                continue;
            }
            self.configure(&p, &lines, false).await?;
            applied.push((p, before));
        }
        if applied.is_empty() {
            return Ok(());
        }
        let better = self.retest(code, before_verdict, retest).await?;
        if better {
            self.offer_save(&applied).await?;
        } else {
            self.offer_rollback(&applied).await?;
        }
        Ok(())
    }

    async fn guard_read(&mut self, side: PeerSel, command: &str) -> Result<String, End> {
        let runner = &mut self.runner;
        match guarded(self.stop.fired(), runner.read(side, command)).await {
            Ok(t) => Ok(t),
            Err(e) => Err(self.ended(e)),
        }
    }

    /// Runs the re-test steps on a fresh diagnosis; whether the tunnel is better than before.
    async fn retest(
        &mut self,
        code: Code,
        before_verdict: Verdict,
        retest: &[String],
    ) -> Result<bool, End> {
        let steps: Vec<&Step> = retest
            .iter()
            .filter_map(|id| self.playbook.step(id))
            .collect();
        if steps.is_empty() {
            return Ok(false);
        }
        let (a, b) = self.runner.names();
        let (a, b) = (a.to_string(), b.to_string());
        self.say.say(Entry::Note(format!(
            "To see whether it helped, the guide tests again: {}.",
            steps
                .iter()
                .map(|s| s.title.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        )));
        if steps.iter().any(|s| s.safety > Safety::Read) {
            self.say.say(Entry::Caution(format!(
                "This clears the SAs with the peer on {a} and {b}, switches debugs on for the window and sends test traffic."
            )));
        }
        match self
            .choose(
                "Test again now?",
                &[Choice::GoOn, Choice::Skip, Choice::Quit],
                None,
                None,
            )
            .await
        {
            Picked::Choice(Choice::GoOn) => {}
            Picked::Choice(Choice::Skip) => {
                self.say.say(Entry::Note("Not tested again.".into()));
                return Ok(false);
            }
            _ => return Err(End::Quit),
        }
        self.runner.restart_engine();
        for s in steps {
            if let Some(why) = self.runner.refusal(s) {
                self.say
                    .say(Entry::Note(format!("`{}` does not run: {why}.", s.title)));
                continue;
            }
            self.number += 1;
            self.say.say(Entry::Step {
                number: self.number,
                title: s.title.clone(),
                class: s.safety.to_string(),
                why: s.explain.trim().to_string(),
            });
            let plan = self.runner.preview(s);
            self.say.say(Entry::Plan(plan));
            self.run(s, true).await?;
        }
        let d = self.runner.snapshot();
        let still = d.findings.iter().any(|f| f.code == code);
        let better = badness(d.verdict) < badness(before_verdict)
            || (!still
                && badness(d.verdict) <= badness(before_verdict)
                && d.verdict != Verdict::Unknown);
        self.say.say(Entry::Means(match (d.verdict, better) {
            (Verdict::Healthy, _) => "After the change the tunnel comes up and carries traffic: fixed.".to_string(),
            (_, true) => format!(
                "After the change {} is gone, but the tunnel is {}: the next problem shows now (see the report).",
                code,
                d.verdict.as_str()
            ),
            (_, false) => format!(
                "After the change the tunnel is still {}{}.",
                d.verdict.as_str(),
                if still { format!(", with {code}") } else { String::new() }
            ),
        }));
        Ok(better)
    }

    async fn offer_rollback(&mut self, applied: &[(Part, String)]) -> Result<(), End> {
        for (p, before) in applied {
            let after = self.guard_read(p.side, "show running-config").await?;
            let lines = rollback(before, &after);
            if lines.is_empty() {
                self.say.say(Entry::Note(format!(
                    "{}'s configuration is as it was before: nothing to roll back.",
                    p.router
                )));
                continue;
            }
            self.say.say(Entry::Note(format!(
                "The previous lines of {} were kept; these put them back:",
                p.router
            )));
            self.say.say(Entry::Config {
                router: p.router.clone(),
                lines: lines.clone(),
            });
            let q = format!(
                "Type {} to roll {} back (anything else keeps the change):",
                p.router, p.router
            );
            if !self.typed(&p.router, &q, "keeps the change").await? {
                continue;
            }
            self.configure(p, &lines, true).await?;
        }
        Ok(())
    }

    /// Asks for the router's name to be typed; whether it was (`otherwise` is said if not).
    async fn typed(&mut self, router: &str, question: &str, otherwise: &str) -> Result<bool, End> {
        let Some(answer) = self.ask_line(question, &[router]).await else {
            return Err(End::Quit);
        };
        let yes = answer.trim() == router;
        if !yes {
            self.say.say(Entry::Note(format!("{router} {otherwise}.")));
        }
        Ok(yes)
    }

    /// Sends configuration lines (a fix, or its rollback) and says how it went.
    async fn configure(&mut self, p: &Part, lines: &[String], rollback: bool) -> Result<(), End> {
        let runner = &mut self.runner;
        let done = guarded(self.stop.fired(), runner.configure(p.side, lines, rollback)).await;
        let a = match done {
            Err(e) => return Err(self.ended(e)),
            Ok(a) => a,
        };
        let said = match (&a.refused, rollback) {
            (None, false) => Entry::Note(format!(
                "{}: {} line(s) applied (running-config only).",
                p.router, a.taken
            )),
            (None, true) => Entry::Note(format!("{} rolled back ({} line(s)).", p.router, a.taken)),
            (Some((line, why)), false) => Entry::Warn(format!(
                "{} refused `{line}`: {why}; the {} line(s) before it were applied.",
                p.router, a.taken
            )),
            (Some((line, why)), true) => Entry::Warn(format!(
                "{} refused `{line}` during the rollback: {why}. Check its configuration by hand.",
                p.router
            )),
        };
        self.say.say(said);
        Ok(())
    }

    /// The change is in the running-config only: save it only when asked, router by router.
    async fn offer_save(&mut self, applied: &[(Part, String)]) -> Result<(), End> {
        for (p, _) in applied {
            let q = format!(
                "The change on {} is in its running-config only. Save it to the startup-config (write memory)? [y/N]",
                p.router
            );
            let Some(answer) = self.ask_line(&q, &["y", "yes", "n", "no"]).await else {
                return Err(End::Quit);
            };
            if !matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes") {
                self.say.say(Entry::Note(format!(
                    "{} not saved: a reload brings the old configuration back.",
                    p.router
                )));
                continue;
            }
            let side = p.side;
            let runner = &mut self.runner;
            match guarded(self.stop.fired(), runner.save(side)).await {
                Ok(_) => self.say.say(Entry::Note(format!("{} saved.", p.router))),
                Err(e) => return Err(self.ended(e)),
            }
        }
        Ok(())
    }
}

/// The verdicts from best to worst.
fn badness(v: Verdict) -> u8 {
    match v {
        Verdict::Healthy => 0,
        Verdict::Degraded => 1,
        Verdict::Down => 2,
        Verdict::Unknown => 3,
    }
}

/// `R1 and R2`, or the one router a plan touches.
fn routers_of(plan: &[(String, String)]) -> String {
    let mut names: Vec<&str> = Vec::new();
    for (r, _) in plan {
        if !names.contains(&r.as_str()) {
            names.push(r);
        }
    }
    names.join(" and ")
}
