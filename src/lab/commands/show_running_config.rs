//! `show running-config`: the scenario's configuration under IOS's header.
//!
//! The text is shown as the scenario wrote it, pre-shared keys included, because that is what
//! a router prints; redacting is the agent's job, and the lab exists to let it practise that.

use crate::lab::router::Router;

pub fn lines(router: &Router) -> Vec<String> {
    let config = &router.spec.config;
    let mut out = vec![
        "Building configuration...".to_string(),
        String::new(),
        format!("Current configuration : {} bytes", config.len()),
    ];
    out.extend(config.lines().map(|l| l.trim_end_matches('\r').to_string()));
    out
}
