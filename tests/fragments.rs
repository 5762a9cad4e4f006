//! Pastes as engineers make them (issue 8 items 1-5, 11, 13): a quick-mode block alone, one
//! line, every IOS generation's prefixes, show output with or without its prompt, captures that
//! end before an outcome, several policies refused for several reasons, retransmissions that
//! heal, and captures far longer than any evidence list. The lines are in the formats routers
//! print; the real captures of the same kinds are in `corpus_real`.

use crate::util::{analyze, assert_evidence, finding};
use ipsec_doctor::engine::finding::{Code, Confidence, Severity, SilenceCause, Verdict};
use ipsec_doctor::report::{self, Format, Report};

fn failures(d: &ipsec_doctor::engine::Diagnosis) -> Vec<Code> {
    d.findings
        .iter()
        .filter(|f| f.severity > Severity::Ok)
        .map(|f| f.code)
        .collect()
}

#[test]
fn a_validate_proposal_block_alone_names_the_transform_and_the_peer() {
    // IOS 12.2: `(key eng. msg.) dest= …, src= …` is the proposal's direction (initiator to
    // responder), so the peer of the router checking it is `src`.
    let lines = "00:27:07: IPSEC(validate_proposal_request): proposal part #1,
  (key eng. msg.) dest= 10.2.2.2, src= 10.1.1.1,
    dest_proxy= 10.2.2.0/255.255.255.0/0/0 (type=4),
    src_proxy= 10.1.1.0/255.255.255.0/0/0 (type=4),
    protocol= ESP, transform= esp-des esp-md5-hmac ,
    lifedur= 0s and 0kb,
    spi= 0x0(0), conn_id= 0, keysize= 0, flags= 0x4
00:27:07: IPSEC(validate_proposal): transform proposal (prot 3, trans 2, hmac_alg 1) not supported
00:27:07: ISAKMP (0:3): IPSec policy invalidated proposal
00:27:07: ISAKMP (0:3): SA not acceptable!
";
    let d = analyze(&[("R2", lines)]);
    assert_eq!(
        failures(&d),
        [Code::P2TransformMismatch],
        "{:#?}",
        d.findings
    );
    let f = finding(&d, Code::P2TransformMismatch);
    assert_eq!(f.remote.as_deref(), Some("10.1.1.1"));
    assert_eq!(f.confidence, Confidence::High);
    assert_evidence(
        f,
        "R2",
        "transform proposal (prot 3, trans 2, hmac_alg 1) not supported",
    );
}

#[test]
fn each_line_is_enough_on_its_own() {
    let cases: &[(&str, Code, Option<&str>)] = &[
        (
            "IPSEC(ipsec_process_proposal): transform proposal not supported for identity:\n    {esp-aes esp-md5-hmac }",
            Code::P2TransformMismatch,
            None,
        ),
        (
            "*Mar  1 00:01:02.003: IPSEC(validate_transform_proposal): proxy identities not supported",
            Code::P2ProxyIdMismatch,
            None,
        ),
        (
            "ISAKMP:(1001): IPSec policy invalidated proposal with error 32",
            Code::P2ProxyIdMismatch,
            None,
        ),
        (
            "ISAKMP:(1001): IPSec policy invalidated proposal with error 256",
            Code::P2PolicyRejected,
            None,
        ),
        (
            "ISAKMP:(1001): IPSec policy invalidated proposal with error 256\nISAKMP:(1001): phase 2 SA policy not acceptable! (local 10.2.2.2 remote 10.1.1.1)",
            Code::P2PolicyRejected,
            Some("10.1.1.1"),
        ),
        (
            "IPSEC(validate_proposal): invalid local address 10.2.2.2\nISAKMP (0:3): atts not acceptable. Next payload is 0\nISAKMP (0:3): SA not acceptable!",
            Code::PeerSilent,
            None,
        ),
        (
            "ISAKMP:(1001): phase 1 packet is a duplicate of a previous packet.\nISAKMP:(1001): retransmitting due to retransmit phase 1",
            Code::P1PskMismatch,
            None,
        ),
        (
            "ISAKMP (0:1): received packet from 10.10.10.2 (R) MM_KEY_EXCH\nISAKMP (0:1): phase 1 packet is a duplicate of a previous packet.\nISAKMP (0:1): retransmitting due to retransmit phase 1",
            Code::P1PskMismatch,
            Some("10.10.10.2"),
        ),
        (
            "ISAKMP (0:1): received packet from 10.10.10.2 (R) MM_SA_SETUP\nISAKMP (0:1): phase 1 packet is a duplicate of a previous packet.\nISAKMP (0:1): retransmitting due to retransmit phase 1",
            Code::P1NoResponse,
            Some("10.10.10.2"),
        ),
        (
            "ISAKMP (0:1): retransmitting phase 1...\nISAKMP (0:1): incrementing error counter on sa: retransmit phase 1\nISAKMP (0:1): deleting SA reason \"death by retransmission P1\" state (I) MM_NO_STATE (peer 10.2.2.2) input queue 0",
            Code::P1NoResponse,
            Some("10.2.2.2"),
        ),
        (
            "%CRYPTO-6-IKMP_MODE_FAILURE: Processing of Main mode failed with peer at 10.1.1.1",
            Code::P1NoProposalChosen,
            Some("10.1.1.1"),
        ),
        (
            "%CRYPTO-6-ISAKMP_ON_OFF: ISAKMP is OFF",
            Code::PeerSilent,
            None,
        ),
    ];
    for (lines, code, remote) in cases {
        let d = analyze(&[("R2", lines)]);
        assert_eq!(failures(&d), [*code], "{lines}\n{:#?}", d.findings);
        let f = finding(&d, *code);
        assert_eq!(f.remote.as_deref(), *remote, "{lines}");
        assert!(!f.evidence.is_empty(), "{lines}");
        if remote.is_none() {
            // The peer is unknown, and the summary says so rather than invent one.
            assert!(
                f.summary.contains("the peer") || f.summary.contains("its peer"),
                "{}",
                f.summary
            );
        }
    }
    let d = analyze(&[(
        "R2",
        "IPSEC(validate_proposal): invalid local address 10.2.2.2\n",
    )]);
    assert_eq!(
        finding(&d, Code::PeerSilent).cause,
        Some(SilenceCause::CryptoMapNotApplied)
    );
}

#[test]
fn the_peer_is_taken_from_any_line_that_names_it() {
    for (lines, remote) in [
        (
            "IPSEC(validate_proposal_request): proposal part #1,\n  (key eng. msg.) INBOUND local= 198.18.0.1:0, remote= 192.0.2.7:0,\nIPSEC(validate_transform_proposal): proxy identities not supported",
            "192.0.2.7",
        ),
        (
            "ISAKMP:(1003): IPSec policy invalidated proposal with error 32\nISAKMP:(1003): phase 2 SA policy not acceptable! (local 198.18.0.1 remote 192.0.2.8)",
            "192.0.2.8",
        ),
        (
            "ISAKMP:(0): retransmitting phase 1 MM_NO_STATE...\nISAKMP:(0):deleting SA reason \"Death by retransmission P1\" state (I) MM_NO_STATE (peer 192.0.2.9)",
            "192.0.2.9",
        ),
    ] {
        let d = analyze(&[("R1", lines)]);
        let f = d
            .findings
            .iter()
            .find(|f| f.severity > Severity::Ok)
            .unwrap_or_else(|| panic!("no failure for {lines}"));
        assert_eq!(f.remote.as_deref(), Some(remote), "{lines}");
        assert!(f.summary.contains(remote), "{}", f.summary);
    }
}

#[test]
fn a_refused_proposal_is_not_the_outcome_when_the_next_one_is_checked() {
    let lines = "*Dec  6 15:37:20.571: ISAKMP:(1003):Checking IPSec proposal 7
*Dec  6 15:37:20.571: IPSEC(ipsec_process_proposal): transform proposal not supported for identity:
    {esp-aes esp-md5-hmac }
*Dec  6 15:37:20.571: ISAKMP:(1003): IPSec policy invalidated proposal with error 256
*Dec  6 15:37:20.571: ISAKMP:(1003):Checking IPSec proposal 8
";
    let d = analyze(&[("R2", lines)]);
    let f = finding(&d, Code::P2TransformMismatch);
    assert_eq!(f.confidence, Confidence::Low);
    assert!(
        f.summary.contains("a later one may still match"),
        "{}",
        f.summary
    );
    // The next proposal is accepted and the SAs installed: nothing failed.
    let healed = format!(
        "{lines}*Dec  6 15:37:20.572: ISAKMP:(1003):atts are acceptable.\n*Dec  6 15:37:20.580: ISAKMP:(1003):Successfully installed IPSEC SA (SPI:0x1A2B3C4D) on GigabitEthernet0/0\n*Dec  6 15:37:20.580: ISAKMP:(1003):Old State = IKE_QM_IPSEC_INSTALL_AWAIT  New State = IKE_QM_PHASE2_COMPLETE\n"
    );
    let d = analyze(&[("R2", &healed)]);
    assert!(failures(&d).is_empty(), "{:#?}", d.findings);
    assert_eq!(d.verdict, Verdict::Healthy);
}

#[test]
fn every_generation_of_prefix_and_a_paste_with_its_prompt() {
    // 12.2: `ISAKMP (0:1):` with a space, no dport/sport, `(N) NEW SA`, slot column.
    let old = "RT2#sh crypto isakmp sa
dst             src             state           conn-id    slot
11.11.11.2      10.10.10.2      MM_SA_SETUP           1       0

RT2#
00:01:01: ISAKMP (0:0): received packet from 10.10.10.2 (N) NEW SA
00:01:01: ISAKMP (0:1): found peer pre-shared key matching 10.10.10.2
00:01:01: ISAKMP (0:1): Checking ISAKMP transform 1 against priority 1 policy
00:01:01: ISAKMP:      encryption 3DES-CBC
00:01:01: ISAKMP:      hash SHA
00:01:01: ISAKMP:      default group 2
00:01:01: ISAKMP:      auth pre-share
00:01:01: ISAKMP (0:1): atts are acceptable. Next payload is 0
00:01:01: ISAKMP (0:1): sending packet to 10.10.10.2 (R) MM_SA_SETUP
00:01:11: ISAKMP (0:1): received packet from 10.10.10.2 (R) MM_SA_SETUP
00:01:11: ISAKMP (0:1): phase 1 packet is a duplicate of a previous packet.
00:01:11: ISAKMP (0:1): retransmitting due to retransmit phase 1
";
    let d = analyze(&[("RT2", old)]);
    assert_eq!(failures(&d), [Code::P1NoResponse], "{:#?}", d.findings);
    let f = finding(&d, Code::P1NoResponse);
    assert_eq!(f.remote.as_deref(), Some("10.10.10.2"));
    assert_evidence(f, "RT2", "phase 1 packet is a duplicate");
    assert_evidence(f, "RT2", "MM_SA_SETUP");
    // IOS-XE 16+: `ISAKMP-PAK:`, `ISAKMP-ERROR:` and `ISAKMP: (1001):`.
    let xe = "*Oct 25 18:50:01.497: ISAKMP-ERROR: (0):No pre-shared key with 203.0.113.1!\n";
    assert_eq!(failures(&analyze(&[("R1", xe)])), [Code::P1PskMissing]);
}

#[test]
fn show_output_pasted_without_its_command() {
    let isakmp = "dst             src             state          conn-id status
203.0.113.2     203.0.113.1     MM_KEY_EXCH       1001 ACTIVE
";
    let d = analyze(&[("R1", isakmp)]);
    let f = finding(&d, Code::P1PskMismatch);
    assert_eq!(f.confidence, Confidence::Low);
    assert_evidence(f, "R1", "MM_KEY_EXCH");
    // A typo in the command line: the output is still known by its header.
    let typo = format!("R1#shw crypto isakmp sa\n{isakmp}R1#\n");
    assert_eq!(failures(&analyze(&[("R1", &typo)])), [Code::P1PskMismatch]);
}

const NO_SA_FLOW: &str = "R1#show crypto ipsec sa

interface: GigabitEthernet0/0
    Crypto map tag: VPN, local addr 203.0.113.1

   protected vrf: (none)
   local  ident (addr/mask/prot/port): (192.168.101.0/255.255.255.0/0/0)
   remote ident (addr/mask/prot/port): (192.168.102.0/255.255.255.0/0/0)
   current_peer 203.0.113.2 port 500
     PERMIT, flags={origin_is_acl,}
    #pkts encaps: 0, #pkts encrypt: 0, #pkts digest: 0
    #pkts decaps: 0, #pkts decrypt: 0, #pkts verify: 0
    #pkts compressed: 0, #pkts decompressed: 0
    #pkts not compressed: 0, #pkts compr. failed: 0
    #pkts not decompressed: 0, #pkts decompress failed: 0
    #send errors 27, #recv errors 0

     local crypto endpt.: 203.0.113.1, remote crypto endpt.: 203.0.113.2
     current outbound spi: 0x0(0)

     inbound esp sas:

     outbound esp sas:
R1#
";

#[test]
fn a_flow_without_sa_whose_packets_are_dropped() {
    let d = analyze(&[("R1", NO_SA_FLOW)]);
    assert_eq!(failures(&d), [Code::P2PolicyRejected], "{:#?}", d.findings);
    let f = finding(&d, Code::P2PolicyRejected);
    assert_eq!(f.confidence, Confidence::Low);
    assert_eq!(f.remote.as_deref(), Some("203.0.113.2"));
    assert!(f.summary.contains("27 packets"), "{}", f.summary);
    assert_evidence(f, "R1", "#send errors 27");
    // With phase 1 up beside it, quick mode is what fails, and the engine is surer.
    let with_p1 = format!(
        "{NO_SA_FLOW}R1#show crypto isakmp sa\nIPv4 Crypto ISAKMP SA\ndst             src             state          conn-id status\n203.0.113.2     203.0.113.1     QM_IDLE           1001 ACTIVE\n\nR1#\n"
    );
    let f = finding(&analyze(&[("R1", &with_p1)]), Code::P2PolicyRejected).clone();
    assert_eq!(f.confidence, Confidence::Medium);
    // With phase 1 stuck, phase 1 is the finding.
    let stuck = with_p1.replace("QM_IDLE    ", "MM_NO_STATE");
    assert_eq!(failures(&analyze(&[("R1", &stuck)])), [Code::P1NoResponse]);
}

#[test]
fn an_inconclusive_capture_says_how_far_it_got_and_what_to_capture() {
    let lines = "*Nov 26 10:15:40.100: ISAKMP:(0): beginning Main Mode exchange
*Nov 26 10:15:40.100: ISAKMP:(0): sending packet to 203.0.113.2 my_port 500 peer_port 500 (I) MM_NO_STATE
*Nov 26 10:15:40.150: ISAKMP (0): received packet from 203.0.113.2 dport 500 sport 500 Global (I) MM_NO_STATE
*Nov 26 10:15:40.151: ISAKMP:(0): sending packet to 203.0.113.2 my_port 500 peer_port 500 (I) MM_SA_SETUP
*Nov 26 10:15:40.160: ISAKMP (0): received packet from 203.0.113.2 dport 500 sport 500 Global (I) MM_SA_SETUP
*Nov 26 10:15:40.170: ISAKMP:(1001): sending packet to 203.0.113.2 my_port 500 peer_port 500 (I) MM_KEY_EXCH
";
    let d = analyze(&[("R1", lines)]);
    assert!(d.findings.is_empty(), "{:#?}", d.findings);
    assert_eq!(d.verdict, Verdict::Unknown);
    let why = d.inconclusive.clone().expect("an explanation");
    assert!(
        why.contains("MM_KEY_EXCH") && why.contains("as initiator"),
        "{why}"
    );
    assert!(
        why.contains("203.0.113.2") && why.contains("before an outcome"),
        "{why}"
    );
    assert!(why.contains("Capture"), "{why}");
    assert_eq!(
        d.peers[0].reached.as_deref(),
        Some(
            "main mode reached MM_KEY_EXCH (keys exchanged, authentication under way) as initiator with 203.0.113.2"
        )
    );
    let report = Report::new("analyze", "R1", d, Vec::new());
    let text = report::render(Format::Text, std::slice::from_ref(&report), false);
    assert!(
        text.contains("Inconclusive:") && text.contains("MM_KEY_EXCH"),
        "{text}"
    );
    assert!(!text.contains("holds no IKE negotiation"), "{text}");
    let md = report::render(Format::Markdown, std::slice::from_ref(&report), false);
    assert!(md.contains("MM_KEY_EXCH"), "{md}");
}

#[test]
fn several_policies_name_the_one_that_got_furthest() {
    let lines = "ISAKMP:(0):Checking ISAKMP transform 1 against priority 10 policy
ISAKMP:      encryption AES-CBC
ISAKMP:      hash SHA
ISAKMP:      default group 14
ISAKMP:(0):Encryption algorithm offered does not match policy!
ISAKMP:(0):atts are not acceptable. Next payload is 0
ISAKMP:(0):Checking ISAKMP transform 1 against priority 20 policy
ISAKMP:      encryption AES-CBC
ISAKMP:      hash SHA
ISAKMP:      default group 14
ISAKMP:(0):Diffie-Hellman group offered does not match policy!
ISAKMP:(0):atts are not acceptable. Next payload is 0
ISAKMP:(0):Checking ISAKMP transform 1 against priority 65535 policy
ISAKMP:      encryption AES-CBC
ISAKMP:(0):Encryption algorithm offered does not match policy!
ISAKMP:(0):atts are not acceptable. Next payload is 0
ISAKMP:(0):no offers accepted!
";
    let d = analyze(&[("R2", lines)]);
    assert_eq!(failures(&d), [Code::P1DhGroupMismatch], "{:#?}", d.findings);
    let f = finding(&d, Code::P1DhGroupMismatch);
    assert!(f.summary.contains("Policy 20"), "{}", f.summary);
    assert_eq!(f.confidence, Confidence::Medium);
    assert!(
        d.notes
            .iter()
            .any(|n| n.contains("priority 10 on encryption")),
        "{:?}",
        d.notes
    );
    // Nothing named at all: no attribute is guessed.
    let bare = "ISAKMP:(0):Checking ISAKMP transform 1 against priority 10 policy\nISAKMP:(0):atts are not acceptable. Next payload is 0\nISAKMP:(0):no offers accepted!\n";
    assert_eq!(
        failures(&analyze(&[("R2", bare)])),
        [Code::P1NoProposalChosen]
    );
}

#[test]
fn retransmissions_that_heal_are_not_a_failure() {
    let lines = "*Nov 26 10:15:40.100: ISAKMP:(0): sending packet to 203.0.113.2 my_port 500 peer_port 500 (I) MM_NO_STATE
*Nov 26 10:15:50.100: ISAKMP:(0): retransmitting phase 1 MM_NO_STATE...
*Nov 26 10:15:50.100: ISAKMP (0): incrementing error counter on sa, attempt 1 of 5: retransmit phase 1
*Nov 26 10:15:50.200: ISAKMP (0): received packet from 203.0.113.2 dport 500 sport 500 Global (I) MM_NO_STATE
*Nov 26 10:15:50.300: ISAKMP:(1001):Old State = IKE_I_MM6  New State = IKE_P1_COMPLETE
*Nov 26 10:15:50.400: ISAKMP:(1001):Successfully installed IPSEC SA (SPI:0x1A2B3C4D) on GigabitEthernet0/0
*Nov 26 10:15:50.400: ISAKMP:(1001):Old State = IKE_QM_IPSEC_INSTALL_AWAIT  New State = IKE_QM_PHASE2_COMPLETE
";
    let d = analyze(&[("R1", lines)]);
    assert_eq!(d.verdict, Verdict::Healthy, "{:#?}", d.findings);
    assert!(
        d.notes.iter().any(|n| n.contains("healed")),
        "{:?}",
        d.notes
    );
}

#[test]
fn benign_noise_raises_nothing() {
    let lines = "*Mar  1 00:42:09.431: ISAKMP: Locking peer struct 0x8000730939973C58, refcount 1 for isakmp_initiator
*Mar  1 00:42:09.431: ISAKMP:(0): vendor ID is NAT-T RFC 3947
*Mar  1 00:42:09.431: ISAKMP:(0): vendor ID is DPD
*Mar  1 00:42:09.431: ISAKMP (0): incrementing error counter on sa, attempt 1 of 5: reset_retransmission
*Mar  1 00:42:09.431: ISAKMP: no pre-shared key based on hostname srx110c2821!
*Mar  1 00:42:09.431: ISAKMP:(1001):DPD/R_U_THERE received from peer 203.0.113.2, sequence 0x4C3D2E1F
*Mar  1 00:42:09.431: ISAKMP:(1001):peer does not do paranoid keepalives.
*Mar  1 00:42:09.431: %CRYPTO-4-RECVD_PKT_INV_SPI: decaps: rec'd IPSEC packet has invalid spi for destaddr=203.0.113.1, prot=50, spi=0x4F3B1C2D(1329273901), srcaddr=203.0.113.2
";
    let d = analyze(&[("R1", lines)]);
    assert!(failures(&d).is_empty(), "{:#?}", d.findings);
}

#[test]
fn summaries_claim_only_what_their_evidence_shows() {
    // Issue 8 item 11: a summary once said "attempt 5 of 5" beside attempts 1 and 2.
    let mut lines = String::from(
        "*Nov 26 10:15:40.100: ISAKMP:(0): sending packet to 203.0.113.2 my_port 500 peer_port 500 (I) MM_NO_STATE\n",
    );
    for n in 1..=5 {
        lines.push_str(&format!(
            "*Nov 26 10:15:{n}0.100: ISAKMP:(0): retransmitting phase 1 MM_NO_STATE...\n*Nov 26 10:15:{n}0.100: ISAKMP (0): incrementing error counter on sa, attempt {n} of 5: retransmit phase 1\n"
        ));
    }
    let d = analyze(&[("R1", &lines)]);
    let f = finding(&d, Code::P1NoResponse);
    assert!(f.summary.contains("attempt 5 of 5"), "{}", f.summary);
    assert_evidence(f, "R1", "attempt 5 of 5");
}

#[test]
fn evidence_stays_bounded_however_long_the_capture() {
    // Memory flat in input size: a hub refusing 20,000 offers keeps a few lines and a count.
    let round = "ISAKMP:(0):Checking ISAKMP transform 1 against priority 10 policy
ISAKMP:      encryption AES-CBC
ISAKMP:      hash SHA
ISAKMP:(0):Hash algorithm offered does not match policy!
ISAKMP:(0):atts are not acceptable. Next payload is 0
ISAKMP:(0):no offers accepted!
ISAKMP (0): received packet from 192.0.2.1 dport 500 sport 500 Global (N) NEW SA
";
    let text = round.repeat(20_000);
    let d = analyze(&[("hub", &text)]);
    let f = finding(&d, Code::P1HashMismatch);
    assert!(f.evidence.len() <= 16, "{}", f.evidence.len());
    assert!(f.summary.contains("20000 times"), "{}", f.summary);
}

#[test]
fn both_routers_pasted_in_one_file_give_the_cause_not_the_symptom() {
    // A blog post's single code block: the initiator's retransmissions, then the responder's
    // refusal. The refusal explains the retransmissions.
    let lines = "*Nov 26 10:15:40.100: ISAKMP:(0): sending packet to 203.0.113.2 my_port 500 peer_port 500 (I) MM_NO_STATE
*Nov 26 10:15:50.100: ISAKMP:(0): retransmitting phase 1 MM_NO_STATE...
*Nov 26 10:15:50.100: ISAKMP (0): incrementing error counter on sa, attempt 1 of 5: retransmit phase 1
*Nov 26 10:15:40.101: ISAKMP (0): received packet from 203.0.113.1 dport 500 sport 500 Global (N) NEW SA
*Nov 26 10:15:40.102: ISAKMP:(0):Checking ISAKMP transform 1 against priority 10 policy
*Nov 26 10:15:40.102: ISAKMP:      encryption AES-CBC
*Nov 26 10:15:40.102: ISAKMP:(0):Hash algorithm offered does not match policy!
*Nov 26 10:15:40.102: ISAKMP:(0):atts are not acceptable. Next payload is 0
*Nov 26 10:15:40.102: ISAKMP:(0):no offers accepted!
";
    let d = analyze(&[("paste", lines)]);
    assert_eq!(failures(&d), [Code::P1HashMismatch], "{:#?}", d.findings);
    assert_evidence(
        finding(&d, Code::P1HashMismatch),
        "paste",
        "retransmitting phase 1 MM_NO_STATE",
    );
}

#[test]
fn cleartext_under_a_protecting_policy_names_the_side_that_does_not_encrypt() {
    // `%CRYPTO-4-RECVD_PKT_NOT_IPSEC`: GRE from the peer itself, a host's flow (with and
    // without the VRF field of later releases), multicast a crypto ACL caught.
    let cases: &[(&str, Option<&str>, &str)] = &[
        (
            "*Sep 21 07:17:18.037: %CRYPTO-4-RECVD_PKT_NOT_IPSEC: Rec'd packet not an IPSEC packet. (ip) vrf/dest_addr= /203.0.113.2, src_addr= 198.51.100.2, prot= 47",
            Some("198.51.100.2"),
            "198.51.100.2 does not protect its GRE tunnel",
        ),
        (
            "%CRYPTO-4-RECVD_PKT_NOT_IPSEC: Rec'd packet not an IPSEC packet. (ip) vrf/dest_addr= BLUE/10.1.1.10, src_addr= 10.2.2.20, prot= 1",
            None,
            "from 10.2.2.20 to 10.1.1.10 (IP protocol 1) in the clear",
        ),
        (
            "%CRYPTO-4-RECVD_PKT_NOT_IPSEC: Rec'd packet not an IPSEC packet. (ip) dest_addr= 10.1.1.10, src_addr= 10.2.2.20, prot= 6",
            None,
            "the far router does not encrypt this flow",
        ),
        (
            "%CRYPTO-4-RECVD_PKT_NOT_IPSEC: Rec'd packet not an IPSEC packet. (ip) vrf/dest_addr= /224.0.0.10, src_addr= 192.168.12.2, prot= 88",
            None,
            "a crypto map cannot encrypt multicast",
        ),
    ];
    for (line, remote, says) in cases {
        let d = analyze(&[("R1", line)]);
        assert_eq!(
            failures(&d),
            [Code::P2ProxyIdMismatch],
            "{line}\n{:#?}",
            d.findings
        );
        let f = finding(&d, Code::P2ProxyIdMismatch);
        assert_eq!(f.remote.as_deref(), *remote, "{line}");
        assert_eq!(f.confidence, Confidence::Medium);
        assert!(f.summary.contains(says), "{}", f.summary);
        assert_evidence(f, "R1", "RECVD_PKT_NOT_IPSEC");
    }
    // The same flow repeated is one flow; a second flow is counted.
    let two = "%CRYPTO-4-RECVD_PKT_NOT_IPSEC: Rec'd packet not an IPSEC packet. (ip) vrf/dest_addr= /10.1.1.10, src_addr= 10.2.2.20, prot= 1
%CRYPTO-4-RECVD_PKT_NOT_IPSEC: Rec'd packet not an IPSEC packet. (ip) vrf/dest_addr= /10.1.1.10, src_addr= 10.2.2.20, prot= 1
%CRYPTO-4-RECVD_PKT_NOT_IPSEC: Rec'd packet not an IPSEC packet. (ip) vrf/dest_addr= /10.1.1.11, src_addr= 10.2.2.20, prot= 1
";
    let d = analyze(&[("R1", two)]);
    let f = finding(&d, Code::P2ProxyIdMismatch);
    assert!(f.summary.contains("2 distinct flows"), "{}", f.summary);
}

#[test]
fn aggressive_mode_refused_is_a_phase_1_disagreement() {
    let lines = "*Feb  2 11:39:35: ISAKMP (0): received packet from 198.51.100.7 dport 500 sport 500 Global (N) NEW SA
*Feb  2 11:39:35: %CRYPTO-5-IKMP_AG_MODE_DISABLED: Unable to initiate or respond to Aggressive Mode while disabled
";
    let d = analyze(&[("R1", lines)]);
    assert_eq!(
        failures(&d),
        [Code::P1NoProposalChosen],
        "{:#?}",
        d.findings
    );
    let f = finding(&d, Code::P1NoProposalChosen);
    assert_eq!(f.remote.as_deref(), Some("198.51.100.7"));
    assert!(f.summary.contains("key by address"), "{}", f.summary);
    assert_evidence(f, "R1", "IKMP_AG_MODE_DISABLED");
}
