//! HTTPS push of an insurer's files (optional `push_url`, mutual TLS with
//! [`crate::channels::mtls_client`]): every outbox row of `insurer/<code>` is sent, in journal
//! order, as `PUT <path>/<file name>` with the file as body. The folder copy is still written:
//! the push is a second delivery, not a replacement.
//!
//! Progress is a cursor (`cursors` table, `insurer_push:<code>` = last outbox id accepted with
//! a 2xx), advanced in the journal after each success: delivery is at least once, in order; a
//! crash between the answer and the cursor commit sends the same file name again, so the
//! endpoint should treat the name as the idempotency key. A failure stops that insurer's queue
//! (order matters), is retried with a doubling delay up to [`MAX_BACKOFF`], and records one
//! [`super::events::PUSH_FAILED`] event per failure streak.

use arc_swap::ArcSwap;
use rusqlite::{OptionalExtension, params};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

use super::config::Insurer;
use crate::channels::mtls_client::{MtlsClient, client_config};
use crate::config::Config;
use crate::journal::{Journal, now};

/// How often queues are looked at when nothing failed.
pub const TICK: Duration = Duration::from_millis(500);
/// Longest retry delay after failures.
pub const MAX_BACKOFF: Duration = Duration::from_secs(300);

pub use crate::config::insurers::Endpoint;

fn content_type(name: &str) -> &'static str {
    match name.rsplit_once('.').map(|(_, e)| e) {
        Some("xml") => "application/xml",
        Some("csv") => "text/csv; charset=utf-8",
        Some("json") => "application/json",
        _ => "application/octet-stream",
    }
}

struct Queue {
    key: String,
    client: Arc<MtlsClient>,
    endpoint: Endpoint,
    failures: u32,
    retry_at: Instant,
}

async fn client_for(ins: &Insurer) -> Result<(Arc<MtlsClient>, Endpoint), String> {
    let url = ins.push_url.as_deref().unwrap_or_default();
    let ep = Endpoint::parse(url).ok_or_else(|| format!("bad push_url {url:?}"))?;
    let (Some(ca), Some(cert), Some(key)) =
        (&ins.push_ca_file, &ins.push_cert_file, &ins.push_key_file)
    else {
        return Err("push_ca_file, push_cert_file and push_key_file are required".into());
    };
    let tls = client_config(ca, Some((cert, key))).map_err(|e| e.to_string())?;
    let addr = tokio::net::lookup_host((ep.host.as_str(), ep.port))
        .await
        .map_err(|e| format!("{}: {e}", ep.host))?
        .next()
        .ok_or_else(|| format!("{}: no address", ep.host))?;
    let client = MtlsClient::new(addr, &ep.host, tls).map_err(|e| e.to_string())?;
    Ok((Arc::new(client), ep))
}

/// Runs until cancelled: pushes every insurer queue that has a `push_url`.
pub async fn run(journal: Journal, config: Arc<ArcSwap<Config>>, stop: CancellationToken) {
    let mut queues: HashMap<String, Queue> = HashMap::new();
    loop {
        let cfg = config.load_full();
        for ins in cfg.insurers.iter().filter(|i| i.push_url.is_some()) {
            let key = format!(
                "{:?}",
                (
                    &ins.push_url,
                    &ins.push_ca_file,
                    &ins.push_cert_file,
                    &ins.push_key_file
                )
            );
            if queues.get(&ins.code).is_none_or(|q| q.key != key) {
                match client_for(ins).await {
                    Ok((client, endpoint)) => {
                        queues.insert(
                            ins.code.clone(),
                            Queue {
                                key,
                                client,
                                endpoint,
                                failures: 0,
                                retry_at: Instant::now(),
                            },
                        );
                    }
                    Err(e) => {
                        tracing::error!(insurer = %ins.code, error = %e, "insurer push: cannot prepare the client");
                        continue;
                    }
                }
            }
            if let Some(q) = queues.get_mut(&ins.code)
                && q.retry_at <= Instant::now()
            {
                push_queue(&journal, &ins.code, q, &stop).await;
            }
        }
        queues.retain(|code, _| {
            cfg.insurers
                .iter()
                .any(|i| &i.code == code && i.push_url.is_some())
        });
        tokio::select! {
            _ = tokio::time::sleep(TICK) => {}
            _ = stop.cancelled() => return,
        }
    }
}

async fn push_queue(journal: &Journal, code: &str, q: &mut Queue, stop: &CancellationToken) {
    let cursor_name = format!("insurer_push:{code}");
    let dest = format!("insurer/{code}");
    let (cn, d) = (cursor_name.clone(), dest.clone());
    let batch = journal
        .read(move |c| {
            let cursor: i64 = c
                .query_row("SELECT value FROM cursors WHERE name = ?1", [&cn], |r| r.get::<_, String>(0))
                .optional()?
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            let rows = c
                .prepare_cached(
                    "SELECT id, file_name, body FROM outbox WHERE dest = ?1 AND id > ?2 ORDER BY id LIMIT 32",
                )?
                .query_map(params![d, cursor], |r| {
                    Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, Vec<u8>>(2)?))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await;
    let batch = match batch {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(insurer = %code, error = %e, "insurer push: cannot read the queue");
            return;
        }
    };
    for (id, name, body) in batch {
        if stop.is_cancelled() {
            return;
        }
        let path = format!("{}/{}", q.endpoint.path, name);
        let sent = q
            .client
            .request_typed("PUT", &path, content_type(&name), Some(body))
            .await;
        let failure = match sent {
            Ok(r) if r.status.is_success() => None,
            Ok(r) => Some(format!("HTTP {}", r.status.as_u16())),
            Err(e) => Some(e),
        };
        match failure {
            None => {
                let cn = cursor_name.clone();
                let recovered = q.failures > 0;
                let code_s = code.to_string();
                let written = journal
                    .write(move |c| {
                        c.execute(
                            "INSERT INTO cursors (name, value) VALUES (?1, ?2) ON CONFLICT(name) DO UPDATE SET value = excluded.value",
                            params![cn, id.to_string()],
                        )?;
                        Ok(())
                    })
                    .await;
                if let Err(e) = written {
                    tracing::error!(insurer = %code_s, error = %e, "insurer push: cursor not saved; the file will be sent again");
                    return;
                }
                if recovered {
                    tracing::info!(insurer = %code, "insurer push: endpoint reachable again");
                }
                q.failures = 0;
            }
            Some(error) => {
                q.failures += 1;
                let delay = Duration::from_secs(1u64 << q.failures.min(9)).min(MAX_BACKOFF);
                q.retry_at = Instant::now() + delay;
                tracing::warn!(insurer = %code, file = %name, %error, retry_in = ?delay, "insurer push: failed");
                if q.failures == 1 {
                    let (code_s, name_s) = (code.to_string(), name.clone());
                    let _ = journal
                        .write(move |c| {
                            super::events::record(
                                c,
                                super::events::PUSH_FAILED,
                                Some(&code_s),
                                None,
                                None,
                                &serde_json::json!({"file": name_s, "error": error}),
                                &now(),
                            )
                        })
                        .await;
                }
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_parse() {
        assert_eq!(
            Endpoint::parse("https://edi.insurer.fr:8443/ijgate/in/"),
            Some(Endpoint {
                host: "edi.insurer.fr".into(),
                port: 8443,
                path: "/ijgate/in".into()
            })
        );
        assert_eq!(Endpoint::parse("https://a.fr").unwrap().port, 443);
        assert!(Endpoint::parse("http://a.fr/x").is_none());
        assert!(Endpoint::parse("https://:99/x").is_none());
        assert!(Endpoint::parse("https://a.fr:port/x").is_none());
        assert_eq!(content_type("a_1.csv"), "text/csv; charset=utf-8");
    }
}
