//! `show crypto ikev2 sa|session [detailed]`, `show crypto ikev2 proposal|policy|profile` and
//! `show crypto ipsec profile`, in IOS-XE's layout.
//!
//! Layouts follow genie's samples in `tests/corpus/show` (`ShowCryptoIkev2Sa`, `…SaDetail`,
//! `…Session` (the csr8kv forms), `…Proposal`, `…Policy`, `ShowCryptoIpsecSa`'s IPsec profile
//! samples), the IOS-XE 17 header of `show crypto ikev2 sa` (`IPv4 Crypto IKEv2  SA`, two
//! blanks) from a published Catalyst 8000v output, and for `show crypto ikev2 profile` a
//! published IOS-XE SD-WAN router transcript. Lists are in name order, as those samples are.

use super::names;
use super::state::{IkeSa, IkeStatus};
use crate::ios::Wildcard;
use crate::ios::child_sa::profile_lifetimes;
use crate::ios::ikev2::{Fvrf, IdentityMatch, Ikev2Profile, Ikev2Proposal};
use crate::ios::model::RunningConfig;
use crate::ios::smart_defaults;
use crate::lab::clock::LabTime;
use crate::lab::ike::net::P2Sa;
use std::net::Ipv4Addr;

fn active_secs(sa: &IkeSa, now: LabTime) -> u64 {
    now.unix_ms.saturating_sub(sa.since.unix_ms) / 1000
}

/// The row and the algorithm lines of one SA, as `show crypto ikev2 sa` and `session` print
/// them.
fn sa_block(out: &mut Vec<String>, sa: &IkeSa, now: LabTime) {
    out.push(format!(
        "{:<10}{:<22}{:<22}{:<21}{}  ",
        sa.tunnel_id,
        format!("{}/500", sa.local),
        format!("{}/500", sa.remote),
        "none/none",
        sa.status.word()
    ));
    let auth = |m: Option<crate::ios::ikev2::Ikev2Auth>| m.map_or("Unknown - 0", names::method);
    let algs = match sa.chosen {
        Some(c) => format!(
            "Encr: {}, keysize: {}, PRF: {}, Hash: {}, DH Grp:{}",
            names::cipher(c.encryption),
            names::keysize(c.encryption),
            names::prf(c.prf),
            c.integrity.map_or("None", names::integrity),
            c.group
        ),
        None => "Encr: Unknown - 0, keysize: 0, PRF: Unknown - 0, Hash: None, DH Grp:0".to_string(),
    };
    out.push(format!(
        "      {algs}, Auth sign: {}, Auth verify: {}",
        auth(sa.auth_sign),
        auth(sa.auth_verify)
    ));
    let lifetime = if sa.lifetime == 0 {
        crate::ios::ikev2::DEFAULT_IKEV2_LIFETIME
    } else {
        sa.lifetime
    };
    out.push(format!(
        "      Life/Active Time: {lifetime}/{} sec",
        active_secs(sa, now)
    ));
}

/// The lines `detailed` adds after the lifetime.
fn sa_detail(out: &mut Vec<String>, sa: &IkeSa) {
    let id = |i: &Option<crate::ios::ikev2::Ikev2Id>| {
        i.as_ref().map_or("none".to_string(), names::identity_value)
    };
    let description = match sa.status {
        IkeStatus::Ready => "Negotiation done",
        IkeStatus::InNeg if sa.initiator => "Initiator waiting for response",
        IkeStatus::InNeg => "Responder waiting for AUTH message",
        IkeStatus::Delete => "Deleting IKE SA",
    };
    let (dpd_i, dpd_r) = sa.dpd.unwrap_or((0, 0));
    out.extend([
        format!("      CE id: 0, Session-id: {}", sa.session_id),
        format!("      Status Description: {description}"),
        format!(
            "      Local spi: {:016X}       Remote spi: {:016X}",
            if sa.initiator { sa.ispi } else { sa.rspi },
            if sa.initiator { sa.rspi } else { sa.ispi }
        ),
        format!("      Local id: {}", id(&sa.local_id)),
        format!("      Remote id: {}", id(&sa.remote_id)),
        format!(
            "      Local req msg id:  {:<15}Remote req msg id:  {:<10}",
            sa.local_mid, sa.remote_mid
        ),
        format!(
            "      Local next msg id: {:<15}Remote next msg id: {:<10}",
            sa.local_mid, sa.remote_mid
        ),
        format!(
            "      Local req queued:  {:<15}Remote req queued:  {:<10}",
            sa.local_mid, sa.remote_mid
        ),
        format!(
            "      Local window:      {:<15}Remote window:      {:<10}",
            5, 5
        ),
        format!("      DPD configured for {dpd_i} seconds, retry {dpd_r}"),
        "      Fragmentation not  configured.".to_string(),
        "      Dynamic Route Update: enabled".to_string(),
        "      Extended Authentication not configured.".to_string(),
        "      NAT-T is not detected  ".to_string(),
        "      Cisco Trust Security SGT is disabled".to_string(),
        format!(
            "      Initiator of SA : {}",
            if sa.initiator { "Yes" } else { "No" }
        ),
    ]);
}

/// `show crypto ikev2 sa [detailed]`
pub fn ikev2_sa(sas: &[&IkeSa], now: LabTime, detail: bool) -> Vec<String> {
    let mut out = vec![" IPv4 Crypto IKEv2  SA ".to_string(), String::new()];
    for sa in sas {
        out.push(TABLE_HEAD.to_string());
        sa_block(&mut out, sa, now);
        if detail {
            sa_detail(&mut out, sa);
        }
        out.push(String::new());
    }
    out.push(" IPv6 Crypto IKEv2  SA ".to_string());
    out.push(String::new());
    out
}

const TABLE_HEAD: &str =
    "Tunnel-id Local                 Remote                fvrf/ivrf            Status ";

/// A selector as the session view prints it: `192.168.101.0/0 - 192.168.101.255/65535`.
fn selector(w: &Wildcard) -> String {
    let first = u32::from(w.addr) & !u32::from(w.wildcard);
    let last = first | u32::from(w.wildcard);
    format!(
        "{}/0 - {}/65535",
        Ipv4Addr::from(first),
        Ipv4Addr::from(last)
    )
}

/// `show crypto ikev2 session [detailed]`: one session per IKE SA, with its child SAs.
pub fn ikev2_session(
    sas: &[&IkeSa],
    children: &[&P2Sa],
    now: LabTime,
    detail: bool,
) -> Vec<String> {
    let mut out = vec![" IPv4 Crypto IKEv2 Session ".to_string(), String::new()];
    for sa in sas {
        let mine: Vec<&&P2Sa> = children
            .iter()
            .filter(|c| c.peer == sa.remote && c.sa.ike == crate::ios::tunnel::IkeVersion::V2)
            .collect();
        let status = match (sa.status, mine.is_empty()) {
            (IkeStatus::Ready, false) => "UP-ACTIVE",
            (IkeStatus::Ready, true) => "UP-IDLE",
            (IkeStatus::InNeg, _) => "DOWN-NEGOTIATING",
            (IkeStatus::Delete, _) => "DOWN",
        };
        out.push(format!(
            "Session-id:{}, Status:{status}, IKE count:1, CHILD count:{}",
            sa.session_id,
            mine.len()
        ));
        out.push(String::new());
        out.push(TABLE_HEAD.to_string());
        sa_block(&mut out, sa, now);
        if detail {
            sa_detail(&mut out, sa);
        }
        out.push(String::new());
        for c in mine {
            out.push("Child sa:".to_string());
            out.push("          local selector       ->      remote selector".to_string());
            out.push(format!(
                "          {}    ->    {}",
                selector(&c.sa.local),
                selector(&c.sa.remote)
            ));
            out.push(format!(
                "          ESP spi in/out: 0x{:X}/0x{:X}  ",
                c.sa.in_spi, c.sa.out_spi
            ));
            if detail {
                out.push("          AH spi in/out: 0x0/0x0  ".to_string());
                out.push("          CPI in/out: 0x0/0x0  ".to_string());
                // The SA keeps its transforms as IOS words; the IOS model's own parser reads
                // them back.
                let set = crate::ios::parse(&format!(
                    "crypto ipsec transform-set T {}\n",
                    c.sa.transform
                ))
                .config
                .transform_sets
                .into_iter()
                .next();
                if let Some(set) = set {
                    out.push(format!("          {}", names::esp_summary(&set)));
                }
                out.push("          ah_hmac: None, comp: IPCOMP_NONE, mode tunnel".to_string());
            }
            out.push(String::new());
        }
    }
    out.push(" IPv6 Crypto IKEv2 Session ".to_string());
    out.push(String::new());
    out
}

/// The proposals a router has, the smart default one included unless removed, by name.
fn all_proposals(cfg: &RunningConfig) -> Vec<Ikev2Proposal> {
    let mut v = cfg.ikev2.proposals.clone();
    if !v.iter().any(|p| p.name == smart_defaults::DEFAULT)
        && let Some(d) = cfg.ikev2_proposal(smart_defaults::DEFAULT)
    {
        v.push(d);
    }
    v.sort_by(|a, b| a.name.cmp(&b.name));
    v
}

fn words<T>(v: &[T], f: impl Fn(&T) -> String) -> String {
    v.iter().map(f).collect::<Vec<_>>().join(" ")
}

/// `show crypto ikev2 proposal`
pub fn proposals(cfg: &RunningConfig) -> Vec<String> {
    let mut out = Vec::new();
    for p in all_proposals(cfg) {
        out.push(format!("IKEv2 proposal: {}", p.name));
        out.push(format!(
            "     Encryption : {}",
            words(&p.encryption, |c| names::cipher_long(*c).to_string())
        ));
        if !p.is_aead() {
            out.push(format!(
                "     Integrity  : {}",
                words(&p.integrity, |h| names::integrity(*h).to_string())
            ));
        }
        out.push(format!(
            "     PRF        : {}",
            words(p.prfs(), |h| names::prf(*h).to_string())
        ));
        out.push(format!(
            "     DH Group   : {}",
            words(&p.groups, |g| names::group(*g))
        ));
    }
    out.push(String::new());
    out
}

/// `show crypto ikev2 policy`
pub fn policies(cfg: &RunningConfig) -> Vec<String> {
    let mut all = cfg.ikev2_policies();
    all.sort_by(|a, b| a.name.cmp(&b.name));
    let mut out = Vec::new();
    for p in all {
        out.push(format!(" IKEv2 policy : {}", p.name));
        match &p.fvrf {
            Fvrf::Any => out.push("      Match fvrf : any".to_string()),
            Fvrf::Global => out.push("      Match fvrf  : global".to_string()),
            Fvrf::Named(v) => out.push(format!("      Match fvrf  : {v}")),
        }
        if p.match_local.is_empty() {
            out.push("      Match address local : any".to_string());
        }
        for a in &p.match_local {
            out.push(format!("      Match address local : {a}"));
        }
        for name in &p.proposals {
            out.push(format!("      Proposal    : {name}"));
        }
        out.push(String::new());
    }
    out
}

fn identity_line(m: &IdentityMatch) -> String {
    match m {
        IdentityMatch::Address(n) => format!("address {} {}", n.addr, n.mask()),
        other => other.to_string(),
    }
}

/// How many IPsec profiles and crypto map entries name the profile, plus its own reference.
fn ref_count(cfg: &RunningConfig, p: &Ikev2Profile) -> usize {
    let by_profiles = cfg
        .ipsec_profiles
        .iter()
        .filter(|x| x.ikev2_profile.as_ref().is_some_and(|(n, _)| *n == p.name))
        .count();
    let by_maps = cfg
        .crypto_maps
        .iter()
        .filter(|e| e.ikev2_profile.as_deref() == Some(p.name.as_str()))
        .count();
    1 + by_profiles + by_maps
}

/// `show crypto ikev2 profile`
pub fn profiles(cfg: &RunningConfig) -> Vec<String> {
    let mut all: Vec<&Ikev2Profile> = cfg.ikev2.profiles.iter().collect();
    all.sort_by(|a, b| a.name.cmp(&b.name));
    let mut out = Vec::new();
    for p in all {
        let fvrf = match &p.fvrf {
            Fvrf::Any => "any".to_string(),
            Fvrf::Global => "global".to_string(),
            Fvrf::Named(v) => v.clone(),
        };
        let local_addr = if p.match_local.is_empty() {
            "none".to_string()
        } else {
            words(&p.match_local, |a| a.to_string())
        };
        out.push(format!("IKEv2 profile: {}", p.name));
        out.push(" Shutdown : No".to_string());
        out.push(format!(" Ref Count: {}", ref_count(cfg, p)));
        out.push(" Match criteria: ".to_string());
        out.push(format!("  Fvrf: {fvrf}"));
        out.push(format!("  Local address/interface: {local_addr}"));
        out.push("  Identities: ".to_string());
        for (m, _) in &p.match_identity {
            out.push(format!("   {}", identity_line(m)));
        }
        out.push("  Certificate maps: none".to_string());
        out.push(format!(
            " Local identity: {}",
            p.identity_local
                .as_ref()
                .map_or("none".to_string(), |(i, _)| i.to_string())
        ));
        out.push(" Remote identity: none".to_string());
        out.push(format!(
            " Local authentication method: {}",
            p.auth_local
                .map_or("none".to_string(), |(m, _)| m.to_string())
        ));
        let remote = if p.auth_remote.is_empty() {
            "none".to_string()
        } else {
            words(&p.auth_remote, |(m, _)| m.to_string())
        };
        out.push(format!(" Remote authentication method(s): {remote}"));
        out.push(" EAP options: none".to_string());
        out.push(format!(
            " Keyring: {}",
            p.keyring.as_ref().map_or("none", |(k, _)| k.as_str())
        ));
        out.push(" Trustpoint(s): none".to_string());
        out.push(format!(" Lifetime: {} seconds", p.lifetime));
        out.push(match &p.dpd {
            None => " DPD: disabled".to_string(),
            Some(d) => format!(
                " DPD: interval {}, retry {}, {}",
                d.interval,
                d.retry,
                if d.periodic { "periodic" } else { "on-demand" }
            ),
        });
        out.extend(
            [
                " NAT-keepalive: disabled",
                " Ivrf: none",
                " Virtual-template: none",
                " mode auto: none",
                " AAA AnyConnect EAP authentication mlist: none",
                " AAA EAP authentication mlist: none",
                " AAA authentication mlist: none",
                " AAA Accounting: none",
                " AAA group authorization: none",
                " AAA user authorization: none",
                "",
            ]
            .map(String::from),
        );
    }
    out
}

/// `show crypto ipsec profile`
pub fn ipsec_profiles(cfg: &RunningConfig) -> Vec<String> {
    let mut all = cfg.ipsec_profiles.clone();
    if !all.iter().any(|p| p.name == smart_defaults::DEFAULT)
        && let Some(d) = cfg.ipsec_profile(smart_defaults::DEFAULT)
    {
        all.push(d);
    }
    all.sort_by(|a, b| a.name.cmp(&b.name));
    let mut out = Vec::new();
    for p in all {
        out.push(format!("IPSEC profile {}", p.name));
        if let Some((n, _)) = &p.ikev2_profile {
            out.push(format!("        IKEv2 Profile: {n}"));
        }
        if let Some((n, _)) = &p.isakmp_profile {
            out.push(format!("        ISAKMP Profile: {n}"));
        }
        let (seconds, kb) = profile_lifetimes(cfg, &p);
        out.push(format!(
            "        Security association lifetime: {kb} kilobytes/{seconds} seconds"
        ));
        out.push(format!(
            "        Responder-Only (Y/N): {}",
            if p.responder_only { "Y" } else { "N" }
        ));
        match p.pfs {
            Some(g) => {
                out.push("        PFS (Y/N): Y".to_string());
                out.push(format!("        DH group:  group{g}"));
            }
            None => out.push("        PFS (Y/N): N".to_string()),
        }
        out.push("        Mixed-mode : Disabled".to_string());
        out.push("        Transform sets={".to_string());
        for ts in cfg.profile_transform_sets(&p) {
            out.push(format!(
                "                {}:  {{ {}  }} ,",
                ts.name,
                crate::lab::ike::show::show_transform(&ts.transforms_text())
            ));
        }
        out.push("        }".to_string());
        out.push(String::new());
    }
    out
}
