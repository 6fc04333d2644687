//! The outbound HTTP(S) proxy that data centres put between a server and the Internet.
//!
//! `[netent] proxy = "http://proxy.example:3128"`: every net-entreprises call goes through it
//! (HTTPS by `CONNECT`, so the proxy sees host names, never content nor the token), with
//! optional Basic proxy authentication read from a file (`user:password`, mode 0600, checked
//! like every secret) and a `no_proxy` list of hosts reached directly. Without the key the
//! standard `HTTPS_PROXY` / `NO_PROXY` environment variables apply (reqwest reads them); under
//! systemd they must be set in the unit (`systemctl edit ijgate`, `Environment=`), which is why
//! the key exists.

use std::path::Path;

use serde::Deserialize;

use super::{NetEntError, Secret};

/// Where the client's proxy is and how to log in to it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProxySettings {
    /// `http://host:port` (or `https://` for a TLS proxy).
    pub url: String,
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default)]
    pub password: Option<Secret>,
    /// Comma-separated hosts, domains (`.example.fr`) or CIDR ranges reached without it.
    #[serde(default)]
    pub no_proxy: Option<String>,
}

pub use crate::config::netent::check_proxy_url as check_url;

/// Reads `user:password` from a secret file (mode checked like every secret).
pub fn read_auth_file(path: &Path) -> Result<(String, Secret), crate::config::netent::ProxyError> {
    crate::config::netent::read_proxy_auth(path).map(|(u, p)| (u, Secret::new(p)))
}

impl ProxySettings {
    /// The reqwest proxy: all schemes through `url`, with Basic auth and the exclusions.
    pub(super) fn to_reqwest(&self) -> Result<reqwest::Proxy, NetEntError> {
        let bad = |m: String| NetEntError::permanent("config", None, format!("netent.proxy: {m}"));
        check_url(&self.url).map_err(|e| bad(e.to_string()))?;
        let mut p = reqwest::Proxy::all(&self.url).map_err(|e| bad(e.to_string()))?;
        if let (Some(u), Some(pw)) = (&self.user, &self.password) {
            p = p.basic_auth(u, pw.expose());
        }
        if let Some(list) = self.no_proxy.as_deref().filter(|l| !l.trim().is_empty()) {
            p = p.no_proxy(reqwest::NoProxy::from_string(list));
        }
        Ok(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_proxy_with_credentials_in_its_url_is_refused() {
        let p = ProxySettings {
            url: "http://bob:hunter2@h:3128".into(),
            user: None,
            password: None,
            no_proxy: None,
        };
        let e = p.to_reqwest().unwrap_err().to_string();
        assert!(
            e.contains("proxy_auth_file") && !e.contains("hunter2"),
            "{e}"
        );
        let ok = ProxySettings {
            url: "http://h:3128".into(),
            user: Some("u".into()),
            password: Some(Secret::new("p")),
            no_proxy: Some("localhost,.dc.local".into()),
        };
        assert!(ok.to_reqwest().is_ok());
    }
}
