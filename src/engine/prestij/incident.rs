//! The SFTP incident of an insurer's Prest'IJ link, journaled (table `prestij_incidents`,
//! migration 9) so that it survives a restart: one open incident per insurer at most (a
//! partial unique index), opened by the first failed transfer, counted by the next ones, and
//! resolved by the first transfer that works again.
//!
//! The alert engine reads it like the net-entreprises faults (`exchange_faults`): an open
//! incident is the condition `prestij_transfer:<insurer>:<incident id>` (one alert per
//! incident, whatever the number of retries or restarts), which closes with a "resolved" mail
//! when the incident is resolved. An incident opened and resolved between two scans is still
//! reported once (`alerted_at`). Pure over a `Connection` (no I/O).

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use crate::journal::JournalError;

/// The alert condition kind of an incident.
pub const ALERT_KIND: &str = "prestij_transfer";

/// One incident row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Incident {
    pub id: i64,
    pub insurer: String,
    pub host: String,
    pub opened_at: String,
    pub last_at: String,
    pub last_error: String,
    pub failures: i64,
    pub resolved_at: Option<String>,
}

impl Incident {
    /// The alert condition key.
    pub fn condition(&self) -> String {
        format!("{ALERT_KIND}:{}:{}", self.insurer, self.id)
    }
}

/// What a transfer outcome did to the incident of its insurer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// A failure with no incident open: one is opened (the alert follows).
    Opened,
    /// Another failure of the open incident (`failures` so far, for the backoff).
    Continued { failures: u32 },
    /// The first success after failures: the incident is resolved.
    Resolved,
    /// A success with nothing open.
    None,
}

const COLUMNS: &str =
    "id, insurer_code, host, opened_at, last_at, last_error, failures, resolved_at";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Incident> {
    Ok(Incident {
        id: r.get(0)?,
        insurer: r.get(1)?,
        host: r.get(2)?,
        opened_at: r.get(3)?,
        last_at: r.get(4)?,
        last_error: r.get(5)?,
        failures: r.get(6)?,
        resolved_at: r.get(7)?,
    })
}

/// The open incident of `insurer`, if any.
pub fn open_of(conn: &Connection, insurer: &str) -> Result<Option<Incident>, JournalError> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM prestij_incidents WHERE insurer_code = ?1 AND resolved_at IS NULL"
        ))?
        .query_row([insurer], row)
        .optional()?)
}

/// Every open incident (status, metrics).
pub fn open_all(conn: &Connection) -> Result<Vec<Incident>, JournalError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM prestij_incidents WHERE resolved_at IS NULL ORDER BY insurer_code"
    ))?;
    let rows = stmt.query_map([], row)?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// A transfer of `insurer` failed with `error` (no personal data: a host and an error text).
pub fn failed(
    conn: &Connection,
    insurer: &str,
    host: &str,
    error: &str,
    at: &str,
) -> Result<Change, JournalError> {
    let error = crate::model::validate::excerpt(error, 300);
    if let Some(open) = open_of(conn, insurer)? {
        conn.prepare_cached(
            "UPDATE prestij_incidents SET failures = failures + 1, last_at = ?2, last_error = ?3 WHERE id = ?1",
        )?
        .execute(params![open.id, at, error])?;
        let n = u32::try_from(open.failures + 1).unwrap_or(u32::MAX);
        return Ok(Change::Continued { failures: n });
    }
    conn.prepare_cached(
        "INSERT INTO prestij_incidents (insurer_code, host, opened_at, last_at, last_error, failures)
         VALUES (?1, ?2, ?3, ?3, ?4, 1)",
    )?
    .execute(params![insurer, host, at, error])?;
    Ok(Change::Opened)
}

/// A transfer of `insurer` worked: its open incident, if any, is resolved.
pub fn succeeded(conn: &Connection, insurer: &str, at: &str) -> Result<Change, JournalError> {
    let n = conn
        .prepare_cached(
            "UPDATE prestij_incidents SET resolved_at = ?2 WHERE insurer_code = ?1 AND resolved_at IS NULL",
        )?
        .execute(params![insurer, at])?;
    Ok(if n > 0 {
        Change::Resolved
    } else {
        Change::None
    })
}

/// Incidents the alert engine must see: open ones, and ones resolved before any scan saw
/// them (reported once). Marks them as seen.
pub fn to_alert(conn: &Connection, at: &str) -> Result<Vec<Incident>, JournalError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM prestij_incidents WHERE resolved_at IS NULL OR alerted_at IS NULL ORDER BY id"
    ))?;
    let v = stmt.query_map([], row)?.collect::<Result<Vec<_>, _>>()?;
    conn.prepare_cached("UPDATE prestij_incidents SET alerted_at = ?1 WHERE alerted_at IS NULL")?
        .execute([at])?;
    Ok(v)
}

/// The alert sentence of an incident (no personal data).
pub fn describe(i: &Incident) -> String {
    format!(
        "insurer {}: transfer to {} failing since {} ({} attempt(s), last at {}): {}",
        i.insurer, i.host, i.opened_at, i.failures, i.last_at, i.last_error
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::Journal;

    #[test]
    fn one_incident_per_outage_survives_a_reopen_of_the_journal() {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("j.db");
        let j = Journal::open(&path).unwrap();
        let c = j
            .write_blocking(|c| {
                let a = failed(c, "PREV", "sftp.example", "connection refused", "t1")?;
                let b = failed(c, "PREV", "sftp.example", "connection refused", "t2")?;
                Ok((a, b))
            })
            .unwrap();
        assert_eq!(c, (Change::Opened, Change::Continued { failures: 2 }));
        drop(j);
        // A restart: the incident is still open, the next failure continues it.
        let j = Journal::open(&path).unwrap();
        let (next, alerted, again) = j
            .write_blocking(|c| {
                let n = failed(c, "PREV", "sftp.example", "timed out", "t3")?;
                let a = to_alert(c, "t3")?;
                let again = to_alert(c, "t3")?;
                Ok((n, a, again))
            })
            .unwrap();
        assert_eq!(next, Change::Continued { failures: 3 });
        assert_eq!(alerted.len(), 1);
        assert_eq!(
            alerted[0].condition(),
            format!("prestij_transfer:PREV:{}", alerted[0].id)
        );
        assert_eq!(alerted[0].last_error, "timed out");
        assert_eq!(again.len(), 1, "open: still a condition at every scan");
        let (r, r2, left) = j
            .write_blocking(|c| {
                Ok((
                    succeeded(c, "PREV", "t4")?,
                    succeeded(c, "PREV", "t5")?,
                    to_alert(c, "t5")?,
                ))
            })
            .unwrap();
        assert_eq!((r, r2), (Change::Resolved, Change::None));
        assert!(left.is_empty(), "resolved: the condition ends");
        // The next outage is another incident (another alert).
        let (o, n) = j
            .write_blocking(|c| Ok((failed(c, "PREV", "h", "e", "t6")?, to_alert(c, "t6")?)))
            .unwrap();
        assert_eq!(o, Change::Opened);
        assert_ne!(n[0].id, alerted[0].id);
    }

    #[test]
    fn an_incident_over_before_any_scan_is_reported_once() {
        let d = tempfile::tempdir().unwrap();
        let j = Journal::open(&d.path().join("j.db")).unwrap();
        let (first, second) = j
            .write_blocking(|c| {
                failed(c, "PREV", "h", "refused", "t1")?;
                succeeded(c, "PREV", "t2")?;
                Ok((to_alert(c, "t3")?, to_alert(c, "t4")?))
            })
            .unwrap();
        assert_eq!(first.len(), 1);
        assert!(second.is_empty());
    }
}
