//! The authentication chain: public key file, ssh-agent, password, keyboard-interactive, each
//! tried only if configured and (once the server has said) allowed.
//!
//! Attempts are few on purpose: IOS drops the connection after three failures
//! (`ip ssh authentication-retries`), so a key is never offered twice with the same hash.

use super::error::SshError;
use russh::client::{self, AuthResult, KeyboardInteractiveAuthResponse};
use russh::keys::agent::client::AgentClient;
use russh::keys::{HashAlg, PrivateKey, PrivateKeyWithHashAlg};
use russh::{MethodKind, MethodSet};
use std::path::PathBuf;
use std::sync::Arc;

use crate::secret::Secret;

/// Which hash an RSA user key signs with (inventory `rsa_hash`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RsaHash {
    /// Ask the server (EXT_INFO `server-sig-algs`); old IOS sends none and gets ssh-rsa
    /// (SHA-1) after russh's one-second wait. A refusal is retried once with SHA-1.
    #[default]
    Auto,
    Sha1,
    Sha256,
    Sha512,
}

impl RsaHash {
    fn fixed(self) -> Option<Option<HashAlg>> {
        match self {
            RsaHash::Auto => None,
            RsaHash::Sha1 => Some(None),
            RsaHash::Sha256 => Some(Some(HashAlg::Sha256)),
            RsaHash::Sha512 => Some(Some(HashAlg::Sha512)),
        }
    }
}

/// What the chain may use. Secrets stay in [`Secret`] until the moment they are sent.
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    pub username: String,
    pub password: Option<Secret>,
    pub key_file: Option<PathBuf>,
    pub use_agent: bool,
    pub rsa_hash: RsaHash,
}

/// Tracks what was tried and what the server said it allows, for the error message.
struct Attempts {
    tried: Vec<String>,
    /// `None` until the first failure tells us.
    allowed: Option<MethodSet>,
}

impl Attempts {
    fn allows(&self, kind: MethodKind) -> bool {
        self.allowed.as_ref().is_none_or(|m| m.contains(&kind))
    }

    /// Records a refused attempt and what the server still allows.
    fn failed(&mut self, what: &str, result: AuthResult) {
        if let AuthResult::Failure {
            remaining_methods, ..
        } = result
        {
            self.tried.push(what.to_string());
            self.allowed = Some(remaining_methods);
        }
    }
}

/// Runs the chain; `Ok` once the server accepted one method.
pub async fn authenticate<H: client::Handler>(
    handle: &mut client::Handle<H>,
    creds: &Credentials,
) -> Result<(), SshError> {
    let user = creds.username.as_str();
    let mut at = Attempts {
        tried: Vec::new(),
        allowed: None,
    };

    if let Some(path) = &creds.key_file {
        let key = russh::keys::load_secret_key(path, None).map_err(|e| SshError::KeyFile {
            path: path.clone(),
            detail: e.to_string(),
        })?;
        if key_file(handle, user, key, creds.rsa_hash, &mut at).await? {
            return Ok(());
        }
    }
    if creds.use_agent && at.allows(MethodKind::PublicKey) && agent(handle, user, &mut at).await? {
        return Ok(());
    }
    if let Some(password) = &creds.password {
        if at.allows(MethodKind::Password) {
            let r = handle
                .authenticate_password(user, password.expose())
                .await
                .map_err(SshError::Protocol)?;
            if r.success() {
                return Ok(());
            }
            at.failed("password", r);
        }
        if at.allows(MethodKind::KeyboardInteractive)
            && keyboard_interactive(handle, user, password, &mut at).await?
        {
            return Ok(());
        }
    }
    Err(SshError::AuthRejected {
        user: user.to_string(),
        tried: at.tried,
        allowed: at
            .allowed
            .map(|m| {
                m.iter()
                    .map(|k| <&str>::from(k).to_string())
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default(),
    })
}

async fn key_file<H: client::Handler>(
    handle: &mut client::Handle<H>,
    user: &str,
    key: PrivateKey,
    rsa_hash: RsaHash,
    at: &mut Attempts,
) -> Result<bool, SshError> {
    let key = Arc::new(key);
    let is_rsa = key.algorithm().is_rsa();
    let hash = match rsa_hash.fixed() {
        Some(h) => h,
        None if is_rsa => handle
            .best_supported_rsa_hash()
            .await
            .map_err(SshError::Protocol)?
            .flatten(),
        None => None,
    };
    let r = handle
        .authenticate_publickey(user, PrivateKeyWithHashAlg::new(key.clone(), hash))
        .await
        .map_err(SshError::Protocol)?;
    if r.success() {
        return Ok(true);
    }
    at.failed(&format!("publickey ({})", key.algorithm()), r);
    // Servers have advertised rsa-sha2 and then accepted only ssh-rsa (russh-notes G1).
    if is_rsa && rsa_hash == RsaHash::Auto && hash.is_some() && at.allows(MethodKind::PublicKey) {
        let r = handle
            .authenticate_publickey(user, PrivateKeyWithHashAlg::new(key, None))
            .await
            .map_err(SshError::Protocol)?;
        if r.success() {
            return Ok(true);
        }
        at.failed("publickey (ssh-rsa, SHA-1)", r);
    }
    Ok(false)
}

/// Tries the agent's first two keys at most, to stay under the server's retry limit.
async fn agent<H: client::Handler>(
    handle: &mut client::Handle<H>,
    user: &str,
    at: &mut Attempts,
) -> Result<bool, SshError> {
    let mut agent = match AgentClient::connect_env().await {
        Ok(a) => a,
        Err(e) => {
            tracing::debug!("ssh-agent not available: {e}");
            return Ok(false);
        }
    };
    let identities = match agent.request_identities().await {
        Ok(ids) => ids,
        Err(e) => {
            tracing::debug!("ssh-agent lists no keys: {e}");
            return Ok(false);
        }
    };
    for identity in identities.iter().take(2) {
        let key = identity.public_key().into_owned();
        let hash = if key.algorithm().is_rsa() {
            handle
                .best_supported_rsa_hash()
                .await
                .map_err(SshError::Protocol)?
                .flatten()
        } else {
            None
        };
        match handle
            .authenticate_publickey_with(user, key.clone(), hash, &mut agent)
            .await
        {
            Ok(r) if r.success() => return Ok(true),
            Ok(r) => {
                at.failed(&format!("agent key ({})", key.algorithm()), r);
                if !at.allows(MethodKind::PublicKey) {
                    break;
                }
            }
            Err(e) => tracing::debug!("ssh-agent could not sign: {e}"),
        }
    }
    Ok(false)
}

/// Answers every prompt that asks for a password with the password and any other prompt with
/// an empty line (IOS AAA asks only `Password:`).
async fn keyboard_interactive<H: client::Handler>(
    handle: &mut client::Handle<H>,
    user: &str,
    password: &Secret,
    at: &mut Attempts,
) -> Result<bool, SshError> {
    let mut reply = handle
        .authenticate_keyboard_interactive_start(user, None)
        .await
        .map_err(SshError::Protocol)?;
    // A server that keeps asking is refused after a few rounds instead of looping forever.
    for _ in 0..4 {
        match reply {
            KeyboardInteractiveAuthResponse::Success => return Ok(true),
            KeyboardInteractiveAuthResponse::Failure {
                remaining_methods,
                partial_success,
            } => {
                at.failed(
                    "keyboard-interactive",
                    AuthResult::Failure {
                        remaining_methods,
                        partial_success,
                    },
                );
                return Ok(false);
            }
            KeyboardInteractiveAuthResponse::InfoRequest { prompts, .. } => {
                let answers = prompts
                    .iter()
                    .map(|p| {
                        if p.prompt.to_lowercase().contains("pass") {
                            password.expose().to_string()
                        } else {
                            String::new()
                        }
                    })
                    .collect();
                reply = handle
                    .authenticate_keyboard_interactive_respond(answers)
                    .await
                    .map_err(SshError::Protocol)?;
            }
        }
    }
    at.tried.push(String::from("keyboard-interactive"));
    Ok(false)
}
