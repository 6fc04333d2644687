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
use rusqlite::params;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

use super::config::Insurer;
use crate::channels::mtls_client::{MtlsClient, client_config};
use crate::config::Config;
use crate::journal::{Journal, JournalError, now};

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
                        crate::internal_events::worker_step_failed(
                            &format!("insurer push {} (client)", ins.code),
                            &e,
                        );
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

/// Queued files: outbox id, file name, body.
type Batch = Vec<(i64, String, Vec<u8>)>;

/// Files queued for `dest` after the cursor `cn`, at most 32. No cursor yet: from the start.
/// An unreadable one stops this queue (a located error, counted) rather than send every file
/// again from id 0.
fn read_batch(c: &rusqlite::Connection, cn: &str, d: &str) -> Result<Batch, JournalError> {
    let cursor: i64 = match crate::journal::store::cursor(c, cn)? {
        None => 0,
        Some(v) => v.parse().map_err(|_| {
            crate::internal_events::cursor_corrupt(cn, &v);
            JournalError::Corrupt {
                table: "cursors",
                row: cn.to_string(),
                column: "value",
                value: v.clone(),
                expected: "outbox id",
            }
        })?,
    };
    let rows = c
        .prepare_cached(
            "SELECT id, file_name, body FROM outbox WHERE dest = ?1 AND id > ?2 ORDER BY id LIMIT 32",
        )?
        .query_map(params![d, cursor], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, Vec<u8>>(2)?))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

async fn push_queue(journal: &Journal, code: &str, q: &mut Queue, stop: &CancellationToken) {
    let cursor_name = format!("insurer_push:{code}");
    let dest = format!("insurer/{code}");
    let (cn, d) = (cursor_name.clone(), dest.clone());
    let batch = journal.read(move |c| read_batch(c, &cn, &d)).await;
    let batch = match batch {
        Ok(b) => b,
        Err(e) => {
            crate::internal_events::journal_read_failed(&format!("outbox insurer/{code}"), &e);
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
            Err(e) => Some(e.to_string()),
        };
        match failure {
            None => {
                let cn = cursor_name.clone();
                let recovered = q.failures > 0;
                let code_s = code.to_string();
                let written = journal
                    .write(move |c| crate::journal::store::set_cursor(c, &cn, &id.to_string()))
                    .await;
                if let Err(e) = written {
                    // The file will be sent again (same name: the insurer overwrites it).
                    crate::internal_events::cursor_not_saved(&format!("insurer_push:{code_s}"), &e);
                    return;
                }
                if recovered {
                    tracing::info!(insurer = %code, "insurer push: endpoint reachable again");
                }
                q.failures = 0;
            }
            Some(error) => {
                q.failures += 1;
                let delay = crate::engine::exchange::decide::backoff(
                    Duration::from_secs(1),
                    MAX_BACKOFF,
                    i64::from(q.failures),
                );
                q.retry_at = Instant::now() + delay;
                crate::internal_events::peer_call_failed(
                    "insurer push",
                    "send",
                    &format!("{code} {name}: {error}; retry in {delay:?}"),
                );
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
    fn a_damaged_push_cursor_stops_the_queue_and_counts() {
        use crate::internal_events::{COMPONENT_ERRORS, ErrorKind};
        let dir = tempfile::tempdir().unwrap();
        let j = Journal::open(&dir.path().join("ijgate.db")).unwrap();
        j.write_blocking(|c| crate::journal::store::set_cursor(c, "insurer_push:P", "7"))
            .unwrap();
        assert!(
            j.read_blocking(|c| read_batch(c, "insurer_push:P", "insurer/P"))
                .unwrap()
                .is_empty()
        );
        j.write_blocking(|c| crate::journal::store::set_cursor(c, "insurer_push:P", "x7"))
            .unwrap();
        let before = COMPONENT_ERRORS.get(ErrorKind::CursorCorrupt.as_str());
        let e = j
            .read_blocking(|c| read_batch(c, "insurer_push:P", "insurer/P"))
            .unwrap_err();
        assert!(
            matches!(
                e,
                JournalError::Corrupt {
                    table: "cursors",
                    ..
                }
            ),
            "{e}"
        );
        assert_eq!(
            COMPONENT_ERRORS.get(ErrorKind::CursorCorrupt.as_str()),
            before + 1
        );
    }

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
