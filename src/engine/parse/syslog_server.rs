//! Lines of a central syslog server's file: each carries the server's own timestamp and the
//! sending router's name or address before the router's message, so one file holds many routers.
//!
//! ```text
//! Nov 26 10:15:42 hq-rtr 1234: *Nov 26 10:15:42.123: ISAKMP:(0): retransmitting phase 1 MM_NO_STATE...
//! 2026-11-26T10:15:42.123+00:00 203.0.113.2 88: %CRYPTO-4-IKMP_BAD_MESSAGE: IKE message from ...
//! ```

use super::debug::looks_like_log;

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Splits a syslog-server line into (sending host, the router's own line).
pub fn split(line: &str) -> Option<(&str, &str)> {
    let rest = server_stamp(line)?;
    let rest = rest.trim_start();
    let host_end = rest.find(' ')?;
    let host = rest[..host_end].trim_end_matches(':');
    let valid_host = !host.is_empty()
        && host
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b':'));
    if !valid_host {
        return None;
    }
    let msg = rest[host_end + 1..].trim_start();
    looks_like_log(msg).then_some((host, msg))
}

/// `Nov 26 10:15:42 ` (RFC 3164) or `2026-11-26T10:15:42[.123][Z|+00:00] ` (RFC 5424 style).
fn server_stamp(line: &str) -> Option<&str> {
    let b = line.as_bytes();
    if MONTHS.iter().any(|m| line.starts_with(m)) {
        let r = line.get(3..)?.trim_start_matches(' ');
        let day = r.bytes().take_while(|c| c.is_ascii_digit()).count();
        let r = r.get(day..)?.strip_prefix(' ')?;
        let t = r.get(..8)?;
        let tb = t.as_bytes();
        let ok = day > 0 && tb[2] == b':' && tb[5] == b':' && r.as_bytes().get(8) == Some(&b' ');
        return ok.then(|| &r[8..]);
    }
    if b.len() > 19 && b[4] == b'-' && b[7] == b'-' && b[10] == b'T' && b[13] == b':' {
        let end = line.find(' ')?;
        return Some(&line[end..]);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_both_stamp_styles() {
        let a = "Nov 26 10:15:42 hq-rtr 1234: *Nov 26 10:15:42.123: ISAKMP:(0): retransmitting phase 1 MM_NO_STATE...";
        assert_eq!(
            split(a),
            Some((
                "hq-rtr",
                "1234: *Nov 26 10:15:42.123: ISAKMP:(0): retransmitting phase 1 MM_NO_STATE..."
            ))
        );
        let b = "2026-11-26T10:15:42.123+00:00 203.0.113.2 88: %CRYPTO-4-IKMP_BAD_MESSAGE: IKE message from 203.0.113.1 failed its sanity check or is malformed";
        assert_eq!(split(b).map(|x| x.0), Some("203.0.113.2"));
    }

    #[test]
    fn router_lines_are_not_server_lines() {
        assert_eq!(
            split("*Oct 25 18:53:16.485: ISAKMP: (0):SA request profile is (NULL)"),
            None
        );
        assert_eq!(
            split("Apr 20 11:06:55: %CRYPTO-6-ISAKMP_ON_OFF: ISAKMP is OFF"),
            None
        );
        assert_eq!(split("Nov 26 10:15:42 host just some text"), None);
    }
}
