//! `show clock`: `*10:15:42.123 UTC Thu Nov 26 2026` (the `*` until NTP has synchronised).

use crate::lab::router::Router;

pub fn lines(router: &Router) -> Vec<String> {
    vec![router.clock.now().show_clock(router.spec.ntp)]
}
