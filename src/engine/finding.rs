//! Findings: the engine's verdicts, and the stable contract other tools read.
//!
//! The codes and the JSON shape are promised in DESIGN.md ("Contracts"); renaming a variant
//! here breaks monitoring systems downstream, so the serde names are spelled out.

pub use crate::ios::tunnel::IkeVersion;
use serde::{Deserialize, Serialize, Serializer};
use std::fmt;

/// A stable finding code (JSON `findings[].code`; playbooks' `when:` name them too).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Code {
    #[serde(rename = "P1_NO_RESPONSE")]
    P1NoResponse,
    #[serde(rename = "P1_AUTH_METHOD_MISMATCH")]
    P1AuthMethodMismatch,
    #[serde(rename = "P1_ENCRYPTION_MISMATCH")]
    P1EncryptionMismatch,
    #[serde(rename = "P1_HASH_MISMATCH")]
    P1HashMismatch,
    #[serde(rename = "P1_DH_GROUP_MISMATCH")]
    P1DhGroupMismatch,
    #[serde(rename = "P1_LIFETIME_MISMATCH")]
    P1LifetimeMismatch,
    #[serde(rename = "P1_NO_PROPOSAL_CHOSEN")]
    P1NoProposalChosen,
    #[serde(rename = "P1_PSK_MISSING")]
    P1PskMissing,
    #[serde(rename = "P1_PSK_MISMATCH")]
    P1PskMismatch,
    /// IKEv2: no IKEv2 profile of the responder matches the identity the initiator sent, or the
    /// identity a router received is not the one its profile expects.
    #[serde(rename = "IKEV2_IDENTITY_MISMATCH")]
    Ikev2IdentityMismatch,
    /// IKEv2: the method one router authenticates with (`authentication local`) is not one the
    /// other accepts from it (`authentication remote`). Each direction is checked on its own.
    #[serde(rename = "IKEV2_AUTH_METHOD_MISMATCH")]
    Ikev2AuthMethodMismatch,
    #[serde(rename = "P2_TRANSFORM_MISMATCH")]
    P2TransformMismatch,
    #[serde(rename = "P2_PROXY_ID_MISMATCH")]
    P2ProxyIdMismatch,
    #[serde(rename = "P2_PFS_MISMATCH")]
    P2PfsMismatch,
    #[serde(rename = "P2_POLICY_REJECTED")]
    P2PolicyRejected,
    #[serde(rename = "PEER_SILENT")]
    PeerSilent,
    #[serde(rename = "NO_INTERESTING_TRAFFIC")]
    NoInterestingTraffic,
    #[serde(rename = "ONE_WAY_TRAFFIC")]
    OneWayTraffic,
    #[serde(rename = "TUNNEL_UP")]
    TunnelUp,
}

impl Code {
    pub const ALL: [Code; 19] = [
        Code::P1NoResponse,
        Code::P1AuthMethodMismatch,
        Code::P1EncryptionMismatch,
        Code::P1HashMismatch,
        Code::P1DhGroupMismatch,
        Code::P1LifetimeMismatch,
        Code::P1NoProposalChosen,
        Code::P1PskMissing,
        Code::P1PskMismatch,
        Code::Ikev2IdentityMismatch,
        Code::Ikev2AuthMethodMismatch,
        Code::P2TransformMismatch,
        Code::P2ProxyIdMismatch,
        Code::P2PfsMismatch,
        Code::P2PolicyRejected,
        Code::PeerSilent,
        Code::NoInterestingTraffic,
        Code::OneWayTraffic,
        Code::TunnelUp,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Code::P1NoResponse => "P1_NO_RESPONSE",
            Code::P1AuthMethodMismatch => "P1_AUTH_METHOD_MISMATCH",
            Code::P1EncryptionMismatch => "P1_ENCRYPTION_MISMATCH",
            Code::P1HashMismatch => "P1_HASH_MISMATCH",
            Code::P1DhGroupMismatch => "P1_DH_GROUP_MISMATCH",
            Code::P1LifetimeMismatch => "P1_LIFETIME_MISMATCH",
            Code::P1NoProposalChosen => "P1_NO_PROPOSAL_CHOSEN",
            Code::P1PskMissing => "P1_PSK_MISSING",
            Code::P1PskMismatch => "P1_PSK_MISMATCH",
            Code::Ikev2IdentityMismatch => "IKEV2_IDENTITY_MISMATCH",
            Code::Ikev2AuthMethodMismatch => "IKEV2_AUTH_METHOD_MISMATCH",
            Code::P2TransformMismatch => "P2_TRANSFORM_MISMATCH",
            Code::P2ProxyIdMismatch => "P2_PROXY_ID_MISMATCH",
            Code::P2PfsMismatch => "P2_PFS_MISMATCH",
            Code::P2PolicyRejected => "P2_POLICY_REJECTED",
            Code::PeerSilent => "PEER_SILENT",
            Code::NoInterestingTraffic => "NO_INTERESTING_TRAFFIC",
            Code::OneWayTraffic => "ONE_WAY_TRAFFIC",
            Code::TunnelUp => "TUNNEL_UP",
        }
    }

    /// The severity a finding of this code carries unless a rule says otherwise.
    pub fn default_severity(self) -> Severity {
        match self {
            Code::TunnelUp => Severity::Ok,
            Code::P1LifetimeMismatch | Code::OneWayTraffic => Severity::Warning,
            _ => Severity::Critical,
        }
    }

    /// The IKE phase the code belongs to, for grouping in reports.
    pub fn phase(self) -> Option<Phase> {
        match self {
            Code::P1NoResponse
            | Code::P1AuthMethodMismatch
            | Code::P1EncryptionMismatch
            | Code::P1HashMismatch
            | Code::P1DhGroupMismatch
            | Code::P1LifetimeMismatch
            | Code::P1NoProposalChosen
            | Code::P1PskMissing
            | Code::P1PskMismatch
            | Code::Ikev2IdentityMismatch
            | Code::Ikev2AuthMethodMismatch
            | Code::PeerSilent => Some(Phase::One),
            Code::P2TransformMismatch
            | Code::P2ProxyIdMismatch
            | Code::P2PfsMismatch
            | Code::P2PolicyRejected => Some(Phase::Two),
            Code::NoInterestingTraffic | Code::OneWayTraffic | Code::TunnelUp => None,
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Nagios-style severity; the order is the order of badness.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Ok,
    Warning,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Ok => "ok",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Phase {
    #[serde(rename = "1")]
    One,
    #[serde(rename = "2")]
    Two,
}

/// How sure the engine is: `high` when the routers named the cause themselves or both
/// configs prove it, `medium` when it is inferred from one side, `low` when the evidence is
/// thin or disagrees (the summary then says so).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    Low,
    Medium,
    High,
}

/// The cause a finding names (JSON `cause`): for `PEER_SILENT`, the reachability check that
/// failed (DESIGN.md); for `P1_PSK_MISMATCH`, `asymmetric_keys_swapped` when both routers wrote
/// their IKEv2 `pre-shared-key local` and `remote` the same way round, which only the fix tells
/// apart from two different keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SilenceCause {
    NoRoute,
    InterfaceDown,
    PeerAddressMismatch,
    CryptoMapNotApplied,
    IsakmpDisabled,
    IkeBlocked,
    Unreachable,
    Unknown,
    AsymmetricKeysSwapped,
}

impl SilenceCause {
    pub fn as_str(self) -> &'static str {
        match self {
            SilenceCause::NoRoute => "no_route",
            SilenceCause::InterfaceDown => "interface_down",
            SilenceCause::PeerAddressMismatch => "peer_address_mismatch",
            SilenceCause::CryptoMapNotApplied => "crypto_map_not_applied",
            SilenceCause::IsakmpDisabled => "isakmp_disabled",
            SilenceCause::IkeBlocked => "ike_blocked",
            SilenceCause::Unreachable => "unreachable",
            SilenceCause::Unknown => "unknown",
            SilenceCause::AsymmetricKeysSwapped => "asymmetric_keys_swapped",
        }
    }
}

/// One line a router printed, cited as proof.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    pub peer: String,
    /// Where the line came from: a file name, a command (`show crypto isakmp sa`) or `debug`.
    pub source: String,
    /// 1-based line number within `source`.
    pub line: usize,
    pub text: String,
}

/// Configuration to apply on one router.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fix {
    pub peer: String,
    /// IOS commands in the order they are typed from `configure terminal`.
    pub commands: Vec<String>,
}

/// `1` or `2` in JSON: the version as engineers write it (`"ike_version": 2`).
fn version_number<S: Serializer>(v: &IkeVersion, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u8(match v {
        IkeVersion::V1 => 1,
        IkeVersion::V2 => 2,
    })
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub code: Code,
    pub severity: Severity,
    /// The router the finding is about (the one whose config needs the fix, or that logged it).
    pub peer: String,
    pub phase: Option<Phase>,
    /// The IKE version of the negotiation the finding is about: the one its evidence speaks
    /// (`ISAKMP` lines are IKEv1, `IKEv2` lines IKEv2) or the configuration of the tunnel.
    #[serde(serialize_with = "version_number")]
    pub ike_version: IkeVersion,
    /// The far end's address, when a line of the capture or a configuration names it;
    /// absent when the evidence does not say (a fragment without addresses).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remote: Option<String>,
    pub summary: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cause: Option<SilenceCause>,
    pub evidence: Vec<Evidence>,
    pub fix: Vec<Fix>,
    pub confidence: Confidence,
    /// Only the peer's refusal was seen (an IKEv2 error notify received): the peer's own lines,
    /// when captured, name the cause, and this finding becomes evidence for it.
    #[serde(skip)]
    pub refused_by_peer: bool,
}

impl Finding {
    pub fn new(code: Code, peer: impl Into<String>, summary: impl Into<String>) -> Finding {
        Finding {
            code,
            severity: code.default_severity(),
            peer: peer.into(),
            phase: code.phase(),
            ike_version: IkeVersion::V1,
            remote: None,
            summary: summary.into(),
            cause: None,
            evidence: Vec::new(),
            fix: Vec::new(),
            confidence: Confidence::High,
            refused_by_peer: false,
        }
    }

    pub fn confidence(mut self, c: Confidence) -> Finding {
        self.confidence = c;
        self
    }

    pub fn evidence(mut self, e: impl IntoIterator<Item = Evidence>) -> Finding {
        self.evidence.extend(e);
        self
    }

    pub fn fix(mut self, peer: impl Into<String>, commands: Vec<String>) -> Finding {
        if !commands.is_empty() {
            self.fix.push(Fix {
                peer: peer.into(),
                commands,
            });
        }
        self
    }

    /// Sets the far end's address; `None` keeps one already known.
    pub fn remote(mut self, remote: Option<String>) -> Finding {
        if remote.is_some() {
            self.remote = remote;
        }
        self
    }

    pub fn cause(mut self, cause: SilenceCause) -> Finding {
        self.cause = Some(cause);
        self
    }

    pub fn ike(mut self, version: IkeVersion) -> Finding {
        self.ike_version = version;
        self
    }
}

/// The overall state of one analysed tunnel (or capture set).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Healthy,
    Degraded,
    Down,
    Unknown,
}

impl Verdict {
    /// The Nagios exit code of the contract.
    pub fn exit_code(self) -> i32 {
        match self {
            Verdict::Healthy => 0,
            Verdict::Degraded => 1,
            Verdict::Down => 2,
            Verdict::Unknown => 3,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Healthy => "healthy",
            Verdict::Degraded => "degraded",
            Verdict::Down => "down",
            Verdict::Unknown => "unknown",
        }
    }

    /// The verdict a set of findings supports. No finding at all is `Unknown`, not healthy:
    /// silence proves nothing about a tunnel.
    pub fn from_findings(findings: &[Finding]) -> Verdict {
        match findings.iter().map(|f| f.severity).max() {
            None => Verdict::Unknown,
            Some(Severity::Critical) => Verdict::Down,
            Some(Severity::Warning) => Verdict::Degraded,
            Some(Severity::Ok) => Verdict::Healthy,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_serialize_to_contract_names() {
        for code in Code::ALL {
            let json = serde_json::to_string(&code).expect("code serializes");
            assert_eq!(json, format!("\"{}\"", code.as_str()));
        }
    }

    #[test]
    fn ike_version_is_a_number() {
        let f = Finding::new(Code::P1PskMismatch, "R1", "keys").ike(IkeVersion::V2);
        let json = serde_json::to_value(&f).expect("finding serializes");
        assert_eq!(json["ike_version"], 2);
        let v1 = serde_json::to_value(Finding::new(Code::TunnelUp, "R1", "up")).unwrap();
        assert_eq!(v1["ike_version"], 1);
    }

    #[test]
    fn verdict_follows_worst_severity() {
        let up = Finding::new(Code::TunnelUp, "R1", "up");
        let warn = Finding::new(Code::P1LifetimeMismatch, "R1", "life");
        let down = Finding::new(Code::P1PskMismatch, "R1", "psk");
        assert_eq!(Verdict::from_findings(&[]), Verdict::Unknown);
        assert_eq!(
            Verdict::from_findings(std::slice::from_ref(&up)),
            Verdict::Healthy
        );
        assert_eq!(
            Verdict::from_findings(&[up.clone(), warn.clone()]),
            Verdict::Degraded
        );
        assert_eq!(Verdict::from_findings(&[up, warn, down]), Verdict::Down);
        assert_eq!(Verdict::Down.exit_code(), 2);
    }
}
