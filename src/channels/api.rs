//! The mTLS web service (hyper 1 + rustls).
//!
//! Authentication is the client certificate (checked against the configured CA during the
//! handshake); authorisation is the allow-list: the certificate's identity must name a
//! configured HR client, and that client may only declare for its own SIRETs. Refusals after
//! the handshake are JSON (RFC 9457 problem details), never a dropped connection.
//!
//! `202 Accepted` is sent only after the journal commit.

use arc_swap::ArcSwap;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode, header};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use rustls::ServerConfig;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use super::tls::identities;
use crate::config::HrClient;
use crate::engine::ingest::{Engine, InputMeta, validate_all};
use crate::formats::hr_json;
use crate::journal::query;
use crate::model::validate::{FORBIDDEN_SIRET, FieldError};

/// The OpenAPI document served at /openapi.json (also committed as `openapi.json`).
pub const OPENAPI: &str = include_str!("../../openapi.json");

type Body = Full<Bytes>;

fn json_response(status: StatusCode, v: &Value) -> Response<Body> {
    let mut r = Response::new(Full::new(Bytes::from(
        serde_json::to_vec(v).unwrap_or_default(),
    )));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    r
}

/// RFC 9457 problem details.
fn problem(
    status: StatusCode,
    kind: &str,
    title: &str,
    detail: &str,
    errors: Option<&[FieldError]>,
) -> Response<Body> {
    let mut v = json!({
        "type": format!("urn:ijgate:problem:{kind}"),
        "title": title,
        "status": status.as_u16(),
        "detail": detail,
    });
    if let Some(e) = errors {
        v["errors"] = serde_json::to_value(e).unwrap_or_default();
    }
    let mut r = json_response(status, &v);
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/problem+json"),
    );
    r
}

/// Connection limits of the web service (`[api]`), read at start.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_body: usize,
    pub idle_timeout: Duration,
    pub handshake_timeout: Duration,
    pub max_connections_per_client: usize,
}

impl From<&crate::config::Api> for Limits {
    fn from(a: &crate::config::Api) -> Limits {
        Limits {
            max_body: a.max_body,
            idle_timeout: a.idle_timeout,
            handshake_timeout: a.handshake_timeout,
            max_connections_per_client: a.max_connections_per_client,
        }
    }
}

/// Open connections per client identity; a slot is given back when its guard drops.
#[derive(Default)]
struct Slots(std::sync::Mutex<std::collections::HashMap<String, usize>>);

struct Slot {
    slots: Arc<Slots>,
    key: String,
}

impl Slots {
    fn take(self: &Arc<Self>, key: &str, max: usize) -> Option<Slot> {
        let mut m = self.0.lock().ok()?;
        let n = m.entry(key.to_string()).or_insert(0);
        if *n >= max {
            return None;
        }
        *n += 1;
        Some(Slot {
            slots: self.clone(),
            key: key.to_string(),
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Ok(mut m) = self.slots.0.lock()
            && let Some(n) = m.get_mut(&self.key)
        {
            *n = n.saturating_sub(1);
            if *n == 0 {
                m.remove(&self.key);
            }
        }
    }
}

/// Requests in flight on one connection and when the last one ended: the idle clock.
struct Activity {
    in_flight: std::sync::atomic::AtomicUsize,
    last: std::sync::Mutex<std::time::Instant>,
}

impl Activity {
    fn touch(&self) {
        if let Ok(mut l) = self.last.lock() {
            *l = std::time::Instant::now();
        }
    }

    fn idle_for(&self) -> Option<Duration> {
        if self.in_flight.load(std::sync::atomic::Ordering::SeqCst) > 0 {
            return None;
        }
        self.last.lock().ok().map(|l| l.elapsed())
    }
}

/// Serves the web service on `listener` until `stop`; open connections are drained gracefully.
///
/// Hostile clients (issue 17): a TLS handshake has `handshake_timeout`; a connection with no
/// request in flight for `idle_timeout` is closed (HTTP/1 and HTTP/2: graceful shutdown, a
/// GOAWAY for HTTP/2); one certificate identity holds at most `max_connections_per_client`
/// connections, further ones are closed right after the handshake.
pub async fn serve(
    listener: TcpListener,
    tls: Arc<ArcSwap<ServerConfig>>,
    engine: Engine,
    limits: Limits,
    stop: CancellationToken,
) {
    let tracker = tokio_util::task::TaskTracker::new();
    let slots: Arc<Slots> = Arc::default();
    loop {
        let Some((tcp, peer)) = super::accept::next(&listener, &stop, "api").await else {
            break;
        };
        let _ = tcp.set_nodelay(true);
        // The current TLS configuration (swapped atomically on reload).
        let acceptor = tokio_rustls::TlsAcceptor::from(tls.load_full());
        let (engine, slots, stop) = (engine.clone(), slots.clone(), stop.clone());
        tracker.spawn(async move {
            let stream =
                match tokio::time::timeout(limits.handshake_timeout, acceptor.accept(tcp)).await {
                    Ok(Ok(s)) => s,
                    Ok(Err(e)) => {
                        // No or unknown client certificate, not TLS at all...: counted too.
                        crate::metrics::api_connection_closed("handshake_failed");
                        tracing::info!(%peer, error = %e, "api: TLS handshake refused");
                        return;
                    }
                    Err(_) => {
                        crate::metrics::api_connection_closed("handshake_timeout");
                        tracing::info!(%peer, "api: TLS handshake timed out");
                        return;
                    }
                };
            let ids: Vec<String> = stream
                .get_ref()
                .1
                .peer_certificates()
                .and_then(|c| c.first())
                .map(identities)
                .unwrap_or_default();
            let key = ids.first().cloned().unwrap_or_default();
            let Some(_slot) = slots.take(&key, limits.max_connections_per_client.max(1)) else {
                crate::metrics::api_connection_closed("too_many_connections");
                crate::internal_events::api_refused(
                    "too_many_connections",
                    &format!("{peer} identity {key} (max {})", limits.max_connections_per_client),
                );
                return;
            };
            let ids = Arc::new(ids);
            let activity = Arc::new(Activity {
                in_flight: 0.into(),
                last: std::sync::Mutex::new(std::time::Instant::now()),
            });
            let act = activity.clone();
            let svc = hyper::service::service_fn(move |req| {
                let (engine, ids, act) = (engine.clone(), ids.clone(), act.clone());
                async move {
                    act.in_flight
                        .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let r = handle(req, &engine, &ids, limits.max_body).await;
                    act.touch();
                    act.in_flight
                        .fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
                    Ok::<_, std::convert::Infallible>(r)
                }
            });
            let mut builder = auto::Builder::new(TokioExecutor::new());
            builder
                .http1()
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(limits.idle_timeout);
            let conn = builder.serve_connection(TokioIo::new(stream), svc);
            tokio::pin!(conn);
            let tick = (limits.idle_timeout / 4)
                .clamp(Duration::from_millis(20), Duration::from_secs(5));
            let mut ticker = tokio::time::interval(tick);
            let mut closing = false;
            loop {
                tokio::select! {
                    r = conn.as_mut() => {
                        if let Err(e) = r {
                            tracing::debug!(%peer, error = %e, "api: connection ended with an error");
                        }
                        break;
                    }
                    _ = stop.cancelled(), if !closing => {
                        // Stop: requests in flight finish (each answers after its commit).
                        conn.as_mut().graceful_shutdown();
                        closing = true;
                    }
                    _ = ticker.tick(), if !closing => {
                        if activity.idle_for().is_some_and(|d| d >= limits.idle_timeout) {
                            crate::metrics::api_connection_closed("idle");
                            tracing::debug!(%peer, "api: idle connection closed");
                            conn.as_mut().graceful_shutdown();
                            closing = true;
                        }
                    }
                }
            }
        });
    }
    // Stop accepting; let connections in flight finish.
    tracker.close();
    tracker.wait().await;
}

/// Every route of the web service: its path (`{id}` is a number) and the methods it accepts.
/// The router's `405 Method Not Allowed` (with `Allow`) reads it, and a test checks that
/// `openapi.json` documents exactly these.
pub const ROUTES: &[(&str, &str)] = &[
    ("/openapi.json", "GET"),
    ("/v1/stoppages", "GET, POST"),
    ("/v1/stoppages/{id}", "GET"),
    ("/v1/stoppages/{id}/documents", "POST"),
    ("/v1/stoppages/{id}/notices:replay", "POST"),
    ("/v1/notices:replay", "POST"),
    ("/v1/tasks/{id}/done", "POST"),
];

/// The methods a known route accepts, for `405 Method Not Allowed` with `Allow`.
fn allowed_methods(segments: &[&str]) -> Option<&'static str> {
    ROUTES.iter().find_map(|(path, methods)| {
        let pattern: Vec<&str> = path.trim_matches('/').split('/').collect();
        (pattern.len() == segments.len()
            && pattern
                .iter()
                .zip(segments)
                .all(|(p, s)| p == s || *p == "{id}"))
        .then_some(*methods)
    })
}

fn client_for<'a>(cfg: &'a crate::config::Config, ids: &[String]) -> Option<&'a HrClient> {
    ids.iter().find_map(|id| cfg.client_by_name(id))
}

async fn handle(
    req: Request<Incoming>,
    engine: &Engine,
    ids: &[String],
    max_body: usize,
) -> Response<Body> {
    let path = req.uri().path().to_string();
    if req.method() == Method::GET && path == "/openapi.json" {
        let mut r = Response::new(Full::new(Bytes::from_static(OPENAPI.as_bytes())));
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static("application/json"),
        );
        return r;
    }
    let cfg = engine.config.load_full();
    let Some(client) = client_for(&cfg, ids).cloned() else {
        crate::internal_events::api_refused("identity_not_allowed", &format!("{ids:?}"));
        return problem(
            StatusCode::FORBIDDEN,
            "unknown-client",
            "Client not allowed",
            &format!("the certificate identity {ids:?} is not a configured HR client"),
            None,
        );
    };
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match (req.method().clone(), segments.as_slice()) {
        (Method::POST, ["v1", "stoppages"]) => {
            post_stoppages(req, engine, &cfg, &client, max_body).await
        }
        (Method::GET, ["v1", "stoppages"]) => {
            list_stoppages(req.uri().query().unwrap_or(""), engine, &client).await
        }
        (Method::POST, ["v1", "notices:replay"]) => {
            replay_notices(req, engine, &client, None, max_body).await
        }
        (Method::POST, ["v1", "stoppages", id, "notices:replay"]) => match id.parse::<i64>() {
            Ok(id) => replay_notices(req, engine, &client, Some(id), max_body).await,
            Err(_) => not_found(),
        },
        (Method::GET, ["v1", "stoppages", id]) => match id.parse::<i64>() {
            Ok(id) => get_one(engine, &client, id).await,
            Err(_) => not_found(),
        },
        (Method::POST, ["v1", "stoppages", id, "documents"]) => match id.parse::<i64>() {
            Ok(id) => post_document(req, engine, &client, id).await,
            Err(_) => not_found(),
        },
        (Method::POST, ["v1", "tasks", id, "done"]) => match id.parse::<i64>() {
            Ok(id) => task_done(engine, &client, id).await,
            Err(_) => not_found(),
        },
        (method, segs) => match allowed_methods(segs) {
            Some(allow) => {
                let mut r = problem(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "method-not-allowed",
                    "Method not allowed",
                    &format!("{method} is not allowed here; allowed: {allow}"),
                    None,
                );
                r.headers_mut()
                    .insert(header::ALLOW, header::HeaderValue::from_static(allow));
                r
            }
            None => problem(
                StatusCode::NOT_FOUND,
                "not-found",
                "Not found",
                &format!(
                    "no route for {}",
                    crate::model::validate::excerpt(&path, 200)
                ),
                None,
            ),
        },
    }
}

fn not_found() -> Response<Body> {
    problem(
        StatusCode::NOT_FOUND,
        "not-found",
        "Not found",
        "no such declaration",
        None,
    )
}

fn internal(e: impl std::fmt::Display) -> Response<Body> {
    crate::internal_events::api_internal(&e);
    problem(
        StatusCode::SERVICE_UNAVAILABLE,
        "unavailable",
        "Journal unavailable",
        "retry later",
        None,
    )
}

enum BodyError {
    TooLarge,
    Broken,
}

/// Most of an oversized HTTP/1.1 body read and discarded before the 413 (below).
const DRAIN_MAX: usize = 64 * 1024 * 1024;

/// Reads a request body of at most `max` bytes.
///
/// Over the limit (declared by `content-length`, or seen while reading) the answer is 413 over
/// HTTP/1.1 and HTTP/2 alike (issue 17). HTTP/2 ends the stream after the answer; an HTTP/1.1
/// client is still writing, and a server that closes at once makes it fail with a broken pipe
/// before it reads the 413, so the rest of the body is read and discarded first, up to
/// `DRAIN_MAX` and `DRAIN_TIME` (then the connection is closed anyway).
async fn read_body(req: Request<Incoming>, max: usize) -> Result<Bytes, BodyError> {
    const DRAIN_TIME: Duration = Duration::from_secs(10);
    let h1 = req.version() < hyper::Version::HTTP_2;
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let mut body = req.into_body();
    let drain = |mut body: Incoming| async move {
        if h1 {
            let _ = tokio::time::timeout(DRAIN_TIME, async {
                let mut n = 0usize;
                while let Some(Ok(f)) = body.frame().await {
                    n += f.data_ref().map_or(0, |d| d.len());
                    if n > DRAIN_MAX {
                        break;
                    }
                }
            })
            .await;
        }
    };
    if declared.is_some_and(|n| n > max as u64) {
        drain(body).await;
        return Err(BodyError::TooLarge);
    }
    let mut buf = bytes::BytesMut::new();
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else {
            return Err(BodyError::Broken);
        };
        if let Some(d) = frame.data_ref() {
            if buf.len() + d.len() > max {
                drain(body).await;
                return Err(BodyError::TooLarge);
            }
            buf.extend_from_slice(d);
        }
    }
    Ok(buf.freeze())
}

fn broken_body() -> Response<Body> {
    problem(
        StatusCode::BAD_REQUEST,
        "bad-request",
        "Unreadable body",
        "the request body could not be read",
        None,
    )
}

fn too_large(max_body: usize) -> Response<Body> {
    crate::metrics::api_connection_closed("body_too_large");
    problem(
        StatusCode::PAYLOAD_TOO_LARGE,
        "too-large",
        "Body too large",
        &format!("at most {max_body} bytes"),
        None,
    )
}

async fn post_stoppages(
    req: Request<Incoming>,
    engine: &Engine,
    cfg: &crate::config::Config,
    client: &HrClient,
    max_body: usize,
) -> Response<Body> {
    let body = match read_body(req, max_body).await {
        Ok(b) => b,
        Err(BodyError::TooLarge) => return too_large(max_body),
        Err(BodyError::Broken) => return broken_body(),
    };
    let parsed = hr_json::read(&body);
    if !parsed.file_errors.is_empty() {
        return problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
            "Invalid document",
            "the body must be a JSON object or an array of objects",
            Some(&parsed.file_errors),
        );
    }
    if parsed.records.is_empty() {
        return problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
            "Empty",
            "no declaration in the body",
            None,
        );
    }
    // All or nothing: an integrator fixes its request and sends it again whole.
    let errors: Vec<FieldError> = validate_all(cfg, Some(client), &parsed.records)
        .into_iter()
        .filter_map(Result::err)
        .flatten()
        .collect();
    if errors.iter().any(|e| e.reason == FORBIDDEN_SIRET) {
        let forbidden: Vec<FieldError> = errors
            .into_iter()
            .filter(|e| e.reason == FORBIDDEN_SIRET)
            .collect();
        return problem(
            StatusCode::FORBIDDEN,
            "forbidden-siret",
            "SIRET not allowed",
            &format!("client {:?} may not declare for this SIRET", client.name),
            Some(&forbidden),
        );
    }
    if !errors.is_empty() {
        return problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
            "Invalid declaration",
            &format!("{} problem(s); nothing was recorded", errors.len()),
            Some(&errors),
        );
    }
    let single = !body.trim_ascii_start().starts_with(b"[");
    let meta = InputMeta {
        channel: "api",
        name: client.name.clone(),
        sha256: None,
    };
    let report = match engine.ingest(Some(&client.name), meta, parsed).await {
        Ok(r) => r,
        Err(e) => return internal(e),
    };
    let items: Vec<Value> = report
        .rows
        .iter()
        .filter_map(|r| {
            let out = r.result.as_ref().ok()?;
            Some(json!({
                "id": out.id,
                "hr_ref": r.hr_ref,
                // Canonical, as openapi.json's enum says ("Arrêt" was accepted as "arret").
                "event": r.record.fields.get("event")
                    .and_then(|e| crate::model::stoppage::EventKind::parse(e))
                    .map(|k| k.as_str()),
                "outcome": out.status,
                "revision": out.revision,
                "href": format!("/v1/stoppages/{}", out.id),
            }))
        })
        .collect();
    let body = if single {
        items.into_iter().next().unwrap_or_default()
    } else {
        json!({ "declarations": items })
    };
    json_response(StatusCode::ACCEPTED, &body)
}

async fn get_one(engine: &Engine, client: &HrClient, id: i64) -> Response<Body> {
    match engine
        .journal
        .read(move |c| query::declaration(c, id))
        .await
    {
        Ok(Some(d)) if client.sirets.contains(&d.siret) => json_response(
            StatusCode::OK,
            &serde_json::to_value(&d).unwrap_or_default(),
        ),
        // Another client's declaration is reported as absent: no information leaks.
        Ok(_) => not_found(),
        Err(e) => internal(e),
    }
}

/// `GET /v1/stoppages`: the client's declarations, filtered and paginated (`api_list`).
async fn list_stoppages(query: &str, engine: &Engine, client: &HrClient) -> Response<Body> {
    let q = match super::api_list::parse_query(query) {
        Ok(q) => q,
        Err(errors) => {
            crate::metrics::API_QUERIES_REFUSED.inc("list");
            return problem(
                StatusCode::BAD_REQUEST,
                "bad-request",
                "Invalid query",
                &format!("{} problem(s) in the query parameters", errors.len()),
                Some(&errors),
            );
        }
    };
    let cfg = engine.config.load_full();
    let sirets = client.sirets.clone();
    let now = chrono::Utc::now();
    match engine
        .journal
        .read(move |c| super::api_list::list(c, &cfg, &sirets, &q, now))
        .await
    {
        Ok(page) => json_response(StatusCode::OK, &page.to_json()),
        Err(e) => internal(e),
    }
}

/// The body of a replay request (`POST /v1/notices:replay`; under a stoppage, `since` only).
/// `null` means absent. `declaration_id` is a JSON integer, which JSON Schema lets a client
/// write `12.0`: read as a number, checked integral.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ReplayRequest {
    declaration_id: Option<serde_json::Number>,
    hr_ref: Option<String>,
    since: Option<String>,
}

/// A declaration id given in a body: a positive integer (`12` or `12.0`).
fn positive_id(n: &serde_json::Number) -> Option<i64> {
    n.as_i64()
        .or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && *f > 0.0 && *f < 9.0e15)
                .map(|f| f as i64)
        })
        .filter(|i| *i >= 1)
}

/// An HR reference as `check_hr_ref` validates it: 1–64 of A-Z a-z 0-9 - _ ., first
/// alphanumeric.
fn valid_hr_ref(v: &str) -> bool {
    v.len() <= 64
        && v.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// `POST /v1/notices:replay` and `POST /v1/stoppages/{id}/notices:replay`: the client's HR
/// notices written again to outbound/hr (`engine::replay`: idempotent, audited).
async fn replay_notices(
    req: Request<Incoming>,
    engine: &Engine,
    client: &HrClient,
    path_id: Option<i64>,
    max_body: usize,
) -> Response<Body> {
    use crate::engine::replay::{Actor, Filter, Recipients, replay};
    let body = match read_body(req, max_body).await {
        Ok(b) => b,
        Err(BodyError::TooLarge) => return too_large(max_body),
        Err(BodyError::Broken) => return broken_body(),
    };
    let invalid = |field: &str, value: Option<String>, reason: &str| {
        crate::metrics::API_QUERIES_REFUSED.inc("replay");
        let err = FieldError {
            location: Default::default(),
            field: field.into(),
            value: value.map(|v| crate::model::validate::excerpt(&v, 64)),
            reason: reason.into(),
        };
        problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
            "Invalid replay request",
            reason,
            Some(&[err]),
        )
    };
    // Under a stoppage the body is optional.
    let r: ReplayRequest = if body.trim_ascii().is_empty() && path_id.is_some() {
        ReplayRequest {
            declaration_id: None,
            hr_ref: None,
            since: None,
        }
    } else {
        match serde_json::from_slice(&body) {
            Ok(r) => r,
            Err(e) => {
                return invalid(
                    "body",
                    None,
                    &format!("a JSON object with declaration_id, hr_ref or since: {e}"),
                );
            }
        }
    };
    if path_id.is_some() && (r.declaration_id.is_some() || r.hr_ref.is_some()) {
        return invalid(
            "declaration_id",
            None,
            "the stoppage is in the path; the body may only give since",
        );
    }
    let declaration_id = match &r.declaration_id {
        Some(n) => match positive_id(n) {
            Some(id) => Some(id),
            None => {
                return invalid(
                    "declaration_id",
                    Some(n.to_string()),
                    "a declaration id: a positive integer",
                );
            }
        },
        None => None,
    };
    if let Some(h) = r.hr_ref.as_deref().filter(|h| !valid_hr_ref(h)) {
        return invalid(
            "hr_ref",
            Some(h.to_string()),
            "an HR reference: 1 to 64 of A-Z a-z 0-9 - _ . (first alphanumeric)",
        );
    }
    let since = match r.since {
        Some(s) => match super::api_list::parse_timestamp(&s) {
            Some(t) => Some(t),
            None => {
                return invalid(
                    "since",
                    Some(s),
                    "not an RFC 3339 date-time (e.g. 2026-11-25T09:00:00Z)",
                );
            }
        },
        None => None,
    };
    let filter = Filter {
        declaration_id: path_id.or(declaration_id),
        hr_ref: r.hr_ref,
        since,
        sirets: Some(client.sirets.clone()),
        to: Recipients::Hr,
    };
    if !filter.is_bounded() {
        return invalid(
            "body",
            None,
            "give declaration_id, hr_ref or since (a replay of everything is refused)",
        );
    }
    let actor = Actor {
        channel: "api",
        name: client.name.clone(),
    };
    let res = engine
        .journal
        .write(move |c| {
            // A declaration in the path that is not the client's is reported as absent.
            if let Some(id) = path_id
                && !crate::documents::declaration_siret(c, id)?
                    .is_some_and(|s| filter.sirets.as_ref().is_some_and(|v| v.contains(&s)))
            {
                return Ok(None);
            }
            replay(c, &filter, &actor, &crate::journal::now()).map(Some)
        })
        .await;
    match res {
        Ok(Some(r)) => {
            if r.replayed > 0 {
                crate::metrics::NOTICES_REPLAYED.add(r.replayed as u64);
                engine.outbox_wake.notify_one();
            }
            json_response(
                StatusCode::ACCEPTED,
                &serde_json::to_value(&r).unwrap_or_default(),
            )
        }
        Ok(None) => not_found(),
        Err(e) => internal(e),
    }
}

/// `POST /v1/stoppages/{id}/documents?type=TYPE` with a PDF body: a supporting document the
/// CPAM asked for, checked (type, %PDF-, ≤ 5 MB) before it is journaled for upload.
async fn post_document(
    req: Request<Incoming>,
    engine: &Engine,
    client: &HrClient,
    id: i64,
) -> Response<Body> {
    use crate::documents::{self, DocumentError};
    let doc_type = form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes())
        .find(|(k, _)| k == "type")
        .map(|(_, v)| v.to_ascii_uppercase())
        .unwrap_or_default();
    let body = match read_body(req, documents::MAX_SIZE).await {
        Ok(b) => b,
        Err(BodyError::Broken) => return broken_body(),
        Err(BodyError::TooLarge) => {
            return problem(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too-large",
                "Document too large",
                "the CNAM accepts at most 5 MB",
                None,
            );
        }
    };
    if let Err(e) = documents::check(&doc_type, &body) {
        let err = FieldError {
            location: Default::default(),
            field: e.field().into(),
            value: (e == DocumentError::UnknownType(doc_type.clone())).then(|| doc_type.clone()),
            reason: e.to_string(),
        };
        return problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
            "Invalid document",
            &e.to_string(),
            Some(&[err]),
        );
    }
    let sirets = client.sirets.clone();
    let by = json!({"channel": "api", "name": client.name}).to_string();
    let t = doc_type.clone();
    let res = engine
        .journal
        .write(move |c| {
            match documents::declaration_siret(c, id)? {
                Some(s) if sirets.contains(&s) => {}
                _ => return Ok(None),
            }
            let name = format!("api_{id}.{t}.pdf");
            documents::record(c, id, &t, &name, &body, &by, &crate::journal::now()).map(Some)
        })
        .await;
    match res {
        Ok(Some((doc, new))) => json_response(
            StatusCode::ACCEPTED,
            &json!({"document": doc, "declaration_id": id, "type": doc_type, "new": new,
                    "href": format!("/v1/stoppages/{id}")}),
        ),
        // Another client's declaration is reported as absent.
        Ok(None) => not_found(),
        Err(e) => internal(e),
    }
}

/// `POST /v1/tasks/{id}/done`: closes a task of one of the client's SIRETs.
async fn task_done(engine: &Engine, client: &HrClient, id: i64) -> Response<Body> {
    use crate::tasks::{Closed, close};
    let sirets = client.sirets.clone();
    let by = format!("api:{}", client.name);
    let res = engine
        .journal
        .write(move |c| close(c, id, Some(&sirets), &by, &crate::journal::now()))
        .await;
    match res {
        Ok(Closed::Done(t)) | Ok(Closed::AlreadyDone(t)) => json_response(
            StatusCode::OK,
            &serde_json::to_value(&t).unwrap_or_default(),
        ),
        Ok(Closed::NotFound) => problem(
            StatusCode::NOT_FOUND,
            "not-found",
            "Not found",
            "no such task",
            None,
        ),
        Err(e) => internal(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn doc() -> Value {
        serde_json::from_str(OPENAPI).expect("openapi.json is JSON")
    }

    fn strings(v: &Value) -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_string())
            .collect()
    }

    /// openapi.json documents exactly the routes the router serves, with their methods.
    #[test]
    fn openapi_documents_exactly_the_routes() {
        let d = doc();
        let paths = d["paths"].as_object().unwrap();
        let documented: BTreeSet<(String, String)> = paths
            .iter()
            .flat_map(|(p, ops)| {
                ops.as_object()
                    .unwrap()
                    .keys()
                    .filter(|m| !matches!(m.as_str(), "parameters" | "summary" | "description"))
                    .map(|m| (p.clone(), m.to_ascii_uppercase()))
                    .collect::<Vec<_>>()
            })
            .collect();
        let served: BTreeSet<(String, String)> = ROUTES
            .iter()
            .flat_map(|(p, ms)| ms.split(", ").map(|m| (p.to_string(), m.to_string())))
            .collect();
        assert_eq!(documented, served);
        // Each route is reached by the router (no 404 for its own template).
        for (p, _) in ROUTES {
            let segs: Vec<&str> = p
                .trim_matches('/')
                .split('/')
                .map(|s| if s == "{id}" { "7" } else { s })
                .collect();
            assert!(allowed_methods(&segs).is_some(), "{p}");
        }
        assert_eq!(allowed_methods(&["v1", "stoppages", "7", "x"]), None);
    }

    #[test]
    fn replay_ids_and_references_are_checked_like_the_schema_says() {
        let n = |v: &str| serde_json::from_str::<serde_json::Number>(v).unwrap();
        assert_eq!(positive_id(&n("12")), Some(12));
        assert_eq!(positive_id(&n("12.0")), Some(12));
        for bad in ["0", "-3", "1.5", "1e300"] {
            assert_eq!(positive_id(&n(bad)), None, "{bad}");
        }
        assert!(valid_hr_ref("RH-2026.0042_a"));
        for bad in ["", "-A", "A B", "é", &"A".repeat(65)] {
            assert!(!valid_hr_ref(bad), "{bad}");
        }
    }

    /// Enums, formats, security: the document says what the code does.
    #[test]
    fn openapi_enums_formats_and_security_match_the_code() {
        use crate::engine::exchange::decide::DeclState;
        let d = doc();
        assert_eq!(d["openapi"], "3.1.0");
        let s = &d["components"]["schemas"];
        assert_eq!(
            strings(&s["DeclarationState"]["enum"]),
            DeclState::ALL
                .iter()
                .map(|s| s.as_str().to_string())
                .collect::<Vec<_>>()
        );
        assert_eq!(
            strings(&s["LateRule"]["enum"]),
            crate::alerts::conditions::DEADLINE_RULES
                .iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>()
        );
        assert_eq!(
            strings(&s["DocumentType"]["enum"]),
            crate::formats::rapport::DOCUMENT_TYPES
                .iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>()
        );
        // Request fields: exactly the canonical ones, plus the salaries array.
        let props: BTreeSet<String> = s["Stoppage"]["properties"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        let mut fields: BTreeSet<String> = crate::model::validate::FIELDS
            .iter()
            .map(|f| f.to_string())
            .collect();
        fields.insert("salaries".into());
        assert_eq!(props, fields);
        let p = &s["Stoppage"]["properties"];
        for e in strings(&p["event"]["enum"]) {
            let k = crate::model::stoppage::EventKind::parse(&e).unwrap();
            assert_eq!(k.as_str(), e);
        }
        for r in strings(&p["reason"]["enum"]) {
            assert!(crate::model::stoppage::Motif::parse(&r).is_some(), "{r}");
        }
        for f in [
            "birth_date",
            "contract_start",
            "last_day_worked",
            "expected_end",
            "return_date",
            "accident_date",
            "subrogation_start",
            "subrogation_end",
        ] {
            assert_eq!(p[f]["format"], "date", "{f}");
        }
        assert!(p["nir"]["pattern"].as_str().unwrap().starts_with("^[12]"));
        // The example's NIR passes the real check.
        let ex = &s["Stoppage"]["example"];
        assert!(crate::model::nir::Nir::parse(ex["nir"].as_str().unwrap()).is_ok());
        assert_eq!(
            d["components"]["securitySchemes"]["mutualTLS"]["type"],
            "mutualTLS"
        );
        assert_eq!(d["security"][0]["mutualTLS"], json!([]));
        // Listing limits as the code enforces them.
        let list = &d["paths"]["/v1/stoppages"]["get"]["parameters"];
        let limit = list
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "limit")
            .unwrap();
        assert_eq!(
            limit["schema"]["maximum"],
            super::super::api_list::MAX_LIMIT
        );
        assert_eq!(
            limit["schema"]["default"],
            super::super::api_list::DEFAULT_LIMIT
        );
        let names: Vec<&str> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, super::super::api_list::PARAMS);
        // Every operation has an example somewhere in each JSON answer it documents.
        for (path, ops) in d["paths"].as_object().unwrap() {
            for (m, op) in ops.as_object().unwrap() {
                assert!(op["operationId"].is_string(), "{m} {path}");
                assert!(op["responses"].as_object().unwrap().len() >= 2 || path == "/openapi.json");
            }
        }
    }
}
