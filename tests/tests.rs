//! One integration binary; each module holds tests of one purpose.

/// Shared helpers: feeding captures, locating the test corpus, running the binary.
mod util;

/// The `analyze` command as a user runs it: formats, exit codes, bad input.
mod analyze_cli;
/// Findings from configurations and show outputs, alone and with debug.
mod config_rules;
/// The real debug captures in tests/corpus/debug give their documented diagnoses.
mod corpus_debug;
/// The real captures of tests/corpus/real (public pastes, docs, threads) give the findings
/// their manifest asserts.
mod corpus_real;
/// Show parsers agree with the genie and ntc golden parses in tests/corpus/show.
mod corpus_show;
/// The SSH transport and the IOS device session against the lab over real SSH.
mod device_session;
/// Pastes as engineers make them: fragments, old prefixes, show output alone, inconclusive
/// captures, several policies, healed retransmissions, bounded evidence.
mod fragments;
/// Property tests (the fuzz target) for the line parsers and the engine.
mod fuzz_lines;
/// Issue 10: `guide` against the lab through stdin — silence and its cause, phase 2, a healthy
/// tunnel, a fix applied and rolled back, quitting, signals and lost connections with debug on,
/// the Markdown transcript.
mod guide;
/// `health` against the hub-and-spoke lab: states, outputs, exporter, schedule, shards.
mod health;
/// `health` on IKEv2 and route-based tunnels: series per VTI, UP when they carry traffic.
mod health_ikev2;
/// Inventories: shipped examples, the lab's own, errors with file, line and column.
mod inventory;
/// `ipsec-doctor lab`: listing, refusing a bad config, serving until Ctrl-C.
mod lab_cli;
/// Netmiko, Scrapli 2 and ntc-templates (from PyPI) against the lab.
mod lab_clients;
/// Configuration mode over SSH: changes reach the IKE model, write memory saves them.
mod lab_config;
/// `ipsec-doctor lab --fleet N`: ports, inventory and SSH of many tunnels in one process.
mod lab_fleet;
/// The IKEv2 and VTI scenarios' routers over SSH: each failure's lines and the tunnel's state.
mod lab_ikev2;
/// Every lab scenario over real SSH, its transcripts diagnosed by the engine.
mod lab_scenarios;
/// The lab's routers over real SSH, with russh and with the OpenSSH client.
mod lab_ssh;
/// `ipsec-doctor lab --only`: a scenario's two routers in two processes, IKE over UDP.
mod lab_wire;
/// The IKE exchange as a ladder (terminal and SVG) and the HTML report, against goldens.
mod ladder;
/// Secrets never printed: generated spellings of every secret-bearing command, every format.
mod redaction;
/// Reports of the example captures against golden files.
mod report_golden;
/// One test per finding code, from real-format debug lines.
mod rules;
/// Issue 7: signals, panics, concurrent runs, debugs found on, unreachable routers, host key
/// types, playbook classes, terminal escapes, logs and errors.
mod safety;
/// `triage` over real SSH against the lab: every scenario, and every way a run can end.
mod triage;
/// `triage` on IKEv2 and route-based tunnels: each router's commands follow its configuration.
mod triage_ikev2;
/// `triage` over many tunnels: a hub's tunnels take turns, others run meanwhile, reports
/// stream, a summary table ends the text, an interrupt leaves no debug on.
mod triage_many;
