//! net-entreprises API DSN client (machine-to-machine): authentication, deposit of DSN files,
//! listings of deposits/returns/BPIJ, downloads, and the CNAM PJ IJ upload.
//!
//! Invariants:
//! - every service call carries `Authorization: DSNLogin jeton=<token>` and accepts gzip
//!   only; the token is reused and renewed **once** when a call answers 401;
//! - errors are either [`NetEntError::Transient`] (retry later: connect, timeout, reset, 5xx,
//!   429 with `Retry-After`) or [`NetEntError::Permanent`] (other 4xx, unreadable answers);
//!   each carries a stable `kind` string for metrics and alerts. An ARE is not an error: it
//!   is [`crate::formats::rapport::DepositAnswer::Rejected`];
//! - the status codes and `WWW-Authenticate` realms mean what the GIP-MDS kit says they mean
//!   (kit: src/main/java/fr/gipmds/dsn/utils/SecurityUtils.java and services/**): 401
//!   "Jeton manquant ou invalide" → the token is renewed once; 401 "Utilisateur non-inscrit
//!   au service" → `not_enrolled`, permanent (renewing cannot help); 401 at `authentifier`
//!   (`Basic realm="net-entreprises.fr"`) → `auth_rejected`; 404 → `not_found` (an unknown
//!   flux for `lister-retours-flux`); 406 (Accept-Encoding without gzip) → `not_acceptable`;
//!   415 → `unsupported_media_type`; 422 → `invalid_parameter`; 429 → `throttled`; 5xx →
//!   `http_5xx` (transient);
//! - listings are read in the format their Content-Type announces (2.0 JSON, 1.0 XML; the
//!   version called is [`NetEntConfig::listing_version`]); one that cannot be read is a
//!   `bad_listing` error naming the service and the cause;
//! - a deposit that failed *after* the request may have left (timeout, reset, 5xx) is
//!   ambiguous ([`NetEntError::deposit_may_have_landed`]): the caller must reconcile with
//!   [`NetEntClient::find_deposit`] before sending again, or net-entreprises gets a duplicate;
//! - the token is only ever sent to the configured hosts (download URLs from listings are
//!   checked against them);
//! - the password is a [`Secret`]: never in `Debug`, logs or error texts.
//!
//! Layout: `error` (the error type and the mapping of the kit's statuses and realms), `auth`
//! (`authentifier` and the token), `dsn` (deposits, listings, downloads, reconciliation), `pj`
//! (the CNAM PJ IJ upload), `accounts` (several accounts, routed by establishment), `proxy`
//! (the outbound proxy), `site` (the client configuration from `[netent]`); this file holds
//! the configuration, the client and `call`.

mod accounts;
mod auth;
mod dsn;
mod error;
mod pj;
mod proxy;
pub mod site;

pub use accounts::{NetEntAccount, declaring_siret, route};
pub use error::{NetEntError, REALM_INVALID_TOKEN, REALM_NOT_ENROLLED, realm_of};
use error::{bad_listing, classify_reqwest, classify_status};
pub use pj::PjForm;
pub use proxy::{ProxySettings, check_url as check_proxy_url, read_auth_file as read_proxy_auth};

use std::path::PathBuf;
use std::time::Duration;

use chrono::NaiveDateTime;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde::Deserialize;
use tokio::sync::Mutex;

use crate::formats::listing::{ListingFormat, MAX_WINDOW_MINUTES};

/// Longest error body kept (bodies can be whole HTML pages).
const MAX_ERROR_BODY: usize = 2048;
/// Largest answer read (listings and returns are far smaller; a BPIJ is < 1 MB).
const MAX_RESPONSE: usize = 64 * 1024 * 1024;

/// Reads an answer body, refusing more than [`MAX_RESPONSE`] bytes.
async fn read_limited(mut resp: reqwest::Response) -> Result<bytes::Bytes, NetEntError> {
    let too_big = || {
        NetEntError::permanent(
            "bad_answer",
            None,
            format!("answer larger than {MAX_RESPONSE} bytes"),
        )
    };
    if resp
        .content_length()
        .is_some_and(|n| n > MAX_RESPONSE as u64)
    {
        return Err(too_big());
    }
    let mut out = bytes::BytesMut::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| classify_reqwest(&e))? {
        if out.len() + chunk.len() > MAX_RESPONSE {
            return Err(too_big());
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out.freeze())
}

/// A password or token that never prints.
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Where and as whom to call the API DSN.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetEntConfig {
    /// Full URL of `authentifier/1.0/` (prod `https://services.net-entreprises.fr/authentifier/1.0/`).
    pub auth_url: String,
    /// Full URL of `deposer-dsn/2.0/` (prod `https://depot.dsnrg.net-entreprises.fr/deposer-dsn/2.0/`).
    pub deposit_url: String,
    /// Base URL of the `lister-*` services (prod `https://consultation.dsnrg.net-entreprises.fr/`).
    pub consult_url: String,
    /// Base URL of `telecharger-retour` (prod `https://telechargement.dsnrg.net-entreprises.fr/`).
    pub download_url: String,
    /// Base URL of `lister-bpij-declarant` / `telecharger-bpij`.
    pub bpij_url: String,
    /// Base URL of the CNAM PJ IJ API (`…/indemnites-journalieres-pj`), if used.
    #[serde(default)]
    pub pj_url: Option<String>,
    /// Declarant's credentials (mode "logiciel de paie").
    pub siret: String,
    pub nom: String,
    pub prenom: String,
    pub password: Secret,
    /// 25 = DSN régime général production, 97 = editors' test environment.
    pub service: String,
    /// `Client-DSN (<logiciel>/<version>; <éditeur>)` (guide §8.1).
    pub user_agent: String,
    /// PEM file of extra root CAs; when set, ONLY these roots are trusted (sandbox, tests).
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    #[serde(with = "humantime_serde", default = "default_connect_timeout")]
    pub connect_timeout: Duration,
    #[serde(with = "humantime_serde", default = "default_request_timeout")]
    pub request_timeout: Duration,
    /// Version of the listing services: "2.0" (JSON, default) or "1.0" (XML).
    #[serde(default = "default_listing_version")]
    pub listing_version: String,
    /// Further accounts, each for its establishments ([`accounts`]). With accounts, the
    /// top-level login is an account too only when `siret` is not empty (then it is the
    /// default one, for establishments no account lists).
    #[serde(default)]
    pub accounts: Vec<NetEntAccount>,
    /// Outbound proxy; `None`: the `HTTPS_PROXY` / `NO_PROXY` environment, if any.
    #[serde(default)]
    pub proxy: Option<ProxySettings>,
}

fn default_listing_version() -> String {
    "2.0".into()
}

fn default_connect_timeout() -> Duration {
    Duration::from_secs(10)
}
fn default_request_timeout() -> Duration {
    Duration::from_secs(120)
}

impl NetEntConfig {
    /// The accounts the client logs in with, in routing order (see [`route`]).
    pub fn logins(&self) -> Vec<NetEntAccount> {
        let top = NetEntAccount {
            siret: self.siret.clone(),
            nom: self.nom.clone(),
            prenom: self.prenom.clone(),
            password: self.password.clone(),
            scope: Vec::new(),
        };
        if self.accounts.is_empty() {
            return vec![top];
        }
        let mut v = Vec::new();
        if !self.siret.is_empty() {
            v.push(top);
        }
        v.extend(self.accounts.iter().cloned());
        v
    }

    /// Every problem of the configuration (empty when usable), to report them all at once.
    pub fn validate(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let mut urls = vec![
            ("auth_url", &self.auth_url),
            ("deposit_url", &self.deposit_url),
            ("consult_url", &self.consult_url),
            ("download_url", &self.download_url),
            ("bpij_url", &self.bpij_url),
        ];
        if let Some(pj) = &self.pj_url {
            urls.push(("pj_url", pj));
        }
        for (field, url) in urls {
            if !url.starts_with("https://") || url.len() <= "https://".len() {
                problems.push(format!("{field}: must be an https:// URL (got {url:?})"));
            }
        }
        let logins = self.logins();
        for (i, a) in logins.iter().enumerate() {
            // The single-account form keeps its plain messages.
            let at = if logins.len() == 1 && self.accounts.is_empty() {
                String::new()
            } else {
                format!("accounts[{i}].")
            };
            if a.siret.len() != 14 || !a.siret.chars().all(|c| c.is_ascii_digit()) {
                problems.push(format!("{at}siret: must be 14 digits"));
            }
            if a.nom.is_empty() || a.nom.chars().count() > 64 {
                problems.push(format!("{at}nom: 1 to 64 characters"));
            }
            if a.prenom.is_empty() || a.prenom.chars().count() > 39 {
                problems.push(format!("{at}prenom: 1 to 39 characters"));
            }
            let pw = a.password.expose().chars().count();
            if pw == 0 || pw > 30 {
                problems.push(format!("{at}password: 1 to 30 characters"));
            }
        }
        problems.extend(accounts::validate(&logins, "accounts"));
        if let Some(p) = &self.proxy
            && let Err(e) = proxy::check_url(&p.url)
        {
            problems.push(format!("proxy: {e}"));
        }
        if !["25", "26", "94", "97", "98"].contains(&self.service.as_str()) {
            problems.push(format!(
                "service: 25 (production), 97 (editors' test), 26/94 (agricole) or 98 (concentrateur), got {:?}",
                self.service
            ));
        }
        if !self.user_agent.starts_with("Client-DSN (") {
            problems.push(
                "user_agent: must read \"Client-DSN (<logiciel>/<version>; <éditeur>)\"".into(),
            );
        }
        if !["1.0", "2.0"].contains(&self.listing_version.as_str()) {
            problems.push(format!(
                "listing_version: \"1.0\" (XML) or \"2.0\" (JSON), got {:?}",
                self.listing_version
            ));
        }
        if self.connect_timeout.is_zero() || self.request_timeout.is_zero() {
            problems.push("timeouts must be positive".into());
        }
        problems
    }

    /// A config whose every endpoint lives under one base URL (the sandbox, tests).
    pub fn for_base(base: &str, siret: &str, nom: &str, prenom: &str, password: &str) -> Self {
        let base = if base.ends_with('/') {
            base.to_string()
        } else {
            format!("{base}/")
        };
        NetEntConfig {
            auth_url: format!("{base}authentifier/1.0/"),
            deposit_url: format!("{base}deposer-dsn/2.0/"),
            consult_url: base.clone(),
            download_url: base.clone(),
            bpij_url: base.clone(),
            pj_url: Some(format!("{base}indemnites-journalieres-pj")),
            siret: siret.into(),
            nom: nom.into(),
            prenom: prenom.into(),
            password: Secret::new(password),
            service: "97".into(),
            user_agent: "Client-DSN (ijgate/0.1; ijgate)".into(),
            ca_file: None,
            connect_timeout: default_connect_timeout(),
            request_timeout: default_request_timeout(),
            listing_version: default_listing_version(),
            accounts: Vec::new(),
            proxy: None,
        }
    }
}

/// Installs ring as the process-wide rustls provider (reqwest is built without one).
/// Idempotent: an already installed provider is kept.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Result of looking for a deposit whose answer was lost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reconciliation {
    /// A deposit whose returns name the identifiant métier.
    Found { idflux: String },
    /// Deposits in the window that could not be confirmed (no return yet): do not resend,
    /// look again later.
    Unconfirmed { candidates: Vec<String> },
    /// Nothing deposited in the window: sending again is safe.
    NotFound,
}

/// The client. Cheap to share behind an `Arc`; calls may run concurrently.
pub struct NetEntClient {
    http: reqwest::Client,
    cfg: NetEntConfig,
    /// The logins, in routing order; each with its own token.
    accounts: Vec<accounts::Account>,
    /// Which account owns which flux, BPIJ link and upload (learnt, see [`accounts`]).
    owners: std::sync::Mutex<accounts::Owners>,
}

impl std::fmt::Debug for NetEntClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NetEntClient")
            .field("cfg", &self.cfg)
            .finish()
    }
}

fn truncate(body: &[u8]) -> String {
    let s = String::from_utf8_lossy(&body[..body.len().min(MAX_ERROR_BODY)]);
    s.into_owned()
}

fn xml_escape(s: &str) -> String {
    quick_xml::escape::escape(s).into_owned()
}

/// The listing's format from its Content-Type, or a `bad_listing` error naming `service`.
fn listing_format(
    service: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<ListingFormat, NetEntError> {
    let ct = headers
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    ListingFormat::detect(ct, body).map_err(|e| bad_listing(service, e))
}

impl NetEntClient {
    pub fn new(cfg: NetEntConfig) -> Result<Self, NetEntError> {
        install_crypto_provider();
        let mut builder = reqwest::Client::builder()
            .user_agent(cfg.user_agent.clone())
            .connect_timeout(cfg.connect_timeout)
            .timeout(cfg.request_timeout)
            .https_only(true);
        if let Some(path) = &cfg.ca_file {
            let pem = std::fs::read(path).map_err(|e| {
                NetEntError::permanent("config", None, format!("CA file {}: {e}", path.display()))
            })?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
                NetEntError::permanent("config", None, format!("CA file {}: {e}", path.display()))
            })?;
            builder = builder.tls_certs_only(certs);
        }
        if let Some(p) = &cfg.proxy {
            builder = builder.proxy(p.to_reqwest()?);
        }
        let http = builder
            .build()
            .map_err(|e| NetEntError::permanent("config", None, e.to_string()))?;
        let accounts = cfg
            .logins()
            .into_iter()
            .map(|login| accounts::Account {
                login,
                token: Mutex::new(None),
            })
            .collect();
        Ok(NetEntClient {
            http,
            cfg,
            accounts,
            owners: Default::default(),
        })
    }

    pub fn config(&self) -> &NetEntConfig {
        &self.cfg
    }

    /// How many accounts the client logs in with.
    pub fn account_count(&self) -> usize {
        self.accounts.len()
    }

    /// The SIRET of account `i`'s login (for logs and tests).
    pub fn account_siret(&self, i: usize) -> Option<&str> {
        self.accounts.get(i).map(|a| a.login.siret.as_str())
    }

    /// The account that declares for `siret` (a `no_account` error names it otherwise).
    pub fn account_for(&self, siret: &str) -> Result<usize, NetEntError> {
        let logins: Vec<NetEntAccount> = self.accounts.iter().map(|a| a.login.clone()).collect();
        route(&logins, siret).ok_or_else(|| {
            NetEntError::permanent(
                "no_account",
                None,
                format!(
                    "no net-entreprises account declares for establishment {siret}: list it (or its SIREN) in the sirets of one [[netent.accounts]]"
                ),
            )
        })
    }

    fn owners(&self) -> std::sync::MutexGuard<'_, accounts::Owners> {
        // A panic while holding it cannot leave the maps half-written in a harmful way:
        // they are a cache.
        self.owners
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Records that account `i` owns `idflux`.
    fn own_flux(&self, idflux: &str, i: usize) {
        if self.accounts.len() > 1 {
            self.owners().flux.insert(idflux.to_string(), i);
        }
    }

    fn flux_owner(&self, idflux: &str) -> Option<usize> {
        if self.accounts.len() == 1 {
            return Some(0);
        }
        self.owners().flux.get(idflux).copied()
    }

    /// Sends a request built by `build` with the token; on 401 renews the token once.
    /// Returns (status, headers, body) for any status the caller must interpret
    /// (2xx, and the ones listed in `accept`), an error otherwise.
    async fn call<F>(
        &self,
        acct: usize,
        build: F,
        accept: &[u16],
    ) -> Result<(StatusCode, HeaderMap, bytes::Bytes), NetEntError>
    where
        F: Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    {
        let account = self
            .accounts
            .get(acct)
            .ok_or_else(|| NetEntError::permanent("config", None, format!("no account #{acct}")))?;
        let login = &account.login;
        let mut renewed = false;
        loop {
            let token = self.current_token(acct).await?;
            let resp = build(&self.http)
                .header(
                    reqwest::header::AUTHORIZATION,
                    format!("DSNLogin jeton={token}"),
                )
                .send()
                .await
                .map_err(|e| classify_reqwest(&e))?;
            let status = resp.status();
            let headers = resp.headers().clone();
            let body = read_limited(resp).await?;
            if status == StatusCode::UNAUTHORIZED
                && realm_of(&headers).as_deref() == Some(REALM_NOT_ENROLLED)
            {
                // A new token would be refused the same way: alert, do not retry.
                return Err(NetEntError::permanent(
                    "not_enrolled",
                    Some(401),
                    format!(
                        "net-entreprises answers \"{REALM_NOT_ENROLLED}\": SIRET {} ({} {}) is not enrolled in the DSN service {}; enrol it on net-entreprises.fr",
                        login.siret, login.nom, login.prenom, self.cfg.service
                    ),
                ));
            }
            if status == StatusCode::UNAUTHORIZED && !renewed {
                renewed = true;
                let mut guard = account.token.lock().await;
                // Another task may already have renewed it; drop ours only if unchanged.
                if guard.as_deref() == Some(token.as_str()) {
                    *guard = None;
                }
                drop(guard);
                tracing::info!("net-entreprises token refused, renewing");
                continue;
            }
            if status.is_success() || accept.contains(&status.as_u16()) {
                return Ok((status, headers, body));
            }
            if status == StatusCode::UNAUTHORIZED {
                // A fresh token refused again: concurrent calls used it up or the service is
                // renewing its sessions. Credentials themselves were accepted a moment ago (a bad
                // password fails in `authentifier`, permanently), so this is worth a retry.
                return Err(NetEntError::Transient {
                    kind: "token_expired",
                    retry_after: None,
                    detail: "token refused twice in a row".into(),
                });
            }
            return Err(classify_status(status, &headers, &body));
        }
    }
}

fn check_window(debut: NaiveDateTime, fin: NaiveDateTime) -> Result<(), NetEntError> {
    if fin < debut || fin - debut > chrono::Duration::minutes(MAX_WINDOW_MINUTES) {
        return Err(NetEntError::permanent(
            "window_too_large",
            None,
            format!("{debut}..{fin} exceeds {MAX_WINDOW_MINUTES} minutes"),
        ));
    }
    Ok(())
}

fn join(base: &str, path: &str) -> String {
    format!(
        "{}/{}",
        base.trim_end_matches('/'),
        path.trim_start_matches('/')
    )
}

/// Scheme + host + port of `base` equal those of `url`.
fn same_origin(base: &str, url: &str) -> bool {
    fn origin(u: &str) -> Option<String> {
        let (scheme, rest) = u.split_once("://")?;
        let host = rest.split('/').next()?;
        if host.contains('@') {
            return None;
        }
        Some(format!(
            "{}://{}",
            scheme.to_ascii_lowercase(),
            host.to_ascii_lowercase()
        ))
    }
    match (origin(base), origin(url)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use reqwest::header::{RETRY_AFTER, WWW_AUTHENTICATE};

    use super::error::parse_retry_after;
    use super::*;
    use crate::formats::listing::{self, DepositsListing};

    #[test]
    fn secret_never_prints() {
        let cfg = NetEntConfig::for_base("https://h/", "12345678200010", "N", "P", "hunter2-pass");
        assert!(!format!("{cfg:?}").contains("hunter2"));
        assert_eq!(cfg.password.expose(), "hunter2-pass");
    }

    #[test]
    fn config_validation_reports_every_problem() {
        let ok = NetEntConfig::for_base("https://h/", "12345678200010", "N", "P", "pw");
        assert!(ok.validate().is_empty(), "{:?}", ok.validate());
        let mut bad = ok.clone();
        bad.auth_url = "http://h/authentifier/1.0/".into();
        bad.siret = "1234".into();
        bad.service = "42".into();
        bad.password = Secret::new("");
        bad.user_agent = "curl".into();
        let problems = bad.validate();
        assert_eq!(problems.len(), 5, "{problems:?}");
        assert!(problems.iter().all(|p| !p.contains("pw")));
    }

    #[test]
    fn config_reads_from_toml() {
        let cfg: NetEntConfig = toml::from_str(
            r#"
            auth_url = "https://services.net-entreprises.fr/authentifier/1.0/"
            deposit_url = "https://depot.dsnrg.net-entreprises.fr/deposer-dsn/2.0/"
            consult_url = "https://consultation.dsnrg.net-entreprises.fr/"
            download_url = "https://telechargement.dsnrg.net-entreprises.fr/"
            bpij_url = "https://consultation.dsnrg.net-entreprises.fr/"
            siret = "12345678200010"
            nom = "DUPONT"
            prenom = "Anne"
            password = "secret"
            service = "25"
            user_agent = "Client-DSN (ijgate/0.1; ijgate)"
            request_timeout = "90s"
            "#,
        )
        .unwrap();
        assert!(cfg.validate().is_empty());
        assert_eq!(cfg.request_timeout, Duration::from_secs(90));
        assert_eq!(cfg.connect_timeout, Duration::from_secs(10));
        assert!(toml::from_str::<NetEntConfig>("unknown = 1").is_err());
    }

    #[test]
    fn retry_after_seconds_and_date() {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, "7".parse().unwrap());
        assert_eq!(parse_retry_after(&h), Some(Duration::from_secs(7)));
        h.insert(
            RETRY_AFTER,
            "Thu, 01 Dec 1994 16:00:00 GMT".parse().unwrap(),
        );
        assert_eq!(parse_retry_after(&h), Some(Duration::ZERO));
        h.insert(RETRY_AFTER, "soon".parse().unwrap());
        assert_eq!(parse_retry_after(&h), None);
    }

    #[test]
    fn status_classification() {
        let h = HeaderMap::new();
        let e = classify_status(StatusCode::SERVICE_UNAVAILABLE, &h, b"down");
        assert!(e.is_transient());
        assert_eq!(e.kind(), "http_5xx");
        let e = classify_status(StatusCode::TOO_MANY_REQUESTS, &h, b"");
        assert_eq!(e.kind(), "throttled");
        let e = classify_status(StatusCode::FORBIDDEN, &h, b"locked");
        assert!(!e.is_transient());
        assert_eq!(e.kind(), "forbidden");
        // kit: every service answers 406 when Accept-Encoding lacks gzip, 415 when a deposit
        // is not gzip, 422 on an invalid parameter, 404 on an unknown flux.
        for (code, kind) in [
            (406, "not_acceptable"),
            (415, "unsupported_media_type"),
            (422, "invalid_parameter"),
            (404, "not_found"),
            (401, "auth_rejected"),
        ] {
            let e = classify_status(StatusCode::from_u16(code).unwrap(), &h, b"");
            assert_eq!(e.kind(), kind, "{code}");
            assert!(!e.is_transient());
        }
        let mut nh = HeaderMap::new();
        nh.insert(
            WWW_AUTHENTICATE,
            "DSNLogin realm=\"Utilisateur non-inscrit au service\""
                .parse()
                .unwrap(),
        );
        assert_eq!(
            classify_status(StatusCode::UNAUTHORIZED, &nh, b"").kind(),
            "not_enrolled"
        );
        let big = vec![b'x'; 10_000];
        match classify_status(StatusCode::BAD_REQUEST, &h, &big) {
            NetEntError::Permanent { body, status, .. } => {
                assert_eq!(body.len(), MAX_ERROR_BODY);
                assert_eq!(status, Some(400));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn unreadable_listing_names_the_service() {
        let mut h = HeaderMap::new();
        h.insert(reqwest::header::CONTENT_TYPE, "text/html".parse().unwrap());
        let e = listing_format("lister-retours-flux/2.0", &h, b"<html>").unwrap_err();
        assert_eq!(e.kind(), "bad_listing");
        assert!(e.to_string().contains("lister-retours-flux/2.0"), "{e}");
        assert!(e.to_string().contains("text/html"), "{e}");
        h.insert(
            reqwest::header::CONTENT_TYPE,
            "application/json".parse().unwrap(),
        );
        let f = listing_format("lister-depots/2.0", &h, b"").unwrap();
        let e = DepositsListing::parse_as(f, b"<depots/>")
            .map_err(|e| bad_listing("lister-depots/2.0", e))
            .unwrap_err();
        assert_eq!(e.kind(), "bad_listing");
        assert!(
            e.to_string()
                .starts_with("net-entreprises permanent error (bad_listing"),
            "{e}"
        );
        assert!(
            e.to_string().contains("lister-depots/2.0: listing: JSON"),
            "{e}"
        );
    }

    #[test]
    fn realms_as_the_kit_writes_them() {
        // kit: utils/SecurityUtils.java and services/auth/ServiceAuthentificationNetEImpl.java.
        let mut h = HeaderMap::new();
        assert_eq!(realm_of(&h), None);
        for (v, realm) in [
            (
                "DSNLogin realm=\"Jeton manquant ou invalide\"",
                REALM_INVALID_TOKEN,
            ),
            (
                "DSNLogin realm=\"Utilisateur non-inscrit au service\"",
                REALM_NOT_ENROLLED,
            ),
            ("Basic realm=\"net-entreprises.fr\"", "net-entreprises.fr"),
            ("Basic realm=x, charset=UTF-8", "x"),
        ] {
            h.insert(WWW_AUTHENTICATE, v.parse().unwrap());
            assert_eq!(realm_of(&h).as_deref(), Some(realm), "{v}");
        }
    }

    #[test]
    fn origins_and_windows() {
        assert!(same_origin(
            "https://a.fr:8443/x/",
            "https://A.fr:8443/telecharger/1"
        ));
        assert!(!same_origin("https://a.fr/", "https://evil.fr/a.fr/"));
        assert!(!same_origin("https://a.fr/", "https://a.fr@evil.fr/"));
        assert!(!same_origin("https://a.fr/", "http://a.fr/"));
        let t = listing::parse_ts("20261125100000").unwrap();
        assert!(check_window(t, t + chrono::Duration::minutes(60)).is_ok());
        assert_eq!(
            check_window(t, t + chrono::Duration::minutes(61))
                .unwrap_err()
                .kind(),
            "window_too_large"
        );
        assert_eq!(join("https://h/", "/a/b"), "https://h/a/b");
    }

    #[test]
    fn ambiguous_deposit_errors() {
        let t = NetEntError::Transient {
            kind: "timeout",
            retry_after: None,
            detail: String::new(),
        };
        assert!(t.deposit_may_have_landed());
        let c = NetEntError::Transient {
            kind: "connect",
            retry_after: None,
            detail: String::new(),
        };
        assert!(!c.deposit_may_have_landed());
    }
}
