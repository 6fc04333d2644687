//! `[insurers.prestij.sftp]`: the settings of the SFTP port (`channels::sftp`), here so that
//! the Prest'IJ settings (`engine::prestij::config`) embed them without importing a port
//! (docs/ARCHITECTURE.md). The pinned host key is checked here: parsing it is no I/O.

use russh::keys::PublicKey;
use serde::Deserialize;
use std::path::PathBuf;
use std::time::Duration;

/// `[insurers.prestij.sftp]`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SftpConfig {
    pub host: String,
    #[serde(default = "default_port")]
    pub port: u16,
    pub user: String,
    /// Private key (OpenSSH format), mode 0600.
    pub key_file: PathBuf,
    /// The server's host key, as in known_hosts: `ssh-ed25519 AAAA…`.
    pub host_key: String,
    /// Remote folder the GESTIP are put in.
    pub remote_out: String,
    /// Remote folder the answers and BPIJ are taken from.
    pub remote_in: String,
    #[serde(default = "default_timeout", with = "humantime_serde")]
    pub timeout: Duration,
}

fn default_port() -> u16 {
    22
}

fn default_timeout() -> Duration {
    Duration::from_secs(30)
}

/// The pinned host key does not read.
#[derive(Debug, thiserror::Error)]
#[error("sftp: pinned host key unreadable: {0}")]
pub struct PinError(pub String);

/// Parses the pinned key line (`type base64 [comment]`).
pub fn parse_pin(line: &str) -> Result<PublicKey, PinError> {
    let b64 = line
        .split_whitespace()
        .nth(1)
        .ok_or_else(|| PinError("expected `type base64`".into()))?;
    russh::keys::parse_public_key_base64(b64).map_err(|e| PinError(e.to_string()))
}
