//! `[netent]` settings beyond the single login: several accounts (`[[netent.accounts]]`, each
//! with the establishments it declares for) and the outbound proxy (`proxy`,
//! `proxy_auth_file`, `no_proxy`). The routing rule lives here, pure, so that `check-config`
//! and the client apply the very same one.
//!
//! ```toml
//! [netent]
//! mode = "remote"
//! proxy = "http://proxy.dc.local:3128"
//! proxy_auth_file = "/etc/ijgate/proxy.auth"   # "user:password", mode 0600
//! no_proxy = ".dc.local"
//! [[netent.accounts]]
//! siret = "12345678200010"                     # the login's SIRET
//! nom = "DUPONT"
//! prenom = "Anne"
//! password_file = "/etc/ijgate/netent-a.password"
//! sirets = ["123456782"]                       # SIRENs (9) or SIRETs (14) it declares
//! ```

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::{Employer, NetEnt, NetEntMode};
use crate::model::Siret;

/// One net-entreprises declarant account of `[[netent.accounts]]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Account {
    /// SIRET of the login (the account holder), not necessarily one it declares for.
    pub siret: String,
    pub nom: String,
    pub prenom: String,
    /// File holding the password (mode checked like every secret). Required in remote mode.
    #[serde(default)]
    pub password_file: Option<PathBuf>,
    /// SIRETs (14 digits) or SIRENs (9 digits) declared with this account; empty: every
    /// establishment that no other account lists (one such default at most).
    #[serde(default)]
    pub sirets: Vec<String>,
}

/// How well `scope` covers `siret`: 2 = the SIRET is listed, 1 = its SIREN is.
fn coverage(scope: &[String], siret: &str) -> Option<u8> {
    if scope.iter().any(|s| s == siret) {
        return Some(2);
    }
    let siren = siret.get(..9)?;
    scope.iter().any(|s| s == siren).then_some(1)
}

/// The index of the scope that declares `siret`: the one listing the SIRET, then the one
/// listing its SIREN, then the first empty scope (the default account); `None` otherwise.
pub fn route_by_scope<'a>(
    scopes: impl IntoIterator<Item = &'a [String]>,
    siret: &str,
) -> Option<usize> {
    let scopes: Vec<&[String]> = scopes.into_iter().collect();
    scopes
        .iter()
        .enumerate()
        .filter_map(|(i, s)| coverage(s, siret).map(|m| (m, i)))
        .max_by_key(|&(m, i)| (m, std::cmp::Reverse(i)))
        .map(|(_, i)| i)
        .or_else(|| scopes.iter().position(|s| s.is_empty()))
}

/// Problems of a set of scopes, each named by its label: entries that are neither SIRET nor
/// SIREN, an entry claimed twice, more than one default (empty scope).
pub fn scope_problems(scopes: &[(String, &[String])]) -> Vec<String> {
    let mut p = Vec::new();
    let mut seen: HashMap<&str, &str> = HashMap::new();
    for (label, scope) in scopes {
        for s in scope.iter() {
            let ok = (s.len() == 9 || s.len() == 14) && s.chars().all(|c| c.is_ascii_digit());
            if !ok {
                p.push(format!(
                    "{label}.sirets: {s:?} is neither a SIRET (14 digits) nor a SIREN (9 digits)"
                ));
            }
            if let Some(other) = seen.insert(s.as_str(), label.as_str())
                && other != label
            {
                p.push(format!(
                    "{label}.sirets: {s} is already declared by {other}: an establishment has one account"
                ));
            }
        }
    }
    let defaults: Vec<&str> = scopes
        .iter()
        .filter(|(_, s)| s.is_empty())
        .map(|(l, _)| l.as_str())
        .collect();
    if defaults.len() > 1 {
        p.push(format!(
            "netent: {} accounts declare for every establishment ({}): give each but one its sirets",
            defaults.len(),
            defaults.join(", ")
        ));
    }
    p
}

/// Why a proxy setting is unusable. A URL with credentials is named by its host only: the
/// password never reaches a message.
#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    #[error("{url:?} is not a URL: {reason}")]
    NotAUrl { url: String, reason: String },
    #[error("{0:?}: the scheme must be http:// or https:// (a SOCKS proxy is not supported)")]
    Scheme(String),
    #[error("{0:?} has no host")]
    NoHost(String),
    #[error(
        "{0}: credentials do not belong in the URL (it is printed in logs): put \"user:password\" in netent.proxy_auth_file"
    )]
    CredentialsInUrl(String),
    #[error("{0:?}: a proxy URL is scheme://host:port only")]
    NotBare(String),
    #[error(transparent)]
    Secret(#[from] crate::fsio::SecretError),
    #[error("{0}: must hold one line \"user:password\"")]
    AuthFormat(std::path::PathBuf),
}

/// Why a proxy URL is unusable, or `Ok`: `http(s)://host:port` only, never credentials (they
/// would be printed wherever the URL is).
pub fn check_proxy_url(url: &str) -> Result<(), ProxyError> {
    let u = reqwest::Url::parse(url).map_err(|e| ProxyError::NotAUrl {
        url: url.to_string(),
        reason: e.to_string(),
    })?;
    if !matches!(u.scheme(), "http" | "https") {
        return Err(ProxyError::Scheme(url.to_string()));
    }
    if u.host_str().is_none_or(str::is_empty) {
        return Err(ProxyError::NoHost(url.to_string()));
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Err(ProxyError::CredentialsInUrl(
            u.host_str().unwrap_or_default().to_string(),
        ));
    }
    if u.path() != "/" || u.query().is_some() {
        return Err(ProxyError::NotBare(url.to_string()));
    }
    Ok(())
}

/// Reads `user:password` from a secret file (mode checked like every secret).
pub fn read_proxy_auth(path: &Path) -> Result<(String, String), ProxyError> {
    let text = crate::fsio::read_secret(path)?;
    match text.trim().split_once(':') {
        Some((u, p)) if !u.is_empty() && !p.is_empty() => Ok((u.to_string(), p.to_string())),
        _ => Err(ProxyError::AuthFormat(path.to_path_buf())),
    }
}

/// The scopes of the logins the client will use, labelled by setting, in routing order: the
/// top-level login first when it is one (always without accounts; with accounts, when
/// `netent.siret` is set), then each account.
pub fn scopes(n: &NetEnt) -> Vec<(String, &[String])> {
    let mut v: Vec<(String, &[String])> = Vec::new();
    if n.accounts.is_empty() || n.siret.is_some() {
        v.push(("netent".to_string(), &[]));
    }
    for (i, a) in n.accounts.iter().enumerate() {
        v.push((format!("netent.accounts[{i}]"), a.sirets.as_slice()));
    }
    v
}

/// Every problem of the accounts and the proxy.
pub fn validate(n: &NetEnt, employers: &[Employer]) -> Vec<String> {
    let mut p = Vec::new();
    if n.mode == NetEntMode::Disabled {
        return p;
    }
    for (i, a) in n.accounts.iter().enumerate() {
        let at = format!("netent.accounts[{i}]");
        if let Err(e) = Siret::parse(&a.siret) {
            p.push(format!("{at}.siret: {:?} {e}", a.siret));
        }
        if a.nom.trim().is_empty() || a.nom.chars().count() > 64 {
            p.push(format!("{at}.nom: 1 to 64 characters"));
        }
        if a.prenom.trim().is_empty() || a.prenom.chars().count() > 39 {
            p.push(format!("{at}.prenom: 1 to 39 characters"));
        }
        for (key, v) in [("nom", &a.nom), ("prenom", &a.prenom)] {
            if matches!(
                v.trim().to_lowercase().as_str(),
                "nom" | "prenom" | "prénom" | "name" | "changeme" | "todo" | "xxx"
            ) {
                p.push(format!(
                    "{at}.{key}: {v:?} is the example's placeholder: the account holder's name"
                ));
            }
        }
        match &a.password_file {
            None if n.mode == NetEntMode::Remote => p.push(format!(
                "{at}.password_file: required when mode = \"remote\""
            )),
            None => {}
            Some(f) => match crate::fsio::read_secret(f) {
                Ok(pw) if pw.is_empty() || pw.chars().count() > 30 => p.push(format!(
                    "{at}.password_file: the password has 1 to 30 characters"
                )),
                Ok(_) => {}
                Err(e) => p.push(format!("{at}.password_file: {e}")),
            },
        }
    }
    let scopes = scopes(n);
    p.extend(scope_problems(&scopes));
    if !n.accounts.is_empty() {
        for (i, e) in employers.iter().enumerate() {
            if route_by_scope(scopes.iter().map(|(_, s)| *s), &e.siret).is_none() {
                p.push(format!(
                    "employers[{i}].siret: {} is declared by no net-entreprises account: list it (or its SIREN {}) in the sirets of one [[netent.accounts]]",
                    e.siret,
                    e.siret.get(..9).unwrap_or_default()
                ));
            }
        }
    }
    if let Some(url) = &n.proxy
        && let Err(e) = check_proxy_url(url)
    {
        p.push(format!("netent.proxy: {e}"));
    }
    match (&n.proxy, &n.proxy_auth_file) {
        (None, Some(_)) => p.push("netent.proxy_auth_file: set without netent.proxy".into()),
        (Some(_), Some(f)) => {
            if let Err(e) = read_proxy_auth(f) {
                p.push(format!("netent.proxy_auth_file: {e}"));
            }
        }
        _ => {}
    }
    if n.no_proxy.is_some() && n.proxy.is_none() {
        p.push("netent.no_proxy: set without netent.proxy".into());
    }
    p
}

/// The `[netent]` settings the client is built from at start (mode, endpoints, logins,
/// accounts, proxy) that differ between `old` and `new`: a reload keeps their running value
/// and says they need a restart.
pub fn client_changes(old: &NetEnt, new: &NetEnt) -> Vec<String> {
    let mut v = Vec::new();
    let mut cmp = |name: &str, changed: bool| {
        if changed {
            v.push(format!("netent.{name}"));
        }
    };
    cmp("mode", old.mode != new.mode);
    cmp(
        "URLs",
        (
            &old.base_url,
            &old.auth_url,
            &old.deposit_url,
            &old.consult_url,
            &old.download_url,
            &old.bpij_url,
            &old.pj_url,
        ) != (
            &new.base_url,
            &new.auth_url,
            &new.deposit_url,
            &new.consult_url,
            &new.download_url,
            &new.bpij_url,
            &new.pj_url,
        ),
    );
    cmp(
        "login (siret, nom, prenom, password_file, service)",
        (
            &old.siret,
            &old.nom,
            &old.prenom,
            &old.password_file,
            &old.service,
        ) != (
            &new.siret,
            &new.nom,
            &new.prenom,
            &new.password_file,
            &new.service,
        ),
    );
    cmp("ca_file", old.ca_file != new.ca_file);
    cmp("accounts", old.accounts != new.accounts);
    cmp(
        "proxy (proxy, proxy_auth_file, no_proxy)",
        (&old.proxy, &old.proxy_auth_file, &old.no_proxy)
            != (&new.proxy, &new.proxy_auth_file, &new.no_proxy),
    );
    v
}

/// Puts the running client settings (see [`client_changes`]) back into `new`.
pub fn keep_client_settings(running: &NetEnt, new: &mut NetEnt) {
    new.mode = running.mode;
    new.base_url = running.base_url.clone();
    new.auth_url = running.auth_url.clone();
    new.deposit_url = running.deposit_url.clone();
    new.consult_url = running.consult_url.clone();
    new.download_url = running.download_url.clone();
    new.bpij_url = running.bpij_url.clone();
    new.pj_url = running.pj_url.clone();
    new.siret = running.siret.clone();
    new.nom = running.nom.clone();
    new.prenom = running.prenom.clone();
    new.password_file = running.password_file.clone();
    new.service = running.service.clone();
    new.ca_file = running.ca_file.clone();
    new.accounts = running.accounts.clone();
    new.proxy = running.proxy.clone();
    new.proxy_auth_file = running.proxy_auth_file.clone();
    new.no_proxy = running.no_proxy.clone();
}

/// Relative paths of the accounts' and proxy's files, against the configuration's folder.
pub fn resolve_paths(n: &mut NetEnt, base: &Path) {
    let fix = |p: &mut PathBuf| {
        if p.is_relative() {
            *p = base.join(&*p);
        }
    };
    for a in &mut n.accounts {
        if let Some(f) = &mut a.password_file {
            fix(f);
        }
    }
    if let Some(f) = &mut n.proxy_auth_file {
        fix(f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn routes_by_siret_then_siren_then_default() {
        let (d, a, b) = (
            s(&[]),
            s(&["123456782"]),
            s(&["98765432400019", "12345678200036"]),
        );
        let all = [d.as_slice(), a.as_slice(), b.as_slice()];
        assert_eq!(route_by_scope(all, "12345678200010"), Some(1));
        // The exact SIRET beats its SIREN listed by another account.
        assert_eq!(route_by_scope(all, "12345678200036"), Some(2));
        assert_eq!(route_by_scope(all, "98765432400019"), Some(2));
        assert_eq!(route_by_scope(all, "55555555500011"), Some(0));
        assert_eq!(
            route_by_scope(all[1..].iter().copied(), "55555555500011"),
            None
        );
        // The single-account form: one empty scope takes every establishment.
        assert_eq!(route_by_scope([d.as_slice()], "98765432400019"), Some(0));
    }

    #[test]
    fn scope_problems_name_every_one() {
        let (a, b, c, d) = (s(&["123456782", "12AB"]), s(&["123456782"]), s(&[]), s(&[]));
        let p = scope_problems(&[
            ("x[0]".into(), &a),
            ("x[1]".into(), &b),
            ("x[2]".into(), &c),
            ("x[3]".into(), &d),
        ]);
        assert_eq!(p.len(), 3, "{p:#?}");
        assert!(p[0].contains("\"12AB\" is neither"), "{p:#?}");
        assert!(
            p[1].contains("123456782 is already declared by x[0]"),
            "{p:#?}"
        );
        assert!(p[2].contains("x[2], x[3]"), "{p:#?}");
    }

    #[test]
    fn client_settings_need_a_restart_and_keep_their_running_value() {
        let old = NetEnt::default();
        let mut new = NetEnt::default();
        assert!(client_changes(&old, &new).is_empty());
        new.proxy = Some("http://p:3128".into());
        new.accounts.push(Account {
            siret: "12345678200010".into(),
            nom: "N".into(),
            prenom: "P".into(),
            password_file: None,
            sirets: vec![],
        });
        new.poll_interval = std::time::Duration::from_secs(1);
        assert_eq!(
            client_changes(&old, &new),
            [
                "netent.accounts",
                "netent.proxy (proxy, proxy_auth_file, no_proxy)"
            ]
        );
        keep_client_settings(&old, &mut new);
        assert!(client_changes(&old, &new).is_empty());
        // Settings read at each use are not touched.
        assert_eq!(new.poll_interval, std::time::Duration::from_secs(1));
    }

    #[test]
    fn proxy_urls_and_auth_files_are_checked() {
        assert!(check_proxy_url("http://proxy.dc.local:3128").is_ok());
        assert!(check_proxy_url("https://10.0.0.1:8443/").is_ok());
        assert!(
            check_proxy_url("socks5://h:1080")
                .unwrap_err()
                .to_string()
                .contains("SOCKS")
        );
        let e = check_proxy_url("http://bob:hunter2@h:3128")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("proxy_auth_file") && !e.contains("hunter2"),
            "{e}"
        );
        assert!(check_proxy_url("h:3128").is_err());
        assert!(check_proxy_url("http://h:3128/path").is_err());
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("proxy.auth");
        std::fs::write(&f, "svc-ijgate:S3cret:with-colon\n").unwrap();
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(
            read_proxy_auth(&f)
                .unwrap_err()
                .to_string()
                .contains("0644")
        );
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(
            read_proxy_auth(&f).unwrap(),
            ("svc-ijgate".into(), "S3cret:with-colon".into())
        );
        std::fs::write(&f, "nocolon\n").unwrap();
        assert!(
            read_proxy_auth(&f)
                .unwrap_err()
                .to_string()
                .contains("user:password")
        );
    }
}
