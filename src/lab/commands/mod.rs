//! The IOS commands the lab's routers understand: one file per command (or family), this file
//! only the syntax table and the dispatch.
//!
//! Commands about crypto and forwarding state (`show crypto …`, `show ip …`, `show udp`,
//! `clear crypto …`, `ping`) are parsed here and answered by the router's
//! [`RouterModel`](crate::lab::model::RouterModel).

pub mod clear_crypto;
pub mod configure;
pub mod configure_log;
pub mod debug;
pub mod enable;
pub mod ping;
pub mod ping_dialog;
pub mod show_clock;
pub mod show_crypto;
pub mod show_debug;
pub mod show_logging;
pub mod show_running_config;
pub mod show_version;
pub mod terminal;
pub mod traceroute;
pub mod unknown;
pub mod write;

use crate::lab::cli::TermState;
use crate::lab::cli::grammar::{self, Level, Reject, Syntax, Token};
use crate::lab::model::{CryptoClear, CryptoShow, NetShow, PingRequest, RouterModel, TraceRequest};
use crate::lab::router::{DebugKind, Router};
use debug::DebugChange;
use terminal::Terminal;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    ShowClock,
    ShowVersion,
    ShowRunningConfig,
    ShowStartupConfig,
    ShowDebug,
    ShowLogging,
    ShowCrypto(CryptoShow),
    ShowNet(NetShow),
    ClearCrypto(CryptoClear),
    Debug(DebugChange),
    Terminal(Terminal),
    Enable,
    Disable,
    Exit,
    Ping(PingRequest),
    /// `ping` alone: the extended ping dialog.
    PingDialog,
    Traceroute(TraceRequest),
    /// `configure terminal`
    Configure,
    /// `write [memory]`
    Write,
    /// `copy running-config startup-config`: asks for the destination first.
    CopyRunStart,
}

use Level::{Privileged as P, User as U};

const fn row(
    pattern: &'static str,
    level: Level,
    build: fn(&grammar::Args<'_>) -> Result<Command, Reject>,
) -> Syntax<Command> {
    Syntax {
        pattern,
        level,
        build,
    }
}

/// Everything the lab's EXEC accepts, with the level it needs. User-mode rows are what IOS
/// lets a level-1 user run; the rest need `enable`.
pub const SYNTAX: &[Syntax<Command>] = &[
    row("enable", U, |_| Ok(Command::Enable)),
    row("disable", U, |_| Ok(Command::Disable)),
    row("exit", U, |_| Ok(Command::Exit)),
    row("logout", U, |_| Ok(Command::Exit)),
    row("terminal length <0-512>", U, |a| {
        Ok(Command::Terminal(Terminal::Length(a.number(0)?)))
    }),
    row("terminal width <0-512>", U, |a| {
        Ok(Command::Terminal(Terminal::Width(a.number(0)?)))
    }),
    row("terminal monitor", U, |_| {
        Ok(Command::Terminal(Terminal::Monitor(true)))
    }),
    row("terminal no monitor", U, |_| {
        Ok(Command::Terminal(Terminal::Monitor(false)))
    }),
    row("show clock", U, |_| Ok(Command::ShowClock)),
    row("show version", U, |_| Ok(Command::ShowVersion)),
    row("show ip route", U, |_| {
        Ok(Command::ShowNet(NetShow::IpRoute))
    }),
    row("show ip route A.B.C.D", U, |a| {
        Ok(Command::ShowNet(NetShow::IpRouteTo(a.ipv4(0)?)))
    }),
    row("show interfaces", U, |_| {
        Ok(Command::ShowNet(NetShow::Interfaces(None)))
    }),
    row("show interfaces WORD ...", U, |a| {
        let name = ping::interface_name(a.values[0], a.rest.first().map(|t| t.text)).ok_or(
            Reject::Invalid {
                column: a.columns[2],
            },
        )?;
        Ok(Command::ShowNet(NetShow::Interfaces(Some(name))))
    }),
    row("show access-lists", U, |_| {
        Ok(Command::ShowNet(NetShow::AccessLists))
    }),
    row("show ip access-lists", U, |_| {
        Ok(Command::ShowNet(NetShow::AccessLists))
    }),
    row("show logging", P, |_| Ok(Command::ShowLogging)),
    row("show crypto isakmp peers", P, |_| {
        Ok(Command::ShowCrypto(CryptoShow::IsakmpPeers))
    }),
    row("show crypto ipsec transform-set", P, |_| {
        Ok(Command::ShowCrypto(CryptoShow::TransformSets))
    }),
    row("show crypto engine connections active", P, |_| {
        Ok(Command::ShowCrypto(CryptoShow::EngineConnections))
    }),
    row("show crypto session remote A.B.C.D", P, |a| {
        Ok(Command::ShowCrypto(CryptoShow::SessionRemote {
            peer: a.ipv4(0)?,
            detail: false,
        }))
    }),
    row("show crypto session remote A.B.C.D detail", P, |a| {
        Ok(Command::ShowCrypto(CryptoShow::SessionRemote {
            peer: a.ipv4(0)?,
            detail: true,
        }))
    }),
    row("show crypto ipsec sa peer A.B.C.D detail", P, |a| {
        Ok(Command::ShowCrypto(CryptoShow::IpsecSa {
            peer: Some(a.ipv4(0)?),
            detail: true,
        }))
    }),
    row("show ip interface brief", U, |_| {
        Ok(Command::ShowNet(NetShow::IpInterfaceBrief))
    }),
    row("ping A.B.C.D ...", U, |a| {
        Ok(Command::Ping(ping::build(a)?))
    }),
    row("ping", P, |_| Ok(Command::PingDialog)),
    row("traceroute A.B.C.D ...", U, |a| {
        Ok(Command::Traceroute(traceroute::build(a)?))
    }),
    row("show running-config", P, |_| Ok(Command::ShowRunningConfig)),
    row("show startup-config", P, |_| Ok(Command::ShowStartupConfig)),
    row("configure terminal", P, |_| Ok(Command::Configure)),
    row("write", P, |_| Ok(Command::Write)),
    row("write memory", P, |_| Ok(Command::Write)),
    row("copy running-config startup-config", P, |_| {
        Ok(Command::CopyRunStart)
    }),
    row("show debugging", P, |_| Ok(Command::ShowDebug)),
    row("show udp", P, |_| Ok(Command::ShowNet(NetShow::Udp))),
    row("show crypto isakmp sa", P, |_| {
        Ok(Command::ShowCrypto(CryptoShow::IsakmpSa { detail: false }))
    }),
    row("show crypto isakmp sa detail", P, |_| {
        Ok(Command::ShowCrypto(CryptoShow::IsakmpSa { detail: true }))
    }),
    row("show crypto isakmp policy", P, |_| {
        Ok(Command::ShowCrypto(CryptoShow::IsakmpPolicy))
    }),
    row("show crypto isakmp default policy", P, |_| {
        Ok(Command::ShowCrypto(CryptoShow::IsakmpDefaultPolicy))
    }),
    row("show crypto ipsec sa", P, |_| {
        Ok(Command::ShowCrypto(CryptoShow::IpsecSa {
            peer: None,
            detail: false,
        }))
    }),
    row("show crypto ipsec sa detail", P, |_| {
        Ok(Command::ShowCrypto(CryptoShow::IpsecSa {
            peer: None,
            detail: true,
        }))
    }),
    row("show crypto ipsec sa peer A.B.C.D", P, |a| {
        Ok(Command::ShowCrypto(show_crypto::ipsec_sa_peer(a)?))
    }),
    row("show crypto session", P, |_| {
        Ok(Command::ShowCrypto(CryptoShow::Session { detail: false }))
    }),
    row("show crypto session detail", P, |_| {
        Ok(Command::ShowCrypto(CryptoShow::Session { detail: true }))
    }),
    row("show crypto map", P, |_| {
        Ok(Command::ShowCrypto(CryptoShow::Map))
    }),
    row("show crypto ikev2 sa", P, |_| {
        Ok(Command::ShowCrypto(CryptoShow::Ikev2Sa { detail: false }))
    }),
    row("show crypto ikev2 sa detailed", P, |_| {
        Ok(Command::ShowCrypto(CryptoShow::Ikev2Sa { detail: true }))
    }),
    row("show crypto ikev2 session", P, |_| {
        Ok(Command::ShowCrypto(CryptoShow::Ikev2Session {
            detail: false,
        }))
    }),
    row("show crypto ikev2 session detailed", P, |_| {
        Ok(Command::ShowCrypto(CryptoShow::Ikev2Session {
            detail: true,
        }))
    }),
    row("show crypto ikev2 proposal", P, |_| {
        Ok(Command::ShowCrypto(CryptoShow::Ikev2Proposal))
    }),
    row("show crypto ikev2 policy", P, |_| {
        Ok(Command::ShowCrypto(CryptoShow::Ikev2Policy))
    }),
    row("show crypto ikev2 profile", P, |_| {
        Ok(Command::ShowCrypto(CryptoShow::Ikev2Profile))
    }),
    row("show crypto ipsec profile", P, |_| {
        Ok(Command::ShowCrypto(CryptoShow::IpsecProfile))
    }),
    row("clear crypto ikev2 sa", P, |_| {
        Ok(Command::ClearCrypto(CryptoClear::Ikev2Sa))
    }),
    row("clear crypto sa", P, |_| {
        Ok(Command::ClearCrypto(CryptoClear::Sa { peer: None }))
    }),
    row("clear crypto sa peer A.B.C.D", P, |a| {
        Ok(Command::ClearCrypto(clear_crypto::sa_peer(a)?))
    }),
    row("clear crypto session", P, |_| {
        Ok(Command::ClearCrypto(CryptoClear::Session { remote: None }))
    }),
    row("clear crypto session remote A.B.C.D", P, |a| {
        Ok(Command::ClearCrypto(clear_crypto::session_remote(a)?))
    }),
    row("clear crypto isakmp", P, |_| {
        Ok(Command::ClearCrypto(CryptoClear::Isakmp { conn_id: None }))
    }),
    row("clear crypto isakmp <1-32766>", P, |a| {
        Ok(Command::ClearCrypto(clear_crypto::isakmp_conn(a)?))
    }),
    row("debug crypto isakmp", P, |_| {
        Ok(Command::Debug(DebugChange::On(DebugKind::CryptoIsakmp)))
    }),
    row("debug crypto ipsec", P, |_| {
        Ok(Command::Debug(DebugChange::On(DebugKind::CryptoIpsec)))
    }),
    row("debug crypto ikev2", P, |_| {
        Ok(Command::Debug(DebugChange::On(DebugKind::CryptoIkev2)))
    }),
    row("debug crypto condition peer ipv4 A.B.C.D", P, |a| {
        Ok(Command::Debug(DebugChange::AddPeer(a.ipv4(0)?)))
    }),
    row("debug crypto condition reset", P, |_| {
        Ok(Command::Debug(DebugChange::ResetConditions))
    }),
    row("no debug crypto isakmp", P, |_| {
        Ok(Command::Debug(DebugChange::Off(DebugKind::CryptoIsakmp)))
    }),
    row("no debug crypto ipsec", P, |_| {
        Ok(Command::Debug(DebugChange::Off(DebugKind::CryptoIpsec)))
    }),
    row("no debug crypto ikev2", P, |_| {
        Ok(Command::Debug(DebugChange::Off(DebugKind::CryptoIkev2)))
    }),
    row("no debug crypto condition peer ipv4 A.B.C.D", P, |a| {
        Ok(Command::Debug(DebugChange::RemovePeer(a.ipv4(0)?)))
    }),
    row("no debug all", P, |_| {
        Ok(Command::Debug(DebugChange::AllOff))
    }),
    row("undebug all", P, |_| {
        Ok(Command::Debug(DebugChange::AllOff))
    }),
    row("undebug crypto isakmp", P, |_| {
        Ok(Command::Debug(DebugChange::Off(DebugKind::CryptoIsakmp)))
    }),
    row("undebug crypto ipsec", P, |_| {
        Ok(Command::Debug(DebugChange::Off(DebugKind::CryptoIpsec)))
    }),
    row("undebug crypto ikev2", P, |_| {
        Ok(Command::Debug(DebugChange::Off(DebugKind::CryptoIkev2)))
    }),
];

/// Parses one command (without any `| filter`) at the session's privilege level.
pub fn parse(tokens: &[Token<'_>], level: Level) -> Result<Command, Reject> {
    grammar::parse(SYNTAX, level, tokens)
}

/// What the session does after a command ran.
#[derive(Debug)]
pub enum Reply {
    /// Output lines; `| filters` and the `--More--` pager apply.
    Lines(Vec<String>),
    /// Ask `Password:` for the enable secret.
    Enable,
    /// Close the session.
    Exit,
    /// Run a ping, streaming its output.
    Ping(PingRequest),
    /// Ask the extended ping dialog's questions, then run the ping.
    PingDialog,
    /// Run a traceroute, streaming its output.
    Traceroute(TraceRequest),
    /// Enter configuration mode.
    Configure,
    /// Ask for the destination of `copy running-config startup-config`.
    CopyRunStart,
}

/// What a command may touch: the router, its model, this session's terminal and level.
pub struct Exec<'a> {
    pub router: &'a Router,
    pub model: &'a dyn RouterModel,
    pub term: &'a mut TermState,
    pub privileged: &'a mut bool,
}

impl Command {
    /// IOS only takes `| include …` after `show` commands.
    pub fn accepts_filter(&self) -> bool {
        matches!(
            self,
            Command::ShowClock
                | Command::ShowVersion
                | Command::ShowRunningConfig
                | Command::ShowStartupConfig
                | Command::ShowDebug
                | Command::ShowLogging
                | Command::ShowCrypto(_)
                | Command::ShowNet(_)
        )
    }

    pub fn apply(self, ex: Exec<'_>) -> Reply {
        let lines = match self {
            Command::ShowClock => show_clock::lines(ex.router),
            Command::ShowVersion => show_version::lines(ex.router),
            Command::ShowRunningConfig => show_running_config::lines(ex.router),
            Command::ShowStartupConfig => show_running_config::startup(ex.router),
            Command::Write => write::memory(ex.router),
            Command::Configure => return Reply::Configure,
            Command::CopyRunStart => return Reply::CopyRunStart,
            Command::ShowDebug => show_debug::lines(&ex.router.debug.get()),
            Command::ShowLogging => show_logging::lines(ex.router),
            Command::ShowCrypto(q) => ex.model.show_crypto(&q),
            Command::ShowNet(q) => ex.model.show_net(&q),
            Command::ClearCrypto(c) => ex.model.clear_crypto(&c),
            Command::Debug(change) => change.apply(ex.router),
            Command::Terminal(t) => {
                t.apply(ex.term);
                Vec::new()
            }
            Command::Disable => {
                *ex.privileged = false;
                Vec::new()
            }
            Command::Enable if *ex.privileged => Vec::new(),
            Command::Enable => return Reply::Enable,
            Command::Exit => return Reply::Exit,
            Command::Ping(request) => return Reply::Ping(request),
            Command::PingDialog => return Reply::PingDialog,
            Command::Traceroute(request) => return Reply::Traceroute(request),
        };
        Reply::Lines(lines)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lab::cli::grammar::tokenize;
    use std::net::Ipv4Addr;

    fn p(line: &str) -> Result<Command, Reject> {
        parse(&tokenize(line), Level::Privileged)
    }

    #[test]
    fn every_row_parses_its_own_pattern_with_sample_values() {
        for row in SYNTAX {
            let line = row
                .pattern
                .replace("A.B.C.D", "203.0.113.2")
                .replace("<0-512>", "0")
                .replace("<1-32766>", "1001")
                .replace("<1-2147483647>", "1")
                .replace("WORD ...", "gi0/0")
                .replace("...", "");
            assert!(p(&line).is_ok(), "{line}: {:?}", p(&line));
        }
    }

    #[test]
    fn crypto_commands_carry_their_arguments() {
        assert_eq!(
            p("sh cry ips sa peer 203.0.113.2"),
            Ok(Command::ShowCrypto(CryptoShow::IpsecSa {
                peer: Some(Ipv4Addr::new(203, 0, 113, 2)),
                detail: false
            }))
        );
        assert_eq!(
            p("clear cry isa 1001"),
            Ok(Command::ClearCrypto(CryptoClear::Isakmp {
                conn_id: Some(1001)
            }))
        );
        assert_eq!(
            p("clea cry sess rem 203.0.113.1"),
            Ok(Command::ClearCrypto(CryptoClear::Session {
                remote: Some(Ipv4Addr::new(203, 0, 113, 1))
            }))
        );
        assert_eq!(p("sh ud"), Ok(Command::ShowNet(NetShow::Udp)));
        assert_eq!(
            p("sh ip int br"),
            Ok(Command::ShowNet(NetShow::IpInterfaceBrief))
        );
        assert_eq!(p("u all"), Ok(Command::Debug(DebugChange::AllOff)));
        assert_eq!(p("no deb all"), Ok(Command::Debug(DebugChange::AllOff)));
    }

    #[test]
    fn ios_ambiguities_survive() {
        assert_eq!(p("sh c"), Err(Reject::Ambiguous));
        assert_eq!(p("clear crypto s"), Err(Reject::Ambiguous));
        assert_eq!(p("debug crypto"), Err(Reject::Incomplete));
    }

    #[test]
    fn user_mode_hides_privileged_commands() {
        let user = |l: &str| parse(&tokenize(l), Level::User);
        assert_eq!(user("show run"), Err(Reject::Invalid { column: 5 }));
        // "d" still matches `disable`; the caret goes under the "e".
        assert_eq!(
            user("debug crypto isakmp"),
            Err(Reject::Invalid { column: 1 })
        );
        assert_eq!(user("sh ver"), Ok(Command::ShowVersion));
        assert_eq!(user("en"), Ok(Command::Enable));
    }
}
