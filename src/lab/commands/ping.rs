//! `ping A.B.C.D [source IF|A.B.C.D] [repeat N] [size N] [timeout S]`, options in any order
//! and abbreviated (`ping 192.168.102.1 so gi1/0 rep 3`). The model runs it.

use crate::lab::cli::grammar::{Args, Reject, Token, invalid_at, keyword};
use crate::lab::model::{PingRequest, PingSource};

const OPTIONS: &[&str] = &["repeat", "size", "source", "timeout"];

/// IOS interface types, which may be abbreviated like keywords (`gi0/1`, `lo0`, `tu 1`).
const INTERFACE_TYPES: &[&str] = &[
    "Dialer",
    "Ethernet",
    "FastEthernet",
    "GigabitEthernet",
    "Loopback",
    "Port-channel",
    "Serial",
    "TenGigabitEthernet",
    "Tunnel",
    "Vlan",
];

pub fn build(args: &Args<'_>) -> Result<PingRequest, Reject> {
    let mut request = PingRequest::to(args.ipv4(0)?);
    let mut tokens = args.rest.iter().peekable();
    while let Some(tok) = tokens.next() {
        let Some(option) = keyword(tok.text, OPTIONS)? else {
            return Err(invalid_at(tok, OPTIONS));
        };
        let value = tokens.next().ok_or(Reject::Incomplete)?;
        match option {
            "repeat" => request.repeat = number(value, 1, 2_147_483_647)?,
            "size" => request.size = number(value, 36, 18_024)?,
            "timeout" => request.timeout_secs = number(value, 0, 3600)?,
            _ => {
                // `source gi 1/0`: IOS lets the unit number follow the type as its own word.
                let unit = match tokens.peek() {
                    Some(next) if is_letters(value.text) && starts_with_digit(next.text) => {
                        tokens.next().map(|t| t.text)
                    }
                    _ => None,
                };
                request.source = Some(source(value, unit)?);
            }
        }
    }
    Ok(request)
}

pub(crate) fn number(tok: &Token<'_>, lo: u32, hi: u32) -> Result<u32, Reject> {
    tok.text
        .parse::<u32>()
        .ok()
        .filter(|n| (lo..=hi).contains(n))
        .ok_or(Reject::Invalid { column: tok.column })
}

pub(crate) fn is_letters(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphabetic() || c == '-')
}

pub(crate) fn starts_with_digit(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_digit())
}

pub(crate) fn source(tok: &Token<'_>, unit: Option<&str>) -> Result<PingSource, Reject> {
    if let Ok(addr) = tok.text.parse() {
        return Ok(PingSource::Address(addr));
    }
    interface_name(tok.text, unit)
        .map(PingSource::Interface)
        .ok_or(Reject::Invalid { column: tok.column })
}

/// The full IOS name of an interface typed as `gi0/1`, `Gi 0/1` (`unit` the second word) or
/// `GigabitEthernet0/1`; `None` when the type is unknown or ambiguous or the unit malformed.
pub fn interface_name(text: &str, unit: Option<&str>) -> Option<String> {
    let split = text
        .find(|c: char| c.is_ascii_digit())
        .unwrap_or(text.len());
    let (kind, number) = text.split_at(split);
    let number = unit.unwrap_or(number);
    let well_formed = starts_with_digit(number)
        && number
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '/' | '.' | ':'));
    if kind.is_empty() || !well_formed {
        return None;
    }
    let lower = kind.to_ascii_lowercase();
    let hits: Vec<&str> = INTERFACE_TYPES
        .iter()
        .copied()
        .filter(|t| t.to_ascii_lowercase().starts_with(&lower))
        .collect();
    match hits.as_slice() {
        [one] => Some(format!("{one}{number}")),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lab::cli::grammar::tokenize;
    use std::net::Ipv4Addr;

    fn ping(options: &str) -> Result<PingRequest, Reject> {
        let line = format!("ping 192.168.102.1 {options}");
        let tokens = tokenize(&line);
        build(&Args {
            values: vec![tokens[1].text],
            rest: &tokens[2..],
            ..Args::default()
        })
    }

    #[test]
    fn defaults_match_ios() {
        let r = ping("").unwrap();
        assert_eq!(r.target, Ipv4Addr::new(192, 168, 102, 1));
        assert_eq!(
            (r.repeat, r.size, r.timeout_secs, r.source),
            (5, 100, 2, None)
        );
    }

    #[test]
    fn options_in_any_order_and_abbreviated() {
        let r = ping("rep 3 so gi1/0 time 1").unwrap();
        assert_eq!(r.repeat, 3);
        assert_eq!(r.timeout_secs, 1);
        assert_eq!(
            r.source,
            Some(PingSource::Interface("GigabitEthernet1/0".into()))
        );
        let r = ping("source GigabitEthernet 0/0/1").unwrap();
        assert_eq!(
            r.source,
            Some(PingSource::Interface("GigabitEthernet0/0/1".into()))
        );
        let r = ping("source 192.168.101.1 size 1400").unwrap();
        assert_eq!(
            r.source,
            Some(PingSource::Address(Ipv4Addr::new(192, 168, 101, 1)))
        );
        assert_eq!(r.size, 1400);
    }

    #[test]
    fn errors_point_at_the_bad_word() {
        // "ping 192.168.102.1 " is 19 characters.
        assert_eq!(ping("repeat 0"), Err(Reject::Invalid { column: 26 }));
        assert_eq!(ping("source t1"), Err(Reject::Invalid { column: 26 }));
        assert_eq!(ping("colour red"), Err(Reject::Invalid { column: 19 }));
        assert_eq!(ping("repeat"), Err(Reject::Incomplete));
        assert_eq!(ping("s 1"), Err(Reject::Ambiguous));
    }
}
