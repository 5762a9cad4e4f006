//! `ping` alone: IOS's extended ping dialog (privileged EXEC). The router asks one question at
//! a time, Enter keeps the default in brackets, and the ping runs with the answers. The
//! questions and their order are those of IOS's own dialog as Cisco's training material
//! shows it (`Protocol [ip]:` … `Sweep range of sizes [n]:`).

use crate::lab::commands::ping::{interface_name, is_letters};
use crate::lab::model::{PingRequest, PingSource};
use std::net::Ipv4Addr;

/// What IOS says for a target it cannot resolve (the lab has no DNS).
const UNRECOGNIZED: &str = "% Unrecognized host or address, or protocol not running.";

/// One question of the dialog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ask {
    Protocol,
    Target,
    Repeat,
    Size,
    Timeout,
    Extended,
    Source,
    Tos,
    Df,
    Validate,
    Pattern,
    Options,
    Sweep,
}

/// The questions in IOS's order, with their prompts; the extended ones only after `y`.
const QUESTIONS: &[(Ask, &str, bool)] = &[
    (Ask::Protocol, "Protocol [ip]: ", false),
    (Ask::Target, "Target IP address: ", false),
    (Ask::Repeat, "Repeat count [5]: ", false),
    (Ask::Size, "Datagram size [100]: ", false),
    (Ask::Timeout, "Timeout in seconds [2]: ", false),
    (Ask::Extended, "Extended commands [n]: ", false),
    (Ask::Source, "Source address or interface: ", true),
    (Ask::Tos, "Type of service [0]: ", true),
    (Ask::Df, "Set DF bit in IP header? [no]: ", true),
    (Ask::Validate, "Validate reply data? [no]: ", true),
    (Ask::Pattern, "Data pattern [0xABCD]: ", true),
    (
        Ask::Options,
        "Loose, Strict, Record, Timestamp, Verbose[none]: ",
        true,
    ),
    (Ask::Sweep, "Sweep range of sizes [n]: ", false),
];

/// The dialog in progress: what has been answered so far.
#[derive(Debug, Clone)]
pub struct Dialog {
    at: usize,
    extended: bool,
    target: Option<Ipv4Addr>,
    request: Option<PingRequest>,
}

impl Default for Dialog {
    fn default() -> Self {
        Self::new()
    }
}

fn number(text: &str, lo: u32, hi: u32) -> Result<u32, String> {
    text.parse::<u32>()
        .ok()
        .filter(|n| (lo..=hi).contains(n))
        .ok_or_else(|| format!("% A decimal number between {lo} and {hi}."))
}

fn yes_no(text: &str) -> Result<bool, String> {
    match text.to_ascii_lowercase().as_str() {
        "y" | "ye" | "yes" => Ok(true),
        "n" | "no" => Ok(false),
        _ => Err("% Please answer 'yes' or 'no'.".to_string()),
    }
}

impl Dialog {
    pub fn new() -> Dialog {
        Dialog {
            at: 0,
            extended: false,
            target: None,
            request: None,
        }
    }

    /// The next question to print, or `None` when the ping can run.
    pub fn prompt(&self) -> Option<&'static str> {
        QUESTIONS.get(self.at).map(|(_, p, _)| *p)
    }

    /// Takes the answer to the current question (empty: the default). An error line ends the
    /// dialog, as on IOS.
    pub fn answer(&mut self, typed: &str) -> Result<(), String> {
        let text = typed.trim();
        let Some(&(ask, _, _)) = QUESTIONS.get(self.at) else {
            return Ok(());
        };
        let given = !text.is_empty();
        match ask {
            Ask::Protocol if given && !text.eq_ignore_ascii_case("ip") => {
                return Err(format!(
                    "% Unknown protocol - \"{text}\", type \"ping ?\" for help"
                ));
            }
            Ask::Protocol => {}
            Ask::Target => {
                let target: Ipv4Addr = text.parse().map_err(|_| UNRECOGNIZED.to_string())?;
                self.target = Some(target);
                self.request = Some(PingRequest::to(target));
            }
            Ask::Repeat if given => self.req().repeat = number(text, 1, 2_147_483_647)?,
            Ask::Size if given => self.req().size = number(text, 36, 18_024)?,
            Ask::Timeout if given => self.req().timeout_secs = number(text, 0, 3600)?,
            Ask::Extended if given => self.extended = yes_no(text)?,
            Ask::Source if given => {
                let source = match text.parse::<Ipv4Addr>() {
                    Ok(a) => Some(PingSource::Address(a)),
                    Err(_) => {
                        let (kind, unit) = match text.split_once(' ') {
                            Some((k, u)) if is_letters(k) => (k, Some(u.trim())),
                            _ => (text, None),
                        };
                        interface_name(kind, unit).map(PingSource::Interface)
                    }
                };
                let source = source.ok_or_else(|| {
                    "% Invalid source. Must use IP address or full interface name without spaces (e.g. Serial0/1)".to_string()
                })?;
                self.req().source = Some(source);
            }
            Ask::Tos if given => {
                number(text, 0, 255)?;
            }
            Ask::Df | Ask::Validate if given => {
                yes_no(text)?;
            }
            Ask::Pattern if given => {
                let hex = text.trim_start_matches("0x").trim_start_matches("0X");
                u16::from_str_radix(hex, 16).map_err(|_| "% Invalid pattern".to_string())?;
            }
            Ask::Options if given => {
                return Err(
                    "% The lab does not model IP options (record, timestamp, source routing)"
                        .to_string(),
                );
            }
            Ask::Sweep if given && yes_no(text)? => {
                return Err("% The lab does not model a sweep of sizes".to_string());
            }
            _ => {}
        }
        self.at += 1;
        while let Some(&(_, _, extended_only)) = QUESTIONS.get(self.at) {
            if extended_only && !self.extended {
                self.at += 1;
            } else {
                break;
            }
        }
        Ok(())
    }

    fn req(&mut self) -> &mut PingRequest {
        self.request
            .get_or_insert_with(|| PingRequest::to(Ipv4Addr::UNSPECIFIED))
    }

    /// The ping to run once every question is answered.
    pub fn finish(self) -> Option<PingRequest> {
        if self.prompt().is_some() || self.target.is_none() {
            return None;
        }
        self.request
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(answers: &[&str]) -> Result<(Vec<&'static str>, Option<PingRequest>), String> {
        let mut d = Dialog::new();
        let mut asked = Vec::new();
        let mut answers = answers.iter();
        while let Some(p) = d.prompt() {
            asked.push(p);
            d.answer(answers.next().copied().unwrap_or(""))?;
        }
        Ok((asked, d.finish()))
    }

    #[test]
    fn defaults_ask_the_basic_questions() {
        let (asked, req) = run(&["", "192.168.102.1"]).unwrap();
        assert_eq!(asked.len(), 7);
        assert_eq!(asked[6], "Sweep range of sizes [n]: ");
        assert_eq!(req, Some(PingRequest::to("192.168.102.1".parse().unwrap())));
    }

    #[test]
    fn extended_answers_set_source_repeat_and_timeout() {
        let (asked, req) = run(&[
            "ip",
            "192.168.102.1",
            "3",
            "",
            "1",
            "y",
            "GigabitEthernet1/0",
        ])
        .unwrap();
        assert_eq!(asked.len(), 13);
        assert_eq!(asked[6], "Source address or interface: ");
        let req = req.unwrap();
        assert_eq!((req.repeat, req.timeout_secs), (3, 1));
        assert_eq!(
            req.source,
            Some(PingSource::Interface("GigabitEthernet1/0".into()))
        );
    }

    #[test]
    fn a_bad_answer_ends_the_dialog_with_ios_words() {
        assert_eq!(
            run(&["", "192.168.102.1", "0"]).unwrap_err(),
            "% A decimal number between 1 and 2147483647."
        );
        assert!(
            run(&["appletalk"])
                .unwrap_err()
                .starts_with("% Unknown protocol")
        );
        assert_eq!(run(&["", "nowhere"]).unwrap_err(), UNRECOGNIZED);
    }
}
