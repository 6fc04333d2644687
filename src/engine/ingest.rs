//! Ingestion: records from any door are validated, journaled in one group-committed
//! transaction with their notices, and reported back row by row.
//!
//! Invariant: the caller (spool or web service) acts on the outcome — archives the file,
//! answers 202 — only after this returns, i.e. after the commit.

use std::collections::HashSet;
use std::sync::Arc;

use crate::config::{Config, HrClient};
use crate::formats::hr_csv::Parsed;
use crate::journal::store::{self, Source, SubmitOutcome};
use crate::journal::{Journal, JournalError, now};
use crate::model::Stoppage;
use crate::model::validate::{Context, FieldError, Record, validate};

use super::notices;

/// One input (a file or an API request body).
#[derive(Debug, Clone)]
pub struct InputMeta {
    /// "spool" or "api".
    pub channel: &'static str,
    /// File name or client identity.
    pub name: String,
    /// Content hash of a file: a file already journaled is not journaled again after a crash.
    pub sha256: Option<String>,
}

/// What happened to one record.
#[derive(Debug, Clone)]
pub struct RowOutcome {
    pub record: Record,
    pub hr_ref: Option<String>,
    pub result: Result<SubmitOutcome, Vec<FieldError>>,
}

/// What happened to one input.
#[derive(Debug, Clone, Default)]
pub struct IngestReport {
    pub rows: Vec<RowOutcome>,
    /// Problems with the input as a whole (unreadable, bad header, ragged rows...).
    pub file_errors: Vec<FieldError>,
    /// The input was already journaled (a restart after a crash): nothing was written again.
    pub replayed: bool,
    pub input_id: Option<i64>,
}

impl IngestReport {
    pub fn accepted(&self) -> usize {
        self.rows.iter().filter(|r| r.result.is_ok()).count()
    }
    pub fn rejected(&self) -> usize {
        self.rows.iter().filter(|r| r.result.is_err()).count()
    }
    /// Every error, located, in input order.
    pub fn all_errors(&self) -> Vec<FieldError> {
        let mut v = self.file_errors.clone();
        for r in &self.rows {
            if let Err(e) = &r.result {
                v.extend(e.iter().cloned());
            }
        }
        v.sort_by_key(|e| (e.location.line, e.location.item));
        v
    }
}

/// Validates records against the configuration and the sender's rights.
pub fn validate_all(
    cfg: &Config,
    client: Option<&HrClient>,
    records: &[Record],
) -> Vec<Result<Stoppage, Vec<FieldError>>> {
    let configured = cfg.employer_sirets();
    let allowed: Option<HashSet<String>> = client.map(|c| c.sirets.iter().cloned().collect());
    let ctx = Context {
        configured: &configured,
        allowed: allowed.as_ref(),
    };
    records.iter().map(|r| validate(r, &ctx)).collect()
}

/// Journals the valid records of one input and queues their notices, in one commit.
pub async fn ingest(
    journal: &Journal,
    cfg: &Config,
    client: Option<&HrClient>,
    meta: InputMeta,
    parsed: Parsed,
) -> Result<IngestReport, JournalError> {
    let validated = validate_all(cfg, client, &parsed.records);
    let exchange = cfg.netent.mode != crate::config::NetEntMode::Disabled;
    // The RECEIVED notice is written before any file is built: it says "test" from the
    // configuration that will build the essai file (later notices read the file itself).
    let essai = exchange && cfg.declarant.test_files;
    let records = parsed.records;
    let file_errors = parsed.file_errors;
    let job_rows: Vec<(Record, Result<Stoppage, Vec<FieldError>>)> =
        records.into_iter().zip(validated).collect();
    let job_file_errors = file_errors.clone();
    let insurer_routing = super::insurer::Routing::new(cfg);
    let (rows, replayed, input_id) = journal
        .write(move |conn| {
            let at = now();
            if let Some(sha) = &meta.sha256
                && let Some(id) = store::input_seen(conn, sha)?
            {
                // Already journaled before a crash: report the same outcome without writing.
                let rows = job_rows
                    .into_iter()
                    .map(|(record, v)| replay_row(conn, record, v))
                    .collect::<Result<Vec<_>, _>>()?;
                return Ok((rows, true, Some(id)));
            }
            let mut rows = Vec::with_capacity(job_rows.len());
            let rejected_count = job_rows.iter().filter(|(_, v)| v.is_err()).count();
            let input_id = match &meta.sha256 {
                Some(sha) => Some(store::record_input(
                    conn,
                    meta.channel,
                    &meta.name,
                    sha,
                    job_rows.len() - rejected_count,
                    rejected_count,
                    &at,
                )?),
                None => None,
            };
            for (record, v) in job_rows {
                let source = Source {
                    channel: meta.channel.into(),
                    name: meta.name.clone(),
                    line: record.location.line,
                    item: record.location.item,
                };
                let hr_ref = record.fields.get("hr_ref").cloned();
                let result = match v {
                    Ok(s) => {
                        let out = store::submit(conn, &s, &source, &at)?;
                        if out.status != store::SubmitStatus::Duplicate && exchange {
                            // What goes to CPAM is decided in the same transaction.
                            super::cpam::plan(conn, out.id, &s, &at)?;
                        }
                        if out.status != store::SubmitStatus::Duplicate {
                            super::insurer::on_event(conn, out.id, insurer_routing.as_ref(), &at)?;
                            let mut body =
                                notices::received(&s.hr_ref, s.event.as_str(), &out, &source, &at);
                            if essai {
                                body = notices::mark_test(&body);
                            }
                            let stem = notices::stem(Some(&s.hr_ref), notices::RECEIVED);
                            store::enqueue_notice(
                                conn,
                                Some(out.id),
                                "hr",
                                &stem,
                                "json",
                                &body,
                                &at,
                            )?;
                        }
                        Ok(out)
                    }
                    Err(errors) => {
                        let json = serde_json::to_string(&errors).unwrap_or_default();
                        store::record_rejection(
                            conn,
                            input_id,
                            &source,
                            hr_ref.as_deref(),
                            &json,
                            &at,
                        )?;
                        let event = record.fields.get("event").map(String::as_str);
                        let body =
                            notices::rejected(hr_ref.as_deref(), event, &source, &errors, &at);
                        let stem = notices::stem(hr_ref.as_deref(), notices::REJECTED);
                        store::enqueue_notice(conn, None, "hr", &stem, "json", &body, &at)?;
                        Err(errors)
                    }
                };
                rows.push(RowOutcome {
                    record,
                    hr_ref,
                    result,
                });
            }
            if !job_file_errors.is_empty() {
                let source = Source {
                    channel: meta.channel.into(),
                    name: meta.name.clone(),
                    line: None,
                    item: None,
                };
                let json = serde_json::to_string(&job_file_errors).unwrap_or_default();
                store::record_rejection(conn, input_id, &source, None, &json, &at)?;
                let body = notices::rejected(None, None, &source, &job_file_errors, &at);
                let stem = notices::stem(None, notices::REJECTED);
                store::enqueue_notice(conn, None, "hr", &stem, "json", &body, &at)?;
            }
            Ok((rows, false, input_id))
        })
        .await?;
    Ok(IngestReport {
        rows,
        file_errors,
        replayed,
        input_id,
    })
}

/// For a replayed input: the declaration each valid row had created.
fn replay_row(
    conn: &rusqlite::Connection,
    record: Record,
    v: Result<Stoppage, Vec<FieldError>>,
) -> Result<RowOutcome, JournalError> {
    let hr_ref = record.fields.get("hr_ref").cloned();
    let result = match v {
        Ok(s) => {
            let found: Option<(i64, i64)> = rusqlite::OptionalExtension::optional(conn.query_row(
                "SELECT id, revision FROM declarations WHERE siret = ?1 AND hr_ref = ?2 AND event = ?3",
                rusqlite::params![s.siret.as_str(), s.hr_ref, s.event.as_str()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            ))?;
            match found {
                Some((id, revision)) => Ok(SubmitOutcome {
                    id,
                    status: store::SubmitStatus::Duplicate,
                    revision,
                }),
                None => Err(vec![]),
            }
        }
        Err(e) => Err(e),
    };
    Ok(RowOutcome {
        record,
        hr_ref,
        result,
    })
}

/// Shared handles the doors need.
#[derive(Clone)]
pub struct Engine {
    pub journal: Journal,
    pub config: Arc<arc_swap::ArcSwap<Config>>,
    /// Woken after every commit that queued outbound files.
    pub outbox_wake: Arc<tokio::sync::Notify>,
    /// Woken after every commit that may have queued deposits.
    pub exchange_wake: Arc<tokio::sync::Notify>,
    /// Woken after every commit that may have scheduled a franchise or stored a BPIJ.
    pub insurer_wake: Arc<tokio::sync::Notify>,
}

impl Engine {
    pub async fn ingest(
        &self,
        client_name: Option<&str>,
        meta: InputMeta,
        parsed: Parsed,
    ) -> Result<IngestReport, JournalError> {
        let cfg = self.config.load_full();
        let client = client_name.and_then(|n| cfg.client_by_name(n));
        let r = ingest(&self.journal, &cfg, client, meta, parsed).await;
        self.outbox_wake.notify_one();
        self.exchange_wake.notify_one();
        self.insurer_wake.notify_one();
        r
    }
}
