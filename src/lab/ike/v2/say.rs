//! What `debug crypto ikev2` prints, as one table of templates, and the syslog messages of an
//! IKEv2 tunnel.
//!
//! Each row is a message body with `{}` holes filled in order, and the prefix it takes:
//! `IKEv2:(SESSION ID = 1,SA ID = 1):` for a line about one SA, `IKEv2-ERROR:(…):` for an
//! error, `IKEv2:(SA ID = 1):` for the crypto engine's replies, `IKEv2:` for lines about
//! policies and keys. A packet's header, exchange and payloads are one message on several
//! lines, as IOS prints them (the continuation lines carry no timestamp).
//!
//! Where the wording comes from (see README, lab section): rows marked `X` follow an IOS-XE
//! 16.7 capture published on GitHub (an initiator whose child SA is refused, its deletes and
//! retransmissions); `H` a published IOS-XE responder debug (profile and key lookup by
//! identity); `C` Cisco's IKEv2 certificate troubleshooting document (profile not found); `T`
//! genie's `show monitor event-trace crypto ikev2` sample (deletes processed); `A` messages of
//! the same IKEv2 library in published ASA debugs. Rows marked `-` have no public capture at
//! hand: their wording is ours, built from the lines around them.

use crate::lab::ike::say::fill;

/// How a line is prefixed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prefix {
    /// `IKEv2:(SESSION ID = 1,SA ID = 1):`
    Sa,
    /// `IKEv2-ERROR:(SESSION ID = 1,SA ID = 1):`
    Error,
    /// `IKEv2:(SA ID = 1):` (the crypto engine's replies)
    Engine,
    /// `IKEv2:`
    Bare,
    /// Printed as is (syslog).
    Raw,
}

/// Every IKEv2 line the lab prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum V {
    GetPsk,
    MatchedPeer,
    NoPeerBlock,
    SearchPolicy,
    DefaultPolicy,
    FoundPolicy,
    NoPolicy,
    ComputeDhPublic,
    DhPassed,
    DhQueued,
    NoConfigData,
    GenSaInit,
    IkeProposal,
    SendingPacket,
    ReceivedPacket,
    InsertSa,
    ProcessingSaInit,
    VerifySaInit,
    CheckingNat,
    NatNotFound,
    ComputeDhSecret,
    DhSecretQueued,
    Skeyseed,
    SkeyseedPassed,
    CompletedSaInit,
    StartingAuthTimer,
    StoppingAuthTimer,
    CheckEap,
    GenMyAuth,
    UsePsk,
    GenAuthData,
    GenAuthPassed,
    GetMyMethod,
    MyMethod,
    GenAuth,
    ConstructIdi,
    ConstructIdr,
    EspProposal,
    BuildingPacket,
    ProcessAuthNotify,
    EmptyError,
    SearchPolicyById,
    FoundProfile,
    ProfileNotFound,
    LocateFailed,
    NotVpnSip,
    VerifyPeerPolicy,
    PeerPolicyVerified,
    PeerPolicyFailed,
    GetPeerMethod,
    PeerMethod,
    MethodMismatch,
    GetPeerPsk,
    VerifyPeerAuth,
    AuthPassed,
    AuthFailed,
    FailedAuthenticate,
    SendAuthFailNotify,
    AuthExchangeFailed,
    SaCreated,
    SessionUp,
    MibStarted,
    CheckDuplicate,
    NoDuplicate,
    LoadKeyMaterial,
    CreateIpsecSa,
    CreateIpsecSaPassed,
    QueueDelete,
    SendDeleteChild,
    CheckFit,
    CheckExistingIpsec,
    DeleteAllIke,
    SendDeleteIke,
    CheckExistingActive,
    ProcessingAck,
    ProcessDeleteChild,
    ProcessDeleteIke,
    DeletingSa,
    Retransmitting,
    MaxRetransmissions,
    FailedSaInit,
    InitialFailed,
    AbortExchange,
    ReceivedPolicies,
    ExpectedPolicies,
    PolicyLine,
    EspPolicyLine,
    NoMatchingPolicy,
    SendNoProposal,
    ReceivedNoProposal,
    WrongDhGroup,
    SendInvalidKe,
    ReceivedInvalidKe,
    SendTsUnacceptable,
    GenChildSa,
    ProcessChildSa,
    RekeyFailed,
    SendDpd,
    ProcessInfo,
    DpdNoAnswer,
    TunnelUp,
    TunnelDown,
}

use Prefix::*;

/// (line, prefix, body, source)
#[rustfmt::skip]
const TABLE: &[(V, Prefix, &str, char)] = &[
    (V::GetPsk, Bare, "% Getting preshared key from profile keyring {}", 'X'),
    (V::MatchedPeer, Bare, "% Matched peer block '{}'", 'X'),
    (V::NoPeerBlock, Bare, "% Matching peer block not found", '-'),
    (V::SearchPolicy, Bare, "Searching Policy with fvrf 0, local address {}", 'X'),
    (V::DefaultPolicy, Bare, "Using the Default Policy for Proposal", 'X'),
    (V::FoundPolicy, Bare, "Found Policy '{}'", 'X'),
    (V::NoPolicy, Error, ": Failed to find a policy for local address {}", '-'),
    (V::ComputeDhPublic, Sa, "[IKEv2 -> Crypto Engine] Computing DH public key, DH Group {}", 'X'),
    (V::DhPassed, Engine, "[Crypto Engine -> IKEv2] DH key Computation PASSED", 'X'),
    (V::DhQueued, Sa, "Request queued for computation of DH key", 'X'),
    (V::NoConfigData, Bare, "IKEv2 initiator - no config data to send in IKE_SA_INIT exch", 'X'),
    (V::GenSaInit, Sa, "Generating IKE_SA_INIT message", 'X'),
    (V::IkeProposal, Sa, "IKE Proposal: {}, SPI size: 0 (initial negotiation), \r\nNum. transforms: {}\r\n{} \r\n", 'X'),
    (V::SendingPacket, Sa, "Sending Packet [To {}:500/From {}:500/VRF i0:f0] \r\nInitiator SPI : {} - Responder SPI : {} Message id: {}\r\nIKEv2 {} Exchange {} \r\nPayload contents: \r\n {} \r\n", 'X'),
    (V::ReceivedPacket, Sa, "Received Packet [From {}:500/To {}:500/VRF i0:f0] \r\nInitiator SPI : {} - Responder SPI : {} Message id: {}\r\nIKEv2 {} Exchange {} \r\nPayload contents: \r\n {} \r\n", 'X'),
    (V::InsertSa, Sa, "Insert SA \r\n", 'X'),
    (V::ProcessingSaInit, Sa, "Processing IKE_SA_INIT message", 'X'),
    (V::VerifySaInit, Sa, "Verify SA init message", 'X'),
    (V::CheckingNat, Sa, "Checking NAT discovery", 'X'),
    (V::NatNotFound, Sa, "NAT not found", 'X'),
    (V::ComputeDhSecret, Sa, "[IKEv2 -> Crypto Engine] Computing DH secret key, DH Group {}", 'X'),
    (V::DhSecretQueued, Sa, "Request queued for computation of DH secret", 'X'),
    (V::Skeyseed, Engine, "[IKEv2 -> Crypto Engine] Calculate SKEYSEED and create rekeyed IKEv2 SA", 'X'),
    (V::SkeyseedPassed, Engine, "[Crypto Engine -> IKEv2] SKEYSEED calculation and creation of rekeyed IKEv2 SA PASSED", 'X'),
    (V::CompletedSaInit, Sa, "Completed SA init exchange", 'X'),
    (V::StartingAuthTimer, Sa, "Starting timer ({} sec) to wait for auth message", '-'),
    (V::StoppingAuthTimer, Sa, "Stopping timer to wait for auth message", '-'),
    (V::CheckEap, Sa, "Check for EAP exchange", 'X'),
    (V::GenMyAuth, Sa, "Generate my authentication data", 'X'),
    (V::UsePsk, Sa, "Use preshared key for id {}, key len {}", 'X'),
    (V::GenAuthData, Bare, "[IKEv2 -> Crypto Engine] Generate IKEv2 authentication data", 'X'),
    (V::GenAuthPassed, Bare, "[Crypto Engine -> IKEv2] IKEv2 authentication data generation PASSED", 'X'),
    (V::GetMyMethod, Sa, "Get my authentication method", 'X'),
    (V::MyMethod, Sa, "My authentication method is '{}'", 'X'),
    (V::GenAuth, Sa, "Generating IKE_AUTH message", 'X'),
    (V::ConstructIdi, Sa, "Constructing IDi payload: '{}' of type '{}'", 'X'),
    (V::ConstructIdr, Sa, "Constructing IDr payload: '{}' of type '{}'", '-'),
    (V::EspProposal, Sa, "ESP Proposal: {}, SPI size: 4 (IPSec negotiation), \r\nNum. transforms: {}\r\n{}", 'X'),
    (V::BuildingPacket, Sa, "Building packet for encryption.  \r\nPayload contents: \r\n {} \r\n", 'X'),
    (V::ProcessAuthNotify, Sa, "Process auth response notify", 'X'),
    (V::EmptyError, Error, "", 'X'),
    (V::SearchPolicyById, Sa, "Searching policy based on peer's identity '{}' of type '{}'", 'X'),
    (V::FoundProfile, Bare, "found matching IKEv2 profile '{}'", 'H'),
    (V::ProfileNotFound, Bare, "% IKEv2 profile not found", 'C'),
    (V::LocateFailed, Sa, ": Failed to locate an item in the database", 'C'),
    (V::NotVpnSip, Sa, "not a VPN-SIP session", 'H'),
    (V::VerifyPeerPolicy, Sa, "Verify peer's policy", 'X'),
    (V::PeerPolicyVerified, Sa, "Peer's policy verified", 'X'),
    (V::PeerPolicyFailed, Error, ": Failed to verify peer's policy", '-'),
    (V::GetPeerMethod, Sa, "Get peer's authentication method", 'X'),
    (V::PeerMethod, Sa, "Peer's authentication method is '{}'", 'X'),
    (V::MethodMismatch, Error, ": Peer authentication method configured is mismatching with the method proposed by peer", 'A'),
    (V::GetPeerPsk, Sa, "Get peer's preshared key for {}", 'X'),
    (V::VerifyPeerAuth, Sa, "Verify peer's authentication data", 'X'),
    // IOS spells it this way.
    (V::AuthPassed, Sa, "Verification of peer's authenctication data PASSED", 'X'),
    (V::AuthFailed, Sa, "Verification of peer's authenctication data FAILED", '-'),
    (V::FailedAuthenticate, Error, ": Failed to authenticate the IKE SA", 'A'),
    (V::SendAuthFailNotify, Sa, "Sending authentication failure notify", 'A'),
    (V::AuthExchangeFailed, Error, ": Auth exchange failed", 'A'),
    (V::SaCreated, Sa, "IKEV2 SA created; inserting SA into database. SA lifetime timer ({} sec) started", 'X'),
    (V::SessionUp, Sa, "Session with IKE ID PAIR ({}, {}) is UP", 'X'),
    (V::MibStarted, Bare, "IKEv2 MIB tunnel started, tunnel index {}", 'X'),
    (V::CheckDuplicate, Sa, "Checking for duplicate IKEv2 SA", 'X'),
    (V::NoDuplicate, Sa, "No duplicate IKEv2 SA found", 'X'),
    (V::LoadKeyMaterial, Sa, "Load IPSEC key material", '-'),
    (V::CreateIpsecSa, Engine, "[IKEv2 -> IPsec] Create IPsec SA into IPsec database", '-'),
    (V::CreateIpsecSaPassed, Engine, "[IPsec -> IKEv2] Creation of IPsec SA into IPsec database PASSED", '-'),
    (V::QueueDelete, Sa, "Queuing IKE SA delete request reason: {}", 'X'),
    (V::SendDeleteChild, Sa, "Sending DELETE INFO message for IPsec SA [SPI: 0x{}]", 'X'),
    (V::CheckFit, Sa, "Checking if request will fit in peer window", 'X'),
    (V::CheckExistingIpsec, Sa, "Check for existing IPSEC SA", 'X'),
    (V::DeleteAllIke, Sa, "Delete all IKE SAs", 'X'),
    (V::SendDeleteIke, Sa, "Sending DELETE INFO message for IKEv2 SA [ISPI: 0x{} RSPI: 0x{}]", 'X'),
    (V::CheckExistingActive, Sa, "Check for existing active SA", 'X'),
    (V::ProcessingAck, Sa, "Processing ACK to informational exchange", 'X'),
    (V::ProcessDeleteChild, Sa, "Processing DELETE INFO message for IPsec SA [SPI: 0x{}]", 'T'),
    (V::ProcessDeleteIke, Sa, "Processing DELETE INFO message for IKEv2 SA [ISPI: 0x{} RSPI: 0x{}]", 'T'),
    (V::DeletingSa, Sa, "Deleting SA", 'X'),
    (V::Retransmitting, Sa, "Retransmitting packet \r\n", 'X'),
    (V::MaxRetransmissions, Sa, "Maximum number of retransmissions reached", '-'),
    (V::FailedSaInit, Sa, "Failed SA init exchange", 'A'),
    (V::InitialFailed, Error, "Initial exchange failed: Initial exchange failed", 'X'),
    (V::AbortExchange, Sa, "Abort exchange", 'A'),
    (V::ReceivedPolicies, Sa, "Received Policies:", 'A'),
    (V::ExpectedPolicies, Sa, "Expected Policies:", 'A'),
    (V::PolicyLine, Raw, "Proposal {}:  {}", 'A'),
    (V::EspPolicyLine, Raw, "ESP: Proposal {}:  {}", 'A'),
    (V::NoMatchingPolicy, Error, ": Failed to find a matching policy", 'A'),
    (V::SendNoProposal, Sa, "Sending no proposal chosen notify", '-'),
    (V::ReceivedNoProposal, Error, ": Received no proposal chosen notify", 'A'),
    (V::WrongDhGroup, Error, ": The peer's KE payload contained the wrong DH group", '-'),
    (V::SendInvalidKe, Sa, "Sending invalid ke notify", '-'),
    (V::ReceivedInvalidKe, Sa, "Received invalid KE notify: peer wants DH Group {}", '-'),
    (V::SendTsUnacceptable, Sa, "Sending TS unacceptable notify", '-'),
    (V::GenChildSa, Sa, "Generating CREATE_CHILD_SA message", '-'),
    (V::ProcessChildSa, Sa, "Processing CREATE_CHILD_SA message", '-'),
    (V::RekeyFailed, Error, ": Failed to rekey IPsec SA [SPI: 0x{}]", '-'),
    (V::SendDpd, Sa, "Sending DPD/liveness query", '-'),
    (V::ProcessInfo, Sa, "Processing INFORMATIONAL message", '-'),
    (V::DpdNoAnswer, Error, ": Peer {} did not answer the liveness check, deleting the SA", '-'),
    // `%CRYPTO-5-IKEV2_SESSION_STATUS` as a published log-parser definition matches it
    // ("Crypto tunnel v2 is (UP|DOWN)", "Peer <address>:<port>").
    (V::TunnelUp, Raw, "%CRYPTO-5-IKEV2_SESSION_STATUS: Crypto tunnel v2 is UP.  Peer {}:500       Id: {}", 'P'),
    (V::TunnelDown, Raw, "%CRYPTO-5-IKEV2_SESSION_STATUS: Crypto tunnel v2 is DOWN.  Peer {}:500       Id: {}", 'P'),
];

fn row(line: V) -> Option<&'static (V, Prefix, &'static str, char)> {
    TABLE.iter().find(|(l, ..)| *l == line)
}

/// The line for session `session`, SA `sa`; `None` only for a line with no row (a test
/// checks every line has one).
pub fn render(session: u32, sa: u32, line: V, args: &[&dyn std::fmt::Display]) -> Option<String> {
    let &(_, prefix, template, _) = row(line)?;
    let body = fill(template, args);
    Some(match prefix {
        Sa => format!("IKEv2:(SESSION ID = {session},SA ID = {sa}):{body}"),
        Error => format!("IKEv2-ERROR:(SESSION ID = {session},SA ID = {sa}):{body}"),
        Engine => format!("IKEv2:(SA ID = {sa}):{body}"),
        Bare => format!("IKEv2:{body}"),
        Raw => body,
    })
}

/// Which lines had no public capture to follow (README's lab section names each).
pub fn uncaptured() -> impl Iterator<Item = V> {
    TABLE.iter().filter(|r| r.3 == '-').map(|r| r.0)
}

/// An IKE SPI as IOS prints it: sixteen hex digits.
pub fn ike_spi(spi: u64) -> String {
    format!("{spi:016X}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_line_has_one_row() {
        for (i, (l, ..)) in TABLE.iter().enumerate() {
            assert_eq!(
                TABLE.iter().filter(|(m, ..)| m == l).count(),
                1,
                "row {i}: {l:?}"
            );
        }
    }

    #[test]
    fn prefixes_are_ios_xe_s() {
        let r = |l, a: &[&dyn std::fmt::Display]| render(31, 1, l, a).unwrap();
        assert_eq!(
            r(V::GenSaInit, &[]),
            "IKEv2:(SESSION ID = 31,SA ID = 1):Generating IKE_SA_INIT message"
        );
        assert_eq!(
            r(V::DhPassed, &[]),
            "IKEv2:(SA ID = 1):[Crypto Engine -> IKEv2] DH key Computation PASSED"
        );
        assert_eq!(
            r(V::FoundPolicy, &[&"default"]),
            "IKEv2:Found Policy 'default'"
        );
        assert_eq!(
            r(V::InitialFailed, &[]),
            "IKEv2-ERROR:(SESSION ID = 31,SA ID = 1):Initial exchange failed: Initial exchange failed"
        );
        assert_eq!(ike_spi(0x1D41_8169_B24B_F95A), "1D418169B24BF95A");
        assert!(uncaptured().any(|l| l == V::MaxRetransmissions));
    }
}
