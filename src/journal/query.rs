//! Read operations: status counts, one declaration with its history, look-ups by hr_ref,
//! and the outbox backlog.

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use super::JournalError;

#[derive(Debug, Clone, Serialize)]
pub struct HistoryEntry {
    pub at: String,
    pub what: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<serde_json::Value>,
}

impl HistoryEntry {
    /// Where the event came from, as `ijgate show` and the console print it:
    /// `(channel: name line N)`.
    pub fn source_label(&self) -> Option<String> {
        self.source.as_ref().map(|s| {
            let ch = s.get("channel").and_then(|v| v.as_str()).unwrap_or("");
            let name = s.get("name").and_then(|v| v.as_str()).unwrap_or("");
            let line = s
                .get("line")
                .and_then(|v| v.as_u64())
                .map(|l| format!(" line {l}"))
                .unwrap_or_default();
            format!("({ch}: {name}{line})")
        })
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Declaration {
    pub id: i64,
    pub siret: String,
    pub hr_ref: String,
    pub event: String,
    pub state: String,
    pub revision: i64,
    pub created_at: String,
    pub updated_at: String,
    pub attempts: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error_kind: Option<String>,
    /// The canonical stoppage as journaled (personal data: only shown to its sender and to
    /// local administrators).
    pub payload: serde_json::Value,
    pub history: Vec<HistoryEntry>,
    /// Its file was an essai (S10.G00.00.005 = 01): CPAM ignores it, nothing is declared.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub test: bool,
}

fn json_opt(s: Option<String>) -> Option<serde_json::Value> {
    s.map(|t| serde_json::from_str(&t).unwrap_or(serde_json::Value::String(t)))
}

/// One declaration and its whole history.
pub fn declaration(conn: &Connection, id: i64) -> Result<Option<Declaration>, JournalError> {
    let d = conn
        .prepare_cached(
            "SELECT id, siret, hr_ref, event, state, revision, created_at, updated_at, attempts, next_attempt_at,
                    last_error_kind, payload FROM declarations WHERE id = ?1",
        )?
        .query_row([id], |r| {
            Ok(Declaration {
                id: r.get(0)?,
                siret: r.get(1)?,
                hr_ref: r.get(2)?,
                event: r.get(3)?,
                state: r.get(4)?,
                revision: r.get(5)?,
                created_at: r.get(6)?,
                updated_at: r.get(7)?,
                attempts: r.get(8)?,
                next_attempt_at: r.get(9)?,
                last_error_kind: r.get(10)?,
                payload: json_opt(Some(r.get(11)?)).unwrap_or_default(),
                history: Vec::new(),
                test: false,
            })
        })
        .optional()?;
    let Some(mut d) = d else { return Ok(None) };
    d.test = super::store::declaration_is_test(conn, id)?;
    let mut stmt = conn.prepare_cached(
        "SELECT at, what, state, source, detail FROM history WHERE declaration_id = ?1 ORDER BY id",
    )?;
    d.history = stmt
        .query_map([id], |r| {
            Ok(HistoryEntry {
                at: r.get(0)?,
                what: r.get(1)?,
                state: r.get(2)?,
                source: json_opt(r.get(3)?),
                detail: json_opt(r.get(4)?),
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(Some(d))
}

/// Ids of the declarations with this hr_ref (all events), oldest first.
pub fn ids_by_hr_ref(conn: &Connection, hr_ref: &str) -> Result<Vec<i64>, JournalError> {
    let mut stmt =
        conn.prepare_cached("SELECT id FROM declarations WHERE hr_ref = ?1 ORDER BY id")?;
    let ids = stmt
        .query_map([hr_ref], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(ids)
}

/// Counts for `ijgate status`.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Status {
    pub declarations_by_state: std::collections::BTreeMap<String, i64>,
    pub declarations_total: i64,
    pub rejections: i64,
    pub inputs: i64,
    pub outbox_pending: i64,
}

pub fn status(conn: &Connection) -> Result<Status, JournalError> {
    let mut s = Status::default();
    let mut stmt = conn
        .prepare_cached("SELECT state, COUNT(*) FROM declarations GROUP BY state ORDER BY state")?;
    for row in stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))? {
        let (state, n) = row?;
        s.declarations_total += n;
        s.declarations_by_state.insert(state, n);
    }
    s.rejections = conn.query_row("SELECT COUNT(*) FROM rejections", [], |r| r.get(0))?;
    s.inputs = conn.query_row("SELECT COUNT(*) FROM inputs", [], |r| r.get(0))?;
    s.outbox_pending = conn.query_row(
        "SELECT COUNT(*) FROM outbox WHERE delivered_at IS NULL",
        [],
        |r| r.get(0),
    )?;
    Ok(s)
}

/// An outbox row waiting to be written.
#[derive(Debug, Clone)]
pub struct OutboxItem {
    pub id: i64,
    pub dest: String,
    pub file_name: String,
    pub body: Vec<u8>,
}

pub fn pending_outbox(conn: &Connection, limit: usize) -> Result<Vec<OutboxItem>, JournalError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, dest, file_name, body FROM outbox WHERE delivered_at IS NULL ORDER BY id LIMIT ?1",
    )?;
    let items = stmt
        .query_map(params![limit as i64], |r| {
            Ok(OutboxItem {
                id: r.get(0)?,
                dest: r.get(1)?,
                file_name: r.get(2)?,
                body: r.get(3)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(items)
}

/// Exchange figures for `/metrics`: deposits by state, and the age in seconds of the oldest
/// deposit still waiting for each expected return nature (30 and 31 for signalements).
#[derive(Debug, Clone, Default, Serialize)]
pub struct ExchangeStatus {
    pub deposits_by_state: std::collections::BTreeMap<String, i64>,
    pub oldest_pending_return_seconds: std::collections::BTreeMap<String, f64>,
    pub bpij_stored: i64,
    pub bpij_undispatched: i64,
}

pub fn exchange_status(conn: &Connection, now_unix: f64) -> Result<ExchangeStatus, JournalError> {
    let mut s = ExchangeStatus::default();
    let mut stmt = conn.prepare_cached("SELECT state, COUNT(*) FROM deposits GROUP BY state")?;
    for row in stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))? {
        let (k, v) = row?;
        s.deposits_by_state.insert(k, v);
    }
    for nature in ["30", "31"] {
        let oldest: Option<String> = conn
            .prepare_cached(
                "SELECT MIN(d.sent_at) FROM deposits d WHERE d.state = 'deposited'
                   AND NOT EXISTS (SELECT 1 FROM returns r WHERE r.idflux = d.idflux AND r.nature = ?1)
                   AND NOT EXISTS (SELECT 1 FROM returns r WHERE r.idflux = d.idflux AND r.nature IN ('21','22'))",
            )?
            .query_row([nature], |r| r.get(0))?;
        let age = oldest
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(&t).ok())
            .map(|t| (now_unix - t.timestamp() as f64).max(0.0))
            .unwrap_or(0.0);
        s.oldest_pending_return_seconds.insert(nature.into(), age);
    }
    s.bpij_stored = conn.query_row("SELECT COUNT(*) FROM bpij", [], |r| r.get(0))?;
    s.bpij_undispatched = conn.query_row(
        "SELECT COUNT(*) FROM bpij WHERE dispatched_at IS NULL",
        [],
        |r| r.get(0),
    )?;
    Ok(s)
}
