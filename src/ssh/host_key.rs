//! Host key checks against an OpenSSH known_hosts file: strict by default, trust on first use
//! only when asked, and a changed key always refused.
//!
//! A host known under one key type that presents a key of another type is a changed key too:
//! an impostor without the router's key would present whatever type it has, and learning it
//! as "new" would hand it the password. As OpenSSH does, the types already known for the host
//! are asked for first ([`prefer_known`]), so a router holding several keys presents the one on
//! record.

use super::error::{KeyTypeChange, SshError};
use russh::keys::ssh_key::Algorithm;
use russh::keys::{HashAlg, PublicKey, known_hosts};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// How to treat a router's host key.
#[derive(Debug, Clone)]
pub struct HostKeyPolicy {
    /// The known_hosts file (OpenSSH format) to check and, with `accept_new`, to extend.
    pub known_hosts: PathBuf,
    /// `--accept-new-host-keys`: an unknown host's key is learned; a changed key is still an
    /// error.
    pub accept_new: bool,
    /// The file read once for every connection of a run (clones share it).
    index: Arc<Mutex<Index>>,
}

impl PartialEq for HostKeyPolicy {
    fn eq(&self, other: &HostKeyPolicy) -> bool {
        self.known_hosts == other.known_hosts && self.accept_new == other.accept_new
    }
}

impl Eq for HostKeyPolicy {}

impl HostKeyPolicy {
    pub fn strict(known_hosts: impl Into<PathBuf>) -> HostKeyPolicy {
        HostKeyPolicy {
            known_hosts: known_hosts.into(),
            accept_new: false,
            index: Arc::default(),
        }
    }

    pub fn accept_new(known_hosts: impl Into<PathBuf>) -> HostKeyPolicy {
        HostKeyPolicy {
            known_hosts: known_hosts.into(),
            accept_new: true,
            index: Arc::default(),
        }
    }

    /// `~/.ssh/known_hosts`, or `None` when there is no home directory.
    pub fn default_path() -> Option<PathBuf> {
        std::env::home_dir().map(|h| h.join(".ssh").join("known_hosts"))
    }
}

/// `SHA256:…`, as `ssh-keygen -lf` prints it.
pub fn fingerprint(key: &PublicKey) -> String {
    key.fingerprint(HashAlg::Sha256).to_string()
}

/// known_hosts by host name, read once and again only when the file changes (its size,
/// modification time or inode): every connection used to read and scan the whole file twice,
/// which for a fleet of N routers listed in it costs N² lines a run.
///
/// It reads entries as russh's `known_hosts` does (which it stands in for): `#` lines skipped
/// and not counted, the first field a comma-separated list of names, the third the key, parsed
/// only for the host asked about. A file with hashed names (`|1|salt|hash`) is left to russh.
#[derive(Debug, Default)]
struct Index {
    stamp: Option<(u64, std::time::SystemTime, u64)>,
    /// `[host]:port` (or `host` for port 22) → (entry number, base64 key).
    plain: HashMap<String, Vec<(usize, String)>>,
    hashed: bool,
}

impl Index {
    fn load(path: &Path) -> Index {
        use std::os::unix::fs::MetadataExt;
        let Ok(meta) = std::fs::metadata(path) else {
            return Index::default();
        };
        let stamp = meta.modified().ok().map(|m| (meta.len(), m, meta.ino()));
        let mut index = Index {
            stamp,
            ..Index::default()
        };
        let Ok(text) = std::fs::read_to_string(path) else {
            // Unreadable now: russh will say why.
            index.hashed = true;
            return index;
        };
        let mut entry = 0;
        for line in text.lines() {
            if line.starts_with('#') {
                continue;
            }
            entry += 1;
            let mut fields = line.split(' ');
            let (Some(hosts), _, Some(key)) = (fields.next(), fields.next(), fields.next()) else {
                continue;
            };
            for name in hosts.split(',') {
                if name.starts_with("|1|") {
                    index.hashed = true;
                } else {
                    index
                        .plain
                        .entry(name.to_string())
                        .or_default()
                        .push((entry, key.to_string()));
                }
            }
        }
        index
    }

    fn fresh(&self, path: &Path) -> bool {
        use std::os::unix::fs::MetadataExt;
        let now = std::fs::metadata(path)
            .ok()
            .and_then(|m| m.modified().ok().map(|t| (m.len(), t, m.ino())));
        self.stamp.is_some() && now == self.stamp
    }
}

/// The keys known_hosts records for `host`:`port`, with russh's entry numbers.
fn recorded(
    host: &str,
    port: u16,
    policy: &HostKeyPolicy,
) -> Result<Vec<(usize, PublicKey)>, russh::keys::Error> {
    let path = &policy.known_hosts;
    let name = if port == 22 {
        host.to_string()
    } else {
        format!("[{host}]:{port}")
    };
    let entries = {
        let mut index = policy.index.lock().unwrap_or_else(|p| p.into_inner());
        if !index.fresh(path) {
            *index = Index::load(path);
        }
        if index.hashed {
            None
        } else {
            Some(index.plain.get(&name).cloned().unwrap_or_default())
        }
    };
    match entries {
        None => known_hosts::known_host_keys_path(host, port, path),
        Some(entries) => entries
            .into_iter()
            .map(|(line, key)| Ok((line, russh::keys::parse_public_key_base64(key.trim())?)))
            .collect(),
    }
}

/// Accepts `key` for `host`:`port` or says why not.
pub fn verify(
    host: &str,
    port: u16,
    key: &PublicKey,
    policy: &HostKeyPolicy,
) -> Result<(), SshError> {
    let path = &policy.known_hosts;
    // As russh's `check_known_hosts_path`: a recorded key of the same type that differs is a
    // changed key; a match of type and key is known.
    let checked = recorded(host, port, policy).and_then(|keys| {
        let mut known = false;
        for (line, k) in &keys {
            if k.algorithm() == key.algorithm() {
                if k != key {
                    return Err(russh::keys::Error::KeyChanged { line: *line });
                }
                known = true;
            }
        }
        Ok((known, keys))
    });
    match &checked {
        Ok((true, _)) => Ok(()),
        // Known, but under another key type: not new, changed.
        Ok((false, keys)) if let Some((line, known)) = keys.first() => {
            Err(SshError::HostKeyTypeChanged(Box::new(KeyTypeChange {
                host: host.to_string(),
                port,
                path: path.clone(),
                line: file_line(path, *line),
                known: known.algorithm().to_string(),
                presented: key.algorithm().to_string(),
            })))
        }
        Ok((false, _)) if policy.accept_new => {
            known_hosts::learn_known_hosts_path(host, port, key, path).map_err(|e| {
                SshError::KnownHosts {
                    path: path.clone(),
                    detail: format!("cannot record the new key: {e}"),
                }
            })?;
            tracing::info!(host, port, fingerprint = %fingerprint(key), "learned host key");
            Ok(())
        }
        Ok((false, _)) => Err(SshError::HostKeyUnknown {
            host: host.to_string(),
            port,
            fingerprint: fingerprint(key),
        }),
        Err(russh::keys::Error::KeyChanged { line }) => Err(SshError::HostKeyChanged {
            host: host.to_string(),
            port,
            path: path.clone(),
            line: file_line(path, *line),
        }),
        Err(e) => Err(SshError::KnownHosts {
            path: path.clone(),
            detail: e.to_string(),
        }),
    }
}

/// RSA keys sign with several hash names (`ssh-rsa`, `rsa-sha2-256`, `rsa-sha2-512`); they are
/// one key type.
fn same_type(a: &Algorithm, b: &Algorithm) -> bool {
    matches!((a, b), (Algorithm::Rsa { .. }, Algorithm::Rsa { .. })) || a == b
}

/// Reorders the host key algorithms offered to `host`:`port` so that the types known_hosts
/// records for it come first (OpenSSH does the same): a router with several host keys then
/// presents the one on record, and any other type can be treated as a changed key.
pub fn prefer_known(
    algorithms: &mut Vec<Algorithm>,
    host: &str,
    port: u16,
    policy: &HostKeyPolicy,
) {
    // An unreadable or malformed file counts as none here: `verify` reports it.
    let known: Vec<Algorithm> = recorded(host, port, policy)
        .unwrap_or_default()
        .iter()
        .map(|(_, k)| k.algorithm())
        .collect();
    if known.is_empty() {
        return;
    }
    // A stable partition keeps the configured order within each half.
    let (mut first, rest): (Vec<Algorithm>, Vec<Algorithm>) = algorithms
        .drain(..)
        .partition(|a| known.iter().any(|k| same_type(a, k)));
    first.extend(rest);
    *algorithms = first;
}

/// russh numbers known_hosts entries without counting `#` comment lines; the user needs the
/// line an editor shows, so count again including them.
fn file_line(path: &Path, entry: usize) -> usize {
    let Ok(text) = std::fs::read_to_string(path) else {
        return entry;
    };
    let mut seen = 0;
    for (i, line) in text.lines().enumerate() {
        if !line.starts_with('#') {
            seen += 1;
            if seen == entry {
                return i + 1;
            }
        }
    }
    entry
}

#[cfg(test)]
mod tests {
    use super::*;
    use russh::keys::PrivateKey;
    use russh::keys::ssh_key::private::Ed25519Keypair;

    fn key(seed: u8) -> PublicKey {
        PrivateKey::from(Ed25519Keypair::from_seed(&[seed; 32]))
            .public_key()
            .clone()
    }

    #[test]
    fn strict_unknown_accept_new_then_changed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("known_hosts");
        let strict = HostKeyPolicy::strict(&path);
        let e = verify("10.0.0.1", 2201, &key(1), &strict).unwrap_err();
        assert!(
            matches!(e, SshError::HostKeyUnknown { port: 2201, .. }),
            "{e}"
        );
        assert!(e.to_string().contains("--accept-new-host-keys"));
        assert!(e.to_string().contains("SHA256:"));

        verify("10.0.0.1", 2201, &key(1), &HostKeyPolicy::accept_new(&path)).unwrap();
        verify("10.0.0.1", 2201, &key(1), &strict).unwrap();

        // A comment above the entry: the reported line is the editor's line.
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, format!("# routers\n{}", text.trim_start())).unwrap();
        let e = verify("10.0.0.1", 2201, &key(2), &HostKeyPolicy::accept_new(&path)).unwrap_err();
        match e {
            SshError::HostKeyChanged { line, .. } => assert_eq!(line, 2),
            other => panic!("{other}"),
        }
    }

    /// An ECDSA key for the same host, from `ssh-keygen -t ecdsa` (a fixed test key).
    const ECDSA: &str = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBLCioIxgIFTa0e9w6FrBuO5AMbgVjvM1fbraaqj+OTZiVCHKWTnchQlz8zb9X9zydLAUv0UQ/WdJJBM71licPQc=";

    #[test]
    fn another_key_type_is_a_changed_key_even_when_learning() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("known_hosts");
        std::fs::write(&path, format!("# routers\n[10.0.0.1]:2201 {ECDSA}\n")).unwrap();
        let e = verify("10.0.0.1", 2201, &key(1), &HostKeyPolicy::accept_new(&path)).unwrap_err();
        match &e {
            SshError::HostKeyTypeChanged(c) => {
                assert_eq!(c.line, 2);
                assert_eq!(c.known, "ecdsa-sha2-nistp256");
                assert_eq!(c.presented, "ssh-ed25519");
            }
            other => panic!("{other}"),
        }
        assert!(e.to_string().contains("line 2 of"), "{e}");
        // Nothing was learned.
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 2, "{text}");
        // Another host is still new.
        verify("10.0.0.2", 2201, &key(1), &HostKeyPolicy::accept_new(&path)).unwrap();
    }

    /// One policy serves a whole run: what another process (or `--accept-new-host-keys`)
    /// writes to the file meanwhile is seen by the next connection.
    #[test]
    fn the_file_is_read_again_when_it_changes_and_hashed_names_still_match() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("known_hosts");
        let strict = HostKeyPolicy::strict(&path);
        assert!(matches!(
            verify("10.0.0.1", 2201, &key(1), &strict),
            Err(SshError::HostKeyUnknown { .. })
        ));
        let line = |host: &str, k: &PublicKey| format!("{host} {}\n", k.to_openssh().unwrap());
        std::fs::write(&path, line("[10.0.0.1]:2201,[10.0.0.2]:2201", &key(1))).unwrap();
        verify("10.0.0.1", 2201, &key(1), &strict).unwrap();
        verify("10.0.0.2", 2201, &key(1), &strict).unwrap();
        assert!(matches!(
            verify("10.0.0.2", 2201, &key(2), &strict),
            Err(SshError::HostKeyChanged { line: 1, .. })
        ));
        // `ssh-keygen -H` form: HMAC-SHA1 of `[10.0.0.3]:2201` under salt 00 01 … 13.
        let hashed = "|1|AAECAwQFBgcICQoLDA0ODxAREhM=|T6oGU+iuJbZ/OleyGmPDNclgWS8=";
        let mut text = std::fs::read_to_string(&path).unwrap();
        text.push_str(&line(hashed, &key(3)));
        std::fs::write(&path, text).unwrap();
        verify("10.0.0.3", 2201, &key(3), &strict).unwrap();
        verify("10.0.0.1", 2201, &key(1), &strict).unwrap();
        assert!(matches!(
            verify("10.0.0.3", 2201, &key(1), &strict),
            Err(SshError::HostKeyChanged { line: 2, .. })
        ));
    }

    #[test]
    fn known_types_are_asked_for_first() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("known_hosts");
        std::fs::write(&path, format!("[10.0.0.1]:2201 {ECDSA}\n")).unwrap();
        let mut algs = vec![
            Algorithm::Ed25519,
            Algorithm::Rsa {
                hash: Some(HashAlg::Sha512),
            },
            Algorithm::Ecdsa {
                curve: russh::keys::ssh_key::EcdsaCurve::NistP256,
            },
        ];
        prefer_known(&mut algs, "10.0.0.1", 2201, &HostKeyPolicy::strict(&path));
        assert_eq!(algs[0].to_string(), "ecdsa-sha2-nistp256");
        assert_eq!(algs[1], Algorithm::Ed25519);
        let before = algs.clone();
        prefer_known(&mut algs, "10.0.0.9", 22, &HostKeyPolicy::strict(&path));
        assert_eq!(algs, before, "unknown host: order kept");
    }
}
