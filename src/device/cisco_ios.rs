//! Cisco IOS and IOS-XE as a [`Platform`]: the prompts, pager, enable dialogue and error
//! markers of the classic IOS command line (12.x, 15.x and IOS-XE 16/17 print them alike).

use super::platform::Platform;
use regex::Regex;
use std::sync::LazyLock;

static CISCO_IOS: LazyLock<Platform> = LazyLock::new(|| Platform {
    name: "cisco_ios",
    // R1>   R1#   R1(config)#   R1(config-if)#   R1(config-isakmp)#   branch-7.lab#
    // IOS host names: letters, digits, '-', '.', '_' (up to 63 characters).
    prompt: re(
        r"^(?P<host>[A-Za-z0-9][A-Za-z0-9._-]{0,62})(?:\((?P<mode>[A-Za-z0-9._-]+)\))?(?P<mark>[>#])\s*$",
    ),
    privileged_mark: '#',
    //  --More--
    pager: re(r"\s*--More--\s*$"),
    pager_answer: " ",
    // Password:
    password_prompt: re(r"^\s*Password:\s*$"),
    failures: &[
        // % Invalid input detected at '^' marker.
        "% Invalid input detected",
        // % Incomplete command.
        "% Incomplete command",
        // % Ambiguous command:  "sh c"
        "% Ambiguous command",
        // % Unknown command or computer name, or unable to find computer address
        "% Unknown command",
        // % Unrecognized command
        "% Unrecognized command",
        // % Bad IP address or host name
        "% Bad IP address",
        // % Permission denied / % Authorization failed. (AAA command authorisation)
        "% Permission denied",
        "% Authorization failed",
    ],
    enable: "enable",
    on_open: &["terminal length 0", "terminal width 0"],
    monitor_on: "terminal monitor",
    monitor_off: "terminal no monitor",
    end_config: "end",
    on_close: "exit",
    // Ctrl-Shift-6: IOS's escape sequence, stops ping and traceroute.
    interrupt: &[0x1e],
});

/// The IOS dialect.
pub fn platform() -> &'static Platform {
    &CISCO_IOS
}

/// Literal patterns, checked by the tests below; a failure is a programming error.
fn re(pattern: &str) -> Regex {
    Regex::new(pattern).expect("cisco_ios pattern compiles")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::platform::Mode;

    #[test]
    fn prompts_of_every_mode() {
        let p = platform();
        let cases = [
            ("R1>", "R1", Mode::User),
            ("R1#", "R1", Mode::Privileged),
            ("R1#  ", "R1", Mode::Privileged),
            ("branch-7.lab#", "branch-7.lab", Mode::Privileged),
            ("R1(config)#", "R1", Mode::Config("config".into())),
            ("R1(config-if)#", "R1", Mode::Config("config-if".into())),
            (
                "R2(config-isakmp)#",
                "R2",
                Mode::Config("config-isakmp".into()),
            ),
        ];
        for (tail, host, mode) in cases {
            let got = p.parse_prompt(tail).unwrap_or_else(|| panic!("{tail}"));
            assert_eq!((got.host.as_str(), got.mode), (host, mode), "{tail}");
        }
        for not in [
            "Password: ",
            " --More-- ",
            "R1#show version",
            "Type escape sequence to abort.",
            "",
            "#",
        ] {
            assert!(p.parse_prompt(not).is_none(), "{not:?}");
        }
    }

    #[test]
    fn pager_password_and_failures() {
        let p = platform();
        assert!(p.pager.is_match(" --More-- "));
        assert!(p.pager.is_match("--More--"));
        assert!(!p.pager.is_match("--More-- and more text"));
        assert!(p.password_prompt.is_match("Password: "));
        assert!(!p.password_prompt.is_match("Password: secret"));
        let lines = vec![
            "           ^".to_string(),
            "% Invalid input detected at '^' marker.".to_string(),
        ];
        assert_eq!(
            p.failure(&lines),
            Some("% Invalid input detected at '^' marker.")
        );
        assert_eq!(
            p.failure(&["% Incomplete command.".into()]),
            Some("% Incomplete command.")
        );
        assert_eq!(p.failure(&["IPv4 Crypto ISAKMP SA".into()]), None);
        // A crypto show saying it has nothing is an answer, not a refusal.
        assert_eq!(p.failure(&["% No active crypto sessions".into()]), None);
    }
}
