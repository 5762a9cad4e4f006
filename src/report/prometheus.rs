//! Prometheus text exposition: one gauge per tunnel for the verdict, one per finding code.

use super::Report;
use crate::engine::finding::Code;
use std::fmt::Write;

/// A label value: control characters shown (`\x1b` — someone may read this in a terminal),
/// then escaped as the exposition format wants (`\\`, `\"`, `\n`).
fn label(s: &str) -> String {
    crate::visible::visible(s)
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

pub fn render(reports: &[Report]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# HELP ipsec_doctor_status Nagios-style status of the tunnel: 0 ok, 1 warning, 2 critical, 3 unknown."
    );
    let _ = writeln!(out, "# TYPE ipsec_doctor_status gauge");
    for r in reports {
        let _ = writeln!(
            out,
            "ipsec_doctor_status{{tunnel=\"{}\"}} {}",
            label(&r.subject),
            r.exit_code
        );
    }
    if reports.iter().any(|r| r.reason.is_some()) {
        let _ = writeln!(
            out,
            "# HELP ipsec_doctor_unknown_reason 1 for a tunnel with no diagnosis, labelled with why (not checked, could not connect)."
        );
        let _ = writeln!(out, "# TYPE ipsec_doctor_unknown_reason gauge");
        for r in reports {
            if let Some(why) = &r.reason {
                let _ = writeln!(
                    out,
                    "ipsec_doctor_unknown_reason{{tunnel=\"{}\",reason=\"{}\"}} 1",
                    label(&r.subject),
                    label(why)
                );
            }
        }
    }
    let _ = writeln!(
        out,
        "# HELP ipsec_doctor_finding 1 when the finding code holds for the tunnel and peer."
    );
    let _ = writeln!(out, "# TYPE ipsec_doctor_finding gauge");
    for r in reports {
        for code in Code::ALL {
            let on: Vec<&str> = r
                .diagnosis
                .findings
                .iter()
                .filter(|f| f.code == code)
                .map(|f| f.peer.as_str())
                .collect();
            for peer in &on {
                let _ = writeln!(
                    out,
                    "ipsec_doctor_finding{{tunnel=\"{}\",code=\"{}\",peer=\"{}\"}} 1",
                    label(&r.subject),
                    code,
                    label(peer)
                );
            }
        }
    }
    out
}
