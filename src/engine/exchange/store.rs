//! The exchange's journal operations (SQL). Each runs inside one journal write job, so what
//! one function does (a state change, its history, its notices, its outbox rows) commits
//! together or not at all.

use chrono::Utc;
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::json;
use std::time::Duration;

use super::decide::{DeclEvent, DeclState, DepositEvent, DepositState};
use crate::channels::netent::NetEntError;
use crate::formats::rapport::{Anomaly, DepositAnswer};
use crate::journal::{JournalError, now, store};

/// A deposit being processed.
#[derive(Debug, Clone)]
pub(super) struct DepositRow {
    pub id: i64,
    pub declaration_id: i64,
    pub target: i64,
    pub nature: String,
    pub decl_type: String,
    pub ident: String,
    pub payload: String,
    pub file: Option<Vec<u8>>,
    pub state: DepositState,
    pub attempts: i64,
    pub sent_at: Option<String>,
    /// An essai file (S10.G00.00.005 = 01).
    pub test: bool,
    /// Consecutive reconciliation looks that found nothing.
    pub absent_checks: u32,
}

pub(super) fn load_deposit(conn: &Connection, id: i64) -> Result<Option<DepositRow>, JournalError> {
    Ok(conn
        .prepare_cached(
            "SELECT id, declaration_id, target_declaration_id, nature, decl_type, identifiant_metier, payload, file,
                    state, attempts, sent_at, test, absent_checks FROM deposits WHERE id = ?1",
        )?
        .query_row([id], |r| {
            Ok(DepositRow {
                id: r.get(0)?,
                declaration_id: r.get(1)?,
                target: r.get(2)?,
                nature: r.get(3)?,
                decl_type: r.get(4)?,
                ident: r.get(5)?,
                payload: r.get(6)?,
                file: r.get(7)?,
                state: r.get(8)?,
                attempts: r.get(9)?,
                sent_at: r.get(10)?,
                test: r.get(11)?,
                absent_checks: r.get(12)?,
            })
        })
        .optional()?)
}

/// The next state of a deposit; an illegal move is a bug and aborts the journal job.
pub(super) fn deposit_next(
    row: &DepositRow,
    e: DepositEvent,
) -> Result<DepositState, JournalError> {
    row.state
        .next(e)
        .map_err(|x| JournalError::Data(format!("deposit {}: {x}", row.id)))
}

/// Declaration facts needed for notices.
pub(super) fn decl_info(
    conn: &Connection,
    id: i64,
) -> Result<(String, String, DeclState), JournalError> {
    Ok(conn
        .prepare_cached("SELECT hr_ref, event, state FROM declarations WHERE id = ?1")?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?)
}

/// Moves a declaration through the transition table and records it. An illegal move keeps
/// the state and records the event with the refusal (a late return of an older flux, say):
/// the history stays complete, the state never goes where the table forbids.
pub(super) fn move_decl(
    conn: &Connection,
    id: i64,
    event: DeclEvent,
    what: &str,
    detail: Option<&str>,
    at: &str,
) -> Result<Option<DeclState>, JournalError> {
    let (_, _, cur) = decl_info(conn, id)?;
    match cur.next(event) {
        Ok(to) => {
            store::transition(conn, id, to.as_str(), what, detail, at)?;
            Ok(Some(to))
        }
        Err(e) => {
            crate::internal_events::state_kept(id, &e);
            let d = json!({"detail": detail, "state_kept": cur.as_str(), "refused": e.to_string()})
                .to_string();
            store::add_history(conn, id, what, None, None, Some(&d), at)?;
            Ok(None)
        }
    }
}

pub(super) fn set_decl_retry(
    conn: &Connection,
    id: i64,
    attempts: i64,
    next: Option<&str>,
    kind: Option<&str>,
) -> Result<(), JournalError> {
    conn.prepare_cached("UPDATE declarations SET attempts = ?2, next_attempt_at = ?3, last_error_kind = ?4 WHERE id = ?1")?
        .execute(params![id, attempts, next, kind])?;
    Ok(())
}

/// Anomalies as forwarded (no personal identifiers).
pub(super) fn anomalies_json(list: &[Anomaly]) -> serde_json::Value {
    serde_json::Value::Array(
        list.iter()
            .map(|a| {
                json!({
                    "code": a.code,
                    "message": a.message,
                    "rubric": a.rubric.as_ref().map(|r| r.id.clone()),
                    "line": a.line,
                })
            })
            .collect(),
    )
}

/// A return notice as queued for the HR tool and the insurer.
pub(super) struct ReturnNotice<'a> {
    pub declaration_id: i64,
    pub kind: &'a str,
    pub status: &'a str,
    pub idflux: Option<&'a str>,
    pub nature: Option<&'a str>,
    pub outcome: Option<&'a str>,
    pub anomalies: serde_json::Value,
    pub extra: serde_json::Value,
    pub raw: Option<&'a [u8]>,
    /// The deposit was an essai file: every notice says so.
    pub test: bool,
}

/// Queues a return notice (JSON) with the raw document beside it, for the HR tool and the insurer.
pub(super) fn enqueue_return_notice(
    conn: &Connection,
    n: ReturnNotice<'_>,
    at: &str,
) -> Result<(), JournalError> {
    let declaration_id = n.declaration_id;
    let (hr_ref, event, state) = decl_info(conn, declaration_id)?;
    let stem = crate::engine::notices::stem(Some(&hr_ref), n.kind);
    // The insurer copy goes only to the insurer of the employee's contract; a stoppage no
    // insurer covers goes to the flat outbound/insurer/ (deployments without routing).
    let siret: String = conn.query_row(
        "SELECT siret FROM declarations WHERE id = ?1",
        [declaration_id],
        |r| r.get(0),
    )?;
    let insurer_dest = match crate::engine::insurer::link(conn, &siret, &hr_ref)? {
        Some(l) => format!("insurer/{}", l.insurer_code),
        None => "insurer".to_string(),
    };
    for dest in ["hr", insurer_dest.as_str()] {
        let raw_name = match n.raw {
            Some(xml) => Some(store::enqueue_notice(
                conn,
                Some(declaration_id),
                dest,
                &stem,
                "xml",
                xml,
                at,
            )?),
            None => None,
        };
        let mut notice = json!({
            "hr_ref": hr_ref, "declaration_id": declaration_id, "event": event, "kind": n.kind,
            "status": n.status, "state": state.as_str(), "at": at, "idflux": n.idflux, "nature": n.nature,
            "outcome": n.outcome, "anomalies": n.anomalies, "raw": raw_name,
        });
        if let Some(o) = notice.as_object_mut() {
            if let Some(e) = n.extra.as_object() {
                for (k, v) in e {
                    o.insert(k.clone(), v.clone());
                }
            }
            if n.test {
                o.insert("test".into(), json!(true));
            }
        }
        let body = serde_json::to_vec_pretty(&notice).unwrap_or_default();
        match &raw_name {
            Some(x) => {
                let name = x.trim_end_matches(".xml").to_string() + ".json";
                store::enqueue_outbox(conn, Some(declaration_id), dest, &name, &body, at)?;
            }
            None => {
                store::enqueue_notice(conn, Some(declaration_id), dest, &stem, "json", &body, at)?;
            }
        }
    }
    Ok(())
}

// The polling cursors are one journal table shared with the insurer push.
pub(super) use crate::journal::store::{cursor, set_cursor};

/// A deposit fails for good: `failed`, its declaration too, and a notice.
pub(super) fn fail(
    c: &Connection,
    row: &DepositRow,
    kind: &str,
    message: &str,
    at: &str,
) -> Result<(), JournalError> {
    let to = deposit_next(row, DepositEvent::Fail)?;
    c.execute(
        "UPDATE deposits SET state = ?5, last_error_kind = ?2, last_error = ?3, updated_at = ?4 WHERE id = ?1",
        params![row.id, kind, message, at, to],
    )?;
    set_decl_retry(c, row.declaration_id, row.attempts, None, Some(kind))?;
    move_decl(
        c,
        row.declaration_id,
        DeclEvent::Failed,
        "failed",
        Some(&json!({"deposit": row.id, "kind": kind, "message": message}).to_string()),
        at,
    )?;
    enqueue_return_notice(
        c,
        ReturnNotice {
            declaration_id: row.declaration_id,
            kind: "DEPOSIT_FAILED",
            status: "KO",
            idflux: None,
            nature: None,
            outcome: Some("failed"),
            anomalies: json!([{"code": kind, "message": message}]),
            extra: json!({}),
            raw: None,
            test: row.test,
        },
        at,
    )
}

/// A deposit call failed: retry later (`pending` after a failure that cannot have landed,
/// `uncertain` after one that may have), or fail for good.
pub(super) fn record_failure(
    c: &Connection,
    row: &DepositRow,
    e: &NetEntError,
    may_have_landed: bool,
    delay: Duration,
    max_attempts: i64,
) -> Result<(), JournalError> {
    let at = now();
    if !e.is_transient() {
        return fail(c, row, e.kind(), &e.to_string(), &at);
    }
    if row.attempts >= max_attempts && !may_have_landed {
        return fail(
            c,
            row,
            e.kind(),
            &format!("gave up after {} attempts: {e}", row.attempts),
            &at,
        );
    }
    let (event, decl_event) = if may_have_landed {
        (DepositEvent::MayHaveLanded, DeclEvent::Uncertain)
    } else {
        (DepositEvent::Retry, DeclEvent::RetryScheduled)
    };
    let to = deposit_next(row, event)?;
    let next = (Utc::now() + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::MAX))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    c.execute(
        "UPDATE deposits SET state = ?2, next_attempt_at = ?3, last_error_kind = ?4, last_error = ?5, updated_at = ?6,
                absent_checks = 0 WHERE id = ?1",
        params![row.id, to, next, e.kind(), e.to_string(), at],
    )?;
    set_decl_retry(
        c,
        row.declaration_id,
        row.attempts,
        Some(&next),
        Some(e.kind()),
    )?;
    move_decl(
        c,
        row.declaration_id,
        decl_event,
        "retry_scheduled",
        Some(&json!({"deposit": row.id, "kind": e.kind(), "next_attempt_at": next}).to_string()),
        &at,
    )?;
    Ok(())
}

/// Records an AEE (or a deposit found again by reconciliation).
pub(super) fn record_deposited(
    c: &Connection,
    row: &DepositRow,
    idflux: &str,
    raw: Option<&[u8]>,
    reconciled: bool,
    at: &str,
) -> Result<(), JournalError> {
    let to = deposit_next(
        row,
        if reconciled {
            DepositEvent::Found
        } else {
            DepositEvent::Accepted
        },
    )?;
    c.execute(
        "UPDATE deposits SET state = ?4, idflux = ?2, last_error_kind = NULL, last_error = NULL, updated_at = ?3 WHERE id = ?1",
        params![row.id, idflux, at, to],
    )?;
    // The AEE row marks the technical acceptance as announced (below); a found-again deposit
    // has no document, and the copy published in the listing is then not announced twice.
    c.execute(
        "INSERT INTO returns (idflux, nature, return_id, statut, deposit_id, outcome, raw, fetched_at, updated_at)
         VALUES (?1, '10', 'AEE', 'OK', ?2, 'technical_accepted', ?3, ?4, ?4)
         ON CONFLICT(idflux, nature, return_id) DO NOTHING",
        params![idflux, row.id, raw, at],
    )?;
    set_decl_retry(c, row.declaration_id, row.attempts, None, None)?;
    let detail = json!({"deposit": row.id, "idflux": idflux, "identifiant_metier": row.ident, "reconciled": reconciled}).to_string();
    move_decl(
        c,
        row.declaration_id,
        DeclEvent::Deposited,
        "deposited",
        Some(&detail),
        at,
    )?;
    if row.decl_type == "04" && row.target != row.declaration_id {
        move_decl(
            c,
            row.target,
            DeclEvent::Cancelled,
            "cancelled",
            Some(&detail),
            at,
        )?;
    }
    crate::engine::insurer::on_event(c, row.declaration_id, None, at)?;
    enqueue_return_notice(
        c,
        ReturnNotice {
            declaration_id: row.declaration_id,
            kind: "AEE",
            status: "OK",
            idflux: Some(idflux),
            nature: Some("10"),
            outcome: Some("technical_accepted"),
            anomalies: json!([]),
            extra: json!({"identifiant_metier": row.ident, "reconciled": reconciled}),
            raw,
            test: row.test,
        },
        at,
    )
}

/// Journals the synchronous answer to a deposit (AEE or ARE).
pub(super) fn record_answer(
    c: &Connection,
    row: &DepositRow,
    answer: DepositAnswer,
    raw: &[u8],
) -> Result<(), JournalError> {
    let at = now();
    match answer {
        DepositAnswer::Accepted { idflux, .. } => {
            record_deposited(c, row, &idflux, Some(raw), false, &at)
        }
        DepositAnswer::Rejected { rapport } => {
            let to = deposit_next(row, DepositEvent::Refused)?;
            let anomalies = rapport.all_anomalies();
            let codes: Vec<&str> = anomalies.iter().map(|a| a.code.as_str()).collect();
            c.execute(
                "UPDATE deposits SET state = ?4, last_error_kind = 'are', last_error = ?2, updated_at = ?3 WHERE id = ?1",
                params![row.id, codes.join(","), at, to],
            )?;
            let key = format!("ARE-{}", row.id);
            c.execute(
                "INSERT INTO returns (idflux, nature, return_id, statut, deposit_id, outcome, raw, fetched_at, updated_at)
                 VALUES (?1, '10', 'ARE', 'KO', ?2, 'technical_rejected', ?3, ?4, ?4)
                 ON CONFLICT(idflux, nature, return_id) DO NOTHING",
                params![rapport.envoi.idflux.clone().unwrap_or(key), row.id, raw, at],
            )?;
            set_decl_retry(c, row.declaration_id, row.attempts, None, Some("are"))?;
            let json_anomalies = anomalies_json(&anomalies);
            move_decl(
                c,
                row.declaration_id,
                DeclEvent::Rejected,
                "rejected",
                Some(&json!({"deposit": row.id, "anomalies": json_anomalies}).to_string()),
                &at,
            )?;
            enqueue_return_notice(
                c,
                ReturnNotice {
                    declaration_id: row.declaration_id,
                    kind: "ARE",
                    status: "KO",
                    idflux: rapport.envoi.idflux.as_deref(),
                    nature: Some("10"),
                    outcome: Some("technical_rejected"),
                    anomalies: json_anomalies,
                    extra: json!({"identifiant_metier": row.ident}),
                    raw: Some(raw),
                    test: row.test,
                },
                &at,
            )
        }
    }
}

/// Claims the processing of a return, keyed (idflux, nature, return id, content hash). The
/// claim is written in the same journal job as everything the return does (history, notices,
/// insurer messages), so a return is applied exactly once: a second poller, or the same one
/// after a crash before the commit, finds the key and does nothing; a crash before the commit
/// loses the claim with the work, and the next pass does both once.
/// `false`: already applied.
pub(super) fn claim_return(
    c: &Connection,
    idflux: &str,
    nature: &str,
    return_id: &str,
    sha256: &str,
    at: &str,
) -> Result<bool, JournalError> {
    Ok(c.prepare_cached(
        "INSERT INTO returns_applied (idflux, nature, return_id, sha256, applied_at) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT DO NOTHING",
    )?
    .execute(params![idflux, nature, return_id, sha256, at])?
        > 0)
}

// ---- peer faults ---------------------------------------------------------------------------

/// How long a fault stays open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// Holds until the same service answers well again (a listing that keeps failing).
    Standing,
    /// One occurrence (a document that cannot be read, a link to skip): alerted once.
    Event,
}

/// Records a fault of a net-entreprises service. One row per (service, cause): while it is
/// open, repeats only count; the alert scanner raises one alert for it. The same one-off
/// event seen again (the same bad link listed at every pass) is not alerted again.
pub fn record_fault(
    c: &Connection,
    service: &str,
    cause: &str,
    detail: &str,
    kind: FaultKind,
    at: &str,
) -> Result<(), JournalError> {
    let resolved = match kind {
        FaultKind::Standing => None,
        FaultKind::Event => Some(at),
    };
    c.prepare_cached(
        "INSERT INTO exchange_faults (service, cause, detail, first_at, last_at, count, resolved_at)
         VALUES (?1, ?2, ?3, ?4, ?4, 1, ?5)
         ON CONFLICT(service, cause) DO UPDATE SET
           count = CASE WHEN exchange_faults.resolved_at IS NULL OR exchange_faults.detail = excluded.detail
                        THEN exchange_faults.count + 1 ELSE 1 END,
           first_at = CASE WHEN exchange_faults.resolved_at IS NULL OR exchange_faults.detail = excluded.detail
                           THEN exchange_faults.first_at ELSE excluded.first_at END,
           alerted_at = CASE WHEN exchange_faults.resolved_at IS NULL OR exchange_faults.detail = excluded.detail
                             THEN exchange_faults.alerted_at ELSE NULL END,
           detail = excluded.detail, last_at = excluded.last_at, resolved_at = excluded.resolved_at",
    )?
    .execute(params![service, cause, detail, at, resolved])?;
    Ok(())
}

/// The service answered well: its standing faults are over.
pub fn clear_faults(c: &Connection, service: &str, at: &str) -> Result<usize, JournalError> {
    Ok(c.prepare_cached(
        "UPDATE exchange_faults SET resolved_at = ?2 WHERE service = ?1 AND resolved_at IS NULL",
    )?
    .execute(params![service, at])?)
}

/// A fault the alert scanner reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenFault {
    pub service: String,
    pub cause: String,
    pub detail: String,
    pub first_at: String,
    pub count: i64,
}

/// Faults to alert on: open ones, and ones over before any scan saw them (reported once).
/// Marks them as seen.
pub fn faults_to_alert(c: &Connection, at: &str) -> Result<Vec<OpenFault>, JournalError> {
    let v = c
        .prepare_cached(
            "SELECT service, cause, detail, first_at, count FROM exchange_faults
             WHERE resolved_at IS NULL OR alerted_at IS NULL ORDER BY service, cause",
        )?
        .query_map([], |r| {
            Ok(OpenFault {
                service: r.get(0)?,
                cause: r.get(1)?,
                detail: r.get(2)?,
                first_at: r.get(3)?,
                count: r.get(4)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    c.prepare_cached("UPDATE exchange_faults SET alerted_at = ?1 WHERE alerted_at IS NULL")?
        .execute([at])?;
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::Journal;

    #[test]
    fn a_fault_is_one_row_until_its_service_recovers() {
        let d = tempfile::tempdir().unwrap();
        let j = Journal::open(&d.path().join("j.db")).unwrap();
        let seen = j
            .write_blocking(|c| {
                for i in 0..5 {
                    record_fault(
                        c,
                        "lister-retours-declarant",
                        "bad_listing",
                        &format!("try {i}"),
                        FaultKind::Standing,
                        "t1",
                    )?;
                }
                let first = faults_to_alert(c, "t2")?;
                // Still open: still reported (the alert holds), never twice as rows.
                let again = faults_to_alert(c, "t3")?;
                clear_faults(c, "lister-retours-declarant", "t4")?;
                let after = faults_to_alert(c, "t5")?;
                // A one-off event is reported once even though it is over at once.
                record_fault(
                    c,
                    "telecharger-bpij",
                    "untrusted_url",
                    "https://evil/",
                    FaultKind::Event,
                    "t6",
                )?;
                let event = faults_to_alert(c, "t7")?;
                record_fault(
                    c,
                    "telecharger-bpij",
                    "untrusted_url",
                    "https://evil/",
                    FaultKind::Event,
                    "t7",
                )?;
                let gone = faults_to_alert(c, "t8")?;
                Ok((first, again, after, event, gone))
            })
            .unwrap();
        let (first, again, after, event, gone) = seen;
        assert_eq!(first.len(), 1);
        assert_eq!(first[0].count, 5);
        assert_eq!(first[0].detail, "try 4");
        assert_eq!(again.len(), 1);
        assert!(after.is_empty());
        assert_eq!(event.len(), 1);
        assert_eq!(event[0].cause, "untrusted_url");
        assert!(gone.is_empty());
    }

    #[test]
    fn a_return_is_claimed_once_per_content() {
        let d = tempfile::tempdir().unwrap();
        let j = Journal::open(&d.path().join("j.db")).unwrap();
        let r = j
            .write_blocking(|c| {
                Ok((
                    claim_return(c, "F", "31", "7", "aa", "t")?,
                    claim_return(c, "F", "31", "7", "aa", "t")?,
                    // Overwritten upstream: new content, applied again.
                    claim_return(c, "F", "31", "7", "bb", "t")?,
                ))
            })
            .unwrap();
        assert_eq!(r, (true, false, true));
    }
}
