//! `traceroute A.B.C.D [source IF|A.B.C.D] [probe N] [timeout S] [ttl MIN MAX] [numeric]`,
//! options in any order and abbreviated, as `ping`'s. The model runs it.

use crate::lab::cli::grammar::{Args, Reject, invalid_at, keyword};
use crate::lab::commands::ping::{is_letters, number, source, starts_with_digit};
use crate::lab::model::TraceRequest;

const OPTIONS: &[&str] = &["numeric", "probe", "source", "timeout", "ttl"];

pub fn build(args: &Args<'_>) -> Result<TraceRequest, Reject> {
    let mut request = TraceRequest::to(args.ipv4(0)?);
    let mut tokens = args.rest.iter().peekable();
    while let Some(tok) = tokens.next() {
        let Some(option) = keyword(tok.text, OPTIONS)? else {
            return Err(invalid_at(tok, OPTIONS));
        };
        if option == "numeric" {
            continue;
        }
        let value = tokens.next().ok_or(Reject::Incomplete)?;
        match option {
            "probe" => request.probes = number(value, 1, 65_535)?,
            "timeout" => request.timeout_secs = number(value, 0, 3600)?,
            "ttl" => {
                let max = tokens.next().ok_or(Reject::Incomplete)?;
                request.min_ttl = number(value, 1, 255)?;
                request.max_ttl = number(max, request.min_ttl, 255)?;
            }
            _ => {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lab::cli::grammar::tokenize;
    use crate::lab::model::PingSource;

    fn trace(options: &str) -> Result<TraceRequest, Reject> {
        let line = format!("traceroute 192.168.102.1 {options}");
        let tokens = tokenize(&line);
        build(&Args {
            values: vec![tokens[1].text],
            rest: &tokens[2..],
            ..Args::default()
        })
    }

    #[test]
    fn defaults_and_options() {
        let r = trace("").unwrap();
        assert_eq!(
            (r.probes, r.timeout_secs, r.min_ttl, r.max_ttl, r.source),
            (3, 3, 1, 30, None)
        );
        let r = trace("so gi1/0 pro 1 ti 1 ttl 1 5 num").unwrap();
        assert_eq!((r.probes, r.timeout_secs, r.max_ttl), (1, 1, 5));
        assert_eq!(
            r.source,
            Some(PingSource::Interface("GigabitEthernet1/0".into()))
        );
        assert_eq!(trace("ttl 5"), Err(Reject::Incomplete));
        assert_eq!(trace("colour"), Err(Reject::Invalid { column: 25 }));
    }
}
