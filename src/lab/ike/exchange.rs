//! IKEv1 main mode and quick mode as state types: each side consumes one message (or a
//! retransmission timer) and returns what it does next: packets to send, debug lines, SA
//! changes. No I/O and no clock here; [`super::wire`] carries the packets and runs the timers.
//!
//! Every decision comes from `crate::ios`: which policy the responder accepts
//! ([`phase1::choose_policy`]), which key belongs to a peer, which crypto map entry answers a
//! quick mode offer ([`phase2::responder_entries`], [`phase2::accepts_proxy`],
//! [`phase2::choose_transform`], [`phase2::check_pfs`]). The state machine only adds what the
//! wire sees: message order, retransmissions and what each router prints about it.

pub use super::ids::Ids;
use super::say::{L, proxy, render, vpi};
use crate::ios::Wildcard;
use crate::ios::child_sa::{ChildOffer, ChildOutcome, ChildSource, child_sa};
use crate::ios::model::{
    AuthMethod, Encryption, EspCipher, Hash, IntegrityAlg, IsakmpPolicy, RunningConfig,
};
use crate::ios::phase1::{self, CheckResult};
use crate::ios::phase2::Phase2Offer;
use crate::ios::tunnel::IkeVersion;
use crate::lab::clock::LogFormat;
use crate::secret::Secret;
use std::fmt::Display;
use std::net::Ipv4Addr;
use std::sync::Arc;
use std::time::Duration;

/// IOS resends an unanswered phase 1 message every 10 seconds…
pub const RETRANSMIT_INTERVAL: Duration = Duration::from_secs(10);
/// …and gives up after the fifth attempt.
pub const MAX_ATTEMPTS: u32 = 5;
/// How long IOS keeps a deleted quick mode node before purging it.
pub const PURGE_AFTER: Duration = Duration::from_secs(20);
/// How long a router works out the Diffie-Hellman secret between `processing KE payload` and
/// `processing NONCE payload` (18 ms in the corpus's IOS-XE capture).
pub const DH_TIME: Duration = Duration::from_millis(18);
/// The first connection id IOS hands out once a phase 1 SA has keys.
pub const FIRST_CONN_ID: u32 = 1001;

/// One IKE packet on the virtual wire.
#[derive(Debug, Clone)]
pub enum Msg {
    /// SA proposal: the initiator's policies in priority order.
    Mm1 {
        offer: Vec<IsakmpPolicy>,
    },
    /// The responder's choice.
    Mm2 {
        chosen: IsakmpPolicy,
    },
    /// KE + nonce.
    Mm3,
    Mm4,
    /// Identity and hash, encrypted with keys derived from the initiator's pre-shared key.
    Mm5 {
        sealed_with: Option<Secret>,
    },
    Mm6,
    Qm1 {
        mid: u32,
        spi: u32,
        offer: Box<Phase2Offer>,
    },
    Qm2 {
        mid: u32,
        spi: u32,
        lifetime: u32,
    },
    Qm3 {
        mid: u32,
    },
    /// The responder refused every phase 1 proposal: an unauthenticated NOTIFY (there are no
    /// keys yet), which the initiator cannot trust and so ignores.
    Mm1Refused,
    /// `PROPOSAL_NOT_CHOSEN` for quick mode `rejected`.
    Notify {
        mid: u32,
        rejected: u32,
        spi: u64,
    },
}

impl Msg {
    /// The state name IOS prints with a packet of this kind.
    fn ios_state(&self) -> &'static str {
        match self {
            Msg::Mm1 { .. } | Msg::Mm2 { .. } | Msg::Mm1Refused => "MM_NO_STATE",
            Msg::Mm3 | Msg::Mm4 => "MM_SA_SETUP",
            Msg::Mm5 { .. } | Msg::Mm6 => "MM_KEY_EXCH",
            _ => "QM_IDLE      ",
        }
    }
}

/// A phase 2 SA pair as one side installs it.
#[derive(Debug, Clone)]
pub struct Install {
    pub in_spi: u32,
    pub out_spi: u32,
    /// From this side: what it protects locally and remotely.
    pub local: Wildcard,
    pub remote: Wildcard,
    pub transform: String,
    pub pfs: Option<u8>,
    pub lifetime_seconds: u32,
    pub lifetime_kilobytes: u64,
    pub map: String,
    pub seq: u32,
    /// The interface IOS installs it on: a VTI, or the interface with the crypto map.
    pub interface: String,
    pub ike: IkeVersion,
}

/// What a step asks of the world.
#[derive(Debug, Clone)]
pub enum Out {
    Isakmp(String),
    Ipsec(String),
    /// A syslog message: printed to monitoring sessions whether or not debug is on.
    Syslog(String),
    /// The router works this long before its next line (a Diffie-Hellman computation).
    Elapse(Duration),
    Send(Msg),
    /// Call `on_timer` after this much lab time unless a message comes first.
    Timer(Duration),
    /// The phase 1 SA's state as `show crypto isakmp sa` prints it, and its connection id.
    P1State(&'static str, u32),
    /// Phase 1 is up with this lifetime (seconds) and these attributes.
    P1Up {
        lifetime: u32,
        policy: IsakmpPolicy,
    },
    /// The policy phase 1 is negotiating (before it is up), for `show crypto isakmp sa detail`.
    P1Proposal(IsakmpPolicy),
    P1Deleted,
    Installed(Install),
    /// The initiator is done (up or failed); the exchange ends.
    Finished {
        up: bool,
    },
}

/// What both sides know before the first packet.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub format: LogFormat,
    pub cfg: Arc<RunningConfig>,
    pub local: Ipv4Addr,
    pub peer: Ipv4Addr,
    /// The interface IOS names in `Successfully installed IPSEC SA … on IF`.
    pub interface: String,
}

/// Collects the lines of one step in the router's format.
struct Talk<'a> {
    format: LogFormat,
    sa: u32,
    out: &'a mut Vec<Out>,
}

impl Talk<'_> {
    fn say(&mut self, line: L, args: &[&dyn Display]) {
        if let Some(text) = render(self.format, self.sa, line, args) {
            self.out.push(Out::Isakmp(text));
        }
    }
    fn ipsec(&mut self, line: L, args: &[&dyn Display]) {
        if let Some(text) = render(self.format, self.sa, line, args) {
            self.out.push(Out::Ipsec(text));
        }
    }
    fn state(&mut self, input: (&str, &str), old: &str, new: &str) {
        self.say(L::Input, &[&input.0, &input.1]);
        self.say(L::StateChange, &[&old, &new]);
    }
    fn node_state(&mut self, node: u32, input: (&str, &str), old: &str, new: &str) {
        self.say(L::NodeInput, &[&node, &input.0, &input.1]);
        self.say(L::StateChangeQm, &[&old, &new]);
    }
    fn send(&mut self, to: Ipv4Addr, role: &str, msg: Msg) {
        self.say(L::SendPacket, &[&to, &role, &msg.ios_state()]);
        self.say(L::SendingIkePacket, &[]);
        self.out.push(Out::Send(msg));
    }
}

fn encryption_words(e: Encryption) -> (&'static str, Option<u16>) {
    match e {
        Encryption::Des => ("DES-CBC", None),
        Encryption::TripleDes => ("3DES-CBC", None),
        Encryption::Aes128 => ("AES-CBC", Some(128)),
        Encryption::Aes192 => ("AES-CBC", Some(192)),
        Encryption::Aes256 => ("AES-CBC", Some(256)),
    }
}

fn hash_word(h: Hash) -> &'static str {
    match h {
        Hash::Md5 => "MD5",
        Hash::Sha => "SHA",
        Hash::Sha256 => "SHA256",
        Hash::Sha384 => "SHA384",
        Hash::Sha512 => "SHA512",
    }
}

fn auth_word(a: AuthMethod) -> &'static str {
    match a {
        AuthMethod::PreShare => "pre-share",
        AuthMethod::RsaSig => "RSA sig",
        AuthMethod::RsaEncr => "RSA encr",
    }
}

/// The attribute lines of one offered ISAKMP transform.
fn p1_attributes(t: &mut Talk<'_>, p: &IsakmpPolicy) {
    let (enc, keylen) = encryption_words(p.encryption);
    t.say(L::AttrEncryption, &[&enc]);
    if let Some(k) = keylen {
        t.say(L::AttrKeyLength, &[&k]);
    }
    t.say(L::AttrHash, &[&hash_word(p.hash)]);
    t.say(L::AttrGroup, &[&p.group]);
    t.say(L::AttrAuth, &[&auth_word(p.auth)]);
    t.say(L::AttrLifeType, &[]);
    t.say(L::AttrLifeVpi, &[&vpi(u64::from(p.lifetime))]);
}

/// The accepted-policy tail: IOS settles on the lower lifetime and says so.
fn p1_accepted(t: &mut Talk<'_>, offered: u32, actual: u32) {
    t.say(L::AttsAcceptable, &[]);
    t.say(L::ActualLife, &[]);
    t.say(L::AttsLife, &[]);
    t.say(L::FillVpi, &[]);
    t.say(L::FillLife, &[&offered]);
    t.say(L::ReturningLifetime, &[&actual]);
    t.say(L::StartedLifetimeTimer, &[&actual]);
}

fn esp_words(cipher: Option<EspCipher>) -> (&'static str, Option<u16>) {
    match cipher {
        Some(EspCipher::Des) => ("ESP_DES", None),
        Some(EspCipher::TripleDes) => ("ESP_3DES", None),
        Some(EspCipher::Aes(n)) => ("ESP_AES", Some(n)),
        Some(EspCipher::Gcm(n)) => ("ESP_GCM", Some(n)),
        Some(EspCipher::Gmac(n)) => ("ESP_GMAC", Some(n)),
        Some(EspCipher::Null) => ("ESP_NULL", None),
        Some(EspCipher::Seal) => ("ESP_SEAL", None),
        None => ("ESP_NULL", None),
    }
}

fn authenticator_word(a: IntegrityAlg) -> &'static str {
    match a {
        IntegrityAlg::Md5 => "HMAC-MD5",
        IntegrityAlg::Sha => "HMAC-SHA",
        IntegrityAlg::Sha256 => "HMAC-SHA256",
        IntegrityAlg::Sha384 => "HMAC-SHA384",
        IntegrityAlg::Sha512 => "HMAC-SHA512",
    }
}

/// The attribute lines of the first offered IPsec transform.
fn p2_attributes(t: &mut Talk<'_>, offer: &Phase2Offer) {
    let Some(set) = offer.transform_sets.first() else {
        return;
    };
    let (name, keylen) = esp_words(set.esp_cipher);
    t.say(L::Transform, &[&name]);
    t.say(L::AttributesInTransform, &[]);
    t.say(L::Encaps, &[]);
    t.say(L::SaLifeSeconds, &[]);
    t.say(L::SaLifeBasic, &[&offer.lifetime_seconds]);
    t.say(L::SaLifeKilobytes, &[]);
    t.say(L::SaLifeVpi, &[&vpi(offer.lifetime_kilobytes)]);
    if let Some(a) = set.esp_auth {
        t.say(L::Authenticator, &[&authenticator_word(a)]);
    }
    if let Some(k) = keylen {
        t.say(L::KeyLength, &[&k]);
    }
    if let Some(g) = offer.pfs {
        t.say(L::PfsGroup, &[&g]);
    }
}

/// The key size the key engine names for a transform set: the AES or GCM key length.
fn keysize(set: Option<&crate::ios::model::TransformSet>) -> u16 {
    match set.and_then(|s| s.esp_cipher) {
        Some(EspCipher::Aes(n) | EspCipher::Gcm(n) | EspCipher::Gmac(n)) => n,
        _ => 0,
    }
}

/// What one router's key engine installs for a quick mode: its inbound SA (its own SPI,
/// toward itself) and its outbound one (the peer's SPI), with the flow's proxies from its side.
struct Sas<'a> {
    local: Ipv4Addr,
    peer: Ipv4Addr,
    in_spi: u32,
    out_spi: u32,
    conn: u32,
    transform: &'a str,
    kilobytes: u64,
    seconds: u32,
    local_proxy: &'a Wildcard,
    remote_proxy: &'a Wildcard,
    map: &'a str,
    seq: u32,
}

/// `debug crypto ipsec` while the key engine creates both SAs of a quick mode.
fn create_sas(t: &mut Talk<'_>, sas: &Sas<'_>, pointer: &str) {
    let format = t.format;
    let (lp, rp) = (
        proxy(format, sas.local_proxy, 0),
        proxy(format, sas.remote_proxy, 0),
    );
    t.ipsec(L::KeyEngineQueue, &[]);
    t.ipsec(
        L::MapdbProxyMatch,
        &[&sas.local_proxy.addr, &sas.remote_proxy.addr, &256],
    );
    t.ipsec(L::MapFound, &[&sas.map, &sas.seq]);
    t.ipsec(L::NoOldOutbound, &[&pointer]);
    for (dest, spi, conn) in [
        (sas.local, sas.in_spi, sas.conn),
        (sas.peer, sas.out_spi, sas.conn + 1),
    ] {
        t.ipsec(
            L::IpsecCreatingSa,
            &[
                &dest,
                &format!("{spi:X}"),
                &spi,
                &sas.transform,
                &conn,
                &sas.kilobytes,
                &sas.seconds,
                &sas.local,
                &sas.peer,
                &lp,
                &rp,
            ],
        );
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum IState {
    MmNoState,
    MmSaSetup,
    MmKeyExch,
    QmSent,
    Done,
}

/// The side that had traffic to protect.
#[derive(Debug)]
pub struct Initiator {
    ctx: Ctx,
    ids: Ids,
    state: IState,
    sa: u32,
    conn: u32,
    offer: Vec<IsakmpPolicy>,
    p2: Phase2Offer,
    mid: u32,
    spi: u32,
    attempts: u32,
    last: Option<Msg>,
    /// Quick mode nodes deleted after a refusal; IOS purges them a while later.
    purge: Vec<u32>,
}

/// `IPSEC(sa_request)`: the key engine asks IKE for SAs for the flow the traffic hit.
fn sa_request(ctx: &Ctx, p2: &Phase2Offer, out: &mut Vec<Out>) {
    let set = p2.transform_sets.first();
    let mut t = Talk {
        format: ctx.format,
        sa: 0,
        out,
    };
    t.ipsec(
        L::IpsecSaRequest,
        &[
            &ctx.local,
            &ctx.peer,
            &proxy(ctx.format, &p2.proxy.local, p2.proxy.protocol.number()),
            &proxy(ctx.format, &p2.proxy.remote, p2.proxy.protocol.number()),
            &set.map(|s| s.transforms_text()).unwrap_or_default(),
            &p2.lifetime_seconds,
            &p2.lifetime_kilobytes,
            &keysize(set),
        ],
    );
}

impl Initiator {
    /// Traffic hit crypto map entry `p2`: start main mode, or quick mode at once when a phase 1
    /// SA (`existing`, its connection id) is already up.
    pub fn start(
        ctx: Ctx,
        mut ids: Ids,
        p2: Phase2Offer,
        existing: Option<u32>,
        conn_id: u32,
    ) -> (Initiator, Vec<Out>) {
        let mut out = Vec::new();
        let mid = ids.mid();
        let spi = ids.spi();
        sa_request(&ctx, &p2, &mut out);
        let mut me = Initiator {
            ctx,
            ids,
            state: IState::MmNoState,
            sa: 0,
            conn: conn_id,
            offer: Vec::new(),
            p2,
            mid,
            spi,
            attempts: 0,
            last: None,
            purge: Vec::new(),
        };
        if let Some(conn) = existing {
            me.sa = conn;
            me.conn = conn;
            let mut t = me.talk(&mut out);
            t.say(L::SetNewNode, &[&0]);
            t.say(L::OutstandingRequests, &[&me.ctx.local, &me.ctx.peer]);
            t.say(L::SittingIdle, &[]);
            me.begin_quick_mode(&mut out, false);
            return (me, out);
        }
        me.begin_main_mode(&mut out);
        (me, out)
    }

    fn talk<'a>(&self, out: &'a mut Vec<Out>) -> Talk<'a> {
        Talk {
            format: self.ctx.format,
            sa: self.sa,
            out,
        }
    }

    pub fn is_done(&self) -> bool {
        self.state == IState::Done
    }

    fn begin_main_mode(&mut self, out: &mut Vec<Out>) {
        let peer = self.ctx.peer;
        let (peer_ptr, handle, sa_ptr) =
            (self.ids.pointer(), self.ids.pointer(), self.ids.pointer());
        let offered = phase1::offered_policies(&self.ctx.cfg, peer);
        let mut t = self.talk(out);
        t.say(L::SaRequestProfile, &[]);
        t.say(L::PeerCreated, &[&peer]);
        t.say(L::NewPeer, &[&peer_ptr, &handle]);
        t.say(L::LockPeer, &[&peer_ptr, &"isakmp_initiator"]);
        t.say(L::LocalPort, &[]);
        t.say(L::SetNewNode, &[&0]);
        t.say(L::InsertSa, &[&sa_ptr]);
        t.say(L::TryMainMode, &[]);
        let offer = match offered {
            Ok(offer) => offer,
            Err(_) => {
                // No key for the peer and nothing but pre-share to offer: IOS cannot even
                // build the first message.
                t.say(L::NoKeyWith, &[&peer]);
                t.say(L::NoCertOrKey, &[]);
                t.say(L::CannotStartMain, &[]);
                t.say(L::UnlockPeer, &[&peer_ptr]);
                t.say(L::PeerReap, &[&peer, &peer_ptr]);
                t.say(L::PurgingSa, &[&sa_ptr, &sa_ptr]);
                t.say(L::PurgingNode, &[&self.mid]);
                t.say(L::FailedInitSa, &[]);
                t.say(L::KmiError, &[]);
                self.state = IState::Done;
                out.push(Out::Finished { up: false });
                return;
            }
        };
        if self.ctx.cfg.key_for(peer).is_some() {
            t.say(L::FoundKey, &[&peer]);
        }
        for v in ["rfc3947", "07", "03", "02"] {
            t.say(L::NatTVendor, &[&v]);
        }
        t.state(
            ("IKE_MESG_FROM_IPSEC", "IKE_SA_REQ_MM"),
            "IKE_READY",
            "IKE_I_MM1",
        );
        t.say(L::BeginMainMode, &[]);
        let msg = Msg::Mm1 {
            offer: offer.clone(),
        };
        t.send(peer, "I", msg.clone());
        let first = offer.first().cloned();
        self.offer = offer;
        self.arm(out, msg, "MM_NO_STATE");
        if let Some(first) = first {
            out.push(Out::P1Proposal(first));
        }
    }

    /// Records the message to resend and starts the retransmission timer.
    fn arm(&mut self, out: &mut Vec<Out>, msg: Msg, state: &'static str) {
        self.last = Some(msg);
        self.attempts = 0;
        out.push(Out::P1State(
            state,
            if self.sa == 0 { 0 } else { self.conn },
        ));
        out.push(Out::Timer(RETRANSMIT_INTERVAL));
    }

    fn begin_quick_mode(&mut self, out: &mut Vec<Out>, after_p1: bool) {
        let peer = self.ctx.peer;
        let msg = Msg::Qm1 {
            mid: self.mid,
            spi: self.spi,
            offer: Box::new(self.p2.clone()),
        };
        let mut t = self.talk(out);
        t.say(L::BeginQuickMode, &[&self.mid]);
        t.say(L::QmGetsSpi, &[]);
        t.send(peer, "I", msg);
        t.node_state(
            self.mid,
            ("IKE_MESG_INTERNAL", "IKE_INIT_QM"),
            "IKE_QM_READY",
            "IKE_QM_I_QM1",
        );
        if after_p1 {
            t.state(
                ("IKE_MESG_INTERNAL", "IKE_PHASE1_COMPLETE"),
                "IKE_P1_COMPLETE",
                "IKE_P1_COMPLETE",
            );
        }
        self.state = IState::QmSent;
    }

    /// A packet from the responder.
    pub fn on_msg(&mut self, msg: Msg) -> Vec<Out> {
        let mut out = Vec::new();
        let peer = self.ctx.peer;
        match (self.state, msg) {
            (IState::MmNoState, Msg::Mm2 { chosen }) => {
                let own = self.offer.iter().find(|p| {
                    p.encryption == chosen.encryption
                        && p.hash == chosen.hash
                        && p.auth == chosen.auth
                        && p.group == chosen.group
                });
                let (index, own) = match own {
                    Some(p) => (
                        self.offer.iter().position(|q| q == p).unwrap_or(0) + 1,
                        p.clone(),
                    ),
                    None => (1, chosen.clone()),
                };
                let mut t = self.talk(&mut out);
                t.say(L::ReceivedPacket, &[&peer, &"I", &"MM_NO_STATE"]);
                t.state(
                    ("IKE_MESG_FROM_PEER", "IKE_MM_EXCH"),
                    "IKE_I_MM1",
                    "IKE_I_MM2",
                );
                t.say(L::ProcessingSa, &[&0]);
                t.say(L::ProcessingVendor, &[]);
                t.say(L::VendorUnityMismatch, &[]);
                t.say(L::VendorNatT, &[]);
                if own.auth == AuthMethod::PreShare {
                    t.say(L::FoundKey, &[&peer]);
                    t.say(L::LocalKeyFound, &[]);
                }
                t.say(L::ScanXauth, &[]);
                t.say(L::CheckingTransform, &[&index, &own.priority]);
                p1_attributes(&mut t, &own);
                p1_accepted(&mut t, own.lifetime, own.lifetime);
                t.say(L::ProcessingVendor, &[]);
                t.say(L::VendorUnityMismatch, &[]);
                t.say(L::VendorNatT, &[]);
                t.state(
                    ("IKE_MESG_INTERNAL", "IKE_PROCESS_MAIN_MODE"),
                    "IKE_I_MM2",
                    "IKE_I_MM2",
                );
                t.send(peer, "I", Msg::Mm3);
                t.state(
                    ("IKE_MESG_INTERNAL", "IKE_PROCESS_COMPLETE"),
                    "IKE_I_MM2",
                    "IKE_I_MM3",
                );
                self.state = IState::MmSaSetup;
                self.arm(&mut out, Msg::Mm3, "MM_SA_SETUP");
                out.push(Out::P1Proposal(own));
            }
            (IState::MmNoState, Msg::Mm1Refused) => {
                // Without keys the notify cannot be authenticated: IOS logs it, ignores it
                // and keeps retransmitting, so the exchange still dies by retransmission.
                let mut t = self.talk(&mut out);
                t.say(L::ReceivedPacket, &[&peer, &"I", &"MM_NO_STATE"]);
                t.say(L::NotifyNoHash, &[]);
                t.say(L::UnknownInput, &[&"IKE_I_MM1"]);
                t.state(
                    ("IKE_MESG_FROM_PEER", "IKE_INFO_NOTIFY"),
                    "IKE_I_MM1",
                    "IKE_I_MM1",
                );
            }
            (IState::MmSaSetup, Msg::Mm4) => {
                let key = self.ctx.cfg.key_for(peer).map(|k| k.key.secret.clone());
                let mut t = self.talk(&mut out);
                t.say(L::ReceivedPacket, &[&peer, &"I", &"MM_SA_SETUP"]);
                t.state(
                    ("IKE_MESG_FROM_PEER", "IKE_MM_EXCH"),
                    "IKE_I_MM3",
                    "IKE_I_MM4",
                );
                t.say(L::ProcessingKe, &[]);
                t.out.push(Out::Elapse(DH_TIME));
                t.say(L::ProcessingNonce, &[&0]);
                if key.is_some() {
                    t.say(L::FoundKey, &[&peer]);
                }
                self.sa = self.conn;
                let mut t = self.talk(&mut out);
                for l in [
                    L::ProcessingVendor,
                    L::VendorUnity,
                    L::ProcessingVendor,
                    L::VendorDpd,
                    L::ProcessingVendor,
                    L::AnotherIos,
                    L::PayloadType20,
                    L::HisHashNoMatch,
                    L::PayloadType20,
                    L::NoNat,
                ] {
                    t.say(l, &[]);
                }
                t.state(
                    ("IKE_MESG_INTERNAL", "IKE_PROCESS_MAIN_MODE"),
                    "IKE_I_MM4",
                    "IKE_I_MM4",
                );
                t.say(L::InitialContact, &[]);
                t.say(L::SaDoing, &[]);
                t.say(L::PskIdType, &[]);
                t.say(L::IdPayload, &[]);
                t.say(L::IdAddress, &[&self.ctx.local]);
                t.say(L::IdProtocol, &[]);
                t.say(L::TotalPayload, &[]);
                let msg = Msg::Mm5 { sealed_with: key };
                t.send(peer, "I", msg.clone());
                t.state(
                    ("IKE_MESG_INTERNAL", "IKE_PROCESS_COMPLETE"),
                    "IKE_I_MM4",
                    "IKE_I_MM5",
                );
                self.state = IState::MmKeyExch;
                self.arm(&mut out, msg, "MM_KEY_EXCH");
            }
            (IState::MmKeyExch, Msg::Mm6) => {
                let (ptr, lifetime, policy) = (
                    self.ids.pointer(),
                    self.offer.first().map_or(86_400, |p| p.lifetime),
                    self.offer.first().cloned(),
                );
                let mut t = self.talk(&mut out);
                t.say(L::ReceivedPacket, &[&peer, &"I", &"MM_KEY_EXCH"]);
                t.say(L::ProcessingId, &[&0]);
                t.say(L::IdPayload, &[]);
                t.say(L::IdAddress, &[&peer]);
                t.say(L::IdProtocol, &[]);
                Talk {
                    format: self.ctx.format,
                    sa: 0,
                    out: &mut out,
                }
                .say(L::PeerNoProfile, &[]);
                let mut t = self.talk(&mut out);
                t.say(L::ProcessingHash, &[&0]);
                t.say(L::AuthStatus, &[]);
                t.say(L::Authenticated, &[&peer]);
                let mut t0 = Talk {
                    format: self.ctx.format,
                    sa: 0,
                    out: &mut out,
                };
                t0.say(L::InsertPeer, &[&self.ctx.local, &peer]);
                t0.say(L::InsertedPeer, &[&ptr]);
                let mut t = self.talk(&mut out);
                t.state(
                    ("IKE_MESG_FROM_PEER", "IKE_MM_EXCH"),
                    "IKE_I_MM5",
                    "IKE_I_MM6",
                );
                t.state(
                    ("IKE_MESG_INTERNAL", "IKE_PROCESS_MAIN_MODE"),
                    "IKE_I_MM6",
                    "IKE_I_MM6",
                );
                t.state(
                    ("IKE_MESG_INTERNAL", "IKE_PROCESS_COMPLETE"),
                    "IKE_I_MM6",
                    "IKE_P1_COMPLETE",
                );
                out.push(Out::P1State("QM_IDLE", self.conn));
                if let Some(policy) = policy {
                    out.push(Out::P1Up { lifetime, policy });
                }
                self.last = None;
                self.begin_quick_mode(&mut out, true);
            }
            (IState::QmSent, Msg::Qm2 { mid, spi, lifetime }) if mid == self.mid => {
                let mut t = self.talk(&mut out);
                t.say(L::ReceivedPacket, &[&peer, &"I", &"QM_IDLE      "]);
                t.say(L::ProcessingHash, &[&mid]);
                t.say(L::ProcessingSa, &[&mid]);
                t.say(L::CheckingProposal, &[]);
                let mut answered = self.p2.clone();
                answered.lifetime_seconds = lifetime;
                p2_attributes(&mut t, &answered);
                t.say(L::AttsAcceptableP2, &[]);
                t.say(L::ProcessingNonce, &[&mid]);
                t.say(L::ProcessingId, &[&mid]);
                t.say(L::ProcessingId, &[&mid]);
                t.node_state(
                    mid,
                    ("IKE_MESG_FROM_PEER", "IKE_QM_EXCH"),
                    "IKE_QM_I_QM1",
                    "IKE_QM_IPSEC_INSTALL_AWAIT",
                );
                let set = self.p2.transform_sets.first();
                let transform = set.map(|s| s.transforms_text()).unwrap_or_default();
                let pointer = self.ids.pointer();
                let mut t = self.talk(&mut out);
                create_sas(
                    &mut t,
                    &Sas {
                        local: self.ctx.local,
                        peer,
                        in_spi: self.spi,
                        out_spi: spi,
                        conn: self.conn + 1000,
                        transform: &transform,
                        kilobytes: self.p2.lifetime_kilobytes,
                        seconds: lifetime,
                        local_proxy: &self.p2.proxy.local,
                        remote_proxy: &self.p2.proxy.remote,
                        map: &self.p2.map,
                        seq: self.p2.seq,
                    },
                    &pointer[4..],
                );
                Talk {
                    format: self.ctx.format,
                    sa: 0,
                    out: &mut out,
                }
                .say(L::PeerIndexNode, &[]);
                let mut t = self.talk(&mut out);
                t.say(L::InstallCallback, &[]);
                // IOS names the SA it will receive on: its own SPI.
                t.say(
                    L::Installed,
                    &[&format!("{:08X}", self.spi), &self.ctx.interface],
                );
                t.send(peer, "I", Msg::Qm3 { mid });
                t.say(L::DeletingNode, &[&mid, &"No Error"]);
                t.node_state(
                    mid,
                    ("IKE_MESG_FROM_IPSEC", "IPSEC_INSTALL_DONE"),
                    "IKE_QM_IPSEC_INSTALL_AWAIT",
                    "IKE_QM_PHASE2_COMPLETE",
                );
                out.push(Out::Installed(Install {
                    in_spi: self.spi,
                    out_spi: spi,
                    local: self.p2.proxy.local,
                    remote: self.p2.proxy.remote,
                    transform,
                    pfs: self.p2.pfs.map(|g| g.0),
                    lifetime_seconds: lifetime,
                    lifetime_kilobytes: self.p2.lifetime_kilobytes,
                    map: self.p2.map.clone(),
                    seq: self.p2.seq,
                    interface: self.ctx.interface.clone(),
                    ike: IkeVersion::V1,
                }));
                self.state = IState::Done;
                out.push(Out::Finished { up: true });
            }
            (IState::QmSent, Msg::Notify { mid, rejected, spi }) if rejected == self.mid => {
                let ptr = self.ids.pointer();
                let mut t = self.talk(&mut out);
                t.say(L::ReceivedPacket, &[&peer, &"I", &"QM_IDLE      "]);
                t.say(L::SetNewNode, &[&mid]);
                t.say(L::ProcessingHash, &[&mid]);
                t.say(L::ProcessingNotify, &[&spi, &mid, &ptr]);
                t.say(L::DeletingSpi, &[&self.spi, &rejected]);
                t.say(L::DeletingNodeError, &[&rejected, &"Delete Larval"]);
                t.say(L::DeletingNode, &[&mid, &"Informational (in) state 1"]);
                self.purge = vec![rejected, mid];
                t.state(
                    ("IKE_MESG_FROM_PEER", "IKE_INFO_NOTIFY"),
                    "IKE_P1_COMPLETE",
                    "IKE_P1_COMPLETE",
                );
                self.state = IState::Done;
                out.push(Out::Finished { up: false });
            }
            // Anything else (a late duplicate) changes nothing.
            _ => {}
        }
        out
    }

    /// `purging node N` for the nodes a refused quick mode left behind, once IOS's purge timer
    /// ([`PURGE_AFTER`]) has run.
    pub fn purge(&mut self) -> Vec<Out> {
        let mut out = Vec::new();
        let nodes = std::mem::take(&mut self.purge);
        let mut t = self.talk(&mut out);
        for n in nodes {
            t.say(L::PurgingNode, &[&n]);
        }
        out
    }

    /// The retransmission timer fired with no answer.
    pub fn on_timer(&mut self) -> Vec<Out> {
        let mut out = Vec::new();
        let Some(last) = self.last.clone() else {
            return out;
        };
        let state = last.ios_state();
        let peer = self.ctx.peer;
        let mut t = self.talk(&mut out);
        if self.attempts >= MAX_ATTEMPTS {
            t.say(L::Retransmitting, &[&state]);
            t.say(L::NoParanoid, &[]);
            let reason = "Death by retransmission P1";
            t.say(L::DeletingSa, &[&reason, &"I", &state, &peer]);
            t.say(L::DeletingSa, &[&reason, &"I", &state, &peer]);
            let old = match last {
                Msg::Mm1 { .. } => "IKE_I_MM1",
                Msg::Mm3 => "IKE_I_MM3",
                _ => "IKE_I_MM5",
            };
            t.state(("IKE_MESG_INTERNAL", "IKE_PHASE1_DEL"), old, "IKE_DEST_SA");
            self.state = IState::Done;
            self.last = None;
            out.push(Out::P1Deleted);
            out.push(Out::Finished { up: false });
            return out;
        }
        self.attempts += 1;
        t.say(L::Retransmitting, &[&state]);
        t.say(L::ErrorCounter, &[&self.attempts]);
        t.say(L::RetransmittingNow, &[&state]);
        t.send(peer, "I", last);
        out.push(Out::Timer(RETRANSMIT_INTERVAL));
        out
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RState {
    Ready,
    Mm2Sent,
    Mm4Sent,
    Up,
    /// Deleted after too many bad messages.
    Gone,
}

/// The side that answers. It lives as long as the phase 1 SA, so later quick modes reuse it.
#[derive(Debug)]
pub struct Responder {
    ctx: Ctx,
    ids: Ids,
    state: RState,
    sa: u32,
    conn: u32,
    chosen: Option<IsakmpPolicy>,
    lifetime: u32,
    /// Messages from the peer that failed their check (a pre-shared key mismatch).
    errors: u32,
}

impl Responder {
    pub fn new(ctx: Ctx, ids: Ids, conn: u32) -> Responder {
        Responder {
            ctx,
            ids,
            state: RState::Ready,
            sa: 0,
            conn,
            chosen: None,
            lifetime: 0,
            errors: 0,
        }
    }

    pub fn is_up(&self) -> bool {
        self.state == RState::Up
    }

    pub fn conn(&self) -> u32 {
        self.conn
    }

    fn talk<'a>(&self, out: &'a mut Vec<Out>) -> Talk<'a> {
        Talk {
            format: self.ctx.format,
            sa: self.sa,
            out,
        }
    }

    pub fn on_msg(&mut self, msg: Msg) -> Vec<Out> {
        let mut out = Vec::new();
        let peer = self.ctx.peer;
        match (self.state, msg) {
            (RState::Ready, Msg::Mm1 { offer }) => self.on_mm1(&offer, &mut out),
            (RState::Mm2Sent, Msg::Mm1 { .. }) | (RState::Mm4Sent, Msg::Mm3) => {
                let mut t = self.talk(&mut out);
                t.say(L::ReceivedPacket, &[&peer, &"R", &"MM_NO_STATE"]);
                t.say(L::Duplicate, &[]);
            }
            (RState::Mm2Sent, Msg::Mm3) => {
                let found = self.ctx.cfg.key_for(peer).is_some();
                let mut t = self.talk(&mut out);
                t.say(L::ReceivedPacket, &[&peer, &"R", &"MM_SA_SETUP"]);
                t.state(
                    ("IKE_MESG_FROM_PEER", "IKE_MM_EXCH"),
                    "IKE_R_MM2",
                    "IKE_R_MM3",
                );
                t.say(L::ProcessingKe, &[]);
                t.out.push(Out::Elapse(DH_TIME));
                t.say(L::ProcessingNonce, &[&0]);
                if found {
                    t.say(L::FoundKey, &[&peer]);
                }
                self.sa = self.conn;
                let mut t = self.talk(&mut out);
                for l in [
                    L::ProcessingVendor,
                    L::VendorUnity,
                    L::ProcessingVendor,
                    L::VendorDpd,
                    L::ProcessingVendor,
                    L::AnotherIos,
                    L::PayloadType20,
                    L::HisHashNoMatch,
                    L::PayloadType20,
                    L::NoNat,
                ] {
                    t.say(l, &[]);
                }
                t.state(
                    ("IKE_MESG_INTERNAL", "IKE_PROCESS_MAIN_MODE"),
                    "IKE_R_MM3",
                    "IKE_R_MM3",
                );
                t.send(peer, "R", Msg::Mm4);
                t.state(
                    ("IKE_MESG_INTERNAL", "IKE_PROCESS_COMPLETE"),
                    "IKE_R_MM3",
                    "IKE_R_MM4",
                );
                self.state = RState::Mm4Sent;
                out.push(Out::P1State("MM_KEY_EXCH", self.conn));
            }
            (RState::Mm4Sent, Msg::Mm5 { sealed_with }) => {
                let own = self.ctx.cfg.key_for(peer).map(|k| k.key.secret.clone());
                let mut t = self.talk(&mut out);
                t.say(L::ReceivedPacket, &[&peer, &"R", &"MM_KEY_EXCH"]);
                if own.is_none() || own != sealed_with {
                    // Keys derived from different secrets: the decrypted payload is garbage.
                    // IOS counts the error and waits for a good retransmission; after the
                    // last one it gives the SA up.
                    out.push(Out::Syslog(format!(
                        "%CRYPTO-4-IKMP_BAD_MESSAGE: IKE message from {peer} failed its sanity check or is malformed"
                    )));
                    self.errors += 1;
                    let mut t = self.talk(&mut out);
                    if self.errors <= MAX_ATTEMPTS {
                        t.say(L::ErrorCounterFor, &[&self.errors, &"reset_retransmission"]);
                        return out;
                    }
                    let reason = "Death by retransmission P1";
                    t.say(L::NoParanoid, &[]);
                    t.say(L::DeletingSa, &[&reason, &"R", &"MM_KEY_EXCH", &peer]);
                    t.state(
                        ("IKE_MESG_INTERNAL", "IKE_PHASE1_DEL"),
                        "IKE_R_MM4",
                        "IKE_DEST_SA",
                    );
                    self.state = RState::Gone;
                    out.push(Out::P1Deleted);
                    return out;
                }
                t.state(
                    ("IKE_MESG_FROM_PEER", "IKE_MM_EXCH"),
                    "IKE_R_MM4",
                    "IKE_R_MM5",
                );
                t.say(L::ProcessingId, &[&0]);
                t.say(L::IdPayload, &[]);
                t.say(L::IdAddress, &[&peer]);
                t.say(L::IdProtocol, &[]);
                t.say(L::ProcessingHash, &[&0]);
                t.say(L::AuthStatus, &[]);
                t.say(L::Authenticated, &[&peer]);
                t.say(L::SaDoing, &[]);
                t.say(L::PskIdType, &[]);
                t.say(L::IdPayload, &[]);
                t.say(L::IdAddress, &[&self.ctx.local]);
                t.say(L::IdProtocol, &[]);
                t.say(L::TotalPayload, &[]);
                t.send(peer, "R", Msg::Mm6);
                t.state(
                    ("IKE_MESG_INTERNAL", "IKE_PROCESS_COMPLETE"),
                    "IKE_R_MM5",
                    "IKE_P1_COMPLETE",
                );
                self.state = RState::Up;
                out.push(Out::P1State("QM_IDLE", self.conn));
                if let Some(policy) = self.chosen.clone() {
                    out.push(Out::P1Up {
                        lifetime: self.lifetime,
                        policy,
                    });
                }
            }
            (RState::Up, Msg::Mm5 { .. }) => {
                let mut t = self.talk(&mut out);
                t.say(L::ReceivedPacket, &[&peer, &"R", &"MM_KEY_EXCH"]);
                t.say(L::Duplicate, &[]);
            }
            (RState::Up, Msg::Qm1 { mid, spi, offer }) => self.on_qm1(mid, spi, &offer, &mut out),
            (RState::Up, Msg::Qm3 { mid }) => {
                let mut t = self.talk(&mut out);
                t.say(L::ReceivedPacket, &[&peer, &"R", &"QM_IDLE      "]);
                t.say(L::DeletingNode, &[&mid, &"QM done (await)"]);
                t.node_state(
                    mid,
                    ("IKE_MESG_FROM_PEER", "IKE_QM_EXCH"),
                    "IKE_QM_R_QM2",
                    "IKE_QM_PHASE2_COMPLETE",
                );
                t.ipsec(L::KeyEngineQueue, &[]);
                t.ipsec(L::EnableOutbound, &[]);
            }
            _ => {}
        }
        out
    }

    fn on_mm1(&mut self, offer: &[IsakmpPolicy], out: &mut Vec<Out>) {
        let peer = self.ctx.peer;
        let (peer_ptr, handle, sa_ptr) =
            (self.ids.pointer(), self.ids.pointer(), self.ids.pointer());
        let key = self.ctx.cfg.key_for(peer).is_some();
        let (chosen, checks) = phase1::choose_policy(offer, &self.ctx.cfg, key);
        let mut t = self.talk(out);
        t.say(L::ReceivedPacket, &[&peer, &"N", &"NEW SA"]);
        t.say(L::PeerCreated, &[&peer]);
        t.say(L::NewPeer, &[&peer_ptr, &handle]);
        t.say(L::LockPeer, &[&peer_ptr, &"crypto_isakmp_process_block"]);
        t.say(L::LocalPort, &[]);
        t.say(L::InsertSa, &[&sa_ptr]);
        t.state(
            ("IKE_MESG_FROM_PEER", "IKE_MM_EXCH"),
            "IKE_READY",
            "IKE_R_MM1",
        );
        t.say(L::ProcessingSa, &[&0]);
        t.say(L::ProcessingVendor, &[]);
        t.say(L::VendorNatT, &[]);
        if key {
            t.say(L::FoundKey, &[&peer]);
            t.say(L::LocalKeyFound, &[]);
        }
        t.say(L::ScanXauth, &[]);
        for c in &checks {
            let Some(offered) = offer.get(c.offered_transform.saturating_sub(1)) else {
                continue;
            };
            t.say(
                L::CheckingTransform,
                &[&c.offered_transform, &c.responder_priority],
            );
            p1_attributes(&mut t, offered);
            match c.result {
                CheckResult::Mismatch(m) => {
                    let line = match m.attr {
                        crate::ios::model::Attr::Encryption => L::EncryptionMismatch,
                        crate::ios::model::Attr::Hash => L::HashMismatch,
                        crate::ios::model::Attr::Group => L::GroupMismatch,
                        _ => L::AuthMismatch,
                    };
                    t.say(line, &[]);
                    t.say(L::AttsNotAcceptable, &[]);
                }
                CheckResult::NoPresharedKey => {
                    t.say(L::PresharedNoKey, &[]);
                    t.say(L::AttsNotAcceptable, &[]);
                }
                CheckResult::Accepted => {}
            }
        }
        let Some((offered, local)) = chosen else {
            t.say(L::NoOffers, &[]);
            t.say(L::P1PolicyNotAcceptable, &[&self.ctx.local, &peer]);
            // IOS answers with a notify and drops the half-made SA.
            t.say(L::ErrorCounterFor, &[&1, &"construct_fail_ag_init"]);
            t.send(peer, "R", Msg::Mm1Refused);
            t.say(L::NoParanoid, &[]);
            let reason = "Phase1 SA policy proposal not accepted";
            t.say(L::DeletingSa, &[&reason, &"R", &"MM_NO_STATE", &peer]);
            t.state(
                ("IKE_MESG_INTERNAL", "IKE_PROCESS_ERROR"),
                "IKE_R_MM1",
                "IKE_R_MM1",
            );
            t.say(L::DeletingSa, &[&reason, &"R", &"MM_NO_STATE", &peer]);
            t.say(L::UnlockPeerDeleted, &[&peer_ptr]);
            t.say(L::PeerReap, &[&peer, &peer_ptr]);
            t.state(
                ("IKE_MESG_INTERNAL", "IKE_PHASE1_DEL"),
                "IKE_R_MM1",
                "IKE_DEST_SA",
            );
            return;
        };
        let lifetime = offered.lifetime.min(local.lifetime);
        p1_accepted(&mut t, offered.lifetime, lifetime);
        t.say(L::ProcessingVendor, &[]);
        t.say(L::VendorUnityMismatch, &[]);
        t.say(L::VendorNatT, &[]);
        t.state(
            ("IKE_MESG_INTERNAL", "IKE_PROCESS_MAIN_MODE"),
            "IKE_R_MM1",
            "IKE_R_MM1",
        );
        let mut agreed = offered.clone();
        agreed.lifetime = lifetime;
        t.send(
            peer,
            "R",
            Msg::Mm2 {
                chosen: agreed.clone(),
            },
        );
        t.state(
            ("IKE_MESG_INTERNAL", "IKE_PROCESS_COMPLETE"),
            "IKE_R_MM1",
            "IKE_R_MM2",
        );
        self.chosen = Some(agreed);
        self.lifetime = lifetime;
        self.state = RState::Mm2Sent;
        out.push(Out::P1State("MM_NO_STATE", 0));
        if let Some(agreed) = self.chosen.clone() {
            out.push(Out::P1Proposal(agreed));
        }
    }

    fn on_qm1(&mut self, mid: u32, their_spi: u32, offer: &Phase2Offer, out: &mut Vec<Out>) {
        let peer = self.ctx.peer;
        let local = self.ctx.local;
        let verdict = decide_phase2(&self.ctx.cfg, peer, local, offer);
        let mut t = self.talk(out);
        t.say(L::ReceivedPacket, &[&peer, &"R", &"QM_IDLE      "]);
        t.say(L::SetNewNode, &[&mid]);
        t.say(L::ProcessingHash, &[&mid]);
        t.say(L::ProcessingSa, &[&mid]);
        t.say(L::CheckingProposal, &[]);
        p2_attributes(&mut t, offer);
        t.say(L::AttsAcceptableP2, &[]);
        let format = self.ctx.format;
        let offered_set = offer.transform_sets.first();
        let offered_text = offered_set.map(|s| s.transforms_text()).unwrap_or_default();
        // The proxies from this side: ours is what the peer called remote.
        let mirrored = offer.proxy.mirrored();
        t.ipsec(L::IpsecProposalPart, &[]);
        t.ipsec(
            L::IpsecValidateProposal,
            &[
                &local,
                &peer,
                &proxy(format, &mirrored.local, mirrored.protocol.number()),
                &proxy(format, &mirrored.remote, mirrored.protocol.number()),
                // IOS 15 has not looked at the transform yet; IOS-XE names the offered one.
                &match format {
                    LogFormat::Ios15 => "NONE".to_string(),
                    LogFormat::IosXe => offered_text.clone(),
                },
                &keysize(offered_set),
            ],
        );
        if let P2Verdict::Agreed { map, seq, .. } = &verdict {
            t.ipsec(
                L::MapdbProxyMatch,
                &[
                    &mirrored.local.addr,
                    &mirrored.remote.addr,
                    &mirrored.protocol.number(),
                ],
            );
            t.ipsec(L::MapAccepted, &[map, seq]);
        }
        let error = match &verdict {
            P2Verdict::Agreed { .. } => None,
            P2Verdict::Proxy => {
                t.ipsec(L::IpsecProxyNotSupported, &[]);
                Some(32)
            }
            P2Verdict::Transform => {
                t.ipsec(L::IpsecTransformNotSupported, &[&offered_text]);
                Some(256)
            }
            P2Verdict::Pfs => Some(256),
        };
        if let Some(error) = error {
            let (notify_mid, notify_spi) = (self.ids.mid(), self.ids.draw() >> 1);
            t.say(L::PolicyInvalidated, &[&error]);
            t.say(L::P2NotAcceptable, &[&local, &peer]);
            t.say(L::SetNewNode, &[&notify_mid]);
            t.say(L::SendingNotify, &[&notify_spi, &notify_mid]);
            t.send(
                peer,
                "R",
                Msg::Notify {
                    mid: notify_mid,
                    rejected: mid,
                    spi: notify_spi,
                },
            );
            t.say(L::PurgingNode, &[&notify_mid]);
            t.say(L::DeletingNodeError, &[&mid, &"QM rejected"]);
            t.node_state(
                mid,
                ("IKE_MESG_FROM_PEER", "IKE_QM_EXCH"),
                "IKE_QM_READY",
                "IKE_QM_READY",
            );
            return;
        }
        let P2Verdict::Agreed {
            transform,
            pfs,
            lifetime_seconds,
            lifetime_kilobytes,
            map,
            seq,
        } = verdict
        else {
            return;
        };
        let spi = self.ids.spi();
        t.say(L::ProcessingNonce, &[&mid]);
        t.say(L::ProcessingId, &[&mid]);
        t.say(L::ProcessingId, &[&mid]);
        t.say(L::QmResponderSpi, &[]);
        t.node_state(
            mid,
            ("IKE_MESG_FROM_PEER", "IKE_QM_EXCH"),
            "IKE_QM_READY",
            "IKE_QM_SPI_STARVE",
        );
        t.node_state(
            mid,
            ("IKE_MESG_INTERNAL", "IKE_GOT_SPI"),
            "IKE_QM_SPI_STARVE",
            "IKE_QM_IPSEC_INSTALL_AWAIT",
        );
        let pointer = self.ids.pointer();
        create_sas(
            &mut t,
            &Sas {
                local,
                peer,
                in_spi: spi,
                out_spi: their_spi,
                conn: self.conn + 1000,
                transform: &transform,
                kilobytes: lifetime_kilobytes,
                seconds: lifetime_seconds,
                local_proxy: &mirrored.local,
                remote_proxy: &mirrored.remote,
                map: &map,
                seq,
            },
            &pointer[4..],
        );
        Talk {
            format,
            sa: 0,
            out: t.out,
        }
        .say(L::PeerIndexNode, &[]);
        let mut t = self.talk(out);
        t.say(L::InstallCallback, &[]);
        // IOS names the SA it will receive on: its own SPI.
        t.say(L::Installed, &[&format!("{spi:08X}"), &self.ctx.interface]);
        t.send(
            peer,
            "R",
            Msg::Qm2 {
                mid,
                spi,
                lifetime: lifetime_seconds,
            },
        );
        t.node_state(
            mid,
            ("IKE_MESG_FROM_IPSEC", "IPSEC_INSTALL_DONE"),
            "IKE_QM_IPSEC_INSTALL_AWAIT",
            "IKE_QM_R_QM2",
        );
        out.push(Out::Installed(Install {
            in_spi: spi,
            out_spi: their_spi,
            local: mirrored.local,
            remote: mirrored.remote,
            transform,
            pfs,
            lifetime_seconds,
            lifetime_kilobytes,
            map,
            seq,
            interface: self.ctx.interface.clone(),
            ike: IkeVersion::V1,
        }));
    }
}

/// The responder's quick mode verdict, step by step through `crate::ios::phase2`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum P2Verdict {
    Proxy,
    Transform,
    Pfs,
    Agreed {
        transform: String,
        pfs: Option<u8>,
        lifetime_seconds: u32,
        lifetime_kilobytes: u64,
        map: String,
        seq: u32,
    },
}

fn decide_phase2(
    cfg: &RunningConfig,
    init_addr: Ipv4Addr,
    resp_addr: Ipv4Addr,
    offer: &Phase2Offer,
) -> P2Verdict {
    // The crypto map entries for the peer, or the tunnel between the two addresses: the
    // child SA step of `crate::ios` decides for both, with quick mode's rule that PFS is
    // checked at once.
    let child = ChildOffer {
        source: ChildSource::CryptoMap {
            map: offer.map.clone(),
            seq: offer.seq,
            line: 0,
        },
        selectors: offer.proxy.clone(),
        transform_sets: offer.transform_sets.clone(),
        pfs: offer.pfs,
        lifetime_seconds: offer.lifetime_seconds,
        lifetime_kilobytes: offer.lifetime_kilobytes,
    };
    match child_sa(IkeVersion::V1, child, init_addr, cfg, resp_addr) {
        ChildOutcome::Agreed(a) => {
            let (map, seq) = match &a.responder.source {
                ChildSource::CryptoMap { map, seq, .. } => (map.clone(), *seq),
                ChildSource::Vti { interface, .. } => vti_map(interface),
            };
            P2Verdict::Agreed {
                transform: a.responder_transform.transforms_text(),
                pfs: a.pfs.map(|g| g.0),
                lifetime_seconds: a.lifetime_seconds,
                lifetime_kilobytes: a.lifetime_kilobytes,
                map,
                seq,
            }
        }
        ChildOutcome::TransformMismatch { .. } => P2Verdict::Transform,
        ChildOutcome::PfsMismatch { .. } => P2Verdict::Pfs,
        ChildOutcome::NoOffer { .. }
        | ChildOutcome::NoResponderPolicy { .. }
        | ChildOutcome::TsUnacceptable { .. } => P2Verdict::Proxy,
    }
}

/// The crypto map IOS builds for a protected tunnel and the sequence number of its peer's
/// instance (`Tunnel0-head-0`, 65537), as `show crypto ipsec sa` and the key engine name it.
pub fn vti_map(interface: &str) -> (String, u32) {
    (format!("{interface}-head-0"), VTI_MAP_SEQ)
}

/// The sequence number of the crypto map instance IOS makes for a tunnel's peer.
pub const VTI_MAP_SEQ: u32 = 65_537;

/// What quick mode offers for a protected tunnel: its selectors (any/any for an IPsec VTI)
/// as a one-entry ACL, as the crypto map instance IOS makes for the tunnel lists them, with
/// the IPsec profile's transform sets, PFS and lifetimes.
pub fn vti_phase2_offer(cfg: &RunningConfig, interface: &str) -> Option<Phase2Offer> {
    use crate::ios::acl::{AccessList, AclEntry, AclKind, Action};
    let offer = crate::ios::child_sa::vti_offer(cfg, interface).ok()?;
    let (map, seq) = vti_map(interface);
    let entry = AclEntry {
        action: Action::Permit,
        protocol: offer.selectors.protocol,
        src: offer.selectors.local,
        src_port: offer.selectors.local_port.clone(),
        dst: offer.selectors.remote,
        dst_port: offer.selectors.remote_port.clone(),
        extra: Vec::new(),
        line: 0,
    };
    Some(Phase2Offer {
        acl: AccessList {
            name: map.clone(),
            kind: AclKind::Extended,
            entries: vec![entry.clone()],
            line: 0,
        },
        map,
        seq,
        acl_entry: entry,
        proxy: offer.selectors,
        transform_sets: offer.transform_sets,
        pfs: offer.pfs,
        lifetime_seconds: offer.lifetime_seconds,
        lifetime_kilobytes: offer.lifetime_kilobytes,
    })
}

/// Quick mode's offer for the traffic `trigger` (source, destination) from `local` to `peer`:
/// the crypto map entry it matches, else the protected tunnel between the two addresses.
pub fn quick_mode_offer(
    cfg: &RunningConfig,
    trigger: (Ipv4Addr, Ipv4Addr),
    local: Ipv4Addr,
    peer: Ipv4Addr,
) -> Option<Phase2Offer> {
    let packet =
        crate::ios::acl::Packet::new(crate::ios::acl::Protocol::Icmp, trigger.0, trigger.1);
    crate::ios::phase2::initiator_offer(cfg, &packet, peer)
        .ok()
        .or_else(|| {
            let (i, _) = cfg.tunnel_between(local, peer)?;
            vti_phase2_offer(cfg, &i.name)
        })
}
