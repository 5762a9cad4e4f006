//! Each finding code from debug lines in the formats routers print (IOS 12.4/15.x unless
//! noted). The field guide's minimal lines are tested too: they are what engineers paste.

use crate::util::{analyze, assert_evidence, finding};
use ipsec_doctor::engine::finding::{Code, Confidence, Severity, SilenceCause, Verdict};

/// R1 (203.0.113.1) initiates toward R2 (203.0.113.2); R2's side of a phase-1 check that fails
/// on one attribute, in IOS 15 format.
fn responder_check(mismatch_line: &str) -> String {
    format!(
        "*Nov 26 10:15:40.101: ISAKMP (0): received packet from 203.0.113.1 dport 500 sport 500 Global (N) NEW SA
*Nov 26 10:15:40.101: ISAKMP: Created a peer struct for 203.0.113.1, peer port 500
*Nov 26 10:15:40.101: ISAKMP:(0):Input = IKE_MESG_FROM_PEER, IKE_MM_EXCH
*Nov 26 10:15:40.101: ISAKMP:(0):Old State = IKE_READY  New State = IKE_R_MM1
*Nov 26 10:15:40.102: ISAKMP:(0): processing SA payload. message ID = 0
*Nov 26 10:15:40.102: ISAKMP:(0):found peer pre-shared key matching 203.0.113.1
*Nov 26 10:15:40.102: ISAKMP:(0):Checking ISAKMP transform 1 against priority 10 policy
*Nov 26 10:15:40.102: ISAKMP:      encryption AES-CBC
*Nov 26 10:15:40.102: ISAKMP:      keylength of 256
*Nov 26 10:15:40.102: ISAKMP:      hash SHA
*Nov 26 10:15:40.102: ISAKMP:      default group 14
*Nov 26 10:15:40.102: ISAKMP:      auth pre-share
*Nov 26 10:15:40.102: ISAKMP:      life type in seconds
*Nov 26 10:15:40.102: ISAKMP:      life duration (VPI) of  0x0 0x1 0x51 0x80
*Nov 26 10:15:40.102: ISAKMP:(0):{mismatch_line}
*Nov 26 10:15:40.102: ISAKMP:(0):atts are not acceptable. Next payload is 0
*Nov 26 10:15:40.102: ISAKMP:(0):no offers accepted!
*Nov 26 10:15:40.102: ISAKMP:(0): phase 1 SA policy not acceptable! (local 203.0.113.2 remote 203.0.113.1)
*Nov 26 10:15:40.102: ISAKMP:(0):No offers accepted!
"
    )
}

/// R1's side while R2 refuses: main mode message 1 retransmitted until IOS gives up.
const INITIATOR_RETRANSMITS: &str = "*Nov 26 10:15:40.100: ISAKMP:(0): SA request profile is (NULL)
*Nov 26 10:15:40.100: ISAKMP: Created a peer struct for 203.0.113.2, peer port 500
*Nov 26 10:15:40.100: ISAKMP:(0):found peer pre-shared key matching 203.0.113.2
*Nov 26 10:15:40.100: ISAKMP:(0): beginning Main Mode exchange
*Nov 26 10:15:40.100: ISAKMP:(0): sending packet to 203.0.113.2 my_port 500 peer_port 500 (I) MM_NO_STATE
*Nov 26 10:15:40.100: ISAKMP:(0):Sending an IKE IPv4 Packet.
*Nov 26 10:15:50.100: ISAKMP:(0): retransmitting phase 1 MM_NO_STATE...
*Nov 26 10:15:50.100: ISAKMP (0): incrementing error counter on sa, attempt 1 of 5: retransmit phase 1
*Nov 26 10:15:50.100: ISAKMP:(0): retransmitting phase 1 MM_NO_STATE
*Nov 26 10:15:50.100: ISAKMP:(0): sending packet to 203.0.113.2 my_port 500 peer_port 500 (I) MM_NO_STATE
*Nov 26 10:16:00.100: ISAKMP:(0): retransmitting phase 1 MM_NO_STATE...
*Nov 26 10:16:00.100: ISAKMP (0): incrementing error counter on sa, attempt 2 of 5: retransmit phase 1
*Nov 26 10:16:10.100: ISAKMP:(0): retransmitting phase 1 MM_NO_STATE...
*Nov 26 10:16:10.100: ISAKMP (0): incrementing error counter on sa, attempt 3 of 5: retransmit phase 1
*Nov 26 10:16:20.100: ISAKMP:(0): retransmitting phase 1 MM_NO_STATE...
*Nov 26 10:16:20.100: ISAKMP (0): incrementing error counter on sa, attempt 4 of 5: retransmit phase 1
*Nov 26 10:16:30.100: ISAKMP:(0): retransmitting phase 1 MM_NO_STATE...
*Nov 26 10:16:30.100: ISAKMP (0): incrementing error counter on sa, attempt 5 of 5: retransmit phase 1
*Nov 26 10:16:40.100: ISAKMP:(0):deleting SA reason \"Death by retransmission P1\" state (I) MM_NO_STATE (peer 203.0.113.2)
";

#[test]
fn p1_no_response_from_one_side_alone() {
    let d = analyze(&[("R1", INITIATOR_RETRANSMITS)]);
    let f = finding(&d, Code::P1NoResponse);
    assert_eq!(f.peer, "R1");
    assert_eq!(f.severity, Severity::Critical);
    assert!(f.summary.contains("attempt 5 of 5"), "{}", f.summary);
    assert_evidence(f, "R1", "retransmitting phase 1 MM_NO_STATE");
    assert_evidence(f, "R1", "Death by retransmission P1");
}

#[test]
fn field_guide_peer_silent_lines() {
    let lines = "ISAKMP:(0): retransmitting phase 1 MM_NO_STATE...\nISAKMP:(0): incrementing error counter on sa, attempt 2 of 5\n";
    let d = analyze(&[("R1", lines)]);
    assert_evidence(finding(&d, Code::P1NoResponse), "R1", "attempt 2 of 5");
}

#[test]
fn peer_silent_when_the_other_side_logs_nothing() {
    let r2 = "R2#show debug\nCryptographic Subsystem:\n  Crypto ISAKMP debugging is on\nR2#\n";
    let d = analyze(&[("R1", INITIATOR_RETRANSMITS), ("R2", r2)]);
    let f = finding(&d, Code::PeerSilent);
    assert_eq!(f.peer, "R2");
    assert_eq!(f.cause, Some(SilenceCause::Unknown));
    assert_eq!(f.confidence, Confidence::High);
    assert_evidence(f, "R1", "retransmitting phase 1 MM_NO_STATE");
    // R1's own "no response" is explained by R2's silence, not reported twice.
    assert!(
        d.findings.iter().all(|f| f.code != Code::P1NoResponse),
        "{:#?}",
        d.findings
    );
}

fn mismatch_case(line: &str, code: Code) {
    let d = analyze(&[("R2", &responder_check(line))]);
    let f = finding(&d, code);
    assert_eq!(f.peer, "R2");
    assert_eq!(f.confidence, Confidence::High);
    assert_evidence(f, "R2", line);
    assert_evidence(
        f,
        "R2",
        "Checking ISAKMP transform 1 against priority 10 policy",
    );
    assert!(f.summary.contains("203.0.113.1"), "{}", f.summary);
    // With the initiator's retransmissions alongside, the mismatch explains them.
    let both = analyze(&[
        ("R1", INITIATOR_RETRANSMITS),
        ("R2", &responder_check(line)),
    ]);
    assert_eq!(both.findings.len(), 1, "{:#?}", both.findings);
    let f = finding(&both, code);
    assert_evidence(f, "R1", "retransmitting phase 1 MM_NO_STATE");
}

#[test]
fn p1_auth_method_mismatch() {
    mismatch_case(
        "Authentication method offered does not match policy!",
        Code::P1AuthMethodMismatch,
    );
}

#[test]
fn p1_encryption_mismatch() {
    mismatch_case(
        "Encryption algorithm offered does not match policy!",
        Code::P1EncryptionMismatch,
    );
}

#[test]
fn p1_hash_mismatch() {
    mismatch_case(
        "Hash algorithm offered does not match policy!",
        Code::P1HashMismatch,
    );
}

#[test]
fn p1_dh_group_mismatch() {
    mismatch_case(
        "Diffie-Hellman group offered does not match policy!",
        Code::P1DhGroupMismatch,
    );
}

#[test]
fn field_guide_encryption_lines_without_a_named_attribute() {
    let lines = "ISAKMP:(0): Checking ISAKMP transform 1 against priority 1 policy\nencryption AES-CBC\nhash SHA\ndefault group 5\nISAKMP:(0): No offers accepted!\n";
    let d = analyze(&[("R2", lines)]);
    // The router did not name the attribute: the engine does not guess one.
    let f = finding(&d, Code::P1NoProposalChosen);
    assert_eq!(f.confidence, Confidence::Medium);
    assert_evidence(f, "R2", "encryption AES-CBC");
    assert_evidence(f, "R2", "No offers accepted!");
}

#[test]
fn benign_first_policy_mismatch_then_match() {
    let lines = "*Nov 26 10:15:40.102: ISAKMP:(0):Checking ISAKMP transform 1 against priority 5 policy
*Nov 26 10:15:40.102: ISAKMP:      encryption AES-CBC
*Nov 26 10:15:40.102: ISAKMP:      hash SHA
*Nov 26 10:15:40.102: ISAKMP:(0):Encryption algorithm offered does not match policy!
*Nov 26 10:15:40.102: ISAKMP:(0):atts are not acceptable. Next payload is 0
*Nov 26 10:15:40.102: ISAKMP:(0):Checking ISAKMP transform 1 against priority 10 policy
*Nov 26 10:15:40.102: ISAKMP:      encryption AES-CBC
*Nov 26 10:15:40.102: ISAKMP:(0):atts are acceptable. Next payload is 0
*Nov 26 10:15:40.110: ISAKMP:(1001):peer does not do paranoid keepalives.
*Nov 26 10:15:40.120: ISAKMP:(1001):Old State = IKE_R_MM5  New State = IKE_P1_COMPLETE
*Nov 26 10:15:40.130: ISAKMP:(1001):Old State = IKE_QM_IPSEC_INSTALL_AWAIT  New State = IKE_QM_PHASE2_COMPLETE
";
    let d = analyze(&[("R2", lines)]);
    assert_eq!(d.verdict, Verdict::Healthy, "{:#?}", d.findings);
    assert_eq!(d.findings.len(), 1);
    finding(&d, Code::TunnelUp);
}

#[test]
fn p1_lifetime_mismatch_is_a_warning() {
    let lines = "*Nov 26 10:15:40.102: ISAKMP:(0):Checking ISAKMP transform 1 against priority 10 policy
*Nov 26 10:15:40.102: ISAKMP:      encryption AES-CBC
*Nov 26 10:15:40.102: ISAKMP:      life type in seconds
*Nov 26 10:15:40.102: ISAKMP:      life duration (VPI) of  0x0 0x1 0x51 0x80
*Nov 26 10:15:40.102: ISAKMP:(0):atts are acceptable. Next payload is 0
*Nov 26 10:15:40.102: ISAKMP:(0):Acceptable atts:actual life: 3600
*Nov 26 10:15:40.102: ISAKMP:(0):Returning Actual lifetime: 3600
*Nov 26 10:15:40.130: ISAKMP:(1001):Old State = IKE_QM_IPSEC_INSTALL_AWAIT  New State = IKE_QM_PHASE2_COMPLETE
";
    let d = analyze(&[("R2", lines)]);
    let f = finding(&d, Code::P1LifetimeMismatch);
    assert_eq!(f.severity, Severity::Warning);
    assert_eq!(f.peer, "R2");
    assert!(f.summary.contains("86400") && f.summary.contains("3600"));
    assert_evidence(f, "R2", "Returning Actual lifetime: 3600");
    assert_eq!(d.verdict, Verdict::Degraded);
}

#[test]
fn several_policies_name_the_one_that_got_furthest() {
    let lines =
        "*Nov 26 10:15:40.102: ISAKMP:(0):Checking ISAKMP transform 1 against priority 10 policy
*Nov 26 10:15:40.102: ISAKMP:      encryption 3DES-CBC
*Nov 26 10:15:40.102: ISAKMP:(0):Encryption algorithm offered does not match policy!
*Nov 26 10:15:40.102: ISAKMP:(0):atts are not acceptable. Next payload is 0
*Nov 26 10:15:40.102: ISAKMP:(0):Checking ISAKMP transform 1 against priority 20 policy
*Nov 26 10:15:40.102: ISAKMP:      encryption 3DES-CBC
*Nov 26 10:15:40.102: ISAKMP:(0):Hash algorithm offered does not match policy!
*Nov 26 10:15:40.102: ISAKMP:(0):atts are not acceptable. Next payload is 0
*Nov 26 10:15:40.102: ISAKMP:(0):no offers accepted!
";
    let d = analyze(&[("R2", lines)]);
    // Issue 8 item 5: policy 20 passed encryption and failed on hash, later in IOS's order
    // than policy 10's encryption: it is the likely intended policy, and hash the finding.
    let f = finding(&d, Code::P1HashMismatch);
    assert_eq!(f.confidence, Confidence::Medium);
    assert!(f.summary.contains("Policy 20"), "{}", f.summary);
    assert_evidence(f, "R2", "Hash algorithm offered does not match policy!");
    assert!(
        d.findings
            .iter()
            .all(|f| f.code != Code::P1NoProposalChosen)
    );
    assert!(
        d.notes
            .iter()
            .any(|n| n.contains("priority 10 on encryption")),
        "{:?}",
        d.notes
    );
}

#[test]
fn p1_psk_missing_on_the_responder() {
    let lines = responder_check("Preshared authentication offered but does not match policy!");
    let d = analyze(&[("R2", &lines)]);
    let f = finding(&d, Code::P1PskMissing);
    assert_eq!(f.peer, "R2");
    assert_evidence(
        f,
        "R2",
        "Preshared authentication offered but does not match policy!",
    );
    assert!(
        f.fix[0].commands[0].ends_with("address 203.0.113.1"),
        "{:?}",
        f.fix
    );
}

#[test]
fn field_guide_psk_missing_line() {
    let d = analyze(&[("R1", "ISAKMP:(0): No pre-shared key with 101.1.1.100!\n")]);
    let f = finding(&d, Code::P1PskMissing);
    assert_evidence(f, "R1", "101.1.1.100");
}

#[test]
fn p1_psk_mismatch_from_both_sides() {
    let r1 = "*Nov 26 10:15:40.150: ISAKMP:(1001): sending packet to 203.0.113.2 my_port 500 peer_port 500 (I) MM_KEY_EXCH
*Nov 26 10:15:40.150: ISAKMP:(1001):Old State = IKE_I_MM4  New State = IKE_I_MM5
*Nov 26 10:15:50.150: ISAKMP:(1001): retransmitting phase 1 MM_KEY_EXCH...
*Nov 26 10:15:50.150: ISAKMP (1001): incrementing error counter on sa, attempt 1 of 5: retransmit phase 1
*Nov 26 10:15:50.150: ISAKMP:(1001): retransmitting phase 1 MM_KEY_EXCH
*Nov 26 10:16:00.150: ISAKMP:(1001): retransmitting phase 1 MM_KEY_EXCH...
*Nov 26 10:16:00.150: ISAKMP (1001): incrementing error counter on sa, attempt 2 of 5: retransmit phase 1
";
    let r2 = "*Nov 26 10:15:40.151: ISAKMP (1001): received packet from 203.0.113.1 dport 500 sport 500 Global (R) MM_KEY_EXCH
*Nov 26 10:15:40.151: %CRYPTO-4-IKMP_BAD_MESSAGE: IKE message from 203.0.113.1 failed its sanity check or is malformed
*Nov 26 10:15:50.151: ISAKMP (1001): received packet from 203.0.113.1 dport 500 sport 500 Global (R) MM_KEY_EXCH
*Nov 26 10:15:50.151: ISAKMP:(1001): phase 1 packet is a duplicate of a previous packet.
";
    let d = analyze(&[("R1", r1), ("R2", r2)]);
    assert_eq!(d.findings.len(), 1, "{:#?}", d.findings);
    let f = finding(&d, Code::P1PskMismatch);
    assert_eq!(f.confidence, Confidence::High);
    assert_evidence(f, "R1", "retransmitting phase 1 MM_KEY_EXCH");
    assert_evidence(f, "R2", "IKMP_BAD_MESSAGE");
    assert!(
        f.fix
            .iter()
            .any(|x| x.commands.iter().any(|c| c.contains("crypto isakmp key")))
    );
    // The key itself never appears; only a placeholder.
    assert!(
        f.fix
            .iter()
            .all(|x| x.commands.iter().all(|c| c.contains('<')))
    );
}

const QM_OFFER: &str = "*Nov 26 10:15:41.001: ISAKMP (1001): received packet from 203.0.113.1 dport 500 sport 500 Global (R) QM_IDLE
*Nov 26 10:15:41.001: ISAKMP:(1001):Checking IPSec proposal 1
*Nov 26 10:15:41.001: ISAKMP: transform 1, ESP_AES
*Nov 26 10:15:41.001: ISAKMP:   attributes in transform:
*Nov 26 10:15:41.001: ISAKMP:      encaps is 1 (Tunnel)
*Nov 26 10:15:41.001: ISAKMP:      SA life type in seconds
*Nov 26 10:15:41.001: ISAKMP:      SA life duration (basic) of 3600
*Nov 26 10:15:41.001: ISAKMP:      authenticator is HMAC-SHA
*Nov 26 10:15:41.001: ISAKMP:      key length is 256
*Nov 26 10:15:41.001: ISAKMP:(1001):atts are acceptable.
";

#[test]
fn p2_transform_mismatch() {
    let r2 = format!(
        "{QM_OFFER}*Nov 26 10:15:41.002: IPSEC(validate_proposal_request): proposal part #1
*Nov 26 10:15:41.002: IPSEC(ipsec_process_proposal): transform proposal not supported for identity:
    {{esp-aes 256 esp-sha-hmac }}
*Nov 26 10:15:41.002: ISAKMP:(1001): IPSec policy invalidated proposal with error 256
*Nov 26 10:15:41.002: ISAKMP:(1001): phase 2 SA policy not acceptable! (local 203.0.113.2 remote 203.0.113.1)
"
    );
    let d = analyze(&[("R2", &r2)]);
    let f = finding(&d, Code::P2TransformMismatch);
    assert_eq!(f.peer, "R2");
    assert_evidence(f, "R2", "transform proposal not supported for identity");
    assert_evidence(f, "R2", "phase 2 SA policy not acceptable!");
}

#[test]
fn p2_proxy_id_mismatch_from_ipsec_debug() {
    let r2 = format!(
        "{QM_OFFER}*Nov 26 10:15:41.002: IPSEC(validate_transform_proposal): proxy identities not supported
*Nov 26 10:15:41.002: ISAKMP:(1001): IPSec policy invalidated proposal with error 32
*Nov 26 10:15:41.002: ISAKMP:(1001): phase 2 SA policy not acceptable! (local 203.0.113.2 remote 203.0.113.1)
"
    );
    let d = analyze(&[("R2", &r2)]);
    let f = finding(&d, Code::P2ProxyIdMismatch);
    assert_eq!(f.confidence, Confidence::High);
    assert_evidence(f, "R2", "proxy identities not supported");
}

#[test]
fn field_guide_phase2_lines() {
    let lines = "ISAKMP:(0): IPSEC policy invalidated proposal with error 32\nISAKMP:(0): Phase 2 SA policy not acceptable\n";
    let d = analyze(&[("R2", lines)]);
    assert_evidence(finding(&d, Code::P2ProxyIdMismatch), "R2", "error 32");
}

#[test]
fn p2_policy_rejected_when_the_cause_is_not_named() {
    let r2 = format!(
        "{QM_OFFER}*Nov 26 10:15:41.002: ISAKMP:(1001): IPSec policy invalidated proposal with error 256
*Nov 26 10:15:41.002: ISAKMP:(1001): phase 2 SA policy not acceptable! (local 203.0.113.2 remote 203.0.113.1)
"
    );
    let d = analyze(&[("R2", &r2)]);
    let f = finding(&d, Code::P2PolicyRejected);
    assert_eq!(f.confidence, Confidence::Medium);
    assert_evidence(f, "R2", "error 256");
}

#[test]
fn no_interesting_traffic_when_nobody_starts_ike() {
    let r1 = "R1#debug crypto isakmp\nCrypto ISAKMP debugging is on\nR1#ping 192.168.102.1 source Loopback1\nType escape sequence to abort.\nSending 5, 100-byte ICMP Echos to 192.168.102.1, timeout is 2 seconds:\n.....\nSuccess rate is 0 percent (0/5)\nR1#\n";
    let r2 = "R2#debug crypto isakmp\nCrypto ISAKMP debugging is on\nR2#\n";
    let d = analyze(&[("R1", r1), ("R2", r2)]);
    let f = finding(&d, Code::NoInterestingTraffic);
    assert_eq!(f.peer, "R1");
    assert_eq!(f.confidence, Confidence::High);
    assert_eq!(d.verdict, Verdict::Down);
}

#[test]
fn nothing_to_judge_is_unknown_not_healthy() {
    let d = analyze(&[(
        "R1",
        "R1#show clock\n*10:15:42.123 UTC Thu Nov 26 2026\nR1#\n",
    )]);
    assert!(d.findings.is_empty());
    assert_eq!(d.verdict, Verdict::Unknown);
}

#[test]
fn console_echo_breaking_a_line_is_still_read() {
    let lines = "R2#\nR2#ar 26 10:15:40.102: ISAKMP:(0):Hash algorithm offered does not match policy!\n*Nov 26 10:15:40.102: ISAKMP:(0):no offers accepted!\n";
    let d = analyze(&[("R2", lines)]);
    assert_evidence(
        finding(&d, Code::P1HashMismatch),
        "R2",
        "Hash algorithm offered",
    );
}

#[test]
fn benign_ios_xe_lines_raise_nothing() {
    let lines = "*Nov 26 10:15:40.001: %CRYPTO-4-CSDL_COMPLIANCE_DISABLED: Cisco Secure Development Lifecycle compliance is disabled: algorithm des is not CSDL compliant
*Nov 26 10:15:40.101: ISAKMP-PAK: (1001):received packet from 203.0.113.1 dport 500 sport 500 Global (I) QM_IDLE
*Nov 26 10:15:40.102: ISAKMP: (1001):processing NOTIFY RESPONDER_LIFETIME protocol 3
        spi 3664366026, message ID = 1327257875, sa = 0x8000730939974E40
*Nov 26 10:15:40.102: ISAKMP: (1001):peer does not do paranoid keepalives.
*Nov 26 10:15:40.103: ISAKMP: (1001):Successfully installed IPSEC SA (SPI:0xDA9E8DCA) on GigabitEthernet0/0/0
*Nov 26 10:15:40.103: ISAKMP: (1001):Old State = IKE_QM_IPSEC_INSTALL_AWAIT  New State = IKE_QM_PHASE2_COMPLETE
";
    let d = analyze(&[("R2", lines)]);
    assert_eq!(d.verdict, Verdict::Healthy, "{:#?}", d.findings);
    assert_eq!(d.findings.len(), 1);
    assert_evidence(finding(&d, Code::TunnelUp), "R2", "IKE_QM_PHASE2_COMPLETE");
}

#[test]
fn p2_pfs_mismatch_from_debug_and_the_responders_config() {
    let cfg = include_str!("../docker/scenarios/healthy/r2.cfg").replacen(
        " set transform-set TS\n",
        " set transform-set TS\n set pfs group14\n",
        1,
    );
    let text = format!(
        "R2#show running-config\n{cfg}\nR2#\n{QM_OFFER}*Nov 26 10:15:41.002: ISAKMP:(1001): IPSec policy invalidated proposal with error 256
*Nov 26 10:15:41.002: ISAKMP:(1001): phase 2 SA policy not acceptable! (local 203.0.113.2 remote 203.0.113.1)
"
    );
    let d = analyze(&[("R2", &text)]);
    let f = finding(&d, Code::P2PfsMismatch);
    assert_eq!(f.peer, "R2");
    assert_eq!(f.confidence, Confidence::High);
    assert!(
        f.summary.contains("group 14") && f.summary.contains("no PFS group"),
        "{}",
        f.summary
    );
    assert_evidence(f, "R2", "error 256");
    assert_evidence(f, "R2", "crypto map VPN 10 ipsec-isakmp");
}
