//! `show logging`: the logging settings and the log buffer, where the router's syslog
//! messages (`%LINK-3-UPDOWN`, `%LINEPROTO-5-UPDOWN`, `%CRYPTO-…`, `%SYS-5-CONFIG_I`) wait with
//! their timestamps. The layout is IOS 15's, as in ntc-templates' `show logging` samples.

use crate::lab::router::Router;

pub fn lines(router: &Router) -> Vec<String> {
    let (buffer, logged) = router.buffer.snapshot();
    let mut out: Vec<String> = vec![
        "Syslog logging: enabled (0 messages dropped, 0 messages rate-limited, 0 flushes, 0 overruns, xml disabled, filtering disabled)".into(),
        String::new(),
        "No Active Message Discriminator.".into(),
        String::new(),
        String::new(),
        String::new(),
        "No Inactive Message Discriminator.".into(),
        String::new(),
        String::new(),
        format!("    Console logging: level debugging, {logged} messages logged, xml disabled,"),
        "                     filtering disabled".into(),
        format!("    Monitor logging: level debugging, {logged} messages logged, xml disabled,"),
        "                     filtering disabled".into(),
        format!("    Buffer logging:  level informational, {logged} messages logged, xml disabled,"),
        "                    filtering disabled".into(),
        "    Exception Logging: size (4096 bytes)".into(),
        "    Count and timestamp logging messages: disabled".into(),
        "    Persistent logging: disabled".into(),
        String::new(),
        "No active filter modules.".into(),
        String::new(),
        format!("    Trap logging: level informational, {logged} message lines logged"),
        "        Logging Source-Interface:       VRF Name:".into(),
        String::new(),
        "Log Buffer (8192 bytes):".into(),
        String::new(),
    ];
    out.extend(buffer);
    out
}
