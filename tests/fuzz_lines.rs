//! Property tests: the line parsers and the engine never panic and stay consistent on
//! arbitrary input, including decorated fragments of real lines.

use ipsec_doctor::engine::Engine;
use ipsec_doctor::engine::parse::{debug, prelude, syslog_server, transcript::Splitter};
use proptest::prelude::*;

/// Pieces of real lines, so that generated input reaches deep into the parsers.
fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("*Mar  1 00:42:09.431: ".to_string()),
        Just("2328304: Jun  8 12:00:01.123 UTC: ".to_string()),
        Just("00:27:07: ".to_string()),
        Just("1d02h: ".to_string()),
        Just("ISAKMP:(0):".to_string()),
        Just("ISAKMP (0:2): ".to_string()),
        Just("ISAKMP-ERROR: (1001):".to_string()),
        Just("IKEv2:(SESSION ID = 1,SA ID = 1):".to_string()),
        Just("IPSEC(validate_proposal_request): ".to_string()),
        Just("%CRYPTO-4-IKMP_BAD_MESSAGE: IKE message from ".to_string()),
        Just("life duration (VPI) of  0x0 0x1 0x51 0x80".to_string()),
        Just("Checking ISAKMP transform 1 against priority 10 policy".to_string()),
        Just("retransmitting phase 1 MM_NO_STATE...".to_string()),
        Just("No pre-shared key with ".to_string()),
        Just("R1#".to_string()),
        Just("Nov 26 10:15:42 r1 ".to_string()),
        "[ -~]{0,12}",
        any::<String>(),
    ]
}

fn line() -> impl Strategy<Value = String> {
    prop::collection::vec(fragment(), 0..5).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]
    #[test]
    fn line_parsers_never_panic(l in line()) {
        let p = prelude::split(&l);
        // The body is always a suffix of the line: nothing is invented.
        prop_assert!(l.ends_with(p.body) || l.trim_start().ends_with(p.body));
        let _ = debug::parse(&l);
        let _ = syslog_server::split(&l);
        let mut s = Splitter::new();
        let _ = s.next(&l);
    }

}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]
    #[test]
    fn engine_never_panics_and_is_deterministic(lines in prop::collection::vec(line(), 0..40)) {
        let run = || {
            let mut e = Engine::new();
            let a = e.stream("a", true);
            let b = e.stream("b", true);
            for (i, l) in lines.iter().enumerate() {
                e.feed(if i % 3 == 0 { b } else { a }, "f", i + 1, l);
            }
            serde_json::to_string(&e.finish()).unwrap()
        };
        prop_assert_eq!(run(), run());
    }
}
