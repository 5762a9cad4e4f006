//! The syslog messages IOS logs when a configuration change takes effect: an interface shut
//! or brought up, ISAKMP switched on or off with the crypto map that needs it. They go to
//! the log buffer (`show logging`) and to every `terminal monitor` session.

use crate::ios::RunningConfig;
use crate::lab::running::Change;

/// IKE listens once ISAKMP is on and a crypto map sits on an interface that is up.
fn isakmp_on(cfg: &RunningConfig) -> bool {
    cfg.isakmp_enabled
        && cfg
            .interfaces
            .iter()
            .any(|i| !i.shutdown && i.crypto_map.is_some())
}

/// `%LINK-3-UPDOWN` and `%LINEPROTO-5-UPDOWN` for an interface coming up or going down.
pub fn link(name: &str, up: bool, admin: bool) -> [String; 2] {
    let link = match (up, admin) {
        (true, _) => format!("%LINK-3-UPDOWN: Interface {name}, changed state to up"),
        (false, true) => {
            format!("%LINK-5-CHANGED: Interface {name}, changed state to administratively down")
        }
        (false, false) => format!("%LINK-3-UPDOWN: Interface {name}, changed state to down"),
    };
    let state = if up { "up" } else { "down" };
    [
        link,
        format!("%LINEPROTO-5-UPDOWN: Line protocol on Interface {name}, changed state to {state}"),
    ]
}

pub fn isakmp_on_off(on: bool) -> String {
    format!(
        "%CRYPTO-6-ISAKMP_ON_OFF: ISAKMP is {}",
        if on { "ON" } else { "OFF" }
    )
}

pub fn messages(change: &Change) -> Vec<String> {
    let mut out = Vec::new();
    for after in &change.after.interfaces {
        let Some(before) = change.before.interface(&after.name) else {
            continue;
        };
        if before.shutdown != after.shutdown {
            out.extend(link(&after.name, !after.shutdown, after.shutdown));
        }
    }
    let (was, is) = (isakmp_on(&change.before), isakmp_on(&change.after));
    if was != is {
        out.push(isakmp_on_off(is));
    }
    out
}
