//! Typed events: what one debug or syslog line says happened.
//!
//! This is the vocabulary between the line parsers and the rules. An event carries what the
//! router reported (values as IOS spelled them, so evidence and reports can quote them) and no
//! interpretation: deciding that a retransmission means a silent peer is the rules' job.
//!
//! Events borrow their text from the line: most are counted and dropped, and a capture of
//! hundreds of megabytes must not allocate per line. The rules copy what they keep.

use serde::Serialize;

/// Initiator or responder, as IOS marks packets `(I)` / `(R)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Role {
    Initiator,
    Responder,
}

/// A phase-1 attribute, as a router printed it while checking an offered transform. `S` is
/// `&str` in an event and `String` once kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum P1Attr<S = String> {
    /// `encryption AES-CBC`
    Encryption(S),
    /// `keylength of 256`
    KeyLength(u32),
    /// `hash SHA`
    Hash(S),
    /// `default group 14`
    Group(u32),
    /// `auth pre-share`
    Auth(S),
    /// `life duration (basic) of 3600` or `(VPI) of 0x0 0x1 0x51 0x80`, in seconds.
    Lifetime(u64),
}

impl P1Attr<&str> {
    pub fn to_owned(&self) -> P1Attr {
        match self {
            P1Attr::Encryption(v) => P1Attr::Encryption(v.to_string()),
            P1Attr::KeyLength(v) => P1Attr::KeyLength(*v),
            P1Attr::Hash(v) => P1Attr::Hash(v.to_string()),
            P1Attr::Group(v) => P1Attr::Group(*v),
            P1Attr::Auth(v) => P1Attr::Auth(v.to_string()),
            P1Attr::Lifetime(v) => P1Attr::Lifetime(*v),
        }
    }
}

/// Which attribute a router said did not match its policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum P1AttrKind {
    Encryption,
    Hash,
    Group,
    Auth,
    Lifetime,
}

impl P1AttrKind {
    pub fn as_str(self) -> &'static str {
        match self {
            P1AttrKind::Encryption => "encryption",
            P1AttrKind::Hash => "hash",
            P1AttrKind::Group => "DH group",
            P1AttrKind::Auth => "authentication method",
            P1AttrKind::Lifetime => "lifetime",
        }
    }
}

/// A phase-2 (quick mode) attribute of an offered IPsec transform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum P2Attr<S = String> {
    /// `transform 1, ESP_AES`
    Transform(S),
    /// `authenticator is HMAC-SHA`
    Authenticator(S),
    /// `group is 14`: the initiator asks for PFS with this DH group.
    PfsGroup(u32),
}

impl P2Attr<&str> {
    pub fn to_owned(&self) -> P2Attr {
        match self {
            P2Attr::Transform(v) => P2Attr::Transform(v.to_string()),
            P2Attr::Authenticator(v) => P2Attr::Authenticator(v.to_string()),
            P2Attr::PfsGroup(v) => P2Attr::PfsGroup(*v),
        }
    }
}

/// What one line says happened. Unknown lines produce no event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum EventKind<'a> {
    // --- phase 1 start and transport ---
    /// `beginning Main Mode exchange`
    MainModeBegin,
    /// `sending packet to 203.0.113.1 my_port 500 peer_port 500 (I) MM_NO_STATE`
    PacketSent {
        peer: &'a str,
        role: Option<Role>,
        state: &'a str,
    },
    /// `received packet from 203.0.113.1 dport 500 sport 500 Global (I) MM_NO_STATE`; the first
    /// packet of a negotiation is marked `(N) NEW SA` and has no role yet.
    PacketReceived {
        peer: &'a str,
        role: Option<Role>,
        state: &'a str,
    },
    /// `retransmitting phase 1 MM_NO_STATE...`, or 12.2's `retransmitting phase 1...` without
    /// the state.
    Retransmit {
        phase: u8,
        state: Option<&'a str>,
    },
    /// `retransmitting due to retransmit phase 1`: a responder resends its last message because
    /// the peer sent its own again.
    RetransmitDue {
        phase: u8,
    },
    /// `incrementing error counter on sa, attempt 2 of 5: retransmit phase 1`, or 12.2's
    /// `incrementing error counter on sa: retransmit phase 1` without the count.
    RetransmitAttempt {
        attempt: Option<u32>,
        of: Option<u32>,
    },
    /// `Old State = IKE_I_MM1  New State = IKE_I_MM2`
    StateChange {
        old: &'a str,
        new: &'a str,
    },
    /// `deleting SA reason "Death by retransmission P1" state (I) MM_NO_STATE (peer 10.1.1.2)`
    SaDeleted {
        reason: &'a str,
        state: &'a str,
        peer: Option<&'a str>,
    },
    /// `phase 1 packet is a duplicate of a previous packet.`
    DuplicatePacket,

    // --- phase 1 proposal checks ---
    /// `Checking ISAKMP transform 1 against priority 10 policy`
    PolicyCheck {
        transform: u32,
        priority: u32,
    },
    /// An attribute line of the offered transform (`encryption AES-CBC`, `hash SHA` …).
    OfferedP1(P1Attr<&'a str>),
    /// `Encryption algorithm offered does not match policy!` and its siblings.
    P1Mismatch(P1AttrKind),
    /// `Preshared authentication offered but does not match policy!`: the responder has no
    /// key for the initiator, so it cannot accept pre-share.
    PresharedOfferedNoKey,
    /// `atts are acceptable. Next payload is 0` (phase 1 and quick mode share the wording).
    AttsAcceptable,
    /// `atts are not acceptable. Next payload is 0`
    AttsNotAcceptable,
    /// `No offers accepted!`
    NoOffersAccepted,
    /// `Returning Actual lifetime: 86400`
    ActualLifetime(u64),
    /// `No pre-shared key with 203.0.113.1!`
    PskMissing {
        peer: &'a str,
    },
    /// `No cert, and no keys (public or pre-shared) with remote peer 150.150.150.2` (12.x) or
    /// `No Cert or pre-shared address key.` (IOS-XE, which names the peer on the line before).
    NoKey {
        peer: Option<&'a str>,
    },
    /// `reserved not zero on payload 5!`: a message decrypted with the wrong key reads as
    /// garbage; IOS sees non-zero reserved bits.
    ReservedNotZero,
    /// `SA has been authenticated with 203.0.113.1`
    Authenticated {
        peer: &'a str,
    },
    /// `%CRYPTO-4-IKMP_BAD_MESSAGE: IKE message from 203.0.113.2 failed its sanity check or is malformed`
    BadMessage {
        peer: &'a str,
    },

    // --- phase 2 ---
    /// `beginning Quick Mode exchange, M-ID of 1327257875`
    QuickModeBegin,
    /// `Checking IPSec proposal 1`
    IpsecProposalCheck {
        proposal: u32,
    },
    OfferedP2(P2Attr<&'a str>),
    /// `IPSec policy invalidated proposal with error 32` (12.2 prints no error number).
    PolicyInvalidated {
        error: Option<u32>,
    },
    /// `phase 2 SA policy not acceptable! (local 203.0.113.1 remote 203.0.113.30)`, its phase 1
    /// sibling, and 12.2's `SA not acceptable!` that names no phase.
    SaNotAcceptable {
        phase: Option<u8>,
        local: Option<&'a str>,
        remote: Option<&'a str>,
    },
    /// `IPSEC(validate_transform_proposal): proxy identities not supported`
    ProxyIdsNotSupported,
    /// `IPSEC(ipsec_process_proposal): transform proposal not supported for identity:`
    TransformNotSupported,
    /// `IPSEC(validate_proposal_request): proposal part #1` (a responder judging a quick-mode
    /// offer) or `IPSEC(sa_request): ,` (an initiator asking for SAs): opens a
    /// `(key eng. msg.)` block.
    IpsecRequest {
        responder: bool,
    },
    /// `(key eng. msg.) INBOUND local= 203.0.113.2:0, remote= 203.0.113.1:0,` (12.3+), or
    /// `(key eng. msg.) dest= 10.2.2.2, src= 10.1.1.1,` (12.2: the proposal's direction,
    /// initiator to responder).
    KeyEngine {
        local: Option<&'a str>,
        remote: Option<&'a str>,
        src: Option<&'a str>,
        dest: Option<&'a str>,
    },
    /// `IPSEC(validate_proposal): invalid local address 10.2.2.2`: quick mode reached an
    /// address whose interface carries no crypto map for it.
    InvalidLocalAddress {
        addr: &'a str,
    },
    /// `IPSEC(initialize_sas): invalid proxy IDs`
    InvalidProxyIds,
    /// `%CRYPTO-6-IKMP_MODE_FAILURE: Processing of Main mode failed with peer at 10.1.1.1`
    ModeFailure {
        quick: bool,
        peer: Option<&'a str>,
    },
    /// `%CRYPTO-5-SESSION_STATUS: Crypto tunnel is UP  .  Peer 10.1.1.2:500 Id: 10.1.1.2`, or
    /// IKEv2's `%CRYPTO-5-IKEV2_SESSION_STATUS: Crypto tunnel v2 is UP.  Peer …`.
    SessionStatus {
        up: bool,
        peer: Option<&'a str>,
        v2: bool,
    },
    /// `Sending NOTIFY PROPOSAL_NOT_CHOSEN protocol 3`
    NotifySent {
        kind: &'a str,
    },
    /// `processing NOTIFY PROPOSAL_NOT_CHOSEN protocol 3`
    NotifyReceived {
        kind: &'a str,
    },
    /// `Successfully installed IPSEC SA (SPI:0xDA9E8DCA) on Ethernet0/0`
    SaInstalled {
        spi: &'a str,
        interface: &'a str,
    },
    /// `deleting node 570535495 error TRUE reason "QM rejected"`
    NodeDeleted {
        error: bool,
        reason: &'a str,
    },

    // --- syslog ---
    /// `%CRYPTO-4-RECVD_PKT_INV_SPI: decaps: rec'd IPSEC packet has invalid spi for destaddr=…`
    InvalidSpi {
        peer: Option<&'a str>,
    },
    /// `%CRYPTO-4-RECVD_PKT_NOT_IPSEC: Rec'd packet not an IPSEC packet. (ip) vrf/dest_addr=
    /// /10.1.1.1, src_addr= 10.2.2.2, prot= 1`: a packet this router's policy expects
    /// encrypted arrived in the clear.
    Cleartext {
        dest: &'a str,
        src: &'a str,
        prot: Option<&'a str>,
    },
    /// `%CRYPTO-5-IKMP_AG_MODE_DISABLED: Unable to initiate or respond to Aggressive Mode while
    /// disabled`: aggressive mode was asked of a router configured to refuse it.
    AggressiveRefused,
    /// `%CRYPTO-6-ISAKMP_ON_OFF: ISAKMP is OFF`
    IsakmpOnOff {
        on: bool,
    },

    /// A line known to be harmless (`peer does not do paranoid keepalives`, CSDL warnings).
    Benign(&'static str),

    /// What a `debug crypto ikev2` line says.
    V2(V2Event<'a>),
}

/// An IKEv2 exchange, as IOS names it in packet headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum V2Exchange {
    #[serde(rename = "IKE_SA_INIT")]
    SaInit,
    #[serde(rename = "IKE_AUTH")]
    Auth,
    #[serde(rename = "CREATE_CHILD_SA")]
    CreateChild,
    #[serde(rename = "INFORMATIONAL")]
    Informational,
}

impl V2Exchange {
    pub fn from_name(name: &str) -> Option<V2Exchange> {
        Some(match name {
            "IKE_SA_INIT" => V2Exchange::SaInit,
            "IKE_AUTH" => V2Exchange::Auth,
            "CREATE_CHILD_SA" => V2Exchange::CreateChild,
            "INFORMATIONAL" => V2Exchange::Informational,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            V2Exchange::SaInit => "IKE_SA_INIT",
            V2Exchange::Auth => "IKE_AUTH",
            V2Exchange::CreateChild => "CREATE_CHILD_SA",
            V2Exchange::Informational => "INFORMATIONAL",
        }
    }
}

/// What one `debug crypto ikev2` line says happened. IOS prints a packet as several lines (the
/// packet line, its SPIs, the exchange, the payloads): each is an event of its own, and the
/// rules put them back together in the order they arrive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum V2Event<'a> {
    /// `Sending Packet [To 203.0.113.2:500/From 203.0.113.1:500/VRF i0:f0]` and `Received
    /// Packet [From …/To …]`: `peer` is the far end, `local` this router.
    Packet {
        sent: bool,
        peer: &'a str,
        local: &'a str,
    },
    /// `IKEv2 IKE_AUTH Exchange RESPONSE`: the exchange of the packet above.
    Exchange { exchange: V2Exchange, request: bool },
    /// `Building packet for encryption.`: the payload list below is what this router sends.
    Building,
    /// A payload list naming an error notify: ` VID IDr AUTH NOTIFY(AUTHENTICATION_FAILED)`.
    Notify { kind: &'a str },
    /// `Proposal 1:  AES-CBC-256 SHA256 SHA256 DH_GROUP_2048_MODP/Group 14` under `Received
    /// Policies:` or `Expected Policies:` (`ESP: Proposal …` for a child SA's); IOS-XE 16+
    /// prints the list's first proposal on the line that names it (`received` then says which).
    Policy {
        esp: bool,
        received: Option<bool>,
        words: &'a str,
    },
    /// `Failed to find a matching policy`: ends a policy list; the responder refuses.
    NoMatchingPolicy,
    /// `Verification of peer's authenctication data FAILED` / `Failed to authenticate the IKE SA`
    AuthFailed,
    /// `Verification of peer's authenctication data PASSED`
    AuthPassed,
    /// `Peer authentication method configured is mismatching with the method proposed by peer`
    MethodMismatch,
    /// `Peer's authentication method is 'PSK'`
    PeerMethod { method: &'a str },
    /// `Auth exchange failed`
    AuthExchangeFailed,
    /// `% IKEv2 profile not found`: no profile matches the identity the peer sent.
    ProfileNotFound,
    /// `Failed to locate an item in the database`: a lookup failed. After `% IKEv2 profile not
    /// found` it is that profile; on an initiator that has the responder's answer, the
    /// responder's identity is not one its profile accepts; elsewhere a keyring peer or key.
    LocateFailed,
    /// `Failed to verify peer's policy`: the identity the peer answered with is not one this
    /// router's profile matches.
    PolicyRefused,
    /// `Searching policy based on peer's identity '203.0.113.1' of type 'IPv4 address'`
    PeerIdentity { id: &'a str, kind: &'a str },
    /// `Constructing IDi payload: '203.0.113.1' of type 'IPv4 address'` (or `IDr`).
    OwnIdentity { id: &'a str, kind: &'a str },
    /// `Retransmitting packet`
    Retransmit,
    /// `Maximum number of retransmissions reached`
    MaxRetransmissions,
    /// `Initial exchange failed` / `Failed SA init exchange`
    InitialFailed,
}

/// Where a line came from, for evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineRef {
    pub source: String,
    pub line: usize,
    pub text: String,
}

/// A line being processed, borrowed: becomes a [`LineRef`] only when kept as evidence, so the
/// common case (a line counted, not quoted) allocates nothing.
#[derive(Debug, Clone, Copy)]
pub struct LineAt<'a> {
    pub source: &'a str,
    pub line: usize,
    pub text: &'a str,
}

impl LineAt<'_> {
    pub fn to_ref(&self) -> LineRef {
        LineRef {
            source: self.source.to_string(),
            line: self.line,
            text: self.text.trim_end().to_string(),
        }
    }

    /// Overwrites `r` with this line, reusing its buffers.
    pub fn write_into(&self, r: &mut LineRef) {
        if r.source != self.source {
            self.source.clone_into(&mut r.source);
        }
        r.line = self.line;
        r.text.clear();
        r.text.push_str(self.text.trim_end());
    }
}
