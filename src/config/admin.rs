//! `[admin]`: the settings of the health and metrics listener (`channels::admin`), here so
//! that `config` imports nothing above the domain (docs/ARCHITECTURE.md).

use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// `[admin]`: the health and metrics listener.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Admin {
    /// Serve /healthz and /metrics.
    pub enabled: bool,
    /// Plain HTTP: keep it on loopback (or a management network) unless a token is set.
    pub listen: SocketAddr,
    /// When set, every request must carry `Authorization: Bearer <token>`; the file must not
    /// be readable by group or others.
    pub bearer_token_file: Option<PathBuf>,
}

impl Default for Admin {
    fn default() -> Self {
        Admin {
            // Off unless asked: two daemons on one host (tests, staging) must not fight for
            // the port. The packaged configuration turns it on.
            enabled: false,
            listen: SocketAddr::from(([127, 0, 0, 1], 9187)),
            bearer_token_file: None,
        }
    }
}

impl Admin {
    /// Problems in this section, as sentences naming the setting.
    pub fn validate(&self) -> Vec<String> {
        let mut p = Vec::new();
        if let (true, Some(f)) = (self.enabled, &self.bearer_token_file) {
            match crate::fsio::read_secret(f) {
                Ok(t) if t.trim().is_empty() => {
                    p.push(format!("admin.bearer_token_file: {} is empty", f.display()))
                }
                Ok(_) => {}
                Err(e) => p.push(format!("admin.bearer_token_file: {e}")),
            }
        }
        if self.enabled && !self.listen.ip().is_loopback() && self.bearer_token_file.is_none() {
            p.push(format!(
                "admin.listen: {} is not a loopback address: set admin.bearer_token_file",
                self.listen
            ));
        }
        p
    }

    /// Resolves a relative token path against the configuration folder.
    pub fn resolve_paths(&mut self, base: &Path) {
        if let Some(f) = &mut self.bearer_token_file
            && f.is_relative()
        {
            *f = base.join(&*f);
        }
    }
}
