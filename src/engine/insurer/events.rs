//! Alertable insurer-side events (`insurer_events` table): the hook for the alert engine.
//!
//! Kinds: [`BPIJ_UNMATCHED`] (a BPIJ line no journaled stoppage explains), [`BPIJ_UNREADABLE`]
//! (a stored BPIJ that does not parse), [`NO_CONTRACT`] (a stoppage at an establishment some
//! insurer contract covers, but no contract covers the employee's population),
//! [`PUSH_FAILED`] (the insurer's push endpoint refused or could not be reached; recorded once
//! per failure streak, with the file that waits). Each event is
//! written in the same transaction as what caused it; the alert engine reads [`pending`] and
//! calls [`mark_alerted`] after sending, so nothing is alerted twice or lost. Details never
//! hold a full NIR.

use rusqlite::{Connection, params};
use serde::Serialize;

use crate::journal::JournalError;

pub const BPIJ_UNMATCHED: &str = "bpij_unmatched";
pub const BPIJ_UNREADABLE: &str = "bpij_unreadable";
pub const NO_CONTRACT: &str = "no_insurer_contract";
pub const PUSH_FAILED: &str = "insurer_push_failed";

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InsurerEvent {
    pub id: i64,
    pub at: String,
    pub kind: String,
    pub insurer_code: Option<String>,
    pub declaration_id: Option<i64>,
    pub bpij_id: Option<i64>,
    pub detail: serde_json::Value,
}

/// Records an event (inside the caller's journal transaction).
pub fn record(
    conn: &Connection,
    kind: &str,
    insurer_code: Option<&str>,
    declaration_id: Option<i64>,
    bpij_id: Option<i64>,
    detail: &serde_json::Value,
    at: &str,
) -> Result<i64, JournalError> {
    conn.prepare_cached(
        "INSERT INTO insurer_events (at, kind, insurer_code, declaration_id, bpij_id, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![at, kind, insurer_code, declaration_id, bpij_id, detail.to_string()])?;
    Ok(conn.last_insert_rowid())
}

/// Events not alerted yet, oldest first.
pub fn pending(conn: &Connection, limit: usize) -> Result<Vec<InsurerEvent>, JournalError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, at, kind, insurer_code, declaration_id, bpij_id, detail FROM insurer_events
         WHERE alerted_at IS NULL ORDER BY id LIMIT ?1",
    )?;
    let rows = stmt.query_map([limit as i64], |r| {
        let detail: Option<String> = r.get(6)?;
        Ok(InsurerEvent {
            id: r.get(0)?,
            at: r.get(1)?,
            kind: r.get(2)?,
            insurer_code: r.get(3)?,
            declaration_id: r.get(4)?,
            bpij_id: r.get(5)?,
            detail: detail
                .and_then(|d| serde_json::from_str(&d).ok())
                .unwrap_or(serde_json::Value::Null),
        })
    })?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// Marks events as alerted.
pub fn mark_alerted(conn: &Connection, ids: &[i64], at: &str) -> Result<(), JournalError> {
    let mut stmt =
        conn.prepare_cached("UPDATE insurer_events SET alerted_at = ?2 WHERE id = ?1")?;
    for id in ids {
        stmt.execute(params![id, at])?;
    }
    Ok(())
}
