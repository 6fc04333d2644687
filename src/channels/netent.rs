//! net-entreprises API DSN client (machine-to-machine): authentication, deposit of DSN files,
//! listings of deposits/returns/BPIJ, downloads, and the CNAM PJ IJ upload.
//!
//! Invariants:
//! - every service call carries `Authorization: DSNLogin jeton=<token>` and accepts gzip
//!   only; the token is reused and renewed **once** when a call answers 401;
//! - errors are either [`NetEntError::Transient`] (retry later: connect, timeout, reset, 5xx,
//!   429 with `Retry-After`) or [`NetEntError::Permanent`] (other 4xx, unreadable answers);
//!   each carries a stable `kind` string for metrics and alerts. An ARE is not an error: it
//!   is [`DepositAnswer::Rejected`];
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

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use chrono::{NaiveDate, NaiveDateTime};
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER, WWW_AUTHENTICATE};
use serde::Deserialize;
use tokio::sync::Mutex;

use crate::formats::listing::{
    self, BpijListing, DepositsListing, ListingError, ListingFormat, MAX_WINDOW_MINUTES,
    ReturnsListing,
};
use crate::formats::rapport::{DepositAnswer, Rapport};

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
}

fn default_listing_version() -> String {
    "2.0".into()
}

/// `WWW-Authenticate` realm of a missing, malformed or expired token
/// (kit: utils/SecurityUtils.java `jetonManquantOuInvalide`).
pub const REALM_INVALID_TOKEN: &str = "Jeton manquant ou invalide";
/// `WWW-Authenticate` realm of a declarant (or concentrateur) not enrolled in the service
/// (kit: utils/SecurityUtils.java `utilisateurNonInscrit`).
pub const REALM_NOT_ENROLLED: &str = "Utilisateur non-inscrit au service";

fn default_connect_timeout() -> Duration {
    Duration::from_secs(10)
}
fn default_request_timeout() -> Duration {
    Duration::from_secs(120)
}

impl NetEntConfig {
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
        if self.siret.len() != 14 || !self.siret.chars().all(|c| c.is_ascii_digit()) {
            problems.push("siret: must be 14 digits".into());
        }
        if self.nom.is_empty() || self.nom.chars().count() > 64 {
            problems.push("nom: 1 to 64 characters".into());
        }
        if self.prenom.is_empty() || self.prenom.chars().count() > 39 {
            problems.push("prenom: 1 to 39 characters".into());
        }
        let pw = self.password.expose().chars().count();
        if pw == 0 || pw > 30 {
            problems.push("password: 1 to 30 characters".into());
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
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum NetEntError {
    #[error("net-entreprises transient error ({kind}): {detail}")]
    Transient {
        kind: &'static str,
        retry_after: Option<Duration>,
        detail: String,
    },
    #[error("net-entreprises permanent error ({kind}, HTTP {status:?}): {body}")]
    Permanent {
        kind: &'static str,
        status: Option<u16>,
        body: String,
    },
}

impl NetEntError {
    /// Stable label for metrics/alerts. Transient: `connect`, `timeout`, `reset`, `http_5xx`,
    /// `throttled`, `token_expired`. Permanent: `tls`, `auth_rejected` (credentials refused
    /// at `authentifier`), `auth_locked` (403 at `authentifier`), `auth_invalid` (422 at
    /// `authentifier`), `not_enrolled` (401 "Utilisateur non-inscrit au service"),
    /// `forbidden` (403), `not_found` (404, e.g. an unknown flux), `not_acceptable` (406),
    /// `unsupported_media_type` (415), `invalid_parameter` (422), `http_4xx` (other),
    /// `bad_listing` (a listing that cannot be read), `bad_answer` (another unreadable
    /// answer), `untrusted_url` (a listed link to a host not configured: skip that link),
    /// `window_too_large`, `config`.
    pub fn kind(&self) -> &'static str {
        match self {
            NetEntError::Transient { kind, .. } | NetEntError::Permanent { kind, .. } => kind,
        }
    }

    pub fn is_transient(&self) -> bool {
        matches!(self, NetEntError::Transient { .. })
    }

    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            NetEntError::Transient { retry_after, .. } => *retry_after,
            NetEntError::Permanent { .. } => None,
        }
    }

    /// True when a failed deposit may nevertheless have been registered.
    pub fn deposit_may_have_landed(&self) -> bool {
        matches!(self.kind(), "timeout" | "reset" | "http_5xx")
    }

    fn permanent(kind: &'static str, status: Option<u16>, body: impl Into<String>) -> Self {
        NetEntError::Permanent {
            kind,
            status,
            body: body.into(),
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

/// Form fields of the CNAM PJ IJ upload (`POST /indemnites-journalieres-pj`).
#[derive(Debug, Clone)]
pub struct PjForm {
    /// Unique id of the upload (≤ 250 chars).
    pub id_envoi: String,
    pub siret_declare: String,
    /// 15 characters, with key.
    pub nir: crate::formats::masked::Nir,
    pub nature_absence: String,
    pub origine: String,
    pub dernier_jour_travaille: NaiveDate,
    pub motif: String,
    pub type_pieces: String,
    pub commentaire: Option<String>,
    pub file_name: String,
}

/// The client. Cheap to share behind an `Arc`; calls may run concurrently.
pub struct NetEntClient {
    http: reqwest::Client,
    cfg: NetEntConfig,
    token: Mutex<Option<String>>,
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

/// `Retry-After` as delta-seconds or HTTP-date.
fn parse_retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    let delta = when.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(delta.to_std().unwrap_or(Duration::ZERO))
}

fn classify_reqwest(e: &reqwest::Error) -> NetEntError {
    // reqwest's own message is generic; the causes say what happened.
    let mut detail = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        detail.push_str(": ");
        detail.push_str(&cause.to_string());
        source = cause.source();
    }
    if e.is_builder() {
        return NetEntError::permanent("config", None, detail);
    }
    // An untrusted or invalid server certificate will not heal by retrying: alert.
    if e.is_connect() && detail.to_ascii_lowercase().contains("certificate") {
        return NetEntError::permanent("tls", None, detail);
    }
    // Anything else (truncated body or gzip stream, closed connection) is a broken transfer.
    let kind = if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connect"
    } else {
        "reset"
    };
    NetEntError::Transient {
        kind,
        retry_after: None,
        detail,
    }
}

/// Maps a non-success HTTP status to an error.
fn classify_status(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> NetEntError {
    let code = status.as_u16();
    if status == StatusCode::TOO_MANY_REQUESTS {
        return NetEntError::Transient {
            kind: "throttled",
            retry_after: parse_retry_after(headers),
            detail: format!("HTTP 429: {}", truncate(body)),
        };
    }
    if status.is_server_error() {
        return NetEntError::Transient {
            kind: "http_5xx",
            retry_after: parse_retry_after(headers),
            detail: format!("HTTP {code}: {}", truncate(body)),
        };
    }
    let kind = match code {
        401 if realm_of(headers).as_deref() == Some(REALM_NOT_ENROLLED) => "not_enrolled",
        401 => "auth_rejected",
        403 => "forbidden",
        404 => "not_found",
        406 => "not_acceptable",
        415 => "unsupported_media_type",
        422 => "invalid_parameter",
        _ => "http_4xx",
    };
    let realm = headers
        .get(WWW_AUTHENTICATE)
        .and_then(|v| v.to_str().ok())
        .map(|v| format!(" [{v}]"))
        .unwrap_or_default();
    NetEntError::permanent(kind, Some(code), format!("{}{realm}", truncate(body)))
}

/// The `realm` of a `WWW-Authenticate` header (`DSNLogin realm="…"`, `Basic realm="…"`).
pub fn realm_of(headers: &HeaderMap) -> Option<String> {
    let v = headers.get(WWW_AUTHENTICATE)?.to_str().ok()?;
    let rest = &v[v.find("realm=")? + "realm=".len()..];
    let rest = rest.trim_start();
    Some(match rest.strip_prefix('"') {
        Some(q) => q.split('"').next().unwrap_or_default().to_string(),
        None => rest
            .split(',')
            .next()
            .unwrap_or_default()
            .trim()
            .to_string(),
    })
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
        let http = builder
            .build()
            .map_err(|e| NetEntError::permanent("config", None, e.to_string()))?;
        Ok(NetEntClient {
            http,
            cfg,
            token: Mutex::new(None),
        })
    }

    pub fn config(&self) -> &NetEntConfig {
        &self.cfg
    }

    /// `POST authentifier/1.0/` → token (also cached for the next calls).
    pub async fn authenticate(&self) -> Result<String, NetEntError> {
        let mut guard = self.token.lock().await;
        let token = self.fetch_token().await?;
        *guard = Some(token.clone());
        Ok(token)
    }

    async fn fetch_token(&self) -> Result<String, NetEntError> {
        let body = format!(
            "<identifiants><siret>{}</siret><nom>{}</nom><prenom>{}</prenom><motdepasse>{}</motdepasse><service>{}</service></identifiants>",
            xml_escape(&self.cfg.siret),
            xml_escape(&self.cfg.nom),
            xml_escape(&self.cfg.prenom),
            xml_escape(self.cfg.password.expose()),
            xml_escape(&self.cfg.service),
        );
        let resp = self
            .http
            .post(&self.cfg.auth_url)
            .header(reqwest::header::CONTENT_TYPE, "application/xml")
            .body(body)
            .send()
            .await
            .map_err(|e| classify_reqwest(&e))?;
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = read_limited(resp).await?;
        if !status.is_success() {
            let err = classify_status(status, &headers, &bytes);
            if status == StatusCode::UNPROCESSABLE_ENTITY {
                return Err(NetEntError::permanent(
                    "auth_invalid",
                    Some(422),
                    "authentifier/1.0 refused the parameters (SIRET 14 digits, nom ≤ 64, prénom ≤ 39, password ≤ 30, service ≤ 2 characters)",
                ));
            }
            if status == StatusCode::UNAUTHORIZED {
                // kit: services/auth/ServiceAuthentificationNetEImpl.java answers
                // `Basic realm="net-entreprises.fr"` both for wrong credentials and for a
                // declarant not enrolled in the requested service.
                let realm = realm_of(&headers).unwrap_or_default();
                tracing::warn!(%realm, "net-entreprises authentication refused");
                return Err(NetEntError::permanent(
                    "auth_rejected",
                    Some(401),
                    format!(
                        "authentifier/1.0 refused SIRET {} / {} {} for service {} (realm {realm:?}): wrong password, expired password, or not enrolled in this service on net-entreprises.fr",
                        self.cfg.siret, self.cfg.nom, self.cfg.prenom, self.cfg.service
                    ),
                ));
            }
            if status == StatusCode::FORBIDDEN {
                return Err(NetEntError::permanent(
                    "auth_locked",
                    Some(403),
                    format!(
                        "authentifier/1.0: account locked or forbidden: {}",
                        truncate(&bytes)
                    ),
                ));
            }
            tracing::warn!(
                kind = err.kind(),
                status = status.as_u16(),
                "net-entreprises authentication failed"
            );
            return Err(err);
        }
        let token = String::from_utf8_lossy(&bytes).trim().to_string();
        if token.is_empty() {
            return Err(NetEntError::permanent(
                "bad_answer",
                Some(status.as_u16()),
                "empty token",
            ));
        }
        tracing::info!("net-entreprises token obtained");
        Ok(token)
    }

    /// The cached token, or a new one. The lock is held while authenticating so that
    /// concurrent calls do not all authenticate at once.
    async fn current_token(&self) -> Result<String, NetEntError> {
        let mut guard = self.token.lock().await;
        if let Some(t) = guard.clone() {
            return Ok(t);
        }
        let token = self.fetch_token().await?;
        *guard = Some(token.clone());
        Ok(token)
    }

    /// Sends a request built by `build` with the token; on 401 renews the token once.
    /// Returns (status, headers, body) for any status the caller must interpret
    /// (2xx, and the ones listed in `accept`), an error otherwise.
    async fn call<F>(
        &self,
        build: F,
        accept: &[u16],
    ) -> Result<(StatusCode, HeaderMap, bytes::Bytes), NetEntError>
    where
        F: Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    {
        let mut renewed = false;
        loop {
            let token = self.current_token().await?;
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
                        self.cfg.siret, self.cfg.nom, self.cfg.prenom, self.cfg.service
                    ),
                ));
            }
            if status == StatusCode::UNAUTHORIZED && !renewed {
                renewed = true;
                let mut guard = self.token.lock().await;
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

    /// `POST deposer-dsn/2.0/`: `latin1` is the DSN file as ISO-8859-1 bytes; it is gzipped
    /// here. 200 → AEE, 422 → ARE (an outcome, not an error).
    pub async fn deposit(&self, latin1: &[u8]) -> Result<DepositAnswer, NetEntError> {
        Ok(self.deposit_with_raw(latin1).await?.0)
    }

    /// [`NetEntClient::deposit`], also giving the raw AEE/ARE document (kept in the journal and
    /// forwarded beside the notice).
    pub async fn deposit_with_raw(
        &self,
        latin1: &[u8],
    ) -> Result<(DepositAnswer, Vec<u8>), NetEntError> {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(latin1)
            .and_then(|_| gz.flush())
            .map_err(|e| NetEntError::permanent("config", None, e.to_string()))?;
        let body = gz
            .finish()
            .map_err(|e| NetEntError::permanent("config", None, e.to_string()))?;
        let body = bytes::Bytes::from(body);
        let url = self.cfg.deposit_url.clone();
        let (status, _, answer) = self
            .call(
                |http| {
                    http.post(&url)
                        .header(reqwest::header::CONTENT_TYPE, "text/plain")
                        .header(reqwest::header::CONTENT_ENCODING, "gzip")
                        .body(body.clone())
                },
                &[422],
            )
            .await?;
        if status == StatusCode::UNPROCESSABLE_ENTITY && answer.iter().all(u8::is_ascii_whitespace)
        {
            // kit: services/depot/ServiceDepot2.java — 422 without ARE = empty deposit.
            return Err(NetEntError::permanent(
                "invalid_parameter",
                Some(422),
                "deposer-dsn refused an empty deposit",
            ));
        }
        let parsed = DepositAnswer::parse(&answer).map_err(|e| {
            NetEntError::permanent(
                "bad_answer",
                Some(status.as_u16()),
                format!("{e}: {}", truncate(&answer)),
            )
        })?;
        match (&parsed, status.as_u16()) {
            (DepositAnswer::Accepted { idflux, .. }, 200) => {
                tracing::info!(idflux = %idflux, "DSN deposited (AEE)");
            }
            (DepositAnswer::Rejected { rapport }, _) => {
                let codes: Vec<&str> = rapport
                    .envoi
                    .anomalies
                    .iter()
                    .map(|a| a.code.as_str())
                    .collect();
                tracing::warn!(?codes, "DSN deposit rejected (ARE)");
            }
            (DepositAnswer::Accepted { .. }, other) => {
                return Err(NetEntError::permanent(
                    "bad_answer",
                    Some(other),
                    "AEE with a non-200 status",
                ));
            }
        }
        Ok((parsed, answer.to_vec()))
    }

    fn consult(&self, path: &str) -> String {
        join(&self.cfg.consult_url, path)
    }

    /// `lister-depots/{version}/{debut}/{fin}` (window ≤ 60 minutes).
    pub async fn list_deposits(
        &self,
        debut: NaiveDateTime,
        fin: NaiveDateTime,
    ) -> Result<DepositsListing, NetEntError> {
        check_window(debut, fin)?;
        let service = format!("lister-depots/{}", self.cfg.listing_version);
        let url = self.consult(&format!(
            "{service}/{}/{}",
            listing::format_ts(debut),
            listing::format_ts(fin)
        ));
        let (_, headers, body) = self.call(|h| h.get(&url), &[]).await?;
        let format = listing_format(&service, &headers, &body)?;
        DepositsListing::parse_as(format, &body).map_err(|e| bad_listing(&service, e))
    }

    /// `lister-retours-flux/{version}/{idflux}`; `None` when net-entreprises does not know the
    /// flux (404 "flux inconnu", kit: services/recherche/ServiceRechercheParFlux2.java).
    pub async fn returns_of_flux(
        &self,
        idflux: &str,
    ) -> Result<Option<ReturnsListing>, NetEntError> {
        if idflux.is_empty()
            || idflux.len() > 50
            || !idflux.chars().all(|c| c.is_ascii_graphic() && c != '/')
        {
            return Err(NetEntError::permanent("config", None, "invalid idflux"));
        }
        let service = format!("lister-retours-flux/{}", self.cfg.listing_version);
        let url = self.consult(&format!("{service}/{idflux}"));
        let (status, headers, body) = self.call(|h| h.get(&url), &[404]).await?;
        if status == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        let format = listing_format(&service, &headers, &body)?;
        ReturnsListing::parse_as(format, &body)
            .map(Some)
            .map_err(|e| bad_listing(&service, e))
    }

    /// [`NetEntClient::returns_of_flux`] where an unknown flux (404) is an empty listing: the
    /// returns of a flux just deposited may not be listed yet.
    pub async fn list_returns_flux(&self, idflux: &str) -> Result<ReturnsListing, NetEntError> {
        Ok(self.returns_of_flux(idflux).await?.unwrap_or_default())
    }

    /// `lister-retours-declarant/{version}/{debut}/{fin}` (window ≤ 60 minutes).
    pub async fn list_returns_declarant(
        &self,
        debut: NaiveDateTime,
        fin: NaiveDateTime,
    ) -> Result<ReturnsListing, NetEntError> {
        check_window(debut, fin)?;
        let service = format!("lister-retours-declarant/{}", self.cfg.listing_version);
        let url = self.consult(&format!(
            "{service}/{}/{}",
            listing::format_ts(debut),
            listing::format_ts(fin)
        ));
        let (_, headers, body) = self.call(|h| h.get(&url), &[]).await?;
        let format = listing_format(&service, &headers, &body)?;
        ReturnsListing::parse_as(format, &body).map_err(|e| bad_listing(&service, e))
    }

    /// Lists returns over any range, one call per 60-minute window, merged by flux; an entry
    /// seen in two adjacent windows (published on the boundary second) is kept once.
    pub async fn list_returns_range(
        &self,
        start: NaiveDateTime,
        end: NaiveDateTime,
    ) -> Result<ReturnsListing, NetEntError> {
        let mut all = ReturnsListing::default();
        for (a, b) in listing::split_windows(start, end) {
            let part = self.list_returns_declarant(a, b).await?;
            for f in part.flux {
                match all.flux.iter_mut().find(|x| x.idflux == f.idflux) {
                    Some(existing) => {
                        for r in f.retours {
                            let seen = existing.retours.iter().any(|e| {
                                e.nature == r.nature
                                    && e.id == r.id
                                    && e.publication == r.publication
                            });
                            if !seen {
                                existing.retours.push(r);
                            }
                        }
                    }
                    None => all.flux.push(f),
                }
            }
        }
        Ok(all)
    }

    /// Downloads a return: from the listing's URL if any, else
    /// `telecharger-retour/1.0/{idflux}/{id}`.
    pub async fn download_return(
        &self,
        idflux: &str,
        entry: &listing::ReturnEntry,
    ) -> Result<Vec<u8>, NetEntError> {
        let url = match (&entry.url, &entry.id) {
            (Some(u), _) => u.clone(),
            (None, Some(id)) => join(
                &self.cfg.download_url,
                &format!("telecharger-retour/1.0/{idflux}/{id}"),
            ),
            (None, None) => {
                return Err(NetEntError::permanent(
                    "bad_answer",
                    None,
                    "return without id nor url",
                ));
            }
        };
        self.get_trusted(&url).await
    }

    /// `GET lister-bpij-declarant/1.0/{debut}[/{fin}]?siret=&page=`.
    pub async fn list_bpij(
        &self,
        debut: NaiveDate,
        fin: Option<NaiveDate>,
        siret: Option<&str>,
        page: Option<u32>,
    ) -> Result<BpijListing, NetEntError> {
        let mut path = format!("lister-bpij-declarant/1.0/{}", debut.format("%Y%m%d"));
        if let Some(f) = fin {
            path.push_str(&format!("/{}", f.format("%Y%m%d")));
        }
        let mut query: Vec<(&str, String)> = Vec::new();
        if let Some(s) = siret {
            query.push(("siret", s.to_string()));
        }
        if let Some(p) = page {
            query.push(("page", p.to_string()));
        }
        let mut url = join(&self.cfg.bpij_url, &path);
        if !query.is_empty() {
            let q: Vec<String> = query.iter().map(|(k, v)| format!("{k}={v}")).collect();
            url.push('?');
            url.push_str(&q.join("&"));
        }
        let service = "lister-bpij-declarant/1.0";
        let (_, headers, body) = self.call(|h| h.get(&url), &[]).await?;
        let format = listing_format(service, &headers, &body)?;
        BpijListing::parse_as(format, &body).map_err(|e| bad_listing(service, e))
    }

    /// Downloads a BPIJ from a listing URL.
    pub async fn download_bpij(&self, url: &str) -> Result<Vec<u8>, NetEntError> {
        self.get_trusted(url).await
    }

    /// True when `url` is on one of the configured download/consultation hosts: the only
    /// ones the token is ever sent to. A listing may name other hosts (the kit's own sample
    /// BPIJ links read `https://.../telecharger-bpij/1.0/…`): each such link alone is refused
    /// (`untrusted_url`), never the listing that holds it.
    pub fn is_trusted_url(&self, url: &str) -> bool {
        [
            &self.cfg.download_url,
            &self.cfg.consult_url,
            &self.cfg.bpij_url,
        ]
        .iter()
        .any(|base| same_origin(base, url))
    }

    async fn get_trusted(&self, url: &str) -> Result<Vec<u8>, NetEntError> {
        if !self.is_trusted_url(url) {
            // Never send the token to a host we were not configured for.
            return Err(NetEntError::permanent(
                "untrusted_url",
                None,
                format!(
                    "link to a host that is not a configured net-entreprises host, skipped: {url}"
                ),
            ));
        }
        let (_, _, body) = self.call(|h| h.get(url), &[]).await?;
        Ok(body.to_vec())
    }

    /// Looks for a deposit made around `sent_at` (± `tolerance`) whose returns name
    /// `identifiant_metier` (S20.G00.05.009). Used after a crash or an ambiguous failure.
    pub async fn find_deposit(
        &self,
        sent_at: NaiveDateTime,
        tolerance: chrono::Duration,
        identifiant_metier: &str,
    ) -> Result<Reconciliation, NetEntError> {
        let mut listing = DepositsListing::default();
        for (a, b) in listing::split_windows(sent_at - tolerance, sent_at + tolerance) {
            listing
                .depots
                .extend(self.list_deposits(a, b).await?.depots);
        }
        let candidates: Vec<String> = listing
            .candidates_near(sent_at, tolerance)
            .into_iter()
            .map(|d| d.idflux.clone())
            .collect();
        if candidates.is_empty() {
            return Ok(Reconciliation::NotFound);
        }
        for idflux in &candidates {
            let returns = self.list_returns_flux(idflux).await?;
            for (flux, entry) in returns.entries() {
                if entry.nature == "10" {
                    continue; // AEE/ARE do not carry the declaration's identifiant.
                }
                let Ok(doc) = self.download_return(flux, entry).await else {
                    continue;
                };
                if let Ok(r) = Rapport::parse(&doc)
                    && r.identifiants_metier().contains(&identifiant_metier)
                {
                    return Ok(Reconciliation::Found {
                        idflux: idflux.clone(),
                    });
                }
            }
        }
        Ok(Reconciliation::Unconfirmed { candidates })
    }

    /// `POST /indemnites-journalieres-pj` (multipart): uploads a PDF the CNAM asked for.
    /// Returns the JSON report (`codeRetour`, `rapportRejet`); a 400 report is returned too.
    pub async fn upload_supporting_document(
        &self,
        form: &PjForm,
        pdf: Vec<u8>,
    ) -> Result<serde_json::Value, NetEntError> {
        let Some(url) = self.cfg.pj_url.clone() else {
            return Err(NetEntError::permanent(
                "config",
                None,
                "pj_url not configured",
            ));
        };
        let boundary = format!("ijgate-{:016x}", rand::random::<u64>());
        let body = bytes::Bytes::from(multipart_body(&boundary, form, &pdf));
        let ctype = format!("multipart/form-data; boundary={boundary}");
        let (status, _, answer) = self
            .call(
                |h| {
                    h.post(&url)
                        .header(reqwest::header::CONTENT_TYPE, &ctype)
                        .body(body.clone())
                },
                &[400, 409],
            )
            .await?;
        serde_json::from_slice(&answer).map_err(|e| {
            NetEntError::permanent(
                "bad_answer",
                Some(status.as_u16()),
                format!("{e}: {}", truncate(&answer)),
            )
        })
    }

    /// `GET /indemnites-journalieres-pj/{idEnvoi}`: the report of an upload; `None` while
    /// the CNAM does not know it yet (404).
    pub async fn supporting_document_report(
        &self,
        id_envoi: &str,
    ) -> Result<Option<serde_json::Value>, NetEntError> {
        let Some(base) = self.cfg.pj_url.clone() else {
            return Err(NetEntError::permanent(
                "config",
                None,
                "pj_url not configured",
            ));
        };
        if id_envoi.is_empty()
            || id_envoi.len() > 250
            || !id_envoi
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        {
            return Err(NetEntError::permanent("config", None, "invalid idEnvoi"));
        }
        let url = format!("{}/{id_envoi}", base.trim_end_matches('/'));
        let (status, _, answer) = self.call(|h| h.get(&url), &[404]).await?;
        if status == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        serde_json::from_slice(&answer).map(Some).map_err(|e| {
            NetEntError::permanent(
                "bad_answer",
                Some(status.as_u16()),
                format!("{e}: {}", truncate(&answer)),
            )
        })
    }
}

fn multipart_body(boundary: &str, f: &PjForm, pdf: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut field = |name: &str, value: &str| {
        out.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    };
    field("idEnvoi", &f.id_envoi);
    field("siretDeclare", &f.siret_declare);
    field("nir", f.nir.expose());
    field("natureAbsence", &f.nature_absence);
    field("origine", &f.origine);
    field(
        "dernierJourTravaille",
        &f.dernier_jour_travaille.format("%Y%m%d").to_string(),
    );
    field("motif", &f.motif);
    field("typePieces", &f.type_pieces);
    if let Some(c) = &f.commentaire {
        field("commentaire", c);
    }
    field("editeur", "ijgate");
    field("logiciel", "ijgate");
    field("versionLogiciel", env!("CARGO_PKG_VERSION"));
    let name: String = f
        .file_name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || "._-".contains(*c))
        .collect();
    out.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"fichierPj\"; filename=\"{name}\"\r\nContent-Type: application/pdf\r\n\r\n"
        )
        .as_bytes(),
    );
    out.extend_from_slice(pdf);
    out.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    out
}

fn bad_listing(service: &str, e: ListingError) -> NetEntError {
    NetEntError::permanent("bad_listing", Some(200), format!("{service}: {e}"))
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
    use super::*;

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
