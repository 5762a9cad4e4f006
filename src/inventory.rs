//! Devices and tunnels from Nornir-style YAML: `hosts`, `groups` and `defaults` (one file with
//! those top-level keys, or a directory holding `hosts.yaml`, `groups.yaml`, `defaults.yaml`
//! as Nornir's SimpleInventory does), plus a `tunnels:` list pairing two hosts.
//!
//! A host's setting comes from the host itself, else from its groups in the order listed
//! (each group before the groups it inherits from), else from `defaults`. Secrets are read
//! into [`Secret`] straight away, from the file or from an environment variable
//! (`password_env`, `enable_secret_env`). Every error names the file and either line and
//! column (bad YAML, unknown key, with a did-you-mean) or the key path (`tunnels[0].b`).

use crate::device::SessionOptions;
use crate::ios::addr::Ipv4Net;
use crate::secret::Secret;
use crate::ssh::{Algorithms, Credentials, RsaHash, SshTarget};
use crate::yaml::{self, YamlError};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::time::Duration;

const DEFAULT_PORT: u16 = 22;
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// `show running-config` on a large box over a slow link can take a while.
const DEFAULT_COMMAND_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum InventoryError {
    #[error("{path}: {source}", path = path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Yaml(YamlError),
    #[error("{file}: {key}: {message}")]
    Invalid {
        file: String,
        key: String,
        message: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Platform {
    CiscoIos,
    CiscoXe,
}

/// A device with every setting resolved.
#[derive(Debug, Clone)]
pub struct Host {
    pub name: String,
    pub hostname: String,
    pub port: u16,
    pub username: String,
    pub password: Option<Secret>,
    pub enable_secret: Option<Secret>,
    pub platform: Platform,
    pub groups: Vec<String>,
    pub data: BTreeMap<String, serde_json::Value>,
    pub ssh: SshOptions,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SshOptions {
    pub algorithms: Algorithms,
    pub key_file: Option<PathBuf>,
    pub use_agent: bool,
    pub rsa_hash: RsaHash,
    pub connect_timeout: Duration,
    pub command_timeout: Duration,
}

impl Host {
    /// What the SSH layer needs to log in.
    pub fn ssh_target(&self) -> SshTarget {
        SshTarget {
            host: self.hostname.clone(),
            port: self.port,
            credentials: Credentials {
                username: self.username.clone(),
                password: self.password.clone(),
                key_file: self.ssh.key_file.clone(),
                use_agent: self.ssh.use_agent,
                rsa_hash: self.ssh.rsa_hash,
            },
            algorithms: self.ssh.algorithms.clone(),
            connect_timeout: self.ssh.connect_timeout,
        }
    }

    /// How the device session is set up; `monitor` switches `terminal monitor` on.
    pub fn session_options(&self, monitor: bool) -> SessionOptions {
        SessionOptions {
            enable_secret: self.enable_secret.clone(),
            monitor,
            setup_timeout: self.ssh.command_timeout,
        }
    }
}

/// Two hosts that form one IPsec tunnel. Peer addresses and protected subnets are optional:
/// the runner learns them from the configurations when absent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tunnel {
    pub name: String,
    pub a: String,
    pub b: String,
    pub a_peer_address: Option<Ipv4Addr>,
    pub b_peer_address: Option<Ipv4Addr>,
    pub a_protected: Vec<Ipv4Net>,
    pub b_protected: Vec<Ipv4Net>,
    /// The tunnel must always be up: for health checks, no SA is an alarm, not idleness.
    pub always_on: bool,
}

#[derive(Debug, Clone)]
pub struct Inventory {
    pub hosts: BTreeMap<String, Host>,
    pub tunnels: Vec<Tunnel>,
}

// ---- the files as written ----

/// Fields a host, a group and `defaults` share.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Fields {
    hostname: Option<String>,
    port: Option<u16>,
    username: Option<String>,
    password: Option<String>,
    password_env: Option<String>,
    enable_secret: Option<String>,
    enable_secret_env: Option<String>,
    platform: Option<Platform>,
    #[serde(default)]
    groups: Vec<String>,
    #[serde(default)]
    data: BTreeMap<String, serde_json::Value>,
    ssh: Option<SshFields>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SshFields {
    legacy_algorithms: Option<bool>,
    kex: Option<Vec<String>>,
    ciphers: Option<Vec<String>>,
    macs: Option<Vec<String>>,
    host_key_algorithms: Option<Vec<String>>,
    key_file: Option<PathBuf>,
    use_agent: Option<bool>,
    rsa_hash: Option<RsaHashName>,
    connect_timeout: Option<Timeout>,
    command_timeout: Option<Timeout>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
enum RsaHashName {
    Auto,
    Sha1,
    Sha256,
    Sha512,
}

/// `30` (seconds), `2.5`, `"30s"`, `"500ms"`, `"2m"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum Timeout {
    Seconds(f64),
    Text(String),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TunnelFields {
    name: String,
    a: String,
    b: String,
    a_peer_address: Option<Ipv4Addr>,
    b_peer_address: Option<Ipv4Addr>,
    #[serde(default)]
    a_protected: Vec<String>,
    #[serde(default)]
    b_protected: Vec<String>,
    #[serde(default)]
    always_on: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct OneFile {
    #[serde(default)]
    hosts: BTreeMap<String, Fields>,
    #[serde(default)]
    groups: BTreeMap<String, Fields>,
    #[serde(default)]
    defaults: Fields,
    #[serde(default)]
    tunnels: Vec<TunnelFields>,
}

/// Parsed files plus, for error messages, which file each part came from.
struct Parsed {
    doc: OneFile,
    hosts_file: String,
    groups_file: String,
    defaults_file: String,
    tunnels_file: String,
}

/// One layer of a host's settings and where it was written.
struct Layer<'a> {
    fields: &'a Fields,
    file: &'a str,
    key: String,
}

impl Inventory {
    /// Loads a one-file inventory or a directory in Nornir's three-file layout (an optional
    /// `tunnels.yaml` holds the tunnel list there). Secrets named by `*_env` come from the
    /// process environment.
    pub fn load(path: &Path) -> Result<Inventory, InventoryError> {
        Inventory::load_with_env(path, &|name| std::env::var(name).ok())
    }

    /// As [`Inventory::load`], reading environment variables through `env`.
    pub fn load_with_env(
        path: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Inventory, InventoryError> {
        let parsed = if path.is_dir() {
            parse_dir(path)?
        } else {
            let file = path.display().to_string();
            let text = read(path)?;
            parse_one(&file, &text)?
        };
        resolve(&parsed, env)
    }

    /// Parses one-file inventory text; `file` names it in errors.
    pub fn from_yaml(
        file: &str,
        text: &str,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Inventory, InventoryError> {
        resolve(&parse_one(file, text)?, env)
    }

    pub fn host(&self, name: &str) -> Option<&Host> {
        self.hosts.get(name)
    }

    pub fn tunnel(&self, name: &str) -> Option<&Tunnel> {
        self.tunnels.iter().find(|t| t.name == name)
    }
}

fn read(path: &Path) -> Result<String, InventoryError> {
    std::fs::read_to_string(path).map_err(|source| InventoryError::Read {
        path: path.to_path_buf(),
        source,
    })
}

fn parse<T: serde::de::DeserializeOwned>(file: &str, text: &str) -> Result<T, InventoryError> {
    // `yaml` already adds the did-you-mean of an unknown key.
    yaml::from_str(file, text).map_err(InventoryError::Yaml)
}

fn parse_one(file: &str, text: &str) -> Result<Parsed, InventoryError> {
    let doc: OneFile = if text.trim().is_empty() {
        OneFile::default()
    } else {
        parse(file, text)?
    };
    Ok(Parsed {
        doc,
        hosts_file: file.to_string(),
        groups_file: file.to_string(),
        defaults_file: file.to_string(),
        tunnels_file: file.to_string(),
    })
}

fn parse_dir(dir: &Path) -> Result<Parsed, InventoryError> {
    let hosts_path = dir.join("hosts.yaml");
    let hosts_file = hosts_path.display().to_string();
    let hosts = parse_map(&hosts_file, &read(&hosts_path)?)?;
    let optional = |name: &str| -> Result<(String, Option<String>), InventoryError> {
        let p = dir.join(name);
        let file = p.display().to_string();
        if p.exists() {
            Ok((file, Some(read(&p)?)))
        } else {
            Ok((file, None))
        }
    };
    let (groups_file, groups_text) = optional("groups.yaml")?;
    let (defaults_file, defaults_text) = optional("defaults.yaml")?;
    let (tunnels_file, tunnels_text) = optional("tunnels.yaml")?;
    let groups = match groups_text {
        Some(t) => parse_map(&groups_file, &t)?,
        None => BTreeMap::new(),
    };
    let defaults = match defaults_text {
        Some(t) if !t.trim().is_empty() => parse(&defaults_file, &t)?,
        _ => Fields::default(),
    };
    let tunnels = match tunnels_text {
        Some(t) if !t.trim().is_empty() => parse(&tunnels_file, &t)?,
        _ => Vec::new(),
    };
    Ok(Parsed {
        doc: OneFile {
            hosts,
            groups,
            defaults,
            tunnels,
        },
        hosts_file,
        groups_file,
        defaults_file,
        tunnels_file,
    })
}

fn parse_map(file: &str, text: &str) -> Result<BTreeMap<String, Fields>, InventoryError> {
    if text.trim().is_empty() {
        return Ok(BTreeMap::new());
    }
    parse(file, text)
}

// ---- resolution ----

fn invalid(file: &str, key: impl Into<String>, message: impl Into<String>) -> InventoryError {
    InventoryError::Invalid {
        file: file.to_string(),
        key: key.into(),
        message: message.into(),
    }
}

fn resolve(p: &Parsed, env: &dyn Fn(&str) -> Option<String>) -> Result<Inventory, InventoryError> {
    for (name, group) in &p.doc.groups {
        // Expanding checks that every parent exists and that there is no cycle.
        group_chain(p, &group.groups, &format!("groups.{name}"), &p.groups_file)?;
    }
    if !p.doc.defaults.groups.is_empty() {
        return Err(invalid(
            &p.defaults_file,
            "defaults.groups",
            "defaults cannot belong to groups",
        ));
    }
    let mut hosts = BTreeMap::new();
    for (name, fields) in &p.doc.hosts {
        hosts.insert(name.clone(), resolve_host(p, name, fields, env)?);
    }
    let tunnels = resolve_tunnels(p, &hosts)?;
    Ok(Inventory { hosts, tunnels })
}

/// The groups a host or group inherits from, nearest first, each once.
fn group_chain<'a>(
    p: &'a Parsed,
    groups: &[String],
    key: &str,
    file: &str,
) -> Result<Vec<&'a str>, InventoryError> {
    fn walk<'a>(
        p: &'a Parsed,
        groups: &[String],
        key: &str,
        file: &str,
        path: &mut Vec<String>,
        out: &mut Vec<&'a str>,
    ) -> Result<(), InventoryError> {
        for (i, g) in groups.iter().enumerate() {
            let Some((name, group)) = p.doc.groups.get_key_value(g) else {
                let known: Vec<&str> = p.doc.groups.keys().map(String::as_str).collect();
                return Err(invalid(
                    file,
                    format!("{key}.groups[{i}]"),
                    format!("unknown group {g:?}{}", did_you_mean(g, &known)),
                ));
            };
            if path.contains(g) {
                return Err(invalid(
                    file,
                    format!("{key}.groups[{i}]"),
                    format!("group cycle: {} -> {g}", path.join(" -> ")),
                ));
            }
            if !out.contains(&name.as_str()) {
                out.push(name.as_str());
            }
            path.push(g.clone());
            walk(
                p,
                &group.groups,
                &format!("groups.{g}"),
                &p.groups_file,
                path,
                out,
            )?;
            path.pop();
        }
        Ok(())
    }
    let mut out = Vec::new();
    let mut path = vec![key.to_string()];
    walk(p, groups, key, file, &mut path, &mut out)?;
    Ok(out)
}

fn resolve_host(
    p: &Parsed,
    name: &str,
    fields: &Fields,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Host, InventoryError> {
    let key = format!("hosts.{name}");
    let mut layers = vec![Layer {
        fields,
        file: &p.hosts_file,
        key: key.clone(),
    }];
    for g in group_chain(p, &fields.groups, &key, &p.hosts_file)? {
        if let Some(group) = p.doc.groups.get(g) {
            layers.push(Layer {
                fields: group,
                file: &p.groups_file,
                key: format!("groups.{g}"),
            });
        }
    }
    layers.push(Layer {
        fields: &p.doc.defaults,
        file: &p.defaults_file,
        key: String::from("defaults"),
    });
    let first = |get: &dyn Fn(&Fields) -> Option<String>| layers.iter().find_map(|l| get(l.fields));
    let missing = |what: &str| {
        invalid(
            &p.hosts_file,
            &key,
            format!("no {what} (set it on the host, one of its groups, or defaults)"),
        )
    };

    let hostname = first(&|f| f.hostname.clone()).ok_or_else(|| missing("hostname"))?;
    let username = first(&|f| f.username.clone()).ok_or_else(|| missing("username"))?;
    let port = layers
        .iter()
        .find_map(|l| l.fields.port)
        .unwrap_or(DEFAULT_PORT);
    let platform = layers
        .iter()
        .find_map(|l| l.fields.platform)
        .unwrap_or(Platform::CiscoIos);
    let password = secret(&layers, "password", env, |f| {
        (f.password.as_deref(), f.password_env.as_deref())
    })?;
    let enable_secret = secret(&layers, "enable_secret", env, |f| {
        (f.enable_secret.as_deref(), f.enable_secret_env.as_deref())
    })?;
    // `data` merges key by key, nearer layers winning, as Nornir does.
    let mut data = BTreeMap::new();
    for l in layers.iter().rev() {
        for (k, v) in &l.fields.data {
            data.insert(k.clone(), v.clone());
        }
    }
    let ssh = ssh_options(&layers)?;
    Ok(Host {
        name: name.to_string(),
        hostname,
        port,
        username,
        password,
        enable_secret,
        platform,
        groups: fields.groups.clone(),
        data,
        ssh,
    })
}

/// The nearest layer setting the value or its `_env` form decides; both in one layer is an
/// error (which one was meant?).
fn secret(
    layers: &[Layer<'_>],
    name: &str,
    env: &dyn Fn(&str) -> Option<String>,
    get: impl Fn(&Fields) -> (Option<&str>, Option<&str>),
) -> Result<Option<Secret>, InventoryError> {
    for l in layers {
        match get(l.fields) {
            (Some(_), Some(_)) => {
                return Err(invalid(
                    l.file,
                    format!("{}.{name}", l.key),
                    format!("set either {name} or {name}_env, not both"),
                ));
            }
            (Some(v), None) => return Ok(Some(Secret::new(v))),
            (None, Some(var)) => {
                return match env(var) {
                    Some(v) => Ok(Some(Secret::new(v))),
                    None => Err(invalid(
                        l.file,
                        format!("{}.{name}_env", l.key),
                        format!("environment variable {var} is not set"),
                    )),
                };
            }
            (None, None) => {}
        }
    }
    Ok(None)
}

fn ssh_options(layers: &[Layer<'_>]) -> Result<SshOptions, InventoryError> {
    fn pick<'a, T>(
        layers: &'a [Layer<'a>],
        get: impl Fn(&'a SshFields) -> Option<T>,
    ) -> Option<(T, &'a Layer<'a>)> {
        layers
            .iter()
            .find_map(|l| l.fields.ssh.as_ref().and_then(&get).map(|v| (v, l)))
    }
    let list = |get: fn(&SshFields) -> Option<&Vec<String>>| {
        pick(layers, get)
            .map(|(v, _)| v.clone())
            .unwrap_or_default()
    };
    let algorithms = Algorithms {
        legacy: pick(layers, |s| s.legacy_algorithms).is_some_and(|(v, _)| v),
        kex: list(|s| s.kex.as_ref()),
        ciphers: list(|s| s.ciphers.as_ref()),
        macs: list(|s| s.macs.as_ref()),
        host_key: list(|s| s.host_key_algorithms.as_ref()),
    };
    if let Err(e) = algorithms.validate() {
        let (file, key) = layers
            .iter()
            .find(|l| l.fields.ssh.is_some())
            .map_or((layers[0].file, layers[0].key.clone()), |l| {
                (l.file, format!("{}.ssh", l.key))
            });
        return Err(invalid(file, key, e.to_string()));
    }
    let timeout = |name: &str,
                   get: fn(&SshFields) -> Option<&Timeout>,
                   default: Duration|
     -> Result<Duration, InventoryError> {
        match pick(layers, get) {
            None => Ok(default),
            Some((t, l)) => parse_timeout(t)
                .ok_or_else(|| invalid(l.file, format!("{}.ssh.{name}", l.key), format!(
                    "not a duration: {t}; write seconds (30) or a number with ms, s or m (\"500ms\", \"2m\")"
                ))),
        }
    };
    Ok(SshOptions {
        algorithms,
        key_file: pick(layers, |s| s.key_file.as_deref().map(expand_home)).map(|(v, _)| v),
        use_agent: pick(layers, |s| s.use_agent).is_some_and(|(v, _)| v),
        rsa_hash: match pick(layers, |s| s.rsa_hash).map(|(v, _)| v) {
            None | Some(RsaHashName::Auto) => RsaHash::Auto,
            Some(RsaHashName::Sha1) => RsaHash::Sha1,
            Some(RsaHashName::Sha256) => RsaHash::Sha256,
            Some(RsaHashName::Sha512) => RsaHash::Sha512,
        },
        connect_timeout: timeout(
            "connect_timeout",
            |s| s.connect_timeout.as_ref(),
            DEFAULT_CONNECT_TIMEOUT,
        )?,
        command_timeout: timeout(
            "command_timeout",
            |s| s.command_timeout.as_ref(),
            DEFAULT_COMMAND_TIMEOUT,
        )?,
    })
}

impl fmt::Display for Timeout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Timeout::Seconds(s) => write!(f, "{s}"),
            Timeout::Text(t) => write!(f, "{t:?}"),
        }
    }
}

fn parse_timeout(t: &Timeout) -> Option<Duration> {
    let (number, scale) = match t {
        Timeout::Seconds(s) => (*s, 1.0),
        Timeout::Text(text) => {
            let text = text.trim();
            let (digits, scale) = [("ms", 0.001), ("s", 1.0), ("m", 60.0)]
                .iter()
                .find_map(|(suffix, scale)| text.strip_suffix(suffix).map(|d| (d, *scale)))
                .unwrap_or((text, 1.0));
            (digits.trim().parse::<f64>().ok()?, scale)
        }
    };
    let secs = number * scale;
    (secs.is_finite() && secs > 0.0 && secs < 86_400.0).then(|| Duration::from_secs_f64(secs))
}

fn resolve_tunnels(
    p: &Parsed,
    hosts: &BTreeMap<String, Host>,
) -> Result<Vec<Tunnel>, InventoryError> {
    let file = p.tunnels_file.as_str();
    let known: Vec<&str> = hosts.keys().map(String::as_str).collect();
    let mut names = BTreeSet::new();
    let mut out = Vec::new();
    for (i, t) in p.doc.tunnels.iter().enumerate() {
        let key = format!("tunnels[{i}]");
        if !names.insert(t.name.as_str()) {
            return Err(invalid(
                file,
                format!("{key}.name"),
                format!("tunnel {:?} is defined twice", t.name),
            ));
        }
        for (side, host) in [("a", &t.a), ("b", &t.b)] {
            if !hosts.contains_key(host) {
                return Err(invalid(
                    file,
                    format!("{key}.{side}"),
                    format!("unknown host {host:?}{}", did_you_mean(host, &known)),
                ));
            }
        }
        if t.a == t.b {
            return Err(invalid(
                file,
                format!("{key}.b"),
                "a tunnel needs two different hosts",
            ));
        }
        let subnets = |side: &str, list: &[String]| -> Result<Vec<Ipv4Net>, InventoryError> {
            list.iter()
                .enumerate()
                .map(|(j, s)| {
                    parse_net(s).ok_or_else(|| {
                        invalid(
                            file,
                            format!("{key}.{side}_protected[{j}]"),
                            format!("not a subnet: {s:?} (write 10.1.1.0/24)"),
                        )
                    })
                })
                .collect()
        };
        out.push(Tunnel {
            name: t.name.clone(),
            a: t.a.clone(),
            b: t.b.clone(),
            a_peer_address: t.a_peer_address,
            b_peer_address: t.b_peer_address,
            a_protected: subnets("a", &t.a_protected)?,
            b_protected: subnets("b", &t.b_protected)?,
            always_on: t.always_on,
        });
    }
    Ok(out)
}

/// `~/.ssh/id` as a shell would read it; other paths as written.
fn expand_home(path: &Path) -> PathBuf {
    match (path.strip_prefix("~"), std::env::home_dir()) {
        (Ok(rest), Some(home)) => home.join(rest),
        _ => path.to_path_buf(),
    }
}

/// `10.1.1.0/24` or a bare address (a /32).
fn parse_net(s: &str) -> Option<Ipv4Net> {
    match s.trim().split_once('/') {
        Some((addr, len)) => Ipv4Net::new(addr.parse().ok()?, len.parse().ok()?),
        None => Some(Ipv4Net::host(s.trim().parse().ok()?)),
    }
}

// ---- did you mean ----

fn did_you_mean(wrong: &str, candidates: &[&str]) -> String {
    let best = candidates
        .iter()
        .map(|c| (edit_distance(wrong, c), *c))
        .min_by_key(|(d, _)| *d);
    match best {
        Some((d, c)) if d <= (wrong.chars().count() / 3).max(2) => {
            format!("; did you mean `{c}`?")
        }
        _ => String::new(),
    }
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = if ca == *cb {
                prev
            } else {
                1 + prev.min(cur).min(row[j])
            };
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn load(text: &str) -> Result<Inventory, InventoryError> {
        Inventory::from_yaml("inv.yaml", text, &no_env)
    }

    #[test]
    fn the_labs_inventory_loads_as_written() {
        let text = "hosts:\n  R1:\n    hostname: 127.0.0.1\n    port: 2201\n    username: admin\n    password: labpass1\n    platform: cisco_ios\n    enable_secret: labenable1\n    data:\n      enable_secret: labenable1\n  R2:\n    hostname: 127.0.0.1\n    port: 2202\n    username: admin\n    password: labpass2\n    platform: cisco_ios\n    enable_secret: labenable2\n    data:\n      enable_secret: labenable2\ntunnels:\n- name: R1-R2\n  a: R1\n  b: R2\n";
        let inv = load(text).unwrap();
        let r1 = inv.host("R1").unwrap();
        assert_eq!((r1.hostname.as_str(), r1.port), ("127.0.0.1", 2201));
        assert_eq!(r1.password, Some(Secret::new("labpass1")));
        assert_eq!(r1.enable_secret, Some(Secret::new("labenable1")));
        assert_eq!(inv.tunnel("R1-R2").unwrap().b, "R2");
        let target = r1.ssh_target();
        assert_eq!(target.credentials.username, "admin");
        assert!(!format!("{r1:?}").contains("labpass1"));
    }

    #[test]
    fn host_over_groups_in_order_over_defaults() {
        let text = "
defaults:
  username: netops
  port: 22
  ssh: {connect_timeout: 5}
groups:
  old-ios:
    groups: [emea]
    ssh: {legacy_algorithms: true, command_timeout: 2m}
  emea:
    username: emea-ops
    port: 2222
    data: {region: emea, site: unknown}
hosts:
  hq:
    hostname: 198.51.100.1
    groups: [old-ios, emea]
    data: {site: hq}
  branch:
    hostname: 198.51.100.2
    username: local
";
        let inv = load(text).unwrap();
        let hq = inv.host("hq").unwrap();
        assert_eq!(hq.username, "emea-ops");
        assert_eq!(hq.port, 2222);
        assert!(hq.ssh.algorithms.legacy);
        assert_eq!(hq.ssh.command_timeout, Duration::from_secs(120));
        assert_eq!(hq.ssh.connect_timeout, Duration::from_secs(5));
        assert_eq!(hq.data["site"], "hq");
        assert_eq!(hq.data["region"], "emea");
        let branch = inv.host("branch").unwrap();
        assert_eq!((branch.username.as_str(), branch.port), ("local", 22));
        assert!(!branch.ssh.algorithms.legacy);
    }

    #[test]
    fn unknown_keys_get_a_suggestion_and_a_location() {
        let err = load("hosts:\n  R1:\n    hostnme: 10.0.0.1\n").unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("inv.yaml:3:"), "{text}");
        assert!(text.contains("did you mean `hostname`?"), "{text}");
        let err = load(
            "hosts:\n  R1:\n    hostname: 10.0.0.1\n    username: a\n    platform: cisco_iso\n",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("did you mean `cisco_ios`?"), "{err}");
        let err =
            load("hosts:\n  R1:\n    hostname: 10.0.0.1\n    ssh: {legacy_algorithm: true}\n")
                .unwrap_err()
                .to_string();
        assert!(err.contains("did you mean `legacy_algorithms`?"), "{err}");
    }

    #[test]
    fn semantic_errors_name_the_key() {
        let cases = [
            (
                "hosts: {R1: {username: a}}",
                "inv.yaml: hosts.R1: no hostname",
            ),
            (
                "hosts: {R1: {hostname: h, username: a, groups: [cor]}}\ngroups: {core: {}}",
                "inv.yaml: hosts.R1.groups[0]: unknown group \"cor\"; did you mean `core`?",
            ),
            (
                "hosts: {R1: {hostname: h, username: a}, R2: {hostname: h, username: a}}\ntunnels: [{name: t, a: R1, b: R3}]",
                "inv.yaml: tunnels[0].b: unknown host \"R3\"",
            ),
            (
                "hosts: {R1: {hostname: h, username: a, password_env: NOPE_PW}}",
                "inv.yaml: hosts.R1.password_env: environment variable NOPE_PW is not set",
            ),
            (
                "defaults: {password_env: NOPE_PW}\nhosts: {R1: {hostname: h, username: a}}",
                "inv.yaml: defaults.password_env: environment variable NOPE_PW is not set",
            ),
            (
                "hosts: {R1: {hostname: h, username: a, ssh: {macs: [hmac-md5]}}}",
                "inv.yaml: hosts.R1.ssh: unknown mac algorithm \"hmac-md5\"",
            ),
            (
                "hosts: {R1: {hostname: h, username: a, ssh: {connect_timeout: soon}}}",
                "inv.yaml: hosts.R1.ssh.connect_timeout: not a duration",
            ),
            (
                "groups: {a: {groups: [b]}, b: {groups: [a]}}\nhosts: {}",
                "group cycle",
            ),
            (
                "hosts: {R1: {hostname: h, username: a}, R2: {hostname: h, username: a}}\ntunnels: [{name: t, a: R1, b: R2, a_protected: [10.1.1.0/33]}]",
                "inv.yaml: tunnels[0].a_protected[0]: not a subnet",
            ),
        ];
        for (text, want) in cases {
            let got = load(text).unwrap_err().to_string();
            assert!(got.contains(want), "{text}\n got: {got}\nwant: {want}");
        }
    }

    #[test]
    fn secrets_from_the_environment() {
        let env = |name: &str| (name == "HQ_PW").then(|| String::from("from-env"));
        let inv = Inventory::from_yaml(
            "inv.yaml",
            "defaults: {password: default-pw}\nhosts: {hq: {hostname: h, username: a, password_env: HQ_PW}}",
            &env,
        )
        .unwrap();
        assert_eq!(
            inv.host("hq").unwrap().password,
            Some(Secret::new("from-env"))
        );
        let both = load("hosts: {R1: {hostname: h, username: a, password: x, password_env: Y}}")
            .unwrap_err()
            .to_string();
        assert!(both.contains("not both"), "{both}");
    }

    #[test]
    fn timeouts_and_subnets() {
        let t = |s: &str| parse_timeout(&Timeout::Text(s.into()));
        assert_eq!(t("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(t("30s"), Some(Duration::from_secs(30)));
        assert_eq!(t("2m"), Some(Duration::from_secs(120)));
        assert_eq!(t("-1"), None);
        assert_eq!(
            parse_timeout(&Timeout::Seconds(1.5)),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(parse_net("10.1.1.0/24").map(|n| n.len), Some(24));
        assert_eq!(parse_net("10.1.1.9").map(|n| n.len), Some(32));
        assert_eq!(parse_net("10.1.1.0/x"), None);
    }

    #[test]
    fn empty_file_is_an_empty_inventory() {
        let inv = load("").unwrap();
        assert!(inv.hosts.is_empty() && inv.tunnels.is_empty());
    }
}
