//! `show debugging`: which debugs are on. Empty output means none, which is how the agent
//! confirms its cleanup.
//!
//! ```text
//! Cryptographic Subsystem:
//!   Crypto ISAKMP debugging is on
//!   Crypto IPSEC debugging is on
//!
//! Crypto conditional debug is turned ON
//! IKE debug context unmatched flag:OFF
//! IPsec debug context unmatched flag:OFF
//! Crypto Engine debug context unmatched flag:OFF
//!
//! IKE peer IP address filters:
//! 203.0.113.2
//! Connection-id filters:[none]
//! ```
//!
//! The conditional part is laid out as `show crypto debug-condition` prints it: the filters
//! heading, then one address a line.

use crate::lab::router::DebugState;

pub fn lines(state: &DebugState) -> Vec<String> {
    let mut out = Vec::new();
    if state.crypto_isakmp || state.crypto_ipsec || state.crypto_ikev2 {
        out.push("Cryptographic Subsystem:".to_string());
        if state.crypto_isakmp {
            out.push("  Crypto ISAKMP debugging is on".to_string());
        }
        if state.crypto_ipsec {
            out.push("  Crypto IPSEC debugging is on".to_string());
        }
        if state.crypto_ikev2 {
            out.push("  IKEv2 default debugging is on".to_string());
        }
    }
    if !state.peer_conditions.is_empty() {
        if !out.is_empty() {
            out.push(String::new());
        }
        out.extend(
            [
                "Crypto conditional debug is turned ON",
                "IKE debug context unmatched flag:OFF",
                "IPsec debug context unmatched flag:OFF",
                "Crypto Engine debug context unmatched flag:OFF",
                "",
                "IKE peer IP address filters:",
            ]
            .map(String::from),
        );
        out.extend(state.peer_conditions.iter().map(|p| p.to_string()));
        out.push("Connection-id filters:[none]".to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    #[test]
    fn nothing_on_prints_nothing() {
        assert!(lines(&DebugState::default()).is_empty());
    }

    #[test]
    fn ikev2_debugging_is_listed_and_read_back_as_a_crypto_debug() {
        let s = DebugState {
            crypto_ikev2: true,
            ..DebugState::default()
        };
        let text = lines(&s);
        assert_eq!(
            text,
            vec![
                "Cryptographic Subsystem:",
                "  IKEv2 default debugging is on"
            ]
        );
        // The agent's cleanup check reads this output with the engine's parser.
        let parsed = crate::engine::parse::show::debug::parse(&text.join("\n"));
        assert!(parsed.crypto_debug_on(), "{parsed:?}");
        assert!(parsed.unparsed.is_empty(), "{parsed:?}");
    }

    #[test]
    fn flags_and_conditions() {
        let mut s = DebugState {
            crypto_isakmp: true,
            ..DebugState::default()
        };
        assert_eq!(
            lines(&s),
            vec![
                "Cryptographic Subsystem:",
                "  Crypto ISAKMP debugging is on"
            ]
        );
        s.crypto_ipsec = true;
        s.peer_conditions.insert(Ipv4Addr::new(203, 0, 113, 2));
        assert_eq!(
            lines(&s),
            vec![
                "Cryptographic Subsystem:",
                "  Crypto ISAKMP debugging is on",
                "  Crypto IPSEC debugging is on",
                "",
                "Crypto conditional debug is turned ON",
                "IKE debug context unmatched flag:OFF",
                "IPsec debug context unmatched flag:OFF",
                "Crypto Engine debug context unmatched flag:OFF",
                "",
                "IKE peer IP address filters:",
                "203.0.113.2",
                "Connection-id filters:[none]",
            ]
        );
    }
}
