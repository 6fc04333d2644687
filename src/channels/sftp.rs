//! SFTP transfer (Prest'IJ to a concentrator or the CNAM): `russh` + `russh-sftp`, ring
//! crypto only.
//!
//! - the server's host key is pinned (`host_key`, an OpenSSH public key line): any other key
//!   is refused before authentication;
//! - the client key is read from a file that must be private (0600, [`fsio::check_secret_mode`]);
//! - uploads go to a dot-prefixed temporary name, are closed, then renamed: the server side
//!   never shows a partial file; downloads are written locally by temp + rename + fsync and
//!   removed from the server only after, so a crash re-downloads (the consumer is idempotent)
//!   but never loses a file.

use russh::client;
use russh::keys::{PrivateKeyWithHashAlg, PublicKey, PublicKeyOrCertificate};
use russh_sftp::client::SftpSession;
use std::path::Path;
use std::sync::Arc;

use crate::channels::fsio::{self, Perms};

/// `[insurers.prestij.sftp]` (settings in `config::sftp`).
pub use crate::config::sftp::SftpConfig;

#[derive(Debug, thiserror::Error)]
pub enum SftpError {
    #[error("sftp {0}: key file: {1}")]
    Key(String, String),
    #[error("sftp: pinned host key unreadable: {0}")]
    Pin(String),
    #[error("sftp {0}: {1}")]
    Connect(String, String),
    #[error("sftp {0}: the server's host key is not the pinned one")]
    HostKey(String),
    #[error("sftp {0}: authentication refused for {1}")]
    Auth(String, String),
    #[error("sftp {0}: {1}")]
    Transfer(String, String),
    #[error("sftp: local {0}: {1}")]
    Local(String, std::io::Error),
}

struct Pinned {
    key: PublicKey,
    mismatch: Arc<std::sync::atomic::AtomicBool>,
}

impl client::Handler for Pinned {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        server: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        let ok = matches!(server, PublicKeyOrCertificate::PublicKey { key, .. } if key.key_data() == self.key.key_data());
        if !ok {
            self.mismatch
                .store(true, std::sync::atomic::Ordering::Relaxed);
        }
        Ok(ok)
    }
}

/// An open SFTP session.
pub struct Session {
    sftp: SftpSession,
    _handle: client::Handle<Pinned>,
    what: String,
}

/// Parses the pinned key line (`type base64 [comment]`).
pub fn parse_pin(line: &str) -> Result<PublicKey, SftpError> {
    crate::config::sftp::parse_pin(line).map_err(|e| SftpError::Pin(e.0))
}

/// Connects, checks the host key, authenticates and opens the SFTP subsystem.
pub async fn connect(cfg: &SftpConfig) -> Result<Session, SftpError> {
    let what = format!("{}@{}:{}", cfg.user, cfg.host, cfg.port);
    let kf = cfg.key_file.display().to_string();
    fsio::check_secret_mode(&cfg.key_file)
        .map_err(|e| SftpError::Key(kf.clone(), e.to_string()))?;
    let key = russh::keys::load_secret_key(&cfg.key_file, None)
        .map_err(|e| SftpError::Key(kf.clone(), e.to_string()))?;
    let pin = parse_pin(&cfg.host_key)?;
    let mismatch = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let config = Arc::new(client::Config {
        inactivity_timeout: Some(cfg.timeout),
        ..Default::default()
    });
    let handler = Pinned {
        key: pin,
        mismatch: mismatch.clone(),
    };
    let fut = client::connect(config, (cfg.host.as_str(), cfg.port), handler);
    let mut handle = match tokio::time::timeout(cfg.timeout, fut).await {
        Ok(Ok(h)) => h,
        Ok(Err(e)) => {
            if mismatch.load(std::sync::atomic::Ordering::Relaxed) {
                return Err(SftpError::HostKey(what));
            }
            return Err(SftpError::Connect(what, e.to_string()));
        }
        Err(_) => return Err(SftpError::Connect(what, "timed out".into())),
    };
    let hash = handle
        .best_supported_rsa_hash()
        .await
        .map_err(|e| SftpError::Connect(what.clone(), e.to_string()))?
        .flatten();
    let auth = handle
        .authenticate_publickey(&cfg.user, PrivateKeyWithHashAlg::new(Arc::new(key), hash))
        .await
        .map_err(|e| SftpError::Connect(what.clone(), e.to_string()))?;
    if !auth.success() {
        return Err(SftpError::Auth(what, cfg.user.clone()));
    }
    let t = |e: &dyn std::fmt::Display| SftpError::Transfer(what.clone(), e.to_string());
    let channel = handle.channel_open_session().await.map_err(|e| t(&e))?;
    channel
        .request_subsystem(true, "sftp")
        .await
        .map_err(|e| t(&e))?;
    let sftp = SftpSession::new(channel.into_stream())
        .await
        .map_err(|e| t(&e))?;
    Ok(Session {
        sftp,
        _handle: handle,
        what,
    })
}

impl Session {
    fn err(&self, op: &str, e: impl std::fmt::Display) -> SftpError {
        SftpError::Transfer(self.what.clone(), format!("{op}: {e}"))
    }

    /// Puts `data` as `<dir>/<name>`: written under `.<name>.tmp`, closed, then renamed. A file
    /// already there under that name is the same delivery (names are flow ids): kept.
    pub async fn put(&self, dir: &str, name: &str, data: &[u8]) -> Result<(), SftpError> {
        use tokio::io::AsyncWriteExt;
        let tmp = format!("{dir}/.{name}.tmp");
        let dest = format!("{dir}/{name}");
        let mut f = self
            .sftp
            .create(tmp.clone())
            .await
            .map_err(|e| self.err(&tmp, e))?;
        f.write_all(data).await.map_err(|e| self.err(&tmp, e))?;
        f.shutdown().await.map_err(|e| self.err(&tmp, e))?;
        if self
            .sftp
            .try_exists(dest.clone())
            .await
            .map_err(|e| self.err(&dest, e))?
        {
            let _ = self.sftp.remove_file(tmp).await;
            return Ok(());
        }
        self.sftp
            .rename(tmp.clone(), dest.clone())
            .await
            .map_err(|e| self.err(&dest, e))
    }

    /// Moves every complete file of remote `dir` to local `local` (temp + rename + fsync),
    /// then removes it remotely. Dot-prefixed and `.tmp` names are someone's partial upload.
    pub async fn take_all(
        &self,
        dir: &str,
        local: &Path,
        perms: Perms,
    ) -> Result<usize, SftpError> {
        let entries = self
            .sftp
            .read_dir(dir.to_string())
            .await
            .map_err(|e| self.err(dir, e))?;
        let mut names: Vec<String> = entries
            .filter(|e| e.file_type().is_file())
            .map(|e| e.file_name())
            .filter(|n| !crate::fsio::ignored(n) && !n.contains('/'))
            .collect();
        names.sort();
        for n in &names {
            let remote = format!("{dir}/{n}");
            let data = self
                .sftp
                .read(remote.clone())
                .await
                .map_err(|e| self.err(&remote, e))?;
            let dest = local.join(n);
            fsio::write_atomic(&dest, &data, perms)
                .map_err(|e| SftpError::Local(dest.display().to_string(), e))?;
            self.sftp
                .remove_file(remote.clone())
                .await
                .map_err(|e| self.err(&remote, e))?;
        }
        Ok(names.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_pin_is_refused() {
        assert!(parse_pin("ssh-ed25519").is_err());
        assert!(parse_pin("ssh-ed25519 !!!").is_err());
    }
}
