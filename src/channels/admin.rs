//! The admin listener: `/healthz` and `/metrics` on plain HTTP (hyper 1), loopback by default.
//!
//! - `GET /healthz`: 200 when every health check passes, else 503; the body lists each check
//!   with its reason (JSON), so a probe or an operator sees *why*.
//! - `GET /metrics`: the Prometheus text format: declarations by state, rejections, outbox
//!   backlog (read from the journal at scrape time), files waiting in `spool/inbound`, the API
//!   certificate's expiry, health checks as 0/1, and the event counters of [`crate::metrics`].
//!
//! It carries no personal data (counts only), but it is still restricted: it listens on
//! loopback unless configured otherwise, and an optional bearer token (read from a file whose
//! mode is checked, like every secret) is then required on every request.
//!
//! The operator console ([`crate::console`], `/` and `/console/…`) is served here too, with its
//! own access rule (client certificate roles, or loopback): with `console.tls` the whole listener
//! speaks TLS with client certificates. Its live event stream (`/console/events`) is a
//! streaming answer: it ends when the listener stops, so a graceful shutdown is not held open.

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode, header};
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use std::path::Path;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::engine::ingest::Engine;
use crate::health;
use crate::journal::query;
use crate::metrics;

pub use crate::config::admin::Admin;

type Body = Full<Bytes>;

fn respond(
    status: StatusCode,
    content_type: &'static str,
    body: impl Into<Bytes>,
) -> Response<Body> {
    let mut r = Response::new(Full::new(body.into()));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static(content_type),
    );
    r
}

/// Serves the admin endpoints on `listener` until `stop`. With `console.tls`, every
/// connection is TLS with a verified client certificate (the web service's mTLS machinery);
/// its identities go to the console's role check.
pub async fn serve(listener: TcpListener, engine: Engine, stop: CancellationToken) {
    let cfg = engine.config.load_full();
    let acceptor = if cfg.console.tls {
        let (c, k, ca) = cfg.console.tls_files(&cfg.api);
        match crate::channels::tls::server_config(&c, &k, &ca) {
            Ok(sc) => {
                // hyper's http1 builder below: offer HTTP/1.1 only.
                let mut sc = (*sc).clone();
                sc.alpn_protocols = vec![b"http/1.1".to_vec()];
                Some(tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(sc)))
            }
            Err(e) => {
                crate::internal_events::tls_setup_failed("admin", &e);
                return;
            }
        }
    } else {
        None
    };
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    loop {
        let Some((tcp, peer)) = super::accept::next(&listener, &stop, "admin").await else {
            break;
        };
        let engine = engine.clone();
        let watcher = graceful.watcher();
        let acceptor = acceptor.clone();
        let stop = stop.clone();
        tokio::spawn(async move {
            let loopback = peer.ip().is_loopback();
            match acceptor {
                None => {
                    let who = crate::console::Peer {
                        loopback,
                        tls_identities: None,
                    };
                    serve_conn(TokioIo::new(tcp), engine, who, watcher, peer, stop).await
                }
                Some(a) => {
                    let hs =
                        tokio::time::timeout(std::time::Duration::from_secs(10), a.accept(tcp))
                            .await;
                    let Ok(Ok(tls)) = hs else {
                        crate::console::EVENTS.inc("tls_handshake_failed");
                        tracing::debug!(%peer, "admin: TLS handshake failed");
                        return;
                    };
                    let ids = tls
                        .get_ref()
                        .1
                        .peer_certificates()
                        .and_then(|c| c.first())
                        .map(crate::channels::tls::identities)
                        .unwrap_or_default();
                    let who = crate::console::Peer {
                        loopback,
                        tls_identities: Some(ids),
                    };
                    serve_conn(TokioIo::new(tls), engine, who, watcher, peer, stop).await
                }
            }
        });
    }
    graceful.shutdown().await;
}

async fn serve_conn<I>(
    io: TokioIo<I>,
    engine: Engine,
    who: crate::console::Peer,
    watcher: hyper_util::server::graceful::Watcher,
    peer: SocketAddr,
    stop: CancellationToken,
) where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let who = std::sync::Arc::new(who);
    let svc = hyper::service::service_fn(move |req| {
        let engine = engine.clone();
        let who = who.clone();
        let stop = stop.clone();
        async move { Ok::<_, std::convert::Infallible>(handle(req, &engine, &who, &stop).await) }
    });
    let conn = hyper::server::conn::http1::Builder::new().serve_connection(io, svc);
    if let Err(e) = watcher.watch(conn).await {
        tracing::debug!(%peer, error = %e, "admin: connection ended with an error");
    }
}

/// Compares without an early exit, so the answer time does not tell how much matched.
fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `None` when the request may proceed, else the refusal to send.
fn refusal(req: &Request<Incoming>, admin: &Admin) -> Option<Response<Body>> {
    let file = admin.bearer_token_file.as_ref()?;
    let token = match crate::fsio::read_secret(file) {
        Ok(t) if !t.is_empty() => t,
        Ok(_) | Err(_) => {
            crate::internal_events::config_file_unusable(
                &file.display(),
                &"bearer token file unreadable or empty",
                "admin requests refused",
            );
            return Some(respond(
                StatusCode::SERVICE_UNAVAILABLE,
                "text/plain",
                "admin token unavailable\n",
            ));
        }
    };
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if same_secret(given.as_bytes(), token.as_bytes()) {
        None
    } else {
        let mut r = respond(StatusCode::UNAUTHORIZED, "text/plain", "unauthorised\n");
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Bearer"),
        );
        Some(r)
    }
}

async fn handle(
    req: Request<Incoming>,
    engine: &Engine,
    peer: &crate::console::Peer,
    stop: &CancellationToken,
) -> Response<crate::console::BoxedBody> {
    let cfg = engine.config.load_full();
    // The console authenticates by client certificate (or loopback) and roles, not by the
    // bearer token, which a browser cannot send.
    if crate::console::is_console_path(req.uri().path()) {
        return crate::console::handle(req, &engine.journal, cfg, peer, stop).await;
    }
    use http_body_util::BodyExt;
    handle_admin(req, engine, cfg).await.map(BodyExt::boxed)
}

/// `/healthz` and `/metrics`.
async fn handle_admin(
    req: Request<Incoming>,
    engine: &Engine,
    cfg: std::sync::Arc<crate::config::Config>,
) -> Response<Body> {
    if let Some(r) = refusal(&req, &cfg.admin) {
        return r;
    }
    match (req.method(), req.uri().path()) {
        (&Method::GET, "/healthz") => {
            let report = health::global().report();
            let status = if report.healthy {
                StatusCode::OK
            } else {
                StatusCode::SERVICE_UNAVAILABLE
            };
            respond(
                status,
                "application/json",
                serde_json::to_vec(&report).unwrap_or_default(),
            )
        }
        (&Method::GET, "/metrics") => {
            let body = scrape(engine, &cfg).await;
            respond(
                StatusCode::OK,
                "text/plain; version=0.0.4; charset=utf-8",
                body,
            )
        }
        _ => respond(StatusCode::NOT_FOUND, "text/plain", "not found\n"),
    }
}

/// Files waiting in a spool folder (what the spool would take: hidden and temporary names
/// excluded).
pub fn waiting_files(dir: &Path) -> std::io::Result<usize> {
    Ok(std::fs::read_dir(dir)?
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter(|e| !crate::fsio::ignored(&e.file_name().to_string_lossy()))
        .count())
}

/// Everything `/metrics` exposes, rendered in the text format.
pub async fn scrape(engine: &Engine, cfg: &crate::config::Config) -> String {
    let mut out = String::new();
    let status = engine.journal.read(query::status).await;
    let up = status.is_ok();
    metrics::gauge(
        &mut out,
        "ijgate_journal_readable",
        "1 when the journal answered this scrape's queries.",
        "",
        &[(String::new(), if up { 1.0 } else { 0.0 })],
    );
    if let Ok(s) = status {
        let by_state: Vec<(String, f64)> = s
            .declarations_by_state
            .iter()
            .map(|(k, v)| (k.clone(), *v as f64))
            .collect();
        metrics::gauge(
            &mut out,
            "ijgate_declarations",
            "Declarations in the journal, by state.",
            "state",
            &by_state,
        );
        for (name, help, v) in [
            (
                "ijgate_rejections",
                "Rejected messages recorded in the journal.",
                s.rejections,
            ),
            (
                "ijgate_inputs",
                "Inputs (files, API bodies) journaled.",
                s.inputs,
            ),
            (
                "ijgate_outbox_pending",
                "Outbound files committed but not yet written.",
                s.outbox_pending,
            ),
        ] {
            metrics::gauge(&mut out, name, help, "", &[(String::new(), v as f64)]);
        }
    }
    // Prest'IJ (engine::prestij): enrolled, awaiting ARL/CR, rejected, BPIJ per source.
    if let Ok(p) = engine.journal.read(crate::engine::prestij::summary).await {
        crate::engine::prestij::render_metrics(&mut out, &p);
    }
    let now_unix = chrono::Utc::now().timestamp() as f64;
    if let Ok(x) = engine
        .journal
        .read(move |c| query::exchange_status(c, now_unix))
        .await
    {
        let by_state: Vec<(String, f64)> = x
            .deposits_by_state
            .iter()
            .map(|(k, v)| (k.clone(), *v as f64))
            .collect();
        metrics::gauge(
            &mut out,
            "ijgate_deposits",
            "Signalement deposits by state (pending = queue depth).",
            "state",
            &by_state,
        );
        let ages: Vec<(String, f64)> = x
            .oldest_pending_return_seconds
            .iter()
            .map(|(k, v)| (k.clone(), *v))
            .collect();
        metrics::gauge(
            &mut out,
            "ijgate_oldest_pending_return_seconds",
            "Age of the oldest deposit still waiting for a return of this nature.",
            "nature",
            &ages,
        );
        metrics::gauge(
            &mut out,
            "ijgate_bpij_stored",
            "BPIJ payment slips kept in the journal.",
            "",
            &[(String::new(), x.bpij_stored as f64)],
        );
        metrics::gauge(
            &mut out,
            "ijgate_bpij_undispatched",
            "BPIJ payment slips not dispatched yet.",
            "",
            &[(String::new(), x.bpij_undispatched as f64)],
        );
    }
    let inbound = cfg.spool.dir.join("inbound");
    if let Ok(n) = waiting_files(&inbound) {
        metrics::gauge(
            &mut out,
            "ijgate_spool_inbound_files",
            "Files waiting in spool/inbound.",
            "",
            &[(String::new(), n as f64)],
        );
    }
    if cfg.api.enabled {
        match crate::channels::tls::expiry(&cfg.api.cert_file) {
            Ok(t) => metrics::gauge(
                &mut out,
                "ijgate_api_certificate_expiry_timestamp_seconds",
                "Expiry (not after) of the web service certificate, Unix time.",
                "",
                &[(String::new(), t as f64)],
            ),
            Err(e) => crate::internal_events::config_file_unusable(
                &"api.cert_file",
                &e,
                "certificate expiry metric not exported",
            ),
        }
    }
    let stats = engine.journal.stats();
    metrics::header(
        &mut out,
        "ijgate_journal_commits_total",
        "Group commits done by the journal writer.",
        "counter",
    );
    out.push_str(&format!(
        "ijgate_journal_commits_total {}\n",
        stats.commits.load(std::sync::atomic::Ordering::Relaxed)
    ));
    metrics::header(
        &mut out,
        "ijgate_journal_job_panics_total",
        "Journal write jobs that panicked (each failed alone; the writer went on).",
        "counter",
    );
    out.push_str(&format!(
        "ijgate_journal_job_panics_total {}\n",
        stats.job_panics.load(std::sync::atomic::Ordering::Relaxed)
    ));
    let checks: Vec<(String, f64)> = health::global()
        .report()
        .checks
        .into_iter()
        .map(|c| (c.name, if c.ok { 1.0 } else { 0.0 }))
        .collect();
    metrics::gauge(
        &mut out,
        "ijgate_health_check",
        "1 when the named health check passes.",
        "check",
        &checks,
    );
    out.push_str(&metrics::render());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret(b"abc", b"abc"));
        assert!(!same_secret(b"abc", b"abd"));
        assert!(!same_secret(b"abc", b"abcd"));
    }

    #[test]
    fn validate_requires_a_token_off_loopback() {
        let mut a = Admin {
            enabled: true,
            listen: "0.0.0.0:9187".parse().unwrap(),
            ..Admin::default()
        };
        assert!(a.validate()[0].starts_with("admin.listen"));
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("token");
        std::fs::write(&f, "t0ken\n").unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).unwrap();
        a.bearer_token_file = Some(f.clone());
        assert!(a.validate()[0].contains("0644"), "{:?}", a.validate());
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(a.validate().is_empty());
    }

    #[test]
    fn waiting_files_skips_temporary_names() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("a.csv"), "").unwrap();
        std::fs::write(d.path().join(".b.csv.part"), "").unwrap();
        std::fs::write(d.path().join("c.tmp"), "").unwrap();
        assert_eq!(waiting_files(d.path()).unwrap(), 1);
    }
}
