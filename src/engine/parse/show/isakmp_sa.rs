//! `show crypto isakmp sa` and `show crypto isakmp sa detail`: the phase 1 (IKEv1) SA table.
//!
//! Three generations print the plain table: 12.2/12.3 (`dst src state conn-id slot`), 12.4
//! (`… conn-id slot status`) and 15.x / IOS-XE (`… conn-id status`, split into IPv4 and IPv6
//! sections). All three are read; a `slot` column is kept, never a reason to drop the row.

use super::text::{Unparsed, cap_num, cap_str, caps, is_legend, keep_unparsed};
use regex::Regex;
use serde::Serialize;
use std::sync::LazyLock;

pub const COMMAND: &str = "show crypto isakmp sa";
pub const COMMAND_DETAIL: &str = "show crypto isakmp sa detail";

/// Which section of the output a row came from (`IPv4 Crypto ISAKMP SA` / `IPv6 …`).
/// Outputs older than 12.4T have no section headers: rows there carry `None`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Family {
    Ipv4,
    Ipv6,
}

/// Where main mode / aggressive mode stands, read from the IOS state name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Phase1State {
    /// `QM_IDLE`: phase 1 is complete and the SA is ready for quick mode.
    Established,
    /// `MM_NO_STATE`: first main-mode message sent or received, nothing agreed yet.
    MmNoState,
    /// `MM_SA_SETUP`: proposals agreed, DH exchange next.
    MmSaSetup,
    /// `MM_KEY_EXCH`: DH done, authentication pending (wrong pre-shared keys stall here).
    MmKeyExch,
    /// `MM_KEY_AUTH`: authentication in progress.
    MmKeyAuth,
    /// `AG_NO_STATE`, `AG_INIT_EXCH`, `AG_AUTH`: aggressive mode in progress.
    Aggressive,
    /// A state name not in the table; the text is still kept in the row.
    Other,
}

// The state names IOS prints, and what each means for phase 1.
const STATES: &[(&str, Phase1State)] = &[
    ("QM_IDLE", Phase1State::Established),
    ("MM_NO_STATE", Phase1State::MmNoState),
    ("MM_SA_SETUP", Phase1State::MmSaSetup),
    ("MM_KEY_EXCH", Phase1State::MmKeyExch),
    ("MM_KEY_AUTH", Phase1State::MmKeyAuth),
    ("AG_NO_STATE", Phase1State::Aggressive),
    ("AG_INIT_EXCH", Phase1State::Aggressive),
    ("AG_AUTH", Phase1State::Aggressive),
];

impl Phase1State {
    pub fn from_ios(state: &str) -> Phase1State {
        STATES
            .iter()
            .find(|(name, _)| *name == state)
            .map_or(Phase1State::Other, |(_, s)| *s)
    }
}

/// One row of `show crypto isakmp sa`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IsakmpSaRow {
    pub line: usize,
    pub family: Option<Family>,
    pub dst: String,
    pub src: String,
    /// The state exactly as IOS printed it (`QM_IDLE`, `MM_NO_STATE`, …).
    pub state: String,
    pub phase1: Phase1State,
    pub conn_id: i64,
    /// The 12.x `slot` column.
    pub slot: Option<u32>,
    /// `ACTIVE`; absent on 12.2/12.3 rows.
    pub status: Option<String>,
    /// `ACTIVE (deleted)`: IOS is tearing this SA down.
    pub deleted: bool,
}

impl IsakmpSaRow {
    /// Phase 1 is up: `QM_IDLE` and not being deleted.
    pub fn phase1_up(&self) -> bool {
        self.phase1 == Phase1State::Established && !self.deleted
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IsakmpSa {
    pub rows: Vec<IsakmpSaRow>,
    pub unparsed: Unparsed,
}

impl IsakmpSa {
    /// Rows whose source or destination is `peer`.
    pub fn rows_with(&self, peer: &str) -> impl Iterator<Item = &IsakmpSaRow> {
        self.rows
            .iter()
            .filter(move |r| r.dst == peer || r.src == peer)
    }
}

// `IPv4 Crypto ISAKMP SA` / `IPv6 Crypto ISAKMP SA`
static SECTION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*IPv(?P<v>[46]) Crypto ISAKMP SA\s*$").expect("section regex")
});

// `dst             src             state          conn-id slot status`
// `dst             src             state          conn-id   slot`
static HEADER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*dst\s+src\s+state\s+conn-id(?:\s+slot)?(?:\s+status)?\s*$")
        .expect("header regex")
});

// `100.0.10.2      100.12.82.2     MM_NO_STATE      29188 ACTIVE (deleted)`   (15.x / XE)
// `10.1.1.2        10.1.1.1        QM_IDLE              1    0 ACTIVE`        (12.4)
// `10.1.1.2        10.1.1.1        QM_IDLE              1       0`           (12.2)
static ROW: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^\s*(?P<dst>[0-9A-Fa-f.:]+)\s+(?P<src>[0-9A-Fa-f.:]+)\s+(?P<state>[A-Z][A-Z0-9_]*)\s+(?P<conn>-?\d+)(?:\s+(?P<slot>\d+))?(?:\s+(?P<status>[A-Z][A-Z_-]*))?(?P<deleted>\s*\(deleted\))?\s*$",
    )
    .expect("row regex")
});

fn section(line: &str) -> Option<Family> {
    caps(&SECTION, line).map(|c| {
        if c.name("v").is_some_and(|v| v.as_str() == "6") {
            Family::Ipv6
        } else {
            Family::Ipv4
        }
    })
}

/// Parses `show crypto isakmp sa`.
pub fn parse(text: &str) -> IsakmpSa {
    let mut out = IsakmpSa::default();
    let mut family = None;
    for (n, line) in text.lines().enumerate() {
        // A row starts with an address: anything else skips the row pattern (a long paste
        // can put thousands of other lines here).
        let row_like = line
            .trim_start()
            .as_bytes()
            .first()
            .is_some_and(|b| b.is_ascii_hexdigit() || *b == b':');
        if !row_like
            && line.contains("Crypto ISAKMP SA")
            && let Some(f) = section(line)
        {
            family = Some(f);
        } else if !row_like || line.trim().is_empty() || HEADER.is_match(line) {
            if !row_like && !line.trim().is_empty() && !HEADER.is_match(line) {
                keep_unparsed(&mut out.unparsed, n, line);
            }
        } else if let Some(c) = caps(&ROW, line) {
            let state = cap_str(&c, "state").unwrap_or_default();
            match cap_num(&c, "conn") {
                Some(conn_id) => out.rows.push(IsakmpSaRow {
                    line: n,
                    family,
                    dst: cap_str(&c, "dst").unwrap_or_default(),
                    src: cap_str(&c, "src").unwrap_or_default(),
                    phase1: Phase1State::from_ios(&state),
                    state,
                    conn_id,
                    slot: cap_num(&c, "slot"),
                    status: cap_str(&c, "status"),
                    deleted: c.name("deleted").is_some(),
                }),
                None => keep_unparsed(&mut out.unparsed, n, line),
            }
        } else {
            keep_unparsed(&mut out.unparsed, n, line);
        }
    }
    out
}

/// One SA of `show crypto isakmp sa detail`, with its `Engine-id:Conn-id` line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IsakmpSaDetailRow {
    pub line: usize,
    pub family: Option<Family>,
    /// The `C-id` column.
    pub conn_id: i64,
    pub local: String,
    pub remote: String,
    /// The `I-VRF` column, when one is printed.
    pub ivrf: Option<String>,
    pub status: String,
    pub deleted: bool,
    /// `aes`, `3des`, `des`…, as IOS abbreviates them in this table.
    pub encryption: String,
    /// `sha`, `md5`, `sha256`…
    pub hash: String,
    /// `psk`, `rsig`, `renc`…
    pub auth: String,
    pub dh_group: u32,
    /// Time left, as printed (`23:59:48`).
    pub lifetime: Option<String>,
    pub lifetime_secs: Option<u64>,
    /// The `Cap.` letters (`D`, `DN`, …), per the legend.
    pub capabilities: Option<String>,
    /// `SW` in `Engine-id:Conn-id =  SW:12609`.
    pub engine: Option<String>,
    pub engine_conn_id: Option<u64>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IsakmpSaDetail {
    pub rows: Vec<IsakmpSaDetailRow>,
    pub unparsed: Unparsed,
}

// `C-id  Local           Remote          I-VRF  Status Encr Hash   Auth DH Lifetime Cap.`
static DETAIL_HEADER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*C-id\s+Local\s+Remote\s+I-VRF\s+Status\s+Encr\s+Hash\s+Auth\s+DH\s+Lifetime\s+Cap\.\s*$")
        .expect("detail header regex")
});

// `29609 100.0.10.2      100.13.220.2     RED      ACTIVE aes  sha    psk  16 00:01:47 D  `
// `1001  192.168.12.1    192.168.12.2           ACTIVE 3des sha  psk  2  23:59:48`
static DETAIL_ROW: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^\s*(?P<cid>-?\d+)\s+(?P<local>[0-9A-Fa-f.:]+)\s+(?P<remote>[0-9A-Fa-f.:]+)\s+(?:(?P<vrf>\S+)\s+)??(?P<status>ACTIVE|INACTIVE|DELETED|[A-Z][A-Z_-]*)(?P<deleted>\s*\(deleted\))?\s+(?P<encr>\S+)\s+(?P<hash>\S+)\s+(?P<auth>\S+)\s+(?P<dh>\d+)(?:\s+(?P<life>\d+:\d{2}:\d{2}))?(?:\s+(?P<cap>[A-Z]+))?\s*$",
    )
    .expect("detail row regex")
});

// `       Engine-id:Conn-id =  SW:12609`
// `       Engine-id:Conn-id =  ???`   (IOS prints question marks when the engine has no id)
static ENGINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*Engine-id:Conn-id\s*=\s*(?:(?P<engine>[A-Za-z0-9_-]+):(?P<conn>\d+)|\?+)\s*$")
        .expect("engine regex")
});

fn hms_secs(s: &str) -> Option<u64> {
    let mut parts = s.split(':').map(|p| p.parse::<u64>().ok());
    let (h, m, sec) = (parts.next()??, parts.next()??, parts.next()??);
    Some(h * 3600 + m * 60 + sec)
}

/// Parses `show crypto isakmp sa detail`.
pub fn parse_detail(text: &str) -> IsakmpSaDetail {
    let mut out = IsakmpSaDetail::default();
    let mut family = None;
    for (n, line) in text.lines().enumerate() {
        if let Some(f) = section(line) {
            family = Some(f);
        } else if line.trim().is_empty() || DETAIL_HEADER.is_match(line) || is_legend(line) {
        } else if let Some(c) = caps(&DETAIL_ROW, line) {
            let (Some(conn_id), Some(dh_group)) = (cap_num(&c, "cid"), cap_num(&c, "dh")) else {
                keep_unparsed(&mut out.unparsed, n, line);
                continue;
            };
            let lifetime = cap_str(&c, "life");
            out.rows.push(IsakmpSaDetailRow {
                line: n,
                family,
                conn_id,
                local: cap_str(&c, "local").unwrap_or_default(),
                remote: cap_str(&c, "remote").unwrap_or_default(),
                ivrf: cap_str(&c, "vrf"),
                status: cap_str(&c, "status").unwrap_or_default(),
                deleted: c.name("deleted").is_some(),
                encryption: cap_str(&c, "encr").unwrap_or_default(),
                hash: cap_str(&c, "hash").unwrap_or_default(),
                auth: cap_str(&c, "auth").unwrap_or_default(),
                dh_group,
                lifetime_secs: lifetime.as_deref().and_then(hms_secs),
                lifetime,
                capabilities: cap_str(&c, "cap"),
                engine: None,
                engine_conn_id: None,
            });
        } else if let (Some(c), Some(row)) = (caps(&ENGINE, line), out.rows.last_mut()) {
            row.engine = cap_str(&c, "engine");
            row.engine_conn_id = cap_num(&c, "conn");
        } else {
            keep_unparsed(&mut out.unparsed, n, line);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const IOS_124: &str = "\
dst             src             state          conn-id slot status
192.168.1.2     192.168.1.1     QM_IDLE              1    0 ACTIVE
192.168.1.3     192.168.1.1     MM_KEY_EXCH          2    0 ACTIVE
";

    #[test]
    fn ios_124_slot_column_rows_are_kept() {
        let sa = parse(IOS_124);
        assert!(sa.unparsed.is_empty(), "{:?}", sa.unparsed);
        assert_eq!(sa.rows.len(), 2);
        let r = &sa.rows[0];
        assert_eq!(
            (r.dst.as_str(), r.src.as_str()),
            ("192.168.1.2", "192.168.1.1")
        );
        assert_eq!(
            (r.conn_id, r.slot, r.status.as_deref()),
            (1, Some(0), Some("ACTIVE"))
        );
        assert!(r.phase1_up());
        assert_eq!(sa.rows[1].phase1, Phase1State::MmKeyExch);
        assert_eq!(sa.rows[1].line, 2);
        assert!(!sa.rows[1].phase1_up());
    }

    #[test]
    fn ios_122_rows_without_status() {
        let sa = parse(
            "dst             src             state          conn-id   slot\n\
             10.1.1.2        10.1.1.1        MM_NO_STATE          1       0\n",
        );
        assert!(sa.unparsed.is_empty());
        assert_eq!(sa.rows[0].slot, Some(0));
        assert_eq!(sa.rows[0].status, None);
        assert_eq!(sa.rows[0].phase1, Phase1State::MmNoState);
    }

    #[test]
    fn sections_and_deleted_rows() {
        let sa = parse(
            "IPv4 Crypto ISAKMP SA\n\
             dst             src             state          conn-id status\n\
             100.0.10.2      100.12.82.2     MM_NO_STATE      29188 ACTIVE (deleted)\n\
             \n\
             IPv6 Crypto ISAKMP SA\n\
             100.0.10::2      100.13.220::2    QM_IDLE          29610 ACTIVE\n",
        );
        assert!(sa.unparsed.is_empty());
        assert!(sa.rows[0].deleted);
        assert_eq!(sa.rows[0].family, Some(Family::Ipv4));
        assert_eq!(sa.rows[1].family, Some(Family::Ipv6));
        assert_eq!(sa.rows[1].dst, "100.0.10::2");
        assert!(sa.rows[1].phase1_up());
    }

    #[test]
    fn empty_output() {
        let sa = parse("");
        assert!(sa.rows.is_empty() && sa.unparsed.is_empty());
        let d = parse_detail("");
        assert!(d.rows.is_empty() && d.unparsed.is_empty());
    }

    #[test]
    fn garbage_lines_are_reported() {
        let sa =
            parse("IPv4 Crypto ISAKMP SA\n% Invalid input detected at '^' marker.\n\u{0}\u{7f}ÿ\n");
        assert!(sa.rows.is_empty());
        assert_eq!(sa.unparsed.len(), 2);
        assert_eq!(sa.unparsed[0].0, 1);
        let d = parse_detail("zzz 1 2\n       Engine-id:Conn-id =  SW:1\n");
        assert_eq!(d.unparsed.len(), 2);
    }

    #[test]
    fn detail_rows_with_and_without_vrf() {
        let d = parse_detail(
            "Codes: C - IKE configuration mode, D - Dead Peer Detection\n\
             \x20      K - Keepalives, N - NAT-traversal\n\
             \x20      psk - Preshared key, rsig - RSA signature\n\
             IPv4 Crypto ISAKMP SA\n\
             \n\
             C-id  Local           Remote          I-VRF  Status Encr Hash   Auth DH Lifetime Cap.\n\
             \n\
             29609 100.0.10.2      100.13.220.2     RED      ACTIVE aes  sha    psk  16 00:01:47 D  \n\
             \x20      Engine-id:Conn-id =  SW:12609\n\
             1001  192.168.12.1    192.168.12.2           ACTIVE 3des sha  psk  2  23:59:48\n\
             \x20      Engine-id:Conn-id =  ???\n",
        );
        assert!(d.unparsed.is_empty(), "{:?}", d.unparsed);
        assert_eq!(d.rows.len(), 2);
        let a = &d.rows[0];
        assert_eq!(a.ivrf.as_deref(), Some("RED"));
        assert_eq!((a.dh_group, a.lifetime_secs), (16, Some(107)));
        assert_eq!(
            (a.engine.as_deref(), a.engine_conn_id),
            (Some("SW"), Some(12609))
        );
        assert_eq!(a.capabilities.as_deref(), Some("D"));
        let b = &d.rows[1];
        assert_eq!((b.ivrf.as_deref(), b.encryption.as_str()), (None, "3des"));
        assert_eq!(
            (b.capabilities.as_deref(), b.engine.as_deref()),
            (None, None)
        );
    }
}
