//! Writing one step's lines: the line table in the SA's ids, and the multi-line blocks IOS
//! prints for a packet, a proposal and the policy lists of a refusal.

use super::msg::{Chosen, Out2};
use super::names;
use super::say::{V, ike_spi, render};
use super::state::Ctx2;
use crate::ios::ikev2::Ikev2Proposal;
use crate::ios::model::{DhGroup, TransformSet};
use std::fmt::Display;

/// The payloads an IKE_SA_INIT request or answer carries.
pub const SA_INIT_PAYLOADS: &str =
    "SA KE N VID VID VID VID NOTIFY(NAT_DETECTION_SOURCE_IP) NOTIFY(NAT_DETECTION_DESTINATION_IP)";
/// What an encrypted message shows when sent: IOS lists the inner payloads while building it.
pub const ENCRYPTED: &str = "ENCR";
pub const AUTH_REQUEST_PAYLOADS: &str = "VID IDi AUTH SA TSi TSr NOTIFY(INITIAL_CONTACT) NOTIFY(SET_WINDOW_SIZE) NOTIFY(ESP_TFC_NO_SUPPORT) NOTIFY(NON_FIRST_FRAGS)";
pub const AUTH_RESPONSE_PAYLOADS: &str = "VID IDr AUTH SA TSi TSr NOTIFY(SET_WINDOW_SIZE) NOTIFY(ESP_TFC_NO_SUPPORT) NOTIFY(NON_FIRST_FRAGS)";

/// The four exchanges, as the packet lines name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exchange {
    SaInit,
    Auth,
    CreateChild,
    Informational,
}

impl Exchange {
    pub fn name(self) -> &'static str {
        match self {
            Exchange::SaInit => "IKE_SA_INIT",
            Exchange::Auth => "IKE_AUTH",
            Exchange::CreateChild => "CREATE_CHILD_SA",
            Exchange::Informational => "INFORMATIONAL",
        }
    }
}

/// A packet's header as both ends print it.
#[derive(Debug, Clone, Copy)]
pub struct Header<'a> {
    pub exchange: Exchange,
    pub request: bool,
    pub ispi: u64,
    pub rspi: u64,
    pub mid: u32,
    pub payloads: &'a str,
}

pub struct Talk2<'a> {
    pub session: u32,
    pub sa: u32,
    pub out: &'a mut Vec<Out2>,
}

impl<'a> Talk2<'a> {
    pub fn new(ctx: &Ctx2, out: &'a mut Vec<Out2>) -> Talk2<'a> {
        Talk2 {
            session: ctx.session,
            sa: 1,
            out,
        }
    }

    pub fn say(&mut self, line: V, args: &[&dyn Display]) {
        if let Some(text) = render(self.session, self.sa, line, args) {
            self.out.push(Out2::Debug(text));
        }
    }

    pub fn syslog(&mut self, line: V, args: &[&dyn Display]) {
        if let Some(text) = render(self.session, self.sa, line, args) {
            self.out.push(Out2::Syslog(text));
        }
    }

    fn packet(&mut self, line: V, a: &dyn Display, b: &dyn Display, h: Header<'_>) {
        let kind = if h.request { "REQUEST" } else { "RESPONSE" };
        self.say(
            line,
            &[
                a,
                b,
                &ike_spi(h.ispi),
                &ike_spi(h.rspi),
                &h.mid,
                &h.exchange.name(),
                &kind,
                &h.payloads,
            ],
        );
    }

    /// `Sending Packet [To …/From …]` and the header, exchange and payload lines.
    pub fn sending(&mut self, ctx: &Ctx2, h: Header<'_>) {
        self.packet(V::SendingPacket, &ctx.peer, &ctx.local, h);
    }

    pub fn received(&mut self, ctx: &Ctx2, h: Header<'_>) {
        self.packet(V::ReceivedPacket, &ctx.peer, &ctx.local, h);
    }

    /// `IKE Proposal: N …` for each proposal of an offer, transforms in IOS's order:
    /// ciphers, PRFs, integrity (none with GCM), DH groups.
    pub fn ike_proposals(&mut self, offer: &[Ikev2Proposal]) {
        for (i, p) in offer.iter().enumerate() {
            let mut t: Vec<String> = p
                .encryption
                .iter()
                .map(|c| names::cipher(*c).to_string())
                .collect();
            t.extend(p.prfs().iter().map(|h| names::prf(*h).to_string()));
            if !p.is_aead() {
                t.extend(p.integrity.iter().map(|h| names::integrity(*h).to_string()));
            }
            t.extend(p.groups.iter().map(|g| names::group(*g)));
            self.say(V::IkeProposal, &[&(i + 1), &t.len(), &transforms_line(&t)]);
        }
    }

    /// The one proposal a responder answers with.
    pub fn chosen_proposal(&mut self, c: &Chosen) {
        let mut t = vec![
            names::cipher(c.encryption).to_string(),
            names::prf(c.prf).to_string(),
        ];
        if let Some(i) = c.integrity {
            t.push(names::integrity(i).to_string());
        }
        t.push(names::group(c.group));
        self.say(V::IkeProposal, &[&1, &t.len(), &transforms_line(&t)]);
    }

    /// `ESP Proposal: N …` for each transform set offered (or the one chosen).
    pub fn esp_proposals(&mut self, sets: &[TransformSet], pfs: Option<DhGroup>) {
        for (i, set) in sets.iter().enumerate() {
            let t = names::esp_transforms(set, pfs);
            self.say(V::EspProposal, &[&(i + 1), &t.len(), &transforms_line(&t)]);
        }
    }

    /// `Received Policies:` (what the peer offered) and `Expected Policies:` (what this
    /// router accepts), each followed by the refusal, as IOS prints a proposal mismatch.
    pub fn policy_lists(&mut self, received: &[String], expected: &[String], esp: bool) {
        let line = if esp { V::EspPolicyLine } else { V::PolicyLine };
        self.say(V::ReceivedPolicies, &[]);
        for (i, p) in received.iter().enumerate() {
            self.say(line, &[&(i + 1), p]);
        }
        self.say(V::NoMatchingPolicy, &[]);
        self.say(V::ExpectedPolicies, &[]);
        for (i, p) in expected.iter().enumerate() {
            self.say(line, &[&(i + 1), p]);
        }
        self.say(V::NoMatchingPolicy, &[]);
    }

    /// The crypto engine's Diffie-Hellman work: the public value, then (once the peer's is
    /// known) the shared secret and the keys.
    pub fn dh_public(&mut self, group: DhGroup) {
        self.say(V::ComputeDhPublic, &[&group]);
        self.say(V::DhPassed, &[]);
        self.say(V::DhQueued, &[]);
    }

    pub fn dh_secret(&mut self, group: DhGroup) {
        self.say(V::ComputeDhSecret, &[&group]);
        self.say(V::DhPassed, &[]);
        self.say(V::DhSecretQueued, &[]);
        self.say(V::Skeyseed, &[]);
        self.say(V::SkeyseedPassed, &[]);
    }
}

/// `   AES-CBC   SHA256 …`: each transform after three blanks (and a blank before the end
/// of an IKE proposal's line).
fn transforms_line(t: &[String]) -> String {
    t.iter().map(|x| format!("   {x}")).collect::<String>()
}

/// A proposal as the policy lists of a refusal print it: `AES-CBC-256 SHA256 SHA256
/// DH_GROUP_2048_MODP/Group 14` (cipher, PRF, integrity, group), one line per combination.
pub fn policy_words(p: &Ikev2Proposal) -> Vec<String> {
    let mut out = Vec::new();
    for c in &p.encryption {
        for prf in p.prfs() {
            let integrities: Vec<Option<&str>> = if p.is_aead() {
                vec![None]
            } else {
                p.integrity
                    .iter()
                    .map(|i| Some(names::integrity(*i)))
                    .collect()
            };
            for i in &integrities {
                for g in &p.groups {
                    let mut words =
                        vec![names::cipher_long(*c).to_string(), names::prf(*prf).into()];
                    if let Some(i) = i {
                        words.push((*i).to_string());
                    }
                    words.push(names::group(*g));
                    out.push(words.join(" "));
                }
            }
        }
    }
    out
}

/// An ESP proposal in the policy lists, key size included so a 128/256 difference shows:
/// `AES-CBC-256 SHA256 Don't use ESN`.
pub fn esp_policy_words(set: &TransformSet, pfs: Option<DhGroup>) -> String {
    let mut words = names::esp_transforms(set, pfs);
    if let (Some(first), Some(size)) = (words.first_mut(), names::esp_keysize(set)) {
        *first = format!("{first}-{size}");
    }
    words.join(" ")
}
