//! The seam between the CLI and the router's crypto/network behaviour.
//!
//! The CLI parses `show crypto …`, `show ip …`, `show udp`, `clear crypto …` and `ping` into
//! the typed requests below and hands them to a [`RouterModel`]; the IKE model (a separate
//! part of the lab) implements it from the routers' configurations and the virtual wire.
//! Debug lines the model produces go to [`Router::debug_line`](super::router::Router::debug_line),
//! which already knows which debugs are on.

use super::router::Router;
use std::future::Future;
use std::net::Ipv4Addr;
use std::pin::Pin;
use std::sync::Arc;
use tokio::sync::mpsc;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// `show crypto …` requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CryptoShow {
    /// `show crypto isakmp sa [detail]`
    IsakmpSa { detail: bool },
    /// `show crypto isakmp policy`
    IsakmpPolicy,
    /// `show crypto isakmp default policy`
    IsakmpDefaultPolicy,
    /// `show crypto ipsec sa [peer A.B.C.D] [detail]`
    IpsecSa {
        peer: Option<Ipv4Addr>,
        detail: bool,
    },
    /// `show crypto session [detail]`
    Session { detail: bool },
    /// `show crypto map`
    Map,
    /// `show crypto isakmp peers`
    IsakmpPeers,
    /// `show crypto ipsec transform-set`
    TransformSets,
    /// `show crypto engine connections active`
    EngineConnections,
    /// `show crypto session remote A.B.C.D [detail]`
    SessionRemote { peer: Ipv4Addr, detail: bool },
    /// `show crypto ikev2 sa [detailed]`
    Ikev2Sa { detail: bool },
    /// `show crypto ikev2 session [detailed]`
    Ikev2Session { detail: bool },
    /// `show crypto ikev2 proposal`
    Ikev2Proposal,
    /// `show crypto ikev2 policy`
    Ikev2Policy,
    /// `show crypto ikev2 profile`
    Ikev2Profile,
    /// `show crypto ipsec profile`
    IpsecProfile,
}

/// Network state requests (`show ip route`, `show ip interface brief`, `show udp`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetShow {
    IpRoute,
    /// `show ip route A.B.C.D`
    IpRouteTo(Ipv4Addr),
    IpInterfaceBrief,
    Udp,
    /// `show interfaces [NAME]` (the full IOS name)
    Interfaces(Option<String>),
    /// `show access-lists`, `show ip access-lists`
    AccessLists,
}

/// `clear crypto …` requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CryptoClear {
    /// `clear crypto sa [peer A.B.C.D]`
    Sa { peer: Option<Ipv4Addr> },
    /// `clear crypto session [remote A.B.C.D]`
    Session { remote: Option<Ipv4Addr> },
    /// `clear crypto isakmp [CONN-ID]`
    Isakmp { conn_id: Option<u32> },
    /// `clear crypto ikev2 sa`
    Ikev2Sa,
}

/// Where a ping's packets come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PingSource {
    /// Full IOS interface name (`GigabitEthernet0/1`), expanded from what was typed.
    Interface(String),
    Address(Ipv4Addr),
}

/// `ping A.B.C.D [source IF|A.B.C.D] [repeat N] [size N] [timeout S]`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PingRequest {
    pub target: Ipv4Addr,
    pub source: Option<PingSource>,
    pub repeat: u32,
    /// Datagram size in bytes (IOS default 100).
    pub size: u32,
    /// Seconds to wait for each reply (IOS default 2), in lab time.
    pub timeout_secs: u32,
}

impl PingRequest {
    pub const DEFAULT_REPEAT: u32 = 5;
    pub const DEFAULT_SIZE: u32 = 100;
    pub const DEFAULT_TIMEOUT: u32 = 2;

    pub fn to(target: Ipv4Addr) -> PingRequest {
        PingRequest {
            target,
            source: None,
            repeat: Self::DEFAULT_REPEAT,
            size: Self::DEFAULT_SIZE,
            timeout_secs: Self::DEFAULT_TIMEOUT,
        }
    }
}

/// `traceroute A.B.C.D [source IF|A.B.C.D] [probe N] [timeout S] [ttl MIN MAX]`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceRequest {
    pub target: Ipv4Addr,
    pub source: Option<PingSource>,
    /// Probes per hop (IOS default 3).
    pub probes: u32,
    /// Seconds to wait for each probe (IOS default 3), in lab time.
    pub timeout_secs: u32,
    pub min_ttl: u32,
    /// IOS default 30.
    pub max_ttl: u32,
}

impl TraceRequest {
    pub fn to(target: Ipv4Addr) -> TraceRequest {
        TraceRequest {
            target,
            source: None,
            probes: 3,
            timeout_secs: 3,
            min_ttl: 1,
            max_ttl: 30,
        }
    }
}

/// Where a running ping writes its output as it happens (`Type escape sequence…`, then one
/// `!` or `.` per packet, then the success-rate line). Text uses `\n`; the CLI turns it into
/// `\r\n`.
#[derive(Debug, Clone)]
pub struct PingSink(mpsc::UnboundedSender<String>);

impl PingSink {
    pub fn channel() -> (PingSink, mpsc::UnboundedReceiver<String>) {
        let (tx, rx) = mpsc::unbounded_channel();
        (PingSink(tx), rx)
    }

    /// Writes text; returns false once the session has gone (the ping may stop early).
    pub fn write(&self, text: impl Into<String>) -> bool {
        self.0.send(text.into()).is_ok()
    }
}

/// A router's crypto and forwarding behaviour, as the CLI sees it. Outputs are the lines IOS
/// prints, without line endings; the CLI applies `| include` filters and the pager.
pub trait RouterModel: Send + Sync {
    fn show_crypto(&self, query: &CryptoShow) -> Vec<String>;
    fn show_net(&self, query: &NetShow) -> Vec<String>;
    /// Clears state (and may emit debug/syslog lines on the router's log bus).
    fn clear_crypto(&self, what: &CryptoClear) -> Vec<String>;
    /// Runs a ping in lab time, streaming its output; traffic matching a crypto ACL starts IKE.
    fn ping(&self, request: PingRequest, out: PingSink) -> BoxFuture<'static, ()>;
    /// Runs a traceroute in lab time, streaming one line per hop. A model without a network
    /// (a test double) hears no answer to any probe.
    fn traceroute(&self, request: TraceRequest, out: PingSink) -> BoxFuture<'static, ()> {
        Box::pin(async move {
            out.write(trace_header(request.target));
            for ttl in request.min_ttl..=request.max_ttl {
                let stars = " * ".repeat(request.probes as usize);
                if !out.write(format!("{ttl:>3} {stars}\n")) {
                    return;
                }
            }
        })
    }
}

/// The lines IOS prints before the first hop of a traceroute.
pub fn trace_header(target: Ipv4Addr) -> String {
    format!(
        "Type escape sequence to abort.\nTracing the route to {target}\nVRF info: (vrf in name/id, vrf out name/id)\n"
    )
}

/// Builds every router's model once the lab's routers exist, so a model can hold both peers
/// (their configs, log buses and clock) and carry packets between them.
pub trait ModelFactory: Send + Sync {
    /// One model per router, in the order of `routers`.
    fn build(&self, routers: &[Arc<Router>]) -> anyhow::Result<Vec<Arc<dyn RouterModel>>>;
}
