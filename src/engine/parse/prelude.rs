//! The front of a log line: sequence number, timestamp, and the facility prefix with its SA id.
//!
//! Every IOS generation decorates the same message differently:
//!
//! ```text
//! 2328304: Jun  8 12:00:01.123 UTC: ISAKMP (0:2): ...        12.2/12.3, sequence number, zone
//! *Mar  1 00:42:09.431: ISAKMP:(0): retransmitting ...       12.4/15.x, `*` = clock not synced
//! 00:27:07: ISAKMP:      encryption DES-CBC                  uptime stamp, attribute line, no SA id
//! *Oct 25 18:53:16.485: ISAKMP-PAK: (1001):sending packet    IOS-XE 16+
//! *Oct 25 18:53:16.485: IKEv2:(SESSION ID = 1,SA ID = 1):... IKEv2
//! Apr 20 11:06:55: %CRYPTO-4-IKMP_BAD_MESSAGE: IKE message from ...
//!         next-payload : 8                                   continuation of the line before
//! ```
//!
//! This runs on every line of captures that reach hundreds of megabytes, so it scans bytes by
//! hand instead of using a regex; the signature table only sees the body that is left.

/// Which subsystem printed the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Facility {
    /// `ISAKMP:` / `ISAKMP (0:2):` / `ISAKMP:(0):`
    Isakmp,
    /// `ISAKMP-PAK:` (IOS-XE packet trace)
    IsakmpPak,
    /// `ISAKMP-ERROR:` (IOS-XE)
    IsakmpError,
    /// `IKEv2:` and `IKEv2-ERROR:` / `IKEv2-PAK:` / `IKEv2-INTERNAL:`
    Ikev2,
    /// `IPSEC(function): …` or `IPSEC: …` from `debug crypto ipsec`
    Ipsec,
    /// `%CRYPTO-4-IKMP_BAD_MESSAGE: …` and other syslog messages
    Syslog,
    /// No known prefix: either a bare attribute line or something we do not model.
    Other,
}

/// A decomposed line. `body` borrows from the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prelude<'a> {
    /// Milliseconds since the start of the year (dated stamps) or since boot (uptime stamps).
    pub time_ms: Option<u64>,
    /// The timestamp had a leading `*` (router clock not synchronised).
    pub unsynced: bool,
    pub facility: Facility,
    /// The connection / SA id in the prefix, e.g. 1001 in `ISAKMP: (1001):`.
    pub sa: Option<u32>,
    /// Indented text with no timestamp: the tail of the previous line.
    pub continuation: bool,
    pub body: &'a str,
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Splits a line into its parts. Never fails: an unrecognised line is `Facility::Other`.
pub fn split(line: &str) -> Prelude<'_> {
    let continuation = line.starts_with([' ', '\t']);
    let mut rest = skip_blanks(line);
    rest = skip_sequence_number(rest);
    let mut unsynced = false;
    let mut time_ms = None;
    if let Some((t, after, star)) = timestamp(rest) {
        time_ms = Some(t);
        unsynced = star;
        rest = skip_blanks(after);
    }
    let (facility, sa, body) = facility(rest);
    Prelude {
        time_ms,
        unsynced,
        facility,
        sa,
        continuation: continuation && time_ms.is_none(),
        body,
    }
}

/// The facility and message body of a line, as [`split`] finds them, without the values of
/// the timestamp and SA id: what the line classifier needs, on every matching line.
pub fn body(line: &str) -> (Facility, &str) {
    let mut rest = skip_sequence_number(skip_blanks(line));
    if let Some(after) = skip_timestamp(rest) {
        rest = skip_blanks(after);
    }
    let (f, _, body) = facility(rest);
    (f, body)
}

/// Whether [`split`] finds a timestamp or a known facility on the line: what tells a log line
/// from show output, without reading the facility when a timestamp already told.
pub fn is_decorated(line: &str) -> bool {
    let rest = skip_sequence_number(skip_blanks(line));
    timestamp(rest).is_some() || !matches!(facility(rest).0, Facility::Other)
}

/// The text after a timestamp of any form [`timestamp`] reads, checked for its shape only.
fn skip_timestamp(s: &str) -> Option<&str> {
    let b = s.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'*' | b'.')));
    let digit = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    let clock_at = |i: usize| {
        digit(i)
            && digit(i + 1)
            && b.get(i + 2) == Some(&b':')
            && digit(i + 3)
            && digit(i + 4)
            && b.get(i + 5) == Some(&b':')
            && digit(i + 6)
            && digit(i + 7)
    };
    if b.get(i).is_some_and(u8::is_ascii_uppercase) {
        // `Mar  1 00:42:09.431[ UTC]:`
        if !MONTHS.iter().any(|m| b[i..].starts_with(m.as_bytes())) {
            return None;
        }
        i += 3;
        while b.get(i) == Some(&b' ') {
            i += 1;
        }
        let day = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        if day == 0 || day > 2 || b.get(i + day) != Some(&b' ') {
            return None;
        }
        i += day + 1;
        if !clock_at(i) {
            return None;
        }
        i += 8;
    } else if clock_at(i) {
        // `00:27:07:`
        i += 8;
    } else {
        // `1d02h:` and other unit forms: the full reader knows them.
        return timestamp(s).map(|(_, rest, _)| rest);
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        while digit(i) {
            i += 1;
        }
    }
    if b.get(i) == Some(&b' ') {
        let n = b[i + 1..]
            .iter()
            .take_while(|c| c.is_ascii_alphabetic())
            .count();
        if (2..=5).contains(&n) {
            i += 1 + n;
        }
    }
    (b.get(i) == Some(&b':')).then(|| &s[i + 1..])
}

/// Leading spaces and tabs (router output is ASCII: no need to decode characters).
fn skip_blanks(s: &str) -> &str {
    let n = s
        .bytes()
        .take_while(|b| matches!(b, b' ' | b'\t' | b'\r'))
        .count();
    &s[n..]
}

/// `2328304: ` — digits, colon, space. An uptime stamp (`00:27:07:`) has a digit after the
/// colon, so it is not mistaken for one.
fn skip_sequence_number(s: &str) -> &str {
    let b = s.as_bytes();
    let digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
    if digits > 0 && b.get(digits) == Some(&b':') && b.get(digits + 1) == Some(&b' ') {
        return &s[digits + 2..];
    }
    s
}

/// Parses a timestamp at the start of `s`, returning (ms, rest after the closing colon, star).
fn timestamp(s: &str) -> Option<(u64, &str, bool)> {
    let (star, s) = match s.as_bytes().first() {
        Some(b'*') | Some(b'.') => (s.starts_with('*'), &s[1..]),
        _ => (false, s),
    };
    dated(s)
        .or_else(|| uptime(s))
        .map(|(t, rest)| (t, rest, star))
}

/// `Mar  1 00:42:09.431:`, `Apr 20 11:06:55:`, `Mar 13 15:29:24.294 UTC:`
fn dated(s: &str) -> Option<(u64, &str)> {
    // Every line passes here: look at the month only when the first letter can start one.
    if !matches!(
        s.as_bytes().first(),
        Some(b'J' | b'F' | b'M' | b'A' | b'S' | b'O' | b'N' | b'D')
    ) {
        return None;
    }
    let month = MONTHS.iter().position(|m| s.starts_with(m))? as u64;
    let mut r = s.get(3..)?.trim_start_matches(' ');
    let (day, after) = number(r)?;
    r = after.strip_prefix(' ')?;
    let (clock, after) = clock(r)?;
    r = after;
    // Optional time zone word before the colon.
    if let Some(tz) = r.strip_prefix(' ') {
        let n = tz.bytes().take_while(|c| c.is_ascii_alphabetic()).count();
        if (2..=5).contains(&n) {
            r = &tz[n..];
        }
    }
    let r = r.strip_prefix(':')?;
    let days = month * 31 + day.saturating_sub(1);
    Some((days * 86_400_000 + clock, r))
}

/// `00:27:07:` or `1d02h:` / `2w3d:` (uptime stamps).
fn uptime(s: &str) -> Option<(u64, &str)> {
    if let Some((clock, r)) = clock(s) {
        return r.strip_prefix(':').map(|r| (clock, r));
    }
    let (a, r) = number(s)?;
    // Units are ASCII letters, so slicing one byte past them stays on a char boundary.
    let unit_a = *r.as_bytes().first().filter(|c| c.is_ascii_alphabetic())?;
    let (b, r2) = number(&r[1..])?;
    let unit_b = *r2.as_bytes().first().filter(|c| c.is_ascii_alphabetic())?;
    let r3 = r2[1..].strip_prefix(':')?;
    let ms = |n: u64, u: u8| match u {
        b'w' => Some(n * 7 * 86_400_000),
        b'd' => Some(n * 86_400_000),
        b'h' => Some(n * 3_600_000),
        b'm' => Some(n * 60_000),
        _ => None,
    };
    Some((ms(a, unit_a)? + ms(b, unit_b)?, r3))
}

/// `hh:mm:ss[.mmm]` → milliseconds.
fn clock(s: &str) -> Option<(u64, &str)> {
    let b = s.as_bytes();
    if b.len() < 8 || b[2] != b':' || b[5] != b':' {
        return None;
    }
    let two = |i: usize| -> Option<u64> {
        let (x, y) = (b[i], b[i + 1]);
        (x.is_ascii_digit() && y.is_ascii_digit()).then(|| ((x - b'0') * 10 + (y - b'0')) as u64)
    };
    let (h, m, sec) = (two(0)?, two(3)?, two(6)?);
    let mut ms = ((h * 60 + m) * 60 + sec) * 1000;
    let mut rest = &s[8..];
    if let Some(frac) = rest.strip_prefix('.') {
        let n = frac.bytes().take_while(|c| c.is_ascii_digit()).count();
        if n > 0 {
            let digits = &frac[..n.min(3)];
            let v: u64 = digits.parse().ok()?;
            ms += v * 10u64.pow(3 - digits.len() as u32);
            rest = &frac[n..];
        }
    }
    Some((ms, rest))
}

fn number(s: &str) -> Option<(u64, &str)> {
    let n = s.bytes().take_while(|c| c.is_ascii_digit()).count();
    if n == 0 || n > 12 {
        return None;
    }
    Some((s[..n].parse().ok()?, &s[n..]))
}

fn facility(s: &str) -> (Facility, Option<u32>, &str) {
    if let Some(r) = s.strip_prefix("ISAKMP") {
        let (fac, r) = if let Some(r) = r.strip_prefix("-PAK") {
            (Facility::IsakmpPak, r)
        } else if let Some(r) = r.strip_prefix("-ERROR") {
            (Facility::IsakmpError, r)
        } else {
            (Facility::Isakmp, r)
        };
        return isakmp_sa_prefix(fac, r).unwrap_or((Facility::Other, None, s));
    }
    // `IKEv2:` / `IKEv2-ERROR:`; `IKEv2 SA:` in `show crypto session` is not a log line.
    if s.starts_with("IKEv2:") || s.starts_with("IKEv2-") {
        return ikev2_prefix(s);
    }
    if let Some(r) = s.strip_prefix("IPSEC")
        && (r.starts_with('(') || r.starts_with(':'))
    {
        let body = r.strip_prefix(':').map(str::trim_start).unwrap_or(s);
        return (Facility::Ipsec, None, body);
    }
    if is_syslog_mnemonic(s) {
        return (Facility::Syslog, None, s);
    }
    (Facility::Other, None, s)
}

/// `%CRYPTO-4-IKMP_BAD_MESSAGE:` — facility, severity digit, mnemonic. IOS's own CLI errors
/// (`% Invalid input detected`) also start with `%` but are not log messages.
fn is_syslog_mnemonic(s: &str) -> bool {
    let Some(rest) = s.strip_prefix('%') else {
        return false;
    };
    let b = rest.as_bytes();
    let fac = b
        .iter()
        .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || **c == b'_')
        .count();
    fac > 0
        && b.get(fac) == Some(&b'-')
        && b.get(fac + 1).is_some_and(u8::is_ascii_digit)
        && b.get(fac + 2) == Some(&b'-')
}

/// After `ISAKMP[-PAK|-ERROR]`: `:(0):`, `: (1001):`, ` (0:2):`, `:(0:1:SW:1):`, or `:` alone.
fn isakmp_sa_prefix(fac: Facility, r: &str) -> Option<(Facility, Option<u32>, &str)> {
    let r = r.strip_prefix(':').unwrap_or(r);
    let trimmed = r.trim_start_matches(' ');
    if let Some(inner) = trimmed.strip_prefix('(') {
        let close = memchr::memchr(b')', inner.as_bytes())?;
        let id = sa_id(&inner[..close]);
        let after = &inner[close + 1..];
        let after = after.strip_prefix(':').unwrap_or(after);
        return Some((fac, id, after.trim_start()));
    }
    if r.len() != trimmed.len() || r.is_empty() {
        // `ISAKMP:      encryption DES-CBC`: an attribute line without an SA id.
        return Some((fac, None, trimmed));
    }
    None
}

/// `0` → 0, `0:2` → 2, `0:1:SW:1` → 1: the connection id is the second field when present.
fn sa_id(s: &str) -> Option<u32> {
    let mut parts = s.split(':');
    let first = parts.next()?.trim();
    match parts.next() {
        Some(second) => second.trim().parse().ok(),
        None => first.parse().ok(),
    }
}

/// `IKEv2:(SESSION ID = 1,SA ID = 1):body`, `IKEv2:(SA ID = 1):body`, `IKEv2-ERROR:(...)...`,
/// `IKEv2:body`, and the older `IKEv2:(1): body` / `IKEv2-PROTO-1: (8): body`.
fn ikev2_prefix(s: &str) -> (Facility, Option<u32>, &str) {
    let Some(colon) = s.find(':') else {
        return (Facility::Other, None, s);
    };
    let r = s[colon + 1..].trim_start();
    if let Some(inner) = r.strip_prefix('(')
        && let Some(close) = inner.find(')')
    {
        let id = inner[..close]
            .rsplit("SA ID =")
            .next()
            .and_then(|v| v.trim().parse().ok());
        // `):body`, and `):: body` / `): : body` on error lines whose text starts with a colon.
        let after = inner[close + 1..].trim_start_matches([':', ' ']);
        return (Facility::Ikev2, id, after);
    }
    (Facility::Ikev2, None, r)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(line: &str) -> Prelude<'_> {
        split(line)
    }

    #[test]
    fn ios_xe_prefix_with_space() {
        let x = p("*Oct 25 18:53:16.485: ISAKMP: (1001):Send initial contact");
        assert_eq!(x.facility, Facility::Isakmp);
        assert_eq!(x.sa, Some(1001));
        assert!(x.unsynced);
        assert_eq!(x.body, "Send initial contact");
        let oct25 = (9 * 31 + 24) * 86_400_000 + ((18 * 60 + 53) * 60 + 16) * 1000 + 485;
        assert_eq!(x.time_ms, Some(oct25));
    }

    #[test]
    fn ios_12_4_and_12_2_prefixes() {
        let x = p("*Mar  1 00:42:09.431: ISAKMP:(0): retransmitting phase 1 MM_NO_STATE...");
        assert_eq!((x.facility, x.sa), (Facility::Isakmp, Some(0)));
        assert_eq!(x.body, "retransmitting phase 1 MM_NO_STATE...");
        let y = p("Mar 13 15:29:24.294 UTC: ISAKMP (0:2): beginning Main Mode exchange");
        assert_eq!((y.facility, y.sa), (Facility::Isakmp, Some(2)));
        assert_eq!(y.body, "beginning Main Mode exchange");
        assert!(!y.unsynced);
        let z = p("2328304: Jun  8 12:00:01: ISAKMP (0:9577): received packet from 10.1.1.1");
        assert_eq!(z.sa, Some(9577));
        assert!(z.time_ms.is_some());
    }

    #[test]
    fn attribute_line_without_sa_id() {
        let x = p("00:27:07: ISAKMP:      encryption DES-CBC");
        assert_eq!((x.facility, x.sa), (Facility::Isakmp, None));
        assert_eq!(x.body, "encryption DES-CBC");
        assert_eq!(x.time_ms, Some(27 * 60_000 + 7000));
        let y = p("*Oct 25 18:53:16.490: ISAKMP:      life duration (VPI) of  0x0 0x1 0x51 0x80 ");
        assert_eq!(y.body, "life duration (VPI) of  0x0 0x1 0x51 0x80 ");
    }

    #[test]
    fn pak_error_ikev2_syslog_ipsec() {
        let x = p("*Oct 25 18:50:01.497: ISAKMP-ERROR: (0):No pre-shared key with 203.0.113.1!");
        assert_eq!((x.facility, x.sa), (Facility::IsakmpError, Some(0)));
        assert_eq!(x.body, "No pre-shared key with 203.0.113.1!");
        let y = p("*Oct 25 18:53:16.485: ISAKMP-PAK: (0):sending packet to 203.0.113.1");
        assert_eq!(y.facility, Facility::IsakmpPak);
        let z = p("*Nov  2 10:00:00.001: IKEv2:(SESSION ID = 7,SA ID = 3):Sending Packet");
        assert_eq!(
            (z.facility, z.sa, z.body),
            (Facility::Ikev2, Some(3), "Sending Packet")
        );
        for (line, sa, body) in [
            (
                "IKEv2-ERROR:(SESSION ID = 71,SA ID = 1):: Auth exchange failed",
                Some(1),
                "Auth exchange failed",
            ),
            (
                "IKEv2:(SA ID = 1):[Crypto Engine -> IKEv2] DH",
                Some(1),
                "[Crypto Engine -> IKEv2] DH",
            ),
            (
                "IKEv2:(1): Sending Packet [To",
                Some(1),
                "Sending Packet [To",
            ),
            (
                "IKEv2-PROTO-1: (8): Failed to find a matching policy",
                Some(8),
                "Failed to find a matching policy",
            ),
            (
                "IKEv2:Found Policy 'default'",
                None,
                "Found Policy 'default'",
            ),
            ("IKEv2-ERROR:(SESSION ID = 31,SA ID = 1):", Some(1), ""),
        ] {
            let x = p(line);
            assert_eq!(
                (x.facility, x.sa, x.body),
                (Facility::Ikev2, sa, body),
                "{line}"
            );
        }
        // The continuation lines of a packet carry no prefix.
        assert_eq!(
            p("IKEv2 IKE_AUTH Exchange RESPONSE ").facility,
            Facility::Other
        );
        let s = p("Apr 20 11:06:55: %CRYPTO-6-ISAKMP_ON_OFF: ISAKMP is OFF");
        assert_eq!(
            (s.facility, s.body),
            (Facility::Syslog, "%CRYPTO-6-ISAKMP_ON_OFF: ISAKMP is OFF")
        );
        let i = p(
            "*Mar  1 00:01:02.003: IPSEC(validate_transform_proposal): proxy identities not supported",
        );
        assert_eq!(i.facility, Facility::Ipsec);
        assert!(i.body.starts_with("IPSEC(validate_transform_proposal)"));
    }

    #[test]
    fn cli_errors_are_not_syslog() {
        assert_eq!(
            p("% Invalid input detected at '^' marker.").facility,
            Facility::Other
        );
        assert_eq!(
            p("%CRYPTO-6-ISAKMP_ON_OFF: ISAKMP is OFF").facility,
            Facility::Syslog
        );
        assert_eq!(
            p("%SYS-5-CONFIG_I: Configured from console").facility,
            Facility::Syslog
        );
    }

    #[test]
    fn continuation_and_uptime_units() {
        let x = p("        next-payload : 8");
        assert!(x.continuation);
        assert_eq!(x.facility, Facility::Other);
        let y = p("1d02h: ISAKMP:(1001):Old State = IKE_I_MM1  New State = IKE_I_MM2");
        assert_eq!(y.time_ms, Some(26 * 3_600_000));
        assert_eq!(y.sa, Some(1001));
    }

    #[test]
    fn body_agrees_with_split() {
        for line in [
            "*Oct 25 18:53:16.485: ISAKMP: (1001):Send initial contact",
            "*Mar  1 00:42:09.431: ISAKMP:(0): retransmitting phase 1 MM_NO_STATE...",
            "Mar 13 15:29:24.294 UTC: ISAKMP (0:2): beginning Main Mode exchange",
            "2328304: Jun  8 12:00:01: ISAKMP (0:9577): received packet from 10.1.1.1",
            "00:27:07: ISAKMP:      encryption DES-CBC",
            "1d02h: ISAKMP:(1001):Old State = IKE_I_MM1  New State = IKE_I_MM2",
            "Apr 20 11:06:55: %CRYPTO-6-ISAKMP_ON_OFF: ISAKMP is OFF",
            "ISAKMP:(0): No offers accepted!",
            "        next-payload : 8",
            "Mar 13 nonsense",
            "*Mar  1 00:42:09.431 UTCX: ISAKMP:(0): x",
        ] {
            let full = split(line);
            assert_eq!(body(line), (full.facility, full.body), "{line}");
            assert_eq!(
                is_decorated(line),
                full.time_ms.is_some() || full.facility != Facility::Other,
                "{line}"
            );
        }
    }

    #[test]
    fn odd_input_does_not_panic() {
        for s in [
            "",
            "*",
            "Mar",
            "*Mar  1",
            "12:",
            "ISAKMP",
            "ISAKMP:(",
            "IKEv2",
            "1d",
            "99999999999999999999: x",
            "ISAKMP (0:",
            "Mar  1 00:00:0",
            "*Mar 12 ",
            "00:00:00.",
        ] {
            let _ = split(s);
            let _ = body(s);
        }
    }
}
