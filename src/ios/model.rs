//! The typed running-config: what a router would use to negotiate IPsec, with IOS's defaults
//! filled in (IOS omits default values from `show running-config`), and the lookups IOS makes
//! over it: key by peer address, route to an address, crypto map on an interface.

use super::acl::AccessList;
use super::addr::Ipv4Net;
use super::ikev2::Ikev2Config;
use super::smart_defaults::SmartDefaults;
use super::tunnel::{IpsecProfile, IsakmpProfile, Tunnel};
use crate::secret::Secret;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;
use std::net::Ipv4Addr;

/// `crypto isakmp policy` encryption (`encr aes 256` in 12.4+ output, `encryption` when typed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Encryption {
    Des,
    TripleDes,
    Aes128,
    Aes192,
    Aes256,
}

/// Config words → encryption; the key length is a second word after `aes`.
pub const ENCRYPTIONS: &[(&str, Encryption)] = &[
    ("des", Encryption::Des),
    ("3des", Encryption::TripleDes),
    ("aes", Encryption::Aes128),
    ("aes 128", Encryption::Aes128),
    ("aes 192", Encryption::Aes192),
    ("aes 256", Encryption::Aes256),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Hash {
    Md5,
    Sha,
    Sha256,
    Sha384,
    Sha512,
}

pub const HASHES: &[(&str, Hash)] = &[
    ("md5", Hash::Md5),
    ("sha", Hash::Sha),
    ("sha256", Hash::Sha256),
    ("sha384", Hash::Sha384),
    ("sha512", Hash::Sha512),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AuthMethod {
    PreShare,
    RsaSig,
    RsaEncr,
}

pub const AUTH_METHODS: &[(&str, AuthMethod)] = &[
    ("pre-share", AuthMethod::PreShare),
    ("rsa-sig", AuthMethod::RsaSig),
    ("rsa-encr", AuthMethod::RsaEncr),
];

/// A Diffie-Hellman group number IOS accepts in `group N` / `set pfs groupN`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct DhGroup(pub u8);

pub const DH_GROUPS: &[u8] = &[1, 2, 5, 14, 15, 16, 19, 20, 21, 24];

impl DhGroup {
    pub fn parse(word: &str) -> Option<DhGroup> {
        let n: u8 = word.parse().ok()?;
        DH_GROUPS.contains(&n).then_some(DhGroup(n))
    }
}

impl fmt::Display for DhGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Config word for a value from one of the tables above.
pub fn word_of<T: PartialEq + Copy>(table: &[(&'static str, T)], v: T) -> &'static str {
    table.iter().find(|(_, x)| *x == v).map_or("?", |(w, _)| w)
}

impl fmt::Display for Encryption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(word_of(ENCRYPTIONS, *self))
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(word_of(HASHES, *self))
    }
}

impl fmt::Display for AuthMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(word_of(AUTH_METHODS, *self))
    }
}

/// The phase-1 attributes, in the order IOS checks an offered transform against a policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Attr {
    Encryption,
    Hash,
    Auth,
    Group,
    Lifetime,
}

/// IOS's values for a policy line that `show running-config` leaves out.
pub const DEFAULT_ENCRYPTION: Encryption = Encryption::Des;
pub const DEFAULT_HASH: Hash = Hash::Sha;
pub const DEFAULT_AUTH: AuthMethod = AuthMethod::RsaSig;
pub const DEFAULT_GROUP: DhGroup = DhGroup(1);
pub const DEFAULT_P1_LIFETIME: u32 = 86_400;
/// The built-in "Default protection suite" that `show crypto isakmp policy` lists last.
pub const DEFAULT_SUITE_PRIORITY: u32 = 65_535;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IsakmpPolicy {
    pub priority: u32,
    pub encryption: Encryption,
    pub hash: Hash,
    pub auth: AuthMethod,
    pub group: DhGroup,
    /// Seconds.
    pub lifetime: u32,
    /// The `crypto isakmp policy N` line (0 for the built-in default suite).
    pub line: usize,
    /// The line that set each attribute; absent when the IOS default applies.
    pub attr_lines: BTreeMap<Attr, usize>,
}

impl IsakmpPolicy {
    /// A policy with every attribute at its IOS default.
    pub fn with_defaults(priority: u32, line: usize) -> IsakmpPolicy {
        IsakmpPolicy {
            priority,
            encryption: DEFAULT_ENCRYPTION,
            hash: DEFAULT_HASH,
            auth: DEFAULT_AUTH,
            group: DEFAULT_GROUP,
            lifetime: DEFAULT_P1_LIFETIME,
            line,
            attr_lines: BTreeMap::new(),
        }
    }

    pub fn default_suite() -> IsakmpPolicy {
        IsakmpPolicy::with_defaults(DEFAULT_SUITE_PRIORITY, 0)
    }
}

/// How a stored secret was written: in clear (type 0) or obfuscated (type 5/6/7/8/9 …).
/// Two routers' type-6 keys cannot be compared: each is encrypted under its own master key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Credential {
    pub secret: Secret,
    /// The IOS encryption type digit (0 = clear text).
    pub kind: u8,
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub name: String,
    pub privilege: Option<u8>,
    pub credential: Credential,
}

/// A pre-shared key: `crypto isakmp key …` or `pre-shared-key …` inside `crypto keyring`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PresharedKey {
    pub key: Credential,
    /// The peers it applies to (`address 203.0.113.2` is a /32; `0.0.0.0 0.0.0.0` is everyone).
    pub peer: Ipv4Net,
    pub no_xauth: bool,
    /// `None` for the global (default keyring) keys.
    pub keyring: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Keepalive {
    pub interval: u32,
    pub retry: Option<u32>,
    /// `periodic` or `on-demand`; IOS's default is on-demand.
    pub mode: Option<String>,
    pub line: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Identity {
    Address,
    Hostname,
    Dn,
}

/// The ESP encryption transform of a transform set, key length in bits where it has one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EspCipher {
    Des,
    TripleDes,
    Aes(u16),
    Gcm(u16),
    Gmac(u16),
    Null,
    Seal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum IntegrityAlg {
    Md5,
    Sha,
    Sha256,
    Sha384,
    Sha512,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum IpsecMode {
    Tunnel,
    Transport,
}

/// What one word of `crypto ipsec transform-set NAME …` adds to the set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transform {
    /// The cipher; `true` when IOS lets a key length (128/192/256) follow.
    Cipher(EspCipher, bool),
    EspAuth(IntegrityAlg),
    AhAuth(IntegrityAlg),
    Compression,
}

/// Transform words IOS accepts, with the key length IOS assumes when none follows.
pub const TRANSFORMS: &[(&str, Transform)] = &[
    ("esp-des", Transform::Cipher(EspCipher::Des, false)),
    ("esp-3des", Transform::Cipher(EspCipher::TripleDes, false)),
    ("esp-aes", Transform::Cipher(EspCipher::Aes(128), true)),
    ("esp-gcm", Transform::Cipher(EspCipher::Gcm(128), true)),
    ("esp-gmac", Transform::Cipher(EspCipher::Gmac(128), true)),
    ("esp-null", Transform::Cipher(EspCipher::Null, false)),
    ("esp-seal", Transform::Cipher(EspCipher::Seal, false)),
    ("esp-md5-hmac", Transform::EspAuth(IntegrityAlg::Md5)),
    ("esp-sha-hmac", Transform::EspAuth(IntegrityAlg::Sha)),
    ("esp-sha256-hmac", Transform::EspAuth(IntegrityAlg::Sha256)),
    ("esp-sha384-hmac", Transform::EspAuth(IntegrityAlg::Sha384)),
    ("esp-sha512-hmac", Transform::EspAuth(IntegrityAlg::Sha512)),
    ("ah-md5-hmac", Transform::AhAuth(IntegrityAlg::Md5)),
    ("ah-sha-hmac", Transform::AhAuth(IntegrityAlg::Sha)),
    ("ah-sha256-hmac", Transform::AhAuth(IntegrityAlg::Sha256)),
    ("ah-sha384-hmac", Transform::AhAuth(IntegrityAlg::Sha384)),
    ("ah-sha512-hmac", Transform::AhAuth(IntegrityAlg::Sha512)),
    ("comp-lzs", Transform::Compression),
];

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TransformSet {
    pub name: String,
    pub esp_cipher: Option<EspCipher>,
    pub esp_auth: Option<IntegrityAlg>,
    pub ah: Option<IntegrityAlg>,
    pub compression: bool,
    /// `mode tunnel` is the default and 12.4 does not print it.
    pub mode: IpsecMode,
    pub line: usize,
}

impl TransformSet {
    /// The transforms as IOS prints them after the set's name: `esp-aes 256 esp-sha-hmac`.
    pub fn transforms_text(&self) -> String {
        let mut words: Vec<String> = Vec::new();
        if let Some(a) = self.ah {
            words.push(transform_word(Transform::AhAuth(a)));
        }
        if let Some(c) = self.esp_cipher {
            let base = TRANSFORMS
                .iter()
                .find(|(_, t)| matches!(t, Transform::Cipher(d, _) if same_cipher_kind(*d, c)))
                .map_or("esp-?", |(w, _)| w);
            match c {
                EspCipher::Aes(128) | EspCipher::Gcm(128) | EspCipher::Gmac(128) => {
                    words.push(base.to_string())
                }
                EspCipher::Aes(n) | EspCipher::Gcm(n) | EspCipher::Gmac(n) => {
                    words.push(format!("{base} {n}"))
                }
                _ => words.push(base.to_string()),
            }
        }
        if let Some(a) = self.esp_auth {
            words.push(transform_word(Transform::EspAuth(a)));
        }
        if self.compression {
            words.push("comp-lzs".into());
        }
        words.join(" ")
    }
}

fn same_cipher_kind(a: EspCipher, b: EspCipher) -> bool {
    std::mem::discriminant(&a) == std::mem::discriminant(&b)
}

fn transform_word(t: Transform) -> String {
    TRANSFORMS
        .iter()
        .find(|(_, x)| *x == t)
        .map_or("?", |(w, _)| w)
        .to_string()
}

/// IPsec SA lifetime; `None` means "inherit" (from the global setting, then IOS's default).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SaLifetime {
    pub seconds: Option<u32>,
    pub kilobytes: Option<u64>,
}

pub const DEFAULT_P2_SECONDS: u32 = 3_600;
pub const DEFAULT_P2_KILOBYTES: u64 = 4_608_000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MapKind {
    /// `crypto map NAME SEQ ipsec-isakmp`.
    IpsecIsakmp,
    /// `crypto map NAME SEQ ipsec-isakmp dynamic DYN`: responds using the dynamic map's entries.
    DynamicRef(String),
    /// An entry of `crypto dynamic-map NAME SEQ`: peer and ACL optional, responder only.
    DynamicTemplate,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Peer {
    pub addr: Ipv4Addr,
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CryptoMapEntry {
    pub map: String,
    pub seq: u32,
    pub kind: MapKind,
    pub description: Option<String>,
    /// In `set peer` order: IOS initiates to the first and fails over to the next.
    pub peers: Vec<Peer>,
    /// In the order IOS offers them.
    pub transform_sets: Vec<String>,
    pub acl: Option<String>,
    pub pfs: Option<DhGroup>,
    pub lifetime: SaLifetime,
    /// `set ikev2-profile NAME`: the entry negotiates with IKEv2.
    pub ikev2_profile: Option<String>,
    /// `set isakmp-profile NAME` (IKEv1).
    pub isakmp_profile: Option<String>,
    pub line: usize,
}

impl CryptoMapEntry {
    pub fn has_peer(&self, addr: Ipv4Addr) -> bool {
        self.peers.iter().any(|p| p.addr == addr)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Interface {
    pub name: String,
    pub description: Option<String>,
    pub address: Option<Ipv4Net>,
    pub secondary: Vec<Ipv4Net>,
    /// `ip unnumbered OTHER`: the interface borrows OTHER's address.
    pub unnumbered: Option<String>,
    pub shutdown: bool,
    pub crypto_map: Option<String>,
    /// The `tunnel …` lines of a `TunnelN` interface.
    pub tunnel: Option<Tunnel>,
    pub line: usize,
}

impl Interface {
    fn nets(&self) -> impl Iterator<Item = &Ipv4Net> {
        self.address.iter().chain(self.secondary.iter())
    }

    /// Does one of its subnets contain `addr`?
    pub fn connects(&self, addr: Ipv4Addr) -> Option<Ipv4Net> {
        self.nets().find(|n| n.contains(addr)).copied()
    }

    pub fn owns(&self, addr: Ipv4Addr) -> bool {
        self.nets().any(|n| n.addr == addr)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StaticRoute {
    pub prefix: Ipv4Net,
    pub next_hop: Option<Ipv4Addr>,
    pub interface: Option<String>,
    /// Administrative distance (IOS default 1).
    pub distance: u8,
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CryptoMapLocalAddress {
    pub map: String,
    pub interface: String,
    pub line: usize,
}

/// Everything we model of one router's running-config.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunningConfig {
    pub hostname: Option<String>,
    pub enable_secret: Option<Credential>,
    pub enable_password: Option<Credential>,
    pub users: Vec<User>,
    /// `no crypto isakmp` switches IKE off for the whole router.
    pub isakmp_enabled: bool,
    pub isakmp_disabled_line: Option<usize>,
    /// Sorted by priority (lowest number first, the order IOS checks them in).
    pub isakmp_policies: Vec<IsakmpPolicy>,
    /// Global keys first, then keyring keys, each in config order.
    pub isakmp_keys: Vec<PresharedKey>,
    pub isakmp_keepalive: Option<Keepalive>,
    pub isakmp_identity: Identity,
    pub transform_sets: Vec<TransformSet>,
    /// `crypto ipsec security-association lifetime …` (global).
    pub ipsec_lifetime: SaLifetime,
    /// Sorted by map name, then sequence number.
    pub crypto_maps: Vec<CryptoMapEntry>,
    /// `crypto dynamic-map` entries, sorted by name and sequence.
    pub dynamic_maps: Vec<CryptoMapEntry>,
    pub crypto_map_local_addresses: Vec<CryptoMapLocalAddress>,
    pub access_lists: Vec<AccessList>,
    pub interfaces: Vec<Interface>,
    pub routes: Vec<StaticRoute>,
    /// IKEv2 proposals, policies, keyrings and profiles as configured.
    pub ikev2: Ikev2Config,
    /// Which of IOS-XE's built-in `default` objects are still there.
    pub smart_defaults: SmartDefaults,
    /// `crypto ipsec profile` blocks in config order (the smart default one is not listed).
    pub ipsec_profiles: Vec<IpsecProfile>,
    /// `crypto isakmp profile` blocks in config order.
    pub isakmp_profiles: Vec<IsakmpProfile>,
}

impl Default for RunningConfig {
    fn default() -> RunningConfig {
        RunningConfig {
            hostname: None,
            enable_secret: None,
            enable_password: None,
            users: Vec::new(),
            isakmp_enabled: true,
            isakmp_disabled_line: None,
            isakmp_policies: Vec::new(),
            isakmp_keys: Vec::new(),
            isakmp_keepalive: None,
            isakmp_identity: Identity::Address,
            transform_sets: Vec::new(),
            ipsec_lifetime: SaLifetime::default(),
            crypto_maps: Vec::new(),
            dynamic_maps: Vec::new(),
            crypto_map_local_addresses: Vec::new(),
            access_lists: Vec::new(),
            interfaces: Vec::new(),
            routes: Vec::new(),
            ikev2: Ikev2Config::default(),
            smart_defaults: SmartDefaults::default(),
            ipsec_profiles: Vec::new(),
            isakmp_profiles: Vec::new(),
        }
    }
}

/// How a router would forward a packet to an address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RouteDecision {
    /// The matching prefix (longest match wins, then the lower distance).
    pub prefix: Ipv4Net,
    pub via: RouteVia,
    /// The outgoing interface after resolving recursive next hops (`Null0` drops).
    pub interface: String,
    /// The address the router sends to on that interface: the next hop, or the destination.
    pub next_hop: Ipv4Addr,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RouteVia {
    Connected,
    Static { line: usize },
}

/// Recursive static routes deeper than this are treated as unresolved (IOS gives up too).
const MAX_RECURSION: usize = 8;

fn same_name(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

impl RunningConfig {
    pub fn interface(&self, name: &str) -> Option<&Interface> {
        self.interfaces.iter().find(|i| same_name(&i.name, name))
    }

    /// The interface whose connected subnet contains `addr`, up or not.
    pub fn interface_for(&self, addr: Ipv4Addr) -> Option<&Interface> {
        self.interfaces
            .iter()
            .filter_map(|i| i.connects(addr).map(|n| (n.len, i)))
            .max_by_key(|(len, _)| *len)
            .map(|(_, i)| i)
    }

    /// The interface that has `addr` as one of its own addresses.
    pub fn interface_owning(&self, addr: Ipv4Addr) -> Option<&Interface> {
        self.interfaces.iter().find(|i| i.owns(addr))
    }

    pub fn access_list(&self, name: &str) -> Option<&AccessList> {
        self.access_lists.iter().find(|a| a.name == name)
    }

    pub fn transform_set(&self, name: &str) -> Option<&TransformSet> {
        self.transform_sets.iter().find(|t| t.name == name)
    }

    /// Policies as the responder checks them: configured ones by priority, then IOS's built-in
    /// default suite, which classic IOS always keeps at priority 65535.
    pub fn policies_with_default(&self) -> Vec<IsakmpPolicy> {
        let mut v = self.isakmp_policies.clone();
        v.push(IsakmpPolicy::default_suite());
        v
    }

    /// The key IOS uses for a peer: of the keys whose address/mask contains it, the one with
    /// the longest mask; on a tie, the first configured (global keys come first).
    pub fn key_for(&self, peer: Ipv4Addr) -> Option<&PresharedKey> {
        let mut best: Option<&PresharedKey> = None;
        for k in self.isakmp_keys.iter().filter(|k| k.peer.contains(peer)) {
            if best.is_none_or(|b| k.peer.len > b.peer.len) {
                best = Some(k);
            }
        }
        best
    }

    /// Entries of crypto map `name` in sequence order.
    pub fn crypto_map(&self, name: &str) -> impl Iterator<Item = &CryptoMapEntry> {
        self.crypto_maps.iter().filter(move |e| e.map == name)
    }

    pub fn dynamic_map(&self, name: &str) -> impl Iterator<Item = &CryptoMapEntry> {
        self.dynamic_maps.iter().filter(move |e| e.map == name)
    }

    /// The entries of the crypto map applied to an interface (empty when none is applied).
    pub fn crypto_map_on_interface(&self, interface: &str) -> Vec<&CryptoMapEntry> {
        self.interface(interface)
            .and_then(|i| i.crypto_map.as_deref())
            .map(|m| self.crypto_map(m).collect())
            .unwrap_or_default()
    }

    /// The address IKE speaks from for a crypto map applied on `interface`: the
    /// `local-address` interface's, else the interface's own.
    pub fn ike_source(&self, interface: &str) -> Option<Ipv4Addr> {
        let iface = self.interface(interface)?;
        let via = iface
            .crypto_map
            .as_deref()
            .and_then(|m| self.crypto_map_local_addresses.iter().find(|l| l.map == m))
            .and_then(|l| self.interface(&l.interface))
            .unwrap_or(iface);
        via.address.map(|n| n.addr)
    }

    /// Longest-prefix lookup over connected subnets of interfaces that are up and static
    /// routes that resolve to such an interface; `None` when nothing routes `addr`.
    pub fn route_to(&self, addr: Ipv4Addr) -> Option<RouteDecision> {
        self.lookup(addr, 0)
    }

    fn lookup(&self, addr: Ipv4Addr, depth: usize) -> Option<RouteDecision> {
        if depth > MAX_RECURSION {
            return None;
        }
        let connected = self
            .interfaces
            .iter()
            .filter(|i| !i.shutdown)
            .filter_map(|i| {
                i.connects(addr).map(|n| RouteDecision {
                    prefix: Ipv4Net {
                        addr: n.network(),
                        len: n.len,
                    },
                    via: RouteVia::Connected,
                    interface: i.name.clone(),
                    next_hop: addr,
                })
            })
            .map(|d| (0u8, d));
        let statics = self
            .routes
            .iter()
            .filter(|r| r.prefix.contains(addr))
            .filter_map(|r| self.resolve_static(r, addr, depth).map(|d| (r.distance, d)));
        connected
            .chain(statics)
            .min_by(|(da, a), (db, b)| b.prefix.len.cmp(&a.prefix.len).then(da.cmp(db)))
            .map(|(_, d)| d)
    }

    /// A static route is installed only when its exit works: the named interface is up, or
    /// the next hop is itself routable (not through this same route).
    fn resolve_static(
        &self,
        r: &StaticRoute,
        addr: Ipv4Addr,
        depth: usize,
    ) -> Option<RouteDecision> {
        let prefix = Ipv4Net {
            addr: r.prefix.network(),
            len: r.prefix.len,
        };
        let via = RouteVia::Static { line: r.line };
        if let Some(name) = &r.interface {
            let up = same_name(name, "Null0") || self.interface(name).is_some_and(|i| !i.shutdown);
            return up.then(|| RouteDecision {
                prefix,
                via,
                interface: name.clone(),
                next_hop: r.next_hop.unwrap_or(addr),
            });
        }
        let nh = r.next_hop?;
        let under = self.lookup(nh, depth + 1)?;
        Some(RouteDecision {
            prefix,
            via,
            interface: under.interface,
            next_hop: under.next_hop,
        })
    }

    /// The crypto map entries IOS would consult for traffic leaving toward `peer`.
    pub fn crypto_map_toward(&self, peer: Ipv4Addr) -> Vec<&CryptoMapEntry> {
        self.route_to(peer)
            .map(|d| self.crypto_map_on_interface(&d.interface))
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Ipv4Addr {
        s.parse().unwrap()
    }

    fn net(s: &str, len: u8) -> Ipv4Net {
        Ipv4Net::new(ip(s), len).unwrap()
    }

    fn iface(name: &str, addr: &str, len: u8, shutdown: bool) -> Interface {
        Interface {
            name: name.into(),
            description: None,
            address: Some(net(addr, len)),
            shutdown,
            line: 1,
            ..Interface::default()
        }
    }

    fn route(prefix: Ipv4Net, nh: Option<&str>, ifname: Option<&str>, line: usize) -> StaticRoute {
        StaticRoute {
            prefix,
            next_hop: nh.map(ip),
            interface: ifname.map(String::from),
            distance: 1,
            line,
        }
    }

    #[test]
    fn longest_prefix_and_recursion() {
        let cfg = RunningConfig {
            interfaces: vec![
                iface("GigabitEthernet0/0", "203.0.113.1", 24, false),
                iface("GigabitEthernet0/1", "192.168.101.1", 24, false),
                iface("GigabitEthernet0/2", "10.9.9.1", 24, true),
            ],
            routes: vec![
                route(net("0.0.0.0", 0), Some("203.0.113.254"), None, 10),
                route(net("198.51.100.0", 24), Some("10.9.9.2"), None, 11),
                route(net("192.168.102.0", 24), Some("203.0.113.2"), None, 12),
            ],
            ..RunningConfig::default()
        };
        let d = cfg.route_to(ip("203.0.113.2")).unwrap();
        assert_eq!(
            (d.via.clone(), d.interface.as_str()),
            (RouteVia::Connected, "GigabitEthernet0/0")
        );
        let d = cfg.route_to(ip("192.168.102.7")).unwrap();
        assert_eq!(d.via, RouteVia::Static { line: 12 });
        assert_eq!(d.next_hop, ip("203.0.113.2"));
        // Its next hop sits behind a shut interface, but IOS resolves next hops through the
        // default route too: the /24 stays, leaving by the default's interface.
        let d = cfg.route_to(ip("198.51.100.9")).unwrap();
        assert_eq!(d.via, RouteVia::Static { line: 11 });
        assert_eq!(
            (d.interface.as_str(), d.next_hop),
            ("GigabitEthernet0/0", ip("203.0.113.254"))
        );
        // Without the default the next hop is unreachable and the route is not installed.
        let no_default = RunningConfig {
            routes: cfg.routes[1..].to_vec(),
            ..cfg.clone()
        };
        assert!(no_default.route_to(ip("198.51.100.9")).is_none());
        assert_eq!(
            cfg.interface_for(ip("10.9.9.7")).map(|i| i.shutdown),
            Some(true)
        );
        let bare = RunningConfig {
            interfaces: vec![iface("Gi0/0", "203.0.113.1", 24, false)],
            ..RunningConfig::default()
        };
        assert!(bare.route_to(ip("8.8.8.8")).is_none());
    }

    #[test]
    fn route_loops_end() {
        let cfg = RunningConfig {
            routes: vec![
                route(net("10.0.0.0", 8), Some("10.1.1.1"), None, 1),
                route(net("10.1.0.0", 16), Some("10.0.0.1"), None, 2),
            ],
            ..RunningConfig::default()
        };
        assert!(cfg.route_to(ip("10.2.2.2")).is_none());
    }

    #[test]
    fn transforms_print_as_ios_does() {
        let ts = TransformSet {
            name: "TS".into(),
            esp_cipher: Some(EspCipher::Aes(256)),
            esp_auth: Some(IntegrityAlg::Sha),
            ah: None,
            compression: false,
            mode: IpsecMode::Tunnel,
            line: 1,
        };
        assert_eq!(ts.transforms_text(), "esp-aes 256 esp-sha-hmac");
        let ts = TransformSet {
            esp_cipher: Some(EspCipher::Aes(128)),
            esp_auth: Some(IntegrityAlg::Md5),
            ..ts
        };
        assert_eq!(ts.transforms_text(), "esp-aes esp-md5-hmac");
    }
}
