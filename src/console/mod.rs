//! The operator console: server-rendered pages on the admin listener (`/console/…`).
//!
//! - Pages: overview, declarations (search, one declaration), late and failed, insurers
//!   ([`pages`] renders, [`data`] reads the journal).
//! - Access ([`Who`]): with `console.tls`, the admin listener speaks TLS and requires a client
//!   certificate chained to the configured CA (the web service's mTLS machinery); the
//!   certificate's identity (DNS SAN, else CN) is looked up in `console.operators` /
//!   `console.viewers`. Without TLS, only loopback peers get in, as `console.local_identity`
//!   with `console.local_role` (viewer by default: anyone with a shell on the host).
//! - Actions (retry a deposit, close a DSIJ task, acknowledge an alert) are POST forms with a
//!   CSRF token bound to the operator's identity; each is journaled in `console_actions` with
//!   that identity, and in the declaration's history when it concerns one.
//! - No personal data in URLs: a NIR search is a POST; pages show the masked NIR only.
//!   Request paths and queries are never logged.
//! - Security headers on every answer: a CSP without inline script, frame-ancestors 'none',
//!   nosniff, no-referrer, and `no-store` (pages carry personal data).

pub mod data;
pub mod live;
pub mod pages;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::{Method, Request, Response, StatusCode, header};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::sync::OnceLock;

use crate::config::Config;
use crate::journal::{Journal, JournalError};

/// `[console]` (settings in `config::console`).
pub use crate::config::console::ConsoleConfig;

impl ConsoleConfig {
    pub fn lang(&self) -> pages::Lang {
        if self.lang == "en" {
            pages::Lang::En
        } else {
            pages::Lang::Fr
        }
    }
}

/// What a console user may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    Viewer,
    Operator,
}

impl Role {
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "viewer" => Some(Role::Viewer),
            "operator" => Some(Role::Operator),
            _ => None,
        }
    }
}

/// How the peer reached the admin listener.
#[derive(Debug, Clone)]
pub struct Peer {
    pub loopback: bool,
    /// `Some` on a TLS connection: the verified client certificate's identities.
    pub tls_identities: Option<Vec<String>>,
}

/// An authenticated console user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Who {
    pub identity: String,
    pub role: Role,
}

/// Who the peer is for the console, or why not.
pub fn authenticate(cfg: &ConsoleConfig, peer: &Peer) -> Result<Who, &'static str> {
    match &peer.tls_identities {
        Some(ids) => {
            for id in ids {
                if cfg.operators.contains(id) {
                    return Ok(Who {
                        identity: id.clone(),
                        role: Role::Operator,
                    });
                }
                if cfg.viewers.contains(id) {
                    return Ok(Who {
                        identity: id.clone(),
                        role: Role::Viewer,
                    });
                }
            }
            Err("certificate identity not in console.operators or console.viewers")
        }
        None if peer.loopback => match Role::parse(&cfg.local_role) {
            Some(role) => Ok(Who {
                identity: cfg.local_identity.clone(),
                role,
            }),
            None => Err("console.local_role = \"none\": use TLS with a client certificate"),
        },
        None => Err("the console needs TLS with a client certificate off loopback"),
    }
}

/// Per-process secret for CSRF tokens (a restart invalidates open forms, which is fine).
fn csrf_secret() -> &'static [u8; 32] {
    static S: OnceLock<[u8; 32]> = OnceLock::new();
    S.get_or_init(rand::random)
}

/// The CSRF token of an identity: SHA-256(secret ‖ identity); a form from another site cannot
/// know it, and it is useless to anyone else.
pub fn csrf_token(identity: &str) -> String {
    let mut h = Sha256::new();
    h.update(csrf_secret());
    h.update(b"\0console-csrf\0");
    h.update(identity.as_bytes());
    hex::encode(h.finalize())
}

fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub type Body = Full<Bytes>;
/// The listener's body type: a whole page, or the live event stream.
pub type BoxedBody = http_body_util::combinators::BoxBody<Bytes, std::convert::Infallible>;

/// Console events worth counting (refusals, CSRF failures, actions, journal errors).
pub use crate::metrics::CONSOLE_EVENTS as EVENTS;

/// The Content-Security-Policy of every console answer: no inline script, no framing.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
     connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// An answer with the console's security headers.
pub fn answer(
    status: StatusCode,
    content_type: &'static str,
    body: impl Into<Bytes>,
) -> Response<Body> {
    let mut r = Response::new(Full::new(body.into()));
    *r.status_mut() = status;
    let h = r.headers_mut();
    let set = |h: &mut hyper::HeaderMap, k: header::HeaderName, v: &'static str| {
        h.insert(k, header::HeaderValue::from_static(v));
    };
    set(h, header::CONTENT_TYPE, content_type);
    set(h, header::CONTENT_SECURITY_POLICY, CSP);
    set(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(h, header::X_FRAME_OPTIONS, "DENY");
    set(h, header::REFERRER_POLICY, "no-referrer");
    // Pages and downloads carry personal data: never cached, by the browser or a proxy.
    set(h, header::CACHE_CONTROL, "no-store");
    r
}

fn html(status: StatusCode, page: maud::Markup) -> Response<Body> {
    answer(status, "text/html; charset=utf-8", page.into_string())
}

fn redirect(to: &str) -> Response<Body> {
    let mut r = answer(StatusCode::SEE_OTHER, "text/plain", "");
    if let Ok(v) = header::HeaderValue::from_str(to) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

/// True for the paths the console serves (the admin listener routes them here).
pub fn is_console_path(path: &str) -> bool {
    path == "/" || path == "/console" || path.starts_with("/console/")
}

/// A request as the console needs it: already read, so handlers are plain functions (tested
/// without a socket).
#[derive(Debug, Clone)]
pub struct Req {
    pub method: Method,
    pub path: String,
    pub query: String,
    pub body: Bytes,
    /// `Sec-Fetch-Site`, when the browser sent it.
    pub fetch_site: Option<String>,
}

/// Largest form body accepted.
const MAX_FORM: usize = 16 * 1024;

/// Reads a hyper request into a [`Req`] and answers it; `GET /console/events` is the live
/// event stream ([`live`]), which ends when `stop` fires.
pub async fn handle(
    req: Request<hyper::body::Incoming>,
    journal: &Journal,
    cfg: Arc<Config>,
    peer: &Peer,
    stop: &tokio_util::sync::CancellationToken,
) -> Response<BoxedBody> {
    if req.method() == Method::GET && req.uri().path() == "/console/events" {
        return events(journal, &cfg, peer, stop);
    }
    handle_page(req, journal, cfg, peer)
        .await
        .map(BodyExt::boxed)
}

/// `GET /console/events`: same access rule as the pages (a viewer may listen).
fn events(
    journal: &Journal,
    cfg: &Config,
    peer: &Peer,
    stop: &tokio_util::sync::CancellationToken,
) -> Response<BoxedBody> {
    let c = &cfg.console;
    if !c.enabled {
        return answer(StatusCode::NOT_FOUND, "text/plain", "not found\n").map(BodyExt::boxed);
    }
    if let Err(why) = authenticate(c, peer) {
        EVENTS.inc("refused");
        return html(StatusCode::FORBIDDEN, pages::refused(c.lang(), why)).map(BodyExt::boxed);
    }
    let Some(body) = live::stream(journal, stop) else {
        EVENTS.inc("live_refused");
        return answer(
            StatusCode::SERVICE_UNAVAILABLE,
            "text/plain",
            "too many live streams\n",
        )
        .map(BodyExt::boxed);
    };
    EVENTS.inc("live_streams");
    let mut r = answer(StatusCode::OK, "text/event-stream; charset=utf-8", "").map(|_| body);
    // Reverse proxies (nginx) would otherwise buffer the stream.
    r.headers_mut()
        .insert("x-accel-buffering", header::HeaderValue::from_static("no"));
    r
}

async fn handle_page(
    req: Request<hyper::body::Incoming>,
    journal: &Journal,
    cfg: Arc<Config>,
    peer: &Peer,
) -> Response<Body> {
    let (parts, body) = req.into_parts();
    let body = match Limited::new(body, MAX_FORM).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => {
            EVENTS.inc("bad_requests");
            return answer(
                StatusCode::PAYLOAD_TOO_LARGE,
                "text/plain",
                "body too large\n",
            );
        }
    };
    let r = Req {
        method: parts.method,
        path: parts.uri.path().to_string(),
        query: parts.uri.query().unwrap_or("").to_string(),
        body,
        fetch_site: parts
            .headers
            .get("sec-fetch-site")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
    };
    route(r, journal, cfg, peer).await
}

fn form(body: &[u8]) -> std::collections::HashMap<String, String> {
    form_urlencoded::parse(body).into_owned().collect()
}

fn query_map(q: &str) -> std::collections::HashMap<String, String> {
    form_urlencoded::parse(q.as_bytes()).into_owned().collect()
}

/// Answers one console request.
pub async fn route(r: Req, journal: &Journal, cfg: Arc<Config>, peer: &Peer) -> Response<Body> {
    let c = &cfg.console;
    let lang = c.lang();
    if !c.enabled {
        return answer(StatusCode::NOT_FOUND, "text/plain", "not found\n");
    }
    let who = match authenticate(c, peer) {
        Ok(w) => w,
        Err(why) => {
            EVENTS.inc("refused");
            return html(StatusCode::FORBIDDEN, pages::refused(lang, why));
        }
    };
    let now = chrono::Utc::now();
    match (&r.method, r.path.as_str()) {
        (&Method::GET, "/" | "/console" | "/console/") => redirect("/console/overview"),
        (&Method::GET, "/console/console.css") => {
            answer(StatusCode::OK, "text/css; charset=utf-8", pages::CSS)
        }
        (&Method::GET, "/console/console.js") => {
            answer(StatusCode::OK, "text/javascript; charset=utf-8", pages::JS)
        }
        (&Method::GET, "/console/overview") => {
            let cfg2 = cfg.clone();
            match journal
                .read(move |conn| data::overview(conn, &cfg2, now))
                .await
            {
                Ok(o) => html(StatusCode::OK, pages::overview(lang, &who, &o)),
                Err(e) => failure(lang, &who, e),
            }
        }
        (&Method::GET, "/console/counts.json") => {
            let cfg2 = cfg.clone();
            match journal
                .read(move |conn| data::overview(conn, &cfg2, now))
                .await
            {
                Ok(o) => answer(
                    StatusCode::OK,
                    "application/json",
                    serde_json::to_vec(&o.live_counts()).unwrap_or_default(),
                ),
                Err(_) => answer(StatusCode::SERVICE_UNAVAILABLE, "application/json", "{}"),
            }
        }
        (&Method::GET, "/console/declarations") => {
            let q = query_map(&r.query);
            let search = data::Search {
                text: q.get("q").cloned().unwrap_or_default().trim().to_string(),
                state: q.get("state").cloned().unwrap_or_default(),
                nir: None,
                page: q
                    .get("page")
                    .and_then(|p| p.parse().ok())
                    .unwrap_or(1)
                    .max(1),
                page_size: c.page_size,
            };
            list(lang, &who, journal, search).await
        }
        (&Method::POST, "/console/declarations/search") => {
            // A NIR search: POST so that the NIR is in no URL, history or log.
            let f = form(&r.body);
            let nir = f
                .get("nir")
                .map(|s| s.trim().to_string())
                .unwrap_or_default();
            let Ok(n) = crate::model::nir::Nir::parse(&nir) else {
                return html(
                    StatusCode::BAD_REQUEST,
                    pages::message(lang, &who, pages::Msg::BadNir),
                );
            };
            let search = data::Search {
                text: String::new(),
                state: String::new(),
                nir: Some(n.body().to_string()),
                page: 1,
                page_size: c.page_size,
            };
            list(lang, &who, journal, search).await
        }
        (&Method::GET, "/console/late") => {
            let cfg2 = cfg.clone();
            match journal.read(move |conn| data::late(conn, &cfg2, now)).await {
                Ok(l) => html(
                    StatusCode::OK,
                    pages::late(lang, &who, &l, &csrf_token(&who.identity)),
                ),
                Err(e) => failure(lang, &who, e),
            }
        }
        (&Method::GET, "/console/insurers") => {
            let today = now.date_naive();
            match journal.read(move |conn| data::insurers(conn, today)).await {
                Ok(i) => html(StatusCode::OK, pages::insurers(lang, &who, &i)),
                Err(e) => failure(lang, &who, e),
            }
        }
        (&Method::POST, p) if p.starts_with("/console/actions/") => {
            action(r, journal, &who, lang).await
        }
        (&Method::GET, p) => {
            let segs: Vec<&str> = p.trim_start_matches("/console/").split('/').collect();
            match segs.as_slice() {
                ["declarations", id] => {
                    let Ok(id) = id.parse::<i64>() else {
                        return not_found(lang, &who);
                    };
                    let cfg2 = cfg.clone();
                    match journal
                        .read(move |conn| data::declaration(conn, &cfg2, id, now))
                        .await
                    {
                        Ok(Some(d)) => html(
                            StatusCode::OK,
                            pages::declaration(lang, &who, &d, &csrf_token(&who.identity)),
                        ),
                        Ok(None) => not_found(lang, &who),
                        Err(e) => failure(lang, &who, e),
                    }
                }
                [kind @ ("returns" | "files"), id] => {
                    let Ok(id) = id.parse::<i64>() else {
                        return not_found(lang, &who);
                    };
                    let kind = kind.to_string();
                    match journal
                        .read(move |conn| data::download(conn, &kind, id))
                        .await
                    {
                        Ok(Some((name, body))) => {
                            let mut resp = answer(StatusCode::OK, "application/octet-stream", body);
                            let safe: String = name
                                .chars()
                                .map(|c| {
                                    if c.is_ascii_alphanumeric() || "._-".contains(c) {
                                        c
                                    } else {
                                        '_'
                                    }
                                })
                                .collect();
                            if let Ok(v) = header::HeaderValue::from_str(&format!(
                                "attachment; filename=\"{safe}\""
                            )) {
                                resp.headers_mut().insert(header::CONTENT_DISPOSITION, v);
                            }
                            resp
                        }
                        Ok(None) => not_found(lang, &who),
                        Err(e) => failure(lang, &who, e),
                    }
                }
                _ => not_found(lang, &who),
            }
        }
        _ => answer(
            StatusCode::METHOD_NOT_ALLOWED,
            "text/plain",
            "method not allowed\n",
        ),
    }
}

async fn list(
    lang: pages::Lang,
    who: &Who,
    journal: &Journal,
    search: data::Search,
) -> Response<Body> {
    let s = search.clone();
    match journal.read(move |conn| data::declarations(conn, &s)).await {
        Ok(l) => html(StatusCode::OK, pages::declarations(lang, who, &search, &l)),
        Err(e) => failure(lang, who, e),
    }
}

fn not_found(lang: pages::Lang, who: &Who) -> Response<Body> {
    html(
        StatusCode::NOT_FOUND,
        pages::message(lang, who, pages::Msg::NotFound),
    )
}

fn failure(lang: pages::Lang, who: &Who, e: JournalError) -> Response<Body> {
    EVENTS.inc("journal_errors");
    tracing::error!(error = %e, "console: journal read failed");
    html(
        StatusCode::SERVICE_UNAVAILABLE,
        pages::message(lang, who, pages::Msg::JournalError),
    )
}

/// An operator action: role, CSRF and same-origin checked, then journaled with the identity.
async fn action(r: Req, journal: &Journal, who: &Who, lang: pages::Lang) -> Response<Body> {
    if who.role != Role::Operator {
        EVENTS.inc("refused");
        return html(
            StatusCode::FORBIDDEN,
            pages::message(lang, who, pages::Msg::ViewerCannotAct),
        );
    }
    if r.fetch_site
        .as_deref()
        .is_some_and(|s| s != "same-origin" && s != "none")
    {
        EVENTS.inc("csrf_refused");
        return html(
            StatusCode::FORBIDDEN,
            pages::message(lang, who, pages::Msg::BadCsrf),
        );
    }
    let f = form(&r.body);
    let token = f.get("csrf").cloned().unwrap_or_default();
    if !same(token.as_bytes(), csrf_token(&who.identity).as_bytes()) {
        EVENTS.inc("csrf_refused");
        return html(
            StatusCode::FORBIDDEN,
            pages::message(lang, who, pages::Msg::BadCsrf),
        );
    }
    let Some(id) = f.get("id").and_then(|v| v.parse::<i64>().ok()) else {
        return html(
            StatusCode::BAD_REQUEST,
            pages::message(lang, who, pages::Msg::NotFound),
        );
    };
    let kind = r.path.trim_start_matches("/console/actions/").to_string();
    let back = match f.get("back").map(String::as_str) {
        Some("declaration") => None,
        _ => Some("/console/late".to_string()),
    };
    let operator = who.identity.clone();
    let k = kind.clone();
    let done = journal
        .write(move |conn| data::act(conn, &k, id, &operator, &crate::journal::now()))
        .await;
    match done {
        Ok(data::Acted::Done { declaration }) => {
            EVENTS.inc("actions");
            tracing::info!(action = %kind, target = id, operator = %who.identity, "console: operator action");
            let to = match (back, declaration) {
                (None, Some(d)) => format!("/console/declarations/{d}"),
                (Some(b), _) => b,
                (None, None) => "/console/late".into(),
            };
            redirect(&to)
        }
        Ok(data::Acted::Refused(why)) => {
            EVENTS.inc("actions_refused");
            html(
                StatusCode::CONFLICT,
                pages::message(lang, who, pages::Msg::Refused(why)),
            )
        }
        Ok(data::Acted::Unknown) => not_found(lang, who),
        Err(e) => failure(lang, who, e),
    }
}

#[cfg(test)]
mod tests;
