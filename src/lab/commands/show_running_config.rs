//! `show running-config` and `show startup-config`: the router's configuration lines under
//! IOS's header.
//!
//! The text is shown as the router holds it, pre-shared keys included, because that is what a
//! router prints; redacting is the agent's job, and the lab exists to let it practise that.

use crate::lab::clock::LogFormat;
use crate::lab::router::Router;

fn bytes(lines: &[String]) -> usize {
    lines.iter().map(|l| l.len() + 1).sum()
}

pub fn lines(router: &Router) -> Vec<String> {
    let config = router.config.lines();
    let mut out = vec![
        "Building configuration...".to_string(),
        String::new(),
        format!("Current configuration : {} bytes", bytes(&config)),
    ];
    out.extend(config);
    out
}

/// `show startup-config`: what `write memory` last saved (the boot config until then), with
/// the NVRAM use line of the platform `show version` describes.
pub fn startup(router: &Router) -> Vec<String> {
    let config = router.config.startup_lines();
    let nvram = match router.log_format() {
        LogFormat::Ios15 => 521_216,
        LogFormat::IosXe => 33_554_432,
    };
    let mut out = vec![format!("Using {} out of {nvram} bytes", bytes(&config))];
    out.extend(config);
    out
}
