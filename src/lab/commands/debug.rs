//! `debug crypto isakmp|ipsec`, `debug crypto condition peer ipv4 X`, their `no` / `undebug`
//! forms, and `undebug all` / `no debug all`: they change the router-wide debug flags and
//! answer with IOS's confirmation line.

use crate::lab::router::{DebugKind, Router};
use std::net::Ipv4Addr;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DebugChange {
    On(DebugKind),
    Off(DebugKind),
    AddPeer(Ipv4Addr),
    RemovePeer(Ipv4Addr),
    ResetConditions,
    AllOff,
}

fn label(kind: DebugKind) -> &'static str {
    match kind {
        DebugKind::CryptoIsakmp => "Crypto ISAKMP",
        DebugKind::CryptoIpsec => "Crypto IPSEC",
    }
}

impl DebugChange {
    pub fn apply(self, router: &Router) -> Vec<String> {
        let flags = &router.debug;
        match self {
            DebugChange::On(kind) => {
                flags.set(kind, true);
                vec![format!("{} debugging is on", label(kind))]
            }
            DebugChange::Off(kind) => {
                flags.set(kind, false);
                vec![format!("{} debugging is off", label(kind))]
            }
            // IOS accepts conditions silently; `show debug` lists them.
            DebugChange::AddPeer(peer) => {
                flags.add_peer_condition(peer);
                Vec::new()
            }
            DebugChange::RemovePeer(peer) => {
                flags.remove_peer_condition(peer);
                Vec::new()
            }
            DebugChange::ResetConditions => {
                flags.reset_conditions();
                Vec::new()
            }
            DebugChange::AllOff => {
                flags.all_off();
                vec!["All possible debugging has been turned off".to_string()]
            }
        }
    }
}
