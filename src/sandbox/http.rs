//! HTTP front of the sandbox: routing of the API DSN / CNAM PJ IJ paths, transport checks
//! (token, gzip, content types) and injected faults. Business answers come from [`State`].

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use chrono::{NaiveDate, NaiveDateTime};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};

use super::state::{DepositResult, Fault, State};
use super::{Clock, pj};
use crate::formats::listing::{self, MAX_WINDOW_MINUTES};
use crate::formats::xml_tree;

/// Largest request body (compressed) and largest DSN once gunzipped.
const MAX_BODY: usize = 16 * 1024 * 1024;
const MAX_DSN: usize = 64 * 1024 * 1024;

pub type Resp = Response<Full<Bytes>>;

/// What a request handler needs.
#[derive(Clone)]
pub struct Ctx {
    pub state: Arc<Mutex<State>>,
    pub clock: Clock,
    pub shutdown: tokio::sync::watch::Receiver<bool>,
}

/// Error returned to hyper to drop the connection without an answer (injected reset).
#[derive(Debug)]
pub struct InjectedReset;

impl std::fmt::Display for InjectedReset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("injected connection reset")
    }
}
impl std::error::Error for InjectedReset {}

fn status(code: StatusCode) -> Resp {
    let mut r = Response::new(Full::new(Bytes::new()));
    *r.status_mut() = code;
    r
}

fn unauthorized(realm: &str) -> Resp {
    let mut r = status(StatusCode::UNAUTHORIZED);
    if let Ok(v) = HeaderValue::from_str(realm) {
        r.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    r
}

fn accepts_gzip(req: &Request<Incoming>) -> Option<bool> {
    req.headers()
        .get(header::ACCEPT_ENCODING)
        .map(|v| v.to_str().unwrap_or_default().contains("gzip"))
}

fn gzip(data: &[u8]) -> Option<Vec<u8>> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(data).ok()?;
    enc.finish().ok()
}

/// Body answer, gzipped when the client accepts it.
fn body(code: StatusCode, content_type: &str, data: Vec<u8>, gz: bool) -> Resp {
    let (data, encoded) = match gz.then(|| gzip(&data)).flatten() {
        Some(z) => (z, true),
        None => (data, false),
    };
    let mut r = Response::new(Full::new(Bytes::from(data)));
    *r.status_mut() = code;
    if let Ok(v) = HeaderValue::from_str(content_type) {
        r.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    if encoded {
        r.headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    r.headers_mut().insert(
        header::EXPIRES,
        HeaderValue::from_static("Thu, 01 Dec 1994 16:00:00 GMT"),
    );
    r
}

fn base_url(req: &Request<Incoming>) -> String {
    let host = req
        .uri()
        .authority()
        .map(|a| a.to_string())
        .or_else(|| {
            req.headers()
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .map(str::to_string)
        })
        .unwrap_or_else(|| "localhost".into());
    format!("https://{host}/")
}

async fn read_body(req: Request<Incoming>) -> Option<Bytes> {
    Limited::new(req.into_body(), MAX_BODY)
        .collect()
        .await
        .ok()
        .map(|c| c.to_bytes())
}

fn gunzip(data: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(data)
        .take(u64::try_from(MAX_DSN).unwrap_or(u64::MAX) + 1)
        .read_to_end(&mut out)
        .ok()?;
    (out.len() <= MAX_DSN).then_some(out)
}

/// Entry point for one request.
pub async fn handle(ctx: Ctx, req: Request<Incoming>) -> Result<Resp, InjectedReset> {
    let path = req.uri().path().to_string();
    let segments: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    let first = segments.first().cloned().unwrap_or_default();
    if first == "sandbox" {
        return Ok(sandbox_route(&ctx, &req, &segments));
    }
    let fault = ctx
        .state
        .lock()
        .map(|mut s| s.draw_fault(&first))
        .unwrap_or(None);
    match fault {
        Some(Fault::Reset) => return Err(InjectedReset),
        Some(Fault::Error5xx) => return Ok(status(StatusCode::SERVICE_UNAVAILABLE)),
        Some(Fault::Throttle) => {
            let secs = ctx
                .state
                .lock()
                .map(|s| s.scenario.faults.retry_after.as_secs())
                .unwrap_or(1);
            let mut r = status(StatusCode::TOO_MANY_REQUESTS);
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                r.headers_mut().insert(header::RETRY_AFTER, v);
            }
            return Ok(r);
        }
        Some(Fault::Timeout) => {
            let delay = ctx
                .state
                .lock()
                .map(|s| s.scenario.faults.timeout_delay)
                .unwrap_or_default();
            let mut shutdown = ctx.shutdown.clone();
            tokio::select! {
                _ = tokio::time::sleep(delay) => {}
                _ = shutdown.changed() => {}
            }
            return Ok(status(StatusCode::GATEWAY_TIMEOUT));
        }
        None => {}
    }
    // The API answers gzip only: a client that does not accept it gets 406.
    if accepts_gzip(&req) != Some(true) {
        return Ok(status(StatusCode::NOT_ACCEPTABLE));
    }
    let gz = true;
    // The CNAM PJ IJ API is published under /public/rest/facade/v1.
    let seg: Vec<&str> = match segments.iter().map(String::as_str).collect::<Vec<_>>() {
        v if v.starts_with(&["public", "rest", "facade", "v1"]) => v[4..].to_vec(),
        v => v,
    };
    let method = req.method().clone();
    Ok(match (method, seg.as_slice()) {
        (Method::POST, ["authentifier", "1.0"]) => authenticate(&ctx, req).await,
        (Method::POST, ["deposer-dsn", "2.0" | "1.0"]) => deposit(&ctx, req, gz).await,
        (Method::GET, ["lister-depots", "2.0", debut, rest @ ..]) => {
            let Some(siret) = auth(&ctx, &req) else {
                return Ok(unauthorized(
                    "DSNLogin realm=\"Jeton manquant ou invalide\"",
                ));
            };
            match window(&ctx, debut, rest.first().copied()) {
                Err(code) => status(code),
                Ok((a, b)) => {
                    let now = (ctx.clock)();
                    let l = ctx
                        .state
                        .lock()
                        .map(|s| s.deposits_between(&siret, a, b, now));
                    match l {
                        Ok(l) => ranged(body(
                            StatusCode::OK,
                            "application/xml",
                            l.to_xml().into_bytes(),
                            gz,
                        )),
                        Err(_) => status(StatusCode::INTERNAL_SERVER_ERROR),
                    }
                }
            }
        }
        (Method::GET, ["lister-retours-flux", "2.0", idflux]) => {
            let Some(siret) = auth(&ctx, &req) else {
                return Ok(unauthorized(
                    "DSNLogin realm=\"Jeton manquant ou invalide\"",
                ));
            };
            if idflux.len() > 50 {
                return Ok(status(StatusCode::UNPROCESSABLE_ENTITY));
            }
            let now = (ctx.clock)();
            let base = base_url(&req);
            match ctx
                .state
                .lock()
                .map(|s| s.returns_of_flux(&siret, idflux, now, &base))
            {
                Ok(Some(l)) => body(
                    StatusCode::OK,
                    "application/xml",
                    l.to_xml().into_bytes(),
                    gz,
                ),
                Ok(None) => status(StatusCode::NOT_FOUND),
                Err(_) => status(StatusCode::INTERNAL_SERVER_ERROR),
            }
        }
        (Method::GET, ["lister-retours-declarant", "2.0", debut, rest @ ..]) => {
            let Some(siret) = auth(&ctx, &req) else {
                return Ok(unauthorized(
                    "DSNLogin realm=\"Jeton manquant ou invalide\"",
                ));
            };
            match window(&ctx, debut, rest.first().copied()) {
                Err(code) => status(code),
                Ok((a, b)) => {
                    let now = (ctx.clock)();
                    let base = base_url(&req);
                    match ctx
                        .state
                        .lock()
                        .map(|s| s.returns_between(&siret, a, b, now, &base))
                    {
                        Ok(l) => ranged(body(
                            StatusCode::OK,
                            "application/xml",
                            l.to_xml().into_bytes(),
                            gz,
                        )),
                        Err(_) => status(StatusCode::INTERNAL_SERVER_ERROR),
                    }
                }
            }
        }
        (Method::GET, ["telecharger-retour", "1.0", idflux, id]) => {
            let Some(siret) = auth(&ctx, &req) else {
                return Ok(unauthorized(
                    "DSNLogin realm=\"Jeton manquant ou invalide\"",
                ));
            };
            let now = (ctx.clock)();
            match ctx
                .state
                .lock()
                .map(|s| s.return_body(&siret, idflux, id, now))
            {
                Ok(Some(b)) => body(StatusCode::OK, "application/xml", b, gz),
                Ok(None) => status(StatusCode::NOT_FOUND),
                Err(_) => status(StatusCode::INTERNAL_SERVER_ERROR),
            }
        }
        (Method::GET, ["lister-bpij-declarant", "1.0", debut, rest @ ..]) => {
            let Some(siret) = auth(&ctx, &req) else {
                return Ok(unauthorized(
                    "DSNLogin realm=\"Jeton manquant ou invalide\"",
                ));
            };
            let now = (ctx.clock)();
            let day = |s: &str| NaiveDate::parse_from_str(s, "%Y%m%d").ok();
            let (Some(a), Some(b)) = (
                day(debut),
                rest.first().map(|f| day(f)).unwrap_or(Some(now.date())),
            ) else {
                return Ok(status(StatusCode::UNPROCESSABLE_ENTITY));
            };
            let query: Vec<(String, String)> = req
                .uri()
                .query()
                .unwrap_or_default()
                .split('&')
                .filter_map(|kv| kv.split_once('='))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            let q = |k: &str| query.iter().find(|(x, _)| x == k).map(|(_, v)| v.clone());
            let page = q("page").and_then(|p| p.parse().ok()).unwrap_or(1);
            let base = base_url(&req);
            match ctx.state.lock().map(|s| {
                let query = super::state::BpijQuery {
                    debut: a,
                    fin: b,
                    siret: q("siret"),
                    page,
                };
                s.bpij_listing(&siret, &query, now, &base)
            }) {
                Ok(l) => body(
                    StatusCode::OK,
                    "application/xml",
                    l.to_xml().into_bytes(),
                    gz,
                ),
                Err(_) => status(StatusCode::INTERNAL_SERVER_ERROR),
            }
        }
        (Method::GET, ["telecharger-bpij", "1.0", id]) => {
            let Some(siret) = auth(&ctx, &req) else {
                return Ok(unauthorized(
                    "DSNLogin realm=\"Jeton manquant ou invalide\"",
                ));
            };
            let now = (ctx.clock)();
            match ctx.state.lock().map(|s| s.bpij_body(&siret, id, now)) {
                Ok(Some(b)) => body(StatusCode::OK, "application/xml", b, gz),
                Ok(None) => status(StatusCode::NOT_FOUND),
                Err(_) => status(StatusCode::INTERNAL_SERVER_ERROR),
            }
        }
        (Method::POST, ["indemnites-journalieres-pj"]) => pj_upload(&ctx, req, gz).await,
        (Method::GET, ["indemnites-journalieres-pj", rest @ ..]) => {
            if auth(&ctx, &req).is_none() {
                return Ok(unauthorized(
                    "DSNLogin realm=\"Jeton manquant ou invalide\"",
                ));
            }
            let reports = ctx
                .state
                .lock()
                .map(|s| s.pj_reports.clone())
                .unwrap_or_default();
            match rest.first() {
                Some(id) => match reports.iter().rev().find(|r| r.id_envoi == *id) {
                    Some(r) => json(StatusCode::OK, r, gz),
                    None => status(StatusCode::NOT_FOUND),
                },
                None => json(
                    StatusCode::OK,
                    &serde_json::json!({
                        "page": 1, "taillePage": reports.len(), "totalPages": 1,
                        "totalElements": reports.len(), "nombreElements": reports.len(),
                        "elements": reports,
                    }),
                    gz,
                ),
            }
        }
        _ => status(StatusCode::NOT_FOUND),
    })
}

fn json<T: serde::Serialize>(code: StatusCode, v: &T, gz: bool) -> Resp {
    match serde_json::to_vec(v) {
        Ok(b) => body(code, "application/json", b, gz),
        Err(_) => status(StatusCode::INTERNAL_SERVER_ERROR),
    }
}

fn ranged(mut r: Resp) -> Resp {
    if let Ok(v) = HeaderValue::from_str(&format!("minutes=0-{MAX_WINDOW_MINUTES}")) {
        r.headers_mut().insert(header::ACCEPT_RANGES, v);
    }
    r
}

/// Parses `{debut}[/{fin}]`: 422 on bad dates, 429 when wider than 60 minutes (as the API).
fn window(
    ctx: &Ctx,
    debut: &str,
    fin: Option<&str>,
) -> Result<(NaiveDateTime, NaiveDateTime), StatusCode> {
    let a = listing::parse_ts(debut).ok_or(StatusCode::UNPROCESSABLE_ENTITY)?;
    let b = match fin {
        Some(f) => listing::parse_ts(f).ok_or(StatusCode::UNPROCESSABLE_ENTITY)?,
        None => (ctx.clock)(),
    };
    if b < a || b - a > chrono::Duration::minutes(MAX_WINDOW_MINUTES) {
        return Err(StatusCode::TOO_MANY_REQUESTS);
    }
    Ok((a, b))
}

fn auth(ctx: &Ctx, req: &Request<Incoming>) -> Option<String> {
    let header = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let now = (ctx.clock)();
    ctx.state.lock().ok()?.check_token(header, now)
}

async fn authenticate(ctx: &Ctx, req: Request<Incoming>) -> Resp {
    let Some(raw) = read_body(req).await else {
        return status(StatusCode::BAD_REQUEST);
    };
    let Ok(root) = xml_tree::parse(&raw) else {
        return status(StatusCode::UNPROCESSABLE_ENTITY);
    };
    if root.name != "identifiants" {
        return status(StatusCode::UNPROCESSABLE_ENTITY);
    }
    let f = |n: &str| root.child_text(n).unwrap_or_default().to_string();
    let now = (ctx.clock)();
    let result = ctx.state.lock().map(|mut s| {
        s.authenticate(
            &f("siret"),
            &f("nom"),
            &f("prenom"),
            &f("motdepasse"),
            &f("service"),
            now,
        )
    });
    match result {
        Ok(Ok(token)) => {
            let mut r = body(
                StatusCode::OK,
                "application/octet-stream",
                token.into_bytes(),
                false,
            );
            r.headers_mut().remove(header::EXPIRES);
            r
        }
        Ok(Err(422)) => status(StatusCode::UNPROCESSABLE_ENTITY),
        Ok(Err(_)) => unauthorized("Basic realm=\"net-entreprises.fr\""),
        Err(_) => status(StatusCode::INTERNAL_SERVER_ERROR),
    }
}

async fn deposit(ctx: &Ctx, req: Request<Incoming>, gz: bool) -> Resp {
    let h = req.headers();
    let is_gzip = h
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("gzip"));
    let is_text = h
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/plain"));
    if !is_gzip || !is_text {
        return status(StatusCode::UNSUPPORTED_MEDIA_TYPE);
    }
    let Some(siret) = auth(ctx, &req) else {
        return unauthorized("DSNLogin realm=\"Jeton manquant ou invalide\"");
    };
    let Some(raw) = read_body(req).await else {
        return status(StatusCode::BAD_REQUEST);
    };
    if raw.is_empty() {
        return status(StatusCode::UNPROCESSABLE_ENTITY);
    }
    let now = (ctx.clock)();
    // An undecodable gzip stream is a file format error: ARE, like the real service.
    let file = gunzip(&raw).unwrap_or_else(|| b"\x00not gzip".to_vec());
    match ctx.state.lock().map(|mut s| s.deposit(&siret, &file, now)) {
        Ok(DepositResult::Accepted { idflux, body: b }) => {
            tracing::info!(idflux = %idflux, "sandbox: deposit accepted");
            body(StatusCode::OK, "application/xml", b.into_bytes(), gz)
        }
        Ok(DepositResult::Rejected { body: b }) => {
            tracing::info!("sandbox: deposit rejected (ARE)");
            body(
                StatusCode::UNPROCESSABLE_ENTITY,
                "application/xml",
                b.into_bytes(),
                gz,
            )
        }
        Err(_) => status(StatusCode::INTERNAL_SERVER_ERROR),
    }
}

async fn pj_upload(ctx: &Ctx, req: Request<Incoming>, gz: bool) -> Resp {
    if auth(ctx, &req).is_none() {
        return unauthorized("DSNLogin realm=\"Jeton manquant ou invalide\"");
    }
    let Some(b) = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(pj::boundary)
    else {
        return status(StatusCode::BAD_REQUEST);
    };
    let Some(raw) = read_body(req).await else {
        return status(StatusCode::PAYLOAD_TOO_LARGE);
    };
    let Some(parts) = pj::parse_multipart(&raw, &b) else {
        return status(StatusCode::BAD_REQUEST);
    };
    let now = (ctx.clock)();
    let report = pj::check_upload(&parts, &listing::format_ts(now));
    let code = if report.code_retour == "200" {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let answer = json(code, &report, gz);
    if let Ok(mut s) = ctx.state.lock() {
        s.record_pj(report);
    }
    answer
}

fn sandbox_route(ctx: &Ctx, _req: &Request<Incoming>, seg: &[String]) -> Resp {
    match seg.get(1).map(String::as_str) {
        Some("stats") => {
            let now = (ctx.clock)();
            match ctx.state.lock().map(|s| s.stats(now)) {
                Ok(st) => json(StatusCode::OK, &st, false),
                Err(_) => status(StatusCode::INTERNAL_SERVER_ERROR),
            }
        }
        _ => status(StatusCode::NOT_FOUND),
    }
}
