//! The upload worker: sends journaled documents through the CNAM PJ IJ API
//! (`NetEntClient::upload_supporting_document`), then follows the upload's report
//! (`GET /indemnites-journalieres-pj/{idEnvoi}`); records the outcome in the history and
//! tells the HR tool (`<hr_ref>_document_<n>.json`).
//!
//! Document states: pending → uploaded (report 200) | rejected (report 400, with its
//! rapportRejet) | failed (permanent error); transient errors retry with backoff.

use arc_swap::ArcSwap;
use chrono::{NaiveDate, Utc};
use rusqlite::{Connection, params};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::alerts::store::ts;
use crate::channels::netent::{NetEntClient, PjForm};
use crate::config::Config;
use crate::journal::{Journal, JournalError, now, store};
use crate::model::Stoppage;

/// CNAM `natureAbsence` for a DSN motif code.
pub fn nature_absence(motif: Option<u8>) -> &'static str {
    match motif {
        Some(2) => "MATERNITE",
        Some(3) => "PATERNITE",
        Some(4) | Some(6) => "ACCIDENT_TRAVAIL",
        // Sic: the contract spells this one with a single N.
        Some(5) => "MALADIE_PROFESSIONELLE",
        Some(7) => "FEMME_ENCEINTE",
        Some(9) => "ADOPTION",
        Some(15) => "TPT_MALADIE",
        Some(16) | Some(17) => "TPT_ACCIDENT_TRAVAIL",
        Some(18) => "TPT_MALADIE_PROFESSIONNELLE",
        Some(19) => "DEUIL_ENFANT",
        _ => "MALADIE",
    }
}

#[derive(Debug)]
struct Job {
    id: i64,
    declaration_id: i64,
    doc_type: String,
    file_name: String,
    body: Vec<u8>,
    attempts: i64,
    siret: String,
    hr_ref: String,
    payload: String,
}

fn due(conn: &Connection, at: &str) -> Result<Vec<Job>, JournalError> {
    let mut stmt = conn.prepare_cached(
        "SELECT x.id, x.declaration_id, x.doc_type, x.file_name, x.body, x.attempts, d.siret, d.hr_ref, d.payload
         FROM documents x JOIN declarations d ON d.id = x.declaration_id
         WHERE x.state = 'pending' AND x.next_attempt_at <= ?1 ORDER BY x.id LIMIT 20",
    )?;
    let v = stmt
        .query_map([at], |r| {
            Ok(Job {
                id: r.get(0)?,
                declaration_id: r.get(1)?,
                doc_type: r.get(2)?,
                file_name: r.get(3)?,
                body: r.get(4)?,
                attempts: r.get(5)?,
                siret: r.get(6)?,
                hr_ref: r.get(7)?,
                payload: r.get(8)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(v)
}

/// Why a document's form cannot be built (the upload is failed with this reason).
#[derive(Debug, thiserror::Error)]
enum FormError {
    #[error("journaled stoppage unreadable: {0}")]
    Stoppage(#[from] serde_json::Error),
    #[error("the declaration has no last day worked")]
    NoLastDayWorked,
}

/// The multipart form fields of a document.
fn form(job: &Job) -> Result<PjForm, FormError> {
    let s: Stoppage = serde_json::from_str(&job.payload)?;
    let last_day: NaiveDate = s.last_day_worked.ok_or(FormError::NoLastDayWorked)?;
    Ok(PjForm {
        id_envoi: format!("IJGATE-DOC-{}", job.id),
        siret_declare: job.siret.clone(),
        nir: crate::model::nir::RawNir::new(s.employee.nir.with_key()),
        nature_absence: nature_absence(s.reason.map(|m| m.code())).into(),
        origine: "DSIJ_DSN".into(),
        dernier_jour_travaille: last_day,
        // An answer to a CPAM request made in a CRM.
        motif: "METIER".into(),
        type_pieces: job.doc_type.clone(),
        commentaire: None,
        file_name: job.file_name.clone(),
    })
}

/// Final outcome of one document.
fn finish(
    c: &Connection,
    job: &Job,
    state: &str,
    id_envoi: Option<&str>,
    report: &Value,
    error: Option<&str>,
) -> Result<(), JournalError> {
    let at = now();
    c.execute(
        "UPDATE documents SET state = ?2, id_envoi = ?3, report = ?4, last_error = ?5, attempts = attempts + 1, updated_at = ?6 WHERE id = ?1",
        params![job.id, state, id_envoi, report.to_string(), error, at],
    )?;
    let what = match state {
        "uploaded" => "document_uploaded",
        "rejected" => "document_rejected",
        _ => "document_failed",
    };
    let detail = json!({"document": job.id, "type": job.doc_type, "file": job.file_name,
                        "id_envoi": id_envoi, "report": report, "error": error});
    store::add_history(
        c,
        job.declaration_id,
        what,
        None,
        None,
        Some(&detail.to_string()),
        &at,
    )?;
    let notice = json!({
        "kind": "DOCUMENT",
        "status": if state == "uploaded" { "OK" } else { "KO" },
        "outcome": state,
        "hr_ref": job.hr_ref,
        "declaration_id": job.declaration_id,
        "document": job.id,
        "type": job.doc_type,
        "file": job.file_name,
        "id_envoi": id_envoi,
        "report": report,
        "error": error,
        "at": at,
    });
    let stem = crate::engine::notices::stem(Some(&job.hr_ref), "document");
    store::enqueue_notice(
        c,
        Some(job.declaration_id),
        "hr",
        &stem,
        "json",
        &serde_json::to_vec_pretty(&notice).unwrap_or_default(),
        &at,
    )?;
    Ok(())
}

fn retry(c: &Connection, job: &Job, error: &str, delay: Duration) -> Result<(), JournalError> {
    let next = ts(crate::alerts::store::later(Utc::now(), delay));
    c.execute(
        "UPDATE documents SET attempts = attempts + 1, last_error = ?2, next_attempt_at = ?3, updated_at = ?4 WHERE id = ?1",
        params![job.id, error, next, now()],
    )?;
    Ok(())
}

/// Uploads one document and records what happened.
async fn upload(
    journal: &Journal,
    client: &NetEntClient,
    cfg: &Config,
    job: Job,
) -> Result<(), JournalError> {
    let form = match form(&job) {
        Ok(f) => f,
        Err(e) => {
            let e = e.to_string();
            return journal
                .write(move |c| finish(c, &job, "failed", None, &Value::Null, Some(&e)))
                .await;
        }
    };
    let id_envoi = form.id_envoi.clone();
    let answer = client
        .upload_supporting_document(&form, job.body.clone())
        .await;
    let answer = match answer {
        Ok(report) => {
            // Follow the report the CNAM keeps for this upload (the answer is its first copy).
            match client.supporting_document_report(&id_envoi).await {
                Ok(Some(r)) => Ok(r),
                Ok(None) => Ok(report),
                Err(e) => {
                    tracing::info!(document = job.id, error = %e, "documents: report not readable yet; using the upload answer");
                    Ok(report)
                }
            }
        }
        Err(e) => Err(e),
    };
    let delay = crate::alerts::sender::backoff(
        cfg.netent.retry_initial,
        cfg.netent.retry_max,
        job.attempts,
    );
    let max_attempts = i64::from(cfg.netent.max_attempts);
    journal
        .write(move |c| match answer {
            Ok(report) => {
                let ok = report.get("codeRetour").and_then(Value::as_str) == Some("200");
                let state = if ok { "uploaded" } else { "rejected" };
                finish(c, &job, state, Some(&id_envoi), &report, None)
            }
            Err(e) if e.is_transient() && job.attempts + 1 < max_attempts => {
                retry(c, &job, &e.to_string(), delay)
            }
            Err(e) => finish(
                c,
                &job,
                "failed",
                Some(&id_envoi),
                &Value::Null,
                Some(&e.to_string()),
            ),
        })
        .await
}

/// Runs until `stop`: every `netent.poll_interval`, uploads the documents due.
pub async fn run(
    journal: Journal,
    config: Arc<ArcSwap<Config>>,
    client: Arc<NetEntClient>,
    outbox_wake: Arc<Notify>,
    stop: CancellationToken,
) {
    loop {
        let cfg = config.load_full();
        let at = now();
        match journal.read(move |c| due(c, &at)).await {
            Ok(jobs) => {
                let n = jobs.len();
                for job in jobs {
                    let id = job.id;
                    if let Err(e) = upload(&journal, &client, &cfg, job).await {
                        crate::internal_events::journal_write_failed(
                            &format!("upload of document {id}"),
                            &e,
                        );
                    }
                }
                if n > 0 {
                    outbox_wake.notify_one();
                }
            }
            Err(e) => crate::internal_events::journal_read_failed("documents queue", &e),
        }
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(cfg.netent.poll_interval) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn natures_follow_the_contract_spelling() {
        assert_eq!(nature_absence(Some(1)), "MALADIE");
        assert_eq!(nature_absence(Some(5)), "MALADIE_PROFESSIONELLE");
        assert_eq!(nature_absence(Some(18)), "TPT_MALADIE_PROFESSIONNELLE");
        assert_eq!(nature_absence(None), "MALADIE");
        assert_ne!(nature_absence(Some(6)), "MALADIE");
    }
}
