//! `[console]`: the settings of the operator console (`console`), here so that `config`
//! imports nothing above the domain (docs/ARCHITECTURE.md). The console adds what needs its
//! own types (`ConsoleConfig::lang`).

use serde::Deserialize;
use std::path::{Path, PathBuf};

/// `[console]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConsoleConfig {
    /// Serve the console on the admin listener (when `[admin]` is enabled).
    pub enabled: bool,
    /// Labels: "fr" (default) or "en".
    pub lang: String,
    /// Serve the admin listener over TLS with client certificates (required off loopback).
    pub tls: bool,
    /// Server certificate and key; default: the web service's (`api.cert_file`, `api.key_file`).
    pub cert_file: Option<PathBuf>,
    pub key_file: Option<PathBuf>,
    /// CA of the operators' client certificates; default: `api.client_ca_file`.
    pub client_ca_file: Option<PathBuf>,
    /// Certificate identities (DNS SAN or CN) allowed to act.
    pub operators: Vec<String>,
    /// Certificate identities allowed to read.
    pub viewers: Vec<String>,
    /// Role of a loopback peer without TLS: "viewer", "operator" or "none".
    pub local_role: String,
    /// Identity journaled for the actions of a loopback peer without TLS.
    pub local_identity: String,
    /// Rows per page in the declarations list.
    pub page_size: usize,
}

impl Default for ConsoleConfig {
    fn default() -> Self {
        ConsoleConfig {
            enabled: true,
            lang: "fr".into(),
            tls: false,
            cert_file: None,
            key_file: None,
            client_ca_file: None,
            operators: Vec::new(),
            viewers: Vec::new(),
            local_role: "viewer".into(),
            local_identity: "local".into(),
            page_size: 50,
        }
    }
}

impl ConsoleConfig {
    pub fn validate(&self, admin: &super::admin::Admin, api: &super::Api) -> Vec<String> {
        let mut p = Vec::new();
        if !["fr", "en"].contains(&self.lang.as_str()) {
            p.push(format!(
                "console.lang: {:?}: expected \"fr\" or \"en\"",
                self.lang
            ));
        }
        if !["viewer", "operator", "none"].contains(&self.local_role.as_str()) {
            p.push(format!(
                "console.local_role: {:?}: expected \"viewer\", \"operator\" or \"none\"",
                self.local_role
            ));
        }
        if self.page_size == 0 || self.page_size > 1000 {
            p.push("console.page_size: expected 1 to 1000".into());
        }
        if admin.enabled && self.tls {
            let (c, k, ca) = self.tls_files(api);
            for (name, f) in [
                ("console.cert_file", &c),
                ("console.key_file", &k),
                ("console.client_ca_file", &ca),
            ] {
                if !f.exists() {
                    p.push(format!("{name}: {} does not exist", f.display()));
                }
            }
            if self.operators.is_empty() && self.viewers.is_empty() {
                p.push("console.tls: no identity in console.operators or console.viewers".into());
            }
        }
        p
    }

    pub fn resolve_paths(&mut self, base: &Path) {
        for f in [
            &mut self.cert_file,
            &mut self.key_file,
            &mut self.client_ca_file,
        ]
        .into_iter()
        .flatten()
        {
            if f.is_relative() {
                *f = base.join(&*f);
            }
        }
    }

    /// (certificate, key, client CA) of the TLS admin listener.
    pub fn tls_files(&self, api: &super::Api) -> (PathBuf, PathBuf, PathBuf) {
        (
            self.cert_file
                .clone()
                .unwrap_or_else(|| api.cert_file.clone()),
            self.key_file
                .clone()
                .unwrap_or_else(|| api.key_file.clone()),
            self.client_ca_file
                .clone()
                .unwrap_or_else(|| api.client_ca_file.clone()),
        )
    }
}
