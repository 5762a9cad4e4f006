//! `debug crypto isakmp|ipsec|ikev2`, `debug crypto condition peer ipv4 X`, their `no` / `undebug`
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
        // IOS-XE names IKEv2's debug levels (`IKEv2 error debugging is on` for `debug crypto
        // ikev2 error`); the bare command switches on the default level.
        DebugKind::CryptoIkev2 => "IKEv2 default",
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
            // IOS keeps `debug crypto condition` filters through `undebug all`: only
            // `debug crypto condition reset` or `no debug crypto condition …` remove them.
            DebugChange::AllOff => {
                flags.set(DebugKind::CryptoIsakmp, false);
                flags.set(DebugKind::CryptoIpsec, false);
                flags.set(DebugKind::CryptoIkev2, false);
                vec!["All possible debugging has been turned off".to_string()]
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lab::clock::LabClock;
    use crate::lab::scenario::Scenario;

    #[test]
    fn undebug_all_keeps_debug_conditions_as_ios_does() {
        let s = Scenario::embedded("healthy").unwrap();
        let clock = LabClock::new(1.0, std::time::SystemTime::now()).unwrap();
        let r = Router::new("healthy", s.routers[0].clone(), clock);
        let peer = Ipv4Addr::new(203, 0, 113, 2);
        DebugChange::On(DebugKind::CryptoIsakmp).apply(&r);
        assert_eq!(
            DebugChange::On(DebugKind::CryptoIkev2).apply(&r),
            ["IKEv2 default debugging is on"]
        );
        DebugChange::AddPeer(peer).apply(&r);
        DebugChange::AllOff.apply(&r);
        let state = r.debug.get();
        assert!(!state.crypto_isakmp && !state.crypto_ipsec && !state.crypto_ikev2);
        assert!(state.peer_conditions.contains(&peer));
        DebugChange::RemovePeer(peer).apply(&r);
        assert!(r.debug.get().is_quiet());
    }
}
