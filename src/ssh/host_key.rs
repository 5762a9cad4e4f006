//! Host key checks against an OpenSSH known_hosts file: strict by default, trust on first use
//! only when asked, and a changed key always refused.

use super::error::SshError;
use russh::keys::{HashAlg, PublicKey, known_hosts};
use std::path::{Path, PathBuf};

/// How to treat a router's host key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostKeyPolicy {
    /// The known_hosts file (OpenSSH format) to check and, with `accept_new`, to extend.
    pub known_hosts: PathBuf,
    /// `--accept-new-host-keys`: an unknown host's key is learned; a changed key is still an
    /// error.
    pub accept_new: bool,
}

impl HostKeyPolicy {
    pub fn strict(known_hosts: impl Into<PathBuf>) -> HostKeyPolicy {
        HostKeyPolicy {
            known_hosts: known_hosts.into(),
            accept_new: false,
        }
    }

    pub fn accept_new(known_hosts: impl Into<PathBuf>) -> HostKeyPolicy {
        HostKeyPolicy {
            known_hosts: known_hosts.into(),
            accept_new: true,
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

/// Accepts `key` for `host`:`port` or says why not.
pub fn verify(
    host: &str,
    port: u16,
    key: &PublicKey,
    policy: &HostKeyPolicy,
) -> Result<(), SshError> {
    let path = &policy.known_hosts;
    match known_hosts::check_known_hosts_path(host, port, key, path) {
        Ok(true) => Ok(()),
        Ok(false) if policy.accept_new => {
            known_hosts::learn_known_hosts_path(host, port, key, path).map_err(|e| {
                SshError::KnownHosts {
                    path: path.clone(),
                    detail: format!("cannot record the new key: {e}"),
                }
            })?;
            tracing::info!(host, port, fingerprint = %fingerprint(key), "learned host key");
            Ok(())
        }
        Ok(false) => Err(SshError::HostKeyUnknown {
            host: host.to_string(),
            port,
            fingerprint: fingerprint(key),
        }),
        Err(russh::keys::Error::KeyChanged { line }) => Err(SshError::HostKeyChanged {
            host: host.to_string(),
            port,
            path: path.clone(),
            line: file_line(path, line),
        }),
        Err(e) => Err(SshError::KnownHosts {
            path: path.clone(),
            detail: e.to_string(),
        }),
    }
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
}
