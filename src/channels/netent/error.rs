//! Errors of the API DSN client: transient or permanent, each with a stable `kind`, and the
//! mapping of the kit's status codes and `WWW-Authenticate` realms
//! (kit: src/main/java/fr/gipmds/dsn/utils/SecurityUtils.java, services/**).

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER, WWW_AUTHENTICATE};

use super::truncate;
use crate::formats::listing::ListingError;

/// `WWW-Authenticate` realm of a missing, malformed or expired token
/// (kit: utils/SecurityUtils.java `jetonManquantOuInvalide`).
pub const REALM_INVALID_TOKEN: &str = "Jeton manquant ou invalide";
/// `WWW-Authenticate` realm of a declarant (or concentrateur) not enrolled in the service
/// (kit: utils/SecurityUtils.java `utilisateurNonInscrit`).
pub const REALM_NOT_ENROLLED: &str = "Utilisateur non-inscrit au service";

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

    pub(super) fn permanent(
        kind: &'static str,
        status: Option<u16>,
        body: impl Into<String>,
    ) -> Self {
        NetEntError::Permanent {
            kind,
            status,
            body: body.into(),
        }
    }
}

/// `Retry-After` as delta-seconds or HTTP-date.
pub(super) fn parse_retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    let delta = when.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(delta.to_std().unwrap_or(Duration::ZERO))
}

pub(super) fn classify_reqwest(e: &reqwest::Error) -> NetEntError {
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
pub(super) fn classify_status(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> NetEntError {
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

pub(super) fn bad_listing(service: &str, e: ListingError) -> NetEntError {
    NetEntError::permanent("bad_listing", Some(200), format!("{service}: {e}"))
}
