//! The debug and syslog lines the IKE model prints, as one table of templates.
//!
//! Each row is a message body as IOS 15 prints it after the timestamp, with `{}` holes filled
//! in order, and the prefix family it takes. [`render`] puts the prefix in the router's log
//! format: IOS 15 writes `ISAKMP:(1001): sending packet…`, IOS-XE 16 `ISAKMP-PAK: (1001):sending
//! packet…` (the body's leading space goes, errors and packets get their own tags).

use crate::lab::clock::LogFormat;

/// How a line is prefixed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prefix {
    /// `ISAKMP:(0):` / `ISAKMP: (0):`
    Isakmp,
    /// `ISAKMP:(0):` / `ISAKMP-PAK: (0):` (a packet sent)
    Sent,
    /// `ISAKMP (0):` / `ISAKMP-PAK: (0):` (a packet received; 15.x keeps the old form)
    Received,
    /// `ISAKMP:(0):` / `ISAKMP-ERROR: (0):`
    Error,
    /// `ISAKMP (0):` / `ISAKMP: (0):` (counters, which 15.x prints in the old form)
    Counter,
    /// An attribute of an offer: `ISAKMP:      hash SHA` / `ISAKMP: (0):      hash SHA`.
    Attr,
    /// `ISAKMP:(1001):   address …` on both: indentation kept, as inside an ID payload.
    Indented,
    /// `ISAKMP:` with no SA id on both (`ISAKMP:      life duration (VPI) of …`).
    Bare,
    /// Printed as is: `IPSEC(…)` debugs and `%CRYPTO-…` syslog messages.
    Raw,
}

/// Every line the model can print. The names say what happened, the table says how IOS says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum L {
    SaRequestProfile,
    PeerCreated,
    NewPeer,
    LockPeer,
    LocalPort,
    SetNewNode,
    InsertSa,
    TryMainMode,
    FoundKey,
    NatTVendor,
    Input,
    StateChange,
    StateChangeQm,
    BeginMainMode,
    SendPacket,
    SendingIkePacket,
    ReceivedPacket,
    ProcessingSa,
    ProcessingVendor,
    VendorUnityMismatch,
    VendorNatT,
    VendorUnity,
    VendorDpd,
    AnotherIos,
    LocalKeyFound,
    ScanXauth,
    CheckingTransform,
    AttrEncryption,
    AttrKeyLength,
    AttrHash,
    AttrGroup,
    AttrAuth,
    AttrLifeType,
    AttrLifeVpi,
    EncryptionMismatch,
    HashMismatch,
    GroupMismatch,
    AuthMismatch,
    PresharedNoKey,
    AttsNotAcceptable,
    AttsAcceptable,
    ActualLife,
    AttsLife,
    FillVpi,
    FillLife,
    ReturningLifetime,
    StartedLifetimeTimer,
    NoOffers,
    P1PolicyNotAcceptable,
    ProcessingKe,
    ProcessingNonce,
    PayloadType20,
    HisHashNoMatch,
    NoNat,
    InitialContact,
    SaDoing,
    PskIdType,
    IdPayload,
    IdAddress,
    IdProtocol,
    TotalPayload,
    ProcessingId,
    PeerNoProfile,
    ProcessingHash,
    AuthStatus,
    Authenticated,
    InsertPeer,
    InsertedPeer,
    NoKeyWith,
    NoCertOrKey,
    CannotStartMain,
    UnlockPeer,
    PeerReap,
    PurgingSa,
    PurgingNode,
    FailedInitSa,
    KmiError,
    BadMessage,
    Retransmitting,
    RetransmittingNow,
    ErrorCounter,
    ErrorCounterFor,
    NotifyNoHash,
    UnknownInput,
    UnlockPeerDeleted,
    DeletingSa,
    Duplicate,
    NoParanoid,
    BeginQuickMode,
    QmGetsSpi,
    QmResponderSpi,
    NodeInput,
    OutstandingRequests,
    SittingIdle,
    CheckingProposal,
    Transform,
    AttributesInTransform,
    Encaps,
    SaLifeSeconds,
    SaLifeBasic,
    SaLifeKilobytes,
    SaLifeVpi,
    Authenticator,
    KeyLength,
    PfsGroup,
    AttsAcceptableP2,
    PeerIndexNode,
    InstallCallback,
    Installed,
    DeletingNode,
    DeletingNodeError,
    PolicyInvalidated,
    P2NotAcceptable,
    SendingNotify,
    ProcessingNotify,
    DeletingSpi,
    IpsecProposalPart,
    IpsecProxyNotSupported,
    IpsecTransformNotSupported,
    IpsecCreatingSa,
    IpsecSaRequest,
    IpsecValidateProposal,
    MapdbProxyMatch,
    MapAccepted,
    KeyEngineQueue,
    MapFound,
    NoOldOutbound,
    EnableOutbound,
    NotIpsec,
    ClearSyslog,
}

use Prefix::*;

/// (line, prefix, IOS 15 body, printed by IOS-XE only)
#[rustfmt::skip]
const TABLE: &[(L, Prefix, &str, bool)] = &[
    (L::SaRequestProfile, Isakmp, "SA request profile is (NULL)", false),
    (L::PeerCreated, Isakmp, "Created a peer struct for {}, peer port 500", false),
    (L::NewPeer, Isakmp, "New peer created peer = 0x{} peer_handle = 0x{}", false),
    (L::LockPeer, Isakmp, "Locking peer struct 0x{}, refcount 1 for {}", false),
    (L::LocalPort, Isakmp, "local port 500, remote port 500", false),
    (L::SetNewNode, Isakmp, "set new node {} to QM_IDLE      ", false),
    (L::InsertSa, Isakmp, "insert sa successfully sa = {}", false),
    (L::TryMainMode, Isakmp, "Can not start Aggressive mode, trying Main mode.", false),
    (L::FoundKey, Isakmp, "found peer pre-shared key matching {}", false),
    (L::NatTVendor, Isakmp, " constructed NAT-T vendor-{} ID", false),
    (L::Input, Isakmp, "Input = {}, {}", false),
    (L::StateChange, Isakmp, "Old State = {}  New State = {} \r\n", false),
    (L::StateChangeQm, Isakmp, "Old State = {}  New State = {}", false),
    (L::BeginMainMode, Isakmp, " beginning Main Mode exchange", false),
    (L::SendPacket, Sent, " sending packet to {} my_port 500 peer_port 500 ({}) {}", false),
    (L::SendingIkePacket, Isakmp, "Sending an IKE IPv4 Packet.", false),
    (L::ReceivedPacket, Received, " received packet from {} dport 500 sport 500 Global ({}) {}", false),
    (L::ProcessingSa, Isakmp, " processing SA payload. message ID = {}", false),
    (L::ProcessingVendor, Isakmp, " processing vendor id payload", false),
    (L::VendorUnityMismatch, Isakmp, " vendor ID seems Unity/DPD but major 69 mismatch", false),
    (L::VendorNatT, Isakmp, " vendor ID is NAT-T RFC 3947", false),
    (L::VendorUnity, Isakmp, " vendor ID is Unity", false),
    (L::VendorDpd, Isakmp, " vendor ID is DPD", false),
    (L::AnotherIos, Isakmp, " speaking to another IOS box!", false),
    (L::LocalKeyFound, Isakmp, " local preshared key found", false),
    (L::ScanXauth, Isakmp, "Scanning profiles for xauth ...", false),
    (L::CheckingTransform, Isakmp, "Checking ISAKMP transform {} against priority {} policy", false),
    (L::AttrEncryption, Attr, "      encryption {}", false),
    (L::AttrKeyLength, Attr, "      keylength of {}", false),
    (L::AttrHash, Attr, "      hash {}", false),
    (L::AttrGroup, Attr, "      default group {}", false),
    (L::AttrAuth, Attr, "      auth {}", false),
    (L::AttrLifeType, Attr, "      life type in seconds", false),
    (L::AttrLifeVpi, Bare, "      life duration (VPI) of  {} ", false),
    (L::EncryptionMismatch, Isakmp, "Encryption algorithm offered does not match policy!", false),
    (L::HashMismatch, Isakmp, "Hash algorithm offered does not match policy!", false),
    (L::GroupMismatch, Isakmp, "Diffie-Hellman group offered does not match policy!", false),
    (L::AuthMismatch, Isakmp, "Authentication method offered does not match policy!", false),
    (L::PresharedNoKey, Isakmp, "Preshared authentication offered but does not match policy!", false),
    (L::AttsNotAcceptable, Isakmp, "atts are not acceptable. Next payload is 0", false),
    (L::AttsAcceptable, Isakmp, "atts are acceptable. Next payload is 0", false),
    (L::ActualLife, Isakmp, "Acceptable atts:actual life: 0", false),
    (L::AttsLife, Isakmp, "Acceptable atts:life: 0", false),
    (L::FillVpi, Isakmp, "Fill atts in sa vpi_length:4", false),
    (L::FillLife, Isakmp, "Fill atts in sa life_in_seconds:{}", false),
    (L::ReturningLifetime, Isakmp, "Returning Actual lifetime: {}", false),
    (L::StartedLifetimeTimer, Isakmp, "Started lifetime timer: {}.\r\n", false),
    (L::NoOffers, Error, "no offers accepted!", false),
    (L::P1PolicyNotAcceptable, Error, " phase 1 SA policy not acceptable! (local {} remote {})", false),
    (L::ProcessingKe, Isakmp, " processing KE payload. message ID = 0", false),
    (L::ProcessingNonce, Isakmp, " processing NONCE payload. message ID = {}", false),
    (L::PayloadType20, Isakmp, "received payload type 20", false),
    (L::HisHashNoMatch, Isakmp, "His hash no match - this node outside NAT", false),
    (L::NoNat, Isakmp, "No NAT Found for self or peer", false),
    (L::InitialContact, Isakmp, "Send initial contact", false),
    (L::SaDoing, Isakmp, "SA is doing ", false),
    (L::PskIdType, Isakmp, "pre-shared key authentication using id type ID_IPV4_ADDR", false),
    (L::IdPayload, Isakmp, "ID payload \r\n\tnext-payload : 8\r\n\ttype         : 1", false),
    (L::IdAddress, Indented, "   address      : {}", false),
    (L::IdProtocol, Indented, "   protocol     : 17 \r\n\tport         : 500 \r\n\tlength       : 12", false),
    (L::TotalPayload, Isakmp, "Total payload length: 12", false),
    (L::ProcessingId, Isakmp, " processing ID payload. message ID = {}", false),
    (L::PeerNoProfile, Isakmp, "peer matches *none* of the profiles", false),
    (L::ProcessingHash, Isakmp, " processing HASH payload. message ID = {}", false),
    (L::AuthStatus, Isakmp, "SA authentication status:\r\n\tauthenticated", false),
    (L::Authenticated, Isakmp, "SA has been authenticated with {}", false),
    (L::InsertPeer, Isakmp, "Trying to insert a peer {}/{}/500/, ", false),
    (L::InsertedPeer, Indented, " and inserted successfully {}.", false),
    (L::NoKeyWith, Error, "No pre-shared key with {}!", false),
    (L::NoCertOrKey, Error, "No Cert or pre-shared address key. ", false),
    (L::CannotStartMain, Error, "construct_initial_message: Can not start Main mode", false),
    (L::UnlockPeer, Isakmp, "Unlocking peer struct 0x{} for isadb_unlock_peer_delete_sa(), count 0", false),
    (L::PeerReap, Isakmp, "Deleting peer node by peer_reap for {}: {}", false),
    (L::PurgingSa, Isakmp, "purging SA., sa={}, delme={}", false),
    (L::PurgingNode, Isakmp, "purging node {}", false),
    (L::FailedInitSa, Error, "Error while processing SA request: Failed to initialize SA", false),
    (L::KmiError, Error, "Error while processing KMI message 0, error 2", false),
    (L::BadMessage, Raw, "%CRYPTO-4-IKMP_BAD_MESSAGE: IKE message from {} failed its sanity check or is malformed", false),
    (L::Retransmitting, Isakmp, " retransmitting phase 1 {}...", false),
    (L::RetransmittingNow, Isakmp, " retransmitting phase 1 {}", false),
    (L::ErrorCounter, Counter, " incrementing error counter on sa, attempt {} of 5: retransmit phase 1", false),
    // What a responder and an initiator print when a phase 1 proposal or a pre-shared key is
    // refused. No public capture of these is in tests/corpus; the wording follows the issue
    // that asked for them and the corpus lines of the same families (README, lab section).
    (L::ErrorCounterFor, Counter, " incrementing error counter on sa, attempt {} of 5: {}", false),
    (L::NotifyNoHash, Isakmp, "Notify has no hash. Rejected.", false),
    (L::UnknownInput, Counter, " Unknown Input IKE_MESG_FROM_PEER, IKE_INFO_NOTIFY: state = {}", false),
    // tunnelsup's capture: `ISAKMP: Unlocking peer struct 0x66440AA0 for isadb_mark_sa_deleted(), count 0`.
    (L::UnlockPeerDeleted, Isakmp, "Unlocking peer struct 0x{} for isadb_mark_sa_deleted(), count 0", false),
    (L::DeletingSa, Isakmp, "deleting SA reason \"{}\" state ({}) {} (peer {})", false),
    (L::Duplicate, Isakmp, " phase 1 packet is a duplicate of a previous packet.", false),
    (L::NoParanoid, Isakmp, "peer does not do paranoid keepalives.\r\n", false),
    (L::BeginQuickMode, Isakmp, "beginning Quick Mode exchange, M-ID of {}", false),
    (L::QmGetsSpi, Isakmp, "QM Initiator gets spi", false),
    (L::QmResponderSpi, Isakmp, "QM Responder gets spi", false),
    (L::NodeInput, Isakmp, "Node {}, Input = {}, {}", false),
    (L::OutstandingRequests, Isakmp, "SA has outstanding requests  (local {} port 500, remote {} port 500)", false),
    (L::SittingIdle, Isakmp, "sitting IDLE. Starting QM immediately (QM_IDLE      )", false),
    (L::CheckingProposal, Isakmp, "Checking IPSec proposal 1", false),
    (L::Transform, Attr, " transform 1, {} ", false),
    (L::AttributesInTransform, Attr, "   attributes in transform:", false),
    (L::Encaps, Attr, "      encaps is 1 (Tunnel)", false),
    (L::SaLifeSeconds, Attr, "      SA life type in seconds", false),
    (L::SaLifeBasic, Attr, "      SA life duration (basic) of {}", false),
    (L::SaLifeKilobytes, Attr, "      SA life type in kilobytes", false),
    (L::SaLifeVpi, Bare, "      SA life duration (VPI) of  {} ", false),
    (L::Authenticator, Attr, "      authenticator is {}", false),
    (L::KeyLength, Attr, "      key length is {}", false),
    (L::PfsGroup, Attr, "      group is {}", false),
    (L::AttsAcceptableP2, Isakmp, "atts are acceptable.", false),
    (L::PeerIndexNode, Error, "Failed to find peer index node to update peer_info_list", true),
    (L::InstallCallback, Isakmp, "Received IPSec Install callback... proceeding with the negotiation", false),
    (L::Installed, Isakmp, "Successfully installed IPSEC SA (SPI:0x{}) on {}", false),
    (L::DeletingNode, Isakmp, "deleting node {} error FALSE reason \"{}\"", false),
    (L::DeletingNodeError, Error, "deleting node {} error TRUE reason \"{}\"", false),
    (L::PolicyInvalidated, Error, " IPSec policy invalidated proposal with error {}", false),
    (L::P2NotAcceptable, Error, " phase 2 SA policy not acceptable! (local {} remote {})", false),
    (L::SendingNotify, Isakmp, "Sending NOTIFY PROPOSAL_NOT_CHOSEN protocol 3\r\n\tspi {}, message ID = {}", false),
    (L::ProcessingNotify, Isakmp, "processing NOTIFY PROPOSAL_NOT_CHOSEN protocol 3\r\n\tspi {}, message ID = {}, sa = 0x{}", false),
    (L::DeletingSpi, Isakmp, "deleting spi {} message ID = {}", false),
    (L::IpsecProposalPart, Raw, "IPSEC(validate_proposal_request): proposal part #1", false),
    (L::IpsecProxyNotSupported, Raw, "IPSEC(ipsec_process_proposal): proxy identities not supported", false),
    (L::IpsecTransformNotSupported, Raw, "IPSEC(ipsec_process_proposal): transform proposal not supported for identity:\r\n    {{} }", false),
    // The IPsec lines follow github inband/inband's IOS-XE capture (`debug crypto ipsec` of a
    // responder) and, for IOS 15, pastebin jcRcVRvV (15.0) and f67de1fb5 (12.4).
    (L::IpsecCreatingSa, Raw, "IPSEC(create_sa): sa created,\r\n  (sa) sa_dest= {}, sa_proto= 50, \r\n    sa_spi= 0x{}({}), \r\n    sa_trans= {} , sa_conn_id= {}\r\n    sa_lifetime(k/sec)= ({}/{}),\r\n  (identity) local= {}:0, remote= {}:0,\r\n    local_proxy= {},\r\n    remote_proxy= {}", false),
    (L::IpsecSaRequest, Raw, "IPSEC(sa_request): ,\r\n  (key eng. msg.) OUTBOUND local= {}:0, remote= {}:0,\r\n    local_proxy= {},\r\n    remote_proxy= {},\r\n    protocol= ESP, transform= {} (Tunnel),\r\n    lifedur= {}s and {}kb,\r\n    spi= 0x0(0), conn_id= 0, keysize= {}, flags= 0x0", false),
    (L::IpsecValidateProposal, Raw, "IPSEC(validate_proposal_request): proposal part #1,\r\n  (key eng. msg.) INBOUND local= {}:0, remote= {}:0,\r\n    local_proxy= {},\r\n    remote_proxy= {},\r\n    protocol= ESP, transform= {}  (Tunnel),\r\n    lifedur= 0s and 0kb,\r\n    spi= 0x0(0), conn_id= 0, keysize= {}, flags= 0x0", false),
    (L::MapdbProxyMatch, Raw, "Crypto mapdb : proxy_match\r\n        src addr     : {}\r\n        dst addr     : {}\r\n        protocol     : {}\r\n        src port     : 0\r\n        dst port     : 0", true),
    (L::MapAccepted, Raw, "(ipsec_process_proposal)Map Accepted: {}, {}", true),
    (L::KeyEngineQueue, Raw, "IPSEC(key_engine): got a queue event with 1 KMI message(s)", false),
    (L::MapFound, Raw, "IPSEC(crypto_ipsec_create_ipsec_sas): Map found {}, {}", false),
    (L::NoOldOutbound, Raw, "IPSEC(get_old_outbound_sa_for_peer): No outbound SA found for peer {}", false),
    (L::EnableOutbound, Raw, "IPSEC(key_engine_enable_outbound): rec'd enable notify from ISAKMP", false),
    (L::NotIpsec, Raw, "%CRYPTO-4-RECVD_PKT_NOT_IPSEC: Rec'd packet not an IPSEC packet.\r\n\t(ip) vrf/dest_addr= /{}, src_addr= {}, prot= 1", false),
    (L::ClearSyslog, Raw, "%CRYPTO-5-SESSION_STATUS: Crypto tunnel is DOWN. Peer {}:500       Id: {}", false),
];

/// Lines IOS-XE words differently from IOS 15: its key-engine blocks end their lines with
/// `, ` where IOS 15 ends them with `,`.
#[rustfmt::skip]
const XE_BODIES: &[(L, &str)] = &[
    (L::IpsecSaRequest, "IPSEC(sa_request): ,\r\n  (key eng. msg.) OUTBOUND local= {}:0, remote= {}:0,\r\n    local_proxy= {},\r\n    remote_proxy= {},\r\n    protocol= ESP, transform= {}  (Tunnel), \r\n    lifedur= {}s and {}kb, \r\n    spi= 0x0(0), conn_id= 0, keysize= {}, flags= 0x0"),
    (L::IpsecValidateProposal, "IPSEC(validate_proposal_request): proposal part #1,\r\n  (key eng. msg.) INBOUND local= {}:0, remote= {}:0,\r\n    local_proxy= {},\r\n    remote_proxy= {},\r\n    protocol= ESP, transform= {}  (Tunnel), \r\n    lifedur= 0s and 0kb, \r\n    spi= 0x0(0), conn_id= 0, keysize= {}, flags= 0x0"),
];

/// The row for a line; every variant has one (checked by a test).
fn row(line: L) -> Option<&'static (L, Prefix, &'static str, bool)> {
    TABLE.iter().find(|(l, ..)| *l == line)
}

/// Fills the template's `{}` holes in order; a literal `{` not followed by `}` stays.
pub(crate) fn fill(template: &str, args: &[&dyn std::fmt::Display]) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut args = args.iter();
    let mut rest = template;
    while let Some(i) = rest.find("{}") {
        out.push_str(&rest[..i]);
        if let Some(a) = args.next() {
            out.push_str(&a.to_string());
        }
        rest = &rest[i + 2..];
    }
    out.push_str(rest);
    out
}

/// The line as `format` prints it after the timestamp, for an SA with id `sa`. `None` when
/// that IOS generation does not print this line.
pub fn render(
    format: LogFormat,
    sa: u32,
    line: L,
    args: &[&dyn std::fmt::Display],
) -> Option<String> {
    let &(_, prefix, template, xe_only) = row(line)?;
    if xe_only && format != LogFormat::IosXe {
        return None;
    }
    let template = match format {
        LogFormat::IosXe => XE_BODIES
            .iter()
            .find(|(l, _)| *l == line)
            .map_or(template, |(_, body)| body),
        LogFormat::Ios15 => template,
    };
    let body = fill(template, args);
    Some(match (format, prefix) {
        (_, Raw) => body,
        (_, Bare) => format!("ISAKMP:{body}"),
        (LogFormat::Ios15, Attr) => format!("ISAKMP:{body}"),
        (LogFormat::Ios15, Received | Counter) => format!("ISAKMP ({sa}):{body}"),
        (LogFormat::Ios15, _) => format!("ISAKMP:({sa}):{body}"),
        (LogFormat::IosXe, Attr) => {
            // One separating space goes (`transform 1, …`); indentation stays.
            let body = match body.strip_prefix(' ') {
                Some(rest) if !rest.starts_with(' ') => rest,
                _ => &body,
            };
            format!("ISAKMP: ({sa}):{body}")
        }
        (_, Indented) => match format {
            LogFormat::Ios15 => format!("ISAKMP:({sa}):{body}"),
            LogFormat::IosXe => format!("ISAKMP: ({sa}):{body}"),
        },
        (LogFormat::IosXe, Sent | Received) => {
            format!("ISAKMP-PAK: ({sa}):{}", body.trim_start())
        }
        (LogFormat::IosXe, Error) => format!("ISAKMP-ERROR: ({sa}):{}", body.trim_start()),
        (LogFormat::IosXe, _) => format!("ISAKMP: ({sa}):{}", body.trim_start()),
    })
}

/// A proxy identity as the key-engine messages print it: `192.168.1.0/255.255.255.0/256/0` on
/// IOS-XE (256: any protocol), `192.168.1.0/255.255.255.0/0/0 (type=4)` on IOS 15 (type 1 for
/// a host, 4 for a subnet).
pub fn proxy(format: LogFormat, w: &crate::ios::Wildcard, protocol: u8) -> String {
    let (addr, mask, host) = match w.to_net() {
        Some(n) => (n.network(), n.mask(), n.len == 32),
        None => (w.addr, w.wildcard, false),
    };
    match format {
        LogFormat::IosXe => {
            let protocol = if protocol == 0 {
                256
            } else {
                u16::from(protocol)
            };
            format!("{addr}/{mask}/{protocol}/0")
        }
        LogFormat::Ios15 => {
            let kind = if host { 1 } else { 4 };
            format!("{addr}/{mask}/{protocol}/0 (type={kind})")
        }
    }
}

/// IOS prints long attribute values as their bytes: 86400 → `0x0 0x1 0x51 0x80`.
pub fn vpi(value: u64) -> String {
    let bytes = (value as u32).to_be_bytes();
    bytes
        .iter()
        .map(|b| format!("0x{b:X}"))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: &[L] = &[
        L::SaRequestProfile,
        L::SendPacket,
        L::ClearSyslog,
        L::NotIpsec,
    ];

    #[test]
    fn every_line_has_one_row() {
        for (i, (l, ..)) in TABLE.iter().enumerate() {
            assert_eq!(
                TABLE.iter().filter(|(m, ..)| m == l).count(),
                1,
                "row {i}: {l:?}"
            );
        }
        for l in ALL {
            assert!(row(*l).is_some(), "{l:?}");
        }
    }

    #[test]
    fn prefixes_follow_the_generation() {
        let peer = "203.0.113.2";
        let r = |f, l, a: &[&dyn std::fmt::Display]| render(f, 0, l, a).unwrap();
        assert_eq!(
            r(
                LogFormat::Ios15,
                L::SendPacket,
                &[&peer, &"I", &"MM_NO_STATE"]
            ),
            "ISAKMP:(0): sending packet to 203.0.113.2 my_port 500 peer_port 500 (I) MM_NO_STATE"
        );
        assert_eq!(
            r(
                LogFormat::IosXe,
                L::SendPacket,
                &[&peer, &"I", &"MM_NO_STATE"]
            ),
            "ISAKMP-PAK: (0):sending packet to 203.0.113.2 my_port 500 peer_port 500 (I) MM_NO_STATE"
        );
        assert_eq!(
            r(
                LogFormat::Ios15,
                L::ReceivedPacket,
                &[&peer, &"I", &"MM_NO_STATE"]
            ),
            "ISAKMP (0): received packet from 203.0.113.2 dport 500 sport 500 Global (I) MM_NO_STATE"
        );
        assert_eq!(
            r(LogFormat::Ios15, L::AttrHash, &[&"SHA"]),
            "ISAKMP:      hash SHA"
        );
        assert_eq!(
            r(LogFormat::IosXe, L::AttrHash, &[&"SHA"]),
            "ISAKMP: (0):      hash SHA"
        );
        assert_eq!(
            r(LogFormat::IosXe, L::NoKeyWith, &[&peer]),
            "ISAKMP-ERROR: (0):No pre-shared key with 203.0.113.2!"
        );
        assert_eq!(
            r(LogFormat::Ios15, L::NoKeyWith, &[&peer]),
            "ISAKMP:(0):No pre-shared key with 203.0.113.2!"
        );
        assert!(render(LogFormat::Ios15, 0, L::PeerIndexNode, &[]).is_none());
        assert_eq!(vpi(86_400), "0x0 0x1 0x51 0x80");
        assert_eq!(vpi(4_608_000), "0x0 0x46 0x50 0x0");
    }
}
