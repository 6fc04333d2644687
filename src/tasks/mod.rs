//! Manual tasks: when the DSN signalement cannot be used (declaration state `dsij_fallback`:
//! a 21 non-reconstitution, therapeutic part-time motifs 15–18, bereavement 19), someone has
//! to send the salary attestation (DSIJ) by hand. A task is opened with a prefilled
//! attestation written to spool/outbound/hr/ (`<hr_ref>_dsij_<task>.html` and `.json`,
//! through the outbox) and an alert; it is closed by `ijgate task done ID` or
//! `POST /v1/tasks/{id}/done`.
//!
//! Invariant: one task per declaration (UNIQUE), opened in the same transaction as its files.

pub mod attestation;
pub mod cli;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use serde_json::json;

use crate::config::Config;
use crate::journal::{JournalError, store};
use crate::model::Stoppage;

/// Opens a task for each `dsij_fallback` declaration that has none. Returns how many.
pub fn open_dsij_tasks(
    conn: &Connection,
    cfg: &Config,
    now: DateTime<Utc>,
) -> Result<usize, JournalError> {
    let at = crate::alerts::store::ts(now);
    let todo: Vec<(i64, String, String, String)> = conn
        .prepare_cached(
            "SELECT d.id, d.siret, d.hr_ref, d.payload FROM declarations d
             WHERE d.state = 'dsij_fallback' AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.declaration_id = d.id)",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<Result<_, _>>()?;
    for (decl, siret, hr_ref, payload) in &todo {
        conn.execute(
            "INSERT INTO tasks (declaration_id, kind, siret, hr_ref, state, created_at) VALUES (?1, 'dsij', ?2, ?3, 'open', ?4)",
            params![decl, siret, hr_ref, at],
        )?;
        let task = conn.last_insert_rowid();
        let mut files = Vec::new();
        match serde_json::from_str::<Stoppage>(payload) {
            Ok(s) => {
                let a = attestation::build(task, &s, cfg.employer(siret));
                let stem = format!(
                    "{}_{task}",
                    crate::engine::notices::stem(Some(hr_ref), "dsij")
                );
                let html = attestation::render_html(&a);
                let json = serde_json::to_vec_pretty(&a).unwrap_or_default();
                for (ext, body) in [("html", html.into_bytes()), ("json", json)] {
                    let name = format!("{stem}.{ext}");
                    store::enqueue_outbox(conn, Some(*decl), "hr", &name, &body, &at)?;
                    files.push(name);
                }
            }
            Err(e) => {
                crate::internal_events::unreadable_input(
                    "journaled stoppage (task opened without an attestation)",
                    &format!("declaration {decl}"),
                    &e,
                );
            }
        }
        conn.execute(
            "UPDATE tasks SET files = ?2 WHERE id = ?1",
            params![task, serde_json::to_string(&files).unwrap_or_default()],
        )?;
        store::add_history(
            conn,
            *decl,
            "task_opened",
            None,
            None,
            Some(&json!({"task": task, "kind": "dsij", "files": files}).to_string()),
            &at,
        )?;
    }
    Ok(todo.len())
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Task {
    pub id: i64,
    pub declaration_id: i64,
    pub kind: String,
    pub siret: String,
    pub hr_ref: String,
    pub state: String,
    pub files: Vec<String>,
    pub created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub done_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub done_by: Option<String>,
}

fn row(r: &rusqlite::Row) -> rusqlite::Result<Task> {
    let files: String = r.get(6)?;
    Ok(Task {
        id: r.get(0)?,
        declaration_id: r.get(1)?,
        kind: r.get(2)?,
        siret: r.get(3)?,
        hr_ref: r.get(4)?,
        state: r.get(5)?,
        files: serde_json::from_str(&files).unwrap_or_default(),
        created_at: r.get(7)?,
        done_at: r.get(8)?,
        done_by: r.get(9)?,
    })
}

const COLUMNS: &str =
    "id, declaration_id, kind, siret, hr_ref, state, files, created_at, done_at, done_by";

/// Open tasks (or all of them).
pub fn list(conn: &Connection, all: bool) -> Result<Vec<Task>, JournalError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM tasks {} ORDER BY id",
        if all { "" } else { "WHERE state = 'open'" }
    );
    let mut stmt = conn.prepare(&sql)?;
    let v = stmt.query_map([], row)?.collect::<Result<_, _>>()?;
    Ok(v)
}

pub fn get(conn: &Connection, id: i64) -> Result<Option<Task>, JournalError> {
    Ok(conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM tasks WHERE id = ?1"))?
        .query_row([id], row)
        .optional()?)
}

/// What closing a task did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Closed {
    Done(Task),
    AlreadyDone(Task),
    /// No such task, or one of a SIRET the caller may not see.
    NotFound,
}

/// Closes task `id` on behalf of `by`; `allowed` limits it to some SIRETs (API clients).
pub fn close(
    conn: &Connection,
    id: i64,
    allowed: Option<&[String]>,
    by: &str,
    at: &str,
) -> Result<Closed, JournalError> {
    let Some(t) = get(conn, id)? else {
        return Ok(Closed::NotFound);
    };
    if allowed.is_some_and(|a| !a.contains(&t.siret)) {
        return Ok(Closed::NotFound);
    }
    if t.state == "done" {
        return Ok(Closed::AlreadyDone(t));
    }
    conn.execute(
        "UPDATE tasks SET state = 'done', done_at = ?2, done_by = ?3 WHERE id = ?1",
        params![id, at, by],
    )?;
    store::add_history(
        conn,
        t.declaration_id,
        "task_done",
        None,
        Some(&json!({"channel": "task", "name": by}).to_string()),
        Some(&json!({"task": id, "kind": t.kind}).to_string()),
        at,
    )?;
    Ok(Closed::Done(get(conn, id)?.unwrap_or(t)))
}
