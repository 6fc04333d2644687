//! The `alerts` table: one row per (declaration, condition), carrying the next mail to send.
//!
//! `mail_kind` is what the next (or last) mail says: alert, reminder or resolved. `state`
//! is where that mail is: pending (due at `next_attempt_at`), failed (the SMTP server refused
//! or was unreachable; retried at `next_attempt_at`), sent, dropped (resolved before any mail
//! went out). `delivered_to` lists the recipients that already have the current mail, so a
//! retry never mails anyone twice.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};
use std::collections::HashSet;
use std::time::Duration;

use super::conditions::{Finding, mails_resolution};
use crate::journal::JournalError;

/// RFC 3339 UTC with milliseconds, like `journal::now()`, so strings compare in time order.
pub fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

pub use super::workdays::{earlier, later};

pub fn parse_ts(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// What one reconciliation changed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Changes {
    pub opened: usize,
    pub reminded: usize,
    pub resolved: usize,
}

/// Records the conditions that hold now: new ones open an alert, vanished ones are resolved,
/// open ones get one reminder once `reminder_after` passed since the alert mail (one only:
/// a refused declaration may stay refused for months, and nobody wants a mail a day).
pub fn reconcile(
    conn: &Connection,
    findings: &[Finding],
    now: DateTime<Utc>,
    reminder_after: Duration,
) -> Result<Changes, JournalError> {
    let at = ts(now);
    let mut ch = Changes::default();
    let current: HashSet<(i64, &str)> = findings
        .iter()
        .map(|f| (f.declaration_id, f.condition.as_str()))
        .collect();
    {
        let mut open = conn.prepare_cached(
            "SELECT id, declaration_id, condition, state, sent_at FROM alerts WHERE resolved_at IS NULL",
        )?;
        let rows: Vec<(i64, i64, String, String, Option<String>)> = open
            .query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })?
            .collect::<Result<_, _>>()?;
        for (id, decl, cond, state, sent_at) in rows {
            if current.contains(&(decl, cond.as_str())) {
                continue;
            }
            ch.resolved += 1;
            if sent_at.is_some() && mails_resolution(&cond) {
                conn.execute(
                    "UPDATE alerts SET resolved_at = ?2, mail_kind = 'resolved', state = 'pending', next_attempt_at = ?2,
                       delivered_to = '[]', attempts = 0 WHERE id = ?1",
                    params![id, at],
                )?;
            } else {
                let new_state = if state == "sent" { "sent" } else { "dropped" };
                conn.execute(
                    "UPDATE alerts SET resolved_at = ?2, state = ?3 WHERE id = ?1",
                    params![id, at, new_state],
                )?;
            }
        }
    }
    for f in findings {
        let n = conn
            .prepare_cached(
                "INSERT INTO alerts (declaration_id, condition, siret, hr_ref, detail, mail_kind, state, next_attempt_at, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, 'alert', 'pending', ?6, ?6)
                 ON CONFLICT(declaration_id, condition) DO NOTHING",
            )?
            .execute(params![f.declaration_id, f.condition, f.siret, f.hr_ref, f.detail, at])?;
        if n > 0 {
            ch.opened += 1;
            continue;
        }
        // The condition holds again after it was resolved: a new alert.
        ch.opened += conn.execute(
            "UPDATE alerts SET resolved_at = NULL, mail_kind = 'alert', state = 'pending', next_attempt_at = ?3,
               delivered_to = '[]', attempts = 0, detail = ?4, sent_at = NULL
             WHERE declaration_id = ?1 AND condition = ?2 AND resolved_at IS NOT NULL",
            params![f.declaration_id, f.condition, at, f.detail],
        )?;
    }
    if !reminder_after.is_zero() {
        let cutoff = ts(earlier(now, reminder_after));
        ch.reminded = conn.execute(
            "UPDATE alerts SET mail_kind = 'reminder', state = 'pending', next_attempt_at = ?2, delivered_to = '[]', attempts = 0
             WHERE resolved_at IS NULL AND state = 'sent' AND mail_kind = 'alert' AND sent_at <= ?1",
            params![cutoff, at],
        )?;
    }
    Ok(ch)
}

/// One mail waiting to go out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    pub id: i64,
    pub declaration_id: i64,
    pub condition: String,
    pub siret: Option<String>,
    pub hr_ref: Option<String>,
    pub detail: String,
    pub mail_kind: String,
    pub attempts: i64,
    pub delivered_to: Vec<String>,
    pub created_at: String,
}

/// Mails due at `now`, oldest first.
pub fn due(conn: &Connection, now: DateTime<Utc>, limit: usize) -> Result<Vec<Due>, JournalError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, declaration_id, condition, siret, hr_ref, detail, mail_kind, attempts, delivered_to, created_at
         FROM alerts WHERE state IN ('pending', 'failed') AND next_attempt_at <= ?1 ORDER BY id LIMIT ?2",
    )?;
    let rows = stmt
        .query_map(params![ts(now), limit as i64], |r| {
            let delivered: String = r.get(8)?;
            Ok(Due {
                id: r.get(0)?,
                declaration_id: r.get(1)?,
                condition: r.get(2)?,
                siret: r.get(3)?,
                hr_ref: r.get(4)?,
                detail: r.get(5)?,
                mail_kind: r.get(6)?,
                attempts: r.get(7)?,
                delivered_to: serde_json::from_str(&delivered).unwrap_or_default(),
                created_at: r.get(9)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// Outcome of one send round for one alert.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub id: i64,
    pub delivered_to: Vec<String>,
    /// Every recipient has the mail.
    pub complete: bool,
    pub error: Option<String>,
    pub next_attempt_at: DateTime<Utc>,
}

pub fn record(conn: &Connection, d: &Delivery, now: DateTime<Utc>) -> Result<(), JournalError> {
    let delivered = serde_json::to_string(&d.delivered_to).unwrap_or_else(|_| "[]".into());
    if d.complete {
        conn.execute(
            "UPDATE alerts SET state = 'sent', sent_at = ?2, delivered_to = ?3, attempts = attempts + 1, last_error = ?4 WHERE id = ?1",
            params![d.id, ts(now), delivered, d.error],
        )?;
    } else {
        conn.execute(
            "UPDATE alerts SET state = 'failed', delivered_to = ?2, attempts = attempts + 1, last_error = ?3, next_attempt_at = ?4 WHERE id = ?1",
            params![d.id, delivered, d.error, ts(d.next_attempt_at)],
        )?;
    }
    Ok(())
}

/// A row as listed by `ijgate alert list`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Listed {
    pub id: i64,
    pub declaration_id: i64,
    pub condition: String,
    pub hr_ref: Option<String>,
    pub mail_kind: String,
    pub state: String,
    pub attempts: i64,
    pub created_at: String,
    pub sent_at: Option<String>,
    pub resolved_at: Option<String>,
    pub last_error: Option<String>,
}

pub fn list(conn: &Connection) -> Result<Vec<Listed>, JournalError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, declaration_id, condition, hr_ref, mail_kind, state, attempts, created_at, sent_at, resolved_at, last_error
         FROM alerts ORDER BY id",
    )?;
    let rows = stmt
        .query_map([], |r| {
            Ok(Listed {
                id: r.get(0)?,
                declaration_id: r.get(1)?,
                condition: r.get(2)?,
                hr_ref: r.get(3)?,
                mail_kind: r.get(4)?,
                state: r.get(5)?,
                attempts: r.get(6)?,
                created_at: r.get(7)?,
                sent_at: r.get(8)?,
                resolved_at: r.get(9)?,
                last_error: r.get(10)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// Retention: the alerts, tasks and documents of the declarations a purge removes (the same
/// rule: [`crate::journal::retention::purgeable_sql`]; children of `declarations`, so this runs
/// first), and installation-wide alerts resolved before `cutoff`. Returns the rows removed.
pub fn purge_followup(conn: &Connection, cutoff: &str) -> Result<usize, JournalError> {
    let old = crate::journal::retention::purgeable_sql();
    let mut n = 0;
    for table in ["documents", "tasks", "alerts"] {
        n += conn.execute(
            &format!("DELETE FROM {table} WHERE declaration_id IN ({old})"),
            params![cutoff],
        )?;
    }
    n += conn.execute(
        "DELETE FROM alerts WHERE declaration_id = 0 AND resolved_at IS NOT NULL AND resolved_at < ?1",
        params![cutoff],
    )?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn db() -> Connection {
        let c = Connection::open_in_memory().unwrap();
        c.execute_batch(
            "CREATE TABLE alerts (
                id INTEGER PRIMARY KEY AUTOINCREMENT, declaration_id INTEGER NOT NULL, condition TEXT NOT NULL,
                siret TEXT, hr_ref TEXT, detail TEXT NOT NULL DEFAULT '', mail_kind TEXT NOT NULL DEFAULT 'alert',
                state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at TEXT NOT NULL,
                delivered_to TEXT NOT NULL DEFAULT '[]', last_error TEXT, created_at TEXT NOT NULL, sent_at TEXT,
                resolved_at TEXT, UNIQUE (declaration_id, condition));",
        )
        .unwrap();
        c
    }

    fn f(cond: &str) -> Finding {
        Finding {
            declaration_id: 1,
            condition: cond.into(),
            siret: None,
            hr_ref: Some("H".into()),
            detail: "d".into(),
        }
    }

    fn t(s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, s).unwrap()
    }

    fn sent(c: &Connection, now: DateTime<Utc>) {
        for d in due(c, now, 100).unwrap() {
            record(
                c,
                &Delivery {
                    id: d.id,
                    delivered_to: vec!["a@x".into()],
                    complete: true,
                    error: None,
                    next_attempt_at: now,
                },
                now,
            )
            .unwrap();
        }
    }

    #[test]
    fn retention_removes_the_followup_of_old_declarations_only() {
        let d = tempfile::tempdir().unwrap();
        let j = crate::journal::Journal::open(&d.path().join("j.db")).unwrap();
        let (purged, left) = j
            .write_blocking(|c| {
                for (r, at) in [("OLD", "2020-01-01T00:00:00.000Z"), ("NEW", "2026-11-01T00:00:00.000Z")] {
                    c.execute(
                        "INSERT INTO declarations (siret, hr_ref, event, nir, state, revision, content_hash, payload, created_at, updated_at)
                         VALUES ('73282932000074', ?1, 'arret', '1850578006084', 'dsij_fallback', 1, 'h', '{}', ?2, ?2)",
                        params![r, at],
                    )?;
                    let id = c.last_insert_rowid();
                    c.execute(
                        "INSERT INTO tasks (declaration_id, kind, siret, hr_ref, state, created_at) VALUES (?1, 'dsij', 's', ?2, 'done', ?3)",
                        params![id, r, at],
                    )?;
                    crate::documents::record(c, id, "BULLETIN_SALAIRE", "f.pdf", b"%PDF-", "{}", at)?;
                    let f = Finding {
                        declaration_id: id,
                        condition: "dsij_fallback".into(),
                        siret: None,
                        hr_ref: Some(r.into()),
                        detail: String::new(),
                    };
                    reconcile(c, &[f], t(0), Duration::ZERO)?;
                }
                let n = purge_followup(c, "2025-01-01T00:00:00.000Z")?;
                let left: i64 = c.query_row(
                    "SELECT (SELECT COUNT(*) FROM tasks) + (SELECT COUNT(*) FROM documents) + (SELECT COUNT(*) FROM alerts)",
                    [],
                    |r| r.get(0),
                )?;
                // The declarations themselves can go now (no child left).
                crate::journal::retention::purge_declarations(
                    c,
                    "2025-01-01T00:00:00.000Z",
                    &mut Default::default(),
                )?;
                Ok((n, left))
            })
            .unwrap();
        assert_eq!(purged, 3);
        assert_eq!(left, 3);
    }

    #[test]
    fn one_alert_per_condition_then_resolved_mail() {
        let c = db();
        let h = Duration::from_secs(3600);
        assert_eq!(
            reconcile(&c, &[f("missing_31")], t(0), h).unwrap().opened,
            1
        );
        assert_eq!(
            reconcile(&c, &[f("missing_31")], t(1), h).unwrap().opened,
            0
        );
        assert_eq!(due(&c, t(1), 10).unwrap().len(), 1);
        sent(&c, t(2));
        assert!(due(&c, t(3), 10).unwrap().is_empty());
        let ch = reconcile(&c, &[], t(4), h).unwrap();
        assert_eq!(ch.resolved, 1);
        let d = due(&c, t(4), 10).unwrap();
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].mail_kind, "resolved");
    }

    #[test]
    fn resolved_before_sending_is_dropped_and_silent_conditions_stay_silent() {
        let c = db();
        let h = Duration::from_secs(3600);
        reconcile(&c, &[f("missing_31"), f("refused")], t(0), h).unwrap();
        reconcile(&c, &[f("refused")], t(1), h).unwrap();
        let d = due(&c, t(1), 10).unwrap();
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].condition, "refused");
        sent(&c, t(2));
        reconcile(&c, &[], t(3), h).unwrap();
        assert!(due(&c, t(3), 10).unwrap().is_empty());
    }

    #[test]
    fn reminder_after_the_configured_time_and_retry_when_failed() {
        let c = db();
        let r = Duration::from_secs(10);
        reconcile(&c, &[f("failed")], t(0), r).unwrap();
        let d = due(&c, t(0), 10).unwrap();
        record(
            &c,
            &Delivery {
                id: d[0].id,
                delivered_to: vec![],
                complete: false,
                error: Some("down".into()),
                next_attempt_at: t(5),
            },
            t(0),
        )
        .unwrap();
        assert!(due(&c, t(4), 10).unwrap().is_empty());
        assert_eq!(due(&c, t(5), 10).unwrap().len(), 1);
        sent(&c, t(5));
        assert_eq!(reconcile(&c, &[f("failed")], t(14), r).unwrap().reminded, 0);
        assert_eq!(reconcile(&c, &[f("failed")], t(15), r).unwrap().reminded, 1);
        assert_eq!(due(&c, t(15), 10).unwrap()[0].mail_kind, "reminder");
        sent(&c, t(16));
        assert_eq!(reconcile(&c, &[f("failed")], t(59), r).unwrap().reminded, 0);
        assert!(due(&c, t(59), 10).unwrap().is_empty());
    }
}
