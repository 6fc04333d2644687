//! Retention: personal health data is not kept forever.
//!
//! `[retention] keep` (default 400 days: a year of follow-up plus a margin for late returns and
//! audits) bounds how long the journal keeps a declaration after its last update, with its
//! history and its notices, and how long it keeps inputs, rejections and delivered outbox rows.
//! `ijgate purge --older-than` applies it on demand; the daemon applies `keep` once a day.
//!
//! One function per table family, each taking the cutoff (RFC 3339 UTC text, which sorts like
//! the journal's timestamps): a new family (deposits, returns, BPIJ...) gets its own function
//! and one line in [`purge`]. Order matters only for foreign keys: children first.

use rusqlite::{Connection, params};
use serde::Serialize;
use std::time::Duration;

use super::JournalError;

pub use crate::config::retention::Retention;

/// Rows removed, per table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Purged {
    pub declarations: usize,
    pub history: usize,
    pub outbox: usize,
    pub rejections: usize,
    pub inputs: usize,
}

/// The cutoff for `keep` before now, in the journal's timestamp format.
pub fn cutoff(keep: Duration) -> String {
    let keep = chrono::Duration::from_std(keep).unwrap_or(chrono::Duration::MAX);
    let t = chrono::Utc::now()
        .checked_sub_signed(keep)
        .unwrap_or(chrono::DateTime::<chrono::Utc>::MIN_UTC);
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Declaration states after which nothing more is expected from net-entreprises or from an
/// operator: the only ones a purge may remove. Every other state (`validated`, `queued`,
/// `depositing`, `uncertain`, `deposited`, `acknowledged`, `documents_requested`) is still
/// waiting for something — a deposit, a CNAM report, documents — and is never purged, however
/// old (a `validated` declaration with `netent.mode = "disabled"` included: enabling the
/// exchange later deposits it).
pub const TERMINAL_STATES: &[&str] = &[
    "accepted",
    "refused",
    "rejected",
    "failed",
    "recorded",
    "cancelled",
    "dsij_fallback",
];

/// The ids of the declarations a purge with cutoff `?1` removes: every declaration of a
/// stoppage (siret, hr_ref) none of whose declarations changed since the cutoff, all of which
/// are in a [`TERMINAL_STATES`] state, with no open manual task and no notice still owed. A
/// stoppage goes as a whole, so no deposit of a kept declaration points at a deleted one.
/// Evaluated inside the purge's write transaction (`BEGIN IMMEDIATE`): the daemon cannot
/// move a declaration between this check and the deletion.
pub fn purgeable_sql() -> String {
    let terminal = TERMINAL_STATES
        .iter()
        .map(|s| format!("'{s}'"))
        .collect::<Vec<_>>()
        .join(",");
    format!(
        "SELECT d.id FROM declarations d WHERE NOT EXISTS
           (SELECT 1 FROM declarations e WHERE e.siret = d.siret AND e.hr_ref = d.hr_ref
              AND (e.updated_at >= ?1 OR e.state NOT IN ({terminal})
                   OR EXISTS (SELECT 1 FROM tasks t WHERE t.declaration_id = e.id AND t.state = 'open')
                   OR EXISTS (SELECT 1 FROM outbox o WHERE o.declaration_id = e.id AND o.delivered_at IS NULL)))"
    )
}

/// Marks the declarations to purge (see [`purgeable_sql`]) in the temporary table `purge_ids`.
fn mark_old(conn: &Connection, cutoff: &str) -> Result<(), JournalError> {
    conn.execute_batch(
        "CREATE TEMP TABLE IF NOT EXISTS purge_ids (id INTEGER PRIMARY KEY); DELETE FROM purge_ids;",
    )?;
    conn.execute(
        &format!("INSERT INTO purge_ids {}", purgeable_sql()),
        params![cutoff],
    )?;
    Ok(())
}

/// One declaration a purge would remove, as `ijgate purge` lists it (no NIR).
#[derive(Debug, Clone, Serialize)]
pub struct Doomed {
    pub id: i64,
    pub siret: String,
    pub hr_ref: String,
    pub event: String,
    pub state: String,
    pub updated_at: String,
}

/// The declarations a purge with `cutoff` would remove, oldest first.
pub fn doomed(conn: &Connection, cutoff: &str) -> Result<Vec<Doomed>, JournalError> {
    let mut stmt = conn.prepare(&format!(
        "SELECT id, siret, hr_ref, event, state, updated_at FROM declarations
          WHERE id IN ({}) ORDER BY updated_at, id",
        purgeable_sql()
    ))?;
    let rows = stmt
        .query_map(params![cutoff], |r| {
            Ok(Doomed {
                id: r.get(0)?,
                siret: r.get(1)?,
                hr_ref: r.get(2)?,
                event: r.get(3)?,
                state: r.get(4)?,
                updated_at: r.get(5)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// The CPAM exchange rows of the marked declarations: returns, then deposits; and returns of
/// flux ijgate did not deposit, older than `cutoff`.
pub fn purge_exchange(conn: &Connection, cutoff: &str) -> Result<(), JournalError> {
    conn.execute(
        "DELETE FROM returns WHERE deposit_id IN (SELECT id FROM deposits WHERE declaration_id IN (SELECT id FROM purge_ids)
                                                   OR target_declaration_id IN (SELECT id FROM purge_ids))",
        [],
    )?;
    conn.execute(
        "DELETE FROM deposits WHERE declaration_id IN (SELECT id FROM purge_ids) OR target_declaration_id IN (SELECT id FROM purge_ids)",
        [],
    )?;
    conn.execute(
        "DELETE FROM returns WHERE deposit_id IS NULL AND updated_at < ?1",
        params![cutoff],
    )?;
    Ok(())
}

/// The marked declarations, with their history and their notices.
pub fn purge_declarations(
    conn: &Connection,
    cutoff: &str,
    out: &mut Purged,
) -> Result<(), JournalError> {
    mark_old(conn, cutoff)?;
    out.history += conn.execute(
        "DELETE FROM history WHERE declaration_id IN (SELECT id FROM purge_ids)",
        [],
    )?;
    out.outbox += conn.execute(
        "DELETE FROM outbox WHERE declaration_id IN (SELECT id FROM purge_ids)",
        [],
    )?;
    out.declarations += conn.execute(
        "DELETE FROM declarations WHERE id IN (SELECT id FROM purge_ids)",
        [],
    )?;
    Ok(())
}

/// BPIJ slips fetched before `cutoff` and already dispatched (their lines go first).
pub fn purge_bpij(conn: &Connection, cutoff: &str) -> Result<(), JournalError> {
    conn.execute(
        "DELETE FROM bpij_lines WHERE bpij_id IN (SELECT id FROM bpij WHERE fetched_at < ?1 AND dispatched_at IS NOT NULL)",
        params![cutoff],
    )?;
    conn.execute(
        "DELETE FROM bpij WHERE fetched_at < ?1 AND dispatched_at IS NOT NULL",
        params![cutoff],
    )?;
    Ok(())
}

/// Rejected messages recorded before `cutoff`.
pub fn purge_rejections(
    conn: &Connection,
    cutoff: &str,
    out: &mut Purged,
) -> Result<(), JournalError> {
    out.rejections += conn.execute("DELETE FROM rejections WHERE at < ?1", params![cutoff])?;
    Ok(())
}

/// Inputs received before `cutoff` that no remaining rejection refers to. A file dropped
/// again after this is journaled again (its content hash is forgotten): intended.
/// An incomplete input (a file being journaled in batches) keeps its checkpoint.
pub fn purge_inputs(conn: &Connection, cutoff: &str, out: &mut Purged) -> Result<(), JournalError> {
    out.inputs += conn.execute(
        "DELETE FROM inputs WHERE received_at < ?1 AND complete = 1
           AND id NOT IN (SELECT input_id FROM rejections WHERE input_id IS NOT NULL)",
        params![cutoff],
    )?;
    Ok(())
}

/// Outbox rows delivered before `cutoff` (undelivered rows stay: they are still owed).
pub fn purge_outbox(conn: &Connection, cutoff: &str, out: &mut Purged) -> Result<(), JournalError> {
    out.outbox += conn.execute(
        "DELETE FROM outbox WHERE delivered_at IS NOT NULL AND delivered_at < ?1",
        params![cutoff],
    )?;
    Ok(())
}

/// A purge step for tables another module owns, run inside the same transaction; returns
/// the rows it removed (not counted in the summary).
pub type PurgeHook = fn(&Connection, &str) -> Result<usize, JournalError>;

/// Purge steps registered at start by the modules that own tables (see
/// `engine::purge::hooks`), so that the journal never imports the workflow above it.
#[derive(Debug, Clone, Default)]
pub struct PurgeHooks {
    /// Children of `declarations`, run before them (e.g. alert follow-ups).
    pub before_declarations: Vec<PurgeHook>,
    /// Rows attached to declarations, run once these are gone and before the BPIJ slips
    /// (e.g. insurer routing, BPIJ lines and alerted events).
    pub after_declarations: Vec<PurgeHook>,
}

/// Every family, children first. Runs inside the caller's transaction.
pub fn purge(conn: &Connection, cutoff: &str, hooks: &PurgeHooks) -> Result<Purged, JournalError> {
    let mut out = Purged::default();
    mark_old(conn, cutoff)?;
    for h in &hooks.before_declarations {
        h(conn, cutoff)?;
    }
    purge_exchange(conn, cutoff)?;
    purge_declarations(conn, cutoff, &mut out)?;
    for h in &hooks.after_declarations {
        h(conn, cutoff)?;
    }
    purge_bpij(conn, cutoff)?;
    purge_outbox(conn, cutoff, &mut out)?;
    purge_rejections(conn, cutoff, &mut out)?;
    purge_inputs(conn, cutoff, &mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::{Journal, store};

    fn rows(c: &Connection, table: &str) -> i64 {
        c.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
            .unwrap()
    }

    #[test]
    fn a_deposited_stoppage_goes_whole_and_a_recent_one_stays() {
        let d = tempfile::tempdir().unwrap();
        let j = Journal::open(&d.path().join("j.db")).unwrap();
        j.write_blocking(|c| {
            // Stoppage OLD: arret deposited long ago, with its return. Stoppage MIX: an old
            // arret cancelled by a recent annulation (the cancel deposit targets the arret).
            for (hr, event, state, at) in [("OLD", "arret", "accepted", "2020-01-01T00:00:00.000Z"), ("MIX", "arret", "cancelled", "2020-01-01T00:00:00.000Z"), ("MIX", "annulation", "cancelled", "2026-11-01T00:00:00.000Z")] {
                c.execute(
                    "INSERT INTO declarations (siret, hr_ref, event, nir, state, revision, content_hash, payload, created_at, updated_at)
                     VALUES ('73282932000074', ?1, ?2, '1850578006084', ?4, 1, 'h', '{}', ?3, ?3)",
                    params![hr, event, at, state],
                )?;
            }
            c.execute_batch(
                "INSERT INTO deposits (declaration_id, target_declaration_id, nature, decl_type, payload, state, next_attempt_at, idflux, created_at, updated_at)
                   VALUES (1, 1, '04', '01', '{}', 'deposited', '2020', 'F1', '2020', '2020'),
                          (3, 2, '04', '04', '{}', 'deposited', '2026', 'F3', '2026', '2026');
                 INSERT INTO returns (idflux, nature, return_id, deposit_id, fetched_at, updated_at)
                   VALUES ('F1', '31', 'r1', 1, '2020', '2020'), ('F3', '31', 'r3', 2, '2026', '2026');",
            )?;
            Ok(())
        })
        .unwrap();
        let p = j
            .write_blocking(|c| {
                purge(
                    c,
                    &cutoff(Duration::from_secs(400 * 86_400)),
                    &PurgeHooks::default(),
                )
            })
            .unwrap();
        assert_eq!(p.declarations, 1, "only the wholly old stoppage goes");
        let (decls, deps, rets) = j
            .read_blocking(|c| {
                Ok((
                    rows(c, "declarations"),
                    rows(c, "deposits"),
                    rows(c, "returns"),
                ))
            })
            .unwrap();
        assert_eq!((decls, deps, rets), (2, 1, 1));
    }

    #[test]
    fn old_rows_go_recent_rows_stay() {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("j.db");
        let j = Journal::open(&path).unwrap();
        j.write_blocking(|c| {
            let old = "2020-01-01T00:00:00.000Z";
            let new = "2026-11-01T00:00:00.000Z";
            for (i, at) in [(1, old), (2, new)] {
                c.execute(
                    "INSERT INTO declarations (siret, hr_ref, event, nir, state, revision, content_hash, payload, created_at, updated_at)
                     VALUES ('73282932000074', ?1, 'arret', '1850578006084', 'accepted', 1, 'h', '{}', ?2, ?2)",
                    params![format!("R{i}"), at],
                )?;
                let id = c.last_insert_rowid();
                store::add_history(c, id, "received", None, None, None, at)?;
                store::enqueue_outbox(c, Some(id), "hr", "n.json", b"{}", at)?;
                c.execute("UPDATE outbox SET delivered_at = ?2 WHERE declaration_id = ?1", params![id, at])?;
                let input = store::record_input(c, "spool", "f.csv", &format!("sha{i}"), 1, 1, at)?;
                c.execute(
                    "INSERT INTO rejections (input_id, at, channel, source, errors) VALUES (?1, ?2, 'spool', '{}', '[]')",
                    params![input, at],
                )?;
            }
            // A delivered notice without declaration (old) and an undelivered old one.
            store::enqueue_outbox(c, None, "hr", "a.json", b"{}", "2020-01-01T00:00:00.000Z")?;
            c.execute("UPDATE outbox SET delivered_at = '2020-01-02T00:00:00.000Z' WHERE file_name = 'a.json'", [])?;
            store::enqueue_outbox(c, None, "hr", "b.json", b"{}", "2020-01-01T00:00:00.000Z")?;
            Ok(())
        })
        .unwrap();
        let p = j
            .write_blocking(|c| {
                purge(
                    c,
                    &cutoff(Duration::from_secs(400 * 86_400)),
                    &PurgeHooks::default(),
                )
            })
            .unwrap();
        assert_eq!(
            p,
            Purged {
                declarations: 1,
                history: 1,
                outbox: 2,
                rejections: 1,
                inputs: 1
            }
        );
        let c = Connection::open(&path).unwrap();
        assert_eq!(rows(&c, "declarations"), 1);
        assert_eq!(rows(&c, "history"), 1);
        assert_eq!(rows(&c, "inputs"), 1);
        assert_eq!(rows(&c, "rejections"), 1);
        // The recent declaration's notice and the undelivered old one stay.
        assert_eq!(rows(&c, "outbox"), 2);
        // Nothing left to purge: a second run removes nothing.
        let again = j
            .write_blocking(|c| {
                purge(
                    c,
                    &cutoff(Duration::from_secs(400 * 86_400)),
                    &PurgeHooks::default(),
                )
            })
            .unwrap();
        assert_eq!(again, Purged::default());
    }

    /// Issue 16: `purge --older-than 1s` removed declarations still waiting for their CNAM
    /// report. However old, a declaration in a non-terminal state, with an open task or with
    /// a notice still owed keeps its whole stoppage.
    #[test]
    fn only_finished_stoppages_go() {
        let d = tempfile::tempdir().unwrap();
        let j = Journal::open(&d.path().join("j.db")).unwrap();
        let old = "2020-01-01T00:00:00.000Z";
        j.write_blocking(move |c| {
            for (hr, state) in [
                ("DONE", "accepted"),
                ("WAIT31", "deposited"),
                ("WAIT30", "acknowledged"),
                ("QUEUED", "queued"),
                ("DOCS", "documents_requested"),
                ("TASK", "dsij_fallback"),
                ("OWED", "refused"),
                // A stoppage with one finished and one waiting declaration stays whole.
                ("MIXED", "cancelled"),
                ("MIXED ", "uncertain"),
            ] {
                // "MIXED " is the stoppage MIXED's second declaration (an annulation).
                let (hr, event) = match hr.strip_suffix(' ') {
                    Some(h) => (h, "annulation"),
                    None => (hr, "arret"),
                };
                c.execute(
                    "INSERT INTO declarations (siret, hr_ref, event, nir, state, revision, content_hash, payload, created_at, updated_at)
                     VALUES ('73282932000074', ?1, ?4, '1850578006084', ?2, 1, 'h', '{}', ?3, ?3)",
                    params![hr, state, old, event],
                )?;
                let id = c.last_insert_rowid();
                if hr == "TASK" {
                    c.execute("INSERT INTO tasks (declaration_id, kind, siret, hr_ref, state, created_at) VALUES (?1, 'dsij', 's', 'TASK', 'open', ?2)", params![id, old])?;
                }
                if hr == "OWED" {
                    store::enqueue_outbox(c, Some(id), "hr", "n.json", b"{}", old)?;
                }
            }
            Ok(())
        })
        .unwrap();
        let cut = cutoff(Duration::from_secs(1));
        let c2 = cut.clone();
        let list = j.read_blocking(move |c| doomed(c, &c2)).unwrap();
        assert_eq!(
            list.iter().map(|d| d.hr_ref.as_str()).collect::<Vec<_>>(),
            ["DONE"]
        );
        let p = j
            .write_blocking(move |c| purge(c, &cut, &PurgeHooks::default()))
            .unwrap();
        assert_eq!(p.declarations, 1);
        let left = j.read_blocking(|c| Ok(rows(c, "declarations"))).unwrap();
        assert_eq!(left, 8);
        let tasks = j.read_blocking(|c| Ok(rows(c, "tasks"))).unwrap();
        assert_eq!(tasks, 1, "the open task stays");
    }

    #[test]
    fn keep_must_be_a_day_or_more() {
        let r = Retention {
            keep: Duration::from_secs(60),
            automatic: true,
        };
        assert_eq!(r.validate().len(), 1);
        assert!(Retention::default().validate().is_empty());
        assert!(cutoff(Duration::from_secs(86_400)) < crate::journal::now());
    }
}
